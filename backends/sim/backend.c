/* backend.c — the sim backend: the jnet_backend vtable adapted onto the
 * network model's non-blocking sockets (sim/model.h).
 *
 * Each socket has three request slots (read side, write side, accept or
 * connect). An operation first tries the model; if the model says
 * JNET_EAGAIN the request waits in its slot, and when the model reports the
 * socket ready (from inside poll, after an event) every waiting request is
 * tried again and completed through its callback. A datagram arriving for
 * a recv_from that waits alone on an empty queue completes it straight
 * (on_dgram), as that retry would. */
#include <string.h>

#include <jnet/jnet_backend.h>
#include "model.h"

#define SAME(a, b) ((int)(a) == (int)(b))
_Static_assert(SAME(JNET_SO_BROADCAST, JNET__SIM_SO_BROADCAST) &&
                   SAME(JNET_IPV6_LEAVE_GROUP, JNET__SIM_IPV6_LEAVE_GROUP) &&
                   SAME(JNET_IP_MULTICAST_TTL, JNET__SIM_IP_MULTICAST_TTL),
               "option values of jnet.h and sim/model.h differ");
_Static_assert(SAME(JNET_OPT_BOOL, JNET__SIM_OPT_BOOL) &&
                   SAME(JNET_OPT_STR, JNET__SIM_OPT_STR),
               "option types differ");
_Static_assert(SAME(JNET_SHUT_RD, JNET__SIM_SHUT_RD) &&
                   SAME(JNET_SHUT_WR, JNET__SIM_SHUT_WR),
               "shutdown modes differ");
_Static_assert(SAME(JNET_STREAM, JNET__SIM_SOCK_STREAM) &&
                   SAME(JNET_DATAGRAM, JNET__SIM_SOCK_DGRAM),
               "socket types differ");

/* What bk_poll's deepest path needs, with room for a jnet_sim_at
 * callback's own frames (jnet_sim.h). */
#define JNET__SIM_POLL_STACK ((size_t)16 * 1024)

enum { SLOT_READ = 0, SLOT_WRITE = 1, SLOT_CONN = 2 };
enum { OP_READ = 1, OP_RECV_FROM, OP_WRITE, OP_SEND_TO, OP_ACCEPT, OP_CONNECT };

typedef struct simbk {
  jnet_backend b;
  jnet_sim *sim;
  jnet_backend_hooks hooks;
  void *loop_arg;
  int started;
} simbk;

#define SIM(b) (((simbk *)(b)->app_data)->sim)
#define SOCK(bs) ((jnet__sim_sock *)(bs))

/* The request's private words, named: the operation it stands for (OP_*),
 * and how many bytes of a write the model has taken so far. */
static inline int req_op(const jnet_req *req) {
  return (int)(intptr_t)req->priv_[0];
}
static inline void req_set_op(jnet_req *req, int op) {
  req->priv_[0] = (void *)(intptr_t)op;
}
#define REQ_WRITTEN(req) ((req)->upriv_[0])

/* ---- Trying operations --------------------------------------------------------- */

static void put_addr(jnet_addr *a, const struct sockaddr_storage *ss,
                     socklen_t len) {
  memset(a, 0, sizeof *a);
  memcpy(&a->u.ss, ss, len);
  a->len = len;
}

/* Try req's operation once: 1 done (req->result set), 0 must wait. */
static inline __attribute__((always_inline)) int try_op(jnet__sim_sock *s,
                                                        jnet_req *req) {
  ssize_t r;
  switch (req_op(req)) {
  case OP_READ:
    r = jnet__sim_sock_read(s, req->buf, req->len);
    break;
  case OP_RECV_FROM: {
    if (jnet__sim_dgram_would_block(s)) { /* most first tries find nothing */
      r = JNET_EAGAIN;
      break;
    }
    /* The sender goes straight into the request: the model writes the
     * whole sockaddr (as the kernel does for the uv backend). */
    socklen_t sl = 0;
    if (s->family == AF_UNIX)
      memset(&req->addr, 0, sizeof req->addr);
    r = jnet__sim_sock_recvfrom(s, req->buf, req->len, &req->addr.u.ss, &sl);
    if (r >= 0)
      req->addr.len = sl;
    break;
  }
  case OP_WRITE:
    for (;;) {
      size_t off = (size_t)REQ_WRITTEN(req);
      r = jnet__sim_sock_write(s, (const char *)req->buf + off, req->len - off);
      if (r < 0)
        break;
      REQ_WRITTEN(req) += (uint64_t)r;
      if (s->type == JNET__SIM_SOCK_DGRAM || REQ_WRITTEN(req) >= req->len) {
        r = 0;
        break;
      }
    }
    break;
  case OP_SEND_TO:
    r = jnet__sim_sock_sendto(s, req->buf, req->len, &req->addr.u.sa,
                              req->addr.len);
    if (r > 0)
      r = 0;
    break;
  case OP_ACCEPT: {
    jnet__sim_sock *c = NULL;
    r = jnet__sim_sock_accept(s, &c);
    if (r == 0)
      req->sock = (jnet_bsock *)c;
    break;
  }
  case OP_CONNECT:
    r = jnet__sim_sock_connect_result(s);
    break;
  default:
    r = JNET_EINVAL;
  }
  if (r == JNET_EAGAIN)
    return 0;
  req->result = r;
  return 1;
}

