/* t_timeout.c — conformance: timeouts. read/chunk/read_all/accept/recv_from/
 * write give JNET_ETIMEDOUT and leave the stream usable; a timeout of 0 (or
 * less) completes what can complete at once. */
#include <stdlib.h>
#include <string.h>

#include "conf.h"

#define WRITE_TIMEOUT_BYTES (64u << 20)

static void f_read_timeout(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  double t0 = jnet_now();
  CONF_REC(t, 1, jnet_read(t->cli, 10, &t->buf[0], CONF_SHORT));
  CONF_REC(t, 2, jnet_now() - t0 >= CONF_SHORT - 0.002);
  CONF_REC(t, 3, jnet_write(t->acc, "late", 4, CONF_T));
  CONF_REC(t, 4, jnet_read(t->cli, 10, &t->buf[0], CONF_T));
  t->done = 1;
}

START_TEST(read_timeout_leaves_stream_usable) {
  conf *t = conf_open();
  conf_run(t, f_read_timeout);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, JNET_ETIMEDOUT);
  CONF_EQ(t, 2, 1);
  CONF_EQ(t, 3, 0);
  CONF_EQ(t, 4, 4);
  ck_assert(conf_buf_is(&t->buf[0], "late"));
  conf_close(t);
}
END_TEST

static void f_chunk_timeout(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_write(t->acc, "abc", 3, CONF_T));
  CONF_REC(t, 2, jnet_chunk(t->cli, 10, &t->buf[0], CONF_SHORT));
  CONF_REC(t, 3, conf_buf_is(&t->buf[0], "abc"));
  CONF_REC(t, 4, jnet_write(t->acc, "defghij", 7, CONF_T));
  CONF_REC(t, 5, jnet_chunk(t->cli, 7, &t->buf[0], CONF_T));
  t->done = 1;
}

START_TEST(chunk_timeout_keeps_partial_data_and_stream_usable) {
  conf *t = conf_open();
  conf_run(t, f_chunk_timeout);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, JNET_ETIMEDOUT);
  CONF_EQ(t, 3, 1);
  CONF_EQ(t, 4, 0);
  CONF_EQ(t, 5, 7);
  ck_assert(conf_buf_is(&t->buf[0], "abcdefghij"));
  conf_close(t);
}
END_TEST

static void f_read_all_timeout(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_write(t->acc, "abc", 3, CONF_T));
  CONF_REC(t, 2, jnet_read_all(t->cli, &t->buf[0], CONF_SHORT));
  CONF_REC(t, 3, conf_buf_is(&t->buf[0], "abc"));
  CONF_REC(t, 4, jnet_write(t->acc, "de", 2, CONF_T));
  CONF_REC(t, 5, jnet_close(t->acc));
  CONF_REC(t, 6, jnet_read_all(t->cli, &t->buf[0], CONF_T));
  t->done = 1;
}

START_TEST(read_all_timeout_keeps_partial_data_and_stream_usable) {
  conf *t = conf_open();
  conf_run(t, f_read_all_timeout);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, JNET_ETIMEDOUT);
  CONF_EQ(t, 3, 1);
  CONF_EQ(t, 4, 0);
  CONF_EQ(t, 5, 0);
  CONF_EQ(t, 6, 2);
  ck_assert(conf_buf_is(&t->buf[0], "abcde"));
  conf_close(t);
}
END_TEST

static void f_accept_timeout(void *arg) {
  conf *t = arg;
  char port[16];
  jnet_stream srv, cli, acc;
  CONF_REC(t, 0, jnet_listen("127.0.0.1", NULL, JNET_STREAM, &srv));
  conf_keep(t, srv);
  CONF_REC(t, 1, conf_port(srv, port));
  CONF_REC(t, 2, jnet_accept(srv, CONF_SHORT, &acc));
  CONF_REC(t, 3,
           jnet_connect("127.0.0.1", port, JNET_STREAM, NULL, NULL, &cli));
  conf_keep(t, cli);
  CONF_REC(t, 4, jnet_accept(srv, CONF_T, &acc));
  conf_keep(t, acc);
  CONF_REC(t, 5, jnet_write(cli, "hi", 2, CONF_T));
  CONF_REC(t, 6, jnet_chunk(acc, 2, &t->buf[0], CONF_T));
  t->done = 1;
}

START_TEST(accept_timeout_leaves_listener_usable) {
  conf *t = conf_open();
  conf_run(t, f_accept_timeout);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, JNET_ETIMEDOUT);
  CONF_EQ(t, 3, 0);
  CONF_EQ(t, 4, 0);
  CONF_EQ(t, 5, 0);
  CONF_EQ(t, 6, 2);
  conf_close(t);
}
END_TEST

