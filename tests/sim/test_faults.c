/* test_faults.c — faults on a timeline: partitions (both ways, one way,
 * groups) and heal, clog/unclog, link changes mid-run, crash and restart
 * (cancelled fibers, vanished sockets, RST to the peer, mains rerun). */
#include "simtest.h"

typedef struct ft {
  st_world *w;
  int r[16];
  int n;
  double sent_t[400], got_t[400];
  int got_seq[400], ngot;
  int mains;
  double t_cancel;
} ft;

static ft *the;

/* h0 sends a numbered datagram every 100 ms for 3 s; h1 records arrivals. */
static void tick_recv(void *arg) {
  ft *t = arg;
  jnet_stream u;
  t->r[0] = jnet_listen("192.0.2.2", "9000", JNET_DATAGRAM, &u);
  jnet_buf b;
  jnet_buf_init(&b);
  for (;;) {
    jnet_buf_reset(&b);
    if (jnet_recv_from(u, 100, &b, 5.0, NULL) != sizeof(int))
      break;
    int seq;
    memcpy(&seq, b.data, sizeof seq);
    t->got_seq[t->ngot] = seq;
    t->got_t[t->ngot++] = jnet_now();
  }
  jnet_buf_free(&b);
  jnet_close(u);
}

static void tick_send(void *arg) {
  ft *t = arg;
  jnet_stream u;
  jnet_sleep(0.05);
  jnet_listen("192.0.2.1", NULL, JNET_DATAGRAM, &u);
  jnet_addr dst;
  jnet_address("192.0.2.2", "9000", JNET_DATAGRAM, &dst);
  for (int i = 0; i < 30; i++) {
    t->sent_t[i] = jnet_now();
    jnet_send_to(u, &dst, &i, sizeof i, 1);
    jnet_sleep(0.1);
  }
  jnet_close(u);
}

static void do_partition(jnet_sim *s, void *a) {
  (void)a;
  jnet_sim_partition(s, the->w->h[0], the->w->h[1], JNET_BOTH_WAYS);
}
static void do_partition_back(jnet_sim *s, void *a) {
  (void)a; /* only h1 -> h0: h0's packets still flow */
  jnet_sim_partition(s, the->w->h[1], the->w->h[0], JNET_ONE_WAY);
}
static void do_heal(jnet_sim *s, void *a) {
  (void)a;
  jnet_sim_heal(s, the->w->h[0], the->w->h[1]);
}
static void do_clog(jnet_sim *s, void *a) {
  (void)a;
  jnet_sim_clog(s, the->w->h[0], the->w->h[1]);
}
static void do_unclog(jnet_sim *s, void *a) {
  (void)a;
  jnet_sim_unclog(s, the->w->h[0], the->w->h[1]);
}
static void do_slow(jnet_sim *s, void *a) {
  (void)a;
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.latency_ns = 50 * JNET_SIM_MS;
  jnet_sim_link(s, the->w->h[0], the->w->h[1], &lp);
}

static ft *ticks(void (*f1)(jnet_sim *, void *), uint64_t t1_ms,
                 void (*f2)(jnet_sim *, void *), uint64_t t2_ms) {
  ft *t = calloc(1, sizeof *t);
  the = t;
  t->w = st_new(1, 2);
  if (f1)
    ck_assert_int_eq(jnet_sim_at(t->w->sim, t1_ms * JNET_SIM_MS, f1, NULL), 0);
  if (f2)
    ck_assert_int_eq(jnet_sim_at(t->w->sim, t2_ms * JNET_SIM_MS, f2, NULL), 0);
  st_go(t->w, 1, tick_recv, t);
  st_go(t->w, 0, tick_send, t);
  st_run(t->w);
  ck_assert_int_eq(t->r[0], 0);
  return t;
}

START_TEST(partition_drops_what_is_sent_during_it_and_heal_restores) {
  ft *t = ticks(do_partition, 1000, do_heal, 2000);
  /* sent at 0.05 + 0.1 i: i = 10..19 fall in [1 s, 2 s) */
  ck_assert_int_eq(t->ngot, 20);
  for (int k = 0; k < t->ngot; k++) {
    int i = t->got_seq[k];
    ck_assert_msg(i < 10 || i >= 20, "datagram %d crossed the partition", i);
    ck_assert_double_eq_tol(t->got_t[k], t->sent_t[i] + 0.001, 1e-6);
  }
  st_free(t->w);
  free(t);
}
END_TEST

