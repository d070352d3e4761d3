/* test_backend_errors.c — the sim backend driven through its vtable
 * (jnet_backend.h), as an out-of-tree layer such as a fault shim or another
 * API would drive it: the error code of every misuse the API layer above
 * would have caught first (a second bind, listen on a datagram socket,
 * connect while connecting, a bad shutdown mode or option), the datagram
 * errors of Linux's sendto (EDESTADDRREQ, EAFNOSUPPORT, EACCES on
 * broadcast, EPIPE, EMSGSIZE, a pending ICMP error), the receive queue's
 * limit, and multicast and broadcast to sockets sharing a port (which only
 * the vtable can make). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <jnet/jnet_backend.h>

#include "simtest.h"

#include "model.h" /* jnet__sim_port_key: to pick ports of one bucket */

typedef struct bt {
  st_world *w;
  const jnet_backend *b;
  int done;
} bt;

static bt *bt_new(void) {
  bt *t = calloc(1, sizeof *t);
  ck_assert_ptr_nonnull(t);
  t->w = st_new(1, 2);
  t->b = jnet_sim_backend(t->w->sim);
  ck_assert_int_eq(t->b->start(t->b, NULL, NULL), 0);
  return t;
}

/* Stop (closing what is left), assert the simulation has nothing left to
 * do, free. */
static void bt_free(bt *t) {
  while (t->b->poll(t->b, JNET_NO_DEADLINE, 1) > 0)
    ;
  t->b->stop(t->b);
  /* what stop closed may still say goodbye on the wire (FIN, RST) */
  for (int i = 0; i < 10000 && t->b->poll(t->b, JNET_NO_DEADLINE, 1) > 0; i++)
    ;
  ck_assert_int_eq(t->b->poll(t->b, JNET_NO_DEADLINE, 0), 0);
  jnet_sim_free(t->w->sim);
  free(t->w);
  free(t);
}

/* Close every socket a case opened. */
static void close_all(bt *t, jnet_bsock *const *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    t->b->close(t->b, s[i]);
}
#define CLOSE_ALL(t, ...)                                                      \
  do {                                                                         \
    jnet_bsock *const all_[] = {__VA_ARGS__};                                  \
    close_all((t), all_, sizeof all_ / sizeof *all_);                          \
  } while (0)

static jnet_addr in4(const char *ip, int port) {
  jnet_addr a;
  memset(&a, 0, sizeof a);
  a.u.in4.sin_family = AF_INET;
  a.u.in4.sin_port = htons((uint16_t)port);
  ck_assert_int_eq(inet_pton(AF_INET, ip, &a.u.in4.sin_addr), 1);
  a.len = sizeof a.u.in4;
  return a;
}

static jnet_addr in6(const char *ip, int port) {
  jnet_addr a;
  memset(&a, 0, sizeof a);
  a.u.in6.sin6_family = AF_INET6;
  a.u.in6.sin6_port = htons((uint16_t)port);
  ck_assert_int_eq(inet_pton(AF_INET6, ip, &a.u.in6.sin6_addr), 1);
  a.len = sizeof a.u.in6;
  return a;
}

static jnet_addr un(const char *path) {
  jnet_addr a;
  memset(&a, 0, sizeof a);
  a.u.un.sun_family = AF_UNIX;
  strncpy(a.u.un.sun_path, path, sizeof a.u.un.sun_path - 1);
  a.len =
      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
  return a;
}

static jnet_bsock *sock(bt *t, int host, int family, int type) {
  jnet_bsock *s = NULL;
  ck_assert_int_eq(t->b->socket(t->b, t->w->h[host], family, type, &s), 0);
  return s;
}

static void on_done(jnet_req *req) { ((bt *)req->data)->done++; }

/* Run an async op to its end: its result (polling while it waits). */
static ssize_t finish(bt *t, int started, jnet_req *req) {
  if (started)
    return req->result;
  int before = t->done;
  for (int i = 0; i < 1000 && t->done == before; i++)
    ck_assert_int_ge(t->b->poll(t->b, JNET_NO_DEADLINE, 1), 0);
  ck_assert_int_gt(t->done, before);
  return req->result;
}

static void req_init(bt *t, jnet_req *r, const void *buf, size_t len) {
  memset(r, 0, sizeof *r);
  r->cb = on_done;
  r->data = t;
  r->buf = (void *)buf;
  r->len = len;
}

static ssize_t send_to(bt *t, jnet_bsock *s, const jnet_addr *dst,
                       const void *p, size_t n) {
  jnet_req r;
  req_init(t, &r, p, n);
  r.addr = *dst;
  return finish(t, t->b->send_to(t->b, s, &r), &r);
}

static ssize_t write_(bt *t, jnet_bsock *s, const void *p, size_t n) {
  jnet_req r;
  req_init(t, &r, p, n);
  return finish(t, t->b->write(t->b, s, &r), &r);
}

static ssize_t connect_(bt *t, jnet_bsock *s, const jnet_addr *dst) {
  jnet_req r;
  req_init(t, &r, NULL, 0);
  r.addr = *dst;
  return finish(t, t->b->connect(t->b, s, &r), &r);
}

/* A datagram already queued on s, or -1 when none is. */
static ssize_t recv_now(bt *t, jnet_bsock *s, void *p, size_t n) {
  jnet_req r;
  req_init(t, &r, p, n);
  if (!t->b->recv_from(t->b, s, &r)) {
    t->b->cancel(t->b, &r);
    return -1;
  }
  return r.result;
}

/* ---- Sockets, bind, listen, accept -----------------------------------------
 */

START_TEST(socket_rejects_bad_type_family_node_and_a_crashed_host) {
  bt *t = bt_new();
  jnet_bsock *s = NULL;
  ck_assert_int_eq(t->b->socket(t->b, t->w->h[0], AF_INET, 2, &s), JNET_EINVAL);
  ck_assert_int_eq(t->b->socket(t->b, NULL, AF_INET, 0, &s), JNET_EINVAL);
  ck_assert_int_eq(t->b->socket(t->b, t->w->h[0], AF_PACKET, 0, &s),
                   JNET_EAFNOSUPPORT);
  ck_assert_ptr_null(s);
  ck_assert_int_eq(jnet_sim_crash(t->w->sim, t->w->h[1]), 0);
  ck_assert_int_eq(t->b->socket(t->b, t->w->h[1], AF_INET, 0, &s),
                   JNET_ECANCELED);
  ck_assert_int_eq(jnet_sim_restart(t->w->sim, t->w->h[1]), 0);
  ck_assert_int_eq(t->b->socket(t->b, t->w->h[1], AF_INET, 0, &s), 0);
  t->b->close(t->b, s);
  bt_free(t);
}
END_TEST

START_TEST(bind_rejects_a_second_bind_and_a_foreign_family) {
  bt *t = bt_new();
  jnet_bsock *s = sock(t, 0, AF_INET, 1);
  jnet_addr a4 = in4("192.0.2.1", 7000), a6 = in6("::1", 7000);
  jnet_addr u = un("/tmp/bt-a");
  ck_assert_int_eq(t->b->bind(t->b, s, NULL), JNET_EINVAL);
  ck_assert_int_eq(t->b->bind(t->b, s, &a6), JNET_EAFNOSUPPORT);
  ck_assert_int_eq(t->b->bind(t->b, s, &u), JNET_EINVAL);
  ck_assert_int_eq(t->b->bind(t->b, s, &a4), 0);
  ck_assert_int_eq(t->b->bind(t->b, s, &a4), JNET_EINVAL); /* bound already */
  jnet_bsock *x = sock(t, 0, AF_UNIX, 1);
  ck_assert_int_eq(t->b->bind(t->b, x, &a4), JNET_EINVAL);
  ck_assert_int_eq(t->b->bind(t->b, x, &u), 0);
  ck_assert_int_eq(t->b->bind(t->b, x, &u), JNET_EINVAL);
  /* a unix address without a name, or longer than sockaddr_un: EINVAL */
  jnet_bsock *y = sock(t, 0, AF_UNIX, 1);
  jnet_addr bare = un("/tmp/bt-b"), big = un("/tmp/bt-b");
  bare.len = (socklen_t)offsetof(struct sockaddr_un, sun_path);
  big.len = (socklen_t)sizeof(struct sockaddr_un) + 1;
  ck_assert_int_eq(t->b->bind(t->b, y, &bare), JNET_EINVAL);
  ck_assert_int_eq(t->b->bind(t->b, y, &big), JNET_EINVAL);
  ck_assert_int_eq(t->b->bind(t->b, y, &(jnet_addr){.len = 0}), JNET_EINVAL);
  t->b->close(t->b, y);
  t->b->close(t->b, s);
  t->b->close(t->b, x);
  bt_free(t);
}
END_TEST

START_TEST(listen_errors_and_a_second_listen_only_sets_the_backlog) {
  bt *t = bt_new();
  jnet_bsock *d = sock(t, 0, AF_INET, 1);
  ck_assert_int_eq(t->b->listen(t->b, d, 8), JNET_ENOTSUP);
  jnet_bsock *u = sock(t, 0, AF_UNIX, 0); /* no path */
  ck_assert_int_eq(t->b->listen(t->b, u, 8), JNET_EINVAL);
  /* SO_REUSEADDR does not let a second socket bind a listening port */
  jnet_addr a = in4("192.0.2.1", 7001);
  jnet_bsock *l1 = sock(t, 0, AF_INET, 0), *l2 = sock(t, 0, AF_INET, 0);
  ck_assert_int_eq(
      t->b->setsockopt(t->b, l1, JNET_SO_REUSEADDR, jnet_opt_bool(1)), 0);
  ck_assert_int_eq(
      t->b->setsockopt(t->b, l2, JNET_SO_REUSEADDR, jnet_opt_bool(1)), 0);
  ck_assert_int_eq(t->b->bind(t->b, l1, &a), 0);
  ck_assert_int_eq(t->b->listen(t->b, l1, 0), 0);
  ck_assert_int_eq(t->b->listen(t->b, l1, 4), 0); /* again: backlog only */
  ck_assert_int_eq(t->b->bind(t->b, l2, &a), JNET_EADDRINUSE);
  /* accept on what does not listen */
  jnet_req r;
  req_init(t, &r, NULL, 0);
  ck_assert_int_eq(finish(t, t->b->accept(t->b, l2, &r), &r), JNET_EINVAL);
  /* a connected stream can no longer listen; connect states */
  jnet_bsock *c = sock(t, 1, AF_INET, 0);
  jnet_req cr;
  req_init(t, &cr, NULL, 0);
  cr.addr = a;
  ck_assert_int_eq(t->b->connect(t->b, c, &cr), 0); /* SYN sent */
  ck_assert_int_eq(connect_(t, c, &a), JNET_EALREADY);
  ck_assert_int_eq(finish(t, 0, &cr), 0);
  ck_assert_int_eq(connect_(t, c, &a), JNET_EISCONN);
  ck_assert_int_eq(connect_(t, l1, &a), JNET_EINVAL);
  ck_assert_int_eq(t->b->listen(t->b, c, 1), JNET_EINVAL);
  /* the listener shuts down as a no-op; an unconnected stream cannot */
  ck_assert_int_eq(t->b->shutdown(t->b, l1, JNET_SHUT_RDWR), 0);
  ck_assert_int_eq(t->b->shutdown(t->b, l2, JNET_SHUT_WR), JNET_ENOTCONN);
  ck_assert_int_eq(t->b->shutdown(t->b, c, 7), JNET_EINVAL);
  CLOSE_ALL(t, d, u, l1, l2, c);
  bt_free(t);
}
END_TEST

