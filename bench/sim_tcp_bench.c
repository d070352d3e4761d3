/* sim_tcp_bench.c — 64-byte request/response over simulated TCP: messages
 * per wall-clock second; a timed 60 s bulk transfer (the world of
 * tests/sim/tcp_world.h) to set against ns-3's; and the fidelity grid's
 * worst row against tests/sim/tcp_reference.tsv.
 *
 *   sim_tcp_bench [--msgs N] [--flows K] [--trials T]
 *   sim_tcp_bench --bulk MS          jnet_tcp_bulk_wall_s W packets N
 *   sim_tcp_bench --fidelity REF     tcp_fidelity_max_error (NewReno) and
 *                                    tcp_fidelity_max_error_cubic, in %
 *
 * Two simulated hosts on the default link (1 ms, no loss). A jnet_server on
 * 192.0.2.2 reads 64-byte requests with jnet_chunk() and writes each back;
 * K client fibers on 192.0.2.1, one connection each, write a request and
 * jnet_chunk() the response, N messages in all (a request and its response
 * count as two messages, as two datagrams do in sim_udp_bench). Prints
 * sim_tcp_msgs_per_s (median of T trials); the model's counters on stderr.
 */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include <jnet/jnet.h>
#include <jnet/jnet_sim.h>
#include "tcp_world.h"

#define MSG_BYTES 64
#define MAX_FLOWS 256

typedef struct run_state {
  long per_flow; /* round trips per client */
  int flows;
  int clients_done;
  long round_trips;
  jnet_stream srv;
  int failed;
} run_state;

static void handle_conn(jnet_stream conn, void *arg) {
  jnet_buf b;
  (void)arg;
  jnet_buf_init(&b);
  for (;;) {
    jnet_buf_reset(&b);
    if (jnet_chunk(conn, MSG_BYTES, &b, JNET_FOREVER) != MSG_BYTES) break;
    if (jnet_write(conn, b.data, b.len, JNET_FOREVER) < 0) break;
  }
  jnet_buf_free(&b);
}

static void start_server(void *arg) {
  run_state *st = arg;
  int rc = jnet_server("192.0.2.2", "7", handle_conn, st, JNET_STREAM,
                       &st->srv);
  if (rc < 0) {
    fprintf(stderr, "sim_tcp_bench: server: %s\n", jnet_strerror(rc));
    st->failed = 1;
  }
}

static void client(void *arg) {
  run_state *st = arg;
  jnet_stream s;
  jnet_buf b;
  char msg[MSG_BYTES];
  memset(msg, 'q', sizeof msg);
  jnet_buf_init(&b);
  jnet_sleep(0.001); /* let the server start listening first */
  if (jnet_connect("192.0.2.2", "7", JNET_STREAM, NULL, NULL, &s) < 0) {
    st->failed = 1;
  } else {
    for (long i = 0; i < st->per_flow; i++) {
      jnet_buf_reset(&b);
      if (jnet_write(s, msg, sizeof msg, JNET_FOREVER) < 0 ||
          jnet_chunk(s, MSG_BYTES, &b, JNET_FOREVER) != MSG_BYTES) {
        st->failed = 1;
        break;
      }
      st->round_trips++;
    }
    jnet_close(s);
  }
  jnet_buf_free(&b);
  if (++st->clients_done == st->flows) jnet_close(st->srv);
}

static double run_trial(long msgs, int flows, jnet_sim_stats *stats) {
  jnet_sim *sim;
  jnet_node *a, *b;
  jnet_loop *l;
  run_state st;
  memset(&st, 0, sizeof st);
  st.flows = flows;
  st.per_flow = msgs / 2 / flows;
  if (st.per_flow < 1) st.per_flow = 1;

  if (jnet_sim_new(&sim, 1) < 0 ||
      jnet_sim_host(sim, "client", (const char *[]){"192.0.2.1", NULL}, &a) <
          0 ||
      jnet_sim_host(sim, "server", (const char *[]){"192.0.2.2", NULL}, &b) <
          0 ||
      jnet_loop_new(&l, jnet_sim_backend(sim)) < 0) {
    fprintf(stderr, "sim_tcp_bench: cannot build the network\n");
    exit(1);
  }
  jnet_go_on(l, b, start_server, &st);
  for (int i = 0; i < flows; i++) jnet_go_on(l, a, client, &st);

  double t0 = bench_wall_s();
  int rc = jnet_run(l);
  double wall_s = bench_wall_s() - t0;

  jnet_sim_get_stats(sim, stats);
  jnet_loop_free(l);
  jnet_sim_free(sim);
  if (rc < 0 || st.failed || st.round_trips != st.per_flow * flows) {
    fprintf(stderr, "sim_tcp_bench: trial failed: %s, %ld of %ld round "
            "trips\n", jnet_strerror(rc), st.round_trips,
            st.per_flow * flows);
    exit(1);
  }
  return 2.0 * (double)st.round_trips / wall_s;
}

