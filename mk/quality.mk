# mk/quality.mk — issue 20's Make targets, included by the top-level
# Makefile (-include mk/quality.mk):
#   make coverage  --coverage build in build-cov, the whole ctest suite
#                  (allocation-failure sweep included; left out: bench-guard,
#                  which counts instructions that --coverage inflates, and
#                  symbols and consumer, which fail by construction there:
#                  libjnet exports gcov's __gcov_* names, and the installed
#                  libjnet.a needs libgcov to link), an
#                  lcov/genhtml report in build-cov/coverage/index.html and
#                  line + branch coverage per directory on stdout; the
#                  programs link tests/coverage/gcov_exit.c so that children
#                  leaving with _exit (jnet-sim's per-seed runs) count
#   make mutate    tests/mutation/mutate.py over api/ backends/ sim/ tools/
#                  (MUTATE_ARGS="--sample 60 --seed 1" for a quick run);
#                  score in build/mutation/score.tsv
# Packages: lcov (coverage); python3, ninja-build (mutate: ninja rebuilds a
# mutant in ~40 s where make takes ~100 s on a loaded machine).

COV_BUILD ?= build-cov
COV_JOBS  ?= $(shell nproc)
MUTATE_ARGS ?=

.PHONY: coverage mutate

coverage: deps
	@$(MAKE) --no-print-directory install-pkgs WANT="lcov"
	mkdir -p $(COV_BUILD)
	cc -O0 -c tests/coverage/gcov_exit.c -o $(COV_BUILD)/gcov_exit.o
	cmake -S . -B $(COV_BUILD) -DCMAKE_BUILD_TYPE=Debug -DJNET_SIM=ON \
	  "-DCMAKE_C_FLAGS=--coverage -O0 -DJNET_COVERAGE" \
	  "-DCMAKE_EXE_LINKER_FLAGS=--coverage -Wl,--wrap=_exit $(abspath $(COV_BUILD))/gcov_exit.o" \
	  -DCMAKE_SHARED_LINKER_FLAGS=--coverage
	cmake --build $(COV_BUILD) -j $(COV_JOBS)
	find $(COV_BUILD) -name '*.gcda' -delete
	cd $(COV_BUILD) && CK_TIMEOUT_MULTIPLIER=4 \
	  ctest --output-on-failure -j $(COV_JOBS) \
	  -E '^(bench-guard|symbols|consumer)$$'
	sh tests/coverage/report.sh $(COV_BUILD)

mutate: deps
	@$(MAKE) --no-print-directory install-pkgs WANT="python3 ninja-build"
	python3 tests/mutation/mutate.py --build $(BUILD) $(MUTATE_ARGS)
