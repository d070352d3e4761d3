/* realsrv.c — child processes, ports and tiny RESP/HTTP clients for the
 * real-server tests (realsrv.h). */
#define _GNU_SOURCE
#include "realsrv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int rs_free_port(int udp) {
  int fd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
  if (fd < 0)
    return -1;
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = -1;
  if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
      getsockname(fd, (struct sockaddr *)&a, &len) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  return port;
}

const char *rs_which(const char *name) {
  static char buf[4096];
  const char *path = getenv("PATH");
  const char *dirs[] = {"/usr/bin", "/usr/sbin", "/usr/local/bin", "/bin"};
  if (path != NULL) {
    const char *p = path;
    while (*p) {
      const char *e = strchr(p, ':');
      size_t n = e ? (size_t)(e - p) : strlen(p);
      snprintf(buf, sizeof buf, "%.*s/%s", (int)n, p, name);
      if (n > 0 && access(buf, X_OK) == 0)
        return buf;
      p += n + (e ? 1 : 0);
    }
  }
  for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
    snprintf(buf, sizeof buf, "%s/%s", dirs[i], name);
    if (access(buf, X_OK) == 0)
      return buf;
  }
  return NULL;
}

pid_t rs_spawn(char *const argv[], int *out_fd) {
  int p[2] = {-1, -1};
  if (out_fd != NULL && pipe2(p, O_CLOEXEC) < 0)
    return -1;
  pid_t pid = fork();
  if (pid < 0) {
    if (out_fd != NULL) {
      close(p[0]);
      close(p[1]);
    }
    return -1;
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* a failed test takes its children */
    int fd = out_fd != NULL ? p[1] : open("/dev/null", O_WRONLY);
    if (fd >= 0)
      dup2(fd, 1);
    execv(argv[0], argv);
    _exit(127);
  }
  if (out_fd != NULL) {
    close(p[1]);
    *out_fd = p[0];
  }
  return pid;
}

int rs_wait_port(int port, double timeout_s) {
  double end = mono() + timeout_s;
  while (mono() < end) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
      close(fd);
    if (ok)
      return 0;
    usleep(20000);
  }
  return -1;
}

int rs_stop(pid_t pid) {
  int st;
  if (pid <= 0)
    return -1;
  kill(pid, SIGTERM);
  for (int i = 0; i < 300; i++) {
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid)
      return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (r < 0)
      return -1;
    usleep(10000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &st, 0);
  return -1;
}

int rs_proxy_port(int fd, double timeout_s) {
  char buf[4096];
  size_t len = 0;
  int port = -1;
  double end = mono() + timeout_s;
  while (mono() < end && len < sizeof buf - 1) {
    struct pollfd pfd = {fd, POLLIN, 0};
    int ms = (int)((end - mono()) * 1000) + 1;
    if (poll(&pfd, 1, ms) <= 0)
      break;
    ssize_t n = read(fd, buf + len, 1); /* byte by byte: stop at "ready" */
    if (n <= 0)
      break;
    len += (size_t)n;
    buf[len] = 0;
    if (buf[len - 1] != '\n')
      continue;
    char *line = buf;
    char *nl = strchr(line, '\n');
    *nl = 0;
    if (strncmp(line, "listening ", 10) == 0 && port < 0) {
      char name[64], proto[8], hp[300];
      if (sscanf(line, "listening %63s %7s %299s", name, proto, hp) == 3) {
        char *colon = strrchr(hp, ':');
        if (colon != NULL)
          port = atoi(colon + 1);
      }
    }
    int ready = strcmp(line, "ready") == 0;
    len = 0;
    if (ready)
      return port;
  }
  return -1;
}

