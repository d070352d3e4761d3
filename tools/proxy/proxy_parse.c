/* proxy_parse.c — jnet-proxy's words: units, fault options, control and
 * timeline commands, the config file. Pure parsing, no I/O except reading
 * the config file; tests/fuzz/fuzz_proxyctl.c drives the command parser.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proxy.h"

/* ---- units -------------------------------------------------------------------- */

typedef struct unit {
  const char *suffix;
  double scale;
} unit;

/* A number >= 0 followed by one of units[], or bare (times bare_scale). */
static int parse_scaled(const char *s, const unit *units, double bare_scale,
                        double *out) {
  if (s == NULL || *s == 0)
    return -1;
  char *end = NULL;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || errno != 0 || !isfinite(v) || v < 0)
    return -1;
  if (*end == 0) {
    *out = v * bare_scale;
    return 0;
  }
  for (const unit *u = units; u->suffix != NULL; u++)
    if (strcasecmp(end, u->suffix) == 0) {
      *out = v * u->scale;
      return 0;
    }
  return -1;
}

/* v: a finite number >= 0 (parse_scaled's), or +inf past the scale */
static int to_u64(double v, uint64_t *out) {
  if (v >= 1.8e19)
    return -1;
  *out = (uint64_t)(v + 0.5);
  return 0;
}

int proxy_parse_duration(const char *s, uint64_t *ns) {
  static const unit u[] = {{"ns", 1},   {"us", 1e3}, {"ms", 1e6},
                           {"s", 1e9},  {"m", 60e9}, {"min", 60e9},
                           {NULL, 0}};
  double v;
  return parse_scaled(s, u, 1e9, &v) < 0 ? -1 : to_u64(v, ns);
}

int proxy_parse_size(const char *s, uint64_t *bytes) {
  static const unit u[] = {{"b", 1},           {"k", 1024},
                           {"kb", 1024},       {"kib", 1024},
                           {"m", 1048576},     {"mb", 1048576},
                           {"mib", 1048576},   {"g", 1073741824.0},
                           {"gb", 1073741824.0}, {NULL, 0}};
  double v;
  return parse_scaled(s, u, 1, &v) < 0 ? -1 : to_u64(v, bytes);
}

int proxy_parse_rate(const char *s, uint64_t *bps) {
  static const unit u[] = {{"bit", 1},     {"kbit", 1e3},   {"mbit", 1e6},
                           {"gbit", 1e9},  {"bps", 8},      {"kbps", 8e3},
                           {"mbps", 8e6},  {"gbps", 8e9},   {NULL, 0}};
  double v;
  return parse_scaled(s, u, 1, &v) < 0 ? -1 : to_u64(v, bps);
}

int proxy_parse_prob(const char *s, double *p) {
  static const unit u[] = {{"%", 0.01}, {NULL, 0}};
  double v;
  if (parse_scaled(s, u, 1, &v) < 0 || v > 1.0)
    return -1;
  *p = v;
  return 0;
}

int proxy_parse_bool(const char *s, int *v) {
  if (s == NULL)
    return -1;
  if (!strcmp(s, "on") || !strcmp(s, "1") || !strcmp(s, "true")) {
    *v = 1;
    return 0;
  }
  if (!strcmp(s, "off") || !strcmp(s, "0") || !strcmp(s, "false")) {
    *v = 0;
    return 0;
  }
  return -1;
}

static int copy(char *dst, size_t n, const char *src, size_t len) {
  if (len == 0 || len >= n)
    return -1;
  memcpy(dst, src, len);
  dst[len] = 0;
  return 0;
}

int proxy_parse_hostport(const char *s, char *host, size_t hn, char *port,
                         size_t pn) {
  if (s == NULL)
    return -1;
  const char *colon;
  if (s[0] == '[') {
    const char *close = strchr(s, ']');
    if (close == NULL || close[1] != ':')
      return -1;
    if (copy(host, hn, s + 1, (size_t)(close - s - 1)) < 0)
      return -1;
    colon = close + 1;
  } else {
    colon = strrchr(s, ':');
    if (colon == NULL || copy(host, hn, s, (size_t)(colon - s)) < 0)
      return -1;
  }
  const char *p = colon + 1;
  if (*p == 0 || strlen(p) > 5)
    return -1;
  for (const char *q = p; *q; q++)
    if (!isdigit((unsigned char)*q))
      return -1;
  if (atoi(p) > 65535)
    return -1;
  return copy(port, pn, p, strlen(p));
}

/* ---- fault options ------------------------------------------------------------ */

