/* test_cli.c — jnet-sim's subcommands end to end (run, sweep, merge,
 * check, programs) over the test programs, through the jsim-test-runner
 * binary: each fault's effect, crashes and hangs, determinism, sweep exit
 * codes, JSON Lines / JUnit validity, merge == unsharded, bad input. */
#define _GNU_SOURCE
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jnet_check.h"

#include "shell.h"

static void setup(void) { shell_setup("/tmp/jsim-cli-XXXXXX"); }

static void teardown(void) { shell_teardown(); }

/* `jsim-test-runner ARGS` in dir. */
#define JS(...) sh(JSIM_RUNNER " " __VA_ARGS__)

/* The interpreter itself, found by CMake (sys.executable): a version
 * manager's `python3` shim (pyenv) costs ~0.4 s of CPU per start. */
#ifndef PYTHON3
#define PYTHON3 "python3"
#endif

static void write_file(const char *name, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

#define HAS(s) ck_assert_msg(strstr(out, s) != NULL, "want '%s' in:\n%s", s, out)

/* A UDP source and sink: the sink's checks make faults visible. */
static const char *udp_base =
    "host a 192.0.2.1\n"
    "host b 192.0.2.2\n"
    "link a b latency 5ms\n"
    "run b udp-sink port=9000 until_ms=3000 %s\n"
    "run a udp-source to=b port=9000 n=200 interval_ms=10\n"
    "limit 10s\n"
    "%s"
    "expect b udp-sink count\n"
    "expect b udp-sink first\n";

static int udp_run(const char *sinkargs, const char *faults) {
  char text[2048];
  snprintf(text, sizeof text, udp_base, sinkargs, faults);
  write_file("u.scn", text);
  return JS("run u.scn --seed 5");
}

START_TEST(fault_baseline) {
  ck_assert_int_eq(udp_run("min=200 max=200", ""), 0);
  HAS("seed 5: PASS");
  /* Without a fault the first datagram is early: this expectation fails. */
  ck_assert_int_eq(udp_run("first_after_ms=1000", ""), 1);
  HAS("seed 5: FAIL");
  HAS("check first");
}
END_TEST

START_TEST(fault_partition) {
  ck_assert_int_eq(udp_run("first_after_ms=1000 max=199",
                           "at 0s partition a b\nat 1s heal a b\n"), 0);
  ck_assert_int_eq(udp_run("first_after_ms=1000 max=199",
                           "at 0s partition {a} {b}\nat 1s heal all\n"), 0);
  /* One way only: b -> a cut does not stop a -> b. */
  ck_assert_int_eq(udp_run("min=200", "at 0s partition b a oneway\n"), 0);
}
END_TEST

START_TEST(fault_clog) {
  /* A clog holds packets and delivers them on unclog: nothing before 1s,
   * nothing lost. */
  ck_assert_int_eq(udp_run("first_after_ms=1000 min=200",
                           "at 0s clog a b\nat 1s unclog a b\n"), 0);
}
END_TEST

START_TEST(fault_loss) {
  char faults[128];
  ck_assert_int_eq(udp_run("min=60 max=140", "at 0s set link a b loss 50%\n"),
                   0);
  snprintf(faults, sizeof faults, "at 1s set link a b loss 100%%\n");
  ck_assert_int_eq(udp_run("min=80 max=120", faults), 0);
}
END_TEST

START_TEST(crash_restart) {
  write_file("rs.scn", "host a 192.0.2.1\nrun a restarter want=1\n"
                       "at 1s crash a\nat 2s restart a\nlimit 5s\n"
                       "expect a restarter restarted\nexpect a restarter disk\n");
  ck_assert_int_eq(JS("run rs.scn --seed 1"), 0);
  HAS("PASS");
  /* Without the restart the `restarted` check is never reported. */
  write_file("rs2.scn", "host a 192.0.2.1\nrun a restarter want=1\n"
                        "at 1s crash a\nlimit 5s\n"
                        "expect a restarter restarted\n");
  ck_assert_int_eq(JS("run rs2.scn --seed 1"), 1);
  HAS("FAIL");
  HAS("restarted");
}
END_TEST

START_TEST(crash_and_hang) {
  write_file("ab.scn", "host a 192.0.2.1\nrun a crash-abort\n");
  ck_assert_int_eq(JS("run ab.scn --seed 1"), 1);
  HAS("SIGABRT");
  write_file("sg.scn", "host a 192.0.2.1\nrun a crash-segv\n");
  ck_assert_int_eq(JS("run sg.scn --seed 1"), 1);
  HAS("SIGSEGV");
  write_file("hg.scn", "host a 192.0.2.1\nrun a hang\n");
  ck_assert_int_eq(JS("run hg.scn --seed 1 --seed-timeout 300ms"), 1);
  HAS("TIMEOUT");
  /* A sweep survives crashing seeds and reports each. */
  ck_assert_int_eq(JS("sweep ab.scn --seeds 1..3 -j 2 --no-progress "
                      "--json ab.jsonl"), 1);
  ck_assert_int_eq(sh("grep -c '\"result\":\"error\"' ab.jsonl"), 0);
  ck_assert_int_eq(atoi(out), 3);
  /* A seed that hung ran no event anyone saw: its line says 0 events, 0 s
   * of virtual time and no fingerprint, not what the killed runner left. */
  ck_assert_int_eq(JS("sweep hg.scn --seeds 1..1 --no-progress "
                      "--seed-timeout 200ms --json hg.jsonl"),
                   1);
  ck_assert_int_eq(sh("cat hg.jsonl"), 0);
  HAS("\"result\":\"timeout\"");
  HAS("\"fingerprint\":\"0x0000000000000000\",\"events\":0,"
      "\"virtual_s\":0.000000000,");
}
END_TEST

START_TEST(run_deterministic) {
  char line1[1024];
  sh("cp " JSIM_SCN_DIR "/echo.scn .");
  ck_assert_int_eq(JS("run echo.scn --seed 7 --pcap one.pcap"), 0);
  HAS("fingerprint 0x");
  char *fp = strstr(out, "fingerprint");
  snprintf(line1, sizeof line1, "%.30s", fp);
  ck_assert_int_eq(JS("run echo.scn --seed 7 --pcap two.pcap"), 0);
  ck_assert_int_eq(strncmp(strstr(out, "fingerprint"), line1, 30), 0);
  ck_assert_int_eq(sh("cmp one.pcap two.pcap && test -s one.pcap"), 0);
  ck_assert_int_eq(JS("run echo.scn --seed 8"), 0);
  ck_assert_int_ne(strncmp(strstr(out, "fingerprint"), line1, 30), 0);
  /* The trace goes to stdout with --trace -. */
  ck_assert_int_eq(JS("run echo.scn --seed 7 --trace - | wc -l"), 0);
  ck_assert_int_gt(atoi(out), 10);
}
END_TEST

START_TEST(sweep_exit_codes) {
  sh("cp " JSIM_SCN_DIR "/echo.scn " JSIM_SCN_DIR "/flaky.scn .");
  ck_assert_int_eq(JS("sweep echo.scn --seeds 1..6 -j 2 --no-progress"), 0);
  HAS("echo.scn");
  ck_assert_int_eq(JS("sweep flaky.scn -j 2 --no-progress --pcap-dir pc"), 1);
  HAS("replay: " JSIM_RUNNER " run flaky.scn --seed ");
  HAS("--pcap pc/flaky-seed");
  ck_assert_int_eq(sh("ls pc | grep -c 'flaky-seed.*pcap'"), 0);
  ck_assert_int_gt(atoi(out), 0);
  /* Each failing seed replays to the same failure. */
  ck_assert_int_eq(JS("sweep flaky.scn -j 2 --no-progress --json f.jsonl"), 1);
  ck_assert_int_eq(sh("grep -o '\"seed\":[0-9]*,\"result\":\"fail\"' f.jsonl "
                      "| head -1 | tr -dc 0-9"), 0);
  int seed = atoi(out);
  ck_assert_int_gt(seed, 0);
  ck_assert_int_eq(JS("run flaky.scn --seed %d", seed), 1);
  HAS("FAIL flaky on a: check ok");
}
END_TEST

START_TEST(json_junit_valid) {
  sh("cp " JSIM_SCN_DIR "/flaky.scn .");
  ck_assert_int_eq(JS("sweep flaky.scn --seeds 1..30 -j 2 --no-progress "
                      "--json f.jsonl --junit f.xml"), 1);
  ck_assert_int_eq(sh("xmllint --noout f.xml"), 0);
  ck_assert_int_eq(sh("grep -c '<testcase name=\"seed' f.xml"), 0);
  ck_assert_int_eq(atoi(out), 30);
  ck_assert_int_eq(sh("wc -l < f.jsonl"), 0);
  ck_assert_int_eq(atoi(out), 31);
  ck_assert_int_eq(sh("tail -1 f.jsonl"), 0);
  HAS("\"type\":\"summary\"");
  /* Every line is a JSON object (python's json module as the judge). */
  ck_assert_int_eq(
      sh("'" PYTHON3 "' -c 'import json,sys\n"
         "rows=[json.loads(l) for l in open(\"f.jsonl\")]\n"
         "seeds=[r[\"seed\"] for r in rows[:-1]]\n"
         "assert seeds==list(range(1,31)), seeds\n"
         "for r in rows[:-1]:\n"
         "  assert r[\"result\"] in (\"pass\",\"fail\")\n"
         "  assert r[\"fingerprint\"].startswith(\"0x\")\n"
         "  assert r[\"events\"]>=0 and r[\"virtual_s\"]>0\n"
         "fails=[r for r in rows[:-1] if r[\"result\"]==\"fail\"]\n"
         "print(len(fails))\n'"),
      0);
  int nfail = atoi(out);
  ck_assert_int_gt(nfail, 0);
  ck_assert_int_eq(sh("grep -c '<failure' f.xml"), 0);
  ck_assert_int_eq(atoi(out), nfail);
  /* Messages that need escaping stay valid XML. */
  write_file("q.scn", "host a 192.0.2.1\nrun a args n=x<&>\"'\n");
  ck_assert_int_eq(JS("sweep q.scn --seeds 1..2 -j 1 --no-progress "
                      "--junit q.xml --json q.jsonl"), 1);
  ck_assert_int_eq(sh("xmllint --noout q.xml"), 0);
  ck_assert_int_eq(sh("'" PYTHON3 "' -c 'import json\n"
                      "[json.loads(l) for l in open(\"q.jsonl\")]'"), 0);
}
END_TEST

START_TEST(merge_equals_unsharded) {
  sh("cp " JSIM_SCN_DIR "/flaky.scn .");
  ck_assert_int_eq(JS("sweep flaky.scn --seeds 1..25 -j 2 --no-progress "
                      "--json all.jsonl --junit all.xml > all.txt"), 1);
  for (int k = 1; k <= 3; k++)
    JS("sweep flaky.scn --seeds 1..25 -j 1 --no-progress --shard %d/3 "
       "--json s%d.jsonl", k, k);
  ck_assert_int_eq(JS("merge s3.jsonl s1.jsonl s2.jsonl --junit m.xml"), 1);
  HAS("25 of 25 seeds");
  ck_assert_int_eq(sh("xmllint --noout m.xml"), 0);
  /* the merged JUnit report is the whole range's, as the unsharded one:
   * the same suite name (shard 1/1) and counts, all but the time */
  ck_assert_int_eq(sh("for f in all.xml m.xml; do grep '<testsuite ' $f | "
                      "sed 's/ time=.*//'; done | uniq | wc -l"), 0);
  ck_assert_int_eq(atoi(out), 1);
  ck_assert_int_eq(sh("grep '<testsuite ' m.xml"), 0);
  HAS("<testsuite name=\"flaky.scn shard 1/1\" tests=\"25\"");
  /* Same failing seeds and fingerprints as the unsharded run. */
  ck_assert_int_eq(
      sh("'" PYTHON3 "' -c 'import json,glob\n"
         "def load(fs):\n"
         "  d={}\n"
         "  for f in fs:\n"
         "    for l in open(f):\n"
         "      r=json.loads(l)\n"
         "      if r.get(\"type\")!=\"summary\": d[r[\"seed\"]]=(r[\"result\"],r[\"fingerprint\"],r[\"events\"])\n"
         "  return d\n"
         "a=load([\"all.jsonl\"]); b=load([\"s1.jsonl\",\"s2.jsonl\",\"s3.jsonl\"])\n"
         "assert a==b\n'"),
      0);
  /* Gaps and overlaps are errors naming the seeds. */
  ck_assert_int_eq(JS("merge s1.jsonl s3.jsonl"), 2);
  HAS("missing");
  HAS("2");
  ck_assert_int_eq(JS("merge s1.jsonl s2.jsonl s3.jsonl s2.jsonl"), 2);
  HAS("doubled");
  ck_assert_int_eq(sh("head -c 100 s1.jsonl > t.jsonl"), 0);
  ck_assert_int_eq(JS("merge t.jsonl s2.jsonl s3.jsonl"), 2);
  ck_assert_int_eq(JS("merge nosuch.jsonl"), 2);
  ck_assert_int_eq(JS("sweep flaky.scn --seeds 1..26 --shard 1/1 "
                      "--no-progress --json other.jsonl"), 1);
  ck_assert_int_eq(JS("merge other.jsonl s2.jsonl"), 2);
}
END_TEST

START_TEST(bad_inputs) {
  sh("cp " JSIM_SCN_DIR "/flaky.scn .");
  const char *bad[] = {"--shard 0/3", "--shard 4/3", "--shard 1/0",
                       "--shard x/y", "--seeds 5..1", "--seeds ''",
                       "--seeds 1..", "-j 0", "--max-wall 3q"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ck_assert_int_eq(JS("sweep flaky.scn --no-progress %s", bad[i]), 2);
    ck_assert_msg(strstr(out, "jnet-sim") || strstr(out, "expected"),
                  "%s: %s", bad[i], out);
  }
  ck_assert_int_eq(JS("sweep nosuch.scn"), 2);
  ck_assert_int_eq(JS("run flaky.scn --seed -3"), 2);
  ck_assert_int_eq(JS("run flaky.scn --seed abc"), 2);
  ck_assert_int_eq(JS("frobnicate"), 2);
  write_file("e.scn", "host a 192.0.2.1\nrun a nosuch\n");
  ck_assert_int_eq(JS("check e.scn"), 2);
  HAS("e.scn:2:7: error: expected");
  ck_assert_int_eq(JS("run e.scn --seed 1"), 2);
  ck_assert_int_eq(JS("sweep e.scn --seeds 1..2"), 2);
  const char *cmds[] = {"run", "sweep", "merge", "check", "programs"};
  for (size_t i = 0; i < 5; i++) {
    ck_assert_int_eq(JS("%s --help", cmds[i]), 0);
    HAS("usage");
  }
  ck_assert_int_eq(JS("programs"), 0);
  HAS("flaky");
  HAS("echo-server");
}
END_TEST

START_TEST(max_wall) {
  write_file("slow.scn", "host a 192.0.2.1\nrun a hang\n");
  ck_assert_int_eq(JS("sweep slow.scn --seeds 1..1000 -j 1 --no-progress "
                      "--seed-timeout 300ms --max-wall 450ms"), 1);
  HAS("not run");
}
END_TEST

START_TEST(fault_dup_burst_crash) {
  /* Duplication adds datagrams; a Gilbert-Elliott burst that never leaves
   * its bad state with total loss drops nearly everything. */
  ck_assert_int_eq(udp_run("min=250 max=400", "at 0s set link a b dup 75%\n"),
                   0);
  ck_assert_int_eq(udp_run("min=200 max=200", "at 0s set link a b dup 0%\n"),
                   0);
  ck_assert_int_eq(
      udp_run("max=20", "at 100ms set link a b burst 100% 0% bad-loss 100%\n"), 0);
  /* A crashed sink never reports: its expectations fail. */
  ck_assert_int_eq(udp_run("", "at 1s crash b\n"), 1);
  HAS("FAIL");
  HAS("count");
}
END_TEST

START_TEST(sweep_pcap_replays) {
  /* The pcap a sweep writes for a failing seed is byte for byte the one
   * its replay command writes; the JSON names both. */
  sh("cp " JSIM_SCN_DIR "/flaky.scn .");
  write_file("fl.scn", "seed 1..12\nhost a 192.0.2.1\nhost b 192.0.2.2\n"
                       "link a b latency 5ms\n"
                       "run b udp-sink port=9000 until_ms=1000\n"
                       "run a udp-source to=b port=9000 n=20\n"
                       "run a flaky one_in=3\nexpect a flaky ok\n");
  ck_assert_int_eq(JS("sweep fl.scn -j 2 --no-progress --pcap-dir pc "
                      "--json f.jsonl"), 1);
  ck_assert_int_eq(sh("grep -o '\"seed\":[0-9]*,\"result\":\"fail\"' "
                      "f.jsonl | head -1 | tr -dc 0-9"), 0);
  int seed = atoi(out);
  ck_assert_int_gt(seed, 0);
  ck_assert_int_eq(sh("grep '\"seed\":%d,' f.jsonl", seed), 0);
  HAS("\"replay\":\"");
  HAS("\"pcap\":\"pc/fl-seed");
  ck_assert_int_eq(JS("run fl.scn --seed %d --pcap again.pcap", seed), 1);
  ck_assert_int_eq(sh("cmp pc/fl-seed%d.pcap again.pcap", seed), 0);
  /* An independent reader takes it whole (Wireshark's capinfos, 0.02 s of
   * CPU where tshark's start-up alone is 0.6 s; tests/pcap checks every
   * field with tshark), and its first packet is IPv4 carrying UDP. */
  ck_assert_int_eq(sh("capinfos -c -E again.pcap"), 0);
  HAS("Raw IP");
  const char *np = strstr(out, "Number of packets:");
  ck_assert_ptr_nonnull(np);
  ck_assert_int_gt(atoi(np + 18), 0);
  ck_assert_int_eq(sh("od -An -tu1 -j40 -N1 again.pcap; "
                      "od -An -tu1 -j49 -N1 again.pcap"), 0);
  int ver_ihl = -1, proto = -1;
  ck_assert_int_eq(sscanf(out, "%d %d", &ver_ihl, &proto), 2);
  ck_assert_int_eq(ver_ihl, 0x45); /* after the 24-byte file header and */
  ck_assert_int_eq(proto, 17);     /* the 16-byte record header: UDP */
  /* Passing seeds get no pcap; output files leave no temp files behind. */
  ck_assert_int_eq(sh("ls pc | wc -l"), 0);
  ck_assert_int_eq(sh("grep -c '\"result\":\"fail\"' f.jsonl"), 0);
  int nfail = atoi(out);
  ck_assert_int_eq(sh("ls pc | wc -l"), 0);
  ck_assert_int_eq(atoi(out), nfail);
  ck_assert_int_eq(sh("ls -A | grep -v -x -e fl.scn -e flaky.scn -e pc "
                      "-e f.jsonl -e again.pcap | wc -l"), 0);
  ck_assert_int_eq(atoi(out), 0);
}
END_TEST

/* A runner runs seeds inline only while they pass: the seeds after a
 * failing one run in a fresh process, so what a failed run left in the
 * process (dirty's busy flag) cannot fail them. A single failing seed
 * gets its pcap too. */
START_TEST(sweep_after_a_failure_starts_a_fresh_process) {
  write_file("d.scn", "host a 192.0.2.1\nrun a dirty\n"
                      "expect a dirty ok\nexpect a dirty clean\n");
  ck_assert_int_eq(JS("sweep d.scn --seeds 1..30 -j 1 --no-progress "
                      "--json d.jsonl --pcap-dir pc"), 1);
  ck_assert_int_eq(sh("grep -c '\"result\":\"fail\"' d.jsonl"), 0);
  int nfail = atoi(out);
  ck_assert_msg(nfail > 1 && nfail < 25, "%d of 30 failed", nfail);
  ck_assert_int_eq(sh("grep -c 'check clean' d.jsonl || true"), 0);
  ck_assert_msg(atoi(out) == 0, "a failed run's state reached the next:\n%s",
                out);
  ck_assert_int_eq(sh("grep -o '\"seed\":[0-9]*,\"result\":\"fail\"' "
                      "d.jsonl | head -1 | tr -dc 0-9"), 0);
  int seed = atoi(out);
  ck_assert_int_gt(seed, 0);
  ck_assert_int_eq(JS("sweep d.scn --seeds %d..%d -j 1 --no-progress "
                      "--pcap-dir one", seed, seed), 1);
  HAS("1 failing seed:");
  ck_assert_int_eq(sh("ls one"), 0);
  char want[64];
  snprintf(want, sizeof want, "d-seed%d.pcap\n", seed);
  ck_assert_str_eq(out, want);
}
END_TEST

START_TEST(shard_runs_its_positions) {
  sh("cp " JSIM_SCN_DIR "/flaky.scn .");
  JS("sweep flaky.scn --seeds 10..30 --shard 2/4 -j 2 --no-progress "
     "--json s.jsonl");
  ck_assert_int_eq(
      sh("'" PYTHON3 "' -c 'import json\n"
         "rows=[json.loads(l) for l in open(\"s.jsonl\")]\n"
         "got=[r[\"seed\"] for r in rows if r[\"type\"]==\"seed\"]\n"
         "assert got==list(range(11,31,4)), got\n"
         "sm=rows[-1]\n"
         "assert sm[\"type\"]==\"summary\" and sm[\"shard\"]==\"2/4\"\n"
         "assert sm[\"range\"]==\"10..30\", sm\n'"),
      0);
  /* More shards than seeds: an empty shard is not an error. */
  ck_assert_int_eq(JS("sweep flaky.scn --seeds 1..2 --shard 3/5 --no-progress "
                      "--json e.jsonl"), 0);
  ck_assert_int_eq(sh("grep -c '\"type\":\"seed\"' e.jsonl"), 1);
  ck_assert_int_eq(atoi(out), 0);
}
END_TEST

START_TEST(trace_file) {
  sh("cp " JSIM_SCN_DIR "/echo.scn .");
  ck_assert_int_eq(JS("run echo.scn --seed 2 --trace t1.txt"), 0);
  ck_assert_int_eq(JS("run echo.scn --seed 2 --trace t2.txt"), 0);
  ck_assert_int_eq(sh("cmp t1.txt t2.txt && test $(wc -l < t1.txt) -gt 10"),
                   0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("scenario-cli");
  jc_defaults(120, setup, teardown);
  JC_TEST(s, fault_baseline);
  JC_TEST(s, fault_partition);
  JC_TEST(s, fault_clog);
  JC_TEST(s, fault_loss);
  JC_TEST(s, crash_restart);
  JC_TEST(s, crash_and_hang);
  JC_TEST(s, run_deterministic);
  JC_TEST(s, sweep_exit_codes);
  JC_TEST(s, json_junit_valid);
  JC_TEST(s, merge_equals_unsharded);
  JC_TEST(s, bad_inputs);
  JC_TEST(s, max_wall);
  JC_TEST(s, fault_dup_burst_crash);
  JC_TEST(s, sweep_pcap_replays);
  JC_TEST(s, sweep_after_a_failure_starts_a_fresh_process);
  JC_TEST(s, shard_runs_its_positions);
  JC_TEST(s, trace_file);
  return jc_run(s);
}
