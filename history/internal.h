/* internal.h — the history layer's private header: how a jnet_history is
 * stored, shared by record.c (recording, writing), parse.c (reading JSON
 * Lines), lincheck.c (the checker) and html.c (the timeline page).
 */
#ifndef JNET_HISTORY_INTERNAL_H
#define JNET_HISTORY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <jnet/jnet_history.h>

#include "jnet_mix.h"

/* One stored event. Strings live in the history's arena. */
typedef struct jnet__hist_event {
  int64_t process;
  int64_t time_ns;
  int64_t match; /* invoke: its completion's index, or -1; else its invoke */
  uint32_t key;  /* index in keys */
  uint8_t type, f;
  int line; /* of the file it was read from; 0 if recorded */
  jnet_hvalue value, value2;
} jnet__hist_event;

/* Per process: its open operation (an event index) and whether an info
 * retired it. */
typedef struct jnet__hist_proc {
  int64_t process;
  int64_t open; /* -1: none */
  uint8_t used, dead;
} jnet__hist_proc;

typedef struct jnet__hist_arena_block {
  struct jnet__hist_arena_block *next;
  size_t used, cap;
  char data[];
} jnet__hist_arena_block;

struct jnet_history {
  jnet__hist_event *ev;
  size_t nev, evcap;
  char **keys; /* in order of first use */
  size_t nkeys, keycap;
  uint32_t *keymap; /* open addressing: key index + 1; 0 empty */
  size_t keymap_cap;
  jnet__hist_proc *procs; /* open addressing on process */
  size_t nprocs, procs_cap;
  int64_t max_process;
  int any_process;
  jnet__hist_arena_block *arena;
  char misuse[240];
};

/* Add an event after checking the rules of the format; on a refusal the
 * reason goes to msg (if not NULL). 0, JNET_EINVAL, JNET_EBUSY, or
 * JNET_ENOMEM. */
int jnet__hist_add(jnet_history *h, const jnet_history_event *e, int line,
                   char *msg, size_t msglen);

/* Write one event as a JSON line / a JSON string or value. */
void jnet__hist_write_event(const jnet_history *h, size_t i, FILE *f);
void jnet__hist_json_string(FILE *f, const char *s);
void jnet__hist_json_value(FILE *f, const jnet_hvalue *v);

/* Names of types and operations. */
extern const char *const jnet__hist_type_name[4];
extern const char *const jnet__hist_f_name[3];

/* FNV-1a over bytes (the mixer is jnet__splitmix64, jnet_mix.h). */
uint64_t jnet__hist_hash(const void *p, size_t n);


#endif /* JNET_HISTORY_INTERNAL_H */
