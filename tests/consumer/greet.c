/* greet.c — a scenario runner of one's own: two programs and a main().
 *
 *   ./greet sweep greet.scn --seeds 1..20     (greet.scn beside this file)
 *
 * "greeter" answers each line NAME with "hello, NAME"; "visitor" sends its
 * name and checks the answer (check `ok`). The consumer test (consumer.sh)
 * builds this file against an installed jnet, as README's recipes do.
 */
#include <stdio.h>
#include <string.h>

#include <jnet/jnet.h>
#include <jnet/jnet_scenario.h>

/* greeter [port=7000]: serves until the run ends. */
static void greeter(jnet_prog_ctx *ctx) {
  jnet_stream srv, conn;
  const char *port = jnet_prog_arg(ctx, "port", "7000");
  if (jnet_listen(jnet_prog_host(ctx), port, JNET_STREAM, &srv) < 0) {
    jnet_prog_check(ctx, "listen", 0, "cannot listen on %s", port);
    return;
  }
  while (jnet_accept(srv, JNET_FOREVER, &conn) == 0) {
    jnet_buf b;
    jnet_buf_init(&b);
    while (jnet_read(conn, 64, &b, 5.0) > 0 && b.data[b.len - 1] != '\n') {
    }
    char reply[96];
    int n = snprintf(reply, sizeof reply, "hello, %.*s", (int)b.len, b.data);
    jnet_write(conn, reply, (size_t)n, 5.0);
    jnet_buf_free(&b);
    jnet_close(conn);
  }
}

/* visitor server=HOST name=NAME [port=7000]: check `ok`. */
static void visitor(jnet_prog_ctx *ctx) {
  const char *server = jnet_prog_arg(ctx, "server", "server");
  const char *name = jnet_prog_arg(ctx, "name", "ada");
  jnet_stream s;
  int rc = -1;
  for (int tries = 0; tries < 20 && rc < 0; tries++) {
    rc = jnet_connect(server, jnet_prog_arg(ctx, "port", "7000"),
                      JNET_STREAM, NULL, NULL, &s);
    if (rc < 0)
      jnet_sleep(0.1);
  }
  if (rc < 0) {
    jnet_prog_check(ctx, "ok", 0, "connect: %s", jnet_strerror(rc));
    return;
  }
  char line[64], want[96];
  int n = snprintf(line, sizeof line, "%s\n", name);
  snprintf(want, sizeof want, "hello, %s\n", name);
  jnet_buf b;
  jnet_buf_init(&b);
  rc = jnet_write(s, line, (size_t)n, 5.0);
  if (rc == 0)
    jnet_read_all(s, &b, 5.0);
  jnet_prog_check(ctx, "ok", b.len == strlen(want) &&
                                 memcmp(b.data, want, b.len) == 0,
                  "got %zu bytes: %.*s", b.len, (int)b.len, b.data);
  jnet_buf_free(&b);
  jnet_close(s);
}

static const jnet_program programs[] = {
    {"greeter", greeter, "answers NAME with hello, NAME (port=)"},
    {"visitor", visitor, "sends name=, checks the answer; check ok"},
};

int main(int argc, char **argv) {
  return jnet_scenario_main(argc, argv, programs, 2);
}
