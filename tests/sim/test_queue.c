/* test_queue.c — ctest sim-queue: the model's event queue (sim/event.c)
 * gives events back in (time, insertion) order whether they sit in the heap
 * or in the per-delay lanes, with cancels and reschedules in between; and a
 * world deep enough to use the lanes replays to the same fingerprint; and
 * a TCP segment delivered out of its order (an old ACK) changes nothing.
 * White-box: drives jnet__sim_ev_* on a sim's queue directly, and hands a
 * segment to jnet__sim_tcp_input. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include "simtest.h"

#include "model.h"

#define MAX_EVENTS 4000

/* A deterministic little generator (not the sim's streams). */
static uint64_t next_rand(uint64_t *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return *s >> 33;
}

/* Pop everything left and check the order; returns how many came out. */
static int drain_in_order(jnet__sim *sim, uint64_t *last_t, uint64_t *last_seq,
                          int first) {
  int n = 0;
  jnet__sim_event *e;
  while ((e = jnet__sim_ev_pop(sim)) != NULL) {
    ck_assert_int_eq(e->idx, 0);
    if (!first || n > 0)
      ck_assert_msg(e->t_ns > *last_t ||
                        (e->t_ns == *last_t && e->seq > *last_seq),
                    "event (%llu, %llu) after (%llu, %llu)",
                    (unsigned long long)e->t_ns, (unsigned long long)e->seq,
                    (unsigned long long)*last_t,
                    (unsigned long long)*last_seq);
    *last_t = e->t_ns;
    *last_seq = e->seq;
    if (e->kind == JNET__SIM_EV_PKT)
      jnet__sim_pkt_free(sim, (jnet__sim_spkt *)e);
    n++;
  }
  return n;
}

/* Packets at a few fixed delays (lanes once the queue is deep), more
 * delays than there are lanes (some spill into the heap), timers at any
 * time in the heap, some cancelled or moved, the clock advancing as events
 * are taken: every event comes out once, in (time, sequence) order. */
START_TEST(lanes_and_heap_give_time_then_insertion_order) {
  jnet_sim *sim;
  ck_assert_int_eq(jnet_sim_new(&sim, 1), 0);
  static jnet__sim_event timers[MAX_EVENTS];
  static const uint64_t delays[] = {1000, 10000, 250, 1000000, 7, 33, 5000};
  uint64_t rs = 42, last_t = 0, last_seq = 0;
  int scheduled = 0, popped = 0, ntimers = 0, first = 1;
  uint32_t max_lane = 0, max_heap = 0;
  for (int round = 0; round < 40; round++) {
    /* a burst of packets and timers at the current time */
    for (int i = 0; i < 100; i++) {
      if (next_rand(&rs) % 4 == 0 && ntimers < MAX_EVENTS) {
        jnet__sim_event *t = &timers[ntimers++];
        t->kind = JNET__SIM_EV_TCP;
        ck_assert_int_eq(
            jnet__sim_ev_schedule(sim, t, sim->now_ns + next_rand(&rs) % 20000),
            0);
      } else {
        jnet__sim_spkt *p = jnet__sim_pkt_alloc(sim, 0);
        ck_assert_ptr_nonnull(p);
        p->ev.kind = JNET__SIM_EV_PKT;
        uint64_t d = delays[next_rand(&rs) % (sizeof delays / sizeof *delays)];
        ck_assert_int_eq(jnet__sim_ev_schedule_pkt(sim, p, d), 0);
      }
      scheduled++;
    }
    /* move or cancel a few timers still queued */
    for (int i = 0; i < 10 && ntimers > 0; i++) {
      jnet__sim_event *t = &timers[next_rand(&rs) % (uint64_t)ntimers];
      if (t->idx == 0)
        continue;
      if (next_rand(&rs) % 2) {
        jnet__sim_ev_cancel(sim, t);
        ck_assert_int_eq(t->idx, 0);
        scheduled--;
      } else {
        ck_assert_int_eq(
            jnet__sim_ev_schedule(sim, t, sim->now_ns + next_rand(&rs) % 5000),
            0);
      }
    }
    ck_assert_uint_eq(jnet__sim_ev_count(sim), (uint32_t)(scheduled - popped));
    if (sim->lane_n > max_lane)
      max_lane = sim->lane_n;
    if (sim->heap.n > max_heap)
      max_heap = sim->heap.n;
    /* take about half, advancing the clock as the run loop does */
    for (int i = 0; i < 60; i++) {
      jnet__sim_event *e = jnet__sim_ev_peek(sim);
      if (e == NULL)
        break;
      jnet__sim_ev_take(sim, e);
      ck_assert_int_eq(e->idx, 0);
      if (!first)
        ck_assert(e->t_ns > last_t ||
                  (e->t_ns == last_t && e->seq > last_seq));
      first = 0;
      last_t = e->t_ns;
      last_seq = e->seq;
      if (e->t_ns > sim->now_ns)
        sim->now_ns = e->t_ns;
      if (e->kind == JNET__SIM_EV_PKT)
        jnet__sim_pkt_free(sim, (jnet__sim_spkt *)e);
      popped++;
    }
  }
  ck_assert_msg(max_lane > 50 && max_heap > 50, "lanes %u, heap %u at most",
                (unsigned)max_lane, (unsigned)max_heap);
  popped += drain_in_order(sim, &last_t, &last_seq, first);
  ck_assert_int_eq(popped, scheduled);
  ck_assert_uint_eq(jnet__sim_ev_count(sim), 0);
  jnet_sim_free(sim);
}
END_TEST

