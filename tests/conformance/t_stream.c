/* t_stream.c — conformance: byte streams. Echo over TCP v4/v6 and unix
 * (path, abstract), read/chunk/read_all semantics, EOF, zero and 16 MiB
 * writes, names, bind addresses, refused and missing peers, listen clashes. */
#include <stdlib.h>
#include <string.h>

#include "conf.h"

#define MSG "hello, jnet"
#define MSG_LEN (sizeof MSG - 1)
#define BIG_BYTES (16u << 20)

/* Client writes MSG, server echoes it, client reads it back, client closes,
 * server reads EOF. */
static void echo_on(conf *t, const char *host, const char *path) {
  CONF_REC(t, 0, conf_pair(t, host, path));
  CONF_REC(t, 1, jnet_write(t->cli, MSG, MSG_LEN, CONF_T));
  CONF_REC(t, 2, jnet_chunk(t->acc, MSG_LEN, &t->buf[0], CONF_T));
  CONF_REC(t, 3, jnet_write(t->acc, t->buf[0].data, t->buf[0].len, CONF_T));
  CONF_REC(t, 4, jnet_chunk(t->cli, MSG_LEN, &t->buf[1], CONF_T));
  CONF_REC(t, 5, conf_buf_is(&t->buf[1], MSG));
  CONF_REC(t, 6, jnet_close(t->cli));
  CONF_REC(t, 7, jnet_read(t->acc, 64, &t->buf[2], CONF_T));
  t->done = 1;
}

static void check_echo(conf *t) {
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, MSG_LEN);
  CONF_EQ(t, 3, 0);
  CONF_EQ(t, 4, MSG_LEN);
  CONF_EQ(t, 5, 1);
  CONF_EQ(t, 6, 0);
  CONF_EQ(t, 7, 0);
}

static void f_echo_v4(void *arg) { echo_on(arg, "127.0.0.1", NULL); }
static void f_echo_v6(void *arg) { echo_on(arg, "::1", NULL); }
static void f_echo_unix(void *arg) {
  conf *t = arg;
  echo_on(t, JNET_UNIX, t->path);
}

START_TEST(echo_tcp_v4) {
  conf *t = conf_open();
  conf_run(t, f_echo_v4);
  check_echo(t);
  conf_close(t);
}
END_TEST

START_TEST(echo_tcp_v6) {
  conf *t = conf_open();
  conf_run(t, f_echo_v6);
  check_echo(t);
  conf_close(t);
}
END_TEST

START_TEST(echo_unix_path) {
  conf *t = conf_open();
  conf_unix_path(t, t->path, sizeof t->path);
  conf_run(t, f_echo_unix);
  check_echo(t);
  conf_close(t);
}
END_TEST

START_TEST(echo_unix_abstract) {
  conf *t = conf_open();
  conf_abstract_name(t->path, sizeof t->path);
  conf_run(t, f_echo_unix);
  check_echo(t);
  conf_close(t);
}
END_TEST

static void f_read_partial(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_write(t->acc, "abcde", 5, CONF_T));
  CONF_REC(t, 2, jnet_read(t->cli, 100, &t->buf[0], CONF_T));
  t->done = 1;
}

START_TEST(read_returns_early_with_partial_data) {
  conf *t = conf_open();
  conf_run(t, f_read_partial);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 5);
  ck_assert(conf_buf_is(&t->buf[0], "abcde"));
  conf_close(t);
}
END_TEST

static void f_read_appends(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_buf_append(&t->buf[0], "xyz", 3));
  CONF_REC(t, 2, jnet_write(t->acc, "abc", 3, CONF_T));
  CONF_REC(t, 3, jnet_read(t->cli, 100, &t->buf[0], CONF_T));
  t->done = 1;
}

START_TEST(read_appends_to_existing_buffer) {
  conf *t = conf_open();
  conf_run(t, f_read_appends);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, 3);
  ck_assert(conf_buf_is(&t->buf[0], "xyzabc"));
  conf_close(t);
}
END_TEST

static void f_read_limit(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_write(t->acc, "0123456789", 10, CONF_T));
  conf_settle(); /* all ten bytes are there before the first read */
  CONF_REC(t, 3, jnet_read(t->cli, 4, &t->buf[0], CONF_T));
  CONF_REC(t, 4, jnet_read(t->cli, 100, &t->buf[1], CONF_T));
  t->done = 1;
}

