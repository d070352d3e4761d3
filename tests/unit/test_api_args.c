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
#include <jnet/jnet_backend.h>
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

/* --- br-api: calls without a loop, odd backends, two loops, allocation
 * failures, stale and forged handles, small stacks (issue 20: api/'s
 * uncovered branches) --- */

static void never_runs(void *arg) {
  (void)arg;
  ck_abort_msg("a refused spawn must not run");
}

/* A sim of seed `seed` with one host (its default node) and a loop on it. */
static jnet_loop *sim_loop(uint64_t seed, jnet_sim **sim) {
  ck_assert_int_eq(jnet_sim_new(sim, seed), 0);
  const char *a[] = {"192.0.2.1", NULL};
  jnet_node *h;
  ck_assert_int_eq(jnet_sim_host(*sim, "h", a, &h), 0);
  jnet_loop *l;
  ck_assert_int_eq(jnet_loop_new(&l, jnet_sim_backend(*sim)), 0);
  return l;
}

/* Before any loop exists on the thread: the clock and randomness read 0,
 * every call that needs a loop refuses, and unix addresses (no lookup)
 * work outside a fiber. */
START_TEST(without_a_loop_calls_answer_zero_or_refuse) {
  ck_assert_uint_eq(jnet_random(), 0);
  ck_assert(jnet_now() == 0.0);
  ck_assert_int_eq(jnet_run(NULL), JNET_EINVAL);
  ck_assert_ptr_null(jnet_loop_node(NULL));
  ck_assert_int_eq(jnet_go_on(NULL, NULL, never_runs, NULL), JNET_EINVAL);
  ck_assert_int_eq(jnet_node_main(NULL, NULL, never_runs, NULL), JNET_EINVAL);
  jnet_fiber h = {42};
  ck_assert_int_eq(jnet_spawn(NULL, never_runs, NULL, &h), JNET_EINVAL);
  ck_assert_uint_eq(h.h, 0);
  h.h = 42;
  ck_assert_int_eq(jnet_spawn_on(NULL, NULL, never_runs, NULL, &h), JNET_EINVAL);
  ck_assert_uint_eq(h.h, 0);
  h.h = 42; /* no loop issued it */
  ck_assert_int_eq(jnet_join(h, 0), JNET_EINVAL);
  ck_assert_int_eq(jnet_cancel(h, JNET_ECANCELED), JNET_EINVAL);
  jnet_stream s = {42};
  ck_assert_int_eq(jnet_flush(s), JNET_ECLOSED);
  /* unix paths need no resolver: fine outside a fiber */
  jnet_addr a;
  char host[256];
  int port = 0;
  ck_assert_int_eq(jnet_address(JNET_UNIX, "/tmp/jnet-unit", JNET_STREAM, &a), 0);
  ck_assert_int_eq(jnet_address_unpack(&a, host, sizeof host, &port), 0);
  ck_assert_str_eq(host, "/tmp/jnet-unit");
  ck_assert_int_eq(port, -1);
  ck_assert_int_eq(jnet_address(JNET_UNIX, "", JNET_STREAM, &a), JNET_EINVAL);
  /* cap 0: only the count */
  ck_assert_int_eq(jnet_address_all(JNET_UNIX, "/x", JNET_DATAGRAM, NULL, 0), 1);
  /* a unix path is made here, with no resolver to refuse after us: no
   * room for it, or a type that is neither, is refused first */
  ck_assert_int_eq(jnet_address_all(JNET_UNIX, "/x", JNET_DATAGRAM, NULL, 1),
                   JNET_EINVAL);
  ck_assert_int_eq(jnet_address_all(JNET_UNIX, "/x", 7, &a, 1), JNET_EINVAL);
  /* a hand-made unix address whose len runs past sun_path: the path is cut
   * at sun_path's end, never read beyond */
  memset(&a, 0, sizeof a);
  a.u.un.sun_family = AF_UNIX;
  memset(a.u.un.sun_path, 'p', sizeof a.u.un.sun_path);
  a.len = (socklen_t)sizeof a.u;
  ck_assert_int_eq(jnet_address_unpack(&a, host, sizeof host, &port), 0);
  ck_assert_uint_eq(strlen(host), sizeof a.u.un.sun_path);
  /* an append too big to hold leaves the buffer as it was */
  jnet_buf b;
  jnet_buf_init(&b);
  ck_assert_int_eq(jnet_buf_append(&b, "abc", SIZE_MAX), JNET_ENOMEM);
  ck_assert_uint_eq(b.len, 0);
  jnet_buf_free(&b);
}
END_TEST

