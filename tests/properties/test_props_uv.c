/* test_props_uv.c — what "timeout <= 0" forbids on real sockets: each call
 * with nothing ready returns JNET_ETIMEDOUT before any other fiber runs
 * (the sim suite also checks that no virtual time passes). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "jnet.h"
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
  jnet_loop_free(l);
  jnet_backend_free(be);
  for (int i = 0; i < 4; i++)
    ck_assert_msg(z.setup[i] == 0, "setup step %d: %d", i, z.setup[i]);
  for (int k = 0; k < 8; k++)
    ck_assert_msg(z.r[k] == JNET_ETIMEDOUT, "call %d returned %ld (%s)", k,
                  z.r[k], jnet_err_name((int)z.r[k]));
  ck_assert_str_eq(z.log, "rcaurcauo");
}
END_TEST

int main(void) {
  Suite *s = suite_create("properties-uv");
  jc_defaults(30, NULL, NULL);
  JC_TEST(s, timeout_zero_returns_before_any_other_fiber_runs);
  return jc_run(s);
}