START_TEST(read_never_returns_more_than_n) {
  conf *t = conf_open();
  conf_run(t, f_read_limit);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 3, 4);
  ck_assert(conf_buf_is(&t->buf[0], "0123"));
  CONF_EQ(t, 4, 6);
  ck_assert(conf_buf_is(&t->buf[1], "456789"));
  conf_close(t);
}
END_TEST

static void f_read_all(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_buf_append(&t->buf[0], "> ", 2));
  CONF_REC(t, 2, jnet_write(t->acc, "one ", 4, CONF_T));
  CONF_REC(t, 3, jnet_write(t->acc, "two ", 4, CONF_T));
  CONF_REC(t, 4, jnet_write(t->acc, "three", 5, CONF_T));
  CONF_REC(t, 5, jnet_close(t->acc));
  CONF_REC(t, 6, jnet_read_all(t->cli, &t->buf[0], CONF_T));
  CONF_REC(t, 7, jnet_read_all(t->cli, &t->buf[1], CONF_T));
  t->done = 1;
}

START_TEST(read_all_reads_to_eof_and_appends) {
  conf *t = conf_open();
  conf_run(t, f_read_all);
  for (int i = 0; i <= 5; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 6, 13);
  ck_assert(conf_buf_is(&t->buf[0], "> one two three"));
  CONF_EQ(t, 7, 0); /* already at EOF */
  conf_close(t);
}
END_TEST

/* The peer writes 3, then 4, then 7 bytes with pauses; chunk(10) waits for
 * all ten. */
static void f_chunk_writer(void *arg) {
  conf *t = arg;
  CONF_REC(t, 10, jnet_write(t->acc, "abc", 3, CONF_T));
  jnet_sleep(0.03);
  CONF_REC(t, 11, jnet_write(t->acc, "defg", 4, CONF_T));
  jnet_sleep(0.03);
  CONF_REC(t, 12, jnet_write(t->acc, "hijklmn", 7, CONF_T));
}

static void f_chunk_exact(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_go(NULL, f_chunk_writer, t));
  CONF_REC(t, 2, jnet_chunk(t->cli, 10, &t->buf[0], CONF_T));
  CONF_REC(t, 3, jnet_chunk(t->cli, 4, &t->buf[1], CONF_T));
  t->done = 1;
}

START_TEST(chunk_waits_for_exactly_n_bytes) {
  conf *t = conf_open();
  conf_run(t, f_chunk_exact);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 10);
  ck_assert(conf_buf_is(&t->buf[0], "abcdefghij"));
  CONF_EQ(t, 3, 4);
  ck_assert(conf_buf_is(&t->buf[1], "klmn"));
  CONF_EQ(t, 10, 0);
  CONF_EQ(t, 11, 0);
  CONF_EQ(t, 12, 0);
  conf_close(t);
}
END_TEST

static void f_chunk_eof(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_write(t->acc, "abc", 3, CONF_T));
  CONF_REC(t, 2, jnet_close(t->acc));
  CONF_REC(t, 3, jnet_chunk(t->cli, 10, &t->buf[0], CONF_T));
  CONF_REC(t, 4, jnet_chunk(t->cli, 10, &t->buf[1], CONF_T));
  t->done = 1;
}

START_TEST(chunk_at_eof_returns_what_arrived) {
  conf *t = conf_open();
  conf_run(t, f_chunk_eof);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, 3);
  ck_assert(conf_buf_is(&t->buf[0], "abc"));
  CONF_EQ(t, 4, 0);
  ck_assert_uint_eq(t->buf[1].len, 0);
  conf_close(t);
}
END_TEST

static void f_eof(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_close(t->acc));
  CONF_REC(t, 2, jnet_read(t->cli, 10, &t->buf[0], CONF_T));
  CONF_REC(t, 3, jnet_read(t->cli, 10, &t->buf[0], CONF_T));
  CONF_REC(t, 4, jnet_read_all(t->cli, &t->buf[0], CONF_T));
  t->done = 1;
}

START_TEST(eof_is_a_read_of_zero) {
  conf *t = conf_open();
  conf_run(t, f_eof);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, 0);
  CONF_EQ(t, 4, 0);
  ck_assert_uint_eq(t->buf[0].len, 0);
  conf_close(t);
}
END_TEST

static void f_write_zero(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_write(t->cli, "", 0, CONF_T));
  CONF_REC(t, 2, jnet_write(t->cli, NULL, 0, CONF_T));
  CONF_REC(t, 3, jnet_write(t->cli, "x", 1, CONF_T));
  CONF_REC(t, 4, jnet_close(t->cli));
  CONF_REC(t, 5, jnet_read_all(t->acc, &t->buf[0], CONF_T));
  t->done = 1;
}

