/* html.c — a history as a self-contained HTML timeline.
 *
 * One lane per process; each operation is a bar from its invoke to its
 * completion (to the end of the history for info and open ones), coloured
 * by outcome. When a check found a violation, the operations of the
 * failing key are outlined and those of the smallest failing sub-history
 * drawn in red, and that sub-history is listed below as JSON Lines. No
 * external file: inline CSS and a few lines of script for zooming.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "jnet_alloc.h"
#include <jnet/jnet.h>

#define MAX_DRAWN 20000

static void html_text(FILE *f, const char *s) {
  for (; *s; s++) {
    switch (*s) {
    case '&':
      fputs("&amp;", f);
      break;
    case '<':
      fputs("&lt;", f);
      break;
    case '>':
      fputs("&gt;", f);
      break;
    case '"':
      fputs("&quot;", f);
      break;
    case '\'':
      fputs("&#39;", f);
      break;
    default:
      putc(*s, f);
    }
  }
}

static void html_value(FILE *f, const jnet_hvalue *v) {
  char buf[64];
  switch (v->kind) {
  case JNET_HV_STRING:
    fputs("&quot;", f);
    html_text(f, v->str);
    fputs("&quot;", f);
    break;
  case JNET_HV_NUMBER:
    snprintf(buf, sizeof buf, "%.17g", v->num);
    fputs(buf, f);
    break;
  default:
    fputs("null", f);
  }
}

/* "write k1 "v1"" / "cas k1 "a"->"b"" / "read k1 -> "v"" */
static void op_label(FILE *f, const jnet_history *h,
                     const jnet__hist_event *inv,
                     const jnet__hist_event *done) {
  fputs(jnet__hist_f_name[inv->f], f);
  putc(' ', f);
  html_text(f, h->keys[inv->key]);
  putc(' ', f);
  if (inv->f == JNET_HIST_READ) {
    if (done != NULL && done->type == JNET_HIST_OK)
      html_value(f, &done->value);
    else
      putc('?', f);
  } else if (inv->f == JNET_HIST_WRITE) {
    html_value(f, &inv->value);
  } else {
    html_value(f, &inv->value);
    fputs("&rarr;", f);
    html_value(f, &inv->value2);
  }
}

/* Invoke events by process, then time. */
static const jnet_history *sort_h;
static int cmp_inv(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  int64_t px = sort_h->ev[x].process, py = sort_h->ev[y].process;
  if (px != py)
    return px < py ? -1 : 1;
  return x < y ? -1 : x > y;
}

static int in_sorted(const size_t *a, size_t n, size_t x) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (a[mid] == x)
      return 1;
    if (a[mid] < x)
      lo = mid + 1;
    else
      hi = mid;
  }
  return 0;
}

static const char css[] =
    "body{font:13px system-ui,sans-serif;margin:16px;color:#222}"
    "h1{font-size:17px}.sum{margin:6px 0 12px}"
    "#wrap{overflow-x:auto;border:1px solid #ccc}"
    "#tl{position:relative;min-width:100%}"
    ".lane{position:relative;height:26px;border-bottom:1px solid #eee}"
    ".pn{position:sticky;left:0;z-index:2;background:#fff;width:70px;"
    "height:26px;line-height:26px;padding-left:4px;display:inline-block;"
    "border-right:1px solid #ddd;font-weight:600}"
    ".op{position:absolute;top:4px;height:17px;min-width:3px;box-sizing:"
    "border-box;border-radius:3px;font-size:11px;line-height:17px;"
    "white-space:nowrap;overflow:hidden;padding:0 2px;cursor:default}"
    ".ok{background:#b7dfb9}.fail{background:#ddd;color:#777}"
    ".info{background:#fbe3a6;border:1px dashed #b88a00}"
    ".key{outline:2px solid #e08000}"
    ".bad{background:#f29b9b;outline:2px solid #c00;z-index:1}"
    "pre{background:#f6f6f6;padding:8px;overflow-x:auto}"
    ".legend span{display:inline-block;padding:1px 6px;margin-right:6px;"
    "border-radius:3px}";

