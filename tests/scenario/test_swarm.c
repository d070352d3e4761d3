/* test_swarm.c — swarm scenarios: ranges, `maybe` and `faults` draw per
 * seed from each line's own stream; the drawn scenario is a plain one that
 * replays the very same run; draws show in run's output, the trace and the
 * JSON; bad ranges, maybes and generators are located errors. */
#define _GNU_SOURCE
#include <check.h>
#include "jnet_check.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jsim_scn.h"
#include "test_progs.h"

static jsim_scn *parse(const char *text) {
  char err[512] = "";
  jsim_scn *s = NULL;
  int rc = jsim_parse_text("t.scn", text, jsim_test_programs,
                           jsim_test_nprograms, &s, err, sizeof err);
  ck_assert_msg(rc == 0, "parse failed: %s", err);
  return s;
}

static void assert_err(const char *text, const char *where,
                       const char *words) {
  char err[512] = "";
  jsim_scn *s = NULL;
  int rc = jsim_parse_text("t.scn", text, jsim_test_programs,
                           jsim_test_nprograms, &s, err, sizeof err);
  ck_assert_msg(rc == -1, "accepted: %s", text);
  ck_assert_msg(strncmp(err, where, strlen(where)) == 0,
                "expected an error at %s, got: %s", where, err);
  ck_assert_msg(strstr(err, words) != NULL, "expected '%s' in: %s", words,
                err);
}

#define HOSTS "host a 192.0.2.1\nhost b 192.0.2.2\nhost c 192.0.2.3\n"
#define RUNS                                                               \
  "run b udp-sink until_ms=2000\n"                                         \
  "run a udp-source to=b n=50 interval_ms=10\n"
#define SWARM                                                              \
  HOSTS "link a b latency 1ms..50ms loss 0%..5%\n" RUNS                    \
        "run c args n=10..20\n"                                            \
        "at 100ms..900ms crash c\n"                                        \
        "maybe 50% at 300ms partition a b\n"                               \
        "at 1s heal all\n"                                                 \
        "faults 2..6 of partition,clog,crash,set-link between 100ms..1500ms " \
        "on a,b\n"                                                         \
        "limit 5s\nexpect b udp-sink count\n"

static char *drawn_text(const jsim_scn *s, uint64_t seed, char *drawn,
                        size_t len) {
  char *text = NULL;
  ck_assert_int_eq(jsim_write_scn(s, seed, NULL, &text, drawn, len), 0);
  ck_assert_ptr_nonnull(text);
  return text;
}

/* A line of text starting with prefix, copied to out. */
static int find_line(const char *text, const char *prefix, char *out,
                     size_t len) {
  for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
    if (strncmp(l, prefix, strlen(prefix)) == 0) {
      snprintf(out, len, "%.*s", (int)strcspn(l, "\n"), l);
      return 1;
    }
  return 0;
}

