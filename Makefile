# Small helpers; each target is one command a user could also type.
.PHONY: setup build release test alloc-check demo bench bench-client clean

setup:
	scripts/setup

build:
	swift build

release:
	swift build -c release --product ipwatcher

test: setup
	swift test

# The hot path's allocation count is only meaningful in an optimised build.
alloc-check:
	swift test -c release -Xswiftc -enable-testing --filter HotPathAllocationTests

demo: setup release
	.build/release/ipwatcher demo

bench: setup release
	.build/release/ipwatcher bench

bench-client: setup release
	.build/release/ipwatcher bench client

clean:
	rm -rf .build
