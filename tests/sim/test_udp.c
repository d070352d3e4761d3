/* test_udp.c — the UDP model through jnet.h: size limits across small MTUs,
 * truncation, loss, duplication, corruption, broadcast and multicast with
 * Linux's option answers, ICMP port unreachable on a connected socket, a
 * connected socket's sender filter, and each datagram routed to its own
 * destination. */
#include <math.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include "simtest.h"

#include "model.h" /* jnet__sim_hostaddr: the record a poisoned block mimics */

typedef struct ut {
  st_world *w;
  int r[32];
  int nsend, got, got_h[8];
  const char *group;
  jnet_link_params *lp;
  unsigned char big[65508];
} ut;

static jnet_addr addr_of(const char *host, const char *port) {
  jnet_addr a;
  ck_assert_int_eq(jnet_address(host, port, JNET_DATAGRAM, &a), 0);
  return a;
}

/* ---- Sizes ----------------------------------------------------------------- */

static void big_recv(void *arg) {
  ut *t = arg;
  jnet_stream u;
  t->r[0] = jnet_listen("192.0.2.2", "9000", JNET_DATAGRAM, &u);
  jnet_buf b;
  jnet_buf_init(&b);
  t->r[1] = (int)jnet_recv_from(u, 70000, &b, 10, NULL);
  t->r[2] = b.len == 65507 && memcmp(b.data, t->big, 65507) == 0;
  jnet_buf_reset(&b);
  t->r[3] = (int)jnet_recv_from(u, 10, &b, 10, NULL); /* truncated */
  t->r[4] = b.len == 10 && memcmp(b.data, "0123456789", 10) == 0;
  jnet_buf_free(&b);
  jnet_close(u);
}

static void big_send(void *arg) {
  ut *t = arg;
  jnet_stream u;
  jnet_sleep(0.001);
  t->r[6] = jnet_listen("192.0.2.1", NULL, JNET_DATAGRAM, &u);
  jnet_addr dst = addr_of("192.0.2.2", "9000");
  t->r[7] = jnet_send_to(u, &dst, t->big, 65508, 1);
  t->r[8] = jnet_send_to(u, &dst, t->big, 65507, 1);
  t->r[9] = jnet_send_to(u, &dst, "0123456789abcdef", 16, 1);
  jnet_close(u);
}

START_TEST(max_datagram_crosses_a_small_mtu_intact_and_bigger_is_emsgsize) {
  ut *t = calloc(1, sizeof *t);
  t->w = st_new(1, 2);
  for (size_t i = 0; i < sizeof t->big; i++)
    t->big[i] = st_byte(i);
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.mtu = 576;
  ck_assert_int_eq(jnet_sim_link(t->w->sim, t->w->h[0], t->w->h[1], &lp), 0);
  st_go(t->w, 1, big_recv, t);
  st_go(t->w, 0, big_send, t);
  st_run(t->w);
  ck_assert_int_eq(t->r[0], 0);
  ck_assert_int_eq(t->r[6], 0);
  ck_assert_int_eq(t->r[7], JNET_EMSGSIZE);
  ck_assert_int_eq(t->r[8], 0);
  ck_assert_int_eq(t->r[1], 65507);
  ck_assert_int_eq(t->r[2], 1);
  ck_assert_int_eq(t->r[3], 10);
  ck_assert_int_eq(t->r[4], 1);
  jnet_sim_stats st;
  jnet_sim_get_stats(t->w->sim, &st);
  /* 65,515 bytes of UDP in 552-byte fragments: 119 IP headers of 20 (an
   * IPv4 fragment carries no extension header, unlike IPv6's 8), then the
   * 16-byte datagram whole: 20 + 8 + 16; nothing else crosses */
  ck_assert_uint_eq(st.bytes_sent, 65515 + 119 * 20 + 20 + 8 + 16);
  st_free(t->w);
  free(t);
}
END_TEST

/* ---- Loss, duplication, corruption ------------------------------------------ */

static void count_recv(void *arg) {
  ut *t = arg;
  jnet_stream u;
  t->r[0] = jnet_listen("192.0.2.2", "9000", JNET_DATAGRAM, &u);
  jnet_buf b;
  jnet_buf_init(&b);
  for (;;) {
    jnet_buf_reset(&b);
    ssize_t r = jnet_recv_from(u, 100, &b, 1.0, NULL);
    if (r < 0)
      break;
    t->got++;
    if (r != 32 || memcmp(b.data, "abcdefghijklmnopqrstuvwxyz012345", 32) != 0)
      t->r[1]++; /* corrupted */
  }
  jnet_buf_free(&b);
  jnet_close(u);
}

static void count_send(void *arg) {
  ut *t = arg;
  jnet_stream u;
  jnet_sleep(0.001);
  jnet_listen("192.0.2.1", NULL, JNET_DATAGRAM, &u);
  jnet_addr dst = addr_of("192.0.2.2", "9000");
  for (int i = 0; i < t->nsend; i++) {
    jnet_send_to(u, &dst, "abcdefghijklmnopqrstuvwxyz012345", 32, 1);
    jnet_sleep(0.001);
  }
  jnet_close(u);
}

static ut *count_run(uint64_t seed, const jnet_link_params *lp, int n) {
  ut *t = calloc(1, sizeof *t);
  t->w = st_new(seed, 2);
  t->nsend = n;
  ck_assert_int_eq(jnet_sim_link(t->w->sim, t->w->h[0], t->w->h[1], lp), 0);
  st_go(t->w, 1, count_recv, t);
  st_go(t->w, 0, count_send, t);
  st_run(t->w);
  ck_assert_int_eq(t->r[0], 0);
  return t;
}

START_TEST(loss_drops_about_the_configured_fraction) {
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.loss = 0.3;
  ut *t = count_run(4, &lp, 2000);
  double sd = sqrt(2000 * 0.3 * 0.7); /* binomial */
  ck_assert_msg(fabs(t->got - 1400.0) <= 5 * sd, "got %d of 2000", t->got);
  ck_assert_int_eq(t->r[1], 0);
  st_free(t->w);
  free(t);
}
END_TEST

