/* test_uv_backend.c — the libuv backend through its vtable alone: loop and
 * clock, resolve, TCP, unix and UDP sockets, options and shutdown. Real
 * sockets on 127.0.0.1, ::1 and unix paths only; every wait is bounded by a
 * deadline on the backend's clock.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uvbk.h"
#include "jnet_check.h"

/* ---- loop, clock, node ------------------------------------------------- */

START_TEST(start_twice_is_ebusy) {
  ck_assert_int_eq(B->version, JNET_BACKEND_VERSION);
  ck_assert_str_eq(B->name, "uv");
  ck_assert_int_eq(B->start(B, &HOOKS, NULL), JNET_EBUSY);
  ck_assert_ptr_nonnull(B->default_node(B));
  ck_assert_ptr_eq(B->default_node(B), B->default_node(B));
}
END_TEST

START_TEST(restart_after_stop_works) {
  B->stop(B);
  ck_assert_int_eq(B->start(B, &HOOKS, NULL), 0);
  jnet_bsock *lsn = tcp_listener();
  ck_assert_int_gt(port_of(lsn), 0);
}
END_TEST

START_TEST(poll_idle_returns_zero_at_once) {
  uint64_t t0 = B->now_ns(B);
  ck_assert_int_eq(B->poll(B, JNET_NO_DEADLINE, 1), 0);
  ck_assert_int_eq(B->poll(B, JNET_NO_DEADLINE, 0), 0);
  /* an open socket with nothing pending keeps nothing alive */
  jnet_bsock *lsn = tcp_listener();
  (void)lsn;
  ck_assert_int_eq(B->poll(B, JNET_NO_DEADLINE, 1), 0);
  ck_assert_uint_lt(B->now_ns(B) - t0, 1000000000ull);
}
END_TEST

START_TEST(poll_waits_for_deadline_and_not_long_past_it) {
  uint64_t t0 = B->now_ns(B);
  uint64_t deadline = t0 + 30000000; /* 30 ms */
  int r = 1;
  for (int i = 0; i < 1000 && B->now_ns(B) < deadline; i++)
    r = B->poll(B, deadline, 1);
  ck_assert_int_eq(r, 1);
  uint64_t t1 = B->now_ns(B);
  ck_assert_uint_ge(t1, deadline);
  ck_assert_uint_lt(t1 - deadline, 500000000ull);
}
END_TEST

START_TEST(clock_is_monotonic_and_random_varies) {
  uint64_t a = B->now_ns(B), b = B->now_ns(B);
  ck_assert_uint_ge(b, a);
  uint64_t r1 = B->random(B, B->default_node(B));
  uint64_t r2 = B->random(B, B->default_node(B));
  uint64_t r3 = B->random(B, B->default_node(B));
  ck_assert(r1 != r2 || r2 != r3);
}
END_TEST

/* ---- resolve ----------------------------------------------------------- */

START_TEST(resolve_localhost_gives_loopback_with_port) {
  jnet_addr out[8];
  int cnt = 0;
  jnet_req req;
  req_init(&req, &cnt);
  req.addrs = out;
  req.naddrs = 8;
  ssize_t n = finish(B->resolve(B, B->default_node(B), &req, "localhost",
                                "8080", JNET_STREAM, 0),
                     &req, &cnt);
  ck_assert_int_ge(n, 1);
  for (ssize_t i = 0; i < n && i < 8; i++) {
    ck_assert_msg(is_loopback(&out[i]), "result %zd is not loopback", i);
    ck_assert_int_eq(ntohs(out[i].u.in4.sin_port),
                     8080); /* same offset in in6 */
  }
}
END_TEST

START_TEST(resolve_numeric_is_synchronous) {
  jnet_addr out[2];
  int cnt = 0;
  jnet_req req;
  req_init(&req, &cnt);
  req.addrs = out;
  req.naddrs = 2;
  int r = B->resolve(B, B->default_node(B), &req, "127.0.0.1", NULL,
                     JNET_DATAGRAM, 0);
  ck_assert_int_eq(r, 1);
  ck_assert_int_eq(req.result, 1);
  ck_assert_int_eq(out[0].u.sa.sa_family, AF_INET);
  ck_assert_int_eq(out[0].u.in4.sin_port, 0); /* NULL port: port 0 */
  req_init(&req, &cnt);
  req.addrs = out;
  req.naddrs = 2;
  ck_assert_int_eq(
      B->resolve(B, B->default_node(B), &req, "::1", "65535", JNET_STREAM, 0),
      1);
  ck_assert_int_eq(req.result, 1);
  ck_assert_int_eq(out[0].u.sa.sa_family, AF_INET6);
  ck_assert_int_eq(ntohs(out[0].u.in6.sin6_port), 65535);
  ck_assert_int_eq(cnt, 0);
}
END_TEST

