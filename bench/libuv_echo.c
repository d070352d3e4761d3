/* libuv_echo.c — the peer jnet's real-socket benchmarks are measured against:
 * a plain libuv C echo server and client in one process, on one loop, doing
 * the same work as bench/echo_bench.c does through jnet.h.
 *
 *   libuv_echo echo [conns=4] [seconds=0.5] [trials=3]
 *     `conns` TCP connections on 127.0.0.1; each client writes a 64-byte
 *     message, waits for all 64 echoed bytes, and repeats until the time is
 *     up. Prints libuv_echo_rtt_per_s (median over trials).
 *   libuv_echo bulk [seconds=0.5] [trials=3]
 *     One connection; the client writes 64 KiB buffers, one write in flight
 *     at a time (as one jnet writer fiber has), the server reads and counts.
 *     Prints libuv_throughput_mb_s (1 MB = 10^6 bytes, received bytes).
 *
 * Neither side sets TCP_NODELAY: jnet does not either (Janet's default).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "bench_util.h"

#define MSG_BYTES 64
#define BULK_BYTES (64 * 1024)
#define MAX_CONNS 64

/* ---- Server: echo (or count) whatever arrives -------------------------- */

typedef struct server {
  uv_tcp_t listener;
  int bulk;            /* count bytes instead of echoing them */
  uint64_t bulk_bytes; /* received in bulk mode */
  int open_conns;
} server;

typedef struct sconn {
  uv_tcp_t tcp;
  server *srv;
  char rbuf[BULK_BYTES];
} sconn;

typedef struct echo_write {
  uv_write_t req;
  char data[]; /* a copy of what was read */
} echo_write;

static void on_close_free(uv_handle_t *h) {
  sconn *c = h->data;
  c->srv->open_conns--;
  free(c);
}

static void sconn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  sconn *c = h->data;
  (void)hint;
  *buf = uv_buf_init(c->rbuf, sizeof c->rbuf);
}

static void echo_written(uv_write_t *req, int status) {
  (void)status;
  free(req);
}

static void sconn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  sconn *c = s->data;
  if (nread < 0) {
    uv_close((uv_handle_t *)s, on_close_free);
    return;
  }
  if (nread == 0) return;
  if (c->srv->bulk) {
    c->srv->bulk_bytes += (uint64_t)nread;
    return;
  }
  echo_write *w = malloc(sizeof *w + (size_t)nread);
  if (!w) abort();
  memcpy(w->data, buf->base, (size_t)nread);
  uv_buf_t out = uv_buf_init(w->data, (unsigned)nread);
  if (uv_write(&w->req, s, &out, 1, echo_written) != 0) {
    free(w);
    uv_close((uv_handle_t *)s, on_close_free);
  }
}

static void on_connection(uv_stream_t *l, int status) {
  server *srv = l->data;
  if (status < 0) return;
  sconn *c = malloc(sizeof *c);
  if (!c) abort();
  c->srv = srv;
  uv_tcp_init(l->loop, &c->tcp);
  c->tcp.data = c;
  srv->open_conns++;
  if (uv_accept(l, (uv_stream_t *)&c->tcp) != 0) {
    uv_close((uv_handle_t *)&c->tcp, on_close_free);
    return;
  }
  uv_read_start((uv_stream_t *)&c->tcp, sconn_alloc, sconn_read);
}

/* ---- Client: ping-pong, or bulk writes, until the deadline --------------- */

typedef struct client {
  uv_tcp_t tcp;
  uv_connect_t creq;
  uv_write_t wreq;
  uint64_t deadline_ns;
  int bulk;
  size_t got; /* echoed bytes of the current message */
  uint64_t round_trips;
  struct bench_run *run;
  char msg[MSG_BYTES];
  char rbuf[MSG_BYTES * 4];
} client;

typedef struct bench_run {
  server srv;
  client clients[MAX_CONNS];
  int nclients;
  int clients_done;
  char *bulk_buf;
} bench_run;

static void client_closed(uv_handle_t *h) {
  client *c = h->data;
  if (++c->run->clients_done == c->run->nclients)
    uv_close((uv_handle_t *)&c->run->srv.listener, NULL);
}

static void client_send(client *c);

static void client_written(uv_write_t *req, int status) {
  client *c = req->data;
  if (status < 0) {
    uv_close((uv_handle_t *)&c->tcp, client_closed);
    return;
  }
  if (c->bulk) client_send(c);
}

