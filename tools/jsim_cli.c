/* jsim_cli.c — jnet_scenario_main: the `jnet-sim` command line.
 *
 *   run FILE --seed N [--pcap F] [--trace F|-]   one seed, one line
 *   sweep FILE --seeds A..B [-j N] ...           many seeds (jsim_sweep.c)
 *   merge FILE.jsonl...                          join shards (jsim_merge.c)
 *   shrink FILE --seed N                         minimise (jsim_shrink.c)
 *   check FILE                                   parse only
 *   lincheck FILE                                check a history
 *   programs                                     the registered programs
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsim_scn.h"

static void main_usage(FILE *f) {
  fprintf(f,
          "usage: jnet-sim COMMAND [ARGS]   (COMMAND --help for more)\n"
          "  run FILE --seed N [--pcap F] [--trace F|-]  run one seed\n"
          "  sweep FILE [--seeds A..B] [-j N] [--shard K/N] [--json F]\n"
          "        [--junit F] [--pcap-dir DIR] [--max-wall DUR]  many seeds\n"
          "  (run and sweep: --check-determinism runs each seed twice)\n"
          "  shrink FILE --seed N [--max-runs N]  the smallest scenario that\n"
          "                                    still fails (FILE.min.scn)\n"
          "  merge [--junit F] FILE.jsonl...   join the shards of a sweep\n"
          "  check FILE                        parse a scenario, run nothing\n"
          "  lincheck FILE                     check a history (JSON Lines) "
          "for\n                                    linearizability\n"
          "  programs                          list the registered programs\n"
          "The scenario language: scenarios/README.md.\n"
          "Exit: 0 expectations held, 1 one failed, 2 usage or scenario "
          "error.\n");
}

static void run_usage(FILE *f) {
  fprintf(f,
          "usage: jnet-sim run FILE [--seed N] [--pcap F] [--trace F|-]\n"
          "         [--seed-timeout DUR] [--no-fork] [--check-determinism]\n"
          "Run one seed (default: the first of the file's `seed` line) and\n"
          "print one line: PASS or FAIL, the reason, events, virtual and\n"
          "wall time and the run's fingerprint. The same seed replays the\n"
          "same run: same fingerprint, same pcap bytes.\n"
          "  --pcap F    capture every packet (open with wireshark or tshark)\n"
          "  --history F write the operations the programs recorded (JSON\n"
          "              Lines; check with `jnet-sim lincheck F`)\n"
          "  --trace F   one line per event to F (- for stdout)\n"
          "  --check-determinism  run the seed a second time in a fresh\n"
          "              process; differing runs are NONDETERMINISTIC, with\n"
          "              the first trace event where they part\n"
          "Exit: 0 pass, 1 fail, 2 usage or scenario error.\n");
}


/* Whether the run's error is the capture's own (it could not be opened or
 * written): then no pcap is claimed, even where a file of that name exists
 * (/dev/full, or one left by an earlier run). */
static int pcap_failed(const jsim_result *r, const char *pcap) {
  char open_err[1100], write_err[1100];
  snprintf(open_err, sizeof open_err, "setting up the run (%s): ", pcap);
  snprintf(write_err, sizeof write_err, "writing %s: ", pcap);
  return r->status == JSIM_ERROR &&
         (strncmp(r->msg, open_err, strlen(open_err)) == 0 ||
          strncmp(r->msg, write_err, strlen(write_err)) == 0);
}

