/* t_addr.c — conformance: addresses. jnet_address and jnet_address_all
 * (multi, counts past cap), address_unpack round trips for IPv4, IPv6,
 * unix paths and abstract names, ports and service names, resolver errors. */
#include <stddef.h>
#include <string.h>

#include "conf.h"

static void f_localhost_all(void *arg) {
  conf *t = arg;
  jnet_addr out[8];
  char h[64];
  int p, n4 = 0, n6 = 0, nother = 0;
  int n = jnet_address_all("localhost", "80", JNET_STREAM, out, 8);
  CONF_REC(t, 0, n);
  for (int i = 0; i < n && i < 8; i++) {
    if (jnet_address_unpack(&out[i], h, sizeof h, &p) < 0 || p != 80)
      nother++;
    else if (strcmp(h, "127.0.0.1") == 0)
      n4++;
    else if (strcmp(h, "::1") == 0)
      n6++;
    else
      nother++;
  }
  CONF_REC(t, 1, n4);
  CONF_REC(t, 2, n6);
  CONF_REC(t, 3, nother);
  t->done = 1;
}

START_TEST(address_all_localhost_gives_127_0_0_1_and_ipv6_loopback) {
  conf *t = conf_open();
  conf_run(t, f_localhost_all);
  CONF_EQ(t, 0, 2);
  CONF_EQ(t, 1, 1);
  CONF_EQ(t, 2, 1);
  CONF_EQ(t, 3, 0);
  conf_close(t);
}
END_TEST

static void f_all_cap(void *arg) {
  conf *t = arg;
  jnet_addr out[2];
  memset(out, 0, sizeof out);
  CONF_REC(t, 0, jnet_address_all("localhost", "80", JNET_STREAM, out, 1));
  CONF_REC(t, 1,
           conf_addr_is(&out[0], "127.0.0.1", 80) == 1 ||
               conf_addr_is(&out[0], "::1", 80) == 1);
  CONF_REC(t, 2, out[1].u.sa.sa_family); /* untouched past cap */
  CONF_REC(t, 3, jnet_address_all("localhost", "80", JNET_STREAM, NULL, 0));
  CONF_REC(t, 4, jnet_address_all("127.0.0.1", "80", JNET_DATAGRAM, out, 2));
  CONF_REC(t, 5,
           jnet_address_all(JNET_UNIX, "/tmp/x.sock", JNET_STREAM, out, 2));
  t->done = 1;
}

START_TEST(address_all_returns_total_which_may_exceed_cap) {
  conf *t = conf_open();
  conf_run(t, f_all_cap);
  CONF_EQ(t, 0, 2);
  CONF_EQ(t, 1, 1);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, 2);
  CONF_EQ(t, 4, 1);
  CONF_EQ(t, 5, 1);
  conf_close(t);
}
END_TEST

/* address(host, port) then unpack: the same host and port come back. */
static void roundtrip(conf *t, int slot, const char *host, const char *port,
                      const char *want_host, int want_port) {
  jnet_addr a;
  char h[128];
  int p = -7;
  memset(&a, 0, sizeof a);
  CONF_REC(t, slot, jnet_address(host, port, JNET_STREAM, &a));
  CONF_REC(t, slot + 1, jnet_address_unpack(&a, h, sizeof h, &p));
  CONF_REC(t, slot + 2, strcmp(h, want_host) == 0);
  CONF_REC(t, slot + 3, p == want_port);
  t->addr[slot / 4] = a;
}

static void check_roundtrip(conf *t, int slot) {
  CONF_EQ(t, slot, 0);
  CONF_EQ(t, slot + 1, 0);
  CONF_EQ(t, slot + 2, 1);
  CONF_EQ(t, slot + 3, 1);
}

static void f_rt_v4(void *arg) {
  conf *t = arg;
  roundtrip(t, 0, "127.0.0.1", "8080", "127.0.0.1", 8080);
  roundtrip(t, 4, "192.0.2.33", "65535", "192.0.2.33", 65535);
  roundtrip(t, 8, "127.0.0.1", NULL, "127.0.0.1", 0);
  t->done = 1;
}

START_TEST(address_unpack_round_trips_ipv4) {
  conf *t = conf_open();
  conf_run(t, f_rt_v4);
  check_roundtrip(t, 0);
  check_roundtrip(t, 4);
  check_roundtrip(t, 8);
  ck_assert_int_eq(t->addr[0].u.sa.sa_family, AF_INET);
  ck_assert_int_eq(t->addr[0].len, sizeof(struct sockaddr_in));
  conf_close(t);
}
END_TEST

