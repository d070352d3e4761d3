/* scenario_shard.c — shard arithmetic: shards are disjoint, cover the
 * range, are balanced (sizes differ by at most one), work when N does not
 * divide the length and when N exceeds it, and never list the range. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jnet/jnet_history.h>

#include "jsim_scn.h"
#include "jnet_check.h"

static void check_partition(uint64_t lo, uint64_t hi, uint64_t n) {
  uint64_t len = hi - lo + 1;
  unsigned char *seen = calloc(len, 1);
  uint64_t minc = UINT64_MAX, maxc = 0, total = 0;
  for (uint64_t k = 1; k <= n; k++) {
    uint64_t c = jsim_shard_count(lo, hi, k, n);
    minc = c < minc ? c : minc;
    maxc = c > maxc ? c : maxc;
    total += c;
    for (uint64_t i = 0; i < c; i++) {
      uint64_t s = jsim_shard_seed(lo, k, n, i);
      ck_assert_uint_ge(s, lo);
      ck_assert_uint_le(s, hi);
      ck_assert_msg(!seen[s - lo], "seed %llu in two shards",
                    (unsigned long long)s);
      seen[s - lo] = 1;
    }
  }
  ck_assert_uint_eq(total, len);
  for (uint64_t i = 0; i < len; i++)
    ck_assert_msg(seen[i], "seed %llu in no shard",
                  (unsigned long long)(lo + i));
  ck_assert_uint_le(maxc - minc, 1);
  free(seen);
}

START_TEST(partition_divides) { check_partition(1, 300, 3); }
END_TEST

START_TEST(partition_not_dividing) {
  check_partition(1, 10, 3);
  check_partition(5, 1004, 7);
  check_partition(0, 0, 1);
}
END_TEST

START_TEST(partition_more_shards_than_seeds) {
  check_partition(10, 12, 8);
  ck_assert_uint_eq(jsim_shard_count(10, 12, 4, 8), 0);
  ck_assert_uint_eq(jsim_shard_count(10, 12, 3, 8), 1);
}
END_TEST

START_TEST(huge_range_is_not_listed) {
  uint64_t hi = (1ull << 63) - 1;
  ck_assert_uint_eq(jsim_shard_count(0, hi, 1, 2), 1ull << 62);
  ck_assert_uint_eq(jsim_shard_count(0, hi, 2, 2), 1ull << 62);
  ck_assert_uint_eq(jsim_shard_seed(0, 2, 2, (1ull << 62) - 1), hi);
}
END_TEST

START_TEST(parse_shard_good_and_bad) {
  uint64_t k, n;
  ck_assert_int_eq(jsim_parse_shard("1/3", &k, &n), 0);
  ck_assert_uint_eq(k, 1);
  ck_assert_uint_eq(n, 3);
  ck_assert_int_eq(jsim_parse_shard("3/3", &k, &n), 0);
  const char *bad[] = {"0/3", "4/3", "1/0", "x/y", "1/", "/3", "1/3x",
                       "-1/3", "", "3"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ck_assert_msg(jsim_parse_shard(bad[i], &k, &n) < 0, "accepted '%s'",
                  bad[i]);
}
END_TEST

START_TEST(parse_range_good_and_bad) {
  uint64_t lo, hi;
  ck_assert_int_eq(jsim_parse_range("1..1000", &lo, &hi), 0);
  ck_assert_uint_eq(lo, 1);
  ck_assert_uint_eq(hi, 1000);
  ck_assert_int_eq(jsim_parse_range("7", &lo, &hi), 0);
  ck_assert_uint_eq(lo + hi, 14);
  ck_assert_int_eq(jsim_parse_range("0..9223372036854775807", &lo, &hi), 0);
  const char *bad[] = {"5..4", "..", "1..", "..3", "a..b", "-1..3",
                       "0..9223372036854775808", "", "1...3"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ck_assert_msg(jsim_parse_range(bad[i], &lo, &hi) < 0, "accepted '%s'",
                  bad[i]);
}
END_TEST

/* JUnit counts a failed check and a nondeterministic seed as failures, a
 * timeout and an error as errors, and a pass as neither. */
