/* test_faults_sim.c — the fault-injecting backend over the simulated
 * network instead of libuv: virtual time makes every delay exact and every
 * run the same, so the shape of each jitter distribution can be asserted
 * (uniform stays under its bound, Pareto above its scale, normal and
 * exponential have their means and tails), and so can the datagram
 * reorder delay, a blackhole on the receiving side, and a stream write
 * the inner backend must park (the sim's send buffer fills).
 *
 * Hosts: client 192.0.2.1, server 192.0.2.2, a 1 ms link between them. */
#include <arpa/inet.h>
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jnet/jnet.h>
#include <jnet/jnet_backend.h>
#include <jnet/jnet_faults.h>
#include <jnet/jnet_sim.h>

#include "jnet_check.h"

#define MS 1000000ull
#define NDGRAM 400

typedef struct fs {
  jnet_sim *sim;
  jnet_node *cli, *srv;
  const jnet_backend *b;
  jnet_faults *f;
  jnet_loop *l;
  jnet_fault_params p;
  int rule_on_client; /* key the rule on the client (rx side) */
  int kick;           /* one_dgram_source: change another rule after */
  double t0;          /* when the client sent (virtual s) */
  double at[NDGRAM];  /* arrival of datagram i (virtual s), 0: never */
  int got, sent_rc;
  size_t big_len, big_got;
  uint64_t big_sum_sent, big_sum_got;
  char log[16384];
  size_t loglen;
} fs;

static void log_line(void *arg, const char *line) {
  fs *t = arg;
  int n = snprintf(t->log + t->loglen, sizeof t->log - t->loglen, "%s\n", line);
  if (n > 0 && (size_t)n < sizeof t->log - t->loglen)
    t->loglen += (size_t)n;
}

static fs *fs_new(uint64_t seed) {
  fs *t = calloc(1, sizeof *t);
  ck_assert_ptr_nonnull(t);
  ck_assert_int_eq(jnet_sim_new(&t->sim, seed), 0);
  const char *ca[] = {"192.0.2.1", NULL}, *sa[] = {"192.0.2.2", NULL};
  ck_assert_int_eq(jnet_sim_host(t->sim, "client", ca, &t->cli), 0);
  ck_assert_int_eq(jnet_sim_host(t->sim, "server", sa, &t->srv), 0);
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.latency_ns = 1 * MS;
  lp.queue_bytes = 4u << 20;
  ck_assert_int_eq(jnet_sim_link(t->sim, NULL, NULL, &lp), 0);
  t->b = jnet_backend_faults(jnet_sim_backend(t->sim), seed, &t->f);
  ck_assert_ptr_nonnull(t->b);
  jnet_faults_log_fn(t->f, log_line, t);
  ck_assert_int_eq(jnet_loop_new(&t->l, t->b), 0);
  jnet_fault_params_default(&t->p);
  return t;
}

static void fs_run(fs *t) {
  jnet_addr a; /* the host, any port */
  memset(&a, 0, sizeof a);
  a.u.in4.sin_family = AF_INET;
  const char *host = t->rule_on_client ? "192.0.2.1" : "192.0.2.2";
  ck_assert_int_eq(inet_pton(AF_INET, host, &a.u.in4.sin_addr), 1);
  a.len = sizeof a.u.in4;
  ck_assert_int_eq(jnet_faults_set(t->f, &a, &t->p), 0);
  int rc = jnet_run(t->l);
  ck_assert_msg(rc == 0, "jnet_run: %s", jnet_err_name(rc));
  ck_assert_int_eq(jnet_run_once(t->l), 0); /* ran to idle */
}

static void fs_free(fs *t) {
  jnet_loop_free(t->l);
  jnet_backend_free(t->b);
  jnet_sim_free(t->sim);
  free(t);
}

/* ---- Datagrams: the server notes when each arrives -------------------------
 */

static void dgram_sink(void *arg) {
  fs *t = arg;
  jnet_stream u;
  if (jnet_listen("192.0.2.2", "9000", JNET_DATAGRAM, &u) < 0)
    return;
  jnet_buf b;
  jnet_buf_init(&b);
  for (;;) {
    jnet_buf_reset(&b);
    ssize_t n = jnet_recv_from(u, 64, &b, 1.0, NULL);
    if (n != 4)
      break;
    uint32_t i;
    memcpy(&i, b.data, 4);
    if (i < NDGRAM && t->at[i] == 0) {
      t->at[i] = jnet_now();
      t->got++;
    }
  }
  jnet_buf_free(&b);
  jnet_close(u);
}

static void dgram_source(void *arg) {
  fs *t = arg;
  jnet_stream u;
  jnet_addr dst;
  jnet_sleep(0.01); /* the sink is bound */
  if (jnet_listen("192.0.2.1", NULL, JNET_DATAGRAM, &u) < 0)
    return;
  jnet_address("192.0.2.2", "9000", JNET_DATAGRAM, &dst);
  t->t0 = jnet_now();
  for (uint32_t i = 0; i < NDGRAM; i++) {
    int rc = jnet_send_to(u, &dst, &i, 4, 1.0);
    if (rc < 0 && t->sent_rc == 0)
      t->sent_rc = rc;
  }
  jnet_close(u);
}

/* Send NDGRAM datagrams at once through rule p; extra[i] is each one's
 * delay beyond the link's 1 ms (ms), or -1 if it never arrived. */
static fs *run_dgrams(jnet_fault_params *p, int on_client, double *extra) {
  fs *t = fs_new(11);
  t->p = *p;
  t->rule_on_client = on_client;
  ck_assert_int_eq(jnet_go_on(t->l, t->srv, dgram_sink, t), 0);
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, dgram_source, t), 0);
  fs_run(t);
  ck_assert_int_eq(t->sent_rc, 0);
  for (int i = 0; i < NDGRAM; i++)
    extra[i] = t->at[i] == 0 ? -1 : (t->at[i] - t->t0) * 1e3 - 1.0;
  return t;
}

typedef struct stats {
  double min, max, mean;
  int over; /* above the jitter parameter */
} stats;

static stats jitter_run(int dist) {
  jnet_fault_params p;
  jnet_fault_params_default(&p);
  p.link.latency_ns = 0;
  p.link.jitter_ns = 10 * MS;
  p.link.jitter_dist = dist;
  double extra[NDGRAM];
  fs *t = run_dgrams(&p, 0, extra);
  ck_assert_int_eq(t->got, NDGRAM); /* jitter loses nothing */
  stats s = {1e9, -1e9, 0, 0};
  for (int i = 0; i < NDGRAM; i++) {
    ck_assert(extra[i] >= -1e-6); /* never early */
    s.min = fmin(s.min, extra[i]);
    s.max = fmax(s.max, extra[i]);
    s.mean += extra[i] / NDGRAM;
    s.over += extra[i] > 10.0;
  }
  ck_assert_ptr_nonnull(strstr(t->log, "delay tx"));
  fs_free(t);
  return s;
}

/* A delay the fault backend holds while no fiber has a timer (the sink
 * waits forever, the source is done): the loop keeps turning until the
 * datagram arrives, 50 ms later plus the link's 1 ms, instead of calling
 * the run idle. */
static void forever_sink(void *arg) {
  fs *t = arg;
  jnet_stream u;
  if (jnet_listen("192.0.2.2", "9000", JNET_DATAGRAM, &u) < 0)
    return;
  jnet_buf b;
  jnet_buf_init(&b);
  if (jnet_recv_from(u, 64, &b, JNET_FOREVER, NULL) == 4) {
    t->at[0] = jnet_now();
    t->got++;
  }
  jnet_buf_free(&b);
  jnet_close(u);
}

/* One datagram to the sink; with t->kick, then a rule change for a peer
 * it never talks to (below). */
static void one_dgram_source(void *arg) {
  fs *t = arg;
  jnet_stream u;
  jnet_addr dst;
  jnet_sleep(0.01); /* the sink is bound */
  if (jnet_listen("192.0.2.1", NULL, JNET_DATAGRAM, &u) < 0)
    return;
  jnet_address("192.0.2.2", "9000", JNET_DATAGRAM, &dst);
  t->t0 = jnet_now();
  t->sent_rc = jnet_send_to(u, &dst, "ping", 4, 1.0);
  if (t->kick && t->sent_rc == 0) {
    jnet_addr other;
    jnet_fault_params none;
    jnet_address("198.51.100.7", "0", JNET_DATAGRAM, &other);
    jnet_fault_params_default(&none);
    t->sent_rc = jnet_faults_set(t->f, &other, &none);
  }
  jnet_close(u);
}

/* The datagram, held 50 ms by the rule, arrives 51 ms after it was sent
 * (the rule's 50 and the link's 1). */
static void held_dgram_arrives(int kick) {
  fs *t = fs_new(3);
  t->p.link.latency_ns = 50 * MS;
  t->kick = kick;
  ck_assert_int_eq(jnet_go_on(t->l, t->srv, forever_sink, t), 0);
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, one_dgram_source, t), 0);
  fs_run(t);
  ck_assert_int_eq(t->sent_rc, 0);
  ck_assert_int_eq(t->got, 1);
  double ms = (t->at[0] - t->t0) * 1e3;
  ck_assert_msg(fabs(ms - 51.0) < 1e-6, "arrived after %.6f ms", ms);
  fs_free(t);
}

START_TEST(a_held_datagram_arrives_when_no_fiber_has_a_timer) {
  held_dgram_arrives(0);
}
END_TEST

/* A rule changed by the source after it sent, for a peer it never talks
 * to: the change re-checks every socket's delay line at once (the held
 * datagram's timer comes due "now", finds it not yet due and re-arms),
 * and nothing in the simulation is pending then. The run must still wait
 * for the datagram rather than call the loop idle. */
START_TEST(a_rule_change_after_a_send_keeps_the_held_datagram_coming) {
  held_dgram_arrives(1);
}
END_TEST

/* A backend outlives its loop: after the first loop is freed, a second
 * one on the same fault backend holds and delivers a datagram as the
 * first would have (51 ms: the rule's 50 and the link's 1). */
static void short_nap(void *arg) {
  (void)arg;
  jnet_sleep(0.001);
}

START_TEST(a_second_loop_on_the_same_fault_backend_delays_as_the_first) {
  fs *t = fs_new(3);
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, short_nap, t), 0);
  ck_assert_int_eq(jnet_run(t->l), 0);
  jnet_loop_free(t->l);
  ck_assert_int_eq(jnet_loop_new(&t->l, t->b), 0);
  t->p.link.latency_ns = 50 * MS;
  ck_assert_int_eq(jnet_go_on(t->l, t->srv, forever_sink, t), 0);
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, one_dgram_source, t), 0);
  fs_run(t);
  ck_assert_int_eq(t->sent_rc, 0);
  ck_assert_int_eq(t->got, 1);
  double ms = (t->at[0] - t->t0) * 1e3;
  ck_assert_msg(fabs(ms - 51.0) < 1e-6, "arrived after %.6f ms", ms);
  fs_free(t);
}
END_TEST

/* A burst: BURST sockets each hold one datagram for 10 ms, all due at the
 * same instant. The fault backend fires its due timers in sweeps of at
 * most 4096 (faults.c, timers_fire: a flood of due timers must not starve
 * the fibers); the sweep after the inner poll, which moved the clock to
 * that instant, sends 4096 and poll returns, so the loop runs the fiber
 * that woke then before the 4097th goes: it lifts the rule and sends a
 * marker, and the sink sees the marker 4097th of BURST + 1. Virtual time
 * makes the order exact; 4097 sockets cost about 0.02 s of CPU. */
#define BURST 4097

typedef struct burst {
  fs *t;
  int got, marker_at, rc;
} burst;

