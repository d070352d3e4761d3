#!/bin/sh
# report.sh BUILD — after a --coverage build ran its tests (make coverage):
# capture with lcov (branches on), keep the library's sources, write the
# genhtml report to BUILD/coverage/, and print line and branch coverage per
# directory (api/, backends/, sim/, tools/) and in total. The table is also
# left in BUILD/coverage/summary.tsv.
set -eu
build=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
out=$build/coverage
mkdir -p "$out"
# Branches of assert() are left out of the branch count: the failing side
# of an invariant is a bug by definition, never a path a test should take.
# Other exclusions are one-line LCOV_EXCL_LINE / LCOV_EXCL_BR_LINE comments
# in the source, each with its reason.
rc="--rc lcov_branch_coverage=1"
excl="--rc lcov_excl_br_line=LCOV_EXCL_BR_LINE|\bassert\("
lcov $rc $excl --quiet --capture --directory "$build" --base-directory "$src" \
  --output-file "$out/all.info" 2> "$out/lcov.log"
lcov $rc --quiet --extract "$out/all.info" "$src/api/*" "$src/backends/*" \
  "$src/sim/*" "$src/tools/*" --output-file "$out/jnet.info"
genhtml $rc --quiet --legend --title jnet --prefix "$src" \
  --output-directory "$out" "$out/jnet.info" > "$out/genhtml.log"

# "lines......: 93.4% (1234 of 1321 lines)" -> "93.4 1234 1321"
pick() {
  grep "$1" | sed -E 's/.*: ([0-9.]+)% \(([0-9]+) of ([0-9]+).*/\1 \2 \3/'
}
printf 'dir\tlines%%\tlines\tbranches%%\tbranches\n' > "$out/summary.tsv"
for d in api backends sim tools; do
  lcov $rc --quiet --extract "$out/jnet.info" "$src/$d/*" \
    --output-file "$out/$d.info" 2>/dev/null || continue
  lcov $rc --summary "$out/$d.info" > "$out/$d.sum" 2>&1 || true
  l=$(pick 'lines\.\.' < "$out/$d.sum")
  b=$(pick 'branches\.\.' < "$out/$d.sum")
  set -- $l $b
  printf '%s/\t%s\t%s/%s\t%s\t%s/%s\n' "$d" "$1" "$2" "$3" "$4" "$5" "$6" \
    >> "$out/summary.tsv"
done
lcov $rc --summary "$out/jnet.info" > "$out/total.sum" 2>&1 || true
set -- $(pick 'lines\.\.' < "$out/total.sum") $(pick 'branches\.\.' < "$out/total.sum")
printf 'total\t%s\t%s/%s\t%s\t%s/%s\n' "$1" "$2" "$3" "$4" "$5" "$6" \
  >> "$out/summary.tsv"
echo "coverage (line and branch, lcov $(lcov --version | sed 's/.*version //')):"
awk -F'\t' '{ printf "  %-10s %8s %14s %10s %14s\n", $1, $2, $3, $4, $5 }' \
  "$out/summary.tsv"
echo "report: $out/index.html"
