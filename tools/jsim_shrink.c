/* jsim_shrink.c — `jnet-sim shrink FILE --seed N`: the smallest scenario
 * that still fails the same way for the same seed.
 *
 * The seed's failure is its signature: the result and the expectation that
 * failed ("kv-client on c: check ok", "expect quiescent"). A candidate
 * "still fails" when it fails with the same signature. The steps:
 *   1. draw the seed's swarm values (jsim_swarm.c): ranges narrow to the
 *      values drawn, `maybe` lines and `faults` generators become plain
 *      `at` lines — the same run, now as a plain scenario;
 *   2. delta debugging (Zeller's ddmin) over the `at` lines;
 *   3. halve each integer program argument (ops=100 -> 50 -> ...) and then
 *      the time limit, as long as the run still fails;
 *   4. ddmin once more over what is left.
 * Every candidate is written as .scn text and parsed back, so what runs is
 * exactly what gets written: FILE.min.scn, with a `seed N` line, runnable
 * with `run`. --max-runs bounds the work (default 500).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "jnet_alloc.h"
#include "jsim_scn.h"

typedef struct shrinker {
  jsim_scn *c; /* the plain scenario being shrunk */
  uint64_t seed;
  int status;
  char sig[400]; /* what must keep failing */
  int runs, max_runs;
  double timeout_s;
  int verbose;
} shrinker;

/* The part of a result message that names what failed: the result, the
 * expectation, and whether its check failed or was never reported. */
static void signature(const jsim_result *r, char *sig, size_t len) {
  const char *m = r->msg, *c = strstr(m, ": check ");
  size_t n;
  const char *how = "";
  if (c != NULL) {
    const char *e = strchr(c + 8, ':');
    /* LCOV_EXCL_BR_LINE below: a check message has a colon after */
    n = e ? (size_t)(e - m) : strlen(m); /* LCOV_EXCL_BR_LINE */
    how = e && strncmp(e, ": never reported", 16) == 0 ? ": never reported"
                                                       : ": failed";
  } else {
    n = strcspn(m, ":");
  }
  snprintf(sig, len, "%s: %.*s%s", jsim_status_name(r->status), (int)n, m,
           how);
}

/* Write c keeping the events in keep, parse it back: NULL on failure. */
static jsim_scn *candidate(shrinker *sh, const unsigned char *keep,
                           char **text) {
  int wrc = jsim_write_scn(sh->c, sh->seed, keep, text, NULL, 0);
  if (wrc < 0) /* LCOV_EXCL_BR_LINE: out of memory */
    return NULL;
  char err[512];
  jsim_scn *s = NULL;
  if (jsim_parse_text(sh->c->path, *text, sh->c->progs, sh->c->nprogs, &s,
                      err, sizeof err) < 0) {
    fprintf(stderr, "jnet-sim shrink: a candidate does not parse: %s\n", err);
    free(*text);
    *text = NULL;
    return NULL;
  }
  return s;
}

/* 1: the candidate fails the same way; 0: it does not (or no budget). */
static int still_fails(shrinker *sh, const unsigned char *keep) {
  if (sh->runs >= sh->max_runs)
    return 0;
  char *text;
  jsim_scn *s = candidate(sh, keep, &text);
  /* LCOV_EXCL_BR_LINE below: out of memory (it parses what it wrote) */
  if (s == NULL) /* LCOV_EXCL_BR_LINE */
    return 0;
  free(text);
  jsim_run_opts o = {NULL, NULL, sh->timeout_s, 1};
  jsim_result r;
  jsim_run_seed(s, sh->seed, &o, &r);
  jsim_scn_free(s);
  sh->runs++;
  char sig[sizeof sh->sig];
  signature(&r, sig, sizeof sig);
  return r.status == sh->status && strcmp(sig, sh->sig) == 0;
}

/* ---- ddmin over the events ---------------------------------------------------- */

/* Keep exactly the events of idx[0..n). */
static void set_keep(unsigned char *keep, size_t total, const int *idx,
                     int n) {
  memset(keep, 0, total);
  for (int i = 0; i < n; i++)
    keep[idx[i]] = 1;
}

/* Reduce the kept events (keep) to a 1-minimal failing subset, as far as
 * the run budget goes. */