static void burst_sink(void *arg) {
  burst *k = arg;
  jnet_stream u;
  if (jnet_listen("192.0.2.2", "9000", JNET_DATAGRAM, &u) < 0)
    return;
  jnet_buf b;
  jnet_buf_init(&b);
  while (k->got < BURST + 1) {
    jnet_buf_reset(&b);
    if (jnet_recv_from(u, 16, &b, 1.0, NULL) != 1)
      break;
    if (b.data[0] == 'M')
      k->marker_at = k->got;
    k->got++;
  }
  jnet_buf_free(&b);
  jnet_close(u);
}

static void burst_marker(void *arg) {
  burst *k = arg;
  jnet_stream m;
  jnet_addr dst, srv;
  if (jnet_listen("192.0.2.1", NULL, JNET_DATAGRAM, &m) < 0)
    return;
  jnet_sleep(0.01); /* wakes with the held datagrams due */
  jnet_address("192.0.2.2", "9000", JNET_DATAGRAM, &dst);
  jnet_address("192.0.2.2", "0", JNET_DATAGRAM, &srv);
  jnet_faults_clear(k->t->f, &srv);
  if (jnet_send_to(m, &dst, "M", 1, 1.0) < 0)
    k->rc = -1;
  jnet_close(m);
}

static void burst_source(void *arg) {
  burst *k = arg;
  static jnet_stream u[BURST];
  jnet_addr dst;
  jnet_sleep(0.01); /* the sink is bound */
  jnet_address("192.0.2.2", "9000", JNET_DATAGRAM, &dst);
  for (int i = 0; i < BURST; i++)
    if (jnet_listen("192.0.2.1", NULL, JNET_DATAGRAM, &u[i]) < 0) {
      k->rc = -2;
      return;
    }
  if (jnet_go(NULL, burst_marker, k) < 0)
    k->rc = -3;
  for (int i = 0; i < BURST; i++) {
    if (jnet_send_to(u[i], &dst, "h", 1, 1.0) < 0)
      k->rc = -4;
    jnet_close(u[i]);
  }
}

START_TEST(a_burst_of_due_delays_lets_a_woken_fiber_in_after_4096) {
  fs *t = fs_new(3);
  burst k;
  memset(&k, 0, sizeof k);
  k.t = t;
  k.marker_at = -1;
  t->p.link.latency_ns = 10 * MS;
  ck_assert_int_eq(jnet_go_on(t->l, t->srv, burst_sink, &k), 0);
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, burst_source, &k), 0);
  fs_run(t);
  ck_assert_int_eq(k.rc, 0);
  ck_assert_int_eq(k.got, BURST + 1);
  ck_assert_int_eq(k.marker_at, 4096);
  fs_free(t);
}
END_TEST

/* The inner backend's error goes through the fault backend's poll to
 * jnet_run: the sim's time limit (100 ms) stops a fiber that sleeps 150 ms
 * with JNET_ETIMEDOUT, and the fiber never wakes. */
static int limit_woke;

static void sleeper(void *arg) {
  (void)arg;
  if (jnet_sleep(0.15) == 0)
    limit_woke = 1;
}

START_TEST(the_inner_backends_error_stops_the_run) {
  fs *t = fs_new(5);
  limit_woke = 0;
  ck_assert_int_eq(jnet_sim_set_limits(t->sim, 100 * MS, 0), 0);
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, sleeper, t), 0);
  ck_assert_int_eq(jnet_run(t->l), JNET_ETIMEDOUT);
  ck_assert_int_eq(limit_woke, 0);
  ck_assert_uint_lt(jnet_sim_now_ns(t->sim), 150 * MS);
  fs_free(t);
}
END_TEST

START_TEST(uniform_jitter_stays_under_its_bound) {
  stats s = jitter_run(JNET_JITTER_UNIFORM);
  ck_assert_msg(s.max < 10.0 && s.over == 0, "max %.2f ms", s.max);
  ck_assert_msg(s.mean > 4.0 && s.mean < 6.0, "mean %.2f ms", s.mean);
  ck_assert_msg(s.min < 0.5, "min %.2f ms", s.min);
}
END_TEST

START_TEST(normal_jitter_has_a_half_normal_mean_and_a_tail) {
  stats s = jitter_run(JNET_JITTER_NORMAL);
  /* |N(0, 10 ms)|: mean 10 * sqrt(2 / pi) = 7.98 ms; 32 % above 10 ms */
  ck_assert_msg(s.mean > 6.8 && s.mean < 9.2, "mean %.2f ms", s.mean);
  ck_assert_msg(s.over > NDGRAM / 5 && s.over < NDGRAM / 2, "%d over", s.over);
  ck_assert_msg(s.min < 0.5, "min %.2f ms", s.min);
}
END_TEST

START_TEST(exponential_jitter_has_its_mean_and_a_long_tail) {
  stats s = jitter_run(JNET_JITTER_EXPONENTIAL);
  /* Exp(mean 10 ms): 37 % above 10 ms, some above 30 ms */
  ck_assert_msg(s.mean > 8.5 && s.mean < 11.5, "mean %.2f ms", s.mean);
  ck_assert_msg(s.over > NDGRAM / 4 && s.over < NDGRAM / 2, "%d over", s.over);
  ck_assert_msg(s.max > 30.0, "max %.2f ms", s.max);
}
END_TEST

START_TEST(pareto_jitter_never_goes_under_its_scale) {
  stats s = jitter_run(JNET_JITTER_PARETO);
  /* shape 2, scale 5 ms: at least 5 ms, mean 10 ms, P(> 10 ms) = 25 % */
  ck_assert_msg(s.min >= 5.0 - 1e-6, "min %.2f ms", s.min);
  ck_assert_msg(s.mean > 7.5 && s.mean < 14.0, "mean %.2f ms", s.mean);
  ck_assert_msg(s.over > NDGRAM / 8 && s.over < NDGRAM / 2, "%d over", s.over);
}
END_TEST

START_TEST(reorder_holds_a_datagram_back_by_at_least_a_millisecond) {
  jnet_fault_params p;
  jnet_fault_params_default(&p);
  p.link.latency_ns = 0;
  p.link.reorder = 1.0; /* every datagram: +max(2 * latency, 1 ms) */
  double extra[NDGRAM];
  fs *t = run_dgrams(&p, 0, extra);
  ck_assert_int_eq(t->got, NDGRAM);
  for (int i = 0; i < NDGRAM; i++)
    ck_assert_msg(fabs(extra[i] - 1.0) < 1e-3, "datagram %d: +%.3f ms", i,
                  extra[i]);
  ck_assert_ptr_nonnull(strstr(t->log, "reorder tx +1.0ms"));
  fs_free(t);
}
END_TEST

/* Eight client sockets, the k-th sending one datagram k ms after the
 * first, through a fixed 50 ms latency: the fault backend holds eight
 * timers at once, and each datagram arrives exactly 51 ms (the rule and
 * the link) after it was sent, in order. The timers' heap must give them
 * back by deadline whatever the order they are stopped in. */
#define NSOCK 8

typedef struct multi {
  fs *t;
  int k;
} multi;

static void one_of_eight(void *arg) {
  multi *m = arg;
  jnet_stream u;
  jnet_addr dst;
  jnet_sleep(0.01 + m->k * 0.001);
  if (jnet_listen("192.0.2.1", NULL, JNET_DATAGRAM, &u) < 0)
    return;
  jnet_address("192.0.2.2", "9000", JNET_DATAGRAM, &dst);
  uint32_t i = (uint32_t)m->k;
  int rc = jnet_send_to(u, &dst, &i, 4, 1.0);
  if (rc < 0 && m->t->sent_rc == 0)
    m->t->sent_rc = rc;
  jnet_sleep(0.2); /* held until long after its datagram left */
  jnet_close(u);
}

START_TEST(eight_sockets_delays_each_come_out_exact_and_in_order) {
  fs *t = fs_new(11);
  t->p.link.latency_ns = 50 * MS;
  multi m[NSOCK];
  ck_assert_int_eq(jnet_go_on(t->l, t->srv, dgram_sink, t), 0);
  for (int k = 0; k < NSOCK; k++) {
    m[k] = (multi){t, k};
    ck_assert_int_eq(jnet_go_on(t->l, t->cli, one_of_eight, &m[k]), 0);
  }
  fs_run(t);
  ck_assert_int_eq(t->sent_rc, 0);
  ck_assert_int_eq(t->got, NSOCK);
  for (int k = 0; k < NSOCK; k++) {
    double want = 0.01 + k * 0.001 + 0.051;
    ck_assert_msg(fabs(t->at[k] - want) < 1e-6,
                  "datagram %d arrived at %.6f s, not %.6f s", k, t->at[k],
                  want);
  }
  fs_free(t);
}
END_TEST

START_TEST(blackhole_on_the_receiver_swallows_every_datagram) {
  jnet_fault_params p;
  jnet_fault_params_default(&p);
  p.blackhole = 1;
  double extra[NDGRAM];
  fs *t = run_dgrams(&p, 1, extra); /* keyed on the client: the sink's rx */
  ck_assert_int_eq(t->got, 0);
  ck_assert_ptr_nonnull(strstr(t->log, "blackhole rx 4 bytes"));
  ck_assert_uint_eq(jnet_faults_count(t->f), NDGRAM);
  fs_free(t);
}
END_TEST

/* ---- The fault backend keeps its inner backend's contract ------------------
 * A strict pass-through backend between the fault backend and the sim
 * counts the requests it has pending and, at close, those still pending on
 * the socket closed: the contract (jnet_backend.h) says none. */

#define STRICT_MAX 64

typedef struct strict {
  jnet_backend b; /* first */
  const jnet_backend *parent;
  struct {
    jnet_req *req;
    jnet_bsock *sock;
    void (*cb)(jnet_req *);
  } pend[STRICT_MAX];
  int npend, closed_pending;
} strict;

#define ST(b) ((strict *)(b))
#define SP(b) (ST(b)->parent)

static strict *st_of_req; /* the one wrapper of this test (for callbacks) */

static int st_find(strict *w, const jnet_req *req) {
  for (int i = 0; i < w->npend; i++)
    if (w->pend[i].req == req)
      return i;
  return -1;
}

static void st_forget(strict *w, int i) {
  w->pend[i] = w->pend[--w->npend];
}

static void st_cb(jnet_req *req) {
  strict *w = st_of_req;
  int i = st_find(w, req);
  ck_assert_int_ge(i, 0);
  void (*cb)(jnet_req *) = w->pend[i].cb;
  st_forget(w, i);
  req->cb = cb;
  cb(req);
}

/* Hold the callback of a request the parent left pending. */
static void st_track(strict *w, jnet_bsock *s, jnet_req *req,
                     void (*cb)(jnet_req *)) {
  ck_assert_int_lt(w->npend, STRICT_MAX);
  w->pend[w->npend].req = req;
  w->pend[w->npend].sock = s;
  w->pend[w->npend].cb = cb;
  w->npend++;
}

/* An async op: forward it; if it pends, its completion comes through
 * st_cb, which forgets it. */
#define ST_ASYNC(name)                                                        \
  static int st_##name(const jnet_backend *b, jnet_bsock *s, jnet_req *req) { \
    void (*cb)(jnet_req *) = req->cb;                                         \
    req->cb = st_cb;                                                          \
    int r = SP(b)->name(SP(b), s, req);                                       \
    if (r == 0)                                                               \
      st_track(ST(b), s, req, cb);                                            \
    else                                                                      \
      req->cb = cb;                                                           \
    return r;                                                                 \
  }
ST_ASYNC(accept)
ST_ASYNC(connect)
ST_ASYNC(read)
ST_ASYNC(write)
ST_ASYNC(send_to)
ST_ASYNC(recv_from)

