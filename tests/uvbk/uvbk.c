/* uvbk.c — helpers shared by the uv backend's suites: a fixture that starts
 * a fresh backend, bounded waits on its clock, and loopback/unix sockets.
 */
#include "uvbk.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const jnet_backend *B;
const jnet_backend_hooks HOOKS = {NULL, NULL};

void setup(void) {
  B = jnet_backend_uv();
  ck_assert_ptr_nonnull(B);
  ck_assert_int_eq(B->start(B, &HOOKS, NULL), 0);
}

/* The test must leave the backend idle: no request that still owes a
 * completion (a non-blocking poll finds nothing to do), as libuv's tests
 * assert uv_loop_close() == 0. */
void teardown(void) {
  int r = B->poll(B, JNET_NO_DEADLINE, 0);
  ck_assert_msg(r == 0, "backend not idle at teardown: poll %d", r);
  B->stop(B);
  jnet_backend_free(B);
  B = NULL;
}

void on_done(jnet_req *req) { (*(int *)req->data)++; }

void req_init(jnet_req *req, int *counter) {
  memset(req, 0, sizeof *req);
  req->cb = on_done;
  req->data = counter;
}

/* Poll until *counter reaches `want` or 5 s pass. 1 if it did. */
int poll_until(int *counter, int want) {
  uint64_t deadline = B->now_ns(B) + WAIT_NS;
  for (int i = 0; i < 1000000 && *counter < want; i++) {
    if (B->now_ns(B) >= deadline)
      break;
    int r = B->poll(B, deadline, 1);
    ck_assert_int_ge(r, 0);
    if (r == 0)
      break;
  }
  return *counter >= want;
}

/* Poll for `ms` milliseconds whatever happens (to see that nothing does). */
void poll_for_ms(int ms) {
  uint64_t deadline = B->now_ns(B) + (uint64_t)ms * 1000000u;
  for (int i = 0; i < 100000 && B->now_ns(B) < deadline; i++)
    ck_assert_int_ge(B->poll(B, deadline, 1), 0);
}

/* Finish an op that returned `started`: its result. */
ssize_t finish(int started, jnet_req *req, int *counter) {
  ck_assert_int_ge(started, 0);
  if (started == 1) {
    ck_assert_int_eq(*counter, 0); /* completed at once: no callback */
    return req->result;
  }
  ck_assert_msg(poll_until(counter, 1), "operation never completed");
  ck_assert_int_eq(*counter, 1);
  return req->result;
}

jnet_addr ip4(const char *host, int port) {
  jnet_addr a;
  memset(&a, 0, sizeof a);
  a.u.in4.sin_family = AF_INET;
  a.u.in4.sin_port = htons((uint16_t)port);
  ck_assert_int_eq(inet_pton(AF_INET, host, &a.u.in4.sin_addr), 1);
  a.len = sizeof a.u.in4;
  return a;
}

jnet_addr unix_path(const char *path) {
  jnet_addr a;
  memset(&a, 0, sizeof a);
  a.u.un.sun_family = AF_UNIX;
  size_t n = strlen(path);
  size_t base = offsetof(struct sockaddr_un, sun_path);
  if (path[0] == '@') { /* abstract: exact length, no NUL */
    memcpy(a.u.un.sun_path + 1, path + 1, n - 1);
    a.len = (socklen_t)(base + n);
  } else {
    memcpy(a.u.un.sun_path, path, n);
    a.len = (socklen_t)(base + n + 1);
  }
  return a;
}

int port_of(jnet_bsock *s) {
  jnet_addr a;
  ck_assert_int_eq(B->localname(B, s, &a), 0);
  return ntohs(a.u.in4.sin_port);
}

/* A listener on 127.0.0.1, ephemeral port. */
jnet_bsock *tcp_listener(void) {
  jnet_bsock *s;
  ck_assert_int_eq(B->socket(B, B->default_node(B), AF_INET, JNET_STREAM, &s),
                   0);
  ck_assert_int_eq(B->setsockopt(B, s, JNET_SO_REUSEADDR, jnet_opt_bool(1)), 0);
  jnet_addr a = ip4("127.0.0.1", 0);
  ck_assert_int_eq(B->bind(B, s, &a), 0);
  ck_assert_int_eq(B->listen(B, s, 1024), 0);
  return s;
}

/* A connected pair over `lsn` (listener of `family`, address `dst`). */
void connect_pair(jnet_bsock *lsn, int family, const jnet_addr *dst,
                  jnet_bsock **client, jnet_bsock **server) {
  int nacc = 0, ncon = 0;
  jnet_req acc, con;
  req_init(&acc, &nacc);
  req_init(&con, &ncon);
  int sa = B->accept(B, lsn, &acc);
  ck_assert_int_ge(sa, 0);
  ck_assert_int_eq(
      B->socket(B, B->default_node(B), family, JNET_STREAM, client), 0);
  con.addr = *dst;
  ck_assert_int_eq(finish(B->connect(B, *client, &con), &con, &ncon), 0);
  ck_assert_int_eq(finish(sa, &acc, &nacc), 0);
  ck_assert_ptr_nonnull(acc.sock);
  *server = acc.sock;
}

void tcp_pair(jnet_bsock **lsn, jnet_bsock **client, jnet_bsock **server) {
  *lsn = tcp_listener();
  jnet_addr dst = ip4("127.0.0.1", port_of(*lsn));
  connect_pair(*lsn, AF_INET, &dst, client, server);
}

ssize_t write_all(jnet_bsock *s, const void *p, size_t n) {
  int cnt = 0;
  jnet_req w;
  req_init(&w, &cnt);
  w.buf = (void *)p;
  w.len = n;
  return finish(B->write(B, s, &w), &w, &cnt);
}

ssize_t read_some(jnet_bsock *s, void *p, size_t n) {
  int cnt = 0;
  jnet_req r;
  req_init(&r, &cnt);
  r.buf = p;
  r.len = n;
  return finish(B->read(B, s, &r), &r, &cnt);
}

int is_loopback(const jnet_addr *a) {
  if (a->u.sa.sa_family == AF_INET)
    return a->len == sizeof a->u.in4 &&
           ntohl(a->u.in4.sin_addr.s_addr) == INADDR_LOOPBACK;
  if (a->u.sa.sa_family == AF_INET6)
    return a->len == sizeof a->u.in6 &&
           IN6_IS_ADDR_LOOPBACK(&a->u.in6.sin6_addr);
  return 0;
}

void tmp_path(char *out, size_t n, const char *tag) {
  snprintf(out, n, "/tmp/jnet-uvbk-%ld-%s.sock", (long)getpid(), tag);
  unlink(out);
}

jnet_bsock *udp_bound(void) {
  jnet_bsock *u;
  ck_assert_int_eq(B->socket(B, B->default_node(B), AF_INET, JNET_DATAGRAM, &u),
                   0);
  jnet_addr a = ip4("127.0.0.1", 0);
  ck_assert_int_eq(B->bind(B, u, &a), 0);
  return u;
}

void park_read(jnet_bsock *s, jnet_req *rd, void *buf, size_t n, int *counter) {
  req_init(rd, counter);
  rd->buf = buf;
  rd->len = n;
  ck_assert_int_eq(B->read(B, s, rd), 0);
}
