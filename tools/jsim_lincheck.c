/* jsim_lincheck.c — `jnet-sim lincheck FILE`, and the pieces the runner
 * shares with it: a one-line summary of a violation and the history files
 * (JSON Lines and an HTML timeline) written beside a failing run's pcap.
 *
 *   lincheck FILE [--out PREFIX] [--no-files]
 *
 * Exit 0: linearizable; 1: not (the smallest failing sub-history of the key
 * is printed, and PREFIX.violation.jsonl and PREFIX.html written); 2: a
 * malformed file (FILE:LINE:COL: error: ...) or a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "jnet_alloc.h"
#include "jsim_scn.h"
#include <jnet/jnet.h>
#include <jnet/jnet_history.h>

static void lin_usage(FILE *f) {
  fprintf(f, "usage: jnet-sim lincheck FILE [--out PREFIX] [--no-files]\n"
             "Check a history (JSON Lines: one operation event per line, see\n"
             "scenarios/README.md) for linearizability against a register per\n"
             "key. On a violation, print the smallest failing sub-history of\n"
             "the key and write PREFIX.violation.jsonl (that sub-history) and\n"
             "PREFIX.html (a timeline, one lane per process, the violation\n"
             "marked); PREFIX defaults to FILE without its .jsonl.\n"
             "Exit: 0 linearizable, 1 not, 2 malformed file or usage error.\n");
}

/* "write "v1" ok p0 1.200000s..3.400000s" for op event i of h. */
static size_t describe_op(const jnet_history *h, size_t i, size_t done,
                          char *buf, size_t len) {
  jnet_history_event e, d;
  jnet_history_get(h, i, &e);
  int have_done = done != SIZE_MAX && jnet_history_get(h, done, &d) == 0;
  char v[96] = "";
  const jnet_hvalue *val = &e.value;
  if (e.f == JNET_HIST_READ)
    val = have_done && d.type == JNET_HIST_OK ? &d.value : NULL;
  const jnet_hvalue *show[2] = {val, e.f == JNET_HIST_CAS ? &e.value2 : NULL};
  size_t o = 0;
  for (int k = 0; k < 2 && show[k] != NULL; k++) {
    const jnet_hvalue *x = show[k];
    if (k == 1)
      o += (size_t)snprintf(v + o, sizeof v - o, "->");
    if (o >= sizeof v) /* LCOV_EXCL_BR_LINE: two values of 32 fit in 96 */
      break;
    if (x->kind == JNET_HV_STRING)
      o += (size_t)snprintf(v + o, sizeof v - o, "\"%.30s\"", x->str);
    else if (x->kind == JNET_HV_NUMBER)
      o += (size_t)snprintf(v + o, sizeof v - o, "%g", x->num);
    else
      o += (size_t)snprintf(v + o, sizeof v - o, "null");
    if (o >= sizeof v) /* LCOV_EXCL_BR_LINE: two values of 32 fit in 96 */
      break;
  }
  static const char *const fname[] = {"read", "write", "cas"};
  static const char *const tname[] = {"invoke", "ok", "fail", "info"};
  int n =
      snprintf(buf, len, "p%lld %s %s %s %.6fs..", (long long)e.process,
               fname[e.f], v[0] ? v : "?", have_done ? tname[d.type] : "open",
               (double)e.time_ns * 1e-9);
  if (n < 0 || (size_t)n >= len) /* LCOV_EXCL_BR_LINE: its callers give 200 */
    return len;
  int m = have_done ? snprintf(buf + n, len - (size_t)n, "%.6fs",
                               (double)d.time_ns * 1e-9)
                    : snprintf(buf + n, len - (size_t)n, "end");
  return (size_t)n + (m > 0 ? (size_t)m : 0);
}

void jsim_lin_summary(const jnet_lin_result *r, char *buf, size_t len) {
  if (len == 0)
    return;
  if (r->linearizable) {
    snprintf(buf, len, "linearizable (%zu operations, %zu keys)", r->nops,
             r->nkeys);
    return;
  }
  const jnet_history *s = r->sub;
  size_t nev = jnet_history_count(s), nops = 0;
  for (size_t i = 0; i < nev; i++) {
    jnet_history_event e;
    jnet_history_get(s, i, &e);
    nops += e.type == JNET_HIST_INVOKE;
  }
  size_t o = (size_t)snprintf(buf, len,
                              "not linearizable: key \"%.40s\", %zu "
                              "operation%s:",
                              r->key, nops, nops == 1 ? "" : "s");
  /* Each operation of the sub-history: its invoke, then its completion. */
  for (size_t i = 0; i < nev && o < len; i++) {
    jnet_history_event e;
    jnet_history_get(s, i, &e);
    if (e.type != JNET_HIST_INVOKE)
      continue;
    size_t done = SIZE_MAX;
    for (size_t j = i + 1; j < nev && done == SIZE_MAX; j++) {
      jnet_history_event d;
      jnet_history_get(s, j, &d);
      if (d.process == e.process)
        done = j;
    }
    char one[200];
    describe_op(s, i, done, one, sizeof one);
    o += (size_t)snprintf(buf + o, len - o, "%s %s", i ? ";" : "", one);
  }
  if (o >= len && len > 4)
    memcpy(buf + len - 4, "...", 4);
}

