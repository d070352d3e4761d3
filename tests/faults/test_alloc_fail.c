/* test_alloc_fail.c — allocation failure swept over N (SQLite's
 * do_faultsim_test): fail the Nth allocation, once or from then on, for
 * N = 1, 2, ... until a run injects nothing. Every run must end in success or
 * a clean error code: no crash, no hang, no leak (leaks are caught when the
 * suite runs under ASan or Valgrind).
 *
 * The workload is a whole echo exchange (listen, server with a handler,
 * connect, write, chunk, close), then a channel hand-off between two fibers
 * (chan_new, spawn, select under a deadline, join, chan_free) on the
 * simulated network, where timeouts
 * cost no wall time, and a short one on real sockets.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jnet/jnet.h>
#include <jnet/jnet_sim.h>
#include "jnet_check.h"

/* ---- the failing allocator -------------------------------------------- */

static long alloc_count;   /* allocations so far */
static long fail_at;       /* fail this one (1-based); 0: never */
static int fail_persist;   /* and every later one */
static long injected;      /* failures injected */
static double io_timeout;  /* per call: short on real sockets */

static int should_fail(void) {
  alloc_count++;
  if (fail_at > 0 && (alloc_count == fail_at || (fail_persist && alloc_count > fail_at))) {
    injected++;
    return 1;
  }
  return 0;
}

static void *t_malloc(size_t n) { return should_fail() ? NULL : malloc(n); }
static void *t_realloc(void *p, size_t n) {
  return should_fail() ? NULL : realloc(p, n);
}

static void arm(long n, int persist) {
  alloc_count = 0;
  injected = 0;
  fail_at = n;
  fail_persist = persist;
}

/* ---- the workload ------------------------------------------------------ */

typedef struct {
  int result;   /* 0: the echo came back whole; < 0: the error met */
  char port[8];
  jnet_stream srv;
} work;

static void echo_handler(jnet_stream conn, void *arg) {
  (void)arg;
  jnet_buf b;
  jnet_buf_init(&b);
  if (jnet_read(conn, 64, &b, io_timeout) > 0)
    (void)jnet_write(conn, b.data, b.len, io_timeout);
  jnet_buf_free(&b);
}

/* Fibers that work together: a helper hands one item over a rendezvous
 * channel; the client takes it with a select of more than 16 cases (so the
 * select allocates) under a deadline, and joins the helper. */
static void helper_giver(void *arg) {
  int v = 5;
  (void)jnet_chan_give(arg, &v, io_timeout);
}

static int coordinate(void) {
  jnet_chan *c;
  int err = jnet_chan_new(&c, sizeof(int), 0);
  if (err < 0)
    return err;
  jnet_fiber f;
  err = jnet_spawn(NULL, helper_giver, c, &f);
  if (err == 0) {
    int got = 0;
    jnet_case k[17];
    for (int i = 0; i < 17; i++) {
      k[i].chan = c;
      k[i].op = JNET_TAKE;
      k[i].item = &got;
      k[i].result = 0;
    }
    double saved = jnet_deadline(jnet_now() + io_timeout);
    int r = jnet_select(k, 17, JNET_FOREVER);
    jnet_deadline(saved);
    if (r < 0) {
      err = r;
      (void)jnet_cancel(f, JNET_ECANCELED); /* it may wait in give */
    } else if (got != 5 || k[r].result != 1) {
      err = -1;
    }
    int j = jnet_join(f, JNET_FOREVER);
    if (err == 0 && j < 0)
      err = j;
  }
  int freed = jnet_chan_free(c);
  return err == 0 ? freed : err;
}

static void client(void *arg) {
  work *w = arg;
  jnet_stream c;
  jnet_buf b;
  jnet_buf_init(&b);
  int err = jnet_connect("127.0.0.1", w->port, JNET_STREAM, NULL, NULL, &c);
  if (err == 0) {
    err = jnet_write(c, "ping", 4, io_timeout);
    if (err == 0) {
      ssize_t r = jnet_chunk(c, 4, &b, io_timeout);
      err = r == 4 && memcmp(b.data, "ping", 4) == 0 ? 0 : r < 0 ? (int)r : -1;
    }
    if (err == 0)
      err = coordinate();
    jnet_close(c);
  }
  w->result = err;
  jnet_buf_free(&b);
  jnet_close(w->srv);
}

static void server(void *arg) {
  work *w = arg;
  jnet_addr a;
  char host[64];
  int port;
  int err = jnet_server("127.0.0.1", NULL, echo_handler, NULL, JNET_STREAM, &w->srv);
  if (err == 0)
    err = jnet_localname(w->srv, &a);
  if (err == 0)
    err = jnet_address_unpack(&a, host, sizeof host, &port);
  if (err < 0) {
    w->result = err;
    jnet_close(w->srv);
    return;
  }
  snprintf(w->port, sizeof w->port, "%d", port);
  err = jnet_go(NULL, client, w);
  if (err < 0) {
    w->result = err;
    jnet_close(w->srv);
  }
}

/* One run with the allocator armed; returns the workload's result. */
static int run_once(int sim_backend) {
  work w = {1, "", JNET_NOSTREAM};
  jnet_sim *sim = NULL;
  const jnet_backend *b = NULL;
  jnet_loop *l = NULL;
  int err;
  if (sim_backend) {
    jnet_node *h;
    err = jnet_sim_new(&sim, 7);
    if (err == 0)
      err = jnet_sim_host(sim, "h", (const char *[]){"192.0.2.1", NULL}, &h);
    if (err == 0)
      b = jnet_sim_backend(sim);
  } else {
    b = jnet_backend_uv();
    err = b != NULL ? 0 : JNET_ENOMEM;
  }
  if (err == 0)
    err = jnet_loop_new(&l, b);
  if (err == 0)
    err = jnet_go(l, server, &w);
  if (err == 0)
    err = jnet_run(l);
  jnet_loop_free(l);
  if (sim != NULL)
    jnet_sim_free(sim);
  else if (b != NULL)
    jnet_backend_free(b);
  if (err < 0)
    return err;
  return w.result;
}

