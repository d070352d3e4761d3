/* sock.c — sockets of the model: creation, the port and connection tables,
 * ephemeral ports, bind/listen/accept/connect, names, options, shutdown and
 * close, and the ready list that tells the owner a socket changed. TCP and
 * UDP specifics live in tcp.c and udp.c; unix sockets are the same
 * machinery confined to one host, found by name. */
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "model.h"

/* ---- Ready list ----------------------------------------------------------- */

static void unready(jnet__sim_sock *s) {
  jnet__sim *sim = s->host->sim;
  if (!s->in_ready)
    return;
  jnet__sim_sock *prev = NULL; /* the list holds what one event changed */
  jnet__sim_sock **pp = &sim->ready_head;
  /* in_ready means s is on the list: the walk finds it */
  while (*pp != NULL && *pp != s) { /* LCOV_EXCL_BR_LINE: s is on it */
    prev = *pp;
    pp = &prev->ready_next;
  }
  if (*pp == s) /* LCOV_EXCL_BR_LINE: s is on it */
    *pp = s->ready_next;
  if (sim->ready_tail == s)
    sim->ready_tail = prev;
  s->ready_next = NULL;
  s->in_ready = 0;
}

/* ---- Tables ----------------------------------------------------------------- */

static uint64_t port_hash(const void *o) {
  const jnet__sim_sock *s = o;
  return jnet__sim_port_key(s->host->id, s->proto, s->local.port);
}

void jnet__sim_ports_add(jnet__sim_sock *s) {
  s->host->sim->ports_gen++; /* udp.c's hints are stale */
  if (jnet__sim_htab_insert(&s->host->sim->ports, s, port_hash(s),
                            offsetof(jnet__sim_sock, port_next),
                            port_hash) == 0)
    s->in_ports = 1;
}

void jnet__sim_ports_remove(jnet__sim_sock *s) {
  s->host->sim->ports_gen++; /* udp.c's hints are stale */
  if (s->in_ports)
    jnet__sim_htab_remove(&s->host->sim->ports, s, port_hash(s),
                          offsetof(jnet__sim_sock, port_next));
  s->in_ports = 0;
}

/* The table is only looked up, never walked, so its hash may be any mix:
 * the remote address as two words (not hashed byte by byte: a segment
 * looks its connection up, ~100 instructions saved each time). */
static uint64_t conn_key(uint32_t host, int proto, uint16_t lport,
                         const jnet__sim_ep *r) {
  uint64_t lo, hi;
  memcpy(&lo, r->ip, 8);
  memcpy(&hi, r->ip + 8, 8);
  uint64_t h = jnet__splitmix64(lo ^ jnet__splitmix64(hi));
  return jnet__splitmix64(h ^ ((uint64_t)host << 32) ^ ((uint64_t)proto << 24) ^
                   ((uint64_t)lport << 8) ^ ((uint64_t)r->port << 40));
}
static uint64_t conn_hash(const void *o) {
  const jnet__sim_sock *s = o;
  return conn_key(s->host->id, s->proto, s->local.port, &s->remote);
}

void jnet__sim_conns_add(jnet__sim_sock *s) {
  if (jnet__sim_htab_insert(&s->host->sim->conns, s, conn_hash(s),
                            offsetof(jnet__sim_sock, conn_next),
                            conn_hash) == 0)
    s->in_conns = 1;
}

void jnet__sim_conns_remove(jnet__sim_sock *s) {
  if (s->in_conns)
    jnet__sim_htab_remove(&s->host->sim->conns, s, conn_hash(s),
                          offsetof(jnet__sim_sock, conn_next));
  s->in_conns = 0;
}

