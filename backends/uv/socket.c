/* socket.c — a socket's life (socket, bind, listen, close) and the readiness
 * engine: parking a request that would block, the uv_poll_t callback that
 * retries it, and cancel.
 *
 * Poll interest: WRITABLE is watched only while a write-side request is
 * parked (a socket is nearly always writable, so a stale interest would wake
 * the loop for nothing). READABLE stays armed after the read that wanted it
 * completes, because the caller usually reads again at once (an echo); the
 * handle is unref'd meanwhile so it never keeps the loop alive, and the first
 * readiness nobody waits for disarms it.
 */
#define _GNU_SOURCE /* accept4, SOCK_NONBLOCK */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "uv_internal.h"

int jnet__uv_socket(const jnet_backend *b, jnet_node *node, int family,
                    int type, jnet_bsock **out) {
  jnet__uv *uv = jnet__uv_of(b);
  (void)node;
  if (out == NULL)
    return JNET_EINVAL;
  *out = NULL;
  if (!uv->started)
    return JNET_EINVAL;
  if (family != AF_INET && family != AF_INET6 && family != AF_UNIX)
    return JNET_EAFNOSUPPORT;
  if (type != JNET_STREAM && type != JNET_DATAGRAM)
    return JNET_EINVAL;
  jnet_bsock *s = jnet__calloc(1, sizeof *s);
  if (s == NULL)
    return JNET_ENOMEM;
  int stype = type == JNET_STREAM ? SOCK_STREAM : SOCK_DGRAM;
  int fd = socket(family, stype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    int err = -errno;
    jnet__free(s);
    return err;
  }
  s->uv = uv;
  s->fd = fd;
  s->family = family;
  s->type = type;
  s->next = uv->socks;
  if (uv->socks != NULL)
    uv->socks->prev = s;
  uv->socks = s;
  *out = s;
  return 0;
}

int jnet__uv_bind(const jnet_backend *b, jnet_bsock *s, const jnet_addr *addr) {
  (void)b;
  if (s == NULL || addr == NULL || s->fd < 0)
    return JNET_EINVAL;
  if (addr->len == 0 || addr->len > sizeof addr->u)
    return JNET_EINVAL;
  /* a path we create is ours to unlink on close (an abstract name starts
   * with a NUL and leaves nothing behind); copy it first, so that running
   * out of memory never leaves a file behind */
  char *path = NULL;
  size_t base = offsetof(struct sockaddr_un, sun_path);
  if (s->family == AF_UNIX && addr->u.sa.sa_family == AF_UNIX &&
      addr->len > base && addr->u.un.sun_path[0] != '\0') {
    size_t n = addr->len - base;
    path = jnet__malloc(n + 1);
    if (path == NULL)
      return JNET_ENOMEM;
    memcpy(path, addr->u.un.sun_path, n);
    path[n] = '\0';
  }
  if (bind(s->fd, &addr->u.sa, addr->len) < 0) {
    int err = -errno;
    jnet__free(path);
    return err;
  }
  if (path != NULL) {
    jnet__free(s->unlink_path);
    s->unlink_path = path;
  }
  return 0;
}

int jnet__uv_listen(const jnet_backend *b, jnet_bsock *s, int backlog) {
  (void)b;
  if (s == NULL || s->fd < 0)
    return JNET_EINVAL;
  if (listen(s->fd, backlog) < 0)
    return -errno;
  s->listening = 1;
  return 0;
}

static void on_poll_closed(uv_handle_t *h) { jnet__free(h->data); }

/* Forget parked requests (the API cancels them before close; this is only
 * a safety net, and it writes nothing into them: their memory may be gone). */
static void drop_parked(jnet_bsock *s) {
  if (s->rd != NULL) {
    s->rd = NULL;
    s->uv->npending--;
  }
  if (s->wr != NULL) {
    s->wr = NULL;
    s->uv->npending--;
  }
}

void jnet__uv_close(const jnet_backend *b, jnet_bsock *s) {
  (void)b;
  if (s == NULL || s->closing)
    return;
  jnet__uv *uv = s->uv;
  drop_parked(s);
  if (s->unlink_path != NULL) {
    /* Go's rule: a listener removes the path it created. Only a bound unix
     * socket has one, and only a listener or datagram listener is bound. */
    unlink(s->unlink_path);
    jnet__free(s->unlink_path);
    s->unlink_path = NULL;
  }
  if (s->prev != NULL)
    s->prev->next = s->next;
  else
    uv->socks = s->next;
  if (s->next != NULL)
    s->next->prev = s->prev;
  s->prev = s->next = NULL;
  s->closing = 1;
  if (s->poll_inited) {
    /* uv_close takes the fd out of epoll now; the memory goes later */
    uv_close((uv_handle_t *)&s->poll, on_poll_closed);
    close(s->fd);
    s->fd = -1;
  } else {
    close(s->fd);
    jnet__free(s);
  }
}

/* ---- Readiness ----------------------------------------------------------- */

static void on_poll(uv_poll_t *h, int status, int events);

