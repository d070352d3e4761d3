/* event.c — the event queue: events ordered by (time, insertion sequence),
 * as libuv's timer heap with start_id. Two parts: a binary min-heap whose
 * array holds each event's key beside its pointer (comparisons stay in the
 * array), and a few lanes, FIFOs of packets that arrive a fixed delay after
 * they were sent (model.h), already sorted. The earliest event is the least
 * of the heap's root and the lanes' heads. Events live inside packets,
 * sockets and callbacks, so scheduling allocates only when the heap's array
 * grows. Keys are unique (the sequence), so the order events come out in
 * is the same whatever the heap's shape or the lanes hold. */
#include "model.h"

static inline int ev_less(const jnet__sim_event *a, const jnet__sim_event *b) {
  return a->t_ns < b->t_ns || (a->t_ns == b->t_ns && a->seq < b->seq);
}

/* The heap's operations are model.h's jnet__sim_evheap_*. */

_Static_assert(JNET__SIM_LANES <= 32, "sim->lane_mask has a bit a lane");

/* sim->lane_first again, after the first lane's head went (lane_n > 0):
 * the lane whose head is least (keys are unique: no ties). */
static void lane_first_find(jnet__sim *sim) {
  uint32_t m = sim->lane_mask; /* the lanes not empty: a few of them */
  uint32_t first = (uint32_t)__builtin_ctz(m);
  const jnet__sim_event *best = &sim->lanes[first].head->ev;
  for (m &= m - 1; m != 0; m &= m - 1) {
    uint32_t k = (uint32_t)__builtin_ctz(m);
    if (ev_less(&sim->lanes[k].head->ev, best)) {
      best = &sim->lanes[k].head->ev;
      first = k;
    }
  }
  sim->lane_first = first;
}

/* Take a packet's event out of the middle of its lane (nothing does this
 * on the hot path: packets in flight are not cancelled). */
static void lane_remove(jnet__sim *sim, jnet__sim_event *ev) {
  for (int k = 0; k < JNET__SIM_LANES; k++) { /* LCOV_EXCL_BR_LINE: ev is in one */
    jnet__sim_spkt *prev = NULL;
    for (jnet__sim_spkt *p = sim->lanes[k].head; p != NULL; /* LCOV_EXCL_BR_LINE */
         prev = p, p = p->next) {
      if (&p->ev != ev)
        continue;
      if (prev != NULL)
        prev->next = p->next;
      else
        sim->lanes[k].head = p->next;
      if (sim->lanes[k].tail == p)
        sim->lanes[k].tail = prev;
      if (sim->lanes[k].head == NULL)
        sim->lane_mask &= ~(1u << k);
      p->next = NULL;
      ev->idx = 0;
      if (--sim->lane_n != 0)
        lane_first_find(sim);
      return;
    }
  }
}

void jnet__sim_ev_cancel(jnet__sim *sim, jnet__sim_event *ev) {
  jnet__sim_heap *h = &sim->heap;
  if (ev->idx == 0)
    return;
  if (ev->idx == JNET__SIM_IN_LANE) {
    lane_remove(sim, ev);
    return;
  }
  uint32_t i = ev->idx - 1;
  ev->idx = 0;
  if (ev->weak)
    sim->weak_n--;
  jnet__sim_evheap_remove(h->v, h->n--, i);
}

/* The heap's array doubled (out of line: rare, and its call would make
 * every push, inline in the per-packet path, save registers). */
__attribute__((noinline)) int jnet__sim_heap_grow(jnet__sim_heap *h) {
  uint32_t cap = h->cap ? h->cap * 2 : 256;
  jnet__sim_hent *v = jnet__realloc(h->v, cap * sizeof *v);
  if (v == NULL)
    return JNET_ENOMEM;
  h->v = v;
  h->cap = cap;
  return 0;
}

/* Queue ev (not queued) at t_ns in the heap. 0 or ENOMEM. */
int jnet__sim_ev_push(jnet__sim *sim, jnet__sim_event *ev, uint64_t t_ns) {
  return jnet__sim_ev_push_inline(sim, ev, t_ns);
}

int jnet__sim_ev_schedule(jnet__sim *sim, jnet__sim_event *ev, uint64_t t_ns) {
  if (ev->idx != 0)
    jnet__sim_ev_cancel(sim, ev);
  return jnet__sim_ev_push(sim, ev, t_ns);
}