START_TEST(connect_rejects_foreign_families_port_zero_and_wrong_unix_peers) {
  bt *t = bt_new();
  jnet_bsock *s = sock(t, 0, AF_INET, 0);
  jnet_addr u = un("/tmp/bt-dg"), a6 = in6("::1", 80), z = in4("192.0.2.2", 0);
  ck_assert_int_eq(connect_(t, s, &a6), JNET_EAFNOSUPPORT);
  ck_assert_int_eq(connect_(t, s, &z), JNET_ECONNREFUSED);
  jnet_bsock *d = sock(t, 0, AF_INET, 1);
  ck_assert_int_eq(connect_(t, d, &u), JNET_EAFNOSUPPORT);
  /* a unix stream to a datagram path (EPROTOTYPE, as Linux), and to a
   * stream that is not a listener; a unix datagram socket connects at once */
  jnet_bsock *ud = sock(t, 0, AF_UNIX, 1), *us = sock(t, 0, AF_UNIX, 0);
  jnet_addr ab = in4("192.0.2.1", 80);
  ck_assert_int_eq(t->b->bind(t->b, ud, &u), 0);
  ck_assert_int_eq(connect_(t, us, &ab), JNET_EINVAL);
  ck_assert_int_eq(connect_(t, us, &u), JNET_EPROTOTYPE);
  jnet_bsock *ns = sock(t, 0, AF_UNIX, 0);
  jnet_addr p = un("/tmp/bt-st");
  ck_assert_int_eq(t->b->bind(t->b, ns, &p), 0);
  jnet_bsock *us2 = sock(t, 0, AF_UNIX, 0);
  ck_assert_int_eq(connect_(t, us2, &p), JNET_ECONNREFUSED);
  jnet_bsock *ud2 = sock(t, 0, AF_UNIX, 1);
  ck_assert_int_eq(connect_(t, ud2, &u), 0);
  jnet_addr peer;
  ck_assert_int_eq(t->b->peername(t->b, ud2, &peer), 0);
  ck_assert_int_eq(peer.u.sa.sa_family, AF_UNIX);
  ck_assert_str_eq(peer.u.un.sun_path, "/tmp/bt-dg");
  ck_assert_int_eq(t->b->peername(t->b, ud, &peer), JNET_ENOTCONN);
  ck_assert_int_eq(t->b->peername(t->b, ud, NULL), JNET_EINVAL);
  /* an unbound socket's name is its family's wildcard */
  jnet_bsock *fresh = sock(t, 0, AF_INET6, 1);
  ck_assert_int_eq(t->b->localname(t->b, fresh, &peer), 0);
  ck_assert_int_eq(peer.u.sa.sa_family, AF_INET6);
  ck_assert_int_eq(ntohs(peer.u.in6.sin6_port), 0);
  CLOSE_ALL(t, s, d, ud, us, ns, us2, ud2, fresh);
  bt_free(t);
}
END_TEST

/* ---- Options
 * ------------------------------------------------------------------ */

START_TEST(setsockopt_checks_value_types_and_socket_kinds) {
  bt *t = bt_new();
  jnet_bsock *d = sock(t, 0, AF_INET, 1), *st = sock(t, 0, AF_INET, 0);
  jnet_bsock *u = sock(t, 0, AF_UNIX, 1), *us = sock(t, 0, AF_UNIX, 0);
  const jnet_backend *b = t->b;
  ck_assert_int_eq(b->setsockopt(b, d, JNET_SO_BROADCAST, jnet_opt_int(1)),
                   JNET_EINVAL);
  ck_assert_int_eq(b->setsockopt(b, d, JNET_IP_MULTICAST_TTL, jnet_opt_bool(1)),
                   JNET_EINVAL);
  ck_assert_int_eq(b->setsockopt(b, u, JNET_IP_MULTICAST_TTL, jnet_opt_int(4)),
                   JNET_ENOTSUP);
  ck_assert_int_eq(b->setsockopt(b, st, JNET_IP_MULTICAST_TTL, jnet_opt_int(4)),
                   JNET_EINVAL);
  ck_assert_int_eq(b->setsockopt(b, d, JNET_IP_MULTICAST_TTL, jnet_opt_int(-1)),
                   0);
  ck_assert_int_eq(
      b->setsockopt(b, d, JNET_IP_MULTICAST_TTL, jnet_opt_int(256)),
      JNET_EINVAL);
  ck_assert_int_eq(
      b->setsockopt(b, d, JNET_IP_MULTICAST_TTL, jnet_opt_int(255)), 0);
  ck_assert_int_eq(
      b->setsockopt(b, d, JNET_IP_ADD_MEMBERSHIP, jnet_opt_str(NULL)),
      JNET_EINVAL);
  ck_assert_int_eq(b->setsockopt(b, d, JNET_IP_ADD_MEMBERSHIP, jnet_opt_int(1)),
                   JNET_EINVAL);
  ck_assert_int_eq(
      b->setsockopt(b, u, JNET_IP_ADD_MEMBERSHIP, jnet_opt_str("239.1.1.1")),
      JNET_ENOTSUP);
  ck_assert_int_eq(b->setsockopt(b, d, 99, jnet_opt_bool(1)), JNET_EINVAL);
  ck_assert_int_eq(b->nodelay(b, d, 1), JNET_ENOPROTOOPT);
  ck_assert_int_eq(b->nodelay(b, us, 1), JNET_ENOTSUP);
  ck_assert_int_eq(b->nodelay(b, st, 1), 0);
  CLOSE_ALL(t, d, st, u, us);
  bt_free(t);
}
END_TEST

/* ---- Datagrams
 * ---------------------------------------------------------------- */

START_TEST(udp_send_errors_as_linux_sendto) {
  bt *t = bt_new();
  static char big[65508];
  jnet_bsock *d = sock(t, 0, AF_INET, 1);
  jnet_addr to = in4("192.0.2.2", 9000), a6 = in6("::1", 9000);
  jnet_addr z = in4("192.0.2.2", 0), bc = in4("255.255.255.255", 9000);
  ck_assert_int_eq(write_(t, d, "x", 1), JNET_EDESTADDRREQ);
  ck_assert_int_eq(send_to(t, d, &a6, "x", 1), JNET_EAFNOSUPPORT);
  ck_assert_int_eq(send_to(t, d, &z, "x", 1), JNET_EINVAL);
  ck_assert_int_eq(send_to(t, d, &bc, "x", 1), JNET_EACCES);
  ck_assert_int_eq(send_to(t, d, &to, big, sizeof big), JNET_EMSGSIZE);
  ck_assert_int_eq(send_to(t, d, &to, big, sizeof big - 1), 0);
  ck_assert_int_eq(
      t->b->setsockopt(t->b, d, JNET_SO_BROADCAST, jnet_opt_bool(1)), 0);
  ck_assert_int_eq(send_to(t, d, &bc, "x", 1), 0);
  ck_assert_int_eq(t->b->shutdown(t->b, d, JNET_SHUT_WR), JNET_ENOTCONN);
  /* connected to a port nobody holds: the ICMP error waits for the next
   * send (once), as on Linux */
  ck_assert_int_eq(connect_(t, d, &to), 0);
  ck_assert_int_eq(write_(t, d, "a", 1), 0);
  while (t->b->poll(t->b, JNET_NO_DEADLINE, 1) > 0)
    ;
  ck_assert_int_eq(write_(t, d, "b", 1), JNET_ECONNREFUSED);
  ck_assert_int_eq(write_(t, d, "c", 1), 0);
  ck_assert_int_eq(t->b->shutdown(t->b, d, JNET_SHUT_WR), 0);
  ck_assert_int_eq(write_(t, d, "d", 1), JNET_EPIPE);
  t->b->close(t->b, d);
  bt_free(t);
}
END_TEST

START_TEST(unix_datagram_send_errors) {
  bt *t = bt_new();
  jnet_bsock *a = sock(t, 0, AF_UNIX, 1), *b = sock(t, 0, AF_UNIX, 1);
  jnet_addr pa = un("/tmp/bt-ua"), nowhere = un("/tmp/bt-none");
  ck_assert_int_eq(write_(t, b, "x", 1), JNET_EDESTADDRREQ);
  ck_assert_int_eq(send_to(t, b, &nowhere, "x", 1), JNET_ENOENT);
  ck_assert_int_eq(t->b->bind(t->b, a, &pa), 0);
  ck_assert_int_eq(connect_(t, b, &pa), 0);
  ck_assert_int_eq(write_(t, b, "hi", 2), 0);
  while (t->b->poll(t->b, JNET_NO_DEADLINE, 1) > 0)
    ;
  char in[8];
  ck_assert_int_eq(recv_now(t, a, in, sizeof in), 2);
  t->b->close(t->b, a); /* the peer is gone: refused */
  ck_assert_int_eq(write_(t, b, "x", 1), JNET_ECONNREFUSED);
  t->b->close(t->b, b);
  bt_free(t);
}
END_TEST

/* The receive queue holds 212,992 bytes (Linux's default rmem): of four
 * 65,507-byte datagrams the fourth is dropped. */
START_TEST(full_receive_queue_drops_the_datagram_that_does_not_fit) {
  bt *t = bt_new();
  static char big[65507], in[65507];
  jnet_bsock *r = sock(t, 1, AF_INET, 1), *s = sock(t, 0, AF_INET, 1);
  jnet_addr ra = in4("192.0.2.2", 9100);
  ck_assert_int_eq(t->b->bind(t->b, r, &ra), 0);
  jnet_sim_stats before, after;
  jnet_sim_get_stats(t->w->sim, &before);
  for (int i = 0; i < 4; i++) {
    big[0] = (char)i;
    ck_assert_int_eq(send_to(t, s, &ra, big, sizeof big), 0);
  }
  while (t->b->poll(t->b, JNET_NO_DEADLINE, 1) > 0)
    ;
  jnet_sim_get_stats(t->w->sim, &after);
  ck_assert_uint_eq(after.packets_dropped - before.packets_dropped, 1);
  for (int i = 0; i < 3; i++) {
    ck_assert_int_eq(recv_now(t, r, in, sizeof in), (ssize_t)sizeof in);
    ck_assert_int_eq(in[0], i);
  }
  ck_assert_int_eq(recv_now(t, r, in, sizeof in), -1);
  ck_assert_int_eq(t->b->shutdown(t->b, r, JNET_SHUT_RD), JNET_ENOTCONN);
  t->b->close(t->b, r);
  t->b->close(t->b, s);
  bt_free(t);
}
END_TEST

/* ---- The backend itself
 * ------------------------------------------------------- */

