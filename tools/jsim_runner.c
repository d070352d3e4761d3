/* jsim_runner.c — run one seed of a scenario, and the jnet_prog_* API.
 *
 * A run builds the network (hosts, links), schedules the `at` lines with
 * jnet_sim_at, registers each `run` line as its host's main (so a restart
 * runs it again), runs the loop to the end or a limit, then tests the
 * `expect` lines against the checks the programs reported. With o->fork
 * the run happens in a child process under a wall-clock alarm, so a
 * program that crashes or spins becomes this seed's failure, not ours.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jnet/jnet.h>
#include "jnet_alloc.h"
#include <jnet/jnet_history.h>
#include "jsim_scn.h"

typedef struct check {
  char name[JSIM_NAME_MAX];
  int ok;
  char msg[300];
} check;

struct jnet_prog_ctx {
  const jsim_scn *scn;
  const jsim_run *run;
  struct runstate *rs;
  int starts;
  int restarts;
  int running; /* inside its function (not returned since its last start) */
  int nchecks;
  check checks[16];
  void *disk;
  size_t disk_size;
};

typedef struct runstate {
  const jsim_scn *scn;
  jnet_sim *sim;
  jnet_node **nodes;
  jnet_prog_ctx *ctxs;
  char error[300]; /* an error of the run (bad argument, fault failed) */
  jnet_history *hist;    /* the operations programs recorded, or NULL */
  const char *pcap_path; /* a violation's history files go beside it */
  const char *history_dir; /* ... or in here */
  uint64_t seed;
  jnet_link_params defaults; /* the `link default` parameters so far */
} runstate;

typedef struct at_arg {
  runstate *rs;
  const jsim_event *ev;
} at_arg;

const char *jsim_status_name(int status) {
  switch (status) {
  case JSIM_PASS: return "pass";
  case JSIM_FAIL: return "fail";
  case JSIM_TIMEOUT: return "timeout";
  case JSIM_NONDET: return "nondeterministic";
  default: return "error";
  }
}

int jsim_status_of(const char *name) {
  static const int all[] = {JSIM_PASS, JSIM_FAIL, JSIM_ERROR, JSIM_TIMEOUT,
                            JSIM_NONDET};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    if (strcmp(name, jsim_status_name(all[i])) == 0)
      return all[i];
  return -1;
}

static double wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- jnet_prog_* ------------------------------------------------------------ */

const char *jnet_prog_arg(jnet_prog_ctx *ctx, const char *key,
                          const char *def) {
  for (int i = ctx->run->nargs - 1; i >= 0; i--)
    if (strcmp(ctx->run->args[i].key, key) == 0)
      return ctx->run->args[i].value;
  return def;
}

long long jnet_prog_arg_int(jnet_prog_ctx *ctx, const char *key,
                            long long def) {
  const char *v = jnet_prog_arg(ctx, key, NULL);
  if (v == NULL)
    return def;
  char *end;
  errno = 0;
  long long n = strtoll(v, &end, 10);
  if (errno != 0 || end == v || *end != 0) {
    if (ctx->rs->error[0] == 0)
      snprintf(ctx->rs->error, sizeof ctx->rs->error,
               "%s on %s: argument %s=%s: expected an integer",
               ctx->run->prog->name, jnet_prog_host(ctx), key, v);
    return def;
  }
  return n;
}

const char *jnet_prog_host(const jnet_prog_ctx *ctx) {
  return ctx->scn->hosts[ctx->run->host].name;
}

const char *jnet_prog_name(const jnet_prog_ctx *ctx) {
  return ctx->run->prog->name;
}

int jnet_prog_restarts(const jnet_prog_ctx *ctx) { return ctx->restarts; }