/* Start an operation: done now (1) or parked in its slot (0). */
static inline int start_op(jnet__sim_sock *s, jnet_req *req, int op, int slot) {
  req_set_op(req, op);
  REQ_WRITTEN(req) = 0;
  req->owner_ = (jnet_bsock *)s;
  req->sock = NULL;
  if (try_op(s, req)) {
    req->owner_ = NULL; /* nothing pending: a later cancel is a no-op */
    return 1;
  }
  s->user[slot] = req;
  return 0;
}

/* Retry the request waiting in s's slot, if any; complete it if done. */
static inline void retry(simbk *bk, jnet__sim_sock *s, int slot) {
  jnet_req *req = s->user[slot];
  if (req == NULL || !try_op(s, req))
    return;
  s->user[slot] = NULL;
  req->owner_ = NULL;
  bk->sim->completions++;
  req->cb(req);
}

/* The model says s changed: retry what waits on it, in a fixed order. */
static void on_ready(void *owner, jnet__sim_sock *s) {
  simbk *bk = owner;
  if (s->user[SLOT_CONN] != NULL)
    retry(bk, s, SLOT_CONN);
  retry(bk, s, SLOT_READ);
  if (s->user[SLOT_WRITE] != NULL)
    retry(bk, s, SLOT_WRITE);
}

/* A datagram for s, before it is queued (model.h): a recv_from waiting
 * alone on s completes with it now, as on_ready would after queueing it. */
static int on_dgram(void *owner, jnet__sim_sock *s, jnet__sim_spkt *p) {
  simbk *bk = owner;
  jnet_req *req = s->user[SLOT_READ];
  if (req == NULL || req_op(req) != OP_RECV_FROM ||
      s->user[SLOT_CONN] != NULL || s->user[SLOT_WRITE] != NULL)
    return 0;
  socklen_t sl = 0;
  req->result =
      jnet__sim_udp_take(s, p, req->buf, req->len, &req->addr.u.ss, &sl);
  req->addr.len = sl;
  s->user[SLOT_READ] = NULL;
  req->owner_ = NULL;
  bk->sim->completions++;
  req->cb(req);
  return 1;
}

static void on_node_down(void *owner, jnet_node *h) {
  simbk *bk = owner;
  if (bk->started && bk->hooks.node_down)
    bk->hooks.node_down(bk->loop_arg, h);
}

static void on_node_up(void *owner, jnet_node *h) {
  simbk *bk = owner;
  if (bk->started && bk->hooks.node_up)
    bk->hooks.node_up(bk->loop_arg, h);
}

/* ---- The vtable ------------------------------------------------------------------- */

static int bk_start(const jnet_backend *b, const jnet_backend_hooks *hooks,
                    void *loop_arg) {
  simbk *bk = b->app_data;
  if (bk->started)
    return JNET_EBUSY;
  bk->started = 1;
  if (hooks != NULL)
    bk->hooks = *hooks;
  bk->loop_arg = loop_arg;
  bk->sim->owner = bk;
  bk->sim->on_ready = on_ready;
  bk->sim->on_dgram = on_dgram;
  bk->sim->on_node_down = on_node_down;
  bk->sim->on_node_up = on_node_up;
  return 0;
}

static void bk_stop(const jnet_backend *b) {
  simbk *bk = b->app_data;
  bk->started = 0;
  memset(&bk->hooks, 0, sizeof bk->hooks);
  bk->loop_arg = NULL;
  /* Close what the loop left open (the API closes its streams first, so
   * this finds only sockets it never saw); lingering closed sockets stay
   * in the model to finish their FIN exchange. */
  for (uint32_t i = 0; i < bk->sim->nhosts; i++) {
    jnet__sim_sock *s = bk->sim->hosts[i]->socks;
    while (s != NULL) {
      if (s->detached || s->listener != NULL) { /* closed, or a listener's */
        s = s->host_next;
        continue;
      }
      jnet__sim_sock_close(s); /* may free others too: start over */
      s = bk->sim->hosts[i]->socks;
    }
  }
}

static jnet_node *bk_default_node(const jnet_backend *b) {
  jnet_sim *sim = SIM(b);
  return sim->nhosts > 0 ? sim->hosts[0] : NULL;
}