START_TEST(
    stop_closes_what_is_left_open_and_random_defaults_to_the_first_host) {
  bt *t = bt_new();
  /* a listener, a connected pair and a unix socket, none closed */
  jnet_bsock *l = sock(t, 1, AF_INET, 0), *c = sock(t, 0, AF_INET, 0);
  jnet_addr la = in4("192.0.2.2", 7100);
  ck_assert_int_eq(t->b->bind(t->b, l, &la), 0);
  ck_assert_int_eq(t->b->listen(t->b, l, 4), 0);
  ck_assert_int_eq(connect_(t, c, &la), 0);
  jnet_req acc;
  req_init(t, &acc, NULL, 0);
  ck_assert_int_eq(finish(t, t->b->accept(t->b, l, &acc), &acc), 0);
  ck_assert_ptr_nonnull(acc.sock);
  jnet_bsock *u = sock(t, 0, AF_UNIX, 1);
  jnet_addr up = un("/tmp/bt-left");
  ck_assert_int_eq(t->b->bind(t->b, u, &up), 0);
  /* a request that was never started: cancelling it does nothing */
  jnet_req idle;
  req_init(t, &idle, NULL, 0);
  t->b->cancel(t->b, &idle);
  /* no node: the first host's stream, as a second sim of the same seed */
  jnet_sim *twin;
  ck_assert_int_eq(jnet_sim_new(&twin, 1), 0);
  const char *a0[] = {"192.0.2.1", NULL};
  jnet_node *h0;
  ck_assert_int_eq(jnet_sim_host(twin, "h0", a0, &h0), 0);
  const jnet_backend *tb = jnet_sim_backend(twin);
  ck_assert_uint_eq(t->b->random(t->b, NULL), tb->random(tb, h0));
  jnet_sim_free(twin);
  ck_assert_ptr_null(jnet_sim_backend(NULL));
  bt_free(t); /* stop closes all four; the sim then has nothing to do */
}
END_TEST

/* Two sockets of one host share a port (SO_REUSEADDR on both before bind,
 * which the vtable allows and jnet_listen does not do for datagrams) and
 * both join a group: a multicast datagram and a subnet broadcast each
 * reach both sockets, one copy each, as on Linux. */
START_TEST(multicast_and_broadcast_reach_every_socket_sharing_the_port) {
  bt *t = bt_new();
  const jnet_backend *b = t->b;
  jnet_bsock *m[2];
  jnet_addr any = in4("0.0.0.0", 5000);
  for (int i = 0; i < 2; i++) {
    m[i] = sock(t, 1, AF_INET, 1);
    ck_assert_int_eq(b->setsockopt(b, m[i], JNET_SO_REUSEADDR, jnet_opt_bool(1)), 0);
    ck_assert_int_eq(b->bind(b, m[i], &any), 0);
    ck_assert_int_eq(b->setsockopt(b, m[i], JNET_IP_ADD_MEMBERSHIP,
                                   jnet_opt_str("239.1.2.3")), 0);
  }
  jnet_bsock *d = sock(t, 0, AF_INET, 1);
  jnet_addr group = in4("239.1.2.3", 5000), bc = in4("192.0.2.255", 5000);
  ck_assert_int_eq(send_to(t, d, &group, "m", 1), 0);
  ck_assert_int_eq(b->setsockopt(b, d, JNET_SO_BROADCAST, jnet_opt_bool(1)), 0);
  ck_assert_int_eq(send_to(t, d, &bc, "b", 1), 0);
  while (b->poll(b, JNET_NO_DEADLINE, 1) > 0)
    ;
  for (int i = 0; i < 2; i++) {
    char got[2] = {0, 0};
    ck_assert_int_eq(recv_now(t, m[i], &got[0], 1), 1);
    ck_assert_int_eq(recv_now(t, m[i], &got[1], 1), 1);
    ck_assert_msg(got[0] == 'm' && got[1] == 'b', "socket %d: %c%c", i,
                  got[0], got[1]);
    ck_assert_int_eq(recv_now(t, m[i], got, 1), -1); /* one copy each */
  }
  b->close(b, d);
  b->close(b, m[0]);
  b->close(b, m[1]);
  bt_free(t);
}
END_TEST

/* --- br-tcp: stream reads and writes outside an open connection --- */

static ssize_t read_(bt *t, jnet_bsock *s, void *p, size_t n) {
  jnet_req r;
  req_init(t, &r, p, n);
  return finish(t, t->b->read(t->b, s, &r), &r);
}

/* Linux's answers, which the API above catches first: a stream that is not
 * connected (new, listening, or still connecting) reads and writes
 * ENOTCONN; after SHUT_RD a read is end of stream, after SHUT_WR a write
 * EPIPE; a second shutdown of a side changes nothing; a read of 0 bytes
 * returns 0 and leaves the data. */
START_TEST(stream_io_before_the_connection_and_after_shutdown_as_linux) {
  bt *t = bt_new();
  char buf[8];
  jnet_addr a = in4("192.0.2.1", 7002);
  jnet_bsock *l = sock(t, 0, AF_INET, 0), *fresh = sock(t, 1, AF_INET, 0);
  jnet_bsock *c = sock(t, 1, AF_INET, 0);
  ck_assert_int_eq(t->b->bind(t->b, l, &a), 0);
  ck_assert_int_eq(t->b->listen(t->b, l, 4), 0);
  ck_assert_int_eq(read_(t, fresh, buf, sizeof buf), JNET_ENOTCONN);
  ck_assert_int_eq(write_(t, fresh, "x", 1), JNET_ENOTCONN);
  ck_assert_int_eq(read_(t, l, buf, sizeof buf), JNET_ENOTCONN);
  ck_assert_int_eq(write_(t, l, "x", 1), JNET_ENOTCONN);
  jnet_req cr;
  req_init(t, &cr, NULL, 0);
  cr.addr = a;
  ck_assert_int_eq(t->b->connect(t->b, c, &cr), 0); /* SYN sent */
  ck_assert_int_eq(read_(t, c, buf, sizeof buf), JNET_ENOTCONN);
  ck_assert_int_eq(write_(t, c, "x", 1), JNET_ENOTCONN);
  ck_assert_int_eq(finish(t, 0, &cr), 0);
  /* a read of 0 bytes returns 0 once data is there, and takes none */
  jnet_req acc;
  req_init(t, &acc, NULL, 0);
  ck_assert_int_eq(finish(t, t->b->accept(t->b, l, &acc), &acc), 0);
  ck_assert_int_eq(write_(t, acc.sock, "hi", 2), 0);
  ck_assert_int_eq(read_(t, c, buf, 0), 0);
  ck_assert_int_eq(read_(t, c, buf, sizeof buf), 2);
  ck_assert_mem_eq(buf, "hi", 2);
  ck_assert_int_eq(t->b->shutdown(t->b, c, JNET_SHUT_RD), 0);
  ck_assert_int_eq(read_(t, c, buf, sizeof buf), 0);
  ck_assert_int_eq(t->b->shutdown(t->b, c, JNET_SHUT_WR), 0);
  ck_assert_int_eq(write_(t, c, "x", 1), JNET_EPIPE);
  ck_assert_int_eq(t->b->shutdown(t->b, c, JNET_SHUT_RD), 0);
  ck_assert_int_eq(t->b->shutdown(t->b, c, JNET_SHUT_WR), 0);
  ck_assert_int_eq(read_(t, c, buf, sizeof buf), 0);
  CLOSE_ALL(t, l, fresh, c, acc.sock);
  bt_free(t);
}
END_TEST

/* A full accept queue drops the SYN (Linux): with backlog 1 and one
 * connection waiting, a second connect completes only after the first is
 * accepted and its SYN is sent again (the first retransmission, at 1 s). */
START_TEST(a_full_accept_queue_drops_the_syn_until_the_retry) {
  bt *t = bt_new();
  jnet_bsock *l = sock(t, 1, AF_INET, 0), *c1 = sock(t, 0, AF_INET, 0);
  jnet_bsock *c2 = sock(t, 0, AF_INET, 0);
  jnet_addr la = in4("192.0.2.2", 7200);
  ck_assert_int_eq(t->b->bind(t->b, l, &la), 0);
  ck_assert_int_eq(t->b->listen(t->b, l, 1), 0);
  ck_assert_int_eq(connect_(t, c1, &la), 0);
  uint64_t t0 = jnet_sim_now_ns(t->w->sim);
  jnet_req cr;
  req_init(t, &cr, NULL, 0);
  cr.addr = la;
  ck_assert_int_eq(t->b->connect(t->b, c2, &cr), 0); /* SYN sent */
  for (int i = 0; i < 100 && jnet_sim_now_ns(t->w->sim) < t0 + 10 * JNET_SIM_MS;
       i++) /* the SYN arrives, and is dropped */
    ck_assert_int_ge(
        t->b->poll(t->b, t0 + 10 * JNET_SIM_MS, 1), 0);
  ck_assert_uint_eq(jnet_sim_now_ns(t->w->sim), t0 + 10 * JNET_SIM_MS);
  jnet_req acc;
  req_init(t, &acc, NULL, 0);
  ck_assert_int_eq(finish(t, t->b->accept(t->b, l, &acc), &acc), 0);
  ck_assert_ptr_nonnull(acc.sock);
  ck_assert_int_eq(finish(t, 0, &cr), 0);
  uint64_t took = jnet_sim_now_ns(t->w->sim) - t0;
  ck_assert_msg(took >= JNET_SIM_S && took < JNET_SIM_S + 10 * JNET_SIM_MS,
                "second connect took %llu ns", (unsigned long long)took);
  CLOSE_ALL(t, l, c1, c2, acc.sock);
  bt_free(t);
}
END_TEST

/* An empty datagram (which only the vtable can send: the API sends
 * nothing for 0 bytes) crosses a link that corrupts every datagram and
 * arrives empty; the next, of one byte, arrives with one bit flipped. */
START_TEST(corruption_leaves_an_empty_datagram_empty) {
  bt *t = bt_new();
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.corrupt = 1.0;
  ck_assert_int_eq(jnet_sim_link(t->w->sim, t->w->h[0], t->w->h[1], &lp), 0);
  jnet_bsock *d = sock(t, 0, AF_INET, 1), *r = sock(t, 1, AF_INET, 1);
  jnet_addr to = in4("192.0.2.2", 9300);
  ck_assert_int_eq(t->b->bind(t->b, r, &to), 0);
  ck_assert_int_eq(send_to(t, d, &to, "", 0), 0);
  ck_assert_int_eq(send_to(t, d, &to, "\x0f", 1), 0);
  while (t->b->poll(t->b, JNET_NO_DEADLINE, 1) > 0)
    ;
  unsigned char buf[4] = {0xaa};
  ck_assert_int_eq(recv_now(t, r, buf, sizeof buf), 0);
  ck_assert_int_eq(buf[0], 0xaa); /* nothing written */
  ck_assert_int_eq(recv_now(t, r, buf, sizeof buf), 1);
  ck_assert_int_eq(__builtin_popcount(buf[0] ^ 0x0fu), 1);
  ck_assert_int_eq(recv_now(t, r, buf, sizeof buf), -1); /* no more */
  t->b->close(t->b, d);
  t->b->close(t->b, r);
  bt_free(t);
}
END_TEST

/* --- br-sim: which socket of a port a datagram reaches --- */

/* A wildcard socket and one connected to h0:7000 share h1's port 9000
 * (SO_REUSEADDR on both): the connected one takes its peer's datagrams,
 * the wildcard one everybody else's, as on Linux (the better match wins). */
