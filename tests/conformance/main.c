/* main.c — the conformance suite's runner: one suite, one TCase per case,
 * forked. CK_RUN_CASE=<case> runs one case (an unknown name fails);
 * JNET_CHECK_LIST=1 lists them; CK_FORK=no for valgrind. */
#include "conf.h"
#include "jnet_check.h"

int main(void) {
  Suite *s = suite_create("conformance");
  conf_add_stream(s);
  conf_add_timeout(s);
  conf_add_close(s);
  conf_add_server(s);
  conf_add_dgram(s);
  conf_add_addr(s);
  conf_add_opts(s);
  conf_add_args(s);
  conf_add_more(s);
  conf_add_fibers(s);
  conf_add_chan(s);
  conf_add_loopclose(s);
  conf_add_unix_dgram(s);
  conf_add_check_order(s);
  conf_add_abi(s);
  return jc_run(s);
}
