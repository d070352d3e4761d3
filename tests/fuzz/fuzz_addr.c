/* fuzz_addr.c — fuzz target for address parsing and unpacking on the
 * SIMULATED backend (never uv: random names must not reach real DNS).
 * Input: byte 0 picks the call and socket type, byte 1 a buffer size, the
 * rest is "host\0port" (no NUL: port is NULL). Calls jnet_address,
 * jnet_address_all, jnet_listen or jnet_connect with them and unpacks
 * every address returned; op 4 unpacks the raw bytes as a jnet_addr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include <jnet/jnet.h>
#include <jnet/jnet_sim.h>

typedef struct fa {
  unsigned op, type, hostbuf;
  char *host, *port;
  int rc;
} fa;

/* Unpack a and check the host string fits and is terminated. */
static void check_unpack(const jnet_addr *a, size_t n) {
  char host[260];
  memset(host, 'X', sizeof host);
  int port = -7;
  if (n > sizeof host - 4)
    n = sizeof host - 4;
  int rc = jnet_address_unpack(a, host, n, &port);
  if (rc == 0) {
    FZ_CHECK(n > 0 && memchr(host, '\0', n) != NULL, "unterminated host");
    FZ_CHECK(port >= -1 && port <= 65535, "port %d", port);
  } else {
    FZ_CHECK(rc < 0, "rc %d", rc);
  }
  FZ_CHECK(host[n] == 'X', "wrote past the host buffer (n %zu)", n);
}

static void addr_fiber(void *arg) {
  fa *f = arg;
  jnet_addr out[8];
  jnet_stream s;
  switch (f->op) {
  case 0:
    f->rc = jnet_address(f->host, f->port, (int)f->type, &out[0]);
    if (f->rc == 0)
      check_unpack(&out[0], f->hostbuf);
    break;
  case 1: {
    size_t cap = f->hostbuf % 9;
    f->rc = jnet_address_all(f->host, f->port, (int)f->type,
                             cap ? out : NULL, cap);
    for (int i = 0; i < f->rc && (size_t)i < cap; i++)
      check_unpack(&out[i], 256);
    break;
  }
  case 2:
    f->rc = jnet_listen(f->host, f->port, (int)f->type, &s);
    if (f->rc == 0) {
      if (jnet_localname(s, &out[0]) == 0)
        check_unpack(&out[0], f->hostbuf);
      jnet_close(s);
    }
    break;
  default:
    f->rc = jnet_connect(f->host, f->port, (int)f->type, NULL, NULL, &s);
    if (f->rc == 0) {
      if (jnet_peername(s, &out[0]) == 0)
        check_unpack(&out[0], f->hostbuf);
      jnet_close(s);
    }
    break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2)
    return 0;
  fa f = {0};
  f.op = data[0] % 5;
  f.type = (data[0] >> 3) & 1u;
  if (data[0] & 0x80)
    f.type = data[0] >> 4; /* out of range types too */
  f.hostbuf = data[1];
  if (f.op == 4) { /* raw jnet_addr bytes */
    jnet_addr a;
    memset(&a, 0, sizeof a);
    size_t n = size - 2 < sizeof a ? size - 2 : sizeof a;
    memcpy(&a, data + 2, n);
    check_unpack(&a, f.hostbuf);
    return 0;
  }
  size_t len = size - 2;
  char *text = malloc(len + 1);
  if (text == NULL)
    return 0;
  memcpy(text, data + 2, len);
  text[len] = '\0';
  f.host = text;
  size_t hl = strlen(text);
  f.port = hl < len ? text + hl + 1 : NULL;

  jnet_sim *sim;
  jnet_loop *loop;
  jnet_node *h;
  const char *addrs[] = {"192.0.2.1", "2001:db8::1", NULL};
  FZ_CHECK(jnet_sim_new(&sim, 1) == 0, "sim");
  FZ_CHECK(jnet_sim_host(sim, "a", addrs, &h) == 0, "host");
  jnet_sim_dns_add(sim, "b.example", "192.0.2.1");
  jnet_sim_set_limits(sim, 600 * JNET_SIM_S, 200000);
  FZ_CHECK(jnet_loop_new(&loop, jnet_sim_backend(sim)) == 0, "loop");
  FZ_CHECK(jnet_go_on(loop, h, addr_fiber, &f) == 0, "go");
  int rc = jnet_run(loop);
  FZ_CHECK(rc == 0 || rc == JNET_ETIMEDOUT, "run: %s", jnet_err_name(rc));
  FZ_CHECK(f.rc >= 0 || jnet_err_name(f.rc) != NULL, "unknown error %d",
           f.rc);
  jnet_loop_free(loop);
  jnet_sim_free(sim);
  free(text);
  return 0;
}
