/* test_proxy.c — faults on real sockets against real servers: redis-server
 * and `python3 -m http.server`, started on free loopback ports, reached by
 * jnet RESP and HTTP clients through jnet-proxy (a child process) under
 * each fault, and through the fault backend in-process. Each case asserts
 * what a user sees: the delay, the error code, the rate, the loss.
 *
 *   test_proxy PATH-TO-jnet-proxy
 *
 * Exit 77 (ctest: skipped) only when redis-server or python3 is not
 * installed (`make deps` installs both).
 */
#define _GNU_SOURCE
#include <check.h>
#include "jnet_check.h"
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jnet/jnet.h>
#include <jnet/jnet_faults.h>
#include "realsrv.h"

static const char *PROXY; /* the jnet-proxy binary */
static char REDIS_PORT[16], HTTP_PORT[16];
static pid_t redis_pid, http_pid;
static char tmpdir[256];

#define BIG_BYTES 600000

/* ---- the proxy under test --------------------------------------------------- */

typedef struct px {
  pid_t pid;
  char port[16];
} px;

/* Start jnet-proxy with the given arguments after --listen 127.0.0.1:0
 * (NULL-terminated); wait for "ready". */
static px proxy_start(const char *const *args) {
  char *argv[64];
  int n = 0;
  argv[n++] = (char *)PROXY;
  argv[n++] = "--listen";
  argv[n++] = "127.0.0.1:0";
  for (; *args != NULL && n < 63; args++)
    argv[n++] = (char *)*args;
  argv[n] = NULL;
  px p;
  int fd = -1;
  p.pid = rs_spawn(argv, &fd);
  ck_assert_int_gt(p.pid, 0);
  int port = rs_proxy_port(fd, 10.0);
  close(fd);
  ck_assert_msg(port > 0, "jnet-proxy did not become ready");
  snprintf(p.port, sizeof p.port, "%d", port);
  return p;
}

static void proxy_stop(px *p) {
  ck_assert_int_eq(rs_stop(p->pid), 0); /* SIGTERM: a clean exit */
}

static char upstream_redis[64], upstream_http[64];

/* ---- running a client in a jnet loop ---------------------------------------- */

static jnet_faults *F; /* set while a client runs on the fault backend */

static void run_client(void (*fn)(void *), void *arg, uint64_t seed,
                       int faults) {
  const jnet_backend *uv = jnet_backend_uv();
  const jnet_backend *b = faults ? jnet_backend_faults(uv, seed, &F) : uv;
  jnet_loop *l;
  ck_assert_ptr_nonnull(b);
  ck_assert_int_eq(jnet_loop_new(&l, b), 0);
  ck_assert_int_eq(jnet_go(l, fn, arg), 0);
  ck_assert_int_eq(jnet_run(l), 0);
  ck_assert_int_eq(jnet_run_once(l), 0); /* ran to idle */
  ck_assert_int_eq(jnet_loop_close(l), 0); /* nothing left alive */
  if (faults)
    jnet_backend_free(b);
  jnet_backend_free(uv);
  F = NULL;
}

typedef struct res {
  const char *port;
  int rc[8];
  double t[8];
  char reply[8][128];
  size_t bytes;
  jnet_fault_params fp; /* in-process runs: the rule for redis */
} res;

static const char *const PING[] = {"PING"};

/* Start jnet-proxy with `args`, run `client` against it on plain uv, stop
 * the proxy (a clean exit): what the client recorded. */
static res through_proxy(const char *const *args, void (*client)(void *)) {
  px p = proxy_start(args);
  res r = {.port = p.port};
  run_client(client, &r, 0, 0);
  proxy_stop(&p);
  r.port = NULL; /* p is gone */
  return r;
}

/* Connect to the proxy; rc[0] the result. */
static int dial(res *r, jnet_stream *s) {
  return r->rc[0] =
             jnet_connect("127.0.0.1", r->port, JNET_STREAM, NULL, NULL, s);
}

/* Connect to port and PING; rc[i], t[i] (connect included), reply[i]. */
static void ping_at(res *r, int i, const char *port, double timeout) {
  jnet_stream s;
  double t0 = jnet_now();
  r->rc[i] = jnet_connect("127.0.0.1", port, JNET_STREAM, NULL, NULL, &s);
  if (r->rc[i] < 0)
    return;
  r->rc[i] = resp_call(s, PING, 1, r->reply[i], sizeof r->reply[i], timeout);
  r->t[i] = jnet_now() - t0;
  jnet_close(s);
}

/* ---- latency, reset, blackhole: RESP through the proxy ------------------- */

static void c_ping_twice(void *arg) {
  res *r = arg;
  jnet_stream s;
  if (dial(r, &s) < 0)
    return;
  for (int i = 1; i <= 2; i++) {
    double t0 = jnet_now();
    r->rc[i] = resp_call(s, PING, 1, r->reply[i], sizeof r->reply[i], 5.0);
    r->t[i] = jnet_now() - t0;
  }
  jnet_close(s);
}

START_TEST(proxy_latency_adds_both_one_way_delays) {
  const char *args[] = {"--upstream", upstream_redis, "--latency", "50ms",
                        NULL};
  res r = through_proxy(args, c_ping_twice);
  ck_assert_int_eq(r.rc[0], 0);
  for (int i = 1; i <= 2; i++) {
    ck_assert_int_eq(r.rc[i], 0);
    ck_assert_str_eq(r.reply[i], "+PONG");
    ck_assert_msg(r.t[i] >= 0.100 && r.t[i] < 1.5, "round trip %.3f s",
                  r.t[i]);
  }
}
END_TEST

/* SET a value bigger than the reset threshold. */
static void c_big_set(void *arg) {
  res *r = arg;
  jnet_stream s;
  if (dial(r, &s) < 0)
    return;
  char *val = malloc(100000);
  memset(val, 'v', 99999);
  val[99999] = 0;
  const char *set[] = {"SET", "big", val};
  r->rc[1] = resp_call(s, set, 3, r->reply[1], sizeof r->reply[1], 5.0);
  free(val);
  jnet_close(s);
}

START_TEST(proxy_reset_after_bytes_gives_client_econnreset) {
  const char *args[] = {"--upstream", upstream_redis, "--reset-after", "64kb",
                        NULL};
  res r = through_proxy(args, c_big_set);
  ck_assert_int_eq(r.rc[0], 0);
  ck_assert_int_eq(r.rc[1], JNET_ECONNRESET);
}
END_TEST

static void c_ping_deadline(void *arg) {
  res *r = arg;
  double t0 = jnet_now();
  ping_at(r, 0, r->port, 0.3);
  r->t[0] = jnet_now() - t0;
}

START_TEST(proxy_blackhole_gives_etimedout) {
  const char *args[] = {"--upstream", upstream_redis, "--blackhole", NULL};
  res r = through_proxy(args, c_ping_deadline);
  ck_assert_int_eq(r.rc[0], JNET_ETIMEDOUT);
  ck_assert(r.t[0] >= 0.29);
}
END_TEST

/* ---- bandwidth: HTTP through the proxy ------------------------------------ */

static void c_http_big(void *arg) {
  res *r = arg;
  double t1 = 0;
  size_t first = 0;
  r->rc[0] = http_get(r->port, "/big.bin", &r->bytes, &t1, &first, 10.0);
  /* the rate from the first bytes to the last: connection set-up and the
   * server's start are not bandwidth */
  r->t[0] = jnet_now() - t1;
  r->t[1] = (double)(r->bytes - first);
}

START_TEST(proxy_bandwidth_caps_http_within_20_percent) {
  const char *args[] = {"--upstream", upstream_http, "--bandwidth", "8mbit",
                        NULL};
  res r = through_proxy(args, c_http_big);
  ck_assert_int_eq(r.rc[0], 0);
  ck_assert_uint_ge(r.bytes, BIG_BYTES);
  double rate = r.t[1] / r.t[0]; /* bytes/s; the cap: 1e6 */
  ck_assert_msg(rate >= 0.8e6 && rate <= 1.2e6, "%.0f B/s (%.3f s)", rate,
                r.t[0]);
}
END_TEST

/* ---- UDP: loss within bounds, the same log for the same seed --------------- */

#define NUDP 1000

typedef struct udp_run {
  jnet_stream sink;
  char sink_port[16];
  size_t got;
  const char *seed, *log;
  int rc;
} udp_run;

static void udp_sink(void *arg) {
  udp_run *u = arg;
  jnet_buf b;
  jnet_buf_init(&b);
  while (jnet_recv_from(u->sink, 2048, &b, 0.5, NULL) >= 0) {
    u->got++;
    jnet_buf_reset(&b);
  }
  jnet_buf_free(&b);
}

/* The "drop" lines the proxy has written to its log so far (it writes
 * each line at once: setvbuf _IOLBF). */
static size_t log_drops(const char *path) {
  FILE *f = fopen(path, "r");
  size_t n = 0;
  char line[256];
  while (f != NULL && fgets(line, sizeof line, f) != NULL)
    n += strstr(line, " drop ") != NULL;
  if (f != NULL)
    fclose(f);
  return n;
}

