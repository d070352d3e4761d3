/* kv_store.c — the kv server's "disk": role, epoch and versioned entries.
 *
 * A write keeps the highest version per key, so replaying a write, applying
 * forwarded writes out of order, or merging a snapshot over newer forwarded
 * writes never goes backwards.
 */
#include <stddef.h>
#include <string.h>

#include "kv.h"

void kv_disk_init(kv_disk *d, int role) {
  /* Everything but the entries, which are only read below nkeys. */
  memset(d, 0, offsetof(kv_disk, entries));
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

/* FNV-1a of the key. */
static uint32_t key_hash(const char *key) {
  uint32_t h = 2166136261u;
  for (; *key != '\0'; key++)
    h = (h ^ (unsigned char)*key) * 16777619u;
  return h;
}

/* The index slot of key: where it is, or the empty one where it goes. */
static uint16_t *slot_of(kv_disk *d, const char *key) {
  uint32_t i = key_hash(key) & (KV_INDEX_SLOTS - 1);
  while (d->index[i] != 0 &&
         strcmp(d->entries[d->index[i] - 1].key, key) != 0)
    i = (i + 1) & (KV_INDEX_SLOTS - 1);
  return &d->index[i];
}

static kv_entry *find(kv_disk *d, const char *key) {
  uint16_t *slot = slot_of(d, key);
  return *slot ? &d->entries[*slot - 1] : NULL;
}

const kv_entry *kv_disk_get(const kv_disk *d, const char *key) {
  return find((kv_disk *)d, key);
}

int kv_disk_put(kv_disk *d, const char *key, const char *val,
                uint64_t version) {
  if (!kv_token_ok(key, KV_KEY_MAX) || !kv_token_ok(val, KV_VAL_MAX))
    return JNET_EINVAL;
  uint16_t *slot = slot_of(d, key);
  kv_entry *e;
  if (*slot == 0) {
    if (d->nkeys == KV_MAX_KEYS)
      return JNET_ENOSPC;
    e = &d->entries[d->nkeys++];
    *slot = (uint16_t)d->nkeys;
    strcpy(e->key, key);
  } else if ((e = &d->entries[*slot - 1])->version >= version) {
    return 0;
  }
  strcpy(e->val, val);
  e->version = version;
  return 1;
}

uint64_t kv_disk_next_version(kv_disk *d) { return d->epoch << 32 | ++d->seq; }