static void ddmin(shrinker *sh, unsigned char *keep) {
  size_t total = sh->c->nevents > 0 ? (size_t)sh->c->nevents : 0;
  int *cur = jnet__calloc(total + 1, sizeof *cur);
  int *tmp = jnet__calloc(total + 1, sizeof *tmp);
  unsigned char *k2 = jnet__calloc(total + 1, 1);
  /* LCOV_EXCL_BR_LINE below: out of memory */
  if (cur == NULL || tmp == NULL || k2 == NULL) /* LCOV_EXCL_BR_LINE */
    goto out;
  int n = 0;
  for (size_t i = 0; i < total; i++)
    if (keep[i])
      cur[n++] = (int)i;
  /* No fault at all may do. */
  set_keep(k2, total, cur, 0);
  if (n > 0 && still_fails(sh, k2)) {
    n = 0;
    goto done;
  }
  int parts = 2;
  while (n >= 2 && sh->runs < sh->max_runs) {
    int reduced = 0;
    int size = (n + parts - 1) / parts;
    /* A chunk alone, then everything but a chunk. */
    for (int pass = 0; pass < 2 && !reduced; pass++)
      for (int start = 0; start < n && !reduced; start += size) {
        int end = start + size < n ? start + size : n, m = 0;
        for (int i = 0; i < n; i++)
          if ((i >= start && i < end) == (pass == 0))
            tmp[m++] = cur[i];
        if (m == 0 || m == n)
          continue;
        set_keep(k2, total, tmp, m);
        if (still_fails(sh, k2)) {
          memcpy(cur, tmp, sizeof *cur * (size_t)m);
          n = m;
          parts = pass == 0 ? 2 : (parts - 1 > 2 ? parts - 1 : 2);
          reduced = 1;
        }
      }
    if (!reduced) {
      if (parts >= n)
        break;
      parts = parts * 2 < n ? parts * 2 : n;
    }
  }
done:
  set_keep(keep, total, cur, n);
out:
  jnet__free(cur);
  jnet__free(tmp);
  jnet__free(k2);
}

/* ---- Halving ------------------------------------------------------------------ */

static int is_uint(const char *v) {
  if (*v == 0 || strlen(v) > 18)
    return 0;
  for (const char *c = v; *c; c++)
    if (!isdigit((unsigned char)*c))
      return 0;
  return 1;
}

static void set_time(jsim_event *e, uint64_t ns);

/* Scale the kept faults' times by num/den (whole µs) from `from`. */
static void scale_times(shrinker *sh, const unsigned char *keep,
                        const uint64_t *from, uint64_t num, uint64_t den) {
  for (int i = 0; i < sh->c->nevents; i++)
    if (keep[i])
      set_time(&sh->c->events[i], from[i] / den * num / 1000 * 1000);
}

/* One step down for argument a: a smaller value that still fails, alone or
 * with the faults moved earlier in proportion (a client doing half the
 * operations is done in about half the time, before the faults would
 * come). Values near the half are tried too: a run's outcome hangs on
 * every packet's fate, so v/2 + 1 may fail where v/2 does not. 1 if a step
 * was taken. */
static int step_arg(shrinker *sh, const unsigned char *keep, jsim_arg *a,
                    uint64_t *times) {
  long long v = atoll(a->value);
  long long cand[] = {v / 2, v / 2 + 1, v / 2 - 1, v * 5 / 8, v * 3 / 4,
                      v * 7 / 8, v - 1};
  for (int i = 0; i < sh->c->nevents; i++)
    times[i] = sh->c->events[i].at_ns;
  for (size_t t = 0; t < 2 * sizeof cand / sizeof cand[0]; t++) {
    long long nv = cand[t / 2];
    int scaled = t % 2; /* the faults earlier by nv/v too */
    if (nv < 1 || nv >= v || sh->runs >= sh->max_runs)
      continue;
    char buf[32], *old = a->value;
    snprintf(buf, sizeof buf, "%lld", nv);
    char *dup = jnet__strdup(buf);
    if (dup == NULL) /* LCOV_EXCL_BR_LINE: out of memory */
      return 0;
    a->value = dup;
    scale_times(sh, keep, times, scaled ? (uint64_t)nv : 1,
                scaled ? (uint64_t)v : 1);
    if (still_fails(sh, keep)) {
      jnet__free(old);
      return 1;
    }
    a->value = old;
    jnet__free(dup);
    scale_times(sh, keep, times, 1, 1);
  }
  return 0;
}

