/* sim-capture.c — a small simulated network, recorded to a pcap file.
 *
 *   build/examples/sim-capture SEED OUT.pcap [HOST]
 *   wireshark OUT.pcap        (or: tshark -r OUT.pcap -q -z conv,tcp)
 *
 * Hosts: "server" (192.0.2.10, 2001:db8::10) runs a TCP echo service on port
 * 7100 (IPv4 and IPv6), a UDP echo on 5300 and a unix-socket echo at
 * /run/echo.sock. "alice" (192.0.2.11) sends a long text over TCP through a
 * lossy link (10% loss: retransmissions), "bob" (2001:db8::12) does the same
 * over IPv6 and then tries port 7101, where nothing listens (refused: a
 * RST), "carol" (198.51.100.13, link MTU 1280) exchanges UDP datagrams, one
 * of them fragmented, and a fiber on the server talks to the unix socket.
 * Everything runs on virtual time; the same SEED gives the same pcap and the
 * same fingerprint, printed last. With HOST, only the packets that host
 * sends or receives are captured (the run itself is the same).
 *
 * The texts are lines "<name> line NNNNN\n"; each client checks its echo.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jnet/jnet.h> /* and <jnet/jnet_config.h>: JNET_HAVE_SIM */

#ifdef JNET_HAVE_SIM
#include <jnet/jnet_sim.h>

#define TCP_PORT "7100"
#define CLOSED_PORT "7101"
#define UDP_PORT "5300"
#define UNIX_PATH "/run/echo.sock"
#define TIMEOUT_S 30.0
#define UNEXPECTED 1 /* a call succeeded but gave the wrong result */

typedef struct demo {
  jnet_stream listeners[4]; /* tcp v4, tcp v6, unix, udp */
  int clients_left;         /* the last client to finish closes them */
  int failures;
} demo;

/* "<name> line 00000\n" ... for `lines` lines. */
static void make_text(jnet_buf *b, const char *name, int lines) {
  char line[64];
  for (int i = 0; i < lines; i++) {
    int n = snprintf(line, sizeof line, "%s line %05d\n", name, i);
    jnet_buf_append(b, line, (size_t)n);
  }
}

static void report(demo *d, const char *what, int err) {
  if (err != 0) {
    printf("%s: %s\n", what, err < 0 ? jnet_err_name(err) : "wrong result");
    d->failures++;
  } else {
    printf("%s: ok\n", what);
  }
}

static void client_done(demo *d) {
  if (--d->clients_left > 0)
    return;
  for (int i = 0; i < 4; i++)
    jnet_close(d->listeners[i]); /* ends the accept loops: the run ends */
}

/* ---- Services on "server"
 * ---------------------------------------------------- */

static void echo(jnet_stream conn, void *arg) {
  (void)arg;
  jnet_buf b;
  jnet_buf_init(&b);
  while (jnet_read(conn, 4096, &b, TIMEOUT_S) > 0) {
    if (jnet_write(conn, b.data, b.len, TIMEOUT_S) < 0)
      break;
    jnet_buf_reset(&b);
  }
  jnet_buf_free(&b);
}

static void udp_echo(void *arg) {
  demo *d = arg;
  jnet_buf b;
  jnet_addr from;
  jnet_buf_init(&b);
  while (jnet_recv_from(d->listeners[3], 65536, &b, JNET_FOREVER, &from) >= 0) {
    jnet_send_to(d->listeners[3], &from, b.data, b.len, TIMEOUT_S);
    jnet_buf_reset(&b);
  }
  jnet_buf_free(&b);
}

/* ---- Clients
 * ----------------------------------------------------------------- */

typedef struct tcp_job {
  demo *d;
  const char *name, *host;
  int lines;
  jnet_stream conn;
  jnet_buf text;
} tcp_job;

/* The writing half runs in its own fiber so that reading the echo goes on
 * at the same time (neither side's buffers fill up). */
static void tcp_writer(void *arg) {
  tcp_job *j = arg;
  int err = jnet_write(j->conn, j->text.data, j->text.len, TIMEOUT_S);
  if (err == 0)
    err = jnet_shutdown(j->conn, JNET_SHUT_WR);
  if (err < 0)
    report(j->d, "tcp write", err);
}

