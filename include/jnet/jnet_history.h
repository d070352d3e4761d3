/* jnet_history.h — record operation histories, check them for
 * linearizability.
 *
 * A history is what the clients of a store did, as Jepsen records it: each
 * operation is an `invoke` event, then one completion: `ok` (it happened),
 * `fail` (it did not) or `info` (unknown: a timeout; it may take effect at
 * any later time, or never). An operation is a `read`, `write` or `cas`
 * (compare-and-set) on a register named by a key; a key never written
 * reads null. Each event carries the process that issued it and its time in
 * nanoseconds (jnet_now(): virtual time on sim).
 *
 *   jnet_history *h;
 *   jnet_history_new(&h);
 *   int64_t p = jnet_history_process(h);           // a fresh process id
 *   jnet_history_invoke(h, p, JNET_HIST_WRITE, "k1", jnet_hv_str("v1"),
 *                       jnet_hv_null());
 *   ... send the request ...
 *   jnet_history_ok(h, p, jnet_hv_null());          // or _fail, _info
 *   jnet_history_save(h, "run.jsonl");
 *
 *   jnet_lin_result r;
 *   if (jnet_history_check(h, &r) == 0)             // not linearizable
 *     jnet_history_write(r.sub, stdout);            // the smallest failing
 *   jnet_lin_result_free(&r);                       // part of its key
 *
 * The file format (JSON Lines, one event per line) is fixed by DESIGN.md,
 * "Histories and linearizability"; jnet_history_load reads such files from
 * jnet or from elsewhere (Jepsen, Porcupine's test data). After an `info`
 * a process id is not used again: take a fresh one.
 *
 * The checker treats every key as its own register (P-compositionality)
 * and searches for a linearization as Wing & Gong and Lowe do, remembering
 * the (linearized set, register value) pairs already visited, as Porcupine
 * and Knossos do.
 *
 * This layer sits above jnet.h (for jnet_now) and knows no backend.
 */
#ifndef JNET_HISTORY_H
#define JNET_HISTORY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jnet/jnet_config.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jnet_history jnet_history;

/* Event types and operations. */
enum { JNET_HIST_INVOKE, JNET_HIST_OK, JNET_HIST_FAIL, JNET_HIST_INFO };
enum { JNET_HIST_READ, JNET_HIST_WRITE, JNET_HIST_CAS };

/* A value: null, a string or a number. Values compare as JSON values: 1
 * equals 1.0, the string "1" equals neither. */
enum { JNET_HV_NULL, JNET_HV_STRING, JNET_HV_NUMBER };
typedef struct jnet_hvalue {
  int kind;        /* JNET_HV_* */
  const char *str; /* JNET_HV_STRING: NUL-terminated, copied when recorded */
  double num;      /* JNET_HV_NUMBER: finite */
} jnet_hvalue;

static inline jnet_hvalue jnet_hv_null(void) {
  jnet_hvalue v = {JNET_HV_NULL, NULL, 0};
  return v;
}
static inline jnet_hvalue jnet_hv_str(const char *s) {
  jnet_hvalue v = {JNET_HV_STRING, s, 0};
  return v;
}
static inline jnet_hvalue jnet_hv_num(double n) {
  jnet_hvalue v = {JNET_HV_NUMBER, NULL, n};
  return v;
}

/* One event, as recorded or read back. */
typedef struct jnet_history_event {
  int64_t process;
  int type;           /* JNET_HIST_INVOKE .. JNET_HIST_INFO */
  int f;              /* JNET_HIST_READ, _WRITE, _CAS */
  const char *key;    /* an integer key is kept as its decimal string */
  jnet_hvalue value;  /* cas: the expected value */
  jnet_hvalue value2; /* cas: the new value; otherwise unused */
  int64_t time_ns;
} jnet_history_event;

/* A new, empty history. 0 or JNET_ENOMEM. */
JNET_EXTERN int jnet_history_new(jnet_history **out);
JNET_EXTERN void jnet_history_free(jnet_history *h);

/* A process id never used in h yet (one more than the largest so far). */
JNET_EXTERN int64_t jnet_history_process(jnet_history *h);

