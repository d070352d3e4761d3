/* kv-server.c — the example kv store's server on real sockets.
 *
 *   build/examples/kv-server [HOST] [PORT]        (default 127.0.0.1 7000)
 *
 * A standalone primary (no backup) running the same protocol code that the
 * scenarios run on the simulated network (scenarios/kv_server.c). Talk to
 * it with build/examples/kv-client, or by hand:
 *
 *   printf 'PUT a 1\nGET a\nGET b\n' | nc -q1 127.0.0.1 7000
 *   OK / VAL 1 / NOTFOUND
 *
 * A QUIT request stops it. Its "disk" is memory: it lasts as long as the
 * process.
 */
#include <stdio.h>

#include <jnet/jnet.h>
#include "kv.h"

typedef struct {
  kv_server_config cfg;
  kv_disk disk;
  int err;
} server_args;

static void serve(void *arg) {
  server_args *a = arg;
  kv_server *s;
  a->err = kv_server_start(&s, &a->cfg, &a->disk);
  if (a->err < 0)
    return;
  printf("kv-server: listening on %s:%d\n", a->cfg.host, kv_server_port(s));
  fflush(stdout);
  kv_server_release(s); /* it runs until a QUIT */
}

int main(int argc, char **argv) {
  static server_args a; /* the disk is ~45 KiB: not on the stack */
  kv_server_config_default(&a.cfg);
  a.cfg.host = argc > 1 ? argv[1] : "127.0.0.1";
  a.cfg.port = argc > 2 ? argv[2] : "7000";
  const jnet_backend *b = jnet_backend_uv();
  jnet_loop *l;
  if (b == NULL || jnet_loop_new(&l, b) < 0) {
    fprintf(stderr, "kv-server: cannot create the loop\n");
    return 1;
  }
  jnet_go(l, serve, &a);
  int err = jnet_run(l);
  jnet_loop_free(l);
  jnet_backend_free(b);
  if (a.err < 0 || err < 0) {
    fprintf(stderr, "kv-server: %s\n", jnet_strerror(a.err < 0 ? a.err : err));
    return 1;
  }
  return 0;
}
