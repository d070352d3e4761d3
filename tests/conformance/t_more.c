/* t_more.c — conformance: stream edge cases. Writing to a peer that is
 * gone, a connection closed before it was accepted, 1 MiB over a unix
 * stream, many sequential connections (handles and ports are reused),
 * timeout 0 on writes, and the IPv6 datagram size limit. */
#include <stdlib.h>
#include <string.h>

#include "conf.h"

#define UNIX_BYTES (1u << 20)
#define N_SEQUENTIAL 200
#define MAX_DGRAM 65507

static void f_write_gone(void *arg) {
  conf *t = arg;
  int rc = 0;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_write(t->cli, "unread", 6, CONF_T));
  jnet_sleep(0.05);
  CONF_REC(t, 2, jnet_close(t->acc)); /* unread data: the peer is reset */
  jnet_sleep(0.05);
  /* Bounded: a few writes until the kernel reports the peer gone. */
  for (int i = 0; i < 8 && rc == 0; i++)
    rc = jnet_write(t->cli, t->big, t->big_len, CONF_T);
  CONF_REC(t, 3, rc == JNET_EPIPE || rc == JNET_ECONNRESET);
  CONF_REC(t, 4, rc);
  t->done = 1;
}

START_TEST(write_to_a_peer_that_is_gone_gives_epipe_or_econnreset) {
  conf *t = conf_open();
  t->big_len = 1u << 20;
  t->big = calloc(1, t->big_len);
  ck_assert_ptr_nonnull(t->big);
  conf_run(t, f_write_gone);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  ck_assert_msg(t->r[3] == 1, "[%s] write after the peer reset gave %ld (%s)",
                conf_backend_name, t->r[4],
                t->r[4] < 0 ? jnet_err_name((int)t->r[4]) : "ok");
  conf_close(t);
}
END_TEST

static void f_closed_before_accept(void *arg) {
  conf *t = arg;
  char port[16];
  jnet_stream srv, cli, acc;
  CONF_REC(t, 0, jnet_listen("127.0.0.1", NULL, JNET_STREAM, &srv));
  conf_keep(t, srv);
  CONF_REC(t, 1, conf_port(srv, port));
  CONF_REC(t, 2,
           jnet_connect("127.0.0.1", port, JNET_STREAM, NULL, NULL, &cli));
  CONF_REC(t, 3, jnet_write(cli, "bye", 3, CONF_T));
  CONF_REC(t, 4, jnet_close(cli));
  jnet_sleep(0.05);
  CONF_REC(t, 5, jnet_accept(srv, CONF_T, &acc));
  conf_keep(t, acc);
  CONF_REC(t, 6, jnet_read_all(acc, &t->buf[0], CONF_T));
  t->done = 1;
}

START_TEST(connection_closed_before_accept_still_delivers_its_data) {
  conf *t = conf_open();
  conf_run(t, f_closed_before_accept);
  for (int i = 0; i <= 5; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 6, 3);
  ck_assert(conf_buf_is(&t->buf[0], "bye"));
  conf_close(t);
}
END_TEST

static void f_unix_writer(void *arg) {
  conf *t = arg;
  CONF_REC(t, 10, jnet_write(t->cli, t->big, t->big_len, 30.0));
  CONF_REC(t, 11, jnet_shutdown(t->cli, JNET_SHUT_WR));
}

static void f_unix_big(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, JNET_UNIX, t->path));
  CONF_REC(t, 1, jnet_go(NULL, f_unix_writer, t));
  CONF_REC(t, 2, jnet_read_all(t->acc, &t->buf[0], 30.0));
  t->done = 1;
}

