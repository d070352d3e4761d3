/* t_unix_dgram.c — conformance: unix datagram sockets are not bound by
 * UDP's 65,507-byte limit. Linux takes a unix datagram up to the sender's
 * send buffer less 32 bytes (212,960 at the default wmem of 212,992,
 * net.core.wmem_default on Debian 12 and most kernels) and delivers it
 * whole; one byte more is EMSGSIZE. Both backends must agree. */
#include <stdlib.h>
#include <string.h>

#include "conf.h"

#define UDP_MAX 65507
#define UNIX_MAX 212960 /* 212,992 - 32 */

/* Send one datagram of n bytes (the pattern of t->big) from t->cli to
 * t->srv and read it back with room for more: slot base = write, base+1 =
 * bytes read, base+2 = 1 when the bytes are intact. */
static void one_way(conf *t, size_t n, int base) {
  jnet_buf *b = &t->buf[0];
  b->len = 0;
  CONF_REC(t, base, jnet_write(t->cli, t->big, n, CONF_T));
  CONF_REC(t, base + 1, jnet_recv_from(t->srv, t->big_len, b, CONF_T, NULL));
  CONF_REC(t, base + 2, b->len == n && memcmp(b->data, t->big, n) == 0);
}

static void f_unix_dgram_sizes(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, jnet_listen(JNET_UNIX, t->path, JNET_DATAGRAM, &t->srv));
  conf_keep(t, t->srv);
  CONF_REC(
      t, 1,
      jnet_connect(JNET_UNIX, t->path, JNET_DATAGRAM, NULL, NULL, &t->cli));
  conf_keep(t, t->cli);
  one_way(t, UDP_MAX + 1, 2);
  one_way(t, 100000, 5);
  one_way(t, UNIX_MAX, 8);
  CONF_REC(t, 11, jnet_write(t->cli, t->big, UNIX_MAX + 1, CONF_T));
  /* nothing of the refused datagram arrives: the next one is read next */
  one_way(t, 3, 12);
  t->done = 1;
}

START_TEST(unix_datagram_takes_the_send_buffer_not_the_udp_limit) {
  conf *t = conf_open();
  conf_unix_path(t, t->path, sizeof t->path);
  t->big_len = UNIX_MAX + 1024;
  t->big = malloc(t->big_len);
  ck_assert_ptr_nonnull(t->big);
  conf_fill(t->big, t->big_len, 7);
  conf_run(t, f_unix_dgram_sizes);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, UDP_MAX + 1);
  CONF_EQ(t, 4, 1);
  CONF_EQ(t, 5, 0);
  CONF_EQ(t, 6, 100000);
  CONF_EQ(t, 7, 1);
  CONF_EQ(t, 8, 0);
  CONF_EQ(t, 9, UNIX_MAX);
  CONF_EQ(t, 10, 1);
  CONF_EQ(t, 11, JNET_EMSGSIZE);
  CONF_EQ(t, 12, 0);
  CONF_EQ(t, 13, 3);
  CONF_EQ(t, 14, 1);
  conf_close(t);
}
END_TEST

/* UDP keeps its limit on both backends: 65,507 goes, 65,508 does not. */
static void f_udp_limit(void *arg) {
  conf *t = arg;
  jnet_stream a, b;
  jnet_addr an;
  CONF_REC(t, 0, conf_udp(t, "127.0.0.1", &a));
  CONF_REC(t, 1, conf_udp(t, "127.0.0.1", &b));
  CONF_REC(t, 2, jnet_localname(a, &an));
  CONF_REC(t, 3, jnet_send_to(b, &an, t->big, UDP_MAX + 1, CONF_T));
  CONF_REC(t, 4, jnet_send_to(b, &an, t->big, UDP_MAX, CONF_T));
  CONF_REC(t, 5, jnet_recv_from(a, t->big_len, &t->buf[0], CONF_T, NULL));
  t->done = 1;
}

START_TEST(udp_datagram_keeps_the_65507_byte_limit) {
  conf *t = conf_open();
  t->big_len = UDP_MAX + 16;
  t->big = calloc(1, t->big_len);
  ck_assert_ptr_nonnull(t->big);
  conf_run(t, f_udp_limit);
  for (int i = 0; i <= 2; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 3, JNET_EMSGSIZE);
  CONF_EQ(t, 4, 0);
  CONF_EQ(t, 5, UDP_MAX);
  conf_close(t);
}
END_TEST

void conf_add_unix_dgram(Suite *s) {
  CONF_CASE(s, unix_datagram_takes_the_send_buffer_not_the_udp_limit);
  CONF_CASE(s, udp_datagram_keeps_the_65507_byte_limit);
}
