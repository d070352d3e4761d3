/* fiber.c — stackful coroutines for the scheduler: context switch, stack
 * pool, sanitizer and Valgrind annotations.
 *
 * Sections:
 *   1. Configuration: which context switch, which sanitizers, Valgrind.
 *   2. Per-thread state: the running coroutine, the main context, the pool.
 *   3. Stack pool: mmap'd stacks with a PROT_NONE guard page at the low end
 *      and a canary word just above it, kept per size for reuse.
 *   4. Switching: the one place a context changes, with its annotations.
 *   5. Coroutines: new, switch, yield, done, free.
 *
 * The idea: a suspended context is a stack pointer (x86-64, AArch64: the
 * callee-saved registers are pushed on its own stack by jnet__ctx_switch in
 * api/switch_*.S) or a ucontext_t (other architectures). The thread's main
 * context is a jnet__coro without a stack that lives in thread-local storage,
 * so "switch to main" and "switch to a coroutine" are the same operation and
 * loops on different threads never share anything. No switch makes a
 * syscall; only a pool miss (mmap + mprotect) and a pool overflow (munmap) do.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* MAP_ANONYMOUS, MAP_STACK under -std=c11 */
#endif
#include "fiber.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "jnet_alloc.h"
#include <jnet/jnet_errno.h>

/* ---- 1. Configuration --------------------------------------------------- */

#if !defined(JNET_FIBER_UCONTEXT) && defined(__ELF__) &&                       \
    (defined(__x86_64__) || defined(__aarch64__))
#define JNET_FIBER_ASM 1
#else
#include <ucontext.h>
#endif

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JNET_FIBER_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define JNET_FIBER_TSAN 1
#endif
#endif
#if !defined(JNET_FIBER_ASAN) &&                                               \
    (defined(__SANITIZE_ADDRESS__) || defined(JNET_ASAN))
#define JNET_FIBER_ASAN 1
#endif
#if !defined(JNET_FIBER_TSAN) && defined(__SANITIZE_THREAD__)
#define JNET_FIBER_TSAN 1
#endif

#ifdef JNET_FIBER_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef JNET_FIBER_TSAN
#include <sanitizer/tsan_interface.h>
#endif

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define JNET_FIBER_VALGRIND 1
#endif
#endif

#ifdef JNET_FIBER_ASM
/* api/switch_x86_64.S, api/switch_aarch64.S */
void jnet__ctx_switch(void **save_sp, void *to_sp);
void jnet__ctx_entry(void);
#endif

/* Largest stack a coroutine may ask for (as jnet_loop_set_stack_size). */
#define STACK_MAX_BYTES ((size_t)1 << 30)
/* Free stacks kept per size class, and how many sizes are pooled at once. */
#define POOL_MAX_PER_CLASS 256
#define POOL_CLASSES 4
/* Written at the low end of every usable stack, xor'ed with its address. */
#define CANARY_MAGIC ((uintptr_t)0x6a6e657466696265ULL) /* "jnetfibe" */

/* One mapping: [guard page][usable stack ... ][jnet__stack]. The descriptor
 * sits at the top, above the first frame, so an overflow reaches the canary
 * and then the guard page long before it. */
typedef struct jnet__stack {
  struct jnet__stack *next; /* in its pool class while free */
  unsigned char *map;       /* start of the mapping (the guard page) */
  size_t map_bytes;         /* size of the whole mapping: the pool key */
  unsigned char *lo;        /* lowest usable byte: the canary lives here */
  unsigned char *top;       /* initial stack pointer, 16-byte aligned */
#ifdef JNET_FIBER_VALGRIND
  unsigned valgrind_id;
#endif
} jnet__stack;

struct jnet__coro {
#ifdef JNET_FIBER_ASM
  void *sp; /* saved stack pointer while not running */
#else
  ucontext_t uc;
#endif
  jnet__stack *stack; /* NULL for a thread's main context */
  void (*fn)(void *);
  void *arg;
  void *data;
  int done;
#ifdef JNET_FIBER_ASAN
  void *asan_fake_stack;   /* ASan's fake stack while switched out */
  const void *asan_bottom; /* this context's stack, for ASan */
  size_t asan_bytes;
#endif
#ifdef JNET_FIBER_TSAN
  void *tsan_fiber;
#endif
};

