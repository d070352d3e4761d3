/* internal.h — private to api/: the loop, fibers, nodes, stream slots, waits.
 *
 * The one idea: a blocking call arms at most one backend request, one timer
 * and any number of clauses (channel gives and takes, joins), records in its
 * fiber what it waits for, and suspends once. Whichever fires first
 * (completion, timer, clause, close of the stream, crash of the node,
 * jnet_cancel) disarms the others through fiber_wake() and queues the fiber
 * with the result (libdill's dill_wait/dill_trigger). Nothing else resumes a
 * fiber. The timer stands for the earlier of the call's own timeout and the
 * fiber's deadline (jnet_deadline).
 */
#ifndef JNET_API_INTERNAL_H
#define JNET_API_INTERNAL_H

#include <assert.h>
#include <stdint.h>

#include "fiber.h"
#include <jnet/jnet.h>
#include "jnet_alloc.h"
#include <jnet/jnet_backend.h>
#include "queue.h"

/* Janet's "stream flags" as kinds: what a stream can do. */
typedef enum {
  JNET__LISTENER = 1,    /* stream listener: accept */
  JNET__CONN,            /* connected stream: read, write */
  JNET__DGRAM_LISTENER,  /* bound datagram socket: read, recv_from, send_to */
  JNET__DGRAM_CONN,      /* connected datagram socket: all datagram ops */
  JNET__CONNECTING       /* a stream being connected, not yet returned */
} jnet__kind;

/* For the few helpers of the per-operation path that the compiler would
 * otherwise call out of line (a call, a prologue and an epilogue cost
 * more than their bodies). `make coverage` defines JNET_COVERAGE: at -O0
 * forced inlining would give each call site its own copy of the helper's
 * branches, and coverage would count the copies, not the source. */
#if defined(__GNUC__) && !defined(JNET_COVERAGE)
#define JNET__HOT_INLINE static inline __attribute__((always_inline))
#else
#define JNET__HOT_INLINE static inline
#endif

typedef struct jnet__nodestate jnet__nodestate;
typedef struct jnet__fiber jnet__fiber;
typedef struct jnet__stream jnet__stream;

/* A timer: the heap entry carries its key, so ordering stays in the array.
 * Ties at equal deadlines go by arming order (seq), libuv's start_id. */
typedef struct jnet__tent {
  uint64_t deadline_ns, seq;
  struct jnet__fiber *f;
} jnet__tent;

/* One thing a fiber waits for besides a request and a timer: a give or a
 * take on a channel, or another fiber's end (join). It lives on the waiting
 * fiber's stack, linked into the channel's or the joined fiber's queue while
 * the fiber waits; whoever fires it copies the item and wakes the fiber,
 * which unlinks every clause it has (libdill's dill_clause). */
typedef struct jnet__clause {
  jnet__queue link; /* in `q` while armed */
  jnet__queue *q;   /* chan->takers, chan->givers or fiber->joiners */
  jnet__fiber *f;
  void *item;  /* take: destination; give: source; join: unused */
  int idx;     /* the select case (0 for a plain call) */
} jnet__clause;

struct jnet__stream {
  jnet_bsock *sock;
  uint32_t gen;  /* the handle's generation; bumped on close */
  uint32_t slot; /* index in the loop's table */
  uint8_t kind;   /* a jnet__kind */
  uint8_t family; /* AF_INET, AF_INET6, AF_UNIX */
  unsigned shut_rd : 1, shut_wr : 1;
  jnet__nodestate *node;
  jnet__fiber *reader, *writer, *acceptor; /* blocked fibers, if any */
  union { /* an open stream is on its node's list, a closed one is free */
    jnet__queue node_link;   /* in node->streams */
    jnet__stream *next_free; /* in loop->free_streams */
  };
};

/* API-side state of a backend node: liveness, mains to rerun. */
typedef struct jnet__main {
  jnet_fiber_fn fn;
  void *arg;
  struct jnet__main *next;
} jnet__main;

struct jnet__nodestate {
  jnet_node *bnode; /* the backend's node */
  uint64_t epoch;   /* bumped by each crash */
  uint64_t live_epoch; /* epoch while up, UINT64_MAX while down: a fiber is
                          cancelled when its epoch is not this one */
  int down;
  jnet__main *mains;
  jnet__queue fibers;  /* jnet__fiber.node_link */
  jnet__queue streams; /* jnet__stream.node_link */
};

