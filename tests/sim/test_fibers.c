/* test_fibers.c — fibers that work together, where only the simulation can
 * tell: channels across hosts, host crashes cancelling fibers and waking
 * their joiners, a two-hour deadline on virtual time, and the same seed
 * giving the same order of wake-ups (log, trace and fingerprint). */
#define _GNU_SOURCE /* open_memstream */
#include <math.h>

#include "simtest.h"

typedef struct fx {
  st_world *w;
  long r[32];
  jnet_chan *ch;
  jnet_fiber f[4];
  char log[512];
  size_t nlog;
  int count;
} fx;

static fx *X; /* the running test's state, for fibers */

/* ---- channels belong to a host ---------------------------------------------- */

static void make_chan_on_h0(void *arg) {
  fx *x = arg;
  x->r[0] = jnet_chan_new(&x->ch, sizeof(int), 2);
}

static void use_chan_from_h1(void *arg) {
  fx *x = arg;
  int v = 1;
  jnet_case k[1] = {{x->ch, JNET_TAKE, &v, 0}};
  jnet_sleep(0.001); /* after h0 made it */
  x->r[1] = jnet_chan_give(x->ch, &v, 0);
  x->r[2] = jnet_chan_take(x->ch, &v, 0);
  x->r[3] = jnet_select(k, 1, 0);
  x->r[4] = jnet_chan_close(x->ch);
}

START_TEST(a_channel_used_from_another_host_is_einval) {
  fx x = {0};
  x.w = st_new(1, 2);
  st_go(x.w, 0, make_chan_on_h0, &x);
  st_go(x.w, 1, use_chan_from_h1, &x);
  st_run(x.w);
  ck_assert_int_eq(x.r[0], 0);
  for (int i = 1; i <= 4; i++)
    ck_assert_int_eq(x.r[i], JNET_EINVAL);
  st_free(x.w);
  ck_assert_int_eq(jnet_chan_free(x.ch), 0); /* after the loop: nothing waits */
}
END_TEST

/* ---- crashes --------------------------------------------------------------------- */

static void victim_take(void *arg) {
  fx *x = arg;
  int v;
  x->r[0] = jnet_chan_take(x->ch, &v, JNET_FOREVER);
  x->r[1] = jnet_sleep(1.0); /* still on a crashed host */
  x->r[2] = jnet_yield();
  x->count++;
}

static void victim_sleep(void *arg) {
  fx *x = arg;
  x->r[3] = jnet_sleep(3600.0);
  x->count++;
}

static void observer(void *arg) {
  fx *x = arg;
  /* joins work across hosts */
  x->r[4] = jnet_join(x->f[0], JNET_FOREVER);
  x->r[5] = jnet_join(x->f[1], JNET_FOREVER);
  x->r[6] = (long)(jnet_now() * 1000 + 0.5);
  x->r[7] = jnet_spawn_on(NULL, x->w->h[0], victim_sleep, x, &x->f[2]);
  x->r[8] = x->f[2].h == 0;
}

static void crash_h0(jnet_sim *sim, void *arg) {
  fx *x = arg;
  jnet_sim_crash(sim, x->w->h[0]);
}

START_TEST(a_crash_cancels_the_hosts_fibers_and_wakes_their_joiners) {
  fx x = {0};
  x.w = st_new(1, 2);
  st_loop(x.w);
  /* a channel of h0, made outside a fiber: the default node is h0 */
  ck_assert_int_eq(jnet_chan_new(&x.ch, sizeof(int), 0), 0);
  ck_assert_int_eq(jnet_spawn_on(x.w->loop, x.w->h[0], victim_take, &x, &x.f[0]), 0);
  ck_assert_int_eq(jnet_spawn_on(x.w->loop, x.w->h[0], victim_sleep, &x, &x.f[1]), 0);
  ck_assert_int_eq(jnet_spawn_on(x.w->loop, x.w->h[1], observer, &x, NULL), 0);
  ck_assert_int_eq(jnet_sim_at(x.w->sim, 2 * JNET_SIM_S, crash_h0, &x), 0);
  st_run(x.w);
  ck_assert_int_eq(x.r[0], JNET_ECANCELED);
  ck_assert_int_eq(x.r[1], JNET_ECANCELED);
  ck_assert_int_eq(x.r[2], JNET_ECANCELED);
  ck_assert_int_eq(x.r[3], JNET_ECANCELED);
  ck_assert_int_eq(x.r[4], 0);
  ck_assert_int_eq(x.r[5], 0);
  ck_assert_int_eq(x.r[6], 2000); /* woken at the crash, not an hour later */
  ck_assert_int_eq(x.r[7], JNET_ECANCELED);
  ck_assert_int_eq(x.r[8], 1);
  ck_assert_int_eq(x.count, 2);
  ck_assert_uint_eq(jnet_chan_count(x.ch), 0); /* channels stay as they were */
  st_free(x.w);
  ck_assert_int_eq(jnet_chan_free(x.ch), 0);
}
END_TEST

/* ---- virtual time ------------------------------------------------------------------ */

static void two_hour_deadline(void *arg) {
  fx *x = arg;
  jnet_chan *c;
  int v;
  x->r[0] = jnet_chan_new(&c, sizeof v, 0);
  jnet_deadline(jnet_now() + 7200.0);
  x->r[1] = jnet_chan_take(c, &v, JNET_FOREVER);
  x->r[2] = (long)jnet_now();
  x->r[3] = jnet_chan_free(c);
}

START_TEST(a_two_hour_deadline_costs_no_wall_time) {
  fx x = {0};
  x.w = st_new(1, 1);
  double w0 = st_wall_s();
  st_go(x.w, 0, two_hour_deadline, &x);
  st_run(x.w);
  ck_assert_int_eq(x.r[0], 0);
  ck_assert_int_eq(x.r[1], JNET_ETIMEDOUT);
  ck_assert_int_eq(x.r[2], 7200);
  ck_assert_int_eq(x.r[3], 0);
  ck_assert(st_wall_s() - w0 < 1.0);
  st_free(x.w);
}
END_TEST