/* A packet taken out of the middle of its lane (cancel) is gone, and the
 * rest of the lane keeps its order. */
START_TEST(cancel_in_a_lane_keeps_the_rest_in_order) {
  jnet_sim *sim;
  ck_assert_int_eq(jnet_sim_new(&sim, 1), 0);
  jnet__sim_spkt *p[100];
  for (int i = 0; i < 100; i++) {
    p[i] = jnet__sim_pkt_alloc(sim, 0);
    ck_assert_ptr_nonnull(p[i]);
    p[i]->ev.kind = JNET__SIM_EV_PKT;
    ck_assert_int_eq(jnet__sim_ev_schedule_pkt(sim, p[i], 1000), 0);
  }
  ck_assert_uint_gt(sim->lane_n, 0); /* deep enough: some went to a lane */
  jnet__sim_ev_cancel(sim, &p[80]->ev);
  jnet__sim_ev_cancel(sim, &p[99]->ev); /* the tail */
  ck_assert_int_eq(p[80]->ev.idx, 0);
  jnet__sim_pkt_free(sim, p[80]);
  jnet__sim_pkt_free(sim, p[99]);
  int expect = 0;
  jnet__sim_event *e;
  while ((e = jnet__sim_ev_pop(sim)) != NULL) {
    if (expect == 80)
      expect++;
    ck_assert_ptr_eq(e, &p[expect]->ev);
    jnet__sim_pkt_free(sim, (jnet__sim_spkt *)e);
    expect++;
  }
  ck_assert_int_eq(expect, 99);
  /* a lane emptied by a cancel of its last packet takes new ones */
  jnet__sim_spkt *q = jnet__sim_pkt_alloc(sim, 0);
  ck_assert_int_eq(jnet__sim_ev_schedule_pkt(sim, q, 5), 0);
  ck_assert_ptr_eq(jnet__sim_ev_pop(sim), &q->ev);
  jnet__sim_pkt_free(sim, q);
  jnet_sim_free(sim);
}
END_TEST

/* The cancel of the only packet left in the lanes (the heap still deep)
 * leaves the heap's events, in order, and a lane that takes new packets.
 * (lane_remove must not look for a first lane then: with none, UBSan
 * reports ctz(0) and a NULL head in lane_first_find.) */
START_TEST(cancel_of_the_last_lane_packet_leaves_the_heap) {
  jnet_sim *sim;
  ck_assert_int_eq(jnet_sim_new(&sim, 1), 0);
  enum { NP = JNET__SIM_LANES_FROM + 2 };
  jnet__sim_spkt *p[NP];
  for (int i = 0; i < NP; i++) {
    p[i] = jnet__sim_pkt_alloc(sim, 0);
    ck_assert_ptr_nonnull(p[i]);
    p[i]->ev.kind = JNET__SIM_EV_PKT;
    ck_assert_int_eq(jnet__sim_ev_schedule_pkt(sim, p[i], 1000 + i), 0);
  }
  ck_assert_uint_eq(sim->lane_n, 2); /* the two past JNET__SIM_LANES_FROM */
  jnet__sim_ev_cancel(sim, &p[NP - 2]->ev); /* the lane's head */
  jnet__sim_ev_cancel(sim, &p[NP - 1]->ev); /* the last in any lane */
  ck_assert_int_eq(p[NP - 1]->ev.idx, 0);
  ck_assert_uint_eq(jnet__sim_ev_count(sim), NP - 2);
  int out = 0;
  jnet__sim_event *e;
  while ((e = jnet__sim_ev_pop(sim)) != NULL) {
    ck_assert_ptr_eq(e, &p[out]->ev);
    out++;
  }
  ck_assert_int_eq(out, NP - 2);
  /* the queue deep again: the cancelled packets go back to a lane */
  for (int i = 0; i < NP; i++)
    ck_assert_int_eq(jnet__sim_ev_schedule_pkt(sim, p[i], 2000 + i), 0);
  ck_assert_uint_eq(sim->lane_n, 2);
  for (out = 0; (e = jnet__sim_ev_pop(sim)) != NULL; out++)
    ck_assert_ptr_eq(e, &p[out]->ev);
  ck_assert_int_eq(out, NP);
  for (int i = 0; i < NP; i++)
    jnet__sim_pkt_free(sim, p[i]);
  jnet_sim_free(sim);
}
END_TEST

