# lakeform build.  `make help` lists the targets.

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
PKGS     = yaml-0.1 jansson libcurl libgit2 libcrypto libmicrohttpd
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CFLAGS ?= -O2 -g
ALL_CFLAGS = $(WARN) $(CFLAGS) -Isrc $(PKG_CFLAGS) -DLF_VERSION='"$(VERSION)"' -MMD -MP
SAN     = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

LIB_SRCS = $(wildcard src/util/*.c src/core/*.c src/state/*.c src/state/backends/*.c)
CLI_SRCS = $(wildcard src/cli/*.c)
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
SDK_SRCS  = $(wildcard providers/sdk/*.c)
UTIL_SRCS = $(wildcard src/util/*.c)
# every folder of providers/ but sdk/ is one provider executable
PROVIDERS = $(sort $(filter-out sdk,$(notdir $(patsubst %/,%,$(dir $(wildcard providers/*/*.c))))))
PROVIDER_BINS = $(patsubst %,$(B)/bin/lakeform-provider-%,$(PROVIDERS))
PROVIDER_SAN_BINS = $(patsubst %,$(BS)/bin/lakeform-provider-%,$(PROVIDERS))

# Two trees: build/ (optimised, what users run) and build/san/ (address and
# undefined-behaviour sanitizers, what the tests run); a third, build/fuzz/,
# for the fuzz targets (clang, libFuzzer, the same sanitizers).
B  = build
BS = build/san
FZ = build/fuzz

lib_objs = $(patsubst %.c,$(1)/obj/%.o,$(LIB_SRCS))
cli_objs = $(patsubst %.c,$(1)/obj/%.o,$(CLI_SRCS))

.PHONY: all deps test test-unit test-cli test-providers test-tsan test-integration test-incr test-git test-docker test-dockerd test-s3 test-s3-backend test-ceph test-s3rver test-oidc test-scim test-serve test-yaml test-schema test-ajv test-fuzz fuzz fuzz-build demo bench bench-docker bench-scim bench-serve lint install uninstall clean help
.DEFAULT_GOAL := all

# the man page and the completion scripts are made by lakeform itself,
# from the command table its --help comes from
DOC_PRODUCTS = $(B)/lakeform.1 $(B)/completion/lakeform.bash $(B)/completion/_lakeform \
               $(B)/completion/lakeform.fish

all: $(B)/bin/lakeform $(PROVIDER_BINS) $(DOC_PRODUCTS)

$(B)/lakeform.1: $(B)/bin/lakeform
	$< __man > $@.tmp && mv $@.tmp $@

$(B)/completion/lakeform.bash: $(B)/bin/lakeform
	@mkdir -p $(dir $@)
	$< completion bash > $@.tmp && mv $@.tmp $@

$(B)/completion/_lakeform: $(B)/bin/lakeform
	@mkdir -p $(dir $@)
	$< completion zsh > $@.tmp && mv $@.tmp $@

$(B)/completion/lakeform.fish: $(B)/bin/lakeform
	@mkdir -p $(dir $@)
	$< completion fish > $@.tmp && mv $@.tmp $@

help:
	@echo "make deps     install missing Debian packages (apt-get)"
	@echo "make          build build/bin/lakeform"
	@echo "make test     deps, build, and every test layer; ends with 'N passed, N failed'"
	@echo "make test-L   one layer, L one of: $(LAYERS)"
	@echo "make demo     deps, build, and run lakeform on examples/quickstart"
	@echo "make bench    deps, build, and print the performance figures (serve's pages too)"
	@echo "make bench-docker  time apply and refresh of 10 nodes on podman"
	@echo "make bench-scim    time apply of 10,000 users and 1,000 groups to a SCIM server, bulk and plain"
	@echo "make bench-serve   time each page of lakeform serve on 100,000 resources"
	@echo "make fuzz     each fuzz target for FUZZ_SECONDS (default $(FUZZ_SECONDS)) s; FUZZ_TARGETS=..."
	@echo "make lint     clang-format check and banned calls"
	@echo "make install  PREFIX=$(PREFIX) DESTDIR=$(DESTDIR): lakeform, its providers, schemas,"
	@echo "              man page (build/lakeform.1) and bash, zsh, fish completion"
	@echo "make clean    remove build/"

