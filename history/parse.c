/* parse.c — read a history from JSON Lines (DESIGN.md, "Histories and
 * linearizability").
 *
 * Each line is one JSON object. The six fields that matter are process,
 * type, f, key, value and time; others (Jepsen's index, error, ...) are
 * parsed and ignored, and a line whose process is not an integer (Jepsen's
 * "nemesis") is ignored whole. Blank lines are skipped. Anything else that
 * is not as the format says stops the parse with "NAME:LINE:COL: error:
 * ..." and JNET_EINVAL.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "jnet_alloc.h"
#include <jnet/jnet.h>

#define MAX_DEPTH 64

enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

/* A parsed JSON value: scalars in full, arrays as their first two
 * elements (if scalars) and a count, objects as their kind only. */
typedef struct jv {
  int kind;
  int present;
  const char *at; /* where it starts, for columns */
  double num;
  int is_int; /* a number written without fraction or exponent */
  int64_t i;
  char *str;   /* decoded, in the line's scratch */
  int n;       /* array: elements */
  int scalars; /* array: every element is a scalar */
  struct jvs {
    int kind;
    double num;
    char *str;
  } el[2];
} jv;

typedef struct lp {
  const char *p, *end, *line;
  int lineno;
  char *scratch; /* decoded strings, bump-allocated */
  size_t used;
  const char *err_at;
  char err[200];
} lp;

static int perr(lp *l, const char *at, const char *fmt, ...) {
  if (l->err[0] == 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->err, sizeof l->err, fmt, ap);
    va_end(ap);
    l->err_at = at;
  }
  return -1;
}

static void skip_ws(lp *l) {
  while (l->p < l->end &&
         (*l->p == ' ' || *l->p == '\t' || *l->p == '\r' || *l->p == '\n'))
    l->p++;
}

static void put_utf8(char **o, uint32_t c) {
  unsigned char *u = (unsigned char *)*o;
  if (c < 0x80) {
    *u++ = (unsigned char)c;
  } else if (c < 0x800) {
    *u++ = (unsigned char)(0xc0 | (c >> 6));
    *u++ = (unsigned char)(0x80 | (c & 0x3f));
  } else if (c < 0x10000) {
    *u++ = (unsigned char)(0xe0 | (c >> 12));
    *u++ = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
    *u++ = (unsigned char)(0x80 | (c & 0x3f));
  } else {
    *u++ = (unsigned char)(0xf0 | (c >> 18));
    *u++ = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
    *u++ = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
    *u++ = (unsigned char)(0x80 | (c & 0x3f));
  }
  *o = (char *)u;
}

static int hex4(lp *l, uint32_t *out) {
  if (l->end - l->p < 4)
    return perr(l, l->p, "expected four hex digits after \\u");
  uint32_t c = 0;
  for (int i = 0; i < 4; i++) {
    char ch = l->p[i];
    int d = ch >= '0' && ch <= '9'   ? ch - '0'
            : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
            : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                     : -1;
    if (d < 0)
      return perr(l, l->p + i, "expected four hex digits after \\u");
    c = c * 16 + (uint32_t)d;
  }
  l->p += 4;
  *out = c;
  return 0;
}

/* A string at l->p (on its '"'), decoded into the scratch (never longer
 * than its JSON text). */
