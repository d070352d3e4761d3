/* sim_udp_bench.c — how many simulated UDP datagrams jnet delivers per
 * wall-clock second, with capture off or on.
 *
 *   sim_udp_bench [--datagrams N] [--flows K] [--trials T] [--pcap FILE]
 *
 * Two simulated hosts, 192.0.2.1 (client) and 192.0.2.2 (server), on the
 * default link (1 ms, no loss). The server fiber echoes every datagram it
 * receives; K client fibers (each with its own socket) play ping-pong with
 * it: send 64 bytes, receive the echo, repeat, N datagrams in all. Every
 * datagram goes through the whole stack: jnet_send_to -> backend -> model
 * -> event queue -> jnet_recv_from in another fiber.
 *
 * Prints sim_udp_datagrams_per_s (packets the model delivered / wall time,
 * median of T trials) and sim_events_per_s (model events / wall time);
 * with --pcap (the whole network captured to FILE) it prints
 * sim_udp_datagrams_per_s_pcap instead. On stderr: the model's counters of
 * the last trial. Exits 1 if a trial lost or failed anything.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include <jnet/jnet.h>
#include <jnet/jnet_sim.h>

#define MSG_BYTES 64
#define MAX_FLOWS 256

typedef struct run_state {
  long per_flow;      /* round trips each client makes */
  long total;         /* datagrams the server has to echo */
  long echoed;
  int failed;
} run_state;

static void server(void *arg) {
  run_state *st = arg;
  jnet_stream s;
  jnet_buf b;
  jnet_addr from;
  int rc = jnet_listen("192.0.2.2", "7", JNET_DATAGRAM, &s);
  if (rc < 0) {
    fprintf(stderr, "sim_udp_bench: listen: %s\n", jnet_strerror(rc));
    st->failed = 1;
    return;
  }
  jnet_buf_init(&b);
  while (st->echoed < st->total) {
    jnet_buf_reset(&b);
    /* A generous virtual timeout: the run ends even if something is lost. */
    if (jnet_recv_from(s, 2048, &b, 10.0, &from) < 0 ||
        jnet_send_to(s, &from, b.data, b.len, JNET_FOREVER) < 0) {
      st->failed = 1;
      break;
    }
    st->echoed++;
  }
  jnet_buf_free(&b);
  jnet_close(s);
}

static void client(void *arg) {
  run_state *st = arg;
  jnet_stream s;
  jnet_addr dst;
  jnet_buf b;
  char msg[MSG_BYTES];
  memset(msg, 'p', sizeof msg);
  jnet_sleep(0.001); /* let the server bind first */
  if (jnet_address("192.0.2.2", "7", JNET_DATAGRAM, &dst) < 0 ||
      jnet_listen("192.0.2.1", "0", JNET_DATAGRAM, &s) < 0) {
    st->failed = 1;
    return;
  }
  jnet_buf_init(&b);
  for (long i = 0; i < st->per_flow; i++) {
    jnet_buf_reset(&b);
    if (jnet_send_to(s, &dst, msg, sizeof msg, JNET_FOREVER) < 0 ||
        jnet_recv_from(s, 2048, &b, 10.0, NULL) != MSG_BYTES) {
      st->failed = 1;
      break;
    }
  }
  jnet_buf_free(&b);
  jnet_close(s);
}

/* One trial; returns delivered datagrams per wall second and fills *stats
 * and *wall_s. */
static double run_trial(long datagrams, int flows, const char *pcap,
                        jnet_sim_stats *stats, double *wall_s) {
  jnet_sim *sim;
  jnet_node *a, *b;
  jnet_loop *l;
  run_state st;
  memset(&st, 0, sizeof st);
  st.per_flow = datagrams / 2 / flows;
  if (st.per_flow < 1) st.per_flow = 1;
  st.total = st.per_flow * flows;

  if (jnet_sim_new(&sim, 1) < 0 ||
      jnet_sim_host(sim, "client", (const char *[]){"192.0.2.1", NULL}, &a) <
          0 ||
      jnet_sim_host(sim, "server", (const char *[]){"192.0.2.2", NULL}, &b) <
          0 ||
      jnet_loop_new(&l, jnet_sim_backend(sim)) < 0) {
    fprintf(stderr, "sim_udp_bench: cannot build the network\n");
    exit(1);
  }
  if (pcap) {
    int rc = jnet_sim_pcap_open(sim, pcap, NULL);
    if (rc < 0) {
      fprintf(stderr, "sim_udp_bench: pcap %s: %s\n", pcap,
              jnet_strerror(rc));
      exit(1);
    }
  }
  jnet_go_on(l, b, server, &st);
  for (int i = 0; i < flows; i++) jnet_go_on(l, a, client, &st);

  double t0 = bench_wall_s();
  int rc = jnet_run(l);
  if (pcap && rc == 0) rc = jnet_sim_pcap_close(sim);
  *wall_s = bench_wall_s() - t0;

  jnet_sim_get_stats(sim, stats);
  jnet_loop_free(l);
  jnet_sim_free(sim);
  if (rc < 0 || st.failed || st.echoed != st.total) {
    fprintf(stderr, "sim_udp_bench: trial failed: %s, echoed %ld of %ld\n",
            jnet_strerror(rc), st.echoed, st.total);
    exit(1);
  }
  return (double)stats->packets_delivered / *wall_s;
}

int main(int argc, char **argv) {
  long datagrams = 400000;
  int flows = 8, trials = 3;
  const char *pcap = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--datagrams") == 0 && i + 1 < argc)
      datagrams = bench_arg_long(argc, argv, ++i, datagrams);
    else if (strcmp(argv[i], "--flows") == 0 && i + 1 < argc)
      flows = (int)bench_arg_long(argc, argv, ++i, flows);
    else if (strcmp(argv[i], "--trials") == 0 && i + 1 < argc)
      trials = (int)bench_arg_long(argc, argv, ++i, trials);
    else if (strcmp(argv[i], "--pcap") == 0 && i + 1 < argc)
      pcap = argv[++i];
    else {
      fprintf(stderr, "usage: %s [--datagrams N] [--flows K] [--trials T] "
                      "[--pcap FILE]\n", argv[0]);
      return 2;
    }
  }
  if (flows > MAX_FLOWS) flows = MAX_FLOWS;
  if (trials > 15) trials = 15;

  double rate[15], ev_rate[15];
  jnet_sim_stats stats;
  for (int t = 0; t < trials; t++) {
    double wall_s;
    rate[t] = run_trial(datagrams, flows, pcap, &stats, &wall_s);
    ev_rate[t] = (double)stats.events / wall_s;
  }
  fprintf(stderr,
          "sim_udp_bench: %d flows, %" PRIu64 " events, %" PRIu64
          " packets sent, %" PRIu64 " delivered, %" PRIu64 " dropped\n",
          flows, stats.events, stats.packets_sent, stats.packets_delivered,
          stats.packets_dropped);
  if (pcap) {
    bench_result("sim_udp_datagrams_per_s_pcap",
                 bench_median(rate, (size_t)trials), "datagrams/s");
  } else {
    bench_result("sim_udp_datagrams_per_s",
                 bench_median(rate, (size_t)trials), "datagrams/s");
    bench_result("sim_events_per_s", bench_median(ev_rate, (size_t)trials),
                 "events/s");
  }
  return 0;
}
