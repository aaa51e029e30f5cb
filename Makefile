# Small helpers; each target is one command a user could also type.
.PHONY: setup build release test integration-test fuzz alloc-check demo bench bench-client bench-web bench-http web-example clean

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
	scripts/integration-tests

# The Hummingbird and Vapor integrations (Integrations/), each built and tested as its own package.
integration-test:
	scripts/integration-tests

# libFuzzer on the RESP and queue-entry parsers, FUZZ_SECONDS per target (see Fuzzing in the README).
FUZZ_SECONDS ?= 60
fuzz:
	scripts/fuzz $(FUZZ_SECONDS)

# The hot path's allocation count is only meaningful in an optimised build. The tests are a package of their own
# (AllocationCheck/), so the release build holds only the libraries they call, not every test target; they
# @testable-import the worker's and the web tier's modules, hence -enable-testing on every module.
alloc-check:
	swift test -c release -Xswiftc -enable-testing --package-path AllocationCheck --scratch-path AllocationCheck/.build

demo: setup release
	.build/release/ipwatcher demo

bench: setup release
	.build/release/ipwatcher bench

bench-client: setup release
	.build/release/ipwatcher bench client

bench-web: setup release
	.build/release/ipwatcher bench web

# The example web app under wrk: middleware, per-request recipe (--naive) and no middleware (--plain).
bench-http: setup
	scripts/bench-http

# The example web app in front of the Redis at 127.0.0.1:6379, on port 8080.
web-example:
	cd Integrations/ipwatcher-hummingbird && swift run -c release ipwatcher-web-example

clean:
	rm -rf .build AllocationCheck/.build Integrations/ipwatcher-hummingbird/.build Integrations/ipwatcher-vapor/.build
