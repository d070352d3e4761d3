/* pcap_packets.h — hand-made packets shared by the writer test suites. */
#ifndef JNET_TESTS_PCAP_PACKETS_H
#define JNET_TESTS_PCAP_PACKETS_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "capture.h"

/* 192.0.2.1:40000 -> 192.0.2.2:80 (or 2001:db8::1 -> ::2), window 65535,
 * MTU 1500, everything else zero. */
jnet__sim_pkt base_pkt(int family, int proto);
/* The same packet in the other direction. */
jnet__sim_pkt reversed(jnet__sim_pkt k);
/* A clean TCP conversation with correct seq/ack numbers: handshake (ISNs
 * 1000 and 5000, MSS 1460), "hello" and "world!", FIN both ways, 1 ms
 * apart from *t_ns on. Asserts each write; returns the segment count. */
int write_clean_conversation(jnet__sim_pcap *p, int family, uint64_t *t_ns);

#endif /* JNET_TESTS_PCAP_PACKETS_H */
