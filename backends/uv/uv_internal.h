/* uv_internal.h — private to backends/uv/: the backend's state, its sockets,
 * and the functions its files share.
 *
 * The one idea (Janet's ev.c, libuv's uv__io_t): a socket is a plain
 * non-blocking fd. Every operation first tries its system call at once and
 * completes synchronously when it can; only when the call would block does
 * the request park in the socket's read or write slot, and one uv_poll_t per
 * socket watches the fd for the readiness that lets the call be retried. The
 * poll callback retries and completes parked requests.
 */
#ifndef JNET_UV_INTERNAL_H
#define JNET_UV_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include <jnet/jnet.h>
#include "jnet_alloc.h"
#include <jnet/jnet_backend.h>

typedef struct jnet__uv jnet__uv;

/* What a parked request is waiting to do. */
typedef enum {
  JNET__UV_ACCEPT = 1, /* read side */
  JNET__UV_READ,
  JNET__UV_RECV_FROM,
  JNET__UV_CONNECT, /* write side */
  JNET__UV_WRITE,
  JNET__UV_SEND_TO
} jnet__uv_op;

struct jnet_bsock {
  uv_poll_t poll; /* watches fd while a request is parked (poll.data = us) */
  jnet__uv *uv;   /* the backend that owns us */
  int fd;         /* -1 once closed */
  int family;     /* AF_INET, AF_INET6, AF_UNIX */
  int type;       /* JNET_STREAM or JNET_DATAGRAM */
  int armed;      /* UV_READABLE | UV_WRITABLE the poll handle watches */
  unsigned poll_inited : 1, closing : 1, listening : 1;
  unsigned shut_rd : 1, shut_wr : 1;
  jnet_req *rd; /* parked accept, read or recv_from */
  jnet_req *wr; /* parked connect, write or send_to */
  jnet__uv_op rd_op, wr_op;
  char *unlink_path;       /* a unix path we bound: unlinked by close */
  jnet_bsock *prev, *next; /* in uv->socks, for stop() */
};

/* The backend instance: the vtable the user holds, and the loop state. */
struct jnet__uv {
  jnet_backend vtable; /* first: a jnet_backend * is a jnet__uv * */
  uv_loop_t loop;
  uv_timer_t deadline_timer; /* bounds a blocking poll */
  int started;               /* a jnet loop is attached */
  int stopping;              /* inside stop(): no more completions */
  size_t npending;           /* requests that owe a completion */
  uint64_t ncompleted;       /* completions run, so poll knows it did work */
  jnet_bsock *socks;         /* every open socket */
  /* The one node. Its address is the jnet_node * handed out; the type stays
   * incomplete here so the sim's struct jnet_node never clashes with ours. */
  char node_tag;
};

static inline jnet__uv *jnet__uv_of(const jnet_backend *b) {
  return (jnet__uv *)b->app_data;
}

/* socket.c: lifecycle and the readiness engine */
int jnet__uv_socket(const jnet_backend *b, jnet_node *node, int family,
                    int type, jnet_bsock **out);
int jnet__uv_bind(const jnet_backend *b, jnet_bsock *s, const jnet_addr *addr);
int jnet__uv_listen(const jnet_backend *b, jnet_bsock *s, int backlog);
void jnet__uv_close(const jnet_backend *b, jnet_bsock *s);
void jnet__uv_cancel(const jnet_backend *b, jnet_req *req);
int jnet__uv_park(jnet_bsock *s, jnet_req *req, jnet__uv_op op);
/* io.c: one non-blocking attempt of a parked op; 1 if it completed (result
 * set), 0 if it would still block */
int jnet__uv_try(jnet_bsock *s, jnet_req *req, jnet__uv_op op, int retry);
int jnet__uv_accept(const jnet_backend *b, jnet_bsock *s, jnet_req *req);
int jnet__uv_connect(const jnet_backend *b, jnet_bsock *s, jnet_req *req);
int jnet__uv_read(const jnet_backend *b, jnet_bsock *s, jnet_req *req);
int jnet__uv_write(const jnet_backend *b, jnet_bsock *s, jnet_req *req);
int jnet__uv_send_to(const jnet_backend *b, jnet_bsock *s, jnet_req *req);
int jnet__uv_recv_from(const jnet_backend *b, jnet_bsock *s, jnet_req *req);

/* sockopt.c: synchronous controls */
int jnet__uv_shutdown(const jnet_backend *b, jnet_bsock *s, int mode);
int jnet__uv_setsockopt(const jnet_backend *b, jnet_bsock *s, int option,
                        jnet_optval v);
int jnet__uv_nodelay(const jnet_backend *b, jnet_bsock *s, int on);
int jnet__uv_localname(const jnet_backend *b, jnet_bsock *s, jnet_addr *out);
int jnet__uv_peername(const jnet_backend *b, jnet_bsock *s, jnet_addr *out);

/* resolve.c */
int jnet__uv_resolve(const jnet_backend *b, jnet_node *node, jnet_req *req,
                     const char *host, const char *port, int type, int passive);
void jnet__uv_resolve_cancel(jnet__uv *uv, jnet_req *req);

#endif /* JNET_UV_INTERNAL_H */
