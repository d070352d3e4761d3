/* test_history.c — jnet_history.h: recording under the format's rules, JSON
 * Lines in and out, and the linearizability checker against known
 * histories, against a brute-force checker on random small ones, and on
 * 10,000 operations from 5 processes.
 */
#include <check.h>
#include "jnet_check.h"
#include <stdlib.h>
#include <string.h>

#include "histgen.h"
#include <jnet/jnet.h>
#include <jnet/jnet_history.h>

/* ---- Helpers
 * ------------------------------------------------------------------ */

static jnet_history *parse_ok(const char *text) {
  jnet_history *h = NULL;
  char err[300];
  int rc = jnet_history_parse(&h, "t", text, strlen(text), err, sizeof err);
  ck_assert_msg(rc == 0, "parse failed: %s", err);
  return h;
}

/* 1 linearizable, 0 not; the result stays in *r if r is not NULL. */
static int check_text(const char *text, jnet_lin_result *r) {
  jnet_history *h = parse_ok(text);
  jnet_lin_result mine;
  jnet_lin_result *res = r ? r : &mine;
  int rc = jnet_history_check(h, res);
  ck_assert_int_ge(rc, 0);
  ck_assert_int_eq(rc, res->linearizable);
  if (r == NULL)
    jnet_lin_result_free(&mine);
  jnet_history_free(h);
  return rc;
}

/* A history in short: events "p type f key value time" separated by ';',
 * key and value in JSON with ' for " ("1 ok read 'k' null 30"), made into
 * the JSON Lines jnet_history_parse reads. The result lives in one of four
 * static buffers: a test holds at most four at once. */
static const char *hj(const char *s) {
  static char bufs[4][8192];
  static unsigned next;
  char *out = bufs[next++ % 4];
  size_t n = 0;
  out[0] = '\0';
  while (*s != '\0') {
    char tok[6][256];
    int used = 0;
    int got = sscanf(s, " %255s %255s %255s %255s %255s %255[^; ]%n", tok[0],
                     tok[1], tok[2], tok[3], tok[4], tok[5], &used);
    ck_assert_msg(got == 6, "short history: bad event at \"%.40s\"", s);
    for (int i = 3; i <= 4; i++)
      for (char *c = tok[i]; *c; c++)
        if (*c == '\'')
          *c = '"';
    int w = snprintf(out + n, sizeof bufs[0] - n,
                     "{\"process\":%s,\"type\":\"%s\",\"f\":\"%s\",\"key\":%s,"
                     "\"value\":%s,\"time\":%s}\n",
                     tok[0], tok[1], tok[2], tok[3], tok[4], tok[5]);
    ck_assert(w > 0 && (size_t)w < sizeof bufs[0] - n);
    n += (size_t)w;
    s += used;
    while (*s == ' ' || *s == ';')
      s++;
  }
  return out;
}

/* One line of history: p type f key value time. */
#define L(p, type, f, key, value, t)                                           \
  "{\"process\":" #p ",\"type\":\"" type "\",\"f\":\"" f "\",\"key\":" key     \
  ",\"value\":" value ",\"time\":" #t "}\n"

/* ---- Recording
 * ----------------------------------------------------------------- */

START_TEST(record_rules) {
  jnet_history *h;
  ck_assert_int_eq(jnet_history_new(&h), 0);
  int64_t p = jnet_history_process(h), q = jnet_history_process(h);
  ck_assert_int_eq(p, 0);
  ck_assert_int_eq(q, 1);
  ck_assert_int_eq(jnet_history_invoke(h, p, JNET_HIST_WRITE, "k",
                                       jnet_hv_str("a"), jnet_hv_null()),
                   0);
  /* A second operation while one is open. */
  ck_assert_int_eq(jnet_history_invoke(h, p, JNET_HIST_READ, "k",
                                       jnet_hv_null(), jnet_hv_null()),
                   JNET_EBUSY);
  ck_assert_ptr_nonnull(jnet_history_misuse(h));
  /* A completion with nothing open. */
  ck_assert_int_eq(jnet_history_ok(h, q, jnet_hv_null()), JNET_EINVAL);
  ck_assert_int_eq(jnet_history_ok(h, p, jnet_hv_null()), 0);
  ck_assert_int_eq(jnet_history_invoke(h, q, JNET_HIST_CAS, "k",
                                       jnet_hv_str("a"), jnet_hv_num(2)),
                   0);
  ck_assert_int_eq(jnet_history_info(h, q), 0);
  /* After its info, a process id is never used again. */
  ck_assert_int_eq(jnet_history_invoke(h, q, JNET_HIST_READ, "k",
                                       jnet_hv_null(), jnet_hv_null()),
                   JNET_EINVAL);
  ck_assert_int_eq(jnet_history_process(h), 2);
  ck_assert_int_eq(jnet_history_invoke(h, p, JNET_HIST_WRITE, "k",
                                       jnet_hv_num(0.0 / 0.0), jnet_hv_null()),
                   JNET_EINVAL);
  ck_assert_uint_eq(jnet_history_count(h), 4);
  jnet_history_event e;
  ck_assert_int_eq(jnet_history_get(h, 1, &e), 0);
  ck_assert_int_eq(e.type, JNET_HIST_OK);
  ck_assert_int_eq(e.f, JNET_HIST_WRITE); /* the completion names its op */
  ck_assert_str_eq(e.key, "k");
  ck_assert_str_eq(e.value.str, "a");
  ck_assert_int_eq(jnet_history_get(h, 4, &e), JNET_EINVAL);
  /* Hand-made events must not go back in time. */
  jnet_history_event back = {9,   JNET_HIST_INVOKE, JNET_HIST_READ,
                             "k", jnet_hv_null(),   jnet_hv_null(),
                             -5};
  ck_assert_int_eq(jnet_history_add(h, &back), JNET_EINVAL);
  jnet_history_free(h);
}
END_TEST

