# parley: make builds build/parleyd, build/parley.fcgi and build/parley-admin.
#
#   make            build (warning-free under -Wall -Wextra)
#   make run        install missing packages, build, run parleyd on :8080
#   make check      install missing packages, build, run every test suite
#   make bench      the benchmark (docs/BENCHMARKS.md); make bench-quick: < 1 min
#   make SAN=1 ...  the same with AddressSanitizer and UBSan (in build-san/)
#   make deps       install the Debian packages parley needs
#   make install    install under $(DESTDIR)$(PREFIX) (PREFIX=/usr/local)
#   make uninstall  remove exactly what make install put there
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

$(BUILD)/tests/%: tests/unit/%.c $(CORE_OBJ) tests/inmem.h tests/tmpdir.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $(filter-out %.h,$^) $(PKG_LIBS) \
	    $(shell pkg-config --libs cmocka) $(LDFLAGS)

unit: $(UNIT_BIN)

# The benchmark's load generator and baselines (tests/bench/).
BENCH_BIN := $(BUILD)/bench/load $(BUILD)/bench/hello_mhd $(BUILD)/bench/hello_fcgi

$(BUILD)/bench/%: tests/bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $< $(PKG_LIBS) $(LDFLAGS)

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

bench: deps-bench
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	/usr/bin/python3 tests/bench/run.py

bench-quick: deps-bench
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	/usr/bin/python3 tests/bench/run.py --quick

deps-bench:
	@sh tests/deps.sh bench

clean:
	rm -rf build build-san build-fuzz tests/http/__pycache__ .pytest_cache

# --- install ---
#
# Programs to $(PREFIX)/sbin (they are daemons and an operator's command,
# manual section 8), the browser client to $(PREFIX)/share/parley/www, the
# manual pages, the nginx and Apache configurations (templates with
# placeholders) as examples under share/doc, and the systemd units with
# their paths made to match PREFIX. Nothing is written to /etc: copy an
# example there and fill it in. DESTDIR stages the whole tree elsewhere
# (for a package); "make uninstall" with the same PREFIX and DESTDIR
# removes the same files, and parley's own directories once empty.

PREFIX   ?= /usr/local
SBINDIR   = $(PREFIX)/sbin
WWWDIR    = $(PREFIX)/share/parley/www
MAN8DIR   = $(PREFIX)/share/man/man8
EXAMPLEDIR = $(PREFIX)/share/doc/parley/examples
UNITDIR   = $(PREFIX)/lib/systemd/system
WWW_FILES := $(shell find www -type f | sort)
MAN8      := docs/man/parleyd.8 docs/man/parley.fcgi.8 docs/man/parley-admin.8
EXAMPLES  := deploy/nginx.conf deploy/apache.conf
UNITS     := $(sort $(wildcard deploy/systemd/*.service deploy/systemd/*.socket \
               deploy/systemd/*.timer))

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MAN8DIR) \
	    $(DESTDIR)$(EXAMPLEDIR) $(DESTDIR)$(UNITDIR)
	install -m 755 $(BINS) $(DESTDIR)$(SBINDIR)/
	for f in $(WWW_FILES:www/%=%); do \
	    install -D -m 644 www/$$f $(DESTDIR)$(WWWDIR)/$$f || exit 1; done
	for m in $(MAN8); do \
	    sed 's,/usr/local/,$(PREFIX)/,g' $$m > \
	        $(DESTDIR)$(MAN8DIR)/$${m##*/} && \
	    chmod 644 $(DESTDIR)$(MAN8DIR)/$${m##*/} || exit 1; done
	install -m 644 $(EXAMPLES) $(DESTDIR)$(EXAMPLEDIR)/
	for u in $(UNITS); do \
	    sed 's,/usr/local/,$(PREFIX)/,g' $$u > \
	        $(DESTDIR)$(UNITDIR)/$${u##*/} && \
	    chmod 644 $(DESTDIR)$(UNITDIR)/$${u##*/} || exit 1; done

uninstall:
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(notdir $(BINS))) \
	    $(addprefix $(DESTDIR)$(WWWDIR)/,$(WWW_FILES:www/%=%)) \
	    $(addprefix $(DESTDIR)$(MAN8DIR)/,$(notdir $(MAN8))) \
	    $(addprefix $(DESTDIR)$(EXAMPLEDIR)/,$(notdir $(EXAMPLES))) \
	    $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(UNITS)))
	for d in $(DESTDIR)$(WWWDIR) $(DESTDIR)$(EXAMPLEDIR); do \
	    [ ! -d $$d ] || find $$d -depth -type d -empty -delete; done
	rmdir $(DESTDIR)$(PREFIX)/share/parley \
	    $(DESTDIR)$(PREFIX)/share/doc/parley 2>/dev/null || true

.PHONY: all unit deps deps-test deps-bench run check bench bench-quick clean \
    install uninstall

include tests/fuzz/fuzz.mk
include tests/reliability.mk
