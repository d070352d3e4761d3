/* jsim_sweep.c — `jnet-sim sweep`: many seeds over worker processes.
 *
 * The seeds of a shard K/N of A..B are the positions p in 0..B-A with
 * p ≡ K-1 (mod N), computed, never listed. J workers (fork) take every
 * J-th seed of the shard; a worker's runner process runs them one after
 * another, each in a fresh simulation, until one fails (then a fresh runner
 * takes over: see "Workers and runners"), and each fixed-size result comes
 * back over the worker's pipe. The parent
 * shows progress, then re-runs each failing seed with a capture to write
 * its pcap, prints the summary and writes --json / --junit.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jnet_alloc.h"
#include "jsim_scn.h"

#define MAX_PCAPS 20

uint64_t jsim_shard_count(uint64_t lo, uint64_t hi, uint64_t k, uint64_t n) {
  uint64_t len_minus_1 = hi - lo, p = k - 1;
  if (p > len_minus_1)
    return 0;
  return (len_minus_1 - p) / n + 1;
}

uint64_t jsim_shard_seed(uint64_t lo, uint64_t k, uint64_t n, uint64_t i) {
  return lo + (k - 1) + i * n;
}

int jsim_parse_shard(const char *s, uint64_t *k, uint64_t *n) {
  char *end;
  if (*s < '1' || *s > '9')
    return -1;
  errno = 0;
  unsigned long long kk = strtoull(s, &end, 10);
  if (errno || *end != '/' || end[1] < '1' || end[1] > '9')
    return -1;
  unsigned long long nn = strtoull(end + 1, &end, 10);
  if (errno || *end != 0 || kk < 1 || kk > nn)
    return -1;
  *k = kk;
  *n = nn;
  return 0;
}

static double wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_res(const void *a, const void *b) {
  const jsim_result *x = a, *y = b;
  return x->seed < y->seed ? -1 : x->seed > y->seed;
}

static void sweep_usage(FILE *f) {
  fprintf(f,
          "usage: jnet-sim sweep FILE [--seeds A..B] [-j N] [--shard K/N]\n"
          "         [--pcap-dir DIR] [--json F] [--junit F] [--max-wall DUR]\n"
          "         [--seed-timeout DUR] [--no-progress] [--check-determinism]\n"
          "Run every seed of A..B (default: the file's `seed` line), each in\n"
          "a fresh simulation, over N workers (default: the number of CPUs).\n"
          "  --shard K/N      only the seeds at positions K-1, K-1+N, ... of\n"
          "                   A..B (1 <= K <= N); `merge` joins the shards\n"
          "  --pcap-dir DIR   where failing seeds' captures go\n"
          "                   (default jnet-sim-pcaps)\n"
          "  --json F         JSON Lines: one object per seed, then a summary\n"
          "  --junit F        JUnit XML: one testcase per seed\n"
          "  --max-wall DUR   start no new seed after DUR (30s, 5m)\n"
          "  --seed-timeout DUR  wall-clock limit per seed (default 300s)\n"
          "  --check-determinism  run each seed twice, the second time in a\n"
          "                   fresh process; differing runs are reported as\n"
          "                   nondeterministic with the event where they part\n"
          "Exit: 0 all passed, 1 a seed failed, 2 bad usage or scenario.\n");
}

typedef struct worker {
  pid_t pid;
  int fd;
  size_t have;
  jsim_result buf;
} worker;

static void progress(int tty, uint64_t done, uint64_t planned,
                     uint64_t failed, double elapsed) {
  double rate = elapsed > 0 ? (double)done / elapsed : 0;
  if (tty) {
    int width = 30, fill = planned ? (int)(width * done / planned) : width;
    fprintf(stderr, "\r[%.*s%.*s] %llu/%llu seeds, %llu failed, %.0f seeds/s ",
            fill, "##############################", width - fill,
            "..............................", (unsigned long long)done,
            (unsigned long long)planned, (unsigned long long)failed, rate);
  } else {
    fprintf(stderr, "progress: %llu/%llu seeds, %llu failed, %.1fs, %.0f "
                    "seeds/s\n",
            (unsigned long long)done, (unsigned long long)planned,
            (unsigned long long)failed, elapsed, rate);
  }
  fflush(stderr);
}

/* ---- Workers and runners ----------------------------------------------------
 *
 * A worker owns every J-th seed of the shard. It does not fork per seed: it
 * forks a runner, which runs the worker's seeds inline one after another
 * (a fresh simulation each) and writes each result down a pipe, until a
 * seed does not pass or the heap has grown by RUNNER_LEAK_BYTES since the
 * runner began; then it exits and the worker forks a fresh one for the
 * seeds that follow. A runner that dies mid-seed (a crash) has that seed
 * run again alone, in its own child (jsim_run_seed), for the report's
 * message; one that says nothing for --seed-timeout is killed and the seed
 * reported hung, as jsim_run_seed does. */