START_TEST(write_of_zero_bytes_returns_zero) {
  conf *t = conf_open();
  conf_run(t, f_write_zero);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, 0);
  CONF_EQ(t, 4, 0);
  CONF_EQ(t, 5, 1);
  ck_assert(conf_buf_is(&t->buf[0], "x"));
  conf_close(t);
}
END_TEST

static void f_big_writer(void *arg) {
  conf *t = arg;
  CONF_REC(t, 10, jnet_write(t->acc, t->big, t->big_len, 60.0));
  CONF_REC(t, 11, jnet_close(t->acc));
}

static void f_big(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_go(NULL, f_big_writer, t));
  CONF_REC(t, 2, jnet_read_all(t->cli, &t->buf[0], 60.0));
  t->done = 1;
}

START_TEST(write_16mib_arrives_intact) {
  conf *t = conf_open();
  t->big_len = BIG_BYTES;
  t->big = malloc(t->big_len);
  ck_assert_ptr_nonnull(t->big);
  conf_fill(t->big, t->big_len, 16);
  conf_run(t, f_big);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 10, 0);
  CONF_EQ(t, 11, 0);
  CONF_EQ(t, 2, BIG_BYTES);
  ck_assert_uint_eq(t->buf[0].len, BIG_BYTES);
  ck_assert(conf_hash(t->buf[0].data, t->buf[0].len) ==
            conf_hash(t->big, t->big_len));
  conf_close(t);
}
END_TEST

/* a:local == b:peer and the other way round, and the listener's name is
 * the client's peer. */
static void names_on(conf *t, const char *host) {
  jnet_addr cl, cp, al, ap, sl;
  CONF_REC(t, 0, conf_pair(t, host, NULL));
  CONF_REC(t, 1, jnet_localname(t->cli, &cl));
  CONF_REC(t, 2, jnet_peername(t->cli, &cp));
  CONF_REC(t, 3, jnet_localname(t->acc, &al));
  CONF_REC(t, 4, jnet_peername(t->acc, &ap));
  CONF_REC(t, 5, jnet_localname(t->srv, &sl));
  CONF_REC(t, 6, conf_addr_same(&cl, &ap));
  CONF_REC(t, 7, conf_addr_same(&cp, &al));
  CONF_REC(t, 8, conf_addr_same(&sl, &cp));
  char h[64];
  int p = 0;
  CONF_REC(t, 9,
           jnet_address_unpack(&cl, h, sizeof h, &p) == 0 &&
               strcmp(h, host) == 0 && p > 0);
  t->done = 1;
}

static void f_names_v4(void *arg) { names_on(arg, "127.0.0.1"); }
static void f_names_v6(void *arg) { names_on(arg, "::1"); }

static void check_names(conf *t) {
  for (int i = 0; i <= 5; i++)
    CONF_EQ(t, i, 0);
  for (int i = 6; i <= 9; i++)
    CONF_EQ(t, i, 1);
}

START_TEST(localname_and_peername_agree_v4) {
  conf *t = conf_open();
  conf_run(t, f_names_v4);
  check_names(t);
  conf_close(t);
}
END_TEST

START_TEST(localname_and_peername_agree_v6) {
  conf *t = conf_open();
  conf_run(t, f_names_v6);
  check_names(t);
  conf_close(t);
}
END_TEST

/* A port that was just free: listen on an ephemeral one and close it. */
static int free_port(const char *host, char *port) {
  jnet_stream s;
  int rc = jnet_listen(host, NULL, JNET_STREAM, &s);
  if (rc < 0)
    return rc;
  rc = conf_port(s, port);
  jnet_close(s);
  return rc;
}

static void bind_on(conf *t, const char *host) {
  char port[16], bport[16];
  jnet_addr a;
  jnet_stream srv, cli, acc;
  CONF_REC(t, 0, jnet_listen(host, NULL, JNET_STREAM, &srv));
  conf_keep(t, srv);
  CONF_REC(t, 1, conf_port(srv, port));
  CONF_REC(t, 2, free_port(host, bport));
  CONF_REC(t, 3, jnet_connect(host, port, JNET_STREAM, host, bport, &cli));
  conf_keep(t, cli);
  CONF_REC(t, 4, jnet_localname(cli, &a));
  CONF_REC(t, 5, conf_addr_is(&a, host, atoi(bport)));
  CONF_REC(t, 6, jnet_accept(srv, CONF_T, &acc));
  conf_keep(t, acc);
  CONF_REC(t, 7, jnet_peername(acc, &a));
  CONF_REC(t, 8, conf_addr_is(&a, host, atoi(bport)));
  t->done = 1;
}

