/* link.c — links between hosts and the wire: each packet put on a link is
 * captured and traced, then lost, partitioned, clogged, queued behind the
 * bandwidth, delayed, duplicated, reordered or corrupted as the link's
 * parameters and its own PRNG stream say, and finally scheduled to arrive.
 * Also the packet pool and the fault calls that act on links. */
#include <math.h>
#include <netinet/in.h>
#include <string.h>

#include "model.h"

#define LOOPBACK_NS 10000ull /* 10 us within a host */

/* ---- Packet pool ------------------------------------------------------------ */

#define SMALL_CAP JNET__SIM_PKT_SMALL

/* jnet__sim_pkt_alloc's other cases (inline in model.h): an empty pool, or a
 * large packet whose pooled buffer is too small. */
jnet__sim_spkt *jnet__sim_pkt_alloc_slow(jnet__sim *sim, uint32_t len) {
  /* Three pools: headers only (ACKs, FINs: no buffer), small, large. */
  jnet__sim_spkt **list = len == 0           ? &sim->pkt_free_empty
                          : len <= SMALL_CAP ? &sim->pkt_free_small
                                             : &sim->pkt_free_large;
  jnet__sim_spkt *p = *list;
  if (p != NULL) {
    *list = p->next;
  } else {
    p = jnet__malloc(sizeof *p);
    if (p == NULL)
      return NULL;
    p->data = NULL;
    p->cap = 0;
  }
  uint32_t want = len == 0 ? 0 : len <= SMALL_CAP ? SMALL_CAP : len;
  if (p->cap < want) {
    uint8_t *d = jnet__realloc(p->data, want);
    if (d == NULL) {
      jnet__free(p->data);
      jnet__free(p);
      return NULL;
    }
    p->data = d;
    p->cap = want;
  }
  jnet__sim_pkt_clear(p, len);
  return p;
}

static void pool_free(jnet__sim_spkt *p) {
  while (p != NULL) {
    jnet__sim_spkt *next = p->next;
    jnet__free(p->data);
    jnet__free(p);
    p = next;
  }
}

/* ---- Links ------------------------------------------------------------------ */

static uint64_t link_key(uint32_t from, uint32_t to) {
  return jnet__splitmix64(((uint64_t)from << 32) | to);
}
static uint64_t link_hash(const void *o) {
  const jnet__sim_link *l = o;
  return link_key(l->from, l->to);
}

/* The link from -> to if it exists yet. A pair without faults on plain
 * default parameters never needs one: its packets draw nothing. */
static inline jnet__sim_link *link_find(jnet__sim *sim, uint32_t from,
                                        uint32_t to) {
  jnet__sim_host *h = sim->hosts[from];
  jnet__sim_link *last = h->last_link;
  if (last != NULL && last->to == to)
    return last;
  if (h->nolink_to == to + 1 && h->nolink_n == sim->links.n)
    return NULL; /* looked for already, and no link was made since */
  for (jnet__sim_link *l =
           jnet__sim_htab_first(&sim->links, link_key(from, to));
       l != NULL; l = l->hnext)
    if (l->from == from && l->to == to)
      return h->last_link = l;
  h->nolink_to = to + 1;
  h->nolink_n = sim->links.n;
  return NULL;
}

jnet__sim_link *jnet__sim_link_get(jnet__sim *sim, uint32_t from, uint32_t to) {
  jnet__sim_link *l = link_find(sim, from, to);
  if (l != NULL)
    return l;
  uint64_t h = link_key(from, to);
  l = jnet__calloc(1, sizeof *l);
  if (l == NULL)
    return NULL;
  l->from = from;
  l->to = to;
  jnet__sim_rng_seed(&l->rng, sim->seed, "link", sim->hosts[from]->name,
                     sim->hosts[to]->name);
  if (jnet__sim_htab_insert(&sim->links, l, h, offsetof(jnet__sim_link, hnext),
                            link_hash) < 0) {
    jnet__free(l);
    return NULL;
  }
  return sim->hosts[from]->last_link = l;
}

