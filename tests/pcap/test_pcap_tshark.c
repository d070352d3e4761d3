/* test_pcap_tshark.c — what tshark makes of the writer's output: decoded
 * TCP fields and good checksums, reassembled IPv4/IPv6 fragments, and no
 * expert warnings for a correct conversation (but one for a RST). Each
 * case writes its packets over IPv4 and over IPv6 into one capture and
 * runs tshark once (its start-up, ~0.5 CPU s, is most of the suite's
 * time); the fields end with ip.version (4 or 6: IPv6 sets it too), so
 * each line says which family it is. */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture.h"
#include <jnet/jnet.h>
#include "pcap_packets.h"
#include "pcap_util.h"
#include "jnet_check.h"

#define NEED_TSHARK()                                                          \
  ck_assert_msg(pu_have_tshark(), "tshark not found: apt-get install tshark")

static char *tshark(const char *args, const char *path) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "tshark -r '%s' %s 2>/dev/null", path, args);
  int status;
  char *out = pu_run(cmd, &status);
  ck_assert_ptr_nonnull(out);
  ck_assert_msg(status == 0, "tshark failed (%d): %s", status, cmd);
  return out;
}

/* The line ending of a packet of `family`: its ip.version. */
static const char *family_end(int family) {
  return family == AF_INET ? ",4\n" : ",6\n";
}

/* `line` (fields before the family) with the family's ending is in out. */
static void expect_line(const char *out, const char *line, int family) {
  char want[128];
  snprintf(want, sizeof want, "%s%s", line, family_end(family));
  ck_assert_msg(strstr(out, want) != NULL, "no line %s in:\n%s", want, out);
}

/* A clean exchange: every TCP field and checksum as written, and no
 * expert warning or error (tshark_expert_warns_about_a_reset shows the
 * same check failing). One tshark run prints the fields, then the expert
 * table (-z sees every packet). */
START_TEST(tshark_decodes_a_clean_conversation_without_expert_warnings) {
  NEED_TSHARK();
  static const int fam[] = {AF_INET, AF_INET6};
  char path[256];
  pu_temp_path(path, sizeof path, "tsh");
  jnet__sim_pcap *p;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, path), 0);
  uint64_t t = 0;
  int n[2];
  for (int f = 0; f < 2; f++)
    n[f] = write_clean_conversation(p, fam[f], &t);
  ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
  char *out = tshark("-o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE "
                     "-T fields -E separator=, -e tcp.checksum.status "
                     "-e tcp.srcport -e tcp.dstport -e tcp.seq_raw "
                     "-e tcp.flags -e tcp.len -e tcp.options.mss_val "
                     "-e ip.version -z expert",
                     path);
  const char *expert = pu_split_stats(out);
  ck_assert_uint_eq(pu_count_lines(out), (size_t)(n[0] + n[1]));
  /* Every line starts with checksum status 1 (Good). */
  ck_assert_uint_eq(pu_count_prefix(out, "1,"), (size_t)(n[0] + n[1]));
  for (int f = 0; f < 2; f++) {
    size_t lines = 0;
    for (const char *l = strstr(out, family_end(fam[f])); l != NULL;
         l = strstr(l + 1, family_end(fam[f])))
      lines++;
    ck_assert_uint_eq(lines, (size_t)n[f]);
    expect_line(out, "1,40000,80,1000,0x0002,0,1460", fam[f]);
    expect_line(out, "1,80,40000,5000,0x0012,0,1460", fam[f]);
    expect_line(out, "1,40000,80,1001,0x0018,5,", fam[f]);
    expect_line(out, "1,80,40000,5001,0x0018,6,", fam[f]);
    expect_line(out, "1,40000,80,1006,0x0011,0,", fam[f]);
  }
  ck_assert_msg(strstr(expert, "Warns") == NULL &&
                    strstr(expert, "Errors") == NULL,
                "expert: %s", expert);
  ck_assert_ptr_nonnull(strstr(expert, "Connection establish request"));
  free(out);
  unlink(path);
}
END_TEST

START_TEST(tshark_reassembles_fragmented_udp) {
  NEED_TSHARK();
  const uint32_t plen = 5000;
  uint8_t *payload = malloc(plen);
  for (uint32_t i = 0; i < plen; i++)
    payload[i] = (uint8_t)(i ^ 0x5a);
  char path[256];
  pu_temp_path(path, sizeof path, "tfrag");
  jnet__sim_pcap *p;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, path), 0);
  for (int f = 0; f < 2; f++) { /* the datagram over IPv4, then IPv6 */
    jnet__sim_pkt k = base_pkt(f ? AF_INET6 : AF_INET, IPPROTO_UDP);
    k.sport = 6000;
    k.dport = 7000;
    k.payload = payload;
    k.len = plen;
    k.ip_id = 9;
    ck_assert_int_eq(jnet__sim_pcap_write(p, (uint64_t)f * 1000000, &k), 0);
  }
  ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
  /* each reassembled datagram's fields, then the expert table (of every
   * fragment: -Y filters only the printed packets) */
  char *out = tshark("-o udp.check_checksum:TRUE -Y udp -T fields "
                     "-E separator=, -e udp.srcport -e udp.dstport "
                     "-e udp.length -e udp.checksum.status "
                     "-e ip.version -z expert",
                     path);
  const char *expert = pu_split_stats(out);
  ck_assert_str_eq(out, "6000,7000,5008,1,4\n6000,7000,5008,1,6\n");
  ck_assert_ptr_null(strstr(expert, "Warns"));
  ck_assert_ptr_null(strstr(expert, "Errors"));
  free(out);
  free(payload);
  unlink(path);
}
END_TEST

/* The clean exchange with a RST added has an expert warning, so the
 * clean check above can fail: over IPv4 and IPv6, one warning each. */
START_TEST(tshark_expert_warns_about_a_reset) {
  NEED_TSHARK();
  char path[256];
  pu_temp_path(path, sizeof path, "expert");
  jnet__sim_pcap *p;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, path), 0);
  uint64_t t = 0;
  for (int f = 0; f < 2; f++) {
    int family = f ? AF_INET6 : AF_INET;
    write_clean_conversation(p, family, &t);
    jnet__sim_pkt rst = base_pkt(family, IPPROTO_TCP);
    rst.sport = 40001;
    rst.flags = JNET__SIM_TCP_RST | JNET__SIM_TCP_ACK;
    rst.seq = 1;
    rst.ack = 1;
    ck_assert_int_eq(jnet__sim_pcap_write(p, t, &rst), 0);
    t += 1000000;
  }
  ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
  char *out = tshark("-q -z expert", path);
  ck_assert_msg(strstr(out, "Warns") != NULL, "expert: %s", out);
  /* the row "  2   Sequence   TCP  Connection reset (RST)": one per RST */
  const char *row = strstr(out, "Connection reset (RST)");
  ck_assert_msg(row != NULL, "expert: %s", out);
  while (row > out && row[-1] != '\n')
    row--;
  unsigned freq = 0;
  ck_assert_msg(sscanf(row, "%u", &freq) == 1 && freq == 2,
                "not one RST warning per family: %s", out);
  free(out);
  unlink(path);
}
END_TEST

static Suite *pcap_tshark_suite(void) {
  Suite *s = suite_create("pcap-tshark");
  jc_defaults(120, NULL, NULL);
  JC_TEST(s, tshark_decodes_a_clean_conversation_without_expert_warnings);
  JC_TEST(s, tshark_reassembles_fragmented_udp);
  JC_TEST(s, tshark_expert_warns_about_a_reset);
  return s;
}

int main(void) {
  return jc_run(pcap_tshark_suite());
}