static void st_cancel(const jnet_backend *b, jnet_req *req) {
  SP(b)->cancel(SP(b), req);
  int i = st_find(ST(b), req);
  if (i >= 0) {
    req->cb = ST(b)->pend[i].cb;
    st_forget(ST(b), i);
  }
}

static void st_close(const jnet_backend *b, jnet_bsock *s) {
  strict *w = ST(b);
  for (int i = 0; i < w->npend;) {
    if (w->pend[i].sock == s) {
      w->closed_pending++;
      st_forget(w, i); /* the inner backend drops it */
    } else {
      i++;
    }
  }
  SP(b)->close(SP(b), s);
}

static int st_start(const jnet_backend *b, const jnet_backend_hooks *h,
                    void *arg) {
  return SP(b)->start(SP(b), h, arg);
}
static void st_stop(const jnet_backend *b) { SP(b)->stop(SP(b)); }
static jnet_node *st_default_node(const jnet_backend *b) {
  return SP(b)->default_node(SP(b));
}
static uint64_t st_now_ns(const jnet_backend *b) {
  return SP(b)->now_ns(SP(b));
}
static uint64_t st_random(const jnet_backend *b, jnet_node *n) {
  return SP(b)->random(SP(b), n);
}
static int st_poll(const jnet_backend *b, uint64_t deadline, int block) {
  return SP(b)->poll(SP(b), deadline, block);
}
static int st_resolve(const jnet_backend *b, jnet_node *node, jnet_req *req,
                      const char *host, const char *port, int type,
                      int passive) {
  return SP(b)->resolve(SP(b), node, req, host, port, type, passive);
}
static int st_socket(const jnet_backend *b, jnet_node *node, int family,
                     int type, jnet_bsock **out) {
  return SP(b)->socket(SP(b), node, family, type, out);
}
static int st_bind(const jnet_backend *b, jnet_bsock *s, const jnet_addr *a) {
  return SP(b)->bind(SP(b), s, a);
}
static int st_listen(const jnet_backend *b, jnet_bsock *s, int backlog) {
  return SP(b)->listen(SP(b), s, backlog);
}
static int st_shutdown(const jnet_backend *b, jnet_bsock *s, int mode) {
  return SP(b)->shutdown(SP(b), s, mode);
}
static int st_setsockopt(const jnet_backend *b, jnet_bsock *s, int opt,
                         jnet_optval v) {
  return SP(b)->setsockopt(SP(b), s, opt, v);
}
static int st_nodelay(const jnet_backend *b, jnet_bsock *s, int on) {
  return SP(b)->nodelay(SP(b), s, on);
}
static int st_localname(const jnet_backend *b, jnet_bsock *s, jnet_addr *o) {
  return SP(b)->localname(SP(b), s, o);
}
static int st_peername(const jnet_backend *b, jnet_bsock *s, jnet_addr *o) {
  return SP(b)->peername(SP(b), s, o);
}
static int st_node_check(const jnet_backend *b, jnet_node *node) {
  return SP(b)->node_check(SP(b), node);
}

static void st_wrap(strict *w, const jnet_backend *parent) {
  memset(w, 0, sizeof *w);
  w->parent = parent;
  w->b.version = 2;
  w->b.name = "strict";
  w->b.start = st_start;
  w->b.stop = st_stop;
  w->b.default_node = st_default_node;
  w->b.now_ns = st_now_ns;
  w->b.random = st_random;
  w->b.poll = st_poll;
  w->b.resolve = st_resolve;
  w->b.socket = st_socket;
  w->b.bind = st_bind;
  w->b.listen = st_listen;
  w->b.accept = st_accept;
  w->b.connect = st_connect;
  w->b.read = st_read;
  w->b.write = st_write;
  w->b.send_to = st_send_to;
  w->b.recv_from = st_recv_from;
  w->b.cancel = st_cancel;
  w->b.shutdown = st_shutdown;
  w->b.setsockopt = st_setsockopt;
  w->b.nodelay = st_nodelay;
  w->b.localname = st_localname;
  w->b.peername = st_peername;
  w->b.close = st_close;
  w->b.node_check = st_node_check;
  st_of_req = w;
}

typedef struct closer {
  int rc[4];
} closer;

static void talker(jnet_stream c, void *arg) {
  (void)arg;
  (void)jnet_write(c, "hello", 5, 1.0);
  jnet_buf b;
  jnet_buf_init(&b);
  (void)jnet_read(c, 16, &b, 1.0); /* until the client closes */
  jnet_buf_free(&b);
}

static void close_server(void *arg) {
  jnet_stream srv;
  if (jnet_server("192.0.2.2", "7000", talker, arg, JNET_STREAM, &srv) < 0)
    return;
  jnet_sleep(0.5);
  jnet_close(srv);
}

static void close_client(void *arg) {
  closer *k = arg;
  jnet_stream c;
  jnet_sleep(0.01);
  k->rc[0] = jnet_connect("192.0.2.2", "7000", JNET_STREAM, NULL, NULL, &c);
  if (k->rc[0] < 0)
    return;
  jnet_buf b;
  jnet_buf_init(&b);
  k->rc[1] = (int)jnet_chunk(c, 5, &b, 1.0); /* delayed by the rule */
  jnet_buf_free(&b);
  jnet_close(c); /* the rx line may still read ahead: it must cancel */
}

START_TEST(the_fault_backend_closes_nothing_pending_on_its_inner_backend) {
  jnet_sim *sim;
  jnet_node *cli, *srv;
  ck_assert_int_eq(jnet_sim_new(&sim, 9), 0);
  const char *ca[] = {"192.0.2.1", NULL}, *sa[] = {"192.0.2.2", NULL};
  ck_assert_int_eq(jnet_sim_host(sim, "client", ca, &cli), 0);
  ck_assert_int_eq(jnet_sim_host(sim, "server", sa, &srv), 0);
  static strict w;
  st_wrap(&w, jnet_sim_backend(sim));
  jnet_faults *f;
  const jnet_backend *b = jnet_backend_faults(&w.b, 9, &f);
  ck_assert_ptr_nonnull(b);
  jnet_fault_params p;
  jnet_fault_params_default(&p);
  p.link.latency_ns = 5 * MS;
  ck_assert_int_eq(jnet_faults_set(f, NULL, &p), 0);
  jnet_loop *l;
  ck_assert_int_eq(jnet_loop_new(&l, b), 0);
  closer k;
  memset(&k, 0, sizeof k);
  ck_assert_int_eq(jnet_go_on(l, srv, close_server, &k), 0);
  ck_assert_int_eq(jnet_go_on(l, cli, close_client, &k), 0);
  ck_assert_int_eq(jnet_run(l), 0);
  ck_assert_int_eq(k.rc[0], 0);
  ck_assert_int_eq(k.rc[1], 5);
  ck_assert_int_eq(jnet_loop_close(l), 0);
  jnet_backend_free(b);
  jnet_sim_free(sim);
  ck_assert_msg(w.closed_pending == 0,
                "%d requests still pending on the inner backend at close",
                w.closed_pending);
  ck_assert_int_eq(w.npend, 0);
}
END_TEST

/* ---- Streams: a write bigger than the sim's send buffer --------------------
 */

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
  const unsigned char *c = p;
  for (size_t i = 0; i < n; i++)
    h = (h ^ c[i]) * 0x100000001b3ull;
  return h;
}

static void big_reader(jnet_stream c, void *arg) {
  fs *t = arg;
  jnet_buf b;
  jnet_buf_init(&b);
  ssize_t r = jnet_read_all(c, &b, 60);
  if (r >= 0) {
    t->big_got = b.len;
    t->big_sum_got = fnv(0xcbf29ce484222325ull, b.data, b.len);
  }
  jnet_buf_free(&b);
}

static void big_server(void *arg) {
  fs *t = arg;
  jnet_stream srv;
  if (jnet_listen("192.0.2.2", "7000", JNET_STREAM, &srv) < 0)
    return;
  jnet_stream c;
  if (jnet_accept(srv, 10, &c) == 0) {
    big_reader(c, t);
    jnet_close(c);
  }
  jnet_close(srv);
}

static void big_client(void *arg) {
  fs *t = arg;
  jnet_sleep(0.01);
  char *data = malloc(t->big_len);
  if (data == NULL)
    return;
  for (size_t i = 0; i < t->big_len; i++)
    data[i] = (char)(i * 7 + i / 4093);
  t->big_sum_sent = fnv(0xcbf29ce484222325ull, data, t->big_len);
  jnet_stream s;
  t->sent_rc = jnet_connect("192.0.2.2", "7000", JNET_STREAM, NULL, NULL, &s);
  if (t->sent_rc == 0) {
    t->sent_rc = jnet_write(s, data, t->big_len, 60);
    jnet_close(s);
  }
  free(data);
}

static void big_write_on(fs *t) {
  t->big_len = 4u << 20; /* far beyond the sim's send buffer */
  ck_assert_int_eq(jnet_go_on(t->l, t->srv, big_server, t), 0);
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, big_client, t), 0);
  fs_run(t);
  ck_assert_int_eq(t->sent_rc, 0);
  ck_assert_uint_eq(t->big_got, t->big_len);
  ck_assert(t->big_sum_got == t->big_sum_sent);
}

START_TEST(a_write_the_inner_backend_parks_arrives_whole_without_faults) {
  fs *t = fs_new(3);
  t->p.link.latency_ns = 0; /* a rule that changes nothing */
  big_write_on(t);
  ck_assert_uint_eq(jnet_faults_count(t->f), 0);
  fs_free(t);
}
END_TEST

START_TEST(a_sliced_write_the_inner_backend_parks_arrives_whole) {
  fs *t = fs_new(3);
  t->p.slice_bytes = 100000;
  t->p.slice_delay_ns = 1 * MS;
  big_write_on(t);
  ck_assert_ptr_nonnull(strstr(t->log, "slice"));
  fs_free(t);
}
END_TEST

/* ---- Shutdown, flush, cancel and clear_all on the fault backend -------------
 * The rule is keyed on the server (fs_run), so the client's tx line holds
 * its bytes for the rule's latency; the server's sockets are quiet. */

typedef struct shut {
  fs *t;
  int mode;         /* the client's first shutdown */
  int rc[6];        /* connect, write, flush, shutdown, shutdown RD, read */
  char got[16];     /* what the server read before end of stream */
  ssize_t got_rc;   /* jnet_read_all's result on the server */
  double fin_at;    /* when the server saw end of stream (virtual s) */
  double sent_at;   /* when the client shut down (virtual s) */
} shut;

static void shut_server(void *arg) {
  shut *k = arg;
  jnet_stream srv, c;
  if (jnet_listen("192.0.2.2", "7000", JNET_STREAM, &srv) < 0)
    return;
  if (jnet_accept(srv, 10, &c) == 0) {
    jnet_buf b;
    jnet_buf_init(&b);
    k->got_rc = jnet_read_all(c, &b, 5);
    k->fin_at = jnet_now();
    if (b.len < sizeof k->got)
      memcpy(k->got, b.data, b.len);
    jnet_buf_free(&b);
    jnet_close(c);
  }
  jnet_close(srv);
}

static void shut_client(void *arg) {
  shut *k = arg;
  jnet_stream c;
  jnet_sleep(0.01);
  k->rc[0] = jnet_connect("192.0.2.2", "7000", JNET_STREAM, NULL, NULL, &c);
  if (k->rc[0] < 0)
    return;
  k->rc[1] = jnet_write(c, "hello", 5, 1.0); /* queued on the tx line */
  k->rc[2] = jnet_flush(c);
  k->sent_at = jnet_now();
  k->rc[3] = jnet_shutdown(c, k->mode);
  k->rc[4] = jnet_shutdown(c, JNET_SHUT_RD); /* after WR: a new half */
  jnet_buf b;
  jnet_buf_init(&b);
  k->rc[5] = (int)jnet_read(c, 16, &b, 1.0); /* after RD: end of stream */
  jnet_buf_free(&b);
  jnet_sleep(0.2); /* the held bytes and the FIN leave */
  jnet_close(c);
}

