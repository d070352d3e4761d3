/* kv_store.c — the kv server's "disk": role, epoch and versioned entries.
 *
 * A write keeps the highest version per key, so replaying a write, applying
 * forwarded writes out of order, or merging a snapshot over newer forwarded
 * writes never goes backwards.
 */
#include <string.h>

#include "kv.h"

void kv_disk_init(kv_disk *d, int role) {
  memset(d, 0, sizeof *d);
  d->magic = KV_DISK_MAGIC;
  d->role = role;
  d->epoch = 1;
  d->synced = 1;
}

int kv_token_ok(const char *s, size_t max) {
  size_t n = 0;
  if (s == NULL || *s == '\0')
    return 0;
  for (; s[n] != '\0'; n++)
    if ((unsigned char)s[n] <= ' ' || (unsigned char)s[n] >= 127)
      return 0;
  return n < max;
}

static kv_entry *find(kv_disk *d, const char *key) {
  for (uint32_t i = 0; i < d->nkeys; i++)
    if (strcmp(d->entries[i].key, key) == 0)
      return &d->entries[i];
  return NULL;
}

const kv_entry *kv_disk_get(const kv_disk *d, const char *key) {
  return find((kv_disk *)d, key);
}

int kv_disk_put(kv_disk *d, const char *key, const char *val,
                uint64_t version) {
  if (!kv_token_ok(key, KV_KEY_MAX) || !kv_token_ok(val, KV_VAL_MAX))
    return JNET_EINVAL;
  kv_entry *e = find(d, key);
  if (e == NULL) {
    if (d->nkeys == KV_MAX_KEYS)
      return JNET_ENOSPC;
    e = &d->entries[d->nkeys++];
    strcpy(e->key, key);
  } else if (e->version >= version) {
    return 0;
  }
  strcpy(e->val, val);
  e->version = version;
  return 1;
}

uint64_t kv_disk_next_version(kv_disk *d) { return d->epoch << 32 | ++d->seq; }
