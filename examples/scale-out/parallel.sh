#!/bin/sh
# parallel.sh N [HOSTS] — GNU parallel runs the N shards, then merges.
# Local cores:       parallel -j "$(nproc)" ./shard.sh {} N ::: $(seq 1 N)
# Over ssh (HOSTS is parallel's -S list, e.g. "8/node1,8/node2"; each host
# needs the same checkout at the same path, and shared or fetched results):
#   parallel -S "$HOSTS" --wd "$PWD" --return "$OUT/shard-{}-of-N.jsonl" \
#     ./examples/scale-out/shard.sh {} N ::: $(seq 1 N)
set -eu
N=$1
HOSTS=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT_DIR:-${OUT:-results}}
export OUT_DIR="$OUT"
if [ -n "$HOSTS" ]; then
  parallel --will-cite -S "$HOSTS" --wd "$PWD" \
    --return "$OUT/shard-{}-of-$N.jsonl" \
    "$HERE/shard.sh" {} "$N" ::: $(seq 1 "$N")
else
  parallel --will-cite -j "${PJOBS:-$(nproc)}" \
    "$HERE/shard.sh" {} "$N" ::: $(seq 1 "$N")
fi
"${JNET_SIM:-build/jnet-sim}" merge "$OUT"/shard-*-of-"$N".jsonl