struct jnet__fiber {
  jnet__coro *coro;
  jnet_loop *loop;
  jnet__nodestate *node;
  uint64_t epoch; /* node epoch at spawn: a mismatch means cancelled */
  jnet_fiber_fn fn;
  void *arg;
  jnet__queue run_link;  /* in loop->runq while runnable */
  jnet__queue node_link; /* in node->fibers */
  int runnable;
  int poll_ok; /* its stack is large enough for the backend's poll() */
  /* What the fiber waits on (all NULL/0 when not waiting). */
  int waiting;
  jnet_req *req;           /* pending backend request */
  jnet__fiber **wait_slot; /* &stream->reader etc., cleared on wake */
  jnet__clause *clauses;   /* armed clauses (channels, join), or NULL */
  size_t nclauses;
  int fired;               /* the clause that woke the fiber, -1: none */
  void *wait_mem;          /* heap the wait uses (a big select's clauses),
                              freed if the fiber is dropped while waiting */
  size_t timer_idx;        /* in loop->timers, or JNET__NO_TIMER */
  int timer_live;          /* its entry there is armed; 0: left behind by a
                              wake, for the next timed wait to re-key */
  uint64_t timer_seq;      /* the armed key's arming order: the entry's seq
                              when exact, an earlier one when the entry is
                              a lower bound left for the top to re-key */
  uint64_t timer_ns;       /* the armed key's deadline */
  ssize_t timer_result;    /* what the timer gives: 0 (sleep) or ETIMEDOUT */
  ssize_t result; /* set by the waker */
  /* Handles, cancel, deadline (spawn.c). */
  uint32_t hslot;        /* 1-based index in loop->fslots */
  uint32_t hgen;         /* the handle's generation */
  int cancel_err;        /* a jnet_cancel not yet delivered, or 0 */
  uint64_t scope_ns;     /* jnet_deadline, JNET_NO_DEADLINE: none */
  double scope_at;       /* the same as given, read back exactly */
  jnet__queue joiners;   /* jnet__clause.link of fibers in jnet_join */
};

/* A slot of the fiber handle table: the fiber using it (NULL when free)
 * and the generation of its latest handle. Generations grow with every
 * spawn, so a handle older than its slot's is a fiber that has returned. */
typedef struct jnet__fslot {
  jnet__fiber *f;
  uint32_t gen;
  uint32_t next_free; /* 1-based, 0: end */
} jnet__fslot;

#define JNET__NO_TIMER SIZE_MAX


struct jnet_loop {
  const jnet_backend *b;
  jnet__nodestate *default_node;
  size_t stack_bytes;
  jnet__fiber *current; /* running fiber, NULL on the scheduler */
  jnet__queue runq;
  /* The turn's batch: the run queue as it was when the turn began; fibers
   * woken meanwhile wait in runq for the next turn (loop.c, 6.) */
  jnet__queue batch;
  uint64_t nresumed; /* fibers resumed in this batch so far */
  void (*resumed)(const jnet_backend *b, uint64_t n); /* b's, version 3 */
  uint64_t *resumptions; /* b's counter (version 5), instead of resumed */
  int (*send_to_now)(const jnet_backend *b, jnet_bsock *s, const void *buf,
                     size_t len, const jnet_addr *dst); /* b's, version 5 */
  /* Handing on (loop.c, 5.): a suspending fiber runs the rest of the turn
   * and the next one itself, switching straight to the next fiber. */
  int hand_on;      /* allowed in this run: no deadline, not once, the
                       backend's poll fits on a fiber stack */
  int turn_done;    /* a fiber ended the turn: turn_r is its result */
  int turn_r;
  /* The clock as the last poll left it, while a run lasts, when the
   * backend's clock moves only in poll (clock_in_poll). */
  int clock_cached;
  uint64_t now_ns;
  const uint64_t *clock_ns; /* b's (version 5), read instead of now_ns() */
  /* The last timeout deadline_after converted, and its nanoseconds: most
   * loops wait with one timeout over and over (0: none yet). */
  double last_timeout;
  uint64_t last_timeout_ns;
  size_t nfibers;
  size_t pending_ops; /* requests the backend owes a completion */
  /* timers: binary min-heap on (deadline, arming order) (loop.c, 3.) */
  jnet__tent *timers;
  size_t ntimers, cap_timers;
  uint64_t timer_seq;
  /* nodes: open-addressing map from backend node to jnet__nodestate */
  jnet__nodestate **nodes;
  size_t nnodes, cap_nodes;
  /* stream table: handle = gen << 32 | (slot + 1) */
  jnet__stream **slots;
  uint32_t nslots, cap_slots;
  jnet__stream *free_streams;
  jnet_loop *prev_current; /* the thread's current loop before run */
  int running;
  /* fiber handles: tag << 52 | slot << 32 | gen (spawn.c) */
  jnet__fslot *fslots;
  uint32_t nfslots, cap_fslots, free_fslot;
  uint32_t fiber_gen; /* last generation issued */
  uint32_t tag;       /* 12 bits, per loop, never 0 */
};

/* 1 if f's node crashed since f was spawned: its blocking calls give
 * JNET_ECANCELED until it returns. */
static inline int jnet__fiber_cancelled(const jnet__fiber *f) {
  return f->epoch != f->node->live_epoch; /* down, or crashed since */
}

/* loop.c: the thread's current loop (set while one runs, else the first
 * made), read inline on every call. */
#if defined(__GNUC__) && defined(__ELF__)
extern __thread jnet_loop *jnet__tls_loop
    __attribute__((tls_model("initial-exec")));
