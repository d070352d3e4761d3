/* lincheck.c — is a history linearizable, against a register per key?
 *
 * Keys are checked one by one (P-compositionality: a history is
 * linearizable iff each key's sub-history is, Horn & Kroening 2015). For
 * one key the search is Wing & Gong's as Lowe improved it, and as Porcupine
 * implements it: the calls and returns sit in one list in time order (calls
 * before returns at equal times); walking it, we linearize a call whose
 * operation the register allows in its current state, lifting the call and
 * its return out of the list; reaching a return whose operation is not yet
 * linearized means the last choice was wrong, so we undo it and try the
 * next call. A (linearized set, register value) pair seen before is never
 * explored twice: the set is a bitset, hashed incrementally (Zobrist).
 *
 * Jepsen's meanings: a `fail` operation did not happen and is left out; an
 * `info` operation (or one still open at the end) may take effect at any
 * point after its invoke, or never: its return sits after every other one,
 * and reaching it means every operation that did complete is linearized,
 * so the rest may simply never have happened. An `info` read tells nothing
 * and is left out; so is an `info` write or cas whose value no read
 * returns and no cas expects (drop_unseen).
 *
 * On a violation, the key's history is cut to its shortest failing prefix
 * (operations cut short become open), then operations are removed, in
 * halves and then one at a time, while it still fails: the smallest
 * failing sub-history found is what jnet_lin_result holds.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "jnet_alloc.h"
#include <jnet/jnet.h>

/* One operation of a key, as the search sees it. */
typedef struct lop {
  int64_t call, ret; /* ret INT64_MAX: info or open */
  int32_t v1, v2;    /* interned values: write/cas-expected/read; cas new */
  uint8_t f, info;
  size_t inv, done; /* event indexes; done SIZE_MAX if none */
} lop;

/* ---- Values
 * ---------------------------------------------------------------------- */

/* Interned values: 0 is null; equal JSON values get equal ids. */
typedef struct vtab {
  const jnet_hvalue **vals; /* id -> value; [0] unused */
  size_t n, cap;
  uint32_t *map; /* open addressing: id; 0 empty */
  size_t mapcap;
} vtab;

static uint64_t value_hash(const jnet_hvalue *v) {
  if (v->kind == JNET_HV_STRING)
    return jnet__hist_hash(v->str, strlen(v->str)) ^ 0x5555;
  double d = v->num == 0 ? 0.0 : v->num; /* -0 equals 0 */
  uint64_t bits;
  memcpy(&bits, &d, sizeof bits);
  return jnet__splitmix64(bits);
}

static int value_eq(const jnet_hvalue *a, const jnet_hvalue *b) {
  if (a->kind != b->kind)
    return 0;
  if (a->kind == JNET_HV_STRING)
    return strcmp(a->str, b->str) == 0;
  return a->kind == JNET_HV_NULL || a->num == b->num;
}

/* The id of v, interning it; -1 out of memory. */
static int32_t intern(vtab *t, const jnet_hvalue *v) {
  if (v->kind == JNET_HV_NULL)
    return 0;
  if ((t->n + 2) * 2 > t->mapcap) {
    size_t cap = t->mapcap ? t->mapcap * 2 : 64;
    uint32_t *nm = jnet__calloc(cap, sizeof *nm);
    const jnet_hvalue **nv = jnet__realloc(t->vals, cap * sizeof *nv);
    if (nm == NULL || nv == NULL) {
      jnet__free(nm);
      if (nv != NULL)
        t->vals = nv;
      return -1;
    }
    t->vals = nv;
    for (size_t id = 1; id <= t->n; id++) {
      size_t i = value_hash(t->vals[id]) & (cap - 1);
      while (nm[i] != 0)
        i = (i + 1) & (cap - 1);
      nm[i] = (uint32_t)id;
    }
    jnet__free(t->map);
    t->map = nm;
    t->mapcap = cap;
  }
  size_t mask = t->mapcap - 1;
  size_t i = value_hash(v) & mask;
  for (; t->map[i] != 0; i = (i + 1) & mask)
    if (value_eq(t->vals[t->map[i]], v))
      return (int32_t)t->map[i];
  t->vals[++t->n] = v;
  t->map[i] = (uint32_t)t->n;
  return (int32_t)t->n;
}