static void note_node(void *arg) {
  jnet_node **where = arg;
  *where = jnet_self_node();
}

/* The vtable is public: a backend of version 0 is refused; one of version
 * >= 2 may leave node_check NULL, and its nodes are then taken on trust. */
START_TEST(a_backend_of_version_0_is_refused_node_check_is_optional) {
  jnet_sim *sim;
  ck_assert_int_eq(jnet_sim_new(&sim, 1), 0);
  const char *a[] = {"192.0.2.1", NULL}, *a2[] = {"192.0.2.2", NULL};
  jnet_node *h0, *h;
  ck_assert_int_eq(jnet_sim_host(sim, "h0", a, &h0), 0); /* the default */
  ck_assert_int_eq(jnet_sim_host(sim, "h", a2, &h), 0);
  jnet_backend copy = *jnet_sim_backend(sim);
  copy.version = 0;
  jnet_loop *l = NULL;
  ck_assert_int_eq(jnet_loop_new(&l, &copy), JNET_EINVAL);
  copy.version = jnet_sim_backend(sim)->version;
  ck_assert_int_ge(copy.version, 2);
  copy.node_check = NULL;
  ck_assert_int_eq(jnet_loop_new(&l, &copy), 0);
  jnet_node *where = NULL;
  ck_assert_int_eq(jnet_node_main(l, NULL, note_node, &where), JNET_EINVAL);
  ck_assert_int_eq(jnet_go_on(l, h, note_node, &where), 0); /* first use of h */
  ck_assert_int_eq(jnet_run(l), 0);
  ck_assert_ptr_eq(where, h);
  ck_assert_int_eq(jnet_loop_close(l), 0);
  jnet_sim_free(sim);
}
END_TEST

typedef struct two {
  jnet_loop *a, *b;
  int rc[4];
  int ran;
  jnet_node *where[2];
} two;

static void on_b(void *arg) {
  two *t = arg;
  t->where[t->ran++] = jnet_self_node();
}

static void from_a(void *arg) {
  two *t = arg;
  t->rc[0] = jnet_run(t->b); /* not from inside a fiber, whatever the loop */
  t->rc[1] = jnet_run_once(t->b);
  t->rc[2] = jnet_go(t->b, on_b, t); /* another loop: its default node */
  jnet_fiber h = JNET_NOFIBER;
  t->rc[3] = jnet_spawn(t->b, on_b, t, &h);
  if (h.h == 0)
    t->rc[3] = -9999;
}

START_TEST(a_fiber_spawns_on_another_loops_default_node) {
  jnet_sim *sa, *sb;
  two t;
  memset(&t, 0, sizeof t);
  t.a = sim_loop(1, &sa);
  t.b = sim_loop(2, &sb);
  ck_assert_int_eq(jnet_go(t.a, from_a, &t), 0);
  ck_assert_int_eq(jnet_run(t.a), 0);
  ck_assert_int_eq(t.rc[0], JNET_EINVAL);
  ck_assert_int_eq(t.rc[1], JNET_EINVAL);
  ck_assert_int_eq(t.rc[2], 0);
  ck_assert_int_eq(t.rc[3], 0);
  ck_assert_int_eq(t.ran, 0); /* queued on b, which has not run */
  ck_assert_int_eq(jnet_run(t.b), 0);
  ck_assert_int_eq(t.ran, 2);
  ck_assert_ptr_eq(t.where[0], jnet_loop_node(t.b));
  ck_assert_ptr_eq(t.where[1], jnet_loop_node(t.b));
  ck_assert_int_eq(jnet_loop_close(t.b), 0);
  ck_assert_int_eq(jnet_loop_close(t.a), 0);
  jnet_sim_free(sb);
  jnet_sim_free(sa);
}
END_TEST

typedef struct binds {
  long r[3];
} binds;

static void connects_with_bad_bind_addresses(void *arg) {
  binds *x = arg;
  jnet_stream s;
  x->r[0] = jnet_connect("192.0.2.1", "80", JNET_STREAM, "", NULL, &s);
  x->r[1] = jnet_connect("192.0.2.1", "80", JNET_STREAM, "192.0.2.1", "+1", &s);
  x->r[2] = jnet_connect("192.0.2.1", "80", JNET_STREAM, "2001:db8::1", "0", &s);
}

