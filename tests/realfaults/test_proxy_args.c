/* test_proxy_args.c — jnet-proxy's answers to bad command lines and bad
 * --config files, as a user at a shell sees them: exit status 2 and a
 * message naming the file, the line and the word at fault. A good config
 * (IPv6 addresses, timeline out of order, pcap, control socket, log) gets
 * the proxy listening and writes what it names. The parser itself
 * (proxy_parse.c) is linked in and asked word by word.
 *
 *   test_proxy_args [PATH-TO-jnet-proxy] */
#define _GNU_SOURCE
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jnet_check.h"

#include "proxy.h"
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

/* --- m3-b: the parser's answers, word by word (proxy_parse.c, linked in),
 * and the command lines, configs and timelines a user gets wrong --- */

#define ERR_HAS(s)                                                             \
  ck_assert_msg(strstr(err, s) != NULL, "want '%s' in '%s'", s, err)

START_TEST(units_take_every_suffix_and_refuse_the_rest) {
  static const struct {
    const char *s;
    uint64_t ns; /* 0: refused */
  } dur[] = {{"100ns", 100},         {"250us", 250000},
             {"20ms", 20000000},      {"1.5s", 1500000000},
             {"2", 2000000000},       {"2m", 120000000000ull},
             {"1min", 60000000000ull}, {"3MS", 3000000},
             {"", 0},                 {"ms", 0},
             {"-1s", 0},              {"5x", 0},
             {"nan", 0},              {"1e999", 0},
             {"1e11s", 0}};
  for (size_t i = 0; i < sizeof dur / sizeof *dur; i++) {
    uint64_t v = 7;
    int rc = proxy_parse_duration(dur[i].s, &v);
    ck_assert_msg(rc == (dur[i].ns ? 0 : -1), "'%s': %d", dur[i].s, rc);
    if (dur[i].ns)
      ck_assert_msg(v == dur[i].ns, "'%s': %llu", dur[i].s,
                    (unsigned long long)v);
  }
  ck_assert_int_eq(proxy_parse_duration(NULL, &(uint64_t){0}), -1);
  /* every size suffix (k = 1024) and every rate suffix (k = 1000; bps is
   * bytes: x 8); 0: refused */
  static const struct {
    const char *s;
    uint64_t v;
  } size[] = {{"1500", 1500},         {"512b", 512},
              {"1.5k", 1536},         {"64kb", 65536},
              {"2KiB", 2048},         {"3m", 3145728},
              {"1mb", 1048576},       {"2MiB", 2097152},
              {"2g", 2147483648ull},  {"1GB", 1073741824},
              {"1t", 0}},
    rate[] = {{"500", 500},           {"500bit", 500},
              {"2kbit", 2000},        {"1mbit", 1000000},
              {"1gbit", 1000000000},  {"3bps", 24},
              {"10kbps", 80000},      {"2mbps", 16000000},
              {"1gbps", 8000000000ull}, {"1mb", 0}};
  for (size_t i = 0; i < sizeof size / sizeof *size; i++) {
    uint64_t v = 7;
    int rc = proxy_parse_size(size[i].s, &v);
    ck_assert_msg(rc == (size[i].v ? 0 : -1) && (!size[i].v || v == size[i].v),
                  "size '%s': %d %llu", size[i].s, rc, (unsigned long long)v);
  }
  for (size_t i = 0; i < sizeof rate / sizeof *rate; i++) {
    uint64_t v = 7;
    int rc = proxy_parse_rate(rate[i].s, &v);
    ck_assert_msg(rc == (rate[i].v ? 0 : -1) && (!rate[i].v || v == rate[i].v),
                  "rate '%s': %d %llu", rate[i].s, rc, (unsigned long long)v);
  }
  double p = 9;
  ck_assert_int_eq(proxy_parse_prob("0.5%", &p), 0);
  ck_assert(fabs(p - 0.005) < 1e-12);
  ck_assert_int_eq(proxy_parse_prob("1", &p), 0);
  ck_assert(p == 1.0);
  ck_assert_int_eq(proxy_parse_prob("101%", &p), -1);
  ck_assert_int_eq(proxy_parse_prob("1.5", &p), -1);
  ck_assert(p == 1.0); /* a refused value leaves the old one */
  int b = 5;
  static const char *const on[] = {"on", "1", "true"}, *const off[] = {
                                                             "off", "0",
                                                             "false"};
  for (int i = 0; i < 3; i++) {
    ck_assert_int_eq(proxy_parse_bool(on[i], &b), 0);
    ck_assert_int_eq(b, 1);
    ck_assert_int_eq(proxy_parse_bool(off[i], &b), 0);
    ck_assert_int_eq(b, 0);
  }
  ck_assert_int_eq(proxy_parse_bool("yes", &b), -1);
  ck_assert_int_eq(proxy_parse_bool(NULL, &b), -1);
}
END_TEST