static void c_udp(void *arg) {
  udp_run *u = arg;
  char up[64];
  snprintf(up, sizeof up, "127.0.0.1:%s", u->sink_port);
  const char *args[] = {"--udp",  "--upstream", up,       "--loss", "20%",
                        "--seed", u->seed,      "--log",  u->log,   NULL};
  px p = proxy_start(args);
  jnet_fiber sink;
  ck_assert_int_eq(jnet_spawn(NULL, udp_sink, u, &sink), 0);
  jnet_stream c;
  u->rc = jnet_listen("127.0.0.1", "0", JNET_DATAGRAM, &c);
  jnet_addr dst;
  if (u->rc == 0)
    u->rc = jnet_address("127.0.0.1", p.port, JNET_DATAGRAM, &dst);
  char msg[32];
  memset(msg, 'd', sizeof msg);
  for (int i = 0; u->rc == 0 && i < NUDP; i++) {
    u->rc = jnet_send_to(c, &dst, msg, sizeof msg, 1.0);
    if (i % 20 == 19)
      jnet_sleep(0.001); /* the proxy and the sink keep up */
  }
  /* Every datagram accounted for, relayed to the sink or logged as
   * dropped: the sink has them all, no need to wait out its 0.5 s of
   * silence. 0.6 s at most, as before. */
  for (int w = 0; w < 60 && u->got + log_drops(u->log) != NUDP; w++)
    jnet_sleep(0.01);
  jnet_cancel(sink, JNET_ECANCELED); /* the next run reads the sink */
  ck_assert_int_eq(jnet_join(sink, 1.0), 0);
  jnet_close(c);
  proxy_stop(&p);
}

/* The log without its first field (the time). */
static char *log_faults(const char *path) {
  FILE *f = fopen(path, "r");
  ck_assert_ptr_nonnull(f);
  size_t cap = 1 << 20, len = 0;
  char *out = malloc(cap), line[256];
  out[0] = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    const char *sp = strchr(line, ' ');
    size_t n = strlen(sp ? sp : line);
    if (len + n + 1 < cap) {
      memcpy(out + len, sp ? sp : line, n + 1);
      len += n;
    }
  }
  fclose(f);
  return out;
}

static void udp_once(const char *seed, const char *log, size_t *got,
                     jnet_stream sink, const char *sink_port) {
  udp_run u;
  memset(&u, 0, sizeof u);
  u.sink = sink;
  snprintf(u.sink_port, sizeof u.sink_port, "%s", sink_port);
  u.seed = seed;
  u.log = log;
  c_udp(&u);
  ck_assert_int_eq(u.rc, 0);
  *got = u.got;
}

typedef struct udp_all {
  char log[3][300];
  size_t got[3];
} udp_all;

static void c_udp_three(void *arg) {
  udp_all *a = arg;
  jnet_stream sink;
  jnet_addr sa;
  char host[64], port[16];
  int pn;
  ck_assert_int_eq(jnet_listen("127.0.0.1", "0", JNET_DATAGRAM, &sink), 0);
  ck_assert_int_eq(jnet_localname(sink, &sa), 0);
  ck_assert_int_eq(jnet_address_unpack(&sa, host, sizeof host, &pn), 0);
  snprintf(port, sizeof port, "%d", pn);
  udp_once("7", a->log[0], &a->got[0], sink, port);
  udp_once("7", a->log[1], &a->got[1], sink, port);
  udp_once("8", a->log[2], &a->got[2], sink, port);
  jnet_close(sink);
}

START_TEST(proxy_udp_loss_within_bounds_same_seed_same_log) {
  udp_all a;
  for (int i = 0; i < 3; i++)
    snprintf(a.log[i], sizeof a.log[i], "%s/udp-%d.log", tmpdir, i);
  run_client(c_udp_three, &a, 0, 0);
  /* 20 % loss of 1000: mean 800, sd 12.6; six sd either way */
  for (int i = 0; i < 3; i++)
    ck_assert_msg(a.got[i] >= 724 && a.got[i] <= 876, "run %d got %zu", i,
                  a.got[i]);
  char *l0 = log_faults(a.log[0]), *l1 = log_faults(a.log[1]);
  char *l2 = log_faults(a.log[2]);
  ck_assert_uint_gt(strlen(l0), 1000);
  ck_assert_str_eq(l0, l1); /* seed 7 twice: the same drops */
  ck_assert_str_ne(l0, l2); /* seed 8: others */
  free(l0);
  free(l1);
  free(l2);
}
END_TEST

/* Replies come back: an upstream that echoes each datagram to its sender
 * (here, the proxy's session socket) reaches the client through the
 * proxy's listening socket, in order, for each of three datagrams. */
typedef struct udp_echo {
  jnet_stream up;
  char up_port[16];
  int rc[4];
  char got[3][16];
} udp_echo;

static void udp_echo_server(void *arg) {
  udp_echo *e = arg;
  jnet_buf b;
  jnet_buf_init(&b);
  jnet_addr from;
  for (int i = 0; i < 3; i++) {
    jnet_buf_reset(&b);
    if (jnet_recv_from(e->up, 64, &b, 5.0, &from) <= 0 ||
        jnet_send_to(e->up, &from, b.data, b.len, 1.0) < 0)
      break;
  }
  jnet_buf_free(&b);
}

static void c_udp_echo(void *arg) {
  udp_echo *e = arg;
  jnet_addr a, dst;
  char host[64], up[64];
  int pn;
  e->rc[0] = jnet_listen("127.0.0.1", "0", JNET_DATAGRAM, &e->up);
  if (e->rc[0] < 0)
    return;
  ck_assert_int_eq(jnet_localname(e->up, &a), 0);
  ck_assert_int_eq(jnet_address_unpack(&a, host, sizeof host, &pn), 0);
  snprintf(up, sizeof up, "127.0.0.1:%d", pn);
  const char *args[] = {"--udp", "--upstream", up, NULL};
  px p = proxy_start(args);
  jnet_go(NULL, udp_echo_server, e);
  jnet_stream c;
  e->rc[1] = jnet_listen("127.0.0.1", "0", JNET_DATAGRAM, &c);
  if (e->rc[1] == 0)
    e->rc[1] = jnet_address("127.0.0.1", p.port, JNET_DATAGRAM, &dst);
  jnet_buf b;
  jnet_buf_init(&b);
  static const char *const msg[3] = {"one", "two", "three"};
  for (int i = 0; e->rc[1] == 0 && i < 3; i++) {
    e->rc[2] = jnet_send_to(c, &dst, msg[i], strlen(msg[i]), 1.0);
    jnet_buf_reset(&b);
    ssize_t n = jnet_recv_from(c, sizeof e->got[i] - 1, &b, 2.0, &a);
    e->rc[3] = n < 0 ? (int)n : 0;
    if (n < 0)
      break;
    memcpy(e->got[i], b.data, b.len);
    e->got[i][b.len] = 0;
    ck_assert_int_eq(jnet_address_unpack(&a, host, sizeof host, &pn), 0);
    ck_assert_int_eq(pn, atoi(p.port)); /* from the proxy's listener */
  }
  jnet_buf_free(&b);
  jnet_close(c);
  jnet_close(e->up);
  proxy_stop(&p);
}

START_TEST(proxy_udp_replies_reach_the_client) {
  udp_echo e;
  memset(&e, 0, sizeof e);
  run_client(c_udp_echo, &e, 0, 0);
  ck_assert_int_eq(e.rc[0], 0);
  ck_assert_int_eq(e.rc[1], 0);
  ck_assert_int_eq(e.rc[2], 0);
  ck_assert_int_eq(e.rc[3], 0);
  ck_assert_str_eq(e.got[0], "one");
  ck_assert_str_eq(e.got[1], "two");
  ck_assert_str_eq(e.got[2], "three");
}
END_TEST

/* ---- timeline and control socket -------------------------------------------- */

typedef struct tl {
  const char *port, *ctl;
  res r;
  int ctl_rc[3];
  char ctl_out[3][512];
} tl;

static int ctl(const char *path, const char *const *words, char *out,
               size_t n) {
  char *argv[16];
  int k = 0;
  argv[k++] = (char *)PROXY;
  argv[k++] = "ctl";
  argv[k++] = (char *)path;
  for (; *words != NULL && k < 15; words++)
    argv[k++] = (char *)*words;
  argv[k] = NULL;
  return rs_run(argv, out, n);
}

static void c_timeline(void *arg) {
  tl *t = arg;
  ping_at(&t->r, 0, t->port, 2.0); /* before "at 0.5s partition" */
  jnet_sleep(0.8);
  ping_at(&t->r, 1, t->port, 0.3); /* partitioned */
  const char *bad[] = {"set", "proxy", "latency", "fast", NULL};
  t->ctl_rc[0] = ctl(t->ctl, bad, t->ctl_out[0], sizeof t->ctl_out[0]);
  const char *heal[] = {"heal", NULL};
  t->ctl_rc[1] = ctl(t->ctl, heal, t->ctl_out[1], sizeof t->ctl_out[1]);
  ping_at(&t->r, 2, t->port, 2.0); /* healed */
  const char *list[] = {"list", NULL};
  t->ctl_rc[2] = ctl(t->ctl, list, t->ctl_out[2], sizeof t->ctl_out[2]);
}

START_TEST(proxy_timeline_partitions_ctl_heals) {
  char tlpath[300], ctlpath[300];
  snprintf(tlpath, sizeof tlpath, "%s/partition.tl", tmpdir);
  snprintf(ctlpath, sizeof ctlpath, "%s/ctl.sock", tmpdir);
  FILE *f = fopen(tlpath, "w");
  ck_assert_ptr_nonnull(f);
  fputs("# partition half a second in\nat 0.5s partition\n", f);
  fclose(f);
  const char *args[] = {"--upstream", upstream_redis, "--timeline", tlpath,
                        "--control", ctlpath, NULL};
  px p = proxy_start(args);
  tl t;
  memset(&t, 0, sizeof t);
  t.port = p.port;
  t.ctl = ctlpath;
  run_client(c_timeline, &t, 0, 0);
  proxy_stop(&p);
  ck_assert_int_eq(t.r.rc[0], 0);
  ck_assert_str_eq(t.r.reply[0], "+PONG");
  ck_assert_int_eq(t.r.rc[1], JNET_ETIMEDOUT);
  ck_assert_int_eq(t.ctl_rc[0], 1); /* a bad line: err, the proxy lives */
  ck_assert(strncmp(t.ctl_out[0], "err ", 4) == 0);
  ck_assert_int_eq(t.ctl_rc[1], 0);
  ck_assert_str_eq(t.ctl_out[1], "ok\n");
  ck_assert_int_eq(t.r.rc[2], 0);
  ck_assert_str_eq(t.r.reply[2], "+PONG");
  ck_assert(strstr(t.ctl_out[2], "proxy tcp 127.0.0.1:") != NULL);
  ck_assert(strstr(t.ctl_out[2], "blackhole") == NULL);
}
END_TEST

