/* udp.c — datagrams: send (unicast, subnet/limited broadcast, multicast to
 * every member host), input and demultiplexing, receive queues, ICMP port
 * unreachable (surfacing on the next read of a connected socket), and
 * multicast membership options with Linux's answers. Unix datagram sockets
 * take the same path inside one host. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "model.h"

#define MAX_DGRAM 65507u
/* A unix datagram may fill the send buffer but its 32-byte header: Linux's
 * unix_dgram_sendmsg at the default wmem (212,992) takes 212,960 bytes. */
#define MAX_UNIX_DGRAM (212992u - 32u)
#define RCVBUF_BYTES JNET__SIM_UDP_RCVBUF

void jnet__sim_udp_drop_queue(jnet__sim_sock *s) {
  jnet__sim *sim = s->host->sim;
  while (s->rq_head != NULL) {
    jnet__sim_spkt *p = s->rq_head;
    s->rq_head = p->next;
    jnet__sim_pkt_free(sim, p);
  }
  s->rq_tail = NULL;
  s->rq_bytes = 0;
}

static int member(const jnet__sim_sock *s, int family, const uint8_t *group) {
  for (const jnet__sim_mgroup *g = s->groups; g != NULL; g = g->next)
    if (g->family == family && jnet__sim_ip_eq(family, g->ip, group))
      return 1;
  return 0;
}

static int is_broadcast(const jnet__sim_host *h, const jnet__sim_ep *dst) {
  if (dst->family != AF_INET)
    return 0;
  static const uint8_t all[4] = {255, 255, 255, 255};
  if (memcmp(dst->ip, all, 4) == 0)
    return 1;
  if (dst->ip[3] != 255)
    return 0;
  for (uint32_t i = 0; i < h->naddrs; i++)
    if (h->addrs[i].family == AF_INET && memcmp(h->addrs[i].ip, dst->ip, 3) == 0)
      return 1;
  return 0;
}

/* Does host h hear the broadcast to dst sent from `from`? */
static int hears_broadcast(const jnet__sim_host *from, const jnet__sim_host *h,
                           const jnet__sim_ep *dst) {
  for (uint32_t i = 0; i < h->naddrs; i++) {
    if (h->addrs[i].family != AF_INET)
      continue;
    if (dst->ip[0] != 255) {
      if (memcmp(h->addrs[i].ip, dst->ip, 3) == 0)
        return 1;
      continue;
    }
    for (uint32_t j = 0; j < from->naddrs; j++)
      if (from->addrs[j].family == AF_INET &&
          memcmp(from->addrs[j].ip, h->addrs[i].ip, 3) == 0)
        return 1;
  }
  return 0;
}

static int host_has_member(const jnet__sim_host *h, const jnet__sim_ep *dst) {
  for (const jnet__sim_sock *s = h->socks; s != NULL; s = s->host_next)
    if (s->proto == JNET__SIM_P_UDP && s->local.port == dst->port &&
        member(s, dst->family, dst->ip))
      return 1;
  return 0;
}

static inline int send_copy(jnet__sim_sock *s, const void *buf, size_t len,
                            const jnet__sim_ep *src, const jnet__sim_ep *dst,
                            uint32_t to, int to_known) {
  jnet__sim *sim = s->host->sim;
  jnet__sim_spkt *p = jnet__sim_pkt_alloc(sim, (uint32_t)len);
  if (p == NULL)
    return JNET_ENOMEM;
  if (len)
    memcpy(p->data, buf, len);
  p->from = s->host->id;
  p->to = to;
  p->proto = s->proto;
  p->family = src->family;
  p->src = *src;
  p->dst = *dst;
  jnet__sim_net_send(sim, p, to_known);
  return 0;
}

