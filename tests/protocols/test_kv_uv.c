/* test_kv_uv.c — the kv store's protocol code on real sockets (libuv,
 * loopback).
 *
 * The same kv_server/kv_client code the scenarios run on the simulated
 * network, here on 127.0.0.1 with ephemeral ports: the request/reply
 * protocol (PUT, GET, NOTFOUND, bad requests, QUIT), the client workload and
 * check, synchronous replication to a backup, and a backup taking over when
 * its primary stops. Every wait is bounded (server timeouts, a loop
 * deadline).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jnet/jnet.h>
#include "kv.h"
#include "jnet_check.h"

#define MAX_STEPS 16

/* Request/reply pairs, recorded in a fiber, asserted afterwards. */
typedef struct steps {
  const char *req[MAX_STEPS];
  char reply[MAX_STEPS][KV_LINE_MAX];
  int rc[MAX_STEPS];
  int nsteps;
} steps;

/* Big (two disks): on the heap, never on a fiber's stack. */
typedef struct fixture {
  kv_server_config cfg, bcfg;
  kv_disk disk, bdisk;
  int start_err, bstart_err;
  int port, bport;
  steps st; /* the main conversation */
  steps g;  /* a second one */
  kv_client_result res;
  int client_err;
  int took_over;
  int run_err;
} fixture;

static fixture *fx_new(void) {
  fixture *f = calloc(1, sizeof *f);
  ck_assert_ptr_nonnull(f);
  kv_server_config_default(&f->cfg);
  f->cfg.host = "127.0.0.1";
  f->cfg.port = "0";
  return f;
}

/* Run fn in a fiber on a fresh uv loop until the loop has nothing left. */
static void run_uv(void (*fn)(void *), fixture *f) {
  const jnet_backend *b = jnet_backend_uv();
  jnet_loop *l;
  ck_assert_ptr_nonnull(b);
  ck_assert_int_eq(jnet_loop_new(&l, b), 0);
  ck_assert_int_eq(jnet_go(l, fn, f), 0);
  f->run_err = jnet_run(l);
  if (f->run_err == 0) /* a finished run leaves the loop idle */
    ck_assert_int_eq(jnet_run_once(l), 0);
  jnet_loop_free(l);
  jnet_backend_free(b);
}

/* Send each f->st.req[i] on one connection, recording the replies. */
static void talk(steps *f, int port) {
  char portstr[16];
  jnet_stream c;
  jnet_buf b;
  snprintf(portstr, sizeof portstr, "%d", port);
  jnet_buf_init(&b);
  int rc = kv_connect("127.0.0.1", portstr, 2.0, &c);
  for (int i = 0; i < f->nsteps; i++) {
    f->rc[i] = rc < 0 ? rc
                      : kv_request(c, &b, f->req[i], f->reply[i],
                                   sizeof f->reply[i], 2.0);
  }
  if (rc == 0)
    jnet_close(c);
  jnet_buf_free(&b);
}

static void protocol_fiber(void *arg) {
  fixture *f = arg;
  kv_server *s;
  f->start_err = kv_server_start(&s, &f->cfg, &f->disk);
  if (f->start_err < 0)
    return;
  f->port = kv_server_port(s);
  talk(&f->st, f->port); /* the last request is QUIT: the server stops */
  kv_server_release(s);
}

static void expect_reply(fixture *f, int i, const char *want) {
  ck_assert_msg(f->st.rc[i] >= 0, "request %d (%s): %s", i, f->st.req[i],
                jnet_strerror(f->st.rc[i]));
  ck_assert_str_eq(f->st.reply[i], want);
}

START_TEST(put_get_notfound_and_bad_requests) {
  fixture *f = fx_new();
  static const char *reqs[] = {"PUT alpha 1", "GET alpha", "GET beta",
                               "PUT alpha 2", "GET alpha", "FROB x",
                               "PUT onlykey", "GET",       "",
                               "QUIT"};
  f->st.nsteps = (int)(sizeof reqs / sizeof reqs[0]);
  memcpy(f->st.req, reqs, sizeof reqs);
  run_uv(protocol_fiber, f);
  ck_assert_int_eq(f->start_err, 0);
  ck_assert_int_gt(f->port, 0);
  ck_assert_int_eq(f->run_err, 0);
  expect_reply(f, 0, "OK");
  expect_reply(f, 1, "VAL 1");
  expect_reply(f, 2, "NOTFOUND");
  expect_reply(f, 3, "OK");
  expect_reply(f, 4, "VAL 2");
  expect_reply(f, 5, "ERR badrequest");
  expect_reply(f, 6, "ERR badrequest");
  expect_reply(f, 7, "ERR badrequest");
  expect_reply(f, 8, "ERR badrequest");
  expect_reply(f, 9, "OK");
  /* The data is on the server's disk. */
  const kv_entry *e = kv_disk_get(&f->disk, "alpha");
  ck_assert_ptr_nonnull(e);
  ck_assert_str_eq(e->val, "2");
  ck_assert_ptr_null(kv_disk_get(&f->disk, "beta"));
  free(f);
}
END_TEST

