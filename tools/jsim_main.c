/* jsim_main.c — the jnet-sim command over the example programs
 * (scenarios/programs.h), or over none when they are not built. */
#include <jnet/jnet_scenario.h>

#ifdef JSIM_NO_EXAMPLES
static const jnet_program *const jnet_example_programs = NULL;
static const size_t jnet_example_nprograms = 0;
#else
#include "programs.h"
#endif

int main(int argc, char **argv) {
  return jnet_scenario_main(argc, argv, jnet_example_programs,
                            jnet_example_nprograms);
}
