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
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
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
 * reported hung, as jsim_run_seed does.
 *
 * With --check-determinism the runner runs each seed twice inline: here
 * and in its inline partner (jsim_determinism.c); a seed whose partner
 * died is run again by the worker with a forking partner, as `run
 * --check-determinism` does.
 *
 * Results travel in bursts: a worker (and the parent) that wakes for a
 * result waits BURST_WAIT_NS for more and reads what has come in one go,
 * so it wakes a few hundred times a second, not once per seed; near the
 * end (a burst or less to come) it reads each result as it comes, so the
 * sweep does not end with two waits for results that will never come. A
 * runner still writes each result as soon as it has it, so a crash loses
 * none; a result cut short by the runner's death is dropped and its seed
 * run again alone. */

#define RUNNER_LEAK_BYTES (16u << 20)
#define BURST 32                      /* results per read or write */
#define BURST_WAIT_NS (5 * 1000000L) /* 5 ms */

/* What every worker and runner of a sweep knows. */
typedef struct sweep_job {
  const jsim_scn *s;
  uint64_t lo, k, n, planned;
  uint64_t j;      /* workers: a worker takes every j-th seed */
  double deadline; /* start no seed after it (wall_now); 0: none */
  const jsim_run_opts *o;
  int check;       /* --check-determinism */
} sweep_job;

static uint64_t job_seed(const sweep_job *jb, uint64_t i) {
  return jsim_shard_seed(jb->lo, jb->k, jb->n, i);
}

static int past_deadline(const sweep_job *jb) {
  return jb->deadline > 0 && wall_now() >= jb->deadline;
}

static size_t heap_in_use(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
  return mallinfo2().uordblks;
#else
  return 0;
#endif
}

static int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t m = write(fd, p, len);
    /* LCOV_EXCL_BR_LINE below: no signal handler: no EINTR */
    if (m < 0 && errno == EINTR) /* LCOV_EXCL_BR_LINE */
      continue;
    if (m <= 0)
      return -1;
    p += m;
    len -= (size_t)m;
  }
  return 0;
}

/* A pipe that holds many results, so a writer does not stall while its
 * reader waits for a burst (Linux; elsewhere the default size). */
static int roomy_pipe(int fds[2]) {
  if (pipe(fds) < 0) /* LCOV_EXCL_BR_LINE: pipe fails only out of fds */
    return -1;
#ifdef F_SETPIPE_SZ
  fcntl(fds[1], F_SETPIPE_SZ, 1 << 20); /* may fail: only slower */
#endif
  return 0;
}

static void burst_wait(void) {
  struct timespec ts = {0, BURST_WAIT_NS};
  nanosleep(&ts, NULL);
}

/* Bytes of whole results, read in bursts from a pipe. */
typedef struct inbox {
  int fd;
  size_t have, off; /* bytes in buf; bytes of them taken */
  unsigned char buf[BURST * sizeof(jsim_result)];
} inbox;

/* Read what the pipe holds now (at most the free space). 1 read some, 0 end
 * of file, -1 nothing yet (or EINTR). */
static int inbox_fill(inbox *in) {
  if (in->off > 0) {
    memmove(in->buf, in->buf + in->off, in->have - in->off);
    in->have -= in->off;
    in->off = 0;
  }
  ssize_t m = read(in->fd, in->buf + in->have, sizeof in->buf - in->have);
  if (m > 0) {
    in->have += (size_t)m;
    return 1;
  }
  return m == 0 ? 0 : -1;
}

/* Take the next whole result, if one is in. */
static int inbox_take(inbox *in, jsim_result *r) {
  if (in->have - in->off < sizeof *r)
    return 0;
  memcpy(r, in->buf + in->off, sizeof *r);
  in->off += sizeof *r;
  return 1;
}

/* Results on their way to the parent. */
typedef struct outbox {
  int fd;
  size_t n;
  jsim_result buf[BURST];
} outbox;

static void outbox_flush(outbox *ob) {
  size_t bytes = ob->n * sizeof ob->buf[0];
  /* LCOV_EXCL_BR_LINE below: fails only when the parent is gone */
  if (ob->n > 0 && write_all(ob->fd, ob->buf, bytes) < 0) /* LCOV_EXCL_BR_LINE */
    _exit(3);
  ob->n = 0;
}

static void outbox_put(outbox *ob, const jsim_result *r) {
  if (ob->n == BURST)
    outbox_flush(ob);
  ob->buf[ob->n++] = *r;
}

/* One seed as the runner runs it. 0, or -1: run it again outside (the
 * inline partner died). */
