/* rng.c — the seeded PRNG streams (splitmix64 seeding xoshiro256**) and the
 * jitter distributions drawn from them. */
#include <math.h>
#include <string.h>

#include "model.h"

uint64_t jnet__sim_hash_bytes(uint64_t h, const void *p,
                              size_t n) { /* FNV-1a */
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++) {
    h ^= b[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

/* The stream of (seed, purpose, a, b); names are hashed with their NULs so
 * ("ab", "c") and ("a", "bc") differ. */
void jnet__sim_rng_seed(jnet__sim_rng *r, uint64_t seed, const char *purpose,
                        const char *a, const char *b) {
  uint64_t h = 0xcbf29ce484222325ull;
  h = jnet__sim_hash_bytes(h, &seed, sizeof seed);
  const char *parts[3] = {purpose, a, b};
  for (int i = 0; i < 3; i++) {
    const char *s = parts[i] ? parts[i] : "";
    h = jnet__sim_hash_bytes(h, s, strlen(s) + 1);
  }
  uint64_t x = h;
  for (int i = 0; i < 4; i++) {
    x += JNET__GOLDEN_GAMMA;
    r->s[i] = jnet__splitmix64(x);
  }
}

uint64_t jnet__sim_rng_next(jnet__sim_rng *r) {
  return jnet__xoshiro_next(r->s);
}

double jnet__sim_rng_unit(jnet__sim_rng *r) { return jnet__xoshiro_unit(r->s); }

uint64_t jnet__sim_rng_jitter(jnet__sim_rng *r, int dist, uint64_t jitter_ns) {
  if (jitter_ns == 0)
    return 0;
  double j = (double)jitter_ns, x;
  switch (dist) {
  case JNET_JITTER_NORMAL: { /* |N(0, j)| by Box-Muller */
    double u1 = 1.0 - jnet__sim_rng_unit(r), u2 = jnet__sim_rng_unit(r);
    x = fabs(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2)) * j;
    break;
  }
  case JNET_JITTER_EXPONENTIAL:
    x = -log(1.0 - jnet__sim_rng_unit(r)) * j;
    break;
  case JNET_JITTER_PARETO: { /* shape 2, scale j/2: mean j */
    double u = 1.0 - jnet__sim_rng_unit(r);
    x = (j / 2.0) / sqrt(u);
    break;
  }
  default:
    x = jnet__sim_rng_unit(r) * j;
    break;
  }
  if (x > 3600e9)
    x = 3600e9; /* an hour is plenty; keeps the cast defined */
  return (uint64_t)x;
}
