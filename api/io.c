/* io.c — using streams: read, read :all, chunk, write, flush, send-to,
 * recv-from, and the controls (setsockopt, shutdown, localname, peername).
 *
 * Every call checks in Janet's order: arguments, then (for calls that may
 * wait) the fiber, then closed, kind, busy. Reads append to the caller's
 * jnet_buf and never keep a pointer into it after they return.
 */
#include <limits.h>
#include <math.h>
#include <string.h>

#include "internal.h"

#define KIND(k) (1u << (k))
#define READ_KINDS (KIND(JNET__CONN) | KIND(JNET__DGRAM_LISTENER) | KIND(JNET__DGRAM_CONN))
#define WRITE_KINDS (KIND(JNET__CONN) | KIND(JNET__DGRAM_CONN))
#define DGRAM_KINDS (KIND(JNET__DGRAM_LISTENER) | KIND(JNET__DGRAM_CONN))

/* The fiber and stream of a call that may wait, or the error to return. */
JNET__HOT_INLINE int begin(jnet_stream s, unsigned kinds, jnet__fiber **fp,
                 jnet__stream **stp) {
  if (s.h == 0)
    return JNET_EINVAL;
  jnet__fiber *f = jnet__self();
  if (f == NULL)
    return JNET_ENOTFIBER;
  jnet__stream *st = jnet__stream_get(f->loop, s);
  if (st == NULL)
    return JNET_ECLOSED;
  if (!(kinds & KIND(st->kind)))
    return JNET_ENOTSUP;
  if (jnet__fiber_cancelled(f))
    return JNET_ECANCELED;
  *fp = f;
  *stp = st;
  return 0;
}

/* A control call: works anywhere, on any kind. */
static int control(jnet_stream s, jnet_loop **lp, jnet__stream **stp) {
  if (s.h == 0)
    return JNET_EINVAL;
  jnet_loop *l = jnet__current_loop();
  jnet__stream *st = jnet__stream_get(l, s);
  if (st == NULL)
    return JNET_ECLOSED;
  *lp = l;
  *stp = st;
  return 0;
}

static int is_inet(int family) { return family == AF_INET || family == AF_INET6; }

/* Copy an address: an IP one needs at most a sockaddr_in6 (more when len
 * says so), copied at a fixed size; a unix one goes whole (its path may be
 * read to the end). */
JNET__HOT_INLINE void addr_copy(jnet_addr *to, const jnet_addr *from) {
  if (from->u.sa.sa_family != AF_UNIX && from->len <= sizeof from->u.in6) {
    memcpy(&to->u, &from->u, sizeof from->u.in6);
  } else {
    size_t n = sizeof from->u;
    /* LCOV_EXCL_BR_START: len > sizeof u would be a backend's len beyond
     * the jnet_addr it wrote into (a long one: iofault) */
    if (from->u.sa.sa_family != AF_UNIX && from->len <= sizeof from->u)
      n = from->len;
    /* LCOV_EXCL_BR_STOP */
    memcpy(&to->u, &from->u, n);
  }
  to->len = from->len;
}

/* One backend read of up to n bytes appended to b. `st` is valid on entry;
 * after the wait it may be closed, which the result (ECANCELED) says. */
JNET__HOT_INLINE ssize_t read_step(jnet__fiber *f, jnet__stream *st, size_t n,
                         jnet_buf *b, double timeout, jnet_addr *from,
                         int recv_from) {
  if (st->reader != NULL)
    return JNET_EBUSY;
  if (st->shut_rd)
    return 0;
  if (b->len > b->cap || b->cap - b->len < n) { /* else room already */
    int err = jnet_buf_reserve(b, n);
    if (err < 0)
      return err;
  }
  const jnet_backend *bk = f->loop->b;
  jnet_req req;
  jnet__req_init(&req, f);
  req.buf = b->data + b->len;
  req.len = n;
  int started = recv_from ? bk->recv_from(bk, st->sock, &req)
                          : bk->read(bk, st->sock, &req);
  ssize_t r = jnet__submit(f, started, &req, &st->reader, timeout);
  if (r > 0)
    b->len += (size_t)r;
  if (r >= 0 && from != NULL)
    addr_copy(from, &req.addr);
  return r;
}

/* read and recv_from: one datagram, or what a stream has (>= 1 byte). */
JNET__HOT_INLINE ssize_t read_one(jnet_stream s, size_t n, jnet_buf *b, double timeout,
                        unsigned kinds, jnet_addr *from, int recv_from) {
  if (b == NULL || n == 0 || n > SSIZE_MAX)
    return JNET_EINVAL;
  jnet__fiber *f;
  jnet__stream *st;
  int err = begin(s, kinds, &f, &st);
  if (err < 0)
    return err;
  return read_step(f, st, n, b, timeout, from, recv_from);
}