/* jnet_connect checks its bind address as it checks the peer's: the
 * lookup's errors, and a family other than the peer's. */
START_TEST(connect_refuses_a_bind_address_it_cannot_use) {
  jnet_sim *sim;
  jnet_loop *l = sim_loop(1, &sim);
  binds x = {{1, 1, 1}};
  ck_assert_int_eq(jnet_go(l, connects_with_bad_bind_addresses, &x), 0);
  ck_assert_int_eq(jnet_run(l), 0);
  ck_assert_int_eq(x.r[0], JNET_EAI_NONAME);
  ck_assert_int_eq(x.r[1], JNET_EAI_SERVICE);
  ck_assert_int_eq(x.r[2], JNET_EAFNOSUPPORT);
  ck_assert_int_eq(jnet_loop_close(l), 0);
  jnet_sim_free(sim);
}
END_TEST

/* Outside a fiber jnet_random draws from the default node's stream: the
 * same seed gives the same number, another seed another. */
START_TEST(random_outside_a_fiber_follows_the_seed) {
  uint64_t r[3];
  for (int i = 0; i < 3; i++) {
    jnet_sim *sim;
    jnet_loop *l = sim_loop(i < 2 ? 42 : 43, &sim);
    r[i] = jnet_random();
    ck_assert_int_eq(jnet_loop_close(l), 0);
    jnet_sim_free(sim);
  }
  ck_assert_uint_eq(r[0], r[1]);
  ck_assert_uint_ne(r[0], r[2]);
}
END_TEST

/* An allocator that fails the fail_in-th allocation from now (0: none). */
static int fail_in;
static void *failing_malloc(size_t n) {
  if (fail_in > 0 && --fail_in == 0)
    return NULL;
  return malloc(n);
}
static void *failing_realloc(void *p, size_t n) {
  if (fail_in > 0 && --fail_in == 0)
    return NULL;
  return realloc(p, n);
}

START_TEST(allocation_failures_of_node_main_and_chan_new_leave_nothing) {
  fail_in = 0;
  ck_assert_int_eq(jnet_replace_allocator(failing_malloc, failing_realloc, free), 0);
  jnet_sim *sim;
  jnet_loop *l = sim_loop(1, &sim);
  fail_in = 1; /* the registration itself */
  int main_rc = jnet_node_main(l, jnet_loop_node(l), never_runs, NULL);
  jnet_chan *c = (jnet_chan *)&c;
  fail_in = 2; /* the channel is made, its buffer is not */
  int chan_rc = jnet_chan_new(&c, sizeof(int), 8);
  fail_in = 0;
  ck_assert_int_eq(jnet_replace_allocator(malloc, realloc, free), 0);
  ck_assert_int_eq(main_rc, JNET_ENOMEM);
  ck_assert_int_eq(chan_rc, JNET_ENOMEM);
  ck_assert_ptr_null(c);
  ck_assert_int_eq(jnet_run_once(l), 0); /* nothing registered, nothing runs */
  ck_assert_int_eq(jnet_loop_close(l), 0);
  jnet_sim_free(sim);
}
END_TEST

static void count_run(void *arg) { (*(int *)arg)++; }

/* Out of memory at each of a spawn's allocations (the fiber, the handle
 * table while it has none, the coroutine), jnet_spawn_on and jnet_spawn
 * give JNET_ENOMEM and a JNET_NOFIBER handle, and leave no fiber behind;
 * with memory back the same spawn runs once. */
