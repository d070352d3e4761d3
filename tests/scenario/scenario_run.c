/* scenario_run.c — one seed through the runner: each fault's effect is
 * visible in what the programs see; crash and restart keep the disk; a
 * crash, abort or hang becomes the seed's result; a seed replays exactly. */
#define _DEFAULT_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsim_scn.h"
#include "test_progs.h"
#include "jnet_check.h"

/* Run text with seed; fork so that a crashing program cannot take the
 * test down; timeout_s of wall clock per run. */
static jsim_result run_text(const char *text, uint64_t seed,
                            double timeout_s) {
  char err[512] = "";
  jsim_scn *s = NULL;
  int rc = jsim_parse_text("t.scn", text, jsim_test_programs,
                           jsim_test_nprograms, &s, err, sizeof err);
  ck_assert_msg(rc == 0, "parse failed: %s", err);
  jsim_run_opts o = {NULL, NULL, timeout_s, 1};
  jsim_result r;
  jsim_run_seed(s, seed, &o, &r);
  jsim_scn_free(s);
  return r;
}

#define UDP_HOSTS "host src 192.0.2.1\nhost sink 192.0.2.2\n"
#define UDP_RUNS                                                           \
  "run src udp-source to=sink n=50 interval_ms=10\n"                       \
  "run sink udp-sink until_ms=2000 "

static void expect_pass(const jsim_result *r) {
  ck_assert_msg(r->status == JSIM_PASS, "status %s: %s",
                jsim_status_name(r->status), r->msg);
}

static void expect_fail(const jsim_result *r, const char *words) {
  ck_assert_msg(r->status == JSIM_FAIL, "status %s: %s",
                jsim_status_name(r->status), r->msg);
  ck_assert_msg(strstr(r->msg, words) != NULL, "expected '%s' in: %s", words,
                r->msg);
}

START_TEST(clean_link_delivers_all) {
  jsim_result r = run_text(UDP_HOSTS "link src sink latency 5ms\n" UDP_RUNS
                           "min=50 max=50 first_after_ms=5\n"
                           "expect sink udp-sink count\n"
                           "expect sink udp-sink first\n"
                           "expect src udp-source sent\n",
                           1, 30);
  expect_pass(&r);
  ck_assert_uint_ge(r.events, 50);
  ck_assert(r.virtual_s >= 1.9 && r.virtual_s < 3.0);
}
END_TEST

START_TEST(latency_delays_the_first_datagram) {
  const char *text = UDP_HOSTS "link src sink latency 300ms\n" UDP_RUNS
                               "first_after_ms=300\nexpect sink udp-sink first\n";
  jsim_result r = run_text(text, 1, 30);
  expect_pass(&r);
  /* The same with a 200 ms link arrives too early for that check. */
  r = run_text(UDP_HOSTS "link src sink latency 200ms\n" UDP_RUNS
               "first_after_ms=300\nexpect sink udp-sink first\n",
               1, 30);
  expect_fail(&r, "first datagram at 0.2");
}
END_TEST

START_TEST(default_link_applies_and_is_inherited) {
  jsim_result r = run_text(UDP_HOSTS "link default latency 300ms\n" UDP_RUNS
                           "first_after_ms=300\nexpect sink udp-sink first\n",
                           1, 30);
  expect_pass(&r);
  /* A pair's link line starts from the default's parameters. */
  r = run_text(UDP_HOSTS "link src sink loss 0%\nlink default latency 300ms\n"
               UDP_RUNS "first_after_ms=300 min=50\n"
               "expect sink udp-sink first\nexpect sink udp-sink count\n",
               1, 30);
  expect_pass(&r);
}
END_TEST

START_TEST(loss_drops) {
  jsim_result r = run_text(UDP_HOSTS "link src sink loss 100%\n" UDP_RUNS
                           "max=0\nexpect sink udp-sink count\n",
                           1, 30);
  expect_pass(&r);
  r = run_text(UDP_HOSTS "link src sink loss 50%\n" UDP_RUNS
               "min=10 max=40\nexpect sink udp-sink count\n",
               1, 30);
  expect_pass(&r);
}
END_TEST

START_TEST(dup_duplicates) {
  jsim_result r = run_text(UDP_HOSTS "link src sink dup 100%\n" UDP_RUNS
                           "min=100 max=100\nexpect sink udp-sink count\n",
                           1, 30);
  expect_pass(&r);
}
END_TEST