ssize_t jnet_read(jnet_stream s, size_t n, jnet_buf *b, double timeout) {
  return read_one(s, n, b, timeout, READ_KINDS, NULL, 0);
}

/* chunk and read :all: repeat reads until `want` bytes (SIZE_MAX: EOF) or
 * the deadline. What arrived stays in b on every exit. */
static ssize_t read_many(jnet_stream s, size_t want, jnet_buf *b,
                         double timeout) {
  jnet__fiber *f;
  jnet__stream *st;
  int err = begin(s, KIND(JNET__CONN), &f, &st);
  if (err < 0)
    return err;
  if (st->reader != NULL)
    return JNET_EBUSY;
  uint64_t deadline = jnet__deadline_after(f->loop, timeout);
  size_t got = 0;
  while (got < want) {
    /* read :all grows its steps; chunk asks for what is missing */
    size_t step = want == SIZE_MAX ? (got < 65536 ? 4096 : 65536) : want - got;
    if (step > 65536)
      step = 65536;
    double left = timeout > 0 ? jnet__remaining(f->loop, deadline) : 0;
    ssize_t r = read_step(f, st, step, b, left, NULL, 0);
    if (r < 0)
      return r;
    if (r == 0)
      break; /* end of stream: return what arrived */
    got += (size_t)r;
    if ((st = jnet__stream_get(f->loop, s)) == NULL)
      return JNET_ECANCELED;
  }
  return (ssize_t)got;
}

ssize_t jnet_read_all(jnet_stream s, jnet_buf *b, double timeout) {
  if (b == NULL)
    return JNET_EINVAL;
  return read_many(s, SIZE_MAX, b, timeout);
}

ssize_t jnet_chunk(jnet_stream s, size_t n, jnet_buf *b, double timeout) {
  if (b == NULL || n == 0 || n > SSIZE_MAX)
    return JNET_EINVAL;
  return read_many(s, n, b, timeout);
}

ssize_t jnet_recv_from(jnet_stream s, size_t n, jnet_buf *b, double timeout,
                       jnet_addr *from) {
  return read_one(s, n, b, timeout, DGRAM_KINDS, from, 1);
}

static int send_req(jnet__fiber *f, jnet__stream *st, const jnet_addr *dst,
                    const void *p, size_t n, double timeout);
JNET__HOT_INLINE int write_req(jnet__fiber *f, jnet__stream *st,
                               const jnet_addr *dst, const void *p, size_t n,
                               double timeout);

/* One backend write or send_to of all n bytes. */
JNET__HOT_INLINE int write_step(jnet__fiber *f, jnet__stream *st, const jnet_addr *dst,
                      const void *p, size_t n, double timeout) {
  if (st->writer != NULL)
    return JNET_EBUSY;
  if (n == 0)
    return 0; /* Janet: nothing is sent, not even an empty datagram */
  if (st->shut_wr)
    return JNET_EPIPE;
  if (n > JNET__MAX_DATAGRAM && st->kind != JNET__CONN && is_inet(st->family))
    return JNET_EMSGSIZE;
  if (dst != NULL && f->loop->send_to_now != NULL) { /* no request needed */
    int r = f->loop->send_to_now(f->loop->b, st->sock, p, n, dst);
    if (r != 1)
      return r < 0 ? r : 0;
  }
  /* a send_to's request out of line: the path above needs none, and
   * keeps a small frame */
  return dst != NULL ? send_req(f, st, dst, p, n, timeout)
                     : write_req(f, st, NULL, p, n, timeout);
}

/* write_step's request: the backend's write or send_to. */
JNET__HOT_INLINE int write_req(jnet__fiber *f, jnet__stream *st,
                               const jnet_addr *dst, const void *p, size_t n,
                               double timeout) {
  const jnet_backend *bk = f->loop->b;
  jnet_req req;
  jnet__req_init(&req, f);
  req.buf = (void *)p;
  req.len = n;
  int started;
  if (dst != NULL) {
    addr_copy(&req.addr, dst);
    started = bk->send_to(bk, st->sock, &req);
  } else {
    started = bk->write(bk, st->sock, &req);
  }
  ssize_t r = jnet__submit(f, started, &req, &st->writer, timeout);
  return r < 0 ? (int)r : 0;
}

