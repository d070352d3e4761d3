/* jnet_alloc.h — the one allocation hook every layer allocates through.
 *
 * jnet_replace_allocator() (jnet.h) sets it; tests install an allocator that
 * fails the Nth call (SQLite's test_malloc.c). Private to jnet's layers: the
 * API, the backends and the network model include it; users do not.
 */
#ifndef JNET_ALLOC_H
#define JNET_ALLOC_H

#include <stddef.h>

void *jnet__malloc(size_t n);
void *jnet__calloc(size_t count, size_t size);
void *jnet__realloc(void *p, size_t n);
void jnet__free(void *p);
char *jnet__strdup(const char *s);

/* Room for one more item in a full growable array: `items` (*cap items of
 * `size` bytes) reallocated to twice as many, or to `first` when empty.
 * The new array, *cap updated; NULL when out of memory or the size would
 * overflow, the array and *cap unchanged. The habit of every table that
 * grows by doubling (fault rules, timers, history events). */
static inline void *jnet__grow(void *items, size_t *cap, size_t size,
                               size_t first) {
  size_t n = *cap ? *cap * 2 : first;
  if (n < *cap || size == 0 || n > (size_t)-1 / size)
    return NULL;
  void *p = jnet__realloc(items, n * size);
  if (p != NULL)
    *cap = n;
  return p;
}

#endif /* JNET_ALLOC_H */
