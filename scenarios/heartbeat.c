/* heartbeat.c — a UDP heartbeat failure detector (example protocol).
 *
 * hb-node sends "HB <name> <seq>" over UDP to every peer every interval and
 * runs a timeout detector: a peer is suspected once nothing came from it for
 * `timeout`, and trusted again when it speaks. hb-monitor runs the same
 * detector without sending. Both check, against what the scenario says
 * happened (crashed=NAME crash_ms=T), that
 *   - the crashed node was suspected no later than crash + bound, and
 *   - no node was suspected while it was alive (a false suspicion).
 * The detector's timer is exact: the fiber sleeps in recv_from until the
 * next send or the earliest suspicion deadline, whichever is first.
 *
 *   hb-node    peers=A,B,C [monitor=M] [port=9000] [interval_ms=50]
 *              [timeout_ms=300] [until_ms=3000]
 *              [crashed=B crash_ms=1000 bound_ms=400]
 *   hb-monitor nodes=A,B,C  (same options, never sends)
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jnet/jnet.h>
#include "programs.h"

#define HB_MAX_PEERS 16
#define HB_NAME_MAX 32
/* Times closer than this are equal: jnet_now() is a double over a
 * nanosecond clock, and a 1e-16 s wait would not move it. */
#define HB_EPS_S 1e-6

typedef struct hb_peer {
  char name[HB_NAME_MAX];
  jnet_addr addr;
  double last_s; /* last heartbeat heard (or our start) */
  int suspected;
  double detected_s; /* first suspicion at or after the crash, or -1 */
  double false_s;    /* first suspicion of a live node, or -1 */
  int watched;       /* 0: only sent to (the monitor) */
} hb_peer;

typedef struct hb_state {
  jnet_prog_ctx *ctx;
  const char *self;
  int sending;
  double interval_s, timeout_s, until_s;
  const char *crashed; /* NULL: nobody is expected to crash */
  double crash_s, bound_s;
  hb_peer peers[HB_MAX_PEERS];
  int npeers;
} hb_state;

/* Split "a,b,c" into st->peers (skipping ourselves). 0 or JNET_EINVAL. */
static int parse_peers(hb_state *st, const char *list) {
  const char *p = list;
  while (p != NULL && *p != '\0') {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    if (n == 0 || n >= HB_NAME_MAX || st->npeers == HB_MAX_PEERS)
      return JNET_EINVAL;
    hb_peer *pe = &st->peers[st->npeers];
    memcpy(pe->name, p, n);
    pe->name[n] = '\0';
    pe->watched = 1;
    if (strcmp(pe->name, st->self) != 0)
      st->npeers++;
    p = comma ? comma + 1 : NULL;
  }
  return st->npeers > 0 ? 0 : JNET_EINVAL;
}

static void suspect(hb_state *st, hb_peer *pe, double at_s) {
  pe->suspected = 1;
  int is_crashed = st->crashed && strcmp(pe->name, st->crashed) == 0;
  if (is_crashed && at_s >= st->crash_s) {
    if (pe->detected_s < 0)
      pe->detected_s = at_s;
  } else if (pe->false_s < 0) {
    pe->false_s = at_s;
  }
}

static void heard(hb_state *st, const char *msg, double now) {
  char name[HB_NAME_MAX];
  if (sscanf(msg, "HB %31s", name) != 1)
    return;
  for (int i = 0; i < st->npeers; i++)
    if (strcmp(st->peers[i].name, name) == 0) {
      st->peers[i].last_s = now;
      st->peers[i].suspected = 0;
    }
}

/* Suspect every peer whose deadline passed; return the next deadline. */
static double check_deadlines(hb_state *st, double now) {
  double next = INFINITY;
  for (int i = 0; i < st->npeers; i++) {
    hb_peer *pe = &st->peers[i];
    if (pe->suspected || !pe->watched)
      continue;
    double due = pe->last_s + st->timeout_s;
    if (due <= now + HB_EPS_S)
      suspect(st, pe, due);
    else if (due < next)
      next = due;
  }
  return next;
}

static void report(hb_state *st) {
  for (int i = 0; i < st->npeers; i++) {
    const hb_peer *pe = &st->peers[i];
    if (pe->false_s >= 0) {
      jnet_prog_check(st->ctx, "ok", 0, "%s falsely suspected %s at %.3fs",
                      st->self, pe->name, pe->false_s);
      return;
    }
    if (st->crashed && strcmp(pe->name, st->crashed) == 0 &&
        (pe->detected_s < 0 || pe->detected_s > st->crash_s + st->bound_s)) {
      jnet_prog_check(st->ctx, "ok", 0,
                      "%s did not suspect crashed %s within %.3fs (%s)",
                      st->self, pe->name, st->bound_s,
                      pe->detected_s < 0 ? "never" : "late");
      return;
    }
  }
  jnet_prog_check(st->ctx, "ok", 1, "%s: detector correct", st->self);
}