int jnet_history_write_html(const jnet_history *h, const jnet_lin_result *res,
                            const char *title, FILE *f) {
  if (h == NULL || f == NULL)
    return JNET_EINVAL;
  int bad = res != NULL && !res->linearizable && res->key != NULL;
  uint32_t badkey = UINT32_MAX;
  if (bad)
    for (size_t k = 0; k < h->nkeys; k++)
      if (strcmp(h->keys[k], res->key) == 0)
        badkey = (uint32_t)k;
  size_t nops = 0;
  for (size_t i = 0; i < h->nev; i++)
    nops += h->ev[i].type == JNET_HIST_INVOKE;
  int only_key = nops > MAX_DRAWN && badkey != UINT32_MAX;
  /* The lanes: the invokes sorted by process. */
  size_t *invs = jnet__malloc((nops + 1) * sizeof *invs);
  if (invs == NULL)
    return JNET_ENOMEM;
  size_t np = 0, nlanes = 0;
  for (size_t i = 0; i < h->nev; i++)
    if (h->ev[i].type == JNET_HIST_INVOKE)
      invs[np++] = i;
  sort_h = h;
  qsort(invs, np, sizeof *invs, cmp_inv);
  for (size_t i = 0; i < np; i++)
    nlanes += i == 0 || h->ev[invs[i]].process != h->ev[invs[i - 1]].process;
  int64_t t0 = h->nev ? h->ev[0].time_ns : 0;
  int64_t t1 = h->nev ? h->ev[h->nev - 1].time_ns : 0;
  double span = t1 > t0 ? (double)(t1 - t0) : 1.0;

  fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>", f);
  html_text(f, title ? title : "history");
  fprintf(f, "</title><style>%s</style></head><body>\n<h1>", css);
  html_text(f, title ? title : "history");
  fputs("</h1>\n<div class=\"sum\">", f);
  fprintf(f, "%zu operations, %zu processes, %zu keys, %.6f s. ", nops, nlanes,
          h->nkeys, (double)(t1 - t0) * 1e-9);
  if (bad) {
    fputs("<b>Not linearizable</b>: key <b>", f);
    html_text(f, res->key);
    fprintf(f,
            "</b>; the smallest failing sub-history (%zu events) is drawn "
            "in red.",
            res->nevents);
  } else if (res != NULL) {
    fputs("Linearizable.", f);
  }
  fputs("</div>\n<div class=\"legend\"><span class=\"ok\">ok</span>"
        "<span class=\"info\">info / open</span><span class=\"fail\">fail"
        "</span>",
        f);
  if (bad)
    fputs("<span class=\"ok key\">same key</span><span class=\"bad\">"
          "violation</span>",
          f);
  fputs(" zoom: <button onclick=\"z(2)\">+</button><button onclick=\"z(0.5)"
        "\">&minus;</button></div>\n<div id=\"wrap\"><div id=\"tl\">\n",
        f);
  for (size_t j = 0; j < np; j++) {
    const jnet__hist_event *inv = &h->ev[invs[j]];
    size_t i = invs[j];
    if (j == 0 || inv->process != h->ev[invs[j - 1]].process)
      fprintf(f, "%s<div class=\"lane\"><span class=\"pn\">p%lld</span>",
              j == 0 ? "" : "</div>\n", (long long)inv->process);
    if (only_key && inv->key != badkey)
      continue;
    const jnet__hist_event *done = inv->match >= 0 ? &h->ev[inv->match] : NULL;
    int64_t end = done && done->type != JNET_HIST_INFO ? done->time_ns : t1;
    const char *cls = !done                          ? "info"
                      : done->type == JNET_HIST_OK   ? "ok"
                      : done->type == JNET_HIST_FAIL ? "fail"
                                                     : "info";
    int marked = bad && in_sorted(res->events, res->nevents, i);
    double x = (double)(inv->time_ns - t0) / span * 100.0;
    double w = (double)(end - inv->time_ns) / span * 100.0;
    /* Lane labels take the first 74px; bars share the rest. */
    fprintf(f,
            "<div class=\"op %s%s%s\" style=\"left:calc(74px + "
            "(100%% - 78px)*%.5f);width:calc((100%% - 78px)*%.5f)\" "
            "title=\"p%lld ",
            cls, bad && inv->key == badkey ? " key" : "", marked ? " bad" : "",
            x / 100.0, w / 100.0, (long long)inv->process);
    op_label(f, h, inv, done);
    fprintf(f, " %s, %.6f s .. ",
            done ? jnet__hist_type_name[done->type] : "open",
            (double)inv->time_ns * 1e-9);
    if (done)
      fprintf(f, "%.6f s", (double)done->time_ns * 1e-9);
    else
      fputs("end", f);
    if (inv->line > 0)
      fprintf(f, " (line %d)", inv->line);
    fputs("\">", f);
    op_label(f, h, inv, done);
    fputs("</div>", f);
  }
  fputs(np > 0 ? "</div>\n</div></div>\n" : "</div></div>\n", f);
  if (bad && res->sub != NULL) {
    fputs("<h2>The smallest failing sub-history of key ", f);
    html_text(f, res->key);
    fputs("</h2>\n<pre>", f);
    for (size_t i = 0; i < res->sub->nev; i++) {
      char *buf = NULL;
      size_t len = 0;
      FILE *m = open_memstream(&buf, &len);
      if (m == NULL)
        break;
      jnet__hist_write_event(res->sub, i, m);
      fclose(m);
      html_text(f, buf);
      free(buf);
    }
    fputs("</pre>\n", f);
  }
  fputs("<script>var s=1;function z(k){s=Math.max(1,s*k);"
        "document.getElementById('tl').style.width=(s*100)+'%';}</script>\n"
        "</body></html>\n",
        f);
  jnet__free(invs);
  return ferror(f) ? JNET_EPIPE : 0;
}
