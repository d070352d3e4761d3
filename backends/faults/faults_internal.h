/* faults_internal.h — private to backends/faults/: the wrapping backend's
 * state, its sockets, and what its two files share.
 *
 * The idea: each of our sockets wraps one of the inner backend's. With no
 * rule in force an operation goes straight through, on a request embedded
 * in our socket, and its completion is copied to the caller's. With a rule,
 * bytes go through two delay lines per socket: the tx queue (written bytes
 * wait until their departure time, then a pump writes them to the inner
 * socket) and the rx queue (bytes the inner socket read wait until their
 * delivery time, then go to the caller's read). Time comes from our own
 * timer heap, which poll() turns into the inner poll's deadline: the
 * backend needs no timer of the inner one, and knows nothing of fibers.
 */
#ifndef JNET_FAULTS_INTERNAL_H
#define JNET_FAULTS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <jnet/jnet.h>
#include <jnet/jnet_backend.h>
#include <jnet/jnet_faults.h>

#include "jnet_alloc.h"

/* ---- timers (faults.c) ---------------------------------------------------- */

typedef struct jnet__fbk_timer jnet__fbk_timer;
struct jnet__fbk_timer {
  uint64_t at_ns;
  uint64_t seq;      /* ties break by arming order */
  size_t heap_index; /* SIZE_MAX: not armed */
  void (*fire)(jnet__fbk_timer *t);
  void *data;
};

/* ---- PRNG: splitmix64 seeding xoshiro256** ------------------------------- */

typedef struct jnet__fbk_rng {
  uint64_t s[4];
} jnet__fbk_rng;

void jnet__fbk_rng_seed(jnet__fbk_rng *r, uint64_t seed, uint64_t a,
                        uint64_t b);
uint64_t jnet__fbk_rng_next(jnet__fbk_rng *r);
double jnet__fbk_rng_unit(jnet__fbk_rng *r); /* [0, 1) */
uint64_t jnet__fbk_rng_jitter(jnet__fbk_rng *r, int dist, uint64_t jitter_ns);

/* ---- queued bytes ---------------------------------------------------------- */

enum { JNET__FBK_CHUNK_DATA = 0, JNET__FBK_CHUNK_EOF, JNET__FBK_CHUNK_ERR };

typedef struct jnet__fbk_chunk jnet__fbk_chunk;
struct jnet__fbk_chunk {
  jnet__fbk_chunk *next;
  uint64_t due_ns; /* leaves (tx) or is delivered (rx) at */
  int kind;        /* JNET__FBK_CHUNK_* */
  ssize_t err;     /* JNET__FBK_CHUNK_ERR: the result to deliver */
  jnet_addr addr;  /* datagrams: destination (tx) or sender (rx) */
  int has_addr;
  size_t len, off; /* data[off, len) remains */
  char data[];
};

/* ---- the backend and its sockets ------------------------------------------ */

typedef struct jnet__fbk_rule {
  int any;        /* the every-peer rule */
  jnet_addr peer; /* else: address, port 0 = every port */
  jnet_fault_params p;
} jnet__fbk_rule;

typedef struct jnet__fbk_slot {
  uint64_t calls, n, fired;
  int err, persistent;
} jnet__fbk_slot;

struct jnet_faults {
  jnet_backend vtable; /* first */
  const jnet_backend *inner;
  uint64_t seed;
  uint64_t t0_ns; /* the log's zero */
  jnet__fbk_rule *rules;
  size_t nrules, caprules;
  jnet__fbk_timer **heap;
  size_t nheap, capheap;
  uint64_t timer_seq;
  jnet_bsock *socks; /* every socket not yet freed */
  uint64_t nsocks_made;
  FILE *log_fp;
  void (*log_fn)(void *arg, const char *line);
  void *log_arg;
  uint64_t ninjected;
  jnet__fbk_slot fail[JNET_FAULTS_NSLOTS];
  int started;
};

/* A socket's fatal state, injected by a fault. */
enum { JNET__FBK_SOCK_OPEN = 0, JNET__FBK_SOCK_RESET, JNET__FBK_SOCK_SHUT };