static int parse_string(lp *l, char **out) {
  const char *start = l->p++;
  char *o = l->scratch + l->used, *begin = o;
  for (;;) {
    if (l->p >= l->end)
      return perr(l, start, "unterminated string");
    unsigned char c = (unsigned char)*l->p;
    if (c == '"') {
      l->p++;
      break;
    }
    if (c < 0x20)
      return perr(l, l->p, "a control character in a string");
    if (c != '\\') {
      *o++ = (char)c;
      l->p++;
      continue;
    }
    const char *esc = l->p++;
    if (l->p >= l->end)
      return perr(l, esc, "unterminated string");
    char e = *l->p++;
    switch (e) {
    case '"':
      *o++ = '"';
      break;
    case '\\':
      *o++ = '\\';
      break;
    case '/':
      *o++ = '/';
      break;
    case 'b':
      *o++ = '\b';
      break;
    case 'f':
      *o++ = '\f';
      break;
    case 'n':
      *o++ = '\n';
      break;
    case 'r':
      *o++ = '\r';
      break;
    case 't':
      *o++ = '\t';
      break;
    case 'u': {
      uint32_t c1;
      if (hex4(l, &c1) < 0)
        return -1;
      if (c1 >= 0xd800 && c1 <= 0xdbff && l->end - l->p >= 6 &&
          l->p[0] == '\\' && l->p[1] == 'u') {
        const char *save = l->p;
        uint32_t c2;
        l->p += 2;
        if (hex4(l, &c2) < 0)
          return -1;
        if (c2 >= 0xdc00 && c2 <= 0xdfff)
          c1 = 0x10000 + ((c1 - 0xd800) << 10) + (c2 - 0xdc00);
        else
          l->p = save;
      }
      if (c1 == 0)
        return perr(l, esc, "a NUL character (\\u0000) in a string");
      put_utf8(&o, c1);
      break;
    }
    default:
      return perr(l, esc, "unknown escape \\%c in a string", e);
    }
  }
  *o++ = 0;
  l->used += (size_t)(o - begin);
  *out = begin;
  return 0;
}

static int parse_number(lp *l, jv *v) {
  const char *s = l->p;
  const char *q = s;
  int is_int = 1;
  if (q < l->end && *q == '-')
    q++;
  if (q >= l->end || *q < '0' || *q > '9')
    return perr(l, s, "expected a JSON value");
  if (*q == '0')
    q++;
  else
    while (q < l->end && *q >= '0' && *q <= '9')
      q++;
  if (q < l->end && *q == '.') {
    is_int = 0;
    q++;
    if (q >= l->end || *q < '0' || *q > '9')
      return perr(l, q, "expected a digit after '.'");
    while (q < l->end && *q >= '0' && *q <= '9')
      q++;
  }
  if (q < l->end && (*q == 'e' || *q == 'E')) {
    is_int = 0;
    q++;
    if (q < l->end && (*q == '+' || *q == '-'))
      q++;
    if (q >= l->end || *q < '0' || *q > '9')
      return perr(l, q, "expected a digit in the exponent");
    while (q < l->end && *q >= '0' && *q <= '9')
      q++;
  }
  char buf[64];
  size_t n = (size_t)(q - s);
  if (n >= sizeof buf)
    return perr(l, s, "a number too long");
  memcpy(buf, s, n);
  buf[n] = 0;
  v->kind = J_NUM;
  errno = 0;
  v->num = strtod(buf, NULL);
  if (!isfinite(v->num))
    return perr(l, s, "a number out of range");
  v->is_int = 0;
  if (is_int) {
    errno = 0;
    long long ll = strtoll(buf, NULL, 10);
    if (errno == 0) {
      v->is_int = 1;
      v->i = ll;
    }
  } else if (v->num == floor(v->num) && fabs(v->num) < 9.2e18) {
    v->is_int = 1; /* 1.0 and 1e3 are integers too */
    v->i = (int64_t)v->num;
  }
  l->p = q;
  return 0;
}

static int word(lp *l, const char *w) {
  size_t n = strlen(w);
  if ((size_t)(l->end - l->p) >= n && memcmp(l->p, w, n) == 0) {
    l->p += n;
    return 1;
  }
  return 0;
}

static int parse_value(lp *l, jv *v, int depth);

/* An array or object whose contents we only check for syntax, except the
 * first two elements of a top-level array. */
