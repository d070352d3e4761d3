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
  /* a capture that exists but cannot be opened for writing (a
   * directory) is not claimed either */
  ck_assert_int_eq(JS("run f.scn --seed 1 --pcap ."), 1);
  HAS("ERROR setting up the run (.): ");
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
  /* a seed whose run dies after the deadline passed is still reported
   * (run again alone), and no seed starts after it */
  write_file("d.scn", "host a 192.0.2.1\nrun a die code=7 wall_ms=400\n");
  ck_assert_int_eq(JS("sweep d.scn --seeds 1..3 -j 1 --max-wall 200ms "
                      "--no-progress"), 1);
  HAS("seed 1: error: crashed: the run exited with status 7");
  HAS(": 1 of 3 seeds run, 2 remaining, not run (stopped by --max-wall)");
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
  /* 3000 passing seeds: merge's table of seeds grows again and again */
  write_shard("big.jsonl", 1, 3000, "pass");
  ck_assert_int_eq(JS("merge big.jsonl"), 0);
  HAS("range 1..3000: 3000 of 3000 seeds run");
  HAS("all 3000 seeds passed");
}
END_TEST

/* merge over crafted lines: what it accepts and what it refuses. */
#define GOOD                                                                   \
  "\"seed\":1,\"result\":\"fail\",\"message\":\"m\",\"fingerprint\":\"0x1\","  \
  "\"events\":20,\"virtual_s\":0.3,\"wall_s\":0.001"
#define SEEDF(fields) "{\"type\":\"seed\",\"scenario\":\"u.scn\"," fields "}\n"
#define SUMF(range, shard)                                                     \
  "{\"type\":\"summary\",\"scenario\":\"u.scn\",\"shard\":\"" shard            \
  "\",\"range\":\"" range "\",\"wall_s\":0.02}\n"
#define SUM1 SUMF("1..1", "1/1")

