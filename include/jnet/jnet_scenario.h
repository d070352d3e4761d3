/* jnet_scenario.h — programs for scenarios, and the runner's entry point.
 *
 * A scenario (.scn, see scenarios/README.md) names programs: C functions
 * registered by name that run as a fiber on a simulated host, written against
 * jnet.h like any protocol code. A program reads its key=value arguments,
 * reports named checks that `expect` lines test, and may keep state in a
 * "disk" that survives a crash of its host.
 *
 * A user links their programs into a runner of their own with one call:
 *
 *   static const jnet_program progs[] = {
 *     {"echo-server", echo_server, "echoes every connection"},
 *     {"echo-client", echo_client, "checks the echo; reports ok"},
 *   };
 *   int main(int argc, char **argv) {
 *     return jnet_scenario_main(argc, argv, progs, 2);
 *   }
 *
 * This layer sits above both jnet.h and jnet_sim.h.
 */
#ifndef JNET_SCENARIO_H
#define JNET_SCENARIO_H

#include <stddef.h>

#include <jnet/jnet_config.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jnet_prog_ctx jnet_prog_ctx;
typedef void (*jnet_prog_fn)(jnet_prog_ctx *ctx);

typedef struct jnet_program {
  const char *name; /* as named in `run HOST NAME` */
  jnet_prog_fn fn;  /* runs in a fiber on the host; again after a restart */
  const char *help; /* one line for `jnet-sim programs` */
} jnet_program;

/* The value of argument `key` (from `run HOST PROG key=value`), or def. */
JNET_EXTERN const char *jnet_prog_arg(jnet_prog_ctx *ctx, const char *key,
                                      const char *def);
/* The same as an integer; def if absent; the runner reports a malformed
 * number as an error of the run. */
JNET_EXTERN long long jnet_prog_arg_int(jnet_prog_ctx *ctx, const char *key,
                                        long long def);
/* The host the program runs on, and the program's name. */
JNET_EXTERN const char *jnet_prog_host(const jnet_prog_ctx *ctx);
JNET_EXTERN const char *jnet_prog_name(const jnet_prog_ctx *ctx);
/* How many times this program has been (re)started on its host: 0 first. */
JNET_EXTERN int jnet_prog_restarts(const jnet_prog_ctx *ctx);

/* Report check `check` (the word an `expect HOST PROGRAM CHECK` line
 * names): ok != 0 passes; a failing report keeps its message (printf
 * format). A check reported several times keeps its first failure. */
JNET_EXTERN void jnet_prog_check(jnet_prog_ctx *ctx, const char *check, int ok,
                                 const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A zeroed block of `size` bytes private to this program on this host
 * that survives crashes and restarts (a disk). The same size must be asked
 * each time; NULL on a size mismatch or when out of memory. */
JNET_EXTERN void *jnet_prog_disk(jnet_prog_ctx *ctx, size_t size);

/* The run's history (jnet_history.h): every program of a run records its
 * clients' operations into this one history, each under process ids of its
 * own (jnet_history_process), and `expect linearizable` checks it. NULL
 * only when out of memory. */
struct jnet_history;
JNET_EXTERN struct jnet_history *jnet_prog_history(jnet_prog_ctx *ctx);

/* The runner: `jnet-sim run|sweep|merge|programs|check ...` over the given
 * programs (plus none built in). Returns the process exit status: 0 all
 * expectations held, 1 an expectation failed, 2 a usage or scenario error. */
JNET_EXTERN int jnet_scenario_main(int argc, char **argv,
                                   const jnet_program *progs, size_t nprogs);

#ifdef __cplusplus
}
#endif

#endif /* JNET_SCENARIO_H */
