/* host.c — hosts, their addresses, the simulated DNS and service table, and
 * the model's resolver (names -> endpoints, no real DNS ever). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "jnet_port.h"
#include "model.h"

/* ---- Addresses ------------------------------------------------------------ */

static size_t iplen(int family) { return family == AF_INET6 ? 16 : 4; }

/* Decimal digits of v at the end of the buffer before `end`; returns the
 * first. */
static char *utoa_back(char *end, unsigned v) {
  do {
    *--end = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  return end;
}

/* The trace formats an endpoint per connection: v4 by hand ("a.b.c.d:p", as
 * inet_ntop and "%s:%u" write it), v6 through inet_ntop. */
void jnet__sim_ep_format(const jnet__sim_ep *ep, char *buf, size_t n) {
  if (ep->family == AF_INET6) {
    char s[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, ep->ip, s, sizeof s);
    snprintf(buf, n, "[%s]:%u", s, (unsigned)ep->port);
    return;
  }
  char s[sizeof "255.255.255.255:65535"];
  s[sizeof s - 1] = '\0';
  char *p = utoa_back(s + sizeof s - 1, ep->port);
  for (int i = 3; i >= 0; i--) {
    *--p = i == 3 ? ':' : '.';
    p = utoa_back(p, ep->ip[i]);
  }
  if (n == 0)
    return;
  size_t k = strlen(p);
  if (k >= n)
    k = n - 1; /* cut as snprintf would */
  memcpy(buf, p, k);
  buf[k] = '\0';
}

/* ---- Hosts ------------------------------------------------------------------ */

typedef struct ipent {
  jnet__sim_hostaddr a;
  jnet__sim_host *host;
  struct ipent *next;
} ipent;

static uint64_t ip_hash(int family, const uint8_t *ip) {
  if (family == AF_INET) {
    uint32_t v;
    memcpy(&v, ip, 4);
    return jnet__splitmix64(v);
  }
  uint64_t a, b;
  memcpy(&a, ip, 8);
  memcpy(&b, ip + 8, 8);
  return jnet__splitmix64(a ^ jnet__splitmix64(b ^ (uint64_t)family));
}
static uint64_t ipent_hash(const void *o) {
  const ipent *e = o;
  return ip_hash(e->a.family, e->a.ip);
}

jnet__sim_host *jnet__sim_host_by_ip(jnet__sim *sim, int family,
                                     const uint8_t *ip) {
  for (ipent *e = jnet__sim_htab_first(&sim->host_ips, ip_hash(family, ip));
       e != NULL; e = e->next)
    /* LCOV_EXCL_BR_LINE below: another family in the chain: an ip_hash bucket collision, not steerable */
    if (e->a.family == family && jnet__sim_ip_eq(family, e->a.ip, ip)) /* LCOV_EXCL_BR_LINE */
      return e->host;
  return NULL;
}

int jnet__sim_host_has_ip(const jnet__sim_host *h, int family,
                          const uint8_t *ip) {
  if (jnet__sim_ip_is_loopback(family, ip))
    return family == AF_INET ? ip[0] == 127 && ip[1] == 0 && ip[2] == 0 &&
                                   ip[3] == 1
                             /* LCOV_EXCL_BR_LINE below: ip_is_loopback(AF_INET) is ip[0] == 127: never fails here */
                             : 1; /* LCOV_EXCL_BR_LINE */
  for (uint32_t i = 0; i < h->naddrs; i++)
    if (h->addrs[i].family == family &&
        jnet__sim_ip_eq(family, h->addrs[i].ip, ip))
      return 1;
  return 0;
}

static int parse_ip(const char *s, jnet__sim_hostaddr *a) {
  memset(a, 0, sizeof *a);
  if (inet_pton(AF_INET, s, a->ip) == 1) {
    a->family = AF_INET;
    return 0;
  }
  if (inet_pton(AF_INET6, s, a->ip) == 1) {
    a->family = AF_INET6;
    return 0;
  }
  return JNET_EINVAL;
}

static int valid_name(const char *s) {
  if (s == NULL || s[0] == '\0' || strlen(s) > 253 || s[0] == ':')
    return 0;
  for (const char *p = s; *p; p++)
    if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' && *p != '_')
      return 0;
  return 1;
}

static uint64_t name_hash_str(const char *name) {
  return jnet__sim_hash_bytes(0xcbf29ce484222325ull, name, strlen(name));
}

static uint64_t name_hash(const void *host) {
  return name_hash_str(((const jnet__sim_host *)host)->name);
}

int jnet_sim_host_find(jnet_sim *sim, const char *name, jnet__sim_host **out) {
  if (sim == NULL || name == NULL)
    return JNET_EINVAL;
  for (jnet__sim_host *h =
           jnet__sim_htab_first(&sim->host_names, name_hash_str(name));
       h != NULL; h = h->name_next)
    if (strcmp(h->name, name) == 0) {
      if (out)
        *out = h;
      return 0;
    }
  return JNET_ENOENT;
}

/* Where the next DNS record goes: the list keeps insertion order. */
static jnet__sim_dns **dns_tail(jnet__sim *sim) {
  if (sim->dns_tail == NULL)
    sim->dns_tail = &sim->dns;
  return sim->dns_tail;
}

static int dns_add(jnet__sim *sim, const char *name,
                   const jnet__sim_hostaddr *a) {
  jnet__sim_dns *d = jnet__calloc(1, sizeof *d);
  if (d == NULL || (d->name = jnet__strdup(name)) == NULL) {
    jnet__free(d);
    return JNET_ENOMEM;
  }
  d->a = *a;
  *dns_tail(sim) = d;
  sim->dns_tail = &d->next;
  return 0;
}

int jnet_sim_host(jnet_sim *sim, const char *name, const char *const *addrs,
                  jnet__sim_host **out) {
  if (sim == NULL || !valid_name(name) || addrs == NULL || addrs[0] == NULL ||
      strcmp(name, "localhost") == 0)
    return JNET_EINVAL;
  if (jnet_sim_host_find(sim, name, NULL) == 0)
    return JNET_EEXIST;
  size_t n = 0;
  while (addrs[n] != NULL)
    n++;
  jnet__sim_hostaddr *as = jnet__calloc(n, sizeof *as);
  if (as == NULL)
    return JNET_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    if (parse_ip(addrs[i], &as[i]) < 0 ||
        jnet__sim_ip_is_any(as[i].family, as[i].ip) ||
        jnet__sim_ip_is_loopback(as[i].family, as[i].ip) ||
        jnet__sim_ip_is_multicast(as[i].family, as[i].ip)) {
      jnet__free(as);
      return JNET_EINVAL;
    }
    for (size_t j = 0; j < i; j++)
      if (as[j].family == as[i].family &&
          jnet__sim_ip_eq(as[i].family, as[i].ip, as[j].ip)) {
        jnet__free(as);
        return JNET_EEXIST;
      }
    if (jnet__sim_host_by_ip(sim, as[i].family, as[i].ip) != NULL) {
      jnet__free(as);
      return JNET_EEXIST;
    }
  }
  if (sim->nhosts == sim->cap_hosts) {
    uint32_t cap = sim->cap_hosts ? sim->cap_hosts * 2 : 16;
    jnet__sim_host **v = jnet__realloc(sim->hosts, cap * sizeof *v);
    if (v == NULL) {
      jnet__free(as);
      return JNET_ENOMEM;
    }
    sim->hosts = v;
    sim->cap_hosts = cap;
  }
  jnet__sim_host *h = jnet__calloc(1, sizeof *h);
  if (h == NULL || (h->name = jnet__strdup(name)) == NULL) {
    jnet__free(h);
    jnet__free(as);
    return JNET_ENOMEM;
  }
  h->sim = sim;
  h->id = sim->nhosts;
  h->up = 1;
  h->addrs = as;
  h->naddrs = (uint32_t)n;
  jnet__sim_rng_seed(&h->rng_app, sim->seed, "app", name, NULL);
  jnet__sim_rng_seed(&h->rng_proto, sim->seed, "proto", name, NULL);
  h->next_ephemeral =
      (uint16_t)(32768 + jnet__sim_rng_next(&h->rng_proto) % 28232);
  h->next_ip_id = (uint16_t)jnet__sim_rng_next(&h->rng_proto);
  /* Allocate every record first, so a failure leaves the sim as it was. */
  ipent **es = jnet__calloc(n, sizeof *es);
  jnet__sim_dns **ds = jnet__calloc(n, sizeof *ds);
  int ok = es != NULL && ds != NULL;
  for (size_t i = 0; ok && i < n; i++) {
    es[i] = jnet__calloc(1, sizeof *es[i]);
    ds[i] = jnet__calloc(1, sizeof *ds[i]);
    ok = es[i] != NULL && ds[i] != NULL &&
         (ds[i]->name = jnet__strdup(name)) != NULL;
  }
  size_t inserted = 0;
  for (; ok && inserted < n; inserted++) {
    es[inserted]->a = as[inserted];
    es[inserted]->host = h;
    ok = jnet__sim_htab_insert(&sim->host_ips, es[inserted],
                               ipent_hash(es[inserted]), offsetof(ipent, next),
                               ipent_hash) == 0;
    if (!ok)
      break;
  }
  if (ok)
    ok = jnet__sim_htab_insert(&sim->host_names, h, name_hash(h),
                               offsetof(jnet__sim_host, name_next),
                               name_hash) == 0;
  if (!ok) {
    for (size_t i = 0; i < inserted; i++)
      jnet__sim_htab_remove(&sim->host_ips, es[i], ipent_hash(es[i]),
                            offsetof(ipent, next));
    for (size_t i = 0; (es || ds) && i < n; i++) {
      if (es)
        jnet__free(es[i]);
      if (ds && ds[i]) {
        jnet__free(ds[i]->name);
        jnet__free(ds[i]);
      }
    }
    jnet__free(es);
    jnet__free(ds);
    jnet__free(h->name);
    jnet__free(h);
    jnet__free(as);
    return JNET_ENOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    ds[i]->a = as[i];
    *dns_tail(sim) = ds[i];
    sim->dns_tail = &ds[i]->next;
  }
  jnet__free(es);
  jnet__free(ds);
  sim->hosts[sim->nhosts++] = h;
  if (out != NULL)
    *out = h;
  return 0;
}

