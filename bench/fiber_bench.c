/* fiber_bench.c — cost of a fiber switch and of a fiber's life, against a
 * ucontext (swapcontext) peer measured in the same run.
 *
 * Standalone: it compiles the fiber runtime in directly, no libjnet needed.
 *
 *   cc -std=gnu11 -O2 -Iapi -o fiber_bench bench/fiber_bench.c api/fiber.c \
 *      api/switch_x86_64.S api/switch_aarch64.S api/alloc.c
 *   ./fiber_bench [round_trips]      (default 10,000,000)
 *
 * (CMake: add_executable(fiber_bench fiber_bench.c ../api/fiber.c
 *  ../api/switch_x86_64.S ../api/switch_aarch64.S ../api/alloc.c) with the
 *  api/ include directory; build it optimised, without sanitizers.)
 *
 * Prints one line per metric, tab-separated: name, value, unit.
 *   fiber_switch_ns     main->coroutine->main round trip / 2
 *   fiber_spawn_ns      jnet__coro_new + run to completion + jnet__coro_free
 *                       (stacks come from the warm pool)
 *   ucontext_switch_ns  the same round trip with swapcontext / 2
 *   ucontext_ratio      ucontext_switch_ns / fiber_switch_ns
 * The work is timed in batches (round_trips / 10 round trips each, 3 times
 * over) and each figure is the fastest batch's average: on a shared machine
 * preemption and other processes only ever add time. The ucontext peer and
 * the spawn loop run a tenth of the work: every swapcontext makes a
 * sigprocmask syscall, which is the cost shown.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <ucontext.h>

#include "fiber.h"

#define STACK_BYTES (64 * 1024)
#define RUNS 3
#define BATCHES 10

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- jnet fibers -------------------------------------------------------- */

static volatile uint64_t sink; /* keeps the loops from being optimised out */

static void yield_forever(void *arg) {
  (void)arg;
  for (;;) {
    sink++;
    jnet__coro_yield_to_main();
  }
}

static double fiber_switch_ns(uint64_t round_trips) {
  jnet__coro *c;
  if (jnet__coro_new(&c, STACK_BYTES, yield_forever, NULL) != 0) {
    fputs("fiber_bench: jnet__coro_new failed\n", stderr);
    exit(1);
  }
  jnet__coro_switch(c); /* warm up: first entry */
  uint64_t best_ns = UINT64_MAX;
  for (int b = 0; b < BATCHES; b++) {
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < round_trips / BATCHES; i++)
      jnet__coro_switch(c);
    uint64_t t1 = now_ns();
    if (t1 - t0 < best_ns)
      best_ns = t1 - t0;
  }
  jnet__coro_free(c); /* suspended forever: dropped */
  return (double)best_ns / (double)(round_trips / BATCHES) / 2.0;
}

static void run_once(void *arg) { *(uint64_t *)arg += 1; }

static double fiber_spawn_ns(uint64_t count) {
  uint64_t ran = 0, best_ns = UINT64_MAX;
  for (int b = 0; b < BATCHES; b++) {
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < count / BATCHES; i++) {
      jnet__coro *c;
      if (jnet__coro_new(&c, STACK_BYTES, run_once, &ran) != 0) {
        fputs("fiber_bench: jnet__coro_new failed\n", stderr);
        exit(1);
      }
      jnet__coro_switch(c);
      jnet__coro_free(c);
    }
    uint64_t t1 = now_ns();
    if (t1 - t0 < best_ns)
      best_ns = t1 - t0;
  }
  if (ran != count / BATCHES * BATCHES) {
    fputs("fiber_bench: a coroutine did not run\n", stderr);
    exit(1);
  }
  return (double)best_ns / (double)(count / BATCHES);
}

/* ---- ucontext peer ------------------------------------------------------ */

static ucontext_t uc_main, uc_coro;

static void uc_yield_forever(void) {
  for (;;) {
    sink++;
    swapcontext(&uc_coro, &uc_main);
  }
}

static double ucontext_switch_ns(uint64_t round_trips) {
  static char stack[STACK_BYTES] __attribute__((aligned(16)));
  getcontext(&uc_coro);
  uc_coro.uc_stack.ss_sp = stack;
  uc_coro.uc_stack.ss_size = sizeof stack;
  uc_coro.uc_link = NULL;
  makecontext(&uc_coro, uc_yield_forever, 0);
  swapcontext(&uc_main, &uc_coro); /* warm up */
  uint64_t best_ns = UINT64_MAX;
  for (int b = 0; b < BATCHES; b++) {
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < round_trips / BATCHES; i++)
      swapcontext(&uc_main, &uc_coro);
    uint64_t t1 = now_ns();
    if (t1 - t0 < best_ns)
      best_ns = t1 - t0;
  }
  return (double)best_ns / (double)(round_trips / BATCHES) / 2.0;
}

/* ---- main --------------------------------------------------------------- */

static double best(double a, double b) { return a < b ? a : b; }

int main(int argc, char **argv) {
  uint64_t round_trips = 10000000;
  if (argc > 1) {
    round_trips = strtoull(argv[1], NULL, 10);
    if (round_trips == 0) {
      fprintf(stderr, "usage: %s [round_trips]\n", argv[0]);
      return 2;
    }
  }
  if (round_trips < 100 * BATCHES)
    round_trips = 100 * BATCHES;
  uint64_t spawns = round_trips / 10, uc_round_trips = round_trips / 10;
  double sw = 1e300, sp = 1e300, uc = 1e300;
  for (int run = 0; run < RUNS; run++) {
    sw = best(sw, fiber_switch_ns(round_trips));
    sp = best(sp, fiber_spawn_ns(spawns));
    uc = best(uc, ucontext_switch_ns(uc_round_trips));
  }
  jnet__coro_pool_drain();
  printf("fiber_switch_ns\t%.2f\tns\n", sw);
  printf("fiber_spawn_ns\t%.2f\tns\n", sp);
  printf("ucontext_switch_ns\t%.2f\tns\n", uc);
  printf("ucontext_ratio\t%.1f\tx\n", uc / sw);
  return 0;
}