/* A line longer than the server accepts gets ERR badrequest and the
 * connection is closed; the server keeps serving others. */
static void overlong_fiber(void *arg) {
  fixture *f = arg;
  kv_server *s;
  char port[16], big[4 * KV_LINE_MAX];
  jnet_stream c;
  jnet_buf b;
  f->start_err = kv_server_start(&s, &f->cfg, &f->disk);
  if (f->start_err < 0)
    return;
  snprintf(port, sizeof port, "%d", kv_server_port(s));
  memset(big, 'x', sizeof big);
  memcpy(big, "PUT k ", 6);
  big[sizeof big - 1] = '\n';
  jnet_buf_init(&b);
  f->st.rc[0] = kv_connect("127.0.0.1", port, 2.0, &c);
  if (f->st.rc[0] == 0) {
    f->st.rc[0] = jnet_write(c, big, sizeof big, 2.0);
    if (f->st.rc[0] == 0)
      f->st.rc[0] = kv_read_line(c, &b, f->st.reply[0], sizeof f->st.reply[0],
                                 jnet_now() + 2.0);
    /* then the server closes the connection: end of stream */
    f->st.rc[1] = kv_read_line(c, &b, f->st.reply[1], sizeof f->st.reply[1],
                               jnet_now() + 2.0);
    jnet_close(c);
  }
  jnet_buf_free(&b);
  /* the client side refuses to send an overlong request at all */
  big[sizeof big - 1] = '\0';
  f->st.rc[2] =
      kv_request(c, &b, big, f->st.reply[2], sizeof f->st.reply[2], 1.0);
  f->st.req[3] = "GET k";
  f->st.req[4] = "QUIT";
  f->st.nsteps = 5;
  for (int i = 0; i < 3; i++)
    f->st.req[i] = "(skipped)";
  steps *g = &f->g;
  g->req[0] = "GET k";
  g->req[1] = "QUIT";
  g->nsteps = 2;
  talk(g, kv_server_port(s));
  for (int i = 0; i < 2; i++) {
    f->st.rc[3 + i] = g->rc[i];
    memcpy(f->st.reply[3 + i], g->reply[i], sizeof g->reply[i]);
  }
  kv_server_release(s);
}

START_TEST(overlong_line_is_refused) {
  fixture *f = fx_new();
  run_uv(overlong_fiber, f);
  ck_assert_int_eq(f->start_err, 0);
  expect_reply(f, 0, "ERR badrequest");
  ck_assert_int_eq(f->st.rc[1], JNET_ENOTCONN);
  ck_assert_int_eq(f->st.rc[2], JNET_EMSGSIZE);
  expect_reply(f, 3, "NOTFOUND");
  expect_reply(f, 4, "OK");
  free(f);
}
END_TEST

static void workload_fiber(void *arg) {
  fixture *f = arg;
  kv_server *s;
  char port[16];
  f->start_err = kv_server_start(&s, &f->cfg, &f->disk);
  if (f->start_err < 0)
    return;
  snprintf(port, sizeof port, "%d", kv_server_port(s));
  kv_client_config cc;
  kv_client_config_default(&cc);
  cc.servers[0] = "127.0.0.1";
  cc.port = port;
  cc.ops = 50;
  cc.quit_servers = 1;
  f->client_err = kv_client_run(&cc, &f->res);
  kv_server_release(s);
}

START_TEST(client_workload_reads_back_every_write) {
  fixture *f = fx_new();
  run_uv(workload_fiber, f);
  ck_assert_int_eq(f->start_err, 0);
  ck_assert_int_eq(f->client_err, 0);
  ck_assert_msg(f->res.ok, "%s", f->res.msg);
  ck_assert_int_eq(f->res.acked, 50);
  ck_assert_int_eq(f->res.unacked, 0);
  ck_assert_uint_eq(f->disk.nkeys, 50);
  free(f);
}
END_TEST

