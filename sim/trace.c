/* trace.c — one text line per event (`<t s.9> <host> <what>`) when a trace
 * file is open, and the notes' share of the run's 64-bit fingerprint. A
 * packet event folds into the fingerprint inline (jnet__sim_trace_pkt in
 * model.h), whether or not a trace file is open. */
#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>

#include "model.h"

static const char *proto_name(int proto) {
  switch (proto) {
  case JNET__SIM_P_TCP:
    return "tcp";
  case JNET__SIM_P_UDP:
    return "udp";
  case JNET__SIM_P_USTREAM:
    return "unix";
  case JNET__SIM_P_UDGRAM:
    return "unixdg";
  default: return "icmp";
  }
}

static const char *what_name(int what) {
  switch (what) { /* LCOV_EXCL_BR_LINE: default: packets are these four */
  case JNET__SIM_TR_SEND:
    return "";
  case JNET__SIM_TR_RECV:
    return "RECV ";
  case JNET__SIM_TR_DROP:
    return "DROP ";
  case JNET__SIM_TR_DUP:
    return "DUP ";
  default: return "";
  }
}

void jnet__sim_trace_text(jnet__sim *sim, int what, const char *why,
                          const jnet__sim_spkt *p) {
  char src[64], dst[64];
  jnet__sim_ep_format(&p->src, src, sizeof src);
  jnet__sim_ep_format(&p->dst, dst, sizeof dst);
  const jnet__sim_host *host =
      sim->hosts[what == JNET__SIM_TR_RECV ? p->to : p->from];
  fprintf(sim->trace, "%llu.%09llu %s %s%s%s%s %s>%s",
          (unsigned long long)(sim->now_ns / 1000000000ull),
          (unsigned long long)(sim->now_ns % 1000000000ull), host->name,
          what_name(what), why ? why : "", why ? " " : "",
          proto_name(p->proto), src, dst);
  if (p->proto == JNET__SIM_P_TCP || p->proto == JNET__SIM_P_USTREAM) {
    static const struct {
      uint8_t bit;
      const char *name;
    } names[] = {{JNET__SIM_TCP_SYN, "SYN"},
                 {JNET__SIM_TCP_FIN, "FIN"},
                 {JNET__SIM_TCP_RST, "RST"},
                 {JNET__SIM_TCP_PSH, "PSH"},
                 {JNET__SIM_TCP_ACK, "ACK"}};
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

/* A note's share of the fingerprint (its time, kind, host and text), and
 * its line when a trace file is open. */
static void note_line(jnet__sim *sim, int what, const jnet__sim_host *h,
                      const char *line, size_t n) {
  uint8_t w = (uint8_t)what;
  uint32_t id = h ? h->id : UINT32_MAX;
  sim->fingerprint =
      jnet__sim_hash_bytes(sim->fingerprint, &sim->now_ns, sizeof sim->now_ns);
  sim->fingerprint = jnet__sim_hash_bytes(sim->fingerprint, &w, 1);
  sim->fingerprint = jnet__sim_hash_bytes(sim->fingerprint, &id, sizeof id);
  sim->fingerprint = jnet__sim_hash_bytes(sim->fingerprint, line, n);
  if (sim->trace != NULL)
    fprintf(sim->trace, "%llu.%09llu %s %.*s\n",
            (unsigned long long)(sim->now_ns / 1000000000ull),
            (unsigned long long)(sim->now_ns % 1000000000ull),
            h ? h->name : "-", (int)n, line);
}

void jnet__sim_trace_note(jnet__sim *sim, int what, const jnet__sim_host *h,
                          const char *fmt, ...) {
  char line[JNET__SIM_NOTE_MAX + 1];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0) /* LCOV_EXCL_BR_LINE: our formats are valid */
    n = 0;
  if ((size_t)n >= sizeof line)
    n = sizeof line - 1;
  note_line(sim, what, h, line, (size_t)n);
}

/* ---- A note built without printf (the hot ones) ------------------------- */

void jnet__sim_note_str(jnet__sim_note *l, const char *s) {
  size_t k = strlen(s);
  if (k > JNET__SIM_NOTE_MAX - l->n)
    k = JNET__SIM_NOTE_MAX - l->n; /* cut where vsnprintf would */
  memcpy(l->s + l->n, s, k);
  l->n += k;
}

void jnet__sim_note_u(jnet__sim_note *l, uint64_t v) {
  char d[21];
  size_t i = sizeof d;
  d[--i] = '\0';
  do {
    d[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  jnet__sim_note_str(l, d + i);
}

void jnet__sim_note_ep(jnet__sim_note *l, const jnet__sim_ep *ep) {
  char a[64];
  jnet__sim_ep_format(ep, a, sizeof a);
  jnet__sim_note_str(l, a);
}

void jnet__sim_note_end(jnet__sim *sim, int what, const jnet__sim_host *h,
                        const jnet__sim_note *l) {
  note_line(sim, what, h, l->s, l->n);
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
