#!/bin/sh
# consumer.sh — jnet used from another project, as README says.
#
#   consumer.sh BUILD_DIR SOURCE_DIR WORK_DIR [INSTALLED_PREFIX]
#
# Installs BUILD_DIR into WORK_DIR/prefix (a scratch --prefix), or uses the
# jnet already installed in INSTALLED_PREFIX (/usr from the .debs), then, in a
# directory outside both trees, runs each recipe of README's "Use it from
# your project" (the <!-- recipe: NAME --> blocks, with the
# <!-- file: NAME --> blocks written beside them) over examples/echo.c and
# this directory's greet.c + greet.scn: each builds echo and a runner of its
# own and sweeps 20 seeds; then README's Check test (recipe check). Then
# what README does not show: jnet::jnet_static
# and `pkg-config --static`, find_package(jnet 9.0) failing on the version,
# a missing libpcap named at configure time, the installed jnet-sim and
# jnet-examples.
set -eu
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
work=$3
here=$src/tests/consumer
# The cmake recipe's compiler detection, copied to the later projects.
cmake_version=$(cmake --version | awk 'NR == 1 { print $3 }')

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
log=$work/log.txt
PREFIX=${4:-$work/prefix}
export PREFIX

step() { printf 'consumer: %s\n' "$*"; }
fail() {
  printf 'consumer: FAIL: %s\n' "$*"
  if [ -s "$log" ]; then
    echo "---- last output ----"
    tail -n 40 "$log"
  fi
  exit 1
}
# run WHAT CMD...: CMD's output goes to the log, shown on failure.
run() {
  what=$1
  shift
  "$@" >"$log" 2>&1 || fail "$what"
}