/* A primary and a backup on loopback: a PUT is on the backup's disk before
 * the client gets OK; the backup refuses client requests; when the primary
 * stops, the backup takes over and serves. */
static void replication_fiber(void *arg) {
  fixture *f = arg;
  kv_server *b, *p;
  char port[16];
  f->bcfg = f->cfg;
  f->bcfg.role = KV_BACKUP;
  f->bcfg.peer = "127.0.0.1";
  f->bcfg.peer_port = "9"; /* never used: a synced backup does not call */
  f->bcfg.failover_s = 0.15;
  f->bstart_err = kv_server_start(&b, &f->bcfg, &f->bdisk);
  if (f->bstart_err < 0)
    return;
  f->bport = kv_server_port(b);
  snprintf(port, sizeof port, "%d", f->bport);
  f->cfg.peer = "127.0.0.1";
  f->cfg.peer_port = port;
  f->start_err = kv_server_start(&p, &f->cfg, &f->disk);
  if (f->start_err < 0) {
    kv_server_stop(b);
    kv_server_release(b);
    return;
  }
  f->port = kv_server_port(p);
  /* steps 0-1 to the primary, then check the backup's disk */
  f->st.nsteps = 2;
  talk(&f->st, f->port);
  const kv_entry *e = kv_disk_get(&f->bdisk, "rep");
  snprintf(f->st.reply[2], sizeof f->st.reply[2], "%s",
           e ? e->val : "(missing)");
  /* step 3: a client request to the backup */
  steps *g = &f->g;
  g->req[0] = "GET rep";
  g->nsteps = 1;
  talk(g, f->bport);
  f->st.rc[3] = g->rc[0];
  memcpy(f->st.reply[3], g->reply[0], sizeof g->reply[0]);
  /* stop the primary; the backup must take over within a second */
  kv_server_stop(p);
  kv_server_release(p);
  for (int i = 0; i < 100 && f->bdisk.role != KV_PRIMARY; i++)
    jnet_sleep(0.01);
  f->took_over = f->bdisk.role == KV_PRIMARY;
  memset(g, 0, sizeof *g);
  g->req[0] = "GET rep";
  g->req[1] = "PUT after 1";
  g->req[2] = "QUIT";
  g->nsteps = 3;
  talk(g, f->bport);
  for (int i = 0; i < 3; i++) {
    f->st.rc[4 + i] = g->rc[i];
    memcpy(f->st.reply[4 + i], g->reply[i], sizeof g->reply[i]);
  }
  kv_server_release(b);
}

START_TEST(backup_has_write_before_ack_and_takes_over) {
  fixture *f = fx_new();
  f->st.req[0] = "PUT rep 42";
  f->st.req[1] = "GET rep";
  f->st.req[3] = "GET rep (backup)";
  f->st.req[4] = "GET rep (after failover)";
  f->st.req[5] = "PUT after 1";
  f->st.req[6] = "QUIT";
  run_uv(replication_fiber, f);
  ck_assert_int_eq(f->bstart_err, 0);
  ck_assert_int_eq(f->start_err, 0);
  expect_reply(f, 0, "OK");
  expect_reply(f, 1, "VAL 42");
  ck_assert_str_eq(f->st.reply[2], "42"); /* on the backup's disk */
  expect_reply(f, 3, "ERR notprimary");
  ck_assert_msg(f->took_over, "backup did not take over");
  ck_assert_uint_eq(f->bdisk.epoch, 2);
  expect_reply(f, 4, "VAL 42");
  expect_reply(f, 5, "OK");
  expect_reply(f, 6, "OK");
  free(f);
}
END_TEST

static Suite *kv_uv_suite(void) {
  Suite *s = suite_create("protocols-kv-uv");
  jc_defaults(20, NULL, NULL);
  JC_TEST(s, put_get_notfound_and_bad_requests);
  JC_TEST(s, overlong_line_is_refused);
  JC_TEST(s, client_workload_reads_back_every_write);
  JC_TEST(s, backup_has_write_before_ack_and_takes_over);
  return s;
}

int main(void) {
  return jc_run(kv_uv_suite());
}
