/* pcap_util.h — helpers shared by the pcap tests: read a capture back, an
 * independent Internet checksum, and running tshark on a file. */
#ifndef JNET_TESTS_PCAP_UTIL_H
#define JNET_TESTS_PCAP_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define PU_MAX_RECORDS 4096

typedef struct pu_record {
  uint64_t ts_sec, ts_nsec;
  uint32_t caplen, len;
  uint8_t *data; /* caplen bytes, malloc'd */
} pu_record;

typedef struct pu_capture {
  int linktype;   /* from the file header, bytes 20..23 */
  uint32_t magic; /* first four bytes, little-endian reading */
  uint32_t snaplen;
  size_t n;
  pu_record rec[PU_MAX_RECORDS];
} pu_capture;

/* Read `path` with libpcap (nanosecond precision). 0 or -1 (message on
 * stderr). */
int pu_read(const char *path, pu_capture *out);
void pu_free(pu_capture *c);

/* Big-endian reads. */
uint16_t pu_be16(const uint8_t *p);
uint32_t pu_be32(const uint8_t *p);

/* RFC 1071 one's-complement sum over big-endian 16-bit words, written
 * plainly (not the writer's word-at-a-time code). Chainable: pass the
 * previous unfolded sum. Pieces before the last must be of even length. */
uint32_t pu_sum(uint32_t acc, const uint8_t *p, size_t n);
uint16_t pu_fold(uint32_t acc); /* folded, NOT complemented */

/* 1 when an IPv4 header's checksum verifies. */
int pu_ipv4_header_ok(const uint8_t *ip);
/* 1 when the TCP/UDP checksum of l4[0..l4_len) verifies with the pseudo
 * header of the given family (src/dst as in the IP header). */
int pu_l4_ok(int family, const uint8_t *src, const uint8_t *dst, int proto,
             const uint8_t *l4, size_t l4_len);

/* Is tshark on PATH? */
int pu_have_tshark(void);
/* Run a shell command; return its stdout (malloc'd, NUL-ended) and its exit
 * status in *status. NULL on failure. */
char *pu_run(const char *cmd, int *status);
/* Split the output of one tshark run that printed packets and then
 * statistics (-z): the packet lines end at the first empty line, which is
 * cut there (`out` keeps the packet lines); returns the statistics after
 * it ("" when there are none). One run instead of two: tshark's start-up
 * is most of its cost. */
char *pu_split_stats(char *out);
/* Count lines of text (non-empty). */
size_t pu_count_lines(const char *text);

/* Count lines starting with prefix. */
size_t pu_count_prefix(const char *text, const char *prefix);

/* 1 when two files have identical bytes, 0 otherwise (or unreadable). */
int pu_same_file(const char *a, const char *b);

/* A fresh path under the system temp directory, unique per process. */
void pu_temp_path(char *buf, size_t n, const char *tag);

#endif /* JNET_TESTS_PCAP_UTIL_H */