static void f_bind_v4(void *arg) { bind_on(arg, "127.0.0.1"); }
static void f_bind_v6(void *arg) { bind_on(arg, "::1"); }

static void check_bind(conf *t) {
  for (int i = 0; i <= 4; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 5, 1);
  CONF_EQ(t, 6, 0);
  CONF_EQ(t, 7, 0);
  CONF_EQ(t, 8, 1);
}

START_TEST(connect_bindhost_bindport_honoured_v4) {
  conf *t = conf_open();
  conf_run(t, f_bind_v4);
  check_bind(t);
  conf_close(t);
}
END_TEST

START_TEST(connect_bindhost_bindport_honoured_v6) {
  conf *t = conf_open();
  conf_run(t, f_bind_v6);
  check_bind(t);
  conf_close(t);
}
END_TEST

static void refused_on(conf *t, const char *host) {
  char port[16];
  jnet_stream s = JNET_NOSTREAM;
  CONF_REC(t, 0, free_port(host, port));
  CONF_REC(t, 1, jnet_connect(host, port, JNET_STREAM, NULL, NULL, &s));
  t->done = 1;
}

static void f_refused_v4(void *arg) { refused_on(arg, "127.0.0.1"); }
static void f_refused_v6(void *arg) { refused_on(arg, "::1"); }

START_TEST(connect_refused_gives_econnrefused_v4) {
  conf *t = conf_open();
  conf_run(t, f_refused_v4);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, JNET_ECONNREFUSED);
  conf_close(t);
}
END_TEST

START_TEST(connect_refused_gives_econnrefused_v6) {
  conf *t = conf_open();
  conf_run(t, f_refused_v6);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, JNET_ECONNREFUSED);
  conf_close(t);
}
END_TEST

static void f_unix_missing(void *arg) {
  conf *t = arg;
  jnet_stream s;
  CONF_REC(t, 0, jnet_connect(JNET_UNIX, t->path, JNET_STREAM, NULL, NULL, &s));
  t->done = 1;
}

START_TEST(unix_connect_to_missing_path_gives_enoent) {
  conf *t = conf_open();
  conf_unix_path(t, t->path, sizeof t->path);
  conf_run(t, f_unix_missing);
  CONF_EQ(t, 0, JNET_ENOENT);
  conf_close(t);
}
END_TEST

static void f_unix_long(void *arg) {
  conf *t = arg;
  char path[200], abs[200];
  jnet_stream s;
  jnet_addr a;
  memset(path, 'p', sizeof path - 1);
  memcpy(path, "/tmp/", 5);
  path[sizeof path - 1] = '\0';
  memset(abs, 'a', sizeof abs - 1);
  abs[0] = '@';
  abs[sizeof abs - 1] = '\0';
  CONF_REC(t, 0, jnet_listen(JNET_UNIX, path, JNET_STREAM, &s));
  CONF_REC(t, 1, jnet_connect(JNET_UNIX, path, JNET_STREAM, NULL, NULL, &s));
  CONF_REC(t, 2, jnet_address(JNET_UNIX, path, JNET_STREAM, &a));
  CONF_REC(t, 3, jnet_listen(JNET_UNIX, abs, JNET_STREAM, &s));
  CONF_REC(t, 4, jnet_address(JNET_UNIX, abs, JNET_STREAM, &a));
  t->done = 1;
}

START_TEST(unix_path_too_long_gives_enametoolong) {
  conf *t = conf_open();
  conf_run(t, f_unix_long);
  for (int i = 0; i <= 4; i++)
    CONF_EQ(t, i, JNET_ENAMETOOLONG);
  conf_close(t);
}
END_TEST

static void f_unix_unlink(void *arg) {
  conf *t = arg;
  jnet_stream s, c;
  CONF_REC(t, 0, jnet_listen(JNET_UNIX, t->path, JNET_STREAM, &s));
  CONF_REC(t, 1, jnet_close(s));
  CONF_REC(t, 2, jnet_connect(JNET_UNIX, t->path, JNET_STREAM, NULL, NULL, &c));
  CONF_REC(t, 3, jnet_listen(JNET_UNIX, t->path, JNET_STREAM, &s));
  CONF_REC(t, 4, jnet_close(s));
  t->done = 1;
}

