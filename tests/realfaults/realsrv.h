/* realsrv.h — helpers for the real-server tests: free loopback ports,
 * child processes (redis-server, python3 -m http.server, jnet-proxy)
 * started and stopped by PID with bounded waits, and small RESP and HTTP
 * clients on jnet's public API. */
#ifndef JNET_TEST_REALSRV_H
#define JNET_TEST_REALSRV_H

#include <stddef.h>
#include <sys/types.h>

#include <jnet/jnet.h>

/* A free TCP (or UDP) port on 127.0.0.1, or -1. */
int rs_free_port(int udp);
/* The full path of `name` on PATH (a static buffer), or NULL. */
const char *rs_which(const char *name);
/* Start argv (argv[0] a path) with stdout to a pipe (*out_fd, may be
 * NULL: /dev/null) and stderr inherited. The pid, or -1. */
pid_t rs_spawn(char *const argv[], int *out_fd);
/* Wait until 127.0.0.1:port accepts a TCP connection; 0 or -1 after
 * timeout_s. */
int rs_wait_port(int port, double timeout_s);
/* SIGTERM, wait up to 3 s, then SIGKILL; the exit status (or -1). */
int rs_stop(pid_t pid);
/* Read lines from fd until one equals "ready" (within timeout_s); the
 * port of the first "listening NAME PROTO HOST:PORT ..." line, or -1. */
int rs_proxy_port(int fd, double timeout_s);
/* Run argv to completion (bounded by 10 s); its exit status or -1. Its
 * stdout goes to out[n] (may be NULL). */
int rs_run(char *const argv[], char *out, size_t n);

/* RESP: send the command (words) and read one reply into reply[n]
 * ("+PONG", "$3 bar" as "bar", ":1", "-ERR ..."). 0 or a JNET_E* code. */
int resp_call(jnet_stream s, const char *const *words, int nwords,
              char *reply, size_t n, double timeout);
/* HTTP/1.0 GET path from host:port; the body length in *body_len, and
 * (if not NULL) the time the first bytes of the reply came in *first_at
 * and how many they were in *first_bytes. 0 or a JNET_E* code (-1 for a
 * malformed reply). */
int http_get(const char *port, const char *path, size_t *body_len,
             double *first_at, size_t *first_bytes, double timeout);

#endif /* JNET_TEST_REALSRV_H */
