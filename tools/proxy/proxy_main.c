/* proxy_main.c — the jnet-proxy command line: options or a config file,
 * then proxy_run; `jnet-proxy ctl PATH COMMAND...` talks to a running one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

static const char usage[] =
    "usage: jnet-proxy [OPTIONS]\n"
    "       jnet-proxy --config FILE [OPTIONS]\n"
    "       jnet-proxy ctl SOCKET COMMAND...\n"
    "\n"
    "A TCP or UDP proxy that injects network faults (jnet's fault backend):\n"
    "clients connect to --listen, the proxy connects to --upstream, and the\n"
    "faults act on the upstream leg, one way each direction (a round trip\n"
    "through a 20ms proxy takes 40ms more).\n"
    "\n"
    "Proxy (one from the command line; more with --config):\n"
    "  --listen HOST:PORT     where clients connect (port 0: any; the line\n"
    "                         'listening NAME tcp HOST:PORT ...' says which)\n"
    "  --upstream HOST:PORT   the real server\n"
    "  --udp                  relay UDP datagrams instead of TCP\n"
    "  --name NAME            the proxy's name for ctl and timelines\n"
    "                         (default: proxy)\n"
    "\n"
    "Faults (also the words of `set` in ctl, timelines and config):\n"
    "  --latency DUR          one-way delay each direction (20ms, 1.5s)\n"
    "  --jitter DUR           extra random delay, 0..DUR\n"
    "  --jitter-dist NAME     uniform (default), normal, exponential, pareto\n"
    "  --bandwidth RATE       each direction (1mbit, 500kbit, 10mbps)\n"
    "  --loss P               UDP: datagram loss (1%, 0.01), each direction\n"
    "  --duplicate P          UDP: datagram duplication\n"
    "  --reorder P            UDP: hold a datagram back by --reorder-by\n"
    "  --reorder-by DUR       default 2 x latency, at least 1ms\n"
    "  --corrupt P            UDP: flip one bit of a datagram\n"
    "  --reset-after SIZE     reset a connection after SIZE bytes either way\n"
    "                         (64kb, 1mb); the client gets a RST\n"
    "  --close-after DUR      close a connection DUR after it opened\n"
    "  --blackhole            accept bytes, deliver nothing (half-open peer)\n"
    "  --refuse               refuse new connections (the client gets a RST)\n"
    "  --slice SIZE           send to the upstream in segments of SIZE\n"
    "  --slice-delay DUR      pause between segments\n"
    "  --slow-close DUR       close the upstream leg DUR after the client did\n"
    "\n"
    "Run:\n"
    "  --seed N               seed every random draw (default 1): the same\n"
    "                         seed gives the same sequence of faults\n"
    "  --config FILE          proxies, timeline and settings from FILE:\n"
    "                           proxy NAME tcp|udp listen H:P upstream H:P "
    "[faults]\n"
    "                           at TIME COMMAND      seed N      pcap FILE\n"
    "                           control PATH         log FILE\n"
    "  --timeline FILE        `at TIME COMMAND` lines, e.g. at 5s partition,\n"
    "                         at 10s heal, at 12s set link latency 200ms\n"
    "  --control PATH         serve the control protocol on a unix socket\n"
    "  --pcap FILE            write both legs' traffic as TCP/UDP packets\n"
    "  --log FILE             one line per injected fault ('-': stdout)\n"
    "  --max-conns N          refuse connections past N open (0: no limit)\n"
    "  --udp-idle DUR         end a UDP session idle this long (default 60s)\n"
    "  --help                 this text\n"
    "\n"
    "Control protocol (one line per command; the reply ends with a line\n"
    "'ok ...' or 'err MESSAGE'); NAME may be * (every proxy, the default):\n"
    "  set NAME|link FAULTS   change faults, e.g. set redis latency 200ms\n"
    "  clear [NAME]           remove every fault\n"
    "  partition [NAME]       blackhole on      heal [NAME]   blackhole off\n"
    "  reset [NAME]           reset every open connection\n"
    "  list                   one line per proxy with its faults\n"
    "  stats [NAME]           connections and bytes\n"
    "  ping                   ok              quit          stop the proxy\n";

/* A fault option: its words go to proxy_parse_faults. */
static int is_fault_flag(const char *a) {
  static const char *const flags[] = {"--blackhole", "--refuse"};
  for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
    if (strcmp(a, flags[i]) == 0)
      return 1;
  return 0;
}