/* jnet__sim_udp_sendto, every case. */
ssize_t jnet__sim_udp_sendto_all(jnet__sim_sock *s, const void *buf,
                                 size_t len, const struct sockaddr *to) {
  jnet__sim *sim = s->host->sim;
  if (len > (s->family == AF_UNIX ? MAX_UNIX_DGRAM : MAX_DGRAM))
    return JNET_EMSGSIZE;
  if (s->shut_wr)
    return JNET_EPIPE;
  if (s->err != 0) { /* a pending ICMP error fails any send (sock_error) */
    int err = s->err;
    s->err = 0;
    return err;
  }
  if (s->family == AF_UNIX) {
    jnet__sim_sock *peer;
    if (to == NULL) {
      if (!s->connected)
        return JNET_EDESTADDRREQ;
      peer = jnet__sim_unix_find(s->host, s->proto, jnet__sim_sock_peer_path(s),
                                 0);
      if (peer == NULL)
        return JNET_ECONNREFUSED;
    } else {
      const struct sockaddr_un *un = (const struct sockaddr_un *)to;
      char name[sizeof un->sun_path + 2];
      if (un->sun_path[0] == '\0') {
        name[0] = '@';
        memcpy(name + 1, un->sun_path + 1, sizeof un->sun_path - 1);
        name[sizeof un->sun_path] = '\0';
      } else {
        memcpy(name, un->sun_path, sizeof un->sun_path);
        name[sizeof un->sun_path] = '\0';
      }
      peer = jnet__sim_unix_find(s->host, s->proto, name, 0);
      if (peer == NULL)
        return JNET_ENOENT;
    }
    int err = jnet__sim_autobind(s);
    if (err < 0) /* LCOV_EXCL_BR_LINE: unix autobind never fails */
      return err;
    jnet__sim_spkt *p = jnet__sim_pkt_alloc(sim, (uint32_t)len);
    if (p == NULL)
      return JNET_ENOMEM;
    if (len)
      memcpy(p->data, buf, len);
    p->from = p->to = s->host->id;
    p->proto = JNET__SIM_P_UDGRAM;
    p->family = AF_INET;
    p->src = s->local;
    p->dst = peer->local;
    p->wire_sport = s->wire_port;
    p->wire_dport = peer->wire_port;
    jnet__sim_net_send(sim, p, 1);
    return (ssize_t)len;
  }
  jnet__sim_ep dst;
  if (to == NULL) {
    if (!s->connected)
      return JNET_EDESTADDRREQ;
    dst = s->remote;
  } else {
    if (to->sa_family != s->family)
      return JNET_EAFNOSUPPORT;
    jnet__sim_ep_from_sa(&dst, to);
  }
  jnet__sim_ep_unmap(&dst); /* an IPv6 socket sending to a mapped IPv4 peer */
  if (dst.port == 0)
    return JNET_EINVAL;
  int bcast = is_broadcast(s->host, &dst);
  if (bcast && !s->broadcast)
    return JNET_EACCES;
  int err = s->bound ? 0 : jnet__sim_autobind(s);
  if (err < 0)
    return err;
  jnet__sim_ep src;
  int mcast = jnet__sim_ip_is_multicast(dst.family, dst.ip);
  if (bcast || mcast) {
    jnet__sim_ep probe = dst;
    memset(probe.ip, 0, 16);
    probe.ip[0] = 192; /* any non-local destination picks the first address */
    if (s->host->naddrs == 0 || jnet__sim_route_src(s, &probe, &src) < 0) /* LCOV_EXCL_BR_LINE: jnet_sim_host gives an address */
      return JNET_ENETUNREACH;
    src.port = s->local.port;
    if (!jnet__sim_ip_is_any(s->local.family, s->local.ip))
      src = s->local;
    for (uint32_t i = 0; i < sim->nhosts; i++) {
      jnet__sim_host *h = sim->hosts[i];
      if (!(bcast ? hears_broadcast(s->host, h, &dst) : host_has_member(h, &dst)))
        continue;
      if ((err = send_copy(s, buf, len, &src, &dst, h->id, 1)) < 0)
        return err;
    }
    return (ssize_t)len;
  }
  if (!jnet__sim_ip_is_any(s->local.family, s->local.ip))
    src = s->local; /* bound to an address: what route_src would say */
  else if ((err = jnet__sim_route_src(s, &dst, &src)) < 0)
    return err;
  src.port = s->local.port;
  err = send_copy(s, buf, len, &src, &dst, 0, 0);
  return err < 0 ? err : (ssize_t)len;
}

/* The common case first (model.h, jnet__sim_udp_send_v4), then the rest. */
ssize_t jnet__sim_udp_sendto(jnet__sim_sock *s, const void *buf, size_t len,
                             const struct sockaddr *to) {
  ssize_t r;
  if (jnet__sim_udp_send_v4(s, buf, len, to, &r))
    return r;
  return jnet__sim_udp_sendto_all(s, buf, len, to);
}

