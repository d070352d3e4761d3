/* jsim_determinism.c — `--check-determinism`: run each seed twice, in two
 * unrelated processes, and compare the runs.
 *
 * A seed must give the same run every time; what breaks that is a program
 * reading something outside the simulation: the wall clock, the process
 * id (random() seeded from getpid), the address of an object (ordering or
 * hashing by pointer value, which ASLR moves between processes). A forked
 * child shares its parent's address layout, so the second run happens in a
 * partner: this very runner exec'd afresh (/proc/self/exe, argv[1] =
 * "__partner"), which has its own layout, process ids and clock. The
 * partner parses the scenario once and serves seeds over a pipe: a request
 * (seed, trace path) in, a jsim_result out. The two runs go side by side.
 *
 * How each side runs its seed follows the caller: `run --check-determinism`
 * forks a child per seed on both sides (jsim_run_seed with fork); the
 * sweep's pre-forked runner runs its side inline and asks an inline partner
 * (p->inline_runs), which the runner outlives: the partner dies with it
 * (PR_SET_PDEATHSIG), and one that does not answer within the seed timeout
 * is killed and counts as a timed-out second run, as its forked child did.
 * If the inline partner dies in a seed, jsim_run_checked says so (-1) and
 * the sweep runs that seed again the forking way.
 *
 * Equal fingerprints: deterministic. Different: both sides run the seed
 * again with a trace each, and the first line where the traces part is
 * reported with its event number and virtual time.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "jnet_alloc.h"
#include "jsim_scn.h"

typedef struct det_req {
  uint64_t seed;
  int inline_run; /* 1: run it in the partner itself, not in a child */
  char trace[512]; /* "" no trace */
} det_req;

/* How long past the seed timeout an inline partner may take to answer. */
#define PARTNER_SLACK_S 1.0

static double wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t m = write(fd, p, n);
    /* LCOV_EXCL_BR_LINE below: no signal handler: no EINTR */
    if (m < 0 && errno == EINTR) /* LCOV_EXCL_BR_LINE */
      continue;
    if (m <= 0)
      return -1;
    p += m;
    n -= (size_t)m;
  }
  return 0;
}

/* 1 read all, 0 end of file at a message boundary, -1 error or short. */
static int read_all(int fd, void *buf, size_t n) {
  char *p = buf;
  size_t have = 0;
  while (have < n) {
    ssize_t m = read(fd, p + have, n - have);
    /* LCOV_EXCL_BR_LINE below: no signal handler: no EINTR */
    if (m < 0 && errno == EINTR) /* LCOV_EXCL_BR_LINE */
      continue;
    if (m < 0)
      return -1;
    if (m == 0)
      return have == 0 ? 0 : -1;
    have += (size_t)m;
  }
  return 1;
}

/* ---- The partner process ----------------------------------------------------- */

