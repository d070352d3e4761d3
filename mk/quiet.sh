#!/bin/sh
# quiet.sh — run one step of `make` with its output in a log: print the
# step and its result, the compiler's warnings, and on failure the end of
# the log and where the whole of it is. V=1 (make V=1) shows everything.
#
#   mk/quiet.sh STEP LOG CMD [ARGS...]
step=$1 log=$2
shift 2
if [ "${V:-0}" = 1 ]; then
  exec "$@"
fi
mkdir -p "$(dirname "$log")"
# The sub-make CMake runs would otherwise print "Entering directory" lines.
unset MAKEFLAGS MAKELEVEL MFLAGS
if "$@" >"$log" 2>&1; then
  if grep -qE 'Building C|Building ASM|Linking C' "$log"; then
    n=$(grep -cE 'Linking C' "$log")
    echo "jnet: $step: ok ($n targets linked; log: $log)"
  else
    echo "jnet: $step: ok"
  fi
  grep -E '(warning|error):' "$log" | sort -u | head -n 50
  exit 0
else
  rc=$?
  echo "jnet: $step: FAILED (exit $rc); the end of $log:"
  if grep -qE 'error:|Error [0-9]|CMake Error' "$log"; then
    grep -E -B2 -A6 'error:|CMake Error' "$log" | head -n 80
  else
    tail -n 40 "$log"
  fi
  exit $rc
fi
