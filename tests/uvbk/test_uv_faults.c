/* test_uv_faults.c — the libuv backend when things go wrong: cancel of
 * parked requests, stop with sockets left open, resets and ICMP errors on
 * parked reads, descriptor exhaustion, and a sweep that fails each
 * allocation in turn (SQLite's do_faultsim_test).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#include "uvbk.h"
#include "jnet_check.h"

/* ---- cancel ------------------------------------------------------------ */

START_TEST(cancel_pending_read_then_close) {
  jnet_bsock *lsn, *c, *s;
  tcp_pair(&lsn, &c, &s);
  char buf[8];
  int cnt = 0;
  jnet_req rd;
  park_read(s, &rd, buf, sizeof buf, &cnt);
  B->cancel(B, &rd);
  memset(&rd, 0xCD, sizeof rd);
  ck_assert_int_eq(write_all(c, "data", 4), 0);
  poll_for_ms(50);
  ck_assert_int_eq(cnt, 0);
  /* nothing is owed any more: the loop is idle */
  ck_assert_int_eq(B->poll(B, JNET_NO_DEADLINE, 1), 0);
  /* the data is still there for the next read */
  char again[8] = {0};
  ck_assert_int_eq(read_some(s, again, sizeof again), 4);
  ck_assert_int_eq(memcmp(again, "data", 4), 0);
  B->close(B, s);
  B->close(B, c);
  B->close(B, lsn);
}
END_TEST

START_TEST(cancel_write_and_accept_then_close) {
  jnet_bsock *lsn, *c, *s;
  tcp_pair(&lsn, &c, &s);
  size_t total = 16u << 20;
  char *src = calloc(1, total);
  ck_assert_ptr_nonnull(src);
  int nw = 0, na = 0;
  jnet_req w, a;
  req_init(&w, &nw);
  req_init(&a, &na);
  w.buf = src;
  w.len = total;
  ck_assert_int_eq(B->write(B, c, &w), 0);
  ck_assert_int_eq(B->accept(B, lsn, &a), 0);
  B->cancel(B, &w);
  B->cancel(B, &a);
  free(src); /* the backend must not touch the buffer after cancel */
  char buf[65536];
  ck_assert_int_gt(read_some(s, buf, sizeof buf), 0);
  poll_for_ms(30);
  ck_assert_int_eq(nw + na, 0);
  B->close(B, c);
  B->close(B, s);
  B->close(B, lsn);
  ck_assert_int_eq(B->poll(B, JNET_NO_DEADLINE, 1), 0);
}
END_TEST

/* ---- stop -------------------------------------------------------------- */

START_TEST(stop_closes_what_is_left_open) {
  jnet_bsock *lsn, *c, *s;
  tcp_pair(&lsn, &c, &s);
  char path[108];
  tmp_path(path, sizeof path, "left");
  jnet_bsock *u;
  ck_assert_int_eq(B->socket(B, B->default_node(B), AF_UNIX, JNET_STREAM, &u),
                   0);
  jnet_addr a = unix_path(path);
  ck_assert_int_eq(B->bind(B, u, &a), 0);
  ck_assert_int_eq(B->listen(B, u, 4), 0);
  char buf[4];
  int cnt = 0;
  jnet_req rd; /* a parked read makes the socket's poll handle live */
  park_read(s, &rd, buf, sizeof buf, &cnt);
  B->cancel(B, &rd);
  B->stop(B);
  ck_assert_int_eq(access(path, F_OK), -1);
  ck_assert_int_eq(cnt, 0);
  ck_assert_int_eq(B->start(B, &HOOKS, NULL), 0); /* teardown stops again */
}
END_TEST

/* ---- errors while parked ----------------------------------------------- */

START_TEST(parked_read_gets_econnreset_when_peer_resets) {
  jnet_bsock *lsn, *c, *s;
  tcp_pair(&lsn, &c, &s);
  char buf[8];
  int cnt = 0;
  jnet_req rd;
  park_read(c, &rd, buf, sizeof buf, &cnt);
  ck_assert_int_eq(write_all(c, "unread", 6), 0);
  poll_for_ms(10);
  B->close(B, s); /* closing with unread data sends a RST */
  ck_assert(poll_until(&cnt, 1));
  ck_assert_int_eq(rd.result, JNET_ECONNRESET);
}
END_TEST

