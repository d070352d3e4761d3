/* test_lincheck_cli.c — `jnet-sim lincheck` (exit codes, output, the files
 * written on a violation), `expect linearizable` in a scenario, and the kv
 * store's planted bug found by the checker in a sweep.
 */
#include <check.h>
#include "jnet_check.h"
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];

static void mkdir_tmp(void) {
  snprintf(dir, sizeof dir, "/tmp/jnet-lincheck-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void rm_tmp(void) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  ck_assert_int_eq(system(cmd), 0);
}

static void write_file(const char *name, const char *text) {
  char path[400];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

static int exists(const char *name) {
  char path[400];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return access(path, F_OK) == 0;
}

/* Run `jnet-sim ARGS` in dir; its exit status; stdout+stderr in *out. */
static int jsim(char **out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int jsim(char **out, const char *fmt, ...) {
  char args[1500], cmd[2000];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(args, sizeof args, fmt, ap);
  va_end(ap);
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s 2>&1", dir, JSIM, args);
  FILE *p = popen(cmd, "r");
  ck_assert_ptr_nonnull(p);
  size_t cap = 1 << 16, len = 0, n;
  char *buf = malloc(cap);
  while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
    len += n;
    if (cap - len < 2)
      buf = realloc(buf, cap *= 2);
  }
  buf[len] = 0;
  int st = pclose(p);
  *out = buf;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define LINE(p, type, f, value, t)                                             \
  "{\"process\":" #p ",\"type\":\"" type "\",\"f\":\"" f "\",\"key\":\"k\","   \
  "\"value\":" value ",\"time\":" #t "}\n"

START_TEST(exit_codes) {
  mkdir_tmp();
  char *out;
  write_file("good.jsonl",
             LINE(0, "invoke", "write", "1", 0) LINE(0, "ok", "write", "1", 10)
                 LINE(1, "invoke", "read", "null", 20)
                     LINE(1, "ok", "read", "1", 30));
  ck_assert_int_eq(jsim(&out, "lincheck good.jsonl"), 0);
  ck_assert_ptr_nonnull(strstr(out, "good.jsonl: linearizable"));
  free(out);

  write_file("bad.jsonl",
             LINE(0, "invoke", "write", "1", 0) LINE(0, "ok", "write", "1", 10)
                 LINE(2, "invoke", "write", "5", 11)
                     LINE(2, "ok", "write", "5", 12)
                         LINE(1, "invoke", "read", "null", 20)
                             LINE(1, "ok", "read", "null", 30));
  ck_assert_int_eq(jsim(&out, "lincheck bad.jsonl"), 1);
  ck_assert_ptr_nonnull(strstr(out, "NOT linearizable: key \"k\""));
  /* The smallest failing sub-history: write 5, then a read of null
   * (write 1 is not needed to show the failure). */
  ck_assert_ptr_nonnull(strstr(out, "\"value\":5,\"time\":12}"));
  ck_assert_ptr_null(strstr(out, "\"time\":0}"));
  free(out);
  ck_assert(exists("bad.violation.jsonl"));
  ck_assert(exists("bad.html"));
  /* The sub-history written fails on its own. */
  ck_assert_int_eq(jsim(&out, "lincheck bad.violation.jsonl --no-files"), 1);
  free(out);
  /* A file named only ".jsonl" keeps its name as the base. */
  write_file(".jsonl",
             LINE(0, "invoke", "write", "1", 0) LINE(0, "ok", "write", "1", 10)
                 LINE(2, "invoke", "write", "5", 11)
                     LINE(2, "ok", "write", "5", 12)
                         LINE(1, "invoke", "read", "null", 20)
                             LINE(1, "ok", "read", "null", 30));
  ck_assert_int_eq(jsim(&out, "lincheck .jsonl"), 1);
  free(out);
  ck_assert(exists(".jsonl.violation.jsonl"));
  ck_assert(exists(".jsonl.html"));
  ck_assert(!exists(".violation.jsonl"));
  ck_assert_int_eq(jsim(&out, "lincheck bad.jsonl --out x/y"), 1);
  ck_assert_ptr_nonnull(strstr(out, "cannot write")); /* no x/: said, */
  ck_assert_ptr_nonnull(strstr(out, strerror(ENOENT))); /* with why, */
  free(out);                                            /* still exit 1 */
  /* The system's reason as it is, not one for every failure: a file
   * where the directory should be is "Not a directory". */
  write_file("afile", "");
  ck_assert_int_eq(jsim(&out, "lincheck bad.jsonl --out afile/y"), 1);
  ck_assert_ptr_nonnull(strstr(out, strerror(ENOTDIR)));
  ck_assert_ptr_null(strstr(out, strerror(EACCES)));
  free(out);

  write_file("mal.jsonl",
             LINE(0, "invoke", "write", "1", 0) LINE(0, "ok", "write", "1", 10)
                 LINE(0, "ok", "write", "1", 11));
  ck_assert_int_eq(jsim(&out, "lincheck mal.jsonl"), 2);
  ck_assert_ptr_nonnull(strstr(out, "mal.jsonl:3:1: error:"));
  free(out);
  write_file("mal2.jsonl", LINE(0, "invoke", "write", "1", 0) "{\"process\"\n");
  ck_assert_int_eq(jsim(&out, "lincheck mal2.jsonl"), 2);
  ck_assert_ptr_nonnull(strstr(out, "mal2.jsonl:2:"));
  free(out);
  ck_assert_int_eq(jsim(&out, "lincheck nosuch.jsonl"), 2);
  ck_assert_ptr_nonnull(strstr(out, "cannot open"));
  free(out);
  ck_assert_int_eq(jsim(&out, "lincheck"), 2);
  free(out);
  ck_assert_int_eq(jsim(&out, "lincheck --help"), 0);
  ck_assert_ptr_nonnull(strstr(out, "usage: jnet-sim lincheck"));
  free(out);
  write_file("empty.jsonl", "");
  ck_assert_int_eq(jsim(&out, "lincheck empty.jsonl"), 0);
  free(out);
  rm_tmp();
}
END_TEST

START_TEST(expect_linearizable_parses) {
  mkdir_tmp();
  char *out;
  write_file("a.scn", "host c 192.0.2.1\nrun c kv-client\n"
                      "expect linearizable\n");
  ck_assert_int_eq(jsim(&out, "check a.scn"), 0);
  ck_assert_ptr_nonnull(strstr(out, "1 expectations"));
  free(out);
  write_file("b.scn", "host c 192.0.2.1\nrun c kv-client\n"
                      "expect linearizable now\n");
  ck_assert_int_eq(jsim(&out, "check b.scn"), 2);
  ck_assert_ptr_nonnull(strstr(out, "b.scn:3:21: error: expected end of "
                                    "line, got 'now'"));
  free(out);
  rm_tmp();
}
END_TEST

/* The planted bug: kv-server-buggy acknowledges a write before it reaches
 * the backup; the checker finds the acknowledged write that a later read
 * does not see, and every failing seed leaves its history behind. */
START_TEST(kv_bug_found_by_the_checker) {
  mkdir_tmp();
  char *out;
  int rc = jsim(&out,
                "sweep %s/kv-replication-bug.scn --seeds 1..60 -j 2 "
                "--no-progress --pcap-dir caps",
                SCN_DIR);
  ck_assert_int_eq(rc, 1);
  int violations = 0;
  long first = -1;
  for (char *p = strstr(out, ": fail: not linearizable: key"); p != NULL;
       p = strstr(p + 1, ": fail: not linearizable: key")) {
    violations++;
    if (first < 0) {
      char *s = p;
      while (s > out && s[-1] != ' ')
        s--;
      first = strtol(s, NULL, 10);
    }
  }
  ck_assert_msg(violations >= 3, "only %d violations:\n%s", violations, out);
  ck_assert_ptr_nonnull(strstr(out, "history written: caps/"));
  free(out);
  /* One history file per violating seed, each failing lincheck again. */
  DIR *d;
  char caps[400];
  snprintf(caps, sizeof caps, "%s/caps", dir);
  ck_assert_ptr_nonnull(d = opendir(caps));
  int files = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    size_t n = strlen(de->d_name);
    if (n < 14 || strcmp(de->d_name + n - 14, ".history.jsonl") != 0)
      continue;
    files++;
    ck_assert_int_eq(jsim(&out, "lincheck caps/%s --no-files", de->d_name), 1);
    ck_assert_ptr_nonnull(strstr(out, "NOT linearizable"));
    free(out);
  }
  closedir(d);
  ck_assert_int_eq(files, violations);
  /* `run` of one such seed says where its history went. */
  ck_assert_int_eq(jsim(&out,
                        "run %s/kv-replication-bug.scn --seed %ld "
                        "--pcap one.pcap",
                        SCN_DIR, first),
                   1);
  ck_assert_ptr_nonnull(strstr(out, "not linearizable"));
  ck_assert_ptr_nonnull(strstr(out, "history written: one.history.jsonl"));
  free(out);
  ck_assert(exists("one.history.html"));
  /* --history writes a passing run's history too: the correct store's. */
  ck_assert_int_eq(jsim(&out,
                        "run %s/kv-replication.scn --seed %ld "
                        "--history ok.jsonl",
                        SCN_DIR, first),
                   0);
  free(out);
  ck_assert_int_eq(jsim(&out, "lincheck ok.jsonl"), 0);
  ck_assert_ptr_nonnull(strstr(out, "ok.jsonl: linearizable ("));
  ck_assert_ptr_null(strstr(out, "(0 operations"));
  free(out);
  rm_tmp();
}
END_TEST

int main(void) {
  Suite *s = suite_create("lincheck-cli");
  jc_defaults(240, NULL, NULL);
  JC_TEST(s, exit_codes);
  JC_TEST(s, expect_linearizable_parses);
  JC_TEST(s, kv_bug_found_by_the_checker);
  return jc_run(s);
}
