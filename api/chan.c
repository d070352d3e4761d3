/* chan.c — channels (Janet's ev/chan, ev/give, ev/take, ev/select; libdill's
 * chmake/chsend/chrecv/choose): fixed-size items copied through a ring
 * buffer, capacity 0 being a rendezvous.
 *
 * Waiters are clauses on the waiting fibers' stacks, queued FIFO in
 * `takers` or `givers`. Invariant: takers wait only while the buffer is
 * empty and givers only while it is full (for a rendezvous: while no taker
 * waits), so an operation that finds a waiter of the other side completes
 * at once against it. Completing a waiter copies the item and fires the
 * clause; the wake unlinks every other clause of that fiber (a select).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"

struct jnet_chan {
  jnet_node *bnode; /* owner: the backend node of its maker (NULL: any) */
  size_t item_size;
  size_t cap;   /* items the ring holds; 0: rendezvous */
  size_t head;  /* index of the oldest item */
  size_t count; /* items in the ring */
  int closed;
  unsigned char *ring;
  jnet__queue takers, givers; /* jnet__clause.link */
};

/* Clauses a select keeps on its stack before it allocates. */
#define SELECT_STACK_CASES 16

/* ---- Making and freeing ------------------------------------------------------ */

int jnet_chan_new(jnet_chan **out, size_t item_size, size_t capacity) {
  if (out == NULL)
    return JNET_EINVAL;
  *out = NULL;
  if (item_size == 0)
    return JNET_EINVAL;
  if (capacity > (size_t)PTRDIFF_MAX / item_size)
    return JNET_ENOMEM; /* more than memory can hold: never asked for */
  jnet_chan *c = jnet__calloc(1, sizeof *c);
  if (c == NULL)
    return JNET_ENOMEM;
  if (capacity > 0 && (c->ring = jnet__malloc(capacity * item_size)) == NULL) {
    jnet__free(c);
    return JNET_ENOMEM;
  }
  c->item_size = item_size;
  c->cap = capacity;
  jnet__queue_init(&c->takers);
  jnet__queue_init(&c->givers);
  jnet__fiber *self = jnet__self();
  jnet_loop *l = jnet__current_loop();
  c->bnode = self != NULL ? self->node->bnode
             : l != NULL  ? l->default_node->bnode
                          : NULL;
  *out = c;
  return 0;
}

int jnet_chan_free(jnet_chan *c) {
  if (c == NULL)
    return 0;
  if (!jnet__queue_empty(&c->takers) || !jnet__queue_empty(&c->givers))
    return JNET_EBUSY;
  jnet__free(c->ring);
  jnet__free(c);
  return 0;
}

size_t jnet_chan_count(const jnet_chan *c) { return c != NULL ? c->count : 0; }

/* 0 if the calling fiber (if any) may use c, else JNET_EINVAL: a fiber of
 * another simulated host talks to it through the network. */
static int owner_check(const jnet_chan *c, const jnet__fiber *self) {
  if (self != NULL && c->bnode != NULL && self->node->bnode != c->bnode)
    return JNET_EINVAL;
  return 0;
}

/* ---- The ring ---------------------------------------------------------------- */

static void ring_push(jnet_chan *c, const void *item) {
  size_t tail = (c->head + c->count) % c->cap;
  memcpy(c->ring + tail * c->item_size, item, c->item_size);
  c->count++;
}

static void ring_pop(jnet_chan *c, void *item) {
  memcpy(item, c->ring + c->head * c->item_size, c->item_size);
  c->head = (c->head + 1) % c->cap;
  c->count--;
}

static jnet__clause *first(const jnet__queue *q) {
  return jnet__queue_empty(q) ? NULL
                              : jnet__queue_data(jnet__queue_head(q),
                                                 jnet__clause, link);
}

/* ---- Operations that complete at once ------------------------------------------ */

/* Give now if possible: 1 done (*result 0 or EPIPE), 0 would wait. */
static int try_give(jnet_chan *c, const void *item, int *result) {
  if (c->closed) {
    *result = JNET_EPIPE;
    return 1;
  }
  jnet__clause *taker = first(&c->takers);
  if (taker != NULL) { /* the buffer is empty: hand over directly */
    memcpy(taker->item, item, c->item_size);
    jnet__clause_fire(taker, 1);
  } else if (c->count < c->cap) {
    ring_push(c, item);
  } else {
    return 0;
  }
  *result = 0;
  return 1;
}

/* Take now if possible: 1 done (*result 1 with an item, 0 closed and
 * drained), 0 would wait. */
