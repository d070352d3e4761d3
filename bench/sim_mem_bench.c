/* sim_mem_bench.c — memory per simulated host and per idle TCP connection,
 * from peak RSS (VmHWM) deltas.
 *
 *   sim_mem_bench [--hosts H=10000] [--conns C=100000] [--servers S=100]
 *
 * 1. Baseline: the model with nothing in it.
 * 2. H hosts (IPv6, 2001:db8::/32) -> sim_bytes_per_host.
 * 3. A loop; S of the hosts listen, one acceptor fiber each that keeps
 *    every accepted stream; the other hosts open C connections in all
 *    (C / (H - S) each, the remainder one more), in batches of 500 hosts
 *    so that only a batch of client fibers (16 KiB stacks) is alive at a
 *    time; the connections stay open and idle. -> sim_bytes_per_idle_conn
 *    (both ends and both streams of a connection, as the model and the API
 *    hold them).
 * Also prints sim_mem_total_mb: everything above the baseline while the
 * network is up, for the target "10k hosts + 100k connections <= 2 GB";
 * and sim_mem_teardown_peak_mb: the peak above the baseline including
 * jnet_loop_free + jnet_sim_free (closing every stream).
 */
#include <inttypes.h>
#include <malloc.h> /* malloc_usable_size (glibc) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include <jnet/jnet.h>
#include <jnet/jnet_sim.h>

#define BATCH_HOSTS 500

/* ---- A counting allocator (jnet_replace_allocator): the bytes jnet has
 * live beside the RSS figures; and how many blocks of each size, to say
 * where a connection's bytes go. It keeps no header (a 16-byte header per
 * block would add its own bytes to the RSS figures, 64 per connection):
 * the sizes are malloc_usable_size's, the request rounded up to the
 * allocator's granule (glibc: 8 bytes, 24 at least). */

#define SIZES 4096 /* block sizes counted one by one; larger ones lumped */

static long long heap_live;        /* usable bytes allocated, not freed */
static long long heap_blocks[SIZES + 1];

static void count(size_t n, int sign) {
  heap_live += sign * (long long)n;
  heap_blocks[n < SIZES ? n : SIZES] += sign;
}

static void *cnt_malloc(size_t n) {
  void *p = malloc(n);
  if (p != NULL)
    count(malloc_usable_size(p), 1);
  return p;
}

static void cnt_free(void *p) {
  if (p == NULL) return;
  count(malloc_usable_size(p), -1);
  free(p);
}

static void *cnt_realloc(void *q, size_t n) {
  if (q == NULL) return cnt_malloc(n);
  size_t old = malloc_usable_size(q);
  void *p = realloc(q, n);
  if (p == NULL) return NULL;
  count(old, -1);
  count(malloc_usable_size(p), 1);
  return p;
}

/* The block sizes holding the most bytes, per connection, on stderr. */
static void print_breakdown(const long long *before, long nconns) {
  fprintf(stderr, "sim_mem_bench: heap blocks added per connection "
                  "(size x count = bytes):\n");
  for (int shown = 0; shown < 8; shown++) {
    long long best = 0;
    int bi = -1;
    for (int i = 0; i < SIZES; i++) {
      long long b = (heap_blocks[i] - before[i]) * i;
      if (b > best) {
        best = b;
        bi = i;
      }
    }
    if (bi < 0) break;
    fprintf(stderr, "  %5d x %.2f = %.0f\n", bi,
            (double)(heap_blocks[bi] - before[bi]) / (double)nconns,
            (double)best / (double)nconns);
    heap_blocks[bi] = before[bi]; /* shown: out of the running */
  }
}

typedef struct mem_state {
  long conns_per_client; /* C / clients */
  long conns_extra;      /* C % clients */
  jnet_stream *accepted; /* every server-side stream, kept open */
  long naccepted, cap;
  jnet_stream *opened;   /* every client-side stream, kept open */
  long nopened;
  long failures;
  char (*server_addr)[64]; /* address of server i */
  long nservers;
} mem_state;

static mem_state g;

static void acceptor(void *arg) {
  const char *addr = arg;
  jnet_stream srv, conn;
  if (jnet_listen(addr, "7", JNET_STREAM, &srv) < 0) {
    g.failures++;
    return;
  }
  while (jnet_accept(srv, JNET_FOREVER, &conn) == 0) {
    if (g.naccepted < g.cap) g.accepted[g.naccepted++] = conn;
    else jnet_close(conn);
  }
}

static void client(void *arg) {
  long idx = (long)(intptr_t)arg;
  /* C connections in all: the first C % clients hosts open one more. */
  long n = g.conns_per_client + (idx < g.conns_extra ? 1 : 0);
  for (long k = 0; k < n; k++) {
    const char *dst = g.server_addr[(idx + k) % g.nservers];
    jnet_stream s;
    if (jnet_connect(dst, "7", JNET_STREAM, NULL, NULL, &s) < 0) {
      g.failures++;
      continue;
    }
    if (g.nopened < g.cap) g.opened[g.nopened++] = s;
  }
}

static void host_addr(long i, char *out, size_t n) {
  snprintf(out, n, "2001:db8::%lx:%lx", (unsigned long)(i + 1) >> 16,
           (unsigned long)(i + 1) & 0xffff);
}

