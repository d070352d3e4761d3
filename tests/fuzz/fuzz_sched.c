/* fuzz_sched.c — schedule fuzzer: the input becomes a small simulated
 * network (2-4 hosts, first link parameters), a fault timeline
 * (partitions, heals, clogs, crashes, restarts, link changes at chosen
 * virtual times) and a workload of TCP transfers and UDP datagrams.
 * Invariants: no crash or leak; every byte a TCP reader got is the
 * sender's byte at that offset (intact and in order), and a stream that
 * ended cleanly (writer done, reader saw EOF) is complete; every UDP
 * datagram received is one that was sent, unaltered; running the same
 * input twice gives the same jnet_sim_fingerprint and the same results. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include <jnet/jnet.h>
#include <jnet/jnet_sim.h>

#define FS_MAX_FAULTS 24
#define FS_MAX_TCP 4
#define FS_MAX_UDP 3

typedef struct fs_world fs_world;

typedef struct fs_fault {
  fs_world *w;
  unsigned kind, a, b, arg;
  uint64_t t_ns;
} fs_fault;

typedef struct fs_tcp {
  fs_world *w;
  int idx;
  unsigned src, dst;
  size_t nbytes, chunk;
  size_t got;       /* bytes the reader got, all checked */
  int read_rc;      /* last read result: 0 is EOF */
  int write_rc;     /* jnet_write result (1 until it returns) */
  int connect_rc, listen_rc, accept_rc;
} fs_tcp;

typedef struct fs_udp {
  fs_world *w;
  int idx;
  unsigned src, dst, count;
  unsigned got;
  int send_rc;
} fs_udp;

struct fs_world {
  jnet_sim *sim;
  jnet_loop *loop;
  jnet_node *h[4];
  unsigned nhosts;
  fs_fault faults[FS_MAX_FAULTS];
  unsigned nfaults;
  fs_tcp tcp[FS_MAX_TCP];
  unsigned ntcp;
  fs_udp udp[FS_MAX_UDP];
  unsigned nudp;
};

/* The byte at offset i of TCP stream k. */
static unsigned char fs_byte(int k, size_t i) {
  return (unsigned char)(((i + 1) * 2654435761u + (size_t)k * 40503u) >> 11);
}

static void fs_addr(unsigned i, char *buf, size_t n) {
  snprintf(buf, n, "192.0.2.%u", i + 1);
}

static void fs_params(unsigned arg, jnet_link_params *p) {
  jnet_link_params_default(p);
  p->latency_ns = (uint64_t)((arg & 7u) + 1) * JNET_SIM_MS;
  p->jitter_ns = (uint64_t)((arg >> 3) & 3u) * JNET_SIM_MS;
  p->jitter_dist = (int)((arg >> 5) & 3u);
  p->loss = ((arg >> 7) & 3u) * 0.05;
  p->reorder = ((arg >> 9) & 3u) * 0.05;
  p->duplicate = ((arg >> 11) & 1u) * 0.05;
  p->bandwidth_bps = ((arg >> 12) & 1u) ? 10000000ull : 0;
}

static void fs_fault_fire(jnet_sim *sim, void *arg) {
  fs_fault *f = arg;
  jnet_node *a = f->w->h[f->a], *b = f->w->h[f->b];
  jnet_link_params p;
  switch (f->kind) {
  case 0:
    jnet_sim_partition(sim, a, b, (int)(f->arg & 1));
    break;
  case 1:
    jnet_sim_heal(sim, a, b);
    break;
  case 2:
    jnet_sim_heal_all(sim);
    break;
  case 3:
    jnet_sim_clog(sim, a, b);
    break;
  case 4:
    jnet_sim_unclog(sim, a, b);
    break;
  case 5:
    jnet_sim_crash(sim, a);
    break;
  case 6:
    jnet_sim_restart(sim, a);
    break;
  default:
    fs_params(f->arg, &p);
    if (f->arg & 0x8000u)
      jnet_sim_link_oneway(sim, a, b, &p);
    else
      jnet_sim_link(sim, a, b, &p);
    break;
  }
}

static void tcp_reader(void *arg) {
  fs_tcp *t = arg;
  char port[16], addr[32];
  snprintf(port, sizeof port, "%d", 7000 + t->idx);
  fs_addr(t->dst, addr, sizeof addr);
  jnet_stream srv, c;
  t->listen_rc = jnet_listen(addr, port, JNET_STREAM, &srv);
  if (t->listen_rc < 0)
    return;
  t->accept_rc = jnet_accept(srv, 60, &c);
  jnet_close(srv);
  if (t->accept_rc < 0)
    return;
  jnet_buf b;
  jnet_buf_init(&b);
  ssize_t r;
  while ((r = jnet_read(c, 4096, &b, 60)) > 0) {
    for (size_t i = 0; i < b.len; i++)
      FZ_CHECK((unsigned char)b.data[i] == fs_byte(t->idx, t->got + i),
               "tcp %d: byte %zu corrupted or out of order", t->idx,
               t->got + i);
    t->got += b.len;
    FZ_CHECK(t->got <= t->nbytes, "tcp %d: %zu bytes of %zu", t->idx, t->got,
             t->nbytes);
    jnet_buf_reset(&b);
  }
  t->read_rc = (int)r;
  jnet_buf_free(&b);
  jnet_close(c);
}

