/* leak_progs.c — jsim-leak-runner: programs that plant the classic leaks
 * of nondeterminism, for the --check-determinism tests (test_determinism.c).
 *
 * Each sender sends three well-behaved datagrams (at 0, 10 and 20 ms), then
 * at 30 ms leaks something from outside the simulation into what it sends:
 *   leak-clock  the wall clock (CLOCK_REALTIME) sets the datagrams' sizes
 *   leak-pid    random() seeded from getpid() sets them
 *   leak-ptr    eight sessions are sent to in the order of a hash of their
 *               addresses (a pointer-keyed hash set), which ASLR moves
 *   clean       the same with jnet_random(): deterministic
 * A `sink` receives everything. All report check `sent`.
 *   hang-once   the first run to create flag= (a file) blocks until the
 *               wall-clock timeout; every later run returns: one run of
 *               two hangs, which is a timeout, not nondeterminism
 *   hang-in-partner  hangs in --check-determinism's second process only;
 *               flag=PREFIX: each run of the first process creates the
 *               next PREFIX.k (as leak-count)
 *   leak-count  every second run sends one more datagram, at the end
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <jnet/jnet.h>
#include <jnet/jnet_scenario.h>

typedef struct sender {
  jnet_stream s;
  int ok;
} sender;

static int open_sender(jnet_prog_ctx *ctx, sender *sd, const char *port) {
  const char *to = jnet_prog_arg(ctx, "to", "sink");
  sd->ok = jnet_connect(to, port, JNET_DATAGRAM, NULL, NULL, &sd->s) == 0;
  if (!sd->ok)
    jnet_prog_check(ctx, "sent", 0, "cannot reach %s", to);
  return sd->ok ? 0 : -1;
}

static void send_len(sender *sd, size_t len) {
  char buf[1200];
  memset(buf, 'x', sizeof buf);
  if (len > sizeof buf)
    len = sizeof buf;
  if (jnet_write(sd->s, buf, len, 1.0) < 0)
    sd->ok = 0;
}

/* The three deterministic datagrams, then sleep to 30 ms. */
static int prologue(sender *sd) {
  for (int i = 0; i < 3; i++) {
    send_len(sd, 20 + (size_t)i);
    if (jnet_sleep(0.010) < 0)
      return -1;
  }
  return 0;
}

static void finish(jnet_prog_ctx *ctx, sender *sd) {
  jnet_close(sd->s);
  jnet_prog_check(ctx, "sent", sd->ok, "a send failed");
}

static void leak_clock(jnet_prog_ctx *ctx) {
  sender sd;
  if (open_sender(ctx, &sd, "9000") < 0 || prologue(&sd) < 0)
    return;
  for (int i = 0; i < 3; i++) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts); /* the leak */
    send_len(&sd, 100 + (size_t)(ts.tv_nsec % 1000));
    if (jnet_sleep(0.010) < 0)
      return;
  }
  finish(ctx, &sd);
}

static void leak_pid(jnet_prog_ctx *ctx) {
  sender sd;
  if (open_sender(ctx, &sd, "9000") < 0 || prologue(&sd) < 0)
    return;
  srandom((unsigned)getpid()); /* the leak */
  for (int i = 0; i < 3; i++) {
    send_len(&sd, 100 + (size_t)(random() % 1000));
    if (jnet_sleep(0.010) < 0)
      return;
  }
  finish(ctx, &sd);
}

/* A session table: eight sessions, kept in a set ordered by a hash of
 * their addresses, as a pointer-keyed hash set iterates. */
typedef struct session {
  int id;
  uint64_t key;
} session;

static session sessions[8];