/* Send the text, read the echo to EOF, compare. */
static int tcp_round_trip(tcp_job *j) {
  jnet_buf echoed;
  jnet_buf_init(&echoed);
  jnet_buf_init(&j->text);
  make_text(&j->text, j->name, j->lines);
  int err = jnet_connect(j->host, TCP_PORT, JNET_STREAM, NULL, NULL, &j->conn);
  if (err == 0)
    err = jnet_go(NULL, tcp_writer, j);
  if (err == 0) {
    ssize_t n = jnet_read_all(j->conn, &echoed, TIMEOUT_S);
    if (n < 0)
      err = (int)n;
    else if (echoed.len != j->text.len ||
             memcmp(echoed.data, j->text.data, echoed.len) != 0)
      err = UNEXPECTED;
  }
  char what[64];
  snprintf(what, sizeof what, "tcp %s %zu bytes echoed", j->name, j->text.len);
  report(j->d, what, err);
  jnet_close(j->conn);
  jnet_buf_free(&echoed);
  jnet_buf_free(&j->text);
  return err;
}

static void alice(void *arg) {
  jnet_sleep(0.1); /* the server is listening by then */
  tcp_job j = {.d = arg, .name = "alice", .host = "192.0.2.10", .lines = 3000};
  tcp_round_trip(&j);
  client_done(arg);
}

static void bob(void *arg) {
  demo *d = arg;
  jnet_sleep(0.1);
  tcp_job j = {.d = d, .name = "bob", .host = "2001:db8::10", .lines = 2000};
  tcp_round_trip(&j);
  jnet_stream s;
  int err =
      jnet_connect("2001:db8::10", CLOSED_PORT, JNET_STREAM, NULL, NULL, &s);
  if (err == 0) {
    jnet_close(s);
    report(d, "tcp bob port " CLOSED_PORT " refused", UNEXPECTED);
  } else {
    report(d, "tcp bob port " CLOSED_PORT " refused",
           err == JNET_ECONNREFUSED ? 0 : err);
  }
  client_done(d);
}

static void carol(void *arg) {
  demo *d = arg;
  static const size_t sizes[] = {64, 512, 1200, 3000, 1};
  jnet_addr dst;
  jnet_stream s;
  jnet_buf sent, got;
  jnet_sleep(0.1);
  jnet_buf_init(&sent);
  jnet_buf_init(&got);
  int err = jnet_address("192.0.2.10", UDP_PORT, JNET_DATAGRAM, &dst);
  if (err == 0)
    err = jnet_listen("198.51.100.13", NULL, JNET_DATAGRAM, &s);
  for (size_t i = 0; err == 0 && i < sizeof sizes / sizeof sizes[0]; i++) {
    jnet_buf_reset(&sent);
    jnet_buf_reset(&got);
    for (size_t k = 0; k < sizes[i]; k++)
      jnet_buf_append(&sent, &"carol-udp-"[k % 10], 1);
    err = jnet_send_to(s, &dst, sent.data, sent.len, TIMEOUT_S);
    ssize_t n = err ? err : jnet_recv_from(s, 65536, &got, 2.0, NULL);
    if (n < 0)
      err = (int)n;
    else if (got.len != sent.len || memcmp(got.data, sent.data, got.len))
      err = UNEXPECTED;
  }
  report(d, "udp carol 5 datagrams echoed", err);
  jnet_close(s);
  jnet_buf_free(&sent);
  jnet_buf_free(&got);
  client_done(d);
}

static void unix_client(void *arg) {
  demo *d = arg;
  jnet_stream s;
  jnet_buf b;
  static const char msg[] = "hello over a unix socket\n";
  jnet_buf_init(&b);
  int err = jnet_connect(JNET_UNIX, UNIX_PATH, JNET_STREAM, NULL, NULL, &s);
  if (err == 0)
    err = jnet_write(s, msg, sizeof msg - 1, TIMEOUT_S);
  if (err == 0) {
    ssize_t n = jnet_chunk(s, sizeof msg - 1, &b, TIMEOUT_S);
    err = n < 0 ? (int)n : (b.len == sizeof msg - 1 ? 0 : UNEXPECTED);
  }
  report(d, "unix " UNIX_PATH " echoed", err);
  jnet_close(s);
  jnet_buf_free(&b);
  client_done(d);
}

