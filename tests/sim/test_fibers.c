/* test_fibers.c — fibers that work together, where only the simulation can
 * tell: channels across hosts, host crashes cancelling fibers and waking
 * their joiners, a two-hour deadline on virtual time, and the same seed
 * giving the same order of wake-ups (log, trace and fingerprint). */
#define _GNU_SOURCE /* open_memstream */
#include <math.h>

#include "simtest.h"

typedef struct fx {
  st_world *w;
  long r[32];
  jnet_chan *ch;
  jnet_fiber f[4];
  char log[512];
  size_t nlog;
  int count;
} fx;

static fx *X; /* the running test's state, for fibers */

/* ---- channels belong to a host ---------------------------------------------- */

static void make_chan_on_h0(void *arg) {
  fx *x = arg;
  x->r[0] = jnet_chan_new(&x->ch, sizeof(int), 2);
}

static void use_chan_from_h1(void *arg) {
  fx *x = arg;
  int v = 1;
  jnet_case k[1] = {{x->ch, JNET_TAKE, &v, 0}};
  jnet_sleep(0.001); /* after h0 made it */
  x->r[1] = jnet_chan_give(x->ch, &v, 0);
  x->r[2] = jnet_chan_take(x->ch, &v, 0);
  x->r[3] = jnet_select(k, 1, 0);
  x->r[4] = jnet_chan_close(x->ch);
}

START_TEST(a_channel_used_from_another_host_is_einval) {
  fx x = {0};
  x.w = st_new(1, 2);
  st_go(x.w, 0, make_chan_on_h0, &x);
  st_go(x.w, 1, use_chan_from_h1, &x);
  st_run(x.w);
  ck_assert_int_eq(x.r[0], 0);
  for (int i = 1; i <= 4; i++)
    ck_assert_int_eq(x.r[i], JNET_EINVAL);
  st_free(x.w);
  ck_assert_int_eq(jnet_chan_free(x.ch), 0); /* after the loop: nothing waits */
}
END_TEST

/* ---- crashes --------------------------------------------------------------------- */

static void victim_take(void *arg) {
  fx *x = arg;
  int v;
  x->r[0] = jnet_chan_take(x->ch, &v, JNET_FOREVER);
  x->r[1] = jnet_sleep(1.0); /* still on a crashed host */
  x->r[2] = jnet_yield();
  x->count++;
}

static void victim_sleep(void *arg) {
  fx *x = arg;
  x->r[3] = jnet_sleep(3600.0);
  x->count++;
}

static void observer(void *arg) {
  fx *x = arg;
  /* joins work across hosts */
  x->r[4] = jnet_join(x->f[0], JNET_FOREVER);
  x->r[5] = jnet_join(x->f[1], JNET_FOREVER);
  x->r[6] = (long)(jnet_now() * 1000 + 0.5);
  x->r[7] = jnet_spawn_on(NULL, x->w->h[0], victim_sleep, x, &x->f[2]);
  x->r[8] = x->f[2].h == 0;
}

static void crash_h0(jnet_sim *sim, void *arg) {
  fx *x = arg;
  jnet_sim_crash(sim, x->w->h[0]);
}

START_TEST(a_crash_cancels_the_hosts_fibers_and_wakes_their_joiners) {
  fx x = {0};
  x.w = st_new(1, 2);
  st_loop(x.w);
  /* a channel of h0, made outside a fiber: the default node is h0 */
  ck_assert_int_eq(jnet_chan_new(&x.ch, sizeof(int), 0), 0);
  ck_assert_int_eq(jnet_spawn_on(x.w->loop, x.w->h[0], victim_take, &x, &x.f[0]), 0);
  ck_assert_int_eq(jnet_spawn_on(x.w->loop, x.w->h[0], victim_sleep, &x, &x.f[1]), 0);
  ck_assert_int_eq(jnet_spawn_on(x.w->loop, x.w->h[1], observer, &x, NULL), 0);
  ck_assert_int_eq(jnet_sim_at(x.w->sim, 2 * JNET_SIM_S, crash_h0, &x), 0);
  st_run(x.w);
  ck_assert_int_eq(x.r[0], JNET_ECANCELED);
  ck_assert_int_eq(x.r[1], JNET_ECANCELED);
  ck_assert_int_eq(x.r[2], JNET_ECANCELED);
  ck_assert_int_eq(x.r[3], JNET_ECANCELED);
  ck_assert_int_eq(x.r[4], 0);
  ck_assert_int_eq(x.r[5], 0);
  ck_assert_int_eq(x.r[6], 2000); /* woken at the crash, not an hour later */
  ck_assert_int_eq(x.r[7], JNET_ECANCELED);
  ck_assert_int_eq(x.r[8], 1);
  ck_assert_int_eq(x.count, 2);
  ck_assert_uint_eq(jnet_chan_count(x.ch), 0); /* channels stay as they were */
  st_free(x.w);
  ck_assert_int_eq(jnet_chan_free(x.ch), 0);
}
END_TEST