START_TEST(allocation_failures_of_spawn_give_enomem_and_spawn_nothing) {
  fail_in = 0;
  ck_assert_int_eq(
      jnet_replace_allocator(failing_malloc, failing_realloc, free), 0);
  jnet_sim *sim;
  jnet_loop *l = sim_loop(1, &sim);
  int rc[5];
  jnet_fiber h[5];
  for (int i = 0; i < 5; i++) {
    h[i].h = 1;
    if (i < 3) { /* the third one's table is made before its coroutine fails */
      fail_in = i + 1;
      rc[i] = jnet_spawn_on(l, jnet_loop_node(l), never_runs, NULL, &h[i]);
    } else { /* the table is there: the fiber, then the coroutine */
      fail_in = i - 2;
      rc[i] = jnet_spawn(l, never_runs, NULL, &h[i]);
    }
  }
  fail_in = 0;
  ck_assert_int_eq(jnet_replace_allocator(malloc, realloc, free), 0);
  for (int i = 0; i < 5; i++) {
    ck_assert_msg(rc[i] == JNET_ENOMEM, "spawn %d: %s", i,
                  jnet_err_name(rc[i]));
    ck_assert_uint_eq(h[i].h, 0);
  }
  ck_assert_uint_eq(jnet_loop_fibers(l), 0);
  int runs = 0;
  jnet_fiber ok;
  ck_assert_int_eq(
      jnet_spawn_on(l, jnet_loop_node(l), count_run, &runs, &ok), 0);
  ck_assert_uint_ne(ok.h, 0);
  ck_assert_int_eq(jnet_run(l), 0);
  ck_assert_int_eq(runs, 1);
  ck_assert_int_eq(jnet_loop_close(l), 0);
  jnet_sim_free(sim);
}
END_TEST

static void returns_at_once(void *arg) { (void)arg; }

/* Fiber handles are tag << 52 | slot << 32 | generation (api/spawn.c). A
 * returned fiber's handle reads as returned even when its slot holds a
 * newer fiber; a handle with a slot or generation no spawn gave is
 * EINVAL. Stream handles likewise: a slot never used is closed. */
START_TEST(stale_handles_read_as_returned_forged_ones_are_refused) {
  jnet_sim *sim;
  jnet_loop *l = sim_loop(1, &sim);
  jnet_fiber a, b, c;
  ck_assert_int_eq(jnet_spawn(l, returns_at_once, NULL, &a), 0);
  ck_assert_int_eq(jnet_run(l), 0);
  ck_assert_int_eq(jnet_spawn(l, returns_at_once, NULL, &b), 0);
  ck_assert_int_eq(jnet_spawn(l, returns_at_once, NULL, &c), 0);
  const uint64_t slot_mask = 0xfffffull << 32, gen_mask = 0xffffffffull;
  ck_assert_uint_eq(a.h & slot_mask, b.h & slot_mask); /* b took a's slot */
  ck_assert_int_eq(jnet_join(a, 0), 0);               /* a has returned */
  ck_assert_int_eq(jnet_join(b, 0), JNET_ETIMEDOUT);  /* b has not */
  jnet_fiber slot0 = {b.h & ~slot_mask};
  jnet_fiber far = {(b.h & ~slot_mask) | (77ull << 32)};
  jnet_fiber gen0 = {b.h & ~gen_mask};
  jnet_fiber newer = {(b.h & ~gen_mask) | (c.h & gen_mask)}; /* b's slot */
  ck_assert_int_eq(jnet_join(slot0, 0), JNET_EINVAL);
  ck_assert_int_eq(jnet_join(far, 0), JNET_EINVAL);
  ck_assert_int_eq(jnet_join(gen0, 0), JNET_EINVAL);
  ck_assert_int_eq(jnet_join(newer, 0), JNET_EINVAL);
  ck_assert_int_eq(jnet_cancel(newer, JNET_ECANCELED), JNET_EINVAL);
  jnet_stream s0 = {1ull << 32}, s_far = {(1ull << 32) | 999};
  ck_assert_int_eq(jnet_flush(s0), JNET_ECLOSED);
  ck_assert_int_eq(jnet_flush(s_far), JNET_ECLOSED);
  ck_assert_int_eq(jnet_run(l), 0);
  ck_assert_int_eq(jnet_join(b, 0), 0);
  ck_assert_int_eq(jnet_loop_close(l), 0);
  jnet_sim_free(sim);
}
END_TEST

/* A process that makes many loops one after another (a sweep, a test
 * harness): the fiber handles of its 4096th loop and later ones work as
 * the first loop's do (the 12-bit tag in a handle wraps, never 0). */