static void f_recv_timeout(void *arg) {
  conf *t = arg;
  jnet_stream a, b;
  CONF_REC(t, 0, conf_udp(t, "127.0.0.1", &a));
  CONF_REC(t, 1, conf_udp(t, "127.0.0.1", &b));
  CONF_REC(t, 2, jnet_localname(a, &t->addr[0]));
  CONF_REC(t, 3, jnet_recv_from(a, 100, &t->buf[0], CONF_SHORT, &t->addr[1]));
  CONF_REC(t, 4, jnet_send_to(b, &t->addr[0], "late", 4, CONF_T));
  CONF_REC(t, 5, jnet_recv_from(a, 100, &t->buf[0], CONF_T, &t->addr[1]));
  t->done = 1;
}

START_TEST(recv_from_timeout_leaves_socket_usable) {
  conf *t = conf_open();
  conf_run(t, f_recv_timeout);
  for (int i = 0; i <= 2; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 3, JNET_ETIMEDOUT);
  CONF_EQ(t, 4, 0);
  CONF_EQ(t, 5, 4);
  ck_assert(conf_buf_is(&t->buf[0], "late"));
  conf_close(t);
}
END_TEST

/* The peer never reads: a 64 MiB write fills every buffer and times out;
 * the stream still reads what the peer sends afterwards. */
static void f_write_timeout(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_write(t->cli, t->big, t->big_len, 0.3));
  CONF_REC(t, 2, jnet_write(t->acc, "back", 4, CONF_T));
  CONF_REC(t, 3, jnet_chunk(t->cli, 4, &t->buf[0], CONF_T));
  CONF_REC(t, 4, jnet_localname(t->cli, &t->addr[0]));
  t->done = 1;
}

START_TEST(write_timeout_leaves_stream_usable) {
  conf *t = conf_open();
  t->big_len = WRITE_TIMEOUT_BYTES;
  t->big = calloc(1, t->big_len);
  ck_assert_ptr_nonnull(t->big);
  conf_run(t, f_write_timeout);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, JNET_ETIMEDOUT);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, 4);
  ck_assert(conf_buf_is(&t->buf[0], "back"));
  CONF_EQ(t, 4, 0);
  conf_close(t);
}
END_TEST

static void f_zero_read(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_write(t->acc, "nowxyz", 6, CONF_T));
  jnet_sleep(0.1); /* the bytes are in the socket */
  CONF_REC(t, 2, jnet_read(t->cli, 3, &t->buf[0], 0));
  CONF_REC(t, 3, jnet_chunk(t->cli, 3, &t->buf[1], 0));
  CONF_REC(t, 4, jnet_read(t->cli, 3, &t->buf[2], 0));
  CONF_REC(t, 5, jnet_read(t->cli, 3, &t->buf[2], -1.0));
  CONF_REC(t, 6, jnet_write(t->acc, "more", 4, CONF_T));
  CONF_REC(t, 7, jnet_chunk(t->cli, 4, &t->buf[2], CONF_T));
  t->done = 1;
}

START_TEST(timeout_zero_reads_what_is_there_else_etimedout) {
  conf *t = conf_open();
  conf_run(t, f_zero_read);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 3);
  ck_assert(conf_buf_is(&t->buf[0], "now"));
  CONF_EQ(t, 3, 3);
  ck_assert(conf_buf_is(&t->buf[1], "xyz"));
  CONF_EQ(t, 4, JNET_ETIMEDOUT);
  CONF_EQ(t, 5, JNET_ETIMEDOUT);
  CONF_EQ(t, 6, 0);
  CONF_EQ(t, 7, 4);
  ck_assert(conf_buf_is(&t->buf[2], "more"));
  conf_close(t);
}
END_TEST

static void f_zero_accept(void *arg) {
  conf *t = arg;
  char port[16];
  jnet_stream srv, cli, acc;
  CONF_REC(t, 0, jnet_listen("127.0.0.1", NULL, JNET_STREAM, &srv));
  conf_keep(t, srv);
  CONF_REC(t, 1, conf_port(srv, port));
  CONF_REC(t, 2, jnet_accept(srv, 0, &acc));
  CONF_REC(t, 3,
           jnet_connect("127.0.0.1", port, JNET_STREAM, NULL, NULL, &cli));
  conf_keep(t, cli);
  jnet_sleep(0.1); /* the connection is queued on the listener */
  CONF_REC(t, 4, jnet_accept(srv, 0, &acc));
  conf_keep(t, acc);
  t->done = 1;
}

START_TEST(timeout_zero_accepts_a_pending_connection) {
  conf *t = conf_open();
  conf_run(t, f_zero_accept);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, JNET_ETIMEDOUT);
  CONF_EQ(t, 3, 0);
  CONF_EQ(t, 4, 0);
  conf_close(t);
}
END_TEST

static void f_zero_recv(void *arg) {
  conf *t = arg;
  jnet_stream a, b;
  CONF_REC(t, 0, conf_udp(t, "127.0.0.1", &a));
  CONF_REC(t, 1, conf_udp(t, "127.0.0.1", &b));
  CONF_REC(t, 2, jnet_localname(a, &t->addr[0]));
  CONF_REC(t, 3, jnet_recv_from(a, 100, &t->buf[0], 0, NULL));
  CONF_REC(t, 4, jnet_send_to(b, &t->addr[0], "here", 4, CONF_T));
  jnet_sleep(0.1);
  CONF_REC(t, 5, jnet_recv_from(a, 100, &t->buf[0], 0, NULL));
  t->done = 1;
}