void jnet_prog_check(jnet_prog_ctx *ctx, const char *name, int ok,
                     const char *fmt, ...) {
  check *c = NULL;
  for (int i = 0; i < ctx->nchecks; i++)
    if (strcmp(ctx->checks[i].name, name) == 0)
      c = &ctx->checks[i];
  if (c != NULL && !c->ok)
    return; /* keeps its first failure */
  if (c == NULL) {
    if (ctx->nchecks == (int)(sizeof ctx->checks / sizeof ctx->checks[0]))
      return;
    c = &ctx->checks[ctx->nchecks++];
    snprintf(c->name, sizeof c->name, "%s", name);
  } else if (ok) {
    return; /* an earlier pass stands */
  }
  c->ok = ok != 0;
  c->msg[0] = 0;
  if (fmt != NULL) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
  }
}

jnet_history *jnet_prog_history(jnet_prog_ctx *ctx) {
  runstate *rs = ctx->rs;
  if (rs->hist == NULL &&
      jnet_history_new(&rs->hist) < 0 && /* LCOV_EXCL_BR_LINE: no memory */
      rs->error[0] == 0)                 /* LCOV_EXCL_BR_LINE: no memory */
    snprintf(rs->error, sizeof rs->error, "history: out of memory");
  return rs->hist;
}

void *jnet_prog_disk(jnet_prog_ctx *ctx, size_t size) {
  if (ctx->disk != NULL)
    return ctx->disk_size == size ? ctx->disk : NULL;
  ctx->disk = jnet__calloc(1, size ? size : 1);
  ctx->disk_size = size;
  return ctx->disk;
}

/* ---- Building and running --------------------------------------------------- */

static void trampoline(void *arg) {
  jnet_prog_ctx *ctx = arg;
  ctx->restarts = ctx->starts++;
  ctx->running = 1;
  ctx->run->prog->fn(ctx);
  ctx->running = 0;
}

static void apply_opts(const jsim_link *l, jnet_link_params *p) {
  for (int i = 0; i < l->nopts; i++) {
    double v = l->opts[i].value;
    switch (l->opts[i].what) {
    case JSIM_OPT_LATENCY: p->latency_ns = (uint64_t)v; break;
    case JSIM_OPT_JITTER: p->jitter_ns = (uint64_t)v; break;
    case JSIM_OPT_DIST: p->jitter_dist = (int)v; break;
    case JSIM_OPT_LOSS: p->loss = v; break;
    case JSIM_OPT_DUP: p->duplicate = v; break;
    case JSIM_OPT_REORDER: p->reorder = v; break;
    case JSIM_OPT_REORDER_BY: p->reorder_ns = (uint64_t)v; break;
    case JSIM_OPT_CORRUPT: p->corrupt = v; break;
    case JSIM_OPT_BANDWIDTH: p->bandwidth_bps = (uint64_t)v; break;
    case JSIM_OPT_QUEUE: p->queue_bytes = (uint32_t)v; break;
    case JSIM_OPT_MTU: p->mtu = (uint32_t)v; break;
    case JSIM_OPT_GE_P: p->ge_p = v; break;
    case JSIM_OPT_GE_R: p->ge_r = v; break;
    case JSIM_OPT_GE_LOSS: p->ge_loss_bad = v; break;
    }
  }
}

/* Set a link from a spec; `base` 1: start from the current parameters. */
static int set_link(runstate *rs, const jsim_link *l, int base) {
  jnet_link_params p;
  if (l->a < 0) {
    /* jnet_sim_link takes the default link as (any host, NULL). */
    p = rs->defaults;
    apply_opts(l, &p);
    int rc = jnet_sim_link(rs->sim, rs->nodes[0], NULL, &p);
    if (rc == 0) /* LCOV_EXCL_BR_LINE: the parser keeps values in range */
      rs->defaults = p;
    return rc;
  }
  jnet_node *a = rs->nodes[l->a], *b = rs->nodes[l->b];
  if (base)
    jnet_sim_link_get(rs->sim, a, b, &p);
  else
    p = rs->defaults; /* a link line starts from `link default` */
  apply_opts(l, &p);
  if (l->oneway)
    return jnet_sim_link_oneway(rs->sim, a, b, &p);
  int rc = jnet_sim_link_oneway(rs->sim, a, b, &p);
  if (rc < 0) /* LCOV_EXCL_BR_LINE: the parser keeps values in range */
    return rc;
  if (base)
    jnet_sim_link_get(rs->sim, b, a, &p);
  apply_opts(l, &p);
  return jnet_sim_link_oneway(rs->sim, b, a, &p);
}

