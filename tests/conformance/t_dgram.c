/* t_dgram.c — conformance: datagram sockets. Connected datagram write/read,
 * send_to/recv_from with the sender's address, one datagram per read,
 * truncation, size limits, ICMP unreachable, filtering by a connected
 * socket, and the operations a datagram socket does not support. */
#include <stdlib.h>
#include <string.h>

#include "conf.h"

#define MAX_DGRAM 65507

/* A bound socket (listener) and a socket connected to it: the listener
 * receives with recv_from and answers the sender with send_to. */
static void dgram_connect_on(conf *t, const char *host) {
  jnet_stream srv, cli;
  jnet_addr from, cl, peer;
  char port[16];
  CONF_REC(t, 0, conf_udp(t, host, &srv));
  CONF_REC(t, 1, conf_port(srv, port));
  CONF_REC(t, 2, jnet_connect(host, port, JNET_DATAGRAM, NULL, NULL, &cli));
  conf_keep(t, cli);
  CONF_REC(t, 3, jnet_write(cli, "ping", 4, CONF_T));
  CONF_REC(t, 4, jnet_recv_from(srv, 100, &t->buf[0], CONF_T, &from));
  CONF_REC(t, 5, jnet_localname(cli, &cl));
  CONF_REC(t, 6, conf_addr_same(&from, &cl));
  CONF_REC(t, 7, jnet_send_to(srv, &from, "pong", 4, CONF_T));
  CONF_REC(t, 8, jnet_read(cli, 100, &t->buf[1], CONF_T));
  CONF_REC(t, 9, jnet_peername(cli, &peer));
  CONF_REC(t, 10, jnet_localname(srv, &cl));
  CONF_REC(t, 11, conf_addr_same(&peer, &cl));
  t->done = 1;
}

static void f_dconn_v4(void *arg) { dgram_connect_on(arg, "127.0.0.1"); }
static void f_dconn_v6(void *arg) { dgram_connect_on(arg, "::1"); }

static void check_dconn(conf *t) {
  for (int i = 0; i <= 3; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 4, 4);
  ck_assert(conf_buf_is(&t->buf[0], "ping"));
  CONF_EQ(t, 5, 0);
  CONF_EQ(t, 6, 1);
  CONF_EQ(t, 7, 0);
  CONF_EQ(t, 8, 4);
  ck_assert(conf_buf_is(&t->buf[1], "pong"));
  CONF_EQ(t, 9, 0);
  CONF_EQ(t, 10, 0);
  CONF_EQ(t, 11, 1);
}

START_TEST(datagram_connect_then_write_and_read_v4) {
  conf *t = conf_open();
  conf_run(t, f_dconn_v4);
  check_dconn(t);
  conf_close(t);
}
END_TEST

START_TEST(datagram_connect_then_write_and_read_v6) {
  conf *t = conf_open();
  conf_run(t, f_dconn_v6);
  check_dconn(t);
  conf_close(t);
}
END_TEST

static void send_to_on(conf *t, const char *host) {
  jnet_stream a, b;
  jnet_addr an, bn, from;
  CONF_REC(t, 0, conf_udp(t, host, &a));
  CONF_REC(t, 1, conf_udp(t, host, &b));
  CONF_REC(t, 2, jnet_localname(a, &an));
  CONF_REC(t, 3, jnet_localname(b, &bn));
  CONF_REC(t, 4, jnet_send_to(b, &an, "from b", 6, CONF_T));
  CONF_REC(t, 5, jnet_recv_from(a, 100, &t->buf[0], CONF_T, &from));
  CONF_REC(t, 6, conf_addr_same(&from, &bn));
  CONF_REC(t, 7, jnet_send_to(a, &from, "to b", 4, CONF_T));
  CONF_REC(t, 8, jnet_recv_from(b, 100, &t->buf[1], CONF_T, &from));
  CONF_REC(t, 9, conf_addr_same(&from, &an));
  t->done = 1;
}

static void f_sendto_v4(void *arg) { send_to_on(arg, "127.0.0.1"); }
static void f_sendto_v6(void *arg) { send_to_on(arg, "::1"); }

