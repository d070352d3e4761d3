/* test_link.c — links as an application sees them: latency, the jitter
 * distributions (means within tolerances derived from their variances),
 * bandwidth and its queue, independence of PRNG streams, fingerprints. */
#include <math.h>
#include <unistd.h>

#include "simtest.h"

#define NPKT 2000

typedef struct probe {
  st_world *w;
  int n;              /* datagrams to send */
  double gap_s;       /* between sends */
  int size;           /* payload bytes (>= 8) */
  int got;
  double delay_s[NPKT];
  int client_err, server_err;
} probe;

static void probe_server(void *arg) {
  probe *p = arg;
  jnet_stream u;
  p->server_err = jnet_listen("192.0.2.2", "9000", JNET_DATAGRAM, &u);
  if (p->server_err < 0)
    return;
  jnet_buf b;
  jnet_buf_init(&b);
  while (p->got < p->n) {
    jnet_buf_reset(&b);
    ssize_t r = jnet_recv_from(u, 70000, &b, 5.0, NULL);
    if (r < 8)
      break;
    uint64_t sent;
    memcpy(&sent, b.data, 8);
    p->delay_s[p->got++] = (double)(jnet_sim_now_ns(p->w->sim) - sent) / 1e9;
  }
  jnet_buf_free(&b);
  jnet_close(u);
}

static void probe_client(void *arg) {
  probe *p = arg;
  jnet_stream c;
  jnet_sleep(0.01);
  p->client_err = jnet_connect("192.0.2.2", "9000", JNET_DATAGRAM, NULL, NULL, &c);
  if (p->client_err < 0)
    return;
  char *buf = calloc(1, (size_t)p->size);
  for (int i = 0; i < p->n; i++) {
    uint64_t now = jnet_sim_now_ns(p->w->sim);
    memcpy(buf, &now, 8);
    int r = jnet_write(c, buf, (size_t)p->size, 1.0);
    if (r < 0) {
      p->client_err = r;
      break;
    }
    if (p->gap_s > 0)
      jnet_sleep(p->gap_s);
  }
  free(buf);
  jnet_close(c);
}

/* Run a probe over a link h0 -> h1 with parameters lp. */
static probe *run_probe(uint64_t seed, const jnet_link_params *lp, int n,
                        double gap_s, int extra_host) {
  probe *p = calloc(1, sizeof *p);
  p->w = st_new(seed, 2);
  p->n = n;
  p->gap_s = gap_s;
  p->size = 64;
  if (lp != NULL)
    ck_assert_int_eq(jnet_sim_link(p->w->sim, p->w->h[0], p->w->h[1], lp), 0);
  if (extra_host) { /* an unrelated host with a link of its own */
    st_add_host(p->w);
    jnet_link_params x;
    jnet_link_params_default(&x);
    x.jitter_ns = 3 * JNET_SIM_MS;
    x.loss = 0.5;
    ck_assert_int_eq(jnet_sim_link(p->w->sim, p->w->h[2], p->w->h[0], &x), 0);
  }
  st_go(p->w, 1, probe_server, p);
  st_go(p->w, 0, probe_client, p);
  st_run(p->w);
  ck_assert_int_eq(p->server_err, 0);
  ck_assert_int_eq(p->client_err, 0);
  return p;
}

static void probe_free(probe *p) {
  st_free(p->w);
  free(p);
}

static double mean(const probe *p) {
  double s = 0;
  for (int i = 0; i < p->got; i++)
    s += p->delay_s[i];
  return s / p->got;
}

START_TEST(fixed_latency_is_what_the_application_measures) {
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.latency_ns = 7 * JNET_SIM_MS;
  probe *p = run_probe(1, &lp, 50, 0.001, 0);
  ck_assert_int_eq(p->got, 50);
  for (int i = 0; i < p->got; i++)
    ck_assert_double_eq_tol(p->delay_s[i], 0.007, 1e-9);
  probe_free(p);
}
END_TEST

/* Delay = latency + X; the sample mean of n draws is within 5 standard
 * errors (sd(X) / sqrt(n)) of latency + E[X]. */
static void check_dist(int dist, double e_x, double sd_x, double lo, double hi) {
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.latency_ns = 10 * JNET_SIM_MS;
  lp.jitter_ns = 4 * JNET_SIM_MS;
  lp.jitter_dist = dist;
  probe *p = run_probe(7, &lp, NPKT, 0.001, 0);
  ck_assert_int_eq(p->got, NPKT);
  double m = mean(p), want = 0.010 + e_x, tol = 5 * sd_x / sqrt(NPKT);
  ck_assert_msg(fabs(m - want) <= tol, "dist %d: mean %.6f, want %.6f +- %.6f",
                dist, m, want, tol);
  for (int i = 0; i < p->got; i++)
    ck_assert_msg(p->delay_s[i] >= 0.010 + lo - 1e-9 &&
                      p->delay_s[i] < 0.010 + hi + 1e-9,
                  "delay %.6f outside its support", p->delay_s[i]);
  probe_free(p);
}