START_TEST(write_then_parse_round_trip) {
  jnet_history *h;
  ck_assert_int_eq(jnet_history_new(&h), 0);
  jnet_history_event evs[] = {
      {0, JNET_HIST_INVOKE, JNET_HIST_WRITE, "k\"1\\", jnet_hv_str("a\nb"),
       jnet_hv_null(), 10},
      {1, JNET_HIST_INVOKE, JNET_HIST_CAS, "k2", jnet_hv_num(1.5),
       jnet_hv_null(), 11},
      {0, JNET_HIST_OK, JNET_HIST_WRITE, "k\"1\\", jnet_hv_str("a\nb"),
       jnet_hv_null(), 12},
      {1, JNET_HIST_FAIL, JNET_HIST_CAS, "k2", jnet_hv_num(1.5), jnet_hv_null(),
       12},
  };
  for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
    ck_assert_int_eq(jnet_history_add(h, &evs[i]), 0);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  ck_assert_int_eq(jnet_history_write(h, f), 0);
  fclose(f);
  ck_assert_ptr_nonnull(strstr(buf, "\"value\":[1.5,null]"));
  ck_assert_ptr_nonnull(strstr(buf, "\"key\":\"k\\\"1\\\\\""));
  jnet_history *back = parse_ok(buf);
  ck_assert_uint_eq(jnet_history_count(back), 4);
  jnet_history_event e;
  jnet_history_get(back, 0, &e);
  ck_assert_str_eq(e.key, "k\"1\\");
  ck_assert_str_eq(e.value.str, "a\nb");
  jnet_history_get(back, 1, &e);
  ck_assert_int_eq(e.value.kind, JNET_HV_NUMBER);
  ck_assert(e.value.num == 1.5);
  ck_assert_int_eq(e.value2.kind, JNET_HV_NULL);
  ck_assert_int_eq(jnet_history_line(back, 3), 4);
  free(buf);
  jnet_history_free(back);
  jnet_history_free(h);
}
END_TEST

/* ---- Known histories
 * -------------------------------------------------------------- */

START_TEST(design_example_is_linearizable) {
  const char *t =
      hj("0 invoke write 'k1' 'v1' 1200000; 0 ok write 'k1' 'v1' 3400000; "
         "1 invoke read 'k1' null 3500000; 1 ok read 'k1' 'v1' 5100000; "
         "2 invoke cas 'k1' ['v1','v2'] 5200000; 2 info cas 'k1' ['v1','v2'] "
         "9900000");
  jnet_lin_result r;
  ck_assert_int_eq(check_text(t, &r), 1);
  ck_assert_uint_eq(r.nops, 3);
  ck_assert_uint_eq(r.nkeys, 1);
  jnet_lin_result_free(&r);
  ck_assert_int_eq(check_text("", NULL), 1); /* empty: linearizable */
}
END_TEST

START_TEST(stale_read_is_not) {
  const char *t = hj("0 invoke write 'x' 1 0; 0 ok write 'x' 1 10; "
                     "1 invoke read 'x' null 20; 1 ok read 'x' null 30");
  jnet_lin_result r;
  ck_assert_int_eq(check_text(t, &r), 0);
  ck_assert_str_eq(r.key, "x");
  ck_assert_uint_eq(jnet_history_count(r.sub), 4);
  ck_assert_uint_eq(r.nevents, 4);
  jnet_lin_result_free(&r);
}
END_TEST

/* Porcupine's README example: a register starting at 0. */
START_TEST(porcupine_register_examples) {
  const char *ok = hj("0 invoke write 1 0 0; 0 ok write 1 0 0; "
                      "1 invoke write 1 100 10; 2 invoke read 1 null 35; "
                      "3 invoke read 1 null 40; 3 ok read 1 0 70; "
                      "2 ok read 1 100 85; 1 ok write 1 100 110");
  ck_assert_int_eq(check_text(ok, NULL), 1);
  const char *bad = hj("0 invoke write 1 0 0; 0 ok write 1 0 0; "
                       "1 invoke write 1 200 10; 2 invoke read 1 null 20; "
                       "2 ok read 1 200 40; 3 invoke read 1 null 50; "
                       "3 ok read 1 0 100; 1 ok write 1 200 110");
  ck_assert_int_eq(check_text(bad, NULL), 0);
}
END_TEST