#define RUNNER_LEAK_BYTES (16u << 20)

static size_t heap_in_use(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
  return mallinfo2().uordblks;
#else
  return 0;
#endif
}

static int write_result(int fd, const jsim_result *r) {
  const char *p = (const char *)r;
  size_t left = sizeof *r;
  while (left > 0) {
    ssize_t m = write(fd, p, left);
    if (m < 0 && errno == EINTR)
      continue;
    if (m <= 0)
      return -1;
    p += m;
    left -= (size_t)m;
  }
  return 0;
}

/* In the runner: seeds first, first + j, ... inline; see above. */
static void runner_main(const jsim_scn *s, uint64_t lo, uint64_t k,
                        uint64_t n, uint64_t planned, uint64_t first,
                        uint64_t j, double deadline, const jsim_run_opts *o,
                        int fd) {
  jsim_run_opts in = *o;
  in.fork = 0;
  size_t heap0 = heap_in_use();
  signal(SIGPIPE, SIG_DFL);
  for (uint64_t i = first; i < planned; i += j) {
    if (deadline > 0 && wall_now() >= deadline)
      break;
    jsim_result r;
    jsim_run_seed(s, jsim_shard_seed(lo, k, n, i), &in, &r);
    if (write_result(fd, &r) < 0)
      _exit(3);
    if (r.status != JSIM_PASS || heap_in_use() > heap0 + RUNNER_LEAK_BYTES)
      break;
  }
  _exit(0);
}

/* Read one result from a runner, waiting at most limit_s. 1 got it, 0 the
 * runner closed the pipe first, -1 the time ran out. */
static int read_result(int fd, jsim_result *r, double limit_s) {
  size_t have = 0;
  double t0 = wall_now();
  while (have < sizeof *r) {
    double left_s = limit_s - (wall_now() - t0);
    if (left_s <= 0)
      return -1;
    struct pollfd pfd = {fd, POLLIN, 0};
    int pr = poll(&pfd, 1, (int)(left_s * 1000) + 1);
    if (pr <= 0)
      continue; /* EINTR, or poll's own rounding: the loop re-checks */
    ssize_t m = read(fd, (char *)r + have, sizeof *r - have);
    if (m < 0 && errno == EINTR)
      continue;
    if (m <= 0)
      return 0;
    have += (size_t)m;
  }
  return 1;
}

