/* test_hosts.c — hosts, the simulated DNS and service table, binding rules
 * (addresses a host has, and none beyond its list; ports in use, ephemeral
 * range). */
#include <arpa/inet.h>

#include "simtest.h"

START_TEST(host_creation_validates_names_and_addresses) {
  jnet_sim *sim;
  jnet_node *a, *b;
  ck_assert_int_eq(jnet_sim_new(&sim, 1), 0);
  const char *good[] = {"192.0.2.1", "2001:db8::1", NULL};
  ck_assert_int_eq(jnet_sim_host(sim, "a", good, &a), 0);
  ck_assert_int_eq(jnet_sim_host(sim, "a", (const char *[]){"192.0.2.9", NULL}, &b),
                   JNET_EEXIST);
  ck_assert_int_eq(jnet_sim_host(sim, "b", (const char *[]){"2001:db8::1", NULL}, &b),
                   JNET_EEXIST);
  ck_assert_int_eq(jnet_sim_host(sim, "b", (const char *[]){"not-an-ip", NULL}, &b),
                   JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_host(sim, "b", (const char *[]){NULL}, &b), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_host(sim, "", good, &b), JNET_EINVAL);
  ck_assert_int_eq(jnet_sim_host(sim, "b", (const char *[]){"192.0.2.2", NULL}, &b), 0);
  jnet_node *f;
  ck_assert_int_eq(jnet_sim_host_find(sim, "b", &f), 0);
  ck_assert_ptr_eq(f, b);
  ck_assert_int_eq(jnet_sim_host_find(sim, "zz", &f), JNET_ENOENT);
  ck_assert_str_eq(jnet_sim_host_name(a), "a");
  ck_assert_int_eq(jnet_sim_host_is_up(a), 1);
  jnet_sim_free(sim);
}
END_TEST

typedef struct rt {
  st_world *w;
  int r[24];
  jnet_addr a[64];
  int port;
} rt;

static void resolver(void *arg) {
  rt *t = arg;
  t->r[0] = jnet_address_all("h1", "http", JNET_STREAM, t->a, 8);
  t->r[1] = jnet_address_all("www.example", "443", JNET_STREAM, t->a + 2, 4);
  t->r[2] = jnet_address("nosuch", "80", JNET_STREAM, t->a + 6);
  t->r[3] = jnet_address("h1", "no-such-service", JNET_STREAM, t->a + 6);
  t->r[4] = jnet_address_all("localhost", "ssh", JNET_STREAM, t->a + 4, 2);
  /* bind rules */
  jnet_stream s1, s2, c;
  t->r[5] = jnet_listen("192.0.2.2", "80", JNET_STREAM, &s1); /* not ours */
  t->r[6] = jnet_listen("192.0.2.1", "80", JNET_STREAM, &s1);
  t->r[7] = jnet_listen("0.0.0.0", "80", JNET_STREAM, &s2); /* in use */
  t->r[8] = jnet_connect("192.0.2.1", "80", JNET_STREAM, NULL, NULL, &c);
  jnet_addr local;
  t->r[9] = jnet_localname(c, &local);
  char host[64];
  jnet_address_unpack(&local, host, sizeof host, &t->port);
  t->r[10] = strcmp(host, "192.0.2.1") == 0; /* own address: via loopback */
  t->r[11] = jnet_peername(s1, &local);
  jnet_close(c);
  jnet_close(s1);
  t->r[12] = jnet_listen("0.0.0.0", "80", JNET_STREAM, &s2); /* free again */
  jnet_close(s2);
  t->r[13] = jnet_connect("h1", "http", JNET_STREAM, "127.0.0.1", NULL, &c);
}

START_TEST(dns_services_and_bind_rules_answer_as_linux) {
  rt t = {0};
  t.w = st_new(1, 2);
  ck_assert_int_eq(jnet_sim_dns_add(t.w->sim, "www.example", "192.0.2.2"), 0);
  ck_assert_int_eq(jnet_sim_dns_add(t.w->sim, "www.example", "2001:db8::2"), 0);
  ck_assert_int_eq(jnet_sim_dns_add(t.w->sim, "bad", "x"), JNET_EINVAL);
  st_go(t.w, 0, resolver, &t);
  st_run(t.w);
  ck_assert_int_eq(t.r[0], 1);
  ck_assert_int_eq(t.a[0].u.sa.sa_family, AF_INET);
  ck_assert_int_eq(ntohs(t.a[0].u.in4.sin_port), 80);
  ck_assert_int_eq(t.r[1], 2);
  ck_assert_int_eq(t.a[3].u.sa.sa_family, AF_INET6);
  ck_assert_int_eq(ntohs(t.a[3].u.in6.sin6_port), 443);
  ck_assert_int_eq(t.r[2], JNET_EAI_NONAME);
  ck_assert_int_eq(t.r[3], JNET_EAI_SERVICE);
  ck_assert_int_eq(t.r[4], 2); /* 127.0.0.1 and ::1 */
  ck_assert_int_eq(ntohs(t.a[4].u.in4.sin_port), 22);
  ck_assert_int_eq(t.r[5], JNET_EADDRNOTAVAIL);
  ck_assert_int_eq(t.r[6], 0);
  ck_assert_int_eq(t.r[7], JNET_EADDRINUSE);
  ck_assert_int_eq(t.r[8], 0);
  ck_assert_int_eq(t.r[9], 0);
  ck_assert_int_eq(t.r[10], 1);
  ck_assert_int_ge(t.port, 32768);
  ck_assert_int_le(t.port, 60999);
  ck_assert_int_eq(t.r[11], JNET_ENOTCONN);
  ck_assert_int_eq(t.r[12], 0);
  ck_assert_int_eq(t.r[13], JNET_ECONNREFUSED); /* from 127.0.0.1 to h1:80 */
  st_free(t.w);
}
END_TEST

