/* test_iofault.c — the I/O fault sweep (SQLite test_vfs.c's
 * TestFaultInject): a backend that wraps a real one, forwarding every slot
 * of the public vtable (backends/jnet_backend.h) to its parent, fails the
 * Nth call of one chosen slot with an error the kernel gives (ECONNRESET,
 * EPIPE, EMFILE, ENOBUFS, ...), once or from then on. For each slot, N
 * runs 1, 2, ... until a run injects nothing, over a small conformance-like
 * workload (TCP listen/connect/accept/echo, UDP send/receive) on the uv
 * backend and on the simulated network. Each run must end cleanly: every
 * call returns success or a jnet error code, jnet_run returns 0, and the
 * same loop then runs the workload again without faults, in full, and
 * ends idle. Leaks show under ASan (make sanitize). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jnet/jnet.h>
#include <jnet/jnet_backend.h>
#include "jnet_check.h"
#include <jnet/jnet_sim.h>

/* ---- the wrapping backend ------------------------------------------------ */

enum {
  IOF_RESOLVE,
  IOF_SOCKET,
  IOF_BIND,
  IOF_LISTEN,
  IOF_ACCEPT,
  IOF_CONNECT,
  IOF_READ,
  IOF_WRITE,
  IOF_SEND_TO,
  IOF_RECV_FROM,
  IOF_LOCALNAME,
  IOF_NSLOTS
};

static const char *const slot_name[IOF_NSLOTS] = {
    "resolve", "socket", "bind",      "listen",    "accept",   "connect",
    "read",    "write",  "send_to",   "recv_from", "localname"};

typedef struct iof {
  jnet_backend b; /* first: the wrapper handed to jnet_loop_new */
  const jnet_backend *parent;
  int slot;     /* the slot to fail, or -1 */
  long nth;     /* its call number to fail (1-based) */
  int persist;  /* fail every call from the nth on */
  int err;      /* the code returned */
  long calls[IOF_NSLOTS];
  long injected;
} iof;

#define IOF(b) ((iof *)(b))
#define PARENT(b) (IOF(b)->parent)

/* 1 if this call of `slot` must fail. */
static int fail_now(const jnet_backend *b, int slot) {
  iof *f = IOF(b);
  long n = ++f->calls[slot];
  if (f->slot != slot || n < f->nth || (n > f->nth && !f->persist))
    return 0;
  f->injected++;
  return 1;
}

/* An async op failed at once: completed (1) with the error as its result. */
static int fail_req(const jnet_backend *b, jnet_req *req) {
  req->result = IOF(b)->err;
  req->sock = NULL;
  return 1;
}