START_TEST(uniform_jitter_mean_matches) {
  double j = 0.004;
  check_dist(JNET_JITTER_UNIFORM, j / 2, j / sqrt(12.0), 0, j);
}
END_TEST

START_TEST(normal_jitter_mean_matches) {
  double j = 0.004; /* |N(0, j)|: mean j*sqrt(2/pi), var j^2 (1 - 2/pi) */
  check_dist(JNET_JITTER_NORMAL, j * sqrt(2 / M_PI), j * sqrt(1 - 2 / M_PI), 0,
             1e9);
}
END_TEST

START_TEST(exponential_jitter_mean_matches) {
  double j = 0.004;
  check_dist(JNET_JITTER_EXPONENTIAL, j, j, 0, 1e9);
}
END_TEST

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

START_TEST(pareto_jitter_median_matches) {
  /* Pareto(shape 2, scale j/2) has mean j but infinite variance: check the
   * median, (j/2) * sqrt(2), within 5 binomial standard errors. */
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.latency_ns = 10 * JNET_SIM_MS;
  lp.jitter_ns = 4 * JNET_SIM_MS;
  lp.jitter_dist = JNET_JITTER_PARETO;
  probe *p = run_probe(7, &lp, NPKT, 0.001, 0);
  ck_assert_int_eq(p->got, NPKT);
  double med = 0.002 * sqrt(2.0);
  int below = 0;
  for (int i = 0; i < p->got; i++) {
    ck_assert(p->delay_s[i] >= 0.012 - 1e-9); /* support starts at scale */
    below += p->delay_s[i] - 0.010 < med;
  }
  double sd = sqrt(NPKT * 0.25);
  ck_assert_msg(fabs(below - NPKT / 2.0) <= 5 * sd, "%d below the median", below);
  qsort(p->delay_s, (size_t)p->got, sizeof(double), cmp_d);
  probe_free(p);
}
END_TEST

START_TEST(adding_an_unrelated_host_leaves_link_timings_unchanged) {
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.latency_ns = 5 * JNET_SIM_MS;
  lp.jitter_ns = 5 * JNET_SIM_MS;
  lp.jitter_dist = JNET_JITTER_EXPONENTIAL;
  lp.loss = 0.1;
  probe *a = run_probe(42, &lp, 300, 0.002, 0);
  probe *b = run_probe(42, &lp, 300, 0.002, 1);
  probe *c = run_probe(43, &lp, 300, 0.002, 0);
  ck_assert_int_gt(a->got, 200);
  ck_assert_int_eq(a->got, b->got);
  for (int i = 0; i < a->got; i++)
    ck_assert_double_eq(a->delay_s[i], b->delay_s[i]);
  int same = a->got == c->got;
  for (int i = 0; same && i < a->got; i++)
    same = a->delay_s[i] == c->delay_s[i];
  ck_assert_msg(!same, "another seed gave the same timings");
  probe_free(a);
  probe_free(b);
  probe_free(c);
}
END_TEST

START_TEST(same_seed_same_fingerprint_other_seed_differs) {
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.jitter_ns = 2 * JNET_SIM_MS;
  lp.loss = 0.05;
  lp.duplicate = 0.05;
  uint64_t f[3];
  uint64_t seeds[3] = {9, 9, 10};
  for (int i = 0; i < 3; i++) {
    probe *p = run_probe(seeds[i], &lp, 200, 0.001, 0);
    f[i] = jnet_sim_fingerprint(p->w->sim);
    probe_free(p);
  }
  ck_assert_uint_eq(f[0], f[1]);
  ck_assert_uint_ne(f[0], f[2]);
}
END_TEST

START_TEST(bandwidth_spaces_packets_and_the_queue_tail_drops) {
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.bandwidth_bps = 1000000; /* 1 Mbit/s */
  lp.queue_bytes = 1 << 20;
  probe *p = calloc(1, sizeof *p);
  p->w = st_new(3, 2);
  p->n = 50;
  p->size = 972; /* 1000 bytes of IPv4 + UDP */
  ck_assert_int_eq(jnet_sim_link(p->w->sim, p->w->h[0], p->w->h[1], &lp), 0);
  st_go(p->w, 1, probe_server, p);
  st_go(p->w, 0, probe_client, p);
  st_run(p->w);
  ck_assert_int_eq(p->got, 50);
  /* all sent at once: the k-th waits for k+1 transmissions of 8 ms */
  for (int k = 0; k < 50; k++)
    ck_assert_double_eq_tol(p->delay_s[k], 0.001 + (k + 1) * 0.008, 1e-6);
  probe_free(p);

  lp.queue_bytes = 10000; /* ten packets */
  p = calloc(1, sizeof *p);
  p->w = st_new(3, 2);
  p->n = 50;
  p->size = 972;
  ck_assert_int_eq(jnet_sim_link(p->w->sim, p->w->h[0], p->w->h[1], &lp), 0);
  st_go(p->w, 1, probe_server, p);
  st_go(p->w, 0, probe_client, p);
  st_run(p->w);
  ck_assert_int_ge(p->got, 10);
  ck_assert_int_le(p->got, 12);
  jnet_sim_stats st;
  jnet_sim_get_stats(p->w->sim, &st);
  ck_assert_uint_ge(st.packets_dropped, 38);
  probe_free(p);
}
END_TEST