/* ---- determinism ---------------------------------------------------------------- */

static void logf_(const char *fmt, long a, long b) {
  if (X->nlog + 40 < sizeof X->log)
    X->nlog += (size_t)snprintf(X->log + X->nlog, sizeof X->log - X->nlog, fmt,
                                a, b);
}

/* The server: echo each datagram after a random delay. */
static void echo_server(void *arg) {
  (void)arg;
  jnet_stream u;
  if (jnet_listen("192.0.2.1", "7", JNET_DATAGRAM, &u) < 0)
    return;
  jnet_buf b;
  jnet_buf_init(&b);
  for (int i = 0; i < 8; i++) {
    jnet_addr from;
    jnet_buf_reset(&b);
    if (jnet_recv_from(u, 64, &b, 5.0, &from) < 0)
      break;
    jnet_sleep((double)(jnet_random() % 1000) / 1e5);
    jnet_send_to(u, &from, b.data, b.len, 1.0);
  }
  jnet_buf_free(&b);
  jnet_close(u);
}

typedef struct asker {
  jnet_chan *answers;
  int id;
} asker;

static void ask(void *arg) {
  asker *a = arg;
  jnet_stream s;
  if (jnet_connect("192.0.2.1", "7", JNET_DATAGRAM, NULL, NULL, &s) < 0)
    return;
  char q = (char)('a' + a->id);
  jnet_buf b;
  jnet_buf_init(&b);
  if (jnet_write(s, &q, 1, 1.0) == 0 && jnet_read(s, 64, &b, 1.0) == 1) {
    int got = a->id;
    jnet_chan_give(a->answers, &got, 1.0);
  }
  jnet_buf_free(&b);
  jnet_close(s);
}

/* A client: fan out to two askers, take the first answer under one
 * deadline, log which and when. */
static void client(void *arg) {
  long me = (long)(intptr_t)arg;
  jnet_chan *answers;
  if (jnet_chan_new(&answers, sizeof(int), 2) < 0)
    return;
  asker a[2] = {{answers, 0}, {answers, 1}};
  jnet_fiber f[2];
  jnet_spawn(NULL, ask, &a[0], &f[0]);
  jnet_spawn(NULL, ask, &a[1], &f[1]);
  double saved = jnet_deadline(jnet_now() + 0.02);
  int first = -1;
  jnet_case k[1] = {{answers, JNET_TAKE, &first, 0}};
  int rc = jnet_select(k, 1, JNET_FOREVER);
  jnet_deadline(saved);
  logf_("c%ld:", me, 0);
  logf_("%ld@%ld ", rc < 0 ? rc : first, (long)(jnet_now() * 1e6));
  jnet_join(f[0], 1.0);
  jnet_join(f[1], 1.0);
  jnet_chan_free(answers);
}

static uint64_t seeded_run(uint64_t seed, char *log, size_t n, char **trace,
                           size_t *trace_len) {
  fx x = {0};
  X = &x;
  x.w = st_new(seed, 3);
  jnet_link_params p;
  jnet_link_params_default(&p);
  p.jitter_ns = 3 * JNET_SIM_MS;
  p.loss = 0.1;
  ck_assert_int_eq(jnet_sim_link(x.w->sim, NULL, NULL, &p), 0);
  FILE *f = open_memstream(trace, trace_len);
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(jnet_sim_trace(x.w->sim, f), 0);
  st_go(x.w, 0, echo_server, NULL);
  st_go(x.w, 1, client, (void *)(intptr_t)1);
  st_go(x.w, 2, client, (void *)(intptr_t)2);
  st_run(x.w);
  jnet_sim_trace(x.w->sim, NULL);
  fclose(f);
  uint64_t fp = jnet_sim_fingerprint(x.w->sim);
  snprintf(log, n, "%s", x.log);
  st_free(x.w);
  return fp;
}

START_TEST(same_seed_same_order_of_wake_ups) {
  char la[512], lb[512];
  char *ta = NULL, *tb = NULL;
  size_t na = 0, nb = 0;
  uint64_t fa = seeded_run(7, la, sizeof la, &ta, &na);
  uint64_t fb = seeded_run(7, lb, sizeof lb, &tb, &nb);
  ck_assert_str_eq(la, lb);
  ck_assert_uint_eq(fa, fb);
  ck_assert_uint_eq(na, nb);
  ck_assert(na > 0 && memcmp(ta, tb, na) == 0);
  ck_assert_msg(strstr(la, "c1:") && strstr(la, "c2:"), "log: %s", la);
  free(ta);
  free(tb);
}
END_TEST

/* --- p-dgram: a later timeout left in the timer heap as a lower bound --- */

static void lb_log(fx *x, const char *who) {
  x->nlog += (size_t)snprintf(x->log + x->nlog, sizeof x->log - x->nlog,
                              "%s@%.2f ", who, jnet_now());
}

static void lb_taker(void *arg) { /* A: 1 s, served at 0.5; then 2 s */
  fx *x = arg;
  int v;
  x->r[3] = jnet_chan_new(&x->ch, sizeof v, 0);
  x->r[0] = jnet_chan_take(x->ch, &v, 1.0);
  lb_log(x, "A1");
  x->r[1] = jnet_chan_take(x->ch, &v, 2.0); /* 2.5, later than 1.0 */
  lb_log(x, "A2");
  x->r[4] = jnet_chan_free(x->ch);
}

static void lb_giver(void *arg) { /* B */
  fx *x = arg;
  int v = 7;
  jnet_sleep(0.5);
  x->r[2] = jnet_chan_give(x->ch, &v, JNET_FOREVER);
}

static void lb_sleeper(void *arg) { /* C: 1.5, after A's first bound */
  fx *x = arg;
  jnet_sleep(1.5);
  lb_log(x, "C");
}

