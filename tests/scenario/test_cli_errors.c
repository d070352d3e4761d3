/* test_cli_errors.c — jnet-sim's answers to bad input, as a user at a shell
 * sees them: the exit status (2: usage or input error) and the message of
 * every subcommand's bad option and missing argument, the sweep's argument
 * checks, merge's JSON reader (escapes decoded, malformed lines refused),
 * and an uncreatable --pcap-dir (no pcap claimed, no false replay
 * mismatch). Through the jsim-test-runner binary. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "jnet_check.h"

#include "shell.h"

static void setup(void) { shell_setup("/tmp/jsim-clierr-XXXXXX"); }

static void teardown(void) { shell_teardown(); }

#define JS(...) sh(JSIM_RUNNER " " __VA_ARGS__)
#define HAS(s)                                                                 \
  ck_assert_msg(strstr(out, s) != NULL, "want '%s' in:\n%s", s, out)
#define HASNT(s)                                                               \
  ck_assert_msg(strstr(out, s) == NULL, "did not want '%s' in:\n%s", s, out)

static void write_file(const char *name, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

/* 20 datagrams a -> b; the sink wants `min` of them (21: every seed fails). */
static void write_scn(const char *name, int min) {
  char text[512];
  snprintf(text, sizeof text,
           "host a 192.0.2.1\n"
           "host b 192.0.2.2\n"
           "link a b latency 5ms\n"
           "run b udp-sink port=9000 until_ms=300 min=%d\n"
           "run a udp-source to=b port=9000 n=20 interval_ms=10\n"
           "limit 10s\n"
           "expect b udp-sink count\n",
           min);
  write_file(name, text);
}

/* ---- Options of every subcommand -------------------------------------------
 */

START_TEST(every_subcommand_answers_a_bad_option_with_its_usage_and_2) {
  static const char *cmds[] = {"run", "sweep", "merge", "shrink", "lincheck"};
  for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
    char want[64];
    snprintf(want, sizeof want, "usage: jnet-sim %s", cmds[i]);
    ck_assert_int_eq(JS("%s --no-such-option x", cmds[i]), 2);
    HAS("unrecognized option");
    HAS(want);
    ck_assert_int_eq(JS("%s", cmds[i]), 2); /* no FILE */
    HAS(want);
    ck_assert_int_eq(JS("%s --help 2>/dev/null", cmds[i]), 0); /* on stdout */
    HAS(want);
  }
  ck_assert_int_eq(JS("check"), 2);
  HAS("usage: jnet-sim check");
  ck_assert_int_eq(JS("no-such-command"), 2);
  HAS("unknown command 'no-such-command'");
  /* the determinism check's partner is not for users */
  ck_assert_int_eq(JS("__partner"), 2);
  HAS("internal command of --check-determinism");
}
END_TEST

START_TEST(sweep_checks_its_arguments) {
  write_scn("u.scn", 20);
  ck_assert_int_eq(JS("sweep u.scn"), 2);
  HAS("u.scn has no `seed` line; give --seeds A..B");
  ck_assert_int_eq(JS("sweep u.scn --seeds 2..1"), 2);
  HAS("--seeds: expected A..B");
  ck_assert_int_eq(JS("sweep u.scn --seeds 1..2 -j 0"), 2);
  HAS("-j: expected 1..1024, got '0'");
  ck_assert_int_eq(JS("sweep u.scn --seeds 1..2 --shard 3/2"), 2);
  HAS("--shard: expected K/N with 1 <= K <= N, got '3/2'");
  ck_assert_int_eq(JS("sweep nosuch.scn --seeds 1..2"), 2);
  ck_assert_int_eq(JS("sweep u.scn --seeds 1..2"), 0);
  HAS("all 2 seeds passed");
}
END_TEST

START_TEST(run_and_lincheck_refuse_what_they_cannot_open) {
  write_scn("u.scn", 20);
  ck_assert_int_eq(JS("run u.scn --seed 1 --trace nodir/t.txt"), 2);
  HAS("jnet-sim run: cannot write nodir/t.txt");
  ck_assert_int_eq(JS("lincheck nosuch.jsonl"), 2);
  HAS("nosuch.jsonl: error: cannot open");
  write_file("h.jsonl", "not json\n");
  ck_assert_int_eq(JS("lincheck h.jsonl"), 2);
  HAS("h.jsonl:1:1: error: expected a JSON object");
}
END_TEST

/* ---- A pcap that cannot be written -----------------------------------------
 */

