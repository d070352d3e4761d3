#!/bin/sh
# run.sh — run every benchmark in bench/ against a build, write
# BUILD_DIR/bench/results.tsv (name<TAB>value<TAB>unit), print it as a table
# and then each target with its measured value.
#
#   bench/run.sh [BUILD_DIR=build]        (make bench does this)
#
# A benchmark whose program is missing or fails is listed as "skip" with the
# reason; the others still run. Environment: BENCH_QUICK=1 runs each one
# shorter (for a smoke test), BENCH_TIMEOUT (seconds, default 120) bounds
# each program.
set -u

BUILD=${1:-build}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=$BUILD/bench
OUT=$BUILD/bench
TSV=$OUT/results.tsv
TIMEOUT=${BENCH_TIMEOUT:-120}
QUICK=${BENCH_QUICK:-0}
mkdir -p "$OUT" || exit 1
: >"$TSV"
SKIPS=$OUT/skips.txt
: >"$SKIPS"

say() { printf 'bench: %s\n' "$*" >&2; }
skip() { printf 'skip %s: %s\n' "$1" "$2" >>"$SKIPS"; }

# add NAME VALUE UNIT: one result line.
add() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$TSV"; }

# collect LABEL CMD...: run CMD with a timeout; keep its result lines
# (name value [unit], tab- or space-separated, numeric value) in the TSV.
collect() {
  label=$1
  shift
  if [ ! -x "$1" ]; then
    skip "$label" "$1 not built"
    return 1
  fi
  say "$label"
  tmp=$OUT/.out.$$
  if timeout "$TIMEOUT" "$@" >"$tmp" 2>"$OUT/$label.stderr"; then
    awk 'NF >= 2 && $1 ~ /^[a-z][a-z0-9_]*$/ &&
         $2 ~ /^[-+]?[0-9.]+([eE][-+]?[0-9]+)?$/ {
           u = NF >= 3 ? $3 : ""; printf "%s\t%s\t%s\n", $1, $2, u }' \
      "$tmp" >>"$TSV"
    rm -f "$tmp"
    return 0
  fi
  rc=$?
  rm -f "$tmp"
  reason="exit $rc"
  [ "$rc" = 124 ] && reason="timed out after ${TIMEOUT}s"
  skip "$label" "$reason (see $OUT/$label.stderr)"
  return 1
}

# value NAME: a result already in the TSV (empty if none).
value() { awk -F '\t' -v n="$1" '$1 == n { v = $2 } END { print v }' "$TSV"; }

# paired_ratio NAME NUM DEN: NUM and DEN were measured in alternating
# rounds; add the median of the per-round ratios NUM_i / DEN_i (pairs that
# ran side by side share whatever else the machine was doing).
paired_ratio() {
  r=$(awk -F '\t' -v n="$2" -v d="$3" '
    $1 == n { num[++nn] = $2 } $1 == d { den[++nd] = $2 }
    END {
      k = 0
      for (i = 1; i <= nn && i <= nd; i++) if (den[i] > 0) r[++k] = num[i] / den[i]
      if (k == 0) exit
      for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++)
        if (r[j] < r[i]) { t = r[i]; r[i] = r[j]; r[j] = t }
      printf "%.3f", (k % 2) ? r[(k + 1) / 2] : (r[k / 2] + r[k / 2 + 1]) / 2
    }' "$TSV")
  if [ -n "$r" ]; then add "$1" "$r" x; else skip "$1" "needs $2 and $3"; fi
}

# collapse: replace repeated results of one name by their median, keeping
# the order in which names first appeared.
collapse() {
  awk -F '\t' '
    !($1 in cnt) { order[++no] = $1; unit[$1] = $3 }
    { v[$1, ++cnt[$1]] = $2 }
    END {
      for (o = 1; o <= no; o++) {
        n = order[o]; k = cnt[n]
        for (i = 1; i <= k; i++) a[i] = v[n, i]
        for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++)
          if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
        m = (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
        printf "%s\t%s\t%s\n", n, m, unit[n]
      }
    }' "$TSV" >"$TSV.tmp" && mv "$TSV.tmp" "$TSV"
}

# ratio NAME NUM DEN: add NUM/DEN when both exist.
ratio() {
  num=$(value "$2")
  den=$(value "$3")
  if [ -n "$num" ] && [ -n "$den" ]; then
    add "$1" "$(awk -v a="$num" -v b="$den" 'BEGIN { printf "%.3f", a / b }')" x
  else
    skip "$1" "needs $2 and $3"
  fi
}