/* Record, at the time jnet_now() gives: invoke an operation (value: the
 * value written, or cas's expected value; new_value: cas's new value);
 * complete the process's open operation with ok (read_value: what a read
 * read; ignored otherwise), fail or info. 0, or JNET_EINVAL (bad argument,
 * a completion with no open operation, a process id reused after its
 * info, a NaN), JNET_EBUSY (the process has an operation open) or
 * JNET_ENOMEM. A refused event is not recorded. */
JNET_EXTERN int jnet_history_invoke(jnet_history *h, int64_t process, int f,
                                    const char *key, jnet_hvalue value,
                                    jnet_hvalue new_value);
JNET_EXTERN int jnet_history_ok(jnet_history *h, int64_t process,
                                jnet_hvalue read_value);
JNET_EXTERN int jnet_history_fail(jnet_history *h, int64_t process);
JNET_EXTERN int jnet_history_info(jnet_history *h, int64_t process);

/* Record one event with its own time (for histories built by hand). A
 * completion names its operation's f and key. As above, plus JNET_EINVAL
 * for a time before the previous event's. */
JNET_EXTERN int jnet_history_add(jnet_history *h, const jnet_history_event *e);

/* The number of events, and the i-th (pointers stay valid until the
 * history is freed). 0 or JNET_EINVAL. */
JNET_EXTERN size_t jnet_history_count(const jnet_history *h);
JNET_EXTERN int jnet_history_get(const jnet_history *h, size_t i,
                                 jnet_history_event *e);

/* The first event a program tried to record and was refused, as a
 * message, or NULL (lets a runner report misuse it did not see). */
JNET_EXTERN const char *jnet_history_misuse(const jnet_history *h);

/* Write as JSON Lines (an integer key is written as its string). 0,
 * JNET_EPIPE on a write error; jnet_history_save also JNET_ENOENT or
 * JNET_EACCES when path cannot be created. */
JNET_EXTERN int jnet_history_write(const jnet_history *h, FILE *f);
JNET_EXTERN int jnet_history_save(const jnet_history *h, const char *path);

/* Read a JSON Lines history. 0; JNET_EINVAL for a malformed one, with
 * "NAME:LINE:COL: error: ..." in err; JNET_ENOENT etc. when path cannot be
 * read; JNET_ENOMEM. */
JNET_EXTERN int jnet_history_load(jnet_history **out, const char *path,
                                  char *err, size_t errlen);
JNET_EXTERN int jnet_history_parse(jnet_history **out, const char *name,
                                   const char *text, size_t len, char *err,
                                   size_t errlen);
/* The line of the file event i was read from (0 if recorded). */
JNET_EXTERN int jnet_history_line(const jnet_history *h, size_t i);

/* ---- Checking -------------------------------------------------------------
 */

typedef struct jnet_lin_result {
  int linearizable; /* 1 or 0 */
  size_t nkeys;     /* keys checked */
  size_t nops;      /* operations in the history */
  /* Not linearizable: the first failing key (in order of first use), the
   * smallest sub-history of it found still not linearizable (an operation
   * cut short there is open at its end), and the events of h that belong to
   * it (indexes, ascending). */
  char *key;
  jnet_history *sub;
  size_t *events;
  size_t nevents;
} jnet_lin_result;

/* Check h against a register per key. 1 linearizable, 0 not (res says
 * where), JNET_ENOMEM. res is always filled; free it with
 * jnet_lin_result_free. */
JNET_EXTERN int jnet_history_check(const jnet_history *h, jnet_lin_result *res);
JNET_EXTERN void jnet_lin_result_free(jnet_lin_result *res);

/* A self-contained HTML page: one lane per process, each operation a bar
 * from invoke to completion, the operations of res->events (if res is not
 * NULL and not linearizable) marked. 0 or a negative code. */
JNET_EXTERN int jnet_history_write_html(const jnet_history *h,
                                        const jnet_lin_result *res,
                                        const char *title, FILE *f);

#ifdef __cplusplus
}
#endif

#endif /* JNET_HISTORY_H */
