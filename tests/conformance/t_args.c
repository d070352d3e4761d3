/* t_args.c — conformance: argument checking and where calls may be made.
 * NULL pointers, JNET_NOSTREAM, n == 0, bad types and modes give
 * JNET_EINVAL; the check order (arguments, closed, kind); blocking calls
 * outside a fiber give JNET_ENOTFIBER while the others work anywhere; and
 * jnet_strerror / jnet_err_name name every code. */
#include <string.h>

#include "conf.h"

static void f_make(void *arg);

static void h_none(jnet_stream conn, void *arg) {
  (void)conn;
  (void)arg;
}

static void f_null_io(void *arg) {
  conf *t = arg;
  jnet_addr a;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_localname(t->acc, &a));
  CONF_REC(t, 2, jnet_read(t->cli, 10, NULL, CONF_T));
  CONF_REC(t, 3, jnet_read_all(t->cli, NULL, CONF_T));
  CONF_REC(t, 4, jnet_chunk(t->cli, 10, NULL, CONF_T));
  CONF_REC(t, 5, jnet_write(t->cli, NULL, 3, CONF_T));
  CONF_REC(t, 6, jnet_localname(t->cli, NULL));
  CONF_REC(t, 7, jnet_peername(t->cli, NULL));
  CONF_REC(t, 8, jnet_accept(t->srv, CONF_T, NULL));
  CONF_REC(t, 9, jnet_accept_loop(t->srv, NULL, NULL));
  CONF_REC(t, 10, conf_udp(t, "127.0.0.1", &t->s[14]));
  CONF_REC(t, 11, jnet_send_to(t->s[14], NULL, "x", 1, CONF_T));
  CONF_REC(t, 12, jnet_send_to(t->s[14], &a, NULL, 1, CONF_T));
  CONF_REC(t, 13, jnet_recv_from(t->s[14], 10, NULL, CONF_T, &a));
  CONF_REC(
      t, 14,
      jnet_setsockopt(t->s[14], JNET_IP_ADD_MEMBERSHIP, jnet_opt_str(NULL)));
  /* the streams are fine afterwards */
  CONF_REC(t, 15, jnet_write(t->cli, "ok", 2, CONF_T));
  CONF_REC(t, 16, jnet_chunk(t->acc, 2, &t->buf[0], CONF_T));
  t->done = 1;
}

START_TEST(null_arguments_give_einval_for_stream_functions) {
  conf *t = conf_open();
  conf_run(t, f_null_io);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  for (int i = 2; i <= 9; i++)
    CONF_EQ(t, i, JNET_EINVAL);
  CONF_EQ(t, 10, 0);
  for (int i = 11; i <= 14; i++)
    CONF_EQ(t, i, JNET_EINVAL);
  CONF_EQ(t, 15, 0);
  CONF_EQ(t, 16, 2);
  conf_close(t);
}
END_TEST

static void f_null_open(void *arg) {
  conf *t = arg;
  jnet_stream s;
  CONF_REC(t, 0, jnet_listen(NULL, NULL, JNET_STREAM, &s));
  CONF_REC(t, 1, jnet_listen("127.0.0.1", NULL, JNET_STREAM, NULL));
  CONF_REC(t, 2, jnet_connect(NULL, "80", JNET_STREAM, NULL, NULL, &s));
  CONF_REC(t, 3,
           jnet_connect("127.0.0.1", "80", JNET_STREAM, NULL, NULL, NULL));
  CONF_REC(t, 4, jnet_server(NULL, NULL, h_none, NULL, JNET_STREAM, &s));
  CONF_REC(t, 5,
           jnet_server("127.0.0.1", NULL, h_none, NULL, JNET_STREAM, NULL));
  CONF_REC(t, 6, jnet_listen(JNET_UNIX, NULL, JNET_STREAM, &s));
  CONF_REC(t, 7, jnet_connect(JNET_UNIX, NULL, JNET_STREAM, NULL, NULL, &s));
  CONF_REC(t, 8, jnet_go(NULL, NULL, NULL));
  t->done = 1;
}

START_TEST(null_arguments_give_einval_for_listen_connect_server_go) {
  conf *t = conf_open();
  conf_run(t, f_null_open);
  for (int i = 0; i <= 8; i++)
    CONF_EQ(t, i, JNET_EINVAL);
  conf_close(t);
}
END_TEST

