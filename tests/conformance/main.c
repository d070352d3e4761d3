/* main.c — the conformance suite's runner: one suite, one TCase per case,
 * forked. CK_RUN_CASE=<case> runs one case; CK_FORK=no for valgrind. */
#include <stdlib.h>

#include "conf.h"

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
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
