/* kv_wire.c — the kv protocol's plumbing: lines, connect with a deadline,
 * requests.
 *
 * Every call here has a deadline, so no fiber of the kv store can wait
 * forever, whatever the network does.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kv.h"

int kv_read_line(jnet_stream s, jnet_buf *b, char *line, size_t cap,
                 double deadline) {
  size_t scanned = 0;
  for (;;) {
    char *nl = b->len > scanned
                   ? memchr(b->data + scanned, '\n', b->len - scanned)
                   : NULL;
    if (nl != NULL) {
      size_t n = (size_t)(nl - b->data);
      if (n >= cap)
        return JNET_EMSGSIZE;
      memcpy(line, b->data, n);
      if (n > 0 && line[n - 1] == '\r')
        n--;
      line[n] = '\0';
      size_t used = (size_t)(nl - b->data) + 1;
      memmove(b->data, b->data + used, b->len - used);
      b->len -= used;
      return (int)n;
    }
    scanned = b->len;
    if (b->len >= cap) /* no newline yet: all of b is this one line */
      return JNET_EMSGSIZE;
    double left = deadline - jnet_now();
    if (left <= KV_EPS_S)
      return JNET_ETIMEDOUT;
    ssize_t r = jnet_read(s, 4096, b, left);
    if (r == 0)
      return JNET_ENOTCONN;
    if (r < 0)
      return (int)r;
  }
}

/* The connect gets the timeout as a deadline (jnet_connect has none of its
 * own: a SYN into a partition would wait for the TCP retries), unless the
 * fiber already has a sooner one. */
int kv_connect(const char *host, const char *port, double timeout_s,
               jnet_stream *out) {
  if (host == NULL || port == NULL || out == NULL)
    return JNET_EINVAL;
  double at = jnet_now() + timeout_s;
  double saved = jnet_deadline(at);
  if (saved < at) /* keep the caller's tighter deadline */
    jnet_deadline(saved);
  int rc = jnet_connect(host, port, JNET_STREAM, NULL, NULL, out);
  jnet_deadline(saved);
  return rc;
}

int kv_request(jnet_stream s, jnet_buf *b, const char *req, char *reply,
               size_t cap, double timeout_s) {
  char line[KV_LINE_MAX + 1];
  size_t n = strlen(req);
  if (n >= KV_LINE_MAX)
    return JNET_EMSGSIZE;
  memcpy(line, req, n);
  line[n++] = '\n';
  double deadline = jnet_now() + timeout_s;
  int rc = jnet_write(s, line, n, timeout_s);
  if (rc < 0)
    return rc;
  return kv_read_line(s, b, reply, cap, deadline);
}

size_t kv_join(char *dst, size_t cap, ...) {
  va_list ap;
  size_t n = 0;
  va_start(ap, cap);
  for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
    while (*s != '\0' && n < cap - 1)
      dst[n++] = *s++;
  va_end(ap);
  dst[n] = '\0';
  return n;
}

const char *kv_u64(char *buf, uint64_t v) {
  char digits[20];
  size_t n = 0;
  do
    digits[n++] = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  for (size_t i = 0; i < n; i++)
    buf[i] = digits[n - 1 - i];
  buf[n] = '\0';
  return buf;
}