static void enqueue(jnet__sim_sock *s, jnet__sim_spkt *p) {
  jnet__sim *sim = s->host->sim;
  if (s->shut_rd || s->rq_bytes + p->len > RCVBUF_BYTES) {
    sim->stats.packets_dropped++;
    jnet__sim_trace_pkt(sim, JNET__SIM_TR_DROP, "rcvbuf", p);
    jnet__sim_pkt_free(sim, p);
    return;
  }
  p->next = NULL;
  if (s->rq_tail)
    s->rq_tail->next = p;
  else
    s->rq_head = p;
  s->rq_tail = p;
  s->rq_bytes += p->len;
  jnet__sim_sock_ready(s);
}

static jnet__sim_spkt *clone(jnet__sim *sim, const jnet__sim_spkt *p) {
  jnet__sim_spkt *c = jnet__sim_pkt_alloc(sim, p->len);
  if (c == NULL)
    return NULL;
  uint8_t *d = c->data;
  uint32_t cap = c->cap;
  *c = *p;
  c->data = d;
  c->cap = cap;
  c->ev.idx = 0;
  if (p->len)
    memcpy(c->data, p->data, p->len);
  return c;
}

static void port_unreachable(jnet__sim *sim, jnet__sim_spkt *p) {
  jnet__sim_spkt *r = jnet__sim_pkt_alloc(sim, 0);
  if (r == NULL)
    return;
  r->from = p->to;
  r->to = p->from;
  r->proto = JNET__SIM_P_ICMP;
  r->family = p->family;
  r->src = p->dst;
  r->dst = p->src;
  jnet__sim_net_send(sim, r, 1);
}

/* jnet__sim_udp_input, every case. */
static __attribute__((noinline)) void input_all(jnet__sim *sim,
                                                jnet__sim_spkt *p) {
  jnet__sim_host *h = sim->hosts[p->to];
  if (p->proto == JNET__SIM_P_UDGRAM) {
    jnet__sim_sock *s =
        jnet__sim_unix_find(h, JNET__SIM_P_UDGRAM, NULL, p->dst.port);
    if (s == NULL) {
      jnet__sim_pkt_free(sim, p);
      return;
    }
    enqueue(s, p);
    return;
  }
  int mcast = jnet__sim_ip_is_multicast(p->dst.family, p->dst.ip);
  if (mcast ||
      (p->dst.family == AF_INET && p->dst.ip[3] == 255 &&
       !jnet__sim_host_has_ip(
           h, AF_INET, p->dst.ip))) { /* every matching socket gets a copy */
    jnet__sim_sock *last = NULL;
    for (jnet__sim_sock *s =
             jnet__sim_ports_first(sim, h->id, JNET__SIM_P_UDP, p->dst.port);
         s != NULL; s = s->port_next) {
      if (s->host != h || s->proto != JNET__SIM_P_UDP ||
          s->local.port != p->dst.port || s->local.family != p->dst.family)
        continue;
      if (mcast ? !member(s, p->dst.family, p->dst.ip) /* else broadcast */
                : !jnet__sim_ip_is_any(AF_INET, s->local.ip))
        continue;
      if (last != NULL) {
        jnet__sim_spkt *c = clone(sim, p);
        if (c != NULL)
          enqueue(last, c);
      }
      last = s;
    }
    if (last != NULL)
      enqueue(last, p);
    else
      jnet__sim_pkt_free(sim, p);
    return;
  }
  jnet__sim_sock *best = NULL;
  int best_score = -1;
  jnet__sim_ep src6; /* the sender as a dual-stack socket sees it */
  src6.family = 0; /* made when first needed */
  for (jnet__sim_sock *s =
           jnet__sim_ports_first(sim, h->id, JNET__SIM_P_UDP, p->dst.port);
       s != NULL; s = s->port_next) {
    if (s->host != h || s->proto != JNET__SIM_P_UDP ||
        s->local.port != p->dst.port)
      continue;
    int dual = s->local.family == AF_INET6 && p->dst.family == AF_INET;
    if (s->local.family != p->dst.family &&
        !(dual && jnet__sim_ip_is_any(AF_INET6, s->local.ip)))
      continue;
    int exact = !dual && jnet__sim_ip_eq(p->dst.family, s->local.ip, p->dst.ip);
    if (!exact && !jnet__sim_ip_is_any(s->local.family, s->local.ip))
      continue;
    const jnet__sim_ep *from = &p->src;
    if (dual) {
      if (src6.family == 0) {
        src6 = p->src;
        jnet__sim_ep_map(&src6);
      }
      from = &src6;
    }
    if (s->connected &&
        (s->remote.port != from->port || s->remote.family != from->family || /* LCOV_EXCL_BR_LINE: from (mapped) and peer: s's family */
         !jnet__sim_ip_eq(from->family, s->remote.ip, from->ip)))
      continue;
    int score = exact + 2 * s->connected;
    if (score >= best_score) { /* ties: the latest bound, as Linux */
      best = s;
      best_score = score;
    }
  }
  if (best == NULL) {
    port_unreachable(sim, p);
    jnet__sim_pkt_free(sim, p);
    return;
  }
  enqueue(best, p);
}