static int cmd_run(int argc, char **argv, const jnet_program *progs,
                   size_t nprogs) {
  static const struct option longopts[] = {
      {"seed", required_argument, NULL, 's'},
      {"pcap", required_argument, NULL, 'p'},
      {"trace", required_argument, NULL, 't'},
      {"seed-timeout", required_argument, NULL, 'T'},
      {"no-fork", no_argument, NULL, 'n'},
      {"history", required_argument, NULL, 'H'},
      {"check-determinism", no_argument, NULL, 'D'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *seed_s = NULL, *pcap = NULL, *trace = NULL;
  uint64_t timeout_ns = 300 * JNET_SIM_S;
  int dofork = 1, check = 0, c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (c) {
    case 's': seed_s = optarg; break;
    case 'p': pcap = optarg; break;
    case 't': trace = optarg; break;
    case 'T':
      if (jsim_parse_duration(optarg, &timeout_ns) < 0) {
        fprintf(stderr, "jnet-sim run: --seed-timeout: expected a duration "
                        "such as 30s, got '%s'\n", optarg);
        return 2;
      }
      break;
    case 'n': dofork = 0; break;
    case 'H': jsim_history_out = optarg; break;
    case 'D': check = 1; break;
    case 'h': run_usage(stdout); return 0;
    default: run_usage(stderr); return 2;
    }
  }
  if (optind + 1 != argc) {
    run_usage(stderr);
    return 2;
  }
  char err[512];
  jsim_scn *s;
  if (jsim_parse_file(argv[optind], progs, nprogs, &s, err, sizeof err) < 0) {
    fprintf(stderr, "%s\n", err);
    return 2;
  }
  uint64_t seed = s->seed_lo, hi;
  if (seed_s != NULL && (jsim_parse_range(seed_s, &seed, &hi) < 0 ||
                         hi != seed)) {
    fprintf(stderr, "jnet-sim run: --seed: expected a number from 0 to "
                    "2^63-1, got '%s'\n", seed_s);
    jsim_scn_free(s);
    return 2;
  }
  FILE *tf = NULL;
  if (trace != NULL) {
    tf = strcmp(trace, "-") == 0 ? stdout : fopen(trace, "w");
    if (tf == NULL) {
      fprintf(stderr, "jnet-sim run: cannot write %s: %s\n", trace,
              strerror(errno));
      jsim_scn_free(s);
      return 2;
    }
  }
  jsim_run_opts o = {pcap, tf, (double)timeout_ns * 1e-9, dofork};
  jsim_result r;
  if (check) {
    jsim_partner partner = {0, -1, -1, 0};
    jsim_run_checked(s, seed, &o, &partner, &r);
    jsim_partner_stop(&partner);
  } else {
    jsim_run_seed(s, seed, &o, &r);
  }
  if (tf != NULL && tf != stdout)
    fclose(tf);
  jsim_print_result(stdout, &r);
  if (pcap != NULL && r.status != JSIM_TIMEOUT && !pcap_failed(&r, pcap) &&
      access(pcap, F_OK) == 0)
    printf("pcap written: %s (open: wireshark %s, or tshark -r %s -z "
           "conv,tcp -q)\n", pcap, pcap, pcap);
  if (pcap != NULL && r.status != JSIM_PASS) {
    char base[1024], hist[1100];
    jsim_history_base(pcap, base, sizeof base);
    snprintf(hist, sizeof hist, "%s.jsonl", base);
    if (access(hist, F_OK) == 0)
      printf("history written: %s and %s.html (jnet-sim lincheck %s)\n",
             hist, base, hist);
  }
  jsim_scn_free(s);
  if (r.status == JSIM_PASS)
    return 0;
  return 1;
}

static int cmd_check(int argc, char **argv, const jnet_program *progs,
                     size_t nprogs) {
  if (argc != 2 || strcmp(argv[1], "--help") == 0) {
    fprintf(argc == 2 ? stdout : stderr,
            "usage: jnet-sim check FILE\nParse a scenario and report its "
            "first error (FILE:LINE:COL); run nothing.\n");
    return argc == 2 ? 0 : 2;
  }
  char err[512];
  jsim_scn *s;
  if (jsim_parse_file(argv[1], progs, nprogs, &s, err, sizeof err) < 0) {
    fprintf(stderr, "%s\n", err);
    return 2;
  }
  printf("%s: ok: %d hosts, %d links, %d programs, %d timed events, %d "
         "expectations, seeds %llu..%llu\n",
         argv[1], s->nhosts, s->nlinks, s->nruns, s->nevents, s->nexpects,
         (unsigned long long)s->seed_lo, (unsigned long long)s->seed_hi);
  jsim_scn_free(s);
  return 0;
}

static int cmd_programs(int argc, char **argv, const jnet_program *progs,
                        size_t nprogs) {
  if (argc > 1) {
    int help = strcmp(argv[1], "--help") == 0;
    fprintf(help ? stdout : stderr,
            "usage: jnet-sim programs\nList the programs a scenario's "
            "`run` lines may name.\n");
    return help ? 0 : 2;
  }
  if (nprogs == 0)
    printf("(no programs registered)\n"
           "This runner has no programs built in. Link your own into a "
           "runner of\nyour own with jnet_scenario_main() "
           "(<jnet/jnet_scenario.h>, jnet-sim(1));\njnet-examples runs "
           "jnet's example programs.\n");
  for (size_t i = 0; i < nprogs; i++)
    printf("%-20s %s\n", progs[i].name, progs[i].help ? progs[i].help : "");
  return 0;
}

const char *jsim_argv0 = "jnet-sim";

int jnet_scenario_main(int argc, char **argv, const jnet_program *progs,
                       size_t nprogs) {
  if (argc > 0 && argv[0] != NULL)
    jsim_argv0 = argv[0]; /* replay commands name this very runner */
  if (argc < 2) {
    main_usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  /* Subcommands see argv[0] = the command word. */
  if (strcmp(cmd, "run") == 0)
    return cmd_run(argc - 1, argv + 1, progs, nprogs);
  if (strcmp(cmd, "sweep") == 0)
    return jsim_sweep_main(argc - 1, argv + 1, progs, nprogs);
  if (strcmp(cmd, "merge") == 0)
    return jsim_merge_main(argc - 1, argv + 1);
  if (strcmp(cmd, "check") == 0)
    return cmd_check(argc - 1, argv + 1, progs, nprogs);
  if (strcmp(cmd, "lincheck") == 0)
    return jsim_lincheck_main(argc - 1, argv + 1);
  if (strcmp(cmd, "programs") == 0)
    return cmd_programs(argc - 1, argv + 1, progs, nprogs);
  if (strcmp(cmd, "shrink") == 0)
    return jsim_shrink_main(argc - 1, argv + 1, progs, nprogs);
  if (strcmp(cmd, "__partner") == 0) /* --check-determinism's second run */
    return jsim_partner_main(argc - 1, argv + 1, progs, nprogs);
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
      strcmp(cmd, "help") == 0) {
    main_usage(stdout);
    return 0;
  }
  fprintf(stderr, "jnet-sim: unknown command '%s'\n", cmd);
  main_usage(stderr);
  return 2;
}
