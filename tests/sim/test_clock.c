/* test_clock.c — virtual time: long timeouts cost no wall time, scheduled
 * callbacks run in (time, insertion) order, limits stop a run. */
#include <jnet/jnet_backend.h>

#include "simtest.h"

typedef struct clock_t_ {
  st_world *w;
  int r[8];
  double t[8];
  int order[8], norder;
} clk;

static void hour_wait(void *arg) {
  clk *c = arg;
  jnet_stream u;
  c->r[0] = jnet_listen("192.0.2.1", "9000", JNET_DATAGRAM, &u);
  jnet_buf b;
  jnet_buf_init(&b);
  c->r[1] = (int)jnet_recv_from(u, 100, &b, 3600.0, NULL);
  c->t[0] = jnet_now();
  c->r[2] = jnet_sleep(7200.0);
  c->t[1] = jnet_now();
  jnet_buf_free(&b);
  jnet_close(u);
}

START_TEST(hour_long_timeout_completes_in_milliseconds) {
  clk c = {0};
  c.w = st_new(1, 1);
  double w0 = st_wall_s();
  st_go(c.w, 0, hour_wait, &c);
  st_run(c.w);
  double wall = st_wall_s() - w0;
  ck_assert_int_eq(c.r[0], 0);
  ck_assert_int_eq(c.r[1], JNET_ETIMEDOUT);
  ck_assert_double_eq_tol(c.t[0], 3600.0, 1e-6);
  ck_assert_int_eq(c.r[2], 0);
  ck_assert_double_eq_tol(c.t[1], 3600.0 + 7200.0, 1e-6);
  ck_assert_msg(wall < 1.0, "three simulated hours took %.3f s of wall time",
                wall);
  st_free(c.w);
}
END_TEST

static clk *the_clk;
static void at_a(jnet_sim *sim, void *arg) {
  (void)sim;
  the_clk->order[the_clk->norder] = (int)(intptr_t)arg;
  the_clk->t[the_clk->norder++] = (double)jnet_sim_now_ns(sim) / 1e9;
}