START_TEST(parked_udp_read_gets_econnrefused_from_icmp) {
  jnet_bsock *gone = udp_bound();
  int port = port_of(gone);
  B->close(B, gone);
  jnet_bsock *u;
  ck_assert_int_eq(B->socket(B, B->default_node(B), AF_INET, JNET_DATAGRAM, &u),
                   0);
  int cnt = 0, nr = 0;
  jnet_req con, rd;
  req_init(&con, &cnt);
  con.addr = ip4("127.0.0.1", port);
  ck_assert_int_eq(B->connect(B, u, &con), 1);
  char buf[8];
  req_init(&rd, &nr);
  rd.buf = buf;
  rd.len = sizeof buf;
  ck_assert_int_eq(B->read(B, u, &rd), 0);
  ck_assert_int_eq(write_all(u, "ping", 4), 0);
  ck_assert(poll_until(&nr, 1));
  ck_assert_int_eq(rd.result, JNET_ECONNREFUSED);
}
END_TEST

START_TEST(emfile_comes_back_as_a_code) {
  jnet_bsock *lsn = tcp_listener(), *c;
  ck_assert_int_eq(B->socket(B, B->default_node(B), AF_INET, JNET_STREAM, &c),
                   0);
  int ncon = 0;
  jnet_req con;
  req_init(&con, &ncon);
  con.addr = ip4("127.0.0.1", port_of(lsn));
  ck_assert_int_eq(finish(B->connect(B, c, &con), &con, &ncon), 0);
  if (RUNNING_ON_VALGRIND)
    return; /* valgrind fakes the descriptor limit */
  /* use up every descriptor under a low limit */
  struct rlimit old, low;
  ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
  low = old;
  low.rlim_cur = 256;
  ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
  int fds[256], nfds = 0;
  while (nfds < 256 && (fds[nfds] = dup(0)) >= 0)
    nfds++;
  ck_assert_int_lt(nfds, 256);
  jnet_bsock *x = NULL;
  ck_assert_int_eq(B->socket(B, B->default_node(B), AF_INET, JNET_STREAM, &x),
                   JNET_EMFILE);
  ck_assert_ptr_null(x);
  int nacc = 0;
  jnet_req acc;
  req_init(&acc, &nacc);
  ck_assert_int_eq(finish(B->accept(B, lsn, &acc), &acc, &nacc), JNET_EMFILE);
  /* a descriptor back: the same connection is accepted */
  close(fds[--nfds]);
  req_init(&acc, &nacc);
  ck_assert_int_eq(finish(B->accept(B, lsn, &acc), &acc, &nacc), 0);
  ck_assert_ptr_nonnull(acc.sock);
  while (nfds > 0)
    close(fds[--nfds]);
  ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
}
END_TEST

/* ---- allocation failures ----------------------------------------------- */

/* An allocator that fails call number `fail_at` (SQLite's test_malloc.c). */
static long alloc_calls, alloc_fail_at;
static void *fail_malloc(size_t n) {
  return ++alloc_calls == alloc_fail_at ? NULL : malloc(n);
}
static void *fail_realloc(void *p, size_t n) {
  return ++alloc_calls == alloc_fail_at ? NULL : realloc(p, n);
}

/* Run `ret`, and go to out on an error, keeping the first. */
#define STEP(expr)                                                             \
  do {                                                                         \
    err = (int)(expr);                                                         \
    if (err < 0)                                                               \
      goto out;                                                                \
  } while (0)

/* Wait for a pending op on backend b; its result. */
static ssize_t settle(const jnet_backend *b, int started, jnet_req *req,
                      int *cnt) {
  if (started != 0)
    return started < 0 ? started : req->result;
  uint64_t deadline = b->now_ns(b) + WAIT_NS;
  while (*cnt == 0 && b->now_ns(b) < deadline)
    if (b->poll(b, deadline, 1) <= 0)
      break;
  ck_assert_int_eq(*cnt, 1);
  return req->result;
}

