# mk/hardening.mk — issue 7's Make targets, included by the top-level
# Makefile (-include mk/hardening.mk):
#   make valgrind   memcheck over conformance, sim-*, unit-* and the fuzz
#                   corpus replays (CK_FORK=no), in build-vg
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (default 60), in
#                   build-fuzz (clang + libclang-rt-14-dev for libFuzzer)
#   make lint       clang-tidy (.clang-tidy) and cppcheck over api/
#                   backends/ sim/ tools/, from build-lint's
#                   compile_commands.json
# Packages: valgrind; clang, libclang-rt-14-dev (fuzz); clang-tidy, cppcheck
# (lint).

HARD_JOBS    ?= $(shell nproc)
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= scenario addr sched proxyctl
VG_TESTS     ?= ^(conformance-uv|conformance-sim|sim-.*|fuzz-replay-.*)$$
# unit-fiber* expect SIGSEGV/SIGABRT (guard page, canary): those cases need
# Check's fork mode, so the unit suites run under valgrind with forks
# (valgrind follows fork; each child reports and exits 1 on an error).
VG_FORK_TESTS ?= ^unit-.*$$
VG_FLAGS     := --error-exitcode=1 --leak-check=full \
                --errors-for-leak-kinds=definite,indirect \
                --show-leak-kinds=definite,indirect
LINT_DIRS    := api backends sim tools history
LINT_SRCS     = $(sort $(wildcard $(addsuffix /*.c,$(LINT_DIRS)) \
                  $(addsuffix /*/*.c,$(LINT_DIRS))))

.PHONY: valgrind fuzz lint lint-tidy lint-cppcheck

# Every ctest command of build-vg runs under valgrind through CMake's
# CROSSCOMPILING_EMULATOR (add_test(COMMAND target) honours it).
valgrind: deps
	cmake -S . -B build-vg -DCMAKE_BUILD_TYPE=Debug -DJNET_SIM=ON \
	  "-DCMAKE_CROSSCOMPILING_EMULATOR=valgrind;$(subst $(eval) ,;,$(strip $(VG_FLAGS)))"
	cmake --build build-vg -j $(HARD_JOBS)
	cd build-vg && CK_FORK=no CK_DEFAULT_TIMEOUT=600 \
	  ctest --output-on-failure -j $(HARD_JOBS) --timeout 1800 \
	  -R '$(VG_TESTS)'
	cd build-vg && CK_FORK=yes CK_DEFAULT_TIMEOUT=600 \
	  ctest --output-on-failure -j $(HARD_JOBS) --timeout 1800 \
	  -R '$(VG_FORK_TESTS)'

fuzz: deps
	@$(MAKE) --no-print-directory install-pkgs WANT="clang libclang-rt-14-dev"
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang \
	  -DCMAKE_BUILD_TYPE=Debug -DJNET_SANITIZE=ON -DJNET_FUZZ=ON \
	  "-DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link -O1"
	cmake --build build-fuzz -j $(HARD_JOBS) \
	  $(addprefix --target fuzz_,$(FUZZ_TARGETS))
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p build-fuzz/work/$$t build-fuzz/art/$$t; \
	  cp tests/fuzz/corpus/$$t/* build-fuzz/work/$$t/; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  build-fuzz/tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	    -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix=build-fuzz/art/$$t/ build-fuzz/work/$$t \
	    > build-fuzz/fuzz_$$t.log 2>&1 \
	    || { tail -n 40 build-fuzz/fuzz_$$t.log; exit 1; }; \
	  grep -E '^stat::number_of_executed_units' build-fuzz/fuzz_$$t.log; \
	done

lint: deps
	@$(MAKE) --no-print-directory install-pkgs WANT="clang-tidy cppcheck"
	@$(MAKE) --no-print-directory lint-tidy lint-cppcheck

build-lint/compile_commands.json:
	cmake -S . -B build-lint -DCMAKE_BUILD_TYPE=Debug -DJNET_SIM=ON \
	  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON

lint-tidy: build-lint/compile_commands.json
	clang-tidy -p build-lint --quiet $(LINT_SRCS)

lint-cppcheck:
	cppcheck --enable=warning,portability,performance --error-exitcode=1 \
	  --inline-suppr --quiet --std=c11 \
	  --suppressions-list=tools/cppcheck-suppressions.txt \
	  -I include -I common -I api -I backends -I sim -I tools -I history -D__GNUC__ \
	  $(LINT_DIRS)
