/* test_trace.c — ctest sim-trace: the notes built without printf
 * (jnet__sim_note_*, used per TCP connection) and the hand-written IPv4
 * jnet__sim_ep_format give exactly the bytes the printf formats gave, so traces
 * and fingerprints stay what tests and docs recorded. White-box: calls the
 * model's trace functions directly. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include "simtest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include "model.h"

/* What jnet__sim_ep_format wrote before: inet_ntop, then "%s:%u". */
static void ep_reference(const jnet__sim_ep *ep, char *buf, size_t n) {
  char s[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET, ep->ip, s, sizeof s);
  snprintf(buf, n, "%s:%u", s, (unsigned)ep->port);
}

START_TEST(ipv4_endpoints_format_as_inet_ntop) {
  static const uint8_t ips[][4] = {{0, 0, 0, 0},       {192, 0, 2, 11},
                                   {255, 255, 255, 255}, {10, 100, 9, 1},
                                   {127, 0, 0, 1},     {1, 20, 200, 99}};
  static const uint16_t ports[] = {0, 7, 80, 7000, 58068, 65535};
  static const size_t sizes[] = {64, 22, 12, 8, 2, 1};
  for (size_t i = 0; i < sizeof ips / sizeof ips[0]; i++)
    for (size_t j = 0; j < sizeof ports / sizeof ports[0]; j++)
      for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        jnet__sim_ep ep;
        memset(&ep, 0, sizeof ep);
        ep.family = (i % 2) ? AF_INET : 0; /* unset formats as v4 too */
        memcpy(ep.ip, ips[i], 4);
        ep.port = ports[j];
        char got[64], want[64];
        memset(got, 'z', sizeof got);
        memset(want, 'z', sizeof want);
        jnet__sim_ep_format(&ep, got, sizes[k]);
        ep_reference(&ep, want, sizes[k]);
        ck_assert_msg(memcmp(got, want, sizeof got) == 0,
                      "size %zu: got \"%s\", want \"%s\"", sizes[k], got,
                      want);
      }
}
END_TEST

/* The TCP note as jnet__sim_note pieces and as its printf format. */
static void build_cc(jnet__sim_note *l, uint16_t port, const jnet__sim_ep *ep,
                     const char *cc, const char *why, uint32_t cwnd,
                     uint32_t ssthresh) {
  jnet__sim_note_str(l, "tcp :");
  jnet__sim_note_u(l, port);
  jnet__sim_note_str(l, ">");
  jnet__sim_note_ep(l, ep);
  jnet__sim_note_str(l, " ");
  jnet__sim_note_str(l, cc);
  jnet__sim_note_str(l, " ");
  jnet__sim_note_str(l, why);
  jnet__sim_note_str(l, " cwnd=");
  jnet__sim_note_u(l, cwnd);
  jnet__sim_note_str(l, " ssthresh=");
  jnet__sim_note_u(l, ssthresh);
}

START_TEST(a_built_note_is_the_printf_text_cut_at_255) {
  char longwhy[400];
  memset(longwhy, 'x', sizeof longwhy - 1);
  longwhy[sizeof longwhy - 1] = '\0';
  const char *whys[] = {"open", "rto", "", longwhy};
  static const uint32_t vals[] = {0, 9, 14600, 2147483647u, 4294967295u};
  jnet__sim_ep ep;
  memset(&ep, 0, sizeof ep);
  ep.family = AF_INET;
  memcpy(ep.ip, (uint8_t[]){192, 0, 2, 10}, 4);
  ep.port = 58068;
  for (size_t w = 0; w < sizeof whys / sizeof whys[0]; w++)
    for (size_t v = 0; v < sizeof vals / sizeof vals[0]; v++) {
      jnet__sim_note l = {.n = 0};
      build_cc(&l, 7000, &ep, "cubic", whys[w], vals[v], vals[4 - v]);
      char a[64], want[JNET__SIM_NOTE_MAX + 1];
      jnet__sim_ep_format(&ep, a, sizeof a);
      int n = snprintf(want, sizeof want,
                       "tcp :%u>%s %s %s cwnd=%u ssthresh=%u", 7000u, a,
                       "cubic", whys[w], vals[v], vals[4 - v]);
      size_t wn = (size_t)n < sizeof want ? (size_t)n : sizeof want - 1;
      ck_assert_uint_eq(l.n, wn);
      ck_assert(memcmp(l.s, want, wn) == 0);
    }
}
END_TEST

