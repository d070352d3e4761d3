/* kv_server.c — a primary-backup replicated key-value server (example
 * protocol).
 *
 * Two servers, a primary and a backup, each with a "disk" (kv_disk) that
 * survives crashes. Line-based text over TCP, one request per line:
 *
 *   client -> server            reply
 *   PUT key value               OK | ERR notprimary | ERR unavailable
 *   GET key                     VAL value | NOTFOUND | ERR notprimary | ...
 *   QUIT                        OK, then the server stops
 *   anything else               ERR badrequest
 *
 *   primary -> backup (epoch e = the sender's view number)
 *   HB e                        OK | STALE e' role'       heartbeat
 *   FWD e key value version     OK | STALE e' role'       replicate a write
 *   CHK e                       OK | STALE e' role'       "am I still primary?"
 *   backup -> primary
 *   JOIN e                      SNAP e' id n + n lines "key value version"
 *   SYNCED e' id                OK | ERR stale            end of the catch-up
 *
 * Safety argument (what the scenarios check: every acknowledged write can be
 * read back, across crashes, restarts, partitions and loss):
 *  - Epochs. Only a backup that is *synced* (holds every write acknowledged
 *    in its epoch) takes over, by raising the epoch by one, after
 *    `failover_s` without hearing from its primary. A primary never raises
 *    the epoch, so there is never more than one primary per epoch. Anyone
 *    who sees a higher epoch steps down to an unsynced backup of it.
 *  - A primary whose backup is synced (disk.synced) acknowledges a write
 *    only after the backup stored it (FWD -> OK), and answers a read only
 *    after the backup confirmed it is still its backup (CHK -> OK). A
 *    backup that took over rejects the old epoch (STALE), so a primary that
 *    was replaced - partitioned away, or restarted from its disk - can
 *    never acknowledge or answer again: it learns the new epoch and rejoins
 *    as a backup. The client therefore never gets an ack from a demoted
 *    primary.
 *  - A primary that took over has no synced backup; it works alone (its old
 *    primary is not a synced backup, so it cannot take over) until the
 *    other server JOINs: the primary snapshots its data without yielding and
 *    from then on replicates every write synchronously; after SYNCED it
 *    never works alone again in that epoch. If a write cannot be replicated
 *    during the catch-up, the catch-up is abandoned (the SYNCED with its id
 *    is refused) before anything is acknowledged alone again.
 *  - Every value carries a version (epoch << 32 | seq) and a store keeps the
 *    highest, so forwards that overtake a snapshot are not undone by it and
 *    retried writes are idempotent.
 * Liveness needs the servers to come back: a primary whose synced backup is
 * down waits for it (answers ERR unavailable), as two servers cannot tell a
 * dead peer from a partitioned one.
 *
 * THE BUG (cfg.ack_before_replicate, program `kv-server-buggy`): the primary
 * acknowledges a PUT first and replicates it afterwards ("async
 * replication, it's faster"). A primary crash or partition in that window,
 * followed by a failover, loses an acknowledged write.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"

#define KV_MAX_CONNS 32

struct kv_server {
  int refs;
  kv_server_config cfg; /* strings point into the arrays below */
  char host[128], port[16], peer[128], peer_port[16];
  kv_disk *disk;
  jnet_stream listener;
  int port_num;
  int stopping;
  double last_contact; /* backup: last word from the primary of my epoch */
  int syncing;         /* primary: a backup is catching up (id sync_id) */
  uint64_t sync_id;
  jnet_stream peer_conn; /* idle connection to the peer, kept for reuse */
  jnet_buf peer_buf;
  int peer_busy;
  jnet_stream conns[KV_MAX_CONNS]; /* accepted, closed by kv_server_stop */
};

typedef struct conn_ctx {
  kv_server *s;
  jnet_stream c;
} conn_ctx;

static const char *role_name(int role) {
  return role == KV_PRIMARY ? "primary" : "backup";
}

void kv_server_config_default(kv_server_config *c) {
  memset(c, 0, sizeof *c);
  c->host = "127.0.0.1";
  c->port = "0";
  c->role = KV_PRIMARY;
  c->hb_interval_s = 0.02;
  c->failover_s = 0.2;
  c->rpc_timeout_s = 0.05;
  c->idle_timeout_s = 2.0;
  c->stop_at_s = INFINITY;
}

/* ---- State changes (no fiber switch inside any of them) ------------------ */

