/* test_fiber.c — Check suite for api/fiber.c: switching, values and
 * registers across switches, many live coroutines, the stack pool, the guard
 * page and the canary, per-thread state, allocation failure.
 *
 * Built twice by tests/unit/CMakeLists.txt: against libjnet (the hand-written
 * switch on x86-64/AArch64: ctest unit-fiber) and with fiber.c compiled with
 * -DJNET_FIBER_UCONTEXT (the fallback other architectures use:
 * ctest unit-fiber-ucontext).
 */
#include <check.h>
#include <errno.h>
#include <fenv.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fiber.h"
#include <jnet/jnet.h>
#include "jnet_check.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#define STACK_BYTES (64 * 1024)

/* A SIGSEGV under a sanitizer is reported by it, which then exits (ASan 1,
 * TSan 66) instead of dying by the signal. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(JNET_ASAN)
#define TEST_ASAN 1
#endif
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TEST_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define TEST_TSAN 1
#endif
#ifdef TEST_ASAN
#define ADD_SEGV_TEST(s, fn) JC_EXIT(s, fn, 1)
#elif defined(TEST_TSAN) /* TSan reports it and exits 66 */
#define ADD_SEGV_TEST(s, fn) JC_EXIT(s, fn, 66)
#else
#define ADD_SEGV_TEST(s, fn) JC_SIGNAL(s, fn, SIGSEGV)
#endif

/* ---- helpers ------------------------------------------------------------ */

static jnet__coro *spawn(void (*fn)(void *), void *arg, size_t bytes) {
  jnet__coro *c = NULL;
  ck_assert_int_eq(jnet__coro_new(&c, bytes, fn, arg), 0);
  ck_assert_ptr_nonnull(c);
  return c;
}

/* The [start, end) of the mapping in /proc/self/maps that holds `addr`, and
 * the permissions of the mapping right below it. */
static void mapping_of(const void *addr, uintptr_t *start, uintptr_t *end,
                       char below_perms[5]) {
  FILE *f = fopen("/proc/self/maps", "r");
  ck_assert_ptr_nonnull(f);
  char line[512], prev_perms[5] = "none";
  uintptr_t prev_end = 0;
  int found = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    unsigned long lo, hi;
    char perms[5];
    if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) != 3)
      continue;
    if ((uintptr_t)addr >= lo && (uintptr_t)addr < hi) {
      *start = lo;
      *end = hi;
      if (prev_end == lo)
        memcpy(below_perms, prev_perms, 5);
      else
        strcpy(below_perms, "gap");
      found = 1;
      break;
    }
    prev_end = hi;
    memcpy(prev_perms, perms, 5);
  }
  fclose(f);
  ck_assert_msg(found, "no mapping holds %p", addr);
}

/* ---- ping-pong with values ---------------------------------------------- */

/* Rounds that saw a wrong value are counted (the first one kept) and
 * asserted after the loop: a Check assertion that passes writes to the
 * parent process (its last checkpoint), 30,000 writes here otherwise. */
typedef struct {
  long to_coro, to_main;
  int rounds;
  int bad, first_bad; /* rounds the coroutine saw a wrong to_coro */
} pingpong;

static void pingpong_fn(void *arg) {
  pingpong *p = arg;
  for (int i = 0; i < p->rounds; i++) {
    if (p->to_coro != i * 3 + 1 && p->bad++ == 0)
      p->first_bad = i;
    p->to_main = p->to_coro * 2;
    jnet__coro_yield_to_main();
  }
}

/* 10,000 rounds: each is the same two switches; under the ucontext
 * fallback every switch is a sigprocmask system call, and 100,000 rounds
 * cost 0.4 s there without showing more. */
