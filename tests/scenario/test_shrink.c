/* test_shrink.c — `jnet-sim shrink`: a failing seed of the kv bug's swarm
 * variant (up to 8 drawn faults, ops=100) shrinks to at most 2 fault lines
 * and ops <= 20, and the written .min.scn still fails the same check; a
 * plain scenario shrinks too; a passing seed is a clear error (exit 2). */
#define _GNU_SOURCE
#include <check.h>
#include "jnet_check.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jsim_scn.h"
#include "shell.h"

static void setup(void) { shell_setup("/tmp/jsim-shrink-XXXXXX"); }

static void teardown(void) { shell_teardown(); }

#define HAS(s) ck_assert_msg(strstr(out, s) != NULL, "want '%s' in:\n%s", s, out)
#define SCN(name) JSIM_SRC_DIR "/scenarios/" name

/* The first seeds of lo..hi that fail, from a sweep's JSON (up to max). */
static int failing_seeds(const char *scn, int lo, int hi, unsigned long *seeds,
                         int max) {
  ck_assert_int_eq(sh(JSIM_SIM " sweep %s --seeds %d..%d -j 2 --no-progress "
                               "--json f.jsonl --pcap-dir p >/dev/null; "
                               "grep -o '\"seed\":[0-9]*,\"result\":\"fail\"' "
                               "f.jsonl",
                      scn, lo, hi),
                   0);
  int n = 0;
  for (const char *p = out; n < max && (p = strstr(p, "\"seed\":")); p++)
    seeds[n++] = strtoul(p + 7, NULL, 10);
  return n;
}

/* Lines of the .min.scn starting with prefix. */
static int count_lines(const char *file, const char *prefix) {
  ck_assert_int_le(sh("grep -c '^%s' %s", prefix, file), 1);
  return atoi(out);
}

static void assert_shrinks(const char *scn, unsigned long seed) {
  ck_assert_int_eq(sh(JSIM_SIM " shrink %s --seed %lu --out m.scn", scn, seed),
                   0);
  HAS(" fails: "); /* the same expect as the sweep: a check or linearizability */
  /* What failed: "kv-client on c" (a check), "not linearizable", ... */
  char what[128];
  const char *f = strstr(out, " fails: ") + 8;
  snprintf(what, sizeof what, "%.*s", (int)strcspn(f, ":\n"), f);
  HAS("wrote m.scn");
  HAS("removed ");
  char *log = strdup(out);
  if (strstr(scn, "swarm") != NULL)
    HAS(" lines and 1 generator)"); /* one faults line: "generator" */
  int faults = count_lines("m.scn", "at ");
  ck_assert_msg(faults <= 2, "%d fault lines left", faults);
  ck_assert_int_eq(count_lines("m.scn", "faults "), 0);
  ck_assert_int_eq(count_lines("m.scn", "maybe "), 0);
  ck_assert_int_eq(sh("grep -o 'ops=[0-9]*' m.scn"), 0);
  int ops = atoi(out + 4);
  ck_assert_msg(ops >= 1 && ops <= 20, "ops=%d", ops);
  /* What it says it did is what it wrote: ops, the kept lines, the limit. */
  char said[200];
  snprintf(said, sizeof said, "  shrank ops=100 to ops=%d (run c kv-client)\n",
           ops);
  ck_assert_msg(strstr(log, said) != NULL, "want '%s' in:\n%s", said, log);
  ck_assert_msg(strstr(log, "shrank role=") == NULL, "%s", log);
  const char *k = strstr(log, "  kept ");
  ck_assert_ptr_nonnull(k);
  ck_assert_int_eq(atoi(k + 7), faults);
  ck_assert_ptr_nonnull(strstr(log, faults == 1 ? " fault line: at "
                                                : " fault lines"));
  const char *r = strstr(log, "  removed ");
  ck_assert_ptr_nonnull(r);
  ck_assert_int_eq(atoi(r + 10) + faults, atoi(strstr(r, " of ") + 4));
  ck_assert_msg(strstr(log, "  cut the limit from 120.000s to ") != NULL,
                "%s", log);
  ck_assert_int_eq(sh("grep '^limit ' m.scn"), 0);
  uint64_t limit_ns;
  out[6 + strcspn(out + 6, " \n")] = 0;
  ck_assert_int_eq(jsim_parse_duration(out + 6, &limit_ns), 0);
  ck_assert(limit_ns > 0 && limit_ns < 120000000000ull);
  /* Halving moves faults earlier but never to 0 s, before the programs
   * start: the fault that fails at 1 ms is not tried at 0. */
  ck_assert_int_eq(sh("grep -c '^at 0s' m.scn || true"), 0);
  ck_assert_int_eq(atoi(out), 0);
  /* The shrunk file is a plain scenario that still fails the same check,
   * for its own default seed. */
  ck_assert_int_eq(sh("grep -v '^#' m.scn | grep -c '\\.\\.' || true"), 0);
  ck_assert_int_eq(atoi(out), 0);
  ck_assert_int_eq(sh(JSIM_SIM " run m.scn"), 1);
  char want[200];
  snprintf(want, sizeof want, "seed %lu: FAIL %s:", seed, what);
  HAS(want);
  /* The limit is cut as far as the run still fails that way: with half of
   * it (in whole ms, as shrink halves) it no longer does. */
  ck_assert_int_eq(sh("sed 's/^limit .*/limit %llums/' m.scn > h.scn",
                      (unsigned long long)(limit_ns / 2 / 1000000)),
                   0);
  sh(JSIM_SIM " run h.scn");
  ck_assert_msg(strstr(out, want) == NULL, "half the limit still fails:\n%s",
                out);
  free(log);
}

