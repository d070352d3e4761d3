/* record.c — jnet_sim_pcap_open/close: the model's side of packet capture,
 * turning its packets into jnet__sim_pkt records for sim/pcap.c. */
#include <netinet/in.h>
#include <string.h>

#include "model.h"

int jnet_sim_pcap_open(jnet_sim *sim, const char *path, jnet__sim_host *host) {
  if (sim == NULL || path == NULL || path[0] == '\0' ||
      (host != NULL && host->sim != sim))
    return JNET_EINVAL;
  if (sim->pcap != NULL)
    return JNET_EBUSY;
  int err = jnet__sim_pcap_open(&sim->pcap, path);
  if (err < 0) {
    sim->pcap = NULL;
    return err;
  }
  sim->pcap_host = host;
  return 0;
}

int jnet_sim_pcap_close(jnet_sim *sim) {
  if (sim == NULL)
    return JNET_EINVAL;
  if (sim->pcap == NULL)
    return 0;
  int err = jnet__sim_pcap_close(sim->pcap);
  sim->pcap = NULL;
  sim->pcap_host = NULL;
  return err;
}

void jnet__sim_capture_pkt(jnet__sim *sim, const jnet__sim_spkt *p) {
  if (sim->pcap == NULL)
    return;
  /* Every packet takes an IP id, captured or not, so a per-host capture
   * shows the same ids as a capture of the whole network. */
  uint16_t ip_id = sim->hosts[p->from]->next_ip_id++;
  if (sim->pcap_host != NULL && sim->pcap_host->id != p->from &&
      sim->pcap_host->id != p->to)
    return;
  if (p->proto == JNET__SIM_P_UDP && p->family == AF_INET &&
      (p->len <= 576 - 28 || /* every link's MTU is >= 576 */
       p->len + 28 <= jnet__sim_mtu(sim, p->from, p->to))) {
    (void)jnet__sim_pcap_udp4(sim->pcap, sim->now_ns, p->src.ip, p->dst.ip,
                              p->src.port, p->dst.port, ip_id, p->data, p->len);
    return;
  }
  jnet__sim_pkt k;
  memset(&k, 0, sizeof k);
  k.family = p->family == AF_INET6 ? AF_INET6 : AF_INET;
  if (p->proto == JNET__SIM_P_USTREAM || p->proto == JNET__SIM_P_UDGRAM) {
    static const uint8_t lo[4] = {127, 0, 0, 1};
    k.family = AF_INET;
    memcpy(k.src, lo, 4);
    memcpy(k.dst, lo, 4);
    k.sport = p->wire_sport;
    k.dport = p->wire_dport;
  } else {
    memcpy(k.src, p->src.ip, 16);
    memcpy(k.dst, p->dst.ip, 16);
    k.sport = p->src.port;
    k.dport = p->dst.port;
  }
  if (p->proto == JNET__SIM_P_ICMP) {
    /* a port unreachable: sport/dport name the refused datagram, which
     * went the other way (capture.h, pcap.c) */
    k.proto = k.family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
    k.sport = p->dst.port;
    k.dport = p->src.port;
  } else if (p->proto == JNET__SIM_P_TCP || p->proto == JNET__SIM_P_USTREAM) {
    k.proto = IPPROTO_TCP;
  } else {
    k.proto = IPPROTO_UDP;
  }
  k.seq = p->seq;
  k.ack = p->ack;
  k.flags = p->flags;
  uint32_t w = p->window >> p->wshift; /* scaled as the SYNs agreed */
  /* LCOV_EXCL_BR_LINE below: adv_window caps windows at 65535 << wshift (tcp.c) */
  k.window = w > 65535 ? 65535 : (uint16_t)w; /* LCOV_EXCL_BR_LINE */
  k.mss = p->mss;
  k.wscale = p->wscale;
  k.ip_id = ip_id;
  k.mtu = p->from == p->to ? 65535 : jnet__sim_mtu(sim, p->from, p->to);
  k.payload = p->data;
  k.len = p->len;
  (void)jnet__sim_pcap_write(sim->pcap, sim->now_ns, &k);
}
