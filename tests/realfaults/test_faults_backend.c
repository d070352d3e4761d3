/* test_faults_backend.c — the fault-injecting backend over libuv, in one
 * process on loopback: an echo server and a client in fibers of one loop,
 * the rules keyed on the server's address so only the client's socket is
 * faulted. Each case asserts what a user of the client would see.
 *
 * Timing bounds are generous upward (a loaded 2-core machine), tight
 * downward (a delay can never come early).
 */
#include <check.h>
#include "jnet_check.h"
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jnet/jnet.h>
#include <jnet/jnet_faults.h>

#define MS 1000000ull

typedef struct fx {
  const jnet_backend *uv, *b;
  jnet_faults *f;
  jnet_loop *l;
  jnet_stream srv;
  jnet_addr srv_addr;
  char port[16];
  int udp;
  /* what the server saw */
  ssize_t srv_last; /* the last read's result */
  size_t srv_bytes, srv_max_read;
  double srv_eof_at;
  /* what the client saw */
  int rc[8];
  double t[8];
  jnet_buf got;
  char log[64 * 1024];
  size_t loglen;
} fx;

static fx X;

static void log_line(void *arg, const char *line) {
  fx *x = arg;
  /* keep the fault and its detail: drop the time (field 1) */
  const char *sp = strchr(line, ' ');
  int n = snprintf(x->log + x->loglen, sizeof x->log - x->loglen, "%s\n",
                   sp != NULL ? sp + 1 : line);
  if (n > 0 && (size_t)n < sizeof x->log - x->loglen)
    x->loglen += (size_t)n;
}

/* Echo every byte back until end of stream or an error. */
static void echo(jnet_stream c, void *arg) {
  fx *x = arg;
  jnet_buf b;
  jnet_buf_init(&b);
  for (;;) {
    jnet_buf_reset(&b);
    ssize_t n = jnet_read(c, 65536, &b, 5.0);
    x->srv_last = n;
    if (n <= 0) {
      if (n == 0)
        x->srv_eof_at = jnet_now();
      break;
    }
    x->srv_bytes += (size_t)n;
    if ((size_t)n > x->srv_max_read)
      x->srv_max_read = (size_t)n;
    int rc = jnet_write(c, b.data, b.len, 5.0);
    if (rc < 0) {
      x->srv_last = rc;
      break;
    }
  }
  jnet_buf_free(&b);
}

static void setup(void) {
  memset(&X, 0, sizeof X);
  X.uv = jnet_backend_uv();
  ck_assert_ptr_nonnull(X.uv);
  X.b = jnet_backend_faults(X.uv, 7, &X.f);
  ck_assert_ptr_nonnull(X.b);
  ck_assert_int_eq(jnet_loop_new(&X.l, X.b), 0);
  jnet_faults_log_fn(X.f, log_line, &X);
  jnet_buf_init(&X.got);
}

/* The run must have left the loop idle with nothing alive (no fiber,
 * request or open stream), as libuv's tests assert uv_loop_close() == 0. */
static void teardown(void) {
  int idle = jnet_run_once(X.l);
  int closed = jnet_loop_close(X.l);
  if (closed < 0)
    jnet_loop_free(X.l);
  X.l = NULL;
  jnet_backend_free(X.b);
  jnet_backend_free(X.uv);
  jnet_buf_free(&X.got);
  ck_assert_msg(idle == 0, "loop not idle at teardown: run_once %d", idle);
  ck_assert_msg(closed == 0, "loop left something alive: %s",
                jnet_err_name(closed));
}

/* Start the echo server (TCP) in the loop's first fiber, then `client`. */
static void start_server(void *arg) {
  void (*client)(void *) = (void (*)(void *))arg;
  ck_assert_int_eq(
      jnet_server("127.0.0.1", "0", echo, &X, JNET_STREAM, &X.srv), 0);
  ck_assert_int_eq(jnet_localname(X.srv, &X.srv_addr), 0);
  char host[64];
  int port;
  ck_assert_int_eq(jnet_address_unpack(&X.srv_addr, host, sizeof host, &port),
                   0);
  snprintf(X.port, sizeof X.port, "%d", port);
  client(NULL);
  jnet_close(X.srv);
}

static void run_with(void (*client)(void *)) {
  ck_assert_int_eq(jnet_go(X.l, start_server, (void *)client), 0);
  ck_assert_int_eq(jnet_run(X.l), 0);
}

/* Set `p` for the server's address (every other peer: no rule). */
static void rule(const jnet_fault_params *p) {
  ck_assert_int_eq(jnet_faults_set(X.f, &X.srv_addr, p), 0);
}

static int dial(jnet_stream *c) {
  return jnet_connect("127.0.0.1", X.port, JNET_STREAM, NULL, NULL, c);
}

/* No fault: each client sets the one it tests. */
static jnet_fault_params no_faults(void) {
  jnet_fault_params p;
  jnet_fault_params_default(&p);
  return p;
}

