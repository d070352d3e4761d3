/* backend.c — the libuv backend's vtable: creation, the loop (start, stop,
 * poll), the clock, randomness and the one node.
 *
 * Each jnet_backend_uv() call makes an instance with its own uv_loop_t (never
 * the default loop), so loops on different threads each get their own.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "jnet_mix.h"
#include "uv_internal.h"

static int be_start(const jnet_backend *b, const jnet_backend_hooks *hooks,
                    void *loop_arg) {
  (void)hooks; /* one node that never crashes: nothing to report */
  (void)loop_arg;
  jnet__uv *uv = jnet__uv_of(b);
  if (uv->started)
    return JNET_EBUSY;
  int err = uv_loop_init(&uv->loop);
  if (err < 0)
    return err;
  err = uv_timer_init(&uv->loop, &uv->deadline_timer);
  if (err < 0) {
    uv_loop_close(&uv->loop);
    return err;
  }
  uv_unref((uv_handle_t *)&uv->deadline_timer);
  uv->loop.data = uv;
  uv->started = 1;
  uv->stopping = 0;
  uv->npending = 0;
  uv->socks = NULL;
  return 0;
}

/* Close every socket left, then let libuv finish its close callbacks and
 * any resolver requests still in the thread pool. */
static void be_stop(const jnet_backend *b) {
  jnet__uv *uv = jnet__uv_of(b);
  if (!uv->started)
    return;
  uv->stopping = 1;
  while (uv->socks != NULL)
    jnet__uv_close(b, uv->socks);
  uv_close((uv_handle_t *)&uv->deadline_timer, NULL);
  while (uv_run(&uv->loop, UV_RUN_DEFAULT) != 0)
    ;
  int err = uv_loop_close(&uv->loop);
  (void)err;
  assert(err == 0);
  uv->npending = 0;
  uv->started = 0;
  uv->stopping = 0;
}

static void be_destroy(const jnet_backend *b) {
  jnet__uv *uv = jnet__uv_of(b);
  be_stop(b);
  jnet__free(uv);
}

static jnet_node *be_default_node(const jnet_backend *b) {
  return (jnet_node *)(void *)&jnet__uv_of(b)->node_tag;
}

static uint64_t be_now_ns(const jnet_backend *b) {
  (void)b;
  return uv_hrtime();
}

static uint64_t be_random(const jnet_backend *b, jnet_node *node) {
  (void)b;
  (void)node;
  uint64_t v = 0;
  unsigned char *p = (unsigned char *)&v;
  size_t got = 0;
  while (got < sizeof v) {
    ssize_t n = getrandom(p + got, sizeof v - got, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      /* no getrandom (old kernel, seccomp): a mixed clock beats nothing */
      return jnet__splitmix64(uv_hrtime());
    }
    got += (size_t)n;
  }
  return v;
}

static void on_deadline(uv_timer_t *t) { (void)t; }

/* One turn of the uv loop. Blocks (UV_RUN_ONCE) until an fd is ready, a
 * resolver finishes, or the deadline timer fires; never blocks when nothing
 * can complete and there is no deadline. */
static int be_poll(const jnet_backend *b, uint64_t deadline_ns, int block) {
  jnet__uv *uv = jnet__uv_of(b);
  if (!uv->started)
    return JNET_EINVAL;
  uint64_t done_before = uv->ncompleted;
  uint64_t now = uv_hrtime();
  int has_deadline = deadline_ns != JNET_NO_DEADLINE;
  if (!block || (has_deadline && deadline_ns <= now) ||
      (!has_deadline && uv->npending == 0)) {
    uv_run(&uv->loop, UV_RUN_NOWAIT);
  } else {
    if (has_deadline) {
      /* round up: waking a little late beats spinning on a 0 ms timer */
      uint64_t ms = (deadline_ns - now + 999999) / 1000000;
      uv_update_time(&uv->loop);
      uv_timer_start(&uv->deadline_timer, on_deadline, ms, 0);
      uv_ref((uv_handle_t *)&uv->deadline_timer);
    }
    uv_run(&uv->loop, UV_RUN_ONCE);
    if (has_deadline) {
      uv_timer_stop(&uv->deadline_timer);
      uv_unref((uv_handle_t *)&uv->deadline_timer);
    }
  }
  if (uv->ncompleted != done_before || uv->npending > 0 || has_deadline)
    return 1;
  return 0;
}

static int be_node_check(const jnet_backend *b, jnet_node *node) {
  return node == be_default_node(b) ? 0 : JNET_EINVAL;
}

const jnet_backend *jnet_backend_uv(void) {
  jnet__uv *uv = jnet__calloc(1, sizeof *uv);
  if (uv == NULL)
    return NULL;
  jnet_backend *b = &uv->vtable;
  b->version = JNET_BACKEND_VERSION;
  b->name = "uv";
  b->app_data = uv;
  b->start = be_start;
  b->stop = be_stop;
  b->destroy = be_destroy;
  b->default_node = be_default_node;
  b->now_ns = be_now_ns;
  b->random = be_random;
  b->poll = be_poll;
  b->resolve = jnet__uv_resolve;
  b->socket = jnet__uv_socket;
  b->bind = jnet__uv_bind;
  b->listen = jnet__uv_listen;
  b->accept = jnet__uv_accept;
  b->connect = jnet__uv_connect;
  b->read = jnet__uv_read;
  b->write = jnet__uv_write;
  b->send_to = jnet__uv_send_to;
  b->recv_from = jnet__uv_recv_from;
  b->cancel = jnet__uv_cancel;
  b->shutdown = jnet__uv_shutdown;
  b->setsockopt = jnet__uv_setsockopt;
  b->nodelay = jnet__uv_nodelay;
  b->localname = jnet__uv_localname;
  b->peername = jnet__uv_peername;
  b->close = jnet__uv_close;
  b->node_check = be_node_check; /* version 2 */
  return b;
}

void jnet_backend_free(const jnet_backend *b) {
  if (b != NULL && b->destroy != NULL)
    b->destroy(b);
}
