/* jsim_merge.c — `jnet-sim merge`: join the JSON Lines of a sweep's shards.
 *
 * Reads the files `sweep --json` wrote (one object per seed, a summary
 * last), checks that they describe one scenario and one range, and that
 * together they cover it exactly — no seed missing, none twice — then
 * prints the summary one unsharded sweep would have printed. A small JSON
 * reader for flat objects (nested objects flatten to `outer.inner`) is
 * enough: these files are ours.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "jnet_alloc.h"
#include "jsim_scn.h"

#define MAX_FIELDS 32

typedef struct field {
  char key[48];
  char val[1100];
  int is_str;
} field;

typedef struct obj {
  int n;
  field f[MAX_FIELDS];
} obj;

static const char *skip_ws(const char *p) {
  while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
    p++;
  return p;
}

static const char *parse_string(const char *p, char *out, size_t len) {
  if (*p != '"')
    return NULL;
  p++;
  size_t n = 0;
  while (*p && *p != '"') {
    char c = *p++;
    if (c == '\\') {
      c = *p++;
      switch (c) {
      case 'n': c = '\n'; break;
      case 't': c = '\t'; break;
      case 'r': c = '\r'; break;
      case 'b': c = '\b'; break;
      case 'f': c = '\f'; break;
      case 'u': {
        unsigned v = 0;
        for (int i = 0; i < 4; i++) {
          char h = *p++;
          v <<= 4;
          if (h >= '0' && h <= '9') v |= (unsigned)(h - '0');
          else if (h >= 'a' && h <= 'f') v |= (unsigned)(h - 'a' + 10);
          else if (h >= 'A' && h <= 'F') v |= (unsigned)(h - 'A' + 10);
          else return NULL;
        }
        c = (char)(v < 0x80 ? v : '?'); /* non-ASCII escapes stay a mark */
        break;
      }
      case '"': case '\\': case '/': break;
      default: return NULL;
      }
    }
    if (n + 1 < len)
      out[n++] = c;
  }
  if (*p != '"')
    return NULL;
  out[n] = 0;
  return p + 1;
}

static const char *parse_obj(const char *p, obj *o, const char *prefix) {
  p = skip_ws(p);
  if (*p != '{')
    return NULL;
  p = skip_ws(p + 1);
  if (*p == '}')
    return p + 1;
  for (;;) {
    char key[48];
    p = parse_string(skip_ws(p), key, sizeof key);
    if (p == NULL)
      return NULL;
    p = skip_ws(p);
    if (*p != ':')
      return NULL;
    p = skip_ws(p + 1);
    if (*p == '{') {
      char sub[48];
      snprintf(sub, sizeof sub, "%.20s%.26s.", prefix, key);
      p = parse_obj(p, o, sub);
      if (p == NULL)
        return NULL;
    } else {
      if (o->n == MAX_FIELDS)
        return NULL;
      field *f = &o->f[o->n++];
      snprintf(f->key, sizeof f->key, "%.20s%.27s", prefix, key);
      if (*p == '"') {
        f->is_str = 1;
        p = parse_string(p, f->val, sizeof f->val);
        if (p == NULL)
          return NULL;
      } else {
        size_t n = strcspn(p, ",} \t\r\n");
        if (n == 0 || n >= sizeof f->val)
          return NULL;
        memcpy(f->val, p, n);
        f->val[n] = 0;
        f->is_str = 0;
        p += n;
      }
    }
    p = skip_ws(p);
    if (*p == ',') {
      p++;
      continue;
    }
    if (*p == '}')
      return p + 1;
    return NULL;
  }
}

static const char *get(const obj *o, const char *key) {
  for (int i = 0; i < o->n; i++)
    if (strcmp(o->f[i].key, key) == 0)
      return o->f[i].val;
  return NULL;
}

static int get_u64(const obj *o, const char *key, uint64_t *out) {
  const char *v = get(o, key);
  if (v == NULL)
    return -1;
  char *end;
  errno = 0;
  *out = strtoull(v, &end, 0);
  return errno || end == v || *end ? -1 : 0;
}

static int get_double(const obj *o, const char *key, double *out) {
  const char *v = get(o, key);
  if (v == NULL)
    return -1;
  char *end;
  *out = strtod(v, &end);
  return end == v || *end ? -1 : 0;
}

typedef struct entry {
  jsim_result r;
  int file;
  char *pcap;
} entry;

static int cmp_entry(const void *a, const void *b) {
  const entry *x = a, *y = b;
  if (x->r.seed != y->r.seed)
    return x->r.seed < y->r.seed ? -1 : 1;
  return x->file - y->file;
}