/* Set `p` for the server's address, then dial it; X.rc[0] the result. */
static int dial_with(const jnet_fault_params *p, jnet_stream *c) {
  rule(p);
  return X.rc[0] = dial(c);
}

/* One echo round trip of n bytes; its time in *secs. */
static int round_trip(jnet_stream c, size_t n, double *secs) {
  char msg[4096];
  memset(msg, 'x', sizeof msg);
  double t0 = jnet_now();
  int rc = jnet_write(c, msg, n, 5.0);
  if (rc < 0)
    return rc;
  jnet_buf_reset(&X.got);
  ssize_t r = jnet_chunk(c, n, &X.got, 5.0);
  if (secs != NULL)
    *secs = jnet_now() - t0;
  return r < 0 ? (int)r : r == (ssize_t)n ? 0 : -1;
}

/* ---- no rule: a transparent wrapper ---------------------------------------- */

static void c_plain(void *arg) {
  (void)arg;
  jnet_stream c;
  X.rc[0] = dial(&c);
  if (X.rc[0] < 0)
    return;
  X.rc[1] = round_trip(c, 100, NULL);
  X.rc[2] = round_trip(c, 4000, NULL);
  jnet_close(c);
}

START_TEST(no_rule_passes_bytes_through) {
  run_with(c_plain);
  ck_assert_int_eq(X.rc[0], 0);
  ck_assert_int_eq(X.rc[1], 0);
  ck_assert_int_eq(X.rc[2], 0);
  ck_assert_uint_eq(X.srv_bytes, 4100);
  ck_assert_uint_eq(jnet_faults_count(X.f), 0);
}
END_TEST

/* A write too big for the socket buffers parks in the inner backend and
 * completes later (a reader drains the echo meanwhile). */
#define BIG_WRITE (4 * 1024 * 1024)

static void drain(void *arg) {
  jnet_stream c = *(jnet_stream *)arg;
  jnet_buf b;
  jnet_buf_init(&b);
  X.rc[3] = (int)jnet_chunk(c, BIG_WRITE, &b, 10.0);
  jnet_buf_free(&b);
  X.rc[4] = 1;
}

static void c_big_write(void *arg) {
  (void)arg;
  static jnet_stream c;
  X.rc[0] = dial(&c);
  if (X.rc[0] < 0)
    return;
  char *big = calloc(1, BIG_WRITE);
  jnet_go(NULL, drain, &c);
  X.rc[1] = jnet_write(c, big, BIG_WRITE, 10.0);
  free(big);
  for (int i = 0; i < 1000 && !X.rc[4]; i++)
    jnet_sleep(0.01);
  jnet_close(c);
}

START_TEST(no_rule_big_write_parks_then_completes) {
  run_with(c_big_write);
  ck_assert_int_eq(X.rc[0], 0);
  ck_assert_int_eq(X.rc[1], 0);
  ck_assert_int_eq(X.rc[3], BIG_WRITE);
  ck_assert_uint_eq(X.srv_bytes, BIG_WRITE);
}
END_TEST

/* ---- latency ----------------------------------------------------------------- */

static void c_latency(void *arg) {
  (void)arg;
  jnet_fault_params p = no_faults();
  p.link.latency_ns = 40 * MS;
  p.link.jitter_ns = 10 * MS;
  jnet_stream c;
  if (dial_with(&p, &c) < 0)
    return;
  X.rc[1] = round_trip(c, 64, &X.t[1]);
  X.rc[2] = round_trip(c, 64, &X.t[2]);
  jnet_faults_clear(X.f, &X.srv_addr);
  X.rc[3] = round_trip(c, 64, &X.t[3]);
  jnet_close(c);
}

START_TEST(latency_delays_each_direction) {
  run_with(c_latency);
  ck_assert_int_eq(X.rc[0], 0);
  for (int i = 1; i <= 3; i++)
    ck_assert_int_eq(X.rc[i], 0);
  /* 40 ms out, 40 ms back, + up to 10 ms jitter each way */
  ck_assert(X.t[1] >= 0.080 && X.t[1] < 0.6);
  ck_assert(X.t[2] >= 0.080 && X.t[2] < 0.6);
  ck_assert(X.t[3] < 0.060); /* rule cleared: back to loopback speed */
  ck_assert(strstr(X.log, "delay tx 64 bytes") != NULL);
  ck_assert(strstr(X.log, "delay rx 64 bytes") != NULL);
}
END_TEST

/* ---- connection faults ------------------------------------------------------- */

static void c_refuse(void *arg) {
  (void)arg;
  jnet_fault_params p = no_faults();
  p.refuse = 1;
  rule(&p);
  jnet_stream c;
  X.rc[0] = dial(&c);
  jnet_faults_clear(X.f, &X.srv_addr);
  X.rc[1] = dial(&c);
  if (X.rc[1] == 0)
    jnet_close(c);
}

