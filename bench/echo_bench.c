/* echo_bench.c — jnet on the uv backend doing exactly the work of
 * bench/libuv_echo.c, so run.sh can print jnet/libuv ratios from one run.
 *
 *   echo_bench echo [conns=4] [seconds=0.5] [trials=3]
 *     A jnet_server on 127.0.0.1 echoes what it reads; `conns` client
 *     fibers each write a 64-byte message and jnet_chunk() the 64-byte
 *     echo, until the time is up. Prints echo_rtt_per_s (median).
 *   echo_bench bulk [seconds=0.5] [trials=3]
 *     One client fiber jnet_write()s 64 KiB buffers; the server's handler
 *     reads and counts. Prints throughput_mb_s (10^6 bytes/s received).
 *
 * Each trial is a fresh loop on a fresh jnet_backend_uv().
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include <jnet/jnet.h>

#define MSG_BYTES 64
#define BULK_BYTES (64 * 1024)
#define MAX_CONNS 64

typedef struct trial {
  int bulk;
  int nconns;
  double deadline_s; /* wall clock */
  char port[16];
  jnet_stream srv;
  int clients_done;
  uint64_t round_trips;
  uint64_t bulk_bytes;
  int failed;
} trial;

/* Server side: echo every read back (echo), or count it (bulk). */
static void handle_conn(jnet_stream conn, void *arg) {
  trial *t = arg;
  jnet_buf b;
  jnet_buf_init(&b);
  for (;;) {
    ssize_t n = jnet_read(conn, t->bulk ? BULK_BYTES : 4096, &b, JNET_FOREVER);
    if (n <= 0) break;
    if (t->bulk) {
      t->bulk_bytes += (uint64_t)n;
    } else if (jnet_write(conn, b.data, b.len, JNET_FOREVER) < 0) {
      break;
    }
    jnet_buf_reset(&b);
  }
  jnet_buf_free(&b);
}

static void client_done(trial *t) {
  if (++t->clients_done == t->nconns) jnet_close(t->srv);
}

static void client(void *arg) {
  trial *t = arg;
  jnet_stream s;
  int rc = jnet_connect("127.0.0.1", t->port, JNET_STREAM, NULL, NULL, &s);
  if (rc < 0) {
    fprintf(stderr, "echo_bench: connect: %s\n", jnet_strerror(rc));
    t->failed = 1;
    client_done(t);
    return;
  }
  if (t->bulk) {
    char *data = malloc(BULK_BYTES);
    if (!data) abort();
    memset(data, 'x', BULK_BYTES);
    while (bench_wall_s() < t->deadline_s)
      if (jnet_write(s, data, BULK_BYTES, JNET_FOREVER) < 0) {
        t->failed = 1;
        break;
      }
    free(data);
  } else {
    char msg[MSG_BYTES];
    jnet_buf b;
    memset(msg, 'a' + t->clients_done % 26, sizeof msg);
    jnet_buf_init(&b);
    while (bench_wall_s() < t->deadline_s) {
      if (jnet_write(s, msg, sizeof msg, JNET_FOREVER) < 0 ||
          jnet_chunk(s, MSG_BYTES, &b, JNET_FOREVER) != MSG_BYTES) {
        t->failed = 1;
        break;
      }
      jnet_buf_reset(&b);
      t->round_trips++;
    }
    jnet_buf_free(&b);
  }
  jnet_close(s);
  client_done(t);
}

/* The first fiber: start the server, learn its port, spawn the clients. */
static void start(void *arg) {
  trial *t = arg;
  jnet_addr a;
  char host[64];
  int port;
  int rc = jnet_server("127.0.0.1", "0", handle_conn, t, JNET_STREAM, &t->srv);
  if (rc == 0) rc = jnet_localname(t->srv, &a);
  if (rc == 0) rc = jnet_address_unpack(&a, host, sizeof host, &port);
  if (rc < 0) {
    fprintf(stderr, "echo_bench: server: %s\n", jnet_strerror(rc));
    t->failed = 1;
    return;
  }
  snprintf(t->port, sizeof t->port, "%d", port);
  for (int i = 0; i < t->nconns; i++) jnet_go(NULL, client, t);
}

static double run_trial(int bulk, int nconns, double seconds) {
  trial t;
  jnet_loop *l;
  const jnet_backend *b = jnet_backend_uv();
  memset(&t, 0, sizeof t);
  t.bulk = bulk;
  t.nconns = nconns;
  if (!b || jnet_loop_new(&l, b) < 0) {
    fprintf(stderr, "echo_bench: cannot create a uv loop\n");
    exit(1);
  }
  double start_s = bench_wall_s();
  t.deadline_s = start_s + seconds;
  jnet_go(l, start, &t);
  int rc = jnet_run(l);
  double elapsed_s = bench_wall_s() - start_s;
  jnet_loop_free(l);
  jnet_backend_free(b);
  if (rc < 0 || t.failed) {
    fprintf(stderr, "echo_bench: trial failed (%s)\n", jnet_strerror(rc));
    exit(1);
  }
  if (bulk) return (double)t.bulk_bytes / 1e6 / elapsed_s;
  return (double)t.round_trips / elapsed_s;
}

int main(int argc, char **argv) {
  int bulk = argc > 1 && strcmp(argv[1], "bulk") == 0;
  if (argc < 2 || (!bulk && strcmp(argv[1], "echo") != 0)) {
    fprintf(stderr, "usage: %s echo [conns] [seconds] [trials]\n"
                    "       %s bulk [seconds] [trials]\n", argv[0], argv[0]);
    return 2;
  }
  int a = bulk ? 2 : 3; /* index of `seconds` */
  int nconns = bulk ? 1 : (int)bench_arg_long(argc, argv, 2, 4);
  double seconds = bench_arg_double(argc, argv, a, 0.5);
  int trials = (int)bench_arg_long(argc, argv, a + 1, 3);
  if (nconns > MAX_CONNS) nconns = MAX_CONNS;
  if (trials > 15) trials = 15;

  double v[15];
  for (int i = 0; i < trials; i++) v[i] = run_trial(bulk, nconns, seconds);
  if (bulk)
    bench_result("throughput_mb_s", bench_median(v, (size_t)trials), "MB/s");
  else
    bench_result("echo_rtt_per_s", bench_median(v, (size_t)trials), "rtt/s");
  return 0;
}