START_TEST(draws_within_ranges) {
  jsim_scn *s = parse(SWARM);
  ck_assert_int_eq(s->swarm, 1);
  int partitions = 0, ndiff = 0;
  char first[1024] = "";
  for (uint64_t seed = 1; seed <= 40; seed++) {
    char drawn[1024];
    char *text = drawn_text(s, seed, drawn, sizeof drawn);
    char err[512];
    jsim_scn *c = NULL;
    ck_assert_msg(jsim_parse_text("d.scn", text, jsim_test_programs,
                                  jsim_test_nprograms, &c, err,
                                  sizeof err) == 0,
                  "drawn text does not parse: %s\n%s", err, text);
    ck_assert_int_eq(c->swarm, 0); /* plain */
    /* The link's draws stay in their ranges. */
    double lat = -1, loss = -1;
    for (int i = 0; i < c->links[0].nopts; i++) {
      if (c->links[0].opts[i].what == JSIM_OPT_LATENCY)
        lat = c->links[0].opts[i].value;
      if (c->links[0].opts[i].what == JSIM_OPT_LOSS)
        loss = c->links[0].opts[i].value;
    }
    ck_assert(lat >= 1e6 && lat <= 50e6);
    ck_assert(loss >= 0 && loss <= 0.05);
    /* n=10..20 */
    long long n = atoll(c->runs[2].args[0].value);
    ck_assert(n >= 10 && n <= 20);
    /* crash c in 100..900 ms; generated faults within 100..1500 ms, on a
     * and b only, each undone; 2..6 of them. */
    int gen = 0, crash_c = 0;
    for (int i = 0; i < c->nevents; i++) {
      const jsim_event *e = &c->events[i];
      if (e->kind == JSIM_EV_CRASH && e->a == 2) {
        crash_c++;
        ck_assert(e->at_ns >= 100000000ull && e->at_ns <= 900000000ull);
        continue;
      }
      if (e->kind == JSIM_EV_HEAL_ALL)
        continue;
      gen++;
      ck_assert(e->at_ns >= 100000000ull && e->at_ns <= 1500000000ull);
      ck_assert(e->a <= 1 && (e->b <= 1));
    }
    ck_assert_int_eq(crash_c, 1);
    int maybe = strstr(text, "at 300ms partition a b\n") != NULL;
    partitions += maybe;
    gen -= maybe;
    ck_assert_msg(gen >= 4 && gen <= 12 && gen % 2 == 0, "%d generated\n%s",
                  gen, text);
    /* The drawn list names what was drawn. */
    ck_assert_ptr_nonnull(strstr(drawn, "link a b latency "));
    ck_assert_ptr_nonnull(strstr(drawn, "run c args n="));
    if (seed == 1)
      snprintf(first, sizeof first, "%s", drawn);
    else
      ndiff += strcmp(first, drawn) != 0;
    jsim_scn_free(c);
    free(text);
  }
  /* maybe 50%: some seeds yes, some no; seeds draw differently. */
  ck_assert(partitions > 5 && partitions < 35);
  ck_assert_int_ge(ndiff, 38);
  jsim_scn_free(s);
}
END_TEST

START_TEST(choices_draw_hosts) {
  jsim_scn *s = parse(HOSTS RUNS "at 1s crash a|b|c\n"
                                 "at 2s partition a|b b|c\n"
                                 "at 3s heal a b|c\n");
  ck_assert_int_eq(s->swarm, 1);
  int crashed[3] = {0, 0, 0}, pairs = 0;
  for (uint64_t seed = 1; seed <= 60; seed++) {
    char *text = drawn_text(s, seed, NULL, 0);
    jsim_scn *c = parse(text);
    for (int i = 0; i < c->nevents; i++) {
      const jsim_event *e = &c->events[i];
      if (e->kind == JSIM_EV_CRASH)
        crashed[e->a]++;
      if (e->kind == JSIM_EV_PARTITION) {
        ck_assert(e->a == 0 || e->a == 1);
        ck_assert(e->b == 1 || e->b == 2);
        ck_assert_int_ne(e->a, e->b); /* a|b b|c never draws b b */
        pairs += e->a == 0 && e->b == 2;
      }
      if (e->kind == JSIM_EV_HEAL)
        ck_assert(e->a == 0 && (e->b == 1 || e->b == 2));
    }
    jsim_scn_free(c);
    free(text);
  }
  for (int h = 0; h < 3; h++)
    ck_assert_int_gt(crashed[h], 5);
  ck_assert_int_gt(pairs, 5);
  jsim_scn_free(s);
}
END_TEST

/* The fixed lines of a swarm scenario come out as written: a partition of
 * two groups lists each group's hosts, once each, and reads back as the
 * same groups. */