if [ $# -lt 4 ]; then
  step "install into a scratch prefix"
  run "cmake --install" cmake --install "$build" --prefix "$PREFIX"
else
  step "use the jnet installed in $PREFIX"
fi
for f in lib/libjnet.a lib/libjnet.so include/jnet/jnet.h \
         include/jnet/jnet_config.h lib/pkgconfig/jnet.pc \
         lib/cmake/jnet/jnetConfig.cmake bin/jnet-sim bin/jnet-examples \
         bin/jnet-proxy share/man/man1/jnet-sim.1 share/man/man1/jnet-proxy.1; do
  [ -e "$PREFIX/$f" ] || fail "not installed: $f"
done

# The README blocks: a fenced block after <!-- recipe: NAME --> or
# <!-- file: NAME -->.
block() { # KIND NAME
  awk -v want="<!-- $1: $2 -->" '
    $0 == want { armed = 1; next }
    armed && /^```/ { if (inside) exit; inside = 1; next }
    inside { print }' "$src/README.md"
}

for recipe in cmake pkg-config cc; do
  dir=$work/$recipe
  mkdir -p "$dir"
  cp "$src/examples/echo.c" "$here/greet.c" "$here/greet.scn" "$dir/"
  block recipe "$recipe" >"$dir/recipe.sh"
  [ -s "$dir/recipe.sh" ] || fail "README has no recipe '$recipe'"
  if [ "$recipe" = cmake ]; then
    block file CMakeLists.txt >"$dir/CMakeLists.txt"
  fi
  step "recipe $recipe: build echo and greet, sweep greet.scn over 20 seeds"
  (cd "$dir" && sh -eu recipe.sh) >"$log" 2>&1 || fail "recipe $recipe"
  grep -q 'echoed "hello"' "$log" || fail "recipe $recipe: no echo"
  grep -q 'all 20 seeds passed' "$log" || fail "recipe $recipe: sweep"
done

step "recipe check: README's Check test with <jnet/jnet_test.h>"
dir=$work/check
mkdir -p "$dir"
block file test_hello.c >"$dir/test_hello.c"
block recipe check >"$dir/recipe.sh"
[ -s "$dir/test_hello.c" ] && [ -s "$dir/recipe.sh" ] ||
  fail "README has no Check test"
(cd "$dir" && sh -eu recipe.sh) >"$log" 2>&1 || fail "recipe check"
[ "$(grep -c '100%: Checks: 1, Failures: 0' "$log")" = 2 ] ||
  fail "recipe check: the test did not pass twice"

step "jnet::jnet_static and pkg-config --static"
dir=$work/static
mkdir -p "$dir"
cp "$here/greet.c" "$here/greet.scn" "$dir/"
cat >"$dir/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(greet_static C)
find_package(jnet 0.2 REQUIRED)
add_executable(greet greet.c)
target_link_libraries(greet PRIVATE jnet::jnet_static)
CMAKE
# The compiler the cmake recipe's configure found (saves a detection).
mkdir -p "$dir/build/CMakeFiles"
cp -R "$work/cmake/build/CMakeFiles/$cmake_version" "$dir/build/CMakeFiles/"
run "jnet::jnet_static: configure" \
  cmake -S "$dir" -B "$dir/build" -DCMAKE_PREFIX_PATH="$PREFIX"
run "jnet::jnet_static: build" cmake --build "$dir/build"
if readelf -d "$dir/build/greet" | grep -q 'libjnet'; then
  fail "jnet::jnet_static: greet needs libjnet.so"
fi
run "jnet::jnet_static: sweep" \
  "$dir/build/greet" sweep "$dir/greet.scn" --seeds 1..20
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
libs=$(pkg-config --static --libs jnet) || fail "pkg-config --static"
libs=$(echo "$libs" | sed 's/-ljnet//')
run "pkg-config --static: build" cc -o "$dir/greet-pc" "$here/greet.c" \
  $(pkg-config --cflags jnet) "$PREFIX/lib/libjnet.a" $libs
run "pkg-config --static: sweep" \
  "$dir/greet-pc" sweep "$dir/greet.scn" --seeds 1..20

step "find_package(jnet 9.0) fails on the version"
dir=$work/v9
mkdir -p "$dir"
printf 'cmake_minimum_required(VERSION 3.16)\nproject(v9 NONE)\nfind_package(jnet 9.0 REQUIRED)\n' \
  >"$dir/CMakeLists.txt"
if cmake -S "$dir" -B "$dir/build" -DCMAKE_PREFIX_PATH="$PREFIX" \
     >"$log" 2>&1; then
  fail "find_package(jnet 9.0) succeeded"
fi
grep -q 'version: 0.2' "$log" || fail "find_package(jnet 9.0): no version message"

step "a missing libpcap is named at configure time"
# pkg-config sees libuv.pc but no libpcap.pc: libpcap-dev is "missing".
# jnetConfig.cmake checks the libraries before it needs a compiler (its
# find_dependency(Threads)), so the project enables no language: the
# C compiler's checks cost 0.5 CPU s and cannot change the message.
dir=$work/nopcap
mkdir -p "$dir/pc"
cp "$(pkg-config --variable=pcfiledir libuv)/libuv.pc" "$dir/pc/"
printf 'cmake_minimum_required(VERSION 3.16)\nproject(nopcap NONE)\nfind_package(jnet 0.2 REQUIRED)\n' \
  >"$dir/CMakeLists.txt"
if PKG_CONFIG_LIBDIR=$dir/pc cmake -S "$dir" -B "$dir/build" \
     -DCMAKE_PREFIX_PATH="$PREFIX" >"$log" 2>&1; then
  fail "find_package(jnet) without libpcap succeeded"
fi
grep -q 'jnet needs libpcap (install libpcap-dev)' "$log" ||
  fail "no libpcap: libpcap-dev not named"
grep -q 'libuv (install' "$log" && fail "no libpcap: libuv said missing"
PKG_CONFIG_LIBDIR=$PREFIX/lib/pkgconfig pkg-config --static --libs jnet \
  >"$log" 2>&1 && fail "pkg-config --static without libpcap.pc succeeded"
grep -q libpcap "$log" || fail "pkg-config: libpcap not named"

step "installed jnet-sim and jnet-examples"
"$PREFIX/bin/jnet-sim" programs >"$log" 2>&1 || fail "jnet-sim programs"
grep -q jnet_scenario_main "$log" || fail "jnet-sim programs: no pointer"
run "jnet-examples check" \
  "$PREFIX/bin/jnet-examples" check "$src/scenarios/kv-replication.scn"
step "ok"