jnet__sim_sock *jnet__sim_conns_find(jnet__sim *sim, uint32_t host, int proto,
                                     uint16_t lport, const jnet__sim_ep *r) {
  for (jnet__sim_sock *s =
           jnet__sim_htab_first(&sim->conns, conn_key(host, proto, lport, r));
       s != NULL; s = s->conn_next)
    /* LCOV_EXCL_BR_LINE below: same host and local port, other protocol in the chain: a conn_key bucket collision */
    if (s->host->id == host && s->proto == proto && s->local.port == lport && /* LCOV_EXCL_BR_LINE */
        /* LCOV_EXCL_BR_LINE below: same ports, other family or address in the chain: a conn_key bucket collision */
        s->remote.port == r->port && s->remote.family == r->family && /* LCOV_EXCL_BR_LINE */
        jnet__sim_ip_eq(r->family, s->remote.ip, r->ip))
      return s;
  return NULL;
}

/* Ephemeral ports 32768-60999, per host and protocol, round robin from a
 * start drawn from the host's stream. */
int jnet__sim_port_alloc(jnet__sim *sim, jnet__sim_host *h, int proto,
                         uint16_t *out) {
  for (uint32_t i = 0; i < 28232; i++) {
    uint16_t p = h->next_ephemeral;
    h->next_ephemeral = p >= 60999 ? 32768 : (uint16_t)(p + 1);
    if (jnet__sim_ports_first(sim, h->id, proto, p) == NULL) {
      *out = p;
      return 0;
    }
  }
  return JNET_EADDRNOTAVAIL;
}

/* ---- Unix names ---------------------------------------------------------------- */

int jnet__sim_sock_unames(jnet__sim_sock *s) {
  if (s->un == NULL && (s->un = jnet__calloc(1, sizeof *s->un)) == NULL)
    return JNET_ENOMEM;
  return 0;
}

jnet__sim_sock *jnet__sim_unix_find(jnet__sim_host *h, int proto,
                                    const char *name, uint16_t port) {
  for (jnet__sim_sock *s = h->socks; s != NULL; s = s->host_next) {
    if (s->proto != proto || (name != NULL && s->child))
      continue;
    if (name != NULL ? (jnet__sim_sock_path(s) != NULL &&
                        strcmp(jnet__sim_sock_path(s), name) == 0)
                     : (s->bound && s->local.port == port))
      return s;
  }
  return NULL;
}

/* A sockaddr_un for `name` (NULL: unnamed). */
void jnet__sim_unix_name(const jnet__sim_sock *s, const char *name,
                         struct sockaddr_storage *ss, socklen_t *len) {
  (void)s;
  struct sockaddr_un *un = (struct sockaddr_un *)ss;
  memset(ss, 0, sizeof *ss);
  un->sun_family = AF_UNIX;
  size_t base = offsetof(struct sockaddr_un, sun_path);
  if (name == NULL) {
    *len = (socklen_t)base;
    return;
  }
  size_t n = strlen(name);
  if (name[0] == '@') {
    memcpy(un->sun_path + 1, name + 1, n - 1);
    *len = (socklen_t)(base + n);
  } else {
    memcpy(un->sun_path, name, n);
    *len = (socklen_t)(base + n + 1);
  }
}

/* The name in a sockaddr_un ("@x" for abstract) into *out: 0, JNET_EINVAL
 * (no name, too long) or JNET_ENOMEM. */
static int unix_path(const struct sockaddr *sa, socklen_t len, char **out) {
  const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
  size_t base = offsetof(struct sockaddr_un, sun_path);
  *out = NULL;
  if (len <= base || len > sizeof *un)
    return JNET_EINVAL;
  size_t n = len - base;
  char buf[sizeof un->sun_path + 2];
  if (un->sun_path[0] == '\0') {
    buf[0] = '@';
    memcpy(buf + 1, un->sun_path + 1, n - 1);
    buf[n] = '\0';
  } else {
    memcpy(buf, un->sun_path, n);
    buf[n] = '\0';
  }
  /* buf[0] is '@' or the path's first byte: never an empty name */
  *out = jnet__strdup(buf);
  return *out != NULL ? 0 : JNET_ENOMEM;
}

/* ---- Lifecycle ------------------------------------------------------------------ */