static int w_start(const jnet_backend *b, const jnet_backend_hooks *h,
                   void *arg) {
  return PARENT(b)->start(PARENT(b), h, arg);
}
static void w_stop(const jnet_backend *b) { PARENT(b)->stop(PARENT(b)); }
static jnet_node *w_default_node(const jnet_backend *b) {
  return PARENT(b)->default_node(PARENT(b));
}
static uint64_t w_now_ns(const jnet_backend *b) {
  return PARENT(b)->now_ns(PARENT(b));
}
static uint64_t w_random(const jnet_backend *b, jnet_node *n) {
  return PARENT(b)->random(PARENT(b), n);
}
static int w_poll(const jnet_backend *b, uint64_t deadline, int block) {
  return PARENT(b)->poll(PARENT(b), deadline, block);
}
static int w_resolve(const jnet_backend *b, jnet_node *node, jnet_req *req,
                     const char *host, const char *port, int type,
                     int passive) {
  if (fail_now(b, IOF_RESOLVE))
    return fail_req(b, req);
  return PARENT(b)->resolve(PARENT(b), node, req, host, port, type, passive);
}
static int w_socket(const jnet_backend *b, jnet_node *node, int family,
                    int type, jnet_bsock **out) {
  if (fail_now(b, IOF_SOCKET))
    return IOF(b)->err;
  return PARENT(b)->socket(PARENT(b), node, family, type, out);
}
static int w_bind(const jnet_backend *b, jnet_bsock *s, const jnet_addr *a) {
  if (fail_now(b, IOF_BIND))
    return IOF(b)->err;
  return PARENT(b)->bind(PARENT(b), s, a);
}
static int w_listen(const jnet_backend *b, jnet_bsock *s, int backlog) {
  if (fail_now(b, IOF_LISTEN))
    return IOF(b)->err;
  return PARENT(b)->listen(PARENT(b), s, backlog);
}
static int w_accept(const jnet_backend *b, jnet_bsock *s, jnet_req *req) {
  if (fail_now(b, IOF_ACCEPT))
    return fail_req(b, req);
  return PARENT(b)->accept(PARENT(b), s, req);
}
static int w_connect(const jnet_backend *b, jnet_bsock *s, jnet_req *req) {
  if (fail_now(b, IOF_CONNECT))
    return fail_req(b, req);
  return PARENT(b)->connect(PARENT(b), s, req);
}
static int w_read(const jnet_backend *b, jnet_bsock *s, jnet_req *req) {
  if (fail_now(b, IOF_READ))
    return fail_req(b, req);
  return PARENT(b)->read(PARENT(b), s, req);
}
static int w_write(const jnet_backend *b, jnet_bsock *s, jnet_req *req) {
  if (fail_now(b, IOF_WRITE))
    return fail_req(b, req);
  return PARENT(b)->write(PARENT(b), s, req);
}
static int w_send_to(const jnet_backend *b, jnet_bsock *s, jnet_req *req) {
  if (fail_now(b, IOF_SEND_TO))
    return fail_req(b, req);
  return PARENT(b)->send_to(PARENT(b), s, req);
}
static int w_recv_from(const jnet_backend *b, jnet_bsock *s, jnet_req *req) {
  if (fail_now(b, IOF_RECV_FROM))
    return fail_req(b, req);
  return PARENT(b)->recv_from(PARENT(b), s, req);
}
static void w_cancel(const jnet_backend *b, jnet_req *req) {
  PARENT(b)->cancel(PARENT(b), req);
}
static int w_shutdown(const jnet_backend *b, jnet_bsock *s, int mode) {
  return PARENT(b)->shutdown(PARENT(b), s, mode);
}
static int w_setsockopt(const jnet_backend *b, jnet_bsock *s, int opt,
                        jnet_optval v) {
  return PARENT(b)->setsockopt(PARENT(b), s, opt, v);
}
static int w_nodelay(const jnet_backend *b, jnet_bsock *s, int on) {
  return PARENT(b)->nodelay(PARENT(b), s, on);
}
static int w_localname(const jnet_backend *b, jnet_bsock *s, jnet_addr *out) {
  if (fail_now(b, IOF_LOCALNAME))
    return IOF(b)->err;
  return PARENT(b)->localname(PARENT(b), s, out);
}
static int w_peername(const jnet_backend *b, jnet_bsock *s, jnet_addr *out) {
  return PARENT(b)->peername(PARENT(b), s, out);
}
static void w_close(const jnet_backend *b, jnet_bsock *s) {
  PARENT(b)->close(PARENT(b), s);
}
static int w_node_check(const jnet_backend *b, jnet_node *node) {
  if (PARENT(b)->version < 2 || PARENT(b)->node_check == NULL)
    return 0;
  return PARENT(b)->node_check(PARENT(b), node);
}

