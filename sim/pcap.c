/* pcap.c — simulated packets as pcap records with real IPv4/IPv6, TCP, UDP
 * headers.
 *
 * The network model hands every packet it puts on a link to
 * jnet__sim_pcap_write (sim/capture.h). We build the headers it would carry on
 * a real wire, with correct checksums, straight into one big output buffer
 * behind the record's 16-byte header, and write the buffer out when it fills:
 * the file libpcap's dump API would write (LINKTYPE_RAW, nanosecond timestamps,
 * magic 0xa1b23c4d, host byte order), virtual time t_ns counted from a fixed
 * epoch (2000-01-01T00:00:00Z), so the same run writes the same bytes. A UDP
 * datagram larger than the link MTU is written as IP fragments (IPv4 MF/offset,
 * IPv6 Fragment header) that tshark reassembles.
 *
 * Beyond capture.h's TCP and UDP, proto IPPROTO_ICMP (IPv4) or
 * IPPROTO_ICMPV6 (IPv6) writes an ICMP port unreachable: src/dst are the
 * ICMP packet's (the refusing host, then the datagram's sender), sport/dport
 * and payload/len describe the refused UDP datagram (which went from dst to
 * src), quoted as far as RFC 1812 / RFC 4443 allow. ip_id and ttl apply to
 * both headers.
 *
 * Sections: byte and checksum helpers; header builders; open/write/close;
 * wire size and the unix-socket port.
 *
 * Writing out: a full buffer goes to a writer thread, which write(2)s it
 * while the model fills the other buffer, so the kernel's copy into the
 * page cache (half of what capture cost in wall-clock time) runs beside the
 * simulation, not in it. The bytes and their order are the same; without a
 * thread (pthread_create failed) the buffer is written out in place.
 *
 * Write errors: the first one (-errno, -EIO if errno says nothing), met when
 * a buffer is written out, is kept and returned from every later write (from
 * the next hand-over on: the writer meets it while we fill the other buffer)
 * and from close.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* u_char & co. in <pcap/pcap.h> under -std=c11 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "jnet_alloc.h"

#define PCAP_EPOCH_S 946684800ull /* 2000-01-01T00:00:00Z */
#define PCAP_SNAPLEN 65535u       /* also the largest record we write */
#define PCAP_BUFFER_BYTES (1u << 20) /* written out when it fills */
#define PCAP_RECORD_HEADER_BYTES 16u
#define PCAP_RECORD_MAX (PCAP_RECORD_HEADER_BYTES + PCAP_SNAPLEN + 64u)
#define LINKTYPE_RAW 101u
#define IPV4_HEADER_BYTES 20u
#define IPV6_HEADER_BYTES 40u
#define IPV6_FRAG_HEADER_BYTES 8u
#define TCP_HEADER_BYTES 20u
#define TCP_MSS_OPTION_BYTES 4u
#define TCP_WS_OPTION_BYTES 4u /* NOP + window scale, as Linux pads it */
#define UDP_HEADER_BYTES 8u
#define IPPROTO_FRAGMENT_HEADER 44u
#define ICMP_HEADER_BYTES 8u
#define ICMPV4_MAX_BYTES 576u  /* RFC 1812 4.3.2.3: an ICMPv4 error's size */
#define ICMPV6_MAX_BYTES 1280u /* RFC 4443 2.4(c): the IPv6 minimum MTU */
#define DEFAULT_TTL 64u

/* The writer thread's side: a buffer handed over, written out, handed back. */
typedef struct pcap_writer {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  const uint8_t *out; /* handed over, being written; NULL: the writer idles */
  size_t out_len;
  int stop;           /* close: write what is handed over, then exit */
  int err;            /* the writer's first error */
  pid_t pid;          /* the process the thread runs in */
} pcap_writer;

struct jnet__sim_pcap {
  int fd;
  uint8_t *buf;     /* PCAP_BUFFER_BYTES + PCAP_RECORD_MAX, being filled */
  uint8_t *spare;   /* as big: the one the writer has (or had) */
  pcap_writer *w;   /* NULL: no thread, buf is written out in place */
  size_t used;      /* bytes of buf holding whole records */
  uint8_t *scratch; /* where the next record's packet is built: buf + used
                       + its header, with PCAP_RECORD_MAX bytes of room */
  int err;          /* first write error, sticky */
  uint64_t sec_ns;  /* the start of the second the last record fell in */
  uint32_t sec;     /* and its timestamp's seconds field */
};