/* A shutdown while the tx line still holds written bytes: the bytes go
 * first, the FIN after them (the server reads "hello" then end of stream,
 * 20 ms of rule latency plus the link's 1 ms after the shutdown); a read
 * after shutdown RD returns 0. */
static void shutdown_after_held_bytes(int mode) {
  fs *t = fs_new(5);
  t->p.link.latency_ns = 20 * MS;
  shut k;
  memset(&k, 0, sizeof k);
  k.t = t;
  k.mode = mode;
  k.got_rc = -1;
  ck_assert_int_eq(jnet_go_on(t->l, t->srv, shut_server, &k), 0);
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, shut_client, &k), 0);
  fs_run(t);
  for (int i = 0; i < 5; i++)
    ck_assert_msg(k.rc[i] == 0, "step %d: %s", i, jnet_err_name(k.rc[i]));
  ck_assert_int_eq(k.rc[5], 0);
  ck_assert_int_eq(k.got_rc, 5);
  ck_assert_str_eq(k.got, "hello");
  double after_ms = (k.fin_at - k.sent_at) * 1e3;
  ck_assert_msg(after_ms >= 21.0 - 1e-6, "FIN after %.3f ms", after_ms);
  /* ... and right after the bytes, not at the close 200 ms later */
  ck_assert_msg(after_ms < 100.0, "FIN only at close: %.3f ms", after_ms);
  ck_assert_ptr_nonnull(strstr(t->log, "delay tx"));
  fs_free(t);
}

START_TEST(shutdown_wr_sends_the_held_bytes_before_the_fin) {
  shutdown_after_held_bytes(JNET_SHUT_WR);
}
END_TEST

START_TEST(shutdown_rdwr_sends_the_held_bytes_before_the_fin) {
  shutdown_after_held_bytes(JNET_SHUT_RDWR);
}
END_TEST

/* shutdown RD drops what the rx line still holds for the reader: no read
 * can take those bytes any more (reads after RD return 0), so their memory
 * goes at the shutdown, not at the close. Live blocks are counted through
 * the allocator. */
static long live_blocks;
static void *count_malloc(size_t n) {
  void *p = malloc(n);
  live_blocks += p != NULL;
  return p;
}
static void *count_realloc(void *p, size_t n) {
  void *q = realloc(p, n);
  live_blocks += p == NULL && q != NULL;
  return q;
}
static void count_free(void *p) {
  live_blocks -= p != NULL;
  free(p);
}

typedef struct held {
  int rc[4];  /* connect, timed-out read, shutdown RD, read after RD */
  long freed; /* live blocks before the shutdown minus after it */
} held;

static void held_server(void *arg) {
  (void)arg;
  jnet_stream srv, c;
  if (jnet_listen("192.0.2.2", "7000", JNET_STREAM, &srv) < 0)
    return;
  if (jnet_accept(srv, 10, &c) == 0) {
    (void)jnet_write(c, "hello", 5, 1.0); /* held 20 ms on the client */
    jnet_sleep(0.2);
    jnet_close(c);
  }
  jnet_close(srv);
}

static void held_client(void *arg) {
  held *k = arg;
  jnet_stream c;
  jnet_sleep(0.01);
  k->rc[0] = jnet_connect("192.0.2.2", "7000", JNET_STREAM, NULL, NULL, &c);
  if (k->rc[0] < 0)
    return;
  jnet_buf b;
  jnet_buf_init(&b);
  k->rc[1] = (int)jnet_read(c, 16, &b, 0.01); /* the bytes wait on the line */
  long before = live_blocks;
  k->rc[2] = jnet_shutdown(c, JNET_SHUT_RD);
  k->freed = before - live_blocks;
  k->rc[3] = (int)jnet_read(c, 16, &b, 1.0);
  jnet_buf_free(&b);
  jnet_sleep(0.1); /* past the held bytes' delivery time */
  jnet_close(c);
}

START_TEST(shutdown_rd_frees_the_bytes_held_for_the_reader) {
  ck_assert_int_eq(
      jnet_replace_allocator(count_malloc, count_realloc, count_free), 0);
  fs *t = fs_new(7);
  t->p.link.latency_ns = 20 * MS;
  held k;
  memset(&k, 0, sizeof k);
  ck_assert_int_eq(jnet_go_on(t->l, t->srv, held_server, &k), 0);
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, held_client, &k), 0);
  fs_run(t);
  ck_assert_int_eq(k.rc[0], 0);
  ck_assert_int_eq(k.rc[1], JNET_ETIMEDOUT);
  ck_assert_int_eq(k.rc[2], 0);
  ck_assert_int_eq(k.rc[3], 0);
  ck_assert_ptr_nonnull(strstr(t->log, "delay rx 5 bytes"));
  ck_assert_int_ge(k.freed, 1);
  fs_free(t);
  ck_assert_int_eq(jnet_replace_allocator(malloc, realloc, free), 0);
}
END_TEST

typedef struct shfail {
  fs *t;
  int rc[5]; /* connect, failed shutdown, reset count, shutdown, fired */
} shfail;

static void idle_server(void *arg) {
  jnet_stream srv, c;
  (void)arg;
  if (jnet_listen("192.0.2.2", "7000", JNET_STREAM, &srv) < 0)
    return;
  if (jnet_accept(srv, 10, &c) == 0) {
    jnet_sleep(0.3); /* never reads */
    jnet_close(c);
  }
  jnet_close(srv);
}

static void shfail_client(void *arg) {
  shfail *k = arg;
  jnet_stream c;
  jnet_sleep(0.01);
  k->rc[0] = jnet_connect("192.0.2.2", "7000", JNET_STREAM, NULL, NULL, &c);
  if (k->rc[0] < 0)
    return;
  jnet_faults_fail_call(k->t->f, JNET_FAULTS_SHUTDOWN, 1, JNET_EACCES, 0);
  k->rc[1] = jnet_shutdown(c, JNET_SHUT_WR);
  k->rc[4] = (int)jnet_faults_fail_fired(k->t->f, JNET_FAULTS_SHUTDOWN);
  k->rc[2] = jnet_faults_reset_peer(k->t->f, NULL);
  k->rc[3] = jnet_shutdown(c, JNET_SHUT_WR); /* the reset ended it */
  jnet_close(c);
}

/* An armed shutdown failure returns its code without shutting anything;
 * after a reset, shutdown has nothing left to do and returns 0. */
START_TEST(shutdown_fails_when_armed_and_is_a_no_op_after_a_reset) {
  fs *t = fs_new(6);
  shfail k;
  memset(&k, 0, sizeof k);
  k.t = t;
  ck_assert_int_eq(jnet_go_on(t->l, t->srv, idle_server, &k), 0);
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, shfail_client, &k), 0);
  fs_run(t);
  ck_assert_int_eq(k.rc[0], 0);
  ck_assert_int_eq(k.rc[1], JNET_EACCES);
  ck_assert_int_eq(k.rc[4], 1);
  ck_assert_int_ge(k.rc[2], 1); /* at least the client's socket */
  ck_assert_int_eq(k.rc[3], 0);
  ck_assert_ptr_nonnull(strstr(t->log, "reset-peer"));
  fs_free(t);
}
END_TEST

static void parked_client(void *arg) {
  fs *t = arg;
  jnet_stream c;
  jnet_sleep(0.01);
  t->sent_rc = jnet_connect("192.0.2.2", "7000", JNET_STREAM, NULL, NULL, &c);
  if (t->sent_rc < 0)
    return;
  size_t n = 4u << 20; /* far beyond the sim's send buffer */
  char *data = calloc(1, n);
  if (data != NULL) {
    t->t0 = jnet_now();
    t->sent_rc = jnet_write(c, data, n, 0.05); /* the server never reads */
    t->at[0] = jnet_now();
    free(data);
  }
  jnet_close(c);
}

/* A straight-through write the inner backend parks, cancelled by its
 * timeout: JNET_ETIMEDOUT after 50 ms, and the loop ends idle. */
START_TEST(a_parked_straight_through_write_times_out) {
  fs *t = fs_new(7);
  ck_assert_int_eq(jnet_go_on(t->l, t->srv, idle_server, t), 0);
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, parked_client, t), 0);
  fs_run(t);
  ck_assert_int_eq(t->sent_rc, JNET_ETIMEDOUT);
  double ms = (t->at[0] - t->t0) * 1e3;
  ck_assert_msg(ms >= 50.0 - 1e-6 && ms < 60.0, "timed out after %.3f ms",
                ms);
  ck_assert_uint_eq(jnet_faults_count(t->f), 0);
  fs_free(t);
}
END_TEST

/* clear_all removes every rule and every armed call failure: the
 * blackhole no longer swallows, the persistent listen failure no longer
 * fires, and the removed rule is gone (JNET_ENOENT). */
START_TEST(clear_all_removes_rules_and_armed_failures) {
  fs *t = fs_new(8);
  jnet_addr a;
  memset(&a, 0, sizeof a);
  a.u.in4.sin_family = AF_INET;
  ck_assert_int_eq(inet_pton(AF_INET, "192.0.2.2", &a.u.in4.sin_addr), 1);
  a.len = sizeof a.u.in4;
  jnet_fault_params p;
  jnet_fault_params_default(&p);
  p.blackhole = 1;
  ck_assert_int_eq(jnet_faults_set(t->f, &a, &p), 0);
  ck_assert_int_eq(jnet_faults_set(t->f, NULL, &p), 0);
  ck_assert_int_eq(
      jnet_faults_fail_call(t->f, JNET_FAULTS_SOCKET, 1, JNET_EACCES, 1), 0);
  jnet_faults_clear_all(t->f);
  jnet_faults_clear_all(NULL); /* harmless */
  ck_assert_int_eq(jnet_faults_clear(t->f, &a), JNET_ENOENT);
  ck_assert_int_eq(jnet_faults_clear(t->f, NULL), JNET_ENOENT);
  ck_assert_int_eq(jnet_go_on(t->l, t->srv, dgram_sink, t), 0);
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, dgram_source, t), 0);
  fs_run(t); /* sets a quiet rule on the server */
  ck_assert_int_eq(t->sent_rc, 0);
  ck_assert_int_eq(t->got, NDGRAM);
  ck_assert_uint_eq(jnet_faults_fail_fired(t->f, JNET_FAULTS_SOCKET), 0);
  ck_assert_uint_eq(jnet_faults_count(t->f), 0);
  fs_free(t);
}
END_TEST

/* ---- A rule that lowers reset_after_bytes under bytes already counted ------
 * The connection's next straight-through write or read has no byte left
 * to pass: it resets the connection and returns JNET_ECONNRESET. */

typedef struct lowered {
  fs *t;
  int rc[8];
} lowered;

static void lower_reset_rule(fs *t, uint64_t after) {
  jnet_addr a;
  jnet_address("192.0.2.2", "0", JNET_STREAM, &a);
  jnet_fault_params p;
  jnet_fault_params_default(&p);
  p.reset_after_bytes = after;
  jnet_faults_set(t->f, &a, &p);
}

