/* tcp_cc.c — the congestion-control registry and each host's TCP settings
 * (jnet_sim_host_tcp): algorithm, buffer sizes, keepalive times. */
#include <string.h>

#include "tcp_cc.h"

#define BUF_MIN (4u * 1024u)
#define BUF_LIMIT (64u * 1024u * 1024u)

/* A socket keeps its algorithm as an index here plus one (a byte, not a
 * pointer: jnet__sim_tcp_cc). */
const jnet__sim_cc_ops *const jnet__sim_cc_algorithms[JNET__SIM_CC_COUNT] = {
    &jnet__sim_cc_cubic, &jnet__sim_cc_newreno};
#define algorithms jnet__sim_cc_algorithms

uint8_t jnet__sim_cc_id(const jnet__sim_cc_ops *cc) {
  /* cc comes from this table (jnet__sim_tcp_host_cc): always found */
  for (size_t i = 0; i < JNET__SIM_CC_COUNT; i++) /* LCOV_EXCL_BR_LINE */
    if (algorithms[i] == cc) /* LCOV_EXCL_BR_LINE */
      return (uint8_t)(i + 1);
  return 0; /* LCOV_EXCL_LINE */
}

const jnet__sim_cc_ops *jnet__sim_cc_find(const char *name) {
  if (name == NULL)
    return NULL;
  for (size_t i = 0; i < sizeof algorithms / sizeof algorithms[0]; i++)
    if (strcmp(algorithms[i]->name, name) == 0)
      return algorithms[i];
  return NULL;
}

void jnet_sim_tcp_params_default(jnet_sim_tcp_params *p) {
  if (p == NULL)
    return;
  memset(p, 0, sizeof *p);
  p->cc = jnet__sim_cc_cubic.name;
  p->rcvbuf_bytes = 128u * 1024u;    /* tcp_rmem[1] */
  p->sndbuf_bytes = 16u * 1024u;     /* tcp_wmem[1] */
  p->sndbuf_max_bytes = 4u << 20;    /* tcp_wmem[2] */
  p->keepalive_idle_ns = 7200ull * JNET_SIM_S;
  p->keepalive_intvl_ns = 75ull * JNET_SIM_S;
  p->keepalive_probes = 9;
}

static int buf_ok(uint32_t n) { return n >= BUF_MIN && n <= BUF_LIMIT; }

int jnet_sim_host_tcp(jnet__sim_host *h, const jnet_sim_tcp_params *p) {
  if (h == NULL || p == NULL)
    return JNET_EINVAL;
  const jnet__sim_cc_ops *cc = jnet__sim_cc_find(p->cc);
  if (cc == NULL || !buf_ok(p->rcvbuf_bytes) || !buf_ok(p->sndbuf_bytes) ||
      !buf_ok(p->sndbuf_max_bytes) || p->sndbuf_max_bytes < p->sndbuf_bytes ||
      p->keepalive_idle_ns == 0 || p->keepalive_intvl_ns == 0 ||
      p->keepalive_probes == 0 || p->keepalive_probes > 255)
    return JNET_EINVAL;
  h->tcp.cc = cc;
  h->tcp.rcvbuf_bytes = p->rcvbuf_bytes;
  h->tcp.sndbuf_bytes = p->sndbuf_bytes;
  h->tcp.sndbuf_max_bytes = p->sndbuf_max_bytes;
  h->tcp.ka_idle_ns = p->keepalive_idle_ns;
  h->tcp.ka_intvl_ns = p->keepalive_intvl_ns;
  h->tcp.ka_probes = p->keepalive_probes;
  return 0;
}

int jnet_sim_host_tcp_get(const jnet__sim_host *h, jnet_sim_tcp_params *out) {
  if (h == NULL || out == NULL)
    return JNET_EINVAL;
  out->cc = jnet__sim_tcp_host_cc(h)->name;
  out->rcvbuf_bytes = jnet__sim_tcp_host_rcvbuf(h);
  out->sndbuf_bytes = jnet__sim_tcp_host_sndbuf(h);
  out->sndbuf_max_bytes = jnet__sim_tcp_host_sndbuf_max(h);
  out->keepalive_idle_ns = jnet__sim_tcp_host_ka_idle(h);
  out->keepalive_intvl_ns = jnet__sim_tcp_host_ka_intvl(h);
  out->keepalive_probes = jnet__sim_tcp_host_ka_probes(h);
  return 0;
}

/* A host that never called jnet_sim_host_tcp has zeros: the defaults. */
const jnet__sim_cc_ops *jnet__sim_tcp_host_cc(const jnet__sim_host *h) {
  return h->tcp.cc ? h->tcp.cc : &jnet__sim_cc_cubic;
}
uint32_t jnet__sim_tcp_host_rcvbuf(const jnet__sim_host *h) {
  return h->tcp.rcvbuf_bytes ? h->tcp.rcvbuf_bytes : 128u * 1024u;
}
uint32_t jnet__sim_tcp_host_sndbuf(const jnet__sim_host *h) {
  return h->tcp.sndbuf_bytes ? h->tcp.sndbuf_bytes : 16u * 1024u;
}
uint32_t jnet__sim_tcp_host_sndbuf_max(const jnet__sim_host *h) {
  return h->tcp.sndbuf_max_bytes ? h->tcp.sndbuf_max_bytes : 4u << 20;
}
uint64_t jnet__sim_tcp_host_ka_idle(const jnet__sim_host *h) {
  return h->tcp.ka_idle_ns ? h->tcp.ka_idle_ns : 7200ull * JNET_SIM_S;
}
uint64_t jnet__sim_tcp_host_ka_intvl(const jnet__sim_host *h) {
  return h->tcp.ka_intvl_ns ? h->tcp.ka_intvl_ns : 75ull * JNET_SIM_S;
}
uint32_t jnet__sim_tcp_host_ka_probes(const jnet__sim_host *h) {
  return h->tcp.ka_probes ? h->tcp.ka_probes : 9;
}
