/* kv_wire.c — the kv protocol's plumbing: lines, connect with a timeout,
 * requests.
 *
 * Every call here has a deadline, so no fiber of the kv store can wait
 * forever, whatever the network does.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "jnet_alloc.h"
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

/* A connect in progress, shared by the waiting caller and the fiber doing
 * jnet_connect; whichever lets go last frees it. */
typedef struct connect_op {
  int refs;
  int done;
  int rc;
  jnet_stream s;
  char host[128];
  char port[16];
} connect_op;

static void connect_fiber(void *arg) {
  connect_op *op = arg;
  jnet_stream s = JNET_NOSTREAM;
  int rc = jnet_connect(op->host, op->port, JNET_STREAM, NULL, NULL, &s);
  if (op->refs == 1) { /* the caller gave up waiting */
    if (rc == 0)
      jnet_close(s);
  } else {
    op->rc = rc;
    op->s = s;
    op->done = 1;
  }
  if (--op->refs == 0)
    jnet__free(op);
}

int kv_connect(const char *host, const char *port, double timeout_s,
               jnet_stream *out) {
  if (host == NULL || port == NULL || out == NULL)
    return JNET_EINVAL;
  if (isinf(timeout_s))
    return jnet_connect(host, port, JNET_STREAM, NULL, NULL, out);
  if (strlen(host) >= sizeof((connect_op *)0)->host ||
      strlen(port) >= sizeof((connect_op *)0)->port)
    return JNET_EINVAL;
  connect_op *op = jnet__calloc(1, sizeof *op);
  if (op == NULL)
    return JNET_ENOMEM;
  strcpy(op->host, host);
  strcpy(op->port, port);
  op->refs = 2;
  int rc = jnet_go(NULL, connect_fiber, op);
  if (rc < 0) {
    jnet__free(op);
    return rc;
  }
  /* jnet has no "wait for another fiber", so poll: a connect takes one
   * round trip, a few polls at 1 ms. */
  double deadline = jnet_now() + timeout_s;
  rc = JNET_ETIMEDOUT;
  while (!op->done) {
    double left = deadline - jnet_now();
    if (left <= KV_EPS_S)
      break;
    int err = jnet_sleep(left < 0.001 ? left : 0.001);
    if (err < 0) { /* our node crashed */
      rc = err;
      break;
    }
  }
  if (op->done) {
    rc = op->rc;
    *out = op->s;
  }
  if (--op->refs == 0)
    jnet__free(op);
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
