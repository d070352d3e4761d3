/* t_chan.c — conformance: channels and select (DESIGN.md, "Fibers that work
 * together"). Same assertions on uv and sim.
 *
 * Ported from Janet's test/suite-ev.janet (the channel cases that apply):
 *  - "ev/chan-close 1" (e76b8da26): 1000 items through an unbuffered
 *    channel, then close; the consumer closes a second channel the main
 *    fiber takes from -> janet_chan_close_1.
 *  - "ev/chan-close 2": the same with a sleep before the close and
 *    (ev/select c2) -> janet_chan_close_2_with_select ("ev/chan-close 3",
 *    ev/rselect, is the same in C: jnet_select has one order).
 *  - "ev/take, suspended, channel closed" -> take_suspended_then_closed.
 *  - "ev/give, suspended, channel closed" -> give_suspended_then_closed
 *    (Janet returns nil; jnet's give returns JNET_EPIPE).
 *  - "ev/select, suspended take/give operation, channel closed" ->
 *    select_suspended_then_closed ([:close ch] is result 0 / JNET_EPIPE).
 *  - "ev/gather 4.1/4.2": fibers blocked in (ev/take (ev/chan)) are
 *    cancelled and each runs its cleanup -> cancel_of_takers_on_private_
 *    channels.
 * Janet's marshalled and threaded channels have no C counterpart.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "conf.h"

static jnet_chan *ch, *ch2;

/* ---- bad input ---------------------------------------------------------------- */

START_TEST(chan_bad_arguments) {
  conf *t = conf_open();
  jnet_chan *c = (jnet_chan *)&t; /* must be overwritten with NULL */
  int v = 1;
  ck_assert_int_eq(jnet_chan_new(NULL, 4, 1), JNET_EINVAL);
  ck_assert_int_eq(jnet_chan_new(&c, 0, 1), JNET_EINVAL);
  ck_assert_ptr_null(c);
  c = (jnet_chan *)&t;
  ck_assert_int_eq(jnet_chan_new(&c, 8, SIZE_MAX / 2), JNET_ENOMEM);
  ck_assert_ptr_null(c);
  ck_assert_int_eq(jnet_chan_new(&c, SIZE_MAX, 2), JNET_ENOMEM);
  ck_assert_int_eq(jnet_chan_give(NULL, &v, 0), JNET_EINVAL);
  ck_assert_int_eq(jnet_chan_take(NULL, &v, 0), JNET_EINVAL);
  ck_assert_int_eq(jnet_chan_close(NULL), JNET_EINVAL);
  ck_assert_uint_eq(jnet_chan_count(NULL), 0);
  ck_assert_int_eq(jnet_chan_free(NULL), 0);
  ck_assert_int_eq(jnet_chan_new(&c, sizeof v, 1), 0);
  ck_assert_int_eq(jnet_chan_give(c, NULL, 0), JNET_EINVAL);
  ck_assert_int_eq(jnet_chan_take(c, NULL, 0), JNET_EINVAL);
  ck_assert_int_eq(jnet_select(NULL, 1, 0), JNET_EINVAL);
  jnet_case bad_op[1] = {{c, 3, &v, 0}};
  ck_assert_int_eq(jnet_select(bad_op, 1, 0), JNET_EINVAL);
  ck_assert_int_eq(jnet_chan_free(c), 0);
  t->done = 1;
  conf_close(t);
}
END_TEST

/* Outside a fiber: what completes at once works; a wait is ENOTFIBER, or
 * ETIMEDOUT with a timeout <= 0. */
START_TEST(chan_outside_a_fiber) {
  conf *t = conf_open();
  jnet_chan *c;
  int v = 9, got = 0;
  ck_assert_int_eq(jnet_chan_new(&c, sizeof v, 1), 0);
  ck_assert_int_eq(jnet_chan_take(c, &got, 0), JNET_ETIMEDOUT);
  ck_assert_int_eq(jnet_chan_take(c, &got, 1.0), JNET_ENOTFIBER);
  ck_assert_int_eq(jnet_chan_give(c, &v, 1.0), 0); /* room: at once */
  ck_assert_uint_eq(jnet_chan_count(c), 1);
  ck_assert_int_eq(jnet_chan_give(c, &v, 0), JNET_ETIMEDOUT);
  ck_assert_int_eq(jnet_chan_give(c, &v, 1.0), JNET_ENOTFIBER);
  jnet_case k[1] = {{c, JNET_GIVE, &v, 0}};
  ck_assert_int_eq(jnet_select(k, 1, 0), JNET_ETIMEDOUT);
  ck_assert_int_eq(jnet_select(k, 1, 1.0), JNET_ENOTFIBER);
  ck_assert_int_eq(jnet_chan_take(c, &got, 1.0), 1);
  ck_assert_int_eq(got, 9);
  ck_assert_int_eq(jnet_chan_close(c), 0);
  ck_assert_int_eq(jnet_chan_take(c, &got, 1.0), 0); /* closed: at once */
  ck_assert_int_eq(jnet_chan_free(c), 0);
  t->done = 1;
  conf_close(t);
}
END_TEST

