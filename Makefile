# Small helpers; each target is one command a user could also type.
.PHONY: setup build release test bench-client clean

setup:
	scripts/setup

build:
	swift build

release:
	swift build -c release --product ipwatcher

test: setup
	swift test

bench-client: setup release
	.build/release/ipwatcher bench client

clean:
	rm -rf .build
