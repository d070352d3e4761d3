/* htab.c — hash tables with intrusive chains (hosts by address, links,
 * ports, connections). Chains keep insertion order at their tail, so
 * iteration never depends on pointer values. */
#include "model.h"

static int grow(jnet__sim_htab *t, size_t off, jnet__sim_hfn hf) {
  uint32_t cap = t->b ? (t->mask + 1) * 2 : 64;
  void **nb = jnet__calloc(cap, sizeof *nb);
  if (nb == NULL)
    return JNET_ENOMEM;
  if (t->b != NULL) {
    for (uint32_t i = 0; i <= t->mask; i++) {
      void *o = t->b[i];
      while (o != NULL) {
        void *next = JNET__SIM_NEXT(o, off);
        void **pp = &nb[hf(o) & (cap - 1)];
        while (*pp != NULL)
          pp = &JNET__SIM_NEXT(*pp, off);
        JNET__SIM_NEXT(o, off) = NULL;
        *pp = o;
        o = next;
      }
    }
  }
  jnet__free(t->b);
  t->b = nb;
  t->mask = cap - 1;
  return 0;
}

void jnet__sim_htab_free(jnet__sim_htab *t) {
  jnet__free(t->b);
  t->b = NULL;
  t->mask = t->n = 0;
}

int jnet__sim_htab_insert(jnet__sim_htab *t, void *obj, uint64_t h, size_t off,
                          jnet__sim_hfn hf) {
  if (t->b == NULL || t->n >= t->mask + 1) {
    int err = grow(t, off, hf);
    if (err < 0)
      return err;
  }
  void **pp = &t->b[h & t->mask];
  while (*pp != NULL)
    pp = &JNET__SIM_NEXT(*pp, off);
  JNET__SIM_NEXT(obj, off) = NULL;
  *pp = obj;
  t->n++;
  return 0;
}

void jnet__sim_htab_remove(jnet__sim_htab *t, void *obj, uint64_t h,
                           size_t off) {
  /* every caller removes only what it inserted (in_ports, in_conns, the
   * entries of a host being undone), so the table has buckets and obj */
  if (t->b == NULL) /* LCOV_EXCL_BR_LINE: obj was inserted */
    return;         /* LCOV_EXCL_LINE */
  void **pp = &t->b[h & t->mask];
  while (*pp != NULL && *pp != obj) /* LCOV_EXCL_BR_LINE: obj is there */
    pp = &JNET__SIM_NEXT(*pp, off);
  if (*pp == obj) { /* LCOV_EXCL_BR_LINE: obj is there */
    *pp = JNET__SIM_NEXT(obj, off);
    JNET__SIM_NEXT(obj, off) = NULL;
    t->n--;
  }
}
