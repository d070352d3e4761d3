# tests/scaleout/common.sh — sourced by the scaleout-* tests: a fresh work
# dir, the unsharded reference sweep, and the comparison of merged shards
# with it (same failing seeds, fingerprints, totals; same exit status).
# Usage in a test: . common.sh RUNNER SCENARIO SEEDS
set -u
RUNNER=$1 SCN=$2 SEEDS=$3
SRC=$(cd "$(dirname "$0")/../.." && pwd)
RECIPES="$SRC/examples/scale-out"
WORK=$(mktemp -d /tmp/jsim-scaleout-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
export JNET_SIM="$RUNNER" SCENARIO="$SCN" SEEDS OUT_DIR="$WORK/shards" JOBS=1

fail() { echo "FAIL: $*" >&2; exit 1; }

# The reference: one unsharded sweep.
"$RUNNER" sweep "$SCN" --seeds "$SEEDS" -j 2 --no-progress \
  --json "$WORK/all.jsonl" > "$WORK/all.txt" 2>&1
REF_RC=$?
[ "$REF_RC" -le 1 ] || fail "reference sweep exited $REF_RC: $(cat "$WORK/all.txt")"

# per_seed FILE...: "seed result fingerprint events virtual_s" of every
# seed line of the JSON Lines files, sorted by seed; fails when a seed line
# does not have that shape.
per_seed() {
  awk '
    /"type":"seed"/ {
      if (!match($0, /"seed":[0-9]+,/)) exit 1
      seed = substr($0, RSTART + 7, RLENGTH - 8)
      if (!match($0, /"result":"[a-z_]+","message":/)) exit 1
      res = substr($0, RSTART + 10, RLENGTH - 22)
      if (!match($0, /"fingerprint":"[^"]*","events":[0-9]+,"virtual_s":[0-9.eE+-]+,/)) exit 1
      split(substr($0, RSTART, RLENGTH - 1), f, ",")
      sub(/^"fingerprint":/, "", f[1]); sub(/^"events":/, "", f[2])
      sub(/^"virtual_s":/, "", f[3])
      print seed, res, f[1], f[2], f[3]
    }' "$@" > "$WORK/seeds.tmp" || return 1
  sort -n -k1,1 -s "$WORK/seeds.tmp"
}

# compare N: merge shards/shard-*-of-N.jsonl and check it against all.jsonl.
compare() {
  n=$1
  count=$(ls "$OUT_DIR"/shard-*-of-"$n".jsonl 2>/dev/null | wc -l)
  [ "$count" -eq "$n" ] || fail "$count shard files, want $n"
  "$RUNNER" merge --junit "$WORK/merged.xml" "$OUT_DIR"/shard-*-of-"$n".jsonl \
    > "$WORK/merged.txt" 2>&1
  rc=$?
  [ "$rc" -eq "$REF_RC" ] || fail "merge exited $rc, the sweep $REF_RC: $(cat "$WORK/merged.txt")"
  xmllint --noout "$WORK/merged.xml" || fail "merged JUnit is not valid XML"
  # The summary's totals line and failing seeds match the sweep's.
  grep "$(basename "$SCN")" "$WORK/all.txt" | awk '{print $2, $3, $4, $5, $6}' > "$WORK/a.sum"
  grep "$(basename "$SCN")" "$WORK/merged.txt" | awk '{print $2, $3, $4, $5, $6}' > "$WORK/m.sum"
  cmp -s "$WORK/a.sum" "$WORK/m.sum" ||
    fail "totals differ: $(cat "$WORK/a.sum") vs $(cat "$WORK/m.sum")"
  grep '^  seed ' "$WORK/all.txt" > "$WORK/a.fail"
  grep '^  seed ' "$WORK/merged.txt" > "$WORK/m.fail"
  cmp -s "$WORK/a.fail" "$WORK/m.fail" || fail "failing seeds differ"
  # Per seed: result, fingerprint, events, virtual time, each seed once in
  # the shards (awk on the runner's fixed key order: a python3 start cost
  # 0.4 CPU s a comparison; every seed line must parse, so a changed
  # format fails instead of comparing nothing).
  per_seed "$WORK/all.jsonl" > "$WORK/a.seeds" || fail "all.jsonl: a seed line did not parse"
  per_seed "$OUT_DIR"/shard-*-of-"$n".jsonl > "$WORK/m.seeds" ||
    fail "shards: a seed line did not parse"
  [ -s "$WORK/a.seeds" ] || fail "all.jsonl: no seeds"
  dup=$(cut -d' ' -f1 "$WORK/m.seeds" | uniq -d | head -n 1)
  [ -z "$dup" ] || fail "seed $dup in two shards"
  cmp -s "$WORK/a.seeds" "$WORK/m.seeds" ||
    fail "per-seed results differ: $(diff "$WORK/a.seeds" "$WORK/m.seeds" | head -n 5)"
  echo "ok: $n shards merged == unsharded ($(cat "$WORK/m.sum"))"
}