/* Append p, at t_ns, to lane k (empty, or ending no later than t_ns). */
static int lane_append(jnet__sim *sim, int k, jnet__sim_spkt *p, uint64_t t_ns,
                       uint64_t delay_ns) {
  p->ev.t_ns = t_ns;
  p->ev.seq = sim->ev_seq++;
  p->ev.idx = JNET__SIM_IN_LANE;
  p->next = NULL;
  if (sim->lanes[k].head == NULL) {
    sim->lanes[k].delay_ns = delay_ns;
    sim->lanes[k].head = p;
    sim->lane_mask |= 1u << k;
    if (sim->lane_n == 0 ||
        ev_less(&p->ev, &sim->lanes[sim->lane_first].head->ev))
      sim->lane_first = (uint32_t)k; /* a new head, before the first's */
  } else {
    sim->lanes[k].tail->next = p;
  }
  sim->lanes[k].tail = p;
  sim->lane_n++;
  return 0;
}

/* p (not queued) on the lane ending latest but not after t_ns, else on an
 * empty lane, else in the heap; the lane it took into *hint (if not NULL). */
static int lane_fit(jnet__sim *sim, jnet__sim_spkt *p, uint64_t t_ns,
                    uint8_t *hint) {
  int lane = -1, empty = -1;
  uint64_t lane_t = 0;
  for (int k = 0; k < JNET__SIM_LANES; k++) {
    const jnet__sim_spkt *tail = sim->lanes[k].tail;
    if (sim->lanes[k].head == NULL) {
      if (empty < 0)
        empty = k;
    } else if (tail->ev.t_ns <= t_ns && (lane < 0 || tail->ev.t_ns > lane_t)) {
      lane = k; /* p goes after tail: (time, sequence) stays sorted */
      lane_t = tail->ev.t_ns;
    }
  }
  if (lane < 0)
    lane = empty;
  if (lane < 0) /* every lane ends later than p */
    return jnet__sim_ev_push(sim, &p->ev, t_ns);
  if (hint != NULL)
    *hint = (uint8_t)lane;
  return lane_append(sim, lane, p, t_ns, t_ns - sim->now_ns);
}

int jnet__sim_ev_schedule_pkt_lanes(jnet__sim *sim, jnet__sim_spkt *p,
                                    uint64_t delay_ns) {
  if (p->ev.idx != 0)
    jnet__sim_ev_cancel(sim, &p->ev);
  uint64_t t_ns = sim->now_ns + delay_ns;
  /* A shallow heap is cheaper than the lanes' bookkeeping. */
  if (jnet__sim_ev_count(sim) < JNET__SIM_LANES_FROM)
    return jnet__sim_ev_push(sim, &p->ev, t_ns);
  /* the usual case: the lane of this delay, which ends no later */
  for (int k = 0; k < JNET__SIM_LANES; k++)
    if (sim->lanes[k].head != NULL && sim->lanes[k].delay_ns == delay_ns &&
        sim->lanes[k].tail->ev.t_ns <= t_ns)
      return lane_append(sim, k, p, t_ns, delay_ns);
  return lane_fit(sim, p, t_ns, NULL);
}

/* p (moved if queued) at t_ns: the heap while the queue is shallow, else
 * a lane (lane_fit; the lane it took into *hint if not NULL). */
static int schedule_at(jnet__sim *sim, jnet__sim_spkt *p, uint64_t t_ns,
                       uint8_t *hint) {
  if (p->ev.idx != 0)
    jnet__sim_ev_cancel(sim, &p->ev);
  if (jnet__sim_ev_count(sim) < JNET__SIM_LANES_FROM)
    return jnet__sim_ev_push(sim, &p->ev, t_ns);
  return lane_fit(sim, p, t_ns, hint);
}

int jnet__sim_ev_schedule_pkt_at(jnet__sim *sim, jnet__sim_spkt *p,
                                 uint64_t t_ns) {
  return schedule_at(sim, p, t_ns, NULL);
}

int jnet__sim_ev_schedule_pkt_link(jnet__sim *sim, jnet__sim_link *l,
                                   jnet__sim_spkt *p, uint64_t t_ns) {
  return schedule_at(sim, p, t_ns, &l->lane);
}

/* e heads the first lane (jnet__sim_ev_peek gave it). */
void jnet__sim_ev_take_lane(jnet__sim *sim, jnet__sim_event *e) {
  uint32_t k = sim->lane_first;
  jnet__sim_spkt *p = sim->lanes[k].head;
  sim->lanes[k].head = p->next;
  if (p->next == NULL) {
    sim->lanes[k].tail = NULL;
    sim->lane_mask &= ~(1u << k);
  }
  p->next = NULL;
  e->idx = 0;
  if (--sim->lane_n != 0)
    lane_first_find(sim);
}

jnet__sim_event *jnet__sim_ev_pop(jnet__sim *sim) {
  jnet__sim_event *e = jnet__sim_ev_peek(sim);
  if (e != NULL)
    jnet__sim_ev_take(sim, e);
  return e;
}
