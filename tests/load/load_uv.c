/* load_uv.c — load-uv-1000: a jnet echo server on 127.0.0.1 (uv backend)
 * and 1,000 concurrent clients, each sending 16 KiB of pseudo-random data
 * in random-sized writes and checking the echo byte for byte. Raises
 * RLIMIT_NOFILE first; with too few descriptors it uses as many clients
 * as fit and says so. */
#include <sys/resource.h>

#include "load.h"
#include "jnet_check.h"

#define LD_WANT 1000

static int ld_fit_clients(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return 100;
  rl.rlim_cur = rl.rlim_max;
  if (rl.rlim_cur > 65536)
    rl.rlim_cur = 65536;
  setrlimit(RLIMIT_NOFILE, &rl);
  getrlimit(RLIMIT_NOFILE, &rl);
  /* two descriptors per connection (client and server ends) + slack */
  long fit = ((long)rl.rlim_cur - 100) / 2;
  if (fit >= LD_WANT)
    return LD_WANT;
  printf("load-uv: RLIMIT_NOFILE %ld allows only %ld clients (wanted %d)\n",
         (long)rl.rlim_cur, fit, LD_WANT);
  return fit < 1 ? 1 : (int)fit;
}

static ld_run *the_run;

static void watchdog_fiber(void *arg) {
  (void)arg;
  ld_watchdog(the_run, 45.0);
}

START_TEST(test_uv_echo_1000) {
  ld_run run = {0};
  run.server_host = "127.0.0.1";
  run.nclients = ld_fit_clients();
  run.nbytes = 16384;
  run.op_timeout_s = 30;
  run.c = calloc((size_t)run.nclients, sizeof *run.c);
  ck_assert_ptr_nonnull(run.c);
  const jnet_backend *be = jnet_backend_uv();
  ck_assert_ptr_nonnull(be);
  ck_assert_int_eq(jnet_loop_new(&run.loop, be), 0);
  double t0 = ld_wall_s();
  the_run = &run;
  ck_assert_int_eq(jnet_go(run.loop, ld_main, &run), 0);
  ck_assert_int_eq(jnet_go(run.loop, watchdog_fiber, NULL), 0);
  int rc = jnet_run(run.loop);
  double wall = ld_wall_s() - t0;
  printf("load-uv: %d clients x %zu bytes, %d ok, %.2f s\n", run.nclients,
         run.nbytes, run.ok, wall);
  ck_assert_msg(rc == 0, "jnet_run: %s", jnet_err_name(rc));
  ld_check(&run);
  ck_assert_msg(wall < 55.0, "took %.1f s", wall);
  ck_assert_int_eq(jnet_run_once(run.loop), 0); /* ran to idle */
  jnet_loop_free(run.loop);
  jnet_backend_free(be);
  free(run.c);
}
END_TEST

int main(void) {
  Suite *s = suite_create("load-uv");
  jc_defaults(60, NULL, NULL);
  JC_TEST(s, test_uv_echo_1000);
  return jc_run(s);
}