/* ---- bad upstreams, vanishing clients ------------------------------------------ */

static void c_unreachable(void *arg) {
  res *r = arg;
  for (int i = 0; i < 2; i++) {
    jnet_stream s;
    jnet_buf b;
    jnet_buf_init(&b);
    r->rc[i] = jnet_connect("127.0.0.1", r->port, JNET_STREAM, NULL, NULL, &s);
    if (r->rc[i] == 0) {
      r->rc[i] = (int)jnet_read(s, 100, &b, 3.0);
      jnet_close(s);
    }
    jnet_buf_free(&b);
  }
}

START_TEST(proxy_upstream_unreachable_resets_each_client) {
  char up[64];
  snprintf(up, sizeof up, "127.0.0.1:%d", rs_free_port(0));
  const char *args[] = {"--upstream", up, NULL};
  px p = proxy_start(args);
  res r = {.port = p.port};
  run_client(c_unreachable, &r, 0, 0);
  ck_assert_int_eq(kill(p.pid, 0), 0); /* still running */
  proxy_stop(&p);
  ck_assert_int_eq(r.rc[0], JNET_ECONNRESET);
  ck_assert_int_eq(r.rc[1], JNET_ECONNRESET);
}
END_TEST

static void c_vanish(void *arg) {
  res *r = arg;
  jnet_stream a, b;
  r->rc[0] = jnet_connect("127.0.0.1", r->port, JNET_STREAM, NULL, NULL, &a);
  r->rc[1] = jnet_connect("127.0.0.1", r->port, JNET_STREAM, NULL, NULL, &b);
  if (r->rc[0] < 0 || r->rc[1] < 0)
    return;
  r->rc[2] = resp_call(a, PING, 1, r->reply[2], sizeof r->reply[2], 2.0);
  /* a goes away in the middle of a request */
  jnet_write(a, "*1\r\n$4\r\nPI", 11, 1.0);
  jnet_close(a);
  jnet_sleep(0.1);
  for (int i = 3; i < 6; i++)
    r->rc[i] = resp_call(b, PING, 1, r->reply[i], sizeof r->reply[i], 2.0);
  jnet_close(b);
}

START_TEST(proxy_client_vanishing_ends_only_its_pair) {
  const char *args[] = {"--upstream", upstream_redis, NULL};
  res r = through_proxy(args, c_vanish);
  for (int i = 0; i < 6; i++)
    ck_assert_int_eq(r.rc[i], 0);
  ck_assert_str_eq(r.reply[5], "+PONG");
}
END_TEST

/* ---- a config file: two proxies, one timeline ------------------------------ */

typedef struct cfg_run {
  char rport[16], hport[16];
  res r;
  size_t body;
  int http_rc;
} cfg_run;

static void c_config(void *arg) {
  cfg_run *c = arg;
  ping_at(&c->r, 0, c->rport, 5.0);
  c->http_rc = http_get(c->hport, "/big.bin", &c->body, NULL, NULL, 10.0);
  jnet_sleep(0.7); /* past "at 0.5s set r latency 100ms" */
  ping_at(&c->r, 1, c->rport, 5.0);
}

START_TEST(proxy_config_runs_two_proxies_and_a_timeline) {
  char path[300];
  snprintf(path, sizeof path, "%s/proxies.conf", tmpdir);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fprintf(f,
          "# two proxies and a timeline\n"
          "seed 3\n"
          "proxy r tcp listen 127.0.0.1:0 upstream %s latency 10ms\n"
          "proxy h tcp listen 127.0.0.1:0 upstream %s\n"
          "at 0.5s set r latency 100ms\n",
          upstream_redis, upstream_http);
  fclose(f);
  char *argv[] = {(char *)PROXY, "--config", path, NULL};
  int fd = -1, ports[2] = {0, 0};
  pid_t pid = rs_spawn(argv, &fd);
  ck_assert_int_gt(pid, 0);
  int n = rs_proxy_ports(fd, 10.0, ports, 2);
  close(fd);
  ck_assert_int_eq(n, 2);
  cfg_run c;
  memset(&c, 0, sizeof c);
  snprintf(c.rport, sizeof c.rport, "%d", ports[0]);
  snprintf(c.hport, sizeof c.hport, "%d", ports[1]);
  run_client(c_config, &c, 0, 0);
  ck_assert_int_eq(rs_stop(pid), 0);
  ck_assert_int_eq(c.r.rc[0], 0);
  ck_assert_msg(c.r.t[0] >= 0.020, "%.3f s", c.r.t[0]);
  ck_assert_int_eq(c.http_rc, 0);
  ck_assert_uint_eq(c.body, BIG_BYTES);
  ck_assert_int_eq(c.r.rc[1], 0);
  ck_assert_msg(c.r.t[1] >= 0.200, "%.3f s", c.r.t[1]);
}
END_TEST

/* ---- capture ---------------------------------------------------------------------- */

/* What a capture holds, TCP over IPv4: segments by kind, and the FINs by
 * direction (to or from `port`, the upstream's); every FIN without payload. */
typedef struct capsum {
  int syn, ping, pong, to_up, fin, fin_to_up, fin_from_up;
} capsum;

static capsum read_capture(const char *path, int port) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t *pc = pcap_open_offline(path, err);
  ck_assert_msg(pc != NULL, "%s", err);
  struct pcap_pkthdr *h;
  const u_char *d;
  capsum c;
  memset(&c, 0, sizeof c);
  while (pcap_next_ex(pc, &h, &d) == 1) {
    if (h->caplen < 40 || (d[0] >> 4) != 4 || d[9] != 6)
      continue;
    size_t ihl = (size_t)(d[0] & 15) * 4, thl = (size_t)(d[ihl + 12] >> 4) * 4;
    int sport = (d[ihl] << 8) | d[ihl + 1];
    int dport = (d[ihl + 2] << 8) | d[ihl + 3];
    if (d[ihl + 13] & 0x02)
      c.syn++;
    const u_char *pl = d + ihl + thl;
    size_t n = h->caplen - ihl - thl;
    if (d[ihl + 13] & 0x01) {
      c.fin++;
      c.fin_to_up += dport == port;
      c.fin_from_up += sport == port;
      ck_assert_msg(n == 0, "a FIN with %zu bytes of payload", n);
    }
    if (memmem(pl, n, "PING", 4) != NULL) {
      c.ping++;
      c.to_up += dport == port;
    }
    if (memmem(pl, n, "PONG", 4) != NULL)
      c.pong++;
  }
  pcap_close(pc);
  return c;
}

START_TEST(proxy_pcap_has_both_legs) {
  char path[300];
  snprintf(path, sizeof path, "%s/proxy.pcap", tmpdir);
  const char *args[] = {"--upstream", upstream_redis, "--pcap", path, NULL};
  res r = through_proxy(args, c_ping_twice);
  ck_assert_int_eq(r.rc[1], 0);
  capsum c = read_capture(path, atoi(REDIS_PORT));
  ck_assert_int_eq(c.syn, 4);   /* SYN and SYN-ACK on each leg */
  ck_assert_int_eq(c.ping, 4);  /* two PINGs, each on both legs */
  ck_assert_int_eq(c.to_up, 2);
  ck_assert_int_eq(c.pong, 4);
  /* the client's close: one FIN each way on each leg, once */
  ck_assert_int_eq(c.fin, 4);
  ck_assert_int_eq(c.fin_to_up, 1);
  ck_assert_int_eq(c.fin_from_up, 1);
}
END_TEST

/* Stopping the proxy with a pair open closes both of its legs: the capture
 * ends with the proxy's FIN to the client and to the upstream. */
typedef struct stop_open {
  const char *pcap;
  res r;
} stop_open;

static void c_stop_with_pair_open(void *arg) {
  stop_open *so = arg;
  const char *args[] = {"--upstream", upstream_redis, "--pcap", so->pcap, NULL};
  px p = proxy_start(args);
  so->r.port = p.port;
  jnet_stream s;
  if (dial(&so->r, &s) < 0)
    return;
  so->r.rc[1] = resp_call(s, PING, 1, so->r.reply[1], sizeof so->r.reply[1],
                          5.0);
  proxy_stop(&p);
  jnet_buf b;
  jnet_buf_init(&b);
  so->r.rc[2] = (int)jnet_read(s, 64, &b, 5.0); /* the proxy's FIN: 0 */
  jnet_buf_free(&b);
  jnet_close(s);
}

START_TEST(proxy_stopped_with_a_pair_open_closes_both_legs) {
  stop_open so;
  memset(&so, 0, sizeof so);
  char path[300];
  snprintf(path, sizeof path, "%s/stop.pcap", tmpdir);
  so.pcap = path;
  run_client(c_stop_with_pair_open, &so, 0, 0);
  ck_assert_int_eq(so.r.rc[0], 0);
  ck_assert_int_eq(so.r.rc[1], 0);
  ck_assert_int_eq(so.r.rc[2], 0);
  capsum c = read_capture(path, atoi(REDIS_PORT));
  ck_assert_int_eq(c.ping, 2);
  ck_assert_int_eq(c.fin, 2);
  ck_assert_int_eq(c.fin_to_up, 1);
  ck_assert_int_eq(c.fin_from_up, 0);
}
END_TEST