START_TEST(one_way_partition_blocks_only_its_direction) {
  ft *t = ticks(do_partition_back, 500, NULL, 0);
  ck_assert_int_eq(t->ngot, 30); /* h0 -> h1 is untouched */
  st_free(t->w);
  free(t);
  /* and a group partition covers every pair */
  st_world *w = st_new(1, 4);
  jnet_node *ga[] = {w->h[0], w->h[1]}, *gb[] = {w->h[2], w->h[3]};
  ck_assert_int_eq(jnet_sim_partition_groups(w->sim, ga, 2, gb, 2,
                                             JNET_BOTH_WAYS), 0);
  st_loop(w);
  st_free(w);
}
END_TEST

START_TEST(clog_queues_without_loss_then_the_queue_flows_in_order) {
  ft *t = ticks(do_clog, 1000, do_unclog, 2000);
  ck_assert_int_eq(t->ngot, 30);
  for (int k = 0; k < t->ngot; k++) {
    int i = t->got_seq[k];
    ck_assert_int_eq(i, k); /* in order */
    if (t->sent_t[i] >= 1.0 && t->sent_t[i] < 2.0)
      ck_assert_double_eq_tol(t->got_t[k], 2.001, 1e-6);
    else
      ck_assert_double_eq_tol(t->got_t[k], t->sent_t[i] + 0.001, 1e-6);
  }
  st_free(t->w);
  free(t);
}
END_TEST

START_TEST(link_parameters_change_mid_run) {
  ft *t = ticks(do_slow, 1000, NULL, 0);
  ck_assert_int_eq(t->ngot, 30);
  for (int k = 0; k < t->ngot; k++) {
    int i = t->got_seq[k];
    double d = t->got_t[k] - t->sent_t[i];
    ck_assert_double_eq_tol(d, t->sent_t[i] < 1.0 ? 0.001 : 0.050, 1e-6);
  }
  st_free(t->w);
  free(t);
}
END_TEST

/* ---- Crash and restart ------------------------------------------------------------ */

static void crash_server_main(void *arg) { /* h1's registered main */
  ft *t = arg;
  t->mains++;
  jnet_stream srv, c;
  int err = jnet_listen("192.0.2.2", "8000", JNET_STREAM, &srv);
  if (err < 0) {
    t->r[0] = err;
    return;
  }
  if (t->mains > 1) { /* after the restart: a fresh listener that works */
    t->r[1] = jnet_accept(srv, 20, &c);
    if (t->r[1] == 0)
      jnet_close(c);
    jnet_close(srv);
    return;
  }
  t->r[2] = jnet_accept(srv, 10, &c);
  jnet_buf b;
  jnet_buf_init(&b);
  t->r[3] = (int)jnet_read(c, 100, &b, 60); /* crashed while blocked */
  t->t_cancel = jnet_now();
  t->r[4] = jnet_sleep(1); /* a dead host's fiber cannot wait */
  jnet_buf_free(&b);
}

static void crash_client(void *arg) {
  ft *t = arg;
  jnet_stream c;
  jnet_sleep(0.01);
  t->r[5] = jnet_connect("192.0.2.2", "8000", JNET_STREAM, NULL, NULL, &c);
  jnet_sleep(3.0); /* crash at 1 s, restart at 2 s */
  t->r[6] = jnet_write(c, "hello?", 6, 5);
  jnet_buf b;
  jnet_buf_init(&b);
  t->r[7] = (int)jnet_read(c, 100, &b, 5);
  jnet_buf_free(&b);
  jnet_close(c);
  jnet_stream c2;
  t->r[8] = jnet_connect("192.0.2.2", "8000", JNET_STREAM, NULL, NULL, &c2);
  if (t->r[8] == 0)
    jnet_close(c2);
}