/* A link's packet given to jnet__sim_ev_schedule_pkt_on while it is still
 * queued (in the middle of the link's lane, or in the heap) moves to its
 * new time: it comes out once, there, and the lane keeps the rest. */
START_TEST(a_queued_link_packet_rescheduled_moves) {
  jnet_sim *sim;
  ck_assert_int_eq(jnet_sim_new(&sim, 1), 0);
  jnet__sim_link l;
  memset(&l, 0, sizeof l);
  enum { NH = JNET__SIM_LANES_FROM, NP = NH + 3 };
  jnet__sim_spkt *p[NP];
  for (int i = 0; i < NP; i++) {
    p[i] = jnet__sim_pkt_alloc(sim, 0);
    ck_assert_ptr_nonnull(p[i]);
    p[i]->ev.kind = JNET__SIM_EV_PKT;
  }
  for (int i = 0; i < NH; i++) /* shallow: all in the heap */
    ck_assert_int_eq(jnet__sim_ev_schedule_pkt_on(sim, &l, p[i], 5000 + i), 0);
  ck_assert_uint_eq(sim->lane_n, 0);
  jnet__sim_spkt *a = p[NH], *b = p[NH + 1], *c = p[NH + 2];
  ck_assert_int_eq(jnet__sim_ev_schedule_pkt_on(sim, &l, a, 1000), 0);
  ck_assert_int_eq(jnet__sim_ev_schedule_pkt_on(sim, &l, b, 1100), 0);
  ck_assert_int_eq(jnet__sim_ev_schedule_pkt_on(sim, &l, c, 1200), 0);
  ck_assert_uint_eq(sim->lane_n, 3);
  ck_assert_ptr_eq(sim->lanes[l.lane].tail, c);
  /* b out of the middle of the lane, p[0] out of the heap */
  ck_assert_int_eq(jnet__sim_ev_schedule_pkt_on(sim, &l, b, 1300), 0);
  ck_assert_int_eq(jnet__sim_ev_schedule_pkt_on(sim, &l, p[0], 1400), 0);
  ck_assert_uint_eq(jnet__sim_ev_count(sim), NP);
  ck_assert_uint_eq(sim->lane_n, 4);
  jnet__sim_spkt *want[] = {a, c, b, p[0]};
  int out = 0;
  jnet__sim_event *e;
  while ((e = jnet__sim_ev_pop(sim)) != NULL) {
    if (out < 4)
      ck_assert_ptr_eq(e, &want[out]->ev);
    else
      ck_assert_ptr_eq(e, &p[out - 3]->ev); /* p[1].. at 5001.. */
    out++;
  }
  ck_assert_int_eq(out, NP);
  for (int i = 0; i < NP; i++)
    jnet__sim_pkt_free(sim, p[i]);
  jnet_sim_free(sim);
}
END_TEST

/* ---- A world deep enough for the lanes replays the same ------------------ */

#define FLOWS 150

typedef struct flow {
  char cip[32], sip[32], port[8];
  int echoed, got, failed;
} flow;

static void echo_server(void *arg) {
  flow *f = arg;
  jnet_stream s;
  jnet_buf b;
  jnet_addr from;
  if (jnet_listen(f->sip, f->port, JNET_DATAGRAM, &s) < 0) {
    f->failed = 1;
    return;
  }
  jnet_buf_init(&b);
  while (f->echoed < 20) {
    jnet_buf_reset(&b);
    if (jnet_recv_from(s, 64, &b, 10.0, &from) < 0 ||
        jnet_send_to(s, &from, b.data, b.len, JNET_FOREVER) < 0) {
      f->failed = 1;
      break;
    }
    f->echoed++;
  }
  jnet_buf_free(&b);
  jnet_close(s);
}

static void echo_client(void *arg) {
  flow *f = arg;
  jnet_stream s;
  jnet_addr dst;
  jnet_buf b;
  jnet_sleep(0.001);
  if (jnet_address(f->sip, f->port, JNET_DATAGRAM, &dst) < 0 ||
      jnet_listen(f->cip, "0", JNET_DATAGRAM, &s) < 0) {
    f->failed = 1;
    return;
  }
  jnet_buf_init(&b);
  for (int i = 0; i < 20; i++) {
    jnet_buf_reset(&b);
    if (jnet_send_to(s, &dst, "ping", 4, JNET_FOREVER) < 0 ||
        jnet_recv_from(s, 64, &b, 10.0, NULL) != 4) {
      f->failed = 1;
      break;
    }
    f->got++;
  }
  jnet_buf_free(&b);
  jnet_close(s);
}