/* ---- bad input ---------------------------------------------------------------------- */

START_TEST(proxy_bad_options_and_busy_port_fail_cleanly) {
  char *unknown[] = {(char *)PROXY, "--frobnicate", "1", NULL};
  ck_assert_int_eq(rs_run(unknown, NULL, 0), 2);
  char *badval[] = {(char *)PROXY, "--listen", "127.0.0.1:0", "--upstream",
                    upstream_redis, "--latency", "soon", NULL};
  ck_assert_int_eq(rs_run(badval, NULL, 0), 2);
  char busy[64];
  snprintf(busy, sizeof busy, "127.0.0.1:%s", REDIS_PORT);
  char *inuse[] = {(char *)PROXY, "--listen", busy, "--upstream",
                   upstream_redis, NULL};
  ck_assert_int_eq(rs_run(inuse, NULL, 0), 1);
  char help[8192];
  char *h[] = {(char *)PROXY, "--help", NULL};
  ck_assert_int_eq(rs_run(h, help, sizeof help), 0);
  const char *opts[] = {"--listen", "--upstream", "--udp", "--latency",
                        "--jitter", "--bandwidth", "--loss", "--reset-after",
                        "--blackhole", "--refuse", "--seed", "--pcap",
                        "--config", "--timeline", "--control", "--log"};
  for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
    ck_assert_msg(strstr(help, opts[i]) != NULL, "--help lacks %s", opts[i]);
}
END_TEST

/* ---- the same faults in-process: the fault backend against redis -------- */

static jnet_addr redis_addr(void) {
  jnet_addr a;
  memset(&a, 0, sizeof a);
  a.u.in4.sin_family = AF_INET;
  a.u.in4.sin_port = htons((uint16_t)atoi(REDIS_PORT));
  a.u.in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.len = sizeof a.u.in4;
  return a;
}

static void c_inproc(void *arg) {
  res *r = arg;
  jnet_addr ra = redis_addr();
  ck_assert_int_eq(jnet_faults_set(F, &ra, &r->fp), 0);
  if (r->fp.reset_after_bytes) {
    r->port = REDIS_PORT;
    c_big_set(r);
    return;
  }
  ping_at(r, 0, REDIS_PORT, r->fp.blackhole ? 0.3 : 5.0);
}

START_TEST(inproc_latency_to_redis) {
  res r;
  memset(&r, 0, sizeof r);
  r.fp.link.latency_ns = 50000000;
  run_client(c_inproc, &r, 7, 1);
  ck_assert_int_eq(r.rc[0], 0);
  ck_assert_str_eq(r.reply[0], "+PONG");
  ck_assert_msg(r.t[0] >= 0.100 && r.t[0] < 1.5, "%.3f s", r.t[0]);
}
END_TEST

START_TEST(inproc_reset_to_redis) {
  res r;
  memset(&r, 0, sizeof r);
  r.fp.reset_after_bytes = 65536;
  run_client(c_inproc, &r, 7, 1);
  ck_assert_int_eq(r.rc[0], 0);
  ck_assert_int_eq(r.rc[1], JNET_ECONNRESET);
}
END_TEST

START_TEST(inproc_blackhole_to_redis) {
  res r;
  memset(&r, 0, sizeof r);
  r.fp.blackhole = 1;
  run_client(c_inproc, &r, 7, 1);
  ck_assert_int_eq(r.rc[0], JNET_ETIMEDOUT);
}
END_TEST

/* ---- servers ---------------------------------------------------------------------- */

static int start_servers(void) {
  static char redis_bin[4096], py_bin[4096];
  const char *w = rs_which("redis-server");
  snprintf(redis_bin, sizeof redis_bin, "%s", w ? w : "");
  w = rs_which("python3");
  snprintf(py_bin, sizeof py_bin, "%s", w ? w : "");
  if (redis_bin[0] == 0 || py_bin[0] == 0) {
    printf("SKIP: %s not installed (make deps installs it)\n",
           redis_bin[0] == 0 ? "redis-server" : "python3");
    return 77;
  }
  snprintf(tmpdir, sizeof tmpdir, "/tmp/jnet-realfaults-XXXXXX");
  if (mkdtemp(tmpdir) == NULL)
    return 1;
  char big[300];
  snprintf(big, sizeof big, "%s/big.bin", tmpdir);
  FILE *f = fopen(big, "w");
  if (f == NULL)
    return 1;
  for (int i = 0; i < BIG_BYTES; i++)
    fputc('a' + i % 26, f);
  fclose(f);
  snprintf(REDIS_PORT, sizeof REDIS_PORT, "%d", rs_free_port(0));
  snprintf(HTTP_PORT, sizeof HTTP_PORT, "%d", rs_free_port(0));
  snprintf(upstream_redis, sizeof upstream_redis, "127.0.0.1:%s", REDIS_PORT);
  snprintf(upstream_http, sizeof upstream_http, "127.0.0.1:%s", HTTP_PORT);
  char *rargv[] = {redis_bin, "--port", REDIS_PORT, "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", NULL};
  char *hargv[] = {py_bin, "-m", "http.server", HTTP_PORT, "--bind",
                   "127.0.0.1", "--directory", tmpdir, NULL};
  redis_pid = rs_spawn(rargv, NULL);
  http_pid = rs_spawn(hargv, NULL);
  if (redis_pid < 0 || http_pid < 0 || rs_wait_port(atoi(REDIS_PORT), 10) < 0 ||
      rs_wait_port(atoi(HTTP_PORT), 10) < 0) {
    fprintf(stderr, "test_proxy: could not start redis-server/http.server\n");
    return 1;
  }
  return 0;
}

static void stop_servers(void) {
  rs_stop(redis_pid);
  rs_stop(http_pid);
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (tmpdir[0] != 0 && system(cmd) != 0)
    fprintf(stderr, "test_proxy: could not remove %s\n", tmpdir);
}

/* --- m3-b: the control protocol on one connection, the capture's bytes
 * and sequence numbers, faults each way through the proxy --- */

/* Wait (bounded: 5 s) for a child to exit by itself; its status or -1. */
static int wait_exit(pid_t pid) {
  for (int i = 0; i < 500; i++) {
    int st;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid)
      return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (r < 0)
      return -1;
    usleep(10000);
  }
  return -1;
}

#define NSAY 24

typedef struct say {
  const char *ctl;
  const char *line[NSAY]; /* sent one after another on one connection */
  char reply[NSAY][512];
  int rc[NSAY];
  int long_rc, long_eof, quit_rc;
  char long_reply[64], quit_reply[64];
} say;

/* Send `line` and a newline on c, read to the reply's last line (ok or
 * err) into out. 0 or a JNET_E* code. */
static int say_one(jnet_stream c, const char *line, char *out, size_t n) {
  int rc = jnet_write(c, line, strlen(line), 2.0);
  if (rc == 0)
    rc = jnet_write(c, "\n", 1, 2.0);
  jnet_buf b;
  jnet_buf_init(&b);
  while (rc == 0) {
    ssize_t r = jnet_read(c, 512, &b, 2.0);
    if (r <= 0) {
      rc = r == 0 ? JNET_ECLOSED : (int)r;
      break;
    }
    /* the reply ends with a line that starts "ok" or "err" */
    size_t start = 0;
    for (size_t i = 0; i < b.len; i++)
      if (b.data[i] == '\n') {
        if (strncmp(b.data + start, "ok", 2) == 0 ||
            strncmp(b.data + start, "err", 3) == 0)
          goto done;
        start = i + 1;
      }
  }
done:
  snprintf(out, n, "%.*s", (int)(b.len < n ? b.len : n - 1), b.data);
  jnet_buf_free(&b);
  return rc;
}

static void c_say(void *arg) {
  say *s = arg;
  jnet_stream c;
  int rc = jnet_connect(JNET_UNIX, s->ctl, JNET_STREAM, NULL, NULL, &c);
  for (int i = 0; i < NSAY && s->line[i] != NULL; i++)
    s->rc[i] = rc < 0 ? rc : say_one(c, s->line[i], s->reply[i],
                                     sizeof s->reply[i]);
  if (rc == 0) {
    /* a line longer than the protocol's 1024 bytes: refused, then the
     * connection ends */
    char big[1100];
    memset(big, 'x', sizeof big);
    s->long_rc = jnet_write(c, big, sizeof big, 2.0);
    jnet_buf b;
    jnet_buf_init(&b);
    ssize_t r;
    while ((r = jnet_read(c, 64, &b, 2.0)) > 0)
      ;
    s->long_eof = (int)r;
    snprintf(s->long_reply, sizeof s->long_reply, "%.*s",
             (int)(b.len < 63 ? b.len : 63), b.data);
    jnet_buf_free(&b);
    jnet_close(c);
  }
  if (jnet_connect(JNET_UNIX, s->ctl, JNET_STREAM, NULL, NULL, &c) == 0) {
    s->quit_rc = say_one(c, "quit", s->quit_reply, sizeof s->quit_reply);
    jnet_close(c);
  }
}

#define REPLY(i, want)                                                         \
  ck_assert_msg(s.rc[i] == 0 && strstr(s.reply[i], want) != NULL,             \
                "'%s': rc %d, want '%s' in:\n%s", s.line[i], s.rc[i], want,    \
                s.reply[i])
#define LACKS(i, what)                                                         \
  ck_assert_msg(strstr(s.reply[i], what) == NULL, "'%s': no '%s' in:\n%s",     \
                s.line[i], what, s.reply[i])

/* Every command on one control connection, each answered in turn; what
 * `set` changed, `list` shows, and a refused line changes nothing. A line
 * past 1024 bytes ends the connection with an error; `quit` ends the
 * proxy with status 0. */