START_TEST(a_group_partition_is_written_as_its_groups) {
  jsim_scn *s = parse(HOSTS RUNS "at 1s crash a|c\n"
                                 "at 2s partition {a c} {b} oneway\n");
  ck_assert_int_eq(s->swarm, 1);
  char *text = drawn_text(s, 1, NULL, 0);
  char l[256];
  ck_assert_msg(find_line(text, "at 2s partition", l, sizeof l), "%s", text);
  ck_assert_str_eq(l, "at 2s partition { a c } { b } oneway");
  jsim_scn *c = parse(text);
  const jsim_event *e = &c->events[c->nevents - 1];
  ck_assert_int_eq(e->kind, JSIM_EV_PARTITION_GROUPS);
  ck_assert_int_eq(e->nga, 2);
  ck_assert_int_eq(e->ga[0], 0);
  ck_assert_int_eq(e->ga[1], 2);
  ck_assert_int_eq(e->ngb, 1);
  ck_assert_int_eq(e->gb[0], 1);
  ck_assert_int_eq(e->oneway, 1);
  jsim_scn_free(c);
  free(text);
  jsim_scn_free(s);
}
END_TEST

START_TEST(same_seed_same_draws) {
  jsim_scn *s = parse(SWARM);
  char d1[1024], d2[1024];
  char *t1 = drawn_text(s, 7, d1, sizeof d1), *t2 = drawn_text(s, 7, d2,
                                                                sizeof d2);
  ck_assert_str_eq(t1, t2);
  ck_assert_str_eq(d1, d2);
  free(t1);
  free(t2);
  jsim_scn_free(s);
}
END_TEST

START_TEST(lines_draw_on_their_own_streams) {
  /* Adding lines (before, between) leaves every other line's draws. */
  jsim_scn *s = parse(SWARM);
  jsim_scn *s2 = parse(HOSTS "maybe 10% at 1s..2s crash c\n"
                             "link a c latency 1ms..9ms\n"
                             "link a b latency 1ms..50ms loss 0%..5%\n" RUNS
                             "run c args n=10..20\n"
                             "at 100ms..900ms crash c\n"
                             "at 200ms..300ms clog a b\n"
                             "maybe 50% at 300ms partition a b\n"
                             "at 1s heal all\n"
                             "faults 2..6 of partition,clog,crash,set-link "
                             "between 100ms..1500ms on a,b\n"
                             "limit 5s\nexpect b udp-sink count\n");
  for (uint64_t seed = 1; seed <= 10; seed++) {
    char *t1 = drawn_text(s, seed, NULL, 0), *t2 = drawn_text(s2, seed, NULL, 0);
    char l1[300], l2[300];
    const char *prefixes[] = {"link a b", "run c args", "at 300ms partition",
                              "# not drawn: maybe 50%", "# faults line"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
      int h1 = find_line(t1, prefixes[i], l1, sizeof l1);
      int h2 = find_line(t2, prefixes[i], l2, sizeof l2);
      ck_assert_int_eq(h1, h2);
      if (h1 && i < 4)
        ck_assert_str_eq(l1, l2);
    }
    /* The crash of c and the generated faults: same times, same order. */
    const char *g1 = strstr(t1, "# faults line"), *g2 = strstr(t2, "# faults line");
    ck_assert_str_eq(strchr(g1, '\n'), strchr(g2, '\n'));
    free(t1);
    free(t2);
  }
  jsim_scn_free(s);
  jsim_scn_free(s2);
}
END_TEST

/* The value after `word ` in line (up to a blank), in out. */
static int value_after(const char *line, const char *word, char *out,
                       size_t len) {
  const char *v = strstr(line, word);
  if (v == NULL)
    return 0;
  v += strlen(word);
  snprintf(out, len, "%.*s", (int)strcspn(v, " \n"), v);
  return 1;
}

/* What a user relies on in the draws: a plain line is not listed as drawn;
 * two lines that differ only in the order of their hosts draw on their own
 * streams; a probability range draws many values; a range narrower than
 * 100 us draws to the nanosecond; a generated bad link is 1..100 ms. */
