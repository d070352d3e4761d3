/* proxy_run.c — jnet-proxy at run time: TCP pairs and UDP sessions relayed
 * through the fault backend, the control socket, the timeline, the capture.
 *
 * Faults are keyed on each proxy's upstream address, so they act on the
 * upstream leg of every pair: bytes to the upstream wait on that socket's
 * tx line, bytes from it on its rx line (one-way latency each way, as a
 * jnet_link_params link). What the upstream leg suffers, the client leg
 * passes on: end of stream becomes a half close, a reset becomes a reset
 * of the client's connection (jnet_faults_reset_peer on its address).
 *
 * Each TCP pair is two fibers, one per direction; a pair's end never
 * touches another pair. The last of its fibers frees it.
 *
 * Sections: 1. state  2. capture  3. TCP pairs  4. UDP sessions
 *           5. commands and the control socket  6. timeline, signals, main
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "proxy.h"

/* ---- 1. State ------------------------------------------------------------------- */

typedef struct pair pair;
typedef struct session session;

/* An open control connection, on its fiber's stack: quit_all ends it
 * rather than wait for its client to leave. */
typedef struct ctl_link {
  jnet_fiber fiber;
  struct ctl_link *prev, *next;
} ctl_link;

struct proxy {
  proxy_conf conf;
  char up_numeric[64]; /* the upstream, resolved once */
  jnet_addr up_addr;
  jnet_stream lsn;
  int udp_sending; /* a session fiber is in send_to on lsn */
  int accept_err;  /* the error accept last reported (said once) */
  uint64_t open, total, bytes_up, bytes_down;
  pair *pairs;       /* open TCP pairs */
  session *sessions; /* open UDP sessions */
};

static struct {
  proxy_opts *o;
  proxy p[PROXY_MAX];
  int n;
  jnet_faults *f;
  jnet__sim_pcap *pcap;
  uint64_t t0_ns;
  double t0;
  int quit;
  int status;
  jnet_stream ctl;
  ctl_link *ctls;      /* open control connections */
  jnet_fiber timeline; /* cancelled by quit_all: it may sleep for hours */
  FILE *log;
} G;

static volatile sig_atomic_t got_signal;

static uint64_t now_ns(void) {
  return (uint64_t)((jnet_now() - G.t0) * 1e9);
}

/* ---- 2. Capture: both legs as TCP/UDP packets ---------------------------- */

/* One direction of one leg: addresses, the next sequence number, and
 * whether its FIN is in the capture (a direction ends once). */
typedef struct flow {
  jnet_addr src, dst;
  uint32_t seq;
  int fin;
} flow;

static void addr_bytes(const jnet_addr *a, uint8_t out[16], uint16_t *port) {
  memset(out, 0, 16);
  if (a->u.sa.sa_family == AF_INET6) {
    memcpy(out, &a->u.in6.sin6_addr, 16);
    *port = ntohs(a->u.in6.sin6_port);
  } else {
    memcpy(out, &a->u.in4.sin_addr, 4);
    *port = ntohs(a->u.in4.sin_port);
  }
}

/* Write a segment (or a datagram) of the flow; `back` is the reverse flow
 * (its seq is our ack). Large payloads go as several segments. */
static void cap(flow *fl, const flow *back, int proto, uint8_t flags,
                const char *data, size_t len) {
  if (G.pcap == NULL || fl->fin)
    return;
  fl->fin = (flags & JNET__SIM_TCP_FIN) != 0;
  jnet__sim_pkt k;
  memset(&k, 0, sizeof k);
  k.family = fl->src.u.sa.sa_family == AF_INET6 ? AF_INET6 : AF_INET;
  addr_bytes(&fl->src, k.src, &k.sport);
  addr_bytes(&fl->dst, k.dst, &k.dport);
  k.proto = proto;
  k.window = 65535;
  k.mtu = 65535;
  uint64_t t = now_ns();
  do {
    size_t n = len > 32768 ? 32768 : len;
    k.seq = fl->seq;
    k.ack = back != NULL ? back->seq : 0;
    k.flags = flags;
    k.payload = (const uint8_t *)data;
    k.len = (uint32_t)n;
    (void)jnet__sim_pcap_write(G.pcap, t, &k);
    fl->seq += (uint32_t)n +
               ((flags & (JNET__SIM_TCP_SYN | JNET__SIM_TCP_FIN)) ? 1 : 0);
    if (n > 0)
      data += n;
    len -= n;
  } while (len > 0);
}

