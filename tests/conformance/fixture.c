/* fixture.c — the conformance fixture: picks the backend (uv, or sim with
 * CONF_SIM=1), runs a test's main fiber, checks recorded results on the
 * main stack, and closes everything after. Shared helpers for fibers. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"
#include "jnet_check.h"
#if CONF_SIM
#include <jnet/jnet_sim.h>
#endif

#define CONF_MAX_PATHS 8

static conf the_conf;
static char made_paths[CONF_MAX_PATHS][128];
static int n_made_paths;
static int name_counter;
static int silent_fds[2] = {-1, -1}; /* conf_silent_peer's (uv) */
#if CONF_SIM
const char *const conf_backend_name = "sim";
static jnet_sim *the_sim;
#else
const char *const conf_backend_name = "uv";
static const jnet_backend *the_backend;
#endif

/* Under CK_FORK=no a failed check leaves its test's loop behind; free it,
 * or it would stay the thread's current loop for the next test. */
static void free_leftovers(conf *t) {
  if (t->loop != NULL)
    jnet_loop_free(t->loop);
  t->loop = NULL;
  for (int i = 0; i < CONF_BUFS; i++)
    jnet_buf_free(&t->buf[i]);
  free(t->big);
  t->big = NULL;
#if CONF_SIM
  jnet_sim_free(the_sim);
  the_sim = NULL;
#else
  if (the_backend != NULL)
    jnet_backend_free(the_backend);
  the_backend = NULL;
#endif
  for (int i = 0; i < n_made_paths; i++)
    unlink(made_paths[i]);
  n_made_paths = 0;
  for (int i = 0; i < 2; i++) {
    if (silent_fds[i] >= 0)
      close(silent_fds[i]);
    silent_fds[i] = -1;
  }
}

conf *conf_open(void) {
  conf *t = &the_conf;
  free_leftovers(t);
  memset(t, 0, sizeof *t);
  for (int i = 0; i < CONF_SLOTS; i++)
    t->r[i] = CONF_UNSET;
  for (int i = 0; i < CONF_BUFS; i++)
    jnet_buf_init(&t->buf[i]);
#if CONF_SIM
  static const char *const addrs[] = {"192.0.2.1", "2001:db8::1", NULL};
  jnet_node *node;
  ck_assert_int_eq(jnet_sim_new(&the_sim, 1), 0);
  ck_assert_int_eq(jnet_sim_host(the_sim, "local", addrs, &node), 0);
  /* A broken run ends with an error instead of spinning on virtual time. */
  jnet_sim_set_limits(the_sim, 3600 * JNET_SIM_S, 0);
  ck_assert_int_eq(jnet_loop_new(&t->loop, jnet_sim_backend(the_sim)), 0);
#else
  the_backend = jnet_backend_uv();
  ck_assert_ptr_nonnull(the_backend);
  ck_assert_int_eq(jnet_loop_new(&t->loop, the_backend), 0);
#endif
  ck_assert_ptr_nonnull(t->loop);
  return t;
}

const jnet_backend *conf_backend(void) {
#if CONF_SIM
  return jnet_sim_backend(the_sim);
#else
  return the_backend;
#endif
}

void conf_run(conf *t, jnet_fiber_fn fn) {
  ck_assert_int_eq(jnet_go(t->loop, fn, t), 0);
  int rc = jnet_run(t->loop);
  ck_assert_msg(rc == 0, "[%s] jnet_run returned %d (%s)", conf_backend_name,
                rc, jnet_err_name(rc));
}

void conf_close(conf *t) {
  ck_assert_msg(t->done, "[%s] the test's main fiber did not finish",
                conf_backend_name);
  if (t->loop == NULL) { /* the test closed it (t_loopclose.c) */
    free_leftovers(t);
    return;
  }
  for (int i = 0; i < CONF_STREAMS; i++)
    if (!JNET_SAME(t->s[i], JNET_NOSTREAM))
      ck_assert_int_eq(jnet_close(t->s[i]), 0); /* 0 also when closed */
  int rc = jnet_run(t->loop);
  ck_assert_msg(rc == 0, "[%s] final jnet_run returned %d (%s)",
                conf_backend_name, rc, jnet_err_name(rc));
  rc = jnet_run_once(t->loop);
  ck_assert_msg(rc == 0, "[%s] loop not idle after closing: run_once %d",
                conf_backend_name, rc);
  /* nothing left behind: no fiber, no request, no open stream */
  rc = jnet_loop_close(t->loop);
  if (rc == 0)
    t->loop = NULL;
  ck_assert_msg(rc == 0, "[%s] jnet_loop_close: %d (%s): %zu fibers left",
                conf_backend_name, rc, jnet_err_name(rc),
                jnet_loop_fibers(t->loop));
  free_leftovers(t);
}

void conf_rec(conf *t, int i, long v, const char *what) {
  if (i < 0 || i >= CONF_SLOTS)
    return;
  t->r[i] = v;
  t->what[i] = what;
}

static const char *code_name(long v) {
  if (v == CONF_UNSET)
    return "never recorded";
  if (v < 0 && v > INT_MIN)
    return jnet_err_name((int)v);
  return "";
}

