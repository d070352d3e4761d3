/* io.c — the asynchronous operations: accept, connect, read, write, send_to,
 * recv_from.
 *
 * Each is one non-blocking system call, tried at once (so a timeout <= 0 is
 * exactly "what a non-blocking try gets") and retried by the poll callback
 * (socket.c) when the fd becomes ready. jnet__uv_try() is that one attempt.
 */
#define _GNU_SOURCE /* accept4, SOCK_NONBLOCK */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "uv_internal.h"

/* The largest UDP payload over IPv4 (65,535 - 20 - 8). */
#define MAX_UDP_PAYLOAD 65507

static int would_block(int e) { return e == EAGAIN || e == EWOULDBLOCK; }

static int valid_addr(const jnet_addr *a) {
  return a->len > 0 && a->len <= sizeof a->u;
}

static int is_inet(const jnet_bsock *s) {
  return s->family == AF_INET || s->family == AF_INET6;
}

/* Wrap an accepted fd in a socket of the listener's family. */
static int adopt(jnet_bsock *lsn, int fd, jnet_bsock **out) {
  jnet_bsock *s = jnet__calloc(1, sizeof *s);
  if (s == NULL) {
    close(fd);
    return JNET_ENOMEM;
  }
  jnet__uv *uv = lsn->uv;
  s->uv = uv;
  s->fd = fd;
  s->family = lsn->family;
  s->type = JNET_STREAM;
  s->next = uv->socks;
  if (uv->socks != NULL)
    uv->socks->prev = s;
  uv->socks = s;
  *out = s;
  return 0;
}

static int try_accept(jnet_bsock *s, jnet_req *req) {
  for (;;) {
    int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      jnet_bsock *conn = NULL;
      req->result = adopt(s, fd, &conn);
      req->sock = conn;
      return 1;
    }
    /* a connection reset before we took it is not the listener's error */
    if (errno == EINTR || errno == ECONNABORTED)
      continue;
    if (would_block(errno))
      return 0;
    req->result = -errno;
    return 1;
  }
}

static int try_connect(jnet_bsock *s, jnet_req *req, int retry) {
  if (retry) {
    /* writable: the handshake finished; SO_ERROR says how */
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
      soerr = errno;
    if (soerr == EINPROGRESS || soerr == EALREADY)
      return 0;
    req->result = -soerr;
    return 1;
  }
  if (!valid_addr(&req->addr)) {
    req->result = JNET_EINVAL;
    return 1;
  }
  if (connect(s->fd, &req->addr.u.sa, req->addr.len) == 0) {
    req->result = 0; /* unix streams and datagram sockets: at once */
    return 1;
  }
  /* EINTR: the kernel carries on with the handshake, as for EINPROGRESS.
   * A unix listener with a full backlog gives EAGAIN: an error (Go). */
  if (s->type == JNET_STREAM && (errno == EINPROGRESS || errno == EINTR))
    return 0;
  req->result = -errno;
  return 1;
}

static int try_read(jnet_bsock *s, jnet_req *req) {
  if (s->shut_rd) {
    req->result = 0;
    return 1;
  }
  for (;;) {
    ssize_t n = recv(s->fd, req->buf, req->len, 0);
    if (n >= 0) {
      req->result = n;
      return 1;
    }
    if (errno == EINTR)
      continue;
    if (would_block(errno))
      return 0;
    req->result = (errno == EPIPE && s->type == JNET_STREAM) ? 0 : -errno;
    return 1;
  }
}

static int try_recv_from(jnet_bsock *s, jnet_req *req) {
  if (s->shut_rd) {
    req->result = 0;
    return 1;
  }
  for (;;) {
    memset(&req->addr, 0, sizeof req->addr);
    socklen_t alen = sizeof req->addr.u;
    ssize_t n = recvfrom(s->fd, req->buf, req->len, 0, &req->addr.u.sa, &alen);
    if (n >= 0) {
      req->result = n;
      if (alen == 0 || alen > sizeof req->addr.u) {
        /* an unbound unix sender has no name: keep just the family, as
         * getsockname does for an unbound unix socket */
        req->addr.u.sa.sa_family = (sa_family_t)s->family;
        alen = (socklen_t)offsetof(struct sockaddr_un, sun_path);
      }
      req->addr.len = alen;
      return 1;
    }
    if (errno == EINTR)
      continue;
    if (would_block(errno))
      return 0;
    req->result = -errno;
    return 1;
  }
}

