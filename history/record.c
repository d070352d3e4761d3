/* record.c — a history in memory: recording events under the rules of the
 * format (DESIGN.md, "Histories and linearizability"), reading them back,
 * and writing them as JSON Lines.
 *
 * The rules every event must keep, whether a program records it or a file
 * holds it: times never go backwards; a process has at most one operation
 * open; a completion completes the open operation of its process, with the
 * same f and key; after an `info` the process id is never used again.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "jnet_alloc.h"
#include <jnet/jnet.h>

const char *const jnet__hist_type_name[4] = {"invoke", "ok", "fail", "info"};
const char *const jnet__hist_f_name[3] = {"read", "write", "cas"};

uint64_t jnet__hist_hash(const void *p, size_t n) {
  const unsigned char *b = p;
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) {
    h ^= b[i];
    h *= 1099511628211ull;
  }
  return h;
}


/* ---- Storage
 * ------------------------------------------------------------------ */

static char *arena_strdup(jnet_history *h, const char *s) {
  size_t n = strlen(s) + 1;
  jnet__hist_arena_block *b = h->arena;
  if (b == NULL || b->cap - b->used < n) {
    size_t cap = n > 16384 ? n : 16384;
    b = jnet__malloc(sizeof *b + cap);
    if (b == NULL)
      return NULL;
    b->next = h->arena;
    b->used = 0;
    b->cap = cap;
    h->arena = b;
  }
  char *p = b->data + b->used;
  memcpy(p, s, n);
  b->used += n;
  return p;
}

int jnet_history_new(jnet_history **out) {
  if (out == NULL)
    return JNET_EINVAL;
  *out = jnet__calloc(1, sizeof **out);
  return *out == NULL ? JNET_ENOMEM : 0;
}

void jnet_history_free(jnet_history *h) {
  if (h == NULL)
    return;
  while (h->arena != NULL) {
    jnet__hist_arena_block *next = h->arena->next;
    jnet__free(h->arena);
    h->arena = next;
  }
  jnet__free(h->ev);
  jnet__free(h->keys);
  jnet__free(h->keymap);
  jnet__free(h->procs);
  jnet__free(h);
}

/* The index of key, adding it if new (UINT32_MAX: out of memory). */
static uint32_t key_index(jnet_history *h, const char *key, int add) {
  uint64_t hash = jnet__hist_hash(key, strlen(key));
  if (h->keymap_cap > 0) {
    size_t mask = h->keymap_cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      uint32_t k = h->keymap[i];
      if (k == 0)
        break;
      if (strcmp(h->keys[k - 1], key) == 0)
        return k - 1;
    }
  }
  if (!add)
    return UINT32_MAX - 1;
  if (h->nkeys + 1 > h->keycap) {
    char **nk = jnet__grow(h->keys, &h->keycap, sizeof *nk, 16);
    if (nk == NULL)
      return UINT32_MAX;
    h->keys = nk;
  }
  if ((h->nkeys + 1) * 2 > h->keymap_cap) {
    size_t cap = h->keymap_cap ? h->keymap_cap * 2 : 32;
    uint32_t *nm = jnet__calloc(cap, sizeof *nm);
    if (nm == NULL)
      return UINT32_MAX;
    for (size_t k = 0; k < h->nkeys; k++) {
      uint64_t kh = jnet__hist_hash(h->keys[k], strlen(h->keys[k]));
      size_t i = kh & (cap - 1);
      while (nm[i] != 0)
        i = (i + 1) & (cap - 1);
      nm[i] = (uint32_t)k + 1;
    }
    jnet__free(h->keymap);
    h->keymap = nm;
    h->keymap_cap = cap;
  }
  char *copy = arena_strdup(h, key);
  if (copy == NULL)
    return UINT32_MAX;
  size_t i = hash & (h->keymap_cap - 1);
  while (h->keymap[i] != 0)
    i = (i + 1) & (h->keymap_cap - 1);
  h->keys[h->nkeys] = copy;
  h->keymap[i] = (uint32_t)h->nkeys + 1;
  return (uint32_t)h->nkeys++;
}

/* The slot of process p (used == 0: not seen yet), growing the table so a
 * new one fits. NULL: out of memory. */
