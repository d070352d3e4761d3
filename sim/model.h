/* model.h — private to sim/ and backends/sim/: the network model's own C
 * interface (hosts, links, sockets, events), below the backend vtable.
 *
 * The idea: sockets are non-blocking, like a kernel's. An operation either
 * completes now or returns JNET_EAGAIN; when a socket's state changes inside
 * an event (data arrived, buffer space freed, connection established, error)
 * the model queues the socket on a FIFO ready list and, after the event,
 * calls the owner's `on_ready` hook, which retries what was pending. The
 * backend adapter (backends/sim/) keeps the pending requests; the model
 * knows nothing of them, of fibers or of jnet.h.
 *
 * Sections: 1. PRNG streams  2. event queue  3. addresses  4. hosts, links,
 * packets  5. sockets  6. the sim.
 */
#ifndef JNET_SIM_MODEL_H
#define JNET_SIM_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "capture.h"
#include "jnet_alloc.h"
#include "jnet_heap.h"
#include "jnet_mix.h"
#include <jnet/jnet_errno.h>
#include <jnet/jnet_sim.h>

/* The model's host is the public opaque struct jnet_node (jnet_sim.h);
 * inside sim/ it goes by the name of what it is. */
typedef struct jnet_node jnet__sim_host;

/* ---- 1. PRNG streams (rng.c) ---------------------------------------------- */

/* xoshiro256**, seeded by splitmix64 from a hash of (seed, purpose, names):
 * every stream is independent of every other, so adding a host or a link
 * never shifts the draws of an existing one. */
typedef struct jnet__sim_rng {
  uint64_t s[4];
} jnet__sim_rng;

uint64_t jnet__sim_hash_bytes(uint64_t h, const void *p, size_t n);
void jnet__sim_rng_seed(jnet__sim_rng *r, uint64_t seed, const char *purpose,
                        const char *a, const char *b);
uint64_t jnet__sim_rng_next(jnet__sim_rng *r);
double jnet__sim_rng_unit(jnet__sim_rng *r); /* [0, 1) */
/* Extra delay in ns for a jitter distribution with spread `jitter_ns`. */
uint64_t jnet__sim_rng_jitter(jnet__sim_rng *r, int dist, uint64_t jitter_ns);

/* ---- 2. Event queue (event.c) --------------------------------------------- */

enum {
  JNET__SIM_EV_PKT = 1, /* a packet arrives at its destination host */
  JNET__SIM_EV_TCP,     /* a TCP socket's timer (RTO, persist, orphan) */
  JNET__SIM_EV_TCP_AUX, /* its second timer (delayed ACK, keepalive) */
  JNET__SIM_EV_AT       /* a jnet_sim_at callback */
};

/* Embedded in the object it belongs to: no allocation per event. */
typedef struct jnet__sim_event {
  uint64_t t_ns;
  uint64_t seq;     /* insertion order: ties at equal times */
  uint32_t idx;     /* heap index + 1; 0 when not queued */
  uint8_t kind;
  uint8_t weak;     /* does not keep a run alive (persist, linger timers) */
} jnet__sim_event;

/* A heap entry carries its event's key, so ordering never leaves the
 * array (a 10,000-host world keeps thousands of events queued). */
typedef struct jnet__sim_hent {
  uint64_t t_ns, seq;
  jnet__sim_event *ev;
} jnet__sim_hent;

typedef struct jnet__sim_heap {
  jnet__sim_hent *v;
  uint32_t n, cap;
} jnet__sim_heap;

typedef struct jnet_sim jnet__sim;

/* Queue ev at t_ns (replacing its earlier time if queued). 0 or ENOMEM. */
int jnet__sim_ev_schedule(jnet__sim *sim, jnet__sim_event *ev, uint64_t t_ns);
void jnet__sim_ev_cancel(jnet__sim *sim, jnet__sim_event *ev);
/* The earliest event or NULL (jnet__sim_ev_peek, inline after the sim), taking
 * the event peek returned off the queue, and both at once.
 * jnet__sim_ev_take is inline (after the sim): the heap's root
 * (jnet__sim_ev_take_root), or the first lane's head. */
void jnet__sim_ev_take_lane(jnet__sim *sim, jnet__sim_event *e);
jnet__sim_event *jnet__sim_ev_pop(jnet__sim *sim);

/* Lanes: FIFOs of packets, each sorted by (time, sequence) because a
 * packet joins a lane only behind one that arrives no later. Packets that
 * arrive a fixed delay after now (a plain link's latency, loopback), or a
 * link's packets behind its bandwidth, come in order of arrival anyway, so
 * they keep to a lane at O(1), and the queue's minimum is the least of the
 * heap's root and the lanes' heads. jnet__sim_ev_schedule_pkt (after the
 * packet's definition) puts a packet on a lane once the queue is deep (a
 * shallow heap is cheaper), or in the heap when every lane ends later. */
#define JNET__SIM_LANES 4
#define JNET__SIM_IN_LANE                                                      \
  UINT32_MAX /* jnet__sim_event.idx of an event in a lane */

/* ---- 3. Addresses (host.c) ------------------------------------------------ */

/* An IP endpoint. v4 addresses use ip[0..3]. family 0: unset. */
typedef struct jnet__sim_ep {
  uint8_t family; /* AF_INET, AF_INET6 */
  uint8_t ip[16];
  uint16_t port;
} jnet__sim_ep;

/* jnet__sim_ep_from_sa (0 or JNET_EAFNOSUPPORT) and jnet__sim_ep_to_sa (fill a
 * sockaddr_in/in6 into *ss; returns its length): inline, per packet. */
static inline int jnet__sim_ep_from_sa(jnet__sim_ep *ep,
                                       const struct sockaddr *sa) {
  __builtin_memset(ep, 0, sizeof *ep);
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    ep->family = AF_INET;
    __builtin_memcpy(ep->ip, &in->sin_addr, 4);
    ep->port = ntohs(in->sin_port);
    return 0;
  }
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    ep->family = AF_INET6;
    __builtin_memcpy(ep->ip, &in6->sin6_addr, 16);
    ep->port = ntohs(in6->sin6_port);
    return 0;
  }
  return JNET_EAFNOSUPPORT;
}

static inline socklen_t jnet__sim_ep_to_sa(const jnet__sim_ep *ep,
                                           struct sockaddr_storage *ss) {
  if (ep->family == AF_INET6) {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    __builtin_memset(in6, 0, sizeof *in6);
    in6->sin6_family = AF_INET6;
    __builtin_memcpy(&in6->sin6_addr, ep->ip, 16);
    in6->sin6_port = htons(ep->port);
    return sizeof *in6;
  }
  struct sockaddr_in *in = (struct sockaddr_in *)ss;
  __builtin_memset(in, 0, sizeof *in);
  in->sin_family = AF_INET;
  __builtin_memcpy(&in->sin_addr, ep->ip, 4);
  in->sin_port = htons(ep->port);
  return sizeof *in;
}