static int runner_seed(const sweep_job *jb, uint64_t seed,
                       const jsim_run_opts *in, jsim_partner *partner,
                       jsim_result *r) {
  if (!jb->check) {
    jsim_run_seed(jb->s, seed, in, r);
    return 0;
  }
  return jsim_run_checked(jb->s, seed, in, partner, r);
}

/* In the runner: seeds first, first + j, ... inline; see above. */
static void runner_main(const sweep_job *jb, uint64_t first, int fd) {
  jsim_run_opts in = *jb->o;
  in.fork = 0;
  jsim_partner partner = {0, -1, -1, 1};
  jsim_keep_stacks_warm();
  size_t heap0 = heap_in_use();
  signal(SIGPIPE, SIG_DFL);
  for (uint64_t i = first; i < jb->planned; i += jb->j) {
    if (past_deadline(jb))
      break;
    jsim_result r;
    if (runner_seed(jb, job_seed(jb, i), &in, &partner, &r) < 0) {
      jsim_partner_stop(&partner);
      _exit(4); /* the worker runs seed i again */
    }
    if (write_all(fd, &r, sizeof r) < 0)
      _exit(3);
    if (r.status != JSIM_PASS || heap_in_use() > heap0 + RUNNER_LEAK_BYTES)
      break;
  }
  jsim_partner_stop(&partner);
  _exit(0);
}

/* The next result from a runner, waiting at most limit_s; what the worker
 * holds for the parent goes out before it waits; `burst`: more than a
 * burst is still to come (wait for the rest of one). 1 got it, 0 the
 * runner closed the pipe first, -1 the time ran out. */
static int read_result(inbox *in, outbox *ob, jsim_result *r,
                       double limit_s, int burst) {
  double t0 = wall_now();
  for (;;) {
    if (inbox_take(in, r))
      return 1;
    int got = inbox_fill(in);
    if (got > 0)
      continue;
    if (got == 0)
      return 0;
    /* LCOV_EXCL_BR_LINE below: a pipe read fails only EAGAIN */
    if (errno != EAGAIN && errno != EINTR) /* LCOV_EXCL_BR_LINE */
      return 0;
    outbox_flush(ob);
    double left_s = limit_s - (wall_now() - t0);
    if (left_s <= 0)
      return -1;
    struct pollfd pfd = {in->fd, POLLIN, 0};
    if (poll(&pfd, 1, (int)(left_s * 1000) + 1) > 0 && burst)
      burst_wait(); /* let the results behind this one come too */
  }
}

/* Seed i alone, outside any runner: its own child, and with
 * --check-determinism a forking partner of its own. */
static void seed_alone(const sweep_job *jb, uint64_t i, jsim_result *r) {
  if (!jb->check) {
    jsim_run_seed(jb->s, job_seed(jb, i), jb->o, r);
    return;
  }
  jsim_partner partner = {0, -1, -1, 0};
  jsim_run_checked(jb->s, job_seed(jb, i), jb->o, &partner, r);
  jsim_partner_stop(&partner);
}