START_TEST(refuse_gives_econnrefused) {
  run_with(c_refuse);
  ck_assert_int_eq(X.rc[0], JNET_ECONNREFUSED);
  ck_assert_int_eq(X.rc[1], 0);
  ck_assert(strstr(X.log, "refuse connect") != NULL);
}
END_TEST

static void c_reset(void *arg) {
  (void)arg;
  jnet_fault_params p = no_faults();
  p.reset_after_bytes = 1000; /* counted both ways */
  jnet_stream c;
  if (dial_with(&p, &c) < 0)
    return;
  X.rc[1] = round_trip(c, 400, NULL); /* 800 bytes */
  X.rc[2] = round_trip(c, 400, NULL); /* crosses 1000 */
  X.rc[3] = jnet_write(c, "x", 1, 1.0);
  jnet_sleep(0.1); /* let the server see the RST */
  jnet_close(c);
}

START_TEST(reset_after_bytes_gives_econnreset_both_ends) {
  run_with(c_reset);
  ck_assert_int_eq(X.rc[1], 0);
  ck_assert_int_eq(X.rc[2], JNET_ECONNRESET);
  ck_assert_int_eq(X.rc[3], JNET_ECONNRESET);
  /* the server got 200 bytes of the second request, then a RST */
  ck_assert_uint_eq(X.srv_bytes, 600);
  ck_assert_int_eq(X.srv_last, JNET_ECONNRESET);
  ck_assert(strstr(X.log, "reset after bytes") != NULL);
}
END_TEST

/* The smallest limit, one byte: the stream is reset as soon as the byte
 * is out, not at the next call; the server sees the RST while the client
 * sits idle. */
static void c_reset_one(void *arg) {
  (void)arg;
  jnet_fault_params p = no_faults();
  p.reset_after_bytes = 1;
  jnet_stream c;
  if (dial_with(&p, &c) < 0)
    return;
  X.rc[1] = jnet_write(c, "x", 1, 1.0);
  jnet_sleep(0.2);               /* the client does nothing */
  X.rc[2] = (int)X.srv_last;     /* what the server has seen meanwhile */
  jnet_buf_reset(&X.got);
  X.rc[3] = (int)jnet_read(c, 100, &X.got, 1.0);
  jnet_close(c);
}

START_TEST(reset_after_one_byte_resets_at_once) {
  run_with(c_reset_one);
  ck_assert_int_eq(X.rc[0], 0);
  ck_assert_int_eq(X.rc[1], 0);
  ck_assert_int_eq(X.rc[2], JNET_ECONNRESET);
  ck_assert_int_eq(X.rc[3], JNET_ECONNRESET);
  ck_assert_uint_eq(X.srv_bytes, 1);
}
END_TEST

/* Bytes read count toward the limit as well as bytes written, also when
 * they were already waiting in the socket when the read came. */
static void c_reset_reading(void *arg) {
  (void)arg;
  jnet_fault_params p = no_faults();
  p.reset_after_bytes = 50;
  jnet_stream c;
  if (dial_with(&p, &c) < 0)
    return;
  char msg[30];
  memset(msg, 'r', sizeof msg);
  X.rc[1] = jnet_write(c, msg, sizeof msg, 1.0); /* 30 of 50 */
  jnet_sleep(0.1);                               /* the echo is waiting */
  jnet_buf_reset(&X.got);
  X.rc[2] = (int)jnet_read(c, 100, &X.got, 1.0); /* 20 more: 50 */
  X.rc[3] = (int)jnet_read(c, 100, &X.got, 1.0);
  jnet_close(c);
}

START_TEST(reset_after_bytes_counts_bytes_read) {
  run_with(c_reset_reading);
  ck_assert_int_eq(X.rc[0], 0);
  ck_assert_int_eq(X.rc[1], 0);
  ck_assert_int_eq(X.rc[2], 20);
  ck_assert_int_eq(X.rc[3], JNET_ECONNRESET);
}
END_TEST

/* One byte at a time counts as well: 30 written, then four reads of one
 * byte reach 34 and the next read is the reset. */
static void c_reset_reading_bytewise(void *arg) {
  (void)arg;
  jnet_fault_params p = no_faults();
  p.reset_after_bytes = 34;
  jnet_stream c;
  if (dial_with(&p, &c) < 0)
    return;
  char msg[30];
  memset(msg, 'b', sizeof msg);
  X.rc[1] = jnet_write(c, msg, sizeof msg, 1.0);
  jnet_sleep(0.1); /* the echo is waiting */
  jnet_buf_reset(&X.got);
  for (int i = 0; i < 5; i++)
    X.rc[2 + i] = (int)jnet_read(c, 1, &X.got, 1.0);
  jnet_close(c);
}