START_TEST(unix_listener_path_is_unlinked_by_close) {
  conf *t = conf_open();
  conf_unix_path(t, t->path, sizeof t->path);
  conf_run(t, f_unix_unlink);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, JNET_ENOENT); /* a path left behind gives ECONNREFUSED */
  CONF_EQ(t, 3, 0);           /* and makes this EADDRINUSE */
  CONF_EQ(t, 4, 0);
  conf_close(t);
}
END_TEST

static void f_listen_twice(void *arg) {
  conf *t = arg;
  char port[16], abs[64];
  jnet_stream a, b;
  CONF_REC(t, 0, jnet_listen("127.0.0.1", NULL, JNET_STREAM, &a));
  conf_keep(t, a);
  CONF_REC(t, 1, conf_port(a, port));
  CONF_REC(t, 2, jnet_listen("127.0.0.1", port, JNET_STREAM, &b));
  CONF_REC(t, 3, jnet_listen(JNET_UNIX, t->path, JNET_STREAM, &a));
  conf_keep(t, a);
  CONF_REC(t, 4, jnet_listen(JNET_UNIX, t->path, JNET_STREAM, &b));
  conf_abstract_name(abs, sizeof abs);
  CONF_REC(t, 5, jnet_listen(JNET_UNIX, abs, JNET_STREAM, &a));
  conf_keep(t, a);
  CONF_REC(t, 6, jnet_listen(JNET_UNIX, abs, JNET_STREAM, &b));
  t->done = 1;
}

START_TEST(second_listen_on_same_address_gives_eaddrinuse) {
  conf *t = conf_open();
  conf_unix_path(t, t->path, sizeof t->path);
  conf_run(t, f_listen_twice);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, JNET_EADDRINUSE);
  CONF_EQ(t, 3, 0);
  CONF_EQ(t, 4, JNET_EADDRINUSE);
  CONF_EQ(t, 5, 0);
  CONF_EQ(t, 6, JNET_EADDRINUSE);
  conf_close(t);
}
END_TEST

static void f_nonlocal(void *arg) {
  conf *t = arg;
  jnet_stream s;
  CONF_REC(t, 0, jnet_listen("203.0.113.77", NULL, JNET_STREAM, &s));
  CONF_REC(t, 1, jnet_listen("203.0.113.77", NULL, JNET_DATAGRAM, &s));
  t->done = 1;
}

START_TEST(listen_on_non_local_address_gives_eaddrnotavail) {
  conf *t = conf_open();
  conf_run(t, f_nonlocal);
  CONF_EQ(t, 0, JNET_EADDRNOTAVAIL);
  CONF_EQ(t, 1, JNET_EADDRNOTAVAIL);
  conf_close(t);
}
END_TEST

static void f_flush(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_write(t->cli, "ab", 2, CONF_T));
  CONF_REC(t, 2, jnet_flush(t->cli));
  CONF_REC(t, 3, jnet_chunk(t->acc, 2, &t->buf[0], CONF_T));
  CONF_REC(t, 4, jnet_flush(t->srv));
  t->done = 1;
}

START_TEST(flush_sends_and_is_enotsup_on_listener) {
  conf *t = conf_open();
  conf_run(t, f_flush);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, 2);
  CONF_EQ(t, 4, JNET_ENOTSUP);
  conf_close(t);
}
END_TEST

static void f_unix_flush(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, JNET_UNIX, t->path));
  CONF_REC(t, 1, jnet_write(t->cli, "ab", 2, CONF_T));
  CONF_REC(t, 2, jnet_flush(t->cli));
  CONF_REC(t, 3, jnet_chunk(t->acc, 2, &t->buf[0], CONF_T));
  t->done = 1;
}

START_TEST(flush_on_unix_stream_is_a_noop) {
  conf *t = conf_open();
  conf_unix_path(t, t->path, sizeof t->path);
  conf_run(t, f_unix_flush);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, 2);
  conf_close(t);
}
END_TEST

/* Janet's suite re-listens on the same port after each round (SO_REUSEADDR,
 * with connections of the last round in TIME_WAIT); abstract names too. */
