/* t_fibers.c — conformance: fibers that work together (DESIGN.md, "Fibers
 * that work together"): handles, spawn and join, cancel, deadlines, and
 * waits that always move the clock. Same assertions on uv and sim.
 *
 * Ported from Janet's test/suite-ev.janet (the cases that apply to C):
 *  - "ev/cancel 1" (cff52ded5): a fiber in (ev/sleep 10) cancelled with a
 *    value gets it from the sleep -> cancel_of_sleep_returns_the_code.
 *  - "valgrind-able check for #1337": cancel a fiber in (ev/sleep 1e9) and
 *    wait for it through its supervisor -> cancel_of_long_sleep_then_join.
 *  - "ev/gather 4": two fibers blocked in (ev/take (ev/chan)) are cancelled
 *    and both run their cleanup -> in t_chan.c, cancel_of_takers_on_private_
 *    channels.
 *  - "ev/with-deadline 1": a deadline that does not expire leaves the
 *    result alone -> deadline_not_reached_changes_nothing.
 */
#include <math.h>
#include <string.h>

#include "conf.h"

/* ---- item 0: errors of success, waits that move the clock -------------------- */

START_TEST(err_name_and_strerror_of_success) {
  ck_assert_str_eq(jnet_err_name(0), "OK");
  ck_assert_str_eq(jnet_strerror(0), "success");
  ck_assert_str_eq(jnet_err_name(JNET_EDEADLK), "EDEADLK");
  ck_assert_str_ne(jnet_strerror(JNET_EDEADLK), "unknown error");
  ck_assert_str_eq(jnet_err_name(12345), "EUNKNOWN");
}
END_TEST

static void f_tiny_sleeps(void *arg) {
  conf *t = arg;
  double d = jnet_now() + 0.05 + 0.05 + 0.05;
  int n = 0;
  while (jnet_now() < d && n < 100) {
    CONF_REC(t, 0, jnet_sleep(d - jnet_now()));
    n++;
  }
  CONF_REC(t, 1, n <= 5);
  CONF_REC(t, 2, jnet_now() >= d);
  double t0 = jnet_now();
  CONF_REC(t, 3, jnet_sleep(1e-15)); /* far under a tick: waits one */
  CONF_REC(t, 4, jnet_now() > t0);
  t->done = 1;
}

START_TEST(sleep_shorter_than_a_tick_still_moves_the_clock) {
  conf *t = conf_open();
  conf_run(t, f_tiny_sleeps);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 1);
  CONF_EQ(t, 2, 1);
  CONF_EQ(t, 3, 0);
  CONF_EQ(t, 4, 1);
  conf_close(t);
}
END_TEST

/* ---- spawn, self, join ------------------------------------------------------- */

static void child_sleep_then_count(void *arg) {
  conf *t = arg;
  jnet_sleep(0.05);
  t->count++;
}

static void child_count(void *arg) {
  conf *t = arg;
  t->count++;
}

static void f_spawn_join(void *arg) {
  conf *t = arg;
  jnet_fiber f = JNET_NOFIBER;
  CONF_REC(t, 0, jnet_spawn(NULL, child_sleep_then_count, t, &f));
  CONF_REC(t, 1, f.h != 0);
  CONF_REC(t, 2, jnet_join(f, CONF_T));
  CONF_REC(t, 3, t->count);
  CONF_REC(t, 4, jnet_join(f, CONF_T)); /* returned already: 0 at once */
  CONF_REC(t, 5, jnet_join(f, 0));
  CONF_REC(t, 6, jnet_spawn(NULL, child_count, t, NULL)); /* out NULL */
  t->done = 1;
}

START_TEST(join_waits_until_the_fiber_returned) {
  conf *t = conf_open();
  conf_run(t, f_spawn_join);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 1);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, 1);
  CONF_EQ(t, 4, 0);
  CONF_EQ(t, 5, 0);
  CONF_EQ(t, 6, 0);
  ck_assert_int_eq(t->count, 2);
  conf_close(t);
}
END_TEST

static void f_join_finished(void *arg) {
  conf *t = arg;
  jnet_fiber f;
  CONF_REC(t, 0, jnet_spawn(NULL, child_count, t, &f));
  CONF_REC(t, 1, jnet_sleep(0.01)); /* the child runs and returns */
  double t0 = jnet_now();
  CONF_REC(t, 2, jnet_join(f, CONF_T));
  CONF_REC(t, 3, jnet_now() - t0 < 0.01); /* no wait */
  CONF_REC(t, 4, jnet_cancel(f, JNET_ECANCELED)); /* does nothing */
  t->done = 1;
}

