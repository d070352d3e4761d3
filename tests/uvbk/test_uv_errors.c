/* test_uv_errors.c — the libuv backend's answers to misuse through its
 * vtable (what the API layer above would have caught first, and what an
 * out-of-tree layer driving the backend sees): bad sockets, binds and
 * options, a datagram over UDP's limit, a listener that cannot listen, the
 * resolver's refusals (ports glibc would wrap, unknown services, asynchronous
 * lookups), a stopped backend, and the bounds of shutdown. Linux's own
 * errno where the kernel answers. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "jnet_check.h"
#include "uvbk.h"

static jnet_bsock *sock(int family, int type) {
  jnet_bsock *s = NULL;
  ck_assert_int_eq(B->socket(B, B->default_node(B), family, type, &s), 0);
  return s;
}

START_TEST(socket_rejects_bad_arguments_and_a_stopped_backend) {
  jnet_bsock *s = NULL;
  jnet_node *n = B->default_node(B);
  ck_assert_int_eq(B->socket(B, n, AF_INET, JNET_STREAM, NULL), JNET_EINVAL);
  ck_assert_int_eq(B->socket(B, n, AF_PACKET, JNET_STREAM, &s),
                   JNET_EAFNOSUPPORT);
  ck_assert_int_eq(B->socket(B, n, AF_INET, 2, &s), JNET_EINVAL);
  ck_assert_ptr_null(s);
  /* a second start is refused; a stopped backend makes nothing and polls
   * nothing */
  ck_assert_int_eq(B->start(B, &HOOKS, NULL), JNET_EBUSY);
  B->stop(B);
  ck_assert_int_eq(B->socket(B, n, AF_INET, JNET_STREAM, &s), JNET_EINVAL);
  ck_assert_int_eq(B->poll(B, JNET_NO_DEADLINE, 0), JNET_EINVAL);
  jnet_req r;
  int cnt = 0;
  req_init(&r, &cnt);
  ck_assert_int_eq(B->resolve(B, n, &r, "127.0.0.1", "80", JNET_STREAM, 0),
                   JNET_EINVAL);
  ck_assert_int_eq(B->start(B, &HOOKS, NULL), 0); /* for teardown */
}
END_TEST

START_TEST(bind_and_listen_errors) {
  jnet_bsock *s = sock(AF_INET, JNET_STREAM);
  jnet_addr a = ip4("127.0.0.1", 0);
  ck_assert_int_eq(B->bind(B, s, NULL), JNET_EINVAL);
  jnet_addr z = a;
  z.len = 0;
  ck_assert_int_eq(B->bind(B, s, &z), JNET_EINVAL);
  z.len = sizeof z.u + 1;
  ck_assert_int_eq(B->bind(B, s, &z), JNET_EINVAL);
  ck_assert_int_eq(B->bind(B, s, &a), 0);
  ck_assert_int_eq(B->listen(B, s, 8), 0);
  /* the port is taken: a second socket cannot bind it */
  jnet_bsock *t = sock(AF_INET, JNET_STREAM);
  jnet_addr same = ip4("127.0.0.1", port_of(s));
  ck_assert_int_eq(B->bind(B, t, &same), JNET_EADDRINUSE);
  /* a datagram socket cannot listen: Linux's EOPNOTSUPP */
  jnet_bsock *d = sock(AF_INET, JNET_DATAGRAM);
  ck_assert_int_eq(B->listen(B, d, 8), -EOPNOTSUPP);
  /* accept on what does not listen */
  jnet_req r;
  int cnt = 0;
  req_init(&r, &cnt);
  ck_assert_int_eq(finish(B->accept(B, t, &r), &r, &cnt), JNET_EINVAL);
  B->close(B, s);
  B->close(B, t);
  B->close(B, d);
}
END_TEST

/* A unix address must hold at least its family: one byte is Linux's
 * EINVAL, and nothing is copied or kept for unlinking (the path part is
 * len - offsetof(sun_path) bytes, which would be negative). */
