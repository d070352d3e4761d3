/* tcp.c — the TCP model, shaped after Linux's: handshake with MSS and
 * window-scale options, MSS segmentation, cumulative ACKs, congestion
 * control (initial window 10, slow start, an algorithm of tcp_cc.h for
 * congestion avoidance, fast retransmit and NewReno fast recovery), RTO
 * per RFC 6298 with Karn's rule (1 s initial, 200 ms minimum, doubling,
 * ETIMEDOUT after 15 retransmissions), delayed ACKs (every second full
 * segment or 40 ms; quick ACKs at the start), receive window with sender
 * and receiver SWS avoidance, send buffer (backpressure), persist timer
 * and zero-window probes, Nagle, keepalive, FIN and half-close, RST
 * (refused, reset, unread data at close, unknown connection), and
 * lingering closed sockets until their FIN exchange ends. Unix stream
 * sockets use the same code inside one host, without congestion control
 * or delayed ACKs.
 *
 * Each socket has two timers: `tev` (SYN and data retransmission, persist,
 * orphan) and `aev` (delayed ACK and keepalive, both weak: they do not
 * keep a run alive by themselves).
 *
 * Invariants: sndbuf holds the bytes from snd_una on (sent-unacked, then
 * unsent); snd_nxt - snd_una counts sent bytes plus the FIN once sent;
 * rcvbuf holds received, unread bytes in order; segments past a hole wait
 * in `ooo` (sorted by sequence) until the hole is filled. */
#include <netinet/in.h>
#include <string.h>

#include "tcp_cc.h"

#define RTO_INIT_NS (1000ull * JNET_SIM_MS)
#define RTO_MIN_NS (200ull * JNET_SIM_MS)
#define RTO_MAX_NS (120ull * JNET_SIM_S)
#define SYN_RETRIES 6
#define SYNACK_RETRIES 5
#define DATA_RETRIES 15
#define ORPHAN_NS (60ull * JNET_SIM_S) /* FIN_WAIT2 timeout */
#define DELACK_NS (40ull * JNET_SIM_MS)  /* Linux's TCP_DELACK_MIN */
#define QUICK_ACKS 16                    /* Linux's TCP_MAX_QUICKACKS */
#define INIT_CWND_SEGS 10                /* RFC 6928 */
#define NO_LIMIT 0x7fffffffu             /* unix streams: no cwnd */

#define SEQ_LT(a, b) ((int32_t)((a) - (b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((a) - (b)) <= 0)

/* ---- Byte rings ------------------------------------------------------------- */

/* A ring's block starts with its capacity and head (jnet__sim_ring_hdr), so
 * that the socket holds only a pointer and a length per ring; no block: an
 * empty ring of capacity 0.
 *
 * A ring that empties gives its block back (an idle connection holds no
 * buffer), and most rings of a request/reply protocol fill and empty once a
 * message: blocks of the first size (RING_FIRST_CAP) go to the simulation's
 * free list, RING_FREE_MAX at most, for the next ring that needs one. */
#define RING_FIRST_CAP 4096u
#define RING_FREE_MAX 64u

/* A block for cap bytes: from the free list when it has that size. */
static uint8_t *ring_block_get(jnet__sim *sim, uint32_t cap) {
  uint8_t *d = sim->ring_free;
  if (cap != RING_FIRST_CAP || d == NULL)
    return jnet__malloc(sizeof(jnet__sim_ring_hdr) + (size_t)cap);
  memcpy(&sim->ring_free, d + sizeof(jnet__sim_ring_hdr), sizeof d);
  sim->ring_nfree--;
  return d;
}

static void ring_block_put(jnet__sim *sim, uint8_t *d) {
  jnet__sim_ring_hdr h;
  if (d == NULL)
    return;
  memcpy(&h, d, sizeof h);
  if (h.cap != RING_FIRST_CAP || sim->ring_nfree == RING_FREE_MAX) {
    jnet__free(d);
    return;
  }
  memcpy(d + sizeof h, &sim->ring_free, sizeof d);
  sim->ring_free = d;
  sim->ring_nfree++;
}

void jnet__sim_tcp_rings_free(jnet__sim *sim) {
  while (sim->ring_free != NULL) {
    uint8_t *d = sim->ring_free;
    memcpy(&sim->ring_free, d + sizeof(jnet__sim_ring_hdr), sizeof d);
    jnet__free(d);
  }
  sim->ring_nfree = 0;
}
static uint32_t ring_cap(const jnet__sim_ring *r) {
  return r->data ? ((const jnet__sim_ring_hdr *)(const void *)r->data)->cap : 0;
}

static uint32_t ring_head(const jnet__sim_ring *r) {
  return r->data ? ((const jnet__sim_ring_hdr *)(const void *)r->data)->head
                 : 0;
}

static uint8_t *ring_bytes(const jnet__sim_ring *r) {
  return r->data + sizeof(jnet__sim_ring_hdr);
}

static int ring_append(jnet__sim *sim, jnet__sim_ring *r, const void *p,
                       uint32_t n, uint32_t limit) {
  uint32_t rcap = ring_cap(r), head = ring_head(r);
  if (r->len + n > rcap) {
    uint32_t cap = rcap ? rcap : RING_FIRST_CAP;
    while (cap < r->len + n)
      cap *= 2;
    if (cap > limit && r->len + n <= limit) /* LCOV_EXCL_BR_LINE: callers keep len + n <= limit */
      cap = limit;
    uint8_t *d = ring_block_get(sim, cap);
    if (d == NULL)
      return JNET_ENOMEM;
    uint8_t *db = d + sizeof(jnet__sim_ring_hdr);
    if (r->len > 0) { /* unwrap: [head, cap) then [0, rest) */
      uint32_t first = rcap - head < r->len ? rcap - head : r->len;
      memcpy(db, ring_bytes(r) + head, first);
      memcpy(db + first, ring_bytes(r), r->len - first);
    }
    ring_block_put(sim, r->data);
    r->data = d;
    rcap = cap;
    head = 0;
    jnet__sim_ring_hdr hdr = {cap, 0};
    memcpy(d, &hdr, sizeof hdr);
  }
  uint8_t *bytes = ring_bytes(r);
  uint32_t tail = (head + r->len) % rcap;
  uint32_t first = rcap - tail < n ? rcap - tail : n;
  memcpy(bytes + tail, p, first);
  memcpy(bytes, (const uint8_t *)p + first, n - first);
  r->len += n;
  return 0;
}

static void ring_peek(const jnet__sim_ring *r, uint32_t off, void *dst,
                      uint32_t n) {
  if (n == 0)
    return;
  uint32_t cap = ring_cap(r);
  uint32_t start = (ring_head(r) + off) % (cap ? cap : 1); /* LCOV_EXCL_BR_LINE: a peek reads held bytes: a block */
  uint32_t first = cap - start < n ? cap - start : n;
  memcpy(dst, ring_bytes(r) + start, first);
  memcpy((uint8_t *)dst + first, ring_bytes(r), n - first);
}

static void ring_consume(jnet__sim *sim, jnet__sim_ring *r, uint32_t n) {
  r->len -= n;
  if (r->len == 0) { /* idle connections hold no buffer */
    ring_block_put(sim, r->data);
    r->data = NULL;
    return;
  }
  jnet__sim_ring_hdr *h = (jnet__sim_ring_hdr *)(void *)r->data;
  h->head = (h->head + n) % h->cap;
}

/* ---- Segments ------------------------------------------------------------------ */