START_TEST(connected_socket_takes_its_peers_datagrams_from_a_shared_port) {
  bt *t = bt_new();
  const jnet_backend *b = t->b;
  jnet_bsock *any = sock(t, 1, AF_INET, 1), *conn = sock(t, 1, AF_INET, 1);
  jnet_addr any_a = in4("0.0.0.0", 9000), conn_a = in4("192.0.2.2", 9000);
  jnet_addr peer = in4("192.0.2.1", 7000), other = in4("192.0.2.1", 7001);
  ck_assert_int_eq(b->setsockopt(b, any, JNET_SO_REUSEADDR, jnet_opt_bool(1)), 0);
  ck_assert_int_eq(b->setsockopt(b, conn, JNET_SO_REUSEADDR, jnet_opt_bool(1)), 0);
  ck_assert_int_eq(b->bind(b, conn, &conn_a), 0);
  ck_assert_int_eq(b->bind(b, any, &any_a), 0); /* bound last: wins ties */
  ck_assert_int_eq(connect_(t, conn, &peer), 0);
  jnet_bsock *p = sock(t, 0, AF_INET, 1), *o = sock(t, 0, AF_INET, 1);
  ck_assert_int_eq(b->bind(b, p, &peer), 0);
  ck_assert_int_eq(b->bind(b, o, &other), 0);
  ck_assert_int_eq(send_to(t, p, &conn_a, "p", 1), 0);
  ck_assert_int_eq(send_to(t, o, &conn_a, "o", 1), 0);
  while (b->poll(b, JNET_NO_DEADLINE, 1) > 0)
    ;
  char got = 0;
  ck_assert_int_eq(recv_now(t, conn, &got, 1), 1);
  ck_assert_int_eq(got, 'p');
  ck_assert_int_eq(recv_now(t, conn, &got, 1), -1);
  ck_assert_int_eq(recv_now(t, any, &got, 1), 1);
  ck_assert_int_eq(got, 'o');
  ck_assert_int_eq(recv_now(t, any, &got, 1), -1);
  CLOSE_ALL(t, any, conn, p, o);
  bt_free(t);
}
END_TEST

/* Many wildcard sockets of h1 on ports 6000.., enough that several share a
 * bucket of the port table: a subnet broadcast to each port, and a unicast
 * to each port of dual-stack (IPv6 wildcard) sockets on 7000.., reaches
 * exactly the socket bound on that port, once; h0's sockets on 7000..
 * and h1's TCP sockets on 6000.. get none. */
#define PORTS_N 48
START_TEST(each_port_gets_only_its_own_broadcast_and_dual_stack_datagram) {
  bt *t = bt_new();
  const jnet_backend *b = t->b;
  jnet_bsock *v4[PORTS_N], *v6[PORTS_N], *other[PORTS_N], *tcp[PORTS_N];
  for (int i = 0; i < PORTS_N; i++) {
    jnet_addr a4 = in4("0.0.0.0", 6000 + i), a6 = in6("::", 7000 + i);
    v4[i] = sock(t, 1, AF_INET, 1);
    v6[i] = sock(t, 1, AF_INET6, 1);
    ck_assert_int_eq(b->bind(b, v4[i], &a4), 0);
    ck_assert_int_eq(b->bind(b, v6[i], &a6), 0);
    /* the same ports on h0 and in TCP share the table's chains too */
    jnet_addr h0a = in4("192.0.2.1", 7000 + i), tcpa = in4("192.0.2.2", 6000 + i);
    other[i] = sock(t, 0, AF_INET, 1);
    tcp[i] = sock(t, 1, AF_INET, 0);
    ck_assert_int_eq(b->bind(b, other[i], &h0a), 0);
    ck_assert_int_eq(b->bind(b, tcp[i], &tcpa), 0);
  }
  jnet_bsock *d = sock(t, 0, AF_INET, 1);
  ck_assert_int_eq(b->setsockopt(b, d, JNET_SO_BROADCAST, jnet_opt_bool(1)), 0);
  for (int i = 0; i < PORTS_N; i++) {
    jnet_addr bc = in4("192.0.2.255", 6000 + i), uc = in4("192.0.2.2", 7000 + i);
    unsigned char tag = (unsigned char)i;
    ck_assert_int_eq(send_to(t, d, &bc, &tag, 1), 0);
    ck_assert_int_eq(send_to(t, d, &uc, &tag, 1), 0);
  }
  while (b->poll(b, JNET_NO_DEADLINE, 1) > 0)
    ;
  for (int i = 0; i < PORTS_N; i++) {
    unsigned char got = 0xff;
    ck_assert_int_eq(recv_now(t, v4[i], &got, 1), 1);
    ck_assert_msg(got == i, "port %d got broadcast %d", 6000 + i, got);
    ck_assert_int_eq(recv_now(t, v4[i], &got, 1), -1);
    got = 0xff;
    ck_assert_int_eq(recv_now(t, v6[i], &got, 1), 1);
    ck_assert_msg(got == i, "port %d got datagram %d", 7000 + i, got);
    ck_assert_int_eq(recv_now(t, v6[i], &got, 1), -1);
  }
  for (int i = 0; i < PORTS_N; i++) {
    unsigned char got;
    ck_assert_int_eq(recv_now(t, other[i], &got, 1), -1);
    b->close(b, v4[i]);
    b->close(b, v6[i]);
    b->close(b, other[i]);
    b->close(b, tcp[i]);
  }
  b->close(b, d);
  bt_free(t);
}
END_TEST

/* bt_new with more hosts: "dual" has an IPv6 address before its IPv4
 * one (192.0.2.9, on h0 and h1's subnet); "six" has only IPv6; "two" has
 * two of each; "edge"'s one address ends in .255. */
static bt *bt_new3(void) {
  bt *t = calloc(1, sizeof *t);
  ck_assert_ptr_nonnull(t);
  t->w = st_new(1, 2);
  const char *dual[] = {"2001:db8::9", "192.0.2.9", NULL};
  const char *six[] = {"2001:db8::10", NULL};
  const char *two[] = {"192.0.2.20", "192.0.2.21", "2001:db8::20",
                       "2001:db8::21", NULL};
  const char *edge[] = {"198.51.100.255", NULL};
  ck_assert_int_eq(jnet_sim_host(t->w->sim, "dual", dual, &t->w->h[2]), 0);
  ck_assert_int_eq(jnet_sim_host(t->w->sim, "six", six, &t->w->h[3]), 0);
  ck_assert_int_eq(jnet_sim_host(t->w->sim, "two", two, &t->w->h[4]), 0);
  ck_assert_int_eq(jnet_sim_host(t->w->sim, "edge", edge, &t->w->h[5]), 0);
  t->w->n = 6;
  t->b = jnet_sim_backend(t->w->sim);
  ck_assert_int_eq(t->b->start(t->b, NULL, NULL), 0);
  return t;
}

static int cmp_char(const void *a, const void *b) {
  return *(const char *)a - *(const char *)b;
}

static void drain(bt *t) {
  while (t->b->poll(t->b, JNET_NO_DEADLINE, 1) > 0)
    ;
}

/* An empty datagram is one datagram of length 0 on every path: IPv4
 * unicast from a bound socket, multicast copied to two sockets sharing a
 * port, and a unix datagram. */
START_TEST(empty_datagrams_arrive_empty_on_every_path) {
  bt *t = bt_new();
  const jnet_backend *b = t->b;
  jnet_bsock *r = sock(t, 1, AF_INET, 1), *m[2];
  jnet_addr ra = in4("192.0.2.2", 9200), any = in4("0.0.0.0", 9201);
  ck_assert_int_eq(b->bind(b, r, &ra), 0);
  for (int i = 0; i < 2; i++) {
    m[i] = sock(t, 1, AF_INET, 1);
    ck_assert_int_eq(b->setsockopt(b, m[i], JNET_SO_REUSEADDR, jnet_opt_bool(1)), 0);
    ck_assert_int_eq(b->bind(b, m[i], &any), 0);
    ck_assert_int_eq(b->setsockopt(b, m[i], JNET_IP_ADD_MEMBERSHIP,
                                   jnet_opt_str("239.1.1.1")), 0);
  }
  jnet_bsock *d = sock(t, 0, AF_INET, 1);
  jnet_addr da = in4("192.0.2.1", 9300), group = in4("239.1.1.1", 9201);
  ck_assert_int_eq(b->bind(b, d, &da), 0);
  ck_assert_int_eq(send_to(t, d, &ra, "", 0), 0);
  ck_assert_int_eq(send_to(t, d, &group, "", 0), 0);
  jnet_bsock *ua = sock(t, 0, AF_UNIX, 1), *ub = sock(t, 0, AF_UNIX, 1);
  jnet_addr pa = un("/tmp/bt-empty");
  ck_assert_int_eq(b->bind(b, ua, &pa), 0);
  ck_assert_int_eq(send_to(t, ub, &pa, "", 0), 0);
  drain(t);
  char got[4];
  jnet_bsock *rcv[] = {r, m[0], m[1], ua};
  for (int i = 0; i < 4; i++) {
    ck_assert_int_eq(recv_now(t, rcv[i], got, sizeof got), 0);
    ck_assert_int_eq(recv_now(t, rcv[i], got, sizeof got), -1);
  }
  CLOSE_ALL(t, r, m[0], m[1], d, ua, ub);
  bt_free(t);
}
END_TEST

/* Membership is per group: of a socket's two groups, leaving one keeps the
 * other; a group nobody joined reaches nobody; an IPv6 socket sharing the
 * port with its own IPv6 group, and a TCP socket on the host, take no
 * IPv4 multicast. */
START_TEST(multicast_follows_each_groups_membership) {
  bt *t = bt_new();
  const jnet_backend *b = t->b;
  jnet_bsock *m4 = sock(t, 1, AF_INET, 1), *m6 = sock(t, 1, AF_INET6, 1);
  jnet_bsock *tcp = sock(t, 1, AF_INET, 0);
  jnet_addr any4 = in4("0.0.0.0", 5300), any6 = in6("::", 5300);
  jnet_addr ta = in4("192.0.2.2", 5300);
  ck_assert_int_eq(b->setsockopt(b, m4, JNET_SO_REUSEADDR, jnet_opt_bool(1)), 0);
  ck_assert_int_eq(b->setsockopt(b, m6, JNET_SO_REUSEADDR, jnet_opt_bool(1)), 0);
  ck_assert_int_eq(b->bind(b, m6, &any6), 0);
  ck_assert_int_eq(b->bind(b, m4, &any4), 0);
  ck_assert_int_eq(b->bind(b, tcp, &ta), 0); /* TCP: another port space */
  ck_assert_int_eq(b->setsockopt(b, m6, JNET_IPV6_JOIN_GROUP,
                                 jnet_opt_str("ff02::1")), 0);
  ck_assert_int_eq(b->setsockopt(b, m6, JNET_IP_ADD_MEMBERSHIP,
                                 jnet_opt_str("239.7.7.7")), 0);
  ck_assert_int_eq(b->setsockopt(b, m6, JNET_IP_DROP_MEMBERSHIP,
                                 jnet_opt_str("239.7.7.7")), 0);
  ck_assert_int_eq(b->setsockopt(b, tcp, JNET_IP_ADD_MEMBERSHIP,
                                 jnet_opt_str("239.7.7.7")),
                   JNET_EPROTO); /* Linux's ip_setsockopt answer */
  const char *groups[] = {"239.2.2.2", "239.1.1.1", "239.4.4.4"};
  for (int i = 0; i < 3; i++)
    ck_assert_int_eq(b->setsockopt(b, m4, JNET_IP_ADD_MEMBERSHIP,
                                   jnet_opt_str(groups[i])), 0);
  /* leave the middle one, then the last: the first stays */
  ck_assert_int_eq(b->setsockopt(b, m4, JNET_IP_DROP_MEMBERSHIP,
                                 jnet_opt_str("239.1.1.1")), 0);
  ck_assert_int_eq(b->setsockopt(b, m4, JNET_IP_DROP_MEMBERSHIP,
                                 jnet_opt_str("239.4.4.4")), 0);
  ck_assert_int_eq(b->setsockopt(b, m4, JNET_IP_DROP_MEMBERSHIP,
                                 jnet_opt_str("239.1.1.1")), JNET_EADDRNOTAVAIL);
  jnet_bsock *d = sock(t, 0, AF_INET, 1);
  const char *to[] = {"239.1.1.1", "239.2.2.2", "239.3.3.3", "239.4.4.4"};
  for (int i = 0; i < 4; i++) {
    jnet_addr g = in4(to[i], 5300);
    ck_assert_int_eq(send_to(t, d, &g, to[i] + 8, 1), 0);
  }
  drain(t);
  char got = 0;
  ck_assert_int_eq(recv_now(t, m4, &got, 1), 1);
  ck_assert_int_eq(got, '2');
  ck_assert_int_eq(recv_now(t, m4, &got, 1), -1);
  ck_assert_int_eq(recv_now(t, m6, &got, 1), -1);
  jnet_sim_stats st;
  jnet_sim_get_stats(t->w->sim, &st);
  ck_assert_uint_eq(st.packets_sent, 1); /* only to the member host */
  CLOSE_ALL(t, m4, m6, tcp, d);
  bt_free(t);
}
END_TEST

