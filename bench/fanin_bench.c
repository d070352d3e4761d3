/* fanin_bench.c — many simulated hosts talking to one server: messages the
 * server receives per wall-clock second.
 *
 *   fanin_bench [--hosts H=1000] [--msgs M=100] [--trials T=3]
 *
 * One server host and H client hosts (IPv6, 2001:db8::/32: the IPv4
 * documentation ranges hold only 762 addresses) on the default link. Each
 * client connects over TCP and writes M 64-byte messages; the server runs
 * a handler per connection (jnet_server) that jnet_chunk()s them. Prints
 * fanin_1000_hosts_msgs_per_s (with the default H; the name carries H):
 * H * M / wall time of jnet_run, median of T trials.
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

typedef struct run_state {
  long msgs_per_host;
  long hosts;
  long received;
  long clients_done;
  jnet_stream srv;
  int failed;
} run_state;

static void handle_conn(jnet_stream conn, void *arg) {
  run_state *st = arg;
  jnet_buf b;
  jnet_buf_init(&b);
  for (;;) {
    jnet_buf_reset(&b);
    if (jnet_chunk(conn, MSG_BYTES, &b, JNET_FOREVER) != MSG_BYTES) break;
    st->received++;
  }
  jnet_buf_free(&b);
}

static void start_server(void *arg) {
  run_state *st = arg;
  int rc = jnet_server("2001:db8::1", "7", handle_conn, st, JNET_STREAM,
                       &st->srv);
  if (rc < 0) {
    fprintf(stderr, "fanin_bench: server: %s\n", jnet_strerror(rc));
    st->failed = 1;
  }
}

static void client(void *arg) {
  run_state *st = arg;
  jnet_stream s;
  char msg[MSG_BYTES];
  memset(msg, 'f', sizeof msg);
  jnet_sleep(0.001); /* let the server start listening first */
  if (jnet_connect("2001:db8::1", "7", JNET_STREAM, NULL, NULL, &s) < 0) {
    st->failed = 1;
  } else {
    for (long i = 0; i < st->msgs_per_host; i++)
      if (jnet_write(s, msg, sizeof msg, JNET_FOREVER) < 0) {
        st->failed = 1;
        break;
      }
    jnet_close(s);
  }
  /* The last client closes the listener once the handlers have drained:
   * wait (virtually) until every message is in. */
  if (++st->clients_done == st->hosts) {
    long expected = st->hosts * st->msgs_per_host;
    for (int i = 0; i < 10000 && st->received < expected; i++)
      jnet_sleep(0.01);
    jnet_close(st->srv);
  }
}

static double run_trial(long hosts, long msgs, jnet_sim_stats *stats) {
  jnet_sim *sim;
  jnet_node *srv_node, *node;
  jnet_loop *l;
  run_state st;
  char name[32], addr[64];
  memset(&st, 0, sizeof st);
  st.hosts = hosts;
  st.msgs_per_host = msgs;

  if (jnet_sim_new(&sim, 1) < 0 ||
      jnet_sim_host(sim, "server", (const char *[]){"2001:db8::1", NULL},
                    &srv_node) < 0 ||
      jnet_loop_new(&l, jnet_sim_backend(sim)) < 0) {
    fprintf(stderr, "fanin_bench: cannot build the network\n");
    exit(1);
  }
  jnet_go_on(l, srv_node, start_server, &st);
  for (long i = 0; i < hosts; i++) {
    snprintf(name, sizeof name, "c%ld", i);
    snprintf(addr, sizeof addr, "2001:db8::1:%lx", (unsigned long)i + 1);
    int rc = jnet_sim_host(sim, name, (const char *[]){addr, NULL}, &node);
    if (rc < 0) {
      fprintf(stderr, "fanin_bench: host %s %s: %s\n", name, addr,
              jnet_strerror(rc));
      exit(1);
    }
    jnet_go_on(l, node, client, &st);
  }

  double t0 = bench_wall_s();
  int rc = jnet_run(l);
  double wall_s = bench_wall_s() - t0;

  jnet_sim_get_stats(sim, stats);
  jnet_loop_free(l);
  jnet_sim_free(sim);
  if (rc < 0 || st.failed || st.received != hosts * msgs) {
    fprintf(stderr, "fanin_bench: trial failed: %s, %ld of %ld messages\n",
            jnet_strerror(rc), st.received, hosts * msgs);
    exit(1);
  }
  return (double)st.received / wall_s;
}

int main(int argc, char **argv) {
  long hosts = 1000, msgs = 100;
  int trials = 3;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--hosts") == 0 && i + 1 < argc)
      hosts = bench_arg_long(argc, argv, ++i, hosts);
    else if (strcmp(argv[i], "--msgs") == 0 && i + 1 < argc)
      msgs = bench_arg_long(argc, argv, ++i, msgs);
    else if (strcmp(argv[i], "--trials") == 0 && i + 1 < argc)
      trials = (int)bench_arg_long(argc, argv, ++i, trials);
    else {
      fprintf(stderr, "usage: %s [--hosts H] [--msgs M] [--trials T]\n",
              argv[0]);
      return 2;
    }
  }
  if (trials > 15) trials = 15;

  double rate[15];
  jnet_sim_stats stats;
  for (int t = 0; t < trials; t++) rate[t] = run_trial(hosts, msgs, &stats);
  fprintf(stderr,
          "fanin_bench: %ld hosts x %ld msgs, %" PRIu64 " events, %" PRIu64
          " packets, %" PRIu64 " retransmits\n",
          hosts, msgs, stats.events, stats.packets_sent, stats.retransmits);
  char name[64];
  snprintf(name, sizeof name, "fanin_%ld_hosts_msgs_per_s", hosts);
  bench_result(name, bench_median(rate, (size_t)trials), "msgs/s");
  return 0;
}