static void check_sendto(conf *t) {
  for (int i = 0; i <= 4; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 5, 6);
  ck_assert(conf_buf_is(&t->buf[0], "from b"));
  CONF_EQ(t, 6, 1);
  CONF_EQ(t, 7, 0);
  CONF_EQ(t, 8, 4);
  ck_assert(conf_buf_is(&t->buf[1], "to b"));
  CONF_EQ(t, 9, 1);
}

START_TEST(send_to_and_recv_from_give_the_sender_v4) {
  conf *t = conf_open();
  conf_run(t, f_sendto_v4);
  check_sendto(t);
  conf_close(t);
}
END_TEST

START_TEST(send_to_and_recv_from_give_the_sender_v6) {
  conf *t = conf_open();
  conf_run(t, f_sendto_v6);
  check_sendto(t);
  conf_close(t);
}
END_TEST

static void f_one_per_read(void *arg) {
  conf *t = arg;
  jnet_stream a, b;
  jnet_addr an;
  CONF_REC(t, 0, conf_udp(t, "127.0.0.1", &a));
  CONF_REC(t, 1, conf_udp(t, "127.0.0.1", &b));
  CONF_REC(t, 2, jnet_localname(a, &an));
  CONF_REC(t, 3, jnet_send_to(b, &an, "one", 3, CONF_T));
  CONF_REC(t, 4, jnet_send_to(b, &an, "two", 3, CONF_T));
  CONF_REC(t, 5, jnet_send_to(b, &an, "three!", 6, CONF_T));
  jnet_sleep(0.05); /* all three are queued */
  CONF_REC(t, 6, jnet_read(a, 100, &t->buf[0], CONF_T));
  CONF_REC(t, 7, jnet_read(a, 100, &t->buf[1], CONF_T));
  CONF_REC(t, 8, jnet_read(a, 2, &t->buf[2], CONF_T)); /* truncated */
  CONF_REC(t, 9, jnet_send_to(b, &an, "four", 4, CONF_T));
  CONF_REC(t, 10, jnet_recv_from(a, 100, &t->buf[3], CONF_T, NULL));
  t->done = 1;
}

START_TEST(read_on_datagram_listener_returns_one_datagram_truncated_to_n) {
  conf *t = conf_open();
  conf_run(t, f_one_per_read);
  for (int i = 0; i <= 5; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 6, 3);
  ck_assert(conf_buf_is(&t->buf[0], "one"));
  CONF_EQ(t, 7, 3);
  ck_assert(conf_buf_is(&t->buf[1], "two"));
  CONF_EQ(t, 8, 2);
  ck_assert(conf_buf_is(&t->buf[2], "th"));
  CONF_EQ(t, 9, 0);
  CONF_EQ(t, 10, 4); /* the rest of "three!" was discarded */
  ck_assert(conf_buf_is(&t->buf[3], "four"));
  conf_close(t);
}
END_TEST

static void f_dgram_enotsup(void *arg) {
  conf *t = arg;
  jnet_stream srv, cli, acc;
  jnet_addr an;
  char port[16];
  CONF_REC(t, 0, conf_udp(t, "127.0.0.1", &srv));
  CONF_REC(t, 1, conf_port(srv, port));
  CONF_REC(t, 2,
           jnet_connect("127.0.0.1", port, JNET_DATAGRAM, NULL, NULL, &cli));
  conf_keep(t, cli);
  CONF_REC(t, 3, jnet_chunk(srv, 10, &t->buf[0], CONF_T));
  CONF_REC(t, 4, jnet_read_all(srv, &t->buf[0], CONF_T));
  CONF_REC(t, 5, jnet_chunk(cli, 10, &t->buf[0], CONF_T));
  CONF_REC(t, 6, jnet_read_all(cli, &t->buf[0], CONF_T));
  CONF_REC(t, 7, jnet_write(srv, "x", 1, CONF_T));
  CONF_REC(t, 8, jnet_flush(srv));
  CONF_REC(t, 9, jnet_accept(srv, CONF_T, &acc));
  CONF_REC(t, 10, jnet_flush(cli)); /* a no-op on a connected datagram */
  CONF_REC(t, 11, jnet_localname(srv, &an));
  t->done = 1;
}