/* 150 flows between 3 hosts (one own link of 3 ms, the default 1 ms one
 * and loopback): more than 64 events queued, so packets ride the lanes.
 * Every echo comes back, the virtual time is what the latencies say, and
 * a second run gives the same fingerprint and trace bytes. */
static uint32_t lanes_seen;

static void sample_lanes(jnet_sim *sim, void *arg) {
  (void)arg;
  if (sim->lane_n > lanes_seen)
    lanes_seen = sim->lane_n;
}

static uint64_t run_world(char **trace, size_t *trace_len, uint64_t *end_ns) {
  static flow fl[FLOWS];
  memset(fl, 0, sizeof fl);
  st_world *w = st_new(1, 3);
  st_loop(w);
  FILE *tf = open_memstream(trace, trace_len);
  ck_assert_ptr_nonnull(tf);
  ck_assert_int_eq(jnet_sim_trace(w->sim, tf), 0);
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.latency_ns = 3 * JNET_SIM_MS;
  ck_assert_int_eq(jnet_sim_link(w->sim, w->h[0], w->h[2], &lp), 0);
  for (int i = 0; i < FLOWS; i++) {
    int c = i % 3, sv = (i / 3) % 3; /* every pair, and each host to itself */
    st_addr(c, fl[i].cip, sizeof fl[i].cip);
    st_addr(sv, fl[i].sip, sizeof fl[i].sip);
    snprintf(fl[i].port, sizeof fl[i].port, "%d", 2000 + i);
    ck_assert_int_eq(jnet_go_on(w->loop, w->h[sv], echo_server, &fl[i]), 0);
    ck_assert_int_eq(jnet_go_on(w->loop, w->h[c], echo_client, &fl[i]), 0);
  }
  lanes_seen = 0;
  for (int k = 1; k <= 20; k++) /* at-callbacks are events, as any other */
    ck_assert_int_eq(
        jnet_sim_at(w->sim, (uint64_t)k * 5 * JNET_SIM_MS + 1, sample_lanes,
                    NULL),
        0);
  ck_assert_int_eq(jnet_run(w->loop), 0);
  ck_assert_uint_gt(lanes_seen, 0);
  for (int i = 0; i < FLOWS; i++) {
    ck_assert_int_eq(fl[i].failed, 0);
    ck_assert_int_eq(fl[i].got, 20);
  }
  uint64_t fp = jnet_sim_fingerprint(w->sim);
  *end_ns = jnet_sim_now_ns(w->sim);
  jnet_sim_trace(w->sim, NULL);
  fclose(tf);
  st_free(w);
  return fp;
}

START_TEST(deep_world_replays_the_same) {
  char *t1 = NULL, *t2 = NULL;
  size_t n1 = 0, n2 = 0;
  uint64_t end1, end2;
  uint64_t a = run_world(&t1, &n1, &end1);
  uint64_t b = run_world(&t2, &n2, &end2);
  ck_assert_uint_eq(a, b);
  ck_assert_uint_eq(end1, end2);
  ck_assert_uint_eq(n1, n2);
  ck_assert_int_eq(memcmp(t1, t2, n1), 0);
  /* 20 round trips of the slowest pair (3 ms each way) after the 1 ms
   * start: a little over 121 ms, never less */
  ck_assert_uint_ge(end1, 121 * JNET_SIM_MS);
  ck_assert_uint_lt(end1, 130 * JNET_SIM_MS);
  /* trace lines come in time order */
  double prev = 0;
  for (char *line = t1; line != NULL && *line;) {
    double t = strtod(line, NULL);
    ck_assert_msg(t >= prev, "trace time %.9f after %.9f", t, prev);
    prev = t;
    line = strchr(line, '\n');
    if (line)
      line++;
  }
  free(t1);
  free(t2);
}
END_TEST

/* --- p-dgram: packets queued at any time join a lane only in order --- */

/* Three links' packets behind their bandwidth (each link's in order of
 * arrival, the links interleaved), a fifth at random times and a fifth at
 * two fixed delays (lanes their delay started may end later): each joins
 * a lane only behind a packet that arrives no later, else the heap; every
 * packet comes out once, in (time, sequence) order. */