int jnet__sim_sock_new(jnet__sim_host *h, int family, int type,
                       jnet__sim_sock **out) {
  /* LCOV_EXCL_BR_LINE below: the adapter passes its own out pointer */
  if (h == NULL || out == NULL || /* LCOV_EXCL_BR_LINE */
      (type != JNET__SIM_SOCK_STREAM && type != JNET__SIM_SOCK_DGRAM))
    return JNET_EINVAL;
  if (family != AF_INET && family != AF_INET6 && family != AF_UNIX)
    return JNET_EAFNOSUPPORT;
  if (!h->up)
    return JNET_ECANCELED;
  jnet__sim_sock *s = jnet__calloc(1, sizeof *s);
  if (s == NULL)
    return JNET_ENOMEM;
  s->host = h;
  s->family = (uint8_t)family;
  s->type = (uint8_t)type;
  int stream = type == JNET__SIM_SOCK_STREAM;
  s->proto = family == AF_UNIX
                 ? (stream ? JNET__SIM_P_USTREAM : JNET__SIM_P_UDGRAM)
                 : (stream ? JNET__SIM_P_TCP : JNET__SIM_P_UDP);
  s->local.family = family == AF_UNIX ? AF_INET : (uint8_t)family;
  s->mcast_ttl = 1;
  s->tev.kind = JNET__SIM_EV_TCP;
  s->aev.kind = JNET__SIM_EV_TCP_AUX;
  s->host_next = h->socks;
  if (h->socks)
    h->socks->host_prev = s;
  h->socks = s;
  *out = s;
  return 0;
}

/* Free everything of the socket now, without a packet. */
void jnet__sim_sock_destroy(jnet__sim_sock *s) {
  jnet__sim *sim = s->host->sim;
  /* the union */
  int listening =
      s->type == JNET__SIM_SOCK_STREAM && s->state == JNET__SIM_ST_LISTEN;
  unready(s);
  jnet__sim_ev_cancel(sim, &s->tev);
  jnet__sim_ev_cancel(sim, &s->aev);
  jnet__sim_ports_remove(s);
  jnet__sim_conns_remove(s);
  if (s->listener != NULL) { /* not accepted: queued, or still half open */
    jnet__sim_sock **pp = &s->listener->aq_head;
    jnet__sim_sock *prev = NULL;
    while (*pp != NULL && *pp != s) {
      prev = *pp;
      pp = &(*pp)->aq_next;
    }
    if (*pp == s) { /* queued once its handshake completed */
      *pp = s->aq_next;
      if (s->listener->aq_tail == s)
        s->listener->aq_tail = prev;
      s->listener->aq_len--;
    }
  }
  if (s->state == JNET__SIM_ST_LISTEN) {
    /* Its queued and embryonic connections go with it, reset (Linux). */
    s->state = JNET__SIM_ST_CLOSED;
    for (;;) {
      jnet__sim_sock *c = s->host->socks;
      while (c != NULL && c->listener != s)
        c = c->host_next;
      if (c == NULL)
        break;
      /* a down host has no sockets: crash destroys them all while
       * sim->crashing is set, and socket() refuses a down host */
      if (sim->crashing == s->host || !s->host->up) /* LCOV_EXCL_BR_LINE */
        jnet__sim_sock_destroy(c);
      else
        jnet__sim_tcp_close(c);
    }
  }
  while (s->ooo != NULL) {
    jnet__sim_spkt *p = s->ooo;
    s->ooo = p->next;
    jnet__sim_pkt_free(sim, p);
  }
  jnet__free(s->cubic);
  if (s->type == JNET__SIM_SOCK_DGRAM) { /* the union's datagram side */
    jnet__sim_udp_drop_queue(s);
    while (s->groups != NULL) {
      jnet__sim_mgroup *g = s->groups;
      s->groups = g->next;
      jnet__free(g);
    }
  } else if (!listening) {
    jnet__free(s->sndbuf.data);
    jnet__free(s->rcvbuf.data);
  }
  if (s->un != NULL) {
    jnet__free(s->un->path);
    jnet__free(s->un->peer_path);
    jnet__free(s->un);
  }
  if (s->host_prev)
    s->host_prev->host_next = s->host_next;
  else
    s->host->socks = s->host_next;
  if (s->host_next)
    s->host_next->host_prev = s->host_prev;
  jnet__free(s);
}

