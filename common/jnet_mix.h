/* jnet_mix.h — the bit mixers every layer draws from: splitmix64 (Vigna)
 * and the xoshiro256** generator it seeds. Header-only, private to jnet's
 * layers; one copy so that the model, the fault backend, the swarm draws
 * and the checker's hashes cannot drift apart.
 */
#ifndef JNET_MIX_H
#define JNET_MIX_H

#include <stdint.h>

#define JNET__GOLDEN_GAMMA 0x9e3779b97f4a7c15ull

/* splitmix64's finaliser: a bijection that spreads every input bit. */
static inline uint64_t jnet__fmix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* One splitmix64 output for state x: the gamma added, then finalised. */
static inline uint64_t jnet__splitmix64(uint64_t x) {
  return jnet__fmix64(x + JNET__GOLDEN_GAMMA);
}

static inline uint64_t jnet__rotl64(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

/* xoshiro256**: the next output of state s[4]. */
static inline uint64_t jnet__xoshiro_next(uint64_t s[4]) {
  uint64_t result = jnet__rotl64(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = jnet__rotl64(s[3], 45);
  return result;
}

/* A double in [0, 1) from the top 53 bits of one output. */
static inline double jnet__xoshiro_unit(uint64_t s[4]) {
  return (double)(jnet__xoshiro_next(s) >> 11) * 0x1.0p-53;
}

#endif /* JNET_MIX_H */