static void do_crash(jnet_sim *s, void *a) {
  (void)a;
  the->r[9] = jnet_sim_crash(s, the->w->h[1]);
  the->r[10] = jnet_sim_crash(s, the->w->h[1]);
  the->r[11] = jnet_sim_host_is_up(the->w->h[1]);
}
static void do_restart(jnet_sim *s, void *a) {
  (void)a;
  the->r[12] = jnet_sim_restart(s, the->w->h[1]);
  the->r[13] = jnet_sim_restart(s, the->w->h[1]);
}

START_TEST(crash_cancels_fibers_peer_sees_reset_restart_reruns_main) {
  ft *t = calloc(1, sizeof *t);
  the = t;
  t->w = st_new(1, 2);
  st_loop(t->w);
  ck_assert_int_eq(jnet_node_main(t->w->loop, t->w->h[1], crash_server_main, t), 0);
  st_go(t->w, 0, crash_client, t);
  jnet_sim_at(t->w->sim, 1 * JNET_SIM_S, do_crash, NULL);
  jnet_sim_at(t->w->sim, 2 * JNET_SIM_S, do_restart, NULL);
  st_run(t->w);
  ck_assert_int_eq(t->r[0], 0);
  ck_assert_int_eq(t->r[2], 0);
  ck_assert_int_eq(t->r[3], JNET_ECANCELED);
  ck_assert_double_eq_tol(t->t_cancel, 1.0, 1e-9);
  ck_assert_int_eq(t->r[4], JNET_ECANCELED);
  ck_assert_int_eq(t->r[9], 0);
  ck_assert_int_eq(t->r[10], JNET_EALREADY);
  ck_assert_int_eq(t->r[11], 0);
  ck_assert_int_eq(t->r[12], 0);
  ck_assert_int_eq(t->r[13], JNET_EALREADY);
  ck_assert_int_eq(t->mains, 2);
  ck_assert_int_eq(t->r[5], 0);
  /* the write lands in the send buffer; the restarted host answers RST */
  ck_assert_int_eq(t->r[6], 0);
  ck_assert_int_eq(t->r[7], JNET_ECONNRESET);
  ck_assert_int_eq(t->r[8], 0); /* the new main's listener accepts */
  ck_assert_int_eq(t->r[1], 0);
  st_free(t->w);
  free(t);
}
END_TEST

static void silent_client(void *arg) {
  ft *t = arg;
  jnet_stream c;
  jnet_sleep(0.01);
  t->r[5] = jnet_connect("192.0.2.2", "8000", JNET_STREAM, NULL, NULL, &c);
  jnet_sleep(3.0); /* h1 is down and never restarts */
  t->r[6] = jnet_write(c, "hello?", 6, 5);
  jnet_buf b;
  jnet_buf_init(&b);
  t->r[7] = (int)jnet_read(c, 100, &b, 5);
  jnet_buf_free(&b);
  jnet_close(c);
}

START_TEST(a_crashed_host_is_silent_until_it_restarts) {
  ft *t = calloc(1, sizeof *t);
  the = t;
  t->w = st_new(1, 2);
  st_loop(t->w);
  ck_assert_int_eq(jnet_node_main(t->w->loop, t->w->h[1], crash_server_main, t), 0);
  st_go(t->w, 0, silent_client, t);
  jnet_sim_at(t->w->sim, 1 * JNET_SIM_S, do_crash, NULL);
  int rc = jnet_run_until(t->w->loop, 20.0);
  ck_assert_int_eq(rc, 0);
  ck_assert_int_eq(t->r[5], 0);
  ck_assert_int_eq(t->r[6], 0);
  ck_assert_int_eq(t->r[7], JNET_ETIMEDOUT); /* no RST from a dead host */
  jnet_sim_stats st;
  jnet_sim_get_stats(t->w->sim, &st);
  ck_assert_uint_gt(st.retransmits, 0);
  st_free(t->w);
  free(t);
}
END_TEST

/* --- br-sim: a queued connection that dies before accept --- */

/* h0 listens with SO_KEEPALIVE (its connections inherit it) and accepts
 * nothing for 30 s. h1, h2 and h3 connect in that order; one of them
 * crashes at 1 s, so its queued connection (the queue's head, middle or
 * tail) is reset by keepalive at ~16 s and leaves the queue; h4 connects
 * at 20 s. The server then accepts the other three, in connect order. */
typedef struct aq {
  st_world *w;
  int crash; /* the host that crashes */
  int r[8];
  char peer[4][64];
  int naccepted;
} aq;