START_TEST(junit_counts_failures_and_errors) {
  jsim_result res[5];
  memset(res, 0, sizeof res);
  int st[5] = {JSIM_PASS, JSIM_FAIL, JSIM_TIMEOUT, JSIM_NONDET, JSIM_ERROR};
  for (int i = 0; i < 5; i++) {
    res[i].seed = (uint64_t)i + 1;
    res[i].status = st[i];
    snprintf(res[i].msg, sizeof res[i].msg, "result %d", i);
  }
  jsim_report rp;
  memset(&rp, 0, sizeof rp);
  rp.scenario = "x.scn";
  rp.lo = 1;
  rp.hi = 6;
  rp.shard_k = rp.shard_n = 1;
  rp.planned = 6;
  rp.nres = 5;
  rp.res = res;
  rp.argv0 = "jnet-sim";
  char path[] = "/tmp/jsim-junit-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  close(fd);
  ck_assert_int_eq(jsim_write_junit(path, &rp), 0);
  FILE *f = fopen(path, "r");
  ck_assert_ptr_nonnull(f);
  char xml[8192];
  size_t n = fread(xml, 1, sizeof xml - 1, f);
  xml[n] = 0;
  fclose(f);
  unlink(path);
  ck_assert_msg(strstr(xml, "tests=\"5\" failures=\"2\" errors=\"2\" "
                            "skipped=\"1\"") != NULL,
                "%s", xml);
}
END_TEST

/* A linearizability summary fits any buffer as snprintf does: a prefix of
 * the whole, always terminated (one byte holds the empty string); cut
 * short in a buffer of more than 4 bytes, a violation ends in "...". */
static void summary_fits(const jnet_lin_result *r) {
  char whole[1024], buf[1024];
  jsim_lin_summary(r, whole, sizeof whole);
  size_t n = strlen(whole);
  ck_assert_uint_gt(n, 10);
  for (size_t len = 1; len <= n + 1; len++) {
    memset(buf, 'x', sizeof buf);
    jsim_lin_summary(r, buf, len);
    ck_assert_uint_eq(strlen(buf), len - 1 < n ? len - 1 : n);
    size_t same = strlen(buf);
    if (!r->linearizable && len - 1 < n && len > 4) {
      ck_assert_str_eq(buf + len - 4, "...");
      same -= 3;
    }
    ck_assert(strncmp(buf, whole, same) == 0);
  }
  buf[0] = 'x';
  jsim_lin_summary(r, buf, 0); /* writes nothing */
  ck_assert_int_eq(buf[0], 'x');
}

#define LINE(p, type, f, value, t)                                           \
  "{\"process\":" #p ",\"type\":\"" type "\",\"f\":\"" f "\",\"key\":\"k\"," \
  "\"value\":" value ",\"time\":" #t "}\n"

START_TEST(lin_summary_fits_any_buffer) {
  static const char *texts[] = {
      LINE(0, "invoke", "write", "1", 0) LINE(0, "ok", "write", "1", 10)
          LINE(1, "invoke", "read", "null", 20) LINE(1, "ok", "read", "1", 30),
      LINE(0, "invoke", "write", "1", 0) LINE(0, "ok", "write", "1", 10)
          LINE(2, "invoke", "write", "5", 11) LINE(2, "ok", "write", "5", 12)
              LINE(1, "invoke", "read", "null", 20)
                  LINE(1, "ok", "read", "null", 30),
      LINE(0, "invoke", "write", "1", 0) LINE(0, "ok", "write", "1", 10)
          LINE(1, "invoke", "cas", "[1,2]", 20) LINE(1, "ok", "cas", "[1,2]", 30)
              LINE(2, "invoke", "read", "null", 40)
                  LINE(2, "ok", "read", "null", 50)};
  for (int i = 0; i < 3; i++) {
    jnet_history *h;
    char err[256] = "";
    ck_assert_msg(jnet_history_parse(&h, "h.jsonl", texts[i],
                                     strlen(texts[i]), err, sizeof err) == 0,
                  "%s", err);
    jnet_lin_result r;
    ck_assert_int_eq(jnet_history_check(h, &r), i == 0);
    char whole[1024];
    jsim_lin_summary(&r, whole, sizeof whole);
    ck_assert_ptr_nonnull(strstr(whole, i == 0 ? "linearizable (2 operations"
                                               : "not linearizable: key \"k\""));
    if (i == 2)
      ck_assert_msg(strstr(whole, "p1 cas 1->2 ok 0.000000s..0.000000s") !=
                        NULL,
                    "%s", whole);
    summary_fits(&r);
    jnet_lin_result_free(&r);
    jnet_history_free(h);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("scenario-shard");
  jc_defaults(0, NULL, NULL);
  JC_TEST(s, partition_divides);
  JC_TEST(s, partition_not_dividing);
  JC_TEST(s, partition_more_shards_than_seeds);
  JC_TEST(s, huge_range_is_not_listed);
  JC_TEST(s, parse_shard_good_and_bad);
  JC_TEST(s, parse_range_good_and_bad);
  JC_TEST(s, junit_counts_failures_and_errors);
  JC_TEST(s, lin_summary_fits_any_buffer);
  return jc_run(s);
}
