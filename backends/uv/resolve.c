/* resolve.c — names and services to addresses: getaddrinfo on libuv's thread
 * pool (uv_getaddrinfo), so the loop never blocks on DNS. Numeric hosts with
 * numeric (or no) ports are answered at once, synchronously.
 *
 * A pending lookup owns a small heap record; cancel() detaches the jnet_req
 * from it, and the record frees itself when libuv reports back (a lookup
 * already running in the pool cannot be stopped).
 */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "uv_internal.h"

typedef struct {
  uv_getaddrinfo_t gai;
  jnet__uv *uv;
  jnet_req *req; /* NULL once cancelled */
} lookup;

/* getaddrinfo's EAI_* to libuv's UV_EAI_* (= JNET_EAI_*). */
static int map_eai(int rc) {
  switch (rc) {
#ifdef EAI_ADDRFAMILY
  case EAI_ADDRFAMILY:
    return JNET_EAI_ADDRFAMILY;
#endif
  case EAI_AGAIN:
    return JNET_EAI_AGAIN;
  case EAI_BADFLAGS:
    return JNET_EAI_BADFLAGS;
  case EAI_FAIL:
    return JNET_EAI_FAIL;
  case EAI_FAMILY:
    return JNET_EAI_FAMILY;
  case EAI_MEMORY:
    return JNET_EAI_MEMORY;
#ifdef EAI_NODATA
  case EAI_NODATA:
    return JNET_EAI_NODATA;
#endif
  case EAI_NONAME:
    return JNET_EAI_NONAME;
  case EAI_OVERFLOW:
    return JNET_EAI_OVERFLOW;
  case EAI_SERVICE:
    return JNET_EAI_SERVICE;
  case EAI_SOCKTYPE:
    return JNET_EAI_SOCKTYPE;
  case EAI_SYSTEM:
    return errno != 0 ? -errno : JNET_EAI_FAIL;
  default:
    return JNET_EAI_FAIL;
  }
}

/* Copy the IPv4/IPv6 results into req->addrs; result = how many in all. */
static void fill(jnet_req *req, const struct addrinfo *res) {
  size_t total = 0;
  for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
      continue;
    if (ai->ai_addr == NULL || ai->ai_addrlen > sizeof req->addrs->u)
      continue;
    if (req->addrs != NULL && total < req->naddrs) {
      jnet_addr *a = &req->addrs[total];
      memset(a, 0, sizeof *a);
      memcpy(&a->u, ai->ai_addr, ai->ai_addrlen);
      a->len = ai->ai_addrlen;
    }
    total++;
  }
  req->result = (ssize_t)total;
}

/* 1 if `port` is all digits (a number, maybe out of range). */
static int all_digits(const char *port) {
  if (port == NULL || *port == '\0')
    return 0;
  for (const char *p = port; *p; p++)
    if (!isdigit((unsigned char)*p))
      return 0;
  return 1;
}

static void on_lookup(uv_getaddrinfo_t *gai, int status, struct addrinfo *res) {
  lookup *lk = gai->data;
  jnet_req *req = lk->req;
  jnet__uv *uv = lk->uv;
  if (req != NULL) {
    req->priv_[0] = NULL;
    uv->npending--;
    if (status < 0)
      req->result = status; /* UV_EAI_* == JNET_EAI_*; else -errno */
    else
      fill(req, res);
    if (!uv->stopping) {
      uv->ncompleted++;
      req->cb(req);
    }
  }
  uv_freeaddrinfo(res);
  jnet__free(lk);
}

/* Resolve numeric `host` (NULL: the wildcard) with numeric or no `port`
 * synchronously; appends its results to req->addrs from index `have`.
 * Returns the count found, or a negative code (EAI_NONAME: not numeric). */