static void worker_main(const jsim_scn *s, uint64_t lo, uint64_t k,
                        uint64_t n, uint64_t planned, uint64_t w, uint64_t j,
                        double deadline, const jsim_run_opts *o, int fd) {
  double limit = o->seed_timeout_s > 0 ? o->seed_timeout_s : 300;
  uint64_t i = w;
  while (i < planned && !(deadline > 0 && wall_now() >= deadline)) {
    int fds[2];
    pid_t pid = -1;
    if (pipe(fds) == 0) {
      fflush(NULL);
      pid = fork();
      if (pid == 0) {
        close(fds[0]);
        close(fd);
        runner_main(s, lo, k, n, planned, i, j, deadline, o, fds[1]);
      }
      close(fds[1]);
      if (pid < 0)
        close(fds[0]);
    }
    jsim_result r;
    int got = 0, rr = 0;
    double t0 = wall_now();
    while (pid > 0 && i < planned && (rr = read_result(fds[0], &r, limit)) == 1) {
      if (write_result(fd, &r) < 0)
        _exit(3);
      i += j;
      got++;
      t0 = wall_now();
    }
    if (pid > 0) {
      close(fds[0]);
      if (rr < 0)
        kill(pid, SIGKILL);
      int st = 0;
      while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
      if (rr < 0) { /* hung in seed i */
        memset(&r, 0, sizeof r);
        r.seed = jsim_shard_seed(lo, k, n, i);
        r.status = JSIM_TIMEOUT;
        r.wall_s = wall_now() - t0;
        snprintf(r.msg, sizeof r.msg,
                 "hung: no result after %.1fs of wall-clock time (a program "
                 "spinning without yielding?)",
                 limit);
      } else if (i >= planned || (got > 0 && WIFEXITED(st) &&
                                  WEXITSTATUS(st) == 0)) {
        continue; /* done, or stopped after a failure: a fresh runner */
      } else if (deadline > 0 && wall_now() >= deadline && WIFEXITED(st) &&
                 WEXITSTATUS(st) == 0) {
        break;
      } else { /* died in seed i, or could not start: seed i alone */
        jsim_run_seed(s, jsim_shard_seed(lo, k, n, i), o, &r);
      }
    } else {
      jsim_run_seed(s, jsim_shard_seed(lo, k, n, i), o, &r);
    }
    if (write_result(fd, &r) < 0)
      _exit(3);
    i += j;
  }
  _exit(0);
}

/* --check-determinism: each seed runs twice (here and in a fresh partner
 * process, jsim_determinism.c), one seed at a time. */
static void checked_worker_main(const jsim_scn *s, uint64_t lo, uint64_t k,
                                uint64_t n, uint64_t planned, uint64_t w,
                                uint64_t j, double deadline,
                                const jsim_run_opts *o, int fd) {
  jsim_partner partner = {0, -1, -1};
  for (uint64_t i = w; i < planned; i += j) {
    if (deadline > 0 && wall_now() >= deadline)
      break;
    jsim_result r;
    jsim_run_checked(s, jsim_shard_seed(lo, k, n, i), o, &partner, &r);
    if (write_result(fd, &r) < 0)
      _exit(3);
  }
  jsim_partner_stop(&partner);
  _exit(0);
}