int jsim_partner_main(int argc, char **argv, const jnet_program *progs,
                      size_t nprogs) {
  if (argc != 5) {
    fprintf(stderr, "jnet-sim __partner: internal command of "
                    "--check-determinism\n");
    return 2;
  }
  double timeout_s = atof(argv[2]);
  int rfd = atoi(argv[3]), wfd = atoi(argv[4]);
  char err[512];
  jsim_scn *s;
  if (jsim_parse_file(argv[1], progs, nprogs, &s, err, sizeof err) < 0) {
    fprintf(stderr, "%s\n", err);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  det_req rq;
  int rc = 0;
  while (read_all(rfd, &rq, sizeof rq) == 1) {
    rq.trace[sizeof rq.trace - 1] = 0;
    FILE *tf = rq.trace[0] ? fopen(rq.trace, "w") : NULL;
    jsim_run_opts o = {NULL, tf, timeout_s, !rq.inline_run};
    if (rq.inline_run)
      jsim_keep_stacks_warm();
    jsim_result r;
    jsim_run_seed(s, rq.seed, &o, &r);
    if (tf != NULL)
      fclose(tf);
    if (write_all(wfd, &r, sizeof r) < 0) {
      rc = 1;
      break;
    }
  }
  jsim_scn_free(s);
  return rc;
}

static int partner_start(jsim_partner *p, const char *path, double timeout_s) {
  int to[2], from[2];
  if (pipe(to) < 0)
    return -1;
  if (pipe(from) < 0) {
    close(to[0]);
    close(to[1]);
    return -1;
  }
  char t[32], rfd[16], wfd[16];
  snprintf(t, sizeof t, "%.3f", timeout_s);
  snprintf(rfd, sizeof rfd, "%d", to[0]);
  snprintf(wfd, sizeof wfd, "%d", from[1]);
  fflush(NULL);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
#ifdef __linux__
    /* An inline partner must not outlive a runner killed as hung. */
    /* LCOV_EXCL_BR_LINE below: prctl does not fail; a parent dead already */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || /* LCOV_EXCL_BR_LINE */
        getppid() != parent)                    /* LCOV_EXCL_BR_LINE */
      _exit(127);
#else
    (void)parent;
#endif
    /* Keep only stdin, stderr and our two ends; the programs' prints of
     * the second run go nowhere (the first run's show). */
    for (int fd = 3; fd < 1024; fd++)
      if (fd != to[0] && fd != from[1])
        close(fd);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) { /* LCOV_EXCL_BR_LINE: /dev/null opens */
      dup2(null, 1);
      close(null);
    }
    char *args[] = {(char *)jsim_argv0, "__partner", (char *)path, t, rfd, wfd,
                    NULL};
    execv("/proc/self/exe", args);
    _exit(127);
  }
  close(to[0]);
  close(from[1]);
  if (pid < 0) { /* LCOV_EXCL_BR_LINE: fork fails only out of processes */
    close(to[1]);
    close(from[0]);
    return -1;
  }
  /* A partner that exits before reading (it could not parse the file)
   * makes our write fail with EPIPE, said as "did not answer", instead of
   * killing this process with SIGPIPE. */
  signal(SIGPIPE, SIG_IGN);
  p->pid = (int)pid;
  p->to = to[1];
  p->from = from[0];
  return 0;
}

void jsim_partner_stop(jsim_partner *p) {
  if (p->pid <= 0)
    return;
  if (p->inline_runs)
    kill(p->pid, SIGKILL); /* it may be in the middle of a seed */
  close(p->to);
  close(p->from);
  int st;
  /* LCOV_EXCL_BR_LINE below: no EINTR */
  while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR) /* LCOV_EXCL_BR_LINE */
    ;
  p->pid = 0;
}

/* An inline partner's answer, waiting until `deadline` (wall_now). 1 got
 * it, 0 it ran out of time, -1 the partner is gone. */
static int read_answer(int fd, jsim_result *b, double deadline) {
  for (;;) {
    double left_s = deadline - wall_now();
    struct pollfd pfd = {fd, POLLIN, 0};
    int pr = poll(&pfd, 1, left_s > 0 ? (int)(left_s * 1000) + 1 : 0);
    /* LCOV_EXCL_BR_LINE below: no signal handler: no EINTR */
    if (pr < 0 && errno == EINTR) /* LCOV_EXCL_BR_LINE */
      continue;
    /* LCOV_EXCL_BR_LINE below: poll of one pipe fails only out of memory */
    if (pr < 0) /* LCOV_EXCL_BR_LINE */
      return -1;
    if (pr == 0) {
      if (left_s > 0)
        continue; /* poll's own rounding: the loop re-checks */
      return 0;
    }
    return read_all(fd, b, sizeof *b) == 1 ? 1 : -1;
  }
}

/* Both runs of a seed: here with o (trace tf), in the partner with trace
 * path tpath. 0, or -1 with the reason in a->msg (the partner is gone). */