/* ---- 3. TCP pairs ----------------------------------------------------------- */

/* flows: [0] client -> proxy, [1] proxy -> client, [2] proxy -> upstream,
 * [3] upstream -> proxy */
struct pair {
  proxy *px;
  jnet_stream cl, up;
  jnet_addr cl_addr;
  int has_cl_addr;
  int fibers; /* running: the pair is freed when it drops to 0 */
  int closed;
  flow fl[4];
  pair *prev, *next;
};

static void pair_unlink(pair *pr) {
  if (pr->prev != NULL)
    pr->prev->next = pr->next;
  else
    pr->px->pairs = pr->next;
  if (pr->next != NULL)
    pr->next->prev = pr->prev;
}

/* Close both legs (fibers blocked on them wake with JNET_ECANCELED). */
static void pair_close(pair *pr) {
  if (pr->closed)
    return;
  pr->closed = 1;
  if (G.pcap != NULL) {
    cap(&pr->fl[1], &pr->fl[0], IPPROTO_TCP,
        JNET__SIM_TCP_FIN | JNET__SIM_TCP_ACK, NULL, 0);
    cap(&pr->fl[2], &pr->fl[3], IPPROTO_TCP,
        JNET__SIM_TCP_FIN | JNET__SIM_TCP_ACK, NULL, 0);
  }
  jnet_close(pr->cl);
  if (!JNET_SAME(pr->up, JNET_NOSTREAM))
    jnet_close(pr->up);
}

static void pair_release(pair *pr) {
  if (--pr->fibers > 0)
    return;
  pair_close(pr);
  pair_unlink(pr);
  pr->px->open--;
  free(pr);
}

static void capture_handshake(pair *pr) {
  if (G.pcap == NULL)
    return;
  jnet_addr lsn_local, up_local;
  /* LCOV_EXCL_BR_START: both legs are open, connected streams (no wait
   * since the connect), whose local names the kernel always has */
  if (jnet_localname(pr->cl, &lsn_local) < 0 ||
      jnet_localname(pr->up, &up_local) < 0)
    return; /* LCOV_EXCL_LINE */
  /* LCOV_EXCL_BR_STOP */
  pr->fl[0] = (flow){pr->cl_addr, lsn_local, 1000, 0};
  pr->fl[1] = (flow){lsn_local, pr->cl_addr, 5000, 0};
  pr->fl[2] = (flow){up_local, pr->px->up_addr, 1000, 0};
  pr->fl[3] = (flow){pr->px->up_addr, up_local, 5000, 0};
  for (int leg = 0; leg < 4; leg += 2) {
    cap(&pr->fl[leg], NULL, IPPROTO_TCP, JNET__SIM_TCP_SYN, NULL, 0);
    cap(&pr->fl[leg + 1], &pr->fl[leg], IPPROTO_TCP,
        JNET__SIM_TCP_SYN | JNET__SIM_TCP_ACK, NULL, 0);
    cap(&pr->fl[leg], &pr->fl[leg + 1], IPPROTO_TCP, JNET__SIM_TCP_ACK, NULL,
        0);
  }
}

/* Copy src to dst until end of stream or an error; dir 0: client to
 * upstream, 1: upstream to client. */