/* One NewReno bulk flow for 60 simulated seconds, timed. */
static int bulk(double one_way_ms) {
  tw_result r;
  double t0 = bench_wall_s();
  int err = tw_run_one("newreno", one_way_ms, 0, 1, 60, 1, &r);
  double wall = bench_wall_s() - t0;
  if (err < 0) {
    fprintf(stderr, "sim_tcp_bench: bulk: %s\n", jnet_strerror(err));
    return 1;
  }
  printf("jnet_tcp_bulk_wall_s %.6f packets %llu goodput_mbps %.3f\n", wall,
         (unsigned long long)r.packets, r.goodput_mbps);
  return 0;
}

/* The fidelity grid (5 seeds) against the reference: the worst relative
 * goodput error, per algorithm; each row on stderr. */
static int fidelity(const char *path) {
  tw_ref refs[64];
  int n = tw_read_reference(path, refs, 64);
  if (n <= 0) {
    fprintf(stderr, "sim_tcp_bench: cannot read %s\n", path);
    return 1;
  }
  double worst[2] = {0, 0};
  for (int i = 0; i < n; i++) {
    const tw_ref *f = &refs[i];
    if (f->jain > 0) /* a two-flow row */
      continue;
    tw_result m;
    int err = tw_run_mean(f->cc, f->one_way_ms, f->loss_pct / 100, 5, 60, 1,
                          &m);
    if (err < 0) {
      fprintf(stderr, "sim_tcp_bench: %s: %s\n", f->cc, jnet_strerror(err));
      return 1;
    }
    double e = 100 * (m.goodput_mbps - f->goodput_mbps) / f->goodput_mbps;
    int c = strcmp(f->cc, "cubic") == 0;
    if (fabs(e) > worst[c])
      worst[c] = fabs(e);
    fprintf(stderr, "%-8s %2g ms %4g %%: jnet %.3f ns-3 %.3f Mbit/s (%+.1f %%)"
            " drops %.1f / %.1f\n", f->cc, f->one_way_ms, f->loss_pct,
            m.goodput_mbps, f->goodput_mbps, e, m.queue_drops, f->queue_drops);
  }
  bench_result("tcp_fidelity_max_error", worst[0], "%");
  bench_result("tcp_fidelity_max_error_cubic", worst[1], "%");
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--bulk") == 0)
    return bulk(atof(argv[2]));
  if (argc == 3 && strcmp(argv[1], "--fidelity") == 0)
    return fidelity(argv[2]);
  long msgs = 200000;
  int flows = 8, trials = 3;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--msgs") == 0 && i + 1 < argc)
      msgs = bench_arg_long(argc, argv, ++i, msgs);
    else if (strcmp(argv[i], "--flows") == 0 && i + 1 < argc)
      flows = (int)bench_arg_long(argc, argv, ++i, flows);
    else if (strcmp(argv[i], "--trials") == 0 && i + 1 < argc)
      trials = (int)bench_arg_long(argc, argv, ++i, trials);
    else {
      fprintf(stderr, "usage: %s [--msgs N] [--flows K] [--trials T]\n",
              argv[0]);
      return 2;
    }
  }
  if (flows > MAX_FLOWS) flows = MAX_FLOWS;
  if (trials > 15) trials = 15;

  double rate[15];
  jnet_sim_stats stats;
  for (int t = 0; t < trials; t++) rate[t] = run_trial(msgs, flows, &stats);
  fprintf(stderr,
          "sim_tcp_bench: %d flows, %" PRIu64 " events, %" PRIu64
          " packets sent, %" PRIu64 " retransmits\n",
          flows, stats.events, stats.packets_sent, stats.retransmits);
  bench_result("sim_tcp_msgs_per_s", bench_median(rate, (size_t)trials),
               "msgs/s");
  return 0;
}