static void rnd(void *arg) {
  uint64_t *out = arg;
  out[0] = jnet_random();
  out[1] = jnet_random();
}

START_TEST(random_is_per_host_and_per_seed) {
  uint64_t v[3][4];
  uint64_t seeds[3] = {5, 5, 6};
  for (int k = 0; k < 3; k++) {
    st_world *w = st_new(seeds[k], 2);
    st_go(w, 0, rnd, v[k]);
    st_go(w, 1, rnd, v[k] + 2);
    st_run(w);
    st_free(w);
  }
  ck_assert_uint_eq(v[0][0], v[1][0]);
  ck_assert_uint_eq(v[0][3], v[1][3]);
  ck_assert_uint_ne(v[0][0], v[0][1]);
  ck_assert_uint_ne(v[0][0], v[0][2]); /* hosts draw from their own stream */
  ck_assert_uint_ne(v[0][0], v[2][0]);
}
END_TEST

/* Dual stack: IPv6 sockets bound to :: take IPv4 peers as ::ffff:a.b.c.d,
 * as Linux does by default (bindv6only = 0). */
static void dual_server(void *arg) {
  rt *t = arg;
  jnet_stream srv, c, u;
  t->r[0] = jnet_listen("::", "80", JNET_STREAM, &srv);
  t->r[1] = jnet_listen("::", "53", JNET_DATAGRAM, &u);
  t->r[2] = jnet_accept(srv, 10, &c);
  jnet_addr peer;
  char host[64];
  int port;
  t->r[3] = jnet_peername(c, &peer);
  jnet_address_unpack(&peer, host, sizeof host, &port);
  t->r[4] = strcmp(host, "::ffff:192.0.2.2") == 0;
  jnet_buf b;
  jnet_buf_init(&b);
  t->r[5] = (int)jnet_chunk(c, 4, &b, 10);
  t->r[6] = jnet_write(c, "pong", 4, 10);
  jnet_buf_reset(&b);
  t->r[7] = (int)jnet_recv_from(u, 100, &b, 10, &peer);
  jnet_address_unpack(&peer, host, sizeof host, &port);
  t->r[8] = strcmp(host, "::ffff:192.0.2.2") == 0;
  t->r[9] = jnet_send_to(u, &peer, "answer", 6, 10);
  jnet_buf_free(&b);
  jnet_close(c);
  jnet_close(u);
  jnet_close(srv);
}

static void dual_client(void *arg) {
  rt *t = arg;
  jnet_stream c, u;
  jnet_sleep(0.01);
  t->r[10] = jnet_connect("192.0.2.1", "80", JNET_STREAM, NULL, NULL, &c);
  t->r[11] = jnet_write(c, "ping", 4, 10);
  jnet_buf b;
  jnet_buf_init(&b);
  t->r[12] = (int)jnet_chunk(c, 4, &b, 10);
  jnet_close(c);
  t->r[13] = jnet_connect("192.0.2.1", "53", JNET_DATAGRAM, NULL, NULL, &u);
  t->r[14] = jnet_write(u, "query", 5, 10);
  jnet_buf_reset(&b);
  t->r[15] = (int)jnet_read(u, 100, &b, 10);
  t->r[16] = b.len == 6 && memcmp(b.data, "answer", 6) == 0;
  jnet_buf_free(&b);
  jnet_close(u);
}

