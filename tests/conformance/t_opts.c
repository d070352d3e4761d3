/* t_opts.c — conformance: jnet_setsockopt. Each of the eight options takes
 * its value type and rejects another (JNET_EINVAL); TTL range; multicast
 * membership on sockets bound to 0.0.0.0 / :: (join twice EADDRINUSE, drop
 * never joined EADDRNOTAVAIL, IPv6 group on IPv4 ENOPROTOOPT). */
#include <string.h>

#include "conf.h"

#define GROUP4 "239.1.2.3"
#define GROUP4B "239.1.2.4"
#define GROUP6 "ff02::1:3"
#define GROUP6B "ff02::1:4"

/* s[0]: UDP on 0.0.0.0, s[1]: UDP on ::, s[2..4]: a TCP pair (srv, cli,
 * acc). Slots 0..4 hold the setup results. */
static void setup(conf *t) {
  jnet_stream u4, u6;
  CONF_REC(t, 0, conf_udp(t, "0.0.0.0", &u4));
  CONF_REC(t, 1, conf_udp(t, "::", &u6));
  CONF_REC(t, 2, conf_pair(t, "127.0.0.1", NULL));
}

static void check_setup(conf *t) {
  CONF_EQ(t, 0, 0);
  CONF_EQ(t, 1, 0);
  CONF_EQ(t, 2, 0);
}

#define U4 (t->s[0])
#define U6 (t->s[1])
#define LISTENER (t->s[2])
#define TCP (t->s[3])

static void f_broadcast(void *arg) {
  conf *t = arg;
  setup(t);
  CONF_REC(t, 10, jnet_setsockopt(U4, JNET_SO_BROADCAST, jnet_opt_bool(1)));
  CONF_REC(t, 11, jnet_setsockopt(U4, JNET_SO_BROADCAST, jnet_opt_bool(0)));
  CONF_REC(t, 12, jnet_setsockopt(U4, JNET_SO_BROADCAST, jnet_opt_int(1)));
  CONF_REC(t, 13, jnet_setsockopt(U4, JNET_SO_BROADCAST, jnet_opt_str("1")));
  t->done = 1;
}

START_TEST(setsockopt_so_broadcast_takes_a_bool) {
  conf *t = conf_open();
  conf_run(t, f_broadcast);
  check_setup(t);
  CONF_EQ(t, 10, 0);
  CONF_EQ(t, 11, 0);
  CONF_EQ(t, 12, JNET_EINVAL);
  CONF_EQ(t, 13, JNET_EINVAL);
  conf_close(t);
}
END_TEST

static void f_reuseaddr(void *arg) {
  conf *t = arg;
  setup(t);
  CONF_REC(t, 10,
           jnet_setsockopt(LISTENER, JNET_SO_REUSEADDR, jnet_opt_bool(1)));
  CONF_REC(t, 11, jnet_setsockopt(U4, JNET_SO_REUSEADDR, jnet_opt_bool(1)));
  CONF_REC(t, 12,
           jnet_setsockopt(LISTENER, JNET_SO_REUSEADDR, jnet_opt_int(1)));
  CONF_REC(t, 13,
           jnet_setsockopt(LISTENER, JNET_SO_REUSEADDR, jnet_opt_str("yes")));
  t->done = 1;
}

START_TEST(setsockopt_so_reuseaddr_takes_a_bool) {
  conf *t = conf_open();
  conf_run(t, f_reuseaddr);
  check_setup(t);
  CONF_EQ(t, 10, 0);
  CONF_EQ(t, 11, 0);
  CONF_EQ(t, 12, JNET_EINVAL);
  CONF_EQ(t, 13, JNET_EINVAL);
  conf_close(t);
}
END_TEST

static void f_keepalive(void *arg) {
  conf *t = arg;
  setup(t);
  CONF_REC(t, 10, jnet_setsockopt(TCP, JNET_SO_KEEPALIVE, jnet_opt_bool(1)));
  CONF_REC(t, 11, jnet_setsockopt(TCP, JNET_SO_KEEPALIVE, jnet_opt_bool(0)));
  CONF_REC(t, 12, jnet_setsockopt(TCP, JNET_SO_KEEPALIVE, jnet_opt_int(1)));
  CONF_REC(t, 13, jnet_write(TCP, "ok", 2, CONF_T)); /* still a stream */
  t->done = 1;
}