START_TEST(ping_pong_passes_values_both_ways) {
  pingpong p = {0, 0, 10000, 0, 0};
  jnet__coro *c = spawn(pingpong_fn, &p, STACK_BYTES);
  int bad = 0, first_bad = 0;
  for (int i = 0; i < p.rounds; i++) {
    p.to_coro = i * 3 + 1;
    jnet__coro_switch(c);
    if ((p.to_main != (i * 3 + 1) * 2 || jnet__coro_done(c)) && bad++ == 0)
      first_bad = i;
  }
  ck_assert_msg(bad == 0, "main saw %d wrong rounds, the first %d", bad,
                first_bad);
  ck_assert_msg(p.bad == 0, "the coroutine saw %d wrong rounds, the first %d",
                p.bad, p.first_bad);
  jnet__coro_switch(c); /* the loop ends, fn returns */
  ck_assert(jnet__coro_done(c));
  jnet__coro_free(c);
}
END_TEST

/* ---- current / done / data ---------------------------------------------- */

typedef struct {
  jnet__coro *seen_current;
  void *seen_data;
  int steps;
} probe;

static void probe_fn(void *arg) {
  probe *p = arg;
  p->seen_current = jnet__coro_current();
  p->seen_data = jnet__coro_data(p->seen_current);
  p->steps++;
  jnet__coro_yield_to_main();
  p->steps++;
}

START_TEST(done_flag_and_current_follow_the_coroutine) {
  probe p = {0};
  ck_assert_ptr_null(jnet__coro_current());
  jnet__coro *c = spawn(probe_fn, &p, STACK_BYTES);
  jnet__coro_set_data(c, &p.steps);
  ck_assert_int_eq(jnet__coro_done(c), 0);
  ck_assert_int_eq(p.steps, 0); /* not run before the first switch */
  jnet__coro_switch(c);
  ck_assert_ptr_eq(p.seen_current, c);
  ck_assert_ptr_eq(p.seen_data, &p.steps);
  ck_assert_ptr_null(jnet__coro_current());
  ck_assert_int_eq(p.steps, 1);
  ck_assert_int_eq(jnet__coro_done(c), 0);
  jnet__coro_switch(c);
  ck_assert_int_eq(p.steps, 2);
  ck_assert_int_eq(jnet__coro_done(c), 1);
  ck_assert_ptr_null(jnet__coro_current());
  jnet__coro_free(c);
  jnet__coro_free(NULL);
  jnet__coro_pool_drain();
}
END_TEST

static void noop_fn(void *arg) { (void)arg; }

