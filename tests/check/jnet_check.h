/* jnet_check.h — every Check test registered by name.
 *
 * Each test gets a TCase of its own named after its function, so
 * CK_RUN_CASE=<name> runs exactly that test, and a name no TCase has fails
 * the run instead of passing with 0 checks (Check's own behaviour). The
 * conformance suite's conf_add habit, for every suite:
 *
 *   int main(void) {
 *     Suite *s = suite_create("sim-clock");
 *     jc_defaults(30, NULL, NULL);      // timeout (s), checked fixture
 *     JC_TEST(s, hour_long_timeout_completes_in_milliseconds);
 *     JC_LOOP(s, tcp_headers_are_real, 0, 2);
 *     return jc_run(s);
 *   }
 *
 * Environment: CK_RUN_CASE=<name> runs one test; JNET_CHECK_LIST=1 prints
 * the names, one a line, and runs nothing (make test-one uses it). Check's
 * own variables (CK_FORK, CK_VERBOSITY, CK_TIMEOUT_MULTIPLIER) still work.
 */
#ifndef JNET_CHECK_H
#define JNET_CHECK_H

#include <check.h>

/* Defaults for the TCases made from now on: per-test timeout in seconds
 * (0: Check's default), and a checked fixture run around each test (NULL,
 * NULL: none). */
void jc_defaults(double timeout, SFun setup, SFun teardown);

/* A TCase named `name` with the current defaults, added to s. A name
 * given twice makes jc_run fail. */
TCase *jc_case(Suite *s, const char *name);

/* JC_SHARDS=N in the environment tags the k-th registered case
 * "shard<k % N>"; CK_INCLUDE_TAGS=shard<i> then runs one part, so ctest can
 * run a suite that waits on real time as N entries (tests/realfaults). */
#define JC_TEST(s, fn) tcase_add_test(jc_case((s), #fn), fn)
#define JC_LOOP(s, fn, from, to)                                               \
  tcase_add_loop_test(jc_case((s), #fn), fn, (from), (to))
#define JC_SIGNAL(s, fn, sig)                                                  \
  tcase_add_test_raise_signal(jc_case((s), #fn), fn, (sig))
#define JC_EXIT(s, fn, code) tcase_add_exit_test(jc_case((s), #fn), fn, (code))

/* Run s as the environment asks (see above), free it, and return the
 * process exit status: 0 if every test that ran passed and at least one
 * ran; 1 on a failure, an unknown CK_RUN_CASE, a duplicate name, or no test
 * run at all. */
int jc_run(Suite *s);

/* 1 if jc_run would run no test: JNET_CHECK_LIST is set, or CK_RUN_CASE
 * names no registered test. A suite that starts servers or wants arguments
 * before its tests asks this first (after registering) and then calls
 * jc_run at once. */
int jc_nothing_to_run(void);

/* As jc_run, with the fork mode forced (CK_FORK or CK_NOFORK). */
int jc_run_fork(Suite *s, enum fork_status fork);

#endif /* JNET_CHECK_H */
