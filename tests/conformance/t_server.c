/* t_server.c — conformance: servers. accept_loop and jnet_server with a
 * handler (jnet closes each conn after it), concurrency (50 clients,
 * handlers in fibers of their own, draining pending connections), busy
 * streams, and the scheduler (jnet_go FIFO, nodes, jnet_sleep, jnet_now,
 * jnet_run_until). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

#define N_CLIENTS 50
#define N_PENDING 20
#define N_FIBERS 200

static void wait_count(conf *t, int n) {
  for (int i = 0; i < 1000 && t->count < n; i++)
    jnet_sleep(0.01);
}

/* Writes "hi" and returns; jnet closes conn. */
static void h_hi(jnet_stream conn, void *arg) {
  conf *t = arg;
  CONF_REC(t, 20 + t->count2, jnet_write(conn, "hi", 2, CONF_T));
  t->count2++;
}

static void f_accept_loop(void *arg) {
  conf *t = arg;
  CONF_REC(t, 10, jnet_accept_loop(t->srv, h_hi, t));
  t->count++;
}

static void f_accept_loop_main(void *arg) {
  conf *t = arg;
  char port[16];
  jnet_stream c;
  CONF_REC(t, 0, jnet_listen("127.0.0.1", NULL, JNET_STREAM, &t->srv));
  conf_keep(t, t->srv);
  CONF_REC(t, 1, conf_port(t->srv, port));
  CONF_REC(t, 2, jnet_go(NULL, f_accept_loop, t));
  CONF_REC(t, 3, jnet_connect("127.0.0.1", port, JNET_STREAM, NULL, NULL, &c));
  conf_keep(t, c);
  CONF_REC(t, 4, jnet_read_all(c, &t->buf[0], CONF_T)); /* "hi", then EOF */
  CONF_REC(t, 5, t->count);                             /* loop still runs */
  CONF_REC(t, 6, jnet_close(t->srv));
  wait_count(t, 1);
  t->done = 1;
}

START_TEST(accept_loop_returns_zero_once_its_server_is_closed) {
  conf *t = conf_open();
  conf_run(t, f_accept_loop_main);
  for (int i = 0; i <= 3; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 4, 2);
  ck_assert(conf_buf_is(&t->buf[0], "hi"));
  CONF_EQ(t, 5, 0);
  CONF_EQ(t, 6, 0);
  CONF_EQ(t, 10, 0);
  CONF_EQ(t, 20, 0);
  ck_assert_int_eq(t->count2, 1);
  conf_close(t);
}
END_TEST

/* Handler that closes conn itself (close is idempotent). */
static void h_close(jnet_stream conn, void *arg) {
  conf *t = arg;
  CONF_REC(t, 20, jnet_write(conn, "bye", 3, CONF_T));
  CONF_REC(t, 21, jnet_close(conn));
  CONF_REC(t, 22, jnet_close(conn));
  t->count2++;
}

static void server_main(conf *t, jnet_handler h) {
  char port[16];
  jnet_stream c;
  CONF_REC(t, 0, jnet_server("127.0.0.1", NULL, h, t, JNET_STREAM, &t->srv));
  conf_keep(t, t->srv);
  CONF_REC(t, 1, conf_port(t->srv, port));
  CONF_REC(t, 2, jnet_connect("127.0.0.1", port, JNET_STREAM, NULL, NULL, &c));
  conf_keep(t, c);
  CONF_REC(t, 3, jnet_read_all(c, &t->buf[0], CONF_T)); /* EOF: conn closed */
  CONF_REC(t, 4, jnet_close(t->srv));
  t->done = 1;
}

static void f_server_hi(void *arg) { server_main(arg, h_hi); }
static void f_server_close(void *arg) { server_main(arg, h_close); }

START_TEST(server_handler_conn_is_closed_when_handler_returns) {
  conf *t = conf_open();
  conf_run(t, f_server_hi);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, 2);
  ck_assert(conf_buf_is(&t->buf[0], "hi"));
  CONF_EQ(t, 4, 0);
  CONF_EQ(t, 20, 0);
  conf_close(t);
}
END_TEST

START_TEST(server_handler_may_close_conn_itself) {
  conf *t = conf_open();
  conf_run(t, f_server_close);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, 3);
  ck_assert(conf_buf_is(&t->buf[0], "bye"));
  CONF_EQ(t, 4, 0);
  CONF_EQ(t, 20, 0);
  CONF_EQ(t, 21, 0);
  CONF_EQ(t, 22, 0);
  ck_assert_int_eq(t->count2, 1);
  conf_close(t);
}
END_TEST

