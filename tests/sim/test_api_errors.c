/* test_api_errors.c — jnet_sim.h's answers to bad arguments (NULL sims and
 * hosts, a host linked or partitioned with itself, an unknown partition
 * mode, a host given one address twice), the sim backend's resolver with
 * no host and with bad ports, and freeing a simulation mid-flight (packets
 * held by a clog, timed actions pending, a capture open): it frees
 * everything (the sanitizer build checks the leaks). */
#include "simtest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jnet/jnet_backend.h>
#include <unistd.h>

START_TEST(every_sim_call_refuses_null_and_self_links) {
  st_world *w = st_new(1, 2);
  jnet_sim *sim = w->sim;
  jnet_node *a = w->h[0], *b = w->h[1], *found;
  jnet_link_params lp, got;
  jnet_link_params_default(&lp);
  ck_assert_int_eq(jnet_sim_new(NULL, 1), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_link_oneway(sim, a, a, &lp), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_link_oneway(NULL, a, b, &lp), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_link_oneway(sim, a, b, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_link_get(sim, a, a, &got), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_link_get(sim, a, b, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_partition(sim, a, a, JNET_BOTH_WAYS), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_partition(sim, a, b, 7), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_heal(sim, a, a), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_heal(NULL, a, b), JNET_EINVAL);
  ck_assert_int_eq(
      jnet_sim_partition_groups(sim, NULL, 1, &b, 1, JNET_BOTH_WAYS),
      JNET_EINVAL);
  /* a host in both groups is not partitioned from itself */
  jnet_node *ga[] = {a, b}, *gb[] = {b};
  ck_assert_int_eq(jnet_sim_partition_groups(sim, ga, 2, gb, 1, JNET_BOTH_WAYS),
                   0);
  /* a bad mode inside a group partition comes back out */
  ck_assert_int_eq(jnet_sim_partition_groups(sim, ga, 1, gb, 1, 7),
                   JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_heal_all(NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_heal_all(sim), 0);
  ck_assert_int_eq(jnet_sim_clog(sim, a, a), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_unclog(sim, b, b), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_set_limits(NULL, 0, 0), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_crash(NULL, a), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_crash(sim, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_restart(sim, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_trace(NULL, stderr), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_host_find(sim, NULL, &found), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_host_find(NULL, "h0", &found), JNET_EINVAL);
  ck_assert_uint_eq(jnet_sim_now_ns(NULL), 0);
  /* one address twice in the same host */
  const char *twice[] = {"198.51.100.7", "198.51.100.7", NULL};
  jnet_node *h;
  ck_assert_int_eq(jnet_sim_host(sim, "twice", twice, &h), JNET_EEXIST);
  st_free(w);
}
END_TEST

/* Each argument of each jnet_sim.h call checked on its own: a NULL in
 * every position, names and addresses a host may not have, link parameters
 * out of range, a capture path that cannot open (the sim stays usable),
 * TCP settings out of range, and the queries' answers for NULL. */
static void never_called(jnet_sim *sim, void *arg) {
  (void)sim;
  (void)arg;
  ck_abort_msg("an action refused must not run");
}

START_TEST(each_bad_argument_is_refused_on_its_own) {
  st_world *w = st_new(1, 2);
  jnet_sim *sim = w->sim, *other;
  jnet_node *a = w->h[0], *b = w->h[1], *h, *x;
  /* hosts, names, addresses, DNS */
  const char *ok[] = {"198.51.100.9", NULL};
  char long_name[300];
  memset(long_name, 'n', sizeof long_name - 1);
  long_name[sizeof long_name - 1] = '\0';
  ck_assert_int_eq(jnet_sim_host(NULL, "x", ok, &h), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_host(sim, "x", NULL, &h), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_host(sim, "localhost", ok, &h), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_host(sim, long_name, ok, &h), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_host(sim, ":x", ok, &h), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_host(sim, "a b", ok, &h), JNET_EINVAL);
  const char *bad[][2] = {{"0.0.0.0", NULL}, {"127.0.0.1", NULL},
                          {"224.0.0.1", NULL}, {"::", NULL}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ck_assert_int_eq(jnet_sim_host(sim, "x", bad[i], &h), JNET_EINVAL);
  const char *both[] = {"198.51.100.9", "2001:db8::9", NULL}; /* ok: 2 families */
  ck_assert_int_eq(jnet_sim_host(sim, "x_1.y-z", both, &h), 0);
  ck_assert_int_eq(jnet_sim_host_find(sim, "x_1.y-z", NULL), 0);
  ck_assert_ptr_null(jnet_sim_host_name(NULL));
  ck_assert_int_eq(jnet_sim_host_is_up(NULL), 0);
  ck_assert_int_eq(jnet_sim_dns_add(NULL, "n", "192.0.2.1"), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_dns_add(sim, "", "192.0.2.1"), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_dns_add(sim, "n", NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_dns_add(sim, "n", "not-an-ip"), JNET_EINVAL);
  /* links */
  jnet_link_params lp, got;
  jnet_link_params_default(NULL); /* nothing to fill: no crash */
  jnet_link_params_default(&lp);
  ck_assert_int_eq(jnet_sim_link_oneway(sim, NULL, b, &lp), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_link_oneway(sim, a, NULL, &lp), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_link(NULL, a, b, &lp), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_link(sim, a, b, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_link(sim, NULL, b, &lp), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_link(sim, a, a, &lp), JNET_EINVAL);
  jnet_link_params bad_lp = lp;
  bad_lp.loss = 1.5;
  ck_assert_int_eq(jnet_sim_link(sim, a, b, &bad_lp), JNET_EINVAL);
  bad_lp = lp;
  bad_lp.corrupt = -0.1;
  ck_assert_int_eq(jnet_sim_link(sim, a, b, &bad_lp), JNET_EINVAL);
  bad_lp = lp;
  bad_lp.mtu = 575;
  ck_assert_int_eq(jnet_sim_link(sim, a, b, &bad_lp), JNET_EINVAL);
  bad_lp = lp;
  bad_lp.jitter_dist = JNET_JITTER_PARETO + 1;
  ck_assert_int_eq(jnet_sim_link(sim, a, b, &bad_lp), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_link_get(sim, a, b, &got), 0); /* unchanged */
  ck_assert_int_eq(memcmp(&got, &lp, sizeof got), 0);
  ck_assert_int_eq(jnet_sim_link_get(NULL, a, b, &got), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_link_get(sim, NULL, b, &got), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_link_get(sim, a, NULL, &got), JNET_EINVAL);
  /* faults */
  ck_assert_int_eq(jnet_sim_partition(NULL, a, b, JNET_BOTH_WAYS), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_partition(sim, NULL, b, JNET_BOTH_WAYS), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_partition(sim, a, NULL, JNET_BOTH_WAYS), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_heal(sim, NULL, b), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_heal(sim, a, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_partition_groups(NULL, &a, 1, &b, 1, JNET_BOTH_WAYS),
                   JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_partition_groups(sim, &a, 1, NULL, 1, JNET_BOTH_WAYS),
                   JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_clog(NULL, a, b), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_clog(sim, NULL, b), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_clog(sim, a, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_unclog(NULL, a, b), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_unclog(sim, NULL, b), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_unclog(sim, a, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_restart(NULL, a), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_at(NULL, 0, never_called, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_at(sim, 0, NULL, NULL), JNET_EINVAL);
  /* capture */
  char path[] = "/tmp/jnet-sim-argsXXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  close(fd);
  ck_assert_int_eq(jnet_sim_new(&other, 2), 0);
  const char *oa[] = {"192.0.2.200", NULL};
  ck_assert_int_eq(jnet_sim_host(other, "o", oa, &x), 0);
  ck_assert_int_eq(jnet_sim_pcap_open(NULL, path, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_pcap_open(sim, NULL, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_pcap_open(sim, "", NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_pcap_open(sim, path, x), JNET_EINVAL); /* not ours */
  ck_assert_int_eq(jnet_sim_pcap_open(sim, "/nonexistent-dir/c.pcap", NULL),
                   -ENOENT);
  ck_assert_int_eq(jnet_sim_pcap_close(sim), 0); /* none open */
  ck_assert_int_eq(jnet_sim_pcap_close(NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_pcap_open(sim, path, a), 0); /* still usable */
  ck_assert_int_eq(jnet_sim_pcap_close(sim), 0);
  unlink(path);
  jnet_sim_free(other);
  /* TCP settings */
  jnet_sim_tcp_params tp, tg;
  jnet_sim_tcp_params_default(NULL); /* nothing to fill: no crash */
  jnet_sim_tcp_params_default(&tp);
  jnet_sim_tcp_params bt = tp;
  bt.sndbuf_bytes = 1024; /* under 4 KiB */
  ck_assert_int_eq(jnet_sim_host_tcp(a, &bt), JNET_EINVAL);
  bt = tp;
  bt.keepalive_intvl_ns = 0;
  ck_assert_int_eq(jnet_sim_host_tcp(a, &bt), JNET_EINVAL);
  bt = tp;
  bt.keepalive_probes = 256;
  ck_assert_int_eq(jnet_sim_host_tcp(a, &bt), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_host_tcp_get(NULL, &tg), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_host_tcp_get(a, NULL), JNET_EINVAL);
  /* queries */
  jnet_sim_stats st;
  memset(&st, 0xab, sizeof st);
  jnet_sim_get_stats(NULL, &st); /* leaves st alone */
  ck_assert_uint_eq(st.events, 0xababababababababull);
  jnet_sim_get_stats(sim, NULL);
  ck_assert_uint_eq(jnet_sim_fingerprint(NULL), 0);
  st_free(w);
}
END_TEST

/* The resolver of the sim backend, driven through its vtable: no host is
 * the loopbacks (or, passive, the wildcards); ports are checked as on uv. */
START_TEST(resolve_without_a_host_and_with_bad_ports) {
  st_world *w = st_new(1, 1);
  const jnet_backend *b = jnet_sim_backend(w->sim);
  ck_assert_int_eq(b->start(b, NULL, NULL), 0);
  jnet_addr out[4];
  jnet_req r;
  memset(&r, 0, sizeof r);
  r.addrs = out;
  r.naddrs = 4;
  char ip[64];
  ck_assert_int_eq(b->resolve(b, w->h[0], &r, NULL, "80", JNET_STREAM, 0), 1);
  ck_assert_int_eq(r.result, 2);
  ck_assert_str_eq(inet_ntop(AF_INET, &out[0].u.in4.sin_addr, ip, sizeof ip),
                   "127.0.0.1");
  ck_assert_str_eq(inet_ntop(AF_INET6, &out[1].u.in6.sin6_addr, ip, sizeof ip),
                   "::1");
  ck_assert_int_eq(ntohs(out[1].u.in6.sin6_port), 80);
  ck_assert_int_eq(b->resolve(b, w->h[0], &r, NULL, "80", JNET_STREAM, 1), 1);
  ck_assert_int_eq(r.result, 2);
  ck_assert_str_eq(inet_ntop(AF_INET, &out[0].u.in4.sin_addr, ip, sizeof ip),
                   "0.0.0.0");
  ck_assert_str_eq(inet_ntop(AF_INET6, &out[1].u.in6.sin6_addr, ip, sizeof ip),
                   "::");
  static const char *bad[] = {"", "65536", "123456", "-1", "+5"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    ck_assert_int_eq(
        b->resolve(b, w->h[0], &r, "192.0.2.1", bad[i], JNET_STREAM, 0), 1);
    ck_assert_msg(r.result == JNET_EAI_SERVICE, "port '%s': %zd", bad[i],
                  r.result);
  }
  b->stop(b);
  jnet_sim_free(w->sim);
  free(w);
}
END_TEST

/* ---- Freeing a simulation in flight
 * ------------------------------------------ */

static void clogged_sender(void *arg) {
  (void)arg;
  jnet_stream u;
  jnet_addr dst;
  if (jnet_listen("192.0.2.1", NULL, JNET_DATAGRAM, &u) < 0)
    return;
  jnet_address("192.0.2.2", "9000", JNET_DATAGRAM, &dst);
  for (int i = 0; i < 5; i++)
    jnet_send_to(u, &dst, "held", 4, 1.0);
  jnet_close(u);
}

static void note(jnet_sim *sim, void *arg) {
  (void)sim;
  (*(int *)arg)++;
}

START_TEST(free_releases_clogged_packets_pending_actions_and_the_capture) {
  st_world *w = st_new(1, 2);
  char path[64];
  snprintf(path, sizeof path, "/tmp/jnet-sim-free-%d.pcap", (int)getpid());
  ck_assert_int_eq(jnet_sim_pcap_open(w->sim, path, NULL), 0);
  ck_assert_int_eq(jnet_sim_clog(w->sim, w->h[0], w->h[1]), 0);
  int fired = 0;
  ck_assert_int_eq(jnet_sim_at(w->sim, 3600 * JNET_SIM_S, note, &fired), 0);
  st_go(w, 0, clogged_sender, NULL);
  /* run to one second: the datagrams wait in the clog, the action later */
  ck_assert_int_eq(jnet_run_until(w->loop, 1.0), 0);
  ck_assert_int_eq(fired, 0);
  jnet_sim_stats st;
  jnet_sim_get_stats(w->sim, &st);
  ck_assert_uint_eq(st.packets_delivered, 0);
  jnet_loop_free(w->loop);
  jnet_sim_free(w->sim); /* closes the capture too */
  free(w);
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  unsigned char magic[4];
  ck_assert_uint_eq(fread(magic, 1, 4, f), 4); /* a valid pcap header */
  ck_assert(magic[0] == 0xd4 || magic[0] == 0xa1 || magic[0] == 0x4d);
  fclose(f);
  unlink(path);
}
END_TEST

/* --- br-sim: crash before a loop, out of memory, free with lanes --- */

/* Before any loop exists, a crash and a restart only change the host's
 * state; a host made without an out pointer is found by name; an empty
 * name is refused. */
START_TEST(crash_and_restart_before_any_loop_change_only_the_host) {
  jnet_sim *sim;
  ck_assert_int_eq(jnet_sim_new(&sim, 1), 0);
  const char *a[] = {"192.0.2.1", NULL};
  ck_assert_int_eq(jnet_sim_host(sim, "", a, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_host(sim, NULL, a, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_host(sim, "solo", a, NULL), 0);
  jnet_node *h = NULL;
  ck_assert_int_eq(jnet_sim_host_find(sim, "solo", &h), 0);
  ck_assert_ptr_nonnull(h);
  ck_assert_int_eq(jnet_sim_crash(sim, h), 0);
  ck_assert_int_eq(jnet_sim_host_is_up(h), 0);
  ck_assert_int_eq(jnet_sim_restart(sim, h), 0);
  ck_assert_int_eq(jnet_sim_host_is_up(h), 1);
  jnet_sim_free(sim);
}
END_TEST

static int oom, oom_grace;
static int oom_now(void) {
  if (!oom)
    return 0;
  if (oom_grace > 0) {
    oom_grace--;
    return 0;
  }
  return 1;
}
static void *oom_malloc(size_t n) { return oom_now() ? NULL : malloc(n); }
static void *oom_realloc(void *p, size_t n) {
  return oom_now() ? NULL : realloc(p, n);
}

/* Out of memory, jnet_sim_at and jnet_sim_dns_add fail with ENOMEM and
 * leave nothing behind: with memory back the same calls work, and the
 * callback runs once. */
START_TEST(sim_calls_without_memory_give_enomem_and_change_nothing) {
  ck_assert_int_eq(jnet_replace_allocator(oom_malloc, oom_realloc, free), 0);
  st_world *w = st_new(1, 1);
  int fired = 0;
  oom = 1;
  for (int grace = 0; grace < 2; grace++) {
    oom_grace = grace; /* the record, then the queue's room or the name */
    ck_assert_int_eq(jnet_sim_at(w->sim, JNET_SIM_S, note, &fired), JNET_ENOMEM);
    oom_grace = grace;
    ck_assert_int_eq(jnet_sim_dns_add(w->sim, "db", "192.0.2.1"), JNET_ENOMEM);
  }
  oom = 0;
  ck_assert_int_eq(jnet_sim_at(w->sim, JNET_SIM_S, note, &fired), 0);
  ck_assert_int_eq(jnet_sim_dns_add(w->sim, "db", "192.0.2.1"), 0);
  st_run(w);
  ck_assert_int_eq(fired, 1);
  st_free(w);
  ck_assert_int_eq(jnet_replace_allocator(malloc, realloc, free), 0);
}
END_TEST

/* 200 datagrams in flight (more than the event heap keeps before packets
 * go to lanes) when the run stops: freeing the sim frees them all (the
 * sanitizer build checks the leaks). */
static void burst_sender(void *arg) {
  (void)arg;
  jnet_stream u;
  jnet_addr dst;
  if (jnet_listen("192.0.2.1", NULL, JNET_DATAGRAM, &u) < 0)
    return;
  jnet_address("192.0.2.2", "9000", JNET_DATAGRAM, &dst);
  for (int i = 0; i < 200; i++)
    jnet_send_to(u, &dst, "burst", 5, 1.0);
  jnet_close(u);
}

START_TEST(free_releases_packets_waiting_in_lanes) {
  st_world *w = st_new(1, 2);
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.latency_ns = JNET_SIM_S;
  ck_assert_int_eq(jnet_sim_link(w->sim, w->h[0], w->h[1], &lp), 0);
  st_go(w, 0, burst_sender, NULL);
  ck_assert_int_eq(jnet_run_until(w->loop, 0.5), 0);
  jnet_sim_stats st;
  jnet_sim_get_stats(w->sim, &st);
  ck_assert_uint_eq(st.packets_sent, 200);
  ck_assert_uint_eq(st.packets_delivered, 0);
  jnet_loop_free(w->loop);
  jnet_sim_free(w->sim);
  free(w);
}
END_TEST

/* resolve writes no more than its room and counts everything it found:
 * a name of three addresses into room for one. */
START_TEST(resolve_writes_up_to_its_room_and_counts_all) {
  st_world *w = st_new(1, 1);
  const jnet_backend *b = jnet_sim_backend(w->sim);
  ck_assert_int_eq(b->start(b, NULL, NULL), 0);
  static const char *as[] = {"192.0.2.7", "192.0.2.8", "2001:db8::7"};
  for (int i = 0; i < 3; i++)
    ck_assert_int_eq(jnet_sim_dns_add(w->sim, "many", as[i]), 0);
  jnet_addr out[2];
  memset(out, 0xa5, sizeof out);
  jnet_req r;
  memset(&r, 0, sizeof r);
  r.addrs = out;
  r.naddrs = 1;
  ck_assert_int_eq(b->resolve(b, w->h[0], &r, "many", "80", JNET_STREAM, 0), 1);
  ck_assert_int_eq(r.result, 3);
  char ip[64];
  ck_assert_str_eq(inet_ntop(AF_INET, &out[0].u.in4.sin_addr, ip, sizeof ip),
                   "192.0.2.7");
  unsigned char untouched[sizeof out[1]];
  memset(untouched, 0xa5, sizeof untouched);
  ck_assert(memcmp(&out[1], untouched, sizeof untouched) == 0);
  b->stop(b);
  jnet_sim_free(w->sim);
  free(w);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("sim-api-errors");
  jc_defaults(60, NULL, NULL);
  JC_TEST(s, every_sim_call_refuses_null_and_self_links);
  JC_TEST(s, each_bad_argument_is_refused_on_its_own);
  JC_TEST(s, resolve_without_a_host_and_with_bad_ports);
  JC_TEST(s, free_releases_clogged_packets_pending_actions_and_the_capture);
  JC_TEST(s, crash_and_restart_before_any_loop_change_only_the_host);
  JC_TEST(s, sim_calls_without_memory_give_enomem_and_change_nothing);
  JC_TEST(s, free_releases_packets_waiting_in_lanes);
  JC_TEST(s, resolve_writes_up_to_its_room_and_counts_all);
  return s;
}

int main(void) { return st_run_suite(suite()); }