START_TEST(an_uncreatable_pcap_dir_claims_no_pcap_and_no_replay_mismatch) {
  write_scn("f.scn", 21);
  ck_assert_int_eq(JS("sweep f.scn --seeds 1..2 --pcap-dir nodir/deeper"), 1);
  HAS("2 failing seeds");
  HAS("cannot create nodir/deeper");
  HAS("seed 1: no pcap: setting up the run (nodir/deeper/f-seed1.pcap)");
  HASNT("pcap written");
  HASNT("did not replay the same");
  ck_assert_int_eq(JS("run f.scn --seed 1 --pcap nodir/x.pcap"), 1);
  HAS("ERROR setting up the run (nodir/x.pcap)");
  HASNT("pcap written");
  /* where it can be written it is, and said so */
  ck_assert_int_eq(JS("run f.scn --seed 1 --pcap x.pcap && test -s x.pcap"), 1);
  HAS("pcap written: x.pcap");
}
END_TEST

/* The command line itself: no command, help, an unknown one; run's and
 * shrink's bad --seed-timeout; shrink of a file it cannot open, and with
 * no --seed of a scenario whose first seed passes. */
START_TEST(the_command_line_answers_with_its_usage) {
  ck_assert_int_eq(JS(""), 2);
  HAS("usage: jnet-sim COMMAND");
  ck_assert_int_eq(JS("--help"), 0);
  HAS("usage: jnet-sim COMMAND");
  ck_assert_int_eq(JS("frob"), 2);
  HAS("jnet-sim: unknown command 'frob'");
  write_scn("u.scn", 1);
  ck_assert_int_eq(JS("run u.scn --seed 1 --seed-timeout 3q"), 2);
  HAS("jnet-sim run: --seed-timeout: expected a duration such as 30s, got "
      "'3q'");
  ck_assert_int_eq(JS("run u.scn --seed 1 --no-fork"), 0);
  HAS("seed 1: PASS");
  ck_assert_int_eq(JS("shrink u.scn --seed-timeout 3q"), 2);
  HAS("jnet-sim shrink: --seed-timeout: expected a duration");
  ck_assert_int_eq(JS("shrink nosuch.scn"), 2);
  HAS("nosuch.scn: error: cannot open");
  ck_assert_int_eq(JS("shrink u.scn"), 2);
  HAS("seed 0 of u.scn passes");
  ck_assert_int_eq(JS("programs x"), 2);
  HAS("usage: jnet-sim programs");
  /* A report it cannot write is exit 2 (the seeds passed), said by name. */
  ck_assert_int_eq(JS("sweep u.scn --seeds 1..2 --no-progress --json "
                      "nodir/x.jsonl"),
                   2);
  HAS("jnet-sim: cannot write nodir/x.jsonl.tmp.");
  ck_assert_int_eq(JS("sweep u.scn --seeds 1..2 --no-progress --junit "
                      "nodir/x.xml"),
                   2);
  HAS("jnet-sim: cannot write nodir/x.xml.tmp.");
  ck_assert_int_eq(sh("mkdir d"), 0);
  ck_assert_int_eq(JS("sweep u.scn --seeds 1..2 --no-progress --json d"), 2);
  HAS("jnet-sim: cannot write d: ");
  ck_assert_int_eq(sh("ls d; ls | grep -c tmp || true"), 0);
  ck_assert_str_eq(out, "0\n"); /* no temporary left behind */
}
END_TEST

/* The whole seed space with -j 1 and a wall-clock budget: one worker runs
 * seeds until the budget is spent (nothing sized by the range). */
START_TEST(sweep_of_every_seed_stops_at_max_wall) {
  write_scn("u.scn", 1);
  ck_assert_int_eq(JS("sweep u.scn --seeds 0..9223372036854775806 -j 1 "
                      "--max-wall 100ms --no-progress"),
                   0);
  HAS("seeds run, 922337203685477");
  HAS("not run (stopped by --max-wall)");
  HASNT("out of memory");
}
END_TEST

/* ---- merge's JSON reader ---------------------------------------------------
 */

#define SEED_LINE(msg)                                                         \
  "{\"type\":\"seed\",\"scenario\":\"u.scn\",\"seed\":1,\"result\":\"fail\","  \
  "\"message\":\"" msg "\",\"fingerprint\":\"0x1\",\"events\":20,"             \
  "\"virtual_s\":0.3,\"wall_s\":0.001,\"limit_reached\":false,"                \
  "\"replay\":null,\"drawn\":\"\",\"pcap\":null}\n"
