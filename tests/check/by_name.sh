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
while read -r ctname bin; do
  rc=0
  JNET_CHECK_LIST=1 "$bin" > "$tmp/list" 2> "$tmp/err" || rc=$?
  if [ $rc -eq 77 ]; then
    echo "skip $ctname: the suite skips itself here"; continue
  elif [ $rc -ne 0 ]; then
    echo "FAIL $ctname: listing exits $rc: $(cat "$tmp/err")"; fail=1
  fi
  if [ ! -s "$tmp/list" ]; then
    echo "FAIL $ctname: lists no test"; fail=1
  fi
  dup=$(sort "$tmp/list" | uniq -d)
  if [ -n "$dup" ]; then
    echo "FAIL $ctname: names given twice: $dup"; fail=1
  fi
  if CK_RUN_CASE=no_such_test_anywhere "$bin" > "$tmp/out" 2>&1; then
    echo "FAIL $ctname: an unknown CK_RUN_CASE passes"; fail=1
  elif ! grep -q "no test named 'no_such_test_anywhere'" "$tmp/out"; then
    echo "FAIL $ctname: an unknown name fails without saying so"; fail=1
  fi
  echo "ok   $ctname: $(wc -l < "$tmp/list") tests by name"
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