static void lb_tie(void *arg) { /* D: 2.5 too, armed before A's 2.5 */
  fx *x = arg;
  jnet_sleep(0.25);
  jnet_sleep(2.25);
  lb_log(x, "D");
}

static void lb_spawn(fx *x) {
  x->w = st_new(1, 1);
  st_loop(x->w);
  st_go(x->w, 0, lb_taker, x);
  st_go(x->w, 0, lb_giver, x);
  st_go(x->w, 0, lb_sleeper, x);
  st_go(x->w, 0, lb_tie, x);
}

static void lb_check(fx *x) {
  ck_assert_int_eq(x->r[0], 1);
  ck_assert_int_eq(x->r[1], JNET_ETIMEDOUT);
  ck_assert_int_eq(x->r[2], 0);
  /* each at its own deadline; at 2.5 the earlier armed (D) first */
  ck_assert_str_eq(x->log, "A1@0.50 C@1.50 D@2.50 A2@2.50 ");
  ck_assert_int_eq(x->r[3], 0);
  ck_assert_int_eq(x->r[4], 0);
  st_free(x->w);
}

START_TEST(a_later_timeout_fires_at_its_own_time_in_arming_order) {
  fx x = {0};
  lb_spawn(&x);
  st_run(x.w);
  lb_check(&x);
}
END_TEST

/* One turn at a time the clock only ever stops at a true deadline or a
 * packet: never at the 1.0 the first take left behind. */
START_TEST(run_once_turns_stop_only_at_true_deadlines) {
  fx x = {0};
  lb_spawn(&x);
  double seen[16];
  int n = 0, r;
  while ((r = jnet_run_once(x.w->loop)) > 0 && n < 16) {
    double t = (double)jnet_sim_now_ns(x.w->sim) / JNET_SIM_S;
    if (n == 0 || t != seen[n - 1])
      seen[n++] = t;
  }
  ck_assert_int_eq(r, 0);
  ck_assert_msg(n == 4 && seen[0] == 0.25 && seen[1] == 0.5 &&
                    seen[2] == 1.5 && seen[3] == 2.5,
                "%d stops, the 2nd at %.2f", n, n > 1 ? seen[1] : -1.0);
  lb_check(&x);
}
END_TEST

/* --- br-api: what a crashed host's fiber is refused, run_until and
 * run_once at a timer's deadline, the read-side refusals and wake-ups,
 * freeing a loop with blocked fibers (issue 20: api/'s branches) --- */

typedef struct crashed {
  st_world *w;
  jnet_stream udp;
  jnet_chan *ch;
  long r[12];
  int mains;
} crashed;

static void udp_owner(void *arg) { /* on h1 */
  crashed *c = arg;
  if (jnet_listen("192.0.2.2", "9000", JNET_DATAGRAM, &c->udp) < 0)
    return;
  jnet_sleep(5.0);
  jnet_close(c->udp);
}

static void a_main(void *arg) { ((crashed *)arg)->mains++; }

/* On h0: asleep when h0 crashes and restarts at once; from then on every
 * call that may wait is refused, though the host is up again. */
static void victim(void *arg) {
  crashed *c = arg;
  jnet_buf b;
  jnet_buf_init(&b);
  jnet_addr a;
  jnet_stream s;
  int v;
  c->r[0] = jnet_sleep(10.0);
  c->r[1] = jnet_sim_host_is_up(c->w->h[0]);
  c->r[2] = jnet_address("h1", "80", JNET_STREAM, &a);
  c->r[3] = jnet_listen("192.0.2.1", "9001", JNET_DATAGRAM, &s);
  c->r[4] = jnet_recv_from(c->udp, 16, &b, 1.0, &a); /* h1's stream */
  c->r[5] = jnet_chan_take(c->ch, &v, 1.0);
  c->r[6] = jnet_go(NULL, a_main, c); /* on its own node */
  c->r[7] = jnet_sleep(1.0);
  c->r[8] = (long)(jnet_now() * 1000 + 0.5);
  jnet_buf_free(&b);
}

static void crash_and_restart_h0(jnet_sim *sim, void *arg) {
  crashed *c = arg;
  c->r[9] = jnet_sim_crash(sim, c->w->h[0]);
  c->r[10] = jnet_sim_restart(sim, c->w->h[0]);
}

START_TEST(a_fiber_that_outlived_its_hosts_crash_is_refused_everywhere) {
  crashed c;
  memset(&c, 0, sizeof c);
  c.w = st_new(1, 2);
  st_loop(c.w);
  ck_assert_int_eq(jnet_chan_new(&c.ch, sizeof(int), 0), 0); /* h0's */
  st_go(c.w, 1, udp_owner, &c);
  st_go(c.w, 0, victim, &c);
  ck_assert_int_eq(jnet_sim_at(c.w->sim, JNET_SIM_S, crash_and_restart_h0, &c), 0);
  st_run(c.w);
  ck_assert_int_eq(c.r[9], 0);
  ck_assert_int_eq(c.r[10], 0);
  ck_assert_int_eq(c.r[0], JNET_ECANCELED);
  ck_assert_int_eq(c.r[1], 1); /* up again, the fiber still of the old life */
  for (int i = 2; i <= 7; i++)
    ck_assert_msg(c.r[i] == JNET_ECANCELED, "r[%d] = %ld", i, c.r[i]);
  ck_assert_int_eq(c.r[8], 1000); /* refused at once: no time passed */
  ck_assert_int_eq(c.mains, 0);
  /* a main registered while the host is down runs when it restarts */
  ck_assert_int_eq(jnet_sim_crash(c.w->sim, c.w->h[0]), 0);
  ck_assert_int_eq(jnet_node_main(c.w->loop, c.w->h[0], a_main, &c), 0);
  st_run(c.w);
  ck_assert_int_eq(c.mains, 0);
  ck_assert_int_eq(jnet_sim_restart(c.w->sim, c.w->h[0]), 0);
  st_run(c.w);
  ck_assert_int_eq(c.mains, 1);
  st_free(c.w);
  ck_assert_int_eq(jnet_chan_free(c.ch), 0);
}
END_TEST

