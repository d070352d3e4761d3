/* trace.c — one text line per event (`<t s.9> <host> <what>`) and the
 * run's 64-bit fingerprint, an FNV-1a over each event's canonical bytes,
 * computed whether or not a trace file is open. */
#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>

#include "model.h"

static const char *proto_name(int proto) {
  switch (proto) {
  case JNET__P_TCP: return "tcp";
  case JNET__P_UDP: return "udp";
  case JNET__P_USTREAM: return "unix";
  case JNET__P_UDGRAM: return "unixdg";
  default: return "icmp";
  }
}

static const char *what_name(int what) {
  switch (what) {
  case JNET__TR_SEND: return "";
  case JNET__TR_RECV: return "RECV ";
  case JNET__TR_DROP: return "DROP ";
  case JNET__TR_DUP: return "DUP ";
  default: return "";
  }
}

static void trace_text(jnet__sim *sim, int what, const char *why,
                       const jnet__spkt *p);

/* Fold one 64-bit word into the fingerprint (FNV-1a-like, word-wise). */
static inline uint64_t fold(uint64_t h, uint64_t w) {
  h = (h ^ w) * 0x100000001b3ull;
  return h ^ (h >> 29);
}

void jnet__trace_pkt(jnet__sim *sim, int what, const char *why,
                     const jnet__spkt *p) {
  uint64_t h = sim->fingerprint;
  h = fold(h, sim->now_ns);
  if (what == JNET__TR_RECV) { /* the send already folded the rest */
    sim->fingerprint = fold(h, ((uint64_t)p->seq << 32) ^
                                   ((uint64_t)p->len << 16) ^ p->dst.port);
    if (sim->trace != NULL)
      trace_text(sim, what, why, p);
    return;
  }
  h = fold(h, ((uint64_t)p->from << 32) | p->to);
  h = fold(h, ((uint64_t)p->seq << 32) | p->ack);
  h = fold(h, ((uint64_t)p->len << 32) | ((uint64_t)p->src.port << 16) |
                  p->dst.port);
  h = fold(h, ((uint64_t)what << 24) | ((uint64_t)p->proto << 16) |
                  ((uint64_t)p->flags << 8) | (why ? (uint8_t)why[0] : 0));
  sim->fingerprint = h;
  if (sim->trace != NULL)
    trace_text(sim, what, why, p);
}

static void trace_text(jnet__sim *sim, int what, const char *why,
                       const jnet__spkt *p) {
  char src[64], dst[64];
  jnet__ep_format(&p->src, src, sizeof src);
  jnet__ep_format(&p->dst, dst, sizeof dst);
  const jnet_node *host = sim->hosts[what == JNET__TR_RECV ? p->to : p->from];
  fprintf(sim->trace, "%llu.%09llu %s %s%s%s%s %s>%s",
          (unsigned long long)(sim->now_ns / 1000000000ull),
          (unsigned long long)(sim->now_ns % 1000000000ull), host->name,
          what_name(what), why ? why : "", why ? " " : "",
          proto_name(p->proto), src, dst);
  if (p->proto == JNET__P_TCP || p->proto == JNET__P_USTREAM) {
    static const struct {
      uint8_t bit;
      const char *name;
    } names[] = {{JNET__TCP_SYN, "SYN"}, {JNET__TCP_FIN, "FIN"},
                 {JNET__TCP_RST, "RST"}, {JNET__TCP_PSH, "PSH"},
                 {JNET__TCP_ACK, "ACK"}};
    const char *sep = " ";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
      if (p->flags & names[i].bit) {
        fprintf(sim->trace, "%s%s", sep, names[i].name);
        sep = ",";
      }
    fprintf(sim->trace, " seq=%u ack=%u win=%u", p->seq, p->ack, p->window);
  }
  fprintf(sim->trace, " len=%u\n", p->len);
}

void jnet__trace_note(jnet__sim *sim, int what, const jnet_node *h,
                      const char *fmt, ...) {
  char line[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0)
    n = 0;
  if ((size_t)n >= sizeof line)
    n = sizeof line - 1;
  uint8_t w = (uint8_t)what;
  uint32_t id = h ? h->id : UINT32_MAX;
  sim->fingerprint = jnet__hash_bytes(sim->fingerprint, &sim->now_ns,
                                      sizeof sim->now_ns);
  sim->fingerprint = jnet__hash_bytes(sim->fingerprint, &w, 1);
  sim->fingerprint = jnet__hash_bytes(sim->fingerprint, &id, sizeof id);
  sim->fingerprint = jnet__hash_bytes(sim->fingerprint, line, (size_t)n);
  if (sim->trace != NULL)
    fprintf(sim->trace, "%llu.%09llu %s %s\n",
            (unsigned long long)(sim->now_ns / 1000000000ull),
            (unsigned long long)(sim->now_ns % 1000000000ull),
            h ? h->name : "-", line);
}

int jnet_sim_trace(jnet_sim *sim, FILE *f) {
  if (sim == NULL)
    return JNET_EINVAL;
  if (sim->trace != NULL)
    fflush(sim->trace);
  sim->trace = f;
  return 0;
}

uint64_t jnet_sim_fingerprint(const jnet_sim *sim) {
  return sim ? sim->fingerprint : 0;
}
