#!/bin/sh
# tools/jsim_demo.sh BUILD_DIR — what `make demo` runs: tools/demo.sh.
exec "$(dirname "$0")/demo.sh" "$@"