static void relay(pair *pr, int dir) {
  jnet_stream src = dir ? pr->up : pr->cl, dst = dir ? pr->cl : pr->up;
  flow *in = &pr->fl[dir ? 3 : 0], *out = &pr->fl[dir ? 1 : 2];
  flow *in_back = &pr->fl[dir ? 2 : 1], *out_back = &pr->fl[dir ? 0 : 3];
  jnet_buf b;
  jnet_buf_init(&b);
  ssize_t r;
  size_t want = 4096; /* an idle or chatty pair keeps a small buffer */
  for (;;) {
    jnet_buf_reset(&b);
    r = jnet_read(src, want, &b, JNET_FOREVER);
    if (r <= 0)
      break;
    if ((size_t)r == want)
      want = 65536; /* a full read: bulk, read big */
    if (G.pcap != NULL) {
      cap(in, in_back, IPPROTO_TCP, JNET__SIM_TCP_ACK | JNET__SIM_TCP_PSH,
          b.data, b.len);
      cap(out, out_back, IPPROTO_TCP, JNET__SIM_TCP_ACK | JNET__SIM_TCP_PSH,
          b.data, b.len);
    }
    if (dir)
      pr->px->bytes_down += b.len;
    else
      pr->px->bytes_up += b.len;
    r = jnet_write(dst, b.data, b.len, JNET_FOREVER);
    if (r < 0)
      break;
  }
  jnet_buf_free(&b);
  if (r == 0 && !pr->closed) {
    /* end of stream: pass the half close on; the other way goes on */
    jnet_shutdown(dst, JNET_SHUT_WR);
    cap(in, in_back, IPPROTO_TCP, JNET__SIM_TCP_FIN | JNET__SIM_TCP_ACK, NULL,
        0);
    cap(out, out_back, IPPROTO_TCP, JNET__SIM_TCP_FIN | JNET__SIM_TCP_ACK, NULL,
        0);
  } else if (r != JNET_ECANCELED && !pr->closed) {
    /* the upstream leg was reset (a fault, or the server): so is the client */
    if (r == JNET_ECONNRESET && pr->has_cl_addr) {
      cap(&pr->fl[1], &pr->fl[0], IPPROTO_TCP, JNET__SIM_TCP_RST, NULL, 0);
      jnet_faults_reset_peer(G.f, &pr->cl_addr);
    }
    pair_close(pr);
  }
  pair_release(pr);
}

static void relay_fwd(void *arg) { relay(arg, 0); }
static void relay_back(void *arg) { relay(arg, 1); }

static void pair_main(void *arg) {
  pair *pr = arg;
  proxy *px = pr->px;
  int rc = jnet_connect(px->up_numeric, px->conf.up_port, JNET_STREAM, NULL,
                        NULL, &pr->up);
  if (rc < 0) {
    /* upstream unreachable or refused: the client gets a reset */
    pr->up = JNET_NOSTREAM;
    if (G.log != NULL)
      fprintf(G.log, "%.6f %s upstream %s\n", jnet_now() - G.t0, px->conf.name,
              jnet_err_name(rc));
    if (pr->has_cl_addr)
      jnet_faults_reset_peer(G.f, &pr->cl_addr);
    pair_release(pr);
    return;
  }
  capture_handshake(pr);
  /* both directions in fibers of their own, on shallow stacks: this one,
   * deep from the connect, goes back to the pool for the next pair */
  pr->fibers = 2;
  int fwd = jnet_go(NULL, relay_fwd, pr) == 0;
  int back = jnet_go(NULL, relay_back, pr) == 0;
  if (!fwd || !back)
    pair_close(pr); /* a direction that did start ends at once */
  if (!fwd)
    pair_release(pr);
  if (!back)
    pair_release(pr);
}

static void accept_main(void *arg) {
  proxy *px = arg;
  while (!G.quit) {
    jnet_stream c;
    int rc = jnet_accept(px->lsn, JNET_FOREVER, &c);
    if (rc == JNET_ECANCELED || rc == JNET_ECLOSED)
      break;
    if (rc < 0) {
      /* out of descriptors or memory: refuse for a moment, then go on
       * (said once, not every 50 ms) */
      if (rc != px->accept_err)
        fprintf(stderr, "jnet-proxy: %s: accept: %s (waiting)\n",
                px->conf.name, jnet_strerror(rc));
      px->accept_err = rc;
      jnet_sleep(0.05);
      continue;
    }
    px->accept_err = 0;
    pair *pr = G.o->max_conns && px->open >= G.o->max_conns
                   ? NULL
                   : calloc(1, sizeof *pr);
    if (pr == NULL) {
      jnet_close(c);
      continue;
    }
    pr->px = px;
    pr->cl = c;
    pr->up = JNET_NOSTREAM;
    pr->has_cl_addr = jnet_peername(c, &pr->cl_addr) == 0;
    pr->fibers = 1;
    pr->next = px->pairs;
    if (px->pairs != NULL)
      px->pairs->prev = pr;
    px->pairs = pr;
    px->open++;
    px->total++;
    if (jnet_go(NULL, pair_main, pr) < 0)
      pair_release(pr);
  }
}

/* ---- 4. UDP sessions ---------------------------------------------------------- */

struct session {
  proxy *px;
  jnet_addr from;
  jnet_stream up;
  flow fl[4]; /* as a pair's */
  session *prev, *next;
};

