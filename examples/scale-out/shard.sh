#!/bin/sh
# shard.sh K N — run shard K of N (1-based) of a sweep and write its JSON
# Lines to $OUT/shard-K-of-N.jsonl. Every recipe here ends in this call;
# only how K reaches it differs.
#   JNET_SIM  the runner (default build/jnet-sim)
#   SCENARIO  the .scn file (default scenarios/kv-replication-bug.scn)
#   SEEDS     A..B (default 1..10000)
#   OUT_DIR   where shard files go (default results); JOBS: -j per shard
set -eu
K=$1
N=$2
JNET_SIM=${JNET_SIM:-build/jnet-sim}
SCENARIO=${SCENARIO:-scenarios/kv-replication-bug.scn}
SEEDS=${SEEDS:-1..10000}
OUT=${OUT_DIR:-${OUT:-results}}
mkdir -p "$OUT"
set +e
"$JNET_SIM" sweep "$SCENARIO" --seeds "$SEEDS" --shard "$K/$N" \
  ${JOBS:+-j "$JOBS"} --no-progress --pcap-dir "$OUT/pcaps" \
  --json "$OUT/shard-$K-of-$N.jsonl" --junit "$OUT/shard-$K-of-$N.xml" \
  > "$OUT/shard-$K-of-$N.txt"
rc=$?
set -e
# 1 means "a seed failed": the shard did its job; merge reports it.
[ "$rc" -le 1 ] || { cat "$OUT/shard-$K-of-$N.txt" >&2; exit "$rc"; }