/* ---- Byte and checksum helpers ------------------------------------------- */

static inline void put16(uint8_t *p, uint16_t v) {
  uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
  memcpy(p, b, 2); /* one store */
}

static inline void put32(uint8_t *p, uint32_t v) {
  uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
                  (uint8_t)v};
  memcpy(p, b, 4);
}

/* acc + w with the carry out added back in (one's-complement addition). */
static inline uint64_t add_carry(uint64_t acc, uint64_t w) {
  unsigned long long r;
  int carry = __builtin_add_overflow((unsigned long long)acc,
                                     (unsigned long long)w, &r);
  return (uint64_t)r + (uint64_t)carry;
}

/* Add bytes to a one's-complement sum, loading words in host order (RFC 1071
 * §2(B): the sum is byte-order independent as long as the result is stored
 * back in host order too). Every piece but the last must have an even length,
 * so that each one starts on a 16-bit boundary of the summed stream. Eight
 * bytes at a time, the carry out of the 64-bit sum added back in (the
 * one's-complement sum is the same however the words are grouped). */
static inline uint64_t csum_add(uint64_t acc, const void *data, size_t n) {
  const uint8_t *p = data;
  if (acc >> 62) /* keep room for the carries below */
    acc = (acc & 0xffffffffu) + (acc >> 32);
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    acc = add_carry(acc, w); /* end-around carry */
    p += 8;
    n -= 8;
  }
  while (n >= 4) {
    uint32_t w;
    memcpy(&w, p, 4);
    acc += w;
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    uint16_t w;
    memcpy(&w, p, 2);
    acc += w;
    p += 2;
    n -= 2;
  }
  if (n == 1) {
    uint8_t tail[2] = {p[0], 0};
    uint16_t w;
    memcpy(&w, tail, 2);
    acc += w;
  }
  return acc;
}

/* Copy n bytes to dst and add them to the sum on the way (csum_add's rules):
 * the payload is read once, not once to copy and once to sum. */
static inline uint64_t csum_copy(uint64_t acc, uint8_t *dst, const uint8_t *src,
                                 size_t n) {
  if (acc >> 62) /* LCOV_EXCL_BR_LINE: sums stay far below 2^62 */
    acc = (acc & 0xffffffffu) + (acc >> 32);
  while (n >= 16) {
    uint64_t a, b;
    memcpy(&a, src, 8);
    memcpy(&b, src + 8, 8);
    memcpy(dst, &a, 8);
    memcpy(dst + 8, &b, 8);
    acc = add_carry(add_carry(acc, a), b);
    src += 16;
    dst += 16;
    n -= 16;
  }
  if (n)
    memcpy(dst, src, n);
  return csum_add(acc, src, n);
}

/* A 4-byte piece of the sum (host order, as csum_add loads it). */
static inline uint64_t word32(const uint8_t *p) {
  uint32_t w;
  memcpy(&w, p, 4);
  return w;
}

/* Fold the sum to 16 bits and complement it; the result is in host order,
 * to be stored with memcpy (see csum_add). */
static uint16_t csum_finish(uint64_t acc) {
  acc = (acc & 0xffffffffu) + (acc >> 32);
  acc = (acc & 0xffffffffu) + (acc >> 32); /* now < 2^32 */
  acc = (acc & 0xffff) + (acc >> 16);      /* < 2^17 */
  acc = (acc & 0xffff) + (acc >> 16);      /* < 2^16 */
  return (uint16_t)~acc;
}

static inline void put_csum(uint8_t *p, uint16_t host_order_sum) {
  memcpy(p, &host_order_sum, 2);
}

/* Sum of the TCP/UDP pseudo-header (RFC 793, RFC 768; RFC 8200 §8.1). */
static uint64_t csum_pseudo(const jnet__sim_pkt *pkt, uint32_t l4_bytes) {
  uint8_t tail[8] = {0};
  uint64_t acc;
  if (pkt->family == AF_INET6) {
    acc = csum_add(0, pkt->src, 16);
    acc = csum_add(acc, pkt->dst, 16);
    put32(tail, l4_bytes);
    tail[7] = (uint8_t)pkt->proto;
  } else {
    acc = csum_add(0, pkt->src, 4);
    acc = csum_add(acc, pkt->dst, 4);
    tail[1] = (uint8_t)pkt->proto;
    put16(tail + 2, (uint16_t)l4_bytes);
  }
  return csum_add(acc, tail, 8);
}