static uint32_t rcv_space(const jnet__sim_sock *s) {
  return s->rcvbuf.len < s->rcvbuf.max ? s->rcvbuf.max - s->rcvbuf.len : 0;
}

/* The window to advertise: unscaled in a SYN, else a multiple of the
 * scale that fits the 16-bit field. */
static uint32_t adv_window(const jnet__sim_sock *s, int syn) {
  uint32_t w = rcv_space(s);
  uint32_t max = syn ? 65535u : 65535u << s->rcv_wscale;
  if (w > max)
    w = max;
  return syn ? w : w & ~((1u << s->rcv_wscale) - 1);
}

/* Smallest shift that lets the 16-bit field cover the buffer (<= 14). */
static uint8_t wscale_for(uint32_t buf) {
  uint8_t sh = 0;
  /* LCOV_EXCL_BR_LINE below: buf <= 64 MiB (BUF_LIMIT) stops it at 11 */
  while (sh < 14 && (buf >> sh) > 65535u) /* LCOV_EXCL_BR_LINE */
    sh++;
  return sh;
}

/* "tcp :%u>%s %s %s cwnd=%u ssthresh=%u" (port, remote, cc, why, cwnd,
 * ssthresh), built without printf: a note per connection. */
static void trace_cc(jnet__sim_sock *s, const char *why) {
  jnet__sim_note l = {.n = 0};
  jnet__sim_note_str(&l, "tcp :");
  jnet__sim_note_u(&l, s->local.port);
  jnet__sim_note_str(&l, ">");
  jnet__sim_note_ep(&l, &s->remote);
  jnet__sim_note_str(&l, " ");
  jnet__sim_note_str(&l, s->cc_id ? jnet__sim_tcp_cc(s)->name : "-"); /* LCOV_EXCL_BR_LINE: conn_init sets cc_id >= 1 */
  jnet__sim_note_str(&l, " ");
  jnet__sim_note_str(&l, why);
  jnet__sim_note_str(&l, " cwnd=");
  jnet__sim_note_u(&l, s->cwnd);
  jnet__sim_note_str(&l, " ssthresh=");
  jnet__sim_note_u(&l, s->ssthresh);
  jnet__sim_note_end(s->host->sim, JNET__SIM_TR_SOCK, s->host, &l);
}

static uint16_t own_mss(const jnet__sim_sock *s) {
  jnet__sim *sim = s->host->sim;
  if (s->proto == JNET__SIM_P_USTREAM)
    return 65483;
  jnet__sim_ep r = s->remote;
  jnet__sim_ep_unmap(&r);
  jnet__sim_host *to = jnet__sim_host_has_ip(s->host, r.family, r.ip)
                           ? s->host
                           : jnet__sim_host_by_ip(sim, r.family, r.ip);
  uint32_t mtu = to == NULL || to == s->host
                     ? 65536
                     : jnet__sim_mtu(sim, s->host->id, to->id);
  uint32_t mss = mtu - (r.family == AF_INET6 ? 60 : 40);
  return mss > 65483 ? 65483 : (uint16_t)mss;
}

/* Send one segment: `len` bytes of sndbuf at seq (data segments only). */
static void send_seg(jnet__sim_sock *s, uint32_t seq, uint8_t flags,
                     uint32_t len) {
  jnet__sim *sim = s->host->sim;
  jnet__sim_spkt *p = jnet__sim_pkt_alloc(sim, len);
  if (p == NULL)
    return; /* as if lost: the RTO resends */
  if (len > 0)
    ring_peek(&s->sndbuf, seq - s->snd_una, p->data, len);
  p->from = s->host->id;
  p->to = s->host->id;
  p->proto = s->proto;
  p->family = s->local.family;
  p->src = s->local;
  p->dst = s->remote;
  if (jnet__sim_ep_is_mapped(&p->dst)) { /* dual stack: IPv4 on the wire */
    jnet__sim_ep_unmap(&p->src);
    jnet__sim_ep_unmap(&p->dst);
    p->family = AF_INET;
  }
  p->wire_sport = s->wire_port;
  p->wire_dport = s->peer_wire_port;
  p->seq = seq;
  p->flags = flags;
  if (flags & JNET__SIM_TCP_ACK) {
    p->ack = s->rcv_nxt;
    s->rcv_acked = s->rcv_nxt;
    s->ack_pending = 0;
    s->delack_at_ns = 0; /* the aux timer finds nothing to do */
  }
  int syn = (flags & JNET__SIM_TCP_SYN) != 0;
  p->window = adv_window(s, syn);
  s->rcv_wnd_sent = p->window;
  if (syn) {
    p->mss = s->mss;
    if (s->ws_ok) /* LCOV_EXCL_BR_LINE: every SYN offers wscale */
      p->wscale = (uint8_t)(s->rcv_wscale + 1);
  } else {
    p->wshift = s->rcv_wscale;
  }
  uint32_t end =
      seq + len + ((flags & (JNET__SIM_TCP_SYN | JNET__SIM_TCP_FIN)) ? 1 : 0);
  if (SEQ_LT(seq, s->snd_max) && end != seq)
    sim->stats.retransmits++;
  if (SEQ_LT(s->snd_max, end))
    s->snd_max = end;
  jnet__sim_net_send(sim, p, s->proto == JNET__SIM_P_USTREAM);
}

/* A reset or reply to a packet that has no socket. */
static void send_rst_for(jnet__sim *sim, const jnet__sim_spkt *in) {
  if (in->flags & JNET__SIM_TCP_RST)
    return;
  jnet__sim_spkt *p = jnet__sim_pkt_alloc(sim, 0);
  if (p == NULL)
    return;
  p->from = in->to;
  p->to = in->from;
  p->proto = in->proto;
  p->family = in->family;
  p->src = in->dst;
  p->dst = in->src;
  p->wire_sport = in->wire_dport;
  p->wire_dport = in->wire_sport;
  if (in->flags & JNET__SIM_TCP_ACK) {
    p->seq = in->ack;
    p->flags = JNET__SIM_TCP_RST;
  } else {
    p->seq = 0;
    p->ack = in->seq + in->len +
             ((in->flags & (JNET__SIM_TCP_SYN | JNET__SIM_TCP_FIN)) ? 1 : 0); /* LCOV_EXCL_BR_LINE: a segment without ACK is a SYN */
    p->flags = JNET__SIM_TCP_RST | JNET__SIM_TCP_ACK;
  }
  jnet__sim_net_send(sim, p, 1);
}

/* Arm the socket's one timer; `weak` for timers no operation waits on. */
static void arm_timer(jnet__sim_sock *s, uint64_t after_ns, int weak) {
  jnet__sim *sim = s->host->sim;
  jnet__sim_ev_cancel(sim, &s->tev);
  s->tev.weak = (uint8_t)weak;
  (void)jnet__sim_ev_schedule(sim, &s->tev, sim->now_ns + after_ns);
}
/* Timers of a closed socket (lingering for its FIN) wait for nobody. */
#define arm(s, t) arm_timer(s, t, (s)->detached)

static void disarm(jnet__sim_sock *s) {
  jnet__sim_ev_cancel(s->host->sim, &s->tev);
}

/* The connection is over (RST, timeout): wake the owner, or free it if
 * nobody owns it any more (then s is gone: callers return at once). */
