/* jsim_swarm.c — swarm scenarios: draw a seed's ranges, maybes and fault
 * schedules, and write any scenario back as .scn text.
 *
 * A swarm file (scenarios/README.md, "Swarm") has ranges where numbers go
 * (`latency 1ms..50ms`, `at 1s..10s crash db`, `ops=50..100`), `maybe P%`
 * lines and `faults N..M of ... between T1..T2` generators. Each line draws
 * from its own stream: splitmix64 seeded by the seed and the line's key (a
 * hash of its words, jsim_line_key), so adding or removing a line leaves
 * every other line's draws alone.
 *
 * Drawing is writing: jsim_write_scn prints the scenario with every draw
 * made — a plain .scn — and jsim_instantiate parses that text back. So the
 * drawn run and the written file are the same run by construction, which
 * is what `run FILE --seed N` replays and what `shrink` writes. Drawn
 * values are written so that they parse back exactly: times in whole ns,
 * µs or ms, percentages to 0.001 %, rates and sizes in whole bits and
 * bytes.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "jnet_alloc.h"
#include "jnet_mix.h"
#include "jsim_scn.h"

/* ---- Streams ------------------------------------------------------------------ */


uint64_t jsim_line_key(const char *text, size_t len, unsigned occurrence) {
  uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)text[i]) * 0x100000001b3ull;
  return jnet__fmix64(h + occurrence);
}

typedef struct rng {
  uint64_t x;
} rng;

static rng stream(uint64_t seed, uint64_t key) {
  rng r = {jnet__fmix64(seed ^ jnet__fmix64(key ^ 0x5157a2d5ull))};
  return r;
}

static uint64_t next(rng *r) {
  r->x += JNET__GOLDEN_GAMMA;
  return jnet__fmix64(r->x);
}

/* Uniform in lo..hi, both included. */
static uint64_t between(rng *r, uint64_t lo, uint64_t hi) {
  uint64_t span = hi - lo + 1;
  if (span == 0) /* LCOV_EXCL_BR_LINE: no range is all of 0..2^64-1 */
    return next(r);
  return lo + (uint64_t)(((unsigned __int128)next(r) * span) >> 64);
}

static double unit01(rng *r) { return (double)(next(r) >> 11) * 0x1p-53; }

/* ---- Values as text ------------------------------------------------------------- */

void jsim_fmt_time(uint64_t ns, char *buf, size_t len) {
  if (ns % 1000000000ull == 0)
    snprintf(buf, len, "%llus", (unsigned long long)(ns / 1000000000ull));
  else if (ns % 1000000ull == 0)
    snprintf(buf, len, "%llums", (unsigned long long)(ns / 1000000ull));
  else if (ns % 1000ull == 0)
    snprintf(buf, len, "%lluus", (unsigned long long)(ns / 1000ull));
  else
    snprintf(buf, len, "%lluns", (unsigned long long)ns);
}

/* A time in lo..hi: whole ms over wide ranges, whole µs over narrower. */
static uint64_t draw_ns(rng *r, uint64_t lo, uint64_t hi) {
  uint64_t g = hi - lo >= 100000000ull ? 1000000ull
               : hi - lo >= 100000ull  ? 1000ull
                                       : 1ull;
  uint64_t a = (lo + g - 1) / g, b = hi / g;
  if (a > b) /* LCOV_EXCL_BR_LINE: hi - lo >= 100 g holds a multiple of g */
    return between(r, lo, hi);
  return between(r, a, b) * g;
}

/* A probability in lo..hi, to 0.001 %. */
static void draw_pct(rng *r, double lo, double hi, char *buf, size_t len) {
  uint64_t a = (uint64_t)ceil(lo * 1e5 - 1e-6), b = (uint64_t)floor(hi * 1e5 + 1e-6);
  if (a > b)
    a = b = (uint64_t)llround(lo * 1e5);
  uint64_t k = between(r, a, b);
  snprintf(buf, len, "%llu.%03llu%%", (unsigned long long)(k / 1000),
           (unsigned long long)(k % 1000));
}

/* ---- The writer ------------------------------------------------------------------ */

typedef struct line {
  char s[2048];
  size_t n;
} line;

