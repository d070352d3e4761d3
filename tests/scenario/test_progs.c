/* test_progs.c — tiny programs for the runner's own tests: UDP source and
 * sink (to see a fault's effect), a TCP echo pair, a program that fails on
 * some seeds, one that hangs, ones that crash, one that counts restarts. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jnet/jnet.h>
#include <jnet/jnet_history.h>
#include "test_progs.h"

/* udp-source to=HOST [port=9000] [n=50] [interval_ms=10] */
static void udp_source(jnet_prog_ctx *ctx) {
  jnet_stream s;
  jnet_addr dst;
  const char *to = jnet_prog_arg(ctx, "to", "sink");
  const char *port = jnet_prog_arg(ctx, "port", "9000");
  long long n = jnet_prog_arg_int(ctx, "n", 50);
  double gap_s = (double)jnet_prog_arg_int(ctx, "interval_ms", 10) / 1e3;
  if (jnet_address(to, port, JNET_DATAGRAM, &dst) < 0 ||
      jnet_connect(to, port, JNET_DATAGRAM, NULL, NULL, &s) < 0) {
    jnet_prog_check(ctx, "sent", 0, "cannot reach %s", to);
    return;
  }
  long long sent = 0;
  for (long long i = 0; i < n; i++) {
    char msg[32];
    int len = snprintf(msg, sizeof msg, "dgram %lld", i);
    if (jnet_write(s, msg, (size_t)len, 1.0) == 0)
      sent++;
    if (jnet_sleep(gap_s) < 0)
      break;
  }
  jnet_close(s);
  jnet_prog_check(ctx, "sent", sent == n, "sent %lld of %lld", sent, n);
}

/* udp-sink [port=9000] [until_ms=2000] [min=0] [max=1000000]
 *   [first_after_ms=0]: check `count` (min <= received <= max) and
 *   `first` (the first datagram arrived at or after first_after_ms). */
static void udp_sink(jnet_prog_ctx *ctx) {
  jnet_stream s;
  const char *port = jnet_prog_arg(ctx, "port", "9000");
  double until_s = (double)jnet_prog_arg_int(ctx, "until_ms", 2000) / 1e3;
  long long min = jnet_prog_arg_int(ctx, "min", 0);
  long long max = jnet_prog_arg_int(ctx, "max", 1000000);
  double after_s = (double)jnet_prog_arg_int(ctx, "first_after_ms", 0) / 1e3;
  if (jnet_listen(jnet_prog_host(ctx), port, JNET_DATAGRAM, &s) < 0) {
    jnet_prog_check(ctx, "count", 0, "cannot listen");
    return;
  }
  long long got = 0;
  double first_s = -1;
  jnet_buf b;
  jnet_buf_init(&b);
  for (;;) {
    double left = until_s - jnet_now();
    if (left <= 0)
      break;
    b.len = 0;
    ssize_t r = jnet_recv_from(s, 1500, &b, left, NULL);
    if (r == JNET_ECANCELED) { /* our host crashed: report nothing */
      jnet_buf_free(&b);
      return;
    }
    if (r < 0)
      break;
    if (first_s < 0)
      first_s = jnet_now();
    got++;
  }
  jnet_buf_free(&b);
  jnet_close(s);
  jnet_prog_check(ctx, "count", got >= min && got <= max,
                  "received %lld (want %lld..%lld)", got, min, max);
  jnet_prog_check(ctx, "first", got > 0 && first_s >= after_s,
                  "first datagram at %.3fs (want >= %.3fs)", first_s,
                  after_s);
}

/* echo-server [port=7]: echoes one line per connection, forever. */
static void echo_conn(jnet_stream c, void *arg) {
  (void)arg;
  jnet_buf b;
  jnet_buf_init(&b);
  while (jnet_read(c, 1024, &b, 5.0) > 0) {
    if (jnet_write(c, b.data, b.len, 5.0) < 0)
      break;
    b.len = 0;
  }
  jnet_buf_free(&b);
  jnet_close(c);
}