static void f_server_null(void *arg) {
  conf *t = arg;
  char port[16];
  jnet_stream c, a;
  CONF_REC(t, 0,
           jnet_server("127.0.0.1", NULL, NULL, NULL, JNET_STREAM, &t->srv));
  conf_keep(t, t->srv);
  CONF_REC(t, 1, conf_port(t->srv, port));
  CONF_REC(t, 2, jnet_connect("127.0.0.1", port, JNET_STREAM, NULL, NULL, &c));
  conf_keep(t, c);
  CONF_REC(t, 3, jnet_accept(t->srv, CONF_T, &a));
  conf_keep(t, a);
  CONF_REC(t, 4, jnet_write(a, "x", 1, CONF_T));
  CONF_REC(t, 5, jnet_chunk(c, 1, &t->buf[0], CONF_T));
  t->done = 1;
}

START_TEST(server_with_null_handler_is_listen) {
  conf *t = conf_open();
  conf_run(t, f_server_null);
  for (int i = 0; i <= 4; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 5, 1);
  conf_close(t);
}
END_TEST

/* Echo handler: reads one message, writes it back; counts itself and
 * checks its conn's local name is the server's. */
static void h_echo(jnet_stream conn, void *arg) {
  conf *t = arg;
  jnet_buf b;
  jnet_addr a;
  jnet_buf_init(&b);
  if (jnet_read(conn, 64, &b, CONF_T) > 0 &&
      jnet_write(conn, b.data, b.len, CONF_T) == 0 &&
      jnet_localname(conn, &a) == 0 && conf_addr_same(&a, &t->addr[0]) == 1)
    t->count2++;
  jnet_buf_free(&b);
}

static void f_client(void *arg) {
  conf *t = arg;
  char msg[32], port[16];
  int n = snprintf(msg, sizeof msg, "abc123-%d", t->count3++);
  jnet_stream c;
  jnet_buf b;
  jnet_addr peer;
  jnet_buf_init(&b);
  snprintf(port, sizeof port, "%s", t->port);
  if (jnet_connect("127.0.0.1", port, JNET_STREAM, NULL, NULL, &c) == 0) {
    if (jnet_write(c, msg, (size_t)n, CONF_T) == 0 &&
        jnet_chunk(c, (size_t)n, &b, CONF_T) == n &&
        memcmp(b.data, msg, (size_t)n) == 0 && jnet_peername(c, &peer) == 0 &&
        conf_addr_same(&peer, &t->addr[0]) == 1)
      t->r[40]++; /* clients that got their echo */
    jnet_close(c);
  }
  jnet_buf_free(&b);
  if (++t->count == N_CLIENTS)
    jnet_close(t->srv);
}

static void f_fifty(void *arg) {
  conf *t = arg;
  t->r[40] = 0;
  CONF_REC(t, 0,
           jnet_server("127.0.0.1", NULL, h_echo, t, JNET_STREAM, &t->srv));
  conf_keep(t, t->srv);
  CONF_REC(t, 1, conf_port(t->srv, t->port));
  CONF_REC(t, 2, jnet_localname(t->srv, &t->addr[0]));
  int ok = 0;
  for (int i = 0; i < N_CLIENTS; i++)
    ok += jnet_go(NULL, f_client, t) == 0;
  CONF_REC(t, 3, ok);
  t->done = 1;
}

START_TEST(fifty_concurrent_clients_are_all_served) {
  conf *t = conf_open();
  conf_run(t, f_fifty);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, N_CLIENTS);
  ck_assert_int_eq(t->count, N_CLIENTS);
  ck_assert_int_eq(t->r[40], N_CLIENTS);
  ck_assert_int_eq(t->count2, N_CLIENTS);
  conf_close(t);
}
END_TEST

/* N_PENDING clients connect before any accept; accept_loop then serves
 * them all (Janet #1431). */
static void h_one(jnet_stream conn, void *arg) {
  conf *t = arg;
  jnet_buf b;
  jnet_buf_init(&b);
  if (jnet_chunk(conn, 1, &b, CONF_T) == 1 &&
      jnet_write(conn, b.data, 1, CONF_T) == 0)
    t->count2++;
  jnet_buf_free(&b);
}