/* Everything that allocates: a backend, sockets, a unix path, an accepted
 * connection, a lookup in the pool. 0, or the first error. */
static int alloc_scenario(const char *path) {
  const jnet_backend *b = jnet_backend_uv();
  if (b == NULL)
    return JNET_ENOMEM;
  jnet_bsock *lsn = NULL, *c = NULL, *u = NULL;
  int err = b->start(b, &HOOKS, NULL);
  if (err < 0) {
    jnet_backend_free(b);
    return err;
  }
  jnet_node *node = b->default_node(b);
  jnet_addr a = ip4("127.0.0.1", 0), got;
  int cnt = 0;
  jnet_req req;
  STEP(b->socket(b, node, AF_INET, JNET_STREAM, &lsn));
  STEP(b->bind(b, lsn, &a));
  STEP(b->listen(b, lsn, 8));
  STEP(b->localname(b, lsn, &got));
  STEP(b->socket(b, node, AF_INET, JNET_STREAM, &c));
  req_init(&req, &cnt);
  req.addr = got;
  STEP(settle(b, b->connect(b, c, &req), &req, &cnt));
  cnt = 0;
  req_init(&req, &cnt);
  STEP(settle(b, b->accept(b, lsn, &req), &req, &cnt));
  ck_assert_ptr_nonnull(req.sock);
  b->close(b, req.sock);
  STEP(b->socket(b, node, AF_UNIX, JNET_STREAM, &u));
  jnet_addr ua = unix_path(path);
  STEP(b->bind(b, u, &ua));
  jnet_addr out[2];
  cnt = 0;
  req_init(&req, &cnt);
  req.addrs = out;
  req.naddrs = 2;
  STEP(settle(b, b->resolve(b, node, &req, "127.0.0.1", "ssh", JNET_STREAM, 0),
              &req, &cnt));
  err = 0;
out:
  b->stop(b); /* closes lsn, c and u */
  jnet_backend_free(b);
  return err;
}

START_TEST(allocation_failures_give_enomem_and_leave_nothing) {
  char path[108];
  tmp_path(path, sizeof path, "nomem");
  long n;
  for (n = 1; n < 200; n++) {
    alloc_calls = 0;
    alloc_fail_at = n;
    ck_assert_int_eq(jnet_replace_allocator(fail_malloc, fail_realloc, free),
                     0);
    int err = alloc_scenario(path);
    ck_assert_int_eq(jnet_replace_allocator(malloc, realloc, free), 0);
    /* the unix path never outlives its socket, failure or not */
    ck_assert_int_eq(access(path, F_OK), -1);
    if (alloc_calls < n) { /* nothing was failed: the run must succeed */
      ck_assert_int_eq(err, 0);
      break;
    }
    ck_assert_msg(err == JNET_ENOMEM || err == 0, "fail at %ld: %s", n,
                  jnet_err_name(err));
  }
  ck_assert_int_lt(n, 200);
  ck_assert_int_gt(n, 3); /* the scenario allocates several times */
}
END_TEST

static Suite *uv_faults_suite(void) {
  Suite *s = suite_create("uv-faults");
  jc_defaults(30, setup, teardown);
  JC_TEST(s, cancel_pending_read_then_close);
  JC_TEST(s, cancel_write_and_accept_then_close);
  JC_TEST(s, stop_closes_what_is_left_open);
  JC_TEST(s, parked_read_gets_econnreset_when_peer_resets);
  JC_TEST(s, parked_udp_read_gets_econnrefused_from_icmp);
  JC_TEST(s, emfile_comes_back_as_a_code);
  jc_defaults(60, NULL, NULL); /* makes its own backends */
  JC_TEST(s, allocation_failures_give_enomem_and_leave_nothing);
  return s;
}

int main(void) {
  return jc_run(uv_faults_suite());
}
