/* sockopt.c — the synchronous socket controls: shutdown, setsockopt (Janet's
 * eight options), nodelay, localname and peername. Each maps onto one
 * system call and returns Linux's answer as -errno.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "uv_internal.h"

int jnet__uv_shutdown(const jnet_backend *b, jnet_bsock *s, int mode) {
  (void)b;
  if (s == NULL || s->fd < 0)
    return JNET_EINVAL;
  int how, rd, wr;
  switch (mode) {
  case JNET_SHUT_RDWR:
    how = SHUT_RDWR, rd = wr = 1;
    break;
  case JNET_SHUT_RD:
    how = SHUT_RD, rd = 1, wr = 0;
    break;
  case JNET_SHUT_WR:
    how = SHUT_WR, rd = 0, wr = 1;
    break;
  default:
    return JNET_EINVAL;
  }
  int was_shut = s->shut_rd || s->shut_wr;
  if ((!rd || s->shut_rd) && (!wr || s->shut_wr))
    return 0; /* repeated: nothing left to shut */
  if (shutdown(s->fd, how) < 0) {
    /* after a first shutdown Linux may call the socket unconnected (a
     * datagram socket, a reset TCP one): a repeat is still fine */
    if (!(errno == ENOTCONN && was_shut))
      return -errno;
  }
  if (rd)
    s->shut_rd = 1;
  if (wr)
    s->shut_wr = 1;
  return 0;
}

static int set_int(jnet_bsock *s, int level, int name, int val) {
  if (setsockopt(s->fd, level, name, &val, sizeof val) < 0)
    return -errno;
  return 0;
}

static int set_ipv4_group(jnet_bsock *s, int name, const char *group) {
  struct ip_mreq mreq;
  memset(&mreq, 0, sizeof mreq);
  if (inet_pton(AF_INET, group, &mreq.imr_multiaddr) != 1)
    return JNET_EINVAL;
  mreq.imr_interface.s_addr = htonl(INADDR_ANY);
  if (setsockopt(s->fd, IPPROTO_IP, name, &mreq, sizeof mreq) < 0)
    return -errno;
  return 0;
}

static int set_ipv6_group(jnet_bsock *s, int name, const char *group) {
  struct ipv6_mreq mreq;
  memset(&mreq, 0, sizeof mreq);
  if (inet_pton(AF_INET6, group, &mreq.ipv6mr_multiaddr) != 1)
    return JNET_EINVAL;
  mreq.ipv6mr_interface = 0;
  if (setsockopt(s->fd, IPPROTO_IPV6, name, &mreq, sizeof mreq) < 0)
    return -errno;
  return 0;
}

int jnet__uv_setsockopt(const jnet_backend *b, jnet_bsock *s, int option,
                        jnet_optval v) {
  (void)b;
  if (s == NULL || s->fd < 0)
    return JNET_EINVAL;
  switch (option) {
  case JNET_SO_BROADCAST:
    return set_int(s, SOL_SOCKET, SO_BROADCAST, v.u.b != 0);
  case JNET_SO_REUSEADDR:
    return set_int(s, SOL_SOCKET, SO_REUSEADDR, v.u.b != 0);
  case JNET_SO_KEEPALIVE:
    return set_int(s, SOL_SOCKET, SO_KEEPALIVE, v.u.b != 0);
  case JNET_IP_MULTICAST_TTL:
    /* Linux: -1 means the default, 0..255, else EINVAL */
    return set_int(s, IPPROTO_IP, IP_MULTICAST_TTL, v.u.i);
  case JNET_IP_ADD_MEMBERSHIP:
  case JNET_IP_DROP_MEMBERSHIP:
    if (v.type != JNET_OPT_STR || v.u.s == NULL)
      return JNET_EINVAL;
    return set_ipv4_group(s,
                          option == JNET_IP_ADD_MEMBERSHIP ? IP_ADD_MEMBERSHIP
                                                           : IP_DROP_MEMBERSHIP,
                          v.u.s);
  case JNET_IPV6_JOIN_GROUP:
  case JNET_IPV6_LEAVE_GROUP:
    if (v.type != JNET_OPT_STR || v.u.s == NULL)
      return JNET_EINVAL;
    return set_ipv6_group(s,
                          option == JNET_IPV6_JOIN_GROUP ? IPV6_ADD_MEMBERSHIP
                                                         : IPV6_DROP_MEMBERSHIP,
                          v.u.s);
  default:
    return JNET_EINVAL;
  }
}

int jnet__uv_nodelay(const jnet_backend *b, jnet_bsock *s, int on) {
  (void)b;
  if (s == NULL || s->fd < 0)
    return JNET_EINVAL;
  if (s->type != JNET_STREAM || s->family == AF_UNIX)
    return 0; /* no Nagle on unix or UDP */
  return set_int(s, IPPROTO_TCP, TCP_NODELAY, on != 0);
}

int jnet__uv_localname(const jnet_backend *b, jnet_bsock *s, jnet_addr *out) {
  (void)b;
  if (s == NULL || out == NULL || s->fd < 0)
    return JNET_EINVAL;
  memset(out, 0, sizeof *out);
  socklen_t len = sizeof out->u;
  if (getsockname(s->fd, &out->u.sa, &len) < 0)
    return -errno;
  out->len = len; /* an unbound unix socket: 2, just the family */
  return 0;
}

int jnet__uv_peername(const jnet_backend *b, jnet_bsock *s, jnet_addr *out) {
  (void)b;
  if (s == NULL || out == NULL || s->fd < 0)
    return JNET_EINVAL;
  memset(out, 0, sizeof *out);
  socklen_t len = sizeof out->u;
  if (getpeername(s->fd, &out->u.sa, &len) < 0)
    return -errno;
  out->len = len;
  return 0;
}