START_TEST(reset_after_bytes_counts_one_byte_reads) {
  run_with(c_reset_reading_bytewise);
  ck_assert_int_eq(X.rc[0], 0);
  ck_assert_int_eq(X.rc[1], 0);
  for (int i = 2; i < 6; i++)
    ck_assert_int_eq(X.rc[i], 1);
  ck_assert_int_eq(X.rc[6], JNET_ECONNRESET);
}
END_TEST

/* A read that timed out is gone: the bytes that come later go to the next
 * read, whole. */
static void c_timed_out_read(void *arg) {
  (void)arg;
  jnet_stream c;
  X.rc[0] = dial(&c);
  if (X.rc[0] < 0)
    return;
  jnet_buf first;
  jnet_buf_init(&first);
  X.rc[1] = (int)jnet_read(c, 100, &first, 0.05);
  X.rc[2] = jnet_write(c, "later", 5, 1.0);
  jnet_buf_reset(&X.got);
  (void)jnet_buf_append(&X.got, "zzzzzzzz", 8); /* not what comes */
  jnet_buf_reset(&X.got);
  X.rc[3] = (int)jnet_chunk(c, 5, &X.got, 1.0);
  X.rc[4] = (int)first.len;
  jnet_buf_free(&first);
  jnet_close(c);
}

START_TEST(a_timed_out_read_leaves_the_next_its_bytes) {
  run_with(c_timed_out_read);
  ck_assert_int_eq(X.rc[0], 0);
  ck_assert_int_eq(X.rc[1], JNET_ETIMEDOUT);
  ck_assert_int_eq(X.rc[2], 0);
  ck_assert_int_eq(X.rc[3], 5);
  ck_assert_int_eq(X.rc[4], 0); /* the timed-out read got nothing */
  ck_assert_uint_eq(X.got.len, 5);
  ck_assert(memcmp(X.got.data, "later", 5) == 0);
}
END_TEST

/* The send queue's bound (jnet_faults.h: 256 KiB): a write that would
 * leave more waiting returns when what waits is back to 256 KiB, not when
 * its own bytes leave. Here 100 bytes leave after 20 ms; the 256 KiB
 * written behind them leave after 600 ms; the second write returns at the
 * first's departure. */
#define TX_BOUND (256 * 1024)

static void c_tx_bound(void *arg) {
  (void)arg;
  jnet_fault_params p = no_faults();
  p.link.latency_ns = 20 * MS;
  jnet_stream c;
  if (dial_with(&p, &c) < 0)
    return;
  char small[100];
  memset(small, 's', sizeof small);
  X.rc[1] = jnet_write(c, small, sizeof small, 1.0);
  p.link.latency_ns = 600 * MS;
  rule(&p);
  char *big = calloc(1, TX_BOUND);
  double t0 = jnet_now();
  X.rc[2] = jnet_write(c, big, TX_BOUND, 5.0);
  X.t[2] = jnet_now() - t0;
  free(big);
  jnet_close(c); /* the queued bytes still go out, then the FIN */
}

START_TEST(a_write_over_the_queue_bound_waits_for_room_only) {
  run_with(c_tx_bound);
  ck_assert_int_eq(X.rc[0], 0);
  ck_assert_int_eq(X.rc[1], 0);
  ck_assert_int_eq(X.rc[2], 0);
  ck_assert_msg(X.t[2] >= 0.015 && X.t[2] < 0.45, "returned after %.3f s",
                X.t[2]);
}
END_TEST

static void c_blackhole(void *arg) {
  (void)arg;
  jnet_fault_params p = no_faults();
  p.blackhole = 1;
  jnet_stream c;
  X.rc[0] = dial(&c);
  if (X.rc[0] < 0)
    return;
  rule(&p);
  X.rc[1] = jnet_write(c, "lost", 4, 1.0); /* accepted, never delivered */
  jnet_buf_reset(&X.got);
  double t0 = jnet_now();
  X.rc[2] = (int)jnet_read(c, 100, &X.got, 0.3);
  X.t[2] = jnet_now() - t0;
  jnet_faults_clear(X.f, &X.srv_addr);
  X.rc[3] = round_trip(c, 10, NULL);
  jnet_close(c);
}

START_TEST(blackhole_times_out_then_heals) {
  run_with(c_blackhole);
  ck_assert_int_eq(X.rc[1], 0);
  ck_assert_int_eq(X.rc[2], JNET_ETIMEDOUT);
  ck_assert(X.t[2] >= 0.29);
  ck_assert_int_eq(X.rc[3], 0);
  ck_assert_uint_eq(X.srv_bytes, 10); /* "lost" never arrived */
  ck_assert(strstr(X.log, "blackhole tx 4 bytes") != NULL);
}
END_TEST

