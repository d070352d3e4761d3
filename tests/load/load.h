/* load.h — shared by the load suites: a jnet echo server and N client
 * fibers, each writing `nbytes` of seeded pseudo-random data in
 * random-sized writes, half-closing, and reading the echo back to compare
 * it with what it sent. The backend (uv or sim) is chosen by the suite.
 * Header-only; each suite includes it once. */
#ifndef JNET_LOAD_H
#define JNET_LOAD_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jnet/jnet.h>

/* The most one read asks for (client and echo server): a read reserves
 * it in the fiber's buffer, so 20,000 fibers at 16 KiB held 320 MB (of
 * load-sim's 880 MB peak; 760 MB at 4 KiB, each echo in 4 reads or more). */
#define LD_READ_BYTES 4096

typedef struct ld_run ld_run;

typedef struct ld_client {
  ld_run *run;
  int idx;
  int rc;           /* first error, 0 if none */
  int stage;        /* where it failed: 1 connect, 2 write, 3 shutdown, 4 read */
  size_t got;
  int same;         /* the echo is byte for byte what was sent */
} ld_client;

struct ld_run {
  const char *server_host; /* where the server listens / clients connect */
  char port[16];
  int nclients;
  size_t nbytes;
  double op_timeout_s;
  jnet_stream srv;
  int server_rc;
  int done;      /* clients finished */
  int ok;        /* clients whose echo matched */
  ld_client *c;
  /* Sim: clients spread over these hosts (NULL: jnet_go). */
  jnet_node **client_nodes;
  int nclient_nodes;
  jnet_node *server_node;
  jnet_loop *loop;
};

/* xorshift64*: the data and the write sizes of client i. */
static inline uint64_t ld_next(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 2685821657736338717ull;
}

/* The data of a client as a stream of generator words, eight bytes each,
 * made as needed: the writer and the checker of the echo each run one
 * from the same seed, so no client holds its data (10,000 x 16 KiB, and
 * as much again for the whole echo, were most of load-sim's page faults). */
typedef struct ld_stream {
  uint64_t s, w;
  int left; /* bytes of w not used yet */
} ld_stream;

static inline void ld_stream_init(ld_stream *d, int idx) {
  d->s = 0x9e3779b97f4a7c15ull * (uint64_t)(idx + 1);
  d->w = 0;
  d->left = 0;
}

/* The next n bytes of the stream into p (low byte of a word first). */
static inline void ld_fill(ld_stream *d, unsigned char *p, size_t n) {
  size_t i = 0;
  for (; i < n && d->left > 0; i++, d->left--, d->w >>= 8)
    p[i] = (unsigned char)d->w;
  for (; n - i >= 8; i += 8) { /* a whole word at once, low byte first */
    uint64_t w = ld_next(&d->s);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    memcpy(p + i, &w, 8);
  }
  if (i < n) {
    d->w = ld_next(&d->s);
    for (d->left = 8; i < n; i++, d->left--, d->w >>= 8)
      p[i] = (unsigned char)d->w;
  }
}

static void ld_echo(jnet_stream conn, void *arg) {
  (void)arg;
  jnet_buf b;
  jnet_buf_init(&b);
  for (;;) {
    jnet_buf_reset(&b);
    ssize_t r = jnet_read(conn, LD_READ_BYTES, &b, 60);
    if (r <= 0)
      break;
    if (jnet_write(conn, b.data, b.len, 60) < 0)
      break;
  }
  jnet_buf_free(&b);
}

