/* jnet_port.h — a port given as a string, read alike by the API (before it
 * asks a backend) and by the model's resolver: "" is no port, digits only
 * are a number (at most five digits, at most 65535), anything else names a
 * service. Header-only, as the rest of common/.
 */
#ifndef JNET_PORT_H
#define JNET_PORT_H

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum {
  JNET__PORT_BAD = -1, /* "", or a number out of range */
  JNET__PORT_NAME,     /* a service name, left to the caller */
  JNET__PORT_NUMBER    /* digits: *out is the value */
};

/* What `port` is: JNET__PORT_NUMBER (its value in *out), _NAME or _BAD. */
static inline int jnet__port_number(const char *port, long *out) {
  if (port[0] == '\0')
    return JNET__PORT_BAD;
  for (const char *p = port; *p; p++)
    if (!isdigit((unsigned char)*p))
      return JNET__PORT_NAME;
  if (strlen(port) > 5)
    return JNET__PORT_BAD;
  long n = strtol(port, NULL, 10);
  if (n > 65535)
    return JNET__PORT_BAD;
  *out = n;
  return JNET__PORT_NUMBER;
}

#endif /* JNET_PORT_H */