/* ---- virtual time ------------------------------------------------------------------ */

static void two_hour_deadline(void *arg) {
  fx *x = arg;
  jnet_chan *c;
  int v;
  x->r[0] = jnet_chan_new(&c, sizeof v, 0);
  jnet_deadline(jnet_now() + 7200.0);
  x->r[1] = jnet_chan_take(c, &v, JNET_FOREVER);
  x->r[2] = (long)jnet_now();
  x->r[3] = jnet_chan_free(c);
}

START_TEST(a_two_hour_deadline_costs_no_wall_time) {
  fx x = {0};
  x.w = st_new(1, 1);
  double w0 = st_wall_s();
  st_go(x.w, 0, two_hour_deadline, &x);
  st_run(x.w);
  ck_assert_int_eq(x.r[0], 0);
  ck_assert_int_eq(x.r[1], JNET_ETIMEDOUT);
  ck_assert_int_eq(x.r[2], 7200);
  ck_assert_int_eq(x.r[3], 0);
  ck_assert(st_wall_s() - w0 < 1.0);
  st_free(x.w);
}
END_TEST

/* ---- determinism ---------------------------------------------------------------- */

static void logf_(const char *fmt, long a, long b) {
  if (X->nlog + 40 < sizeof X->log)
    X->nlog += (size_t)snprintf(X->log + X->nlog, sizeof X->log - X->nlog, fmt,
                                a, b);
}

/* The server: echo each datagram after a random delay. */
static void echo_server(void *arg) {
  (void)arg;
  jnet_stream u;
  if (jnet_listen("192.0.2.1", "7", JNET_DATAGRAM, &u) < 0)
    return;
  jnet_buf b;
  jnet_buf_init(&b);
  for (int i = 0; i < 8; i++) {
    jnet_addr from;
    jnet_buf_reset(&b);
    if (jnet_recv_from(u, 64, &b, 5.0, &from) < 0)
      break;
    jnet_sleep((double)(jnet_random() % 1000) / 1e5);
    jnet_send_to(u, &from, b.data, b.len, 1.0);
  }
  jnet_buf_free(&b);
  jnet_close(u);
}

typedef struct asker {
  jnet_chan *answers;
  int id;
} asker;

static void ask(void *arg) {
  asker *a = arg;
  jnet_stream s;
  if (jnet_connect("192.0.2.1", "7", JNET_DATAGRAM, NULL, NULL, &s) < 0)
    return;
  char q = (char)('a' + a->id);
  jnet_buf b;
  jnet_buf_init(&b);
  if (jnet_write(s, &q, 1, 1.0) == 0 && jnet_read(s, 64, &b, 1.0) == 1) {
    int got = a->id;
    jnet_chan_give(a->answers, &got, 1.0);
  }
  jnet_buf_free(&b);
  jnet_close(s);
}

/* A client: fan out to two askers, take the first answer under one
 * deadline, log which and when. */
static void client(void *arg) {
  long me = (long)(intptr_t)arg;
  jnet_chan *answers;
  if (jnet_chan_new(&answers, sizeof(int), 2) < 0)
    return;
  asker a[2] = {{answers, 0}, {answers, 1}};
  jnet_fiber f[2];
  jnet_spawn(NULL, ask, &a[0], &f[0]);
  jnet_spawn(NULL, ask, &a[1], &f[1]);
  double saved = jnet_deadline(jnet_now() + 0.02);
  int first = -1;
  jnet_case k[1] = {{answers, JNET_TAKE, &first, 0}};
  int rc = jnet_select(k, 1, JNET_FOREVER);
  jnet_deadline(saved);
  logf_("c%ld:", me, 0);
  logf_("%ld@%ld ", rc < 0 ? rc : first, (long)(jnet_now() * 1e6));
  jnet_join(f[0], 1.0);
  jnet_join(f[1], 1.0);
  jnet_chan_free(answers);
}

static uint64_t seeded_run(uint64_t seed, char *log, size_t n, char **trace,
                           size_t *trace_len) {
  fx x = {0};
  X = &x;
  x.w = st_new(seed, 3);
  jnet_link_params p;
  jnet_link_params_default(&p);
  p.jitter_ns = 3 * JNET_SIM_MS;
  p.loss = 0.1;
  ck_assert_int_eq(jnet_sim_link(x.w->sim, NULL, NULL, &p), 0);
  FILE *f = open_memstream(trace, trace_len);
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(jnet_sim_trace(x.w->sim, f), 0);
  st_go(x.w, 0, echo_server, NULL);
  st_go(x.w, 1, client, (void *)(intptr_t)1);
  st_go(x.w, 2, client, (void *)(intptr_t)2);
  st_run(x.w);
  jnet_sim_trace(x.w->sim, NULL);
  fclose(f);
  uint64_t fp = jnet_sim_fingerprint(x.w->sim);
  snprintf(log, n, "%s", x.log);
  st_free(x.w);
  return fp;
}

