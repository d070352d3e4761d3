/* test_kv_sim.c — the kv store's replication and failover on the simulated
 * network.
 *
 * Drives kv_server/kv_client directly on a jnet_sim (no scenario runner):
 * a primary p, a backup b and a client c, with faults scheduled by
 * jnet_sim_at. Checks what the protocol promises: no acknowledged write is
 * lost across a primary crash, a partition between the servers (split
 * brain) or a restart, and that the old primary comes back as a backup;
 * and that the buggy variant (ack before replicate) does lose writes on some
 * seeds. Virtual time only; every run is bounded by jnet_sim_set_limits.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jnet/jnet.h>
#include <jnet/jnet_sim.h>
#include <jnet/jnet_test.h>
#include "kv.h"
#include "jnet_check.h"

typedef struct server_main {
  kv_server_config cfg;
  kv_disk disk;
} server_main;

typedef struct world {
  jnet_sim *sim;
  jnet_loop *loop;
  jnet_node *p, *b, *c;
  server_main ps, bs;
  kv_client_config cc;
  kv_client_result res;
  int client_done;
  int start_jitter_us; /* the client starts at a random moment below this */
  int run_err;
  uint64_t fingerprint;
} world;

static void server_fiber(void *arg) {
  server_main *m = arg;
  kv_server_run(&m->cfg, &m->disk);
}

static void client_fiber(void *arg) {
  world *w = arg;
  if (w->start_jitter_us > 0 &&
      jnet_sleep((double)(jnet_random() % (uint64_t)w->start_jitter_us) *
                 1e-6) < 0)
    return;
  if (kv_client_run(&w->cc, &w->res) == 0 && !w->res.cancelled)
    w->client_done = 1;
}

static void server_cfg(kv_server_config *c, const char *self, const char *peer,
                       int role, int buggy) {
  kv_server_config_default(c);
  c->host = self;
  c->port = "7000";
  c->peer = peer;
  c->role = role;
  c->ack_before_replicate = buggy;
  c->stop_at_s = 30.0;
}

static world *world_new(uint64_t seed, int buggy, int ops, double loss) {
  world *w = calloc(1, sizeof *w);
  jnet_link_params lp;
  ck_assert_ptr_nonnull(w);
  ck_assert_int_eq(jnet_sim_new(&w->sim, seed), 0);
  ck_assert_int_eq(jnet_sim_host(w->sim, "p",
                                 (const char *const[]){"192.0.2.10", NULL},
                                 &w->p),
                   0);
  ck_assert_int_eq(jnet_sim_host(w->sim, "b",
                                 (const char *const[]){"192.0.2.11", NULL},
                                 &w->b),
                   0);
  ck_assert_int_eq(jnet_sim_host(w->sim, "c",
                                 (const char *const[]){"192.0.2.20", NULL},
                                 &w->c),
                   0);
  jnet_link_params_default(&lp);
  lp.latency_ns = 2 * JNET_SIM_MS;
  lp.jitter_ns = 1 * JNET_SIM_MS;
  lp.loss = loss;
  ck_assert_int_eq(jnet_sim_link(w->sim, w->p, NULL, &lp), 0); /* default */
  ck_assert_int_eq(jnet_sim_set_limits(w->sim, 60 * JNET_SIM_S, 0), 0);
  server_cfg(&w->ps.cfg, "p", "b", KV_PRIMARY, buggy);
  server_cfg(&w->bs.cfg, "b", "p", KV_BACKUP, buggy);
  kv_client_config_default(&w->cc);
  w->cc.servers[0] = "p";
  w->cc.servers[1] = "b";
  w->cc.port = "7000";
  w->cc.ops = ops;
  ck_assert_int_eq(jnet_loop_new(&w->loop, jnet_sim_backend(w->sim)), 0);
  ck_assert_int_eq(jnet_node_main(w->loop, w->p, server_fiber, &w->ps), 0);
  ck_assert_int_eq(jnet_node_main(w->loop, w->b, server_fiber, &w->bs), 0);
  ck_assert_int_eq(jnet_go_on(w->loop, w->c, client_fiber, w), 0);
  return w;
}

