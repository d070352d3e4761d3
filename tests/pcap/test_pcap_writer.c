/* test_pcap_writer.c — the pcap writer (sim/pcap.c) alone: hand-made packets
 * written, read back with libpcap and checked byte by byte (headers,
 * checksums verified independently, fragments); determinism; write errors.
 * No simulation involved; tshark's view of the same is test_pcap_tshark.c. */
#define _GNU_SOURCE /* memfd_create, F_ADD_SEALS */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include <jnet/jnet.h>
#include "pcap_packets.h"
#include "pcap_util.h"
#include "jnet_check.h"

#define EPOCH_2000_S 946684800ull
#define NEED_TSHARK()                                                          \
  ck_assert_msg(pu_have_tshark(), "tshark not found: apt-get install tshark")

/* Checks an IP+TCP record against the packet that produced it. */
static void check_tcp_record(const pu_record *r, const jnet__sim_pkt *k) {
  const uint8_t *ip = r->data, *t;
  size_t ip_bytes;
  ck_assert_uint_eq(r->caplen, r->len);
  if (k->family == AF_INET) {
    ip_bytes = 20;
    ck_assert_uint_eq(ip[0], 0x45);
    ck_assert_uint_eq(pu_be16(ip + 2), r->len);
    ck_assert_uint_eq(pu_be16(ip + 4), k->ip_id);
    ck_assert_uint_eq(pu_be16(ip + 6), 0x4000); /* DF, no fragment */
    ck_assert_uint_eq(ip[8], k->ttl ? k->ttl : 64);
    ck_assert_uint_eq(ip[9], IPPROTO_TCP);
    ck_assert(pu_ipv4_header_ok(ip));
    ck_assert_mem_eq(ip + 12, k->src, 4);
    ck_assert_mem_eq(ip + 16, k->dst, 4);
  } else {
    ip_bytes = 40;
    ck_assert_uint_eq(ip[0] >> 4, 6);
    ck_assert_uint_eq(pu_be16(ip + 4), r->len - 40);
    ck_assert_uint_eq(ip[6], IPPROTO_TCP);
    ck_assert_uint_eq(ip[7], k->ttl ? k->ttl : 64);
    ck_assert_mem_eq(ip + 8, k->src, 16);
    ck_assert_mem_eq(ip + 24, k->dst, 16);
  }
  t = ip + ip_bytes;
  size_t th_bytes = (size_t)(t[12] >> 4) * 4;
  int has_mss = (k->flags & JNET__SIM_TCP_SYN) && k->mss;
  ck_assert_uint_eq(th_bytes, has_mss ? 24 : 20);
  ck_assert_uint_eq(pu_be16(t), k->sport);
  ck_assert_uint_eq(pu_be16(t + 2), k->dport);
  ck_assert_uint_eq(pu_be32(t + 4), k->seq);
  if (k->flags & JNET__SIM_TCP_ACK)
    ck_assert_uint_eq(pu_be32(t + 8), k->ack);
  ck_assert_uint_eq(t[13], k->flags);
  ck_assert_uint_eq(pu_be16(t + 14), k->window);
  ck_assert_uint_eq(pu_be16(t + 18), 0); /* urgent pointer: no URG ever */
  if (has_mss) {
    ck_assert_uint_eq(t[20], 2);
    ck_assert_uint_eq(t[21], 4);
    ck_assert_uint_eq(pu_be16(t + 22), k->mss);
  }
  ck_assert_uint_eq(r->len, ip_bytes + th_bytes + k->len);
  if (k->len)
    ck_assert_mem_eq(t + th_bytes, k->payload, k->len);
  int family = k->family;
  ck_assert(pu_l4_ok(family, family == AF_INET ? ip + 12 : ip + 8,
                     family == AF_INET ? ip + 16 : ip + 24, IPPROTO_TCP, t,
                     r->len - ip_bytes));
  ck_assert_uint_eq(r->len, jnet__sim_pkt_wire_bytes(k));
}

START_TEST(file_header_is_nanosecond_raw_and_timestamps_from_2000) {
  char path[256];
  pu_temp_path(path, sizeof path, "hdr");
  jnet__sim_pcap *p;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, path), 0);
  jnet__sim_pkt k = base_pkt(AF_INET, IPPROTO_UDP);
  const uint64_t t1 = 0, t2 = 3 * 1000000000ull + 123456789ull;
  ck_assert_int_eq(jnet__sim_pcap_write(p, t1, &k), 0);
  ck_assert_int_eq(jnet__sim_pcap_write(p, t2, &k), 0);
  ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
  pu_capture *c = malloc(sizeof *c);
  ck_assert_int_eq(pu_read(path, c), 0);
  ck_assert_uint_eq(c->magic, 0xa1b23c4d);
  ck_assert_int_eq(c->linktype, 101);
  ck_assert_uint_eq(c->snaplen, 65535);
  ck_assert_uint_eq(c->n, 2);
  ck_assert_uint_eq(c->rec[0].ts_sec, EPOCH_2000_S);
  ck_assert_uint_eq(c->rec[0].ts_nsec, 0);
  ck_assert_uint_eq(c->rec[1].ts_sec, EPOCH_2000_S + 3);
  ck_assert_uint_eq(c->rec[1].ts_nsec, 123456789);
  pu_free(c);
  free(c);
  unlink(path);
}
END_TEST

