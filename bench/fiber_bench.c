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
 *   chan_pingpong_ns    one item passed back and forth between two fibers
 *                       over a rendezvous channel, per hand-off (two fiber
 *                       switches, a scheduler turn and the copy), on a loop
 *                       over the simulated network (no syscalls)
 *   select_ns           a jnet_select over 4 rendezvous channels that a
 *                       giver feeds in turn, per completed select
 * The last two need libjnet with the simulator (FIBER_BENCH_CHAN, set by
 * bench/CMakeLists.txt); without it they are not printed.
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
#if FIBER_BENCH_CHAN
#include <jnet/jnet.h>
#include <jnet/jnet_sim.h>
#endif

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

static double best(double a, double b) { return a < b ? a : b; }

/* ---- channels on a loop ----------------------------------------------------- */

#if FIBER_BENCH_CHAN
typedef struct chan_work {
  jnet_chan *c[4];
  uint64_t n;      /* items to pass */
  uint64_t t0, t1; /* wall clock around the exchange */
  int bad;
} chan_work;

static void pinger(void *arg) {
  chan_work *w = arg;
  uint64_t item = 0;
  w->t0 = now_ns();
  for (uint64_t i = 0; i < w->n; i++) {
    item = i;
    if (jnet_chan_give(w->c[0], &item, JNET_FOREVER) != 0 ||
        jnet_chan_take(w->c[0], &item, JNET_FOREVER) != 1 || item != i + 1)
      w->bad = 1;
  }
  w->t1 = now_ns();
  jnet_chan_close(w->c[0]);
}

static void ponger(void *arg) {
  chan_work *w = arg;
  uint64_t item;
  while (jnet_chan_take(w->c[0], &item, JNET_FOREVER) == 1) {
    item++;
    if (jnet_chan_give(w->c[0], &item, JNET_FOREVER) != 0)
      break;
  }
}

static void feeder(void *arg) {
  chan_work *w = arg;
  for (uint64_t i = 0; i < w->n; i++)
    if (jnet_chan_give(w->c[i % 4], &i, JNET_FOREVER) != 0)
      w->bad = 1;
  for (int i = 0; i < 4; i++)
    jnet_chan_close(w->c[i]);
}

static void selector(void *arg) {
  chan_work *w = arg;
  uint64_t item, want = 0;
  jnet_case k[4];
  for (int i = 0; i < 4; i++) {
    k[i].chan = w->c[i];
    k[i].op = JNET_TAKE;
    k[i].item = &item;
    k[i].result = 0;
  }
  w->t0 = now_ns();
  for (;;) {
    int idx = jnet_select(k, 4, JNET_FOREVER);
    if (idx < 0 || k[idx].result != 1)
      break;
    if (item != want++ || (uint64_t)idx != item % 4)
      w->bad = 1;
  }
  w->t1 = now_ns();
  if (want != w->n)
    w->bad = 1;
}

/* Nanoseconds per item for n items between fibers a and b on a fresh sim
 * loop. */
static double chan_once(uint64_t n, jnet_fiber_fn a, jnet_fiber_fn b) {
  chan_work w = {{NULL}, n, 0, 0, 0};
  jnet_sim *sim;
  jnet_node *h;
  jnet_loop *l;
  static const char *const addrs[] = {"192.0.2.1", NULL};
  if (jnet_sim_new(&sim, 1) != 0 || jnet_sim_host(sim, "h", addrs, &h) != 0 ||
      jnet_loop_new(&l, jnet_sim_backend(sim)) != 0) {
    fputs("fiber_bench: no sim loop\n", stderr);
    exit(1);
  }
  for (int i = 0; i < 4; i++)
    if (jnet_chan_new(&w.c[i], sizeof(uint64_t), 0) != 0)
      exit(1);
  jnet_go(l, a, &w);
  jnet_go(l, b, &w);
  if (jnet_run(l) != 0 || w.bad) {
    fputs("fiber_bench: the channel exchange went wrong\n", stderr);
    exit(1);
  }
  jnet_loop_free(l);
  for (int i = 0; i < 4; i++)
    jnet_chan_free(w.c[i]);
  jnet_sim_free(sim);
  return (double)(w.t1 - w.t0) / (double)n;
}

/* The fastest of BATCHES exchanges of n / BATCHES items, as above. */
static double chan_run(uint64_t n, jnet_fiber_fn a, jnet_fiber_fn b) {
  double fastest = 1e300;
  for (int i = 0; i < BATCHES; i++)
    fastest = best(fastest, chan_once(n / BATCHES, a, b));
  return fastest;
}
#endif

/* ---- main --------------------------------------------------------------- */

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
#if FIBER_BENCH_CHAN
  uint64_t items = round_trips / 10;
  double pp = 1e300, sel = 1e300;
  for (int run = 0; run < RUNS; run++) {
    pp = best(pp, chan_run(items, pinger, ponger) / 2.0); /* 2 hand-offs */
    sel = best(sel, chan_run(items, selector, feeder));
  }
#endif
  printf("fiber_switch_ns\t%.2f\tns\n", sw);
  printf("fiber_spawn_ns\t%.2f\tns\n", sp);
  printf("ucontext_switch_ns\t%.2f\tns\n", uc);
  printf("ucontext_ratio\t%.1f\tx\n", uc / sw);
#if FIBER_BENCH_CHAN
  printf("chan_pingpong_ns\t%.2f\tns\n", pp);
  printf("select_ns\t%.2f\tns\n", sel);
#endif
  return 0;
}