/* Shrink integer arguments while the run still fails. */
static void halve_args(shrinker *sh, const unsigned char *keep) {
  uint64_t *times = jnet__calloc((size_t)sh->c->nevents + 1, sizeof *times);
  if (times == NULL) /* LCOV_EXCL_BR_LINE: out of memory */
    return;
  for (int i = 0; i < sh->c->nruns; i++) {
    jsim_run *r = &sh->c->runs[i];
    for (int k = 0; k < r->nargs; k++)
      while (is_uint(r->args[k].value) && atoll(r->args[k].value) > 1 &&
             step_arg(sh, keep, &r->args[k], times))
        ;
  }
  jnet__free(times);
}

/* Set event i's time (and the text the writer prints). */
static void set_time(jsim_event *e, uint64_t ns) {
  e->at_ns = e->at_hi = ns;
  jsim_fmt_time(ns, e->at_text, sizeof e->at_text);
}

/* Move every kept fault to half its time, while the run still fails (a
 * shorter run may then need fewer operations). 1 if they moved. */
static int halve_times(shrinker *sh, const unsigned char *keep) {
  int moved = 0;
  for (;;) {
    int any = 0;
    for (int i = 0; i < sh->c->nevents; i++)
      any |= keep[i] && sh->c->events[i].at_ns >= 2000000ull;
    if (!any || sh->runs >= sh->max_runs)
      return moved;
    uint64_t *old = jnet__calloc((size_t)sh->c->nevents + 1, sizeof *old);
    if (old == NULL) /* LCOV_EXCL_BR_LINE: out of memory */
      return moved;
    for (int i = 0; i < sh->c->nevents; i++)
      old[i] = sh->c->events[i].at_ns;
    scale_times(sh, keep, old, 1, 2);
    int ok = still_fails(sh, keep);
    if (!ok)
      scale_times(sh, keep, old, 1, 1);
    jnet__free(old);
    if (!ok)
      return moved;
    moved = 1;
  }
}

/* Halve arguments, then fault times, then arguments again, ... while
 * either shrinks; report the arguments that changed. */
static void halve_numbers(shrinker *sh, const unsigned char *keep, FILE *log) {
  int nargs = 0;
  for (int i = 0; i < sh->c->nruns; i++)
    nargs += sh->c->runs[i].nargs;
  char **before = jnet__calloc((size_t)nargs + 1, sizeof *before);
  for (int i = 0, j = 0; before != NULL && i < sh->c->nruns; i++)
    for (int k = 0; k < sh->c->runs[i].nargs; k++)
      before[j++] = jnet__strdup(sh->c->runs[i].args[k].value);
  uint64_t *t0 = jnet__calloc((size_t)sh->c->nevents + 1, sizeof *t0);
  /* LCOV_EXCL_BR_LINE below: NULL only out of memory */
  for (int i = 0; t0 != NULL && i < sh->c->nevents; i++) /* LCOV_EXCL_BR_LINE */
    t0[i] = sh->c->events[i].at_ns;
  int moved = 0;
  /* Arguments first (with the faults earlier when that helps); when the
   * faults alone move earlier, the arguments may shrink further. */
  while (sh->runs < sh->max_runs) {
    halve_args(sh, keep);
    if (!halve_times(sh, keep))
      break;
    moved = 1;
  }
  for (int i = 0, j = 0; before != NULL && i < sh->c->nruns; i++)
    for (int k = 0; k < sh->c->runs[i].nargs; k++, j++) {
      const jsim_arg *x = &sh->c->runs[i].args[k];
      if (before[j] != NULL && strcmp(before[j], x->value) != 0)
        fprintf(log, "  shrank %s=%s to %s=%s (run %s %s)\n", x->key,
                before[j], x->key, x->value,
                sh->c->hosts[sh->c->runs[i].host].name,
                sh->c->runs[i].prog->name);
      jnet__free(before[j]);
    }
  jnet__free(before);
  int earlier = moved;
  /* LCOV_EXCL_BR_LINE below: NULL only out of memory */
  for (int i = 0; t0 != NULL && i < sh->c->nevents; i++) /* LCOV_EXCL_BR_LINE */
    earlier |= keep[i] && sh->c->events[i].at_ns != t0[i];
  if (earlier)
    fprintf(log, "  moved the faults earlier (with fewer operations the run "
                 "is over before they would come)\n");
  jnet__free(t0);
}