static void server(void *arg) {
  demo *d = arg;
  int err = jnet_server("192.0.2.10", TCP_PORT, echo, d, JNET_STREAM,
                        &d->listeners[0]);
  if (err == 0)
    err = jnet_server("2001:db8::10", TCP_PORT, echo, d, JNET_STREAM,
                      &d->listeners[1]);
  if (err == 0)
    err = jnet_server(JNET_UNIX, UNIX_PATH, echo, d, JNET_STREAM,
                      &d->listeners[2]);
  if (err == 0)
    err = jnet_listen("192.0.2.10", UDP_PORT, JNET_DATAGRAM, &d->listeners[3]);
  if (err == 0)
    err = jnet_go(NULL, udp_echo, d);
  if (err == 0)
    err = jnet_go(NULL, unix_client, d);
  if (err < 0) {
    report(d, "server", err);
    d->clients_left = 1;
    client_done(d);
  }
}

/* ---- The network
 * --------------------------------------------------------------- */

int main(int argc, char **argv) {
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: %s SEED OUT.pcap [HOST]\n", argv[0]);
    return 2;
  }
  uint64_t seed = strtoull(argv[1], NULL, 0);
  jnet_sim *sim;
  jnet_node *srv, *a, *b, *c;
  jnet_loop *l;
  demo d = {.clients_left = 4};
  int err = jnet_sim_new(&sim, seed);
  if (err == 0)
    err = jnet_sim_host(sim, "server",
                        (const char *[]){"192.0.2.10", "2001:db8::10", NULL},
                        &srv);
  if (err == 0)
    err = jnet_sim_host(sim, "alice", (const char *[]){"192.0.2.11", NULL}, &a);
  if (err == 0)
    err = jnet_sim_host(sim, "bob", (const char *[]){"2001:db8::12", NULL}, &b);
  if (err == 0)
    err = jnet_sim_host(sim, "carol", (const char *[]){"198.51.100.13", NULL},
                        &c);
  if (err < 0) {
    fprintf(stderr, "sim: %s\n", jnet_strerror(err));
    return 1;
  }
  jnet_link_params p;
  jnet_link_params_default(&p);
  p.latency_ns = 5 * JNET_SIM_MS;
  p.jitter_ns = 1 * JNET_SIM_MS;
  p.loss = 0.10; /* alice's link loses packets: TCP retransmits */
  jnet_sim_link(sim, a, srv, &p);
  jnet_link_params_default(&p);
  p.latency_ns = 20 * JNET_SIM_MS;
  p.bandwidth_bps = 10000000; /* 10 Mbit/s */
  jnet_sim_link(sim, b, srv, &p);
  jnet_link_params_default(&p);
  p.mtu = 1280; /* carol's 3000-byte datagram goes as fragments */
  jnet_sim_link(sim, c, srv, &p);

  jnet_node *only = NULL;
  if (argc == 4 && (err = jnet_sim_host_find(sim, argv[3], &only)) < 0) {
    fprintf(stderr, "%s: %s\n", argv[3], jnet_strerror(err));
    jnet_sim_free(sim);
    return 1;
  }
  if ((err = jnet_sim_pcap_open(sim, argv[2], only)) < 0 ||
      (err = jnet_loop_new(&l, jnet_sim_backend(sim))) < 0) {
    fprintf(stderr, "%s: %s\n", argv[2], jnet_strerror(err));
    jnet_sim_free(sim);
    return 1;
  }
  jnet_go_on(l, srv, server, &d);
  jnet_go_on(l, a, alice, &d);
  jnet_go_on(l, b, bob, &d);
  jnet_go_on(l, c, carol, &d);
  err = jnet_run(l);
  if (err < 0)
    report(&d, "run", err);
  jnet_loop_free(l);

  jnet_sim_stats st;
  jnet_sim_get_stats(sim, &st);
  printf("packets %llu dropped %llu retransmits %llu\n",
         (unsigned long long)st.packets_sent,
         (unsigned long long)st.packets_dropped,
         (unsigned long long)st.retransmits);
  if ((err = jnet_sim_pcap_close(sim)) < 0)
    report(&d, "pcap", err);
  printf("fingerprint 0x%016llx\n",
         (unsigned long long)jnet_sim_fingerprint(sim));
  jnet_sim_free(sim);
  return d.failures ? 1 : 0;
}
#else /* built with -DJNET_SIM=OFF */
int main(void) {
  fprintf(stderr, "sim-capture: jnet was built without the simulator\n");
  return 1;
}
#endif
