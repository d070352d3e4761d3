/* jnet.h — Janet's net/ API for C programs, on swappable transports.
 *
 * Protocol code calls these functions from fibers (stackful coroutines run by
 * one loop on one thread). A call that has to wait suspends the calling fiber
 * and resumes it when the backend completes the operation or its timeout
 * fires; other fibers run meanwhile. The same code runs on real sockets
 * (jnet_backend_uv()) or on a deterministic simulated network (jnet_sim.h).
 *
 * Conventions (see DESIGN.md, "API decisions"):
 *  - Functions return 0 or a count on success, a negative JNET_E* code on
 *    failure (jnet_errno.h); jnet_strerror() names every code.
 *  - Timeouts are seconds as double; JNET_FOREVER waits forever; a timeout
 *    <= 0 (or NaN) completes only what can complete at once, else returns
 *    JNET_ETIMEDOUT.
 *  - Streams are handles (slot + generation). A closed or stale handle gives
 *    JNET_ECLOSED; a second jnet_close() returns 0. Closing a stream wakes
 *    every fiber blocked on it with JNET_ECANCELED.
 *  - Check order: arguments (JNET_EINVAL...) -> closed (JNET_ECLOSED) -> kind
 *    (JNET_ENOTSUP) -> busy (JNET_EBUSY: one reader, one writer, one
 *    acceptor per stream).
 *  - Calls that may wait return JNET_ENOTFIBER outside a fiber.
 *  - Every call that suspends is also bounded by the fiber's deadline
 *    (jnet_deadline: JNET_ETIMEDOUT) and ended by jnet_cancel (its code);
 *    the stream stays as after a timeout.
 *  - Reads append to a jnet_buf; the library never keeps a pointer into a
 *    caller's memory after a call returns.
 */
#ifndef JNET_H
#define JNET_H

#include <math.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <jnet/jnet_config.h>
#include <jnet/jnet_errno.h>

