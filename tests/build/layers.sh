#!/bin/sh
# layers.sh — the includes each layer may not have (DESIGN.md's layers).
#
#   layers.sh SOURCE_DIR
#
# The build gives each layer only its own directory, common/ and include/
# (top-level CMakeLists.txt), so a private header of another layer does not
# compile. What the include path cannot stop is checked here: the public
# headers and the system libraries a layer must not use.
set -eu
cd "$1"
status=0

# forbid DIRS REGEX WHY: no #include whose operand ("x.h" or <x.h>)
# matches REGEX in DIRS' sources.
forbid() {
  dirs=$1 re=$2 why=$3
  files=$(for d in $dirs; do ls "$d"/*.[ch] "$d"/*.S 2>/dev/null || true; done)
  [ -n "$files" ] || return 0
  hits=$(grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*($re)" $files || true)
  if [ -n "$hits" ]; then
    echo "layers: $why:"
    echo "$hits"
    status=1
  fi
}

q='"'  # a quoted include: a header of jnet's own tree
forbid api '<uv\.h>|<pcap|<jnet/jnet_sim\.h>|<jnet/jnet_scenario\.h>|"model\.h"' \
  "api/ includes neither libuv, pcap nor the simulator"
forbid "backends/uv backends/sim" '"fiber\.h"|"internal\.h"|<jnet/jnet_scenario\.h>' \
  "a backend knows no fibers"
forbid backends/sim '<uv\.h>' "the sim backend does not use libuv"
forbid backends/uv '<jnet/jnet_sim\.h>|"model\.h"|<pcap' \
  "the uv backend knows nothing of the simulator"
forbid sim '<jnet/jnet\.h>|<jnet/jnet_backend\.h>|<jnet/jnet_scenario\.h>|<uv\.h>|"fiber\.h"|"internal\.h"' \
  "sim/ (the model) knows no API, backend vtable or libuv"
forbid history '<uv\.h>|<pcap|<jnet/jnet_sim\.h>|<jnet/jnet_scenario\.h>|<jnet/jnet_backend\.h>|"model\.h"|"fiber\.h"' \
  "history/ sits on <jnet/jnet.h> alone: no libuv, simulator, runner or backend"
forbid common "<jnet/|$q" \
  "common/ is shared vocabulary and includes nothing of jnet's"
forbid include/jnet "$q" \
  "a public header includes only <jnet/...> and system headers"
forbid "examples scenarios" '"(jnet_alloc|internal|fiber|model|uv_internal|jsim_scn|capture)\.h"' \
  "examples/ and scenarios/ use the installed public headers only"

[ $status = 0 ] && echo "layers: every layer includes only what it may"
exit $status
