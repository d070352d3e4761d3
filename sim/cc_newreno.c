/* cc_newreno.c — Reno's window (RFC 5681) as Linux counts it: in
 * congestion avoidance one segment more per window of bytes acknowledged;
 * after a loss, ssthresh is half the window (at least 2 segments).
 * Fast recovery itself (RFC 6582) is tcp.c's, shared by every algorithm. */
#include "tcp_cc.h"

static void reno_init(jnet__sim_sock *s) { s->cwnd_cnt = 0; }

static void reno_cong_avoid(jnet__sim_sock *s, uint32_t acked,
                            uint64_t now_ns) {
  (void)now_ns;
  s->cwnd_cnt += acked;
  while (s->cwnd_cnt >= s->cwnd) {
    s->cwnd_cnt -= s->cwnd;
    s->cwnd += s->mss;
  }
}

static uint32_t reno_ssthresh(jnet__sim_sock *s) { /* tcp_reno_ssthresh */
  uint32_t half = s->cwnd / 2;
  return half > 2u * s->mss ? half : 2u * s->mss;
}

const jnet__sim_cc_ops jnet__sim_cc_newreno = {"newreno", reno_init,
                                               reno_cong_avoid, reno_ssthresh};
