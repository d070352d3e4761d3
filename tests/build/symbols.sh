#!/bin/sh
# symbols.sh — libjnet.so exports its public API and nothing else.
#
#   symbols.sh LIBJNET_SO SOURCE_DIR
#
# libjnet is built with -fvisibility=hidden; a public function is declared
# JNET_EXTERN in include/jnet/*.h (<jnet/jnet_config.h> defines it). Fails
# when the library exports an internal jnet__ name (or any name that is not
# jnet_*), when a function declared JNET_EXTERN is not exported, or when a
# public header declares a jnet_* function without JNET_EXTERN.
set -eu
lib=$1
inc=$2/include/jnet
status=0

exports=$(nm -D --defined-only "$lib" | awk '{print $NF}' | sort)
n=$(echo "$exports" | grep -c .)
internal=$(echo "$exports" | grep '^jnet__' || true)
if [ -n "$internal" ]; then
  echo "symbols: libjnet.so exports $(echo "$internal" | grep -c .) internal jnet__ symbols:"
  echo "$internal" | head -n 20
  status=1
fi
foreign=$(echo "$exports" | grep -v '^jnet_' || true)
if [ -n "$foreign" ]; then
  echo "symbols: libjnet.so exports names outside jnet_*:"
  echo "$foreign" | head -n 20
  status=1
fi

# Every JNET_EXTERN function of the headers is exported.
declared=$(grep -h '^JNET_EXTERN' "$inc"/*.h |
  sed -E 's/^JNET_EXTERN[^(]*[ *]([a-z_0-9]+)\(.*/\1/' | sort -u)
# One grep over the whole list (a grep per name cost ~500 forks).
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
echo "$exports" > "$tmp"
missing=$(echo "$declared" | grep -vxF -f "$tmp" | grep . || true)
if [ -n "$missing" ]; then
  echo "symbols: declared JNET_EXTERN but not exported:"
  echo "$missing"
  status=1
fi

# A prototype at the start of a line in a public header carries JNET_EXTERN.
bare=$(grep -nE '^[a-z][a-z0-9_ ]*[ *]+jnet_[a-z0-9_]+\(' "$inc"/*.h |
  grep -vE ':(JNET_EXTERN|static|typedef|return) ' || true)
if [ -n "$bare" ]; then
  echo "symbols: public declarations without JNET_EXTERN (not exported):"
  echo "$bare"
  status=1
fi

[ $status = 0 ] && echo "symbols: libjnet.so exports $n symbols, all public"
exit $status