static inline int jnet__sim_ip_is_multicast(int family, const uint8_t *ip) {
  return family == AF_INET ? (ip[0] & 0xf0) == 0xe0 : ip[0] == 0xff;
}
static inline int jnet__sim_ip_eq(int family, const uint8_t *a,
                                  const uint8_t *b) {
  uint64_t x[2], y[2];
  if (family != AF_INET6) {
    uint32_t u, v;
    __builtin_memcpy(&u, a, 4);
    __builtin_memcpy(&v, b, 4);
    return u == v;
  }
  __builtin_memcpy(x, a, 16);
  __builtin_memcpy(y, b, 16);
  return x[0] == y[0] && x[1] == y[1];
}
static inline int jnet__sim_ip_is_any(int family, const uint8_t *ip) {
  static const uint8_t zero[16];
  return jnet__sim_ip_eq(family, ip, zero);
}
static inline int jnet__sim_ip_is_loopback(int family, const uint8_t *ip) {
  static const uint8_t one[16] = {[15] = 1};
  return family == AF_INET ? ip[0] == 127 : jnet__sim_ip_eq(AF_INET6, ip, one);
}
/* IPv4-mapped IPv6 (::ffff:a.b.c.d): how a dual-stack IPv6 socket (bound
 * to ::, as Linux's default bindv6only=0) sees IPv4 peers. */
static inline int jnet__sim_ep_is_mapped(const jnet__sim_ep *ep) {
  static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return ep->family == AF_INET6 && __builtin_memcmp(ep->ip, prefix, 12) == 0;
}
/* IPv4 -> mapped IPv6 */
static inline void jnet__sim_ep_map(jnet__sim_ep *ep) {
  static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (ep->family != AF_INET)
    return;
  __builtin_memmove(ep->ip + 12, ep->ip, 4);
  __builtin_memcpy(ep->ip, prefix, 12);
  ep->family = AF_INET6;
}
/* mapped IPv6 -> IPv4 */
static inline void jnet__sim_ep_unmap(jnet__sim_ep *ep) {
  if (!jnet__sim_ep_is_mapped(ep))
    return;
  __builtin_memmove(ep->ip, ep->ip + 12, 4);
  __builtin_memset(ep->ip + 4, 0, 12);
  ep->family = AF_INET;
}
/* "a.b.c.d:p" / "[v6]:p" into buf. */
void jnet__sim_ep_format(const jnet__sim_ep *ep, char *buf, size_t n);

/* ---- 4. Hosts, links, packets ----------------------------------------------- */

typedef struct jnet__sim_sock jnet__sim_sock;

/* A host's TCP settings (jnet_sim_host_tcp); zero fields take the
 * defaults of tcp_cc.c. */
typedef struct jnet__sim_tcpcfg {
  const struct jnet__sim_cc_ops *cc;
  uint32_t rcvbuf_bytes, sndbuf_bytes, sndbuf_max_bytes;
  uint64_t ka_idle_ns, ka_intvl_ns;
  uint32_t ka_probes;
} jnet__sim_tcpcfg;

typedef struct jnet__sim_hostaddr {
  uint8_t family;
  uint8_t ip[16];
} jnet__sim_hostaddr;

struct jnet_node {
  jnet__sim *sim;
  char *name;
  uint32_t id;   /* index in sim->hosts: creation order */
  int up;
  uint32_t boot; /* bumped on each restart */
  jnet__sim_hostaddr *addrs; /* its own addresses, not loopback */
  uint32_t naddrs;
  jnet__sim_rng rng_app;   /* jnet_random() */
  jnet__sim_rng rng_proto; /* ISNs, ephemeral ports, IP ids */
  uint16_t next_ephemeral;
  uint16_t next_ip_id;
  jnet__sim_sock *socks; /* every socket of the host (sock->host_next) */
  struct jnet__sim_link *last_link; /* the link it sent on last (a cache) */
  uint32_t nolink_to, nolink_n; /* no link to host nolink_to - 1 while the
                                   sim has nolink_n links (a cache) */
  jnet__sim_hostaddr route_dst; /* the last destination sent to (a cache; */
  uint32_t route_to;            /* family 0: none) and the host owning it */
  /* The UDP socket alone on its port that took the last datagram here (a
   * cache, valid while sim->ports_gen is udp_hint_gen: udp.c). */
  struct jnet__sim_sock *udp_hint;
  uint64_t udp_hint_gen;
  jnet__sim_tcpcfg tcp;
  struct jnet_node *name_next;  /* chain in sim->host_names */
};

/* One direction of a link, created on first use. Small: a world of many
 * hosts has many of them. */
typedef struct jnet__sim_link {
  uint32_t from, to;          /* host ids */
  jnet_link_params *own;      /* its own parameters; NULL: the sim's default */
  uint8_t plain;              /* *own is plain (jnet__sim_params_plain) */
  uint8_t ge_bad;             /* Gilbert-Elliott state */
  uint8_t partitioned, clogged;
  uint8_t paced;              /* *own is paced (jnet__sim_params_paced) */
  uint8_t lane;               /* the lane its last packet took (a hint) */
  jnet__sim_rng rng;
  uint64_t busy_until_ns;     /* bandwidth: the transmitter is free then */
  struct jnet__sim_pkt_s *clog_head, *clog_tail;
  struct jnet__sim_link *hnext;
} jnet__sim_link;

enum {
  JNET__SIM_P_TCP = 6,
  JNET__SIM_P_UDP = 17,
  JNET__SIM_P_ICMP = 1,      /* port unreachable for a UDP datagram */
  JNET__SIM_P_USTREAM = 200, /* unix stream: TCP inside one host */
  JNET__SIM_P_UDGRAM = 201   /* unix datagram: inside one host */
};

/* A packet in flight or queued at a socket; pooled. */
typedef struct jnet__sim_pkt_s {
  jnet__sim_event ev;
  struct jnet__sim_pkt_s *next;
  uint32_t from, to; /* host ids */
  uint8_t proto, family, flags, dup;
  jnet__sim_ep src, dst;
  uint16_t wire_sport, wire_dport; /* unix stream: the pcap's ports */
  uint32_t seq, ack;
  uint32_t window;
  uint16_t mss;
  uint8_t wscale; /* SYN: window scale option, shift + 1 (0: none) */
  uint8_t wshift; /* other segments: window is sent >> wshift */
  uint32_t len, cap; /* a new field: clear it in jnet__sim_pkt_clear */
  uint8_t *data;
} jnet__sim_spkt;

/* Queue p to arrive delay_ns from now; p->next links its lane. 0 or
 * ENOMEM. jnet__sim_ev_schedule_pkt is inline, after the sim: the heap while
 * the queue is shallow, else jnet__sim_ev_schedule_pkt_lanes. */
#define JNET__SIM_LANES_FROM 64 /* packets go to lanes from this many events   \
                                 */
int jnet__sim_ev_schedule_pkt_lanes(jnet__sim *sim, jnet__sim_spkt *p,
                                    uint64_t delay_ns);
/* Queue p (taken out first if queued) to arrive at t_ns: on the lane whose
 * last packet arrives latest but not after t_ns (the lane stays sorted),
 * else on an empty lane, else in the heap; in the heap while the queue is
 * shallow. A link's packets (bandwidth, then latency) arrive in the order
 * they were sent, so they keep to a lane. 0 or ENOMEM. */
int jnet__sim_ev_schedule_pkt_at(jnet__sim *sim, jnet__sim_spkt *p,
                                 uint64_t t_ns);
/* The same for a packet of link l, noting the lane it took in l->lane:
 * the link's next packet, which arrives no earlier, goes behind it there
 * (jnet__sim_ev_schedule_pkt_on, inline after the sim) without a search. */
struct jnet__sim_link;
int jnet__sim_ev_schedule_pkt_link(jnet__sim *sim, struct jnet__sim_link *l,
                                   struct jnet__sim_pkt_s *p, uint64_t t_ns);
/* Queue ev, not queued, at t_ns in the heap. 0 or ENOMEM. */
int jnet__sim_ev_push(jnet__sim *sim, jnet__sim_event *ev, uint64_t t_ns);