START_TEST(concurrent_reads_see_one_order) {
  /* Two writes overlap; readers may see either, but not both orders. */
  const char *both = hj("0 invoke write 'k' 'a' 0; 1 invoke write 'k' 'b' 0; "
                        "2 invoke read 'k' null 1; 2 ok read 'k' 'a' 2; "
                        "2 invoke read 'k' null 3; 2 ok read 'k' 'b' 4; "
                        "3 invoke read 'k' null 5; 3 ok read 'k' 'a' 6; "
                        "0 ok write 'k' 'a' 10; 1 ok write 'k' 'b' 10");
  ck_assert_int_eq(check_text(both, NULL), 0);
  const char *one = hj("0 invoke write 'k' 'a' 0; 1 invoke write 'k' 'b' 0; "
                       "2 invoke read 'k' null 1; 2 ok read 'k' 'b' 2; "
                       "3 invoke read 'k' null 5; 3 ok read 'k' 'a' 6; "
                       "0 ok write 'k' 'a' 10; 1 ok write 'k' 'b' 10");
  ck_assert_int_eq(check_text(one, NULL), 1);
}
END_TEST

START_TEST(info_may_happen_later_or_never) {
  /* An info write read long after its timeout: it happened. */
  const char *later = hj("0 invoke write 'k' 'a' 0; 0 info write 'k' 'a' 5; "
                         "1 invoke read 'k' null 10; 1 ok read 'k' null 11; "
                         "1 invoke read 'k' null 100; 1 ok read 'k' 'a' 101");
  ck_assert_int_eq(check_text(later, NULL), 1);
  /* ... or never. */
  const char *never = hj("0 invoke write 'k' 'a' 0; 0 info write 'k' 'a' 5; "
                         "1 invoke read 'k' null 10; 1 ok read 'k' null 11");
  ck_assert_int_eq(check_text(never, NULL), 1);
  /* But not before its invoke. */
  const char *before = hj("1 invoke read 'k' null 0; 1 ok read 'k' 'a' 1; "
                          "0 invoke write 'k' 'a' 2; 0 info write 'k' 'a' 5");
  ck_assert_int_eq(check_text(before, NULL), 0);
  /* Nor un-happen: once read, a later read sees it too. */
  const char *flicker = hj("0 invoke write 'k' 'a' 0; 0 info write 'k' 'a' 5; "
                           "1 invoke read 'k' null 10; 1 ok read 'k' 'a' 11; "
                           "1 invoke read 'k' null 12; 1 ok read 'k' null 13");
  ck_assert_int_eq(check_text(flicker, NULL), 0);
  /* An operation still open at the end is an info. */
  const char *open = hj("0 invoke write 'k' 'a' 0; 1 invoke read 'k' null 10; "
                        "1 ok read 'k' 'a' 11");
  ck_assert_int_eq(check_text(open, NULL), 1);
  /* An info read constrains nothing. */
  const char *inforead = hj("1 invoke read 'k' null 0; 1 info read 'k' 'zz' 1");
  ck_assert_int_eq(check_text(inforead, NULL), 1);
}
END_TEST

START_TEST(fail_constrains_nothing) {
  const char *t = hj("0 invoke write 'k' 'a' 0; 0 fail write 'k' 'a' 5; "
                     "1 invoke read 'k' null 10; 1 ok read 'k' 'a' 11");
  ck_assert_int_eq(check_text(t, NULL), 0); /* a failed write never shows */
  const char *cas =
      hj("0 invoke write 'k' 'a' 0; 0 ok write 'k' 'a' 1; "
         "1 invoke cas 'k' ['zz','b'] 2; 1 fail cas 'k' ['zz','b'] 3; "
         "1 invoke read 'k' null 4; 1 ok read 'k' 'a' 5");
  ck_assert_int_eq(check_text(cas, NULL), 1);
}
END_TEST

START_TEST(cas_semantics) {
  const char *ok = hj("0 invoke write 'k' 1 0; 0 ok write 'k' 1 1; "
                      "1 invoke cas 'k' [1.0,2] 2; 1 ok cas 'k' [1,2] 3; "
                      "2 invoke read 'k' null 4; 2 ok read 'k' 2 5");
  ck_assert_int_eq(check_text(ok, NULL), 1); /* 1.0 equals 1 */
  const char *bad = hj("0 invoke write 'k' 1 0; 0 ok write 'k' 1 1; "
                       "1 invoke cas 'k' ['1',2] 2; 1 ok cas 'k' ['1',2] 3");
  ck_assert_int_eq(check_text(bad, NULL), 0); /* "1" is not 1 */
  /* Two cas from the same value cannot both succeed. */
  const char *twice = hj("0 invoke write 'k' 0 0; 0 ok write 'k' 0 1; "
                         "1 invoke cas 'k' [0,1] 2; 2 invoke cas 'k' [0,2] 2; "
                         "1 ok cas 'k' [0,1] 3; 2 ok cas 'k' [0,2] 3");
  ck_assert_int_eq(check_text(twice, NULL), 0);
}
END_TEST