static void become_backup(kv_server *s, uint64_t epoch) {
  s->disk->role = KV_BACKUP;
  s->disk->epoch = epoch;
  s->disk->synced = 0;
  s->syncing = 0;
  s->sync_id++;
  s->last_contact = jnet_now();
}

static void take_over(kv_server *s) {
  s->disk->epoch++;
  s->disk->role = KV_PRIMARY;
  s->disk->synced = 0; /* alone until the other server catches up */
  s->syncing = 0;
  s->sync_id++;
}

/* Must a write or read at the primary go through the backup? */
static int need_backup(const kv_server *s) {
  return s->peer[0] != '\0' && (s->disk->synced || s->syncing);
}

/* ---- Talking to the peer ------------------------------------------------- */

typedef struct peer_link {
  jnet_stream c;
  jnet_buf *b;
  jnet_buf own;
  int pooled;
} peer_link;

static int peer_open(kv_server *s, peer_link *pl) {
  jnet_buf_init(&pl->own);
  if (!s->peer_busy && !JNET_SAME(s->peer_conn, JNET_NOSTREAM)) {
    s->peer_busy = 1;
    pl->c = s->peer_conn;
    pl->b = &s->peer_buf;
    pl->pooled = 1;
    return 0;
  }
  int rc = kv_connect(s->peer, s->peer_port, s->cfg.rpc_timeout_s, &pl->c);
  if (rc < 0)
    return rc;
  if (!s->peer_busy && JNET_SAME(s->peer_conn, JNET_NOSTREAM) && !s->stopping) {
    s->peer_conn = pl->c;
    s->peer_busy = 1;
    jnet_buf_reset(&s->peer_buf);
    pl->b = &s->peer_buf;
    pl->pooled = 1;
  } else {
    pl->b = &pl->own;
    pl->pooled = 0;
  }
  return 0;
}

/* Done with the link; `ok` 0 means its byte position is unknown. */
static void peer_done(kv_server *s, peer_link *pl, int ok) {
  if (pl->pooled) {
    s->peer_busy = 0;
    if (!ok && JNET_SAME(s->peer_conn, pl->c)) {
      jnet_close(pl->c);
      s->peer_conn = JNET_NOSTREAM;
      jnet_buf_reset(&s->peer_buf);
    }
  } else {
    jnet_close(pl->c);
  }
  jnet_buf_free(&pl->own);
}

/* One request to the peer. The reply length, or an error. */
static int peer_call(kv_server *s, const char *req, char *reply, size_t cap) {
  peer_link pl;
  int rc = peer_open(s, &pl);
  if (rc < 0)
    return rc;
  rc = kv_request(pl.c, pl.b, req, reply, cap, s->cfg.rpc_timeout_s);
  peer_done(s, &pl, rc >= 0);
  return rc;
}

/* Act on a peer's reply to HB/FWD/CHK sent in epoch e0 as primary: 1 if it
 * is OK and we are still that primary, else 0 (stepping down on a STALE
 * with a higher epoch). */
static int primary_reply_ok(kv_server *s, uint64_t e0, int rc,
                            const char *reply) {
  unsigned long long e;
  if (rc < 0)
    return 0;
  if (strcmp(reply, "OK") != 0) {
    if (sscanf(reply, "STALE %llu", &e) == 1 && e > s->disk->epoch)
      become_backup(s, e);
    return 0;
  }
  return s->disk->role == KV_PRIMARY && s->disk->epoch == e0;
}

static int forward(kv_server *s, uint64_t e0, const char *key, const char *val,
                   uint64_t version) {
  char req[KV_LINE_MAX], reply[KV_LINE_MAX], ne[21], nv[21];
  kv_join(req, sizeof req, "FWD ", kv_u64(ne, e0), " ", key, " ", val, " ",
          kv_u64(nv, version), NULL);
  int rc = peer_call(s, req, reply, sizeof reply);
  return primary_reply_ok(s, e0, rc, reply);
}

static int confirm(kv_server *s, uint64_t e0, const char *what) {
  char req[64], reply[KV_LINE_MAX], ne[21];
  kv_join(req, sizeof req, what, " ", kv_u64(ne, e0), NULL);
  int rc = peer_call(s, req, reply, sizeof reply);
  return primary_reply_ok(s, e0, rc, reply);
}