/* The packet pool (link.c): jnet__sim_pkt_alloc (a packet with len bytes of
 * room, every other field zero; NULL when out of memory) and
 * jnet__sim_pkt_free are inline, after the sim. */
#define JNET__SIM_PKT_SMALL 2048u /* the small pool's buffers */
jnet__sim_spkt *jnet__sim_pkt_alloc_slow(jnet__sim *sim, uint32_t len);
/* Every field but the buffer zero, field by field: a memset of the whole
 * header compiles to a `rep stos`, slower for these few words. */
static inline void jnet__sim_pkt_clear_head(jnet__sim_spkt *p, uint32_t len) {
  p->ev.t_ns = p->ev.seq = 0;
  p->ev.idx = 0;
  p->ev.kind = p->ev.weak = 0;
  p->next = NULL;
  p->from = p->to = 0;
  p->proto = p->family = p->flags = p->dup = 0;
  p->wire_sport = p->wire_dport = 0;
  p->seq = p->ack = p->window = 0;
  p->mss = 0;
  p->wscale = p->wshift = 0;
  p->len = len;
}
static inline void jnet__sim_pkt_clear(jnet__sim_spkt *p, uint32_t len) {
  static const jnet__sim_ep none;
  jnet__sim_pkt_clear_head(p, len);
  p->src = p->dst = none;
}

/* Put a packet on the wire from host `from` (looks the destination host up
 * from p->dst unless p->to is set by the caller with `to_known`). Takes
 * ownership. Handles capture, trace, loss, delay, partitions, clogs.
 * jnet__sim_net_send_from (inline, at the end) is the same with the sending
 * host at hand, for the per-datagram path. */
void jnet__sim_net_send(jnet__sim *sim, jnet__sim_spkt *p, int to_known);
/* Every case of it (link.c); the inline one takes the common case. */
void jnet__sim_net_send_all(jnet__sim *sim, jnet__sim_spkt *p, int to_known);
/* A packet the event queue had no room for: counted, traced, freed. */
void jnet__sim_drop_nomem(jnet__sim *sim, jnet__sim_spkt *p);
/* Host owning the address, or NULL. */
jnet__sim_host *jnet__sim_host_by_ip(jnet__sim *sim, int family,
                                     const uint8_t *ip);
int jnet__sim_host_has_ip(const jnet__sim_host *h, int family,
                          const uint8_t *ip);
jnet__sim_link *jnet__sim_link_get(jnet__sim *sim, uint32_t from, uint32_t to);
/* jnet__sim_link_params (its own or the sim's defaults) is inline, after the
 * sim. */
uint32_t jnet__sim_mtu(jnet__sim *sim, uint32_t from, uint32_t to);
/* 1 if the parameters only delay packets by a fixed latency: no loss,
 * jitter, bandwidth, duplication, reordering or corruption, so sending
 * draws nothing from the link's PRNG. */
int jnet__sim_params_plain(const jnet_link_params *p);
/* 1 if they only delay packets by a fixed latency behind a bandwidth (and
 * its queue): no loss, jitter, duplication, reordering or corruption, so
 * sending draws nothing either (jnet__sim_net_send_from's paced case). */
int jnet__sim_params_paced(const jnet_link_params *p);

/* ---- 5. Sockets (sock.c, tcp.c, udp.c) ----------------------------------- */

enum {
  JNET__SIM_ST_NEW = 0,
  JNET__SIM_ST_LISTEN,
  JNET__SIM_ST_SYN_SENT,
  JNET__SIM_ST_SYN_RCVD,
  JNET__SIM_ST_OPEN,  /* established (FIN flags say which halves remain) */
  JNET__SIM_ST_CLOSED /* reset, refused, timed out or finished */
};

/* CUBIC's state (cc_cubic.c), in bytes and seconds. */
typedef struct jnet__sim_cubic {
  double w_max, origin, k_s, w_est, acc;
  uint64_t epoch_ns; /* 0: no epoch (after a loss) */
} jnet__sim_cubic;

/* A byte ring that grows on demand up to its limit and is freed when
 * empty, so idle connections cost no buffer memory. */
typedef struct jnet__sim_ring {
  uint8_t *data; /* a jnet__sim_ring_hdr, then the bytes (tcp.c); or NULL */
  uint32_t len;
  uint32_t max;  /* the most it may hold (a connection's buffer size) */
} jnet__sim_ring;
typedef struct jnet__sim_ring_hdr {
  uint32_t cap, head;
} jnet__sim_ring_hdr;

/* Fields by size, so that no padding is left between them (an idle TCP
 * connection is two of these), and a datagram socket's receive queue and a
 * listener's accept queue share the room of a connection's buffers: every
 * use is behind a test of `type` or of state LISTEN (a listener stays in
 * it until destroyed). */
typedef struct jnet__sim_unames {
  char *path;      /* bound name ("/tmp/x" or "@abstract") */
  char *peer_path; /* the connected peer's name */
} jnet__sim_unames;

struct jnet__sim_sock {
  jnet__sim_host *host;
  jnet__sim_sock *host_next, *host_prev;
  union {
    jnet__sim_sock *port_next; /* chain in the port table (bind_ep) */
    jnet__sim_sock *aq_next;   /* a child in its listener's accept queue: a
                              child is bound without the port table */
  };
  jnet__sim_sock *conn_next;  /* chain in the connection table */
  jnet__sim_sock *ready_next; /* the ready list (short: a scan removes) */
  jnet__sim_unames *un; /* unix: its names, made with the first (else NULL) */
  /* owner (backend) */
  void *user[3];
  /* TCP */
  jnet__sim_spkt *ooo;      /* out-of-order segments, by sequence */
  jnet__sim_sock *listener; /* an embryonic/queued connection's */
  jnet__sim_event tev;      /* RTO / persist / orphan timer */
  jnet__sim_event aev;      /* delayed ACK and keepalive */
  uint64_t rto_ns, srtt_ns, rttvar_ns, min_rtt_ns;
  uint64_t rtt_t0_ns;
  uint64_t delack_at_ns, ka_at_ns, last_rcv_ns;
  jnet__sim_cubic *cubic; /* CUBIC's state, made on its first use (NULL: all
                         zero, as after cubic_init): idle connections
                         never need it */
  union {
    struct { /* type 0, stream, connected or not yet (state != LISTEN) */
      jnet__sim_ring sndbuf, rcvbuf;
    };
    struct { /* type 0, listening (the buffers were empty: state NEW) */
      jnet__sim_sock *aq_head, *aq_tail; /* accept queue */
      uint32_t backlog, aq_len;
    };
    struct { /* type 1, datagram */
      jnet__sim_spkt *rq_head, *rq_tail;
      struct jnet__sim_mgroup *groups;
      uint32_t rq_bytes;
    };
  };
  uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, irs, rcv_nxt,
      rcv_wnd_sent;
  uint32_t recover;      /* snd_max when loss recovery began */
  uint32_t ooo_bytes;
  uint32_t rtt_seq;
  uint32_t cwnd, ssthresh, cwnd_cnt; /* windows in bytes */
  uint32_t sndbuf_lim; /* grows with cwnd up to sndbuf.max */
  uint32_t rcv_acked;    /* rcv_nxt in the last ACK sent */
  jnet__sim_ep local, remote;
  uint16_t wire_port;  /* unix stream: port shown in the pcap */
  uint16_t peer_wire_port;
  uint16_t mss;
  int16_t err;     /* pending error (a JNET_E* code) for the next operation */
  uint8_t family;  /* AF_INET, AF_INET6, AF_UNIX */
  uint8_t type;    /* JNET__SIM_SOCK_STREAM, JNET__SIM_SOCK_DGRAM */
  uint8_t proto;   /* JNET__SIM_P_* */
  uint8_t state;
  uint8_t mcast_ttl;
  uint8_t retries;
  uint8_t dupacks;
  uint8_t in_recovery;
  uint8_t snd_wscale, rcv_wscale; /* negotiated shifts (0: none) */
  uint8_t quick_acks;    /* segments still ACKed at once (start) */
  uint8_t ka_sent;       /* keepalive probes unanswered */
  uint8_t cc_id;         /* congestion control (tcp_cc.h's jnet__sim_tcp_cc) */
  unsigned bound : 1, in_ports : 1, in_conns : 1, in_ready : 1,
      connected : 1, nodelay : 1, broadcast : 1, reuseaddr : 1,
      keepalive : 1, detached : 1, shut_rd : 1, shut_wr : 1, fin_sent : 1,
      fin_acked : 1, fin_rcvd : 1, reset : 1, syn_acked : 1,
      child : 1, /* child: made by a listener (unix: has no name) */
      ws_ok : 1,       /* window scaling offered (SYN) / agreed */
      ack_pending : 1, /* an ACK must go out before the event ends */
      peer_syn : 1;    /* SYN_SENT: the peer's own SYN came (simultaneous
                          open: Linux's SYN_RECV of a connecting socket) */
};