static void f_pending_client(void *arg) {
  conf *t = arg;
  jnet_stream c;
  jnet_buf b;
  jnet_buf_init(&b);
  if (jnet_connect("127.0.0.1", t->port, JNET_STREAM, NULL, NULL, &c) == 0) {
    t->count3++; /* connected, nobody accepted yet */
    if (jnet_write(c, "p", 1, CONF_T) == 0 && jnet_chunk(c, 1, &b, CONF_T) == 1)
      t->r[40]++;
    jnet_close(c);
  }
  jnet_buf_free(&b);
  if (++t->count == N_PENDING)
    jnet_close(t->srv);
}

static void f_pending_loop(void *arg) {
  conf *t = arg;
  CONF_REC(t, 10, jnet_accept_loop(t->srv, h_one, t));
}

static void f_pending(void *arg) {
  conf *t = arg;
  t->r[40] = 0;
  CONF_REC(t, 0, jnet_listen("127.0.0.1", NULL, JNET_STREAM, &t->srv));
  conf_keep(t, t->srv);
  CONF_REC(t, 1, conf_port(t->srv, t->port));
  for (int i = 0; i < N_PENDING; i++)
    jnet_go(NULL, f_pending_client, t);
  for (int i = 0; i < 500 && t->count3 < N_PENDING; i++)
    jnet_sleep(0.01);
  CONF_REC(t, 2, t->count3);
  CONF_REC(t, 3, jnet_go(NULL, f_pending_loop, t));
  t->done = 1;
}

START_TEST(accept_loop_serves_connections_made_before_it_started) {
  conf *t = conf_open();
  conf_run(t, f_pending);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, N_PENDING);
  CONF_EQ(t, 3, 0);
  CONF_EQ(t, 10, 0);
  ck_assert_int_eq(t->r[40], N_PENDING);
  ck_assert_int_eq(t->count2, N_PENDING);
  conf_close(t);
}
END_TEST

/* Handlers run concurrently: client A's handler waits for A's byte, which
 * A sends only after client B got its echo. */
static void f_client_b(void *arg) {
  conf *t = arg;
  jnet_stream c;
  jnet_buf b;
  jnet_buf_init(&b);
  CONF_REC(t, 10,
           jnet_connect("127.0.0.1", t->port, JNET_STREAM, NULL, NULL, &c));
  if (t->r[10] == 0) {
    CONF_REC(t, 11, jnet_write(c, "B", 1, CONF_T));
    CONF_REC(t, 12, jnet_chunk(c, 1, &b, 2.0));
    conf_log(t, 'B');
    jnet_close(c);
  }
  jnet_buf_free(&b);
  t->count++;
}

static void f_concurrent(void *arg) {
  conf *t = arg;
  jnet_stream a;
  CONF_REC(t, 0,
           jnet_server("127.0.0.1", NULL, h_one, t, JNET_STREAM, &t->srv));
  conf_keep(t, t->srv);
  CONF_REC(t, 1, conf_port(t->srv, t->port));
  CONF_REC(t, 2,
           jnet_connect("127.0.0.1", t->port, JNET_STREAM, NULL, NULL, &a));
  conf_keep(t, a);
  conf_settle(); /* A's handler is now waiting for A's byte */
  CONF_REC(t, 3, jnet_go(NULL, f_client_b, t));
  wait_count(t, 1);
  conf_log(t, 'A');
  CONF_REC(t, 4, jnet_write(a, "A", 1, CONF_T));
  CONF_REC(t, 5, jnet_chunk(a, 1, &t->buf[0], CONF_T));
  CONF_REC(t, 6, jnet_close(t->srv));
  t->done = 1;
}

START_TEST(accept_loop_runs_handlers_concurrently) {
  conf *t = conf_open();
  conf_run(t, f_concurrent);
  for (int i = 0; i <= 4; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 5, 1);
  CONF_EQ(t, 6, 0);
  CONF_EQ(t, 10, 0);
  CONF_EQ(t, 11, 0);
  CONF_EQ(t, 12, 1);
  ck_assert_str_eq(t->log, "BA");
  ck_assert_int_eq(t->count2, 2);
  conf_close(t);
}
END_TEST

static void f_busy_reader(void *arg) {
  conf *t = arg;
  CONF_REC(t, 10, jnet_read(t->cli, 10, &t->buf[0], CONF_T));
  t->count++;
}

