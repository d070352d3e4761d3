/* event.c — the event queue: a binary min-heap of embedded events ordered
 * by (time, insertion sequence), as libuv's timer heap with start_id. The
 * heap holds pointers; events live inside packets, sockets and callbacks,
 * so scheduling allocates only when the array itself grows. */
#include "model.h"

static inline int ev_less(const jnet__event *a, const jnet__event *b) {
  if (a->t_ns != b->t_ns)
    return a->t_ns < b->t_ns;
  return a->seq < b->seq;
}

static void sift_up(jnet__heap *h, uint32_t i) {
  jnet__event *e = h->v[i];
  while (i > 0) {
    uint32_t parent = (i - 1) / 2;
    if (!ev_less(e, h->v[parent]))
      break;
    h->v[i] = h->v[parent];
    h->v[i]->idx = i + 1;
    i = parent;
  }
  h->v[i] = e;
  e->idx = i + 1;
}

static void sift_down(jnet__heap *h, uint32_t i) {
  jnet__event *e = h->v[i];
  for (;;) {
    uint32_t l = 2 * i + 1, r = l + 1, m = i;
    jnet__event *best = e;
    if (l < h->n && ev_less(h->v[l], best)) {
      m = l;
      best = h->v[l];
    }
    if (r < h->n && ev_less(h->v[r], best)) {
      m = r;
      best = h->v[r];
    }
    if (m == i)
      break;
    h->v[i] = h->v[m];
    h->v[i]->idx = i + 1;
    i = m;
  }
  h->v[i] = e;
  e->idx = i + 1;
}

void jnet__ev_cancel(jnet__sim *sim, jnet__event *ev) {
  jnet__heap *h = &sim->heap;
  if (ev->idx == 0)
    return;
  uint32_t i = ev->idx - 1;
  ev->idx = 0;
  if (ev->weak)
    sim->weak_n--;
  h->n--;
  if (i == h->n)
    return;
  h->v[i] = h->v[h->n];
  h->v[i]->idx = i + 1;
  sift_down(h, i);
  sift_up(h, h->v[i]->idx - 1);
}

int jnet__ev_schedule(jnet__sim *sim, jnet__event *ev, uint64_t t_ns) {
  jnet__heap *h = &sim->heap;
  jnet__ev_cancel(sim, ev);
  if (h->n == h->cap) {
    uint32_t cap = h->cap ? h->cap * 2 : 256;
    jnet__event **v = jnet__realloc(h->v, cap * sizeof *v);
    if (v == NULL)
      return JNET_ENOMEM;
    h->v = v;
    h->cap = cap;
  }
  ev->t_ns = t_ns;
  ev->seq = sim->ev_seq++;
  if (ev->weak)
    sim->weak_n++;
  h->v[h->n] = ev;
  h->n++;
  sift_up(h, h->n - 1);
  return 0;
}

jnet__event *jnet__ev_pop(jnet__sim *sim) {
  jnet__heap *h = &sim->heap;
  if (h->n == 0)
    return NULL;
  jnet__event *e = h->v[0];
  e->idx = 0;
  if (e->weak)
    sim->weak_n--;
  if (--h->n > 0) { /* the last one goes to the root and sinks */
    h->v[0] = h->v[h->n];
    sift_down(h, 0);
  }
  return e;
}