static void ld_client_fiber(void *arg) {
  ld_client *c = arg;
  ld_run *run = c->run;
  ld_stream out, in; /* the data written; what the echo must be */
  ld_stream_init(&out, c->idx);
  ld_stream_init(&in, c->idx);
  uint64_t sizes = 0x632be59bd9b4e019ull * (uint64_t)(c->idx + 1);
  unsigned char chunk[4096]; /* a write, or a piece of the echo to check */
  jnet_buf b;
  jnet_buf_init(&b);
  jnet_stream s = JNET_NOSTREAM;
  c->stage = 1;
  c->rc = jnet_connect(run->server_host, run->port, JNET_STREAM, NULL, NULL,
                       &s);
  if (c->rc < 0)
    goto out;
  c->stage = 2;
  for (size_t off = 0; off < run->nbytes;) {
    size_t n = 1 + ld_next(&sizes) % sizeof chunk;
    if (n > run->nbytes - off)
      n = run->nbytes - off;
    ld_fill(&out, chunk, n);
    c->rc = jnet_write(s, chunk, n, run->op_timeout_s);
    if (c->rc < 0)
      goto out;
    off += n;
  }
  c->stage = 3;
  c->rc = jnet_shutdown(s, JNET_SHUT_WR);
  if (c->rc < 0)
    goto out;
  c->stage = 4;
  ssize_t r;
  /* Reads of at most LD_READ_BYTES keep the echo buffer on the heap
   * (jnet_buf doubles to len + max): 64 KiB reads grew every client's
   * buffer to 128 KiB, an mmap and munmap each, half the suite's time.
   * Each read is compared with the data, byte for byte, and dropped. */
  int same = 1;
  while ((r = jnet_read(s, LD_READ_BYTES, &b, run->op_timeout_s)) > 0) {
    for (size_t off = 0, k; off < b.len; off += k) {
      k = b.len - off < sizeof chunk ? b.len - off : sizeof chunk;
      ld_fill(&in, chunk, k);
      same = same && memcmp(b.data + off, chunk, k) == 0;
    }
    c->got += b.len;
    jnet_buf_reset(&b);
  }
  c->rc = r < 0 ? (int)r : 0;
  c->same = same && c->got == run->nbytes;
  if (c->rc == 0 && c->same)
    run->ok++;
out:
  if (s.h != 0)
    jnet_close(s);
  jnet_buf_free(&b);
  if (++run->done == run->nclients)
    jnet_close(run->srv); /* ends the accept loop: the run can finish */
}

static void ld_main(void *arg) {
  ld_run *run = arg;
  run->server_rc = jnet_server(run->server_host, "0", ld_echo, NULL,
                               JNET_STREAM, &run->srv);
  if (run->server_rc < 0)
    return;
  jnet_addr a;
  char host[64];
  int port = 0;
  ck_assert_int_eq(jnet_localname(run->srv, &a), 0);
  ck_assert_int_eq(jnet_address_unpack(&a, host, sizeof host, &port), 0);
  snprintf(run->port, sizeof run->port, "%d", port);
  for (int i = 0; i < run->nclients; i++) {
    run->c[i].run = run;
    run->c[i].idx = i;
    int rc;
    if (run->nclient_nodes > 0)
      rc = jnet_go_on(run->loop, run->client_nodes[i % run->nclient_nodes],
                      ld_client_fiber, &run->c[i]);
    else
      rc = jnet_go(run->loop, ld_client_fiber, &run->c[i]);
    ck_assert_int_eq(rc, 0);
  }
}

/* On uv: a watchdog fiber; ends the run once every client is done, or
 * after `limit_s` (then closes the listener; client timeouts end the rest). */
static inline void ld_watchdog(ld_run *run, double limit_s) {
  double t_end = jnet_now() + limit_s;
  while (run->done < run->nclients && jnet_now() < t_end)
    jnet_sleep(0.05);
  if (run->done < run->nclients) {
    fprintf(stderr, "watchdog: %d of %d clients done after %.0f s\n",
            run->done, run->nclients, limit_s);
    jnet_close(run->srv);
  }
}

/* Check every client: print the first few failures, then assert. */
static inline void ld_check(ld_run *run) {
  int shown = 0;
  for (int i = 0; i < run->nclients; i++) {
    ld_client *c = &run->c[i];
    int good = c->rc == 0 && c->same;
    if (!good && shown++ < 5)
      fprintf(stderr, "client %d: stage %d rc %s got %zu of %zu bytes %s\n",
              i, c->stage, jnet_err_name(c->rc), c->got, run->nbytes,
              c->same ? "ok" : "BAD");
  }
  ck_assert_int_eq(run->server_rc, 0);
  ck_assert_int_eq(run->done, run->nclients);
  ck_assert_int_eq(run->ok, run->nclients);
}

static inline double ld_wall_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif /* JNET_LOAD_H */