static int failf(char *err, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int failf(char *err, size_t n, const char *fmt, ...) {
  if (err != NULL && n > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
  }
  return -1;
}

enum { K_DUR, K_SIZE, K_RATE, K_PROB, K_BOOL, K_DIST };

typedef struct option {
  const char *name;
  int kind;
  size_t off;
} option;

#define OFF(f) offsetof(jnet_fault_params, f)
static const option options[] = {
    {"latency", K_DUR, OFF(link.latency_ns)},
    {"jitter", K_DUR, OFF(link.jitter_ns)},
    {"jitter-dist", K_DIST, OFF(link.jitter_dist)},
    {"bandwidth", K_RATE, OFF(link.bandwidth_bps)},
    {"loss", K_PROB, OFF(link.loss)},
    {"duplicate", K_PROB, OFF(link.duplicate)},
    {"reorder", K_PROB, OFF(link.reorder)},
    {"reorder-by", K_DUR, OFF(link.reorder_ns)},
    {"corrupt", K_PROB, OFF(link.corrupt)},
    {"refuse", K_BOOL, OFF(refuse)},
    {"reset-after", K_SIZE, OFF(reset_after_bytes)},
    {"close-after", K_DUR, OFF(close_after_ns)},
    {"blackhole", K_BOOL, OFF(blackhole)},
    {"slice", K_SIZE, OFF(slice_bytes)},
    {"slice-delay", K_DUR, OFF(slice_delay_ns)},
    {"slow-close", K_DUR, OFF(slow_close_ns)},
    {NULL, 0, 0}};

static const option *option_find(const char *name) {
  if (name[0] == '-' && name[1] == '-')
    name += 2; /* the command line's spelling */
  for (const option *o = options; o->name != NULL; o++)
    if (strcmp(o->name, name) == 0)
      return o;
  return NULL;
}

int proxy_is_fault_option(const char *name) {
  return name != NULL && option_find(name) != NULL;
}

static int dist_of(const char *s) {
  static const char *const names[] = {"uniform", "normal", "exponential",
                                      "pareto"};
  for (int i = 0; i < 4; i++)
    if (strcmp(s, names[i]) == 0)
      return i;
  return -1;
}

/* Set one option from its value. 0 or -1. */
static int option_set(const option *o, const char *v, jnet_fault_params *p) {
  char *base = (char *)p + o->off;
  uint64_t u;
  double d;
  int b;
  switch (o->kind) { /* LCOV_EXCL_BR_LINE: options[] holds only K_* kinds */
  case K_DUR:
    if (proxy_parse_duration(v, &u) < 0)
      return -1;
    memcpy(base, &u, sizeof u);
    return 0;
  case K_SIZE:
    if (proxy_parse_size(v, &u) < 0)
      return -1;
    if (o->off == OFF(slice_bytes)) {
      if (u > UINT32_MAX)
        return -1;
      uint32_t u32 = (uint32_t)u;
      memcpy(base, &u32, sizeof u32);
    } else {
      memcpy(base, &u, sizeof u);
    }
    return 0;
  case K_RATE:
    if (proxy_parse_rate(v, &u) < 0)
      return -1;
    memcpy(base, &u, sizeof u);
    return 0;
  case K_PROB:
    if (proxy_parse_prob(v, &d) < 0)
      return -1;
    memcpy(base, &d, sizeof d);
    return 0;
  case K_BOOL:
    if (proxy_parse_bool(v, &b) < 0)
      return -1;
    memcpy(base, &b, sizeof b);
    return 0;
  case K_DIST:
    b = dist_of(v);
    if (b < 0)
      return -1;
    memcpy(base, &b, sizeof b);
    return 0;
  }
  return -1; /* LCOV_EXCL_LINE: options[] holds only the kinds above */
}

int proxy_parse_faults(char **w, int n, jnet_fault_params *p, char *err,
                       size_t errn) {
  for (int i = 0; i < n; i++) {
    const option *o = option_find(w[i]);
    if (o == NULL)
      return failf(err, errn, "unknown fault '%s'", w[i]);
    /* a flag may stand alone: `blackhole`, `refuse` */
    if (o->kind == K_BOOL && (i + 1 == n || option_find(w[i + 1]) != NULL)) {
      (void)option_set(o, "on", p); /* "on" is a bool */
      continue;
    }
    if (i + 1 == n)
      return failf(err, errn, "%s needs a value", o->name);
    if (option_set(o, w[i + 1], p) < 0)
      return failf(err, errn, "bad value '%s' for %s", w[i + 1], o->name);
    i++;
  }
  return 0;
}

int proxy_split(char *line, char **w, int max) {
  int n = 0;
  char *p = line;
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
      p++;
    if (*p == 0 || *p == '#')
      break;
    if (n == max)
      return -1;
    w[n++] = p;
    while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
      p++;
    if (*p == 0)
      break;
    *p++ = 0;
  }
  return n;
}