START_TEST(join_of_a_finished_fiber_returns_at_once) {
  conf *t = conf_open();
  conf_run(t, f_join_finished);
  for (int i = 0; i < 5; i++)
    CONF_EQ(t, i, i == 3 ? 1 : 0);
  conf_close(t);
}
END_TEST

static void child_long_sleep(void *arg) {
  conf *t = arg;
  CONF_REC(t, 20, jnet_sleep(1000.0));
  t->count++;
}

static void f_join_timeout(void *arg) {
  conf *t = arg;
  jnet_fiber f;
  CONF_REC(t, 0, jnet_spawn(NULL, child_long_sleep, t, &f));
  double t0 = jnet_now();
  CONF_REC(t, 1, jnet_join(f, CONF_SHORT));
  CONF_REC(t, 2, jnet_now() - t0 >= CONF_SHORT - 0.002);
  CONF_REC(t, 3, jnet_join(f, 0)); /* not finished, no wait */
  CONF_REC(t, 4, jnet_cancel(f, JNET_ECANCELED));
  CONF_REC(t, 5, jnet_join(f, CONF_T));
  CONF_REC(t, 6, t->count);
  t->done = 1;
}

START_TEST(join_with_timeout_gives_etimedout) {
  conf *t = conf_open();
  conf_run(t, f_join_timeout);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, JNET_ETIMEDOUT);
  CONF_EQ(t, 2, 1);
  CONF_EQ(t, 3, JNET_ETIMEDOUT);
  CONF_EQ(t, 4, 0);
  CONF_EQ(t, 5, 0);
  CONF_EQ(t, 6, 1);
  CONF_EQ(t, 20, JNET_ECANCELED);
  conf_close(t);
}
END_TEST

static jnet_fiber joined;

static void joiner(void *arg) {
  conf *t = arg;
  int me = t->count2++;
  int rc = jnet_join(joined, CONF_T);
  CONF_REC(t, 10 + me, rc);
  conf_log(t, (char)('a' + me));
}

static void f_many_joiners(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, jnet_spawn(NULL, child_sleep_then_count, t, &joined));
  jnet_fiber j[4];
  for (int i = 0; i < 4; i++)
    CONF_REC(t, 1 + i, jnet_spawn(NULL, joiner, t, &j[i]));
  for (int i = 0; i < 4; i++)
    CONF_REC(t, 5 + i, jnet_join(j[i], CONF_T));
  t->done = 1;
}

START_TEST(many_joiners_all_wake_in_the_order_they_joined) {
  conf *t = conf_open();
  conf_run(t, f_many_joiners);
  for (int i = 0; i < 9; i++)
    CONF_EQ(t, i, 0);
  for (int i = 0; i < 4; i++)
    CONF_EQ(t, 10 + i, 0);
  ck_assert_str_eq(t->log, "abcd");
  conf_close(t);
}
END_TEST

static void f_join_self(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, jnet_join(jnet_self(), CONF_T));
  CONF_REC(t, 1, jnet_join(jnet_self(), 0));
  t->done = 1;
}

START_TEST(join_of_yourself_is_edeadlk) {
  conf *t = conf_open();
  conf_run(t, f_join_self);
  CONF_EQ(t, 0, JNET_EDEADLK);
  CONF_EQ(t, 1, JNET_EDEADLK);
  conf_close(t);
}
END_TEST

static void f_bad_handles(void *arg) {
  conf *t = arg;
  jnet_fiber never = {0x123456789abcdefull};
  CONF_REC(t, 0, jnet_join(JNET_NOFIBER, CONF_T));
  CONF_REC(t, 1, jnet_cancel(JNET_NOFIBER, JNET_ECANCELED));
  CONF_REC(t, 2, jnet_join(never, CONF_T));
  CONF_REC(t, 3, jnet_cancel(never, JNET_ECANCELED));
  jnet_fiber self = jnet_self();
  jnet_fiber forged = {self.h + 1000}; /* a generation not issued yet */
  CONF_REC(t, 4, jnet_join(forged, CONF_T));
  CONF_REC(t, 5, jnet_cancel(self, 0));
  CONF_REC(t, 6, jnet_cancel(self, 1));
  CONF_REC(t, 7, jnet_spawn(NULL, NULL, t, NULL));
  jnet_fiber out = {42};
  CONF_REC(t, 8, jnet_spawn_on(NULL, NULL, child_count, t, &out));
  CONF_REC(t, 9, out.h == 0);
  t->done = 1;
}