START_TEST(merge_reads_what_json_allows_and_refuses_the_rest) {
  static const struct {
    const char *text;
    int rc;
    const char *want;
  } cases[] = {
      /* blanks, tabs and CRLF around the tokens; other line types skipped */
      {"\t{ \"type\" : \"seed\" ,\t\"scenario\" : \"u.scn\", " GOOD " }\r\n"
       "{\"type\":\"progress\",\"scenario\":\"u.scn\"}\n" SUM1,
       1, "  seed 1: fail: m\n"},
      {SEEDF("\"seed\":1,\"result\":\"fail\",\"message\":\"\\u004A\\u004a\","
             "\"fingerprint\":\"0x1\",\"events\":20,\"virtual_s\":0.3,"
             "\"wall_s\":0.001") SUM1,
       1, "  seed 1: fail: JJ\n"},
      {SEEDF("\"message\":\"\\u00!0\"," GOOD) SUM1, 2, "expected one JSON"},
      {SEEDF("\"message\":\"\\u00:0\"," GOOD) SUM1, 2, "expected one JSON"},
      {SEEDF("\"message\":\"\\u00g0\"," GOOD) SUM1, 2, "expected one JSON"},
      {"[]\n" SUM1, 2, "e.jsonl:1: expected one JSON"},
      {"{}\n" SUM1, 2, "e.jsonl:1: expected one JSON"},
      {"{5:1}\n" SUM1, 2, "e.jsonl:1: expected one JSON"},
      {SEEDF("\"x\":\"open") SUM1, 2, "e.jsonl:1: expected one JSON"},
      {SEEDF("\"a\":,\"b\":1") SUM1, 2, "e.jsonl:1: expected one JSON"},
      {SEEDF(GOOD " \"b\":1") SUM1, 2, "e.jsonl:1: expected one JSON"},
      {"{\"type\":\"seed\"}\n" SUM1, 2, "e.jsonl:1: expected one JSON"},
      {SEEDF("\"totals\":{\"seeds\" 1}," GOOD) SUM1, 2, "expected one JSON"},
      {"{\"scenario\":\"u.scn\"}\n" SUM1, 2, "e.jsonl:1: expected one JSON"},
      /* each required field of a seed line, absent or not a number */
      {SEEDF("\"result\":\"fail\",\"message\":\"m\",\"fingerprint\":\"0x1\","
             "\"events\":20,\"virtual_s\":0.3,\"wall_s\":0.001") SUM1,
       2, "e.jsonl:1: a seed line lacks a field"},
      {SEEDF("\"seed\":\"x\"," GOOD) SUM1, 2, "lacks a field"},
      {SEEDF("\"seed\":1x,\"result\":\"fail\",\"message\":\"m\","
             "\"fingerprint\":\"0x1\",\"events\":20,\"virtual_s\":0.3,"
             "\"wall_s\":0.001") SUM1,
       2, "lacks a field"},
      {SEEDF("\"seed\":99999999999999999999999,\"result\":\"fail\","
             "\"message\":\"m\",\"fingerprint\":\"0x1\",\"events\":20,"
             "\"virtual_s\":0.3,\"wall_s\":0.001") SUM1,
       2, "lacks a field"},
      {SEEDF("\"seed\":1,\"result\":\"weird\",\"message\":\"m\","
             "\"fingerprint\":\"0x1\",\"events\":20,\"virtual_s\":0.3,"
             "\"wall_s\":0.001") SUM1,
       2, "lacks a field"},
      {SEEDF("\"seed\":1,\"result\":\"fail\",\"message\":\"m\","
             "\"events\":20,\"virtual_s\":0.3,\"wall_s\":0.001") SUM1,
       2, "lacks a field"},
      {SEEDF("\"seed\":1,\"result\":\"fail\",\"message\":\"m\","
             "\"fingerprint\":\"0x1\",\"virtual_s\":0.3,\"wall_s\":0.001") SUM1,
       2, "lacks a field"},
      {SEEDF("\"seed\":1,\"result\":\"fail\",\"message\":\"m\","
             "\"fingerprint\":\"0x1\",\"events\":20,\"virtual_s\":\"x\","
             "\"wall_s\":0.001") SUM1,
       2, "lacks a field"},
      {SEEDF("\"seed\":1,\"result\":\"fail\",\"message\":\"m\","
             "\"fingerprint\":\"0x1\",\"events\":20,\"virtual_s\":0.3") SUM1,
       2, "lacks a field"},
      {SEEDF("\"seed\":1,\"result\":\"fail\",\"message\":\"m\","
             "\"fingerprint\":\"0x1\",\"events\":20,\"virtual_s\":0.3x,"
             "\"wall_s\":0.001") SUM1,
       2, "lacks a field"},
      {SEEDF("\"seed\":1,\"result\":\"fail\",\"fingerprint\":\"0x1\","
             "\"events\":20,\"virtual_s\":0.3,\"wall_s\":0.001") SUM1,
       2, "lacks a field"},
      /* a summary needs its range and shard */
      {SEEDF(GOOD) "{\"type\":\"summary\",\"scenario\":\"u.scn\","
                   "\"shard\":\"1/1\"}\n",
       2, "e.jsonl:2: bad summary line"},
      {SEEDF(GOOD) "{\"type\":\"summary\",\"scenario\":\"u.scn\","
                   "\"range\":\"1..1\"}\n",
       2, "e.jsonl:2: bad summary line"},
      {SEEDF(GOOD) SUMF("x", "1/1"), 2, "e.jsonl:2: bad summary line"},
      {SEEDF(GOOD) SUMF("1..1", "0/1"), 2, "e.jsonl:2: bad summary line"},
      /* one scenario per merge */
      {SEEDF(GOOD) "{\"type\":\"seed\",\"scenario\":\"v.scn\"," GOOD "}\n",
       2, "e.jsonl:2: scenario v.scn, but the files before are of u.scn"},
      /* a summary alone: every seed missing; a seed below the range */
      {SUM1, 2, "seeds 1..1 are missing"},
      {SEEDF(GOOD) SUMF("5..5", "1/1"), 2, "seed 1 (e.jsonl) is outside 5..5"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    write_file("e.jsonl", cases[i].text);
    int rc = JS("merge e.jsonl");
    ck_assert_msg(rc == cases[i].rc, "case %zu: rc %d: %s", i, rc, out);
    ck_assert_msg(strstr(out, cases[i].want) != NULL,
                  "case %zu: want '%s' in %s", i, cases[i].want, out);
  }
  /* a failing seed with "pcap":null shows no pcap */
  write_file("e.jsonl", SEEDF("\"pcap\":null," GOOD) SUM1);
  ck_assert_int_eq(JS("merge e.jsonl"), 1);
  HAS("  seed 1: fail: m\n");
  HASNT("pcap written");
  /* 33 fields (at most 32): refused. */
  char text[8192] = "{\"type\":\"seed\",\"scenario\":\"u.scn\"";
  for (int i = 0; i < 31; i++)
    sprintf(text + strlen(text), ",\"k%d\":%d", i, i);
  strcat(text, "}\n" SUM1);
  write_file("e.jsonl", text);
  ck_assert_int_eq(JS("merge e.jsonl"), 2);
  HAS("e.jsonl:1: expected one JSON");
  /* A number of 1200 digits: refused; a key of 60 letters: cut, ignored. */
  strcpy(text, "{\"type\":\"seed\",\"scenario\":\"u.scn\",\"n\":");
  for (int i = 0; i < 1200; i++)
    strcat(text, "7");
  strcat(text, "," GOOD "}\n" SUM1);
  write_file("e.jsonl", text);
  ck_assert_int_eq(JS("merge e.jsonl"), 2);
  HAS("e.jsonl:1: expected one JSON");
  strcpy(text, "{\"type\":\"seed\",\"scenario\":\"u.scn\",\"");
  for (int i = 0; i < 60; i++)
    strcat(text, "k");
  strcat(text, "\":1," GOOD "}\n" SUM1);
  write_file("e.jsonl", text);
  ck_assert_int_eq(JS("merge e.jsonl"), 1);
  HAS("  seed 1: fail: m\n");
}
END_TEST

/* What a seed line carries reaches the summary: a pcap, a cut run, a
 * checked sweep; --pcap-dir; a JUnit file it cannot write is exit 2. */
START_TEST(merge_carries_pcaps_limits_and_the_determinism_flag) {
  write_file("e.jsonl",
             SEEDF("\"pcap\":\"p/u-seed1.pcap\",\"limit_reached\":true,"
                   "\"drawn\":\"latency=3ms\"," GOOD)
             "{\"type\":\"summary\",\"scenario\":\"u.scn\",\"shard\":\"1/1\","
             "\"range\":\"1..1\",\"wall_s\":0.02,"
             "\"determinism_checked\":true}\n");
  ck_assert_int_eq(JS("merge --pcap-dir p e.jsonl"), 1);
  HAS("    pcap written: p/u-seed1.pcap\n");
  HAS("    drawn: latency=3ms\n");
  HAS("1 seed stopped at the scenario's limit");
  HAS("each twice (--check-determinism)");
  HAS(" nondet");
  ck_assert_int_eq(JS("merge --junit nodir/x.xml e.jsonl"), 2);
  HAS("jnet-sim: cannot write nodir/x.xml.tmp.");
  ck_assert_int_eq(JS("merge --junit j.xml e.jsonl; cat j.xml"), 0);
  HAS("&#10;limit reached: the run was cut short");
  /* a nondeterministic seed shows its column even when the summary does
   * not say the sweep checked; no wall time: a rate of 0 */
  write_file("n.jsonl",
             "{\"type\":\"seed\",\"scenario\":\"u.scn\",\"seed\":1,"
             "\"result\":\"nondeterministic\",\"message\":\"m\","
             "\"fingerprint\":\"0x1\",\"events\":20,\"virtual_s\":0.3,"
             "\"wall_s\":0.001}\n"
             "{\"type\":\"summary\",\"scenario\":\"u.scn\","
             "\"shard\":\"1/1\",\"range\":\"1..1\"}\n");
  ck_assert_int_eq(JS("merge n.jsonl"), 1);
  HAS(" nondet ");
  HAS("  0.000s       0.0\n"); /* wall 0, 0 seeds/s */
  HASNT("each twice");
  /* a sweep stopped by --max-wall says so in its JSON */
  write_scn("u.scn", 1);
  ck_assert_int_eq(JS("sweep u.scn --seeds 0..9223372036854775806 -j 1 "
                      "--max-wall 50ms --no-progress --json w.jsonl && "
                      "grep -o '\"complete\":false' w.jsonl"),
                   0);
  HAS("\"complete\":false");
}
END_TEST

/* Shards that do not fit: another range, a seed twice, gaps; past ten
 * problems only the count grows. */
START_TEST(merge_refuses_shards_that_do_not_fit) {
  write_file("a.jsonl", SEEDF(GOOD) SUM1);
  write_file("b.jsonl", SUMF("1..2", "1/1"));
  ck_assert_int_eq(JS("merge a.jsonl b.jsonl"), 2);
  HAS("jnet-sim merge: b.jsonl: range 1..2 in 1 shards, but the files before "
      "are of 1..1 in 1 shards");
  write_file("b.jsonl", SUMF("1..1", "1/2"));
  ck_assert_int_eq(JS("merge a.jsonl b.jsonl"), 2);
  HAS("range 1..1 in 2 shards, but the files before are of 1..1 in 1 shards");
  ck_assert_int_eq(JS("merge a.jsonl a.jsonl"), 2);
  HAS("jnet-sim merge: seed 1 is doubled (a.jsonl and a.jsonl)");
  HAS("(1 problem)");
  /* seeds 1, 3, ..., 23 of 1..30: 11 gaps, the end missing, and 12 seeds
   * twice (merged with itself): 24 problems, the first ten named. */
  char path[512];
  snprintf(path, sizeof path, "%s/g.jsonl", dir);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  for (int seed = 1; seed <= 23; seed += 2)
    fprintf(f, "{\"type\":\"seed\",\"scenario\":\"u.scn\",\"seed\":%d,"
               "\"result\":\"pass\",\"message\":\"ok\",\"fingerprint\":\"0x1\","
               "\"events\":20,\"virtual_s\":0.3,\"wall_s\":0.001}\n",
            seed);
  fputs(SUMF("1..30", "1/1"), f);
  fclose(f);
  ck_assert_int_eq(JS("merge g.jsonl"), 2);
  HAS("seeds 2..2 are missing");
  HAS("seeds 20..20 are missing");
  HASNT("seeds 22..22");
  HASNT("seeds 24..30");
  HAS("do not cover 1..30 exactly once (12 problems)");
  ck_assert_int_eq(JS("merge g.jsonl g.jsonl"), 2);
  HAS("(24 problems)");
  ck_assert_int_eq(count("is doubled"), 5); /* each after its gap */
  ck_assert_int_eq(count("are missing"), 5);
}
END_TEST

/* What a program does with the jnet_prog_* API, as the run reports it
 * (the programs are test_progs.c's checks, bad-args, die, wait-forever and
 * bad-history). */
START_TEST(the_run_reports_what_the_programs_did) {
  static const struct {
    const char *text;
    int rc;
    const char *want;
  } cases[] = {
      /* 16 checks are kept; the 17th is never reported */
      {"run a checks k=17\nexpect a checks k15\nexpect a checks k16\n", 1,
       "seed 1: FAIL checks on a: check k16: never reported"},
      /* a failure after passes counts; a pass after a failure does not */
      {"run a checks\nexpect a checks twice\n", 1,
       "FAIL checks on a: check twice: second ("},
      {"run a checks\nexpect a checks stick\n", 1,
       "FAIL checks on a: check stick: first \"quoted\" \\ back\nline\ttab ("},
      {"run a checks\nexpect a checks nofmt\n", 1,
       "FAIL checks on a: check nofmt:  ("},
      /* a disk: the same size, the same block; another size, none */
      {"run a checks\nexpect a checks disk\n", 0, "seed 1: PASS"},
      {"run a checks disk=0\nexpect a checks disk\n", 0, "seed 1: PASS"},
      /* the first bad integer argument is the run's error */
      {"run a bad-args a=99999999999999999999 b=x\n", 1,
       "seed 1: ERROR bad-args on a: argument a=99999999999999999999: "
       "expected an integer"},
      {"run a bad-args a=1 b=2x\n", 1,
       "ERROR bad-args on a: argument b=2x: expected an integer"},
      /* no history recorded: an empty history is linearizable */
      {"run a args n=1\nexpect linearizable\n", 0, "seed 1: PASS"},
      /* and the expectations after one that held are still checked */
      {"run a wait-forever\nexpect linearizable\nexpect quiescent\n", 1,
       "FAIL expect quiescent: the run ended with 1 fiber waiting"},
      /* each way a run can die, by name */
      {"run a die sig=4\n", 1, "ERROR crashed: killed by SIGILL (signal 4)"},
      {"run a die sig=7\n", 1, "ERROR crashed: killed by SIGBUS (signal 7)"},
      {"run a die sig=8\n", 1, "ERROR crashed: killed by SIGFPE (signal 8)"},
      {"run a die sig=9\n", 1, "ERROR crashed: killed by SIGKILL (signal 9)"},
      {"run a die sig=10\n", 1,
       "ERROR crashed: killed by a signal (signal 10)"},
      {"run a die code=7\n", 1,
       "ERROR crashed: the run exited with status 7 before reporting"},
      /* a run that ends with fibers waiting is not quiescent */
      {"run a wait-forever\nexpect quiescent\n", 1,
       "FAIL expect quiescent: the run ended with 1 fiber waiting (not "
       "returned: wait-forever on a)"},
      {"run a wait-forever spawn=1\nrun a wait-forever spawn=1\n"
       "expect quiescent\n",
       1, "FAIL expect quiescent: the run ended with 2 fibers waiting ("},
      {"run a bad-history\nexpect linearizable\n", 1,
       "ERROR r.scn:3: expect linearizable: a program recorded a bad history: "
       "history: ok before its invoke"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char text[512];
    snprintf(text, sizeof text, "host a 192.0.2.1\n%s", cases[i].text);
    write_file("r.scn", text);
    int rc = JS("run r.scn --seed 1");
    ck_assert_msg(rc == cases[i].rc, "case %zu: rc %d: %s", i, rc, out);
    ck_assert_msg(strstr(out, cases[i].want) != NULL,
                  "case %zu: want '%s' in %s", i, cases[i].want, out);
  }
  /* programs on hosts with long names: the list of those not returned is
   * cut at its size, never overrun */
  char text[1024] = "", line[160];
  for (int i = 1; i <= 6; i++) {
    snprintf(line, sizeof line,
             "host h%060d 10.0.0.%d\nrun h%060d wait-forever\n", i, i, i);
    strcat(text, line);
  }
  write_file("q.scn", strcat(text, "expect quiescent\n"));
  ck_assert_int_eq(JS("run q.scn --seed 1"), 1);
  HAS("the run ended with 6 fibers waiting (not returned: wait-forever on "
      "h0000");
  HASNT("on h000000000000000000000000000000000000000000000000000000000006");
}
END_TEST

/* The world a scenario builds: an address the simulator refuses stops the
 * setup and says which host; every link option and event kind runs; a
 * capture that cannot be written is an error and not claimed; a history
 * file that cannot be written is an error. */
START_TEST(the_run_sets_up_what_the_file_says) {
  write_file("s1.scn", "host a 192.0.2.1\nhost b 1::2::3\nrun a args n=1\n");
  ck_assert_int_eq(JS("run s1.scn --seed 1"), 1);
  HAS("seed 1: ERROR setting up the run (b): invalid argument");
  /* a scenario whose name does not end in .scn, with restarts of a host
   * that is up and crashes of one that is down (neither is an error) */
  write_file("s2",
             "host a 192.0.2.1\nhost b 192.0.2.2\n"
             "link a b latency 1ms jitter 1ms dist normal loss 0% dup 0% "
             "reorder 0% by 1ms corrupt 0% bandwidth 10mbit queue 64kb "
             "mtu 1400 burst 0% 100% bad-loss 0%\n"
             "link default latency 2ms jitter 1ms dist exponential\n"
             "run b udp-sink until_ms=300 min=19 max=20\n"
             "run a udp-source to=b n=20\n"
             "at 0s restart a\nat 0s crash a\nat 1ms restart a\n"
             "at 2ms crash b\n"
             "at 2ms crash b\nat 3ms restart b\n"
             "at 50ms set link a b oneway loss 0%\nat 60ms unclog a b\n"
             "at 70ms heal a b\nexpect b udp-sink count\n");
  ck_assert_int_eq(JS("sweep s2 --seeds 1..1 --no-progress --json s2.jsonl"),
                   0);
  HAS("all 1 seeds passed");
  write_file("s4.scn", "host a 192.0.2.1\nrun a args n=1\n"
                       "expect a args ok\n");
  ck_assert_int_eq(JS("run s4.scn --seed 1 --pcap /dev/full"), 1);
  HAS("seed 1: ERROR writing /dev/full: no space left on device");
  HASNT("pcap written");
  ck_assert_int_eq(JS("run s4.scn --seed 1 --pcap x.cap && test -s x.cap"),
                   0);
  HAS("pcap written: x.cap");
  ck_assert_int_eq(JS("run s4.scn --seed 1 --history nodir/h.jsonl"), 1);
  HAS("seed 1: ERROR writing nodir/h.jsonl: no such file or directory");
  /* a run that fails keeps its own reason over the file's */
  write_file("s6.scn", "host a 192.0.2.1\nrun a args n=1\n"
                       "expect a args nosuch\n");
  ck_assert_int_eq(JS("run s6.scn --seed 1 --history nodir/h.jsonl "
                      "--pcap /dev/full"),
                   1);
  HAS("seed 1: FAIL args on a: check nosuch: never reported");
  /* an error of the run, not of the capture: the pcap is written */
  write_file("s7.scn", "host a 192.0.2.1\nrun a bad-args b=x\n");
  ck_assert_int_eq(JS("run s7.scn --seed 1 --pcap p.pcap"), 1);
  HAS("seed 1: ERROR bad-args on a: argument b=x");
  HAS("pcap written: p.pcap");
  /* a hung run: no pcap claimed; --seed-timeout 0s is the default 300 s */
  write_file("h.scn", "host a 192.0.2.1\nrun a hang\n");
  ck_assert_int_eq(JS("run h.scn --seed 1 --pcap h.pcap --seed-timeout 50ms"),
                   1);
  HAS("seed 1: TIMEOUT hung: no result after 0.1s");
  HASNT("pcap written");
  ck_assert_int_eq(JS("run s4.scn --seed 1 --seed-timeout 0s"), 0);
  ck_assert_int_eq(JS("run s4.scn --seed 1..2"), 2);
  HAS("jnet-sim run: --seed: expected a number from 0 to 2^63-1, got "
      "'1..2'");
  /* JSON escapes a message's quote, backslash, newline and tab */
  write_file("j.scn", "host a 192.0.2.1\nrun a checks\n"
                      "expect a checks stick\n");
  ck_assert_int_eq(JS("sweep j.scn --seeds 1..1 --no-progress --json j.jsonl; "
                      "grep -o '\"message\":\"[^,]*,' j.jsonl"),
                   0);
  HAS("\"message\":\"checks on a: check stick: first \\\"quoted\\\" "
      "\\\\ back\\nline\\u0009tab\",");
  /* help in every spelling; a program without help text */
  ck_assert_int_eq(JS("-h"), 0);
  HAS("usage: jnet-sim COMMAND");
  ck_assert_int_eq(JS("help"), 0);
  HAS("usage: jnet-sim COMMAND");
  ck_assert_int_eq(JS("programs"), 0);
  HAS("\nbad-history          \n"); /* the name in 20 columns, no help */
  /* what a program prints reaches a stdout that is a file */
  write_file("say.scn", "host a 192.0.2.1\nrun a say text=hello\n"
                        "expect a say ok\n");
  ck_assert_int_eq(sh(JSIM_RUNNER " run say.scn --seed 1 > o.txt; cat o.txt"),
                   0);
  HAS("a says hello\nseed 1: PASS");
  /* and in a sweep, whose runner runs its seeds in one process, once a
   * seed */
  ck_assert_int_eq(sh(JSIM_RUNNER " sweep say.scn --seeds 1..3 -j 1 "
                      "--no-progress > o.txt; grep -c '^a says hello$' o.txt"),
                   0);
  ck_assert_str_eq(out, "3\n");
  /* a swarm scenario runs as drawn, its long lines whole (they were cut
   * at 2 KiB when written back) */
  char big[2048] = "host a 192.0.2.1\nhost b 192.0.2.2\n"
                   "link a b latency 1ms..2ms\nrun a say text=";
  size_t at = strlen(big);
  memset(big + at, 'x', 1000);
  strcpy(big + at + 1000, "\nexpect a say ok\n");
  write_file("long.scn", big);
  ck_assert_int_eq(sh(JSIM_RUNNER " run long.scn --seed 1 | "
                      "grep -c '^a says x\\{1000\\}$'"),
                   0);
  ck_assert_str_eq(out, "1\n");
  /* swarm draws: a probability range narrower than the 0.001 % grid, a
   * burst with and without its bad-loss, groups one way, a maybe line */
  write_file("sw2.scn", "host a 192.0.2.1\nhost b 192.0.2.2\n"
                        "host c 192.0.2.3\n"
                        "link a b loss 0.0001%..0.0002% burst 1% 2%\n"
                        "link a c burst 1% 2% bad-loss 3% latency 1ms..2ms\n"
                        "run a args n=1\nat 1ms set link a c latency 5ms\n"
                        "at 2ms partition {a} {b} oneway\n"
                        "maybe 50% at 3ms heal all\nexpect a args ok\n");
  ck_assert_int_eq(JS("run sw2.scn --seed 3"), 0);
  HAS("seed 3 drew: link a b loss 0.000% burst 1% 2%; link a c burst 1% 2% "
      "bad-loss 3% latency 1835us; at 3ms heal all\n");
  /* a swarm run that crashes still says what it drew */
  write_file("s5.scn", "host a 192.0.2.1\nhost b 192.0.2.2\n"
                       "link a b latency 1ms..5ms\nrun a crash-segv\n");
  ck_assert_int_eq(JS("sweep s5.scn --seeds 1..1 --no-progress"), 1);
  HAS("seed 1: error: crashed: killed by SIGSEGV");
  HAS("    drawn: link a b latency ");
  /* a generator's fault is drawn as two lines, the fault and its undo:
   * what the run drew names both, in that order */
  write_file("g1.scn", "host a 192.0.2.1\nhost b 192.0.2.2\n"
                       "run a args n=1\n"
                       "faults 1..1 of crash between 1ms..2ms on a\n"
                       "expect a args ok\n");
  ck_assert_int_eq(JS("run g1.scn --seed 2"), 0);
  const char *d = strstr(out, "seed 2 drew: at ");
  ck_assert_msg(d != NULL, "%s", out);
  char drew[256];
  snprintf(drew, sizeof drew, "%.*s", (int)strcspn(d, "\n"), d);
  size_t dl = strlen(drew);
  ck_assert_msg(strstr(drew, " crash a; at ") != NULL && dl > 10 &&
                    strcmp(drew + dl - 10, " restart a") == 0,
                "%s", drew);
}
END_TEST

/* The sweep's options at their edges, and its progress on a terminal. */
START_TEST(sweep_options_and_progress) {
  write_scn("u.scn", 1);
  ck_assert_int_eq(JS("sweep u.scn --seeds 1..2 -j 2x"), 2);
  HAS("jnet-sim sweep: -j: expected 1..1024, got '2x'");
  ck_assert_int_eq(JS("sweep u.scn --seeds 1..2 -j 1025"), 2);
  HAS("-j: expected 1..1024, got '1025'");
  ck_assert_int_eq(JS("sweep u.scn --seeds 1..2 --max-wall 5q"), 2);
  HAS("jnet-sim sweep: --max-wall: expected a duration such as 30s, got "
      "'5q'");
  ck_assert_int_eq(JS("sweep u.scn --seeds 1..2 --seed-timeout 5q"), 2);
  HAS("jnet-sim sweep: --seed-timeout: expected a duration");
  ck_assert_int_eq(JS("sweep u.scn --seeds 1..2 x.scn"), 2);
  HAS("usage: jnet-sim sweep");
  /* --seed-timeout 0s: the default; progress to a pipe: one line at the
   * end */
  ck_assert_int_eq(JS("sweep u.scn --seeds 1..3 -j 2 --seed-timeout 0s"), 0);
  HAS("progress: 3/3 seeds, 0 failed, ");
  HAS("all 3 seeds passed");
  /* on a terminal: a bar */
  ck_assert_int_eq(sh("script -qec '" JSIM_RUNNER " sweep u.scn --seeds 1..3 "
                      "-j 2' /dev/null"),
                   0);
  HAS("[##############################] 3/3 seeds, 0 failed, ");
  HAS("all 3 seeds passed");
  /* started with stdin closed, the first worker's pipe is descriptor 0:
   * its results are read like the others' (timeout: a sweep that never
   * reads it would wait for it forever) */
  ck_assert_int_eq(sh("timeout 10 " JSIM_RUNNER " sweep u.scn --seeds 1..4 "
                      "-j 2 --no-progress 0<&-"),
                   0);
  HAS(": 4 of 4 seeds run");
  HAS("all 4 seeds passed");
}
END_TEST

/* A run whose history is not linearizable: the verdict names the failing
 * operation, the history files sit by the pcap, lincheck reads them back;
 * a file without .jsonl keeps its name as the base, and a timeline it
 * cannot write is said (exit 1 still: the verdict stands). */
START_TEST(a_history_that_is_not_linearizable) {
  write_file("lh.scn", "host a 192.0.2.1\nrun a bad-history stale=2\n"
                       "expect linearizable\n");
  ck_assert_int_eq(JS("run lh.scn --seed 1 --pcap lh.pcap"), 1);
  HAS("seed 1: FAIL not linearizable: key \"k\", 1 operation: p2 cas "
      "1->\"a string longer than thirty ch\" ok 0.000000s..0.001000s");
  HAS("history written: lh.history.jsonl and lh.history.html");
  ck_assert_int_eq(sh("mkdir lh2.history.html"), 0);
  ck_assert_int_eq(JS("run lh.scn --seed 1 --pcap lh2.pcap"), 1);
  HAS("seed 1: FAIL not linearizable");
  ck_assert_int_eq(sh("cp lh.history.jsonl h && mkdir h.html"), 0);
  ck_assert_int_eq(JS("lincheck h"), 1);
  HAS("h: NOT linearizable: key \"k\": no order of these 2 events");
  HAS("jnet-sim lincheck: cannot write h.violation.jsonl / h.html: ");
  ck_assert_int_eq(JS("lincheck lh.history.jsonl --out v"), 1);
  HAS("written: v.violation.jsonl (the sub-history), v.html (the timeline)");
  ck_assert_int_eq(sh("cp lh.history.jsonl hist.json"), 0);
  ck_assert_int_eq(JS("lincheck hist.json"), 1);
  HAS("written: hist.json.violation.jsonl (the sub-history), hist.json.html");
  /* a write left open, a read of its value, then a read of null: the
   * smallest failing part is the read of a value nobody wrote for sure */
  write_file("lo.scn", "host a 192.0.2.1\nrun a bad-history stale=1\n"
                       "expect linearizable\n");
  ck_assert_int_eq(JS("run lo.scn --seed 1"), 1);
  HAS("seed 1: FAIL not linearizable: key \"k\", 1 operation: p2 read 1 ok "
      "0.001000s..0.002000s"); /* the open write: not needed to fail */
  /* a sweep leaves every violating seed's history in --pcap-dir, also
   * those of the seeds past the 20 it captures */
  ck_assert_int_eq(JS("sweep lh.scn --seeds 1..22 -j 1 --no-progress "
                      "--pcap-dir hd"), 1);
  ck_assert_int_eq(sh("ls hd/*.history.jsonl | wc -l"), 0);
  ck_assert_int_eq(atoi(out), 22);
  ck_assert_int_eq(sh("ls hd/*.pcap | wc -l"), 0);
  ck_assert_int_eq(atoi(out), 20);
  ck_assert_int_eq(JS("lincheck hd/lh-seed22.history.jsonl --no-files"), 1);
  HAS("NOT linearizable");
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
  JC_TEST(s, merge_reads_what_json_allows_and_refuses_the_rest);
  JC_TEST(s, merge_carries_pcaps_limits_and_the_determinism_flag);
  JC_TEST(s, merge_refuses_shards_that_do_not_fit);
  JC_TEST(s, the_run_reports_what_the_programs_did);
  JC_TEST(s, the_run_sets_up_what_the_file_says);
  JC_TEST(s, sweep_options_and_progress);
  JC_TEST(s, a_history_that_is_not_linearizable);
  return s;
}

int main(void) { return jc_run(suite()); }
