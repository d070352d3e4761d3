/* jsim_scn.h — the runner's private header: a parsed scenario, one seed's
 * result, sharding, and the pieces of the jnet-sim command.
 *
 * A scenario file (scenarios/README.md) parses into a jsim_scn: hosts,
 * links, programs to run, a timeline of faults, limits and expectations.
 * The runner (jsim_runner.c) turns it plus a seed into a jsim_result; the
 * sweep (jsim_sweep.c) runs many seeds in worker processes; jsim_report.c
 * writes and reads JSON Lines and JUnit; jsim_cli.c is the command line.
 */
#ifndef JSIM_SCN_H
#define JSIM_SCN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jnet/jnet_scenario.h>
#include <jnet/jnet_sim.h>

#define JSIM_MAX_ADDRS 4
#define JSIM_NAME_MAX 64

/* ---- A parsed scenario ---------------------------------------------------- */

typedef struct jsim_host {
  char name[JSIM_NAME_MAX];
  int naddrs;
  char addrs[JSIM_MAX_ADDRS][48];
} jsim_host;

/* One link option (`loss 0.5%`), applied on top of a jnet_link_params. */
enum {
  JSIM_OPT_LATENCY, JSIM_OPT_JITTER, JSIM_OPT_DIST, JSIM_OPT_LOSS,
  JSIM_OPT_DUP, JSIM_OPT_REORDER, JSIM_OPT_REORDER_BY, JSIM_OPT_CORRUPT,
  JSIM_OPT_BANDWIDTH, JSIM_OPT_QUEUE, JSIM_OPT_MTU, JSIM_OPT_GE_P,
  JSIM_OPT_GE_R, JSIM_OPT_GE_LOSS
};
typedef struct jsim_linkopt {
  int what;     /* JSIM_OPT_* */
  double value; /* nanoseconds, probability [0,1], bytes, bits/s, enum */
} jsim_linkopt;

typedef struct jsim_link {
  int a, b; /* host indexes; a == -1: the default link */
  int oneway;
  int nopts;
  jsim_linkopt opts[16];
} jsim_link;

typedef struct jsim_arg {
  char *key, *value;
} jsim_arg;

typedef struct jsim_run {
  int host;                 /* index in hosts */
  const jnet_program *prog; /* from the registered list */
  int nargs;
  jsim_arg *args;
} jsim_run;

enum {
  JSIM_EV_PARTITION, JSIM_EV_PARTITION_GROUPS, JSIM_EV_HEAL, JSIM_EV_HEAL_ALL,
  JSIM_EV_CLOG, JSIM_EV_UNCLOG, JSIM_EV_SET_LINK, JSIM_EV_CRASH,
  JSIM_EV_RESTART
};
typedef struct jsim_event {
  uint64_t at_ns;
  int kind; /* JSIM_EV_* */
  int a, b; /* hosts */
  int oneway;
  int nga, ngb; /* groups: host indexes */
  int *ga, *gb;
  jsim_link link; /* JSIM_EV_SET_LINK */
  int line;
} jsim_event;

typedef struct jsim_expect {
  int host;
  char prog[JSIM_NAME_MAX];
  char check[JSIM_NAME_MAX];
} jsim_expect;

typedef struct jsim_scn {
  char *path;
  int has_seeds;
  uint64_t seed_lo, seed_hi;
  int nhosts, nlinks, nruns, nevents, nexpects;
  jsim_host *hosts;
  jsim_link *links;
  jsim_run *runs;
  jsim_event *events; /* sorted by time, stable */
  jsim_expect *expects;
  uint64_t limit_ns, limit_events;
} jsim_scn;

/* Parse `path` against the registered programs. 0, or -1 with a message
 * `FILE:LINE:COL: error: ...` in err. */
int jsim_parse_file(const char *path, const jnet_program *progs, size_t n,
                    jsim_scn **out, char *err, size_t errlen);
/* The same over text in memory (path names it in messages). */
int jsim_parse_text(const char *path, const char *text,
                    const jnet_program *progs, size_t n, jsim_scn **out,
                    char *err, size_t errlen);
void jsim_scn_free(jsim_scn *s);

/* Parse `A..B` (0 <= A <= B < 2^63) or a single `N`. 0 or -1. */
int jsim_parse_range(const char *s, uint64_t *lo, uint64_t *hi);
/* Parse a duration such as 30s, 1500ms, 2m into nanoseconds. 0 or -1. */
int jsim_parse_duration(const char *s, uint64_t *out_ns);

/* ---- One seed --------------------------------------------------------------- */

enum { JSIM_PASS, JSIM_FAIL, JSIM_ERROR, JSIM_TIMEOUT };

typedef struct jsim_result {
  uint64_t seed;
  int status; /* JSIM_* */
  uint64_t fingerprint, events;
  double virtual_s, wall_s;
  char msg[400];
} jsim_result;

const char *jsim_status_name(int status); /* pass/fail/error/timeout */

typedef struct jsim_run_opts {
  const char *pcap_path;  /* NULL: no capture */
  FILE *trace;            /* NULL: no trace */
  double seed_timeout_s;  /* wall clock per seed, in the child */
  int fork;               /* run in a child process */
} jsim_run_opts;

/* Run one seed of a scenario; fills *res (never fails: errors land in it). */
void jsim_run_seed(const jsim_scn *s, uint64_t seed, const jsim_run_opts *o,
                   jsim_result *res);

/* Print `seed N: PASS|FAIL ... fingerprint 0x...` */
void jsim_print_result(FILE *f, const jsim_result *r);

/* ---- Shards ------------------------------------------------------------------ */

/* Seeds of shard k (1-based) of n over lo..hi: how many, and the i-th. */
uint64_t jsim_shard_count(uint64_t lo, uint64_t hi, uint64_t k, uint64_t n);
uint64_t jsim_shard_seed(uint64_t lo, uint64_t k, uint64_t n, uint64_t i);
/* Parse `K/N` with 1 <= K <= N. 0 or -1. */
int jsim_parse_shard(const char *s, uint64_t *k, uint64_t *n);

/* ---- Reports ------------------------------------------------------------------ */

/* Everything a summary, a JSON file or a JUnit file needs. */
typedef struct jsim_report {
  const char *scenario; /* the path as given */
  uint64_t lo, hi;      /* the whole range */
  uint64_t shard_k, shard_n;
  uint64_t planned;     /* seeds in this shard (or in the merge) */
  size_t nres;
  jsim_result *res;     /* sorted by seed */
  double wall_s;        /* of the sweep */
  const char *argv0;    /* for replay commands */
  const char *pcap_dir;
  char **pcaps;         /* per result: the pcap written, or NULL */
} jsim_report;

void jsim_replay_cmd(const jsim_report *rp, uint64_t seed, char *buf,
                     size_t len);
void jsim_pcap_name(const jsim_report *rp, uint64_t seed, char *buf,
                    size_t len);
/* The summary table, failing seeds and replay commands. */
void jsim_print_summary(FILE *f, const jsim_report *rp);
/* Write JSON Lines / JUnit atomically (temp name, then rename). 0 or -1. */
int jsim_write_json(const char *path, const jsim_report *rp);
int jsim_write_junit(const char *path, const jsim_report *rp);
/* `jnet-sim merge` */
int jsim_merge_main(int argc, char **argv);
/* `jnet-sim sweep` */
int jsim_sweep_main(int argc, char **argv, const jnet_program *progs,
                    size_t nprogs);

/* The runner's own path (argv[0] of jnet_scenario_main), for replay
 * commands. */
extern const char *jsim_argv0;

#endif /* JSIM_SCN_H */