typedef struct jnet__sim_mgroup {
  uint8_t family, ip[16];
  struct jnet__sim_mgroup *next;
} jnet__sim_mgroup;

/* jnet.h's option, option-type and shutdown values (sim/ may not include
 * jnet.h; backends/sim checks at compile time that they agree). */
enum {
  JNET__SIM_SO_BROADCAST = 1,
  JNET__SIM_SO_REUSEADDR,
  JNET__SIM_SO_KEEPALIVE,
  JNET__SIM_IP_MULTICAST_TTL,
  JNET__SIM_IP_ADD_MEMBERSHIP,
  JNET__SIM_IP_DROP_MEMBERSHIP,
  JNET__SIM_IPV6_JOIN_GROUP,
  JNET__SIM_IPV6_LEAVE_GROUP
};
enum { JNET__SIM_OPT_BOOL = 1, JNET__SIM_OPT_INT, JNET__SIM_OPT_STR };
enum { JNET__SIM_SHUT_RDWR = 0, JNET__SIM_SHUT_RD = 1, JNET__SIM_SHUT_WR = 2 };
enum {
  JNET__SIM_SOCK_STREAM = 0,
  JNET__SIM_SOCK_DGRAM = 1
}; /* JNET_STREAM, ... */

/* Socket calls: 0 / count, JNET_EAGAIN when it would block, or an error. */
int jnet__sim_sock_new(jnet__sim_host *h, int family, int type,
                       jnet__sim_sock **out);
int jnet__sim_sock_bind(jnet__sim_sock *s, const struct sockaddr *sa,
                        socklen_t len);
int jnet__sim_sock_listen(jnet__sim_sock *s, int backlog);
int jnet__sim_sock_accept(jnet__sim_sock *s, jnet__sim_sock **out);
/* Start a connection: 0 when done (datagram), JNET_EAGAIN when in progress
 * (wait for ready, then jnet__sim_sock_connect_result). */
int jnet__sim_sock_connect(jnet__sim_sock *s, const struct sockaddr *sa,
                           socklen_t len);
int jnet__sim_sock_connect_result(jnet__sim_sock *s); /* 0, EAGAIN or error */
ssize_t jnet__sim_sock_read(jnet__sim_sock *s, void *buf, size_t len);
ssize_t jnet__sim_sock_write(jnet__sim_sock *s, const void *buf, size_t len);
/* to NULL: the connected peer. from may be NULL. */
/* jnet__sim_sock_sendto (to NULL: the connected peer) and
 * jnet__sim_sock_recvfrom (from may be NULL) are inline, after the sim. */
int jnet__sim_sock_shutdown(jnet__sim_sock *s, int mode);
int jnet__sim_sock_setopt(jnet__sim_sock *s, int option, int type, int ival,
                          const char *sval);
int jnet__sim_sock_nodelay(jnet__sim_sock *s, int on);
int jnet__sim_sock_name(jnet__sim_sock *s, int peer,
                        struct sockaddr_storage *ss, socklen_t *len);
/* Close: orderly (FIN after the queued data; RST if unread data), or, when
 * the host is crashing, vanish without a packet. */
void jnet__sim_sock_close(jnet__sim_sock *s);

/* internal to sim/ */
/* A unix socket's names (NULL when it has none) and, for setting one,
 * jnet__sim_sock_unames (0 or JNET_ENOMEM: s->un made). */
static inline char *jnet__sim_sock_path(const jnet__sim_sock *s) {
  return s->un != NULL ? s->un->path : NULL;
}
static inline char *jnet__sim_sock_peer_path(const jnet__sim_sock *s) {
  /* LCOV_EXCL_BR_LINE below: un made by unix connect/accept; NULL only if that calloc failed */
  return s->un != NULL ? s->un->peer_path : NULL; /* LCOV_EXCL_BR_LINE */
}
int jnet__sim_sock_unames(jnet__sim_sock *s);
/* jnet__sim_sock_ready (queue s on the ready list) and jnet__sim_ports_first
 * (the first socket on a port) are inline, after the sim. */
void jnet__sim_sock_destroy(jnet__sim_sock *s);
int jnet__sim_port_alloc(jnet__sim *sim, jnet__sim_host *h, int proto,
                         uint16_t *out);
void jnet__sim_ports_add(jnet__sim_sock *s);
void jnet__sim_ports_remove(jnet__sim_sock *s);
void jnet__sim_conns_add(jnet__sim_sock *s);
void jnet__sim_conns_remove(jnet__sim_sock *s);
jnet__sim_sock *jnet__sim_conns_find(jnet__sim *sim, uint32_t host, int proto,
                                     uint16_t lport,
                                     const jnet__sim_ep *remote);
void jnet__sim_tcp_input(jnet__sim *sim, jnet__sim_spkt *p);
void jnet__sim_tcp_timer(jnet__sim *sim, jnet__sim_sock *s);
void jnet__sim_tcp_aux_timer(jnet__sim *sim, jnet__sim_sock *s);
void jnet__sim_tcp_keepalive(jnet__sim_sock *s); /* SO_KEEPALIVE changed */
void jnet__sim_tcp_close(jnet__sim_sock *s);
int jnet__sim_tcp_connect(jnet__sim_sock *s);
ssize_t jnet__sim_tcp_read(jnet__sim_sock *s, void *buf, size_t len);
ssize_t jnet__sim_tcp_write(jnet__sim_sock *s, const void *buf, size_t len);
int jnet__sim_tcp_shutdown(jnet__sim_sock *s, int mode);
/* connect(AF_UNSPEC): abort a connection (RST, JNET_ECONNRESET to its
 * owner's calls); 0, or JNET_ENOTSUP on a listener. */
int jnet__sim_tcp_abort(jnet__sim_sock *s);
void jnet__sim_tcp_output(jnet__sim_sock *s);
void jnet__sim_udp_input(jnet__sim *sim, jnet__sim_spkt *p);
void jnet__sim_icmp_input(jnet__sim *sim, jnet__sim_spkt *p);
void jnet__sim_udp_drop_queue(jnet__sim_sock *s);
/* jnet__sim_udp_send_v4 (inline, at the end) is its common case, and
 * jnet__sim_udp_sendto_all every case. */
ssize_t jnet__sim_udp_sendto_all(jnet__sim_sock *s, const void *buf,
                                 size_t len, const struct sockaddr *to);
