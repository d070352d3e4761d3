/* net.c — making streams: net/listen, accept, accept-loop, server, connect. */
#include <string.h>

#include "internal.h"

/* At most this many addresses of a name are tried. */
#define MAX_ADDRS 16

/* Common entry of the calls that may wait: the running fiber, or an error
 * (a fiber of a crashed node gets JNET_ECANCELED on every blocking call). */
static int enter(jnet__fiber **out) {
  jnet__fiber *f = jnet__self();
  if (f == NULL)
    return JNET_ENOTFIBER;
  if (jnet__fiber_cancelled(f))
    return JNET_ECANCELED;
  *out = f;
  return 0;
}

static int open_bound(jnet__fiber *f, const jnet_addr *a, int type,
                      jnet_bsock **out) {
  const jnet_backend *b = f->loop->b;
  jnet_bsock *sock;
  int err = b->socket(b, f->node->bnode, a->u.sa.sa_family, type, &sock);
  if (err < 0)
    return err;
  if (type == JNET_STREAM && a->u.sa.sa_family != AF_UNIX)
    err = b->setsockopt(b, sock, JNET_SO_REUSEADDR, jnet_opt_bool(1));
  if (err == 0)
    err = b->bind(b, sock, a);
  if (err == 0 && type == JNET_STREAM)
    err = b->listen(b, sock, 1024);
  if (err < 0) {
    b->close(b, sock);
    return err;
  }
  *out = sock;
  return 0;
}

int jnet_listen(const char *host, const char *port, int type,
                jnet_stream *out) {
  if (host == NULL || out == NULL ||
      (type != JNET_STREAM && type != JNET_DATAGRAM))
    return JNET_EINVAL;
  *out = JNET_NOSTREAM;
  jnet__fiber *f;
  int err = enter(&f);
  if (err < 0)
    return err;
  jnet_addr addrs[MAX_ADDRS];
  int n = jnet__resolve(f, host, port, type, 1, addrs, MAX_ADDRS);
  if (n < 0)
    return n;
  if (n > MAX_ADDRS)
    n = MAX_ADDRS;
  err = JNET_EADDRNOTAVAIL;
  for (int i = 0; i < n; i++) {
    jnet_bsock *sock;
    err = open_bound(f, &addrs[i], type, &sock);
    if (err < 0)
      continue;
    jnet__kind kind = type == JNET_STREAM ? JNET__LISTENER : JNET__DGRAM_LISTENER;
    err = jnet__stream_new(f->loop, f->node, sock, kind, addrs[i].u.sa.sa_family,
                           out);
    if (err < 0)
      f->loop->b->close(f->loop->b, sock);
    return err;
  }
  return err;
}

/* Look up a stream for a call that may wait, in Janet's order: closed, then
 * kind (`ok_kinds` is a bit set of jnet__kind), then busy. */
static int stream_for(jnet__fiber *f, jnet_stream s, unsigned ok_kinds,
                      jnet__stream **out) {
  jnet__stream *st = jnet__stream_get(f->loop, s);
  if (st == NULL)
    return JNET_ECLOSED;
  if (!(ok_kinds & (1u << st->kind)))
    return JNET_ENOTSUP;
  *out = st;
  return 0;
}

/* accept and accept_loop: a stream listener nobody else accepts on. */
static int listener_for(jnet_stream srv, jnet__fiber **f, jnet__stream **st) {
  int err = enter(f);
  if (err == 0)
    err = stream_for(*f, srv, 1u << JNET__LISTENER, st);
  if (err == 0 && (*st)->acceptor != NULL)
    err = JNET_EBUSY;
  return err;
}

int jnet_accept(jnet_stream srv, double timeout, jnet_stream *out) {
  if (out == NULL || srv.h == 0)
    return JNET_EINVAL;
  *out = JNET_NOSTREAM;
  jnet__fiber *f;
  jnet__stream *st;
  int err = listener_for(srv, &f, &st);
  if (err < 0)
    return err;
  jnet_loop *l = f->loop;
  int family = st->family; /* a connection has its listener's family */
  jnet_req req;
  jnet__req_init(&req, f);
  int started = l->b->accept(l->b, st->sock, &req);
  ssize_t r = jnet__submit(f, started, &req, &st->acceptor, timeout);
  if (r < 0)
    return (int)r;
  /* the listener may have been closed meanwhile; the new socket is ours */
  jnet__stream *now = jnet__stream_get(l, srv);
  jnet__nodestate *n = now != NULL ? now->node : f->node;
  err = jnet__stream_new(l, n, req.sock, JNET__CONN, family, out);
  if (err < 0)
    l->b->close(l->b, req.sock);
  return err;
}

/* One accepted connection, handed to its handler's fiber. */
typedef struct {
  jnet_handler h;
  void *arg;
  jnet_stream conn;
} handler_job;

static void handler_fiber(void *p) {
  handler_job job = *(handler_job *)p;
  jnet__free(p);
  job.h(job.conn, job.arg);
  jnet_close(job.conn);
}