START_TEST(ipv6_wildcard_sockets_take_ipv4_peers_as_mapped_addresses) {
  rt t = {0};
  t.w = st_new(1, 2);
  st_go(t.w, 0, dual_server, &t);
  st_go(t.w, 1, dual_client, &t);
  st_run(t.w);
  for (int i = 0; i <= 16; i++)
    ck_assert_msg(t.r[i] >= 0, "step %d: %s", i, jnet_err_name(t.r[i]));
  ck_assert_int_eq(t.r[4], 1);
  ck_assert_int_eq(t.r[5], 4);
  ck_assert_int_eq(t.r[7], 5);
  ck_assert_int_eq(t.r[8], 1);
  ck_assert_int_eq(t.r[12], 4);
  ck_assert_int_eq(t.r[15], 6);
  ck_assert_int_eq(t.r[16], 1);
  st_free(t.w);
}
END_TEST

/* A host answers only for the addresses it was given, whatever memory
 * follows its list: an allocator that pads every block and fills the slack
 * with what looks like one more address (203.0.113.99, as the model's
 * {family byte, 16 address bytes}) must not make that address the host's.
 * Binding to it is JNET_EADDRNOTAVAIL. */
#define SLACK_BYTES 64
static const uint8_t slack_addr[17] = {AF_INET, 203, 0, 113, 99};

static void fill_slack(uint8_t *p, size_t n) {
  for (size_t off = 0; off + sizeof slack_addr <= SLACK_BYTES;
       off += sizeof slack_addr)
    memcpy(p + n + off, slack_addr, sizeof slack_addr);
}

static void *slack_malloc(size_t n) {
  uint8_t *p = malloc(n + SLACK_BYTES);
  if (p != NULL)
    fill_slack(p, n);
  return p;
}

static void *slack_realloc(void *old, size_t n) {
  uint8_t *p = realloc(old, n + SLACK_BYTES);
  if (p != NULL)
    fill_slack(p, n);
  return p;
}

static void slack_binder(void *arg) {
  rt *t = arg;
  jnet_stream u;
  t->r[0] = jnet_listen("203.0.113.99", "9000", JNET_DATAGRAM, &u);
  if (t->r[0] == 0)
    jnet_close(u);
  t->r[1] = jnet_listen("192.0.2.1", "9000", JNET_DATAGRAM, &u); /* its own */
  if (t->r[1] == 0)
    jnet_close(u);
}

START_TEST(a_host_claims_no_address_beyond_its_list) {
  ck_assert_int_eq(jnet_replace_allocator(slack_malloc, slack_realloc, free), 0);
  rt t = {0};
  t.w = st_new(1, 1); /* h0: 192.0.2.1 alone */
  st_go(t.w, 0, slack_binder, &t);
  st_run(t.w);
  ck_assert_int_eq(t.r[0], JNET_EADDRNOTAVAIL);
  ck_assert_int_eq(t.r[1], 0);
  st_free(t.w);
  ck_assert_int_eq(jnet_replace_allocator(malloc, realloc, free), 0);
}
END_TEST

/* A listener bound to one IPv6 address takes only connections to that
 * address: not to the host's other IPv6 address, not to its IPv4 one (only
 * the IPv6 wildcard is dual stack), while a wildcard IPv6 listener on
 * another port takes both. */
static void v6one_server(void *arg) {
  rt *t = arg;
  jnet_stream one, any, c;
  t->r[0] = jnet_listen("2001:db8::2", "80", JNET_STREAM, &one);
  t->r[1] = jnet_listen("::", "81", JNET_STREAM, &any);
  if (t->r[0] < 0 || t->r[1] < 0)
    return;
  for (int i = 0; i < 3; i++) {
    jnet_stream l = i == 0 ? one : any;
    if (jnet_accept(l, 5, &c) == 0) {
      t->r[2 + i] = 1;
      jnet_close(c);
    }
  }
  jnet_close(one);
  jnet_close(any);
}

static void v6one_client(void *arg) {
  rt *t = arg;
  jnet_stream c;
  const char *to[] = {"2001:db8::2", "2001:db8::3", "192.0.2.2", "2001:db8::3",
                      "192.0.2.2"};
  const char *port[] = {"80", "80", "80", "81", "81"};
  jnet_sleep(0.01);
  for (int i = 0; i < 5; i++) {
    t->r[5 + i] = jnet_connect(to[i], port[i], JNET_STREAM, NULL, NULL, &c);
    if (t->r[5 + i] == 0)
      jnet_close(c);
  }
}

