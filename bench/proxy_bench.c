/* proxy_bench.c — jnet-proxy with no faults against the same traffic
 * direct, in one run (issue 16's targets).
 *
 *   proxy_bench PATH-TO-jnet-proxy [seconds=0.3] [rounds=5] [pairs=500]
 *
 * A child process serves an echo port and a sink port (jnet on uv); a
 * jnet-proxy child fronts each. In alternating rounds, 4 client fibers do
 * 64-byte echo round trips for `seconds`, direct then through the proxy;
 * one fiber writes 64 KiB buffers to the sink through the proxy. Then
 * `pairs` connections are opened through the proxy, each completing one
 * round trip, and the proxy's resident memory is read before and after.
 * Prints:
 *   proxy_echo_rtt_per_s, direct_echo_rtt_per_s   (medians over rounds)
 *   proxy_echo_vs_direct_ratio   median of the per-round ratios
 *   proxy_bulk_mb_s              10^6 bytes/s through the proxy (median)
 *   proxy_pair_bytes             proxy RSS growth per open pair, including
 *                                the pages its buffers touched
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include <jnet/jnet.h>

#define MSG_BYTES 64
#define BULK_BYTES (64 * 1024)
#define NCONNS 4
#define MAX_ROUNDS 32

/* ---- the server child: echo and sink ------------------------------------ */

static void echo_conn(jnet_stream c, void *arg) {
  (void)arg;
  jnet_buf b;
  jnet_buf_init(&b);
  while (jnet_read(c, 4096, &b, JNET_FOREVER) > 0) {
    if (jnet_write(c, b.data, b.len, JNET_FOREVER) < 0)
      break;
    jnet_buf_reset(&b);
  }
  jnet_buf_free(&b);
}

static void sink_conn(jnet_stream c, void *arg) {
  (void)arg;
  jnet_buf b;
  jnet_buf_init(&b);
  while (jnet_read(c, BULK_BYTES, &b, JNET_FOREVER) > 0)
    jnet_buf_reset(&b);
  jnet_buf_free(&b);
}

static int ports_pipe[2];

static void server_main(void *arg) {
  (void)arg;
  jnet_stream e, s;
  jnet_addr a;
  char host[64];
  int pe = 0, ps = 0;
  if (jnet_server("127.0.0.1", "0", echo_conn, NULL, JNET_STREAM, &e) < 0 ||
      jnet_server("127.0.0.1", "0", sink_conn, NULL, JNET_STREAM, &s) < 0)
    exit(1);
  jnet_localname(e, &a);
  jnet_address_unpack(&a, host, sizeof host, &pe);
  jnet_localname(s, &a);
  jnet_address_unpack(&a, host, sizeof host, &ps);
  int ports[2] = {pe, ps};
  if (write(ports_pipe[1], ports, sizeof ports) != (ssize_t)sizeof ports)
    exit(1);
  close(ports_pipe[1]);
}

static pid_t start_server(int *echo_port, int *sink_port) {
  if (pipe(ports_pipe) < 0)
    return -1;
  pid_t pid = fork();
  if (pid == 0) {
    const jnet_backend *b = jnet_backend_uv();
    jnet_loop *l;
    if (b == NULL || jnet_loop_new(&l, b) < 0)
      _exit(1);
    jnet_loop_set_stack_size(l, 16 * 1024);
    jnet_go(l, server_main, NULL);
    jnet_run(l);
    _exit(0);
  }
  close(ports_pipe[1]);
  int ports[2];
  if (read(ports_pipe[0], ports, sizeof ports) != (ssize_t)sizeof ports)
    return -1;
  close(ports_pipe[0]);
  *echo_port = ports[0];
  *sink_port = ports[1];
  return pid;
}

/* ---- the proxy child ----------------------------------------------------- */

