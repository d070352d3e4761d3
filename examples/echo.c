/* echo.c — an echo server and a client in one program, on real sockets.
 *
 *   build/examples/echo [MESSAGE]
 *
 * The server listens on 127.0.0.1 (an ephemeral port) and echoes what each
 * connection sends; the client connects, writes MESSAGE, reads the echo back
 * and closes the server, which ends the run. Give jnet_loop_new the backend
 * jnet_sim_backend(sim) instead and the same code runs on the simulated
 * network.
 */
#include <stdio.h>
#include <string.h>

#include <jnet/jnet.h>

typedef struct {
  jnet_stream srv;
  char port[8];
  const char *text;
} demo;

static void echo(jnet_stream conn, void *arg) {
  (void)arg;
  jnet_buf b;
  jnet_buf_init(&b);
  while (jnet_read(conn, 4096, &b, 5.0) > 0) { /* 0: end of stream */
    if (jnet_write(conn, b.data, b.len, 5.0) < 0)
      break;
    jnet_buf_reset(&b);
  }
  jnet_buf_free(&b);
} /* jnet closes conn when the handler returns */

static void client(void *arg) {
  demo *d = arg;
  size_t n = strlen(d->text);
  jnet_stream conn;
  jnet_buf b;
  jnet_buf_init(&b);
  ssize_t r = jnet_connect("127.0.0.1", d->port, JNET_STREAM, NULL, NULL, &conn);
  if (r == 0 && (r = jnet_write(conn, d->text, n, 5.0)) == 0)
    r = jnet_chunk(conn, n, &b, 5.0); /* exactly n bytes, or fewer at EOF */
  if (r < 0)
    printf("client: %s\n", jnet_strerror((int)r));
  else
    printf("client: echoed \"%.*s\"\n", (int)b.len, b.data);
  jnet_buf_free(&b);
  jnet_close(conn);
  jnet_close(d->srv); /* the server's accept loop returns: the run ends */
}

static void server(void *arg) {
  demo *d = arg;
  jnet_addr a;
  char host[64];
  int port;
  int err = jnet_server("127.0.0.1", NULL, echo, NULL, JNET_STREAM, &d->srv);
  if (err < 0) {
    printf("server: %s\n", jnet_strerror(err));
    return;
  }
  jnet_localname(d->srv, &a);
  jnet_address_unpack(&a, host, sizeof host, &port);
  snprintf(d->port, sizeof d->port, "%d", port);
  printf("server: listening on %s:%d\n", host, port);
  jnet_go(NULL, client, d);
}

int main(int argc, char **argv) {
  demo d = {JNET_NOSTREAM, "", argc > 1 ? argv[1] : "hello, jnet"};
  const jnet_backend *b = jnet_backend_uv();
  jnet_loop *l;
  if (b == NULL || jnet_loop_new(&l, b) < 0)
    return 1;
  jnet_go(l, server, &d);
  int err = jnet_run(l);
  jnet_loop_free(l);
  jnet_backend_free(b);
  return err < 0;
}