/* The same text as a printf note and as a built note: the same fingerprint
 * and the same trace line. */
START_TEST(built_and_printf_notes_fold_and_print_the_same) {
  jnet_sim *a, *b;
  ck_assert_int_eq(jnet_sim_new(&a, 3), 0);
  ck_assert_int_eq(jnet_sim_new(&b, 3), 0);
  char *ta = NULL, *tb = NULL;
  size_t la = 0, lb = 0;
  FILE *fa = open_memstream(&ta, &la), *fb = open_memstream(&tb, &lb);
  ck_assert_ptr_nonnull(fa);
  ck_assert_ptr_nonnull(fb);
  ck_assert_int_eq(jnet_sim_trace(a, fa), 0);
  ck_assert_int_eq(jnet_sim_trace(b, fb), 0);
  ck_assert_uint_eq(jnet_sim_fingerprint(a), jnet_sim_fingerprint(b));
  jnet__sim_ep ep;
  memset(&ep, 0, sizeof ep);
  ep.family = AF_INET;
  memcpy(ep.ip, (uint8_t[]){192, 0, 2, 11}, 4);
  ep.port = 7000;
  uint64_t before = jnet_sim_fingerprint(a);
  char s[64];
  jnet__sim_ep_format(&ep, s, sizeof s);
  jnet__sim_trace_note(a, JNET__SIM_TR_SOCK, NULL,
                       "tcp :%u>%s %s %s cwnd=%u ssthresh=%u", 58068u, s,
                       "cubic", "open", 14600u, 2147483647u);
  jnet__sim_note l = {.n = 0};
  build_cc(&l, 58068, &ep, "cubic", "open", 14600, 2147483647u);
  jnet__sim_note_end(b, JNET__SIM_TR_SOCK, NULL, &l);
  ck_assert_uint_ne(jnet_sim_fingerprint(a), before);
  ck_assert_uint_eq(jnet_sim_fingerprint(a), jnet_sim_fingerprint(b));
  jnet_sim_trace(a, NULL);
  jnet_sim_trace(b, NULL);
  fclose(fa);
  fclose(fb);
  ck_assert_str_eq(ta, "0.000000000 - tcp :58068>192.0.2.11:7000 cubic open "
                       "cwnd=14600 ssthresh=2147483647\n");
  ck_assert_str_eq(ta, tb);
  free(ta);
  free(tb);
  jnet_sim_free(a);
  jnet_sim_free(b);
}
END_TEST

/* Switching the trace off (or to another stream) flushes what it wrote:
 * a reader of the file by its path sees every line at once, before the
 * caller closes its FILE. The trace here is a few lines, far less than
 * stdio's buffer, so nothing reaches the file unless the switch flushes. */
static void one_datagram(void *arg) {
  (void)arg;
  jnet_stream u;
  jnet_addr a;
  if (jnet_listen("192.0.2.1", NULL, JNET_DATAGRAM, &u) < 0)
    return;
  if (jnet_address("192.0.2.2", "9", JNET_DATAGRAM, &a) == 0)
    jnet_send_to(u, &a, "x", 1, 1);
  jnet_close(u);
}

static long file_bytes(const char *path) {
  FILE *g = fopen(path, "rb");
  ck_assert_ptr_nonnull(g);
  ck_assert_int_eq(fseek(g, 0, SEEK_END), 0);
  long n = ftell(g);
  fclose(g);
  return n;
}

START_TEST(switching_the_trace_off_flushes_it) {
  char path[] = "/tmp/jnet-sim-traceXXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  FILE *f = fdopen(fd, "w");
  ck_assert_ptr_nonnull(f);
  st_world *w = st_new(1, 2);
  ck_assert_int_eq(jnet_sim_trace(w->sim, f), 0);
  st_go(w, 0, one_datagram, NULL);
  st_run(w);
  ck_assert_int_eq(file_bytes(path), 0); /* still in f's buffer */
  ck_assert_int_eq(jnet_sim_trace(w->sim, NULL), 0);
  long flushed = file_bytes(path);
  ck_assert_int_gt(flushed, 0);
  fclose(f);
  ck_assert_int_eq(file_bytes(path), flushed); /* it was all there */
  unlink(path);
  st_free(w);
}
END_TEST

/* --- br-sim: formats with no room, every protocol's name, long notes --- */