static void c_close_after(void *arg) {
  (void)arg;
  jnet_fault_params p = no_faults();
  p.close_after_ns = 150 * MS;
  jnet_stream c;
  if (dial_with(&p, &c) < 0)
    return;
  double t0 = jnet_now();
  X.rc[1] = round_trip(c, 10, NULL);
  jnet_buf_reset(&X.got);
  X.rc[2] = (int)jnet_read(c, 100, &X.got, 3.0);
  X.t[2] = jnet_now() - t0;
  X.rc[3] = jnet_write(c, "x", 1, 1.0);
  jnet_sleep(0.05);
  jnet_close(c);
}

START_TEST(close_after_time_ends_the_stream) {
  run_with(c_close_after);
  ck_assert_int_eq(X.rc[1], 0);
  ck_assert_int_eq(X.rc[2], 0); /* end of stream */
  ck_assert(X.t[2] >= 0.14 && X.t[2] < 2.0);
  ck_assert_int_eq(X.rc[3], JNET_EPIPE);
  ck_assert_int_eq(X.srv_last, 0); /* the server saw our FIN */
  ck_assert(strstr(X.log, "close after 0.150s") != NULL);
}
END_TEST

/* close_after_ns for a unix stream: its connect completes at once (Linux
 * queues it on the listener's backlog), and the lifetime starts there as
 * for a TCP handshake; the every-peer rule is the one a unix peer gets.
 * The listener is a plain socket that never accepts, so the only end of
 * stream the client can see is the fault's. */
static char ca_name[64];

static void c_close_after_unix(void *arg) {
  (void)arg;
  jnet_fault_params p = no_faults();
  p.close_after_ns = 30 * MS;
  ck_assert_int_eq(jnet_faults_set(X.f, NULL, &p), 0);
  jnet_stream c;
  X.rc[0] = jnet_connect(JNET_UNIX, ca_name, JNET_STREAM, NULL, NULL, &c);
  if (X.rc[0] < 0)
    return;
  double t0 = jnet_now();
  jnet_buf_reset(&X.got);
  X.rc[1] = (int)jnet_read(c, 100, &X.got, 1.0);
  X.t[1] = jnet_now() - t0;
  X.rc[2] = jnet_write(c, "x", 1, 1.0);
  jnet_close(c);
}

START_TEST(close_after_time_ends_a_unix_stream_too) {
  snprintf(ca_name, sizeof ca_name, "@jnet-rf-close-after-%ld",
           (long)getpid());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ck_assert_int_ge(fd, 0);
  struct sockaddr_un un;
  memset(&un, 0, sizeof un);
  un.sun_family = AF_UNIX;
  size_t n = strlen(ca_name);
  memcpy(un.sun_path + 1, ca_name + 1, n - 1); /* abstract: a leading NUL */
  socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&un, len), 0);
  ck_assert_int_eq(listen(fd, 4), 0);
  ck_assert_int_eq(jnet_go(X.l, c_close_after_unix, NULL), 0);
  ck_assert_int_eq(jnet_run(X.l), 0);
  close(fd);
  ck_assert_int_eq(X.rc[0], 0);
  ck_assert_int_eq(X.rc[1], 0); /* end of stream, not the read's timeout */
  ck_assert(X.t[1] >= 0.029 && X.t[1] < 0.9);
  ck_assert_int_eq(X.rc[2], JNET_EPIPE);
  ck_assert(strstr(X.log, "close after 0.030s") != NULL);
}
END_TEST

static void c_slice(void *arg) {
  (void)arg;
  jnet_fault_params p = no_faults();
  p.slice_bytes = 100;
  p.slice_delay_ns = 3 * MS;
  jnet_stream c;
  if (dial_with(&p, &c) < 0)
    return;
  double t0 = jnet_now();
  X.rc[1] = round_trip(c, 1000, NULL);
  X.t[1] = jnet_now() - t0;
  jnet_close(c);
}

START_TEST(slice_splits_writes) {
  run_with(c_slice);
  ck_assert_int_eq(X.rc[1], 0);
  ck_assert_uint_eq(X.srv_bytes, 1000);
  ck_assert(X.t[1] >= 0.027); /* nine pauses of 3 ms */
  /* ten segments: nine cut from the write's rest, the last one whole
   * (how many the server reads at once depends on its speed) */
  size_t slices = 0;
  for (const char *p = X.log; (p = strstr(p, " slice tx 100 of ")) != NULL; p++)
    slices++;
  ck_assert_uint_eq(slices, 9);
}
END_TEST

static void c_slow_close(void *arg) {
  (void)arg;
  jnet_fault_params p = no_faults();
  p.slow_close_ns = 200 * MS;
  jnet_stream c;
  if (dial_with(&p, &c) < 0)
    return;
  X.rc[1] = round_trip(c, 10, NULL);
  X.t[0] = jnet_now();
  jnet_close(c);
  jnet_sleep(0.5);
}