static void on_at(jnet_sim *sim, void *arg) {
  at_arg *aa = arg;
  runstate *rs = aa->rs;
  const jsim_event *e = aa->ev;
  /* LCOV_EXCL_BR_LINE below: an event's hosts are indexes (0 if unused) */
  jnet_node *a = e->a >= 0 ? rs->nodes[e->a] : NULL; /* LCOV_EXCL_BR_LINE */
  jnet_node *b = e->b >= 0 ? rs->nodes[e->b] : NULL; /* LCOV_EXCL_BR_LINE */
  int rc = 0, how = e->oneway ? JNET_ONE_WAY : JNET_BOTH_WAYS;
  switch (e->kind) {
  case JSIM_EV_PARTITION: rc = jnet_sim_partition(sim, a, b, how); break;
  case JSIM_EV_PARTITION_GROUPS: {
    jnet_node *ga[64], *gb[64];
    int na = e->nga < 64 ? e->nga : 64, nb = e->ngb < 64 ? e->ngb : 64;
    for (int i = 0; i < na; i++)
      ga[i] = rs->nodes[e->ga[i]];
    for (int i = 0; i < nb; i++)
      gb[i] = rs->nodes[e->gb[i]];
    rc = jnet_sim_partition_groups(sim, ga, (size_t)na, gb, (size_t)nb, how);
    break;
  }
  case JSIM_EV_HEAL: rc = jnet_sim_heal(sim, a, b); break;
  case JSIM_EV_HEAL_ALL: rc = jnet_sim_heal_all(sim); break;
  case JSIM_EV_CLOG: rc = jnet_sim_clog(sim, a, b); break;
  case JSIM_EV_UNCLOG: rc = jnet_sim_unclog(sim, a, b); break;
  case JSIM_EV_SET_LINK: rc = set_link(rs, &e->link, 1); break;
  case JSIM_EV_CRASH: rc = jnet_sim_crash(sim, a); break;
  case JSIM_EV_RESTART: rc = jnet_sim_restart(sim, a); break;
  }
  /* Crashing a host that is down (or restarting one that is up) is not an
   * error of the scenario: the timeline may race a program's own exit. */
  if (rc < 0 && rc != JNET_EALREADY && rs->error[0] == 0)
    snprintf(rs->error, sizeof rs->error, "%s:%d: the `at` line failed: %s",
             rs->scn->path, e->line, jnet_strerror(rc));
}

/* The history files of a run that captures to X.pcap: X.history.jsonl and
 * X.history.html. */
void jsim_history_base(const char *pcap_path, char *buf, size_t len) {
  size_t n = strlen(pcap_path);
  if (n > 5 && strcmp(pcap_path + n - 5, ".pcap") == 0)
    n -= 5;
  snprintf(buf, len, "%.*s.history", (int)n, pcap_path);
}

