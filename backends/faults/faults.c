/* faults.c — the fault-injecting backend: creation, rules, the fault log,
 * armed call failures, the PRNG, the timer heap and the loop slots (start,
 * stop, poll, clock, resolve), all forwarding to the inner backend.
 *
 * Sections: 1. PRNG  2. timers  3. rules and log  4. call failures
 *           5. loop slots  6. resolve  7. creation
 */
#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "faults_internal.h"
#include "jnet_mix.h"

/* ---- 1. PRNG ---------------------------------------------------------------- */


/* The stream (seed, a, b): splitmix64 over their mix fills the state. */
void jnet__fbk_rng_seed(jnet__fbk_rng *r, uint64_t seed, uint64_t a,
                        uint64_t b) {
  uint64_t x = jnet__fmix64(seed ^ jnet__splitmix64(a) ^ jnet__fmix64(~b));
  for (int i = 0; i < 4; i++) {
    x += JNET__GOLDEN_GAMMA;
    r->s[i] = jnet__fmix64(x);
  }
}

uint64_t jnet__fbk_rng_next(jnet__fbk_rng *r) {
  return jnet__xoshiro_next(r->s);
}

double jnet__fbk_rng_unit(jnet__fbk_rng *r) { return jnet__xoshiro_unit(r->s); }

/* The extra delay for `dist` (the sim's distributions, sim/rng.c). Two
 * draws, whatever the distribution, so a stream stays aligned when the
 * parameters change. */
uint64_t jnet__fbk_rng_jitter(jnet__fbk_rng *r, int dist, uint64_t jitter_ns) {
  double u1 = 1.0 - jnet__fbk_rng_unit(r), u2 = jnet__fbk_rng_unit(r);
  double j = (double)jitter_ns, x;
  if (jitter_ns == 0)
    return 0;
  switch (dist) {
  case JNET_JITTER_NORMAL: /* |N(0, j)| by Box-Muller */
    x = fabs(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2)) * j;
    break;
  case JNET_JITTER_EXPONENTIAL:
    x = -log(u1) * j;
    break;
  case JNET_JITTER_PARETO: /* shape 2, scale j/2: mean j */
    x = (j / 2.0) / sqrt(u1);
    break;
  default:
    x = u2 * j;
    break;
  }
  if (x > 3600e9)
    x = 3600e9; /* an hour is plenty; keeps the cast defined */
  return (uint64_t)x;
}

/* ---- 2. Timers: a binary min-heap on (at_ns, seq) ------------------------- */

static int tless(const jnet__fbk_timer *a, const jnet__fbk_timer *b) {
  return a->at_ns < b->at_ns || (a->at_ns == b->at_ns && a->seq < b->seq);
}

static void hswap(jnet_faults *f, size_t i, size_t j) {
  jnet__fbk_timer *t = f->heap[i];
  f->heap[i] = f->heap[j];
  f->heap[j] = t;
  f->heap[i]->heap_index = i;
  f->heap[j]->heap_index = j;
}

static void sift_up(jnet_faults *f, size_t i) {
  while (i > 0 && tless(f->heap[i], f->heap[(i - 1) / 2])) {
    hswap(f, i, (i - 1) / 2);
    i = (i - 1) / 2;
  }
}

static void sift_down(jnet_faults *f, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < f->nheap && tless(f->heap[l], f->heap[m]))
      m = l;
    if (r < f->nheap && tless(f->heap[r], f->heap[m]))
      m = r;
    if (m == i)
      return;
    hswap(f, i, m);
    i = m;
  }
}

void jnet__fbk_timer_init(jnet__fbk_timer *t, void (*fire)(jnet__fbk_timer *),
                          void *d) {
  t->at_ns = 0;
  t->seq = 0;
  t->heap_index = SIZE_MAX;
  t->fire = fire;
  t->data = d;
}

void jnet__fbk_timer_stop(jnet_faults *f, jnet__fbk_timer *t) {
  size_t i = t->heap_index;
  if (i == SIZE_MAX)
    return;
  t->heap_index = SIZE_MAX;
  f->nheap--;
  if (i == f->nheap)
    return;
  f->heap[i] = f->heap[f->nheap];
  f->heap[i]->heap_index = i;
  sift_down(f, i);
  sift_up(f, i);
}

