/* test_props_uv.c — properties on real sockets: what "timeout <= 0"
 * forbids (each call with nothing ready returns JNET_ETIMEDOUT before any
 * other fiber runs; the sim suite also checks that no virtual time
 * passes), and the 65,507-byte datagram limit, which is IP's and not a unix
 * socket's. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jnet/jnet.h>
#include "jnet_check.h"

typedef struct zero_run {
  char log[32];
  int n;
  long r[16];
  int setup[4];
  jnet_stream srv, cli, acc, udp;
} zero_run;

static zero_run z;

static void zlog(char c) {
  if (z.n < (int)sizeof z.log - 1)
    z.log[z.n++] = c;
}

static void other_fiber(void *arg) {
  (void)arg;
  zlog('o');
}

static void zero_main(void *arg) {
  (void)arg;
  char port[16];
  jnet_addr a;
  int p = 0;
  char host[64];
  jnet_buf b;
  jnet_buf_init(&b);
  z.setup[0] = jnet_listen("127.0.0.1", "0", JNET_STREAM, &z.srv);
  if (z.setup[0] == 0 && jnet_localname(z.srv, &a) == 0 &&
      jnet_address_unpack(&a, host, sizeof host, &p) == 0)
    snprintf(port, sizeof port, "%d", p);
  z.setup[1] = jnet_connect("127.0.0.1", port, JNET_STREAM, NULL, NULL, &z.cli);
  z.setup[2] = jnet_accept(z.srv, 5.0, &z.acc);
  z.setup[3] = jnet_listen("127.0.0.1", "0", JNET_DATAGRAM, &z.udp);
  jnet_go(NULL, other_fiber, NULL);
  double tos[2] = {0.0, -1.0};
  int k = 0;
  for (int i = 0; i < 2; i++) {
    jnet_stream extra;
    z.r[k++] = jnet_read(z.acc, 10, &b, tos[i]);
    zlog('r');
    z.r[k++] = jnet_chunk(z.acc, 10, &b, tos[i]);
    zlog('c');
    z.r[k++] = jnet_accept(z.srv, tos[i], &extra);
    zlog('a');
    z.r[k++] = jnet_recv_from(z.udp, 10, &b, tos[i], NULL);
    zlog('u');
  }
  jnet_buf_free(&b);
  jnet_close(z.acc);
  jnet_close(z.cli);
  jnet_close(z.srv);
  jnet_close(z.udp);
}

START_TEST(timeout_zero_returns_before_any_other_fiber_runs) {
  memset(&z, 0, sizeof z);
  const jnet_backend *be = jnet_backend_uv();
  ck_assert_ptr_nonnull(be);
  jnet_loop *l;
  ck_assert_int_eq(jnet_loop_new(&l, be), 0);
  ck_assert_int_eq(jnet_go(l, zero_main, NULL), 0);
  ck_assert_int_eq(jnet_run(l), 0);
  ck_assert_int_eq(jnet_run_once(l), 0); /* ran to idle */
  ck_assert_int_eq(jnet_loop_close(l), 0); /* nothing left alive */
  jnet_backend_free(be);
  for (int i = 0; i < 4; i++)
    ck_assert_msg(z.setup[i] == 0, "setup step %d: %d", i, z.setup[i]);
  for (int k = 0; k < 8; k++)
    ck_assert_msg(z.r[k] == JNET_ETIMEDOUT, "call %d returned %ld (%s)", k,
                  z.r[k], jnet_err_name((int)z.r[k]));
  ck_assert_str_eq(z.log, "rcaurcauo");
}
END_TEST

/* A unix datagram bigger than any UDP one goes through whole, as Linux
 * lets it (the limit is the socket buffer, not IP's 65,507 bytes). */
#define BIG_DGRAM 70000

typedef struct big_run {
  char path[64];
  long sent, got;
  int same;
} big_run;

static void big_dgram_main(void *arg) {
  big_run *r = arg;
  jnet_stream rx, tx;
  r->sent = r->got = -1;
  if (jnet_listen(JNET_UNIX, r->path, JNET_DATAGRAM, &rx) < 0)
    return;
  char *p = malloc(BIG_DGRAM);
  jnet_buf b;
  jnet_buf_init(&b);
  for (int i = 0; p != NULL && i < BIG_DGRAM; i++)
    p[i] = (char)(i * 7 + 1);
  /* the sender: an unbound unix datagram socket made by connect */
  if (p != NULL &&
      jnet_connect(JNET_UNIX, r->path, JNET_DATAGRAM, NULL, NULL, &tx) == 0) {
    r->sent = jnet_write(tx, p, BIG_DGRAM, 5.0);
    r->got = jnet_recv_from(rx, BIG_DGRAM + 10, &b, 5.0, NULL);
    r->same = r->got == BIG_DGRAM && memcmp(b.data, p, BIG_DGRAM) == 0;
    jnet_close(tx);
  }
  jnet_buf_free(&b);
  free(p);
  jnet_close(rx);
}

START_TEST(unix_datagram_over_the_udp_limit_arrives_whole) {
  static big_run r;
  memset(&r, 0, sizeof r);
  snprintf(r.path, sizeof r.path, "/tmp/jnet-props-%d.sock", (int)getpid());
  unlink(r.path);
  const jnet_backend *be = jnet_backend_uv();
  ck_assert_ptr_nonnull(be);
  jnet_loop *l;
  ck_assert_int_eq(jnet_loop_new(&l, be), 0);
  ck_assert_int_eq(jnet_go(l, big_dgram_main, &r), 0);
  ck_assert_int_eq(jnet_run(l), 0);
  ck_assert_int_eq(jnet_run_once(l), 0);
  ck_assert_int_eq(jnet_loop_close(l), 0); /* nothing left alive */
  jnet_backend_free(be);
  unlink(r.path);
  ck_assert_msg(r.sent == 0, "write of %d bytes: %ld (%s)", BIG_DGRAM, r.sent,
                jnet_err_name((int)r.sent));
  ck_assert_int_eq(r.got, BIG_DGRAM);
  ck_assert(r.same);
}
END_TEST

int main(void) {
  Suite *s = suite_create("properties-uv");
  jc_defaults(30, NULL, NULL);
  JC_TEST(s, timeout_zero_returns_before_any_other_fiber_runs);
  JC_TEST(s, unix_datagram_over_the_udp_limit_arrives_whole);
  return jc_run(s);
}
