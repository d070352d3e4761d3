/* jnet_test.h — seeds for unit tests of simulated runs, with a replay line.
 *
 * A test of a simulated network is a function of its seed. This header
 * (header-only, any test framework) picks the seeds a test runs and, when a
 * seed's run fails, prints the one line that replays it:
 *
 *   replay: JNET_SEED=17 ./test_kv
 *
 *   JNET_TEST_SEEDS(seed, 1, 20) {      // seeds 1..20 by default
 *     jnet_sim *sim;
 *     jnet_sim_new(&sim, seed);
 *     ...
 *     ck_assert_int_eq(run_it(sim), 0);  // a failure prints the replay line
 *   }
 *
 * The environment overrides the default range:
 *   JNET_SEED=N       run seed N only (the replay)
 *   JNET_SEEDS=A..B   run seeds A..B (or JNET_SEEDS=N: N only)
 *
 * "Fails" means the body did not reach its end: the process exited (exit,
 * _exit: Check's fork mode), was killed (a framework's timeout), crashed
 * (SIGSEGV, SIGBUS, SIGFPE, abort: the line is written, then the signal goes
 * on to whatever handled it before), or jumped out of the body (Check with
 * CK_FORK=no). The line is written at once for an exit through exit() or a
 * signal; otherwise when the next JNET_TEST_SEEDS loop starts, or when the
 * process that forked the test (the framework's runner) exits: the armed
 * seed lives in a shared page mapped at start-up, so the runner sees what
 * its forked test left armed. Leave the body by its end, not by `break` or
 * `return`. For a test of one seed, jnet_test_seed() gives it (JNET_SEED or
 * the default) and jnet_test_done() says the run passed.
 *
 * Needs POSIX (sigaction, mmap): compile with -std=gnu11 or
 * -D_DEFAULT_SOURCE (with a strict -std=c11 glibc hides MAP_ANONYMOUS, and
 * a forked test's failure is then not seen by its runner).
 */
#ifndef JNET_TEST_H
#define JNET_TEST_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define JNET_TEST_SEEDS(var, first, last)                                      \
  for (uint64_t var = jnet_test_first((first), (last));                       \
       jnet_test_more(var); var++)

/* What a failure must print: shared with the forking runner when possible. */
typedef struct jnet_test_armed {
  int armed;      /* a body is running: print the line if it fails */
  size_t len;     /* of line */
  char line[320]; /* "replay: JNET_SEED=N ./prog\n" */
} jnet_test_armed;

/* This process's own state. */
typedef struct jnet_test_state {
  jnet_test_armed *a; /* the shared page, or &own */
  jnet_test_armed own;
  uint64_t last;  /* the range's last seed */
  int ended;      /* the last seed has been armed */
  int hooked;     /* the signal handlers are installed in this process */
  pid_t hook_pid; /* ... by this process (a forked child installs its own) */
  struct sigaction old[4];
} jnet_test_state;

static inline void jnet_test_at_exit_(void);