START_TEST(packets_at_any_time_come_out_in_order) {
  jnet_sim *sim;
  ck_assert_int_eq(jnet_sim_new(&sim, 1), 0);
  static const uint64_t tx_ns[] = {7360, 736, 73600};
  static const uint64_t latency_ns[] = {1000000, 10000, 250000};
  uint64_t busy[3] = {0, 0, 0};
  uint64_t rs = 7, last_t = 0, last_seq = 0;
  int scheduled = 0, popped = 0, first = 1;
  uint32_t max_lane = 0, max_heap = 0;
  for (int round = 0; round < 30; round++) {
    for (int i = 0; i < 100; i++) {
      jnet__sim_spkt *p = jnet__sim_pkt_alloc(sim, 0);
      ck_assert_ptr_nonnull(p);
      p->ev.kind = JNET__SIM_EV_PKT;
      uint64_t r = next_rand(&rs), t;
      if (r % 5 == 0) {
        t = sim->now_ns + r % 300000;
      } else if (r % 5 == 1) { /* a fixed delay, behind later packets */
        uint64_t d = r % 2 ? 10000 : 400000;
        ck_assert_int_eq(jnet__sim_ev_schedule_pkt(sim, p, d), 0);
        ck_assert_uint_eq(p->ev.t_ns, sim->now_ns + d);
        scheduled++;
        continue;
      } else {
        int k = (int)(r % 3);
        busy[k] = (busy[k] > sim->now_ns ? busy[k] : sim->now_ns) + tx_ns[k];
        t = busy[k] + latency_ns[k];
      }
      ck_assert_int_eq(jnet__sim_ev_schedule_pkt_at(sim, p, t), 0);
      ck_assert_uint_eq(p->ev.t_ns, t);
      scheduled++;
    }
    if (sim->lane_n > max_lane)
      max_lane = sim->lane_n;
    if (sim->heap.n > max_heap)
      max_heap = sim->heap.n;
    for (int i = 0; i < 70; i++) {
      jnet__sim_event *e = jnet__sim_ev_peek(sim);
      if (e == NULL)
        break;
      jnet__sim_ev_take(sim, e);
      ck_assert_int_eq(e->idx, 0);
      if (!first)
        ck_assert_msg(e->t_ns > last_t ||
                          (e->t_ns == last_t && e->seq > last_seq),
                      "packet at %llu after one at %llu",
                      (unsigned long long)e->t_ns,
                      (unsigned long long)last_t);
      first = 0;
      last_t = e->t_ns;
      last_seq = e->seq;
      if (e->t_ns > sim->now_ns)
        sim->now_ns = e->t_ns;
      jnet__sim_pkt_free(sim, (jnet__sim_spkt *)e);
      popped++;
    }
  }
  ck_assert_msg(max_lane > 100 && max_heap > 20, "lanes %u, heap %u at most",
                (unsigned)max_lane, (unsigned)max_heap);
  popped += drain_in_order(sim, &last_t, &last_seq, first);
  ck_assert_int_eq(popped, scheduled);
  jnet_sim_free(sim);
}
END_TEST

/* Lanes built out of order: a later lane may end after an earlier one, and
 * lane 0 may drain while lane 1 still holds packets; a queued packet
 * rescheduled (in the heap or at a lane's head) moves, and a cancelled
 * lane head is gone. Everything comes out once, in (time, sequence) order,
 * and the packet the fit puts last goes behind the latest fitting tail. */