/* ---- The search for one key
 * -------------------------------------------------- */

typedef struct entry {
  int64_t time;
  uint32_t op;
  uint8_t is_ret;
} entry;

static int cmp_entry(const void *a, const void *b) {
  const entry *x = a, *y = b;
  if (x->time != y->time)
    return x->time < y->time ? -1 : 1;
  if (x->is_ret != y->is_ret)
    return x->is_ret ? 1 : -1; /* calls before returns */
  return x->op < y->op ? -1 : x->op > y->op;
}

/* The visited (linearized set, value) pairs. A set is stored compressed,
 * exactly: the search linearizes completed operations roughly in invoke
 * order (their bit order), so their part of the set is a run of full words
 * and a short tail (lo full words, then the words up to the last non-zero
 * one); info operations, which may stay out for good, have bits of their
 * own after those (else each would leave a hole that stops the run), and
 * few of them are ever in. Storing and comparing costs the two tails, not
 * the whole bitset. */
typedef struct centry {
  int32_t state;
  uint32_t lo, len1, len2;
  size_t off; /* in pool: len1 words, then len2 */
} centry;

typedef struct cache {
  uint64_t *hashes; /* 0: empty slot */
  uint32_t *slot_entry;
  size_t cap, n;
  centry *ents;
  size_t entcap;
  uint64_t *pool;
  size_t pool_used, pool_cap;
} cache;

static uint64_t state_key(uint64_t set_hash, int32_t state) {
  uint64_t h = set_hash ^ jnet__splitmix64((uint64_t)(uint32_t)state + 0x1234567);
  return h ? h : 1;
}

/* A key's search usually visits a few dozen states, and a sweep checks
 * thousands of keys: start small (clearing a big table dominated) and
 * double as needed. */
#define CACHE_MIN 64

static int cache_grow(cache *c) {
  size_t cap = c->cap ? c->cap * 2 : CACHE_MIN;
  uint64_t *nh = jnet__calloc(cap, sizeof *nh);
  uint32_t *ne = jnet__calloc(cap, sizeof *ne);
  if (nh == NULL || ne == NULL) {
    jnet__free(nh);
    jnet__free(ne);
    return -1;
  }
  for (size_t k = 0; k < c->cap; k++) {
    if (c->hashes[k] == 0)
      continue;
    size_t i = c->hashes[k] & (cap - 1);
    while (nh[i] != 0)
      i = (i + 1) & (cap - 1);
    nh[i] = c->hashes[k];
    ne[i] = c->slot_entry[k];
  }
  jnet__free(c->hashes);
  jnet__free(c->slot_entry);
  c->hashes = nh;
  c->slot_entry = ne;
  c->cap = cap;
  return 0;
}

/* Add (set, state) unless present: 1 added, 0 present, -1 no memory. The
 * set: lo full words, words [lo, hi1), zero words up to iw, words
 * [iw, hi2) (the info operations), zero words after. */