START_TEST(equal_times_are_concurrent) {
  /* The read is invoked at the write's completion time: concurrent. */
  const char *t = hj("0 invoke write 'k' 'a' 0; 0 ok write 'k' 'a' 10; "
                     "1 invoke read 'k' null 10; 1 ok read 'k' null 20");
  ck_assert_int_eq(check_text(t, NULL), 1);
  /* Even when the invoke is written first. */
  const char *t2 = hj("0 invoke write 'k' 'a' 0; 1 invoke read 'k' null 10; "
                      "0 ok write 'k' 'a' 10; 1 ok read 'k' null 20");
  ck_assert_int_eq(check_text(t2, NULL), 1);
  const char *after = hj("0 invoke write 'k' 'a' 0; 0 ok write 'k' 'a' 10; "
                         "1 invoke read 'k' null 11; 1 ok read 'k' null 20");
  ck_assert_int_eq(check_text(after, NULL), 0);
}
END_TEST

START_TEST(keys_are_independent) {
  /* Integer key 7 and "7" are one key; "a" fails, alone. */
  const char *t = hj("0 invoke write 7 'x' 0; 0 ok write '7' 'x' 1; "
                     "1 invoke write 'a' 1 2; 1 ok write 'a' 1 3; "
                     "2 invoke read '7' null 4; 2 ok read 7 'x' 5; "
                     "2 invoke read 'a' null 6; 2 ok read 'a' 2 7");
  jnet_lin_result r;
  ck_assert_int_eq(check_text(t, &r), 0);
  ck_assert_uint_eq(r.nkeys, 2);
  ck_assert_str_eq(r.key, "a");
  ck_assert_uint_eq(r.nevents, 2); /* reading 2, never written, suffices */
  jnet_lin_result_free(&r);
}
END_TEST

/* Jepsen's extra fields and nemesis lines are ignored. */
START_TEST(jepsen_lines) {
  const char *t =
      "{\"type\":\"info\",\"f\":\"start\",\"value\":{\"a\":[1,2]},"
      "\"process\":\"nemesis\",\"time\":0}\n"
      "{\"index\":0,\"process\":0,\"type\":\"invoke\",\"f\":\"write\","
      "\"key\":\"k\",\"value\":3,\"time\":1,\"error\":[\"x\",{\"y\":1}]}\n"
      "\n"
      "{\"index\":1,\"process\":0,\"type\":\"ok\",\"f\":\"write\","
      "\"key\":\"k\",\"value\":3,\"time\":2}\r\n";
  jnet_history *h = parse_ok(t);
  ck_assert_uint_eq(jnet_history_count(h), 2);
  ck_assert_int_eq(jnet_history_line(h, 1), 4);
  jnet_history_free(h);
  h = parse_ok("\xef\xbb\xbf" L(0, "invoke", "read", "\"k\"", "null", 1));
  ck_assert_uint_eq(jnet_history_count(h), 1);
  jnet_history_free(h);
}
END_TEST

/* ---- Malformed files
 * ----------------------------------------------------------- */

static void expect_malformed(const char *text, int line, const char *what) {
  jnet_history *h = (jnet_history *)1;
  char err[300];
  int rc =
      jnet_history_parse(&h, "f.jsonl", text, strlen(text), err, sizeof err);
  ck_assert_msg(rc == JNET_EINVAL, "accepted: %s", text);
  ck_assert_ptr_null(h);
  char want[40];
  snprintf(want, sizeof want, "f.jsonl:%d:", line);
  ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s: wanted %s", err,
                want);
  ck_assert_msg(strstr(err, what) != NULL, "'%s' lacks '%s'", err, what);
}

#define W0 L(0, "invoke", "write", "\"k\"", "1", 5)