START_TEST(duplication_delivers_twice_and_corruption_flips_a_bit) {
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.duplicate = 1.0;
  ut *t = count_run(4, &lp, 100);
  ck_assert_int_eq(t->got, 200);
  ck_assert_int_eq(t->r[1], 0);
  st_free(t->w);
  free(t);
  jnet_link_params_default(&lp);
  lp.corrupt = 0.5;
  t = count_run(4, &lp, 1000);
  ck_assert_int_eq(t->got, 1000);
  double sd = sqrt(1000 * 0.25);
  ck_assert_msg(fabs(t->r[1] - 500.0) <= 5 * sd, "%d corrupted", t->r[1]);
  st_free(t->w);
  free(t);
}
END_TEST

/* ---- Routing ------------------------------------------------------------- */

/* Each datagram goes to the host of its own destination, whatever the
 * sender sent before: h0 sends to h1, h2, h1, then to the unspecified
 * address 0.0.0.0, which is no other host's (Linux delivers it locally;
 * here h0 has no socket on that port), so h1 counts 2 and h2 counts 1. */
static void route_recv(void *arg) {
  ut *t = arg;
  jnet_node *self = jnet_self_node();
  int idx = self == t->w->h[1] ? 1 : 2;
  jnet_stream u;
  if (jnet_listen("0.0.0.0", "9000", JNET_DATAGRAM, &u) < 0)
    return;
  jnet_buf b;
  jnet_buf_init(&b);
  while (jnet_recv_from(u, 100, &b, 1.0, NULL) >= 0)
    t->got_h[idx]++;
  jnet_buf_free(&b);
  jnet_close(u);
}

static void route_send(void *arg) {
  ut *t = arg;
  jnet_stream u;
  jnet_sleep(0.001);
  t->r[0] = jnet_listen("192.0.2.1", NULL, JNET_DATAGRAM, &u);
  const char *to[] = {"192.0.2.2", "192.0.2.3", "192.0.2.2", "0.0.0.0"};
  for (int i = 0; i < 4; i++) {
    jnet_addr dst = addr_of(to[i], "9000");
    jnet_send_to(u, &dst, "r", 1, 1);
    jnet_sleep(0.01);
  }
  jnet_close(u);
}

START_TEST(each_datagram_goes_to_its_own_destination) {
  ut *t = calloc(1, sizeof *t);
  t->w = st_new(1, 3);
  st_go(t->w, 1, route_recv, t);
  st_go(t->w, 2, route_recv, t);
  st_go(t->w, 0, route_send, t);
  st_run(t->w);
  ck_assert_int_eq(t->r[0], 0);
  ck_assert_int_eq(t->got_h[1], 2);
  ck_assert_int_eq(t->got_h[2], 1);
  st_free(t->w);
  free(t);
}
END_TEST

/* ---- Broadcast and multicast ------------------------------------------------- */

static void member(void *arg) { /* hosts 1..4 listen on 5000; 1, 2 join */
  ut *t = arg;
  jnet_node *self = jnet_self_node();
  int idx = -1;
  for (int i = 0; i < t->w->n; i++)
    if (t->w->h[i] == self)
      idx = i;
  jnet_stream u;
  int err = jnet_listen("0.0.0.0", "5000", JNET_DATAGRAM, &u);
  if (err < 0) {
    t->r[20 + idx] = err;
    return;
  }
  if (t->group && idx <= 2) {
    t->r[10 + idx] = jnet_setsockopt(u, JNET_IP_ADD_MEMBERSHIP, jnet_opt_str(t->group));
    if (idx == 1) { /* Linux's answers */
      t->r[13] = jnet_setsockopt(u, JNET_IP_ADD_MEMBERSHIP, jnet_opt_str(t->group));
      t->r[14] = jnet_setsockopt(u, JNET_IP_DROP_MEMBERSHIP, jnet_opt_str("239.9.9.9"));
      t->r[15] = jnet_setsockopt(u, JNET_IPV6_JOIN_GROUP, jnet_opt_str("ff02::1"));
      t->r[16] = jnet_setsockopt(u, JNET_IP_MULTICAST_TTL, jnet_opt_int(256));
      t->r[17] = jnet_setsockopt(u, JNET_IP_ADD_MEMBERSHIP, jnet_opt_str("10.0.0.1"));
      t->r[18] = jnet_setsockopt(u, JNET_IP_MULTICAST_TTL, jnet_opt_int(8));
    }
  }
  jnet_buf b;
  jnet_buf_init(&b);
  while (jnet_recv_from(u, 100, &b, 1.0, NULL) >= 0)
    t->got_h[idx]++;
  jnet_buf_free(&b);
  jnet_close(u);
}

static void caster(void *arg) {
  ut *t = arg;
  jnet_stream u;
  jnet_sleep(0.01);
  jnet_listen("192.0.2.1", NULL, JNET_DATAGRAM, &u);
  if (t->group) {
    jnet_addr dst = addr_of(t->group, "5000");
    t->r[0] = jnet_send_to(u, &dst, "m", 1, 1);
  } else {
    jnet_addr dst = addr_of("192.0.2.255", "5000");
    t->r[0] = jnet_send_to(u, &dst, "b", 1, 1);
    t->r[1] = jnet_setsockopt(u, JNET_SO_BROADCAST, jnet_opt_bool(1));
    t->r[2] = jnet_send_to(u, &dst, "b", 1, 1);
    dst = addr_of("255.255.255.255", "5000");
    t->r[3] = jnet_send_to(u, &dst, "b", 1, 1);
  }
  jnet_close(u);
}

static ut *cast_world(const char *group) {
  ut *t = calloc(1, sizeof *t);
  t->w = st_new(1, 3); /* 192.0.2.1-3 */
  t->group = group;
  const char *far[] = {"198.51.100.7", NULL};
  ck_assert_int_eq(jnet_sim_host(t->w->sim, "far", far, &t->w->h[3]), 0);
  t->w->n = 4;
  for (int i = 1; i < 4; i++)
    st_go(t->w, i, member, t);
  st_go(t->w, 0, caster, t);
  st_run(t->w);
  return t;
}

