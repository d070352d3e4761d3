#!/bin/sh
# sweep.sh — sweep a kv scenario with jnet-sim and check the verdict.
#
#   sweep.sh JNET_SIM SCENARIO SEEDS pass WORKDIR
#   sweep.sh JNET_SIM SCENARIO SEEDS fail WORKDIR MIN_FAILING MAX_FAILING
#
# pass: the sweep exits 0 and every seed passed.
# fail: the sweep exits 1, between MIN and MAX seeds failed, it printed a
#       replay command, and running that command fails again with the same
#       fingerprint as the sweep recorded (twice, to show it is stable).
set -u
sim=$1 scn=$2 seeds=$3 want=$4 work=$5
min=${6:-1} max=${7:-1000000}

die() { echo "sweep.sh: $*" >&2; exit 1; }

rm -rf "$work" && mkdir -p "$work" || die "cannot make $work"
"$sim" sweep "$scn" --seeds "$seeds" --no-progress \
  --json "$work/sweep.jsonl" --pcap-dir "$work" >"$work/out.txt" 2>&1
rc=$?
cat "$work/out.txt"
total=$(grep -c '"seed"' "$work/sweep.jsonl" 2>/dev/null)
passed=$(grep -c '"result": *"pass"' "$work/sweep.jsonl")
failed=$(grep -c '"result": *"fail"' "$work/sweep.jsonl")
echo "sweep.sh: exit $rc, $total seeds, $passed passed, $failed failed"

if [ "$want" = pass ]; then
  [ "$rc" -eq 0 ] || die "expected exit 0, got $rc"
  [ "$failed" -eq 0 ] && [ "$passed" -eq "$total" ] && [ "$total" -gt 0 ] ||
    die "expected every seed to pass"
  exit 0
fi

[ "$rc" -eq 1 ] || die "expected exit 1, got $rc"
[ "$failed" -ge "$min" ] || die "only $failed failing seeds, want >= $min"
[ "$failed" -le "$max" ] || die "$failed failing seeds, want <= $max"
replay=$(grep -m1 -o 'jnet-sim run [^ ]* --seed [0-9][0-9]*' "$work/out.txt")
[ -n "$replay" ] || die "no replay command printed"
seed=${replay##* }
line=$(grep "\"seed\": *$seed[,}]" "$work/sweep.jsonl" | head -n1)
fp=$(printf '%s\n' "$line" | sed -n 's/.*"fingerprint": *"\([^"]*\)".*/\1/p')
[ -n "$fp" ] || die "no fingerprint recorded for seed $seed"
echo "sweep.sh: replaying seed $seed (fingerprint $fp)"
for i in 1 2; do
  "$sim" run "$scn" --seed "$seed" >"$work/replay$i.txt" 2>&1
  rrc=$?
  cat "$work/replay$i.txt"
  [ "$rrc" -eq 1 ] || die "replay $i of seed $seed exited $rrc, want 1"
  grep -q "fingerprint $fp" "$work/replay$i.txt" ||
    die "replay $i of seed $seed: fingerprint differs from $fp"
  grep -q "FAIL" "$work/replay$i.txt" || die "replay $i did not FAIL"
done
exit 0