/* Backup, not synced: fetch a snapshot from the primary and merge it. */
static void join(kv_server *s) {
  kv_disk *d = s->disk;
  char req[64], line[KV_LINE_MAX];
  unsigned long long e, id, n;
  peer_link pl;
  snprintf(req, sizeof req, "JOIN %llu", (unsigned long long)d->epoch);
  if (peer_open(s, &pl) < 0)
    return;
  double deadline = jnet_now() + 4 * s->cfg.rpc_timeout_s;
  int rc = kv_request(pl.c, pl.b, req, line, sizeof line, s->cfg.rpc_timeout_s);
  if (rc < 0 || sscanf(line, "SNAP %llu %llu %llu", &e, &id, &n) != 3 ||
      n > KV_MAX_KEYS) {
    if (rc >= 0 && sscanf(line, "STALE %llu", &e) == 1 && e > d->epoch &&
        d->role == KV_BACKUP)
      become_backup(s, e);
    peer_done(s, &pl, rc >= 0);
    return;
  }
  kv_entry *snap = kv_zalloc(n ? n : 1, sizeof *snap);
  unsigned long long i = 0;
  while (snap != NULL && i < n) {
    unsigned long long ver;
    char k[KV_KEY_MAX], v[KV_VAL_MAX];
    if (kv_read_line(pl.c, pl.b, line, sizeof line, deadline) < 0 ||
        sscanf(line, "%31s %47s %llu", k, v, &ver) != 3)
      break;
    strcpy(snap[i].key, k);
    strcpy(snap[i].val, v);
    snap[i].version = ver;
    i++;
  }
  peer_done(s, &pl, snap != NULL && i == n);
  if (snap != NULL && i == n && d->role == KV_BACKUP && e >= d->epoch) {
    if (e > d->epoch)
      become_backup(s, e);
    for (i = 0; i < n; i++) /* merge: forwards may be newer */
      kv_disk_put(d, snap[i].key, snap[i].val, snap[i].version);
    s->last_contact = jnet_now();
    snprintf(req, sizeof req, "SYNCED %llu %llu", e, id);
    rc = peer_call(s, req, line, sizeof line);
    if (rc >= 0 && strcmp(line, "OK") == 0 && d->role == KV_BACKUP &&
        d->epoch == e) {
      d->synced = 1;
      s->last_contact = jnet_now();
    }
  }
  jnet_free(snap);
}

/* ---- Serving one request ------------------------------------------------- */

static int reply_line(jnet_stream c, const char *text, double timeout) {
  char line[KV_LINE_MAX + 1];
  size_t n = strlen(text);
  if (n >= KV_LINE_MAX)
    return JNET_EMSGSIZE;
  memcpy(line, text, n);
  line[n++] = '\n';
  return jnet_write(c, line, n, timeout);
}

static int do_put(kv_server *s, jnet_stream c, const char *key,
                  const char *val) {
  kv_disk *d = s->disk;
  double t = s->cfg.rpc_timeout_s;
  if (d->role != KV_PRIMARY)
    return reply_line(c, "ERR notprimary", t);
  uint64_t e0 = d->epoch, version = kv_disk_next_version(d);
  int rc = kv_disk_put(d, key, val, version);
  if (rc < 0)
    return reply_line(c, rc == JNET_ENOSPC ? "ERR full" : "ERR badrequest", t);
  /* Stored locally; from here to the need_backup() test nothing yields,
   * so a snapshot taken for a JOIN either holds this write or the write is
   * replicated below. */
  if (!need_backup(s))
    return reply_line(c, "OK", t);
  if (s->cfg.ack_before_replicate) { /* the bug */
    /* "The backup gets it a moment later, and we keep retrying until it
     * does." Usually true: the forward leaves with the ack. But if the
     * primary dies before the forward arrives, the ack was a lie. */
    rc = reply_line(c, "OK", t);
    while (!forward(s, e0, key, val, version) && d->role == KV_PRIMARY &&
           d->epoch == e0 && !s->stopping)
      if (jnet_sleep(s->cfg.hb_interval_s) < 0)
        break;
    return rc;
  }
  uint64_t sid = s->sync_id;
  if (forward(s, e0, key, val, version))
    return reply_line(c, "OK", t);
  if (d->role == KV_PRIMARY && !d->synced && s->syncing &&
      s->sync_id == sid) { /* give up the catch-up before acking alone */
    s->syncing = 0;
    s->sync_id++;
  }
  return reply_line(
      c, d->role == KV_PRIMARY ? "ERR unavailable" : "ERR notprimary", t);
}