static int run_pair(const jsim_scn *s, uint64_t seed, const jsim_run_opts *o,
                    jsim_partner *p, FILE *tf, const char *tpath,
                    jsim_result *a, jsim_result *b) {
  det_req rq;
  memset(&rq, 0, sizeof rq);
  rq.seed = seed;
  rq.inline_run = p->inline_runs;
  snprintf(rq.trace, sizeof rq.trace, "%s", tpath ? tpath : "");
  double limit = o->seed_timeout_s > 0 ? o->seed_timeout_s : 300;
  double deadline = wall_now() + limit + PARTNER_SLACK_S;
  int sent = p->pid > 0 || partner_start(p, s->path, o->seed_timeout_s) == 0;
  sent = sent && write_all(p->to, &rq, sizeof rq) == 0;
  jsim_run_opts lo = *o;
  if (tf != NULL)
    lo.trace = tf;
  jsim_run_seed(s, seed, &lo, a);
  if (sent && !p->inline_runs && read_all(p->from, b, sizeof *b) == 1)
    return 0;
  int got = sent && p->inline_runs ? read_answer(p->from, b, deadline) : -1;
  if (got == 1)
    return 0;
  if (got == 0) { /* as a forked second run past the timeout */
    jsim_partner_stop(p);
    memset(b, 0, sizeof *b);
    b->seed = seed;
    b->status = JSIM_TIMEOUT;
    return 0;
  }
  jsim_partner_stop(p);
  a->status = JSIM_ERROR;
  snprintf(a->msg, sizeof a->msg,
           "--check-determinism: the second process (%s __partner) did not "
           "answer: %s",
           jsim_argv0, sent ? "it exited" : strerror(errno));
  return -1;
}

/* ---- Where two traces part ---------------------------------------------------- */

/* Line k (1-based) where the files differ; 0 if they are the same. The two
 * lines (or "(end of trace)") land in l1, l2. */
static uint64_t first_difference(FILE *f1, FILE *f2, char *l1, size_t n1,
                                 char *l2, size_t n2) {
  char *a = NULL, *b = NULL;
  size_t ca = 0, cb = 0;
  uint64_t k = 0, found = 0;
  for (;;) {
    ssize_t la = getline(&a, &ca, f1), lb = getline(&b, &cb, f2);
    k++;
    if (la < 0 && lb < 0)
      break;
    if (la >= 0 && lb >= 0 && la == lb && memcmp(a, b, (size_t)la) == 0)
      continue;
    if (la > 0 && a[la - 1] == '\n')
      a[la - 1] = 0;
    if (lb > 0 && b[lb - 1] == '\n')
      b[lb - 1] = 0;
    snprintf(l1, n1, "%s", la >= 0 ? a : "(end of trace)");
    snprintf(l2, n2, "%s", lb >= 0 ? b : "(end of trace)");
    found = k;
    break;
  }
  free(a);
  free(b);
  return found;
}

/* The virtual time a trace line starts with ("12.000500000 ..."). */
static void line_time(const char *l1, const char *l2, char *buf, size_t len) {
  const char *l = l1[0] >= '0' && l1[0] <= '9' ? l1 : l2;
  size_t n = strcspn(l, " ");
  if (!(l[0] >= '0' && l[0] <= '9') || n >= len)
    snprintf(buf, len, "?");
  else
    snprintf(buf, len, "%.*s", (int)n, l);
}

static const char *tmp_dir(void) {
  const char *dir = getenv("TMPDIR");
  return dir && *dir ? dir : "/tmp";
}

static FILE *tmp_trace(char *path, size_t len) {
  snprintf(path, len, "%s/jsim-det-XXXXXX", tmp_dir());
  int fd = mkstemp(path);
  if (fd < 0)
    return NULL;
  FILE *f = fdopen(fd, "w+");
  if (f == NULL) {
    close(fd);
    unlink(path);
  }
  return f;
}

