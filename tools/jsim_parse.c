/* jsim_parse.c — the scenario language: a line-based parser.
 *
 * Each line is split into words (`{` and `}` are words of their own, `#`
 * starts a comment). The first word is a keyword; every error names the
 * file, line and column of the word it stopped at:
 *   FILE:LINE:COL: error: expected ..., got '...'
 * `at` lines may come in any order: they are sorted by time, stably.
 *
 * Swarm (scenarios/README.md): a number may be a range `LO..HI`, an `at`
 * line may start with `maybe P%`, and `faults N..M of ...` draws a fault
 * schedule. The parser only records them (and each line's PRNG stream key,
 * a hash of its words); jsim_swarm.c draws them per seed.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "jnet_alloc.h"
#include "jsim_scn.h"

#define MAX_WORDS 64
#define MAX_LINE_CHARS 1024

typedef struct word {
  const char *s;
  int len, col;
} word;

typedef struct parser {
  const char *path;
  int line;
  word w[MAX_WORDS];
  int nw;
  char *err;
  size_t errlen;
  const jnet_program *progs;
  size_t nprogs;
  jsim_scn *s;
  uint64_t key;   /* this line's PRNG stream key (swarm) */
  uint64_t *seen; /* keys of the lines so far, for repeated lines */
  int nseen;
} parser;