/* ---- rendezvous and buffered ----------------------------------------------- */

static void giver_logs(void *arg) {
  conf *t = arg;
  int v = 42;
  conf_log(t, 'g');
  CONF_REC(t, 20, jnet_chan_give(ch, &v, CONF_T));
  conf_log(t, 'G');
}

static void f_rendezvous(void *arg) {
  conf *t = arg;
  jnet_fiber g;
  int got = 0;
  CONF_REC(t, 0, jnet_chan_new(&ch, sizeof got, 0));
  CONF_REC(t, 1, jnet_spawn(NULL, giver_logs, t, &g));
  CONF_REC(t, 2, jnet_sleep(0.02));
  conf_log(t, 't'); /* the giver is still waiting for a taker */
  CONF_REC(t, 3, (long)jnet_chan_count(ch));
  CONF_REC(t, 4, jnet_chan_take(ch, &got, CONF_T));
  CONF_REC(t, 5, got);
  CONF_REC(t, 6, jnet_join(g, CONF_T));
  CONF_REC(t, 7, jnet_chan_take(ch, &got, 0)); /* nothing: no wait */
  CONF_REC(t, 8, jnet_chan_free(ch));
  t->done = 1;
}

START_TEST(rendezvous_give_waits_for_a_taker) {
  conf *t = conf_open();
  conf_run(t, f_rendezvous);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 3, 0);
  CONF_EQ(t, 4, 1);
  CONF_EQ(t, 5, 42);
  CONF_EQ(t, 6, 0);
  CONF_EQ(t, 7, JNET_ETIMEDOUT);
  CONF_EQ(t, 8, 0);
  CONF_EQ(t, 20, 0);
  ck_assert_str_eq(t->log, "gtG");
  conf_close(t);
}
END_TEST

static void f_buffered(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, jnet_chan_new(&ch, sizeof(int), 3));
  for (int i = 1; i <= 3; i++)
    CONF_REC(t, i, jnet_chan_give(ch, &i, 0));
  CONF_REC(t, 4, (long)jnet_chan_count(ch));
  int four = 4;
  double t0 = jnet_now();
  CONF_REC(t, 5, jnet_chan_give(ch, &four, CONF_SHORT)); /* full */
  CONF_REC(t, 6, jnet_now() - t0 >= CONF_SHORT - 0.002);
  int got[3] = {0};
  for (int i = 0; i < 3; i++)
    CONF_REC(t, 7 + i, jnet_chan_take(ch, &got[i], 0));
  CONF_REC(t, 10, got[0] * 100 + got[1] * 10 + got[2]);
  CONF_REC(t, 11, (long)jnet_chan_count(ch));
  /* the ring wraps */
  for (int i = 0; i < 5; i++) {
    int x = i;
    CONF_REC(t, 12, jnet_chan_give(ch, &x, 0));
    CONF_REC(t, 13, jnet_chan_take(ch, &x, 0));
    CONF_REC(t, 14, x == i);
  }
  CONF_REC(t, 15, jnet_chan_free(ch));
  t->done = 1;
}

START_TEST(buffered_channel_is_fifo_and_counts_its_items) {
  conf *t = conf_open();
  conf_run(t, f_buffered);
  for (int i = 0; i < 4; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 4, 3);
  CONF_EQ(t, 5, JNET_ETIMEDOUT);
  CONF_EQ(t, 6, 1);
  CONF_EQ(t, 7, 1);
  CONF_EQ(t, 10, 123);
  CONF_EQ(t, 11, 0);
  CONF_EQ(t, 12, 0);
  CONF_EQ(t, 13, 1);
  CONF_EQ(t, 14, 1);
  CONF_EQ(t, 15, 0);
  conf_close(t);
}
END_TEST

static void taker_logs(void *arg) {
  conf *t = arg;
  int me = t->count2++;
  char item = 0;
  int rc = jnet_chan_take(ch, &item, CONF_T);
  CONF_REC(t, 20 + me, rc);
  conf_log(t, rc == 1 ? item : '0');
}

static void f_takers_fifo(void *arg) {
  conf *t = arg;
  jnet_fiber f[3];
  CONF_REC(t, 0, jnet_chan_new(&ch, 1, 0));
  for (int i = 0; i < 3; i++)
    CONF_REC(t, 1 + i, jnet_spawn(NULL, taker_logs, t, &f[i]));
  CONF_REC(t, 4, jnet_sleep(0.01));
  const char items[] = "xyz";
  for (int i = 0; i < 3; i++) /* each hand-off completes at once */
    CONF_REC(t, 5 + i, jnet_chan_give(ch, &items[i], 0));
  for (int i = 0; i < 3; i++)
    CONF_REC(t, 8 + i, jnet_join(f[i], CONF_T));
  CONF_REC(t, 11, jnet_chan_free(ch));
  t->done = 1;
}