START_TEST(unix_stream_carries_1mib_intact) {
  conf *t = conf_open();
  conf_unix_path(t, t->path, sizeof t->path);
  t->big_len = UNIX_BYTES;
  t->big = malloc(t->big_len);
  ck_assert_ptr_nonnull(t->big);
  conf_fill(t->big, t->big_len, 3);
  conf_run(t, f_unix_big);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 10, 0);
  CONF_EQ(t, 11, 0);
  CONF_EQ(t, 2, UNIX_BYTES);
  ck_assert_uint_eq(t->buf[0].len, UNIX_BYTES);
  ck_assert(memcmp(t->buf[0].data, t->big, UNIX_BYTES) == 0);
  conf_close(t);
}
END_TEST

static void f_sequential(void *arg) {
  conf *t = arg;
  char port[16];
  jnet_stream srv, cli, acc;
  jnet_buf b;
  int ok = 0;
  jnet_buf_init(&b);
  CONF_REC(t, 0, jnet_listen("127.0.0.1", NULL, JNET_STREAM, &srv));
  conf_keep(t, srv);
  CONF_REC(t, 1, conf_port(srv, port));
  for (int i = 0; i < N_SEQUENTIAL; i++) {
    if (jnet_connect("127.0.0.1", port, JNET_STREAM, NULL, NULL, &cli) < 0)
      break;
    if (jnet_accept(srv, CONF_T, &acc) == 0) {
      jnet_buf_reset(&b);
      if (jnet_write(cli, "s", 1, CONF_T) == 0 &&
          jnet_chunk(acc, 1, &b, CONF_T) == 1 && jnet_close(acc) == 0 &&
          jnet_read(cli, 1, &b, CONF_T) == 0)
        ok++;
      jnet_close(acc);
    }
    jnet_close(cli);
  }
  jnet_buf_free(&b);
  CONF_REC(t, 2, ok);
  t->done = 1;
}

START_TEST(two_hundred_sequential_connections_all_work) {
  conf *t = conf_open();
  conf_run(t, f_sequential);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, N_SEQUENTIAL);
  conf_close(t);
}
END_TEST

static void f_zero_write(void *arg) {
  conf *t = arg;
  jnet_stream a, b;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_write(t->cli, "abc", 3, 0));
  CONF_REC(t, 2, jnet_chunk(t->acc, 3, &t->buf[0], CONF_T));
  CONF_REC(t, 3, conf_udp(t, "127.0.0.1", &a));
  CONF_REC(t, 4, conf_udp(t, "127.0.0.1", &b));
  CONF_REC(t, 5, jnet_localname(a, &t->addr[0]));
  CONF_REC(t, 6, jnet_send_to(b, &t->addr[0], "dg", 2, 0));
  CONF_REC(t, 7, jnet_recv_from(a, 10, &t->buf[1], CONF_T, NULL));
  t->done = 1;
}

START_TEST(timeout_zero_write_with_room_succeeds) {
  conf *t = conf_open();
  conf_run(t, f_zero_write);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 3);
  ck_assert(conf_buf_is(&t->buf[0], "abc"));
  for (int i = 3; i <= 6; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 7, 2);
  conf_close(t);
}
END_TEST

static void f_emsgsize6(void *arg) {
  conf *t = arg;
  jnet_stream a, b;
  CONF_REC(t, 0, conf_udp(t, "::1", &a));
  CONF_REC(t, 1, conf_udp(t, "::1", &b));
  CONF_REC(t, 2, jnet_localname(a, &t->addr[0]));
  CONF_REC(t, 3, jnet_send_to(b, &t->addr[0], t->big, MAX_DGRAM + 1, CONF_T));
  CONF_REC(t, 4, jnet_send_to(b, &t->addr[0], t->big, MAX_DGRAM, CONF_T));
  CONF_REC(t, 5, jnet_recv_from(a, 100000, &t->buf[0], CONF_T, NULL));
  t->done = 1;
}

START_TEST(datagram_limit_is_65507_bytes_on_ipv6_too) {
  conf *t = conf_open();
  t->big_len = MAX_DGRAM + 1;
  t->big = malloc(t->big_len);
  ck_assert_ptr_nonnull(t->big);
  conf_fill(t->big, t->big_len, 6);
  conf_run(t, f_emsgsize6);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, JNET_EMSGSIZE);
  CONF_EQ(t, 4, 0);
  CONF_EQ(t, 5, MAX_DGRAM);
  ck_assert(memcmp(t->buf[0].data, t->big, MAX_DGRAM) == 0);
  conf_close(t);
}
END_TEST