/* `expect linearizable`: 0 held, -1 failed (res says why). */
static int expect_linearizable(runstate *rs, const jsim_expect *x,
                               jsim_result *res) {
  const char *misuse = jnet_history_misuse(rs->hist);
  if (misuse != NULL) {
    res->status = JSIM_ERROR;
    snprintf(res->msg, sizeof res->msg, "%s:%d: expect linearizable: a "
             "program recorded a bad history: %.200s", rs->scn->path,
             x->line, misuse);
    return -1;
  }
  jnet_lin_result r;
  int rc = jnet_history_check(rs->hist, &r);
  if (rc == 1 || (rc < 0 && rs->hist == NULL)) {
    jnet_lin_result_free(&r);
    return 0; /* nothing recorded: an empty history is linearizable */
  }
  if (rc < 0) {
    res->status = JSIM_ERROR;
    snprintf(res->msg, sizeof res->msg, "checking linearizability: %s",
             jnet_strerror(rc));
  } else {
    res->status = JSIM_FAIL;
    jsim_lin_summary(&r, res->msg, sizeof res->msg);
    char base[1024] = "";
    if (rs->pcap_path != NULL) {
      jsim_history_base(rs->pcap_path, base, sizeof base);
    } else if (rs->history_dir != NULL) {
      char pcap[1024];
      jsim_report rp;
      memset(&rp, 0, sizeof rp);
      rp.scenario = rs->scn->path;
      rp.pcap_dir = rs->history_dir;
      jsim_pcap_name(&rp, rs->seed, pcap, sizeof pcap);
      jsim_history_base(pcap, base, sizeof base);
      if (mkdir(rs->history_dir, 0777) < 0 && errno != EEXIST)
        base[0] = 0;
    }
    if (base[0] != 0)
      jsim_write_history_files(rs->hist, &r, base, rs->scn->path, ".jsonl");
  }
  jnet_lin_result_free(&r);
  return -1;
}

const char *jsim_history_dir = NULL;
const char *jsim_history_out = NULL;

/* `expect quiescent`: 0 if every program returned and no fiber is left
 * waiting; else -1 with the reason in res->msg. */
static int quiescent(runstate *rs, int run_rc, size_t fibers,
                     jsim_result *res) {
  const jsim_scn *s = rs->scn;
  if (run_rc != JNET_ETIMEDOUT && fibers == 0)
    return 0;
  char names[300] = "";
  size_t len = 0;
  int n = 0;
  for (int r = 0; r < s->nruns; r++) {
    if (!rs->ctxs[r].running)
      continue;
    if (len < sizeof names - 1) {
      int k = snprintf(names + len, sizeof names - len, "%s%s on %s",
                       n ? ", " : "", s->runs[r].prog->name,
                       s->hosts[s->runs[r].host].name);
      len += k > 0 ? (size_t)k : 0;
    }
    n++;
  }
  res->status = JSIM_FAIL;
  snprintf(res->msg, sizeof res->msg,
           "expect quiescent: %s with %zu fiber%s waiting%s%s%s",
           run_rc == JNET_ETIMEDOUT ? "the run stopped at its limit"
                                    : "the run ended",
           fibers, fibers == 1 ? "" : "s", n ? " (not returned: " : "",
           names, n ? ")" : "");
  return -1;
}

static void evaluate(runstate *rs, int run_rc, size_t fibers,
                     jsim_result *res) {
  const jsim_scn *s = rs->scn;
  res->limit_reached = run_rc == JNET_ETIMEDOUT;
  if (rs->error[0]) {
    res->status = JSIM_ERROR;
    snprintf(res->msg, sizeof res->msg, "%s", rs->error);
    return;
  }
  for (int i = 0; i < s->nexpects; i++) {
    const jsim_expect *x = &s->expects[i];
    if (x->kind == JSIM_X_LINEARIZABLE) {
      if (expect_linearizable(rs, x, res) < 0)
        return;
      continue;
    }
    if (x->kind == JSIM_X_QUIESCENT) {
      if (quiescent(rs, run_rc, fibers, res) < 0)
        return;
      continue;
    }
    const check *found = NULL;
    const char *prog = x->prog;
    for (int r = 0; r < s->nruns && found == NULL; r++) {
      const jnet_prog_ctx *c = &rs->ctxs[r];
      if (s->runs[r].host != x->host || strcmp(s->runs[r].prog->name, prog) != 0)
        continue;
      for (int k = 0; k < c->nchecks; k++)
        if (strcmp(c->checks[k].name, x->check) == 0)
          found = &c->checks[k];
    }
    const char *host = s->hosts[x->host].name;
    if (found == NULL) {
      res->status = JSIM_FAIL;
      snprintf(res->msg, sizeof res->msg,
               "%s on %s: check %s: never reported%s", prog, host, x->check,
               run_rc == JNET_ETIMEDOUT ? " (stopped at the limit)" : "");
      return;
    }
    if (!found->ok) {
      res->status = JSIM_FAIL;
      snprintf(res->msg, sizeof res->msg, "%.60s on %.60s: check %.60s: %.200s", prog,
               host, x->check, found->msg);
      return;
    }
  }
  if (run_rc < 0 && run_rc != JNET_ETIMEDOUT) {
    res->status = JSIM_ERROR;
    snprintf(res->msg, sizeof res->msg, "the run failed: %s",
             jnet_strerror(run_rc));
    return;
  }
  res->status = JSIM_PASS;
  snprintf(res->msg, sizeof res->msg, "%d expectation%s held%s", s->nexpects,
           s->nexpects == 1 ? "" : "s",
           res->limit_reached ? "; the run was cut short at its limit" : "");
}

