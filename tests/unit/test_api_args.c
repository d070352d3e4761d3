/* test_api_args.c — the public API's answers to bad arguments that need no
 * network: jnet_buf and the allocator with NULL and impossible sizes, the
 * loop's bounds (stack size, a NaN deadline, running a loop from inside
 * itself), spawning without a function, and jnet_address's refusals (an
 * empty port or host, an address outside a fiber). A sim loop where one is
 * needed: the same on every machine. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jnet/jnet.h>
#include <jnet/jnet_sim.h>

#include "jnet_check.h"

START_TEST(buf_functions_take_null_and_refuse_impossible_sizes) {
  jnet_buf_free(NULL); /* no-ops, as free(NULL) */
  jnet_buf_reset(NULL);
  jnet_buf_init(NULL);
  ck_assert_int_eq(jnet_buf_reserve(NULL, 1), JNET_EINVAL);
  ck_assert_int_eq(jnet_buf_append(NULL, "x", 1), JNET_EINVAL);
  jnet_buf b;
  jnet_buf_init(&b);
  ck_assert_int_eq(jnet_buf_append(&b, NULL, 1), JNET_EINVAL);
  ck_assert_int_eq(jnet_buf_append(&b, NULL, 0), 0);
  ck_assert_int_eq(jnet_buf_append(&b, "abc", 3), 0);
  ck_assert_int_eq(jnet_buf_reserve(&b, SIZE_MAX), JNET_ENOMEM);
  ck_assert_uint_eq(b.len, 3); /* untouched by the failure */
  jnet_buf bad = b;
  bad.len = bad.cap + 1; /* a corrupted buffer is refused, not grown */
  ck_assert_int_eq(jnet_buf_reserve(&bad, 1), JNET_EINVAL);
  jnet_buf_free(&b);
  ck_assert_ptr_null(b.data);
  ck_assert_uint_eq(b.cap, 0);
}
END_TEST

START_TEST(realloc_grows_and_keeps_the_bytes) {
  char *p = jnet_malloc(4);
  ck_assert_ptr_nonnull(p);
  memcpy(p, "abcd", 4);
  p = jnet_realloc(p, 1 << 16);
  ck_assert_ptr_nonnull(p);
  ck_assert(memcmp(p, "abcd", 4) == 0);
  jnet_free(p);
}
END_TEST

/* C lets malloc(0) and realloc(p, 0) return NULL; an installed allocator
 * that does must still give jnet_malloc(0) its unique pointer (jnet.h). */
static size_t smallest_asked;
static void *null_for_0_malloc(size_t n) {
  if (n < smallest_asked)
    smallest_asked = n;
  return n == 0 ? NULL : malloc(n);
}
static void *null_for_0_realloc(void *p, size_t n) {
  if (n < smallest_asked)
    smallest_asked = n;
  if (n == 0) {
    free(p);
    return NULL;
  }
  return realloc(p, n);
}

START_TEST(zero_bytes_is_a_unique_pointer_whatever_the_allocator) {
  smallest_asked = SIZE_MAX;
  ck_assert_int_eq(
      jnet_replace_allocator(null_for_0_malloc, null_for_0_realloc, free), 0);
  void *a = jnet_malloc(0), *b = jnet_malloc(0);
  void *c = jnet_realloc(jnet_malloc(8), 0);
  ck_assert_int_eq(jnet_replace_allocator(malloc, realloc, free), 0);
  ck_assert_ptr_nonnull(a);
  ck_assert_ptr_nonnull(b);
  ck_assert_ptr_nonnull(c);
  ck_assert_ptr_ne(a, b);
  ck_assert_uint_gt(smallest_asked, 0); /* the allocator never saw a 0 */
  jnet_free(a);
  jnet_free(b);
  jnet_free(c);
}
END_TEST

typedef struct ctx {
  jnet_loop *l;
  int rc[8];
  jnet_addr a;
} ctx;