static int cache_add(cache *c, const uint64_t *set, size_t lo, size_t hi1,
                     size_t iw, size_t hi2, uint64_t set_hash, int32_t state) {
  if ((c->n + 1) * 2 > c->cap && cache_grow(c) < 0)
    return -1;
  size_t len1 = hi1 > lo ? hi1 - lo : 0, len2 = hi2 - iw;
  size_t len = len1 + len2;
  uint64_t key = state_key(set_hash, state);
  size_t mask = c->cap - 1, i = key & mask;
  for (; c->hashes[i] != 0; i = (i + 1) & mask) {
    if (c->hashes[i] != key)
      continue;
    const centry *e = &c->ents[c->slot_entry[i]];
    if (e->state == state && e->lo == lo && e->len1 == len1 &&
        e->len2 == len2 &&
        memcmp(c->pool + e->off, set + lo, len1 * sizeof *set) == 0 &&
        memcmp(c->pool + e->off + len1, set + iw, len2 * sizeof *set) == 0)
      return 0;
  }
  if (c->n == c->entcap) {
    centry *ne = jnet__grow(c->ents, &c->entcap, sizeof *ne, CACHE_MIN / 2);
    if (ne == NULL)
      return -1;
    c->ents = ne;
  }
  if (c->pool_cap - c->pool_used < len) {
    size_t cap = c->pool_cap ? c->pool_cap * 2 : CACHE_MIN;
    while (cap - c->pool_used < len)
      cap *= 2;
    uint64_t *np = jnet__realloc(c->pool, cap * sizeof *np);
    if (np == NULL)
      return -1;
    c->pool = np;
    c->pool_cap = cap;
  }
  memcpy(c->pool + c->pool_used, set + lo, len1 * sizeof *set);
  memcpy(c->pool + c->pool_used + len1, set + iw, len2 * sizeof *set);
  c->ents[c->n] = (centry){state, (uint32_t)lo, (uint32_t)len1, (uint32_t)len2,
                           c->pool_used};
  c->pool_used += len;
  c->hashes[i] = key;
  c->slot_entry[i] = (uint32_t)c->n++;
  return 1;
}

static void cache_free(cache *c) {
  jnet__free(c->hashes);
  jnet__free(c->slot_entry);
  jnet__free(c->ents);
  jnet__free(c->pool);
}

/* The register: may op run in state? Its state after, in *next. */
static int step(const lop *o, int32_t state, int32_t *next) {
  switch (o->f) {
  case JNET_HIST_READ:
    *next = state;
    return o->v1 == state;
  case JNET_HIST_WRITE:
    *next = o->v1;
    return 1;
  default:
    *next = o->v2;
    return o->v1 == state;
  }
}

typedef struct frame {
  uint32_t entry;
  int32_t state;
  uint32_t maxop;  /* the highest bit of a completed op linearized, */
  uint32_t maxinf; /* and of an info op, this one included (or NONE) */
  uint32_t lo;     /* full words before this op was linearized */
} frame;

#define NONE UINT32_MAX

#define GAVE_UP 2

/* Check ops[0..n) (a key's operations, fail ones left out). 1
 * linearizable, 0 not, JNET_ENOMEM; with a budget (*budget steps, NULL:
 * none), GAVE_UP when it runs out. */
/* Operations that all completed, each returning before the next is called,
 * have one order only, real time's: run the register along it. 1
 * linearizable, 0 not, -1 the history is not that simple (search it). */
static int check_sequential(const lop *in, size_t n) {
  int32_t state = 0, next;
  for (size_t i = 0; i < n; i++)
    if (in[i].info || (i > 0 && in[i].call <= in[i - 1].ret))
      return -1; /* at equal times calls come first: overlapping */
  for (size_t i = 0; i < n; i++) {
    if (!step(&in[i], state, &next))
      return 0;
    state = next;
  }
  return 1;
}