START_TEST(handles_work_in_every_loop_a_process_makes) {
  jnet_sim *sim;
  jnet_loop *l = sim_loop(1, &sim);
  for (int i = 0; i < 4100; i++) {
    jnet_fiber h;
    if (i % 1000 == 999 || i >= 4090) { /* some, and those past 4095 */
      ck_assert_int_eq(jnet_spawn(l, returns_at_once, NULL, &h), 0);
      ck_assert_msg(jnet_join(h, 0) == JNET_ETIMEDOUT, "loop %d: %s", i,
                    jnet_err_name(jnet_join(h, 0)));
      ck_assert_int_eq(jnet_run(l), 0);
      ck_assert_int_eq(jnet_join(h, 0), 0);
    }
    ck_assert_int_eq(jnet_loop_close(l), 0);
    ck_assert_int_eq(jnet_loop_new(&l, jnet_sim_backend(sim)), 0);
  }
  ck_assert_int_eq(jnet_loop_close(l), 0);
  jnet_sim_free(sim);
}
END_TEST

/* A loop freed with fibers still queued to run frees them unrun (the
 * sanitizer build checks nothing leaks and nothing freed is touched). */
START_TEST(freeing_a_loop_with_queued_fibers_frees_them_unrun) {
  jnet_sim *sim;
  jnet_loop *l = sim_loop(1, &sim);
  for (int i = 0; i < 3; i++)
    ck_assert_int_eq(jnet_go(l, never_runs, NULL), 0);
  ck_assert_uint_eq(jnet_loop_fibers(l), 3);
  ck_assert_int_eq(jnet_loop_close(l), JNET_EBUSY);
  jnet_loop_free(l);
  jnet_sim_free(sim);
}
END_TEST

typedef struct pingpong {
  jnet_chan *ping, *pong;
  int got;
} pingpong;

static void pinger(void *arg) {
  pingpong *p = arg;
  for (int i = 0; i < 50; i++) {
    int v = i, w = -1;
    if (jnet_chan_give(p->ping, &v, JNET_FOREVER) < 0 ||
        jnet_chan_take(p->pong, &w, JNET_FOREVER) < 0 || w != i + 1)
      return;
    p->got++;
  }
}

static void ponger(void *arg) {
  pingpong *p = arg;
  for (int i = 0; i < 50; i++) {
    int v;
    if (jnet_chan_take(p->ping, &v, JNET_FOREVER) < 0)
      return;
    v++;
    if (jnet_chan_give(p->pong, &v, JNET_FOREVER) < 0)
      return;
  }
}

/* 16 KiB stacks are too small to run the sim's poll on (it needs 16 KiB,
 * twice that is asked): fibers hand the turn back to the main stack, and
 * still work together. */
START_TEST(fibers_on_16_kib_stacks_still_work_together) {
  jnet_sim *sim;
  jnet_loop *l = sim_loop(1, &sim);
  ck_assert_int_eq(jnet_loop_set_stack_size(l, 16 * 1024), 0);
  pingpong p = {0};
  ck_assert_int_eq(jnet_chan_new(&p.ping, sizeof(int), 0), 0);
  ck_assert_int_eq(jnet_chan_new(&p.pong, sizeof(int), 0), 0);
  ck_assert_int_eq(jnet_go(l, pinger, &p), 0);
  ck_assert_int_eq(jnet_go(l, ponger, &p), 0);
  ck_assert_int_eq(jnet_run(l), 0);
  ck_assert_int_eq(p.got, 50);
  ck_assert_int_eq(jnet_loop_close(l), 0);
  ck_assert_int_eq(jnet_chan_free(p.ping), 0);
  ck_assert_int_eq(jnet_chan_free(p.pong), 0);
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
  JC_TEST(s, without_a_loop_calls_answer_zero_or_refuse);
  JC_TEST(s, a_backend_of_version_0_is_refused_node_check_is_optional);
  JC_TEST(s, a_fiber_spawns_on_another_loops_default_node);
  JC_TEST(s, connect_refuses_a_bind_address_it_cannot_use);
  JC_TEST(s, random_outside_a_fiber_follows_the_seed);
  JC_TEST(s, allocation_failures_of_node_main_and_chan_new_leave_nothing);
  JC_TEST(s, allocation_failures_of_spawn_give_enomem_and_spawn_nothing);
  JC_TEST(s, stale_handles_read_as_returned_forged_ones_are_refused);
  JC_TEST(s, handles_work_in_every_loop_a_process_makes);
  JC_TEST(s, fibers_on_16_kib_stacks_still_work_together);
  JC_TEST(s, freeing_a_loop_with_queued_fibers_frees_them_unrun);
  return jc_run(s);
}