START_TEST(resolve_bad_port_is_eai_service) {
  const char *bad[] = {"65536", "70000", "123456", "no-such-service-xyz",
                       "-1",    "+80",   " 80",    ""};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    jnet_addr out[2];
    int cnt = 0;
    jnet_req req;
    req_init(&req, &cnt);
    req.addrs = out;
    req.naddrs = 2;
    ssize_t r = finish(B->resolve(B, B->default_node(B), &req, "127.0.0.1",
                                  bad[i], JNET_STREAM, 0),
                       &req, &cnt);
    ck_assert_msg(r == JNET_EAI_SERVICE, "%s: %zd", bad[i], r);
  }
}
END_TEST

START_TEST(resolve_localhost_is_both_loopbacks_and_counts_past_cap) {
  jnet_addr out[4];
  int cnt = 0;
  jnet_req req;
  req_init(&req, &cnt);
  req.addrs = out;
  req.naddrs = 4;
  ck_assert_int_eq(B->resolve(B, B->default_node(B), &req, "LocalHost.", "80",
                              JNET_DATAGRAM, 0),
                   1);
  ssize_t n = req.result;
  ck_assert_int_ge(n, 1);
  int v4 = 0, v6 = 0;
  for (ssize_t i = 0; i < n; i++) {
    ck_assert(is_loopback(&out[i]));
    v4 += out[i].u.sa.sa_family == AF_INET;
    v6 += out[i].u.sa.sa_family == AF_INET6;
  }
  ck_assert_int_eq(v4, 1);
  int fd = socket(AF_INET6, SOCK_DGRAM, 0);
  ck_assert_int_eq(v6, fd >= 0); /* ::1 whenever the host has IPv6 */
  if (fd >= 0)
    close(fd);
  /* no capacity: still the total */
  req_init(&req, &cnt);
  ck_assert_int_eq(B->resolve(B, B->default_node(B), &req, "localhost", NULL,
                              JNET_STREAM, 1),
                   1);
  ck_assert_int_eq(req.result, n);
  ck_assert_int_eq(cnt, 0);
}
END_TEST

START_TEST(resolve_service_name_through_the_pool) {
  jnet_addr out[4];
  int cnt = 0;
  jnet_req req;
  req_init(&req, &cnt);
  req.addrs = out;
  req.naddrs = 4;
  int r = B->resolve(B, B->default_node(B), &req, "127.0.0.1", "ssh",
                     JNET_STREAM, 0);
  ck_assert_int_eq(r, 0); /* a service name is not numeric: async */
  ck_assert(poll_until(&cnt, 1));
  ck_assert_int_eq(req.result, 1);
  ck_assert_int_eq(out[0].u.sa.sa_family, AF_INET);
  ck_assert_int_eq(ntohs(out[0].u.in4.sin_port), 22);
  ck_assert_int_eq(B->poll(B, JNET_NO_DEADLINE, 1), 0);
}
END_TEST

START_TEST(cancelled_resolve_never_calls_back) {
  jnet_addr out[4];
  int cnt = 0;
  jnet_req req;
  req_init(&req, &cnt);
  req.addrs = out;
  req.naddrs = 4;
  int r = B->resolve(B, B->default_node(B), &req, "127.0.0.1", "http",
                     JNET_STREAM, 0);
  ck_assert_int_eq(r, 0); /* a service name goes to the thread pool */
  B->cancel(B, &req);
  memset(&req, 0xAB, sizeof req); /* the backend must not look at it again */
  poll_for_ms(100);
  ck_assert_int_eq(B->poll(B, JNET_NO_DEADLINE, 1), 0);
  ck_assert_int_eq(cnt, 0);
}
END_TEST

/* ---- TCP --------------------------------------------------------------- */

