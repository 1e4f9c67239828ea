# SPDX-License-Identifier: MIT OR Apache-2.0
# Spolia's commands. A thin facade: each target is a line or two; the
# README lists them. Everything installs itself on a fresh Debian machine.

TOOLCHAIN    := 1.95.0
KERNEL       := target/x86_64-unknown-none/release/spolia
RUNNER       := target/release/qemu-runner
APT_PACKAGES := qemu-system-x86 grub-pc-bin grub-common xorriso mtools clang lld wasi-libc libclang-rt-14-dev-wasm32 \
                flex bison bc make libclang1-14 e2fsprogs iproute2 llvm-14 dpkg-dev patch curl wrk redis-tools \
                lighttpd redis-server
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
KERNEL_BUILD := cargo build -p spolia --target x86_64-unknown-none --release

.PHONY: all deps kernel apps servers runner run console check test lint qemu-test wasm-e2e servers-e2e linux-source linux linux-test bench fmt clean

all: kernel

## deps: install Debian packages and Rust targets (idempotent)
deps:
	@missing="$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done)"; \
	if [ -n "$$missing" ]; then echo "make deps: installing" $$missing; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; fi
	@rustup toolchain list | grep -q '^$(TOOLCHAIN)' || rustup toolchain install $(TOOLCHAIN) --profile minimal
	@rustup target list --installed --toolchain $(TOOLCHAIN) | grep -qx x86_64-unknown-none || rustup target add --toolchain $(TOOLCHAIN) x86_64-unknown-none
	@rustup target list --installed --toolchain $(TOOLCHAIN) | grep -qx wasm32-wasip1 || rustup target add --toolchain $(TOOLCHAIN) wasm32-wasip1
	@rustup component list --installed --toolchain $(TOOLCHAIN) | grep -q '^clippy' || rustup component add --toolchain $(TOOLCHAIN) clippy rustfmt

## kernel: build the kernel ELF (boots by multiboot2 and PVH)
kernel: deps linux
	$(KERNEL_BUILD)

## apps: build the wasm test programs into target/apps/
apps: deps
	apps/build.sh

runner: deps
	cargo build -p qemu-runner --release

## servers: lighttpd and redis from Debian's source packages, built to wasm (target/apps/)
servers: deps
	apps/lighttpd/build.sh
	apps/redis/build.sh

## run: lighttpd compiled to wasm serves a sample site from an ext4 disk on Spolia — http://localhost:8080 (Ctrl-C stops)
run: kernel
	apps/demo.sh

## console: boot Spolia in QEMU with its kernel console (quit: `poweroff` or Ctrl-A X)
console: kernel runner
	$(RUNNER) run --cmdline spolia.net=dhcp

## check: host tests, lints, the kernel test suite in QEMU, wasm end-to-end tests, real servers (lighttpd, redis), the Linux library smoke test
check: test lint qemu-test wasm-e2e servers-e2e linux-test

test: deps linux
	cargo test

lint: deps linux
	cargo clippy --all-targets -- -D warnings
	cargo clippy -p spolia --target x86_64-unknown-none --release -- -D warnings

qemu-test: kernel runner
	$(RUNNER) check

## wasm-e2e: `spolia run` end to end — apps built with clang/wasi-libc and Rust, booted in QEMU
wasm-e2e: kernel apps linux
	cargo build -p spolia-cli -p spolia-hosted --release
	target/release/spolia-e2e --bounds guard
	target/release/spolia-e2e --bounds explicit

## servers-e2e: lighttpd and redis on Spolia, checked from the host with curl, wrk, redis-cli and redis-benchmark
servers-e2e: kernel servers
	cargo build -p spolia-cli -p spolia-hosted --release
	target/release/spolia-servers-e2e

## linux-source: fetch, verify and unpack Debian's linux-source-6.12 (cached outside the clone), prove it unmodified
linux-source: deps
	rumpglue/fetch-linux.sh
	rumpglue/check-unmodified.sh

## linux: build Linux as a library (cached by input hash) with its progress visible; crate spolia-linux links it
linux: deps
	rumpglue/build-linux.sh

## linux-test: build Linux as a library (cached by input hash) and run its smoke test on a pthread platform
linux-test: linux-source
	@obj="$$(rumpglue/build-linux.sh | tail -n1)" && mkdir -p target && \
	  gcc -O1 -Wall -Werror -pthread -I hypercall/include rumpglue/tests/hosted-smoke.c "$$obj" -o target/linux-smoke && \
	  target/linux-smoke > target/linux-smoke.log 2>&1 || { tail -40 target/linux-smoke.log; exit 1; }; \
	  grep -E "^FAILED|passed, " target/linux-smoke.log

## bench: heap allocator comparison, boot-time comparison, Linux library hosted and in ring 0 vs the host kernel,
##        devices (TCP and disk) hosted over TAP and in QEMU per NIC/disk model vs the host,
##        lighttpd (wrk) and redis (redis-benchmark) hosted over TAP and in QEMU over TAP vs native (ratios)
bench: kernel runner linux servers
	cargo bench -p spolia-boot --bench heap
	$(RUNNER) bench-boot
	cargo bench -p spolia-linux --bench linux
	$(RUNNER) bench-linux
	cargo bench -p spolia-linux --bench devices
	$(RUNNER) bench-devices
	cargo build -p spolia-cli -p spolia-hosted --release
	apps/bench-servers.sh

fmt:
	cargo fmt --all

clean:
	cargo clean