START_TEST(proxy_ctl_answers_every_command_on_one_connection) {
  char ctlpath[300];
  snprintf(ctlpath, sizeof ctlpath, "%s/say.sock", tmpdir);
  char *argv[] = {(char *)PROXY, "--listen", "127.0.0.1:0", "--upstream",
                  upstream_redis, "--name", "db", "--control", ctlpath, NULL};
  int fd = -1;
  pid_t pid = rs_spawn(argv, &fd);
  ck_assert_int_gt(pid, 0);
  int port = rs_proxy_port(fd, 10.0);
  close(fd);
  ck_assert_int_gt(port, 0);
  say s;
  memset(&s, 0, sizeof s);
  s.ctl = ctlpath;
  static const char *const lines[] = {
      "ping",
      "set db latency 5ms jitter 1ms jitter-dist normal bandwidth 1mbit "
      "loss 1% duplicate 2% reorder 3% reorder-by 4ms corrupt 4%",
      "set link reset-after 1mb close-after 30s slice 1kb slice-delay 1ms "
      "slow-close 2ms refuse",
      "list",
      "set db latency",
      "set db wobble 1",
      "list",
      "partition db",
      "list",
      "heal",
      "list",
      "clear db",
      "list",
      "reset db",
      "stats",
      "stats nosuch",
      "partition nosuch",
      "frobnicate",
      "",
      "list extra",
      "set",
      "stats bad/name",
      NULL};
  for (int i = 0; lines[i] != NULL; i++)
    s.line[i] = lines[i];
  run_client(c_say, &s, 0, 0);
  int status = wait_exit(pid);
  if (status < 0)
    rs_stop(pid);
  REPLY(0, "ok\n");
  REPLY(1, "ok\n");
  REPLY(2, "ok\n");
  REPLY(3, "db tcp 127.0.0.1:");
  REPLY(3, " latency 5.000ms jitter 1.000ms bandwidth 1000000bit loss 1% "
           "duplicate 2% reorder 3% corrupt 4% refuse reset-after 1048576b "
           "close-after 30.000s slice 1024b slice-delay 1.000ms "
           "slow-close 2.000ms\nok\n");
  REPLY(4, "err latency needs a value");
  REPLY(5, "err unknown fault 'wobble'");
  ck_assert_str_eq(s.reply[6], s.reply[3]); /* the refused sets changed nothing */
  REPLY(7, "ok\n");
  REPLY(8, " blackhole");
  REPLY(9, "ok\n");
  LACKS(10, "blackhole");
  REPLY(10, " latency 5.000ms");
  REPLY(11, "ok\n");
  LACKS(12, "latency");
  LACKS(12, "refuse");
  REPLY(12, "upstream 127.0.0.1:");
  REPLY(13, "ok\n");
  REPLY(14, "db open 0 total 0 up 0 down 0 faults ");
  REPLY(15, "err no proxy named 'nosuch'");
  REPLY(16, "err no proxy named 'nosuch'");
  REPLY(17, "err unknown command 'frobnicate' (set, clear, partition");
  REPLY(18, "err empty command");
  REPLY(19, "err unexpected 'extra'");
  REPLY(20, "err set needs fault options");
  REPLY(21, "err bad proxy name 'bad/name'");
  ck_assert_int_eq(s.long_rc, 0);
  ck_assert_str_eq(s.long_reply, "err line too long\n");
  ck_assert_int_eq(s.long_eof, 0);
  ck_assert_int_eq(s.quit_rc, 0);
  ck_assert_str_eq(s.quit_reply, "ok bye\n");
  ck_assert_int_eq(status, 0);
}
END_TEST

/* One direction of a TCP leg in a capture: its segments' payload in order
 * and the sequence number of each. */
typedef struct capflow {
  int sport, dport;
  uint8_t *bytes;
  size_t len, cap;
  uint32_t seq[4096];
  uint32_t plen[4096];
  int nseg;
  int gaps; /* a segment whose seq is not the previous one's end */
} capflow;

static void capflow_read(const char *path, capflow *fl, int nfl) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t *pc = pcap_open_offline(path, err);
  ck_assert_msg(pc != NULL, "%s", err);
  struct pcap_pkthdr *h;
  const u_char *d;
  while (pcap_next_ex(pc, &h, &d) == 1) {
    if (h->caplen < 40 || (d[0] >> 4) != 4 || d[9] != 6)
      continue;
    size_t ihl = (size_t)(d[0] & 15) * 4, thl = (size_t)(d[ihl + 12] >> 4) * 4;
    int sport = (d[ihl] << 8) | d[ihl + 1];
    int dport = (d[ihl + 2] << 8) | d[ihl + 3];
    uint32_t seq = ((uint32_t)d[ihl + 4] << 24) | ((uint32_t)d[ihl + 5] << 16) |
                   ((uint32_t)d[ihl + 6] << 8) | d[ihl + 7];
    size_t n = h->caplen - ihl - thl;
    for (int i = 0; i < nfl; i++) {
      capflow *f = &fl[i];
      if (sport != f->sport || (f->dport != 0 && dport != f->dport) || n == 0)
        continue;
      if (f->nseg > 0 && seq != f->seq[f->nseg - 1] + f->plen[f->nseg - 1])
        f->gaps++;
      ck_assert_int_lt(f->nseg, 4096);
      f->seq[f->nseg] = seq;
      f->plen[f->nseg++] = (uint32_t)n;
      if (f->len + n > f->cap) {
        f->cap = (f->len + n) * 2;
        f->bytes = realloc(f->bytes, f->cap);
        ck_assert_ptr_nonnull(f->bytes);
      }
      memcpy(f->bytes + f->len, d + ihl + thl, n);
      f->len += n;
    }
  }
  pcap_close(pc);
}

/* A 600 kB HTTP reply through a capturing proxy: the capture holds its
 * bytes exactly, on both legs (reads bigger than one captured segment are
 * split without repeating a byte), and a relayed segment carries the same
 * sequence number on the upstream leg as on the client leg, so one byte
 * can be followed across the proxy. */
START_TEST(proxy_pcap_holds_the_bytes_with_one_numbering_on_both_legs) {
  char path[300];
  snprintf(path, sizeof path, "%s/big.pcap", tmpdir);
  const char *args[] = {"--upstream", upstream_http, "--pcap", path, NULL};
  px p = proxy_start(args);
  res r = {.port = p.port};
  int pport = atoi(p.port);
  run_client(c_http_big, &r, 0, 0);
  proxy_stop(&p);
  ck_assert_int_eq(r.rc[0], 0);
  ck_assert_uint_eq(r.bytes, BIG_BYTES);
  int hport = atoi(HTTP_PORT);
  capflow fl[2];
  memset(fl, 0, sizeof fl);
  fl[0].sport = hport; /* upstream -> proxy */
  fl[1].sport = pport; /* proxy -> client */
  capflow_read(path, fl, 2);
  uint8_t *want = malloc(BIG_BYTES);
  ck_assert_ptr_nonnull(want);
  for (size_t k = 0; k < BIG_BYTES; k++)
    want[k] = (uint8_t)('a' + k % 26);
  for (int i = 0; i < 2; i++) {
    ck_assert_uint_gt(fl[i].len, BIG_BYTES);
    ck_assert_int_eq(fl[i].gaps, 0);
    ck_assert_msg(memcmp(fl[i].bytes + fl[i].len - BIG_BYTES, want,
                         BIG_BYTES) == 0,
                  "leg %d: the captured body differs from the file", i);
  }
  free(want);
  ck_assert_uint_eq(fl[0].len, fl[1].len);
  ck_assert_int_eq(fl[0].nseg, fl[1].nseg);
  for (int k = 0; k < fl[0].nseg; k++) {
    ck_assert_uint_eq(fl[0].seq[k], fl[1].seq[k]);
    ck_assert_uint_eq(fl[0].plen[k], fl[1].plen[k]);
  }
  free(fl[0].bytes);
  free(fl[1].bytes);
}
END_TEST

/* UDP through the proxy: an echo upstream on host:port (replies to each
 * datagram's sender) until its stream closes. */
typedef struct u_echo {
  jnet_stream s;
} u_echo;

static void u_echo_main(void *arg) {
  u_echo *e = arg;
  jnet_buf b;
  jnet_buf_init(&b);
  jnet_addr from;
  for (;;) {
    jnet_buf_reset(&b);
    if (jnet_recv_from(e->s, 64, &b, 5.0, &from) <= 0 ||
        jnet_send_to(e->s, &from, b.data, b.len, 1.0) < 0)
      break;
  }
  jnet_buf_free(&b);
}

/* Send msg from c to host:port and wait up to `wait` s for a reply: 0 and
 * the reply in got, or the error. */
static int u_ask(jnet_stream c, const char *host, const char *port,
                 const char *msg, double wait, char *got, size_t n) {
  jnet_addr dst;
  int rc = jnet_address(host, port, JNET_DATAGRAM, &dst);
  if (rc == 0)
    rc = jnet_send_to(c, &dst, msg, strlen(msg), 1.0);
  if (rc < 0)
    return rc;
  jnet_buf b;
  jnet_buf_init(&b);
  ssize_t r = jnet_recv_from(c, n - 1, &b, wait, NULL);
  if (r >= 0) {
    memcpy(got, b.data, b.len);
    got[b.len] = 0;
  }
  jnet_buf_free(&b);
  return r < 0 ? (int)r : 0;
}