START_TEST(bad_arguments_give_einval) {
  jnet__coro *c = (jnet__coro *)&c;
  ck_assert_int_eq(jnet__coro_new(NULL, STACK_BYTES, noop_fn, NULL),
                   JNET_EINVAL);
  ck_assert_int_eq(jnet__coro_new(&c, STACK_BYTES, NULL, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet__coro_new(&c, 0, noop_fn, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet__coro_new(&c, (size_t)1 << 40, noop_fn, NULL),
                   JNET_EINVAL);
}
END_TEST

static int fail_allocs;
static void *failing_malloc(size_t n) { return fail_allocs ? NULL : malloc(n); }

START_TEST(allocation_failure_gives_enomem) {
  ck_assert_int_eq(jnet_replace_allocator(failing_malloc, realloc, free), 0);
  fail_allocs = 1;
  jnet__coro *c = (jnet__coro *)&c;
  ck_assert_int_eq(jnet__coro_new(&c, STACK_BYTES, noop_fn, NULL), JNET_ENOMEM);
  ck_assert_ptr_null(c);
  fail_allocs = 0;
  c = spawn(noop_fn, NULL, STACK_BYTES);
  jnet__coro_switch(c);
  ck_assert(jnet__coro_done(c));
  jnet__coro_free(c);
}
END_TEST

/* ---- many coroutines ---------------------------------------------------- */

typedef struct {
  int id;
  long sum;
} worker;

static void worker_fn(void *arg) {
  worker *w = arg;
  long local = w->id; /* lives on this coroutine's stack across yields */
  for (int i = 0; i < 3; i++) {
    local = local * 3 + i;
    jnet__coro_yield_to_main();
  }
  w->sum = local;
}

START_TEST(ten_thousand_coroutines_alive_at_once) {
  enum { N = 10000 };
  jnet__coro **cs = calloc(N, sizeof *cs);
  worker *ws = calloc(N, sizeof *ws);
  ck_assert(cs != NULL && ws != NULL);
  for (int i = 0; i < N; i++) {
    ws[i].id = i;
    cs[i] = spawn(worker_fn, &ws[i], 16 * 1024);
  }
  for (int round = 0; round < 4; round++)
    for (int i = 0; i < N; i++)
      jnet__coro_switch(cs[i]);
  int bad = 0, first_bad = 0; /* asserted once: see pingpong */
  for (int i = 0; i < N; i++) {
    long want = i;
    for (int k = 0; k < 3; k++)
      want = want * 3 + k;
    if ((!jnet__coro_done(cs[i]) || ws[i].sum != want) && bad++ == 0)
      first_bad = i;
    jnet__coro_free(cs[i]);
  }
  ck_assert_msg(bad == 0, "%d coroutines wrong, the first %d", bad,
                first_bad);
  jnet__coro_pool_drain();
  free(cs);
  free(ws);
}
END_TEST

/* ---- stack pool --------------------------------------------------------- */

/* Frame addresses, not addresses of locals: under ASan's
 * detect_stack_use_after_return locals live on a heap "fake stack". */
static void where_fn(void *arg) {
  *(uintptr_t *)arg = (uintptr_t)__builtin_frame_address(0);
}

static uintptr_t run_where(size_t bytes, jnet__coro **keep) {
  uintptr_t addr = 0;
  jnet__coro *c = spawn(where_fn, &addr, bytes);
  jnet__coro_switch(c);
  ck_assert(jnet__coro_done(c));
  if (keep != NULL)
    *keep = c;
  else
    jnet__coro_free(c);
  return addr;
}

START_TEST(freed_stack_is_reused_for_the_same_size) {
  jnet__coro *held;
  uintptr_t a = run_where(STACK_BYTES, &held);
  uintptr_t b = run_where(STACK_BYTES, NULL); /* a is still in use */
  ck_assert(a != b);
  jnet__coro_free(held); /* a's stack goes to the pool, after b's */
  uintptr_t c = run_where(STACK_BYTES, NULL);
  ck_assert(c == a); /* the most recently freed stack comes back */
  uintptr_t d = run_where(STACK_BYTES * 2, NULL); /* another size: fresh */
  ck_assert(d != a && d != b);
  jnet__coro_pool_drain();
}
END_TEST

START_TEST(pool_drain_unmaps_free_stacks) {
  uintptr_t a = run_where(STACK_BYTES, NULL);
  long page = sysconf(_SC_PAGESIZE);
  void *pg = (void *)(a & ~((uintptr_t)page - 1));
  unsigned char resident;
  ck_assert_int_eq(mincore(pg, (size_t)page, &resident), 0); /* pooled */
  jnet__coro_pool_drain();
  errno = 0;
  ck_assert_int_eq(mincore(pg, (size_t)page, &resident), -1);
  ck_assert_int_eq(errno, ENOMEM); /* unmapped */
}
END_TEST

/* A drain (jnet_loop_free does one when the thread's last loop goes)
 * leaves the pool as new: the next loop's stacks are pooled and reused
 * again, not mapped and unmapped for every fiber. */
START_TEST(pool_keeps_stacks_again_after_a_drain) {
  (void)run_where(STACK_BYTES, NULL);
  (void)run_where(STACK_BYTES * 2, NULL); /* two classes in use */
  jnet__coro_pool_drain();
  long page = sysconf(_SC_PAGESIZE);
  unsigned char resident;
  for (int k = 1; k <= 2; k++) {
    uintptr_t a = run_where(STACK_BYTES * (size_t)k, NULL);
    void *pg = (void *)(a & ~((uintptr_t)page - 1));
    ck_assert_msg(mincore(pg, (size_t)page, &resident) == 0,
                  "size %d: the freed stack was unmapped, not pooled", k);
    ck_assert(run_where(STACK_BYTES * (size_t)k, NULL) == a); /* reused */
  }
  jnet__coro_pool_drain();
}
END_TEST

/* The pool keeps 256 free stacks of a size; the ones freed after that are
 * unmapped at once. */
START_TEST(pool_keeps_at_most_256_free_stacks_per_size) {
  enum { N = 300, KEPT = 256 };
  jnet__coro *cs[N];
  uintptr_t where[N];
  for (int i = 0; i < N; i++) {
    cs[i] = spawn(where_fn, &where[i], STACK_BYTES);
    jnet__coro_switch(cs[i]);
  }
  for (int i = 0; i < N; i++)
    jnet__coro_free(cs[i]);
  long page = sysconf(_SC_PAGESIZE);
  unsigned char resident;
  for (int i = 0; i < N; i++) {
    void *pg = (void *)(where[i] & ~((uintptr_t)page - 1));
    int mapped = mincore(pg, (size_t)page, &resident) == 0;
    ck_assert_msg(mapped == (i < KEPT), "stack %d mapped=%d", i, mapped);
  }
  jnet__coro_pool_drain();
}
END_TEST

START_TEST(usable_stack_is_at_least_the_requested_size) {
  const size_t sizes[] = {1, 5000, 16 * 1024, 64 * 1024 + 1, 300 * 1000};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    uintptr_t frame = 0, start, end;
    char below[5];
    jnet__coro *c = spawn(where_fn, &frame, sizes[i]);
    jnet__coro_switch(c);
    ck_assert(jnet__coro_done(c));
    mapping_of((const void *)frame, &start, &end, below); /* still mapped */
    ck_assert_str_eq(below, "---p");
    /* only coro_start's frame and the return address sit above where_fn's
     * (~32 bytes): a stack rounded without room for its descriptor fails
     * the page-multiple size */
    ck_assert_msg(frame - start + 64 >= sizes[i], "size %zu: %zu below",
                  sizes[i], (size_t)(frame - start));
    jnet__coro_free(c);
  }
  jnet__coro_pool_drain();
}
END_TEST

/* A coroutine suspended forever is freed without running again; its stack
 * serves the next coroutine. */
static void suspend_forever_fn(void *arg) {
  int *state = arg;
  *state = 1;
  jnet__coro_yield_to_main();
  *state = 2; /* must never run */
}

START_TEST(free_of_a_suspended_coroutine_drops_it) {
  int state = 0;
  jnet__coro *c = spawn(suspend_forever_fn, &state, STACK_BYTES);
  jnet__coro_switch(c);
  ck_assert_int_eq(state, 1);
  ck_assert(!jnet__coro_done(c));
  jnet__coro_free(c);
  ck_assert_int_eq(state, 1);
  jnet__coro *never = spawn(noop_fn, NULL, STACK_BYTES); /* never started */
  jnet__coro_free(never);
  pingpong p = {0, 0, 10, 0, 0};
  c = spawn(pingpong_fn, &p, STACK_BYTES);
  for (int i = 0; i <= p.rounds; i++) {
    p.to_coro = i * 3 + 1;
    jnet__coro_switch(c);
  }
  ck_assert(jnet__coro_done(c));
  ck_assert_int_eq(p.bad, 0);
  ck_assert_int_eq(state, 1);
  jnet__coro_free(c);
  jnet__coro_pool_drain();
}
END_TEST

/* ---- deep recursion, registers, floating point -------------------------- */

static long recurse(int depth) {
  volatile char frame[128];
  frame[0] = (char)depth;
  if (depth == 0)
    return 0;
  return recurse(depth - 1) + frame[0] % 7 + 1;
}

static void deep_fn(void *arg) {
  long *out = arg;
  jnet__coro_yield_to_main();
  *out = recurse(1000); /* ~ 150-250 KiB of stack */
}

START_TEST(deep_recursion_within_the_stack_size_works) {
  long got = -1, want = 0;
  for (int d = 1; d <= 1000; d++)
    want += (char)d % 7 + 1;
  jnet__coro *c = spawn(deep_fn, &got, 1024 * 1024);
  jnet__coro_switch(c);
  jnet__coro_switch(c);
  ck_assert(jnet__coro_done(c));
  ck_assert_int_eq(got, want);
  jnet__coro_free(c);
}
END_TEST

typedef struct {
  double out;
  int rounds;
} fp_state;

static double fp_step(double x, int i) { return x * 1.0000001 + i / 3.0; }

static void fp_fn(void *arg) {
  fp_state *s = arg;
  double x = 0.5, y = 1e-3;
  unsigned long n = 7;
  for (int i = 0; i < s->rounds; i++) {
    x = fp_step(x, i);
    y = y / 1.5 + x;
    n = n * 31 + i;
    jnet__coro_yield_to_main();
  }
  s->out = x + y + (double)(n % 1000);
}

START_TEST(doubles_and_locals_survive_switches) {
  fp_state s = {0, 1000};
  jnet__coro *c = spawn(fp_fn, &s, STACK_BYTES);
  double mx = 2.25, my = 7.0; /* main computes too, interleaved */
  for (int i = 0; i < s.rounds + 1; i++) {
    mx = fp_step(mx, -i);
    jnet__coro_switch(c);
    my = my * 0.999 + mx;
  }
  ck_assert(jnet__coro_done(c));
  jnet__coro_free(c);
  /* the same computations, without switching */
  double x = 0.5, y = 1e-3, ex = 2.25, ey = 7.0;
  unsigned long n = 7;
  for (int i = 0; i < s.rounds; i++) {
    x = fp_step(x, i);
    y = y / 1.5 + x;
    n = n * 31 + i;
  }
  for (int i = 0; i < s.rounds + 1; i++) {
    ex = fp_step(ex, -i);
    ey = ey * 0.999 + ex;
  }
  ck_assert(s.out == x + y + (double)(n % 1000));
  ck_assert(mx == ex && my == ey);
}
END_TEST

/* The rounding mode (MXCSR / x87 control word on x86-64) belongs to each
 * context: a coroutine's fesetround does not leak into main and back. */
static volatile double one = 1.0, three = 3.0;

typedef struct {
  int mode;     /* fegetround() in the coroutine after a round trip */
  double third; /* 1/3 computed there (SSE: rounded by MXCSR) */
} round_seen;

static void round_fn(void *arg) {
  round_seen *seen = arg;
  fesetround(FE_UPWARD);
  jnet__coro_yield_to_main();
  seen->mode = fegetround();
  seen->third = one / three;
}

START_TEST(rounding_mode_is_per_context) {
  round_seen seen = {-1, 0};
  ck_assert_int_eq(fegetround(), FE_TONEAREST);
  double nearest = one / three;
  jnet__coro *c = spawn(round_fn, &seen, STACK_BYTES);
  jnet__coro_switch(c);
  ck_assert_int_eq(fegetround(), FE_TONEAREST);
  ck_assert(one / three == nearest);
  jnet__coro_switch(c);
  ck_assert_int_eq(seen.mode, FE_UPWARD);
  /* rounded up (Valgrind runs SSE code in round-to-nearest only) */
  ck_assert(seen.third > nearest || RUNNING_ON_VALGRIND);
  ck_assert_int_eq(fegetround(), FE_TONEAREST);
  ck_assert(one / three == nearest);
  jnet__coro_free(c);
}
END_TEST

#if defined(__x86_64__)
/* The x87 control word alone (its precision field, which fesetround does
 * not touch, MXCSR unchanged) also belongs to each context: the switch
 * skips reloading what is unchanged, and must see that this changed. */
static uint16_t x87_cw(void) {
  uint16_t cw;
  __asm__ volatile("fnstcw %0" : "=m"(cw));
  return cw;
}
static void x87_set_cw(uint16_t cw) { __asm__ volatile("fldcw %0" : : "m"(cw)); }

static void x87_fn(void *arg) {
  uint16_t *seen = arg;
  x87_set_cw((uint16_t)(x87_cw() & ~0x300u)); /* precision: single */
  jnet__coro_yield_to_main();
  *seen = x87_cw();
}

START_TEST(x87_control_word_alone_is_per_context) {
  uint16_t mine = x87_cw(), seen = 0;
  unsigned mxcsr = __builtin_ia32_stmxcsr();
  ck_assert_uint_eq(mine & 0x300u, 0x300u); /* double extended */
  jnet__coro *c = spawn(x87_fn, &seen, STACK_BYTES);
  jnet__coro_switch(c);
  ck_assert_uint_eq(x87_cw(), mine);
  ck_assert_uint_eq(__builtin_ia32_stmxcsr(), mxcsr);
  jnet__coro_switch(c);
  ck_assert_uint_eq(seen, (uint16_t)(mine & ~0x300u));
  ck_assert_uint_eq(x87_cw(), mine);
  jnet__coro_free(c);
}
END_TEST
#endif

#if defined(__x86_64__) || defined(__aarch64__)
/* regs_survive.S: load every callee-saved register with magic+k, call fn,
 * return 1 if they all survived. */
int regs_survive(void (*fn)(void), uint64_t magic);

static jnet__coro *regs_coro;
static int regs_coro_ok;

static void resume_regs_coro(void) { jnet__coro_switch(regs_coro); }
static void yield_main(void) { jnet__coro_yield_to_main(); }

static void regs_fn(void *arg) {
  (void)arg;
  regs_coro_ok = regs_survive(yield_main, 0x5eed0000c0ffee00ULL);
}

START_TEST(callee_saved_registers_survive_switches) {
  regs_coro = spawn(regs_fn, NULL, STACK_BYTES);
  ck_assert_int_eq(regs_survive(resume_regs_coro, 0x1111222233330000ULL), 1);
  ck_assert(!jnet__coro_done(regs_coro));
  jnet__coro_switch(regs_coro);
  ck_assert(jnet__coro_done(regs_coro));
  ck_assert_int_eq(regs_coro_ok, 1);
  jnet__coro_free(regs_coro);
}
END_TEST
#endif

/* ---- coroutine to coroutine --------------------------------------------- */

typedef struct {
  jnet__coro *a, *b;
  char log[16];
  int len;
} relay;

static void relay_b(void *arg) {
  relay *r = arg;
  r->log[r->len++] = 'b';
  jnet__coro_switch(r->a); /* straight back to a, not via main */
  r->log[r->len++] = 'B';
  /* returning ends b: it goes to main by itself */
}

static void relay_a(void *arg) {
  relay *r = arg;
  r->log[r->len++] = 'a';
  jnet__coro_switch(r->b);
  ck_assert_ptr_eq(jnet__coro_current(), r->a);
  r->log[r->len++] = 'A';
  jnet__coro_yield_to_main();
  r->log[r->len++] = '!';
}

START_TEST(coroutine_to_coroutine_switch) {
  relay r = {0};
  r.a = spawn(relay_a, &r, STACK_BYTES);
  r.b = spawn(relay_b, &r, STACK_BYTES);
  jnet__coro_switch(r.a);
  ck_assert_str_eq(r.log, "abA");
  jnet__coro_switch(r.b);
  ck_assert_str_eq(r.log, "abAB");
  ck_assert(jnet__coro_done(r.b) && !jnet__coro_done(r.a));
  ck_assert_ptr_null(jnet__coro_current());
  jnet__coro_switch(r.a);
  ck_assert_str_eq(r.log, "abAB!");
  ck_assert(jnet__coro_done(r.a));
  jnet__coro_free(r.a);
  jnet__coro_free(r.b);
}
END_TEST

/* ---- threads ------------------------------------------------------------ */

static void *thread_main(void *arg) {
  long *ok = arg;
  pingpong p = {0, 0, 20000, 0, 0};
  jnet__coro *c = NULL;
  if (jnet__coro_new(&c, STACK_BYTES, pingpong_fn, &p) != 0)
    return NULL;
  for (int i = 0; i <= p.rounds; i++) {
    if (jnet__coro_current() != NULL)
      return NULL;
    p.to_coro = i * 3 + 1;
    jnet__coro_switch(c);
    if (i < p.rounds && p.to_main != (i * 3 + 1) * 2)
      return NULL;
  }
  *ok = jnet__coro_done(c) && p.bad == 0;
  jnet__coro_free(c);
  jnet__coro_pool_drain();
  return NULL;
}

START_TEST(each_thread_has_its_own_main_and_current) {
  enum { NT = 4 };
  pthread_t t[NT];
  long ok[NT] = {0};
  for (int i = 0; i < NT; i++)
    ck_assert_int_eq(pthread_create(&t[i], NULL, thread_main, &ok[i]), 0);
  for (int i = 0; i < NT; i++) {
    ck_assert_int_eq(pthread_join(t[i], NULL), 0);
    ck_assert_int_eq(ok[i], 1);
  }
}
END_TEST

/* ---- guard page and canary ---------------------------------------------- */

static void write_below_fn(void *arg) {
  (void)arg;
  uintptr_t start, end;
  char below[5];
  mapping_of(__builtin_frame_address(0), &start, &end, below);
  ck_assert_str_eq(below, "---p");   /* the guard page */
  *(volatile char *)(start - 1) = 1; /* SIGSEGV */
  ck_abort_msg("wrote into the guard page");
}

START_TEST(writing_below_the_stack_segfaults) {
  jnet__coro *c = spawn(write_below_fn, NULL, STACK_BYTES);
  jnet__coro_switch(c);
  ck_abort_msg("coroutine returned");
}
END_TEST

static long runaway(long depth) {
  volatile char frame[512];
  frame[0] = (char)depth;
  if (depth > (1L << 40)) /* never: keeps -Winfinite-recursion quiet */
    return 0;
  return runaway(depth + 1) + frame[0];
}

static void overflow_fn(void *arg) { *(long *)arg = runaway(0); }

START_TEST(unbounded_recursion_hits_the_guard_page) {
  long out = 0;
  jnet__coro *c = spawn(overflow_fn, &out, STACK_BYTES);
  jnet__coro_switch(c);
  ck_abort_msg("coroutine returned");
}
END_TEST

static void smash_canary_fn(void *arg) {
  (void)arg;
  uintptr_t start, end;
  char below[5];
  mapping_of(__builtin_frame_address(0), &start, &end, below);
  *(volatile uint64_t *)start ^= 0xffff; /* the canary word */
  jnet__coro_yield_to_main();            /* checked here: abort */
}

START_TEST(smashed_canary_aborts_on_switch_out) {
  jnet__coro *c = spawn(smash_canary_fn, NULL, STACK_BYTES);
  jnet__coro_switch(c);
  ck_abort_msg("switch out with a bad canary did not abort");
}
END_TEST

/* ---- suite -------------------------------------------------------------- */

static Suite *fiber_suite(void) {
  Suite *s = suite_create("fiber");
  jc_defaults(60, NULL, NULL);
  JC_TEST(s, ping_pong_passes_values_both_ways);
  JC_TEST(s, done_flag_and_current_follow_the_coroutine);
  JC_TEST(s, bad_arguments_give_einval);
  JC_TEST(s, allocation_failure_gives_enomem);
  JC_TEST(s, coroutine_to_coroutine_switch);
  JC_TEST(s, doubles_and_locals_survive_switches);
  JC_TEST(s, rounding_mode_is_per_context);
#if defined(__x86_64__)
  JC_TEST(s, x87_control_word_alone_is_per_context);
#endif
#if defined(__x86_64__) || defined(__aarch64__)
  JC_TEST(s, callee_saved_registers_survive_switches);
#endif
  JC_TEST(s, each_thread_has_its_own_main_and_current);

  jc_defaults(120, NULL, NULL);
  JC_TEST(s, ten_thousand_coroutines_alive_at_once);
  JC_TEST(s, freed_stack_is_reused_for_the_same_size);
  JC_TEST(s, pool_drain_unmaps_free_stacks);
  JC_TEST(s, pool_keeps_stacks_again_after_a_drain);
  JC_TEST(s, pool_keeps_at_most_256_free_stacks_per_size);
  JC_TEST(s, usable_stack_is_at_least_the_requested_size);
  JC_TEST(s, free_of_a_suspended_coroutine_drops_it);
  JC_TEST(s, deep_recursion_within_the_stack_size_works);
  ADD_SEGV_TEST(s, writing_below_the_stack_segfaults);
  ADD_SEGV_TEST(s, unbounded_recursion_hits_the_guard_page);
  JC_SIGNAL(s, smashed_canary_aborts_on_switch_out, SIGABRT);
  return s;
}

int main(void) {
  return jc_run(fiber_suite());
}