static pid_t start_proxy(const char *bin, int upstream, int *port) {
  int p[2];
  if (pipe(p) < 0)
    return -1;
  char up[32];
  snprintf(up, sizeof up, "127.0.0.1:%d", upstream);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(p[1], 1);
    close(p[0]);
    execl(bin, bin, "--listen", "127.0.0.1:0", "--upstream", up, (char *)NULL);
    _exit(127);
  }
  close(p[1]);
  FILE *f = fdopen(p[0], "r");
  char line[512];
  *port = -1;
  while (f != NULL && fgets(line, sizeof line, f) != NULL) {
    char name[64], proto[8], hp[300];
    if (sscanf(line, "listening %63s %7s %299s", name, proto, hp) == 3)
      *port = atoi(strrchr(hp, ':') + 1);
    if (strncmp(line, "ready", 5) == 0)
      break;
  }
  if (f != NULL)
    fclose(f);
  return *port > 0 ? pid : -1;
}

static long rss_bytes(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  long kib = 0;
  if (f == NULL)
    return 0;
  while (fgets(line, sizeof line, f) != NULL)
    if (strncmp(line, "VmRSS:", 6) == 0)
      kib = strtol(line + 6, NULL, 10);
  fclose(f);
  return kib * 1024;
}

/* ---- clients --------------------------------------------------------------- */

typedef struct job {
  char port[16];
  double until;
  int done;
  uint64_t count; /* round trips, or bytes */
  int failed;
  int npairs;
  jnet_stream *held;
} job;

static void echo_client(void *arg) {
  job *j = arg;
  jnet_stream s;
  char msg[MSG_BYTES];
  memset(msg, 'e', sizeof msg);
  jnet_buf b;
  jnet_buf_init(&b);
  if (jnet_connect("127.0.0.1", j->port, JNET_STREAM, NULL, NULL, &s) < 0) {
    j->failed = 1;
    return;
  }
  while (bench_wall_s() < j->until) {
    if (jnet_write(s, msg, sizeof msg, 5.0) < 0 ||
        jnet_chunk(s, MSG_BYTES, &b, 5.0) != MSG_BYTES) {
      j->failed = 1;
      break;
    }
    jnet_buf_reset(&b);
    j->count++;
  }
  jnet_buf_free(&b);
  jnet_close(s);
}

static void bulk_client(void *arg) {
  job *j = arg;
  jnet_stream s;
  static char buf[BULK_BYTES];
  if (jnet_connect("127.0.0.1", j->port, JNET_STREAM, NULL, NULL, &s) < 0) {
    j->failed = 1;
    return;
  }
  while (bench_wall_s() < j->until) {
    if (jnet_write(s, buf, sizeof buf, 5.0) < 0) {
      j->failed = 1;
      break;
    }
    j->count += sizeof buf;
  }
  jnet_close(s);
}

/* Open npairs connections, one round trip each, and keep them open. */
static void pairs_client(void *arg) {
  job *j = arg;
  jnet_buf b;
  jnet_buf_init(&b);
  for (int i = 0; i < j->npairs; i++) {
    if (jnet_connect("127.0.0.1", j->port, JNET_STREAM, NULL, NULL,
                     &j->held[i]) < 0 ||
        jnet_write(j->held[i], "ping", 4, 5.0) < 0 ||
        jnet_chunk(j->held[i], 4, &b, 5.0) != 4) {
      j->failed = 1;
      j->npairs = i;
      break;
    }
    jnet_buf_reset(&b);
  }
  jnet_buf_free(&b);
}

static void run(void (*fn)(void *), job *j, int nfibers) {
  const jnet_backend *b = jnet_backend_uv();
  jnet_loop *l;
  if (b == NULL || jnet_loop_new(&l, b) < 0)
    exit(1);
  for (int i = 0; i < nfibers; i++)
    jnet_go(l, fn, j);
  jnet_run(l);
  jnet_loop_free(l);
  jnet_backend_free(b);
}

static double echo_rate(int port, double secs) {
  job j;
  memset(&j, 0, sizeof j);
  snprintf(j.port, sizeof j.port, "%d", port);
  double t0 = bench_wall_s();
  j.until = t0 + secs;
  run(echo_client, &j, NCONNS);
  double t = bench_wall_s() - t0;
  return j.failed ? 0 : (double)j.count / t;
}

static double bulk_rate(int port, double secs) {
  job j;
  memset(&j, 0, sizeof j);
  snprintf(j.port, sizeof j.port, "%d", port);
  double t0 = bench_wall_s();
  j.until = t0 + secs;
  run(bulk_client, &j, 1);
  double t = bench_wall_s() - t0;
  return j.failed ? 0 : (double)j.count / t / 1e6;
}