static void lowered_client(void *arg) {
  lowered *k = arg;
  jnet_stream c;
  jnet_buf b;
  jnet_buf_init(&b);
  jnet_sleep(0.01);
  k->rc[0] = jnet_connect("192.0.2.2", "7000", JNET_STREAM, NULL, NULL, &c);
  if (k->rc[0] == 0) {
    k->rc[1] = (int)jnet_chunk(c, 5, &b, 1.0); /* "hello": 5 bytes counted */
    lower_reset_rule(k->t, 3);
    k->rc[2] = jnet_write(c, "x", 1, 1.0);
    jnet_close(c);
  }
  lower_reset_rule(k->t, 0);
  k->rc[3] = jnet_connect("192.0.2.2", "7000", JNET_STREAM, NULL, NULL, &c);
  if (k->rc[3] == 0) {
    k->rc[4] = jnet_write(c, "abcd", 4, 1.0); /* 4 bytes counted */
    lower_reset_rule(k->t, 2);
    jnet_buf_reset(&b);
    k->rc[5] = (int)jnet_read(c, 16, &b, 1.0);
    jnet_close(c);
  }
  jnet_buf_free(&b);
}

START_TEST(a_lowered_reset_after_bytes_resets_the_next_write_and_read) {
  fs *t = fs_new(12);
  lowered k;
  memset(&k, 0, sizeof k);
  k.t = t;
  ck_assert_int_eq(jnet_go_on(t->l, t->srv, close_server, &k), 0);
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, lowered_client, &k), 0);
  fs_run(t);
  ck_assert_int_eq(k.rc[0], 0);
  ck_assert_int_eq(k.rc[1], 5);
  ck_assert_int_eq(k.rc[2], JNET_ECONNRESET);
  ck_assert_int_eq(k.rc[3], 0);
  ck_assert_int_eq(k.rc[4], 0);
  ck_assert_int_eq(k.rc[5], JNET_ECONNRESET);
  ck_assert_ptr_nonnull(strstr(t->log, "reset after bytes"));
  fs_free(t);
}
END_TEST

/* reset_after_bytes with latency: the bytes held on the tx line count
 * too. Of one 300-byte write, 100 leave 5 ms later and the stream is then
 * reset: the server reads those 100 bytes and then the reset (the fault
 * backend's connect to AF_UNSPEC aborts the sim's connection with a RST,
 * as Linux's does), and the client's next write is ECONNRESET. */
typedef struct heldreset {
  size_t srv_bytes;
  ssize_t srv_last;
  int rc[3]; /* connect, write 300, write 1 */
} heldreset;

static void heldreset_server(void *arg) {
  heldreset *k = arg;
  jnet_stream srv, c;
  if (jnet_listen("192.0.2.2", "7000", JNET_STREAM, &srv) < 0)
    return;
  if (jnet_accept(srv, 10, &c) == 0) {
    jnet_buf b;
    jnet_buf_init(&b);
    for (;;) {
      jnet_buf_reset(&b);
      k->srv_last = jnet_read(c, 4096, &b, 1.0);
      if (k->srv_last <= 0)
        break;
      k->srv_bytes += (size_t)k->srv_last;
    }
    jnet_buf_free(&b);
    jnet_close(c);
  }
  jnet_close(srv);
}

static void heldreset_client(void *arg) {
  heldreset *k = arg;
  jnet_stream c;
  char msg[300];
  memset(msg, 'h', sizeof msg);
  jnet_sleep(0.01);
  k->rc[0] = jnet_connect("192.0.2.2", "7000", JNET_STREAM, NULL, NULL, &c);
  if (k->rc[0] < 0)
    return;
  k->rc[1] = jnet_write(c, msg, sizeof msg, 1.0);
  jnet_sleep(0.05);
  k->rc[2] = jnet_write(c, "x", 1, 1.0);
  jnet_close(c);
}

START_TEST(reset_after_bytes_counts_the_bytes_the_tx_line_held) {
  fs *t = fs_new(12);
  heldreset k;
  memset(&k, 0, sizeof k);
  t->p.link.latency_ns = 5 * MS;
  t->p.reset_after_bytes = 100;
  ck_assert_int_eq(jnet_go_on(t->l, t->srv, heldreset_server, &k), 0);
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, heldreset_client, &k), 0);
  fs_run(t);
  ck_assert_int_eq(k.rc[0], 0);
  ck_assert_int_eq(k.rc[1], 0); /* queued */
  ck_assert_uint_eq(k.srv_bytes, 100);
  ck_assert_int_eq(k.srv_last, JNET_ECONNRESET);
  ck_assert_int_eq(k.rc[2], JNET_ECONNRESET);
  ck_assert_ptr_nonnull(strstr(t->log, "reset after bytes"));
  fs_free(t);
}
END_TEST

typedef struct failed {
  fs *t;
  int rc[4]; /* accept, read, accept again, connect */
} failed;

static void failing_server(void *arg) {
  failed *k = arg;
  jnet_stream srv, c;
  if (jnet_listen("192.0.2.2", "7000", JNET_STREAM, &srv) < 0)
    return;
  jnet_faults_fail_call(k->t->f, JNET_FAULTS_ACCEPT, 1, JNET_EMFILE, 0);
  k->rc[0] = jnet_accept(srv, 1.0, &c); /* armed: fails, takes nothing */
  k->rc[2] = jnet_accept(srv, 1.0, &c); /* the pending connection */
  if (k->rc[2] == 0) {
    jnet_faults_fail_call(k->t->f, JNET_FAULTS_READ, 1, JNET_ENETDOWN, 0);
    jnet_buf b;
    jnet_buf_init(&b);
    k->rc[1] = (int)jnet_read(c, 16, &b, 1.0);
    jnet_buf_free(&b);
    jnet_close(c);
  }
  jnet_close(srv);
}

static void failing_client(void *arg) {
  failed *k = arg;
  jnet_stream c;
  jnet_sleep(0.01);
  k->rc[3] = jnet_connect("192.0.2.2", "7000", JNET_STREAM, NULL, NULL, &c);
  if (k->rc[3] == 0) {
    jnet_sleep(0.1);
    jnet_close(c);
  }
}

/* Armed accept and read failures return their codes without reaching the
 * inner backend: the failed accept leaves the connection for the next. */
START_TEST(armed_accept_and_read_failures_return_their_codes) {
  fs *t = fs_new(13);
  failed k;
  memset(&k, 0, sizeof k);
  k.t = t;
  ck_assert_int_eq(jnet_go_on(t->l, t->srv, failing_server, &k), 0);
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, failing_client, &k), 0);
  fs_run(t);
  ck_assert_int_eq(k.rc[3], 0);
  ck_assert_int_eq(k.rc[0], JNET_EMFILE);
  ck_assert_int_eq(k.rc[2], 0);
  ck_assert_int_eq(k.rc[1], JNET_ENETDOWN);
  ck_assert_uint_eq(jnet_faults_fail_fired(t->f, JNET_FAULTS_ACCEPT), 1);
  ck_assert_uint_eq(jnet_faults_fail_fired(t->f, JNET_FAULTS_READ), 1);
  ck_assert_ptr_nonnull(strstr(t->log, "fail-call accept #1 EMFILE"));
  fs_free(t);
}
END_TEST

/* ---- The loop slots pass through: start once, random from the host ---------
 */

static void draw(void *arg) {
  uint64_t *r = arg;
  r[0] = jnet_random();
  r[1] = jnet_random();
}

static void draws_on(const jnet_backend *b, jnet_node *node, uint64_t *r) {
  jnet_loop *l;
  ck_assert_int_eq(jnet_loop_new(&l, b), 0);
  ck_assert_int_eq(jnet_go_on(l, node, draw, r), 0);
  ck_assert_int_eq(jnet_run(l), 0);
  ck_assert_int_eq(jnet_loop_close(l), 0);
}

/* A fiber's jnet_random through the fault backend is its host's stream in
 * the inner sim: the same two numbers as on the bare sim of the same seed.
 * A second loop on a started fault backend is JNET_EBUSY, and so is a
 * fault backend whose inner backend another loop already runs. */
START_TEST(random_comes_from_the_inner_host_and_a_backend_starts_once) {
  fs *t = fs_new(21);
  jnet_loop *l2;
  ck_assert_int_eq(jnet_loop_new(&l2, t->b), JNET_EBUSY);
  jnet_faults *f2;
  const jnet_backend *b2 = jnet_backend_faults(jnet_sim_backend(t->sim), 1,
                                               &f2);
  ck_assert_ptr_nonnull(b2);
  ck_assert_int_eq(jnet_loop_new(&l2, b2), JNET_EBUSY); /* the sim's busy */
  jnet_backend_free(b2);
  uint64_t via[2] = {0, 0};
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, draw, via), 0);
  ck_assert_int_eq(jnet_run(t->l), 0);
  fs_free(t);

  jnet_sim *sim;
  jnet_node *cli, *srv;
  ck_assert_int_eq(jnet_sim_new(&sim, 21), 0);
  const char *ca[] = {"192.0.2.1", NULL}, *sa[] = {"192.0.2.2", NULL};
  ck_assert_int_eq(jnet_sim_host(sim, "client", ca, &cli), 0);
  ck_assert_int_eq(jnet_sim_host(sim, "server", sa, &srv), 0);
  uint64_t bare[2] = {0, 0};
  draws_on(jnet_sim_backend(sim), cli, bare);
  jnet_sim_free(sim);
  ck_assert(via[0] != via[1]);
  ck_assert(via[0] == bare[0] && via[1] == bare[1]);
}
END_TEST

/* ---- Allocation failure swept over N (test_alloc_fail.c's habit) ------------
 * Fail the Nth allocation for N = 1, 2, ... until a run injects nothing;
 * the workload is a stream echo and two datagrams through a rule that
 * delays and duplicates, so every allocation of the fault backend's delay
 * lines is reached. Each run ends in the echo coming back whole or a clean
 * error code, never a crash or a hang (and no leak under ASan). */

static long oom_count, oom_at, oom_injected;

static int oom_now(void) {
  oom_count++;
  if (oom_at > 0 && oom_count == oom_at) {
    oom_injected++;
    return 1;
  }
  return 0;
}
static void *oom_malloc(size_t n) { return oom_now() ? NULL : malloc(n); }
static void *oom_realloc(void *p, size_t n) {
  return oom_now() ? NULL : realloc(p, n);
}

typedef struct oomw {
  int srv_rc, cli_rc; /* 0: done; < 0: the error met */
  char echo[8];
  int dgrams;
} oomw;

static void oom_server(void *arg) {
  oomw *w = arg;
  jnet_stream lsn, c, u;
  jnet_buf b;
  jnet_buf_init(&b);
  w->srv_rc = jnet_listen("192.0.2.2", "7000", JNET_STREAM, &lsn);
  if (w->srv_rc < 0)
    return;
  w->srv_rc = jnet_listen("192.0.2.2", "9000", JNET_DATAGRAM, &u);
  if (w->srv_rc == 0) {
    w->srv_rc = jnet_accept(lsn, 1.0, &c);
    if (w->srv_rc == 0) {
      ssize_t n = jnet_chunk(c, 5, &b, 1.0);
      w->srv_rc = n < 0 ? (int)n : jnet_write(c, b.data, b.len, 1.0);
      for (int i = 0; i < 2 && w->srv_rc == 0; i++) {
        jnet_buf_reset(&b);
        if (jnet_recv_from(u, 16, &b, 0.1, NULL) == 2)
          w->dgrams++;
      }
      jnet_close(c);
    }
    jnet_close(u);
  }
  jnet_buf_free(&b);
  jnet_close(lsn);
}

static void oom_client(void *arg) {
  oomw *w = arg;
  jnet_stream c, u;
  jnet_addr dst;
  jnet_sleep(0.01);
  w->cli_rc = jnet_connect("192.0.2.2", "7000", JNET_STREAM, NULL, NULL, &c);
  if (w->cli_rc < 0)
    return;
  jnet_buf b;
  jnet_buf_init(&b);
  w->cli_rc = jnet_write(c, "hello", 5, 1.0);
  if (w->cli_rc == 0) {
    ssize_t n = jnet_chunk(c, 5, &b, 1.0);
    if (n == 5)
      memcpy(w->echo, b.data, 5);
    w->cli_rc = n < 0 ? (int)n : 0;
  }
  jnet_buf_free(&b);
  jnet_close(c);
  if (w->cli_rc == 0)
    w->cli_rc = jnet_listen("192.0.2.1", NULL, JNET_DATAGRAM, &u);
  if (w->cli_rc == 0) {
    w->cli_rc = jnet_address("192.0.2.2", "9000", JNET_DATAGRAM, &dst);
    for (int i = 0; i < 2 && w->cli_rc == 0; i++)
      w->cli_rc = jnet_send_to(u, &dst, "dg", 2, 1.0);
    jnet_close(u);
  }
}