START_TEST(malformed_files) {
  expect_malformed("[1,2]\n", 1, "JSON object");
  expect_malformed(W0 "{\"process\":1,\n", 2, "");
  expect_malformed(W0 "{\"process\":1,\"type\":\"invoke\"} x\n", 2, "end");
  expect_malformed("{\"type\":\"invoke\",\"f\":\"read\",\"key\":\"k\","
                   "\"value\":null,\"time\":1}\n",
                   1, "missing field \"process\"");
  expect_malformed("{\"process\":0,\"f\":\"read\",\"key\":\"k\","
                   "\"value\":null,\"time\":1}\n",
                   1, "missing field \"type\"");
  expect_malformed("{\"process\":0,\"type\":\"invoke\",\"key\":\"k\","
                   "\"value\":null,\"time\":1}\n",
                   1, "missing field \"f\"");
  expect_malformed("{\"process\":0,\"type\":\"invoke\",\"f\":\"read\","
                   "\"value\":null,\"time\":1}\n",
                   1, "missing field \"key\"");
  expect_malformed("{\"process\":0,\"type\":\"invoke\",\"f\":\"read\","
                   "\"key\":\"k\",\"time\":1}\n",
                   1, "missing field \"value\"");
  expect_malformed("{\"process\":0,\"type\":\"invoke\",\"f\":\"read\","
                   "\"key\":\"k\",\"value\":null}\n",
                   1, "missing field \"time\"");
  expect_malformed(L(0, "start", "read", "\"k\"", "null", 1), 1, "type");
  expect_malformed(L(0, "invoke", "append", "\"k\"", "null", 1), 1, "f:");
  expect_malformed(W0 L(1, "invoke", "write", "\"k\"", "{\"a\":1}", 6), 2,
                   "object");
  expect_malformed(L(1, "invoke", "write", "\"k\"", "[1,2]", 6), 1, "array");
  expect_malformed(L(1, "invoke", "write", "\"k\"", "true", 6), 1, "boolean");
  expect_malformed(L(1, "invoke", "cas", "\"k\"", "[1,2,3]", 6), 1, "cas");
  expect_malformed(L(1, "invoke", "cas", "\"k\"", "1", 6), 1, "cas");
  expect_malformed(L(1, "invoke", "cas", "\"k\"", "[1,[2]]", 6), 1, "cas");
  expect_malformed(L(1, "invoke", "read", "null", "null", 6), 1, "key");
  expect_malformed(L(1, "invoke", "read", "1.5", "null", 6), 1, "key");
  expect_malformed(L(1, "invoke", "read", "\"k\"", "null", 1.5), 1, "time");
  expect_malformed("{\"process\":1,\"type\":\"invoke\",\"f\":\"read\","
                   "\"key\":\"k\",\"value\":null,\"time\":\"1\"}\n",
                   1, "time");
  /* Rules across lines. */
  expect_malformed(W0 L(0, "invoke", "read", "\"k\"", "null", 6), 2,
                   "second operation");
  expect_malformed(L(3, "ok", "read", "\"k\"", "null", 6), 1,
                   "before its invoke");
  expect_malformed(W0 L(1, "ok", "write", "\"k\"", "1", 6), 2,
                   "before its invoke");
  expect_malformed(W0 L(0, "ok", "read", "\"k\"", "1", 6), 2, "does not match");
  expect_malformed(W0 L(0, "ok", "write", "\"j\"", "1", 6), 2,
                   "does not match");
  expect_malformed(W0 L(0, "info", "write", "\"k\"", "1", 6)
                       L(0, "invoke", "read", "\"k\"", "null", 7),
                   3, "after its info");
  expect_malformed(W0 L(0, "ok", "write", "\"k\"", "1", 4), 2, "backwards");
  expect_malformed("{\"process\":0,\"type\":\"invoke\",\"f\":\"read\","
                   "\"key\":\"\\q\",\"value\":null,\"time\":1}\n",
                   1, "escape");
  /* A column points into the line. */
  jnet_history *h;
  char err[300];
  const char *t = "{\"process\":0,\"type\":\"nope\",\"f\":\"read\","
                  "\"key\":\"k\",\"value\":null,\"time\":1}\n";
  ck_assert_int_eq(jnet_history_parse(&h, "f", t, strlen(t), err, sizeof err),
                   JNET_EINVAL);
  ck_assert_msg(strncmp(err, "f:1:21: error: type", 19) == 0, "%s", err);
}
END_TEST

/* ---- Against brute force
 * ------------------------------------------------------ */

typedef struct bop {
  int64_t call, ret; /* ret INT64_MAX: info/open */
  int f, v1, v2, info, out;
} bop;

static int brute_rec(bop *o, int n, int *used, int state) {
  int done = 1;
  for (int i = 0; i < n; i++)
    if (!used[i] && !o[i].info)
      done = 0;
  if (done)
    return 1;
  for (int i = 0; i < n; i++) {
    if (used[i])
      continue;
    /* i may go next only if no unused completed op returned before it. */
    int ok = 1;
    for (int j = 0; j < n && ok; j++)
      if (!used[j] && j != i && !o[j].info && o[j].ret < o[i].call)
        ok = 0;
    if (!ok)
      continue;
    int next = state;
    if (o[i].f == JNET_HIST_READ) {
      if (o[i].out != state)
        continue;
    } else if (o[i].f == JNET_HIST_WRITE) {
      next = o[i].v1;
    } else {
      if (o[i].v1 != state)
        continue;
      next = o[i].v2;
    }
    used[i] = 1;
    if (brute_rec(o, n, used, next))
      return 1;
    used[i] = 0;
  }
  return 0;
}

