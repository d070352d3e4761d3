/* scenario_parse.c — the scenario language: good files parse into what
 * they say; each kind of error names its file, line and column. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "jsim_scn.h"
#include "test_progs.h"
#include "jnet_check.h"

static jsim_scn *parse_ok(const char *text) {
  char err[512] = "";
  jsim_scn *s = NULL;
  int rc = jsim_parse_text("t.scn", text, jsim_test_programs,
                           jsim_test_nprograms, &s, err, sizeof err);
  ck_assert_msg(rc == 0, "parse failed: %s", err);
  return s;
}

/* The error message for text, which must fail. */
static const char *parse_err(const char *text) {
  static char err[512];
  jsim_scn *s = NULL;
  err[0] = 0;
  int rc = jsim_parse_text("t.scn", text, jsim_test_programs,
                           jsim_test_nprograms, &s, err, sizeof err);
  ck_assert_msg(rc < 0, "parsed: %s", text);
  return err;
}

#define HOSTS "host a 192.0.2.1\nhost b 192.0.2.2 [2001:db8::2]\n"
#define RUNS "run a flaky\n"

static void assert_err(const char *text, const char *where,
                       const char *words) {
  const char *e = parse_err(text);
  ck_assert_msg(strncmp(e, where, strlen(where)) == 0,
                "expected an error at %s, got: %s", where, e);
  ck_assert_msg(strstr(e, ": error: ") != NULL, "no 'error:' in %s", e);
  ck_assert_msg(strstr(e, words) != NULL, "expected '%s' in: %s", words, e);
}

START_TEST(full_file) {
  jsim_scn *s = parse_ok(
      "# a comment\n"
      "seed 5..500   # trailing comment\n" HOSTS "host c 192.0.2.3\n"
      "link a b latency 5ms jitter 1ms dist pareto loss 0.5% dup 1% "
      "reorder 2% by 10ms corrupt 0.1% bandwidth 10mbit queue 64kb mtu 1400 "
      "burst 1% 20% bad-loss 50%\n"
      "link default latency 1ms\n"
      "link b c oneway latency 2us\n"
      "run a echo-server port=7\n"
      "run b echo-client server=a port=7\n"
      "at 4s heal a b\n"
      "at 2s partition a b oneway\n"
      "at 2s partition {a c} {b}\n"
      "at 1.5s clog a b\n"
      "at 5s set link a b loss 10%\n"
      "at 6s crash a\nat 7s restart a\nat 8s heal all\nat 9s unclog a b\n"
      "limit 60s events 1000\n"
      "expect b echo-client ok\n");
  ck_assert_uint_eq(s->seed_lo, 5);
  ck_assert_uint_eq(s->seed_hi, 500);
  ck_assert_int_eq(s->nhosts, 3);
  ck_assert_int_eq(s->hosts[1].naddrs, 2);
  ck_assert_str_eq(s->hosts[1].addrs[1], "2001:db8::2");
  ck_assert_int_eq(s->nlinks, 3);
  ck_assert_int_eq(s->links[0].nopts, 14);
  ck_assert_int_eq(s->links[1].a, -1);
  ck_assert_int_eq(s->links[2].oneway, 1);
  ck_assert_int_eq(s->nruns, 2);
  ck_assert_int_eq(s->runs[1].nargs, 2);
  ck_assert_str_eq(s->runs[1].args[0].key, "server");
  ck_assert_str_eq(s->runs[1].args[0].value, "a");
  ck_assert_int_eq(s->nevents, 9);
  /* Sorted by time, stable among equal times. */
  ck_assert_int_eq(s->events[0].kind, JSIM_EV_CLOG);
  ck_assert_uint_eq(s->events[0].at_ns, 1500000000ull);
  ck_assert_int_eq(s->events[1].kind, JSIM_EV_PARTITION);
  ck_assert_int_eq(s->events[1].oneway, 1);
  ck_assert_int_eq(s->events[2].kind, JSIM_EV_PARTITION_GROUPS);
  ck_assert_int_eq(s->events[2].nga, 2);
  ck_assert_int_eq(s->events[2].ngb, 1);
  ck_assert_int_eq(s->events[3].kind, JSIM_EV_HEAL);
  ck_assert_uint_eq(s->limit_ns, 60000000000ull);
  ck_assert_uint_eq(s->limit_events, 1000);
  ck_assert_int_eq(s->nexpects, 1);
  ck_assert_str_eq(s->expects[0].check, "ok");
  jsim_scn_free(s);
}
END_TEST