/* The conversation above, for IPv4 (_i = 0) and IPv6 (_i = 1). */
START_TEST(tcp_headers_and_checksums_are_real) {
  int family = _i ? AF_INET6 : AF_INET;
  char path[256];
  pu_temp_path(path, sizeof path, "tcp");
  jnet__sim_pcap *p;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, path), 0);
  uint64_t t = 0;
  int n = write_clean_conversation(p, family, &t);
  /* A RST with a TTL and an odd-length segment, to vary the sums. */
  jnet__sim_pkt rst = base_pkt(family, IPPROTO_TCP);
  rst.flags = JNET__SIM_TCP_RST | JNET__SIM_TCP_ACK;
  rst.seq = 77;
  rst.ack = 88;
  rst.ttl = 3;
  rst.ip_id = 0xbeef;
  ck_assert_int_eq(jnet__sim_pcap_write(p, t, &rst), 0);
  jnet__sim_pkt odd = base_pkt(family, IPPROTO_TCP);
  odd.flags = JNET__SIM_TCP_ACK | JNET__SIM_TCP_PSH;
  odd.payload = (const uint8_t *)"\xff\xff\x01";
  odd.len = 3;
  odd.seq = 0xfffffff0u;
  odd.ack = 0x80000000u;
  ck_assert_int_eq(jnet__sim_pcap_write(p, t, &odd), 0);
  ck_assert_int_eq(jnet__sim_pcap_close(p), 0);

  pu_capture *c = malloc(sizeof *c);
  ck_assert_int_eq(pu_read(path, c), 0);
  ck_assert_uint_eq(c->n, (size_t)n + 2);
  /* Records 0 and 1 are SYN and SYN-ACK, 3 carries "hello". */
  jnet__sim_pkt syn = base_pkt(family, IPPROTO_TCP);
  syn.flags = JNET__SIM_TCP_SYN;
  syn.seq = 1000;
  syn.mss = 1460;
  syn.ip_id = 1;
  check_tcp_record(&c->rec[0], &syn);
  jnet__sim_pkt synack = reversed(base_pkt(family, IPPROTO_TCP));
  synack.flags = JNET__SIM_TCP_SYN | JNET__SIM_TCP_ACK;
  synack.seq = 5000;
  synack.ack = 1001;
  synack.mss = 1460;
  synack.ip_id = 2;
  check_tcp_record(&c->rec[1], &synack);
  jnet__sim_pkt data = base_pkt(family, IPPROTO_TCP);
  data.flags = JNET__SIM_TCP_PSH | JNET__SIM_TCP_ACK;
  data.seq = 1001;
  data.ack = 5001;
  data.ip_id = 4;
  data.payload = (const uint8_t *)"hello";
  data.len = 5;
  check_tcp_record(&c->rec[3], &data);
  check_tcp_record(&c->rec[n], &rst);
  check_tcp_record(&c->rec[n + 1], &odd);
  pu_free(c);
  free(c);
  unlink(path);
}
END_TEST

START_TEST(tcp_ack_number_is_zero_without_ack_flag) {
  char path[256];
  pu_temp_path(path, sizeof path, "ack0");
  jnet__sim_pcap *p;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, path), 0);
  jnet__sim_pkt k = base_pkt(AF_INET, IPPROTO_TCP);
  k.flags = JNET__SIM_TCP_SYN;
  k.ack = 12345; /* stale value in the model's struct */
  ck_assert_int_eq(jnet__sim_pcap_write(p, 0, &k), 0);
  ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
  pu_capture *c = malloc(sizeof *c);
  ck_assert_int_eq(pu_read(path, c), 0);
  ck_assert_uint_eq(c->n, 1);
  ck_assert_uint_eq(pu_be32(c->rec[0].data + 20 + 8), 0);
  ck_assert(pu_l4_ok(AF_INET, c->rec[0].data + 12, c->rec[0].data + 16,
                     IPPROTO_TCP, c->rec[0].data + 20, c->rec[0].len - 20));
  pu_free(c);
  free(c);
  unlink(path);
}
END_TEST

/* Unfragmented UDP on both families, with an even, an odd and an empty
 * payload; IPv4 UDP has no DF (so it may be fragmented). */
START_TEST(udp_headers_and_checksums_are_real) {
  int family = _i ? AF_INET6 : AF_INET;
  size_t ip_bytes = family == AF_INET ? 20 : 40;
  char path[256];
  pu_temp_path(path, sizeof path, "udp");
  jnet__sim_pcap *p;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, path), 0);
  static const char *payloads[] = {"ping", "odd", ""};
  for (int i = 0; i < 3; i++) {
    jnet__sim_pkt k = base_pkt(family, IPPROTO_UDP);
    k.sport = 5353;
    k.dport = 53;
    k.ip_id = (uint16_t)(100 + i);
    k.payload = (const uint8_t *)payloads[i];
    k.len = (uint32_t)strlen(payloads[i]);
    ck_assert_int_eq(jnet__sim_pcap_write(p, (uint64_t)i, &k), 0);
    ck_assert_uint_eq(jnet__sim_pkt_wire_bytes(&k), ip_bytes + 8 + k.len);
  }
  ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
  pu_capture *c = malloc(sizeof *c);
  ck_assert_int_eq(pu_read(path, c), 0);
  ck_assert_uint_eq(c->n, 3);
  for (int i = 0; i < 3; i++) {
    const uint8_t *ip = c->rec[i].data, *u = ip + ip_bytes;
    size_t plen = strlen(payloads[i]);
    ck_assert_uint_eq(c->rec[i].len, ip_bytes + 8 + plen);
    if (family == AF_INET) {
      ck_assert_uint_eq(ip[9], IPPROTO_UDP);
      ck_assert_uint_eq(pu_be16(ip + 4), 100 + i);
      ck_assert_uint_eq(pu_be16(ip + 6), 0);
      ck_assert(pu_ipv4_header_ok(ip));
    } else {
      ck_assert_uint_eq(ip[6], IPPROTO_UDP);
      ck_assert_uint_eq(pu_be16(ip + 4), 8 + plen);
    }
    ck_assert_uint_eq(pu_be16(u), 5353);
    ck_assert_uint_eq(pu_be16(u + 2), 53);
    ck_assert_uint_eq(pu_be16(u + 4), 8 + plen);
    ck_assert_uint_ne(pu_be16(u + 6), 0); /* always present */
    ck_assert_mem_eq(u + 8, payloads[i], plen);
    ck_assert(pu_l4_ok(family, family == AF_INET ? ip + 12 : ip + 8,
                       family == AF_INET ? ip + 16 : ip + 24, IPPROTO_UDP, u,
                       8 + plen));
  }
  pu_free(c);
  free(c);
  unlink(path);
}
END_TEST

/* A payload chosen so the one's-complement sum is 0xffff: the computed
 * checksum is 0 and must go on the wire as 0xffff (RFC 768). */