static int do_get(kv_server *s, jnet_stream c, const char *key) {
  kv_disk *d = s->disk;
  double t = s->cfg.rpc_timeout_s;
  char line[KV_LINE_MAX];
  if (d->role != KV_PRIMARY)
    return reply_line(c, "ERR notprimary", t);
  if (need_backup(s) && !confirm(s, d->epoch, "CHK"))
    return reply_line(
        c, d->role == KV_PRIMARY ? "ERR unavailable" : "ERR notprimary", t);
  const kv_entry *e = kv_disk_get(d, key);
  if (e == NULL)
    return reply_line(c, "NOTFOUND", t);
  kv_join(line, sizeof line, "VAL ", e->val, NULL);
  return reply_line(c, line, t);
}

/* HB, FWD or CHK from a primary of epoch e. */
static int do_from_primary(kv_server *s, jnet_stream c, uint64_t e,
                           const char *key, const char *val, uint64_t version) {
  kv_disk *d = s->disk;
  char line[KV_LINE_MAX];
  if (e > d->epoch)
    become_backup(s, e); /* a newer primary exists: that is not me */
  if (e < d->epoch || d->role == KV_PRIMARY) {
    snprintf(line, sizeof line, "STALE %llu %s", (unsigned long long)d->epoch,
             role_name(d->role));
    return reply_line(c, line, s->cfg.rpc_timeout_s);
  }
  s->last_contact = jnet_now();
  if (key != NULL && kv_disk_put(d, key, val, version) < 0)
    return reply_line(c, "ERR full", s->cfg.rpc_timeout_s);
  return reply_line(c, "OK", s->cfg.rpc_timeout_s);
}

/* JOIN from a backup: start a catch-up and send the snapshot, built without
 * yielding so it holds every write stored before the catch-up began. */
static int do_join(kv_server *s, jnet_stream c, uint64_t e) {
  kv_disk *d = s->disk;
  char line[KV_LINE_MAX];
  if (d->role != KV_PRIMARY || e > d->epoch) {
    snprintf(line, sizeof line, "STALE %llu %s", (unsigned long long)d->epoch,
             role_name(d->role));
    return reply_line(c, line, s->cfg.rpc_timeout_s);
  }
  s->syncing = 1;
  s->sync_id++;
  jnet_buf out;
  jnet_buf_init(&out);
  int n = snprintf(line, sizeof line, "SNAP %llu %llu %u\n",
                   (unsigned long long)d->epoch, (unsigned long long)s->sync_id,
                   d->nkeys);
  int rc = jnet_buf_append(&out, line, (size_t)n);
  for (uint32_t i = 0; rc == 0 && i < d->nkeys; i++) {
    const kv_entry *en = &d->entries[i];
    n = snprintf(line, sizeof line, "%s %s %llu\n", en->key, en->val,
                 (unsigned long long)en->version);
    rc = jnet_buf_append(&out, line, (size_t)n);
  }
  if (rc == 0)
    rc = jnet_write(c, out.data, out.len, 4 * s->cfg.rpc_timeout_s);
  jnet_buf_free(&out);
  return rc;
}

static int do_synced(kv_server *s, jnet_stream c, uint64_t e, uint64_t id) {
  kv_disk *d = s->disk;
  if (d->role == KV_PRIMARY && d->epoch == e && s->syncing &&
      s->sync_id == id) {
    d->synced = 1; /* never alone again in this epoch */
    s->syncing = 0;
    return reply_line(c, "OK", s->cfg.rpc_timeout_s);
  }
  return reply_line(c, "ERR stale", s->cfg.rpc_timeout_s);
}

/* Split line in place at whitespace into at most max words (the words
 * sscanf's %s would read); returns how many. */
static int split_words(char *line, char **w, int max) {
  int n = 0;
  char *p = line;
  while (n < max) {
    while (isspace((unsigned char)*p))
      p++;
    if (*p == '\0')
      break;
    w[n++] = p;
    while (*p != '\0' && !isspace((unsigned char)*p))
      p++;
    if (*p != '\0')
      *p++ = '\0';
  }
  return n;
}

/* A word that starts with a number, read as %llu reads it: 1, or 0. */
static int word_u64(const char *w, unsigned long long *v) {
  char *end;
  *v = strtoull(w, &end, 10);
  return end != w;
}