static void aq_server(void *arg) {
  aq *t = arg;
  jnet_stream srv;
  t->r[0] = jnet_listen("192.0.2.1", "8000", JNET_STREAM, &srv);
  if (t->r[0] < 0)
    return;
  t->r[1] = jnet_setsockopt(srv, JNET_SO_KEEPALIVE, jnet_opt_bool(1));
  jnet_sleep(30);
  for (int i = 0; i < 4; i++) {
    jnet_stream c;
    int err = jnet_accept(srv, 1, &c);
    if (err < 0) {
      t->r[2] = err;
      break;
    }
    jnet_addr a;
    int port = 0;
    if (jnet_peername(c, &a) == 0)
      jnet_address_unpack(&a, t->peer[i], sizeof t->peer[i], &port);
    t->naccepted++;
    jnet_close(c);
  }
  jnet_close(srv);
}

static void aq_client(void *arg) {
  aq *t = arg;
  jnet_node *self = jnet_self_node();
  int idx = 0;
  for (int i = 0; i < t->w->n; i++)
    if (t->w->h[i] == self)
      idx = i;
  jnet_sleep(idx == 4 ? 20.0 : 0.001 * idx);
  jnet_stream c;
  t->r[3 + idx] = jnet_connect("192.0.2.1", "8000", JNET_STREAM, NULL, NULL, &c);
  if (t->r[3 + idx] < 0)
    return;
  jnet_buf b;
  jnet_buf_init(&b);
  (void)jnet_read(c, 100, &b, 60); /* the server's close: EOF */
  jnet_buf_free(&b);
  jnet_close(c);
}

static void aq_crash(jnet_sim *s, void *a) {
  aq *t = a;
  jnet_sim_crash(s, t->w->h[t->crash]);
}

START_TEST(queued_connection_reset_before_accept_leaves_the_queue_in_order) {
  for (int crash = 1; crash <= 3; crash++) {
    aq t = {0};
    t.crash = crash;
    t.w = st_new(1, 5);
    jnet_sim_tcp_params tp;
    jnet_sim_tcp_params_default(&tp);
    tp.keepalive_idle_ns = 10 * JNET_SIM_S;
    tp.keepalive_intvl_ns = 2 * JNET_SIM_S;
    tp.keepalive_probes = 3;
    ck_assert_int_eq(jnet_sim_host_tcp(t.w->h[0], &tp), 0);
    ck_assert_int_eq(jnet_sim_at(t.w->sim, JNET_SIM_S, aq_crash, &t), 0);
    st_go(t.w, 0, aq_server, &t);
    for (int i = 1; i <= 4; i++)
      st_go(t.w, i, aq_client, &t);
    st_run(t.w);
    ck_assert_int_eq(t.r[0], 0);
    ck_assert_int_eq(t.r[1], 0);
    ck_assert_int_eq(t.r[2], JNET_ETIMEDOUT);
    for (int i = 1; i <= 4; i++)
      ck_assert_int_eq(t.r[3 + i], 0);
    ck_assert_int_eq(t.naccepted, 3);
    for (int i = 1, k = 0; i <= 4; i++) {
      if (i == crash)
        continue;
      char want[16];
      snprintf(want, sizeof want, "192.0.2.%d", i + 1);
      ck_assert_msg(strcmp(t.peer[k], want) == 0, "crash h%d: accept %d is %s",
                    crash, k, t.peer[k]);
      k++;
    }
    st_free(t.w);
  }
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("sim-faults");
  jc_defaults(60, NULL, NULL);
  JC_TEST(s, partition_drops_what_is_sent_during_it_and_heal_restores);
  JC_TEST(s, one_way_partition_blocks_only_its_direction);
  JC_TEST(s, clog_queues_without_loss_then_the_queue_flows_in_order);
  JC_TEST(s, link_parameters_change_mid_run);
  JC_TEST(s, crash_cancels_fibers_peer_sees_reset_restart_reruns_main);
  JC_TEST(s, a_crashed_host_is_silent_until_it_restarts);
  JC_TEST(s, queued_connection_reset_before_accept_leaves_the_queue_in_order);
  return s;
}

int main(void) { return st_run_suite(suite()); }