static uint64_t bk_now_ns(const jnet_backend *b) { return SIM(b)->now_ns; }

static uint64_t bk_random(const jnet_backend *b, jnet_node *node) {
  if (node == NULL)
    node = bk_default_node(b);
  return node ? jnet__sim_host_random(node) : 0;
}

static int bk_poll(const jnet_backend *b, uint64_t deadline_ns, int block) {
  return jnet__sim_run(SIM(b), deadline_ns, block);
}

static int bk_resolve(const jnet_backend *b, jnet_node *node, jnet_req *req,
                      const char *host, const char *port, int type,
                      int passive) {
  (void)node;
  (void)type;
  jnet__sim_ep some[32], *eps = some;
  int n = jnet__sim_resolve(SIM(b), host, port, passive, eps, 32);
  size_t k = n > 0 && (size_t)n < req->naddrs ? (size_t)n : req->naddrs;
  if (n > 32 && k > 32) { /* more records than fit here, and room for them */
    eps = jnet__malloc(k * sizeof *eps);
    if (eps == NULL) {
      req->result = JNET_ENOMEM;
      return 1;
    }
    n = jnet__sim_resolve(SIM(b), host, port, passive, eps, k);
  }
  for (size_t i = 0; n > 0 && i < k; i++) {
    struct sockaddr_storage ss;
    socklen_t len = jnet__sim_ep_to_sa(&eps[i], &ss);
    put_addr(&req->addrs[i], &ss, len);
  }
  if (eps != some)
    jnet__free(eps);
  req->result = n;
  return 1;
}

static int bk_socket(const jnet_backend *b, jnet_node *node, int family,
                     int type, jnet_bsock **out) {
  (void)b;
  jnet__sim_sock *s;
  int err = jnet__sim_sock_new(node, family, type, &s);
  if (err == 0)
    *out = (jnet_bsock *)s;
  return err;
}

static int bk_bind(const jnet_backend *b, jnet_bsock *s,
                   const jnet_addr *addr) {
  (void)b;
  if (addr == NULL)
    return JNET_EINVAL;
  return jnet__sim_sock_bind(SOCK(s), &addr->u.sa, addr->len);
}

static int bk_listen(const jnet_backend *b, jnet_bsock *s, int backlog) {
  (void)b;
  return jnet__sim_sock_listen(SOCK(s), backlog);
}

static int bk_accept(const jnet_backend *b, jnet_bsock *s, jnet_req *req) {
  (void)b;
  if (SOCK(s)->state != JNET__SIM_ST_LISTEN) {
    req->result = JNET_EINVAL;
    return 1;
  }
  return start_op(SOCK(s), req, OP_ACCEPT, SLOT_CONN);
}

static int bk_connect(const jnet_backend *b, jnet_bsock *bs, jnet_req *req) {
  (void)b;
  jnet__sim_sock *s = SOCK(bs);
  int r = jnet__sim_sock_connect(s, &req->addr.u.sa, req->addr.len);
  if (r != JNET_EAGAIN) {
    req->result = r;
    return 1;
  }
  return start_op(s, req, OP_CONNECT, SLOT_CONN);
}

static int bk_read(const jnet_backend *b, jnet_bsock *s, jnet_req *req) {
  (void)b;
  return start_op(SOCK(s), req, OP_READ, SLOT_READ);
}

static int bk_write(const jnet_backend *b, jnet_bsock *s, jnet_req *req) {
  (void)b;
  return start_op(SOCK(s), req, OP_WRITE, SLOT_WRITE);
}

/* A datagram send never waits: it is done now, without the request's
 * bookkeeping for a wait (start_op's try_op, OP_SEND_TO, does the same). */
static int bk_send_to(const jnet_backend *b, jnet_bsock *s, jnet_req *req) {
  (void)b;
  jnet__sim_sock *ss = SOCK(s);
  if (ss->type != JNET__SIM_SOCK_STREAM) {
    ssize_t r = jnet__sim_udp_sendto(ss, req->buf, req->len, &req->addr.u.sa);
    req->result = r > 0 ? 0 : r;
    return 1;
  }
  return start_op(ss, req, OP_SEND_TO, SLOT_WRITE);
}

/* bk_send_to's datagram case without the request (version 5). */
static int bk_send_to_now(const jnet_backend *b, jnet_bsock *s,
                          const void *buf, size_t len, const jnet_addr *dst) {
  (void)b;
  jnet__sim_sock *ss = SOCK(s);
  if (ss->type == JNET__SIM_SOCK_STREAM) /* LCOV_EXCL_BR_LINE: the API sends to datagram sockets only */
    return 1; /* bk_send_to's request path */
  ssize_t r;
  if (!jnet__sim_udp_send_v4(ss, buf, len, &dst->u.sa, &r)) /* inline */
    r = jnet__sim_udp_sendto_all(ss, buf, len, &dst->u.sa);
  return r > 0 ? 0 : (int)r;
}

