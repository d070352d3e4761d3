/* kv_client.c — the kv store's workload and checker.
 *
 * Writes keys k0..k{ops-1}, each once with a fresh value, to whichever of
 * the two servers acts as primary (on an error, a timeout or
 * "ERR notprimary" it retries on the other one), remembers every write a
 * server acknowledged, then reads each of those back. The check holds if
 * every acknowledged write is readable with its value: the guarantee a
 * replicated store makes, whatever crashed or was partitioned meanwhile.
 * Retrying a PUT with the same value is idempotent, so a write whose ack was
 * lost is simply written again.
 *
 * With cfg->history set, every write and read is also recorded there as
 * an operation (jnet_history.h), so that a linearizability checker can
 * judge the whole run: a write or read that got its answer is `ok`; one
 * given up on is `info` (it may have happened), and the client goes on
 * under a fresh process id, as Jepsen's clients do.
 */
#include <stdio.h>
#include <string.h>

#include "kv.h"

typedef struct kv_conn {
  jnet_stream c;
  jnet_buf b;
  int open;
} kv_conn;

typedef struct kv_client {
  const kv_client_config *cfg;
  kv_client_result *res;
  kv_conn conns[2];
  int cur; /* the server we believe is primary */
  int64_t process; /* our process id in cfg->history */
} kv_client;

void kv_client_config_default(kv_client_config *c) {
  memset(c, 0, sizeof *c);
  c->servers[0] = "127.0.0.1";
  c->servers[1] = NULL;
  c->port = "7000";
  c->ops = 100;
  c->op_timeout_s = 0.2;
  c->write_budget_s = 2.0;
  c->read_budget_s = 10.0;
  c->quit_servers = 1;
}

static void conn_drop(kv_conn *k) {
  if (k->open)
    jnet_close(k->c);
  k->open = 0;
  jnet_buf_reset(&k->b);
}

/* One request to server i over its (re)opened connection. */
static int request(kv_client *cl, int i, const char *req, char *reply,
                   size_t cap) {
  kv_conn *k = &cl->conns[i];
  int rc;
  if (!k->open) {
    rc = kv_connect(cl->cfg->servers[i], cl->cfg->port, cl->cfg->op_timeout_s,
                    &k->c);
    if (rc < 0)
      return rc;
    k->open = 1;
    jnet_buf_reset(&k->b);
  }
  rc = kv_request(k->c, &k->b, req, reply, cap, cl->cfg->op_timeout_s);
  if (rc < 0) /* a late reply must never be taken for the next one */
    conn_drop(k);
  return rc;
}

/* Send req to the primary, whichever it is, until a reply that is not an
 * error or the deadline. The reply length, JNET_ETIMEDOUT, or
 * JNET_ECANCELED (our node crashed). */
static int to_primary(kv_client *cl, const char *req, char *reply, size_t cap,
                      double deadline) {
  int nservers = cl->cfg->servers[1] != NULL ? 2 : 1;
  int failures = 0;
  while (deadline - jnet_now() > KV_EPS_S) {
    int rc = request(cl, cl->cur, req, reply, cap);
    if (rc == JNET_ECANCELED)
      return rc;
    if (rc >= 0 && strncmp(reply, "ERR", 3) != 0)
      return rc;
    if (rc >= 0 && strcmp(reply, "ERR badrequest") == 0)
      return JNET_EINVAL;
    cl->res->retries++;
    cl->cur = (cl->cur + 1) % nservers;
    if (++failures % nservers == 0) { /* both tried: back off a little */
      double pause = 0.005 + (double)(jnet_random() % 10000) * 1e-6;
      if (jnet_sleep(pause) < 0)
        return JNET_ECANCELED;
    }
  }
  return JNET_ETIMEDOUT;
}

/* Record an operation's invoke, and its completion (`ok` with what a read
 * read, NULL for null; or `info`, after which we take a fresh id). */
static void hist_invoke(kv_client *cl, int f, const char *key,
                        const char *val) {
  if (cl->cfg->history != NULL)
    jnet_history_invoke(cl->cfg->history, cl->process, f, key,
                        val ? jnet_hv_str(val) : jnet_hv_null(),
                        jnet_hv_null());
}

static void hist_done(kv_client *cl, int ok, const char *read_val) {
  jnet_history *h = cl->cfg->history;
  if (h == NULL)
    return;
  if (ok) {
    jnet_history_ok(h, cl->process,
                    read_val ? jnet_hv_str(read_val) : jnet_hv_null());
  } else {
    jnet_history_info(h, cl->process);
    cl->process = jnet_history_process(h);
  }
}