/* ---- Header builders
 * --------------------------------------------------------- */

static size_t ip_header_bytes(const jnet__sim_pkt *pkt) {
  return pkt->family == AF_INET6 ? IPV6_HEADER_BYTES : IPV4_HEADER_BYTES;
}

static uint8_t ttl_of(const jnet__sim_pkt *pkt) {
  return pkt->ttl ? pkt->ttl : DEFAULT_TTL;
}

/* IPv4 header (no options). frag_field: DF/MF flags and offset in 8-byte
 * units, as in the header's 16-bit word. */
static void build_ipv4(uint8_t *h, const jnet__sim_pkt *pkt, uint8_t proto,
                       size_t total_bytes, uint16_t frag_field) {
  h[0] = 0x45; /* version 4, IHL 5 words */
  h[1] = 0;    /* DSCP/ECN */
  put16(h + 2, (uint16_t)total_bytes);
  put16(h + 4, pkt->ip_id);
  put16(h + 6, frag_field);
  h[8] = ttl_of(pkt);
  h[9] = proto;
  h[10] = h[11] = 0;
  memcpy(h + 12, pkt->src, 4);
  memcpy(h + 16, pkt->dst, 4);
  put_csum(h + 10, csum_finish(csum_add(0, h, IPV4_HEADER_BYTES)));
}

static void build_ipv6(uint8_t *h, const jnet__sim_pkt *pkt,
                       uint8_t next_header, size_t payload_bytes) {
  h[0] = 0x60; /* version 6, traffic class 0, flow label 0 */
  h[1] = h[2] = h[3] = 0;
  put16(h + 4, (uint16_t)payload_bytes);
  h[6] = next_header;
  h[7] = ttl_of(pkt);
  memcpy(h + 8, pkt->src, 16);
  memcpy(h + 24, pkt->dst, 16);
}

static size_t tcp_header_bytes(const jnet__sim_pkt *pkt) {
  int mss = (pkt->flags & JNET__SIM_TCP_SYN) && pkt->mss != 0;
  int ws = (pkt->flags & JNET__SIM_TCP_SYN) && pkt->wscale != 0;
  return TCP_HEADER_BYTES + (mss ? TCP_MSS_OPTION_BYTES : 0) +
         (ws ? TCP_WS_OPTION_BYTES : 0);
}

/* TCP header + payload at t; checksum over the pseudo-header. */
static void build_tcp(uint8_t *t, const jnet__sim_pkt *pkt, size_t th_bytes) {
  put16(t + 0, pkt->sport);
  put16(t + 2, pkt->dport);
  put32(t + 4, pkt->seq);
  put32(t + 8, (pkt->flags & JNET__SIM_TCP_ACK) ? pkt->ack : 0);
  t[12] = (uint8_t)((th_bytes / 4) << 4);
  t[13] = pkt->flags;
  put16(t + 14, pkt->window);
  t[16] = t[17] = 0; /* checksum */
  t[18] = t[19] = 0; /* urgent pointer */
  uint8_t *o = t + TCP_HEADER_BYTES;
  if ((pkt->flags & JNET__SIM_TCP_SYN) && pkt->mss != 0) {
    o[0] = 2; /* kind: MSS */
    o[1] = 4;
    put16(o + 2, pkt->mss);
    o += TCP_MSS_OPTION_BYTES;
  }
  if ((pkt->flags & JNET__SIM_TCP_SYN) && pkt->wscale != 0) {
    o[0] = 1; /* NOP */
    o[1] = 3; /* kind: window scale */
    o[2] = 3;
    o[3] = (uint8_t)(pkt->wscale - 1);
  }
  if (pkt->len)
    memcpy(t + th_bytes, pkt->payload, pkt->len);
  uint32_t l4_bytes = (uint32_t)th_bytes + pkt->len;
  put_csum(t + 16,
           csum_finish(csum_add(csum_pseudo(pkt, l4_bytes), t, l4_bytes)));
}

/* UDP header with its checksum over the whole datagram (RFC 768: a computed
 * zero is sent as all ones; IPv6 makes the checksum mandatory). */
