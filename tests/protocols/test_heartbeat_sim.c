/* test_heartbeat_sim.c — the UDP heartbeat detector (scenarios/heartbeat.c) on
 * sim.
 *
 * Runs hb-node and hb-monitor on a simulated network with a minimal
 * stand-in for the scenario runner's jnet_prog_* functions (defined below),
 * and checks both verdicts: a crash is detected within the bound with no
 * false suspicion under 5% loss, and the checker does fail when detection
 * is late, never happens, or a live node is suspected.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jnet/jnet.h>
#include <jnet/jnet_sim.h>
#include <jnet/jnet_test.h>
#include "programs.h"
#include "jnet_check.h"

/* ---- A stand-in for the runner's program context ------------------------- */

struct jnet_prog_ctx {
  const char *host;
  const char *args[8]; /* "key=value", NULL-terminated */
  int reported;
  int ok;
  char msg[256];
};

const char *jnet_prog_arg(jnet_prog_ctx *ctx, const char *key,
                          const char *def) {
  size_t n = strlen(key);
  for (int i = 0; ctx->args[i] != NULL; i++)
    if (strncmp(ctx->args[i], key, n) == 0 && ctx->args[i][n] == '=')
      return ctx->args[i] + n + 1;
  return def;
}

long long jnet_prog_arg_int(jnet_prog_ctx *ctx, const char *key,
                            long long def) {
  const char *v = jnet_prog_arg(ctx, key, NULL);
  return v != NULL ? strtoll(v, NULL, 10) : def;
}

const char *jnet_prog_host(const jnet_prog_ctx *ctx) { return ctx->host; }
const char *jnet_prog_name(const jnet_prog_ctx *ctx) {
  (void)ctx;
  return "hb";
}
int jnet_prog_restarts(const jnet_prog_ctx *ctx) {
  (void)ctx;
  return 0;
}
void *jnet_prog_disk(jnet_prog_ctx *ctx, size_t size) {
  (void)ctx;
  (void)size;
  return NULL;
}

void jnet_prog_check(jnet_prog_ctx *ctx, const char *check, int ok,
                     const char *fmt, ...) {
  if (strcmp(check, "ok") != 0 || (ctx->reported && !ctx->ok))
    return; /* keep the first failure */
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ctx->msg, sizeof ctx->msg, fmt, ap);
  va_end(ap);
  ctx->reported = 1;
  ctx->ok = ok;
}

/* ---- The network --------------------------------------------------------- */

typedef struct hb_world {
  jnet_prog_ctx node[3], mon;
  jnet_node *hosts[4];
} hb_world;

static void node_fiber(void *arg) { jnet_example_hb_node(arg); }
static void mon_fiber(void *arg) { jnet_example_hb_monitor(arg); }

static void crash_n2(jnet_sim *sim, void *arg) {
  jnet_sim_crash(sim, ((hb_world *)arg)->hosts[1]);
}

/* Run n1..n3 + mon with `expect` args ("crashed=n2 crash_ms=1000 ..."
 * split in two), loss, and n2 crashing at crash_ms (0: never). */