/* Broadcast with a host whose first address is IPv6: it hears 192.0.2.255
 * by its IPv4 address and sends both broadcasts from it (heard by itself
 * too, as Linux loops a broadcast back); x.y.z.255 of a
 * subnet no local address is on is plain unicast (no SO_BROADCAST
 * needed); an IPv6-only host has no IPv4 source for either; a socket
 * bound to an address hears no broadcast (Linux). */
START_TEST(broadcast_finds_the_ipv4_address_of_a_dual_host) {
  bt *t = bt_new3();
  const jnet_backend *b = t->b;
  jnet_bsock *r1 = sock(t, 1, AF_INET, 1), *r2 = sock(t, 2, AF_INET, 1);
  jnet_addr any = in4("0.0.0.0", 5400);
  ck_assert_int_eq(b->bind(b, r1, &any), 0);
  ck_assert_int_eq(b->bind(b, r2, &any), 0);
  jnet_bsock *r1s = sock(t, 1, AF_INET, 1); /* bound to an address */
  jnet_addr r1sa = in4("192.0.2.2", 5401), sub2 = in4("192.0.2.255", 5401);
  ck_assert_int_eq(b->bind(b, r1s, &r1sa), 0);
  jnet_addr subnet = in4("192.0.2.255", 5400), all = in4("255.255.255.255", 5400);
  jnet_addr other = in4("10.0.0.255", 5400);
  jnet_bsock *d0 = sock(t, 0, AF_INET, 1), *d2 = sock(t, 2, AF_INET, 1);
  ck_assert_int_eq(send_to(t, d0, &other, "o", 1), 0); /* not a broadcast */
  ck_assert_int_eq(b->setsockopt(b, d0, JNET_SO_BROADCAST, jnet_opt_bool(1)), 0);
  ck_assert_int_eq(b->setsockopt(b, d2, JNET_SO_BROADCAST, jnet_opt_bool(1)), 0);
  ck_assert_int_eq(send_to(t, d0, &subnet, "a", 1), 0);
  ck_assert_int_eq(send_to(t, d2, &subnet, "b", 1), 0);
  ck_assert_int_eq(send_to(t, d2, &all, "c", 1), 0);
  ck_assert_int_eq(send_to(t, d0, &sub2, "s", 1), 0);
  jnet_bsock *d3 = sock(t, 3, AF_INET, 1);
  ck_assert_int_eq(b->setsockopt(b, d3, JNET_SO_BROADCAST, jnet_opt_bool(1)), 0);
  jnet_addr h1a = in4("192.0.2.2", 5400);
  ck_assert_int_eq(send_to(t, d3, &all, "x", 1), JNET_ENETUNREACH);
  ck_assert_int_eq(send_to(t, d3, &h1a, "x", 1), JNET_ENETUNREACH);
  drain(t);
  /* each receiver, the dual host's own included, hears a, b and c once */
  jnet_bsock *rcv[] = {r1, r2};
  for (int k = 0; k < 2; k++) {
    char got[4] = {0};
    for (int i = 0; i < 3; i++)
      ck_assert_int_eq(recv_now(t, rcv[k], &got[i], 1), 1);
    ck_assert_int_eq(recv_now(t, rcv[k], got + 3, 1), -1);
    qsort(got, 3, 1, cmp_char);
    ck_assert_msg(memcmp(got, "abc", 3) == 0, "receiver %d got %.3s", k, got);
  }
  char none;
  ck_assert_int_eq(recv_now(t, r1s, &none, 1), -1);
  jnet_bsock *s[] = {r1, r2, r1s, d0, d2, d3};
  for (size_t i = 0; i < sizeof s / sizeof *s; i++)
    b->close(b, s[i]);
  bt_free(t);
}
END_TEST

/* An allocator that fails while `oom` is set, but for the next
 * `oom_grace` calls. */
static int oom, oom_grace;
static int oom_now(void) {
  if (!oom)
    return 0;
  if (oom_grace > 0) {
    oom_grace--;
    return 0;
  }
  return 1;
}
static void *oom_malloc(size_t n) { return oom_now() ? NULL : malloc(n); }
static void *oom_realloc(void *p, size_t n) {
  return oom_now() ? NULL : realloc(p, n);
}

/* Out of memory, a datagram send fails with ENOMEM and sends nothing
 * (unicast from a wildcard-bound socket, broadcast, unix), a join fails
 * with ENOMEM, so do a unix bind and connect (even when only the name's
 * copy fails); at delivery, a multicast reaches only the socket that needs
 * no copy, and no ICMP error comes back (the next write succeeds). Memory
 * back, all works. */
START_TEST(datagrams_without_memory_fail_with_enomem_or_are_dropped) {
  ck_assert_int_eq(jnet_replace_allocator(oom_malloc, oom_realloc, free), 0);
  bt *t = bt_new();
  const jnet_backend *b = t->b;
  jnet_bsock *r = sock(t, 1, AF_INET, 1), *m[2];
  jnet_addr ra = in4("192.0.2.2", 9400), any = in4("0.0.0.0", 9401);
  ck_assert_int_eq(b->bind(b, r, &ra), 0);
  for (int i = 0; i < 2; i++) {
    m[i] = sock(t, 1, AF_INET, 1);
    ck_assert_int_eq(b->setsockopt(b, m[i], JNET_SO_REUSEADDR, jnet_opt_bool(1)), 0);
    ck_assert_int_eq(b->bind(b, m[i], &any), 0);
    ck_assert_int_eq(b->setsockopt(b, m[i], JNET_IP_ADD_MEMBERSHIP,
                                   jnet_opt_str("239.1.1.1")), 0);
  }
  jnet_bsock *d = sock(t, 0, AF_INET, 1), *c = sock(t, 0, AF_INET, 1);
  jnet_addr da = in4("0.0.0.0", 9500), bc = in4("192.0.2.255", 9400);
  jnet_addr group = in4("239.1.1.1", 9401), dead = in4("192.0.2.2", 9999);
  ck_assert_int_eq(b->bind(b, d, &da), 0);
  ck_assert_int_eq(b->setsockopt(b, d, JNET_SO_BROADCAST, jnet_opt_bool(1)), 0);
  ck_assert_int_eq(connect_(t, c, &dead), 0);
  jnet_bsock *ua = sock(t, 0, AF_UNIX, 1), *ub = sock(t, 0, AF_UNIX, 1);
  jnet_addr pa = un("/tmp/bt-oom");
  ck_assert_int_eq(b->bind(b, ua, &pa), 0);
  oom = 1;
  ck_assert_int_eq(send_to(t, d, &ra, "u", 1), JNET_ENOMEM);
  ck_assert_int_eq(send_to(t, d, &bc, "b", 1), JNET_ENOMEM);
  ck_assert_int_eq(send_to(t, ub, &pa, "x", 1), JNET_ENOMEM);
  ck_assert_int_eq(b->setsockopt(b, d, JNET_IP_ADD_MEMBERSHIP,
                                 jnet_opt_str("239.5.5.5")), JNET_ENOMEM);
  /* unix names: the copy of the name, then the names' record */
  oom = 0;
  jnet_bsock *un1 = sock(t, 0, AF_UNIX, 0), *un2 = sock(t, 0, AF_UNIX, 1);
  jnet_addr p1 = un("/tmp/bt-oom-s");
  oom = 1;
  for (int grace = 0; grace < 2; grace++) {
    oom_grace = grace;
    ck_assert_int_eq(b->bind(b, un1, &p1), JNET_ENOMEM);
    oom_grace = grace;
    ck_assert_int_eq(connect_(t, un2, &pa), JNET_ENOMEM);
  }
  oom = 0;
  ck_assert_int_eq(b->bind(b, un1, &p1), 0); /* nothing was left behind */
  ck_assert_int_eq(connect_(t, un2, &pa), 0);
  b->close(b, un1);
  b->close(b, un2);
  ck_assert_int_eq(send_to(t, d, &group, "m", 1), 0);
  ck_assert_int_eq(write_(t, c, "a", 1), 0);
  oom = 1;
  drain(t); /* delivery: no copy for m[0], no ICMP for c */
  oom = 0;
  char got = 0;
  ck_assert_int_eq(recv_now(t, r, &got, 1), -1);
  ck_assert_int_eq(recv_now(t, ua, &got, 1), -1);
  ck_assert_int_eq(recv_now(t, m[0], &got, 1), -1);
  ck_assert_int_eq(recv_now(t, m[1], &got, 1), 1);
  ck_assert_int_eq(got, 'm');
  ck_assert_int_eq(write_(t, c, "b", 1), 0); /* no error was pending */
  drain(t);
  ck_assert_int_eq(write_(t, c, "c", 1), JNET_ECONNREFUSED); /* b's */
  ck_assert_int_eq(send_to(t, d, &ra, "u", 1), 0);
  drain(t);
  ck_assert_int_eq(recv_now(t, r, &got, 1), 1);
  ck_assert_int_eq(got, 'u');
  CLOSE_ALL(t, r, m[0], m[1], d, c, ua, ub);
  bt_free(t);
  ck_assert_int_eq(jnet_replace_allocator(malloc, realloc, free), 0);
}
END_TEST

/* Closing a socket discards what it queued and what was on its way: a new
 * socket on the same port or path starts empty. A connected socket shut
 * for reading reads end of stream (0) once its queue is empty, and drops
 * what arrives later (jnet_shutdown: after RD, reads return 0). */