static void echo_server(jnet_prog_ctx *ctx) {
  jnet_stream s;
  if (jnet_listen(jnet_prog_host(ctx), jnet_prog_arg(ctx, "port", "7"),
                  JNET_STREAM, &s) < 0) {
    jnet_prog_check(ctx, "listen", 0, "cannot listen");
    return;
  }
  double until_s = (double)jnet_prog_arg_int(ctx, "until_ms", 3000) / 1e3;
  while (jnet_now() < until_s) {
    jnet_stream c;
    if (jnet_accept(s, until_s - jnet_now(), &c) < 0)
      break;
    echo_conn(c, NULL); /* one client at a time is enough here */
  }
  jnet_close(s);
}

/* echo-client server=HOST [port=7]: check `ok` (the echo came back). */
static void echo_client(jnet_prog_ctx *ctx) {
  jnet_stream s;
  const char *srv = jnet_prog_arg(ctx, "server", "server");
  int rc = -1;
  for (int tries = 0; tries < 20; tries++) {
    rc = jnet_connect(srv, jnet_prog_arg(ctx, "port", "7"), JNET_STREAM,
                      NULL, NULL, &s);
    if (rc == 0 || jnet_sleep(0.05) < 0)
      break;
  }
  if (rc < 0) {
    jnet_prog_check(ctx, "ok", 0, "connect %s: %s", srv, jnet_strerror(rc));
    return;
  }
  jnet_buf b;
  jnet_buf_init(&b);
  rc = jnet_write(s, "hello\n", 6, 2.0);
  while (rc == 0 && b.len < 6) {
    ssize_t r = jnet_read(s, 64, &b, 2.0);
    if (r <= 0)
      rc = r < 0 ? (int)r : JNET_ECLOSED;
  }
  jnet_prog_check(ctx, "ok", rc == 0 && b.len == 6 &&
                  memcmp(b.data, "hello\n", 6) == 0,
                  "echo: %s", rc == 0 ? "mismatch" : jnet_strerror(rc));
  jnet_buf_free(&b);
  jnet_close(s);
}

/* flaky [one_in=4]: check `ok` fails on about one seed in one_in. */
static void flaky(jnet_prog_ctx *ctx) {
  long long one_in = jnet_prog_arg_int(ctx, "one_in", 4);
  if (jnet_sleep((double)(jnet_random() % 100) * 1e-3) < 0)
    return;
  uint64_t r = jnet_random();
  jnet_prog_check(ctx, "ok", r % (uint64_t)one_in != 0,
                  "unlucky draw %llu at %.3fs", (unsigned long long)(r % 1000),
                  jnet_now());
}

/* hang: never yields to the simulation and never returns (the wall-clock
 * alarm must stop it). It blocks in pause() rather than spinning: to the
 * runner the two are the same (no result on the pipe until SIGKILL), but a
 * spin burned a core for each second of every hang test. Blocking also
 * shows the limit is wall-clock time, not CPU time. */
static void hang(jnet_prog_ctx *ctx) {
  (void)ctx;
  for (;;)
    pause();
}

/* crash-abort, crash-segv: die in the middle of a run. */
static void crash_abort(jnet_prog_ctx *ctx) {
  (void)ctx;
  jnet_sleep(0.01);
  abort();
}

static void crash_segv(jnet_prog_ctx *ctx) {
  (void)ctx;
  jnet_sleep(0.01);
  raise(SIGSEGV);
}

/* restarter [want=1] [until_ms=3000]: counts its starts on its disk;
 * check `disk` (the disk kept the count across crashes) and `restarted`
 * (reported on the start number `want`). */
static void restarter(jnet_prog_ctx *ctx) {
  int *starts = jnet_prog_disk(ctx, sizeof(int));
  if (starts == NULL) {
    jnet_prog_check(ctx, "disk", 0, "no disk");
    return;
  }
  ++*starts;
  jnet_prog_check(ctx, "disk", *starts == jnet_prog_restarts(ctx) + 1,
                  "disk says %d starts, restarts says %d", *starts,
                  jnet_prog_restarts(ctx));
  if (jnet_prog_restarts(ctx) == jnet_prog_arg_int(ctx, "want", 1))
    jnet_prog_check(ctx, "restarted", 1, "restarted at %.3fs", jnet_now());
  double until_s = (double)jnet_prog_arg_int(ctx, "until_ms", 3000) / 1e3;
  while (jnet_now() < until_s)
    if (jnet_sleep(0.05) < 0)
      return;
}

