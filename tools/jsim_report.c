/* jsim_report.c — what a sweep tells: the summary table, replay commands,
 * JSON Lines and JUnit XML files.
 *
 * Files are written under a temporary name beside the target and renamed
 * into place, so a reader never sees half a file. jsim_merge.c reads the
 * JSON Lines back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jnet_alloc.h"
#include "jsim_scn.h"

static const char *base_name(const char *path, char *buf, size_t len) {
  const char *b = strrchr(path, '/');
  b = b ? b + 1 : path;
  snprintf(buf, len, "%s", b);
  size_t l = strlen(buf);
  if (l > 4 && strcmp(buf + l - 4, ".scn") == 0)
    buf[l - 4] = 0;
  return buf;
}

void jsim_pcap_name(const jsim_report *rp, uint64_t seed, char *buf,
                    size_t len) {
  char b[256];
  snprintf(buf, len, "%s/%s-seed%llu.pcap", rp->pcap_dir,
           base_name(rp->scenario, b, sizeof b), (unsigned long long)seed);
}

void jsim_replay_cmd(const jsim_report *rp, uint64_t seed, char *buf,
                     size_t len) {
  char pcap[1024];
  jsim_pcap_name(rp, seed, pcap, sizeof pcap);
  snprintf(buf, len, "%s run %s --seed %llu --pcap %s", rp->argv0,
           rp->scenario, (unsigned long long)seed, pcap);
}

/* failed counts every seed that did not pass; nondet those of them that
 * were nondeterministic; limit the seeds cut short at their limit. */
typedef struct totals {
  uint64_t passed, failed, nondet, limit, events;
  double virtual_s, wall_s;
} totals;

static totals sum(const jsim_report *rp) {
  totals t = {0, 0, 0, 0, 0, 0, 0};
  for (size_t i = 0; i < rp->nres; i++) {
    const jsim_result *r = &rp->res[i];
    if (r->status == JSIM_PASS)
      t.passed++;
    else
      t.failed++;
    t.nondet += r->status == JSIM_NONDET;
    t.limit += r->limit_reached != 0;
    t.events += r->events;
    t.virtual_s += r->virtual_s;
    t.wall_s += r->wall_s;
  }
  return t;
}

void jsim_print_summary(FILE *f, const jsim_report *rp) {
  totals t = sum(rp);
  double rate = rp->wall_s > 0 ? (double)rp->nres / rp->wall_s : 0;
  /* The scenario column widens to a long path so the columns stay aligned. */
  size_t len = strlen(rp->scenario);
  int w = len > 32 ? (int)len : 32;
  /* The nondet column shows when seeds ran twice or some differed. */
  int nd = rp->det_checked || t.nondet > 0;
  fprintf(f, "\n%-*s %8s %8s %8s", w, "scenario", "seeds", "passed",
          "failed");
  if (nd)
    fprintf(f, " %8s", "nondet");
  fprintf(f, " %12s %11s %9s %9s\n", "events", "virtual", "wall", "seeds/s");
  fprintf(f, "%-*s %8zu %8llu %8llu", w, rp->scenario, rp->nres,
          (unsigned long long)t.passed,
          (unsigned long long)(t.failed - t.nondet));
  if (nd)
    fprintf(f, " %8llu", (unsigned long long)t.nondet);
  fprintf(f, " %12llu %10.3fs %8.3fs %9.1f\n", (unsigned long long)t.events,
          t.virtual_s, rp->wall_s, rate);
  fprintf(f, "range %llu..%llu", (unsigned long long)rp->lo,
          (unsigned long long)rp->hi);
  if (rp->shard_n > 1)
    fprintf(f, ", shard %llu/%llu", (unsigned long long)rp->shard_k,
            (unsigned long long)rp->shard_n);
  fprintf(f, ": %zu of %llu seeds run", rp->nres,
          (unsigned long long)rp->planned);
  if (rp->nres < rp->planned)
    fprintf(f, ", %llu remaining, not run (stopped by --max-wall)",
            (unsigned long long)(rp->planned - rp->nres));
  if (rp->det_checked)
    fprintf(f, ", each twice (--check-determinism)");
  fputc('\n', f);
  if (t.limit > 0)
    fprintf(f, "%llu seed%s stopped at the scenario's limit (cut short; "
               "`expect quiescent` fails them)\n",
            (unsigned long long)t.limit, t.limit == 1 ? "" : "s");
  if (t.failed == 0) {
    fprintf(f, "all %zu seeds passed\n", rp->nres);
    return;
  }
  fprintf(f, "\n%llu failing seed%s:\n", (unsigned long long)t.failed,
          t.failed == 1 ? "" : "s");
  size_t shown = 0;
  for (size_t i = 0; i < rp->nres; i++) {
    const jsim_result *r = &rp->res[i];
    if (r->status == JSIM_PASS)
      continue;
    if (shown++ == 20) {
      fprintf(f, "  ... and %llu more (see --json)\n",
              (unsigned long long)(t.failed - 20));
      break;
    }
    char cmd[2048];
    jsim_replay_cmd(rp, r->seed, cmd, sizeof cmd);
    fprintf(f, "  seed %llu: %s: %s\n    replay: %s\n",
            (unsigned long long)r->seed, jsim_status_name(r->status), r->msg,
            cmd);
    if (r->drawn[0])
      fprintf(f, "    drawn: %s\n", r->drawn);
    if (rp->pcaps != NULL && rp->pcaps[i] != NULL) {
      fprintf(f, "    pcap written: %s\n", rp->pcaps[i]);
      char base[1024], hist[1100];
      jsim_history_base(rp->pcaps[i], base, sizeof base);
      snprintf(hist, sizeof hist, "%s.jsonl", base);
      if (access(hist, F_OK) == 0)
        fprintf(f, "    history written: %s and %s.html\n", hist, base);
    }
  }
}

