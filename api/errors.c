/* errors.c — names and messages of the JNET_E* codes, from the one table. */
#include <jnet/jnet.h>

const char *jnet_strerror(int err) {
  if (err == 0)
    return "success";
  switch (err) {
#define JNET__STRERROR(name, value, msg)                                       \
  case JNET_##name:                                                            \
    return msg;
    JNET_ERRNO_MAP(JNET__STRERROR)
#undef JNET__STRERROR
  default:
    break;
  }
  return "unknown error";
}

const char *jnet_err_name(int err) {
  if (err == 0)
    return "OK";
  switch (err) {
#define JNET__ERR_NAME(name, value, msg)                                       \
  case JNET_##name:                                                            \
    return #name;
    JNET_ERRNO_MAP(JNET__ERR_NAME)
#undef JNET__ERR_NAME
  default:
    break;
  }
  return "EUNKNOWN";
}