static int check_ops(const lop *in, size_t n, uint64_t *budget) {
  if (n == 0)
    return 1;
  int seq = check_sequential(in, n);
  if (seq >= 0)
    return seq;
  /* Completed operations first, info ones after; bits likewise, the info
   * ones from word iw on. */
  lop *ops = jnet__malloc(n * sizeof *ops);
  uint32_t *bit = jnet__malloc(n * sizeof *bit);
  if (ops == NULL || bit == NULL) {
    jnet__free(ops);
    jnet__free(bit);
    return JNET_ENOMEM;
  }
  size_t nn = 0, k = 0;
  for (size_t i = 0; i < n; i++)
    if (!in[i].info)
      ops[nn++] = in[i];
  k = nn;
  for (size_t i = 0; i < n; i++)
    if (in[i].info)
      ops[k++] = in[i];
  size_t iw = (nn + 63) / 64, words = iw + (n - nn + 63) / 64;
  for (size_t i = 0; i < n; i++)
    bit[i] = (uint32_t)(i < nn ? i : iw * 64 + (i - nn));
  size_t ne = 2 * n, head = ne;
  entry *es = jnet__malloc(ne * sizeof *es);
  uint32_t *next = jnet__malloc((ne + 1) * sizeof *next);
  uint32_t *prev = jnet__malloc((ne + 1) * sizeof *prev);
  uint32_t *match = jnet__malloc(n * sizeof *match); /* op -> its return */
  uint64_t *zob = jnet__malloc(n * sizeof *zob);
  uint64_t *lin = jnet__calloc(words, sizeof *lin);
  frame *stack = jnet__malloc(n * sizeof *stack);
  cache c;
  memset(&c, 0, sizeof c);
  int rc = JNET_ENOMEM;
  if (!es || !next || !prev || !match || !zob || !lin || !stack)
    goto out;
  for (size_t i = 0; i < n; i++) {
    es[2 * i] = (entry){ops[i].call, (uint32_t)i, 0};
    es[2 * i + 1] = (entry){ops[i].ret, (uint32_t)i, 1};
    zob[i] = jnet__splitmix64((uint64_t)i * JNET__GOLDEN_GAMMA + 77);
  }
  qsort(es, ne, sizeof *es, cmp_entry);
  for (size_t i = 0; i < ne; i++) {
    next[i] = (uint32_t)(i + 1 < ne ? i + 1 : head);
    prev[i] = (uint32_t)(i > 0 ? i - 1 : head);
    if (es[i].is_ret)
      match[es[i].op] = (uint32_t)i;
  }
  next[head] = 0;
  prev[head] = (uint32_t)(ne - 1);
  size_t depth = 0, lo = 0; /* lin[0, lo) are all ones */
  int32_t state = 0;
  uint64_t set_hash = 0;
  uint32_t e = next[head];
  while (next[head] != head) {
    if (budget != NULL && (*budget)-- == 0) {
      *budget = 0;
      rc = GAVE_UP;
      goto out;
    }
    const entry *en = &es[e];
    if (!en->is_ret) {
      uint32_t op = en->op;
      int32_t ns;
      if (step(&ops[op], state, &ns)) {
        uint32_t b = bit[op];
        size_t w = b / 64, new_lo = lo;
        uint32_t maxop = depth ? stack[depth - 1].maxop : NONE;
        uint32_t maxinf = depth ? stack[depth - 1].maxinf : NONE;
        if (op < nn && (maxop == NONE || b > maxop))
          maxop = b;
        if (op >= nn && (maxinf == NONE || b > maxinf))
          maxinf = b;
        lin[w] |= 1ull << (b % 64);
        while (new_lo < iw && lin[new_lo] == ~0ull)
          new_lo++;
        int added = cache_add(
            &c, lin, new_lo, maxop == NONE ? new_lo : maxop / 64 + 1, iw,
            maxinf == NONE ? iw : maxinf / 64 + 1, set_hash ^ zob[op], ns);
        if (added < 0)
          goto out;
        if (added) {
          stack[depth++] = (frame){e, state, maxop, maxinf, (uint32_t)lo};
          lo = new_lo;
          state = ns;
          set_hash ^= zob[op];
          uint32_t r = match[op]; /* lift the call and its return */
          next[prev[e]] = next[e];
          prev[next[e]] = prev[e];
          next[prev[r]] = next[r];
          prev[next[r]] = prev[r];
          e = next[head];
          continue;
        }
        lin[w] &= ~(1ull << (b % 64));
      }
      e = next[e];
    } else {
      if (ops[en->op].info) {
        rc = 1; /* everything that completed is linearized */
        goto out;
      }
      if (depth == 0) {
        rc = 0;
        goto out;
      }
      frame fr = stack[--depth];
      uint32_t op = es[fr.entry].op, r = match[op];
      state = fr.state;
      lo = fr.lo;
      set_hash ^= zob[op];
      lin[bit[op] / 64] &= ~(1ull << (bit[op] % 64));
      next[prev[r]] = r; /* unlift: return first, then call */
      prev[next[r]] = r;
      next[prev[fr.entry]] = fr.entry;
      prev[next[fr.entry]] = fr.entry;
      e = next[fr.entry];
    }
  }
  rc = 1;
out:
  cache_free(&c);
  jnet__free(es);
  jnet__free(next);
  jnet__free(prev);
  jnet__free(match);
  jnet__free(zob);
  jnet__free(lin);
  jnet__free(stack);
  jnet__free(ops);
  jnet__free(bit);
  return rc;
}