static void session_free(session *s) {
  if (s->prev != NULL)
    s->prev->next = s->next;
  else
    s->px->sessions = s->next;
  if (s->next != NULL)
    s->next->prev = s->prev;
  jnet_close(s->up);
  s->px->open--;
  free(s);
}

/* Upstream replies go back to the client from the listening socket; the
 * session ends when the upstream is idle for udp_idle_s. */
static void session_back(void *arg) {
  session *s = arg;
  proxy *px = s->px;
  jnet_buf b;
  jnet_buf_init(&b);
  for (;;) {
    jnet_buf_reset(&b);
    ssize_t n = jnet_read(s->up, 65536, &b, G.o->udp_idle_s);
    if (n < 0 && n != JNET_ECONNREFUSED)
      break;
    if (n < 0)
      continue; /* ICMP from an upstream not yet up: keep the session */
    cap(&s->fl[3], NULL, IPPROTO_UDP, 0, b.data, b.len);
    cap(&s->fl[1], NULL, IPPROTO_UDP, 0, b.data, b.len);
    px->bytes_down += b.len;
    for (int i = 0; px->udp_sending && i < 1000; i++)
      jnet_yield();
    px->udp_sending = 1;
    int rc = jnet_send_to(px->lsn, &s->from, b.data, b.len, 1.0);
    px->udp_sending = 0;
    if (rc == JNET_ECLOSED || rc == JNET_ECANCELED)
      break;
  }
  jnet_buf_free(&b);
  session_free(s);
}

static session *session_get(proxy *px, const jnet_addr *from) {
  for (session *s = px->sessions; s != NULL; s = s->next)
    if (s->from.len == from->len && memcmp(&s->from.u, &from->u, from->len) == 0)
      return s;
  if (G.o->max_conns && px->open >= G.o->max_conns)
    return NULL;
  session *s = calloc(1, sizeof *s);
  if (s == NULL)
    return NULL;
  s->px = px;
  s->from = *from;
  if (jnet_connect(px->up_numeric, px->conf.up_port, JNET_DATAGRAM, NULL, NULL,
                   &s->up) < 0) {
    free(s);
    return NULL;
  }
  jnet_addr lsn_local, up_local;
  if (G.pcap != NULL && jnet_localname(px->lsn, &lsn_local) == 0 &&
      jnet_localname(s->up, &up_local) == 0) {
    s->fl[0] = (flow){*from, lsn_local, 0, 0};
    s->fl[1] = (flow){lsn_local, *from, 0, 0};
    s->fl[2] = (flow){up_local, px->up_addr, 0, 0};
    s->fl[3] = (flow){px->up_addr, up_local, 0, 0};
  }
  s->next = px->sessions;
  if (px->sessions != NULL)
    px->sessions->prev = s;
  px->sessions = s;
  px->open++;
  px->total++;
  if (jnet_go(NULL, session_back, s) < 0) {
    session_free(s);
    return NULL;
  }
  return s;
}

static void udp_main(void *arg) {
  proxy *px = arg;
  jnet_buf b;
  jnet_buf_init(&b);
  while (!G.quit) {
    jnet_addr from;
    jnet_buf_reset(&b);
    ssize_t n = jnet_recv_from(px->lsn, 65536, &b, JNET_FOREVER, &from);
    if (n == JNET_ECANCELED || n == JNET_ECLOSED)
      break;
    if (n < 0)
      continue;
    session *s = session_get(px, &from);
    if (s == NULL)
      continue; /* dropped, as a full router would */
    cap(&s->fl[0], NULL, IPPROTO_UDP, 0, b.data, b.len);
    cap(&s->fl[2], NULL, IPPROTO_UDP, 0, b.data, b.len);
    px->bytes_up += b.len;
    (void)jnet_write(s->up, b.data, b.len, 1.0);
  }
  jnet_buf_free(&b);
}

/* ---- 5. Commands and the control socket ------------------------------------- */

static int matches(const proxy *px, const char *target) {
  return strcmp(target, "*") == 0 || strcmp(target, px->conf.name) == 0;
}

static int apply_faults(proxy *px) {
  static const jnet_fault_params none;
  if (memcmp(&px->conf.faults, &none, sizeof none) == 0) {
    int rc = jnet_faults_clear(G.f, &px->up_addr);
    return rc == JNET_ENOENT ? 0 : rc;
  }
  return jnet_faults_set(G.f, &px->up_addr, &px->conf.faults);
}