START_TEST(zero_stale_and_forged_handles_and_bad_codes_are_einval) {
  conf *t = conf_open();
  conf_run(t, f_bad_handles);
  for (int i = 0; i < 9; i++)
    CONF_EQ(t, i, JNET_EINVAL);
  CONF_EQ(t, 9, 1);
  conf_close(t);
}
END_TEST

static void f_self_of_go(void *arg) {
  conf *t = arg;
  jnet_fiber me = jnet_self();
  CONF_REC(t, 0, me.h != 0);
  CONF_REC(t, 1, jnet_self().h == me.h);
  t->done = 1;
}

START_TEST(self_is_a_real_handle_in_go_fibers_and_nofiber_outside) {
  conf *t = conf_open();
  ck_assert(jnet_self().h == JNET_NOFIBER.h);
  ck_assert_int_eq(jnet_spawn(NULL, child_count, t, NULL), JNET_EINVAL);
  conf_run(t, f_self_of_go);
  CONF_EQ(t, 0, 1);
  CONF_EQ(t, 1, 1);
  conf_close(t);
}
END_TEST

static void f_outside_then_inside(void *arg) {
  conf *t = arg;
  t->done = 1;
}

START_TEST(join_and_cancel_outside_a_fiber) {
  conf *t = conf_open();
  jnet_fiber f;
  ck_assert_int_eq(jnet_spawn(t->loop, child_long_sleep, t, &f), 0);
  ck_assert_int_eq(jnet_join(f, CONF_T), JNET_ENOTFIBER);
  ck_assert_int_eq(jnet_join(f, 0), JNET_ETIMEDOUT);
  ck_assert(isnan(jnet_deadline(1.0)));
  ck_assert(isnan(jnet_deadline(NAN)));
  /* cancel works anywhere: the child's sleep gets it */
  ck_assert_int_eq(jnet_cancel(f, JNET_ECONNRESET), 0);
  conf_run(t, f_outside_then_inside);
  CONF_EQ(t, 20, JNET_ECONNRESET);
  ck_assert_int_eq(jnet_join(f, CONF_T), 0); /* returned: 0 anywhere */
  ck_assert_int_eq(jnet_cancel(f, JNET_ECANCELED), 0);
  conf_close(t);
}
END_TEST

/* ---- cancel ----------------------------------------------------------------- */

static void child_sleep_10(void *arg) {
  conf *t = arg;
  double t0 = jnet_now();
  CONF_REC(t, 20, jnet_sleep(10));
  CONF_REC(t, 21, jnet_now() - t0 < 5);
}

static void f_cancel_sleep(void *arg) {
  conf *t = arg;
  jnet_fiber f;
  CONF_REC(t, 0, jnet_spawn(NULL, child_sleep_10, t, &f));
  CONF_REC(t, 1, jnet_sleep(0)); /* Janet: (ev/sleep 0) then cancel */
  CONF_REC(t, 2, jnet_cancel(f, JNET_EPIPE));
  CONF_REC(t, 3, jnet_join(f, CONF_T));
  t->done = 1;
}

START_TEST(cancel_of_sleep_returns_the_code) {
  conf *t = conf_open();
  conf_run(t, f_cancel_sleep);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, 0);
  CONF_EQ(t, 20, JNET_EPIPE);
  CONF_EQ(t, 21, 1);
  conf_close(t);
}
END_TEST

static void child_sleep_1e9(void *arg) {
  conf *t = arg;
  CONF_REC(t, 20, jnet_sleep(1e9));
}

static void f_cancel_long(void *arg) {
  conf *t = arg;
  jnet_fiber f;
  CONF_REC(t, 0, jnet_spawn(NULL, child_sleep_1e9, t, &f));
  CONF_REC(t, 1, jnet_cancel(f, JNET_ECANCELED)); /* before it even ran */
  double t0 = jnet_now();
  CONF_REC(t, 2, jnet_join(f, CONF_T));
  CONF_REC(t, 3, jnet_now() - t0 < 1);
  t->done = 1;
}