/* _i 1: every block jnet allocates is followed by a host address record
 * of the broadcast's subnet (192.0.2.0/24), so a host that looked past the
 * end of its address list would hear the broadcast: "far" must still not
 * (the memory after a block is anything; this makes it the worst case). */
static void *poisoned_malloc(size_t n) {
  unsigned char *p = malloc(n + sizeof(jnet__sim_hostaddr));
  if (p != NULL) {
    jnet__sim_hostaddr fake = {.family = AF_INET, .ip = {192, 0, 2, 77}};
    memcpy(p + n, &fake, sizeof fake);
  }
  return p;
}

static void *poisoned_realloc(void *q, size_t n) {
  unsigned char *p = realloc(q, n + sizeof(jnet__sim_hostaddr));
  if (p != NULL) {
    jnet__sim_hostaddr fake = {.family = AF_INET, .ip = {192, 0, 2, 77}};
    memcpy(p + n, &fake, sizeof fake);
  }
  return p;
}

START_TEST(broadcast_needs_so_broadcast_and_reaches_the_subnet) {
  if (_i == 1)
    ck_assert_int_eq(
        jnet_replace_allocator(poisoned_malloc, poisoned_realloc, free), 0);
  ut *t = cast_world(NULL);
  ck_assert_int_eq(t->r[0], JNET_EACCES);
  ck_assert_int_eq(t->r[1], 0);
  ck_assert_int_eq(t->r[2], 0);
  ck_assert_int_eq(t->r[3], 0);
  ck_assert_int_eq(t->got_h[1], 2); /* subnet + limited broadcast */
  ck_assert_int_eq(t->got_h[2], 2);
  ck_assert_int_eq(t->got_h[3], 0); /* another subnet */
  st_free(t->w);
  free(t);
  jnet_replace_allocator(malloc, realloc, free);
}
END_TEST

START_TEST(multicast_reaches_members_only_with_linux_option_answers) {
  ut *t = cast_world("239.1.2.3");
  ck_assert_int_eq(t->r[0], 0);
  ck_assert_int_eq(t->r[11], 0);
  ck_assert_int_eq(t->r[12], 0);
  ck_assert_int_eq(t->r[13], JNET_EADDRINUSE);
  ck_assert_int_eq(t->r[14], JNET_EADDRNOTAVAIL);
  ck_assert_int_eq(t->r[15], JNET_ENOPROTOOPT);
  ck_assert_int_eq(t->r[16], JNET_EINVAL);
  ck_assert_int_eq(t->r[17], JNET_EINVAL);
  ck_assert_int_eq(t->r[18], 0);
  ck_assert_int_eq(t->got_h[1], 1);
  ck_assert_int_eq(t->got_h[2], 1);
  ck_assert_int_eq(t->got_h[3], 0);
  st_free(t->w);
  free(t);
}
END_TEST

/* ---- Connected sockets ---------------------------------------------------------- */

static void icmp_client(void *arg) {
  ut *t = arg;
  jnet_stream c;
  t->r[0] = jnet_connect("192.0.2.2", "9999", JNET_DATAGRAM, NULL, NULL, &c);
  t->r[1] = jnet_write(c, "anyone?", 7, 1);
  jnet_buf b;
  jnet_buf_init(&b);
  t->r[2] = (int)jnet_read(c, 100, &b, 5);
  t->r[3] = (int)jnet_read(c, 100, &b, 0.5); /* the error was consumed */
  t->r[4] = jnet_shutdown(c, JNET_SHUT_RDWR);
  jnet_close(c);
  jnet_stream u;
  jnet_listen("192.0.2.1", NULL, JNET_DATAGRAM, &u);
  t->r[5] = jnet_shutdown(u, JNET_SHUT_RDWR); /* unconnected */
  jnet_buf_free(&b);
  jnet_close(u);
}

START_TEST(port_unreachable_refuses_the_next_read_of_a_connected_socket) {
  ut t = {0};
  t.w = st_new(1, 2);
  st_go(t.w, 0, icmp_client, &t);
  st_run(t.w);
  ck_assert_int_eq(t.r[0], 0);
  ck_assert_int_eq(t.r[1], 0);
  ck_assert_int_eq(t.r[2], JNET_ECONNREFUSED);
  ck_assert_int_eq(t.r[3], JNET_ETIMEDOUT);
  ck_assert_int_eq(t.r[4], 0);
  ck_assert_int_eq(t.r[5], JNET_ENOTCONN);
  st_free(t.w);
}
END_TEST

static void filter_server(void *arg) { /* h1: connected to h0:7000 */
  ut *t = arg;
  jnet_stream c;
  t->r[0] = jnet_connect("192.0.2.1", "7000", JNET_DATAGRAM, "192.0.2.2", "7001", &c);
  jnet_buf b;
  jnet_buf_init(&b);
  t->r[1] = (int)jnet_read(c, 100, &b, 5);
  t->r[2] = b.len == 4 && memcmp(b.data, "good", 4) == 0;
  jnet_buf_free(&b);
  jnet_close(c);
}

static void filter_sender(void *arg) {
  ut *t = arg;
  jnet_node *self = jnet_self_node();
  jnet_stream u;
  jnet_sleep(0.01);
  if (self == t->w->h[2]) { /* the stranger sends first */
    jnet_listen("192.0.2.3", "7000", JNET_DATAGRAM, &u);
    jnet_addr dst = addr_of("192.0.2.2", "7001");
    t->r[3] = jnet_send_to(u, &dst, "evil", 4, 1);
  } else {
    jnet_sleep(0.01);
    jnet_listen("192.0.2.1", "7000", JNET_DATAGRAM, &u);
    jnet_addr dst = addr_of("192.0.2.2", "7001");
    t->r[4] = jnet_send_to(u, &dst, "good", 4, 1);
  }
  jnet_close(u);
}