static void run_world(const jsim_scn *s, uint64_t seed,
                      const jsim_run_opts *o, jsim_result *res) {
  double t0 = wall_now();
  runstate rs;
  memset(&rs, 0, sizeof rs);
  rs.scn = s;
  rs.pcap_path = o->pcap_path;
  rs.history_dir = jsim_history_dir;
  rs.seed = seed;
  jnet_loop *loop = NULL;
  at_arg *ats = NULL;
  int rc = jnet_sim_new(&rs.sim, seed);
  const char *what = "jnet_sim_new";
  rs.nodes = jnet__calloc((size_t)s->nhosts + 1, sizeof *rs.nodes);
  rs.ctxs = jnet__calloc((size_t)s->nruns + 1, sizeof *rs.ctxs);
  ats = jnet__calloc((size_t)s->nevents + 1, sizeof *ats);
  int oom = rs.nodes == NULL || rs.ctxs == NULL || ats == NULL;
  if (rc == 0 && oom) /* LCOV_EXCL_BR_LINE: out of memory */
    rc = JNET_ENOMEM;
  for (int i = 0; rc == 0 && i < s->nhosts; i++) {
    const char *addrs[JSIM_MAX_ADDRS + 1] = {NULL};
    for (int k = 0; k < s->hosts[i].naddrs; k++)
      addrs[k] = s->hosts[i].addrs[k];
    what = s->hosts[i].name;
    rc = jnet_sim_host(rs.sim, s->hosts[i].name, addrs, &rs.nodes[i]);
    if (rc == 0 && s->hosts[i].tcp_cc[0]) {
      jnet_sim_tcp_params tp;
      jnet_sim_host_tcp_get(rs.nodes[i], &tp);
      tp.cc = s->hosts[i].tcp_cc;
      rc = jnet_sim_host_tcp(rs.nodes[i], &tp);
    }
  }
  /* Default links first: the pair links start from them. */
  jnet_link_params_default(&rs.defaults);
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; rc == 0 && i < s->nlinks; i++) {
      if ((s->links[i].a < 0) != (pass == 0))
        continue;
      what = "link";
      rc = set_link(&rs, &s->links[i], 0);
    }
  if (rc == 0) {
    what = "limits";
    rc = jnet_sim_set_limits(rs.sim, s->limit_ns, s->limit_events);
  }
  for (int i = 0; rc == 0 && i < s->nevents; i++) {
    ats[i] = (at_arg){&rs, &s->events[i]};
    what = "at";
    /* Network faults at 0s hold before any program sends its first packet
     * (a jnet_sim_at callback at time 0 would run after the programs'
     * first steps); crashes and restarts stay on the timeline. */
    int k = s->events[i].kind;
    if (s->events[i].at_ns == 0 && k != JSIM_EV_CRASH && k != JSIM_EV_RESTART)
      on_at(rs.sim, &ats[i]);
    else
      rc = jnet_sim_at(rs.sim, s->events[i].at_ns, on_at, &ats[i]);
  }
  if (rc == 0 && o->pcap_path != NULL) {
    char base[1024], old[1100];
    jsim_history_base(o->pcap_path, base, sizeof base);
    snprintf(old, sizeof old, "%s.jsonl", base); /* no stale history */
    unlink(old);
    snprintf(old, sizeof old, "%s.html", base);
    unlink(old);
    what = o->pcap_path;
    rc = jnet_sim_pcap_open(rs.sim, o->pcap_path, NULL);
  }
  if (rc == 0 && o->trace != NULL) {
    what = "trace";
    rc = jnet_sim_trace(rs.sim, o->trace);
  }
  if (rc == 0) {
    what = "jnet_loop_new";
    rc = jnet_loop_new(&loop, jnet_sim_backend(rs.sim));
  }
  for (int i = 0; rc == 0 && i < s->nruns; i++) {
    jnet_prog_ctx *c = &rs.ctxs[i];
    c->scn = s;
    c->run = &s->runs[i];
    c->rs = &rs;
    what = s->runs[i].prog->name;
    rc = jnet_node_main(loop, rs.nodes[s->runs[i].host], trampoline, c);
  }
  if (rc < 0) {
    res->status = JSIM_ERROR;
    snprintf(res->msg, sizeof res->msg, "setting up the run (%s): %s", what,
             jnet_strerror(rc));
  } else {
    int run_rc = jnet_run(loop);
    evaluate(&rs, run_rc, jnet_loop_fibers(loop), res);
    if (jsim_history_out != NULL) {
      jnet_history *empty = NULL;
      int hrc = rs.hist != NULL ? jnet_history_save(rs.hist, jsim_history_out)
                : jnet_history_new(&empty) == 0
                    ? jnet_history_save(empty, jsim_history_out)
                    : JNET_ENOMEM; /* LCOV_EXCL_BR_LINE: no memory */
      jnet_history_free(empty);
      if (hrc < 0 && res->status == JSIM_PASS) {
        res->status = JSIM_ERROR;
        snprintf(res->msg, sizeof res->msg, "writing %.200s: %s",
                 jsim_history_out, jnet_strerror(hrc));
      }
    }
  }
  if (rs.sim != NULL) { /* LCOV_EXCL_BR_LINE: NULL only out of memory */
    jnet_sim_stats st;
    jnet_sim_get_stats(rs.sim, &st);
    res->events = st.events;
    res->virtual_s = (double)jnet_sim_now_ns(rs.sim) * 1e-9;
    res->fingerprint = jnet_sim_fingerprint(rs.sim);
  }
  jnet_loop_free(loop);
  if (rs.sim != NULL) { /* LCOV_EXCL_BR_LINE: NULL only out of memory */
    if (o->pcap_path != NULL) {
      int prc = jnet_sim_pcap_close(rs.sim);
      if (prc < 0 && res->status == JSIM_PASS) {
        res->status = JSIM_ERROR;
        snprintf(res->msg, sizeof res->msg, "writing %s: %s", o->pcap_path,
                 jnet_strerror(prc));
      }
    }
    if (o->trace != NULL) {
      jnet_sim_trace(rs.sim, NULL);
      fflush(o->trace);
    }
    jnet_sim_free(rs.sim);
  }
  /* What the programs printed, now: a sweep's runner runs seed after seed
   * in one process and leaves with _exit, which flushes nothing (a stdout
   * that is a pipe or a file holds whole blocks). */
  fflush(stdout);
  /* LCOV_EXCL_BR_LINE below: rs.ctxs is NULL only out of memory */
  for (int i = 0; i < s->nruns && rs.ctxs != NULL; i++) /* LCOV_EXCL_BR_LINE */
    jnet__free(rs.ctxs[i].disk);
  jnet__free(rs.ctxs);
  jnet__free(rs.nodes);
  jnet_history_free(rs.hist);
  jnet__free(ats);
  res->wall_s = wall_now() - t0;
}

