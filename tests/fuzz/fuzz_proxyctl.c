/* fuzz_proxyctl.c — fuzz target for jnet-proxy's control protocol and
 * timeline parser (tools/proxy/proxy_parse.c). Input: one line of text (the
 * bytes up to the first NUL). Parses it as a control command and, with
 * "at 1s " in front, as a timeline line; an accepted `set` must apply
 * cleanly and leave probabilities in [0, 1]; a rejected line must say why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "proxy.h"

static void check_line(const char *line) {
  proxy_cmd c;
  char err[160];
  err[0] = 0;
  int rc = proxy_parse_command(line, &c, err, sizeof err);
  if (rc < 0) {
    FZ_CHECK(err[0] != 0, "rejected without a message: '%s'", line);
    return;
  }
  FZ_CHECK(rc == 0 && c.kind >= PROXY_CMD_SET && c.kind <= PROXY_CMD_PING,
           "kind %d", c.kind);
  FZ_CHECK(memchr(c.target, 0, sizeof c.target) != NULL, "target unterminated");
  if (c.kind != PROXY_CMD_SET)
    return;
  jnet_fault_params p;
  jnet_fault_params_default(&p);
  FZ_CHECK(proxy_cmd_apply(&c, &p, err, sizeof err) == 0,
           "accepted set does not apply: %s", err);
  const jnet_link_params *l = &p.link;
  FZ_CHECK(l->loss >= 0 && l->loss <= 1 && l->duplicate >= 0 &&
               l->duplicate <= 1 && l->reorder >= 0 && l->reorder <= 1 &&
               l->corrupt >= 0 && l->corrupt <= 1,
           "probability out of range");
  FZ_CHECK(l->jitter_dist >= 0 && l->jitter_dist <= 3, "dist %d",
           l->jitter_dist);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char line[2 * PROXY_LINE_MAX];
  size_t n = size < PROXY_LINE_MAX + 16 ? size : PROXY_LINE_MAX + 16;
  memcpy(line, data, n);
  line[n] = 0;
  check_line(line);
  char at[2 * PROXY_LINE_MAX + 16];
  snprintf(at, sizeof at, "at 1s %s", line);
  char *w[64];
  int nw = proxy_split(at, w, 64);
  if (nw > 0) {
    proxy_event e;
    char err[160] = "";
    if (proxy_parse_at(w, nw, &e, err, sizeof err) < 0)
      FZ_CHECK(err[0] != 0, "timeline line rejected without a message");
    else
      FZ_CHECK(e.at_ns == 1000000000ull, "at %llu",
               (unsigned long long)e.at_ns);
  }
  return 0;
}
