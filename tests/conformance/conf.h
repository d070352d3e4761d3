/* conf.h — the conformance fixture: one loop on the backend under test (uv,
 * or sim when built with CONF_SIM=1), a results struct the fibers fill in,
 * and checks made afterwards on the main stack.
 *
 * Fibers never call ck_assert: under valgrind Check runs in no-fork mode,
 * where a failed assert longjmps, and that must not cross fiber stacks. A
 * fiber records what each call returned with CONF_REC(t, slot, expr); the
 * test checks the slots with CONF_EQ after jnet_run returned.
 *
 *   START_TEST(some_case) {
 *     conf *t = conf_open();
 *     conf_run(t, some_fiber);
 *     CONF_EQ(t, 0, JNET_ETIMEDOUT);
 *     conf_close(t);
 *   }
 */
#ifndef CONF_H
#define CONF_H

#include <check.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include <jnet/jnet.h>

#define CONF_SLOTS 64
#define CONF_STREAMS 16
#define CONF_BUFS 4
#define CONF_UNSET LONG_MIN /* a slot no fiber recorded */

/* Timeout for operations that must succeed; bounds a broken run. */
#define CONF_T 5.0
/* Timeout for operations that must time out. */
#define CONF_SHORT 0.1

typedef struct conf {
  jnet_loop *loop;
  long r[CONF_SLOTS];           /* recorded results */
  const char *what[CONF_SLOTS]; /* the recorded expression, for messages */
  int done;                     /* the test's main fiber reached its end */
  int count, count2, count3;    /* counters the fibers bump */
  jnet_stream s[CONF_STREAMS];  /* closed by conf_close */
  jnet_stream srv, cli, acc;    /* set by conf_pair (also kept in s[]) */
  char port[16];                /* a port or unix path found by a fiber */
  char path[128];
  jnet_addr addr[4];
  jnet_buf buf[CONF_BUFS]; /* freed by conf_close */
  char log[64];            /* order of events, one char each */
  size_t nlog;
  char *big; /* large payloads (freed by conf_close) */
  size_t big_len;
  uint64_t hash;
  double t0; /* a time a fiber noted */
} conf;

/* Make the loop on the backend under test and return the zeroed fixture. */
conf *conf_open(void);

/* The backend under test (owned by the fixture). */
const jnet_backend *conf_backend(void);

/* Spawn fn(t) as the main fiber, jnet_run, and assert the run returned 0. */
void conf_run(conf *t, jnet_fiber_fn fn);

/* Assert the main fiber finished; close every stream in t->s;
 * assert the loop ends clean (jnet_run 0, then jnet_run_once idle) and
 * left nothing alive (jnet_loop_close 0: no fiber, request or open stream;
 * a test may have closed it already, t->loop NULL); free the backend; remove the unix paths made by conf_unix_path. */
void conf_close(conf *t);

/* Record a result in a slot (fiber side). */
#define CONF_REC(t, i, e) conf_rec((t), (i), (long)(e), #e)
void conf_rec(conf *t, int i, long v, const char *what);

/* Check a slot against the expected value (main stack). */
#define CONF_EQ(t, i, want)                                                    \
  conf_expect((t), (i), (long)(want), #want, __FILE__, __LINE__)
void conf_expect(conf *t, int i, long want, const char *want_text,
                 const char *file, int line);

/* Append one char to t->log (fiber side). */
void conf_log(conf *t, char c);

/* A fresh unix socket path, unique per process, removed by conf_close. */
const char *conf_unix_path(conf *t, char *out, size_t n);
/* A fresh abstract unix name ("@jnet-conf-<pid>-<n>"). */
const char *conf_abstract_name(char *out, size_t n);

/* The port of stream s's local address, as a decimal string in port[16].
 * 0 or a negative code. */
int conf_port(jnet_stream s, char *port);

/* 1 if a and b unpack to the same host and port, 0 if not, else < 0. */
int conf_addr_same(const jnet_addr *a, const jnet_addr *b);

/* 1 if the address unpacks to host and port, 0 if not, else < 0. */
int conf_addr_is(const jnet_addr *a, const char *host, int port);

/* Listen on host (ephemeral port; for JNET_UNIX on `path`), connect to it
 * and accept: t->srv, t->cli, t->acc, each also kept in t->s for
 * conf_close. 0 or the first negative code. */
int conf_pair(conf *t, const char *host, const char *path);

/* Bind a datagram socket on host, port 0. 0 or a negative code. Kept in
 * t->s. */
int conf_udp(conf *t, const char *host, jnet_stream *out);

/* A host and port where a TCP connect is never answered: on sim a second
 * host ("silent", 192.0.2.9) partitioned from the local one; on uv a
 * loopback listener made with listen(fd, 0) whose accept queue one
 * connection fills, so the kernel drops the next SYN. Call it outside
 * fibers, after conf_open. 0 or a negative code. */
int conf_silent_peer(conf *t, char *host, size_t n, char *port);

/* Keep s for conf_close. */
void conf_keep(conf *t, jnet_stream s);

/* Let other fibers run until they block (a short sleep). */
void conf_settle(void);

/* 1 if b holds exactly the bytes of the string s. */
int conf_buf_is(const jnet_buf *b, const char *s);

/* FNV-1a 64 of p[n]. */
uint64_t conf_hash(const void *p, size_t n);
/* Fill p[n] with a position-dependent pattern. */
void conf_fill(char *p, size_t n, uint32_t seed);

/* The backend under test, for messages: "uv" or "sim". */
extern const char *const conf_backend_name;

/* Each case file adds its cases, one TCase per test (named after it, so
 * CK_RUN_CASE=<name> runs one), forked, 20 s timeout. */
void conf_add(Suite *s, const char *name, const TTest *test);
#define CONF_CASE(s, fn) conf_add((s), #fn, fn)

void conf_add_stream(Suite *s);
void conf_add_timeout(Suite *s);
void conf_add_close(Suite *s);
void conf_add_server(Suite *s);
void conf_add_dgram(Suite *s);
void conf_add_addr(Suite *s);
void conf_add_opts(Suite *s);
void conf_add_args(Suite *s);
void conf_add_more(Suite *s);
void conf_add_fibers(Suite *s);
void conf_add_chan(Suite *s);
void conf_add_loopclose(Suite *s);
void conf_add_unix_dgram(Suite *s);
void conf_add_check_order(Suite *s);
void conf_add_abi(Suite *s);

#endif /* CONF_H */