START_TEST(same_seed_same_order_of_wake_ups) {
  char la[512], lb[512];
  char *ta = NULL, *tb = NULL;
  size_t na = 0, nb = 0;
  uint64_t fa = seeded_run(7, la, sizeof la, &ta, &na);
  uint64_t fb = seeded_run(7, lb, sizeof lb, &tb, &nb);
  ck_assert_str_eq(la, lb);
  ck_assert_uint_eq(fa, fb);
  ck_assert_uint_eq(na, nb);
  ck_assert(na > 0 && memcmp(ta, tb, na) == 0);
  ck_assert_msg(strstr(la, "c1:") && strstr(la, "c2:"), "log: %s", la);
  free(ta);
  free(tb);
}
END_TEST

/* --- p-dgram: a later timeout left in the timer heap as a lower bound --- */

static void lb_log(fx *x, const char *who) {
  x->nlog += (size_t)snprintf(x->log + x->nlog, sizeof x->log - x->nlog,
                              "%s@%.2f ", who, jnet_now());
}

static void lb_taker(void *arg) { /* A: 1 s, served at 0.5; then 2 s */
  fx *x = arg;
  int v;
  x->r[3] = jnet_chan_new(&x->ch, sizeof v, 0);
  x->r[0] = jnet_chan_take(x->ch, &v, 1.0);
  lb_log(x, "A1");
  x->r[1] = jnet_chan_take(x->ch, &v, 2.0); /* 2.5, later than 1.0 */
  lb_log(x, "A2");
  x->r[4] = jnet_chan_free(x->ch);
}

static void lb_giver(void *arg) { /* B */
  fx *x = arg;
  int v = 7;
  jnet_sleep(0.5);
  x->r[2] = jnet_chan_give(x->ch, &v, JNET_FOREVER);
}

static void lb_sleeper(void *arg) { /* C: 1.5, after A's first bound */
  fx *x = arg;
  jnet_sleep(1.5);
  lb_log(x, "C");
}

static void lb_tie(void *arg) { /* D: 2.5 too, armed before A's 2.5 */
  fx *x = arg;
  jnet_sleep(0.25);
  jnet_sleep(2.25);
  lb_log(x, "D");
}

static void lb_spawn(fx *x) {
  x->w = st_new(1, 1);
  st_loop(x->w);
  st_go(x->w, 0, lb_taker, x);
  st_go(x->w, 0, lb_giver, x);
  st_go(x->w, 0, lb_sleeper, x);
  st_go(x->w, 0, lb_tie, x);
}

static void lb_check(fx *x) {
  ck_assert_int_eq(x->r[0], 1);
  ck_assert_int_eq(x->r[1], JNET_ETIMEDOUT);
  ck_assert_int_eq(x->r[2], 0);
  /* each at its own deadline; at 2.5 the earlier armed (D) first */
  ck_assert_str_eq(x->log, "A1@0.50 C@1.50 D@2.50 A2@2.50 ");
  ck_assert_int_eq(x->r[3], 0);
  ck_assert_int_eq(x->r[4], 0);
  st_free(x->w);
}

START_TEST(a_later_timeout_fires_at_its_own_time_in_arming_order) {
  fx x = {0};
  lb_spawn(&x);
  st_run(x.w);
  lb_check(&x);
}
END_TEST

/* One turn at a time the clock only ever stops at a true deadline or a
 * packet: never at the 1.0 the first take left behind. */
START_TEST(run_once_turns_stop_only_at_true_deadlines) {
  fx x = {0};
  lb_spawn(&x);
  double seen[16];
  int n = 0, r;
  while ((r = jnet_run_once(x.w->loop)) > 0 && n < 16) {
    double t = (double)jnet_sim_now_ns(x.w->sim) / JNET_SIM_S;
    if (n == 0 || t != seen[n - 1])
      seen[n++] = t;
  }
  ck_assert_int_eq(r, 0);
  ck_assert_msg(n == 4 && seen[0] == 0.25 && seen[1] == 0.5 &&
                    seen[2] == 1.5 && seen[3] == 2.5,
                "%d stops, the 2nd at %.2f", n, n > 1 ? seen[1] : -1.0);
  lb_check(&x);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("sim-fibers");
  jc_defaults(30, NULL, NULL);
  JC_TEST(s, a_channel_used_from_another_host_is_einval);
  JC_TEST(s, a_crash_cancels_the_hosts_fibers_and_wakes_their_joiners);
  JC_TEST(s, a_two_hour_deadline_costs_no_wall_time);
  JC_TEST(s, same_seed_same_order_of_wake_ups);
  JC_TEST(s, a_later_timeout_fires_at_its_own_time_in_arming_order);
  JC_TEST(s, run_once_turns_stop_only_at_true_deadlines);
  return s;
}

int main(void) { return st_run_suite(suite()); }