START_TEST(udp_zero_checksum_is_sent_as_ffff) {
  int family = _i ? AF_INET6 : AF_INET;
  jnet__sim_pkt k = base_pkt(family, IPPROTO_UDP);
  uint8_t payload[2] = {0, 0};
  uint8_t header[8] = {
      k.sport >> 8, k.sport & 0xff, k.dport >> 8, k.dport & 0xff, 0, 10, 0, 0};
  size_t alen = family == AF_INET ? 4 : 16;
  uint32_t acc = pu_sum(0, k.src, alen);
  acc = pu_sum(acc, k.dst, alen);
  acc += IPPROTO_UDP + 10;
  acc = pu_sum(acc, header, 8);
  uint16_t w = (uint16_t)(0xffff - pu_fold(acc));
  payload[0] = (uint8_t)(w >> 8);
  payload[1] = (uint8_t)w;
  k.payload = payload;
  k.len = 2;
  char path[256];
  pu_temp_path(path, sizeof path, "zero");
  jnet__sim_pcap *p;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, path), 0);
  ck_assert_int_eq(jnet__sim_pcap_write(p, 0, &k), 0);
  ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
  pu_capture *c = malloc(sizeof *c);
  ck_assert_int_eq(pu_read(path, c), 0);
  ck_assert_uint_eq(c->n, 1);
  const uint8_t *u = c->rec[0].data + (family == AF_INET ? 20 : 40);
  ck_assert_uint_eq(pu_be16(u + 6), 0xffff);
  pu_free(c);
  free(c);
  unlink(path);
}
END_TEST

/* A datagram over the MTU becomes fragments: each fits the MTU, offsets
 * are in 8-byte units and contiguous, only the last has MF clear, all share
 * the identification, and the reassembled datagram verifies. _i & 1 picks
 * the family; _i & 2 sizes the datagram to exactly four full fragments
 * (1256 data bytes each behind IPv4's header, 1232 behind IPv6's and its
 * fragment header), where the last fragment must still be the last record
 * (no empty fragment after it). */
START_TEST(udp_over_mtu_is_fragmented) {
  int family = (_i & 1) ? AF_INET6 : AF_INET;
  const uint32_t mtu = 1280;
  const uint32_t plen = !(_i & 2)           ? 4000
                        : family == AF_INET ? 4 * 1256 - 8
                                            : 4 * 1232 - 8;
  uint8_t *payload = malloc(plen);
  for (uint32_t i = 0; i < plen; i++)
    payload[i] = (uint8_t)(i * 7 + 3);
  jnet__sim_pkt k = base_pkt(family, IPPROTO_UDP);
  k.payload = payload;
  k.len = plen;
  k.mtu = mtu;
  k.ip_id = 0x4242;
  char path[256];
  pu_temp_path(path, sizeof path, "frag");
  jnet__sim_pcap *p;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, path), 0);
  ck_assert_int_eq(jnet__sim_pcap_write(p, 0, &k), 0);
  ck_assert_int_eq(jnet__sim_pcap_close(p), 0);

  pu_capture *c = malloc(sizeof *c);
  ck_assert_int_eq(pu_read(path, c), 0);
  ck_assert_uint_gt(c->n, 3);
  uint8_t *datagram = calloc(1, 8 + plen);
  size_t next_off = 0, wire = 0;
  for (size_t i = 0; i < c->n; i++) {
    const uint8_t *ip = c->rec[i].data, *frag;
    size_t off, n;
    int more;
    ck_assert_uint_le(c->rec[i].len, mtu);
    ck_assert_uint_eq(c->rec[i].caplen, c->rec[i].len);
    wire += c->rec[i].len;
    if (family == AF_INET) {
      ck_assert(pu_ipv4_header_ok(ip));
      ck_assert_uint_eq(ip[9], IPPROTO_UDP);
      ck_assert_uint_eq(pu_be16(ip + 2), c->rec[i].len);
      ck_assert_uint_eq(pu_be16(ip + 4), 0x4242);
      ck_assert_uint_eq(pu_be16(ip + 6) & 0x4000, 0); /* no DF */
      more = (pu_be16(ip + 6) & 0x2000) != 0;
      off = (size_t)(pu_be16(ip + 6) & 0x1fff) * 8;
      frag = ip + 20;
      n = c->rec[i].len - 20;
    } else {
      ck_assert_uint_eq(ip[6], 44); /* Fragment header */
      ck_assert_uint_eq(pu_be16(ip + 4), c->rec[i].len - 40);
      const uint8_t *fh = ip + 40;
      ck_assert_uint_eq(fh[0], IPPROTO_UDP);
      ck_assert_uint_eq(pu_be32(fh + 4), 0x4242);
      more = fh[3] & 1;
      off = (size_t)(pu_be16(fh + 2) >> 3) * 8;
      frag = fh + 8;
      n = c->rec[i].len - 48;
    }
    ck_assert_uint_eq(off, next_off);
    ck_assert_int_eq(more, i + 1 < c->n);
    if (more)
      ck_assert_uint_eq(n % 8, 0);
    ck_assert_uint_le(off + n, 8 + plen);
    memcpy(datagram + off, frag, n);
    next_off = off + n;
  }
  ck_assert_uint_eq(next_off, 8 + plen);
  if (_i & 2)
    ck_assert_uint_eq(c->n, 4);
  ck_assert_uint_eq(pu_be16(datagram + 4), 8 + plen);
  ck_assert_mem_eq(datagram + 8, payload, plen);
  const uint8_t *ip0 = c->rec[0].data;
  ck_assert(pu_l4_ok(family, family == AF_INET ? ip0 + 12 : ip0 + 8,
                     family == AF_INET ? ip0 + 16 : ip0 + 24, IPPROTO_UDP,
                     datagram, 8 + plen));
  ck_assert_uint_eq(jnet__sim_pkt_wire_bytes(&k), wire);
  free(datagram);
  free(payload);
  pu_free(c);
  free(c);
  unlink(path);
}
END_TEST

/* The largest UDP datagram on a link with no MTU limit (0): IPv4 fits in
 * one 65535-byte packet; IPv6 would not, and is fragmented to stay whole
 * within the snap length. */
START_TEST(largest_udp_datagram_is_written_whole) {
  int family = _i ? AF_INET6 : AF_INET;
  const uint32_t plen = 65507;
  uint8_t *payload = calloc(1, plen);
  jnet__sim_pkt k = base_pkt(family, IPPROTO_UDP);
  k.payload = payload;
  k.len = plen;
  k.mtu = 0;
  char path[256];
  pu_temp_path(path, sizeof path, "max");
  jnet__sim_pcap *p;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, path), 0);
  ck_assert_int_eq(jnet__sim_pcap_write(p, 0, &k), 0);
  ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
  pu_capture *c = malloc(sizeof *c);
  ck_assert_int_eq(pu_read(path, c), 0);
  size_t wire = 0;
  for (size_t i = 0; i < c->n; i++) {
    ck_assert_uint_le(c->rec[i].len, 65535);
    ck_assert_uint_eq(c->rec[i].caplen, c->rec[i].len);
    wire += c->rec[i].len;
  }
  ck_assert_uint_eq(c->n, family == AF_INET ? 1 : 2);
  ck_assert_uint_eq(wire, jnet__sim_pkt_wire_bytes(&k));
  pu_free(c);
  free(c);
  free(payload);
  unlink(path);
}
END_TEST

