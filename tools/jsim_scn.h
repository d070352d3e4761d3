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
#define JSIM_MAX_CHOICES 16 /* hosts in a choice a|b|... */

/* ---- A parsed scenario ---------------------------------------------------- */

typedef struct jsim_host {
  char name[JSIM_NAME_MAX];
  int naddrs;
  char addrs[JSIM_MAX_ADDRS][48];
  char tcp_cc[16]; /* `tcp cubic|newreno`; empty: the sim's default */
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
  double hi;    /* swarm: a range value..hi (ranged), else hi == value */
  int ranged;
  char text[40]; /* the value as written: "5ms", "1ms..50ms", "normal" */
} jsim_linkopt;

typedef struct jsim_link {
  int a, b; /* host indexes; a == -1: the default link */
  int oneway;
  int nopts;
  jsim_linkopt opts[16];
  uint64_t key; /* swarm: the line's own PRNG stream */
} jsim_link;

typedef struct jsim_arg {
  char *key, *value;
  int ranged; /* swarm: value is "lo..hi", an integer drawn per seed */
  long long lo, hi;
} jsim_arg;

typedef struct jsim_run {
  int host;                 /* index in hosts */
  const jnet_program *prog; /* from the registered list */
  int nargs;
  jsim_arg *args;
  uint64_t key; /* swarm: the line's own PRNG stream */
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
  /* swarm: the time is drawn from at_ns..at_hi; maybe < 1: the line
   * happens with that probability; key: the line's own PRNG stream */
  uint64_t at_hi;
  double maybe;
  uint64_t key;
  int nca, ncb; /* swarm: choices `a|b` for the hosts (0: a, b fixed) */
  int ca[JSIM_MAX_CHOICES], cb[JSIM_MAX_CHOICES];
  char at_text[40];    /* the time as written */
  char maybe_text[24]; /* "30%" or "" */
} jsim_event;

/* swarm: `faults N..M of KINDS between T1..T2 [on HOSTS]` draws a fault
 * schedule per seed; each fault starts at a time in T1..T2 and is undone
 * (heal, unclog, restart, the link's own values) at a later one. */
enum { JSIM_GEN_PARTITION, JSIM_GEN_CLOG, JSIM_GEN_CRASH, JSIM_GEN_SET_LINK };
typedef struct jsim_gen {
  int line;
  uint64_t key;
  uint64_t nlo, nhi;   /* how many faults */
  unsigned kinds;      /* 1 << JSIM_GEN_* */
  uint64_t t_lo, t_hi; /* when */
  int nhosts;          /* the hosts drawn from (all when `on` is absent) */
  int *hosts;
} jsim_gen;