START_TEST(chunk_read_all_write_flush_accept_on_datagram_enotsup) {
  conf *t = conf_open();
  conf_run(t, f_dgram_enotsup);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  for (int i = 3; i <= 9; i++)
    CONF_EQ(t, i, JNET_ENOTSUP);
  CONF_EQ(t, 10, 0);
  CONF_EQ(t, 11, 0);
  ck_assert_uint_eq(t->buf[0].len, 0);
  conf_close(t);
}
END_TEST

static void f_tcp_enotsup(void *arg) {
  conf *t = arg;
  jnet_addr a;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_localname(t->acc, &a));
  CONF_REC(t, 2, jnet_send_to(t->cli, &a, "x", 1, CONF_T));
  CONF_REC(t, 3, jnet_recv_from(t->cli, 10, &t->buf[0], CONF_T, NULL));
  CONF_REC(t, 4, jnet_send_to(t->srv, &a, "x", 1, CONF_T));
  CONF_REC(t, 5, jnet_recv_from(t->srv, 10, &t->buf[0], CONF_T, NULL));
  CONF_REC(t, 6, jnet_read(t->srv, 10, &t->buf[0], CONF_T));
  CONF_REC(t, 7, jnet_chunk(t->srv, 10, &t->buf[0], CONF_T));
  CONF_REC(t, 8, jnet_read_all(t->srv, &t->buf[0], CONF_T));
  CONF_REC(t, 9, jnet_write(t->srv, "x", 1, CONF_T));
  CONF_REC(t, 10, jnet_accept(t->cli, CONF_T, &t->s[15]));
  t->done = 1;
}

START_TEST(send_to_on_tcp_and_read_on_listener_enotsup) {
  conf *t = conf_open();
  conf_run(t, f_tcp_enotsup);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  for (int i = 2; i <= 10; i++)
    CONF_EQ(t, i, JNET_ENOTSUP);
  conf_close(t);
}
END_TEST

static void f_emsgsize(void *arg) {
  conf *t = arg;
  jnet_stream a, b, c;
  jnet_addr an;
  char port[16];
  CONF_REC(t, 0, conf_udp(t, "127.0.0.1", &a));
  CONF_REC(t, 1, conf_udp(t, "127.0.0.1", &b));
  CONF_REC(t, 2, jnet_localname(a, &an));
  CONF_REC(t, 3, conf_port(a, port));
  CONF_REC(t, 4,
           jnet_connect("127.0.0.1", port, JNET_DATAGRAM, NULL, NULL, &c));
  conf_keep(t, c);
  CONF_REC(t, 5, jnet_send_to(b, &an, t->big, MAX_DGRAM + 1, CONF_T));
  CONF_REC(t, 6, jnet_write(c, t->big, MAX_DGRAM + 1, CONF_T));
  CONF_REC(t, 7, jnet_send_to(b, &an, "fine", 4, CONF_T)); /* usable */
  CONF_REC(t, 8, jnet_recv_from(a, 100, &t->buf[0], CONF_T, NULL));
  t->done = 1;
}

START_TEST(datagram_over_65507_bytes_gives_emsgsize) {
  conf *t = conf_open();
  t->big_len = MAX_DGRAM + 1;
  t->big = calloc(1, t->big_len);
  ck_assert_ptr_nonnull(t->big);
  conf_run(t, f_emsgsize);
  for (int i = 0; i <= 4; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 5, JNET_EMSGSIZE);
  CONF_EQ(t, 6, JNET_EMSGSIZE);
  CONF_EQ(t, 7, 0);
  CONF_EQ(t, 8, 4); /* nothing of the oversized ones arrived */
  ck_assert(conf_buf_is(&t->buf[0], "fine"));
  conf_close(t);
}
END_TEST