/* One run with the Nth allocation failing: 0 if the echo came back whole,
 * 1 if a step reported an error (a clean failure). */
static int oom_run(long n, oomw *w) {
  memset(w, 0, sizeof *w);
  oom_count = oom_injected = 0;
  oom_at = n;
  jnet_sim *sim = NULL;
  jnet_node *cli, *srv;
  const jnet_backend *b = NULL;
  jnet_faults *f = NULL;
  jnet_loop *l = NULL;
  int failed = 1;
  const char *ca[] = {"192.0.2.1", NULL}, *sa[] = {"192.0.2.2", NULL};
  jnet_fault_params p;
  jnet_fault_params_default(&p);
  p.link.latency_ns = 2 * MS;
  p.link.duplicate = 0.5;
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.latency_ns = 1 * MS;
  if (jnet_sim_new(&sim, 31) < 0)
    goto out;
  if (jnet_sim_host(sim, "client", ca, &cli) < 0 ||
      jnet_sim_host(sim, "server", sa, &srv) < 0 ||
      jnet_sim_link(sim, NULL, NULL, &lp) < 0)
    goto out;
  b = jnet_backend_faults(jnet_sim_backend(sim), 31, &f);
  if (b == NULL || jnet_faults_set(f, NULL, &p) < 0 ||
      jnet_loop_new(&l, b) < 0)
    goto out;
  if (jnet_go_on(l, srv, oom_server, w) < 0 ||
      jnet_go_on(l, cli, oom_client, w) < 0)
    goto out;
  int rc = jnet_run(l);
  failed = rc < 0 || w->srv_rc < 0 || w->cli_rc < 0;
  if (!failed)
    ck_assert_str_eq(w->echo, "hello"); /* success means the whole echo */
out:
  if (l != NULL)
    jnet_loop_free(l);
  if (b != NULL)
    jnet_backend_free(b);
  if (sim != NULL)
    jnet_sim_free(sim);
  return failed;
}

START_TEST(the_fault_backend_survives_each_failed_allocation) {
  ck_assert_int_eq(jnet_replace_allocator(oom_malloc, oom_realloc, free), 0);
  oomw w;
  long n, clean = 0;
  for (n = 1; n < 5000; n++) {
    clean += oom_run(n, &w);
    if (oom_injected == 0)
      break;
  }
  ck_assert_int_eq(jnet_replace_allocator(malloc, realloc, free), 0);
  ck_assert_msg(n < 5000, "still injecting after %ld runs", n);
  ck_assert_msg(n > 20, "only %ld allocations", n);
  ck_assert_msg(oom_injected == 0 && clean < n,
                "the last run failed: server %s, client %s",
                jnet_err_name(w.srv_rc), jnet_err_name(w.cli_rc));
  /* the run without a failure: the echo and at least both datagrams */
  ck_assert_str_eq(w.echo, "hello");
  ck_assert_int_eq(w.srv_rc, 0);
  ck_assert_int_eq(w.cli_rc, 0);
  ck_assert_int_eq(w.dgrams, 2);
}
END_TEST

/* ---- The fault log names an IPv6 peer [addr]:port, no peer "*" --------------
 */

typedef struct v6 {
  fs *t;
  int rc[3]; /* failed listen, send_to, received */
  char got[8];
} v6;

static void v6_sink(void *arg) {
  v6 *k = arg;
  jnet_stream u;
  if (jnet_listen("2001:db8::2", "9000", JNET_DATAGRAM, &u) < 0)
    return;
  jnet_buf b;
  jnet_buf_init(&b);
  k->rc[2] = (int)jnet_recv_from(u, 8, &b, 1.0, NULL);
  if (k->rc[2] > 0 && (size_t)k->rc[2] < sizeof k->got)
    memcpy(k->got, b.data, b.len);
  jnet_buf_free(&b);
  jnet_close(u);
}

static void v6_source(void *arg) {
  v6 *k = arg;
  jnet_stream u;
  jnet_addr dst;
  jnet_sleep(0.01);
  jnet_faults_fail_call(k->t->f, JNET_FAULTS_SOCKET, 1, JNET_EMFILE, 0);
  k->rc[0] = jnet_listen("2001:db8::1", NULL, JNET_DATAGRAM, &u);
  if (jnet_listen("2001:db8::1", NULL, JNET_DATAGRAM, &u) < 0)
    return;
  jnet_address("2001:db8::2", "9000", JNET_DATAGRAM, &dst);
  k->rc[1] = jnet_send_to(u, &dst, "six", 3, 1.0);
  jnet_close(u);
}

START_TEST(the_log_names_an_ipv6_peer_and_no_peer_as_a_star) {
  jnet_sim *sim;
  jnet_node *cli, *srv;
  ck_assert_int_eq(jnet_sim_new(&sim, 41), 0);
  const char *ca[] = {"2001:db8::1", NULL}, *sa[] = {"2001:db8::2", NULL};
  ck_assert_int_eq(jnet_sim_host(sim, "client", ca, &cli), 0);
  ck_assert_int_eq(jnet_sim_host(sim, "server", sa, &srv), 0);
  fs t;
  memset(&t, 0, sizeof t);
  t.b = jnet_backend_faults(jnet_sim_backend(sim), 41, &t.f);
  ck_assert_ptr_nonnull(t.b);
  jnet_faults_log_fn(t.f, log_line, &t);
  jnet_faults_log_fn(NULL, log_line, &t); /* harmless */
  jnet_addr a;
  memset(&a, 0, sizeof a);
  a.u.in6.sin6_family = AF_INET6;
  ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::2", &a.u.in6.sin6_addr), 1);
  a.u.in6.sin6_port = htons(9000);
  a.len = sizeof a.u.in6;
  jnet_fault_params p;
  jnet_fault_params_default(&p);
  p.link.latency_ns = 3 * MS;
  ck_assert_int_eq(jnet_faults_set(t.f, &a, &p), 0);
  ck_assert_int_eq(jnet_loop_new(&t.l, t.b), 0);
  v6 k;
  memset(&k, 0, sizeof k);
  k.t = &t;
  ck_assert_int_eq(jnet_go_on(t.l, srv, v6_sink, &k), 0);
  ck_assert_int_eq(jnet_go_on(t.l, cli, v6_source, &k), 0);
  ck_assert_int_eq(jnet_run(t.l), 0);
  ck_assert_int_eq(k.rc[0], JNET_EMFILE);
  ck_assert_int_eq(k.rc[1], 0);
  ck_assert_int_eq(k.rc[2], 3);
  ck_assert_str_eq(k.got, "six");
  ck_assert_msg(strstr(t.log, " * fail-call socket #1 EMFILE\n") != NULL,
                "log:\n%s", t.log);
  ck_assert_msg(strstr(t.log, " [2001:db8::2]:9000 delay tx 3.0ms\n") != NULL,
                "log:\n%s", t.log);
  jnet_loop_free(t.l);
  jnet_backend_free(t.b);
  jnet_sim_free(sim);
}
END_TEST

/* ---- refuse on the accepting side ------------------------------------------
 * A refuse rule keyed on the client, seen by the server: the listener
 * resets each connection from that peer as it accepts it and waits for
 * the next, so the server's accept times out and the client's read
 * ends. */

typedef struct refused {
  int rc[3]; /* accept, connect, client read */
} refused;

static void refusing_server(void *arg) {
  refused *k = arg;
  jnet_stream lsn, c;
  if (jnet_listen("192.0.2.2", "7000", JNET_STREAM, &lsn) < 0)
    return;
  k->rc[0] = jnet_accept(lsn, 0.2, &c);
  if (k->rc[0] == 0)
    jnet_close(c);
  jnet_close(lsn);
}

static void refused_client(void *arg) {
  refused *k = arg;
  jnet_stream c;
  jnet_sleep(0.01);
  k->rc[1] = jnet_connect("192.0.2.2", "7000", JNET_STREAM, NULL, NULL, &c);
  if (k->rc[1] < 0)
    return;
  jnet_buf b;
  jnet_buf_init(&b);
  k->rc[2] = (int)jnet_read(c, 16, &b, 1.0);
  jnet_buf_free(&b);
  jnet_close(c);
}

START_TEST(refuse_keyed_on_the_client_resets_it_at_accept) {
  fs *t = fs_new(51);
  t->p.refuse = 1;
  t->rule_on_client = 1;
  refused k;
  memset(&k, 0, sizeof k);
  ck_assert_int_eq(jnet_go_on(t->l, t->srv, refusing_server, &k), 0);
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, refused_client, &k), 0);
  fs_run(t);
  ck_assert_int_eq(k.rc[1], 0); /* the handshake itself completed */
  ck_assert_int_eq(k.rc[0], JNET_ETIMEDOUT);
  /* the client's read ends: a reset where the inner backend can abort
   * (libuv), end of stream where it only closes (the sim) */
  ck_assert_msg(k.rc[2] == 0 || k.rc[2] == JNET_ECONNRESET, "read: %s",
                jnet_err_name(k.rc[2]));
  ck_assert_ptr_nonnull(strstr(t->log, "192.0.2.1:"));
  ck_assert_ptr_nonnull(strstr(t->log, " refuse accept"));
  fs_free(t);
}
END_TEST

typedef struct rcfs {
  int rc[4];
  fs *t;
} rcfs;

static void resolve_fails(void *arg) {
  rcfs *r = arg;
  int *rc = r->rc;
  fs *t = r->t;
  jnet_addr a;
  jnet_faults_fail_call(t->f, JNET_FAULTS_RESOLVE, 1, JNET_EAI_AGAIN, 0);
  rc[0] = jnet_address("192.0.2.2", "80", JNET_STREAM, &a);
  rc[1] = jnet_address("192.0.2.2", "80", JNET_STREAM, &a);
}

/* Only internet addresses key a rule (a unix one is JNET_EINVAL for clear
 * and reset_peer too); an armed resolve failure is what jnet_address
 * returns, once. */
START_TEST(rule_keys_are_internet_addresses_and_resolve_can_fail) {
  fs *t = fs_new(52);
  jnet_addr un;
  memset(&un, 0, sizeof un);
  un.u.sa.sa_family = AF_UNIX;
  un.len = sizeof(sa_family_t) + 2;
  ck_assert_int_eq(jnet_faults_clear(t->f, &un), JNET_EINVAL);
  ck_assert_int_eq(jnet_faults_reset_peer(t->f, &un), JNET_EINVAL);
  ck_assert_int_eq(jnet_faults_reset_peer(NULL, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_faults_reset_peer(t->f, NULL), 0); /* no socket */
  rcfs r = {{1, 1, 0, 0}, t};
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, resolve_fails, &r), 0);
  fs_run(t);
  ck_assert_int_eq(r.rc[0], JNET_EAI_AGAIN);
  ck_assert_int_eq(r.rc[1], 0);
  ck_assert_uint_eq(jnet_faults_fail_fired(t->f, JNET_FAULTS_RESOLVE), 1);
  fs_free(t);
}
END_TEST

/* ---- The rx line at end of stream, and a blackhole that starts mid-read ----
 * With a delaying rule every read goes through the rx line: after the
 * peer's FIN each read returns 0, again and again. A blackhole set while
 * the line's inner read is in flight swallows the bytes that then arrive:
 * the read times out and nothing is delivered after the rule is lifted. */