uint32_t jnet__sim_mtu(jnet__sim *sim, uint32_t from, uint32_t to) {
  if (from == to)
    return 65536;
  jnet__sim_link *l = link_find(sim, from, to);
  return l ? jnet__sim_link_params(sim, l)->mtu : sim->defaults.mtu;
}

void jnet__sim_links_free(jnet__sim *sim) {
  for (uint32_t i = 0; sim->links.b && i <= sim->links.mask; i++) {
    jnet__sim_link *l = sim->links.b[i];
    while (l != NULL) {
      jnet__sim_link *next = l->hnext;
      while (l->clog_head != NULL) {
        jnet__sim_spkt *p = l->clog_head;
        l->clog_head = p->next;
        jnet__free(p->data);
        jnet__free(p);
      }
      jnet__free(l->own);
      jnet__free(l);
      l = next;
    }
  }
  jnet__sim_htab_free(&sim->links);
  pool_free(sim->pkt_free_empty);
  pool_free(sim->pkt_free_small);
  pool_free(sim->pkt_free_large);
  sim->pkt_free_empty = sim->pkt_free_small = sim->pkt_free_large = NULL;
}

void jnet_link_params_default(jnet_link_params *p) {
  if (p == NULL)
    return;
  memset(p, 0, sizeof *p);
  p->latency_ns = JNET_SIM_MS;
  p->queue_bytes = 64 * 1024;
  p->mtu = 1500;
}

int jnet__sim_params_plain(const jnet_link_params *p) {
  return p->jitter_ns == 0 && p->loss == 0 && p->ge_p == 0 &&
         p->duplicate == 0 && p->reorder == 0 && p->corrupt == 0 &&
         p->bandwidth_bps == 0;
}

int jnet__sim_params_paced(const jnet_link_params *p) {
  return p->jitter_ns == 0 && p->loss == 0 && p->ge_p == 0 &&
         p->duplicate == 0 && p->reorder == 0 && p->corrupt == 0 &&
         p->bandwidth_bps != 0;
}

static int check_params(const jnet_link_params *p) {
  const double probs[] = {p->loss, p->ge_p, p->ge_r, p->ge_loss_bad,
                          p->duplicate, p->reorder, p->corrupt};
  for (size_t i = 0; i < sizeof probs / sizeof probs[0]; i++)
    if (!(probs[i] >= 0.0 && probs[i] <= 1.0))
      return JNET_EINVAL;
  if (p->mtu < 576 || p->jitter_dist < JNET_JITTER_UNIFORM ||
      p->jitter_dist > JNET_JITTER_PARETO)
    return JNET_EINVAL;
  return 0;
}

int jnet_sim_link_oneway(jnet_sim *sim, jnet__sim_host *from,
                         jnet__sim_host *to, const jnet_link_params *p) {
  if (sim == NULL || from == NULL || to == NULL || p == NULL || from == to ||
      check_params(p) < 0)
    return JNET_EINVAL;
  jnet__sim_link *l = jnet__sim_link_get(sim, from->id, to->id);
  if (l == NULL)
    return JNET_ENOMEM;
  if (l->own == NULL && (l->own = jnet__malloc(sizeof *l->own)) == NULL)
    return JNET_ENOMEM;
  *l->own = *p;
  l->plain = (uint8_t)jnet__sim_params_plain(p);
  l->paced = (uint8_t)jnet__sim_params_paced(p);
  jnet__sim_trace_note(sim, JNET__SIM_TR_FAULT, from,
                       "link >%s latency=%llu loss=%g", to->name,
                       (unsigned long long)p->latency_ns, p->loss);
  return 0;
}

int jnet_sim_link(jnet_sim *sim, jnet__sim_host *a, jnet__sim_host *b,
                  const jnet_link_params *p) {
  if (sim == NULL || p == NULL || check_params(p) < 0)
    return JNET_EINVAL;
  if (b == NULL) { /* the default link; `a` does not matter */
    sim->defaults = *p;
    sim->defaults_plain = jnet__sim_params_plain(p);
    sim->defaults_paced = jnet__sim_params_paced(p);
    return 0;
  }
  if (a == NULL || a == b)
    return JNET_EINVAL;
  int err = jnet_sim_link_oneway(sim, a, b, p);
  return err < 0 ? err : jnet_sim_link_oneway(sim, b, a, p);
}

