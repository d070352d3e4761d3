/* bench_guard.c — ctest `bench-guard`: a performance regression guard that
 * cannot flake, because it counts instructions instead of timing anything.
 *
 * It runs bench/sim_udp_bench (a fixed, seeded UDP ping-pong between two
 * simulated hosts) under `valgrind --tool=callgrind` at two sizes and takes
 * the difference, so start-up and tear-down cancel out: what is left is the
 * cost of one more simulated datagram, from jnet_send_to in one fiber through
 * the backend, the model and the event queue to jnet_recv_from in another.
 * The simulation is deterministic and so is the count (give or take a few
 * instructions of libc). The ceilings are about 1.3 times what the code
 * costs today, so a regression of a few hundred instructions per packet (a
 * hash look-up or a call chain added to the hot path, let alone an O(n)
 * scan, a syscall or an allocation per event) trips them.
 *
 * Exits 77 (ctest: skipped) with a message when valgrind is not installed.
 * SIM_UDP_BENCH is the bench program's path, set by CMake.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jnet_check.h"

#ifndef SIM_UDP_BENCH
#error "SIM_UDP_BENCH must name bench/sim_udp_bench"
#endif
#ifndef SIM_NS3_PEER
#error "SIM_NS3_PEER must name bench/sim_ns3_peer"
#endif

/* Instructions per delivered datagram, capture off. CMake passes the
 * ceiling for the build type (tests/benchguard/CMakeLists.txt): measured
 * 1,104 optimised (RelWithDebInfo) and 3,069 at -O0 (Debug); this default
 * is for a build that passes none. */
#ifndef MAX_INSTR_PER_DATAGRAM
#define MAX_INSTR_PER_DATAGRAM 3984.0
#endif
/* Instructions per echo of sim_ns3_peer (two datagrams over a paced link,
 * a sleep): measured 2,587 optimised, 7,400 at -O0 (3,188 optimised
 * before the paced link's inline path and the lanes' hints and mask). */
#ifndef MAX_INSTR_PER_ECHO
#define MAX_INSTR_PER_ECHO 9620.0
#endif
/* Capture on costs more per datagram (headers, checksums, a buffered
 * write): measured 1.22x optimised, 1.32x at -O0. */
#define MAX_PCAP_COST_RATIO 1.40

/* Run `args` (a program and its arguments, quoted for sh) under callgrind
 * and return the instructions it executed, or -1. */
static double callgrind_run(const char *args) {
  char out_tmpl[] = "/tmp/jnet-bench-guard-XXXXXX";
  char cmd[2048], line[512];
  int fd = mkstemp(out_tmpl);
  double total = -1;
  if (fd < 0) return -1;
  close(fd);
  snprintf(cmd, sizeof cmd,
           "valgrind --tool=callgrind --callgrind-out-file=%s.cg %s "
           "2>%s >/dev/null",
           out_tmpl, args, out_tmpl);
  int rc = system(cmd);
  FILE *f = fopen(out_tmpl, "r");
  if (f) {
    /* "==123== Collected : 45678" */
    while (fgets(line, sizeof line, f)) {
      char *p = strstr(line, "Collected :");
      if (p) total = strtod(p + strlen("Collected :"), NULL);
    }
    fclose(f);
  }
  if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
    fprintf(stderr, "bench-guard: `%s` failed (status %d)\n", cmd, rc);
    total = -1;
  }
  unlink(out_tmpl);
  snprintf(cmd, sizeof cmd, "%s.cg", out_tmpl);
  unlink(cmd);
  return total;
}

/* sim_udp_bench with `datagrams` (one flow, one trial, `pcap` file or
 * NULL) under callgrind. */
static double callgrind_instructions(long datagrams, const char *pcap) {
  char args[1024];
  snprintf(args, sizeof args, "'%s' --datagrams %ld --flows 1 --trials 1%s%s%s",
           SIM_UDP_BENCH, datagrams, pcap ? " --pcap '" : "",
           pcap ? pcap : "", pcap ? "'" : "");
  return callgrind_run(args);
}