int rs_run(char *const argv[], char *out, size_t n) {
  int fd;
  pid_t pid = rs_spawn(argv, &fd);
  if (pid < 0)
    return -1;
  size_t len = 0;
  double end = mono() + 10.0;
  for (;;) {
    struct pollfd pfd = {fd, POLLIN, 0};
    if (mono() > end || poll(&pfd, 1, 100) < 0)
      break;
    char tmp[512];
    ssize_t r = read(fd, tmp, sizeof tmp);
    if (r == 0)
      break;
    if (r < 0) {
      if (errno == EAGAIN || errno == EINTR)
        continue;
      break;
    }
    if (out != NULL && len + (size_t)r < n) {
      memcpy(out + len, tmp, (size_t)r);
      len += (size_t)r;
    }
  }
  if (out != NULL && n > 0)
    out[len < n ? len : n - 1] = 0;
  close(fd);
  int st;
  for (int i = 0; i < 1000; i++) {
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid)
      return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    usleep(10000);
  }
  return rs_stop(pid);
}

/* ---- RESP and HTTP on jnet ----------------------------------------------- */

/* Read until buf holds a full line; the line's length (without CRLF). */
static ssize_t read_line(jnet_stream s, jnet_buf *b, double timeout) {
  for (;;) {
    char *nl = b->len ? memmem(b->data, b->len, "\r\n", 2) : NULL;
    if (nl != NULL)
      return nl - b->data;
    ssize_t r = jnet_read(s, 65536, b, timeout);
    if (r < 0)
      return r;
    if (r == 0)
      return JNET_EPIPE; /* closed mid-reply */
  }
}

int resp_call(jnet_stream s, const char *const *words, int nwords,
              char *reply, size_t n, double timeout) {
  jnet_buf out, in;
  jnet_buf_init(&out);
  jnet_buf_init(&in);
  char head[64];
  snprintf(head, sizeof head, "*%d\r\n", nwords);
  int rc = jnet_buf_append(&out, head, strlen(head));
  for (int i = 0; rc == 0 && i < nwords; i++) {
    size_t wl = strlen(words[i]);
    snprintf(head, sizeof head, "$%zu\r\n", wl);
    rc = jnet_buf_append(&out, head, strlen(head));
    if (rc == 0)
      rc = jnet_buf_append(&out, words[i], wl);
    if (rc == 0)
      rc = jnet_buf_append(&out, "\r\n", 2);
  }
  if (rc == 0)
    rc = jnet_write(s, out.data, out.len, timeout);
  if (rc == 0) {
    ssize_t ll = read_line(s, &in, timeout);
    if (ll < 0) {
      rc = (int)ll;
    } else if (in.data[0] == '$') {
      long bl = strtol(in.data + 1, NULL, 10);
      size_t need = (size_t)ll + 2 + (bl > 0 ? (size_t)bl + 2 : 0);
      while (rc == 0 && in.len < need) {
        ssize_t r = jnet_read(s, need - in.len, &in, timeout);
        rc = r < 0 ? (int)r : r == 0 ? JNET_EPIPE : 0;
      }
      if (rc == 0)
        snprintf(reply, n, "%.*s", bl > 0 ? (int)bl : 0,
                 in.data + ll + 2);
    } else {
      snprintf(reply, n, "%.*s", (int)ll, in.data);
    }
  }
  jnet_buf_free(&out);
  jnet_buf_free(&in);
  return rc;
}

int http_get(const char *port, const char *path, size_t *body_len,
             double *first_at, size_t *first_bytes, double timeout) {
  jnet_stream s;
  int rc = jnet_connect("127.0.0.1", port, JNET_STREAM, NULL, NULL, &s);
  if (rc < 0)
    return rc;
  char req[512];
  snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
  rc = jnet_write(s, req, strlen(req), timeout);
  jnet_buf b;
  jnet_buf_init(&b);
  if (rc == 0) {
    ssize_t r = jnet_read(s, 65536, &b, timeout);
    if (first_at != NULL)
      *first_at = jnet_now();
    if (first_bytes != NULL)
      *first_bytes = b.len;
    if (r > 0)
      r = jnet_read_all(s, &b, timeout);
    if (r < 0) {
      rc = (int)r;
    } else {
      char *sep = b.len ? memmem(b.data, b.len, "\r\n\r\n", 4) : NULL;
      if (sep == NULL || b.len < 12 || memcmp(b.data + 9, "200", 3) != 0)
        rc = -1;
      else
        *body_len = b.len - (size_t)(sep + 4 - b.data);
    }
  }
  jnet_buf_free(&b);
  jnet_close(s);
  return rc;
}