int jsim_sweep_main(int argc, char **argv, const jnet_program *progs,
                    size_t nprogs) {
  static const struct option longopts[] = {
      {"seeds", required_argument, NULL, 's'},
      {"jobs", required_argument, NULL, 'j'},
      {"shard", required_argument, NULL, 'k'},
      {"pcap-dir", required_argument, NULL, 'p'},
      {"json", required_argument, NULL, 'J'},
      {"junit", required_argument, NULL, 'U'},
      {"max-wall", required_argument, NULL, 'w'},
      {"seed-timeout", required_argument, NULL, 't'},
      {"no-progress", no_argument, NULL, 'n'},
      {"check-determinism", no_argument, NULL, 'D'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *seeds = NULL, *pcap_dir = "jnet-sim-pcaps", *json = NULL,
             *junit = NULL;
  uint64_t k = 1, n = 1, max_wall_ns = 0, seed_timeout_ns = 300 * JNET_SIM_S;
  long jobs = sysconf(_SC_NPROCESSORS_ONLN);
  int show_progress = 1, check = 0, c;
  const char *argv0 = jsim_argv0;
  optind = 1;
  while ((c = getopt_long(argc, argv, "j:h", longopts, NULL)) != -1) {
    char *end;
    switch (c) {
    case 's': seeds = optarg; break;
    case 'j':
      jobs = strtol(optarg, &end, 10);
      if (*end != 0 || jobs < 1 || jobs > 1024) {
        fprintf(stderr, "jnet-sim sweep: -j: expected 1..1024, got '%s'\n",
                optarg);
        return 2;
      }
      break;
    case 'k':
      if (jsim_parse_shard(optarg, &k, &n) < 0) {
        fprintf(stderr,
                "jnet-sim sweep: --shard: expected K/N with 1 <= K <= N, "
                "got '%s'\n",
                optarg);
        return 2;
      }
      break;
    case 'p': pcap_dir = optarg; break;
    case 'J': json = optarg; break;
    case 'U': junit = optarg; break;
    case 'w':
    case 't':
      if (jsim_parse_duration(optarg, c == 'w' ? &max_wall_ns
                                               : &seed_timeout_ns) < 0) {
        fprintf(stderr,
                "jnet-sim sweep: %s: expected a duration such as 30s, got "
                "'%s'\n",
                c == 'w' ? "--max-wall" : "--seed-timeout", optarg);
        return 2;
      }
      break;
    case 'n': show_progress = 0; break;
    case 'D': check = 1; break;
    case 'h': sweep_usage(stdout); return 0;
    default: sweep_usage(stderr); return 2;
    }
  }
  if (optind + 1 != argc) {
    sweep_usage(stderr);
    return 2;
  }
  const char *path = argv[optind];
  char err[512];
  jsim_scn *s;
  if (jsim_parse_file(path, progs, nprogs, &s, err, sizeof err) < 0) {
    fprintf(stderr, "%s\n", err);
    return 2;
  }
  uint64_t lo = s->seed_lo, hi = s->seed_hi;
  if (seeds != NULL && jsim_parse_range(seeds, &lo, &hi) < 0) {
    fprintf(stderr,
            "jnet-sim sweep: --seeds: expected A..B with 0 <= A <= B < 2^63, "
            "got '%s'\n",
            seeds);
    jsim_scn_free(s);
    return 2;
  }
  if (seeds == NULL && !s->has_seeds) {
    fprintf(stderr, "jnet-sim sweep: %s has no `seed` line; give --seeds "
                    "A..B\n",
            path);
    jsim_scn_free(s);
    return 2;
  }
  uint64_t planned = jsim_shard_count(lo, hi, k, n);
  uint64_t nworkers = (uint64_t)jobs < planned ? (uint64_t)jobs : planned;
  jsim_run_opts o = {NULL, NULL, (double)seed_timeout_ns * 1e-9, 1};
  jsim_history_dir = pcap_dir; /* every violation's history, not only 20 */
  double t0 = wall_now();
  double deadline = max_wall_ns ? t0 + (double)max_wall_ns * 1e-9 : 0;
  size_t cap = 256, nres = 0;
  jsim_result *res = jnet__malloc(cap * sizeof *res);
  worker *ws = jnet__calloc(nworkers + 1, sizeof *ws);
  if (res == NULL || ws == NULL) {
    fprintf(stderr, "jnet-sim sweep: out of memory\n");
    jnet__free(res);
    jnet__free(ws);
    jsim_scn_free(s);
    return 2;
  }
  fflush(NULL);
  for (uint64_t w = 0; w < nworkers; w++) {
    int fds[2];
    if (pipe(fds) < 0) {
      perror("jnet-sim sweep: pipe");
      nworkers = w;
      break;
    }
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      for (uint64_t x = 0; x < w; x++)
        close(ws[x].fd);
      if (check)
        checked_worker_main(s, lo, k, n, planned, w, nworkers, deadline, &o,
                            fds[1]);
      else
        worker_main(s, lo, k, n, planned, w, nworkers, deadline, &o, fds[1]);
    }
    close(fds[1]);
    ws[w].pid = pid;
    ws[w].fd = fds[0];
    if (pid < 0) {
      perror("jnet-sim sweep: fork");
      close(fds[0]);
      nworkers = w;
      break;
    }
  }
  int tty = isatty(2);
  uint64_t failed = 0;
  size_t open_fds = (size_t)nworkers;
  double last_progress = t0;
  struct pollfd *pf = jnet__calloc(nworkers + 1, sizeof *pf);
  while (open_fds > 0 && pf != NULL) {
    nfds_t np = 0;
    int map[1024];
    for (uint64_t w = 0; w < nworkers; w++)
      if (ws[w].fd >= 0) {
        pf[np] = (struct pollfd){ws[w].fd, POLLIN, 0};
        map[np++] = (int)w;
      }
    int pr = poll(pf, np, tty ? 200 : 1000);
    if (pr < 0 && errno != EINTR)
      break;
    for (nfds_t i = 0; pr > 0 && i < np; i++) {
      if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      worker *wk = &ws[map[i]];
      ssize_t m = read(wk->fd, (char *)&wk->buf + wk->have,
                       sizeof wk->buf - wk->have);
      if (m < 0 && errno == EINTR)
        continue;
      if (m <= 0) {
        close(wk->fd);
        wk->fd = -1;
        open_fds--;
        continue;
      }
      wk->have += (size_t)m;
      if (wk->have < sizeof wk->buf)
        continue;
      wk->have = 0;
      if (nres == cap) {
        jsim_result *nr = jnet__realloc(res, 2 * cap * sizeof *res);
        if (nr == NULL) {
          fprintf(stderr, "jnet-sim sweep: out of memory\n");
          break;
        }
        res = nr;
        cap *= 2;
      }
      res[nres++] = wk->buf;
      if (wk->buf.status != JSIM_PASS)
        failed++;
    }
    double now = wall_now();
    if (show_progress && (now - last_progress >= (tty ? 0.2 : 5.0))) {
      progress(tty, nres, planned, failed, now - t0);
      last_progress = now;
    }
  }
  jnet__free(pf);
  for (uint64_t w = 0; w < nworkers; w++) {
    int st;
    while (waitpid(ws[w].pid, &st, 0) < 0 && errno == EINTR)
      ;
  }
  double wall = wall_now() - t0;
  if (show_progress) {
    progress(tty, nres, planned, failed, wall);
    if (tty)
      fputc('\n', stderr);
  }
  qsort(res, nres, sizeof *res, cmp_res);

  jsim_report rp = {path, lo, hi, k, n, planned, nres, res, wall, argv0,
                    pcap_dir, NULL, check};
  rp.pcaps = jnet__calloc(nres + 1, sizeof *rp.pcaps);
  int pcaps_written = 0;
  if (failed > 0 && rp.pcaps != NULL) {
    if (mkdir(pcap_dir, 0777) < 0 && errno != EEXIST)
      fprintf(stderr, "jnet-sim sweep: cannot create %s: %s\n", pcap_dir,
              strerror(errno));
    for (size_t i = 0; i < nres && pcaps_written < MAX_PCAPS; i++) {
      if (res[i].status == JSIM_PASS || res[i].status == JSIM_TIMEOUT)
        continue;
      char name[1024];
      jsim_pcap_name(&rp, res[i].seed, name, sizeof name);
      jsim_run_opts po = o;
      po.pcap_path = name;
      jsim_result again;
      jsim_run_seed(s, res[i].seed, &po, &again);
      if (again.status == JSIM_ERROR && res[i].status != JSIM_ERROR) {
        /* the capture itself failed (say, an uncreatable --pcap-dir) */
        fprintf(stderr, "jnet-sim sweep: seed %llu: no pcap: %s\n",
                (unsigned long long)res[i].seed, again.msg);
        continue;
      }
      if (again.fingerprint != res[i].fingerprint &&
          res[i].status != JSIM_NONDET)
        fprintf(stderr,
                "jnet-sim sweep: seed %llu did not replay the same "
                "(fingerprint 0x%016llx then 0x%016llx)\n",
                (unsigned long long)res[i].seed,
                (unsigned long long)res[i].fingerprint,
                (unsigned long long)again.fingerprint);
      rp.pcaps[i] = jnet__strdup(name);
      pcaps_written++;
    }
  }
  jsim_print_summary(stdout, &rp);
  int rc = failed > 0 ? 1 : 0;
  if (json != NULL && jsim_write_json(json, &rp) < 0)
    rc = 2;
  if (junit != NULL && jsim_write_junit(junit, &rp) < 0)
    rc = 2;
  for (size_t i = 0; rp.pcaps != NULL && i < nres; i++)
    jnet__free(rp.pcaps[i]);
  jnet__free(rp.pcaps);
  jnet__free(res);
  jnet__free(ws);
  jsim_scn_free(s);
  return rc;
}
