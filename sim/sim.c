/* sim.c — the simulation: creation and teardown, the run loop that pops
 * events in (time, sequence) order and dispatches them, scheduled callbacks,
 * limits, statistics, and host crash/restart. */
#include <string.h>

#include "model.h"

#define NO_DEADLINE UINT64_MAX

int jnet_sim_new(jnet_sim **out, uint64_t seed) {
  if (out == NULL)
    return JNET_EINVAL;
  jnet__sim *sim = jnet__calloc(1, sizeof *sim);
  if (sim == NULL)
    return JNET_ENOMEM;
  sim->seed = seed;
  sim->fingerprint = 0xcbf29ce484222325ull;
  jnet_link_params_default(&sim->defaults);
  sim->defaults_plain = jnet__sim_params_plain(&sim->defaults);
  sim->defaults_paced = jnet__sim_params_paced(&sim->defaults);
  *out = sim;
  return 0;
}

void jnet_sim_free(jnet_sim *sim) {
  if (sim == NULL)
    return;
  if (sim->pcap != NULL)
    (void)jnet_sim_pcap_close(sim);
  if (sim->backend_free != NULL)
    sim->backend_free(sim->backend);
  for (uint32_t i = 0; i < sim->nhosts; i++)
    sim->hosts[i]->up = 0; /* sockets vanish without packets */
  for (uint32_t i = 0; i < sim->nhosts; i++)
    while (sim->hosts[i]->socks != NULL)
      jnet__sim_sock_destroy(sim->hosts[i]->socks);
  for (int k = 0; k < JNET__SIM_LANES; k++)
    while (sim->lanes[k].head != NULL) {
      jnet__sim_spkt *p = sim->lanes[k].head;
      sim->lanes[k].head = p->next;
      jnet__free(p->data);
      jnet__free(p);
    }
  for (uint32_t i = 0; i < sim->heap.n; i++) {
    jnet__sim_event *e = sim->heap.v[i].ev;
    if (e->kind == JNET__SIM_EV_PKT) {
      jnet__sim_spkt *p = (jnet__sim_spkt *)e;
      jnet__free(p->data);
      jnet__free(p);
    } else if (e->kind == JNET__SIM_EV_AT) { /* LCOV_EXCL_BR_LINE: socket timers went with the sockets */
      jnet__free(e);
    }
  }
  jnet__free(sim->heap.v);
  while (sim->at_free != NULL) {
    jnet__sim_at *a = sim->at_free;
    sim->at_free = a->next;
    jnet__free(a);
  }
  jnet__sim_tcp_rings_free(sim);
  jnet__sim_links_free(sim);
  jnet__sim_hosts_free(sim);
  jnet__sim_htab_free(&sim->ports);
  jnet__sim_htab_free(&sim->conns);
  jnet__free(sim);
}

uint64_t jnet_sim_now_ns(const jnet_sim *sim) { return sim ? sim->now_ns : 0; }

int jnet_sim_set_limits(jnet_sim *sim, uint64_t max_time_ns,
                        uint64_t max_events) {
  if (sim == NULL)
    return JNET_EINVAL;
  sim->max_time_ns = max_time_ns;
  sim->max_events = max_events;
  return 0;
}

void jnet_sim_get_stats(const jnet_sim *sim, jnet_sim_stats *out) {
  if (sim != NULL && out != NULL)
    *out = sim->stats;
}

int jnet_sim_at(jnet_sim *sim, uint64_t t_ns,
                void (*fn)(jnet_sim *sim, void *arg), void *arg) {
  if (sim == NULL || fn == NULL || t_ns < sim->now_ns)
    return JNET_EINVAL;
  jnet__sim_at *a = sim->at_free;
  if (a != NULL)
    sim->at_free = a->next;
  else if ((a = jnet__calloc(1, sizeof *a)) == NULL)
    return JNET_ENOMEM;
  a->fn = fn;
  a->arg = arg;
  a->ev.kind = JNET__SIM_EV_AT;
  a->ev.idx = 0;
  int err = jnet__sim_ev_schedule(sim, &a->ev, t_ns);
  if (err < 0) {
    a->next = sim->at_free;
    sim->at_free = a;
  }
  return err;
}

