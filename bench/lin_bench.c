/* lin_bench.c — the linearizability checker's speed: lin_check_ops_per_s.
 *
 *   lin_bench [--ops N] [--procs P] [--keys K] [--trials T]
 *
 * Builds a linearizable history of a kv store (default 10,000 operations
 * from 5 processes over 8 keys, 3% of them info; tests/history/histgen.h)
 * and checks it T times (default 5); prints the median operations checked
 * per second, and the same for all operations on one key (the worst case
 * for the search: one register, no splitting by key). The checker is one
 * thread with no I/O, so the time is this process's CPU time: on a shared
 * machine, wall time would measure the neighbours.
 */
#include <getopt.h>

#include "bench_util.h"
#include "histgen.h"
#include <jnet/jnet.h>
#include <jnet/jnet_history.h>

static double ops_per_s(int nops, int procs, int keys, int trials) {
  jnet_history *h;
  if (jnet_history_new(&h) < 0 || hg_generate(h, 1, nops, procs, keys, 3) < 0)
    return -1;
  double *v = calloc((size_t)trials, sizeof *v);
  for (int t = 0; t < trials; t++) {
    jnet_lin_result r;
    double t0 = bench_cpu_s();
    int rc = jnet_history_check(h, &r);
    double dt = bench_cpu_s() - t0;
    jnet_lin_result_free(&r);
    if (rc != 1) {
      fprintf(stderr, "lin_bench: the generated history checked %d\n", rc);
      exit(1);
    }
    v[t] = (double)nops / dt;
  }
  double m = bench_median(v, (size_t)trials);
  free(v);
  jnet_history_free(h);
  return m;
}

int main(int argc, char **argv) {
  static const struct option longopts[] = {
      {"ops", required_argument, NULL, 'n'},
      {"procs", required_argument, NULL, 'p'},
      {"keys", required_argument, NULL, 'k'},
      {"trials", required_argument, NULL, 't'},
      {NULL, 0, NULL, 0}};
  int nops = 10000, procs = 5, keys = 8, trials = 5, c;
  while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    int v = atoi(optarg);
    if (v <= 0) {
      fprintf(stderr, "lin_bench: expected a positive number\n");
      return 2;
    }
    switch (c) {
    case 'n':
      nops = v;
      break;
    case 'p':
      procs = v;
      break;
    case 'k':
      keys = v;
      break;
    case 't':
      trials = v;
      break;
    default:
      return 2;
    }
  }
  bench_result("lin_check_ops_per_s", ops_per_s(nops, procs, keys, trials),
               "ops/s");
  bench_result("lin_check_1key_ops_per_s", ops_per_s(nops, procs, 1, trials),
               "ops/s");
  return 0;
}