/* Bandwidth-only links (their own and the default) take a short path
 * (sim/model.h, net_send_from's paced case). A link that differs only by a
 * duplication chance too small to ever happen takes the general one
 * (link.c's transmit), drawing but never duplicating: the run must be the
 * same packet for packet. Both ways paced, 1 byte per us, a 1,500-byte
 * queue: bursts overflow it (tail drops) while hundreds of packets are in
 * flight (the event queue's lanes); the third host's default link is paced
 * too. */
#define PACED_N 600
typedef struct paced_run {
  st_world *w;
  int got, sent;
  uint64_t at[3 * PACED_N]; /* arrival time and length of every echo */
  jnet_sim_stats st;
  uint64_t fingerprint;
} paced_run;

static void paced_echo(void *arg) {
  jnet_stream u;
  ck_assert_int_eq(jnet_listen(arg, "7", JNET_DATAGRAM, &u), 0);
  jnet_buf b;
  jnet_addr from;
  jnet_buf_init(&b);
  for (;;) {
    jnet_buf_reset(&b);
    if (jnet_recv_from(u, 2048, &b, 0.5, &from) < 0)
      break;
    ck_assert_int_eq(jnet_send_to(u, &from, b.data, b.len, 1.0), 0);
  }
  jnet_buf_free(&b);
  jnet_close(u);
}

/* An echo back at the client: when, how long, and its round trip, which
 * is at most twice the latency plus the queue's and the datagram's
 * transmission (1 byte per us): a packet held back behind a later one
 * would come later. */
static void paced_got(paced_run *r, const jnet_buf *b) {
  uint64_t sent, now = jnet_sim_now_ns(r->w->sim);
  memcpy(&sent, b->data, 8);
  uint64_t lat_ms = b->data[8] == 2 ? 50 : 5;
  ck_assert_uint_le(now - sent, 2 * (lat_ms * JNET_SIM_MS + 1500000 +
                                     (b->len + 28) * 1000));
  r->at[r->got++] = now << 16 | b->len;
}

static void paced_client(void *arg) {
  paced_run *r = arg;
  jnet_stream u;
  jnet_addr to[2];
  char msg[600];
  memset(msg, 'p', sizeof msg);
  ck_assert_int_eq(jnet_listen("192.0.2.1", "0", JNET_DATAGRAM, &u), 0);
  ck_assert_int_eq(jnet_address("192.0.2.2", "7", JNET_DATAGRAM, &to[0]), 0);
  ck_assert_int_eq(jnet_address("192.0.2.3", "7", JNET_DATAGRAM, &to[1]), 0);
  jnet_buf b;
  jnet_buf_init(&b);
  for (int i = 0; i < PACED_N; i++) {
    /* bursts of 8 of growing sizes, then a pause */
    size_t n = 20 + (size_t)(i * 37) % 560;
    uint64_t now = jnet_sim_now_ns(r->w->sim);
    memcpy(msg, &now, 8);
    msg[8] = i % 3 == 2 ? 3 : 2; /* the host it goes to */
    ck_assert_int_eq(jnet_send_to(u, &to[i % 3 == 2], msg, n, 1.0), 0);
    r->sent++;
    if (i % 8 == 7)
      jnet_sleep(0.002);
    while (jnet_recv_from(u, 2048, &b, 1e-6, NULL) >= 0) {
      paced_got(r, &b);
      jnet_buf_reset(&b);
    }
  }
  while (jnet_recv_from(u, 2048, &b, 0.2, NULL) >= 0) {
    paced_got(r, &b);
    jnet_buf_reset(&b);
  }
  jnet_buf_free(&b);
  jnet_close(u);
}

/* Halfway, the link's latency drops: its next packets arrive before those
 * already in flight, so they must not queue behind them. */
static void paced_shorten(jnet_sim *sim, void *arg) {
  paced_run *r = arg;
  jnet_link_params lp;
  ck_assert_int_eq(jnet_sim_link_get(sim, r->w->h[0], r->w->h[1], &lp), 0);
  lp.latency_ns = 10 * JNET_SIM_MS;
  ck_assert_int_eq(jnet_sim_link(sim, r->w->h[0], r->w->h[1], &lp), 0);
}