static void f_max_dgram(void *arg) {
  conf *t = arg;
  jnet_stream a, b;
  jnet_addr an;
  CONF_REC(t, 0, conf_udp(t, "127.0.0.1", &a));
  CONF_REC(t, 1, conf_udp(t, "127.0.0.1", &b));
  CONF_REC(t, 2, jnet_localname(a, &an));
  CONF_REC(t, 3, jnet_send_to(b, &an, t->big, MAX_DGRAM, CONF_T));
  CONF_REC(t, 4, jnet_recv_from(a, 100000, &t->buf[0], CONF_T, NULL));
  t->done = 1;
}

START_TEST(datagram_of_65507_bytes_arrives_whole) {
  conf *t = conf_open();
  t->big_len = MAX_DGRAM;
  t->big = malloc(t->big_len);
  ck_assert_ptr_nonnull(t->big);
  conf_fill(t->big, t->big_len, 7);
  conf_run(t, f_max_dgram);
  for (int i = 0; i <= 3; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 4, MAX_DGRAM);
  ck_assert_uint_eq(t->buf[0].len, MAX_DGRAM);
  ck_assert(memcmp(t->buf[0].data, t->big, MAX_DGRAM) == 0);
  conf_close(t);
}
END_TEST

static void f_icmp(void *arg) {
  conf *t = arg;
  jnet_stream a, c;
  char port[16];
  CONF_REC(t, 0, jnet_listen("127.0.0.1", NULL, JNET_DATAGRAM, &a));
  CONF_REC(t, 1, conf_port(a, port));
  CONF_REC(t, 2, jnet_close(a)); /* nobody listens on port now */
  CONF_REC(t, 3,
           jnet_connect("127.0.0.1", port, JNET_DATAGRAM, NULL, NULL, &c));
  conf_keep(t, c);
  CONF_REC(t, 4, jnet_write(c, "anyone?", 7, CONF_T));
  CONF_REC(t, 5, jnet_read(c, 100, &t->buf[0], 2.0));
  t->done = 1;
}

START_TEST(icmp_port_unreachable_makes_next_read_econnrefused) {
  conf *t = conf_open();
  conf_run(t, f_icmp);
  for (int i = 0; i <= 4; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 5, JNET_ECONNREFUSED);
  conf_close(t);
}
END_TEST

static void f_zero_dgram(void *arg) {
  conf *t = arg;
  jnet_stream a, b;
  jnet_addr an;
  CONF_REC(t, 0, conf_udp(t, "127.0.0.1", &a));
  CONF_REC(t, 1, conf_udp(t, "127.0.0.1", &b));
  CONF_REC(t, 2, jnet_localname(a, &an));
  CONF_REC(t, 3, jnet_send_to(b, &an, "", 0, CONF_T));
  CONF_REC(t, 4, jnet_send_to(b, &an, NULL, 0, CONF_T));
  CONF_REC(t, 5, jnet_send_to(b, &an, "x", 1, CONF_T));
  CONF_REC(t, 6, jnet_recv_from(a, 100, &t->buf[0], CONF_T, NULL));
  CONF_REC(t, 7, jnet_recv_from(a, 100, &t->buf[0], CONF_SHORT, NULL));
  t->done = 1;
}

START_TEST(send_to_of_zero_bytes_sends_nothing) {
  conf *t = conf_open();
  conf_run(t, f_zero_dgram);
  for (int i = 0; i <= 5; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 6, 1); /* the first datagram is "x", not an empty one */
  ck_assert(conf_buf_is(&t->buf[0], "x"));
  CONF_EQ(t, 7, JNET_ETIMEDOUT);
  conf_close(t);
}
END_TEST