/* ---- 2. Per-thread state ------------------------------------------------ */

typedef struct {
  size_t map_bytes; /* 0: unused class */
  size_t nfree;
  jnet__stack *free;
} pool_class;

typedef struct {
  jnet__coro *current; /* running context; NULL until the first switch */
  jnet__coro *prev;    /* ASan: the context that switched to this one */
  jnet__coro main;     /* the thread's own stack */
  pool_class pool[POOL_CLASSES];
} thread_state;

/* initial-exec: one %fs-relative load on the switch path instead of a
 * __tls_get_addr call; the block is small enough for the static TLS surplus
 * even when libjnet is a dlopen'ed shared library. */
#if defined(__GNUC__) && defined(JNET_FIBER_ASM)
static __thread thread_state T __attribute__((tls_model("initial-exec")));
#else
static _Thread_local thread_state T;
#endif

static size_t page_bytes(void) {
  static size_t cached; /* every thread computes the same value */
  size_t n = __atomic_load_n(&cached, __ATOMIC_RELAXED);
  if (n == 0) {
    long got = sysconf(_SC_PAGESIZE);
    /* LCOV_EXCL_BR_START: sysconf(_SC_PAGESIZE) cannot fail on Linux */
    n = got > 0 ? (size_t)got : 4096;
    /* LCOV_EXCL_BR_STOP */
    __atomic_store_n(&cached, n, __ATOMIC_RELAXED);
  }
  return n;
}

/* ---- 3. Stack pool ------------------------------------------------------ */

static uintptr_t canary_of(const jnet__stack *s) {
  return CANARY_MAGIC ^ (uintptr_t)s->lo;
}

static void canary_check(const jnet__stack *s) {
  uintptr_t word;
  memcpy(&word, s->lo, sizeof word);
  if (word != canary_of(s)) { /* LCOV_EXCL_BR_LINE: a smashed stack aborts */
    /* An invariant, not user input: the fiber wrote below its stack. */
    fputs("jnet: fiber stack overflow\n", stderr); /* LCOV_EXCL_LINE */
    abort();                                       /* LCOV_EXCL_LINE */
  }
}