static inline jnet_test_state *jnet_test_state_(void) {
  static jnet_test_state st;
  if (st.a == NULL) {
    void *p = MAP_FAILED;
#if defined(MAP_ANONYMOUS)
    p = mmap(NULL, sizeof *st.a, PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
#elif defined(MAP_ANON)
    p = mmap(NULL, sizeof *st.a, PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_ANON, -1, 0);
#endif
    st.a = p == MAP_FAILED ? &st.own : (jnet_test_armed *)p;
    atexit(jnet_test_at_exit_);
  }
  return &st;
}

#if defined(__GNUC__) || defined(__clang__)
/* Map the shared page before a test framework forks its first test. */
__attribute__((constructor)) static void jnet_test_init_(void) {
  (void)jnet_test_state_();
}
#endif

/* The signals after which the replay line is written. */
static inline int jnet_test_signal_(int i) {
  return i == 0 ? SIGABRT : i == 1 ? SIGSEGV : i == 2 ? SIGBUS : SIGFPE;
}

/* Parses a decimal number into *out: 0, or -1 if s does not start with one. */
static inline int jnet_test_parse_(const char *s, const char **end,
                                   uint64_t *out) {
  char *e;
  if (s == NULL || *s < '0' || *s > '9')
    return -1;
  *out = strtoull(s, &e, 10);
  *end = e;
  return 0;
}

/* Writes the armed line, once (async-signal-safe). */
static inline void jnet_test_print_(void) {
  jnet_test_armed *a = jnet_test_state_()->a;
  if (a->armed) {
    a->armed = 0;
    if (write(STDERR_FILENO, a->line, a->len) < 0) {
      /* nothing more to do: stderr is gone */
    }
  }
}

static inline void jnet_test_at_exit_(void) { jnet_test_print_(); }

static inline void jnet_test_on_signal_(int sig, siginfo_t *info,
                                        void *uctx) {
  jnet_test_state *st = jnet_test_state_();
  (void)uctx;
  jnet_test_print_();
  for (int i = 0; i < 4; i++)
    if (jnet_test_signal_(i) == sig)
      sigaction(sig, &st->old[i], NULL);
  /* A fault re-runs the faulting instruction under the old handler; a sent
   * signal (abort, raise, kill) is sent again. */
  if (info == NULL || info->si_code <= 0)
    raise(sig);
}

/* This process's name as run (argv[0]), for the replay line. */
static inline void jnet_test_prog_(char *out, size_t n) {
  FILE *f = fopen("/proc/self/cmdline", "r");
  size_t got = 0;
  if (f != NULL) {
    got = fread(out, 1, n - 1, f);
    fclose(f);
  }
  out[got] = '\0';
  if (out[0] == '\0')
    snprintf(out, n, "the_test");
}

/* Marks seed's run as started: until the next seed, jnet_test_done() or the
 * range's end, a failure prints the replay line. A seed still armed (its
 * body did not reach its end) prints its line first. */
static inline void jnet_test_arm(uint64_t seed) {
  jnet_test_state *st = jnet_test_state_();
  char prog[200];
  jnet_test_print_();
  if (!st->hooked || st->hook_pid != getpid()) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = jnet_test_on_signal_;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 4; i++)
      sigaction(jnet_test_signal_(i), &sa, &st->old[i]);
    st->hooked = 1;
    st->hook_pid = getpid();
  }
  jnet_test_prog_(prog, sizeof prog);
  int n = snprintf(st->a->line, sizeof st->a->line,
                   "replay: JNET_SEED=%llu %s%s\n", (unsigned long long)seed,
                   strchr(prog, '/') ? "" : "./", prog);
  st->a->len = n < 0 ? 0
               : (size_t)n < sizeof st->a->line ? (size_t)n
                                                : sizeof st->a->line - 1;
  st->a->armed = 1;
}

/* The run armed last passed: no replay line. */
static inline void jnet_test_done(void) { jnet_test_state_()->a->armed = 0; }

/* The seed of a one-seed test: JNET_SEED, else def. Arms the replay line;
 * call jnet_test_done() when the run passed. */
static inline uint64_t jnet_test_seed(uint64_t def) {
  const char *end;
  uint64_t seed;
  if (jnet_test_parse_(getenv("JNET_SEED"), &end, &seed) != 0 || *end != '\0')
    seed = def;
  jnet_test_arm(seed);
  return seed;
}

/* The first seed of a test over first..last (JNET_SEED or JNET_SEEDS
 * override it); jnet_test_more() arms each seed and ends the range. */
static inline uint64_t jnet_test_first(uint64_t first, uint64_t last) {
  jnet_test_state *st = jnet_test_state_();
  const char *end;
  uint64_t a, b;
  const char *one = getenv("JNET_SEED"), *range = getenv("JNET_SEEDS");
  jnet_test_print_(); /* a body before this loop did not reach its end */
  if (jnet_test_parse_(one, &end, &a) == 0 && *end == '\0') {
    first = last = a;
  } else if (jnet_test_parse_(range, &end, &a) == 0) {
    if (*end == '\0')
      first = last = a;
    else if (strncmp(end, "..", 2) == 0 &&
             jnet_test_parse_(end + 2, &end, &b) == 0 && *end == '\0' &&
             a <= b)
      first = a, last = b;
    else
      fprintf(stderr,
              "jnet_test: JNET_SEEDS=%s is not N or A..B; using %llu..%llu\n",
              range, (unsigned long long)first, (unsigned long long)last);
  }
  st->last = last;
  st->ended = first > last;
  return first;
}

static inline int jnet_test_more(uint64_t seed) {
  jnet_test_state *st = jnet_test_state_();
  st->a->armed = 0; /* the previous seed reached the end of the body */
  if (st->ended || seed > st->last)
    return 0;
  st->ended = seed == st->last; /* no wrap past UINT64_MAX */
  jnet_test_arm(seed);
  return 1;
}

#endif /* JNET_TEST_H */