START_TEST(cancel_of_long_sleep_then_join) {
  conf *t = conf_open();
  conf_run(t, f_cancel_long);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, 1);
  CONF_EQ(t, 20, JNET_ECANCELED);
  conf_close(t);
}
END_TEST

/* A child blocked in one call on t's streams; slot 20 gets its result. */
enum { IN_READ, IN_ACCEPT, IN_RECV_FROM, IN_JOIN };

static int blocked_in;
static jnet_stream udp_sock;

static void child_blocked(void *arg) {
  conf *t = arg;
  jnet_stream conn;
  long rc = 0;
  switch (blocked_in) {
  case IN_READ:
    rc = jnet_read(t->cli, 10, &t->buf[0], JNET_FOREVER);
    break;
  case IN_ACCEPT:
    rc = jnet_accept(t->srv, JNET_FOREVER, &conn);
    break;
  case IN_RECV_FROM:
    rc = jnet_recv_from(udp_sock, 100, &t->buf[0], JNET_FOREVER, NULL);
    break;
  case IN_JOIN:
    rc = jnet_join(joined, JNET_FOREVER);
    break;
  }
  CONF_REC(t, 20, rc);
}

static void f_cancel_blocked(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  if (blocked_in == IN_RECV_FROM)
    CONF_REC(t, 1, conf_udp(t, "127.0.0.1", &udp_sock));
  if (blocked_in == IN_JOIN)
    CONF_REC(t, 1, jnet_spawn(NULL, child_long_sleep, t, &joined));
  jnet_fiber f;
  CONF_REC(t, 2, jnet_spawn(NULL, child_blocked, t, &f));
  conf_settle();
  CONF_REC(t, 3, jnet_cancel(f, JNET_ECANCELED));
  CONF_REC(t, 4, jnet_join(f, CONF_T));
  /* the stream stays usable, as after a timeout */
  switch (blocked_in) {
  case IN_READ:
    CONF_REC(t, 5, jnet_write(t->acc, "hi", 2, CONF_T));
    CONF_REC(t, 6, jnet_read(t->cli, 10, &t->buf[0], CONF_T));
    break;
  case IN_ACCEPT: {
    char port[16];
    jnet_stream c2, a2;
    CONF_REC(t, 5, conf_port(t->srv, port));
    CONF_REC(t, 6, jnet_connect("127.0.0.1", port, JNET_STREAM, NULL, NULL,
                                &c2));
    conf_keep(t, c2);
    CONF_REC(t, 7, jnet_accept(t->srv, CONF_T, &a2));
    conf_keep(t, a2);
    break;
  }
  case IN_RECV_FROM: {
    jnet_addr a;
    CONF_REC(t, 5, jnet_localname(udp_sock, &a));
    CONF_REC(t, 6, jnet_send_to(udp_sock, &a, "x", 1, CONF_T));
    CONF_REC(t, 7, jnet_recv_from(udp_sock, 100, &t->buf[0], CONF_T, NULL));
    break;
  }
  case IN_JOIN:
    CONF_REC(t, 5, jnet_cancel(joined, JNET_ECANCELED));
    CONF_REC(t, 6, jnet_join(joined, CONF_T));
    break;
  }
  t->done = 1;
}

static void check_cancel_blocked(int in) {
  blocked_in = in;
  conf *t = conf_open();
  conf_run(t, f_cancel_blocked);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, 0);
  CONF_EQ(t, 4, 0);
  CONF_EQ(t, 20, JNET_ECANCELED);
  switch (in) {
  case IN_READ:
    CONF_EQ(t, 5, 0);
    CONF_EQ(t, 6, 2);
    break;
  case IN_ACCEPT:
    CONF_EQ(t, 6, 0);
    CONF_EQ(t, 7, 0);
    break;
  case IN_RECV_FROM:
    CONF_EQ(t, 1, 0);
    CONF_EQ(t, 6, 0);
    CONF_EQ(t, 7, 1);
    break;
  case IN_JOIN:
    CONF_EQ(t, 1, 0);
    CONF_EQ(t, 5, 0);
    CONF_EQ(t, 6, 0);
    break;
  }
  conf_close(t);
}

START_TEST(cancel_of_a_blocked_read) { check_cancel_blocked(IN_READ); }
END_TEST
START_TEST(cancel_of_a_blocked_accept) { check_cancel_blocked(IN_ACCEPT); }
END_TEST
START_TEST(cancel_of_a_blocked_recv_from) {
  check_cancel_blocked(IN_RECV_FROM);
}
END_TEST
START_TEST(cancel_of_a_blocked_join) { check_cancel_blocked(IN_JOIN); }
END_TEST