int jnet_sim_link_get(jnet_sim *sim, jnet__sim_host *from, jnet__sim_host *to,
                      jnet_link_params *out) {
  if (sim == NULL || from == NULL || to == NULL || out == NULL || from == to)
    return JNET_EINVAL;
  jnet__sim_link *l = link_find(sim, from->id, to->id);
  *out = l != NULL ? *jnet__sim_link_params(sim, l) : sim->defaults;
  return 0;
}

/* ---- The wire ------------------------------------------------------------------ */

static void drop(jnet__sim *sim, jnet__sim_spkt *p, const char *why) {
  sim->stats.packets_dropped++;
  jnet__sim_trace_pkt(sim, JNET__SIM_TR_DROP, why, p);
  jnet__sim_pkt_free(sim, p);
}

/* Bandwidth, latency, jitter, reordering: schedule the arrival. */
static void transmit(jnet__sim *sim, jnet__sim_link *l, jnet__sim_spkt *p,
                     uint32_t wire) {
  const jnet_link_params *lp = jnet__sim_link_params(sim, l);
  uint64_t depart = sim->now_ns;
  if (lp->bandwidth_bps > 0) {
    if (jnet__sim_pace(l, lp, depart, wire) < 0) {
      sim->stats.queue_drops++;
      drop(sim, p, "queue");
      return;
    }
    depart = l->busy_until_ns;
  }
  uint64_t t = depart + lp->latency_ns +
               jnet__sim_rng_jitter(&l->rng, lp->jitter_dist, lp->jitter_ns);
  if (lp->reorder > 0 && jnet__sim_rng_unit(&l->rng) < lp->reorder)
    t += lp->reorder_ns ? lp->reorder_ns : 2 * lp->latency_ns;
  p->ev.kind = JNET__SIM_EV_PKT;
  if (jnet__sim_ev_schedule_pkt_on(sim, l, p, t) < 0)
    drop(sim, p, "nomem");
}

static int is_dgram(const jnet__sim_spkt *p) {
  return p->proto == JNET__SIM_P_UDP || p->proto == JNET__SIM_P_UDGRAM; /* LCOV_EXCL_BR_LINE: unix: loopback */
}

/* The host owning p's destination address, or NULL. Addresses never move
 * between hosts, so each host remembers the last one it found. */
static jnet__sim_host *route(jnet__sim *sim, jnet__sim_host *from,
                             const jnet__sim_spkt *p) {
  if (from->route_dst.family == p->dst.family && /* LCOV_EXCL_BR_LINE: called on a cache miss */
      jnet__sim_ip_eq(p->dst.family, from->route_dst.ip, p->dst.ip))
    return sim->hosts[from->route_to];
  jnet__sim_host *to =
      jnet__sim_host_has_ip(from, p->dst.family, p->dst.ip)
          ? from
          : jnet__sim_host_by_ip(sim, p->dst.family, p->dst.ip);
  if (to != NULL) {
    from->route_dst.family = p->dst.family;
    memcpy(from->route_dst.ip, p->dst.ip, 16);
    from->route_to = to->id;
  }
  return to;
}

void jnet__sim_drop_nomem(jnet__sim *sim, jnet__sim_spkt *p) {
  drop(sim, p, "nomem");
}

