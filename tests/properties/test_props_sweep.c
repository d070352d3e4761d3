/* test_props_sweep.c — the exit status and the failure list of
 * `jnet-sim sweep` for 0, 1 and many failing seeds, checked against an
 * independent oracle: `jnet-sim run` of each seed alone (the runner's test
 * build, over tests/scenario/flaky.scn, where check ok fails on about one
 * seed in four). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jnet_check.h"
#include "shell.h" /* tests/scenario: dir, sh(), the scratch directory */

#ifndef JSIM_RUNNER
#error "JSIM_RUNNER must name the jsim-test-runner binary"
#endif
#ifndef JSIM_SCN_DIR
#error "JSIM_SCN_DIR must name tests/scenario"
#endif

#define NSEEDS 40

/* 1 if `run --seed s` exits 1, 0 if it exits 0, else its status. Found
 * once, in main() before the tests fork (it is the same for every test:
 * the runs are deterministic); it was 40 runs in each test's setup. */
static int fails_alone[NSEEDS + 1];

static void find_fails_alone(void) {
  char tmp[] = "/tmp/jnet-props-oracle-XXXXXX", cmd[1024];
  for (int s = 1; s <= NSEEDS; s++)
    fails_alone[s] = -1;
  if (mkdtemp(tmp) == NULL)
    return;
  snprintf(cmd, sizeof cmd,
           "cd '%s' && cp " JSIM_SCN_DIR "/flaky.scn . && "
           "for s in $(seq 1 %d); do " JSIM_RUNNER
           " run flaky.scn --seed $s >/dev/null 2>&1; echo $s $?; done",
           tmp, NSEEDS);
  FILE *p = popen(cmd, "r");
  int s, rc;
  while (p != NULL && fscanf(p, "%d %d", &s, &rc) == 2)
    if (s >= 1 && s <= NSEEDS)
      fails_alone[s] = rc;
  if (p != NULL)
    pclose(p);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  if (system(cmd) != 0)
    fprintf(stderr, "cannot remove %s\n", tmp);
}

static void setup(void) {
  shell_setup("/tmp/jnet-props-sweep-XXXXXX");
  ck_assert_int_eq(sh("cp " JSIM_SCN_DIR "/flaky.scn ."), 0);
  for (int s = 1; s <= NSEEDS; s++)
    ck_assert_msg(fails_alone[s] == 0 || fails_alone[s] == 1,
                  "run --seed %d exited %d", s, fails_alone[s]);
}

static void teardown(void) { shell_teardown(); }

/* Sweep a..b with `jobs` workers: assert the exit status and that the
 * seeds reported failing are exactly those failing alone. */
static void sweep_matches(int a, int b, int jobs) {
  int want = 0;
  for (int s = a; s <= b; s++)
    want += fails_alone[s];
  int rc = sh(JSIM_RUNNER " sweep flaky.scn --seeds %d..%d -j %d --no-progress"
              " --json out.jsonl >out.txt 2>&1", a, b, jobs);
  ck_assert_msg(rc == (want ? 1 : 0),
                "sweep %d..%d -j %d with %d failing seeds exited %d", a, b,
                jobs, want, rc);
  /* the per-seed results, one JSON line each */
  char path[sizeof dir + 16];
  snprintf(path, sizeof path, "%s/out.jsonl", dir);
  FILE *f = fopen(path, "r");
  ck_assert_ptr_nonnull(f);
  char line[4096];
  int seen = 0, failed = 0, summary_failed = -1;
  while (fgets(line, sizeof line, f)) {
    const char *p = strstr(line, "\"seed\":");
    if (strstr(line, "\"type\":\"summary\"")) {
      const char *q = strstr(line, "\"failed\":");
      ck_assert_ptr_nonnull(q);
      summary_failed = atoi(q + 9);
      continue;
    }
    ck_assert_ptr_nonnull(p);
    int s = atoi(p + 7);
    ck_assert_msg(s >= a && s <= b, "seed %d outside %d..%d", s, a, b);
    int fail = strstr(line, "\"result\":\"fail\"") != NULL;
    ck_assert_msg(fail == fails_alone[s],
                  "seed %d: the sweep says %s, alone it %s", s,
                  fail ? "fail" : "pass", fails_alone[s] ? "fails" : "passes");
    seen++;
    failed += fail;
  }
  fclose(f);
  ck_assert_int_eq(seen, b - a + 1);
  ck_assert_int_eq(failed, want);
  ck_assert_int_eq(summary_failed, want);
}

/* The first a..b (length len) holding exactly k seeds failing alone. */
static int find_range(int len, int k, int *a) {
  for (int s = 1; s + len - 1 <= NSEEDS; s++) {
    int n = 0;
    for (int t = s; t < s + len; t++)
      n += fails_alone[t];
    if (n == k) {
      *a = s;
      return 1;
    }
  }
  return 0;
}

START_TEST(sweep_with_no_failing_seed_exits_0) {
  int a;
  ck_assert_msg(find_range(3, 0, &a), "no 3 passing seeds in a row");
  sweep_matches(a, a + 2, 1);
  sweep_matches(a, a + 2, 2);
}
END_TEST

START_TEST(sweep_with_exactly_one_failing_seed_exits_1) {
  int a;
  ck_assert_msg(find_range(1, 1, &a), "no failing seed in 1..%d", NSEEDS);
  sweep_matches(a, a, 1); /* the failing seed alone */
  ck_assert_msg(find_range(5, 1, &a), "no 5 seeds with one failing");
  sweep_matches(a, a + 4, 1);
  sweep_matches(a, a + 4, 2);
}
END_TEST

START_TEST(sweep_with_many_failing_seeds_exits_1_and_lists_each) {
  int n = 0;
  for (int s = 1; s <= NSEEDS; s++)
    n += fails_alone[s];
  ck_assert_int_ge(n, 2);
  ck_assert_int_lt(n, NSEEDS);
  sweep_matches(1, NSEEDS, 2);
}
END_TEST

int main(void) {
  Suite *s = suite_create("properties-sweep");
  jc_defaults(120, setup, teardown);
  JC_TEST(s, sweep_with_no_failing_seed_exits_0);
  JC_TEST(s, sweep_with_exactly_one_failing_seed_exits_1);
  JC_TEST(s, sweep_with_many_failing_seeds_exits_1_and_lists_each);
  if (!jc_nothing_to_run())
    find_fails_alone();
  return jc_run(s);
}
