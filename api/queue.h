/* queue.h — an intrusive circular doubly-linked list (libuv's src/queue.h).
 *
 * Embed a jnet__queue in a struct, link it into a head, get the struct back
 * with jnet__queue_data(). An empty head points at itself.
 */
#ifndef JNET_QUEUE_H
#define JNET_QUEUE_H

#include <stddef.h>

typedef struct jnet__queue {
  struct jnet__queue *next, *prev;
} jnet__queue;

#define jnet__queue_data(ptr, type, field)                                     \
  ((type *)((char *)(ptr)-offsetof(type, field)))

static inline void jnet__queue_init(jnet__queue *q) { q->next = q->prev = q; }

static inline int jnet__queue_empty(const jnet__queue *q) {
  return q->next == q;
}

static inline void jnet__queue_insert_tail(jnet__queue *h, jnet__queue *q) {
  q->next = h;
  q->prev = h->prev;
  q->prev->next = q;
  h->prev = q;
}

static inline void jnet__queue_remove(jnet__queue *q) {
  q->prev->next = q->next;
  q->next->prev = q->prev;
  q->next = q->prev = q;
}

static inline jnet__queue *jnet__queue_head(const jnet__queue *h) {
  return h->next;
}

#endif /* JNET_QUEUE_H */