now_s() { date +%s.%N; }

# cpu_ms_per N BEFORE AFTER: CPU milliseconds per item of what ran between
# two `times >FILE` (second line: user and system time of the children
# waited for; `times` in the shell itself, not in a $(...) subshell).
cpu_ms_per() {
  awk -v n="$1" 'FNR == 2 {
    s = 0
    for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); s += a[1] * 60 + a[2] }
    t[++k] = s }
    END { printf "%.3f", (t[2] - t[1]) * 1000 / n }' "$2" "$3"
}

if [ "$QUICK" = 1 ]; then
  SECS=0.2 ROUNDS=1 TRIALS=1 SIM_TRIALS=1 UDP_N=40000 TCP_N=20000 HOSTS=1000 CONNS=10000
  FAN_MSGS=20 SEEDS=1..100 NS3_N=2000 NS3_ROUNDS=1 SCALE_HOSTS=1000 SCALE_N=40000
else
  SECS=0.3 ROUNDS=5 TRIALS=3 SIM_TRIALS=5 UDP_N=400000 TCP_N=200000 HOSTS=100000 CONNS=1000000
  FAN_MSGS=100 SEEDS=1..1000 NS3_N=20000 NS3_ROUNDS=3 SCALE_HOSTS=10000 SCALE_N=400000
fi

# ---- fibers ------------------------------------------------------------------
collect fiber "$BIN/fiber_bench"

# ---- real sockets: jnet on uv against plain libuv, in the same run -----------
# Alternating rounds of one trial each, so that both sides see the same
# machine; each figure is the median over rounds, each ratio the median of
# the per-round ratios.
i=0
while [ $i -lt $ROUNDS ]; do
  i=$((i + 1))
  collect libuv_echo "$BIN/libuv_echo" echo 4 $SECS 1
  collect echo "$BIN/echo_bench" echo 4 $SECS 1
  collect libuv_bulk "$BIN/libuv_echo" bulk $SECS 1
  collect bulk "$BIN/echo_bench" bulk $SECS 1
done
paired_ratio echo_vs_libuv_ratio echo_rtt_per_s libuv_echo_rtt_per_s
paired_ratio throughput_vs_libuv_ratio throughput_mb_s libuv_throughput_mb_s
collapse

# ---- jnet-proxy: no faults against direct, in one run ---------------------------
PROXY_BIN=$BUILD/jnet-proxy
if [ -x "$PROXY_BIN" ]; then
  collect proxy "$BIN/proxy_bench" "$PROXY_BIN" $SECS $ROUNDS
else
  skip proxy_echo_vs_direct_ratio "jnet-proxy not built"
fi

# ---- the simulated network -----------------------------------------------------
collect sim_udp "$BIN/sim_udp_bench" --datagrams $UDP_N --trials $SIM_TRIALS
collect sim_udp_pcap "$BIN/sim_udp_bench" --datagrams $UDP_N \
  --trials $SIM_TRIALS --pcap "$OUT/sim_udp.pcap"
ratio sim_udp_capture_cost sim_udp_datagrams_per_s sim_udp_datagrams_per_s_pcap
# Instructions per simulated datagram (callgrind, one flow, the marginal
# count from 2,000 to 6,000 datagrams, as tests/benchguard measures it):
# no timing, so the shared machine's load does not move it.
cg_instr() { # DATAGRAMS [--pcap FILE]
  valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    "$BIN/sim_udp_bench" --datagrams "$@" --flows 1 --trials 1 2>&1 \
    >/dev/null | sed -n 's/.*Collected : //p'
}
if ! command -v valgrind >/dev/null 2>&1; then
  skip sim_udp_instr_per_datagram "install valgrind"
elif [ -x "$BIN/sim_udp_bench" ]; then
  say "callgrind sim_udp_bench"
  a=$(cg_instr 2000) b=$(cg_instr 6000)
  c=$(cg_instr 2000 --pcap "$OUT/cg.pcap") d=$(cg_instr 6000 --pcap "$OUT/cg.pcap")
  rm -f "$OUT/cg.pcap"
  if [ -n "$a" ] && [ -n "$b" ] && [ -n "$c" ] && [ -n "$d" ]; then
    add sim_udp_instr_per_datagram "$(awk -v a="$a" -v b="$b" \
      'BEGIN { printf "%.0f", (b - a) / 4000 }')" instructions
    add sim_udp_instr_per_datagram_pcap "$(awk -v a="$c" -v b="$d" \
      'BEGIN { printf "%.0f", (b - a) / 4000 }')" instructions
  else
    skip sim_udp_instr_per_datagram "callgrind runs failed"
  fi
