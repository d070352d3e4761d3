/* jnet_backend.h — the transport vtable under jnet.h (shaped like sqlite3_vfs).
 *
 * A backend moves bytes; it knows nothing of fibers. The API layer turns each
 * net call into one backend operation on a request (jnet_req), suspends the
 * calling fiber, and resumes it from the request's completion callback.
 *
 * Versioning: `version` comes first. New members are only ever appended,
 * under a "version N" comment; a caller checks b->version before using a
 * newer slot. An out-of-tree backend (a fault-injecting shim that forwards
 * to a parent backend, like SQLite's test_vfs.c) keeps compiling.
 *
 * Contract of an asynchronous operation `op(b, sock, req)`:
 *  - The caller fills the request's input fields and `cb`.
 *  - Return 1: completed at once; req->result (and outputs) are set and cb
 *    is NOT called. Return 0: pending; cb(req) is called exactly once
 *    later, from inside poll(), unless cancel() is called first.
 *  - After cancel(b, req) returns, the backend never calls cb and never
 *    touches req, req->buf or req->addrs again. A cancelled write may
 *    have sent part of its data.
 *  - The API guarantees at most one pending read-side op (read, recv_from),
 *    one write-side op (write, send_to) and one accept or connect per
 *    socket, and cancels every pending op before close().
 *  - Results are counts or negative JNET_E* codes (jnet_errno.h).
 *
 * Synchronous operations return 0 or a negative code.
 */
#ifndef JNET_BACKEND_H
#define JNET_BACKEND_H

#include <jnet/jnet.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JNET_BACKEND_VERSION 5

/* "No deadline" for poll(). */
#define JNET_NO_DEADLINE UINT64_MAX

typedef struct jnet_bsock jnet_bsock; /* a backend's socket, opaque above */
typedef struct jnet_req jnet_req;
typedef void (*jnet_req_cb)(jnet_req *req);

struct jnet_req {
  /* public: set by the caller */
  jnet_req_cb cb; /* completion, when the op returned 0 */
  void *data;     /* the caller's */
  void *buf;      /* read/recv_from: destination; write/send_to: source */
  size_t len;     /* its size in bytes */
  jnet_addr *addrs; /* resolve: output array */
  size_t naddrs;    /* resolve: its capacity */
  jnet_addr addr;   /* connect/send_to: destination; recv_from: sender */
  /* read-only: set by the backend on completion */
  ssize_t result;   /* count or negative JNET_E* */
  jnet_bsock *sock; /* accept: the new connection */
  /* private: the backend's */
  jnet_bsock *owner_;
  void *priv_[4];
  uint64_t upriv_[2];
};

/* What the loop learns from a backend about its nodes (sim: crash and
 * restart). Given to start(). */
typedef struct jnet_backend_hooks {
  /* The node crashed: the API cancels the node's fibers and closes its
   * streams (calling close() on each socket) from inside this call. */
  void (*node_down)(void *loop_arg, jnet_node *node);
  /* The node restarted: the API runs its registered mains again. */
  void (*node_up)(void *loop_arg, jnet_node *node);
} jnet_backend_hooks;

struct jnet_backend {
  int version;      /* JNET_BACKEND_VERSION the backend implements */
  const char *name; /* "uv", "sim" */
  void *app_data;   /* the backend's own state */

  /* version 1 ------------------------------------------------------------ */

  /* Attach a loop (one at a time: JNET_EBUSY otherwise) / detach it,
   * closing whatever sockets remain. */
  int (*start)(const jnet_backend *b, const jnet_backend_hooks *hooks,
               void *loop_arg);
  void (*stop)(const jnet_backend *b);
  /* Free the backend itself (NULL when its owner frees it, as sim). */
  void (*destroy)(const jnet_backend *b);

  /* The default node (uv: the only one; sim: the first host). */
  jnet_node *(*default_node)(const jnet_backend *b);
  /* The clock, in nanoseconds (monotonic on uv, virtual on sim). */
  uint64_t (*now_ns)(const jnet_backend *b);
  /* Randomness: per node and deterministic on sim. */
  uint64_t (*random)(const jnet_backend *b, jnet_node *node);
  /* Run completions, blocking until at least one happened or the clock
   * reaches deadline_ns (JNET_NO_DEADLINE: no limit); never blocks past it.
   * `block` 0: do not wait at all. Returns 1 if it did something or the
   * clock moved, 0 if nothing is pending that could ever complete (sim: the
   * event queue is empty; the deadline, if any, was reached), or a
   * negative code. */
  int (*poll)(const jnet_backend *b, uint64_t deadline_ns, int block);

  /* Resolve host/port for `type` on `node` (not for JNET_UNIX, which the
   * API handles). `passive`: for a listener (wildcard when host is NULL).
   * `port` is a decimal string, a service name, or NULL. Writes up to
   * req->naddrs results to req->addrs with the port set; result = the
   * total found, or JNET_EAI_NONAME / JNET_EAI_SERVICE / ... Async. */
  int (*resolve)(const jnet_backend *b, jnet_node *node, jnet_req *req,
                 const char *host, const char *port, int type, int passive);