/* The ICMP port unreachable extension: a refused datagram dst -> src is
 * quoted (IP + UDP header + data, cut at 576 / 1280 bytes in all), up to
 * the largest datagram of the family (65507 bytes of data over IPv4, 65527
 * over IPv6, whose payload length leaves out the IP header: UDP length
 * 65535). */
START_TEST(icmp_port_unreachable_quotes_the_datagram) {
  int family = _i ? AF_INET6 : AF_INET;
  size_t ip_bytes = family == AF_INET ? 20 : 40;
  size_t limit = family == AF_INET ? 576 : 1280;
  static uint8_t payload[65527];
  for (size_t i = 0; i < sizeof payload; i++)
    payload[i] = (uint8_t)(i * 13);
  char path[256];
  pu_temp_path(path, sizeof path, "icmp");
  jnet__sim_pcap *p;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, path), 0);
  const uint32_t lens[3] = {10, 2000, family == AF_INET ? 65507 : 65527};
  jnet__sim_pkt k[3];
  for (int i = 0; i < 3; i++) {
    k[i] = reversed(base_pkt(family, IPPROTO_UDP)); /* server -> client */
    k[i].proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
    k[i].sport = 40000; /* the refused datagram: client:40000 -> server:53 */
    k[i].dport = 53;
    k[i].payload = payload;
    k[i].len = lens[i];
    ck_assert_int_eq(jnet__sim_pcap_write(p, 0, &k[i]), 0);
  }
  ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
  pu_capture *c = malloc(sizeof *c);
  ck_assert_int_eq(pu_read(path, c), 0);
  ck_assert_uint_eq(c->n, 3);
  for (int i = 0; i < 3; i++) {
    const uint8_t *ip = c->rec[i].data, *icmp = ip + ip_bytes;
    const uint8_t *q = icmp + 8, *qu = q + ip_bytes;
    size_t want = ip_bytes + 8 + ip_bytes + 8 + lens[i];
    if (want > limit)
      want = limit;
    ck_assert_uint_eq(c->rec[i].len, want);
    ck_assert_uint_eq(c->rec[i].len, jnet__sim_pkt_wire_bytes(&k[i]));
    size_t icmp_len = c->rec[i].len - ip_bytes;
    if (family == AF_INET) {
      ck_assert(pu_ipv4_header_ok(ip));
      ck_assert_uint_eq(ip[9], IPPROTO_ICMP);
      ck_assert_uint_eq(icmp[0], 3);
      ck_assert_uint_eq(icmp[1], 3);
      ck_assert_uint_eq(pu_fold(pu_sum(0, icmp, icmp_len)), 0xffff);
      ck_assert(pu_ipv4_header_ok(q));
      ck_assert_mem_eq(q + 12, k[i].dst, 4); /* quoted: client -> server */
      ck_assert_mem_eq(q + 16, k[i].src, 4);
      ck_assert_uint_eq(pu_be16(q + 2), 20 + 8 + lens[i]);
    } else {
      ck_assert_uint_eq(ip[6], IPPROTO_ICMPV6);
      ck_assert_uint_eq(icmp[0], 1);
      ck_assert_uint_eq(icmp[1], 4);
      ck_assert(
          pu_l4_ok(AF_INET6, ip + 8, ip + 24, IPPROTO_ICMPV6, icmp, icmp_len));
      ck_assert_mem_eq(q + 8, k[i].dst, 16);
      ck_assert_mem_eq(q + 24, k[i].src, 16);
      ck_assert_uint_eq(pu_be16(q + 4), 8 + lens[i]);
    }
    ck_assert_uint_eq(pu_be16(qu), 40000);
    ck_assert_uint_eq(pu_be16(qu + 2), 53);
    ck_assert_uint_eq(pu_be16(qu + 4), 8 + lens[i]);
    ck_assert_mem_eq(qu + 8, payload, c->rec[i].len - (qu + 8 - ip));
  }
  NEED_TSHARK();
  {
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "tshark -r '%s' -T fields -E separator=, "
             "-e %s.type -e %s.code -e %s.checksum.status "
             "-e udp.srcport -e udp.dstport 2>/dev/null",
             path, _i ? "icmpv6" : "icmp", _i ? "icmpv6" : "icmp",
             _i ? "icmpv6" : "icmp");
    int st;
    char *out = pu_run(cmd, &st);
    ck_assert_int_eq(st, 0);
    ck_assert_str_eq(out, _i ? "1,4,1,40000,53\n1,4,1,40000,53\n"
                               "1,4,1,40000,53\n"
                             : "3,3,1,40000,53\n3,3,1,40000,53\n"
                               "3,3,1,40000,53\n");
    free(out);
  }
  pu_free(c);
  free(c);
  unlink(path);
}
END_TEST

START_TEST(same_input_gives_identical_files) {
  char a[256], b[256];
  pu_temp_path(a, sizeof a, "a");
  pu_temp_path(b, sizeof b, "b");
  const char *paths[2] = {a, b};
  uint8_t big[3000];
  for (size_t i = 0; i < sizeof big; i++)
    big[i] = (uint8_t)i;
  for (int run = 0; run < 2; run++) {
    jnet__sim_pcap *p;
    ck_assert_int_eq(jnet__sim_pcap_open(&p, paths[run]), 0);
    uint64_t t = 5;
    write_clean_conversation(p, AF_INET, &t);
    write_clean_conversation(p, AF_INET6, &t);
    jnet__sim_pkt k = base_pkt(AF_INET6, IPPROTO_UDP);
    k.payload = big;
    k.len = sizeof big;
    ck_assert_int_eq(jnet__sim_pcap_write(p, t, &k), 0);
    ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
  }
  ck_assert(pu_same_file(a, b));
  /* And a different time gives a different file (the check can fail). */
  jnet__sim_pcap *p;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, b), 0);
  uint64_t t = 6;
  write_clean_conversation(p, AF_INET, &t);
  ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
  ck_assert(!pu_same_file(a, b));
  unlink(a);
  unlink(b);
}
END_TEST