void jnet__sim_sock_close(jnet__sim_sock *s) {
  if (s == NULL)
    return;
  s->detached = 1;
  unready(s);
  s->user[0] = s->user[1] = s->user[2] = NULL;
  /* LCOV_EXCL_BR_LINE below: a down host has no sockets (as above) */
  if (s->host->sim->crashing == s->host ||
      !s->host->up) { /* LCOV_EXCL_BR_LINE */
    jnet__sim_sock_destroy(s);
    return;
  }
  if (s->type == JNET__SIM_SOCK_STREAM &&
      (s->state == JNET__SIM_ST_SYN_SENT ||
       /* LCOV_EXCL_BR_LINE below: users hold no half-open connection */
       s->state == JNET__SIM_ST_SYN_RCVD || /* LCOV_EXCL_BR_LINE */
       s->state == JNET__SIM_ST_OPEN)) {
    jnet__sim_tcp_close(s); /* may linger to finish its FIN exchange */
    return;
  }
  jnet__sim_sock_destroy(s);
}

/* ---- Binding ------------------------------------------------------------------ */

static int overlaps(const jnet__sim_sock *a, const jnet__sim_ep *b) {
  if (jnet__sim_ip_is_any(a->local.family, a->local.ip) ||
      jnet__sim_ip_is_any(b->family, b->ip))
    return a->local.family == b->family || a->local.family == AF_INET6 ||
           b->family == AF_INET6; /* LCOV_EXCL_BR_LINE: two families only */
  return a->local.family == b->family &&
         jnet__sim_ip_eq(b->family, a->local.ip, b->ip);
}

/* May s take ep? Linux: TCP sharing needs SO_REUSEADDR on both and no
 * listener; UDP sharing needs SO_REUSEADDR on both. */
static int port_free(jnet__sim_sock *s, const jnet__sim_ep *ep, int listening) {
  jnet__sim *sim = s->host->sim;
  for (jnet__sim_sock *o =
           jnet__sim_ports_first(sim, s->host->id, s->proto, ep->port);
       o != NULL; o = o->port_next) {
    /* LCOV_EXCL_BR_LINE below: other host or protocol in the chain: a port_key bucket collision */
    if (o == s || o->host != s->host || o->proto != s->proto || /* LCOV_EXCL_BR_LINE */
        o->local.port != ep->port || !overlaps(o, ep))
      continue;
    int share = s->reuseaddr && o->reuseaddr;
    if (s->type == JNET__SIM_SOCK_STREAM &&
        (listening || o->state == JNET__SIM_ST_LISTEN))
      share = 0;
    if (!share)
      return 0;
  }
  return 1;
}

static int bind_ep(jnet__sim_sock *s, const jnet__sim_ep *ep) {
  jnet__sim_ep e = *ep;
  if (e.port == 0) {
    int err = jnet__sim_port_alloc(s->host->sim, s->host, s->proto, &e.port);
    if (err < 0)
      return err;
  } else if (!port_free(s, &e, 0)) {
    return JNET_EADDRINUSE;
  }
  s->local = e;
  s->bound = 1;
  jnet__sim_ports_add(s);
  return 0;
}

