# fuzz.mk: libFuzzer harnesses (tests/fuzz/fuzz_*.c), included by the Makefile.
#
#   make fuzz-build          build/fuzz: the harnesses, clang with
#                            -fsanitize=fuzzer,address,undefined
#   make fuzz                run each harness FUZZ_SECONDS (default 300) from
#                            its seeds; corpus kept in build-fuzz/corpus/,
#                            logs and a summary in tests/out/fuzz-*.log
#   make fuzz-smoke          each harness over its seeds and FUZZ_SMOKE_SECONDS
#                            (default 4) more: what `make check` runs (through
#                            tests/run.py's "fuzz" suite)
# A crash leaves its input as tests/out/crash-*; replay it with
#   build-fuzz/fuzz_request tests/out/crash-...

FUZZ_CC      ?= clang
FUZZ_BUILD   := build-fuzz
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 4
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  := -O1 -g -fno-omit-frame-pointer -std=gnu11 -D_GNU_SOURCE \
                -DPARLEY_VERSION='"$(VERSION)"' -pthread $(FUZZ_SAN)
FUZZ_NAMES   := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/%)
FUZZ_CORE    := $(API_SRC:%.c=$(FUZZ_BUILD)/%.o) \
                $(DB_SRC:%.c=$(FUZZ_BUILD)/%.o) $(FUZZ_BUILD)/schema.o

$(FUZZ_BUILD)/%.o: %.c $(wildcard api/*.h db/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/schema.c: $(sort $(wildcard schema/*.sql)) schema/embed.sh
	@mkdir -p $(FUZZ_BUILD)
	sh schema/embed.sh $(sort $(wildcard schema/*.sql)) > $@

$(FUZZ_BUILD)/schema.o: $(FUZZ_BUILD)/schema.c
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_CORE) tests/inmem.h
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -o $@ \
	    $(filter-out %.h,$^) \
	    $(PKG_LIBS)

.SECONDARY: $(FUZZ_CORE) $(FUZZ_BUILD)/schema.c

fuzz-build: $(FUZZ_BINS)

# One harness for FUZZ_SECONDS, from its seeds and the corpus kept so far.
fuzz-run-%: $(FUZZ_BUILD)/fuzz_%
	@mkdir -p $(FUZZ_BUILD)/corpus/$* tests/out
	@dict=; [ -f tests/fuzz/$*.dict ] && dict=-dict=tests/fuzz/$*.dict; \
	echo "fuzz_$*: $(FUZZ_SECONDS) s"; \
	./$(FUZZ_BUILD)/fuzz_$* $$dict -max_total_time=$(FUZZ_SECONDS) \
	    -print_final_stats=1 -rss_limit_mb=2048 -timeout=10 \
	    -artifact_prefix=tests/out/ $(FUZZ_BUILD)/corpus/$* \
	    tests/fuzz/seeds/$* > tests/out/fuzz-$*.log 2>&1; \
	rc=$$?; grep -E '^stat::(number_of_executed_units|peak_rss_mb)' \
	    tests/out/fuzz-$*.log; tail -1 tests/out/fuzz-$*.log; \
	exit $$rc

fuzz: $(FUZZ_NAMES:fuzz_%=fuzz-run-%)

fuzz-smoke: fuzz-build
	FUZZ_SMOKE_SECONDS=$(FUZZ_SMOKE_SECONDS) /usr/bin/python3 tests/run.py fuzz

.PHONY: fuzz-build fuzz fuzz-smoke