  /* Create a socket on `node`: family AF_INET, AF_INET6 or AF_UNIX, type
   * JNET_STREAM or JNET_DATAGRAM. Sync. */
  int (*socket)(const jnet_backend *b, jnet_node *node, int family, int type,
                jnet_bsock **out);
  /* Bind to a local address (port 0: ephemeral). Sync. JNET_EADDRINUSE,
   * JNET_EADDRNOTAVAIL, JNET_EACCES, JNET_ENAMETOOLONG ... */
  int (*bind)(const jnet_backend *b, jnet_bsock *s, const jnet_addr *addr);
  /* Make a bound stream socket a listener. Sync. */
  int (*listen)(const jnet_backend *b, jnet_bsock *s, int backlog);
  /* Accept: req->sock = the new connection. Async. */
  int (*accept)(const jnet_backend *b, jnet_bsock *s, jnet_req *req);
  /* Connect to req->addr (stream: handshake; datagram: fix the peer).
   * Async. */
  int (*connect)(const jnet_backend *b, jnet_bsock *s, jnet_req *req);
  /* Read up to req->len bytes into req->buf; completes when >= 1 byte
   * arrived (result = count), at EOF (0) or on error. A datagram socket
   * reads one datagram, truncated. Async. */
  int (*read)(const jnet_backend *b, jnet_bsock *s, jnet_req *req);
  /* Write all req->len bytes of req->buf (len > 0); result 0. Async. */
  int (*write)(const jnet_backend *b, jnet_bsock *s, jnet_req *req);
  /* Send one datagram of req->len bytes to req->addr; result 0. Async. */
  int (*send_to)(const jnet_backend *b, jnet_bsock *s, jnet_req *req);
  /* Receive one datagram (truncated to req->len) and its sender into
   * req->addr; result = bytes. Async. */
  int (*recv_from)(const jnet_backend *b, jnet_bsock *s, jnet_req *req);
  /* Cancel a pending request (see the contract above). */
  void (*cancel)(const jnet_backend *b, jnet_req *req);

  /* Sync socket controls. */
  int (*shutdown)(const jnet_backend *b, jnet_bsock *s, int mode);
  int (*setsockopt)(const jnet_backend *b, jnet_bsock *s, int option,
                    jnet_optval v);
  int (*nodelay)(const jnet_backend *b, jnet_bsock *s, int on);
  int (*localname)(const jnet_backend *b, jnet_bsock *s, jnet_addr *out);
  int (*peername)(const jnet_backend *b, jnet_bsock *s, jnet_addr *out);
  /* Close: no request is pending (the API cancelled them). Never blocks;
   * memory may go later. A unix listener's path is unlinked. */
  void (*close)(const jnet_backend *b, jnet_bsock *s);

  /* version 2 ------------------------------------------------------------ */

  /* 0 if `node` is one of this backend's nodes, else JNET_EINVAL. Must not
   * dereference a pointer it does not know (a host never added, a host of
   * another simulation). The API asks once per node, before first use. */
  int (*node_check)(const jnet_backend *b, jnet_node *node);

  /* version 3 ------------------------------------------------------------ */

  /* The loop resumed `n` fibers in its last turn (may be NULL). The sim
   * counts them toward its event limit, so a run whose fibers spin on
   * jnet_yield() without any event ends at the limit instead of hanging. */
  void (*resumed)(const jnet_backend *b, uint64_t n);

  /* version 4 ------------------------------------------------------------ */

  /* The most stack poll() needs, the callbacks it makes included, in bytes;
   * 0: not known. When it is known, the caller may call poll() on any stack
   * at least twice that size, not only the thread's own (the API then
   * lets a suspending fiber run the scheduler's turn itself). */
  size_t poll_stack_bytes;
  /* 1 if now_ns() moves only inside poll() (sim: virtual time), so the
   * caller may read it once after each poll instead of on every use. */
  int clock_in_poll;

  /* version 5 ------------------------------------------------------------ */

  /* May be NULL. A datagram send done at once, without a request: what
   * send_to() would complete a request for the same send with (0, or a
   * negative error), or 1 when it cannot tell without one (the caller then
   * calls send_to()). `dst` is read during the call only. Saves the
   * request's set-up on a path that never waits (sim). */
  int (*send_to_now)(const jnet_backend *b, jnet_bsock *s, const void *buf,
                     size_t len, const jnet_addr *dst);
  /* May be NULL. With clock_in_poll: the word now_ns() returns, which the
   * caller may read after each poll instead of calling now_ns(). */
  const uint64_t *clock_ns;
  /* May be NULL. The counter resumed() adds to: the caller may add the
   * fibers it resumed to it instead of calling resumed(). */
  uint64_t *resumptions;
};

#ifdef __cplusplus
}
#endif

#endif /* JNET_BACKEND_H */