static char silent_host[64], silent_port[16];

static void child_connect(void *arg) {
  conf *t = arg;
  jnet_stream s = JNET_NOSTREAM;
  double t0 = jnet_now();
  CONF_REC(t, 20, jnet_connect(silent_host, silent_port, JNET_STREAM, NULL,
                               NULL, &s));
  CONF_REC(t, 21, s.h == 0);
  CONF_REC(t, 22, jnet_now() - t0 < 3);
}

static void f_cancel_connect(void *arg) {
  conf *t = arg;
  jnet_fiber f;
  CONF_REC(t, 0, jnet_spawn(NULL, child_connect, t, &f));
  CONF_REC(t, 1, jnet_sleep(CONF_SHORT));
  CONF_REC(t, 2, jnet_cancel(f, JNET_ECANCELED));
  CONF_REC(t, 3, jnet_join(f, CONF_T));
  t->done = 1;
}

START_TEST(cancel_of_a_connect_nobody_answers) {
  conf *t = conf_open();
  ck_assert_int_eq(
      conf_silent_peer(t, silent_host, sizeof silent_host, silent_port), 0);
  conf_run(t, f_cancel_connect);
  for (int i = 0; i < 4; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 20, JNET_ECANCELED);
  CONF_EQ(t, 21, 1);
  CONF_EQ(t, 22, 1);
  conf_close(t);
}
END_TEST

static jnet_chan *ready_chan;

static void child_runnable(void *arg) {
  conf *t = arg;
  int item = 0;
  /* a call that completes at once returns its result; the cancel waits */
  CONF_REC(t, 20, jnet_chan_take(ready_chan, &item, CONF_T));
  CONF_REC(t, 21, item);
  CONF_REC(t, 22, jnet_sleep(0)); /* never delivers a cancel */
  CONF_REC(t, 23, jnet_yield());
  CONF_REC(t, 24, jnet_sleep(CONF_T)); /* suspends: gets it */
  CONF_REC(t, 25, jnet_sleep(0.001)); /* delivered once */
}

static void f_cancel_runnable(void *arg) {
  conf *t = arg;
  int seven = 7;
  CONF_REC(t, 0, jnet_chan_new(&ready_chan, sizeof(int), 1));
  CONF_REC(t, 1, jnet_chan_give(ready_chan, &seven, 0));
  jnet_fiber f;
  CONF_REC(t, 2, jnet_spawn(NULL, child_runnable, t, &f));
  CONF_REC(t, 3, jnet_cancel(f, JNET_ECONNABORTED));
  CONF_REC(t, 4, jnet_cancel(f, JNET_EPIPE)); /* changes nothing */
  CONF_REC(t, 5, jnet_join(f, CONF_T));
  CONF_REC(t, 6, jnet_chan_free(ready_chan));
  t->done = 1;
}

START_TEST(cancel_of_a_runnable_fiber_is_delivered_once_at_its_next_wait) {
  conf *t = conf_open();
  conf_run(t, f_cancel_runnable);
  for (int i = 0; i < 7; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 20, 1);
  CONF_EQ(t, 21, 7);
  CONF_EQ(t, 22, 0);
  CONF_EQ(t, 23, 0);
  CONF_EQ(t, 24, JNET_ECONNABORTED);
  CONF_EQ(t, 25, 0);
  conf_close(t);
}
END_TEST

static void f_cancel_self(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, jnet_cancel(jnet_self(), JNET_EHOSTUNREACH));
  CONF_REC(t, 1, jnet_sleep(0));
  CONF_REC(t, 2, jnet_sleep(CONF_T));
  CONF_REC(t, 3, jnet_sleep(0.001));
  t->done = 1;
}

START_TEST(cancel_of_yourself_hits_your_next_blocking_call) {
  conf *t = conf_open();
  conf_run(t, f_cancel_self);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, JNET_EHOSTUNREACH);
  CONF_EQ(t, 3, 0);
  conf_close(t);
}
END_TEST

static jnet_chan *race_chan;

static void child_take_race(void *arg) {
  conf *t = arg;
  int item = 0;
  CONF_REC(t, 20, jnet_chan_take(race_chan, &item, CONF_T));
  CONF_REC(t, 21, item);
  CONF_REC(t, 22, jnet_sleep(CONF_T));
}