START_TEST(null_arguments_give_einval_for_loop_functions) {
  conf *t = conf_open();
  jnet_loop *l2 = NULL;
  ck_assert_int_eq(jnet_loop_new(NULL, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_loop_new(&l2, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_go(NULL, f_make, t), JNET_EINVAL); /* no loop */
  ck_assert_int_eq(jnet_go(t->loop, NULL, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_go_on(t->loop, NULL, NULL, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_loop_set_stack_size(NULL, 65536), JNET_EINVAL);
  /* a backend serves one loop at a time */
  ck_assert_int_eq(jnet_loop_new(&l2, conf_backend()), JNET_EBUSY);
  t->done = 1;
  conf_close(t);
}
END_TEST

static void f_nostream(void *arg) {
  conf *t = arg;
  jnet_stream n = JNET_NOSTREAM, out;
  jnet_addr a;
  CONF_REC(t, 0, jnet_address("127.0.0.1", "9", JNET_DATAGRAM, &a));
  CONF_REC(t, 1, jnet_read(n, 10, &t->buf[0], CONF_T));
  CONF_REC(t, 2, jnet_read_all(n, &t->buf[0], CONF_T));
  CONF_REC(t, 3, jnet_chunk(n, 10, &t->buf[0], CONF_T));
  CONF_REC(t, 4, jnet_write(n, "x", 1, CONF_T));
  CONF_REC(t, 5, jnet_flush(n));
  CONF_REC(t, 6, jnet_send_to(n, &a, "x", 1, CONF_T));
  CONF_REC(t, 7, jnet_recv_from(n, 10, &t->buf[0], CONF_T, NULL));
  CONF_REC(t, 8, jnet_setsockopt(n, JNET_SO_BROADCAST, jnet_opt_bool(1)));
  CONF_REC(t, 9, jnet_shutdown(n, JNET_SHUT_RDWR));
  CONF_REC(t, 10, jnet_localname(n, &a));
  CONF_REC(t, 11, jnet_peername(n, &a));
  CONF_REC(t, 12, jnet_close(n));
  CONF_REC(t, 13, jnet_accept(n, CONF_T, &out));
  CONF_REC(t, 14, jnet_accept_loop(n, h_none, NULL));
  t->done = 1;
}

START_TEST(nostream_gives_einval_for_every_function) {
  conf *t = conf_open();
  conf_run(t, f_nostream);
  CONF_EQ(t, 0, 0);
  for (int i = 1; i <= 14; i++)
    CONF_EQ(t, i, JNET_EINVAL);
  conf_close(t);
}
END_TEST

static void f_n_zero(void *arg) {
  conf *t = arg;
  jnet_stream u;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, conf_udp(t, "127.0.0.1", &u));
  CONF_REC(t, 2, jnet_read(t->cli, 0, &t->buf[0], CONF_T));
  CONF_REC(t, 3, jnet_chunk(t->cli, 0, &t->buf[0], CONF_T));
  CONF_REC(t, 4, jnet_recv_from(u, 0, &t->buf[0], CONF_T, NULL));
  CONF_REC(t, 5, jnet_read(u, 0, &t->buf[0], CONF_T));
  t->done = 1;
}

START_TEST(read_of_zero_bytes_gives_einval) {
  conf *t = conf_open();
  conf_run(t, f_n_zero);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  for (int i = 2; i <= 5; i++)
    CONF_EQ(t, i, JNET_EINVAL);
  conf_close(t);
}
END_TEST

static void f_bad_type(void *arg) {
  conf *t = arg;
  jnet_stream s;
  CONF_REC(t, 0, jnet_listen("127.0.0.1", NULL, 2, &s));
  CONF_REC(t, 1, jnet_connect("127.0.0.1", "80", 2, NULL, NULL, &s));
  CONF_REC(t, 2, jnet_server("127.0.0.1", NULL, h_none, NULL, 2, &s));
  CONF_REC(t, 3, jnet_listen("127.0.0.1", NULL, -1, &s));
  t->done = 1;
}

START_TEST(bad_socket_type_gives_einval) {
  conf *t = conf_open();
  conf_run(t, f_bad_type);
  for (int i = 0; i <= 3; i++)
    CONF_EQ(t, i, JNET_EINVAL);
  conf_close(t);
}
END_TEST

static void f_unix_bindhost(void *arg) {
  conf *t = arg;
  jnet_stream s, c;
  CONF_REC(t, 0, jnet_listen(JNET_UNIX, t->path, JNET_STREAM, &s));
  conf_keep(t, s);
  CONF_REC(
      t, 1,
      jnet_connect(JNET_UNIX, t->path, JNET_STREAM, "127.0.0.1", NULL, &c));
  t->done = 1;
}

START_TEST(unix_connect_with_bindhost_gives_einval) {
  conf *t = conf_open();
  conf_unix_path(t, t->path, sizeof t->path);
  conf_run(t, f_unix_bindhost);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, JNET_EINVAL);
  conf_close(t);
}
END_TEST

/* Arguments are checked before closed, closed before kind. */
static void f_order(void *arg) {
  conf *t = arg;
  jnet_addr a;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_localname(t->cli, &a));
  CONF_REC(t, 2, jnet_close(t->cli));
  CONF_REC(t, 3, jnet_close(t->srv));
  CONF_REC(t, 4, jnet_read(t->cli, 0, &t->buf[0], CONF_T));
  CONF_REC(t, 5, jnet_read(t->cli, 10, NULL, CONF_T));
  CONF_REC(t, 6, jnet_shutdown(t->cli, 7));
  CONF_REC(t, 7, jnet_read(t->srv, 10, &t->buf[0], CONF_T)); /* not ENOTSUP */
  CONF_REC(t, 8, jnet_send_to(t->cli, &a, "x", 1, CONF_T));
  t->done = 1;
}

START_TEST(arguments_are_checked_before_closed_before_kind) {
  conf *t = conf_open();
  conf_run(t, f_order);
  for (int i = 0; i <= 3; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 4, JNET_EINVAL);
  CONF_EQ(t, 5, JNET_EINVAL);
  CONF_EQ(t, 6, JNET_EINVAL);
  CONF_EQ(t, 7, JNET_ECLOSED);
  CONF_EQ(t, 8, JNET_ECLOSED);
  conf_close(t);
}
END_TEST

static void f_make(void *arg) {
  conf *t = arg;
  jnet_stream u;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, conf_udp(t, "127.0.0.1", &u));
  CONF_REC(t, 2, jnet_localname(u, &t->addr[0]));
  CONF_REC(t, 3, conf_port(t->srv, t->port));
  CONF_REC(t, 4, jnet_write(t->acc, "queued", 6, CONF_T));
  t->done = 1;
}

