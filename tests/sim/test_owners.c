/* test_owners.c — who may use what, where only the simulation can tell: a
 * channel belongs to the host of the fiber that made it (another host's
 * fiber gets JNET_EINVAL, test_fibers.c), and one made outside any loop
 * belongs to no host, so fibers of every host may use it. And a backend
 * that says it is version 1 is never asked what version 2 added (a host's
 * check, node_check): its struct may end before those members. Nor is a
 * version 4 one asked what version 5 added (send_to_now, clock_ns,
 * resumptions). */
#include <jnet/jnet_backend.h>

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

static int refuse_every_node(const jnet_backend *b, jnet_node *node) {
  (void)b;
  (void)node;
  return JNET_EINVAL;
}

static void mark(void *arg) { *(int *)arg = 1; }

START_TEST(a_version_1_backend_is_never_asked_to_check_a_node) {
  st_world *w = st_new(5, 2);
  /* the sim backend as an older one would be: version 1, and whatever
   * lies where version 2's node_check would be (here: a refusal) */
  jnet_backend v1 = *jnet_sim_backend(w->sim);
  v1.version = 1;
  v1.node_check = refuse_every_node;
  jnet_loop *l;
  ck_assert_int_eq(jnet_loop_new(&l, &v1), 0);
  int ran = 0;
  ck_assert_int_eq(jnet_go_on(l, w->h[1], mark, &ran), 0);
  ck_assert_int_eq(jnet_run(l), 0);
  ck_assert_int_eq(ran, 1);
  ck_assert_int_eq(jnet_run_once(l), 0); /* idle */
  jnet_loop_free(l);
  jnet_sim_free(w->sim);
  free(w);
}
END_TEST

/* What a version 4 backend may hold where version 5's members would be. */
static int stray_calls;
static uint64_t stray_word;

static int stray_send_to_now(const jnet_backend *b, jnet_bsock *s,
                             const void *buf, size_t len,
                             const jnet_addr *dst) {
  (void)b, (void)s, (void)buf, (void)len, (void)dst;
  stray_calls++;
  return JNET_EPROTO;
}

typedef struct v4x {
  long sent, got;
  int yields;
} v4x;

static void v4_receiver(void *arg) {
  v4x *x = arg;
  jnet_stream u;
  ck_assert_int_eq(jnet_listen("192.0.2.2", "7000", JNET_DATAGRAM, &u), 0);
  jnet_buf b = {0};
  x->got = (long)jnet_recv_from(u, 100, &b, 1.0, NULL);
  jnet_buf_free(&b);
  jnet_close(u);
}

static void v4_sender(void *arg) {
  v4x *x = arg;
  for (int i = 0; i < 3; i++) /* resumptions the loop counts */
    if (jnet_yield() == 0)
      x->yields++;
  jnet_stream u;
  jnet_addr dst;
  ck_assert_int_eq(jnet_listen("192.0.2.1", NULL, JNET_DATAGRAM, &u), 0);
  ck_assert_int_eq(jnet_address("192.0.2.2", "7000", JNET_DATAGRAM, &dst), 0);
  x->sent = jnet_send_to(u, &dst, "ping", 4, 1.0);
  jnet_close(u);
}

START_TEST(a_version_4_backend_is_never_asked_what_version_5_added) {
  st_world *w = st_new(7, 2);
  jnet_backend v4 = *jnet_sim_backend(w->sim);
  v4.version = 4;
  v4.send_to_now = stray_send_to_now; /* a call fails the send */
  stray_word = 12345;
  v4.clock_ns = &stray_word; /* a wrong clock */
  v4.resumptions = &stray_word; /* a counter the sim never sees */
  stray_calls = 0;
  jnet_loop *l;
  ck_assert_int_eq(jnet_loop_new(&l, &v4), 0);
  v4x x = {-1, -1, 0};
  ck_assert_int_eq(jnet_go_on(l, w->h[1], v4_receiver, &x), 0);
  ck_assert_int_eq(jnet_go_on(l, w->h[0], v4_sender, &x), 0);
  ck_assert_int_eq(jnet_run(l), 0);
  ck_assert_int_eq(x.yields, 3);
  ck_assert_int_eq(x.sent, 0); /* through send_to's request */
  ck_assert_int_eq(x.got, 4);
  ck_assert_int_eq(stray_calls, 0);
  ck_assert_uint_eq(stray_word, 12345); /* resumptions went to resumed() */
  ck_assert_int_eq(jnet_run_once(l), 0); /* idle */
  ck_assert_int_eq(jnet_loop_close(l), 0);
  jnet_sim_free(w->sim);
  free(w);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("sim-owners");
  jc_defaults(30, NULL, NULL);
  JC_TEST(s, a_channel_made_outside_any_loop_serves_every_host);
  JC_TEST(s, a_version_1_backend_is_never_asked_to_check_a_node);
  JC_TEST(s, a_version_4_backend_is_never_asked_what_version_5_added);
  return s;
}

int main(void) { return st_run_suite(suite()); }