START_TEST(a_listener_on_one_ipv6_address_takes_only_that_address) {
  rt t = {0};
  t.w = st_new(1, 0);
  const char *a0[] = {"192.0.2.1", "2001:db8::1", NULL};
  const char *a1[] = {"192.0.2.2", "2001:db8::2", "2001:db8::3", NULL};
  ck_assert_int_eq(jnet_sim_host(t.w->sim, "h0", a0, &t.w->h[0]), 0);
  ck_assert_int_eq(jnet_sim_host(t.w->sim, "h1", a1, &t.w->h[1]), 0);
  t.w->n = 2;
  st_go(t.w, 1, v6one_server, &t);
  st_go(t.w, 0, v6one_client, &t);
  st_run(t.w);
  ck_assert_int_eq(t.r[0], 0);
  ck_assert_int_eq(t.r[1], 0);
  ck_assert_int_eq(t.r[5], 0);                 /* its own address */
  ck_assert_int_eq(t.r[6], JNET_ECONNREFUSED); /* the host's other one */
  ck_assert_int_eq(t.r[7], JNET_ECONNREFUSED); /* the host's IPv4 one */
  ck_assert_int_eq(t.r[8], 0);                 /* wildcard: IPv6 */
  ck_assert_int_eq(t.r[9], 0);                 /* wildcard: IPv4 too */
  ck_assert_int_eq(t.r[2], 1);
  ck_assert_int_eq(t.r[3], 1);
  ck_assert_int_eq(t.r[4], 1);
  st_free(t.w);
}
END_TEST

/* The loopback addresses a host owns are 127.0.0.1 and ::1 (the model's
 * choice; Linux answers for all of 127/8): binding to ::1 works, to other
 * 127/8 addresses is JNET_EADDRNOTAVAIL. */
static void lo_binder(void *arg) {
  rt *t = arg;
  const char *addrs[] = {"::1", "127.0.0.1", "127.0.0.2", "127.0.1.1",
                         "127.1.0.1"};
  for (int i = 0; i < 5; i++) {
    jnet_stream u;
    t->r[i] = jnet_listen(addrs[i], "9000", JNET_DATAGRAM, &u);
    if (t->r[i] == 0)
      jnet_close(u);
  }
}

START_TEST(a_host_owns_127_0_0_1_and_ipv6_loopback_only) {
  rt t = {0};
  t.w = st_new(1, 1);
  st_go(t.w, 0, lo_binder, &t);
  st_run(t.w);
  ck_assert_int_eq(t.r[0], 0);
  ck_assert_int_eq(t.r[1], 0);
  for (int i = 2; i < 5; i++)
    ck_assert_msg(t.r[i] == JNET_EADDRNOTAVAIL, "address %d: %s", i,
                  jnet_err_name(t.r[i]));
  st_free(t.w);
}
END_TEST

/* A name with 40 records: jnet_address_all counts them all and stores as
 * many as fit, in the order they were added: 8 of them in room for 8, all
 * 40 in room for 64 (more than the backend resolves into at once). */
static int first_n_are_the_records(const jnet_addr *a, int n) {
  char host[64];
  int port;
  for (int i = 0; i < n; i++) {
    char want[32];
    snprintf(want, sizeof want, "10.0.0.%d", i + 1);
    if (jnet_address_unpack(&a[i], host, sizeof host, &port) < 0 ||
        strcmp(host, want) != 0 || port != 80)
      return 0;
  }
  return 1;
}

static void many_resolver(void *arg) {
  rt *t = arg;
  t->r[0] = jnet_address_all("many.example", "80", JNET_STREAM, t->a, 8);
  t->r[1] = first_n_are_the_records(t->a, 8);
  memset(t->a, 0, sizeof t->a);
  t->r[2] = jnet_address_all("many.example", "80", JNET_STREAM, t->a, 64);
  t->r[3] = first_n_are_the_records(t->a, 40);
  t->r[4] = t->a[40].len == 0; /* nothing past the 40 */
}

START_TEST(a_name_with_many_records_counts_them_all) {
  rt t = {0};
  t.w = st_new(1, 1);
  for (int i = 0; i < 40; i++) {
    char a[32];
    snprintf(a, sizeof a, "10.0.0.%d", i + 1);
    ck_assert_int_eq(jnet_sim_dns_add(t.w->sim, "many.example", a), 0);
  }
  st_go(t.w, 0, many_resolver, &t);
  st_run(t.w);
  ck_assert_int_eq(t.r[0], 40);
  ck_assert_int_eq(t.r[1], 1);
  ck_assert_int_eq(t.r[2], 40);
  ck_assert_int_eq(t.r[3], 1);
  ck_assert_int_eq(t.r[4], 1);
  st_free(t.w);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("sim-hosts");
  jc_defaults(30, NULL, NULL);
  JC_TEST(s, host_creation_validates_names_and_addresses);
  JC_TEST(s, dns_services_and_bind_rules_answer_as_linux);
  JC_TEST(s, random_is_per_host_and_per_seed);
  JC_TEST(s, ipv6_wildcard_sockets_take_ipv4_peers_as_mapped_addresses);
  JC_TEST(s, a_host_claims_no_address_beyond_its_list);
  JC_TEST(s, a_listener_on_one_ipv6_address_takes_only_that_address);
  JC_TEST(s, a_host_owns_127_0_0_1_and_ipv6_loopback_only);
  JC_TEST(s, a_name_with_many_records_counts_them_all);
  return s;
}

int main(void) { return st_run_suite(suite()); }
