/* t_abi.c — what code running in a fiber may assume of its stack, as on
 * the thread's own: the ABI's 16-byte alignment (SSE spills, long double
 * and _Alignas(16) locals rely on it; x86-64 code faults without it). */
#include <stdalign.h>
#include <stdint.h>

#include "conf.h"

/* The address of a 16-aligned local, read through a volatile so that the
 * compiler, which assumes the alignment, cannot fold the test away. */
static __attribute__((noinline)) long misalignment(void) {
  alignas(16) unsigned char buf[16];
  void *volatile p = buf;
  buf[0] = 1;
  return (long)((uintptr_t)p % 16);
}

static void f_aligned(void *arg) {
  conf *t = arg;
  CONF_REC(t, 0, misalignment());
  CONF_REC(t, 1, jnet_yield());
  CONF_REC(t, 2, misalignment()); /* after a switch out and back */
  t->done = 1;
}

START_TEST(a_fibers_stack_keeps_the_abis_16_byte_alignment) {
  conf *t = conf_open();
  conf_run(t, f_aligned);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
  conf_close(t);
}
END_TEST

void conf_add_abi(Suite *s) {
  CONF_CASE(s, a_fibers_stack_keeps_the_abis_16_byte_alignment);
}
