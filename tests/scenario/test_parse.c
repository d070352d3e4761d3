/* test_parse.c — the scenario language (jsim_parse.c): good files, each
 * kind of error with its line and column, ranges, durations and shards. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jnet/jnet.h>

#include "jsim_scn.h"
#include "test_progs.h"
#include "jnet_check.h"

static jsim_scn *parse_ok(const char *text) {
  char err[512] = "";
  jsim_scn *s = NULL;
  int rc = jsim_parse_text("t.scn", text, jsim_test_programs,
                           jsim_test_nprograms, &s, err, sizeof err);
  ck_assert_msg(rc == 0, "unexpected error: %s", err);
  ck_assert_ptr_nonnull(s);
  return s;
}

/* Parse text that must fail; the message must start with `where` and
 * contain `what`. */
static void parse_err(const char *text, const char *where, const char *what) {
  char err[512] = "";
  jsim_scn *s = NULL;
  int rc = jsim_parse_text("t.scn", text, jsim_test_programs,
                           jsim_test_nprograms, &s, err, sizeof err);
  ck_assert_int_eq(rc, -1);
  ck_assert_msg(strncmp(err, where, strlen(where)) == 0,
                "want %s, got %s", where, err);
  ck_assert_msg(strstr(err, "error: expected") || strstr(err, "error:"),
                "no error: in %s", err);
  ck_assert_msg(strstr(err, what) != NULL, "want '%s' in %s", what, err);
}

static const char *good =
    "# a comment\n"
    "seed 3..99\n"
    "host db  192.0.2.10 [2001:db8::10]   # trailing comment\n"
    "host app 192.0.2.20\n"
    "host c   192.0.2.30\n"
    "link db app latency 5ms jitter 1ms loss 0.5% dist pareto\n"
    "link db c dup 1% reorder 2% by 10ms corrupt 0.1% bandwidth 10mbit "
    "queue 64kb mtu 1400 burst 1% 30% bad-loss 50%\n"
    "link default latency 1ms\n"
    "run db  echo-server port=7\n"
    "run app echo-client server=db port=7\n"
    "at 4s heal all\n"
    "at 2s partition db app oneway\n"
    "at 2s partition {db c} {app}\n"
    "at 5s clog db app\n"
    "at 5500ms unclog db app\n"
    "at 5s set link db app loss 10%\n"
    "at 6s crash db\n"
    "at 7s restart db\n"
    "limit 60s events 1000000\n"
    "expect app echo-client ok\n";

START_TEST(good_file) {
  jsim_scn *s = parse_ok(good);
  ck_assert_int_eq(s->has_seeds, 1);
  ck_assert_uint_eq(s->seed_lo, 3);
  ck_assert_uint_eq(s->seed_hi, 99);
  ck_assert_int_eq(s->nhosts, 3);
  ck_assert_str_eq(s->hosts[0].name, "db");
  ck_assert_int_eq(s->hosts[0].naddrs, 2);
  ck_assert_str_eq(s->hosts[0].addrs[1], "2001:db8::10");
  ck_assert_int_eq(s->nlinks, 3);
  ck_assert_int_eq(s->links[2].a, -1);
  int found_loss = 0;
  for (int i = 0; i < s->links[0].nopts; i++)
    if (s->links[0].opts[i].what == JSIM_OPT_LOSS) {
      ck_assert_double_eq_tol(s->links[0].opts[i].value, 0.005, 1e-12);
      found_loss = 1;
    }
  ck_assert(found_loss);
  for (int i = 0; i < s->links[1].nopts; i++) {
    if (s->links[1].opts[i].what == JSIM_OPT_BANDWIDTH)
      ck_assert_double_eq_tol(s->links[1].opts[i].value, 10e6, 1);
    if (s->links[1].opts[i].what == JSIM_OPT_QUEUE)
      ck_assert_double_eq_tol(s->links[1].opts[i].value, 64 * 1024, 1);
    if (s->links[1].opts[i].what == JSIM_OPT_REORDER_BY)
      ck_assert_double_eq_tol(s->links[1].opts[i].value, 10e6, 1);
  }
  ck_assert_int_eq(s->nruns, 2);
  ck_assert_str_eq(s->runs[1].prog->name, "echo-client");
  ck_assert_int_eq(s->runs[1].nargs, 2);
  ck_assert_str_eq(s->runs[1].args[0].key, "server");
  ck_assert_str_eq(s->runs[1].args[0].value, "db");
  /* Events sorted by time, stable for equal times. */
  ck_assert_int_eq(s->nevents, 8);
  for (int i = 1; i < s->nevents; i++)
    ck_assert(s->events[i - 1].at_ns <= s->events[i].at_ns);
  ck_assert_int_eq(s->events[0].kind, JSIM_EV_PARTITION);
  ck_assert_int_eq(s->events[0].oneway, 1);
  ck_assert_int_eq(s->events[1].kind, JSIM_EV_PARTITION_GROUPS);
  ck_assert_int_eq(s->events[1].nga, 2);
  ck_assert_int_eq(s->events[1].ngb, 1);
  ck_assert_int_eq(s->events[2].kind, JSIM_EV_HEAL_ALL);
  ck_assert_int_eq(s->events[3].kind, JSIM_EV_CLOG);
  ck_assert_int_eq(s->events[4].kind, JSIM_EV_SET_LINK);
  ck_assert_int_eq(s->events[5].kind, JSIM_EV_UNCLOG);
  ck_assert_uint_eq(s->events[5].at_ns, 5500000000ull);
  ck_assert_int_eq(s->events[6].kind, JSIM_EV_CRASH);
  ck_assert_int_eq(s->events[7].kind, JSIM_EV_RESTART);
  ck_assert_uint_eq(s->limit_ns, 60000000000ull);
  ck_assert_uint_eq(s->limit_events, 1000000);
  ck_assert_int_eq(s->nexpects, 1);
  ck_assert_str_eq(s->expects[0].check, "ok");
  jsim_scn_free(s);
}
END_TEST

