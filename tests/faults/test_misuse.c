/* test_misuse.c — nodes that are not the loop's: a host never added, another
 * simulation's host, a made-up pointer. jnet_go_on and jnet_node_main say
 * JNET_EINVAL and nothing runs on them; the loop stays usable.
 */
#include <check.h>

#include "jnet.h"
#include "jnet_sim.h"

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

int main(void) {
  Suite *s = suite_create("misuse");
  TCase *tc = tcase_create("nodes");
  tcase_add_test(tc, sim_rejects_a_host_of_another_simulation_or_none);
  tcase_add_test(tc, uv_rejects_any_node_but_its_own);
  tcase_add_test(tc, a_backend_serves_one_loop_at_a_time);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