START_TEST(at_callbacks_run_in_time_then_insertion_order) {
  clk c = {0};
  the_clk = &c;
  c.w = st_new(1, 1);
  jnet_sim *sim = c.w->sim;
  ck_assert_int_eq(jnet_sim_at(sim, 5 * JNET_SIM_MS, at_a, (void *)1), 0);
  ck_assert_int_eq(jnet_sim_at(sim, 1 * JNET_SIM_MS, at_a, (void *)2), 0);
  ck_assert_int_eq(jnet_sim_at(sim, 5 * JNET_SIM_MS, at_a, (void *)3), 0);
  ck_assert_int_eq(jnet_sim_at(sim, 0, at_a, (void *)4), 0);
  st_run(c.w);
  ck_assert_int_eq(c.norder, 4);
  ck_assert_int_eq(c.order[0], 4);
  ck_assert_int_eq(c.order[1], 2);
  ck_assert_int_eq(c.order[2], 1);
  ck_assert_int_eq(c.order[3], 3);
  ck_assert_double_eq_tol(c.t[1], 0.001, 1e-12);
  ck_assert_double_eq_tol(c.t[3], 0.005, 1e-12);
  ck_assert_uint_eq(jnet_sim_now_ns(sim), 5 * JNET_SIM_MS);
  /* the past is refused */
  ck_assert_int_eq(jnet_sim_at(sim, 4 * JNET_SIM_MS, at_a, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_at(sim, 0, NULL, NULL), JNET_EINVAL);
  st_free(c.w);
}
END_TEST

static void long_sleep(void *arg) {
  clk *c = arg;
  c->r[0] = jnet_sleep(100.0);
  c->r[1] = 1;
}

START_TEST(max_time_limit_stops_the_run) {
  clk c = {0};
  c.w = st_new(1, 1);
  jnet_sim_set_limits(c.w->sim, 10 * JNET_SIM_S, 0);
  st_go(c.w, 0, long_sleep, &c);
  int rc = jnet_run(c.w->loop);
  ck_assert_int_eq(rc, JNET_ETIMEDOUT);
  ck_assert_int_eq(c.r[1], 0); /* the sleeper never woke */
  ck_assert_uint_eq(jnet_sim_now_ns(c.w->sim), 10 * JNET_SIM_S);
  st_free_stopped(c.w);
}
END_TEST

static int reschedules;
static void again(jnet_sim *sim, void *arg) {
  reschedules++;
  jnet_sim_at(sim, jnet_sim_now_ns(sim) + JNET_SIM_MS, again, arg);
}

START_TEST(max_events_limit_stops_the_run) {
  st_world *w = st_new(1, 1);
  jnet_sim_set_limits(w->sim, 0, 100);
  ck_assert_int_eq(jnet_sim_at(w->sim, 0, again, NULL), 0);
  st_loop(w);
  ck_assert_int_eq(jnet_run(w->loop), JNET_ETIMEDOUT);
  jnet_sim_stats st;
  jnet_sim_get_stats(w->sim, &st);
  ck_assert_uint_eq(st.events, 100);
  ck_assert_int_eq(reschedules, 100);
  ck_assert_uint_eq(jnet_sim_now_ns(w->sim), 99 * JNET_SIM_MS);
  st_free_stopped(w);
}
END_TEST

/* Issue 13, item 0: the remaining 2.8e-17 s of 0.05 + 0.05 + 0.05 used to
 * round to a zero-length sleep that never moved virtual time. */
static void sleep_until_sum(void *arg) {
  clk *c = arg;
  double d = 0.05 + 0.05 + 0.05;
  int n = 0;
  c->r[0] = jnet_sleep(0.05);
  c->r[0] |= jnet_sleep(0.05);
  c->r[0] |= jnet_sleep(0.05);
  while (jnet_now() < d && n < 1000) {
    c->r[1] = jnet_sleep(d - jnet_now());
    n++;
  }
  c->r[2] = n;
  c->t[0] = jnet_now();
}

START_TEST(sleep_shorter_than_a_tick_moves_the_clock) {
  clk c = {0};
  c.w = st_new(1, 1);
  jnet_sim_set_limits(c.w->sim, 10 * JNET_SIM_S, 100000);
  st_go(c.w, 0, sleep_until_sum, &c);
  st_run(c.w);
  ck_assert_int_eq(c.r[0], 0);
  ck_assert_int_eq(c.r[1], 0);
  ck_assert_int_eq(c.r[2], 1); /* one sleep of one tick */
  ck_assert_uint_eq(jnet_sim_now_ns(c.w->sim), 150000001ull);
  ck_assert(c.t[0] >= 0.05 + 0.05 + 0.05);
  st_free(c.w);
}
END_TEST

static void spin_yield(void *arg) {
  clk *c = arg;
  for (;;) {
    c->r[0]++;
    jnet_yield();
  }
}

static void spin_sleep0(void *arg) {
  clk *c = arg;
  for (;;) {
    c->r[1]++;
    jnet_sleep(0);
  }
}

START_TEST(max_events_counts_fiber_resumptions) {
  clk c = {0};
  c.w = st_new(1, 1);
  jnet_sim_set_limits(c.w->sim, 0, 1000);
  st_go(c.w, 0, spin_yield, &c);
  st_go(c.w, 0, spin_sleep0, &c);
  ck_assert_int_eq(jnet_run(c.w->loop), JNET_ETIMEDOUT);
  /* two fibers, about 1000 resumptions between them */
  ck_assert_int_ge(c.r[0] + c.r[1], 1000);
  ck_assert_int_le(c.r[0] + c.r[1], 1004);
  ck_assert_int_ge(c.r[0], 400);
  ck_assert_int_ge(c.r[1], 400);
  st_free_stopped(c.w);
}
END_TEST

/* The same, turn by turn with jnet_run_once (no hand-on between fibers:
 * each turn's batch runs from the scheduler): every turn's resumptions are
 * counted when its batch ends, so the limit stops the spinning fibers
 * after the same ~1000, not never. */
START_TEST(max_events_counts_resumptions_turn_by_turn) {
  clk c = {0};
  c.w = st_new(1, 1);
  jnet_sim_set_limits(c.w->sim, 0, 1000);
  st_go(c.w, 0, spin_yield, &c);
  st_go(c.w, 0, spin_sleep0, &c);
  int rc = 1, turns = 0;
  while (rc > 0 && turns < 5000) {
    rc = jnet_run_once(c.w->loop);
    turns++;
  }
  ck_assert_int_eq(rc, JNET_ETIMEDOUT);
  ck_assert_int_ge(c.r[0] + c.r[1], 1000);
  ck_assert_int_le(c.r[0] + c.r[1], 1004);
  st_free_stopped(c.w);
}
END_TEST

/* A timed read that completes leaves its timer behind disarmed (loop.c):
 * it must neither hold the run open nor move the clock to its deadline
 * when the run goes idle with its fiber blocked for good. */
typedef struct stale {
  jnet_stream u;
  int r[3];
  uint64_t t_read_ns;
} stale;

static void stale_reader(void *arg) {
  stale *st = arg;
  jnet_buf b;
  jnet_buf_init(&b);
  st->r[0] = jnet_listen("192.0.2.1", "9002", JNET_DATAGRAM, &st->u);
  st->r[1] = (int)jnet_recv_from(st->u, 100, &b, 5.0, NULL);
  st->t_read_ns = (uint64_t)(jnet_now() * 1e9 + 0.5);
  st->r[2] = (int)jnet_recv_from(st->u, 100, &b, JNET_FOREVER, NULL);
  jnet_buf_free(&b);
}

static void stale_sender(void *arg) {
  (void)arg;
  jnet_stream u;
  jnet_addr a;
  ck_assert_int_eq(jnet_address("192.0.2.1", "9002", JNET_DATAGRAM, &a), 0);
  ck_assert_int_eq(jnet_listen("192.0.2.2", "0", JNET_DATAGRAM, &u), 0);
  ck_assert_int_eq(jnet_send_to(u, &a, "x", 1, 1.0), 0);
  jnet_close(u);
}

START_TEST(completed_timed_read_leaves_no_deadline_behind) {
  stale st = {0};
  st_world *w = st_new(1, 2);
  st_go(w, 0, stale_reader, &st);
  st_go(w, 1, stale_sender, NULL);
  st_run(w); /* idle: the reader waits for good, nothing else is due */
  ck_assert_int_eq(st.r[0], 0);
  ck_assert_int_eq(st.r[1], 1);
  ck_assert_uint_gt(st.t_read_ns, 0);
  ck_assert_uint_eq(jnet_sim_now_ns(w->sim), st.t_read_ns); /* not 5 s */
  ck_assert_uint_eq(jnet_loop_fibers(w->loop), 1);
  jnet_close(st.u); /* the blocked read ends, and its fiber */
  st_run(w);
  ck_assert_int_eq(st.r[2], JNET_ECANCELED);
  ck_assert_uint_eq(jnet_sim_now_ns(w->sim), st.t_read_ns);
  st_free(w);
}
END_TEST

/* A sleeper whose deadline passes during a turn's poll resumes in the very
 * next batch, even while another fiber keeps the run queue full (the turn
 * fires the timers the poll made due, not one batch later). The backend is
 * the sim with a clock that is not the sim's alone (clock_in_poll 0, as uv)
 * and moves 1 ms at each non-blocking poll, so when the poll passes the
 * deadline is exact. */
#define FAKE_STEP_NS 1000000ull
static const jnet_backend *fake_inner;
static uint64_t fake_off;

static uint64_t fake_now(const jnet_backend *b) {
  (void)b;
  return fake_inner->now_ns(fake_inner) + fake_off;
}

static int fake_poll(const jnet_backend *b, uint64_t deadline, int block) {
  (void)b;
  if (!block)
    fake_off += FAKE_STEP_NS; /* time passes while the fibers run */
  if (deadline != JNET_NO_DEADLINE) {
    uint64_t now = fake_inner->now_ns(fake_inner);
    deadline = deadline > fake_off ? deadline - fake_off : 0;
    if (deadline < now)
      deadline = now;
  }
  return fake_inner->poll(fake_inner, deadline, block);
}

typedef struct spin {
  double due; /* the sleeper's deadline on the loop's clock, 0 until set */
  double woke;
  int done, seen, spins;
} spin;

static void spinner(void *arg) {
  spin *k = arg;
  int i = 0;
  for (; i < 100 && !k->done; i++) {
    if (k->due > 0 && jnet_now() >= k->due)
      k->seen++; /* a turn in which the sleeper was due and had not run */
    jnet_yield();
  }
  k->spins = i;
}

static void sleeper(void *arg) {
  spin *k = arg;
  k->due = jnet_now() + 0.0025;
  jnet_sleep(0.0025);
  k->woke = jnet_now();
  k->done = 1;
}

START_TEST(a_timer_the_poll_made_due_fires_in_that_turn) {
  st_world *w = st_new(1, 1);
  jnet_backend fake = *jnet_sim_backend(w->sim);
  fake_inner = jnet_sim_backend(w->sim);
  fake_off = 0;
  fake.now_ns = fake_now;
  fake.poll = fake_poll;
  fake.clock_in_poll = 0;
  ck_assert_int_eq(jnet_loop_new(&w->loop, &fake), 0);
  spin k = {0};
  st_go(w, 0, spinner, &k); /* first in every batch */
  st_go(w, 0, sleeper, &k);
  st_run(w);
  ck_assert_int_eq(k.done, 1);
  ck_assert_int_lt(k.spins, 100);
  /* the poll that took the clock to 3 ms passed the 2.5 ms deadline: the
   * next batch ran the sleeper, right after the spinner saw it due once */
  ck_assert_int_eq(k.seen, 1);
  ck_assert_double_lt(k.woke - k.due, FAKE_STEP_NS / 1e9);
  st_free(w);
}
END_TEST

/* A backend may leave out what version 5 added (the clock's word, the
 * resumption counter, sends done without a request) or say it cannot tell
 * (send_to_now answering 1): the loop then calls now_ns() and resumed(),
 * and sends through send_to. The same world on the sim backend and
 * on such a copy of it runs the same events: the same fingerprint, every
 * datagram delivered. */
static int cannot_tell(const jnet_backend *b, jnet_bsock *s, const void *buf,
                       size_t len, const jnet_addr *dst) {
  (void)b, (void)s, (void)buf, (void)len, (void)dst;
  return 1;
}

typedef struct pp {
  int got;
} pp;

static void pp_send(void *arg) {
  (void)arg;
  char to[32];
  st_addr(1, to, sizeof to);
  jnet_addr dst;
  jnet_stream u;
  if (jnet_address(to, "9000", JNET_DATAGRAM, &dst) != 0 ||
      jnet_listen("0.0.0.0", NULL, JNET_DATAGRAM, &u) != 0)
    return;
  jnet_sleep(0.001);
  for (int i = 0; i < 20; i++) {
    jnet_send_to(u, &dst, "datagram", 1 + (size_t)i % 8, 1);
    jnet_sleep(0.0005);
  }
  jnet_close(u);
}

static void pp_recv(void *arg) {
  pp *k = arg;
  char me[32];
  st_addr(1, me, sizeof me);
  jnet_stream u;
  jnet_buf b;
  jnet_buf_init(&b);
  if (jnet_listen(me, "9000", JNET_DATAGRAM, &u) == 0) {
    while (k->got < 20 && jnet_recv_from(u, 64, &b, 1, NULL) > 0) {
      k->got++;
      jnet_buf_reset(&b);
    }
    jnet_close(u);
  }
  jnet_buf_free(&b);
}

static uint64_t pp_run(int lean, int *got) {
  st_world *w = st_new(5, 2);
  jnet_backend copy = *jnet_sim_backend(w->sim);
  if (lean) {
    copy.clock_ns = NULL;
    copy.resumptions = NULL; /* counted through resumed() instead */
    copy.send_to_now = cannot_tell;
    ck_assert_int_eq(jnet_loop_new(&w->loop, &copy), 0);
  }
  pp k = {0};
  st_go(w, 1, pp_recv, &k);
  st_go(w, 0, pp_send, NULL);
  st_run(w);
  uint64_t fp = jnet_sim_fingerprint(w->sim);
  *got = k.got;
  st_free(w);
  return fp;
}

START_TEST(a_backend_without_the_version_5_shortcuts_runs_the_same) {
  int full = 0, lean = 0;
  uint64_t a = pp_run(0, &full), b = pp_run(1, &lean);
  ck_assert_int_eq(full, 20);
  ck_assert_int_eq(lean, 20);
  ck_assert_uint_eq(a, b);
}
END_TEST

/* --- br-sim: the limit's edge --- */

/* "Passes max_time_ns": an event due exactly at the limit still runs, one
 * a nanosecond later does not, and the clock stops at the limit. */
static int edge_ran[2];
static void edge_mark(jnet_sim *sim, void *arg) {
  (void)sim;
  edge_ran[(int)(intptr_t)arg]++;
}

START_TEST(event_due_exactly_at_max_time_runs_one_after_does_not) {
  st_world *w = st_new(1, 1);
  jnet_sim_set_limits(w->sim, 10 * JNET_SIM_S, 0);
  ck_assert_int_eq(jnet_sim_at(w->sim, 10 * JNET_SIM_S, edge_mark, (void *)0), 0);
  ck_assert_int_eq(
      jnet_sim_at(w->sim, 10 * JNET_SIM_S + 1, edge_mark, (void *)1), 0);
  st_loop(w);
  ck_assert_int_eq(jnet_run(w->loop), JNET_ETIMEDOUT);
  ck_assert_int_eq(edge_ran[0], 1);
  ck_assert_int_eq(edge_ran[1], 0);
  ck_assert_uint_eq(jnet_sim_now_ns(w->sim), 10 * JNET_SIM_S);
  st_free_stopped(w);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("sim-clock");
  jc_defaults(30, NULL, NULL);
  JC_TEST(s, hour_long_timeout_completes_in_milliseconds);
  JC_TEST(s, at_callbacks_run_in_time_then_insertion_order);
  JC_TEST(s, max_time_limit_stops_the_run);
  JC_TEST(s, max_events_limit_stops_the_run);
  JC_TEST(s, sleep_shorter_than_a_tick_moves_the_clock);
  JC_TEST(s, max_events_counts_fiber_resumptions);
  JC_TEST(s, max_events_counts_resumptions_turn_by_turn);
  JC_TEST(s, completed_timed_read_leaves_no_deadline_behind);
  JC_TEST(s, event_due_exactly_at_max_time_runs_one_after_does_not);
  JC_TEST(s, a_timer_the_poll_made_due_fires_in_that_turn);
  JC_TEST(s, a_backend_without_the_version_5_shortcuts_runs_the_same);
  return s;
}

int main(void) { return st_run_suite(suite()); }
