/* jnet_sim.h — the deterministic simulated network: build it, break it, watch it.
 *
 * A jnet_sim is a network of hosts joined by links, on a virtual clock in
 * integer nanoseconds, driven by one event queue ordered by (time, insertion
 * sequence) and one seeded PRNG split into independent streams (per link, per
 * purpose). Same seed + same binary => byte-identical trace, pcap and results.
 *
 *   jnet_sim *sim;  jnet_node *a, *b;  jnet_loop *l;
 *   jnet_sim_new(&sim, 42);
 *   jnet_sim_host(sim, "a", (const char *[]){"192.0.2.1", NULL}, &a);
 *   jnet_sim_host(sim, "b", (const char *[]){"192.0.2.2", NULL}, &b);
 *   jnet_loop_new(&l, jnet_sim_backend(sim));
 *   jnet_go_on(l, a, server, NULL);  jnet_go_on(l, b, client, NULL);
 *   jnet_run(l);
 *   jnet_loop_free(l);  jnet_sim_free(sim);
 *
 * This header does not depend on jnet.h: jnet_node and jnet_backend are the
 * same opaque types it names.
 */
#ifndef JNET_SIM_H
#define JNET_SIM_H

#include <stdint.h>
#include <stdio.h>

#include <jnet/jnet_config.h>

#ifndef JNET_HAVE_SIM
#error "jnet was built without the simulator: rebuild it with -DJNET_SIM=ON"
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jnet_sim jnet_sim;
typedef struct jnet_node jnet_node;       /* a simulated host */
typedef struct jnet_backend jnet_backend; /* see <jnet/jnet_backend.h> */

#define JNET_SIM_MS 1000000ull    /* nanoseconds in a millisecond */
#define JNET_SIM_S 1000000000ull  /* nanoseconds in a second */

/* ---- Simulation and hosts ----------------------------------------------- */

/* A new, empty network. 0, JNET_EINVAL (NULL), JNET_ENOMEM. */
JNET_EXTERN int jnet_sim_new(jnet_sim **out, uint64_t seed);

/* Free the model (after jnet_loop_free of the loop using it). NULL ok.
 * Closes any open capture. */
JNET_EXTERN void jnet_sim_free(jnet_sim *sim);

/* The backend to give jnet_loop_new; owned by the sim. */
JNET_EXTERN const jnet_backend *jnet_sim_backend(jnet_sim *sim);

/* Add a host with a unique name and addresses (NULL-terminated list of
 * IPv4/IPv6 literals, normally from 192.0.2.0/24, 198.51.100.0/24,
 * 203.0.113.0/24, 2001:db8::/32). Every host also has 127.0.0.1, ::1 and
 * "localhost". The name resolves through the simulated DNS. Errors:
 * JNET_EINVAL (NULL, empty or bad name/address, no address),
 * JNET_EEXIST (duplicate name or address), JNET_ENOMEM. */
JNET_EXTERN int jnet_sim_host(jnet_sim *sim, const char *name,
                              const char *const *addrs, jnet_node **out);

/* Find a host by name: 0 or JNET_ENOENT. */
JNET_EXTERN int jnet_sim_host_find(jnet_sim *sim, const char *name,
                                   jnet_node **out);
JNET_EXTERN const char *jnet_sim_host_name(const jnet_node *host);
/* Add a DNS name for an address (another A/AAAA record). */
JNET_EXTERN int jnet_sim_dns_add(jnet_sim *sim, const char *name,
                                 const char *addr);

/* ---- TCP per host ------------------------------------------------------ */

/* How a host's TCP behaves (its new connections take these). Defaults are
 * Linux's: CUBIC, 128 KiB receive buffer, 16 KiB send buffer growing with
 * the congestion window up to 4 MiB, keepalive after 7200 s idle, then a
 * probe every 75 s, 9 unanswered probes end the connection. */