static void iof_wrap(iof *f, const jnet_backend *parent) {
  memset(f, 0, sizeof *f);
  f->parent = parent;
  f->slot = -1;
  f->b.version = 2;
  f->b.name = "iofault";
  f->b.start = w_start;
  f->b.stop = w_stop;
  f->b.destroy = NULL; /* the test frees the parent itself */
  f->b.default_node = w_default_node;
  f->b.now_ns = w_now_ns;
  f->b.random = w_random;
  f->b.poll = w_poll;
  f->b.resolve = w_resolve;
  f->b.socket = w_socket;
  f->b.bind = w_bind;
  f->b.listen = w_listen;
  f->b.accept = w_accept;
  f->b.connect = w_connect;
  f->b.read = w_read;
  f->b.write = w_write;
  f->b.send_to = w_send_to;
  f->b.recv_from = w_recv_from;
  f->b.cancel = w_cancel;
  f->b.shutdown = w_shutdown;
  f->b.setsockopt = w_setsockopt;
  f->b.nodelay = w_nodelay;
  f->b.localname = w_localname;
  f->b.peername = w_peername;
  f->b.close = w_close;
  f->b.node_check = w_node_check;
}

/* ---- the workload -------------------------------------------------------- */

#define W_CALLS 16

typedef struct work {
  const char *host; /* "127.0.0.1" on uv, the sim host's address */
  double to;        /* timeout of each wait */
  long r[W_CALLS];  /* what each call returned */
  const char *what[W_CALLS];
  int n;
  int done;      /* the client fiber reached its end */
  int echoed;    /* the client read the echo back */
  int datagram;  /* the datagram arrived */
  jnet_stream srv;
  char port[16];
} work;

static long rec(work *w, const char *what, long v) {
  if (w->n < W_CALLS) {
    w->what[w->n] = what;
    w->r[w->n++] = v;
  }
  return v;
}
#define REC(w, e) rec((w), #e, (long)(e))

static void server_fiber(void *arg) {
  work *w = arg;
  jnet_stream c;
  jnet_buf b;
  jnet_buf_init(&b);
  if (REC(w, jnet_accept(w->srv, w->to, &c)) == 0) {
    if (REC(w, jnet_read(c, 5, &b, w->to)) > 0)
      REC(w, jnet_write(c, b.data, b.len, w->to));
    jnet_close(c);
  }
  jnet_buf_free(&b);
  jnet_close(w->srv);
}

static void client_fiber(void *arg) {
  work *w = arg;
  jnet_addr a;
  int p = 0;
  char h[64];
  if (REC(w, jnet_listen(w->host, "0", JNET_STREAM, &w->srv)) == 0) {
    if (REC(w, jnet_localname(w->srv, &a)) == 0 &&
        jnet_address_unpack(&a, h, sizeof h, &p) == 0) {
      snprintf(w->port, sizeof w->port, "%d", p);
      jnet_go(NULL, server_fiber, w);
      jnet_stream c;
      if (REC(w, jnet_connect(w->host, w->port, JNET_STREAM, NULL, NULL,
                              &c)) == 0) {
        jnet_buf b;
        jnet_buf_init(&b);
        if (REC(w, jnet_write(c, "hello", 5, w->to)) == 0 &&
            REC(w, jnet_read(c, 5, &b, w->to)) == 5)
          w->echoed = b.len == 5 && memcmp(b.data, "hello", 5) == 0;
        jnet_buf_free(&b);
        jnet_close(c);
      } else {
        jnet_close(w->srv); /* the server's accept ends at once */
      }
    } else {
      jnet_close(w->srv);
    }
  }
  /* UDP: one datagram to ourselves. */
  jnet_stream u;
  if (REC(w, jnet_listen(w->host, "0", JNET_DATAGRAM, &u)) == 0) {
    if (REC(w, jnet_localname(u, &a)) == 0) {
      jnet_buf b;
      jnet_buf_init(&b);
      if (REC(w, jnet_send_to(u, &a, "dgram", 5, w->to)) == 0 &&
          REC(w, jnet_recv_from(u, 16, &b, w->to, NULL)) == 5)
        w->datagram = memcmp(b.data, "dgram", 5) == 0;
      jnet_buf_free(&b);
    }
    jnet_close(u);
  }
  w->done = 1;
}

