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
  python3 - "$WORK/all.jsonl" "$OUT_DIR"/shard-*-of-"$n".jsonl <<'PY' || fail "per-seed results differ"
import json, sys
def load(files):
    d = {}
    for f in files:
        for line in open(f):
            r = json.loads(line)
            if r.get("type") == "summary":
                continue
            assert r["seed"] not in d, r["seed"]
            d[r["seed"]] = (r["result"], r["fingerprint"], r["events"], r["virtual_s"])
    return d
a, b = load(sys.argv[1:2]), load(sys.argv[2:])
assert a == b, sorted(set(a.items()) ^ set(b.items()))[:5]
PY
  echo "ok: $n shards merged == unsharded ($(cat "$WORK/m.sum"))"
}