START_TEST(slow_close_delays_the_fin) {
  run_with(c_slow_close);
  ck_assert_int_eq(X.rc[1], 0);
  ck_assert_int_eq(X.srv_last, 0);
  ck_assert(X.srv_eof_at - X.t[0] >= 0.19);
}
END_TEST

/* ---- bandwidth ------------------------------------------------------------------ */

static void c_bandwidth(void *arg) {
  (void)arg;
  jnet_fault_params p = no_faults();
  p.link.bandwidth_bps = 8000000; /* 1 MB/s each way */
  jnet_stream c;
  if (dial_with(&p, &c) < 0)
    return;
  static char big[300000];
  memset(big, 'b', sizeof big);
  X.rc[1] = jnet_write(c, big, sizeof big, 5.0);
  /* the rate from the first byte back to the last: connection set-up
   * and the first segment's trip are not bandwidth */
  jnet_buf_reset(&X.got);
  ssize_t first = jnet_read(c, sizeof big, &X.got, 5.0);
  double t1 = jnet_now();
  ssize_t r = first > 0 ? jnet_chunk(c, sizeof big - (size_t)first, &X.got,
                                     5.0)
                        : first;
  X.rc[2] = first > 0 && r == (ssize_t)sizeof big - first ? 0 : (int)r;
  X.t[2] = jnet_now() - t1;
  X.t[3] = (double)(sizeof big - (size_t)(first > 0 ? first : 0)); /* bytes */
  jnet_close(c);
}

START_TEST(bandwidth_paces_within_20_percent) {
  run_with(c_bandwidth);
  ck_assert_int_eq(X.rc[1], 0);
  ck_assert_int_eq(X.rc[2], 0);
  /* 300 kB out at 1 MB/s, back at 1 MB/s, pipelined: the rate the user
   * sees is within 20 % of the cap */
  double rate = X.t[3] / X.t[2];
  ck_assert_msg(rate >= 0.8e6 && rate <= 1.2e6, "rate %.0f B/s in %.3f s",
                rate, X.t[2]);
}
END_TEST

/* ---- datagrams --------------------------------------------------------------------- */

#define NDGRAMS 2000

static void udp_sink(void *arg) {
  (void)arg;
  jnet_buf b;
  jnet_buf_init(&b);
  for (;;) {
    jnet_buf_reset(&b);
    ssize_t n = jnet_recv_from(X.srv, 2048, &b, 0.5, NULL);
    if (n < 0)
      break;
    X.srv_bytes++;
  }
  jnet_buf_free(&b);
}

/* Lines of the fault log that hold `what` ("drop", "duplicate"). */
static size_t log_count(const char *what) {
  size_t n = 0, len = strlen(what);
  for (const char *p = X.log; (p = strstr(p, what)) != NULL; p += len)
    n += p > X.log && p[-1] == ' ' && p[len] == ' ';
  return n;
}

static void c_udp(void *arg) {
  double loss = *(double *)arg;
  ck_assert_int_eq(jnet_listen("127.0.0.1", "0", JNET_DATAGRAM, &X.srv), 0);
  ck_assert_int_eq(jnet_localname(X.srv, &X.srv_addr), 0);
  jnet_fault_params p = no_faults();
  p.link.loss = loss;
  p.link.duplicate = 0.05;
  p.link.corrupt = 0.05;
  rule(&p);
  jnet_go(NULL, udp_sink, NULL);
  jnet_stream c;
  ck_assert_int_eq(jnet_listen("127.0.0.1", "0", JNET_DATAGRAM, &c), 0);
  char msg[64];
  memset(msg, 'u', sizeof msg);
  for (int i = 0; i < NDGRAMS; i++) {
    X.rc[0] = jnet_send_to(c, &X.srv_addr, msg, sizeof msg, 1.0);
    if (X.rc[0] < 0)
      break;
    if (i % 50 == 49)
      jnet_sleep(0.002); /* let the sink drain the socket */
  }
  /* Every datagram accounted for (each fault is drawn when the inner
   * socket sends or reads it, and logged at once): the sink has them
   * all, no need to wait out 0.7 s of silence. 0.7 s at most as before. */
  for (int w = 0; w < 70 && X.srv_bytes != NDGRAMS - log_count("drop") +
                                               log_count("duplicate");
       w++)
    jnet_sleep(0.01);
  jnet_close(c);
  jnet_close(X.srv);
}

static void run_udp(double loss) {
  static double l;
  l = loss;
  ck_assert_int_eq(jnet_go(X.l, c_udp, &l), 0);
  ck_assert_int_eq(jnet_run(X.l), 0);
}

START_TEST(udp_loss_within_bounds_and_logged) {
  run_udp(0.3);
  ck_assert_int_eq(X.rc[0], 0);
  /* delivered = sent - lost + duplicated: mean 2000 * 0.7 * 1.05 = 1470,
   * sd ~ 21; six sd either way */
  ck_assert_msg(X.srv_bytes >= 1340 && X.srv_bytes <= 1600, "got %zu",
                X.srv_bytes);
  size_t drops = 0;
  for (const char *p = X.log; (p = strstr(p, " drop tx ")) != NULL; p++)
    drops++;
  ck_assert_msg(drops >= 520 && drops <= 680, "drops %zu", drops);
}
END_TEST

