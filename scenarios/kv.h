/* kv.h — the example replicated key-value store: store, wire, server, client.
 *
 * An example protocol written against jnet.h only, so it runs unchanged on
 * the simulated network (scenarios/programs.c, the `kv-*` programs) and on
 * real sockets (examples/kv-server.c, examples/kv-client.c,
 * tests/protocols/). The protocol is described at the top of kv_server.c.
 *
 *   kv_store.c   the "disk": role, epoch and the versioned entries
 *   kv_wire.c    line I/O, connect with a timeout, one request/reply
 *   kv_server.c  primary-backup server: replication, heartbeat, failover
 *   kv_client.c  the workload and checker: write N keys, read them back
 *
 * Everything here is example code a user would write, so it uses the kv_
 * prefix rather than jnet_.
 */
#ifndef JNET_EXAMPLES_KV_H
#define JNET_EXAMPLES_KV_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jnet/jnet.h>
#include <jnet/jnet_history.h>

/* ---- Store (kv_store.c) -------------------------------------------------- */

#define KV_MAX_KEYS 512
#define KV_INDEX_SLOTS 1024 /* a power of two, at least 2 * KV_MAX_KEYS */
#define KV_KEY_MAX 32 /* bytes, NUL included */
#define KV_VAL_MAX 48 /* bytes, NUL included */
#define KV_LINE_MAX 256
/* Deadlines closer than this count as reached: jnet_now() is a double over a
 * nanosecond clock, and waiting 1e-16 s would not move it. */
#define KV_EPS_S 1e-6

enum { KV_BACKUP = 0, KV_PRIMARY = 1 };

typedef struct kv_entry {
  char key[KV_KEY_MAX];
  char val[KV_VAL_MAX];
  uint64_t version; /* epoch << 32 | seq of the primary that wrote it */
} kv_entry;

/* What a server keeps across crashes. All zero means "never started". A
 * change is written in one step with no fiber switch in between, so a crash
 * (which only happens while fibers wait) never sees it half done. */
typedef struct kv_disk {
  uint32_t magic; /* KV_DISK_MAGIC once initialised */
  int32_t role;   /* KV_PRIMARY or KV_BACKUP */
  uint64_t epoch; /* view number; only a synced backup raises it */
  int32_t synced; /* backup: I hold every write acknowledged in `epoch`.
                     primary: my backup is synced in `epoch`, so I never
                     acknowledge alone again in this epoch */
  uint32_t seq;   /* last version sequence handed out in `epoch` */
  uint32_t nkeys;
  /* entries by key hash: slot -> entry number + 1, 0 empty (linear
   * probing; entries are never removed), so a look-up does not compare
   * the key with every entry */
  uint16_t index[KV_INDEX_SLOTS];
  kv_entry entries[KV_MAX_KEYS]; /* the first nkeys are in use */
} kv_disk;

#define KV_DISK_MAGIC 0x6b766431u /* "kvd1" */

/* First start: role `role`, epoch 1, synced (both servers start empty). */
void kv_disk_init(kv_disk *d, int role);
/* The entry for key, or NULL. */
const kv_entry *kv_disk_get(const kv_disk *d, const char *key);
/* Store key=val at version unless the disk holds a newer version.
 * 1 stored, 0 kept the newer one, JNET_ENOSPC full, JNET_EINVAL too long. */
int kv_disk_put(kv_disk *d, const char *key, const char *val, uint64_t version);
/* A new version for a write by the primary of the current epoch. */
uint64_t kv_disk_next_version(kv_disk *d);
/* Is s a valid key or value token (non-empty, printable, no spaces, shorter
 * than max)? */
int kv_token_ok(const char *s, size_t max);

/* Zeroed memory for count items of size bytes from jnet's allocator (so a
 * test's failing allocator reaches the protocol too); NULL when out of
 * memory or when the size overflows. Free with jnet_free. */
static inline void *kv_zalloc(size_t count, size_t size) {
  if (size != 0 && count > SIZE_MAX / size)
    return NULL;
  void *p = jnet_malloc(count * size);
  if (p != NULL)
    memset(p, 0, count * size);
  return p;
}

/* ---- Wire (kv_wire.c) ---------------------------------------------------- */

/* Read one '\n'-terminated line into line[cap] (without the newline), using
 * bytes already in b first and leaving any bytes after the line in b. Waits
 * until `deadline` (jnet_now() clock). Returns the line length, or
 * JNET_ENOTCONN (end of stream), JNET_EMSGSIZE (line too long),
 * JNET_ETIMEDOUT, or a read error. */
int kv_read_line(jnet_stream s, jnet_buf *b, char *line, size_t cap,
                 double deadline);