/* What an `expect` line tests. */
enum {
  JSIM_X_CHECK,    /* expect HOST PROGRAM CHECK: a reported check passed */
  JSIM_X_QUIESCENT,   /* expect quiescent: every program returned, no
                         fiber left waiting, the run not stopped by its
                         limit */
  JSIM_X_LINEARIZABLE /* expect linearizable: the run's history */
};
typedef struct jsim_expect {
  int kind; /* JSIM_X_* */
  int host;
  char prog[JSIM_NAME_MAX];
  char check[JSIM_NAME_MAX];
  int line;
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
  int has_limit;
  int ngens;
  jsim_gen *gens;
  int swarm; /* a range, a `maybe` or a `faults` line: draws per seed */
  const jnet_program *progs; /* the programs it was parsed against */
  size_t nprogs;
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

/* ---- Swarm (jsim_swarm.c) ------------------------------------------------- */

/* The scenario with every draw made for `seed`, as .scn text (a plain
 * scenario: no range, maybe or faults line left), in *text (free with
 * free()). Events not kept (keep != NULL && !keep[i], i indexing
 * s->events) are left out. drawn (may be NULL) gets the drawn lines, "; "
 * apart. 0, or -1 (out of memory). */
int jsim_write_scn(const jsim_scn *s, uint64_t seed, const unsigned char *keep,
                   char **text, char *drawn, size_t dlen);
/* Parse the drawn scenario of a swarm for `seed`; NULL with err when it
 * cannot be built. */
jsim_scn *jsim_instantiate(const jsim_scn *s, uint64_t seed, char *drawn,
                           size_t dlen, char *err, size_t errlen);
/* A time as exact .scn text: 2s, 1500ms, 250us or 17ns. */
void jsim_fmt_time(uint64_t ns, char *buf, size_t len);
/* The PRNG stream key of a line from its words (occurrence: how many
 * identical lines came before). */
uint64_t jsim_line_key(const char *text, size_t len, unsigned occurrence);

/* ---- One seed --------------------------------------------------------------- */

/* JSIM_NONDET: --check-determinism ran the seed twice and the two runs
 * differed (jsim_determinism.c). */
enum { JSIM_PASS, JSIM_FAIL, JSIM_ERROR, JSIM_TIMEOUT, JSIM_NONDET };

typedef struct jsim_result {
  uint64_t seed;
  int status; /* JSIM_* */
  int limit_reached; /* the run stopped at its `limit`, not by itself */
  uint64_t fingerprint, events;
  double virtual_s, wall_s;
  char msg[1024];
  char drawn[1024]; /* swarm: the drawn lines, "; " apart ("" if none) */
} jsim_result;

/* pass/fail/error/timeout/nondeterministic */
const char *jsim_status_name(int status);
/* The inverse; -1 for an unknown name. */
int jsim_status_of(const char *name);

typedef struct jsim_run_opts {
  const char *pcap_path;  /* NULL: no capture */
  FILE *trace;            /* NULL: no trace */
  double seed_timeout_s;  /* wall clock per seed, in the child */
  int fork;               /* run in a child process */
} jsim_run_opts;

/* Run one seed of a scenario; fills *res (never fails: errors land in it). */
void jsim_run_seed(const jsim_scn *s, uint64_t seed, const jsim_run_opts *o,
                   jsim_result *res);

/* Keep this process's fiber stacks mapped from one seed's run to the next
 * (an idle loop held until exit); for processes that run many seeds. */
void jsim_keep_stacks_warm(void);

/* Print `seed N: PASS|FAIL ... fingerprint 0x...` (and `stopped at the
 * limit` when it was). */
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
  int det_checked;      /* --check-determinism: each seed ran twice */
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
/* `jnet-sim shrink` (jsim_shrink.c) */
int jsim_shrink_main(int argc, char **argv, const jnet_program *progs,
                     size_t nprogs);
/* `jnet-sim merge` */
int jsim_merge_main(int argc, char **argv);
/* `jnet-sim sweep` */
int jsim_sweep_main(int argc, char **argv, const jnet_program *progs,
                    size_t nprogs);

/* ---- Histories (jsim_lincheck.c) ----------------------------------------------- */

struct jnet_lin_result;
struct jnet_history;
/* The base name of the history files beside a pcap (X.pcap ->
 * X.history; then .jsonl and .html). */
void jsim_history_base(const char *pcap_path, char *buf, size_t len);
/* `jnet-sim lincheck` */
int jsim_lincheck_main(int argc, char **argv);
/* A violation in one line: the key and the operations of its smallest
 * failing sub-history. */
void jsim_lin_summary(const struct jnet_lin_result *r, char *buf, size_t len);
/* Write BASE<jsonl_suffix> (the history) and BASE.html (its timeline). */
int jsim_write_history_files(const struct jnet_history *h,
                             const struct jnet_lin_result *r,
                             const char *base, const char *title,
                             const char *jsonl_suffix);

/* Where a run with no pcap writes the history files of a linearizability
 * violation (created if needed; named as the sweep names pcaps), or NULL:
 * nowhere. The sweep sets it to its --pcap-dir. */
extern const char *jsim_history_dir;
/* Where a run writes its whole history, violation or not (`run
 * --history F`), or NULL. */
extern const char *jsim_history_out;
/* ---- Determinism check (jsim_determinism.c) ------------------------------ */

/* A partner: this very runner exec'd afresh (its own address-space layout,
 * process id and clock) serving seeds of one scenario over a pipe. */
typedef struct jsim_partner {
  int pid, to, from; /* pid 0: not started */
  int inline_runs;   /* 1: it runs seeds in itself, not in a child each */
} jsim_partner;

/* Run seed twice — with o here and in the partner (started on first use)
 * — and compare. On equal fingerprints *res is the first run's result; on
 * a mismatch it is JSIM_NONDET with the first trace line where the runs
 * part (both versions, event number and virtual time). 0; -1 if the
 * partner died or could not start (*res: JSIM_ERROR saying so): an inline
 * partner's caller runs the seed again with a forking one. */
int jsim_run_checked(const jsim_scn *s, uint64_t seed, const jsim_run_opts *o,
                      jsim_partner *p, jsim_result *res);
void jsim_partner_stop(jsim_partner *p);
/* `jnet-sim __partner FILE TIMEOUT_S` (internal) */
int jsim_partner_main(int argc, char **argv, const jnet_program *progs,
                      size_t nprogs);

/* The runner's own path (argv[0] of jnet_scenario_main), for replay
 * commands. */
extern const char *jsim_argv0;

#endif /* JSIM_SCN_H */