START_TEST(connected_socket_drops_datagrams_from_other_senders) {
  ut t = {0};
  t.w = st_new(1, 3);
  st_go(t.w, 1, filter_server, &t);
  st_go(t.w, 2, filter_sender, &t);
  st_go(t.w, 0, filter_sender, &t);
  st_run(t.w);
  for (int i = 0; i <= 4; i++)
    ck_assert_msg(t.r[i] >= 0, "step %d: %s", i, jnet_err_name(t.r[i]));
  ck_assert_int_eq(t.r[1], 4);
  ck_assert_int_eq(t.r[2], 1);
  st_free(t.w);
}
END_TEST

/* ---- Unix datagrams ------------------------------------------------------------ */

static void unix_dgram(void *arg) {
  ut *t = arg;
  jnet_stream a, b, dup;
  t->r[0] = jnet_listen(JNET_UNIX, "/run/a.sock", JNET_DATAGRAM, &a);
  t->r[1] = jnet_listen(JNET_UNIX, "@b", JNET_DATAGRAM, &b);
  t->r[2] = jnet_listen(JNET_UNIX, "/run/a.sock", JNET_DATAGRAM, &dup) ==
            JNET_EADDRINUSE;
  jnet_addr to;
  jnet_address(JNET_UNIX, "@b", JNET_DATAGRAM, &to);
  t->r[3] = jnet_send_to(a, &to, "unix!", 5, 1);
  jnet_buf buf;
  jnet_buf_init(&buf);
  jnet_addr from;
  t->r[4] = (int)jnet_recv_from(b, 100, &buf, 1, &from);
  char host[128];
  int port = 0;
  t->r[5] = jnet_address_unpack(&from, host, sizeof host, &port);
  t->r[6] = strcmp(host, "/run/a.sock") == 0 && port == -1;
  t->r[7] = buf.len == 5 && memcmp(buf.data, "unix!", 5) == 0;
  jnet_address(JNET_UNIX, "/run/none.sock", JNET_DATAGRAM, &to);
  t->r[8] = jnet_send_to(a, &to, "x", 1, 1);
  jnet_buf_free(&buf);
  jnet_close(a);
  jnet_close(b);
}

START_TEST(unix_datagrams_carry_the_sender_path) {
  ut t = {0};
  t.w = st_new(1, 1);
  st_go(t.w, 0, unix_dgram, &t);
  st_run(t.w);
  ck_assert_int_eq(t.r[0], 0);
  ck_assert_int_eq(t.r[1], 0);
  ck_assert_int_eq(t.r[2], 1);
  ck_assert_int_eq(t.r[3], 0);
  ck_assert_int_eq(t.r[4], 5);
  ck_assert_int_eq(t.r[5], 0);
  ck_assert_int_eq(t.r[6], 1);
  ck_assert_int_eq(t.r[7], 1);
  ck_assert_int_eq(t.r[8], JNET_ENOENT);
  st_free(t.w);
}
END_TEST

/* ---- Capture ----------------------------------------------------------------- */

static int pcap_records(const char *path) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t *p = pcap_open_offline(path, err);
  ck_assert_msg(p != NULL, "%s", err);
  struct pcap_pkthdr *h;
  const u_char *d;
  int n = 0;
  while (pcap_next_ex(p, &h, &d) == 1)
    n++;
  pcap_close(p);
  return n;
}

static void pairs_send(void *arg) {
  ut *t = arg;
  int me = jnet_self_node() == t->w->h[0] ? 0 : 2;
  jnet_stream u;
  char from[32], to[32];
  st_addr(me, from, sizeof from);
  st_addr(me + 1, to, sizeof to);
  jnet_listen(from, NULL, JNET_DATAGRAM, &u);
  jnet_addr dst = addr_of(to, "9");
  for (int i = 0; i < (me == 0 ? 10 : 5); i++)
    jnet_send_to(u, &dst, "x", 1, 1);
  jnet_close(u);
}

static int capture_run(int host) {
  ut *t = calloc(1, sizeof *t);
  t->w = st_new(1, 4);
  char path[] = "/tmp/jnet-sim-capXXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  close(fd);
  jnet_node *h = host < 0 ? NULL : t->w->h[host];
  ck_assert_int_eq(jnet_sim_pcap_open(t->w->sim, path, h), 0);
  ck_assert_int_eq(jnet_sim_pcap_open(t->w->sim, path, h), JNET_EBUSY);
  st_go(t->w, 0, pairs_send, t);
  st_go(t->w, 2, pairs_send, t);
  st_run(t->w);
  ck_assert_int_eq(jnet_sim_pcap_close(t->w->sim), 0);
  int n = pcap_records(path);
  unlink(path);
  st_free(t->w);
  free(t);
  return n;
}

START_TEST(capture_records_every_packet_of_the_network_or_of_one_host) {
  /* nobody listens on port 9: each datagram is on the wire, and so is the
   * ICMP port unreachable it draws */
  ck_assert_int_eq(capture_run(-1), 30);
  ck_assert_int_eq(capture_run(1), 20);
  ck_assert_int_eq(capture_run(3), 10);
  ck_assert_int_eq(capture_run(0), 20);
}
END_TEST

/* An IPv4 datagram is captured whole while its IP packet (payload + 20 +
 * 8 bytes of headers) fits the link's 1500-byte MTU, and as fragments,
 * none over the MTU, from one byte more: 1472 bytes is one frame of 1500,
 * 1473 and 1480 are two. Port 9 has no listener: each draws an ICMP port
 * unreachable (one more frame, under 576 bytes). */
static void sizes_send(void *arg) {
  const size_t *len = arg;
  static char big[1500];
  jnet_stream u;
  jnet_addr dst = addr_of("192.0.2.2", "9");
  if (jnet_listen("192.0.2.1", NULL, JNET_DATAGRAM, &u) == 0) {
    jnet_send_to(u, &dst, big, *len, 1);
    jnet_close(u);
  }
}