/* jnet__sim_net_send, every case. */
void jnet__sim_net_send_all(jnet__sim *sim, jnet__sim_spkt *p, int to_known) {
  jnet__sim_host *from = sim->hosts[p->from];
  if (!to_known) {
    jnet__sim_host *to = route(sim, from, p);
    if (to == NULL) {
      sim->stats.packets_sent++;
      jnet__sim_capture_pkt(sim, p);
      drop(sim, p, "noroute");
      return;
    }
    p->to = to->id;
  }
  jnet__sim_link *l = NULL;
  uint32_t mtu = 65536;
  if (p->to != p->from) {
    l = link_find(sim, p->from, p->to);
    if (l == NULL && !sim->defaults_plain &&
        (l = jnet__sim_link_get(sim, p->from, p->to)) == NULL) {
      drop(sim, p, "nomem");
      return;
    }
    mtu = l != NULL ? jnet__sim_link_params(sim, l)->mtu : sim->defaults.mtu;
  }
  uint32_t wire = jnet__sim_wire_bytes(p, mtu);
  sim->stats.packets_sent++;
  sim->stats.bytes_sent += wire;
  if (sim->pcap != NULL)
    jnet__sim_capture_pkt(sim, p);
  jnet__sim_trace_pkt(sim, JNET__SIM_TR_SEND, NULL, p);
  if (p->to == p->from) { /* loopback: ~0 latency, never lost */
    p->ev.kind = JNET__SIM_EV_PKT;
    if (jnet__sim_ev_schedule_pkt(sim, p, LOOPBACK_NS) < 0)
      drop(sim, p, "nomem");
    return;
  }
  if (l == NULL) { /* plain defaults and no faults: only the latency */
    p->ev.kind = JNET__SIM_EV_PKT;
    if (jnet__sim_ev_schedule_pkt(sim, p, sim->defaults.latency_ns) < 0)
      drop(sim, p, "nomem");
    return;
  }
  const jnet_link_params *lp = jnet__sim_link_params(sim, l);
  if (l->partitioned) {
    drop(sim, p, "partition");
    return;
  }
  if ((l->own != NULL ? l->plain : sim->defaults_plain) && !l->ge_bad &&
      !l->clogged) { /* what the general path does, without its tests */
    p->ev.kind = JNET__SIM_EV_PKT;
    if (jnet__sim_ev_schedule_pkt(sim, p, lp->latency_ns) < 0)
      drop(sim, p, "nomem");
    return;
  }
  /* Loss: one draw per IP fragment. */
  uint32_t nfrag = 1;
  if (is_dgram(p) && p->len + 8 + 20 > mtu)
    nfrag = (p->len + 8 + mtu - 1) / (mtu - 48);
  for (uint32_t i = 0; i < nfrag; i++) {
    double loss = lp->loss;
    if (lp->ge_p > 0 || l->ge_bad) {
      if (l->ge_bad) {
        if (jnet__sim_rng_unit(&l->rng) < lp->ge_r)
          l->ge_bad = 0;
      } else if (jnet__sim_rng_unit(&l->rng) < lp->ge_p) {
        l->ge_bad = 1;
      }
      if (l->ge_bad && lp->ge_loss_bad > loss)
        loss = lp->ge_loss_bad;
    }
    if (loss > 0 && jnet__sim_rng_unit(&l->rng) < loss) {
      drop(sim, p, "loss");
      return;
    }
  }
  if (lp->corrupt > 0 && is_dgram(p) && p->len > 0 &&
      jnet__sim_rng_unit(&l->rng) < lp->corrupt) {
    uint64_t r = jnet__sim_rng_next(&l->rng);
    p->data[r % p->len] ^= (uint8_t)(1u << ((r >> 32) % 8));
  }
  jnet__sim_spkt *copy = NULL;
  if (lp->duplicate > 0 && !p->dup &&
      jnet__sim_rng_unit(&l->rng) < lp->duplicate) {
    copy = jnet__sim_pkt_alloc(sim, p->len);
    if (copy != NULL) {
      uint8_t *d = copy->data;
      uint32_t cap = copy->cap;
      *copy = *p;
      copy->data = d;
      copy->cap = cap;
      copy->ev.idx = 0;
      copy->dup = 1;
      if (p->len)
        memcpy(copy->data, p->data, p->len);
    }
  }
  if (l->clogged) {
    p->next = NULL;
    if (l->clog_tail)
      l->clog_tail->next = p;
    else
      l->clog_head = p;
    l->clog_tail = p;
  } else {
    transmit(sim, l, p, wire);
  }
  if (copy != NULL) {
    jnet__sim_trace_pkt(sim, JNET__SIM_TR_DUP, NULL, copy);
    jnet__sim_net_send(sim, copy, 1);
  }
}

/* The common case inline (model.h), the rest in net_send_all. */
void jnet__sim_net_send(jnet__sim *sim, jnet__sim_spkt *p, int to_known) {
  jnet__sim_net_send_from(sim, sim->hosts[p->from], p, to_known);
}

