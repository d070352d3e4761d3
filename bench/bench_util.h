/* bench_util.h — what every benchmark in bench/ shares: a monotonic wall
 * clock, CPU time, the median of a few trials, result lines, peak RSS.
 *
 * A benchmark prints one line per figure on stdout, `name<TAB>value<TAB>unit`
 * (bench/run.sh collects them into results.tsv), and anything else on
 * stderr. Header-only: each benchmark is one C file.
 */
#ifndef JNET_BENCH_UTIL_H
#define JNET_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Wall-clock seconds from a monotonic clock (never used inside a
 * simulation, only around one). */
static inline double bench_wall_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU seconds this process has used (user + system). */
static inline double bench_cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int bench__cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The median of v[n] (sorts v in place); 0 for n == 0. */
static inline double bench_median(double *v, size_t n) {
  if (n == 0) return 0;
  qsort(v, n, sizeof *v, bench__cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Print one result line: name<TAB>value<TAB>unit. */
static inline void bench_result(const char *name, double value,
                                const char *unit) {
  printf("%s\t%.6g\t%s\n", name, value, unit);
  fflush(stdout);
}

/* Peak resident set size of this process in bytes (VmHWM from
 * /proc/self/status), or 0 if it cannot be read. */
static inline long long bench_peak_rss_bytes(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long long kib = 0;
  if (!f) return 0;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "VmHWM:", 6) == 0) {
      kib = strtoll(line + 6, NULL, 10);
      break;
    }
  }
  fclose(f);
  return kib * 1024;
}

/* An integer argument argv[i] if present and positive, else `def`. */
static inline long bench_arg_long(int argc, char **argv, int i, long def) {
  if (i < argc) {
    long v = strtol(argv[i], NULL, 10);
    if (v > 0) return v;
  }
  return def;
}

/* A floating argument argv[i] if present and positive, else `def`. */
static inline double bench_arg_double(int argc, char **argv, int i,
                                      double def) {
  if (i < argc) {
    double v = strtod(argv[i], NULL);
    if (v > 0) return v;
  }
  return def;
}

#endif /* JNET_BENCH_UTIL_H */
