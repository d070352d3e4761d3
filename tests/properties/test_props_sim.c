/* test_props_sim.c — properties of the simulated network stated outright
 * (issue 20.3): every fault acts in each direction it claims and in no
 * other; timers of equal deadline and spawned fibers run in FIFO order; a
 * timeout <= 0 lets no other fiber run and no virtual time pass; the random
 * streams are independent (another link's parameters and traffic, or
 * another host, do not move this link's or this host's draws).
 *
 * Each case observes what a user sees: datagrams counted per direction,
 * the order of a log, jnet_now(), delivery times. Fibers record; checks are
 * made on the main stack after the run. */
#include "simtest.h"

#define PR_N 20            /* datagrams each way */
#define PR_GAP 0.01        /* seconds between two of them */

/* ---- faults per direction ----------------------------------------------- */

typedef struct dir_run {
  st_world *w;
  int got[3][3];     /* got[from][to]: datagrams delivered */
  int order_ok[3][3]; /* sequence numbers arrived in order */
  int last[3][3];
  double first_t[3][3]; /* virtual time of the first delivery */
} dir_run;

typedef struct sender {
  dir_run *r;
  int from, to;
} sender;

static void addr_of(int i, char *buf, size_t n) { st_addr(i, buf, n); }

/* Receive on host `to` port 9000+from until 1 s of silence. */
static void recv_fiber(void *arg) {
  sender *s = arg;
  dir_run *r = s->r;
  char host[64], port[16];
  addr_of(s->to, host, sizeof host);
  snprintf(port, sizeof port, "%d", 9000 + s->from);
  jnet_stream u;
  if (jnet_listen(host, port, JNET_DATAGRAM, &u) < 0)
    return;
  jnet_buf b;
  jnet_buf_init(&b);
  r->last[s->from][s->to] = -1;
  r->order_ok[s->from][s->to] = 1;
  for (;;) {
    jnet_buf_reset(&b);
    if (jnet_recv_from(u, 64, &b, 1.0, NULL) != sizeof(int))
      break;
    int seq;
    memcpy(&seq, b.data, sizeof seq);
    if (r->got[s->from][s->to]++ == 0)
      r->first_t[s->from][s->to] = jnet_now();
    if (seq <= r->last[s->from][s->to])
      r->order_ok[s->from][s->to] = 0;
    r->last[s->from][s->to] = seq;
  }
  jnet_buf_free(&b);
  jnet_close(u);
}

/* Send PR_N numbered datagrams from `from` to `to`, one every PR_GAP s. */
static void send_fiber(void *arg) {
  sender *s = arg;
  char src[64], dst[64], port[16];
  addr_of(s->from, src, sizeof src);
  addr_of(s->to, dst, sizeof dst);
  snprintf(port, sizeof port, "%d", 9000 + s->from);
  jnet_sleep(0.001); /* after the receivers bound */
  jnet_stream u;
  jnet_addr a;
  if (jnet_listen(src, NULL, JNET_DATAGRAM, &u) < 0)
    return;
  if (jnet_address(dst, port, JNET_DATAGRAM, &a) == 0)
    for (int i = 0; i < PR_N; i++) {
      jnet_send_to(u, &a, &i, sizeof i, 1.0);
      jnet_sleep(PR_GAP);
    }
  jnet_close(u);
}

typedef void (*fault_fn)(st_world *w);

/* Hosts h0, h1, h2; traffic both ways between h0 and h1, and between h0
 * and h2; fault(w) applied before anything is sent; heal(w), if not NULL,
 * at 1 s (after the senders are done, before the receivers give up). */
static dir_run *run_dirs(fault_fn fault, void (*heal)(jnet_sim *, void *)) {
  static sender sd[8];
  dir_run *r = calloc(1, sizeof *r);
  ck_assert_ptr_nonnull(r);
  r->w = st_new(7, 3);
  st_loop(r->w);
  int pairs[4][2] = {{0, 1}, {1, 0}, {0, 2}, {2, 0}};
  for (int i = 0; i < 4; i++) {
    sd[i] = (sender){r, pairs[i][0], pairs[i][1]};
    st_go(r->w, pairs[i][1], recv_fiber, &sd[i]);
    st_go(r->w, pairs[i][0], send_fiber, &sd[i]);
  }
  if (fault)
    fault(r->w);
  if (heal)
    ck_assert_int_eq(jnet_sim_at(r->w->sim, JNET_SIM_S / 2, heal, r->w), 0);
  st_run(r->w);
  return r;
}