static void finish(jnet__sim_sock *s, int err) {
  disarm(s);
  jnet__sim_ev_cancel(s->host->sim, &s->aev);
  s->delack_at_ns = s->ka_at_ns = 0;
  jnet__sim_conns_remove(s);
  s->state = JNET__SIM_ST_CLOSED;
  if (err != 0) { /* LCOV_EXCL_BR_LINE: every caller passes an error */
    s->err = err;
    s->reset = 1;
  }
  if (s->detached || (s->child && s->listener != NULL)) {
    jnet__sim_sock_destroy(s);
    return;
  }
  jnet__sim_sock_ready(s);
}

/* A lingering closed socket goes once both FINs are through. */
static int maybe_reap(jnet__sim_sock *s) {
  if (s->detached && s->fin_acked && s->fin_rcvd) {
    jnet__sim_sock_destroy(s);
    return 1;
  }
  return 0;
}

/* ---- Auxiliary timer: delayed ACK, keepalive ------------------------------ */

/* Queue aev at the earlier of the two deadlines (or cancel it). */
static void aux_arm(jnet__sim_sock *s) {
  jnet__sim *sim = s->host->sim;
  uint64_t t = s->delack_at_ns;
  if (s->ka_at_ns != 0 && (t == 0 || s->ka_at_ns < t))
    t = s->ka_at_ns;
  if (t == 0) {
    jnet__sim_ev_cancel(sim, &s->aev);
    return;
  }
  if (s->aev.idx != 0 && s->aev.t_ns == t)
    return;
  jnet__sim_ev_cancel(sim, &s->aev);
  s->aev.weak = 1;
  (void)jnet__sim_ev_schedule(sim, &s->aev, t);
}

static void keepalive_arm(jnet__sim_sock *s) {
  if (s->keepalive && s->state == JNET__SIM_ST_OPEN &&
      s->proto == JNET__SIM_P_TCP)
    s->ka_at_ns = s->last_rcv_ns + jnet__sim_tcp_host_ka_idle(s->host);
  else
    s->ka_at_ns = 0;
  aux_arm(s);
}

void jnet__sim_tcp_keepalive(jnet__sim_sock *s) {
  if (s->type == JNET__SIM_SOCK_STREAM)
    keepalive_arm(s);
}

/* ---- Output ----------------------------------------------------------------------- */

/* The connection is established: windows and the algorithm start. */
static void conn_start(jnet__sim_sock *s) {
  jnet__sim *sim = s->host->sim;
  s->last_rcv_ns = sim->now_ns;
  s->quick_acks = QUICK_ACKS;
  if (s->proto == JNET__SIM_P_USTREAM) {
    s->cwnd = s->ssthresh = NO_LIMIT;
    return;
  }
  s->cwnd = INIT_CWND_SEGS * (uint32_t)s->mss;
  s->ssthresh = NO_LIMIT;
  jnet__sim_tcp_cc(s)->init(s);
  uint32_t want = s->cwnd < s->sndbuf.max / 2 ? 2 * s->cwnd : s->sndbuf.max;
  if (want > s->sndbuf_lim) /* Linux's tcp_init_buffer_space */
    s->sndbuf_lim = want;
  trace_cc(s, "open");
  keepalive_arm(s);
}

void jnet__sim_tcp_output(jnet__sim_sock *s) {
  if (s->state != JNET__SIM_ST_OPEN) /* LCOV_EXCL_BR_LINE: callers hold an open connection */
    return;
  for (;;) {
    uint32_t sent = s->snd_nxt - s->snd_una;
    if (s->fin_sent && !s->fin_acked)
      sent--; /* the FIN's sequence number is not a byte */
    uint32_t unsent = s->sndbuf.len - sent;
    uint32_t in_flight = s->snd_nxt - s->snd_una;
    if (unsent == 0)
      break;
    uint32_t wnd = s->snd_wnd > in_flight ? s->snd_wnd - in_flight : 0;
    uint32_t lim = s->cwnd;
    if (!s->in_recovery && s->dupacks > 0 && s->dupacks < 3)
      lim += s->dupacks * (uint32_t)s->mss; /* limited transmit (RFC 3042) */
    uint32_t cwnd = lim > in_flight ? lim - in_flight : 0;
    uint32_t n = unsent < s->mss ? unsent : s->mss;
    if (n > wnd) {
      if (wnd == 0 || in_flight > 0) { /* sender SWS: wait for the ACK */
        if (wnd == 0 && in_flight == 0 && s->tev.idx == 0)
          arm_timer(s, s->rto_ns, 1); /* persist: probe the zero window */
        return;
      }
      n = wnd; /* nothing in flight: what the peer can take */
    }
    if (n > cwnd)
      return; /* the congestion window is full: the next ACK opens it */
    if (n < s->mss && n == unsent && in_flight > 0 && !s->nodelay)
      return; /* Nagle: wait for the ACK before a small segment */
    uint8_t flags = JNET__SIM_TCP_ACK | (n == unsent ? JNET__SIM_TCP_PSH : 0);
    if (s->rtt_t0_ns == 0 && !SEQ_LT(s->snd_nxt, s->snd_max)) {
      s->rtt_t0_ns = s->host->sim->now_ns + 1;
      s->rtt_seq = s->snd_nxt + n;
    }
    send_seg(s, s->snd_nxt, flags, n);
    s->snd_nxt += n;
    if (s->tev.idx == 0 || s->tev.weak)
      arm(s, s->rto_ns);
  }
  if (s->shut_wr && !s->fin_sent) {
    send_seg(s, s->snd_nxt, JNET__SIM_TCP_FIN | JNET__SIM_TCP_ACK, 0);
    s->snd_nxt++;
    s->fin_sent = 1;
    if (s->tev.idx == 0 || s->tev.weak)
      arm(s, s->rto_ns);
  }
}

/* Resend the first unacknowledged segment (or the FIN). What was sent
 * reaches snd_max: after an RTO snd_nxt is back at snd_una, and when the
 * window then holds everything this segment is the zero window's probe
 * (Linux's tcp_retransmit_timer resends the head whatever the window).
 * The sent bytes are all still in sndbuf; a FIN, no byte, follows them. */
static void rexmit_one(jnet__sim_sock *s) {
  uint32_t out = s->snd_max - s->snd_una;
  if (out > s->sndbuf.len)
    out = s->sndbuf.len;
  s->rtt_t0_ns = 0; /* Karn: no sample across a retransmission */
  if (out > 0) {
    uint32_t n = out < s->mss ? out : s->mss;
    send_seg(s, s->snd_una, JNET__SIM_TCP_ACK | JNET__SIM_TCP_PSH, n);
  } else if (s->fin_sent && !s->fin_acked) { /* LCOV_EXCL_BR_LINE: called with something outstanding; an RTO resends a lone FIN itself */
    send_seg(s, s->snd_una, JNET__SIM_TCP_FIN | JNET__SIM_TCP_ACK, 0);
  }
}

static void send_ack(jnet__sim_sock *s) {
  send_seg(s, s->snd_nxt, JNET__SIM_TCP_ACK, 0);
}

/* ---- Calls ------------------------------------------------------------------------- */