START_TEST(draws_are_fair_and_apart) {
  jsim_scn *s = parse(HOSTS "link a c latency 5ms loss 1% dist pareto "
                            "corrupt 1% oneway\n"
                            "link b c loss 0%..5% latency 10us..50us\n" RUNS
                            "at 100ms..900ms partition a b\n"
                            "at 100ms..900ms partition b a\n"
                            "at 100ms..900ms clog a b\n"
                            "at 100ms..900ms clog a c\n"
                            "at 100ms..900ms clog a c\n"
                            "faults 8 of set-link between 100ms..1500ms "
                            "on a,b\n"
                            "limit 5s\nexpect b udp-sink count\n");
  int apart = 0, ns_draws = 0, nloss = 0, nsetlink = 0, in_step = 0;
  char losses[64][48];
  for (uint64_t seed = 1; seed <= 60; seed++) {
    char drawn[1024], l[300], v[48];
    char *text = drawn_text(s, seed, drawn, sizeof drawn);
    ck_assert_msg(strstr(drawn, "link a c") == NULL, "plain line drawn: %s",
                  drawn);
    ck_assert_ptr_nonnull(strstr(drawn, "link b c loss "));
    /* The plain line is written as it was. */
    ck_assert_ptr_nonnull(strstr(text, "link a c latency 5ms loss 1% dist "
                                       "pareto corrupt 1% oneway\n"));
    /* a b and b a: both drawn in 100..900 ms, not in step. */
    char t1[48], t2[48];
    const char *pab = strstr(text, " partition a b\n"),
               *pba = strstr(text, " partition b a\n");
    ck_assert(pab != NULL && pba != NULL);
    const char *s1 = pab, *s2 = pba;
    while (s1 > text && s1[-1] != '\n')
      s1--;
    while (s2 > text && s2[-1] != '\n')
      s2--;
    ck_assert(value_after(s1, "at ", t1, sizeof t1));
    ck_assert(value_after(s2, "at ", t2, sizeof t2));
    apart += strcmp(t1, t2) != 0;
    /* A repeated line draws on a stream of its own too. */
    char tc[3][48];
    int nc = 0;
    for (const char *p = strstr(text, " clog a "); p != NULL;
         p = strstr(p + 1, " clog a ")) {
      const char *b = p;
      while (b > text && b[-1] != '\n')
        b--;
      ck_assert(nc < 3 && value_after(b, "at ", tc[nc], sizeof tc[0]));
      if (p[8] == 'b' && nc > 0) { /* a b first */
        char t[48];
        memcpy(t, tc[0], sizeof t);
        memcpy(tc[0], tc[nc], sizeof t);
        memcpy(tc[nc], t, sizeof t);
      }
      nc++;
    }
    ck_assert_int_eq(nc, 3);
    in_step += strcmp(tc[0], tc[1]) == 0 || strcmp(tc[0], tc[2]) == 0;
    /* loss 0%..5% and latency 10us..50us */
    ck_assert(find_line(text, "link b c", l, sizeof l));
    ck_assert(value_after(l, "loss ", v, sizeof v));
    int known = 0;
    for (int i = 0; i < nloss; i++)
      known |= strcmp(losses[i], v) == 0;
    if (!known && nloss < 64)
      snprintf(losses[nloss++], sizeof losses[0], "%s", v);
    ck_assert(value_after(l, "latency ", v, sizeof v));
    uint64_t ns;
    ck_assert_int_eq(jsim_parse_duration(v, &ns), 0);
    ck_assert(ns >= 10000 && ns <= 50000);
    ns_draws += ns % 1000 != 0;
    /* Every set link the generator writes: 1 ms to 100 ms. */
    for (const char *p = strstr(text, "set link a b latency "); p != NULL;
         p = strstr(p + 1, "set link a b latency ")) {
      ck_assert(value_after(p, "latency ", v, sizeof v));
      ck_assert_int_eq(jsim_parse_duration(v, &ns), 0);
      ck_assert_msg(ns >= 1000000ull && ns <= 100000000ull,
                    "seed %llu: set link latency %s", (unsigned long long)seed,
                    v);
      nsetlink++;
    }
    free(text);
  }
  ck_assert_int_ge(apart, 50);
  ck_assert_int_le(in_step, 5);
  ck_assert_int_ge(nloss, 30);
  ck_assert_int_ge(ns_draws, 50);
  ck_assert_int_ge(nsetlink, 400);
  jsim_scn_free(s);
}
END_TEST