static int parse_array(lp *l, jv *v, int depth) {
  v->kind = J_ARR;
  v->scalars = 1;
  l->p++;
  skip_ws(l);
  if (l->p < l->end && *l->p == ']') {
    l->p++;
    return 0;
  }
  for (;;) {
    jv e;
    memset(&e, 0, sizeof e);
    skip_ws(l);
    if (parse_value(l, &e, depth + 1) < 0)
      return -1;
    if (e.kind == J_ARR || e.kind == J_OBJ || e.kind == J_BOOL)
      v->scalars = 0;
    if (v->n < 2) {
      v->el[v->n].kind = e.kind;
      v->el[v->n].num = e.num;
      v->el[v->n].str = e.str;
    }
    v->n++;
    skip_ws(l);
    if (l->p < l->end && *l->p == ',') {
      l->p++;
      continue;
    }
    if (l->p < l->end && *l->p == ']') {
      l->p++;
      return 0;
    }
    return perr(l, l->p, "expected ',' or ']' in an array");
  }
}

static int parse_object_rest(lp *l, int depth,
                             int (*field)(lp *, const char *, jv *, void *),
                             void *arg);

static int parse_value(lp *l, jv *v, int depth) {
  if (depth > MAX_DEPTH)
    return perr(l, l->p, "nested deeper than %d", MAX_DEPTH);
  skip_ws(l);
  v->present = 1;
  v->at = l->p;
  if (l->p >= l->end)
    return perr(l, l->p, "expected a JSON value, got end of line");
  switch (*l->p) {
  case '"':
    v->kind = J_STR;
    return parse_string(l, &v->str);
  case '[':
    return parse_array(l, v, depth);
  case '{':
    v->kind = J_OBJ;
    return parse_object_rest(l, depth, NULL, NULL);
  case 't':
  case 'f':
    v->kind = J_BOOL;
    if (word(l, "true") || word(l, "false"))
      return 0;
    return perr(l, l->p, "expected a JSON value");
  case 'n':
    v->kind = J_NULL;
    if (word(l, "null"))
      return 0;
    return perr(l, l->p, "expected a JSON value");
  default:
    return parse_number(l, v);
  }
}

/* An object at l->p (on its '{'); field(name, value) for each member when
 * given. */
static int parse_object_rest(lp *l, int depth,
                             int (*field)(lp *, const char *, jv *, void *),
                             void *arg) {
  l->p++;
  skip_ws(l);
  if (l->p < l->end && *l->p == '}') {
    l->p++;
    return 0;
  }
  for (;;) {
    skip_ws(l);
    if (l->p >= l->end || *l->p != '"')
      return perr(l, l->p, "expected a field name in quotes");
    char *name;
    if (parse_string(l, &name) < 0)
      return -1;
    skip_ws(l);
    if (l->p >= l->end || *l->p != ':')
      return perr(l, l->p, "expected ':' after a field name");
    l->p++;
    jv v;
    memset(&v, 0, sizeof v);
    if (parse_value(l, &v, depth + 1) < 0)
      return -1;
    if (field != NULL && field(l, name, &v, arg) < 0)
      return -1;
    skip_ws(l);
    if (l->p < l->end && *l->p == ',') {
      l->p++;
      continue;
    }
    if (l->p < l->end && *l->p == '}') {
      l->p++;
      return 0;
    }
    return perr(l, l->p, "expected ',' or '}' in an object");
  }
}

/* ---- The six fields ---------------------------------------------------------
 */

typedef struct fields {
  jv process, type, f, key, value, time;
} fields;

static int take_field(lp *l, const char *name, jv *v, void *arg) {
  (void)l;
  fields *fs = arg;
  jv *dst = strcmp(name, "process") == 0 ? &fs->process
            : strcmp(name, "type") == 0  ? &fs->type
            : strcmp(name, "f") == 0     ? &fs->f
            : strcmp(name, "key") == 0   ? &fs->key
            : strcmp(name, "value") == 0 ? &fs->value
            : strcmp(name, "time") == 0  ? &fs->time
                                         : NULL;
  if (dst != NULL)
    *dst = *v; /* a repeated field: the last one counts */
  return 0;
}

static int lookup(const char *s, const char *const *names, int n) {
  for (int i = 0; i < n; i++)
    if (strcmp(s, names[i]) == 0)
      return i;
  return -1;
}