/* The two sizes: marginal instructions per delivered datagram between
 * 2,000 and 6,000 datagrams (sim_udp_bench delivers exactly what it is
 * asked for with one flow: n / 2 pings and n / 2 echoes). */
#define SMALL 2000
#define LARGE 6000

/* Capture off, measured once in main() before the tests fork (both tests
 * need it; a callgrind run costs about 0.4 s of CPU, mostly start-up). */
static double off_small = -1, off_large = -1;

static double per_datagram(double small, double large) {
  ck_assert_msg(small > 0 && large > 0, "callgrind runs failed");
  ck_assert_msg(large > small, "more datagrams cost fewer instructions?");
  return (large - small) / (double)(LARGE - SMALL);
}

static double instr_per_datagram(const char *pcap) {
  return per_datagram(callgrind_instructions(SMALL, pcap),
                      callgrind_instructions(LARGE, pcap));
}

START_TEST(udp_datagram_costs_under_ceiling) {
  double per = per_datagram(off_small, off_large);
  fprintf(stderr, "bench-guard: %.0f instructions per simulated datagram "
          "(ceiling %.0f)\n", per, MAX_INSTR_PER_DATAGRAM);
  ck_assert_msg(per < MAX_INSTR_PER_DATAGRAM,
                "%.0f instructions per datagram, ceiling %.0f", per,
                MAX_INSTR_PER_DATAGRAM);
}
END_TEST

START_TEST(pcap_capture_costs_bounded_multiple) {
  char path[] = "/tmp/jnet-bench-guard-pcap-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  close(fd);
  double off = per_datagram(off_small, off_large);
  double on = instr_per_datagram(path);
  unlink(path);
  fprintf(stderr, "bench-guard: capture on %.0f vs off %.0f instructions "
          "per datagram (%.2fx, ceiling %.2fx)\n", on, off, on / off,
          MAX_PCAP_COST_RATIO);
  ck_assert_msg(on / off < MAX_PCAP_COST_RATIO,
                "capture costs %.2fx, ceiling %.2fx", on / off,
                MAX_PCAP_COST_RATIO);
}
END_TEST

/* bench/sim_ns3_peer, the UDP echo bench/run.sh races against ns-3: a
 * paced 10 Gbps link, 100 echoes in flight (the event queue's lanes), the
 * client's sender pacing itself with jnet_sleep. Marginal instructions per
 * echo (two datagrams, three fibers woken) between 2,000 and 6,000. */
START_TEST(udp_echo_over_a_paced_link_costs_under_ceiling) {
  char args[1024];
  double n[2];
  for (int i = 0; i < 2; i++) {
    snprintf(args, sizeof args, "'%s' --packets %d", SIM_NS3_PEER,
             i ? LARGE : SMALL);
    n[i] = callgrind_run(args);
  }
  double per = per_datagram(n[0], n[1]);
  fprintf(stderr, "bench-guard: %.0f instructions per simulated echo "
          "(ceiling %.0f)\n", per, MAX_INSTR_PER_ECHO);
  ck_assert_msg(per < MAX_INSTR_PER_ECHO,
                "%.0f instructions per echo, ceiling %.0f", per,
                MAX_INSTR_PER_ECHO);
}
END_TEST

static Suite *bench_guard_suite(void) {
  Suite *s = suite_create("bench-guard");
  jc_defaults(600, NULL, NULL);
  JC_TEST(s, udp_datagram_costs_under_ceiling);
  JC_TEST(s, pcap_capture_costs_bounded_multiple);
  JC_TEST(s, udp_echo_over_a_paced_link_costs_under_ceiling);
  return s;
}

int main(void) {
  if (system("valgrind --version >/dev/null 2>&1") != 0) {
    printf("bench-guard: skipped: valgrind is not installed "
           "(apt-get install valgrind)\n");
    return 77;
  }
  Suite *s = bench_guard_suite();
  if (!jc_nothing_to_run()) {
    off_small = callgrind_instructions(SMALL, NULL);
    off_large = callgrind_instructions(LARGE, NULL);
  }
  return jc_run_fork(s, CK_FORK);
}
