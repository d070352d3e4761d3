# jnet — a thin wrapper over CMake: dependencies, build, test, demo, bench.
BUILD ?= build
JOBS  ?= $(shell nproc)
# ctest runs two tests per core: a third of the suite's wall time is spent
# waiting on real time (loopback timeouts, the proxy's relays, conformance
# on uv), not on a CPU, and each test bounds its own waits.
TEST_JOBS ?= $(shell expr 2 \* $(JOBS))
# libsystemd-dev: `pkg-config --static jnet` reaches libpcap's private
# dependencies (dbus-1, then systemd); the consumer test links that way.
# groff-base: the man-lint ctest.
PKGS  := build-essential cmake pkg-config libuv1-dev check libpcap-dev \
         tshark libxml2-utils parallel valgrind libsystemd-dev \
         redis-server python3 groff-base
SAN_PKGS := clang libclang-rt-14-dev
# the peers make bench compares against (bench/run.sh: sim_vs_ns3_ratio)
BENCH_PKGS := libns3-dev g++

PREFIX ?= /usr/local

.PHONY: all deps install-pkgs build test demo bench sanitize valgrind clean \
        install package package-test test-one

all: build

# Install whatever is missing (Debian 12). Root runs apt-get; others are told.
deps:
	@$(MAKE) --no-print-directory install-pkgs WANT="$(PKGS)"

install-pkgs:
	@missing=$$(for p in $(WANT); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
	  echo "jnet: installing $$missing"; \
	  if [ "$$(id -u)" = 0 ]; then \
	    export DEBIAN_FRONTEND=noninteractive; \
	    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections; \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "run: sudo apt-get install -y $$missing"; exit 1; \
	  fi; \
	fi

# Steps print one line and the compiler's warnings; the whole output is in
# $(BUILD)/*.log (shown on failure). make V=1 prints everything.
QUIET := ./mk/quiet.sh

$(BUILD)/CMakeCache.txt:
	@$(QUIET) configure $(BUILD)/configure.log \
	  cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/CMakeCache.txt
	@$(QUIET) build $(BUILD)/build.log cmake --build $(BUILD) -j $(JOBS)

test: build
	@echo "jnet: test: ctest -j $(TEST_JOBS) (one line per test; a failing test's output in full)"
	@cd $(BUILD) && ctest --output-on-failure -j $(TEST_JOBS)

# Into PREFIX (default /usr/local; ldconfig runs for a system prefix).
install: build
	@$(QUIET) "install into $(PREFIX)" $(BUILD)/install.log \
	  cmake --install $(BUILD) --prefix $(PREFIX)

# Debian packages in $(BUILD)/package: libjnet0, libjnet-dev, jnet-tools.
package: build
	@$(QUIET) "package (cpack -G DEB)" $(BUILD)/package.log \
	  sh -c 'cd $(BUILD) && cpack -G DEB'
	@ls $(BUILD)/package/*.deb

# CI step: install the .debs with apt-get (root), build README's consumer
# recipes against /usr, then remove the packages again.
package-test: package
	@$(QUIET) "apt-get install the .debs" $(BUILD)/package-install.log \
	  apt-get install -y -q ./$(BUILD)/package/*.deb
	@sh tests/consumer/consumer.sh $(BUILD) . $(BUILD)/consumer-deb /usr; \
	  rc=$$?; apt-get purge -y -qq libjnet0 libjnet-dev jnet-tools \
	  >$(BUILD)/package-purge.log 2>&1; exit $$rc

# One Check test by name, in every suite that has it: make test-one T=<name>
test-one: build
	@sh tests/check/run_one.sh $(BUILD) '$(T)'

demo: build
	@./tools/jsim_demo.sh $(BUILD)

bench: build
	@$(MAKE) --no-print-directory install-pkgs WANT="$(BENCH_PKGS)"
	@./bench/run.sh $(BUILD)

sanitize: deps
	@$(MAKE) --no-print-directory install-pkgs WANT="$(SAN_PKGS)"
	@$(QUIET) "configure build-san" build-san/configure.log \
	  cmake -S . -B build-san -DCMAKE_C_COMPILER=clang -DJNET_SANITIZE=ON \
	  -DCMAKE_BUILD_TYPE=Debug
	@$(QUIET) "build build-san" build-san/build.log \
	  cmake --build build-san -j $(JOBS)
	@echo "jnet: sanitize: ctest -j $(JOBS) under ASan+UBSan"
	@cd build-san && CK_TIMEOUT_MULTIPLIER=4 ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD) build-san

# valgrind, fuzz, lint
-include mk/hardening.mk
# coverage, mutate
-include mk/quality.mk
