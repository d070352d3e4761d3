#!/bin/sh
# tools/jsim_demo.sh BUILD_DIR — the jnet-sim demo (`make demo`): sweep the
# buggy kv replication over 300 seeds, show the failure found, replay one
# failing seed with a pcap, then show the correct protocol passing.
set -u
BUILD=${1:-build}
SIM="$BUILD/jnet-sim"
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUG="$SRC/scenarios/kv-replication-bug.scn"
OK="$SRC/scenarios/kv-replication.scn"
OUT="$BUILD/demo"

if [ ! -x "$SIM" ]; then
  echo "demo: $SIM not found; build first (make build)" >&2
  exit 2
fi
for f in "$BUG" "$OK"; do
  if [ ! -f "$f" ]; then
    echo "demo: $f is not there yet (the example protocols have not landed);" >&2
    echo "demo: registered programs are:" >&2
    "$SIM" programs >&2
    exit 2
  fi
done
rm -rf "$OUT"
mkdir -p "$OUT"

step() { printf '\n==> %s\n' "$*"; }

step "1. Sweep the buggy replication over seeds 1..300"
echo "   $SIM sweep $BUG --seeds 1..300 --pcap-dir $OUT --json $OUT/bug.jsonl"
"$SIM" sweep "$BUG" --seeds 1..300 --pcap-dir "$OUT" --json "$OUT/bug.jsonl" \
  --no-progress > "$OUT/bug.txt" 2>&1
rc=$?
sed -n '1,4p' "$OUT/bug.txt"
nfail=$(grep -c '"result":"fail"' "$OUT/bug.jsonl" 2>/dev/null || true)
echo "   exit status $rc, $nfail failing seeds; the first few:"
grep -A2 '^  seed ' "$OUT/bug.txt" | head -9
if [ "$rc" -ne 1 ] || [ "${nfail:-0}" -eq 0 ]; then
  echo "demo: the sweep found no failing seed (exit $rc); see $OUT/bug.txt" >&2
  exit 1
fi

seed=$(grep -o '"seed":[0-9]*,"result":"fail"' "$OUT/bug.jsonl" | head -1 |
       tr -dc 0-9)
pcap="$OUT/replay-seed$seed.pcap"
step "2. Replay seed $seed exactly, with a capture"
echo "   $SIM run $BUG --seed $seed --pcap $pcap"
"$SIM" run "$BUG" --seed "$seed" --pcap "$pcap"
echo "   run it again: the same fingerprint, the same pcap bytes:"
"$SIM" run "$BUG" --seed "$seed" --pcap "$pcap.again" | grep -o 'fingerprint 0x[0-9a-f]*'
if cmp -s "$pcap" "$pcap.again"; then echo "   pcaps identical"; fi
rm -f "$pcap.again"

step "3. Open the capture"
echo "   wireshark $pcap"
echo "   tshark -r $pcap -z conv,tcp -q"
if command -v tshark > /dev/null 2>&1; then
  tshark -r "$pcap" -z conv,tcp -q 2>/dev/null | head -14
fi

step "4. The correct replication over the same seeds"
"$SIM" sweep "$OK" --seeds 1..300 --no-progress > "$OUT/ok.txt" 2>&1
rc=$?
sed -n '1,4p' "$OUT/ok.txt"
if [ "$rc" -eq 0 ]; then
  echo "   all 300 seeds pass"
else
  echo "demo: the correct protocol failed (exit $rc); see $OUT/ok.txt" >&2
  exit 1
fi