static void sweep(int sim_backend, int persist, long max_n) {
  io_timeout = sim_backend ? 1.0 : 0.25;
  ck_assert_int_eq(jnet_replace_allocator(t_malloc, t_realloc, free), 0);
  arm(0, 0);
  ck_assert_int_eq(run_once(sim_backend), 0); /* the clean run works */
  long clean_count = alloc_count;
  ck_assert_int_gt(clean_count, 0);
  long n;
  for (n = 1; n <= max_n; n++) {
    arm(n, persist);
    int r = run_once(sim_backend);
    if (injected == 0) {
      ck_assert_msg(r == 0, "no failure injected at N=%ld but result %d", n, r);
      break;
    }
    /* success despite a failure (retried or unneeded), or a clean error */
    ck_assert_msg(r == 0 || (r < 0 && r >= -4095) || r == 1 || r == -1,
                  "N=%ld: result %d is not an error code", n, r);
  }
  arm(0, 0);
  ck_assert_msg(n <= max_n, "every one of %ld runs still injected a failure", max_n);
  ck_assert_int_ge(n, clean_count); /* each allocation of the clean run was failed once */
  printf("%s sweep (%s): %ld allocations in a clean run, %ld runs\n",
         sim_backend ? "sim" : "uv", persist ? "from N on" : "once", clean_count, n);
  jnet_replace_allocator(malloc, realloc, free);
}

START_TEST(sim_echo_survives_each_failed_allocation_once) {
  sweep(1, 0, 100000);
}
END_TEST

START_TEST(sim_echo_survives_allocation_failing_from_n_on) {
  sweep(1, 1, 100000);
}
END_TEST

START_TEST(uv_echo_survives_each_failed_allocation_once) {
  sweep(0, 0, 100000);
}
END_TEST

START_TEST(replace_allocator_rejects_null) {
  ck_assert_int_eq(jnet_replace_allocator(NULL, realloc, free), JNET_EINVAL);
  ck_assert_int_eq(jnet_replace_allocator(malloc, NULL, free), JNET_EINVAL);
  ck_assert_int_eq(jnet_replace_allocator(malloc, realloc, NULL), JNET_EINVAL);
}
END_TEST

/* The one allocation of a select of more than 16 cases, failed: the
 * select answers JNET_ENOMEM (the code jnet.h promises), waits for
 * nothing, and the channel is still usable. */
static int sel_rc[6];
static double sel_waited;

static void select_without_memory(void *arg) {
  (void)arg;
  jnet_chan *c;
  sel_rc[0] = jnet_chan_new(&c, sizeof(int), 1);
  if (sel_rc[0] < 0)
    return;
  int got = 0;
  jnet_case k[17];
  for (int i = 0; i < 17; i++) {
    k[i].chan = c;
    k[i].op = JNET_TAKE;
    k[i].item = &got;
    k[i].result = 0;
  }
  arm(1, 1); /* every allocation from now on fails */
  double t0 = jnet_now();
  sel_rc[1] = jnet_select(k, 17, 1.0);
  sel_waited = jnet_now() - t0;
  arm(0, 0);
  int v = 9;
  sel_rc[2] = jnet_chan_give(c, &v, 0);
  sel_rc[3] = jnet_select(k, 17, 1.0);
  sel_rc[4] = got;
  sel_rc[5] = jnet_chan_free(c);
}

START_TEST(select_without_memory_is_enomem) {
  jnet_sim *sim;
  jnet_node *h;
  jnet_loop *l;
  ck_assert_int_eq(jnet_sim_new(&sim, 1), 0);
  ck_assert_int_eq(
      jnet_sim_host(sim, "h", (const char *[]){"192.0.2.1", NULL}, &h), 0);
  ck_assert_int_eq(jnet_loop_new(&l, jnet_sim_backend(sim)), 0);
  ck_assert_int_eq(jnet_replace_allocator(t_malloc, t_realloc, free), 0);
  arm(0, 0);
  ck_assert_int_eq(jnet_go(l, select_without_memory, NULL), 0);
  ck_assert_int_eq(jnet_run(l), 0);
  jnet_replace_allocator(malloc, realloc, free);
  ck_assert_int_eq(sel_rc[0], 0);
  ck_assert_int_eq(sel_rc[1], JNET_ENOMEM);
  ck_assert(sel_waited == 0); /* it waited for nothing */
  ck_assert_int_eq(sel_rc[2], 0);
  ck_assert_int_eq(sel_rc[3], 0); /* the channel works: the first case */
  ck_assert_int_eq(sel_rc[4], 9);
  ck_assert_int_eq(sel_rc[5], 0);
  ck_assert_int_eq(jnet_loop_close(l), 0);
  jnet_sim_free(sim);
}
END_TEST

int main(void) {
  Suite *s = suite_create("faults");
  jc_defaults(120, NULL, NULL);
  JC_TEST(s, replace_allocator_rejects_null);
  JC_TEST(s, select_without_memory_is_enomem);
  JC_TEST(s, sim_echo_survives_each_failed_allocation_once);
  JC_TEST(s, sim_echo_survives_allocation_failing_from_n_on);
  JC_TEST(s, uv_echo_survives_each_failed_allocation_once);
  return jc_run(s);
}