/* Buffers, window scale and algorithm from the host's settings. */
static void conn_init(jnet__sim_sock *s) {
  jnet__sim_host *h = s->host;
  s->cc_id = jnet__sim_cc_id(jnet__sim_tcp_host_cc(h));
  s->rcvbuf.max = jnet__sim_tcp_host_rcvbuf(h);
  s->sndbuf.max = jnet__sim_tcp_host_sndbuf_max(h);
  s->sndbuf_lim = jnet__sim_tcp_host_sndbuf(h);
  if (s->proto == JNET__SIM_P_USTREAM) /* AF_UNIX: no autotuning to wait for */
    s->sndbuf_lim = s->sndbuf.max > 212992 ? 212992 : s->sndbuf.max;
  s->rcv_wscale = wscale_for(s->rcvbuf.max);
  s->ws_ok = 1;
  s->rto_ns = RTO_INIT_NS;
  s->retries = 0;
  s->mss = own_mss(s);
}

/* The peer's SYN said whether it scales windows. */
static void ws_agree(jnet__sim_sock *s, const jnet__sim_spkt *p) {
  if (p->wscale != 0 && s->ws_ok) { /* LCOV_EXCL_BR_LINE: every SYN offers wscale */
    s->snd_wscale = (uint8_t)(p->wscale - 1);
  } else {
    s->ws_ok = 0;
    s->snd_wscale = s->rcv_wscale = 0;
  }
}

int jnet__sim_tcp_connect(jnet__sim_sock *s) {
  jnet__sim_host *h = s->host;
  s->iss = (uint32_t)jnet__sim_rng_next(&h->rng_proto);
  s->snd_una = s->snd_max = s->iss;
  s->snd_nxt = s->iss + 1;
  s->recover = s->iss;
  s->state = JNET__SIM_ST_SYN_SENT;
  conn_init(s);
  if (s->proto == JNET__SIM_P_USTREAM) {
    jnet__sim_sock *l = NULL;
    for (jnet__sim_sock *o = h->socks; o != NULL; o = o->host_next)
      if (o->proto == JNET__SIM_P_USTREAM && o->state == JNET__SIM_ST_LISTEN &&
          o->local.port == s->remote.port)
        l = o;
    /* LCOV_EXCL_BR_LINE below: sock_connect found this listener by path (ECONNREFUSED otherwise) */
    s->peer_wire_port = l ? l->wire_port : s->remote.port; /* LCOV_EXCL_BR_LINE */
  }
  jnet__sim_conns_add(s);
  s->rtt_t0_ns = h->sim->now_ns + 1;
  s->rtt_seq = s->snd_nxt;
  send_seg(s, s->iss, JNET__SIM_TCP_SYN, 0);
  arm(s, s->rto_ns);
  return JNET_EAGAIN;
}

ssize_t jnet__sim_tcp_read(jnet__sim_sock *s, void *buf, size_t len) {
  if (s->state == JNET__SIM_ST_NEW || s->state == JNET__SIM_ST_LISTEN ||
      s->state == JNET__SIM_ST_SYN_SENT)
    return JNET_ENOTCONN;
  if (s->shut_rd)
    return 0;
  if (s->rcvbuf.len > 0) {
    uint32_t n = s->rcvbuf.len < len ? s->rcvbuf.len : (uint32_t)len;
    ring_peek(&s->rcvbuf, 0, buf, n);
    ring_consume(s->host->sim, &s->rcvbuf, n);
    /* Receiver SWS avoidance (RFC 1122, as Linux's tcp_cleanup_rbuf): a
     * window update only if what the peer may still send is at most half
     * the buffer and the window at least doubled (and is a segment). */
    uint32_t used = s->rcv_nxt - s->rcv_acked;
    uint32_t left = s->rcv_wnd_sent > used ? s->rcv_wnd_sent - used : 0;
    uint32_t now = adv_window(s, 0);
    if (s->state == JNET__SIM_ST_OPEN && !s->fin_rcvd &&
        2 * left <= s->rcvbuf.max && now >= 2 * left && now >= s->mss)
      send_ack(s);
    return n;
  }
  if (s->err != 0) {
    int err = s->err;
    s->err = 0;
    return err;
  }
  if (s->fin_rcvd || s->state == JNET__SIM_ST_CLOSED)
    return 0;
  return JNET_EAGAIN;
}

ssize_t jnet__sim_tcp_write(jnet__sim_sock *s, const void *buf, size_t len) {
  if (s->state == JNET__SIM_ST_NEW || s->state == JNET__SIM_ST_LISTEN ||
      s->state == JNET__SIM_ST_SYN_SENT)
    return JNET_ENOTCONN;
  if (s->err != 0) {
    int err = s->err;
    s->err = 0;
    return err;
  }
  if (s->shut_wr || s->state == JNET__SIM_ST_CLOSED)
    return JNET_EPIPE;
  uint32_t space = s->sndbuf_lim > s->sndbuf.len ? s->sndbuf_lim - s->sndbuf.len
                                                  : 0;
  if (space == 0)
    return JNET_EAGAIN;
  uint32_t n = len < space ? (uint32_t)len : space;
  if (ring_append(s->host->sim, &s->sndbuf, buf, n, s->sndbuf.max) < 0)
    return JNET_ENOMEM;
  jnet__sim_tcp_output(s);
  return n;
}

int jnet__sim_tcp_shutdown(jnet__sim_sock *s, int mode) {
  if (s->state == JNET__SIM_ST_CLOSED)
    return s->fin_rcvd || s->fin_sent ? 0 : JNET_ENOTCONN;
  if (mode != JNET__SIM_SHUT_WR && !s->shut_rd) {
    s->shut_rd = 1;
    if (s->rcvbuf.len)
      ring_consume(s->host->sim, &s->rcvbuf, s->rcvbuf.len);
  }
  if (mode != JNET__SIM_SHUT_RD && !s->shut_wr) {
    s->shut_wr = 1;
    jnet__sim_tcp_output(s);
  }
  jnet__sim_sock_ready(s);
  return 0;
}

/* connect(AF_UNSPEC), Linux's tcp_disconnect: a connection is reset (a
 * RST to the peer, as SO_LINGER 0 on close), a connect in progress given
 * up (no RST); a socket that is neither has nothing to disconnect. */
int jnet__sim_tcp_abort(jnet__sim_sock *s) {
  if (s->state == JNET__SIM_ST_LISTEN)
    return JNET_ENOTSUP; /* Linux stops listening: not modelled */
  if (s->state == JNET__SIM_ST_OPEN)
    send_seg(s, s->snd_nxt, JNET__SIM_TCP_RST | JNET__SIM_TCP_ACK, 0);
  if (s->state == JNET__SIM_ST_OPEN || s->state == JNET__SIM_ST_SYN_SENT)
    finish(s, JNET_ECONNRESET);
  return 0;
}

void jnet__sim_tcp_close(jnet__sim_sock *s) {
  s->detached = 1;
  s->user[0] = s->user[1] = s->user[2] = NULL;
  if (s->state == JNET__SIM_ST_SYN_SENT || s->state == JNET__SIM_ST_CLOSED) { /* LCOV_EXCL_BR_LINE: never CLOSED (sock_close) */
    jnet__sim_sock_destroy(s);
    return;
  }
  /* Unread data, or a connection nobody accepted: reset (Linux). */
  if (s->rcvbuf.len > 0 || s->state == JNET__SIM_ST_SYN_RCVD || s->listener) {
    send_seg(s, s->snd_nxt, JNET__SIM_TCP_RST | JNET__SIM_TCP_ACK, 0);
    jnet__sim_sock_destroy(s);
    return;
  }
  s->shut_rd = 1;
  s->ka_at_ns = 0; /* an orphan sends no keepalives */
  aux_arm(s);
  if (!s->shut_wr) {
    s->shut_wr = 1;
    jnet__sim_tcp_output(s);
  }
  if (!maybe_reap(s) && s->tev.idx == 0)
    /* LCOV_EXCL_BR_LINE below: an unacked FIN has the RTO timer armed (tev.idx != 0) */
    arm_timer(s, s->fin_acked ? ORPHAN_NS : s->rto_ns, s->fin_acked); /* LCOV_EXCL_BR_LINE */
}