static void done_dirs(dir_run *r) {
  st_free(r->w);
  free(r);
}

/* Expect exactly n datagrams from -> to (and, when n > 0, in order). */
static void expect_dir(dir_run *r, int from, int to, int n, const char *what) {
  ck_assert_msg(r->got[from][to] == n, "%s: h%d -> h%d delivered %d, want %d",
                what, from, to, r->got[from][to], n);
  if (n > 0)
    ck_assert_msg(r->order_ok[from][to], "%s: h%d -> h%d out of order", what,
                  from, to);
}

static void f_both(st_world *w) {
  ck_assert_int_eq(jnet_sim_partition(w->sim, w->h[0], w->h[1], JNET_BOTH_WAYS), 0);
}
static void f_oneway_01(st_world *w) {
  ck_assert_int_eq(jnet_sim_partition(w->sim, w->h[0], w->h[1], JNET_ONE_WAY), 0);
}
static void f_oneway_10(st_world *w) {
  ck_assert_int_eq(jnet_sim_partition(w->sim, w->h[1], w->h[0], JNET_ONE_WAY), 0);
}
static void f_groups_both(st_world *w) {
  jnet_node *ga[] = {w->h[0]};
  jnet_node *gb[] = {w->h[1], w->h[2]};
  ck_assert_int_eq(
      jnet_sim_partition_groups(w->sim, ga, 1, gb, 2, JNET_BOTH_WAYS), 0);
}
static void f_groups_oneway(st_world *w) {
  jnet_node *ga[] = {w->h[1], w->h[2]};
  jnet_node *gb[] = {w->h[0]};
  ck_assert_int_eq(
      jnet_sim_partition_groups(w->sim, ga, 2, gb, 1, JNET_ONE_WAY), 0);
}
static void f_clog(st_world *w) {
  ck_assert_int_eq(jnet_sim_clog(w->sim, w->h[0], w->h[1]), 0);
}
static void h_heal(jnet_sim *sim, void *arg) {
  st_world *w = arg;
  jnet_sim_heal(sim, w->h[0], w->h[1]);
}
static void h_heal_reversed(jnet_sim *sim, void *arg) {
  st_world *w = arg; /* heal names the pair in the other order */
  jnet_sim_heal(sim, w->h[1], w->h[0]);
}
static void h_heal_all(jnet_sim *sim, void *arg) {
  (void)arg;
  jnet_sim_heal_all(sim);
}
static void h_unclog(jnet_sim *sim, void *arg) {
  st_world *w = arg;
  jnet_sim_unclog(sim, w->h[0], w->h[1]);
}

START_TEST(no_fault_delivers_everything_every_way) {
  dir_run *r = run_dirs(NULL, NULL);
  expect_dir(r, 0, 1, PR_N, "no fault");
  expect_dir(r, 1, 0, PR_N, "no fault");
  expect_dir(r, 0, 2, PR_N, "no fault");
  expect_dir(r, 2, 0, PR_N, "no fault");
  done_dirs(r);
}
END_TEST

START_TEST(both_ways_partition_cuts_both_directions_and_nothing_else) {
  dir_run *r = run_dirs(f_both, NULL);
  expect_dir(r, 0, 1, 0, "both ways");
  expect_dir(r, 1, 0, 0, "both ways");
  expect_dir(r, 0, 2, PR_N, "both ways, other pair");
  expect_dir(r, 2, 0, PR_N, "both ways, other pair");
  done_dirs(r);
}
END_TEST

