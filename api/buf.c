/* buf.c — jnet_buf, the growable byte buffer reads append to. */
#include <stdint.h>
#include <string.h>

#include <jnet/jnet.h>
#include "jnet_alloc.h"

void jnet_buf_init(jnet_buf *b) {
  if (b == NULL)
    return;
  b->data = NULL;
  b->len = b->cap = 0;
}

void jnet_buf_reset(jnet_buf *b) {
  if (b != NULL)
    b->len = 0;
}

void jnet_buf_free(jnet_buf *b) {
  if (b == NULL)
    return;
  jnet__free(b->data);
  jnet_buf_init(b);
}

int jnet_buf_reserve(jnet_buf *b, size_t extra) {
  if (b == NULL || b->len > b->cap)
    return JNET_EINVAL;
  if (extra > SIZE_MAX - b->len)
    return JNET_ENOMEM;
  size_t need = b->len + extra;
  if (need <= b->cap)
    return 0;
  if (need > PTRDIFF_MAX) /* larger than any C object can be */
    return JNET_ENOMEM;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need)
    cap = cap > PTRDIFF_MAX / 2 ? need : cap * 2;
  char *p = jnet__realloc(b->data, cap);
  if (p == NULL)
    return JNET_ENOMEM;
  b->data = p;
  b->cap = cap;
  return 0;
}

int jnet_buf_append(jnet_buf *b, const void *p, size_t n) {
  if (b == NULL || (p == NULL && n > 0))
    return JNET_EINVAL;
  int err = jnet_buf_reserve(b, n);
  if (err < 0)
    return err;
  if (n > 0)
    memcpy(b->data + b->len, p, n);
  b->len += n;
  return 0;
}
