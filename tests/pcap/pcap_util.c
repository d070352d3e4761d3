/* pcap_util.c — reading captures back, an independent checksum, running
 * tshark: shared by the pcap test suites. */
#define _DEFAULT_SOURCE
#include "pcap_util.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int pu_read(const char *path, pu_capture *out) {
  memset(out, 0, sizeof *out);
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    perror(path);
    return -1;
  }
  uint8_t hdr[24];
  size_t got = fread(hdr, 1, sizeof hdr, f);
  fclose(f);
  if (got != sizeof hdr) {
    fprintf(stderr, "%s: short file header\n", path);
    return -1;
  }
  out->magic = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 |
               (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
  out->snaplen = (uint32_t)hdr[16] | (uint32_t)hdr[17] << 8 |
                 (uint32_t)hdr[18] << 16 | (uint32_t)hdr[19] << 24;
  out->linktype = hdr[20] | hdr[21] << 8 | hdr[22] << 16 | hdr[23] << 24;

  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t *p = pcap_open_offline_with_tstamp_precision(
      path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (p == NULL) {
    fprintf(stderr, "%s: %s\n", path, errbuf);
    return -1;
  }
  struct pcap_pkthdr *h;
  const u_char *data;
  int rc;
  while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
    if (out->n == PU_MAX_RECORDS) {
      fprintf(stderr, "%s: too many records\n", path);
      break;
    }
    pu_record *r = &out->rec[out->n++];
    r->ts_sec = (uint64_t)h->ts.tv_sec;
    r->ts_nsec = (uint64_t)h->ts.tv_usec;
    r->caplen = h->caplen;
    r->len = h->len;
    r->data = malloc(h->caplen ? h->caplen : 1);
    memcpy(r->data, data, h->caplen);
  }
  pcap_close(p);
  return rc == PCAP_ERROR_BREAK ? 0 : -1;
}

void pu_free(pu_capture *c) {
  for (size_t i = 0; i < c->n; i++)
    free(c->rec[i].data);
  c->n = 0;
}

uint16_t pu_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

uint32_t pu_be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

uint32_t pu_sum(uint32_t acc, const uint8_t *p, size_t n) {
  size_t i;
  for (i = 0; i + 1 < n; i += 2)
    acc += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (i < n)
    acc += (uint32_t)p[i] << 8;
  return acc;
}

uint16_t pu_fold(uint32_t acc) {
  while (acc >> 16)
    acc = (acc & 0xffff) + (acc >> 16);
  return (uint16_t)acc;
}

int pu_ipv4_header_ok(const uint8_t *ip) {
  size_t ihl_bytes = (size_t)(ip[0] & 0x0f) * 4;
  return pu_fold(pu_sum(0, ip, ihl_bytes)) == 0xffff;
}

int pu_l4_ok(int family, const uint8_t *src, const uint8_t *dst, int proto,
             const uint8_t *l4, size_t l4_len) {
  uint32_t acc;
  if (family == AF_INET6) {
    acc = pu_sum(0, src, 16);
    acc = pu_sum(acc, dst, 16);
    acc += (uint32_t)(l4_len >> 16) + (uint32_t)(l4_len & 0xffff);
  } else {
    acc = pu_sum(0, src, 4);
    acc = pu_sum(acc, dst, 4);
    acc += (uint32_t)l4_len;
  }
  acc += (uint32_t)proto;
  acc = pu_sum(acc, l4, l4_len);
  return pu_fold(acc) == 0xffff;
}

int pu_have_tshark(void) {
  return system("command -v tshark >/dev/null 2>&1") == 0;
}

char *pu_run(const char *cmd, int *status) {
  FILE *f = popen(cmd, "r");
  if (f == NULL)
    return NULL;
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  size_t got;
  while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
    len += got;
    if (cap - len < 2) {
      cap *= 2;
      buf = realloc(buf, cap);
    }
  }
  buf[len] = 0;
  int st = pclose(f);
  if (status)
    *status = st;
  return buf;
}

char *pu_split_stats(char *out) {
  char *p = out;
  while (*p != '\0' && *p != '\n') { /* p starts a non-empty line */
    char *e = strchr(p, '\n');
    if (e == NULL)
      return p + strlen(p);
    p = e + 1;
  }
  if (*p == '\n')
    *p++ = '\0';
  return p;
}

size_t pu_count_lines(const char *text) {
  size_t n = 0;
  const char *s = text;
  while (*s) {
    const char *e = strchr(s, '\n');
    size_t l = e ? (size_t)(e - s) : strlen(s);
    if (l > 0)
      n++;
    if (e == NULL)
      break;
    s = e + 1;
  }
  return n;
}

size_t pu_count_prefix(const char *text, const char *prefix) {
  size_t n = 0, plen = strlen(prefix);
  for (const char *s = text; *s;) {
    if (strncmp(s, prefix, plen) == 0)
      n++;
    const char *e = strchr(s, '\n');
    if (e == NULL)
      break;
    s = e + 1;
  }
  return n;
}

int pu_same_file(const char *a, const char *b) {
  FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
  int same = fa != NULL && fb != NULL;
  while (same) {
    int ca = getc(fa), cb = getc(fb);
    if (ca != cb)
      same = 0;
    if (ca == EOF || cb == EOF)
      break;
  }
  if (fa)
    fclose(fa);
  if (fb)
    fclose(fb);
  return same;
}

void pu_temp_path(char *buf, size_t n, const char *tag) {
  static unsigned counter;
  const char *dir = getenv("TMPDIR");
  snprintf(buf, n, "%s/jnet-pcap-%ld-%u-%s.pcap", dir ? dir : "/tmp",
           (long)getpid(), counter++, tag);
}