typedef struct jnet_sim_tcp_params {
  const char *cc;              /* "cubic" or "newreno" (static strings) */
  uint32_t rcvbuf_bytes;       /* 4096 .. 64 MiB; > 64 KiB uses window scaling */
  uint32_t sndbuf_bytes;       /* 4096 .. 64 MiB */
  uint32_t sndbuf_max_bytes;   /* sndbuf_bytes .. 64 MiB */
  uint64_t keepalive_idle_ns;  /* > 0 */
  uint64_t keepalive_intvl_ns; /* > 0 */
  uint32_t keepalive_probes;   /* 1 .. 255 */
} jnet_sim_tcp_params;

/* Fill *p with the defaults above. */
JNET_EXTERN void jnet_sim_tcp_params_default(jnet_sim_tcp_params *p);

/* Set a host's TCP parameters (connections made later use them).
 * JNET_EINVAL (NULL, an unknown cc name, a field out of range): nothing
 * changed. */
JNET_EXTERN int jnet_sim_host_tcp(jnet_node *host, const jnet_sim_tcp_params *p);
/* Read them. JNET_EINVAL on NULL. */
JNET_EXTERN int jnet_sim_host_tcp_get(const jnet_node *host, jnet_sim_tcp_params *out);

/* ---- Links ---------------------------------------------------------------- */

enum {
  JNET_JITTER_UNIFORM = 0, /* latency + U[0, jitter) */
  JNET_JITTER_NORMAL,      /* latency + |N(0, jitter)| */
  JNET_JITTER_EXPONENTIAL, /* latency + Exp(mean jitter) */
  JNET_JITTER_PARETO       /* latency + Pareto(shape 2, mean jitter) */
};

/* One direction of a link. Probabilities are in [0, 1]. */
typedef struct jnet_link_params {
  uint64_t latency_ns;   /* one-way base delay (default 1 ms) */
  uint64_t jitter_ns;    /* spread of the extra delay (default 0) */
  int jitter_dist;       /* JNET_JITTER_* */
  double loss;           /* independent loss probability */
  double ge_p;           /* Gilbert-Elliott: P(good -> bad) per packet */
  double ge_r;           /* Gilbert-Elliott: P(bad -> good) per packet */
  double ge_loss_bad;    /* loss probability in the bad state */
  double duplicate;      /* probability a packet is sent twice */
  double reorder;        /* probability a packet is held back */
  uint64_t reorder_ns;   /* by this much extra delay (default 2 * latency) */
  double corrupt;        /* probability a UDP payload gets a flipped bit */
  uint64_t bandwidth_bps; /* bits per second; 0: unlimited */
  uint32_t queue_bytes;  /* bottleneck queue, tail drop (default 64 KiB) */
  uint32_t mtu;          /* bytes (default 1500, minimum 576) */
} jnet_link_params;

/* Fill *p with the defaults above. */
JNET_EXTERN void jnet_link_params_default(jnet_link_params *p);

/* Set the link between hosts a and b, both directions. With b NULL (a may
 * be NULL too) it sets the default link, for pairs with none. Errors: JNET_EINVAL (NULL, a == b,
 * probability outside [0,1], mtu < 576, unknown jitter_dist). */
JNET_EXTERN int jnet_sim_link(jnet_sim *sim, jnet_node *a, jnet_node *b,
                              const jnet_link_params *p);
/* Set one direction only (a -> b). */
JNET_EXTERN int jnet_sim_link_oneway(jnet_sim *sim, jnet_node *from,
                                     jnet_node *to, const jnet_link_params *p);
/* Read one direction's parameters (the default if none was set). */
JNET_EXTERN int jnet_sim_link_get(jnet_sim *sim, jnet_node *from, jnet_node *to,
                                  jnet_link_params *out);

/* ---- Faults (at the current virtual time; schedule with jnet_sim_at) ---- */

enum { JNET_BOTH_WAYS = 0, JNET_ONE_WAY = 1 /* a -> b only */ };

/* Partition a from b (packets dropped silently), heal it. */
JNET_EXTERN int jnet_sim_partition(jnet_sim *sim, jnet_node *a, jnet_node *b,
                                   int how);