static void paced_world(paced_run *r, double duplicate) {
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.latency_ns = 50 * JNET_SIM_MS;
  lp.bandwidth_bps = 8000000;
  lp.queue_bytes = 1500;
  lp.duplicate = duplicate;
  memset(r, 0, sizeof *r);
  r->w = st_new(11, 3);
  ck_assert_int_eq(jnet_sim_link(r->w->sim, r->w->h[0], r->w->h[1], &lp), 0);
  lp.latency_ns = 5 * JNET_SIM_MS;
  ck_assert_int_eq(jnet_sim_link(r->w->sim, NULL, NULL, &lp), 0);
  ck_assert_int_eq(jnet_sim_at(r->w->sim, 80 * JNET_SIM_MS, paced_shorten, r),
                   0);
  st_go(r->w, 1, paced_echo, "192.0.2.2");
  st_go(r->w, 2, paced_echo, "192.0.2.3");
  st_go(r->w, 0, paced_client, r);
  st_run(r->w);
  jnet_sim_get_stats(r->w->sim, &r->st);
  r->fingerprint = jnet_sim_fingerprint(r->w->sim);
  st_free(r->w);
}

START_TEST(a_bandwidth_only_link_runs_as_the_general_path_does) {
  static paced_run fast, general;
  paced_world(&fast, 0);
  paced_world(&general, 1e-300);
  ck_assert_int_eq(fast.sent, PACED_N);
  ck_assert_uint_gt(fast.st.queue_drops, 50); /* the queue overflowed */
  ck_assert_int_gt(fast.got, PACED_N / 4);    /* and passed most echoes */
  ck_assert_int_eq(fast.got, general.got);
  for (int i = 0; i < fast.got; i++)
    ck_assert_uint_eq(fast.at[i], general.at[i]);
  ck_assert_uint_eq(fast.st.packets_sent, general.st.packets_sent);
  ck_assert_uint_eq(fast.st.packets_dropped, general.st.packets_dropped);
  ck_assert_uint_eq(fast.st.queue_drops, general.st.queue_drops);
  ck_assert_uint_eq(fast.st.bytes_sent, general.st.bytes_sent);
  ck_assert_uint_eq(fast.st.events, general.st.events);
  ck_assert_uint_eq(fast.fingerprint, general.fingerprint);
}
END_TEST

START_TEST(link_params_validated_and_read_back) {
  st_world *w = st_new(1, 3);
  jnet_link_params lp, out;
  jnet_link_params_default(&lp);
  ck_assert_uint_eq(lp.latency_ns, JNET_SIM_MS);
  ck_assert_uint_eq(lp.mtu, 1500);
  lp.loss = 1.5;
  ck_assert_int_eq(jnet_sim_link(w->sim, w->h[0], w->h[1], &lp), JNET_EINVAL);
  lp.loss = 0;
  lp.mtu = 500;
  ck_assert_int_eq(jnet_sim_link(w->sim, w->h[0], w->h[1], &lp), JNET_EINVAL);
  lp.mtu = 9000;
  lp.jitter_dist = 99;
  ck_assert_int_eq(jnet_sim_link(w->sim, w->h[0], w->h[1], &lp), JNET_EINVAL);
  lp.jitter_dist = JNET_JITTER_NORMAL;
  ck_assert_int_eq(jnet_sim_link(w->sim, w->h[0], w->h[0], &lp), JNET_EINVAL);
  lp.latency_ns = 3 * JNET_SIM_MS;
  ck_assert_int_eq(jnet_sim_link_oneway(w->sim, w->h[0], w->h[1], &lp), 0);
  ck_assert_int_eq(jnet_sim_link_get(w->sim, w->h[0], w->h[1], &out), 0);
  ck_assert_uint_eq(out.latency_ns, 3 * JNET_SIM_MS);
  ck_assert_uint_eq(out.mtu, 9000);
  ck_assert_int_eq(jnet_sim_link_get(w->sim, w->h[1], w->h[0], &out), 0);
  ck_assert_uint_eq(out.latency_ns, JNET_SIM_MS); /* the other way: default */
  lp.latency_ns = 20 * JNET_SIM_MS;
  ck_assert_int_eq(jnet_sim_link(w->sim, w->h[0], NULL, &lp), 0); /* default */
  ck_assert_int_eq(jnet_sim_link_get(w->sim, w->h[1], w->h[2], &out), 0);
  ck_assert_uint_eq(out.latency_ns, 20 * JNET_SIM_MS);
  lp.latency_ns = 30 * JNET_SIM_MS; /* the default with no host at all */
  ck_assert_int_eq(jnet_sim_link(w->sim, NULL, NULL, &lp), 0);
  ck_assert_int_eq(jnet_sim_link_get(w->sim, w->h[2], w->h[1], &out), 0);
  ck_assert_uint_eq(out.latency_ns, 30 * JNET_SIM_MS);
  ck_assert_int_eq(jnet_sim_link(w->sim, NULL, w->h[1], &lp), JNET_EINVAL);
  st_loop(w);
  st_free(w);
}
END_TEST

/* --- br-tcp: reordering, allocation failures, faults' edges --- */

/* A reordered datagram is held back reorder_ns, or twice the latency when
 * reorder_ns is 0: with reorder 1 every one is, so each arrives at
 * latency + hold exactly. */
