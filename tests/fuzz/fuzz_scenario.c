/* fuzz_scenario.c — fuzz target for the scenario parser (tools/jsim_parse.c):
 * the input is scenario text; jsim_parse_text must either accept it or
 * return -1 with a located message, never crash or leak. A swarm scenario
 * (ranges, maybe, faults) must also draw, for two seeds, a plain scenario
 * that parses (tools/jsim_swarm.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include <jnet/jnet_scenario.h>
#include "jsim_scn.h"

static void prog_noop(jnet_prog_ctx *ctx) { (void)ctx; }

static const jnet_program progs[] = {
    {"echo-server", prog_noop, "x"}, {"echo-client", prog_noop, "x"},
    {"flaky", prog_noop, "x"},       {"hb-monitor", prog_noop, "x"},
    {"kv-client", prog_noop, "x"},   {"kv-server", prog_noop, "x"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (text == NULL)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  char err[512];
  err[0] = '\0';
  jsim_scn *s = NULL;
  int rc = jsim_parse_text("fuzz.scn", text, progs,
                           sizeof progs / sizeof progs[0], &s, err, sizeof err);
  if (rc == 0) {
    FZ_CHECK(s != NULL, "accepted without a scenario");
    /* A swarm's drawn scenario is plain text that must parse again. */
    for (uint64_t seed = 1; s->swarm && seed <= 2; seed++) {
      char drawn[1024];
      jsim_scn *d = jsim_instantiate(s, seed, drawn, sizeof drawn, err,
                                     sizeof err);
      FZ_CHECK(d != NULL && !d->swarm, "seed %llu draws no plain scenario: %s",
               (unsigned long long)seed, err);
      jsim_scn_free(d);
    }
    jsim_scn_free(s);
  } else {
    FZ_CHECK(rc == -1, "rc %d", rc);
    FZ_CHECK(strncmp(err, "fuzz.scn:", 9) == 0, "message not located: '%s'",
             err);
  }
  free(text);
  return 0;
}
