/* capture.h — simulated packets as pcap records with real IP/TCP/UDP headers.
 *
 * The network model describes each packet it puts on a link as a jnet__sim_pkt;
 * jnet__sim_pcap_write turns it into one pcap record (LINKTYPE_RAW, nanosecond
 * timestamps, fixed epoch so files are byte-identical per seed), or several
 * IP fragments when a UDP datagram exceeds the MTU. Checksums are computed.
 * Unix-socket traffic is written as TCP between loopback addresses, with a
 * port derived from the path by jnet__sim_pcap_unix_port.
 */
#ifndef JNET_SIM_CAPTURE_H
#define JNET_SIM_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

/* TCP flags, as in the header. */
enum {
  JNET__SIM_TCP_FIN = 0x01,
  JNET__SIM_TCP_SYN = 0x02,
  JNET__SIM_TCP_RST = 0x04,
  JNET__SIM_TCP_PSH = 0x08,
  JNET__SIM_TCP_ACK = 0x10
};

typedef struct jnet__sim_pkt {
  int family;           /* AF_INET or AF_INET6 */
  uint8_t src[16];      /* network order; first 4 bytes for IPv4 */
  uint8_t dst[16];
  int proto;            /* IPPROTO_TCP or IPPROTO_UDP */
  uint16_t sport, dport;
  uint32_t seq, ack;    /* TCP */
  uint8_t flags;        /* TCP: JNET__SIM_TCP_* */
  uint16_t window;      /* TCP: advertised window (bytes, unscaled) */
  uint16_t mss;         /* TCP: MSS option on SYN segments, 0 = none */
  uint8_t wscale;       /* TCP: window scale option on SYNs, shift + 1 */
  uint16_t ip_id;       /* IPv4 identification / IPv6 fragment id */
  uint8_t ttl;          /* 0: default 64 */
  uint32_t mtu;         /* link MTU: larger UDP datagrams are fragmented */
  const uint8_t *payload;
  uint32_t len;
} jnet__sim_pkt;

typedef struct jnet__sim_pcap jnet__sim_pcap;

/* Open `path` for writing and write the file header. 0 or -errno. */
int jnet__sim_pcap_open(jnet__sim_pcap **out, const char *path);
/* Append the packet (one record, or one per fragment) at virtual time
 * t_ns. 0 or the first write error (sticky: later writes return it). */
int jnet__sim_pcap_write(jnet__sim_pcap *p, uint64_t t_ns,
                         const jnet__sim_pkt *pkt);
/* The common case of jnet__sim_pcap_write, without its jnet__sim_pkt: an IPv4
 * UDP datagram of len <= 65507 bytes that fits the MTU unfragmented, TTL 64.
 * The same bytes jnet__sim_pcap_write would write. */
int jnet__sim_pcap_udp4(jnet__sim_pcap *p, uint64_t t_ns, const uint8_t *src,
                        const uint8_t *dst, uint16_t sport, uint16_t dport,
                        uint16_t ip_id, const uint8_t *payload, uint32_t len);
/* Flush, close and free. 0 or the first error met. */
int jnet__sim_pcap_close(jnet__sim_pcap *p);

/* Bytes the packet occupies on the wire (IP headers included, every
 * fragment counted), for bandwidth and statistics. */
size_t jnet__sim_pkt_wire_bytes(const jnet__sim_pkt *pkt);

/* A stable TCP port (49152..65535) standing for a unix socket path. */
uint16_t jnet__sim_pcap_unix_port(const char *path);

#endif /* JNET_SIM_CAPTURE_H */