START_TEST(reorder_holds_back_reorder_ns_or_twice_the_latency) {
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.latency_ns = 4 * JNET_SIM_MS;
  lp.reorder = 1.0;
  probe *p = run_probe(5, &lp, 5, 0.001, 0);
  ck_assert_int_eq(p->got, 5);
  for (int i = 0; i < p->got; i++)
    ck_assert_double_eq_tol(p->delay_s[i], 0.012, 1e-9);
  probe_free(p);
  lp.reorder_ns = 3 * JNET_SIM_MS;
  p = run_probe(5, &lp, 5, 0.001, 0);
  ck_assert_int_eq(p->got, 5);
  for (int i = 0; i < p->got; i++)
    ck_assert_double_eq_tol(p->delay_s[i], 0.007, 1e-9);
  probe_free(p);
}
END_TEST


/* Datagrams of `size` bytes (>= 8: a send time, then a pattern) from h0 to
 * `dst` on host `server`; the receiver notes each one's delay, length and
 * the bits that differ from what was sent. */
#define DG_MAX 512
typedef struct dgx {
  st_world *w;
  const char *dst;
  int server, n, size;
  double gap_s;
  int got;
  double delay_s[DG_MAX];
  int len[DG_MAX], flipped[DG_MAX];
  uint64_t sent_ns[DG_MAX], arrived_ns[DG_MAX]; /* as read, as seen */
  int client_err, server_err;
} dgx;

static unsigned char dg_byte(int i) { return (unsigned char)(i * 7 + 1); }

static void dg_server(void *arg) {
  dgx *d = arg;
  jnet_stream u;
  d->server_err = jnet_listen(d->dst, "9100", JNET_DATAGRAM, &u);
  if (d->server_err < 0)
    return;
  jnet_buf b;
  jnet_buf_init(&b);
  while (d->got < d->n) {
    jnet_buf_reset(&b);
    ssize_t r = jnet_recv_from(u, 70000, &b, 2.0, NULL);
    if (r < 8)
      break;
    uint64_t sent;
    memcpy(&sent, b.data, 8);
    int flips = 0;
    for (size_t i = 8; i < b.len; i++)
      flips += __builtin_popcount(
          (unsigned)((unsigned char)b.data[i] ^ dg_byte((int)i)));
    d->sent_ns[d->got] = sent;
    d->arrived_ns[d->got] = jnet_sim_now_ns(d->w->sim);
    d->len[d->got] = (int)b.len;
    d->flipped[d->got] = flips;
    d->delay_s[d->got++] = (double)(jnet_sim_now_ns(d->w->sim) - sent) / 1e9;
  }
  jnet_buf_free(&b);
  jnet_close(u);
}

static void dg_client(void *arg) {
  dgx *d = arg;
  jnet_stream c;
  jnet_sleep(0.01);
  d->client_err = jnet_connect(d->dst, "9100", JNET_DATAGRAM, NULL, NULL, &c);
  if (d->client_err < 0)
    return;
  unsigned char *buf = malloc((size_t)d->size);
  for (int i = 8; i < d->size; i++)
    buf[i] = dg_byte(i);
  for (int i = 0; i < d->n; i++) {
    uint64_t now = jnet_sim_now_ns(d->w->sim);
    memcpy(buf, &now, 8);
    int r = jnet_write(c, buf, (size_t)d->size, 1.0);
    if (r < 0) {
      d->client_err = r;
      break;
    }
    jnet_sleep(d->gap_s);
  }
  free(buf);
  jnet_close(c);
}

/* Run the exchange on w (freed by the caller). */
static dgx *dg_run(st_world *w, const char *dst, int server, int n, int size,
                   double gap_s) {
  dgx *d = calloc(1, sizeof *d);
  d->w = w;
  d->dst = dst;
  d->server = server;
  d->n = n;
  d->size = size;
  d->gap_s = gap_s;
  st_go(w, server, dg_server, d);
  st_go(w, 0, dg_client, d);
  st_run(w);
  ck_assert_int_eq(d->server_err, 0);
  ck_assert_int_eq(d->client_err, 0);
  return d;
}

/* corrupt alone (every other fault off) flips exactly one bit of each
 * datagram: in the pattern, or else in the send time it carries (which
 * then differs from arrival - latency in one bit). */
START_TEST(corrupt_alone_flips_exactly_one_bit_of_each_datagram) {
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.corrupt = 1.0;
  st_world *w = st_new(11, 2);
  ck_assert_int_eq(jnet_sim_link(w->sim, w->h[0], w->h[1], &lp), 0);
  dgx *d = dg_run(w, "192.0.2.2", 1, 40, 24, 0.001);
  ck_assert_int_eq(d->got, 40);
  int in_time = 0;
  for (int i = 0; i < d->got; i++) {
    ck_assert_int_eq(d->len[i], 24);
    uint64_t x = d->sent_ns[i] ^ (d->arrived_ns[i] - JNET_SIM_MS);
    ck_assert_int_eq(d->flipped[i] + __builtin_popcountll(x), 1);
    in_time += x != 0;
  }
  ck_assert_int_gt(in_time, 0); /* 8 bytes of 24: about a third */
  ck_assert_int_lt(in_time, 40);
  free(d);
  st_free(w);
}
END_TEST