static void f_filter(void *arg) {
  conf *t = arg;
  jnet_stream srv, other, cli;
  jnet_addr cn, from;
  char port[16];
  CONF_REC(t, 0, conf_udp(t, "127.0.0.1", &srv));
  CONF_REC(t, 1, conf_udp(t, "127.0.0.1", &other));
  CONF_REC(t, 2, conf_port(srv, port));
  CONF_REC(t, 3,
           jnet_connect("127.0.0.1", port, JNET_DATAGRAM, NULL, NULL, &cli));
  conf_keep(t, cli);
  CONF_REC(t, 4, jnet_localname(cli, &cn));
  CONF_REC(t, 5, jnet_send_to(other, &cn, "intruder", 8, CONF_T));
  jnet_sleep(0.05);
  CONF_REC(t, 6, jnet_send_to(srv, &cn, "peer", 4, CONF_T));
  CONF_REC(t, 7, jnet_read(cli, 100, &t->buf[0], CONF_T));
  /* send_to/recv_from work on a connected datagram socket too */
  CONF_REC(t, 8, jnet_send_to(srv, &cn, "again", 5, CONF_T));
  CONF_REC(t, 9, jnet_recv_from(cli, 100, &t->buf[1], CONF_T, &from));
  CONF_REC(t, 10, jnet_localname(srv, &cn));
  CONF_REC(t, 11, conf_addr_same(&from, &cn));
  t->done = 1;
}

START_TEST(connected_datagram_socket_drops_other_senders) {
  conf *t = conf_open();
  conf_run(t, f_filter);
  for (int i = 0; i <= 6; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 7, 4);
  ck_assert(conf_buf_is(&t->buf[0], "peer"));
  CONF_EQ(t, 8, 0);
  CONF_EQ(t, 9, 5);
  ck_assert(conf_buf_is(&t->buf[1], "again"));
  CONF_EQ(t, 10, 0);
  CONF_EQ(t, 11, 1);
  conf_close(t);
}
END_TEST

static void f_family(void *arg) {
  conf *t = arg;
  jnet_stream a, b;
  jnet_addr v6;
  CONF_REC(t, 0, conf_udp(t, "127.0.0.1", &a));
  CONF_REC(t, 1, conf_udp(t, "::1", &b));
  CONF_REC(t, 2, jnet_localname(b, &v6));
  CONF_REC(t, 3, jnet_send_to(a, &v6, "x", 1, CONF_T));
  t->done = 1;
}

START_TEST(send_to_other_family_gives_eafnosupport) {
  conf *t = conf_open();
  conf_run(t, f_family);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, JNET_EAFNOSUPPORT);
  conf_close(t);
}
END_TEST

static void f_dgram_names(void *arg) {
  conf *t = arg;
  jnet_stream a;
  jnet_addr x;
  CONF_REC(t, 0, conf_udp(t, "127.0.0.1", &a));
  CONF_REC(t, 1, jnet_peername(a, &x));
  CONF_REC(t, 2, jnet_localname(a, &x));
  CONF_REC(t, 3, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 4, jnet_peername(t->srv, &x));
  t->done = 1;
}

START_TEST(peername_of_unconnected_socket_or_listener_enotconn) {
  conf *t = conf_open();
  conf_run(t, f_dgram_names);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, JNET_ENOTCONN);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, 0);
  CONF_EQ(t, 4, JNET_ENOTCONN);
  conf_close(t);
}
END_TEST

/* --- br-sim: a pending ICMP error and send_to --- */

/* Linux keeps a connected socket's ICMP error for its next send, whatever
 * the destination (sock_alloc_send_pskb's sock_error): a send_to with an
 * address gets it too, once. */
static void f_icmp_send_to(void *arg) {
  conf *t = arg;
  jnet_stream a, b, c;
  char port[16];
  jnet_addr bn;
  CONF_REC(t, 0, jnet_listen("127.0.0.1", NULL, JNET_DATAGRAM, &a));
  CONF_REC(t, 1, conf_port(a, port));
  CONF_REC(t, 2, jnet_close(a)); /* nobody listens on port now */
  CONF_REC(t, 3, conf_udp(t, "127.0.0.1", &b));
  CONF_REC(t, 4, jnet_localname(b, &bn));
  CONF_REC(t, 5,
           jnet_connect("127.0.0.1", port, JNET_DATAGRAM, NULL, NULL, &c));
  conf_keep(t, c);
  CONF_REC(t, 6, jnet_write(c, "anyone?", 7, CONF_T));
  CONF_REC(t, 7, jnet_sleep(0.05)); /* the ICMP error comes back */
  CONF_REC(t, 8, jnet_send_to(c, &bn, "x", 1, CONF_T));
  CONF_REC(t, 9, jnet_send_to(c, &bn, "y", 1, CONF_T));
  t->done = 1;
}