/* Every recorded result is success (>= 0) or a code jnet defines. */
static void assert_clean(const work *w, const char *ctx) {
  for (int i = 0; i < w->n; i++)
    ck_assert_msg(w->r[i] >= 0 || strcmp(jnet_err_name((int)w->r[i]),
                                         "EUNKNOWN") != 0,
                  "%s: %s returned %ld, not a jnet code", ctx, w->what[i],
                  w->r[i]);
}

/* ---- the sweep ------------------------------------------------------------ */

typedef struct fault {
  int slot;
  int err;
} fault;

/* The errors a kernel gives at each slot. */
static const fault faults[] = {
    {IOF_RESOLVE, JNET_EAI_AGAIN},   {IOF_SOCKET, JNET_EMFILE},
    {IOF_SOCKET, JNET_ENOBUFS},      {IOF_BIND, JNET_EADDRINUSE},
    {IOF_LISTEN, JNET_EADDRINUSE},   {IOF_ACCEPT, JNET_EMFILE},
    {IOF_ACCEPT, JNET_ECONNABORTED}, {IOF_CONNECT, JNET_ECONNREFUSED},
    {IOF_CONNECT, JNET_ENOBUFS},     {IOF_READ, JNET_ECONNRESET},
    {IOF_WRITE, JNET_EPIPE},         {IOF_WRITE, JNET_ECONNRESET},
    {IOF_WRITE, JNET_ENOBUFS},       {IOF_SEND_TO, JNET_ENOBUFS},
    {IOF_RECV_FROM, JNET_ECONNREFUSED}, {IOF_LOCALNAME, JNET_ENOBUFS},
};

typedef struct target {
  const jnet_backend *(*make)(void);
  void (*unmake)(const jnet_backend *b);
  const char *host;
  double to;
} target;

static jnet_sim *the_sim;
static const jnet_backend *make_sim(void) {
  static const char *const addrs[] = {"192.0.2.1", NULL};
  jnet_node *h;
  ck_assert_int_eq(jnet_sim_new(&the_sim, 5), 0);
  ck_assert_int_eq(jnet_sim_host(the_sim, "h", addrs, &h), 0);
  jnet_sim_set_limits(the_sim, 3600 * JNET_SIM_S, 0);
  return jnet_sim_backend(the_sim);
}
static void unmake_sim(const jnet_backend *b) {
  (void)b;
  jnet_sim_free(the_sim);
  the_sim = NULL;
}
static const jnet_backend *make_uv(void) { return jnet_backend_uv(); }
static void unmake_uv(const jnet_backend *b) { jnet_backend_free(b); }

/* One run: fail call `nth` of f's slot (from then on if persist); then the
 * workload again on the same loop without faults. Returns how many calls
 * were failed. */
static long one_run(const target *t, const fault *f, long nth, int persist) {
  static iof w;
  const jnet_backend *parent = t->make();
  ck_assert_ptr_nonnull(parent);
  iof_wrap(&w, parent);
  w.slot = f->slot;
  w.nth = nth;
  w.persist = persist;
  w.err = f->err;
  jnet_loop *l;
  ck_assert_int_eq(jnet_loop_new(&l, &w.b), 0);
  char ctx[128];
  snprintf(ctx, sizeof ctx, "%s call %ld of %s%s gives %s", t->host, nth,
           slot_name[f->slot], persist ? " and on" : "",
           jnet_err_name(f->err));
  work a = {.host = t->host, .to = t->to};
  ck_assert_int_eq(jnet_go(l, client_fiber, &a), 0);
  int rc = jnet_run(l);
  ck_assert_msg(rc == 0, "%s: jnet_run %d", ctx, rc);
  ck_assert_msg(a.done, "%s: the workload did not finish", ctx);
  assert_clean(&a, ctx);
  long injected = w.injected;
  if (injected > 0) { /* the kernel's code reaches the caller unchanged */
    int seen = 0;
    for (int i = 0; i < a.n; i++)
      seen |= a.r[i] == f->err;
    ck_assert_msg(seen, "%s: no call returned %s", ctx, jnet_err_name(f->err));
  }
  if (injected == 0)
    ck_assert_msg(a.echoed && a.datagram, "%s: no fault, yet it failed", ctx);
  /* The same loop, no more faults: everything works. */
  w.slot = -1;
  work b = {.host = t->host, .to = t->to};
  ck_assert_int_eq(jnet_go(l, client_fiber, &b), 0);
  ck_assert_int_eq(jnet_run(l), 0);
  assert_clean(&b, ctx);
  ck_assert_msg(b.done && b.echoed && b.datagram,
                "%s: the loop is not usable after the fault (echo %d, "
                "datagram %d)", ctx, b.echoed, b.datagram);
  ck_assert_msg(jnet_run_once(l) == 0, "%s: loop not idle at the end", ctx);
  ck_assert_msg(jnet_loop_close(l) == 0,
                "%s: a fiber, request or stream outlived the run", ctx);
  t->unmake(parent);
  return injected;
}