typedef struct sleeper_slot {
  double secs;
  int woke;
  double at;
} sleeper_slot;

static void sleeper(void *arg) {
  sleeper_slot *s = arg;
  if (jnet_sleep(s->secs) == 0)
    s->woke = 1;
  s->at = jnet_now();
}

static void one_tick(void *arg) {
  int *rc = arg;
  *rc = jnet_sleep(1e-12);
}

/* jnet_run_until(d) runs the fibers a timer due at d wakes before it
 * returns, and leaves later ones asleep; an infinite deadline runs as
 * jnet_run. jnet_run_once: the turn whose poll reaches a timer wakes its
 * fiber, the next turn runs it. A deadline past 2^63 ns (1e10 s) is kept:
 * an idle sim's clock goes there, and a wait shorter than a tick still
 * waits one. */
START_TEST(run_until_runs_the_fibers_due_at_its_deadline) {
  st_world *w = st_new(1, 1);
  st_loop(w);
  sleeper_slot s[4] = {{1.0, 0, 0}, {5.0, 0, 0}, {1.0, 0, 0}, {2.0, 0, 0}};
  st_go(w, 0, sleeper, &s[0]);
  st_go(w, 0, sleeper, &s[1]);
  ck_assert_int_eq(jnet_run_until(w->loop, 1.0), 0);
  ck_assert_int_eq(s[0].woke, 1);
  ck_assert(s[0].at == 1.0);
  ck_assert_int_eq(s[1].woke, 0);
  ck_assert_uint_eq(jnet_loop_fibers(w->loop), 1);
  ck_assert_uint_eq(jnet_sim_now_ns(w->sim), JNET_SIM_S);
  ck_assert_int_eq(jnet_run_until(w->loop, INFINITY), 0);
  ck_assert_int_eq(s[1].woke, 1);
  ck_assert(s[1].at == 5.0);
  st_go(w, 0, sleeper, &s[2]);
  ck_assert_int_eq(jnet_run_once(w->loop), 1); /* runs it; poll to 6 s */
  ck_assert_int_eq(s[2].woke, 0);
  ck_assert_uint_eq(jnet_sim_now_ns(w->sim), 6 * JNET_SIM_S);
  ck_assert_int_ge(jnet_run_once(w->loop), 0); /* runs the woken fiber */
  ck_assert_int_eq(s[2].woke, 1);
  ck_assert(s[2].at == 6.0);
  jnet_sim_set_limits(w->sim, 0, 0);
  st_go(w, 0, sleeper, &s[3]);
  ck_assert_int_eq(jnet_run_until(w->loop, 1e10), 0);
  ck_assert_int_eq(s[3].woke, 1);
  ck_assert(s[3].at == 8.0);
  uint64_t t0 = jnet_sim_now_ns(w->sim);
  ck_assert_uint_eq(t0, 10000000000ull * JNET_SIM_S);
  int tick_rc = 1;
  st_go(w, 0, one_tick, &tick_rc);
  st_run(w);
  ck_assert_int_eq(tick_rc, 0);
  ck_assert_uint_eq(jnet_sim_now_ns(w->sim), t0 + 1);
  st_free(w);
}
END_TEST

typedef struct shut {
  jnet_stream conn;
  long r[6];
} shut;

static void shut_server(void *arg) { /* h0: accept, then a read that waits */
  shut *x = arg;
  jnet_stream srv;
  if ((x->r[0] = jnet_listen("192.0.2.1", "9100", JNET_STREAM, &srv)) < 0)
    return;
  x->r[1] = jnet_accept(srv, 5.0, &x->conn);
  jnet_buf b;
  jnet_buf_init(&b);
  x->r[2] = jnet_read(x->conn, 16, &b, 10.0);
  x->r[3] = (long)(jnet_now() * 1000 + 0.5);
  jnet_buf_free(&b);
  jnet_close(x->conn);
  jnet_close(srv);
}

static void shut_client(void *arg) { /* h1: connect, stay silent 2 s */
  shut *x = arg;
  jnet_stream s;
  if ((x->r[4] = jnet_connect("192.0.2.1", "9100", JNET_STREAM, NULL, NULL, &s)) < 0)
    return;
  jnet_sleep(2.0);
  jnet_close(s);
}

static void shut_reader_side(void *arg) { /* h0, at 0.5 s */
  shut *x = arg;
  jnet_sleep(0.5);
  x->r[5] = jnet_shutdown(x->conn, JNET_SHUT_RD);
}

START_TEST(shutting_the_read_side_gives_a_waiting_reader_end_of_stream) {
  shut x;
  memset(&x, 0, sizeof x);
  st_world *w = st_new(1, 2);
  st_go(w, 0, shut_server, &x);
  st_go(w, 1, shut_client, &x);
  st_go(w, 0, shut_reader_side, &x);
  st_run(w);
  ck_assert_int_eq(x.r[0], 0);
  ck_assert_int_eq(x.r[1], 0);
  ck_assert_int_eq(x.r[4], 0);
  ck_assert_int_eq(x.r[5], 0);
  ck_assert_int_eq(x.r[2], 0);   /* end of stream, */
  ck_assert_int_eq(x.r[3], 500); /* at the shutdown, not at the timeout */
  st_free(w);
}
END_TEST

/* A read that would wait is refused by an expired deadline or a pending
 * cancel (the backend's request is withdrawn: the stream stays usable);
 * a corrupted buffer is refused before anything starts. */
