/* jnet_faults.h — a backend that injects network faults into another one.
 *
 * jnet_backend_faults(inner, seed, &f) returns a backend that implements
 * every slot of the vtable by calling `inner` (as SQLite's test_vfs.c wraps
 * its parent VFS), adding on the way what the rules of `f` ask for: delay,
 * bandwidth, datagram loss, duplication, reordering and corruption, refused
 * connects, resets, closes, blackholes, sliced writes, slow closes, and
 * failing the Nth call of a slot. Typically inner is jnet_backend_uv():
 * real sockets to a real server, with faults.
 *
 *   jnet_faults *f;
 *   const jnet_backend *uv = jnet_backend_uv();
 *   const jnet_backend *b = jnet_backend_faults(uv, 7, &f);
 *   jnet_fault_params p;
 *   jnet_fault_params_default(&p);
 *   p.link.latency_ns = 20 * 1000000ull;        // 20 ms each way
 *   jnet_faults_set(f, NULL, &p);                // for every peer
 *   jnet_loop_new(&l, b); ... jnet_run(l); jnet_loop_free(l);
 *   jnet_backend_free(b);  jnet_backend_free(uv);
 *
 * Rules may change at any time (from a fiber, or between runs); they apply
 * to every operation that starts afterwards, and a lifted blackhole lets
 * the reads it held go on. Every random draw comes from per-socket streams
 * of `seed` (the n-th socket made gets the same streams in every run), so
 * the sequence of injected faults is reproducible for the same sequence of
 * calls, although real timing is not. Every injected fault is one log line:
 *
 *   <seconds since start> <peer> <fault> [detail]
 *   0.020113 127.0.0.1:6379 delay rx 20.4ms
 *
 * Semantics, per socket and its peer (one-way, like a jnet_link_params
 * link between this host and the peer):
 *  - latency/jitter: bytes written leave latency + jitter later; bytes that
 *    arrive are delivered latency + jitter later (a round trip grows by
 *    twice the latency). Streams stay in order.
 *  - bandwidth_bps: sending and delivering are each paced to the rate.
 *  - loss/duplicate/reorder/corrupt: per datagram, on send and on receive.
 *  - refuse: connects fail with JNET_ECONNREFUSED; accepted connections
 *    from the peer are reset at once (the acceptor never sees them).
 *  - reset_after_bytes: once that many bytes went either way, the
 *    connection is reset (the peer gets a RST on Linux) and local reads
 *    and writes give JNET_ECONNRESET.
 *  - close_after_ns: that long after it opened, the connection is shut
 *    both ways: local reads give end of stream, writes JNET_EPIPE.
 *  - blackhole: writes succeed and vanish; nothing is delivered (reads
 *    wait, so a deadline gives JNET_ETIMEDOUT): a half-open peer.
 *  - slice_bytes/slice_delay_ns: writes go out in segments of at most
 *    slice_bytes, slice_delay_ns apart.
 *  - slow_close_ns: the connection really closes that long after close().
 * A write the rules hold back (latency, bandwidth, slices) returns once its
 * bytes are queued, unless more than 256 KiB would then wait to leave the
 * socket: it then returns as soon as what waits is back to 256 KiB.
 */
#ifndef JNET_FAULTS_H
#define JNET_FAULTS_H

#include <stdint.h>
#include <stdio.h>

#include <jnet/jnet.h>
#include <jnet/jnet_sim.h> /* jnet_link_params */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jnet_faults jnet_faults;

/* What to inject for a peer. All zero (jnet_fault_params_default) injects
 * nothing. Of `link`, latency_ns, jitter_ns, jitter_dist, loss, duplicate,
 * reorder, reorder_ns (default 2 * latency, at least 1 ms), corrupt and
 * bandwidth_bps are used; the Gilbert-Elliott, queue and MTU fields are
 * not (a real network has its own). */
typedef struct jnet_fault_params {
  jnet_link_params link;
  int refuse;                 /* refuse new connections */
  uint64_t reset_after_bytes; /* 0: never */
  uint64_t close_after_ns;    /* 0: never */
  int blackhole;              /* accept bytes, deliver nothing */
  uint32_t slice_bytes;       /* 0: writes go out whole */
  uint64_t slice_delay_ns;    /* pause between slices */
  uint64_t slow_close_ns;     /* 0: close at once */
} jnet_fault_params;