static void sweep(const target *t, int persist) {
  int runs = 0;
  for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
    long nth = 1;
    long injected;
    do {
      injected = one_run(t, &faults[i], nth++, persist);
      runs++;
    } while (injected > 0 && nth < 50);
    /* the slot is used by the workload, except resolve on numeric hosts */
    if (faults[i].slot != IOF_RESOLVE)
      ck_assert_msg(nth > 2, "%s: %s never called", t->host,
                    slot_name[faults[i].slot]);
  }
  printf("iofault %s%s: %d runs\n", t->host, persist ? " (from N on)" : "",
         runs);
}

START_TEST(sim_each_nth_call_failing_once_is_clean_and_the_loop_recovers) {
  target t = {make_sim, unmake_sim, "192.0.2.1", 5.0};
  sweep(&t, 0);
}
END_TEST

START_TEST(sim_calls_failing_from_n_on_are_clean_and_the_loop_recovers) {
  target t = {make_sim, unmake_sim, "192.0.2.1", 5.0};
  sweep(&t, 1);
}
END_TEST

START_TEST(uv_each_nth_call_failing_once_is_clean_and_the_loop_recovers) {
  target t = {make_uv, unmake_uv, "127.0.0.1", 2.0};
  sweep(&t, 0);
}
END_TEST

/* --- br-api: backends that answer what uv and sim never do, through the
 * public vtable: a repeated crash or restart report, a lookup that finds
 * nothing, setsockopt and nodelay failing, a sender address longer than
 * sockaddr_in6; accept_loop ended by a deadline or a cancel while it waits
 * out an accept error (issue 20: api/'s branches) --- */

static const jnet_backend_hooks *api_hooks;
static void down_twice(void *arg, jnet_node *n) {
  api_hooks->node_down(arg, n);
  api_hooks->node_down(arg, n);
}
static void up_twice(void *arg, jnet_node *n) {
  api_hooks->node_up(arg, n);
  api_hooks->node_up(arg, n);
}
static const jnet_backend_hooks twice_hooks = {down_twice, up_twice};
static int twice_start(const jnet_backend *b, const jnet_backend_hooks *h,
                       void *arg) {
  api_hooks = h;
  return PARENT(b)->start(PARENT(b), &twice_hooks, arg);
}

static void count_main(void *arg) { (*(int *)arg)++; }

static void sleeps_on_h(void *arg) { *(int *)arg = jnet_sleep(10.0); }

