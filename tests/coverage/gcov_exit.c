/* gcov_exit.c — linked into the programs of the coverage build only (make
 * coverage, with -Wl,--wrap=_exit): a process that leaves with _exit (the
 * forked per-seed children of jnet-sim) writes its coverage counters first,
 * which _exit alone would skip. */
#include <unistd.h>

void __gcov_dump(void);
void __real__exit(int status) __attribute__((noreturn));
void __wrap__exit(int status) __attribute__((noreturn));

void __wrap__exit(int status) {
  __gcov_dump();
  __real__exit(status);
}