deps:
	@./scripts/deps.sh

# ---- objects ------------------------------------------------------------

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BS)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -c $< -o $@

$(B)/liblakeform.a: $(call lib_objs,$(B))
	@rm -f $@
	ar rcs $@ $^

$(BS)/liblakeform.a: $(call lib_objs,$(BS))
	@rm -f $@
	ar rcs $@ $^

$(B)/bin/lakeform: $(call cli_objs,$(B)) $(B)/liblakeform.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BS)/bin/lakeform: $(call cli_objs,$(BS)) $(BS)/liblakeform.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(PKG_LIBS) -lm

$(BS)/tests/%: $(BS)/obj/tests/unit/%.o $(BS)/liblakeform.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(PKG_LIBS) -lcmocka -lm

$(B)/tests/run_suite: $(B)/obj/tests/schema-suite/run_suite.o $(B)/liblakeform.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(B)/tests/schema_check: $(B)/obj/tests/schema-suite/schema_check.o $(B)/liblakeform.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(B)/tests/mkstate: $(B)/obj/tests/bench/mkstate.o $(B)/liblakeform.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# benchmark tools: a provider that takes 10 ms a call, a protocol driver
$(B)/bin/lakeform-provider-sleepy: $(B)/obj/tests/bench/sleepy/main.o $(B)/libsdk.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread -lm

$(B)/tests/proto_bench: $(B)/obj/tests/bench/proto_bench.o $(B)/liblakeform.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread -lm

$(B)/tests/yaml_suite: $(B)/obj/tests/yaml-suite/yaml_suite.o $(B)/liblakeform.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lm

UNIT_BINS = $(patsubst tests/unit/%.c,$(BS)/tests/%,$(UNIT_SRCS))

# the providers the protocol tests (test_sdk) drive
include tests/providers/Makefile.inc

# ---- providers: each links the SDK and src/util, nothing of core ----------

$(B)/libsdk.a: $(patsubst %.c,$(B)/obj/%.o,$(SDK_SRCS) $(UTIL_SRCS))
	@rm -f $@
	ar rcs $@ $^

$(BS)/libsdk.a: $(patsubst %.c,$(BS)/obj/%.o,$(SDK_SRCS) $(UTIL_SRCS))
	@rm -f $@
	ar rcs $@ $^

.SECONDEXPANSION:
$(B)/bin/lakeform-provider-%: $$(subst .c,.o,$$(addprefix $(B)/obj/,$$(wildcard providers/$$*/*.c))) $(B)/libsdk.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread -lm

$(BS)/bin/lakeform-provider-%: $$(subst .c,.o,$$(addprefix $(BS)/obj/,$$(wildcard providers/$$*/*.c))) $(BS)/libsdk.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(PKG_LIBS) -lpthread -lm

# ---- tests --------------------------------------------------------------
# Each layer writes its closing line to build/results/<layer>; the last step
# adds them up into one 'N passed, N failed' line.

R = $(B)/results
# every layer of make test, in order: one list, which sum-results.sh reads too
LAYERS = unit cli providers tsan integration incr git docker dockerd s3 s3-backend ceph s3rver oidc scim serve yaml schema ajv fuzz

test: deps
	@$(MAKE) --no-print-directory test-build
	@rm -rf $(R); mkdir -p $(R)
	@status=0; \
	for layer in $(LAYERS); do \
		$(MAKE) --no-print-directory test-$$layer || status=1; \
	done; \
	./scripts/sum-results.sh $(R) $(LAYERS) || status=1; \
	exit $$status

test-build: $(B)/bin/lakeform $(BS)/bin/lakeform $(PROVIDER_BINS) $(PROVIDER_SAN_BINS) $(UNIT_BINS) $(B)/tests/run_suite $(B)/tests/yaml_suite $(B)/tests/schema_check $(B)/tests/mkstate $(B)/bin/lakeform-provider-sleepy fuzz-build

# test_session runs a front end of its own with the local providers
test-unit: $(UNIT_BINS) $(PROVIDER_SAN_BINS)
	@mkdir -p $(R)
	@./scripts/run-unit.sh $(R)/unit $(UNIT_BINS)