typedef struct eofk {
  fs *t;
  int rc[6]; /* read "hi", eof, eof again, connect 2, blackholed read, after */
} eofk;

static void eof_server(void *arg) {
  eofk *k = arg;
  jnet_stream lsn, c;
  if (jnet_listen("192.0.2.2", "7000", JNET_STREAM, &lsn) < 0)
    return;
  if (jnet_accept(lsn, 1.0, &c) == 0) {
    (void)jnet_write(c, "hi", 2, 1.0);
    jnet_close(c);
  }
  if (jnet_accept(lsn, 1.0, &c) == 0) {
    jnet_sleep(0.05); /* the client's read is in flight, then blackholed */
    (void)jnet_write(c, "lost", 4, 1.0);
    jnet_sleep(0.3);
    jnet_close(c);
  }
  jnet_close(lsn);
  (void)k;
}

static void eof_client(void *arg) {
  eofk *k = arg;
  jnet_stream c;
  jnet_buf b;
  jnet_buf_init(&b);
  jnet_sleep(0.01);
  if (jnet_connect("192.0.2.2", "7000", JNET_STREAM, NULL, NULL, &c) == 0) {
    k->rc[0] = (int)jnet_chunk(c, 2, &b, 1.0);
    k->rc[1] = (int)jnet_read(c, 16, &b, 1.0);
    k->rc[2] = (int)jnet_read(c, 16, &b, 1.0);
    jnet_close(c);
  }
  k->rc[3] = jnet_connect("192.0.2.2", "7000", JNET_STREAM, NULL, NULL, &c);
  if (k->rc[3] == 0) {
    jnet_buf_reset(&b);
    k->rc[4] = (int)jnet_read(c, 16, &b, 0.2); /* blackholed at 20 ms */
    jnet_fault_params p;
    jnet_fault_params_default(&p);
    p.link.latency_ns = 1 * MS;
    jnet_addr a;
    jnet_address("192.0.2.2", "0", JNET_STREAM, &a);
    jnet_faults_set(k->t->f, &a, &p); /* lifted: nothing was kept */
    k->rc[5] = (int)jnet_read(c, 16, &b, 1.0);
    jnet_close(c);
  }
  jnet_buf_free(&b);
}

static void blackhole_soon(void *arg) {
  eofk *k = arg;
  jnet_sleep(0.03); /* after the second connection's read started */
  jnet_addr a;
  jnet_address("192.0.2.2", "0", JNET_STREAM, &a);
  jnet_fault_params p;
  jnet_fault_params_default(&p);
  p.link.latency_ns = 1 * MS;
  p.blackhole = 1;
  jnet_faults_set(k->t->f, &a, &p);
}

START_TEST(the_rx_line_repeats_eof_and_a_late_blackhole_swallows_bytes) {
  fs *t = fs_new(61);
  t->p.link.latency_ns = 1 * MS;
  eofk k;
  memset(&k, 0, sizeof k);
  k.t = t;
  ck_assert_int_eq(jnet_go_on(t->l, t->srv, eof_server, &k), 0);
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, eof_client, &k), 0);
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, blackhole_soon, &k), 0);
  fs_run(t);
  ck_assert_int_eq(k.rc[0], 2);
  ck_assert_int_eq(k.rc[1], 0);
  ck_assert_int_eq(k.rc[2], 0);
  ck_assert_int_eq(k.rc[3], 0);
  ck_assert_int_eq(k.rc[4], JNET_ETIMEDOUT);
  ck_assert_int_eq(k.rc[5], 0); /* the server's FIN, not "lost" */
  ck_assert_ptr_nonnull(strstr(t->log, "blackhole rx 4 bytes"));
  fs_free(t);
}
END_TEST

/* ---- Slots outside a run; a datagram truncated on the rx line ------------- */

/* A fault backend no loop started refuses to poll (JNET_EINVAL); cancel
 * of NULL, or of a request it never took, does nothing. An inner vtable
 * of version 0 gets no fault backend (NULL, *out NULL). */
START_TEST(an_unstarted_fault_backend_refuses_poll_and_ignores_cancel) {
  jnet_sim *sim;
  ck_assert_int_eq(jnet_sim_new(&sim, 71), 0);
  jnet_faults *f;
  const jnet_backend *b = jnet_backend_faults(jnet_sim_backend(sim), 71, &f);
  ck_assert_ptr_nonnull(b);
  ck_assert_int_eq(b->poll(b, 0, 0), JNET_EINVAL);
  jnet_backend v0 = *jnet_sim_backend(sim); /* a vtable of no version */
  v0.version = 0;
  jnet_faults *f0 = f;
  ck_assert_ptr_null(jnet_backend_faults(&v0, 71, &f0));
  ck_assert_ptr_null(f0);
  b->cancel(b, NULL);
  jnet_req r;
  memset(&r, 0, sizeof r);
  b->cancel(b, &r);
  ck_assert_ptr_null(r.owner_);
  ck_assert_uint_eq(jnet_faults_count(f), 0);
  jnet_backend_free(b);
  jnet_sim_free(sim);
}
END_TEST

typedef struct truncw {
  int rc[2];
  char got[8];
} truncw;

static void trunc_sink(void *arg) {
  truncw *k = arg;
  jnet_stream u;
  if (jnet_listen("192.0.2.2", "9000", JNET_DATAGRAM, &u) < 0)
    return;
  jnet_buf b;
  jnet_buf_init(&b);
  k->rc[1] = (int)jnet_recv_from(u, 2, &b, 1.0, NULL);
  if (k->rc[1] == 2)
    memcpy(k->got, b.data, 2);
  jnet_buf_free(&b);
  jnet_close(u);
}

static void trunc_source(void *arg) {
  truncw *k = arg;
  jnet_stream u;
  jnet_addr dst;
  jnet_sleep(0.01);
  if (jnet_listen("192.0.2.1", NULL, JNET_DATAGRAM, &u) < 0)
    return;
  jnet_address("192.0.2.2", "9000", JNET_DATAGRAM, &dst);
  k->rc[0] = jnet_send_to(u, &dst, "abcd", 4, 1.0);
  jnet_close(u);
}

/* The rule keyed on the sender delays the datagram on the receiver's rx
 * line; a recv_from of 2 bytes takes its first 2, as recv(2) truncates. */
START_TEST(a_datagram_held_on_the_rx_line_is_truncated_to_the_read) {
  fs *t = fs_new(72);
  t->p.link.latency_ns = 4 * MS;
  t->rule_on_client = 1;
  truncw k;
  memset(&k, 0, sizeof k);
  ck_assert_int_eq(jnet_go_on(t->l, t->srv, trunc_sink, &k), 0);
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, trunc_source, &k), 0);
  fs_run(t);
  ck_assert_int_eq(k.rc[0], 0);
  ck_assert_int_eq(k.rc[1], 2);
  ck_assert_str_eq(k.got, "ab");
  ck_assert_ptr_nonnull(strstr(t->log, "delay rx"));
  fs_free(t);
}
END_TEST

/* ---- Argument checks and armed bind, listen, setsockopt failures ---------- */

START_TEST(bad_parameters_and_handles_are_einval) {
  fs *t = fs_new(81);
  jnet_fault_params p;
  jnet_fault_params_default(&p);
  ck_assert_int_eq(jnet_faults_set(t->f, NULL, NULL), JNET_EINVAL);
  p.link.duplicate = 2.0;
  ck_assert_int_eq(jnet_faults_set(t->f, NULL, &p), JNET_EINVAL);
  jnet_fault_params_default(&p);
  p.link.reorder = -0.1;
  ck_assert_int_eq(jnet_faults_set(t->f, NULL, &p), JNET_EINVAL);
  jnet_fault_params_default(&p);
  p.link.corrupt = 1.5;
  ck_assert_int_eq(jnet_faults_set(t->f, NULL, &p), JNET_EINVAL);
  jnet_fault_params_default(&p);
  p.link.jitter_dist = JNET_JITTER_UNIFORM - 1;
  ck_assert_int_eq(jnet_faults_set(t->f, NULL, &p), JNET_EINVAL);
  jnet_fault_params_default(&p);
  jnet_addr un;
  memset(&un, 0, sizeof un);
  un.u.sa.sa_family = AF_UNIX;
  un.len = sizeof(sa_family_t) + 2;
  ck_assert_int_eq(jnet_faults_set(t->f, &un, &p), JNET_EINVAL);
  ck_assert_int_eq(jnet_faults_clear(NULL, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_faults_fail_call(NULL, 0, 1, JNET_EPIPE, 0),
                   JNET_EINVAL);
  ck_assert_int_eq(jnet_faults_fail_call(t->f, -1, 1, JNET_EPIPE, 0),
                   JNET_EINVAL);
  ck_assert_uint_eq(jnet_faults_count(NULL), 0);
  jnet_faults_log_file(NULL, stderr); /* harmless */
  /* nothing above was set: every peer still has no rule */
  ck_assert_int_eq(jnet_faults_clear(t->f, NULL), JNET_ENOENT);
  fs_free(t);
}
END_TEST

static void armed_setup(void *arg) {
  rcfs *r = arg;
  int *rc = r->rc;
  fs *t = r->t;
  jnet_stream u;
  jnet_faults_fail_call(t->f, JNET_FAULTS_BIND, 1, JNET_EADDRINUSE, 0);
  rc[0] = jnet_listen("192.0.2.1", "5000", JNET_DATAGRAM, &u);
  jnet_faults_fail_call(t->f, JNET_FAULTS_LISTEN, 1, JNET_EMFILE, 0);
  rc[1] = jnet_listen("192.0.2.1", "5000", JNET_STREAM, &u);
  rc[2] = jnet_listen("192.0.2.1", "5000", JNET_DATAGRAM, &u);
  if (rc[2] == 0) {
    jnet_faults_fail_call(t->f, JNET_FAULTS_SETSOCKOPT, 1, JNET_EACCES, 0);
    rc[3] = jnet_setsockopt(u, JNET_SO_BROADCAST, jnet_opt_bool(1));
    jnet_close(u);
  }
}

/* Armed bind, listen and setsockopt failures are the calls' results; the
 * next call (disarmed after one) binds. */
START_TEST(armed_bind_listen_and_setsockopt_failures_return_their_codes) {
  fs *t = fs_new(82);
  rcfs r = {{1, 1, 1, 1}, t};
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, armed_setup, &r), 0);
  fs_run(t);
  ck_assert_int_eq(r.rc[0], JNET_EADDRINUSE);
  ck_assert_int_eq(r.rc[1], JNET_EMFILE);
  ck_assert_int_eq(r.rc[2], 0);
  ck_assert_int_eq(r.rc[3], JNET_EACCES);
  ck_assert_ptr_nonnull(strstr(t->log, "fail-call setsockopt #1 EACCES"));
  fs_free(t);
}
END_TEST

/* ---- corrupt flips one bit; reorder alone holds back at least 1 ms --------- */

typedef struct cor {
  int rc[2];
  unsigned char got[8];
  double sent_at, got_at;
} cor;

static void cor_sink(void *arg) {
  cor *k = arg;
  jnet_stream u;
  if (jnet_listen("192.0.2.2", "9000", JNET_DATAGRAM, &u) < 0)
    return;
  jnet_buf b;
  jnet_buf_init(&b);
  k->rc[1] = (int)jnet_recv_from(u, 8, &b, 1.0, NULL);
  k->got_at = jnet_now();
  if (k->rc[1] == 4)
    memcpy(k->got, b.data, 4);
  jnet_buf_free(&b);
  jnet_close(u);
}