/* ---- Writing files ---------------------------------------------------------- */

static FILE *open_tmp(const char *path, char *tmp, size_t len) {
  snprintf(tmp, len, "%s.tmp.%ld", path, (long)getpid());
  FILE *f = fopen(tmp, "w");
  if (f == NULL)
    fprintf(stderr, "jnet-sim: cannot write %s: %s\n", tmp, strerror(errno));
  return f;
}

static int close_tmp(FILE *f, const char *tmp, const char *path) {
  int bad = ferror(f);
  if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
    fprintf(stderr, "jnet-sim: cannot write %s: %s\n", path, strerror(errno));
    unlink(tmp);
    return -1;
  }
  return 0;
}

static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\')
      fprintf(f, "\\%c", *p);
    else if (*p == '\n')
      fputs("\\n", f);
    else if (*p < 0x20)
      fprintf(f, "\\u%04x", *p);
    else
      fputc(*p, f);
  }
  fputc('"', f);
}

int jsim_write_json(const char *path, const jsim_report *rp) {
  char tmp[1100];
  FILE *f = open_tmp(path, tmp, sizeof tmp);
  if (f == NULL)
    return -1;
  for (size_t i = 0; i < rp->nres; i++) {
    const jsim_result *r = &rp->res[i];
    char cmd[2048];
    jsim_replay_cmd(rp, r->seed, cmd, sizeof cmd);
    fputs("{\"type\":\"seed\",\"scenario\":", f);
    json_str(f, rp->scenario);
    fprintf(f, ",\"seed\":%llu,\"result\":\"%s\",\"message\":",
            (unsigned long long)r->seed, jsim_status_name(r->status));
    json_str(f, r->msg);
    fprintf(f,
            ",\"fingerprint\":\"0x%016llx\",\"events\":%llu,"
            "\"virtual_s\":%.9f,\"wall_s\":%.6f,\"limit_reached\":%s,"
            "\"replay\":",
            (unsigned long long)r->fingerprint,
            (unsigned long long)r->events, r->virtual_s, r->wall_s,
            r->limit_reached ? "true" : "false");
    if (r->status == JSIM_PASS)
      fputs("null", f);
    else
      json_str(f, cmd);
    fputs(",\"drawn\":", f);
    json_str(f, r->drawn);
    fputs(",\"pcap\":", f);
    if (rp->pcaps != NULL && rp->pcaps[i] != NULL)
      json_str(f, rp->pcaps[i]);
    else
      fputs("null", f);
    fputs("}\n", f);
  }
  totals t = sum(rp);
  fputs("{\"type\":\"summary\",\"scenario\":", f);
  json_str(f, rp->scenario);
  fprintf(f,
          ",\"shard\":\"%llu/%llu\",\"range\":\"%llu..%llu\","
          "\"planned\":%llu,\"covered\":%zu,\"remaining\":%llu,"
          "\"complete\":%s,\"wall_s\":%.6f,\"determinism_checked\":%s,"
          "\"totals\":{\"seeds\":%zu,\"passed\":%llu,\"failed\":%llu,"
          "\"nondeterministic\":%llu,\"limit_reached\":%llu,"
          "\"events\":%llu,\"virtual_s\":%.9f}}\n",
          (unsigned long long)rp->shard_k, (unsigned long long)rp->shard_n,
          (unsigned long long)rp->lo, (unsigned long long)rp->hi,
          (unsigned long long)rp->planned, rp->nres,
          (unsigned long long)(rp->planned - rp->nres),
          rp->nres == rp->planned ? "true" : "false", rp->wall_s,
          rp->det_checked ? "true" : "false", rp->nres,
          (unsigned long long)t.passed, (unsigned long long)t.failed,
          (unsigned long long)t.nondet, (unsigned long long)t.limit,
          (unsigned long long)t.events, t.virtual_s);
  return close_tmp(f, tmp, path);
}

