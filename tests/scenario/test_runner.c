/* test_runner.c — a jnet-sim over the test programs (test_progs.c). */
#include "test_progs.h"

int main(int argc, char **argv) {
  return jnet_scenario_main(argc, argv, jsim_test_programs,
                            jsim_test_nprograms);
}