static int fail(parser *p, int wi, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Report at word wi (or at the end of the line when wi == nw). */
static int fail(parser *p, int wi, const char *fmt, ...) {
  int col = 1;
  if (wi < p->nw)
    col = p->w[wi].col;
  else if (p->nw > 0)
    col = p->w[p->nw - 1].col + p->w[p->nw - 1].len;
  int n = snprintf(p->err, p->errlen, "%s:%d:%d: error: ", p->path, p->line,
                   col);
  if (n < 0 || (size_t)n >= p->errlen)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
  va_end(ap);
  return -1;
}

/* "got 'word'" or "got end of line" for messages. */
static const char *got(parser *p, int wi, char *buf, size_t len) {
  if (wi >= p->nw)
    return "end of line";
  snprintf(buf, len, "'%.*s'", p->w[wi].len, p->w[wi].s);
  return buf;
}
#define GOT(wi) got(p, (wi), gbuf, sizeof gbuf)

static int is(parser *p, int wi, const char *kw) {
  return wi < p->nw && (size_t)p->w[wi].len == strlen(kw) &&
         memcmp(p->w[wi].s, kw, (size_t)p->w[wi].len) == 0;
}

static void copy_word(parser *p, int wi, char *dst, size_t len) {
  snprintf(dst, len, "%.*s", p->w[wi].len, p->w[wi].s);
}

static void split(parser *p, const char *line, size_t len) {
  p->nw = 0;
  size_t i = 0;
  while (i < len && p->nw < MAX_WORDS) {
    char c = line[i];
    if (c == '#')
      break;
    if (c == ' ' || c == '\t' || c == '\r') {
      i++;
      continue;
    }
    size_t j = i + 1;
    if (c != '{' && c != '}')
      while (j < len && line[j] != ' ' && line[j] != '\t' && line[j] != '\r' &&
             line[j] != '#' && line[j] != '{' && line[j] != '}')
        j++;
    p->w[p->nw++] = (word){line + i, (int)(j - i), (int)i + 1};
    i = j;
  }
}

/* ---- Numbers with units ---------------------------------------------------- */

typedef struct unit {
  const char *name;
  double scale;
} unit;

static const unit time_units[] = {{"ns", 1},    {"us", 1e3}, {"ms", 1e6},
                                  {"s", 1e9},   {"m", 60e9}, {NULL, 0}};
static const unit size_units[] = {{"b", 1},          {"kb", 1024},
                                  {"mb", 1048576},   {NULL, 0}};
static const unit rate_units[] = {{"bit", 1},   {"kbit", 1e3}, {"mbit", 1e6},
                                  {"gbit", 1e9}, {NULL, 0}};
static const unit pct_units[] = {{"%", 0.01}, {NULL, 0}};

/* A non-negative decimal number followed by one of the units. */
static int number_unit(const char *s, size_t len, const unit *units,
                       double *out) {
  char buf[64];
  if (len == 0 || len >= sizeof buf)
    return -1;
  memcpy(buf, s, len);
  buf[len] = 0;
  if (!(buf[0] >= '0' && buf[0] <= '9'))
    return -1;
  char *end;
  errno = 0;
  double v = strtod(buf, &end);
  if (errno != 0 || !isfinite(v) || end == buf)
    return -1;
  for (const unit *u = units; u->name != NULL; u++)
    if (strcmp(end, u->name) == 0) {
      *out = v * u->scale;
      return 0;
    }
  return -1;
}

static int word_unit(parser *p, int wi, const unit *units, const char *what,
                     double *out) {
  char gbuf[80];
  if (wi >= p->nw ||
      number_unit(p->w[wi].s, (size_t)p->w[wi].len, units, out) < 0)
    return fail(p, wi, "expected %s, got %s", what, GOT(wi));
  return 0;
}

static int word_time(parser *p, int wi, uint64_t *ns) {
  double v;
  if (word_unit(p, wi, time_units, "a time such as 5ms (ns, us, ms, s, m)",
                &v) < 0)
    return -1;
  if (v >= 1.8e19)
    return fail(p, wi, "time out of range");
  *ns = (uint64_t)llround(v);
  return 0;
}

static int word_prob(parser *p, int wi, double *out) {
  if (word_unit(p, wi, pct_units, "a percentage such as 0.5%", out) < 0)
    return -1;
  if (*out > 1.0)
    return fail(p, wi, "expected a percentage from 0%% to 100%%, got '%.*s'",
                p->w[wi].len, p->w[wi].s);
  return 0;
}

/* ---- Swarm ranges: LO..HI wherever a number goes --------------------------- */

/* Where `..` splits word wi, or -1. */
static int range_split(parser *p, int wi) {
  const word *w = &p->w[wi];
  for (int i = 0; i + 1 < w->len; i++)
    if (w->s[i] == '.' && w->s[i + 1] == '.')
      return i;
  return -1;
}

/* A number with a unit, or a range LO..HI of them (both with units).
 * max: the largest value allowed (then `bound` names it in the message). */
static int word_unit_range(parser *p, int wi, const unit *units,
                           const char *what, double max, const char *bound,
                           double *lo, double *hi, int *ranged) {
  char gbuf[80];
  if (wi >= p->nw)
    return fail(p, wi, "expected %s, got end of line", what);
  const word *w = &p->w[wi];
  int d = range_split(p, wi);
  *ranged = d >= 0;
  if (d < 0) {
    if (number_unit(w->s, (size_t)w->len, units, lo) < 0)
      return fail(p, wi, "expected %s, got %s", what, GOT(wi));
    *hi = *lo;
  } else if (number_unit(w->s, (size_t)d, units, lo) < 0 ||
             number_unit(w->s + d + 2, (size_t)(w->len - d - 2), units,
                         hi) < 0) {
    return fail(p, wi, "expected %s or a range such as %s, got %s", what,
                units == time_units ? "1ms..50ms" : "0%..5%", GOT(wi));
  }
  if (*lo > max || *hi > max)
    return fail(p, wi, "expected %s, got %s: out of bounds (%s)", what,
                GOT(wi), bound);
  if (*lo > *hi)
    return fail(p, wi, "reversed range %s: the low end comes first", GOT(wi));
  if (*ranged)
    p->s->swarm = 1;
  return 0;
}

static int word_time_range(parser *p, int wi, uint64_t *lo, uint64_t *hi) {
  double a, b;
  int r;
  if (word_unit_range(p, wi, time_units,
                      "a time such as 5ms (ns, us, ms, s, m)", 1.8e19,
                      "at most 2^64 ns", &a, &b, &r) < 0)
    return -1;
  *lo = (uint64_t)llround(a);
  *hi = (uint64_t)llround(b);
  return 0;
}

static int parse_u63(const char *s, size_t len, uint64_t *out) {
  if (len == 0 || len > 19)
    return -1;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  if (v >> 63)
    return -1;
  *out = v;
  return 0;
}

int jsim_parse_range(const char *s, uint64_t *lo, uint64_t *hi) {
  const char *dots = strstr(s, "..");
  if (dots == NULL) {
    if (parse_u63(s, strlen(s), lo) < 0)
      return -1;
    *hi = *lo;
    return 0;
  }
  if (parse_u63(s, (size_t)(dots - s), lo) < 0 ||
      parse_u63(dots + 2, strlen(dots + 2), hi) < 0 || *lo > *hi)
    return -1;
  return 0;
}

int jsim_parse_duration(const char *s, uint64_t *out_ns) {
  double v;
  if (number_unit(s, strlen(s), time_units, &v) < 0 || v >= 1.8e19)
    return -1;
  *out_ns = (uint64_t)llround(v);
  return 0;
}

/* ---- Hosts and links ---------------------------------------------------------- */

static int find_host(parser *p, int wi, int *out) {
  char gbuf[80], name[JSIM_NAME_MAX];
  if (wi >= p->nw)
    return fail(p, wi, "expected a host name, got end of line");
  copy_word(p, wi, name, sizeof name);
  for (int i = 0; i < p->s->nhosts; i++)
    if (strcmp(p->s->hosts[i].name, name) == 0) {
      *out = i;
      return 0;
    }
  return fail(p, wi, "expected a host declared by a `host` line, got %s",
              GOT(wi));
}

/* A host, or a choice of hosts `a|b|c` (swarm: one is drawn per seed);
 * *out is the first, list/n the choices (n == 0 for a single host). */
static int find_host_choice(parser *p, int wi, int *out, int *list, int *n) {
  char gbuf[80], buf[256];
  *n = 0;
  if (wi >= p->nw || memchr(p->w[wi].s, '|', (size_t)p->w[wi].len) == NULL)
    return find_host(p, wi, out);
  if (p->w[wi].len >= (int)sizeof buf)
    return fail(p, wi, "expected hosts a|b|..., got %s", GOT(wi));
  copy_word(p, wi, buf, sizeof buf);
  for (char *tok = buf, *next; tok != NULL; tok = next) {
    next = strchr(tok, '|');
    if (next != NULL)
      *next++ = 0;
    int h = -1;
    for (int i = 0; i < p->s->nhosts; i++)
      if (strcmp(p->s->hosts[i].name, tok) == 0)
        h = i;
    if (h < 0)
      return fail(p, wi,
                  "expected hosts declared by `host` lines, got '%s' in %s",
                  tok, GOT(wi));
    for (int i = 0; i < *n; i++)
      if (list[i] == h)
        return fail(p, wi, "host '%s' named twice in %s", tok, GOT(wi));
    if (*n == JSIM_MAX_CHOICES)
      return fail(p, wi, "expected at most %d choices, got %s",
                  JSIM_MAX_CHOICES, GOT(wi));
    list[(*n)++] = h;
  }
  *out = list[0];
  p->s->swarm = 1;
  return 0;
}

/* The two hosts of a pair fault (either may be a choice); every choice of
 * the first must leave a different host for the second. */
static int pair_hosts(parser *p, int wi, jsim_event *e) {
  char gbuf[80];
  if (find_host_choice(p, wi, &e->a, e->ca, &e->nca) < 0 ||
      find_host_choice(p, wi + 1, &e->b, e->cb, &e->ncb) < 0)
    return -1;
  int na = e->nca ? e->nca : 1, nb = e->ncb ? e->ncb : 1;
  for (int i = 0; i < na; i++) {
    int a = e->nca ? e->ca[i] : e->a, other = 0;
    for (int j = 0; j < nb; j++)
      other |= (e->ncb ? e->cb[j] : e->b) != a;
    if (!other)
      return fail(p, wi + 1, "expected a host other than %s, got %s",
                  p->s->hosts[a].name, GOT(wi + 1));
  }
  return 0;
}

static int valid_name(parser *p, int wi) {
  const word *w = &p->w[wi];
  if (w->len >= JSIM_NAME_MAX)
    return 0;
  for (int i = 0; i < w->len; i++) {
    char c = w->s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
      return 0;
  }
  return 1;
}

static int looks_like_addr(const char *a) {
  /* A literal only; jnet_sim_host checks it fully when the run starts. */
  if (strchr(a, ':') != NULL)
    return strspn(a, "0123456789abcdefABCDEF:.") == strlen(a);
  int dots = 0;
  for (const char *c = a; *c; c++) {
    if (*c == '.')
      dots++;
    else if (*c < '0' || *c > '9')
      return 0;
  }
  return dots == 3;
}

static int parse_host(parser *p) {
  char gbuf[80];
  jsim_scn *s = p->s;
  if (p->nw < 2 || !valid_name(p, 1))
    return fail(p, 1, "expected a host name (letters, digits, - _ .), got %s",
                GOT(1));
  if (p->nw < 3)
    return fail(p, 2, "expected an address such as 192.0.2.10, got %s",
                GOT(2));
  jsim_host h;
  memset(&h, 0, sizeof h);
  copy_word(p, 1, h.name, sizeof h.name);
  for (int i = 0; i < s->nhosts; i++)
    if (strcmp(s->hosts[i].name, h.name) == 0)
      return fail(p, 1, "duplicate host '%s'", h.name);
  for (int wi = 2; wi < p->nw; wi++) {
    char a[64];
    if (is(p, wi, "tcp") && wi > 2) { /* `tcp cubic|newreno` */
      if (wi + 1 >= p->nw || !(is(p, wi + 1, "cubic") ||
                               is(p, wi + 1, "newreno")))
        return fail(p, wi + 1, "expected a TCP congestion control (cubic, "
                               "newreno), got %s", GOT(wi + 1));
      copy_word(p, wi + 1, h.tcp_cc, sizeof h.tcp_cc);
      wi++;
      continue;
    }
    copy_word(p, wi, a, sizeof a);
    size_t al = strlen(a);
    if (a[0] == '[' && al > 2 && a[al - 1] == ']') {
      memmove(a, a + 1, al - 2);
      a[al - 2] = 0;
    }
    if (!looks_like_addr(a) || strlen(a) >= sizeof h.addrs[0])
      return fail(p, wi, "expected an IPv4 or [IPv6] address, got %s",
                  GOT(wi));
    if (h.naddrs == JSIM_MAX_ADDRS)
      return fail(p, wi, "expected at most %d addresses, got %s",
                  JSIM_MAX_ADDRS, GOT(wi));
    for (int i = 0; i < s->nhosts; i++)
      for (int j = 0; j < s->hosts[i].naddrs; j++)
        if (strcmp(s->hosts[i].addrs[j], a) == 0)
          return fail(p, wi, "duplicate address %s (host %s has it)", a,
                      s->hosts[i].name);
    strcpy(h.addrs[h.naddrs++], a);
  }
  jsim_host *nh = jnet__realloc(s->hosts, sizeof *nh * (size_t)(s->nhosts + 1));
  if (nh == NULL)
    return fail(p, 0, "out of memory");
  s->hosts = nh;
  s->hosts[s->nhosts++] = h;
  return 0;
}

/* Add an option; its text is word vw's (none when vw < 0). */
static int add_opt_range(parser *p, jsim_link *l, int wi, int what, double lo,
                         double hi, int vw) {
  if (l->nopts == (int)(sizeof l->opts / sizeof l->opts[0]))
    return fail(p, wi, "too many link options");
  jsim_linkopt *o = &l->opts[l->nopts++];
  memset(o, 0, sizeof *o);
  o->what = what;
  o->value = lo;
  o->hi = hi;
  o->ranged = hi != lo || (vw >= 0 && vw < p->nw && range_split(p, vw) >= 0);
  if (vw >= 0 && vw < p->nw)
    copy_word(p, vw, o->text, sizeof o->text);
  return 0;
}

static int add_opt(parser *p, jsim_link *l, int wi, int what, double v) {
  return add_opt_range(p, l, wi, what, v, v, wi + 1);
}

/* An option whose value (word vw) may be a range. */
static int opt_range(parser *p, jsim_link *l, int k, int vw, int what,
                     const unit *units, const char *desc, double max,
                     const char *bound) {
  double lo, hi;
  int r;
  if (word_unit_range(p, vw, units, desc, max, bound, &lo, &hi, &r) < 0)
    return -1;
  if (units == time_units) {
    lo = (double)llround(lo);
    hi = (double)llround(hi);
  }
  return add_opt_range(p, l, k, what, lo, hi, vw);
}
#define TIME_DESC "a time such as 5ms (ns, us, ms, s, m)"
#define PROB_DESC "a percentage such as 0.5%"

/* Link options from word wi to the end of the line. */
static int parse_link_opts(parser *p, int wi, jsim_link *l) {
  char gbuf[80];
  while (wi < p->nw) {
    int k = wi++;
    if (is(p, k, "latency") || is(p, k, "jitter")) {
      if (opt_range(p, l, k, wi++,
                    is(p, k, "latency") ? JSIM_OPT_LATENCY : JSIM_OPT_JITTER,
                    time_units, TIME_DESC, 1.8e19, "at most 2^64 ns") < 0)
        return -1;
    } else if (is(p, k, "dist")) {
      static const char *d[] = {"uniform", "normal", "exponential", "pareto"};
      int found = -1;
      for (int i = 0; i < 4; i++)
        if (is(p, wi, d[i]))
          found = i;
      if (found < 0)
        return fail(p, wi,
                    "expected uniform, normal, exponential or pareto, got %s",
                    GOT(wi));
      wi++;
      if (add_opt(p, l, k, JSIM_OPT_DIST, found) < 0)
        return -1;
    } else if (is(p, k, "loss") || is(p, k, "dup") || is(p, k, "corrupt")) {
      int what = is(p, k, "loss")  ? JSIM_OPT_LOSS
                 : is(p, k, "dup") ? JSIM_OPT_DUP
                                   : JSIM_OPT_CORRUPT;
      if (opt_range(p, l, k, wi++, what, pct_units, PROB_DESC, 1.0,
                    "0% to 100%") < 0)
        return -1;
    } else if (is(p, k, "reorder")) {
      if (opt_range(p, l, k, wi++, JSIM_OPT_REORDER, pct_units, PROB_DESC,
                    1.0, "0% to 100%") < 0)
        return -1;
      if (is(p, wi, "by")) {
        if (opt_range(p, l, wi, wi + 1, JSIM_OPT_REORDER_BY, time_units,
                      TIME_DESC, 1.8e19, "at most 2^64 ns") < 0)
          return -1;
        wi += 2;
      }
    } else if (is(p, k, "bandwidth")) {
      if (opt_range(p, l, k, wi++, JSIM_OPT_BANDWIDTH, rate_units,
                    "a rate such as 10mbit", 1.8e19, "at most 2^64 bit/s") < 0)
        return -1;
    } else if (is(p, k, "queue")) {
      if (opt_range(p, l, k, wi++, JSIM_OPT_QUEUE, size_units,
                    "a size such as 64kb", 4294967295.0,
                    "queue size out of range: at most 4 GiB") < 0)
        return -1;
    } else if (is(p, k, "mtu")) {
      uint64_t m, mh;
      int d = wi < p->nw ? range_split(p, wi) : -1;
      if (wi >= p->nw ||
          (d < 0 && parse_u63(p->w[wi].s, (size_t)p->w[wi].len, &m) < 0) ||
          (d >= 0 && (parse_u63(p->w[wi].s, (size_t)d, &m) < 0 ||
                      parse_u63(p->w[wi].s + d + 2,
                                (size_t)(p->w[wi].len - d - 2), &mh) < 0)) ||
          m < 576 || m > 65535 || (d >= 0 && (mh < 576 || mh > 65535)))
        return fail(p, wi, "expected an MTU from 576 to 65535, got %s",
                    GOT(wi));
      if (d < 0)
        mh = m;
      else if (m > mh)
        return fail(p, wi, "reversed range %s: the low end comes first",
                    GOT(wi));
      else
        p->s->swarm = 1;
      if (add_opt_range(p, l, k, JSIM_OPT_MTU, (double)m, (double)mh, wi) < 0)
        return -1;
      wi++;
    } else if (is(p, k, "burst")) {
      if (opt_range(p, l, k, wi, JSIM_OPT_GE_P, pct_units, PROB_DESC, 1.0,
                    "0% to 100%") < 0 ||
          opt_range(p, l, k, wi + 1, JSIM_OPT_GE_R, pct_units, PROB_DESC, 1.0,
                    "0% to 100%") < 0)
        return -1;
      wi += 2;
      if (is(p, wi, "bad-loss")) {
        if (opt_range(p, l, k, wi + 1, JSIM_OPT_GE_LOSS, pct_units, PROB_DESC,
                      1.0, "0% to 100%") < 0)
          return -1;
        wi += 2;
      } else if (add_opt_range(p, l, k, JSIM_OPT_GE_LOSS, 1.0, 1.0, -1) < 0) {
        return -1;
      }
    } else if (is(p, k, "oneway")) {
      if (l->a < 0)
        return fail(p, k, "the default link has no direction");
      l->oneway = 1;
    } else {
      return fail(p, k,
                  "expected a link option (latency, jitter, dist, loss, dup, "
                  "reorder, corrupt, bandwidth, queue, mtu, burst, oneway), "
                  "got %s",
                  GOT(k));
    }
  }
  return 0;
}

/* link A B opts... | link default opts... ; from word wi (after `link`). */
static int parse_link_spec(parser *p, int wi, jsim_link *l) {
  char gbuf[80];
  memset(l, 0, sizeof *l);
  l->key = p->key;
  if (is(p, wi, "default")) {
    l->a = l->b = -1;
    return parse_link_opts(p, wi + 1, l);
  }
  if (find_host(p, wi, &l->a) < 0 || find_host(p, wi + 1, &l->b) < 0)
    return -1;
  if (l->a == l->b)
    return fail(p, wi + 1, "expected a host other than %s, got %s",
                p->s->hosts[l->a].name, GOT(wi + 1));
  return parse_link_opts(p, wi + 2, l);
}

static int parse_link(parser *p) {
  jsim_link l;
  if (parse_link_spec(p, 1, &l) < 0)
    return -1;
  jsim_scn *s = p->s;
  jsim_link *nl = jnet__realloc(s->links, sizeof *nl * (size_t)(s->nlinks + 1));
  if (nl == NULL)
    return fail(p, 0, "out of memory");
  s->links = nl;
  s->links[s->nlinks++] = l;
  return 0;
}

/* ---- run, at, limit, expect, seed ---------------------------------------------- */

static void free_args(jsim_run *r) {
  for (int i = 0; i < r->nargs; i++) {
    jnet__free(r->args[i].key);
    jnet__free(r->args[i].value);
  }
  jnet__free(r->args);
  r->args = NULL;
  r->nargs = 0;
}

static int parse_run(parser *p) {
  char gbuf[80], name[JSIM_NAME_MAX];
  jsim_run r;
  memset(&r, 0, sizeof r);
  if (find_host(p, 1, &r.host) < 0)
    return -1;
  if (p->nw < 3)
    return fail(p, 2, "expected a program name, got end of line");
  copy_word(p, 2, name, sizeof name);
  for (size_t i = 0; i < p->nprogs; i++)
    if (strcmp(p->progs[i].name, name) == 0)
      r.prog = &p->progs[i];
  if (r.prog == NULL)
    return fail(p, 2, "expected a registered program (see `programs`), got %s",
                GOT(2));
  r.args = jnet__calloc((size_t)p->nw, sizeof *r.args);
  if (r.args == NULL)
    return fail(p, 0, "out of memory");
  for (int wi = 3; wi < p->nw; wi++) {
    const word *w = &p->w[wi];
    const char *eq = memchr(w->s, '=', (size_t)w->len);
    if (eq == NULL || eq == w->s) {
      free_args(&r);
      return fail(p, wi, "expected key=value, got %s", GOT(wi));
    }
    jsim_arg *a = &r.args[r.nargs++];
    size_t kl = (size_t)(eq - w->s), vl = (size_t)w->len - kl - 1;
    a->key = jnet__malloc(kl + 1);
    a->value = jnet__malloc(vl + 1);
    if (a->key == NULL || a->value == NULL) {
      free_args(&r);
      return fail(p, 0, "out of memory");
    }
    memcpy(a->key, w->s, kl);
    a->key[kl] = 0;
    memcpy(a->value, eq + 1, vl);
    a->value[vl] = 0;
    const char *d = strstr(a->value, "..");
    uint64_t lo, hi;
    if (d != NULL && parse_u63(a->value, (size_t)(d - a->value), &lo) == 0 &&
        parse_u63(d + 2, strlen(d + 2), &hi) == 0) { /* key=LO..HI: drawn */
      if (lo > hi) {
        free_args(&r);
        return fail(p, wi, "reversed range %s: the low end comes first",
                    GOT(wi));
      }
      a->ranged = 1;
      a->lo = (long long)lo;
      a->hi = (long long)hi;
      p->s->swarm = 1;
    }
  }
  r.key = p->key;
  jsim_scn *s = p->s;
  jsim_run *nr = jnet__realloc(s->runs, sizeof *nr * (size_t)(s->nruns + 1));
  if (nr == NULL) {
    free_args(&r);
    return fail(p, 0, "out of memory");
  }
  s->runs = nr;
  s->runs[s->nruns++] = r;
  return 0;
}

/* { h1 h2 ... } from word *wi; fills a fresh array. */
static int parse_group(parser *p, int *wi, int **out, int *n) {
  char gbuf[80];
  if (!is(p, *wi, "{"))
    return fail(p, *wi, "expected '{', got %s", GOT(*wi));
  (*wi)++;
  *out = jnet__calloc((size_t)p->nw, sizeof **out);
  if (*out == NULL)
    return fail(p, 0, "out of memory");
  *n = 0;
  while (!is(p, *wi, "}")) {
    if (*wi >= p->nw)
      return fail(p, *wi, "expected '}', got end of line");
    if (find_host(p, *wi, &(*out)[*n]) < 0)
      return -1;
    (*n)++;
    (*wi)++;
  }
  if (*n == 0)
    return fail(p, *wi, "expected a host name, got '}'");
  (*wi)++;
  return 0;
}

/* at TIME FAULT; maybe: the probability of a `maybe P%` prefix (1 if
 * none), mtext its text. */
static int parse_at(parser *p, double maybe, const char *mtext) {
  char gbuf[80];
  jsim_event e;
  memset(&e, 0, sizeof e);
  e.line = p->line;
  e.key = p->key;
  e.maybe = maybe;
  snprintf(e.maybe_text, sizeof e.maybe_text, "%s", mtext);
  if (word_time_range(p, 1, &e.at_ns, &e.at_hi) < 0)
    return -1;
  copy_word(p, 1, e.at_text, sizeof e.at_text);
  int wi = 3, k = 2;
  if (is(p, k, "partition")) {
    if (is(p, wi, "{")) {
      e.kind = JSIM_EV_PARTITION_GROUPS;
      if (parse_group(p, &wi, &e.ga, &e.nga) < 0 ||
          parse_group(p, &wi, &e.gb, &e.ngb) < 0)
        goto bad;
    } else {
      e.kind = JSIM_EV_PARTITION;
      if (pair_hosts(p, wi, &e) < 0)
        return -1;
      wi += 2;
    }
    if (is(p, wi, "oneway")) {
      e.oneway = 1;
      wi++;
    }
  } else if (is(p, k, "heal") && is(p, wi, "all")) {
    e.kind = JSIM_EV_HEAL_ALL;
    wi++;
  } else if (is(p, k, "heal") || is(p, k, "clog") || is(p, k, "unclog")) {
    e.kind = is(p, k, "heal")   ? JSIM_EV_HEAL
             : is(p, k, "clog") ? JSIM_EV_CLOG
                                : JSIM_EV_UNCLOG;
    if (pair_hosts(p, wi, &e) < 0)
      return -1;
    wi += 2;
  } else if (is(p, k, "crash") || is(p, k, "restart")) {
    e.kind = is(p, k, "crash") ? JSIM_EV_CRASH : JSIM_EV_RESTART;
    if (find_host_choice(p, wi, &e.a, e.ca, &e.nca) < 0)
      return -1;
    wi++;
  } else if (is(p, k, "set")) {
    e.kind = JSIM_EV_SET_LINK;
    if (!is(p, wi, "link"))
      return fail(p, wi, "expected 'link', got %s", GOT(wi));
    if (parse_link_spec(p, wi + 1, &e.link) < 0)
      return -1;
    wi = p->nw;
  } else {
    return fail(p, k,
                "expected partition, heal, clog, unclog, set, crash or "
                "restart, got %s",
                GOT(k));
  }
  if (wi < p->nw) {
    fail(p, wi, "expected end of line, got %s", GOT(wi));
    goto bad;
  }
  jsim_scn *s = p->s;
  jsim_event *ne =
      jnet__realloc(s->events, sizeof *ne * (size_t)(s->nevents + 1));
  if (ne == NULL) {
    fail(p, 0, "out of memory");
    goto bad;
  }
  s->events = ne;
  /* Insert after every event at the same or an earlier time: stable. */
  int pos = s->nevents;
  while (pos > 0 && s->events[pos - 1].at_ns > e.at_ns)
    pos--;
  memmove(&s->events[pos + 1], &s->events[pos],
          sizeof *ne * (size_t)(s->nevents - pos));
  s->events[pos] = e;
  s->nevents++;
  return 0;
bad:
  jnet__free(e.ga);
  jnet__free(e.gb);
  return -1;
}

static int parse_limit(parser *p) {
  char gbuf[80];
  p->s->has_limit = 1;
  if (word_time(p, 1, &p->s->limit_ns) < 0)
    return -1;
  int wi = 2;
  if (is(p, wi, "events")) {
    if (wi + 1 >= p->nw ||
        parse_u63(p->w[wi + 1].s, (size_t)p->w[wi + 1].len,
                  &p->s->limit_events) < 0)
      return fail(p, wi + 1, "expected a number of events, got %s",
                  GOT(wi + 1));
    wi += 2;
  }
  if (wi < p->nw)
    return fail(p, wi, "expected 'events' or end of line, got %s", GOT(wi));
  return 0;
}

/* Append x to the scenario's expectations. */
static int add_expect(parser *p, const jsim_expect *x) {
  jsim_scn *s = p->s;
  jsim_expect *nx =
      jnet__realloc(s->expects, sizeof *nx * (size_t)(s->nexpects + 1));
  if (nx == NULL)
    return fail(p, 0, "out of memory");
  s->expects = nx;
  s->expects[s->nexpects++] = *x;
  return 0;
}

static int parse_expect(parser *p) {
  char gbuf[80];
  jsim_expect x;
  memset(&x, 0, sizeof x);
  if (p->nw >= 2 && is(p, 1, "linearizable")) {
    /* `expect linearizable`: the run's history (jnet_prog_history). */
    if (p->nw > 2)
      return fail(p, 2, "expected end of line, got %s", GOT(2));
    x.kind = JSIM_X_LINEARIZABLE;
    x.host = -1;
    x.line = p->line;
    snprintf(x.check, sizeof x.check, "linearizable");
    return add_expect(p, &x);
  }
  if (p->nw >= 2 && is(p, 1, "quiescent")) { /* expect quiescent */
    if (p->nw > 2)
      return fail(p, 2, "expected end of line, got %s", GOT(2));
    x.kind = JSIM_X_QUIESCENT;
    x.host = -1;
    x.line = p->line;
    return add_expect(p, &x);
  }
  x.kind = JSIM_X_CHECK;
  if (find_host(p, 1, &x.host) < 0)
    return -1;
  if (p->nw < 3)
    return fail(p, 2, "expected a program name, got end of line");
  copy_word(p, 2, x.prog, sizeof x.prog);
  int found = 0;
  for (int i = 0; i < p->s->nruns; i++)
    if (p->s->runs[i].host == x.host &&
        strcmp(p->s->runs[i].prog->name, x.prog) == 0)
      found = 1;
  if (!found)
    return fail(p, 2, "expected a program run on %s by a `run` line, got %s",
                p->s->hosts[x.host].name, GOT(2));
  if (p->nw < 4 || !valid_name(p, 3))
    return fail(p, 3, "expected a check name such as ok, got %s", GOT(3));
  copy_word(p, 3, x.check, sizeof x.check);
  if (p->nw > 4)
    return fail(p, 4, "expected end of line, got %s", GOT(4));
  x.line = p->line;
  return add_expect(p, &x);
}

static int parse_seed(parser *p) {
  char gbuf[80], buf[64];
  if (p->nw < 2 || p->w[1].len >= (int)sizeof buf)
    return fail(p, 1, "expected seeds A..B (0 <= A <= B < 2^63), got %s",
                GOT(1));
  copy_word(p, 1, buf, sizeof buf);
  if (jsim_parse_range(buf, &p->s->seed_lo, &p->s->seed_hi) < 0)
    return fail(p, 1, "expected seeds A..B (0 <= A <= B < 2^63), got %s",
                GOT(1));
  if (p->nw > 2)
    return fail(p, 2, "expected end of line, got %s", GOT(2));
  p->s->has_seeds = 1;
  return 0;
}

/* maybe P% at ... */
static int parse_maybe(parser *p) {
  char gbuf[80], mtext[24];
  double pr;
  if (word_prob(p, 1, &pr) < 0)
    return -1;
  if (!is(p, 2, "at"))
    return fail(p, 2, "expected 'at' after `maybe %.*s`, got %s", p->w[1].len,
                p->w[1].s, GOT(2));
  copy_word(p, 1, mtext, sizeof mtext);
  p->s->swarm = 1;
  /* The rest is an `at` line: its words keep their columns. */
  memmove(p->w, p->w + 2, sizeof p->w[0] * (size_t)(p->nw - 2));
  p->nw -= 2;
  return parse_at(p, pr, mtext);
}

/* A comma-separated list in word wi: calls item(p, wi, name, arg) for each
 * name. */
static int each_item(parser *p, int wi,
                     int (*item)(parser *, int, const char *, void *),
                     void *arg) {
  char gbuf[80], buf[256];
  if (wi >= p->nw || p->w[wi].len >= (int)sizeof buf)
    return fail(p, wi, "expected a comma-separated list, got %s", GOT(wi));
  copy_word(p, wi, buf, sizeof buf);
  for (char *tok = buf, *next; tok != NULL; tok = next) {
    next = strchr(tok, ',');
    if (next != NULL)
      *next++ = 0;
    if (*tok == 0)
      return fail(p, wi, "empty name in the list %s", GOT(wi));
    if (item(p, wi, tok, arg) < 0)
      return -1;
  }
  return 0;
}

static int gen_kind(parser *p, int wi, const char *name, void *arg) {
  static const char *kinds[] = {"partition", "clog", "crash", "set-link"};
  jsim_gen *g = arg;
  for (int i = 0; i < 4; i++)
    if (strcmp(name, kinds[i]) == 0) {
      g->kinds |= 1u << i;
      return 0;
    }
  return fail(p, wi,
              "expected faults partition, clog, crash or set-link, got '%s'",
              name);
}

static int gen_host(parser *p, int wi, const char *name, void *arg) {
  jsim_gen *g = arg;
  for (int i = 0; i < p->s->nhosts; i++)
    if (strcmp(p->s->hosts[i].name, name) == 0) {
      for (int k = 0; k < g->nhosts; k++)
        if (g->hosts[k] == i)
          return fail(p, wi, "host '%s' named twice", name);
      g->hosts[g->nhosts++] = i;
      return 0;
    }
  return fail(p, wi, "expected hosts declared by `host` lines, got '%s'",
              name);
}

/* faults N..M of KINDS between T1..T2 [on HOSTS] */
static int parse_faults(parser *p) {
  char gbuf[80], buf[64];
  jsim_gen g;
  memset(&g, 0, sizeof g);
  g.line = p->line;
  g.key = p->key;
  if (p->nw < 2 || p->w[1].len >= (int)sizeof buf)
    return fail(p, 1, "expected a number of faults N..M, got %s", GOT(1));
  copy_word(p, 1, buf, sizeof buf);
  const char *d = strstr(buf, "..");
  if (d != NULL && jsim_parse_range(buf, &g.nlo, &g.nhi) < 0) {
    uint64_t a, b;
    if (parse_u63(buf, (size_t)(d - buf), &a) == 0 &&
        parse_u63(d + 2, strlen(d + 2), &b) == 0)
      return fail(p, 1, "reversed range %s: the low end comes first",
                  GOT(1));
  }
  if (jsim_parse_range(buf, &g.nlo, &g.nhi) < 0)
    return fail(p, 1, "expected a number of faults N..M, got %s", GOT(1));
  if (g.nhi == 0)
    return fail(p, 1, "nothing to draw: at most 0 faults");
  if (g.nhi > 64)
    return fail(p, 1, "expected at most 64 faults, got %s", GOT(1));
  if (!is(p, 2, "of"))
    return fail(p, 2, "expected 'of', got %s", GOT(2));
  if (each_item(p, 3, gen_kind, &g) < 0)
    return -1;
  if (!is(p, 4, "between"))
    return fail(p, 4, "expected 'between', got %s", GOT(4));
  if (word_time_range(p, 5, &g.t_lo, &g.t_hi) < 0)
    return -1;
  g.hosts = jnet__calloc((size_t)p->s->nhosts + 1, sizeof *g.hosts);
  if (g.hosts == NULL)
    return fail(p, 0, "out of memory");
  int wi = 6;
  if (is(p, wi, "on")) {
    if (each_item(p, wi + 1, gen_host, &g) < 0)
      goto bad;
    wi += 2;
  } else {
    for (int i = 0; i < p->s->nhosts; i++)
      g.hosts[g.nhosts++] = i;
  }
  if (wi < p->nw) {
    fail(p, wi, "expected 'on' or end of line, got %s", GOT(wi));
    goto bad;
  }
  /* Pair faults need two hosts; a crash one. */
  unsigned pairs = (1u << JSIM_GEN_PARTITION) | (1u << JSIM_GEN_CLOG) |
                   (1u << JSIM_GEN_SET_LINK);
  if (g.nhosts < 2)
    g.kinds &= ~pairs;
  if (g.nhosts < 1)
    g.kinds = 0;
  if (g.kinds == 0) {
    fail(p, is(p, 6, "on") ? 7 : 3,
         "nothing to draw from: %d host%s for %s", g.nhosts,
         g.nhosts == 1 ? "" : "s",
         g.nhosts == 1 ? "faults between two hosts" : "any fault");
    goto bad;
  }
  jsim_scn *s = p->s;
  jsim_gen *ng = jnet__realloc(s->gens, sizeof *ng * (size_t)(s->ngens + 1));
  if (ng == NULL) {
    fail(p, 0, "out of memory");
    goto bad;
  }
  s->gens = ng;
  s->gens[s->ngens++] = g;
  s->swarm = 1;
  return 0;
bad:
  jnet__free(g.hosts);
  return -1;
}

static int parse_line(parser *p) {
  char gbuf[80];
  if (p->nw == 0)
    return 0;
  if (is(p, 0, "maybe"))
    return parse_maybe(p);
  if (is(p, 0, "faults"))
    return parse_faults(p);
  if (is(p, 0, "seed") || is(p, 0, "seeds"))
    return parse_seed(p);
  if (is(p, 0, "host"))
    return parse_host(p);
  if (is(p, 0, "link"))
    return parse_link(p);
  if (is(p, 0, "run"))
    return parse_run(p);
  if (is(p, 0, "at"))
    return parse_at(p, 1.0, "");
  if (is(p, 0, "limit"))
    return parse_limit(p);
  if (is(p, 0, "expect"))
    return parse_expect(p);
  return fail(p, 0,
              "expected a keyword (seed, host, link, run, at, maybe, faults, "
              "limit, expect), got %s",
              GOT(0));
}

/* A line longer than MAX_LINE_CHARS (comments aside) is refused at the
 * word that crosses the limit: shrinking and swarm draws write every line
 * back (jsim_swarm.c, lines of 2 KiB with room for drawn values), and a
 * longer one would come back cut. */
static int too_long(parser *p) {
  for (int i = 0; i < p->nw; i++)
    if (p->w[i].col - 1 + p->w[i].len > MAX_LINE_CHARS) {
      fail(p, i, "line too long (more than %d characters)", MAX_LINE_CHARS);
      return 1;
    }
  return 0;
}

/* This line's PRNG stream key: a hash of its words, told apart from the
 * identical lines before it. */
static int line_key(parser *p) {
  char buf[1024];
  size_t n = 0;
  for (int i = 0; i < p->nw && n < sizeof buf; i++) {
    int k = snprintf(buf + n, sizeof buf - n, "%s%.*s", i ? " " : "",
                     p->w[i].len, p->w[i].s);
    n += k > 0 ? (size_t)k : 0;
  }
  if (n > sizeof buf)
    n = sizeof buf;
  uint64_t base = jsim_line_key(buf, n, 0);
  unsigned occ = 0;
  for (int i = 0; i < p->nseen; i++)
    occ += p->seen[i] == base;
  uint64_t *ns = jnet__realloc(p->seen, sizeof *ns * (size_t)(p->nseen + 1));
  if (ns == NULL)
    return fail(p, 0, "out of memory");
  p->seen = ns;
  p->seen[p->nseen++] = base;
  p->key = jsim_line_key(buf, n, occ);
  return 0;
}

int jsim_parse_text(const char *path, const char *text,
                    const jnet_program *progs, size_t n, jsim_scn **out,
                    char *err, size_t errlen) {
  parser p;
  memset(&p, 0, sizeof p);
  p.path = path;
  p.err = err;
  p.errlen = errlen;
  p.progs = progs;
  p.nprogs = n;
  p.s = jnet__calloc(1, sizeof *p.s);
  if (p.s == NULL || (p.s->path = jnet__strdup(path)) == NULL) {
    jnet__free(p.s);
    snprintf(err, errlen, "%s: error: out of memory", path);
    return -1;
  }
  p.s->progs = progs;
  p.s->nprogs = n;
  p.s->limit_ns = 600 * JNET_SIM_S;
  p.s->limit_events = 50000000;
  const char *line = text;
  while (*line) {
    const char *nl = strchr(line, '\n');
    size_t len = nl ? (size_t)(nl - line) : strlen(line);
    p.line++;
    split(&p, line, len);
    if (p.nw == MAX_WORDS) {
      fail(&p, MAX_WORDS - 1, "line too long (more than %d words)",
           MAX_WORDS - 1);
      goto bad;
    }
    if (too_long(&p))
      goto bad;
    if (line_key(&p) < 0 || parse_line(&p) < 0)
      goto bad;
    line += len + (nl != NULL);
  }
  if (p.s->nhosts == 0 || p.s->nruns == 0) {
    p.nw = 0;
    p.line++;
    fail(&p, 0, "expected at least one `host` and one `run` line, got end of "
                "file");
    goto bad;
  }
  jnet__free(p.seen);
  *out = p.s;
  return 0;
bad:
  jnet__free(p.seen);
  jsim_scn_free(p.s);
  return -1;
}

int jsim_parse_file(const char *path, const jnet_program *progs, size_t n,
                    jsim_scn **out, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    snprintf(err, errlen, "%s: error: cannot open: %s", path, strerror(errno));
    return -1;
  }
  size_t cap = 4096, len = 0;
  char *buf = jnet__malloc(cap);
  size_t got;
  while (buf != NULL && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
    len += got;
    if (cap - len < 2) {
      char *nb = jnet__realloc(buf, cap * 2);
      if (nb == NULL) {
        jnet__free(buf);
        buf = NULL;
      }
      buf = nb;
      cap *= 2;
    }
  }
  int rerr = ferror(f);
  fclose(f);
  if (buf == NULL || rerr) {
    jnet__free(buf);
    snprintf(err, errlen, "%s: error: cannot read", path);
    return -1;
  }
  buf[len] = 0;
  if (strlen(buf) != len) {
    jnet__free(buf);
    snprintf(err, errlen, "%s: error: expected text, got a NUL byte", path);
    return -1;
  }
  int rc = jsim_parse_text(path, buf, progs, n, out, err, errlen);
  jnet__free(buf);
  return rc;
}

void jsim_scn_free(jsim_scn *s) {
  if (s == NULL)
    return;
  for (int i = 0; i < s->nruns; i++) {
    for (int j = 0; j < s->runs[i].nargs; j++) {
      jnet__free(s->runs[i].args[j].key);
      jnet__free(s->runs[i].args[j].value);
    }
    jnet__free(s->runs[i].args);
  }
  for (int i = 0; i < s->nevents; i++) {
    jnet__free(s->events[i].ga);
    jnet__free(s->events[i].gb);
  }
  for (int i = 0; i < s->ngens; i++)
    jnet__free(s->gens[i].hosts);
  jnet__free(s->gens);
  jnet__free(s->path);
  jnet__free(s->hosts);
  jnet__free(s->links);
  jnet__free(s->runs);
  jnet__free(s->events);
  jnet__free(s->expects);
  jnet__free(s);
}
