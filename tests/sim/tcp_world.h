/* tcp_world.h — the world of the TCP fidelity grid on jnet's simulator,
 * the same as bench/ns3/tcp_grid.cc builds in ns-3 (whose output is
 * tests/sim/tcp_reference.tsv): a sender and a receiver on a 10 Mbit/s
 * link each way with one-way latency D, a 64 KiB drop-tail queue, random
 * loss p per packet each way, 128 KiB send and receive buffers, MSS 1460,
 * and one or two bulk flows writing from t = 0 for `seconds` simulated
 * seconds. Used by tests/sim/test_tcp_fidelity.c and
 * bench/sim_tcp_bench.c. Header-only, public API only. */
#ifndef JNET_TCP_WORLD_H
#define JNET_TCP_WORLD_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jnet/jnet.h>
#include <jnet/jnet_sim.h>

#define TW_MAX_FLOWS 2

typedef struct tw_result {
  double goodput_mbps;  /* all flows, application bytes read in the run */
  double queue_drops;
  double jain;          /* Jain's fairness index over the flows */
  double starved_s;     /* longest span a flow read nothing (after 1 s) */
  uint64_t packets;     /* IP packets sent */
} tw_result;

typedef struct tw_flow {
  struct tw_run *run;
  int index;
  uint64_t bytes;
  double last_read_s, worst_gap_s;
} tw_flow;

typedef struct tw_run {
  double seconds;
  int flows, ok;
  tw_flow f[TW_MAX_FLOWS];
} tw_run;

static void tw_receiver(void *arg) {
  tw_flow *f = arg;
  tw_run *r = f->run;
  char port[16];
  snprintf(port, sizeof port, "%d", 5000 + f->index);
  jnet_stream srv, c;
  if (jnet_listen("192.0.2.2", port, JNET_STREAM, &srv) < 0)
    return;
  if (jnet_accept(srv, 10, &c) < 0) {
    jnet_close(srv);
    return;
  }
  jnet_close(srv);
  jnet_buf b;
  jnet_buf_init(&b);
  for (;;) {
    double left = r->seconds - jnet_now();
    if (left <= 0)
      break;
    b.len = 0;
    ssize_t n = jnet_read(c, 1 << 20, &b, left);
    if (n <= 0)
      break;
    double now = jnet_now();
    if (now - f->last_read_s > f->worst_gap_s && f->last_read_s > 0)
      f->worst_gap_s = now - f->last_read_s;
    f->last_read_s = now;
    f->bytes += (uint64_t)n;
  }
  if (r->seconds - f->last_read_s > f->worst_gap_s)
    f->worst_gap_s = r->seconds - f->last_read_s;
  jnet_buf_free(&b);
  r->ok++;
  jnet_close(c); /* unread data: RST, which ends the sender */
}

static void tw_sender(void *arg) {
  tw_flow *f = arg;
  static unsigned char chunk[1 << 16];
  char port[16];
  snprintf(port, sizeof port, "%d", 5000 + f->index);
  jnet_stream c;
  if (jnet_connect("192.0.2.2", port, JNET_STREAM, NULL, NULL, &c) < 0)
    return;
  while (jnet_write(c, chunk, sizeof chunk, f->run->seconds + 10) == 0 &&
         jnet_now() < f->run->seconds)
    ;
  jnet_close(c);
}