START_TEST(tcp_connect_accept_write_read) {
  jnet_bsock *lsn, *c, *s;
  tcp_pair(&lsn, &c, &s);
  jnet_addr la, pa;
  ck_assert_int_eq(B->localname(B, c, &la), 0);
  ck_assert_int_eq(B->peername(B, s, &pa), 0);
  ck_assert_int_eq(la.len, sizeof la.u.in4);
  ck_assert_int_eq(memcmp(&la.u.in4, &pa.u.in4, sizeof la.u.in4), 0);

  ck_assert_int_eq(write_all(c, "hello", 5), 0);
  char buf[16] = {0};
  ck_assert_int_eq(read_some(s, buf, sizeof buf), 5);
  ck_assert_str_eq(buf, "hello");

  /* a read with nothing there parks, and the peer's write completes it */
  int cnt = 0;
  jnet_req rd;
  memset(buf, 0, sizeof buf);
  park_read(c, &rd, buf, sizeof buf, &cnt);
  ck_assert_int_eq(write_all(s, "world!", 6), 0);
  ck_assert(poll_until(&cnt, 1));
  ck_assert_int_eq(rd.result, 6);
  ck_assert_str_eq(buf, "world!");
  B->close(B, c);
  B->close(B, s);
  B->close(B, lsn);
  ck_assert_int_eq(B->poll(B, JNET_NO_DEADLINE, 1), 0);
}
END_TEST

/* Bytes nobody reads yet do not make poll spin: after a parked read
 * completed, more data arrives with no reader waiting; the readiness is
 * seen once (READABLE disarmed), then a poll sleeps until its deadline
 * (a loop that kept the fd armed would wake at once, poll after poll). */
START_TEST(unread_bytes_do_not_make_poll_return_early) {
  jnet_bsock *lsn, *c, *s;
  tcp_pair(&lsn, &c, &s);
  char buf[16] = {0};
  int cnt = 0;
  jnet_req rd;
  park_read(c, &rd, buf, sizeof buf, &cnt);
  ck_assert_int_eq(write_all(s, "one", 3), 0);
  ck_assert(poll_until(&cnt, 1));
  ck_assert_int_eq(rd.result, 3);
  ck_assert_int_eq(write_all(s, "two", 3), 0); /* no reader now */
  uint64_t deadline = B->now_ns(B) + 50000000; /* 50 ms */
  int polls = 0;
  while (polls < 100000 && B->now_ns(B) < deadline) {
    ck_assert_int_eq(B->poll(B, deadline, 1), 1);
    polls++;
  }
  ck_assert_uint_ge(B->now_ns(B), deadline);
  ck_assert_msg(polls <= 10, "%d polls to wait 50 ms", polls);
  /* the bytes are still there for the next read */
  ck_assert_int_eq(read_some(c, buf, sizeof buf), 3);
  ck_assert_int_eq(memcmp(buf, "two", 3), 0);
  B->close(B, c);
  B->close(B, s);
  B->close(B, lsn);
}
END_TEST

/* The same after a read that was cancelled (its timeout): the cancel
 * leaves READABLE armed, so the bytes that come next wake one poll with
 * no reader waiting, which disarms it; the polls after it sleep. */
START_TEST(unread_bytes_after_a_cancelled_read_do_not_make_poll_spin) {
  jnet_bsock *lsn, *c, *s;
  tcp_pair(&lsn, &c, &s);
  char buf[16] = {0};
  int cnt = 0;
  jnet_req rd;
  park_read(c, &rd, buf, sizeof buf, &cnt);
  B->cancel(B, &rd);
  ck_assert_int_eq(write_all(s, "two", 3), 0); /* no reader now */
  uint64_t deadline = B->now_ns(B) + 50000000; /* 50 ms */
  int polls = 0;
  while (polls < 100000 && B->now_ns(B) < deadline) {
    ck_assert_int_eq(B->poll(B, deadline, 1), 1);
    polls++;
  }
  ck_assert_uint_ge(B->now_ns(B), deadline);
  ck_assert_msg(polls <= 10, "%d polls to wait 50 ms", polls);
  ck_assert_int_eq(cnt, 0); /* a cancelled read never completes */
  ck_assert_int_eq(read_some(c, buf, sizeof buf), 3);
  ck_assert_int_eq(memcmp(buf, "two", 3), 0);
  B->close(B, c);
  B->close(B, s);
  B->close(B, lsn);
}
END_TEST

