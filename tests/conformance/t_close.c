/* t_close.c — conformance: closing and shutting down. Close wakes blocked
 * fibers with JNET_ECANCELED (and only those blocked on that stream), is
 * idempotent, and leaves a dead handle (JNET_ECLOSED); shutdown modes. */
#include <stdlib.h>
#include <string.h>

#include "conf.h"

#define WAKE_BYTES (64u << 20)

static void no_handler(jnet_stream conn, void *arg) {
  (void)conn;
  (void)arg;
}

/* Wait (bounded) until t->count reaches n. */
static void wait_count(conf *t, int n) {
  for (int i = 0; i < 500 && t->count < n; i++)
    jnet_sleep(0.01);
}

/* A blocked op, then close from the main fiber: the op returns
 * JNET_ECANCELED at once, not at its timeout. Slot 10: the op's result,
 * slot 11: it woke within a second of the close. */
enum { OP_READ, OP_CHUNK, OP_READ_ALL, OP_ACCEPT, OP_RECV, OP_WRITE };

static void f_blocked(void *arg) {
  conf *t = arg;
  long rc = 0;
  jnet_stream acc;
  switch (t->count2) {
  case OP_READ:
    rc = jnet_read(t->cli, 10, &t->buf[0], CONF_T);
    break;
  case OP_CHUNK:
    rc = jnet_chunk(t->cli, 10, &t->buf[0], CONF_T);
    break;
  case OP_READ_ALL:
    rc = jnet_read_all(t->cli, &t->buf[0], CONF_T);
    break;
  case OP_ACCEPT:
    rc = jnet_accept(t->srv, CONF_T, &acc);
    break;
  case OP_RECV:
    rc = jnet_recv_from(t->cli, 10, &t->buf[0], CONF_T, &t->addr[0]);
    break;
  case OP_WRITE:
    rc = jnet_write(t->cli, t->big, t->big_len, CONF_T);
    break;
  }
  CONF_REC(t, 10, rc);
  CONF_REC(t, 11, jnet_now() - t->t0 < 1.0);
  t->count++;
}

static void f_close_wakes(void *arg) {
  conf *t = arg;
  jnet_stream victim;
  if (t->count2 == OP_RECV) {
    CONF_REC(t, 0, conf_udp(t, "127.0.0.1", &t->cli));
  } else {
    CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  }
  victim = t->count2 == OP_ACCEPT ? t->srv : t->cli;
  CONF_REC(t, 1, jnet_go(NULL, f_blocked, t));
  conf_settle();
  t->t0 = jnet_now();
  CONF_REC(t, 2, jnet_close(victim));
  wait_count(t, 1);
  t->done = 1;
}

static void close_wakes(int op) {
  conf *t = conf_open();
  t->count2 = op;
  if (op == OP_WRITE) {
    t->big_len = WAKE_BYTES;
    t->big = calloc(1, t->big_len);
    ck_assert_ptr_nonnull(t->big);
  }
  conf_run(t, f_close_wakes);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 10, JNET_ECANCELED);
  CONF_EQ(t, 11, 1);
  conf_close(t);
}

START_TEST(close_wakes_blocked_read_with_ecanceled) { close_wakes(OP_READ); }
END_TEST
START_TEST(close_wakes_blocked_chunk_with_ecanceled) { close_wakes(OP_CHUNK); }
END_TEST
START_TEST(close_wakes_blocked_read_all_with_ecanceled) {
  close_wakes(OP_READ_ALL);
}
END_TEST
START_TEST(close_wakes_blocked_accept_with_ecanceled) {
  close_wakes(OP_ACCEPT);
}
END_TEST
START_TEST(close_wakes_blocked_recv_from_with_ecanceled) {
  close_wakes(OP_RECV);
}
END_TEST
START_TEST(close_wakes_blocked_write_with_ecanceled) { close_wakes(OP_WRITE); }
END_TEST

static void f_double_close(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_close(t->cli));
  CONF_REC(t, 2, jnet_close(t->cli));
  CONF_REC(t, 3, jnet_close(t->srv));
  CONF_REC(t, 4, jnet_close(t->srv));
  t->done = 1;
}

