#!/bin/sh
# public_only.sh — code users copy (examples/, scenarios/) uses only the
# installed public headers: no jnet__ name, no private header.
#
#   sh public_only.sh <source dir>
#
# Private headers are every header of the library's layers (api/, backends/,
# sim/, tools/) except the installed ones (include/jnet/). Exit 1 and list
# the offending lines if any is found.
set -u
src=${1:?usage: public_only.sh <source dir>}
cd "$src" || exit 2

public="jnet.h jnet_errno.h jnet_backend.h jnet_sim.h jnet_scenario.h"
for h in include/jnet/*.h; do
  [ -f "$h" ] && public="$public $(basename "$h")"
done
private=""
for h in $(find api backends sim tools -name '*.h' 2>/dev/null); do
  base=$(basename "$h")
  case " $public " in
  *" $base "*) ;;
  *) private="$private $base" ;;
  esac
done
[ -n "$private" ] || { echo "public_only: found no private headers to check"; exit 2; }

files=$(find examples scenarios -name '*.[ch]' 2>/dev/null)
[ -n "$files" ] || { echo "public_only: no example sources"; exit 2; }

bad=0
if grep -n 'jnet__' $files; then
  echo "public_only: the lines above call or name a jnet__ internal"
  bad=1
fi
for base in $private; do
  # "x.h", <x.h>, "dir/x.h", <jnet/x.h>
  if grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]([^>\"]*/)?$base[>\"]" $files; then
    echo "public_only: the lines above include the private header $base"
    bad=1
  fi
done
[ $bad -eq 0 ] && echo "public_only: $(echo $files | wc -w) files use public headers only"
exit $bad