/* Count the IPv4 or IPv6 UDP packets of a capture whose payload is msg. */
static int count_udp(const char *path, const char *msg, int *v6) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t *pc = pcap_open_offline(path, err);
  ck_assert_msg(pc != NULL, "%s", err);
  struct pcap_pkthdr *h;
  const u_char *d;
  int n = 0;
  *v6 = 0;
  size_t len = strlen(msg);
  while (pcap_next_ex(pc, &h, &d) == 1) {
    size_t off;
    if ((d[0] >> 4) == 4 && h->caplen >= 28 && d[9] == 17)
      off = (size_t)(d[0] & 15) * 4 + 8;
    else if ((d[0] >> 4) == 6 && h->caplen >= 48 && d[6] == 17)
      off = 48;
    else
      continue;
    if (h->caplen - off == len && memcmp(d + off, msg, len) == 0) {
      n++;
      *v6 += (d[0] >> 4) == 6;
    }
  }
  pcap_close(pc);
  return n;
}

typedef struct usess {
  const char *pcap;
  int up_port;
  int rc[6];
  char got[6][16];
} usess;

static void c_usess(void *arg) {
  usess *u = arg;
  char up[64], uport[16];
  snprintf(uport, sizeof uport, "%d", u->up_port);
  snprintf(up, sizeof up, "127.0.0.1:%s", uport);
  const char *args[] = {"--udp",       "--upstream", up,    "--max-conns",
                        "1",           "--udp-idle", "0.5s", "--pcap",
                        u->pcap,       NULL};
  px p = proxy_start(args);
  jnet_stream c1, c2;
  ck_assert_int_eq(jnet_listen("127.0.0.1", "0", JNET_DATAGRAM, &c1), 0);
  ck_assert_int_eq(jnet_listen("127.0.0.1", "0", JNET_DATAGRAM, &c2), 0);
  /* no upstream yet: the port answers with ICMP, the session stays */
  u->rc[0] = u_ask(c1, "127.0.0.1", p.port, "a1", 0.1, u->got[0], 16);
  u_echo e;
  ck_assert_int_eq(jnet_listen("127.0.0.1", uport, JNET_DATAGRAM, &e.s), 0);
  ck_assert_int_eq(jnet_go(NULL, u_echo_main, &e), 0);
  u->rc[1] = u_ask(c1, "127.0.0.1", p.port, "a2", 2.0, u->got[1], 16);
  /* one session at most: a second client is not served meanwhile */
  u->rc[2] = u_ask(c2, "127.0.0.1", p.port, "b1", 0.2, u->got[2], 16);
  jnet_sleep(0.6); /* c1's session idles out */
  u->rc[3] = u_ask(c2, "127.0.0.1", p.port, "b2", 2.0, u->got[3], 16);
  jnet_close(c1);
  jnet_close(c2);
  proxy_stop(&p);
  jnet_close(e.s);
}

/* UDP sessions: one per client address, at most --max-conns of them (a
 * datagram past it is dropped, as a full router would), each ended by
 * --udp-idle of silence from the upstream, and kept through the ICMP of an
 * upstream not yet up. Each relayed datagram is in the capture on both
 * legs, each way. */
START_TEST(proxy_udp_sessions_keep_their_limit_idle_time_and_icmp) {
  usess u;
  memset(&u, 0, sizeof u);
  char path[300];
  snprintf(path, sizeof path, "%s/usess.pcap", tmpdir);
  u.pcap = path;
  u.up_port = rs_free_port(1);
  ck_assert_int_gt(u.up_port, 0);
  run_client(c_usess, &u, 0, 0);
  ck_assert_int_eq(u.rc[0], JNET_ETIMEDOUT);
  ck_assert_int_eq(u.rc[1], 0);
  ck_assert_str_eq(u.got[1], "a2");
  ck_assert_int_eq(u.rc[2], JNET_ETIMEDOUT);
  ck_assert_int_eq(u.rc[3], 0);
  ck_assert_str_eq(u.got[3], "b2");
  int v6;
  ck_assert_int_eq(count_udp(path, "a2", &v6), 4);
  ck_assert_int_eq(count_udp(path, "b2", &v6), 4);
  ck_assert_int_eq(count_udp(path, "b1", &v6), 0);
}
END_TEST

typedef struct usix {
  const char *pcap;
  int rc;
  char got[16];
} usix;

static void c_usix(void *arg) {
  usix *u = arg;
  u_echo e;
  jnet_addr a;
  char host[64], up[80];
  int pn;
  ck_assert_int_eq(jnet_listen("::1", "0", JNET_DATAGRAM, &e.s), 0);
  ck_assert_int_eq(jnet_localname(e.s, &a), 0);
  ck_assert_int_eq(jnet_address_unpack(&a, host, sizeof host, &pn), 0);
  snprintf(up, sizeof up, "[::1]:%d", pn);
  const char *args[] = {"--udp",  "--listen", "[::1]:0", "--upstream", up,
                        "--pcap", u->pcap,    NULL};
  px p = proxy_start(args);
  ck_assert_int_eq(jnet_go(NULL, u_echo_main, &e), 0);
  jnet_stream c;
  ck_assert_int_eq(jnet_listen("::1", "0", JNET_DATAGRAM, &c), 0);
  u->rc = u_ask(c, "::1", p.port, "six", 2.0, u->got, sizeof u->got);
  jnet_close(c);
  proxy_stop(&p);
  jnet_close(e.s);
}

/* IPv6 on both legs: the capture holds IPv6 packets, the datagram on each
 * leg each way. */
START_TEST(proxy_udp_over_ipv6_is_captured_as_ipv6) {
  usix u;
  memset(&u, 0, sizeof u);
  char path[300];
  snprintf(path, sizeof path, "%s/six.pcap", tmpdir);
  u.pcap = path;
  run_client(c_usix, &u, 0, 0);
  ck_assert_int_eq(u.rc, 0);
  ck_assert_str_eq(u.got, "six");
  int v6;
  ck_assert_int_eq(count_udp(path, "six", &v6), 4);
  ck_assert_int_eq(v6, 4);
}
END_TEST

static void c_max_conns(void *arg) {
  res *r = arg;
  jnet_stream a, b, c;
  jnet_buf buf;
  jnet_buf_init(&buf);
  r->rc[0] = jnet_connect("127.0.0.1", r->port, JNET_STREAM, NULL, NULL, &a);
  if (r->rc[0] < 0)
    return;
  r->rc[1] = resp_call(a, PING, 1, r->reply[1], sizeof r->reply[1], 2.0);
  /* the second is accepted and closed at once: end of stream */
  r->rc[2] = jnet_connect("127.0.0.1", r->port, JNET_STREAM, NULL, NULL, &b);
  if (r->rc[2] == 0) {
    r->rc[2] = (int)jnet_read(b, 16, &buf, 2.0);
    jnet_close(b);
  }
  jnet_close(a);
  jnet_sleep(0.1); /* the proxy sees a's end */
  r->rc[3] = jnet_connect("127.0.0.1", r->port, JNET_STREAM, NULL, NULL, &c);
  if (r->rc[3] == 0) {
    r->rc[3] = resp_call(c, PING, 1, r->reply[3], sizeof r->reply[3], 2.0);
    jnet_close(c);
  }
  jnet_buf_free(&buf);
}

/* --max-conns 1: a second connection while one is open is closed at once
 * (the client reads end of stream); once the first ends, a new one is
 * served. */
START_TEST(proxy_max_conns_closes_the_connection_past_the_limit) {
  const char *args[] = {"--upstream", upstream_redis, "--max-conns", "1",
                        NULL};
  res r = through_proxy(args, c_max_conns);
  ck_assert_int_eq(r.rc[0], 0);
  ck_assert_int_eq(r.rc[1], 0);
  ck_assert_str_eq(r.reply[1], "+PONG");
  ck_assert_int_eq(r.rc[2], 0);
  ck_assert_int_eq(r.rc[3], 0);
  ck_assert_str_eq(r.reply[3], "+PONG");
}
END_TEST

/* An upstream that refuses: each client is reset and the fault log says
 * why, naming the proxy. */
START_TEST(proxy_refused_upstream_is_logged_by_name) {
  char up[64], logpath[300];
  snprintf(up, sizeof up, "127.0.0.1:%d", rs_free_port(0));
  snprintf(logpath, sizeof logpath, "%s/refused.log", tmpdir);
  const char *args[] = {"--upstream", up, "--name", "gone", "--log", logpath,
                        NULL};
  res r = through_proxy(args, c_unreachable);
  ck_assert_int_eq(r.rc[0], JNET_ECONNRESET);
  char *log = log_faults(logpath);
  ck_assert_msg(strstr(log, " gone upstream ECONNREFUSED\n") != NULL, "%s",
                log);
  free(log);
}
END_TEST

/* Per-datagram faults act both ways through the proxy: on what goes to
 * the upstream and on what comes back. An echo upstream keeps what it
 * got; the client counts what came back. */
#define NDG 8

typedef struct udir {
  const char *fault[4]; /* the proxy's fault options */
  jnet_stream up;
  int up_got, cl_got;
  char up_data[4 * NDG][32], cl_data[4 * NDG][32];
  size_t up_len[4 * NDG], cl_len[4 * NDG];
  double rtt; /* of the first datagram */
  int rc;
  int want; /* replies the fault gives: past them, 0.1 s more for extras */
} udir;

static void udir_echo(void *arg) {
  udir *u = arg;
  jnet_buf b;
  jnet_buf_init(&b);
  jnet_addr from;
  for (;;) {
    jnet_buf_reset(&b);
    if (jnet_recv_from(u->up, 32, &b, 5.0, &from) < 0)
      break;
    if (u->up_got < 4 * NDG) {
      memcpy(u->up_data[u->up_got], b.data, b.len);
      u->up_len[u->up_got++] = b.len;
    }
    if (jnet_send_to(u->up, &from, b.data, b.len, 1.0) < 0)
      break;
  }
  jnet_buf_free(&b);
}

static const char UDIR_MSG[32] = "0123456789abcdefghijklmnopqrstu";

