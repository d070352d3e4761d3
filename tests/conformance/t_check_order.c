/* t_check_order.c — the order in which a call checks its arguments, where
 * two are wrong at once: the caller sees the first check's code, the same
 * on both backends. jnet_address checks the port before the host: a bad
 * numeric port (out of range, or more than five digits even when its value
 * is in range) is JNET_EAI_SERVICE whatever the host, and an empty host
 * with a good port is JNET_EAI_NONAME. A signed port ("+80", "-1") is bad
 * too, whatever the host: it never reaches the backend as a service name. */
#include "conf.h"

static void f_port_before_host(void *arg) {
  conf *t = arg;
  jnet_addr a;
  CONF_REC(t, 0, jnet_address("", "70000", JNET_STREAM, &a));
  CONF_REC(t, 1, jnet_address("", "000080", JNET_STREAM, &a));
  CONF_REC(t, 2, jnet_address("", "80", JNET_STREAM, &a));
  CONF_REC(t, 3, jnet_address("127.0.0.1", "000080", JNET_DATAGRAM, &a));
  CONF_REC(t, 4, jnet_address("127.0.0.1", "00080", JNET_DATAGRAM, &a));
  CONF_REC(t, 5, jnet_address("", "+80", JNET_STREAM, &a));
  CONF_REC(t, 6, jnet_address("", "-1", JNET_DATAGRAM, &a));
  t->done = 1;
}

START_TEST(address_checks_the_port_before_the_host) {
  conf *t = conf_open();
  conf_run(t, f_port_before_host);
  CONF_EQ(t, 0, JNET_EAI_SERVICE);
  CONF_EQ(t, 1, JNET_EAI_SERVICE);
  CONF_EQ(t, 2, JNET_EAI_NONAME);
  CONF_EQ(t, 3, JNET_EAI_SERVICE);
  CONF_EQ(t, 4, 0); /* five digits: the leading zeros are fine */
  CONF_EQ(t, 5, JNET_EAI_SERVICE); /* a signed port is bad, not a name */
  CONF_EQ(t, 6, JNET_EAI_SERVICE);
  conf_close(t);
}
END_TEST

void conf_add_check_order(Suite *s) {
  CONF_CASE(s, address_checks_the_port_before_the_host);
}