static void f_rt_v6(void *arg) {
  conf *t = arg;
  roundtrip(t, 0, "::1", "443", "::1", 443);
  roundtrip(t, 4, "2001:db8::7", "1", "2001:db8::7", 1);
  t->done = 1;
}

START_TEST(address_unpack_round_trips_ipv6) {
  conf *t = conf_open();
  conf_run(t, f_rt_v6);
  check_roundtrip(t, 0);
  check_roundtrip(t, 4);
  ck_assert_int_eq(t->addr[0].u.sa.sa_family, AF_INET6);
  ck_assert_int_eq(t->addr[0].len, sizeof(struct sockaddr_in6));
  conf_close(t);
}
END_TEST

static void f_rt_unix(void *arg) {
  conf *t = arg;
  roundtrip(t, 0, JNET_UNIX, "/tmp/jnet-conf-x.sock", "/tmp/jnet-conf-x.sock",
            -1);
  t->done = 1;
}

START_TEST(address_unpack_round_trips_unix_path) {
  conf *t = conf_open();
  conf_run(t, f_rt_unix);
  check_roundtrip(t, 0);
  ck_assert_int_eq(t->addr[0].u.sa.sa_family, AF_UNIX);
  conf_close(t);
}
END_TEST

static void f_rt_abstract(void *arg) {
  conf *t = arg;
  roundtrip(t, 0, JNET_UNIX, "@jnet-conf-name", "@jnet-conf-name", -1);
  t->done = 1;
}

START_TEST(address_unpack_round_trips_abstract_name_with_exact_length) {
  conf *t = conf_open();
  conf_run(t, f_rt_abstract);
  check_roundtrip(t, 0);
  ck_assert_int_eq(t->addr[0].u.sa.sa_family, AF_UNIX);
  ck_assert_int_eq(t->addr[0].u.un.sun_path[0], '\0');
  ck_assert_int_eq(t->addr[0].len, offsetof(struct sockaddr_un, sun_path) +
                                       strlen("@jnet-conf-name"));
  conf_close(t);
}
END_TEST

START_TEST(address_unpack_works_outside_a_fiber_and_checks_its_arguments) {
  conf *t = conf_open();
  jnet_addr a;
  char h[64];
  int p = 0;
  memset(&a, 0, sizeof a);
  a.u.in4.sin_family = AF_INET;
  a.u.in4.sin_port = htons(4242);
  a.u.in4.sin_addr.s_addr = htonl(0x7f000001);
  a.len = sizeof a.u.in4;
  ck_assert_int_eq(jnet_address_unpack(&a, h, sizeof h, &p), 0);
  ck_assert_str_eq(h, "127.0.0.1");
  ck_assert_int_eq(p, 4242);
  ck_assert_int_eq(jnet_address_unpack(&a, h, 4, &p), JNET_ENOBUFS);
  ck_assert_int_eq(jnet_address_unpack(NULL, h, sizeof h, &p), JNET_EINVAL);
  ck_assert_int_eq(jnet_address_unpack(&a, NULL, sizeof h, &p), JNET_EINVAL);
  ck_assert_int_eq(jnet_address_unpack(&a, h, sizeof h, NULL), JNET_EINVAL);
  memset(&a, 0, sizeof a); /* AF_UNSPEC */
  a.len = sizeof a.u.in4;
  ck_assert_int_eq(jnet_address_unpack(&a, h, sizeof h, &p), JNET_EAFNOSUPPORT);
  t->done = 1;
  conf_close(t);
}
END_TEST

static void f_ports(void *arg) {
  conf *t = arg;
  jnet_addr a;
  char h[64];
  int p = 0;
  CONF_REC(t, 0, jnet_address("127.0.0.1", "http", JNET_STREAM, &a));
  CONF_REC(t, 1, jnet_address_unpack(&a, h, sizeof h, &p));
  CONF_REC(t, 2, p);
  CONF_REC(t, 3, jnet_address("127.0.0.1", "70000", JNET_STREAM, &a));
  CONF_REC(t, 4, jnet_address("127.0.0.1", "65536", JNET_STREAM, &a));
  CONF_REC(t, 5, jnet_address("127.0.0.1", "-1", JNET_STREAM, &a));
  CONF_REC(t, 6, jnet_address("::1", "70000", JNET_DATAGRAM, &a));
  CONF_REC(t, 7, jnet_listen("127.0.0.1", "70000", JNET_STREAM, &t->s[15]));
  CONF_REC(
      t, 8,
      jnet_connect("127.0.0.1", "70000", JNET_STREAM, NULL, NULL, &t->s[15]));
  CONF_REC(t, 9, jnet_address("127.0.0.1", "0", JNET_STREAM, &a));
  t->done = 1;
}

