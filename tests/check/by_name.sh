#!/bin/sh
# by_name.sh BUILD SUITE:TEST... — ctest check-by-name. Every Check suite
# of BUILD (see suites.sh) must list its tests (JNET_CHECK_LIST=1: at least
# one name, none twice) and fail on a name it does not have; for each
# SUITE:TEST pair given (cheap tests), CK_RUN_CASE=TEST must run exactly
# that test, and it must pass.
set -eu
build=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
"$here/suites.sh" "$build" > "$tmp/suites"
n=$(wc -l < "$tmp/suites")
if [ "$n" -lt 10 ]; then
  echo "by_name: only $n Check suites found in $build" >&2
  exit 1
fi
# Per suite: its two runs and one awk (every fork counts: ~50 suites).
while read -r ctname bin; do
  rc=0
  JNET_CHECK_LIST=1 "$bin" > "$tmp/list" 2> "$tmp/err" || rc=$?
  if [ $rc -eq 77 ]; then
    echo "skip $ctname: the suite skips itself here"; continue
  fi
  urc=0
  CK_RUN_CASE=no_such_test_anywhere "$bin" > "$tmp/out" 2>&1 || urc=$?
  awk -v ct="$ctname" -v rc="$rc" -v urc="$urc" -v list="$tmp/list" \
      -v err="$tmp/err" -v out="$tmp/out" '
    BEGIN {
      while ((getline l < list) > 0) {
        n++
        if (seen[l]++ == 1) dup = dup " " l
      }
      while ((getline l < err) > 0) errs = errs l " "
      while ((getline l < out) > 0)
        said = said || index(l, "no test named '\''no_such_test_anywhere'\''")
      if (rc != 0) { print "FAIL " ct ": listing exits " rc ": " errs; bad = 1 }
      if (n == 0) { print "FAIL " ct ": lists no test"; bad = 1 }
      if (dup != "") { print "FAIL " ct ": names given twice:" dup; bad = 1 }
      if (urc == 0) {
        print "FAIL " ct ": an unknown CK_RUN_CASE passes"; bad = 1
      } else if (!said) {
        print "FAIL " ct ": an unknown name fails without saying so"; bad = 1
      }
      print "ok   " ct ": " n + 0 " tests by name"
      exit bad
    }' || fail=1
done < "$tmp/suites"
for pair in "$@"; do
  ctname=${pair%%:*}
  tname=${pair#*:}
  bin=$(awk -v n="$ctname" '$1 == n { print $2 }' "$tmp/suites")
  if [ -z "$bin" ]; then
    echo "skip $pair: no such suite in this build"
    continue
  fi
  if ! CK_RUN_CASE=$tname "$bin" > "$tmp/out" 2>&1; then
    echo "FAIL $pair: exits non-zero:"; cat "$tmp/out"; fail=1
  elif ! grep -q "^100%: Checks: 1, Failures: 0, Errors: 0" "$tmp/out"; then
    echo "FAIL $pair: did not run exactly one check:"; cat "$tmp/out"; fail=1
  else
    echo "ok   $pair runs alone"
  fi
done
exit $fail