static int is_value_option(const char *a) {
  static const char *const opts[] = {
      "--listen", "--upstream", "--name",  "--seed",      "--config",
      "--timeline", "--control", "--pcap", "--log", "--max-conns",
      "--udp-idle"};
  for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
    if (strcmp(a, opts[i]) == 0)
      return 1;
  return proxy_is_fault_option(a) && a[0] == '-';
}

static proxy_opts O; /* static: the config's strings stay reachable */

static int bad(const char *msg, const char *arg) {
  fprintf(stderr, "jnet-proxy: %s%s%s\n(see jnet-proxy --help)\n", msg,
          arg ? " " : "", arg ? arg : "");
  return 2;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "ctl") == 0) {
    if (argc < 4)
      return bad("usage: jnet-proxy ctl SOCKET COMMAND...", NULL);
    return proxy_ctl(argv[2], argc - 3, argv + 3);
  }
  proxy_conf cli;
  memset(&cli, 0, sizeof cli);
  strcpy(cli.name, "proxy");
  int have_listen = 0, have_up = 0, cli_faults = 0;
  O.seed = 1;
  O.udp_idle_s = 60.0;
  const char *config = NULL, *timeline = NULL;
  char err[160];
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    uint64_t u;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(usage, stdout);
      return 0;
    }
    if (strcmp(a, "--udp") == 0) {
      cli.udp = 1;
      continue;
    }
    if (is_fault_flag(a)) {
      char *w[1] = {argv[i]};
      (void)proxy_parse_faults(w, 1, &cli.faults, err, sizeof err); /* "on" */
      cli_faults = 1;
      continue;
    }
    if (!is_value_option(a))
      return bad(a[0] == '-' ? "unknown option" : "unexpected argument", a);
    if (v == NULL)
      return bad("missing value for", a);
    i++;
    if (strcmp(a, "--listen") == 0) {
      if (proxy_parse_hostport(v, cli.listen_host, sizeof cli.listen_host,
                               cli.listen_port, sizeof cli.listen_port) < 0)
        return bad("bad --listen (HOST:PORT):", v);
      have_listen = 1;
    } else if (strcmp(a, "--upstream") == 0) {
      if (proxy_parse_hostport(v, cli.up_host, sizeof cli.up_host, cli.up_port,
                               sizeof cli.up_port) < 0)
        return bad("bad --upstream (HOST:PORT):", v);
      have_up = 1;
    } else if (strcmp(a, "--name") == 0) {
      if (strlen(v) >= sizeof cli.name || strcmp(v, "*") == 0)
        return bad("bad --name", v);
      strcpy(cli.name, v);
    } else if (strcmp(a, "--seed") == 0) {
      char *end;
      O.seed = strtoull(v, &end, 0);
      if (*end != 0 || *v == 0)
        return bad("bad --seed", v);
    } else if (strcmp(a, "--config") == 0) {
      config = v;
    } else if (strcmp(a, "--timeline") == 0) {
      timeline = v;
    } else if (strcmp(a, "--control") == 0) {
      O.control_path = v;
    } else if (strcmp(a, "--pcap") == 0) {
      O.pcap_path = v;
    } else if (strcmp(a, "--log") == 0) {
      O.log_path = v;
    } else if (strcmp(a, "--max-conns") == 0) {
      char *end;
      O.max_conns = (size_t)strtoull(v, &end, 10);
      if (*end != 0 || *v == 0)
        return bad("bad --max-conns", v);
    } else if (strcmp(a, "--udp-idle") == 0) {
      if (proxy_parse_duration(v, &u) < 0 || u == 0)
        return bad("bad --udp-idle", v);
      O.udp_idle_s = (double)u / 1e9;
    } else {
      char *w[2] = {argv[i - 1], argv[i]};
      if (proxy_parse_faults(w, 2, &cli.faults, err, sizeof err) < 0)
        return bad(err, NULL);
      cli_faults = 1;
    }
  }
  if (config != NULL && proxy_load_config(config, &O) < 0)
    return 2;
  if (timeline != NULL && proxy_load_timeline(timeline, &O) < 0)
    return 2;
  if (have_listen || have_up) {
    if (!have_listen || !have_up)
      return bad("--listen and --upstream go together", NULL);
    if (O.nproxies == PROXY_MAX)
      return bad("too many proxies", NULL);
    O.proxies[O.nproxies++] = cli;
  } else if (cli_faults && O.nproxies > 0) {
    for (int i = 0; i < O.nproxies; i++)
      O.proxies[i].faults = cli.faults; /* command-line faults for all */
  }
  if (O.nproxies == 0)
    return bad("nothing to proxy: give --listen and --upstream, or --config",
               NULL);
  return proxy_run(&O);
}