START_TEST(one_way_partition_cuts_only_from_a_to_b) {
  dir_run *r = run_dirs(f_oneway_01, NULL);
  expect_dir(r, 0, 1, 0, "h0 -> h1 one way");
  expect_dir(r, 1, 0, PR_N, "h0 -> h1 one way");
  expect_dir(r, 0, 2, PR_N, "h0 -> h1 one way, other pair");
  done_dirs(r);
  r = run_dirs(f_oneway_10, NULL);
  expect_dir(r, 1, 0, 0, "h1 -> h0 one way");
  expect_dir(r, 0, 1, PR_N, "h1 -> h0 one way");
  expect_dir(r, 2, 0, PR_N, "h1 -> h0 one way, other pair");
  done_dirs(r);
}
END_TEST

START_TEST(group_partitions_cut_every_pair_in_the_directions_claimed) {
  dir_run *r = run_dirs(f_groups_both, NULL);
  expect_dir(r, 0, 1, 0, "groups both ways");
  expect_dir(r, 1, 0, 0, "groups both ways");
  expect_dir(r, 0, 2, 0, "groups both ways");
  expect_dir(r, 2, 0, 0, "groups both ways");
  done_dirs(r);
  r = run_dirs(f_groups_oneway, NULL); /* {h1, h2} -> {h0} only */
  expect_dir(r, 1, 0, 0, "groups one way");
  expect_dir(r, 2, 0, 0, "groups one way");
  expect_dir(r, 0, 1, PR_N, "groups one way");
  expect_dir(r, 0, 2, PR_N, "groups one way");
  done_dirs(r);
}
END_TEST

/* A heal in the middle: what was sent before is lost, what is sent after
 * arrives, in both directions, whichever order heal names the pair in. */
START_TEST(heal_restores_both_directions) {
  void (*heals[])(jnet_sim *, void *) = {h_heal, h_heal_reversed, h_heal_all};
  for (int k = 0; k < 3; k++) {
    dir_run *r = run_dirs(f_both, heals[k]);
    for (int d = 0; d < 2; d++) {
      int from = d, to = 1 - d;
      ck_assert_msg(r->got[from][to] == 0,
                    "heal %d: h%d -> h%d: %d arrived, all were sent before "
                    "the heal", k, from, to, r->got[from][to]);
    }
    done_dirs(r);
  }
  /* Senders still sending at the heal: late datagrams arrive both ways. */
  for (int k = 0; k < 3; k++) {
    dir_run *r = calloc(1, sizeof *r);
    static sender sd[2];
    r->w = st_new(7, 3);
    st_loop(r->w);
    for (int d = 0; d < 2; d++) {
      sd[d] = (sender){r, d, 1 - d};
      st_go(r->w, 1 - d, recv_fiber, &sd[d]);
      st_go(r->w, d, send_fiber, &sd[d]);
    }
    f_both(r->w);
    /* the senders send at ~0.001 + 0.01 i s: heal after the 10th */
    ck_assert_int_eq(jnet_sim_at(r->w->sim, 95 * JNET_SIM_MS, heals[k], r->w),
                     0);
    st_run(r->w);
    for (int d = 0; d < 2; d++) {
      int got = r->got[d][1 - d];
      ck_assert_msg(got >= PR_N / 2 - 1 && got < PR_N,
                    "heal %d mid-run: h%d -> h%d got %d of %d", k, d, 1 - d,
                    got, PR_N);
      ck_assert_int_eq(r->last[d][1 - d], PR_N - 1);
    }
    done_dirs(r);
  }
}
END_TEST

/* Clog holds both directions (nothing lost) until unclog, then all of it
 * arrives, in order. */
START_TEST(clog_holds_both_directions_and_unclog_delivers_all_in_order) {
  dir_run *r = run_dirs(f_clog, h_unclog);
  for (int d = 0; d < 2; d++) {
    expect_dir(r, d, 1 - d, PR_N, "clog then unclog");
    ck_assert_msg(r->first_t[d][1 - d] >= 0.5,
                  "clog: h%d -> h%d delivered at %.3f s, before the unclog",
                  d, 1 - d, r->first_t[d][1 - d]);
  }
  expect_dir(r, 0, 2, PR_N, "clog, other pair");
  ck_assert_msg(r->first_t[0][2] < 0.1, "the other pair was held back");
  done_dirs(r);
}
END_TEST

/* ---- orders ------------------------------------------------------------- */