static void refused_reads(void *arg) {
  fx *x = arg;
  jnet_stream u;
  jnet_buf b;
  jnet_buf_init(&b);
  jnet_addr from;
  x->r[0] = jnet_listen("192.0.2.1", "9200", JNET_DATAGRAM, &u);
  if (x->r[0] < 0)
    return;
  jnet_deadline(jnet_now());
  x->r[1] = jnet_recv_from(u, 16, &b, 1.0, &from);
  jnet_deadline(JNET_FOREVER);
  jnet_cancel(jnet_self(), JNET_ECONNRESET);
  x->r[2] = jnet_recv_from(u, 16, &b, 1.0, &from);
  x->r[3] = (long)(jnet_now() * 1000 + 0.5);
  x->r[4] = jnet_recv_from(u, 16, &b, 0.25, &from); /* usable: times out */
  jnet_buf bad = {NULL, 1, 0};                      /* len > cap */
  x->r[5] = jnet_recv_from(u, 16, &bad, 1.0, &from);
  x->r[6] = jnet_read(u, 16, &bad, 1.0);
  x->r[7] = (long)(jnet_now() * 1000 + 0.5);
  jnet_buf_free(&b);
  jnet_close(u);
}

START_TEST(a_read_refused_by_deadline_or_cancel_leaves_the_stream_usable) {
  fx x = {0};
  x.w = st_new(1, 1);
  st_go(x.w, 0, refused_reads, &x);
  st_run(x.w);
  ck_assert_int_eq(x.r[0], 0);
  ck_assert_int_eq(x.r[1], JNET_ETIMEDOUT);
  ck_assert_int_eq(x.r[2], JNET_ECONNRESET);
  ck_assert_int_eq(x.r[3], 0);
  ck_assert_int_eq(x.r[4], JNET_ETIMEDOUT);
  ck_assert_int_eq(x.r[5], JNET_EINVAL);
  ck_assert_int_eq(x.r[6], JNET_EINVAL);
  ck_assert_int_eq(x.r[7], 250);
  st_free(x.w);
}
END_TEST

static void blocked_forever(void *arg) {
  fx *x = arg;
  int v;
  x->r[0] = jnet_chan_take(x->ch, &v, JNET_FOREVER);
  x->count++;
}

static void joins_the_blocked(void *arg) {
  fx *x = arg;
  x->r[1] = jnet_join(x->f[0], JNET_FOREVER);
  x->count++;
}

/* A run ends when nothing can ever complete; the loop is then still busy
 * (two fibers), and freeing it drops them, the joiner's link included. */
START_TEST(freeing_a_loop_drops_fibers_blocked_forever_and_their_joiners) {
  fx x = {0};
  x.w = st_new(1, 1);
  st_loop(x.w);
  ck_assert_int_eq(jnet_chan_new(&x.ch, sizeof(int), 0), 0);
  ck_assert_int_eq(jnet_spawn_on(x.w->loop, x.w->h[0], blocked_forever, &x, &x.f[0]), 0);
  ck_assert_int_eq(jnet_spawn_on(x.w->loop, x.w->h[0], joins_the_blocked, &x, &x.f[1]), 0);
  ck_assert_int_eq(jnet_run(x.w->loop), 0);
  ck_assert_uint_eq(jnet_loop_fibers(x.w->loop), 2);
  ck_assert_int_eq(jnet_loop_close(x.w->loop), JNET_EBUSY);
  jnet_loop_free(x.w->loop);
  x.w->loop = NULL;
  ck_assert_int_eq(x.count, 0); /* neither resumed */
  ck_assert_int_eq(jnet_chan_free(x.ch), 0); /* nothing waits on it now */
  st_free(x.w);
}
END_TEST

static void sleeps_forever(void *arg) {
  fx *x = arg;
  x->r[0] = jnet_sleep(INFINITY);
  x->r[1] = (long)(jnet_now() * 1000 + 0.5);
}

static void gives_and_waits(void *arg) {
  fx *x = arg;
  int v = 7;
  x->r[2] = jnet_chan_give(x->ch, &v, JNET_FOREVER);
}

static void gives_at_2s(void *arg) {
  fx *x = arg;
  int v = 8;
  jnet_sleep(2.0);
  x->r[3] = jnet_chan_give(x->ch, &v, 1.0);
}

static void takes_frees_cancels(void *arg) {
  fx *x = arg;
  int v = 0;
  jnet_sleep(1.0);
  x->r[4] = jnet_chan_free(x->ch); /* a giver waits on it */
  x->r[5] = jnet_chan_take(x->ch, &v, 1e11);
  x->r[6] = v;
  x->r[7] = jnet_chan_take(x->ch, &v, 1e11); /* 10^20 ns: no deadline */
  x->r[8] = v;
  x->r[9] = (long)(jnet_now() * 1000 + 0.5);
  x->r[10] = jnet_cancel(x->f[0], JNET_ECANCELED);
}

/* An infinite sleep ends only by a cancel; a channel a giver waits on is
 * busy; a timeout too long for the clock means none. */
START_TEST(an_endless_sleep_ends_by_cancel_and_a_waiting_giver_keeps_a_chan) {
  fx x = {0};
  x.w = st_new(1, 1);
  st_loop(x.w);
  ck_assert_int_eq(jnet_chan_new(&x.ch, sizeof(int), 0), 0);
  ck_assert_int_eq(jnet_spawn_on(x.w->loop, x.w->h[0], sleeps_forever, &x, &x.f[0]), 0);
  st_go(x.w, 0, gives_and_waits, &x);
  st_go(x.w, 0, gives_at_2s, &x);
  st_go(x.w, 0, takes_frees_cancels, &x);
  st_run(x.w);
  ck_assert_int_eq(x.r[4], JNET_EBUSY);
  ck_assert_int_eq(x.r[5], 1);
  ck_assert_int_eq(x.r[6], 7);
  ck_assert_int_eq(x.r[2], 0);
  ck_assert_int_eq(x.r[7], 1);
  ck_assert_int_eq(x.r[8], 8);
  ck_assert_int_eq(x.r[3], 0);
  ck_assert_int_eq(x.r[9], 2000);
  ck_assert_int_eq(x.r[10], 0);
  ck_assert_int_eq(x.r[0], JNET_ECANCELED);
  ck_assert_int_eq(x.r[1], 2000);
  st_free(x.w);
  ck_assert_int_eq(jnet_chan_free(x.ch), 0);
}
END_TEST

