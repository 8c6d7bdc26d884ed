# parley: make builds build/parleyd, build/parley.fcgi and build/parley-admin.
#
#   make            build (warning-free under -Wall -Wextra)
#   make run        install missing packages, build, run parleyd on :8080
#   make check      install missing packages, build, run every test suite
#   make SAN=1 ...  the same with AddressSanitizer and UBSan (in build-san/)
#   make deps       install the Debian packages parley needs
#   make fuzz       libFuzzer harnesses, FUZZ_SECONDS each (tests/fuzz/fuzz.mk)
#   make soak       the long load run; make valgrind: HTTP tests under valgrind
#                   (tests/reliability.mk)
#   make clean

VERSION  := 0.1.0
PKGS     := fcgi libmicrohttpd jansson sqlite3 libsodium
CC       ?= cc
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Wshadow -Wno-unused-parameter \
            -D_GNU_SOURCE -DPARLEY_VERSION='"$(VERSION)"' -pthread
ifeq ($(SAN),1)
BUILD    := build-san
CFLAGS   += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
            -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
else
BUILD    := build
endif
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

API_SRC  := $(wildcard api/*.c)
DB_SRC   := $(filter-out db/admin.c,$(wildcard db/*.c))
CORE_OBJ := $(API_SRC:%.c=$(BUILD)/%.o) $(DB_SRC:%.c=$(BUILD)/%.o) \
            $(BUILD)/schema.o
HTTPD_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard httpd/*.c))
CGI_OBJ   := $(patsubst %.c,$(BUILD)/%.o,$(wildcard cgi/*.c))
ADMIN_OBJ := $(BUILD)/db/admin.o
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

BINS := $(BUILD)/parleyd $(BUILD)/parley.fcgi $(BUILD)/parley-admin

all: $(BINS)

$(BUILD)/%.o: %.c $(wildcard api/*.h db/*.h httpd/*.h cgi/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(BUILD)/schema.c: $(sort $(wildcard schema/*.sql)) schema/embed.sh
	@mkdir -p $(BUILD)
	sh schema/embed.sh $(sort $(wildcard schema/*.sql)) > $@

$(BUILD)/schema.o: $(BUILD)/schema.c
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/parleyd: $(HTTPD_OBJ) $(CORE_OBJ)
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(PKG_LIBS)

$(BUILD)/parley.fcgi: $(CGI_OBJ) $(CORE_OBJ)
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(PKG_LIBS)

$(BUILD)/parley-admin: $(ADMIN_OBJ) $(CORE_OBJ)
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $^ $(PKG_LIBS) \
	    $(shell pkg-config --libs cmocka) $(LDFLAGS)

unit: $(UNIT_BIN)

# --- the two commands of the README ---

deps:
	@sh tests/deps.sh

deps-test:
	@sh tests/deps.sh test

run: deps
	@$(MAKE) --no-print-directory all
	./$(BUILD)/parleyd --db $${PARLEY_DB:-parley.db} --www www

check: deps-test
	@$(MAKE) --no-print-directory all unit
	@$(MAKE) --no-print-directory SAN=1 all unit
	@$(MAKE) --no-print-directory fuzz-build
	/usr/bin/python3 tests/run.py

clean:
	rm -rf build build-san build-fuzz tests/http/__pycache__ .pytest_cache

.PHONY: all unit deps deps-test run check clean

include tests/fuzz/fuzz.mk
include tests/reliability.mk
