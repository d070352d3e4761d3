/* kv-client.c — the example kv store's workload and checker on real sockets.
 *
 *   build/examples/kv-client [HOST] [PORT] [OPS] [--quit]
 *
 * Writes OPS keys (default 100) to the kv-server at HOST:PORT (default
 * 127.0.0.1 7000), reads every acknowledged one back and says whether all
 * of them were there: the same check the kv-replication scenarios make on
 * the simulated network (scenarios/kv_client.c). --quit stops the server
 * afterwards. Exit status 0 when the check holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jnet/jnet.h>
#include "kv.h"

typedef struct {
  kv_client_config cfg;
  kv_client_result res;
  int err;
} client_args;

static void run(void *arg) {
  client_args *a = arg;
  a->err = kv_client_run(&a->cfg, &a->res);
}

int main(int argc, char **argv) {
  client_args a;
  int pos = 0;
  memset(&a, 0, sizeof a);
  kv_client_config_default(&a.cfg);
  a.cfg.quit_servers = 0;
  a.cfg.write_budget_s = 1.0;
  a.cfg.read_budget_s = 5.0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quit") == 0)
      a.cfg.quit_servers = 1;
    else if (pos == 0 && ++pos)
      a.cfg.servers[0] = argv[i];
    else if (pos == 1 && ++pos)
      a.cfg.port = argv[i];
    else if (pos == 2 && ++pos)
      a.cfg.ops = atoi(argv[i]);
    else {
      fprintf(stderr, "usage: kv-client [HOST] [PORT] [OPS] [--quit]\n");
      return 2;
    }
  }
  const jnet_backend *b = jnet_backend_uv();
  jnet_loop *l;
  if (b == NULL || jnet_loop_new(&l, b) < 0) {
    fprintf(stderr, "kv-client: cannot create the loop\n");
    return 1;
  }
  jnet_go(l, run, &a);
  int err = jnet_run(l);
  jnet_loop_free(l);
  jnet_backend_free(b);
  if (a.err < 0 || err < 0) {
    fprintf(stderr, "kv-client: %s\n", jnet_strerror(a.err < 0 ? a.err : err));
    return 1;
  }
  printf("kv-client: %d acknowledged, %d given up, %d retries: %s%s\n",
         a.res.acked, a.res.unacked, a.res.retries,
         a.res.ok ? "all read back" : "FAILED: ", a.res.ok ? "" : a.res.msg);
  return a.res.ok && a.res.acked == a.cfg.ops ? 0 : 1;
}