#define SUMMARY_LINE                                                           \
  "{\"type\":\"summary\",\"scenario\":\"u.scn\",\"shard\":\"1/1\","            \
  "\"range\":\"1..1\",\"planned\":1,\"covered\":1,\"remaining\":0,"            \
  "\"complete\":true,\"wall_s\":0.02,\"determinism_checked\":false,"           \
  "\"totals\":{\"seeds\":1,\"passed\":0}}\n"

START_TEST(merge_decodes_the_json_escapes_of_a_message) {
  write_file(
      "e.jsonl",
      SEED_LINE("got\\n2\\tof \\\"3\\\" \\\\ \\/ \\u0041\\u00e9\\r\\b\\f")
          SUMMARY_LINE);
  ck_assert_int_eq(JS("merge e.jsonl --junit e.xml"), 1);
  /* \n and \t decoded; \u0041 is 'A', a non-ASCII escape a '?' */
  HAS("seed 1: fail: got\n2\tof \"3\" \\ / A?");
  ck_assert_int_eq(sh("cat e.xml"), 0);
  /* JUnit escapes them again for XML; control characters become '?' */
  HAS("message=\"got&#10;2&#9;of &quot;3&quot; \\ / A????\"");
}
END_TEST

START_TEST(merge_refuses_malformed_lines_with_2) {
  static const struct {
    const char *text, *want;
  } bad[] = {
      {SEED_LINE("bad \\x escape") SUMMARY_LINE,
       "e.jsonl:1: expected one JSON"},
      {SEED_LINE("bad \\u00G1 hex") SUMMARY_LINE,
       "e.jsonl:1: expected one JSON"},
      {"{\"type\":\"seed\",\"scenario\":\"u.scn\",\"message\":\"open\n",
       "e.jsonl:1: expected one JSON"},
      {"{\"type\" \"seed\"}\n", "e.jsonl:1: expected one JSON"},
      {"{\"type\":\"seed\",\"scenario\":\"u.scn\",\"seed\":}\n",
       "e.jsonl:1: expected one JSON"},
      {"{\"type\":\"seed\",\"scenario\":\"u.scn\"} trailing\n",
       "e.jsonl:1: expected one JSON"},
      {SUMMARY_LINE SEED_LINE("late"), "e.jsonl:2: a line after the summary"},
      {"{\"type\":\"seed\",\"scenario\":\"u.scn\",\"seed\":1,\"result\":"
       "\"fail\"}\n" SUMMARY_LINE,
       "e.jsonl:1: a seed line lacks a field"},
      {SEED_LINE("no summary"), "e.jsonl: truncated: no summary line"},
      {SEED_LINE("x") "{\"type\":\"summary\",\"scenario\":\"u.scn\"}\n",
       "e.jsonl:2: bad summary line"},
      {SEED_LINE("no newline") "{\"type\":\"summary\"", "got a truncated line"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    write_file("e.jsonl", bad[i].text);
    ck_assert_msg(JS("merge e.jsonl") == 2, "case %zu: %s", i, out);
    ck_assert_msg(strstr(out, bad[i].want) != NULL, "case %zu: want '%s' in %s",
                  i, bad[i].want, out);
  }
  ck_assert_int_eq(JS("merge nosuch.jsonl"), 2);
  HAS("nosuch.jsonl: cannot open");
}
END_TEST

/* Seeds outside the range: the first ten are named, all are counted. */
START_TEST(merge_names_ten_problems_and_counts_them_all) {
  char text[8192] = "", line[1024];
  for (int seed = 1; seed <= 12; seed++) {
    snprintf(line, sizeof line,
             "{\"type\":\"seed\",\"scenario\":\"u.scn\",\"seed\":%d,"
             "\"result\":\"pass\",\"message\":\"ok\",\"fingerprint\":"
             "\"0x1\",\"events\":20,\"virtual_s\":0.3,\"wall_s\":0.001,"
             "\"limit_reached\":false,\"replay\":null,\"drawn\":\"\","
             "\"pcap\":null}\n",
             seed);
    strcat(text, line);
  }
  strcat(text, SUMMARY_LINE);
  write_file("e.jsonl", text);
  ck_assert_int_eq(JS("merge e.jsonl"), 2);
  int named = 0;
  for (const char *p = strstr(out, "is outside"); p != NULL;
       p = strstr(p + 1, "is outside"))
    named++;
  ck_assert_msg(named == 10, "%d named:\n%s", named, out);
  HAS("seed 2 (e.jsonl) is outside 1..1");
  HAS("seed 11 (e.jsonl) is outside 1..1");
  HASNT("seed 12 (e.jsonl)");
  HAS("do not cover 1..1 exactly once (11 problems)");
  /* 300 seeds of 1..301 (more than the first 256 entries): the end is
   * missing. */
  char path[512];
  snprintf(path, sizeof path, "%s/m.jsonl", dir);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  for (int seed = 1; seed <= 300; seed++)
    fprintf(f,
            "{\"type\":\"seed\",\"scenario\":\"u.scn\",\"seed\":%d,"
            "\"result\":\"pass\",\"message\":\"ok\",\"fingerprint\":"
            "\"0x1\",\"events\":20,\"virtual_s\":0.3,\"wall_s\":0.001,"
            "\"limit_reached\":false,\"replay\":null,\"drawn\":\"\","
            "\"pcap\":null}\n",
            seed);
  fputs("{\"type\":\"summary\",\"scenario\":\"u.scn\",\"shard\":\"1/1\","
        "\"range\":\"1..301\",\"planned\":301,\"covered\":300,"
        "\"remaining\":1,\"complete\":false,\"wall_s\":0.02,"
        "\"determinism_checked\":false,\"totals\":{\"seeds\":300,"
        "\"passed\":300}}\n",
        f);
  fclose(f);
  ck_assert_int_eq(JS("merge m.jsonl"), 2);
  HAS("jnet-sim merge: seeds 301..301 are missing");
  HAS("(1 problem)");
}
END_TEST

/* --- br-tools: what jnet-sim says, case by case --- */

/* A shard's JSON of seeds lo..hi, every seed with result `res`. */
static void write_shard(const char *name, int lo, int hi, const char *res) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  for (int seed = lo; seed <= hi; seed++)
    fprintf(f,
            "{\"type\":\"seed\",\"scenario\":\"u.scn\",\"seed\":%d,"
            "\"result\":\"%s\",\"message\":\"m%d\",\"fingerprint\":"
            "\"0x1\",\"events\":20,\"virtual_s\":0.3,\"wall_s\":0.001,"
            "\"limit_reached\":false,\"replay\":null,\"drawn\":\"\","
            "\"pcap\":null}\n",
            seed, res, seed);
  fprintf(f,
          "{\"type\":\"summary\",\"scenario\":\"u.scn\",\"shard\":\"1/1\","
          "\"range\":\"%d..%d\",\"planned\":%d,\"covered\":%d,"
          "\"remaining\":0,\"complete\":true,\"wall_s\":0.02,"
          "\"determinism_checked\":false,\"totals\":{\"seeds\":%d,"
          "\"passed\":0}}\n",
          lo, hi, hi - lo + 1, hi - lo + 1, hi - lo + 1);
  fclose(f);
}