/* A capture over an existing, longer file (an earlier capture, or any
 * bytes) leaves exactly the new capture: the same bytes as one written to a
 * fresh path, nothing of the old file after them; also when the capture's
 * descriptor is 0 (a program started with stdin closed). */
START_TEST(a_capture_over_a_longer_file_leaves_only_the_capture) {
  char fresh[256], old[256];
  pu_temp_path(fresh, sizeof fresh, "fresh");
  pu_temp_path(old, sizeof old, "old");
  jnet__sim_pcap *p;
  uint64_t t = 7;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, fresh), 0);
  write_clean_conversation(p, AF_INET, &t);
  ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
  for (int run = 0; run < 3; run++) {
    if (run != 1) { /* a longer capture first */
      ck_assert_int_eq(jnet__sim_pcap_open(&p, old), 0);
      uint64_t t0 = 1;
      for (int i = 0; i < 20; i++)
        write_clean_conversation(p, AF_INET6, &t0);
      ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
    } else { /* 100 kB of other bytes */
      FILE *f = fopen(old, "wb");
      ck_assert_ptr_nonnull(f);
      for (int i = 0; i < 100000; i++)
        fputc('x', f);
      ck_assert_int_eq(fclose(f), 0);
    }
    ck_assert(!pu_same_file(fresh, old));
    t = 7;
    int saved = -1;
    if (run == 2) { /* stdin closed: open(2) gives the capture fd 0 */
      saved = dup(0);
      ck_assert_int_ge(saved, 0);
      close(0);
    }
    ck_assert_int_eq(jnet__sim_pcap_open(&p, old), 0);
    write_clean_conversation(p, AF_INET, &t);
    ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
    if (saved >= 0) {
      ck_assert_int_eq(dup2(saved, 0), 0);
      close(saved);
    }
    ck_assert(pu_same_file(fresh, old));
  }
  unlink(fresh);
  unlink(old);
}
END_TEST

/* A longer file that cannot be cut to the header (a memfd sealed against
 * shrinking, opened by its /proc path): the open fails with ftruncate's
 * EPERM instead of giving a capture with the old bytes after it, and
 * leaves the file as it was. */
START_TEST(a_file_that_cannot_be_cut_fails_the_open) {
  int fd = memfd_create("jnet-pcap", MFD_ALLOW_SEALING);
  ck_assert_int_ge(fd, 0);
  char old[100];
  memset(old, 'x', sizeof old);
  ck_assert_int_eq(write(fd, old, sizeof old), (int)sizeof old);
  ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  jnet__sim_pcap *p = NULL;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, path), -EPERM);
  struct stat st;
  ck_assert_int_eq(fstat(fd, &st), 0);
  ck_assert_int_eq(st.st_size, (off_t)sizeof old);
  char got[sizeof old];
  ck_assert_int_eq(pread(fd, got, sizeof got, 0), (int)sizeof got);
  ck_assert_mem_eq(got, old, sizeof old);
  close(fd);
}
END_TEST

/* /dev/full: the header waits in the writer's buffer, so open succeeds; the
 * first flush fails with ENOSPC, and that error stays. */
START_TEST(full_disk_error_is_sticky) {
  jnet__sim_pcap *p;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, "/dev/full"), 0);
  uint8_t payload[1400] = {0};
  jnet__sim_pkt k = base_pkt(AF_INET, IPPROTO_UDP);
  k.payload = payload;
  k.len = sizeof payload;
  int rc = 0, i;
  for (i = 0; i < 100000 && rc == 0; i++) /* 140 MB at most */
    rc = jnet__sim_pcap_write(p, (uint64_t)i, &k);
  ck_assert_int_eq(rc, -ENOSPC);
  ck_assert_int_lt(i, 100000);
  ck_assert_int_eq(jnet__sim_pcap_write(p, 0, &k), -ENOSPC);
  ck_assert_int_eq(jnet__sim_pcap_close(p), -ENOSPC);
}
END_TEST

START_TEST(full_disk_is_reported_by_close) {
  jnet__sim_pcap *p;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, "/dev/full"), 0);
  jnet__sim_pkt k = base_pkt(AF_INET, IPPROTO_UDP);
  ck_assert_int_eq(jnet__sim_pcap_write(p, 0, &k), 0); /* still buffered */
  ck_assert_int_eq(jnet__sim_pcap_close(p), -ENOSPC);
}
END_TEST

START_TEST(unwritable_paths_give_errno) {
  jnet__sim_pcap *p = (jnet__sim_pcap *)&p;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, "/nonexistent-dir/x/y.pcap"),
                   -ENOENT);
  ck_assert_ptr_null(p);
  ck_assert_int_eq(jnet__sim_pcap_open(&p, "/"), -EISDIR);
  ck_assert_int_eq(jnet__sim_pcap_open(&p, NULL), -EINVAL);
  ck_assert_int_eq(jnet__sim_pcap_close(NULL), 0);
}
END_TEST

static int mallocs_left;
static void *failing_malloc(size_t n) {
  return mallocs_left-- > 0 ? malloc(n) : NULL;
}

/* Fail the 1st, 2nd, ... allocation until open succeeds: each failure is
 * -ENOMEM and leaves no file handle open. */
START_TEST(open_fails_cleanly_without_memory) {
  ck_assert_int_eq(jnet_replace_allocator(failing_malloc, realloc, free), 0);
  char path[256];
  pu_temp_path(path, sizeof path, "nomem");
  int rc = -1, k;
  for (k = 0; k < 10 && rc != 0; k++) {
    mallocs_left = k;
    jnet__sim_pcap *p = NULL;
    rc = jnet__sim_pcap_open(&p, path);
    if (rc == 0)
      ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
    else
      ck_assert_int_eq(rc, -ENOMEM);
  }
  jnet_replace_allocator(malloc, realloc, free);
  ck_assert_int_eq(rc, 0);
  ck_assert_int_gt(k, 1); /* at least one failure was injected */
  unlink(path);
}
END_TEST