/* ---- commands ------------------------------------------------------------------ */

static const struct {
  const char *word;
  int kind;
  int target; /* 0 none, 1 optional, 2 required */
} commands[] = {{"set", PROXY_CMD_SET, 2},         {"clear", PROXY_CMD_CLEAR, 1},
                {"partition", PROXY_CMD_PARTITION, 1},
                {"heal", PROXY_CMD_HEAL, 1},       {"reset", PROXY_CMD_RESET, 1},
                {"list", PROXY_CMD_LIST, 0},       {"stats", PROXY_CMD_STATS, 1},
                {"quit", PROXY_CMD_QUIT, 0},       {"ping", PROXY_CMD_PING, 0},
                {NULL, 0, 0}};

/* s: a word of proxy_split (never empty) */
static int valid_name(const char *s) {
  if (strlen(s) >= PROXY_NAME_MAX)
    return 0;
  if (strcmp(s, "*") == 0)
    return 1;
  for (const char *p = s; *p; p++)
    if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
      return 0;
  return 1;
}

int proxy_parse_command(const char *line, proxy_cmd *c, char *err,
                        size_t errn) {
  char buf[PROXY_LINE_MAX];
  char *w[40];
  memset(c, 0, sizeof *c);
  if (line == NULL || strlen(line) >= sizeof buf)
    return failf(err, errn, "line too long");
  strcpy(buf, line);
  int n = proxy_split(buf, w, 40);
  if (n < 0)
    return failf(err, errn, "too many words");
  if (n == 0)
    return failf(err, errn, "empty command");
  int k = 0;
  for (; commands[k].word != NULL; k++)
    if (strcmp(w[0], commands[k].word) == 0)
      break;
  if (commands[k].word == NULL)
    return failf(err, errn,
                 "unknown command '%.40s' (set, clear, partition, heal, "
                 "reset, list, stats, quit, ping)",
                 w[0]);
  c->kind = commands[k].kind;
  int i = 1;
  strcpy(c->target, "*");
  /* `set link ...` (the .scn spelling) is `set * ...` */
  if (c->kind == PROXY_CMD_SET && n > 1 && strcmp(w[1], "link") == 0) {
    i = 2;
  } else if (commands[k].target > 0 && n > 1 && option_find(w[1]) == NULL) {
    if (!valid_name(w[1]))
      return failf(err, errn, "bad proxy name '%.40s'", w[1]);
    strcpy(c->target, w[1]);
    i = 2;
  }
  if (c->kind != PROXY_CMD_SET) {
    if (i < n)
      return failf(err, errn, "unexpected '%.40s'", w[i]);
    return 0;
  }
  if (i == n)
    return failf(err, errn, "set needs fault options");
  if (n - i > 32)
    return failf(err, errn, "too many options");
  for (; i < n; i++) {
    if (strlen(w[i]) >= sizeof c->opts[0])
      return failf(err, errn, "word too long");
    strcpy(c->opts[c->nopts++], w[i]);
  }
  /* check the options now, so a bad line changes nothing */
  jnet_fault_params p;
  jnet_fault_params_default(&p);
  return proxy_cmd_apply(c, &p, err, errn);
}

int proxy_cmd_apply(const proxy_cmd *c, jnet_fault_params *p, char *err,
                    size_t errn) {
  char *w[32];
  char copy_[32][64];
  for (int i = 0; i < c->nopts; i++) {
    memcpy(copy_[i], c->opts[i], sizeof copy_[i]);
    w[i] = copy_[i];
  }
  jnet_fault_params q = *p;
  if (proxy_parse_faults(w, c->nopts, &q, err, errn) < 0)
    return -1;
  *p = q;
  return 0;
}

int proxy_parse_at(char **w, int n, proxy_event *e, char *err, size_t errn) {
  if (n < 3 || strcmp(w[0], "at") != 0)
    return failf(err, errn, "expected: at TIME COMMAND");
  if (proxy_parse_duration(w[1], &e->at_ns) < 0)
    return failf(err, errn, "bad time '%.40s'", w[1]);
  char line[PROXY_LINE_MAX];
  size_t len = 0;
  line[0] = 0;
  for (int i = 2; i < n; i++) {
    size_t wl = strlen(w[i]);
    if (len + wl + 2 > sizeof line)
      return failf(err, errn, "line too long");
    memcpy(line + len, w[i], wl);
    len += wl;
    line[len++] = ' ';
    line[len] = 0;
  }
  return proxy_parse_command(line, &e->cmd, err, errn);
}

/* ---- files ---------------------------------------------------------------------- */