/* A datagram larger than the bottleneck queue still leaves an idle link
 * (nothing waits before it): only a busy link tail-drops. */
START_TEST(a_datagram_larger_than_the_queue_leaves_an_idle_link) {
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.bandwidth_bps = 8000000; /* 1 byte per us */
  lp.queue_bytes = 100;
  st_world *w = st_new(3, 2);
  ck_assert_int_eq(jnet_sim_link(w->sim, w->h[0], w->h[1], &lp), 0);
  dgx *d = dg_run(w, "192.0.2.2", 1, 3, 972, 0.01);
  ck_assert_int_eq(d->got, 3);
  for (int i = 0; i < 3; i++) /* 1 ms of latency + 1000 us on the wire */
    ck_assert_double_eq_tol(d->delay_s[i], 0.002, 1e-9);
  free(d);
  st_free(w);
}
END_TEST

/* Loss draws once per IP fragment: a datagram of three fragments over a
 * link losing 30 % arrives 0.7^3 = 34 % of the time, not 70 %. */
START_TEST(loss_draws_once_per_fragment) {
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.loss = 0.3;
  st_world *w = st_new(21, 2);
  ck_assert_int_eq(jnet_sim_link(w->sim, w->h[0], w->h[1], &lp), 0);
  dgx *d = dg_run(w, "192.0.2.2", 1, 400, 4000, 0.001);
  double want = 400 * 0.343, sd = sqrt(400 * 0.343 * 0.657);
  ck_assert_msg(fabs(d->got - want) <= 5 * sd, "%d of 400 arrived", d->got);
  for (int i = 0; i < d->got; i++) {
    ck_assert_int_eq(d->len[i], 4000);
    ck_assert_int_eq(d->flipped[i], 0);
  }
  free(d);
  st_free(w);
}
END_TEST

static void do_partition(jnet_sim *sim, void *arg) {
  st_world *w = arg;
  ck_assert_int_eq(jnet_sim_partition(sim, w->h[0], w->h[1], JNET_BOTH_WAYS), 0);
  ck_assert_int_eq(jnet_sim_heal(sim, w->h[0], w->h[1]), 0);
}

/* A partition healed leaves a link of no parameters of its own: its
 * packets still take the default link's faults (here reorder: 3 x 4 ms). */
START_TEST(healed_link_keeps_following_the_default_faults) {
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.latency_ns = 4 * JNET_SIM_MS;
  lp.reorder = 1.0;
  st_world *w = st_new(5, 2);
  ck_assert_int_eq(jnet_sim_link(w->sim, NULL, NULL, &lp), 0);
  ck_assert_int_eq(jnet_sim_at(w->sim, 5 * JNET_SIM_MS, do_partition, w), 0);
  dgx *d = dg_run(w, "192.0.2.2", 1, 5, 64, 0.001);
  ck_assert_int_eq(d->got, 5);
  for (int i = 0; i < d->got; i++)
    ck_assert_double_eq_tol(d->delay_s[i], 0.012, 1e-9);
  free(d);
  st_free(w);
}
END_TEST

static void do_clog(jnet_sim *sim, void *arg) {
  st_world *w = arg;
  ck_assert_int_eq(jnet_sim_clog(sim, w->h[0], w->h[1]), 0);
}
static void do_unclog(jnet_sim *sim, void *arg) {
  st_world *w = arg;
  ck_assert_int_eq(jnet_sim_unclog(sim, w->h[0], w->h[1]), 0);
}

/* Clogging default (plain) links: datagrams sent while clogged wait, then
 * leave in order at the unclog, a latency later. */
START_TEST(clogged_default_link_holds_datagrams_until_unclog) {
  st_world *w = st_new(6, 2);
  ck_assert_int_eq(jnet_sim_at(w->sim, 1, do_clog, w), 0);
  ck_assert_int_eq(jnet_sim_at(w->sim, 50 * JNET_SIM_MS, do_unclog, w), 0);
  dgx *d = dg_run(w, "192.0.2.2", 1, 5, 64, 0.002);
  ck_assert_int_eq(d->got, 5);
  for (int i = 0; i < d->got; i++) /* sent at 10 + 2i ms, out at 51 ms */
    ck_assert_double_eq_tol(d->delay_s[i], 0.051 - (0.010 + 0.002 * i), 1e-6);
  free(d);
  st_free(w);
}
END_TEST

/* Many links from one host: each reads back its own parameters (their
 * table's chains mix links of the same sender). */
START_TEST(many_links_from_one_host_each_keep_their_parameters) {
  st_world *w = st_new(1, 48);
  jnet_link_params lp, out;
  jnet_link_params_default(&lp);
  for (int i = 1; i < 48; i++) {
    lp.latency_ns = (uint64_t)i * JNET_SIM_MS;
    ck_assert_int_eq(jnet_sim_link_oneway(w->sim, w->h[0], w->h[i], &lp), 0);
  }
  for (int k = 0; k < 2; k++)
    for (int i = 47; i >= 1; i--) {
      ck_assert_int_eq(jnet_sim_link_get(w->sim, w->h[0], w->h[i], &out), 0);
      ck_assert_uint_eq(out.latency_ns, (uint64_t)i * JNET_SIM_MS);
      ck_assert_int_eq(jnet_sim_link_get(w->sim, w->h[i], w->h[0], &out), 0);
      ck_assert_uint_eq(out.latency_ns, JNET_SIM_MS);
    }
  st_free(w);
}
END_TEST