START_TEST(double_close_returns_zero) {
  conf *t = conf_open();
  conf_run(t, f_double_close);
  for (int i = 0; i <= 4; i++)
    CONF_EQ(t, i, 0);
  conf_close(t);
}
END_TEST

static void f_use_after_close(void *arg) {
  conf *t = arg;
  jnet_stream s;
  jnet_addr a;
  jnet_stream u;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, conf_udp(t, "127.0.0.1", &u));
  CONF_REC(t, 2, jnet_localname(u, &a));
  jnet_close(t->cli);
  jnet_close(t->srv);
  jnet_close(u);
  CONF_REC(t, 3, jnet_read(t->cli, 10, &t->buf[0], CONF_T));
  CONF_REC(t, 4, jnet_chunk(t->cli, 10, &t->buf[0], CONF_T));
  CONF_REC(t, 5, jnet_read_all(t->cli, &t->buf[0], CONF_T));
  CONF_REC(t, 6, jnet_write(t->cli, "x", 1, CONF_T));
  CONF_REC(t, 7, jnet_flush(t->cli));
  CONF_REC(t, 8, jnet_shutdown(t->cli, JNET_SHUT_WR));
  CONF_REC(t, 9, jnet_localname(t->cli, &a));
  CONF_REC(t, 10, jnet_peername(t->cli, &a));
  CONF_REC(t, 11, jnet_setsockopt(t->cli, JNET_SO_KEEPALIVE, jnet_opt_bool(1)));
  CONF_REC(t, 12, jnet_send_to(t->cli, &a, "x", 1, CONF_T)); /* before kind */
  CONF_REC(t, 13, jnet_accept(t->srv, CONF_T, &s));
  CONF_REC(t, 14, jnet_accept_loop(t->srv, no_handler, NULL));
  CONF_REC(t, 15, jnet_recv_from(u, 10, &t->buf[0], CONF_T, NULL));
  CONF_REC(t, 16, jnet_send_to(u, &a, "x", 1, CONF_T));
  t->done = 1;
}

START_TEST(use_after_close_gives_eclosed) {
  conf *t = conf_open();
  conf_run(t, f_use_after_close);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  for (int i = 3; i <= 16; i++)
    CONF_EQ(t, i, JNET_ECLOSED);
  conf_close(t);
}
END_TEST

/* A handle stays dead when its slot is reused by a new stream. */
static void f_stale(void *arg) {
  conf *t = arg;
  jnet_stream a, b;
  jnet_addr x;
  CONF_REC(t, 0, jnet_listen("127.0.0.1", NULL, JNET_STREAM, &a));
  CONF_REC(t, 1, jnet_close(a));
  CONF_REC(t, 2, jnet_listen("127.0.0.1", NULL, JNET_STREAM, &b));
  conf_keep(t, b);
  CONF_REC(t, 3, JNET_SAME(a, b));
  CONF_REC(t, 4, jnet_localname(a, &x));
  CONF_REC(t, 5, jnet_localname(b, &x));
  CONF_REC(t, 6, jnet_close(a));
  CONF_REC(t, 7, jnet_localname(b, &x)); /* closing a did not close b */
  t->done = 1;
}

START_TEST(stale_handle_stays_closed_when_slot_is_reused) {
  conf *t = conf_open();
  conf_run(t, f_stale);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, 0);
  CONF_EQ(t, 4, JNET_ECLOSED);
  CONF_EQ(t, 5, 0);
  CONF_EQ(t, 6, 0);
  CONF_EQ(t, 7, 0);
  conf_close(t);
}
END_TEST

/* Janet 1.32.1's stale-fiber bug: a fiber that used Y earlier and now
 * waits on X must not wake when Y is closed. */
static void f_other_reader(void *arg) {
  conf *t = arg;
  CONF_REC(t, 10, jnet_read(t->s[4], 10, &t->buf[1], CONF_T)); /* Y */
  CONF_REC(t, 11, jnet_read(t->cli, 10, &t->buf[0], CONF_T));  /* X */
  t->count++;
}