static void fail(kv_client_result *res, const char *fmt, const char *key,
                 const char *val, const char *got) {
  if (res->ok) {
    res->ok = 0;
    if (snprintf(res->msg, sizeof res->msg, fmt, key, val, got) >=
        (int)sizeof res->msg)
      res->msg[sizeof res->msg - 2] = '~'; /* mark a message cut short */
  }
}

int kv_client_run(const kv_client_config *cfg, kv_client_result *res) {
  if (cfg == NULL || res == NULL || cfg->servers[0] == NULL || cfg->ops < 0 ||
      cfg->ops > KV_MAX_KEYS)
    return JNET_EINVAL;
  memset(res, 0, sizeof *res);
  res->ok = 1;
  kv_client cl = {cfg, res, {{JNET_NOSTREAM, {0}, 0}}, 0, 0};
  if (cfg->history != NULL)
    cl.process = jnet_history_process(cfg->history);
  jnet_buf_init(&cl.conns[0].b);
  jnet_buf_init(&cl.conns[1].b);
  kv_entry *acked = kv_zalloc((size_t)cfg->ops + 1, sizeof *acked);
  if (acked == NULL)
    return JNET_ENOMEM;
  char req[KV_LINE_MAX], reply[KV_LINE_MAX];
  char tag[16], num[21]; /* this run's values end in tag */
  snprintf(tag, sizeof tag, "-%06llx",
           (unsigned long long)(jnet_random() & 0xffffff));

  /* Writes: k<i>=v<i><tag>. */
  for (int i = 0; i < cfg->ops; i++) {
    kv_entry *e = &acked[res->acked];
    kv_u64(num, (uint64_t)i);
    kv_join(e->key, sizeof e->key, "k", num, NULL);
    kv_join(e->val, sizeof e->val, "v", num, tag, NULL);
    kv_join(req, sizeof req, "PUT ", e->key, " ", e->val, NULL);
    hist_invoke(&cl, JNET_HIST_WRITE, e->key, e->val);
    int rc = to_primary(&cl, req, reply, sizeof reply,
                        jnet_now() + cfg->write_budget_s);
    if (rc == JNET_ECANCELED) { /* left open: it may have happened */
      res->cancelled = 1;
      goto out;
    }
    int ok = rc >= 0 && strcmp(reply, "OK") == 0;
    hist_done(&cl, ok, NULL);
    if (ok)
      res->acked++;
    else
      res->unacked++;
  }

  /* Read every acknowledged write back. */
  double deadline = jnet_now() + cfg->read_budget_s;
  for (int i = 0; i < res->acked; i++) {
    const kv_entry *e = &acked[i];
    kv_join(req, sizeof req, "GET ", e->key, NULL);
    hist_invoke(&cl, JNET_HIST_READ, e->key, NULL);
    int rc = to_primary(&cl, req, reply, sizeof reply, deadline);
    if (rc == JNET_ECANCELED) {
      res->cancelled = 1;
      goto out;
    }
    if (rc >= 0 && strcmp(reply, "NOTFOUND") == 0)
      hist_done(&cl, 1, NULL);
    else if (rc >= 0 && strncmp(reply, "VAL ", 4) == 0)
      hist_done(&cl, 1, reply + 4);
    else
      hist_done(&cl, 0, NULL);
    if (rc < 0)
      fail(res, "acknowledged write %s=%s unreadable: %s", e->key, e->val,
           jnet_strerror(rc));
    else if (strcmp(reply, "NOTFOUND") == 0)
      fail(res, "acknowledged write %s=%s lost%s", e->key, e->val, "");
    else if (strncmp(reply, "VAL ", 4) != 0 || strcmp(reply + 4, e->val))
      fail(res, "acknowledged write %s=%s read back as \"%s\"", e->key, e->val,
           reply);
  }

  if (cfg->quit_servers)
    for (int i = 0; i < 2 && cfg->servers[i] != NULL; i++)
      request(&cl, i, "QUIT", reply, sizeof reply);
out:
  for (int i = 0; i < 2; i++) {
    conn_drop(&cl.conns[i]);
    jnet_buf_free(&cl.conns[i].b);
  }
  jnet_free(acked);
  return 0;
}