/* ---- Crash and restart ------------------------------------------------------ */

int jnet_sim_crash(jnet_sim *sim, jnet__sim_host *host) {
  if (sim == NULL || host == NULL)
    return JNET_EINVAL;
  if (!host->up)
    return JNET_EALREADY;
  jnet__sim_trace_note(sim, JNET__SIM_TR_FAULT, host, "crash");
  sim->crashing = host;
  /* The API first: it cancels the fibers and closes each socket it knows,
   * which vanish without a packet because the host is crashing. */
  if (sim->on_node_down != NULL)
    sim->on_node_down(sim->owner, host);
  while (host->socks != NULL)
    jnet__sim_sock_destroy(host->socks);
  sim->crashing = NULL;
  host->up = 0;
  return 0;
}

int jnet_sim_restart(jnet_sim *sim, jnet__sim_host *host) {
  if (sim == NULL || host == NULL)
    return JNET_EINVAL;
  if (host->up)
    return JNET_EALREADY;
  jnet__sim_trace_note(sim, JNET__SIM_TR_FAULT, host, "restart");
  host->up = 1;
  host->boot++;
  if (sim->on_node_up != NULL)
    sim->on_node_up(sim->owner, host);
  return 0;
}

/* ---- Running ------------------------------------------------------------------ */

/* Deliver an arrived packet to its protocol. */
static inline void deliver(jnet__sim *sim, jnet__sim_spkt *p) {
  jnet__sim_host *to = sim->hosts[p->to];
  if (!to->up) {
    sim->stats.packets_dropped++;
    jnet__sim_trace_pkt(sim, JNET__SIM_TR_DROP, "down", p);
    jnet__sim_pkt_free(sim, p);
    return;
  }
  sim->stats.packets_delivered++;
  jnet__sim_trace_pkt(sim, JNET__SIM_TR_RECV, NULL, p);
  if (p->proto == JNET__SIM_P_UDP) { /* the most common, without the switch */
    jnet__sim_sock *s = jnet__sim_udp_hinted(sim, p); /* and its common case */
    if (s == NULL)
      jnet__sim_udp_input(sim, p);
    else if (!jnet__sim_udp_straight(sim, s, p))
      jnet__sim_udp_enqueue(s, p);
    return;
  }
  switch (p->proto) {
  case JNET__SIM_P_TCP:
  case JNET__SIM_P_USTREAM:
    jnet__sim_tcp_input(sim, p);
    break;
  case JNET__SIM_P_UDP:
  case JNET__SIM_P_UDGRAM:
    jnet__sim_udp_input(sim, p);
    break;
  default:
    jnet__sim_icmp_input(sim, p);
    break;
  }
}

/* Tell the owner about every socket whose state changed, in FIFO order. */
static inline void flush_ready(jnet__sim *sim) {
  while (sim->ready_head != NULL) {
    jnet__sim_sock *s = sim->ready_head;
    sim->ready_head = s->ready_next;
    if (sim->ready_head == NULL)
      sim->ready_tail = NULL;
    s->ready_next = NULL;
    s->in_ready = 0;
    /* LCOV_EXCL_BR_LINE below: sock_ready skips detached sockets, sock_close unreadies them; bk_start sets on_ready before any socket */
    if (!s->detached && sim->on_ready != NULL) /* LCOV_EXCL_BR_LINE */
      sim->on_ready(sim->owner, s);
  }
}

void jnet__sim_flush_ready(jnet__sim *sim) { flush_ready(sim); }