/* Values are "v<N>" strings or null (0); one key. */
static int vnum(const jnet_hvalue *v) {
  return v->kind == JNET_HV_STRING ? atoi(v->str + 1) : 0;
}

static int brute_check(const jnet_history *h) {
  bop o[16];
  int n = 0, open[64];
  for (int i = 0; i < 64; i++)
    open[i] = -1;
  for (size_t i = 0; i < jnet_history_count(h); i++) {
    jnet_history_event e;
    jnet_history_get(h, i, &e);
    if (e.type == JNET_HIST_INVOKE) {
      o[n] = (bop){e.time_ns,       INT64_MAX, e.f, vnum(&e.value),
                   vnum(&e.value2), 1,         0};
      open[e.process] = n++;
      continue;
    }
    bop *b = &o[open[e.process]];
    if (e.type == JNET_HIST_OK) {
      b->ret = e.time_ns;
      b->info = 0;
      b->out = vnum(&e.value);
    } else if (e.type == JNET_HIST_FAIL) {
      b->f = -1; /* drop */
    }
  }
  bop keep[16];
  int m = 0;
  for (int i = 0; i < n; i++)
    if (o[i].f >= 0 && !(o[i].info && o[i].f == JNET_HIST_READ))
      keep[m++] = o[i];
  int used[16] = {0};
  return brute_rec(keep, m, used, 0);
}

/* A random small history on one key: 3 processes, a few operations each,
 * times on a coarse grid so that ties happen. */
static jnet_history *random_small(uint64_t seed) {
  uint64_t s = seed * 0x9e3779b97f4a7c15ull + 7;
  jnet_history *h;
  if (jnet_history_new(&h) != 0) /* see agrees_with_brute_force */
    ck_abort_msg("jnet_history_new failed");
  struct pstate {
    int64_t next_time;
    int open, dead, f, v1, v2;
  } ps[3] = {{0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0}};
  int nops = 0;
  int64_t now = 0;
  for (int step = 0; step < 40 && nops < 7; step++) {
    int p = (int)(hg_next(&s) % 3);
    struct pstate *q = &ps[p];
    if (q->dead)
      continue;
    now += (int64_t)(hg_next(&s) % 2);
    char kb[8] = "k", b1[16], b2[16];
    jnet_history_event e = {
        p, JNET_HIST_INVOKE, 0, kb, jnet_hv_null(), jnet_hv_null(), now};
    if (!q->open) {
      q->f = (int)(hg_next(&s) % 3);
      q->v1 = (int)(hg_next(&s) % 3);
      q->v2 = 1 + (int)(hg_next(&s) % 2);
      e.f = q->f;
      if (q->f != JNET_HIST_READ)
        e.value = hg_value(q->v1, b1, sizeof b1);
      if (q->f == JNET_HIST_CAS)
        e.value2 = hg_value(q->v2, b2, sizeof b2);
      q->open = 1;
      nops++;
    } else {
      int r = (int)(hg_next(&s) % 10);
      e.type = r < 7 ? JNET_HIST_OK : r < 8 ? JNET_HIST_FAIL : JNET_HIST_INFO;
      e.f = q->f;
      e.value = q->f == JNET_HIST_READ
                    ? hg_value((int)(hg_next(&s) % 3), b1, sizeof b1)
                    : hg_value(q->v1, b1, sizeof b1);
      if (q->f == JNET_HIST_CAS)
        e.value2 = hg_value(q->v2, b2, sizeof b2);
      q->open = 0;
      q->dead = e.type == JNET_HIST_INFO;
    }
    if (jnet_history_add(h, &e) != 0)
      ck_abort_msg("jnet_history_add failed");
  }
  return h;
}

/* The checks inside the seed loop are `if (...) ck_abort_msg`: a Check
 * assertion that passes writes its checkpoint to the parent process
 * (47,000 writes here); a failing one says the same. */
