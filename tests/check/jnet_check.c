/* jnet_check.c — registering Check tests one TCase each, by name; see
 * jnet_check.h. */
#include "jnet_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JC_MAX 512

static const char *names[JC_MAX];
static int nnames;
static const char *duplicate; /* first name given twice, or too many */
static double def_timeout;
static SFun def_setup, def_teardown;

void jc_defaults(double timeout, SFun setup, SFun teardown) {
  def_timeout = timeout;
  def_setup = setup;
  def_teardown = teardown;
}

static int known(const char *name) {
  for (int i = 0; i < nnames; i++)
    if (strcmp(names[i], name) == 0)
      return 1;
  return 0;
}

/* JC_SHARDS=N tags the k-th case registered "shard<k % N>", so that ctest
 * can run one suite as N entries (CK_INCLUDE_TAGS=shard0, ...): a suite
 * that mostly waits on real time (loopback timeouts, a proxy's relays)
 * then overlaps its waits with the rest of the suite. */
static void shard_tag(TCase *tc) {
  const char *env = getenv("JC_SHARDS");
  int n = env != NULL ? atoi(env) : 0;
  if (n < 2 || n > 64)
    return;
  char tag[16];
  snprintf(tag, sizeof tag, "shard%d", nnames > 0 ? (nnames - 1) % n : 0);
  tcase_set_tags(tc, tag);
}

TCase *jc_case(Suite *s, const char *name) {
  if (known(name) || nnames == JC_MAX) {
    if (duplicate == NULL)
      duplicate = name;
  } else {
    names[nnames++] = name;
  }
  TCase *tc = tcase_create(name);
  shard_tag(tc);
  if (def_timeout > 0)
    tcase_set_timeout(tc, def_timeout);
  if (def_setup != NULL || def_teardown != NULL)
    tcase_add_checked_fixture(tc, def_setup, def_teardown);
  suite_add_tcase(s, tc);
  return tc;
}

static int listing(void) {
  const char *list = getenv("JNET_CHECK_LIST");
  return list != NULL && *list != '\0' && strcmp(list, "0") != 0;
}

int jc_nothing_to_run(void) {
  const char *want = getenv("CK_RUN_CASE");
  return listing() || (want != NULL && *want != '\0' && !known(want));
}

/* Free s without running it (Check frees suites with their runner). */
static void drop(Suite *s) { srunner_free(srunner_create(s)); }

static int run(Suite *s, int set_fork, enum fork_status fork) {
  const char *want = getenv("CK_RUN_CASE");
  if (listing()) {
    for (int i = 0; i < nnames; i++)
      printf("%s\n", names[i]);
    drop(s);
    return duplicate ? 1 : 0;
  }
  if (duplicate != NULL) {
    fprintf(stderr, "jnet_check: test name '%s' registered twice\n",
            duplicate);
    drop(s);
    return 1;
  }
  if (want != NULL && *want != '\0' && !known(want)) {
    fprintf(stderr,
            "jnet_check: no test named '%s' in this suite "
            "(JNET_CHECK_LIST=1 lists them)\n",
            want);
    drop(s);
    return 1;
  }
  SRunner *sr = srunner_create(s);
  if (set_fork)
    srunner_set_fork_status(sr, fork);
  srunner_run_all(sr, CK_ENV);
  int ran = srunner_ntests_run(sr);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  if (ran == 0) {
    fprintf(stderr, "jnet_check: no test ran\n");
    return 1;
  }
  return failed == 0 ? 0 : 1;
}

int jc_run(Suite *s) { return run(s, 0, CK_FORK); }

int jc_run_fork(Suite *s, enum fork_status fork) { return run(s, 1, fork); }