JNET_EXTERN int jnet_sim_heal(jnet_sim *sim, jnet_node *a, jnet_node *b);
/* Partition every host of ga[na] from every host of gb[nb]. */
JNET_EXTERN int jnet_sim_partition_groups(jnet_sim *sim, jnet_node *const *ga,
                                          size_t na, jnet_node *const *gb,
                                          size_t nb, int how);
/* Heal every partition. */
JNET_EXTERN int jnet_sim_heal_all(jnet_sim *sim);
/* Clog a -> b and b -> a: packets queue (no loss) until unclog. */
JNET_EXTERN int jnet_sim_clog(jnet_sim *sim, jnet_node *a, jnet_node *b);
JNET_EXTERN int jnet_sim_unclog(jnet_sim *sim, jnet_node *a, jnet_node *b);
/* Crash a host: its fibers are cancelled (blocking calls return
 * JNET_ECANCELED until they return), its sockets vanish (peers see RST on
 * their next packet, or silence). JNET_EALREADY if already down. */
JNET_EXTERN int jnet_sim_crash(jnet_sim *sim, jnet_node *host);
/* Restart a crashed host: its registered mains (jnet_node_main) run again.
 * JNET_EALREADY if it is up. */
JNET_EXTERN int jnet_sim_restart(jnet_sim *sim, jnet_node *host);
JNET_EXTERN int jnet_sim_host_is_up(const jnet_node *host);

/* Call fn(sim, arg) at virtual time t_ns (absolute). JNET_EINVAL if t_ns
 * is in the past. fn runs from inside the loop's poll, which may be on a
 * fiber's stack: keep its locals under 16 KiB (the sim backend's
 * poll_stack_bytes), as in any fiber. */
JNET_EXTERN int jnet_sim_at(jnet_sim *sim, uint64_t t_ns,
                            void (*fn)(jnet_sim *sim, void *arg), void *arg);

/* ---- Clock, limits, statistics ------------------------------------------- */

JNET_EXTERN uint64_t jnet_sim_now_ns(const jnet_sim *sim);

/* Stop the run (poll reports an error, JNET_ETIMEDOUT) once the clock
 * passes max_time_ns or max_events events ran (0: no limit). Each fiber
 * resumption the loop reports counts as an event, so fibers that spin on
 * jnet_yield()/jnet_sleep(0) without any network event still reach it. */
JNET_EXTERN int jnet_sim_set_limits(jnet_sim *sim, uint64_t max_time_ns,
                                    uint64_t max_events);

typedef struct jnet_sim_stats {
  uint64_t events;          /* events executed */
  uint64_t packets_sent;    /* IP packets put on a link */
  uint64_t packets_dropped; /* lost, partitioned, queue overflow, no route */
  uint64_t packets_delivered;
  uint64_t bytes_sent;      /* IP bytes */
  uint64_t retransmits;     /* TCP segments sent again */
  uint64_t queue_drops;     /* of packets_dropped: a full bottleneck queue */
} jnet_sim_stats;
JNET_EXTERN void jnet_sim_get_stats(const jnet_sim *sim, jnet_sim_stats *out);

/* ---- Capture and trace ------------------------------------------------------ */

/* Write every packet (host NULL) or one host's packets to a pcap file
 * (nanosecond timestamps, LINKTYPE_RAW). Errors: JNET_EINVAL, JNET_EBUSY
 * (a capture is already open), a negative errno (cannot open). */
JNET_EXTERN int jnet_sim_pcap_open(jnet_sim *sim, const char *path,
                                   jnet_node *host);
/* Flush and close the capture; 0 or the first write error it met
 * (JNET_ENOSPC, JNET_EIO-like negative errno). */
JNET_EXTERN int jnet_sim_pcap_close(jnet_sim *sim);

/* Write one text line per event to f (NULL: stop). */
JNET_EXTERN int jnet_sim_trace(jnet_sim *sim, FILE *f);

/* A 64-bit fingerprint of every event so far (computed with or without a
 * trace). Two runs compare in one line. */
JNET_EXTERN uint64_t jnet_sim_fingerprint(const jnet_sim *sim);

#ifdef __cplusplus
}
#endif

#endif /* JNET_SIM_H */