/* ---- Timers --------------------------------------------------------------------------- */

static void backoff(jnet__sim_sock *s) {
  s->rto_ns *= 2;
  if (s->rto_ns > RTO_MAX_NS)
    s->rto_ns = RTO_MAX_NS;
}

/* RTO on an open connection: collapse the window to one segment and go
 * back to the first unacknowledged byte (RFC 5681 3.1, RFC 6298 5.4-5.6). */
static void rto_expired(jnet__sim_sock *s) {
  if (s->proto != JNET__SIM_P_USTREAM) { /* LCOV_EXCL_BR_LINE: unix streams lose nothing: no RTO */
    if (s->retries == 1) /* the first timeout of this episode */
      s->ssthresh = jnet__sim_tcp_cc(s)->ssthresh(s);
    s->cwnd = s->mss;
    s->cwnd_cnt = 0;
  }
  s->in_recovery = 0;
  s->dupacks = 0;
  s->recover = s->snd_max;
  backoff(s);
  s->rtt_t0_ns = 0; /* Karn: no sample from a retransmitted segment */
  s->snd_nxt = s->snd_una;
  if (s->fin_sent && !s->fin_acked) /* LCOV_EXCL_BR_LINE: no RTO once the FIN is acked */
    s->fin_sent = 0;
  if (s->proto != JNET__SIM_P_USTREAM) /* LCOV_EXCL_BR_LINE: unix streams: no RTO */
    trace_cc(s, "rto");
  jnet__sim_tcp_output(s);
  if (s->snd_nxt == s->snd_una) /* only the window held it: probe */
    rexmit_one(s);
  arm(s, s->rto_ns);
}

void jnet__sim_tcp_timer(jnet__sim *sim, jnet__sim_sock *s) {
  (void)sim;
  switch (s->state) { /* LCOV_EXCL_BR_LINE: finish disarms; listeners arm none */
  case JNET__SIM_ST_SYN_SENT:
    if (++s->retries > SYN_RETRIES) {
      finish(s, JNET_ETIMEDOUT);
      return;
    }
    backoff(s);
    s->rtt_t0_ns = 0;
    send_seg(s, s->iss,
             s->peer_syn ? JNET__SIM_TCP_SYN | JNET__SIM_TCP_ACK
                         : JNET__SIM_TCP_SYN,
             0);
    arm(s, s->rto_ns);
    return;
  case JNET__SIM_ST_SYN_RCVD:
    if (++s->retries > SYNACK_RETRIES) {
      jnet__sim_sock_destroy(s);
      return;
    }
    backoff(s);
    send_seg(s, s->iss, JNET__SIM_TCP_SYN | JNET__SIM_TCP_ACK, 0);
    arm(s, s->rto_ns);
    return;
  case JNET__SIM_ST_OPEN:
    break;
  default:
    return;
  }
  if (s->snd_nxt != s->snd_una || SEQ_LT(s->snd_una, s->snd_max)) {
    if (++s->retries > DATA_RETRIES) {
      send_seg(s, s->snd_nxt, JNET__SIM_TCP_RST | JNET__SIM_TCP_ACK, 0);
      finish(s, JNET_ETIMEDOUT);
      return;
    }
    rto_expired(s);
    return;
  }
  uint32_t unsent = s->sndbuf.len;
  /* LCOV_EXCL_BR_LINE below: with nothing outstanding only the persist (window 0; an opening window disarms it) or orphan timer runs */
  if (unsent > 0 && s->snd_wnd == 0) { /* zero-window probe */ /* LCOV_EXCL_BR_LINE */
    send_seg(s, s->snd_una - 1, JNET__SIM_TCP_ACK, 0);
    backoff(s);
    arm_timer(s, s->rto_ns, 1);
    return;
  }
  /* LCOV_EXCL_BR_LINE below: only the persist or the orphan timer runs with nothing outstanding (above) */
  if (s->detached && s->fin_acked) /* orphan timeout (FIN_WAIT2) */ /* LCOV_EXCL_BR_LINE */
    jnet__sim_sock_destroy(s);
}

/* Keepalive (Linux's tcp_keepalive_timer): idle for ka_idle since the
 * last segment received, and nothing outstanding: a probe, then one every
 * ka_intvl; after ka_probes unanswered the connection is reset and ends
 * with ETIMEDOUT. Returns 1 if the connection ended. */
static int keepalive_fire(jnet__sim_sock *s) {
  jnet__sim *sim = s->host->sim;
  if (!s->keepalive || s->state != JNET__SIM_ST_OPEN || s->detached) /* LCOV_EXCL_BR_LINE: ka_at_ns cleared then */
    return 0;
  uint64_t idle = jnet__sim_tcp_host_ka_idle(s->host);
  if (s->snd_max != s->snd_una || s->sndbuf.len > 0) {
    s->ka_at_ns = sim->now_ns + idle; /* the RTO watches the peer */
    return 0;
  }
  uint64_t elapsed = sim->now_ns - s->last_rcv_ns;
  if (elapsed < idle) {
    s->ka_at_ns = s->last_rcv_ns + idle;
    return 0;
  }
  if (s->ka_sent >= jnet__sim_tcp_host_ka_probes(s->host)) {
    send_seg(s, s->snd_nxt, JNET__SIM_TCP_RST | JNET__SIM_TCP_ACK, 0);
    finish(s, JNET_ETIMEDOUT);
    return 1;
  }
  send_seg(s, s->snd_una - 1, JNET__SIM_TCP_ACK, 0);
  s->ka_sent++;
  s->ka_at_ns = sim->now_ns + jnet__sim_tcp_host_ka_intvl(s->host);
  return 0;
}

void jnet__sim_tcp_aux_timer(jnet__sim *sim, jnet__sim_sock *s) {
  uint64_t now = sim->now_ns;
  if (s->delack_at_ns != 0 && s->delack_at_ns <= now) {
    s->delack_at_ns = 0;
    if (s->state == JNET__SIM_ST_OPEN) /* LCOV_EXCL_BR_LINE: finish clears delack_at_ns */
      send_ack(s);
  }
  if (s->ka_at_ns != 0 && s->ka_at_ns <= now) {
    s->ka_at_ns = 0;
    if (keepalive_fire(s))
      return;
  }
  aux_arm(s);
}

/* ---- Input ------------------------------------------------------------------------------ */

