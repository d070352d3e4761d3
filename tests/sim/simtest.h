/* simtest.h — shared fixture of the sim suites: a seeded network of named
 * hosts (h0 = 192.0.2.1, h1 = 192.0.2.2, ...), a loop on it, and helpers
 * to run fibers on chosen hosts. Header-only; each suite includes it once. */
#ifndef JNET_SIMTEST_H
#define JNET_SIMTEST_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jnet/jnet.h>
#include "jnet_check.h"
#include <jnet/jnet_sim.h>

#define ST_MAX_HOSTS 2048

typedef struct st_world {
  jnet_sim *sim;
  jnet_loop *loop;
  jnet_node *h[ST_MAX_HOSTS];
  int n;
} st_world;

/* The i-th host's address: 192.0.2.x, 198.51.100.x, 203.0.113.x, then
 * 10.a.b.c beyond the documentation ranges. */
static inline void st_addr(int i, char *buf, size_t n) {
  if (i < 250)
    snprintf(buf, n, "192.0.2.%d", i + 1);
  else if (i < 500)
    snprintf(buf, n, "198.51.100.%d", i - 250 + 1);
  else if (i < 750)
    snprintf(buf, n, "203.0.113.%d", i - 500 + 1);
  else
    snprintf(buf, n, "10.%d.%d.%d", i / 62500, (i / 250) % 250, i % 250 + 1);
}

static inline void st_add_host(st_world *w) {
  char name[32], addr[64];
  snprintf(name, sizeof name, "h%d", w->n);
  st_addr(w->n, addr, sizeof addr);
  const char *addrs[] = {addr, NULL};
  ck_assert_int_eq(jnet_sim_host(w->sim, name, addrs, &w->h[w->n]), 0);
  w->n++;
}

/* A sim of `nhosts` hosts with default links; the loop is made by
 * st_loop() so that tests may add links and hosts first. */
static inline st_world *st_new(uint64_t seed, int nhosts) {
  st_world *w = calloc(1, sizeof *w);
  ck_assert_ptr_nonnull(w);
  ck_assert_int_eq(jnet_sim_new(&w->sim, seed), 0);
  for (int i = 0; i < nhosts; i++)
    st_add_host(w);
  jnet_sim_set_limits(w->sim, 24ull * 3600 * JNET_SIM_S, 0);
  return w;
}

static inline void st_loop(st_world *w) {
  ck_assert_int_eq(jnet_loop_new(&w->loop, jnet_sim_backend(w->sim)), 0);
}

static inline void st_go(st_world *w, int host, jnet_fiber_fn fn, void *arg) {
  if (w->loop == NULL)
    st_loop(w);
  ck_assert_int_eq(jnet_go_on(w->loop, w->h[host], fn, arg), 0);
}

static inline void st_run(st_world *w) {
  if (w->loop == NULL)
    st_loop(w);
  int rc = jnet_run(w->loop);
  ck_assert_msg(rc == 0, "jnet_run: %s", jnet_err_name(rc));
}

/* Free the world; the loop must have run to idle first (one more turn finds
 * nothing to do) and left nothing alive (no fiber, request or open stream:
 * jnet_loop_close 0), as libuv's tests assert uv_loop_close() == 0. */
static inline void st_free(st_world *w) {
  if (w->loop != NULL) {
    int rc = jnet_run_once(w->loop);
    ck_assert_msg(rc == 0, "loop not idle at teardown: jnet_run_once %d (%s)",
                  rc, rc < 0 ? jnet_err_name(rc) : "work left");
    rc = jnet_loop_close(w->loop);
    ck_assert_msg(rc == 0, "loop left something alive: %s, %zu fibers",
                  jnet_err_name(rc), jnet_loop_fibers(w->loop));
    w->loop = NULL;
  }
  jnet_loop_free(w->loop);
  jnet_sim_free(w->sim);
  free(w);
}

/* Free a world whose run a limit stopped on purpose: the limit still holds
 * (one more turn is refused with JNET_ETIMEDOUT), so it is not idle. */
static inline void st_free_stopped(st_world *w) {
  ck_assert_int_eq(jnet_run_once(w->loop), JNET_ETIMEDOUT);
  jnet_loop_free(w->loop);
  jnet_sim_free(w->sim);
  free(w);
}

static inline double st_wall_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A deterministic byte pattern, and a checksum to compare streams. */
static inline unsigned char st_byte(size_t i) {
  return (unsigned char)((i * 2654435761u) >> 13);
}
static inline uint64_t st_fnv(const void *p, size_t n) {
  const unsigned char *b = p;
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++)
    h = (h ^ b[i]) * 0x100000001b3ull;
  return h;
}

static inline int st_run_suite(Suite *s) { return jc_run(s); }

#endif /* JNET_SIMTEST_H */