START_TEST(hostport_takes_names_and_brackets_and_refuses_the_rest) {
  char h[16], p[8];
  ck_assert_int_eq(proxy_parse_hostport("[::1]:80", h, sizeof h, p, sizeof p),
                   0);
  ck_assert_str_eq(h, "::1");
  ck_assert_str_eq(p, "80");
  ck_assert_int_eq(proxy_parse_hostport("db.local:65535", h, sizeof h, p,
                                        sizeof p),
                   0);
  ck_assert_str_eq(h, "db.local");
  ck_assert_str_eq(p, "65535");
  static const char *const bad[] = {
      "[::1",  "[::1]80", "[]:80",      "host:",  "host:123456",
      "h:8o",  "h:65536", ":80",        "nocolon", "[::1]:",
      "a-name-longer-than-16:80"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    ck_assert_msg(proxy_parse_hostport(bad[i], h, sizeof h, p, sizeof p) == -1,
                  "'%s' taken", bad[i]);
  ck_assert_int_eq(proxy_parse_hostport(NULL, h, sizeof h, p, sizeof p), -1);
  /* a port that does not fit the caller's buffer */
  ck_assert_int_eq(proxy_parse_hostport("h:8080", h, sizeof h, p, 4), -1);
}
END_TEST

/* Fault words: the command line's --spelling, flags alone or with a
 * value, each refusal with the word at fault. */
/* Each jitter distribution's name sets its JNET_JITTER_* value, the first
 * (uniform, 0) included. */
START_TEST(each_jitter_dist_name_sets_its_distribution) {
  static const struct {
    const char *name;
    int dist;
  } d[] = {{"uniform", JNET_JITTER_UNIFORM},
           {"normal", JNET_JITTER_NORMAL},
           {"exponential", JNET_JITTER_EXPONENTIAL},
           {"pareto", JNET_JITTER_PARETO}};
  for (size_t i = 0; i < sizeof d / sizeof *d; i++) {
    jnet_fault_params fp;
    jnet_fault_params_default(&fp);
    fp.link.jitter_dist = -1;
    char err[160];
    char *w[] = {"jitter-dist", (char *)d[i].name};
    ck_assert_msg(proxy_parse_faults(w, 2, &fp, err, sizeof err) == 0,
                  "jitter-dist %s refused: %s", d[i].name, err);
    ck_assert_int_eq(fp.link.jitter_dist, d[i].dist);
  }
}
END_TEST

START_TEST(fault_words_set_their_field_and_name_what_is_wrong) {
  jnet_fault_params fp;
  jnet_fault_params_default(&fp);
  char err[160];
  char *ok[] = {"--latency", "5ms",    "jitter-dist", "pareto", "blackhole",
                "refuse",    "off",    "slice",       "2kb",    "corrupt",
                "0.5",       "reorder-by", "3ms"};
  ck_assert_int_eq(proxy_parse_faults(ok, 13, &fp, err, sizeof err), 0);
  ck_assert_uint_eq(fp.link.latency_ns, 5000000);
  ck_assert_int_eq(fp.link.jitter_dist, JNET_JITTER_PARETO);
  ck_assert_int_eq(fp.blackhole, 1); /* a flag followed by an option */
  ck_assert_int_eq(fp.refuse, 0);
  ck_assert_uint_eq(fp.slice_bytes, 2048);
  ck_assert(fp.link.corrupt == 0.5);
  ck_assert_uint_eq(fp.link.reorder_ns, 3000000);
  static const struct {
    const char *w[3];
    int n;
    const char *want;
  } bad[] = {
      {{"wobble", "1"}, 2, "unknown fault 'wobble'"},
      {{"latency"}, 1, "latency needs a value"},
      {{"refuse", "maybe"}, 2, "bad value 'maybe' for refuse"},
      {{"slice", "5g"}, 2, "bad value '5g' for slice"},
      {{"jitter-dist", "gauss"}, 2, "bad value 'gauss' for jitter-dist"},
      {{"bandwidth", "fast"}, 2, "bad value 'fast' for bandwidth"},
      {{"reset-after", "-1"}, 2, "bad value '-1' for reset-after"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    err[0] = 0;
    ck_assert_int_eq(
        proxy_parse_faults((char **)bad[i].w, bad[i].n, &fp, err, sizeof err),
        -1);
    ERR_HAS(bad[i].want);
  }
  ck_assert_int_eq(proxy_is_fault_option(NULL), 0);
  ck_assert_int_eq(proxy_is_fault_option("--slow-close"), 1);
  ck_assert_int_eq(proxy_is_fault_option("-slow-close"), 0);
}
END_TEST

START_TEST(split_stops_at_comments_and_counts_words) {
  char line[] = "  a\tb\r\nc # d e";
  char *w[4];
  ck_assert_int_eq(proxy_split(line, w, 4), 3);
  ck_assert_str_eq(w[0], "a");
  ck_assert_str_eq(w[1], "b");
  ck_assert_str_eq(w[2], "c");
  char three[] = "x y z";
  ck_assert_int_eq(proxy_split(three, w, 2), -1);
  char none[] = " # all comment";
  ck_assert_int_eq(proxy_split(none, w, 4), 0);
  char lead[] = "\t\r\n x";
  ck_assert_int_eq(proxy_split(lead, w, 4), 1);
  ck_assert_str_eq(w[0], "x");
}
END_TEST

/* Control lines: every refusal names its reason; `set link` is `set *`. */
START_TEST(control_lines_name_their_refusal) {
  proxy_cmd c;
  char err[160];
  char long_line[PROXY_LINE_MAX + 8], words[200], opts[400], word[96];
  memset(long_line, 'x', sizeof long_line - 1);
  long_line[sizeof long_line - 1] = 0;
  size_t k = 0;
  for (int i = 0; i < 41; i++)
    k += (size_t)snprintf(words + k, sizeof words - k, "w ");
  k = (size_t)snprintf(opts, sizeof opts, "set db");
  for (int i = 0; i < 33; i++)
    k += (size_t)snprintf(opts + k, sizeof opts - k, " blackhole");
  snprintf(word, sizeof word, "set db latency %070d", 5);
  static char name[64];
  snprintf(name, sizeof name, "stats %040d", 1);
  const struct {
    const char *line, *want;
  } bad[] = {
      {NULL, "line too long"},     {long_line, "line too long"},
      {words, "too many words"},   {opts, "too many options"},
      {word, "word too long"},     {name, "bad proxy name"},
      {"ping now", "unexpected 'now'"}, {"heal a b", "unexpected 'b'"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    err[0] = 0;
    ck_assert_int_eq(proxy_parse_command(bad[i].line, &c, err, sizeof err), -1);
    ERR_HAS(bad[i].want);
  }
  ck_assert_int_eq(proxy_parse_command("set link latency 1ms", &c, err,
                                       sizeof err),
                   0);
  ck_assert_int_eq(c.kind, PROXY_CMD_SET);
  ck_assert_str_eq(c.target, "*");
  ck_assert_int_eq(c.nopts, 2);
  ck_assert_int_eq(proxy_parse_command("set blackhole", &c, err, sizeof err),
                   0); /* a fault word is no name: every proxy */
  ck_assert_str_eq(c.target, "*");
  /* "*" spelled out is every proxy, as no name */
  ck_assert_int_eq(proxy_parse_command("stats *", &c, err, sizeof err), 0);
  ck_assert_int_eq(c.kind, PROXY_CMD_STATS);
  ck_assert_str_eq(c.target, "*");
  ck_assert_int_eq(proxy_parse_command("set * loss 0.05", &c, err, sizeof err),
                   0);
  ck_assert_str_eq(c.target, "*");
  ck_assert_int_eq(c.nopts, 2);
  ck_assert_int_eq(proxy_parse_command("reset web-1.b_2", &c, err, sizeof err),
                   0);
  ck_assert_int_eq(c.kind, PROXY_CMD_RESET);
  ck_assert_str_eq(c.target, "web-1.b_2");
  ck_assert_int_eq(proxy_parse_command("quit", &c, err, sizeof err), 0);
  ck_assert_int_eq(c.kind, PROXY_CMD_QUIT);
  /* a caller may want no message: NULL, or no room */
  ck_assert_int_eq(proxy_parse_command("bogus", &c, NULL, 0), -1);
  strcpy(err, "untouched");
  ck_assert_int_eq(proxy_parse_command("bogus", &c, err, 0), -1);
  ck_assert_str_eq(err, "untouched");
  /* apply: a refused option leaves the parameters as they were */
  jnet_fault_params fp;
  jnet_fault_params_default(&fp);
  fp.link.latency_ns = 42;
  proxy_cmd bad_set = {.kind = PROXY_CMD_SET, .nopts = 3};
  strcpy(bad_set.opts[0], "latency");
  strcpy(bad_set.opts[1], "1ms");
  strcpy(bad_set.opts[2], "loss");
  ck_assert_int_eq(proxy_cmd_apply(&bad_set, &fp, err, sizeof err), -1);
  ck_assert_uint_eq(fp.link.latency_ns, 42);
}
END_TEST

/* A config's `at` lines are kept in time order, stably: a line earlier
 * than every one before it goes first, and the insertion stops at the
 * array's start. With 64 proxies whose host names are long (up to 255
 * bytes, as a DNS name may be), the bytes just before the events array
 * are text, not zeros: a walk past its start would read a "time" there
 * and overwrite the proxies. */
START_TEST(an_at_line_earlier_than_all_before_it_goes_first) {
  static const char label[] = "proxy-host-with-a-long-name-in-a-test-zone";
  char host[256] = "";
  for (int i = 0; i < 5; i++) /* five labels of 42 bytes: 214 */
    snprintf(host + strlen(host), sizeof host - strlen(host), "%s%s",
             i ? "." : "", label);
  size_t cap = 64 * 1024, k = 0;
  char *text = malloc(cap);
  ck_assert_ptr_nonnull(text);
  for (int i = 0; i < PROXY_MAX; i++)
    k += (size_t)snprintf(text + k, cap - k,
                          "proxy p%d tcp listen %s:%d upstream %s:1\n", i,
                          host, 1000 + i, host);
  k += (size_t)snprintf(text + k, cap - k, "at 2s heal\nat 3s heal p1\n"
                                           "at 1s reset\nat 500ms ping\n");
  ck_assert_uint_lt(k, cap);
  write_file("c.conf", text);
  free(text);
  static proxy_opts o; /* as jnet-proxy's: zeroed, static */
  char path[512];
  snprintf(path, sizeof path, "%s/c.conf", dir);
  ck_assert_int_eq(proxy_load_config(path, &o), 0);
  ck_assert_int_eq(o.nproxies, PROXY_MAX);
  ck_assert_int_eq(o.nevents, 4);
  static const uint64_t at[] = {500000000, 1000000000, 2000000000,
                                3000000000};
  static const int kind[] = {PROXY_CMD_PING, PROXY_CMD_RESET, PROXY_CMD_HEAL,
                             PROXY_CMD_HEAL};
  for (int i = 0; i < 4; i++) {
    ck_assert_uint_eq(o.events[i].at_ns, at[i]);
    ck_assert_int_eq(o.events[i].cmd.kind, kind[i]);
  }
  ck_assert_str_eq(o.events[3].cmd.target, "p1");
  for (int i = 0; i < PROXY_MAX; i++) {
    char name[8];
    snprintf(name, sizeof name, "p%d", i);
    ck_assert_str_eq(o.proxies[i].name, name);
    ck_assert_str_eq(o.proxies[i].listen_host, host);
    ck_assert_str_eq(o.proxies[i].up_host, host);
    ck_assert_int_eq(atoi(o.proxies[i].listen_port), 1000 + i);
  }
}
END_TEST

/* `at TIME COMMAND`: the command's words joined back into one line; words
 * that do not fit a control line are refused as too long. */
START_TEST(at_lines_rebuild_the_command_and_refuse_one_too_long) {
  proxy_event e;
  char err[160];
  char *good[] = {"at", "1.5s", "set", "db", "latency", "2ms"};
  ck_assert_int_eq(proxy_parse_at(good, 6, &e, err, sizeof err), 0);
  ck_assert_uint_eq(e.at_ns, 1500000000);
  ck_assert_int_eq(e.cmd.kind, PROXY_CMD_SET);
  ck_assert_str_eq(e.cmd.target, "db");
  ck_assert_str_eq(e.cmd.opts[1], "2ms");
  char *not_at[] = {"on", "1s", "heal"};
  ck_assert_int_eq(proxy_parse_at(not_at, 3, &e, err, sizeof err), -1);
  ERR_HAS("expected: at TIME COMMAND");
  static char big[3][520];
  for (int i = 0; i < 3; i++) {
    memset(big[i], 'a' + i, sizeof big[i] - 1);
    big[i][sizeof big[i] - 1] = 0;
  }
  char *too_long[] = {"at", "1s", "set", big[0], big[1], big[2]};
  err[0] = 0;
  ck_assert_int_eq(proxy_parse_at(too_long, 6, &e, err, sizeof err), -1);
  ck_assert_str_eq(err, "line too long");
  /* "ping " and a word of 1017 bytes and its space fit the 1024-byte line
   * with its terminator (the command refuses the word); 1018 do not */
  static char fit[1019];
  memset(fit, 'f', sizeof fit - 1);
  fit[1017] = 0;
  char *edge[] = {"at", "1s", "ping", fit};
  err[0] = 0;
  ck_assert_int_eq(proxy_parse_at(edge, 4, &e, err, sizeof err), -1);
  ck_assert_msg(strstr(err, "unexpected 'fff") != NULL, "%s", err);
  fit[1017] = 'f';
  err[0] = 0;
  ck_assert_int_eq(proxy_parse_at(edge, 4, &e, err, sizeof err), -1);
  ck_assert_str_eq(err, "line too long");
}
END_TEST

START_TEST(more_bad_command_lines_exit_2_and_point_to_help) {
  static const struct {
    const char *args, *want;
  } bad[] = {
      {"foo", "unexpected argument foo"},
      {"--name 0123456789012345678901234567890123", "bad --name 0123"},
      {"--seed ''", "bad --seed"},
      {"--max-conns ''", "bad --max-conns"},
      {"--udp-idle soon", "bad --udp-idle soon"},
      {"--upstream 127.0.0.1:1", "--listen and --upstream go together"},
      {"--latency 5ms --refuse", "nothing to proxy"},
      {"latency 5ms", "unexpected argument latency"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    int rc = sh("timeout 10 '%s' %s", PROXY, bad[i].args);
    ck_assert_msg(rc == 2, "%s: exit %d:\n%s", bad[i].args, rc, out);
    HAS(bad[i].want);
    HAS("(see jnet-proxy --help)");
  }
  int rc = sh("timeout 10 '%s' -h", PROXY);
  ck_assert_int_eq(rc, 0);
  HAS("usage: jnet-proxy [OPTIONS]");
}
END_TEST

/* Limits of a config and the lines a timeline file may hold. */
START_TEST(config_limits_and_timeline_lines_are_refused_by_line) {
  char *text = malloc(64 * 1024);
  ck_assert_ptr_nonnull(text);
  size_t k = 0;
  for (int i = 0; i < 65; i++)
    k += (size_t)snprintf(text + k, 64 * 1024 - k, "w ");
  snprintf(text + k, 64 * 1024 - k, "\n");
  write_file("c.conf", text);
  ck_assert_int_eq(sh("timeout 10 '%s' --config c.conf", PROXY), 2);
  HAS("c.conf:1: too many words");
  k = 0;
  for (int i = 0; i < 257; i++)
    k += (size_t)snprintf(text + k, 64 * 1024 - k, "at %ds heal\n", i);
  write_file("c.conf", text);
  ck_assert_int_eq(sh("timeout 10 '%s' --config c.conf", PROXY), 2);
  HAS("c.conf:257: more than 256 events");
  k = 0;
  for (int i = 0; i < 65; i++)
    k += (size_t)snprintf(text + k, 64 * 1024 - k,
                          "proxy p%d tcp listen 127.0.0.1:0 upstream "
                          "127.0.0.1:1\n",
                          i);
  write_file("c.conf", text);
  ck_assert_int_eq(sh("timeout 10 '%s' --config c.conf", PROXY), 2);
  HAS("c.conf:65: more than 64 proxies");
  /* 64 from the file and one more from the command line */
  char *last = text + k - 1;
  while (last > text && last[-1] != '\n')
    last--;
  *last = 0; /* drop the 65th */
  write_file("c.conf", text);
  ck_assert_int_eq(sh("timeout 10 '%s' --config c.conf --listen 127.0.0.1:0 "
                      "--upstream 127.0.0.1:1",
                      PROXY),
                   2);
  HAS("too many proxies");
  free(text);
  write_file("c.conf",
             "proxy bad/name tcp listen 127.0.0.1:0 upstream 127.0.0.1:1\n");
  ck_assert_int_eq(sh("timeout 10 '%s' --config c.conf", PROXY), 2);
  HAS("c.conf:1: bad proxy name 'bad/name'");
  write_file("c.conf", "seed 1 2\n");
  ck_assert_int_eq(sh("timeout 10 '%s' --config c.conf", PROXY), 2);
  HAS("c.conf:1: expected proxy, at, seed, pcap, control or log, got 'seed'");
  write_file("t.tl", "at 1s heal\nseed 3\n");
  ck_assert_int_eq(sh("timeout 10 '%s' --timeline t.tl", PROXY), 2);
  HAS("t.tl:2: expected an `at` line");
  ck_assert_int_eq(sh("timeout 10 '%s' --timeline nosuch.tl", PROXY), 2);
  HAS("nosuch.tl: No such file or directory");
}
END_TEST

/* A timeline plays in order into the log ('-': stdout); `quit` in it ends
 * the proxy with status 0 and nothing after it runs. A command naming no
 * proxy is logged as the error it is. */
START_TEST(a_timeline_plays_into_the_log_and_quit_ends_the_proxy) {
  write_file("t.tl", "at 0.05s partition\n"
                     "at 0.06s heal nosuch\n"
                     "at 0.07s set proxy latency 1ms\n"
                     "at 0.08s stats proxy\n"
                     "at 0.1s quit\n"
                     "at 0.2s clear\n");
  int rc = sh("timeout 10 '%s' --listen 127.0.0.1:0 --upstream 127.0.0.1:1 "
              "--timeline t.tl --log -",
              PROXY);
  ck_assert_msg(rc == 0, "exit %d:\n%s", rc, out);
  HAS(" timeline ok\n");
  HAS(" timeline err no proxy named 'nosuch'\n");
  HAS(" timeline proxy open 0 total 0 up 0 down 0 faults ");
  HAS(" timeline ok bye\n");
  int n = 0;
  for (const char *p = out; (p = strstr(p, " timeline ")) != NULL; p++)
    n++;
  ck_assert_msg(n == 5, "%d timeline lines:\n%s", n, out); /* not `clear` */
}
END_TEST

/* A shell loop: wait (up to 5 s) for the control socket ctl.sock. */
#define WAIT_CTL                                                               \
  "for i in $(seq 1 250); do test -S ctl.sock && break; sleep 0.02; done; "
/* The background proxy $pid gone, within 5 s: killed if `ctl quit` did not
 * reach it (a proxy left running would hold sh()'s pipe open, and the case
 * would hang until Check's timeout, as it did once under load). */
#define WAIT_GONE                                                              \
  "for i in $(seq 1 250); do kill -0 $pid 2>/dev/null || break; "             \
  "sleep 0.02; done; kill -9 $pid 2>/dev/null; wait; "

/* Faults from the command line with a config and no --listen replace
 * those of every proxy of the config; `ctl` reads them back. */
START_TEST(command_line_faults_apply_to_every_configured_proxy) {
  write_file("c.conf", "proxy a tcp listen 127.0.0.1:0 upstream 127.0.0.1:1\n"
                       "proxy b udp listen 127.0.0.1:0 upstream 127.0.0.1:1 "
                       "loss 50%\n"
                       "control ctl.sock\n");
  int rc = sh("timeout 10 '%s' --config c.conf --latency 7ms & "
              WAIT_CTL "'%s' ctl ctl.sock list; echo ctl $?; "
              "'%s' ctl ctl.sock quit >/dev/null; wait",
              PROXY, PROXY, PROXY);
  ck_assert_int_eq(rc, 0);
  HAS("a tcp 127.0.0.1:");
  HAS("b udp 127.0.0.1:");
  int n = 0; /* both, and b's own loss replaced */
  for (const char *p = out;
       (p = strstr(p, " upstream 127.0.0.1:1 latency 7.000ms\n")) != NULL; p++)
    n++;
  ck_assert_msg(n == 2, "%d proxies with the latency:\n%s", n, out);
  HAS("ctl 0");
}
END_TEST

/* What the proxy cannot open or write after good arguments is exit status
 * 1: a capture or control path in no directory, a control path that is a
 * file, a capture on a full disk. A socket left by a proxy that died is
 * replaced. */
START_TEST(unopenable_paths_exit_1_and_a_stale_socket_is_replaced) {
  const char *base = "--listen 127.0.0.1:0 --upstream 127.0.0.1:1";
  int rc = sh("timeout 10 '%s' %s --pcap nodir/p.pcap", PROXY, base);
  ck_assert_int_eq(rc, 1);
  HAS("jnet-proxy: nodir/p.pcap: No such file or directory");
  ck_assert_int_eq(
      sh("timeout 10 '%s' %s --control nodir/c.sock", PROXY, base), 1);
  HAS("jnet-proxy: control nodir/c.sock: ");
  write_file("plain", "not a socket\n");
  ck_assert_int_eq(sh("timeout 10 '%s' %s --control plain", PROXY, base), 1);
  HAS("jnet-proxy: control plain: ");
  write_file("t.tl", "at 0.05s quit\n");
  /* a capture the disk cannot take: said at the end, status 1 */
  rc = sh("test -c /dev/full || exit 77; timeout 10 '%s' %s --pcap /dev/full "
          "--timeline t.tl",
          PROXY, base);
  ck_assert_msg(rc == 1 || rc == 77, "exit %d:\n%s", rc, out);
  if (rc == 1)
    HAS("jnet-proxy: /dev/full: No space left on device");
  /* the first proxy dies by SIGKILL and leaves its socket behind */
  rc = sh("'%s' %s --control stale.sock & pid=$!; "
              "for i in $(seq 1 250); do test -S stale.sock && break; "
              "sleep 0.02; done; kill -9 $pid; wait $pid; "
              "test -S stale.sock && timeout 10 '%s' %s --control stale.sock "
              "--timeline t.tl",
              PROXY, base, PROXY, base);
  ck_assert_msg(rc == 0, "exit %d:\n%s", rc, out);
  HAS("ready");
}
END_TEST

/* A `list` too long for its reply (a timeline's is 4 KiB) keeps the whole
 * lines that fit and says how many in its last line; the full list goes
 * through the control socket (64 KiB). */
START_TEST(a_list_too_long_for_its_reply_keeps_whole_lines_and_says_so) {
  char *text = malloc(64 * 1024);
  ck_assert_ptr_nonnull(text);
  size_t k = 0;
  for (int i = 0; i < 64; i++)
    k += (size_t)snprintf(
        text + k, 64 * 1024 - k,
        "proxy p%02d tcp listen 127.0.0.1:0 upstream 127.0.0.1:1 latency 1ms "
        "jitter 1ms bandwidth 1mbit loss 1%% duplicate 1%% reorder 1%% "
        "corrupt 1%% reset-after 1mb close-after 30s slice 1kb "
        "slow-close 1ms\n",
        i);
  snprintf(text + k, 64 * 1024 - k,
           "at 0s list\ncontrol ctl.sock\nlog -\n");
  write_file("c.conf", text);
  free(text);
  int rc = sh("timeout 10 '%s' --config c.conf > o.txt & " WAIT_CTL
              "'%s' ctl ctl.sock list | tail -1; "
              "'%s' ctl ctl.sock quit >/dev/null; wait; "
              "grep -c 'slow-close 1.000ms$' o.txt; grep 'ok cut' o.txt",
              PROXY, PROXY, PROXY);
  ck_assert_msg(rc == 0, "exit %d:\n%s", rc, out);
  int lines = -1, shown = -1, of = -1;
  ck_assert_msg(sscanf(out, "ok\n%d\n", &lines) == 1, "%s", out);
  const char *cut = strstr(out, "\nok cut: ");
  ck_assert_msg(cut != NULL, "%s", out);
  ck_assert_int_eq(sscanf(cut, "\nok cut: %d of %d", &shown, &of), 2);
  ck_assert_int_eq(of, 64);
  ck_assert_int_gt(shown, 10); /* ~230 bytes a line in 4 KiB */
  ck_assert_int_lt(shown, 20);
  ck_assert_int_eq(lines, shown);
}
END_TEST

/* SIGTERM ends a proxy at once, with status 0, even while its timeline
 * waits for an event far ahead (the timeline is cancelled, not waited
 * for). */
START_TEST(sigterm_ends_a_proxy_whose_timeline_waits) {
  write_file("t.tl", "at 100s heal\n");
  int rc = sh("timeout -k 1 5 '%s' --listen 127.0.0.1:0 --upstream 127.0.0.1:1 "
              "--timeline t.tl > o.txt & pid=$!; "
              "for i in $(seq 1 250); do grep -q ready o.txt && break; "
              "sleep 0.02; done; kill -TERM $pid; wait $pid; echo exit $?; "
              /* timeout's own process group: nothing left holding sh()'s
               * pipe, whatever happened */
              "kill -9 -$pid 2>/dev/null; true",
              PROXY);
  ck_assert_int_eq(rc, 0);
  HAS("exit 0");
}
END_TEST

/* Thousands of pairs need two descriptors each: a proxy started under a
 * soft limit below the hard one raises it to the hard limit. */
START_TEST(the_proxy_raises_its_descriptor_limit_to_the_hard_one) {
  int rc = sh("ulimit -S -n 64 && ulimit -H -n > hard.txt; "
              "'%s' --listen 127.0.0.1:0 --upstream 127.0.0.1:1 "
              "--control ctl.sock > /dev/null & pid=$!; " WAIT_CTL
              "grep 'Max open files' /proc/$pid/limits; "
              "'%s' ctl ctl.sock quit > /dev/null; " WAIT_GONE
              "cat hard.txt",
              PROXY, PROXY);
  ck_assert_int_eq(rc, 0);
  char soft[32], hard[32], want[32];
  ck_assert_msg(sscanf(out, "Max open files %31s %31s files\n%31s", soft, hard,
                       want) == 3,
                "%s", out);
  ck_assert_str_eq(hard, want);
  if (strcmp(want, "64") != 0) /* a hard limit of 64 leaves nothing to raise */
    ck_assert_str_eq(soft, hard);
}
END_TEST

/* A loop it cannot start is exit status 1 with the reason. Out of
 * descriptors is the failure a test can cause: a hard limit of 6 with
 * stdin and every fd above 2 closed leaves the dynamic loader room (it
 * opens one library at a time) and libuv's loop too little (two signal
 * pipes and the epoll descriptor). The exec redirections come before the
 * ulimit because dash saves a command's redirected fds above 10. */
START_TEST(a_loop_it_cannot_start_exits_1_with_the_reason) {
  ck_assert_int_eq(sh("exec 2>&1 0<&- 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-; "
                      "ulimit -n 6; exec timeout 10 '%s' --listen "
                      "127.0.0.1:0 --upstream 127.0.0.1:1",
                      PROXY),
                   1);
  ck_assert_str_eq(out, "jnet-proxy: cannot start the loop: too many open "
                        "files\n");
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
  JC_TEST(s, units_take_every_suffix_and_refuse_the_rest);
  JC_TEST(s, hostport_takes_names_and_brackets_and_refuses_the_rest);
  JC_TEST(s, fault_words_set_their_field_and_name_what_is_wrong);
  JC_TEST(s, split_stops_at_comments_and_counts_words);
  JC_TEST(s, control_lines_name_their_refusal);
  JC_TEST(s, at_lines_rebuild_the_command_and_refuse_one_too_long);
  JC_TEST(s, more_bad_command_lines_exit_2_and_point_to_help);
  JC_TEST(s, config_limits_and_timeline_lines_are_refused_by_line);
  JC_TEST(s, a_timeline_plays_into_the_log_and_quit_ends_the_proxy);
  JC_TEST(s, command_line_faults_apply_to_every_configured_proxy);
  JC_TEST(s, unopenable_paths_exit_1_and_a_stale_socket_is_replaced);
  JC_TEST(s, a_list_too_long_for_its_reply_keeps_whole_lines_and_says_so);
  JC_TEST(s, sigterm_ends_a_proxy_whose_timeline_waits);
  JC_TEST(s, the_proxy_raises_its_descriptor_limit_to_the_hard_one);
  JC_TEST(s, each_jitter_dist_name_sets_its_distribution);
  JC_TEST(s, an_at_line_earlier_than_all_before_it_goes_first);
  JC_TEST(s, a_loop_it_cannot_start_exits_1_with_the_reason);
  return jc_run(s);
}
