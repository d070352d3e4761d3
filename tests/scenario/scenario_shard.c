/* scenario_shard.c — shard arithmetic: shards are disjoint, cover the
 * range, are balanced (sizes differ by at most one), work when N does not
 * divide the length and when N exceeds it, and never list the range. */
#include <check.h>
#include <stdlib.h>

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

int main(void) {
  Suite *s = suite_create("scenario-shard");
  jc_defaults(0, NULL, NULL);
  JC_TEST(s, partition_divides);
  JC_TEST(s, partition_not_dividing);
  JC_TEST(s, partition_more_shards_than_seeds);
  JC_TEST(s, huge_range_is_not_listed);
  JC_TEST(s, parse_shard_good_and_bad);
  JC_TEST(s, parse_range_good_and_bad);
  return jc_run(s);
}