/* A name with more addresses than jnet_listen tries (16): the count says
 * all, the listener takes the first. */
static void listens_on_its_name(void *arg) {
  fx *x = arg;
  jnet_stream s;
  jnet_addr a[2];
  x->r[0] = jnet_address_all("big", "9300", JNET_STREAM, a, 2);
  x->r[1] = jnet_listen("big", "9300", JNET_STREAM, &s);
  if (x->r[1] == 0) {
    jnet_addr local;
    x->r[2] = jnet_localname(s, &local);
    x->r[3] = memcmp(&local.u.in4.sin_addr, &a[0].u.in4.sin_addr, 4) == 0;
    jnet_close(s);
  }
}

START_TEST(a_name_with_seventeen_addresses_listens_on_the_first) {
  fx x = {0};
  x.w = st_new(1, 0);
  char addr[17][32];
  const char *addrs[18];
  for (int i = 0; i < 17; i++) {
    snprintf(addr[i], sizeof addr[i], "198.51.100.%d", i + 1);
    addrs[i] = addr[i];
  }
  addrs[17] = NULL;
  jnet_node *big;
  ck_assert_int_eq(jnet_sim_host(x.w->sim, "big", addrs, &big), 0);
  st_loop(x.w);
  ck_assert_int_eq(jnet_go_on(x.w->loop, big, listens_on_its_name, &x), 0);
  st_run(x.w);
  ck_assert_int_eq(x.r[0], 17);
  ck_assert_int_eq(x.r[1], 0);
  ck_assert_int_eq(x.r[2], 0);
  ck_assert_int_eq(x.r[3], 1);
  st_free(x.w);
}
END_TEST

/* Races the sim orders exactly. A poll returns at its first completion,
 * and timers fire after it; so a fiber whose sleep ends at T, after a
 * datagram sent earlier completed someone's wait at T, yields and then
 * runs ahead of the fiber whose operation the next event at T completes.
 * It closes that operation's stream before its owner resumes. */

static void set_latency(st_world *w, int a, int b, double s) {
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.latency_ns = (uint64_t)(s * JNET_SIM_S);
  ck_assert_int_eq(jnet_sim_link(w->sim, w->h[a], w->h[b], &lp), 0);
}

typedef struct race {
  st_world *w;
  jnet_stream srv, conn, cconn;
  long r[16];
  double t[8];
  size_t got;
} race;

static void udp_waiter(void *arg) { /* h0: two datagrams, their times */
  race *x = arg;
  jnet_stream u;
  jnet_buf b;
  jnet_buf_init(&b);
  jnet_addr from;
  if (jnet_listen("192.0.2.1", "9911", JNET_DATAGRAM, &u) < 0)
    return;
  for (int i = 0; i < 2; i++) {
    x->r[8 + i] = jnet_recv_from(u, 16, &b, 5.0, &from);
    x->t[4 + i] = jnet_now();
  }
  jnet_buf_free(&b);
  jnet_close(u);
}

static void udp_sender(void *arg) { /* one datagram to h0 now */
  jnet_stream c;
  (void)arg;
  if (jnet_connect("192.0.2.1", "9911", JNET_DATAGRAM, NULL, NULL, &c) == 0) {
    jnet_write(c, "u", 1, 1.0);
    jnet_close(c);
  }
}

/* ---- a chunk whose stream is closed after its bytes came ---- */

static void chunk_server(void *arg) { /* h0 */
  race *x = arg;
  jnet_buf b;
  jnet_buf_init(&b);
  if ((x->r[0] = jnet_listen("192.0.2.1", "9910", JNET_STREAM, &x->srv)) < 0)
    return;
  x->r[1] = jnet_accept(x->srv, 5.0, &x->conn);
  jnet_close(x->srv);
  if (x->r[1] == 0) {
    x->r[2] = jnet_chunk(x->conn, 10, &b, 5.0);
    x->t[0] = jnet_now();
    x->got = b.len;
    jnet_close(x->conn);
  }
  jnet_buf_free(&b);
}

static void chunk_client(void *arg) { /* h1: connect, hold 3 s */
  race *x = arg;
  x->r[3] = jnet_connect("192.0.2.1", "9910", JNET_STREAM, NULL, NULL, &x->cconn);
  if (x->r[3] == 0) {
    jnet_sleep(3.0);
    jnet_close(x->cconn);
  }
}

static void race_crash_h0(jnet_sim *sim, void *arg) {
  race *x = arg;
  x->r[4] = jnet_sim_crash(sim, x->w->h[0]);
}

static void writes_at_1s(void *arg) { /* h1: a datagram, then 5 bytes */
  race *x = arg;
  jnet_sleep(1.0);
  udp_sender(NULL);
  x->r[5] = jnet_write(x->cconn, "12345", 5, 1.0);
  /* after both packets: h0 crashes when they land */
  jnet_sim_at(x->w->sim, 1250 * JNET_SIM_MS, race_crash_h0, x);
}

static void closer_at_1250ms(void *arg) { /* h0 */
  race *x = arg;
  jnet_sleep(1.25);
  x->t[1] = jnet_now();
  jnet_yield();              /* the bytes land meanwhile */
  x->r[6] = jnet_close(x->conn); /* before the chunk's fiber resumes */
  x->r[7] = jnet_yield();    /* runnable when h0 crashes */
  x->r[10] = jnet_sleep(1.0);
}

