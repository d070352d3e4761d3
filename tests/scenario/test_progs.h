/* test_progs.h — the test programs (test_progs.c) for the runner's tests. */
#ifndef JSIM_TEST_PROGS_H
#define JSIM_TEST_PROGS_H

#include <stddef.h>

#include <jnet/jnet_scenario.h>

extern const jnet_program jsim_test_programs[];
extern const size_t jsim_test_nprograms;

#endif