#else
extern _Thread_local jnet_loop *jnet__tls_loop;
#endif

static inline jnet_loop *jnet__current_loop(void) { return jnet__tls_loop; }

/* The running fiber, or NULL on the scheduler or outside any loop. */
static inline jnet__fiber *jnet__self(void) {
  jnet_loop *l = jnet__tls_loop;
  return l != NULL ? l->current : NULL;
}

jnet__nodestate *jnet__nodestate_get(jnet_loop *l, jnet_node *bnode);
int jnet__spawn(jnet_loop *l, jnet__nodestate *n, jnet_fiber_fn fn, void *arg);
int jnet__spawn_fiber(jnet_loop *l, jnet__nodestate *n, jnet_fiber_fn fn,
                      void *arg, jnet__fiber **out);
int jnet__user_node(jnet_loop *l, jnet_node *bnode, jnet__nodestate **out);
/* Suspend f on the pending `req` (jnet__submit's slow path): its result,
 * or ETIMEDOUT after `timeout` (<= 0 or NaN: at once, cancelling req). */
ssize_t jnet__wait(jnet__fiber *f, jnet_req *req, jnet__fiber **slot,
                   double timeout);
/* Wait on `n` clauses (linked here, unlinked by the wake), at most until
 * deadline_ns. f->fired says which clause fired (-1: none). */
ssize_t jnet__wait_clauses(jnet__fiber *f, jnet__clause *c, size_t n,
                           uint64_t deadline_ns);
/* Sleep until deadline_ns: 0, or ETIMEDOUT/a cancel's code when a fiber
 * deadline or a cancel cuts it short. */
ssize_t jnet__wait_sleep(jnet__fiber *f, uint64_t deadline_ns);
void jnet__fiber_wake(jnet__fiber *f, ssize_t result);
/* Fire clause c with `result`: the fiber learns which case and wakes. */
void jnet__clause_fire(jnet__clause *c, ssize_t result);
void jnet__req_done(jnet_req *req); /* a request's completion callback */

/* A request for f, field by field: the embedded address is large and only
 * send_to and connect read it, after setting it; the private fields are
 * the backend's to set. */
static inline void jnet__req_init(jnet_req *req, jnet__fiber *f) {
  req->cb = jnet__req_done;
  req->data = f;
  req->buf = NULL;
  req->len = 0;
  req->addrs = NULL;
  req->naddrs = 0;
  req->addr.u.sa.sa_family = AF_UNSPEC;
  req->addr.len = 0;
  req->result = 0;
  req->sock = NULL;
  req->owner_ = NULL;
}

/* Finish an operation the backend started: `started` is its return value
 * (1 done, 0 pending, < 0 failed). A timeout <= 0 (or NaN) gives up at once
 * on an operation that did not complete. */
static inline ssize_t jnet__submit(jnet__fiber *f, int started,
                                   jnet_req *req, jnet__fiber **slot,
                                   double timeout) {
  if (started != 0)
    return started < 0 ? started : req->result;
  return jnet__wait(f, req, slot, timeout);
}
uint64_t jnet__deadline_after(jnet_loop *l, double timeout);
double jnet__remaining(jnet_loop *l, uint64_t deadline_ns);

/* spawn.c: fiber handles */
int jnet__fiber_handle_new(jnet_loop *l, jnet__fiber *f);
void jnet__fiber_handle_free(jnet_loop *l, jnet__fiber *f);
void jnet__fiber_finish(jnet_loop *l, jnet__fiber *f); /* wakes joiners */
/* Absolute seconds on the loop's clock to nanoseconds, rounded up, so the
 * clock has passed `at` once it reaches the result. */
uint64_t jnet__abs_ns(double at);

/* stream.c. A handle's stream, or NULL when closed or never valid: the
 * handle is gen << 32 | (slot + 1), and a slot's generation moves on at
 * each close (inline: every net call makes one). */
static inline jnet__stream *jnet__stream_get(jnet_loop *l, jnet_stream s) {
  uint32_t slot = (uint32_t)(s.h & 0xffffffffu);
  uint32_t gen = (uint32_t)(s.h >> 32);
  if (l == NULL || slot - 1u >= l->nslots) /* slot 0 wraps: not valid */
    return NULL;
  jnet__stream *st = l->slots[slot - 1];
  return st->sock != NULL && st->gen == gen ? st : NULL;
}
int jnet__stream_new(jnet_loop *l, jnet__nodestate *n, jnet_bsock *sock,
                     jnet__kind kind, int family, jnet_stream *out);
jnet_stream jnet__stream_handle(const jnet__stream *st);
void jnet__stream_close(jnet_loop *l, jnet__stream *st);
void jnet__streams_free(jnet_loop *l);

/* addr.c */
int jnet__resolve(jnet__fiber *f, const char *host, const char *port,
                  int type, int passive, jnet_addr *out, size_t cap);

/* io.c: a datagram's largest payload over IPv4 */
#define JNET__MAX_DATAGRAM 65507

#endif /* JNET_API_INTERNAL_H */