/* Freeing a thread's last loop unmaps its pooled fiber stacks (api/
 * fiber.c), so a process running seed after seed mapped and unmapped a
 * dozen 72 KiB stacks per seed; the munmaps' TLB flushes were a third of a
 * sweep's time. A runner holds one idle loop for its life instead: each
 * seed's loop then takes the stacks its predecessor left in the pool. */
void jsim_keep_stacks_warm(void) {
  static jnet_sim *sim;
  static jnet_loop *idle;
  if (idle != NULL)
    return;
  if (sim == NULL && jnet_sim_new(&sim, 0) < 0) /* LCOV_EXCL_BR_LINE: OOM */
    return;
  /* LCOV_EXCL_BR_LINE below: out of memory */
  if (jnet_loop_new(&idle, jnet_sim_backend(sim)) < 0) /* LCOV_EXCL_BR_LINE */
    idle = NULL; /* only slower: every seed maps its stacks */
}

/* Write the drawn lines at the head of the trace, as notes at time 0. */
static void trace_drawn(FILE *f, const char *drawn) {
  while (*drawn) {
    size_t n = strcspn(drawn, ";");
    fprintf(f, "0.000000000 - drawn %.*s\n", (int)n, drawn);
    drawn += n;
    while (*drawn == ';' || *drawn == ' ')
      drawn++;
  }
}

