/* test_misuse.c — nodes that are not the loop's: a host never added, another
 * simulation's host, a made-up pointer. jnet_go_on and jnet_node_main say
 * JNET_EINVAL and nothing runs on them; the loop stays usable. And sizes
 * no buffer or datagram can hold: clean errors, the stream still works.
 */
#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include <jnet/jnet.h>
#include <jnet/jnet_sim.h>
#include "jnet_check.h"

static int runs;

static void count(void *arg) {
  (void)arg;
  runs++;
}

START_TEST(sim_rejects_a_host_of_another_simulation_or_none) {
  jnet_sim *s1, *s2;
  jnet_node *a, *other;
  jnet_loop *l;
  ck_assert_int_eq(jnet_sim_new(&s1, 1), 0);
  ck_assert_int_eq(jnet_sim_new(&s2, 1), 0);
  ck_assert_int_eq(jnet_sim_host(s1, "a", (const char *[]){"192.0.2.1", NULL}, &a), 0);
  ck_assert_int_eq(jnet_sim_host(s2, "b", (const char *[]){"192.0.2.2", NULL}, &other), 0);
  ck_assert_int_eq(jnet_loop_new(&l, jnet_sim_backend(s1)), 0);
  char made_up[64] = {0};
  runs = 0;
  ck_assert_int_eq(jnet_go_on(l, other, count, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_go_on(l, (jnet_node *)made_up, count, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_node_main(l, other, count, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_go_on(l, NULL, count, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_go_on(l, a, count, NULL), 0);
  ck_assert_int_eq(jnet_node_main(l, a, count, NULL), 0);
  ck_assert_int_eq(jnet_run(l), 0);
  ck_assert_int_eq(runs, 2);
  jnet_loop_free(l);
  jnet_sim_free(s1);
  jnet_sim_free(s2);
}
END_TEST

START_TEST(uv_rejects_any_node_but_its_own) {
  const jnet_backend *b = jnet_backend_uv();
  jnet_loop *l;
  ck_assert_ptr_nonnull(b);
  ck_assert_int_eq(jnet_loop_new(&l, b), 0);
  char made_up[64] = {0};
  runs = 0;
  ck_assert_int_eq(jnet_go_on(l, (jnet_node *)made_up, count, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_go_on(l, jnet_loop_node(l), count, NULL), 0);
  ck_assert_int_eq(jnet_run(l), 0);
  ck_assert_int_eq(runs, 1);
  jnet_loop_free(l);
  jnet_backend_free(b);
}
END_TEST

START_TEST(a_backend_serves_one_loop_at_a_time) {
  jnet_sim *s;
  jnet_node *a;
  jnet_loop *l1, *l2;
  ck_assert_int_eq(jnet_sim_new(&s, 1), 0);
  ck_assert_int_eq(jnet_sim_host(s, "a", (const char *[]){"192.0.2.1", NULL}, &a), 0);
  ck_assert_int_eq(jnet_loop_new(&l1, jnet_sim_backend(s)), 0);
  ck_assert_int_eq(jnet_loop_new(&l2, jnet_sim_backend(s)), JNET_EBUSY);
  jnet_loop_free(l1);
  ck_assert_int_eq(jnet_loop_new(&l2, jnet_sim_backend(s)), 0); /* free again */
  jnet_loop_free(l2);
  jnet_sim_free(s);
}
END_TEST

/* ---- huge sizes ------------------------------------------------------------- */

typedef struct {
  long r[12];
} huge;

static void huge_sizes(void *arg) {
  huge *h = arg;
  jnet_stream srv, cli, acc, udp;
  jnet_buf b;
  jnet_addr a;
  char host[64], port[8];
  int p;
  jnet_buf_init(&b);
  jnet_listen("127.0.0.1", NULL, JNET_STREAM, &srv);
  jnet_localname(srv, &a);
  jnet_address_unpack(&a, host, sizeof host, &p);
  snprintf(port, sizeof port, "%d", p);
  jnet_connect("127.0.0.1", port, JNET_STREAM, NULL, NULL, &cli);
  jnet_accept(srv, 1.0, &acc);
  h->r[0] = jnet_read(cli, SIZE_MAX, &b, 1.0);         /* over SSIZE_MAX */
  h->r[1] = jnet_chunk(cli, SIZE_MAX, &b, 1.0);
  h->r[2] = jnet_read(cli, (size_t)SSIZE_MAX, &b, 1.0); /* cannot grow b */
  h->r[3] = jnet_buf_reserve(&b, SIZE_MAX);
  h->r[4] = jnet_write(acc, "ok", 2, 1.0);              /* still usable */
  h->r[5] = jnet_read(cli, 16, &b, 1.0);
  jnet_listen("127.0.0.1", NULL, JNET_DATAGRAM, &udp);
  static char big[70000];
  jnet_localname(udp, &a);
  h->r[6] = jnet_send_to(udp, &a, big, sizeof big, 1.0); /* > 65,507 */
  h->r[7] = jnet_send_to(udp, &a, big, 65507, 1.0);
  jnet_buf_reset(&b);
  h->r[8] = jnet_recv_from(udp, 70000, &b, 1.0, NULL);
  jnet_close(udp);
  jnet_close(cli);
  jnet_close(acc);
  jnet_close(srv);
  jnet_buf_free(&b);
}

START_TEST(huge_sizes_are_clean_errors_and_streams_stay_usable) {
  jnet_sim *sim;
  jnet_node *a;
  jnet_loop *l;
  huge h = {{0}};
  ck_assert_int_eq(jnet_sim_new(&sim, 1), 0);
  ck_assert_int_eq(jnet_sim_host(sim, "a", (const char *[]){"192.0.2.1", NULL}, &a), 0);
  ck_assert_int_eq(jnet_loop_new(&l, jnet_sim_backend(sim)), 0);
  ck_assert_int_eq(jnet_go(l, huge_sizes, &h), 0);
  ck_assert_int_eq(jnet_run(l), 0);
  jnet_loop_free(l);
  jnet_sim_free(sim);
  ck_assert_int_eq(h.r[0], JNET_EINVAL);
  ck_assert_int_eq(h.r[1], JNET_EINVAL);
  ck_assert_int_eq(h.r[2], JNET_ENOMEM);
  ck_assert_int_eq(h.r[3], JNET_ENOMEM);
  ck_assert_int_eq(h.r[4], 0);
  ck_assert_int_eq(h.r[5], 2);
  ck_assert_int_eq(h.r[6], JNET_EMSGSIZE);
  ck_assert_int_eq(h.r[7], 0);
  ck_assert_int_eq(h.r[8], 65507);
}
END_TEST

int main(void) {
  Suite *s = suite_create("misuse");
  jc_defaults(0, NULL, NULL);
  JC_TEST(s, sim_rejects_a_host_of_another_simulation_or_none);
  JC_TEST(s, uv_rejects_any_node_but_its_own);
  JC_TEST(s, a_backend_serves_one_loop_at_a_time);
  JC_TEST(s, huge_sizes_are_clean_errors_and_streams_stay_usable);
  return jc_run(s);
}
