/* test_owners.c — who may use a channel, where only the simulation can
 * tell: a channel belongs to the host of the fiber that made it (another
 * host's fiber gets JNET_EINVAL, test_fibers.c), and one made outside any
 * loop belongs to no host, so fibers of every host may use it. */
#include "simtest.h"

typedef struct ox {
  jnet_chan *ch;
  long r[4];
  int got;
} ox;

static void give_from_h0(void *arg) {
  ox *x = arg;
  int v = 42;
  x->r[0] = jnet_chan_give(x->ch, &v, JNET_FOREVER);
}

static void take_on_h1(void *arg) {
  ox *x = arg;
  int v = 0;
  x->r[1] = jnet_chan_take(x->ch, &v, JNET_FOREVER);
  x->got = v;
}

START_TEST(a_channel_made_outside_any_loop_serves_every_host) {
  ox x = {0};
  x.r[0] = x.r[1] = -1;
  ck_assert_int_eq(jnet_chan_new(&x.ch, sizeof(int), 0), 0); /* no loop yet */
  st_world *w = st_new(3, 2);
  st_go(w, 1, take_on_h1, &x);
  st_go(w, 0, give_from_h0, &x);
  st_run(w);
  ck_assert_int_eq(x.r[0], 0);
  ck_assert_int_eq(x.r[1], 1); /* took an item */
  ck_assert_int_eq(x.got, 42);
  st_free(w);
  ck_assert_int_eq(jnet_chan_free(x.ch), 0);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("sim-owners");
  jc_defaults(30, NULL, NULL);
  JC_TEST(s, a_channel_made_outside_any_loop_serves_every_host);
  return s;
}

int main(void) { return st_run_suite(suite()); }