static void hb_run(hb_world *w, uint64_t seed, double loss, const char *expect1,
                   const char *expect2, uint64_t crash_ms) {
  static const char *names[] = {"n1", "n2", "n3", "mon"};
  static const char *addrs[] = {"192.0.2.1", "192.0.2.2", "192.0.2.3",
                                "192.0.2.100"};
  jnet_sim *sim;
  jnet_loop *l;
  jnet_link_params lp;
  memset(w, 0, sizeof *w);
  ck_assert_int_eq(jnet_sim_new(&sim, seed), 0);
  for (int i = 0; i < 4; i++)
    ck_assert_int_eq(jnet_sim_host(sim, names[i],
                                   (const char *const[]){addrs[i], NULL},
                                   &w->hosts[i]),
                     0);
  jnet_link_params_default(&lp);
  lp.latency_ns = 2 * JNET_SIM_MS;
  lp.jitter_ns = 3 * JNET_SIM_MS;
  lp.loss = loss;
  ck_assert_int_eq(jnet_sim_link(sim, w->hosts[0], NULL, &lp), 0);
  ck_assert_int_eq(jnet_sim_set_limits(sim, 20 * JNET_SIM_S, 0), 0);
  ck_assert_int_eq(jnet_loop_new(&l, jnet_sim_backend(sim)), 0);
  for (int i = 0; i < 3; i++) {
    jnet_prog_ctx *c = &w->node[i];
    c->host = names[i];
    c->args[0] = "peers=n1,n2,n3";
    c->args[1] = "monitor=mon";
    c->args[2] = "until_ms=2500";
    c->args[3] = expect1;
    c->args[4] = expect2;
    ck_assert_int_eq(jnet_node_main(l, w->hosts[i], node_fiber, c), 0);
  }
  w->mon.host = "mon";
  w->mon.args[0] = "nodes=n1,n2,n3";
  w->mon.args[1] = "until_ms=2500";
  w->mon.args[2] = expect1;
  w->mon.args[3] = expect2;
  ck_assert_int_eq(jnet_node_main(l, w->hosts[3], mon_fiber, &w->mon), 0);
  if (crash_ms)
    ck_assert_int_eq(jnet_sim_at(sim, crash_ms * JNET_SIM_MS, crash_n2, w), 0);
  ck_assert_int_eq(jnet_run(l), 0);
  ck_assert_int_eq(jnet_run_once(l), 0); /* ran to idle */
  jnet_loop_free(l);
  jnet_sim_free(sim);
}

START_TEST(crash_detected_in_bound_and_no_false_suspicion) {
  hb_world w;
  JNET_TEST_SEEDS(seed, 1, 20) { /* JNET_SEED=N replays one */
    hb_run(&w, seed, 0.05, "crashed=n2", "crash_ms=1000", 1000);
    ck_assert_msg(w.mon.reported && w.mon.ok, "seed %llu: %s",
                  (unsigned long long)seed, w.mon.msg);
    ck_assert_msg(w.node[0].reported && w.node[0].ok, "%s", w.node[0].msg);
    ck_assert_msg(w.node[2].reported && w.node[2].ok, "%s", w.node[2].msg);
    ck_assert(!w.node[1].reported); /* crashed before the end */
  }
}
END_TEST

START_TEST(late_detection_fails_the_check) {
  hb_world w; /* timeout 300 ms cannot meet a 100 ms bound */
  hb_run(&w, 3, 0.0, "crashed=n2", "bound_ms=100", 1000);
  ck_assert(w.mon.reported);
  ck_assert(!w.mon.ok);
  ck_assert_msg(strstr(w.mon.msg, "did not suspect crashed n2") != NULL, "%s",
                w.mon.msg);
}
END_TEST

START_TEST(crash_that_never_happens_is_reported) {
  hb_world w;
  hb_run(&w, 4, 0.0, "crashed=n2", "crash_ms=1000", 0);
  ck_assert(w.mon.reported);
  ck_assert(!w.mon.ok);
  ck_assert_msg(strstr(w.mon.msg, "never") != NULL, "%s", w.mon.msg);
}
END_TEST

START_TEST(heavy_loss_gives_false_suspicion) {
  hb_world w;
  hb_run(&w, 5, 0.7, "bound_ms=400", "crash_ms=0", 0);
  ck_assert(w.mon.reported);
  ck_assert(!w.mon.ok);
  ck_assert_msg(strstr(w.mon.msg, "falsely suspected") != NULL, "%s",
                w.mon.msg);
}
END_TEST

static Suite *hb_suite(void) {
  Suite *s = suite_create("protocols-heartbeat-sim");
  jc_defaults(60, NULL, NULL);
  JC_TEST(s, crash_detected_in_bound_and_no_false_suspicion);
  JC_TEST(s, late_detection_fails_the_check);
  JC_TEST(s, crash_that_never_happens_is_reported);
  JC_TEST(s, heavy_loss_gives_false_suspicion);
  return s;
}

int main(void) {
  return jc_run(hb_suite());
}