START_TEST(partition_and_heal) {
  /* Cut off for the first 250 ms: about 25 of 50 arrive. */
  jsim_result r = run_text(UDP_HOSTS UDP_RUNS
                           "min=20 max=30 first_after_ms=250\n"
                           "at 0s partition src sink\nat 250ms heal src sink\n"
                           "expect sink udp-sink count\n"
                           "expect sink udp-sink first\n",
                           1, 30);
  expect_pass(&r);
  /* Groups, one way: src -> sink cut, nothing arrives. */
  r = run_text(UDP_HOSTS UDP_RUNS "max=0\n"
               "at 0s partition {src} {sink} oneway\n"
               "expect sink udp-sink count\n",
               1, 30);
  expect_pass(&r);
  /* heal all */
  r = run_text(UDP_HOSTS UDP_RUNS "min=45 max=50\n"
               "at 0s partition src sink\nat 20ms heal all\n"
               "expect sink udp-sink count\n",
               1, 30);
  expect_pass(&r);
}
END_TEST

START_TEST(clog_queues_without_loss) {
  jsim_result r = run_text(UDP_HOSTS UDP_RUNS
                           "min=50 max=50 first_after_ms=300\n"
                           "at 0s clog src sink\nat 300ms unclog src sink\n"
                           "expect sink udp-sink count\n"
                           "expect sink udp-sink first\n",
                           1, 30);
  expect_pass(&r);
}
END_TEST

START_TEST(set_link_changes_midway) {
  jsim_result r = run_text(UDP_HOSTS UDP_RUNS
                           "min=20 max=30\n"
                           "at 250ms set link src sink loss 100%\n"
                           "expect sink udp-sink count\n",
                           1, 30);
  expect_pass(&r);
}
END_TEST

START_TEST(crash_silences_a_program) {
  jsim_result r = run_text(UDP_HOSTS UDP_RUNS "\n"
                           "at 100ms crash sink\n"
                           "expect sink udp-sink count\n",
                           1, 30);
  expect_fail(&r, "udp-sink on sink: check count: never reported");
}
END_TEST

START_TEST(restart_runs_again_with_its_disk) {
  const char *base = "host a 192.0.2.1\nrun a restarter want=2 until_ms=2000\n"
                     "expect a restarter disk\nexpect a restarter restarted\n";
  char text[512];
  snprintf(text, sizeof text, "%s%s", base,
           "at 200ms crash a\nat 300ms restart a\n"
           "at 500ms crash a\nat 600ms restart a\n");
  jsim_result r = run_text(text, 1, 30);
  expect_pass(&r);
  /* Restarted only once: start number 2 never happens. */
  snprintf(text, sizeof text, "%s%s", base,
           "at 200ms crash a\nat 300ms restart a\n");
  r = run_text(text, 1, 30);
  expect_fail(&r, "check restarted: never reported");
}
END_TEST

START_TEST(tcp_echo_over_a_lossy_link) {
  char err[512];
  jsim_scn *s;
  ck_assert_int_eq(jsim_parse_file(JSIM_TEST_DIR "/echo.scn",
                                   jsim_test_programs, jsim_test_nprograms,
                                   &s, err, sizeof err),
                   0);
  jsim_run_opts o = {NULL, NULL, 30, 1};
  for (uint64_t seed = 1; seed <= 5; seed++) {
    jsim_result r;
    jsim_run_seed(s, seed, &o, &r);
    expect_pass(&r);
  }
  jsim_scn_free(s);
}
END_TEST

/* `host ... tcp newreno` reaches the host's TCP: the trace names each
 * side's algorithm when its connection opens. */
START_TEST(host_tcp_option_picks_the_congestion_control) {
  char err[512] = "", *text = NULL;
  size_t len = 0;
  jsim_scn *s = NULL;
  ck_assert_int_eq(
      jsim_parse_text("t.scn",
                      "host server 192.0.2.1 tcp newreno\n"
                      "host client 192.0.2.2\n"
                      "run server echo-server port=7 until_ms=3000\n"
                      "run client echo-client server=server port=7\n"
                      "limit 10s\nexpect client echo-client ok\n",
                      jsim_test_programs, jsim_test_nprograms, &s, err,
                      sizeof err),
      0);
  FILE *f = open_memstream(&text, &len);
  jsim_run_opts o = {NULL, f, 30, 0};
  jsim_result r;
  jsim_run_seed(s, 1, &o, &r);
  fclose(f);
  expect_pass(&r);
  ck_assert_msg(strstr(text, " server tcp :7>") &&
                    strstr(text, " newreno open cwnd="),
                "%s", text);
  ck_assert_msg(strstr(text, " client tcp :") && strstr(text, " cubic open cwnd="),
                "%s", text);
  free(text);
  jsim_scn_free(s);
}
END_TEST