START_TEST(a_crash_or_restart_reported_twice_counts_once) {
  static iof w;
  iof_wrap(&w, make_sim());
  w.slot = -1;
  w.b.start = twice_start;
  jnet_loop *l;
  ck_assert_int_eq(jnet_loop_new(&l, &w.b), 0);
  jnet_node *h = jnet_loop_node(l);
  int mains = 0, slept = 1;
  ck_assert_int_eq(jnet_node_main(l, h, count_main, &mains), 0);
  ck_assert_int_eq(jnet_go(l, sleeps_on_h, &slept), 0);
  ck_assert_int_eq(jnet_run_until(l, 1.0), 0);
  ck_assert_int_eq(mains, 1);
  ck_assert_int_eq(jnet_sim_crash(the_sim, h), 0);
  ck_assert_int_eq(jnet_sim_restart(the_sim, h), 0);
  ck_assert_int_eq(jnet_run(l), 0);
  ck_assert_int_eq(slept, JNET_ECANCELED);
  ck_assert_int_eq(mains, 2); /* once per restart, not per report */
  ck_assert_int_eq(jnet_loop_close(l), 0);
  unmake_sim(NULL);
}
END_TEST

/* "nowhere" is found with no address at all; other names as the parent */
static int resolve_nowhere(const jnet_backend *b, jnet_node *node,
                           jnet_req *req, const char *host, const char *port,
                           int type, int passive) {
  if (strcmp(host, "nowhere") != 0)
    return PARENT(b)->resolve(PARENT(b), node, req, host, port, type, passive);
  req->result = 0;
  return 1;
}
static int setsockopt_enobufs(const jnet_backend *b, jnet_bsock *s, int opt,
                              jnet_optval v) {
  (void)b, (void)s, (void)opt, (void)v;
  return JNET_ENOBUFS;
}
static int nodelay_enobufs(const jnet_backend *b, jnet_bsock *s, int on) {
  (void)b, (void)s, (void)on;
  return JNET_ENOBUFS;
}
/* recv_from's sender given with len = the whole jnet_addr storage */
static jnet_req_cb long_addr_next_cb;
static void long_addr_cb(jnet_req *req) {
  if (req->result >= 0)
    req->addr.len = (socklen_t)sizeof req->addr.u;
  long_addr_next_cb(req);
}
static int recv_from_long_addr(const jnet_backend *b, jnet_bsock *s,
                               jnet_req *req) {
  long_addr_next_cb = req->cb;
  req->cb = long_addr_cb;
  int r = PARENT(b)->recv_from(PARENT(b), s, req);
  if (r == 1) {
    req->cb = long_addr_next_cb;
    if (req->result >= 0)
      req->addr.len = (socklen_t)sizeof req->addr.u;
  }
  return r;
}

typedef struct odd {
  long r[12];
  jnet_addr from, sender;
} odd;

static void odd_answers(void *arg) {
  odd *o = arg;
  jnet_addr a;
  jnet_stream u, c, srv;
  jnet_buf b;
  jnet_buf_init(&b);
  o->r[9] = jnet_connect("192.0.2.1", "9", JNET_STREAM, "192.0.2.1", "0", &c);
  o->r[0] = jnet_address("nowhere", "80", JNET_STREAM, &a); /* 0 found */
  o->r[1] = jnet_listen("192.0.2.1", "9600", JNET_STREAM, &srv);
  o->r[2] = jnet_listen("192.0.2.1", "9601", JNET_DATAGRAM, &u);
  o->r[3] = jnet_connect("192.0.2.1", "9601", JNET_DATAGRAM, NULL, NULL, &c);
  if (o->r[2] == 0 && o->r[3] == 0) {
    o->r[4] = jnet_localname(c, &o->sender);
    o->r[5] = jnet_write(c, "hi", 2, 1.0);
    o->r[6] = jnet_recv_from(u, 16, &b, 1.0, &o->from);
    /* a UDP stream is not flushed: nodelay is never asked */
    o->r[7] = jnet_flush(c);
    jnet_close(c);
    jnet_close(u);
  }
  jnet_buf_free(&b);
}