ssize_t jnet__sim_udp_sendto(jnet__sim_sock *s, const void *buf, size_t len,
                             const struct sockaddr *to);
ssize_t jnet__sim_udp_recvfrom(jnet__sim_sock *s, void *buf, size_t len,
                               struct sockaddr_storage *from,
                               socklen_t *fromlen);
/* jnet__sim_udp_take, _hinted and _straight: inline, after the sim. */
/* Queue datagram p on s (or drop it: a full buffer, reading shut). */
void jnet__sim_udp_enqueue(jnet__sim_sock *s, jnet__sim_spkt *p);
#define JNET__SIM_UDP_RCVBUF 212992u /* Linux's default rmem */
int jnet__sim_udp_setopt_group(jnet__sim_sock *s, int option,
                               const char *group);
/* Pick the source address for talking to dst (0 or an error). */
int jnet__sim_route_src(jnet__sim_sock *s, const jnet__sim_ep *dst,
                        jnet__sim_ep *src);
int jnet__sim_autobind(jnet__sim_sock *s);
jnet__sim_sock *jnet__sim_unix_find(jnet__sim_host *h, int proto,
                                    const char *name, uint16_t port);
void jnet__sim_unix_name(const jnet__sim_sock *s, const char *name,
                         struct sockaddr_storage *ss, socklen_t *len);

/* ---- 6. The sim ---------------------------------------------------------- */

typedef struct jnet__sim_at {
  jnet__sim_event ev;
  void (*fn)(jnet_sim *sim, void *arg);
  void *arg;
  struct jnet__sim_at *next;
} jnet__sim_at;

typedef struct jnet__sim_dns {
  char *name;
  jnet__sim_hostaddr a;
  struct jnet__sim_dns *next;
} jnet__sim_dns;

/* Hash table with intrusive chains; keys are computed by the caller. */
typedef struct jnet__sim_htab {
  void **b;
  uint32_t mask, n;
} jnet__sim_htab;

struct jnet_sim {
  uint64_t seed;
  uint64_t now_ns;
  uint64_t ev_seq;
  jnet__sim_heap heap;
  struct {
    uint64_t delay_ns; /* of the packet that started it, a hint */
    jnet__sim_spkt *head, *tail; /* empty: head NULL */
  } lanes[JNET__SIM_LANES];
  uint32_t lane_n;      /* events in the lanes */
  uint32_t lane_first;  /* the lane whose head is least (while lane_n) */
  uint32_t lane_mask;   /* bit k: lane k is not empty */
  uint32_t weak_n;      /* weak events in the heap */
  jnet__sim_host **hosts;
  uint32_t nhosts, cap_hosts;
  jnet__sim_htab host_ips;   /* host.c's ipent chains */
  jnet__sim_htab links;      /* jnet__sim_link chains */
  jnet__sim_htab ports;      /* jnet__sim_sock.port_next chains */
  uint64_t ports_gen;        /* bumped when a socket joins or leaves it */
  jnet__sim_htab conns;      /* jnet__sim_sock.conn_next chains */
  jnet__sim_htab host_names; /* jnet__sim_host.name_next chains */
  jnet__sim_dns *dns;
  jnet__sim_dns **dns_tail; /* &last->next (NULL: &dns), so adding is O(1) */
  jnet_link_params defaults;
  int defaults_plain; /* jnet__sim_params_plain(&defaults) */
  int defaults_paced; /* jnet__sim_params_paced(&defaults) */
  jnet__sim_spkt *pkt_free_empty, *pkt_free_small, *pkt_free_large;
  jnet__sim_sock *ready_head, *ready_tail;
  jnet__sim_at *at_free;
  jnet_sim_stats stats;
  uint64_t max_time_ns, max_events;
  uint64_t fingerprint;
  FILE *trace;
  jnet__sim_pcap *pcap;
  jnet__sim_host *pcap_host;
  jnet__sim_host *crashing; /* set while the host's sockets vanish */
  uint8_t *ring_free; /* tcp.c: idle ring blocks of the first size, each
                         chained through its bytes */
  uint32_t ring_nfree;
  /* owner hooks (backends/sim) */
  void (*on_ready)(void *owner, jnet__sim_sock *s);
  void (*on_node_down)(void *owner, jnet__sim_host *h);
  void (*on_node_up)(void *owner, jnet__sim_host *h);
  /* An IPv4 UDP datagram p arrives (from inside an event) for s, whose
   * queue is empty, while no socket is on the ready list: the owner may
   * take it straight (jnet__sim_udp_take) and return 1, which stands for
   * queueing it, marking s ready and on_ready(s) reading it; 0: queue it. */
  int (*on_dgram)(void *owner, jnet__sim_sock *s, jnet__sim_spkt *p);
  void *owner;
  uint64_t completions; /* bumped by the owner on each callback */
  uint64_t resumptions; /* fibers the owner resumed: count toward max_events */
  void *backend;        /* backends/sim: its jnet_backend, lazily made */
  void (*backend_free)(void *backend);
};

/* Run events until the queue's next time is past deadline_ns or the owner
 * completed something. Returns 1 (progress or clock moved), 0 (nothing left
 * and no deadline), JNET_ETIMEDOUT (limits). */
int jnet__sim_run(jnet__sim *sim, uint64_t deadline_ns, int block);
void jnet__sim_flush_ready(jnet__sim *sim);
uint64_t jnet__sim_host_random(jnet__sim_host *h);
/* Resolve a name (NULL: wildcard or loopback) and port (decimal, service,
 * NULL) to up to cap endpoints; the total found or JNET_EAI_*. */
int jnet__sim_resolve(jnet__sim *sim, const char *host, const char *port,
                      int passive, jnet__sim_ep *out, size_t cap);
void jnet__sim_hosts_free(jnet__sim *sim);
void jnet__sim_tcp_rings_free(jnet__sim *sim);
void jnet__sim_links_free(jnet__sim *sim);

/* Hash tables with intrusive chains (htab.c): `off` is the offset of the
 * object's next pointer, `hf` recomputes an object's hash when growing. */
typedef uint64_t (*jnet__sim_hfn)(const void *obj);
#define JNET__SIM_NEXT(obj, off) (*(void **)((char *)(obj) + (off)))
void jnet__sim_htab_free(jnet__sim_htab *t);
int jnet__sim_htab_insert(jnet__sim_htab *t, void *obj, uint64_t h, size_t off,
                          jnet__sim_hfn hf);
void jnet__sim_htab_remove(jnet__sim_htab *t, void *obj, uint64_t h,
                           size_t off);
static inline void *jnet__sim_htab_first(const jnet__sim_htab *t, uint64_t h) {
  return t->b ? t->b[h & t->mask] : NULL;
}
/* Small helpers of the per-packet path, inline so that it pays no calls. */
static inline jnet__sim_spkt **jnet__sim_pkt_pool(jnet__sim *sim,
                                                  uint32_t len) {
  return len == 0                     ? &sim->pkt_free_empty
         : len <= JNET__SIM_PKT_SMALL ? &sim->pkt_free_small
                                      : &sim->pkt_free_large;
}
static inline jnet__sim_spkt *jnet__sim_pkt_alloc(jnet__sim *sim,
                                                  uint32_t len) {
  jnet__sim_spkt **list = jnet__sim_pkt_pool(sim, len);
  jnet__sim_spkt *p = *list;
  if (p == NULL ||
      p->cap < len) /* small buffers all hold JNET__SIM_PKT_SMALL */
    return jnet__sim_pkt_alloc_slow(sim, len);
  *list = p->next;
  jnet__sim_pkt_clear(p, len);
  return p;
}
/* jnet__sim_pkt_alloc for a caller that sets p->src and p->dst whole
 * (the datagram path): they are left as the pool had them. */