static void c_udir(void *arg) {
  udir *u = arg;
  jnet_addr a, dst;
  char host[64], up[80];
  int pn;
  ck_assert_int_eq(jnet_listen("127.0.0.1", "0", JNET_DATAGRAM, &u->up), 0);
  ck_assert_int_eq(jnet_localname(u->up, &a), 0);
  ck_assert_int_eq(jnet_address_unpack(&a, host, sizeof host, &pn), 0);
  snprintf(up, sizeof up, "127.0.0.1:%d", pn);
  const char *args[10] = {"--udp", "--upstream", up, "--seed", "5"};
  for (int i = 0; i < 4 && u->fault[i] != NULL; i++)
    args[5 + i] = u->fault[i];
  px p = proxy_start(args);
  ck_assert_int_eq(jnet_go(NULL, udir_echo, u), 0);
  jnet_stream c;
  ck_assert_int_eq(jnet_listen("127.0.0.1", "0", JNET_DATAGRAM, &c), 0);
  ck_assert_int_eq(jnet_address("127.0.0.1", p.port, JNET_DATAGRAM, &dst), 0);
  jnet_buf b;
  jnet_buf_init(&b);
  double t0 = jnet_now();
  for (int i = 0; i < NDG && u->rc == 0; i++)
    u->rc = jnet_send_to(c, &dst, UDIR_MSG, sizeof UDIR_MSG, 1.0);
  for (;;) {
    jnet_buf_reset(&b);
    double wait = u->cl_got >= u->want ? 0.1 : 0.4;
    if (jnet_recv_from(c, 32, &b, wait, NULL) < 0)
      break;
    if (u->cl_got == 0)
      u->rtt = jnet_now() - t0;
    if (u->cl_got < 4 * NDG) {
      memcpy(u->cl_data[u->cl_got], b.data, b.len);
      u->cl_len[u->cl_got++] = b.len;
    }
  }
  jnet_buf_free(&b);
  jnet_close(c);
  proxy_stop(&p);
  jnet_close(u->up);
}

static int bits_off(const char *d, size_t n) {
  int k = 0;
  for (size_t i = 0; i < n && i < sizeof UDIR_MSG; i++)
    k += __builtin_popcount((unsigned char)(d[i] ^ UDIR_MSG[i]));
  return k;
}

START_TEST(proxy_udp_faults_act_on_both_directions) {
  /* duplicate 100 %: each datagram twice to the upstream, each of its
   * replies twice back: 2x and 4x */
  udir u;
  memset(&u, 0, sizeof u);
  u.fault[0] = "--duplicate";
  u.fault[1] = "100%";
  u.want = 4 * NDG;
  run_client(c_udir, &u, 0, 0);
  ck_assert_int_eq(u.rc, 0);
  ck_assert_int_eq(u.up_got, 2 * NDG);
  ck_assert_int_eq(u.cl_got, 4 * NDG);
  /* corrupt 100 %: one bit flipped on the way up, one more on the way
   * back (or the same one, flipped back) */
  memset(&u, 0, sizeof u);
  u.fault[0] = "--corrupt";
  u.fault[1] = "1";
  u.want = NDG;
  run_client(c_udir, &u, 0, 0);
  ck_assert_int_eq(u.up_got, NDG);
  ck_assert_int_eq(u.cl_got, NDG);
  int two = 0;
  for (int i = 0; i < NDG; i++) {
    ck_assert_uint_eq(u.up_len[i], sizeof UDIR_MSG);
    ck_assert_int_eq(bits_off(u.up_data[i], u.up_len[i]), 1);
    int k = bits_off(u.cl_data[i], u.cl_len[i]);
    ck_assert_msg(k == 2 || k == 0, "reply %d: %d bits off", i, k);
    two += k == 2;
  }
  ck_assert_int_ge(two, NDG - 1);
  /* reorder 100 % by 100 ms: held back that long each way */
  memset(&u, 0, sizeof u);
  u.fault[0] = "--reorder";
  u.fault[1] = "100%";
  u.fault[2] = "--reorder-by";
  u.fault[3] = "100ms";
  u.want = NDG;
  run_client(c_udir, &u, 0, 0);
  ck_assert_int_eq(u.cl_got, NDG);
  ck_assert_msg(u.rtt >= 0.2 && u.rtt < 1.5, "round trip %.3f s", u.rtt);
}
END_TEST

/* --refuse: the proxy cannot reach its upstream, so each client is reset;
 * --close-after: the upstream leg ends after that long, and the client
 * reads end of stream. */
static void c_close_after(void *arg) {
  res *r = arg;
  jnet_stream s;
  if (dial(r, &s) < 0)
    return;
  r->rc[1] = resp_call(s, PING, 1, r->reply[1], sizeof r->reply[1], 2.0);
  jnet_buf b;
  jnet_buf_init(&b);
  double t0 = jnet_now();
  r->rc[2] = (int)jnet_read(s, 64, &b, 3.0);
  r->t[2] = jnet_now() - t0;
  jnet_buf_free(&b);
  jnet_close(s);
}

START_TEST(proxy_refuse_resets_and_close_after_ends_the_stream) {
  const char *refuse[] = {"--upstream", upstream_redis, "--refuse", NULL};
  res r = through_proxy(refuse, c_unreachable);
  ck_assert_int_eq(r.rc[0], JNET_ECONNRESET);
  ck_assert_int_eq(r.rc[1], JNET_ECONNRESET);
  const char *close_after[] = {"--upstream", upstream_redis, "--close-after",
                               "300ms", NULL};
  r = through_proxy(close_after, c_close_after);
  ck_assert_int_eq(r.rc[0], 0);
  ck_assert_int_eq(r.rc[1], 0);
  ck_assert_str_eq(r.reply[1], "+PONG");
  ck_assert_int_eq(r.rc[2], 0); /* end of stream */
  ck_assert_msg(r.t[2] > 0.1 && r.t[2] < 2.0, "after %.3f s", r.t[2]);
}
END_TEST

/* A sink upstream: reads `want` bytes (noting when the first and last
 * came), writes `back` bytes, then waits for the end. */
typedef struct tsink {
  jnet_stream lsn;
  size_t want, back, got, got_back;
  double first, last, back_first, back_last;
  int rc;
} tsink;

static void tsink_main(void *arg) {
  tsink *k = arg;
  jnet_stream c;
  if ((k->rc = jnet_accept(k->lsn, 5.0, &c)) < 0)
    return;
  jnet_buf b;
  jnet_buf_init(&b);
  while (k->got < k->want) {
    jnet_buf_reset(&b);
    ssize_t r = jnet_read(c, 65536, &b, 5.0);
    if (r <= 0) {
      k->rc = r < 0 ? (int)r : JNET_ECLOSED;
      break;
    }
    if (k->got == 0)
      k->first = jnet_now();
    k->got += (size_t)r;
    k->last = jnet_now();
  }
  char *blob = calloc(1, k->back);
  if (k->rc == 0 && k->back > 0)
    k->rc = jnet_write(c, blob, k->back, 5.0);
  free(blob);
  jnet_buf_reset(&b);
  (void)jnet_read(c, 16, &b, 5.0);
  jnet_buf_free(&b);
  jnet_close(c);
}

typedef struct tdir {
  const char *fault[4];
  tsink k;
  int rc;
} tdir;

static void c_tdir(void *arg) {
  tdir *t = arg;
  jnet_addr a;
  char host[64], up[80];
  int pn;
  ck_assert_int_eq(jnet_listen("127.0.0.1", "0", JNET_STREAM, &t->k.lsn), 0);
  ck_assert_int_eq(jnet_localname(t->k.lsn, &a), 0);
  ck_assert_int_eq(jnet_address_unpack(&a, host, sizeof host, &pn), 0);
  snprintf(up, sizeof up, "127.0.0.1:%d", pn);
  const char *args[8] = {"--upstream", up};
  for (int i = 0; i < 4 && t->fault[i] != NULL; i++)
    args[2 + i] = t->fault[i];
  px p = proxy_start(args);
  ck_assert_int_eq(jnet_go(NULL, tsink_main, &t->k), 0);
  jnet_stream s;
  t->rc = jnet_connect("127.0.0.1", p.port, JNET_STREAM, NULL, NULL, &s);
  if (t->rc == 0) {
    char *blob = calloc(1, t->k.want);
    t->rc = jnet_write(s, blob, t->k.want, 5.0);
    free(blob);
    jnet_buf b;
    jnet_buf_init(&b);
    while (t->rc == 0 && t->k.got_back < t->k.back) {
      jnet_buf_reset(&b);
      ssize_t r = jnet_read(s, 65536, &b, 5.0);
      if (r <= 0) {
        t->rc = r < 0 ? (int)r : JNET_ECLOSED;
        break;
      }
      if (t->k.got_back == 0)
        t->k.back_first = jnet_now();
      t->k.got_back += (size_t)r;
      t->k.back_last = jnet_now();
    }
    jnet_buf_free(&b);
    jnet_close(s);
  }
  jnet_sleep(0.05); /* the sink sees the end */
  proxy_stop(&p);
  jnet_close(t->k.lsn);
}

/* --slice acts on what goes to the upstream only: 1000 bytes in 100-byte
 * segments 20 ms apart take about 180 ms to arrive, and 1000 bytes back
 * arrive at once. --bandwidth paces the upload too (the download is
 * proxy_bandwidth_caps_http_within_20_percent). */