int jnet__sim_sock_bind(jnet__sim_sock *s, const struct sockaddr *sa,
                        socklen_t len) {
  if (s == NULL || sa == NULL) /* LCOV_EXCL_BR_LINE: sa: the adapter's addr */
    return JNET_EINVAL;
  if (s->bound)
    return JNET_EINVAL;
  if (s->family == AF_UNIX) {
    if (sa->sa_family != AF_UNIX)
      return JNET_EINVAL;
    char *name;
    int perr = unix_path(sa, len, &name);
    if (perr < 0)
      return perr;
    if (jnet__sim_unix_find(s->host, s->proto, name, 0) != NULL ||
        jnet__sim_unix_find(s->host,
                            s->proto == JNET__SIM_P_USTREAM
                                ? JNET__SIM_P_UDGRAM
                                : JNET__SIM_P_USTREAM,
                            name, 0) != NULL) {
      jnet__free(name);
      return JNET_EADDRINUSE;
    }
    if (jnet__sim_sock_unames(s) < 0) {
      jnet__free(name);
      return JNET_ENOMEM;
    }
    s->un->path = name;
    s->wire_port = jnet__sim_pcap_unix_port(name);
    return jnet__sim_autobind(s);
  }
  jnet__sim_ep ep;
  if (jnet__sim_ep_from_sa(&ep, sa) < 0 || ep.family != s->family)
    return sa->sa_family == AF_INET || sa->sa_family == AF_INET6
               ? JNET_EAFNOSUPPORT
               : JNET_EINVAL;
  if (!jnet__sim_ip_is_any(ep.family, ep.ip) &&
      !jnet__sim_host_has_ip(s->host, ep.family, ep.ip) &&
      !(s->type == JNET__SIM_SOCK_DGRAM &&
        jnet__sim_ip_is_multicast(ep.family, ep.ip)))
    return JNET_EADDRNOTAVAIL;
  int err = bind_ep(s, &ep);
  /* no ephemeral port left: Linux's bind and listen say EADDRINUSE (its
   * connect EADDRNOTAVAIL, and its datagram autobind EAGAIN, which here
   * would mean "try again later": EADDRNOTAVAIL too) */
  return err == JNET_EADDRNOTAVAIL ? JNET_EADDRINUSE : err;
}

/* Bind to an ephemeral port if unbound (unix: an internal number). */
int jnet__sim_autobind(jnet__sim_sock *s) {
  if (s->family == AF_UNIX) {
    if (s->local.port == 0) {
      static const uint8_t lo[4] = {127, 0, 0, 1};
      /* Internal ports: unique per host, never shown except in pcaps. */
      uint16_t p;
      do {
        p = s->host->next_ephemeral;
        s->host->next_ephemeral =
            p >= 60999 ? 32768 : (uint16_t)(p + 1);
      } while (jnet__sim_unix_find(s->host, s->proto, NULL, p) != NULL);
      s->local.family = AF_INET;
      memcpy(s->local.ip, lo, 4);
      s->local.port = p;
      s->bound = 1;
      if (s->wire_port == 0)
        s->wire_port = p;
    }
    return 0;
  }
  if (s->bound)
    return 0;
  jnet__sim_ep ep;
  memset(&ep, 0, sizeof ep);
  ep.family = s->family;
  return bind_ep(s, &ep);
}

int jnet__sim_route_src(jnet__sim_sock *s, const jnet__sim_ep *dst,
                        jnet__sim_ep *src) {
  *src = s->local;
  if (!jnet__sim_ip_is_any(src->family, src->ip))
    return 0;
  if (jnet__sim_ep_is_mapped(dst)) { /* ::ffff:a.b.c.d: IPv4 on the wire */
    jnet__sim_ep d4 = *dst;
    jnet__sim_ep_unmap(&d4);
    int err = jnet__sim_route_src(s, &d4, src);
    jnet__sim_ep_map(src);
    return err;
  }
  src->family = dst->family; /* an IPv6 socket talking to a mapped peer */
  jnet__sim_host *h = s->host;
  if (jnet__sim_ip_is_loopback(dst->family, dst->ip) ||
      jnet__sim_ip_is_any(dst->family, dst->ip)) {
    memset(src->ip, 0, 16);
    if (dst->family == AF_INET) {
      src->ip[0] = 127;
      src->ip[3] = 1;
    } else {
      src->ip[15] = 1;
    }
    return 0;
  }
  if (jnet__sim_host_has_ip(h, dst->family, dst->ip)) {
    memcpy(src->ip, dst->ip, 16);
    return 0;
  }
  for (uint32_t i = 0; i < h->naddrs; i++)
    if (h->addrs[i].family == dst->family) {
      memcpy(src->ip, h->addrs[i].ip, 16);
      return 0;
    }
  return JNET_ENETUNREACH;
}

