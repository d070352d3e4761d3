#!/bin/sh
# scaleout-parallel: examples/scale-out/parallel.sh on local cores (the ssh
# form differs only by -S), merged == unsharded; N not dividing the range.
. "$(dirname "$0")/common.sh"
for n in 3 5; do
  "$RECIPES/parallel.sh" "$n" > "$WORK/parallel-$n.txt" 2>&1
  rc=$?
  [ "$rc" -eq "$REF_RC" ] || fail "parallel.sh $n exited $rc: $(cat "$WORK/parallel-$n.txt")"
  compare "$n"
done