/* Halve the limit while the run still fails; orig: the file's limit. */
static void halve_limit(shrinker *sh, const unsigned char *keep, uint64_t orig,
                        FILE *log) {
  while (sh->c->limit_ns >= 2000000ull && sh->runs < sh->max_runs) {
    uint64_t old = sh->c->limit_ns;
    sh->c->limit_ns = old / 2 / 1000000ull * 1000000ull; /* whole ms */
    if (!still_fails(sh, keep)) {
      sh->c->limit_ns = old;
      break;
    }
  }
  if (sh->c->limit_ns != orig)
    fprintf(log, "  cut the limit from %.3fs to %.3fs\n",
            (double)orig * 1e-9, (double)sh->c->limit_ns * 1e-9);
}

/* ---- The command ------------------------------------------------------------------ */

static void shrink_usage(FILE *f) {
  fprintf(f,
          "usage: jnet-sim shrink FILE --seed N [--max-runs N] [--out F]\n"
          "         [--seed-timeout DUR]\n"
          "Reduce a failing seed to a smaller scenario that fails the same\n"
          "expectation for the same seed: draw its swarm values (ranges\n"
          "become the values drawn, generators plain `at` lines), remove\n"
          "`at` lines (delta debugging), halve integer program arguments and\n"
          "the time limit. Writes FILE.min.scn (or --out F), a plain\n"
          "scenario with a `seed N` line, and prints what it removed.\n"
          "  --max-runs N   at most N runs, 2 or more (default 500)\n"
          "Exit: 0 shrunk, 2 the seed passes, or usage or scenario error.\n");
}

/* FILE.scn -> FILE.min.scn */
static void min_name(const char *path, char *buf, size_t len) {
  size_t n = strlen(path);
  if (n > 4 && strcmp(path + n - 4, ".scn") == 0)
    n -= 4;
  snprintf(buf, len, "%.*s.min.scn", (int)n, path);
}

/* How many things a swarm draws: ranged values, maybe lines, generators. */
static int count_draws(const jsim_scn *s) {
  int n = s->ngens;
  for (int i = 0; i < s->nlinks; i++)
    for (int k = 0; k < s->links[i].nopts; k++)
      n += s->links[i].opts[k].ranged;
  for (int i = 0; i < s->nruns; i++)
    for (int k = 0; k < s->runs[i].nargs; k++)
      n += s->runs[i].args[k].ranged;
  for (int i = 0; i < s->nevents; i++)
    n += (s->events[i].at_hi != s->events[i].at_ns) +
         (s->events[i].maybe < 1.0);
  return n;
}

/* The lines of an event as the writer prints them (for the report). */
static void event_line(shrinker *sh, int i, char *buf, size_t len) {
  unsigned char *k = jnet__calloc((size_t)sh->c->nevents + 1, 1);
  char *text = NULL;
  buf[0] = 0;
  if (k == NULL) /* LCOV_EXCL_BR_LINE: out of memory */
    return;
  k[i] = 1;
  int wrc = jsim_write_scn(sh->c, sh->seed, k, &text, NULL, 0);
  if (wrc == 0) { /* LCOV_EXCL_BR_LINE: fails only out of memory */
    const char *l = strstr(text, "\nat ");
    if (l != NULL) /* LCOV_EXCL_BR_LINE: the text has the kept event */
      snprintf(buf, len, "%.*s", (int)strcspn(l + 1, "\n"), l + 1);
  }
  free(text);
  jnet__free(k);
}

