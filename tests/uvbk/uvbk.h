/* uvbk.h — helpers shared by the uv backend's suites (uvbk.c). */
#ifndef JNET_TEST_UVBK_H
#define JNET_TEST_UVBK_H

#include <check.h>
#include <stddef.h>

#include <jnet/jnet.h>
#include <jnet/jnet_backend.h>

#define WAIT_NS 5000000000ull /* the longest any test waits: 5 s */

extern const jnet_backend *B; /* the fixture's backend, started */
extern const jnet_backend_hooks HOOKS;

void setup(void);
void teardown(void);
void on_done(jnet_req *req);
void req_init(jnet_req *req, int *counter);
/* Start a read of up to n bytes into buf on s that must park (not complete
 * at once); completions count into *counter. */
void park_read(jnet_bsock *s, jnet_req *rd, void *buf, size_t n, int *counter);
int poll_until(int *counter, int want);
void poll_for_ms(int ms);
ssize_t finish(int started, jnet_req *req, int *counter);
jnet_addr ip4(const char *host, int port);
jnet_addr unix_path(const char *path);
int port_of(jnet_bsock *s);
jnet_bsock *tcp_listener(void);
void connect_pair(jnet_bsock *lsn, int family, const jnet_addr *dst,
                  jnet_bsock **client, jnet_bsock **server);
void tcp_pair(jnet_bsock **lsn, jnet_bsock **client, jnet_bsock **server);
ssize_t write_all(jnet_bsock *s, const void *p, size_t n);
ssize_t read_some(jnet_bsock *s, void *p, size_t n);
int is_loopback(const jnet_addr *a);
void tmp_path(char *out, size_t n, const char *tag);
jnet_bsock *udp_bound(void);

#endif /* JNET_TEST_UVBK_H */