int jsim_write_history_files(const jnet_history *h, const jnet_lin_result *r,
                             const char *base, const char *title,
                             const char *jsonl_suffix) {
  size_t n = strlen(base) + 32;
  char *path = jnet__malloc(n);
  if (path == NULL) /* LCOV_EXCL_BR_LINE: out of memory */
    return JNET_ENOMEM;
  snprintf(path, n, "%s%s", base, jsonl_suffix);
  int rc = jnet_history_save(h, path);
  if (rc == 0) {
    snprintf(path, n, "%s.html", base);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
      rc = JNET_EACCES;
    } else {
      rc = jnet_history_write_html(h, r, title, f);
      if (fclose(f) != 0 && rc == 0)
        rc = JNET_EPIPE;
    }
  }
  jnet__free(path);
  return rc;
}

int jsim_lincheck_main(int argc, char **argv) {
  static const struct option longopts[] = {
      {"out", required_argument, NULL, 'o'},
      {"no-files", no_argument, NULL, 'n'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *out = NULL;
  int files = 1, c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (c) {
    case 'o':
      out = optarg;
      break;
    case 'n':
      files = 0;
      break;
    case 'h':
      lin_usage(stdout);
      return 0;
    default:
      lin_usage(stderr);
      return 2;
    }
  }
  if (optind + 1 != argc) {
    lin_usage(stderr);
    return 2;
  }
  const char *path = argv[optind];
  char err[512];
  jnet_history *h;
  int rc = jnet_history_load(&h, path, err, sizeof err);
  if (rc < 0) {
    if (rc == JNET_ENOMEM) /* LCOV_EXCL_BR_LINE: out of memory */
      fprintf(stderr, "%s: error: out of memory\n", path);
    else
      fprintf(stderr, "%s\n", err);
    return 2;
  }
  jnet_lin_result r;
  rc = jnet_history_check(h, &r);
  if (rc < 0) {
    fprintf(stderr, "%s: error: checking: %s\n", path, jnet_strerror(rc));
    jnet_lin_result_free(&r);
    jnet_history_free(h);
    return 2;
  }
  if (rc == 1) {
    printf("%s: linearizable (%zu operations, %zu keys)\n", path, r.nops,
           r.nkeys);
    jnet_lin_result_free(&r);
    jnet_history_free(h);
    return 0;
  }
  size_t nev = jnet_history_count(r.sub);
  printf("%s: NOT linearizable: key \"%s\": no order of these %zu events "
         "(the smallest failing sub-history of the key) explains them:\n",
         path, r.key, nev);
  jnet_history_write(r.sub, stdout);
  if (files) {
    char base[1024];
    if (out != NULL) {
      snprintf(base, sizeof base, "%s", out);
    } else {
      snprintf(base, sizeof base, "%s", path);
      size_t bl = strlen(base);
      if (bl > 6 && strcmp(base + bl - 6, ".jsonl") == 0)
        base[bl - 6] = 0;
    }
    /* The sub-history as JSON Lines, the whole history as a timeline. */
    char sub[1100];
    snprintf(sub, sizeof sub, "%s.violation.jsonl", base);
    int wrc = jnet_history_save(r.sub, sub);
    int why = wrc < 0 ? errno : 0; /* the system's reason, said as it is */
    char html[1100];
    snprintf(html, sizeof html, "%s.html", base);
    FILE *f = wrc == 0 ? fopen(html, "w") : NULL;
    if (f != NULL) {
      wrc = jnet_history_write_html(h, &r, path, f);
      if (fclose(f) != 0 && wrc == 0) {
        why = errno;
        wrc = JNET_EPIPE;
      }
    } else if (wrc == 0) {
      why = errno;
      wrc = JNET_EACCES;
    }
    if (wrc < 0)
      fprintf(stderr, "jnet-sim lincheck: cannot write %s / %s: %s\n", sub,
              html, why != 0 ? strerror(why) : jnet_strerror(wrc));
    else
      printf("written: %s (the sub-history), %s (the timeline)\n", sub, html);
  }
  jnet_lin_result_free(&r);
  jnet_history_free(h);
  return 1;
}
