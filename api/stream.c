/* stream.c — stream handles: a slot table with generations, and close.
 *
 * A jnet_stream is (generation << 32 | slot + 1). Closing bumps the slot's
 * generation at once, so every later use of the old handle finds a stale
 * generation and gets JNET_ECLOSED, and a second close returns 0 (libdill's
 * handles, Janet's "stream is closed"). Stream structs are never freed
 * before the loop: a slot is reused with a new generation, so a stale handle
 * can never reach freed memory.
 */
#include "internal.h"

static jnet_stream make_handle(uint32_t gen, uint32_t slot) {
  jnet_stream s;
  s.h = (uint64_t)gen << 32 | (uint64_t)(slot + 1);
  return s;
}

jnet_stream jnet__stream_handle(const jnet__stream *st) {
  return make_handle(st->gen, st->slot);
}

int jnet__stream_new(jnet_loop *l, jnet__nodestate *n, jnet_bsock *sock,
                     jnet__kind kind, int family, jnet_stream *out) {
  jnet__stream *st = l->free_streams;
  if (st != NULL) {
    l->free_streams = st->next_free;
  } else {
    /* LCOV_EXCL_BR_START: 2^32 streams open at once */
    if (l->nslots == UINT32_MAX - 1)
      return JNET_EMFILE;
    /* LCOV_EXCL_BR_STOP */
    if (l->nslots == l->cap_slots) {
      uint32_t cap = l->cap_slots ? l->cap_slots * 2 : 64;
      jnet__stream **t = jnet__realloc(l->slots, cap * sizeof *t);
      if (t == NULL)
        return JNET_ENOMEM;
      l->slots = t;
      l->cap_slots = cap;
    }
    st = jnet__calloc(1, sizeof *st);
    if (st == NULL)
      return JNET_ENOMEM;
    st->slot = l->nslots;
    l->slots[l->nslots++] = st;
  }
  st->gen++;
  /* LCOV_EXCL_BR_START: 2^32 reuses of one slot */
  if (st->gen == 0)
    st->gen = 1;
  /* LCOV_EXCL_BR_STOP */
  st->sock = sock;
  st->kind = kind;
  st->family = family;
  st->shut_rd = st->shut_wr = 0;
  st->node = n;
  st->reader = st->writer = st->acceptor = NULL;
  st->next_free = NULL;
  jnet__queue_insert_tail(&n->streams, &st->node_link);
  *out = make_handle(st->gen, st->slot);
  return 0;
}

/* Close: wake the fibers blocked on it with JNET_ECANCELED (they run on a
 * later turn), hand the socket back to the backend, kill the handle. */
void jnet__stream_close(jnet_loop *l, jnet__stream *st) {
  jnet__fiber *blocked[3] = {st->reader, st->writer, st->acceptor};
  for (int i = 0; i < 3; i++)
    if (blocked[i] != NULL)
      jnet__fiber_wake(blocked[i], JNET_ECANCELED);
  jnet_bsock *sock = st->sock;
  st->sock = NULL;
  st->gen++;
  jnet__queue_remove(&st->node_link);
  st->next_free = l->free_streams;
  l->free_streams = st;
  l->b->close(l->b, sock);
}

/* At loop free: close what is open, free every struct. */
void jnet__streams_free(jnet_loop *l) {
  for (uint32_t i = 0; i < l->nslots; i++)
    if (l->slots[i]->sock != NULL)
      jnet__stream_close(l, l->slots[i]);
  for (uint32_t i = 0; i < l->nslots; i++)
    jnet__free(l->slots[i]);
  jnet__free(l->slots);
  l->slots = NULL;
  l->nslots = l->cap_slots = 0;
  l->free_streams = NULL;
}

int jnet_close(jnet_stream s) {
  if (s.h == 0)
    return JNET_EINVAL;
  jnet_loop *l = jnet__current_loop();
  jnet__stream *st = jnet__stream_get(l, s);
  if (st == NULL)
    return 0; /* closed already: close is idempotent */
  jnet__stream_close(l, st);
  return 0;
}