START_TEST(takers_are_served_fifo_and_resume_in_that_order) {
  conf *t = conf_open();
  conf_run(t, f_takers_fifo);
  for (int i = 0; i < 12; i++)
    CONF_EQ(t, i, 0);
  for (int i = 0; i < 3; i++)
    CONF_EQ(t, 20 + i, 1);
  ck_assert_str_eq(t->log, "xyz");
  conf_close(t);
}
END_TEST

static void giver_char(void *arg) {
  conf *t = arg;
  char item = (char)('a' + t->count2++);
  CONF_REC(t, 20 + (item - 'a'), jnet_chan_give(ch, &item, CONF_T));
}

static void f_givers_fifo(void *arg) {
  conf *t = arg;
  jnet_fiber f[3];
  char x = 'F';
  CONF_REC(t, 0, jnet_chan_new(&ch, 1, 1));
  CONF_REC(t, 1, jnet_chan_give(ch, &x, 0)); /* full from now on */
  for (int i = 0; i < 3; i++)
    CONF_REC(t, 2 + i, jnet_spawn(NULL, giver_char, t, &f[i]));
  CONF_REC(t, 5, jnet_sleep(0.01));
  for (int i = 0; i < 4; i++) {
    char got = 0;
    CONF_REC(t, 6, jnet_chan_take(ch, &got, CONF_T));
    conf_log(t, got);
  }
  for (int i = 0; i < 3; i++)
    CONF_REC(t, 7 + i, jnet_join(f[i], CONF_T));
  CONF_REC(t, 10, (long)jnet_chan_count(ch));
  CONF_REC(t, 11, jnet_chan_free(ch));
  t->done = 1;
}

START_TEST(givers_on_a_full_channel_are_served_fifo) {
  conf *t = conf_open();
  conf_run(t, f_givers_fifo);
  for (int i = 0; i < 12; i++)
    CONF_EQ(t, i, i == 6 ? 1 : 0);
  for (int i = 0; i < 3; i++)
    CONF_EQ(t, 20 + i, 0);
  ck_assert_str_eq(t->log, "Fabc");
  conf_close(t);
}
END_TEST

/* ---- close --------------------------------------------------------------------- */

static void f_close_takers(void *arg) {
  conf *t = arg;
  jnet_fiber f[3];
  CONF_REC(t, 0, jnet_chan_new(&ch, 1, 4));
  for (int i = 0; i < 3; i++)
    CONF_REC(t, 1 + i, jnet_spawn(NULL, taker_logs, t, &f[i]));
  CONF_REC(t, 4, jnet_sleep(0.01));
  CONF_REC(t, 5, jnet_chan_close(ch));
  for (int i = 0; i < 3; i++)
    CONF_REC(t, 6 + i, jnet_join(f[i], CONF_T));
  CONF_REC(t, 9, jnet_chan_close(ch)); /* second close */
  char x = 'x';
  CONF_REC(t, 10, jnet_chan_give(ch, &x, CONF_T));
  CONF_REC(t, 11, jnet_chan_free(ch));
  t->done = 1;
}

START_TEST(close_wakes_every_taker_with_zero) {
  conf *t = conf_open();
  conf_run(t, f_close_takers);
  for (int i = 0; i < 10; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 10, JNET_EPIPE);
  CONF_EQ(t, 11, 0);
  for (int i = 0; i < 3; i++)
    CONF_EQ(t, 20 + i, 0);
  ck_assert_str_eq(t->log, "000");
  conf_close(t);
}
END_TEST

static void f_close_givers(void *arg) {
  conf *t = arg;
  jnet_fiber f[3];
  CONF_REC(t, 0, jnet_chan_new(&ch, 1, 0));
  for (int i = 0; i < 3; i++)
    CONF_REC(t, 1 + i, jnet_spawn(NULL, giver_char, t, &f[i]));
  CONF_REC(t, 4, jnet_sleep(0.01));
  CONF_REC(t, 5, jnet_chan_close(ch));
  for (int i = 0; i < 3; i++)
    CONF_REC(t, 6 + i, jnet_join(f[i], CONF_T));
  char got = 'u';
  CONF_REC(t, 9, jnet_chan_take(ch, &got, CONF_T));
  CONF_REC(t, 10, got); /* untouched */
  CONF_REC(t, 11, jnet_chan_free(ch));
  t->done = 1;
}

