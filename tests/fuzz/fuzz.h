/* fuzz.h — shared by the fuzz targets: the libFuzzer entry point each
 * target defines, and small helpers to consume bytes from an input. */
#ifndef JNET_FUZZ_H
#define JNET_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A cursor over the fuzzer's bytes; reads past the end give zeros. */
typedef struct fz_in {
  const uint8_t *p;
  size_t n, off;
} fz_in;

static inline unsigned fz_u8(fz_in *in) {
  return in->off < in->n ? in->p[in->off++] : 0u;
}
static inline unsigned fz_u16(fz_in *in) {
  unsigned a = fz_u8(in);
  return a | (fz_u8(in) << 8);
}
static inline int fz_more(const fz_in *in) { return in->off < in->n; }

/* Abort with a message: libFuzzer records the input as a crash. */
#define FZ_CHECK(cond, ...)                                                   \
  do {                                                                        \
    if (!(cond)) {                                                            \
      fprintf(stderr, "fuzz invariant failed: %s: ", #cond);                  \
      fprintf(stderr, __VA_ARGS__);                                           \
      fputc('\n', stderr);                                                    \
      abort();                                                                \
    }                                                                         \
  } while (0)

#endif /* JNET_FUZZ_H */
