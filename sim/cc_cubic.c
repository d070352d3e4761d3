/* cc_cubic.c — CUBIC (RFC 9438, as Linux's tcp_cubic.c without HyStart):
 * after a loss the window grows along W(t) = C (t - K)^3 + W_max, concave
 * up to the window where the loss happened and convex beyond it, at least
 * as fast as Reno would (the "TCP-friendly" estimate), at most half a
 * segment per segment acknowledged. beta 0.7, C 0.4, fast convergence on.
 * Computed in doubles (deterministic for one binary); cube root by Newton,
 * so no libm. */
#include "tcp_cc.h"

#define CUBIC_C 0.4    /* segments / s^3 */
#define CUBIC_BETA 0.7

static double cube_root(double x) {
  if (x <= 0) /* LCOV_EXCL_BR_LINE: its one caller passes w_max > cwnd */
    return 0; /* LCOV_EXCL_LINE */
  double r = x < 1 ? 1 : x / 3;
  for (int i = 0; i < 100; i++) {
    double n = r - (r * r * r - x) / (3 * r * r);
    if (n == r)
      break;
    r = n;
  }
  return r;
}

static void cubic_init(jnet__sim_sock *s) {
  jnet__free(s->cubic); /* all zero again */
  s->cubic = NULL;
  s->cwnd_cnt = 0;
}

/* The socket's state, made zero on first use; NULL when out of memory. */
static jnet__sim_cubic *state(jnet__sim_sock *s) {
  if (s->cubic == NULL)
    s->cubic = jnet__calloc(1, sizeof *s->cubic);
  return s->cubic;
}

static void cubic_cong_avoid(jnet__sim_sock *s, uint32_t acked,
                             uint64_t now_ns) {
  jnet__sim_cubic *c = state(s);
  if (c == NULL) /* LCOV_EXCL_BR_LINE: OOM only: state()'s calloc failing */
    return; /* out of memory: the window does not grow on this ACK */
  double mss = s->mss, cwnd = s->cwnd;
  if (c->epoch_ns == 0) { /* first ACK after a loss (or ever) */
    c->epoch_ns = now_ns;
    c->w_est = cwnd;
    if (c->w_max <= cwnd) {
      c->k_s = 0;
      c->origin = cwnd;
    } else {
      c->k_s = cube_root((c->w_max - cwnd) / mss / CUBIC_C);
      c->origin = c->w_max;
    }
  }
  double t = (double)(now_ns - c->epoch_ns + s->min_rtt_ns) / 1e9 - c->k_s;
  double target = c->origin + CUBIC_C * t * t * t * mss;
  double inc = target > cwnd ? (target - cwnd) * acked / cwnd
                             : acked / 100.0;
  /* LCOV_EXCL_BR_LINE below: w_max is 0 only if the calloc failed at the loss that ended slow start (cubic_ssthresh sets it) */
  if (c->w_max == 0 && inc < acked / 20.0) /* LCOV_EXCL_BR_LINE */
    inc = acked / 20.0; /* no loss yet: at least Linux's 1 per 20 */
  /* Reno-friendly region: W_est grows by alpha segments per window. */
  const double alpha = 3 * (1 - CUBIC_BETA) / (1 + CUBIC_BETA);
  c->w_est += alpha * mss * acked / cwnd;
  if (c->w_est > cwnd) {
    double friendly = (c->w_est - cwnd) * acked / cwnd;
    if (friendly > inc)
      inc = friendly;
  }
  if (inc > acked / 2.0)
    inc = acked / 2.0;
  c->acc += inc;
  if (c->acc >= 1) {
    uint32_t whole = (uint32_t)c->acc;
    s->cwnd += whole;
    c->acc -= whole;
  }
}

static uint32_t cubic_ssthresh(jnet__sim_sock *s) {
  jnet__sim_cubic zero = {0}; /* out of memory: forget this loss's window */
  jnet__sim_cubic *c = state(s);
  if (c == NULL)
    c = &zero;
  double cwnd = s->cwnd;
  c->epoch_ns = 0;
  c->acc = 0;
  if (cwnd < c->w_max) /* fast convergence: give way to newer flows */
    c->w_max = cwnd * (1 + CUBIC_BETA) / 2;
  else
    c->w_max = cwnd;
  uint32_t t = (uint32_t)(cwnd * CUBIC_BETA);
  return t > 2u * s->mss ? t : 2u * s->mss;
}

const jnet__sim_cc_ops jnet__sim_cc_cubic = {"cubic", cubic_init,
                                             cubic_cong_avoid, cubic_ssthresh};
