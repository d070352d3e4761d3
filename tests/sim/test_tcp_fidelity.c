/* test_tcp_fidelity.c — jnet's simulated TCP against ns-3 on the same
 * world (tcp_world.h; reference: tcp_reference.tsv, made by
 * bench/ns3/tcp_grid.cc): one bulk flow for 60 simulated seconds over
 * {10, 50} ms one-way x {0, 0.1, 1, 3} % loss, mean of 5 seeds, NewReno
 * and CUBIC; then two flows sharing the link (fairness, starvation).
 *
 * What is asserted, and why not more (README, "A simulated test"):
 * - NewReno, every row: goodput within +-20 % of ns-3's TcpLinuxReno
 *   where the loss is <= 0.1 %; within +-35 % at 1-3 % loss, where jnet
 *   is slower than ns-3 (a known gap, printed by the test and by
 *   `make bench` as tcp_fidelity_max_error).
 * - Queue drops within 2x of ns-3's or within 10 (NewReno, loss <= 0.1 %).
 * - CUBIC: ns-3 3.37's TcpCubic lacks the Reno-friendly region of RFC
 *   9438 / Linux (ns-3 issue 1001, fixed in 3.41), so at short RTTs with
 *   loss it is far slower than Linux; jnet's CUBIC has it. Asserted: never
 *   below 0.8x ns-3's CUBIC, and within +-35 % of ns-3's NewReno where
 *   the Reno-friendly region governs (loss >= 1 %).
 * - Two flows: Jain's index >= 0.9 and no flow starved for > 5 s, except
 *   two CUBIC flows at 50 ms without loss: >= 0.8 (a known gap, below). */
#include <math.h>

#include "simtest.h"
#include "tcp_world.h"

#ifndef TCP_REFERENCE
#error "TCP_REFERENCE: path of tests/sim/tcp_reference.tsv"
#endif

#define SEEDS 5
#define SECONDS 60.0

static tw_ref refs[64];
static int nrefs;

static void load_refs(void) {
  if (nrefs == 0)
    nrefs = tw_read_reference(TCP_REFERENCE, refs, 64);
  ck_assert_msg(nrefs >= 32, "%s: %d rows", TCP_REFERENCE, nrefs);
}

static const tw_ref *ref_of(const char *cc, double ms, double loss_pct,
                            int flows) {
  for (int i = 0; i < nrefs; i++) {
    const tw_ref *r = &refs[i];
    int two = r->jain > 0;
    if (two != (flows == 2))
      continue;
    if (strcmp(r->cc, cc) == 0 && r->one_way_ms == ms &&
        r->loss_pct == loss_pct)
      return r;
  }
  return NULL;
}

static double rel_err(double got, double want) {
  return want > 0 ? (got - want) / want : 0;
}

static int drops_ok(double got, double want) {
  double d = got > want ? got - want : want - got;
  return d <= 10 || (got <= 2 * want && want <= 2 * got);
}

START_TEST(one_flow_goodput_and_drops_track_ns3) {
  load_refs();
  static const double lat[] = {10, 50}, loss[] = {0, 0.1, 1, 3};
  int bad = 0;
  char report[4096];
  size_t off = 0;
  for (int c = 0; c < 2; c++)
    for (int d = 0; d < 2; d++)
      for (int l = 0; l < 4; l++) {
        const char *cc = c ? "cubic" : "newreno";
        const tw_ref *r = ref_of(cc, lat[d], loss[l], 1);
        const tw_ref *reno = ref_of("newreno", lat[d], loss[l], 1);
        ck_assert_ptr_nonnull(r);
        tw_result m;
        int err = tw_run_mean(cc, lat[d], loss[l] / 100, SEEDS, SECONDS, 1, &m);
        ck_assert_msg(err == 0, "%s: %s", cc, jnet_err_name(err));
        double e = rel_err(m.goodput_mbps, r->goodput_mbps);
        int ok;
        if (c == 0) {
          ok = fabs(e) <= (loss[l] <= 0.1 ? 0.20 : 0.35);
          if (loss[l] <= 0.1)
            ok = ok && drops_ok(m.queue_drops, r->queue_drops);
        } else {
          ok = m.goodput_mbps >= 0.8 * r->goodput_mbps;
          if (loss[l] >= 1)
            ok = ok && fabs(rel_err(m.goodput_mbps, reno->goodput_mbps)) <= 0.35;
        }
        bad += !ok;
        off += (size_t)snprintf(report + off, sizeof report - off,
                                "%-8s %2g ms %4g %%  jnet %6.3f Mbit/s %6.1f "
                                "drops | ns-3 %6.3f %6.1f | %+5.0f %% %s\n",
                                cc, lat[d], loss[l], m.goodput_mbps,
                                m.queue_drops, r->goodput_mbps, r->queue_drops,
                                100 * e, ok ? "" : "FAIL");
      }
  printf("%s", report);
  ck_assert_msg(bad == 0, "%d rows off:\n%s", bad, report);
}
END_TEST

START_TEST(two_flows_share_fairly_and_neither_starves) {
  load_refs();
  static const double lat[] = {10, 50}, loss[] = {0, 1};
  char report[2048];
  size_t off = 0;
  int bad = 0;
  for (int c = 0; c < 2; c++)
    for (int d = 0; d < 2; d++)
      for (int l = 0; l < 2; l++) {
        const char *cc = c ? "cubic" : "newreno";
        tw_result m;
        int err = tw_run_mean(cc, lat[d], loss[l] / 100, SEEDS, SECONDS, 2, &m);
        ck_assert_msg(err == 0, "%s: %s", cc, jnet_err_name(err));
        const tw_ref *r = ref_of(cc, lat[d], loss[l], 2);
        /* Known gap: without random loss the model is deterministic and
         * two CUBIC flows on the 100 ms path lock into one drop-tail phase
         * that favours one of them (about 70/30, the same for every seed;
         * ns-3 locks into a fairer one, 0.946). */
        double want = (c == 1 && d == 1 && l == 0) ? 0.8 : 0.9;
        int ok = m.jain >= want && m.starved_s <= 5;
        bad += !ok;
        off += (size_t)snprintf(
            report + off, sizeof report - off,
            "%-8s %2g ms %g %%  jain %.3f starved %.1f s (ns-3: %.3f %.1f s) "
            "%s\n",
            cc, lat[d], loss[l], m.jain, m.starved_s, r ? r->jain : 0,
            r ? r->starved_s : 0, ok ? "" : "FAIL");
      }
  printf("%s", report);
  ck_assert_msg(bad == 0, "%d rows unfair:\n%s", bad, report);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("sim-tcp-fidelity");
  jc_defaults(240, NULL, NULL);
  JC_TEST(s, one_flow_goodput_and_drops_track_ns3);
  JC_TEST(s, two_flows_share_fairly_and_neither_starves);
  return s;
}

int main(void) { return st_run_suite(suite()); }
