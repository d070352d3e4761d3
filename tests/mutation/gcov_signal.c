/* gcov_signal.c — linked into the programs of mutate.py's coverage build
 * only (with tests/coverage/gcov_exit.c). A process that dies of a signal
 * (an abort() a test expects, a crash, a SIGTERM from a test's timeout)
 * writes its coverage counters first, so the lines it reached count as
 * reached; the signal is then delivered again with its default action, so
 * the exit status a test sees is unchanged. A program that installs its own
 * handler replaces this one. The handler runs on an alternate stack, so a
 * smashed fiber stack still gets its counters written. */
#define _XOPEN_SOURCE 700
#include <signal.h>
#include <stdlib.h>

void __gcov_dump(void);

static void on_fatal(int sig) {
  __gcov_dump();
  signal(sig, SIG_DFL);
  raise(sig);
}

__attribute__((constructor)) static void install(void) {
  static const int sigs[] = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE,
                             SIGILL,  SIGTERM, SIGINT, SIGALRM};
  stack_t ss;
  ss.ss_sp = malloc(1 << 16);
  ss.ss_size = 1 << 16;
  ss.ss_flags = 0;
  if (ss.ss_sp != NULL) sigaltstack(&ss, NULL);
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    struct sigaction sa, old;
    sa.sa_handler = on_fatal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
    /* leave alone a signal the environment ignores (nohup, a shell's &) */
    if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
      continue;
    sigaction(sigs[i], &sa, NULL);
  }
}