/* No room: nothing written, as snprintf with size 0. */
START_TEST(endpoint_format_with_no_room_writes_nothing) {
  jnet__sim_ep ep;
  memset(&ep, 0, sizeof ep);
  ep.family = AF_INET;
  memcpy(ep.ip, (uint8_t[]){192, 0, 2, 11}, 4);
  ep.port = 80;
  char buf[4] = "zzz";
  jnet__sim_ep_format(&ep, buf, 0);
  ck_assert_str_eq(buf, "zzz");
}
END_TEST

/* h0 talks to itself over a unix stream and a unix datagram socket, and
 * to a closed UDP port of h1 over a link that duplicates (ICMP comes
 * back, twice); then two hosts of
 * 250-character names are partitioned. The trace names each protocol
 * ("unix" with its flags, "unixdg", "icmp"), marks the copy "DUP", and
 * cuts the partition's note
 * at 255 characters. */
static void every_proto(void *arg) {
  (void)arg;
  jnet_stream l, c, a, d1, d2, u;
  jnet_addr to;
  if (jnet_listen(JNET_UNIX, "/run/tr.sock", JNET_STREAM, &l) < 0)
    return;
  if (jnet_connect(JNET_UNIX, "/run/tr.sock", JNET_STREAM, NULL, NULL, &c) == 0) {
    if (jnet_accept(l, 1, &a) == 0)
      jnet_close(a);
    jnet_close(c);
  }
  jnet_close(l);
  if (jnet_listen(JNET_UNIX, "/run/tr.dg", JNET_DATAGRAM, &d1) == 0) {
    if (jnet_listen(JNET_UNIX, "/run/tr.dg2", JNET_DATAGRAM, &d2) == 0) {
      jnet_address(JNET_UNIX, "/run/tr.dg", JNET_DATAGRAM, &to);
      jnet_send_to(d2, &to, "x", 1, 1);
      jnet_close(d2);
    }
    jnet_close(d1);
  }
  if (jnet_connect("192.0.2.2", "9", JNET_DATAGRAM, NULL, NULL, &u) == 0) {
    jnet_write(u, "x", 1, 1);
    jnet_sleep(0.1);
    jnet_close(u);
  }
}

START_TEST(trace_names_every_protocol_and_cuts_long_notes) {
  st_world *w = st_new(1, 2);
  char name[2][251];
  jnet_node *big[2];
  for (int i = 0; i < 2; i++) {
    memset(name[i], 'a' + i, 250);
    name[i][250] = '\0';
    char addr[32];
    snprintf(addr, sizeof addr, "198.51.100.%d", 50 + i);
    const char *as[] = {addr, NULL};
    ck_assert_int_eq(jnet_sim_host(w->sim, name[i], as, &big[i]), 0);
  }
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(jnet_sim_trace(w->sim, f), 0);
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.duplicate = 1.0; /* h0 -> h1's datagram goes twice */
  ck_assert_int_eq(jnet_sim_link_oneway(w->sim, w->h[0], w->h[1], &lp), 0);
  st_go(w, 0, every_proto, NULL);
  st_run(w);
  ck_assert_int_eq(jnet_sim_partition(w->sim, big[0], big[1], JNET_BOTH_WAYS), 0);
  jnet_sim_trace(w->sim, NULL);
  fclose(f);
  ck_assert_ptr_nonnull(strstr(text, " unix "));
  ck_assert_ptr_nonnull(strstr(text, " SYN"));
  ck_assert_ptr_nonnull(strstr(text, " unixdg "));
  ck_assert_ptr_nonnull(strstr(text, " icmp "));
  ck_assert_ptr_nonnull(strstr(text, " DUP udp "));
  /* "<time> <name0> partition <name1> <mode>", the note cut at 255 */
  char *line = strstr(text, " partition ");
  ck_assert_ptr_nonnull(line);
  char *end = strchr(line, '\n');
  ck_assert_ptr_nonnull(end);
  ck_assert_uint_eq((size_t)(end - line) - 1, 255);
  free(text);
  st_free(w);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("sim-trace");
  jc_defaults(60, NULL, NULL);
  JC_TEST(s, ipv4_endpoints_format_as_inet_ntop);
  JC_TEST(s, a_built_note_is_the_printf_text_cut_at_255);
  JC_TEST(s, built_and_printf_notes_fold_and_print_the_same);
  JC_TEST(s, switching_the_trace_off_flushes_it);
  JC_TEST(s, endpoint_format_with_no_room_writes_nothing);
  JC_TEST(s, trace_names_every_protocol_and_cuts_long_notes);
  return s;
}

int main(void) { return st_run_suite(suite()); }
