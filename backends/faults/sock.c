/* sock.c — the fault backend's sockets: each wraps an inner socket, passes
 * operations straight through when no rule touches its bytes, and else runs
 * them through its two delay lines (faults_internal.h says how).
 *
 * Sections: 1. lifecycle  2. connection faults  3. the rx line (read,
 * recv_from)  4. the tx line (write, send_to)  5. accept, connect  6. the
 * synchronous slots, cancel and close.
 *
 * Completions the caller sees always come from inside poll(): the inner
 * backend's callbacks, or our timers, which poll fires. A change made from
 * a fiber (a rule, a reset) arms a timer for "now" instead of completing.
 */
#include <assert.h>
#include <inttypes.h>
#include <string.h>

#include "faults_internal.h"

#define RX_CHUNK_BYTES (64 * 1024) /* one inner read on the rx line */
#define RX_AHEAD_BYTES (256 * 1024) /* read ahead while bytes wait */
#define TX_CAP_BYTES (256 * 1024)   /* queued before a write waits */
#define PACE_NS 20000000ull         /* bandwidth: segments of 20 ms */
#define PACE_BURST_NS 100000000ull  /* and up to 100 ms of catching up */

static const jnet_fault_params no_faults;

static const jnet_backend *inb(const jnet_bsock *s) { return s->f->inner; }

/* The rule for the socket's peer (the every-peer rule when unconnected). */
static const jnet_fault_params *rule_of(jnet_bsock *s, const jnet_addr *a) {
  const jnet_fault_params *p = jnet__fbk_rule_for(s->f, a != NULL     ? a
                                                        : s->has_peer ? &s->peer
                                                                      : NULL);
  return p != NULL ? p : &no_faults;
}

/* No fault that touches the bytes: the op may go straight through. */
static int quiet(const jnet_fault_params *p) {
  const jnet_link_params *l = &p->link;
  return l->latency_ns == 0 && l->jitter_ns == 0 && l->bandwidth_bps == 0 &&
         l->loss == 0 && l->duplicate == 0 && l->reorder == 0 &&
         l->corrupt == 0 && !p->blackhole && p->slice_bytes == 0;
}

static const jnet_addr *peer_of(const jnet_bsock *s) {
  return s->has_peer ? &s->peer : NULL;
}

static void complete(jnet_req *req, ssize_t result) {
  req->result = result;
  req->owner_ = NULL;
  req->cb(req);
}

static uint64_t pace_ns(uint64_t bps, size_t n) {
  return bps == 0 ? 0 : (uint64_t)((double)n * 8e9 / (double)bps);
}

static size_t pace_bytes(uint64_t bps) {
  size_t n = (size_t)((double)bps / 8.0 * ((double)PACE_NS / 1e9));
  return n < 512 ? 512 : n;
}