START_TEST(tcp_accept_parks_until_a_client_comes) {
  jnet_bsock *lsn = tcp_listener();
  int nacc = 0;
  jnet_req acc;
  req_init(&acc, &nacc);
  ck_assert_int_eq(B->accept(B, lsn, &acc), 0);
  poll_for_ms(20);
  ck_assert_int_eq(nacc, 0);
  jnet_bsock *c;
  ck_assert_int_eq(B->socket(B, B->default_node(B), AF_INET, JNET_STREAM, &c),
                   0);
  int ncon = 0;
  jnet_req con;
  req_init(&con, &ncon);
  con.addr = ip4("127.0.0.1", port_of(lsn));
  ck_assert_int_eq(finish(B->connect(B, c, &con), &con, &ncon), 0);
  ck_assert(poll_until(&nacc, 1));
  ck_assert_int_eq(acc.result, 0);
  ck_assert_ptr_nonnull(acc.sock);
  B->close(B, acc.sock);
}
END_TEST

START_TEST(tcp_large_write_completes_across_polls) {
  jnet_bsock *lsn, *c, *s;
  tcp_pair(&lsn, &c, &s);
  size_t total = 8u << 20;
  unsigned char *src = malloc(total), *dst = malloc(total);
  ck_assert_ptr_nonnull(src);
  ck_assert_ptr_nonnull(dst);
  for (size_t i = 0; i < total; i++)
    src[i] = (unsigned char)(i * 131 + (i >> 13));
  int nw = 0;
  jnet_req w;
  req_init(&w, &nw);
  w.buf = src;
  w.len = total;
  ck_assert_int_eq(B->write(B, c, &w), 0); /* too big to go at once */
  size_t got = 0;
  uint64_t deadline = B->now_ns(B) + WAIT_NS;
  while (got < total && B->now_ns(B) < deadline) {
    int nr = 0;
    jnet_req r;
    req_init(&r, &nr);
    r.buf = dst + got;
    r.len = total - got;
    ssize_t n = finish(B->read(B, s, &r), &r, &nr);
    ck_assert_int_gt(n, 0);
    got += (size_t)n;
  }
  ck_assert_uint_eq(got, total);
  ck_assert(poll_until(&nw, 1));
  ck_assert_int_eq(w.result, 0);
  ck_assert_int_eq(memcmp(src, dst, total), 0);
  free(src);
  free(dst);
}
END_TEST

START_TEST(tcp_shutdown_wr_gives_peer_eof_and_local_epipe) {
  jnet_bsock *lsn, *c, *s;
  tcp_pair(&lsn, &c, &s);
  ck_assert_int_eq(B->shutdown(B, c, JNET_SHUT_WR), 0);
  ck_assert_int_eq(B->shutdown(B, c, JNET_SHUT_WR), 0); /* repeated */
  char buf[8];
  ck_assert_int_eq(read_some(s, buf, sizeof buf), 0);
  ck_assert_int_eq(write_all(c, "x", 1), JNET_EPIPE);
  /* the peer can still send */
  ck_assert_int_eq(write_all(s, "back", 4), 0);
  ck_assert_int_eq(read_some(c, buf, sizeof buf), 4);
}
END_TEST

START_TEST(tcp_shutdown_rd_reads_eof_promptly) {
  jnet_bsock *lsn, *c, *s;
  tcp_pair(&lsn, &c, &s);
  ck_assert_int_eq(B->shutdown(B, s, JNET_SHUT_RD), 0);
  char buf[8];
  uint64_t t0 = B->now_ns(B);
  ck_assert_int_eq(read_some(s, buf, sizeof buf), 0);
  ck_assert_uint_lt(B->now_ns(B) - t0, 1000000000ull);
  ck_assert_int_eq(B->shutdown(B, s, JNET_SHUT_RDWR), 0);
  ck_assert_int_eq(B->shutdown(B, s, JNET_SHUT_RDWR), 0);
}
END_TEST