START_TEST(close_wakes_every_giver_with_epipe) {
  conf *t = conf_open();
  conf_run(t, f_close_givers);
  for (int i = 0; i < 9; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 9, 0);
  CONF_EQ(t, 10, 'u');
  CONF_EQ(t, 11, 0);
  for (int i = 0; i < 3; i++)
    CONF_EQ(t, 20 + i, JNET_EPIPE);
  conf_close(t);
}
END_TEST

static void f_close_drains(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, jnet_chan_new(&ch, sizeof(int), 4));
  for (int i = 5; i < 7; i++)
    CONF_REC(t, 1, jnet_chan_give(ch, &i, 0));
  CONF_REC(t, 2, jnet_chan_close(ch));
  int a = 0, b = 0, c = -1;
  CONF_REC(t, 3, jnet_chan_take(ch, &a, CONF_T));
  CONF_REC(t, 4, jnet_chan_take(ch, &b, CONF_T));
  CONF_REC(t, 5, jnet_chan_take(ch, &c, CONF_T));
  CONF_REC(t, 6, a * 100 + b * 10);
  CONF_REC(t, 7, c);
  CONF_REC(t, 8, jnet_chan_free(ch));
  t->done = 1;
}

START_TEST(closed_channel_gives_its_items_then_zero) {
  conf *t = conf_open();
  conf_run(t, f_close_drains);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, 1);
  CONF_EQ(t, 4, 1);
  CONF_EQ(t, 5, 0);
  CONF_EQ(t, 6, 560);
  CONF_EQ(t, 7, -1);
  CONF_EQ(t, 8, 0);
  conf_close(t);
}
END_TEST

static void f_free_busy(void *arg) {
  conf *t = arg;
  jnet_fiber f;
  CONF_REC(t, 0, jnet_chan_new(&ch, 1, 0));
  CONF_REC(t, 1, jnet_spawn(NULL, taker_logs, t, &f));
  CONF_REC(t, 2, jnet_sleep(0.01));
  CONF_REC(t, 3, jnet_chan_free(ch)); /* a taker waits */
  CONF_REC(t, 4, jnet_chan_close(ch));
  CONF_REC(t, 5, jnet_join(f, CONF_T));
  CONF_REC(t, 6, jnet_chan_free(ch));
  t->done = 1;
}

START_TEST(free_with_a_waiter_is_ebusy) {
  conf *t = conf_open();
  conf_run(t, f_free_busy);
  CONF_EQ(t, 3, JNET_EBUSY);
  for (int i = 4; i < 7; i++)
    CONF_EQ(t, i, 0);
  conf_close(t);
}
END_TEST

static void child_cancelled_take(void *arg) {
  conf *t = arg;
  jnet_chan *mine;
  char x;
  if (jnet_chan_new(&mine, 1, 0) < 0)
    return;
  int rc = jnet_chan_take(mine, &x, JNET_FOREVER);
  /* the cleanup runs, as Janet's (defer (++ cancel-counter) ...) */
  if (rc == JNET_ECANCELED)
    t->count++;
  jnet_chan_free(mine);
}

static void f_gather_cancel(void *arg) {
  conf *t = arg;
  jnet_fiber f[2];
  CONF_REC(t, 0, jnet_spawn(NULL, child_cancelled_take, t, &f[0]));
  CONF_REC(t, 1, jnet_spawn(NULL, child_cancelled_take, t, &f[1]));
  CONF_REC(t, 2, jnet_sleep(0.01));
  CONF_REC(t, 3, jnet_cancel(f[0], JNET_ECANCELED));
  CONF_REC(t, 4, jnet_cancel(f[1], JNET_ECANCELED));
  CONF_REC(t, 5, jnet_join(f[0], CONF_T));
  CONF_REC(t, 6, jnet_join(f[1], CONF_T));
  t->done = 1;
}

START_TEST(cancel_of_takers_on_private_channels) {
  conf *t = conf_open();
  conf_run(t, f_gather_cancel);
  for (int i = 0; i < 7; i++)
    CONF_EQ(t, i, 0);
  ck_assert_int_eq(t->count, 2);
  conf_close(t);
}
END_TEST

/* ---- Janet's channel cases ---------------------------------------------------- */

static int arr[1000];
static int narr;

static void consumer(void *arg) {
  conf *t = arg;
  int x;
  while (jnet_chan_take(ch, &x, CONF_T) == 1)
    if (narr < 1000)
      arr[narr++] = x;
  if (t->count3)
    jnet_sleep(0.1);
  jnet_chan_close(ch2);
}