static uint64_t max64(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* The next free time after sending n bytes at bps: a token bucket
 * PACE_BURST_NS deep, so a late timer or a busy machine does not lower
 * the rate; the first bytes of a socket get no credit. */
static uint64_t pace_after(uint64_t free_ns, uint64_t now, uint64_t bps,
                           size_t n) {
  uint64_t base = free_ns == 0                      ? now
                  : free_ns + PACE_BURST_NS >= now ? free_ns
                                                   : now - PACE_BURST_NS;
  return base + pace_ns(bps, n);
}

/* ---- 1. Lifecycle ------------------------------------------------------------ */

static void rx_fire(jnet__fbk_timer *t);
static void tx_fire(jnet__fbk_timer *t);
static void life_fire(jnet__fbk_timer *t);
static void close_fire(jnet__fbk_timer *t);
static void rd_done(jnet_req *in);
static void wr_done(jnet_req *in);
static void cn_done(jnet_req *in);

static jnet_bsock *sock_new(jnet_faults *f, jnet_bsock *inner, int type) {
  jnet_bsock *s = jnet__calloc(1, sizeof *s);
  if (s == NULL)
    return NULL;
  s->f = f;
  s->inner = inner;
  s->type = type;
  s->id = f->nsocks_made++;
  jnet__fbk_rng_seed(&s->rng_tx, f->seed, s->id, 1);
  jnet__fbk_rng_seed(&s->rng_rx, f->seed, s->id, 2);
  jnet__fbk_timer_init(&s->rx_timer, rx_fire, s);
  jnet__fbk_timer_init(&s->tx_timer, tx_fire, s);
  jnet__fbk_timer_init(&s->life_timer, life_fire, s);
  jnet__fbk_timer_init(&s->close_timer, close_fire, s);
  s->rd_in.cb = rd_done;
  s->rd_in.data = s;
  s->wr_in.cb = wr_done;
  s->wr_in.data = s;
  s->cn_in.cb = cn_done;
  s->cn_in.data = s;
  s->next = f->socks;
  if (f->socks != NULL)
    f->socks->prev = s;
  f->socks = s;
  return s;
}

static void queue_free(jnet__fbk_chunk **q) {
  while (*q != NULL) {
    jnet__fbk_chunk *c = *q;
    *q = c->next;
    jnet__free(c);
  }
}

/* Stop what runs on the inner socket: in-flight requests and timers. */
static void sock_quiesce(jnet_bsock *s) {
  jnet_faults *f = s->f;
  if (s->rx_inflight)
    inb(s)->cancel(inb(s), &s->rd_in);
  if (s->tx_inflight)
    inb(s)->cancel(inb(s), &s->wr_in);
  s->rx_inflight = s->tx_inflight = 0;
  s->rd_direct = s->wr_direct = 0;
  jnet__fbk_timer_stop(f, &s->rx_timer);
  jnet__fbk_timer_stop(f, &s->tx_timer);
  jnet__fbk_timer_stop(f, &s->life_timer);
}

/* Close the inner socket and free ours. */
static void sock_free(jnet_bsock *s) {
  jnet_faults *f = s->f;
  sock_quiesce(s);
  if (s->cn != NULL || s->cn_accept)
    inb(s)->cancel(inb(s), &s->cn_in);
  jnet__fbk_timer_stop(f, &s->close_timer);
  if (s->inner != NULL)
    inb(s)->close(inb(s), s->inner);
  queue_free(&s->rxq);
  queue_free(&s->txq);
  jnet__free(s->rxbuf);
  if (s->prev != NULL)
    s->prev->next = s->next;
  else
    f->socks = s->next;
  if (s->next != NULL)
    s->next->prev = s->prev;
  jnet__free(s);
}

void jnet__fbk_sock_close_all(jnet_faults *f) {
  while (f->socks != NULL)
    sock_free(f->socks);
}

int jnet__fbk_sock_socket(const jnet_backend *b, jnet_node *node, int family,
                          int type, jnet_bsock **out) {
  jnet_faults *f = jnet__fbk_of(b);
  int err = jnet__fbk_call(f, JNET_FAULTS_SOCKET, NULL);
  if (err < 0)
    return err;
  jnet_bsock *inner = NULL;
  err = f->inner->socket(f->inner, node, family, type, &inner);
  if (err < 0)
    return err;
  jnet_bsock *s = sock_new(f, inner, type);
  if (s == NULL) {
    f->inner->close(f->inner, inner);
    return JNET_ENOMEM;
  }
  *out = s;
  return 0;
}

/* ---- 2. Connection faults ---------------------------------------------------- */

/* Pending requests learn the new state on the next poll. */
static void settle(jnet_bsock *s) {
  uint64_t now = jnet__fbk_now(s->f);
  if (s->rd != NULL)
    (void)jnet__fbk_timer_start(s->f, &s->rx_timer, now);
  if (s->wr != NULL || s->txq != NULL)
    (void)jnet__fbk_timer_start(s->f, &s->tx_timer, now);
}

/* Abort an inner stream connection: a connect to AF_UNSPEC disconnects a
 * TCP socket with a RST on Linux (as SO_LINGER 0 would on close). A
 * backend that refuses it still closes the socket later. */
static void abort_inner(const jnet_backend *in, jnet_bsock *inner) {
  jnet_req r;
  memset(&r, 0, sizeof r);
  r.addr.u.sa.sa_family = AF_UNSPEC;
  r.addr.len = (socklen_t)sizeof(struct sockaddr);
  if (in->connect(in, inner, &r) == 0)
    in->cancel(in, &r);
}

int jnet__fbk_sock_reset(jnet_bsock *s, const char *why) {
  if (s->state != JNET__FBK_SOCK_OPEN || s->type != JNET_STREAM ||
      s->inner == NULL || !s->has_peer)
    return 0;
  jnet__fbk_log(s->f, &s->peer, "reset", "%s", why);
  s->state = JNET__FBK_SOCK_RESET;
  int closing = s->closing;
  sock_quiesce(s);
  abort_inner(inb(s), s->inner);
  queue_free(&s->rxq);
  queue_free(&s->txq);
  s->rxq_bytes = s->txq_bytes = 0;
  if (closing)
    (void)jnet__fbk_timer_start(s->f, &s->tx_timer, jnet__fbk_now(s->f));
  settle(s);
  return 1;
}

/* close_after_ns: shut the connection both ways, as a peer closing would. */
static void life_fire(jnet__fbk_timer *t) {
  jnet_bsock *s = t->data;
  if (s->state != JNET__FBK_SOCK_OPEN || s->closing)
    return;
  jnet__fbk_log(s->f, &s->peer, "close", "after %.3fs",
                (double)rule_of(s, NULL)->close_after_ns / 1e9);
  s->state = JNET__FBK_SOCK_SHUT;
  sock_quiesce(s);
  (void)inb(s)->shutdown(inb(s), s->inner, JNET_SHUT_RDWR);
  queue_free(&s->rxq);
  queue_free(&s->txq);
  s->rxq_bytes = s->txq_bytes = 0;
  settle(s);
}

/* A connection is up: its peer is known, its lifetime starts. */
static void connected(jnet_bsock *s) {
  const jnet_fault_params *p = rule_of(s, NULL);
  if (p->close_after_ns > 0)
    (void)jnet__fbk_timer_start(s->f, &s->life_timer,
                                jnet__fbk_now(s->f) + p->close_after_ns);
}

static ssize_t dead_result(const jnet_bsock *s, int reading) {
  if (s->state == JNET__FBK_SOCK_RESET)
    return JNET_ECONNRESET;
  return reading ? 0 : JNET_EPIPE;
}

/* Count bytes toward reset_after_bytes; reset once the limit is reached. */
static void count_bytes(jnet_bsock *s, size_t n) {
  s->bytes += n;
  const jnet_fault_params *p = rule_of(s, NULL);
  if (s->type == JNET_STREAM && p->reset_after_bytes > 0 &&
      s->bytes >= p->reset_after_bytes)
    jnet__fbk_sock_reset(s, "after bytes");
}

/* How many of n bytes may still go before reset_after_bytes. */
static size_t reset_clamp(jnet_bsock *s, size_t n) {
  const jnet_fault_params *p = rule_of(s, NULL);
  if (s->type != JNET_STREAM || p->reset_after_bytes == 0)
    return n;
  uint64_t left =
      p->reset_after_bytes > s->bytes ? p->reset_after_bytes - s->bytes : 0;
  return left < n ? (size_t)left : n;
}

/* ---- 3. The rx line ---------------------------------------------------------- */

static jnet__fbk_chunk *chunk_new(const void *p, size_t n) {
  jnet__fbk_chunk *c = jnet__malloc(sizeof *c + n);
  if (c == NULL)
    return NULL;
  memset(c, 0, sizeof *c);
  if (n > 0)
    memcpy(c->data, p, n);
  c->len = n;
  return c;
}

/* Insert by due time, after every chunk due no later (stable). */
static void chunk_insert(jnet__fbk_chunk **q, jnet__fbk_chunk *c) {
  while (*q != NULL && (*q)->due_ns <= c->due_ns)
    q = &(*q)->next;
  c->next = *q;
  *q = c;
}

/* The datagram faults: one fixed set of draws per datagram. Returns how
 * many copies to queue (0 lost, 1, 2 duplicated) and sets *extra_ns. */
static int dgram_fate(jnet_bsock *s, jnet__fbk_rng *r,
                      const jnet_fault_params *p, const jnet_addr *who,
                      const char *dir, char *data, size_t n,
                      uint64_t *delay_ns) {
  const jnet_link_params *l = &p->link;
  double u_loss = jnet__fbk_rng_unit(r), u_dup = jnet__fbk_rng_unit(r);
  double u_cor = jnet__fbk_rng_unit(r), u_ro = jnet__fbk_rng_unit(r);
  uint64_t bit = jnet__fbk_rng_next(r);
  uint64_t jit = jnet__fbk_rng_jitter(r, l->jitter_dist, l->jitter_ns);
  *delay_ns = l->latency_ns + jit;
  if (p->blackhole) {
    jnet__fbk_log(s->f, who, "blackhole", "%s %zu bytes", dir, n);
    return 0;
  }
  if (u_loss < l->loss) {
    jnet__fbk_log(s->f, who, "drop", "%s %zu bytes", dir, n);
    return 0;
  }
  if (n > 0 && u_cor < l->corrupt) {
    size_t at = (size_t)(bit % (n * 8));
    data[at / 8] = (char)(data[at / 8] ^ (1 << (at % 8)));
    jnet__fbk_log(s->f, who, "corrupt", "%s bit %zu", dir, at);
  }
  if (u_ro < l->reorder) {
    uint64_t extra = l->reorder_ns ? l->reorder_ns : 2 * l->latency_ns;
    if (extra < 1000000)
      extra = 1000000;
    *delay_ns += extra;
    jnet__fbk_log(s->f, who, "reorder", "%s +%.1fms", dir, (double)extra / 1e6);
  }
  if (*delay_ns > 0 && (l->latency_ns || l->jitter_ns))
    jnet__fbk_log(s->f, who, "delay", "%s %.1fms", dir,
                  (double)*delay_ns / 1e6);
  if (u_dup < l->duplicate) {
    jnet__fbk_log(s->f, who, "duplicate", "%s %zu bytes", dir, n);
    return 2;
  }
  return 1;
}

/* The inner socket read `n` bytes (or EOF, or an error) into rxbuf:
 * queue them for their delivery time. */
static void rx_arrived(jnet_bsock *s, ssize_t n, const jnet_addr *from) {
  uint64_t now = jnet__fbk_now(s->f);
  const jnet_addr *who = s->type == JNET_DATAGRAM && from ? from : peer_of(s);
  const jnet_fault_params *p = rule_of(s, who);
  const jnet_link_params *l = &p->link;
  if (s->type == JNET_DATAGRAM && n >= 0) {
    uint64_t delay = 0;
    int copies = dgram_fate(s, &s->rng_rx, p, who, "rx", s->rxbuf, (size_t)n,
                            &delay);
    for (int i = 0; i < copies; i++) {
      jnet__fbk_chunk *c = chunk_new(s->rxbuf, (size_t)n);
      if (c == NULL)
        return; /* out of memory: the datagram is lost, as on a real host */
      c->due_ns = now + delay;
      if (from != NULL) {
        c->addr = *from;
        c->has_addr = 1;
      }
      chunk_insert(&s->rxq, c);
      s->rxq_bytes += (size_t)n;
    }
    return;
  }
  jnet__fbk_chunk *c = chunk_new(s->rxbuf, n > 0 ? (size_t)n : 0);
  if (c == NULL) {
    c = chunk_new(NULL, 0);
    if (c == NULL)
      return;
    n = JNET_ENOMEM;
  }
  c->kind = n > 0    ? JNET__FBK_CHUNK_DATA
            : n == 0 ? JNET__FBK_CHUNK_EOF
                     : JNET__FBK_CHUNK_ERR;
  c->err = n < 0 ? n : 0;
  if (n <= 0 && s->type == JNET_STREAM)
    s->rx_eof = 1; /* the stream ended: no further read-ahead (the inner
                      socket would answer the same at once, again and again) */
  if (n > 0 && p->blackhole) {
    jnet__fbk_log(s->f, who, "blackhole", "rx %zd bytes", n);
    jnet__free(c);
    return;
  }
  uint64_t delay =
      l->latency_ns +
      jnet__fbk_rng_jitter(&s->rng_rx, l->jitter_dist, l->jitter_ns);
  if (n > 0 && delay > 0)
    jnet__fbk_log(s->f, who, "delay", "rx %zd bytes %.1fms", n,
                  (double)delay / 1e6);
  c->due_ns = max64(now + delay, s->rx_last_ns); /* a stream keeps order */
  s->rx_last_ns = c->due_ns;
  chunk_insert(&s->rxq, c);
  s->rxq_bytes += c->len;
}

/* Deliver from the head chunk into req (due now). */
static void rx_deliver(jnet_bsock *s, jnet_req *req) {
  jnet__fbk_chunk *c = s->rxq;
  const jnet_fault_params *p = rule_of(s, c->has_addr ? &c->addr : NULL);
  if (c->kind != JNET__FBK_CHUNK_DATA) {
    req->result = c->kind == JNET__FBK_CHUNK_EOF ? 0 : c->err;
    if (c->kind == JNET__FBK_CHUNK_EOF)
      s->rx_eof = 1;
    s->rxq = c->next;
    jnet__free(c);
    return;
  }
  size_t n = c->len - c->off;
  if (s->type == JNET_DATAGRAM) {
    if (n > req->len)
      n = req->len; /* truncated, as recv(2) */
    if (c->has_addr)
      req->addr = c->addr;
  } else {
    if (n > req->len)
      n = req->len;
    n = reset_clamp(s, n);
    if (n == 0) {
      jnet__fbk_sock_reset(s, "after bytes");
      req->result = JNET_ECONNRESET;
      return;
    }
  }
  if (n > 0)
    memcpy(req->buf, c->data + c->off, n);
  c->off += n;
  req->result = (ssize_t)n;
  uint64_t now = jnet__fbk_now(s->f);
  if (p->link.bandwidth_bps > 0)
    s->rx_free_ns = pace_after(s->rx_free_ns, now, p->link.bandwidth_bps, n);
  s->rxq_bytes -= s->type == JNET_DATAGRAM ? c->len : n;
  if (s->type == JNET_DATAGRAM || c->off == c->len) {
    s->rxq = c->next;
    jnet__free(c);
  }
  if (s->type == JNET_STREAM)
    count_bytes(s, n);
}

/* Start an inner read for the rx line (into rxbuf). 1 if it completed at
 * once (queued already), 0 if in flight or not possible. */
static int rx_fill(jnet_bsock *s) {
  const jnet_fault_params *p = rule_of(s, NULL);
  if (s->rx_inflight || s->rx_eof || p->blackhole ||
      s->rxq_bytes >= RX_AHEAD_BYTES)
    return 0;
  if (s->rxbuf == NULL) {
    s->rxbuf = jnet__malloc(RX_CHUNK_BYTES);
    if (s->rxbuf == NULL)
      return 0;
    s->rxcap = RX_CHUNK_BYTES;
  }
  size_t want = s->rxcap;
  if (s->type == JNET_STREAM && p->link.bandwidth_bps > 0 &&
      pace_bytes(p->link.bandwidth_bps) < want)
    want = pace_bytes(p->link.bandwidth_bps);
  jnet_req *in = &s->rd_in;
  in->buf = s->rxbuf;
  in->len = want;
  int r = s->type == JNET_DATAGRAM ? inb(s)->recv_from(inb(s), s->inner, in)
                                   : inb(s)->read(inb(s), s->inner, in);
  if (r == 0) {
    s->rx_inflight = 1;
    s->rd_direct = 0;
    return 0;
  }
  ssize_t n = r == 1 ? in->result : r;
  rx_arrived(s, n, s->type == JNET_DATAGRAM && n >= 0 ? &in->addr : NULL);
  return 1;
}

/* Straight through: the inner op reads into the caller's buffer. */
static int rx_direct(jnet_bsock *s, jnet_req *req, int from) {
  jnet_req *in = &s->rd_in;
  size_t len = reset_clamp(s, req->len);
  if (len == 0) {
    jnet__fbk_sock_reset(s, "after bytes");
    req->result = JNET_ECONNRESET;
    return 1;
  }
  in->buf = req->buf;
  in->len = len;
  int r = from ? inb(s)->recv_from(inb(s), s->inner, in)
               : inb(s)->read(inb(s), s->inner, in);
  if (r == 0) {
    s->rx_inflight = 1;
    s->rd_direct = 1;
    return 0;
  }
  req->result = r == 1 ? in->result : r;
  if (from && req->result >= 0)
    req->addr = in->addr;
  if (req->result > 0 && s->type == JNET_STREAM)
    count_bytes(s, (size_t)req->result);
  return 1;
}

/* Try to satisfy req now: 1 with req->result set, else 0 with an inner
 * read in flight or a timer armed (or a blackhole holding it). */
static int rx_try(jnet_bsock *s, jnet_req *req, int from) {
  for (int round = 0; round < 64; round++) {
    if (s->state != JNET__FBK_SOCK_OPEN) {
      req->result = dead_result(s, 1);
      return 1;
    }
    if (s->rxq != NULL) {
      uint64_t now = jnet__fbk_now(s->f);
      uint64_t at = max64(s->rxq->due_ns, s->rx_free_ns);
      if (at <= now) {
        rx_deliver(s, req);
        return 1;
      }
      (void)jnet__fbk_timer_start(s->f, &s->rx_timer, at);
      if (!s->rx_inflight && rx_fill(s))
        continue; /* the read-ahead completed at once: look again */
      return 0;
    }
    if (s->rx_eof && s->type == JNET_STREAM) {
      req->result = 0;
      return 1;
    }
    if (s->rx_inflight)
      return 0;
    const jnet_fault_params *p = rule_of(s, NULL);
    int direct = s->has_peer || s->type == JNET_STREAM ? quiet(p)
                                                       : s->f->nrules == 0;
    if (direct)
      return rx_direct(s, req, from);
    if (p->blackhole)
      return 0; /* held until the rule changes (kick) or the caller gives up */
    if (!rx_fill(s))
      return 0;
  }
  /* a burst of datagrams, all lost: go on from the next poll */
  (void)jnet__fbk_timer_start(s->f, &s->rx_timer, jnet__fbk_now(s->f));
  return 0;
}

/* Complete the parked read if it can be. */
static void rx_run(jnet_bsock *s) {
  jnet_req *req = s->rd;
  if (req == NULL)
    return;
  int from = req->upriv_[1] != 0;
  if (rx_try(s, req, from)) {
    s->rd = NULL;
    complete(req, req->result);
  }
}

static void rx_fire(jnet__fbk_timer *t) { rx_run(t->data); }

static void rd_done(jnet_req *in) {
  jnet_bsock *s = in->data;
  s->rx_inflight = 0;
  if (s->rd_direct) {
    s->rd_direct = 0;
    jnet_req *req = s->rd;
    s->rd = NULL;
    if (req->upriv_[1] != 0 && in->result >= 0)
      req->addr = in->addr;
    if (in->result > 0 && s->type == JNET_STREAM)
      count_bytes(s, (size_t)in->result);
    complete(req, in->result);
    return;
  }
  rx_arrived(s, in->result,
             s->type == JNET_DATAGRAM && in->result >= 0 ? &in->addr : NULL);
  rx_run(s);
}

static int rd_start(const jnet_backend *b, jnet_bsock *s, jnet_req *req,
                    int slot, int from) {
  req->owner_ = NULL;
  req->upriv_[1] = (uint64_t)from;
  int err = jnet__fbk_call(jnet__fbk_of(b), slot, peer_of(s));
  if (err < 0) {
    req->result = err;
    return 1;
  }
  if (rx_try(s, req, from))
    return 1;
  s->rd = req;
  req->owner_ = s;
  return 0;
}

int jnet__fbk_sock_read(const jnet_backend *b, jnet_bsock *s, jnet_req *req) {
  return rd_start(b, s, req, JNET_FAULTS_READ, 0);
}

int jnet__fbk_sock_recv_from(const jnet_backend *b, jnet_bsock *s,
                             jnet_req *req) {
  return rd_start(b, s, req, JNET_FAULTS_RECV_FROM, 1);
}

/* ---- 4. The tx line ------------------------------------------------------------ */

/* Queue a copy of the caller's bytes for their departure time. */
static int tx_queue(jnet_bsock *s, const jnet_fault_params *p, jnet_req *req,
                    int to) {
  uint64_t now = jnet__fbk_now(s->f);
  const jnet_link_params *l = &p->link;
  const jnet_addr *who = to ? &req->addr : peer_of(s);
  if (s->type == JNET_DATAGRAM) {
    jnet__fbk_chunk *c = chunk_new(req->buf, req->len);
    if (c == NULL)
      return JNET_ENOMEM;
    uint64_t delay = 0;
    int copies =
        dgram_fate(s, &s->rng_tx, p, who, "tx", c->data, c->len, &delay);
    for (int i = 0; i < copies; i++) {
      jnet__fbk_chunk *d = i == 0 ? c : chunk_new(c->data, c->len);
      if (d == NULL)
        break;
      d->due_ns = now + delay;
      if (to) {
        d->addr = req->addr;
        d->has_addr = 1;
      }
      chunk_insert(&s->txq, d);
      s->txq_bytes += d->len;
    }
    if (copies == 0)
      jnet__free(c);
    return 0;
  }
  if (p->blackhole) {
    jnet__fbk_log(s->f, who, "blackhole", "tx %zu bytes", req->len);
    return 0;
  }
  jnet__fbk_chunk *c = chunk_new(req->buf, req->len);
  if (c == NULL)
    return JNET_ENOMEM;
  uint64_t delay =
      l->latency_ns +
      jnet__fbk_rng_jitter(&s->rng_tx, l->jitter_dist, l->jitter_ns);
  if (delay > 0)
    jnet__fbk_log(s->f, who, "delay", "tx %zu bytes %.1fms", req->len,
                  (double)delay / 1e6);
  c->due_ns = max64(now + delay, s->tx_last_ns);
  s->tx_last_ns = c->due_ns;
  chunk_insert(&s->txq, c);
  s->txq_bytes += c->len;
  return 0;
}

/* One segment of the head chunk went out (or failed). */
static void tx_sent(jnet_bsock *s, ssize_t result) {
  jnet__fbk_chunk *c = s->txq;
  size_t n = s->wr_in.len;
  if (c == NULL)
    return;
  if (result < 0 && s->type == JNET_STREAM) {
    /* the connection failed under queued bytes: later writes say so */
    s->state =
        result == JNET_ECONNRESET ? JNET__FBK_SOCK_RESET : JNET__FBK_SOCK_SHUT;
    queue_free(&s->txq);
    s->txq_bytes = 0;
    return;
  }
  size_t done = s->type == JNET_DATAGRAM ? c->len - c->off : n;
  c->off += done;
  s->txq_bytes -= done;
  uint64_t now = jnet__fbk_now(s->f);
  const jnet_fault_params *p = rule_of(s, c->has_addr ? &c->addr : NULL);
  if (p->link.bandwidth_bps > 0)
    s->tx_free_ns = pace_after(s->tx_free_ns, now, p->link.bandwidth_bps, n);
  if (c->off == c->len) {
    s->txq = c->next;
    jnet__free(c);
  } else if (p->slice_bytes > 0) {
    c->due_ns = now + p->slice_delay_ns;
  }
  if (s->type == JNET_STREAM)
    count_bytes(s, n);
}

static void really_close(jnet_bsock *s);

/* Send what is due; wake a writer waiting for room; finish a close. May
 * free s (a close whose queue drained): callers return right after. */
static void tx_pump(jnet_bsock *s) {
  for (int round = 0; round < 1024; round++) {
    if (s->tx_inflight || s->txq == NULL || s->state != JNET__FBK_SOCK_OPEN)
      break;
    jnet__fbk_chunk *c = s->txq;
    const jnet_fault_params *p = rule_of(s, c->has_addr ? &c->addr : NULL);
    uint64_t now = jnet__fbk_now(s->f);
    uint64_t at = max64(c->due_ns, s->tx_free_ns);
    if (at > now) {
      (void)jnet__fbk_timer_start(s->f, &s->tx_timer, at);
      break;
    }
    size_t n = c->len - c->off;
    if (s->type == JNET_STREAM) {
      if (p->slice_bytes > 0 && n > p->slice_bytes) {
        n = p->slice_bytes;
        jnet__fbk_log(s->f, peer_of(s), "slice", "tx %zu of %zu bytes", n,
                      c->len - c->off);
      }
      if (p->link.bandwidth_bps > 0 && n > pace_bytes(p->link.bandwidth_bps))
        n = pace_bytes(p->link.bandwidth_bps);
      n = reset_clamp(s, n);
      if (n == 0) {
        jnet__fbk_sock_reset(s, "after bytes");
        break;
      }
    }
    jnet_req *in = &s->wr_in;
    in->buf = c->data + c->off;
    in->len = n;
    int r;
    if (c->has_addr) {
      in->addr = c->addr;
      r = inb(s)->send_to(inb(s), s->inner, in);
    } else {
      r = inb(s)->write(inb(s), s->inner, in);
    }
    if (r == 0) {
      s->tx_inflight = 1;
      s->wr_direct = 0;
      break;
    }
    tx_sent(s, r == 1 ? in->result : r);
  }
  if (s->wr != NULL && !s->wr_direct &&
      (s->state != JNET__FBK_SOCK_OPEN || s->txq_bytes <= TX_CAP_BYTES)) {
    jnet_req *req = s->wr;
    s->wr = NULL;
    complete(req, s->state != JNET__FBK_SOCK_OPEN ? dead_result(s, 0) : 0);
  }
  if (s->txq == NULL && !s->tx_inflight && s->state == JNET__FBK_SOCK_OPEN &&
      s->shut_wr_due) {
    s->shut_wr_due = 0;
    (void)inb(s)->shutdown(inb(s), s->inner, JNET_SHUT_WR);
  }
  if (s->closing &&
      ((s->txq == NULL && !s->tx_inflight) || s->state != JNET__FBK_SOCK_OPEN))
    really_close(s);
}

static void tx_fire(jnet__fbk_timer *t) { tx_pump(t->data); }

static void wr_done(jnet_req *in) {
  jnet_bsock *s = in->data;
  s->tx_inflight = 0;
  if (s->wr_direct) {
    s->wr_direct = 0;
    jnet_req *req = s->wr;
    s->wr = NULL;
    ssize_t r = in->result;
    if (r == 0 && s->type == JNET_STREAM) {
      count_bytes(s, in->len);
      if (s->wr_reset)
        r = JNET_ECONNRESET;
    }
    s->wr_reset = 0;
    complete(req, r);
    return;
  }
  tx_sent(s, in->result);
  tx_pump(s);
}

/* Straight through from the caller's buffer, cut at reset_after_bytes. */
static int tx_direct(jnet_bsock *s, jnet_req *req, int to) {
  jnet_req *in = &s->wr_in;
  size_t len = reset_clamp(s, req->len);
  if (len == 0) {
    jnet__fbk_sock_reset(s, "after bytes");
    req->result = JNET_ECONNRESET;
    return 1;
  }
  s->wr_reset = len < req->len;
  in->buf = req->buf;
  in->len = len;
  if (to)
    in->addr = req->addr;
  int r = to ? inb(s)->send_to(inb(s), s->inner, in)
             : inb(s)->write(inb(s), s->inner, in);
  if (r == 0) {
    s->tx_inflight = 1;
    s->wr_direct = 1;
    return 0;
  }
  req->result = r == 1 ? in->result : r;
  if (req->result == 0 && s->type == JNET_STREAM) {
    count_bytes(s, len);
    if (s->wr_reset)
      req->result = JNET_ECONNRESET;
  }
  s->wr_reset = 0;
  return 1;
}

static int wr_start(const jnet_backend *b, jnet_bsock *s, jnet_req *req,
                    int slot, int to) {
  req->owner_ = NULL;
  const jnet_addr *who = to ? &req->addr : peer_of(s);
  int err = jnet__fbk_call(jnet__fbk_of(b), slot, who);
  if (err < 0) {
    req->result = err;
    return 1;
  }
  if (s->state != JNET__FBK_SOCK_OPEN) {
    req->result = dead_result(s, 0);
    return 1;
  }
  const jnet_fault_params *p = rule_of(s, to ? &req->addr : NULL);
  if (quiet(p) && s->txq == NULL && !s->tx_inflight) {
    if (tx_direct(s, req, to))
      return 1;
    s->wr = req;
    req->owner_ = s;
    return 0;
  }
  err = tx_queue(s, p, req, to);
  if (err < 0) {
    req->result = err;
    return 1;
  }
  tx_pump(s);
  if (s->state != JNET__FBK_SOCK_OPEN) {
    req->result = dead_result(s, 0);
    return 1;
  }
  if (s->txq_bytes <= TX_CAP_BYTES) {
    req->result = 0;
    return 1;
  }
  s->wr = req;
  req->owner_ = s;
  return 0;
}

int jnet__fbk_sock_write(const jnet_backend *b, jnet_bsock *s, jnet_req *req) {
  return wr_start(b, s, req, JNET_FAULTS_WRITE, 0);
}

int jnet__fbk_sock_send_to(const jnet_backend *b, jnet_bsock *s,
                           jnet_req *req) {
  return wr_start(b, s, req, JNET_FAULTS_SEND_TO, 1);
}

/* ---- 5. Accept and connect --------------------------------------------------- */

/* Wrap a connection the inner listener accepted; 1 if req got it, 0 if
 * a rule refused it (reset at once: accept again). */
static int adopt(jnet_bsock *lsn, jnet_req *req, jnet_req *in) {
  if (in->result < 0) {
    req->result = in->result;
    req->sock = NULL;
    return 1;
  }
  jnet_addr peer;
  memset(&peer, 0, sizeof peer);
  int has_peer = inb(lsn)->peername(inb(lsn), in->sock, &peer) == 0;
  const jnet_fault_params *p = rule_of(lsn, has_peer ? &peer : NULL);
  if (p->refuse && has_peer) {
    jnet__fbk_log(lsn->f, &peer, "refuse", "accept");
    abort_inner(inb(lsn), in->sock);
    inb(lsn)->close(inb(lsn), in->sock);
    return 0;
  }
  jnet_bsock *s = sock_new(lsn->f, in->sock, JNET_STREAM);
  if (s == NULL) {
    inb(lsn)->close(inb(lsn), in->sock);
    req->result = JNET_ENOMEM;
    req->sock = NULL;
    return 1;
  }
  s->peer = peer;
  s->has_peer = has_peer;
  connected(s);
  req->result = 0;
  req->sock = s;
  return 1;
}

/* Accept until one is taken or the inner accept parks. */
static int accept_more(jnet_bsock *lsn, jnet_req *req) {
  for (int round = 0; round < 1024; round++) {
    lsn->cn_in.sock = NULL;
    int r = inb(lsn)->accept(inb(lsn), lsn->inner, &lsn->cn_in);
    if (r < 0) {
      req->result = r;
      return 1;
    }
    if (r == 0) {
      lsn->cn_accept = 1;
      return 0;
    }
    if (adopt(lsn, req, &lsn->cn_in))
      return 1;
  }
  req->result = JNET_EAGAIN;
  return 1;
}

int jnet__fbk_sock_accept(const jnet_backend *b, jnet_bsock *s, jnet_req *req) {
  req->owner_ = NULL;
  req->sock = NULL;
  int err = jnet__fbk_call(jnet__fbk_of(b), JNET_FAULTS_ACCEPT, NULL);
  if (err < 0) {
    req->result = err;
    return 1;
  }
  if (accept_more(s, req))
    return 1;
  s->cn = req;
  req->owner_ = s;
  return 0;
}

int jnet__fbk_sock_connect(const jnet_backend *b, jnet_bsock *s,
                           jnet_req *req) {
  req->owner_ = NULL;
  int err = jnet__fbk_call(jnet__fbk_of(b), JNET_FAULTS_CONNECT, &req->addr);
  if (err < 0) {
    req->result = err;
    return 1;
  }
  const jnet_fault_params *p = rule_of(s, &req->addr);
  if (p->refuse && s->type == JNET_STREAM) {
    jnet__fbk_log(s->f, &req->addr, "refuse", "connect");
    req->result = JNET_ECONNREFUSED;
    return 1;
  }
  s->cn_in.addr = req->addr;
  int r = inb(s)->connect(inb(s), s->inner, &s->cn_in);
  if (r < 0)
    return r;
  s->peer = req->addr;
  s->has_peer = req->addr.u.sa.sa_family == AF_INET ||
                req->addr.u.sa.sa_family == AF_INET6;
  if (r == 1) {
    req->result = s->cn_in.result;
    if (req->result == 0)
      connected(s);
    return 1;
  }
  s->cn_accept = 0;
  s->cn = req;
  req->owner_ = s;
  return 0;
}

static void cn_done(jnet_req *in) {
  jnet_bsock *s = in->data;
  jnet_req *req = s->cn;
  if (s->cn_accept) {
    s->cn_accept = 0;
    if (!adopt(s, req, in) && !accept_more(s, req))
      return; /* parked again for the next connection */
    s->cn = NULL;
    complete(req, req->result);
    return;
  }
  s->cn = NULL;
  if (in->result == 0)
    connected(s);
  complete(req, in->result);
}

/* ---- 6. Synchronous slots, cancel, close ----------------------------------- */

int jnet__fbk_sock_bind(const jnet_backend *b, jnet_bsock *s,
                        const jnet_addr *a) {
  int err = jnet__fbk_call(jnet__fbk_of(b), JNET_FAULTS_BIND, NULL);
  return err < 0 ? err : inb(s)->bind(inb(s), s->inner, a);
}

int jnet__fbk_sock_listen(const jnet_backend *b, jnet_bsock *s, int backlog) {
  int err = jnet__fbk_call(jnet__fbk_of(b), JNET_FAULTS_LISTEN, NULL);
  return err < 0 ? err : inb(s)->listen(inb(s), s->inner, backlog);
}

int jnet__fbk_sock_shutdown(const jnet_backend *b, jnet_bsock *s, int mode) {
  int err = jnet__fbk_call(jnet__fbk_of(b), JNET_FAULTS_SHUTDOWN, peer_of(s));
  if (err < 0)
    return err;
  if (s->state != JNET__FBK_SOCK_OPEN)
    return 0; /* a fault already ended the connection */
  int wr = mode == JNET_SHUT_WR || mode == JNET_SHUT_RDWR;
  if (wr && (s->txq != NULL || s->tx_inflight) && !s->wr_direct) {
    /* the queued bytes go first, then the FIN */
    s->shut_wr_due = 1;
    if (mode == JNET_SHUT_RDWR)
      mode = JNET_SHUT_RD;
    else
      return 0;
  }
  if (mode == JNET_SHUT_RD || mode == JNET_SHUT_RDWR) {
    queue_free(&s->rxq);
    s->rxq_bytes = 0;
  }
  return inb(s)->shutdown(inb(s), s->inner, mode);
}

int jnet__fbk_sock_setsockopt(const jnet_backend *b, jnet_bsock *s, int option,
                              jnet_optval v) {
  int err = jnet__fbk_call(jnet__fbk_of(b), JNET_FAULTS_SETSOCKOPT, NULL);
  return err < 0 ? err : inb(s)->setsockopt(inb(s), s->inner, option, v);
}

int jnet__fbk_sock_nodelay(const jnet_backend *b, jnet_bsock *s, int on) {
  (void)b;
  return inb(s)->nodelay(inb(s), s->inner, on);
}

int jnet__fbk_sock_localname(const jnet_backend *b, jnet_bsock *s,
                             jnet_addr *out) {
  (void)b;
  return inb(s)->localname(inb(s), s->inner, out);
}

int jnet__fbk_sock_peername(const jnet_backend *b, jnet_bsock *s,
                            jnet_addr *out) {
  (void)b;
  return inb(s)->peername(inb(s), s->inner, out);
}

void jnet__fbk_sock_cancel(const jnet_backend *b, jnet_req *req) {
  (void)b;
  jnet_bsock *s = req->owner_;
  req->owner_ = NULL;
  if (s == NULL)
    return;
  if (s->rd == req) {
    s->rd = NULL;
    if (s->rx_inflight)
      inb(s)->cancel(inb(s), &s->rd_in);
    s->rx_inflight = 0;
    s->rd_direct = 0;
    jnet__fbk_timer_stop(s->f, &s->rx_timer);
  } else if (s->wr == req) {
    s->wr = NULL;
    if (s->wr_direct) { /* a queued write's bytes stay queued */
      inb(s)->cancel(inb(s), &s->wr_in);
      s->tx_inflight = 0;
      s->wr_direct = 0;
    }
  } else if (s->cn == req) {
    s->cn = NULL;
    s->cn_accept = 0;
    inb(s)->cancel(inb(s), &s->cn_in);
  }
}

static void really_close(jnet_bsock *s) {
  const jnet_fault_params *p = rule_of(s, NULL);
  s->closing = 0; /* no second pass through the pump */
  if (p->slow_close_ns > 0 && s->state == JNET__FBK_SOCK_OPEN && s->has_peer &&
      s->type == JNET_STREAM) {
    jnet__fbk_log(s->f, &s->peer, "slow-close", "%.1fms",
                  (double)p->slow_close_ns / 1e6);
    sock_quiesce(s);
    (void)jnet__fbk_timer_start(s->f, &s->close_timer,
                                jnet__fbk_now(s->f) + p->slow_close_ns);
    return;
  }
  sock_free(s);
}

static void close_fire(jnet__fbk_timer *t) { sock_free(t->data); }

/* The API cancelled every request first. Bytes still queued go out before
 * the inner socket closes (as the kernel sends a closed socket's buffer). */
void jnet__fbk_sock_close(const jnet_backend *b, jnet_bsock *s) {
  (void)b;
  if (s->cn_accept) {
    inb(s)->cancel(inb(s), &s->cn_in);
    s->cn_accept = 0;
  }
  if (s->rx_inflight)
    inb(s)->cancel(inb(s), &s->rd_in);
  s->rx_inflight = 0;
  jnet__fbk_timer_stop(s->f, &s->rx_timer);
  jnet__fbk_timer_stop(s->f, &s->life_timer);
  queue_free(&s->rxq);
  s->rxq_bytes = 0;
  s->closing = 1;
  if (s->state == JNET__FBK_SOCK_OPEN && (s->txq != NULL || s->tx_inflight))
    return; /* tx_pump finishes the close */
  really_close(s);
}

void jnet__fbk_sock_kick_all(jnet_faults *f) {
  for (jnet_bsock *s = f->socks; s != NULL; s = s->next)
    if (!s->closing)
      settle(s);
}