START_TEST(bad_link_arguments_are_einval) {
  st_world *w = st_new(1, 3);
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.jitter_dist = -1;
  ck_assert_int_eq(jnet_sim_link(w->sim, w->h[0], w->h[1], &lp), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_link_oneway(w->sim, w->h[0], w->h[1], &lp),
                   JNET_EINVAL);
  lp.jitter_dist = JNET_JITTER_UNIFORM;
  jnet_node *g[1] = {w->h[0]};
  ck_assert_int_eq(jnet_sim_partition_groups(w->sim, NULL, 1, g, 1, 0),
                   JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_partition_groups(w->sim, g, 1, NULL, 1, 0),
                   JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_partition_groups(w->sim, NULL, 0, NULL, 0, 0), 0);
  ck_assert_int_eq(jnet_sim_heal_all(w->sim), 0); /* no link yet */
  st_free(w);
}
END_TEST

static void do_default_reorder(jnet_sim *sim, void *arg) {
  (void)arg;
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.latency_ns = 4 * JNET_SIM_MS;
  lp.reorder = 1.0;
  ck_assert_int_eq(jnet_sim_link(sim, NULL, NULL, &lp), 0);
}

/* The default link changed mid-run applies at once to hosts that already
 * talked over the old one (plain: no link of their own was made). */
START_TEST(a_default_link_changed_mid_run_applies_to_hosts_already_talking) {
  st_world *w = st_new(5, 2);
  ck_assert_int_eq(jnet_sim_at(w->sim, 15 * JNET_SIM_MS, do_default_reorder, w),
                   0);
  dgx *d = dg_run(w, "192.0.2.2", 1, 6, 64, 0.002); /* at 10, 12, ... 20 */
  ck_assert_int_eq(d->got, 6);
  for (int i = 0; i < d->got; i++)
    ck_assert_double_eq_tol(d->delay_s[i], i < 3 ? 0.001 : 0.012, 1e-9);
  free(d);
  st_free(w);
}
END_TEST

static void do_clean_link(jnet_sim *sim, void *arg) {
  st_world *w = arg;
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  ck_assert_int_eq(jnet_sim_link(sim, w->h[0], w->h[1], &lp), 0);
}

/* A Gilbert-Elliott link stuck in its bad state (ge_r 0, every packet
 * lost) replaced by a clean one mid-run: the losses stop at once. */
START_TEST(a_bursty_link_replaced_by_a_clean_one_stops_losing_at_once) {
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.ge_p = 1.0;
  lp.ge_r = 0.0;
  lp.ge_loss_bad = 1.0;
  st_world *w = st_new(8, 2);
  ck_assert_int_eq(jnet_sim_link(w->sim, w->h[0], w->h[1], &lp), 0);
  ck_assert_int_eq(jnet_sim_at(w->sim, 15 * JNET_SIM_MS, do_clean_link, w), 0);
  dgx *d = dg_run(w, "192.0.2.2", 1, 6, 64, 0.002); /* at 10, 12, ... 20 */
  ck_assert_int_eq(d->got, 3); /* those sent at 16, 18 and 20 ms */
  for (int i = 0; i < d->got; i++) {
    ck_assert_double_eq_tol(d->delay_s[i], 0.001, 1e-9);
    ck_assert_uint_eq(d->sent_ns[i], (16 + 2 * (uint64_t)i) * JNET_SIM_MS);
  }
  jnet_sim_stats st;
  jnet_sim_get_stats(w->sim, &st);
  ck_assert_uint_eq(st.packets_dropped, 3);
  free(d);
  st_free(w);
}
END_TEST

/* A datagram to the host's own address over 548 bytes is captured whole,
 * as one IPv4 record (no link, so no MTU splits it). */
START_TEST(a_large_datagram_to_the_own_address_is_captured_whole) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/jnet-brtcp-%d.pcap", (int)getpid());
  st_world *w = st_new(1, 2);
  ck_assert_int_eq(jnet_sim_pcap_open(w->sim, path, NULL), 0);
  dgx *d = dg_run(w, "192.0.2.1", 0, 1, 1000, 0.001);
  ck_assert_int_eq(d->got, 1);
  ck_assert_int_eq(d->len[0], 1000);
  ck_assert_int_eq(jnet_sim_pcap_close(w->sim), 0);
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  unsigned char rec[16];
  ck_assert_int_eq(fseek(f, 24, SEEK_SET), 0); /* the file header */
  ck_assert_uint_eq(fread(rec, 1, 16, f), 16);
  uint32_t caplen = (uint32_t)rec[8] | (uint32_t)rec[9] << 8 |
                    (uint32_t)rec[10] << 16 | (uint32_t)rec[11] << 24;
  ck_assert_uint_eq(caplen, 1028); /* IPv4 20 + UDP 8 + 1000 */
  ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
  ck_assert_int_eq(ftell(f), 24 + 16 + 1028); /* and nothing else */
  fclose(f);
  unlink(path);
  free(d);
  st_free(w);
}
END_TEST