START_TEST(units) {
  jsim_scn *s = parse_ok(HOSTS RUNS
                         "link a b latency 250us jitter 3ns reorder 2.5% "
                         "bandwidth 1gbit queue 2mb\n"
                         "at 2m crash a\nlimit 1500ms\n");
  const jsim_linkopt *o = s->links[0].opts;
  ck_assert_double_eq(o[0].value, 250000);
  ck_assert_double_eq(o[1].value, 3);
  ck_assert_double_eq_tol(o[2].value, 0.025, 1e-12);
  ck_assert_double_eq(o[3].value, 1e9);
  ck_assert_double_eq(o[4].value, 2 * 1048576);
  ck_assert_uint_eq(s->events[0].at_ns, 120000000000ull);
  ck_assert_uint_eq(s->limit_ns, 1500000000ull);
  ck_assert_int_eq(s->has_seeds, 0);
  jsim_scn_free(s);
}
END_TEST

START_TEST(defaults) {
  jsim_scn *s = parse_ok(HOSTS RUNS);
  ck_assert_uint_eq(s->limit_ns, 600000000000ull);
  ck_assert_uint_eq(s->limit_events, 50000000);
  jsim_scn_free(s);
}
END_TEST

START_TEST(err_unknown_keyword) {
  assert_err(HOSTS "  frobnicate a\n", "t.scn:3:3:", "got 'frobnicate'");
}
END_TEST

START_TEST(err_unknown_host) {
  assert_err(HOSTS RUNS "at 1s crash zz\n", "t.scn:4:13:", "got 'zz'");
  assert_err(HOSTS "run q flaky\n", "t.scn:3:5:", "host");
  assert_err(HOSTS RUNS "link a nothere loss 1%\n", "t.scn:4:8:",
             "got 'nothere'");
}
END_TEST

START_TEST(err_duplicate_host_and_address) {
  assert_err(HOSTS "host a 192.0.2.9\n", "t.scn:3:6:", "duplicate host");
  assert_err(HOSTS "host c 192.0.2.1\n", "t.scn:3:8:", "duplicate address");
  assert_err(HOSTS "host c [2001:db8::2]\n", "t.scn:3:8:",
             "duplicate address");
  assert_err("host a 1.2.x.4\n", "t.scn:1:8:", "address");
  assert_err("host a\n", "t.scn:1:7:", "got end of line");
}
END_TEST

START_TEST(err_unknown_program) {
  assert_err(HOSTS "run a no-such-prog x=1\n", "t.scn:3:7:",
             "got 'no-such-prog'");
  assert_err(HOSTS "run a flaky notkeyvalue\n", "t.scn:3:13:",
             "expected key=value");
  assert_err(HOSTS RUNS "expect a hang ok\n", "t.scn:4:10:", "got 'hang'");
}
END_TEST

START_TEST(err_bad_numbers) {
  assert_err(HOSTS RUNS "link a b latency 5xs\n", "t.scn:4:18:",
             "expected a time");
  assert_err(HOSTS RUNS "link a b loss 101%\n", "t.scn:4:15:",
             "0% to 100%");
  assert_err(HOSTS RUNS "link a b loss 5\n", "t.scn:4:15:",
             "expected a percentage");
  assert_err(HOSTS RUNS "link a b mtu 100\n", "t.scn:4:14:", "MTU");
  assert_err(HOSTS RUNS "link a b bandwidth 10mbps\n", "t.scn:4:20:",
             "rate");
  assert_err(HOSTS RUNS "link a b queue 64kib\n", "t.scn:4:16:", "size");
  assert_err(HOSTS RUNS "link a b dist weird\n", "t.scn:4:15:",
             "got 'weird'");
  assert_err(HOSTS RUNS "link a b latency\n", "t.scn:4:17:",
             "got end of line");
  assert_err(HOSTS RUNS "at soon crash a\n", "t.scn:4:4:", "expected a time");
  assert_err(HOSTS RUNS "limit 10s events lots\n", "t.scn:4:18:",
             "number of events");
  assert_err(HOSTS RUNS "link a b wobble 3\n", "t.scn:4:10:",
             "expected a link option");
}
END_TEST

START_TEST(err_seeds) {
  assert_err("seed 10..5\n", "t.scn:1:6:", "A <= B");
  assert_err("seed 0..9223372036854775808\n", "t.scn:1:6:", "2^63");
  assert_err("seed -1..5\n", "t.scn:1:6:", "got '-1..5'");
  assert_err("seed\n", "t.scn:1:5:", "got end of line");
}
END_TEST

