# Small helpers; each target is one command a user could also type.
.PHONY: setup build release test fuzz alloc-check demo bench bench-client bench-web clean

setup:
	scripts/setup

build:
	swift build

release:
	swift build -c release --product ipwatcher

# The README's test command.
test: setup
	swift test
	scripts/fuzz 20
	$(MAKE) alloc-check

# libFuzzer on the RESP and queue-entry parsers, FUZZ_SECONDS per target (see Fuzzing in the README).
FUZZ_SECONDS ?= 60
fuzz:
	scripts/fuzz $(FUZZ_SECONDS)

# The hot path's allocation count is only meaningful in an optimised build.
alloc-check:
	swift test -c release -Xswiftc -enable-testing --filter HotPathAllocationTests

demo: setup release
	.build/release/ipwatcher demo

bench: setup release
	.build/release/ipwatcher bench

bench-client: setup release
	.build/release/ipwatcher bench client

bench-web: setup release
	.build/release/ipwatcher bench web

clean:
	rm -rf .build
