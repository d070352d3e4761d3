/* pcap_packets.c — hand-made packets for the writer tests: a base packet,
 * its reverse, and a clean TCP conversation with correct seq/ack numbers. */
#define _DEFAULT_SOURCE
#include "pcap_packets.h"

#include <arpa/inet.h>
#include <check.h>
#include <string.h>

static const char *C4 = "192.0.2.1", *S4 = "192.0.2.2";
static const char *C6 = "2001:db8::1", *S6 = "2001:db8::2";

jnet__sim_pkt base_pkt(int family, int proto) {
  jnet__sim_pkt k;
  memset(&k, 0, sizeof k);
  k.family = family;
  k.proto = proto;
  inet_pton(family, family == AF_INET ? C4 : C6, k.src);
  inet_pton(family, family == AF_INET ? S4 : S6, k.dst);
  k.sport = 40000;
  k.dport = 80;
  k.window = 65535;
  k.mtu = 1500;
  return k;
}

jnet__sim_pkt reversed(jnet__sim_pkt k) {
  jnet__sim_pkt r = k;
  memcpy(r.src, k.dst, 16);
  memcpy(r.dst, k.src, 16);
  r.sport = k.dport;
  r.dport = k.sport;
  return r;
}

int write_clean_conversation(jnet__sim_pcap *p, int family, uint64_t *t_ns) {
  jnet__sim_pkt c = base_pkt(family, IPPROTO_TCP), s = reversed(c);
  const uint32_t cisn = 1000, sisn = 5000;
  uint16_t id = 1;
  struct {
    int from_client;
    uint8_t flags;
    uint32_t seq, ack;
    const char *data;
  } seg[] = {
      {1, JNET__SIM_TCP_SYN, cisn, 0, NULL},
      {0, JNET__SIM_TCP_SYN | JNET__SIM_TCP_ACK, sisn, cisn + 1, NULL},
      {1, JNET__SIM_TCP_ACK, cisn + 1, sisn + 1, NULL},
      {1, JNET__SIM_TCP_PSH | JNET__SIM_TCP_ACK, cisn + 1, sisn + 1, "hello"},
      {0, JNET__SIM_TCP_ACK, sisn + 1, cisn + 6, NULL},
      {0, JNET__SIM_TCP_PSH | JNET__SIM_TCP_ACK, sisn + 1, cisn + 6, "world!"},
      {1, JNET__SIM_TCP_ACK, cisn + 6, sisn + 7, NULL},
      {1, JNET__SIM_TCP_FIN | JNET__SIM_TCP_ACK, cisn + 6, sisn + 7, NULL},
      {0, JNET__SIM_TCP_FIN | JNET__SIM_TCP_ACK, sisn + 7, cisn + 7, NULL},
      {1, JNET__SIM_TCP_ACK, cisn + 7, sisn + 8, NULL},
  };
  int n = (int)(sizeof seg / sizeof seg[0]);
  for (int i = 0; i < n; i++) {
    jnet__sim_pkt k = seg[i].from_client ? c : s;
    k.flags = seg[i].flags;
    k.seq = seg[i].seq;
    k.ack = seg[i].ack;
    k.mss = (k.flags & JNET__SIM_TCP_SYN) ? 1460 : 0;
    k.ip_id = id++;
    k.payload = (const uint8_t *)seg[i].data;
    k.len = seg[i].data ? (uint32_t)strlen(seg[i].data) : 0;
    ck_assert_int_eq(jnet__sim_pcap_write(p, *t_ns, &k), 0);
    *t_ns += 1000000; /* 1 ms apart */
  }
  return n;
}