static jnet__hist_proc *proc_slot(jnet_history *h, int64_t p) {
  if ((h->nprocs + 1) * 2 > h->procs_cap) {
    size_t cap = h->procs_cap ? h->procs_cap * 2 : 32;
    jnet__hist_proc *np = jnet__calloc(cap, sizeof *np);
    if (np == NULL)
      return NULL;
    for (size_t k = 0; k < h->procs_cap; k++) {
      if (!h->procs[k].used)
        continue;
      size_t i = jnet__splitmix64((uint64_t)h->procs[k].process) & (cap - 1);
      while (np[i].used)
        i = (i + 1) & (cap - 1);
      np[i] = h->procs[k];
    }
    jnet__free(h->procs);
    h->procs = np;
    h->procs_cap = cap;
  }
  size_t mask = h->procs_cap - 1;
  size_t i = jnet__splitmix64((uint64_t)p) & mask;
  while (h->procs[i].used && h->procs[i].process != p)
    i = (i + 1) & mask;
  return &h->procs[i];
}

static int refuse(char *msg, size_t len, int rc, const char *fmt, ...) {
  if (msg != NULL && len > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, len, fmt, ap);
    va_end(ap);
  }
  return rc;
}

static int value_ok(const jnet_hvalue *v) {
  switch (v->kind) {
  case JNET_HV_NULL:
    return 1;
  case JNET_HV_STRING:
    return v->str != NULL;
  case JNET_HV_NUMBER:
    return isfinite(v->num);
  default:
    return 0;
  }
}

static int copy_value(jnet_history *h, jnet_hvalue *dst,
                      const jnet_hvalue *src) {
  *dst = *src;
  if (src->kind == JNET_HV_STRING) {
    dst->str = arena_strdup(h, src->str);
    if (dst->str == NULL)
      return JNET_ENOMEM;
  } else {
    dst->str = NULL;
  }
  if (src->kind == JNET_HV_NULL)
    dst->num = 0;
  return 0;
}

int jnet__hist_add(jnet_history *h, const jnet_history_event *e, int line,
                   char *msg, size_t msglen) {
  if (e->type < JNET_HIST_INVOKE || e->type > JNET_HIST_INFO)
    return refuse(msg, msglen, JNET_EINVAL, "unknown event type %d", e->type);
  if (e->f < JNET_HIST_READ || e->f > JNET_HIST_CAS)
    return refuse(msg, msglen, JNET_EINVAL, "unknown operation %d", e->f);
  if (e->key == NULL)
    return refuse(msg, msglen, JNET_EINVAL, "no key");
  if (!value_ok(&e->value) || (e->f == JNET_HIST_CAS && !value_ok(&e->value2)))
    return refuse(msg, msglen, JNET_EINVAL,
                  "a value must be null, a string or a finite number");
  if (h->nev > 0 && e->time_ns < h->ev[h->nev - 1].time_ns)
    return refuse(msg, msglen, JNET_EINVAL,
                  "time %lld goes backwards (the event before is at %lld)",
                  (long long)e->time_ns, (long long)h->ev[h->nev - 1].time_ns);
  jnet__hist_proc *pr = proc_slot(h, e->process);
  if (pr == NULL)
    return JNET_ENOMEM;
  const char *fname = jnet__hist_f_name[e->f];
  if (e->type == JNET_HIST_INVOKE) {
    if (pr->used && pr->dead)
      return refuse(msg, msglen, JNET_EINVAL,
                    "process %lld used again after its info (take a fresh "
                    "process id)",
                    (long long)e->process);
    if (pr->used && pr->open >= 0)
      return refuse(msg, msglen, JNET_EBUSY,
                    "process %lld invokes a second operation while one is "
                    "open (line %d)",
                    (long long)e->process, h->ev[pr->open].line);
  } else {
    if (!pr->used || pr->open < 0)
      return refuse(msg, msglen, JNET_EINVAL,
                    "%s %s before its invoke: process %lld has no open "
                    "operation",
                    jnet__hist_type_name[e->type], fname,
                    (long long)e->process);
    const jnet__hist_event *inv = &h->ev[pr->open];
    if (inv->f != e->f || strcmp(h->keys[inv->key], e->key) != 0)
      return refuse(msg, msglen, JNET_EINVAL,
                    "%s %s key \"%.40s\" does not match its invoke (%s key "
                    "\"%.40s\")",
                    jnet__hist_type_name[e->type], fname, e->key,
                    jnet__hist_f_name[inv->f], h->keys[inv->key]);
  }
  if (h->nev == h->evcap) {
    jnet__hist_event *ne = jnet__grow(h->ev, &h->evcap, sizeof *ne, 64);
    if (ne == NULL)
      return JNET_ENOMEM;
    h->ev = ne;
  }
  jnet__hist_event *d = &h->ev[h->nev];
  memset(d, 0, sizeof *d);
  uint32_t k = key_index(h, e->key, 1);
  if (k == UINT32_MAX || copy_value(h, &d->value, &e->value) < 0)
    return JNET_ENOMEM;
  if (e->f == JNET_HIST_CAS) {
    if (copy_value(h, &d->value2, &e->value2) < 0)
      return JNET_ENOMEM;
  } else {
    d->value2 = jnet_hv_null();
  }
  d->process = e->process;
  d->time_ns = e->time_ns;
  d->key = k;
  d->type = (uint8_t)e->type;
  d->f = (uint8_t)e->f;
  d->line = line;
  d->match = -1;
  /* Bookkeeping only now that nothing can fail. */
  if (!pr->used) {
    pr->used = 1;
    pr->process = e->process;
    pr->open = -1;
    h->nprocs++;
  }
  if (!h->any_process || e->process > h->max_process)
    h->max_process = e->process;
  h->any_process = 1;
  if (e->type == JNET_HIST_INVOKE) {
    pr->open = (int64_t)h->nev;
  } else {
    d->match = pr->open;
    h->ev[pr->open].match = (int64_t)h->nev;
    pr->open = -1;
    pr->dead = e->type == JNET_HIST_INFO;
  }
  h->nev++;
  return 0;
}