/* write and send_to: a stream sends until every byte is out (the count so
 * far lives in upriv_[0] across retries); a datagram is one call. */
static int try_send(jnet_bsock *s, jnet_req *req, int to) {
  if (to && !valid_addr(&req->addr)) {
    req->result = JNET_EINVAL;
    return 1;
  }
  if (s->type == JNET_DATAGRAM && is_inet(s) && req->len > MAX_UDP_PAYLOAD) {
    req->result = JNET_EMSGSIZE;
    return 1;
  }
  size_t done = (size_t)req->upriv_[0];
  const char *p = req->buf;
  while (done < req->len) {
    ssize_t n;
    if (to)
      n = sendto(s->fd, p + done, req->len - done, MSG_NOSIGNAL,
                 &req->addr.u.sa, req->addr.len);
    else
      n = send(s->fd, p + done, req->len - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (would_block(errno)) {
        req->upriv_[0] = done;
        return 0;
      }
      req->result = -errno;
      return 1;
    }
    if (s->type == JNET_DATAGRAM)
      break;
    done += (size_t)n;
  }
  req->result = 0;
  return 1;
}

int jnet__uv_try(jnet_bsock *s, jnet_req *req, jnet__uv_op op, int retry) {
  switch (op) {
  case JNET__UV_ACCEPT:
    return try_accept(s, req);
  case JNET__UV_CONNECT:
    return try_connect(s, req, retry);
  case JNET__UV_READ:
    return try_read(s, req);
  case JNET__UV_RECV_FROM:
    return try_recv_from(s, req);
  case JNET__UV_WRITE:
    return try_send(s, req, 0);
  case JNET__UV_SEND_TO:
    return try_send(s, req, 1);
  }
  req->result = JNET_EINVAL;
  return 1;
}

/* Every operation: try at once; park what would block. */
static int start(jnet_bsock *s, jnet_req *req, jnet__uv_op op) {
  if (s == NULL || req == NULL)
    return JNET_EINVAL;
  req->owner_ = NULL;
  req->priv_[0] = NULL; /* non-NULL only for a pending lookup (cancel) */
  req->result = 0;
  req->upriv_[0] = 0;
  if (s->fd < 0 || s->closing) {
    req->result = JNET_EBADF;
    return 1;
  }
  if (jnet__uv_try(s, req, op, 0))
    return 1;
  int err = jnet__uv_park(s, req, op);
  if (err < 0) {
    req->result = err;
    return 1;
  }
  return 0;
}

int jnet__uv_accept(const jnet_backend *b, jnet_bsock *s, jnet_req *req) {
  (void)b;
  if (req != NULL)
    req->sock = NULL;
  return start(s, req, JNET__UV_ACCEPT);
}

int jnet__uv_connect(const jnet_backend *b, jnet_bsock *s, jnet_req *req) {
  (void)b;
  return start(s, req, JNET__UV_CONNECT);
}

int jnet__uv_read(const jnet_backend *b, jnet_bsock *s, jnet_req *req) {
  (void)b;
  return start(s, req, JNET__UV_READ);
}

int jnet__uv_write(const jnet_backend *b, jnet_bsock *s, jnet_req *req) {
  (void)b;
  return start(s, req, JNET__UV_WRITE);
}

int jnet__uv_send_to(const jnet_backend *b, jnet_bsock *s, jnet_req *req) {
  (void)b;
  return start(s, req, JNET__UV_SEND_TO);
}

int jnet__uv_recv_from(const jnet_backend *b, jnet_bsock *s, jnet_req *req) {
  (void)b;
  return start(s, req, JNET__UV_RECV_FROM);
}