/* (Re)arm t for at_ns. 0 or JNET_ENOMEM. */
int jnet__fbk_timer_start(jnet_faults *f, jnet__fbk_timer *t, uint64_t at_ns) {
  jnet__fbk_timer_stop(f, t);
  if (f->nheap == f->capheap) {
    jnet__fbk_timer **h = jnet__grow(f->heap, &f->capheap, sizeof *h, 64);
    if (h == NULL)
      return JNET_ENOMEM;
    f->heap = h;
  }
  t->at_ns = at_ns;
  t->seq = f->timer_seq++;
  t->heap_index = f->nheap;
  f->heap[f->nheap++] = t;
  sift_up(f, t->heap_index);
  return 0;
}

/* Fire every timer due by now; how many fired. A timer may re-arm itself
 * or others; one armed for now or earlier fires in the same sweep, so the
 * sweep is bounded by a count. */
static int timers_fire(jnet_faults *f) {
  int fired = 0;
  uint64_t now = jnet__fbk_now(f);
  for (int budget = 4096; f->nheap > 0 && budget > 0; budget--) {
    jnet__fbk_timer *t = f->heap[0];
    if (t->at_ns > now)
      break;
    jnet__fbk_timer_stop(f, t);
    t->fire(t);
    fired++;
  }
  return fired;
}

/* ---- 3. Rules and the log ------------------------------------------------- */

uint64_t jnet__fbk_now(jnet_faults *f) { return f->inner->now_ns(f->inner); }

void jnet_fault_params_default(jnet_fault_params *p) {
  if (p != NULL)
    memset(p, 0, sizeof *p);
}

static int bad_prob(double p) { return !(p >= 0.0 && p <= 1.0); }

static int params_check(const jnet_fault_params *p) {
  const jnet_link_params *l = &p->link;
  if (bad_prob(l->loss) || bad_prob(l->duplicate) || bad_prob(l->reorder) ||
      bad_prob(l->corrupt))
    return JNET_EINVAL;
  if (l->jitter_dist < JNET_JITTER_UNIFORM || l->jitter_dist > JNET_JITTER_PARETO)
    return JNET_EINVAL;
  return 0;
}

static int addr_inet(const jnet_addr *a) {
  return a->u.sa.sa_family == AF_INET || a->u.sa.sa_family == AF_INET6;
}

static int addr_port(const jnet_addr *a) {
  return ntohs(a->u.sa.sa_family == AF_INET ? a->u.in4.sin_port
                                            : a->u.in6.sin6_port);
}

/* Does the rule key `rule` (port 0: any port) match address `a`? */
int jnet__fbk_addr_match(const jnet_addr *rule, const jnet_addr *a) {
  if (!addr_inet(a) || rule->u.sa.sa_family != a->u.sa.sa_family)
    return 0;
  int rp = addr_port(rule);
  if (rp != 0 && rp != addr_port(a))
    return 0;
  if (a->u.sa.sa_family == AF_INET)
    return rule->u.in4.sin_addr.s_addr == a->u.in4.sin_addr.s_addr;
  return memcmp(&rule->u.in6.sin6_addr, &a->u.in6.sin6_addr, 16) == 0;
}

static int same_key(const jnet__fbk_rule *r, const jnet_addr *peer) {
  if (peer == NULL)
    return r->any;
  return !r->any && jnet__fbk_addr_match(&r->peer, peer) &&
         addr_port(&r->peer) == addr_port(peer);
}

static jnet__fbk_rule *rule_find(jnet_faults *f, const jnet_addr *peer) {
  for (size_t i = 0; i < f->nrules; i++)
    if (same_key(&f->rules[i], peer))
      return &f->rules[i];
  return NULL;
}

