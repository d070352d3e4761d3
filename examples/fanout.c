/* fanout.c — ask two peers the same question, take the first answer under
 * one deadline: jnet_spawn, a channel, jnet_deadline, jnet_cancel.
 *
 *   build/examples/fanout [uv|sim]
 *
 * Two peers answer "time?" with their name, one after 40 ms, one after
 * 10 ms. The client asks both at once and takes whichever answers first
 * within 1 s, then asks again with only 5 ms to spare, which times out. The
 * same code runs on real loopback sockets (uv, the default) and on a
 * simulated network of three hosts (sim), where it takes no wall time.
 */
#include <stdio.h>
#include <string.h>

#include <jnet/jnet.h>
#include <jnet/jnet_sim.h>

typedef struct peer {
  const char *host; /* where it listens */
  const char *name; /* what it answers */
  double delay_s;   /* how long it thinks first */
  jnet_stream srv;
  char port[8];
} peer;

typedef struct answer {
  char text[32];
} answer;

typedef struct query {
  const peer *to;
  double at;          /* the one deadline, shared by every asker */
  jnet_chan *answers; /* where the answer goes */
} query;

/* ---- The core: fan out, take the first answer ------------------------------ */

/* Ask one peer; give its answer to the channel. */
static void ask(void *arg) {
  query *q = arg;
  jnet_deadline(q->at); /* connect, write, read: all bounded by it */
  jnet_stream s;
  jnet_buf b;
  jnet_buf_init(&b);
  if (jnet_connect(q->to->host, q->to->port, JNET_STREAM, NULL, NULL, &s) == 0) {
    answer a = {{0}};
    if (jnet_write(s, "time?\n", 6, JNET_FOREVER) == 0 &&
        jnet_read(s, sizeof a.text - 1, &b, JNET_FOREVER) > 0) {
      memcpy(a.text, b.data, b.len);
      jnet_chan_give(q->answers, &a, 0); /* room for both: never waits */
    }
    jnet_close(s);
  }
  jnet_buf_free(&b);
}

/* The first answer of peers[0..1] within `seconds`: 0, or JNET_ETIMEDOUT. */
static int first_answer(const peer *peers, double seconds, answer *out) {
  jnet_chan *answers;
  int rc = jnet_chan_new(&answers, sizeof *out, 2);
  if (rc < 0)
    return rc;
  double at = jnet_now() + seconds;
  query q[2] = {{&peers[0], at, answers}, {&peers[1], at, answers}};
  jnet_fiber f[2];
  for (int i = 0; i < 2; i++)
    jnet_spawn(NULL, ask, &q[i], &f[i]);
  double saved = jnet_deadline(at);
  rc = jnet_chan_take(answers, out, JNET_FOREVER); /* 1, or ETIMEDOUT */
  jnet_deadline(saved);
  for (int i = 0; i < 2; i++) { /* the slower one is not needed any more */
    jnet_cancel(f[i], JNET_ECANCELED);
    jnet_join(f[i], JNET_FOREVER);
  }
  jnet_chan_free(answers);
  return rc == 1 ? 0 : rc;
}

/* ---- The peers ------------------------------------------------------------------ */

static void answer_one(jnet_stream conn, void *arg) {
  const peer *p = arg;
  jnet_buf b;
  jnet_buf_init(&b);
  if (jnet_read(conn, 64, &b, 5.0) > 0 && jnet_sleep(p->delay_s) == 0)
    jnet_write(conn, p->name, strlen(p->name), 5.0);
  jnet_buf_free(&b);
}

static void peer_main(void *arg) {
  peer *p = arg;
  jnet_addr a;
  char host[64];
  int port;
  if (jnet_server(p->host, NULL, answer_one, p, JNET_STREAM, &p->srv) < 0)
    return; /* an ephemeral port */
  jnet_localname(p->srv, &a);
  jnet_address_unpack(&a, host, sizeof host, &port);
  snprintf(p->port, sizeof p->port, "%d", port);
}

static void client(void *arg) {
  peer *peers = arg;
  answer a;
  jnet_sleep(0.001); /* the peers are listening by now */
  double t0 = jnet_now();
  int rc = first_answer(peers, 1.0, &a);
  printf("first answer: %s (%s) after %.0f ms\n", rc == 0 ? a.text : "-",
         jnet_err_name(rc), (jnet_now() - t0) * 1e3);
  t0 = jnet_now();
  rc = first_answer(peers, 0.005, &a);
  printf("with 5 ms: %s (%s) after %.0f ms\n", rc == 0 ? a.text : "-",
         jnet_err_name(rc), (jnet_now() - t0) * 1e3);
  jnet_close(peers[0].srv); /* the servers stop: the run ends */
  jnet_close(peers[1].srv);
}

int main(int argc, char **argv) {
  int sim_mode = argc > 1 && strcmp(argv[1], "sim") == 0;
  peer peers[2] = {{"127.0.0.1", "slow", 0.040, JNET_NOSTREAM, ""},
                   {"127.0.0.1", "fast", 0.010, JNET_NOSTREAM, ""}};
  jnet_sim *sim = NULL;
  const jnet_backend *b;
  jnet_node *h[3] = {NULL, NULL, NULL};
  if (sim_mode) {
    static const char *const addrs[3][2] = {
        {"192.0.2.1", NULL}, {"192.0.2.2", NULL}, {"192.0.2.3", NULL}};
    static const char *const names[3] = {"client", "slow", "fast"};
    if (jnet_sim_new(&sim, 1) < 0)
      return 1;
    for (int i = 0; i < 3; i++)
      if (jnet_sim_host(sim, names[i], addrs[i], &h[i]) < 0)
        return 1;
    peers[0].host = "192.0.2.2";
    peers[1].host = "192.0.2.3";
    b = jnet_sim_backend(sim);
  } else {
    b = jnet_backend_uv();
  }
  jnet_loop *l;
  if (b == NULL || jnet_loop_new(&l, b) < 0)
    return 1;
  for (int i = 0; i < 2; i++)
    jnet_go_on(l, sim_mode ? h[i + 1] : jnet_loop_node(l), peer_main, &peers[i]);
  jnet_go(l, client, peers);
  int err = jnet_run(l);
  jnet_loop_free(l);
  if (sim_mode)
    jnet_sim_free(sim);
  else
    jnet_backend_free(b);
  return err < 0;
}