/* ---- Faults ------------------------------------------------------------------- */

static int set_partition(jnet__sim *sim, jnet__sim_host *a, jnet__sim_host *b,
                         int on) {
  jnet__sim_link *l = jnet__sim_link_get(sim, a->id, b->id);
  if (l == NULL)
    return JNET_ENOMEM;
  l->partitioned = on;
  return 0;
}

int jnet_sim_partition(jnet_sim *sim, jnet__sim_host *a, jnet__sim_host *b,
                       int how) {
  if (sim == NULL || a == NULL || b == NULL || a == b ||
      (how != JNET_BOTH_WAYS && how != JNET_ONE_WAY))
    return JNET_EINVAL;
  jnet__sim_trace_note(sim, JNET__SIM_TR_FAULT, a, "partition %s %s", b->name,
                       how == JNET_ONE_WAY ? "one-way" : "both-ways");
  int err = set_partition(sim, a, b, 1);
  if (err == 0 && how == JNET_BOTH_WAYS)
    err = set_partition(sim, b, a, 1);
  return err;
}

int jnet_sim_heal(jnet_sim *sim, jnet__sim_host *a, jnet__sim_host *b) {
  if (sim == NULL || a == NULL || b == NULL || a == b)
    return JNET_EINVAL;
  jnet__sim_trace_note(sim, JNET__SIM_TR_FAULT, a, "heal %s", b->name);
  int err = set_partition(sim, a, b, 0);
  return err < 0 ? err : set_partition(sim, b, a, 0);
}

int jnet_sim_partition_groups(jnet_sim *sim, jnet__sim_host *const *ga,
                              size_t na, jnet__sim_host *const *gb, size_t nb,
                              int how) {
  if (sim == NULL || (na && ga == NULL) || (nb && gb == NULL))
    return JNET_EINVAL;
  for (size_t i = 0; i < na; i++)
    for (size_t j = 0; j < nb; j++) {
      if (ga[i] == gb[j])
        continue;
      int err = jnet_sim_partition(sim, ga[i], gb[j], how);
      if (err < 0)
        return err;
    }
  return 0;
}

int jnet_sim_heal_all(jnet_sim *sim) {
  if (sim == NULL)
    return JNET_EINVAL;
  jnet__sim_trace_note(sim, JNET__SIM_TR_FAULT, NULL, "heal-all");
  for (uint32_t i = 0; sim->links.b && i <= sim->links.mask; i++)
    for (jnet__sim_link *l = sim->links.b[i]; l != NULL; l = l->hnext)
      l->partitioned = 0;
  return 0;
}

static int set_clog(jnet__sim *sim, jnet__sim_host *a, jnet__sim_host *b,
                    int on) {
  jnet__sim_link *l = jnet__sim_link_get(sim, a->id, b->id);
  if (l == NULL)
    return JNET_ENOMEM;
  l->clogged = on;
  if (!on) { /* the queue flows, in order, from now */
    jnet__sim_spkt *p = l->clog_head;
    l->clog_head = l->clog_tail = NULL;
    while (p != NULL) {
      jnet__sim_spkt *next = p->next;
      transmit(sim, l, p, jnet__sim_wire_bytes(p, jnet__sim_link_params(sim, l)->mtu));
      p = next;
    }
  }
  return 0;
}

int jnet_sim_clog(jnet_sim *sim, jnet__sim_host *a, jnet__sim_host *b) {
  if (sim == NULL || a == NULL || b == NULL || a == b)
    return JNET_EINVAL;
  jnet__sim_trace_note(sim, JNET__SIM_TR_FAULT, a, "clog %s", b->name);
  int err = set_clog(sim, a, b, 1);
  return err < 0 ? err : set_clog(sim, b, a, 1);
}

int jnet_sim_unclog(jnet_sim *sim, jnet__sim_host *a, jnet__sim_host *b) {
  if (sim == NULL || a == NULL || b == NULL || a == b)
    return JNET_EINVAL;
  jnet__sim_trace_note(sim, JNET__SIM_TR_FAULT, a, "unclog %s", b->name);
  int err = set_clog(sim, a, b, 0);
  return err < 0 ? err : set_clog(sim, b, a, 0);
}