START_TEST(peer_close_gives_eof_then_reset_on_write) {
  jnet_bsock *lsn, *c, *s;
  tcp_pair(&lsn, &c, &s);
  char buf[8];
  int cnt = 0;
  jnet_req rd;
  park_read(s, &rd, buf, sizeof buf, &cnt);
  B->close(B, c);
  ck_assert(poll_until(&cnt, 1));
  ck_assert_int_eq(rd.result, 0);
  /* writing to a closed peer: the first write may be accepted, then the
   * RST turns into EPIPE or ECONNRESET, never a SIGPIPE */
  ssize_t r = 0;
  for (int i = 0; i < 50 && r == 0; i++) {
    r = write_all(s, "xxxxxxxx", 8);
    if (r == 0)
      poll_for_ms(5);
  }
  ck_assert_msg(r == JNET_EPIPE || r == JNET_ECONNRESET, "got %zd", r);
}
END_TEST

START_TEST(connect_refused_is_econnrefused) {
  jnet_bsock *tmp = tcp_listener();
  int port = port_of(tmp);
  B->close(B, tmp);
  jnet_bsock *c;
  ck_assert_int_eq(B->socket(B, B->default_node(B), AF_INET, JNET_STREAM, &c),
                   0);
  int cnt = 0;
  jnet_req con;
  req_init(&con, &cnt);
  con.addr = ip4("127.0.0.1", port);
  ck_assert_int_eq(finish(B->connect(B, c, &con), &con, &cnt),
                   JNET_ECONNREFUSED);
}
END_TEST

START_TEST(second_bind_is_eaddrinuse) {
  jnet_bsock *lsn = tcp_listener(), *s2;
  ck_assert_int_eq(B->socket(B, B->default_node(B), AF_INET, JNET_STREAM, &s2),
                   0);
  ck_assert_int_eq(B->setsockopt(B, s2, JNET_SO_REUSEADDR, jnet_opt_bool(1)),
                   0);
  jnet_addr a = ip4("127.0.0.1", port_of(lsn));
  ck_assert_int_eq(B->bind(B, s2, &a), JNET_EADDRINUSE);
  jnet_addr far = ip4("192.0.2.1", 0);
  ck_assert_int_eq(B->bind(B, s2, &far), JNET_EADDRNOTAVAIL);
}
END_TEST

START_TEST(nodelay_on_tcp_and_noop_elsewhere) {
  jnet_bsock *lsn, *c, *s, *u;
  tcp_pair(&lsn, &c, &s);
  ck_assert_int_eq(B->nodelay(B, c, 1), 0);
  ck_assert_int_eq(B->nodelay(B, c, 0), 0);
  ck_assert_int_eq(B->socket(B, B->default_node(B), AF_INET, JNET_DATAGRAM, &u),
                   0);
  ck_assert_int_eq(B->nodelay(B, u, 1), 0);
}
END_TEST

/* ---- unix -------------------------------------------------------------- */

START_TEST(unix_missing_path_is_enoent) {
  char path[108];
  tmp_path(path, sizeof path, "missing");
  jnet_bsock *c;
  ck_assert_int_eq(B->socket(B, B->default_node(B), AF_UNIX, JNET_STREAM, &c),
                   0);
  int cnt = 0;
  jnet_req con;
  req_init(&con, &cnt);
  con.addr = unix_path(path);
  ck_assert_int_eq(finish(B->connect(B, c, &con), &con, &cnt), JNET_ENOENT);
}
END_TEST