typedef struct order_log {
  char log[64];
  int n;
  double t[64];
} order_log;

static order_log *olog;

typedef struct sleeper {
  int id;
  double secs;
} sleeper;

static void sleep_then_log(void *arg) {
  sleeper *s = arg;
  jnet_sleep(s->secs);
  olog->t[olog->n] = jnet_now();
  olog->log[olog->n++] = (char)('a' + s->id);
}

static void log_now(void *arg) {
  sleeper *s = arg;
  olog->t[olog->n] = jnet_now();
  olog->log[olog->n++] = (char)('a' + s->id);
}

START_TEST(spawned_fibers_run_in_spawn_order) {
  static order_log lg;
  static sleeper s[8];
  memset(&lg, 0, sizeof lg);
  olog = &lg;
  st_world *w = st_new(1, 2);
  st_loop(w);
  for (int i = 0; i < 8; i++) {
    s[i] = (sleeper){i, 0};
    /* alternate hosts: the order is the loop's, not a host's */
    st_go(w, i % 2, log_now, &s[i]);
  }
  st_run(w);
  ck_assert_str_eq(lg.log, "abcdefgh");
  st_free(w);
}
END_TEST

/* Timers of equal deadline fire in the order they were armed, whatever
 * the order of the fibers, and an earlier deadline armed later still
 * fires first. */
START_TEST(equal_deadlines_fire_in_the_order_armed) {
  static order_log lg;
  static sleeper s[6];
  memset(&lg, 0, sizeof lg);
  olog = &lg;
  st_world *w = st_new(1, 2);
  st_loop(w);
  /* a, b, c sleep 0.5 s; d sleeps 0.25 s; e, f sleep 0.5 s */
  double secs[6] = {0.5, 0.5, 0.5, 0.25, 0.5, 0.5};
  for (int i = 0; i < 6; i++) {
    s[i] = (sleeper){i, secs[i]};
    st_go(w, (i * 5) % 2, sleep_then_log, &s[i]);
  }
  st_run(w);
  ck_assert_str_eq(lg.log, "dabcef");
  ck_assert_double_eq_tol(lg.t[0], 0.25, 1e-9);
  for (int i = 1; i < 6; i++)
    ck_assert_double_eq_tol(lg.t[i], 0.5, 1e-9);
  st_free(w);
}
END_TEST

/* ---- timeout <= 0 ----------------------------------------------------- */

typedef struct zero_run {
  char log[32];
  int n;
  long r[16];
  double t_before[16], t_after[16];
  jnet_stream srv, cli, acc, udp;
} zero_run;

static zero_run *zr;

static void zlog(char c) {
  if (zr->n < (int)sizeof zr->log - 1)
    zr->log[zr->n++] = c;
}

static void other_fiber(void *arg) {
  (void)arg;
  zlog('o');
}

/* Each call with timeout 0 or -1 and nothing ready returns ETIMEDOUT at
 * once: the other runnable fiber has not run ('o' not logged between) and
 * jnet_now() has not moved. */
static void zero_main(void *arg) {
  (void)arg;
  jnet_buf b;
  jnet_buf_init(&b);
  zr->r[15] = jnet_listen("192.0.2.1", "7000", JNET_STREAM, &zr->srv);
  zr->r[14] = jnet_connect("192.0.2.1", "7000", JNET_STREAM, NULL, NULL, &zr->cli);
  zr->r[13] = jnet_accept(zr->srv, 5.0, &zr->acc);
  zr->r[12] = jnet_listen("192.0.2.1", "7001", JNET_DATAGRAM, &zr->udp);
  jnet_go(NULL, other_fiber, NULL); /* runnable from now on */
  double tos[2] = {0.0, -1.0};
  int k = 0;
  for (int i = 0; i < 2; i++) {
    double to = tos[i];
    jnet_stream extra;
    zr->t_before[k] = jnet_now();
    zr->r[k] = jnet_read(zr->acc, 10, &b, to);
    zr->t_after[k++] = jnet_now();
    zlog('r');
    zr->t_before[k] = jnet_now();
    zr->r[k] = jnet_chunk(zr->acc, 10, &b, to);
    zr->t_after[k++] = jnet_now();
    zlog('c');
    zr->t_before[k] = jnet_now();
    zr->r[k] = jnet_accept(zr->srv, to, &extra);
    zr->t_after[k++] = jnet_now();
    zlog('a');
    zr->t_before[k] = jnet_now();
    zr->r[k] = jnet_recv_from(zr->udp, 10, &b, to, NULL);
    zr->t_after[k++] = jnet_now();
    zlog('u');
  }
  /* Data that is there comes back at once with timeout 0. */
  jnet_write(zr->cli, "hello", 5, 5.0);
  jnet_sleep(0.5); /* let it arrive (other_fiber runs here) */
  zlog('s');
  jnet_buf_reset(&b);
  zr->t_before[k] = jnet_now();
  zr->r[k] = jnet_read(zr->acc, 5, &b, 0);
  zr->t_after[k++] = jnet_now();
  zlog('d');
  jnet_buf_free(&b);
  jnet_close(zr->acc);
  jnet_close(zr->cli);
  jnet_close(zr->srv);
  jnet_close(zr->udp);
}