fi
collect sim_tcp "$BIN/sim_tcp_bench" --msgs $TCP_N --trials $SIM_TRIALS
# 100,000 hosts and 1,000,000 idle connections take a minute or two.
TIMEOUT=$((TIMEOUT * 5)) collect sim_mem "$BIN/sim_mem_bench" --hosts $HOSTS --conns $CONNS
collect sim_scale "$BIN/sim_scale_bench" --hosts $SCALE_HOSTS \
  --flows $((SCALE_HOSTS / 2)) --datagrams $SCALE_N --trials $TRIALS
collect fanin "$BIN/fanin_bench" --msgs $FAN_MSGS --trials $TRIALS

# ---- histories: the linearizability checker ------------------------------------
collect lin "$BIN/lin_bench" --ops 10000 --procs 5 --trials $SIM_TRIALS

# Seed sweep of the kv scenario (exit 1 is fine: the buggy variant fails
# some seeds, which is the point of the sweep).
SIMCLI=
for c in "$BUILD/jnet-sim" "$BUILD/tools/jnet-sim"; do
  [ -x "$c" ] && SIMCLI=$c && break
done
SCN=$SRC/scenarios/kv-replication.scn
if [ -z "$SIMCLI" ]; then
  skip sweep_seeds_per_s "jnet-sim not built"
elif [ ! -f "$SCN" ]; then
  skip sweep_seeds_per_s "no scenarios/kv-replication.scn"
else
  NP=$(nproc)
  n=$(echo "$SEEDS" | awk -F '[.][.]' '{ print $2 - $1 + 1 }')
  # sweep_seeds_per_s: all cores (-j NP); sweep_seeds_per_s_j1: one worker;
  # sweep_jN_vs_j1_ratio: how the workers scale (NP: perfectly).
  # sweep_cpu_ms_per_seed(_j1): CPU of all its processes per seed, which a
  # busy machine moves less than the wall clock.
  for j in "$NP" 1; do
    say "sweep $SEEDS -j $j"
    times >"$OUT/.cpu0"
    t0=$(now_s)
    timeout "$TIMEOUT" "$SIMCLI" sweep "$SCN" --seeds $SEEDS -j "$j" \
      --no-progress >"$OUT/sweep.stdout" 2>"$OUT/sweep.stderr"
    rc=$?
    t1=$(now_s)
    times >"$OUT/.cpu1"
    name=sweep_seeds_per_s
    [ "$j" = 1 ] && name=sweep_seeds_per_s_j1
    if [ "$rc" -le 1 ]; then
      add $name "$(awk -v n="$n" -v a="$t0" -v b="$t1" \
        'BEGIN { printf "%.1f", n / (b - a) }')" seeds/s
      cname=sweep_cpu_ms_per_seed
      [ "$j" = 1 ] && cname=sweep_cpu_ms_per_seed_j1
      add $cname "$(cpu_ms_per "$n" "$OUT/.cpu0" "$OUT/.cpu1")" ms
      rm -f "$OUT/.cpu0" "$OUT/.cpu1"
    else
      skip $name "jnet-sim sweep exit $rc (see $OUT/sweep.stderr)"
    fi
  done
  ratio sweep_jN_vs_j1_ratio sweep_seeds_per_s sweep_seeds_per_s_j1
  # The same range as NP shards side by side (one process each) against
  # `sweep -j NP`, in alternating rounds; the median of the per-round ratios
  # (1.0: sharding costs nothing).
  if [ "$rc" -le 1 ]; then
    ratios=
    for round in 1 2 3; do
      say "sweep $SEEDS: -j $NP against $NP shards, round $round"
      a0=$(now_s)
      "$SIMCLI" sweep "$SCN" --seeds $SEEDS -j "$NP" --no-progress >/dev/null 2>&1
      a1=$(now_s)
      for k in $(seq 1 "$NP"); do
        timeout "$TIMEOUT" "$SIMCLI" sweep "$SCN" --seeds $SEEDS -j 1 \
          --shard "$k/$NP" --no-progress >"$OUT/shard$k.stdout" 2>&1 &
      done
      wait
      a2=$(now_s)
      ratios="$ratios $(awk -v a="$a0" -v b="$a1" -v c="$a2" \
        'BEGIN { printf "%.4f", (c - b) / (b - a) }')"
    done
    add sweep_shard_overhead "$(echo $ratios | tr ' ' '\n' | sort -g |
      awk '{ v[NR] = $1 } END { printf "%.3f", v[int((NR + 1) / 2)] }')" x
  fi
