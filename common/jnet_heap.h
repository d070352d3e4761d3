/* jnet_heap.h — one binary min-heap, header-only, for the scheduler's timers
 * (api/loop.c) and the model's event queue (sim/event.c).
 *
 * libuv's heap-inl.h habit: the code is written once and instantiated per
 * entry type, here over an array (both users keep each entry's key in the
 * array, so comparisons never leave it). An entry knows its index through
 * place(), so an entry can be removed from the middle.
 *
 *   JNET__HEAP_DEFINE(name, type, less, place)
 *
 * defines, all static inline:
 *   name##_sift_up(v, i, e)       put e in the hole at i, move it up
 *   name##_sift_down(v, n, i, e)  put e in the hole at i of an n-entry
 *                                 heap, move it down
 *   name##_push(v, n, e)          add e to an n-entry heap (n + 1 after)
 *   name##_update(v, n, i, e)     replace v[i] of an n-entry heap by e
 *   name##_remove(v, n, i)        drop v[i] of an n-entry heap (n - 1 after)
 *   name##_pop(v, n)              drop v[0] of an n-entry heap (n - 1 after)
 *   name##_child(v, n, i)         i's lesser child (>= n: none)
 *
 * with `int less(const type *a, const type *b)` a strict total order (the
 * users break equal times by a sequence number, libuv's start_id, so the
 * order entries come out in does not depend on the heap's shape) and
 * `void place(type *v, size_t i, type e)` storing e at v[i] and telling e
 * its index. The caller owns the array, its count and its growth.
 */
#ifndef JNET_HEAP_H
#define JNET_HEAP_H

#include <stddef.h>

/* A heap operation is a few compares and moves on a hot path (every timed
 * wait, every model event): inline, so no call frame costs more than it;
 * an instance need not use every operation. */
#if defined(__GNUC__)
#define JNET__HEAP_FN static inline __attribute__((always_inline, unused))
#else
#define JNET__HEAP_FN static inline
#endif

#define JNET__HEAP_DEFINE(name, type, less, place)                             \
  JNET__HEAP_FN void name##_sift_up(type *v, size_t i, type e) {               \
    while (i > 0) {                                                            \
      size_t parent = (i - 1) / 2;                                             \
      if (!less(&e, &v[parent]))                                               \
        break;                                                                 \
      place(v, i, v[parent]);                                                  \
      i = parent;                                                              \
    }                                                                          \
    place(v, i, e);                                                            \
  }                                                                            \
                                                                               \
  /* The lesser child of i (>= n: i is a leaf). */                            \
  JNET__HEAP_FN size_t name##_child(const type *v, size_t n, size_t i) {       \
    size_t c = 2 * i + 1;                                                      \
    if (c + 1 < n && less(&v[c + 1], &v[c]))                                   \
      c++;                                                                     \
    return c;                                                                  \
  }                                                                            \
                                                                               \
  JNET__HEAP_FN void name##_sift_down(type *v, size_t n, size_t i, type e) {   \
    for (;;) {                                                                 \
      size_t c = 2 * i + 1;                                                    \
      if (c >= n)                                                              \
        break;                                                                 \
      c = name##_child(v, n, i);                                               \
      if (!less(&v[c], &e))                                                    \
        break;                                                                 \
      place(v, i, v[c]);                                                       \
      i = c;                                                                   \
    }                                                                          \
    place(v, i, e);                                                            \
  }                                                                            \
                                                                               \
  JNET__HEAP_FN void name##_push(type *v, size_t n, type e) {                  \
    name##_sift_up(v, n, e);                                                   \
  }                                                                            \
                                                                               \
  /* e takes v[i]'s place (a new key), then moves whichever way it must. */  \
  JNET__HEAP_FN void name##_update(type *v, size_t n, size_t i, type e) {      \
    if (i > 0 && less(&e, &v[(i - 1) / 2]))                                    \
      name##_sift_up(v, i, e);                                                 \
    else                                                                       \
      name##_sift_down(v, n, i, e);                                            \
  }                                                                            \
                                                                               \
  /* The last entry fills the hole. */                                         \
  JNET__HEAP_FN void name##_remove(type *v, size_t n, size_t i) {              \
    if (i != --n)                                                              \
      name##_update(v, n, i, v[n]);                                            \
  }                                                                            \
                                                                               \
  /* Floyd's pop: the hole at the root follows the smaller child down to a    \
   * leaf (one comparison a level), then the last entry rises from there —   \
   * usually not at all, as it is among the latest. */                        \
  JNET__HEAP_FN void name##_pop(type *v, size_t n) {                           \
    if (--n == 0)                                                              \
      return;                                                                  \
    type last = v[n];                                                          \
    size_t i = 0;                                                              \
    for (size_t c; 2 * i + 1 < n; i = c) {                                     \
      c = name##_child(v, n, i);                                               \
      place(v, i, v[c]);                                                       \
    }                                                                          \
    name##_sift_up(v, i, last);                                                \
  }

#endif /* JNET_HEAP_H */
