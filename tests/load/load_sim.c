/* load_sim.c — load-sim-10000: the echo load on the simulated network:
 * 10,000 concurrent connections (16 KiB each, random-sized writes) from 4
 * client hosts to one server host, every link with 5% loss and 5%
 * reordering (virtual time). Nothing may be lost or corrupted: every echo
 * is byte for byte what was sent. LOAD_SIM_CLIENTS and LOAD_SIM_BYTES in
 * the environment override the size (measuring). */
#include <jnet/jnet_sim.h>
#include "load.h"
#include "jnet_check.h"

#define LS_HOSTS 4

static int env_int(const char *name, int def) {
  const char *v = getenv(name);
  char *end = NULL;
  long n = v != NULL ? strtol(v, &end, 10) : 0;
  return n > 0 && n < 1000000 && end != NULL && *end == '\0' ? (int)n : def;
}

START_TEST(test_sim_echo_10000) {
  jnet_sim *sim;
  jnet_node *server, *clients[LS_HOSTS];
  ck_assert_int_eq(jnet_sim_new(&sim, 7), 0);
  const char *sa[] = {"192.0.2.1", NULL};
  ck_assert_int_eq(jnet_sim_host(sim, "server", sa, &server), 0);
  for (int i = 0; i < LS_HOSTS; i++) {
    char name[16], addr[32];
    snprintf(name, sizeof name, "c%d", i);
    snprintf(addr, sizeof addr, "192.0.2.%d", 10 + i);
    const char *ca[] = {addr, NULL};
    ck_assert_int_eq(jnet_sim_host(sim, name, ca, &clients[i]), 0);
  }
  jnet_link_params p;
  jnet_link_params_default(&p);
  p.latency_ns = 2 * JNET_SIM_MS;
  p.loss = 0.05;
  p.reorder = 0.05;
  p.queue_bytes = 16u << 20; /* the load, not the queue, is under test */
  ck_assert_int_eq(jnet_sim_link(sim, NULL, NULL, &p), 0);
  jnet_sim_set_limits(sim, 3600ull * JNET_SIM_S, 0);

  ld_run run = {0};
  run.server_host = "192.0.2.1";
  run.nclients = env_int("LOAD_SIM_CLIENTS", 10000);
  run.nbytes = (size_t)env_int("LOAD_SIM_BYTES", 16384);
  run.op_timeout_s = 600;
  run.client_nodes = clients;
  run.nclient_nodes = LS_HOSTS;
  run.c = calloc((size_t)run.nclients, sizeof *run.c);
  ck_assert_ptr_nonnull(run.c);
  ck_assert_int_eq(jnet_loop_new(&run.loop, jnet_sim_backend(sim)), 0);
  double t0 = ld_wall_s();
  ck_assert_int_eq(jnet_go_on(run.loop, server, ld_main, &run), 0);
  int rc = jnet_run(run.loop);
  double wall = ld_wall_s() - t0;
  jnet_sim_stats st;
  jnet_sim_get_stats(sim, &st);
  printf("load-sim: %d clients x %zu bytes, %d ok, virtual %.2f s, wall "
         "%.2f s, %llu packets, %llu dropped, %llu retransmits\n",
         run.nclients, run.nbytes, run.ok,
         (double)jnet_sim_now_ns(sim) / 1e9, wall,
         (unsigned long long)st.packets_sent,
         (unsigned long long)st.packets_dropped,
         (unsigned long long)st.retransmits);
  ck_assert_msg(rc == 0, "jnet_run: %s", jnet_err_name(rc));
  ld_check(&run);
  ck_assert_msg(st.packets_dropped > 0, "the links lost nothing");
  ck_assert_int_eq(jnet_run_once(run.loop), 0); /* ran to idle */
  jnet_loop_free(run.loop);
  jnet_sim_free(sim);
  free(run.c);
}
END_TEST

int main(void) {
  Suite *s = suite_create("load-sim");
  jc_defaults(120, NULL, NULL);
  JC_TEST(s, test_sim_echo_10000);
  return jc_run(s);
}