static int count(const char *needle) {
  int n = 0;
  for (const char *p = strstr(out, needle); p != NULL;
       p = strstr(p + 1, needle))
    n++;
  return n;
}

/* The summary lists the first 20 failing seeds with their replay command
 * and counts the rest: 21 failures show 20 and "1 more", 20 show all. */
START_TEST(the_summary_shows_twenty_failing_seeds_and_counts_the_rest) {
  write_shard("e.jsonl", 1, 21, "fail");
  ck_assert_int_eq(JS("merge e.jsonl"), 1);
  HAS("21 failing seeds:");
  ck_assert_msg(count("    replay: ") == 20, "%s", out);
  HAS("  seed 1: fail: m1\n");
  HAS("  seed 20: fail: m20\n");
  HASNT("seed 21: fail");
  HAS("  ... and 1 more (see --json)\n");
  write_shard("e.jsonl", 1, 20, "fail");
  ck_assert_int_eq(JS("merge e.jsonl"), 1);
  ck_assert_msg(count("    replay: ") == 20, "%s", out);
  HAS("  seed 20: fail: m20\n");
  HASNT("more (see --json)");
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("scenario-cli-errors");
  jc_defaults(60, setup, teardown);
  JC_TEST(s, every_subcommand_answers_a_bad_option_with_its_usage_and_2);
  JC_TEST(s, sweep_checks_its_arguments);
  JC_TEST(s, run_and_lincheck_refuse_what_they_cannot_open);
  JC_TEST(s, an_uncreatable_pcap_dir_claims_no_pcap_and_no_replay_mismatch);
  JC_TEST(s, merge_decodes_the_json_escapes_of_a_message);
  JC_TEST(s, merge_refuses_malformed_lines_with_2);
  JC_TEST(s, sweep_of_every_seed_stops_at_max_wall);
  JC_TEST(s, the_command_line_answers_with_its_usage);
  JC_TEST(s, merge_names_ten_problems_and_counts_them_all);
  JC_TEST(s, the_summary_shows_twenty_failing_seeds_and_counts_the_rest);
  return s;
}

int main(void) { return jc_run(suite()); }
