/* test_link.c — links as an application sees them: latency, the jitter
 * distributions (means within tolerances derived from their variances),
 * bandwidth and its queue, independence of PRNG streams, fingerprints. */
#include <math.h>

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
  JC_TEST(s, link_params_validated_and_read_back);
  /* br-tcp */
  JC_TEST(s, reorder_holds_back_reorder_ns_or_twice_the_latency);
  return s;
}

int main(void) { return st_run_suite(suite()); }
