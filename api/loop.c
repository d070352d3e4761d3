/* loop.c — the scheduler: fibers, the run queue, timers, nodes, and waiting.
 *
 * Sections:
 *   1. the thread's current loop and fiber
 *   2. nodes (API-side state of a backend's hosts: crash, restart, mains)
 *   3. timers: a binary min-heap of waiting fibers on (deadline, arming
 *      order); a woken fiber's entry stays, disarmed, for its next wait
 *   4. fibers: spawn, run, finish; a turn's batch
 *   5. waiting: jnet__wait / jnet__fiber_wake, the one suspension point;
 *      suspend(), where a fiber hands on to the next one itself
 *   6. the loop: new, free, run, run_until, run_once
 *   7. sleep, yield, now, random
 *
 * Determinism: the run queue is FIFO, timers tie-break by arming order, and
 * nothing iterates a structure ordered by pointer value. A fiber that hands
 * on makes the scheduler's calls in the scheduler's order, on its own stack.
 */
#include <math.h>
#include <string.h>

#include "internal.h"
#include "jnet_heap.h"

/* ---- 1. Current loop and fiber ------------------------------------------ */

/* initial-exec, as fiber.c's state: one %fs-relative load instead of a
 * __tls_get_addr call on every jnet__self() (internal.h inlines it). */
#if defined(__GNUC__) && defined(__ELF__)
__thread jnet_loop *jnet__tls_loop __attribute__((tls_model("initial-exec")));
#else
_Thread_local jnet_loop *jnet__tls_loop;
#endif

/* ---- 2. Nodes --------------------------------------------------------------- */