START_TEST(bad_packets_are_rejected_without_writing) {
  char path[256];
  pu_temp_path(path, sizeof path, "bad");
  jnet__sim_pcap *p;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, path), 0);
  jnet__sim_pkt k = base_pkt(AF_INET, IPPROTO_TCP);
  k.family = AF_UNIX;
  ck_assert_int_eq(jnet__sim_pcap_write(p, 0, &k), -EINVAL);
  k = base_pkt(AF_INET, 47 /* GRE */);
  ck_assert_int_eq(jnet__sim_pcap_write(p, 0, &k), -EINVAL);
  k = base_pkt(AF_INET, IPPROTO_TCP);
  k.len = 70000;
  k.payload = calloc(1, k.len);
  ck_assert_int_eq(jnet__sim_pcap_write(p, 0, &k), -EMSGSIZE);
  k.proto = IPPROTO_UDP; /* a UDP datagram over 65535 bytes, and the ICMP */
  ck_assert_int_eq(jnet__sim_pcap_write(p, 0, &k), -EMSGSIZE);
  k.proto = IPPROTO_ICMP; /* error that would quote it: refused alike */
  ck_assert_int_eq(jnet__sim_pcap_write(p, 0, &k), -EMSGSIZE);
  free((void *)k.payload);
  k = base_pkt(AF_INET, IPPROTO_TCP);
  ck_assert_int_eq(jnet__sim_pcap_write(p, 0, &k), 0); /* not sticky */
  ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
  pu_capture *c = malloc(sizeof *c);
  ck_assert_int_eq(pu_read(path, c), 0);
  ck_assert_uint_eq(c->n, 1);
  pu_free(c);
  free(c);
  unlink(path);
}
END_TEST

START_TEST(unix_port_is_stable_and_in_range) {
  char path[64];
  int distinct = 0;
  uint16_t prev = 0;
  for (int i = 0; i < 2000; i++) {
    snprintf(path, sizeof path, "/tmp/sock-%d", i);
    uint16_t port = jnet__sim_pcap_unix_port(path);
    ck_assert_uint_ge(port, 49152);
    ck_assert_uint_eq(port, jnet__sim_pcap_unix_port(path));
    if (port != prev)
      distinct++;
    prev = port;
  }
  ck_assert_int_gt(distinct, 1900); /* neighbours rarely collide */
  ck_assert_uint_ne(jnet__sim_pcap_unix_port("@a"),
                    jnet__sim_pcap_unix_port("@b"));
}
END_TEST

static int allocs_seen, alloc_to_fail;
static void *malloc_failing_one(size_t n) {
  return ++allocs_seen == alloc_to_fail ? NULL : malloc(n);
}

/* Three buffers' worth of records (so full buffers pass between the writer
 * thread and the model, both ways): the same file as without the thread
 * (its allocation failed, so open writes in place), record for record. */
START_TEST(writer_thread_and_in_place_write_the_same_file) {
  char a[256], b[256];
  pu_temp_path(a, sizeof a, "thread");
  pu_temp_path(b, sizeof b, "inplace");
  uint8_t payload[1400];
  for (size_t i = 0; i < sizeof payload; i++)
    payload[i] = (uint8_t)(i * 7);
  enum { N = 2300 }; /* 3.3 MB */
  for (int run = 0; run < 2; run++) {
    allocs_seen = 0;
    alloc_to_fail = run == 1 ? 4 : 0; /* p, buf, spare, then the writer */
    ck_assert_int_eq(jnet_replace_allocator(malloc_failing_one, realloc, free),
                     0);
    jnet__sim_pcap *p;
    int rc = jnet__sim_pcap_open(&p, run ? b : a);
    jnet_replace_allocator(malloc, realloc, free);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_ge(allocs_seen, 4); /* the writer was asked for */
    jnet__sim_pkt k = base_pkt(AF_INET, IPPROTO_UDP);
    k.payload = payload;
    for (int i = 0; i < N; i++) {
      k.len = 1000 + (uint32_t)(i % 400);
      k.ip_id = (uint16_t)i;
      ck_assert_int_eq(jnet__sim_pcap_write(p, (uint64_t)i * 1000, &k), 0);
    }
    ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
  }
  ck_assert(pu_same_file(a, b));
  pu_capture *c = malloc(sizeof *c);
  ck_assert_int_eq(pu_read(a, c), 0);
  ck_assert_uint_eq(c->n, N);
  ck_assert_uint_eq(c->rec[N - 1].len, 20 + 8 + 1000 + (N - 1) % 400);
  pu_free(c);
  free(c);
  unlink(a);
  unlink(b);
}
END_TEST

/* fork() with a capture open: the child's writer thread stayed behind in
 * the parent, so the child writes in place and its close returns (rather
 * than waiting for a thread it does not have), and the parent's close too. */
START_TEST(a_forked_child_closes_without_the_writer_thread) {
  char path[256];
  pu_temp_path(path, sizeof path, "fork");
  jnet__sim_pcap *p;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, path), 0);
  jnet__sim_pkt k = base_pkt(AF_INET, IPPROTO_UDP);
  ck_assert_int_eq(jnet__sim_pcap_write(p, 1, &k), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    int rc = jnet__sim_pcap_write(p, 2, &k);
    _exit(rc == 0 && jnet__sim_pcap_close(p) == 0 ? 0 : 1);
  }
  int st = 0;
  ck_assert_int_eq(waitpid(pid, &st, 0), pid);
  ck_assert(WIFEXITED(st));
  ck_assert_int_eq(WEXITSTATUS(st), 0);
  ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
  unlink(path);
}
END_TEST

/* A capture without the writer thread (its allocation, the 4th, fails):
 * buffers are written out in place, by the write that fills one. */
static jnet__sim_pcap *open_in_place(const char *path) {
  allocs_seen = 0;
  alloc_to_fail = 4; /* p, buf, spare, then the writer */
  ck_assert_int_eq(jnet_replace_allocator(malloc_failing_one, realloc, free),
                   0);
  jnet__sim_pcap *p;
  int rc = jnet__sim_pcap_open(&p, path);
  jnet_replace_allocator(malloc, realloc, free);
  ck_assert_int_eq(rc, 0);
  return p;
}

/* Writes k in place to path until the file is no longer empty: how many
 * records the write that fills the buffer completes (closed after it). */
static size_t records_to_fill(const char *path, jnet__sim_pkt *k) {
  jnet__sim_pcap *p = open_in_place(path);
  struct stat st = {0};
  size_t n = 0;
  while (st.st_size == 0 && n < PU_MAX_RECORDS) {
    k->ip_id = (uint16_t)n;
    ck_assert_int_eq(jnet__sim_pcap_write(p, (uint64_t)n * 1000, k), 0);
    n++;
    ck_assert_int_eq(stat(path, &st), 0);
  }
  /* the buffer went out whole, the record that filled it included */
  ck_assert_uint_eq(st.st_size, 24 + n * (16 + 20 + 8 + k->len));
  ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
  return n;
}

