/* addr.c — net/address, net/address-unpack, and the resolver every call uses.
 *
 * The API checks what is the same on every backend (unix paths, port
 * numbers, the socket type) and leaves names and services to the backend's
 * resolver (getaddrinfo on uv, the simulated DNS on sim).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "jnet_port.h"

/* Build a unix address from `path` ('@' prefix: Linux abstract name, exact
 * length). */
static int unix_addr(const char *path, jnet_addr *out) {
  if (path == NULL || path[0] == '\0')
    return JNET_EINVAL;
  size_t n = strlen(path);
  memset(out, 0, sizeof *out);
  out->u.un.sun_family = AF_UNIX;
  if (n >= sizeof out->u.un.sun_path)
    return JNET_ENAMETOOLONG;
  size_t base = offsetof(struct sockaddr_un, sun_path);
  if (path[0] == '@') {
    memcpy(out->u.un.sun_path + 1, path + 1, n - 1);
    out->len = (socklen_t)(base + n);
  } else {
    memcpy(out->u.un.sun_path, path, n);
    out->len = (socklen_t)(base + n + 1);
  }
  return 0;
}

/* NULL and numeric ports are checked here, alike on both backends. */
static int check_port(const char *port) {
  if (port == NULL)
    return 0;
  long n;
  int kind = jnet__port_number(port, &n);
  if (kind == JNET__PORT_BAD ||
      (kind == JNET__PORT_NAME && (port[0] == '-' || port[0] == '+')))
    return JNET_EAI_SERVICE;
  return 0; /* a number, or a name the backend resolves */
}

int jnet__resolve(jnet__fiber *f, const char *host, const char *port,
                  int type, int passive, jnet_addr *out, size_t cap) {
  /* LCOV_EXCL_BR_START: its callers (jnet_address_all, jnet_listen,
   * jnet_connect) refused these already; kept for a future caller */
  if (host == NULL || (type != JNET_STREAM && type != JNET_DATAGRAM) ||
      (out == NULL && cap > 0))
    return JNET_EINVAL;
  /* LCOV_EXCL_BR_STOP */
  if (strcmp(host, JNET_UNIX) == 0) {
    jnet_addr a;
    int err = unix_addr(port, &a);
    if (err < 0)
      return err;
    if (cap > 0)
      out[0] = a;
    return 1;
  }
  /* LCOV_EXCL_BR_START: callers outside a fiber stopped earlier */
  if (f == NULL)
    return JNET_ENOTFIBER;
  /* LCOV_EXCL_BR_STOP */
  int err = check_port(port);
  if (err < 0)
    return err;
  if (host[0] == '\0')
    return JNET_EAI_NONAME;
  if (jnet__fiber_cancelled(f))
    return JNET_ECANCELED;
  jnet_loop *l = f->loop;
  jnet_req req;
  jnet__req_init(&req, f);
  req.addrs = out;
  req.naddrs = cap;
  int started =
      l->b->resolve(l->b, f->node->bnode, &req, host, port, type, passive);
  ssize_t r = jnet__submit(f, started, &req, NULL, JNET_FOREVER);
  if (r == 0)
    return JNET_EAI_NONAME;
  return (int)r;
}

int jnet_address_all(const char *host, const char *port, int type,
                     jnet_addr *out, size_t cap) {
  if (host == NULL || (out == NULL && cap > 0) ||
      (type != JNET_STREAM && type != JNET_DATAGRAM))
    return JNET_EINVAL;
  jnet__fiber *f = jnet__self();
  if (f == NULL && strcmp(host, JNET_UNIX) != 0)
    return JNET_ENOTFIBER;
  return jnet__resolve(f, host, port, type, 0, out, cap);
}

int jnet_address(const char *host, const char *port, int type,
                 jnet_addr *out) {
  if (out == NULL)
    return JNET_EINVAL;
  int r = jnet_address_all(host, port, type, out, 1);
  return r < 0 ? r : 0;
}

int jnet_address_unpack(const jnet_addr *a, char *host, size_t n, int *port) {
  if (a == NULL || host == NULL || port == NULL)
    return JNET_EINVAL;
  char tmp[INET6_ADDRSTRLEN + 1 + sizeof a->u.un.sun_path];
  switch (a->u.sa.sa_family) {
  case AF_INET:
    inet_ntop(AF_INET, &a->u.in4.sin_addr, tmp, sizeof tmp);
    *port = ntohs(a->u.in4.sin_port);
    break;
  case AF_INET6:
    inet_ntop(AF_INET6, &a->u.in6.sin6_addr, tmp, sizeof tmp);
    *port = ntohs(a->u.in6.sin6_port);
    break;
  case AF_UNIX: {
    size_t base = offsetof(struct sockaddr_un, sun_path);
    size_t plen = a->len > base ? a->len - base : 0;
    if (plen > sizeof a->u.un.sun_path)
      plen = sizeof a->u.un.sun_path;
    if (plen == 0) { /* unnamed (an unbound client): Janet prints "@" */
      strcpy(tmp, "@");
    } else if (a->u.un.sun_path[0] == '\0') { /* abstract: exact length */
      tmp[0] = '@';
      memcpy(tmp + 1, a->u.un.sun_path + 1, plen - 1);
      tmp[plen] = '\0';
    } else {
      size_t len = strnlen(a->u.un.sun_path, plen);
      memcpy(tmp, a->u.un.sun_path, len);
      tmp[len] = '\0';
    }
    *port = -1;
    break;
  }
  default:
    return JNET_EAFNOSUPPORT;
  }
  size_t len = strlen(tmp);
  if (len + 1 > n)
    return JNET_ENOBUFS;
  memcpy(host, tmp, len + 1);
  return 0;
}
