/* test_pcap_tshark.c — what tshark makes of the writer's output: decoded
 * TCP fields and good checksums, reassembled IPv4/IPv6 fragments, and no
 * expert warnings for a correct conversation (but one for a RST). Each
 * case runs tshark once (its start-up is most of the suite's time). */
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

/* A clean exchange: every TCP field and checksum as written, and no
 * expert warning or error (tshark_expert_warns_about_a_reset shows the
 * same check failing). One tshark run prints the fields, then the expert
 * table (-z sees every packet). */
START_TEST(tshark_decodes_a_clean_conversation_without_expert_warnings) {
  NEED_TSHARK();
  char path[256];
  pu_temp_path(path, sizeof path, "tsh");
  jnet__sim_pcap *p;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, path), 0);
  uint64_t t = 0;
  int n = write_clean_conversation(p, _i ? AF_INET6 : AF_INET, &t);
  ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
  char *out = tshark("-o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE "
                     "-T fields -E separator=, -e tcp.checksum.status "
                     "-e tcp.srcport -e tcp.dstport -e tcp.seq_raw "
                     "-e tcp.flags -e tcp.len -e tcp.options.mss_val "
                     "-z expert",
                     path);
  const char *expert = pu_split_stats(out);
  ck_assert_uint_eq(pu_count_lines(out), (size_t)n);
  /* Every line starts with checksum status 1 (Good). */
  ck_assert_uint_eq(pu_count_prefix(out, "1,"), (size_t)n);
  ck_assert_ptr_nonnull(strstr(out, "1,40000,80,1000,0x0002,0,1460\n"));
  ck_assert_ptr_nonnull(strstr(out, "1,80,40000,5000,0x0012,0,1460\n"));
  ck_assert_ptr_nonnull(strstr(out, "1,40000,80,1001,0x0018,5,\n"));
  ck_assert_ptr_nonnull(strstr(out, "1,80,40000,5001,0x0018,6,\n"));
  ck_assert_ptr_nonnull(strstr(out, "1,40000,80,1006,0x0011,0,\n"));
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
  int family = _i ? AF_INET6 : AF_INET;
  const uint32_t plen = 5000;
  uint8_t *payload = malloc(plen);
  for (uint32_t i = 0; i < plen; i++)
    payload[i] = (uint8_t)(i ^ 0x5a);
  jnet__sim_pkt k = base_pkt(family, IPPROTO_UDP);
  k.sport = 6000;
  k.dport = 7000;
  k.payload = payload;
  k.len = plen;
  k.ip_id = 9;
  char path[256];
  pu_temp_path(path, sizeof path, "tfrag");
  jnet__sim_pcap *p;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, path), 0);
  ck_assert_int_eq(jnet__sim_pcap_write(p, 0, &k), 0);
  ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
  /* the reassembled datagram's fields, then the expert table (of every
   * fragment: -Y filters only the printed packets) */
  char *out = tshark("-o udp.check_checksum:TRUE -Y udp -T fields "
                     "-E separator=, -e udp.srcport -e udp.dstport "
                     "-e udp.length -e udp.checksum.status -z expert",
                     path);
  const char *expert = pu_split_stats(out);
  ck_assert_str_eq(out, "6000,7000,5008,1\n");
  ck_assert_ptr_null(strstr(expert, "Warns"));
  ck_assert_ptr_null(strstr(expert, "Errors"));
  free(out);
  free(payload);
  unlink(path);
}
END_TEST

/* The clean exchange with a RST added has an expert warning, so the
 * clean check above can fail. */
START_TEST(tshark_expert_warns_about_a_reset) {
  NEED_TSHARK();
  int family = _i ? AF_INET6 : AF_INET;
  char path[256];
  pu_temp_path(path, sizeof path, "expert");
  jnet__sim_pcap *p;
  ck_assert_int_eq(jnet__sim_pcap_open(&p, path), 0);
  uint64_t t = 0;
  write_clean_conversation(p, family, &t);
  jnet__sim_pkt rst = base_pkt(family, IPPROTO_TCP);
  rst.sport = 40001;
  rst.flags = JNET__SIM_TCP_RST | JNET__SIM_TCP_ACK;
  rst.seq = 1;
  rst.ack = 1;
  ck_assert_int_eq(jnet__sim_pcap_write(p, t, &rst), 0);
  ck_assert_int_eq(jnet__sim_pcap_close(p), 0);
  char *out = tshark("-q -z expert", path);
  ck_assert_msg(strstr(out, "Warns") != NULL, "expert: %s", out);
  ck_assert_ptr_nonnull(strstr(out, "Connection reset (RST)"));
  free(out);
  unlink(path);
}
END_TEST

static Suite *pcap_tshark_suite(void) {
  Suite *s = suite_create("pcap-tshark");
  jc_defaults(120, NULL, NULL);
  JC_LOOP(s, tshark_decodes_a_clean_conversation_without_expert_warnings, 0,
          2);
  JC_LOOP(s, tshark_reassembles_fragmented_udp, 0, 2);
  JC_LOOP(s, tshark_expert_warns_about_a_reset, 0, 2);
  return s;
}

int main(void) {
  return jc_run(pcap_tshark_suite());
}