static void frames_of(size_t len, int *frames, size_t *largest) {
  st_world *w = st_new(1, 2);
  char path[] = "/tmp/jnet-sim-mtuXXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  close(fd);
  ck_assert_int_eq(jnet_sim_pcap_open(w->sim, path, NULL), 0);
  st_go(w, 0, sizes_send, &len);
  st_run(w);
  ck_assert_int_eq(jnet_sim_pcap_close(w->sim), 0);
  char err[PCAP_ERRBUF_SIZE];
  pcap_t *p = pcap_open_offline(path, err);
  ck_assert_msg(p != NULL, "%s", err);
  struct pcap_pkthdr *h;
  const u_char *d;
  *frames = 0;
  *largest = 0;
  while (pcap_next_ex(p, &h, &d) == 1) {
    (*frames)++;
    if (h->len > *largest)
      *largest = h->len;
  }
  pcap_close(p);
  unlink(path);
  st_free(w);
}

START_TEST(capture_fragments_from_one_byte_over_the_mtu) {
  int frames;
  size_t largest;
  frames_of(1472, &frames, &largest);
  ck_assert_int_eq(frames, 1 + 1);
  ck_assert_uint_eq(largest, 1500);
  frames_of(1473, &frames, &largest);
  ck_assert_int_eq(frames, 2 + 1);
  ck_assert_uint_le(largest, 1500);
  frames_of(1480, &frames, &largest);
  ck_assert_int_eq(frames, 2 + 1);
  ck_assert_uint_le(largest, 1500);
}
END_TEST

/* Datagrams of growing sizes over the large-packet pool: a buffer freed by
 * a 2,000-byte datagram is too small for the 4,000-byte one after it,
 * which gets its own; each arrives whole, byte for byte. */
static void grow_recv(void *arg) {
  int *ok = arg;
  jnet_stream u;
  jnet_buf b;
  jnet_buf_init(&b);
  if (jnet_listen("192.0.2.2", "9000", JNET_DATAGRAM, &u) == 0) {
    for (size_t n = 2000; n <= 6000; n += 2000) {
      jnet_buf_reset(&b);
      if (jnet_recv_from(u, 8192, &b, 5, NULL) == (ssize_t)n &&
          (unsigned char)b.data[n - 1] == (unsigned char)(n / 1000))
        (*ok)++;
    }
    jnet_close(u);
  }
  jnet_buf_free(&b);
}

static void grow_send(void *arg) {
  (void)arg;
  static char big[6000];
  jnet_stream u;
  jnet_addr dst = addr_of("192.0.2.2", "9000");
  if (jnet_listen("192.0.2.1", NULL, JNET_DATAGRAM, &u) == 0) {
    for (size_t n = 2000; n <= 6000; n += 2000) {
      memset(big, (int)(n / 1000), n);
      jnet_send_to(u, &dst, big, n, 1);
      jnet_sleep(0.01); /* delivered and freed before the next */
    }
    jnet_close(u);
  }
}

START_TEST(growing_datagrams_each_get_a_buffer_that_holds_them) {
  st_world *w = st_new(1, 2);
  int ok = 0;
  st_go(w, 1, grow_recv, &ok);
  st_go(w, 0, grow_send, NULL);
  st_run(w);
  ck_assert_int_eq(ok, 3);
  st_free(w);
}
END_TEST

/* ---- A waiting reader and a queued datagram -------------------------------- */

/* The first datagram finds its reader waiting (handed over straight, in
 * sim/udp.c), the second waits in the queue for the next read: both read
 * the same way, truncated to the read's size, with the sender's address. */
typedef struct twoway {
  jnet_addr sender, from[2];
  int r[4];
  char got[2][8];
} twoway;

static void tw_reader(void *arg) {
  twoway *t = arg;
  jnet_stream u;
  jnet_buf b;
  jnet_buf_init(&b);
  ck_assert_int_eq(jnet_listen("192.0.2.2", "9100", JNET_DATAGRAM, &u), 0);
  for (int i = 0; i < 2; i++) {
    jnet_buf_reset(&b);
    memset(&t->from[i], 0xa5, sizeof t->from[i]);
    t->r[i] = (int)jnet_recv_from(u, 5, &b, 10, &t->from[i]);
    memcpy(t->got[i], b.data, b.len < 8 ? b.len : 8);
    if (i == 0)
      jnet_sleep(0.5); /* the second arrives meanwhile, and queues */
  }
  jnet_buf_free(&b);
  jnet_close(u);
}

static void tw_sender(void *arg) {
  twoway *t = arg;
  jnet_stream u;
  jnet_sleep(0.001); /* the reader waits first */
  ck_assert_int_eq(jnet_listen("192.0.2.1", "0", JNET_DATAGRAM, &u), 0);
  ck_assert_int_eq(jnet_localname(u, &t->sender), 0);
  jnet_addr dst = addr_of("192.0.2.2", "9100");
  t->r[2] = jnet_send_to(u, &dst, "first-datagram", 14, 1);
  jnet_sleep(0.1);
  t->r[3] = jnet_send_to(u, &dst, "second-datagram", 15, 1);
  jnet_close(u);
}

START_TEST(waiting_and_queued_reads_give_the_same_truncation_and_sender) {
  twoway t;
  memset(&t, 0, sizeof t);
  st_world *w = st_new(1, 2);
  st_go(w, 1, tw_reader, &t);
  st_go(w, 0, tw_sender, &t);
  st_run(w);
  ck_assert_int_eq(t.r[2], 0);
  ck_assert_int_eq(t.r[3], 0);
  ck_assert_int_eq(t.r[0], 5);
  ck_assert_int_eq(t.r[1], 5);
  ck_assert_mem_eq(t.got[0], "first", 5);
  ck_assert_mem_eq(t.got[1], "secon", 5);
  for (int i = 0; i < 2; i++) {
    char host[64];
    int port = -1;
    ck_assert_uint_eq(t.from[i].len, t.sender.len);
    ck_assert_int_eq(jnet_address_unpack(&t.from[i], host, sizeof host, &port),
                     0);
    ck_assert_str_eq(host, "192.0.2.1");
    char h2[64];
    int p2 = -2;
    ck_assert_int_eq(jnet_address_unpack(&t.sender, h2, sizeof h2, &p2), 0);
    ck_assert_int_eq(port, p2);
  }
  st_free(w);
}
END_TEST

/* --- p-dgram: the receiving host's hint (the one socket on a port) --- */

