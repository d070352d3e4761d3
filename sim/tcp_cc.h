/* tcp_cc.h — private to sim/: the TCP model's congestion-control
 * algorithms behind one small ops table (as Linux's tcp_congestion_ops).
 *
 * tcp.c owns what every algorithm shares (RFC 5681): the initial window
 * of 10 segments (RFC 6928), slow start with byte counting up to ssthresh,
 * fast retransmit and NewReno fast recovery (RFC 6582), the RTO collapse to
 * one segment. An algorithm decides two things: how the window grows in
 * congestion avoidance, and the new ssthresh after a loss. Windows are in
 * bytes; s->mss is one segment.
 */
#ifndef JNET_SIM_TCP_CC_H
#define JNET_SIM_TCP_CC_H

#include "model.h"

typedef struct jnet__sim_cc_ops {
  const char *name;
  /* The connection is established: reset the algorithm's state. */
  void (*init)(jnet__sim_sock *s);
  /* `acked` new bytes were acknowledged while cwnd >= ssthresh and the
   * sender was limited by cwnd: grow s->cwnd. */
  void (*cong_avoid)(jnet__sim_sock *s, uint32_t acked, uint64_t now_ns);
  /* A loss (three duplicate ACKs or an RTO): the new ssthresh. */
  uint32_t (*ssthresh)(jnet__sim_sock *s);
} jnet__sim_cc_ops;

extern const jnet__sim_cc_ops jnet__sim_cc_newreno;
extern const jnet__sim_cc_ops jnet__sim_cc_cubic;

/* The registry; a socket's cc_id is an index in it plus one (0: none). */
enum { JNET__SIM_CC_COUNT = 2 };
extern const jnet__sim_cc_ops
    *const jnet__sim_cc_algorithms[JNET__SIM_CC_COUNT];
uint8_t jnet__sim_cc_id(const jnet__sim_cc_ops *cc);
/* s's algorithm (s->cc_id != 0). */
static inline const jnet__sim_cc_ops *
jnet__sim_tcp_cc(const jnet__sim_sock *s) {
  return jnet__sim_cc_algorithms[s->cc_id - 1];
}

/* The algorithm named `name` ("cubic", "newreno"), or NULL. */
const jnet__sim_cc_ops *jnet__sim_cc_find(const char *name);

/* A host's settings with its defaults filled in (tcp_cc.c). */
const jnet__sim_cc_ops *jnet__sim_tcp_host_cc(const jnet__sim_host *h);
uint32_t jnet__sim_tcp_host_rcvbuf(const jnet__sim_host *h);
uint32_t jnet__sim_tcp_host_sndbuf(const jnet__sim_host *h);
uint32_t jnet__sim_tcp_host_sndbuf_max(const jnet__sim_host *h);
uint64_t jnet__sim_tcp_host_ka_idle(const jnet__sim_host *h);
uint64_t jnet__sim_tcp_host_ka_intvl(const jnet__sim_host *h);
uint32_t jnet__sim_tcp_host_ka_probes(const jnet__sim_host *h);

#endif /* JNET_SIM_TCP_CC_H */
