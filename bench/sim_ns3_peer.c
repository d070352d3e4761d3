/* sim_ns3_peer.c — jnet's side of bench/ns3/udp-echo.cc: the same scenario
 * on the simulated network, timed the same way (wall time of the run only).
 *
 *   sim_ns3_peer [--packets N=20000] [--interval-us U=10]
 *
 * Two hosts, 192.0.2.1 and 192.0.2.2, on a link of 10 Gbps and 1 ms one-way
 * delay both ways. A sender fiber on the client sends N 64-byte datagrams,
 * one every U virtual microseconds, to an echo server fiber on the other
 * host; a receiver fiber on the client (same socket) takes the N echoes.
 * Prints:  jnet_wall_s <seconds> echoes <n> cpu_s <seconds>
 * (exit 1 unless n == N); cpu_s is the process CPU time of the run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include <jnet/jnet.h>
#include <jnet/jnet_sim.h>

#define MSG_BYTES 64

typedef struct peer_state {
  long packets;
  double interval_s;
  jnet_stream client_sock;
  long echoed;  /* by the server */
  long echoes;  /* received by the client */
  int failed;
} peer_state;

static void echo_server(void *arg) {
  peer_state *st = arg;
  jnet_stream s;
  jnet_buf b;
  jnet_addr from;
  if (jnet_listen("192.0.2.2", "7", JNET_DATAGRAM, &s) < 0) {
    st->failed = 1;
    return;
  }
  jnet_buf_init(&b);
  while (st->echoed < st->packets) {
    jnet_buf_reset(&b);
    if (jnet_recv_from(s, 2048, &b, 1.0, &from) < 0 ||
        jnet_send_to(s, &from, b.data, b.len, JNET_FOREVER) < 0)
      break;
    st->echoed++;
  }
  jnet_buf_free(&b);
  jnet_close(s);
}

static void sender(void *arg) {
  peer_state *st = arg;
  jnet_addr dst;
  char msg[MSG_BYTES];
  memset(msg, 'n', sizeof msg);
  if (jnet_address("192.0.2.2", "7", JNET_DATAGRAM, &dst) < 0) {
    st->failed = 1;
    return;
  }
  for (long i = 0; i < st->packets; i++) {
    if (jnet_send_to(st->client_sock, &dst, msg, sizeof msg, JNET_FOREVER) <
        0) {
      st->failed = 1;
      return;
    }
    jnet_sleep(st->interval_s);
  }
}

static void receiver(void *arg) {
  peer_state *st = arg;
  jnet_buf b;
  jnet_buf_init(&b);
  while (st->echoes < st->packets) {
    jnet_buf_reset(&b);
    if (jnet_recv_from(st->client_sock, 2048, &b, 1.0, NULL) < 0) break;
    st->echoes++;
  }
  jnet_buf_free(&b);
  jnet_close(st->client_sock);
}

/* Open the client socket, then start the sender and the receiver on it. */
static void client(void *arg) {
  peer_state *st = arg;
  jnet_sleep(0.001); /* let the server bind first */
  if (jnet_listen("192.0.2.1", "0", JNET_DATAGRAM, &st->client_sock) < 0) {
    st->failed = 1;
    return;
  }
  jnet_go(NULL, receiver, st);
  jnet_go(NULL, sender, st);
}

int main(int argc, char **argv) {
  peer_state st;
  long interval_us = 10;
  memset(&st, 0, sizeof st);
  st.packets = 20000;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--packets") == 0 && i + 1 < argc)
      st.packets = bench_arg_long(argc, argv, ++i, st.packets);
    else if (strcmp(argv[i], "--interval-us") == 0 && i + 1 < argc)
      interval_us = bench_arg_long(argc, argv, ++i, interval_us);
    else {
      fprintf(stderr, "usage: %s [--packets N] [--interval-us U]\n", argv[0]);
      return 2;
    }
  }
  st.interval_s = (double)interval_us * 1e-6;

  jnet_sim *sim;
  jnet_node *a, *b;
  jnet_loop *l;
  jnet_link_params p;
  jnet_link_params_default(&p);
  p.latency_ns = JNET_SIM_MS;
  p.bandwidth_bps = 10000000000ull;
  p.queue_bytes = 1u << 20;
  if (jnet_sim_new(&sim, 1) < 0 ||
      jnet_sim_host(sim, "client", (const char *[]){"192.0.2.1", NULL}, &a) <
          0 ||
      jnet_sim_host(sim, "server", (const char *[]){"192.0.2.2", NULL}, &b) <
          0 ||
      jnet_sim_link(sim, a, b, &p) < 0 ||
      jnet_loop_new(&l, jnet_sim_backend(sim)) < 0) {
    fprintf(stderr, "sim_ns3_peer: cannot build the network\n");
    return 1;
  }
  jnet_go_on(l, b, echo_server, &st);
  jnet_go_on(l, a, client, &st);
  double t0 = bench_wall_s(), c0 = bench_cpu_s();
  int rc = jnet_run(l);
  double cpu_s = bench_cpu_s() - c0;
  double wall_s = bench_wall_s() - t0;
  jnet_loop_free(l);
  jnet_sim_free(sim);
  printf("jnet_wall_s %.6f echoes %ld cpu_s %.6f\n", wall_s, st.echoes,
         cpu_s);
  if (rc < 0 || st.failed) fprintf(stderr, "sim_ns3_peer: run failed\n");
  return rc == 0 && !st.failed && st.echoes == st.packets ? 0 : 1;
}
