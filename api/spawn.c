/* spawn.c — fibers that work together: handles, spawn, self, join, cancel,
 * and the per-fiber deadline (Janet's ev/cancel and ev/with-deadline).
 *
 * A jnet_fiber is (loop tag << 52 | slot << 32 | generation), like a stream
 * handle: the slot table keeps the generation of each slot's latest fiber,
 * and generations grow with every spawn, so a handle whose generation is
 * older than its slot's names a fiber that has returned (join and cancel
 * return 0), while a zero handle, a generation never issued or another
 * loop's tag is JNET_EINVAL. A fiber's record is freed when it returns;
 * the handle never reaches freed memory.
 */
#include <math.h>

#include "internal.h"

#define TAG_SHIFT 52
#define SLOT_SHIFT 32
#define SLOT_MAX ((1u << 20) - 1u) /* 20 bits of slot */

/* ---- Handles --------------------------------------------------------------- */

static jnet_fiber handle_of(const jnet_loop *l, const jnet__fiber *f) {
  jnet_fiber h;
  h.h = (uint64_t)l->tag << TAG_SHIFT | (uint64_t)f->hslot << SLOT_SHIFT |
        f->hgen;
  return h;
}

int jnet__fiber_handle_new(jnet_loop *l, jnet__fiber *f) {
  uint32_t slot = l->free_fslot;
  if (slot != 0) {
    l->free_fslot = l->fslots[slot - 1].next_free;
  } else {
    /* LCOV_EXCL_BR_START: 2^20 live fibers (and their stacks) at once */
    if (l->nfslots == SLOT_MAX)
      return JNET_ENOMEM;
    /* LCOV_EXCL_BR_STOP */
    if (l->nfslots == l->cap_fslots) {
      uint32_t cap = l->cap_fslots ? l->cap_fslots * 2 : 64;
      /* LCOV_EXCL_BR_START: as above */
      if (cap > SLOT_MAX)
        cap = SLOT_MAX;
      /* LCOV_EXCL_BR_STOP */
      jnet__fslot *t = jnet__realloc(l->fslots, cap * sizeof *t);
      if (t == NULL)
        return JNET_ENOMEM;
      l->fslots = t;
      l->cap_fslots = cap;
    }
    slot = ++l->nfslots;
    l->fslots[slot - 1].gen = 0;
  }
  jnet__fslot *s = &l->fslots[slot - 1];
  s->f = f;
  s->gen = ++l->fiber_gen; /* wraps after 2^32 spawns on one loop */
  s->next_free = 0;
  f->hslot = slot;
  f->hgen = s->gen;
  return 0;
}

void jnet__fiber_handle_free(jnet_loop *l, jnet__fiber *f) {
  /* LCOV_EXCL_BR_START: called once per fiber, after its handle_new */
  if (f->hslot == 0)
    return;
  /* LCOV_EXCL_BR_STOP */
  jnet__fslot *s = &l->fslots[f->hslot - 1];
  s->f = NULL; /* the generation stays: older handles read as returned */
  s->next_free = l->free_fslot;
  l->free_fslot = f->hslot;
  f->hslot = 0;
}

/* Look a handle up: 1 with *out the live fiber, 0 if it has returned,
 * JNET_EINVAL if this loop never issued it. */
static int lookup(const jnet_loop *l, jnet_fiber h, jnet__fiber **out) {
  *out = NULL;
  if (l == NULL || h.h == 0)
    return JNET_EINVAL;
  uint32_t tag = (uint32_t)(h.h >> TAG_SHIFT);
  uint32_t slot = (uint32_t)(h.h >> SLOT_SHIFT) & SLOT_MAX;
  uint32_t gen = (uint32_t)h.h;
  if (tag != l->tag || slot == 0 || slot > l->nfslots || gen == 0 ||
      gen > l->fiber_gen)
    return JNET_EINVAL;
  const jnet__fslot *s = &l->fslots[slot - 1];
  if (s->f != NULL && s->gen == gen) {
    *out = s->f;
    return 1;
  }
  return gen <= s->gen ? 0 : JNET_EINVAL;
}

/* The loop a handle call works on: the calling fiber's, else the thread's. */
static jnet_loop *handle_loop(void) {
  jnet__fiber *self = jnet__self();
  return self != NULL ? self->loop : jnet__current_loop();
}