START_TEST(agrees_with_brute_force) {
  int lin = 0, nonlin = 0;
  for (uint64_t seed = 1; seed <= 3000; seed++) {
    jnet_history *h = random_small(seed);
    jnet_lin_result r;
    int got = jnet_history_check(h, &r);
    int want = brute_check(h);
    if (got != want)
      ck_abort_msg("seed %llu: checker %d, brute force %d",
                   (unsigned long long)seed, got, want);
    if (got == 0) {
      nonlin++;
      /* The reported sub-history fails too, and is 1-minimal: without any
       * one of its operations it passes. */
      if (brute_check(r.sub) != 0)
        ck_abort_msg("seed %llu: the reported sub-history passes",
                     (unsigned long long)seed);
      size_t nev = jnet_history_count(r.sub);
      for (size_t drop = 0; drop < nev; drop++) {
        jnet_history_event d;
        jnet_history_get(r.sub, drop, &d);
        if (d.type != JNET_HIST_INVOKE)
          continue;
        jnet_history *less;
        jnet_history_new(&less);
        size_t done = nev; /* the dropped operation's completion, if any */
        for (size_t i = drop + 1; i < nev && done == nev; i++) {
          jnet_history_event e;
          jnet_history_get(r.sub, i, &e);
          if (e.process == d.process)
            done = e.type == JNET_HIST_INVOKE ? nev + 1 : i;
        }
        for (size_t i = 0; i < nev; i++) {
          jnet_history_event e;
          jnet_history_get(r.sub, i, &e);
          if (i != drop && i != done && jnet_history_add(less, &e) != 0)
            ck_abort_msg("seed %llu: jnet_history_add failed",
                         (unsigned long long)seed);
        }
        if (brute_check(less) != 1)
          ck_abort_msg("seed %llu: not minimal", (unsigned long long)seed);
        jnet_history_free(less);
      }
    } else {
      lin++;
    }
    jnet_lin_result_free(&r);
    jnet_history_free(h);
  }
  /* Both outcomes were exercised, plenty. */
  ck_assert_int_gt(lin, 300);
  ck_assert_int_gt(nonlin, 300);
}
END_TEST

/* ---- Large histories
 * ------------------------------------------------------------ */

START_TEST(ten_thousand_ops_five_processes) {
  jnet_history *h;
  ck_assert_int_eq(jnet_history_new(&h), 0);
  ck_assert_int_eq(hg_generate(h, 42, 10000, 5, 8, 3), 0);
  jnet_lin_result r;
  ck_assert_int_eq(jnet_history_check(h, &r), 1);
  ck_assert_uint_eq(r.nops, 10000);
  jnet_lin_result_free(&r);
  /* One key only: a single register under all 10,000 operations. */
  jnet_history *one;
  ck_assert_int_eq(jnet_history_new(&one), 0);
  ck_assert_int_eq(hg_generate(one, 7, 10000, 5, 1, 3), 0);
  ck_assert_int_eq(jnet_history_check(one, &r), 1);
  jnet_lin_result_free(&r);
  jnet_history_free(one);

  /* Plant a stale read late in the history: a read after a completed
   * write returns the value before it. */
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  jnet_history_write(h, f);
  fclose(f);
  size_t n = jnet_history_count(h);
  const char *bad = NULL;
  char want_key[16] = "";
  for (size_t i = n - 1; i > n / 2 && bad == NULL; i--) {
    jnet_history_event e, w;
    jnet_history_get(h, i, &e);
    if (e.type != JNET_HIST_OK || e.f != JNET_HIST_READ ||
        e.value.kind != JNET_HV_STRING)
      continue;
    snprintf(want_key, sizeof want_key, "%s", e.key);
    (void)w;
    bad = e.value.str;
  }
  ck_assert_ptr_nonnull(bad);
  /* Replace the last ok read's value by one never written. */
  char *pos = NULL, needle[64];
  snprintf(needle, sizeof needle,
           "\"type\":\"ok\",\"f\":\"read\",\"key\":"
           "\"%s\",\"value\":\"%s\"",
           want_key, bad);
  for (char *p = strstr(buf, needle); p != NULL; p = strstr(p + 1, needle))
    pos = p;
  ck_assert_ptr_nonnull(pos);
  char *v = strstr(pos, "\"value\":\"") + 9;
  v[0] = 'x'; /* "v123" -> "x123": never written */
  jnet_history *bh = parse_ok(buf);
  ck_assert_int_eq(jnet_history_check(bh, &r), 0);
  ck_assert_str_eq(r.key, want_key);
  ck_assert_uint_eq(jnet_history_count(r.sub), 2); /* that read alone */
  jnet_lin_result_free(&r);
  jnet_history_free(bh);
  free(buf);
  jnet_history_free(h);
}
END_TEST

/* Histories of a real linearizable store, of many shapes: the checker
 * must accept every one (a wrongly pruned search would not). */
START_TEST(generated_histories_are_linearizable) {
  for (uint64_t seed = 1; seed <= 150; seed++) {
    jnet_history *h;
    ck_assert_int_eq(jnet_history_new(&h), 0);
    int procs = 1 + (int)(seed % 6), keys = 1 + (int)(seed % 3);
    int info = (int)(seed * 7 % 31), nops = 100 + (int)(seed * 37 % 500);
    ck_assert_int_eq(hg_generate(h, seed, nops, procs, keys, info), 0);
    jnet_lin_result r;
    ck_assert_msg(jnet_history_check(h, &r) == 1,
                  "seed %llu (%d ops, %d procs, %d keys, %d%% info)",
                  (unsigned long long)seed, nops, procs, keys, info);
    jnet_lin_result_free(&r);
    jnet_history_free(h);
  }
}
END_TEST