static void worker_main(const sweep_job *jb, uint64_t w, int fd) {
  double limit = jb->o->seed_timeout_s > 0 ? jb->o->seed_timeout_s : 300;
  /* checked: the runner waits up to limit + 1 s for its partner */
  double wait_s = jb->check ? limit + 2 : limit;
  static inbox in;
  static outbox ob;
  ob.fd = fd;
  uint64_t i = w;
  while (i < jb->planned && !past_deadline(jb)) {
    int fds[2];
    pid_t pid = -1;
    /* LCOV_EXCL_BR_LINE below: pipe fails only out of fds */
    if (roomy_pipe(fds) == 0) { /* LCOV_EXCL_BR_LINE */
      fflush(NULL);
      pid = fork();
      if (pid == 0) {
        close(fds[0]);
        close(fd);
        runner_main(jb, i, fds[1]);
      }
      close(fds[1]);
      if (pid < 0) /* LCOV_EXCL_BR_LINE: fork fails only out of processes */
        close(fds[0]);
      else
        fcntl(fds[0], F_SETFL, O_NONBLOCK);
    }
    in.fd = fds[0];
    in.have = in.off = 0;
    jsim_result r;
    int got = 0, rr = 0;
    double t0 = wall_now();
    while (pid > 0 && i < jb->planned &&
           (rr = read_result(&in, &ob, &r, wait_s,
                             (jb->planned - i) / jb->j > BURST)) == 1) {
      outbox_put(&ob, &r);
      i += jb->j;
      got++;
      t0 = wall_now();
    }
    outbox_flush(&ob);
    if (pid > 0) {
      close(fds[0]);
      if (rr < 0)
        kill(pid, SIGKILL);
      int st = 0;
      /* LCOV_EXCL_BR_LINE below: no EINTR */
      while (waitpid(pid, &st, 0) < 0 && errno == EINTR) /* LCOV_EXCL_BR_LINE */
        ;
      if (rr < 0) { /* hung in seed i */
        memset(&r, 0, sizeof r);
        r.seed = job_seed(jb, i);
        r.status = JSIM_TIMEOUT;
        r.wall_s = wall_now() - t0;
        snprintf(r.msg, sizeof r.msg,
                 "hung: no result after %.1fs of wall-clock time (a program "
                 "spinning without yielding?)",
                 limit);
      } else if (i >= jb->planned || (got > 0 && WIFEXITED(st) &&
                                      WEXITSTATUS(st) == 0)) {
        continue; /* done, or stopped after a failure: a fresh runner */
      } else if (past_deadline(jb) && WIFEXITED(st) &&
                 WEXITSTATUS(st) == 0) {
        break;
      } else { /* died in seed i, or could not start: seed i alone */
        seed_alone(jb, i, &r);
      }
    } else {
      seed_alone(jb, i, &r);
    }
    outbox_put(&ob, &r);
    outbox_flush(&ob);
    i += jb->j;
  }
  outbox_flush(&ob);
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
  if (res == NULL || ws == NULL) { /* LCOV_EXCL_BR_LINE: out of memory */
    fprintf(stderr, "jnet-sim sweep: out of memory\n");
    jnet__free(res);
    jnet__free(ws);
    jsim_scn_free(s);
    return 2;
  }
  fflush(NULL);
  for (uint64_t w = 0; w < nworkers; w++) {
    int fds[2];
    if (roomy_pipe(fds) < 0) {
      perror("jnet-sim sweep: pipe");
      nworkers = w;
      break;
    }
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      for (uint64_t x = 0; x < w; x++)
        close(ws[x].fd);
      sweep_job jb = {s, lo, k, n, planned, nworkers, deadline, &o, check};
      worker_main(&jb, w, fds[1]);
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
    int got_some = 0;
    for (nfds_t i = 0; pr > 0 && i < np; i++) {
      if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      worker *wk = &ws[map[i]];
      static unsigned char burst[BURST * sizeof(jsim_result)];
      ssize_t m = read(wk->fd, burst, sizeof burst);
      /* LCOV_EXCL_BR_LINE below: no signal handler: no EINTR */
      if (m < 0 && errno == EINTR) /* LCOV_EXCL_BR_LINE */
        continue;
      if (m <= 0) {
        close(wk->fd);
        wk->fd = -1;
        open_fds--;
        continue;
      }
      got_some = 1;
      for (size_t off = 0; off < (size_t)m;) {
        size_t take = sizeof wk->buf - wk->have;
        if (take > (size_t)m - off)
          take = (size_t)m - off;
        memcpy((char *)&wk->buf + wk->have, burst + off, take);
        off += take;
        wk->have += take;
        if (wk->have < sizeof wk->buf)
          break;
        wk->have = 0;
        if (nres == cap) {
          jsim_result *nr = jnet__realloc(res, 2 * cap * sizeof *res);
          if (nr == NULL) { /* LCOV_EXCL_BR_LINE: out of memory */
            fprintf(stderr, "jnet-sim sweep: out of memory\n");
            continue; /* this result is lost; keep draining the workers */
          }
          res = nr;
          cap *= 2;
        }
        res[nres++] = wk->buf;
        if (wk->buf.status != JSIM_PASS)
          failed++;
      }
    }
    if (got_some && planned - nres > BURST * nworkers)
      burst_wait(); /* let the results behind these come too */
    double now = wall_now();
    if (show_progress && (now - last_progress >= (tty ? 0.2 : 5.0))) {
      progress(tty, nres, planned, failed, now - t0);
      last_progress = now;
    }
  }
  jnet__free(pf);
  for (uint64_t w = 0; w < nworkers; w++) {
    int st;
    pid_t pid = ws[w].pid;
    /* LCOV_EXCL_BR_LINE below: no signal handler: no EINTR */
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) /* LCOV_EXCL_BR_LINE */
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
  /* LCOV_EXCL_BR_LINE below: pcaps NULL only out of memory */
  if (failed > 0 && rp.pcaps != NULL) { /* LCOV_EXCL_BR_LINE */
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
  /* LCOV_EXCL_BR_LINE below: NULL only out of memory */
  for (size_t i = 0; rp.pcaps != NULL && i < nres; i++) /* LCOV_EXCL_BR_LINE */
    jnet__free(rp.pcaps[i]);
  jnet__free(rp.pcaps);
  jnet__free(res);
  jnet__free(ws);
  jsim_scn_free(s);
  return rc;
}