static jnet__sim_sock *find_listener(jnet__sim *sim, jnet__sim_host *h,
                                     const jnet__sim_spkt *p) {
  if (p->proto == JNET__SIM_P_USTREAM) {
    for (jnet__sim_sock *o = h->socks; o != NULL; o = o->host_next)
      if (o->proto == JNET__SIM_P_USTREAM && o->state == JNET__SIM_ST_LISTEN &&
          o->local.port == p->dst.port)
        return o;
    return NULL;
  }
  jnet__sim_sock *dual = NULL;
  for (jnet__sim_sock *o =
           jnet__sim_ports_first(sim, h->id, JNET__SIM_P_TCP, p->dst.port);
       o != NULL; o = o->port_next) {
    /* LCOV_EXCL_BR_LINE below: other host or protocol in the chain: a port_key bucket collision */
    if (o->host != h || o->proto != JNET__SIM_P_TCP || /* LCOV_EXCL_BR_LINE */
        /* LCOV_EXCL_BR_LINE below: another port in the chain: a port_key bucket collision (a non-listener: sim-tcp) */
        o->local.port != p->dst.port || o->state != JNET__SIM_ST_LISTEN) /* LCOV_EXCL_BR_LINE */
      continue;
    if (o->local.family == p->dst.family &&
        (jnet__sim_ip_is_any(o->local.family, o->local.ip) ||
         jnet__sim_ip_eq(p->dst.family, o->local.ip, p->dst.ip)))
      return o;
    if (o->local.family == AF_INET6 && p->dst.family == AF_INET &&
        jnet__sim_ip_is_any(AF_INET6, o->local.ip))
      dual = o; /* an IPv6 wildcard listener takes IPv4 too */
  }
  return dual;
}

/* A SYN for a listener: make the embryonic connection, answer SYN-ACK. */
static void passive_open(jnet__sim *sim, jnet__sim_sock *l,
                         const jnet__sim_spkt *p) {
  if (l->aq_len >= l->backlog)
    return; /* queue full: Linux drops the SYN, the client retries */
  jnet__sim_sock *c;
  if (jnet__sim_sock_new(l->host, l->family, 0, &c) < 0)
    return;
  c->child = 1;
  c->local = p->dst;
  c->local.family = p->family;
  c->remote = p->src;
  if (l->family == AF_INET6 && p->family == AF_INET) {
    jnet__sim_ep_map(&c->local);
    jnet__sim_ep_map(&c->remote);
  }
  c->bound = 1;
  c->nodelay = 0;
  /* unix: accepted streams bear the listener's name (none if out of
   * memory) */
  /* LCOV_EXCL_BR_LINE below: unames fails only if its calloc fails (OOM) */
  if (jnet__sim_sock_path(l) != NULL && jnet__sim_sock_unames(c) == 0) /* LCOV_EXCL_BR_LINE */
    c->un->path = jnet__strdup(jnet__sim_sock_path(l));
  c->keepalive = l->keepalive; /* inherited, as on Linux */
  c->wire_port = l->wire_port;
  c->peer_wire_port = p->wire_sport;
  c->irs = p->seq;
  c->rcv_nxt = p->seq + 1;
  c->iss = (uint32_t)jnet__sim_rng_next(&l->host->rng_proto);
  c->snd_una = c->snd_max = c->iss;
  c->snd_nxt = c->iss + 1;
  c->recover = c->iss;
  c->snd_wnd = p->window; /* a SYN's window is never scaled */
  conn_init(c);
  ws_agree(c, p);
  if (p->mss && p->mss < c->mss) /* LCOV_EXCL_BR_LINE: every SYN has an MSS */
    c->mss = p->mss;
  c->state = JNET__SIM_ST_SYN_RCVD;
  c->listener = l;
  jnet__sim_conns_add(c);
  c->rtt_t0_ns = sim->now_ns + 1;
  c->rtt_seq = c->snd_nxt;
  send_seg(c, c->iss, JNET__SIM_TCP_SYN | JNET__SIM_TCP_ACK, 0);
  arm(c, c->rto_ns);
}

/* RTO = SRTT + 4 RTTVAR within [RTO_MIN_NS, RTO_MAX_NS] (RFC 6298). */
static void rto_from_estimate(jnet__sim_sock *s) {
  if (s->srtt_ns == 0)
    return;
  s->rto_ns = s->srtt_ns + 4 * s->rttvar_ns;
  if (s->rto_ns < RTO_MIN_NS)
    s->rto_ns = RTO_MIN_NS;
  if (s->rto_ns > RTO_MAX_NS)
    s->rto_ns = RTO_MAX_NS;
}

static void rtt_sample(jnet__sim_sock *s, uint32_t ack) {
  jnet__sim *sim = s->host->sim;
  if (s->rtt_t0_ns == 0 || SEQ_LT(ack, s->rtt_seq))
    return;
  uint64_t r = sim->now_ns - (s->rtt_t0_ns - 1);
  s->rtt_t0_ns = 0;
  if (s->min_rtt_ns == 0 || r < s->min_rtt_ns)
    s->min_rtt_ns = r;
  if (s->srtt_ns == 0) {
    s->srtt_ns = r;
    s->rttvar_ns = r / 2;
  } else {
    uint64_t d = s->srtt_ns > r ? s->srtt_ns - r : r - s->srtt_ns;
    s->rttvar_ns = (3 * s->rttvar_ns + d) / 4;
    s->srtt_ns = (7 * s->srtt_ns + r) / 8;
  }
  rto_from_estimate(s);
}

/* Three duplicate ACKs: fast retransmit, then fast recovery (RFC 6582). */
static void enter_recovery(jnet__sim_sock *s) {
  s->ssthresh = jnet__sim_tcp_cc(s)->ssthresh(s);
  s->cwnd = s->ssthresh + 3u * s->mss;
  s->cwnd_cnt = 0;
  s->in_recovery = 1;
  s->recover = s->snd_max;
  trace_cc(s, "fast-retransmit");
  rexmit_one(s);
}

/* `acked` new bytes: grow the window (slow start, then the algorithm's
 * congestion avoidance) if the window was what limited the sender. */
static void cwnd_grow(jnet__sim_sock *s, uint32_t acked,
                      uint32_t flight_before) {
  if (s->proto == JNET__SIM_P_USTREAM)
    return;
  int limited = flight_before + s->mss > s->cwnd ||
                (s->cwnd < s->ssthresh && 2 * flight_before >= s->cwnd);
  if (!limited)
    return;
  if (s->cwnd < s->ssthresh) { /* slow start, byte counting (Linux) */
    uint32_t room = s->ssthresh - s->cwnd;
    uint32_t inc = acked < room ? acked : room;
    s->cwnd += inc;
    acked -= inc;
  }
  if (acked > 0 && s->cwnd >= s->ssthresh) /* LCOV_EXCL_BR_LINE: acked left => cwnd >= ssthresh */
    jnet__sim_tcp_cc(s)->cong_avoid(s, acked, s->host->sim->now_ns);
  /* Send buffer autotuning (Linux's tcp_sndbuf_expand): twice the window. */
  uint32_t want = s->cwnd < s->sndbuf.max / 2 ? 2 * s->cwnd : s->sndbuf.max;
  if (want > s->sndbuf_lim)
    s->sndbuf_lim = want;
}