static void f_cancel_race(void *arg) {
  conf *t = arg;
  int v = 5;
  jnet_fiber f;
  CONF_REC(t, 0, jnet_chan_new(&race_chan, sizeof(int), 0));
  CONF_REC(t, 1, jnet_spawn(NULL, child_take_race, t, &f));
  CONF_REC(t, 2, jnet_sleep(0.01));
  /* the item is handed over, then the cancel comes before it resumes */
  CONF_REC(t, 3, jnet_chan_give(race_chan, &v, 0));
  CONF_REC(t, 4, jnet_cancel(f, JNET_ECANCELED));
  CONF_REC(t, 5, jnet_join(f, CONF_T));
  CONF_REC(t, 6, jnet_chan_free(race_chan));
  t->done = 1;
}

START_TEST(cancel_after_the_item_was_handed_over_waits_for_the_next_call) {
  conf *t = conf_open();
  conf_run(t, f_cancel_race);
  for (int i = 0; i < 7; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 20, 1);
  CONF_EQ(t, 21, 5);
  CONF_EQ(t, 22, JNET_ECANCELED);
  conf_close(t);
}
END_TEST

/* ---- deadlines --------------------------------------------------------------- */

static void f_deadline_values(void *arg) {
  conf *t = arg;
  double now = jnet_now();
  CONF_REC(t, 0, isinf(jnet_deadline(now + 100)));
  CONF_REC(t, 1, jnet_deadline(now + 200) == now + 100);
  CONF_REC(t, 2, jnet_deadline(0.5e-3) == now + 200); /* past: exact */
  CONF_REC(t, 3, jnet_deadline(JNET_FOREVER) == 0.5e-3);
  CONF_REC(t, 4, isinf(jnet_deadline(now + 1)));
  CONF_REC(t, 5, isnan(jnet_deadline(NAN)));
  CONF_REC(t, 6, jnet_deadline(JNET_FOREVER) == now + 1); /* NaN: kept */
  t->done = 1;
}

START_TEST(deadline_reads_back_exactly_and_nan_changes_nothing) {
  conf *t = conf_open();
  conf_run(t, f_deadline_values);
  for (int i = 0; i < 7; i++)
    CONF_EQ(t, i, 1);
  conf_close(t);
}
END_TEST

static void f_deadline_sleep(void *arg) {
  conf *t = arg;
  double t0 = jnet_now();
  jnet_deadline(t0 + CONF_SHORT);
  CONF_REC(t, 0, jnet_sleep(10));
  double dt = jnet_now() - t0;
  CONF_REC(t, 1, dt >= CONF_SHORT - 0.002 && dt < 3);
  CONF_REC(t, 2, jnet_sleep(10)); /* expired: at once */
  CONF_REC(t, 3, jnet_now() - t0 < 3);
  jnet_deadline(JNET_FOREVER);
  CONF_REC(t, 4, jnet_sleep(0.001));
  t->done = 1;
}

START_TEST(deadline_cuts_a_sleep_short_with_etimedout) {
  conf *t = conf_open();
  conf_run(t, f_deadline_sleep);
  CONF_EQ(t, 0, JNET_ETIMEDOUT);
  CONF_EQ(t, 1, 1);
  CONF_EQ(t, 2, JNET_ETIMEDOUT);
  CONF_EQ(t, 3, 1);
  CONF_EQ(t, 4, 0);
  conf_close(t);
}
END_TEST

static void f_deadline_vs_timeout(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  /* shorter than the call's own timeout: the deadline wins */
  double t0 = jnet_now();
  double saved = jnet_deadline(t0 + CONF_SHORT);
  CONF_REC(t, 1, jnet_read(t->cli, 10, &t->buf[0], CONF_T));
  double dt = jnet_now() - t0;
  CONF_REC(t, 2, dt >= CONF_SHORT - 0.002 && dt < CONF_T - 1);
  jnet_deadline(saved);
  /* longer than the call's own timeout: the timeout wins */
  t0 = jnet_now();
  saved = jnet_deadline(t0 + 100);
  CONF_REC(t, 3, jnet_read(t->cli, 10, &t->buf[0], CONF_SHORT));
  dt = jnet_now() - t0;
  CONF_REC(t, 4, dt >= CONF_SHORT - 0.002 && dt < 50);
  CONF_REC(t, 5, isinf(jnet_deadline(saved)) == 0);
  /* the stream is usable after either */
  CONF_REC(t, 6, jnet_write(t->acc, "ok", 2, CONF_T));
  CONF_REC(t, 7, jnet_read(t->cli, 10, &t->buf[0], CONF_T));
  t->done = 1;
}