START_TEST(a_chunk_whose_stream_closes_after_its_bytes_came_keeps_them) {
  race x;
  memset(&x, 0, sizeof x);
  x.w = st_new(1, 2);
  set_latency(x.w, 0, 1, 0.25);
  st_go(x.w, 0, udp_waiter, &x);
  st_go(x.w, 0, chunk_server, &x);
  st_go(x.w, 1, chunk_client, &x);
  st_go(x.w, 1, writes_at_1s, &x);
  st_go(x.w, 0, closer_at_1250ms, &x);
  st_run(x.w);
  ck_assert_int_eq(x.r[0], 0);
  ck_assert_int_eq(x.r[1], 0);
  ck_assert_int_eq(x.r[3], 0);
  ck_assert_int_eq(x.r[5], 0);
  ck_assert_int_eq(x.r[8], 1);
  ck_assert(x.t[4] == 1.25); /* the datagram came first, */
  ck_assert(x.t[1] == 1.25); /* the closer woke with it */
  ck_assert_int_eq(x.r[6], 0);
  ck_assert_int_eq(x.r[2], JNET_ECANCELED); /* closed under the chunk, */
  ck_assert(x.t[0] == 1.25);
  ck_assert_uint_eq(x.got, 5); /* whose bytes stay in the buffer */
  ck_assert_int_eq(x.r[4], 0);
  ck_assert_int_eq(x.r[7], JNET_ECANCELED); /* crashed while runnable */
  ck_assert_int_eq(x.r[10], JNET_ECANCELED);
  st_free(x.w);
}
END_TEST

static void chunk_with_deadline(void *arg) { /* h0 */
  race *x = arg;
  jnet_buf b;
  jnet_buf_init(&b);
  if ((x->r[0] = jnet_listen("192.0.2.1", "9910", JNET_STREAM, &x->srv)) < 0)
    return;
  x->r[1] = jnet_accept(x->srv, 5.0, &x->conn);
  x->t[1] = jnet_now();
  jnet_close(x->srv);
  if (x->r[1] == 0) {
    x->r[2] = jnet_chunk(x->conn, 10, &b, 0.5); /* until 1.25 s */
    x->t[0] = jnet_now();
    x->got = b.len;
    jnet_close(x->conn);
  }
  jnet_buf_free(&b);
}

static void writes_5_at_1s(void *arg) { /* h1 */
  race *x = arg;
  jnet_sleep(1.0);
  x->r[5] = jnet_write(x->cconn, "12345", 5, 1.0);
}

/* Bytes that land exactly at a chunk's deadline are kept, and the chunk
 * times out then: no time is left for the rest. */
START_TEST(a_chunk_whose_bytes_land_at_its_deadline_times_out_keeping_them) {
  race x;
  memset(&x, 0, sizeof x);
  x.w = st_new(1, 2);
  set_latency(x.w, 0, 1, 0.25);
  st_go(x.w, 0, chunk_with_deadline, &x);
  st_go(x.w, 1, chunk_client, &x);
  st_go(x.w, 1, writes_5_at_1s, &x);
  st_run(x.w);
  ck_assert_int_eq(x.r[1], 0);
  ck_assert(x.t[1] == 0.75); /* accepted at 0.75 s: the deadline is 1.25 s */
  ck_assert_int_eq(x.r[5], 0);
  ck_assert_int_eq(x.r[2], JNET_ETIMEDOUT);
  ck_assert(x.t[0] == 1.25);
  ck_assert_uint_eq(x.got, 5);
  st_free(x.w);
}
END_TEST

/* ---- a connect and an accept whose streams go before they resume ---- */

static void acceptor(void *arg) { /* h0 */
  race *x = arg;
  if ((x->r[0] = jnet_listen("192.0.2.1", "9910", JNET_STREAM, &x->srv)) < 0)
    return;
  x->r[1] = jnet_accept(x->srv, 5.0, &x->conn);
  x->t[0] = jnet_now();
  if (x->r[1] == 0) {
    jnet_addr a;
    x->r[2] = jnet_localname(x->conn, &a);
    jnet_close(x->conn);
  }
  jnet_close(x->srv);
}

static void connector(void *arg) { /* h1 */
  race *x = arg;
  x->r[3] = jnet_connect("192.0.2.1", "9910", JNET_STREAM, NULL, NULL, &x->cconn);
  x->t[1] = jnet_now();
  if (x->r[3] == 0)
    jnet_close(x->cconn);
}

static void sends_at_0_and_250ms(void *arg) { /* h2, 0.5 s from h0 */
  udp_sender(arg);
  jnet_sleep(0.25);
  udp_sender(arg);
}

static void crasher_at_500ms(void *arg) { /* h2 */
  race *x = arg;
  jnet_sleep(0.5);
  x->t[2] = jnet_now();
  jnet_yield(); /* the SYN-ACK lands: the connect is done */
  x->r[4] = jnet_sim_crash(x->w->sim, x->w->h[1]);
}

static void closer_at_750ms(void *arg) { /* h0 */
  race *x = arg;
  jnet_sleep(0.75);
  x->t[3] = jnet_now();
  jnet_yield(); /* the handshake's ACK lands: the accept is done */
  x->r[5] = jnet_close(x->srv);
}

START_TEST(a_connect_and_an_accept_whose_streams_go_before_they_resume) {
  race x;
  memset(&x, 0, sizeof x);
  x.w = st_new(1, 3);
  set_latency(x.w, 0, 1, 0.25);
  set_latency(x.w, 0, 2, 0.5);
  st_go(x.w, 0, udp_waiter, &x);
  st_go(x.w, 0, acceptor, &x);
  st_go(x.w, 1, connector, &x);
  st_go(x.w, 2, sends_at_0_and_250ms, &x);
  st_go(x.w, 2, crasher_at_500ms, &x);
  st_go(x.w, 0, closer_at_750ms, &x);
  st_run(x.w);
  ck_assert(x.t[4] == 0.5 && x.t[2] == 0.5);
  ck_assert(x.t[5] == 0.75 && x.t[3] == 0.75);
  /* the connect completed, but its host crashed before it resumed */
  ck_assert_int_eq(x.r[4], 0);
  ck_assert_int_eq(x.r[3], JNET_ECANCELED);
  ck_assert(x.t[1] == 0.5);
  /* the accept completed, then its listener closed: the connection is
   * the caller's all the same */
  ck_assert_int_eq(x.r[0], 0);
  ck_assert_int_eq(x.r[5], 0);
  ck_assert_int_eq(x.r[1], 0);
  ck_assert(x.t[0] == 0.75);
  ck_assert_int_eq(x.r[2], 0);
  st_free(x.w);
}
END_TEST

