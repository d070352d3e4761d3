# jnet — a thin wrapper over CMake: dependencies, build, test, demo, bench.
BUILD ?= build
JOBS  ?= $(shell nproc)
PKGS  := build-essential cmake pkg-config libuv1-dev check libpcap-dev \
         tshark libxml2-utils parallel valgrind
SAN_PKGS := clang libclang-rt-14-dev
BENCH_PKGS := libns3-dev

.PHONY: all deps install-pkgs build test demo bench sanitize valgrind clean

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

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	@./tools/jsim_demo.sh $(BUILD)

bench: build
	@$(MAKE) --no-print-directory install-pkgs WANT="$(BENCH_PKGS)"
	@./bench/run.sh $(BUILD)

sanitize: deps
	@$(MAKE) --no-print-directory install-pkgs WANT="$(SAN_PKGS)"
	cmake -S . -B build-san -DCMAKE_C_COMPILER=clang -DJNET_SANITIZE=ON \
	      -DCMAKE_BUILD_TYPE=Debug
	cmake --build build-san -j $(JOBS)
	cd build-san && CK_TIMEOUT_MULTIPLIER=4 ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD) build-san

# valgrind, fuzz, lint
-include mk/hardening.mk