START_TEST(deadline_shorter_and_longer_than_the_calls_timeout) {
  conf *t = conf_open();
  conf_run(t, f_deadline_vs_timeout);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, JNET_ETIMEDOUT);
  CONF_EQ(t, 2, 1);
  CONF_EQ(t, 3, JNET_ETIMEDOUT);
  CONF_EQ(t, 4, 1);
  CONF_EQ(t, 5, 1);
  CONF_EQ(t, 6, 0);
  CONF_EQ(t, 7, 2);
  conf_close(t);
}
END_TEST

static void f_nested_deadlines(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  double t0 = jnet_now();
  double outer_saved = jnet_deadline(t0 + 3 * CONF_SHORT);
  double inner_saved = jnet_deadline(t0 + CONF_SHORT);
  CONF_REC(t, 1, inner_saved == t0 + 3 * CONF_SHORT);
  CONF_REC(t, 2, jnet_read(t->cli, 10, &t->buf[0], JNET_FOREVER));
  double dt = jnet_now() - t0;
  CONF_REC(t, 3, dt >= CONF_SHORT - 0.002 && dt < 2 * CONF_SHORT);
  jnet_deadline(inner_saved); /* the outer one is back */
  CONF_REC(t, 4, jnet_read(t->cli, 10, &t->buf[0], JNET_FOREVER));
  dt = jnet_now() - t0;
  CONF_REC(t, 5, dt >= 3 * CONF_SHORT - 0.002 && dt < 3);
  CONF_REC(t, 6, isinf(jnet_deadline(outer_saved)) == 0);
  CONF_REC(t, 7, isinf(jnet_deadline(JNET_FOREVER)));
  t->done = 1;
}

START_TEST(nested_deadlines_are_restored) {
  conf *t = conf_open();
  conf_run(t, f_nested_deadlines);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 1);
  CONF_EQ(t, 2, JNET_ETIMEDOUT);
  CONF_EQ(t, 3, 1);
  CONF_EQ(t, 4, JNET_ETIMEDOUT);
  CONF_EQ(t, 5, 1);
  CONF_EQ(t, 6, 1);
  CONF_EQ(t, 7, 1);
  conf_close(t);
}
END_TEST

static void f_deadline_connect(void *arg) {
  conf *t = arg;
  jnet_stream s = JNET_NOSTREAM;
  double t0 = jnet_now();
  double saved = jnet_deadline(t0 + CONF_SHORT);
  CONF_REC(t, 0, jnet_connect(silent_host, silent_port, JNET_STREAM, NULL,
                              NULL, &s));
  double dt = jnet_now() - t0;
  CONF_REC(t, 1, dt >= CONF_SHORT - 0.002 && dt < 3);
  CONF_REC(t, 2, s.h == 0);
  jnet_deadline(saved);
  t->done = 1;
}

START_TEST(deadline_on_a_connect_nobody_answers) {
  conf *t = conf_open();
  ck_assert_int_eq(
      conf_silent_peer(t, silent_host, sizeof silent_host, silent_port), 0);
  conf_run(t, f_deadline_connect);
  CONF_EQ(t, 0, JNET_ETIMEDOUT);
  CONF_EQ(t, 1, 1);
  CONF_EQ(t, 2, 1);
  conf_close(t);
}
END_TEST

static jnet_chan *dl_chan;

static void f_expired_deadline(void *arg) {
  conf *t = arg;
  int v = 3, got = 0;
  CONF_REC(t, 0, jnet_chan_new(&dl_chan, sizeof(int), 1));
  CONF_REC(t, 1, jnet_chan_give(dl_chan, &v, 0));
  jnet_deadline(jnet_now() - 1); /* already passed */
  double t0 = jnet_now();
  CONF_REC(t, 2, jnet_chan_take(dl_chan, &got, CONF_T)); /* ready: 1 */
  CONF_REC(t, 3, got);
  CONF_REC(t, 4, jnet_chan_take(dl_chan, &got, CONF_T)); /* would wait */
  CONF_REC(t, 5, jnet_join(jnet_self(), CONF_T));        /* args first */
  CONF_REC(t, 6, jnet_now() - t0 < 0.01); /* no wait */
  jnet_deadline(JNET_FOREVER);
  CONF_REC(t, 7, jnet_chan_free(dl_chan));
  t->done = 1;
}