static void merge_usage(FILE *f) {
  fprintf(f,
          "usage: jnet-sim merge [--junit F] [--pcap-dir DIR] FILE.jsonl...\n"
          "Join the --json files of the shards of one sweep: check they cover\n"
          "the range exactly (no seed missing or twice) and print the summary\n"
          "an unsharded sweep prints. Exit: 0 all passed, 1 a seed failed,\n"
          "2 bad or mismatched input.\n");
}

static int status_of(const char *s) { return jsim_status_of(s); }

int jsim_merge_main(int argc, char **argv) {
  static const struct option longopts[] = {
      {"junit", required_argument, NULL, 'U'},
      {"pcap-dir", required_argument, NULL, 'p'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *junit = NULL, *pcap_dir = "jnet-sim-pcaps";
  const char *argv0 = jsim_argv0;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (c) {
    case 'U': junit = optarg; break;
    case 'p': pcap_dir = optarg; break;
    case 'h': merge_usage(stdout); return 0;
    default: merge_usage(stderr); return 2;
    }
  }
  if (optind >= argc) {
    merge_usage(stderr);
    return 2;
  }
  int rc = 2;
  size_t cap = 256, n = 0;
  entry *es = jnet__malloc(cap * sizeof *es);
  obj *o = jnet__malloc(sizeof *o);
  char *line = NULL;
  size_t linecap = 0;
  char scenario[1100] = "", range[64] = "";
  uint64_t shard_n = 0, lo = 0, hi = 0;
  int det_checked = 0;
  double wall = 0;
  if (es == NULL || o == NULL) /* LCOV_EXCL_BR_LINE: out of memory */
    goto out;
  for (int fi = optind; fi < argc; fi++) {
    const char *path = argv[fi];
    FILE *f = fopen(path, "r");
    if (f == NULL) {
      fprintf(stderr, "jnet-sim merge: %s: cannot open: %s\n", path,
              strerror(errno));
      goto out;
    }
    int lineno = 0, summary = 0;
    ssize_t len;
    while ((len = getline(&line, &linecap, f)) > 0) {
      lineno++;
      memset(o, 0, sizeof *o);
      const char *end = line[len - 1] == '\n' ? parse_obj(line, o, "") : NULL;
      const char *type = end ? get(o, "type") : NULL;
      const char *scn = get(o, "scenario");
      if (end == NULL || *skip_ws(end) != 0 || type == NULL || scn == NULL) {
        fprintf(stderr,
                "jnet-sim merge: %s:%d: expected one JSON object of "
                "`sweep --json` per line, got %s\n",
                path, lineno,
                line[len - 1] == '\n' ? "something else" : "a truncated line");
        fclose(f);
        goto out;
      }
      if (summary) {
        fprintf(stderr, "jnet-sim merge: %s:%d: a line after the summary\n",
                path, lineno);
        fclose(f);
        goto out;
      }
      if (scenario[0] == 0)
        snprintf(scenario, sizeof scenario, "%s", scn);
      if (strcmp(scenario, scn) != 0) {
        fprintf(stderr,
                "jnet-sim merge: %s:%d: scenario %s, but the files before "
                "are of %s\n",
                path, lineno, scn, scenario);
        fclose(f);
        goto out;
      }
      if (strcmp(type, "summary") == 0) {
        summary = 1;
        const char *rg = get(o, "range"), *sh = get(o, "shard");
        uint64_t k, nn, l2, h2;
        double w = 0;
        if (rg == NULL || sh == NULL || jsim_parse_range(rg, &l2, &h2) < 0 ||
            jsim_parse_shard(sh, &k, &nn) < 0) {
          fprintf(stderr, "jnet-sim merge: %s:%d: bad summary line\n", path,
                  lineno);
          fclose(f);
          goto out;
        }
        get_double(o, "wall_s", &w);
        const char *dc = get(o, "determinism_checked");
        det_checked |= dc != NULL && strcmp(dc, "true") == 0;
        if (w > wall)
          wall = w;
        if (range[0] == 0) {
          snprintf(range, sizeof range, "%s", rg);
          lo = l2;
          hi = h2;
          shard_n = nn;
        } else if (strcmp(range, rg) != 0 || nn != shard_n) {
          fprintf(stderr,
                  "jnet-sim merge: %s: range %s in %llu shards, but the "
                  "files before are of %s in %llu shards\n",
                  path, rg, (unsigned long long)nn, range,
                  (unsigned long long)shard_n);
          fclose(f);
          goto out;
        }
        continue;
      }
      if (strcmp(type, "seed") != 0)
        continue;
      if (n == cap) {
        entry *ne = jnet__realloc(es, 2 * cap * sizeof *es);
        if (ne == NULL) { /* LCOV_EXCL_BR_LINE: out of memory */
          fclose(f);
          goto out;
        }
        es = ne;
        cap *= 2;
      }
      entry *e = &es[n];
      memset(e, 0, sizeof *e);
      const char *res = get(o, "result"), *msg = get(o, "message"),
                 *pcap = get(o, "pcap");
      if (res == NULL || status_of(res) < 0 || msg == NULL ||
          get_u64(o, "seed", &e->r.seed) < 0 ||
          get_u64(o, "fingerprint", &e->r.fingerprint) < 0 ||
          get_u64(o, "events", &e->r.events) < 0 ||
          get_double(o, "virtual_s", &e->r.virtual_s) < 0 ||
          get_double(o, "wall_s", &e->r.wall_s) < 0) {
        fprintf(stderr, "jnet-sim merge: %s:%d: a seed line lacks a field\n",
                path, lineno);
        fclose(f);
        goto out;
      }
      e->r.status = status_of(res);
      const char *lim = get(o, "limit_reached"); /* absent in old files */
      e->r.limit_reached = lim != NULL && strcmp(lim, "true") == 0;
      snprintf(e->r.msg, sizeof e->r.msg, "%s", msg);
      const char *drawn = get(o, "drawn"); /* swarm scenarios */
      if (drawn != NULL)
        snprintf(e->r.drawn, sizeof e->r.drawn, "%s", drawn);
      e->file = fi;
      e->pcap = pcap != NULL && strcmp(pcap, "null") != 0 ? jnet__strdup(pcap)
                                                          : NULL;
      n++;
    }
    fclose(f);
    if (!summary) {
      fprintf(stderr,
              "jnet-sim merge: %s: truncated: no summary line (was the "
              "sweep interrupted?)\n",
              path);
      goto out;
    }
  }
  qsort(es, n, sizeof *es, cmp_entry);
  /* Coverage: sorted seeds must be exactly lo, lo+1, ..., hi. */
  int problems = 0;
  uint64_t expect = lo;
  for (size_t i = 0; i < n; i++) {
    uint64_t sd = es[i].r.seed;
    if (sd < lo || sd > hi) {
      if (problems++ < 10)
        fprintf(stderr, "jnet-sim merge: seed %llu (%s) is outside %s\n",
                (unsigned long long)sd, argv[es[i].file], range);
      continue;
    }
    if (i > 0 && es[i - 1].r.seed == sd) {
      if (problems++ < 10)
        fprintf(stderr, "jnet-sim merge: seed %llu is doubled (%s and %s)\n",
                (unsigned long long)sd, argv[es[i - 1].file],
                argv[es[i].file]);
      continue;
    }
    if (sd > expect && problems++ < 10)
      fprintf(stderr, "jnet-sim merge: seeds %llu..%llu are missing\n",
              (unsigned long long)expect, (unsigned long long)(sd - 1));
    expect = sd + 1;
  }
  if ((n == 0 || expect <= hi) && problems++ < 10)
    fprintf(stderr, "jnet-sim merge: seeds %llu..%llu are missing\n",
            (unsigned long long)expect, (unsigned long long)hi);
  if (problems > 0) {
    fprintf(stderr,
            "jnet-sim merge: the files do not cover %s exactly once (%d "
            "problem%s)\n",
            range, problems, problems == 1 ? "" : "s");
    goto out;
  }
  jsim_result *res = jnet__malloc((n + 1) * sizeof *res);
  char **pcaps = jnet__calloc(n + 1, sizeof *pcaps);
  if (res == NULL || pcaps == NULL) { /* LCOV_EXCL_BR_LINE: out of memory */
    jnet__free(res);
    jnet__free(pcaps);
    goto out;
  }
  int failed = 0;
  for (size_t i = 0; i < n; i++) {
    res[i] = es[i].r;
    pcaps[i] = es[i].pcap;
    failed |= res[i].status != JSIM_PASS;
  }
  jsim_report rp = {scenario, lo, hi, 1, 1, n, n, res, wall, argv0, pcap_dir,
                    pcaps, det_checked};
  printf("merged %d file%s\n", argc - optind, argc - optind == 1 ? "" : "s");
  jsim_print_summary(stdout, &rp);
  rc = failed ? 1 : 0;
  if (junit != NULL && jsim_write_junit(junit, &rp) < 0)
    rc = 2;
  jnet__free(res);
  jnet__free(pcaps);
out:
  /* LCOV_EXCL_BR_LINE below: es is NULL only out of memory */
  for (size_t i = 0; es != NULL && i < n; i++) /* LCOV_EXCL_BR_LINE */
    jnet__free(es[i].pcap);
  jnet__free(es);
  jnet__free(o);
  free(line);
  return rc;
}