static inline jnet__sim_spkt *jnet__sim_pkt_alloc_eps(jnet__sim *sim,
                                                      uint32_t len) {
  jnet__sim_spkt **list = jnet__sim_pkt_pool(sim, len);
  jnet__sim_spkt *p = *list;
  if (p == NULL || p->cap < len)
    return jnet__sim_pkt_alloc_slow(sim, len);
  *list = p->next;
  jnet__sim_pkt_clear_head(p, len);
  return p;
}
/* Back to its pool (by its buffer's size). */
static inline void jnet__sim_pkt_free(jnet__sim *sim, jnet__sim_spkt *p) {
  jnet__sim_spkt **list = jnet__sim_pkt_pool(sim, p->cap);
  p->next = *list;
  *list = p;
}

/* Read datagram p (an IPv4 UDP one, off s's queue or handed over by
 * on_dgram) into buf, truncated to len, and its sender into from; p is
 * freed. Returns the bytes copied. */
static inline ssize_t jnet__sim_udp_take(jnet__sim_sock *s, jnet__sim_spkt *p,
                                         void *buf, size_t len,
                                         struct sockaddr_storage *from,
                                         socklen_t *fromlen) {
  size_t n = p->len < len ? p->len : len;
  if (n)
    __builtin_memcpy(buf, p->data, n);
  *fromlen = jnet__sim_ep_to_sa(&p->src, from);
  jnet__sim_pkt_free(s->host->sim, p);
  return (ssize_t)n;
}
/* Would the hint s (the one socket on its host and port when the hint was
 * taken, the ports table unchanged since) take IPv4 datagram p? The port
 * scan's tests for it (udp.c). */
static inline int jnet__sim_udp_hint_takes(const jnet__sim_sock *s,
                                           const jnet__sim_spkt *p) {
  /* LCOV_EXCL_BR_LINE below: the hint is AF_INET: udp_choose returns NULL for a dual-stack socket */
  return s->local.port == p->dst.port && s->local.family == AF_INET && /* LCOV_EXCL_BR_LINE */
         !s->connected &&
         (jnet__sim_ip_is_any(AF_INET, s->local.ip) ||
          jnet__sim_ip_eq(AF_INET, s->local.ip, p->dst.ip));
}
/* The socket an IPv4 unicast UDP datagram p goes to when its host's hint
 * says so, else NULL (jnet__sim_udp_input decides). Inline in the run
 * loop, with _straight, for the common case. */
static inline jnet__sim_sock *jnet__sim_udp_hinted(jnet__sim *sim,
                                                   const jnet__sim_spkt *p) {
  if (p->dst.family != AF_INET || p->dst.ip[3] == 255 ||
      jnet__sim_ip_is_multicast(AF_INET, p->dst.ip))
    return NULL;
  jnet__sim_host *h = sim->hosts[p->to];
  jnet__sim_sock *s = h->udp_hint;
  if (s == NULL || h->udp_hint_gen != sim->ports_gen ||
      !jnet__sim_udp_hint_takes(s, p))
    return NULL;
  return s;
}
/* A reader waiting on s's empty queue takes datagram p straight (1), when
 * nothing else is ready: the same read, in the same order, as queueing it
 * and the ready list would give (on_dgram). 0: queue it. */
static inline int jnet__sim_udp_straight(jnet__sim *sim, jnet__sim_sock *s,
                                         jnet__sim_spkt *p) {
  /* LCOV_EXCL_BR_LINE below: bk_start sets on_dgram before any socket exists */
  return sim->on_dgram != NULL && s->rq_head == NULL && /* LCOV_EXCL_BR_LINE */
         /* LCOV_EXCL_BR_LINE below: flushed after each event; udp_choose and the hint give AF_INET only */
         sim->ready_head == NULL && s->family == AF_INET && s->err == 0 && /* LCOV_EXCL_BR_LINE */
         /* LCOV_EXCL_BR_LINE below: closed sockets leave the ports table; 65507 < RCVBUF_BYTES */
         !s->shut_rd && !s->detached && p->len <= JNET__SIM_UDP_RCVBUF && /* LCOV_EXCL_BR_LINE */
         sim->on_dgram(sim->owner, s, p);
}
/* The heap's operations (common/jnet_heap.h), here so that a packet's
 * push and pop are inline in the per-packet path; event.c has the rest of
 * the queue. */
static inline int jnet__sim_ent_less(const jnet__sim_hent *a,
                                     const jnet__sim_hent *b) {
  return a->t_ns < b->t_ns || (a->t_ns == b->t_ns && a->seq < b->seq);
}
static inline void jnet__sim_ent_place(jnet__sim_hent *v, size_t i,
                                       jnet__sim_hent e) {
  v[i] = e;
  e.ev->idx = (uint32_t)i + 1;
}
/* jnet__sim_evheap_sift_up, _sift_down, _push, _remove, _pop */
JNET__HEAP_DEFINE(jnet__sim_evheap, jnet__sim_hent, jnet__sim_ent_less,
                  jnet__sim_ent_place)
/* Double the heap's array (event.c, out of line: rare). 0 or ENOMEM. */
int jnet__sim_heap_grow(jnet__sim_heap *h);
/* jnet__sim_ev_push, inline. */
static inline int jnet__sim_ev_push_inline(jnet__sim *sim, jnet__sim_event *ev,
                                           uint64_t t_ns) {
  jnet__sim_heap *h = &sim->heap;
  if (h->n == h->cap && jnet__sim_heap_grow(h) < 0)
    return JNET_ENOMEM;
  ev->t_ns = t_ns;
  ev->seq = sim->ev_seq++;
  if (ev->weak)
    sim->weak_n++;
  jnet__sim_hent e = {t_ns, ev->seq, ev};
  jnet__sim_evheap_push(h->v, h->n++, e);
  return 0;
}
/* Take the heap's root (it has one): Floyd's pop. */
static inline jnet__sim_event *jnet__sim_ev_take_root(jnet__sim *sim) {
  jnet__sim_heap *h = &sim->heap;
  jnet__sim_event *top = h->v[0].ev;
  top->idx = 0;
  if (top->weak)
    sim->weak_n--;
  jnet__sim_evheap_pop(h->v, h->n--);
  return top;
}
/* The least of the heap's root and the first lane's head: peeked once or
 * more per event, so the first lane is kept (event.c), not searched. */
static inline jnet__sim_event *jnet__sim_ev_peek(jnet__sim *sim) {
  const jnet__sim_hent *root = sim->heap.n ? &sim->heap.v[0] : NULL;
  if (sim->lane_n != 0) {
    jnet__sim_event *e = &sim->lanes[sim->lane_first].head->ev;
    if (root == NULL || e->t_ns < root->t_ns ||
        (e->t_ns == root->t_ns && e->seq < root->seq))
      return e;
  }
  return root != NULL ? root->ev : NULL;
}
static inline void jnet__sim_ev_take(jnet__sim *sim, jnet__sim_event *e) {
  if (e->idx != JNET__SIM_IN_LANE)
    (void)jnet__sim_ev_take_root(sim); /* e is the heap's root */
  else
    jnet__sim_ev_take_lane(sim, e);
}
/* Events queued in all (heap and lanes). */
static inline uint32_t jnet__sim_ev_count(const jnet__sim *sim) {
  return sim->heap.n + sim->lane_n;
}
static inline int jnet__sim_ev_schedule_pkt(jnet__sim *sim, jnet__sim_spkt *p,
                                            uint64_t delay_ns) {
  if (p->ev.idx == 0 && jnet__sim_ev_count(sim) < JNET__SIM_LANES_FROM)
    return jnet__sim_ev_push_inline(sim, &p->ev, sim->now_ns + delay_ns);
  return jnet__sim_ev_schedule_pkt_lanes(sim, p, delay_ns);
}
/* jnet__sim_ev_schedule_pkt_link's common case inline: p (not queued)
 * behind the last packet on its link's lane, when the queue is deep enough
 * for lanes and that lane ends no later than t_ns. Any lane that stays
 * sorted gives the same order out (keys are unique). */
