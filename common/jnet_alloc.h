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

#endif /* JNET_ALLOC_H */