START_TEST(timeout_zero_lets_no_fiber_run_and_no_time_pass) {
  static zero_run z;
  memset(&z, 0, sizeof z);
  zr = &z;
  st_world *w = st_new(3, 1);
  st_go(w, 0, zero_main, NULL);
  st_run(w);
  ck_assert_int_eq(z.r[15], 0);
  ck_assert_int_eq(z.r[14], 0);
  ck_assert_int_eq(z.r[13], 0);
  ck_assert_int_eq(z.r[12], 0);
  for (int k = 0; k < 8; k++) {
    ck_assert_msg(z.r[k] == JNET_ETIMEDOUT, "call %d returned %ld", k, z.r[k]);
    ck_assert_msg(z.t_after[k] == z.t_before[k],
                  "call %d let virtual time pass: %.9f -> %.9f", k,
                  z.t_before[k], z.t_after[k]);
  }
  ck_assert_int_eq(z.r[8], 5);
  ck_assert_double_eq(z.t_after[8], z.t_before[8]);
  /* every zero-timeout call ran before the other fiber got a turn */
  ck_assert_str_eq(z.log, "rcaurcauosd");
  st_free(w);
}
END_TEST

/* ---- random streams --------------------------------------------------- */

typedef struct draws {
  uint64_t v[8];
} draws;

static void draw_fiber(void *arg) {
  draws *d = arg;
  for (int i = 0; i < 8; i++)
    d->v[i] = jnet_random();
}

/* Host h0's draws do not depend on other hosts, links or their traffic. */
static void host_draws(uint64_t seed, int variant, draws *out) {
  st_world *w = st_new(seed, 3);
  if (variant >= 1) { /* a link between the other two hosts */
    jnet_link_params lp;
    jnet_link_params_default(&lp);
    lp.loss = 0.5;
    lp.jitter_ns = 3 * JNET_SIM_MS;
    ck_assert_int_eq(jnet_sim_link(w->sim, w->h[1], w->h[2], &lp), 0);
  }
  if (variant >= 2) /* and one more host */
    st_add_host(w);
  st_go(w, 0, draw_fiber, out);
  if (variant >= 3) { /* and draws on another host first */
    static draws other;
    st_go(w, 1, draw_fiber, &other);
  }
  st_run(w);
  st_free(w);
}

START_TEST(a_hosts_random_draws_ignore_other_hosts_and_links) {
  draws d[4], e;
  for (int v = 0; v < 4; v++)
    host_draws(11, v, &d[v]);
  for (int v = 1; v < 4; v++)
    for (int i = 0; i < 8; i++)
      ck_assert_msg(d[v].v[i] == d[0].v[i], "variant %d moved draw %d", v, i);
  host_draws(12, 0, &e);
  ck_assert_msg(memcmp(&e, &d[0], sizeof e) != 0, "another seed, same draws");
}
END_TEST

/* The delivery times on h0 -> h1 (jitter and loss drawn per packet) do not
 * move when the h0 -> h2 link changes its parameters and carries traffic. */
typedef struct timing {
  dir_run *r;
  double t[PR_N];
  int n;
} timing;