static void cor_source(void *arg) {
  cor *k = arg;
  jnet_stream u;
  jnet_addr dst;
  jnet_sleep(0.01);
  if (jnet_listen("192.0.2.1", NULL, JNET_DATAGRAM, &u) < 0)
    return;
  jnet_address("192.0.2.2", "9000", JNET_DATAGRAM, &dst);
  k->sent_at = jnet_now();
  k->rc[0] = jnet_send_to(u, &dst, "abcd", 4, 1.0);
  jnet_close(u);
}

START_TEST(corrupt_flips_one_bit_and_reorder_alone_adds_a_millisecond) {
  fs *t = fs_new(91);
  t->p.link.corrupt = 1.0;
  t->p.link.reorder = 1.0; /* no latency, no reorder_ns: the 1 ms floor */
  cor k;
  memset(&k, 0, sizeof k);
  ck_assert_int_eq(jnet_go_on(t->l, t->srv, cor_sink, &k), 0);
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, cor_source, &k), 0);
  fs_run(t);
  ck_assert_int_eq(k.rc[0], 0);
  ck_assert_int_eq(k.rc[1], 4);
  int bits = 0;
  for (int i = 0; i < 4; i++)
    bits += __builtin_popcount((unsigned)(k.got[i] ^ (unsigned char)"abcd"[i]));
  ck_assert_int_eq(bits, 1);
  double ms = (k.got_at - k.sent_at) * 1e3; /* the link's 1 ms + 1 ms */
  ck_assert_msg(ms >= 2.0 - 1e-6 && ms < 3.0, "arrived after %.3f ms", ms);
  ck_assert_ptr_nonnull(strstr(t->log, "corrupt tx bit"));
  ck_assert_ptr_nonnull(strstr(t->log, "reorder tx +1.0ms"));
  fs_free(t);
}
END_TEST

/* reorder alone with its own reorder_ns: held back exactly that long, the
 * bytes untouched. */
START_TEST(reorder_alone_holds_a_datagram_back_by_its_reorder_ns) {
  fs *t = fs_new(92);
  t->p.link.reorder = 1.0;
  t->p.link.reorder_ns = 5 * MS;
  cor k;
  memset(&k, 0, sizeof k);
  ck_assert_int_eq(jnet_go_on(t->l, t->srv, cor_sink, &k), 0);
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, cor_source, &k), 0);
  fs_run(t);
  ck_assert_int_eq(k.rc[0], 0);
  ck_assert_int_eq(k.rc[1], 4);
  ck_assert_mem_eq(k.got, "abcd", 4);
  double ms = (k.got_at - k.sent_at) * 1e3; /* the link's 1 ms + 5 ms */
  ck_assert_msg(ms >= 6.0 - 1e-6 && ms < 7.0, "arrived after %.3f ms", ms);
  ck_assert_ptr_nonnull(strstr(t->log, "reorder tx +5.0ms"));
  fs_free(t);
}
END_TEST

/* --- m3-b: an end of stream that comes through a blackhole; setsockopt
 * through to the inner socket --- */

/* A blackhole swallows bytes, not the end of the stream: a FIN that comes
 * in while the rule (latency 50 ms, then blackhole on too) holds the line
 * still reaches the reader, 50 ms late like any byte, and the log names
 * no swallowed bytes. The server closes at ~61 ms over the 1 ms link. */
typedef struct bheof {
  fs *t;
  double closed_at, eof_at;
  int rc;
} bheof;

static void bheof_server(void *arg) {
  bheof *k = arg;
  jnet_stream lsn, c;
  if (jnet_listen("192.0.2.2", "7100", JNET_STREAM, &lsn) < 0)
    return;
  if (jnet_accept(lsn, 1.0, &c) == 0) {
    jnet_sleep(0.05); /* till ~61 ms */
    k->closed_at = jnet_now();
    jnet_close(c);
  }
  jnet_close(lsn);
}

static void bheof_client(void *arg) {
  bheof *k = arg;
  jnet_stream c;
  jnet_buf b;
  jnet_buf_init(&b);
  jnet_sleep(0.01);
  k->rc = jnet_connect("192.0.2.2", "7100", JNET_STREAM, NULL, NULL, &c);
  if (k->rc == 0) {
    k->rc = (int)jnet_read(c, 16, &b, 1.0); /* in flight from ~11 ms */
    k->eof_at = jnet_now();
    jnet_close(c);
  }
  jnet_buf_free(&b);
}

static void bheof_blackhole(void *arg) {
  bheof *k = arg;
  jnet_sleep(0.04); /* the read is in flight */
  jnet_addr a;
  jnet_address("192.0.2.2", "0", JNET_STREAM, &a);
  jnet_fault_params p;
  jnet_fault_params_default(&p);
  p.link.latency_ns = 50 * MS;
  p.blackhole = 1;
  jnet_faults_set(k->t->f, &a, &p);
}

START_TEST(an_eof_through_a_blackhole_keeps_the_latency_and_is_no_bytes) {
  fs *t = fs_new(63);
  t->p.link.latency_ns = 50 * MS;
  bheof k;
  memset(&k, 0, sizeof k);
  k.t = t;
  ck_assert_int_eq(jnet_go_on(t->l, t->srv, bheof_server, &k), 0);
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, bheof_client, &k), 0);
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, bheof_blackhole, &k), 0);
  fs_run(t);
  ck_assert_int_eq(k.rc, 0); /* end of stream */
  double ms = (k.eof_at - k.closed_at) * 1e3; /* the link's 1 ms + 50 ms */
  ck_assert_msg(ms >= 51.0 - 1e-6 && ms < 52.0, "EOF after %.3f ms", ms);
  ck_assert_ptr_null(strstr(t->log, "blackhole rx 0"));
  fs_free(t);
}
END_TEST

/* setsockopt goes through to the inner socket: the inner backend's answer
 * (a multicast TTL on a TCP socket, or one out of range, is JNET_EINVAL)
 * is the caller's, and a good one is taken. */
typedef struct sopt {
  int rc[3];
} sopt;

static void sopt_main(void *arg) {
  sopt *k = arg;
  jnet_stream t, u;
  if (jnet_listen("192.0.2.1", "7200", JNET_STREAM, &t) == 0) {
    k->rc[0] = jnet_setsockopt(t, JNET_IP_MULTICAST_TTL, jnet_opt_int(5));
    jnet_close(t);
  }
  if (jnet_listen("192.0.2.1", "7200", JNET_DATAGRAM, &u) == 0) {
    k->rc[1] = jnet_setsockopt(u, JNET_IP_MULTICAST_TTL, jnet_opt_int(300));
    k->rc[2] = jnet_setsockopt(u, JNET_IP_MULTICAST_TTL, jnet_opt_int(5));
    jnet_close(u);
  }
}

START_TEST(setsockopt_reaches_the_inner_socket_and_its_answer_the_caller) {
  fs *t = fs_new(64);
  sopt k = {{1, 1, 1}};
  ck_assert_int_eq(jnet_go_on(t->l, t->cli, sopt_main, &k), 0);
  fs_run(t);
  ck_assert_int_eq(k.rc[0], JNET_EINVAL);
  ck_assert_int_eq(k.rc[1], JNET_EINVAL);
  ck_assert_int_eq(k.rc[2], 0);
  fs_free(t);
}
END_TEST

/* The fault backend asks its inner one whether a node is its own: a host
 * of another simulation (or one never added) is JNET_EINVAL at jnet_go_on,
 * as on the simulated backend alone; the loop's own hosts are taken. */
static void nop_main(void *arg) { (void)arg; }

START_TEST(a_node_of_another_simulation_is_refused_through_the_faults) {
  fs *t = fs_new(65);
  jnet_sim *other;
  jnet_node *stranger;
  ck_assert_int_eq(jnet_sim_new(&other, 1), 0);
  const char *oa[] = {"192.0.2.9", NULL};
  ck_assert_int_eq(jnet_sim_host(other, "stranger", oa, &stranger), 0);
  ck_assert_int_eq(jnet_go_on(t->l, stranger, nop_main, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_go_on(t->l, t->srv, nop_main, NULL), 0);
  fs_run(t);
  jnet_sim_free(other);
  fs_free(t);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("realfaults-sim");
  jc_defaults(60, NULL, NULL);
  JC_TEST(s, a_held_datagram_arrives_when_no_fiber_has_a_timer);
  JC_TEST(s, a_rule_change_after_a_send_keeps_the_held_datagram_coming);
  JC_TEST(s, a_second_loop_on_the_same_fault_backend_delays_as_the_first);
  JC_TEST(s, a_burst_of_due_delays_lets_a_woken_fiber_in_after_4096);
  JC_TEST(s, the_inner_backends_error_stops_the_run);
  JC_TEST(s, the_fault_backend_closes_nothing_pending_on_its_inner_backend);
  JC_TEST(s, uniform_jitter_stays_under_its_bound);
  JC_TEST(s, normal_jitter_has_a_half_normal_mean_and_a_tail);
  JC_TEST(s, exponential_jitter_has_its_mean_and_a_long_tail);
  JC_TEST(s, pareto_jitter_never_goes_under_its_scale);
  JC_TEST(s, reorder_holds_a_datagram_back_by_at_least_a_millisecond);
  JC_TEST(s, eight_sockets_delays_each_come_out_exact_and_in_order);
  JC_TEST(s, blackhole_on_the_receiver_swallows_every_datagram);
  JC_TEST(s, a_write_the_inner_backend_parks_arrives_whole_without_faults);
  JC_TEST(s, a_sliced_write_the_inner_backend_parks_arrives_whole);
  JC_TEST(s, shutdown_wr_sends_the_held_bytes_before_the_fin);
  JC_TEST(s, shutdown_rdwr_sends_the_held_bytes_before_the_fin);
  JC_TEST(s, shutdown_fails_when_armed_and_is_a_no_op_after_a_reset);
  JC_TEST(s, shutdown_rd_frees_the_bytes_held_for_the_reader);
  JC_TEST(s, a_parked_straight_through_write_times_out);
  JC_TEST(s, clear_all_removes_rules_and_armed_failures);
  JC_TEST(s, a_lowered_reset_after_bytes_resets_the_next_write_and_read);
  JC_TEST(s, reset_after_bytes_counts_the_bytes_the_tx_line_held);
  JC_TEST(s, armed_accept_and_read_failures_return_their_codes);
  JC_TEST(s, random_comes_from_the_inner_host_and_a_backend_starts_once);
  JC_TEST(s, the_fault_backend_survives_each_failed_allocation);
  JC_TEST(s, the_log_names_an_ipv6_peer_and_no_peer_as_a_star);
  JC_TEST(s, refuse_keyed_on_the_client_resets_it_at_accept);
  JC_TEST(s, rule_keys_are_internet_addresses_and_resolve_can_fail);
  JC_TEST(s, the_rx_line_repeats_eof_and_a_late_blackhole_swallows_bytes);
  JC_TEST(s, an_unstarted_fault_backend_refuses_poll_and_ignores_cancel);
  JC_TEST(s, a_datagram_held_on_the_rx_line_is_truncated_to_the_read);
  JC_TEST(s, bad_parameters_and_handles_are_einval);
  JC_TEST(s, armed_bind_listen_and_setsockopt_failures_return_their_codes);
  JC_TEST(s, corrupt_flips_one_bit_and_reorder_alone_adds_a_millisecond);
  JC_TEST(s, reorder_alone_holds_a_datagram_back_by_its_reorder_ns);
  JC_TEST(s, an_eof_through_a_blackhole_keeps_the_latency_and_is_no_bytes);
  JC_TEST(s, setsockopt_reaches_the_inner_socket_and_its_answer_the_caller);
  JC_TEST(s, a_node_of_another_simulation_is_refused_through_the_faults);
  return s;
}

int main(void) { return jc_run(suite()); }