static void f_chan_close_1(void *arg) {
  conf *t = arg;
  narr = 0;
  CONF_REC(t, 0, jnet_chan_new(&ch, sizeof(int), 0));
  CONF_REC(t, 1, jnet_chan_new(&ch2, 1, 0));
  CONF_REC(t, 2, jnet_spawn(NULL, consumer, t, NULL));
  int n = t->count3 ? 100 : 1000;
  for (int i = 0; i < n; i++)
    CONF_REC(t, 3, jnet_chan_give(ch, &i, CONF_T));
  CONF_REC(t, 4, jnet_chan_close(ch));
  char z = 'z';
  if (t->count3) {
    jnet_case k[1] = {{ch2, JNET_TAKE, &z, -7}};
    CONF_REC(t, 5, jnet_select(k, 1, CONF_T));
    CONF_REC(t, 6, k[0].result);
  } else {
    CONF_REC(t, 5, jnet_chan_take(ch2, &z, CONF_T));
    CONF_REC(t, 6, 0);
  }
  int ok = narr == n;
  for (int i = 0; ok && i < n; i++)
    ok = arr[i] == i;
  CONF_REC(t, 7, ok);
  CONF_REC(t, 8, jnet_chan_free(ch) | jnet_chan_free(ch2));
  t->done = 1;
}

START_TEST(janet_chan_close_1) {
  conf *t = conf_open();
  conf_run(t, f_chan_close_1);
  for (int i = 0; i < 9; i++)
    CONF_EQ(t, i, i == 7 ? 1 : 0);
  conf_close(t);
}
END_TEST

START_TEST(janet_chan_close_2_with_select) {
  conf *t = conf_open();
  t->count3 = 1;
  conf_run(t, f_chan_close_1);
  for (int i = 0; i < 9; i++)
    CONF_EQ(t, i, i == 7 ? 1 : 0);
  conf_close(t);
}
END_TEST

static void closer(void *arg) {
  (void)arg;
  jnet_chan_close(ch);
}

static void f_suspended_then_closed(void *arg) {
  conf *t = arg;
  int v = 1, got = -3;
  /* ev/take, suspended, channel closed */
  CONF_REC(t, 0, jnet_chan_new(&ch, sizeof v, 0));
  CONF_REC(t, 1, jnet_go(NULL, closer, NULL));
  CONF_REC(t, 2, jnet_chan_take(ch, &got, CONF_T));
  CONF_REC(t, 3, got);
  CONF_REC(t, 4, jnet_chan_free(ch));
  /* ev/give, suspended, channel closed */
  CONF_REC(t, 5, jnet_chan_new(&ch, sizeof v, 0));
  CONF_REC(t, 6, jnet_go(NULL, closer, NULL));
  CONF_REC(t, 7, jnet_chan_give(ch, &v, CONF_T));
  CONF_REC(t, 8, jnet_chan_free(ch));
  /* ev/select, suspended take, channel closed */
  CONF_REC(t, 9, jnet_chan_new(&ch, sizeof v, 0));
  CONF_REC(t, 10, jnet_go(NULL, closer, NULL));
  jnet_case k1[1] = {{ch, JNET_TAKE, &got, -7}};
  CONF_REC(t, 11, jnet_select(k1, 1, CONF_T));
  CONF_REC(t, 12, k1[0].result);
  CONF_REC(t, 13, jnet_chan_free(ch));
  /* ev/select, suspended give, channel closed */
  CONF_REC(t, 14, jnet_chan_new(&ch, sizeof v, 0));
  CONF_REC(t, 15, jnet_go(NULL, closer, NULL));
  jnet_case k2[1] = {{ch, JNET_GIVE, &v, -7}};
  CONF_REC(t, 16, jnet_select(k2, 1, CONF_T));
  CONF_REC(t, 17, k2[0].result);
  CONF_REC(t, 18, jnet_chan_free(ch));
  t->done = 1;
}

START_TEST(take_give_and_select_suspended_then_closed) {
  conf *t = conf_open();
  conf_run(t, f_suspended_then_closed);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, -3);
  CONF_EQ(t, 7, JNET_EPIPE);
  CONF_EQ(t, 11, 0);
  CONF_EQ(t, 12, 0);
  CONF_EQ(t, 16, 0);
  CONF_EQ(t, 17, JNET_EPIPE);
  for (int i = 0; i < 19; i++)
    if (i != 2 && i != 3 && i != 7 && i != 17)
      CONF_EQ(t, i, 0);
  conf_close(t);
}
END_TEST

/* ---- select ---------------------------------------------------------------------- */

static jnet_chan *sc[4];

static int make_chans(size_t cap) {
  for (int i = 0; i < 4; i++) {
    int rc = jnet_chan_new(&sc[i], sizeof(int), cap);
    if (rc < 0)
      return rc;
  }
  return 0;
}

static int free_chans(void) {
  int rc = 0;
  for (int i = 0; i < 4; i++)
    rc |= jnet_chan_free(sc[i]);
  return rc;
}

