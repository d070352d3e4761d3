/* test_proxy_args.c — jnet-proxy's answers to bad command lines and bad
 * --config files, as a user at a shell sees them: exit status 2 and a
 * message naming the file, the line and the word at fault. A good config
 * (IPv6 addresses, timeline out of order, pcap, control socket, log) gets
 * the proxy listening and writes what it names.
 *
 *   test_proxy_args [PATH-TO-jnet-proxy] */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "jnet_check.h"

#include "shell.h"

static const char *PROXY;

static void setup(void) { shell_setup("/tmp/jnet-proxy-args-XXXXXX"); }

static void teardown(void) { shell_teardown(); }

#define HAS(s)                                                                 \
  ck_assert_msg(strstr(out, s) != NULL, "want '%s' in:\n%s", s, out)

static void write_file(const char *name, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

START_TEST(bad_command_lines_exit_2_with_the_reason) {
  static const struct {
    const char *args, *want;
  } bad[] = {
      {"--bogus", "unknown option --bogus"},
      {"--listen 127.0.0.1:0", "--listen and --upstream go together"},
      {"--listen nohost --upstream 127.0.0.1:1",
       "bad --listen (HOST:PORT): nohost"},
      {"--listen 127.0.0.1:0 --upstream '[::1'",
       "bad --upstream (HOST:PORT): [::1"},
      {"--seed x", "bad --seed x"},
      {"--max-conns 1x", "bad --max-conns 1x"},
      {"--udp-idle 0", "bad --udp-idle 0"},
      {"--name '*'", "bad --name *"},
      {"--latency", "missing value for --latency"},
      {"--jitter-dist weird", "bad value 'weird' for jitter-dist"},
      {"--loss 2", "bad value '2' for loss"},
      {"--config nosuch.conf", "nosuch.conf: No such file or directory"},
      {"ctl", "usage: jnet-proxy ctl SOCKET COMMAND..."},
      {"", "nothing to proxy"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    int rc = sh("timeout 10 '%s' %s", PROXY, bad[i].args);
    ck_assert_msg(rc == 2, "%s: exit %d:\n%s", bad[i].args, rc, out);
    HAS(bad[i].want);
  }
}
END_TEST

START_TEST(bad_config_lines_name_the_file_line_and_word) {
  static const struct {
    const char *text, *want;
  } bad[] = {
      {"proxy a\n", "c.conf:1: expected: proxy NAME tcp|udp listen"},
      {"proxy a sctp listen 127.0.0.1:0 upstream 127.0.0.1:1\n",
       "c.conf:1: expected tcp or udp, got 'sctp'"},
      {"proxy a tcp listen nohost upstream 127.0.0.1:1\n",
       "c.conf:1: bad listen address 'nohost'"},
      {"proxy a tcp listen 127.0.0.1:0 upstream [::1]x\n",
       "c.conf:1: bad upstream address '[::1]x'"},
      {"proxy a tcp listen 127.0.0.1:0 upstream 127.0.0.1:1\n"
       "proxy a tcp listen 127.0.0.1:0 upstream 127.0.0.1:2\n",
       "c.conf:2: proxy 'a' defined twice"},
      {"proxy * tcp listen 127.0.0.1:0 upstream 127.0.0.1:1\n",
       "c.conf:1: bad proxy name '*'"},
      {"proxy a tcp listen 127.0.0.1:0 upstream 127.0.0.1:1 wobble 3\n",
       "c.conf:1: unknown fault 'wobble'"},
      {"proxy a tcp listen 127.0.0.1:0 upstream 127.0.0.1:1 latency zz\n",
       "c.conf:1: bad value 'zz' for latency"},
      {"# a comment\n\nseed x\n", "c.conf:3: bad seed 'x'"},
      {"at 5x partition\n", "c.conf:1: bad time '5x'"},
      {"at 5s\n", "c.conf:1: expected: at TIME COMMAND"},
      {"bogus line here\n",
       "c.conf:1: expected proxy, at, seed, pcap, control or log, got 'bogus'"},
      {"pcap\n", "got 'pcap'"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    write_file("c.conf", bad[i].text);
    int rc = sh("timeout 10 '%s' --config c.conf", PROXY);
    ck_assert_msg(rc == 2, "case %zu: exit %d:\n%s", i, rc, out);
    HAS(bad[i].want);
  }
}
END_TEST

/* Values every unit form allows are taken: a bare size (bytes), a bare
 * rate (bit/s), a bare probability of 1 and 100 %. Line 1 is good, so the
 * proxy refuses line 2 (a wrong first word), not line 1. And each keyword
 * of a proxy line counts: a misspelt "upstream" alone is refused. */
START_TEST(good_values_pass_and_each_keyword_is_checked) {
  static const struct {
    const char *text, *want;
  } cases[] = {
      {"proxy a tcp listen 127.0.0.1:0 upstream 127.0.0.1:1 reset-after 1500 "
       "slice 0.5k bandwidth 1000000 loss 1 duplicate 100% corrupt 0\n"
       "bogus\n",
       "c.conf:2: expected proxy, at, seed"},
      {"proxy a tcp listen 127.0.0.1:0 upstreem 127.0.0.1:1\nbogus\n",
       "c.conf:1: expected: proxy NAME tcp|udp listen"},
      {"proxy a tcp lissen 127.0.0.1:0 upstream 127.0.0.1:1\nbogus\n",
       "c.conf:1: expected: proxy NAME tcp|udp listen"},
      {"proxy a tcp listen 127.0.0.1:0 upstream 127.0.0.1:1 loss 1.01\n",
       "c.conf:1: bad value '1.01' for loss"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    write_file("c.conf", cases[i].text);
    int rc = sh("timeout 10 '%s' --config c.conf", PROXY);
    ck_assert_msg(rc == 2, "case %zu: exit %d:\n%s", i, rc, out);
    HAS(cases[i].want);
  }
}
END_TEST

/* A failure after the arguments were good (a log file that cannot be
 * opened) is exit status 1, not the 2 of a bad command line. */
START_TEST(unopenable_log_exits_1) {
  int rc = sh("timeout 10 '%s' --listen 127.0.0.1:0 --upstream 127.0.0.1:1 "
              "--log nodir/l.txt",
              PROXY);
  ck_assert_msg(rc == 1, "exit %d:\n%s", rc, out);
  HAS("jnet-proxy: nodir/l.txt: No such file or directory");
}
END_TEST

/* ctl refuses, before connecting, a command that does not fit its
 * 1024-byte line with the newline and the terminator. */
START_TEST(ctl_refuses_a_command_too_long_for_its_line) {
  char word[1024];
  memset(word, 'x', 1023);
  word[1023] = 0;
  int rc = sh("timeout 10 '%s' ctl nosuch.sock %s", PROXY, word);
  ck_assert_msg(rc == 2, "exit %d:\n%s", rc, out);
  HAS("jnet-proxy ctl: command too long");
  rc = sh("timeout 10 '%s' ctl nosuch.sock %.1021s", PROXY, word);
  ck_assert_msg(rc != 0 && strstr(out, "too long") == NULL,
                "a 1021-byte command is sent: exit %d:\n%s", rc, out);
  HAS("nosuch.sock");
}
END_TEST

START_TEST(a_good_config_listens_and_opens_what_it_names) {
  write_file("c.conf",
             "seed 3\n"
             "proxy a tcp listen [::1]:0 upstream [::1]:1 latency 1ms\n"
             "proxy b udp listen 127.0.0.1:0 upstream 127.0.0.1:1\n"
             "at 2s heal\n"
             "at 1s partition\n"
             "pcap p.pcap\n"
             "control ctl.sock\n"
             "log l.txt\n");
  /* it runs until stopped: timeout's 124 is the expected end */
  int rc = sh("timeout 1 '%s' --config c.conf; echo exit $?; "
              "test -s p.pcap && "
              "echo pcap-ok; test -e l.txt && echo log-ok",
              PROXY);
  ck_assert_int_eq(rc, 0);
  HAS("listening a tcp ::1:");
  HAS("listening b udp 127.0.0.1:");
  HAS("ready");
  HAS("exit 124");
  HAS("pcap-ok");
  HAS("log-ok");
}
END_TEST

int main(int argc, char **argv) {
  /* argv[1] (ctest passes it), else the one this build made (so that
   * JNET_CHECK_LIST=1 and CK_RUN_CASE work on the bare binary) */
  PROXY = argc >= 2 ? argv[1] : JNET_PROXY_BIN;
  Suite *s = suite_create("realfaults-proxy-args");
  jc_defaults(60, setup, teardown);
  JC_TEST(s, bad_command_lines_exit_2_with_the_reason);
  JC_TEST(s, bad_config_lines_name_the_file_line_and_word);
  JC_TEST(s, good_values_pass_and_each_keyword_is_checked);
  JC_TEST(s, unopenable_log_exits_1);
  JC_TEST(s, ctl_refuses_a_command_too_long_for_its_line);
  JC_TEST(s, a_good_config_listens_and_opens_what_it_names);
  return jc_run(s);
}