/* Append printf output to out[n] at *len: 0, or -1 (out unchanged) if it
 * does not fit whole. */
static int addf(char *out, size_t n, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int addf(char *out, size_t n, size_t *len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int w = vsnprintf(out + *len, n - *len, fmt, ap);
  va_end(ap);
  if ((size_t)w >= n - *len) { /* an error (w < 0) is a huge size_t too */
    out[*len] = 0;
    return -1;
  }
  *len += (size_t)w;
  return 0;
}

/* The `list` line of a proxy, appended to out (2 KiB hold the longest:
 * two 255-byte hosts, a 31-byte name and every field at its widest). */
static void describe(const proxy *px, char *out, size_t n, size_t *len) {
  const jnet_fault_params *p = &px->conf.faults;
  const jnet_link_params *l = &p->link;
  addf(out, n, len, "%s %s %s:%s upstream %s:%s", px->conf.name,
       px->conf.udp ? "udp" : "tcp", px->conf.listen_host,
       px->conf.listen_port, px->conf.up_host, px->conf.up_port);
  if (l->latency_ns)
    addf(out, n, len, " latency %.3fms", (double)l->latency_ns / 1e6);
  if (l->jitter_ns)
    addf(out, n, len, " jitter %.3fms", (double)l->jitter_ns / 1e6);
  if (l->bandwidth_bps)
    addf(out, n, len, " bandwidth %llubit",
         (unsigned long long)l->bandwidth_bps);
  if (l->loss > 0)
    addf(out, n, len, " loss %g%%", l->loss * 100);
  if (l->duplicate > 0)
    addf(out, n, len, " duplicate %g%%", l->duplicate * 100);
  if (l->reorder > 0)
    addf(out, n, len, " reorder %g%%", l->reorder * 100);
  if (l->corrupt > 0)
    addf(out, n, len, " corrupt %g%%", l->corrupt * 100);
  if (p->refuse)
    addf(out, n, len, " refuse");
  if (p->reset_after_bytes)
    addf(out, n, len, " reset-after %llub",
         (unsigned long long)p->reset_after_bytes);
  if (p->close_after_ns)
    addf(out, n, len, " close-after %.3fs", (double)p->close_after_ns / 1e9);
  if (p->blackhole)
    addf(out, n, len, " blackhole");
  if (p->slice_bytes)
    addf(out, n, len, " slice %ub slice-delay %.3fms", p->slice_bytes,
         (double)p->slice_delay_ns / 1e6);
  if (p->slow_close_ns)
    addf(out, n, len, " slow-close %.3fms", (double)p->slow_close_ns / 1e6);
  addf(out, n, len, "\n");
}

/* Stop: close the listeners and every pair and session; end the control
 * connections (but the caller's: it answers `quit`) and the timeline. A
 * second call (a signal while a `quit` line was read) does nothing. */
static void quit_all(void) {
  if (G.quit)
    return;
  G.quit = 1;
  for (int i = 0; i < G.n; i++) {
    proxy *px = &G.p[i];
    jnet_close(px->lsn);
    for (pair *pr = px->pairs; pr != NULL; pr = pr->next)
      pair_close(pr);
    for (session *s = px->sessions; s != NULL; s = s->next)
      jnet_close(s->up);
  }
  if (!JNET_SAME(G.ctl, JNET_NOSTREAM))
    jnet_close(G.ctl);
  jnet_fiber self = jnet_self();
  for (ctl_link *k = G.ctls; k != NULL; k = k->next)
    if (!JNET_SAME(k->fiber, self))
      jnet_cancel(k->fiber, JNET_ECANCELED);
  if (!JNET_SAME(G.timeline, JNET_NOFIBER))
    jnet_cancel(G.timeline, JNET_ECANCELED);
}

/* Run a command; its reply (lines, the last "ok ..." or "err ...") goes
 * to out[n] (n > 256: a list or stats too long for it keeps the lines that
 * fit and says so in its last line, which always fits). */
static void execute(const proxy_cmd *c, char *out, size_t n) {
  size_t len = 0;
  size_t room = n - 256; /* list and stats leave room for the last line */
  int hit = 0, shown = 0;
  char err[160] = "";
  out[0] = 0;
  for (int i = 0; i < G.n; i++) {
    proxy *px = &G.p[i];
    if (c->kind == PROXY_CMD_QUIT || c->kind == PROXY_CMD_PING ||
        !matches(px, c->target))
      continue;
    hit++;
    jnet_fault_params saved = px->conf.faults;
    int rc = 0;
    switch (c->kind) { /* LCOV_EXCL_BR_LINE: quit and ping skip the loop */
    case PROXY_CMD_SET:
      /* proxy_parse_command applied the options once: they apply */
      (void)proxy_cmd_apply(c, &px->conf.faults, err, sizeof err);
      rc = apply_faults(px);
      break;
    case PROXY_CMD_CLEAR:
      jnet_fault_params_default(&px->conf.faults);
      rc = apply_faults(px);
      break;
    case PROXY_CMD_PARTITION:
    case PROXY_CMD_HEAL:
      px->conf.faults.blackhole = c->kind == PROXY_CMD_PARTITION;
      rc = apply_faults(px);
      break;
    case PROXY_CMD_RESET:
      rc = jnet_faults_reset_peer(G.f, &px->up_addr);
      rc = rc < 0 ? rc : 0;
      break;
    case PROXY_CMD_LIST:
    case PROXY_CMD_STATS: {
      /* whole lines while they fit; the first that does not ends them */
      char line[2048];
      size_t ll = 0;
      if (c->kind == PROXY_CMD_LIST)
        describe(px, line, sizeof line, &ll);
      else
        addf(line, sizeof line, &ll,
             "%s open %llu total %llu up %llu down %llu faults %llu\n",
             px->conf.name, (unsigned long long)px->open,
             (unsigned long long)px->total, (unsigned long long)px->bytes_up,
             (unsigned long long)px->bytes_down,
             (unsigned long long)jnet_faults_count(G.f));
      if (shown == hit - 1 && addf(out, room, &len, "%s", line) == 0)
        shown++;
      break;
    }
    }
    if (rc < 0) {
      px->conf.faults = saved;
      if (err[0] == 0)
        snprintf(err, sizeof err, "%s", jnet_strerror(rc));
      snprintf(out + len, n - len, "err %s: %s\n", px->conf.name, err);
      return;
    }
  }
  if (c->kind == PROXY_CMD_QUIT) {
    snprintf(out + len, n - len, "ok bye\n");
    quit_all();
    return;
  }
  if (c->kind != PROXY_CMD_PING && hit == 0) {
    snprintf(out + len, n - len, "err no proxy named '%s'\n", c->target);
    return;
  }
  if ((c->kind == PROXY_CMD_LIST || c->kind == PROXY_CMD_STATS) &&
      shown < hit)
    snprintf(out + len, n - len, "ok cut: %d of %d proxies fit the reply\n",
             shown, hit);
  else
    snprintf(out + len, n - len, "ok\n");
}

/* One control connection: lines in, replies out. */
static void ctl_conn(jnet_stream c, void *arg) {
  (void)arg;
  ctl_link me = {jnet_self(), NULL, G.ctls};
  if (G.ctls != NULL)
    G.ctls->prev = &me;
  G.ctls = &me;
  jnet_buf b;
  jnet_buf_init(&b);
  char *reply = malloc(64 * 1024);
  while (reply != NULL && !G.quit) {
    char *nl = b.len ? memchr(b.data, '\n', b.len) : NULL;
    if (nl == NULL) {
      if (b.len >= PROXY_LINE_MAX) {
        jnet_write(c, "err line too long\n", 18, 5.0);
        break;
      }
      if (jnet_read(c, 4096, &b, 60.0) <= 0)
        break;
      continue;
    }
    *nl = 0;
    size_t used = (size_t)(nl - b.data) + 1;
    proxy_cmd cmd;
    char err[160];
    if (proxy_parse_command(b.data, &cmd, err, sizeof err) < 0)
      snprintf(reply, 64 * 1024, "err %s\n", err);
    else
      execute(&cmd, reply, 64 * 1024);
    memmove(b.data, b.data + used, b.len - used);
    b.len -= used;
    if (jnet_write(c, reply, strlen(reply), 5.0) < 0)
      break;
  }
  free(reply);
  jnet_buf_free(&b);
  if (me.prev != NULL)
    me.prev->next = me.next;
  else
    G.ctls = me.next;
  if (me.next != NULL)
    me.next->prev = me.prev;
}

/* ---- 6. Timeline, signals, main ------------------------------------------- */

static void timeline_main(void *arg) {
  (void)arg;
  char reply[4096];
  for (int i = 0; i < G.o->nevents && !G.quit; i++) {
    const proxy_event *e = &G.o->events[i];
    double at = G.t0 + (double)e->at_ns / 1e9;
    if (jnet_now() < at && jnet_sleep(at - jnet_now()) < 0)
      break;
    if (G.quit)
      break;
    execute(&e->cmd, reply, sizeof reply);
    if (G.log != NULL)
      fprintf(G.log, "%.6f timeline %s", jnet_now() - G.t0, reply);
  }
}

static void on_signal(int sig) {
  (void)sig;
  got_signal = 1;
}

static void signal_main(void *arg) {
  (void)arg;
  while (!G.quit) {
    if (got_signal) {
      quit_all();
      break;
    }
    jnet_sleep(0.1);
  }
}

static int start_proxy(proxy *px) {
  proxy_conf *pc = &px->conf;
  int type = pc->udp ? JNET_DATAGRAM : JNET_STREAM;
  int rc = jnet_address(pc->up_host, pc->up_port, type, &px->up_addr);
  int port;
  if (rc == 0)
    rc = jnet_address_unpack(&px->up_addr, px->up_numeric,
                             sizeof px->up_numeric, &port);
  if (rc < 0) {
    fprintf(stderr, "jnet-proxy: %s: upstream %s:%s: %s\n", pc->name,
            pc->up_host, pc->up_port, jnet_strerror(rc));
    return rc;
  }
  rc = apply_faults(px);
  if (rc < 0) {
    fprintf(stderr, "jnet-proxy: %s: faults: %s\n", pc->name,
            jnet_strerror(rc));
    return rc;
  }
  rc = jnet_listen(pc->listen_host, pc->listen_port, type, &px->lsn);
  if (rc < 0) {
    fprintf(stderr, "jnet-proxy: %s: listen %s:%s: %s\n", pc->name,
            pc->listen_host, pc->listen_port, jnet_strerror(rc));
    return rc;
  }
  jnet_addr local;
  char host[64];
  /* LCOV_EXCL_BR_START: a listening socket has its local internet name */
  if (jnet_localname(px->lsn, &local) == 0 &&
      jnet_address_unpack(&local, host, sizeof host, &port) == 0)
    snprintf(pc->listen_port, sizeof pc->listen_port, "%d", port);
  /* LCOV_EXCL_BR_STOP */
  printf("listening %s %s %s:%s upstream %s:%s\n", pc->name,
         pc->udp ? "udp" : "tcp", pc->listen_host, pc->listen_port,
         pc->up_host, pc->up_port);
  return jnet_go(NULL, pc->udp ? udp_main : accept_main, px);
}

static int start_control(const char *path) {
  struct stat st;
  if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
    unlink(path); /* left by a proxy that died */
  int rc = jnet_server(JNET_UNIX, path, ctl_conn, NULL, JNET_STREAM, &G.ctl);
  if (rc < 0)
    fprintf(stderr, "jnet-proxy: control %s: %s\n", path, jnet_strerror(rc));
  return rc;
}

static void main_fiber(void *arg) {
  (void)arg;
  G.t0 = jnet_now();
  for (int i = 0; i < G.n; i++)
    if (start_proxy(&G.p[i]) < 0) {
      G.status = 1;
      quit_all();
      return;
    }
  if (G.o->control_path != NULL && start_control(G.o->control_path) < 0) {
    G.status = 1;
    quit_all();
    return;
  }
  printf("ready\n");
  fflush(stdout);
  jnet_go(NULL, signal_main, NULL);
  if (G.o->nevents > 0)
    jnet_spawn(NULL, timeline_main, NULL, &G.timeline);
}

int proxy_run(proxy_opts *o) {
  memset(&G, 0, sizeof G);
  G.o = o;
  G.ctl = JNET_NOSTREAM;
  G.n = o->nproxies;
  for (int i = 0; i < G.n; i++) {
    G.p[i].conf = o->proxies[i];
    G.p[i].lsn = JNET_NOSTREAM;
  }
  if (o->log_path != NULL) {
    G.log = strcmp(o->log_path, "-") == 0 ? stdout : fopen(o->log_path, "w");
    if (G.log == NULL) {
      fprintf(stderr, "jnet-proxy: %s: %s\n", o->log_path, strerror(errno));
      return 1;
    }
    setvbuf(G.log, NULL, _IOLBF, 0);
  }
  if (o->pcap_path != NULL) {
    int rc = jnet__sim_pcap_open(&G.pcap, o->pcap_path);
    if (rc < 0) {
      fprintf(stderr, "jnet-proxy: %s: %s\n", o->pcap_path, strerror(-rc));
      return 1;
    }
  }
  /* thousands of pairs need two descriptors each */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
  }
  signal(SIGPIPE, SIG_IGN);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  const jnet_backend *uv = jnet_backend_uv();
  const jnet_backend *b = uv ? jnet_backend_faults(uv, o->seed, &G.f) : NULL;
  jnet_loop *l = NULL;
  /* jnet_loop_new fails out of memory or out of descriptors (the loop's
   * epoll and wake-up fds): say which */
  int lrc = b == NULL ? JNET_ENOMEM : jnet_loop_new(&l, b);
  if (lrc < 0) {
    fprintf(stderr, "jnet-proxy: cannot start the loop: %s\n",
            jnet_strerror(lrc));
    return 1;
  }
  jnet_loop_set_stack_size(l, 16 * 1024);
  if (G.log != NULL)
    jnet_faults_log_file(G.f, G.log);
  jnet_go(l, main_fiber, NULL);
  int rc = jnet_run(l);
  if (rc < 0) {
    fprintf(stderr, "jnet-proxy: loop: %s\n", jnet_strerror(rc));
    G.status = 1;
  }
  jnet_loop_free(l);
  jnet_backend_free(b);
  jnet_backend_free(uv);
  int pcap_rc = jnet__sim_pcap_close(G.pcap); /* 0 for NULL */
  if (pcap_rc < 0) {
    fprintf(stderr, "jnet-proxy: %s: %s\n", o->pcap_path, strerror(-pcap_rc));
    G.status = 1;
  }
  if (G.log != NULL && G.log != stdout)
    fclose(G.log);
  return G.status;
}

