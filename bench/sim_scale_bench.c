/* sim_scale_bench.c — does a bigger simulated world cost more per event?
 *
 *   sim_scale_bench [--hosts W=10000] [--flows F=5000] [--datagrams N=400000]
 *                   [--trials T=3] [--only W]
 *
 * The same traffic in two worlds: F UDP ping-pong flows (64 bytes, N
 * datagrams in all), each flow a client socket and an echo server socket
 * on port 1000 + i. In the small world every flow runs between the same two
 * hosts; in the big one flow i runs between hosts 2i and 2i + 1 of W, so the
 * traffic is spread over the whole world (W = 2F uses every host). Both
 * worlds have plain default links (1 ms). Trials alternate small and big,
 * so each pair shares the machine's load.
 *
 * Prints sim_scale_events_per_s_2_hosts, sim_scale_events_per_s_W_hosts
 * (model events / wall second, medians) and sim_scale_ratio (median of the
 * per-trial big / small ratios; 1.0: a bigger world costs nothing per
 * event). --only W runs one world of W hosts once and prints its
 * sim_scale_events (for callgrind: instructions per event, no timing)
 * and, on stderr, the run's fingerprint.
 * Exits 1 if a trial lost or failed anything.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include <jnet/jnet.h>
#include <jnet/jnet_sim.h>

#define MSG_BYTES 64
#define MAX_TRIALS 15

typedef struct flow {
  char server_ip[32], client_ip[32];
  char port[8];
  long round_trips;
  long echoed;
  int failed;
} flow;

static void server(void *arg) {
  flow *f = arg;
  jnet_stream s;
  jnet_buf b;
  jnet_addr from;
  if (jnet_listen(f->server_ip, f->port, JNET_DATAGRAM, &s) < 0) {
    f->failed = 1;
    return;
  }
  jnet_buf_init(&b);
  while (f->echoed < f->round_trips) {
    jnet_buf_reset(&b);
    if (jnet_recv_from(s, 2048, &b, 10.0, &from) < 0 ||
        jnet_send_to(s, &from, b.data, b.len, JNET_FOREVER) < 0) {
      f->failed = 1;
      break;
    }
    f->echoed++;
  }
  jnet_buf_free(&b);
  jnet_close(s);
}

static void client(void *arg) {
  flow *f = arg;
  jnet_stream s;
  jnet_addr dst;
  jnet_buf b;
  char msg[MSG_BYTES];
  memset(msg, 'p', sizeof msg);
  jnet_sleep(0.001); /* let the servers bind first */
  if (jnet_address(f->server_ip, f->port, JNET_DATAGRAM, &dst) < 0 ||
      jnet_listen(f->client_ip, "0", JNET_DATAGRAM, &s) < 0) {
    f->failed = 1;
    return;
  }
  jnet_buf_init(&b);
  for (long i = 0; i < f->round_trips; i++) {
    jnet_buf_reset(&b);
    if (jnet_send_to(s, &dst, msg, sizeof msg, JNET_FOREVER) < 0 ||
        jnet_recv_from(s, 2048, &b, 10.0, NULL) != MSG_BYTES) {
      f->failed = 1;
      break;
    }
  }
  jnet_buf_free(&b);
  jnet_close(s);
}

/* Host i's address: 10.0.0.0/8, never .0 or .255 in the last octet. */
static void host_ip(long i, char *out, size_t n) {
  long net = i / 200;
  snprintf(out, n, "10.%ld.%ld.%ld", (net >> 8) & 255, net & 255,
           i % 200 + 1);
}

/* One trial in a world of `hosts` hosts; returns model events per wall
 * second. */
