/* test_seeds.c — <jnet/jnet_test.h>: which seeds JNET_TEST_SEEDS runs
 * (the default range, JNET_SEED, JNET_SEEDS) and the replay line a failing
 * seed prints (an exit, a jump out of the body, abort(), a crash), or not
 * (a passing body). Each case runs the body in a child process and reads
 * its stderr. */
#include <check.h>
#include "jnet_check.h"
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jnet/jnet_test.h>

/* How the child's body fails on seed `fail_at`. */
enum { PASS, EXIT, JUMP, ABORT, SEGV, FAULT, QUICK_EXIT };

static jmp_buf jump;

/* Runs JNET_TEST_SEEDS(seed, first, last) in a child with JNET_SEED /
 * JNET_SEEDS as given (NULL: unset); the body prints "seed N" to stdout and
 * fails at fail_at as `how`. Returns the child's wait status; out gets its
 * stdout then stderr. */
static int run_child(const char *one, const char *range, uint64_t first,
                     uint64_t last, uint64_t fail_at, int how, char *out,
                     size_t n) {
  int fd[2];
  ck_assert_int_eq(pipe(fd), 0);
  fflush(NULL);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    close(fd[0]);
    dup2(fd[1], 1);
    dup2(fd[1], 2);
    setvbuf(stdout, NULL, _IONBF, 0);
    one ? setenv("JNET_SEED", one, 1) : unsetenv("JNET_SEED");
    range ? setenv("JNET_SEEDS", range, 1) : unsetenv("JNET_SEEDS");
    signal(SIGSEGV, SIG_DFL);
    signal(SIGABRT, SIG_DFL);
    int jumped = 0;
    if (how == JUMP && setjmp(jump) != 0)
      jumped = 1; /* CK_FORK=no: the failed body longjmps out */
    if (!jumped) {
      JNET_TEST_SEEDS(seed, first, last) {
        printf("seed %llu\n", (unsigned long long)seed);
        if (seed == fail_at) {
          if (how == EXIT)
            exit(1);
          if (how == QUICK_EXIT)
            _exit(1); /* Check's fork mode: no atexit */
          if (how == JUMP)
            longjmp(jump, 1);
          if (how == ABORT)
            abort();
          if (how == SEGV)
            raise(SIGSEGV);
          if (how == FAULT) {
            volatile int *p = NULL;
            __asm__ volatile("" : "+r"(p)); /* a null the compiler can't see */
            *p = 1;
          }
        }
      }
    } else {
      /* The next test arms its own seed: the jumped-out one reports. */
      JNET_TEST_SEEDS(seed, 100, 100) { printf("seed %llu\n", (unsigned long long)seed); }
    }
    exit(0);
  }
  close(fd[1]);
  size_t got = 0;
  ssize_t r;
  while (got + 1 < n && (r = read(fd[0], out + got, n - 1 - got)) > 0)
    got += (size_t)r;
  out[got] = '\0';
  close(fd[0]);
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  return status;
}

static int count(const char *s, const char *what) {
  int k = 0;
  for (const char *p = s; (p = strstr(p, what)) != NULL; p++)
    k++;
  return k;
}

START_TEST(default_range_runs_every_seed_and_a_pass_prints_no_replay) {
  char out[4096];
  int st = run_child(NULL, NULL, 1, 5, 0, PASS, out, sizeof out);
  ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  ck_assert_int_eq(count(out, "seed "), 5);
  ck_assert_ptr_nonnull(strstr(out, "seed 1\n"));
  ck_assert_ptr_nonnull(strstr(out, "seed 5\n"));
  ck_assert_ptr_null(strstr(out, "replay:"));
}
END_TEST

START_TEST(jnet_seed_runs_one_seed) {
  char out[4096];
  run_child("42", NULL, 1, 5, 0, PASS, out, sizeof out);
  ck_assert_str_eq(out, "seed 42\n");
}
END_TEST

