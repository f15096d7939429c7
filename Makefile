# The two set-up commands are `make run` and `make test`; both install what is missing first.
SWIFT ?= swift
CONFIG ?= release
ARGS ?=

.PHONY: run test build deps test-deps check-test-layout check-module-imports browser-test screenshots bench bench-deps bench-peers soak api-fuzz fuzz fuzz-smoke sanitize format clean

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test

build: deps
	$(SWIFT) build -c $(CONFIG) --product baton

# Starts the coordinator on its embedded defaults (127.0.0.1:4000, data in ./.baton).
run: build
	$$($(SWIFT) build -c $(CONFIG) --show-bin-path)/baton serve $(ARGS)

# Every test file names the source file it tests (docs/ARCHITECTURE.md, "Tests").
check-test-layout:
	@scripts/check-test-layout.sh

# Package.swift's dependencies are exactly what each target imports (docs/ARCHITECTURE.md).
check-module-imports:
	@python3 scripts/check-module-imports.py

# Checks the test layout, then builds and runs every test. The HTTP server and client suites time
# shutdowns and cancellations on the cooperative pool, so they run in a process of their own, apart
# from the suites that spawn hundreds of child processes and servers; so do the suites that run the
# real agent CLIs, each a few hundred MiB binary whose start takes a core for a while, and the
# agent-session suite (TIMED).
REAL_AGENTS = CodexRunnerTests|ClaudeCodeRunnerTests|RealAgentEndToEndTests|ContainmentTests
# The agent-session suites hold Linear's 10 s bound between a delivery and its first activity
# (one in process, one through `baton serve`): they run apart too, so the hundreds of children the
# other suites spawn do not starve them.
TIMED = LinearAgentSessionTests|WebhookCommandAgentSessionTests
test: test-deps check-test-layout check-module-imports
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip BatonHTTPTests --skip '$(REAL_AGENTS)' --skip '$(TIMED)'
	$(SWIFT) test --skip-build --filter '$(REAL_AGENTS)'
	$(SWIFT) test --skip-build --filter '$(TIMED)'
	$(SWIFT) test --skip-build --filter BatonHTTPTests
	scripts/browser-test.sh
	scripts/fuzz.sh --smoke $(FUZZ_SMOKE_SECONDS)

# The dashboard in headless Chromium through WebDriver against a real `baton serve` (the debug
# binary; scripts/browser-test.py says what it checks). Installs selenium into .build/browser-venv.
browser-test: test-deps
	$(SWIFT) build --product baton
	scripts/browser-test.sh

# Regenerates docs/screenshots/{board,issue,fleet}.png at 1280×800 from a live server.
screenshots: test-deps
	$(SWIFT) build --product baton
	scripts/browser-test.sh --screenshots docs/screenshots

# libFuzzer targets in fuzz/ (HTTP request parser, chunked decoder, JSON, templates, Linear
# webhooks, config validation), each run for FUZZ_SECONDS on a corpus kept in .build/libfuzzer;
# prints runs, coverage and corpus size per target. FUZZ_TARGETS picks some (default: all).
# `make test` runs each for FUZZ_SMOKE_SECONDS from the seeds in fuzz/corpus.
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 4
FUZZ_TARGETS ?=
fuzz: deps
	scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: deps
	scripts/fuzz.sh --smoke $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

# The module suites and the HTTP suites, built and run once under AddressSanitizer and once under
# ThreadSanitizer (build directories .build/asan and .build/tsan). LeakSanitizer is off and one
# TSan pattern suppressed: both report the toolchain, not Baton (scripts/tsan-suppressions.txt,
# bench/RESULTS.md "Sanitizers"). SANITIZE_SUITES may name more (the API and CLI suites run too,
# but their timings are tuned for an uninstrumented build).
SANITIZE_SUITES ?= BatonJSONTests|BatonPlatformTests|BatonCryptoTests|BatonWorkerProtocolTests|BatonStoreTests|BatonCoreTests|BatonJobsTests|BatonTemplatesTests|BatonIssuesTests|BatonFitTests|BatonLinearTests
sanitize: test-deps
	$(SWIFT) build --build-tests --sanitize=address --build-path .build/asan
	ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test --skip-build --sanitize=address --build-path .build/asan --filter '$(SANITIZE_SUITES)'
	ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test --skip-build --sanitize=address --build-path .build/asan --filter BatonHTTPTests
	$(SWIFT) build --build-tests --sanitize=thread --build-path .build/tsan
	TSAN_OPTIONS=suppressions=$(CURDIR)/scripts/tsan-suppressions.txt $(SWIFT) test --skip-build --sanitize=thread --build-path .build/tsan --filter '$(SANITIZE_SUITES)'
	TSAN_OPTIONS=suppressions=$(CURDIR)/scripts/tsan-suppressions.txt $(SWIFT) test --skip-build --sanitize=thread --build-path .build/tsan --filter BatonHTTPTests

# Schemathesis against a live server (installs it into .build/fuzz-venv the first time).
api-fuzz: test-deps
	scripts/api-fuzz.sh

bench: bench-deps
	bench/http.sh

bench-deps:
	@scripts/install-deps.sh --bench

# Baton's hot path beside a Hummingbird 2 hello world and nginx, and 1 vs 2 event loops
# (bench/peers.sh; builds the Hummingbird peer into .build-peers/ the first time).
bench-peers: bench-deps
	bench/peers.sh

# Soak: job creates, signed webhooks, readers and an SSE client at fixed rates against a release
# `baton serve` for SOAK_SECONDS (30 minutes); prints RSS, fds, DB and WAL size, workspaces,
# /health p99 and SSE gaps every 30 s, then growth per hour and errors (bench/soak.sh).
SOAK_SECONDS ?= 1800
soak: bench-deps
	bench/soak.sh $(SOAK_SECONDS)

format:
	$(SWIFT) format -i -r Sources Tests Plugins fuzz Package.swift

clean:
	rm -rf .build