static int add_event(proxy_opts *o, const proxy_event *e) {
  if (o->nevents == PROXY_EVENTS_MAX)
    return -1;
  /* stable insert by time */
  int i = o->nevents;
  while (i > 0 && o->events[i - 1].at_ns > e->at_ns) {
    o->events[i] = o->events[i - 1];
    i--;
  }
  o->events[i] = *e;
  o->nevents++;
  return 0;
}

/* proxy NAME tcp|udp listen HOST:PORT upstream HOST:PORT [faults] */
static int parse_proxy_line(char **w, int n, proxy_opts *o, char *err,
                            size_t errn) {
  if (n < 7 || strcmp(w[3], "listen") != 0 || strcmp(w[5], "upstream") != 0)
    return failf(err, errn,
                 "expected: proxy NAME tcp|udp listen HOST:PORT upstream "
                 "HOST:PORT [faults]");
  if (o->nproxies == PROXY_MAX)
    return failf(err, errn, "more than %d proxies", PROXY_MAX);
  proxy_conf *pc = &o->proxies[o->nproxies];
  memset(pc, 0, sizeof *pc);
  if (!valid_name(w[1]) || strcmp(w[1], "*") == 0)
    return failf(err, errn, "bad proxy name '%.40s'", w[1]);
  for (int i = 0; i < o->nproxies; i++)
    if (strcmp(o->proxies[i].name, w[1]) == 0)
      return failf(err, errn, "proxy '%s' defined twice", w[1]);
  strcpy(pc->name, w[1]);
  if (strcmp(w[2], "tcp") != 0 && strcmp(w[2], "udp") != 0)
    return failf(err, errn, "expected tcp or udp, got '%.40s'", w[2]);
  pc->udp = strcmp(w[2], "udp") == 0;
  if (proxy_parse_hostport(w[4], pc->listen_host, sizeof pc->listen_host,
                           pc->listen_port, sizeof pc->listen_port) < 0)
    return failf(err, errn, "bad listen address '%.60s'", w[4]);
  if (proxy_parse_hostport(w[6], pc->up_host, sizeof pc->up_host, pc->up_port,
                           sizeof pc->up_port) < 0)
    return failf(err, errn, "bad upstream address '%.60s'", w[6]);
  if (proxy_parse_faults(w + 7, n - 7, &pc->faults, err, errn) < 0)
    return -1;
  o->nproxies++;
  return 0;
}

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d != NULL)
    memcpy(d, s, n);
  return d;
}

static int load(const char *path, proxy_opts *o, int only_at) {
  FILE *fp = fopen(path, "r");
  if (fp == NULL) {
    fprintf(stderr, "jnet-proxy: %s: %s\n", path, strerror(errno));
    return -1;
  }
  char line[PROXY_LINE_MAX], err[160];
  char *w[64];
  int lineno = 0, rc = 0;
  while (rc == 0 && fgets(line, sizeof line, fp) != NULL) {
    lineno++;
    int n = proxy_split(line, w, 64);
    err[0] = 0;
    if (n < 0) {
      rc = failf(err, sizeof err, "too many words");
    } else if (n == 0) {
      continue;
    } else if (strcmp(w[0], "at") == 0) {
      proxy_event e;
      rc = proxy_parse_at(w, n, &e, err, sizeof err);
      if (rc == 0 && add_event(o, &e) < 0)
        rc = failf(err, sizeof err, "more than %d events", PROXY_EVENTS_MAX);
    } else if (only_at) {
      rc = failf(err, sizeof err, "expected an `at` line");
    } else if (strcmp(w[0], "proxy") == 0) {
      rc = parse_proxy_line(w, n, o, err, sizeof err);
    } else if (strcmp(w[0], "seed") == 0 && n == 2) {
      char *end;
      o->seed = strtoull(w[1], &end, 0);
      if (*end != 0)
        rc = failf(err, sizeof err, "bad seed '%.40s'", w[1]);
    } else if ((strcmp(w[0], "pcap") == 0 || strcmp(w[0], "control") == 0 ||
                strcmp(w[0], "log") == 0) &&
               n == 2) {
      char *d = dup_str(w[1]);
      if (d == NULL)
        rc = failf(err, sizeof err, "out of memory");
      else if (w[0][0] == 'p')
        o->pcap_path = d;
      else if (w[0][0] == 'c')
        o->control_path = d;
      else
        o->log_path = d;
    } else {
      rc = failf(err, sizeof err,
                 "expected proxy, at, seed, pcap, control or log, got '%.40s'",
                 w[0]);
    }
    if (rc < 0)
      fprintf(stderr, "jnet-proxy: %s:%d: %s\n", path, lineno, err);
  }
  fclose(fp);
  return rc;
}

int proxy_load_config(const char *path, proxy_opts *o) {
  return load(path, o, 0);
}

int proxy_load_timeline(const char *path, proxy_opts *o) {
  return load(path, o, 1);
}