/* Process the ACK field of a segment on an open connection. */
static void ack_input(jnet__sim_sock *s, const jnet__sim_spkt *p) {
  uint32_t ack = p->ack;
  uint32_t wnd = p->window;
  /* The window is taken from a segment that is not older than the last
   * one taken (Linux's tcp_may_update_window): one that acknowledges new
   * data, carries new data, or opens the window. A reordered old ACK
   * therefore cannot shrink it back (to 0, which would leave the sender
   * waiting for a persist probe it has no reason to send). Linux keeps
   * the sequence number of the last update (snd_wl1) and also takes a
   * newer pure ACK that shrinks the window; the model does not keep it
   * (8 more bytes a connection), and its receiver sends a smaller window
   * only with an ACK of new data, so the two agree. Decided before the
   * ACK moves snd_una. */
  const int wnd_update = SEQ_LT(s->snd_una, ack) || wnd > s->snd_wnd ||
                         (p->len > 0 && p->seq == s->rcv_nxt);
  /* A duplicate ACK: nothing new, no data, and not a window update. The
   * model's receiver ACKs before its reader runs, so its window wobbles by
   * a segment or two; only a window that at least doubled (the update a
   * reader sends, see jnet__sim_tcp_read) is an update. */
  int same_wnd = wnd == s->snd_wnd ||
                 (wnd > s->snd_wnd && wnd - s->snd_wnd < s->snd_wnd);
  if (ack == s->snd_una && SEQ_LT(s->snd_una, s->snd_max) && p->len == 0 &&
      !(p->flags & (JNET__SIM_TCP_SYN | JNET__SIM_TCP_FIN)) && same_wnd) {
    s->dupacks++;
    if (s->in_recovery) {
      if (s->proto != JNET__SIM_P_USTREAM) /* LCOV_EXCL_BR_LINE: unix streams: no dupack */
        s->cwnd += s->mss; /* a segment left the network: inflate */
    } else if (s->dupacks == 3 && SEQ_LT(s->recover, ack)) {
      if (s->proto == JNET__SIM_P_USTREAM) { /* LCOV_EXCL_BR_LINE: unix streams: no dupack */
        s->in_recovery = 1;
        s->recover = s->snd_max;
        rexmit_one(s);
      } else {
        enter_recovery(s);
      }
    }
  }
  if (SEQ_LT(s->snd_una, ack) && SEQ_LEQ(ack, s->snd_max)) { /* LCOV_EXCL_BR_LINE: no ACK past snd_max */
    uint32_t flight_before = s->snd_nxt - s->snd_una;
    if (SEQ_LT(s->snd_nxt, ack))
      s->snd_nxt = ack;
    uint32_t acked = ack - s->snd_una;
    uint32_t data = acked < s->sndbuf.len ? acked : s->sndbuf.len;
    if (data > 0)
      ring_consume(s->host->sim, &s->sndbuf, data);
    if (acked > data && s->shut_wr) /* LCOV_EXCL_BR_LINE: a FIN only after shut_wr */
      s->fin_sent = s->fin_acked = 1;
    s->snd_una = ack;
    s->retries = 0;
    rto_from_estimate(s); /* progress ends the backoff (as ns-3, Linux) */
    rtt_sample(s, ack);
    disarm(s);
    if (s->in_recovery) {
      if (SEQ_LEQ(s->recover, ack)) { /* full ACK: recovery ends */
        s->in_recovery = 0;
        s->dupacks = 0;
        if (s->proto != JNET__SIM_P_USTREAM) { /* LCOV_EXCL_BR_LINE: unix: no recovery */
          s->cwnd = s->ssthresh;
          trace_cc(s, "recovered");
        }
      } else { /* partial ACK: the next hole; deflate by what left */
        rexmit_one(s);
        if (s->proto != JNET__SIM_P_USTREAM) { /* LCOV_EXCL_BR_LINE: unix: no recovery */
          s->cwnd -= acked < s->cwnd - s->mss ? acked : s->cwnd - s->mss;
          if (acked >= s->mss)
            s->cwnd += s->mss;
        }
      }
    } else {
      s->dupacks = 0;
      cwnd_grow(s, acked, flight_before);
    }
    if (s->snd_nxt != s->snd_una)
      arm(s, s->rto_ns);
    jnet__sim_sock_ready(s); /* buffer space for a writer */
  }
  if (SEQ_LEQ(s->snd_una, ack) && wnd_update) { /* snd_una may be ack now */
    uint32_t old = s->snd_wnd;
    s->snd_wnd = wnd;
    if (old == 0 && s->snd_wnd > 0 && s->tev.idx != 0 && s->snd_nxt == s->snd_una)
      disarm(s); /* the window opened: stop probing */
  }
}

/* Take segment p's bytes from offset `skip` (p->seq + skip == rcv_nxt). */
static void accept_seg(jnet__sim_sock *s, const jnet__sim_spkt *p,
                       uint32_t skip) {
  uint32_t take = p->len - skip;
  if (s->shut_rd) {
    s->rcv_nxt += take; /* read side shut: swallow */
  } else {
    if (take > rcv_space(s)) /* LCOV_EXCL_BR_LINE: senders keep to the window */
      take = rcv_space(s);
    if (take > 0 &&
        ring_append(s->host->sim, &s->rcvbuf, p->data + skip, take,
                    s->rcvbuf.max) < 0)
      take = 0;
    s->rcv_nxt += take;
  }
  if ((p->flags & JNET__SIM_TCP_FIN) && skip + take == p->len) { /* LCOV_EXCL_BR_LINE: a FIN goes alone (len 0) */
    s->rcv_nxt++;
    s->fin_rcvd = 1;
  }
}

/* In-order data arrived: ACK now (quick ACKs at the start, a second full
 * segment, a FIN, unix streams) or within DELACK_NS. */
static void ack_or_delay(jnet__sim_sock *s, const jnet__sim_spkt *p) {
  if (s->proto == JNET__SIM_P_USTREAM || (p->flags & JNET__SIM_TCP_FIN) ||
      s->ooo != NULL || s->rcv_nxt - s->rcv_acked > s->mss) { /* LCOV_EXCL_BR_LINE: ooo is empty here (filled == 0) */
    s->ack_pending = 1;
    return;
  }
  if (s->quick_acks > 0) {
    s->quick_acks--;
    s->ack_pending = 1;
    return;
  }
  if (s->delack_at_ns == 0) {
    s->delack_at_ns = s->host->sim->now_ns + DELACK_NS;
    aux_arm(s);
  }
}

/* The segment's payload and FIN: in order into rcvbuf, past a hole into
 * ooo. Returns 1 if the packet was kept (in ooo), -1 if s was freed. */
static int data_input(jnet__sim *sim, jnet__sim_sock *s, jnet__sim_spkt *p) {
  if (s->detached && p->len > 0 && SEQ_LEQ(s->rcv_nxt, p->seq) &&
      !s->fin_rcvd) { /* data for a closed socket */ /* LCOV_EXCL_BR_LINE: nothing follows a FIN */
    send_seg(s, s->snd_nxt, JNET__SIM_TCP_RST | JNET__SIM_TCP_ACK, 0);
    jnet__sim_sock_destroy(s);
    return -1;
  }
  if (p->seq == s->rcv_nxt && !s->fin_rcvd) { /* LCOV_EXCL_BR_LINE: nothing follows a FIN */
    int filled = s->ooo != NULL;
    accept_seg(s, p, 0);
    while (s->ooo != NULL && SEQ_LEQ(s->ooo->seq, s->rcv_nxt) &&
           !s->fin_rcvd) { /* LCOV_EXCL_BR_LINE: nothing follows a FIN */
      jnet__sim_spkt *q = s->ooo;
      s->ooo = q->next;
      s->ooo_bytes -= q->len;
      uint32_t skip = s->rcv_nxt - q->seq;
      if (skip < q->len || (skip == q->len && (q->flags & JNET__SIM_TCP_FIN)))
        accept_seg(s, q, skip);
      jnet__sim_pkt_free(sim, q);
    }
    jnet__sim_sock_ready(s);
    if (filled)
      s->ack_pending = 1; /* a hole filled: tell the sender at once */
    else
      ack_or_delay(s, p);
    return 0;
  }
  int kept = 0;
  if (SEQ_LT(s->rcv_nxt, p->seq) && !s->fin_rcvd && /* LCOV_EXCL_BR_LINE: see 943, 985 */
      p->seq - s->rcv_nxt + p->len <= rcv_space(s) &&
      s->ooo_bytes + p->len <= s->rcvbuf.max) {
    jnet__sim_spkt **pp = &s->ooo;
    while (*pp != NULL && SEQ_LT((*pp)->seq, p->seq))
      pp = &(*pp)->next;
    if (*pp == NULL || (*pp)->seq != p->seq) {
      p->next = *pp;
      *pp = p;
      s->ooo_bytes += p->len;
      kept = 1;
    }
  }
  s->ack_pending = 1; /* out of order or old: a duplicate ACK at once */
  return kept;
}