/* One run; 0 or a negative JNET_E* code. */
static int tw_run_one(const char *cc, double one_way_ms, double loss,
                      uint64_t seed, double seconds, int flows,
                      tw_result *out) {
  jnet_sim *sim;
  jnet_node *h[2];
  jnet_loop *loop = NULL;
  int err = jnet_sim_new(&sim, seed);
  if (err < 0)
    return err;
  const char *a0[] = {"192.0.2.1", NULL}, *a1[] = {"192.0.2.2", NULL};
  jnet_sim_tcp_params tp;
  jnet_sim_tcp_params_default(&tp);
  tp.cc = cc;
  tp.rcvbuf_bytes = tp.sndbuf_bytes = tp.sndbuf_max_bytes = 128 * 1024;
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.latency_ns = (uint64_t)(one_way_ms * 1e6);
  lp.loss = loss;
  lp.bandwidth_bps = 10000000;
  lp.queue_bytes = 64 * 1024;
  tw_run r;
  memset(&r, 0, sizeof r);
  r.seconds = seconds;
  r.flows = flows;
  if ((err = jnet_sim_host(sim, "sender", a0, &h[0])) < 0 ||
      (err = jnet_sim_host(sim, "receiver", a1, &h[1])) < 0 ||
      (err = jnet_sim_host_tcp(h[0], &tp)) < 0 ||
      (err = jnet_sim_host_tcp(h[1], &tp)) < 0 ||
      (err = jnet_sim_link(sim, h[0], h[1], &lp)) < 0 ||
      (err = jnet_loop_new(&loop, jnet_sim_backend(sim))) < 0)
    goto done;
  for (int i = 0; i < flows && err == 0; i++) {
    r.f[i].run = &r;
    r.f[i].index = i;
    err = jnet_go_on(loop, h[1], tw_receiver, &r.f[i]);
    if (err == 0)
      err = jnet_go_on(loop, h[0], tw_sender, &r.f[i]);
  }
  if (err == 0)
    err = jnet_run(loop);
  if (err == 0 && r.ok != flows)
    err = JNET_ECANCELED; /* a flow never finished */
  if (err == 0) {
    jnet_sim_stats st;
    jnet_sim_get_stats(sim, &st);
    double sum = 0, sq = 0;
    out->starved_s = 0;
    for (int i = 0; i < flows; i++) {
      double x = (double)r.f[i].bytes;
      sum += x;
      sq += x * x;
      if (r.f[i].worst_gap_s > out->starved_s)
        out->starved_s = r.f[i].worst_gap_s;
    }
    out->goodput_mbps = sum * 8 / seconds / 1e6;
    out->queue_drops = (double)st.queue_drops;
    out->jain = sq > 0 ? sum * sum / (flows * sq) : 0;
    out->packets = st.packets_sent;
  }
done:
  if (loop)
    jnet_loop_free(loop);
  jnet_sim_free(sim);
  return err;
}

/* The mean over seeds 1..nseeds (jain and starved_s: the worst). */
static int tw_run_mean(const char *cc, double one_way_ms, double loss,
                       int nseeds, double seconds, int flows, tw_result *out) {
  memset(out, 0, sizeof *out);
  out->jain = 1;
  for (int s = 1; s <= nseeds; s++) {
    tw_result r = {0, 0, 0, 0, 0};
    int err = tw_run_one(cc, one_way_ms, loss, (uint64_t)s, seconds, flows, &r);
    if (err < 0)
      return err;
    out->goodput_mbps += r.goodput_mbps / nseeds;
    out->queue_drops += r.queue_drops / nseeds;
    out->packets += r.packets;
    if (r.jain < out->jain)
      out->jain = r.jain;
    if (r.starved_s > out->starved_s)
      out->starved_s = r.starved_s;
  }
  return 0;
}

/* One row of tests/sim/tcp_reference.tsv. */
typedef struct tw_ref {
  char cc[16];
  double one_way_ms, loss_pct, goodput_mbps, queue_drops, jain, starved_s;
} tw_ref;

/* Read the reference rows (comment lines start with '#'); the count or -1. */
static int tw_read_reference(const char *path, tw_ref *rows, int cap) {
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return -1;
  char line[512];
  int n = 0;
  while (n < cap && fgets(line, sizeof line, f)) {
    if (line[0] == '#' || line[0] == '\n')
      continue;
    tw_ref *r = &rows[n];
    r->jain = r->starved_s = 0;
    int k = sscanf(line, "%15s %lf %lf %lf %lf %lf %lf", r->cc, &r->one_way_ms,
                   &r->loss_pct, &r->goodput_mbps, &r->queue_drops, &r->jain,
                   &r->starved_s);
    if (k >= 5)
      n++;
  }
  fclose(f);
  return n;
}

#endif /* JNET_TCP_WORLD_H */