START_TEST(proxy_slice_acts_upstream_only_and_bandwidth_paces_uploads) {
  tdir t;
  memset(&t, 0, sizeof t);
  t.fault[0] = "--slice";
  t.fault[1] = "100";
  t.fault[2] = "--slice-delay";
  t.fault[3] = "20ms";
  t.k.want = 1000;
  t.k.back = 1000;
  run_client(c_tdir, &t, 0, 0);
  ck_assert_int_eq(t.rc, 0);
  ck_assert_int_eq(t.k.rc, 0);
  ck_assert_uint_eq(t.k.got, 1000);
  ck_assert_uint_eq(t.k.got_back, 1000);
  double up_s = t.k.last - t.k.first, back_s = t.k.back_last - t.k.back_first;
  /* 9 pauses of 20 ms; the first segment may be read late */
  ck_assert_msg(up_s >= 0.14 && up_s < 2.0, "up over %.3f s", up_s);
  ck_assert_msg(back_s < 0.1, "back over %.3f s", back_s);
  memset(&t, 0, sizeof t);
  t.fault[0] = "--bandwidth";
  t.fault[1] = "8mbit";
  t.k.want = 300000;
  run_client(c_tdir, &t, 0, 0);
  ck_assert_int_eq(t.rc, 0);
  ck_assert_uint_eq(t.k.got, 300000);
  double s = t.k.last - t.k.first; /* 1 MB/s: 0.3 s */
  ck_assert_msg(s >= 0.24 && s < 3.0, "300 kB up in %.3f s", s);
}
END_TEST

/* Out of descriptors (a hard limit of 20 the proxy cannot raise): a
 * connection past the limit waits in the backlog, unserved, or, accepted
 * with no descriptor left for its upstream leg, is reset; once clients
 * close, the proxy goes on: each waiting connection is served, or reset
 * if the proxy took it while a closed pair had freed one descriptor of
 * its two (a race of the proxy's turns, seen in ~1 run of 10), never left
 * waiting; a new connection is served. */
#define NFD_CONNS 8

typedef struct fdrun {
  const char *port;
  int rc_first[NFD_CONNS], rc_late[NFD_CONNS], rc_after;
} fdrun;

static void c_fd_limit(void *arg) {
  fdrun *f = arg;
  jnet_stream s[NFD_CONNS];
  char reply[64];
  for (int i = 0; i < NFD_CONNS; i++) {
    f->rc_first[i] =
        jnet_connect("127.0.0.1", f->port, JNET_STREAM, NULL, NULL, &s[i]);
    if (f->rc_first[i] == 0)
      f->rc_first[i] = resp_call(s[i], PING, 1, reply, sizeof reply, 0.2);
  }
  /* close the served ones: their descriptors go back to the proxy */
  for (int i = 0; i < NFD_CONNS; i++)
    if (f->rc_first[i] == 0 || f->rc_first[i] == JNET_ECONNRESET)
      jnet_close(s[i]);
  for (int i = 0; i < NFD_CONNS; i++) {
    if (f->rc_first[i] == 0 || f->rc_first[i] == JNET_ECONNRESET)
      continue;
    /* the PING sent before is answered now, then this one */
    f->rc_late[i] = resp_call(s[i], PING, 1, reply, sizeof reply, 3.0);
    jnet_close(s[i]);
  }
  jnet_stream c;
  f->rc_after = jnet_connect("127.0.0.1", f->port, JNET_STREAM, NULL, NULL, &c);
  if (f->rc_after == 0) {
    f->rc_after = resp_call(c, PING, 1, reply, sizeof reply, 3.0);
    jnet_close(c);
  }
}

START_TEST(proxy_out_of_descriptors_waits_then_serves) {
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "ulimit -n 20 && exec '%s' --listen 127.0.0.1:0 --upstream %s",
           PROXY, upstream_redis);
  char *argv[] = {"/bin/sh", "-c", cmd, NULL};
  int fd = -1;
  pid_t pid = rs_spawn(argv, &fd);
  ck_assert_int_gt(pid, 0);
  int port = rs_proxy_port(fd, 10.0);
  close(fd);
  ck_assert_int_gt(port, 0);
  char ports[16];
  snprintf(ports, sizeof ports, "%d", port);
  fdrun f;
  memset(&f, 0, sizeof f);
  f.port = ports;
  run_client(c_fd_limit, &f, 0, 0);
  ck_assert_int_eq(rs_stop(pid), 0);
  int served = 0, waited = 0, reset = 0;
  for (int i = 0; i < NFD_CONNS; i++) {
    if (f.rc_first[i] == 0) {
      served++;
    } else if (f.rc_first[i] == JNET_ECONNRESET) {
      reset++;
    } else {
      ck_assert_int_eq(f.rc_first[i], JNET_ETIMEDOUT);
      ck_assert_msg(f.rc_late[i] == 0 || f.rc_late[i] == JNET_ECONNRESET,
                    "conn %d waited, then %s", i, jnet_err_name(f.rc_late[i]));
      waited++;
    }
  }
  ck_assert_int_gt(served, 0);
  ck_assert_int_gt(waited + reset, 0); /* the limit was reached */
  ck_assert_int_eq(f.rc_after, 0);
}
END_TEST

/* A control client that stays connected does not hold the proxy up: on
 * SIGTERM the proxy ends the connection and exits at once, status 0. */
typedef struct hold {
  const char *ctl;
  pid_t pid;
  int rc, status, eof;
} hold;

static void c_hold(void *arg) {
  hold *h = arg;
  jnet_stream c;
  h->rc = jnet_connect(JNET_UNIX, h->ctl, JNET_STREAM, NULL, NULL, &c);
  if (h->rc < 0)
    return;
  char reply[64];
  h->rc = say_one(c, "ping", reply, sizeof reply); /* served, then idle */
  kill(h->pid, SIGTERM);
  h->status = wait_exit(h->pid); /* this fiber blocks: the client idles */
  jnet_buf b;
  jnet_buf_init(&b);
  h->eof = (int)jnet_read(c, 16, &b, 2.0);
  jnet_buf_free(&b);
  jnet_close(c);
}

START_TEST(proxy_exits_on_sigterm_with_a_control_client_connected) {
  char ctlpath[300];
  snprintf(ctlpath, sizeof ctlpath, "%s/hold.sock", tmpdir);
  char *argv[] = {(char *)PROXY, "--listen", "127.0.0.1:0", "--upstream",
                  upstream_redis, "--control", ctlpath, NULL};
  int fd = -1;
  hold h = {.ctl = ctlpath, .status = -1};
  h.pid = rs_spawn(argv, &fd);
  ck_assert_int_gt(h.pid, 0);
  int port = rs_proxy_port(fd, 10.0);
  close(fd);
  ck_assert_int_gt(port, 0);
  run_client(c_hold, &h, 0, 0);
  if (h.status < 0)
    rs_stop(h.pid);
  ck_assert_int_eq(h.rc, 0);
  ck_assert_msg(h.status == 0, "exit status %d (-1: still running after 5 s)",
                h.status);
  ck_assert_int_eq(h.eof, 0); /* the proxy ended the connection */
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("realfaults-proxy");
  jc_defaults(30, NULL, NULL);
  JC_TEST(s, proxy_latency_adds_both_one_way_delays);
  JC_TEST(s, proxy_reset_after_bytes_gives_client_econnreset);
  JC_TEST(s, proxy_blackhole_gives_etimedout);
  JC_TEST(s, proxy_bandwidth_caps_http_within_20_percent);
  JC_TEST(s, proxy_udp_loss_within_bounds_same_seed_same_log);
  JC_TEST(s, proxy_udp_replies_reach_the_client);
  JC_TEST(s, proxy_timeline_partitions_ctl_heals);
  JC_TEST(s, proxy_upstream_unreachable_resets_each_client);
  JC_TEST(s, proxy_client_vanishing_ends_only_its_pair);
  JC_TEST(s, proxy_config_runs_two_proxies_and_a_timeline);
  JC_TEST(s, proxy_pcap_has_both_legs);
  JC_TEST(s, proxy_stopped_with_a_pair_open_closes_both_legs);
  JC_TEST(s, proxy_bad_options_and_busy_port_fail_cleanly);
  jc_defaults(30, NULL, NULL);
  JC_TEST(s, inproc_latency_to_redis);
  JC_TEST(s, inproc_reset_to_redis);
  JC_TEST(s, inproc_blackhole_to_redis);
  JC_TEST(s, proxy_ctl_answers_every_command_on_one_connection);
  JC_TEST(s, proxy_pcap_holds_the_bytes_with_one_numbering_on_both_legs);
  JC_TEST(s, proxy_udp_sessions_keep_their_limit_idle_time_and_icmp);
  JC_TEST(s, proxy_udp_over_ipv6_is_captured_as_ipv6);
  JC_TEST(s, proxy_max_conns_closes_the_connection_past_the_limit);
  JC_TEST(s, proxy_refused_upstream_is_logged_by_name);
  JC_TEST(s, proxy_udp_faults_act_on_both_directions);
  JC_TEST(s, proxy_refuse_resets_and_close_after_ends_the_stream);
  JC_TEST(s, proxy_slice_acts_upstream_only_and_bandwidth_paces_uploads);
  JC_TEST(s, proxy_out_of_descriptors_waits_then_serves);
  JC_TEST(s, proxy_exits_on_sigterm_with_a_control_client_connected);
  return s;
}

int main(int argc, char **argv) {
  /* The proxy binary: argv[1] (ctest passes it), else the one this build
   * made (so `JNET_CHECK_LIST=1 test_proxy` and CK_RUN_CASE work bare). */
  PROXY = argc >= 2 ? argv[1] : JNET_PROXY_BIN;
  signal(SIGPIPE, SIG_IGN);
  Suite *s = suite();
  /* listing, or an unknown CK_RUN_CASE (check-by-name asks both while the
   * suite may run beside it): answer without starting servers */
  if (jc_nothing_to_run())
    return jc_run(s);
  int rc = start_servers();
  if (rc != 0) {
    srunner_free(srunner_create(s)); /* frees the suite unrun */
    return rc;
  }
  int failed = jc_run(s);
  stop_servers();
  return failed;
}