START_TEST(defaults) {
  jsim_scn *s = parse_ok("host a 192.0.2.1\nrun a flaky\n");
  ck_assert_int_eq(s->has_seeds, 0);
  ck_assert_uint_eq(s->limit_ns, 600000000000ull);
  ck_assert_uint_eq(s->limit_events, 50000000ull);
  jsim_scn_free(s);
}
END_TEST

START_TEST(errors) {
  parse_err("bogus 1\n", "t.scn:1:1:", "bogus");
  parse_err("# c\n\n   frob x\n", "t.scn:3:4:", "frob");
  parse_err("host a 192.0.2.1\nhost a 192.0.2.2\n", "t.scn:2:6:",
            "duplicate host");
  parse_err("host a 192.0.2.1\nhost b 192.0.2.1\n", "t.scn:2:8:",
            "duplicate address");
  parse_err("host a 192.0.2.1\nrun a nosuch\n", "t.scn:2:7:", "nosuch");
  parse_err("host a 192.0.2.1\nlink a zz latency 1ms\n", "t.scn:2:8:", "zz");
  parse_err("host a 192.0.2.1\nrun b flaky\n", "t.scn:2:5:", "'b'");
  parse_err("seed 5..3\n", "t.scn:1:6:", "5..3");
  parse_err("seed 1..9223372036854775808\n", "t.scn:1:6:", "9223372036854775808");
  parse_err("seed x\n", "t.scn:1:6:", "'x'");
  parse_err("host a 192.0.2.1\nat 1q crash a\n", "t.scn:2:4:", "1q");
  parse_err("limit 1q\n", "t.scn:1:7:", "1q");
  parse_err("host a 192.0.2.1\nhost b 192.0.2.2\nlink a b loss 5\n",
            "t.scn:3:15:", "'5'");
  parse_err("host a 192.0.2.1\nhost b 192.0.2.2\nlink a b loss 150%\n",
            "t.scn:3:15:", "150%");
  parse_err("host a 192.0.2.1\nhost b 192.0.2.2\nlink a b wobble 1\n",
            "t.scn:3:10:", "wobble");
  parse_err("host a 192.0.2.1\nhost b 192.0.2.2\nlink a b bandwidth 10xbit\n",
            "t.scn:3:20:", "10xbit");
  parse_err("host a 192.0.2.1\nhost b 192.0.2.2\nlink a b queue 5zb\n",
            "t.scn:3:16:", "5zb");
  parse_err("host a not-an-address\n", "t.scn:1:8:", "not-an-address");
  parse_err("host a 192.0.2.1\nat 1s explode a\n", "t.scn:2:7:", "explode");
  parse_err("host a 192.0.2.1\nexpect a nosuch ok\n", "t.scn:2:10:", "nosuch");
  /* An MTU range needs both ends. */
  parse_err("host a 192.0.2.1\nhost b 192.0.2.2\nlink a b mtu ..1500\n",
            "t.scn:3:14:", "expected an MTU from 576 to 65535, got '..1500'");
  parse_err("host a 192.0.2.1\nhost b 192.0.2.2\nlink a b mtu 1500..\n",
            "t.scn:3:14:", "expected an MTU from 576 to 65535, got '1500..'");
  parse_err("host a 192.0.2.1\nhost b 192.0.2.2\n"
            "link a b mtu 1000 mtu ..1500\n",
            "t.scn:3:23:", "expected an MTU from 576 to 65535, got '..1500'");
  /* A count too long to be one names the word, not the keyword. */
  parse_err("host a 192.0.2.1\nfaults "
            "1234567890123456789012345678901234567890123456789012345678901234"
            " of crash between 1s..2s\n",
            "t.scn:2:8:", "got '1234567890");
}
END_TEST

/* The 17th option of a link is an error at that option, whatever it is
 * (dist takes a word, not a number). */