static int scalar_value(lp *l, int kind, double num, char *str, const char *at,
                        jnet_hvalue *out) {
  switch (kind) {
  case J_NULL:
    *out = jnet_hv_null();
    return 0;
  case J_STR:
    *out = jnet_hv_str(str);
    return 0;
  case J_NUM:
    *out = jnet_hv_num(num);
    return 0;
  case J_BOOL:
    return perr(l, at,
                "value: expected a string, a number or null, got a "
                "boolean");
  case J_ARR:
    return perr(l, at,
                "value: expected a string, a number or null, got an "
                "array");
  default:
    return perr(l, at,
                "value: expected a string, a number or null, got an "
                "object");
  }
}

/* The event of a parsed line; 1 to ignore the line. */
static int to_event(lp *l, fields *fs, jnet_history_event *e, char *keybuf,
                    size_t keylen) {
  static const char *const need[] = {"process", "type",  "f",
                                     "key",     "value", "time"};
  jv *all[] = {&fs->process, &fs->type,  &fs->f,
               &fs->key,     &fs->value, &fs->time};
  if (!fs->process.present)
    return perr(l, l->line, "missing field \"process\"");
  if (fs->process.kind != J_NUM || !fs->process.is_int)
    return 1; /* "nemesis" and the like */
  for (int i = 1; i < 6; i++)
    if (!all[i]->present)
      return perr(l, l->line, "missing field \"%s\"", need[i]);
  e->process = fs->process.i;
  if (fs->type.kind != J_STR ||
      (e->type = lookup(fs->type.str, jnet__hist_type_name, 4)) < 0)
    return perr(l, fs->type.at,
                "type: expected \"invoke\", \"ok\", "
                "\"fail\" or \"info\"");
  if (fs->f.kind != J_STR ||
      (e->f = lookup(fs->f.str, jnet__hist_f_name, 3)) < 0)
    return perr(l, fs->f.at, "f: expected \"read\", \"write\" or \"cas\"");
  if (fs->key.kind == J_STR) {
    e->key = fs->key.str;
  } else if (fs->key.kind == J_NUM && fs->key.is_int) {
    snprintf(keybuf, keylen, "%lld", (long long)fs->key.i);
    e->key = keybuf;
  } else {
    return perr(l, fs->key.at, "key: expected a string or an integer");
  }
  jv *v = &fs->value;
  e->value2 = jnet_hv_null();
  if (e->f == JNET_HIST_CAS && v->kind == J_ARR) {
    if (v->n != 2 || !v->scalars)
      return perr(l, v->at,
                  "value: a cas takes [expected, new], two "
                  "strings, numbers or nulls");
    if (scalar_value(l, v->el[0].kind, v->el[0].num, v->el[0].str, v->at,
                     &e->value) < 0 ||
        scalar_value(l, v->el[1].kind, v->el[1].num, v->el[1].str, v->at,
                     &e->value2) < 0)
      return -1;
  } else if (e->f == JNET_HIST_CAS && e->type == JNET_HIST_INVOKE) {
    return perr(l, v->at, "value: a cas takes [expected, new]");
  } else if (scalar_value(l, v->kind, v->num, v->str, v->at, &e->value) < 0) {
    return -1;
  }
  if (fs->time.kind != J_NUM || !fs->time.is_int)
    return perr(l, fs->time.at,
                "time: expected an integer number of "
                "nanoseconds");
  e->time_ns = fs->time.i;
  return 0;
}