static void f_busy_acceptor(void *arg) {
  conf *t = arg;
  jnet_stream a;
  CONF_REC(t, 11, jnet_accept(t->srv, CONF_T, &a));
  if (t->r[11] == 0)
    conf_keep(t, a);
  t->count++;
}

static void f_busy(void *arg) {
  conf *t = arg;
  jnet_stream a, c;
  char port[16];
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_go(NULL, f_busy_reader, t));
  CONF_REC(t, 2, jnet_go(NULL, f_busy_acceptor, t));
  conf_settle();
  CONF_REC(t, 3, jnet_read(t->cli, 10, &t->buf[1], CONF_T));
  CONF_REC(t, 4, jnet_chunk(t->cli, 10, &t->buf[1], CONF_T));
  CONF_REC(t, 5, jnet_accept(t->srv, CONF_T, &a));
  CONF_REC(t, 6, jnet_write(t->acc, "first", 5, CONF_T));
  CONF_REC(t, 7, conf_port(t->srv, port));
  CONF_REC(t, 8, jnet_connect("127.0.0.1", port, JNET_STREAM, NULL, NULL, &c));
  conf_keep(t, c);
  wait_count(t, 2);
  t->done = 1;
}

START_TEST(second_concurrent_reader_or_acceptor_gets_ebusy) {
  conf *t = conf_open();
  conf_run(t, f_busy);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, JNET_EBUSY);
  CONF_EQ(t, 4, JNET_EBUSY);
  CONF_EQ(t, 5, JNET_EBUSY);
  CONF_EQ(t, 6, 0);
  CONF_EQ(t, 7, 0);
  CONF_EQ(t, 8, 0);
  CONF_EQ(t, 10, 5); /* the first reader got the data */
  ck_assert(conf_buf_is(&t->buf[0], "first"));
  ck_assert_uint_eq(t->buf[1].len, 0);
  CONF_EQ(t, 11, 0); /* the first acceptor got the connection */
  conf_close(t);
}
END_TEST

static void f_busy_writer(void *arg) {
  conf *t = arg;
  CONF_REC(t, 10, jnet_write(t->cli, t->big, t->big_len, CONF_T));
  t->count++;
}

static void f_busy_write(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_go(NULL, f_busy_writer, t));
  conf_settle();
  CONF_REC(t, 2, jnet_write(t->cli, "x", 1, CONF_T));
  CONF_REC(t, 3, jnet_close(t->cli));
  wait_count(t, 1);
  t->done = 1;
}

START_TEST(second_concurrent_writer_gets_ebusy) {
  conf *t = conf_open();
  t->big_len = 64u << 20;
  t->big = calloc(1, t->big_len);
  ck_assert_ptr_nonnull(t->big);
  conf_run(t, f_busy_write);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, JNET_EBUSY);
  CONF_EQ(t, 3, 0);
  CONF_EQ(t, 10, JNET_ECANCELED);
  conf_close(t);
}
END_TEST

/* ---- scheduler ---- */

static void f_sleepy(void *arg) {
  conf *t = arg;
  int me = t->count3++;
  if (jnet_sleep((me % 10) * 0.001) == 0)
    t->count++;
}

static void f_many(void *arg) {
  conf *t = arg;
  int ok = 0;
  for (int i = 0; i < N_FIBERS; i++)
    ok += jnet_go(NULL, f_sleepy, t) == 0;
  CONF_REC(t, 0, ok);
  t->done = 1;
}

START_TEST(many_fibers_all_run_to_completion) {
  conf *t = conf_open();
  conf_run(t, f_many);
  CONF_EQ(t, 0, N_FIBERS);
  ck_assert_int_eq(t->count, N_FIBERS);
  conf_close(t);
}
END_TEST

static void f_sleep(void *arg) {
  conf *t = arg;
  double t0 = jnet_now();
  CONF_REC(t, 0, jnet_sleep(0.25));
  double dt = jnet_now() - t0;
  CONF_REC(t, 1, dt >= 0.25 - 1e-9);
  CONF_REC(t, 2, dt < 5.0);
  CONF_REC(t, 3, jnet_sleep(0));
  CONF_REC(t, 4, jnet_sleep(-1));
  CONF_REC(t, 5, jnet_sleep(NAN));
  t->done = 1;
}

START_TEST(sleep_advances_now_by_at_least_the_time) {
  conf *t = conf_open();
  conf_run(t, f_sleep);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 1);
  CONF_EQ(t, 2, 1);
  CONF_EQ(t, 3, 0);
  CONF_EQ(t, 4, 0);
  CONF_EQ(t, 5, JNET_EINVAL);
  conf_close(t);
}
END_TEST