/* ---- Listen, accept, connect ------------------------------------------------- */

int jnet__sim_sock_listen(jnet__sim_sock *s, int backlog) {
  if (s == NULL)
    return JNET_EINVAL;
  if (s->type != JNET__SIM_SOCK_STREAM)
    return JNET_ENOTSUP;
  if (s->state == JNET__SIM_ST_LISTEN) {
    s->backlog = backlog > 0 ? (uint32_t)backlog : 1;
    return 0;
  }
  if (s->state != JNET__SIM_ST_NEW)
    return JNET_EINVAL;
  if (s->family == AF_UNIX && jnet__sim_sock_path(s) == NULL)
    return JNET_EINVAL;
  int err = jnet__sim_autobind(s);
  if (err < 0)
    return JNET_EADDRINUSE; /* no ephemeral port left (its one error): as bind */
  if (s->family != AF_UNIX && !port_free(s, &s->local, 1))
    return JNET_EADDRINUSE;
  s->state = JNET__SIM_ST_LISTEN;
  s->backlog = backlog > 0 ? (uint32_t)backlog : 1;
  return 0;
}

int jnet__sim_sock_accept(jnet__sim_sock *s, jnet__sim_sock **out) {
  if (s->state != JNET__SIM_ST_LISTEN) /* LCOV_EXCL_BR_LINE: bk_accept checked */
    return JNET_EINVAL;                /* LCOV_EXCL_LINE */
  jnet__sim_sock *c = s->aq_head;
  if (c == NULL)
    return JNET_EAGAIN;
  s->aq_head = c->aq_next;
  if (s->aq_head == NULL)
    s->aq_tail = NULL;
  s->aq_len--;
  c->aq_next = NULL;
  c->listener = NULL;
  *out = c;
  return 0;
}

int jnet__sim_sock_connect(jnet__sim_sock *s, const struct sockaddr *sa,
                           socklen_t len) {
  if (s == NULL || sa == NULL) /* LCOV_EXCL_BR_LINE: sa: the adapter's addr */
    return JNET_EINVAL;
  /* AF_UNSPEC disconnects (Linux): a TCP connection is aborted with a
   * RST, as SO_LINGER 0 on close would (tcp_disconnect); a datagram
   * socket forgets its peer (udp_disconnect, unix_dgram_connect); a unix
   * stream takes only AF_UNIX (below) */
  if (sa->sa_family == AF_UNSPEC && s->proto != JNET__SIM_P_USTREAM) {
    if (s->proto == JNET__SIM_P_TCP)
      return jnet__sim_tcp_abort(s);
    s->connected = 0;
    return 0;
  }
  if (s->type == JNET__SIM_SOCK_STREAM && s->state != JNET__SIM_ST_NEW)
    return s->state == JNET__SIM_ST_SYN_SENT ? JNET_EALREADY
           : s->state == JNET__SIM_ST_LISTEN ? JNET_EINVAL
                                             : JNET_EISCONN;
  if (s->family == AF_UNIX) {
    if (sa->sa_family != AF_UNIX)
      return JNET_EINVAL;
    char *name;
    int perr = unix_path(sa, len, &name);
    if (perr < 0)
      return perr;
    jnet__sim_sock *peer = jnet__sim_unix_find(s->host, s->proto, name, 0);
    if (peer == NULL) {
      int other = jnet__sim_unix_find(s->host,
                                      s->proto == JNET__SIM_P_USTREAM
                                          ? JNET__SIM_P_UDGRAM
                                          : JNET__SIM_P_USTREAM,
                                      name, 0) != NULL;
      int abstract = name[0] == '@';
      jnet__free(name);
      /* A path names a file (gone: ENOENT); an abstract name does not. */
      return other ? JNET_EPROTOTYPE
                   : abstract ? JNET_ECONNREFUSED : JNET_ENOENT;
    }
    if (s->type == JNET__SIM_SOCK_STREAM &&
        peer->state != JNET__SIM_ST_LISTEN) {
      jnet__free(name);
      return JNET_ECONNREFUSED;
    }
    if (jnet__sim_sock_unames(s) < 0) {
      jnet__free(name);
      return JNET_ENOMEM;
    }
    jnet__free(s->un->peer_path);
    s->un->peer_path = name;
    int err = jnet__sim_autobind(s);
    if (err < 0) /* LCOV_EXCL_BR_LINE: unix autobind never fails */
      return err;
    s->remote = peer->local;
    if (s->type == JNET__SIM_SOCK_DGRAM) {
      s->connected = 1;
      return 0;
    }
    return jnet__sim_tcp_connect(s);
  }
  jnet__sim_ep ep;
  if (jnet__sim_ep_from_sa(&ep, sa) < 0 || ep.family != s->family)
    return JNET_EAFNOSUPPORT;
  jnet__sim_ep src;
  int err = jnet__sim_route_src(s, &ep, &src);
  if (err < 0)
    return err;
  if (s->type == JNET__SIM_SOCK_DGRAM) {
    if ((err = jnet__sim_autobind(s)) < 0)
      return err;
    src.port = s->local.port;
    s->local = src;
    s->remote = ep;
    s->connected = 1;
    s->err = 0;
    return 0;
  }
  if (ep.port == 0)
    return JNET_ECONNREFUSED;
  if ((err = jnet__sim_autobind(s)) < 0)
    return err;
  src.port = s->local.port;
  s->local = src;
  s->remote = ep;
  return jnet__sim_tcp_connect(s);
}