START_TEST(closed_socket_takes_its_queued_and_incoming_datagrams_with_it) {
  bt *t = bt_new();
  const jnet_backend *b = t->b;
  jnet_addr ra = in4("192.0.2.2", 9600), pa = un("/tmp/bt-gone");
  jnet_bsock *r = sock(t, 1, AF_INET, 1), *d = sock(t, 0, AF_INET, 1);
  jnet_bsock *ua = sock(t, 0, AF_UNIX, 1), *ub = sock(t, 0, AF_UNIX, 1);
  ck_assert_int_eq(b->bind(b, r, &ra), 0);
  ck_assert_int_eq(b->bind(b, ua, &pa), 0);
  ck_assert_int_eq(send_to(t, d, &ra, "1", 1), 0);
  drain(t);
  ck_assert_int_eq(send_to(t, ub, &pa, "1", 1), 0);
  b->close(b, r); /* one datagram queued */
  b->close(b, ua); /* one on its way */
  drain(t);
  r = sock(t, 1, AF_INET, 1);
  ua = sock(t, 0, AF_UNIX, 1);
  ck_assert_int_eq(b->bind(b, r, &ra), 0);
  ck_assert_int_eq(b->bind(b, ua, &pa), 0);
  char got = 0;
  ck_assert_int_eq(recv_now(t, r, &got, 1), -1);
  ck_assert_int_eq(recv_now(t, ua, &got, 1), -1);
  ck_assert_int_eq(send_to(t, d, &ra, "2", 1), 0);
  ck_assert_int_eq(send_to(t, ub, &pa, "2", 1), 0);
  drain(t);
  ck_assert_int_eq(recv_now(t, r, &got, 1), 1);
  ck_assert_int_eq(got, '2');
  ck_assert_int_eq(recv_now(t, ua, &got, 1), 1);
  ck_assert_int_eq(got, '2');
  jnet_addr da;
  ck_assert_int_eq(b->localname(b, d, &da), 0); /* 0.0.0.0:its port */
  jnet_addr dpeer = in4("192.0.2.1", ntohs(da.u.in4.sin_port));
  ck_assert_int_eq(connect_(t, r, &dpeer), 0);
  ck_assert_int_eq(b->shutdown(b, r, JNET_SHUT_RD), 0);
  ck_assert_int_eq(recv_now(t, r, &got, 1), 0);
  /* what arrives after is dropped: reads stay at end of stream */
  jnet_sim_stats st0, st1;
  jnet_sim_get_stats(t->w->sim, &st0);
  ck_assert_int_eq(send_to(t, d, &ra, "3", 1), 0);
  drain(t);
  jnet_sim_get_stats(t->w->sim, &st1);
  ck_assert_uint_eq(st1.packets_dropped - st0.packets_dropped, 1);
  ck_assert_int_eq(recv_now(t, r, &got, 1), 0);
  CLOSE_ALL(t, r, d, ua, ub);
  bt_free(t);
}
END_TEST

/* Which socket of a host with several addresses takes a datagram: one
 * bound to another address of the host never does (IPv4: the sender gets
 * ICMP port unreachable); of an exact and a wildcard IPv6 socket the exact
 * one wins whatever the bind order; an IPv4 datagram goes to a dual-stack
 * wildcard socket, never to an IPv6 socket bound to an address; an
 * address ending in .255 that is the host's own is unicast. */
START_TEST(datagram_goes_to_the_socket_bound_to_its_address) {
  bt *t = bt_new3();
  const jnet_backend *b = t->b;
  jnet_bsock *v[7];
  const char *at[] = {"192.0.2.20", "0.0.0.0", "2001:db8::20",
                      "2001:db8::21", "::", "2001:db8::20", "::"};
  const int port[] = {8100, 8200, 8200, 8200, 8200, 8201, 8201};
  for (int i = 0; i < 7; i++) {
    int fam = strchr(at[i], ':') ? AF_INET6 : AF_INET;
    jnet_addr a = fam == AF_INET ? in4(at[i], port[i]) : in6(at[i], port[i]);
    v[i] = sock(t, 4, fam, 1);
    ck_assert_int_eq(b->setsockopt(b, v[i], JNET_SO_REUSEADDR, jnet_opt_bool(1)), 0);
    ck_assert_int_eq(b->bind(b, v[i], &a), 0);
  }
  jnet_bsock *w = sock(t, 4, AF_INET6, 1); /* a second dual wildcard */
  jnet_addr wa = in6("::", 8201);
  ck_assert_int_eq(b->setsockopt(b, w, JNET_SO_REUSEADDR, jnet_opt_bool(1)), 0);
  ck_assert_int_eq(b->bind(b, w, &wa), 0);
  jnet_bsock *e = sock(t, 5, AF_INET, 1);
  jnet_addr ea = in4("0.0.0.0", 8300), edge = in4("198.51.100.255", 8300);
  ck_assert_int_eq(b->bind(b, e, &ea), 0);
  /* h0 -> 192.0.2.21:8100, connected: only 192.0.2.20:8100 is bound */
  jnet_bsock *c = sock(t, 0, AF_INET, 1), *d4 = sock(t, 0, AF_INET, 1);
  jnet_bsock *d6 = sock(t, 3, AF_INET6, 1);
  jnet_addr other = in4("192.0.2.21", 8100), x6 = in6("2001:db8::20", 8200);
  jnet_addr x4 = in4("192.0.2.20", 8201);
  ck_assert_int_eq(connect_(t, c, &other), 0);
  ck_assert_int_eq(write_(t, c, "c", 1), 0);
  ck_assert_int_eq(send_to(t, d6, &x6, "6", 1), 0);
  ck_assert_int_eq(send_to(t, d4, &x4, "4", 1), 0);
  ck_assert_int_eq(send_to(t, d4, &edge, "e", 1), 0); /* no SO_BROADCAST */
  drain(t);
  ck_assert_int_eq(write_(t, c, "c", 1), JNET_ECONNREFUSED);
  char got = 0;
  ck_assert_int_eq(recv_now(t, v[2], &got, 1), 1);
  ck_assert_int_eq(got, '6');
  ck_assert_int_eq(recv_now(t, e, &got, 1), 1);
  ck_assert_int_eq(got, 'e');
  /* the IPv4 datagram: one of the two dual wildcards, once */
  int n4 = 0;
  while (recv_now(t, v[6], &got, 1) == 1 && got == '4')
    n4++;
  while (recv_now(t, w, &got, 1) == 1 && got == '4')
    n4++;
  ck_assert_int_eq(n4, 1);
  for (int i = 0; i < 6; i++)
    ck_assert_msg(i == 2 || recv_now(t, v[i], &got, 1) == -1, "socket %d", i);
  for (int i = 0; i < 7; i++)
    b->close(b, v[i]);
  CLOSE_ALL(t, w, e, c, d4, d6);
  bt_free(t);
}
END_TEST

/* A socket bound to an address checks a send as any other: another
 * family's address EAFNOSUPPORT, port 0 EINVAL, 65,508 bytes EMSGSIZE,
 * after shutdown for writing EPIPE. */
START_TEST(bound_socket_checks_each_send_as_linux_sendto) {
  bt *t = bt_new();
  const jnet_backend *b = t->b;
  static char big[65508];
  jnet_bsock *d = sock(t, 0, AF_INET, 1), *d6 = sock(t, 0, AF_INET6, 1);
  jnet_addr da = in4("192.0.2.1", 9700), to = in4("192.0.2.2", 9700);
  jnet_addr z = in4("192.0.2.2", 0);
  ck_assert_int_eq(b->bind(b, d, &da), 0);
  ck_assert_int_eq(send_to(t, d6, &to, "x", 1), JNET_EAFNOSUPPORT);
  ck_assert_int_eq(send_to(t, d, &z, "x", 1), JNET_EINVAL);
  ck_assert_int_eq(send_to(t, d, &to, big, sizeof big), JNET_EMSGSIZE);
  ck_assert_int_eq(connect_(t, d, &to), 0);
  ck_assert_int_eq(b->shutdown(b, d, JNET_SHUT_WR), 0);
  ck_assert_int_eq(send_to(t, d, &to, "x", 1), JNET_EPIPE);
  b->close(b, d);
  b->close(b, d6);
  bt_free(t);
}
END_TEST

/* Unix names: an abstract name reads back with its leading NUL; a second
 * client of a listener reaches the listener, not the connection already
 * accepted under its name; a stream's peer is the listener's path; a path
 * held by a datagram socket is taken for a stream; a datagram socket
 * cannot connect to a stream's path; an address without a name is
 * EINVAL. */
START_TEST(unix_names_reach_the_listener_and_keep_their_types) {
  bt *t = bt_new();
  const jnet_backend *b = t->b;
  jnet_bsock *ab = sock(t, 0, AF_UNIX, 1);
  jnet_addr abs_a;
  memset(&abs_a, 0, sizeof abs_a);
  abs_a.u.un.sun_family = AF_UNIX;
  memcpy(abs_a.u.un.sun_path + 1, "bt-abs", 6);
  abs_a.len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 7);
  ck_assert_int_eq(b->bind(b, ab, &abs_a), 0);
  jnet_addr name;
  ck_assert_int_eq(b->localname(b, ab, &name), 0);
  ck_assert_int_eq(name.len, abs_a.len);
  ck_assert_int_eq(name.u.un.sun_path[0], '\0');
  ck_assert(memcmp(name.u.un.sun_path + 1, "bt-abs", 6) == 0);
  jnet_bsock *l = sock(t, 0, AF_UNIX, 0);
  jnet_addr lp = un("/tmp/bt-ls");
  ck_assert_int_eq(b->bind(b, l, &lp), 0);
  ck_assert_int_eq(b->listen(b, l, 4), 0);
  jnet_bsock *c1 = sock(t, 0, AF_UNIX, 0), *c2 = sock(t, 0, AF_UNIX, 0);
  ck_assert_int_eq(b->peername(b, c1, &name), JNET_ENOTCONN);
  ck_assert_int_eq(connect_(t, c1, &lp), 0);
  jnet_req acc;
  req_init(t, &acc, NULL, 0);
  ck_assert_int_eq(finish(t, b->accept(b, l, &acc), &acc), 0);
  jnet_bsock *a1 = acc.sock;
  ck_assert_int_eq(connect_(t, c2, &lp), 0); /* not to a1 */
  req_init(t, &acc, NULL, 0);
  ck_assert_int_eq(finish(t, b->accept(b, l, &acc), &acc), 0);
  jnet_bsock *a2 = acc.sock;
  ck_assert_int_eq(b->peername(b, c2, &name), 0);
  ck_assert_str_eq(name.u.un.sun_path, "/tmp/bt-ls");
  ck_assert_int_eq(write_(t, c2, "2", 1), 0);
  drain(t);
  char got = 0;
  jnet_req rd;
  req_init(t, &rd, &got, 1);
  ck_assert_int_eq(finish(t, b->read(b, a2, &rd), &rd), 1);
  ck_assert_int_eq(got, '2');
  /* a datagram socket's path is taken for a stream; no datagram connect
   * to a stream's path; no name at all */
  jnet_bsock *ud = sock(t, 0, AF_UNIX, 1), *us = sock(t, 0, AF_UNIX, 0);
  jnet_bsock *ud2 = sock(t, 0, AF_UNIX, 1);
  jnet_addr dp = un("/tmp/bt-dgp"), bare = un("/tmp/x");
  bare.len = (socklen_t)offsetof(struct sockaddr_un, sun_path);
  ck_assert_int_eq(b->bind(b, ud, &dp), 0);
  ck_assert_int_eq(b->bind(b, us, &dp), JNET_EADDRINUSE);
  ck_assert_int_eq(connect_(t, ud2, &lp), JNET_EPROTOTYPE);
  ck_assert_int_eq(connect_(t, ud2, &bare), JNET_EINVAL);
  /* a bound datagram socket connects to the abstract one: its peer */
  ck_assert_int_eq(connect_(t, ud, &abs_a), 0);
  ck_assert_int_eq(b->peername(b, ud, &name), 0);
  ck_assert_int_eq(name.len, abs_a.len);
  ck_assert(memcmp(name.u.un.sun_path, abs_a.u.un.sun_path, 7) == 0);
  /* datagram calls on a stream */
  jnet_req sr;
  req_init(t, &sr, "x", 1);
  sr.addr = lp;
  ck_assert_int_eq(finish(t, b->send_to(b, c1, &sr), &sr), JNET_ENOTSUP);
  req_init(t, &sr, &got, 1);
  ck_assert_int_eq(finish(t, b->recv_from(b, c1, &sr), &sr), JNET_ENOTSUP);
  CLOSE_ALL(t, ab, l, c1, c2, a1, a2, ud, us, ud2);
  bt_free(t);
}
END_TEST