/* h0 = 192.0.2.1; h1 = 192.0.2.2 and 192.0.2.9 */
static st_world *two_address_world(void) {
  st_world *w = st_new(1, 1);
  const char *addrs[] = {"192.0.2.2", "192.0.2.9", NULL};
  ck_assert_int_eq(jnet_sim_host(w->sim, "h1", addrs, &w->h[1]), 0);
  w->n = 2;
  return w;
}

static void hint_sender(void *arg) { /* h0: 1 ms, 11 ms, 21 ms */
  ut *t = arg;
  jnet_stream c;
  jnet_buf buf;
  jnet_buf_init(&buf);
  jnet_sleep(0.001);
  t->r[0] = jnet_connect("192.0.2.9", "9000", JNET_DATAGRAM, NULL, NULL, &c);
  t->r[1] = jnet_write(c, "one", 3, 1);
  jnet_sleep(0.01);
  t->r[2] = jnet_write(c, "two", 3, 1); /* nobody on the port now */
  t->r[3] = (int)jnet_read(c, 100, &buf, 0.005);
  jnet_sleep(0.01);
  t->r[4] = jnet_write(c, "three", 5, 1);
  jnet_buf_free(&buf);
  jnet_close(c);
}

static void hint_receiver(void *arg) { /* h1: any:9000, closed, again */
  ut *t = arg;
  jnet_stream a, b;
  jnet_buf buf;
  jnet_buf_init(&buf);
  t->r[5] = jnet_listen("0.0.0.0", "9000", JNET_DATAGRAM, &a);
  t->r[6] = (int)jnet_recv_from(a, 100, &buf, 1, NULL);
  jnet_close(a);
  jnet_sleep(0.015);
  t->r[7] = jnet_listen("0.0.0.0", "9000", JNET_DATAGRAM, &b);
  jnet_buf_reset(&buf);
  t->r[8] = (int)jnet_recv_from(b, 100, &buf, 1, NULL);
  t->r[9] = buf.len == 5 && memcmp(buf.data, "three", 5) == 0;
  jnet_buf_free(&buf);
  jnet_close(b);
}

/* The socket that took a port's last datagram closes: the next datagram
 * finds nobody (the sender's next read is refused), and a socket bound to
 * the port again takes the one after. */
START_TEST(a_closed_sockets_port_refuses_until_bound_again) {
  ut t = {0};
  t.w = two_address_world();
  st_go(t.w, 1, hint_receiver, &t);
  st_go(t.w, 0, hint_sender, &t);
  st_run(t.w);
  for (int i = 0; i <= 8; i++)
    if (i != 3)
      ck_assert_msg(t.r[i] >= 0, "step %d: %s", i, jnet_err_name(t.r[i]));
  ck_assert_int_eq(t.r[3], JNET_ECONNREFUSED);
  ck_assert_int_eq(t.r[6], 3);
  ck_assert_int_eq(t.r[8], 5);
  ck_assert_int_eq(t.r[9], 1);
  st_free(t.w);
}
END_TEST

static void addr_receiver(void *arg) { /* h1: 192.0.2.2:9000 only */
  ut *t = arg;
  jnet_stream a;
  jnet_buf buf;
  jnet_buf_init(&buf);
  t->r[0] = jnet_listen("192.0.2.2", "9000", JNET_DATAGRAM, &a);
  t->r[1] = (int)jnet_recv_from(a, 100, &buf, 1, NULL);
  t->r[2] = (int)jnet_recv_from(a, 100, &buf, 0.1, NULL);
  jnet_buf_free(&buf);
  jnet_close(a);
}

static void addr_sender(void *arg) { /* h0: to .2:9000, then to .9:9000 */
  ut *t = arg;
  jnet_stream u, c;
  jnet_sleep(0.001);
  t->r[3] = jnet_listen("192.0.2.1", NULL, JNET_DATAGRAM, &u);
  t->r[5] = jnet_connect("192.0.2.9", "9000", JNET_DATAGRAM, NULL, NULL, &c);
  jnet_addr dst = addr_of("192.0.2.2", "9000");
  t->r[4] = jnet_send_to(u, &dst, "one", 3, 1);
  jnet_sleep(0.01); /* no socket made or closed since "one" arrived */
  t->r[6] = jnet_write(c, "two", 3, 1);
  jnet_buf buf;
  jnet_buf_init(&buf);
  t->r[7] = (int)jnet_read(c, 100, &buf, 0.05);
  jnet_buf_free(&buf);
  jnet_close(c);
  jnet_close(u);
}

/* The socket that took the last datagram on a port is bound to one of the
 * host's addresses: a datagram to the other finds nobody there. */
START_TEST(a_socket_on_one_address_never_takes_the_others_datagrams) {
  ut t = {0};
  t.w = two_address_world();
  st_go(t.w, 1, addr_receiver, &t);
  st_go(t.w, 0, addr_sender, &t);
  st_run(t.w);
  for (int i = 3; i <= 6; i++)
    ck_assert_msg(t.r[i] >= 0, "step %d: %s", i, jnet_err_name(t.r[i]));
  ck_assert_int_eq(t.r[0], 0);
  ck_assert_int_eq(t.r[1], 3);
  ck_assert_int_eq(t.r[2], JNET_ETIMEDOUT);
  ck_assert_int_eq(t.r[7], JNET_ECONNREFUSED);
  st_free(t.w);
}
END_TEST

/* --- br-sim: what a capture writes for IPv6 and unix datagrams --- */

/* IPv6 hosts: a datagram to a listener, one to a closed port (an ICMPv6
 * port unreachable comes back), and a unix datagram inside one host. The
 * raw-IP capture holds IPv6 UDP (next header 17), ICMPv6 (58) and the
 * unix datagram as IPv4 UDP from 127.0.0.1 to 127.0.0.1. */
static void v6_recv(void *arg) {
  (void)arg;
  jnet_stream u;
  jnet_buf b;
  jnet_buf_init(&b);
  if (jnet_listen("2001:db8::2", "9000", JNET_DATAGRAM, &u) == 0) {
    (void)jnet_recv_from(u, 100, &b, 1, NULL);
    jnet_close(u);
  }
  jnet_buf_free(&b);
}