START_TEST(lanes_drain_in_any_order_and_queued_packets_move) {
  jnet_sim *sim;
  ck_assert_int_eq(jnet_sim_new(&sim, 1), 0);
  enum { NP = 80 };
  jnet__sim_spkt *p[NP];
  for (int i = 0; i < NP; i++) {
    p[i] = jnet__sim_pkt_alloc(sim, 0);
    ck_assert_ptr_nonnull(p[i]);
    p[i]->ev.kind = JNET__SIM_EV_PKT;
  }
  /* below JNET__SIM_LANES_FROM: the heap; p[0] rescheduled there */
  for (int i = 0; i < 10; i++)
    ck_assert_int_eq(jnet__sim_ev_schedule_pkt(sim, p[i], 5000 + i), 0);
  ck_assert_int_eq(jnet__sim_ev_schedule_pkt(sim, p[0], 6000), 0);
  ck_assert_uint_eq(p[0]->ev.t_ns, 6000);
  ck_assert_uint_eq(jnet__sim_ev_count(sim), 10);
  for (int i = 10; i < JNET__SIM_LANES_FROM; i++)
    ck_assert_int_eq(jnet__sim_ev_schedule_pkt_at(sim, p[i], 1000000), 0);
  ck_assert_uint_eq(sim->lane_n, 0);
  /* lane A: 1000; lane B: 500 (before A's tail), then 1100 (its delay,
   * once the clock is at 600): B ends after A */
  int n = JNET__SIM_LANES_FROM;
  jnet__sim_spkt *a = p[n++], *b1 = p[n++], *b2 = p[n++], *late = p[n++];
  jnet__sim_spkt *head = p[n++], *moved = p[n++];
  ck_assert_int_eq(jnet__sim_ev_schedule_pkt(sim, a, 1000), 0);
  ck_assert_int_eq(jnet__sim_ev_schedule_pkt(sim, b1, 500), 0);
  ck_assert_uint_eq(sim->lane_n, 2);
  sim->now_ns = 600;
  ck_assert_int_eq(jnet__sim_ev_schedule_pkt(sim, b2, 500), 0); /* 1100 */
  ck_assert_int_eq(jnet__sim_ev_schedule_pkt_at(sim, late, 1400), 0);
  ck_assert_uint_eq(sim->lane_n, 4);
  ck_assert_ptr_eq(sim->lanes[1].tail, late); /* the latest tail <= 1400 */
  /* a lane head cancelled, another rescheduled from the heap to a lane,
   * a queued lane packet rescheduled later */
  ck_assert_int_eq(jnet__sim_ev_schedule_pkt_at(sim, head, 200), 0);
  jnet__sim_ev_cancel(sim, &head->ev);
  ck_assert_int_eq(head->ev.idx, 0);
  ck_assert_int_eq(jnet__sim_ev_schedule_pkt_at(sim, moved, 1200), 0);
  ck_assert_int_eq(jnet__sim_ev_schedule_pkt_at(sim, moved, 1500), 0);
  ck_assert_int_eq(jnet__sim_ev_schedule_pkt_at(sim, p[1], 1450), 0);
  /* out: b1 500, a 1000 (lane A empty), b2 1100, late 1400, p[1] 1450,
   * moved 1500, the rest of the heap (5002.., 6000), the fillers */
  jnet__sim_spkt *want[] = {b1, a, b2, late, p[1], moved};
  uint64_t last_t = 0, last_seq = 0;
  int out = 0;
  jnet__sim_event *e;
  while ((e = jnet__sim_ev_pop(sim)) != NULL) {
    if (out < 6)
      ck_assert_ptr_eq(e, &want[out]->ev);
    ck_assert_int_eq(e->idx, 0);
    if (out > 0)
      ck_assert(e->t_ns > last_t || (e->t_ns == last_t && e->seq > last_seq));
    last_t = e->t_ns;
    last_seq = e->seq;
    if (e->t_ns > sim->now_ns)
      sim->now_ns = e->t_ns;
    out++;
  }
  ck_assert_int_eq(out, n - 1); /* all but the cancelled head */
  for (int i = 0; i < NP; i++)
    jnet__sim_pkt_free(sim, p[i]);
  jnet_sim_free(sim);
}
END_TEST

/* Timers only (the heap): cancels and reschedules anywhere in it - the
 * root, the last entry, a middle one whose replacement must rise or sink -
 * then a drain: the rest come out in (time, sequence) order, none twice. */
START_TEST(heap_cancels_and_moves_anywhere_keep_the_order) {
  jnet_sim *sim;
  ck_assert_int_eq(jnet_sim_new(&sim, 1), 0);
  enum { NT = 200 };
  static jnet__sim_event t[NT];
  uint64_t rs = 99;
  for (int round = 0; round < 50; round++) {
    for (int i = 0; i < NT; i++)
      if (t[i].idx == 0 || next_rand(&rs) % 3 == 0) {
        t[i].kind = JNET__SIM_EV_TCP;
        ck_assert_int_eq(
            jnet__sim_ev_schedule(sim, &t[i],
                                  sim->now_ns + 1 + next_rand(&rs) % 100000),
            0);
      }
    for (int k = 0; k < 60; k++) {
      uint32_t n = sim->heap.n;
      if (n == 0)
        break;
      uint32_t i = k % 3 == 0   ? n - 1
                   : k % 3 == 1 ? 0
                                : (uint32_t)(next_rand(&rs) % n);
      jnet__sim_event *e = sim->heap.v[i].ev;
      if (next_rand(&rs) % 2)
        jnet__sim_ev_cancel(sim, e);
      else
        ck_assert_int_eq(jnet__sim_ev_schedule(
                             sim, e, sim->now_ns + 1 + next_rand(&rs) % 100000),
                         0);
    }
    for (int k = 0; k < 100; k++) { /* take some, as the run loop */
      jnet__sim_event *e = jnet__sim_ev_peek(sim);
      if (e == NULL)
        break;
      jnet__sim_ev_take(sim, e);
      ck_assert_int_eq(e->idx, 0);
      if (e->t_ns > sim->now_ns)
        sim->now_ns = e->t_ns;
    }
  }
  uint64_t last_t = 0, last_seq = 0;
  int out = drain_in_order(sim, &last_t, &last_seq, 1);
  ck_assert_int_gt(out, 0);
  ck_assert_uint_eq(jnet__sim_ev_count(sim), 0);
  jnet_sim_free(sim);
}
END_TEST