START_TEST(kv_bug_swarm_shrinks) {
  unsigned long seeds[2];
  int n = failing_seeds(SCN("kv-replication-bug-swarm.scn"), 1, 10, seeds, 2);
  ck_assert_int_ge(n, 2);
  for (int i = 0; i < n; i++)
    assert_shrinks(SCN("kv-replication-bug-swarm.scn"), seeds[i]);
}
END_TEST

START_TEST(plain_scenario_shrinks) {
  unsigned long seed;
  ck_assert_int_eq(failing_seeds(SCN("kv-replication-bug.scn"), 1, 10, &seed,
                                 1),
                   1);
  assert_shrinks(SCN("kv-replication-bug.scn"), seed);
}
END_TEST

START_TEST(passing_seed_is_an_error) {
  ck_assert_int_eq(sh(JSIM_SIM " shrink %s --seed 3",
                      SCN("kv-replication.scn")),
                   2);
  HAS("seed 3 of ");
  HAS("passes");
  HAS("nothing to shrink");
  ck_assert_int_eq(access("kv-replication.min.scn", F_OK), -1);
  ck_assert_int_eq(sh(JSIM_SIM " shrink %s --seed 3 --max-runs 0",
                      SCN("kv-replication.scn")),
                   2);
  HAS("--max-runs: expected");
  /* One seed, not a range. */
  ck_assert_int_eq(sh(JSIM_SIM " shrink %s --seed 1..5 --out m.scn",
                      SCN("kv-replication-bug.scn")),
                   2);
  HAS("--seed: expected a number from 0 to 2^63-1, got '1..5'");
  ck_assert_int_eq(sh(JSIM_SIM " shrink"), 2);
  HAS("usage: jnet-sim shrink");
}
END_TEST

START_TEST(max_runs_bounds_the_work) {
  unsigned long seed;
  ck_assert_int_eq(failing_seeds(SCN("kv-replication-bug-swarm.scn"), 1, 10,
                                 &seed, 1),
                   1);
  ck_assert_int_eq(sh(JSIM_SIM " shrink %s --seed %lu --out m.scn "
                               "--max-runs 4",
                      SCN("kv-replication-bug-swarm.scn"), seed),
                   0);
  HAS("stopped at --max-runs 4");
  HAS("(4 runs)");
  /* Even cut short, what it wrote still fails. */
  ck_assert_int_eq(sh(JSIM_SIM " run m.scn"), 1);
  HAS("FAIL ");
  /* An --out it cannot write is an error, not a claim. */
  ck_assert_int_eq(sh(JSIM_SIM " shrink %s --seed %lu --out nodir/m.scn "
                               "--max-runs 2",
                      SCN("kv-replication-bug-swarm.scn"), seed),
                   2);
  HAS("cannot write nodir/m.scn");
  ck_assert_msg(strstr(out, "wrote ") == NULL, "%s", out);
}
END_TEST

/* --- br-tools: ddmin drops a first fault that does not matter --- */