static void v6_send(void *arg) {
  (void)arg;
  jnet_stream u, d1, d2;
  jnet_addr dst;
  jnet_sleep(0.001);
  if (jnet_listen("2001:db8::1", NULL, JNET_DATAGRAM, &u) == 0) {
    jnet_address("2001:db8::2", "9000", JNET_DATAGRAM, &dst);
    jnet_send_to(u, &dst, "v6", 2, 1);
    jnet_address("2001:db8::2", "9", JNET_DATAGRAM, &dst);
    jnet_send_to(u, &dst, "x", 1, 1);
    jnet_sleep(0.1);
    jnet_close(u);
  }
  if (jnet_listen(JNET_UNIX, "/run/cap.a", JNET_DATAGRAM, &d1) == 0) {
    if (jnet_listen(JNET_UNIX, "/run/cap.b", JNET_DATAGRAM, &d2) == 0) {
      jnet_address(JNET_UNIX, "/run/cap.a", JNET_DATAGRAM, &dst);
      jnet_send_to(d2, &dst, "u", 1, 1);
      jnet_close(d2);
    }
    jnet_close(d1);
  }
}

START_TEST(capture_writes_ipv6_udp_icmpv6_and_unix_datagrams) {
  st_world *w = st_new(1, 0);
  const char *a[] = {"2001:db8::1", NULL}, *b[] = {"2001:db8::2", NULL};
  ck_assert_int_eq(jnet_sim_host(w->sim, "a6", a, &w->h[0]), 0);
  ck_assert_int_eq(jnet_sim_host(w->sim, "b6", b, &w->h[1]), 0);
  w->n = 2;
  char path[] = "/tmp/jnet-sim-cap6XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  close(fd);
  ck_assert_int_eq(jnet_sim_pcap_open(w->sim, path, NULL), 0);
  st_go(w, 1, v6_recv, NULL);
  st_go(w, 0, v6_send, NULL);
  st_run(w);
  ck_assert_int_eq(jnet_sim_pcap_close(w->sim), 0);
  char err[PCAP_ERRBUF_SIZE];
  pcap_t *p = pcap_open_offline(path, err);
  ck_assert_msg(p != NULL, "%s", err);
  struct pcap_pkthdr *h;
  const u_char *d;
  int udp6 = 0, icmp6 = 0, unix4 = 0, other = 0;
  static const u_char lo[4] = {127, 0, 0, 1};
  while (pcap_next_ex(p, &h, &d) == 1) {
    if (h->caplen >= 40 && d[0] >> 4 == 6 && d[6] == 17)
      udp6++;
    else if (h->caplen >= 40 && d[0] >> 4 == 6 && d[6] == 58)
      icmp6++;
    else if (h->caplen >= 28 && d[0] == 0x45 && d[9] == 17 &&
             memcmp(d + 12, lo, 4) == 0 && memcmp(d + 16, lo, 4) == 0)
      unix4++;
    else
      other++;
  }
  pcap_close(p);
  unlink(path);
  ck_assert_int_eq(udp6, 2);
  ck_assert_int_eq(icmp6, 1);
  ck_assert_int_eq(unix4, 1);
  ck_assert_int_eq(other, 0);
  st_free(w);
}
END_TEST

/* The jitter a link adds is at most an hour, whatever its spread: over a
 * link of 1 ms latency and a uniform jitter of 10^6 s, a datagram takes
 * 1 ms + 3600 s (drawn above the hour, as nearly every draw is). */
static void slow_recv(void *arg) {
  double *at = arg;
  jnet_stream u;
  jnet_buf b;
  jnet_buf_init(&b);
  if (jnet_listen("192.0.2.2", "9000", JNET_DATAGRAM, &u) == 0) {
    if (jnet_recv_from(u, 100, &b, 7200, NULL) == 1)
      *at = jnet_now();
    jnet_close(u);
  }
  jnet_buf_free(&b);
}

static void slow_send(void *arg) {
  (void)arg;
  jnet_stream u;
  jnet_addr dst = addr_of("192.0.2.2", "9000");
  if (jnet_listen("192.0.2.1", NULL, JNET_DATAGRAM, &u) == 0) {
    jnet_send_to(u, &dst, "j", 1, 1);
    jnet_close(u);
  }
}

START_TEST(jitter_adds_at_most_an_hour) {
  st_world *w = st_new(1, 2);
  jnet_link_params lp;
  jnet_link_params_default(&lp);
  lp.jitter_ns = 1000000ull * JNET_SIM_S;
  ck_assert_int_eq(jnet_sim_link(w->sim, w->h[0], w->h[1], &lp), 0);
  double at = -1;
  st_go(w, 1, slow_recv, &at);
  st_go(w, 0, slow_send, NULL);
  st_run(w);
  ck_assert_double_eq_tol(at, 3600.001, 1e-9);
  st_free(w);
}
END_TEST

/* A host whose one socket (port 9000) has just taken a datagram is sent
 * one for a port nobody holds (9001): that one is refused (the sender's
 * connected socket reads JNET_ECONNREFUSED), not handed to the socket on
 * 9000, which still takes what is sent to it. */
static void hint_server(void *arg) {
  ut *t = arg;
  jnet_stream u;
  t->r[0] = jnet_listen("192.0.2.2", "9000", JNET_DATAGRAM, &u);
  if (t->r[0] < 0)
    return;
  jnet_buf b;
  jnet_buf_init(&b);
  for (int i = 0; i < 3; i++) {
    jnet_buf_reset(&b);
    if (jnet_recv_from(u, 100, &b, 2, NULL) < 0)
      break;
    t->got++;
    t->r[1 + i] = b.len == 3 && memcmp(b.data, i < 2 ? "one" : "two", 3) == 0;
  }
  jnet_buf_free(&b);
  jnet_close(u);
}