#define UDP (t->s[3])

START_TEST(blocking_calls_outside_a_fiber_give_enotfiber) {
  conf *t = conf_open();
  jnet_stream s;
  jnet_addr a;
  conf_run(t, f_make);
  for (int i = 0; i <= 4; i++)
    CONF_EQ(t, i, 0);
  ck_assert_ptr_null(jnet_self_node());
  ck_assert_int_eq(jnet_address("127.0.0.1", "80", JNET_STREAM, &a),
                   JNET_ENOTFIBER);
  ck_assert_int_eq(jnet_address_all("127.0.0.1", "80", JNET_STREAM, &a, 1),
                   JNET_ENOTFIBER);
  ck_assert_int_eq(jnet_listen("127.0.0.1", NULL, JNET_STREAM, &s),
                   JNET_ENOTFIBER);
  ck_assert_int_eq(
      jnet_connect("127.0.0.1", t->port, JNET_STREAM, NULL, NULL, &s),
      JNET_ENOTFIBER);
  ck_assert_int_eq(
      jnet_server("127.0.0.1", NULL, h_none, NULL, JNET_STREAM, &s),
      JNET_ENOTFIBER);
  ck_assert_int_eq(jnet_accept(t->srv, CONF_T, &s), JNET_ENOTFIBER);
  ck_assert_int_eq(jnet_accept_loop(t->srv, h_none, NULL), JNET_ENOTFIBER);
  ck_assert_int_eq(jnet_read(t->cli, 10, &t->buf[0], CONF_T), JNET_ENOTFIBER);
  ck_assert_int_eq(jnet_chunk(t->cli, 10, &t->buf[0], CONF_T), JNET_ENOTFIBER);
  ck_assert_int_eq(jnet_read_all(t->cli, &t->buf[0], CONF_T), JNET_ENOTFIBER);
  ck_assert_int_eq(jnet_write(t->cli, "x", 1, CONF_T), JNET_ENOTFIBER);
  ck_assert_int_eq(jnet_send_to(UDP, &t->addr[0], "x", 1, CONF_T),
                   JNET_ENOTFIBER);
  ck_assert_int_eq(jnet_recv_from(UDP, 10, &t->buf[0], CONF_T, NULL),
                   JNET_ENOTFIBER);
  ck_assert_int_eq(jnet_sleep(0.01), JNET_ENOTFIBER);
  ck_assert_int_eq(jnet_yield(), JNET_ENOTFIBER);
  ck_assert_uint_eq(t->buf[0].len, 0); /* nothing was consumed */
  conf_close(t);
}
END_TEST