static void f_log_a(void *arg) { conf_log(arg, 'a'); }
static void f_log_b(void *arg) { conf_log(arg, 'b'); }
static void f_log_c(void *arg) { conf_log(arg, 'c'); }

static void f_fifo(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, jnet_go(NULL, f_log_a, t));
  CONF_REC(t, 1, jnet_go(NULL, f_log_b, t));
  CONF_REC(t, 2, jnet_go(NULL, f_log_c, t));
  CONF_REC(t, 3, t->nlog); /* nothing ran before the caller yields */
  conf_log(t, 'M');
  CONF_REC(t, 4, jnet_yield());
  conf_log(t, 'm');
  t->done = 1;
}

START_TEST(go_inside_a_fiber_runs_fifo_after_the_caller_yields) {
  conf *t = conf_open();
  conf_run(t, f_fifo);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, 0);
  CONF_EQ(t, 4, 0);
  ck_assert_str_eq(t->log, "Mabcm");
  conf_close(t);
}
END_TEST

static void f_node(void *arg) {
  conf *t = arg;
  conf_log(t, jnet_self_node() == jnet_loop_node(t->loop) ? 'n' : 'x');
  t->count++;
}

static void f_node_main(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, jnet_self_node() == jnet_loop_node(t->loop));
  CONF_REC(t, 1, jnet_go_on(t->loop, jnet_self_node(), f_node, t));
  CONF_REC(t, 2, jnet_go(NULL, f_node, t));
  CONF_REC(t, 3, jnet_yield());
  t->done = 1;
}

START_TEST(fibers_run_on_the_loops_default_node) {
  conf *t = conf_open();
  ck_assert_ptr_nonnull(jnet_loop_node(t->loop));
  ck_assert_ptr_null(jnet_self_node());
  conf_run(t, f_node_main);
  CONF_EQ(t, 0, 1);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, 0);
  ck_assert_int_eq(t->count, 2);
  ck_assert_str_eq(t->log, "nn");
  conf_close(t);
}
END_TEST

static void f_slow(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, jnet_sleep(0.3));
  t->count++;
  t->done = 1;
}

START_TEST(run_until_returns_at_the_deadline_and_run_finishes) {
  conf *t = conf_open();
  ck_assert_int_eq(jnet_go(t->loop, f_slow, t), 0);
  double t0 = jnet_now();
  ck_assert_int_eq(jnet_run_until(t->loop, t0 + 0.05), 0);
  ck_assert_int_eq(t->count, 0); /* still sleeping */
  double t1 = jnet_now();
  ck_assert_msg(t1 >= t0 + 0.05 - 1e-6 && t1 < t0 + 0.3,
                "[%s] run_until returned at %+.6f s", conf_backend_name,
                t1 - t0);
  ck_assert_int_eq(jnet_run_once(t->loop), 1); /* work is left */
  ck_assert_int_eq(jnet_run(t->loop), 0);
  ck_assert_int_eq(t->count, 1);
  ck_assert(jnet_now() >= t0 + 0.3 - 1e-6);
  CONF_EQ(t, 0, 0);
  conf_close(t);
}
END_TEST

void conf_add_server(Suite *s) {
  CONF_CASE(s, accept_loop_returns_zero_once_its_server_is_closed);
  CONF_CASE(s, server_handler_conn_is_closed_when_handler_returns);
  CONF_CASE(s, server_handler_may_close_conn_itself);
  CONF_CASE(s, server_with_null_handler_is_listen);
  CONF_CASE(s, fifty_concurrent_clients_are_all_served);
  CONF_CASE(s, accept_loop_serves_connections_made_before_it_started);
  CONF_CASE(s, accept_loop_runs_handlers_concurrently);
  CONF_CASE(s, second_concurrent_reader_or_acceptor_gets_ebusy);
  CONF_CASE(s, second_concurrent_writer_gets_ebusy);
  CONF_CASE(s, many_fibers_all_run_to_completion);
  CONF_CASE(s, sleep_advances_now_by_at_least_the_time);
  CONF_CASE(s, go_inside_a_fiber_runs_fifo_after_the_caller_yields);
  CONF_CASE(s, fibers_run_on_the_loops_default_node);
  CONF_CASE(s, run_until_returns_at_the_deadline_and_run_finishes);
}