static void hb_run(jnet_prog_ctx *ctx, int sending) {
  hb_state st;
  memset(&st, 0, sizeof st);
  st.ctx = ctx;
  st.self = jnet_prog_host(ctx);
  st.sending = sending;
  const char *port = jnet_prog_arg(ctx, "port", "9000");
  st.interval_s = (double)jnet_prog_arg_int(ctx, "interval_ms", 50) / 1e3;
  st.timeout_s = (double)jnet_prog_arg_int(ctx, "timeout_ms", 300) / 1e3;
  st.until_s = (double)jnet_prog_arg_int(ctx, "until_ms", 3000) / 1e3;
  st.crashed = jnet_prog_arg(ctx, "crashed", NULL);
  st.crash_s = (double)jnet_prog_arg_int(ctx, "crash_ms", 0) / 1e3;
  st.bound_s = (double)jnet_prog_arg_int(ctx, "bound_ms", 400) / 1e3;
  const char *list = jnet_prog_arg(ctx, sending ? "peers" : "nodes", NULL);
  const char *monitor = sending ? jnet_prog_arg(ctx, "monitor", NULL) : NULL;
  int bad =
      parse_peers(&st, list) < 0 || st.interval_s <= 0 || st.timeout_s <= 0;
  if (!bad && monitor != NULL) { /* heartbeats go there too, unwatched */
    bad = st.npeers == HB_MAX_PEERS || strlen(monitor) >= HB_NAME_MAX;
    if (!bad) {
      hb_peer *pe = &st.peers[st.npeers++];
      memset(pe, 0, sizeof *pe); /* may hold our own name from the list */
      strcpy(pe->name, monitor);
    }
  }
  if (bad) {
    jnet_prog_check(ctx, "ok", 0, "bad arguments: peers/nodes=%s",
                    list ? list : "(none)");
    return;
  }
  double now = jnet_now();
  for (int i = 0; i < st.npeers; i++) {
    hb_peer *pe = &st.peers[i];
    pe->last_s = now; /* everyone gets `timeout` to say hello */
    pe->detected_s = pe->false_s = -1;
    int rc = jnet_address(pe->name, port, JNET_DATAGRAM, &pe->addr);
    if (rc < 0) {
      jnet_prog_check(ctx, "ok", 0, "%s: %s", pe->name, jnet_strerror(rc));
      return;
    }
  }
  jnet_stream sock;
  int rc = jnet_listen(st.self, port, JNET_DATAGRAM, &sock);
  if (rc < 0) {
    jnet_prog_check(ctx, "ok", 0, "listen: %s", jnet_strerror(rc));
    return;
  }
  jnet_buf b;
  jnet_buf_init(&b);
  unsigned long seq = 0;
  double next_send = now;
  for (;;) {
    now = jnet_now();
    if (now + HB_EPS_S >= st.until_s)
      break;
    if (sending && now + HB_EPS_S >= next_send) {
      char msg[64];
      int n = snprintf(msg, sizeof msg, "HB %s %lu", st.self, seq++);
      for (int i = 0; i < st.npeers; i++)
        if (jnet_send_to(sock, &st.peers[i].addr, msg, (size_t)n, 0.1) ==
            JNET_ECANCELED)
          goto cancelled;
      next_send += st.interval_s;
    }
    double wake = check_deadlines(&st, now);
    if (sending && next_send < wake)
      wake = next_send;
    if (st.until_s < wake)
      wake = st.until_s;
    jnet_buf_reset(&b);
    rc = (int)jnet_recv_from(sock, 512, &b, wake - now, NULL);
    if (rc == JNET_ECANCELED)
      goto cancelled;
    if (rc > 0 && jnet_buf_append(&b, "", 1) == 0)
      heard(&st, b.data, jnet_now());
  }
  check_deadlines(&st, st.until_s);
  report(&st);
cancelled: /* our host crashed: the restarted program reports */
  jnet_buf_free(&b);
  jnet_close(sock);
}

void jnet_example_hb_node(jnet_prog_ctx *ctx) { hb_run(ctx, 1); }
void jnet_example_hb_monitor(jnet_prog_ctx *ctx) { hb_run(ctx, 0); }