void conf_expect(conf *t, int i, long want, const char *want_text,
                 const char *file, int line) {
  long got = t->r[i];
  if (got == want)
    return;
  ck_abort_msg("[%s] %s:%d: slot %d, %s: expected %s = %ld %s, got %ld %s",
               conf_backend_name, file, line, i,
               t->what[i] ? t->what[i] : "(nothing)", want_text, want,
               code_name(want), got, code_name(got));
}

void conf_log(conf *t, char c) {
  if (t->nlog + 1 < sizeof t->log)
    t->log[t->nlog++] = c;
}

const char *conf_unix_path(conf *t, char *out, size_t n) {
  (void)t;
  snprintf(out, n, "/tmp/jnet-conf-%d-%d.sock", (int)getpid(), ++name_counter);
  unlink(out);
  if (n_made_paths < CONF_MAX_PATHS)
    snprintf(made_paths[n_made_paths++], sizeof made_paths[0], "%s", out);
  return out;
}

const char *conf_abstract_name(char *out, size_t n) {
  snprintf(out, n, "@jnet-conf-%d-%d", (int)getpid(), ++name_counter);
  return out;
}

int conf_port(jnet_stream s, char *port) {
  jnet_addr a;
  char host[128];
  int p, rc;
  if ((rc = jnet_localname(s, &a)) < 0)
    return rc;
  if ((rc = jnet_address_unpack(&a, host, sizeof host, &p)) < 0)
    return rc;
  snprintf(port, 16, "%d", p);
  return 0;
}

int conf_addr_is(const jnet_addr *a, const char *host, int port) {
  char h[128];
  int p, rc;
  if ((rc = jnet_address_unpack(a, h, sizeof h, &p)) < 0)
    return rc;
  return strcmp(h, host) == 0 && p == port;
}

int conf_addr_same(const jnet_addr *a, const jnet_addr *b) {
  char h[128];
  int p, rc;
  if ((rc = jnet_address_unpack(a, h, sizeof h, &p)) < 0)
    return rc;
  return conf_addr_is(b, h, p);
}

void conf_keep(conf *t, jnet_stream s) {
  for (int i = 0; i < CONF_STREAMS; i++)
    if (JNET_SAME(t->s[i], JNET_NOSTREAM)) {
      t->s[i] = s;
      return;
    }
}

int conf_pair(conf *t, const char *host, const char *path) {
  char port[16];
  const char *p = path;
  int rc = jnet_listen(host, path, JNET_STREAM, &t->srv);
  if (rc < 0)
    return rc;
  conf_keep(t, t->srv);
  if (path == NULL) {
    if ((rc = conf_port(t->srv, port)) < 0)
      return rc;
    p = port;
  }
  if ((rc = jnet_connect(host, p, JNET_STREAM, NULL, NULL, &t->cli)) < 0)
    return rc;
  conf_keep(t, t->cli);
  if ((rc = jnet_accept(t->srv, CONF_T, &t->acc)) < 0)
    return rc;
  conf_keep(t, t->acc);
  return 0;
}

int conf_udp(conf *t, const char *host, jnet_stream *out) {
  int rc = jnet_listen(host, NULL, JNET_DATAGRAM, out);
  if (rc == 0)
    conf_keep(t, *out);
  return rc;
}

void conf_settle(void) { jnet_sleep(0.02); }

int conf_buf_is(const jnet_buf *b, const char *s) {
  size_t n = strlen(s);
  return b->len == n && (n == 0 || memcmp(b->data, s, n) == 0);
}

uint64_t conf_hash(const void *p, size_t n) {
  const unsigned char *c = p;
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < n; i++) {
    h ^= c[i];
    h *= 1099511628211ull;
  }
  return h;
}

void conf_fill(char *p, size_t n, uint32_t seed) {
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    p[i] = (char)(x >> 24);
  }
}

void conf_add(Suite *s, const char *name, const TTest *test) {
  TCase *tc = jc_case(s, name);
  tcase_set_timeout(tc, 20);
  tcase_add_test(tc, test);
}

#if CONF_SIM
int conf_silent_peer(conf *t, char *host, size_t n, char *port) {
  (void)t;
  static const char *const addrs[] = {"192.0.2.9", NULL};
  jnet_node *silent, *local = jnet_loop_node(t->loop);
  int rc = jnet_sim_host(the_sim, "silent", addrs, &silent);
  if (rc == 0)
    rc = jnet_sim_partition(the_sim, local, silent, JNET_BOTH_WAYS);
  snprintf(host, n, "192.0.2.9");
  snprintf(port, 16, "80");
  return rc;
}
#else
int conf_silent_peer(conf *t, char *host, size_t n, char *port) {
  (void)t;
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  if (lfd < 0)
    return -1;
  silent_fds[0] = lfd;
  if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 0) < 0 ||
      getsockname(lfd, (struct sockaddr *)&a, &len) < 0)
    return -1;
  /* one connection fills an accept queue of length 0 */
  int cfd = socket(AF_INET, SOCK_STREAM, 0);
  if (cfd < 0)
    return -1;
  silent_fds[1] = cfd;
  if (connect(cfd, (struct sockaddr *)&a, sizeof a) < 0)
    return -1;
  snprintf(host, n, "127.0.0.1");
  snprintf(port, 16, "%d", (int)ntohs(a.sin_port));
  return 0;
}
#endif