/* All zero: no fault. */
JNET_EXTERN void jnet_fault_params_default(jnet_fault_params *p);

/* A backend forwarding to `inner` with faults; *out (may be NULL) gets
 * the rules' handle. `inner` must outlive it and is not freed with it.
 * Free with jnet_backend_free (after the loop), which also frees *out.
 * NULL when out of memory or inner is NULL. */
JNET_EXTERN const jnet_backend *jnet_backend_faults(const jnet_backend *inner,
                                        uint64_t seed, jnet_faults **out);

/* Set the rule for `peer`: an address with a port matches that address
 * and port; port 0 matches every port of the address; NULL matches every
 * peer with no rule of its own. Replaces an earlier rule for the same key.
 * 0, JNET_EINVAL (NULL f or p, probability outside [0, 1], unknown jitter
 * distribution, unix address), JNET_ENOMEM. */
JNET_EXTERN int jnet_faults_set(jnet_faults *f, const jnet_addr *peer,
                    const jnet_fault_params *p);

/* Remove the rule for `peer` (NULL: the every-peer rule). 0, or
 * JNET_ENOENT when there was none, JNET_EINVAL. */
JNET_EXTERN int jnet_faults_clear(jnet_faults *f, const jnet_addr *peer);

/* Remove every rule and every armed call failure. */
JNET_EXTERN void jnet_faults_clear_all(jnet_faults *f);

/* Reset now every connection whose peer matches `peer` (same matching as
 * jnet_faults_set; NULL: all). Returns how many, or JNET_EINVAL. */
JNET_EXTERN int jnet_faults_reset_peer(jnet_faults *f, const jnet_addr *peer);

/* Log each injected fault as one line to fp (NULL: stop). */
JNET_EXTERN void jnet_faults_log_file(jnet_faults *f, FILE *fp);
/* ... or to fn(arg, line) (the line has no newline; NULL fn: stop). */
JNET_EXTERN void jnet_faults_log_fn(jnet_faults *f,
                        void (*fn)(void *arg, const char *line), void *arg);

/* How many faults were injected so far. */
JNET_EXTERN uint64_t jnet_faults_count(const jnet_faults *f);

/* The vtable slots whose calls jnet_faults_fail_call can fail. */
enum {
  JNET_FAULTS_RESOLVE = 0,
  JNET_FAULTS_SOCKET,
  JNET_FAULTS_BIND,
  JNET_FAULTS_LISTEN,
  JNET_FAULTS_ACCEPT,
  JNET_FAULTS_CONNECT,
  JNET_FAULTS_READ,
  JNET_FAULTS_WRITE,
  JNET_FAULTS_SEND_TO,
  JNET_FAULTS_RECV_FROM,
  JNET_FAULTS_SHUTDOWN,
  JNET_FAULTS_SETSOCKOPT,
  JNET_FAULTS_NSLOTS
};

/* Make the n-th call (counting from 1, from now) of `slot` fail with
 * `err` (a negative JNET_E* code) without reaching the inner backend;
 * `persistent`: every call from the n-th on (SQLite's FAULT_INJECT_
 * PERSISTENT). n == 0 disarms the slot. 0 or JNET_EINVAL (bad slot, err
 * >= 0). A fault sweep arms n = 1, 2, ... until a run injects nothing
 * (jnet_faults_fail_fired). */
JNET_EXTERN int jnet_faults_fail_call(jnet_faults *f, int slot, uint64_t n, int err,
                          int persistent);

/* How many calls of `slot` the armed failure has failed so far. */
JNET_EXTERN uint64_t jnet_faults_fail_fired(const jnet_faults *f, int slot);

/* The slot's name ("read"), or NULL for a bad slot. */
JNET_EXTERN const char *jnet_faults_slot_name(int slot);

#ifdef __cplusplus
}
#endif

#endif /* JNET_FAULTS_H */