/* The same seed, the same calls: the same fault log (times aside). */
START_TEST(same_seed_same_fault_log) {
  run_udp(0.2);
  char *first = strdup(X.log);
  ck_assert_uint_gt(strlen(first), 1000);
  teardown();
  setup();
  run_udp(0.2);
  /* ports differ between runs: compare the faults, not the peers */
  char *a = first, *b = X.log;
  size_t lines = 0;
  while (*a && *b) {
    const char *fa = strchr(a, ' '), *fb = strchr(b, ' ');
    const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
    ck_assert(fa && fb && ea && eb);
    ck_assert_int_eq(ea - fa, eb - fb);
    ck_assert(memcmp(fa, fb, (size_t)(ea - fa)) == 0);
    a = (char *)ea + 1;
    b = (char *)eb + 1;
    lines++;
  }
  ck_assert(*a == 0 && *b == 0);
  ck_assert_uint_gt(lines, 300);
  free(first);
}
END_TEST

/* ---- failing the Nth call ------------------------------------------------------ */

static void c_fail_call(void *arg) {
  (void)arg;
  jnet_stream c;
  ck_assert_int_eq(
      jnet_faults_fail_call(X.f, JNET_FAULTS_CONNECT, 1, JNET_ENETUNREACH, 0),
      0);
  X.rc[0] = dial(&c);  /* 1st: fails */
  X.rc[1] = dial(&c);  /* 2nd: fine */
  if (X.rc[1] < 0)
    return;
  jnet_close(c);
  /* only this fiber sends datagrams: the count is exact */
  jnet_stream u;
  jnet_addr dst = X.srv_addr;
  ck_assert_int_eq(jnet_listen("127.0.0.1", "0", JNET_DATAGRAM, &u), 0);
  ck_assert_int_eq(
      jnet_faults_fail_call(X.f, JNET_FAULTS_SEND_TO, 2, JNET_EPIPE, 1), 0);
  X.rc[2] = jnet_send_to(u, &dst, "a", 1, 1.0); /* 1st */
  X.rc[3] = jnet_send_to(u, &dst, "b", 1, 1.0); /* 2nd: fails */
  X.rc[4] = jnet_send_to(u, &dst, "c", 1, 1.0); /* persistent */
  jnet_faults_fail_call(X.f, JNET_FAULTS_SEND_TO, 0, JNET_EPIPE, 0);
  X.rc[5] = jnet_send_to(u, &dst, "d", 1, 1.0); /* disarmed */
  jnet_close(u);
}

START_TEST(fail_call_nth_once_and_persistent) {
  run_with(c_fail_call);
  ck_assert_int_eq(X.rc[0], JNET_ENETUNREACH);
  ck_assert_int_eq(X.rc[1], 0);
  ck_assert_int_eq(X.rc[2], 0);
  ck_assert_int_eq(X.rc[3], JNET_EPIPE);
  ck_assert_int_eq(X.rc[4], JNET_EPIPE);
  ck_assert_int_eq(X.rc[5], 0);
  ck_assert_uint_eq(jnet_faults_fail_fired(X.f, JNET_FAULTS_CONNECT), 1);
  ck_assert(strstr(X.log, "fail-call send_to #2 EPIPE") != NULL);
  ck_assert(strstr(X.log, "fail-call send_to #3 EPIPE") != NULL);
}
END_TEST