/* Watch what the parked requests need, plus a lingering READABLE when
 * `keep_rd` says the last one was wanted. */
static int update_poll(jnet_bsock *s, int keep_rd) {
  int need =
      (s->rd != NULL ? UV_READABLE : 0) | (s->wr != NULL ? UV_WRITABLE : 0);
  int want = need | (keep_rd ? (s->armed & UV_READABLE) : 0);
  int err = 0;
  if (want != s->armed) {
    if (want == 0)
      err = uv_poll_stop(&s->poll);
    else
      err = uv_poll_start(&s->poll, want, on_poll);
    s->armed = err < 0 ? 0 : want;
  }
  if (need != 0)
    uv_ref((uv_handle_t *)&s->poll);
  else
    uv_unref((uv_handle_t *)&s->poll);
  return err;
}

/* Complete the request parked on one side of s. */
static void complete(jnet_bsock *s, jnet_req **slot) {
  jnet_req *req = *slot;
  *slot = NULL;
  req->owner_ = NULL;
  s->uv->npending--;
  s->uv->ncompleted++;
  req->cb(req);
}

/* Retry the request parked in *slot; complete it if it is done. Returns 1
 * if the socket was closed from inside the completion. */
static int retry(jnet_bsock *s, jnet_req **slot, jnet__uv_op op) {
  jnet_req *req = *slot;
  if (req == NULL || !jnet__uv_try(s, req, op, 1))
    return 0;
  complete(s, slot);
  return s->closing;
}

/* Complete both parked requests with `err` (the poll could not be armed). */
static void fail_all(jnet_bsock *s, int err) {
  if (s->rd != NULL) {
    s->rd->result = err;
    complete(s, &s->rd);
    if (s->closing)
      return;
  }
  if (s->wr != NULL) {
    s->wr->result = err;
    complete(s, &s->wr);
  }
}

/* POLLERR with requests still blocked: the socket's pending error is
 * theirs (an ICMP error, a reset); without one they stay parked. */
static int fail_parked(jnet_bsock *s) {
  int soerr = 0;
  socklen_t len = sizeof soerr;
  if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
    soerr = errno;
  if (soerr == 0)
    return 0;
  if (s->rd != NULL) {
    s->rd->result = -soerr;
    complete(s, &s->rd);
    if (s->closing)
      return 1;
  }
  if (s->wr != NULL) {
    s->wr->result = -soerr;
    complete(s, &s->wr);
  }
  return s->closing;
}

static void on_poll(uv_poll_t *h, int status, int events) {
  jnet_bsock *s = h->data;
  if (s->closing || s->uv->stopping)
    return;
  int was_reading = s->rd != NULL;
  if (status < 0) {
    /* libuv stopped the handle on POLLERR: retry both sides, the system
     * calls say what went wrong */
    s->armed = 0;
    events = UV_READABLE | UV_WRITABLE;
  }
  if ((events & (UV_READABLE | UV_DISCONNECT)) && retry(s, &s->rd, s->rd_op))
    return;
  if ((events & UV_WRITABLE) && retry(s, &s->wr, s->wr_op))
    return;
  if (status < 0 && (s->rd != NULL || s->wr != NULL) && fail_parked(s))
    return;
  /* a readable event nobody waited for disarms READABLE */
  int keep_rd = !(events & UV_READABLE) || was_reading;
  int err = update_poll(s, keep_rd);
  if (err < 0)
    fail_all(s, err);
}

/* Park `req` (whose first attempt would block) until the fd is ready.
 * Returns 0 (pending), or a negative code with nothing parked. */
int jnet__uv_park(jnet_bsock *s, jnet_req *req, jnet__uv_op op) {
  int write_side = op >= JNET__UV_CONNECT;
  jnet_req **slot = write_side ? &s->wr : &s->rd;
  if (*slot != NULL)
    return JNET_EBUSY; /* the API allows one per side; never clobber it */
  if (!s->poll_inited) {
    int err = uv_poll_init(&s->uv->loop, &s->poll, s->fd);
    if (err < 0)
      return err;
    s->poll.data = s;
    s->poll_inited = 1;
  }
  *slot = req;
  if (write_side)
    s->wr_op = op;
  else
    s->rd_op = op;
  req->owner_ = s;
  s->uv->npending++;
  int err = update_poll(s, 1);
  if (err < 0) {
    *slot = NULL;
    req->owner_ = NULL;
    s->uv->npending--;
    return err;
  }
  return 0;
}

void jnet__uv_cancel(const jnet_backend *b, jnet_req *req) {
  if (req == NULL)
    return;
  jnet_bsock *s = req->owner_;
  if (s == NULL) {
    jnet__uv_resolve_cancel(jnet__uv_of(b), req);
    return;
  }
  req->owner_ = NULL;
  if (s->rd == req)
    s->rd = NULL;
  else if (s->wr == req)
    s->wr = NULL;
  else
    return; /* not parked (already completed) */
  s->uv->npending--;
  if (!s->closing)
    update_poll(s, 1);
}