static size_t node_hash(const jnet_node *p, size_t cap) {
  uint64_t x = (uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ull;
  return (size_t)(x >> 17) & (cap - 1);
}

static int nodes_grow(jnet_loop *l) {
  size_t cap = l->cap_nodes ? l->cap_nodes * 2 : 16;
  jnet__nodestate **t = jnet__calloc(cap, sizeof *t);
  if (t == NULL)
    return JNET_ENOMEM;
  for (size_t i = 0; i < l->cap_nodes; i++) {
    jnet__nodestate *n = l->nodes[i];
    if (n == NULL)
      continue;
    size_t j = node_hash(n->bnode, cap);
    while (t[j] != NULL)
      j = (j + 1) & (cap - 1);
    t[j] = n;
  }
  jnet__free(l->nodes);
  l->nodes = t;
  l->cap_nodes = cap;
  return 0;
}

static jnet__nodestate *node_find(const jnet_loop *l, const jnet_node *bnode) {
  if (l->cap_nodes == 0)
    return NULL;
  size_t j = node_hash(bnode, l->cap_nodes);
  for (jnet__nodestate *n; (n = l->nodes[j]) != NULL;
       j = (j + 1) & (l->cap_nodes - 1))
    if (n->bnode == bnode)
      return n;
  return NULL;
}

/* A node a user names: the backend vouches for it before its first use
 * (a host never added, or another simulation's, is JNET_EINVAL). */
int jnet__user_node(jnet_loop *l, jnet_node *bnode, jnet__nodestate **out) {
  jnet__nodestate *n = node_find(l, bnode);
  if (n == NULL) {
    if (l->b->version >= 2 && l->b->node_check != NULL &&
        l->b->node_check(l->b, bnode) < 0)
      return JNET_EINVAL;
    if ((n = jnet__nodestate_get(l, bnode)) == NULL)
      return JNET_ENOMEM;
  }
  *out = n;
  return 0;
}

/* The API-side record of a backend node, made on first use; NULL only when
 * out of memory. */
jnet__nodestate *jnet__nodestate_get(jnet_loop *l, jnet_node *bnode) {
  jnet__nodestate *found = node_find(l, bnode);
  if (found != NULL)
    return found;
  if ((l->nnodes + 1) * 2 > l->cap_nodes && nodes_grow(l) < 0)
    return NULL;
  jnet__nodestate *n = jnet__calloc(1, sizeof *n);
  if (n == NULL)
    return NULL;
  n->bnode = bnode;
  jnet__queue_init(&n->fibers);
  jnet__queue_init(&n->streams);
  size_t j = node_hash(bnode, l->cap_nodes);
  while (l->nodes[j] != NULL)
    j = (j + 1) & (l->cap_nodes - 1);
  l->nodes[j] = n;
  l->nnodes++;
  return n;
}

/* The backend says the node crashed: cancel its fibers, close its streams. */
static void on_node_down(void *loop_arg, jnet_node *bnode) {
  jnet_loop *l = loop_arg;
  jnet__nodestate *n = jnet__nodestate_get(l, bnode);
  /* LCOV_EXCL_BR_START: n is NULL only when out of memory for a node the
   * loop never used, inside the hook (no allocation sweep crashes a host);
   * a repeated report is tested (iofault) */
  if (n == NULL || n->down)
    return;
  /* LCOV_EXCL_BR_STOP */
  n->down = 1;
  n->epoch++;
  n->live_epoch = UINT64_MAX;
  for (jnet__queue *q = jnet__queue_head(&n->fibers); q != &n->fibers;
       q = q->next) {
    jnet__fiber *f = jnet__queue_data(q, jnet__fiber, node_link);
    if (f->waiting)
      jnet__fiber_wake(f, JNET_ECANCELED);
  }
  while (!jnet__queue_empty(&n->streams)) {
    jnet__queue *q = jnet__queue_head(&n->streams);
    jnet__stream_close(l, jnet__queue_data(q, jnet__stream, node_link));
  }
}

/* The backend says the node restarted: run its mains again. */
static void on_node_up(void *loop_arg, jnet_node *bnode) {
  jnet_loop *l = loop_arg;
  jnet__nodestate *n = jnet__nodestate_get(l, bnode);
  /* LCOV_EXCL_BR_START: as in on_node_down */
  if (n == NULL || !n->down)
    return;
  /* LCOV_EXCL_BR_STOP */
  n->down = 0;
  n->live_epoch = n->epoch;
  for (jnet__main *m = n->mains; m != NULL; m = m->next)
    (void)jnet__spawn(l, n, m->fn, m->arg);
}

static const jnet_backend_hooks loop_hooks = {on_node_down, on_node_up};

/* ---- 3. Timers ---------------------------------------------------------- */

static inline int timer_less(const jnet__tent *a, const jnet__tent *b) {
  return a->deadline_ns < b->deadline_ns ||
         (a->deadline_ns == b->deadline_ns && a->seq < b->seq);
}

static inline void timer_place(jnet__tent *v, size_t i, jnet__tent e) {
  v[i] = e;
  e.f->timer_idx = i;
}

/* theap_sift_up, _sift_down, _push, _remove, _pop (common/jnet_heap.h).
 * LCOV_EXCL_BR_START: of the 44 branches gcc puts on this one line, one
 * no input reaches (43 are taken): inside _remove's re-key, sift_up's loop
 * reaching the root (index 0), which would need the last entry to be less
 * than the root, the least entry of the heap. */
JNET__HEAP_DEFINE(theap, jnet__tent, timer_less, timer_place)
/* LCOV_EXCL_BR_STOP */

/* The heap's array doubled (out of line: rare). */
static int timers_grow(jnet_loop *l) {
  size_t cap = l->cap_timers ? l->cap_timers * 2 : 64;
  jnet__tent *t = jnet__realloc(l->timers, cap * sizeof *t);
  if (t == NULL)
    return JNET_ENOMEM;
  l->timers = t;
  l->cap_timers = cap;
  return 0;
}

/* Arm f's timer. A wake leaves the entry of f's last timed wait in the
 * heap, disarmed, for the next timed wait to take again. The key (deadline,
 * arming order) is the one a fresh entry would get, so live timers fire in
 * the same order either way. A later key than the entry's (the usual case:
 * the next read's timeout from a later now) is only noted in f: the entry
 * stays as a lower bound, re-keyed if it ever reaches the top
 * (timer_exact), which a timeout that never fires never does. An earlier
 * key is re-keyed in place at once. */
JNET__HOT_INLINE int timer_start(jnet_loop *l, jnet__fiber *f,
                                 uint64_t deadline_ns) {
  uint64_t seq = l->timer_seq++;
  f->timer_ns = deadline_ns;
  f->timer_seq = seq;
  f->timer_live = 1;
  if (f->timer_idx != JNET__NO_TIMER) {
    if (deadline_ns < l->timers[f->timer_idx].deadline_ns) {
      jnet__tent e = {deadline_ns, seq, f};
      theap_update(l->timers, l->ntimers, f->timer_idx, e);
    }
    return 0;
  }
  if (l->ntimers == l->cap_timers && timers_grow(l) < 0) {
    f->timer_live = 0;
    return JNET_ENOMEM;
  }
  jnet__tent e = {deadline_ns, seq, f};
  theap_push(l->timers, l->ntimers++, e);
  return 0;
}

/* 1 if the root is a live timer's lower bound, which it re-keys to the
 * timer's own key (the root may change). */
JNET__HOT_INLINE int timer_exact(jnet_loop *l) {
  jnet__fiber *f = l->timers[0].f;
  if (!f->timer_live || l->timers[0].seq == f->timer_seq)
    return 0;
  jnet__tent e = {f->timer_ns, f->timer_seq, f};
  /* LCOV_EXCL_BR_START: update at the root (i == 0) never takes its
   * sift-up side, which needs a parent */
  theap_update(l->timers, l->ntimers, 0, e);
  /* LCOV_EXCL_BR_STOP */
  return 1;
}

/* The backend's clock: the last poll's reading while a run has it cached. */
JNET__HOT_INLINE uint64_t loop_now(jnet_loop *l) {
  return l->clock_cached ? l->now_ns : l->b->now_ns(l->b);
}

/* Read the clock again after a poll moved it. */
JNET__HOT_INLINE void clock_moved(jnet_loop *l) {
  if (l->clock_cached)
    l->now_ns = l->clock_ns != NULL ? *l->clock_ns : l->b->now_ns(l->b);
}

/* Disarm f's timer; its entry stays until re-keyed, popped or dropped. */
JNET__HOT_INLINE void timer_stop(jnet__fiber *f) { f->timer_live = 0; }

/* Take f's entry out of the heap (f is going away). */
static void timer_drop(jnet_loop *l, jnet__fiber *f) {
  size_t i = f->timer_idx;
  if (i == JNET__NO_TIMER)
    return;
  f->timer_idx = JNET__NO_TIMER;
  f->timer_live = 0;
  theap_remove(l->timers, l->ntimers--, i);
}

/* Drop the heap's root. */
static inline void timer_pop(jnet_loop *l) {
  l->timers[0].f->timer_idx = JNET__NO_TIMER;
  theap_pop(l->timers, l->ntimers--);
}

/* Drop disarmed entries from the top, so the root is the next timer due. */
JNET__HOT_INLINE void timers_purge(jnet_loop *l) {
  while (l->ntimers > 0 && !l->timers[0].f->timer_live)
    timer_pop(l);
}

/* Wake the fibers whose deadline has passed, in (deadline, arming) order;
 * disarmed entries on the way just go, lower bounds are re-keyed. */
static void timers_fire_due(jnet_loop *l, uint64_t now) {
  while (l->ntimers > 0 && l->timers[0].deadline_ns <= now) {
    if (timer_exact(l))
      continue;
    jnet__fiber *f = l->timers[0].f;
    if (f->timer_live)
      jnet__fiber_wake(f, f->timer_result); /* disarms, touches no entry */
    timer_pop(l);
  }
}

/* Wake every fiber whose deadline has passed (a timeout, or a sleep's end). */
JNET__HOT_INLINE void timers_fire(jnet_loop *l) {
  if (l->ntimers == 0)
    return;
  uint64_t now = loop_now(l);
  if (l->timers[0].deadline_ns <= now)
    timers_fire_due(l, now);
}

/* A positive timeout shorter than a nanosecond (the clock's tick on both
 * backends) waits one tick: a wait never rounds to zero, so a loop such as
 * `while (jnet_now() < d) jnet_sleep(d - jnet_now());` always ends. */
JNET__HOT_INLINE uint64_t deadline_after(jnet_loop *l, double timeout) {
  uint64_t now = loop_now(l);
  if (!(timeout > 0))
    return now;
  /* the usual case: under 10^9 s from a clock under 2^63 ns cannot reach
   * UINT64_MAX (the same result as the general test below, sooner) */
  if (timeout < 1e9 && now < ((uint64_t)1 << 63)) {
    if (timeout == l->last_timeout)
      return now + l->last_timeout_ns;
    uint64_t ns = (uint64_t)(timeout * 1e9);
    ns = ns > 0 ? ns : 1;
    l->last_timeout = timeout;
    l->last_timeout_ns = ns;
    return now + ns;
  }
  if (!isfinite(timeout) || timeout * 1e9 >= (double)(UINT64_MAX - now))
    return JNET_NO_DEADLINE;
  uint64_t ns = (uint64_t)(timeout * 1e9);
  return now + (ns > 0 ? ns : 1);
}

uint64_t jnet__deadline_after(jnet_loop *l, double timeout) {
  return deadline_after(l, timeout);
}

/* Seconds left until deadline_ns, for the next step of a multi-step call. */
double jnet__remaining(jnet_loop *l, uint64_t deadline_ns) {
  if (deadline_ns == JNET_NO_DEADLINE)
    return JNET_FOREVER;
  uint64_t now = loop_now(l);
  return deadline_ns > now ? (double)(deadline_ns - now) / 1e9 : 0.0;
}

/* ---- 4. Fibers -------------------------------------------------------------- */

JNET__HOT_INLINE void make_runnable(jnet_loop *l, jnet__fiber *f) {
  /* LCOV_EXCL_BR_START: callers pass a new, a waiting or the running fiber */
  if (f->runnable)
    return;
  f->runnable = 1;
  jnet__queue_insert_tail(&l->runq, &f->run_link);
  /* LCOV_EXCL_BR_STOP */
}

/* A turn's batch is the run queue as the turn found it, run in FIFO order;
 * fibers woken meanwhile go to the run queue, for the next turn. */
JNET__HOT_INLINE void batch_begin(jnet_loop *l) {
  if (jnet__queue_empty(&l->runq))
    return;
  l->batch.next = l->runq.next; /* the batch is empty: take the whole queue */
  l->batch.prev = l->runq.prev;
  l->batch.next->prev = &l->batch;
  l->batch.prev->next = &l->batch;
  jnet__queue_init(&l->runq);
}

/* The batch's next fiber, taken off it and counted, or NULL. */
JNET__HOT_INLINE jnet__fiber *batch_next(jnet_loop *l) {
  if (jnet__queue_empty(&l->batch))
    return NULL;
  jnet__queue *q = jnet__queue_head(&l->batch);
  jnet__fiber *f = jnet__queue_data(q, jnet__fiber, run_link);
  jnet__queue_remove(q);
  f->runnable = 0;
  l->nresumed++;
  return f;
}

/* The batch has run: the sim counts resumptions toward its event limit
 * (version 3). */
JNET__HOT_INLINE void batch_end(jnet_loop *l) {
  uint64_t n = l->nresumed;
  if (n == 0)
    return;
  l->nresumed = 0;
  if (l->resumptions != NULL) /* the backend's counter, without a call */
    *l->resumptions += n;
  else if (l->resumed != NULL)
    l->resumed(l->b, n);
}

/* 1 if the backend's poll() fits on a fiber's stack of the loop's size. */
static int poll_fits(const jnet_loop *l) {
  const jnet_backend *b = l->b;
  return b->version >= 4 && b->poll_stack_bytes != 0 &&
         b->poll_stack_bytes <= l->stack_bytes / 2;
}

static void fiber_entry(void *arg) {
  jnet__fiber *f = arg;
  f->fn(f->arg);
}

int jnet__spawn(jnet_loop *l, jnet__nodestate *n, jnet_fiber_fn fn, void *arg) {
  return jnet__spawn_fiber(l, n, fn, arg, NULL);
}

int jnet__spawn_fiber(jnet_loop *l, jnet__nodestate *n, jnet_fiber_fn fn,
                      void *arg, jnet__fiber **out) {
  jnet__fiber *f = jnet__calloc(1, sizeof *f);
  if (f == NULL)
    return JNET_ENOMEM;
  int err = jnet__fiber_handle_new(l, f);
  if (err < 0) {
    jnet__free(f);
    return err;
  }
  err = jnet__coro_new(&f->coro, l->stack_bytes, fiber_entry, f);
  if (err < 0) {
    jnet__fiber_handle_free(l, f);
    jnet__free(f);
    return err;
  }
  f->loop = l;
  f->fired = -1;
  f->scope_ns = JNET_NO_DEADLINE;
  f->scope_at = JNET_FOREVER;
  jnet__queue_init(&f->joiners);
  f->node = n;
  f->epoch = n->epoch;
  f->fn = fn;
  f->arg = arg;
  f->timer_idx = JNET__NO_TIMER;
  f->poll_ok = poll_fits(l);
  jnet__queue_init(&f->run_link);
  jnet__queue_insert_tail(&n->fibers, &f->node_link);
  l->nfibers++;
  make_runnable(l, f);
  if (out != NULL)
    *out = f;
  return 0;
}

static void unarm_noinline(jnet__fiber *f);

static void fiber_free(jnet_loop *l, jnet__fiber *f) {
  if (f->waiting) /* suspended forever (loop freed): drop what it waits on */
    unarm_noinline(f);
  timer_drop(l, f);
  jnet__free(f->wait_mem);
  /* joiners dropped with the loop: their clauses must not point here */
  while (!jnet__queue_empty(&f->joiners))
    jnet__queue_remove(jnet__queue_head(&f->joiners));
  if (f->runnable)
    jnet__queue_remove(&f->run_link);
  jnet__queue_remove(&f->node_link);
  jnet__fiber_handle_free(l, f);
  jnet__coro_free(f->coro);
  jnet__free(f);
  l->nfibers--;
}

static int check_loop(const jnet_loop *l) {
  return l == NULL ? JNET_EINVAL : 0;
}

/* jnet_spawn_on without the handle, and without defaulting the loop. */
int jnet_go_on(jnet_loop *l, jnet_node *node, jnet_fiber_fn fn, void *arg) {
  if (check_loop(l) < 0)
    return JNET_EINVAL;
  return jnet_spawn_on(l, node, fn, arg, NULL);
}

int jnet_go(jnet_loop *l, jnet_fiber_fn fn, void *arg) {
  jnet__fiber *self = jnet__self();
  if (l == NULL && self != NULL)
    l = self->loop;
  if (check_loop(l) < 0 || fn == NULL)
    return JNET_EINVAL;
  jnet__nodestate *n =
      self != NULL && self->loop == l ? self->node : l->default_node;
  return jnet_go_on(l, n->bnode, fn, arg);
}

int jnet_node_main(jnet_loop *l, jnet_node *node, jnet_fiber_fn fn,
                   void *arg) {
  if (check_loop(l) < 0 || node == NULL || fn == NULL)
    return JNET_EINVAL;
  jnet__nodestate *n;
  int err = jnet__user_node(l, node, &n);
  if (err < 0)
    return err;
  jnet__main *m = jnet__malloc(sizeof *m);
  if (m == NULL)
    return JNET_ENOMEM;
  m->fn = fn;
  m->arg = arg;
  m->next = NULL;
  jnet__main **tail = &n->mains; /* registration order, for restarts */
  while (*tail != NULL)
    tail = &(*tail)->next;
  *tail = m;
  return n->down ? 0 : jnet__spawn(l, n, fn, arg);
}

jnet_node *jnet_self_node(void) {
  jnet__fiber *f = jnet__self();
  return f != NULL ? f->node->bnode : NULL;
}

/* ---- 5. Waiting ---------------------------------------------------------- */

static inline int turn_rest(jnet_loop *l, uint64_t deadline_ns);

/* Leave the running fiber f, which is waiting or queued, for what the
 * scheduler would run next, without going through the scheduler's stack
 * when it can: the batch's next fiber is switched to straight; at the end
 * of the batch, f runs the rest of the turn itself (timers, the backend's
 * poll, in which a packet may wake a reader) and the next turn's batch, as
 * run() would, when the run allows it (jnet_run: no deadline, not once) and
 * the backend's poll fits on f's stack. The same calls in the same order as
 * through the scheduler: only the stack they run on differs. When the turn
 * ends the run (idle, or an error) its result goes to the scheduler. */
JNET__HOT_INLINE void suspend(jnet_loop *l, jnet__fiber *f) {
  for (;;) {
    jnet__fiber *next = batch_next(l);
    if (next == f) { /* f itself is next (it yielded): go on */
      l->current = f;
      return;
    }
    if (next != NULL) {
      l->current = next;
      jnet__coro_switch(next->coro);
      return;
    }
    if (!l->hand_on || !f->poll_ok)
      break;
    l->current = NULL; /* the scheduler's part, as on its own stack */
    batch_end(l);
    int r = turn_rest(l, JNET_NO_DEADLINE);
    if (r <= 0) {
      l->turn_done = 1;
      l->turn_r = r;
      break;
    }
    batch_begin(l);
  }
  jnet__coro_yield_to_main();
}

/* Disarm everything a waiting fiber waits on: its request, its stream
 * slot, its timer, its clauses. */
JNET__HOT_INLINE void unarm(jnet__fiber *f) {
  jnet_loop *l = f->loop;
  assert(f->waiting);
  if (f->req != NULL) {
    l->b->cancel(l->b, f->req);
    f->req = NULL;
    l->pending_ops--;
  }
  if (f->wait_slot != NULL) {
    *f->wait_slot = NULL;
    f->wait_slot = NULL;
  }
  timer_stop(f);
  if (f->nclauses > 0) {
    for (size_t i = 0; i < f->nclauses; i++)
      jnet__queue_remove(&f->clauses[i].link);
    f->clauses = NULL;
    f->nclauses = 0;
  }
  f->waiting = 0;
}

JNET__HOT_INLINE void wake(jnet__fiber *f, ssize_t result) {
  unarm(f);
  f->result = result;
  make_runnable(f->loop, f);
}

static void unarm_noinline(jnet__fiber *f) { unarm(f); }

/* Resume a waiting fiber with `result`, disarming whatever else it waits on.
 * The one place a fiber is woken. */
void jnet__fiber_wake(jnet__fiber *f, ssize_t result) { wake(f, result); }

void jnet__clause_fire(jnet__clause *c, ssize_t result) {
  jnet__fiber *f = c->f;
  f->fired = c->idx;
  wake(f, result);
}

/* A request completed (from inside the backend's poll). */
void jnet__req_done(jnet_req *req) {
  jnet__fiber *f = req->data;
  assert(f->req == req);
  f->req = NULL; /* completed: nothing to cancel */
  f->loop->pending_ops--;
  wake(f, req->result);
}

/* What a call that is about to suspend returns instead, if anything: a
 * pending cancel (delivered now, once), the crash of the fiber's node, or
 * its deadline having passed. 0: go ahead and wait. */
JNET__HOT_INLINE int refuse_wait(jnet__fiber *f) {
  if (f->cancel_err != 0) {
    int err = f->cancel_err;
    f->cancel_err = 0;
    return err;
  }
  if (jnet__fiber_cancelled(f))
    return JNET_ECANCELED;
  if (f->scope_ns != JNET_NO_DEADLINE &&
      f->scope_ns <= loop_now(f->loop))
    return JNET_ETIMEDOUT;
  return 0;
}

/* The one suspension point. `req` (may be NULL), `slot` (may be NULL) and
 * the clauses are what the fiber waits on; `own_ns` its own deadline, which
 * gives `own_result`; the fiber's deadline, if earlier, gives ETIMEDOUT. */
JNET__HOT_INLINE ssize_t wait_core(jnet__fiber *f, jnet_req *req,
                                jnet__fiber **slot, jnet__clause *c, size_t n,
                                uint64_t own_ns, ssize_t own_result) {
  jnet_loop *l = f->loop;
  f->fired = -1;
  int err = refuse_wait(f);
  if (err < 0) {
    if (req != NULL)
      l->b->cancel(l->b, req);
    return err;
  }
  if (req != NULL)
    l->pending_ops++;
  f->req = req;
  f->waiting = 1;
  if (slot != NULL) {
    *slot = f;
    f->wait_slot = slot;
  }
  if (n > 0) {
    for (size_t i = 0; i < n; i++) {
      c[i].f = f;
      jnet__queue_insert_tail(c[i].q, &c[i].link);
    }
    f->clauses = c;
    f->nclauses = n;
  }
  f->timer_result = own_result;
  uint64_t deadline = own_ns;
  if (f->scope_ns < deadline) {
    deadline = f->scope_ns;
    f->timer_result = JNET_ETIMEDOUT;
  }
  if (deadline != JNET_NO_DEADLINE && timer_start(l, f, deadline) < 0) {
    unarm(f);
    return JNET_ENOMEM;
  }
  suspend(l, f);
  return f->result;
}

/* Suspend f until the pending `req` completes, the timeout passes, or
 * something else wakes it; a timeout <= 0 (or NaN) gives up at once.
 * `slot` (may be NULL) is the stream's reader/writer/acceptor field the
 * fiber occupies meanwhile. */
ssize_t jnet__wait(jnet__fiber *f, jnet_req *req, jnet__fiber **slot,
                   double timeout) {
  if (!(timeout > 0)) {
    f->loop->b->cancel(f->loop->b, req);
    return JNET_ETIMEDOUT;
  }
  uint64_t own = timeout == (double)INFINITY
                     ? JNET_NO_DEADLINE
                     : deadline_after(f->loop, timeout);
  return wait_core(f, req, slot, NULL, 0, own, JNET_ETIMEDOUT);
}

ssize_t jnet__wait_clauses(jnet__fiber *f, jnet__clause *c, size_t n,
                           uint64_t deadline_ns) {
  return wait_core(f, NULL, NULL, c, n, deadline_ns, JNET_ETIMEDOUT);
}

ssize_t jnet__wait_sleep(jnet__fiber *f, uint64_t deadline_ns) {
  return wait_core(f, NULL, NULL, NULL, 0, deadline_ns, 0);
}

/* ---- 6. The loop ------------------------------------------------------------ */

int jnet_loop_new(jnet_loop **out, const jnet_backend *b) {
  if (out == NULL || b == NULL || b->version < 1)
    return JNET_EINVAL;
  *out = NULL;
  jnet_loop *l = jnet__calloc(1, sizeof *l);
  if (l == NULL)
    return JNET_ENOMEM;
  l->b = b;
  l->stack_bytes = (size_t)64 * 1024;
  l->resumed = b->version >= 3 ? b->resumed : NULL; /* read once a batch */
  l->resumptions = b->version >= 5 ? b->resumptions : NULL;
  l->send_to_now = b->version >= 5 ? b->send_to_now : NULL; /* per send */
  l->clock_ns = b->version >= 5 && b->clock_in_poll ? b->clock_ns : NULL;
  jnet__queue_init(&l->runq);
  jnet__queue_init(&l->batch);
  static _Atomic uint32_t loops_made;
  l->tag = (uint32_t)(loops_made++ % 4095u) + 1u;
  int err = b->start(b, &loop_hooks, l);
  if (err < 0) {
    jnet__free(l);
    return err;
  }
  l->default_node = jnet__nodestate_get(l, b->default_node(b));
  if (l->default_node == NULL) {
    b->stop(b);
    jnet__free(l->nodes);
    jnet__free(l);
    return JNET_ENOMEM;
  }
  if (jnet__tls_loop == NULL)
    jnet__tls_loop = l;
  *out = l;
  return 0;
}

void jnet_loop_free(jnet_loop *l) {
  if (l == NULL)
    return;
  assert(l->current == NULL);
  jnet_loop *saved = jnet__tls_loop;
  jnet__tls_loop = l;
  /* fibers first (cancelling their requests), then streams, then nodes */
  for (size_t i = 0; i < l->cap_nodes; i++) {
    jnet__nodestate *n = l->nodes[i];
    if (n == NULL)
      continue;
    while (!jnet__queue_empty(&n->fibers))
      fiber_free(l, jnet__queue_data(jnet__queue_head(&n->fibers), jnet__fiber,
                                     node_link));
  }
  jnet__streams_free(l);
  l->b->stop(l->b);
  for (size_t i = 0; i < l->cap_nodes; i++) {
    jnet__nodestate *n = l->nodes[i];
    if (n == NULL)
      continue;
    while (n->mains != NULL) {
      jnet__main *m = n->mains;
      n->mains = m->next;
      jnet__free(m);
    }
    jnet__free(n);
  }
  jnet__free(l->nodes);
  jnet__free(l->timers);
  jnet__free(l->fslots);
  jnet__tls_loop = saved == l ? NULL : saved;
  jnet__free(l);
  if (jnet__tls_loop == NULL)
    jnet__coro_pool_drain();
}

/* Anything of the loop still alive: a fiber (running, runnable, sleeping or
 * blocked: its timer and request go with it), a request the backend owes, an
 * open stream. */
static int loop_alive(const jnet_loop *l) {
  /* LCOV_EXCL_BR_START: a pending request has its suspended fiber */
  if (l->nfibers > 0 || l->pending_ops > 0)
    return 1;
  /* LCOV_EXCL_BR_STOP */
  for (uint32_t i = 0; i < l->nslots; i++)
    if (l->slots[i]->sock != NULL)
      return 1;
  return 0;
}

int jnet_loop_close(jnet_loop *l) {
  if (l == NULL)
    return JNET_EINVAL;
  if (l->running || loop_alive(l))
    return JNET_EBUSY;
  jnet_loop_free(l);
  return 0;
}

jnet_node *jnet_loop_node(jnet_loop *l) {
  return l != NULL ? l->default_node->bnode : NULL;
}

int jnet_loop_set_stack_size(jnet_loop *l, size_t bytes) {
  if (l == NULL || bytes < (size_t)16 * 1024 || bytes > ((size_t)1 << 30))
    return JNET_EINVAL;
  l->stack_bytes = bytes;
  return 0;
}

/* Run the fibers that are runnable now, each once, in FIFO order; fibers
 * they make runnable run on the next turn. A fiber may hand on to the next
 * one itself (suspend()), so the one that comes back is l->current. */
static void run_ready(jnet_loop *l) {
  batch_begin(l);
  jnet__fiber *f;
  while ((f = batch_next(l)) != NULL) {
    l->current = f;
    jnet__coro_switch(f->coro);
    f = l->current;
    l->current = NULL;
    if (f != NULL && jnet__coro_done(f->coro)) {
      jnet__fiber_finish(l, f);
      fiber_free(l, f);
    }
    if (l->turn_done)
      return; /* a fiber ran the rest of the turn, which ended the run */
  }
  batch_end(l);
}

/* The rest of a turn once its batch has run; `deadline_ns` bounds how long
 * poll may block. Returns 1 if anything is left to do, 0 when idle, < 0 on
 * a backend error. */
JNET__HOT_INLINE int turn_rest(jnet_loop *l, uint64_t deadline_ns) {
  timers_fire(l);
  if (!jnet__queue_empty(&l->runq)) {
    int r = l->b->poll(l->b, deadline_ns, 0);
    if (r < 0)
      return r;
    clock_moved(l);
    timers_fire(l);
    return 1;
  }
  /* Nothing runnable: let the backend decide whether anything can still
   * happen (the sim may hold scheduled faults or packets in flight even when
   * no fiber waits on them). */
  timers_purge(l);
  /* Under jnet_run the root's deadline may be a lower bound: a poll that
   * wakes at it with nothing to do costs a turn in which no fiber runs and
   * nothing is seen, and re-keys the root. One turn (jnet_run_once, whose
   * caller sees its turns) or a run to a deadline waits for the true one. */
  if (!l->hand_on)
    while (l->ntimers > 0 && timer_exact(l))
      timers_purge(l);
  uint64_t next = l->ntimers > 0 ? l->timers[0].deadline_ns : JNET_NO_DEADLINE;
  if (deadline_ns < next)
    next = deadline_ns;
  int r = l->b->poll(l->b, next, 1);
  if (r < 0)
    return r;
  /* LCOV_EXCL_BR_START (the test below): r == 0 with a fiber runnable and
   * no timer left needs a poll that waited out a deadline and says idle;
   * the sim says 1 when its clock moved (r == 0 with timers: sim-fibers) */
  clock_moved(l);
  timers_fire(l);
  if (r == 0 && l->ntimers == 0 && jnet__queue_empty(&l->runq))
    return 0; /* nothing pending can ever complete */
  /* LCOV_EXCL_BR_STOP */
  return 1;
}

/* One turn: the batch, then the rest (unless a fiber already ran it). */
static int turn(jnet_loop *l, uint64_t deadline_ns) {
  run_ready(l);
  if (l->turn_done) {
    l->turn_done = 0;
    return l->turn_r;
  }
  return turn_rest(l, deadline_ns);
}

static int run(jnet_loop *l, uint64_t deadline_ns, int once) {
  if (l == NULL || l->running || jnet__self() != NULL)
    return JNET_EINVAL;
  l->running = 1;
  l->prev_current = jnet__tls_loop;
  jnet__tls_loop = l;
  l->hand_on = !once && deadline_ns == JNET_NO_DEADLINE;
  l->clock_cached = l->b->version >= 4 && l->b->clock_in_poll;
  if (l->clock_cached)
    l->now_ns = l->b->now_ns(l->b);
  int r;
  do {
    r = turn(l, deadline_ns);
    if (deadline_ns != JNET_NO_DEADLINE && l->b->now_ns(l->b) >= deadline_ns &&
        jnet__queue_empty(&l->runq))
      break;
  } while (r > 0 && !once);
  jnet__tls_loop = l->prev_current;
  l->running = 0;
  l->hand_on = 0;
  l->clock_cached = 0;
  if (r < 0)
    return r;
  return once ? r : 0;
}

int jnet_run(jnet_loop *l) { return run(l, JNET_NO_DEADLINE, 0); }

int jnet_run_until(jnet_loop *l, double deadline) {
  if (l == NULL || isnan(deadline))
    return JNET_EINVAL;
  /* LCOV_EXCL_BR_START: the compare's unordered (NaN) side; NaN is
   * refused above */
  uint64_t d = deadline <= 0 ? 0
               : deadline * 1e9 >= (double)UINT64_MAX ? JNET_NO_DEADLINE
                                                       : (uint64_t)(deadline * 1e9);
  /* LCOV_EXCL_BR_STOP */
  return run(l, d, 0);
}

int jnet_run_once(jnet_loop *l) { return run(l, JNET_NO_DEADLINE, 1); }

size_t jnet_loop_fibers(const jnet_loop *l) { return l ? l->nfibers : 0; }

/* ---- 7. Sleep, yield, clock, randomness ------------------------------------ */

int jnet_sleep(double seconds) {
  jnet__fiber *f = jnet__self();
  if (isnan(seconds))
    return JNET_EINVAL;
  if (f == NULL)
    return JNET_ENOTFIBER;
  if (jnet__fiber_cancelled(f))
    return JNET_ECANCELED;
  if (!(seconds > 0))
    return jnet_yield();
  uint64_t own = isinf(seconds) ? JNET_NO_DEADLINE
                                : jnet__deadline_after(f->loop, seconds);
  return (int)jnet__wait_sleep(f, own);
}

int jnet_yield(void) {
  jnet__fiber *f = jnet__self();
  if (f == NULL)
    return JNET_ENOTFIBER;
  make_runnable(f->loop, f);
  suspend(f->loop, f);
  return jnet__fiber_cancelled(f) ? JNET_ECANCELED : 0;
}

double jnet_now(void) {
  jnet_loop *l = jnet__tls_loop;
  return l != NULL ? (double)l->b->now_ns(l->b) / 1e9 : 0.0;
}

uint64_t jnet_random(void) {
  jnet_loop *l = jnet__tls_loop;
  if (l == NULL)
    return 0;
  jnet__fiber *f = l->current;
  jnet_node *n = f != NULL ? f->node->bnode : l->default_node->bnode;
  return l->b->random(l->b, n);
}