/* Port sharing as Linux: datagram sockets share a port only when both set
 * SO_REUSEADDR; two TCP sockets with it may bind one port while neither
 * listens, and then neither may listen. Binding needs an address of the
 * host (a datagram socket may bind a group), of the socket's family. */
START_TEST(port_sharing_needs_reuseaddr_on_both_and_no_listener) {
  bt *t = bt_new();
  const jnet_backend *b = t->b;
  jnet_addr p = in4("192.0.2.1", 7300), far = in4("192.0.2.2", 7301);
  jnet_addr grp = in4("239.1.1.1", 7302);
  jnet_bsock *u1 = sock(t, 0, AF_INET, 1), *u2 = sock(t, 0, AF_INET, 1);
  jnet_bsock *u3 = sock(t, 0, AF_INET, 1);
  ck_assert_int_eq(b->bind(b, u1, &p), 0);
  ck_assert_int_eq(b->bind(b, u2, &p), JNET_EADDRINUSE); /* neither */
  ck_assert_int_eq(b->setsockopt(b, u2, JNET_SO_REUSEADDR, jnet_opt_bool(1)), 0);
  ck_assert_int_eq(b->bind(b, u2, &p), JNET_EADDRINUSE); /* one only */
  ck_assert_int_eq(b->bind(b, u3, &far), JNET_EADDRNOTAVAIL);
  ck_assert_int_eq(b->bind(b, u3, &grp), 0);
  jnet_bsock *t1 = sock(t, 0, AF_INET, 0), *t2 = sock(t, 0, AF_INET, 0);
  jnet_bsock *t6 = sock(t, 0, AF_INET6, 0);
  for (int i = 0; i < 2; i++)
    ck_assert_int_eq(b->setsockopt(b, i ? t2 : t1, JNET_SO_REUSEADDR,
                                   jnet_opt_bool(1)), 0);
  ck_assert_int_eq(b->bind(b, t1, &p), 0);
  ck_assert_int_eq(b->bind(b, t2, &p), 0);
  ck_assert_int_eq(b->listen(b, t2, 4), JNET_EADDRINUSE);
  ck_assert_int_eq(b->bind(b, t6, &p), JNET_EAFNOSUPPORT);
  ck_assert_int_eq(b->setsockopt(b, u1, JNET_IP_MULTICAST_TTL, jnet_opt_int(-2)),
                   JNET_EINVAL);
  /* connecting to 0.0.0.0 means this host: the source is 127.0.0.1 */
  jnet_addr zero = in4("0.0.0.0", 7303), name;
  ck_assert_int_eq(connect_(t, u2, &zero), 0);
  ck_assert_int_eq(b->localname(b, u2, &name), 0);
  ck_assert_uint_eq(ntohl(name.u.in4.sin_addr.s_addr), 0x7f000001u);
  /* a NULL socket is refused, or ignored by close */
  ck_assert_int_eq(b->bind(b, NULL, &p), JNET_EINVAL);
  ck_assert_int_eq(b->listen(b, NULL, 1), JNET_EINVAL);
  ck_assert_int_eq(connect_(t, NULL, &p), JNET_EINVAL);
  b->close(b, NULL);
  CLOSE_ALL(t, u1, u2, u3, t1, t2, t6);
  bt_free(t);
}
END_TEST

/* An IPv6-only host has no route to an IPv4 address: connect fails at
 * once with ENETUNREACH. */
START_TEST(connect_without_an_address_of_the_family_is_enetunreach) {
  bt *t = bt_new3();
  jnet_bsock *c = sock(t, 3, AF_INET, 0), *u = sock(t, 3, AF_INET, 1);
  jnet_addr to = in4("192.0.2.1", 80);
  ck_assert_int_eq(connect_(t, c, &to), JNET_ENETUNREACH);
  ck_assert_int_eq(connect_(t, u, &to), JNET_ENETUNREACH);
  t->b->close(t->b, c);
  t->b->close(t->b, u);
  bt_free(t);
}
END_TEST

/* Ephemeral ports (32768-60999, per protocol) skip ports in use; once all
 * 28,232 are taken, bind to port 0 and listen fail with EADDRINUSE and
 * connect with EADDRNOTAVAIL, as on Linux; a datagram send_to with
 * EADDRNOTAVAIL (Linux: EAGAIN, which the model keeps for "would block"). */
static void exhaust_ports(int type) {
  bt *t = bt_new();
  const jnet_backend *b = t->b;
  enum { FIRST = 32768, N = 60999 - 32768 + 1 };
  jnet_bsock **u = calloc(N + 3, sizeof *u);
  ck_assert_ptr_nonnull(u);
  jnet_addr any = in4("0.0.0.0", 0), name;
  u[0] = sock(t, 0, AF_INET, type);
  ck_assert_int_eq(b->bind(b, u[0], &any), 0);
  ck_assert_int_eq(b->localname(b, u[0], &name), 0);
  int p0 = ntohs(name.u.in4.sin_port);
  ck_assert(p0 >= FIRST && p0 <= 60999);
  int next = p0 == 60999 ? FIRST : p0 + 1;
  int after = next == 60999 ? FIRST : next + 1;
  jnet_addr taken = in4("0.0.0.0", next);
  u[1] = sock(t, 0, AF_INET, type);
  ck_assert_int_eq(b->bind(b, u[1], &taken), 0);
  u[2] = sock(t, 0, AF_INET, type);
  ck_assert_int_eq(b->bind(b, u[2], &any), 0);
  ck_assert_int_eq(b->localname(b, u[2], &name), 0);
  ck_assert_int_eq(ntohs(name.u.in4.sin_port), after); /* next was taken */
  int bad = 0; /* one assertion, not 28,229: Check's are costly */
  for (int i = 3; i < N; i++)
    bad += b->socket(b, t->w->h[0], AF_INET, type, &u[i]) != 0 ||
           b->bind(b, u[i], &any) != 0;
  ck_assert_int_eq(bad, 0);
  jnet_bsock *x = sock(t, 0, AF_INET, type), *y = sock(t, 0, AF_INET, type);
  jnet_bsock *z = sock(t, 0, AF_INET, type);
  jnet_addr to = in4("192.0.2.2", 9000);
  ck_assert_int_eq(b->bind(b, x, &any), JNET_EADDRINUSE);
  ck_assert_int_eq(connect_(t, y, &to), JNET_EADDRNOTAVAIL);
  if (type == 1)
    ck_assert_int_eq(send_to(t, z, &to, "x", 1), JNET_EADDRNOTAVAIL);
  else
    ck_assert_int_eq(b->listen(b, z, 1), JNET_EADDRINUSE);
  b->close(b, u[5]); /* one port free again */
  ck_assert_int_eq(b->bind(b, x, &any), 0);
  for (int i = 0; i < N; i++)
    if (i != 5)
      b->close(b, u[i]);
  b->close(b, x);
  b->close(b, y);
  b->close(b, z);
  free(u);
  bt_free(t);
}

START_TEST(ephemeral_ports_skip_used_ones_and_run_out_as_linux) {
  exhaust_ports(1); /* UDP */
  exhaust_ports(0); /* TCP */
}
END_TEST

/* A listener closed while a connection to it is half open (its SYN-ACK
 * on the way, 1 ms links) resets that connection too: the client's
 * connect completes, then its read gets ECONNRESET; the port is free for
 * a new listener, whose queue works. */
START_TEST(listener_closed_during_a_handshake_resets_the_half_open_one) {
  bt *t = bt_new();
  const jnet_backend *b = t->b;
  jnet_bsock *l = sock(t, 1, AF_INET, 0), *c = sock(t, 0, AF_INET, 0);
  jnet_addr la = in4("192.0.2.2", 7400);
  ck_assert_int_eq(b->setsockopt(b, l, JNET_SO_REUSEADDR, jnet_opt_bool(1)), 0);
  ck_assert_int_eq(b->bind(b, l, &la), 0);
  ck_assert_int_eq(b->listen(b, l, 4), 0);
  jnet_req cr;
  req_init(t, &cr, NULL, 0);
  cr.addr = la;
  ck_assert_int_eq(b->connect(b, c, &cr), 0); /* SYN sent */
  uint64_t t0 = jnet_sim_now_ns(t->w->sim);
  ck_assert_int_ge(b->poll(b, t0 + 3 * JNET_SIM_MS / 2, 1), 0);
  ck_assert_int_eq(t->done, 0); /* the SYN-ACK is on its way */
  b->close(b, l);
  ck_assert_int_eq(finish(t, 0, &cr), 0);
  char got;
  jnet_req rd;
  req_init(t, &rd, &got, 1);
  ck_assert_int_eq(finish(t, b->read(b, c, &rd), &rd), JNET_ECONNRESET);
  b->close(b, c);
  l = sock(t, 1, AF_INET, 0);
  c = sock(t, 0, AF_INET, 0);
  ck_assert_int_eq(b->bind(b, l, &la), 0);
  ck_assert_int_eq(b->listen(b, l, 4), 0);
  ck_assert_int_eq(connect_(t, c, &la), 0);
  jnet_req acc;
  req_init(t, &acc, NULL, 0);
  ck_assert_int_eq(finish(t, b->accept(b, l, &acc), &acc), 0);
  b->close(b, acc.sock);
  b->close(b, c);
  b->close(b, l);
  bt_free(t);
}
END_TEST

/* connect to AF_UNSPEC disconnects a TCP socket, as Linux's
 * tcp_disconnect (the fault backend resets a connection so): an open
 * connection is aborted with a RST, both ends' reads give ECONNRESET; a
 * connect in progress is given up (ECONNRESET, no RST); a socket with
 * nothing to disconnect is left as it is; a listener: not modelled; a
 * datagram socket forgets its peer; a unix stream refuses it. */
static uint64_t packets_sent(bt *t) {
  jnet_sim_stats st;
  jnet_sim_get_stats(t->w->sim, &st);
  return st.packets_sent;
}

START_TEST(connect_to_af_unspec_disconnects_as_linux) {
  bt *t = bt_new();
  const jnet_backend *b = t->b;
  jnet_addr un;
  memset(&un, 0, sizeof un);
  un.u.sa.sa_family = AF_UNSPEC;
  un.len = (socklen_t)sizeof(struct sockaddr);
  jnet_addr la = in4("192.0.2.2", 7600);
  jnet_bsock *l = sock(t, 1, AF_INET, 0), *c = sock(t, 0, AF_INET, 0);
  ck_assert_int_eq(b->bind(b, l, &la), 0);
  ck_assert_int_eq(b->listen(b, l, 4), 0);
  ck_assert_int_eq(connect_(t, l, &un), JNET_ENOTSUP);
  ck_assert_int_eq(connect_(t, c, &un), 0); /* nothing to disconnect */
  ck_assert_int_eq(connect_(t, c, &la), 0);
  jnet_req acc;
  req_init(t, &acc, NULL, 0);
  ck_assert_int_eq(finish(t, b->accept(b, l, &acc), &acc), 0);
  uint64_t sent = packets_sent(t);
  ck_assert_int_eq(connect_(t, c, &un), 0);
  ck_assert_uint_eq(packets_sent(t), sent + 1); /* the RST */
  char got;
  jnet_req rd;
  req_init(t, &rd, &got, 1);
  ck_assert_int_eq(finish(t, b->read(b, c, &rd), &rd), JNET_ECONNRESET);
  req_init(t, &rd, &got, 1);
  ck_assert_int_eq(finish(t, b->read(b, acc.sock, &rd), &rd),
                   JNET_ECONNRESET);
  /* a connect in progress: given up without a RST */
  jnet_bsock *c2 = sock(t, 0, AF_INET, 0);
  jnet_req cr;
  req_init(t, &cr, NULL, 0);
  cr.addr = la;
  ck_assert_int_eq(b->connect(b, c2, &cr), 0); /* SYN sent */
  sent = packets_sent(t);
  ck_assert_int_eq(connect_(t, c2, &un), 0);
  ck_assert_int_eq(finish(t, 0, &cr), JNET_ECONNRESET);
  ck_assert_uint_eq(packets_sent(t), sent);
  /* a datagram socket forgets its peer; a unix stream wants AF_UNIX */
  jnet_bsock *u = sock(t, 0, AF_INET, 1), *us = sock(t, 0, AF_UNIX, 0);
  jnet_addr peer;
  ck_assert_int_eq(connect_(t, u, &la), 0);
  ck_assert_int_eq(t->b->peername(t->b, u, &peer), 0);
  ck_assert_int_eq(connect_(t, u, &un), 0);
  ck_assert_int_eq(t->b->peername(t->b, u, &peer), JNET_ENOTCONN);
  ck_assert_int_eq(connect_(t, us, &un), JNET_EINVAL);
  CLOSE_ALL(t, l, c, acc.sock, c2, u, us);
  bt_free(t);
}
END_TEST