const char *jnet_sim_host_name(const jnet__sim_host *host) {
  return host ? host->name : NULL;
}

int jnet_sim_host_is_up(const jnet__sim_host *host) { return host && host->up; }

int jnet_sim_dns_add(jnet_sim *sim, const char *name, const char *addr) {
  jnet__sim_hostaddr a;
  if (sim == NULL || !valid_name(name) || addr == NULL || parse_ip(addr, &a) < 0)
    return JNET_EINVAL;
  return dns_add(sim, name, &a);
}

void jnet__sim_hosts_free(jnet__sim *sim) {
  for (uint32_t i = 0; i <= sim->host_ips.mask && sim->host_ips.b; i++) {
    ipent *e = sim->host_ips.b[i];
    while (e != NULL) {
      ipent *next = e->next;
      jnet__free(e);
      e = next;
    }
  }
  jnet__sim_htab_free(&sim->host_ips);
  jnet__sim_htab_free(&sim->host_names);
  for (uint32_t i = 0; i < sim->nhosts; i++) {
    jnet__free(sim->hosts[i]->addrs);
    jnet__free(sim->hosts[i]->name);
    jnet__free(sim->hosts[i]);
  }
  jnet__free(sim->hosts);
  sim->hosts = NULL;
  sim->nhosts = 0;
  while (sim->dns != NULL) {
    jnet__sim_dns *d = sim->dns;
    sim->dns = d->next;
    jnet__free(d->name);
    jnet__free(d);
  }
  sim->dns_tail = NULL;
}