typedef struct rekey {
  jnet_chan *ch;
  double woke[2];
  int order[2], n;
} rekey;

static void sleeps_5s(void *arg) {
  rekey *k = arg;
  jnet_sleep(5.0);
  k->woke[1] = jnet_now();
  k->order[k->n++] = 1;
}

static void takes_then_sleeps(void *arg) {
  rekey *k = arg;
  int v;
  jnet_chan_take(k->ch, &v, 10.0); /* served at 0.5 s: its timer entry stays */
  jnet_sleep(1.0);                 /* re-keyed to 1.5 s, before 5 s */
  k->woke[0] = jnet_now();
  k->order[k->n++] = 0;
}

static void gives_at_half_second(void *arg) {
  rekey *k = arg;
  int v = 1;
  jnet_sleep(0.5);
  jnet_chan_give(k->ch, &v, 1.0);
}

/* A timer re-armed earlier than the timers already queued still fires
 * first, at its own deadline. */
START_TEST(a_timer_rearmed_earlier_than_the_others_fires_first) {
  rekey k = {0};
  st_world *w = st_new(1, 1);
  st_loop(w);
  ck_assert_int_eq(jnet_chan_new(&k.ch, sizeof(int), 0), 0);
  st_go(w, 0, sleeps_5s, &k);
  st_go(w, 0, takes_then_sleeps, &k);
  st_go(w, 0, gives_at_half_second, &k);
  st_run(w);
  ck_assert_int_eq(k.n, 2);
  ck_assert_int_eq(k.order[0], 0);
  ck_assert_int_eq(k.order[1], 1);
  ck_assert(k.woke[0] == 1.5);
  ck_assert(k.woke[1] == 5.0);
  st_free(w);
  ck_assert_int_eq(jnet_chan_free(k.ch), 0);
}
END_TEST

typedef struct ties {
  jnet_chan *ch;
  int armed[16], woke[16];
  int narmed, nwoke;
} ties;

static ties *TIES;

/* Fiber i: odd ones first wait on a channel (their timer entry left
 * stale when a give serves them, re-keyed in place by the next wait),
 * even ones sleep (their entry fired and gone); all then sleep 0.25 s
 * from the same instant: equal deadlines, armed in the order they ran. */
static void tie_fiber(void *arg) {
  int i = (int)(intptr_t)arg, v;
  if (i % 2)
    jnet_chan_take(TIES->ch, &v, 1.0 + i);
  else
    jnet_sleep(0.5);
  TIES->armed[TIES->narmed++] = i;
  jnet_sleep(0.25);
  TIES->woke[TIES->nwoke++] = i;
}

static void tie_giver(void *arg) {
  (void)arg;
  jnet_sleep(0.5);
  for (int i = 0; i < 6; i++) {
    int v = i;
    jnet_chan_give(TIES->ch, &v, 1.0);
  }
}

/* Timers of equal deadline fire in the order they were armed, whether
 * the entry was new or re-keyed. */
START_TEST(timers_of_equal_deadline_fire_in_arming_order) {
  ties t;
  memset(&t, 0, sizeof t);
  TIES = &t;
  st_world *w = st_new(1, 1);
  st_loop(w);
  ck_assert_int_eq(jnet_chan_new(&t.ch, sizeof(int), 0), 0);
  for (int i = 11; i >= 0; i--)
    st_go(w, 0, tie_fiber, (void *)(intptr_t)i);
  st_go(w, 0, tie_giver, NULL);
  st_run(w);
  ck_assert_int_eq(t.narmed, 12);
  ck_assert_int_eq(t.nwoke, 12);
  for (int i = 0; i < 12; i++)
    ck_assert_int_eq(t.woke[i], t.armed[i]);
  st_free(w);
  ck_assert_int_eq(jnet_chan_free(t.ch), 0);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("sim-fibers");
  jc_defaults(30, NULL, NULL);
  JC_TEST(s, a_channel_used_from_another_host_is_einval);
  JC_TEST(s, a_crash_cancels_the_hosts_fibers_and_wakes_their_joiners);
  JC_TEST(s, a_two_hour_deadline_costs_no_wall_time);
  JC_TEST(s, same_seed_same_order_of_wake_ups);
  JC_TEST(s, a_later_timeout_fires_at_its_own_time_in_arming_order);
  JC_TEST(s, run_once_turns_stop_only_at_true_deadlines);
  JC_TEST(s, a_fiber_that_outlived_its_hosts_crash_is_refused_everywhere);
  JC_TEST(s, run_until_runs_the_fibers_due_at_its_deadline);
  JC_TEST(s, shutting_the_read_side_gives_a_waiting_reader_end_of_stream);
  JC_TEST(s, a_read_refused_by_deadline_or_cancel_leaves_the_stream_usable);
  JC_TEST(s, freeing_a_loop_drops_fibers_blocked_forever_and_their_joiners);
  JC_TEST(s, an_endless_sleep_ends_by_cancel_and_a_waiting_giver_keeps_a_chan);
  JC_TEST(s, a_name_with_seventeen_addresses_listens_on_the_first);
  JC_TEST(s, a_chunk_whose_stream_closes_after_its_bytes_came_keeps_them);
  JC_TEST(s, a_connect_and_an_accept_whose_streams_go_before_they_resume);
  JC_TEST(s, a_chunk_whose_bytes_land_at_its_deadline_times_out_keeping_them);
  JC_TEST(s, a_timer_rearmed_earlier_than_the_others_fires_first);
  JC_TEST(s, timers_of_equal_deadline_fire_in_arming_order);
  return s;
}

int main(void) { return st_run_suite(suite()); }