static void world_run(world *w) {
  w->run_err = jnet_run(w->loop);
  w->fingerprint = jnet_sim_fingerprint(w->sim);
  if (w->run_err == 0) /* a finished run leaves the loop idle */
    ck_assert_int_eq(jnet_run_once(w->loop), 0);
  jnet_loop_free(w->loop);
  jnet_sim_free(w->sim);
}

static void crash_p(jnet_sim *sim, void *arg) {
  jnet_sim_crash(sim, ((world *)arg)->p);
}
static void restart_p(jnet_sim *sim, void *arg) {
  jnet_sim_restart(sim, ((world *)arg)->p);
}
static void partition_pb(jnet_sim *sim, void *arg) {
  world *w = arg;
  jnet_sim_partition(sim, w->p, w->b, JNET_BOTH_WAYS);
}
static void heal_pb(jnet_sim *sim, void *arg) {
  world *w = arg;
  jnet_sim_heal(sim, w->p, w->b);
}

static void at_ms(world *w, uint64_t ms, void (*fn)(jnet_sim *, void *)) {
  ck_assert_int_eq(jnet_sim_at(w->sim, ms * JNET_SIM_MS, fn, w), 0);
}

static void link_pair(world *w, jnet_node *a, jnet_node *b, int latency_ms,
                      int jitter_ms, double loss) {
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.latency_ns = (uint64_t)latency_ms * JNET_SIM_MS;
  lp.jitter_ns = (uint64_t)jitter_ms * JNET_SIM_MS;
  lp.loss = loss;
  ck_assert_int_eq(jnet_sim_link(w->sim, a, b, &lp), 0);
}

/* scenarios/kv-replication.scn, written out in C: the same links, faults
 * and client. */
static world *world_scenario(uint64_t seed, int buggy) {
  world *w = world_new(seed, buggy, 100, 0);
  link_pair(w, w->p, w->b, 2, 1, 0.02);
  link_pair(w, w->c, w->p, 3, 2, 0.01);
  link_pair(w, w->c, w->b, 3, 2, 0.01);
  w->ps.cfg.stop_at_s = w->bs.cfg.stop_at_s = 20.0;
  w->start_jitter_us = 20000;
  at_ms(w, 250, partition_pb);
  at_ms(w, 420, heal_pb);
  at_ms(w, 700, crash_p);
  at_ms(w, 1200, restart_p);
  return w;
}

static void assert_replicated(const kv_disk *from, const kv_disk *to) {
  for (uint32_t i = 0; i < from->nkeys; i++) {
    const kv_entry *e = kv_disk_get(to, from->entries[i].key);
    ck_assert_msg(e != NULL, "%s missing", from->entries[i].key);
    ck_assert_str_eq(e->val, from->entries[i].val);
  }
}

START_TEST(no_faults_every_write_acked_and_on_both_disks) {
  world *w = world_new(1, 0, 60, 0);
  world_run(w);
  ck_assert_int_eq(w->run_err, 0);
  ck_assert(w->client_done);
  ck_assert_msg(w->res.ok, "%s", w->res.msg);
  ck_assert_int_eq(w->res.acked, 60);
  ck_assert_uint_eq(w->ps.disk.epoch, 1);
  ck_assert_int_eq(w->ps.disk.role, KV_PRIMARY);
  ck_assert_uint_eq(w->bs.disk.nkeys, 60);
  assert_replicated(&w->ps.disk, &w->bs.disk);
  free(w);
}
END_TEST

START_TEST(primary_crash_fails_over_and_old_primary_rejoins_as_backup) {
  world *w = world_new(2, 0, 80, 0);
  at_ms(w, 150, crash_p);
  at_ms(w, 700, restart_p);
  world_run(w);
  ck_assert_int_eq(w->run_err, 0);
  ck_assert(w->client_done);
  ck_assert_msg(w->res.ok, "%s", w->res.msg);
  ck_assert_int_gt(w->res.acked, 0);
  ck_assert_int_eq(w->bs.disk.role, KV_PRIMARY);
  ck_assert_uint_eq(w->bs.disk.epoch, 2);
  ck_assert_int_eq(w->ps.disk.role, KV_BACKUP);
  ck_assert_uint_eq(w->ps.disk.epoch, 2);
  ck_assert_int_eq(w->ps.disk.synced, 1);
  assert_replicated(&w->bs.disk, &w->ps.disk);
  free(w);
}
END_TEST

