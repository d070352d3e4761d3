/* fiber.h — stackful coroutines: context switch + pooled, guarded stacks.
 *
 * Private to api/. The scheduler (loop.c) switches from the thread's main
 * context to a coroutine and the coroutine yields back; coroutine-to-
 * coroutine switches work too. Each thread has its own current coroutine,
 * main context and stack pool, so loops on different threads are independent.
 * The switch is a few instructions on x86-64 and AArch64 (api/switch_*.S) and
 * makes no syscall; other architectures fall back to ucontext.
 */
#ifndef JNET_FIBER_H
#define JNET_FIBER_H

#include <stddef.h>

typedef struct jnet__coro jnet__coro; /* opaque */

/* Create a coroutine that will run fn(arg) on its own stack of at least
 * stack_bytes (rounded up to pages; from a per-thread pool of mmap'd stacks
 * with a PROT_NONE guard page below, reused after jnet__coro_free). It does
 * not run until switched to. A pool keeps up to 256 free stacks per size,
 * for up to 4 sizes; more are unmapped when freed.
 * Returns 0; JNET_EINVAL (NULL out or fn, stack_bytes 0 or over 1 GiB);
 * JNET_ENOMEM (allocation, mmap or mprotect failed; *out is then NULL). */
int jnet__coro_new(jnet__coro **out, size_t stack_bytes, void (*fn)(void *),
                   void *arg);

/* Switch from the running context (the thread's main context or a coroutine)
 * to `to`. Returns when something switches back to the caller. `to` must not
 * be finished, running, or the caller itself. */
void jnet__coro_switch(jnet__coro *to);

/* The running coroutine, or NULL on the thread's main context. */
jnet__coro *jnet__coro_current(void);

/* Switch back to the thread's main context (the scheduler). Must be called
 * from a coroutine. */
void jnet__coro_yield_to_main(void);

/* 1 once fn has returned. When fn returns, the coroutine switches to the main
 * context by itself and never runs again. */
int jnet__coro_done(const jnet__coro *c);

/* Free a coroutine that is not running (finished, or suspended forever: its
 * stack is simply dropped, nothing on it unwinds). Its stack goes back to the
 * pool. NULL ok. */
void jnet__coro_free(jnet__coro *c);

/* Free this thread's pooled stacks (called when the last loop on a thread is
 * freed). Stacks still owned by live coroutines are not touched. */
void jnet__coro_pool_drain(void);

/* Optional user data. */
void jnet__coro_set_data(jnet__coro *c, void *p);
void *jnet__coro_data(const jnet__coro *c);

#endif /* JNET_FIBER_H */
