/* histgen.h — a generator of linearizable register histories, for the
 * history tests and bench/lin_bench.c.
 *
 * `procs` clients run against an atomic store of `keys` registers. Each
 * operation (a read, a write of a fresh value or a cas) has a random window
 * [invoke, complete] and takes effect at a random point inside it, so the
 * results (what a read read, whether a cas matched) are those of a real
 * linearizable store. A share of operations ends `info` (a timeout): it took
 * effect or not, by coin; the client then goes on under a fresh process id.
 * A cas that did not match ends `fail`. Same seed, same history.
 */
#ifndef JNET_TESTS_HISTGEN_H
#define JNET_TESTS_HISTGEN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jnet/jnet_history.h>

typedef struct hg_op {
  int64_t process, call, ret, at; /* at: when it takes effect */
  int f, key, info, effect, failed;
  int v1, v2, got; /* value numbers; 0 is null */
} hg_op;

static uint64_t hg_next(uint64_t *s) { /* xorshift64* */
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 2685821657736338717ull;
}

static int hg_cmp_at(const void *a, const void *b) {
  const hg_op *x = *(hg_op *const *)a, *y = *(hg_op *const *)b;
  return x->at < y->at ? -1 : x->at > y->at;
}

typedef struct hg_ev {
  int64_t time;
  int is_done;
  hg_op *op;
} hg_ev;

static int hg_cmp_ev(const void *a, const void *b) {
  const hg_ev *x = a, *y = b;
  if (x->time != y->time)
    return x->time < y->time ? -1 : 1;
  if (x->is_done != y->is_done)
    return x->is_done ? -1 : 1;
  return x->op->process < y->op->process ? -1 : x->op->process > y->op->process;
}

static jnet_hvalue hg_value(int v, char *buf, size_t len) {
  if (v == 0)
    return jnet_hv_null();
  snprintf(buf, len, "v%d", v);
  return jnet_hv_str(buf);
}

/* Append `nops` operations to h. 0 or a negative code. */
static int hg_generate(jnet_history *h, uint64_t seed, int nops, int procs,
                       int keys, int info_pct) {
  uint64_t s = seed * 2654435761u + 1;
  hg_op *ops = calloc((size_t)nops + 1, sizeof *ops);
  hg_op **byat = calloc((size_t)nops + 1, sizeof *byat);
  hg_ev *evs = calloc(2 * (size_t)nops + 1, sizeof *evs);
  int64_t *clock = calloc((size_t)procs, sizeof *clock);
  int64_t *pid = calloc((size_t)procs, sizeof *pid);
  int *state = calloc((size_t)keys, sizeof *state);
  int rc = -1, next_value = 1;
  if (!ops || !byat || !evs || !clock || !pid || !state)
    goto out;
  for (int p = 0; p < procs; p++)
    pid[p] = p;
  int64_t next_pid = procs;
  for (int i = 0; i < nops; i++) {
    int p = (int)(hg_next(&s) % (uint64_t)procs);
    hg_op *o = &ops[i];
    o->process = pid[p];
    o->call = clock[p] + 1 + (int64_t)(hg_next(&s) % 2000);
    o->ret = o->call + 1 + (int64_t)(hg_next(&s) % 5000);
    o->at = o->call + (int64_t)(hg_next(&s) % (uint64_t)(o->ret - o->call));
    o->key = (int)(hg_next(&s) % (uint64_t)keys);
    int r = (int)(hg_next(&s) % 10);
    o->f = r < 5 ? JNET_HIST_READ : r < 8 ? JNET_HIST_WRITE : JNET_HIST_CAS;
    o->info = (int)(hg_next(&s) % 100) < info_pct;
    o->effect = !o->info || (hg_next(&s) & 1);
    if (o->f == JNET_HIST_WRITE) {
      o->v1 = next_value++;
    } else if (o->f == JNET_HIST_CAS) {
      o->v1 = -1; /* decided at its point: often the current value */
      o->v2 = next_value++;
    }
    clock[p] = o->ret;
    if (o->info) /* a timeout: the client goes on as a new process */
      pid[p] = next_pid++;
    byat[i] = o;
  }
  /* Take effect in order of the chosen points. */
  qsort(byat, (size_t)nops, sizeof *byat, hg_cmp_at);
  for (int i = 0; i < nops; i++) {
    hg_op *o = byat[i];
    int *cur = &state[o->key];
    if (o->f == JNET_HIST_CAS && o->v1 < 0)
      o->v1 =
          (hg_next(&s) % 4) ? *cur : (int)(hg_next(&s) % (uint64_t)next_value);
    if (!o->effect)
      continue;
    if (o->f == JNET_HIST_READ)
      o->got = *cur;
    else if (o->f == JNET_HIST_WRITE)
      *cur = o->v1;
    else if (*cur == o->v1)
      *cur = o->v2;
    else
      o->failed = 1;
  }
  for (int i = 0; i < nops; i++) {
    evs[2 * i] = (hg_ev){ops[i].call, 0, &ops[i]};
    evs[2 * i + 1] = (hg_ev){ops[i].ret, 1, &ops[i]};
  }
  qsort(evs, 2 * (size_t)nops, sizeof *evs, hg_cmp_ev);
  for (int i = 0; i < 2 * nops; i++) {
    hg_op *o = evs[i].op;
    char key[16], b1[16], b2[16];
    snprintf(key, sizeof key, "k%d", o->key);
    jnet_history_event e = {o->process,     JNET_HIST_INVOKE, o->f,       key,
                            jnet_hv_null(), jnet_hv_null(),   evs[i].time};
    if (o->f != JNET_HIST_READ)
      e.value = hg_value(o->v1, b1, sizeof b1);
    if (o->f == JNET_HIST_CAS)
      e.value2 = hg_value(o->v2, b2, sizeof b2);
    if (evs[i].is_done) {
      e.type = o->info     ? JNET_HIST_INFO
               : o->failed ? JNET_HIST_FAIL
                           : JNET_HIST_OK;
      if (o->f == JNET_HIST_READ)
        e.value = e.type == JNET_HIST_OK ? hg_value(o->got, b1, sizeof b1)
                                         : jnet_hv_null();
    }
    if ((rc = jnet_history_add(h, &e)) < 0)
      goto out;
  }
  rc = 0;
out:
  free(ops);
  free(byat);
  free(evs);
  free(clock);
  free(pid);
  free(state);
  return rc;
}

#endif /* JNET_TESTS_HISTGEN_H */