START_TEST(timeout_zero_receives_a_waiting_datagram) {
  conf *t = conf_open();
  conf_run(t, f_zero_recv);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, JNET_ETIMEDOUT);
  CONF_EQ(t, 4, 0);
  CONF_EQ(t, 5, 4);
  ck_assert(conf_buf_is(&t->buf[0], "here"));
  conf_close(t);
}
END_TEST

static void f_late_writer(void *arg) {
  conf *t = arg;
  jnet_sleep(0.2);
  CONF_REC(t, 10, jnet_write(t->acc, "finally", 7, CONF_T));
}

static void f_forever(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_go(NULL, f_late_writer, t));
  CONF_REC(t, 2, jnet_chunk(t->cli, 7, &t->buf[0], JNET_FOREVER));
  t->done = 1;
}

START_TEST(timeout_forever_waits_for_data) {
  conf *t = conf_open();
  conf_run(t, f_forever);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 10, 0);
  CONF_EQ(t, 2, 7);
  ck_assert(conf_buf_is(&t->buf[0], "finally"));
  conf_close(t);
}
END_TEST

static void f_nan(void *arg) {
  conf *t = arg;
  jnet_stream a;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_read(t->cli, 10, &t->buf[0], NAN));
  CONF_REC(t, 2, jnet_accept(t->srv, NAN, &a));
  CONF_REC(t, 3, jnet_write(t->acc, "n", 1, CONF_T));
  CONF_REC(t, 4, jnet_read(t->cli, 10, &t->buf[0], CONF_T));
  t->done = 1;
}

START_TEST(timeout_nan_behaves_as_zero) {
  conf *t = conf_open();
  conf_run(t, f_nan);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, JNET_ETIMEDOUT);
  CONF_EQ(t, 2, JNET_ETIMEDOUT);
  CONF_EQ(t, 3, 0);
  CONF_EQ(t, 4, 1);
  conf_close(t);
}
END_TEST

#if !CONF_SIM
/* A read whose deadline passed while another fiber ran does not get bytes
 * written after that deadline: the turn fires the expired timer before it
 * polls, so the read times out and the bytes wait for the next read. (uv
 * only: virtual time cannot pass while a fiber runs.) */
static void f_after_deadline_writer(void *arg) {
  conf *t = arg;
  double t0 = jnet_now();
  while (jnet_now() - t0 < 0.01)
    ; /* 10 ms of work, far past the reader's 2 ms */
  CONF_REC(t, 3, jnet_write(t->acc, "late", 4, CONF_T));
}

static void f_after_deadline_reader(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, JNET_UNIX, t->path));
  CONF_REC(t, 1, jnet_go(NULL, f_after_deadline_writer, t)); /* runs next turn */
  CONF_REC(t, 2, jnet_read(t->cli, 10, &t->buf[0], 0.002));
  CONF_REC(t, 4, t->buf[0].len);
  CONF_REC(t, 5, jnet_read(t->cli, 10, &t->buf[0], CONF_T));
  t->done = 1;
}

START_TEST(bytes_written_after_a_read_deadline_do_not_beat_its_timeout) {
  conf *t = conf_open();
  conf_unix_path(t, t->path, sizeof t->path);
  conf_run(t, f_after_deadline_reader);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, JNET_ETIMEDOUT);
  CONF_EQ(t, 3, 0);
  CONF_EQ(t, 4, 0);
  CONF_EQ(t, 5, 4);
  ck_assert(conf_buf_is(&t->buf[0], "late"));
  conf_close(t);
}
END_TEST
#endif

void conf_add_timeout(Suite *s) {
  CONF_CASE(s, read_timeout_leaves_stream_usable);
  CONF_CASE(s, chunk_timeout_keeps_partial_data_and_stream_usable);
  CONF_CASE(s, read_all_timeout_keeps_partial_data_and_stream_usable);
  CONF_CASE(s, accept_timeout_leaves_listener_usable);
  CONF_CASE(s, recv_from_timeout_leaves_socket_usable);
  CONF_CASE(s, write_timeout_leaves_stream_usable);
  CONF_CASE(s, timeout_zero_reads_what_is_there_else_etimedout);
  CONF_CASE(s, timeout_zero_accepts_a_pending_connection);
  CONF_CASE(s, timeout_zero_receives_a_waiting_datagram);
  CONF_CASE(s, timeout_forever_waits_for_data);
  CONF_CASE(s, timeout_nan_behaves_as_zero);
#if !CONF_SIM
  CONF_CASE(s, bytes_written_after_a_read_deadline_do_not_beat_its_timeout);
#endif
}