test-cli: $(BS)/bin/lakeform $(PROVIDER_SAN_BINS) $(B)/tests/mkstate $(B)/bin/lakeform-provider-sleepy $(B)/bin/lakeform $(PROVIDER_BINS) $(DOC_PRODUCTS)
	@mkdir -p $(R)
	@LAKEFORM=$(BS)/bin/lakeform ./tests/cli/run.sh $(R)/cli

test-providers: $(PROVIDER_SAN_BINS)
	@mkdir -p $(R)
	@LF_PROVIDER_DIR=$(BS)/bin ./tests/providers/local/run.sh > $(R)/providers.log 2>&1; rc=$$?; \
	 grep -v '^ok ' $(R)/providers.log | tail -n 20; grep -E '^[a-z0-9-]+: [0-9]+ passed' $(R)/providers.log | tail -n 1 > $(R)/providers; exit $$rc

# lakeform and the local providers built with ThreadSanitizer into
# build/tsan/: the providers layer and the default commands on a generated
# account, each failing on any race reported
TS = build/tsan
TSAN_BINS = $(TS)/bin/lakeform $(TS)/bin/lakeform-provider-local-storage $(TS)/bin/lakeform-provider-local-compute
test-tsan:
	@mkdir -p $(R)
	@$(MAKE) --no-print-directory B=$(TS) CFLAGS="-O1 -g -fsanitize=thread" $(TSAN_BINS) > $(R)/tsan-build.log 2>&1 || { tail -n 20 $(R)/tsan-build.log; echo "tsan: 0 passed, 1 failed" > $(R)/tsan; exit 1; }
	@./tests/tsan/run.sh $(TS)/bin > $(R)/tsan.log 2>&1; rc=$$?; \
	 grep -v '^ok ' $(R)/tsan.log | tail -n 20; grep -E '^[a-z0-9-]+: [0-9]+ passed' $(R)/tsan.log | tail -n 1 > $(R)/tsan; exit $$rc

# kill -9 of apply (lakeform or a provider) at CRASH_POINTS points of an
# apply that creates, updates and deletes; state, convergence and disk
# checked after each (docs/development.md, "The crash test")
test-integration: $(B)/bin/lakeform $(PROVIDER_BINS)
	@mkdir -p $(R)
	@./tests/integration/crash.sh $(B)/bin/lakeform > $(R)/integration.log 2>&1; rc=$$?; \
	 grep -v '^ok ' $(R)/integration.log | tail -n 25; grep -E '^crash: [0-9]+ passed' $(R)/integration.log | tail -n 1 > $(R)/integration; exit $$rc

# the plan of the changed documents alone against the full path, edit by
# edit, byte for byte (tests/integration/incr.sh, src/core/incr.h)
test-incr: $(BS)/bin/lakeform $(PROVIDER_SAN_BINS)
	@mkdir -p $(R)
	@./tests/integration/incr.sh $(BS)/bin/lakeform > $(R)/incr.log 2>&1; rc=$$?; \
	 grep -v '^ok ' $(R)/incr.log | tail -n 25; grep -E '^incr: [0-9]+ passed' $(R)/incr.log | tail -n 1 > $(R)/incr; exit $$rc

# real repositories made with the git CLI, read with --git (tests/integration/git)
test-git: $(B)/bin/lakeform $(PROVIDER_BINS)
	@mkdir -p $(R)
	@./tests/integration/git/run.sh $(B)/bin/lakeform > $(R)/git.log 2>&1; rc=$$?; \
	 grep -v '^ok ' $(R)/git.log | tail -n 25; grep -E '^git: [0-9]+ passed' $(R)/git.log | tail -n 1 > $(R)/git; exit $$rc

# the docker provider (sanitizer build) against a podman service the test
# starts (needs root, podman, runc, busybox-static: make deps)
test-docker: $(BS)/bin/lakeform $(PROVIDER_SAN_BINS)
	@mkdir -p $(R)
	@./tests/integration/docker/run.sh $(BS)/bin/lakeform > $(R)/docker.log 2>&1; rc=$$?; \
	 grep -v '^ok ' $(R)/docker.log | tail -n 25; grep -E '^[a-z0-9-]+: [0-9]+ passed' $(R)/docker.log | tail -n 1 > $(R)/docker; exit $$rc