static void hint_client(void *arg) {
  ut *t = arg;
  jnet_stream a, c;
  jnet_sleep(0.001);
  t->r[4] = jnet_connect("192.0.2.2", "9000", JNET_DATAGRAM, NULL, NULL, &a);
  t->r[5] = jnet_connect("192.0.2.2", "9001", JNET_DATAGRAM, NULL, NULL, &c);
  if (t->r[4] < 0 || t->r[5] < 0)
    return;
  jnet_write(a, "one", 3, 1);
  jnet_sleep(0.01);
  jnet_write(a, "one", 3, 1);
  jnet_sleep(0.01);
  jnet_write(c, "two", 3, 1); /* to 9001: nobody */
  jnet_buf b;
  jnet_buf_init(&b);
  t->r[6] = (int)jnet_read(c, 100, &b, 1);
  jnet_buf_free(&b);
  jnet_write(a, "two", 3, 1);
  jnet_close(c);
  jnet_close(a);
}

START_TEST(a_datagram_for_a_free_port_is_refused_not_taken_by_its_neighbour) {
  ut t = {0};
  t.w = st_new(1, 2);
  st_go(t.w, 1, hint_server, &t);
  st_go(t.w, 0, hint_client, &t);
  st_run(t.w);
  ck_assert_int_eq(t.r[0], 0);
  ck_assert_int_eq(t.r[4], 0);
  ck_assert_int_eq(t.r[5], 0);
  ck_assert_int_eq(t.r[6], JNET_ECONNREFUSED);
  ck_assert_int_eq(t.got, 3);
  ck_assert_int_eq(t.r[1], 1);
  ck_assert_int_eq(t.r[2], 1);
  ck_assert_int_eq(t.r[3], 1); /* "two" from 9000's own sender, not 9001's */
  st_free(t.w);
}
END_TEST

/* Queued unix datagrams read later name their sender by its path, while
 * the sender is open; one whose sender has closed since arrives too (its
 * name is not asserted: Linux keeps the closed sender's path, the model
 * reports it unnamed, "@" - a known difference, see issue 20's report). */
static void unix_later(void *arg) {
  ut *t = arg;
  jnet_stream r, a, b;
  t->r[0] = jnet_listen(JNET_UNIX, "/run/r.sock", JNET_DATAGRAM, &r);
  t->r[1] = jnet_listen(JNET_UNIX, "/run/la.sock", JNET_DATAGRAM, &a);
  t->r[2] = jnet_listen(JNET_UNIX, "/run/lb.sock", JNET_DATAGRAM, &b);
  if (t->r[0] < 0 || t->r[1] < 0 || t->r[2] < 0)
    return;
  jnet_addr to;
  jnet_address(JNET_UNIX, "/run/r.sock", JNET_DATAGRAM, &to);
  t->r[3] = jnet_send_to(a, &to, "from a", 6, 1);
  t->r[4] = jnet_send_to(b, &to, "from b", 6, 1);
  jnet_close(b);
  jnet_sleep(0.01); /* both queued */
  jnet_buf buf;
  jnet_buf_init(&buf);
  jnet_addr from;
  char host[128];
  int port;
  for (int i = 0; i < 2; i++) {
    jnet_buf_reset(&buf);
    t->r[5 + 3 * i] = (int)jnet_recv_from(r, 100, &buf, 1, &from);
    t->r[6 + 3 * i] =
        buf.len == 6 && memcmp(buf.data, i ? "from b" : "from a", 6) == 0;
    host[0] = '\0';
    jnet_address_unpack(&from, host, sizeof host, &port);
    t->r[7 + 3 * i] = i || strcmp(host, "/run/la.sock") == 0;
  }
  jnet_buf_free(&buf);
  jnet_close(a);
  jnet_close(r);
}

START_TEST(queued_unix_datagrams_name_their_open_sender) {
  ut t = {0};
  t.w = st_new(1, 1);
  st_go(t.w, 0, unix_later, &t);
  st_run(t.w);
  for (int i = 0; i <= 4; i++)
    ck_assert_msg(t.r[i] == 0, "step %d: %s", i, jnet_err_name(t.r[i]));
  ck_assert_int_eq(t.r[5], 6);
  ck_assert_int_eq(t.r[6], 1);
  ck_assert_int_eq(t.r[7], 1);
  ck_assert_int_eq(t.r[8], 6);
  ck_assert_int_eq(t.r[9], 1);
  ck_assert_int_eq(t.r[10], 1);
  st_free(t.w);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("sim-udp");
  jc_defaults(60, NULL, NULL);
  JC_TEST(s, max_datagram_crosses_a_small_mtu_intact_and_bigger_is_emsgsize);
  JC_TEST(s, loss_drops_about_the_configured_fraction);
  JC_TEST(s, duplication_delivers_twice_and_corruption_flips_a_bit);
  JC_TEST(s, each_datagram_goes_to_its_own_destination);
  JC_LOOP(s, broadcast_needs_so_broadcast_and_reaches_the_subnet, 0, 2);
  JC_TEST(s, multicast_reaches_members_only_with_linux_option_answers);
  JC_TEST(s, port_unreachable_refuses_the_next_read_of_a_connected_socket);
  JC_TEST(s, connected_socket_drops_datagrams_from_other_senders);
  JC_TEST(s, unix_datagrams_carry_the_sender_path);
  JC_TEST(s, capture_records_every_packet_of_the_network_or_of_one_host);
  JC_TEST(s, waiting_and_queued_reads_give_the_same_truncation_and_sender);
  JC_TEST(s, a_closed_sockets_port_refuses_until_bound_again);
  JC_TEST(s, a_socket_on_one_address_never_takes_the_others_datagrams);
  JC_TEST(s, capture_writes_ipv6_udp_icmpv6_and_unix_datagrams);
  JC_TEST(s, capture_fragments_from_one_byte_over_the_mtu);
  JC_TEST(s, growing_datagrams_each_get_a_buffer_that_holds_them);
  JC_TEST(s, jitter_adds_at_most_an_hour);
  JC_TEST(s, a_datagram_for_a_free_port_is_refused_not_taken_by_its_neighbour);
  JC_TEST(s, queued_unix_datagrams_name_their_open_sender);
  return s;
}

int main(void) { return st_run_suite(suite()); }
