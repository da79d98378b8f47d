# The README's two commands are `make demo` and `make test`; everything else is a convenience.
# `make deps` installs Debian 12 packages (as root), the other targets build with CMake presets.
SHELL := /bin/bash
JOBS ?= $(shell nproc)

.PHONY: all deps build demo test test-fast bench format format-check tidy layering clean

all: build

deps:
	tools/install-deps.sh

build:
	cmake --preset dev >/dev/null
	cmake --build --preset dev -j $(JOBS)

demo: deps build
	build/dev/src/cli/daneguard demo

# What CI runs: everything under AddressSanitizer + UBSan with warnings as errors.
test: deps
	cmake --preset asan-ubsan >/dev/null
	cmake --build --preset asan-ubsan -j $(JOBS)
	tools/check-layering.sh
	tools/check-format.sh
	ctest --preset asan-ubsan -j $(JOBS)

test-fast: build
	ctest --preset dev -j $(JOBS)

bench:
	cmake --preset bench >/dev/null
	cmake --build --preset bench -j $(JOBS)
	tools/run-benchmarks.sh build/bench

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

format-check:
	tools/check-format.sh

tidy:
	cmake --preset dev >/dev/null
	git ls-files 'src/*.cpp' | xargs clang-tidy -p build/dev --quiet

layering:
	tools/check-layering.sh

clean:
	rm -rf build
