/* shell.h — the fixture of the suites that drive jnet-sim from a shell: a
 * scratch directory per test (shell_setup/shell_teardown) and sh(), which
 * runs a command there and keeps its output in `out`. Included by one test
 * file each (its statics are that file's). */
#ifndef JSIM_TEST_SHELL_H
#define JSIM_TEST_SHELL_H

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static char dir[256];
static char out[1 << 16];

/* A fresh directory from a mkdtemp template ("/tmp/NAME-XXXXXX"). */
static inline void shell_setup(const char *tmpl) {
  snprintf(dir, sizeof dir, "%s", tmpl);
  ck_assert_ptr_nonnull(mkdtemp(dir));
}

static inline void shell_teardown(void) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "cannot remove %s\n", dir);
}

/* Run a shell command in dir (stdout+stderr into out); its exit status. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...) {
  char cmd[2048], full[2400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  snprintf(full, sizeof full, "cd '%s' && (%s) 2>&1", dir, cmd);
  FILE *p = popen(full, "r");
  ck_assert_ptr_nonnull(p);
  size_t n = fread(out, 1, sizeof out - 1, p);
  out[n] = 0;
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

#endif /* JSIM_TEST_SHELL_H */