/* A capture closed right after a record filled its buffer (which went out
 * then): close has nothing left to write, in place or through the writer
 * thread, and both files hold each record once, in order. */
START_TEST(a_close_right_after_a_full_buffer_writes_each_record_once) {
  char a[256], b[256];
  pu_temp_path(a, sizeof a, "fill-inplace");
  pu_temp_path(b, sizeof b, "fill-thread");
  uint8_t payload[1400];
  memset(payload, 0x5a, sizeof payload);
  jnet__sim_pkt k = base_pkt(AF_INET, IPPROTO_UDP);
  k.payload = payload;
  k.len = sizeof payload;
  size_t n = records_to_fill(a, &k);
  ck_assert_uint_gt(n, 1);
  ck_assert_uint_lt(n, PU_MAX_RECORDS);
  jnet__sim_pcap *p;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, b), 0);
  for (size_t i = 0; i < n; i++) {
    k.ip_id = (uint16_t)i;
    ck_assert_int_eq(jnet__sim_pcap_write(p, (uint64_t)i * 1000, &k), 0);
  }
  ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
  ck_assert(pu_same_file(a, b));
  pu_capture *c = malloc(sizeof *c);
  ck_assert_int_eq(pu_read(b, c), 0);
  ck_assert_uint_eq(c->n, n);
  for (size_t i = 0; i < n; i++)
    ck_assert_uint_eq(pu_be16(c->rec[i].data + 4), i); /* IPv4 id */
  pu_free(c);
  free(c);
  unlink(a);
  unlink(b);
}
END_TEST

/* Without the writer thread the write that fills the buffer meets
 * /dev/full itself: the writes before it return 0, it returns -ENOSPC, and
 * so do every later write and close. */
START_TEST(full_disk_is_reported_by_the_filling_write_without_the_thread) {
  char a[256];
  pu_temp_path(a, sizeof a, "fill-count");
  uint8_t payload[1400] = {0};
  jnet__sim_pkt k = base_pkt(AF_INET, IPPROTO_UDP);
  k.payload = payload;
  k.len = sizeof payload;
  size_t n = records_to_fill(a, &k);
  unlink(a);
  jnet__sim_pcap *p = open_in_place("/dev/full");
  for (size_t i = 0; i + 1 < n; i++)
    ck_assert_int_eq(jnet__sim_pcap_write(p, (uint64_t)i, &k), 0);
  ck_assert_int_eq(jnet__sim_pcap_write(p, n, &k), -ENOSPC);
  ck_assert_int_eq(jnet__sim_pcap_write(p, n + 1, &k), -ENOSPC);
  ck_assert_int_eq(jnet__sim_pcap_close(p), -ENOSPC);
}
END_TEST

/* --- br-tcp: the IPv4 UDP fast path (jnet__sim_pcap_udp4) --- */

/* A two-byte payload that makes the UDP checksum of 192.0.2.1:40000 ->
 * 192.0.2.2:80 come out as `want` (0 or 1): the one's-complement sum of
 * the pseudo header, header and payload must fold to ~want. */
static void payload_for_checksum(const jnet__sim_pkt *k, uint16_t want,
                                 uint8_t payload[2]) {
  uint8_t header[8] = {
      k->sport >> 8, k->sport & 0xff, k->dport >> 8, k->dport & 0xff, 0, 10,
      0, 0};
  uint32_t acc = pu_sum(0, k->src, 4);
  acc = pu_sum(acc, k->dst, 4);
  acc += IPPROTO_UDP + 10;
  acc = pu_sum(acc, header, 8);
  uint16_t a = pu_fold(acc);
  uint16_t target = (uint16_t)~want;
  ck_assert_uint_le(a, target); /* no end-around carry to think about */
  uint16_t w = (uint16_t)(target - a);
  payload[0] = (uint8_t)(w >> 8);
  payload[1] = (uint8_t)w;
}

/* RFC 768: a computed checksum of 0 goes on the wire as 0xffff (0 means
 * "no checksum"), and one of 1 as 1. The fast path that captures every
 * plain IPv4 datagram writes the very bytes of jnet__sim_pcap_write, and
 * the checksum verifies (pu_l4_ok, independent of the writer). */
START_TEST(udp4_fast_path_sends_zero_checksum_as_ffff_and_one_as_one) {
  static const uint16_t want[2] = {0, 1}, wire[2] = {0xffff, 1};
  char path[256];
  pu_temp_path(path, sizeof path, "udp4");
  jnet__sim_pcap *p;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, path), 0);
  uint8_t payload[2][2];
  for (int i = 0; i < 2; i++) {
    jnet__sim_pkt k = base_pkt(AF_INET, IPPROTO_UDP);
    payload_for_checksum(&k, want[i], payload[i]);
    k.payload = payload[i];
    k.len = 2;
    k.ip_id = (uint16_t)(7 + i);
    ck_assert_int_eq(jnet__sim_pcap_write(p, (uint64_t)(2 * i), &k), 0);
    ck_assert_int_eq(jnet__sim_pcap_udp4(p, (uint64_t)(2 * i + 1), k.src,
                                         k.dst, k.sport, k.dport, k.ip_id,
                                         payload[i], 2),
                     0);
  }
  ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
  pu_capture *c = malloc(sizeof *c);
  ck_assert_int_eq(pu_read(path, c), 0);
  ck_assert_uint_eq(c->n, 4);
  for (int i = 0; i < 4; i++) {
    const uint8_t *ip = c->rec[i].data, *u = ip + 20;
    ck_assert_uint_eq(c->rec[i].len, 30);
    ck_assert_uint_eq(pu_be16(u + 6), wire[i / 2]);
    ck_assert_mem_eq(c->rec[i].data, c->rec[i & ~1].data, 30);
    ck_assert(pu_l4_ok(AF_INET, ip + 12, ip + 16, IPPROTO_UDP, u, 10));
  }
  pu_free(c);
  free(c);
  unlink(path);
}
END_TEST

/* Misuse answers EINVAL without writing; the port of no path is the port
 * of the empty one. */