static void handshake_done(jnet__sim_sock *s) {
  s->state = JNET__SIM_ST_OPEN;
  s->syn_acked = 1;
  s->retries = 0;
  conn_start(s);
}

/* p acknowledges our SYN (its ACK is snd_nxt): the connection is open,
 * from either end of the handshake. */
static void syn_acked(jnet__sim_sock *s, const jnet__sim_spkt *p) {
  s->snd_una = p->ack;
  s->snd_wnd = p->window;
  rtt_sample(s, p->ack);
  disarm(s);
  handshake_done(s);
}

/* A connecting socket's SYN is acknowledged by p: open, wake the connect,
 * and send what was written meanwhile (with an ACK of their SYN if p
 * carried it). */
static void open_active(jnet__sim_sock *s, const jnet__sim_spkt *p,
                        int ack_syn) {
  syn_acked(s, p);
  if (ack_syn)
    send_ack(s);
  jnet__sim_sock_ready(s);
  jnet__sim_tcp_output(s);
}

void jnet__sim_tcp_input(jnet__sim *sim, jnet__sim_spkt *p) {
  jnet__sim_host *h = sim->hosts[p->to];
  jnet__sim_sock *s =
      jnet__sim_conns_find(sim, h->id, p->proto, p->dst.port, &p->src);
  if (s == NULL && p->family == AF_INET && p->proto == JNET__SIM_P_TCP) {
    jnet__sim_ep mapped = p->src; /* a dual-stack connection's */
    jnet__sim_ep_map(&mapped);
    s = jnet__sim_conns_find(sim, h->id, p->proto, p->dst.port, &mapped);
  }
  if (s == NULL) {
    jnet__sim_sock *l = NULL;
    if ((p->flags & (JNET__SIM_TCP_SYN | JNET__SIM_TCP_ACK |
                     JNET__SIM_TCP_RST)) == JNET__SIM_TCP_SYN)
      l = find_listener(sim, h, p);
    if (l != NULL)
      passive_open(sim, l, p);
    else
      send_rst_for(sim, p);
    jnet__sim_pkt_free(sim, p);
    return;
  }
  uint8_t f = p->flags;
  if (f & JNET__SIM_TCP_RST) {
    if (s->state == JNET__SIM_ST_SYN_SENT) {
      if ((f & JNET__SIM_TCP_ACK) && p->ack == s->snd_nxt) /* LCOV_EXCL_BR_LINE: a SYN's RST acks ISS+1 */
        finish(s, JNET_ECONNREFUSED);
    } else if (s->state == JNET__SIM_ST_SYN_RCVD) {
      jnet__sim_sock_destroy(s);
    } else {
      finish(s, JNET_ECONNRESET);
    }
    jnet__sim_pkt_free(sim, p);
    return;
  }
  s->last_rcv_ns = sim->now_ns;
  s->ka_sent = 0;
  switch (s->state) { /* LCOV_EXCL_BR_LINE: only these states are in conns */
  case JNET__SIM_ST_SYN_SENT:
    if ((f & JNET__SIM_TCP_ACK) && p->ack != s->snd_nxt) {
      send_rst_for(sim, p);
    } else if (f & JNET__SIM_TCP_SYN) {
      /* The SYN-ACK; or, without ACK, the peer's own SYN: a simultaneous
       * open (RFC 793 3.4, Linux's tcp_rcv_synsent_state_process), which
       * answers with SYN-ACK and completes on the peer's SYN-ACK. */
      s->irs = p->seq;
      s->rcv_nxt = p->seq + 1;
      s->snd_wnd = p->window; /* a SYN's window is never scaled */
      ws_agree(s, p);
      if (p->mss && p->mss < s->mss) /* LCOV_EXCL_BR_LINE: every SYN has an MSS */
        s->mss = p->mss;
      if (f & JNET__SIM_TCP_ACK) {
        open_active(s, p, 1);
      } else {
        s->peer_syn = 1;
        send_seg(s, s->iss, JNET__SIM_TCP_SYN | JNET__SIM_TCP_ACK, 0);
      }
    /* LCOV_EXCL_BR_LINE below: without SYN, only a peer that had our SYN acks it, and it had sent its own (peer_syn); every such segment carries ACK */
    } else if ((f & JNET__SIM_TCP_ACK) && s->peer_syn) { /* LCOV_EXCL_BR_LINE */
      open_active(s, p, 0); /* the ACK of our SYN-ACK (theirs was lost) */
    }
    jnet__sim_pkt_free(sim, p);
    return;
  case JNET__SIM_ST_SYN_RCVD:
    if ((f & JNET__SIM_TCP_SYN) && p->seq == s->irs) {
      send_seg(s, s->iss, JNET__SIM_TCP_SYN | JNET__SIM_TCP_ACK, 0);
      jnet__sim_pkt_free(sim, p);
      return;
    }
    if (!(f & JNET__SIM_TCP_ACK) || p->ack != s->snd_nxt) {
      /* An ACK of something this connection never sent (a stale peer's):
       * reset it, and stay half-open (RFC 793 3.4, Linux's listener) */
      if (f & JNET__SIM_TCP_ACK)
        send_rst_for(sim, p);
      jnet__sim_pkt_free(sim, p);
      return;
    }
    syn_acked(s, p);
    {
      jnet__sim_sock *l = s->listener;
      s->aq_next = NULL;
      if (l->aq_tail)
        l->aq_tail->aq_next = s;
      else
        l->aq_head = s;
      l->aq_tail = s;
      l->aq_len++;
      jnet__sim_sock_ready(l);
    }
    break;
  case JNET__SIM_ST_OPEN:
    if (f & JNET__SIM_TCP_SYN) { /* our ACK of the SYN-ACK was lost */
      send_ack(s);
      jnet__sim_pkt_free(sim, p);
      return;
    }
    if (f & JNET__SIM_TCP_ACK) /* LCOV_EXCL_BR_LINE: all but SYNs carry ACK */
      ack_input(s, p);
    break;
  default:
    jnet__sim_pkt_free(sim, p);
    return;
  }
  int kept = 0;
  if (p->len > 0 || (f & JNET__SIM_TCP_FIN)) {
    kept = data_input(sim, s, p);
    if (kept < 0) {
      jnet__sim_pkt_free(sim, p);
      return;
    }
  } else if (p->seq == s->rcv_nxt - 1) {
    s->ack_pending = 1; /* a window or keepalive probe */
  }
  if (!kept)
    jnet__sim_pkt_free(sim, p);
  jnet__sim_tcp_output(s); /* data carries the ACK, if there is data */
  if (s->ack_pending)
    send_ack(s);
  if (maybe_reap(s))
    return;
  if (s->detached && s->fin_acked && s->tev.idx == 0)
    arm_timer(s, ORPHAN_NS, 1);
}