static void f_select_ties(void *arg) {
  conf *t = arg;
  int one = 1, two = 2, a = 0, b = 0;
  CONF_REC(t, 0, make_chans(2));
  CONF_REC(t, 1, jnet_chan_give(sc[1], &one, 0));
  CONF_REC(t, 2, jnet_chan_give(sc[2], &two, 0));
  jnet_case k[3] = {{sc[0], JNET_TAKE, &a, -7},
                    {sc[1], JNET_TAKE, &a, -7},
                    {sc[2], JNET_TAKE, &b, -7}};
  CONF_REC(t, 3, jnet_select(k, 3, CONF_T)); /* 1 and 2 ready: 1 */
  CONF_REC(t, 4, k[1].result);
  CONF_REC(t, 5, a);
  CONF_REC(t, 6, k[2].result); /* untouched */
  CONF_REC(t, 7, jnet_select(k, 3, 0)); /* now only 2 */
  CONF_REC(t, 8, b);
  CONF_REC(t, 9, jnet_select(k, 3, 0)); /* nothing ready, no wait */
  /* a give case ready beside a take case: the lowest index */
  jnet_case g[2] = {{sc[3], JNET_GIVE, &one, -7}, {sc[1], JNET_GIVE, &two, -7}};
  CONF_REC(t, 10, jnet_select(g, 2, 0));
  CONF_REC(t, 11, g[0].result);
  CONF_REC(t, 12, (long)jnet_chan_count(sc[3]));
  CONF_REC(t, 13, free_chans());
  t->done = 1;
}

START_TEST(select_ties_go_to_the_lowest_index) {
  conf *t = conf_open();
  conf_run(t, f_select_ties);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 3, 1);
  CONF_EQ(t, 4, 1);
  CONF_EQ(t, 5, 1);
  CONF_EQ(t, 6, -7);
  CONF_EQ(t, 7, 2);
  CONF_EQ(t, 8, 2);
  CONF_EQ(t, 9, JNET_ETIMEDOUT);
  CONF_EQ(t, 10, 0);
  CONF_EQ(t, 11, 0);
  CONF_EQ(t, 12, 1);
  CONF_EQ(t, 13, 0);
  conf_close(t);
}
END_TEST

static void f_select_null(void *arg) {
  conf *t = arg;
  int v = 3, got = 0;
  CONF_REC(t, 0, make_chans(1));
  CONF_REC(t, 1, jnet_chan_give(sc[0], &v, 0));
  jnet_case k[2] = {{NULL, JNET_TAKE, NULL, -7}, {sc[0], JNET_TAKE, &got, -7}};
  CONF_REC(t, 2, jnet_select(k, 2, CONF_T)); /* case 0 skipped */
  CONF_REC(t, 3, got);
  jnet_case none[2] = {{NULL, 0, NULL, 0}, {NULL, 0, NULL, 0}};
  double t0 = jnet_now();
  CONF_REC(t, 4, jnet_select(none, 2, CONF_SHORT));
  CONF_REC(t, 5, jnet_now() - t0 >= CONF_SHORT - 0.002);
  CONF_REC(t, 6, jnet_select(NULL, 0, 0.01));
  CONF_REC(t, 7, free_chans());
  t->done = 1;
}

START_TEST(select_skips_null_channels_and_with_none_waits_its_timeout) {
  conf *t = conf_open();
  conf_run(t, f_select_null);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 1);
  CONF_EQ(t, 3, 3);
  CONF_EQ(t, 4, JNET_ETIMEDOUT);
  CONF_EQ(t, 5, 1);
  CONF_EQ(t, 6, JNET_ETIMEDOUT);
  CONF_EQ(t, 7, 0);
  conf_close(t);
}
END_TEST

static void late_giver(void *arg) {
  conf *t = arg;
  int v = 77;
  jnet_sleep(0.02);
  CONF_REC(t, 20, jnet_chan_give(sc[2], &v, CONF_T));
}

static void f_select_waits(void *arg) {
  conf *t = arg;
  int a = 0, c = 0, one = 1;
  CONF_REC(t, 0, make_chans(0));
  jnet_fiber g;
  CONF_REC(t, 1, jnet_spawn(NULL, late_giver, t, &g));
  jnet_case k[3] = {{sc[0], JNET_TAKE, &a, -7},
                    {sc[1], JNET_GIVE, &one, -7},
                    {sc[2], JNET_TAKE, &c, -7}};
  CONF_REC(t, 2, jnet_select(k, 3, CONF_T));
  CONF_REC(t, 3, k[2].result);
  CONF_REC(t, 4, c);
  CONF_REC(t, 5, jnet_join(g, CONF_T));
  /* the other cases were withdrawn: no taker waits on sc[1] now */
  CONF_REC(t, 6, jnet_chan_take(sc[1], &a, 0));
  CONF_REC(t, 7, jnet_chan_give(sc[0], &one, 0));
  CONF_REC(t, 8, free_chans());
  t->done = 1;
}