START_TEST(setsockopt_so_keepalive_takes_a_bool) {
  conf *t = conf_open();
  conf_run(t, f_keepalive);
  check_setup(t);
  CONF_EQ(t, 10, 0);
  CONF_EQ(t, 11, 0);
  CONF_EQ(t, 12, JNET_EINVAL);
  CONF_EQ(t, 13, 0);
  conf_close(t);
}
END_TEST

static void f_ttl(void *arg) {
  conf *t = arg;
  setup(t);
  CONF_REC(t, 10, jnet_setsockopt(U4, JNET_IP_MULTICAST_TTL, jnet_opt_int(4)));
  CONF_REC(t, 11,
           jnet_setsockopt(U4, JNET_IP_MULTICAST_TTL, jnet_opt_int(255)));
  CONF_REC(t, 12,
           jnet_setsockopt(U4, JNET_IP_MULTICAST_TTL, jnet_opt_int(256)));
  CONF_REC(t, 13, jnet_setsockopt(U4, JNET_IP_MULTICAST_TTL, jnet_opt_bool(1)));
  CONF_REC(t, 14,
           jnet_setsockopt(U4, JNET_IP_MULTICAST_TTL, jnet_opt_str("4")));
  t->done = 1;
}

START_TEST(setsockopt_ip_multicast_ttl_takes_an_int_up_to_255) {
  conf *t = conf_open();
  conf_run(t, f_ttl);
  check_setup(t);
  CONF_EQ(t, 10, 0);
  CONF_EQ(t, 11, 0);
  CONF_EQ(t, 12, JNET_EINVAL);
  CONF_EQ(t, 13, JNET_EINVAL);
  CONF_EQ(t, 14, JNET_EINVAL);
  conf_close(t);
}
END_TEST

static void f_add4(void *arg) {
  conf *t = arg;
  setup(t);
  CONF_REC(t, 10,
           jnet_setsockopt(U4, JNET_IP_ADD_MEMBERSHIP, jnet_opt_str(GROUP4)));
  CONF_REC(t, 11,
           jnet_setsockopt(U4, JNET_IP_ADD_MEMBERSHIP, jnet_opt_str(GROUP4)));
  CONF_REC(t, 12, jnet_setsockopt(U4, JNET_IP_ADD_MEMBERSHIP, jnet_opt_int(1)));
  CONF_REC(t, 13,
           jnet_setsockopt(U4, JNET_IP_ADD_MEMBERSHIP, jnet_opt_bool(1)));
  CONF_REC(t, 14,
           jnet_setsockopt(U4, JNET_IP_ADD_MEMBERSHIP,
                           jnet_opt_str("not-an-address")));
  CONF_REC(t, 15,
           jnet_setsockopt(U4, JNET_IP_ADD_MEMBERSHIP, jnet_opt_str(NULL)));
  t->done = 1;
}

START_TEST(setsockopt_ip_add_membership_takes_a_group_and_twice_eaddrinuse) {
  conf *t = conf_open();
  conf_run(t, f_add4);
  check_setup(t);
  CONF_EQ(t, 10, 0);
  CONF_EQ(t, 11, JNET_EADDRINUSE);
  CONF_EQ(t, 12, JNET_EINVAL);
  CONF_EQ(t, 13, JNET_EINVAL);
  CONF_EQ(t, 14, JNET_EINVAL);
  CONF_EQ(t, 15, JNET_EINVAL);
  conf_close(t);
}
END_TEST