/* --- a reordered old ACK does not shrink the peer's window --- */

/* A client on h0 writes 128 KiB, sleeps 1 s and writes 128 KiB more to a
 * reader on h1. At 0.8 s, while the connection is idle, an old ACK (no
 * new data acknowledged, no data, window 0: as a segment the network held
 * back would arrive) reaches the client. TCP takes the window only from a
 * segment not older than the last one taken (RFC 793's SND.WL1/WL2,
 * Linux's tcp_may_update_window), so the second write goes out at once and
 * the reader finishes at the same time as in a run without the old ACK.
 * A model that took the 0 would hold the data for the persist timer's
 * probe (0.2 s later here). White-box: the ACK is handed to
 * jnet__sim_tcp_input directly, as a reordering link would deliver it. */
typedef struct oa_run {
  int inject, failed;
  size_t got;
  double done_s;
} oa_run;

static unsigned char oa_data[128 * 1024];

static void oa_reader(void *arg) {
  oa_run *r = arg;
  jnet_stream srv, c;
  jnet_buf b;
  if (jnet_listen("192.0.2.2", "9000", JNET_STREAM, &srv) < 0 ||
      jnet_accept(srv, 10, &c) < 0) {
    r->failed = 1;
    return;
  }
  jnet_close(srv);
  jnet_buf_init(&b);
  while (jnet_read(c, 65536, &b, 10) > 0)
    ;
  r->got = b.len;
  r->done_s = jnet_now();
  jnet_buf_free(&b);
  jnet_close(c);
}

static void oa_writer(void *arg) {
  oa_run *r = arg;
  jnet_stream c;
  jnet_sleep(0.001);
  if (jnet_connect("192.0.2.2", "9000", JNET_STREAM, NULL, NULL, &c) < 0 ||
      jnet_write(c, oa_data, sizeof oa_data, 10) < 0 ||
      jnet_sleep(1.0) < 0 ||
      jnet_write(c, oa_data, sizeof oa_data, 10) < 0)
    r->failed = 1;
  jnet_close(c);
}

/* Host h's open TCP connection (the test's only one). */
static jnet__sim_sock *open_tcp(jnet_node *h) {
  jnet__sim_sock *s = h->socks;
  while (s != NULL &&
         !(s->proto == JNET__SIM_P_TCP && s->state == JNET__SIM_ST_OPEN))
    s = s->host_next;
  ck_assert_ptr_nonnull(s);
  return s;
}

/* Hand s a segment from its peer (host `from`): an ACK of `ack` with
 * `window` and no data, as the network would deliver it. */
static void ack_to(jnet_sim *sim, jnet__sim_sock *s, jnet_node *from,
                   uint32_t ack, uint32_t window) {
  jnet__sim_spkt *p = jnet__sim_pkt_alloc(sim, 0);
  ck_assert_ptr_nonnull(p);
  p->from = from->id;
  p->to = s->host->id;
  p->proto = JNET__SIM_P_TCP;
  p->family = s->local.family;
  p->src = s->remote;
  p->dst = s->local;
  p->seq = s->rcv_nxt;
  p->ack = ack;
  p->flags = JNET__SIM_TCP_ACK;
  p->window = window;
  jnet__sim_tcp_input(sim, p);
}

static void oa_inject(jnet_sim *sim, void *arg) {
  st_world *w = arg;
  jnet__sim_sock *s = open_tcp(w->h[0]);
  ck_assert_uint_eq(s->snd_una, s->snd_max); /* idle: all acknowledged */
  ck_assert_uint_gt(s->snd_wnd, 0);
  ack_to(sim, s, w->h[1], s->snd_una, 0);
}

static double old_ack_run(int inject) {
  oa_run r = {.inject = inject};
  st_world *w = st_new(7, 2);
  st_go(w, 1, oa_reader, &r);
  st_go(w, 0, oa_writer, &r);
  if (inject)
    ck_assert_int_eq(
        jnet_sim_at(w->sim, 800 * JNET_SIM_MS, oa_inject, w), 0);
  st_run(w);
  ck_assert_int_eq(r.failed, 0);
  ck_assert_uint_eq(r.got, 2 * sizeof oa_data);
  st_free(w);
  return r.done_s;
}

START_TEST(a_reordered_old_ack_does_not_shrink_the_window) {
  double plain = old_ack_run(0);
  double reordered = old_ack_run(1);
  ck_assert_double_gt(plain, 1.0);
  ck_assert_msg(reordered == plain,
                "an old ACK delayed the second write: %.6f s, not %.6f s",
                reordered, plain);
}
END_TEST