/* Most specific first: address and port, then address, then every peer. */
const jnet_fault_params *jnet__fbk_rule_for(jnet_faults *f,
                                            const jnet_addr *peer) {
  const jnet__fbk_rule *host = NULL, *any = NULL;
  for (size_t i = 0; i < f->nrules; i++) {
    const jnet__fbk_rule *r = &f->rules[i];
    if (r->any) {
      any = r;
    } else if (peer != NULL && jnet__fbk_addr_match(&r->peer, peer)) {
      if (addr_port(&r->peer) != 0)
        return &r->p;
      host = r;
    }
  }
  return host ? &host->p : any ? &any->p : NULL;
}

int jnet_faults_set(jnet_faults *f, const jnet_addr *peer,
                    const jnet_fault_params *p) {
  if (f == NULL || p == NULL || params_check(p) < 0 ||
      (peer != NULL && !addr_inet(peer)))
    return JNET_EINVAL;
  jnet__fbk_rule *r = rule_find(f, peer);
  if (r == NULL) {
    if (f->nrules == f->caprules) {
      jnet__fbk_rule *nr = jnet__grow(f->rules, &f->caprules, sizeof *nr, 8);
      if (nr == NULL)
        return JNET_ENOMEM;
      f->rules = nr;
    }
    r = &f->rules[f->nrules++];
    memset(r, 0, sizeof *r);
    r->any = peer == NULL;
    if (peer != NULL)
      r->peer = *peer;
  }
  r->p = *p;
  jnet__fbk_sock_kick_all(f);
  return 0;
}

int jnet_faults_clear(jnet_faults *f, const jnet_addr *peer) {
  if (f == NULL || (peer != NULL && !addr_inet(peer)))
    return JNET_EINVAL;
  jnet__fbk_rule *r = rule_find(f, peer);
  if (r == NULL)
    return JNET_ENOENT;
  *r = f->rules[--f->nrules];
  jnet__fbk_sock_kick_all(f);
  return 0;
}

void jnet_faults_clear_all(jnet_faults *f) {
  if (f == NULL)
    return;
  f->nrules = 0;
  memset(f->fail, 0, sizeof f->fail);
  jnet__fbk_sock_kick_all(f);
}

int jnet_faults_reset_peer(jnet_faults *f, const jnet_addr *peer) {
  if (f == NULL || (peer != NULL && !addr_inet(peer)))
    return JNET_EINVAL;
  int n = 0;
  for (jnet_bsock *s = f->socks; s != NULL; s = s->next)
    if (s->has_peer && (peer == NULL || jnet__fbk_addr_match(peer, &s->peer)))
      n += jnet__fbk_sock_reset(s, "reset-peer");
  return n;
}

void jnet__fbk_addr_str(const jnet_addr *a, char *out, size_t n) {
  char host[INET6_ADDRSTRLEN + 1];
  int port = 0;
  if (a == NULL || !addr_inet(a) ||
      jnet_address_unpack(a, host, sizeof host, &port) < 0) {
    snprintf(out, n, "*");
    return;
  }
  if (a->u.sa.sa_family == AF_INET6)
    snprintf(out, n, "[%s]:%d", host, port);
  else
    snprintf(out, n, "%s:%d", host, port);
}

void jnet_faults_log_file(jnet_faults *f, FILE *fp) {
  if (f != NULL)
    f->log_fp = fp;
}

void jnet_faults_log_fn(jnet_faults *f,
                        void (*fn)(void *arg, const char *line), void *arg) {
  if (f == NULL)
    return;
  f->log_fn = fn;
  f->log_arg = arg;
}

uint64_t jnet_faults_count(const jnet_faults *f) {
  return f != NULL ? f->ninjected : 0;
}

/* One injected fault: count it and write its line. */
void jnet__fbk_log(jnet_faults *f, const jnet_addr *peer, const char *fault,
                   const char *fmt, ...) {
  f->ninjected++;
  if (f->log_fp == NULL && f->log_fn == NULL)
    return;
  char line[256], who[INET6_ADDRSTRLEN + 16], detail[128] = "";
  jnet__fbk_addr_str(peer, who, sizeof who);
  if (fmt != NULL) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
  }
  uint64_t t = jnet__fbk_now(f) - f->t0_ns;
  snprintf(line, sizeof line, "%" PRIu64 ".%06" PRIu64 " %s %s%s%s",
           t / 1000000000u, (t % 1000000000u) / 1000u, who, fault,
           detail[0] ? " " : "", detail);
  if (f->log_fp != NULL)
    fprintf(f->log_fp, "%s\n", line);
  if (f->log_fn != NULL)
    f->log_fn(f->log_arg, line);
}