/* The servers cannot reach each other but the client reaches both: the
 * backup takes over, the old primary must not acknowledge anything. */
START_TEST(partition_between_servers_loses_no_acked_write) {
  JNET_TEST_SEEDS(seed, 1, 5) { /* JNET_SEED=N replays one */
    world *w = world_new(seed, 0, 80, 0.01);
    at_ms(w, 100, partition_pb);
    at_ms(w, 700, heal_pb);
    world_run(w);
    ck_assert_int_eq(w->run_err, 0);
    ck_assert(w->client_done);
    ck_assert_msg(w->res.ok, "seed %llu: %s", (unsigned long long)seed,
                  w->res.msg);
    ck_assert_int_eq(w->bs.disk.role, KV_PRIMARY);
    ck_assert_uint_ge(w->bs.disk.epoch, 2);
    ck_assert_int_eq(w->ps.disk.role, KV_BACKUP);
    ck_assert_int_eq(w->ps.disk.synced, 1);
    free(w);
  }
}
END_TEST

/* The same crash, many seeds: the correct servers never lose a write; the
 * buggy ones (ack, then replicate) lose one on some seeds. */
START_TEST(ack_before_replicate_loses_writes_the_correct_one_does_not) {
  int buggy_lost = 0;
  for (uint64_t seed = 1; seed <= 40; seed++) {
    for (int buggy = 0; buggy <= 1; buggy++) {
      world *w = world_new(seed, buggy, 60, 0.03);
      at_ms(w, 40 + seed * 7 % 100, crash_p);
      at_ms(w, 900, restart_p);
      world_run(w);
      ck_assert(w->client_done);
      if (!buggy)
        ck_assert_msg(w->res.ok, "seed %llu: %s", (unsigned long long)seed,
                      w->res.msg);
      else if (!w->res.ok) {
        buggy_lost++;
        ck_assert_msg(strstr(w->res.msg, "lost") != NULL, "%s", w->res.msg);
      }
      free(w);
    }
  }
  ck_assert_int_gt(buggy_lost, 0);
}
END_TEST

START_TEST(same_seed_same_fingerprint_and_result) {
  uint64_t fp[2];
  int acked[2];
  for (int i = 0; i < 2; i++) {
    world *w = world_new(7, 0, 40, 0);
    at_ms(w, 120, crash_p);
    at_ms(w, 500, restart_p);
    world_run(w);
    fp[i] = w->fingerprint;
    acked[i] = w->res.acked;
    free(w);
  }
  ck_assert_uint_eq(fp[0], fp[1]);
  ck_assert_int_eq(acked[0], acked[1]);
}
END_TEST

/* The kv-replication scenario over 100 seeds, without the runner: the
 * correct store passes every seed, the buggy one loses a write on some
 * (22 of these 100; 65 of 300). The runner's sweeps of the same scenario
 * (ctest protocols-kv-sweep, protocols-kv-bug-sweep) cover 300 seeds. */
START_TEST(scenario_timeline_correct_passes_all_buggy_fails_some) {
  int buggy_failed = 0;
  for (uint64_t seed = 1; seed <= 100; seed++) {
    for (int buggy = 0; buggy <= 1; buggy++) {
      world *w = world_scenario(seed, buggy);
      world_run(w);
      ck_assert_int_eq(w->run_err, 0);
      ck_assert(w->client_done);
      ck_assert_int_gt(w->res.acked, 0);
      if (!buggy)
        ck_assert_msg(w->res.ok, "seed %llu: %s", (unsigned long long)seed,
                      w->res.msg);
      else
        buggy_failed += !w->res.ok;
      free(w);
    }
  }
  ck_assert_int_ge(buggy_failed, 5);
}
END_TEST

/* The store's index: every one of KV_MAX_KEYS keys is found again (many
 * share a hash slot: the index has 2x slots), a missing key is not, an
 * older version never overwrites a newer one, a full disk says so. */