/* ---- Spawn ------------------------------------------------------------------ */

static void set_out(jnet_fiber *out, jnet_fiber v) {
  if (out != NULL)
    *out = v;
}

int jnet_spawn_on(jnet_loop *l, jnet_node *node, jnet_fiber_fn fn, void *arg,
                  jnet_fiber *out) {
  set_out(out, JNET_NOFIBER);
  jnet__fiber *self = jnet__self();
  if (l == NULL && self != NULL)
    l = self->loop;
  if (l == NULL || node == NULL || fn == NULL)
    return JNET_EINVAL;
  jnet__nodestate *n;
  int err = jnet__user_node(l, node, &n);
  if (err < 0)
    return err;
  if (n->down)
    return JNET_ECANCELED;
  if (self != NULL && self->node == n && jnet__fiber_cancelled(self))
    return JNET_ECANCELED;
  jnet__fiber *f;
  err = jnet__spawn_fiber(l, n, fn, arg, &f);
  if (err < 0)
    return err;
  set_out(out, handle_of(l, f));
  return 0;
}

int jnet_spawn(jnet_loop *l, jnet_fiber_fn fn, void *arg, jnet_fiber *out) {
  set_out(out, JNET_NOFIBER);
  jnet__fiber *self = jnet__self();
  if (l == NULL && self != NULL)
    l = self->loop;
  if (l == NULL || fn == NULL)
    return JNET_EINVAL;
  jnet__nodestate *n =
      self != NULL && self->loop == l ? self->node : l->default_node;
  return jnet_spawn_on(l, n->bnode, fn, arg, out);
}

jnet_fiber jnet_self(void) {
  jnet__fiber *f = jnet__self();
  return f != NULL ? handle_of(f->loop, f) : JNET_NOFIBER;
}

/* ---- Join ------------------------------------------------------------------- */

/* f has returned: its joiners resume with 0, in the order they joined. */
void jnet__fiber_finish(jnet_loop *l, jnet__fiber *f) {
  (void)l;
  while (!jnet__queue_empty(&f->joiners)) {
    jnet__queue *q = jnet__queue_head(&f->joiners);
    jnet__clause_fire(jnet__queue_data(q, jnet__clause, link), 0);
  }
}

int jnet_join(jnet_fiber h, double timeout) {
  jnet__fiber *self = jnet__self();
  jnet__fiber *f;
  int found = lookup(handle_loop(), h, &f);
  if (found <= 0)
    return found; /* returned already (0) or never issued (EINVAL) */
  if (f == self)
    return JNET_EDEADLK;
  if (!(timeout > 0))
    return JNET_ETIMEDOUT;
  if (self == NULL)
    return JNET_ENOTFIBER;
  jnet__clause c;
  c.q = &f->joiners;
  c.item = NULL;
  c.idx = 0;
  uint64_t own = isinf(timeout) ? JNET_NO_DEADLINE
                                : jnet__deadline_after(self->loop, timeout);
  return (int)jnet__wait_clauses(self, &c, 1, own);
}

/* ---- Cancel ----------------------------------------------------------------- */

int jnet_cancel(jnet_fiber h, int err) {
  if (err >= 0)
    return JNET_EINVAL;
  jnet__fiber *f;
  int found = lookup(handle_loop(), h, &f);
  if (found <= 0)
    return found;
  if (f->waiting) { /* suspended in a blocking call: it returns err now */
    jnet__fiber_wake(f, err);
    return 0;
  }
  if (f->cancel_err == 0) /* a second cancel changes nothing */
    f->cancel_err = err;
  return 0;
}

/* ---- Deadline ---------------------------------------------------------------- */

uint64_t jnet__abs_ns(double at) {
  if (!(at > 0))
    return 0;
  if (at * 1e9 >= (double)UINT64_MAX)
    return JNET_NO_DEADLINE;
  return (uint64_t)ceil(at * 1e9);
}

double jnet_deadline(double at) {
  jnet__fiber *f = jnet__self();
  if (f == NULL || isnan(at))
    return NAN;
  double prev = f->scope_at;
  f->scope_at = at;
  f->scope_ns = jnet__abs_ns(at);
  return prev;
}