/* Out of memory: every fault call fails from its Nth allocation on with
 * JNET_ENOMEM (never a crash or a half-made link), then works once memory
 * is back, with the effect asked for. */
static int lf_fail_at, lf_count;
static int lf_fails(void) { return lf_fail_at && ++lf_count >= lf_fail_at; }
static void *lf_malloc(size_t n) { return lf_fails() ? NULL : malloc(n); }
static void *lf_realloc(void *p, size_t n) {
  return lf_fails() ? NULL : realloc(p, n);
}

static int lf_op(st_world *w, int op) {
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.latency_ns = 9 * JNET_SIM_MS;
  jnet_node *ga[1] = {w->h[0]}, *gb[2] = {w->h[1], w->h[2]};
  switch (op) {
  case 0: return jnet_sim_link(w->sim, w->h[0], w->h[1], &lp);
  case 1: return jnet_sim_partition(w->sim, w->h[0], w->h[1], JNET_BOTH_WAYS);
  case 2: return jnet_sim_partition_groups(w->sim, ga, 1, gb, 2, JNET_ONE_WAY);
  case 3: return jnet_sim_heal(w->sim, w->h[0], w->h[1]);
  case 4: return jnet_sim_clog(w->sim, w->h[0], w->h[1]);
  default: return jnet_sim_unclog(w->sim, w->h[0], w->h[1]);
  }
}

START_TEST(link_and_fault_calls_fail_cleanly_without_memory) {
  ck_assert_int_eq(jnet_replace_allocator(lf_malloc, lf_realloc, free), 0);
  for (int op = 0; op < 6; op++) {
    int enomem = 0;
    for (int n = 1; n < 20; n++) {
      st_world *w = st_new(1, 3);
      lf_count = 0;
      lf_fail_at = n;
      int r = lf_op(w, op);
      lf_fail_at = 0;
      ck_assert_msg(r == 0 || r == JNET_ENOMEM, "op %d n %d: %d", op, n, r);
      enomem += r == JNET_ENOMEM;
      if (r == 0) { /* needed fewer than n allocations */
        st_free(w);
        break;
      }
      ck_assert_int_eq(lf_op(w, op), 0); /* memory back: it works */
      if (op == 0) {
        jnet_link_params out;
        ck_assert_int_eq(jnet_sim_link_get(w->sim, w->h[1], w->h[0], &out), 0);
        ck_assert_uint_eq(out.latency_ns, 9 * JNET_SIM_MS);
      }
      st_free(w);
    }
    ck_assert_msg(enomem >= 2, "op %d: %d ENOMEM", op, enomem);
  }
  jnet_replace_allocator(malloc, realloc, free);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("sim-link");
  jc_defaults(60, NULL, NULL);
  JC_TEST(s, fixed_latency_is_what_the_application_measures);
  JC_TEST(s, uniform_jitter_mean_matches);
  JC_TEST(s, normal_jitter_mean_matches);
  JC_TEST(s, exponential_jitter_mean_matches);
  JC_TEST(s, pareto_jitter_median_matches);
  JC_TEST(s, adding_an_unrelated_host_leaves_link_timings_unchanged);
  JC_TEST(s, same_seed_same_fingerprint_other_seed_differs);
  JC_TEST(s, bandwidth_spaces_packets_and_the_queue_tail_drops);
  JC_TEST(s, a_bandwidth_only_link_runs_as_the_general_path_does);
  JC_TEST(s, link_params_validated_and_read_back);
  /* br-tcp */
  JC_TEST(s, reorder_holds_back_reorder_ns_or_twice_the_latency);
  JC_TEST(s, corrupt_alone_flips_exactly_one_bit_of_each_datagram);
  JC_TEST(s, a_datagram_larger_than_the_queue_leaves_an_idle_link);
  JC_TEST(s, loss_draws_once_per_fragment);
  JC_TEST(s, healed_link_keeps_following_the_default_faults);
  JC_TEST(s, clogged_default_link_holds_datagrams_until_unclog);
  JC_TEST(s, a_default_link_changed_mid_run_applies_to_hosts_already_talking);
  JC_TEST(s, a_bursty_link_replaced_by_a_clean_one_stops_losing_at_once);
  JC_TEST(s, a_large_datagram_to_the_own_address_is_captured_whole);
  JC_TEST(s, many_links_from_one_host_each_keep_their_parameters);
  JC_TEST(s, bad_link_arguments_are_einval);
  JC_TEST(s, link_and_fault_calls_fail_cleanly_without_memory);
  return s;
}

int main(void) { return st_run_suite(suite()); }