# the docker provider (sanitizer build) against Docker's own engine, a
# private dockerd the test starts and stops (needs root, docker.io,
# busybox-static: make deps)
test-dockerd: $(BS)/bin/lakeform $(PROVIDER_SAN_BINS)
	@mkdir -p $(R)
	@./tests/integration/docker/dockerd.sh $(BS)/bin/lakeform > $(R)/dockerd.log 2>&1; rc=$$?; \
	 grep -v '^ok ' $(R)/dockerd.log | tail -n 25; grep -E '^[a-z0-9-]+: [0-9]+ passed' $(R)/dockerd.log | tail -n 1 > $(R)/dockerd; exit $$rc

# the s3 provider against a moto_server it starts, every effect checked
# with /usr/bin/aws (sanitizer builds: a leak or a bad access fails it)
test-s3: $(BS)/bin/lakeform $(BS)/bin/lakeform-provider-s3 $(BS)/bin/lakeform-provider-local-compute
	@mkdir -p $(R)
	@./tests/integration/s3/run.sh $(BS)/bin/lakeform > $(R)/s3.log 2>&1; rc=$$?; \
	 grep -v '^ok ' $(R)/s3.log | tail -n 25; grep -E '^[a-z0-9-]+: [0-9]+ passed' $(R)/s3.log | tail -n 1 > $(R)/s3; exit $$rc

# the s3 state backend against a moto_server it starts (locks, leases, races)
test-s3-backend: $(B)/bin/lakeform $(PROVIDER_BINS) $(B)/bin/lakeform-provider-sleepy
	@mkdir -p $(R)
	@./tests/integration/s3/backend.sh $(B)/bin/lakeform > $(R)/s3-backend.log 2>&1; rc=$$?; \
	 grep -v '^ok ' $(R)/s3-backend.log | tail -n 25; grep -E '^[a-z0-9-]+: [0-9]+ passed' $(R)/s3-backend.log | tail -n 1 > $(R)/s3-backend; exit $$rc

# the s3 provider and state backend on Ceph's radosgw, a cluster the test
# starts (one monitor, one memstore OSD: make deps installs them)
test-ceph: $(B)/bin/lakeform $(PROVIDER_BINS) $(B)/bin/lakeform-provider-sleepy
	@mkdir -p $(R)
	@./tests/integration/ceph/run.sh $(B)/bin/lakeform > $(R)/ceph.log 2>&1; rc=$$?; \
	 grep -v '^ok ' $(R)/ceph.log | tail -n 25; grep -E '^[a-z0-9-]+: [0-9]+ passed' $(R)/ceph.log | tail -n 1 > $(R)/ceph; exit $$rc

# the scim provider (identity family) on a SCIMMY server (npm, into
# build/scim-server), with /Bulk and without
test-scim: $(BS)/bin/lakeform $(PROVIDER_SAN_BINS)
	@mkdir -p $(R)
	@./tests/integration/scim/run.sh $(BS)/bin/lakeform > $(R)/scim.log 2>&1; rc=$$?; \
	 grep -v '^ok ' $(R)/scim.log | tail -n 25; grep -E '^[a-z0-9-]+: [0-9]+ passed' $(R)/scim.log | tail -n 1 > $(R)/scim; exit $$rc

# the s3 provider and state backend on s3rver (npm, into build/s3rver), a
# store without tagging and without conditional writes
test-s3rver: $(BS)/bin/lakeform $(PROVIDER_SAN_BINS)
	@mkdir -p $(R)
	@./tests/integration/s3rver/run.sh $(BS)/bin/lakeform > $(R)/s3rver.log 2>&1; rc=$$?; \
	 grep -v '^ok ' $(R)/s3rver.log | tail -n 25; grep -E '^[a-z0-9-]+: [0-9]+ passed' $(R)/s3rver.log | tail -n 1 > $(R)/s3rver; exit $$rc

# the SSO kind against npm's oidc-provider (into build/oidc), a real OpenID
# Provider the test starts on 127.0.0.1
test-oidc: $(BS)/bin/lakeform $(PROVIDER_SAN_BINS)
	@mkdir -p $(R)
	@./tests/integration/oidc/run.sh $(BS)/bin/lakeform > $(R)/oidc.log 2>&1; rc=$$?; \
	 grep -v '^ok ' $(R)/oidc.log | tail -n 25; grep -E '^[a-z0-9-]+: [0-9]+ passed' $(R)/oidc.log | tail -n 1 > $(R)/oidc; exit $$rc