int jnet__sim_sock_connect_result(jnet__sim_sock *s) {
  if (s->state == JNET__SIM_ST_OPEN)
    return 0;
  if (s->state == JNET__SIM_ST_CLOSED) {
    /* LCOV_EXCL_BR_LINE below: CLOSED comes from finish(), which always sets err (tcp.c) */
    int err = s->err ? s->err : JNET_ECONNREFUSED; /* LCOV_EXCL_BR_LINE */
    s->err = 0;
    return err;
  }
  return JNET_EAGAIN;
}

/* ---- Data ---------------------------------------------------------------------- */

ssize_t jnet__sim_sock_read(jnet__sim_sock *s, void *buf, size_t len) {
  if (s->type == JNET__SIM_SOCK_STREAM)
    return jnet__sim_tcp_read(s, buf, len);
  return jnet__sim_udp_recvfrom(s, buf, len, NULL, NULL);
}

ssize_t jnet__sim_sock_write(jnet__sim_sock *s, const void *buf, size_t len) {
  if (s->type == JNET__SIM_SOCK_STREAM)
    return jnet__sim_tcp_write(s, buf, len);
  return jnet__sim_udp_sendto(s, buf, len, NULL);
}

/* ---- Controls ---------------------------------------------------------------- */

int jnet__sim_sock_shutdown(jnet__sim_sock *s, int mode) {
  if (mode != JNET__SIM_SHUT_RDWR && mode != JNET__SIM_SHUT_RD &&
      mode != JNET__SIM_SHUT_WR)
    return JNET_EINVAL;
  if (s->type == JNET__SIM_SOCK_DGRAM) {
    if (!s->connected)
      return JNET_ENOTCONN;
    if (mode != JNET__SIM_SHUT_WR)
      s->shut_rd = 1;
    if (mode != JNET__SIM_SHUT_RD)
      s->shut_wr = 1;
    jnet__sim_sock_ready(s);
    return 0;
  }
  if (s->state == JNET__SIM_ST_LISTEN) {
    /* Linux: shutdown of a listener stops it; accept fails EINVAL. */
    return 0;
  }
  if (s->state != JNET__SIM_ST_OPEN && s->state != JNET__SIM_ST_CLOSED)
    return JNET_ENOTCONN;
  return jnet__sim_tcp_shutdown(s, mode);
}