static int try_take(jnet_chan *c, void *item, int *result) {
  jnet__clause *giver = first(&c->givers);
  if (c->count > 0) {
    ring_pop(c, item);
    if (giver != NULL) { /* room now: the first blocked giver's item */
      ring_push(c, giver->item);
      jnet__clause_fire(giver, 0);
    }
  } else if (giver != NULL) { /* rendezvous */
    memcpy(item, giver->item, c->item_size);
    jnet__clause_fire(giver, 0);
  } else if (c->closed) {
    *result = 0;
    return 1;
  } else {
    return 0;
  }
  *result = 1;
  return 1;
}

/* ---- Waiting ------------------------------------------------------------------- */

/* The fiber to wait in, or the error of a call that cannot wait:
 * ETIMEDOUT for a timeout <= 0 (or NaN), ENOTFIBER outside a fiber. */
static int can_wait(double timeout, jnet__fiber *self) {
  if (!(timeout > 0))
    return JNET_ETIMEDOUT;
  return self == NULL ? JNET_ENOTFIBER : 0;
}

static uint64_t own_deadline(jnet__fiber *self, double timeout) {
  return isinf(timeout) ? JNET_NO_DEADLINE
                        : jnet__deadline_after(self->loop, timeout);
}

static int one_op(jnet_chan *c, void *item, double timeout, int op) {
  if (c == NULL || item == NULL)
    return JNET_EINVAL;
  jnet__fiber *self = jnet__self();
  int err = owner_check(c, self);
  if (err < 0)
    return err;
  int result;
  if (op == JNET_GIVE ? try_give(c, item, &result) : try_take(c, item, &result))
    return result;
  if ((err = can_wait(timeout, self)) < 0)
    return err;
  jnet__clause cl;
  cl.q = op == JNET_GIVE ? &c->givers : &c->takers;
  cl.item = item;
  cl.idx = 0;
  return (int)jnet__wait_clauses(self, &cl, 1, own_deadline(self, timeout));
}

int jnet_chan_give(jnet_chan *c, const void *item, double timeout) {
  return one_op(c, (void *)item, timeout, JNET_GIVE);
}

int jnet_chan_take(jnet_chan *c, void *item, double timeout) {
  return one_op(c, item, timeout, JNET_TAKE);
}

int jnet_chan_close(jnet_chan *c) {
  if (c == NULL)
    return JNET_EINVAL;
  int err = owner_check(c, jnet__self());
  if (err < 0)
    return err;
  if (c->closed)
    return 0;
  c->closed = 1;
  jnet__clause *w;
  while ((w = first(&c->takers)) != NULL)
    jnet__clause_fire(w, 0);
  while ((w = first(&c->givers)) != NULL)
    jnet__clause_fire(w, JNET_EPIPE);
  return 0;
}

/* ---- Select -------------------------------------------------------------------- */

int jnet_select(jnet_case *cases, size_t n, double timeout) {
  if (cases == NULL && n > 0)
    return JNET_EINVAL;
  jnet__fiber *self = jnet__self();
  size_t live = 0;
  for (size_t i = 0; i < n; i++) { /* every case is checked first */
    jnet_case *k = &cases[i];
    if (k->chan == NULL)
      continue; /* Go's nil channel: never ready */
    /* LCOV_EXCL_BR_START: i > INT32_MAX needs 2^31 non-NULL cases, 64 GiB
     * (the other refusals: unit-api-args, sim-fibers, conformance) */
    if ((k->op != JNET_TAKE && k->op != JNET_GIVE) || k->item == NULL ||
        owner_check(k->chan, self) < 0 || i > (size_t)INT32_MAX)
      return JNET_EINVAL;
    /* LCOV_EXCL_BR_STOP */
    live++;
  }
  for (size_t i = 0; i < n; i++) { /* ties: the lowest index */
    jnet_case *k = &cases[i];
    if (k->chan == NULL)
      continue;
    int done = k->op == JNET_GIVE ? try_give(k->chan, k->item, &k->result)
                                  : try_take(k->chan, k->item, &k->result);
    if (done)
      return (int)i;
  }
  int err = can_wait(timeout, self);
  if (err < 0)
    return err;
  jnet__clause small[SELECT_STACK_CASES];
  jnet__clause *cl = small;
  if (live > SELECT_STACK_CASES &&
      (cl = jnet__malloc(live * sizeof *cl)) == NULL)
    return JNET_ENOMEM;
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    jnet_case *k = &cases[i];
    if (k->chan == NULL)
      continue;
    cl[m].q = k->op == JNET_GIVE ? &k->chan->givers : &k->chan->takers;
    cl[m].item = k->item;
    cl[m].idx = (int)i;
    m++;
  }
  if (cl != small)
    self->wait_mem = cl; /* freed with the fiber if it never resumes */
  ssize_t r = jnet__wait_clauses(self, cl, m, own_deadline(self, timeout));
  int fired = self->fired;
  if (cl != small) {
    self->wait_mem = NULL;
    jnet__free(cl);
  }
  if (fired < 0)
    return (int)r; /* timeout, cancel, crash */
  cases[fired].result = (int)r;
  return fired;
}