static uint64_t mix(uint64_t x) { /* splitmix64's finaliser */
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

static int by_key(const void *a, const void *b) {
  const session *const *x = a, *const *y = b;
  return (*x)->key < (*y)->key ? -1 : (*x)->key > (*y)->key;
}

static void leak_ptr(jnet_prog_ctx *ctx) {
  sender sd;
  if (open_sender(ctx, &sd, "9000") < 0 || prologue(&sd) < 0)
    return;
  session *order[8];
  for (int i = 0; i < 8; i++) {
    sessions[i].id = i;
    sessions[i].key = mix((uint64_t)(uintptr_t)&sessions[i]); /* the leak */
    order[i] = &sessions[i];
  }
  qsort(order, 8, sizeof order[0], by_key);
  for (int i = 0; i < 8; i++)
    send_len(&sd, 100 + (size_t)order[i]->id);
  finish(ctx, &sd);
}

static void clean(jnet_prog_ctx *ctx) {
  sender sd;
  if (open_sender(ctx, &sd, "9000") < 0 || prologue(&sd) < 0)
    return;
  for (int i = 0; i < 3; i++) {
    send_len(&sd, 100 + (size_t)(jnet_random() % 1000));
    if (jnet_sleep(0.010) < 0)
      return;
  }
  finish(ctx, &sd);
}

/* sink [until_ms=200]: receives datagrams on port 9000 until until_ms. */
static void sink(jnet_prog_ctx *ctx) {
  jnet_stream s;
  double until_s = (double)jnet_prog_arg_int(ctx, "until_ms", 200) / 1e3;
  if (jnet_listen(jnet_prog_host(ctx), "9000", JNET_DATAGRAM, &s) < 0)
    return;
  jnet_buf b;
  jnet_buf_init(&b);
  for (;;) {
    double left = until_s - jnet_now();
    b.len = 0;
    if (left <= 0 || jnet_recv_from(s, 2000, &b, left, NULL) < 0)
      break;
  }
  jnet_buf_free(&b);
  jnet_close(s);
}

/* hang-once flag=FILE: hangs (blocked, never yielding: see test_progs.c's
 * hang) if it created FILE, else reports check done. */
static void hang_once(jnet_prog_ctx *ctx) {
  const char *flag = jnet_prog_arg(ctx, "flag", "hang-once.flag");
  int fd = open(flag, O_CREAT | O_EXCL | O_WRONLY, 0644);
  if (fd >= 0) {
    close(fd);
    for (;;)
      pause();
  }
  jnet_prog_check(ctx, "done", 1, "returned");
}

/* --- br-tools: a hang in the second process only --- */

/* The first k >= 1 for which this run creates PREFIX.k (the runs count
 * themselves in files, whatever process they run in). */
static int first_free(const char *prefix) {
  int k = 1;
  for (;; k++) {
    char path[512];
    snprintf(path, sizeof path, "%s.%d", prefix, k);
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
    if (fd >= 0) {
      close(fd);
      return k;
    }
  }
}

/* hang-in-partner [crash=1]: hangs (as hang-once), or with crash=1 dies of
 * SIGSEGV, in --check-determinism's second process (argv[1] "__partner",
 * read from /proc/self/cmdline); reports check done everywhere else,
 * after creating the next flag=PREFIX.k file when flag= is given. */
static void hang_in_partner(jnet_prog_ctx *ctx) {
  char cmd[256] = "";
  FILE *f = fopen("/proc/self/cmdline", "r");
  size_t n = f != NULL ? fread(cmd, 1, sizeof cmd - 1, f) : 0;
  if (f != NULL)
    fclose(f);
  cmd[n] = 0;
  const char *arg1 = cmd + strlen(cmd) + 1;
  if (arg1 < cmd + n && strcmp(arg1, "__partner") == 0) {
    if (jnet_prog_arg_int(ctx, "crash", 0))
      raise(SIGSEGV);
    for (;;)
      pause();
  }
  const char *flag = jnet_prog_arg(ctx, "flag", NULL);
  if (flag != NULL)
    (void)first_free(flag); /* counts the first process's runs */
  jnet_prog_check(ctx, "done", 1, "returned");
}

/* leak-count flag=PREFIX: the k-th run to start is the first k >= 1 for
 * which it creates PREFIX.k; it sends a datagram, and an even k sends one
 * more at 500 ms, after every other event: of two runs one trace is the
 * other's with lines added at the end. same=1: no extra datagram (only
 * the files count the runs). */
static void leak_count(jnet_prog_ctx *ctx) {
  sender sd;
  int k = first_free(jnet_prog_arg(ctx, "flag", "leak-count"));
  if (open_sender(ctx, &sd, "9000") < 0)
    return;
  send_len(&sd, 20);
  int same = (int)jnet_prog_arg_int(ctx, "same", 0); /* 1: no leak */
  if (!same && k % 2 == 0 && jnet_sleep(0.5) == 0)
    send_len(&sd, 20);
  finish(ctx, &sd);
}

static const jnet_program progs[] = {
    {"leak-clock", leak_clock, "datagram sizes from the wall clock"},
    {"leak-pid", leak_pid, "datagram sizes from random() seeded by getpid"},
    {"leak-ptr", leak_ptr, "send order from a hash of object addresses"},
    {"clean", clean, "datagram sizes from jnet_random: deterministic"},
    {"sink", sink, "receives on port 9000 until until_ms="},
    {"hang-once", hang_once, "hangs in the run that creates flag=FILE"},
    {"hang-in-partner", hang_in_partner, "hangs in the second process only"},
    {"leak-count", leak_count, "every second run sends one more datagram"},
};

int main(int argc, char **argv) {
  return jnet_scenario_main(argc, argv, progs, sizeof progs / sizeof progs[0]);
}