static double run_trial(long hosts, long flows, long datagrams,
                        uint64_t *events, uint64_t *fingerprint) {
  jnet_sim *sim;
  jnet_loop *l;
  jnet_node **nodes = calloc((size_t)hosts, sizeof *nodes);
  flow *fl = calloc((size_t)flows, sizeof *fl);
  if (nodes == NULL || fl == NULL || jnet_sim_new(&sim, 1) < 0) {
    fprintf(stderr, "sim_scale_bench: out of memory\n");
    exit(1);
  }
  for (long i = 0; i < hosts; i++) {
    char name[32], ip[32];
    snprintf(name, sizeof name, "h%ld", i);
    host_ip(i, ip, sizeof ip);
    if (jnet_sim_host(sim, name, (const char *[]){ip, NULL}, &nodes[i]) < 0) {
      fprintf(stderr, "sim_scale_bench: host %s failed\n", ip);
      exit(1);
    }
  }
  if (jnet_loop_new(&l, jnet_sim_backend(sim)) < 0 ||
      jnet_loop_set_stack_size(l, 16384) < 0) {
    fprintf(stderr, "sim_scale_bench: loop failed\n");
    exit(1);
  }
  long per_flow = datagrams / 2 / flows;
  if (per_flow < 1) per_flow = 1;
  for (long i = 0; i < flows; i++) {
    long c = (2 * i) % hosts, s = (2 * i + 1) % hosts;
    host_ip(c, fl[i].client_ip, sizeof fl[i].client_ip);
    host_ip(s, fl[i].server_ip, sizeof fl[i].server_ip);
    snprintf(fl[i].port, sizeof fl[i].port, "%ld", 1000 + i);
    fl[i].round_trips = per_flow;
    if (jnet_go_on(l, nodes[s], server, &fl[i]) < 0 ||
        jnet_go_on(l, nodes[c], client, &fl[i]) < 0) {
      fprintf(stderr, "sim_scale_bench: spawn failed\n");
      exit(1);
    }
  }
  double t0 = bench_wall_s();
  int rc = jnet_run(l);
  double wall = bench_wall_s() - t0;
  jnet_sim_stats st;
  jnet_sim_get_stats(sim, &st);
  uint64_t fp = jnet_sim_fingerprint(sim);
  jnet_loop_free(l);
  jnet_sim_free(sim);
  for (long i = 0; i < flows; i++)
    if (fl[i].failed || fl[i].echoed != per_flow) rc = rc < 0 ? rc : -1;
  free(fl);
  free(nodes);
  if (rc < 0) {
    fprintf(stderr, "sim_scale_bench: a %ld-host trial failed\n", hosts);
    exit(1);
  }
  *events = st.events;
  *fingerprint = fp;
  return (double)st.events / wall;
}

int main(int argc, char **argv) {
  long hosts = 10000, flows = 5000, datagrams = 400000, trials = 3, only = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--hosts") == 0 && i + 1 < argc)
      hosts = bench_arg_long(argc, argv, ++i, hosts);
    else if (strcmp(argv[i], "--flows") == 0 && i + 1 < argc)
      flows = bench_arg_long(argc, argv, ++i, flows);
    else if (strcmp(argv[i], "--datagrams") == 0 && i + 1 < argc)
      datagrams = bench_arg_long(argc, argv, ++i, datagrams);
    else if (strcmp(argv[i], "--trials") == 0 && i + 1 < argc)
      trials = bench_arg_long(argc, argv, ++i, trials);
    else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
      only = bench_arg_long(argc, argv, ++i, 0);
    else {
      fprintf(stderr, "usage: %s [--hosts W] [--flows F] [--datagrams N] "
                      "[--trials T] [--only W]\n", argv[0]);
      return 2;
    }
  }
  if (hosts < 2) hosts = 2;
  if (flows > 60000) flows = 60000; /* ports 1000 + i */
  if (trials > MAX_TRIALS) trials = MAX_TRIALS;
  uint64_t events, fp;
  if (only > 0) {
    run_trial(only < 2 ? 2 : only, flows, datagrams, &events, &fp);
    bench_result("sim_scale_events", (double)events, "events");
    fprintf(stderr, "sim_scale_bench: fingerprint %016llx\n",
            (unsigned long long)fp);
    return 0;
  }
  double small[MAX_TRIALS], big[MAX_TRIALS], ratio[MAX_TRIALS];
  for (long t = 0; t < trials; t++) {
    small[t] = run_trial(2, flows, datagrams, &events, &fp);
    big[t] = run_trial(hosts, flows, datagrams, &events, &fp);
    ratio[t] = big[t] / small[t];
  }
  char name[64];
  bench_result("sim_scale_events_per_s_2_hosts",
               bench_median(small, (size_t)trials), "events/s");
  snprintf(name, sizeof name, "sim_scale_events_per_s_%ld_hosts", hosts);
  bench_result(name, bench_median(big, (size_t)trials), "events/s");
  bench_result("sim_scale_ratio", bench_median(ratio, (size_t)trials), "x");
  return 0;
}