START_TEST(odd_backend_answers_reach_the_caller) {
  static iof w;
  iof_wrap(&w, make_sim());
  w.slot = -1;
  w.b.resolve = resolve_nowhere;
  w.b.setsockopt = setsockopt_enobufs;
  w.b.recv_from = recv_from_long_addr;
  w.slot = IOF_BIND; /* the first bind: connect's to its bind address */
  w.nth = 1;
  w.err = JNET_EADDRINUSE;
  jnet_loop *l;
  ck_assert_int_eq(jnet_loop_new(&l, &w.b), 0);
  odd o;
  memset(&o, 0, sizeof o);
  ck_assert_int_eq(jnet_go(l, odd_answers, &o), 0);
  ck_assert_int_eq(jnet_run(l), 0);
  ck_assert_int_eq(o.r[9], JNET_EADDRINUSE);
  ck_assert_int_eq(w.injected, 1);
  ck_assert_int_eq(o.r[0], JNET_EAI_NONAME);
  ck_assert_int_eq(o.r[1], JNET_ENOBUFS); /* SO_REUSEADDR of a TCP listener */
  ck_assert_int_eq(o.r[2], 0);            /* UDP: no SO_REUSEADDR asked */
  ck_assert_int_eq(o.r[3], 0);
  ck_assert_int_eq(o.r[4], 0);
  ck_assert_int_eq(o.r[5], 0);
  ck_assert_int_eq(o.r[6], 2);
  ck_assert_uint_eq(o.from.len, sizeof o.from.u); /* copied whole */
  ck_assert_int_eq(o.from.u.sa.sa_family, AF_INET);
  ck_assert_uint_eq(o.from.u.in4.sin_port, o.sender.u.in4.sin_port);
  ck_assert_uint_eq(o.from.u.in4.sin_addr.s_addr, o.sender.u.in4.sin_addr.s_addr);
  ck_assert_int_eq(o.r[7], 0);
  ck_assert_int_eq(jnet_run_once(l), 0);
  ck_assert_int_eq(jnet_loop_close(l), 0);
  unmake_sim(NULL);
}
END_TEST

typedef struct flushing {
  long r[6];
} flushing;

static void flush_peer(void *arg) {
  jnet_stream srv = *(jnet_stream *)arg, conn;
  if (jnet_accept(srv, 1.0, &conn) == 0) {
    jnet_buf b;
    jnet_buf_init(&b);
    (void)jnet_read(conn, 16, &b, 1.0); /* until the other side closes */
    jnet_buf_free(&b);
    jnet_close(conn);
  }
  jnet_close(srv);
}

static jnet_stream flush_srv;
static void flush_fails(void *arg) {
  flushing *x = arg;
  jnet_stream c;
  x->r[0] = jnet_listen("192.0.2.1", "9700", JNET_STREAM, &flush_srv);
  if (x->r[0] < 0)
    return;
  jnet_go(NULL, flush_peer, &flush_srv);
  x->r[1] = jnet_connect("192.0.2.1", "9700", JNET_STREAM, NULL, NULL, &c);
  if (x->r[1] < 0)
    return;
  x->r[2] = jnet_write(c, "x", 1, 1.0);
  x->r[3] = jnet_flush(c);
  jnet_close(c);
}

START_TEST(flush_gives_a_failing_nodelay_s_code) {
  static iof w;
  iof_wrap(&w, make_sim());
  w.slot = -1;
  w.b.nodelay = nodelay_enobufs;
  jnet_loop *l;
  ck_assert_int_eq(jnet_loop_new(&l, &w.b), 0);
  flushing x;
  memset(&x, 0, sizeof x);
  ck_assert_int_eq(jnet_go(l, flush_fails, &x), 0);
  ck_assert_int_eq(jnet_run(l), 0);
  ck_assert_int_eq(x.r[0], 0);
  ck_assert_int_eq(x.r[1], 0);
  ck_assert_int_eq(x.r[2], 0);
  ck_assert_int_eq(x.r[3], JNET_ENOBUFS);
  ck_assert_int_eq(jnet_loop_close(l), 0);
  unmake_sim(NULL);
}
END_TEST

typedef struct looping {
  jnet_fiber server;
  int rc, handled;
  double ended;
} looping;

static void never_handled(jnet_stream conn, void *arg) {
  (void)conn;
  ((looping *)arg)->handled++;
}