START_TEST(unix_bind_refuses_an_address_shorter_than_its_family) {
  jnet_bsock *u = sock(AF_UNIX, JNET_STREAM);
  jnet_addr a;
  memset(&a, 0, sizeof a);
  a.u.un.sun_family = AF_UNIX;
  a.len = 1;
  ck_assert_int_eq(B->bind(B, u, &a), JNET_EINVAL);
  /* the socket is still usable: an abstract name binds */
  a.u.un.sun_path[0] = '\0';
  memcpy(a.u.un.sun_path + 1, "jnet-uv-short", 13);
  a.len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 14);
  ck_assert_int_eq(B->bind(B, u, &a), 0);
  B->close(B, u);
}
END_TEST

START_TEST(setsockopt_and_shutdown_refuse_what_linux_refuses) {
  jnet_bsock *d = sock(AF_INET, JNET_DATAGRAM);
  ck_assert_int_eq(B->setsockopt(B, d, 99, jnet_opt_bool(1)), JNET_EINVAL);
  ck_assert_int_eq(B->setsockopt(B, d, JNET_IP_ADD_MEMBERSHIP, jnet_opt_int(1)),
                   JNET_EINVAL);
  ck_assert_int_eq(
      B->setsockopt(B, d, JNET_IP_ADD_MEMBERSHIP, jnet_opt_str("not-a-group")),
      JNET_EINVAL);
  ck_assert_int_eq(
      B->setsockopt(B, d, JNET_IPV6_JOIN_GROUP, jnet_opt_str(NULL)),
      JNET_EINVAL);
  ck_assert_int_eq(
      B->setsockopt(B, d, JNET_IP_MULTICAST_TTL, jnet_opt_int(256)),
      JNET_EINVAL);
  ck_assert_int_eq(B->setsockopt(B, d, JNET_IP_MULTICAST_TTL, jnet_opt_int(-1)),
                   0);
  ck_assert_int_eq(B->shutdown(B, d, 7), JNET_EINVAL);
  ck_assert_int_eq(B->shutdown(B, d, JNET_SHUT_WR), -ENOTCONN);
  ck_assert_int_eq(B->nodelay(B, NULL, 1), JNET_EINVAL);
  ck_assert_int_eq(B->nodelay(B, d, 1), 0); /* UDP has no Nagle: nothing */
  ck_assert_int_eq(B->localname(B, d, NULL), JNET_EINVAL);
  ck_assert_int_eq(B->peername(B, d, NULL), JNET_EINVAL);
  jnet_addr a;
  ck_assert_int_eq(B->peername(B, d, &a), -ENOTCONN);
  B->close(B, d);
}
END_TEST

/* A NULL socket or request is refused by every slot that takes one, and
 * closing or cancelling nothing does nothing: what an out-of-tree layer
 * driving the backend sees. A request never started cancels to nothing. */
START_TEST(null_sockets_and_requests_are_refused) {
  jnet_addr a = ip4("127.0.0.1", 0);
  jnet_req r;
  int cnt = 0;
  req_init(&r, &cnt);
  ck_assert_int_eq(B->bind(B, NULL, &a), JNET_EINVAL);
  ck_assert_int_eq(B->listen(B, NULL, 8), JNET_EINVAL);
  ck_assert_int_eq(B->shutdown(B, NULL, JNET_SHUT_WR), JNET_EINVAL);
  ck_assert_int_eq(B->setsockopt(B, NULL, JNET_SO_BROADCAST, jnet_opt_bool(1)),
                   JNET_EINVAL);
  ck_assert_int_eq(B->localname(B, NULL, &a), JNET_EINVAL);
  ck_assert_int_eq(B->peername(B, NULL, &a), JNET_EINVAL);
  ck_assert_int_eq(B->read(B, NULL, &r), JNET_EINVAL);
  ck_assert_int_eq(B->accept(B, NULL, &r), JNET_EINVAL);
  jnet_bsock *s = sock(AF_INET, JNET_STREAM);
  ck_assert_int_eq(B->read(B, s, NULL), JNET_EINVAL);
  ck_assert_int_eq(B->write(B, s, NULL), JNET_EINVAL);
  ck_assert_int_eq(B->accept(B, s, NULL), JNET_EINVAL);
  B->cancel(B, NULL);
  B->cancel(B, &r);
  B->close(B, NULL);
  B->close(B, s);
  jnet_backend_free(NULL);
  ck_assert_int_eq(cnt, 0);
  ck_assert_int_eq(B->poll(B, JNET_NO_DEADLINE, 0), 0); /* nothing owed */
}
END_TEST