uint64_t jnet__sim_host_random(jnet__sim_host *h) {
  return jnet__sim_rng_next(&h->rng_app);
}

/* ---- Resolver ------------------------------------------------------------- */

static const struct {
  const char *name;
  uint16_t port;
} services[] = {
    {"echo", 7},    {"discard", 9},  {"daytime", 13}, {"ftp-data", 20},
    {"ftp", 21},    {"ssh", 22},     {"telnet", 23},  {"smtp", 25},
    {"time", 37},   {"domain", 53},  {"tftp", 69},    {"gopher", 70},
    {"finger", 79}, {"http", 80},    {"www", 80},     {"kerberos", 88},
    {"pop3", 110},  {"sunrpc", 111}, {"nntp", 119},   {"ntp", 123},
    {"imap", 143},  {"imap2", 143},  {"snmp", 161},   {"ldap", 389},
    {"https", 443}, {"submission", 587}, {"ldaps", 636}, {"imaps", 993},
    {"pop3s", 995}, {"mysql", 3306}, {"postgresql", 5432},
};

static int parse_port(const char *port, uint16_t *out) {
  if (port == NULL) {
    *out = 0;
    return 0;
  }
  long n;
  int kind = jnet__port_number(port, &n);
  if (kind == JNET__PORT_BAD)
    return JNET_EAI_SERVICE;
  if (kind == JNET__PORT_NUMBER) {
    *out = (uint16_t)n;
    return 0;
  }
  for (size_t i = 0; i < sizeof services / sizeof services[0]; i++)
    if (strcmp(services[i].name, port) == 0) {
      *out = services[i].port;
      return 0;
    }
  return JNET_EAI_SERVICE;
}

static void put(jnet__sim_ep *out, size_t cap, size_t *n, int family,
                const uint8_t *ip, uint16_t port) {
  if (*n < cap) {
    memset(&out[*n], 0, sizeof out[*n]);
    out[*n].family = (uint8_t)family;
    memcpy(out[*n].ip, ip, iplen(family));
    out[*n].port = port;
  }
  (*n)++;
}

int jnet__sim_resolve(jnet__sim *sim, const char *host, const char *port,
                      int passive, jnet__sim_ep *out, size_t cap) {
  uint16_t p;
  int err = parse_port(port, &p);
  if (err < 0)
    return err;
  size_t n = 0;
  static const uint8_t any[16], lo6[16] = {[15] = 1},
                                lo4[4] = {127, 0, 0, 1};
  if (host == NULL) {
    if (passive) {
      put(out, cap, &n, AF_INET, any, p);
      put(out, cap, &n, AF_INET6, any, p);
    } else {
      put(out, cap, &n, AF_INET, lo4, p);
      put(out, cap, &n, AF_INET6, lo6, p);
    }
    return (int)n;
  }
  jnet__sim_hostaddr a;
  if (parse_ip(host, &a) == 0) {
    put(out, cap, &n, a.family, a.ip, p);
    return 1;
  }
  if (strcasecmp(host, "localhost") == 0) {
    put(out, cap, &n, AF_INET, lo4, p);
    put(out, cap, &n, AF_INET6, lo6, p);
    return (int)n;
  }
  for (jnet__sim_dns *d = sim->dns; d != NULL; d = d->next)
    if (strcasecmp(d->name, host) == 0)
      put(out, cap, &n, d->a.family, d->a.ip, p);
  return n > 0 ? (int)n : JNET_EAI_NONAME;
}