static void put(line *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void put(line *l, const char *fmt, ...) {
  if (l->n >= sizeof l->s - 1)
    return;
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(l->s + l->n, sizeof l->s - l->n, fmt, ap);
  va_end(ap);
  if (k > 0)
    l->n += (size_t)k;
  if (l->n > sizeof l->s - 1)
    l->n = sizeof l->s - 1;
}

typedef struct writer {
  FILE *f;
  const jsim_scn *s;
  uint64_t seed;
  char *drawn;
  size_t dlen, dused;
  /* What each pair's link lines declare (latency, loss), for the undo of
   * a drawn set-link: [a * nhosts + b]; index nhosts * nhosts: default. */
  char (*lat)[48], (*loss)[48];
} writer;

static void emit(writer *w, const line *l, int drawn) {
  fprintf(w->f, "%s\n", l->s);
  if (!drawn || w->drawn == NULL || w->dused + 1 >= w->dlen)
    return;
  int k = snprintf(w->drawn + w->dused, w->dlen - w->dused, "%s%s",
                   w->dused ? "; " : "", l->s);
  if (k > 0)
    w->dused += (size_t)k;
  if (w->dused >= w->dlen)
    w->dused = w->dlen - 1;
}

static const char *host(const writer *w, int i) { return w->s->hosts[i].name; }

/* One option's value: as written, or drawn from its range. */
static void opt_value(rng *r, const jsim_linkopt *o, char *buf, size_t len) {
  if (!o->ranged) {
    snprintf(buf, len, "%s", o->text);
    return;
  }
  switch (o->what) {
  case JSIM_OPT_LATENCY:
  case JSIM_OPT_JITTER:
  case JSIM_OPT_REORDER_BY:
    jsim_fmt_time(draw_ns(r, (uint64_t)o->value, (uint64_t)o->hi), buf, len);
    break;
  case JSIM_OPT_BANDWIDTH:
    snprintf(buf, len, "%llubit",
             (unsigned long long)between(r, (uint64_t)o->value,
                                         (uint64_t)o->hi));
    break;
  case JSIM_OPT_QUEUE:
    snprintf(buf, len, "%llub",
             (unsigned long long)between(r, (uint64_t)o->value,
                                         (uint64_t)o->hi));
    break;
  case JSIM_OPT_MTU:
    snprintf(buf, len, "%llu",
             (unsigned long long)between(r, (uint64_t)o->value,
                                         (uint64_t)o->hi));
    break;
  default: /* probabilities */
    draw_pct(r, o->value, o->hi, buf, len);
  }
}

static const char *opt_word(int what) {
  switch (what) {
  case JSIM_OPT_LATENCY: return "latency";
  case JSIM_OPT_JITTER: return "jitter";
  case JSIM_OPT_DIST: return "dist";
  case JSIM_OPT_LOSS: return "loss";
  case JSIM_OPT_DUP: return "dup";
  case JSIM_OPT_REORDER: return "reorder";
  case JSIM_OPT_REORDER_BY: return "by";
  case JSIM_OPT_CORRUPT: return "corrupt";
  case JSIM_OPT_BANDWIDTH: return "bandwidth";
  case JSIM_OPT_QUEUE: return "queue";
  case JSIM_OPT_MTU: return "mtu";
  case JSIM_OPT_GE_P: return "burst";
  case JSIM_OPT_GE_R: return "";
  default: return "bad-loss";
  }
}

/* "A B opts [oneway]" or "default opts"; 1 if a value was drawn. The
 * latency and loss written are remembered for drawn set-link undos. */
static int link_spec(writer *w, rng *r, const jsim_link *l, line *out,
                     int remember) {
  int drawn = 0, nh = w->s->nhosts;
  if (l->a < 0)
    put(out, "default");
  else
    put(out, "%s %s", host(w, l->a), host(w, l->b));
  for (int i = 0; i < l->nopts; i++) {
    const jsim_linkopt *o = &l->opts[i];
    if (o->what == JSIM_OPT_GE_LOSS && o->text[0] == 0)
      continue; /* burst's default bad-loss */
    char v[48];
    opt_value(r, o, v, sizeof v);
    drawn |= o->ranged;
    const char *kw = opt_word(o->what);
    put(out, kw[0] ? " %s %s" : " %s%s", kw, v);
    if (!remember || w->lat == NULL)
      continue;
    size_t k1 = l->a < 0 ? (size_t)nh * (size_t)nh
                         : (size_t)l->a * (size_t)nh + (size_t)l->b;
    size_t k2 = l->a < 0 ? k1 : (size_t)l->b * (size_t)nh + (size_t)l->a;
    if (o->what == JSIM_OPT_LATENCY) {
      snprintf(w->lat[k1], sizeof w->lat[k1], "%s", v);
      if (!l->oneway)
        snprintf(w->lat[k2], sizeof w->lat[k2], "%s", v);
    } else if (o->what == JSIM_OPT_LOSS) {
      snprintf(w->loss[k1], sizeof w->loss[k1], "%s", v);
      if (!l->oneway)
        snprintf(w->loss[k2], sizeof w->loss[k2], "%s", v);
    }
  }
  if (l->oneway)
    put(out, " oneway");
  return drawn;
}

static void put_group(writer *w, line *out, const int *g, int n) {
  put(out, " {");
  for (int i = 0; i < n; i++)
    put(out, " %s", host(w, g[i]));
  put(out, " }");
}

/* The hosts of an `at` line: fixed, or drawn from its choices (b never
 * the same as a). 1 if drawn. */
static int pick_hosts(rng *r, const jsim_event *e, int *a, int *b) {
  *a = e->nca ? e->ca[between(r, 0, (uint64_t)e->nca - 1)] : e->a;
  *b = e->b;
  if (e->ncb) {
    int left[JSIM_MAX_CHOICES], n = 0;
    for (int i = 0; i < e->ncb; i++)
      if (e->cb[i] != *a)
        left[n++] = e->cb[i];
    *b = e->cb[0];
    if (n > 0) /* LCOV_EXCL_BR_LINE: of two distinct choices one is not a */
      *b = left[between(r, 0, (uint64_t)n - 1)];
  }
  return e->nca || e->ncb;
}

/* The fault of an `at` line, after its time. */
static int fault_text(writer *w, rng *r, const jsim_event *e0, line *out) {
  jsim_event chosen = *e0;
  const jsim_event *e = &chosen;
  int drawn = pick_hosts(r, e0, &chosen.a, &chosen.b);
  /* LCOV_EXCL_BR_LINE below: `set link` takes no choices (never drawn) */
  if (drawn && e->kind != JSIM_EV_SET_LINK) { /* LCOV_EXCL_BR_LINE */
    chosen.nca = chosen.ncb = 0;
    line tmp = {"", 0};
    fault_text(w, r, e, &tmp);
    put(out, "%s", tmp.s);
    return 1;
  }
  switch (e->kind) {
  case JSIM_EV_PARTITION:
    put(out, "partition %s %s%s", host(w, e->a), host(w, e->b),
        e->oneway ? " oneway" : "");
    return 0;
  case JSIM_EV_PARTITION_GROUPS:
    put(out, "partition");
    put_group(w, out, e->ga, e->nga);
    put_group(w, out, e->gb, e->ngb);
    if (e->oneway)
      put(out, " oneway");
    return 0;
  case JSIM_EV_HEAL: put(out, "heal %s %s", host(w, e->a), host(w, e->b)); return 0;
  case JSIM_EV_HEAL_ALL: put(out, "heal all"); return 0;
  case JSIM_EV_CLOG: put(out, "clog %s %s", host(w, e->a), host(w, e->b)); return 0;
  case JSIM_EV_UNCLOG: put(out, "unclog %s %s", host(w, e->a), host(w, e->b)); return 0;
  case JSIM_EV_CRASH: put(out, "crash %s", host(w, e->a)); return 0;
  case JSIM_EV_RESTART: put(out, "restart %s", host(w, e->a)); return 0;
  default:
    put(out, "set link ");
    return link_spec(w, r, &e->link, out, 0);
  }
}

static void write_event(writer *w, const jsim_event *e) {
  rng r = stream(w->seed, e->key);
  line l = {"", 0};
  if (e->maybe < 1.0 && !(unit01(&r) < e->maybe)) {
    put(&l, "# not drawn: maybe %s at %s ...", e->maybe_text, e->at_text);
    emit(w, &l, 1);
    return;
  }
  char t[48];
  if (e->at_hi != e->at_ns)
    jsim_fmt_time(draw_ns(&r, e->at_ns, e->at_hi), t, sizeof t);
  else
    snprintf(t, sizeof t, "%s", e->at_text);
  put(&l, "at %s ", t);
  int drawn = fault_text(w, &r, e, &l);
  emit(w, &l, drawn || e->maybe < 1.0 || e->at_hi != e->at_ns);
}

static const char *declared(writer *w, char (*tab)[48], int a, int b,
                            const char *def) {
  size_t nh = (size_t)w->s->nhosts;
  if (tab == NULL) /* LCOV_EXCL_BR_LINE: allocated with the generators */
    return def;
  if (tab[(size_t)a * nh + (size_t)b][0])
    return tab[(size_t)a * nh + (size_t)b];
  if (tab[nh * nh][0])
    return tab[nh * nh];
  return def;
}

/* One drawn fault of a generator: the fault at t, its undo at t2. */
static void write_gen_fault(writer *w, const jsim_gen *g, rng *r) {
  int kinds[4], nk = 0;
  for (int k = 0; k < 4; k++)
    if (g->kinds & (1u << k))
      kinds[nk++] = k;
  int kind = kinds[between(r, 0, (uint64_t)nk - 1)];
  uint64_t t = draw_ns(r, g->t_lo, g->t_hi);
  uint64_t t2 = draw_ns(r, t, g->t_hi);
  int a = g->hosts[between(r, 0, (uint64_t)g->nhosts - 1)], b = a;
  if (kind != JSIM_GEN_CRASH) {
    int bi = (int)between(r, 0, (uint64_t)g->nhosts - 2);
    b = g->hosts[bi];
    if (b == a)
      b = g->hosts[g->nhosts - 1];
  }
  char ts[48], ts2[48];
  jsim_fmt_time(t, ts, sizeof ts);
  jsim_fmt_time(t2, ts2, sizeof ts2);
  line l1 = {"", 0}, l2 = {"", 0};
  const char *A = host(w, a), *B = host(w, b);
  switch (kind) {
  case JSIM_GEN_PARTITION:
    put(&l1, "at %s partition %s %s", ts, A, B);
    put(&l2, "at %s heal %s %s", ts2, A, B);
    break;
  case JSIM_GEN_CLOG:
    put(&l1, "at %s clog %s %s", ts, A, B);
    put(&l2, "at %s unclog %s %s", ts2, A, B);
    break;
  case JSIM_GEN_CRASH:
    put(&l1, "at %s crash %s", ts, A);
    put(&l2, "at %s restart %s", ts2, A);
    break;
  default: { /* a worse link: 1..100 ms, 1..30 % loss; then its own */
    char lat[48], loss[48];
    jsim_fmt_time(draw_ns(r, 1000000ull, 100000000ull), lat, sizeof lat);
    draw_pct(r, 0.01, 0.30, loss, sizeof loss);
    put(&l1, "at %s set link %s %s latency %s loss %s", ts, A, B, lat, loss);
    put(&l2, "at %s set link %s %s latency %s loss %s", ts2, A, B,
        declared(w, w->lat, a, b, "1ms"), declared(w, w->loss, a, b, "0%"));
  }
  }
  emit(w, &l1, 1);
  emit(w, &l2, 1);
}

static int by_line(const void *x, const void *y) {
  const jsim_event *const *a = x, *const *b = y;
  return ((*a)->line > (*b)->line) - ((*a)->line < (*b)->line);
}

/* 0, or -1: out of memory (nothing usable written). */
static int write_all(writer *w, const unsigned char *keep) {
  const jsim_scn *s = w->s;
  char t[48];
  if (s->has_seeds && s->seed_lo == s->seed_hi)
    fprintf(w->f, "seed %llu\n", (unsigned long long)s->seed_lo);
  else if (s->has_seeds)
    fprintf(w->f, "seed %llu..%llu\n", (unsigned long long)s->seed_lo,
            (unsigned long long)s->seed_hi);
  for (int i = 0; i < s->nhosts; i++) {
    fprintf(w->f, "host %s", s->hosts[i].name);
    for (int k = 0; k < s->hosts[i].naddrs; k++) {
      const char *a = s->hosts[i].addrs[k];
      fprintf(w->f, strchr(a, ':') ? " [%s]" : " %s", a);
    }
    fputc('\n', w->f);
  }
  for (int i = 0; i < s->nlinks; i++) {
    rng r = stream(w->seed, s->links[i].key);
    line l = {"link ", 5};
    int drawn = link_spec(w, &r, &s->links[i], &l, 1);
    emit(w, &l, drawn);
  }
  for (int i = 0; i < s->nruns; i++) {
    const jsim_run *ru = &s->runs[i];
    rng r = stream(w->seed, ru->key);
    line l = {"", 0};
    int drawn = 0;
    put(&l, "run %s %s", host(w, ru->host), ru->prog->name);
    for (int k = 0; k < ru->nargs; k++) {
      const jsim_arg *a = &ru->args[k];
      if (a->ranged) {
        put(&l, " %s=%llu", a->key,
            (unsigned long long)between(&r, (uint64_t)a->lo,
                                        (uint64_t)a->hi));
        drawn = 1;
      } else {
        put(&l, " %s=%s", a->key, a->value);
      }
    }
    emit(w, &l, drawn);
  }
  /* `at` lines in file order: parsing sorts them by time again, stably. */
  const jsim_event **ev = jnet__calloc((size_t)s->nevents + 1, sizeof *ev);
  if (ev == NULL)
    return -1; /* not a scenario without its faults */
  int ne = 0;
  for (int i = 0; i < s->nevents; i++)
    if (keep == NULL || keep[i])
      ev[ne++] = &s->events[i];
  qsort(ev, (size_t)ne, sizeof *ev, by_line);
  for (int i = 0; i < ne; i++)
    write_event(w, ev[i]);
  jnet__free(ev);
  for (int i = 0; i < s->ngens; i++) {
    const jsim_gen *g = &s->gens[i];
    rng r = stream(w->seed, g->key);
    uint64_t n = between(&r, g->nlo, g->nhi);
    fprintf(w->f, "# faults line %d: %llu drawn\n", g->line,
            (unsigned long long)n);
    for (uint64_t k = 0; k < n; k++)
      write_gen_fault(w, g, &r);
  }
  jsim_fmt_time(s->limit_ns, t, sizeof t);
  fprintf(w->f, "limit %s events %llu\n", t,
          (unsigned long long)s->limit_events);
  for (int i = 0; i < s->nexpects; i++) {
    const jsim_expect *x = &s->expects[i];
    if (x->kind == JSIM_X_QUIESCENT)
      fprintf(w->f, "expect quiescent\n");
    else if (x->kind == JSIM_X_LINEARIZABLE)
      fprintf(w->f, "expect linearizable\n");
    else
      fprintf(w->f, "expect %s %s %s\n", host(w, x->host), x->prog, x->check);
  }
  return 0;
}

int jsim_write_scn(const jsim_scn *s, uint64_t seed, const unsigned char *keep,
                   char **text, char *drawn, size_t dlen) {
  size_t len = 0;
  *text = NULL;
  writer w;
  memset(&w, 0, sizeof w);
  w.s = s;
  w.seed = seed;
  w.drawn = drawn;
  w.dlen = dlen;
  if (drawn != NULL && dlen > 0) /* LCOV_EXCL_BR_LINE: (NULL, 0) or room */
    drawn[0] = 0;
  size_t cells = (size_t)s->nhosts * (size_t)s->nhosts + 1;
  if (s->ngens > 0) {
    w.lat = jnet__calloc(cells, sizeof *w.lat);
    w.loss = jnet__calloc(cells, sizeof *w.loss);
  }
  /* Without the tables a generated set-link's undo would fall back to the
   * defaults: a different scenario, not a smaller one. */
  if (s->ngens > 0 && (w.lat == NULL || w.loss == NULL))
    w.f = NULL;
  else
    w.f = open_memstream(text, &len);
  if (w.f == NULL) {
    jnet__free(w.lat);
    jnet__free(w.loss);
    return -1;
  }
  int bad = write_all(&w, keep) < 0;
  bad |= ferror(w.f);
  fclose(w.f);
  jnet__free(w.lat);
  jnet__free(w.loss);
  if (bad) {
    free(*text);
    *text = NULL;
    return -1;
  }
  return 0;
}

jsim_scn *jsim_instantiate(const jsim_scn *s, uint64_t seed, char *drawn,
                           size_t dlen, char *err, size_t errlen) {
  char *text;
  if (jsim_write_scn(s, seed, NULL, &text, drawn, dlen) < 0) {
    snprintf(err, errlen, "%s: error: out of memory drawing seed %llu",
             s->path, (unsigned long long)seed);
    return NULL;
  }
  jsim_scn *out = NULL;
  char e2[512];
  if (jsim_parse_text(s->path, text, s->progs, s->nprogs, &out, e2,
                      sizeof e2) < 0) {
    snprintf(err, errlen, "the drawn scenario for seed %llu: %s",
             (unsigned long long)seed, e2);
    out = NULL;
  }
  free(text);
  return out;
}