/* The API cancels before it closes; a layer that closes with a read and a
 * write still parked gets neither called back, and the backend owes
 * nothing after (the parked requests are forgotten, not completed). */
START_TEST(close_forgets_parked_requests) {
  jnet_bsock *lsn, *c, *srv;
  tcp_pair(&lsn, &c, &srv);
  int cnt = 0;
  jnet_req rd, wr;
  char buf[8];
  park_read(c, &rd, buf, sizeof buf, &cnt);
  size_t big = 8u << 20; /* more than the socket buffers: the write parks */
  char *p = calloc(1, big);
  ck_assert_ptr_nonnull(p);
  req_init(&wr, &cnt);
  wr.buf = p;
  wr.len = big;
  ck_assert_int_eq(B->write(B, c, &wr), 0);
  B->close(B, c);
  poll_for_ms(20);
  ck_assert_int_eq(cnt, 0);
  B->close(B, srv);
  B->close(B, lsn);
  ck_assert_int_eq(B->poll(B, JNET_NO_DEADLINE, 0), 0); /* nothing owed */
  free(p);
}
END_TEST

/* A daemon closes its standard input: the next socket is descriptor 0,
 * an ordinary one (only a negative descriptor is no socket). */
START_TEST(a_socket_on_descriptor_0_works) {
  ck_assert_int_eq(close(0), 0);
  jnet_bsock *lsn, *c, *srv;
  tcp_pair(&lsn, &c, &srv); /* the listener is descriptor 0: it accepts */
  ck_assert_int_ne(fcntl(0, F_GETFD), -1);
  ck_assert_int_eq(write_all(c, "abc", 3), 0);
  char got[8];
  ck_assert_int_eq(read_some(srv, got, sizeof got), 3);
  ck_assert(memcmp(got, "abc", 3) == 0);
  B->close(B, c);
  B->close(B, srv);
  B->close(B, lsn);
}
END_TEST

START_TEST(send_to_checks_the_address_and_udp_limit) {
  static char big[65508];
  jnet_bsock *d = udp_bound();
  jnet_addr dst = ip4("127.0.0.1", port_of(d));
  jnet_req r;
  int cnt = 0;
  req_init(&r, &cnt);
  r.buf = big;
  r.len = sizeof big;
  r.addr = dst;
  ck_assert_int_eq(finish(B->send_to(B, d, &r), &r, &cnt), JNET_EMSGSIZE);
  req_init(&r, &cnt);
  r.buf = big;
  r.len = 10;
  r.addr = dst;
  r.addr.len = 0; /* no address */
  ck_assert_int_eq(finish(B->send_to(B, d, &r), &r, &cnt), JNET_EINVAL);
  /* an unconnected datagram socket has nowhere to write to */
  req_init(&r, &cnt);
  r.buf = big;
  r.len = 10;
  ck_assert_int_eq(finish(B->write(B, d, &r), &r, &cnt), -EDESTADDRREQ);
  B->close(B, d);
}
END_TEST

/* ---- getaddrinfo, failed on demand ------------------------------------------
 * The suite links with -Wl,--wrap=getaddrinfo: the backend's own calls (in
 * libjnet.a) come here; libuv's thread pool calls the real one. */

int __real_getaddrinfo(const char *node, const char *service,
                       const struct addrinfo *hints, struct addrinfo **res);
int __wrap_getaddrinfo(const char *node, const char *service,
                       const struct addrinfo *hints, struct addrinfo **res);

static int gai_fail;  /* 0: the real getaddrinfo; else this EAI_* code */
static int gai_errno; /* and errno set to this */
static const char *gai_only; /* non-NULL: fail only the lookups of this node */