START_TEST(html_marks_the_violation) {
  const char *t = hj("0 invoke write 'x<' 1 0; 0 ok write 'x<' 1 10; "
                     "1 invoke read 'x<' null 20; 1 ok read 'x<' null 30; "
                     "2 invoke write 'y' 1 30; 2 ok write 'y' 1 40");
  jnet_history *h = parse_ok(t);
  jnet_lin_result r;
  ck_assert_int_eq(jnet_history_check(h, &r), 0);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  ck_assert_int_eq(jnet_history_write_html(h, &r, "t<1>", f), 0);
  fclose(f);
  ck_assert_ptr_nonnull(strstr(buf, "<title>t&lt;1&gt;</title>"));
  ck_assert_ptr_nonnull(strstr(buf, ">p0<"));
  ck_assert_ptr_nonnull(strstr(buf, ">p1<"));
  ck_assert_ptr_nonnull(strstr(buf, ">p2<"));
  /* Two operations marked (class "op ok key bad"), one not. */
  int marked = 0;
  for (char *p = strstr(buf, " bad\""); p != NULL; p = strstr(p + 1, " bad\""))
    marked++;
  ck_assert_int_eq(marked, 2);
  ck_assert_ptr_null(strstr(buf, "x<")); /* escaped everywhere */
  ck_assert_ptr_null(strstr(buf, "src="));
  free(buf);
  jnet_lin_result_free(&r);
  jnet_history_free(h);
}
END_TEST

/* Mutated files: never a crash, always either a history or a located
 * error; whatever parses can be checked, and a reported sub-history fails
 * on its own. */
START_TEST(mutated_files_are_handled) {
  jnet_history *h;
  ck_assert_int_eq(jnet_history_new(&h), 0);
  ck_assert_int_eq(hg_generate(h, 3, 12, 3, 2, 20), 0);
  char *base = NULL;
  size_t blen = 0;
  FILE *f = open_memstream(&base, &blen);
  jnet_history_write(h, f);
  fclose(f);
  jnet_history_free(h);
  static const char alphabet[] = "{}[]\":,0123456789-.eE \\nulltrue\n\r";
  uint64_t s = 12345;
  int parsed = 0, refused = 0;
  char *buf = malloc(blen + 64);
  for (int iter = 0; iter < 4000; iter++) {
    memcpy(buf, base, blen);
    size_t len = blen;
    int edits = 1 + (int)(hg_next(&s) % 3);
    for (int k = 0; k < edits && len > 0; k++) {
      size_t at = (size_t)(hg_next(&s) % len);
      switch (hg_next(&s) % 4) {
      case 0: /* replace */
        buf[at] = alphabet[hg_next(&s) % (sizeof alphabet - 1)];
        break;
      case 1: /* delete */
        memmove(buf + at, buf + at + 1, len - at - 1);
        len--;
        break;
      case 2: /* insert */
        memmove(buf + at + 1, buf + at, len - at);
        buf[at] = alphabet[hg_next(&s) % (sizeof alphabet - 1)];
        len++;
        break;
      default: /* truncate */
        len = at + 1;
      }
    }
    char err[300];
    jnet_history *m = NULL;
    int rc = jnet_history_parse(&m, "f", buf, len, err, sizeof err);
    if (rc == JNET_EINVAL) {
      refused++;
      ck_assert_ptr_null(m);
      ck_assert_msg(strncmp(err, "f:", 2) == 0 && strstr(err, ": error: "),
                    "%s", err);
      continue;
    }
    ck_assert_int_eq(rc, 0);
    parsed++;
    jnet_lin_result r;
    int c = jnet_history_check(m, &r);
    ck_assert(c == 0 || c == 1);
    if (c == 0) {
      jnet_lin_result r2;
      ck_assert_int_eq(jnet_history_check(r.sub, &r2), 0);
      jnet_lin_result_free(&r2);
    }
    jnet_lin_result_free(&r);
    jnet_history_free(m);
  }
  ck_assert_int_gt(parsed, 20);
  ck_assert_int_gt(refused, 1000);
  free(buf);
  free(base);
}
END_TEST

int main(void) {
  Suite *s = suite_create("history");
  jc_defaults(120, NULL, NULL);
  JC_TEST(s, record_rules);
  JC_TEST(s, write_then_parse_round_trip);
  JC_TEST(s, design_example_is_linearizable);
  JC_TEST(s, stale_read_is_not);
  JC_TEST(s, porcupine_register_examples);
  JC_TEST(s, concurrent_reads_see_one_order);
  JC_TEST(s, info_may_happen_later_or_never);
  JC_TEST(s, fail_constrains_nothing);
  JC_TEST(s, cas_semantics);
  JC_TEST(s, equal_times_are_concurrent);
  JC_TEST(s, keys_are_independent);
  JC_TEST(s, jepsen_lines);
  JC_TEST(s, malformed_files);
  JC_TEST(s, agrees_with_brute_force);
  JC_TEST(s, ten_thousand_ops_five_processes);
  JC_TEST(s, generated_histories_are_linearizable);
  JC_TEST(s, html_marks_the_violation);
  JC_TEST(s, mutated_files_are_handled);
  return jc_run(s);
}
