#!/bin/sh
# suites.sh BUILD — one line "<ctest name> <binary>" for every ctest case
# of BUILD whose command is a Check suite made with jnet_check (a binary
# that knows JNET_CHECK_LIST). Used by by_name.sh and run_one.sh.
set -eu
build=$1
cd "$build"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
ctest -N -V 2>/dev/null | awk '
  /^[0-9]+: Test command: / { sub(/^[0-9]+: Test command: /, ""); cmd = $1 }
  /^ *Test +#[0-9]+: / { print $3, cmd }' > "$tmp"
# One grep over every binary (not one per test: each fork costs).
awk '{ print $2 }' "$tmp" | sort -u | xargs grep -ls JNET_CHECK_LIST |
  awk -v all="$tmp" '
    { hit[$0] = 1 }
    END { while ((getline l < all) > 0) { split(l, f, " "); if (f[2] in hit) print l } }'