int __wrap_getaddrinfo(const char *node, const char *service,
                       const struct addrinfo *hints, struct addrinfo **res) {
  if (gai_fail != 0 &&
      (gai_only == NULL || (node != NULL && strcmp(node, gai_only) == 0))) {
    errno = gai_errno;
    return gai_fail;
  }
  return __real_getaddrinfo(node, service, hints, res);
}

/* ---- The resolver ----------------------------------------------------------
 */

static ssize_t resolve(const char *host, const char *port, int type,
                       int passive, jnet_addr *out, size_t cap) {
  jnet_req r;
  int cnt = 0;
  req_init(&r, &cnt);
  r.addrs = out;
  r.naddrs = cap;
  return finish(
      B->resolve(B, B->default_node(B), &r, host, port, type, passive), &r,
      &cnt);
}

START_TEST(resolve_refuses_ports_glibc_would_wrap_and_unknown_services) {
  jnet_addr out[8];
  jnet_req r;
  int cnt = 0;
  req_init(&r, &cnt);
  r.naddrs = 4; /* and no array */
  ck_assert_int_eq(
      B->resolve(B, B->default_node(B), &r, "127.0.0.1", "80", JNET_STREAM, 0),
      JNET_EINVAL);
  ck_assert_int_eq(B->resolve(B, B->default_node(B), NULL, "127.0.0.1", "80",
                              JNET_STREAM, 0),
                   JNET_EINVAL);
  req_init(&r, &cnt);
  ck_assert_int_eq(
      B->resolve(B, B->default_node(B), &r, "127.0.0.1", "80", 2, 0),
      JNET_EINVAL);
  ck_assert_int_eq(resolve("127.0.0.1", "70000", JNET_STREAM, 0, out, 8),
                   JNET_EAI_SERVICE);
  ck_assert_int_eq(resolve("127.0.0.1", "-1", JNET_STREAM, 0, out, 8),
                   JNET_EAI_SERVICE);
  ck_assert_int_eq(resolve("127.0.0.1", " 80", JNET_STREAM, 0, out, 8),
                   JNET_EAI_SERVICE);
  /* a service name goes to the resolver thread: unknown is EAI_SERVICE */
  ck_assert_int_eq(
      resolve("127.0.0.1", "no-such-service-jnet", JNET_STREAM, 0, out, 8),
      JNET_EAI_SERVICE);
  ck_assert_int_eq(
      resolve("localhost", "no-such-service-jnet", JNET_STREAM, 0, out, 8),
      JNET_EAI_SERVICE);
  /* a known one resolves through the same path */
  ssize_t n = resolve("127.0.0.1", "http", JNET_STREAM, 0, out, 8);
  ck_assert_int_ge(n, 1);
  ck_assert_int_eq(out[0].u.sa.sa_family, AF_INET);
  ck_assert_int_eq(ntohs(out[0].u.in4.sin_port), 80);
  /* no host and no port, passive: the wildcard, port 0 */
  n = resolve(NULL, NULL, JNET_DATAGRAM, 1, out, 8);
  ck_assert_int_ge(n, 1);
  ck_assert_int_eq(ntohs(out[0].u.in4.sin_port), 0);
}
END_TEST

/* getaddrinfo's EAI_SYSTEM means "see errno": the caller gets that errno
 * (-EMFILE is JNET_EMFILE), or JNET_EAI_FAIL when errno says nothing; its
 * other codes map one to one onto JNET_EAI_* (EAI_NONAME from the numeric
 * try means "not a number": the name goes to the resolver thread). */