START_TEST(null_arguments_are_einval) {
  jnet__sim_pcap *p;
  ck_assert_int_eq(jnet__sim_pcap_open(NULL, "/dev/null"), -EINVAL);
  ck_assert_int_eq(jnet__sim_pcap_open(&p, NULL), -EINVAL);
  ck_assert_int_eq(jnet__sim_pcap_open(&p, "/dev/null"), 0);
  jnet__sim_pkt k = base_pkt(AF_INET, IPPROTO_UDP);
  ck_assert_int_eq(jnet__sim_pcap_write(NULL, 0, &k), -EINVAL);
  ck_assert_int_eq(jnet__sim_pcap_write(p, 0, NULL), -EINVAL);
  k.len = 4; /* bytes, but none given */
  ck_assert_int_eq(jnet__sim_pcap_write(p, 0, &k), -EINVAL);
  ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
  ck_assert_uint_eq(jnet__sim_pcap_unix_port(NULL),
                    jnet__sim_pcap_unix_port(""));
}
END_TEST

/* Records keep their own time even when it goes back (a capture of
 * several hosts' clocks): seconds and nanoseconds of each, as written. */
START_TEST(a_record_earlier_than_the_last_keeps_its_own_time) {
  char path[256];
  pu_temp_path(path, sizeof path, "back");
  jnet__sim_pcap *p;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, path), 0);
  static const uint64_t t[3] = {2500000000ull, 1000000007ull, 2500000001ull};
  for (int i = 0; i < 3; i++) {
    jnet__sim_pkt k = base_pkt(AF_INET, IPPROTO_TCP);
    ck_assert_int_eq(jnet__sim_pcap_write(p, t[i], &k), 0);
  }
  ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
  pu_capture *c = malloc(sizeof *c);
  ck_assert_int_eq(pu_read(path, c), 0);
  ck_assert_uint_eq(c->n, 3);
  for (int i = 0; i < 3; i++) {
    ck_assert_uint_eq(c->rec[i].ts_sec, EPOCH_2000_S + t[i] / 1000000000ull);
    ck_assert_uint_eq(c->rec[i].ts_nsec, t[i] % 1000000000ull);
  }
  pu_free(c);
  free(c);
  unlink(path);
}
END_TEST

/* An MTU above the snap length counts as the snap length: the largest
 * datagram is one whole record of 65535 bytes. */
START_TEST(an_mtu_above_the_snap_length_is_the_snap_length) {
  char path[256];
  pu_temp_path(path, sizeof path, "bigmtu");
  jnet__sim_pcap *p;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, path), 0);
  jnet__sim_pkt k = base_pkt(AF_INET, IPPROTO_UDP);
  k.len = 65507;
  k.payload = calloc(1, k.len);
  k.mtu = 100000;
  ck_assert_int_eq(jnet__sim_pcap_write(p, 0, &k), 0);
  ck_assert_uint_eq(jnet__sim_pkt_wire_bytes(&k), 65535);
  free((void *)k.payload);
  ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
  pu_capture *c = malloc(sizeof *c);
  ck_assert_int_eq(pu_read(path, c), 0);
  ck_assert_uint_eq(c->n, 1);
  ck_assert_uint_eq(c->rec[0].len, 65535);
  ck_assert_uint_eq(c->rec[0].caplen, 65535);
  pu_free(c);
  free(c);
  unlink(path);
}
END_TEST

/* A full disk met while writing fragments, or on the fast path, is
 * returned there and stays. */
START_TEST(full_disk_error_reaches_fragments_and_the_fast_path) {
  jnet__sim_pcap *p;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, "/dev/full"), 0);
  static uint8_t payload[9000];
  jnet__sim_pkt k = base_pkt(AF_INET, IPPROTO_UDP);
  k.payload = payload;
  k.len = sizeof payload; /* seven fragments behind MTU 1500 */
  int rc = 0, i;
  for (i = 0; i < 20000 && rc == 0; i++)
    rc = jnet__sim_pcap_write(p, (uint64_t)i, &k);
  ck_assert_int_eq(rc, -ENOSPC);
  ck_assert_int_lt(i, 20000);
  ck_assert_int_eq(jnet__sim_pcap_udp4(p, 0, k.src, k.dst, 1, 2, 3, payload,
                                       8),
                   -ENOSPC);
  ck_assert_int_eq(jnet__sim_pcap_close(p), -ENOSPC);
}
END_TEST

static Suite *pcap_writer_suite(void) {
  Suite *s = suite_create("pcap-writer");
  jc_defaults(60, NULL, NULL);
  JC_TEST(s, file_header_is_nanosecond_raw_and_timestamps_from_2000);
  JC_LOOP(s, tcp_headers_and_checksums_are_real, 0, 2);
  JC_TEST(s, tcp_ack_number_is_zero_without_ack_flag);
  JC_LOOP(s, udp_headers_and_checksums_are_real, 0, 2);
  JC_LOOP(s, udp_zero_checksum_is_sent_as_ffff, 0, 2);
  JC_LOOP(s, udp_over_mtu_is_fragmented, 0, 4);
  JC_LOOP(s, largest_udp_datagram_is_written_whole, 0, 2);
  JC_LOOP(s, icmp_port_unreachable_quotes_the_datagram, 0, 2);
  JC_TEST(s, same_input_gives_identical_files);
  JC_TEST(s, a_capture_over_a_longer_file_leaves_only_the_capture);
  JC_TEST(s, a_file_that_cannot_be_cut_fails_the_open);
  JC_TEST(s, full_disk_error_is_sticky);
  JC_TEST(s, full_disk_is_reported_by_close);
  JC_TEST(s, unwritable_paths_give_errno);
  JC_TEST(s, open_fails_cleanly_without_memory);
  JC_TEST(s, bad_packets_are_rejected_without_writing);
  JC_TEST(s, unix_port_is_stable_and_in_range);
  JC_TEST(s, writer_thread_and_in_place_write_the_same_file);
  JC_TEST(s, a_forked_child_closes_without_the_writer_thread);
  JC_TEST(s, a_close_right_after_a_full_buffer_writes_each_record_once);
  JC_TEST(s, full_disk_is_reported_by_the_filling_write_without_the_thread);
  /* br-tcp */
  JC_TEST(s, udp4_fast_path_sends_zero_checksum_as_ffff_and_one_as_one);
  JC_TEST(s, null_arguments_are_einval);
  JC_TEST(s, a_record_earlier_than_the_last_keeps_its_own_time);
  JC_TEST(s, an_mtu_above_the_snap_length_is_the_snap_length);
  JC_TEST(s, full_disk_error_reaches_fragments_and_the_fast_path);
  return s;
}

int main(void) {
  return jc_run(pcap_writer_suite());
}