static void f_relisten(void *arg) {
  conf *t = arg;
  char port[16], abs[64];
  jnet_stream a, c;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, conf_port(t->srv, port));
  CONF_REC(t, 2, jnet_write(t->cli, "x", 1, CONF_T));
  CONF_REC(t, 3, jnet_chunk(t->acc, 1, &t->buf[0], CONF_T));
  CONF_REC(t, 4, jnet_close(t->acc)); /* the server side closes first */
  CONF_REC(t, 5, jnet_read(t->cli, 10, &t->buf[0], CONF_T));
  CONF_REC(t, 6, jnet_close(t->cli));
  CONF_REC(t, 7, jnet_close(t->srv));
  CONF_REC(t, 8, jnet_listen("127.0.0.1", port, JNET_STREAM, &a));
  conf_keep(t, a);
  conf_abstract_name(abs, sizeof abs);
  CONF_REC(t, 9, jnet_listen(JNET_UNIX, abs, JNET_STREAM, &c));
  CONF_REC(t, 10, jnet_close(c));
  CONF_REC(t, 11, jnet_connect(JNET_UNIX, abs, JNET_STREAM, NULL, NULL, &c));
  CONF_REC(t, 12, jnet_listen(JNET_UNIX, abs, JNET_STREAM, &c));
  conf_keep(t, c);
  t->done = 1;
}

START_TEST(listen_again_on_the_same_address_after_close) {
  conf *t = conf_open();
  conf_run(t, f_relisten);
  for (int i = 0; i <= 2; i++)
    CONF_EQ(t, i, 0);
  CONF_EQ(t, 3, 1);
  CONF_EQ(t, 4, 0);
  CONF_EQ(t, 5, 0);
  CONF_EQ(t, 6, 0);
  CONF_EQ(t, 7, 0);
  CONF_EQ(t, 8, 0);
  CONF_EQ(t, 9, 0);
  CONF_EQ(t, 10, 0);
  CONF_EQ(t, 11, JNET_ECONNREFUSED); /* an abstract name has no file */
  CONF_EQ(t, 12, 0);
  conf_close(t);
}
END_TEST

/* Closing with unread data resets the connection (Linux, and the sim's
 * TCP model): the peer's next read gives JNET_ECONNRESET. */
static void f_reset(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, conf_pair(t, "127.0.0.1", NULL));
  CONF_REC(t, 1, jnet_write(t->cli, "unread", 6, CONF_T));
  jnet_sleep(0.05); /* it is in acc's receive queue */
  CONF_REC(t, 2, jnet_close(t->acc));
  CONF_REC(t, 3, jnet_read(t->cli, 10, &t->buf[0], CONF_T));
  t->done = 1;
}

START_TEST(close_with_unread_data_resets_the_peer) {
  conf *t = conf_open();
  conf_run(t, f_reset);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, JNET_ECONNRESET);
  conf_close(t);
}
END_TEST

void conf_add_stream(Suite *s) {
  CONF_CASE(s, echo_tcp_v4);
  CONF_CASE(s, echo_tcp_v6);
  CONF_CASE(s, echo_unix_path);
  CONF_CASE(s, echo_unix_abstract);
  CONF_CASE(s, read_returns_early_with_partial_data);
  CONF_CASE(s, read_appends_to_existing_buffer);
  CONF_CASE(s, read_never_returns_more_than_n);
  CONF_CASE(s, read_all_reads_to_eof_and_appends);
  CONF_CASE(s, chunk_waits_for_exactly_n_bytes);
  CONF_CASE(s, chunk_at_eof_returns_what_arrived);
  CONF_CASE(s, eof_is_a_read_of_zero);
  CONF_CASE(s, write_of_zero_bytes_returns_zero);
  CONF_CASE(s, write_16mib_arrives_intact);
  CONF_CASE(s, localname_and_peername_agree_v4);
  CONF_CASE(s, localname_and_peername_agree_v6);
  CONF_CASE(s, connect_bindhost_bindport_honoured_v4);
  CONF_CASE(s, connect_bindhost_bindport_honoured_v6);
  CONF_CASE(s, connect_refused_gives_econnrefused_v4);
  CONF_CASE(s, connect_refused_gives_econnrefused_v6);
  CONF_CASE(s, unix_connect_to_missing_path_gives_enoent);
  CONF_CASE(s, unix_path_too_long_gives_enametoolong);
  CONF_CASE(s, unix_listener_path_is_unlinked_by_close);
  CONF_CASE(s, second_listen_on_same_address_gives_eaddrinuse);
  CONF_CASE(s, listen_on_non_local_address_gives_eaddrnotavail);
  CONF_CASE(s, flush_sends_and_is_enotsup_on_listener);
  CONF_CASE(s, flush_on_unix_stream_is_a_noop);
  CONF_CASE(s, listen_again_on_the_same_address_after_close);
  CONF_CASE(s, close_with_unread_data_resets_the_peer);
}
