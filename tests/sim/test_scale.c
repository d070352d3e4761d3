/* test_scale.c — many hosts at once, and determinism of a whole run: 1000
 * hosts each serve and call their neighbour over TCP on a jittery, lossy
 * network; the same seed gives the same fingerprint and results. */
#include "simtest.h"

#define NH 1000

typedef struct sc {
  st_world *w;
  int ok[NH], served[NH];
  double done_t[NH];
} sc;

static sc *the;

static int self_index(void) {
  jnet_node *me = jnet_self_node();
  const char *name = jnet_sim_host_name(me);
  return atoi(name + 1);
}

static void serve(void *arg) {
  sc *s = arg;
  int i = self_index();
  char addr[64];
  st_addr(i, addr, sizeof addr);
  jnet_stream srv, c;
  if (jnet_listen(addr, "7000", JNET_STREAM, &srv) < 0)
    return;
  if (jnet_accept(srv, 120, &c) == 0) {
    jnet_buf b;
    jnet_buf_init(&b);
    if (jnet_chunk(c, 16, &b, 120) == 16 && jnet_write(c, b.data, 16, 120) == 0)
      s->served[i] = 1;
    jnet_buf_free(&b);
    jnet_close(c);
  }
  jnet_close(srv);
}

static void call(void *arg) {
  sc *s = arg;
  int i = self_index();
  char peer[64], msg[17];
  st_addr((i + 1) % NH, peer, sizeof peer);
  snprintf(msg, sizeof msg, "hello-%010d", i);
  jnet_sleep(0.001 * (jnet_random() % 100)); /* deterministic per host */
  jnet_stream c;
  if (jnet_connect(peer, "7000", JNET_STREAM, NULL, NULL, &c) < 0)
    return;
  jnet_buf b;
  jnet_buf_init(&b);
  if (jnet_write(c, msg, 16, 120) == 0 && jnet_chunk(c, 16, &b, 120) == 16 &&
      memcmp(b.data, msg, 16) == 0)
    s->ok[i] = 1;
  s->done_t[i] = jnet_now();
  jnet_buf_free(&b);
  jnet_close(c);
}

static sc *ring(uint64_t seed) {
  sc *s = calloc(1, sizeof *s);
  the = s;
  s->w = st_new(seed, NH);
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.latency_ns = 10 * JNET_SIM_MS;
  lp.jitter_ns = 5 * JNET_SIM_MS;
  lp.loss = 0.02;
  ck_assert_int_eq(jnet_sim_link(s->w->sim, s->w->h[0], NULL, &lp), 0);
  for (int i = 0; i < NH; i++) {
    st_go(s->w, i, serve, s);
    st_go(s->w, i, call, s);
  }
  st_run(s->w);
  return s;
}

START_TEST(a_thousand_hosts_talk_at_once) {
  double w0 = st_wall_s();
  sc *s = ring(1);
  double wall = st_wall_s() - w0;
  for (int i = 0; i < NH; i++) {
    ck_assert_msg(s->ok[i], "host %d's call failed", i);
    ck_assert_msg(s->served[i], "host %d did not serve", i);
  }
  jnet_sim_stats st;
  jnet_sim_get_stats(s->w->sim, &st);
  ck_assert_uint_gt(st.packets_dropped, 0); /* the loss was real */
  ck_assert_msg(wall < 20.0, "took %.2f s", wall);
  st_free(s->w);
  free(s);
}
END_TEST

START_TEST(same_seed_same_run_other_seed_another) {
  sc *a = ring(77), *b = ring(77), *c = ring(78);
  uint64_t fa = jnet_sim_fingerprint(a->w->sim), fb = jnet_sim_fingerprint(b->w->sim),
           fc = jnet_sim_fingerprint(c->w->sim);
  ck_assert_uint_eq(fa, fb);
  ck_assert_uint_ne(fa, fc);
  for (int i = 0; i < NH; i++)
    ck_assert_double_eq(a->done_t[i], b->done_t[i]);
  ck_assert_uint_eq(jnet_sim_now_ns(a->w->sim), jnet_sim_now_ns(b->w->sim));
  sc *all[] = {a, b, c};
  for (int i = 0; i < 3; i++) {
    st_free(all[i]->w);
    free(all[i]);
  }
}
END_TEST

/* The trace writes one line per packet event and leaves the run as it was:
 * same fingerprint with and without a trace file. */
static void ping(void *arg) {
  (void)arg;
  jnet_stream u;
  jnet_listen("192.0.2.1", "5000", JNET_DATAGRAM, &u);
  jnet_addr dst;
  jnet_address("192.0.2.2", "5000", JNET_DATAGRAM, &dst);
  jnet_send_to(u, &dst, "x", 1, 1);
  jnet_close(u);
}

static uint64_t traced_run(FILE *f) {
  st_world *w = st_new(5, 2);
  jnet_sim_trace(w->sim, f);
  st_go(w, 0, ping, NULL);
  st_run(w);
  jnet_sim_trace(w->sim, NULL);
  uint64_t fp = jnet_sim_fingerprint(w->sim);
  st_free(w);
  return fp;
}

START_TEST(trace_lines_do_not_change_the_fingerprint) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  ck_assert_ptr_nonnull(f);
  uint64_t with = traced_run(f);
  fclose(f);
  uint64_t without = traced_run(NULL);
  ck_assert_uint_eq(with, without);
  /* send, then the ICMP-less drop: nobody listens on h1:5000 */
  ck_assert_msg(strstr(text, "0.000000000 h0 udp 192.0.2.1:5000>192.0.2.2:5000 len=1") != NULL,
                "trace:\n%s", text);
  ck_assert_msg(strstr(text, "0.001000000 h1 RECV udp") != NULL, "trace:\n%s", text);
  free(text);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("sim-scale");
  jc_defaults(120, NULL, NULL);
  JC_TEST(s, a_thousand_hosts_talk_at_once);
  JC_TEST(s, same_seed_same_run_other_seed_another);
  JC_TEST(s, trace_lines_do_not_change_the_fingerprint);
  return s;
}

int main(void) { return st_run_suite(suite()); }
