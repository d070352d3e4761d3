/* programs.h — the example programs that the scenarios (*.scn) run, by name.
 *
 *   kv-server         primary-backup kv server (role=, peer=, port=, ...)
 *   kv-server-buggy   the same, acknowledging before replicating (the bug)
 *   kv-client         writes ops= keys, reads them back; check `ok`
 *   hb-node           UDP heartbeats + a timeout failure detector
 *   hb-monitor        the detector alone; check `ok` (crash detected in
 *                     bound, no live node suspected)
 *
 * Link jnet_examples and pass these to jnet_scenario_main().
 */
#ifndef JNET_EXAMPLES_PROGRAMS_H
#define JNET_EXAMPLES_PROGRAMS_H

#include <stddef.h>

#include <jnet/jnet_scenario.h>

extern const jnet_program jnet_example_programs[];
extern const size_t jnet_example_nprograms;

/* The heartbeat programs (heartbeat.c). */
void jnet_example_hb_node(jnet_prog_ctx *ctx);
void jnet_example_hb_monitor(jnet_prog_ctx *ctx);

#endif /* JNET_EXAMPLES_PROGRAMS_H */
