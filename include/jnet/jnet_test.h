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
 * "Fails" means the body did not reach its end: a failed assertion that
 * exits (Check's fork mode) or jumps out (CK_FORK=no), abort(), a crash
 * (SIGSEGV, SIGBUS, SIGFPE: the line is written, then the signal goes on to
 * whatever handled it before). Leave the body by its end, not by `break` or
 * `return`. For a test of one seed, jnet_test_seed() gives it (JNET_SEED or
 * the default) and jnet_test_done() says the run passed.
 */
#ifndef JNET_TEST_H
#define JNET_TEST_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JNET_TEST_SEEDS(var, first, last)                                      \
  for (uint64_t var = jnet_test_first((first), (last));                       \
       jnet_test_more(var); var++)

typedef struct jnet_test_state {
  uint64_t last;     /* the range's last seed */
  int ended;         /* the last seed has been armed */
  int armed;         /* a body is running: print the replay if it fails */
  int hooked;        /* atexit and the signal handlers are installed */
  char line[320];    /* "replay: JNET_SEED=N ./prog\n" */
  size_t line_len;
  struct sigaction old[4];
} jnet_test_state;

static inline jnet_test_state *jnet_test_state_(void) {
  static jnet_test_state st;
  return &st;
}

/* The signals after which the replay line is written. */
static inline int jnet_test_signal_(int i) {
  return i == 0 ? SIGABRT : i == 1 ? SIGSEGV : i == 2 ? SIGBUS : SIGFPE;
}

/* Parses "N" into *out: 0 on success, -1 if s is not a decimal number. */
static inline int jnet_test_parse_(const char *s, const char **end,
                                   uint64_t *out) {
  char *e;
  if (s == NULL || *s < '0' || *s > '9')
    return -1;
  *out = strtoull(s, &e, 10);
  *end = e;
  return 0;
}

static inline void jnet_test_print_(void) {
  jnet_test_state *st = jnet_test_state_();
  if (st->armed) {
    st->armed = 0;
    if (write(STDERR_FILENO, st->line, st->line_len) < 0) {
      /* nothing more to do: stderr is gone */
    }
  }
}

static inline void jnet_test_at_exit_(void) { jnet_test_print_(); }

static inline void jnet_test_on_signal_(int sig) {
  jnet_test_state *st = jnet_test_state_();
  jnet_test_print_();
  for (int i = 0; i < 4; i++)
    if (jnet_test_signal_(i) == sig)
      sigaction(sig, &st->old[i], NULL);
  /* A fault re-runs the faulting instruction under the old handler; a sent
   * signal (abort) is sent again. */
  if (sig == SIGABRT)
    raise(sig);
}

/* This process's name as run, for the replay line. */
static inline void jnet_test_prog_(char *out, size_t n) {
  FILE *f = fopen("/proc/self/cmdline", "r");
  size_t got = 0;
  if (f != NULL) {
    got = fread(out, 1, n - 1, f);
    fclose(f);
  }
  out[got] = '\0';
  if (got == 0 || strlen(out) == 0)
    snprintf(out, n, "./the_test");
  else if (strchr(out, '/') == NULL) {
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", out);
    snprintf(out, n, "./%s", tmp);
  }
}

/* Marks seed's run as started: until the next seed, jnet_test_done() or the
 * range's end, a failure prints the replay line. A seed still armed (its
 * body jumped out) prints its line first. */
static inline void jnet_test_arm(uint64_t seed) {
  jnet_test_state *st = jnet_test_state_();
  char prog[256];
  jnet_test_print_();
  if (!st->hooked) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = jnet_test_on_signal_;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 4; i++)
      sigaction(jnet_test_signal_(i), &sa, &st->old[i]);
    atexit(jnet_test_at_exit_);
    st->hooked = 1;
  }
  jnet_test_prog_(prog, sizeof prog);
  int n = snprintf(st->line, sizeof st->line, "replay: JNET_SEED=%llu %s\n",
                   (unsigned long long)seed, prog);
  st->line_len = n < 0 ? 0 : (size_t)n < sizeof st->line ? (size_t)n
                                                          : sizeof st->line - 1;
  st->armed = 1;
}

/* The run armed last passed: no replay line. */
static inline void jnet_test_done(void) { jnet_test_state_()->armed = 0; }

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
      fprintf(stderr, "jnet_test: JNET_SEEDS=%s is not N or A..B; using "
                      "%llu..%llu\n",
              range, (unsigned long long)first, (unsigned long long)last);
  }
  st->last = last;
  st->ended = first > last;
  return first;
}

static inline int jnet_test_more(uint64_t seed) {
  jnet_test_state *st = jnet_test_state_();
  st->armed = 0; /* the previous seed reached the end of the body */
  if (st->ended || seed > st->last)
    return 0;
  st->ended = seed == st->last; /* no wrap past UINT64_MAX */
  jnet_test_arm(seed);
  return 1;
}

#endif /* JNET_TEST_H */