static int bk_recv_from(const jnet_backend *b, jnet_bsock *s, jnet_req *req) {
  (void)b;
  return start_op(SOCK(s), req, OP_RECV_FROM, SLOT_READ);
}

static void bk_cancel(const jnet_backend *b, jnet_req *req) {
  (void)b;
  jnet__sim_sock *s = SOCK(req->owner_);
  if (s == NULL)
    return;
  for (int i = 0; i < 3; i++)
    if (s->user[i] == req)
      s->user[i] = NULL;
  req->owner_ = NULL;
}

static int bk_shutdown(const jnet_backend *b, jnet_bsock *s, int mode) {
  (void)b;
  return jnet__sim_sock_shutdown(SOCK(s), mode);
}

static int bk_setsockopt(const jnet_backend *b, jnet_bsock *s, int option,
                         jnet_optval v) {
  (void)b;
  int ival = v.type == JNET_OPT_BOOL ? v.u.b : v.type == JNET_OPT_INT ? v.u.i : 0;
  const char *sval = v.type == JNET_OPT_STR ? v.u.s : NULL;
  return jnet__sim_sock_setopt(SOCK(s), option, v.type, ival, sval);
}

static int bk_nodelay(const jnet_backend *b, jnet_bsock *s, int on) {
  (void)b;
  return jnet__sim_sock_nodelay(SOCK(s), on);
}

static int name(jnet_bsock *s, int peer, jnet_addr *out) {
  if (out == NULL)
    return JNET_EINVAL;
  struct sockaddr_storage ss;
  socklen_t len = 0;
  int err = jnet__sim_sock_name(SOCK(s), peer, &ss, &len);
  if (err == 0)
    put_addr(out, &ss, len);
  return err;
}

static int bk_localname(const jnet_backend *b, jnet_bsock *s, jnet_addr *out) {
  (void)b;
  return name(s, 0, out);
}

static int bk_peername(const jnet_backend *b, jnet_bsock *s, jnet_addr *out) {
  (void)b;
  return name(s, 1, out);
}

static void bk_close(const jnet_backend *b, jnet_bsock *s) {
  (void)b;
  jnet__sim_sock_close(SOCK(s));
}

static void bk_free(void *p) { jnet__free(p); }

/* Compares pointers only: `node` may be garbage or another sim's host. */
static void bk_resumed(const jnet_backend *b, uint64_t n) {
  SIM(b)->resumptions += n;
}

static int bk_node_check(const jnet_backend *b, jnet_node *node) {
  jnet_sim *sim = SIM(b);
  for (uint32_t i = 0; i < sim->nhosts; i++)
    if (sim->hosts[i] == node)
      return 0;
  return JNET_EINVAL;
}

const jnet_backend *jnet_sim_backend(jnet_sim *sim) {
  if (sim == NULL)
    return NULL;
  if (sim->backend != NULL)
    return &((simbk *)sim->backend)->b;
  simbk *bk = jnet__calloc(1, sizeof *bk);
  if (bk == NULL)
    return NULL;
  bk->sim = sim;
  jnet_backend *b = &bk->b;
  b->version = JNET_BACKEND_VERSION;
  b->name = "sim";
  b->app_data = bk;
  b->start = bk_start;
  b->stop = bk_stop;
  b->destroy = NULL; /* the sim owns it */
  b->default_node = bk_default_node;
  b->now_ns = bk_now_ns;
  b->random = bk_random;
  b->poll = bk_poll;
  b->resolve = bk_resolve;
  b->socket = bk_socket;
  b->bind = bk_bind;
  b->listen = bk_listen;
  b->accept = bk_accept;
  b->connect = bk_connect;
  b->read = bk_read;
  b->write = bk_write;
  b->send_to = bk_send_to;
  b->recv_from = bk_recv_from;
  b->cancel = bk_cancel;
  b->shutdown = bk_shutdown;
  b->setsockopt = bk_setsockopt;
  b->nodelay = bk_nodelay;
  b->localname = bk_localname;
  b->peername = bk_peername;
  b->close = bk_close;
  b->node_check = bk_node_check; /* version 2 */
  b->resumed = bk_resumed;       /* version 3 */
  /* version 4: a few KiB down to the API's completion (no large locals on
   * the model's paths); jnet_sim_at callbacks and node hooks run within */
  b->poll_stack_bytes = JNET__SIM_POLL_STACK;
  b->clock_in_poll = 1; /* virtual time moves only in jnet__sim_run */
  b->send_to_now = bk_send_to_now; /* version 5 */
  b->clock_ns = &sim->now_ns;
  b->resumptions = &sim->resumptions;
  sim->backend = bk;
  sim->backend_free = bk_free;
  return b;
}