static void f_after_outside(void *arg) {
  conf *t = arg;
  CONF_REC(t, 10, jnet_read(t->acc, 10, &t->buf[1], CONF_T));
  CONF_REC(t, 11, jnet_read(t->cli, 10, &t->buf[2], CONF_T));
  t->count = 1;
}

START_TEST(nonblocking_calls_work_outside_a_fiber) {
  conf *t = conf_open();
  jnet_addr a, b;
  char h[64];
  int p = 0;
  conf_run(t, f_make);
  for (int i = 0; i <= 4; i++)
    CONF_EQ(t, i, 0);
  ck_assert_int_eq(jnet_localname(t->cli, &a), 0);
  ck_assert_int_eq(jnet_peername(t->acc, &b), 0);
  ck_assert_int_eq(conf_addr_same(&a, &b), 1);
  ck_assert_int_eq(jnet_address_unpack(&a, h, sizeof h, &p), 0);
  ck_assert_str_eq(h, "127.0.0.1");
  ck_assert_int_eq(jnet_setsockopt(t->cli, JNET_SO_KEEPALIVE, jnet_opt_bool(1)),
                   0);
  ck_assert_int_eq(jnet_flush(t->cli), 0);
  ck_assert_int_eq(jnet_shutdown(t->cli, JNET_SHUT_WR), 0);
  ck_assert_str_eq(jnet_strerror(JNET_ECLOSED), "stream is closed");
  ck_assert_int_eq(jnet_close(t->srv), 0);
  ck_assert_int_eq(jnet_close(t->srv), 0);
  /* the effects are real: the peer sees EOF, the client still reads */
  t->done = 0;
  conf_run(t, f_after_outside);
  ck_assert_int_eq(t->count, 1);
  t->done = 1;
  CONF_EQ(t, 10, 0); /* acc: EOF after the client's shutdown(WR) */
  CONF_EQ(t, 11, 6); /* the client reads what was queued */
  conf_close(t);
}
END_TEST

START_TEST(strerror_and_err_name_name_every_code) {
  static const struct {
    int code;
    const char *name, *msg;
  } all[] = {
#define CONF_CODE(name, value, msg) {value, #name, msg},
      JNET_ERRNO_MAP(CONF_CODE)
#undef CONF_CODE
  };
  size_t n = sizeof all / sizeof all[0];
  ck_assert_uint_ge(n, 50);
  for (size_t i = 0; i < n; i++) {
    ck_assert_str_eq(jnet_strerror(all[i].code), all[i].msg);
    ck_assert_str_eq(jnet_err_name(all[i].code), all[i].name);
  }
  ck_assert_str_eq(jnet_err_name(JNET_ECONNREFUSED), "ECONNREFUSED");
  ck_assert_str_eq(jnet_strerror(JNET_ETIMEDOUT), "connection timed out");
  ck_assert_str_eq(jnet_strerror(-123456), "unknown error");
  ck_assert_str_eq(jnet_err_name(-123456), "EUNKNOWN");
  ck_assert_ptr_nonnull(jnet_strerror(1));
  ck_assert_ptr_nonnull(jnet_err_name(1));
}
END_TEST

void conf_add_args(Suite *s) {
  CONF_CASE(s, null_arguments_give_einval_for_stream_functions);
  CONF_CASE(s, null_arguments_give_einval_for_listen_connect_server_go);
  CONF_CASE(s, null_arguments_give_einval_for_loop_functions);
  CONF_CASE(s, nostream_gives_einval_for_every_function);
  CONF_CASE(s, read_of_zero_bytes_gives_einval);
  CONF_CASE(s, bad_socket_type_gives_einval);
  CONF_CASE(s, unix_connect_with_bindhost_gives_einval);
  CONF_CASE(s, arguments_are_checked_before_closed_before_kind);
  CONF_CASE(s, blocking_calls_outside_a_fiber_give_enotfiber);
  CONF_CASE(s, nonblocking_calls_work_outside_a_fiber);
  CONF_CASE(s, strerror_and_err_name_name_every_code);
}