struct jnet_bsock {
  jnet_faults *f;
  jnet_bsock *inner;       /* NULL once closed inside */
  jnet_bsock *prev, *next; /* in f->socks */
  int type;
  uint64_t id; /* creation index: picks the PRNG streams */
  jnet_addr peer;
  int has_peer;
  int state;               /* JNET__FBK_SOCK_* */
  unsigned closing : 1;    /* the API closed it; we finish the tx queue */
  unsigned shut_wr_due : 1; /* shutdown(WR) waits for the tx queue */
  unsigned rx_eof : 1;     /* the inner socket gave end of stream */
  unsigned rx_inflight : 1, tx_inflight : 1;
  unsigned rd_direct : 1, wr_direct : 1; /* the op went straight through */
  unsigned cn_accept : 1; /* cn is an accept */
  unsigned wr_reset : 1;  /* the direct write was cut at reset_after */
  jnet__fbk_rng rng_tx, rng_rx;
  uint64_t bytes; /* gone either way, for reset_after_bytes */
  jnet_req *rd, *wr, *cn; /* the caller's pending requests */
  jnet_req rd_in, wr_in, cn_in; /* ours, on the inner socket */
  char *rxbuf;
  size_t rxcap;
  jnet__fbk_chunk *rxq, *txq; /* ordered by due_ns */
  size_t rxq_bytes, txq_bytes;
  uint64_t rx_last_ns, rx_free_ns; /* stream order; bandwidth pacing */
  uint64_t tx_last_ns, tx_free_ns;
  jnet__fbk_timer rx_timer, tx_timer, life_timer, close_timer;
};

static inline jnet_faults *jnet__fbk_of(const jnet_backend *b) {
  return (jnet_faults *)b->app_data;
}

/* faults.c */
uint64_t jnet__fbk_now(jnet_faults *f);
void jnet__fbk_timer_init(jnet__fbk_timer *t, void (*fire)(jnet__fbk_timer *),
                          void *d);
int jnet__fbk_timer_start(jnet_faults *f, jnet__fbk_timer *t, uint64_t at_ns);
void jnet__fbk_timer_stop(jnet_faults *f, jnet__fbk_timer *t);
/* The rule for a peer (NULL: none applies). */
const jnet_fault_params *jnet__fbk_rule_for(jnet_faults *f,
                                            const jnet_addr *peer);
/* Count a call of `slot`; a negative code if it must fail. */
int jnet__fbk_call(jnet_faults *f, int slot, const jnet_addr *peer);
void jnet__fbk_log(jnet_faults *f, const jnet_addr *peer, const char *fault,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* sock.c: the socket slots */
int jnet__fbk_sock_socket(const jnet_backend *b, jnet_node *node, int family,
                          int type, jnet_bsock **out);
int jnet__fbk_sock_bind(const jnet_backend *b, jnet_bsock *s,
                        const jnet_addr *a);
int jnet__fbk_sock_listen(const jnet_backend *b, jnet_bsock *s, int backlog);
int jnet__fbk_sock_accept(const jnet_backend *b, jnet_bsock *s, jnet_req *req);
int jnet__fbk_sock_connect(const jnet_backend *b, jnet_bsock *s, jnet_req *req);
int jnet__fbk_sock_read(const jnet_backend *b, jnet_bsock *s, jnet_req *req);
int jnet__fbk_sock_write(const jnet_backend *b, jnet_bsock *s, jnet_req *req);
int jnet__fbk_sock_send_to(const jnet_backend *b, jnet_bsock *s, jnet_req *req);
int jnet__fbk_sock_recv_from(const jnet_backend *b, jnet_bsock *s,
                             jnet_req *req);
void jnet__fbk_sock_cancel(const jnet_backend *b, jnet_req *req);
int jnet__fbk_sock_shutdown(const jnet_backend *b, jnet_bsock *s, int mode);
int jnet__fbk_sock_setsockopt(const jnet_backend *b, jnet_bsock *s, int option,
                              jnet_optval v);
int jnet__fbk_sock_nodelay(const jnet_backend *b, jnet_bsock *s, int on);
int jnet__fbk_sock_localname(const jnet_backend *b, jnet_bsock *s,
                             jnet_addr *out);
int jnet__fbk_sock_peername(const jnet_backend *b, jnet_bsock *s,
                            jnet_addr *out);
void jnet__fbk_sock_close(const jnet_backend *b, jnet_bsock *s);
/* Free every socket at once (stop). */
void jnet__fbk_sock_close_all(jnet_faults *f);
/* Reset the connection now; 1 if it was open. */
int jnet__fbk_sock_reset(jnet_bsock *s, const char *why);
/* Rules changed: let blackholed reads go on. */
void jnet__fbk_sock_kick_all(jnet_faults *f);
/* Format "ip:port" (or "*"). */
void jnet__fbk_addr_str(const jnet_addr *a, char *out, size_t n);
int jnet__fbk_addr_match(const jnet_addr *rule, const jnet_addr *a);

#endif /* JNET_FAULTS_INTERNAL_H */