/* A swarm scenario runs as drawn for its seed (jsim_swarm.c). */
static void run_inline(const jsim_scn *s, uint64_t seed,
                       const jsim_run_opts *o, jsim_result *res) {
  if (!s->swarm) {
    run_world(s, seed, o, res);
    return;
  }
  char err[sizeof res->msg];
  jsim_scn *inst =
      jsim_instantiate(s, seed, res->drawn, sizeof res->drawn, err, sizeof err);
  if (inst == NULL) { /* LCOV_EXCL_BR_LINE: OOM (it parses what it wrote) */
    res->status = JSIM_ERROR;
    snprintf(res->msg, sizeof res->msg, "%s", err);
    return;
  }
  if (o->trace != NULL)
    trace_drawn(o->trace, res->drawn);
  char drawn[sizeof res->drawn];
  memcpy(drawn, res->drawn, sizeof drawn);
  run_world(inst, seed, o, res);
  memcpy(res->drawn, drawn, sizeof drawn);
  jsim_scn_free(inst);
}

/* The drawn lines of a seed whose run did not say them (it crashed). */
static void fill_drawn(const jsim_scn *s, jsim_result *res) {
  char *text;
  /* LCOV_EXCL_BR_LINE below: drawn is empty here; writing fails only OOM */
  if (s->swarm && res->drawn[0] == 0 && /* LCOV_EXCL_BR_LINE */
      jsim_write_scn(s, res->seed, NULL, &text, res->drawn,
                     sizeof res->drawn) == 0)
    free(text);
}

static const char *signame(int sig) {
  switch (sig) {
  case SIGSEGV: return "SIGSEGV";
  case SIGABRT: return "SIGABRT (abort)";
  case SIGBUS: return "SIGBUS";
  case SIGFPE: return "SIGFPE";
  case SIGILL: return "SIGILL";
  case SIGKILL: return "SIGKILL";
  default: return "a signal";
  }
}