START_TEST(pending_icmp_error_fails_the_next_send_to_whatever_its_address) {
  conf *t = conf_open();
  conf_run(t, f_icmp_send_to);
  for (int i = 0; i <= 7; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 8, JNET_ECONNREFUSED);
  CONF_EQ(t, 9, 0);
  conf_close(t);
}
END_TEST

/* A pending ICMP error is read before a datagram queued after it, then
 * the datagram (Linux's __skb_recv_udp checks sock_error first). */
static void f_icmp_then_dgram(void *arg) {
  conf *t = arg;
  jnet_stream a, b, c;
  char port[16];
  jnet_addr cn;
  CONF_REC(t, 0, jnet_listen("127.0.0.1", NULL, JNET_DATAGRAM, &a));
  CONF_REC(t, 1, conf_port(a, port));
  CONF_REC(t, 2, jnet_close(a));
  CONF_REC(t, 3,
           jnet_connect("127.0.0.1", port, JNET_DATAGRAM, NULL, NULL, &c));
  conf_keep(t, c);
  CONF_REC(t, 4, jnet_write(c, "anyone?", 7, CONF_T));
  CONF_REC(t, 5, jnet_sleep(0.05)); /* the ICMP error comes back */
  CONF_REC(t, 6, jnet_listen("127.0.0.1", port, JNET_DATAGRAM, &b));
  conf_keep(t, b);
  CONF_REC(t, 7, jnet_localname(c, &cn));
  CONF_REC(t, 8, jnet_send_to(b, &cn, "late", 4, CONF_T));
  CONF_REC(t, 9, jnet_sleep(0.05));
  CONF_REC(t, 10, jnet_read(c, 100, &t->buf[0], CONF_T));
  CONF_REC(t, 11, jnet_read(c, 100, &t->buf[0], CONF_T));
  t->done = 1;
}

START_TEST(pending_icmp_error_is_read_before_a_later_datagram) {
  conf *t = conf_open();
  conf_run(t, f_icmp_then_dgram);
  for (int i = 0; i <= 9; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 10, JNET_ECONNREFUSED);
  CONF_EQ(t, 11, 4);
  ck_assert(t->buf[0].len == 4 && memcmp(t->buf[0].data, "late", 4) == 0);
  conf_close(t);
}
END_TEST

void conf_add_dgram(Suite *s) {
  CONF_CASE(s, datagram_connect_then_write_and_read_v4);
  CONF_CASE(s, datagram_connect_then_write_and_read_v6);
  CONF_CASE(s, send_to_and_recv_from_give_the_sender_v4);
  CONF_CASE(s, send_to_and_recv_from_give_the_sender_v6);
  CONF_CASE(s, read_on_datagram_listener_returns_one_datagram_truncated_to_n);
  CONF_CASE(s, chunk_read_all_write_flush_accept_on_datagram_enotsup);
  CONF_CASE(s, send_to_on_tcp_and_read_on_listener_enotsup);
  CONF_CASE(s, datagram_over_65507_bytes_gives_emsgsize);
  CONF_CASE(s, datagram_of_65507_bytes_arrives_whole);
  CONF_CASE(s, icmp_port_unreachable_makes_next_read_econnrefused);
  CONF_CASE(s, send_to_of_zero_bytes_sends_nothing);
  CONF_CASE(s, connected_datagram_socket_drops_other_senders);
  CONF_CASE(s, send_to_other_family_gives_eafnosupport);
  CONF_CASE(s, peername_of_unconnected_socket_or_listener_enotconn);
  CONF_CASE(s, pending_icmp_error_fails_the_next_send_to_whatever_its_address);
  CONF_CASE(s, pending_icmp_error_is_read_before_a_later_datagram);
}