START_TEST(err_at_lines) {
  assert_err(HOSTS RUNS "at 1s explode a\n", "t.scn:4:7:", "got 'explode'");
  assert_err(HOSTS RUNS "at 1s partition {a} b\n", "t.scn:4:21:",
             "expected '{'");
  assert_err(HOSTS RUNS "at 1s partition {a b\n", "t.scn:4:21:",
             "expected '}'");
  assert_err(HOSTS RUNS "at 1s partition a a\n", "t.scn:4:19:",
             "other than a");
  assert_err(HOSTS RUNS "at 1s crash a b\n", "t.scn:4:15:",
             "expected end of line");
  assert_err(HOSTS RUNS "at 1s set a b loss 1%\n", "t.scn:4:11:",
             "expected 'link'");
}
END_TEST

START_TEST(err_empty_file) {
  assert_err("# nothing\n", "t.scn:2:1:", "at least one");
}
END_TEST

START_TEST(err_file_unreadable) {
  char err[512];
  jsim_scn *s;
  ck_assert_int_lt(jsim_parse_file("/nonexistent/x.scn", jsim_test_programs,
                                   jsim_test_nprograms, &s, err, sizeof err),
                   0);
  ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x.scn: error: cannot open"));
}
END_TEST

START_TEST(shipped_test_files_parse) {
  const char *files[] = {JSIM_TEST_DIR "/flaky.scn", JSIM_TEST_DIR "/echo.scn"};
  for (int i = 0; i < 2; i++) {
    char err[512];
    jsim_scn *s;
    ck_assert_msg(jsim_parse_file(files[i], jsim_test_programs,
                                  jsim_test_nprograms, &s, err,
                                  sizeof err) == 0,
                  "%s", err);
    jsim_scn_free(s);
  }
}
END_TEST

/* Random byte edits of a good file: the parser either accepts the result
 * or names a place in it; it never crashes (run under ASan/Valgrind too). */
START_TEST(mutations_never_crash) {
  const char *good =
      "seed 1..10\n" HOSTS "link a b latency 5ms jitter 1ms loss 0.5%\n"
      "run a echo-server port=7\nrun b echo-client server=a\n"
      "at 2s partition {a} {b} oneway\nat 3s heal all\nlimit 9s events 5\n"
      "expect b echo-client ok\n";
  const char alphabet[] = "ab01.:%{}#=\n \tmsx-9[]";
  size_t len = strlen(good);
  char *buf = malloc(len + 8);
  unsigned rnd = 12345;
  int accepted = 0, rejected = 0;
  for (int iter = 0; iter < 3000; iter++) {
    memcpy(buf, good, len + 1);
    int edits = 1 + iter % 4;
    for (int e = 0; e < edits; e++) {
      rnd = rnd * 1103515245u + 12345u;
      size_t at = (rnd >> 8) % len;
      rnd = rnd * 1103515245u + 12345u;
      buf[at] = alphabet[(rnd >> 8) % (sizeof alphabet - 1)];
    }
    char err[512] = "";
    jsim_scn *sc = NULL;
    if (jsim_parse_text("t.scn", buf, jsim_test_programs, jsim_test_nprograms,
                        &sc, err, sizeof err) == 0) {
      ck_assert_ptr_nonnull(sc);
      jsim_scn_free(sc);
      accepted++;
    } else {
      ck_assert_msg(strncmp(err, "t.scn:", 6) == 0 &&
                        strstr(err, ": error: ") != NULL,
                    "bad message '%s'", err);
      rejected++;
    }
  }
  ck_assert_int_gt(rejected, 0);
  ck_assert_int_gt(accepted, 0);
  free(buf);
}
END_TEST

int main(void) {
  Suite *s = suite_create("scenario-lang");
  jc_defaults(0, NULL, NULL);
  JC_TEST(s, full_file);
  JC_TEST(s, units);
  JC_TEST(s, defaults);
  JC_TEST(s, err_unknown_keyword);
  JC_TEST(s, err_unknown_host);
  JC_TEST(s, err_duplicate_host_and_address);
  JC_TEST(s, err_unknown_program);
  JC_TEST(s, err_bad_numbers);
  JC_TEST(s, err_seeds);
  JC_TEST(s, err_at_lines);
  JC_TEST(s, err_empty_file);
  JC_TEST(s, err_file_unreadable);
  JC_TEST(s, shipped_test_files_parse);
  JC_TEST(s, mutations_never_crash);
  return jc_run(s);
}