/* ---- Building the operations
 * ------------------------------------------------- */

static int cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return x < y ? -1 : x > y;
}

/* Leave out the info writes and cas whose value no operation of the key
 * ever sees (no read returns it, no cas expects it). Such a write, if it
 * took effect, put the register in a state nothing can observe until the
 * next write replaces it; without it every linearization stays valid, and
 * the search no longer tries it at each point after its invoke (each info
 * operation kept doubles the sets to explore). ops[0..n) keep their order;
 * the new count is returned. */
static size_t drop_unseen(lop *ops, size_t n) {
  size_t ninfo = 0, nseen = 0;
  for (size_t i = 0; i < n; i++)
    ninfo += ops[i].info;
  if (ninfo == 0)
    return n;
  int32_t *seen = jnet__malloc(n * sizeof *seen);
  if (seen == NULL)
    return n; /* keeping them is always correct, only slower */
  for (size_t i = 0; i < n; i++)
    if (ops[i].f != JNET_HIST_WRITE) /* a read's value, a cas's expected */
      seen[nseen++] = ops[i].v1;
  qsort(seen, nseen, sizeof *seen, cmp_i32);
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    int32_t v = ops[i].f == JNET_HIST_WRITE ? ops[i].v1 : ops[i].v2;
    if (ops[i].info &&
        bsearch(&v, seen, nseen, sizeof *seen, cmp_i32) == NULL)
      continue;
    ops[m++] = ops[i];
  }
  jnet__free(seen);
  return m;
}

/* The operations of key k (fail ones, info reads and info writes no one
 * sees left out), in invoke order, into *out (allocated). */
static int key_ops(const jnet_history *h, const size_t *inv, size_t ninv,
                   const int32_t *vids, lop **out, size_t *nout) {
  lop *ops = jnet__malloc((ninv + 1) * sizeof *ops);
  if (ops == NULL)
    return JNET_ENOMEM;
  size_t n = 0;
  for (size_t j = 0; j < ninv; j++) {
    size_t i = inv[j];
    const jnet__hist_event *ev = &h->ev[i];
    const jnet__hist_event *done = ev->match >= 0 ? &h->ev[ev->match] : NULL;
    int type = done ? done->type : JNET_HIST_INFO;
    if (type == JNET_HIST_FAIL)
      continue;
    if (type == JNET_HIST_INFO && ev->f == JNET_HIST_READ)
      continue;
    lop *o = &ops[n++];
    o->call = ev->time_ns;
    o->info = type == JNET_HIST_INFO;
    o->ret = o->info ? INT64_MAX : done->time_ns;
    o->f = ev->f;
    o->inv = i;
    o->done = done ? (size_t)ev->match : SIZE_MAX;
    /* vids: per event, its value ids (2 each). A read's value is what the
     * ok returned; a write's or cas's what the invoke gave. */
    if (ev->f == JNET_HIST_READ) {
      o->v1 = vids[2 * (size_t)ev->match];
      o->v2 = 0;
    } else {
      o->v1 = vids[2 * i];
      o->v2 = vids[2 * i + 1];
    }
  }
  *nout = drop_unseen(ops, n);
  *out = ops;
  return 0;
}

/* ---- Shrinking a violation
 * ------------------------------------------------------ */

/* Shrinking stops after this many checks, or this many search steps in
 * all: what it has then is still a failing sub-history, only perhaps not
 * the smallest. */