int jnet__sim_sock_setopt(jnet__sim_sock *s, int option, int type, int ival,
                          const char *sval) {
  switch (option) {
  case JNET__SIM_SO_BROADCAST:
  case JNET__SIM_SO_REUSEADDR:
  case JNET__SIM_SO_KEEPALIVE:
    if (type != JNET__SIM_OPT_BOOL)
      return JNET_EINVAL;
    if (option == JNET__SIM_SO_BROADCAST)
      s->broadcast = ival != 0;
    else if (option == JNET__SIM_SO_REUSEADDR)
      s->reuseaddr = ival != 0;
    else if (s->keepalive != (ival != 0)) {
      s->keepalive = ival != 0;
      jnet__sim_tcp_keepalive(s);
    }
    return 0;
  case JNET__SIM_IP_MULTICAST_TTL:
    if (type != JNET__SIM_OPT_INT)
      return JNET_EINVAL;
    if (s->family == AF_UNIX)
      return JNET_ENOTSUP;
    if (s->type == JNET__SIM_SOCK_STREAM)
      return JNET_EINVAL;
    if (ival == -1)
      ival = 1;
    if (ival < 0 || ival > 255)
      return JNET_EINVAL;
    s->mcast_ttl = (uint8_t)ival;
    return 0;
  case JNET__SIM_IP_ADD_MEMBERSHIP:
  case JNET__SIM_IP_DROP_MEMBERSHIP:
  case JNET__SIM_IPV6_JOIN_GROUP:
  case JNET__SIM_IPV6_LEAVE_GROUP:
    if (type != JNET__SIM_OPT_STR || sval == NULL)
      return JNET_EINVAL;
    if (s->family == AF_UNIX)
      return JNET_ENOTSUP;
    return jnet__sim_udp_setopt_group(s, option, sval);
  default:
    return JNET_EINVAL;
  }
}

int jnet__sim_sock_nodelay(jnet__sim_sock *s, int on) {
  if (s->type != JNET__SIM_SOCK_STREAM || s->family == AF_UNIX)
    return s->family == AF_UNIX ? JNET_ENOTSUP : JNET_ENOPROTOOPT;
  s->nodelay = on != 0;
  if (on && s->state == JNET__SIM_ST_OPEN)
    jnet__sim_tcp_output(s); /* flush what Nagle held */
  return 0;
}

int jnet__sim_sock_name(jnet__sim_sock *s, int peer,
                        struct sockaddr_storage *ss, socklen_t *len) {
  if (s->family == AF_UNIX) {
    if (peer) {
      int conn = s->type == JNET__SIM_SOCK_STREAM
                     ? (s->state == JNET__SIM_ST_OPEN ||
                        /* LCOV_EXCL_BR_LINE below: a stream reaches the user only once connected */
                        s->state == JNET__SIM_ST_SYN_SENT) /* LCOV_EXCL_BR_LINE */
                     : s->connected;
      if (!conn)
        return JNET_ENOTCONN;
      jnet__sim_unix_name(s, jnet__sim_sock_peer_path(s), ss, len);
    } else {
      jnet__sim_unix_name(s, jnet__sim_sock_path(s), ss, len);
    }
    return 0;
  }
  if (peer) {
    int conn = s->type == JNET__SIM_SOCK_STREAM
                   ? (s->state == JNET__SIM_ST_OPEN ||
                      /* LCOV_EXCL_BR_LINE below: CLOSED only via finish(), which sets reset: a user's stream is OPEN or reset */
                      (s->state == JNET__SIM_ST_CLOSED && s->reset == 0 && /* LCOV_EXCL_BR_LINE */
                       s->syn_acked))
                   : s->connected;
    if (!conn)
      return JNET_ENOTCONN;
    *len = jnet__sim_ep_to_sa(&s->remote, ss);
    return 0;
  }
  jnet__sim_ep ep = s->local;
  if (!s->bound) {
    memset(&ep, 0, sizeof ep);
    ep.family = s->family;
  }
  *len = jnet__sim_ep_to_sa(&ep, ss);
  return 0;
}