START_TEST(select_waits_for_the_first_case_and_withdraws_the_others) {
  conf *t = conf_open();
  conf_run(t, f_select_waits);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 2);
  CONF_EQ(t, 3, 1);
  CONF_EQ(t, 4, 77);
  CONF_EQ(t, 5, 0);
  CONF_EQ(t, 6, JNET_ETIMEDOUT);
  CONF_EQ(t, 7, JNET_ETIMEDOUT);
  CONF_EQ(t, 8, 0);
  CONF_EQ(t, 20, 0);
  conf_close(t);
}
END_TEST

static void late_taker(void *arg) {
  conf *t = arg;
  int got = 0;
  jnet_sleep(0.02);
  CONF_REC(t, 20, jnet_chan_take(sc[1], &got, CONF_T));
  CONF_REC(t, 21, got);
}

static void f_select_give(void *arg) {
  conf *t = arg;
  int a = 0, v = 55;
  CONF_REC(t, 0, make_chans(0));
  jnet_fiber g;
  CONF_REC(t, 1, jnet_spawn(NULL, late_taker, t, &g));
  jnet_case k[2] = {{sc[0], JNET_TAKE, &a, -7}, {sc[1], JNET_GIVE, &v, -7}};
  CONF_REC(t, 2, jnet_select(k, 2, CONF_T));
  CONF_REC(t, 3, k[1].result);
  CONF_REC(t, 4, jnet_join(g, CONF_T));
  CONF_REC(t, 5, free_chans());
  t->done = 1;
}

START_TEST(select_give_case_fires_when_a_taker_comes) {
  conf *t = conf_open();
  conf_run(t, f_select_give);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 1);
  CONF_EQ(t, 3, 0);
  CONF_EQ(t, 4, 0);
  CONF_EQ(t, 5, 0);
  CONF_EQ(t, 20, 1);
  CONF_EQ(t, 21, 55);
  conf_close(t);
}
END_TEST

static void f_select_bad_case(void *arg) {
  conf *t = arg;
  int v = 1;
  CONF_REC(t, 0, make_chans(1));
  CONF_REC(t, 1, jnet_chan_give(sc[0], &v, 0));
  jnet_case k[2] = {{sc[0], JNET_TAKE, &v, -7}, {sc[1], JNET_TAKE, NULL, -7}};
  CONF_REC(t, 2, jnet_select(k, 2, 0)); /* case 0 ready, case 1 bad */
  CONF_REC(t, 3, (long)jnet_chan_count(sc[0])); /* nothing was taken */
  k[1].item = &v;
  k[1].op = 0;
  CONF_REC(t, 4, jnet_select(k, 2, 0));
  CONF_REC(t, 5, jnet_chan_take(sc[0], &v, 0));
  CONF_REC(t, 6, free_chans());
  t->done = 1;
}

START_TEST(select_checks_every_case_before_trying_any) {
  conf *t = conf_open();
  conf_run(t, f_select_bad_case);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, JNET_EINVAL);
  CONF_EQ(t, 3, 1);
  CONF_EQ(t, 4, JNET_EINVAL);
  CONF_EQ(t, 5, 1);
  CONF_EQ(t, 6, 0);
  conf_close(t);
}
END_TEST

static void child_select_forever(void *arg) {
  conf *t = arg;
  int a;
  jnet_case k[2] = {{sc[0], JNET_TAKE, &a, -7}, {sc[1], JNET_TAKE, &a, -7}};
  CONF_REC(t, 20, jnet_select(k, 2, JNET_FOREVER));
}

static void child_take_forever(void *arg) {
  conf *t = arg;
  int a;
  CONF_REC(t, 21, jnet_chan_take(sc[2], &a, JNET_FOREVER));
}

static void f_cancel_chan_waits(void *arg) {
  conf *t = arg;
  jnet_fiber f1, f2;
  CONF_REC(t, 0, make_chans(0));
  CONF_REC(t, 1, jnet_spawn(NULL, child_select_forever, t, &f1));
  CONF_REC(t, 2, jnet_spawn(NULL, child_take_forever, t, &f2));
  CONF_REC(t, 3, jnet_sleep(0.01));
  CONF_REC(t, 4, jnet_cancel(f1, JNET_ECANCELED));
  CONF_REC(t, 5, jnet_cancel(f2, JNET_ETIMEDOUT));
  CONF_REC(t, 6, jnet_join(f1, CONF_T));
  CONF_REC(t, 7, jnet_join(f2, CONF_T));
  CONF_REC(t, 8, free_chans()); /* nothing waits any more */
  t->done = 1;
}

START_TEST(cancel_of_a_blocked_chan_take_and_select) {
  conf *t = conf_open();
  conf_run(t, f_cancel_chan_waits);
  for (int i = 0; i < 9; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 20, JNET_ECANCELED);
  CONF_EQ(t, 21, JNET_ETIMEDOUT);
  conf_close(t);
}
END_TEST