/* jnet_connect with a timeout (jnet_connect has none: a SYN into a
 * partition waits for the TCP retries): the timeout becomes the fiber's
 * deadline for the connect (jnet_deadline), then the caller's deadline is
 * restored. 0, JNET_ETIMEDOUT, or jnet_connect's error. In a fiber only. */
int kv_connect(const char *host, const char *port, double timeout_s,
               jnet_stream *out);
/* A line built without snprintf, whose machinery costs some 900
 * instructions a call (a tenth of a simulated seed of the kv scenario):
 * kv_join writes the concatenation of its strings, up to a NULL, into
 * dst[cap] (cut to cap - 1 bytes; cap > 0) and returns its length; kv_u64
 * writes v in decimal into buf (21 bytes or more) and returns buf. */
#if defined(__GNUC__)
__attribute__((sentinel))
#endif
size_t kv_join(char *dst, size_t cap, ...);
const char *kv_u64(char *buf, uint64_t v);
/* Write `req` plus '\n' to s and read one reply line into reply[cap], all
 * within timeout_s. Returns the reply length or an error (as above); after
 * an error the stream's position is unknown: close it. */
int kv_request(jnet_stream s, jnet_buf *b, const char *req, char *reply,
               size_t cap, double timeout_s);

/* ---- Server (kv_server.c) ------------------------------------------------ */

typedef struct kv_server_config {
  const char *host;         /* listen address, e.g. "0.0.0.0" or "127.0.0.1" */
  const char *port;         /* listen port; "0" or NULL picks one */
  const char *peer;         /* the other server's host; NULL: standalone */
  const char *peer_port;    /* NULL: same as port */
  int role;                 /* role on the very first start (empty disk) */
  int ack_before_replicate; /* THE BUG: acknowledge, then replicate */
  double hb_interval_s;     /* primary -> backup heartbeat period */
  double failover_s;        /* backup takes over after this much silence */
  double rpc_timeout_s;     /* one request to the peer */
  double idle_timeout_s;    /* a connection with no request is closed */
  double stop_at_s;         /* stop at this jnet_now(); INFINITY: never */
} kv_server_config;

typedef struct kv_server kv_server;

/* Defaults for every field (standalone primary on 127.0.0.1, port "0"). */
void kv_server_config_default(kv_server_config *c);

/* Start a server in the calling fiber's loop: listen, then serve in fibers
 * of its own until kv_server_stop, a QUIT request or stop_at_s. `disk` must
 * outlive it (on sim: jnet_prog_disk). 0 or a jnet_listen error;
 * JNET_EINVAL for NULL arguments. The caller holds a reference: release it
 * with kv_server_release. */
int kv_server_start(kv_server **out, const kv_server_config *cfg,
                    kv_disk *disk);
/* kv_server_start, then wait in the calling fiber until the server stops
 * (or its node crashes). 0 or a kv_server_start error. */
int kv_server_run(const kv_server_config *cfg, kv_disk *disk);
/* The port the server listens on (after kv_server_start with port "0"). */
int kv_server_port(const kv_server *s);
/* Stop: close the listener and every connection. Idempotent. */
void kv_server_stop(kv_server *s);
/* Drop the caller's reference; the last one frees the server. */
void kv_server_release(kv_server *s);

/* ---- Client (kv_client.c) ------------------------------------------------ */

typedef struct kv_client_config {
  const char *servers[2]; /* the primary and the backup, in that order */
  const char *port;
  int ops;               /* keys to write */
  double op_timeout_s;   /* one request */
  double write_budget_s; /* give up on one key after this long */
  double read_budget_s;  /* the whole read-back phase */
  int quit_servers;      /* send QUIT to both servers at the end */
  jnet_history *history; /* record each operation here; NULL: don't */
} kv_client_config;

typedef struct kv_client_result {
  int ok;        /* every acknowledged write read back */
  int acked;     /* writes acknowledged */
  int unacked;   /* writes given up */
  int retries;   /* requests that failed and were retried */
  int cancelled; /* our node crashed: the run is incomplete */
  char msg[256]; /* why not ok */
} kv_client_result;

void kv_client_config_default(kv_client_config *c);
/* Run the workload and check it (in a fiber): write keys k0..k{ops-1} with
 * fresh values, failing over between the two servers, remember every
 * acknowledged write, then read each one back from whichever server is
 * primary. res->ok is 0 if an acknowledged write is missing or different, or
 * could not be read within the budget. Returns 0, or JNET_EINVAL. */
int kv_client_run(const kv_client_config *cfg, kv_client_result *res);

#endif /* JNET_EXAMPLES_KV_H */