START_TEST(unix_listener_roundtrip_and_close_unlinks) {
  char path[108];
  tmp_path(path, sizeof path, "lsn");
  jnet_bsock *lsn, *c, *s;
  ck_assert_int_eq(B->socket(B, B->default_node(B), AF_UNIX, JNET_STREAM, &lsn),
                   0);
  jnet_addr a = unix_path(path);
  ck_assert_int_eq(B->bind(B, lsn, &a), 0);
  ck_assert_int_eq(B->listen(B, lsn, 1024), 0);
  ck_assert_int_eq(access(path, F_OK), 0);
  connect_pair(lsn, AF_UNIX, &a, &c, &s);
  ck_assert_int_eq(write_all(c, "unix", 4), 0);
  char buf[8] = {0};
  ck_assert_int_eq(read_some(s, buf, sizeof buf), 4);
  ck_assert_str_eq(buf, "unix");
  /* the client is unbound: its name is just the family */
  jnet_addr me;
  ck_assert_int_eq(B->localname(B, c, &me), 0);
  ck_assert_int_eq(me.u.sa.sa_family, AF_UNIX);
  ck_assert_int_eq(me.len, offsetof(struct sockaddr_un, sun_path));
  ck_assert_int_eq(B->nodelay(B, c, 1), 0);
  B->close(B, c);
  B->close(B, s);
  B->close(B, lsn);
  ck_assert_int_eq(access(path, F_OK), -1);
  ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(unix_abstract_name_has_exact_length) {
  char name[64];
  snprintf(name, sizeof name, "@jnet-uvbk-%ld", (long)getpid());
  jnet_bsock *lsn, *c, *s;
  ck_assert_int_eq(B->socket(B, B->default_node(B), AF_UNIX, JNET_STREAM, &lsn),
                   0);
  jnet_addr a = unix_path(name);
  ck_assert_int_eq(B->bind(B, lsn, &a), 0);
  ck_assert_int_eq(B->listen(B, lsn, 16), 0);
  jnet_addr got;
  ck_assert_int_eq(B->localname(B, lsn, &got), 0);
  ck_assert_int_eq(got.len, a.len);
  ck_assert_int_eq(memcmp(&got.u.un, &a.u.un, a.len), 0);
  connect_pair(lsn, AF_UNIX, &a, &c, &s);
  ck_assert_int_eq(B->peername(B, c, &got), 0);
  ck_assert_int_eq(got.len, a.len);
}
END_TEST

/* ---- UDP --------------------------------------------------------------- */

START_TEST(udp_send_to_recv_from_with_sender) {
  jnet_bsock *rx = udp_bound(), *tx = udp_bound();
  char buf[32] = {0};
  int nr = 0, nt = 0;
  jnet_req r, t;
  req_init(&r, &nr);
  r.buf = buf;
  r.len = sizeof buf;
  ck_assert_int_eq(B->recv_from(B, rx, &r), 0);
  req_init(&t, &nt);
  t.buf = "datagram";
  t.len = 8;
  t.addr = ip4("127.0.0.1", port_of(rx));
  ck_assert_int_eq(finish(B->send_to(B, tx, &t), &t, &nt), 0);
  ck_assert(poll_until(&nr, 1));
  ck_assert_int_eq(r.result, 8);
  ck_assert_str_eq(buf, "datagram");
  ck_assert_int_eq(r.addr.u.sa.sa_family, AF_INET);
  ck_assert_int_eq(r.addr.len, sizeof r.addr.u.in4);
  ck_assert_int_eq(ntohs(r.addr.u.in4.sin_port), port_of(tx));
}
END_TEST

START_TEST(udp_datagram_is_truncated_and_oversize_is_emsgsize) {
  jnet_bsock *rx = udp_bound(), *tx = udp_bound();
  int nt = 0;
  jnet_req t;
  req_init(&t, &nt);
  t.buf = "0123456789";
  t.len = 10;
  t.addr = ip4("127.0.0.1", port_of(rx));
  ck_assert_int_eq(finish(B->send_to(B, tx, &t), &t, &nt), 0);
  char buf[4];
  ck_assert_int_eq(read_some(rx, buf, sizeof buf), 4);
  ck_assert_int_eq(memcmp(buf, "0123", 4), 0);
  /* the rest of that datagram is gone: nothing more to read */
  int nr = 0;
  jnet_req r;
  req_init(&r, &nr);
  r.buf = buf;
  r.len = sizeof buf;
  ck_assert_int_eq(B->read(B, rx, &r), 0);
  B->cancel(B, &r);

  static char big[65508];
  req_init(&t, &nt);
  t.buf = big;
  t.len = sizeof big;
  t.addr = ip4("127.0.0.1", port_of(rx));
  ck_assert_int_eq(finish(B->send_to(B, tx, &t), &t, &nt), JNET_EMSGSIZE);
  req_init(&t, &nt);
  t.buf = big;
  t.len = sizeof big - 1; /* 65,507: the largest that goes */
  t.addr = ip4("127.0.0.1", port_of(rx));
  ck_assert_int_eq(finish(B->send_to(B, tx, &t), &t, &nt), 0);
  static char in[65536];
  ck_assert_int_eq(read_some(rx, in, sizeof in), 65507);
}
END_TEST

START_TEST(udp_connected_to_closed_port_reads_econnrefused) {
  jnet_bsock *gone = udp_bound();
  int port = port_of(gone);
  B->close(B, gone);
  jnet_bsock *u;
  ck_assert_int_eq(B->socket(B, B->default_node(B), AF_INET, JNET_DATAGRAM, &u),
                   0);
  int cnt = 0;
  jnet_req con;
  req_init(&con, &cnt);
  con.addr = ip4("127.0.0.1", port);
  ck_assert_int_eq(B->connect(B, u, &con), 1); /* datagram connect: at once */
  ck_assert_int_eq(con.result, 0);
  ck_assert_int_eq(write_all(u, "ping", 4), 0);
  char buf[8];
  ck_assert_int_eq(read_some(u, buf, sizeof buf), JNET_ECONNREFUSED);
}
END_TEST

START_TEST(udp_shutdown_unconnected_is_enotconn) {
  jnet_bsock *u = udp_bound();
  ck_assert_int_eq(B->shutdown(B, u, JNET_SHUT_RDWR), JNET_ENOTCONN);
}
END_TEST

START_TEST(unix_datagram_recv_from_unbound_sender) {
  char path[108];
  tmp_path(path, sizeof path, "dgram");
  jnet_bsock *rx, *tx;
  ck_assert_int_eq(
      B->socket(B, B->default_node(B), AF_UNIX, JNET_DATAGRAM, &rx), 0);
  jnet_addr a = unix_path(path);
  ck_assert_int_eq(B->bind(B, rx, &a), 0);
  ck_assert_int_eq(
      B->socket(B, B->default_node(B), AF_UNIX, JNET_DATAGRAM, &tx), 0);
  int nt = 0, nr = 0;
  jnet_req t, r;
  req_init(&t, &nt);
  t.buf = "hi";
  t.len = 2;
  t.addr = a;
  ck_assert_int_eq(finish(B->send_to(B, tx, &t), &t, &nt), 0);
  char buf[8] = {0};
  req_init(&r, &nr);
  r.buf = buf;
  r.len = sizeof buf;
  ck_assert_int_eq(finish(B->recv_from(B, rx, &r), &r, &nr), 2);
  ck_assert_str_eq(buf, "hi");
  ck_assert_int_eq(r.addr.u.sa.sa_family, AF_UNIX);
  ck_assert_int_le(r.addr.len, offsetof(struct sockaddr_un, sun_path));
  B->close(B, rx);
  ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

/* ---- options ----------------------------------------------------------- */

START_TEST(setsockopt_answers_as_linux) {
  jnet_bsock *u = udp_bound();
  ck_assert_int_eq(B->setsockopt(B, u, JNET_SO_BROADCAST, jnet_opt_bool(1)), 0);
  ck_assert_int_eq(B->setsockopt(B, u, JNET_SO_KEEPALIVE, jnet_opt_bool(0)), 0);
  ck_assert_int_eq(
      B->setsockopt(B, u, JNET_IP_MULTICAST_TTL, jnet_opt_int(255)), 0);
  ck_assert_int_eq(B->setsockopt(B, u, JNET_IP_MULTICAST_TTL, jnet_opt_int(-1)),
                   0);
  ck_assert_int_eq(
      B->setsockopt(B, u, JNET_IP_MULTICAST_TTL, jnet_opt_int(256)),
      JNET_EINVAL);
  ck_assert_int_eq(B->setsockopt(B, u, JNET_IP_MULTICAST_TTL, jnet_opt_int(-2)),
                   JNET_EINVAL);
  ck_assert_int_eq(
      B->setsockopt(B, u, JNET_IP_ADD_MEMBERSHIP, jnet_opt_str("not-an-ip")),
      JNET_EINVAL);
  ck_assert_int_eq(
      B->setsockopt(B, u, JNET_IPV6_JOIN_GROUP, jnet_opt_str("ff02::1:3")),
      JNET_ENOPROTOOPT);
  ck_assert_int_eq(
      B->setsockopt(B, u, JNET_IPV6_JOIN_GROUP, jnet_opt_str("239.1.2.3")),
      JNET_EINVAL);
  ck_assert_int_eq(B->setsockopt(B, u, 999, jnet_opt_bool(1)), JNET_EINVAL);
  int r =
      B->setsockopt(B, u, JNET_IP_ADD_MEMBERSHIP, jnet_opt_str("239.1.2.3"));
  ck_assert_msg(r == 0 || r == -ENODEV, "join: %d", r);
  if (r == 0) { /* a host with a multicast route */
    ck_assert_int_eq(
        B->setsockopt(B, u, JNET_IP_ADD_MEMBERSHIP, jnet_opt_str("239.1.2.3")),
        JNET_EADDRINUSE);
    ck_assert_int_eq(
        B->setsockopt(B, u, JNET_IP_DROP_MEMBERSHIP, jnet_opt_str("239.1.2.3")),
        0);
  }
  ck_assert_int_eq(
      B->setsockopt(B, u, JNET_IP_DROP_MEMBERSHIP, jnet_opt_str("239.1.2.3")),
      JNET_EADDRNOTAVAIL);
}
END_TEST

/* ---- IPv6 -------------------------------------------------------------- */

START_TEST(tcp_over_ipv6_loopback) {
  jnet_bsock *lsn, *c, *s;
  if (B->socket(B, B->default_node(B), AF_INET6, JNET_STREAM, &lsn) < 0)
    return; /* no IPv6 on this host */
  jnet_addr a;
  memset(&a, 0, sizeof a);
  a.u.in6.sin6_family = AF_INET6;
  a.u.in6.sin6_addr = in6addr_loopback;
  a.len = sizeof a.u.in6;
  ck_assert_int_eq(B->bind(B, lsn, &a), 0);
  ck_assert_int_eq(B->listen(B, lsn, 8), 0);
  ck_assert_int_eq(B->localname(B, lsn, &a), 0);
  ck_assert_int_ne(a.u.in6.sin6_port, 0);
  connect_pair(lsn, AF_INET6, &a, &c, &s);
  ck_assert_int_eq(write_all(s, "six", 3), 0);
  char buf[4] = {0};
  ck_assert_int_eq(read_some(c, buf, 3), 3);
  ck_assert_str_eq(buf, "six");
}
END_TEST

static Suite *uv_backend_suite(void) {
  Suite *s = suite_create("uv-backend");
  jc_defaults(30, setup, teardown);
  JC_TEST(s, start_twice_is_ebusy);
  JC_TEST(s, restart_after_stop_works);
  JC_TEST(s, poll_idle_returns_zero_at_once);
  JC_TEST(s, poll_waits_for_deadline_and_not_long_past_it);
  JC_TEST(s, clock_is_monotonic_and_random_varies);
  JC_TEST(s, resolve_localhost_gives_loopback_with_port);
  JC_TEST(s, resolve_numeric_is_synchronous);
  JC_TEST(s, resolve_bad_port_is_eai_service);
  JC_TEST(s, resolve_localhost_is_both_loopbacks_and_counts_past_cap);
  JC_TEST(s, resolve_service_name_through_the_pool);
  JC_TEST(s, cancelled_resolve_never_calls_back);
  JC_TEST(s, tcp_connect_accept_write_read);
  JC_TEST(s, unread_bytes_do_not_make_poll_return_early);
  JC_TEST(s, unread_bytes_after_a_cancelled_read_do_not_make_poll_spin);
  JC_TEST(s, tcp_accept_parks_until_a_client_comes);
  JC_TEST(s, tcp_large_write_completes_across_polls);
  JC_TEST(s, tcp_shutdown_wr_gives_peer_eof_and_local_epipe);
  JC_TEST(s, tcp_shutdown_rd_reads_eof_promptly);
  JC_TEST(s, peer_close_gives_eof_then_reset_on_write);
  JC_TEST(s, connect_refused_is_econnrefused);
  JC_TEST(s, second_bind_is_eaddrinuse);
  JC_TEST(s, nodelay_on_tcp_and_noop_elsewhere);
  JC_TEST(s, unix_missing_path_is_enoent);
  JC_TEST(s, unix_listener_roundtrip_and_close_unlinks);
  JC_TEST(s, unix_abstract_name_has_exact_length);
  JC_TEST(s, udp_send_to_recv_from_with_sender);
  JC_TEST(s, udp_datagram_is_truncated_and_oversize_is_emsgsize);
  JC_TEST(s, udp_connected_to_closed_port_reads_econnrefused);
  JC_TEST(s, udp_shutdown_unconnected_is_enotconn);
  JC_TEST(s, unix_datagram_recv_from_unbound_sender);
  JC_TEST(s, setsockopt_answers_as_linux);
  JC_TEST(s, tcp_over_ipv6_loopback);
  return s;
}

int main(void) {
  return jc_run(uv_backend_suite());
}