/* ---- Recording
 * ---------------------------------------------------------------- */

int64_t jnet_history_process(jnet_history *h) {
  if (h == NULL)
    return 0;
  int64_t p = !h->any_process              ? 0
              : h->max_process < INT64_MAX ? h->max_process + 1
                                           : 0;
  /* Reserve it, so that two calls before any event differ. */
  h->any_process = 1;
  h->max_process = p;
  return p;
}

static int64_t now_ns(void) { return (int64_t)llround(jnet_now() * 1e9); }

/* Record e; a refusal is remembered as the history's misuse. */
static int record(jnet_history *h, const jnet_history_event *e) {
  char msg[200];
  msg[0] = 0;
  int rc = jnet__hist_add(h, e, 0, msg, sizeof msg);
  if (rc < 0 && rc != JNET_ENOMEM && h->misuse[0] == 0)
    snprintf(h->misuse, sizeof h->misuse, "history: %s", msg);
  return rc;
}

int jnet_history_invoke(jnet_history *h, int64_t process, int f,
                        const char *key, jnet_hvalue value,
                        jnet_hvalue new_value) {
  if (h == NULL || key == NULL)
    return JNET_EINVAL;
  jnet_history_event e = {process,
                          JNET_HIST_INVOKE,
                          f,
                          key,
                          f == JNET_HIST_READ ? jnet_hv_null() : value,
                          new_value,
                          now_ns()};
  return record(h, &e);
}

/* Complete process's open operation with type. */
static int complete(jnet_history *h, int64_t process, int type,
                    const jnet_hvalue *read_value) {
  if (h == NULL)
    return JNET_EINVAL;
  jnet__hist_proc *pr = proc_slot(h, process);
  if (pr == NULL)
    return JNET_ENOMEM;
  if (!pr->used || pr->open < 0) {
    if (h->misuse[0] == 0)
      snprintf(h->misuse, sizeof h->misuse,
               "history: %s before its invoke: process %lld has no open "
               "operation",
               jnet__hist_type_name[type], (long long)process);
    return JNET_EINVAL;
  }
  const jnet__hist_event *inv = &h->ev[pr->open];
  jnet_history_event e = {process,    type,        inv->f,  h->keys[inv->key],
                          inv->value, inv->value2, now_ns()};
  if (inv->f == JNET_HIST_READ)
    e.value = type == JNET_HIST_OK ? *read_value : jnet_hv_null();
  return record(h, &e);
}