/* ---- the ctl client ------------------------------------------------------------- */

typedef struct ctl_job {
  const char *path;
  char line[PROXY_LINE_MAX];
  int status;
} ctl_job;

static void ctl_fiber(void *arg) {
  ctl_job *j = arg;
  jnet_stream c;
  int rc = jnet_connect(JNET_UNIX, j->path, JNET_STREAM, NULL, NULL, &c);
  if (rc < 0) {
    fprintf(stderr, "jnet-proxy ctl: %s: %s\n", j->path, jnet_strerror(rc));
    j->status = 2;
    return;
  }
  j->status = 2;
  if (jnet_write(c, j->line, strlen(j->line), 5.0) == 0) {
    jnet_buf b;
    jnet_buf_init(&b);
    size_t start = 0;
    while (jnet_read(c, 4096, &b, 5.0) > 0) {
      /* print whole lines; stop after the final ok/err line */
      char *nl;
      int done = 0;
      while ((nl = memchr(b.data + start, '\n', b.len - start)) != NULL) {
        size_t n = (size_t)(nl - (b.data + start)) + 1;
        fwrite(b.data + start, 1, n, stdout);
        if (strncmp(b.data + start, "ok", 2) == 0 ||
            strncmp(b.data + start, "err", 3) == 0) {
          j->status = b.data[start] == 'o' ? 0 : 1;
          done = 1;
        }
        start += n;
      }
      if (done)
        break;
    }
    jnet_buf_free(&b);
  }
  jnet_close(c);
}

int proxy_ctl(const char *path, int argc, char **argv) {
  static ctl_job j;
  size_t len = 0;
  j.path = path;
  j.line[0] = 0;
  for (int i = 0; i < argc; i++) {
    size_t wl = strlen(argv[i]);
    if (len + wl + 2 >= sizeof j.line) {
      fprintf(stderr, "jnet-proxy ctl: command too long\n");
      return 2;
    }
    memcpy(j.line + len, argv[i], wl);
    len += wl;
    j.line[len++] = i + 1 < argc ? ' ' : '\n';
    j.line[len] = 0;
  }
  const jnet_backend *uv = jnet_backend_uv();
  jnet_loop *l;
  if (uv == NULL || jnet_loop_new(&l, uv) < 0)
    return 2;
  jnet_go(l, ctl_fiber, &j);
  jnet_run(l);
  jnet_loop_free(l);
  jnet_backend_free(uv);
  return j.status;
}
