/* test_determinism.c — `--check-determinism` catches each classic leak
 * (wall clock, random() seeded from the pid, ordering by pointer value;
 * leak_progs.c) and names the trace event where the two runs part; a clean
 * program passes; sweep, JSON, JUnit and merge carry the result
 * `nondeterministic`. Also part 5 of issue 15: `limit_reached` and
 * `expect quiescent`, through the jsim-test-runner. */
#define _GNU_SOURCE
#include <check.h>
#include "jnet_check.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shell.h"

static void setup(void) { shell_setup("/tmp/jsim-det-test-XXXXXX"); }

static void teardown(void) { shell_teardown(); }

static void write_file(const char *name, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

#define HAS(s) ck_assert_msg(strstr(out, s) != NULL, "want '%s' in:\n%s", s, out)
#define HASNT(s) \
  ck_assert_msg(strstr(out, s) == NULL, "did not want '%s' in:\n%s", s, out)

static void leak_scn(const char *prog) {
  char text[512];
  snprintf(text, sizeof text,
           "seed 1..6\n"
           "host a 192.0.2.1\nhost b 192.0.2.2\n"
           "link a b latency 5ms\n"
           "run b sink until_ms=200\n"
           "run a %s to=b\n"
           "expect a %s sent\n",
           prog, prog);
  write_file("l.scn", text);
}

/* The message names trace event N at virtual T, shows both lines, and the
 * lines are a's sends from 30 ms on (the three before are the same). */
static void assert_names_event(void) {
  HAS("NONDETERMINISTIC");
  const char *m = strstr(out, "differ from trace event ");
  ck_assert_msg(m != NULL, "no event named in:\n%s", out);
  unsigned long ev = 0;
  double t = -1;
  ck_assert_int_eq(sscanf(m, "differ from trace event %lu at virtual %lfs",
                          &ev, &t), 2);
  ck_assert_msg(ev >= 7 && ev <= 20, "event %lu in:\n%s", ev, out);
  ck_assert_msg(t >= 0.030 - 1e-9 && t <= 0.060, "time %f in:\n%s", t, out);
  const char *r1 = strstr(m, "run 1 `"), *r2 = strstr(m, "run 2 `");
  ck_assert_ptr_nonnull(r1);
  ck_assert_ptr_nonnull(r2);
  /* Both lines are sends of host a (not its RECV) with a length. */
  ck_assert_msg(strstr(r1, " a udp 192.0.2.1:") != NULL, "%s", out);
  ck_assert_msg(strstr(r2, " a udp 192.0.2.1:") != NULL, "%s", out);
}

START_TEST(catches_wall_clock) {
  leak_scn("leak-clock");
  /* A plain run cannot tell. */
  ck_assert_int_eq(sh(JSIM_LEAK " run l.scn --seed 1"), 0);
  HAS("seed 1: PASS");
  ck_assert_int_eq(sh(JSIM_LEAK " run l.scn --seed 1 --check-determinism"), 1);
  assert_names_event();
}
END_TEST

START_TEST(catches_pid_seeded_random) {
  leak_scn("leak-pid");
  ck_assert_int_eq(sh(JSIM_LEAK " run l.scn --seed 2 --check-determinism"), 1);
  assert_names_event();
}
END_TEST

START_TEST(catches_pointer_order) {
  leak_scn("leak-ptr");
  ck_assert_int_eq(sh(JSIM_LEAK " run l.scn --seed 3 --check-determinism"), 1);
  assert_names_event();
}
END_TEST

START_TEST(clean_program_passes) {
  leak_scn("clean");
  ck_assert_int_eq(sh(JSIM_LEAK " run l.scn --seed 4 --check-determinism"), 0);
  HAS("seed 4: PASS");
  ck_assert_int_eq(sh(JSIM_LEAK " sweep l.scn -j 2 --no-progress "
                                "--check-determinism"),
                   0);
  HAS("nondet");
  HAS("each twice (--check-determinism)");
  HAS("all 6 seeds passed");
}
END_TEST

START_TEST(sweep_reports_nondeterministic) {
  leak_scn("leak-pid");
  ck_assert_int_eq(sh(JSIM_LEAK " sweep l.scn -j 2 --no-progress "
                                "--check-determinism --json a.jsonl "
                                "--junit a.xml --shard 1/2"),
                   1);
  HAS("seed 1: nondeterministic: two runs of the seed differ from trace "
      "event");
  ck_assert_int_eq(sh("grep -c '\"result\":\"nondeterministic\"' a.jsonl"),
                   0);
  HAS("3");
  ck_assert_int_eq(sh("grep -c 'failure type=\"nondeterministic\"' a.xml"), 0);
  HAS("3");
  ck_assert_int_eq(sh(JSIM_LEAK " sweep l.scn -j 1 --no-progress "
                                "--check-determinism --json b.jsonl "
                                "--shard 2/2"),
                   1);
  /* merge keeps the result and the column. */
  ck_assert_int_eq(sh(JSIM_LEAK " merge --junit m.xml a.jsonl b.jsonl"), 1);
  HAS("nondet");
  HAS("seed 6: nondeterministic");
  ck_assert_int_eq(sh("grep -c 'failure type=\"nondeterministic\"' m.xml"), 0);
  HAS("6");
}
END_TEST

/* The sweep's checked runs go inline (the runner and an inline partner);
 * what they find must be what a plain sweep finds, at any -j. */
START_TEST(checked_sweep_gives_the_plain_sweeps_results) {
  leak_scn("clean");
  const char *runs[] = {"-j 1", "-j 2", "-j 1 --check-determinism",
                        "-j 2 --check-determinism"};
  for (int i = 0; i < 4; i++) {
    ck_assert_int_eq(sh(JSIM_LEAK " sweep l.scn %s --no-progress --json "
                                  "r%d.jsonl && grep -o '\"seed\":[0-9]*,"
                                  "\"result\":\"[a-z]*\"' r%d.jsonl > "
                                  "r%d.txt && grep -o '\"fingerprint\":"
                                  "\"0x[0-9a-f]*\"' r%d.jsonl >> r%d.txt",
                        runs[i], i, i, i, i, i),
                     0);
    if (i > 0)
      ck_assert_msg(sh("cmp r0.txt r%d.txt", i) == 0, "%s: %s", runs[i], out);
  }
  ck_assert_int_eq(sh("grep -c '\"result\":\"pass\"' r3.txt"), 0);
  HAS("6");
  ck_assert_int_eq(sh("grep -c fingerprint r3.txt"), 0);
  HAS("6");
}
END_TEST

/* A crash or a hang under --check-determinism is still reported per seed
 * (the seed is run again with a forking partner), and no partner outlives
 * the sweep. */
START_TEST(checked_sweep_reports_crashes_and_hangs_per_seed) {
  write_file("sg.scn", "host a 192.0.2.1\nrun a crash-segv\n");
  ck_assert_int_eq(sh(JSIM_RUNNER " sweep %s/sg.scn --seeds 1..3 -j 2 "
                      "--no-progress --check-determinism --json s.jsonl",
                      dir),
                   1);
  HAS("seed 2: error: crashed: killed by SIGSEGV");
  HASNT("did not answer");
  ck_assert_int_eq(sh("grep -c '\"result\":\"error\"' s.jsonl"), 0);
  HAS("3");
  write_file("hg.scn", "host a 192.0.2.1\nrun a hang\n");
  ck_assert_int_eq(sh(JSIM_RUNNER " sweep %s/hg.scn --seeds 1..2 -j 2 "
                      "--no-progress --check-determinism --seed-timeout 300ms "
                      "--json h.jsonl",
                      dir),
                   1);
  HAS("seed 1: timeout: hung: no result after 0.3s");
  HAS("seed 2: timeout: hung");
  ck_assert_int_eq(sh("grep -c '\"result\":\"timeout\"' h.jsonl"), 0);
  HAS("2");
  /* every partner died with its runner */
  ck_assert_int_eq(sh("sleep 0.2; pgrep -f '__partne[r] %s/' || echo none", dir),
                   0);
  ck_assert_str_eq(out, "none\n");
}
END_TEST

/* One of the two runs hangs (the first to create the flag file), the other
 * passes: a wall-clock timeout says nothing about determinism, so the seed
 * is not called nondeterministic. Which run hangs is a race (the first
 * process or its partner), so each command's result stands alone: the seed
 * passes, or it timed out, never anything else. */
START_TEST(one_run_hanging_is_not_nondeterminism) {
  write_file("h1.scn", "host a 192.0.2.1\nrun a hang-once flag=f1\n"
                       "expect a hang-once done\n");
  int rc = sh(JSIM_LEAK " run h1.scn --seed 1 --check-determinism "
                        "--seed-timeout 300ms");
  HASNT("NONDETERMINISTIC");
  HASNT("differ");
  ck_assert_msg(rc == 0 || strstr(out, "seed 1: TIMEOUT") != NULL, "rc %d:\n%s",
                rc, out);
  ck_assert_int_eq(sh("test -e f1"), 0); /* one run did hang */
  write_file("h2.scn", "host a 192.0.2.1\nrun a hang-once flag=f2\n"
                       "expect a hang-once done\n");
  rc = sh(JSIM_LEAK " sweep h2.scn --seeds 1..1 --no-progress "
          "--check-determinism --seed-timeout 300ms");
  HASNT("nondeterministic:");
  ck_assert_msg((rc == 0 && strstr(out, "all 1 seeds passed") != NULL) ||
                    (rc == 1 && strstr(out, "seed 1: timeout: hung") != NULL),
                "rc %d:\n%s", rc, out);
  ck_assert_int_eq(sh("test -e f2"), 0);
}
END_TEST

/* With few file descriptors left (ulimit -n 5..16) a checked run either
 * works or says why not: the second process cannot start for "Too many
 * open files" (not a stale reason), and the traced rerun of a
 * nondeterministic seed never crashes when only one trace file opens. */
START_TEST(running_out_of_fds_is_said_not_crashed) {
  int emfile = 0;
  for (int n = 5; n <= 16; n++) {
    leak_scn("clean");
    int rc = sh("ulimit -n %d && exec " JSIM_LEAK " run l.scn --seed 4 "
                "--check-determinism",
                n);
    if (rc == 127)
      continue; /* too few for the loader (fds inherited from the test) */
    ck_assert_msg(rc == 0 || rc == 1, "ulimit %d: rc %d:\n%s", n, rc, out);
    HASNT("Bad file descriptor");
    emfile += strstr(out, "did not answer: Too many open files") != NULL;
    leak_scn("leak-clock");
    rc = sh("ulimit -n %d && exec " JSIM_LEAK " run l.scn --seed 1 "
            "--check-determinism",
            n);
    ck_assert_msg(rc == 1, "ulimit %d: rc %d:\n%s", n, rc, out);
  }
  ck_assert_int_ge(emfile, 1);
}
END_TEST

/* ---- Part 5: cut short, quiescent ---------------------------------------- */

START_TEST(limit_reached_is_said) {
  /* The sink listens until 3 s; the limit stops the run at 1 s with every
   * check reported early (sent) — a PASS that was cut short. */
  write_file("c.scn", "host a 192.0.2.1\nhost b 192.0.2.2\n"
                      "run b udp-sink until_ms=3000\n"
                      "run a udp-source to=b n=5 interval_ms=10\n"
                      "limit 1s\n"
                      "expect a udp-source sent\n");
  ck_assert_int_eq(sh(JSIM_RUNNER " run c.scn --seed 1"), 0);
  HAS("seed 1: PASS");
  HAS("cut short at its limit");
  HAS("limit reached");
  ck_assert_int_eq(sh(JSIM_RUNNER " sweep c.scn --seeds 1..2 -j 1 "
                                  "--no-progress --json c.jsonl "
                                  "--junit c.xml"),
                   0);
  HAS("2 seeds stopped at the scenario's limit");
  ck_assert_int_eq(sh("grep -c '\"limit_reached\":true' c.jsonl"), 0);
  HAS("2");
  ck_assert_int_eq(sh("grep -c 'name=\"limit_reached\" value=\"true\"' "
                      "c.xml"),
                   0);
  HAS("2");
  /* Without the limit in the way: not cut short. */
  write_file("d.scn", "host a 192.0.2.1\nhost b 192.0.2.2\n"
                      "run b udp-sink until_ms=300\n"
                      "run a udp-source to=b n=5 interval_ms=10\n"
                      "limit 1s\nexpect quiescent\n"
                      "expect a udp-source sent\n");
  ck_assert_int_eq(sh(JSIM_RUNNER " run d.scn --seed 1"), 0);
  HASNT("limit reached");
  HAS("2 expectations held (events");
}
END_TEST

START_TEST(quiescent_fails_a_cut_run) {
  write_file("q.scn", "host a 192.0.2.1\nhost b 192.0.2.2\n"
                      "run b udp-sink until_ms=3000\n"
                      "run a udp-source to=b n=5 interval_ms=10\n"
                      "limit 1s\n"
                      "expect a udp-source sent\n"
                      "expect quiescent\n");
  ck_assert_int_eq(sh(JSIM_RUNNER " run q.scn --seed 1"), 1);
  HAS("seed 1: FAIL expect quiescent: the run stopped at its limit with 1 "
      "fiber waiting (not returned: udp-sink on b)");
  /* A server that never returns keeps the run going to the limit too. */
  write_file("e.scn", "host a 192.0.2.1\nhost b 192.0.2.2\n"
                      "run b echo-server until_ms=100000\n"
                      "run a echo-client server=b\n"
                      "limit 5s\nexpect a echo-client ok\nexpect quiescent\n");
  ck_assert_int_eq(sh(JSIM_RUNNER " run e.scn --seed 1"), 1);
  HAS("not returned: echo-server on b");
  /* Bad line: located. */
  write_file("x.scn", "host a 192.0.2.1\nrun a args n=1\n"
                      "expect quiescent now\n");
  ck_assert_int_eq(sh(JSIM_RUNNER " check x.scn"), 2);
  HAS("x.scn:3:18: error: expected end of line, got 'now'");
}
END_TEST

/* --- br-tools: a second run that hangs alone --- */

/* The sweep's inline partner hangs in the seed (only there): the runner
 * waits the seed timeout and its slack, counts the second run as timed
 * out, and the seed passes on the first run's result; it is not called
 * nondeterministic, it is not run again the forking way (as for a partner
 * that died: the first process runs the seed once), and the partner does
 * not outlive the sweep. */
START_TEST(a_partner_hanging_alone_is_a_timeout_not_a_difference) {
  write_file("hp.scn", "host a 192.0.2.1\nrun a hang-in-partner flag=hp\n"
                       "expect a hang-in-partner done\n");
  ck_assert_int_eq(sh(JSIM_LEAK " sweep %s/hp.scn --seeds 1..1 -j 1 "
                      "--no-progress --check-determinism --seed-timeout "
                      "100ms",
                      dir),
                   0);
  HAS("all 1 seeds passed");
  HASNT("nondeterministic");
  HASNT("did not answer");
  ck_assert_int_eq(sh("sleep 0.1; pgrep -f '__partne[r] %s/' || echo none",
                      dir),
                   0);
  ck_assert_str_eq(out, "none\n");
  ck_assert_int_eq(sh("ls hp.* | grep -v scn"), 0);
  ck_assert_str_eq(out, "hp.1\n");
}
END_TEST

/* Two runs that part where one trace ends: the message names the event
 * and shows "(end of trace)" for the shorter; with no place for the
 * traces it says so and why; a second process that cannot read the file
 * (a pipe the first run read to its end) is said, not a crash. */
START_TEST(where_runs_part_and_when_they_cannot_be_compared) {
  write_file("lc.scn", "host a 192.0.2.1\nhost b 192.0.2.2\n"
                       "link a b latency 5ms\nrun b sink until_ms=200\n"
                       "run a leak-count to=b flag=lc\n"
                       "expect a leak-count sent\n");
  ck_assert_int_eq(sh(JSIM_LEAK " run lc.scn --seed 1 --check-determinism "
                                "--seed-timeout 0s"),
                   1);
  HAS("seed 1: NONDETERMINISTIC two runs of the seed differ from trace "
      "event 3 at virtual 0.500000000s: run ");
  HAS("`(end of trace)`");
  HAS(" a udp 192.0.2.1:");
  ck_assert_int_eq(sh("rm lc.[0-9]*; TMPDIR=%s/nodir " JSIM_LEAK " run "
                      "lc.scn --seed 1 --check-determinism",
                      dir),
                   1);
  HAS("seed 1: NONDETERMINISTIC two runs of the seed differ (fingerprints ");
  HAS("no traces to compare: cannot create a file in ");
  HAS("/nodir: No such file or directory");
  ck_assert_int_eq(sh("rm lc.[0-9]*; mkdir t; TMPDIR=%s/t " JSIM_LEAK " run "
                      "lc.scn --seed 1 --check-determinism && ls t | wc -l",
                      dir),
                   1);
  HAS("differ from trace event 3");
  ck_assert_int_eq(sh("ls t | wc -l"), 0);
  ck_assert_str_eq(out, "0\n"); /* its trace files removed */
  /* runs that differ, then agree when traced (the third and fourth runs
   * are both odd: lc.4 is taken): said so, not blamed on the traces */
  ck_assert_int_eq(sh("rm lc.[0-9]*; touch lc.4; " JSIM_LEAK " run lc.scn "
                      "--seed 1 --check-determinism"),
                   1);
  HAS("seed 1: NONDETERMINISTIC two runs of the seed differ (fingerprints ");
  HAS("); traced again, they did not part");
  leak_scn("clean");
  ck_assert_int_eq(sh("cat l.scn | " JSIM_LEAK " run /dev/stdin --seed 1 "
                      "--check-determinism"),
                   1);
  HAS("/dev/stdin:1:1: error: expected at least one `host`");
  HAS("seed 1: ERROR --check-determinism: the second process (");
  HAS("__partner) did not answer: ");
}
END_TEST

/* The sweep's inline partner dies in a seed (only there): the runner
 * stops, the seed is run again with a partner that forks per seed, whose
 * child dies: one run passed and one crashed, which is nondeterminism. */
START_TEST(a_partner_dying_alone_reruns_the_seed_the_forking_way) {
  write_file("cp.scn", "host a 192.0.2.1\nrun a hang-in-partner crash=1\n"
                       "expect a hang-in-partner done\n");
  ck_assert_int_eq(sh(JSIM_LEAK " sweep %s/cp.scn --seeds 1..2 -j 1 "
                      "--no-progress --check-determinism",
                      dir),
                   1);
  HAS("seed 1: nondeterministic: two runs of the seed differ");
  HAS("seed 2: nondeterministic: two runs of the seed differ");
  /* and how each ended: the crash is said, with its signal */
  HAS("run 1 ended pass, run 2 error: crashed: killed by SIGSEGV");
  HAS("2 failing seeds");
}
END_TEST

/* A checked sweep runs each seed exactly twice (once here, once in the
 * partner), counted by the files the program creates. */
START_TEST(a_checked_sweep_runs_each_seed_twice) {
  write_file("cr.scn", "host a 192.0.2.1\nhost b 192.0.2.2\n"
                       "run b sink until_ms=50\n"
                       "run a leak-count to=b flag=cr same=1\n"
                       "expect a leak-count sent\n");
  ck_assert_int_eq(sh(JSIM_LEAK " sweep %s/cr.scn --seeds 1..1 -j 1 "
                      "--no-progress --check-determinism",
                      dir),
                   0);
  HAS("all 1 seeds passed");
  ck_assert_int_eq(sh("ls cr.* | grep -v scn"), 0);
  ck_assert_str_eq(out, "cr.1\ncr.2\n");
}
END_TEST

int main(void) {
  Suite *s = suite_create("scenario-determinism");
  jc_defaults(120, setup, teardown);
  JC_TEST(s, catches_wall_clock);
  JC_TEST(s, catches_pid_seeded_random);
  JC_TEST(s, catches_pointer_order);
  JC_TEST(s, clean_program_passes);
  JC_TEST(s, sweep_reports_nondeterministic);
  JC_TEST(s, checked_sweep_gives_the_plain_sweeps_results);
  JC_TEST(s, checked_sweep_reports_crashes_and_hangs_per_seed);
  JC_TEST(s, one_run_hanging_is_not_nondeterminism);
  JC_TEST(s, running_out_of_fds_is_said_not_crashed);
  JC_TEST(s, limit_reached_is_said);
  JC_TEST(s, quiescent_fails_a_cut_run);
  JC_TEST(s, a_partner_hanging_alone_is_a_timeout_not_a_difference);
  JC_TEST(s, where_runs_part_and_when_they_cannot_be_compared);
  JC_TEST(s, a_partner_dying_alone_reruns_the_seed_the_forking_way);
  JC_TEST(s, a_checked_sweep_runs_each_seed_twice);
  return jc_run(s);
}