static void tcp_writer(void *arg) {
  fs_tcp *t = arg;
  char port[16], addr[32];
  snprintf(port, sizeof port, "%d", 7000 + t->idx);
  fs_addr(t->dst, addr, sizeof addr);
  jnet_sleep(0.005 * (t->idx + 1));
  jnet_stream c;
  t->connect_rc = jnet_connect(addr, port, JNET_STREAM, NULL, NULL, &c);
  if (t->connect_rc < 0)
    return;
  unsigned char *data = malloc(t->nbytes ? t->nbytes : 1);
  FZ_CHECK(data != NULL, "malloc");
  for (size_t i = 0; i < t->nbytes; i++)
    data[i] = fs_byte(t->idx, i);
  t->write_rc = 0;
  for (size_t off = 0; off < t->nbytes && t->write_rc == 0; off += t->chunk) {
    size_t n = t->nbytes - off < t->chunk ? t->nbytes - off : t->chunk;
    t->write_rc = jnet_write(c, data + off, n, 60);
  }
  free(data);
  jnet_close(c);
}

static void udp_reader(void *arg) {
  fs_udp *u = arg;
  char port[16], addr[32];
  snprintf(port, sizeof port, "%d", 9000 + u->idx);
  fs_addr(u->dst, addr, sizeof addr);
  jnet_stream s;
  if (jnet_listen(addr, port, JNET_DATAGRAM, &s) < 0)
    return;
  jnet_buf b;
  jnet_buf_init(&b);
  for (;;) {
    jnet_buf_reset(&b);
    ssize_t r = jnet_recv_from(s, 2048, &b, 5, NULL);
    if (r < 0)
      break;
    FZ_CHECK(b.len >= 2, "udp %d: %zu-byte datagram", u->idx, b.len);
    unsigned seq = (unsigned char)b.data[0];
    FZ_CHECK(seq < u->count, "udp %d: seq %u", u->idx, seq);
    FZ_CHECK(b.len == 2 + seq * 7u, "udp %d: seq %u length %zu", u->idx, seq,
             b.len);
    for (size_t i = 1; i < b.len; i++)
      FZ_CHECK((unsigned char)b.data[i] == fs_byte(100 + u->idx, i + seq),
               "udp %d: seq %u byte %zu", u->idx, seq, i);
    u->got++;
  }
  jnet_buf_free(&b);
  jnet_close(s);
}

static void udp_writer(void *arg) {
  fs_udp *u = arg;
  char port[16], addr[32];
  snprintf(port, sizeof port, "%d", 9000 + u->idx);
  fs_addr(u->dst, addr, sizeof addr);
  jnet_sleep(0.002);
  jnet_stream s;
  u->send_rc = jnet_connect(addr, port, JNET_DATAGRAM, NULL, NULL, &s);
  if (u->send_rc < 0)
    return;
  unsigned char msg[2 + 255 * 7];
  for (unsigned seq = 0; seq < u->count; seq++) {
    size_t len = 2 + seq * 7u;
    msg[0] = (unsigned char)seq;
    for (size_t i = 1; i < len; i++)
      msg[i] = fs_byte(100 + u->idx, i + seq);
    int rc = jnet_write(s, msg, len, 5);
    if (rc < 0 && u->send_rc == 0)
      u->send_rc = rc;
    jnet_sleep(0.001);
  }
  jnet_close(s);
}