static void xml_str(FILE *f, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
    case '&': fputs("&amp;", f); break;
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '"': fputs("&quot;", f); break;
    case '\'': fputs("&apos;", f); break;
    case '\n': fputs("&#10;", f); break;
    case '\t': fputs("&#9;", f); break;
    default:
      if (*p >= 0x20)
        fputc(*p, f);
      else
        fputc('?', f); /* control characters are not XML 1.0 */
    }
  }
}

int jsim_write_junit(const char *path, const jsim_report *rp) {
  char tmp[1100];
  FILE *f = open_tmp(path, tmp, sizeof tmp);
  if (f == NULL)
    return -1;
  uint64_t failures = 0, errors = 0;
  for (size_t i = 0; i < rp->nres; i++) {
    if (rp->res[i].status == JSIM_FAIL || rp->res[i].status == JSIM_NONDET)
      failures++;
    else if (rp->res[i].status != JSIM_PASS)
      errors++;
  }
  char name[512];
  snprintf(name, sizeof name, "%s shard %llu/%llu", rp->scenario,
           (unsigned long long)rp->shard_k, (unsigned long long)rp->shard_n);
  fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
        "  <testsuite name=\"",
        f);
  xml_str(f, name);
  fprintf(f, "\" tests=\"%zu\" failures=\"%llu\" errors=\"%llu\" "
             "skipped=\"%llu\" time=\"%.3f\">\n",
          rp->nres, (unsigned long long)failures, (unsigned long long)errors,
          (unsigned long long)(rp->planned - rp->nres), rp->wall_s);
  for (size_t i = 0; i < rp->nres; i++) {
    const jsim_result *r = &rp->res[i];
    fprintf(f, "    <testcase name=\"seed %llu\" classname=\"",
            (unsigned long long)r->seed);
    xml_str(f, rp->scenario);
    fprintf(f, "\" time=\"%.6f\"", r->wall_s);
    if (r->status == JSIM_PASS && !r->limit_reached) {
      fputs("/>\n", f);
      continue;
    }
    if (r->status == JSIM_PASS) { /* passed, but cut short: say so */
      fputs(">\n      <properties><property name=\"limit_reached\" "
            "value=\"true\"/></properties>\n      <system-out>",
            f);
      xml_str(f, r->msg);
      fputs("</system-out>\n    </testcase>\n", f);
      continue;
    }
    /* A nondeterministic seed is a failure of the program under test. */
    const char *tag = r->status == JSIM_FAIL || r->status == JSIM_NONDET
                          ? "failure"
                          : "error";
    char cmd[2048];
    jsim_replay_cmd(rp, r->seed, cmd, sizeof cmd);
    fprintf(f, ">\n      <%s type=\"%s\" message=\"", tag,
            jsim_status_name(r->status));
    xml_str(f, r->msg);
    fputs("\">", f);
    xml_str(f, r->msg);
    fprintf(f, "&#10;fingerprint 0x%016llx%s&#10;replay: ",
            (unsigned long long)r->fingerprint,
            r->limit_reached ? "&#10;limit reached: the run was cut short"
                             : "");
    xml_str(f, cmd);
    fprintf(f, "</%s>\n    </testcase>\n", tag);
  }
  fputs("  </testsuite>\n</testsuites>\n", f);
  return close_tmp(f, tmp, path);
}