START_TEST(drawn_scenario_replays_the_run) {
  jsim_scn *s = parse(SWARM);
  for (uint64_t seed = 1; seed <= 6; seed++) {
    char drawn[1024];
    char *text = drawn_text(s, seed, drawn, sizeof drawn);
    jsim_scn *c = parse(text);
    jsim_run_opts o = {NULL, NULL, 60, 1};
    jsim_result r1, r2;
    jsim_run_seed(s, seed, &o, &r1);
    jsim_run_seed(c, seed, &o, &r2);
    ck_assert_msg(r1.fingerprint == r2.fingerprint,
                  "seed %llu: swarm 0x%llx, drawn file 0x%llx\n%s",
                  (unsigned long long)seed,
                  (unsigned long long)r1.fingerprint,
                  (unsigned long long)r2.fingerprint, text);
    ck_assert_int_eq(r1.status, r2.status);
    ck_assert_str_eq(r1.drawn, drawn);
    ck_assert_str_eq(r2.drawn, "");
    jsim_scn_free(c);
    free(text);
  }
  jsim_scn_free(s);
}
END_TEST

START_TEST(bad_swarm_lines) {
  assert_err(HOSTS RUNS "link a b latency 50ms..1ms\n", "t.scn:6:18:",
             "reversed range '50ms..1ms'");
  assert_err(HOSTS RUNS "link a b loss 0%..150%\n", "t.scn:6:15:",
             "out of bounds");
  assert_err(HOSTS RUNS "link a b loss 5%..x\n", "t.scn:6:15:",
             "or a range such as 0%..5%");
  assert_err(HOSTS RUNS "at 2s..1s crash c\n", "t.scn:6:4:",
             "reversed range '2s..1s'");
  assert_err(HOSTS RUNS "maybe 150% at 1s crash c\n", "t.scn:6:7:",
             "from 0% to 100%");
  assert_err(HOSTS RUNS "maybe 10% crash c\n", "t.scn:6:11:",
             "expected 'at' after `maybe 10%`");
  assert_err(HOSTS RUNS "maybe 10% at 1s crash zz\n", "t.scn:6:23:",
             "got 'zz'");
  assert_err(HOSTS RUNS "run c args n=9..3\n", "t.scn:6:12:",
             "reversed range 'n=9..3'");
  assert_err(HOSTS RUNS "faults 5..2 of crash between 1s..2s\n", "t.scn:6:8:",
             "reversed range '5..2'");
  assert_err(HOSTS RUNS "faults 0 of crash between 1s..2s\n", "t.scn:6:8:",
             "nothing to draw");
  assert_err(HOSTS RUNS "faults 1..2 of partition between 1s..2s on a\n",
             "t.scn:6:44:", "nothing to draw from: 1 host");
  assert_err(HOSTS RUNS "faults 1..2 of meteor between 1s..2s\n",
             "t.scn:6:16:", "got 'meteor'");
  assert_err(HOSTS RUNS "faults 1..2 of crash between 3s..2s\n", "t.scn:6:30:",
             "reversed range");
  assert_err(HOSTS RUNS "faults 1..2 of crash between 1s..2s on a,zz\n",
             "t.scn:6:40:", "got 'zz'");
  assert_err(HOSTS RUNS "faults 1..99 of crash between 1s..2s\n",
             "t.scn:6:8:", "at most 64 faults");
  assert_err(HOSTS RUNS "at 1s crash a|zz\n", "t.scn:6:13:",
             "got 'zz' in 'a|zz'");
  assert_err(HOSTS RUNS "at 1s partition a|b a|a\n", "t.scn:6:21:",
             "host 'a' named twice");
  assert_err(HOSTS RUNS "at 1s clog a|b a|b|c\nat 2s clog a a|a\n",
             "t.scn:7:14:", "host 'a' named twice");
  assert_err(HOSTS RUNS "at 1s heal a a\n", "t.scn:6:14:",
             "expected a host other than a");
  /* A single host is enough for crashes: pair kinds are dropped. */
  jsim_scn *s = parse(HOSTS RUNS
                      "faults 1..2 of partition,crash between 1s..2s on c\n");
  ck_assert_uint_eq(s->gens[0].kinds, 1u << JSIM_GEN_CRASH);
  jsim_scn_free(s);
  /* Without `on`, every host, the first included: a, b, c. */
  s = parse(HOSTS RUNS "faults 1..2 of partition between 1s..2s\n");
  ck_assert_int_eq(s->gens[0].nhosts, 3);
  for (int i = 0; i < 3; i++)
    ck_assert_int_eq(s->gens[0].hosts[i], i);
  ck_assert_uint_eq(s->gens[0].kinds, 1u << JSIM_GEN_PARTITION);
  jsim_scn_free(s);
}
END_TEST