void jnet__sim_udp_enqueue(jnet__sim_sock *s, jnet__sim_spkt *p) {
  enqueue(s, p);
}

/* The IPv4 socket on h that takes IPv4 unicast p, or NULL for input_all (a
 * dual-stack socket on the port, or none takes it). When the socket is
 * the only one on its port and not connected, it becomes h's hint. */
static jnet__sim_sock *udp_choose(jnet__sim *sim, jnet__sim_host *h,
                                  const jnet__sim_spkt *p) {
  jnet__sim_sock *best = NULL;
  int best_score = -1, on_port = 0;
  for (jnet__sim_sock *s =
           jnet__sim_ports_first(sim, h->id, JNET__SIM_P_UDP, p->dst.port);
       s != NULL; s = s->port_next) {
    /* LCOV_EXCL_BR_LINE below: other host or protocol in the chain: a port_key bucket collision */
    if (s->host != h || s->proto != JNET__SIM_P_UDP || /* LCOV_EXCL_BR_LINE */
        s->local.port != p->dst.port)
      continue;
    on_port++;
    if (s->local.family != AF_INET) /* dual-stack: input_all decides */
      return NULL;
    int exact = jnet__sim_ip_eq(AF_INET, s->local.ip, p->dst.ip);
    if (!exact && !jnet__sim_ip_is_any(AF_INET, s->local.ip))
      continue;
    if (s->connected &&
        (s->remote.port != p->src.port || s->remote.family != p->src.family || /* LCOV_EXCL_BR_LINE: an IPv4 socket's peer is IPv4 */
         !jnet__sim_ip_eq(AF_INET, s->remote.ip, p->src.ip)))
      continue;
    int score = exact + 2 * s->connected;
    if (score >= best_score) { /* ties: the latest bound, as Linux */
      best = s;
      best_score = score;
    }
  }
  if (best != NULL && on_port == 1 && !best->connected) {
    h->udp_hint = best;
    h->udp_hint_gen = sim->ports_gen;
  }
  return best;
}

/* The common case first: an IPv4 unicast datagram, and only IPv4 sockets
 * on its port (no dual-stack one). The same choice as input_all's, which
 * takes anything else, and a datagram nobody takes. */
void jnet__sim_udp_input(jnet__sim *sim, jnet__sim_spkt *p) {
  if (p->proto != JNET__SIM_P_UDP || p->dst.family != AF_INET ||
      p->dst.ip[3] == 255 || jnet__sim_ip_is_multicast(AF_INET, p->dst.ip)) {
    input_all(sim, p);
    return;
  }
  /* the run loop tried the host's hint first (sim.c, deliver) */
  jnet__sim_sock *best = udp_choose(sim, sim->hosts[p->to], p);
  if (best == NULL) {
    input_all(sim, p); /* port unreachable, or a dual-stack socket */
    return;
  }
  if (!jnet__sim_udp_straight(sim, best, p))
    enqueue(best, p);
}

void jnet__sim_icmp_input(jnet__sim *sim, jnet__sim_spkt *p) {
  jnet__sim_host *h = sim->hosts[p->to];
  for (jnet__sim_sock *s =
           jnet__sim_ports_first(sim, h->id, JNET__SIM_P_UDP, p->dst.port);
       s != NULL; s = s->port_next) {
    /* LCOV_EXCL_BR_LINE below: other host or protocol in the chain: a port_key bucket collision */
    if (s->host != h || s->proto != JNET__SIM_P_UDP || /* LCOV_EXCL_BR_LINE */
        s->local.port != p->dst.port || !s->connected)
      continue;
    if (s->remote.port == p->src.port &&
        jnet__sim_ip_eq(p->src.family, s->remote.ip, p->src.ip)) {
      s->err = JNET_ECONNREFUSED;
      jnet__sim_sock_ready(s);
    }
  }
  jnet__sim_pkt_free(sim, p);
}