#define SHRINK_MAX_CHECKS 4000
#define SHRINK_MAX_STEPS 50000000u

/* The ops kept, cut at cut_time (an operation whose return comes later is
 * open there; a read cut short tells nothing): 1 linearizable, 0 not. */
static int check_subset(const lop *ops, size_t n, const uint8_t *keep,
                        int64_t cut_time, lop *scratch, uint64_t *budget) {
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (!keep[i] || ops[i].call > cut_time)
      continue;
    lop o = ops[i];
    if (o.ret > cut_time) {
      if (o.f == JNET_HIST_READ)
        continue;
      o.ret = INT64_MAX;
      o.info = 1;
    }
    scratch[m++] = o;
  }
  return check_ops(scratch, m, budget);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* Shrink a failing key: keep[] (all 1 on entry) ends as the smallest
 * failing subset found, *cut as the time the history is cut at. */
static int shrink(const lop *ops, size_t n, uint8_t *keep, int64_t *cut) {
  lop *scratch = jnet__malloc((n + 1) * sizeof *scratch);
  int64_t *times = jnet__malloc((n + 1) * sizeof *times);
  size_t *idx = jnet__malloc((n + 1) * sizeof *idx);
  uint8_t *was = jnet__malloc(n + 1);
  uint64_t budget = SHRINK_MAX_STEPS; /* a check that runs out "passes" */
  int rc = JNET_ENOMEM;
  if (scratch == NULL || times == NULL || idx == NULL || was == NULL)
    goto out;
  /* The shortest failing prefix, by binary search over the completion
   * times: cutting later only adds constraints, so failing is monotone. */
  size_t nt = 0;
  for (size_t i = 0; i < n; i++)
    if (!ops[i].info)
      times[nt++] = ops[i].ret;
  *cut = INT64_MAX;
  if (nt > 0) {
    qsort(times, nt, sizeof *times, cmp_i64);
    size_t lo = 0, hi = nt - 1; /* times[hi] fails: nothing after matters */
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      int r = check_subset(ops, n, keep, times[mid], scratch, &budget);
      if (r < 0)
        goto out;
      if (r == 0)
        hi = mid;
      else
        lo = mid + 1;
    }
    *cut = times[lo];
  }
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (ops[i].call > *cut || (ops[i].ret > *cut && ops[i].f == JNET_HIST_READ))
      keep[i] = 0;
    if (keep[i])
      idx[k++] = i;
  }
  /* Remove halves, quarters, ... then single operations while it fails. */
  int checks = 0;
  size_t chunk = k / 2 ? k / 2 : 1;
  for (;;) {
    int removed = 0;
    for (size_t start = 0; start < k && checks < SHRINK_MAX_CHECKS;
         start += chunk) {
      size_t stop = start + chunk < k ? start + chunk : k, had = 0;
      for (size_t j = start; j < stop; j++) {
        was[j] = keep[idx[j]];
        had += was[j];
        keep[idx[j]] = 0;
      }
      if (had == 0)
        continue;
      checks++;
      int r = check_subset(ops, n, keep, *cut, scratch, &budget);
      if (r < 0)
        goto out;
      if (r == 0) {
        removed = 1;
        continue;
      }
      for (size_t j = start; j < stop; j++) /* it passed: put them back */
        keep[idx[j]] = was[j];
    }
    if (checks >= SHRINK_MAX_CHECKS || budget == 0 || (chunk == 1 && !removed))
      break;
    if (chunk > 1)
      chunk /= 2;
  }
  rc = 0;
out:
  jnet__free(scratch);
  jnet__free(times);
  jnet__free(idx);
  jnet__free(was);
  return rc;
}

/* ---- The checker
 * ------------------------------------------------------------------ */

void jnet_lin_result_free(jnet_lin_result *res) {
  if (res == NULL)
    return;
  jnet__free(res->key);
  jnet_history_free(res->sub);
  jnet__free(res->events);
  memset(res, 0, sizeof *res);
  res->linearizable = 1;
}

static int cmp_size(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return x < y ? -1 : x > y;
}