/* Many items between two fibers, both ways through one select loop. */
static void echo_back(void *arg) {
  conf *t = arg;
  int x;
  while (jnet_chan_take(sc[0], &x, CONF_T) == 1)
    if (jnet_chan_give(sc[1], &x, CONF_T) < 0)
      break;
  t->count++;
}

static void f_pingpong(void *arg) {
  conf *t = arg;
  jnet_fiber f;
  CONF_REC(t, 0, make_chans(0));
  CONF_REC(t, 1, jnet_spawn(NULL, echo_back, t, &f));
  long sum = 0;
  int bad = 0;
  for (int i = 0; i < 2000; i++) {
    int back = -1;
    if (jnet_chan_give(sc[0], &i, CONF_T) != 0 ||
        jnet_chan_take(sc[1], &back, CONF_T) != 1 || back != i)
      bad++;
    sum += back;
  }
  CONF_REC(t, 2, bad);
  CONF_REC(t, 3, sum);
  CONF_REC(t, 4, jnet_chan_close(sc[0]));
  CONF_REC(t, 5, jnet_join(f, CONF_T));
  CONF_REC(t, 6, free_chans());
  t->done = 1;
}

START_TEST(pingpong_of_2000_items_keeps_every_item) {
  conf *t = conf_open();
  conf_run(t, f_pingpong);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, 1999L * 2000 / 2);
  CONF_EQ(t, 4, 0);
  CONF_EQ(t, 5, 0);
  CONF_EQ(t, 6, 0);
  ck_assert_int_eq(t->count, 1);
  conf_close(t);
}
END_TEST

static void child_big_select(void *arg) {
  conf *t = arg;
  int a;
  jnet_case k[20];
  for (int i = 0; i < 20; i++) {
    k[i].chan = sc[0];
    k[i].op = JNET_TAKE;
    k[i].item = &a;
    k[i].result = -7;
  }
  CONF_REC(t, 20, jnet_select(k, 20, JNET_FOREVER)); /* never returns */
}

static void f_dropped_select(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, jnet_chan_new(&sc[0], sizeof(int), 0));
  CONF_REC(t, 1, jnet_spawn(NULL, child_big_select, t, NULL));
  CONF_REC(t, 2, jnet_sleep(0.01));
  CONF_REC(t, 3, jnet_chan_free(sc[0])); /* the select waits on it */
  t->done = 1;
}

/* A fiber blocked forever in a select of more than 16 cases (its clauses on
 * the heap) is dropped with the loop: nothing leaks (ASan, Valgrind), and
 * nothing waits on the channel any more. */
START_TEST(loop_free_drops_a_fiber_blocked_in_a_big_select) {
  conf *t = conf_open();
  conf_run(t, f_dropped_select);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, JNET_EBUSY);
  ck_assert_int_eq(t->r[20], CONF_UNSET);
  ck_assert_uint_eq(jnet_loop_fibers(t->loop), 1);
  ck_assert_int_eq(jnet_loop_close(t->loop), JNET_EBUSY); /* it is alive */
  jnet_loop_free(t->loop); /* frees the loop and the blocked fiber */
  t->loop = NULL;
  conf_close(t);
  ck_assert_int_eq(jnet_chan_free(sc[0]), 0);
}
END_TEST

void conf_add_chan(Suite *s) {
  CONF_CASE(s, chan_bad_arguments);
  CONF_CASE(s, chan_outside_a_fiber);
  CONF_CASE(s, rendezvous_give_waits_for_a_taker);
  CONF_CASE(s, buffered_channel_is_fifo_and_counts_its_items);
  CONF_CASE(s, takers_are_served_fifo_and_resume_in_that_order);
  CONF_CASE(s, givers_on_a_full_channel_are_served_fifo);
  CONF_CASE(s, close_wakes_every_taker_with_zero);
  CONF_CASE(s, close_wakes_every_giver_with_epipe);
  CONF_CASE(s, closed_channel_gives_its_items_then_zero);
  CONF_CASE(s, free_with_a_waiter_is_ebusy);
  CONF_CASE(s, cancel_of_takers_on_private_channels);
  CONF_CASE(s, janet_chan_close_1);
  CONF_CASE(s, janet_chan_close_2_with_select);
  CONF_CASE(s, take_give_and_select_suspended_then_closed);
  CONF_CASE(s, select_ties_go_to_the_lowest_index);
  CONF_CASE(s, select_skips_null_channels_and_with_none_waits_its_timeout);
  CONF_CASE(s, select_waits_for_the_first_case_and_withdraws_the_others);
  CONF_CASE(s, select_give_case_fires_when_a_taker_comes);
  CONF_CASE(s, select_checks_every_case_before_trying_any);
  CONF_CASE(s, cancel_of_a_blocked_chan_take_and_select);
  CONF_CASE(s, pingpong_of_2000_items_keeps_every_item);
  CONF_CASE(s, loop_free_drops_a_fiber_blocked_in_a_big_select);
}