/* listen again sets only the backlog, and one of 0 means 1: with one
 * connection queued, the next SYN is dropped (the client retries after
 * its 1 s RTO), where a backlog of 2 takes it at once. */
static int second_connect_waits(int backlog) {
  bt *t = bt_new();
  const jnet_backend *b = t->b;
  jnet_bsock *l = sock(t, 1, AF_INET, 0);
  jnet_bsock *c1 = sock(t, 0, AF_INET, 0), *c2 = sock(t, 0, AF_INET, 0);
  jnet_addr la = in4("192.0.2.2", 7500);
  ck_assert_int_eq(b->bind(b, l, &la), 0);
  ck_assert_int_eq(b->listen(b, l, 8), 0);
  ck_assert_int_eq(b->listen(b, l, backlog), 0);
  ck_assert_int_eq(connect_(t, c1, &la), 0);
  jnet_req cr;
  req_init(t, &cr, NULL, 0);
  cr.addr = la;
  ck_assert_int_eq(b->connect(b, c2, &cr), 0);
  int before = t->done;
  uint64_t t0 = jnet_sim_now_ns(t->w->sim);
  ck_assert_int_ge(b->poll(b, t0 + 100 * JNET_SIM_MS, 1), 0);
  int waits = t->done == before;
  b->close(b, c2);
  b->close(b, c1);
  b->close(b, l);
  bt_free(t);
  return waits;
}

START_TEST(listen_again_with_backlog_0_queues_one_connection) {
  ck_assert_int_eq(second_connect_waits(0), 1);
  ck_assert_int_eq(second_connect_waits(2), 0);
}
END_TEST

/* Three sockets share h0's port 7600, each connected elsewhere: to a
 * closed port of h1, to the same port number on the dual host (open), to
 * another port of h1 (open). The port unreachable h1 sends back fails
 * only the first one's next write, as Linux matches it by its four-tuple. */
START_TEST(port_unreachable_reaches_only_the_socket_connected_there) {
  bt *t = bt_new3();
  const jnet_backend *b = t->b;
  jnet_addr me = in4("192.0.2.1", 7600);
  jnet_addr closed = in4("192.0.2.2", 9001), other_ip = in4("192.0.2.9", 9001);
  jnet_addr other_port = in4("192.0.2.2", 9003);
  jnet_bsock *r2 = sock(t, 2, AF_INET, 1), *r3 = sock(t, 1, AF_INET, 1);
  ck_assert_int_eq(b->bind(b, r2, &other_ip), 0);
  ck_assert_int_eq(b->bind(b, r3, &other_port), 0);
  jnet_bsock *c[3];
  const jnet_addr *to[3] = {&closed, &other_ip, &other_port};
  for (int i = 0; i < 3; i++) {
    c[i] = sock(t, 0, AF_INET, 1);
    ck_assert_int_eq(b->setsockopt(b, c[i], JNET_SO_REUSEADDR, jnet_opt_bool(1)), 0);
    ck_assert_int_eq(b->bind(b, c[i], &me), 0);
    ck_assert_int_eq(connect_(t, c[i], to[i]), 0);
  }
  for (int i = 0; i < 3; i++)
    ck_assert_int_eq(write_(t, c[i], "x", 1), 0);
  drain(t);
  ck_assert_int_eq(write_(t, c[0], "x", 1), JNET_ECONNREFUSED);
  ck_assert_int_eq(write_(t, c[1], "x", 1), 0);
  ck_assert_int_eq(write_(t, c[2], "x", 1), 0);
  drain(t);
  char got;
  for (int i = 0; i < 2; i++) {
    ck_assert_int_eq(recv_now(t, r2, &got, 1), 1);
    ck_assert_int_eq(recv_now(t, r3, &got, 1), 1);
  }
  CLOSE_ALL(t, r2, r3, c[0], c[1], c[2]);
  bt_free(t);
}
END_TEST

/* A bind conflict is about one port: a datagram socket on port Q, without
 * SO_REUSEADDR, never stops two sockets with it from sharing port P. Q is
 * picked in the same bucket of the model's port table as P (64 buckets
 * while it holds few sockets), so a lookup of P meets it. */
START_TEST(socket_on_another_port_does_not_block_sharing_a_port) {
  bt *t = bt_new();
  const jnet_backend *b = t->b;
  const int p = 20000;
  int q = 0;
  for (int x = p + 1; x < 40000 && q == 0; x++)
    if (((jnet__sim_port_key(0, JNET__SIM_P_UDP, (uint16_t)p) ^
          jnet__sim_port_key(0, JNET__SIM_P_UDP, (uint16_t)x)) & 63) == 0)
      q = x;
  ck_assert_int_ne(q, 0);
  jnet_addr ap = in4("0.0.0.0", p), aq = in4("0.0.0.0", q);
  jnet_bsock *u1 = sock(t, 0, AF_INET, 1), *u2 = sock(t, 0, AF_INET, 1);
  jnet_bsock *other = sock(t, 0, AF_INET, 1);
  ck_assert_int_eq(b->setsockopt(b, u1, JNET_SO_REUSEADDR, jnet_opt_bool(1)), 0);
  ck_assert_int_eq(b->setsockopt(b, u2, JNET_SO_REUSEADDR, jnet_opt_bool(1)), 0);
  ck_assert_int_eq(b->bind(b, u1, &ap), 0);
  ck_assert_int_eq(b->bind(b, other, &aq), 0);
  ck_assert_int_eq(b->bind(b, u2, &ap), 0);
  b->close(b, u1);
  b->close(b, u2);
  b->close(b, other);
  bt_free(t);
}
END_TEST

/* Ports are per host: a datagram socket of another host on port P,
 * without SO_REUSEADDR, never stops two sockets with it from sharing P on
 * this host. The other host is the 50th (id 49), whose key for P falls in
 * the bucket of the port table (64 buckets while it holds few sockets)
 * that a lookup of host 0's P meets. */
START_TEST(a_socket_of_another_host_does_not_block_sharing_a_port) {
  bt *t = bt_new();
  const jnet_backend *b = t->b;
  while (t->w->n < 50)
    st_add_host(t->w);
  const int p = 20000, far = 49;
  ck_assert_uint_eq(((jnet__sim_port_key(0, JNET__SIM_P_UDP, (uint16_t)p) ^
                      jnet__sim_port_key(far, JNET__SIM_P_UDP, (uint16_t)p)) &
                     63), 0);
  jnet_addr ap = in4("0.0.0.0", p);
  jnet_bsock *u1 = sock(t, 0, AF_INET, 1), *u2 = sock(t, 0, AF_INET, 1);
  jnet_bsock *other = sock(t, far, AF_INET, 1);
  ck_assert_int_eq(b->setsockopt(b, u1, JNET_SO_REUSEADDR, jnet_opt_bool(1)),
                   0);
  ck_assert_int_eq(b->setsockopt(b, u2, JNET_SO_REUSEADDR, jnet_opt_bool(1)),
                   0);
  ck_assert_int_eq(b->bind(b, u1, &ap), 0);
  ck_assert_int_eq(b->bind(b, other, &ap), 0);
  ck_assert_int_eq(b->bind(b, u2, &ap), 0);
  CLOSE_ALL(t, u1, u2, other);
  bt_free(t);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("sim-backend-errors");
  jc_defaults(60, NULL, NULL);
  JC_TEST(s, socket_rejects_bad_type_family_node_and_a_crashed_host);
  JC_TEST(s, bind_rejects_a_second_bind_and_a_foreign_family);
  JC_TEST(s, listen_errors_and_a_second_listen_only_sets_the_backlog);
  JC_TEST(s, connect_rejects_foreign_families_port_zero_and_wrong_unix_peers);
  JC_TEST(s, setsockopt_checks_value_types_and_socket_kinds);
  JC_TEST(s, udp_send_errors_as_linux_sendto);
  JC_TEST(s, unix_datagram_send_errors);
  JC_TEST(s, full_receive_queue_drops_the_datagram_that_does_not_fit);
  JC_TEST(s, multicast_and_broadcast_reach_every_socket_sharing_the_port);
  JC_TEST(s,
          stop_closes_what_is_left_open_and_random_defaults_to_the_first_host);
  /* br-tcp */
  JC_TEST(s, stream_io_before_the_connection_and_after_shutdown_as_linux);
  JC_TEST(s, a_full_accept_queue_drops_the_syn_until_the_retry);
  JC_TEST(s, corruption_leaves_an_empty_datagram_empty);
  JC_TEST(s, connected_socket_takes_its_peers_datagrams_from_a_shared_port);
  JC_TEST(s, each_port_gets_only_its_own_broadcast_and_dual_stack_datagram);
  JC_TEST(s, empty_datagrams_arrive_empty_on_every_path);
  JC_TEST(s, multicast_follows_each_groups_membership);
  JC_TEST(s, broadcast_finds_the_ipv4_address_of_a_dual_host);
  JC_TEST(s, datagrams_without_memory_fail_with_enomem_or_are_dropped);
  JC_TEST(s, closed_socket_takes_its_queued_and_incoming_datagrams_with_it);
  JC_TEST(s, datagram_goes_to_the_socket_bound_to_its_address);
  JC_TEST(s, bound_socket_checks_each_send_as_linux_sendto);
  JC_TEST(s, unix_names_reach_the_listener_and_keep_their_types);
  JC_TEST(s, port_sharing_needs_reuseaddr_on_both_and_no_listener);
  JC_TEST(s, connect_without_an_address_of_the_family_is_enetunreach);
  JC_TEST(s, ephemeral_ports_skip_used_ones_and_run_out_as_linux);
  JC_TEST(s, listener_closed_during_a_handshake_resets_the_half_open_one);
  JC_TEST(s, listen_again_with_backlog_0_queues_one_connection);
  JC_TEST(s, connect_to_af_unspec_disconnects_as_linux);
  JC_TEST(s, port_unreachable_reaches_only_the_socket_connected_there);
  JC_TEST(s, socket_on_another_port_does_not_block_sharing_a_port);
  JC_TEST(s, a_socket_of_another_host_does_not_block_sharing_a_port);
  return s;
}

int main(void) { return st_run_suite(suite()); }