/* ---- 4. Call failures ------------------------------------------------------ */

static const char *const slot_names[JNET_FAULTS_NSLOTS] = {
    "resolve", "socket",    "bind",  "listen",   "accept",
    "connect", "read",      "write", "send_to",  "recv_from",
    "shutdown", "setsockopt"};

const char *jnet_faults_slot_name(int slot) {
  return slot >= 0 && slot < JNET_FAULTS_NSLOTS ? slot_names[slot] : NULL;
}

int jnet_faults_fail_call(jnet_faults *f, int slot, uint64_t n, int err,
                          int persistent) {
  if (f == NULL || slot < 0 || slot >= JNET_FAULTS_NSLOTS || err >= 0)
    return JNET_EINVAL;
  jnet__fbk_slot *s = &f->fail[slot];
  s->calls = 0;
  s->fired = 0;
  s->n = n;
  s->err = err;
  s->persistent = persistent != 0;
  return 0;
}

uint64_t jnet_faults_fail_fired(const jnet_faults *f, int slot) {
  if (f == NULL || slot < 0 || slot >= JNET_FAULTS_NSLOTS)
    return 0;
  return f->fail[slot].fired;
}

int jnet__fbk_call(jnet_faults *f, int slot, const jnet_addr *peer) {
  jnet__fbk_slot *s = &f->fail[slot];
  if (s->n == 0)
    return 0;
  s->calls++;
  if (s->calls == s->n || (s->persistent && s->calls > s->n)) {
    s->fired++;
    jnet__fbk_log(f, peer, "fail-call", "%s #%" PRIu64 " %s", slot_names[slot],
                  s->calls, jnet_err_name(s->err));
    return s->err;
  }
  return 0;
}

/* ---- 5. Loop slots ------------------------------------------------------------ */

static int fb_start(const jnet_backend *b, const jnet_backend_hooks *hooks,
                    void *loop_arg) {
  jnet_faults *f = jnet__fbk_of(b);
  if (f->started)
    return JNET_EBUSY;
  int err = f->inner->start(f->inner, hooks, loop_arg);
  if (err < 0)
    return err;
  f->started = 1;
  f->t0_ns = jnet__fbk_now(f);
  return 0;
}

static void fb_stop(const jnet_backend *b) {
  jnet_faults *f = jnet__fbk_of(b);
  if (!f->started)
    return;
  jnet__fbk_sock_close_all(f);
  f->inner->stop(f->inner);
  f->nheap = 0;
  f->started = 0;
}

static void fb_destroy(const jnet_backend *b) {
  jnet_faults *f = jnet__fbk_of(b);
  fb_stop(b);
  jnet__free(f->rules);
  jnet__free(f->heap);
  jnet__free(f);
}

static jnet_node *fb_default_node(const jnet_backend *b) {
  const jnet_backend *in = jnet__fbk_of(b)->inner;
  return in->default_node(in);
}

static uint64_t fb_now_ns(const jnet_backend *b) {
  return jnet__fbk_now(jnet__fbk_of(b));
}

static uint64_t fb_random(const jnet_backend *b, jnet_node *node) {
  const jnet_backend *in = jnet__fbk_of(b)->inner;
  return in->random(in, node);
}

static int fb_node_check(const jnet_backend *b, jnet_node *node) {
  const jnet_backend *in = jnet__fbk_of(b)->inner;
  if (in->version >= 2 && in->node_check != NULL)
    return in->node_check(in, node);
  return 0;
}

/* Our timers bound the inner poll's wait; what fell due fires after. */
static int fb_poll(const jnet_backend *b, uint64_t deadline_ns, int block) {
  jnet_faults *f = jnet__fbk_of(b);
  if (!f->started)
    return JNET_EINVAL;
  int fired = timers_fire(f);
  uint64_t next = deadline_ns;
  if (f->nheap > 0 && f->heap[0]->at_ns < next)
    next = f->heap[0]->at_ns;
  int r = f->inner->poll(f->inner, next, block && fired == 0);
  if (r < 0)
    return r;
  fired += timers_fire(f);
  if (r == 0 && fired == 0 && f->nheap == 0)
    return 0;
  return 1;
}