/* args n=INT: reads an integer argument (a malformed one is a run error). */
static void args(jnet_prog_ctx *ctx) {
  long long n = jnet_prog_arg_int(ctx, "n", -1);
  jnet_prog_check(ctx, "ok", n >= 0, "n=%lld on %s as %s", n,
                  jnet_prog_host(ctx), jnet_prog_name(ctx));
}

/* --- br-tools: programs that use the jnet_prog_* API at its edges --- */

/* checks [k=N]: N checks k0.. (the runner keeps 16); `twice` passes then
 * fails (the failure counts), `stick` fails then passes (the first failure
 * stands), `nofmt` fails without a message; disk: the same size gives the
 * same block, another size NULL, size 0 a block. */
static void checks(jnet_prog_ctx *ctx) {
  long long nk = jnet_prog_arg_int(ctx, "k", 0);
  for (int i = 0; i < nk; i++) {
    char name[32];
    snprintf(name, sizeof name, "k%lld", (long long)i);
    jnet_prog_check(ctx, name, 1, "reported");
  }
  jnet_prog_check(ctx, "twice", 1, "first");
  jnet_prog_check(ctx, "twice", 1, "again");
  jnet_prog_check(ctx, "twice", 0, "second");
  jnet_prog_check(ctx, "stick", 0, "first \"quoted\" \\ back\nline\ttab");
  jnet_prog_check(ctx, "stick", 1, "later");
  jnet_prog_check(ctx, "nofmt", 0, NULL);
  long long size = jnet_prog_arg_int(ctx, "disk", 8);
  void *d = jnet_prog_disk(ctx, (size_t)size);
  jnet_prog_check(ctx, "disk", d != NULL && jnet_prog_disk(ctx, (size_t)size) == d &&
                                   jnet_prog_disk(ctx, (size_t)size + 8) == NULL,
                  "disk(%lld) %p", size, d);
}

/* bad-args a=... b=...: reads a then b as integers (a bad one is the run's
 * error; the first one named). */
static void bad_args(jnet_prog_ctx *ctx) {
  jnet_prog_arg_int(ctx, "a", 0);
  jnet_prog_arg_int(ctx, "b", 0);
  jnet_prog_check(ctx, "ok", 1, "read");
}

/* die sig=N | code=N [wall_ms=M]: after 10 ms (and M ms of real time,
 * which a sweep's --max-wall sees pass), raise signal N or _exit(N). */