/* Fill res with the shrunk violation of key k. */
static int report(const jnet_history *h, uint32_t k, const lop *ops, size_t n,
                  jnet_lin_result *res) {
  uint8_t *keep = jnet__malloc(n + 1);
  if (keep == NULL)
    return JNET_ENOMEM;
  memset(keep, 1, n);
  int64_t cut;
  int rc = shrink(ops, n, keep, &cut);
  if (rc < 0)
    goto out;
  rc = JNET_ENOMEM;
  res->key = jnet__strdup(h->keys[k]);
  res->events = jnet__malloc((2 * n + 1) * sizeof *res->events);
  if (res->key == NULL || res->events == NULL ||
      jnet_history_new(&res->sub) < 0)
    goto out;
  for (size_t i = 0; i < n; i++) {
    if (!keep[i])
      continue;
    res->events[res->nevents++] = ops[i].inv;
    if (ops[i].done != SIZE_MAX && h->ev[ops[i].done].time_ns <= cut)
      res->events[res->nevents++] = ops[i].done;
  }
  qsort(res->events, res->nevents, sizeof *res->events, cmp_size);
  for (size_t j = 0; j < res->nevents; j++) {
    jnet_history_event e;
    jnet_history_get(h, res->events[j], &e);
    rc = jnet__hist_add(res->sub, &e, h->ev[res->events[j]].line, NULL, 0);
    if (rc < 0)
      goto out;
  }
  rc = 0;
out:
  jnet__free(keep);
  return rc;
}

int jnet_history_check(const jnet_history *h, jnet_lin_result *res) {
  if (res == NULL)
    return JNET_EINVAL;
  memset(res, 0, sizeof *res);
  res->linearizable = 1;
  if (h == NULL)
    return JNET_EINVAL;
  res->nkeys = h->nkeys;
  vtab vt;
  memset(&vt, 0, sizeof vt);
  int32_t *vids = jnet__malloc((2 * h->nev + 1) * sizeof *vids);
  size_t *start = jnet__calloc(h->nkeys + 2, sizeof *start);
  size_t *inv = jnet__malloc((h->nev + 1) * sizeof *inv);
  lop *ops = NULL;
  int rc = JNET_ENOMEM;
  if (vids == NULL || start == NULL || inv == NULL)
    goto out;
  for (size_t i = 0; i < h->nev; i++) {
    const jnet__hist_event *ev = &h->ev[i];
    if ((vids[2 * i] = intern(&vt, &ev->value)) < 0 ||
        (vids[2 * i + 1] = intern(&vt, &ev->value2)) < 0)
      goto out;
    if (ev->type == JNET_HIST_INVOKE) {
      start[ev->key + 1]++;
      res->nops++;
    }
  }
  /* The invokes grouped by key (counting sort keeps their order). */
  for (size_t k = 0; k < h->nkeys; k++)
    start[k + 1] += start[k];
  for (size_t i = 0; i < h->nev; i++)
    if (h->ev[i].type == JNET_HIST_INVOKE)
      inv[start[h->ev[i].key]++] = i;
  for (size_t k = h->nkeys; k > 0; k--)
    start[k] = start[k - 1];
  start[0] = 0;
  for (size_t k = 0; k < h->nkeys; k++) {
    size_t n;
    rc = key_ops(h, inv + start[k], start[k + 1] - start[k], vids, &ops, &n);
    if (rc < 0)
      goto out;
    rc = check_ops(ops, n, NULL);
    if (rc == 0) {
      res->linearizable = 0;
      rc = report(h, (uint32_t)k, ops, n, res); /* 0: not linearizable */
      jnet__free(ops);
      ops = NULL;
      goto out;
    }
    jnet__free(ops);
    ops = NULL;
    if (rc < 0)
      goto out;
  }
  rc = 1;
out:
  jnet__free(ops);
  jnet__free(vids);
  jnet__free(start);
  jnet__free(inv);
  jnet__free(vt.vals);
  jnet__free(vt.map);
  return rc;
}