/* The runs of seed differed (fingerprints fa, fb): run both again with a
 * trace and name the first event where they part. 0, or -1: an inline
 * partner died in the traced run. */
static int locate(const jsim_scn *s, uint64_t seed, const jsim_run_opts *o,
                   jsim_partner *p, uint64_t fa, uint64_t fb,
                   jsim_result *res) {
  char p1[600], p2[600], l1[300] = "", l2[300] = "";
  FILE *f1 = tmp_trace(p1, sizeof p1), *f2 = tmp_trace(p2, sizeof p2);
  uint64_t k = 0;
  int gone = 0, no_trace = errno;
  if (f1 != NULL && f2 != NULL) {
    jsim_result a, b;
    int inline_runs = p->inline_runs;
    if (run_pair(s, seed, o, p, f1, p2, &a, &b) == 0) {
      rewind(f1);
      k = first_difference(f1, f2, l1, sizeof l1, l2, sizeof l2);
    } else {
      gone = inline_runs ? -1 : 0;
    }
  }
  char t[40] = "?";
  if (k > 0)
    line_time(l1, l2, t, sizeof t);
  res->status = JSIM_NONDET;
  if (k > 0)
    snprintf(res->msg, sizeof res->msg,
             "two runs of the seed differ from trace event %llu at virtual "
             "%ss: run 1 `%.300s`, run 2 `%.300s` (fingerprints 0x%016llx, "
             "0x%016llx)",
             (unsigned long long)k, t, l1, l2, (unsigned long long)fa,
             (unsigned long long)fb);
  else if (f1 == NULL || f2 == NULL)
    snprintf(res->msg, sizeof res->msg,
             "two runs of the seed differ (fingerprints 0x%016llx, "
             "0x%016llx); no traces to compare: cannot create a file in "
             "%.200s: %s",
             (unsigned long long)fa, (unsigned long long)fb, tmp_dir(),
             strerror(no_trace));
  else
    snprintf(res->msg, sizeof res->msg,
             "two runs of the seed differ (fingerprints 0x%016llx, "
             "0x%016llx); traced again, they did not part",
             (unsigned long long)fa, (unsigned long long)fb);
  if (f1 != NULL) {
    fclose(f1);
    unlink(p1);
  }
  if (f2 != NULL) {
    fclose(f2);
    unlink(p2);
  }
  return gone;
}

int jsim_run_checked(const jsim_scn *s, uint64_t seed, const jsim_run_opts *o,
                     jsim_partner *p, jsim_result *res) {
  jsim_result other;
  if (run_pair(s, seed, o, p, NULL, NULL, res, &other) < 0)
    return -1;
  /* A wall-clock timeout says nothing about determinism. */
  if (res->status == JSIM_TIMEOUT || other.status == JSIM_TIMEOUT)
    return 0;
  if (res->fingerprint == other.fingerprint && res->status == other.status)
    return 0;
  double wall = res->wall_s + other.wall_s;
  uint64_t fa = res->fingerprint, fb = other.fingerprint;
  jsim_result first = *res;
  int gone = locate(s, seed, o, p, fa, fb, res);
  res->fingerprint = fa;
  res->wall_s = wall;
  /* Runs that ended differently (one crashed, say) say how each ended:
   * the crash is news of its own, and the rerun above may not repeat it. */
  if (first.status != other.status) {
    size_t n = strlen(res->msg);
    snprintf(res->msg + n, sizeof res->msg - n,
             "; run 1 ended %s%s%.200s, run 2 %s%s%.200s",
             jsim_status_name(first.status),
             first.status == JSIM_PASS ? "" : ": ",
             first.status == JSIM_PASS ? "" : first.msg,
             jsim_status_name(other.status),
             other.status == JSIM_PASS ? "" : ": ",
             other.status == JSIM_PASS ? "" : other.msg);
  }
  return gone;
}