/* jnet__sim_udp_recvfrom, every case. */
static __attribute__((noinline)) ssize_t
recvfrom_all(jnet__sim_sock *s, void *buf, size_t len,
             struct sockaddr_storage *from, socklen_t *fromlen) {
  jnet__sim *sim = s->host->sim;
  if (s->err != 0) {
    int err = s->err;
    s->err = 0;
    return err;
  }
  jnet__sim_spkt *p = s->rq_head;
  if (p == NULL)
    return s->shut_rd ? 0 : JNET_EAGAIN;
  s->rq_head = p->next;
  if (s->rq_head == NULL)
    s->rq_tail = NULL;
  s->rq_bytes -= p->len;
  size_t n = p->len < len ? p->len : len;
  if (n)
    memcpy(buf, p->data, n);
  if (from != NULL) {
    socklen_t l;
    if (p->proto == JNET__SIM_P_UDGRAM) {
      jnet__sim_sock *snd =
          jnet__sim_unix_find(s->host, JNET__SIM_P_UDGRAM, NULL, p->src.port);
      jnet__sim_unix_name(s, snd ? jnet__sim_sock_path(snd) : NULL, from, &l);
    } else {
      jnet__sim_ep src = p->src;
      if (s->family == AF_INET6) /* LCOV_EXCL_BR_LINE: IPv4 UDP took the fast path */
        jnet__sim_ep_map(&src);
      l = jnet__sim_ep_to_sa(&src, from);
    }
    if (fromlen) /* LCOV_EXCL_BR_LINE: callers give fromlen with from */
      *fromlen = l;
  }
  jnet__sim_pkt_free(sim, p);
  return (ssize_t)n;
}

/* The common case first: an IPv4 socket takes a queued IPv4 datagram,
 * wanting its sender. What recvfrom_all does then; it takes the rest. */
ssize_t jnet__sim_udp_recvfrom(jnet__sim_sock *s, void *buf, size_t len,
                               struct sockaddr_storage *from,
                               socklen_t *fromlen) {
  jnet__sim_spkt *p = s->rq_head;
  /* LCOV_EXCL_BR_LINE below: callers give fromlen with from */
  if (p == NULL || s->err != 0 || s->family != AF_INET || from == NULL || /* LCOV_EXCL_BR_LINE */
      fromlen == NULL || p->proto != JNET__SIM_P_UDP) /* LCOV_EXCL_BR_LINE: callers give fromlen with from */
    return recvfrom_all(s, buf, len, from, fromlen);
  s->rq_head = p->next;
  if (p->next == NULL)
    s->rq_tail = NULL;
  s->rq_bytes -= p->len;
  return jnet__sim_udp_take(s, p, buf, len, from, fromlen);
}

int jnet__sim_udp_setopt_group(jnet__sim_sock *s, int option,
                               const char *group) {
  int v6 = option == JNET__SIM_IPV6_JOIN_GROUP ||
           option == JNET__SIM_IPV6_LEAVE_GROUP;
  int join = option == JNET__SIM_IP_ADD_MEMBERSHIP ||
             option == JNET__SIM_IPV6_JOIN_GROUP;
  if (v6 && s->family == AF_INET)
    return JNET_ENOPROTOOPT;
  uint8_t ip[16] = {0};
  int family = v6 ? AF_INET6 : AF_INET;
  if (inet_pton(family, group, ip) != 1 ||
      !jnet__sim_ip_is_multicast(family, ip))
    return JNET_EINVAL;
  if (s->type == JNET__SIM_SOCK_STREAM)
    return JNET_EPROTO; /* Linux: no multicast membership on TCP sockets */
  if (join) {
    if (member(s, family, ip))
      return JNET_EADDRINUSE;
    jnet__sim_mgroup *g = jnet__calloc(1, sizeof *g);
    if (g == NULL)
      return JNET_ENOMEM;
    g->family = (uint8_t)family;
    memcpy(g->ip, ip, 16);
    jnet__sim_mgroup **pp = &s->groups;
    while (*pp != NULL)
      pp = &(*pp)->next;
    *pp = g;
    return 0;
  }
  for (jnet__sim_mgroup **pp = &s->groups; *pp != NULL; pp = &(*pp)->next)
    if ((*pp)->family == family && jnet__sim_ip_eq(family, (*pp)->ip, ip)) {
      jnet__sim_mgroup *g = *pp;
      *pp = g->next;
      jnet__free(g);
      return 0;
    }
  return JNET_EADDRNOTAVAIL;
}
