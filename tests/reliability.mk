# reliability.mk: the long forms of the reliability tests, included by the
# Makefile (docs/RELIABILITY.md has their figures).
#
#   make soak        tests/soak/soak.py: SOAK_SECONDS (1800) of SOAK_USERS
#                    (1000) pollers and SOAK_RATE (200) messages a second
#                    with reconnects, on SOAK_FRONT (parleyd)
#   make crash       tests/http/test_crash.py with CRASH_KILLS (10) SIGKILLs
#                    per front (20 in all), plain and ASan builds
#   make valgrind    HTTP tests against parleyd and parley.fcgi run under
#                    valgrind (--error-exitcode: a report fails the test)
#   make chaos       tests/unit/test_chaos.c with every allocation of every
#                    request failing in turn (CHAOS_STRIDE=1), both builds
#   make zzuf        tests/http/test_zzuf.py with ZZUF_CASES (5000) mutated
#                    requests per front, ASan build

SOAK_SECONDS ?= 1800
SOAK_USERS   ?= 1000
SOAK_RATE    ?= 200
SOAK_FRONT   ?= parleyd
CRASH_KILLS  ?= 10
ZZUF_CASES   ?= 5000
VALGRIND_TESTS ?= tests/http/test_service.py tests/http/test_messages.py \
                  tests/http/test_raw_http.py tests/http/test_events.py \
                  tests/http/test_chats.py tests/http/test_busy.py
VALGRIND     := valgrind -q --error-exitcode=99 --leak-check=full \
                --errors-for-leak-kinds=definite --track-fds=no

soak: all
	/usr/bin/python3 tests/soak/soak.py --seconds $(SOAK_SECONDS) \
	    --users $(SOAK_USERS) --rate $(SOAK_RATE) --front $(SOAK_FRONT)

crash: all
	@$(MAKE) --no-print-directory SAN=1 all
	PARLEY_CRASH_KILLS=$(CRASH_KILLS) /usr/bin/python3 -m pytest -q -s \
	    -p no:cacheprovider tests/http/test_crash.py
	PARLEY_CRASH_KILLS=$(CRASH_KILLS) PARLEY_BUILD=$(CURDIR)/build-san \
	    /usr/bin/python3 -m pytest -q -s -p no:cacheprovider \
	    tests/http/test_crash.py

valgrind: all
	PARLEY_WRAP="$(VALGRIND)" /usr/bin/python3 -m pytest -q \
	    -p no:cacheprovider $(VALGRIND_TESTS)

zzuf:
	@$(MAKE) --no-print-directory SAN=1 all
	ZZUF_CASES=$(ZZUF_CASES) PARLEY_BUILD=$(CURDIR)/build-san \
	    /usr/bin/python3 -m pytest -q -s -p no:cacheprovider \
	    tests/http/test_zzuf.py

chaos: unit
	@$(MAKE) --no-print-directory SAN=1 unit
	CHAOS_STRIDE=1 ./build/tests/test_chaos
	CHAOS_STRIDE=1 ./build-san/tests/test_chaos

.PHONY: soak crash valgrind zzuf chaos