static inline int jnet__sim_ev_schedule_pkt_on(jnet__sim *sim,
                                               jnet__sim_link *l,
                                               jnet__sim_spkt *p,
                                               uint64_t t_ns) {
  jnet__sim_spkt *tail = sim->lanes[l->lane].tail;
  if (tail == NULL || tail->ev.t_ns > t_ns || p->ev.idx != 0 ||
      jnet__sim_ev_count(sim) < JNET__SIM_LANES_FROM)
    return jnet__sim_ev_schedule_pkt_link(sim, l, p, t_ns);
  p->ev.t_ns = t_ns;
  p->ev.seq = sim->ev_seq++;
  p->ev.idx = JNET__SIM_IN_LANE;
  p->next = NULL;
  tail->next = p; /* the lane's head, so the first lane, stays */
  sim->lanes[l->lane].tail = p;
  sim->lane_n++;
  return 0;
}
static inline const jnet_link_params *jnet__sim_link_params(jnet__sim *sim,
                                                            jnet__sim_link *l) {
  return l->own != NULL ? l->own : &sim->defaults;
}
/* Per packet: one multiply, the high bits folded down into the bucket's
 * (chains keep their order whatever the hash: htab.c). */
static inline uint64_t jnet__sim_port_key(uint32_t host, int proto,
                                          uint16_t port) {
  uint64_t h = (((uint64_t)host << 24) ^ ((uint64_t)proto << 16) ^ port) *
               0x9e3779b97f4a7c15ull;
  return h ^ (h >> 32);
}
static inline jnet__sim_sock *
jnet__sim_ports_first(jnet__sim *sim, uint32_t host, int proto, uint16_t port) {
  for (jnet__sim_sock *s = jnet__sim_htab_first(
           &sim->ports, jnet__sim_port_key(host, proto, port));
       s != NULL; s = s->port_next)
    if (s->host->id == host && s->proto == proto && s->local.port == port)
      return s;
  return NULL;
}
static inline ssize_t jnet__sim_sock_sendto(jnet__sim_sock *s, const void *buf,
                                            size_t len,
                                            const struct sockaddr *to,
                                            socklen_t tolen) {
  (void)tolen;
  /* LCOV_EXCL_BR_LINE below: bk_send_to sends datagrams itself: only streams get here */
  if (s->type == JNET__SIM_SOCK_STREAM) /* LCOV_EXCL_BR_LINE */
    return JNET_ENOTSUP;
  return jnet__sim_udp_sendto(s, buf, len, to);
}
static inline ssize_t jnet__sim_sock_recvfrom(jnet__sim_sock *s, void *buf,
                                              size_t len,
                                              struct sockaddr_storage *from,
                                              socklen_t *fromlen) {
  if (s->type == JNET__SIM_SOCK_STREAM)
    return JNET_ENOTSUP;
  return jnet__sim_udp_recvfrom(s, buf, len, from, fromlen);
}
/* Would jnet__sim_sock_recvfrom say JNET_EAGAIN? (A datagram socket with
 * nothing queued, no pending error and reading not shut.) */
static inline int jnet__sim_dgram_would_block(const jnet__sim_sock *s) {
  return s->type == JNET__SIM_SOCK_DGRAM && s->rq_head == NULL && s->err == 0 &&
         !s->shut_rd;
}
static inline void jnet__sim_sock_ready(jnet__sim_sock *s) {
  jnet__sim *sim = s->host->sim;
  if (s->in_ready || s->detached)
    return;
  s->in_ready = 1;
  s->ready_next = NULL;
  if (sim->ready_tail)
    sim->ready_tail->ready_next = s;
  else
    sim->ready_head = s;
  sim->ready_tail = s;
}

/* Trace: one line per event and the fingerprint (trace.c). `what` codes. */
enum {
  JNET__SIM_TR_SEND = 1,
  JNET__SIM_TR_RECV,
  JNET__SIM_TR_DROP,
  JNET__SIM_TR_DUP,
  JNET__SIM_TR_TIMER,
  JNET__SIM_TR_AT,
  JNET__SIM_TR_FAULT,
  JNET__SIM_TR_SOCK
};
/* A packet event: folded into the fingerprint, and a line when a trace
 * file is open (jnet__sim_trace_text). */
void jnet__sim_trace_text(jnet__sim *sim, int what, const char *why,
                          const jnet__sim_spkt *p);
/* Fold one 64-bit word into the fingerprint (FNV-1a-like, word-wise). */
static inline uint64_t jnet__sim_fold(uint64_t h, uint64_t w) {
  h = (h ^ w) * 0x100000001b3ull;
  return h ^ (h >> 29);
}
static inline void jnet__sim_trace_pkt(jnet__sim *sim, int what,
                                       const char *why,
                                       const jnet__sim_spkt *p) {
  uint64_t h = jnet__sim_fold(sim->fingerprint, sim->now_ns);
  if (what == JNET__SIM_TR_RECV) { /* the send already folded the rest */
    h = jnet__sim_fold(h, ((uint64_t)p->seq << 32) ^ ((uint64_t)p->len << 16) ^
                              p->dst.port);
  } else {
    h = jnet__sim_fold(h, ((uint64_t)p->from << 32) | p->to);
    h = jnet__sim_fold(h, ((uint64_t)p->seq << 32) | p->ack);
    h = jnet__sim_fold(h, ((uint64_t)p->len << 32) |
                              ((uint64_t)p->src.port << 16) | p->dst.port);
    h = jnet__sim_fold(h, ((uint64_t)what << 24) | ((uint64_t)p->proto << 16) |
                              ((uint64_t)p->flags << 8) |
                              (why ? (uint8_t)why[0] : 0));
  }
  sim->fingerprint = h;
  if (sim->trace != NULL)
    jnet__sim_trace_text(sim, what, why, p);
}
/* A note: folded into the fingerprint as (time, what, host id, text), and
 * a line when a trace file is open. The text is cut at JNET__SIM_NOTE_MAX. */