static timing *tm;

static void timed_recv(void *arg) {
  (void)arg;
  jnet_stream u;
  if (jnet_listen("192.0.2.2", "9000", JNET_DATAGRAM, &u) < 0)
    return;
  jnet_buf b;
  jnet_buf_init(&b);
  while (tm->n < PR_N) {
    jnet_buf_reset(&b);
    if (jnet_recv_from(u, 64, &b, 1.0, NULL) < 0)
      break;
    tm->t[tm->n++] = jnet_now();
  }
  jnet_buf_free(&b);
  jnet_close(u);
}

static void link_timings(int variant, timing *out) {
  static sender sd[2];
  memset(out, 0, sizeof *out);
  tm = out;
  st_world *w = st_new(21, 3);
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.jitter_ns = 4 * JNET_SIM_MS;
  lp.jitter_dist = JNET_JITTER_EXPONENTIAL;
  lp.loss = 0.2;
  ck_assert_int_eq(jnet_sim_link(w->sim, w->h[0], w->h[1], &lp), 0);
  if (variant >= 1) {
    jnet_link_params other;
    jnet_link_params_default(&other);
    other.loss = 0.3;
    other.duplicate = 0.2;
    other.jitter_ns = 9 * JNET_SIM_MS;
    ck_assert_int_eq(jnet_sim_link(w->sim, w->h[0], w->h[2], &other), 0);
  }
  dir_run r = {0};
  r.w = w;
  sd[0] = (sender){&r, 0, 1};
  st_go(w, 1, timed_recv, NULL);
  st_go(w, 0, send_fiber, &sd[0]);
  if (variant >= 2) { /* traffic on the other link, interleaved */
    sd[1] = (sender){&r, 0, 2};
    st_go(w, 2, recv_fiber, &sd[1]);
    st_go(w, 0, send_fiber, &sd[1]);
  }
  st_run(w);
  st_free(w);
}

START_TEST(a_links_draws_ignore_another_links_parameters_and_traffic) {
  static timing a, b, c;
  link_timings(0, &a);
  link_timings(1, &b);
  link_timings(2, &c);
  ck_assert_int_gt(a.n, PR_N / 2);
  ck_assert_int_lt(a.n, PR_N); /* the loss did draw */
  ck_assert_int_eq(a.n, b.n);
  ck_assert_int_eq(a.n, c.n);
  for (int i = 0; i < a.n; i++) {
    ck_assert_double_eq(a.t[i], b.t[i]);
    ck_assert_double_eq(a.t[i], c.t[i]);
  }
}
END_TEST

/* A link's stream is drawn from only by the random faults it has: traffic
 * over it while it only limits bandwidth (no jitter, loss, duplication,
 * reordering or corruption) takes no draw, so the jitter it is given later
 * is the same sequence as on a link that carried nothing random before.
 * Phase 1 (0-0.2 s): PR_N datagrams over a plain link (variant 0) or a
 * 100 Mbit/s one (variant 1); at 1 s the link gets exponential jitter;
 * phase 2 (from 1.5 s): PR_N more, whose delivery times must agree. */
static double late_t[PR_N];
static int late_n;

static void late_recv(void *arg) {
  (void)arg;
  jnet_stream u;
  if (jnet_listen("192.0.2.2", "9000", JNET_DATAGRAM, &u) < 0)
    return;
  jnet_buf b;
  jnet_buf_init(&b);
  while (late_n < PR_N) {
    jnet_buf_reset(&b);
    if (jnet_recv_from(u, 64, &b, 3.0, NULL) < 0)
      break;
    int i;
    memcpy(&i, b.data, sizeof i);
    if (i >= PR_N)
      late_t[late_n++] = jnet_now();
  }
  jnet_buf_free(&b);
  jnet_close(u);
}

static void two_phase_send(void *arg) {
  (void)arg;
  jnet_sleep(0.001);
  jnet_stream u;
  jnet_addr a;
  if (jnet_listen("192.0.2.1", NULL, JNET_DATAGRAM, &u) < 0)
    return;
  if (jnet_address("192.0.2.2", "9000", JNET_DATAGRAM, &a) == 0)
    for (int i = 0; i < 2 * PR_N; i++) {
      if (i == PR_N)
        jnet_sleep(1.5 - jnet_now());
      jnet_send_to(u, &a, &i, sizeof i, 1.0);
      jnet_sleep(PR_GAP);
    }
  jnet_close(u);
}