START_TEST(too_many_link_options) {
  char text[1024] = "host a 192.0.2.1\nhost b 192.0.2.2\nlink a b";
  for (int i = 0; i < 16; i++)
    strcat(text, " latency 1ms");
  strcat(text, " dist pareto\nrun a flaky\n");
  /* 'link a b' is 8 columns, each option 12: the 17th starts at 201. */
  parse_err(text, "t.scn:3:202:", "too many link options");
  char *l = strstr(text, " dist");
  memcpy(l, " loss 1%    ", 12);
  parse_err(text, "t.scn:3:202:", "too many link options");
}
END_TEST

/* Swarm and generator lines: each mistake at its word, with its reason. */
START_TEST(more_errors) {
#define H3 "host a 192.0.2.1\nhost b 192.0.2.2\nhost c 192.0.2.3\n"
  static const struct {
    const char *line, *where, *what;
  } bad[] = {
      {"at 1s crash a|", "t.scn:4:13:", "got '' in 'a|'"},
      {"at 1s crash a|b|a", "t.scn:4:13:", "host 'a' named twice in 'a|b|a'"},
      {"link a b mtu 1500..600", "t.scn:4:14:", "reversed range '1500..600'"},
      {"link default latency 1ms oneway", "t.scn:4:26:",
       "the default link has no direction"},
      {"faults 1..3 of crash, between 1s..2s", "t.scn:4:16:",
       "empty name in the list 'crash,'"},
      {"faults 1..3 of crash between 1s..2s on a,a", "t.scn:4:40:",
       "host 'a' named twice"},
      {"faults 3..1 of crash between 1s..2s", "t.scn:4:8:",
       "reversed range '3..1'"},
      {"faults x of crash between 1s..2s", "t.scn:4:8:",
       "expected a number of faults N..M, got 'x'"},
      {"faults 1..3 off crash between 1s..2s", "t.scn:4:13:",
       "expected 'of', got 'off'"},
      {"faults 1..3 of crash betwixt 1s..2s", "t.scn:4:22:",
       "expected 'between', got 'betwixt'"},
      {"faults 1..3 of crash between 1s..2s under a", "t.scn:4:37:",
       "expected 'on' or end of line, got 'under'"},
      {"faults 0 of crash between 1s..2s", "t.scn:4:8:",
       "nothing to draw: at most 0 faults"},
      {"faults 65 of crash between 1s..2s", "t.scn:4:8:",
       "expected at most 64 faults, got '65'"},
      {"host d 192.0.2.4 192.0.2.5 192.0.2.6 192.0.2.7 192.0.2.8",
       "t.scn:4:48:", "expected at most 4 addresses, got '192.0.2.8'"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char text[512];
    snprintf(text, sizeof text, H3 "%s\n", bad[i].line);
    parse_err(text, bad[i].where, bad[i].what);
  }
  char text[1024] = "host a 192.0.2.1";
  for (int i = 0; i < 70; i++)
    strcat(text, " x");
  parse_err(text, "t.scn:1:", "line too long (more than 63 words)");
}
END_TEST

/* A file that is not text, or not a file. */
START_TEST(unreadable_files) {
  char path[] = "/tmp/jsim-parse-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, "host a 192.0.2.1\0\n", 18), 18);
  close(fd);
  char err[512] = "", want[600];
  jsim_scn *s = NULL;
  ck_assert_int_eq(jsim_parse_file(path, jsim_test_programs,
                                   jsim_test_nprograms, &s, err, sizeof err),
                   -1);
  unlink(path);
  snprintf(want, sizeof want, "%s: error: expected text, got a NUL byte",
           path);
  ck_assert_str_eq(err, want);
  ck_assert_int_eq(jsim_parse_file("/tmp", jsim_test_programs,
                                   jsim_test_nprograms, &s, err, sizeof err),
                   -1);
  ck_assert_str_eq(err, "/tmp: error: cannot read");
}
END_TEST

/* Every link option of the good file reaches the model: a run of it is
 * not an error, and the same seed runs the same way again. */
START_TEST(good_file_runs) {
  jsim_scn *s = parse_ok(good);
  jsim_run_opts o = {NULL, NULL, 60, 0};
  jsim_result r1, r2;
  jsim_run_seed(s, 5, &o, &r1);
  jsim_run_seed(s, 5, &o, &r2);
  ck_assert_msg(r1.status != JSIM_ERROR, "%s", r1.msg);
  ck_assert_uint_gt(r1.events, 10);
  ck_assert_uint_eq(r1.fingerprint, r2.fingerprint);
  ck_assert_str_eq(r1.msg, r2.msg);
  jsim_scn_free(s);
}
END_TEST

/* A file bigger than the first 4 KiB buffer reads whole. */
START_TEST(big_file_parses) {
  char path[] = "/tmp/jsim-parse-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  FILE *f = fdopen(fd, "w");
  ck_assert_ptr_nonnull(f);
  for (int i = 0; i < 300; i++)
    fprintf(f, "# comment line %03d, padding the file past 4 KiB ...\n", i);
  fputs(good, f);
  fclose(f);
  char err[512] = "";
  jsim_scn *s = NULL;
  int rc = jsim_parse_file(path, jsim_test_programs, jsim_test_nprograms, &s,
                           err, sizeof err);
  unlink(path);
  ck_assert_msg(rc == 0, "%s", err);
  ck_assert_int_eq(s->nhosts, 3);
  ck_assert_int_eq(s->nruns, 2);
  ck_assert_str_eq(s->runs[1].prog->name, "echo-client");
  jsim_scn_free(s);
  jsim_scn_free(NULL); /* as free(NULL) */
}
END_TEST

/* Fail the Nth allocation (once) for N = 1, 2, ... until parsing needs no
 * more: each failure is an error that says "out of memory" and leaks
 * nothing; the run after the last is a success. */
static long alloc_n, alloc_fail_at;
static void *count_malloc(size_t n) {
  return ++alloc_n == alloc_fail_at ? NULL : malloc(n);
}
static void *count_realloc(void *p, size_t n) {
  return ++alloc_n == alloc_fail_at ? NULL : realloc(p, n);
}

static const char *swarm =
    "seed 1..10\n"
    "host a 192.0.2.1\nhost b 192.0.2.2\nhost c 192.0.2.3\n"
    "link a b latency 1ms..50ms loss 0%..5%\n"
    "run b udp-sink until_ms=2000\n"
    "run a udp-source to=b n=50..60 interval_ms=10\n"
    "at 100ms..900ms crash c|b\n"
    "maybe 50% at 300ms partition a b\n"
    "at 1s partition {a c} {b} oneway\n"
    "faults 2..6 of partition,clog,crash,set-link between 100ms..1500ms "
    "on a,b\n"
    "limit 5s\nexpect b udp-sink count\n";

static void oom_sweep(int from_file, const char *text) {
  char path[] = "/tmp/jsim-parse-XXXXXX";
  if (from_file) {
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    for (int i = 0; i < 100; i++)
      fprintf(f, "# comment line %03d, padding the file past 4 KiB ...\n", i);
    fputs(text, f);
    fclose(f);
  }
  ck_assert_int_eq(jnet_replace_allocator(count_malloc, count_realloc, free),
                   0);
  int failed = 0;
  for (alloc_fail_at = 1;; alloc_fail_at++) {
    char err[512] = "";
    jsim_scn *s = NULL;
    alloc_n = 0;
    int rc = from_file ? jsim_parse_file(path, jsim_test_programs,
                                         jsim_test_nprograms, &s, err,
                                         sizeof err)
                       : jsim_parse_text("t.scn", text, jsim_test_programs,
                                         jsim_test_nprograms, &s, err,
                                         sizeof err);
    if (alloc_n < alloc_fail_at) { /* nothing failed */
      ck_assert_msg(rc == 0, "%s", err);
      jsim_scn_free(s);
      break;
    }
    ck_assert_msg(rc == -1, "allocation %ld failed, yet rc %d", alloc_fail_at,
                  rc);
    ck_assert_msg(strstr(err, "out of memory") || strstr(err, "cannot read"),
                  "allocation %ld: '%s'", alloc_fail_at, err);
    failed++;
  }
  ck_assert_int_gt(failed, 10);
  if (from_file)
    unlink(path);
}

START_TEST(out_of_memory_is_an_error) {
  oom_sweep(0, good);
  oom_sweep(1, good);
  oom_sweep(0, swarm);
  /* Drawing a seed's scenario: NULL and a message, or the scenario. */
  char err[512] = "";
  jsim_scn *sw = NULL;
  alloc_fail_at = 0;
  ck_assert_int_eq(jsim_parse_text("t.scn", swarm, jsim_test_programs,
                                   jsim_test_nprograms, &sw, err, sizeof err),
                   0);
  /* The text of a seed's draws is the same, or none at all. */
  char *ref = NULL, *text = NULL;
  alloc_fail_at = 0;
  ck_assert_int_eq(jsim_write_scn(sw, 3, NULL, &ref, NULL, 0), 0);
  int failed = 0;
  for (alloc_fail_at = 1;; alloc_fail_at++) {
    alloc_n = 0;
    int rc = jsim_write_scn(sw, 3, NULL, &text, NULL, 0);
    if (rc == 0) {
      ck_assert_str_eq(text, ref);
      free(text);
    } else {
      ck_assert_ptr_null(text);
      failed++;
    }
    if (alloc_n < alloc_fail_at)
      break;
  }
  ck_assert_int_ge(failed, 1);
  free(ref);
  failed = 0;
  for (alloc_fail_at = 1;; alloc_fail_at++) {
    alloc_n = 0;
    char drawn[1024];
    jsim_scn *c = jsim_instantiate(sw, 3, drawn, sizeof drawn, err,
                                   sizeof err);
    if (alloc_n < alloc_fail_at) {
      ck_assert_msg(c != NULL, "%s", err);
      ck_assert_int_eq(c->swarm, 0);
      jsim_scn_free(c);
      break;
    }
    ck_assert_msg(c == NULL, "allocation %ld failed, yet a scenario",
                  alloc_fail_at);
    ck_assert_msg(strstr(err, "out of memory") != NULL, "%s", err);
    failed++;
  }
  ck_assert_int_gt(failed, 5);
  jsim_scn_free(sw);
}
END_TEST

END_TEST

START_TEST(ranges) {
  uint64_t lo, hi;
  ck_assert_int_eq(jsim_parse_range("1..1000", &lo, &hi), 0);
  ck_assert_uint_eq(lo, 1);
  ck_assert_uint_eq(hi, 1000);
  ck_assert_int_eq(jsim_parse_range("7", &lo, &hi), 0);
  ck_assert_uint_eq(lo, 7);
  ck_assert_uint_eq(hi, 7);
  ck_assert_int_eq(jsim_parse_range("0..9223372036854775807", &lo, &hi), 0);
  ck_assert_uint_eq(hi, 9223372036854775807ull);
  ck_assert_int_eq(jsim_parse_range("5..4", &lo, &hi), -1);
  ck_assert_int_eq(jsim_parse_range("", &lo, &hi), -1);
  ck_assert_int_eq(jsim_parse_range("1..", &lo, &hi), -1);
  ck_assert_int_eq(jsim_parse_range("-1..3", &lo, &hi), -1);
  ck_assert_int_eq(jsim_parse_range("1..9223372036854775808", &lo, &hi), -1);
  uint64_t ns;
  ck_assert_int_eq(jsim_parse_duration("30s", &ns), 0);
  ck_assert_uint_eq(ns, 30000000000ull);
  ck_assert_int_eq(jsim_parse_duration("2m", &ns), 0);
  ck_assert_uint_eq(ns, 120000000000ull);
  ck_assert_int_eq(jsim_parse_duration("15us", &ns), 0);
  ck_assert_uint_eq(ns, 15000);
  ck_assert_int_eq(jsim_parse_duration("3 s", &ns), -1);
  ck_assert_int_eq(jsim_parse_duration("s", &ns), -1);
}
END_TEST

START_TEST(shard_parse) {
  uint64_t k, n;
  ck_assert_int_eq(jsim_parse_shard("1/3", &k, &n), 0);
  ck_assert_uint_eq(k, 1);
  ck_assert_uint_eq(n, 3);
  ck_assert_int_eq(jsim_parse_shard("3/3", &k, &n), 0);
  ck_assert_int_eq(jsim_parse_shard("0/3", &k, &n), -1);
  ck_assert_int_eq(jsim_parse_shard("4/3", &k, &n), -1);
  ck_assert_int_eq(jsim_parse_shard("1/0", &k, &n), -1);
  ck_assert_int_eq(jsim_parse_shard("x/y", &k, &n), -1);
  ck_assert_int_eq(jsim_parse_shard("1/", &k, &n), -1);
  ck_assert_int_eq(jsim_parse_shard("2", &k, &n), -1);
  /* N is digits only: no sign, no blank (strtoull would take them). */
  ck_assert_int_eq(jsim_parse_shard("1/+3", &k, &n), -1);
  ck_assert_int_eq(jsim_parse_shard("1/ 3", &k, &n), -1);
  ck_assert_int_eq(jsim_parse_shard("1/-3", &k, &n), -1);
}
END_TEST

/* Shards of lo..hi: disjoint, union = range, sizes differ by at most 1. */
static void check_partition(uint64_t lo, uint64_t hi, uint64_t n) {
  uint64_t len = hi - lo + 1;
  unsigned char *seen = calloc(len, 1);
  uint64_t min = UINT64_MAX, max = 0, total = 0;
  for (uint64_t k = 1; k <= n; k++) {
    uint64_t c = jsim_shard_count(lo, hi, k, n);
    min = c < min ? c : min;
    max = c > max ? c : max;
    total += c;
    uint64_t prev = 0;
    for (uint64_t i = 0; i < c; i++) {
      uint64_t s = jsim_shard_seed(lo, k, n, i);
      ck_assert(s >= lo && s <= hi);
      ck_assert((s - lo) % n == k - 1);
      if (i > 0)
        ck_assert(s > prev);
      prev = s;
      ck_assert_msg(!seen[s - lo], "seed %llu twice", (unsigned long long)s);
      seen[s - lo] = 1;
    }
  }
  ck_assert_uint_eq(total, len);
  for (uint64_t i = 0; i < len; i++)
    ck_assert(seen[i]);
  ck_assert(max - min <= 1);
  free(seen);
}

START_TEST(shard_partition) {
  check_partition(1, 1000, 4);  /* divides */
  check_partition(1, 1000, 7);  /* does not */
  check_partition(5, 7, 10);    /* N > length: some shards empty */
  check_partition(0, 0, 1);
  check_partition(100, 163, 64);
  /* Huge ranges are never materialised. */
  uint64_t lo = 0, hi = 9223372036854775807ull;
  ck_assert_uint_eq(jsim_shard_count(lo, hi, 1, 2), 4611686018427387904ull);
  ck_assert_uint_eq(jsim_shard_seed(lo, 2, 2, 4611686018427387903ull), hi);
}
END_TEST

/* `host NAME ADDR tcp cubic|newreno` picks the host's congestion control;
 * anything else after `tcp` is an error at that word. */
START_TEST(host_tcp_option) {
  jsim_scn *s = parse_ok("host a 192.0.2.1 tcp newreno\n"
                         "host b 192.0.2.2 [2001:db8::2] tcp cubic\n"
                         "host c 192.0.2.3\nrun a flaky\n");
  ck_assert_str_eq(s->hosts[0].tcp_cc, "newreno");
  ck_assert_int_eq(s->hosts[0].naddrs, 1);
  ck_assert_str_eq(s->hosts[1].tcp_cc, "cubic");
  ck_assert_int_eq(s->hosts[1].naddrs, 2);
  ck_assert_str_eq(s->hosts[2].tcp_cc, "");
  jsim_scn_free(s);
  parse_err("host a 192.0.2.1 tcp reno\n", "t.scn:1:22:", "'reno'");
  parse_err("host a 192.0.2.1 tcp\n", "t.scn:1:", "congestion control");
}
END_TEST

/* A host name is letters, digits, '-', '_' and '.' (as the error says):
 * each of them is taken, the characters just outside those ranges in
 * ASCII are not, and the name is kept as written. */
START_TEST(host_names_are_letters_digits_dash_underscore_and_dot) {
  const char *ok =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
  for (const char *c = ok; *c; c++) {
    char text[64], name[4] = {'h', *c, 'x', 0};
    snprintf(text, sizeof text, "host %s 192.0.2.1\nrun %s flaky\n", name,
             name);
    jsim_scn *s = parse_ok(text);
    ck_assert_str_eq(s->hosts[0].name, name);
    jsim_scn_free(s);
  }
  for (const char *c = "@[`/:,!"; *c; c++) { /* { } | group hosts */
    char text[64];
    snprintf(text, sizeof text, "host h%cx 192.0.2.1\n", *c);
    parse_err(text, "t.scn:1:6:", "expected a host name");
  }
}
END_TEST

/* --- br-tools: every mistake at its word, and the odd good file --- */

/* n copies of unit (after head), then tail, into buf. */
static const char *repeat(char *buf, size_t len, const char *head,
                          const char *unit, int n, const char *tail) {
  snprintf(buf, len, "%s", head);
  for (int i = 0; i < n; i++)
    strncat(buf, unit, len - strlen(buf) - 1);
  strncat(buf, tail, len - strlen(buf) - 1);
  return buf;
}

/* Line 4 of a file whose first three lines are good. */
START_TEST(each_bad_word_is_named_where_it_is) {
#define H2 "host a 192.0.2.1\nhost b 192.0.2.2\nrun a args n=1\n"
  static const struct {
    const char *line, *where, *what;
  } bad[] = {
      {"link a b latency 1e999ms", "t.scn:4:18:", "got '1e999ms'"},
      {"limit 1e19s", "t.scn:4:7:", "time out of range"},
      {"at 1e19s crash a", "t.scn:4:4:", "'1e19s': out of bounds"},
      {"link a b loss abc", "t.scn:4:15:",
       "expected a percentage such as 0.5%, got 'abc'"},
      {"link a b latency 1ms..xs", "t.scn:4:18:",
       "or a range such as 1ms..50ms, got '1ms..xs'"},
      {"link a b reorder x", "t.scn:4:18:", "percentage such as 0.5%, got 'x'"},
      {"link a b reorder 1% by x", "t.scn:4:24:", "a time such as 5ms"},
      {"link a b mtu", "t.scn:4:13:",
       "expected an MTU from 576 to 65535, got end of line"},
      {"link a b mtu 600..x", "t.scn:4:14:", "MTU from 576 to 65535"},
      {"link a b mtu x..600", "t.scn:4:14:", "MTU from 576 to 65535"},
      {"link a b mtu 600..70000", "t.scn:4:14:", "got '600..70000'"},
      {"link a b mtu 500", "t.scn:4:14:", "got '500'"},
      {"link a b burst x 1%", "t.scn:4:16:", "percentage such as 0.5%, got 'x'"},
      {"link a b burst 1% x", "t.scn:4:19:", "percentage such as 0.5%, got 'x'"},
      {"link a b burst 1% 2% bad-loss x", "t.scn:4:31:", "got 'x'"},
      {"run b args n=5..3", "t.scn:4:12:",
       "reversed range 'n=5..3': the low end comes first"},
      {"at 1s set link a b bogus", "t.scn:4:20:",
       "expected a link option (latency"},
      {"at 1s set a b", "t.scn:4:11:", "expected 'link', got 'a'"},
      {"limit 1s events", "t.scn:4:16:",
       "expected a number of events, got end of line"},
      {"limit 1s events x", "t.scn:4:17:", "expected a number of events"},
      {"limit 1s often", "t.scn:4:10:",
       "expected 'events' or end of line, got 'often'"},
      {"expect linearizable now", "t.scn:4:21:", "expected end of line"},
      {"expect", "t.scn:4:7:", "expected a host name, got end of line"},
      {"run b", "t.scn:4:6:", "expected a program name, got end of line"},
      {"faults 1..2 of", "t.scn:4:15:",
       "expected a comma-separated list, got end of line"},
      {"faults", "t.scn:4:7:", "expected a number of faults N..M, got end"},
      {"faults 5..x of crash between 1s..2s", "t.scn:4:8:",
       "expected a number of faults N..M, got '5..x'"},
      {"faults 1..2 of partition between 1s..2s on a", "t.scn:4:44:",
       "nothing to draw from: 1 host for faults between two hosts"},
      {"host t tcp cubic", "t.scn:4:8:", "address, got 'tcp'"},
      {"host t 192.0.2.9 tcp reno", "t.scn:4:22:",
       "expected a TCP congestion control (cubic, newreno), got 'reno'"},
      {"host a$ 192.0.2.9", "t.scn:4:6:", "expected a host name"},
      {"seed", "t.scn:4:5:", "expected seeds A..B"},
      {"seed 12345678901234567890", "t.scn:4:6:", "got '1234567890"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char text[512];
    snprintf(text, sizeof text, H2 "%s\n", bad[i].line);
    parse_err(text, bad[i].where, bad[i].what);
  }
  /* Words too long for what they must be, each named. */
  char text[4096], line[2048];
  repeat(line, sizeof line, "link a b latency ", "1", 70, "ms\n");
  parse_err(strcat(strcpy(text, H2), line), "t.scn:4:18:", "got '1111");
  repeat(line, sizeof line, "at 1s crash ", "a|", 130, "a\n");
  parse_err(strcat(strcpy(text, H2), line), "t.scn:4:13:",
            "expected hosts a|b|..., got 'a|a|");
  repeat(line, sizeof line, "host ", "x", 70, " 192.0.2.9\n");
  parse_err(line, "t.scn:1:6:", "expected a host name");
  repeat(line, sizeof line, "host c ", "1:", 25, "1\n");
  parse_err(line, "t.scn:1:8:", "expected an IPv4 or [IPv6] address");
  repeat(line, sizeof line, "seed ", "1", 70, "\n");
  parse_err(line, "t.scn:1:6:", "expected seeds A..B");
  repeat(line, sizeof line, "faults ", "1", 70, "\n");
  parse_err(strcat(strcpy(text, H2), line), "t.scn:4:8:",
            "expected a number of faults N..M");
  repeat(line, sizeof line, "faults 1..2 of ", "crash,", 50,
         "crash between 1s..2s\n");
  parse_err(strcat(strcpy(text, H2), line), "t.scn:4:16:",
            "expected a comma-separated list");
  /* 17 choices (at most 16) */
  repeat(text, sizeof text, "", "", 0, "");
  for (int k = 0; k <= 16; k++) {
    snprintf(line, sizeof line, "host h%d 10.0.0.%d\n", k, k + 1);
    strcat(text, line);
  }
  strcat(text, "run h0 args n=1\nat 1s crash ");
  for (int k = 0; k <= 16; k++) {
    snprintf(line, sizeof line, "%sh%d", k ? "|" : "", k);
    strcat(text, line);
  }
  parse_err(strcat(text, "\n"), "t.scn:19:13:",
            "expected at most 16 choices, got 'h0|h1|");
  /* The options past 16 that add one (mtu) or three (burst) at once. */
  repeat(line, sizeof line, "link a b", " latency 1ms", 16, " mtu 1400\n");
  parse_err(strcat(strcpy(text, H2), line), "t.scn:4:202:",
            "too many link options");
  repeat(line, sizeof line, "link a b", " latency 1ms", 14, " burst 1% 2%\n");
  parse_err(strcat(strcpy(text, H2), line), "t.scn:4:178:",
            "too many link options");
  repeat(line, sizeof line, "link a b", " latency 1ms", 14,
         " burst 1% 2% bad-loss 3%\n");
  parse_err(strcat(strcpy(text, H2), line), "t.scn:4:178:",
            "too many link options");
  /* Before any host, a generator has nothing to draw from. */
  parse_err("faults 1..2 of crash between 1s..2s\n" H2, "t.scn:1:16:",
            "nothing to draw from: 0 hosts for any fault");
  parse_err("host a 192.0.2.1\n", "t.scn:2:1:",
            "expected at least one `host` and one `run` line");
}
END_TEST

/* A shard or range whose numbers overflow is refused. */
START_TEST(overflowing_shards_are_refused) {
  uint64_t k, n;
  ck_assert_int_lt(jsim_parse_shard("99999999999999999999/3", &k, &n), 0);
  ck_assert_int_lt(jsim_parse_shard("1/99999999999999999999", &k, &n), 0);
  ck_assert_int_eq(jsim_parse_shard("2/18446744073709551615", &k, &n), 0);
  ck_assert_uint_eq(n, UINT64_MAX);
}
END_TEST

/* A message longer than the caller's buffer is cut, not overrun. */
START_TEST(a_short_error_buffer_gets_a_cut_message) {
  char err[16];
  memset(err, 'z', sizeof err);
  jsim_scn *s = NULL;
  ck_assert_int_eq(jsim_parse_text("t.scn", "bogus 1\n", jsim_test_programs,
                                   jsim_test_nprograms, &s, err, 12),
                   -1);
  ck_assert_ptr_null(s);
  ck_assert_str_eq(err, "t.scn:1:1: ");
  ck_assert_int_eq(err[12], 'z');
}
END_TEST

/* Good files with what a text editor leaves: CRLF ends, tabs, a comment
 * against a word, groups written without blanks; `seeds`; an MTU range and
 * a key=LO..HI argument draw per seed; key=1..x is a plain value; lines
 * up to 1024 characters (the writer of swarm draws and shrinks writes them
 * back whole). */
START_TEST(odd_but_good_files_parse) {
  jsim_scn *s = parse_ok("host a 192.0.2.1\r\nhost b 192.0.2.2\r\n"
                         "run a args n=1\r\n");
  ck_assert_int_eq(s->nhosts, 2);
  ck_assert_str_eq(s->hosts[1].addrs[0], "192.0.2.2");
  jsim_scn_free(s);
  s = parse_ok("host\ta\t192.0.2.1# c\nhost b 192.0.2.2\nrun a args n=1\n"
               "at 1s partition {a}{b}\nseeds 1..5\n");
  ck_assert_str_eq(s->hosts[0].addrs[0], "192.0.2.1");
  ck_assert_int_eq(s->nevents, 1);
  ck_assert_int_eq(s->events[0].kind, JSIM_EV_PARTITION_GROUPS);
  ck_assert_int_eq(s->events[0].nga, 1);
  ck_assert_int_eq(s->events[0].ngb, 1);
  ck_assert_uint_eq(s->seed_lo, 1);
  ck_assert_uint_eq(s->seed_hi, 5);
  jsim_scn_free(s);
  s = parse_ok(H2 "link a b mtu 600..1400\nrun b args n=1..x\n");
  ck_assert_int_eq(s->swarm, 1);
  ck_assert_int_eq(s->links[0].opts[0].ranged, 1);
  ck_assert_int_eq(s->runs[1].args[0].ranged, 0);
  ck_assert_str_eq(s->runs[1].args[0].value, "1..x");
  jsim_scn_free(s);
  /* 1024 characters on a line (a comment past them aside) parse; 1025
   * are refused at the word that crosses the limit */
  char text[4096], line[2048];
  repeat(line, sizeof line, "run b args n=1 k=", "v", 1024 - 17, " # ");
  repeat(text, sizeof text, H2, "", 0, line);
  strcat(text, "a comment that runs on past the limit\n");
  s = parse_ok(text);
  ck_assert_int_eq((int)strlen(s->runs[1].args[1].value), 1024 - 17);
  jsim_scn_free(s);
  repeat(line, sizeof line, "run b args n=1 k=", "v", 1025 - 17, "\n");
  parse_err(strcat(strcpy(text, H2), line), "t.scn:4:16:",
            "line too long (more than 1024 characters)");
}
END_TEST

int main(void) {
  Suite *s = suite_create("scenario-parse");
  jc_defaults(0, NULL, NULL);
  JC_TEST(s, good_file);
  JC_TEST(s, defaults);
  JC_TEST(s, errors);
  JC_TEST(s, ranges);
  JC_TEST(s, shard_parse);
  JC_TEST(s, shard_partition);
  JC_TEST(s, host_tcp_option);
  JC_TEST(s, host_names_are_letters_digits_dash_underscore_and_dot);
  JC_TEST(s, too_many_link_options);
  JC_TEST(s, more_errors);
  JC_TEST(s, good_file_runs);
  JC_TEST(s, unreadable_files);
  JC_TEST(s, big_file_parses);
  JC_TEST(s, out_of_memory_is_an_error);
  JC_TEST(s, each_bad_word_is_named_where_it_is);
  JC_TEST(s, a_short_error_buffer_gets_a_cut_message);
  JC_TEST(s, odd_but_good_files_parse);
  JC_TEST(s, overflowing_shards_are_refused);
  return jc_run(s);
}