# lakeform serve on the quickstart: its JSON API with curl, its pages in
# headless Chromium (puppeteer-core from npm, into build/puppeteer), tokens,
# drift on a schedule, the webhook, --heal, signals
test-serve: $(BS)/bin/lakeform $(PROVIDER_SAN_BINS)
	@mkdir -p $(R)
	@./tests/integration/serve/run.sh $(BS)/bin/lakeform > $(R)/serve.log 2>&1; rc=$$?; \
	 grep -v '^ok ' $(R)/serve.log | tail -n 25; grep -E '^[a-z0-9-]+: [0-9]+ passed' $(R)/serve.log | tail -n 1 > $(R)/serve; exit $$rc

test-yaml: $(B)/tests/yaml_suite $(B)/bin/lakeform
	@mkdir -p $(R)
	@$(B)/tests/yaml_suite $(B)/bin/lakeform tests/yaml-suite/data tests/yaml-suite/known-failures.txt | tee $(R)/yaml.log; \
	 grep -E '^[a-z0-9-]+: [0-9]+ passed' $(R)/yaml.log | tail -n 1 > $(R)/yaml; grep -q ' 0 failed' $(R)/yaml

test-schema: $(B)/tests/run_suite
	@mkdir -p $(R)
	@$(B)/tests/run_suite /usr/share/json-schema-test-suite/tests/draft7 | tee $(R)/schema.log; \
	 grep -E '^[a-z0-9-]+: [0-9]+ passed' $(R)/schema.log | tail -n 1 > $(R)/schema; grep -q ' 0 failed' $(R)/schema

test-ajv: $(B)/tests/schema_check $(B)/bin/lakeform
	@mkdir -p $(R)
	@LF_VALIDATOR="$(B)/tests/schema_check" LAKEFORM="$(B)/bin/lakeform" ./tests/schemas/ajv-check.sh | tee $(R)/ajv.log; \
	 grep -E '^[a-z0-9-]+: [0-9]+ passed' $(R)/ajv.log | tail -n 1 > $(R)/ajv; grep -q ' 0 failed' $(R)/ajv

# ---- fuzzing --------------------------------------------------------------
# tests/fuzz/fuzz_<name>.c, each a libFuzzer target (LLVMFuzzerTestOneInput),
# linked with the library built again by clang into build/fuzz/: coverage
# for libFuzzer, address and undefined-behaviour sanitizers that abort.
# Seeds in tests/fuzz/corpus/<name>/, crashers fixed since in
# tests/fuzz/regressions/<name>/ (docs/development.md, "Fuzzing").

FUZZ_CC      ?= clang
FUZZ_SAN      = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_CFLAGS  ?= -O1 -g
FUZZ_TARGETS ?= $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS     = $(patsubst %,$(FZ)/fuzz_%,$(FUZZ_TARGETS))
FUZZ_RUNS    ?= 4000
# fuzz_provider starts a process an input: about 150 inputs a second
FUZZ_RUNS_provider ?= 1000
FUZZ_SECONDS ?= 600

$(FZ)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

# where the targets find the schemas and their provider, unless told
$(FZ)/obj/tests/fuzz/%.o: ALL_CFLAGS += -DLF_FUZZ_SCHEMAS='"$(CURDIR)/schemas"' \
	-DLF_FUZZ_PROVIDER='"$(CURDIR)/$(FZ)/bin/lakeform-provider-fuzz"'

$(FZ)/liblakeform.a: $(call lib_objs,$(FZ))
	@rm -f $@
	ar rcs $@ $^

# kept: make would delete them as intermediates and compile them again
.SECONDARY: $(patsubst %,$(FZ)/obj/tests/fuzz/fuzz_%.o,$(FUZZ_TARGETS))

$(FZ)/fuzz_%: $(FZ)/obj/tests/fuzz/fuzz_%.o $(FZ)/liblakeform.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS) -lpthread -lm

# the provider fuzz_provider talks to: plain, it starts once per input
$(FZ)/bin/lakeform-provider-fuzz: tests/fuzz/provider.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O2 -o $@ $<