static void f_drop4(void *arg) {
  conf *t = arg;
  setup(t);
  CONF_REC(t, 10,
           jnet_setsockopt(U4, JNET_IP_ADD_MEMBERSHIP, jnet_opt_str(GROUP4)));
  CONF_REC(t, 11,
           jnet_setsockopt(U4, JNET_IP_DROP_MEMBERSHIP, jnet_opt_int(0)));
  CONF_REC(t, 12,
           jnet_setsockopt(U4, JNET_IP_DROP_MEMBERSHIP, jnet_opt_str(GROUP4)));
  CONF_REC(t, 13,
           jnet_setsockopt(U4, JNET_IP_DROP_MEMBERSHIP, jnet_opt_str(GROUP4)));
  CONF_REC(t, 14,
           jnet_setsockopt(U4, JNET_IP_DROP_MEMBERSHIP, jnet_opt_str(GROUP4B)));
  CONF_REC(t, 15,
           jnet_setsockopt(U4, JNET_IP_ADD_MEMBERSHIP,
                           jnet_opt_str(GROUP4))); /* again after drop */
  t->done = 1;
}

START_TEST(setsockopt_ip_drop_membership_never_joined_eaddrnotavail) {
  conf *t = conf_open();
  conf_run(t, f_drop4);
  check_setup(t);
  CONF_EQ(t, 10, 0);
  CONF_EQ(t, 11, JNET_EINVAL);
  CONF_EQ(t, 12, 0);
  CONF_EQ(t, 13, JNET_EADDRNOTAVAIL);
  CONF_EQ(t, 14, JNET_EADDRNOTAVAIL);
  CONF_EQ(t, 15, 0);
  conf_close(t);
}
END_TEST

static void f_join6(void *arg) {
  conf *t = arg;
  setup(t);
  CONF_REC(t, 10,
           jnet_setsockopt(U6, JNET_IPV6_JOIN_GROUP, jnet_opt_str(GROUP6)));
  CONF_REC(t, 11,
           jnet_setsockopt(U6, JNET_IPV6_JOIN_GROUP, jnet_opt_str(GROUP6)));
  CONF_REC(t, 12, jnet_setsockopt(U6, JNET_IPV6_JOIN_GROUP, jnet_opt_int(3)));
  CONF_REC(
      t, 13,
      jnet_setsockopt(U6, JNET_IPV6_JOIN_GROUP, jnet_opt_str("239.1.2.3")));
  CONF_REC(t, 14,
           jnet_setsockopt(U4, JNET_IPV6_JOIN_GROUP, jnet_opt_str(GROUP6)));
  t->done = 1;
}

START_TEST(setsockopt_ipv6_join_group_takes_a_group_and_not_on_ipv4) {
  conf *t = conf_open();
  conf_run(t, f_join6);
  check_setup(t);
  CONF_EQ(t, 10, 0);
  CONF_EQ(t, 11, JNET_EADDRINUSE);
  CONF_EQ(t, 12, JNET_EINVAL);
  CONF_EQ(t, 13, JNET_EINVAL);
  CONF_EQ(t, 14, JNET_ENOPROTOOPT);
  conf_close(t);
}
END_TEST

static void f_leave6(void *arg) {
  conf *t = arg;
  setup(t);
  CONF_REC(t, 10,
           jnet_setsockopt(U6, JNET_IPV6_JOIN_GROUP, jnet_opt_str(GROUP6)));
  CONF_REC(t, 11, jnet_setsockopt(U6, JNET_IPV6_LEAVE_GROUP, jnet_opt_bool(1)));
  CONF_REC(t, 12,
           jnet_setsockopt(U6, JNET_IPV6_LEAVE_GROUP, jnet_opt_str(GROUP6)));
  CONF_REC(t, 13,
           jnet_setsockopt(U6, JNET_IPV6_LEAVE_GROUP, jnet_opt_str(GROUP6)));
  CONF_REC(t, 14,
           jnet_setsockopt(U6, JNET_IPV6_LEAVE_GROUP, jnet_opt_str(GROUP6B)));
  CONF_REC(t, 15,
           jnet_setsockopt(U4, JNET_IPV6_LEAVE_GROUP, jnet_opt_str(GROUP6)));
  t->done = 1;
}

START_TEST(setsockopt_ipv6_leave_group_never_joined_eaddrnotavail) {
  conf *t = conf_open();
  conf_run(t, f_leave6);
  check_setup(t);
  CONF_EQ(t, 10, 0);
  CONF_EQ(t, 11, JNET_EINVAL);
  CONF_EQ(t, 12, 0);
  CONF_EQ(t, 13, JNET_EADDRNOTAVAIL);
  CONF_EQ(t, 14, JNET_EADDRNOTAVAIL);
  CONF_EQ(t, 15, JNET_ENOPROTOOPT);
  conf_close(t);
}
END_TEST