static void f_close_other(void *arg) {
  conf *t = arg;
  jnet_stream ycli, yacc;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL)); /* s[0..2]: X */
  char port[16];
  CONF_REC(t, 1, conf_port(t->srv, port));
  CONF_REC(t, 2,
           jnet_connect("127.0.0.1", port, JNET_STREAM, NULL, NULL,
                        &yacc)); /* s[3] */
  conf_keep(t, yacc);
  CONF_REC(t, 3, jnet_accept(t->srv, CONF_T, &ycli)); /* s[4] */
  conf_keep(t, ycli);
  CONF_REC(t, 4, jnet_write(yacc, "y", 1, CONF_T));
  CONF_REC(t, 5, jnet_go(NULL, f_other_reader, t));
  conf_settle();
  CONF_REC(t, 6, jnet_close(ycli));
  conf_settle();
  CONF_REC(t, 7, t->count); /* still blocked on X */
  CONF_REC(t, 8, jnet_write(t->acc, "ok", 2, CONF_T));
  wait_count(t, 1);
  t->done = 1;
}

START_TEST(closing_a_stream_never_wakes_a_fiber_blocked_on_another) {
  conf *t = conf_open();
  conf_run(t, f_close_other);
  for (int i = 0; i <= 6; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 7, 0);
  CONF_EQ(t, 8, 0);
  CONF_EQ(t, 10, 1);
  CONF_EQ(t, 11, 2);
  ck_assert(conf_buf_is(&t->buf[0], "ok"));
  conf_close(t);
}
END_TEST

/* ---- shutdown ---- */

static void f_shut_wr(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_write(t->cli, "last", 4, CONF_T));
  CONF_REC(t, 2, jnet_shutdown(t->cli, JNET_SHUT_WR));
  CONF_REC(t, 3, jnet_read_all(t->acc, &t->buf[0], CONF_T)); /* to EOF */
  CONF_REC(t, 4, jnet_write(t->acc, "back", 4, CONF_T));
  CONF_REC(t, 5, jnet_chunk(t->cli, 4, &t->buf[1], CONF_T));
  CONF_REC(t, 6, jnet_write(t->cli, "x", 1, CONF_T));
  t->done = 1;
}

START_TEST(shutdown_wr_gives_peer_eof_and_peer_can_send_back) {
  conf *t = conf_open();
  conf_run(t, f_shut_wr);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, 4);
  ck_assert(conf_buf_is(&t->buf[0], "last"));
  CONF_EQ(t, 4, 0);
  CONF_EQ(t, 5, 4);
  ck_assert(conf_buf_is(&t->buf[1], "back"));
  CONF_EQ(t, 6, JNET_EPIPE);
  conf_close(t);
}
END_TEST

static void f_shut_rd(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_shutdown(t->cli, JNET_SHUT_RD));
  CONF_REC(t, 2, jnet_read(t->cli, 10, &t->buf[0], CONF_T));
  CONF_REC(t, 3, jnet_write(t->cli, "still", 5, CONF_T)); /* writes work */
  CONF_REC(t, 4, jnet_chunk(t->acc, 5, &t->buf[1], CONF_T));
  t->done = 1;
}

START_TEST(shutdown_rd_makes_local_reads_return_zero) {
  conf *t = conf_open();
  conf_run(t, f_shut_rd);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, 0);
  CONF_EQ(t, 4, 5);
  conf_close(t);
}
END_TEST

/* A read blocked on an empty stream, then SHUT_RD from another fiber: the
 * read returns 0 (end of stream) at once, not at its timeout. */
static void f_shut_rd_wakes(void *arg) {
  conf *t = arg;
  t->count2 = OP_READ;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_go(NULL, f_blocked, t));
  conf_settle();
  t->t0 = jnet_now();
  CONF_REC(t, 2, jnet_shutdown(t->cli, JNET_SHUT_RD));
  wait_count(t, 1);
  t->done = 1;
}

START_TEST(shutdown_rd_wakes_a_blocked_reader_with_end_of_stream) {
  conf *t = conf_open();
  conf_run(t, f_shut_rd_wakes);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 10, 0);
  CONF_EQ(t, 11, 1);
  conf_close(t);
}
END_TEST