START_TEST(resolve_maps_eai_system_to_errno) {
  static const struct {
    int eai, err, want;
  } cases[] = {
      {EAI_SYSTEM, EMFILE, JNET_EMFILE},
      {EAI_SYSTEM, ENOBUFS, JNET_ENOBUFS},
      {EAI_SYSTEM, 0, JNET_EAI_FAIL},
      {EAI_AGAIN, 0, JNET_EAI_AGAIN},
      {EAI_MEMORY, 0, JNET_EAI_MEMORY},
      {EAI_FAMILY, 0, JNET_EAI_FAMILY},
      {EAI_SOCKTYPE, 0, JNET_EAI_SOCKTYPE},
      {EAI_FAIL, 0, JNET_EAI_FAIL},
      {EAI_BADFLAGS, 0, JNET_EAI_BADFLAGS},
      {EAI_OVERFLOW, 0, JNET_EAI_OVERFLOW},
      {EAI_SERVICE, 0, JNET_EAI_SERVICE},
#ifdef EAI_NODATA
      {EAI_NODATA, 0, JNET_EAI_NODATA},
#endif
      {-9999, 0, JNET_EAI_FAIL}, /* a code jnet does not know */
  };
  jnet_addr out[8];
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    gai_fail = cases[i].eai;
    gai_errno = cases[i].err;
    ssize_t n = resolve("127.0.0.1", "80", JNET_STREAM, 0, out, 8);
    gai_fail = 0;
    ck_assert_msg(n == cases[i].want, "case %zu: %zd (%s), want %s", i, n,
                  jnet_err_name((int)n), jnet_err_name(cases[i].want));
  }
  /* and the real one answers again */
  ck_assert_int_eq(resolve("127.0.0.1", "80", JNET_STREAM, 0, out, 8), 1);
}
END_TEST

/* "localhost" whose ::1 half cannot be had (a libc that refuses the IPv6
 * loopback, as without IPv6): the IPv4 loopback alone, counted as one. */
START_TEST(resolve_localhost_without_its_ipv6_half_is_the_ipv4_loopback) {
  jnet_addr out[8];
  gai_fail = EAI_FAMILY;
  gai_only = "::1";
  ssize_t n = resolve("localhost", "80", JNET_STREAM, 0, out, 8);
  ssize_t counted = resolve("localhost", "80", JNET_STREAM, 0, NULL, 0);
  gai_fail = 0;
  gai_only = NULL;
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(out[0].u.sa.sa_family, AF_INET);
  ck_assert(is_loopback(&out[0]));
  ck_assert_int_eq(ntohs(out[0].u.in4.sin_port), 80);
  ck_assert_int_eq(counted, 1);
}
END_TEST

START_TEST(a_pending_lookup_can_be_cancelled) {
  jnet_addr out[4];
  jnet_req r;
  int cnt = 0;
  req_init(&r, &cnt);
  r.addrs = out;
  r.naddrs = 4;
  int started = B->resolve(B, B->default_node(B), &r, "127.0.0.1", "http",
                           JNET_STREAM, 0);
  ck_assert_int_eq(started, 0); /* a service name: asynchronous */
  B->cancel(B, &r);
  B->cancel(B, &r); /* twice: the second finds nothing pending */
  poll_for_ms(50);
  ck_assert_int_eq(cnt, 0); /* never called back */
}
END_TEST

/* connect checks the address length (0, or longer than a jnet_addr holds:
 * JNET_EINVAL); a connected UDP socket after shutdown RD reads end of
 * stream (0) at once; one connected to a port nobody holds reads the ICMP
 * refusal as JNET_ECONNREFUSED (at once, or parked until POLLERR). */