#ifdef __cplusplus
extern "C" {
#endif

/* JNET_VERSION_MAJOR/MINOR/PATCH: <jnet/jnet_config.h>. */

/* ---- Types ---------------------------------------------------------------- */

typedef struct jnet_loop jnet_loop;       /* a scheduler + a backend */
typedef struct jnet_node jnet_node;       /* a host: one on uv, many on sim */
typedef struct jnet_backend jnet_backend; /* <jnet/jnet_backend.h> */

/* A stream handle: a value, not a pointer. JNET_NOSTREAM is its zero. */
typedef struct jnet_stream {
  uint64_t h;
} jnet_stream;

#define JNET_NOSTREAM ((jnet_stream){0})
#define JNET_SAME(a, b) ((a).h == (b).h)

/* A socket address (Janet's core/socket-address): IPv4, IPv6 or unix. The
 * caller allocates it; it fits any sockaddr. `len` is the length of the
 * sockaddr in use (for an abstract unix name, exactly the name's). */
typedef struct jnet_addr {
  union {
    struct sockaddr sa;
    struct sockaddr_in in4;
    struct sockaddr_in6 in6;
    struct sockaddr_un un;
    struct sockaddr_storage ss;
  } u;
  socklen_t len;
} jnet_addr;

/* A growable byte buffer. Reads append to it, as Janet's buffers do. All
 * fields are public: a parser may consume from the front by moving bytes
 * down and lowering `len`. `data` is NULL until the first append. */
typedef struct jnet_buf {
  char *data;
  size_t len; /* bytes in use */
  size_t cap; /* bytes allocated */
} jnet_buf;

/* Socket types (Janet's :stream and :datagram). */
enum { JNET_STREAM = 0, JNET_DATAGRAM = 1 };

/* The host that selects a unix domain socket; the path goes in `port`. A
 * leading '@' in the path names a Linux abstract socket. */
#define JNET_UNIX ":unix"

/* Wait forever. */
#define JNET_FOREVER INFINITY

/* jnet_shutdown() modes. RDWR is the default (Janet's :wr per the docs,
 * :rw per its code). */
enum { JNET_SHUT_RDWR = 0, JNET_SHUT_RD = 1, JNET_SHUT_WR = 2 };

/* jnet_setsockopt() options, Janet's eight, with their value types. */
enum {
  JNET_SO_BROADCAST = 1,     /* bool */
  JNET_SO_REUSEADDR,         /* bool */
  JNET_SO_KEEPALIVE,         /* bool */
  JNET_IP_MULTICAST_TTL,     /* int  */
  JNET_IP_ADD_MEMBERSHIP,    /* str: IPv4 group, any interface */
  JNET_IP_DROP_MEMBERSHIP,   /* str: IPv4 group */
  JNET_IPV6_JOIN_GROUP,      /* str: IPv6 group, interface 0 */
  JNET_IPV6_LEAVE_GROUP      /* str: IPv6 group */
};

/* A tagged option value; make one with jnet_opt_bool/int/str. */
enum { JNET_OPT_BOOL = 1, JNET_OPT_INT, JNET_OPT_STR };
typedef struct jnet_optval {
  int type;
  union {
    int b;
    int i;
    const char *s;
  } u;
} jnet_optval;

static inline jnet_optval jnet_opt_bool(int b) {
  jnet_optval v;
  v.type = JNET_OPT_BOOL;
  v.u.b = b != 0;
  return v;
}
static inline jnet_optval jnet_opt_int(int i) {
  jnet_optval v;
  v.type = JNET_OPT_INT;
  v.u.i = i;
  return v;
}
static inline jnet_optval jnet_opt_str(const char *s) {
  jnet_optval v;
  v.type = JNET_OPT_STR;
  v.u.s = s;
  return v;
}

/* A connection handler (jnet_accept_loop, jnet_server). The handler owns
 * `conn`; jnet closes it when the handler returns (closing it inside is fine:
 * close is idempotent). */
typedef void (*jnet_handler)(jnet_stream conn, void *arg);

/* A fiber's body. */
typedef void (*jnet_fiber_fn)(void *arg);

/* A fiber handle: a value with a generation, like a stream handle. It stays
 * safe to use after the fiber returned (join and cancel then return 0).
 * JNET_NOFIBER is its zero. */
typedef struct jnet_fiber {
  uint64_t h;
} jnet_fiber;

#define JNET_NOFIBER ((jnet_fiber){0})

/* A channel of fixed-size items (jnet_chan_new). */
typedef struct jnet_chan jnet_chan;

/* jnet_select() case operations. */
enum { JNET_TAKE = 1, JNET_GIVE = 2 };

/* One case of jnet_select(): take an item from `chan` into `item`, or give
 * the item at `item`. A NULL `chan` is skipped (Go's nil channel). `result`
 * is set for the case done, as give/take would return it. */
typedef struct jnet_case {
  jnet_chan *chan;
  int op;     /* JNET_TAKE or JNET_GIVE */
  void *item; /* take: destination; give: source (item_size bytes) */
  int result; /* take: 1 item, 0 closed and drained; give: 0 or EPIPE */
} jnet_case;

/* ---- Errors -------------------------------------------------------------- */

/* The message for a JNET_E* code ("connection refused"); "success" for 0;
 * "unknown error" for a code jnet does not define. Never NULL. */
JNET_EXTERN const char *jnet_strerror(int err);

/* The code's name without the prefix ("ECONNREFUSED"); "OK" for 0;
 * "EUNKNOWN" for a code jnet does not define. Never NULL. */
JNET_EXTERN const char *jnet_err_name(int err);

/* ---- Memory -------------------------------------------------------------- */

/* Replace the allocator used for every allocation jnet makes (as
 * uv_replace_allocator). Call before creating any loop. Returns JNET_EINVAL
 * if any pointer is NULL. A test may install one that fails the Nth call. */
JNET_EXTERN int jnet_replace_allocator(void *(*malloc_fn)(size_t),
                                       void *(*realloc_fn)(void *, size_t),
                                       void (*free_fn)(void *));

/* Allocate, grow and free through the allocator jnet uses (the one
 * jnet_replace_allocator installs), for code that wants its memory counted
 * and failed with the library's. jnet_malloc(0) returns a unique pointer
 * (or NULL when out of memory); jnet_free(NULL) does nothing. */
JNET_EXTERN void *jnet_malloc(size_t n);
JNET_EXTERN void *jnet_realloc(void *p, size_t n);
JNET_EXTERN void jnet_free(void *p);

JNET_EXTERN void jnet_buf_init(jnet_buf *b);  /* empty, no allocation */
JNET_EXTERN void jnet_buf_reset(jnet_buf *b); /* len = 0, keeps the memory */
/* jnet_buf_free frees the memory, back to empty. */
JNET_EXTERN void jnet_buf_free(jnet_buf *b);
/* Make room for `extra` more bytes. 0, or JNET_ENOMEM / JNET_EINVAL. */
JNET_EXTERN int jnet_buf_reserve(jnet_buf *b, size_t extra);
/* Append n bytes. 0, or JNET_ENOMEM / JNET_EINVAL. */
JNET_EXTERN int jnet_buf_append(jnet_buf *b, const void *p, size_t n);

/* ---- Loop and fibers ------------------------------------------------------ */

/* Create a loop on backend `b` (jnet_backend_uv(), jnet_sim_backend()).
 * A backend serves one loop at a time. Errors: JNET_EINVAL (NULL, or a
 * backend version jnet does not know), JNET_EBUSY (backend already has a
 * loop), JNET_ENOMEM. */
JNET_EXTERN int jnet_loop_new(jnet_loop **out, const jnet_backend *b);

/* Close every stream, drop every fiber that has not finished (their stacks
 * are freed; they never resume), and free the loop. Must not be called from
 * inside a fiber of this loop. NULL is a no-op. */
JNET_EXTERN void jnet_loop_free(jnet_loop *l);

/* Free the loop if nothing of it is alive, as uv_loop_close: no fiber
 * (running, runnable, sleeping or blocked), no request the backend owes, no
 * open stream: every fiber returned and every stream closed. 0: the loop is
 * freed. JNET_EBUSY: something is alive, or the
 * loop is running (a call from one of its fibers); the loop is untouched and
 * usable: run it on, close its streams, or jnet_loop_free it. JNET_EINVAL:
 * NULL. Tests end with it to assert that nothing was left behind. */
JNET_EXTERN int jnet_loop_close(jnet_loop *l);

/* The loop's default node: the uv backend's only node; on sim, the first
 * host added. */
JNET_EXTERN jnet_node *jnet_loop_node(jnet_loop *l);

/* Set the stack size of fibers spawned from now on (default 64 KiB,
 * rounded up to pages, at least 16 KiB). 0 or JNET_EINVAL. */
JNET_EXTERN int jnet_loop_set_stack_size(jnet_loop *l, size_t bytes);

/* Spawn a fiber running fn(arg). It is queued (FIFO) and runs on a later
 * turn, on the caller's node, or outside a fiber on the loop's default
 * node. Inside a fiber `l` may be NULL: the caller's loop. 0, or
 * JNET_EINVAL / JNET_ENOMEM, JNET_ECANCELED (the caller's node crashed). */
JNET_EXTERN int jnet_go(jnet_loop *l, jnet_fiber_fn fn, void *arg);

/* Spawn a fiber on `node`. 0, or JNET_EINVAL (NULL, or a node that is not
 * the loop's backend's: a host never added, another simulation's host),
 * JNET_ENOMEM, JNET_ECANCELED if the node is down (crashed). */
JNET_EXTERN int jnet_go_on(jnet_loop *l, jnet_node *node, jnet_fiber_fn fn,
                           void *arg);

/* Register fn(arg) as the node's main: spawn it now, and again each time
 * the node restarts after a crash (sim). Errors as jnet_go_on. */
JNET_EXTERN int jnet_node_main(jnet_loop *l, jnet_node *node, jnet_fiber_fn fn,
                               void *arg);

/* Run until no fiber is runnable and none waits on a deadline or on an
 * operation that can complete (as Janet's event loop: a fiber blocked on a
 * listener without timeout keeps it running; an idle open stream does not).
 * Returns 0, or a negative code on a loop error. Not from inside a fiber. */
JNET_EXTERN int jnet_run(jnet_loop *l);

/* As jnet_run, but return once the clock reaches `deadline` (seconds on
 * the loop's clock, as jnet_now()). 0, or a negative code. */
JNET_EXTERN int jnet_run_until(jnet_loop *l, double deadline);

/* Run one turn: every runnable fiber once, then one poll of the backend
 * (not blocking if a fiber is runnable). Returns 1 if anything is left to
 * do, 0 when the loop is idle, or a negative code. */
JNET_EXTERN int jnet_run_once(jnet_loop *l);

/* How many fibers of the loop have not finished (running, runnable or
 * waiting); 0 for NULL. After jnet_run, a count above 0 means fibers are
 * left waiting on something that can never complete. */
JNET_EXTERN size_t jnet_loop_fibers(const jnet_loop *l);

/* Suspend the calling fiber for `seconds` (<= 0: yield one turn and never
 * deliver a jnet_cancel). A positive wait shorter than the clock's tick
 * (1 ns on both backends) waits one tick: the clock always moves.
 * 0, JNET_ENOTFIBER, JNET_EINVAL (NaN), JNET_ECANCELED when the fiber's
 * node crashed, JNET_ETIMEDOUT when the fiber's deadline (jnet_deadline)
 * cut it short, or the code of a jnet_cancel delivered while it slept. */
JNET_EXTERN int jnet_sleep(double seconds);

/* Let the other runnable fibers run once. 0, JNET_ENOTFIBER, or
 * JNET_ECANCELED when the fiber's node crashed. Never delivers a
 * jnet_cancel. */
JNET_EXTERN int jnet_yield(void);

/* The loop's clock in seconds: monotonic time on uv, virtual time on sim
 * (0 at the start of a simulation). Outside a running loop, the clock of
 * the loop most recently created on this thread; 0 if none. */
JNET_EXTERN double jnet_now(void);

/* A 64-bit random number from the backend: deterministic per node and
 * seed on sim, from the OS on uv. Protocol code should use this, never
 * rand(), so that a simulated run replays exactly. */
JNET_EXTERN uint64_t jnet_random(void);

/* The node of the calling fiber, or NULL outside a fiber. */
JNET_EXTERN jnet_node *jnet_self_node(void);

/* ---- Fibers that work together ----------------------------------------------
 *
 * Janet's ev/ for C: handles to join and cancel fibers, a deadline per
 * fiber, channels and select. Everything runs on the loop's clock (virtual
 * time on sim, where the same seed gives the same order of wake-ups).
 *
 * "Blocking" means a call that suspends. A call that can complete at once
 * (an item is ready, the fiber joined has returned) returns its result even
 * when a cancel is pending or the deadline has passed. Fibers released in
 * one turn resume in the order they were served. Outside a fiber,
 * join/give/take/select work when they can complete at once or their
 * timeout is <= 0 (then JNET_ETIMEDOUT when nothing is ready); a call that
 * would have to suspend returns JNET_ENOTFIBER. */

/* jnet_go / jnet_go_on with a handle: spawn fn(arg) (queued FIFO, runs on
 * a later turn) on the caller's node, outside a fiber on the loop's default
 * node (jnet_spawn), or on `node` (jnet_spawn_on). Inside a fiber `l` may be
 * NULL: the caller's loop. `out` may be NULL; on error it is JNET_NOFIBER.
 * The new fiber has no deadline and no pending cancel.
 * 0, or JNET_EINVAL (NULL loop outside a fiber, NULL fn or node, a node not
 * the loop's backend's), JNET_ENOMEM, JNET_ECANCELED (the node is down, or
 * the calling fiber's own node crashed). */
JNET_EXTERN int jnet_spawn(jnet_loop *l, jnet_fiber_fn fn, void *arg,
                           jnet_fiber *out);
JNET_EXTERN int jnet_spawn_on(jnet_loop *l, jnet_node *node, jnet_fiber_fn fn,
                              void *arg, jnet_fiber *out);

/* The calling fiber's handle (also for fibers started with jnet_go);
 * JNET_NOFIBER outside a fiber. */
JNET_EXTERN jnet_fiber jnet_self(void);

/* Wait until fiber f has returned, at most `timeout` seconds. Any number of
 * fibers may join one, from any simulated host. A fiber on a crashed host
 * runs until it returns (its blocking calls give JNET_ECANCELED); its
 * joiners then get 0. Returns 0 once f has returned (at once if it already
 * had). Errors: JNET_EINVAL (JNET_NOFIBER, a handle this loop never
 * issued, another loop's), JNET_EDEADLK (f is the caller),
 * JNET_ETIMEDOUT (timeout or the caller's deadline), JNET_ECANCELED (the
 * caller's node crashed) or the code of a jnet_cancel of the caller,
 * JNET_ENOTFIBER (would wait outside a fiber), JNET_ENOMEM. */
JNET_EXTERN int jnet_join(jnet_fiber f, double timeout);

/* ev/cancel: make fiber f's blocking call return `err` (a negative JNET_E*,
 * usually JNET_ECANCELED). If f is suspended, the call it is in returns err
 * at once (a stream it waited on stays as after a timeout); otherwise its
 * next call that suspends gets it (jnet_sleep(<= 0) and jnet_yield never
 * do). Delivered once. If what f waited on completed before f resumed, the
 * result wins and the cancel stays pending. A second cancel before the
 * first is delivered changes nothing. jnet_cancel(jnet_self(), e) is
 * allowed. Works anywhere. Returns 0 (also when f has already returned).
 * Errors: JNET_EINVAL (err >= 0, JNET_NOFIBER, a handle never issued or
 * another loop's). */
JNET_EXTERN int jnet_cancel(jnet_fiber f, int err);

/* ev/with-deadline: bound every blocking call of the calling fiber (read,
 * write, accept, connect, the resolver, sleep, join, give, take, select):
 * each waits at most until `at` (absolute seconds on the jnet_now() clock)
 * and then returns JNET_ETIMEDOUT, whatever its own timeout. A call that
 * would suspend after `at` returns JNET_ETIMEDOUT at once. JNET_FOREVER
 * clears it. Returns the previous deadline (JNET_FOREVER when none was
 * set; any other value reads back exactly) so a scope can restore it:
 *   double saved = jnet_deadline(jnet_now() + 2.0);
 *   ... connect, write, read ...
 *   jnet_deadline(saved);
 * NaN changes nothing and returns NaN; outside a fiber it changes nothing
 * and returns NaN. A new fiber starts with none. */
JNET_EXTERN double jnet_deadline(double at);

/* Make a channel of items of `item_size` bytes, buffering up to `capacity`
 * of them (0: a rendezvous: a give waits for a taker, as Go's unbuffered
 * channel). Items are copied in and out. The channel belongs to the node of
 * the calling fiber (outside a fiber, the default node of the loop most
 * recently created on this thread): a fiber of another simulated host gets
 * JNET_EINVAL from give, take, select and close.
 * 0, or JNET_EINVAL (NULL out, item_size 0), JNET_ENOMEM (out of memory,
 * or a capacity no memory can hold; nothing is leaked). *out is NULL on
 * error. */
JNET_EXTERN int jnet_chan_new(jnet_chan **out, size_t item_size,
                              size_t capacity);

/* ev/give: copy the item at `item` into the channel, waiting at most
 * `timeout` seconds for room (or, on a rendezvous, for a taker). Waiting
 * givers are served FIFO. Returns 0. Errors: JNET_EINVAL (NULL c or item,
 * a fiber of another host), JNET_EPIPE (closed, also when closed while
 * waiting), JNET_ETIMEDOUT (timeout <= 0 and no room, the timeout, or the
 * fiber's deadline), JNET_ECANCELED (node crashed) or a jnet_cancel's
 * code, JNET_ENOTFIBER, JNET_ENOMEM. */
JNET_EXTERN int jnet_chan_give(jnet_chan *c, const void *item, double timeout);

/* ev/take: copy the oldest item into `item`, waiting at most `timeout`
 * seconds for one. Waiting takers are served FIFO. Returns 1 with an item,
 * 0 once the channel is closed and drained (`item` untouched), as read's
 * end of stream. Errors as jnet_chan_give, without JNET_EPIPE. */
JNET_EXTERN int jnet_chan_take(jnet_chan *c, void *item, double timeout);

/* Close: every waiting taker returns 0, every waiting giver JNET_EPIPE;
 * items already buffered can still be taken; later gives are JNET_EPIPE.
 * This is how one fiber tells many to stop. A second close returns 0.
 * Works anywhere. Errors: JNET_EINVAL (NULL, a fiber of another host). */
JNET_EXTERN int jnet_chan_close(jnet_chan *c);

/* Items in the buffer (Go's len), not counting blocked givers. 0 for
 * NULL. */
JNET_EXTERN size_t jnet_chan_count(const jnet_chan *c);

/* Free the channel and its buffered items. NULL: 0. JNET_EBUSY (nothing
 * freed) while a fiber waits on it. After jnet_loop_free nothing waits on
 * it. */
JNET_EXTERN int jnet_chan_free(jnet_chan *c);

/* ev/select: wait for the first of several gives and takes, at most
 * `timeout` seconds, and return the index of the case done, with its
 * `result` set as give/take would return it (take 1 or 0, give 0 or
 * JNET_EPIPE). Every case is checked before any is tried: one bad case is
 * JNET_EINVAL even if another is ready. Ties go to the lowest index. Cases
 * with a NULL chan are skipped; with none left (or n == 0) it waits for
 * the timeout and returns JNET_ETIMEDOUT.
 * Errors: JNET_EINVAL (NULL cases with n > 0, an op other than
 * JNET_TAKE/JNET_GIVE, a NULL item, a channel of another host),
 * JNET_ETIMEDOUT, JNET_ECANCELED (node crashed) or a jnet_cancel's code,
 * JNET_ENOTFIBER, JNET_ENOMEM (more than 16 cases and no memory). */
JNET_EXTERN int jnet_select(jnet_case *cases, size_t n, double timeout);

/* ---- Addresses ------------------------------------------------------------ */

/* net/address: look up host and port for socket `type` and store the first
 * result in *out. `host` is a name or a numeric address, or JNET_UNIX with
 * the path in `port`. `port` is decimal, a service name ("http"), or NULL
 * for port 0. May wait for the resolver, bounded by the fiber's deadline
 * (jnet_deadline). Errors: JNET_EINVAL (NULL host or out, bad type,
 * JNET_UNIX without a path), JNET_ENAMETOOLONG (unix path),
 * JNET_EAI_NONAME (unknown host), JNET_EAI_SERVICE (bad port or service),
 * JNET_ETIMEDOUT (the deadline passed), JNET_ECANCELED or a jnet_cancel's
 * code, JNET_ENOTFIBER. */
JNET_EXTERN int jnet_address(const char *host, const char *port, int type,
                             jnet_addr *out);

/* net/address with `multi`: store up to `cap` results in out[] and return
 * how many were found in all (may exceed cap, as snprintf). Errors as
 * jnet_address; out may be NULL when cap is 0. */
JNET_EXTERN int jnet_address_all(const char *host, const char *port, int type,
                                 jnet_addr *out, size_t cap);

/* net/address-unpack: write the host ("127.0.0.1", "::1", or a unix path,
 * "@name" for an abstract one) into host[n] and the port into *port (-1
 * for unix). Errors: JNET_EINVAL (NULL), JNET_EAFNOSUPPORT (unknown
 * family), JNET_ENOBUFS (host buffer too small). Works anywhere. */
JNET_EXTERN int jnet_address_unpack(const jnet_addr *a, char *host, size_t n,
                                    int *port);

/* ---- Streams -------------------------------------------------------------- */

/* net/listen: a listener (stream) or a bound datagram socket (datagram) on
 * the first address of host/port that binds. Sets SO_REUSEADDR (not
 * REUSEPORT): a second listen on a used port is JNET_EADDRINUSE. Port NULL
 * or "0" picks an ephemeral port (see jnet_localname). A unix listener's
 * path is unlinked by jnet_close. Errors: those of jnet_address,
 * JNET_EADDRINUSE, JNET_EADDRNOTAVAIL (not a local address), JNET_EACCES,
 * JNET_EMFILE, JNET_ENOTFIBER. */
JNET_EXTERN int jnet_listen(const char *host, const char *port, int type,
                            jnet_stream *out);

/* net/accept: wait for the next connection on listener `srv`, at most
 * `timeout` seconds. Errors: JNET_EINVAL, JNET_ECLOSED, JNET_ENOTSUP (not
 * a stream listener), JNET_EBUSY (another fiber is accepting),
 * JNET_ETIMEDOUT (srv stays usable), JNET_ECANCELED (srv closed while
 * waiting), JNET_ENOTFIBER. */
JNET_EXTERN int jnet_accept(jnet_stream srv, double timeout, jnet_stream *out);

/* net/accept-loop: accept connections until `srv` is closed, running
 * h(conn, arg) for each in a fiber of its own (concurrently); jnet closes
 * conn when h returns. Drains every pending connection on each wake-up.
 * Returns 0 once srv is closed (or a jnet_cancel with JNET_ECANCELED
 * reached it). Errors: as jnet_accept before the loop starts (JNET_EINVAL
 * for a NULL handler); JNET_ETIMEDOUT once the fiber's deadline passed;
 * another code given to jnet_cancel. */
JNET_EXTERN int jnet_accept_loop(jnet_stream srv, jnet_handler h, void *arg);

/* net/server: jnet_listen, then (if h is not NULL) jnet_accept_loop in a
 * new fiber; returns at once with the listener in *out. With h NULL it is
 * jnet_listen. Errors: those of jnet_listen. */
JNET_EXTERN int jnet_server(const char *host, const char *port, jnet_handler h,
                            void *arg, int type, jnet_stream *out);

/* net/connect: connect to host/port. `bindhost`/`bindport` (may be NULL)
 * pick the local address; bindport without bindhost is ignored. A datagram
 * connect fixes the peer: write/read then send/receive datagrams, and
 * datagrams from other senders are dropped. Uses the first address whose
 * socket opens (no fallback). It has no timeout of its own: the fiber's
 * deadline (jnet_deadline) bounds the lookup and the handshake together;
 * a jnet_cancel ends it too (its code is returned, the socket closed).
 * Errors: those of jnet_address, JNET_ECONNREFUSED, JNET_ETIMEDOUT (the
 * network's, or the deadline), JNET_ENETUNREACH, JNET_EHOSTUNREACH,
 * JNET_ENOENT (unix path missing), JNET_EINVAL (bindhost on unix),
 * JNET_EADDRINUSE / JNET_EADDRNOTAVAIL (bind), JNET_ENOTFIBER. */
JNET_EXTERN int jnet_connect(const char *host, const char *port, int type,
                             const char *bindhost, const char *bindport,
                             jnet_stream *out);

/* net/read: append up to n bytes to b, returning as soon as at least one
 * byte arrived. Returns the bytes appended; 0 is end of stream (on a
 * datagram socket: an empty datagram, which is one datagram truncated to
 * n). Errors: JNET_EINVAL (n == 0, NULL b), JNET_ECLOSED, JNET_ENOTSUP
 * (listener), JNET_EBUSY, JNET_ETIMEDOUT (stream usable), JNET_ECANCELED
 * (closed while waiting), JNET_ECONNRESET, JNET_ECONNREFUSED (connected
 * UDP after an ICMP unreachable), JNET_ENOMEM, JNET_ENOTFIBER. */
JNET_EXTERN ssize_t jnet_read(jnet_stream s, size_t n, jnet_buf *b,
                              double timeout);

/* net/read :all: append everything until end of stream. Returns the bytes
 * appended (0 if EOF came first). On an error or timeout, what was read so
 * far stays in b. Errors as jnet_read; JNET_ENOTSUP on a datagram socket. */
JNET_EXTERN ssize_t jnet_read_all(jnet_stream s, jnet_buf *b, double timeout);

/* net/chunk: append exactly n bytes, waiting for all of them. At end of
 * stream returns the bytes that arrived (0 if none). On a timeout, what
 * arrived stays in b. Errors as jnet_read; JNET_ENOTSUP on a datagram. */
JNET_EXTERN ssize_t jnet_chunk(jnet_stream s, size_t n, jnet_buf *b,
                               double timeout);

/* net/write: write all n bytes (one datagram on a connected datagram
 * socket). n == 0 returns 0 and sends nothing. Returns 0. Errors:
 * JNET_EINVAL (NULL p with n > 0), JNET_ECLOSED, JNET_ENOTSUP (listener),
 * JNET_EBUSY, JNET_EPIPE (after shutdown WR or peer gone),
 * JNET_ECONNRESET, JNET_EMSGSIZE (UDP datagram > 65,507 bytes; unix one
 * > 212,960, Linux's default send buffer less 32),
 * JNET_ECANCELED, JNET_ENOTFIBER, JNET_ETIMEDOUT: part of the data may
 * have been sent; the stream is valid but its byte position is unknown,
 * so close it. */
JNET_EXTERN int jnet_write(jnet_stream s, const void *p, size_t n,
                           double timeout);

/* net/flush: send any data Nagle holds back (TCP_NODELAY on, then off).
 * A no-op on unix streams. 0, JNET_EINVAL, JNET_ECLOSED, JNET_ENOTSUP
 * (listener or datagram listener). Works anywhere. */
JNET_EXTERN int jnet_flush(jnet_stream s);

/* net/send-to: send one datagram to dst. n == 0 sends nothing and returns
 * 0. Errors: JNET_EINVAL, JNET_ECLOSED, JNET_ENOTSUP (stream socket),
 * JNET_EBUSY, JNET_EMSGSIZE, JNET_ETIMEDOUT, JNET_ECANCELED,
 * JNET_EAFNOSUPPORT (family mismatch), JNET_ENOTFIBER. */
JNET_EXTERN int jnet_send_to(jnet_stream s, const jnet_addr *dst, const void *p,
                             size_t n, double timeout);

/* net/recv-from: append one datagram (truncated to n) to b and store its
 * sender in *from (may be NULL). Returns the bytes appended (0: an empty
 * datagram). Errors: as jnet_read; JNET_ENOTSUP on a stream socket. */
JNET_EXTERN ssize_t jnet_recv_from(jnet_stream s, size_t n, jnet_buf *b,
                                   double timeout, jnet_addr *from);

/* net/setsockopt: set one of the eight options with its value type.
 * Errors: JNET_EINVAL (unknown option, wrong value type, value out of
 * range, e.g. a TTL over 255, a bad group address), JNET_ENOPROTOOPT
 * (option not valid for the socket's family), JNET_EADDRINUSE (group
 * joined twice), JNET_EADDRNOTAVAIL (leaving a group not joined),
 * JNET_EPROTO (a multicast group on a TCP stream, as Linux answers),
 * JNET_ECLOSED. Works anywhere. */
JNET_EXTERN int jnet_setsockopt(jnet_stream s, int option, jnet_optval v);

/* net/shutdown: JNET_SHUT_RDWR, _RD or _WR. After WR the peer reads end of
 * stream and can still send; local writes give JNET_EPIPE. After RD local
 * reads return 0. A repeated shutdown returns 0. Errors: JNET_EINVAL (bad
 * mode), JNET_ECLOSED, JNET_ENOTCONN (unconnected datagram socket). Works
 * anywhere. */
JNET_EXTERN int jnet_shutdown(jnet_stream s, int mode);

/* net/localname and net/peername. Errors: JNET_EINVAL, JNET_ECLOSED,
 * JNET_ENOTCONN (peername of a listener or unconnected socket). Work
 * anywhere. */
JNET_EXTERN int jnet_localname(jnet_stream s, jnet_addr *out);
JNET_EXTERN int jnet_peername(jnet_stream s, jnet_addr *out);

/* net/close: close the stream. Fibers blocked on it get JNET_ECANCELED;
 * the handle is dead from now on (JNET_ECLOSED). A second close returns 0.
 * A unix listener's path is unlinked. JNET_EINVAL for JNET_NOSTREAM.
 * Works anywhere. */
JNET_EXTERN int jnet_close(jnet_stream s);

/* ---- Backends ------------------------------------------------------------- */

/* The real-socket backend on libuv (one node). Each call returns a new
 * backend, freed by jnet_backend_free; NULL when out of memory. */
JNET_EXTERN const jnet_backend *jnet_backend_uv(void);

/* Free a backend made by jnet_backend_uv after its loop was freed. */
JNET_EXTERN void jnet_backend_free(const jnet_backend *b);

#ifdef __cplusplus
}
#endif

#endif /* JNET_H */
