#!/bin/sh
# suites.sh BUILD — one line "<ctest name> <binary>" for every ctest case
# of BUILD whose command is a Check suite made with jnet_check (a binary
# that knows JNET_CHECK_LIST). Used by by_name.sh and run_one.sh.
set -eu
build=$1
cd "$build"
ctest -N -V 2>/dev/null | awk '
  /^[0-9]+: Test command: / { sub(/^[0-9]+: Test command: /, ""); cmd = $1 }
  /^ *Test +#[0-9]+: / { print $3, cmd }' |
while read -r name bin; do
  if [ -f "$bin" ] && grep -q JNET_CHECK_LIST "$bin" 2>/dev/null; then
    echo "$name $bin"
  fi
done