static inline void dispatch(jnet__sim *sim, jnet__sim_event *e) {
  if (e->kind == JNET__SIM_EV_PKT) { /* the most common, without the switch */
    deliver(sim, (jnet__sim_spkt *)e);
    return;
  }
  switch (e->kind) { /* LCOV_EXCL_BR_LINE: PKT is dispatched above; no other kind */
  case JNET__SIM_EV_PKT:
    deliver(sim, (jnet__sim_spkt *)e);
    break;
  case JNET__SIM_EV_TCP: {
    jnet__sim_sock *s =
        (jnet__sim_sock *)((char *)e - offsetof(jnet__sim_sock, tev));
    jnet__sim_tcp_timer(sim, s);
    break;
  }
  case JNET__SIM_EV_TCP_AUX: {
    jnet__sim_sock *s =
        (jnet__sim_sock *)((char *)e - offsetof(jnet__sim_sock, aev));
    jnet__sim_tcp_aux_timer(sim, s);
    break;
  }
  case JNET__SIM_EV_AT: {
    jnet__sim_at *a = (jnet__sim_at *)e;
    void (*fn)(jnet_sim *, void *) = a->fn;
    void *arg = a->arg;
    a->next = sim->at_free;
    sim->at_free = a;
    jnet__sim_trace_note(sim, JNET__SIM_TR_AT, NULL, "at");
    fn(sim, arg);
    sim->completions++; /* it may have woken fibers (crash): let them run */
    break;
  }
  }
}

/* What the run does with the queue's earliest event e (NULL: none) when it
 * is not simply due: 2 run it anyway, else what jnet__sim_run returns. The
 * limits, the deadline and weak events are all decided here. */
static int at_edge(jnet__sim *sim, jnet__sim_event *e, uint64_t deadline_ns) {
  if (e != NULL && jnet__sim_ev_count(sim) == sim->weak_n &&
      deadline_ns == NO_DEADLINE)
    return 0; /* only timers nobody waits for (zero-window probes...) */
  uint64_t next = e ? e->t_ns : deadline_ns;
  if (next > deadline_ns)
    next = deadline_ns;
  if (sim->max_time_ns && next != NO_DEADLINE && next > sim->max_time_ns) {
    if (sim->now_ns < sim->max_time_ns)
      sim->now_ns = sim->max_time_ns;
    return JNET_ETIMEDOUT;
  }
  if (e == NULL) {
    if (deadline_ns != NO_DEADLINE && sim->now_ns < deadline_ns) {
      sim->now_ns = deadline_ns;
      return 1;
    }
    return 0;
  }
  if (e->t_ns > deadline_ns) {
    if (deadline_ns > sim->now_ns)
      sim->now_ns = deadline_ns;
    return 1;
  }
  if (sim->max_events &&
      sim->stats.events + sim->resumptions >= sim->max_events)
    return JNET_ETIMEDOUT;
  return 2;
}

int jnet__sim_run(jnet__sim *sim, uint64_t deadline_ns, int block) {
  uint64_t done0 = sim->completions;
  if (sim->ready_head != NULL)
    flush_ready(sim);
  if (!block)
    deadline_ns = sim->now_ns;
  /* fibers resumed count as events: a run that only spins on yields ends */
  if (sim->max_events && sim->stats.events + sim->resumptions > sim->max_events)
    return JNET_ETIMEDOUT;
  while (sim->completions == done0) {
    jnet__sim_event *e = jnet__sim_ev_peek(sim);
    /* Due, no limits and no weak events (with none, a queued event is never
     * only weak ones): run it without at_edge's tests. */
    if (e == NULL || e->t_ns > deadline_ns ||
        (sim->max_time_ns | sim->max_events | sim->weak_n) != 0) {
      int rc = at_edge(sim, e, deadline_ns);
      if (rc != 2)
        return rc;
    }
    jnet__sim_ev_take(sim, e);
    if (e->t_ns > sim->now_ns)
      sim->now_ns = e->t_ns;
    sim->stats.events++;
    dispatch(sim, e);
    if (sim->ready_head != NULL)
      flush_ready(sim);
  }
  return 1;
}