int jnet_accept_loop(jnet_stream srv, jnet_handler h, void *arg) {
  if (h == NULL || srv.h == 0)
    return JNET_EINVAL;
  jnet__fiber *f;
  jnet__stream *st;
  int err = listener_for(srv, &f, &st);
  if (err < 0)
    return err;
  for (;;) {
    jnet_stream conn;
    err = jnet_accept(srv, JNET_FOREVER, &conn);
    if (err == JNET_ECANCELED || err == JNET_ECLOSED)
      return 0; /* the server was closed (or its node crashed) */
    /* LCOV_EXCL_BR_START: EBUSY cannot come back here (no other fiber
     * runs between this loop's accepts); ETIMEDOUT is tested (iofault) */
    if (err == JNET_EBUSY || err == JNET_ETIMEDOUT)
      return err; /* ETIMEDOUT: the fiber's deadline (jnet_deadline) */
    /* LCOV_EXCL_BR_STOP */
    if (err < 0) { /* EMFILE and the like: wait a little, keep serving */
      int e = jnet_sleep(0.01); /* a jnet_cancel or deadline ends the loop */
      if (e < 0)
        return e == JNET_ECANCELED ? 0 : e;
      continue;
    }
    handler_job *job = jnet__malloc(sizeof *job);
    if (job == NULL) {
      jnet_close(conn);
      continue;
    }
    job->h = h;
    job->arg = arg;
    job->conn = conn;
    if (jnet__spawn(f->loop, f->node, handler_fiber, job) < 0) {
      jnet__free(job);
      jnet_close(conn);
    }
  }
}

typedef struct {
  jnet_stream srv;
  jnet_handler h;
  void *arg;
} server_job;

static void server_fiber(void *p) {
  server_job job = *(server_job *)p;
  jnet__free(p);
  (void)jnet_accept_loop(job.srv, job.h, job.arg);
}

int jnet_server(const char *host, const char *port, jnet_handler h,
                void *arg, int type, jnet_stream *out) {
  int err = jnet_listen(host, port, type, out);
  if (err < 0 || h == NULL)
    return err;
  jnet__fiber *f = jnet__self();
  server_job *job = jnet__malloc(sizeof *job);
  if (job == NULL) {
    jnet_close(*out);
    *out = JNET_NOSTREAM;
    return JNET_ENOMEM;
  }
  job->srv = *out;
  job->h = h;
  job->arg = arg;
  err = jnet__spawn(f->loop, f->node, server_fiber, job);
  if (err < 0) {
    jnet__free(job);
    jnet_close(*out);
    *out = JNET_NOSTREAM;
  }
  return err;
}

int jnet_connect(const char *host, const char *port, int type,
                 const char *bindhost, const char *bindport,
                 jnet_stream *out) {
  if (host == NULL || out == NULL ||
      (type != JNET_STREAM && type != JNET_DATAGRAM))
    return JNET_EINVAL;
  *out = JNET_NOSTREAM;
  if (bindhost != NULL && strcmp(host, JNET_UNIX) == 0)
    return JNET_EINVAL;
  jnet__fiber *f;
  int err = enter(&f);
  if (err < 0)
    return err;
  jnet_addr dst, local;
  int n = jnet__resolve(f, host, port, type, 0, &dst, 1);
  if (n < 0)
    return n;
  if (bindhost != NULL) {
    n = jnet__resolve(f, bindhost, bindport, type, 0, &local, 1);
    if (n < 0)
      return n;
    if (local.u.sa.sa_family != dst.u.sa.sa_family)
      return JNET_EAFNOSUPPORT;
  }
  jnet_loop *l = f->loop;
  const jnet_backend *b = l->b;
  jnet_bsock *sock;
  int family = dst.u.sa.sa_family;
  err = b->socket(b, f->node->bnode, family, type, &sock);
  if (err < 0)
    return err;
  if (bindhost != NULL && (err = b->bind(b, sock, &local)) < 0) {
    b->close(b, sock);
    return err;
  }
  /* The stream exists while connecting, so a crash of the node closes it
   * like any other; the caller gets the handle only on success. */
  jnet_stream s;
  err = jnet__stream_new(l, f->node, sock, JNET__CONNECTING, family, &s);
  if (err < 0) {
    b->close(b, sock);
    return err;
  }
  jnet__stream *st = jnet__stream_get(l, s);
  jnet_req req;
  jnet__req_init(&req, f);
  req.addr = dst;
  int started = b->connect(b, sock, &req);
  ssize_t r = jnet__submit(f, started, &req, &st->writer, JNET_FOREVER);
  st = jnet__stream_get(l, s);
  if (r < 0) {
    if (st != NULL)
      jnet__stream_close(l, st);
    return (int)r;
  }
  if (st == NULL)
    return JNET_ECANCELED;
  st->kind = type == JNET_STREAM ? JNET__CONN : JNET__DGRAM_CONN;
  *out = s;
  return 0;
}
