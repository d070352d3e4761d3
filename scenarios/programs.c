/* programs.c — the table of example programs, and the kv programs' arguments.
 *
 * Each program turns its `key=value` arguments into a kv_server_config or a
 * kv_client_config and runs the protocol code of kv_server.c/kv_client.c,
 * the same code examples/kv-server.c runs on real sockets. Times are
 * integers in milliseconds (`hb_ms=20`).
 */
#include <math.h>
#include <string.h>

#include "kv.h"
#include "programs.h"

static double arg_s(jnet_prog_ctx *ctx, const char *key, double def_s) {
  return (double)jnet_prog_arg_int(ctx, key, (long long)(def_s * 1000)) /
         1000.0;
}

/* kv-server role=primary|backup peer=HOST [port=7000] [listen=HOST]
 *   [hb_ms=20] [failover_ms=200] [rpc_ms=50] [idle_ms=2000] [stop_ms=20000] */
static void kv_server_prog(jnet_prog_ctx *ctx, int buggy) {
  kv_server_config cfg;
  kv_server_config_default(&cfg);
  const char *role = jnet_prog_arg(ctx, "role", "primary");
  cfg.role = strcmp(role, "backup") == 0 ? KV_BACKUP : KV_PRIMARY;
  cfg.peer = jnet_prog_arg(ctx, "peer", NULL);
  cfg.port = jnet_prog_arg(ctx, "port", "7000");
  cfg.host = jnet_prog_arg(ctx, "listen", jnet_prog_host(ctx));
  cfg.hb_interval_s = arg_s(ctx, "hb_ms", cfg.hb_interval_s);
  cfg.failover_s = arg_s(ctx, "failover_ms", cfg.failover_s);
  cfg.rpc_timeout_s = arg_s(ctx, "rpc_ms", cfg.rpc_timeout_s);
  cfg.idle_timeout_s = arg_s(ctx, "idle_ms", cfg.idle_timeout_s);
  cfg.stop_at_s = arg_s(ctx, "stop_ms", 20.0);
  cfg.ack_before_replicate = buggy;
  kv_disk *disk = jnet_prog_disk(ctx, sizeof *disk);
  int rc = disk != NULL ? kv_server_run(&cfg, disk) : JNET_ENOMEM;
  if (rc < 0 && rc != JNET_ECANCELED)
    jnet_prog_check(ctx, "started", 0, "kv-server: %s", jnet_strerror(rc));
}

static void kv_server_main(jnet_prog_ctx *ctx) { kv_server_prog(ctx, 0); }
static void kv_server_buggy_main(jnet_prog_ctx *ctx) { kv_server_prog(ctx, 1); }

/* kv-client primary=HOST backup=HOST [ops=100] [port=7000] [op_ms=200]
 *   [write_ms=2000] [read_ms=10000] [jitter_ms=20] [quit=1]
 * Reports check `ok` (every acknowledged write read back) and `progress`
 * (at least one write acknowledged). */
static void kv_client_main(jnet_prog_ctx *ctx) {
  kv_client_config cfg;
  kv_client_result res;
  kv_client_config_default(&cfg);
  cfg.servers[0] = jnet_prog_arg(ctx, "primary", "primary");
  cfg.servers[1] = jnet_prog_arg(ctx, "backup", NULL);
  cfg.port = jnet_prog_arg(ctx, "port", "7000");
  cfg.ops = (int)jnet_prog_arg_int(ctx, "ops", cfg.ops);
  cfg.op_timeout_s = arg_s(ctx, "op_ms", cfg.op_timeout_s);
  cfg.write_budget_s = arg_s(ctx, "write_ms", cfg.write_budget_s);
  cfg.read_budget_s = arg_s(ctx, "read_ms", cfg.read_budget_s);
  cfg.quit_servers = (int)jnet_prog_arg_int(ctx, "quit", 1);
  cfg.history = jnet_prog_history(ctx); /* for `expect linearizable` */
  /* Start at a random moment so that the seed moves the writes relative
   * to the faults on the scenario's timeline. */
  long long jitter_us = jnet_prog_arg_int(ctx, "jitter_ms", 20) * 1000;
  if (jitter_us > 0 &&
      jnet_sleep((double)(jnet_random() % (uint64_t)jitter_us) * 1e-6) < 0)
    return;
  if (cfg.ops < 0 || cfg.ops > KV_MAX_KEYS) {
    jnet_prog_check(ctx, "ok", 0, "ops=%d out of range 0..%d", cfg.ops,
                    KV_MAX_KEYS);
    return;
  }
  int rc = kv_client_run(&cfg, &res);
  if (rc < 0) {
    jnet_prog_check(ctx, "ok", 0, "kv-client: %s", jnet_strerror(rc));
    return;
  }
  if (res.cancelled) /* our host crashed: report after the restart */
    return;
  jnet_prog_check(ctx, "ok", res.ok, "%s (%d acknowledged, %d given up)",
                  res.msg, res.acked, res.unacked);
  jnet_prog_check(ctx, "progress", res.acked > 0,
                  "no write acknowledged (%d given up, %d retries)",
                  res.unacked, res.retries);
}

const jnet_program jnet_example_programs[] = {
    {"kv-server", kv_server_main,
     "primary-backup kv server: role=primary|backup peer=HOST port=7000"},
    {"kv-server-buggy", kv_server_buggy_main,
     "kv-server that acknowledges a write before replicating it (bug)"},
    {"kv-client", kv_client_main,
     "writes ops=N keys, reads them back; checks ok, progress"},
    {"hb-node", jnet_example_hb_node,
     "UDP heartbeats to peers=A,B,..; suspects a peer after timeout_ms"},
    {"hb-monitor", jnet_example_hb_monitor,
     "failure detector over nodes=A,B,..; checks ok (crashed= detected)"},
};

const size_t jnet_example_nprograms =
    sizeof jnet_example_programs / sizeof jnet_example_programs[0];