fi

# sweep_instr_per_seed: callgrind's instructions per seed in the sweep's
# runner (kv-replication, -j 1, the process that counted most: the runner
# runs every seed), the figure behind sweep_seeds_per_s that the machine's
# load does not move.
if [ -n "$SIMCLI" ] && [ -f "$SCN" ]; then
  if [ "$QUICK" = 1 ]; then CG_SEEDS=20; else CG_SEEDS=100; fi
  if ! command -v valgrind >/dev/null 2>&1; then
    skip sweep_instr_per_seed "install valgrind"
  else
    say "callgrind sweep 1..$CG_SEEDS -j 1"
    rm -rf "$OUT/cg-sweep"
    mkdir -p "$OUT/cg-sweep"
    valgrind --tool=callgrind --trace-children=yes \
      --callgrind-out-file="$OUT/cg-sweep/cg.%p" "$SIMCLI" sweep "$SCN" \
      --seeds 1..$CG_SEEDS -j 1 --no-progress >/dev/null 2>&1
    most=$(cat "$OUT"/cg-sweep/cg.* 2>/dev/null | sed -n 's/^summary: //p' |
      sort -n | tail -1)
    rm -rf "$OUT/cg-sweep"
    if [ -n "$most" ]; then
      add sweep_instr_per_seed "$(awk -v a="$most" -v n="$CG_SEEDS" \
        'BEGIN { printf "%.0f", a / n }')" instructions
    else
      skip sweep_instr_per_seed "callgrind run failed"
    fi
  fi
fi

# ---- issue 15: the determinism self-check and the shrinker ----------------------
# determinism_check_overhead: `sweep --check-determinism` (each seed twice,
# the second in a partner process exec'd afresh) over `sweep` of the same
# seeds, in alternating rounds; the median of the per-round ratios.
if [ -n "$SIMCLI" ] && [ -f "$SCN" ]; then
  if [ "$QUICK" = 1 ]; then DET_SEEDS=1..60; else DET_SEEDS=1..300; fi
  for round in 1 2 3; do
    say "sweep $DET_SEEDS against --check-determinism, round $round"
    a0=$(now_s)
    timeout "$TIMEOUT" "$SIMCLI" sweep "$SCN" --seeds $DET_SEEDS --no-progress \
      >/dev/null 2>&1
    a1=$(now_s)
    timeout "$TIMEOUT" "$SIMCLI" sweep "$SCN" --seeds $DET_SEEDS --no-progress \
      --check-determinism >"$OUT/det.stdout" 2>"$OUT/det.stderr"
    drc=$?
    a2=$(now_s)
    if [ "$drc" -le 1 ]; then
      add det_plain_wall_s "$(awk -v a="$a0" -v b="$a1" 'BEGIN { printf "%.4f", b - a }')" s
      add det_check_wall_s "$(awk -v b="$a1" -v c="$a2" 'BEGIN { printf "%.4f", c - b }')" s
    else
      skip determinism_check_overhead "sweep --check-determinism exit $drc (see $OUT/det.stderr)"
    fi
  done
  paired_ratio determinism_check_overhead det_check_wall_s det_plain_wall_s
  collapse
fi
# shrink_kv_s: `jnet-sim shrink` of a failing seed of the kv bug's swarm
# variant (up to 8 drawn faults, ops=100), wall seconds.
BUGSWARM=$SRC/scenarios/kv-replication-bug-swarm.scn
if [ -n "$SIMCLI" ] && [ -f "$BUGSWARM" ]; then
  say "shrink kv-replication-bug-swarm.scn --seed 1"
  a0=$(now_s)
  timeout "$TIMEOUT" "$SIMCLI" shrink "$BUGSWARM" --seed 1 \
    --out "$OUT/kv-bug-swarm.min.scn" >"$OUT/shrink.stdout" 2>"$OUT/shrink.stderr"
  src=$?
  a1=$(now_s)
  if [ "$src" = 0 ]; then
    add shrink_kv_s "$(awk -v a="$a0" -v b="$a1" 'BEGIN { printf "%.2f", b - a }')" s
  else
    skip shrink_kv_s "jnet-sim shrink exit $src (see $OUT/shrink.stderr)"
  fi
fi