static __attribute__((noinline)) int send_req(jnet__fiber *f,
                                              jnet__stream *st,
                                              const jnet_addr *dst,
                                              const void *p, size_t n,
                                              double timeout) {
  return write_req(f, st, dst, p, n, timeout);
}

int jnet_write(jnet_stream s, const void *p, size_t n, double timeout) {
  if (p == NULL && n > 0)
    return JNET_EINVAL;
  jnet__fiber *f;
  jnet__stream *st;
  int err = begin(s, WRITE_KINDS, &f, &st);
  if (err < 0)
    return err;
  return write_step(f, st, NULL, p, n, timeout);
}

int jnet_send_to(jnet_stream s, const jnet_addr *dst, const void *p,
                 size_t n, double timeout) {
  if (dst == NULL || (p == NULL && n > 0))
    return JNET_EINVAL;
  jnet__fiber *f;
  jnet__stream *st;
  int err = begin(s, DGRAM_KINDS, &f, &st);
  if (err < 0)
    return err;
  if (dst->u.sa.sa_family != st->family)
    return JNET_EAFNOSUPPORT;
  return write_step(f, st, dst, p, n, timeout);
}

int jnet_flush(jnet_stream s) {
  jnet_loop *l;
  jnet__stream *st;
  int err = control(s, &l, &st);
  if (err < 0)
    return err;
  if (!(WRITE_KINDS & KIND(st->kind)))
    return JNET_ENOTSUP;
  if (st->kind != JNET__CONN || !is_inet(st->family))
    return 0;
  /* Nagle off pushes out what it holds; then back on, as Janet does */
  err = l->b->nodelay(l->b, st->sock, 1);
  if (err == 0)
    err = l->b->nodelay(l->b, st->sock, 0);
  return err;
}

static int check_optval(int option, jnet_optval v) {
  switch (option) {
  case JNET_SO_BROADCAST:
  case JNET_SO_REUSEADDR:
  case JNET_SO_KEEPALIVE:
    return v.type == JNET_OPT_BOOL ? 0 : JNET_EINVAL;
  case JNET_IP_MULTICAST_TTL:
    return v.type == JNET_OPT_INT ? 0 : JNET_EINVAL;
  case JNET_IP_ADD_MEMBERSHIP:
  case JNET_IP_DROP_MEMBERSHIP:
  case JNET_IPV6_JOIN_GROUP:
  case JNET_IPV6_LEAVE_GROUP:
    return v.type == JNET_OPT_STR && v.u.s != NULL ? 0 : JNET_EINVAL;
  default:
    return JNET_EINVAL;
  }
}

int jnet_setsockopt(jnet_stream s, int option, jnet_optval v) {
  if (s.h == 0)
    return JNET_EINVAL;
  int err = check_optval(option, v);
  if (err < 0)
    return err;
  jnet_loop *l;
  jnet__stream *st;
  if ((err = control(s, &l, &st)) < 0)
    return err;
  return l->b->setsockopt(l->b, st->sock, option, v);
}

int jnet_shutdown(jnet_stream s, int mode) {
  if (mode != JNET_SHUT_RDWR && mode != JNET_SHUT_RD && mode != JNET_SHUT_WR)
    return JNET_EINVAL;
  jnet_loop *l;
  jnet__stream *st;
  int err = control(s, &l, &st);
  if (err < 0)
    return err;
  int rd = mode != JNET_SHUT_WR, wr = mode != JNET_SHUT_RD;
  if ((!rd || st->shut_rd) && (!wr || st->shut_wr))
    return 0; /* repeated: nothing left to shut */
  err = l->b->shutdown(l->b, st->sock, mode);
  if (err < 0)
    return err;
  if (rd) {
    st->shut_rd = 1;
    if (st->reader != NULL) /* a blocked reader sees end of stream */
      jnet__fiber_wake(st->reader, 0);
  }
  if (wr)
    st->shut_wr = 1;
  return 0;
}

int jnet_localname(jnet_stream s, jnet_addr *out) {
  if (out == NULL)
    return JNET_EINVAL;
  jnet_loop *l;
  jnet__stream *st;
  int err = control(s, &l, &st);
  return err < 0 ? err : l->b->localname(l->b, st->sock, out);
}

int jnet_peername(jnet_stream s, jnet_addr *out) {
  if (out == NULL)
    return JNET_EINVAL;
  jnet_loop *l;
  jnet__stream *st;
  int err = control(s, &l, &st);
  if (err < 0)
    return err;
  if (st->kind == JNET__LISTENER)
    return JNET_ENOTCONN;
  return l->b->peername(l->b, st->sock, out);
}