START_TEST(jnet_seeds_runs_a_range_or_one) {
  char out[4096];
  run_child(NULL, "7..9", 1, 5, 0, PASS, out, sizeof out);
  ck_assert_str_eq(out, "seed 7\nseed 8\nseed 9\n");
  run_child(NULL, "11", 1, 5, 0, PASS, out, sizeof out);
  ck_assert_str_eq(out, "seed 11\n");
}
END_TEST

START_TEST(bad_jnet_seeds_says_so_and_keeps_the_default) {
  char out[4096];
  run_child(NULL, "9..3", 1, 2, 0, PASS, out, sizeof out);
  ck_assert_ptr_nonnull(strstr(out, "JNET_SEEDS=9..3 is not N or A..B"));
  ck_assert_int_eq(count(out, "seed "), 2);
}
END_TEST

START_TEST(range_ending_at_uint64_max_stops) {
  char out[4096];
  run_child(NULL, NULL, UINT64_MAX - 1, UINT64_MAX, 0, PASS, out, sizeof out);
  ck_assert_int_eq(count(out, "seed "), 2);
}
END_TEST

/* The failing seed's replay line, whatever way the body fails. */
static void check_replay(int how, int want_signal) {
  char out[4096];
  int st = run_child(NULL, NULL, 1, 6, 4, how, out, sizeof out);
  if (want_signal)
    ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == want_signal, "%s", out);
  ck_assert_msg(strstr(out, "replay: JNET_SEED=4 ") != NULL, "%s", out);
  ck_assert_int_eq(count(out, "replay:"), 1);
  ck_assert_ptr_nonnull(strstr(out, "test_seeds"));
}

START_TEST(a_failing_exit_prints_the_replay_line) { check_replay(EXIT, 0); }
END_TEST

START_TEST(a_body_jumped_out_of_prints_the_replay_line) {
  check_replay(JUMP, 0);
}
END_TEST

START_TEST(abort_prints_the_replay_line) { check_replay(ABORT, SIGABRT); }
END_TEST

START_TEST(a_sent_sigsegv_prints_the_replay_line) {
  check_replay(SEGV, SIGSEGV);
}
END_TEST

START_TEST(a_real_fault_prints_the_replay_line) {
  check_replay(FAULT, SIGSEGV);
}
END_TEST

/* A child that _exits (Check's fork mode) prints nothing itself: the seed
 * stays armed in the shared page, and the process that forked it (the
 * framework's runner, here this test) prints it at its next loop or exit. */
START_TEST(an_exit_without_atexit_leaves_the_line_to_the_runner) {
  char out[4096];
  int st = run_child(NULL, NULL, 1, 6, 4, QUICK_EXIT, out, sizeof out);
  ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1);
  ck_assert_ptr_null(strstr(out, "replay:"));
  jnet_test_armed *a = jnet_test_state_()->a;
  ck_assert_int_eq(a->armed, 1);
  ck_assert_ptr_nonnull(strstr(a->line, "replay: JNET_SEED=4 "));
  jnet_test_done(); /* this runner's own exit would print it */
}
END_TEST

int main(void) {
  Suite *s = suite_create("jnet-test");
  jc_defaults(0, NULL, NULL);
  JC_TEST(s, default_range_runs_every_seed_and_a_pass_prints_no_replay);
  JC_TEST(s, jnet_seed_runs_one_seed);
  JC_TEST(s, jnet_seeds_runs_a_range_or_one);
  JC_TEST(s, bad_jnet_seeds_says_so_and_keeps_the_default);
  JC_TEST(s, range_ending_at_uint64_max_stops);
  JC_TEST(s, a_failing_exit_prints_the_replay_line);
  JC_TEST(s, a_body_jumped_out_of_prints_the_replay_line);
  JC_TEST(s, an_exit_without_atexit_leaves_the_line_to_the_runner);
  JC_TEST(s, abort_prints_the_replay_line);
  JC_TEST(s, a_sent_sigsegv_prints_the_replay_line);
  JC_TEST(s, a_real_fault_prints_the_replay_line);
  return jc_run(s);
}