# ---- ns-3 peer: the same UDP echo scenario on ns-3 ------------------------------
NS3_MODS="ns3-core ns3-network ns3-internet ns3-point-to-point ns3-applications"
if ! pkg-config --exists $NS3_MODS 2>/dev/null; then
  skip sim_vs_ns3_ratio "install libns3-dev"
elif [ ! -x "$BIN/sim_ns3_peer" ]; then
  skip sim_vs_ns3_ratio "sim_ns3_peer not built"
else
  NS3_EXE=${TMPDIR:-/tmp}/jnet-bench-ns3-udp-echo
  # Debian's .pc files name libgsl.so etc. that only -dev packages carry;
  # ns-3's shared libraries already link them, so drop what is absent.
  libs=
  for t in $(pkg-config --libs $NS3_MODS); do
    case $t in /*) [ -e "$t" ] || continue ;; esac
    libs="$libs $t"
  done
  say "ns-3 udp-echo (compiling in ${TMPDIR:-/tmp})"
  if [ ! -x "$NS3_EXE" ] || [ "$SRC/bench/ns3/udp-echo.cc" -nt "$NS3_EXE" ]; then
    # shellcheck disable=SC2086
    g++ -O2 -o "$NS3_EXE" "$SRC/bench/ns3/udp-echo.cc" \
      $(pkg-config --cflags $NS3_MODS) $libs 2>"$OUT/ns3-build.stderr" ||
      rm -f "$NS3_EXE"
  fi
  if [ ! -x "$NS3_EXE" ]; then
    skip sim_vs_ns3_ratio "ns-3 peer did not compile (see $OUT/ns3-build.stderr)"
  else
    # Alternating rounds; ratios are medians of per-round ratios.
    i=0
    while [ $i -lt $NS3_ROUNDS ]; do
      i=$((i + 1))
      say "ns-3 peers, round $i"
      ns3=$(timeout "$TIMEOUT" "$NS3_EXE" --packets=$NS3_N 2>"$OUT/ns3.stderr")
      jn=$(timeout "$TIMEOUT" "$BIN/sim_ns3_peer" --packets $NS3_N \
        2>"$OUT/sim_ns3_peer.stderr")
      # "<who>_wall_s W echoes N cpu_s C", kept only if all N came back
      pick='$1 == w && $4 == n { printf "%s\t%s\t%s\n%s\t%s\t%s\n", p "_wall_s", $2, "s", p "_cpu_s", $6, "s" }'
      r1=$(echo "$ns3" | awk -v w=ns3_wall_s -v n=$NS3_N -v p=ns3_udp_echo "$pick")
      r2=$(echo "$jn" | awk -v w=jnet_wall_s -v n=$NS3_N -v p=jnet_udp_echo "$pick")
      if [ -n "$r1" ] && [ -n "$r2" ]; then
        printf '%s\n%s\n' "$r1" "$r2" >>"$TSV"
      else
        skip sim_vs_ns3_ratio "a peer failed: ns-3 '$ns3', jnet '$jn'"
      fi
    done
    paired_ratio sim_vs_ns3_ratio ns3_udp_echo_wall_s jnet_udp_echo_wall_s
    paired_ratio sim_vs_ns3_cpu_ratio ns3_udp_echo_cpu_s jnet_udp_echo_cpu_s
    collapse
  fi
fi

# ---- TCP: fidelity against ns-3's reference, and a bulk transfer timed -----------
collect tcp_fidelity "$BIN/sim_tcp_bench" --fidelity "$SRC/tests/sim/tcp_reference.tsv"
TCP_MODS="$NS3_MODS ns3-traffic-control"
if ! pkg-config --exists $TCP_MODS 2>/dev/null; then
  skip sim_tcp_bulk_vs_ns3_ratio "install libns3-dev"
elif [ ! -x "$BIN/sim_tcp_bench" ]; then
  skip sim_tcp_bulk_vs_ns3_ratio "sim_tcp_bench not built"
else
  GRID_EXE=${TMPDIR:-/tmp}/jnet-bench-ns3-tcp-grid
  libs=
  for t in $(pkg-config --libs $TCP_MODS); do
    case $t in /*) [ -e "$t" ] || continue ;; esac
    libs="$libs $t"
  done
  if [ ! -x "$GRID_EXE" ] || [ "$SRC/bench/ns3/tcp_grid.cc" -nt "$GRID_EXE" ]; then
    say "ns-3 tcp_grid (compiling in ${TMPDIR:-/tmp})"
    # shellcheck disable=SC2086
    g++ -O2 -o "$GRID_EXE" "$SRC/bench/ns3/tcp_grid.cc" \
      $(pkg-config --cflags $TCP_MODS) $libs 2>"$OUT/ns3-tcp-build.stderr" ||
      rm -f "$GRID_EXE"
  fi
  if [ ! -x "$GRID_EXE" ]; then
    skip sim_tcp_bulk_vs_ns3_ratio "tcp_grid did not compile (see $OUT/ns3-tcp-build.stderr)"
  else
    # 60 s of one NewReno flow at 10 ms, no loss, on each side; wall time
    # per packet on the bottleneck, alternating rounds.
    i=0
    while [ $i -lt $NS3_ROUNDS ]; do
      i=$((i + 1))
      say "TCP bulk: ns-3 and jnet, round $i"
      ns3=$(timeout "$TIMEOUT" "$GRID_EXE" --one=10 2>"$OUT/ns3-tcp.stderr")
      jn=$(timeout "$TIMEOUT" "$BIN/sim_tcp_bench" --bulk 10 2>"$OUT/tcp-bulk.stderr")
      pick='$1 == w && $4 > 0 { printf "%s\t%.9f\ts\n", p, $2 / $4 }'
      r1=$(echo "$ns3" | awk -v w=ns3_tcp_bulk_wall_s -v p=ns3_tcp_bulk_s_per_pkt "$pick")
      r2=$(echo "$jn" | awk -v w=jnet_tcp_bulk_wall_s -v p=jnet_tcp_bulk_s_per_pkt "$pick")
      if [ -n "$r1" ] && [ -n "$r2" ]; then
        printf '%s\n%s\n' "$r1" "$r2" >>"$TSV"
      else
        skip sim_tcp_bulk_vs_ns3_ratio "a side failed: ns-3 '$ns3', jnet '$jn'"
      fi
    done
    paired_ratio sim_tcp_bulk_vs_ns3_ratio ns3_tcp_bulk_s_per_pkt jnet_tcp_bulk_s_per_pkt
    collapse
  fi
fi

# ---- report ------------------------------------------------------------------------
echo
printf '%-32s %14s  %s\n' benchmark value unit
printf '%-32s %14s  %s\n' -------------------------------- -------------- ----
# fmt: numbers of 1000 and more without decimals or exponents.
FMT='function fmt(v) { return (v + 0 >= 1000) ? sprintf("%.0f", v) : v }'
awk -F '\t' "$FMT"'{ printf "%-32s %14s  %s\n", $1, fmt($2), $3 }' "$TSV"
echo
echo "targets:"
# target NAME OP LIMIT LABEL
target() {
  v=$(value "$1")
  if [ -z "$v" ]; then
    printf '  %-30s %2s %-10s %14s  %s\n' "$1" "$2" "$3" "-" "not measured"
    return
  fi
  line=$(awk -v v="$v" -v op="$2" -v t="$3" "$FMT"'BEGIN {
    ok = (op == "<=") ? (v + 0 <= t + 0) : (v + 0 >= t + 0)
    print fmt(v), ok ? "ok" : "MISSED" }')
  printf '  %-30s %2s %-10s %14s  %s\n' "$1" "$2" "$3" ${line% *} ${line#* }
}
target fiber_switch_ns '<=' 10
target chan_pingpong_ns '<=' 25
target select_ns '<=' 60
target echo_vs_libuv_ratio '>=' 0.97
target throughput_vs_libuv_ratio '>=' 0.97
target sim_udp_instr_per_datagram '<=' 1000
target sim_udp_datagrams_per_s '>=' 8000000
target sim_udp_datagrams_per_s_pcap '>=' 6000000
target sim_udp_capture_cost '<=' 1.3
target sim_bytes_per_idle_conn '<=' 1024
target sim_mem_total_mb '<=' 2000
target sim_scale_ratio '>=' 0.8
target sim_vs_ns3_ratio '>=' 40
target sweep_seeds_per_s '>=' 2000
target sweep_shard_overhead '<=' 1.05
target lin_check_ops_per_s '>=' 200000
target determinism_check_overhead '<=' 2.1
target shrink_kv_s '<=' 30
target sim_tcp_bulk_vs_ns3_ratio '>=' 20
target tcp_fidelity_max_error '<=' 20
if [ -s "$SKIPS" ]; then
  echo
  awk '!seen[$0]++' "$SKIPS"
fi
echo
echo "results: $TSV"