static void add_jitter(jnet_sim *sim, void *arg) {
  st_world *w = arg;
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.jitter_ns = 4 * JNET_SIM_MS;
  lp.jitter_dist = JNET_JITTER_EXPONENTIAL;
  ck_assert_int_eq(jnet_sim_link_oneway(sim, w->h[0], w->h[1], &lp), 0);
}

static void late_timings(int bandwidth_first, double *out) {
  memset(late_t, 0, sizeof late_t);
  late_n = 0;
  st_world *w = st_new(21, 2);
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  if (bandwidth_first)
    lp.bandwidth_bps = 100000000;
  ck_assert_int_eq(jnet_sim_link_oneway(w->sim, w->h[0], w->h[1], &lp), 0);
  ck_assert_int_eq(jnet_sim_at(w->sim, JNET_SIM_S, add_jitter, w), 0);
  st_go(w, 1, late_recv, NULL);
  st_go(w, 0, two_phase_send, NULL);
  st_run(w);
  st_free(w);
  ck_assert_int_eq(late_n, PR_N);
  memcpy(out, late_t, sizeof late_t);
}

START_TEST(a_links_draws_are_taken_only_by_its_random_faults) {
  static double plain[PR_N], limited[PR_N];
  late_timings(0, plain);
  late_timings(1, limited);
  int spread = 0;
  for (int i = 0; i < PR_N; i++) {
    ck_assert_msg(plain[i] == limited[i], "datagram %d: %.9f vs %.9f s", i,
                  plain[i], limited[i]);
    spread += i > 0 && plain[i] - plain[i - 1] != plain[1] - plain[0];
  }
  ck_assert_int_gt(spread, 0); /* the jitter did draw */
}
END_TEST

/* ---- flush ---------------------------------------------------------------- */

/* jnet_flush sends what Nagle holds (TCP_NODELAY on, then off): afterwards
 * Nagle is on again, so later small writes are still coalesced. */
typedef struct nagle_run {
  int flush_first; /* write one byte and flush it before the ten */
  long got;
  int same;
} nagle_run;

static void nagle_server(void *arg) {
  nagle_run *r = arg;
  jnet_stream srv, c;
  jnet_buf b;
  jnet_buf_init(&b);
  size_t want = r->flush_first ? 11 : 10;
  if (jnet_listen("192.0.2.2", "8000", JNET_STREAM, &srv) == 0) {
    if (jnet_accept(srv, 10, &c) == 0) {
      while (b.len < want && jnet_chunk(c, want - b.len, &b, 10) > 0)
        ;
      r->got = (long)b.len;
      r->same = memcmp(b.data, r->flush_first ? "x0123456789" : "0123456789",
                       want) == 0;
      jnet_close(c);
    }
    jnet_close(srv);
  }
  jnet_buf_free(&b);
}

static void nagle_client(void *arg) {
  nagle_run *r = arg;
  jnet_stream c;
  jnet_sleep(0.001);
  if (jnet_connect("192.0.2.2", "8000", JNET_STREAM, NULL, NULL, &c) < 0)
    return;
  jnet_sleep(0.1);
  if (r->flush_first) {
    jnet_write(c, "x", 1, 10);
    jnet_flush(c);
    jnet_sleep(0.1); /* its ACK is back: nothing in flight */
  }
  for (int i = 0; i < 10; i++)
    jnet_write(c, &"0123456789"[i], 1, 10);
  jnet_sleep(1);
  jnet_close(c);
}

static uint64_t nagle_packets(int flush_first) {
  nagle_run r = {flush_first, 0, 0};
  st_world *w = st_new(1, 2);
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.latency_ns = 20 * JNET_SIM_MS; /* the ten writes fit in one RTT */
  ck_assert_int_eq(jnet_sim_link(w->sim, w->h[0], w->h[1], &lp), 0);
  st_go(w, 1, nagle_server, &r);
  st_go(w, 0, nagle_client, &r);
  st_run(w);
  jnet_sim_stats st;
  jnet_sim_get_stats(w->sim, &st);
  ck_assert_int_eq(r.got, flush_first ? 11 : 10);
  ck_assert(r.same);
  st_free(w);
  return st.packets_sent;
}