void jsim_run_seed(const jsim_scn *s, uint64_t seed, const jsim_run_opts *o,
                   jsim_result *res) {
  memset(res, 0, sizeof *res);
  res->seed = seed;
  if (!o->fork) {
    run_inline(s, seed, o, res);
    return;
  }
  double t0 = wall_now();
  int fds[2];
  if (pipe(fds) < 0) {
    res->status = JSIM_ERROR;
    snprintf(res->msg, sizeof res->msg, "pipe: %s", strerror(errno));
    return;
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) { /* LCOV_EXCL_BR_LINE: fork fails only out of processes */
    close(fds[0]);
    close(fds[1]);
    res->status = JSIM_ERROR;
    snprintf(res->msg, sizeof res->msg, "fork: %s", strerror(errno));
    return;
  }
  if (pid == 0) {
    close(fds[0]);
    signal(SIGPIPE, SIG_DFL);
    run_inline(s, seed, o, res);
    const char *p = (const char *)res;
    size_t left = sizeof *res;
    while (left > 0) {
      ssize_t n = write(fds[1], p, left);
      if (n <= 0) /* LCOV_EXCL_BR_LINE: the parent kills, then closes */
        _exit(3);
      p += n;
      left -= (size_t)n;
    }
    /* The trace, and what the programs printed: _exit flushes nothing,
     * and a stdout that is a pipe or a file holds whole blocks. */
    fflush(NULL);
    _exit(0);
  }
  close(fds[1]);
  jsim_result got;
  size_t have = 0;
  int timed_out = 0;
  double limit = o->seed_timeout_s > 0 ? o->seed_timeout_s : 300;
  while (have < sizeof got) {
    double left_s = limit - (wall_now() - t0);
    if (left_s <= 0) {
      timed_out = 1;
      break;
    }
    struct pollfd pfd = {fds[0], POLLIN, 0};
    int pr = poll(&pfd, 1, (int)(left_s * 1000) + 1);
    if (pr < 0 && errno == EINTR) /* LCOV_EXCL_BR_LINE: no handler, no EINTR */
      continue;
    if (pr <= 0)
      continue;
    ssize_t n = read(fds[0], (char *)&got + have, sizeof got - have);
    if (n < 0 && errno == EINTR) /* LCOV_EXCL_BR_LINE: no handler, no EINTR */
      continue;
    if (n <= 0)
      break;
    have += (size_t)n;
  }
  close(fds[0]);
  if (timed_out)
    kill(pid, SIGKILL);
  int st = 0;
  /* LCOV_EXCL_BR_LINE below: jnet-sim sets no signal handler: no EINTR */
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) /* LCOV_EXCL_BR_LINE */
    ;
  /* LCOV_EXCL_BR_LINE below: timed_out is set only with the result short */
  if (have == sizeof got && !timed_out) { /* LCOV_EXCL_BR_LINE */
    *res = got;
    return;
  }
  res->wall_s = wall_now() - t0;
  fill_drawn(s, res);
  if (timed_out) {
    res->status = JSIM_TIMEOUT;
    snprintf(res->msg, sizeof res->msg,
             "hung: no result after %.1fs of wall-clock time (a program "
             "spinning without yielding?)",
             limit);
  } else if (WIFSIGNALED(st)) {
    res->status = JSIM_ERROR;
    snprintf(res->msg, sizeof res->msg, "crashed: killed by %s (signal %d)",
             signame(WTERMSIG(st)), WTERMSIG(st));
  } else {
    res->status = JSIM_ERROR;
    snprintf(res->msg, sizeof res->msg,
             "crashed: the run exited with status %d before reporting",
             /* LCOV_EXCL_BR_LINE below: no WUNTRACED: not signalled, exited */
             WIFEXITED(st) ? WEXITSTATUS(st) : -1); /* LCOV_EXCL_BR_LINE */
  }
}

void jsim_print_result(FILE *f, const jsim_result *r) {
  static const char *word[] = {"PASS", "FAIL", "ERROR", "TIMEOUT",
                               "NONDETERMINISTIC"};
  if (r->drawn[0])
    fprintf(f, "seed %llu drew: %s\n", (unsigned long long)r->seed, r->drawn);
  fprintf(f,
          "seed %llu: %s %s (events %llu, virtual %.3fs%s, wall %.3fs) "
          "fingerprint 0x%016llx\n",
          (unsigned long long)r->seed, word[r->status], r->msg,
          (unsigned long long)r->events, r->virtual_s,
          r->limit_reached ? ", limit reached" : "", r->wall_s,
          (unsigned long long)r->fingerprint);
}
