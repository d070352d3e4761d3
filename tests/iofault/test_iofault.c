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

int main(void) {
  Suite *s = suite_create("iofault");
  jc_defaults(120, NULL, NULL);
  JC_TEST(s, sim_each_nth_call_failing_once_is_clean_and_the_loop_recovers);
  JC_TEST(s, sim_calls_failing_from_n_on_are_clean_and_the_loop_recovers);
  JC_TEST(s, uv_each_nth_call_failing_once_is_clean_and_the_loop_recovers);
  return jc_run(s);
}