static void build_udp_header(uint8_t *u, const jnet__sim_pkt *pkt) {
  uint32_t l4_bytes = UDP_HEADER_BYTES + pkt->len;
  put16(u + 0, pkt->sport);
  put16(u + 2, pkt->dport);
  put16(u + 4, (uint16_t)l4_bytes);
  u[6] = u[7] = 0;
  uint64_t acc = csum_add(csum_pseudo(pkt, l4_bytes), u, UDP_HEADER_BYTES);
  uint16_t sum = csum_finish(csum_add(acc, pkt->payload, pkt->len));
  if (sum == 0)
    sum = 0xffff;
  put_csum(u + 6, sum);
}

/* The link MTU as the writer uses it: never above the snap length, so every
 * record is whole (caplen == len). 0 means no limit. */
static size_t effective_mtu(const jnet__sim_pkt *pkt) {
  if (pkt->mtu == 0 || pkt->mtu > PCAP_SNAPLEN)
    return PCAP_SNAPLEN;
  return pkt->mtu;
}

/* Fragment data bytes per fragment (a multiple of 8), or 0 when the UDP
 * datagram fits the MTU unfragmented. */
static size_t udp_fragment_bytes(const jnet__sim_pkt *pkt) {
  size_t mtu = effective_mtu(pkt);
  size_t ip_bytes = ip_header_bytes(pkt);
  if (ip_bytes + UDP_HEADER_BYTES + pkt->len <= mtu)
    return 0;
  if (pkt->family == AF_INET6)
    ip_bytes += IPV6_FRAG_HEADER_BYTES;
  return (mtu - ip_bytes) & ~(size_t)7;
}

/* Copy [off, off + n) of the datagram made of the 8-byte UDP header and the
 * payload into dst. */
static void copy_datagram_range(uint8_t *dst, const uint8_t *udp_header,
                                const jnet__sim_pkt *pkt, size_t off,
                                size_t n) {
  if (off < UDP_HEADER_BYTES) {
    size_t k = UDP_HEADER_BYTES - off;
    if (k > n) /* LCOV_EXCL_BR_LINE: fragments hold >= 8 bytes */
      k = n;
    memcpy(dst, udp_header + off, k);
    dst += k;
    off += k;
    n -= k;
  }
  if (n)
    memcpy(dst, pkt->payload + (off - UDP_HEADER_BYTES), n);
}

/* ---- Open, write, close
 * ------------------------------------------------------- */

static int write_all(int fd, const uint8_t *b, size_t n) {
  while (n > 0) {
    ssize_t m = write(fd, b, n);
    if (m < 0 && errno == EINTR) /* LCOV_EXCL_BR_LINE: EINTR needs a signal during write(2) */
      continue;
    if (m <= 0)
      return m < 0 && errno ? -errno : -EIO; /* LCOV_EXCL_BR_LINE: write(2): > 0 or errno */
    b += m;
    n -= (size_t)m;
  }
  return 0;
}