START_TEST(flush_leaves_nagle_on_for_later_writes) {
  uint64_t plain = nagle_packets(0), flushed = nagle_packets(1);
  /* the flushed byte costs its segment and an ACK or two; the ten writes
   * after it are coalesced as before, not sent one by one */
  ck_assert_msg(flushed <= plain + 4,
                "Nagle alone: %llu packets; one flush first: %llu (Nagle "
                "stayed off after the flush)", (unsigned long long)plain,
                (unsigned long long)flushed);
}
END_TEST

/* ---- ICMP port unreachable ------------------------------------------------- */

/* Many connected UDP sockets on one host, all to the same closed port; one
 * sends. The port-unreachable refuses that socket's next read and no
 * other's (Linux: the error goes to the socket the datagram came from). */
#define ICMP_SOCKS 256

typedef struct icmp_run {
  long sender_read;
  int others_refused;
  int opened;
} icmp_run;

static void icmp_main(void *arg) {
  icmp_run *r = arg;
  static jnet_stream u[ICMP_SOCKS];
  jnet_buf b;
  jnet_buf_init(&b);
  for (int i = 0; i < ICMP_SOCKS; i++)
    if (jnet_connect("192.0.2.2", "9", JNET_DATAGRAM, NULL, NULL, &u[i]) == 0)
      r->opened++;
  if (r->opened == ICMP_SOCKS) {
    jnet_write(u[0], "x", 1, 1.0);
    jnet_sleep(0.1); /* the ICMP is back */
    for (int i = 1; i < ICMP_SOCKS; i++)
      if (jnet_recv_from(u[i], 16, &b, 0, NULL) == JNET_ECONNREFUSED)
        r->others_refused++;
    r->sender_read = jnet_recv_from(u[0], 16, &b, 0, NULL);
  }
  for (int i = 0; i < r->opened; i++)
    jnet_close(u[i]);
  jnet_buf_free(&b);
}

START_TEST(port_unreachable_refuses_only_the_socket_that_sent) {
  static icmp_run r;
  memset(&r, 0, sizeof r);
  st_world *w = st_new(1, 2);
  st_go(w, 0, icmp_main, &r);
  st_run(w);
  ck_assert_int_eq(r.opened, ICMP_SOCKS);
  ck_assert_msg(r.sender_read == JNET_ECONNREFUSED, "the sender read %ld",
                r.sender_read);
  ck_assert_msg(r.others_refused == 0, "%d other sockets were refused",
                r.others_refused);
  st_free(w);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("properties-sim");
  jc_defaults(60, NULL, NULL);
  JC_TEST(s, no_fault_delivers_everything_every_way);
  JC_TEST(s, both_ways_partition_cuts_both_directions_and_nothing_else);
  JC_TEST(s, one_way_partition_cuts_only_from_a_to_b);
  JC_TEST(s, group_partitions_cut_every_pair_in_the_directions_claimed);
  JC_TEST(s, heal_restores_both_directions);
  JC_TEST(s, clog_holds_both_directions_and_unclog_delivers_all_in_order);
  JC_TEST(s, spawned_fibers_run_in_spawn_order);
  JC_TEST(s, equal_deadlines_fire_in_the_order_armed);
  JC_TEST(s, timeout_zero_lets_no_fiber_run_and_no_time_pass);
  JC_TEST(s, a_hosts_random_draws_ignore_other_hosts_and_links);
  JC_TEST(s, a_links_draws_ignore_another_links_parameters_and_traffic);
  JC_TEST(s, a_links_draws_are_taken_only_by_its_random_faults);
  JC_TEST(s, flush_leaves_nagle_on_for_later_writes);
  JC_TEST(s, port_unreachable_refuses_only_the_socket_that_sent);
  return s;
}

int main(void) { return st_run_suite(suite()); }