static int parse_args(int argc, char **argv, const char **path,
                      uint64_t *seed, int *have_seed, int *max_runs,
                      const char **outp, uint64_t *timeout_ns) {
  static const struct option longopts[] = {
      {"seed", required_argument, NULL, 's'},
      {"max-runs", required_argument, NULL, 'm'},
      {"out", required_argument, NULL, 'o'},
      {"seed-timeout", required_argument, NULL, 'T'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    uint64_t hi;
    char *end;
    switch (c) {
    case 's':
      if (jsim_parse_range(optarg, seed, &hi) < 0 || hi != *seed) {
        fprintf(stderr, "jnet-sim shrink: --seed: expected a number from 0 "
                        "to 2^63-1, got '%s'\n", optarg);
        return 2;
      }
      *have_seed = 1;
      break;
    case 'm':
      errno = 0;
      *max_runs = (int)strtol(optarg, &end, 10);
      /* two at least: one to see the seed fail, one for its drawn
       * scenario (without it a budget of 1 read as nondeterminism) */
      if (errno || *end || *max_runs < 2 || *max_runs > 1000000) {
        fprintf(stderr, "jnet-sim shrink: --max-runs: expected 2..1000000, "
                        "got '%s'\n", optarg);
        return 2;
      }
      break;
    case 'o': *outp = optarg; break;
    case 'T':
      if (jsim_parse_duration(optarg, timeout_ns) < 0) {
        fprintf(stderr, "jnet-sim shrink: --seed-timeout: expected a "
                        "duration such as 30s, got '%s'\n", optarg);
        return 2;
      }
      break;
    case 'h': shrink_usage(stdout); return 0;
    default: shrink_usage(stderr); return 2;
    }
  }
  if (optind + 1 != argc) {
    shrink_usage(stderr);
    return 2;
  }
  *path = argv[optind];
  return -1;
}

static int write_min(shrinker *sh, const unsigned char *keep, const char *out,
                     const char *path) {
  char *text;
  sh->c->has_seeds = 1;
  sh->c->seed_lo = sh->c->seed_hi = sh->seed;
  int wrc = jsim_write_scn(sh->c, sh->seed, keep, &text, NULL, 0);
  if (wrc < 0) /* LCOV_EXCL_BR_LINE: out of memory */
    return -1;
  FILE *f = fopen(out, "w");
  if (f == NULL) {
    fprintf(stderr, "jnet-sim shrink: cannot write %s: %s\n", out,
            strerror(errno));
    free(text);
    return -1;
  }
  fprintf(f, "# %s — shrunk by jnet-sim shrink from %s, seed %llu.\n"
             "# It still fails: %s\n",
          out, path, (unsigned long long)sh->seed, sh->sig);
  fputs(text, f);
  free(text);
  if (fclose(f) != 0) { /* a full disk: said, as an open that fails */
    fprintf(stderr, "jnet-sim shrink: cannot write %s: %s\n", out,
            strerror(errno));
    return -1;
  }
  return 0;
}

int jsim_shrink_main(int argc, char **argv, const jnet_program *progs,
                     size_t nprogs) {
  const char *path = NULL, *outp = NULL;
  uint64_t seed = 0, timeout_ns = 60 * JNET_SIM_S;
  int have_seed = 0, max_runs = 500;
  int rc = parse_args(argc, argv, &path, &seed, &have_seed, &max_runs, &outp,
                      &timeout_ns);
  if (rc >= 0)
    return rc;
  char err[512], out[1100];
  jsim_scn *s;
  if (jsim_parse_file(path, progs, nprogs, &s, err, sizeof err) < 0) {
    fprintf(stderr, "%s\n", err);
    return 2;
  }
  if (!have_seed)
    seed = s->seed_lo;
  if (outp == NULL) {
    min_name(path, out, sizeof out);
    outp = out;
  }
  shrinker sh;
  memset(&sh, 0, sizeof sh);
  sh.seed = seed;
  sh.max_runs = max_runs;
  sh.timeout_s = (double)timeout_ns * 1e-9;
  jsim_run_opts o = {NULL, NULL, sh.timeout_s, 1};
  jsim_result r0;
  jsim_run_seed(s, seed, &o, &r0);
  sh.runs = 1;
  if (r0.status == JSIM_PASS) {
    fprintf(stderr,
            "jnet-sim shrink: seed %llu of %s passes (%s): nothing to "
            "shrink; pick a failing seed (`jnet-sim sweep %s` lists them)\n",
            (unsigned long long)seed, path, r0.msg, path);
    jsim_scn_free(s);
    return 2;
  }
  sh.status = r0.status;
  signature(&r0, sh.sig, sizeof sh.sig);
  printf("seed %llu of %s fails: %s\n", (unsigned long long)seed, path,
         r0.msg);
  /* 1. The seed's draws, as a plain scenario. */
  int draws = count_draws(s);
  sh.c = jsim_instantiate(s, seed, NULL, 0, err, sizeof err);
  int ngens = s->ngens, nevents0 = s->nevents;
  jsim_scn_free(s);
  /* LCOV_EXCL_BR_LINE below: out of memory (it parses what it wrote) */
  if (sh.c == NULL) { /* LCOV_EXCL_BR_LINE */
    fprintf(stderr, "jnet-sim shrink: %s\n", err);
    return 2;
  }
  int total = sh.c->nevents;
  unsigned char *keep = jnet__malloc((size_t)total + 1);
  if (keep == NULL) { /* LCOV_EXCL_BR_LINE: out of memory */
    jsim_scn_free(sh.c);
    return 2;
  }
  memset(keep, 1, (size_t)total + 1);
  if (!still_fails(&sh, keep)) {
    fprintf(stderr, "jnet-sim shrink: the drawn scenario of seed %llu does "
                    "not fail the same way (%s): is the run deterministic? "
                    "(try --check-determinism)\n",
            (unsigned long long)seed, sh.sig);
    jnet__free(keep);
    jsim_scn_free(sh.c);
    return 2;
  }
  /* The fault lines as drawn, for the report (shrinking moves them). */
  char(*drawn_lines)[200] = jnet__calloc((size_t)total + 1, sizeof *drawn_lines);
  /* LCOV_EXCL_BR_LINE below: NULL only out of memory */
  for (int i = 0; drawn_lines != NULL && i < total; i++) /* LCOV_EXCL_BR_LINE */
    event_line(&sh, i, drawn_lines[i], sizeof drawn_lines[i]);
  /* A limit just above the failure keeps every later run short. */
  uint64_t limit_orig = sh.c->limit_ns;
  uint64_t tight = (uint64_t)(r0.virtual_s * 2e3 + 1000) * 1000000ull;
  if (tight < sh.c->limit_ns) {
    uint64_t was = sh.c->limit_ns;
    sh.c->limit_ns = tight;
    if (!still_fails(&sh, keep))
      sh.c->limit_ns = was;
  }
  /* 2-4. */
  ddmin(&sh, keep);
  printf("what shrink did:\n");
  halve_numbers(&sh, keep, stdout);
  halve_limit(&sh, keep, limit_orig, stdout);
  ddmin(&sh, keep);
  int kept = 0;
  for (int i = 0; i < total; i++)
    kept += keep[i];
  if (draws > 0)
    printf("  narrowed %d range%s, maybe and faults line%s to the values "
           "seed %llu drew (%d `at` lines from %d lines and %d generator%s)\n",
           draws, draws == 1 ? "" : "s", draws == 1 ? "" : "s",
           (unsigned long long)seed, total, nevents0, ngens,
           ngens == 1 ? "" : "s");
  printf("  removed %d of %d fault lines", total - kept, total);
  for (int i = 0, first = 1; drawn_lines != NULL && i < total; i++) {
    if (keep[i])
      continue;
    printf("%s%s", first ? ": " : ", ", drawn_lines[i]);
    first = 0;
  }
  jnet__free(drawn_lines);
  printf("\n  kept %d fault line%s", kept, kept == 1 ? "" : "s");
  for (int i = 0, first = 1; i < total; i++) {
    if (!keep[i])
      continue;
    char l[300];
    event_line(&sh, i, l, sizeof l);
    printf("%s%s", first ? ": " : ", ", l);
    first = 0;
  }
  printf("\n");
  if (sh.runs >= sh.max_runs)
    printf("stopped at --max-runs %d: the result may shrink further\n",
           sh.max_runs);
  rc = write_min(&sh, keep, outp, path) < 0 ? 2 : 0;
  if (rc == 0)
    printf("wrote %s (%d runs); replay: %s run %s --seed %llu\n", outp,
           sh.runs, jsim_argv0, outp, (unsigned long long)seed);
  jnet__free(keep);
  jsim_scn_free(sh.c);
  return rc;
}