/* Three sources send to one sink, which wants 15 of their 60 datagrams:
 * the run fails only when all three are cut off (each partition alone or
 * two of them leave at least 20). The first fault line (a partition of a
 * from an idle host) does not matter and is tried out first: the shrunk
 * file keeps exactly the three partitions that do. Arguments written as
 * "+N" are not halved (only plain digits are), so only the lines move. */
START_TEST(shrink_removes_an_irrelevant_first_fault) {
  char path[512];
  snprintf(path, sizeof path, "%s/s.scn", dir);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs("host a 192.0.2.1\nhost b 192.0.2.2\nhost c 192.0.2.3\n"
        "host d 192.0.2.4\nhost e 192.0.2.5\n"
        "run b udp-sink until_ms=+300 min=+15\n"
        "run a udp-source to=b n=+20 interval_ms=+10\n"
        "run c udp-source to=b n=+20 interval_ms=+10\n"
        "run d udp-source to=b n=+20 interval_ms=+10\n"
        "at 2ms partition a e\nat 5ms partition a b\n"
        "at 6ms partition c b\nat 7ms partition d b\n"
        "limit 1s\nexpect b udp-sink count\n",
        f);
  fclose(f);
  ck_assert_int_eq(sh(JSIM_RUNNER " shrink s.scn --seed 1 --out m.scn"), 0);
  HAS("removed 1 of 4 fault lines: at 2ms partition a e\n");
  HAS("kept 3 fault lines: ");
  HAS("  moved the faults earlier (with fewer operations the run is over "
      "before they would come)\n");
  ck_assert_int_eq(count_lines("m.scn", "at "), 3);
  ck_assert_int_eq(sh("grep -c 'partition a e' m.scn || true"), 0);
  ck_assert_int_eq(atoi(out), 0);
  ck_assert_int_eq(sh(JSIM_RUNNER " run m.scn"), 1);
  HAS("seed 1: FAIL udp-sink on b: check count: received ");
}
END_TEST

#define HASNT(s)                                                               \
  ck_assert_msg(strstr(out, s) == NULL, "did not want '%s' in:\n%s", s, out)