/* Send the next message (or bulk buffer), or close once the time is up. */
static void client_send(client *c) {
  if (uv_hrtime() >= c->deadline_ns) {
    uv_close((uv_handle_t *)&c->tcp, client_closed);
    return;
  }
  uv_buf_t b = c->bulk ? uv_buf_init(c->run->bulk_buf, BULK_BYTES)
                       : uv_buf_init(c->msg, MSG_BYTES);
  c->wreq.data = c;
  if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, client_written) != 0)
    uv_close((uv_handle_t *)&c->tcp, client_closed);
}

static void client_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  client *c = h->data;
  (void)hint;
  *buf = uv_buf_init(c->rbuf, sizeof c->rbuf);
}

static void client_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  client *c = s->data;
  (void)buf;
  if (nread < 0) {
    uv_close((uv_handle_t *)s, client_closed);
    return;
  }
  c->got += (size_t)nread;
  if (c->got >= MSG_BYTES) {
    c->got -= MSG_BYTES;
    c->round_trips++;
    client_send(c);
  }
}

static void client_connected(uv_connect_t *req, int status) {
  client *c = req->data;
  if (status < 0) {
    fprintf(stderr, "libuv_echo: connect: %s\n", uv_strerror(status));
    uv_close((uv_handle_t *)&c->tcp, client_closed);
    return;
  }
  if (!c->bulk)
    uv_read_start((uv_stream_t *)&c->tcp, client_alloc, client_read);
  client_send(c);
}

/* One trial: a fresh loop, server + clients, run until every client has
 * finished. Returns round trips per second (echo) or MB/s (bulk). */
static double run_trial(int bulk, int nconns, double seconds) {
  static bench_run run; /* large (buffers); one trial at a time */
  uv_loop_t loop;
  struct sockaddr_in addr;
  int namelen = sizeof addr;

  memset(&run, 0, sizeof run);
  uv_loop_init(&loop);
  run.nclients = nconns;
  run.srv.bulk = bulk;
  if (bulk) {
    run.bulk_buf = malloc(BULK_BYTES);
    if (!run.bulk_buf) abort();
    memset(run.bulk_buf, 'x', BULK_BYTES);
  }
  uv_tcp_init(&loop, &run.srv.listener);
  run.srv.listener.data = &run.srv;
  uv_ip4_addr("127.0.0.1", 0, &addr);
  if (uv_tcp_bind(&run.srv.listener, (struct sockaddr *)&addr, 0) != 0 ||
      uv_listen((uv_stream_t *)&run.srv.listener, 128, on_connection) != 0 ||
      uv_tcp_getsockname(&run.srv.listener, (struct sockaddr *)&addr,
                         &namelen) != 0) {
    fprintf(stderr, "libuv_echo: cannot listen on 127.0.0.1\n");
    exit(1);
  }

  uint64_t start_ns = uv_hrtime();
  uint64_t deadline_ns = start_ns + (uint64_t)(seconds * 1e9);
  for (int i = 0; i < nconns; i++) {
    client *c = &run.clients[i];
    c->run = &run;
    c->bulk = bulk;
    c->deadline_ns = deadline_ns;
    memset(c->msg, 'a' + i % 26, MSG_BYTES);
    uv_tcp_init(&loop, &c->tcp);
    c->tcp.data = c;
    c->creq.data = c;
    uv_tcp_connect(&c->creq, &c->tcp, (struct sockaddr *)&addr,
                   client_connected);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  double elapsed_s = (double)(uv_hrtime() - start_ns) * 1e-9;
  uv_loop_close(&loop);
  free(run.bulk_buf);

  if (bulk) return (double)run.srv.bulk_bytes / 1e6 / elapsed_s;
  uint64_t total = 0;
  for (int i = 0; i < nconns; i++) total += run.clients[i].round_trips;
  return (double)total / elapsed_s;
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
  for (int t = 0; t < trials; t++) v[t] = run_trial(bulk, nconns, seconds);
  if (bulk)
    bench_result("libuv_throughput_mb_s", bench_median(v, (size_t)trials),
                 "MB/s");
  else
    bench_result("libuv_echo_rtt_per_s", bench_median(v, (size_t)trials),
                 "rtt/s");
  return 0;
}
