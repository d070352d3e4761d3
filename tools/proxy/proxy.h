/* proxy.h — jnet-proxy's private header: proxies, the words of its command
 * line, config file, timeline and control protocol (one vocabulary for
 * all four), and the pieces of the program.
 *
 * proxy_parse.c turns words into fault parameters and command lines into
 * commands (pure functions: the fuzz target drives them); proxy_run.c
 * relays TCP and UDP through the fault backend, serves the control socket
 * and plays the timeline; proxy_main.c is the command line.
 */
#ifndef JNET_PROXY_H
#define JNET_PROXY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jnet/jnet.h>
#include <jnet/jnet_faults.h>

#define PROXY_NAME_MAX 32
#define PROXY_HOST_MAX 256
#define PROXY_MAX 64       /* proxies in one process */
#define PROXY_EVENTS_MAX 256
#define PROXY_LINE_MAX 1024

/* ---- parsing (proxy_parse.c) --------------------------------------------- */

/* "20ms", "1.5s", "250us", "100ns", "2m" (minutes); a bare number is
 * seconds. 0 or -1. */
int proxy_parse_duration(const char *s, uint64_t *ns);
/* "64kb", "1mb", "512b", "1500": bytes (k = 1024). 0 or -1. */
int proxy_parse_size(const char *s, uint64_t *bytes);
/* "1mbit", "100kbit", "10gbit", "500bit", "2mbps" (bytes/s x 8): bits/s
 * (k = 1000). 0 or -1. */
int proxy_parse_rate(const char *s, uint64_t *bps);
/* "1%", "0.5%", "0.01": a probability in [0, 1]. 0 or -1. */
int proxy_parse_prob(const char *s, double *p);
/* "on"/"off"/"1"/"0"/"true"/"false". 0 or -1. */
int proxy_parse_bool(const char *s, int *v);
/* "HOST:PORT", "[v6]:PORT". 0 or -1. */
int proxy_parse_hostport(const char *s, char *host, size_t hn, char *port,
                         size_t pn);

/* Apply fault options (`latency 20ms jitter 5ms loss 1% blackhole on`,
 * each a name and a value; `blackhole` and `refuse` may stand alone) from
 * w[0..n) to *p. 0, or -1 with a message in err. */
int proxy_parse_faults(char **w, int n, jnet_fault_params *p, char *err,
                       size_t errn);

/* Is `name` ("latency" or "--latency") a fault option? */
int proxy_is_fault_option(const char *name);

/* Split a line into at most max words (in place; '#' starts a comment).
 * Returns the count, or -1 if there are more. */
int proxy_split(char *line, char **w, int max);

/* A control or timeline command. */
enum {
  PROXY_CMD_SET = 1, /* set NAME|* OPTIONS : change faults */
  PROXY_CMD_CLEAR,   /* clear NAME|* : no faults */
  PROXY_CMD_PARTITION, /* partition [NAME|*] : blackhole on */
  PROXY_CMD_HEAL,      /* heal [NAME|*] : blackhole off */
  PROXY_CMD_RESET,     /* reset [NAME|*] : reset open connections */
  PROXY_CMD_LIST,      /* list : one line per proxy */
  PROXY_CMD_STATS,     /* stats [NAME|*] */
  PROXY_CMD_QUIT,      /* quit : stop the proxy */
  PROXY_CMD_PING       /* ping : ok */
};

typedef struct proxy_cmd {
  int kind;
  char target[PROXY_NAME_MAX]; /* a proxy name, or "*" */
  /* PROXY_CMD_SET: the options, applied over the current faults */
  int nopts;
  char opts[32][64];
} proxy_cmd;

/* Parse one control line (no newline). 0, or -1 with a message in err. */
int proxy_parse_command(const char *line, proxy_cmd *c, char *err,
                        size_t errn);

/* Apply a SET command's options to *p. 0 or -1 with a message. */
int proxy_cmd_apply(const proxy_cmd *c, jnet_fault_params *p, char *err,
                    size_t errn);

/* ---- proxies (proxy_run.c) -------------------------------------------------- */

typedef struct proxy proxy;

typedef struct proxy_event {
  uint64_t at_ns; /* after start */
  proxy_cmd cmd;
} proxy_event;

typedef struct proxy_conf {
  char name[PROXY_NAME_MAX];
  int udp;
  char listen_host[PROXY_HOST_MAX], listen_port[16];
  char up_host[PROXY_HOST_MAX], up_port[16];
  jnet_fault_params faults;
} proxy_conf;

typedef struct proxy_opts {
  uint64_t seed;
  const char *pcap_path;
  const char *control_path;
  const char *log_path; /* fault log: "-" stdout */
  size_t max_conns;     /* 0: unlimited */
  double udp_idle_s;
  int nproxies;
  proxy_conf proxies[PROXY_MAX];
  int nevents;
  proxy_event events[PROXY_EVENTS_MAX];
} proxy_opts;

/* Parse a config file (proxy, at, seed, pcap, control, log lines) into o.
 * 0, or -1 with "file:line: message" printed to stderr. */
int proxy_load_config(const char *path, proxy_opts *o);
/* Parse a timeline file (at lines only). */
int proxy_load_timeline(const char *path, proxy_opts *o);
/* Parse one `at TIME COMMAND` line's words. 0 or -1 with message. */
int proxy_parse_at(char **w, int n, proxy_event *e, char *err, size_t errn);

/* Run every proxy until `quit` or SIGINT/SIGTERM. The exit status. */
int proxy_run(proxy_opts *o);

/* `jnet-proxy ctl PATH WORDS...`: send one line, print the reply. */
int proxy_ctl(const char *path, int argc, char **argv);

#endif /* JNET_PROXY_H */