static void *writer_main(void *arg) {
  jnet__sim_pcap *p = arg;
  pcap_writer *w = p->w;
  pthread_mutex_lock(&w->mu);
  for (;;) {
    while (w->out == NULL && !w->stop)
      pthread_cond_wait(&w->cv, &w->mu);
    if (w->out == NULL)
      break; /* stopped, nothing left */
    const uint8_t *b = w->out;
    size_t n = w->out_len;
    pthread_mutex_unlock(&w->mu);
    /* LCOV_EXCL_BR_LINE below: flush_buf hands a block only while p->err == 0, after taking w->err */
    int rc = w->err ? 0 : write_all(p->fd, b, n); /* LCOV_EXCL_BR_LINE */
    pthread_mutex_lock(&w->mu);
    if (rc < 0)
      w->err = rc;
    w->out = NULL;
    pthread_cond_broadcast(&w->cv);
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

/* Start the writer; NULL (write in place) if the thread cannot be had. */
static pcap_writer *writer_start(jnet__sim_pcap *p) {
  pcap_writer *w = jnet__calloc(1, sizeof *w);
  if (w == NULL)
    return NULL;
  if (pthread_mutex_init(&w->mu, NULL) != 0) { /* LCOV_EXCL_BR_LINE: cannot fail (glibc) */
    jnet__free(w);
    return NULL;
  }
  if (pthread_cond_init(&w->cv, NULL) != 0) { /* LCOV_EXCL_BR_LINE: cannot fail (glibc) */
    pthread_mutex_destroy(&w->mu);
    jnet__free(w);
    return NULL;
  }
  p->w = w;
  w->pid = getpid();
  /* LCOV_EXCL_BR_LINE below: pthread_create fails only when out of threads/memory */
  if (pthread_create(&w->thread, NULL, writer_main, p) != 0) { /* LCOV_EXCL_BR_LINE */
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    jnet__free(w);
    p->w = NULL;
  }
  return p->w;
}

/* Wait until the writer is done with what it holds; its error, if any,
 * becomes ours. Called with w->mu held. */
static void writer_wait_locked(jnet__sim_pcap *p) {
  pcap_writer *w = p->w;
  while (w->out != NULL)
    pthread_cond_wait(&w->cv, &w->mu);
  if (w->err && p->err == 0)
    p->err = w->err;
}

/* Write the rest, stop the writer and free it. */
static void writer_stop(jnet__sim_pcap *p) {
  pcap_writer *w = p->w;
  pthread_mutex_lock(&w->mu);
  w->stop = 1;
  pthread_cond_broadcast(&w->cv);
  writer_wait_locked(p);
  pthread_mutex_unlock(&w->mu);
  pthread_join(w->thread, NULL);
  pthread_cond_destroy(&w->cv);
  pthread_mutex_destroy(&w->mu);
  jnet__free(w);
  p->w = NULL;
}

/* Write out the whole records in the buffer: hand it to the writer and go
 * on in the spare (once the writer is done with it), or write it here. 0 or
 * the sticky error. */
static int flush_buf(jnet__sim_pcap *p) {
  if (p->w != NULL && p->w->pid != getpid()) {
    jnet__free(p->w); /* a child of fork(): the thread stayed behind */
    p->w = NULL;
  }
  if (p->w != NULL) {
    pcap_writer *w = p->w;
    pthread_mutex_lock(&w->mu);
    writer_wait_locked(p);
    if (p->err == 0 && p->used > 0) {
      uint8_t *full = p->buf;
      p->buf = p->spare;
      p->spare = full;
      w->out = full;
      w->out_len = p->used;
      pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
  } else if (p->err == 0 && p->used > 0) {
    p->err = write_all(p->fd, p->buf, p->used);
  }
  p->used = 0;
  p->scratch = p->buf + PCAP_RECORD_HEADER_BYTES;
  return p->err;
}

static void put32_host(uint8_t *b, uint32_t v) { memcpy(b, &v, 4); }

int jnet__sim_pcap_open(jnet__sim_pcap **out, const char *path) {
  if (out == NULL || path == NULL)
    return -EINVAL;
  *out = NULL;
  jnet__sim_pcap *p = jnet__calloc(1, sizeof *p);
  if (p == NULL)
    return -ENOMEM;
  p->buf = jnet__malloc(PCAP_BUFFER_BYTES + PCAP_RECORD_MAX);
  p->spare = jnet__malloc(PCAP_BUFFER_BYTES + PCAP_RECORD_MAX);
  if (p->buf == NULL || p->spare == NULL) {
    jnet__free(p->buf);
    jnet__free(p->spare);
    jnet__free(p);
    return -ENOMEM;
  }
  /* Not O_TRUNC: ext4 (auto_da_alloc) takes a file truncated to zero and
   * written again for a replace-by-truncate and starts writing all of it
   * back to disk in close(2): 2 ms in the close of a 43 MB capture, which
   * the next open's truncate then waits for (10-30 ms), and the disk write
   * itself. A file cut to its first 24 bytes is not, and the header we
   * write first replaces them (a jnet capture's own are the same). */
  p->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
  struct stat st;
  /* LCOV_EXCL_BR_LINE below: fstat(2) of an open fd does not fail. The
   * ftruncate(2) can (EPERM: a memfd sealed against shrinking): fail then
   * rather than leave the old bytes after the capture. */
  if (p->fd >= 0 && (fstat(p->fd, &st) != 0 || /* LCOV_EXCL_BR_LINE */
                     (S_ISREG(st.st_mode) && st.st_size > 24 &&
                      ftruncate(p->fd, 24) != 0))) {
    int keep = errno;
    close(p->fd);
    p->fd = -1;
    errno = keep;
  }
  if (p->fd < 0) {
    int err = errno ? -errno : -EIO; /* LCOV_EXCL_BR_LINE: open(2) sets errno */
    jnet__free(p->buf);
    jnet__free(p->spare);
    jnet__free(p);
    return err;
  }
  writer_start(p); /* or write in place */
  /* The file header, as pcap_dump_fopen writes it (host byte order). */
  uint8_t *h = p->buf;
  put32_host(h, 0xa1b23c4du); /* nanosecond timestamps */
  uint16_t version[2] = {2, 4};
  memcpy(h + 4, version, 4);
  put32_host(h + 8, 0);  /* thiszone */
  put32_host(h + 12, 0); /* sigfigs */
  put32_host(h + 16, PCAP_SNAPLEN);
  put32_host(h + 20, LINKTYPE_RAW);
  p->used = 24;
  p->sec = (uint32_t)PCAP_EPOCH_S;
  p->scratch = p->buf + p->used + PCAP_RECORD_HEADER_BYTES;
  *out = p;
  return 0;
}

/* Seal the record of n bytes built at scratch: its header goes in front,
 * and scratch moves past it (writing the buffer out when full). */
static inline int emit(jnet__sim_pcap *p, uint64_t t_ns, size_t n) {
  uint8_t *h = p->buf + p->used;
  if (t_ns < p->sec_ns || t_ns - p->sec_ns >= 1000000000ull) {
    p->sec_ns = t_ns - t_ns % 1000000000ull; /* records of one second */
    p->sec = (uint32_t)(PCAP_EPOCH_S + t_ns / 1000000000ull); /* divide once */
  }
  put32_host(h, p->sec);
  put32_host(h + 4, (uint32_t)(t_ns - p->sec_ns)); /* ns */
  put32_host(h + 8, (uint32_t)n); /* caplen */
  put32_host(h + 12, (uint32_t)n); /* len */
  p->used += PCAP_RECORD_HEADER_BYTES + n;
  p->scratch = p->buf + p->used + PCAP_RECORD_HEADER_BYTES;
  if (p->used > PCAP_BUFFER_BYTES)
    return flush_buf(p);
  return 0;
}

static int write_tcp(jnet__sim_pcap *p, uint64_t t_ns,
                     const jnet__sim_pkt *pkt) {
  size_t ip_bytes = ip_header_bytes(pkt);
  size_t th_bytes = tcp_header_bytes(pkt);
  size_t total = ip_bytes + th_bytes + pkt->len;
  if (total > PCAP_SNAPLEN)
    return -EMSGSIZE;
  build_tcp(p->scratch + ip_bytes, pkt, th_bytes);
  if (pkt->family == AF_INET6)
    build_ipv6(p->scratch, pkt, IPPROTO_TCP, total - ip_bytes);
  else
    build_ipv4(p->scratch, pkt, IPPROTO_TCP, total, 0x4000 /* DF */);
  return emit(p, t_ns, total);
}

static int write_udp(jnet__sim_pcap *p, uint64_t t_ns,
                     const jnet__sim_pkt *pkt) {
  size_t ip_bytes = ip_header_bytes(pkt);
  size_t datagram = UDP_HEADER_BYTES + (size_t)pkt->len;
  if (datagram > 0xffff)
    return -EMSGSIZE;
  size_t frag_bytes = udp_fragment_bytes(pkt);
  if (frag_bytes == 0) {
    uint8_t *u = p->scratch + ip_bytes;
    build_udp_header(u, pkt);
    if (pkt->len)
      memcpy(u + UDP_HEADER_BYTES, pkt->payload, pkt->len);
    if (pkt->family == AF_INET6)
      build_ipv6(p->scratch, pkt, IPPROTO_UDP, datagram);
    else
      build_ipv4(p->scratch, pkt, IPPROTO_UDP, ip_bytes + datagram, 0);
    return emit(p, t_ns, ip_bytes + datagram);
  }
  uint8_t udp_header[UDP_HEADER_BYTES];
  build_udp_header(udp_header, pkt);
  for (size_t off = 0; off < datagram; off += frag_bytes) {
    size_t n = datagram - off < frag_bytes ? datagram - off : frag_bytes;
    int more = off + n < datagram;
    size_t rec;
    if (pkt->family == AF_INET6) {
      uint8_t *f = p->scratch + IPV6_HEADER_BYTES;
      f[0] = IPPROTO_UDP;
      f[1] = 0;
      put16(f + 2, (uint16_t)(off | (more ? 1 : 0))); /* offset<<3 | M */
      put32(f + 4, pkt->ip_id);
      copy_datagram_range(f + IPV6_FRAG_HEADER_BYTES, udp_header, pkt, off, n);
      build_ipv6(p->scratch, pkt, IPPROTO_FRAGMENT_HEADER,
                 IPV6_FRAG_HEADER_BYTES + n);
      rec = IPV6_HEADER_BYTES + IPV6_FRAG_HEADER_BYTES + n;
    } else {
      copy_datagram_range(p->scratch + IPV4_HEADER_BYTES, udp_header, pkt, off,
                          n);
      uint16_t frag_field = (uint16_t)((off / 8) | (more ? 0x2000 : 0));
      build_ipv4(p->scratch, pkt, IPPROTO_UDP, IPV4_HEADER_BYTES + n,
                 frag_field);
      rec = IPV4_HEADER_BYTES + n;
    }
    int rc = emit(p, t_ns, rec);
    if (rc < 0)
      return rc;
  }
  return 0;
}

static int is_icmp(const jnet__sim_pkt *pkt) {
  return pkt->proto == IPPROTO_ICMP || pkt->proto == IPPROTO_ICMPV6;
}

/* Bytes of the refused datagram's IP packet that an ICMP error quotes. */
static size_t icmp_quote_bytes(const jnet__sim_pkt *pkt) {
  size_t ip_bytes = ip_header_bytes(pkt);
  size_t max = pkt->family == AF_INET6 ? ICMPV6_MAX_BYTES : ICMPV4_MAX_BYTES;
  size_t room = max - ip_bytes - ICMP_HEADER_BYTES;
  size_t quoted = ip_bytes + UDP_HEADER_BYTES + (size_t)pkt->len;
  return quoted < room ? quoted : room;
}

static int write_icmp_unreachable(jnet__sim_pcap *p, uint64_t t_ns,
                                  const jnet__sim_pkt *pkt) {
  int v6 = pkt->family == AF_INET6;
  size_t ip_bytes = ip_header_bytes(pkt);
  if (UDP_HEADER_BYTES + (size_t)pkt->len > 0xffff)
    return -EMSGSIZE;
  jnet__sim_pkt orig = *pkt; /* the refused datagram: dst -> src */
  memcpy(orig.src, pkt->dst, 16);
  memcpy(orig.dst, pkt->src, 16);
  orig.proto = IPPROTO_UDP;
  uint8_t *icmp = p->scratch + ip_bytes;
  uint8_t *quote = icmp + ICMP_HEADER_BYTES;
  uint8_t udp_header[UDP_HEADER_BYTES];
  build_udp_header(udp_header, &orig);
  size_t datagram = UDP_HEADER_BYTES + (size_t)pkt->len;
  size_t quote_bytes = icmp_quote_bytes(pkt);
  if (v6)
    build_ipv6(quote, &orig, IPPROTO_UDP, datagram);
  else
    build_ipv4(quote, &orig, IPPROTO_UDP, ip_bytes + datagram, 0);
  copy_datagram_range(quote + ip_bytes, udp_header, &orig, 0,
                      quote_bytes - ip_bytes);
  icmp[0] = v6 ? 1 : 3; /* destination unreachable */
  icmp[1] = v6 ? 4 : 3; /* port unreachable */
  memset(icmp + 2, 0, 6);
  size_t icmp_bytes = ICMP_HEADER_BYTES + quote_bytes;
  jnet__sim_pkt outer = *pkt;
  outer.proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
  uint64_t acc = v6 ? csum_pseudo(&outer, (uint32_t)icmp_bytes) : 0;
  put_csum(icmp + 2, csum_finish(csum_add(acc, icmp, icmp_bytes)));
  if (v6)
    build_ipv6(p->scratch, &outer, IPPROTO_ICMPV6, icmp_bytes);
  else
    build_ipv4(p->scratch, &outer, IPPROTO_ICMP, ip_bytes + icmp_bytes, 0);
  return emit(p, t_ns, ip_bytes + icmp_bytes);
}

int jnet__sim_pcap_udp4(jnet__sim_pcap *p, uint64_t t_ns, const uint8_t *src,
                        const uint8_t *dst, uint16_t sport, uint16_t dport,
                        uint16_t ip_id, const uint8_t *payload, uint32_t len) {
  if (p->err)
    return p->err;
  uint32_t datagram = UDP_HEADER_BYTES + len;
  uint32_t total = IPV4_HEADER_BYTES + datagram;
  uint8_t *h = p->scratch, *u = h + IPV4_HEADER_BYTES;
  h[0] = 0x45; /* as build_ipv4, the fields written once */
  h[1] = 0;
  put16(h + 2, (uint16_t)total);
  put16(h + 4, ip_id);
  h[6] = h[7] = 0;
  h[8] = DEFAULT_TTL;
  h[9] = IPPROTO_UDP;
  h[10] = h[11] = 0;
  memcpy(h + 12, src, 4);
  memcpy(h + 16, dst, 4);
  /* The addresses count in both sums: the IP header's and the pseudo
   * header's. */
  uint64_t addrs = word32(h + 12) + word32(h + 16);
  put_csum(h + 10, csum_finish(addrs + word32(h) + word32(h + 4) +
                               word32(h + 8)));
  put16(u + 0, sport);
  put16(u + 2, dport);
  put16(u + 4, (uint16_t)datagram);
  u[6] = u[7] = 0;
  uint8_t tail[4] = {0, IPPROTO_UDP, 0, 0}; /* pseudo header: proto, length */
  put16(tail + 2, (uint16_t)datagram);
  uint64_t acc = addrs + word32(tail) + word32(u) + word32(u + 4);
  uint16_t sum = csum_finish(csum_copy(acc, u + UDP_HEADER_BYTES, payload, len));
  put_csum(u + 6, sum == 0 ? 0xffff : sum);
  return emit(p, t_ns, total);
}

int jnet__sim_pcap_write(jnet__sim_pcap *p, uint64_t t_ns,
                         const jnet__sim_pkt *pkt) {
  if (p == NULL || pkt == NULL)
    return -EINVAL;
  if (p->err)
    return p->err;
  if ((pkt->family != AF_INET && pkt->family != AF_INET6) ||
      (pkt->len != 0 && pkt->payload == NULL))
    return -EINVAL;
  if (pkt->proto == IPPROTO_TCP)
    return write_tcp(p, t_ns, pkt);
  if (pkt->proto == IPPROTO_UDP)
    return write_udp(p, t_ns, pkt);
  if (is_icmp(pkt))
    return write_icmp_unreachable(p, t_ns, pkt);
  return -EINVAL;
}

int jnet__sim_pcap_close(jnet__sim_pcap *p) {
  if (p == NULL)
    return 0;
  flush_buf(p);
  if (p->w != NULL)
    writer_stop(p);
  int err = p->err;
  errno = 0;
  /* LCOV_EXCL_BR_LINE below: close(2) of our file fails only on EIO or EINTR */
  if (close(p->fd) != 0 && err == 0) /* LCOV_EXCL_BR_LINE */
    err = errno ? -errno : -EIO; /* LCOV_EXCL_BR_LINE: close(2) sets errno */
  jnet__free(p->buf);
  jnet__free(p->spare);
  jnet__free(p);
  return err;
}

/* ---- Wire size and the unix-socket port ---------------------------------- */

size_t jnet__sim_pkt_wire_bytes(const jnet__sim_pkt *pkt) {
  size_t ip_bytes = ip_header_bytes(pkt);
  if (pkt->proto == IPPROTO_TCP)
    return ip_bytes + tcp_header_bytes(pkt) + pkt->len;
  if (is_icmp(pkt))
    return ip_bytes + ICMP_HEADER_BYTES + icmp_quote_bytes(pkt);
  size_t datagram = UDP_HEADER_BYTES + (size_t)pkt->len;
  size_t frag_bytes = udp_fragment_bytes(pkt);
  if (frag_bytes == 0)
    return ip_bytes + datagram;
  size_t per_fragment = ip_bytes;
  if (pkt->family == AF_INET6)
    per_fragment += IPV6_FRAG_HEADER_BYTES;
  size_t fragments = (datagram + frag_bytes - 1) / frag_bytes;
  return fragments * per_fragment + datagram;
}

uint16_t jnet__sim_pcap_unix_port(const char *path) {
  uint32_t h = 2166136261u; /* FNV-1a, 32 bits: stable across runs/builds */
  for (const unsigned char *s = (const unsigned char *)(path ? path : ""); *s;
       s++) {
    h ^= *s;
    h *= 16777619u;
  }
  return (uint16_t)(49152u + h % 16384u);
}