int jnet_history_ok(jnet_history *h, int64_t process, jnet_hvalue read_value) {
  return complete(h, process, JNET_HIST_OK, &read_value);
}

int jnet_history_fail(jnet_history *h, int64_t process) {
  return complete(h, process, JNET_HIST_FAIL, NULL);
}

int jnet_history_info(jnet_history *h, int64_t process) {
  return complete(h, process, JNET_HIST_INFO, NULL);
}

int jnet_history_add(jnet_history *h, const jnet_history_event *e) {
  if (h == NULL || e == NULL)
    return JNET_EINVAL;
  return record(h, e);
}

/* ---- Reading back
 * ------------------------------------------------------------- */

size_t jnet_history_count(const jnet_history *h) {
  return h == NULL ? 0 : h->nev;
}

int jnet_history_get(const jnet_history *h, size_t i, jnet_history_event *e) {
  if (h == NULL || e == NULL || i >= h->nev)
    return JNET_EINVAL;
  const jnet__hist_event *d = &h->ev[i];
  e->process = d->process;
  e->type = d->type;
  e->f = d->f;
  e->key = h->keys[d->key];
  e->value = d->value;
  e->value2 = d->value2;
  e->time_ns = d->time_ns;
  return 0;
}

int jnet_history_line(const jnet_history *h, size_t i) {
  return h == NULL || i >= h->nev ? 0 : h->ev[i].line;
}

const char *jnet_history_misuse(const jnet_history *h) {
  return h == NULL || h->misuse[0] == 0 ? NULL : h->misuse;
}

/* ---- Writing
 * ------------------------------------------------------------------ */

void jnet__hist_json_string(FILE *f, const char *s) {
  putc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
    case '"':
      fputs("\\\"", f);
      break;
    case '\\':
      fputs("\\\\", f);
      break;
    case '\n':
      fputs("\\n", f);
      break;
    case '\r':
      fputs("\\r", f);
      break;
    case '\t':
      fputs("\\t", f);
      break;
    default:
      if (*p < 0x20)
        fprintf(f, "\\u%04x", *p);
      else
        putc(*p, f);
    }
  }
  putc('"', f);
}

void jnet__hist_json_value(FILE *f, const jnet_hvalue *v) {
  switch (v->kind) {
  case JNET_HV_STRING:
    jnet__hist_json_string(f, v->str);
    break;
  case JNET_HV_NUMBER:
    if (v->num == floor(v->num) && fabs(v->num) < 9007199254740992.0)
      fprintf(f, "%.0f", v->num);
    else
      fprintf(f, "%.17g", v->num);
    break;
  default:
    fputs("null", f);
    break;
  }
}

void jnet__hist_write_event(const jnet_history *h, size_t i, FILE *f) {
  const jnet__hist_event *d = &h->ev[i];
  fprintf(f, "{\"process\":%lld,\"type\":\"%s\",\"f\":\"%s\",\"key\":",
          (long long)d->process, jnet__hist_type_name[d->type],
          jnet__hist_f_name[d->f]);
  jnet__hist_json_string(f, h->keys[d->key]);
  fputs(",\"value\":", f);
  if (d->f == JNET_HIST_CAS) {
    putc('[', f);
    jnet__hist_json_value(f, &d->value);
    putc(',', f);
    jnet__hist_json_value(f, &d->value2);
    putc(']', f);
  } else {
    jnet__hist_json_value(f, &d->value);
  }
  fprintf(f, ",\"time\":%lld}\n", (long long)d->time_ns);
}

int jnet_history_write(const jnet_history *h, FILE *f) {
  if (h == NULL || f == NULL)
    return JNET_EINVAL;
  for (size_t i = 0; i < h->nev; i++)
    jnet__hist_write_event(h, i, f);
  return ferror(f) ? JNET_EPIPE : 0;
}

int jnet_history_save(const jnet_history *h, const char *path) {
  if (h == NULL || path == NULL)
    return JNET_EINVAL;
  FILE *f = fopen(path, "w");
  if (f == NULL)
    return errno == ENOENT   ? JNET_ENOENT
           : errno == EACCES ? JNET_EACCES
                             : JNET_EINVAL;
  int rc = jnet_history_write(h, f);
  if (fclose(f) != 0 && rc == 0)
    rc = JNET_EPIPE;
  return rc;
}