START_TEST(store_finds_every_key_and_keeps_the_newest_version) {
  static kv_disk d;
  char key[KV_KEY_MAX], val[KV_VAL_MAX];
  kv_disk_init(&d, KV_PRIMARY);
  for (int i = 0; i < KV_MAX_KEYS; i++) {
    snprintf(key, sizeof key, "key%d", i * 7919);
    snprintf(val, sizeof val, "v%d", i);
    ck_assert_int_eq(kv_disk_put(&d, key, val, 10), 1);
  }
  ck_assert_uint_eq(d.nkeys, KV_MAX_KEYS);
  ck_assert_int_eq(kv_disk_put(&d, "one-more", "x", 10), JNET_ENOSPC);
  for (int i = 0; i < KV_MAX_KEYS; i++) {
    snprintf(key, sizeof key, "key%d", i * 7919);
    snprintf(val, sizeof val, "v%d", i);
    const kv_entry *e = kv_disk_get(&d, key);
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->key, key);
    ck_assert_str_eq(e->val, val);
  }
  ck_assert_ptr_null(kv_disk_get(&d, "key1"));
  ck_assert_int_eq(kv_disk_put(&d, "key0", "older", 9), 0);
  ck_assert_int_eq(kv_disk_put(&d, "key0", "same", 10), 0);
  ck_assert_str_eq(kv_disk_get(&d, "key0")->val, "v0");
  ck_assert_int_eq(kv_disk_put(&d, "key0", "newer", 11), 1);
  ck_assert_str_eq(kv_disk_get(&d, "key0")->val, "newer");
  ck_assert_uint_eq(d.nkeys, KV_MAX_KEYS);
  kv_disk_init(&d, KV_BACKUP); /* a fresh disk forgets them all */
  ck_assert_ptr_null(kv_disk_get(&d, "key0"));
  ck_assert_int_eq(kv_disk_put(&d, "key0", "again", 1), 1);
  ck_assert_uint_eq(d.nkeys, 1);
}
END_TEST

/* The line builder: what snprintf("%s%s...") and "%llu" would write, cut
 * at the buffer's end. */
START_TEST(join_and_u64_write_what_snprintf_would) {
  char buf[16], n1[21], n2[21];
  ck_assert_uint_eq(kv_join(buf, sizeof buf, "FWD ", kv_u64(n1, 0), " ",
                            kv_u64(n2, 4294967296ull), NULL),
                    16 - 1);
  ck_assert_str_eq(buf, "FWD 0 429496729");
  ck_assert_str_eq(kv_u64(n1, UINT64_MAX), "18446744073709551615");
  ck_assert_str_eq(kv_u64(n1, 907), "907");
  ck_assert_uint_eq(kv_join(buf, sizeof buf, "GET ", "k1", NULL), 6);
  ck_assert_str_eq(buf, "GET k1");
  ck_assert_uint_eq(kv_join(buf, 1, "x", NULL), 0);
  ck_assert_str_eq(buf, "");
  ck_assert_uint_eq(kv_join(buf, sizeof buf, NULL), 0);
  ck_assert_str_eq(buf, "");
}
END_TEST

static Suite *kv_sim_suite(void) {
  Suite *s = suite_create("protocols-kv-sim");
  jc_defaults(60, NULL, NULL);
  JC_TEST(s, no_faults_every_write_acked_and_on_both_disks);
  JC_TEST(s, primary_crash_fails_over_and_old_primary_rejoins_as_backup);
  JC_TEST(s, partition_between_servers_loses_no_acked_write);
  JC_TEST(s, ack_before_replicate_loses_writes_the_correct_one_does_not);
  JC_TEST(s, same_seed_same_fingerprint_and_result);
  JC_TEST(s, scenario_timeline_correct_passes_all_buggy_fails_some);
  JC_TEST(s, store_finds_every_key_and_keeps_the_newest_version);
  JC_TEST(s, join_and_u64_write_what_snprintf_would);
  return s;
}

int main(void) {
  return jc_run(kv_sim_suite());
}
