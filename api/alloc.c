/* alloc.c — the allocation hook every layer of jnet allocates through. */
#include <stdlib.h>
#include <string.h>

#include <jnet/jnet.h>
#include "jnet_alloc.h"

static struct {
  void *(*malloc_fn)(size_t);
  void *(*realloc_fn)(void *, size_t);
  void (*free_fn)(void *);
} allocator = {malloc, realloc, free};

int jnet_replace_allocator(void *(*malloc_fn)(size_t),
                           void *(*realloc_fn)(void *, size_t),
                           void (*free_fn)(void *)) {
  if (malloc_fn == NULL || realloc_fn == NULL || free_fn == NULL)
    return JNET_EINVAL;
  allocator.malloc_fn = malloc_fn;
  allocator.realloc_fn = realloc_fn;
  allocator.free_fn = free_fn;
  return 0;
}

void *jnet__malloc(size_t n) { return allocator.malloc_fn(n ? n : 1); }

void *jnet__calloc(size_t count, size_t size) {
  /* LCOV_EXCL_BR_LINE below: no caller's count comes near SIZE_MAX / size */
  if (size != 0 && count > SIZE_MAX / size) /* LCOV_EXCL_BR_LINE */
    return NULL;                            /* LCOV_EXCL_LINE */
  void *p = jnet__malloc(count * size);
  if (p != NULL)
    memset(p, 0, count * size);
  return p;
}

void *jnet__realloc(void *p, size_t n) {
  return allocator.realloc_fn(p, n ? n : 1);
}

void jnet__free(void *p) {
  if (p != NULL)
    allocator.free_fn(p);
}

char *jnet__strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = jnet__malloc(n);
  if (d != NULL)
    memcpy(d, s, n);
  return d;
}

/* The public face of the hook, for code outside the library (examples,
 * scenarios) that wants its memory counted and failed with jnet's. */
void *jnet_malloc(size_t n) { return jnet__malloc(n); }

void *jnet_realloc(void *p, size_t n) { return jnet__realloc(p, n); }

void jnet_free(void *p) { jnet__free(p); }