/* Parity with Linux: an accepted unix stream's local name is the
 * listener's path (the kernel copies the listener's address). */
static void f_unix_accepted_name(void *arg) {
  conf *t = arg;
  jnet_addr a;
  CONF_REC(t, 0, conf_pair(t, JNET_UNIX, t->path));
  CONF_REC(t, 1, jnet_localname(t->acc, &a));
  CONF_REC(t, 2, conf_addr_is(&a, t->path, -1));
  CONF_REC(t, 3, jnet_localname(t->srv, &a));
  CONF_REC(t, 4, conf_addr_is(&a, t->path, -1));
  t->done = 1;
}

START_TEST(accepted_unix_stream_is_named_after_its_listener) {
  conf *t = conf_open();
  conf_unix_path(t, t->path, sizeof t->path);
  conf_run(t, f_unix_accepted_name);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 1);
  CONF_EQ(t, 3, 0);
  CONF_EQ(t, 4, 1);
  conf_close(t);
}
END_TEST

/* An IPv6 client reaches an IPv4 listener through ::ffff:a.b.c.d (Linux's
 * dual stack); its peer name stays in the mapped form. */
static void f_mapped_connect(void *arg) {
  conf *t = arg;
  jnet_addr a;
  CONF_REC(t, 0, jnet_listen("127.0.0.1", "0", JNET_STREAM, &t->srv));
  conf_keep(t, t->srv);
  CONF_REC(t, 1, conf_port(t->srv, t->port));
  CONF_REC(t, 2, jnet_connect("::ffff:127.0.0.1", t->port, JNET_STREAM, NULL,
                              NULL, &t->cli));
  conf_keep(t, t->cli);
  CONF_REC(t, 3, jnet_accept(t->srv, CONF_T, &t->acc));
  conf_keep(t, t->acc);
  CONF_REC(t, 4, jnet_write(t->cli, "mapped", 6, CONF_T));
  CONF_REC(t, 5, jnet_chunk(t->acc, 6, &t->buf[0], CONF_T));
  CONF_REC(t, 6, conf_buf_is(&t->buf[0], "mapped"));
  CONF_REC(t, 7, jnet_peername(t->cli, &a));
  CONF_REC(t, 8, conf_addr_is(&a, "::ffff:127.0.0.1", atoi(t->port)));
  CONF_REC(t, 9, jnet_peername(t->acc, &a));
  CONF_REC(t, 10, a.u.sa.sa_family == AF_INET);
  t->done = 1;
}

START_TEST(ipv6_client_connects_to_an_ipv4_mapped_address) {
  conf *t = conf_open();
  conf_run(t, f_mapped_connect);
  for (int i = 0; i <= 4; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 5, 6);
  CONF_EQ(t, 6, 1);
  CONF_EQ(t, 7, 0);
  CONF_EQ(t, 8, 1);
  CONF_EQ(t, 9, 0);
  CONF_EQ(t, 10, 1);
  conf_close(t);
}
END_TEST

void conf_add_more(Suite *s) {
  CONF_CASE(s, write_to_a_peer_that_is_gone_gives_epipe_or_econnreset);
  CONF_CASE(s, connection_closed_before_accept_still_delivers_its_data);
  CONF_CASE(s, unix_stream_carries_1mib_intact);
  CONF_CASE(s, two_hundred_sequential_connections_all_work);
  CONF_CASE(s, timeout_zero_write_with_room_succeeds);
  CONF_CASE(s, datagram_limit_is_65507_bytes_on_ipv6_too);
  CONF_CASE(s, accepted_unix_stream_is_named_after_its_listener);
  CONF_CASE(s, ipv6_client_connects_to_an_ipv4_mapped_address);
}