static void die(jnet_prog_ctx *ctx) {
  long long sig = jnet_prog_arg_int(ctx, "sig", 0);
  long long code = jnet_prog_arg_int(ctx, "code", 0);
  long long wall_ms = jnet_prog_arg_int(ctx, "wall_ms", 0);
  jnet_sleep(0.01);
  if (wall_ms > 0) {
    struct timespec ts = {(time_t)(wall_ms / 1000),
                          (long)(wall_ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0)
      ;
  }
  if (sig > 0)
    raise((int)sig);
  _exit((int)code);
}

/* wait-forever [spawn=1]: takes from a channel nobody gives to; with
 * spawn=1 a fiber of its own waits and the program returns. */
static void take_forever(void *arg) {
  jnet_chan *c = arg;
  char item;
  jnet_chan_take(c, &item, JNET_FOREVER);
  jnet_chan_free(c);
}

static void wait_forever(jnet_prog_ctx *ctx) {
  jnet_chan *c;
  if (jnet_chan_new(&c, 1, 0) < 0)
    return;
  jnet_prog_check(ctx, "started", 1, "waiting");
  if (jnet_prog_arg_int(ctx, "spawn", 0))
    jnet_go(NULL, take_forever, c);
  else
    take_forever(c);
}

/* bad-history [stale=1|2]: completes an operation it never invoked; or
 * records a good history that is not linearizable: stale=1, a write of 1
 * left open, a read of 1, then a read of null; stale=2, a cas from 1 (to
 * a long string) on a key never written. */
static void bad_history(jnet_prog_ctx *ctx) {
  jnet_history *h = jnet_prog_history(ctx);
  long long stale = jnet_prog_arg_int(ctx, "stale", 0);
  jnet_hvalue nul = jnet_hv_null();
  if (stale == 0) {
    jnet_history_ok(h, 1, nul);
  } else if (stale == 1) {
    jnet_history_invoke(h, 1, JNET_HIST_WRITE, "k", jnet_hv_num(1), nul);
    jnet_sleep(0.001);
    jnet_history_invoke(h, 2, JNET_HIST_READ, "k", nul, nul);
    jnet_sleep(0.001);
    jnet_history_ok(h, 2, jnet_hv_num(1));
    jnet_sleep(0.001);
    jnet_history_invoke(h, 3, JNET_HIST_READ, "k", nul, nul);
    jnet_sleep(0.001);
    jnet_history_ok(h, 3, nul);
  } else {
    jnet_history_invoke(h, 2, JNET_HIST_CAS, "k", jnet_hv_num(1),
                        jnet_hv_str("a string longer than thirty "
                                    "characters, cut short"));
    jnet_sleep(0.001);
    jnet_history_ok(h, 2, nul);
  }
  jnet_prog_check(ctx, "ok", 1, "recorded");
}

/* fail-once flag=FILE: check ok fails in the run that creates FILE and
 * passes in every later one (a run that does not replay). */
static void fail_once(jnet_prog_ctx *ctx) {
  FILE *f = fopen(jnet_prog_arg(ctx, "flag", "fail-once.flag"), "wx");
  if (f != NULL)
    fclose(f);
  jnet_prog_check(ctx, "ok", f == NULL, "first run");
}

/* dirty: keeps state in the process, as a user's global would, and resets
 * it only on the way out of a passing run: check ok fails on about one
 * seed in three, and check clean fails if an earlier run in this process
 * failed (left busy set). A sweep runs the seeds after a failure in a
 * fresh process, so only ok ever fails there. */
static int dirty_busy;

static void dirty(jnet_prog_ctx *ctx) {
  jnet_prog_check(ctx, "clean", !dirty_busy, "left busy by an earlier run");
  dirty_busy = 1;
  uint64_t r = jnet_random();
  jnet_prog_check(ctx, "ok", r % 3 != 0, "unlucky draw");
  if (r % 3 != 0)
    dirty_busy = 0;
}

/* say text=WORD: prints "<host> says WORD" on stdout; check ok. */
static void say(jnet_prog_ctx *ctx) {
  printf("%s says %s\n", jnet_prog_host(ctx), jnet_prog_arg(ctx, "text", ""));
  jnet_prog_check(ctx, "ok", 1, "said");
}

/* threshold n=N: check ok fails when N >= 60 and N is even (a failure
 * that does not shrink evenly). */
static void threshold(jnet_prog_ctx *ctx) {
  long long n = jnet_prog_arg_int(ctx, "n", 0);
  jnet_prog_check(ctx, "ok", !(n >= 60 && n % 2 == 0), "n=%lld", n);
}

const jnet_program jsim_test_programs[] = {
    {"udp-source", udp_source, "sends n= datagrams to to=HOST"},
    {"udp-sink", udp_sink, "counts datagrams; checks count, first"},
    {"echo-server", echo_server, "TCP echo"},
    {"echo-client", echo_client, "checks ok: the echo came back"},
    {"flaky", flaky, "check ok fails on one seed in one_in="},
    {"hang", hang, "blocks forever, never yielding"},
    {"crash-abort", crash_abort, "calls abort()"},
    {"crash-segv", crash_segv, "raises SIGSEGV"},
    {"restarter", restarter, "counts restarts on its disk"},
    {"args", args, "reads n=INT"},
    {"checks", checks, "k= checks, repeated checks, a disk"},
    {"bad-args", bad_args, "reads a= and b= as integers"},
    {"die", die, "raises sig= or exits with code= (after wall_ms=)"},
    {"wait-forever", wait_forever, "waits on a channel forever"},
    {"bad-history", bad_history, NULL}, /* `programs` shows no help */
    {"fail-once", fail_once, "check ok fails only in the first run"},
    {"say", say, "prints text= on stdout"},
    {"threshold", threshold, "check ok fails for an even n= >= 60"},
    {"dirty", dirty, "check ok fails on one seed in 3; clean after one"},
};
const size_t jsim_test_nprograms =
    sizeof jsim_test_programs / sizeof jsim_test_programs[0];
