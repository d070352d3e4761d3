#!/bin/sh
# scaleout-parallel: examples/scale-out/parallel.sh on local cores (the ssh
# form differs only by -S), merged == unsharded; N not dividing the range.
# One N, 7, which does not divide 1..60 (the 3 and 5 it ran before both
# did, and each N cost a GNU parallel and a merge start).
. "$(dirname "$0")/common.sh"
n=7
"$RECIPES/parallel.sh" "$n" > "$WORK/parallel-$n.txt" 2>&1
rc=$?
[ "$rc" -eq "$REF_RC" ] || fail "parallel.sh $n exited $rc: $(cat "$WORK/parallel-$n.txt")"
compare "$n"