static jnet__stack *stack_map(size_t map_bytes) {
  size_t page = page_bytes();
  int flags = MAP_PRIVATE | MAP_ANONYMOUS;
#ifdef MAP_NORESERVE
  flags |= MAP_NORESERVE;
#endif
#ifdef MAP_STACK
  flags |= MAP_STACK;
#endif
  unsigned char *map =
      mmap(NULL, map_bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
  if (map == MAP_FAILED) /* LCOV_EXCL_BR_LINE: out of address space only */
    return NULL;         /* LCOV_EXCL_LINE */
  if (mprotect(map, page, PROT_NONE) != 0) { /* LCOV_EXCL_BR_LINE: our map */
    munmap(map, map_bytes);                  /* LCOV_EXCL_LINE */
    return NULL;                             /* LCOV_EXCL_LINE */
  }
  uintptr_t desc = (uintptr_t)(map + map_bytes - sizeof(jnet__stack));
  desc &= ~(uintptr_t)15;
  jnet__stack *s = (jnet__stack *)desc;
  s->next = NULL;
  s->map = map;
  s->map_bytes = map_bytes;
  s->lo = map + page;
  s->top = (unsigned char *)desc; /* 16-byte aligned */
#ifdef JNET_FIBER_VALGRIND
  s->valgrind_id = VALGRIND_STACK_REGISTER(s->lo, s->top);
#endif
  return s;
}

static void stack_unmap(jnet__stack *s) {
#ifdef JNET_FIBER_VALGRIND
  VALGRIND_STACK_DEREGISTER(s->valgrind_id);
#endif
  munmap(s->map, s->map_bytes);
}

/* A stack whose usable part holds at least `bytes`: from the pool if one of
 * that size is free, else freshly mapped. The canary is (re)written. */
static jnet__stack *stack_get(size_t bytes) {
  size_t page = page_bytes();
  size_t usable = (bytes + sizeof(jnet__stack) + 15 + page - 1) & ~(page - 1);
  size_t map_bytes = page + usable;
  jnet__stack *s = NULL;
  for (int i = 0; i < POOL_CLASSES; i++) {
    pool_class *pc = &T.pool[i];
    if (pc->map_bytes == map_bytes && pc->free != NULL) {
      s = pc->free;
      pc->free = s->next;
      pc->nfree--;
      break;
    }
  }
  if (s == NULL && (s = stack_map(map_bytes)) == NULL) /* LCOV_EXCL_BR_LINE */
    return NULL; /* LCOV_EXCL_LINE: mmap failed, as in stack_map */
  s->next = NULL;
  uintptr_t word = canary_of(s);
  memcpy(s->lo, &word, sizeof word);
  return s;
}

/* Keep `s` for reuse in its size class, or unmap it when the class is full
 * or every class holds another size. */
static void stack_put(jnet__stack *s) {
  pool_class *spare = NULL;
  for (int i = 0; i < POOL_CLASSES; i++) {
    pool_class *pc = &T.pool[i];
    if (pc->map_bytes == s->map_bytes) {
      spare = pc;
      break;
    }
    if (spare == NULL && pc->nfree == 0)
      spare = pc; /* unused, or a drained class another size may take */
  }
  if (spare == NULL || spare->nfree >= POOL_MAX_PER_CLASS) {
    stack_unmap(s);
    return;
  }
  spare->map_bytes = s->map_bytes;
  s->next = spare->free;
  spare->free = s;
  spare->nfree++;
}

void jnet__coro_pool_drain(void) {
  for (int i = 0; i < POOL_CLASSES; i++) {
    pool_class *pc = &T.pool[i];
    while (pc->free != NULL) {
      jnet__stack *s = pc->free;
      pc->free = s->next;
      stack_unmap(s);
    }
    pc->nfree = 0;
    pc->map_bytes = 0;
  }
}

/* ---- 4. Switching ------------------------------------------------------- */

static jnet__coro *running(void) {
  if (T.current == NULL) {
    T.current = &T.main;
#ifdef JNET_FIBER_TSAN
    T.main.tsan_fiber = __tsan_get_current_fiber();
#endif
  }
  return T.current;
}

/* Called first thing in a context that has just been switched to: tell ASan
 * the switch is over, and learn the stack of the context we came from (the
 * only way to know the main context's stack). */
static void after_switch(jnet__coro *self) {
#ifdef JNET_FIBER_ASAN
  const void *bottom;
  size_t bytes;
  __sanitizer_finish_switch_fiber(self->asan_fake_stack, &bottom, &bytes);
  jnet__coro *prev = T.prev;
  if (prev != NULL && prev->stack == NULL) {
    prev->asan_bottom = bottom;
    prev->asan_bytes = bytes;
  }
#else
  (void)self;
#endif
}

/* Switch from the running `from` to `to`. `from_done`: `from` has finished
 * and will never run again (ASan may free its fake stack). Returns when
 * something switches back to `from`. */
static void switch_to(jnet__coro *from, jnet__coro *to, int from_done) {
  assert(from == T.current);
  assert(to != from && !to->done);
  if (from->stack != NULL)
    canary_check(from->stack);
  T.current = to;
#ifdef JNET_FIBER_ASAN
  T.prev = from;
  __sanitizer_start_switch_fiber(from_done ? NULL : &from->asan_fake_stack,
                                 to->asan_bottom, to->asan_bytes);
#endif
#ifdef JNET_FIBER_TSAN
  __tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
#ifdef JNET_FIBER_ASM
  jnet__ctx_switch(&from->sp, to->sp);
#else
  swapcontext(&from->uc, &to->uc);
#endif
  (void)from_done;
  after_switch(from);
}

/* Where every coroutine starts, on its own stack; never returns. */
static void coro_start(jnet__coro *c) {
  after_switch(c);
  c->fn(c->arg);
  c->done = 1;
  switch_to(c, &T.main, 1);
  abort(); /* LCOV_EXCL_LINE: a finished coroutine is never switched to */
}

#ifndef JNET_FIBER_ASM
static void coro_start_uc(void) {
  coro_start(T.current); /* switch_to set it before swapcontext */
}
#endif

/* Lay out the first frame so that the first switch to `c` "returns" into
 * jnet__ctx_entry, which calls coro_start(c). */
static void context_init(jnet__coro *c) {
  unsigned char *top = c->stack->top;
#if defined(JNET_FIBER_ASM) && defined(__x86_64__)
  uint64_t *frame = (uint64_t *)(void *)(top - 64);
  uint32_t mxcsr;
  uint16_t x87_cw;
  __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
  __asm__ volatile("fnstcw %0" : "=m"(x87_cw));
  memset(frame, 0, 64);
  frame[0] = (uint64_t)mxcsr | (uint64_t)x87_cw << 32;
  frame[3] = (uint64_t)(uintptr_t)coro_start; /* r13 */
  frame[4] = (uint64_t)(uintptr_t)c;          /* r12 */
  frame[7] = (uint64_t)(uintptr_t)jnet__ctx_entry;
  c->sp = frame;
#elif defined(JNET_FIBER_ASM) && defined(__aarch64__)
  uint64_t *frame = (uint64_t *)(void *)(top - 176);
  uint64_t fpcr;
  __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
  memset(frame, 0, 176);
  frame[0] = (uint64_t)(uintptr_t)c;                /* x19 */
  frame[1] = (uint64_t)(uintptr_t)coro_start;       /* x20 */
  frame[11] = (uint64_t)(uintptr_t)jnet__ctx_entry; /* x30 */
  frame[20] = fpcr;
  c->sp = frame;
#else
  getcontext(&c->uc);
  c->uc.uc_stack.ss_sp = c->stack->lo;
  c->uc.uc_stack.ss_size = (size_t)(top - c->stack->lo);
  c->uc.uc_link = NULL;
  makecontext(&c->uc, coro_start_uc, 0);
#endif
}

/* ---- 5. Coroutines ------------------------------------------------------ */

int jnet__coro_new(jnet__coro **out, size_t stack_bytes, void (*fn)(void *),
                   void *arg) {
  if (out == NULL || fn == NULL || stack_bytes == 0 ||
      stack_bytes > STACK_MAX_BYTES)
    return JNET_EINVAL;
  *out = NULL;
  jnet__coro *c = jnet__malloc(sizeof *c);
  if (c == NULL)
    return JNET_ENOMEM;
  memset(c, 0, sizeof *c);
  c->stack = stack_get(stack_bytes);
  if (c->stack == NULL) { /* LCOV_EXCL_BR_LINE: mmap failed (stack_map) */
    jnet__free(c);        /* LCOV_EXCL_LINE */
    return JNET_ENOMEM;   /* LCOV_EXCL_LINE */
  }
  c->fn = fn;
  c->arg = arg;
#ifdef JNET_FIBER_ASAN
  c->asan_bottom = c->stack->lo;
  c->asan_bytes = (size_t)(c->stack->top - c->stack->lo);
#endif
#ifdef JNET_FIBER_TSAN
  c->tsan_fiber = __tsan_create_fiber(0);
#endif
  context_init(c);
  *out = c;
  return 0;
}

void jnet__coro_switch(jnet__coro *to) {
  assert(to != NULL);
  switch_to(running(), to, 0);
}

jnet__coro *jnet__coro_current(void) {
  jnet__coro *c = T.current;
  return c == &T.main ? NULL : c;
}

void jnet__coro_yield_to_main(void) {
  jnet__coro *self = running();
  assert(self != &T.main && "jnet__coro_yield_to_main outside a coroutine");
  switch_to(self, &T.main, 0);
}

int jnet__coro_done(const jnet__coro *c) {
  assert(c != NULL);
  return c->done;
}

void jnet__coro_free(jnet__coro *c) {
  if (c == NULL)
    return;
  assert(c != T.current && "jnet__coro_free of the running coroutine");
  assert(c->stack != NULL);
#ifdef JNET_FIBER_ASAN
  /* A coroutine dropped while suspended leaves its frames' redzones
   * poisoned; the next coroutine on this stack must start clean. */
  ASAN_UNPOISON_MEMORY_REGION(c->stack->lo,
                              (size_t)(c->stack->top - c->stack->lo));
#endif
#ifdef JNET_FIBER_TSAN
  __tsan_destroy_fiber(c->tsan_fiber);
#endif
  stack_put(c->stack);
  jnet__free(c);
}

void jnet__coro_set_data(jnet__coro *c, void *p) {
  assert(c != NULL);
  c->data = p;
}

void *jnet__coro_data(const jnet__coro *c) {
  assert(c != NULL);
  return c->data;
}
