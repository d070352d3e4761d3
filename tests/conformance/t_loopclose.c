/* t_loopclose.c — conformance: jnet_loop_close, as uv_loop_close. While a
 * fiber lives (runnable, sleeping, blocked on a request) or a stream is open
 * it is JNET_EBUSY and the loop goes on working; once every fiber returned
 * and every stream is closed it frees the loop and returns 0. */
#include "conf.h"

/* The test closed the loop itself: conf_close then checks the rest. */
static void close_now(conf *t) {
  int rc = jnet_loop_close(t->loop);
  ck_assert_msg(rc == 0, "[%s] jnet_loop_close: %d (%s)", conf_backend_name, rc,
                jnet_err_name(rc));
  t->loop = NULL;
}

static void f_done(void *arg) {
  conf *t = arg;
  t->done = 1;
}

START_TEST(loop_close_is_ebusy_while_a_fiber_is_runnable) {
  conf *t = conf_open();
  ck_assert_int_eq(jnet_go(t->loop, f_done, t), 0);
  ck_assert_int_eq(jnet_loop_close(t->loop), JNET_EBUSY);
  ck_assert_int_eq(jnet_run(t->loop), 0); /* the loop still works */
  ck_assert_int_eq(t->done, 1);
  close_now(t);
  conf_close(t);
}
END_TEST

static void f_sleep(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, jnet_sleep(4 * CONF_SHORT));
  t->done = 1;
}

START_TEST(loop_close_is_ebusy_while_a_fiber_sleeps) {
  conf *t = conf_open();
  ck_assert_int_eq(jnet_go(t->loop, f_sleep, t), 0);
  ck_assert_int_eq(jnet_run_until(t->loop, jnet_now() + CONF_SHORT / 2), 0);
  ck_assert_int_eq(t->done, 0); /* asleep: its timer is armed */
  ck_assert_int_eq(jnet_loop_close(t->loop), JNET_EBUSY);
  ck_assert_int_eq(jnet_run(t->loop), 0);
  CONF_EQ(t, 0, 0);
  close_now(t);
  conf_close(t);
}
END_TEST

static void f_listen(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, jnet_listen("127.0.0.1", "0", JNET_STREAM, &t->srv));
  t->done = 1;
}

START_TEST(loop_close_is_ebusy_while_a_stream_is_open) {
  conf *t = conf_open();
  conf_run(t, f_listen);
  CONF_EQ(t, 0, 0);
  ck_assert_uint_eq(jnet_loop_fibers(t->loop), 0);
  ck_assert_int_eq(jnet_loop_close(t->loop), JNET_EBUSY); /* the listener */
  ck_assert_int_eq(jnet_close(t->srv), 0);
  ck_assert_int_eq(jnet_run(t->loop), 0);
  close_now(t);
  conf_close(t);
}
END_TEST

static void f_accept(void *arg) {
  conf *t = arg;
  jnet_stream c;
  CONF_REC(t, 0, jnet_listen("127.0.0.1", "0", JNET_STREAM, &t->srv));
  CONF_REC(t, 1, jnet_accept(t->srv, JNET_FOREVER, &c)); /* until closed */
  t->done = 1;
}

START_TEST(loop_close_is_ebusy_while_a_request_is_pending) {
  conf *t = conf_open();
  ck_assert_int_eq(jnet_go(t->loop, f_accept, t), 0);
  ck_assert_int_eq(jnet_run_until(t->loop, jnet_now() + CONF_SHORT), 0);
  CONF_EQ(t, 0, 0);
  ck_assert_int_eq(t->done, 0); /* blocked in accept */
  ck_assert_int_eq(jnet_loop_close(t->loop), JNET_EBUSY);
  ck_assert_int_eq(jnet_close(t->srv), 0); /* wakes it with ECANCELED */
  ck_assert_int_eq(jnet_run(t->loop), 0);
  CONF_EQ(t, 1, JNET_ECANCELED);
  close_now(t);
  conf_close(t);
}
END_TEST

static void f_close_own_loop(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, jnet_loop_close(t->loop));
  t->done = 1;
}

START_TEST(loop_close_from_inside_its_loop_is_ebusy) {
  conf *t = conf_open();
  conf_run(t, f_close_own_loop);
  CONF_EQ(t, 0, JNET_EBUSY);
  ck_assert_int_eq(jnet_loop_close(NULL), JNET_EINVAL);
  close_now(t);
  conf_close(t);
}
END_TEST

void conf_add_loopclose(Suite *s) {
  CONF_CASE(s, loop_close_is_ebusy_while_a_fiber_is_runnable);
  CONF_CASE(s, loop_close_is_ebusy_while_a_fiber_sleeps);
  CONF_CASE(s, loop_close_is_ebusy_while_a_stream_is_open);
  CONF_CASE(s, loop_close_is_ebusy_while_a_request_is_pending);
  CONF_CASE(s, loop_close_from_inside_its_loop_is_ebusy);
}
