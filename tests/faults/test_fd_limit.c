/* test_fd_limit.c — file descriptor exhaustion on real sockets: with
 * RLIMIT_NOFILE lowered, opening streams ends in a clear JNET_EMFILE (never a
 * crash or a hang), and once descriptors are freed the same calls work again.
 */
#include <check.h>
#include <stdio.h>
#include <sys/resource.h>

#include <jnet/jnet.h>
#include "jnet_check.h"

#define MAX_STREAMS 256

typedef struct {
  jnet_stream s[MAX_STREAMS];
  int n;          /* streams opened before the first error */
  int first_err;  /* that error */
  int after_free; /* listen once half were closed */
  int accept_err; /* accept on a full table, with a client waiting */
} fdwork;

static void exhaust(void *arg) {
  fdwork *w = arg;
  w->first_err = 0;
  for (w->n = 0; w->n < MAX_STREAMS; w->n++) {
    int err = jnet_listen("127.0.0.1", NULL, JNET_DATAGRAM, &w->s[w->n]);
    if (err < 0) {
      w->first_err = err;
      break;
    }
  }
  for (int i = 0; i < w->n; i += 2) /* free every other descriptor */
    jnet_close(w->s[i]);
  jnet_stream again;
  w->after_free = jnet_listen("127.0.0.1", NULL, JNET_STREAM, &again);
  if (w->after_free == 0)
    jnet_close(again);
  for (int i = 1; i < w->n; i += 2)
    jnet_close(w->s[i]);
}

START_TEST(fd_exhaustion_gives_emfile_and_recovers) {
  struct rlimit old, low;
  ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
  low = old;
  low.rlim_cur = 64; /* leaves room for stdio, libuv's own fds, Check's pipe */
  ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
  const jnet_backend *b = jnet_backend_uv();
  ck_assert_ptr_nonnull(b);
  jnet_loop *l;
  ck_assert_int_eq(jnet_loop_new(&l, b), 0);
  fdwork w = {0};
  ck_assert_int_eq(jnet_go(l, exhaust, &w), 0);
  ck_assert_int_eq(jnet_run(l), 0);
  ck_assert_int_eq(jnet_run_once(l), 0); /* ran to idle */
  ck_assert_int_eq(jnet_loop_close(l), 0); /* and left nothing alive */
  jnet_backend_free(b);
  setrlimit(RLIMIT_NOFILE, &old);
  ck_assert_msg(w.n > 10 && w.n < 64, "opened %d streams under a limit of 64", w.n);
  ck_assert_int_eq(w.first_err, JNET_EMFILE);
  ck_assert_int_eq(w.after_free, 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("fd-limit");
  jc_defaults(30, NULL, NULL);
  JC_TEST(s, fd_exhaustion_gives_emfile_and_recovers);
  return jc_run(s);
}
