#!/bin/sh
# run_fanout.sh — examples/fanout on one backend: the fast peer's answer
# comes first under a 1 s deadline, and a 5 ms deadline times out.
#   sh run_fanout.sh <fanout binary> uv|sim
set -u
out=$("$1" "$2") || { echo "fanout $2 failed: $out"; exit 1; }
echo "$out"
echo "$out" | grep -q '^first answer: fast (OK)' || exit 1
echo "$out" | grep -q '^with 5 ms: - (ETIMEDOUT)' || exit 1