static int parse_line(jnet_history *h, lp *l) {
  skip_ws(l);
  if (l->p >= l->end)
    return 0; /* blank */
  if (*l->p != '{')
    return perr(l, l->p, "expected a JSON object ('{')");
  fields fs;
  memset(&fs, 0, sizeof fs);
  if (parse_object_rest(l, 0, take_field, &fs) < 0)
    return -1;
  skip_ws(l);
  if (l->p < l->end)
    return perr(l, l->p, "expected the end of the line after the object");
  jnet_history_event e;
  char keybuf[32];
  memset(&e, 0, sizeof e);
  int rc = to_event(l, &fs, &e, keybuf, sizeof keybuf);
  if (rc != 0)
    return rc < 0 ? -1 : 0;
  char msg[200];
  rc = jnet__hist_add(h, &e, l->lineno, msg, sizeof msg);
  if (rc == JNET_ENOMEM)
    return JNET_ENOMEM;
  if (rc < 0)
    return perr(l, l->line, "%s", msg);
  return 0;
}

int jnet_history_parse(jnet_history **out, const char *name, const char *text,
                       size_t len, char *err, size_t errlen) {
  if (out == NULL || (text == NULL && len > 0))
    return JNET_EINVAL;
  if (name == NULL)
    name = "history";
  *out = NULL;
  if (err != NULL && errlen > 0)
    err[0] = 0;
  jnet_history *h;
  int rc = jnet_history_new(&h);
  if (rc < 0)
    return rc;
  lp l;
  memset(&l, 0, sizeof l);
  const char *p = text, *end = text + len;
  if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
    p += 3; /* a UTF-8 byte order mark */
  size_t maxline = 0;
  for (const char *q = p; q < end;) { /* the longest line sizes the scratch */
    const char *nl = memchr(q, '\n', (size_t)(end - q));
    size_t n = nl ? (size_t)(nl - q) : (size_t)(end - q);
    if (n > maxline)
      maxline = n;
    q += n + 1;
  }
  l.scratch = jnet__malloc(maxline + 2);
  if (l.scratch == NULL) {
    jnet_history_free(h);
    return JNET_ENOMEM;
  }
  rc = 0;
  while (p < end && rc == 0) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *lend = nl ? nl : end;
    l.lineno++;
    l.line = l.p = p;
    l.end = lend;
    l.used = 0;
    if (memchr(p, 0, (size_t)(lend - p)) != NULL) {
      perr(&l, (const char *)memchr(p, 0, (size_t)(lend - p)), "a NUL byte");
      rc = JNET_EINVAL;
      break;
    }
    int prc = parse_line(h, &l);
    if (prc == JNET_ENOMEM)
      rc = JNET_ENOMEM;
    else if (prc < 0)
      rc = JNET_EINVAL;
    p = lend + (nl != NULL);
  }
  if (rc == JNET_EINVAL && err != NULL && errlen > 0)
    snprintf(err, errlen, "%s:%d:%d: error: %s", name, l.lineno,
             (int)(l.err_at - l.line) + 1, l.err);
  jnet__free(l.scratch);
  if (rc < 0) {
    jnet_history_free(h);
    return rc;
  }
  *out = h;
  return 0;
}

int jnet_history_load(jnet_history **out, const char *path, char *err,
                      size_t errlen) {
  if (out == NULL || path == NULL)
    return JNET_EINVAL;
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    int e = errno;
    if (err != NULL && errlen > 0)
      snprintf(err, errlen, "%s: error: cannot open: %s", path, strerror(e));
    return e == ENOENT ? JNET_ENOENT : e == EACCES ? JNET_EACCES : JNET_EINVAL;
  }
  size_t cap = 65536, len = 0;
  char *buf = jnet__malloc(cap);
  while (buf != NULL) {
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0)
      break;
    if (len == cap) {
      char *nb = jnet__realloc(buf, cap * 2);
      if (nb == NULL) {
        jnet__free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
  }
  int rerr = ferror(f);
  fclose(f);
  if (buf == NULL) {
    if (err != NULL && errlen > 0)
      snprintf(err, errlen, "%s: error: out of memory", path);
    return JNET_ENOMEM;
  }
  if (rerr) {
    jnet__free(buf);
    if (err != NULL && errlen > 0)
      snprintf(err, errlen, "%s: error: cannot read", path);
    return JNET_EINVAL;
  }
  int rc = jnet_history_parse(out, path, buf, len, err, errlen);
  jnet__free(buf);
  return rc;
}