/* ---- Through the command line --------------------------------------------------- */

#include "shell.h"

#define HAS(s) ck_assert_msg(strstr(out, s) != NULL, "want '%s' in:\n%s", s, out)

START_TEST(cli_shows_draws) {
  strcpy(dir, "/tmp/jsim-swarm-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char path[512];
  snprintf(path, sizeof path, "%s/w.scn", dir);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs("seed 1..4\n" SWARM, f);
  fclose(f);
  ck_assert_int_le(sh(JSIM_RUNNER " run w.scn --seed 3 --trace t3"), 1);
  HAS("seed 3 drew: link a b latency ");
  char drew[1024];
  const char *d = strstr(out, "seed 3 drew: ");
  snprintf(drew, sizeof drew, "%.*s", (int)strcspn(d, "\n"), d);
  /* Replays exactly: same draws, same fingerprint. */
  char fp1[64], fp2[64];
  snprintf(fp1, sizeof fp1, "%s", strstr(out, "fingerprint 0x"));
  ck_assert_int_le(sh(JSIM_RUNNER " run w.scn --seed 3"), 1);
  HAS(drew);
  snprintf(fp2, sizeof fp2, "%s", strstr(out, "fingerprint 0x"));
  ck_assert_str_eq(fp1, fp2);
  /* The trace starts with the draws. */
  ck_assert_int_eq(sh("head -1 t3"), 0);
  HAS("0.000000000 - drawn link a b latency ");
  /* Each JSON line has them. */
  ck_assert_int_le(sh(JSIM_RUNNER " sweep w.scn -j 2 --no-progress --json "
                                  "w.jsonl"),
                   1);
  ck_assert_int_eq(sh("grep -c '\"drawn\":\"link a b latency ' w.jsonl"), 0);
  HAS("4");
  ck_assert_int_eq(sh("grep -F '\"seed\":3,' w.jsonl"), 0);
  HAS(drew + strlen("seed 3 drew: "));
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("scenario-swarm");
  jc_defaults(120, NULL, NULL);
  JC_TEST(s, draws_within_ranges);
  JC_TEST(s, choices_draw_hosts);
  JC_TEST(s, a_group_partition_is_written_as_its_groups);
  JC_TEST(s, same_seed_same_draws);
  JC_TEST(s, lines_draw_on_their_own_streams);
  JC_TEST(s, drawn_scenario_replays_the_run);
  JC_TEST(s, draws_are_fair_and_apart);
  JC_TEST(s, bad_swarm_lines);
  JC_TEST(s, cli_shows_draws);
  return jc_run(s);
}