/* Keep the connections open while the proxy's memory is read: the client
 * loop runs in a child that waits for a byte on a pipe. */
static long pair_bytes(pid_t proxy, int port, int npairs) {
  int go[2], ready[2];
  if (pipe(go) < 0 || pipe(ready) < 0)
    return -1;
  long before = rss_bytes(proxy);
  pid_t pid = fork();
  if (pid == 0) {
    job j;
    memset(&j, 0, sizeof j);
    snprintf(j.port, sizeof j.port, "%d", port);
    j.npairs = npairs;
    j.held = calloc((size_t)npairs, sizeof *j.held);
    const jnet_backend *b = jnet_backend_uv();
    jnet_loop *l;
    if (b == NULL || jnet_loop_new(&l, b) < 0)
      _exit(1);
    jnet_go(l, pairs_client, &j);
    jnet_run(l);
    int n = j.failed ? -1 : j.npairs;
    if (write(ready[1], &n, sizeof n) != (ssize_t)sizeof n)
      _exit(1);
    char c;
    if (read(go[0], &c, 1) < 0)
      _exit(1);
    _exit(0); /* the kernel closes the connections */
  }
  int n = -1;
  if (read(ready[0], &n, sizeof n) != (ssize_t)sizeof n)
    n = -1;
  usleep(100000); /* let the proxy finish its upstream connects */
  long after = rss_bytes(proxy);
  if (write(go[1], "x", 1) != 1)
    n = -1;
  waitpid(pid, NULL, 0);
  close(go[0]);
  close(go[1]);
  close(ready[0]);
  close(ready[1]);
  return n > 0 ? (after - before) / n : -1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PATH-TO-jnet-proxy [seconds] [rounds] "
                    "[pairs]\n", argv[0]);
    return 2;
  }
  const char *bin = argv[1];
  double secs = argc > 2 ? atof(argv[2]) : 0.3;
  int rounds = argc > 3 ? atoi(argv[3]) : 5;
  int npairs = argc > 4 ? atoi(argv[4]) : 500;
  if (rounds < 1 || rounds > MAX_ROUNDS || !(secs > 0) || npairs < 1)
    return 2;
  /* the pairs need descriptors: raise the soft limit (children inherit) */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  signal(SIGPIPE, SIG_IGN);
  int echo_port, sink_port, pecho, psink;
  pid_t srv = start_server(&echo_port, &sink_port);
  pid_t p1 = srv > 0 ? start_proxy(bin, echo_port, &pecho) : -1;
  pid_t p2 = srv > 0 ? start_proxy(bin, sink_port, &psink) : -1;
  int rc = 1;
  if (srv > 0 && p1 > 0 && p2 > 0) {
    double direct[MAX_ROUNDS], proxied[MAX_ROUNDS], ratio[MAX_ROUNDS],
        bulk[MAX_ROUNDS];
    for (int i = 0; i < rounds; i++) {
      direct[i] = echo_rate(echo_port, secs);
      proxied[i] = echo_rate(pecho, secs);
      ratio[i] = direct[i] > 0 ? proxied[i] / direct[i] : 0;
      bulk[i] = bulk_rate(psink, secs);
    }
    bench_result("direct_echo_rtt_per_s", bench_median(direct, rounds), "rt/s");
    bench_result("proxy_echo_rtt_per_s", bench_median(proxied, rounds),
                 "rt/s");
    bench_result("proxy_echo_vs_direct_ratio", bench_median(ratio, rounds),
                 "x");
    bench_result("proxy_bulk_mb_s", bench_median(bulk, rounds), "MB/s");
    long per = pair_bytes(p1, pecho, npairs);
    if (per > 0)
      bench_result("proxy_pair_bytes", (double)per, "B");
    rc = 0;
  } else {
    fprintf(stderr, "proxy_bench: could not start the server or proxies\n");
  }
  if (p1 > 0)
    kill(p1, SIGTERM);
  if (p2 > 0)
    kill(p2, SIGTERM);
  if (srv > 0)
    kill(srv, SIGTERM);
  while (wait(NULL) > 0)
    ;
  return rc;
}