static void f_shut_rdwr(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_shutdown(t->cli, JNET_SHUT_RDWR));
  CONF_REC(t, 2, jnet_read(t->acc, 10, &t->buf[0], CONF_T));
  CONF_REC(t, 3, jnet_write(t->cli, "x", 1, CONF_T));
  CONF_REC(t, 4, jnet_read(t->cli, 10, &t->buf[0], CONF_T));
  t->done = 1;
}

START_TEST(shutdown_rdwr_ends_both_directions) {
  conf *t = conf_open();
  conf_run(t, f_shut_rdwr);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, JNET_EPIPE);
  CONF_EQ(t, 4, 0);
  conf_close(t);
}
END_TEST

static void f_shut_again(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_shutdown(t->cli, JNET_SHUT_WR));
  CONF_REC(t, 2, jnet_shutdown(t->cli, JNET_SHUT_WR));
  CONF_REC(t, 3, jnet_shutdown(t->cli, JNET_SHUT_RD));
  CONF_REC(t, 4, jnet_shutdown(t->cli, JNET_SHUT_RD));
  CONF_REC(t, 5, jnet_shutdown(t->cli, JNET_SHUT_RDWR));
  CONF_REC(t, 6, jnet_shutdown(t->cli, JNET_SHUT_RDWR));
  t->done = 1;
}

START_TEST(repeated_shutdown_returns_zero) {
  conf *t = conf_open();
  conf_run(t, f_shut_again);
  for (int i = 0; i <= 6; i++)
    CONF_EQ(t, i, 0);
  conf_close(t);
}
END_TEST

static void f_shut_bad(void *arg) {
  conf *t = arg;
  jnet_stream u;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_shutdown(t->cli, 3));
  CONF_REC(t, 2, jnet_shutdown(t->cli, -1));
  CONF_REC(t, 3, jnet_write(t->cli, "ok", 2, CONF_T)); /* not shut */
  CONF_REC(t, 4, jnet_chunk(t->acc, 2, &t->buf[0], CONF_T));
  CONF_REC(t, 5, conf_udp(t, "127.0.0.1", &u));
  CONF_REC(t, 6, jnet_shutdown(u, JNET_SHUT_RDWR));
  t->done = 1;
}

START_TEST(shutdown_bad_mode_einval_unconnected_datagram_enotconn) {
  conf *t = conf_open();
  conf_run(t, f_shut_bad);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, JNET_EINVAL);
  CONF_EQ(t, 2, JNET_EINVAL);
  CONF_EQ(t, 3, 0);
  CONF_EQ(t, 4, 2);
  CONF_EQ(t, 5, 0);
  CONF_EQ(t, 6, JNET_ENOTCONN);
  conf_close(t);
}
END_TEST

void conf_add_close(Suite *s) {
  CONF_CASE(s, close_wakes_blocked_read_with_ecanceled);
  CONF_CASE(s, close_wakes_blocked_chunk_with_ecanceled);
  CONF_CASE(s, close_wakes_blocked_read_all_with_ecanceled);
  CONF_CASE(s, close_wakes_blocked_accept_with_ecanceled);
  CONF_CASE(s, close_wakes_blocked_recv_from_with_ecanceled);
  CONF_CASE(s, close_wakes_blocked_write_with_ecanceled);
  CONF_CASE(s, double_close_returns_zero);
  CONF_CASE(s, use_after_close_gives_eclosed);
  CONF_CASE(s, stale_handle_stays_closed_when_slot_is_reused);
  CONF_CASE(s, closing_a_stream_never_wakes_a_fiber_blocked_on_another);
  CONF_CASE(s, shutdown_wr_gives_peer_eof_and_peer_can_send_back);
  CONF_CASE(s, shutdown_rd_makes_local_reads_return_zero);
  CONF_CASE(s, shutdown_rd_wakes_a_blocked_reader_with_end_of_stream);
  CONF_CASE(s, shutdown_rdwr_ends_both_directions);
  CONF_CASE(s, repeated_shutdown_returns_zero);
  CONF_CASE(s, shutdown_bad_mode_einval_unconnected_datagram_enotconn);
}
