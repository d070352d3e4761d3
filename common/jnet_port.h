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

/* 1: a number, *out its value; 0: a service name, left to the caller;
 * -1: neither ("", or a number out of range). */
static inline int jnet__port_number(const char *port, long *out) {
  if (port[0] == '\0')
    return -1;
  for (const char *p = port; *p; p++)
    if (!isdigit((unsigned char)*p))
      return 0;
  if (strlen(port) > 5)
    return -1;
  long n = strtol(port, NULL, 10);
  if (n > 65535)
    return -1;
  *out = n;
  return 1;
}

#endif /* JNET_PORT_H */