/* --- a zero window under data in flight is probed, not waited out --- */

/* The writer on h0 sends 40,000 bytes to h1 over 10 ms links. At 45 ms,
 * with the second flight on its way to h1 (sent at 41 ms), the ACKs from
 * h1 are cut off (one-way partition, healed at 2 s) and h0 hears an ACK
 * of its first two segments with a window of 0: a receiver that shrank
 * its window under data in flight (the model's own receiver can, by
 * rounding to its window scale). Each RTO must then resend the first
 * segment as the window's probe, as Linux's tcp_retransmit_timer does:
 * after the heal the probe's ACK opens the window and the transfer ends
 * within seconds. A sender whose RTO resends nothing because the window
 * holds it never sends again (the reader gives up at 10 s, 580 bytes
 * short). White-box: the ACK is handed to jnet__sim_tcp_input directly. */
static int zw_cut; /* mode 0: the ACKs cut off until 2 s; 1: not */

static void zw_inject(jnet_sim *sim, void *arg) {
  st_world *w = arg;
  jnet__sim_sock *s = open_tcp(w->h[0]);
  ck_assert_uint_gt(s->snd_max - s->snd_una, 2 * 1460u); /* in flight */
  if (zw_cut)
    ck_assert_int_eq(
        jnet_sim_partition(sim, w->h[1], w->h[0], JNET_ONE_WAY), 0);
  /* the first two segments: on their way, they do arrive */
  ack_to(sim, s, w->h[1], s->snd_una + 2 * 1460, 0);
  ck_assert_uint_eq(s->snd_wnd, 0);
  ck_assert_uint_gt(s->snd_max - s->snd_una, 0);
}

static void zw_heal(jnet_sim *sim, void *arg) {
  st_world *w = arg;
  ck_assert_int_eq(jnet_sim_heal(sim, w->h[1], w->h[0]), 0);
}

static void zw_writer(void *arg) {
  oa_run *r = arg;
  jnet_stream c;
  jnet_sleep(0.001);
  if (jnet_connect("192.0.2.2", "9000", JNET_STREAM, NULL, NULL, &c) < 0 ||
      jnet_write(c, oa_data, 40000, 600) < 0)
    r->failed = 1;
  jnet_close(c);
}

static double zw_run(int inject, int cut) {
  oa_run r = {0};
  st_world *w = st_new(7, 2);
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.latency_ns = 10 * JNET_SIM_MS;
  ck_assert_int_eq(jnet_sim_link(w->sim, w->h[0], w->h[1], &lp), 0);
  st_go(w, 1, oa_reader, &r);
  st_go(w, 0, zw_writer, &r);
  zw_cut = cut;
  if (inject)
    ck_assert_int_eq(jnet_sim_at(w->sim, 45 * JNET_SIM_MS, zw_inject, w), 0);
  if (cut)
    ck_assert_int_eq(jnet_sim_at(w->sim, 2 * JNET_SIM_S, zw_heal, w), 0);
  st_run(w);
  ck_assert_int_eq(r.failed, 0);
  ck_assert_uint_eq(r.got, 40000);
  st_free(w);
  return r.done_s;
}

/* Mode 0 as above. Mode 1: the ACKs are not cut off, so the next ones
 * (from 51 ms) acknowledge more and open the window while data is still
 * in flight: the transfer ends exactly when it does without the old
 * zero window. */
START_TEST(a_zero_window_under_data_in_flight_is_probed) {
  if (_i == 0) {
    double done = zw_run(1, 1);
    ck_assert_msg(done > 2.0 && done < 5.0,
                  "the transfer ended at %.3f s, not within 3 s of the heal",
                  done);
  } else {
    double plain = zw_run(0, 0);
    ck_assert_double_eq(zw_run(1, 0), plain);
  }
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("sim-queue");
  jc_defaults(60, NULL, NULL);
  JC_TEST(s, lanes_and_heap_give_time_then_insertion_order);
  JC_TEST(s, cancel_in_a_lane_keeps_the_rest_in_order);
  JC_TEST(s, cancel_of_the_last_lane_packet_leaves_the_heap);
  JC_TEST(s, a_queued_link_packet_rescheduled_moves);
  JC_TEST(s, deep_world_replays_the_same);
  JC_TEST(s, packets_at_any_time_come_out_in_order);
  JC_TEST(s, lanes_drain_in_any_order_and_queued_packets_move);
  JC_TEST(s, heap_cancels_and_moves_anywhere_keep_the_order);
  JC_TEST(s, a_reordered_old_ack_does_not_shrink_the_window);
  JC_LOOP(s, a_zero_window_under_data_in_flight_is_probed, 0, 2);
  return s;
}

int main(void) { return st_run_suite(suite()); }