fuzz-build: $(FUZZ_BINS) $(FZ)/bin/lakeform-provider-fuzz

# every target for FUZZ_RUNS inputs from its seeds (the same inputs each
# time: -seed=1), after its regressions; a target is a check
test-fuzz: fuzz-build
	@mkdir -p $(R)
	@FUZZ_RUNS_provider=$(FUZZ_RUNS_provider) \
	 ./tests/fuzz/run.sh --runs $(FUZZ_RUNS) $(FZ) $(FUZZ_TARGETS) > $(R)/fuzz.log 2>&1; rc=$$?; \
	 grep -v '^ok ' $(R)/fuzz.log | tail -n 25; grep -E '^[a-z0-9-]+: [0-9]+ passed' $(R)/fuzz.log | tail -n 1 > $(R)/fuzz; exit $$rc

# the long run: FUZZ_SECONDS each, one after the other, the corpus kept in
# build/fuzz/corpus/<name>, crashers in build/fuzz/crashes/<name>
fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@./tests/fuzz/run.sh --seconds $(FUZZ_SECONDS) $(FZ) $(FUZZ_TARGETS)

# ---- demo, bench, lint ----------------------------------------------------

demo: deps
	@$(MAKE) --no-print-directory all
	@./scripts/demo.sh $(B)/bin/lakeform

bench: deps
	@$(MAKE) --no-print-directory all $(B)/bin/lakeform-provider-sleepy $(B)/tests/proto_bench $(B)/tests/mkstate
	@./tests/bench/bench.sh $(B)/bin/lakeform $(B)/tests/proto_bench
	@./tests/bench/serve-bench.sh $(B)/bin/lakeform $(B)/tests/mkstate

# lakeform serve on a 100,000-resource account: each page's time (under 200 ms)
bench-serve: $(B)/bin/lakeform $(B)/tests/mkstate
	@./tests/bench/serve-bench.sh $(B)/bin/lakeform $(B)/tests/mkstate

bench-docker: $(B)/bin/lakeform $(PROVIDER_BINS)
	@./tests/bench/docker-bench.sh $(B)/bin/lakeform

bench-scim: $(B)/bin/lakeform $(PROVIDER_BINS)
	@./tests/bench/scim-bench.sh $(B)/bin/lakeform

LINT_SRCS = $(LIB_SRCS) $(CLI_SRCS) $(wildcard src/*/*.h src/state/backends/*.h tests/unit/*.c tests/fuzz/*.c providers/*/*.c providers/*/*.h)

lint:
	@clang-format --dry-run -Werror $(LINT_SRCS)
	@if grep -nE '\b(strcpy|sprintf|strtok|atoi|system|gets)\s*\(' $(LINT_SRCS) $(wildcard providers/*/*.c) | \
		grep -vE '^[^:]+:[0-9]+:\s*(/\*|\*)'; then \
		echo "lint: banned call (use the lf_ helpers)"; exit 1; fi
	@echo "lint: ok"

# ---- install ------------------------------------------------------------

install: $(B)/bin/lakeform $(PROVIDER_BINS) $(DOC_PRODUCTS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/lakeform/schemas
	install -m 0755 $(B)/bin/lakeform $(DESTDIR)$(PREFIX)/bin/lakeform
	for p in $(PROVIDER_BINS); do install -m 0755 $$p $(DESTDIR)$(PREFIX)/bin/; done
	install -m 0644 schemas/*.json $(DESTDIR)$(PREFIX)/share/lakeform/schemas/
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	    $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	    $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 0644 $(B)/lakeform.1 $(DESTDIR)$(PREFIX)/share/man/man1/lakeform.1
	install -m 0644 $(B)/completion/lakeform.bash \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions/lakeform
	install -m 0644 $(B)/completion/_lakeform $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_lakeform
	install -m 0644 $(B)/completion/lakeform.fish \
	    $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/lakeform.fish

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/lakeform $(DESTDIR)$(PREFIX)/bin/lakeform-provider-*
	rm -rf $(DESTDIR)$(PREFIX)/share/lakeform
	rm -f $(DESTDIR)$(PREFIX)/share/man/man1/lakeform.1 \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions/lakeform \
	    $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_lakeform \
	    $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/lakeform.fish

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
