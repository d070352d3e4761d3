/* jnet_errno.h — the error codes of jnet, one X-macro table (libuv's UV_ERRNO_MAP).
 *
 * Every function returns 0 or a count on success and a negative JNET_E* code on
 * failure. Codes that name an OS condition are the negated errno value, as in
 * libuv on Unix, so a backend maps a failed system call with `-errno`. Resolver
 * codes reuse libuv's UV_EAI_* values. jnet's own conditions live at -4000.
 *
 * This header is shared vocabulary: the API, both backends and the network model
 * include it; it depends on nothing but <errno.h>.
 */
#ifndef JNET_ERRNO_H
#define JNET_ERRNO_H

#include <errno.h>

/* XX(name, value, message) */
#define JNET_ERRNO_MAP(XX)                                                     \
  XX(EPERM, -EPERM, "operation not permitted")                                 \
  XX(ENOENT, -ENOENT, "no such file or directory")                             \
  XX(EINTR, -EINTR, "interrupted system call")                                 \
  XX(EBADF, -EBADF, "bad file descriptor")                                     \
  XX(EAGAIN, -EAGAIN, "resource temporarily unavailable")                      \
  XX(ENOMEM, -ENOMEM, "not enough memory")                                     \
  XX(EACCES, -EACCES, "permission denied")                                     \
  XX(EFAULT, -EFAULT, "bad address in system call argument")                   \
  XX(EBUSY, -EBUSY, "resource busy or locked")                                 \
  XX(EDEADLK, -EDEADLK, "resource deadlock avoided")                          \
  XX(EEXIST, -EEXIST, "file already exists")                                   \
  XX(ENOTDIR, -ENOTDIR, "not a directory")                                     \
  XX(EINVAL, -EINVAL, "invalid argument")                                      \
  XX(ENFILE, -ENFILE, "file table overflow")                                   \
  XX(EMFILE, -EMFILE, "too many open files")                                   \
  XX(ENOSPC, -ENOSPC, "no space left on device")                               \
  XX(EPIPE, -EPIPE, "broken pipe")                                             \
  XX(ENAMETOOLONG, -ENAMETOOLONG, "name too long")                             \
  XX(ENOSYS, -ENOSYS, "function not implemented")                              \
  XX(ENOTSOCK, -ENOTSOCK, "socket operation on non-socket")                    \
  XX(EDESTADDRREQ, -EDESTADDRREQ, "destination address required")              \
  XX(EMSGSIZE, -EMSGSIZE, "message too long")                                  \
  XX(EPROTO, -EPROTO, "protocol error")                                        \
  XX(EPROTOTYPE, -EPROTOTYPE, "protocol wrong type for socket")                \
  XX(ENOPROTOOPT, -ENOPROTOOPT, "protocol not available")                      \
  XX(EPROTONOSUPPORT, -EPROTONOSUPPORT, "protocol not supported")              \
  XX(ENOTSUP, -EOPNOTSUPP, "operation not supported on this stream")          \
  XX(EAFNOSUPPORT, -EAFNOSUPPORT, "address family not supported")              \
  XX(EADDRINUSE, -EADDRINUSE, "address already in use")                        \
  XX(EADDRNOTAVAIL, -EADDRNOTAVAIL, "address not available")                   \
  XX(ENETDOWN, -ENETDOWN, "network is down")                                   \
  XX(ENETUNREACH, -ENETUNREACH, "network is unreachable")                      \
  XX(ECONNABORTED, -ECONNABORTED, "software caused connection abort")          \
  XX(ECONNRESET, -ECONNRESET, "connection reset by peer")                      \
  XX(ENOBUFS, -ENOBUFS, "no buffer space available")                           \
  XX(EISCONN, -EISCONN, "socket is already connected")                         \
  XX(ENOTCONN, -ENOTCONN, "socket is not connected")                           \
  XX(ETIMEDOUT, -ETIMEDOUT, "connection timed out")                            \
  XX(ECONNREFUSED, -ECONNREFUSED, "connection refused")                        \
  XX(EHOSTUNREACH, -EHOSTUNREACH, "host is unreachable")                       \
  XX(EALREADY, -EALREADY, "connection already in progress")                    \
  XX(ECANCELED, -ECANCELED, "operation canceled")                              \
  XX(EAI_ADDRFAMILY, -3000, "address family not supported")                    \
  XX(EAI_AGAIN, -3001, "temporary failure")                                    \
  XX(EAI_BADFLAGS, -3002, "bad ai_flags value")                                \
  XX(EAI_CANCELED, -3003, "request canceled")                                  \
  XX(EAI_FAIL, -3004, "permanent failure")                                     \
  XX(EAI_FAMILY, -3005, "ai_family not supported")                             \
  XX(EAI_MEMORY, -3006, "out of memory")                                       \
  XX(EAI_NODATA, -3007, "no address")                                          \
  XX(EAI_NONAME, -3008, "unknown node or service")                             \
  XX(EAI_OVERFLOW, -3009, "argument buffer overflow")                          \
  XX(EAI_SERVICE, -3010, "service not available for socket type")              \
  XX(EAI_SOCKTYPE, -3011, "socket type not supported")                         \
  XX(ECLOSED, -4000, "stream is closed")                                       \
  XX(ENOTFIBER, -4001, "blocking call outside a fiber")                        \
  XX(EUNKNOWN, -4094, "unknown error")

enum {
#define JNET__ERRNO_ENUM(name, value, msg) JNET_##name = (value),
  JNET_ERRNO_MAP(JNET__ERRNO_ENUM)
#undef JNET__ERRNO_ENUM
};

#endif /* JNET_ERRNO_H */