START_TEST(expired_deadline_fails_only_calls_that_would_wait) {
  conf *t = conf_open();
  conf_run(t, f_expired_deadline);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 1);
  CONF_EQ(t, 3, 3);
  CONF_EQ(t, 4, JNET_ETIMEDOUT);
  CONF_EQ(t, 5, JNET_EDEADLK);
  CONF_EQ(t, 6, 1);
  CONF_EQ(t, 7, 0);
  conf_close(t);
}
END_TEST

static void child_reads_deadline(void *arg) {
  conf *t = arg;
  CONF_REC(t, 20, isinf(jnet_deadline(JNET_FOREVER)));
}

static void f_child_no_deadline(void *arg) {
  conf *t = arg;
  jnet_fiber f;
  jnet_deadline(jnet_now() + 50);
  CONF_REC(t, 0, jnet_spawn(NULL, child_reads_deadline, t, &f));
  CONF_REC(t, 1, jnet_join(f, CONF_T));
  jnet_deadline(JNET_FOREVER);
  t->done = 1;
}

START_TEST(a_new_fiber_starts_without_a_deadline) {
  conf *t = conf_open();
  conf_run(t, f_child_no_deadline);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 20, 1);
  conf_close(t);
}
END_TEST

static void f_deadline_not_reached(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  double saved = jnet_deadline(jnet_now() + 10);
  CONF_REC(t, 1, jnet_write(t->acc, "hi", 2, CONF_T));
  CONF_REC(t, 2, jnet_read(t->cli, 10, &t->buf[0], CONF_T));
  CONF_REC(t, 3, conf_buf_is(&t->buf[0], "hi"));
  jnet_deadline(saved);
  t->done = 1;
}

START_TEST(deadline_not_reached_changes_nothing) {
  conf *t = conf_open();
  conf_run(t, f_deadline_not_reached);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 2);
  CONF_EQ(t, 3, 1);
  conf_close(t);
}
END_TEST

void conf_add_fibers(Suite *s) {
  CONF_CASE(s, err_name_and_strerror_of_success);
  CONF_CASE(s, sleep_shorter_than_a_tick_still_moves_the_clock);
  CONF_CASE(s, join_waits_until_the_fiber_returned);
  CONF_CASE(s, join_of_a_finished_fiber_returns_at_once);
  CONF_CASE(s, join_with_timeout_gives_etimedout);
  CONF_CASE(s, many_joiners_all_wake_in_the_order_they_joined);
  CONF_CASE(s, join_of_yourself_is_edeadlk);
  CONF_CASE(s, zero_stale_and_forged_handles_and_bad_codes_are_einval);
  CONF_CASE(s, self_is_a_real_handle_in_go_fibers_and_nofiber_outside);
  CONF_CASE(s, join_and_cancel_outside_a_fiber);
  CONF_CASE(s, cancel_of_sleep_returns_the_code);
  CONF_CASE(s, cancel_of_long_sleep_then_join);
  CONF_CASE(s, cancel_of_a_blocked_read);
  CONF_CASE(s, cancel_of_a_blocked_accept);
  CONF_CASE(s, cancel_of_a_blocked_recv_from);
  CONF_CASE(s, cancel_of_a_blocked_join);
  CONF_CASE(s, cancel_of_a_connect_nobody_answers);
  CONF_CASE(s, cancel_of_a_runnable_fiber_is_delivered_once_at_its_next_wait);
  CONF_CASE(s, cancel_of_yourself_hits_your_next_blocking_call);
  CONF_CASE(s, cancel_after_the_item_was_handed_over_waits_for_the_next_call);
  CONF_CASE(s, deadline_reads_back_exactly_and_nan_changes_nothing);
  CONF_CASE(s, deadline_cuts_a_sleep_short_with_etimedout);
  CONF_CASE(s, deadline_shorter_and_longer_than_the_calls_timeout);
  CONF_CASE(s, nested_deadlines_are_restored);
  CONF_CASE(s, deadline_on_a_connect_nobody_answers);
  CONF_CASE(s, expired_deadline_fails_only_calls_that_would_wait);
  CONF_CASE(s, a_new_fiber_starts_without_a_deadline);
  CONF_CASE(s, deadline_not_reached_changes_nothing);
}