int main(int argc, char **argv) {
  long hosts = 10000, conns = 100000, servers = 100;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--hosts") == 0 && i + 1 < argc)
      hosts = bench_arg_long(argc, argv, ++i, hosts);
    else if (strcmp(argv[i], "--conns") == 0 && i + 1 < argc)
      conns = bench_arg_long(argc, argv, ++i, conns);
    else if (strcmp(argv[i], "--servers") == 0 && i + 1 < argc)
      servers = bench_arg_long(argc, argv, ++i, servers);
    else {
      fprintf(stderr, "usage: %s [--hosts H] [--conns C] [--servers S]\n",
              argv[0]);
      return 2;
    }
  }
  if (servers >= hosts) servers = hosts / 2 > 0 ? hosts / 2 : 1;
  long clients = hosts - servers;
  g.conns_per_client = conns / clients;
  g.conns_extra = conns % clients;
  g.cap = conns;
  g.nservers = servers;
  /* The bench's own arrays, allocated and touched before any baseline. */
  g.accepted = calloc((size_t)g.cap, sizeof *g.accepted);
  g.opened = calloc((size_t)g.cap, sizeof *g.opened);
  g.server_addr = calloc((size_t)servers, sizeof *g.server_addr);
  jnet_node **nodes = calloc((size_t)hosts, sizeof *nodes);
  if (!g.accepted || !g.opened || !g.server_addr || !nodes) return 1;
  memset(g.accepted, 0, (size_t)g.cap * sizeof *g.accepted);
  memset(g.opened, 0, (size_t)g.cap * sizeof *g.opened);

  if (jnet_replace_allocator(cnt_malloc, cnt_realloc, cnt_free) < 0) return 1;
  jnet_sim *sim;
  if (jnet_sim_new(&sim, 1) < 0) return 1;
  long long rss0 = bench_peak_rss_bytes();
  long long heap0 = heap_live;

  char name[32], addr[64];
  double t0 = bench_wall_s();
  for (long i = 0; i < hosts; i++) {
    snprintf(name, sizeof name, "h%ld", i);
    host_addr(i, addr, sizeof addr);
    if (i < servers) memcpy(g.server_addr[i], addr, sizeof addr);
    int rc = jnet_sim_host(sim, name, (const char *[]){addr, NULL}, &nodes[i]);
    if (rc < 0) {
      fprintf(stderr, "sim_mem_bench: host %s: %s\n", addr, jnet_strerror(rc));
      return 1;
    }
  }
  long long rss1 = bench_peak_rss_bytes();
  long long heap1 = heap_live;
  double hosts_wall_s = bench_wall_s() - t0;

  jnet_loop *l;
  if (jnet_loop_new(&l, jnet_sim_backend(sim)) < 0 ||
      jnet_loop_set_stack_size(l, 16384) < 0)
    return 1;
  for (long i = 0; i < servers; i++)
    jnet_go_on(l, nodes[i], acceptor, g.server_addr[i]);
  if (jnet_run_until(l, jnet_now() + 0.001) < 0) return 1;
  long long rss2 = bench_peak_rss_bytes();
  long long heap2 = heap_live;
  static long long blocks2[SIZES + 1];
  memcpy(blocks2, heap_blocks, sizeof blocks2);

  t0 = bench_wall_s();
  for (long first = servers; first < hosts; first += BATCH_HOSTS) {
    for (long i = first; i < hosts && i < first + BATCH_HOSTS; i++)
      jnet_go_on(l, nodes[i], client, (void *)(intptr_t)(i - servers));
    /* Connections complete within a few virtual milliseconds. */
    int rc = jnet_run_until(l, jnet_now() + 1.0);
    if (rc < 0) {
      fprintf(stderr, "sim_mem_bench: run: %s\n", jnet_strerror(rc));
      return 1;
    }
  }
  long long rss3 = bench_peak_rss_bytes();
  long long heap3 = heap_live;
  double conns_wall_s = bench_wall_s() - t0;

  fprintf(stderr,
          "sim_mem_bench: %ld hosts in %.2f s; %ld connections opened, %ld "
          "accepted, %ld failed, in %.2f s; peak RSS %.1f MB\n",
          hosts, hosts_wall_s, g.nopened, g.naccepted, g.failures,
          conns_wall_s, (double)rss3 / 1e6);
  if (g.nopened == 0 || g.naccepted != g.nopened || g.failures) {
    fprintf(stderr, "sim_mem_bench: not every connection was made\n");
    return 1;
  }
  bench_result("sim_bytes_per_host", (double)(rss1 - rss0) / (double)hosts,
               "bytes");
  bench_result("sim_bytes_per_idle_conn",
               (double)(rss3 - rss2) / (double)g.nopened, "bytes");
  bench_result("sim_mem_total_mb", (double)(rss3 - rss0) / 1e6, "MB");
  /* What jnet itself holds (no allocator overhead, no peaks of growth). */
  bench_result("sim_heap_bytes_per_host", (double)(heap1 - heap0) / (double)hosts,
               "bytes");
  bench_result("sim_heap_bytes_per_idle_conn",
               (double)(heap3 - heap2) / (double)g.nopened, "bytes");
  print_breakdown(blocks2, g.nopened);

  t0 = bench_wall_s();
  jnet_loop_free(l);
  jnet_sim_free(sim);
  long long rss4 = bench_peak_rss_bytes();
  fprintf(stderr, "sim_mem_bench: teardown in %.2f s; peak RSS %.1f MB\n",
          bench_wall_s() - t0, (double)rss4 / 1e6);
  bench_result("sim_mem_teardown_peak_mb", (double)(rss4 - rss0) / 1e6, "MB");
  free(nodes);
  free(g.server_addr);
  free(g.opened);
  free(g.accepted);
  return 0;
}