#define JNET__SIM_NOTE_MAX 255
void jnet__sim_trace_note(jnet__sim *sim, int what, const jnet__sim_host *h,
                          const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same note with its text built piece by piece, for the notes made per
 * connection: the bytes the printf format would give, at a fraction of its
 * cost. Start with `jnet__sim_note l = {.n = 0};`, end with jnet__sim_note_end.
 */
typedef struct jnet__sim_note {
  size_t n;
  char s[JNET__SIM_NOTE_MAX];
} jnet__sim_note;
void jnet__sim_note_str(jnet__sim_note *l, const char *s);
void jnet__sim_note_u(jnet__sim_note *l, uint64_t v); /* as %u / %llu */
void jnet__sim_note_ep(jnet__sim_note *l,
                       const jnet__sim_ep *ep); /* jnet__sim_ep_format */
void jnet__sim_note_end(jnet__sim *sim, int what, const jnet__sim_host *h,
                        const jnet__sim_note *l);
/* Capture a packet if a capture wants it (record.c). */
void jnet__sim_capture_pkt(jnet__sim *sim, const jnet__sim_spkt *p);

/* Bytes p takes on a wire of this MTU (IP and transport headers, and the
 * IP header of each fragment). */
static inline uint32_t jnet__sim_wire_bytes(const jnet__sim_spkt *p,
                                            uint32_t mtu) {
  uint32_t ip = p->family == AF_INET6 ? 40 : 20;
  if (p->proto == JNET__SIM_P_UDP || p->proto == JNET__SIM_P_UDGRAM) {
    uint32_t total = 8 + p->len;
    if (ip + total <= mtu)
      return ip + total;
    uint32_t per = ((mtu - ip - (p->family == AF_INET6 ? 8 : 0)) / 8) * 8;
    uint32_t nfrag = (total + per - 1) / per;
    return total + nfrag * (ip + (p->family == AF_INET6 ? 8 : 0));
  }
  if (p->proto == JNET__SIM_P_ICMP)
    return ip + 8 + 28;
  return ip + 20 + (p->mss ? 4 : 0) + (p->wscale ? 4 : 0) + p->len;
}

/* A link's bandwidth takes a packet of `wire` bytes at `now`: its last bit
 * leaves at l->busy_until_ns (moved on), or -1 and nothing moved if the
 * bytes queued ahead of it fill the link's queue (a tail drop). The paced
 * path below and link.c's transmit both pace with it, so they agree to
 * the last floating-point bit. */
static inline int jnet__sim_pace(jnet__sim_link *l, const jnet_link_params *lp,
                                 uint64_t now, uint32_t wire) {
  uint64_t start = l->busy_until_ns > now ? l->busy_until_ns : now;
  if (start > now && (double)(start - now) * (double)lp->bandwidth_bps / 8e9 +
                             wire > (double)lp->queue_bytes)
    return -1;
  l->busy_until_ns = start + (uint64_t)((double)wire * 8.0 * 1e9 /
                                        (double)lp->bandwidth_bps);
  return 0;
}

/* jnet__sim_net_send's common case, inline in its callers so a datagram
 * pays no call for it: `from` is sim->hosts[p->from]; a packet between two
 * hosts whose destination from's route cache knows, on a link that only
 * delays (none, or a plain one without faults) or only paces (a paced
 * one, not tail-dropping this packet) that from's link caches know. It
 * does what jnet__sim_net_send_all does then, in the same order; anything
 * else goes there, before anything is done. */
static inline void jnet__sim_net_send_from(jnet__sim *sim,
                                           jnet__sim_host *from,
                                           jnet__sim_spkt *p, int to_known) {
  if (!to_known) {
    if (from->route_dst.family != p->dst.family ||
        !jnet__sim_ip_eq(p->dst.family, from->route_dst.ip, p->dst.ip)) {
      jnet__sim_net_send_all(sim, p, 0);
      return;
    }
    p->to = from->route_to;
  }
  const jnet_link_params *lp = &sim->defaults;
  if (p->to == p->from)
    goto all;
  jnet__sim_link *l = from->last_link;
  if (l != NULL && l->to == p->to) {
    if (l->partitioned | l->ge_bad | l->clogged)
      goto all;
    if (l->own != NULL) {
      lp = l->own;
      if (!l->plain)
        goto paced;
    } else if (!sim->defaults_plain) {
      goto paced;
    }
  } else if (from->nolink_to != p->to + 1 ||
             from->nolink_n != sim->links.n || !sim->defaults_plain) {
    goto all; /* a link not cached (or to make): net_send_all finds it */
  }
  uint32_t wire = jnet__sim_wire_bytes(p, lp->mtu);
  sim->stats.packets_sent++;
  sim->stats.bytes_sent += wire;
  if (sim->pcap != NULL)
    jnet__sim_capture_pkt(sim, p);
  jnet__sim_trace_pkt(sim, JNET__SIM_TR_SEND, NULL, p);
  p->ev.kind = JNET__SIM_EV_PKT;
  /* LCOV_EXCL_BR_LINE below: fails only if the heap's realloc fails (OOM) */
  if (jnet__sim_ev_schedule_pkt(sim, p, lp->latency_ns) < 0) /* LCOV_EXCL_BR_LINE */
    jnet__sim_drop_nomem(sim, p);
  return;
paced:
  /* A link that only adds its bandwidth's pacing: link.c's transmit
   * without its draws (none: no jitter, no reordering) and its tests. A
   * packet its queue would tail-drop goes to net_send_all, which drops it
   * then (the same sums, nothing done yet). */
  if (!(l->own != NULL ? l->paced : sim->defaults_paced))
    goto all;
  {
    uint32_t wire = jnet__sim_wire_bytes(p, lp->mtu);
    if (jnet__sim_pace(l, lp, sim->now_ns, wire) < 0)
      goto all;
    sim->stats.packets_sent++;
    sim->stats.bytes_sent += wire;
    if (sim->pcap != NULL)
      jnet__sim_capture_pkt(sim, p);
    jnet__sim_trace_pkt(sim, JNET__SIM_TR_SEND, NULL, p);
    p->ev.kind = JNET__SIM_EV_PKT;
    uint64_t t = l->busy_until_ns + lp->latency_ns;
    /* LCOV_EXCL_BR_LINE below: fails only if the heap's realloc fails (OOM) */
    if (jnet__sim_ev_schedule_pkt_on(sim, l, p, t) < 0) /* LCOV_EXCL_BR_LINE */
      jnet__sim_drop_nomem(sim, p);
  }
  return;
all:
  jnet__sim_net_send_all(sim, p, 1);
}

/* jnet__sim_udp_sendto's common case, inline in the sim backend's
 * datagram send: an IPv4 socket bound to one of its addresses sends to an
 * IPv4 unicast address. What jnet__sim_udp_sendto_all does then, without
 * its tests and copies. 1: done, *r its result; 0: the other cases (refused,
 * broadcast, multicast, unbound, IPv6, unix...), nothing done. */
static inline int jnet__sim_udp_send_v4(jnet__sim_sock *s, const void *buf,
                                        size_t len, const struct sockaddr *to,
                                        ssize_t *r) {
  if (to == NULL || to->sa_family != AF_INET || s->family != AF_INET ||
      !s->bound || s->err != 0 || s->shut_wr || len > 65507u ||
      jnet__sim_ip_is_any(AF_INET, s->local.ip))
    return 0;
  const struct sockaddr_in *in = (const struct sockaddr_in *)to;
  uint8_t ip[4];
  __builtin_memcpy(ip, &in->sin_addr, 4);
  uint16_t port = ntohs(in->sin_port);
  if (port == 0 || ip[3] == 255 || jnet__sim_ip_is_multicast(AF_INET, ip))
    return 0;
  jnet__sim *sim = s->host->sim;
  jnet__sim_spkt *p = jnet__sim_pkt_alloc_eps(sim, (uint32_t)len);
  if (p == NULL) {
    *r = JNET_ENOMEM;
    return 1;
  }
  if (len)
    __builtin_memcpy(p->data, buf, len);
  p->from = s->host->id;
  p->proto = s->proto;
  p->family = AF_INET;
  p->src = s->local;
  /* the rest of it zero, as jnet__sim_ep_from_sa's */
  p->dst = (jnet__sim_ep){.family = AF_INET, .port = port};
  __builtin_memcpy(p->dst.ip, ip, 4);
  jnet__sim_net_send_from(sim, s->host, p, 0);
  *r = (ssize_t)len;
  return 1;
}

#endif /* JNET_SIM_MODEL_H */