/* ---- 6. Resolve: a request of our own, so the caller's stays ours -------- */

typedef struct resolve_op {
  jnet_req in;
  jnet_req *outer;
  jnet_faults *f;
} resolve_op;

static void resolve_done(jnet_req *in) {
  resolve_op *op = in->data;
  jnet_req *outer = op->outer;
  outer->result = in->result;
  outer->priv_[3] = NULL;
  jnet__free(op);
  outer->cb(outer);
}

static int fb_resolve(const jnet_backend *b, jnet_node *node, jnet_req *req,
                      const char *host, const char *port, int type,
                      int passive) {
  jnet_faults *f = jnet__fbk_of(b);
  req->owner_ = NULL;
  req->priv_[3] = NULL;
  int err = jnet__fbk_call(f, JNET_FAULTS_RESOLVE, NULL);
  if (err < 0) {
    req->result = err;
    return 1;
  }
  resolve_op *op = jnet__calloc(1, sizeof *op);
  if (op == NULL)
    return JNET_ENOMEM;
  op->outer = req;
  op->f = f;
  op->in.cb = resolve_done;
  op->in.data = op;
  op->in.addrs = req->addrs;
  op->in.naddrs = req->naddrs;
  int r = f->inner->resolve(f->inner, node, &op->in, host, port, type, passive);
  if (r != 0) {
    if (r == 1)
      req->result = op->in.result;
    jnet__free(op);
    return r;
  }
  req->priv_[3] = op;
  return 0;
}

/* A resolve is the only request we hold without a socket. */
static void fb_cancel(const jnet_backend *b, jnet_req *req) {
  jnet_faults *f = jnet__fbk_of(b);
  if (req == NULL)
    return;
  if (req->owner_ != NULL) {
    jnet__fbk_sock_cancel(b, req);
    return;
  }
  resolve_op *op = req->priv_[3];
  if (op == NULL)
    return;
  req->priv_[3] = NULL;
  f->inner->cancel(f->inner, &op->in);
  jnet__free(op);
}

/* ---- 7. Creation ----------------------------------------------------------- */

const jnet_backend *jnet_backend_faults(const jnet_backend *inner,
                                        uint64_t seed, jnet_faults **out) {
  if (out != NULL)
    *out = NULL;
  if (inner == NULL || inner->version < 1)
    return NULL;
  jnet_faults *f = jnet__calloc(1, sizeof *f);
  if (f == NULL)
    return NULL;
  f->inner = inner;
  f->seed = seed;
  jnet_backend *b = &f->vtable;
  b->version = JNET_BACKEND_VERSION;
  b->name = "faults";
  b->app_data = f;
  b->start = fb_start;
  b->stop = fb_stop;
  b->destroy = fb_destroy;
  b->default_node = fb_default_node;
  b->now_ns = fb_now_ns;
  b->random = fb_random;
  b->poll = fb_poll;
  b->resolve = fb_resolve;
  b->socket = jnet__fbk_sock_socket;
  b->bind = jnet__fbk_sock_bind;
  b->listen = jnet__fbk_sock_listen;
  b->accept = jnet__fbk_sock_accept;
  b->connect = jnet__fbk_sock_connect;
  b->read = jnet__fbk_sock_read;
  b->write = jnet__fbk_sock_write;
  b->send_to = jnet__fbk_sock_send_to;
  b->recv_from = jnet__fbk_sock_recv_from;
  b->cancel = fb_cancel;
  b->shutdown = jnet__fbk_sock_shutdown;
  b->setsockopt = jnet__fbk_sock_setsockopt;
  b->nodelay = jnet__fbk_sock_nodelay;
  b->localname = jnet__fbk_sock_localname;
  b->peername = jnet__fbk_sock_peername;
  b->close = jnet__fbk_sock_close;
  b->node_check = fb_node_check; /* version 2 */
  if (out != NULL)
    *out = f;
  return b;
}
