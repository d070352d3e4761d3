#!/bin/sh
# run_one.sh BUILD NAME — run the one Check test called NAME (the name of
# its START_TEST function) in every suite of BUILD that has it, through
# ctest so that each suite's environment and working directory hold:
#   CK_RUN_CASE=NAME ctest -R '^(<suites>)$'
# `make test-one T=NAME` calls this. Exit 2 if no suite has NAME.
set -eu
build=$1
name=$2
here=$(cd "$(dirname "$0")" && pwd)
suites=""
for line in $("$here/suites.sh" "$build" | tr ' ' ':'); do
  ctname=${line%%:*}
  bin=${line#*:}
  if JNET_CHECK_LIST=1 "$bin" | grep -qx "$name"; then
    suites="${suites:+$suites|}$ctname"
  fi
done
if [ -z "$suites" ]; then
  echo "run_one: no test named '$name' in $build (JNET_CHECK_LIST=1 <suite> lists a suite's tests)" >&2
  exit 2
fi
echo "run_one: $name in $suites"
cd "$build"
CK_RUN_CASE=$name CK_VERBOSITY=${CK_VERBOSITY:-verbose} \
  ctest -V -R "^($suites)\$"