/* One request line (split in place). Returns < 0 to drop the connection. */
static int handle(kv_server *s, jnet_stream c, char *line) {
  char *w[6]; /* 6: enough to tell "GET k" from "GET k extra" */
  unsigned long long e, id;
  int n = split_words(line, w, 6);
  const char *cmd = n > 0 ? w[0] : "";
  if (strcmp(cmd, "PUT") == 0 && n >= 3 && kv_token_ok(w[1], KV_KEY_MAX) &&
      kv_token_ok(w[2], KV_VAL_MAX))
    return do_put(s, c, w[1], w[2]);
  if (strcmp(cmd, "GET") == 0 && n == 2 && kv_token_ok(w[1], KV_KEY_MAX))
    return do_get(s, c, w[1]);
  if (strcmp(cmd, "QUIT") == 0 && n == 1) {
    reply_line(c, "OK", s->cfg.rpc_timeout_s);
    kv_server_stop(s);
    return -1;
  }
  if ((strcmp(cmd, "HB") == 0 || strcmp(cmd, "CHK") == 0) && n >= 2 &&
      word_u64(w[1], &e))
    return do_from_primary(s, c, e, NULL, NULL, 0);
  if (strcmp(cmd, "FWD") == 0 && n >= 5 && word_u64(w[1], &e) &&
      word_u64(w[4], &id) && kv_token_ok(w[2], KV_KEY_MAX) &&
      kv_token_ok(w[3], KV_VAL_MAX))
    return do_from_primary(s, c, e, w[2], w[3], id);
  if (strcmp(cmd, "JOIN") == 0 && n >= 2 && word_u64(w[1], &e))
    return do_join(s, c, e);
  if (strcmp(cmd, "SYNCED") == 0 && n >= 3 && word_u64(w[1], &e) &&
      word_u64(w[2], &id))
    return do_synced(s, c, e, id);
  return reply_line(c, "ERR badrequest", s->cfg.rpc_timeout_s);
}

/* ---- Fibers: connections, acceptor, ticker ------------------------------- */

static void conn_fiber(void *arg) {
  conn_ctx *cc = arg;
  kv_server *s = cc->s;
  jnet_stream c = cc->c;
  char line[KV_LINE_MAX];
  int slot = -1;
  jnet_free(cc);
  for (int i = 0; i < KV_MAX_CONNS && slot < 0; i++)
    if (JNET_SAME(s->conns[i], JNET_NOSTREAM))
      s->conns[slot = i] = c;
  jnet_buf b;
  jnet_buf_init(&b);
  while (!s->stopping) {
    int rc = kv_read_line(c, &b, line, sizeof line,
                          jnet_now() + s->cfg.idle_timeout_s);
    if (rc == JNET_EMSGSIZE)
      reply_line(c, "ERR badrequest", s->cfg.rpc_timeout_s);
    if (rc < 0 || handle(s, c, line) < 0)
      break;
  }
  jnet_buf_free(&b);
  if (slot >= 0)
    s->conns[slot] = JNET_NOSTREAM;
  jnet_close(c);
  kv_server_release(s);
}

static void accept_fiber(void *arg) {
  kv_server *s = arg;
  while (!s->stopping) {
    jnet_stream c;
    if (jnet_accept(s->listener, JNET_FOREVER, &c) < 0)
      break;
    conn_ctx *cc = jnet_malloc(sizeof *cc);
    if (cc == NULL) {
      jnet_close(c);
      continue;
    }
    cc->s = s;
    cc->c = c;
    s->refs++;
    if (jnet_go(NULL, conn_fiber, cc) < 0) {
      s->refs--;
      jnet_free(cc);
      jnet_close(c);
    }
  }
  kv_server_stop(s);
  kv_server_release(s);
}

/* The server's clock: heartbeats as primary; catch-up and failover as
 * backup; stop at stop_at_s. */
static void ticker(kv_server *s) {
  kv_disk *d = s->disk;
  while (!s->stopping) {
    if (s->cfg.stop_at_s - jnet_now() <= KV_EPS_S)
      break;
    if (s->peer[0] != '\0') {
      if (d->role == KV_PRIMARY)
        confirm(s, d->epoch, "HB");
      else if (!d->synced)
        join(s);
      else if (jnet_now() - s->last_contact > s->cfg.failover_s)
        take_over(s);
    }
    double wait = s->cfg.hb_interval_s;
    if (s->cfg.stop_at_s - jnet_now() < wait)
      wait = s->cfg.stop_at_s - jnet_now();
    if (jnet_sleep(wait) < 0) /* our node crashed */
      break;
  }
  kv_server_stop(s);
}