START_TEST(bad_arguments_are_einval) {
  jnet_fault_params p = no_faults();
  p.link.loss = 1.5;
  ck_assert_int_eq(jnet_faults_set(X.f, NULL, &p), JNET_EINVAL);
  ck_assert_int_eq(jnet_faults_set(NULL, NULL, &p), JNET_EINVAL);
  p = no_faults();
  p.link.jitter_dist = JNET_JITTER_PARETO + 1; /* no such distribution */
  ck_assert_int_eq(jnet_faults_set(X.f, NULL, &p), JNET_EINVAL);
  ck_assert_int_eq(jnet_faults_clear(X.f, NULL), JNET_ENOENT); /* not set */
  ck_assert_uint_eq(jnet_faults_fail_fired(NULL, JNET_FAULTS_READ), 0);
  ck_assert_uint_eq(jnet_faults_fail_fired(X.f, JNET_FAULTS_NSLOTS), 0);
  ck_assert_uint_eq(jnet_faults_fail_fired(X.f, -1), 0);
  ck_assert_int_eq(jnet_faults_clear(X.f, NULL), JNET_ENOENT);
  ck_assert_int_eq(jnet_faults_fail_call(X.f, 99, 1, JNET_EPIPE, 0), JNET_EINVAL);
  ck_assert_int_eq(jnet_faults_fail_call(X.f, 0, 1, 5, 0), JNET_EINVAL);
  ck_assert_ptr_null(jnet_backend_faults(NULL, 1, NULL));
  ck_assert_str_eq(jnet_faults_slot_name(JNET_FAULTS_READ), "read");
  /* every slot has its own name; outside the range: NULL */
  for (int i = 0; i < JNET_FAULTS_NSLOTS; i++) {
    ck_assert_ptr_nonnull(jnet_faults_slot_name(i));
    for (int j = 0; j < i; j++)
      ck_assert_str_ne(jnet_faults_slot_name(i), jnet_faults_slot_name(j));
  }
  ck_assert_str_eq(jnet_faults_slot_name(0), "resolve");
  ck_assert_str_eq(jnet_faults_slot_name(JNET_FAULTS_NSLOTS - 1),
                   "setsockopt");
  ck_assert_ptr_null(jnet_faults_slot_name(-1));
  ck_assert_ptr_null(jnet_faults_slot_name(JNET_FAULTS_NSLOTS));
  ck_assert_ptr_null(jnet_faults_slot_name(-100000000));
}
END_TEST

/* A name the inner backend resolves off the loop (libuv's thread pool):
 * the fault backend hands it its own request and completes the caller's
 * when the answer comes; a cancel while the lookup runs drops it. */
static jnet_fiber resolver_fiber;

static void c_resolve_late(void *arg) {
  (void)arg;
  jnet_addr a;
  X.rc[2] = jnet_address("127.0.0.1", "http", JNET_STREAM, &a);
}

static void c_cancel_resolver(void *arg) {
  (void)arg; /* the resolver is parked in its lookup: no poll ran since */
  X.rc[3] = jnet_cancel(resolver_fiber, JNET_ECANCELED);
}

static void c_resolve(void *arg) {
  (void)arg;
  jnet_addr a;
  char host[64];
  int port = 0;
  /* a service name: libuv's thread pool (numeric ones answer at once) */
  X.rc[0] = jnet_address("127.0.0.1", "http", JNET_STREAM, &a);
  if (X.rc[0] == 0 && jnet_address_unpack(&a, host, sizeof host, &port) == 0)
    X.rc[1] = strcmp(host, "127.0.0.1") == 0 && port == 80;
  X.rc[2] = 1;
  jnet_spawn(NULL, c_resolve_late, NULL, &resolver_fiber);
  jnet_spawn(NULL, c_cancel_resolver, NULL, NULL);
}

START_TEST(a_name_resolves_through_and_a_cancel_drops_the_lookup) {
  ck_assert_int_eq(jnet_go(X.l, c_resolve, NULL), 0);
  ck_assert_int_eq(jnet_run(X.l), 0);
  ck_assert_msg(X.rc[0] == 0, "localhost: %s", jnet_err_name(X.rc[0]));
  ck_assert_int_eq(X.rc[1], 1); /* 127.0.0.1, http's port 80 */
  ck_assert_int_eq(X.rc[3], 0);
  ck_assert_int_eq(X.rc[2], JNET_ECANCELED);
  ck_assert_uint_eq(jnet_faults_count(X.f), 0);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("faults-backend");
  jc_defaults(30, setup, teardown);
  JC_TEST(s, no_rule_passes_bytes_through);
  JC_TEST(s, no_rule_big_write_parks_then_completes);
  JC_TEST(s, latency_delays_each_direction);
  JC_TEST(s, refuse_gives_econnrefused);
  JC_TEST(s, reset_after_bytes_gives_econnreset_both_ends);
  JC_TEST(s, reset_after_one_byte_resets_at_once);
  JC_TEST(s, reset_after_bytes_counts_bytes_read);
  JC_TEST(s, reset_after_bytes_counts_one_byte_reads);
  JC_TEST(s, a_timed_out_read_leaves_the_next_its_bytes);
  JC_TEST(s, a_write_over_the_queue_bound_waits_for_room_only);
  JC_TEST(s, blackhole_times_out_then_heals);
  JC_TEST(s, close_after_time_ends_the_stream);
  JC_TEST(s, close_after_time_ends_a_unix_stream_too);
  JC_TEST(s, slice_splits_writes);
  JC_TEST(s, slow_close_delays_the_fin);
  JC_TEST(s, bandwidth_paces_within_20_percent);
  JC_TEST(s, udp_loss_within_bounds_and_logged);
  JC_TEST(s, same_seed_same_fault_log);
  JC_TEST(s, fail_call_nth_once_and_persistent);
  JC_TEST(s, bad_arguments_are_einval);
  JC_TEST(s, a_name_resolves_through_and_a_cancel_drops_the_lookup);
  return s;
}

int main(void) {
  return jc_run(suite());
}