/* accept_loop on a listener whose accepts fail (EMFILE from the first on):
 * it waits 10 ms and tries again, until the fiber's deadline (ETIMEDOUT)
 * or a cancel (0: the server stopped) ends that wait. */
static void serves_with_deadline(void *arg) {
  looping *x = arg;
  jnet_stream srv;
  if (jnet_listen("192.0.2.1", "9800", JNET_STREAM, &srv) < 0)
    return;
  jnet_deadline(jnet_now() + 0.055);
  x->rc = jnet_accept_loop(srv, never_handled, x);
  x->ended = jnet_now();
  jnet_deadline(JNET_FOREVER);
  jnet_close(srv);
}
static void serves_until_cancelled(void *arg) {
  looping *x = arg;
  jnet_stream srv;
  if (jnet_listen("192.0.2.1", "9801", JNET_STREAM, &srv) < 0)
    return;
  x->rc = jnet_accept_loop(srv, never_handled, x);
  x->ended = jnet_now();
  jnet_close(srv);
}
static void cancels_at_55ms(void *arg) {
  looping *x = arg;
  jnet_sleep(0.055);
  jnet_cancel(x->server, JNET_ECANCELED);
}
static void connects_to(void *arg) {
  jnet_stream c;
  if (jnet_connect("192.0.2.1", (const char *)arg, JNET_STREAM, NULL, NULL,
                   &c) == 0)
    jnet_close(c);
}

START_TEST(accept_loop_waiting_out_accept_errors_ends_by_deadline_or_cancel) {
  static iof w;
  for (int how = 0; how < 3; how++) {
    iof_wrap(&w, make_sim());
    w.slot = how < 2 ? IOF_ACCEPT : -1; /* 2: no error, the accept waits */
    w.nth = 1;
    w.persist = 1;
    w.err = JNET_EMFILE;
    jnet_loop *l;
    ck_assert_int_eq(jnet_loop_new(&l, &w.b), 0);
    looping x;
    memset(&x, 0, sizeof x);
    if (how == 0) {
      ck_assert_int_eq(jnet_go(l, serves_with_deadline, &x), 0);
      ck_assert_int_eq(jnet_go(l, connects_to, (void *)"9800"), 0);
    } else if (how == 2) {
      ck_assert_int_eq(jnet_go(l, serves_with_deadline, &x), 0);
    } else {
      ck_assert_int_eq(jnet_spawn(l, serves_until_cancelled, &x, &x.server), 0);
      ck_assert_int_eq(jnet_go(l, connects_to, (void *)"9801"), 0);
      ck_assert_int_eq(jnet_go(l, cancels_at_55ms, &x), 0);
    }
    ck_assert_int_eq(jnet_run(l), 0);
    ck_assert_int_eq(x.rc, how == 1 ? 0 : JNET_ETIMEDOUT);
    ck_assert_int_eq(x.handled, 0);
    ck_assert(x.ended >= 0.055 && x.ended < 0.06);
    if (how < 2)
      ck_assert_int_gt(w.injected, 3); /* it kept trying */
    ck_assert_int_eq(jnet_loop_close(l), 0);
    unmake_sim(NULL);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("iofault");
  jc_defaults(120, NULL, NULL);
  JC_TEST(s, sim_each_nth_call_failing_once_is_clean_and_the_loop_recovers);
  JC_TEST(s, sim_calls_failing_from_n_on_are_clean_and_the_loop_recovers);
  JC_TEST(s, uv_each_nth_call_failing_once_is_clean_and_the_loop_recovers);
  JC_TEST(s, a_crash_or_restart_reported_twice_counts_once);
  JC_TEST(s, odd_backend_answers_reach_the_caller);
  JC_TEST(s, flush_gives_a_failing_nodelay_s_code);
  JC_TEST(s, accept_loop_waiting_out_accept_errors_ends_by_deadline_or_cancel);
  return jc_run(s);
}