static int numeric(jnet_req *req, size_t have, const char *host,
                   const char *port, const struct addrinfo *hints) {
  struct addrinfo h = *hints, *res = NULL;
  h.ai_flags |= AI_NUMERICHOST;
  int rc = getaddrinfo(host, port, &h, &res);
  if (rc != 0)
    return rc == EAI_NONAME && host != NULL ? JNET_EAI_NONAME : map_eai(rc);
  jnet_req part = *req;
  part.addrs =
      req->addrs != NULL && have < req->naddrs ? req->addrs + have : NULL;
  part.naddrs = part.addrs != NULL ? req->naddrs - have : 0;
  fill(&part, res);
  freeaddrinfo(res);
  return (int)part.result;
}

/* "localhost" and "*.localhost" (case-insensitive, trailing dot allowed). */
static int is_localhost(const char *host) {
  size_t n = strlen(host);
  if (n > 0 && host[n - 1] == '.')
    n--;
  if (n < 9 || strncasecmp(host + n - 9, "localhost", 9) != 0)
    return 0;
  return n == 9 || host[n - 10] == '.';
}

/* 1 if this host can make IPv6 sockets (asked once). */
static int have_ipv6(void) {
  static int known = -1;
  if (known < 0) {
    int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    known = fd >= 0;
    if (fd >= 0)
      close(fd);
  }
  return known;
}

int jnet__uv_resolve(const jnet_backend *b, jnet_node *node, jnet_req *req,
                     const char *host, const char *port, int type,
                     int passive) {
  jnet__uv *uv = jnet__uv_of(b);
  (void)node;
  if (req == NULL || (req->addrs == NULL && req->naddrs > 0))
    return JNET_EINVAL;
  req->owner_ = NULL;
  req->priv_[0] = NULL;
  req->result = 0;
  if (!uv->started || (type != JNET_STREAM && type != JNET_DATAGRAM))
    return JNET_EINVAL;
  int numeric_port = port == NULL || all_digits(port);
  if (port != NULL && numeric_port &&
      (strlen(port) > 5 || strtol(port, NULL, 10) > 65535)) {
    req->result = JNET_EAI_SERVICE; /* glibc would wrap it silently */
    return 1;
  }
  if (port != NULL && !numeric_port &&
      (port[0] == '\0' || port[0] == '-' || port[0] == '+' ||
       isspace((unsigned char)port[0]))) {
    /* glibc's strtoul would take "-1" as 65535 and " 80" as 80 */
    req->result = JNET_EAI_SERVICE;
    return 1;
  }
  if (host == NULL && port == NULL)
    port = "0"; /* the wildcard needs a service or getaddrinfo refuses */
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = type == JNET_STREAM ? SOCK_STREAM : SOCK_DGRAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;

  if (host != NULL && is_localhost(host)) {
    /* the loopbacks; a service name is looked up in /etc/services */
    int n4 = numeric(req, 0, "127.0.0.1", port, &hints);
    if (n4 < 0) {
      req->result = n4;
      return 1;
    }
    int n6 = have_ipv6() ? numeric(req, (size_t)n4, "::1", port, &hints) : 0;
    req->result = n4 + (n6 > 0 ? n6 : 0);
    return 1;
  }
  if (numeric_port) {
    /* a numeric host needs no resolver: answer now */
    struct addrinfo h = hints;
    h.ai_flags |= AI_NUMERICSERV;
    int n = numeric(req, 0, host, port, &h);
    if (n != JNET_EAI_NONAME) {
      req->result = n;
      return 1;
    }
  }
  lookup *lk = jnet__malloc(sizeof *lk);
  if (lk == NULL) {
    req->result = JNET_ENOMEM;
    return 1;
  }
  lk->uv = uv;
  lk->req = req;
  lk->gai.data = lk;
  int err = uv_getaddrinfo(&uv->loop, &lk->gai, on_lookup, host, port, &hints);
  if (err < 0) {
    jnet__free(lk);
    req->result = err;
    return 1;
  }
  req->priv_[0] = lk;
  uv->npending++;
  return 0;
}

void jnet__uv_resolve_cancel(jnet__uv *uv, jnet_req *req) {
  lookup *lk = req->priv_[0];
  if (lk == NULL)
    return; /* not pending */
  req->priv_[0] = NULL;
  lk->req = NULL;
  uv->npending--;
  uv_cancel((uv_req_t *)&lk->gai); /* on_lookup still runs and frees lk */
}