START_TEST(hang_times_out) {
  /* 0.2 s of wall-clock time: the program spins forever, so any bound
   * ends it as hung */
  jsim_result r = run_text("host a 192.0.2.1\nrun a hang\nexpect a hang ok\n",
                           1, 0.2);
  ck_assert_int_eq(r.status, JSIM_TIMEOUT);
  ck_assert_ptr_nonnull(strstr(r.msg, "hung"));
}
END_TEST

START_TEST(abort_and_segv_are_errors) {
  jsim_result r = run_text(
      "host a 192.0.2.1\nrun a crash-abort\nexpect a crash-abort ok\n", 1, 30);
  ck_assert_int_eq(r.status, JSIM_ERROR);
  ck_assert_ptr_nonnull(strstr(r.msg, "SIGABRT"));
  r = run_text("host a 192.0.2.1\nrun a crash-segv\nexpect a crash-segv ok\n",
               1, 30);
  ck_assert_int_eq(r.status, JSIM_ERROR);
  /* "killed by SIGSEGV"; under ASan its handler reports and exits. */
  ck_assert_msg(strstr(r.msg, "SIGSEGV") != NULL ||
                    strstr(r.msg, "crashed: the run exited") != NULL,
                "%s", r.msg);
}
END_TEST

START_TEST(bad_argument_is_an_error) {
  jsim_result r =
      run_text("host a 192.0.2.1\nrun a args n=abc\nexpect a args ok\n", 1, 30);
  ck_assert_int_eq(r.status, JSIM_ERROR);
  ck_assert_ptr_nonnull(strstr(r.msg, "n=abc"));
  r = run_text("host a 192.0.2.1\nrun a args n=12\nexpect a args ok\n", 1, 30);
  expect_pass(&r);
}
END_TEST

START_TEST(limit_stops_the_run) {
  jsim_result r = run_text(UDP_HOSTS UDP_RUNS "\nlimit 500ms\n"
                           "expect sink udp-sink count\n",
                           1, 30);
  expect_fail(&r, "never reported (stopped at the limit)");
  ck_assert(r.virtual_s <= 0.6);
}
END_TEST

START_TEST(same_seed_same_run) {
  const char *text = UDP_HOSTS "link src sink latency 5ms jitter 4ms "
                               "dist exponential loss 10% reorder 5%\n" UDP_RUNS
                               "\nexpect sink udp-sink count\n";
  jsim_result a = run_text(text, 42, 30), b = run_text(text, 42, 30),
              c = run_text(text, 43, 30);
  ck_assert_uint_eq(a.fingerprint, b.fingerprint);
  ck_assert_uint_eq(a.events, b.events);
  ck_assert_str_eq(a.msg, b.msg);
  ck_assert_uint_ne(a.fingerprint, c.fingerprint);
}
END_TEST

START_TEST(inline_run_matches_forked) {
  char err[512];
  jsim_scn *s;
  ck_assert_int_eq(jsim_parse_file(JSIM_TEST_DIR "/flaky.scn",
                                   jsim_test_programs, jsim_test_nprograms,
                                   &s, err, sizeof err),
                   0);
  jsim_run_opts forked = {NULL, NULL, 30, 1}, inl = {NULL, NULL, 30, 0};
  for (uint64_t seed = 1; seed <= 8; seed++) {
    jsim_result a, b;
    jsim_run_seed(s, seed, &forked, &a);
    jsim_run_seed(s, seed, &inl, &b);
    ck_assert_int_eq(a.status, b.status);
    ck_assert_uint_eq(a.fingerprint, b.fingerprint);
    ck_assert_uint_eq(a.seed, seed);
  }
  jsim_scn_free(s);
}
END_TEST

int main(void) {
  Suite *s = suite_create("scenario-run");
  jc_defaults(60, NULL, NULL);
  JC_TEST(s, clean_link_delivers_all);
  JC_TEST(s, latency_delays_the_first_datagram);
  JC_TEST(s, default_link_applies_and_is_inherited);
  JC_TEST(s, loss_drops);
  JC_TEST(s, dup_duplicates);
  JC_TEST(s, partition_and_heal);
  JC_TEST(s, clog_queues_without_loss);
  JC_TEST(s, set_link_changes_midway);
  JC_TEST(s, crash_silences_a_program);
  JC_TEST(s, restart_runs_again_with_its_disk);
  JC_TEST(s, tcp_echo_over_a_lossy_link);
  JC_TEST(s, host_tcp_option_picks_the_congestion_control);
  JC_TEST(s, hang_times_out);
  JC_TEST(s, abort_and_segv_are_errors);
  JC_TEST(s, bad_argument_is_an_error);
  JC_TEST(s, limit_stops_the_run);
  JC_TEST(s, same_seed_same_run);
  JC_TEST(s, inline_run_matches_forked);
  return jc_run(s);
}