START_TEST(service_http_is_port_80_and_port_70000_gives_eai_service) {
  conf *t = conf_open();
  conf_run(t, f_ports);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 80);
  for (int i = 3; i <= 8; i++)
    CONF_EQ(t, i, JNET_EAI_SERVICE);
  CONF_EQ(t, 9, 0);
  conf_close(t);
}
END_TEST

static void f_noname(void *arg) {
  conf *t = arg;
  jnet_addr a;
  jnet_stream s;
  CONF_REC(t, 0, jnet_address("bad..name", "80", JNET_STREAM, &a));
  CONF_REC(t, 1, jnet_address_all("bad..name", "80", JNET_STREAM, &a, 1));
  CONF_REC(t, 2, jnet_connect("bad..name", "80", JNET_STREAM, NULL, NULL, &s));
  CONF_REC(t, 3, jnet_listen("bad..name", "80", JNET_STREAM, &s));
  t->done = 1;
}

START_TEST(unknown_host_gives_eai_noname) {
  conf *t = conf_open();
  conf_run(t, f_noname);
  for (int i = 0; i <= 3; i++)
    CONF_EQ(t, i, JNET_EAI_NONAME);
  conf_close(t);
}
END_TEST

static void f_addr_einval(void *arg) {
  conf *t = arg;
  jnet_addr a;
  CONF_REC(t, 0, jnet_address(NULL, "80", JNET_STREAM, &a));
  CONF_REC(t, 1, jnet_address("127.0.0.1", "80", JNET_STREAM, NULL));
  CONF_REC(t, 2, jnet_address("127.0.0.1", "80", 2, &a));
  CONF_REC(t, 3, jnet_address("127.0.0.1", "80", -1, &a));
  CONF_REC(t, 4, jnet_address(JNET_UNIX, NULL, JNET_STREAM, &a));
  CONF_REC(t, 5, jnet_address_all(NULL, "80", JNET_STREAM, &a, 1));
  CONF_REC(t, 6, jnet_address_all("127.0.0.1", "80", JNET_STREAM, NULL, 1));
  CONF_REC(t, 7, jnet_address_all("127.0.0.1", "80", 2, &a, 1));
  t->done = 1;
}

START_TEST(address_bad_arguments_give_einval) {
  conf *t = conf_open();
  conf_run(t, f_addr_einval);
  for (int i = 0; i <= 7; i++)
    CONF_EQ(t, i, JNET_EINVAL);
  conf_close(t);
}
END_TEST

static void f_addr_numeric(void *arg) {
  conf *t = arg;
  jnet_addr a;
  CONF_REC(t, 0, jnet_address("::1", "9", JNET_DATAGRAM, &a));
  CONF_REC(t, 1, a.u.sa.sa_family == AF_INET6);
  CONF_REC(t, 2, jnet_address("127.0.0.1", "9", JNET_DATAGRAM, &a));
  CONF_REC(t, 3, a.u.sa.sa_family == AF_INET);
  CONF_REC(t, 4, ntohs(a.u.in4.sin_port));
  t->done = 1;
}

START_TEST(address_numeric_hosts_keep_their_family) {
  conf *t = conf_open();
  conf_run(t, f_addr_numeric);
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 1);
  CONF_EQ(t, 2, 0);
  CONF_EQ(t, 3, 1);
  CONF_EQ(t, 4, 9);
  conf_close(t);
}
END_TEST

void conf_add_addr(Suite *s) {
  CONF_CASE(s, address_all_localhost_gives_127_0_0_1_and_ipv6_loopback);
  CONF_CASE(s, address_all_returns_total_which_may_exceed_cap);
  CONF_CASE(s, address_unpack_round_trips_ipv4);
  CONF_CASE(s, address_unpack_round_trips_ipv6);
  CONF_CASE(s, address_unpack_round_trips_unix_path);
  CONF_CASE(s, address_unpack_round_trips_abstract_name_with_exact_length);
  CONF_CASE(s, address_unpack_works_outside_a_fiber_and_checks_its_arguments);
  CONF_CASE(s, service_http_is_port_80_and_port_70000_gives_eai_service);
  CONF_CASE(s, unknown_host_gives_eai_noname);
  CONF_CASE(s, address_bad_arguments_give_einval);
  CONF_CASE(s, address_numeric_hosts_keep_their_family);
}