/* Build and run one world from the input; fill *fp. */
static void fs_run(const uint8_t *data, size_t size, fs_world *w,
                   uint64_t *fp) {
  fz_in in = {data, size, 0};
  memset(w, 0, sizeof *w);
  w->nhosts = 2 + fz_u8(&in) % 3;
  uint64_t seed = fz_u8(&in);
  FZ_CHECK(jnet_sim_new(&w->sim, seed) == 0, "sim");
  for (unsigned i = 0; i < w->nhosts; i++) {
    char name[16], addr[32];
    snprintf(name, sizeof name, "h%u", i);
    fs_addr(i, addr, sizeof addr);
    const char *addrs[] = {addr, NULL};
    FZ_CHECK(jnet_sim_host(w->sim, name, addrs, &w->h[i]) == 0, "host");
  }
  jnet_link_params p;
  fs_params(fz_u16(&in), &p);
  FZ_CHECK(jnet_sim_link(w->sim, NULL, NULL, &p) == 0, "default link");
  jnet_sim_set_limits(w->sim, 400 * JNET_SIM_S, 3000000);
  FZ_CHECK(jnet_loop_new(&w->loop, jnet_sim_backend(w->sim)) == 0, "loop");

  w->ntcp = 1 + fz_u8(&in) % FS_MAX_TCP;
  for (unsigned i = 0; i < w->ntcp; i++) {
    fs_tcp *t = &w->tcp[i];
    t->w = w;
    t->idx = (int)i;
    unsigned hb = fz_u8(&in);
    t->src = hb % w->nhosts;
    t->dst = (hb >> 4) % w->nhosts;
    t->nbytes = (size_t)fz_u16(&in) % 65536;
    t->chunk = 1 + fz_u16(&in) % 20000;
    t->write_rc = 1;
    t->read_rc = 1;
    FZ_CHECK(jnet_go_on(w->loop, w->h[t->dst], tcp_reader, t) == 0, "go");
    FZ_CHECK(jnet_go_on(w->loop, w->h[t->src], tcp_writer, t) == 0, "go");
  }
  w->nudp = fz_u8(&in) % (FS_MAX_UDP + 1);
  for (unsigned i = 0; i < w->nudp; i++) {
    fs_udp *u = &w->udp[i];
    u->w = w;
    u->idx = (int)i;
    unsigned hb = fz_u8(&in);
    u->src = hb % w->nhosts;
    u->dst = (hb >> 4) % w->nhosts;
    u->count = 1 + fz_u8(&in) % 32;
    FZ_CHECK(jnet_go_on(w->loop, w->h[u->dst], udp_reader, u) == 0, "go");
    FZ_CHECK(jnet_go_on(w->loop, w->h[u->src], udp_writer, u) == 0, "go");
  }
  uint64_t t_ns = 0;
  while (fz_more(&in) && w->nfaults < FS_MAX_FAULTS) {
    fs_fault *f = &w->faults[w->nfaults++];
    f->w = w;
    f->kind = fz_u8(&in) % 8;
    unsigned hb = fz_u8(&in);
    f->a = hb % w->nhosts;
    f->b = (hb >> 4) % w->nhosts;
    if (f->a == f->b)
      f->b = (f->a + 1) % w->nhosts;
    f->arg = fz_u16(&in);
    t_ns += (uint64_t)(1 + fz_u8(&in)) * 10 * JNET_SIM_MS;
    f->t_ns = t_ns;
    FZ_CHECK(jnet_sim_at(w->sim, t_ns, fs_fault_fire, f) == 0, "at");
  }
  int rc = jnet_run(w->loop);
  FZ_CHECK(rc == 0 || rc == JNET_ETIMEDOUT, "run: %s", jnet_err_name(rc));
  *fp = jnet_sim_fingerprint(w->sim);
  for (unsigned i = 0; i < w->ntcp; i++) {
    fs_tcp *t = &w->tcp[i];
    if (t->write_rc == 0 && t->read_rc == 0)
      FZ_CHECK(t->got == t->nbytes, "tcp %u: clean end after %zu of %zu",
               i, t->got, t->nbytes);
  }
  if (getenv("FUZZ_VERBOSE") != NULL) {
    for (unsigned i = 0; i < w->ntcp; i++)
      fprintf(stderr, "tcp %u: %u->%u %zu bytes, got %zu, write %d read %d\n",
              i, w->tcp[i].src, w->tcp[i].dst, w->tcp[i].nbytes,
              w->tcp[i].got, w->tcp[i].write_rc, w->tcp[i].read_rc);
    for (unsigned i = 0; i < w->nudp; i++)
      fprintf(stderr, "udp %u: %u of %u\n", i, w->udp[i].got,
              w->udp[i].count);
    fprintf(stderr, "faults %u, t %.3f s\n", w->nfaults,
            (double)jnet_sim_now_ns(w->sim) / 1e9);
  }
  jnet_loop_free(w->loop);
  jnet_sim_free(w->sim);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static fs_world w1, w2;
  uint64_t fp1, fp2;
  fs_run(data, size, &w1, &fp1);
  fs_run(data, size, &w2, &fp2);
  FZ_CHECK(fp1 == fp2, "fingerprints differ: %016llx %016llx",
           (unsigned long long)fp1, (unsigned long long)fp2);
  for (unsigned i = 0; i < w1.ntcp; i++)
    FZ_CHECK(w1.tcp[i].got == w2.tcp[i].got &&
                 w1.tcp[i].read_rc == w2.tcp[i].read_rc &&
                 w1.tcp[i].write_rc == w2.tcp[i].write_rc,
             "tcp %u differs between runs", i);
  for (unsigned i = 0; i < w1.nudp; i++)
    FZ_CHECK(w1.udp[i].got == w2.udp[i].got, "udp %u differs", i);
  return 0;
}