static void inside(void *arg) {
  ctx *c = arg;
  c->rc[0] = jnet_run(c->l); /* a loop does not run itself */
  c->rc[1] = jnet_run_once(c->l);
  c->rc[2] = jnet_address("127.0.0.1", "", JNET_STREAM, &c->a);
  c->rc[3] = jnet_address("", "80", JNET_STREAM, &c->a);
  c->rc[4] = jnet_address("127.0.0.1", "+80", JNET_DATAGRAM, &c->a);
  c->rc[5] = jnet_address("127.0.0.1", "80", 7, &c->a);
  c->rc[6] = jnet_address_all("127.0.0.1", "80", JNET_STREAM, NULL, 2);
}

START_TEST(loop_bounds_and_address_refusals) {
  jnet_sim *sim;
  ck_assert_int_eq(jnet_sim_new(&sim, 1), 0);
  const char *a[] = {"192.0.2.1", NULL};
  jnet_node *h;
  ck_assert_int_eq(jnet_sim_host(sim, "h", a, &h), 0);
  ctx c;
  memset(&c, 0, sizeof c);
  ck_assert_int_eq(jnet_loop_new(&c.l, jnet_sim_backend(sim)), 0);
  ck_assert_int_eq(jnet_loop_new(NULL, jnet_sim_backend(sim)), JNET_EINVAL);
  ck_assert_int_eq(jnet_loop_set_stack_size(c.l, 8 * 1024), JNET_EINVAL);
  ck_assert_int_eq(jnet_loop_set_stack_size(c.l, (size_t)2 << 30), JNET_EINVAL);
  ck_assert_int_eq(jnet_loop_set_stack_size(NULL, 64 * 1024), JNET_EINVAL);
  ck_assert_int_eq(jnet_loop_set_stack_size(c.l, 32 * 1024), 0);
  ck_assert_int_eq(jnet_run_until(c.l, NAN), JNET_EINVAL);
  ck_assert_int_eq(jnet_run_until(NULL, 1.0), JNET_EINVAL);
  ck_assert_int_eq(jnet_go_on(c.l, h, NULL, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_go_on(c.l, NULL, inside, &c), JNET_EINVAL);
  ck_assert_int_eq(jnet_node_main(c.l, h, NULL, NULL), JNET_EINVAL);
  ck_assert_uint_eq(jnet_loop_fibers(NULL), 0);
  /* outside a fiber a name cannot be looked up */
  ck_assert_int_eq(jnet_address("192.0.2.1", "80", JNET_STREAM, &c.a),
                   JNET_ENOTFIBER);
  ck_assert_int_eq(jnet_go_on(c.l, h, inside, &c), 0);
  ck_assert_uint_eq(jnet_loop_fibers(c.l), 1);
  ck_assert_int_eq(jnet_run(c.l), 0);
  ck_assert_int_eq(c.rc[0], JNET_EINVAL);
  ck_assert_int_eq(c.rc[1], JNET_EINVAL);
  ck_assert_int_eq(c.rc[2], JNET_EAI_SERVICE);
  ck_assert_int_eq(c.rc[3], JNET_EAI_NONAME);
  ck_assert_int_eq(c.rc[4], JNET_EAI_SERVICE);
  ck_assert_int_eq(c.rc[5], JNET_EINVAL);
  ck_assert_int_eq(c.rc[6], JNET_EINVAL);
  ck_assert_int_eq(jnet_run_once(c.l), 0); /* idle */
  jnet_loop_free(c.l);
  jnet_sim_free(sim);
}
END_TEST

int main(void) {
  Suite *s = suite_create("unit-api-args");
  jc_defaults(30, NULL, NULL);
  JC_TEST(s, buf_functions_take_null_and_refuse_impossible_sizes);
  JC_TEST(s, realloc_grows_and_keeps_the_bytes);
  JC_TEST(s, zero_bytes_is_a_unique_pointer_whatever_the_allocator);
  JC_TEST(s, loop_bounds_and_address_refusals);
  return jc_run(s);
}