START_TEST(udp_connect_bad_lengths_shutdown_rd_and_a_refused_peer) {
  jnet_bsock *u = udp_bound(), *peer = udp_bound(), *gone = udp_bound();
  int gone_port = port_of(gone);
  B->close(B, gone);
  jnet_req r;
  int cnt = 0;
  req_init(&r, &cnt);
  r.addr.len = 0;
  ck_assert_int_eq(B->connect(B, u, &r), 1);
  ck_assert_int_eq(r.result, JNET_EINVAL);
  req_init(&r, &cnt);
  r.addr = ip4("127.0.0.1", port_of(peer));
  r.addr.len = (socklen_t)sizeof r.addr.u + 1;
  ck_assert_int_eq(B->connect(B, u, &r), 1);
  ck_assert_int_eq(r.result, JNET_EINVAL);
  req_init(&r, &cnt);
  r.addr = ip4("127.0.0.1", port_of(peer));
  ck_assert_int_eq(B->connect(B, u, &r), 1);
  ck_assert_int_eq(r.result, 0);
  ck_assert_int_eq(B->shutdown(B, u, JNET_SHUT_RD), 0);
  char buf[8];
  req_init(&r, &cnt);
  r.buf = buf;
  r.len = sizeof buf;
  ck_assert_int_eq(B->recv_from(B, u, &r), 1);
  ck_assert_int_eq(r.result, 0);
  B->close(B, u);
  B->close(B, peer);

  jnet_bsock *v = udp_bound();
  req_init(&r, &cnt);
  r.addr = ip4("127.0.0.1", gone_port);
  ck_assert_int_eq(B->connect(B, v, &r), 1);
  ck_assert_int_eq(r.result, 0);
  req_init(&r, &cnt);
  r.buf = (void *)"x";
  r.len = 1;
  ck_assert_int_eq(finish(B->write(B, v, &r), &r, &cnt), 0);
  cnt = 0;
  req_init(&r, &cnt);
  r.buf = buf;
  r.len = sizeof buf;
  ck_assert_int_eq(finish(B->recv_from(B, v, &r), &r, &cnt), JNET_ECONNREFUSED);
  B->close(B, v);

  /* The read first, parked on the empty socket; then the datagram whose
   * refusal comes back: POLLERR completes the parked read with it (the
   * error is taken from the socket once: left parked, the read would
   * wait for ever). */
  jnet_bsock *w = udp_bound();
  req_init(&r, &cnt);
  r.addr = ip4("127.0.0.1", gone_port);
  ck_assert_int_eq(B->connect(B, w, &r), 1);
  ck_assert_int_eq(r.result, 0);
  jnet_req rd;
  int nrd = 0;
  req_init(&rd, &nrd);
  rd.buf = buf;
  rd.len = sizeof buf;
  ck_assert_int_eq(B->recv_from(B, w, &rd), 0); /* parked */
  cnt = 0;
  req_init(&r, &cnt);
  r.buf = (void *)"y";
  r.len = 1;
  ck_assert_int_eq(finish(B->write(B, w, &r), &r, &cnt), 0);
  ck_assert_int_eq(finish(0, &rd, &nrd), JNET_ECONNREFUSED);
  B->close(B, w);
}
END_TEST

/* --- m3-b: the resolver's array bound --- */

/* A request without an array may ask only how many addresses there are
 * (naddrs 0); one slot without an array is refused before anything is
 * written, as four slots are. */
START_TEST(resolve_refuses_one_slot_without_an_array_and_counts_with_none) {
  jnet_req r;
  int cnt = 0;
  req_init(&r, &cnt);
  r.naddrs = 1;
  ck_assert_int_eq(
      B->resolve(B, B->default_node(B), &r, "127.0.0.1", "80", JNET_STREAM, 0),
      JNET_EINVAL);
  ck_assert_int_eq(cnt, 0);
  ck_assert_int_eq(resolve("127.0.0.1", "80", JNET_STREAM, 0, NULL, 0), 1);
}
END_TEST

int main(void) {
  Suite *s = suite_create("uv-errors");
  jc_defaults(60, setup, teardown);
  JC_TEST(s, socket_rejects_bad_arguments_and_a_stopped_backend);
  JC_TEST(s, bind_and_listen_errors);
  JC_TEST(s, unix_bind_refuses_an_address_shorter_than_its_family);
  JC_TEST(s, setsockopt_and_shutdown_refuse_what_linux_refuses);
  JC_TEST(s, null_sockets_and_requests_are_refused);
  JC_TEST(s, close_forgets_parked_requests);
  JC_TEST(s, a_socket_on_descriptor_0_works);
  JC_TEST(s, send_to_checks_the_address_and_udp_limit);
  JC_TEST(s, resolve_refuses_ports_glibc_would_wrap_and_unknown_services);
  JC_TEST(s, resolve_maps_eai_system_to_errno);
  JC_TEST(s, resolve_localhost_without_its_ipv6_half_is_the_ipv4_loopback);
  JC_TEST(s, a_pending_lookup_can_be_cancelled);
  JC_TEST(s, udp_connect_bad_lengths_shutdown_rd_and_a_refused_peer);
  JC_TEST(s, resolve_refuses_one_slot_without_an_array_and_counts_with_none);
  return jc_run(s);
}