static void ticker_fiber(void *arg) {
  kv_server *s = arg;
  ticker(s);
  kv_server_release(s);
}

/* ---- Life cycle ---------------------------------------------------------- */

static int copy_str(char *dst, size_t cap, const char *src) {
  if (src == NULL) {
    dst[0] = '\0';
    return 0;
  }
  if (strlen(src) >= cap)
    return JNET_EINVAL;
  strcpy(dst, src);
  return 0;
}

/* Listen and start the acceptor; the ticker is the caller's business. */
static int server_open(kv_server **out, const kv_server_config *cfg,
                       kv_disk *disk) {
  if (out == NULL || cfg == NULL || disk == NULL)
    return JNET_EINVAL;
  kv_server *s = kv_zalloc(1, sizeof *s);
  if (s == NULL)
    return JNET_ENOMEM;
  s->cfg = *cfg;
  if (copy_str(s->host, sizeof s->host, cfg->host ? cfg->host : "0.0.0.0") ||
      copy_str(s->port, sizeof s->port, cfg->port ? cfg->port : "0") ||
      copy_str(s->peer, sizeof s->peer, cfg->peer) ||
      copy_str(s->peer_port, sizeof s->peer_port,
               cfg->peer_port ? cfg->peer_port : s->port)) {
    jnet_free(s);
    return JNET_EINVAL;
  }
  s->cfg.host = s->host;
  s->cfg.port = s->port;
  s->cfg.peer = s->peer[0] ? s->peer : NULL;
  s->cfg.peer_port = s->peer_port;
  s->disk = disk;
  if (disk->magic != KV_DISK_MAGIC) {
    kv_disk_init(disk, cfg->role);
    if (s->peer[0] == '\0')
      disk->synced = 0; /* standalone: nobody to replicate to */
  }
  s->last_contact = jnet_now(); /* give the primary time to speak */
  jnet_buf_init(&s->peer_buf);
  int rc = jnet_listen(s->host, s->port, JNET_STREAM, &s->listener);
  jnet_addr a;
  char h[128];
  if (rc == 0 && (rc = jnet_localname(s->listener, &a)) == 0)
    rc = jnet_address_unpack(&a, h, sizeof h, &s->port_num);
  s->refs = 2; /* the caller and the acceptor */
  if (rc == 0 && (rc = jnet_go(NULL, accept_fiber, s)) < 0)
    s->refs = 1;
  if (rc < 0) {
    if (!JNET_SAME(s->listener, JNET_NOSTREAM))
      jnet_close(s->listener);
    jnet_buf_free(&s->peer_buf);
    jnet_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

int kv_server_start(kv_server **out, const kv_server_config *cfg,
                    kv_disk *disk) {
  kv_server *s;
  int rc = server_open(&s, cfg, disk);
  if (rc < 0)
    return rc;
  s->refs++;
  if ((rc = jnet_go(NULL, ticker_fiber, s)) < 0) {
    s->refs--;
    kv_server_stop(s);
    kv_server_release(s);
    return rc;
  }
  *out = s;
  return 0;
}

int kv_server_run(const kv_server_config *cfg, kv_disk *disk) {
  kv_server *s;
  int rc = server_open(&s, cfg, disk);
  if (rc < 0)
    return rc;
  ticker(s);
  kv_server_release(s);
  return 0;
}

int kv_server_port(const kv_server *s) { return s ? s->port_num : -1; }

void kv_server_stop(kv_server *s) {
  if (s == NULL || s->stopping)
    return;
  s->stopping = 1;
  jnet_close(s->listener);
  if (!JNET_SAME(s->peer_conn, JNET_NOSTREAM))
    jnet_close(s->peer_conn);
  s->peer_conn = JNET_NOSTREAM;
  for (int i = 0; i < KV_MAX_CONNS; i++)
    if (!JNET_SAME(s->conns[i], JNET_NOSTREAM))
      jnet_close(s->conns[i]);
}

void kv_server_release(kv_server *s) {
  if (s == NULL || --s->refs > 0)
    return;
  jnet_buf_free(&s->peer_buf);
  jnet_free(s);
}