static void f_unknown_opt(void *arg) {
  conf *t = arg;
  setup(t);
  CONF_REC(t, 10, jnet_setsockopt(U4, 0, jnet_opt_bool(1)));
  CONF_REC(t, 11,
           jnet_setsockopt(U4, JNET_IPV6_LEAVE_GROUP + 1, jnet_opt_bool(1)));
  CONF_REC(t, 12, jnet_setsockopt(U4, -1, jnet_opt_int(1)));
  jnet_optval bad = jnet_opt_int(1);
  bad.type = 99;
  CONF_REC(t, 13, jnet_setsockopt(U4, JNET_IP_MULTICAST_TTL, bad));
  t->done = 1;
}

START_TEST(setsockopt_unknown_option_or_value_type_einval) {
  conf *t = conf_open();
  conf_run(t, f_unknown_opt);
  check_setup(t);
  for (int i = 10; i <= 13; i++)
    CONF_EQ(t, i, JNET_EINVAL);
  conf_close(t);
}
END_TEST

static void f_mk_udp(void *arg) {
  conf *t = arg;
  setup(t);
  t->done = 1;
}

/* setsockopt works outside a fiber, on the main stack. */
START_TEST(setsockopt_works_outside_a_fiber) {
  conf *t = conf_open();
  conf_run(t, f_mk_udp);
  check_setup(t);
  ck_assert_int_eq(jnet_setsockopt(U4, JNET_SO_BROADCAST, jnet_opt_bool(1)), 0);
  ck_assert_int_eq(
      jnet_setsockopt(U4, JNET_IP_ADD_MEMBERSHIP, jnet_opt_str(GROUP4)), 0);
  ck_assert_int_eq(
      jnet_setsockopt(U4, JNET_IP_ADD_MEMBERSHIP, jnet_opt_str(GROUP4)),
      JNET_EADDRINUSE);
  ck_assert_int_eq(jnet_setsockopt(TCP, JNET_SO_KEEPALIVE, jnet_opt_bool(1)),
                   0);
  conf_close(t);
}
END_TEST

/* A multicast group on a TCP stream: Linux's ip_setsockopt answers EPROTO
 * (not ENOPROTOOPT: the option exists for the family), on both backends. */
START_TEST(setsockopt_multicast_group_on_a_stream_eproto) {
  conf *t = conf_open();
  conf_run(t, f_mk_udp);
  check_setup(t);
  ck_assert_int_eq(
      jnet_setsockopt(TCP, JNET_IP_ADD_MEMBERSHIP, jnet_opt_str(GROUP4)),
      JNET_EPROTO);
  ck_assert_str_eq(jnet_err_name(JNET_EPROTO), "EPROTO");
  conf_close(t);
}
END_TEST

void conf_add_opts(Suite *s) {
  CONF_CASE(s, setsockopt_so_broadcast_takes_a_bool);
  CONF_CASE(s, setsockopt_so_reuseaddr_takes_a_bool);
  CONF_CASE(s, setsockopt_so_keepalive_takes_a_bool);
  CONF_CASE(s, setsockopt_ip_multicast_ttl_takes_an_int_up_to_255);
  CONF_CASE(s, setsockopt_ip_add_membership_takes_a_group_and_twice_eaddrinuse);
  CONF_CASE(s, setsockopt_ip_drop_membership_never_joined_eaddrnotavail);
  CONF_CASE(s, setsockopt_ipv6_join_group_takes_a_group_and_not_on_ipv4);
  CONF_CASE(s, setsockopt_ipv6_leave_group_never_joined_eaddrnotavail);
  CONF_CASE(s, setsockopt_unknown_option_or_value_type_einval);
  CONF_CASE(s, setsockopt_works_outside_a_fiber);
  CONF_CASE(s, setsockopt_multicast_group_on_a_stream_eproto);
}