static void write_text(const char *name, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

/* Small shrinks of test_progs.c's programs, each a few runs: a failure
 * that needs no fault loses every `at` line (a file without .scn is
 * written as FILE.min.scn); values of 1 or of 19 digits are not halved; a
 * check never reported keeps that signature; one range is "1 range". */
START_TEST(shrink_small_cases) {
  write_text("t", "host a 192.0.2.1\nhost b 192.0.2.2\n"
                  "run a checks k=1 disk=1234567890123456789\n"
                  "run b args n=1\nexpect a checks stick\n"
                  "at 1ms crash b\nat 2ms restart b\n");
  ck_assert_int_eq(sh(JSIM_RUNNER " shrink t --seed 1"), 0);
  HAS("removed 2 of 2 fault lines: at 1ms crash b, at 2ms restart b\n");
  HAS("kept 0 fault lines\n");
  HAS("wrote t.min.scn (");
  HASNT("moved the faults"); /* none kept, none moved */
  ck_assert_int_eq(sh("grep -c 'disk=1234567890123456789' t.min.scn"), 0);
  ck_assert_int_eq(sh("grep -c '^at ' t.min.scn || true"), 0);
  ck_assert_str_eq(out, "0\n");
  write_text("nr.scn", "host a 192.0.2.1\nhost b 192.0.2.2\n"
                       "run a args n=5\nexpect a args nosuch\n"
                       "at 1ms crash b\n");
  ck_assert_int_eq(sh(JSIM_RUNNER " shrink nr.scn --seed 1 --out m.scn"), 0);
  HAS("seed 1 of nr.scn fails: args on a: check nosuch: never reported\n");
  HAS("shrank n=5 to n=1 (run a args)");
  ck_assert_int_eq(sh("head -2 m.scn"), 0);
  HAS("# It still fails: fail: args on a: check nosuch: never reported\n");
  /* halving tries v/2, v/2 +- 1, then 5v/8: 62 fails (50, 51, 49 pass) */
  write_text("th.scn", "host a 192.0.2.1\nrun a threshold n=100\n"
                       "expect a threshold ok\n");
  ck_assert_int_eq(sh(JSIM_RUNNER " shrink th.scn --seed 1 --out m.scn"), 0);
  HAS("  shrank n=100 to n=62 (run a threshold)\n");
  /* from 122: 61 passes, then v/2 + 1 = 62 fails before v/2 - 1 = 60 is
   * tried; from 62 nothing smaller fails */
  write_text("th.scn", "host a 192.0.2.1\nrun a threshold n=122\n"
                       "expect a threshold ok\n");
  ck_assert_int_eq(sh(JSIM_RUNNER " shrink th.scn --seed 1 --out m.scn"), 0);
  HAS("  shrank n=122 to n=62 (run a threshold)\n");
  /* Each candidate runs in a child: a crash fails it, the shrinker
   * lives on and writes the file. */
  write_text("ca.scn", "host a 192.0.2.1\nhost b 192.0.2.2\n"
                       "run a crash-abort\nrun b args n=1\n"
                       "at 1ms crash b\n");
  ck_assert_int_eq(sh(JSIM_RUNNER " shrink ca.scn --seed 1 --out m.scn"), 0);
  HAS("seed 1 of ca.scn fails: crashed: killed by SIGABRT");
  HAS("removed 1 of 1 fault lines: at 1ms crash b\n");
  HAS("wrote m.scn (");
  write_text("sw.scn", "host a 192.0.2.1\nhost b 192.0.2.2\n"
                       "link a b latency 1ms..5ms\nrun a checks\n"
                       "expect a checks stick\n");
  ck_assert_int_eq(sh(JSIM_RUNNER " shrink sw.scn --seed 1 --out m.scn"), 0);
  HAS("narrowed 1 range, maybe and faults line to the values seed 1 drew "
      "(0 `at` lines from 0 lines and 0 generators)");
  ck_assert_int_eq(sh("grep -c '^link a b latency [0-9]*us$' m.scn"), 0);
}
END_TEST

/* What shrink refuses: a run that does not replay (fails once, then
 * passes) is not called shrunk; an --out it cannot finish writing is said;
 * bad --seed and --max-runs (two runs at least). */
START_TEST(shrink_refuses_with_reasons) {
  write_text("fo.scn", "host a 192.0.2.1\nrun a fail-once flag=ff\n"
                       "expect a fail-once ok\n");
  ck_assert_int_eq(sh(JSIM_RUNNER " shrink fo.scn --seed 1"), 2);
  HAS("seed 1 of fo.scn fails: fail-once on a: check ok: first run");
  HAS("jnet-sim shrink: the drawn scenario of seed 1 does not fail the same "
      "way (fail: fail-once on a: check ok: failed): is the run "
      "deterministic? (try --check-determinism)");
  write_text("sw.scn", "host a 192.0.2.1\nrun a checks\n"
                       "expect a checks stick\n");
  ck_assert_int_eq(sh(JSIM_RUNNER " shrink sw.scn --seed 1 --out /dev/full"),
                   2);
  HAS("jnet-sim shrink: cannot write /dev/full: No space left on device");
  HASNT("wrote ");
  ck_assert_int_eq(sh(JSIM_RUNNER " shrink sw.scn --seed 1 --max-runs 2 "
                      "--out m.scn"),
                   0);
  HAS("stopped at --max-runs 2: the result may shrink further");
  HAS("wrote m.scn (2 runs)");
  static const char *bad[] = {"--seed x", "--max-runs 1", "--max-runs 2x",
                              "--max-runs 99999999999999999999",
                              "--max-runs 1000001"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    ck_assert_int_eq(sh(JSIM_RUNNER " shrink sw.scn %s", bad[i]), 2);
    ck_assert_msg(strstr(out, i == 0 ? "--seed: expected a number"
                                     : "--max-runs: expected 2..1000000") !=
                      NULL,
                  "%s: %s", bad[i], out);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("scenario-shrink");
  jc_defaults(400, setup, teardown);
  JC_TEST(s, kv_bug_swarm_shrinks);
  JC_TEST(s, plain_scenario_shrinks);
  JC_TEST(s, passing_seed_is_an_error);
  JC_TEST(s, max_runs_bounds_the_work);
  JC_TEST(s, shrink_removes_an_irrelevant_first_fault);
  JC_TEST(s, shrink_small_cases);
  JC_TEST(s, shrink_refuses_with_reasons);
  return jc_run(s);
}
