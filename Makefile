# acme-dns toolkit: build, test, run and install (GNU make, pkg-config).
PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
BUILD   := build

PKGS    := libcurl ldns libevent libevent_pthreads libevent_openssl yaml-0.1 jansson sqlite3 openssl libcrypt liburcu liburcu-cds libpq
# Debian packages: libraries, then the real peers the tests run.
DEB_LIBS  := build-essential pkg-config libldns-dev libevent-dev libyaml-dev libjansson-dev libsqlite3-dev \
             libssl-dev libcurl4-openssl-dev libcmocka-dev libpq-dev liburcu-dev libcrypt-dev
DEB_PEERS := pebble lego bind9-dnsutils knot-dnsutils curl sqlite3 openssl ca-certificates procps iproute2 uacme time bind9 unbound jq knot pdns-server pdns-backend-sqlite3 faketime dnsperf nsd python3 postgresql
DEB_ALL   := $(DEB_LIBS) $(DEB_PEERS)

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -Wno-unused-parameter
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -pthread $(WARN) -Ilib -Ilib/acme -Isolvers -Iacme-dns $(PKG_CFLAGS) $(CFLAGS)
LDLIBS_ALL = $(PKG_LIBS) -pthread

# lib/, lib/acme/ and solvers/ go into one archive that both programs link; each program takes what it uses.
LIB_SRC  := $(wildcard lib/*.c lib/acme/*.c solvers/*.c)
DAEMON_SRC := $(filter-out acme-dns/main.c,$(wildcard acme-dns/*.c))
CLI_SRC  := $(wildcard cli/*.c)
HDRS     := $(wildcard lib/*.h lib/acme/*.h solvers/*.h acme-dns/*.h cli/*.h)

LIB_A      = $(BUILD)/libadns.a
ASAN_LIB_A = $(BUILD)/asan/libadns.a
OBJ      = $(patsubst %.c,$(BUILD)/%.o,$(DAEMON_SRC))
ASAN_OBJ = $(patsubst %.c,$(BUILD)/asan/%.o,$(DAEMON_SRC))
CLI_OBJ  = $(patsubst %.c,$(BUILD)/%.o,$(CLI_SRC))
ASAN_CLI_OBJ = $(patsubst %.c,$(BUILD)/asan/%.o,$(CLI_SRC))
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/asan/tests/%,$(UNIT_SRC))
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_REPLAY := $(patsubst tests/fuzz/%.c,$(BUILD)/asan/tests/%-replay,$(FUZZ_SRC))
TOOLS    := $(patsubst tests/tools/%.c,$(BUILD)/tests/%,$(wildcard tests/tools/*.c))

.PHONY: all deps check unit integration run demo bench-issue install clean fuzz-replay fuzz valgrind
PROGRAMS = $(BUILD)/acme-dnsd $(if $(CLI_SRC),$(BUILD)/acme-dns-cli)
ASAN_PROGRAMS = $(BUILD)/asan/acme-dnsd $(if $(CLI_SRC),$(BUILD)/asan/acme-dns-cli)
all: $(PROGRAMS)

# Installs only what is missing; quick and silent when everything is there.
deps:
	@missing=""; for p in $(DEB_ALL); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null && \
	  echo "make deps: done"; \
	else echo "make deps: all Debian packages present"; fi

$(BUILD)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/asan/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O1 $(SAN) -c -o $@ $<

$(LIB_A): $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(ASAN_LIB_A): $(patsubst %.c,$(BUILD)/asan/%.o,$(LIB_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/acme-dnsd: $(OBJ) $(BUILD)/acme-dns/main.o $(LIB_A)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/acme-dns-cli: $(CLI_OBJ) $(LIB_A)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_ALL)

# The sanitizer builds of the programs, which the integration tests run.
$(BUILD)/asan/acme-dnsd: $(ASAN_OBJ) $(BUILD)/asan/acme-dns/main.o $(ASAN_LIB_A)
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/asan/acme-dns-cli: $(ASAN_CLI_OBJ) $(ASAN_LIB_A)
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $^ $(LDLIBS_ALL)

# Unit tests link the daemon's modules, the cli's modules but its main, and the library.
ASAN_TEST_OBJ = $(ASAN_OBJ) $(filter-out $(BUILD)/asan/cli/main.o,$(ASAN_CLI_OBJ))
$(BUILD)/asan/tests/test_%: tests/unit/test_%.c $(ASAN_TEST_OBJ) $(ASAN_LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O1 $(SAN) -o $@ $^ $(LDLIBS_ALL) -lcmocka

$(BUILD)/asan/tests/fuzz_%-replay: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(ASAN_TEST_OBJ) $(ASAN_LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O1 $(SAN) -o $@ $^ $(LDLIBS_ALL)

# Small programs the integration tests use (raw DNS messages and the like).
$(BUILD)/tests/%: tests/tools/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -o $@ $<

check: deps
	@$(MAKE) --no-print-directory $(PROGRAMS) $(ASAN_PROGRAMS) $(UNIT_BIN) $(FUZZ_REPLAY) $(TOOLS)
	@tests/run.sh $(BUILD)

unit: $(UNIT_BIN)
	@tests/run.sh $(BUILD) unit

RUN_DNS_PORT ?= 15353
RUN_API_PORT ?= 18053
run: deps
	@$(MAKE) --no-print-directory $(BUILD)/acme-dnsd
	@mkdir -p $(BUILD)/run
	@sed -e 's/@DNS_PORT@/$(RUN_DNS_PORT)/g' -e 's/@API_PORT@/$(RUN_API_PORT)/g' -e 's|@STATE@|$(CURDIR)/$(BUILD)/run|g' \
	     -e 's|@ZONES@|$(CURDIR)/zones|g' acme-dns/run.yaml.in > $(BUILD)/run/acme-dnsd.yaml
	$(BUILD)/acme-dnsd -c $(BUILD)/run/acme-dnsd.yaml

# The main job: a wildcard certificate issued end to end on loopback (pebble + acme-dnsd + acme-dns-cli).
demo: deps
	@$(MAKE) --no-print-directory $(BUILD)/acme-dnsd $(BUILD)/acme-dns-cli
	@demo/demo.sh $(BUILD)

# acme-dns-cli against uacme and lego on the same order; prints medians and ratios (bench/README.md).
bench-issue: deps
	@$(MAKE) --no-print-directory $(BUILD)/acme-dnsd $(BUILD)/acme-dns-cli
	@bench/issue.sh $(BUILD)

install: $(PROGRAMS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/acme-dns-toolkit
	install -m 0755 $(BUILD)/acme-dnsd $(DESTDIR)$(PREFIX)/sbin/acme-dnsd
	$(if $(CLI_SRC),install -m 0755 $(BUILD)/acme-dns-cli $(DESTDIR)$(PREFIX)/bin/acme-dns-cli)
	install -m 0644 acme-dns/acme-dnsd.yaml.example $(DESTDIR)$(PREFIX)/share/acme-dns-toolkit/acme-dnsd.yaml.example

# libFuzzer (clang) over every target of tests/fuzz/ for FUZZ_SECONDS each, starting from its saved inputs. New
# inputs go to $(BUILD)/fuzz/corpus/TARGET; a crash is saved as $(BUILD)/fuzz/crash-TARGET-*: copy it into
# tests/fuzz/corpus/TARGET/ with the fix, and `make check` replays it from then on.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS   = -std=c11 -D_GNU_SOURCE -pthread -Wall -Wextra -Wno-unused-parameter -Ilib -Ilib/acme -Isolvers \
		-Iacme-dns $(PKG_CFLAGS) -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined
FUZZ_OBJ      = $(patsubst %.c,$(BUILD)/fuzz/%.o,$(LIB_SRC) $(DAEMON_SRC) $(filter-out cli/main.c,$(CLI_SRC)))
FUZZ_BIN      = $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
.SECONDARY: $(FUZZ_OBJ)
$(BUILD)/fuzz/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS_ALL)
fuzz: deps
	@command -v $(FUZZ_CC) >/dev/null || { SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq clang >/dev/null; }
	@$(MAKE) --no-print-directory $(FUZZ_BIN)
	@failed=""; for b in $(FUZZ_BIN); do t=$${b##*/fuzz_}; mkdir -p $(BUILD)/fuzz/corpus/$$t; \
	  echo "== fuzz $$t for $(FUZZ_SECONDS) s"; \
	  ADNS_FUZZ_ZONES=tests/unit/data/zones $$b -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=4096 \
	    -artifact_prefix=$(BUILD)/fuzz/crash-$$t- -print_final_stats=1 $(BUILD)/fuzz/corpus/$$t tests/fuzz/corpus/$$t \
	    2>$(BUILD)/fuzz/$$t.log || failed="$$failed $$t"; \
	  grep -E "^stat::number_of_executed_units|^stat::peak_rss|Done [0-9]+ runs|ERROR:" $(BUILD)/fuzz/$$t.log | tail -3; \
	done; \
	if [ -n "$$failed" ]; then echo "make fuzz: crashes in:$$failed (see $(BUILD)/fuzz/*.log, $(BUILD)/fuzz/crash-*)"; exit 1; fi; \
	echo "make fuzz: no crash"

# The integration suite with acme-dnsd and acme-dns-cli (release builds) under valgrind memcheck: any memory
# error or definite/indirect leak fails the test that ran the program (lib.sh sanitizer_report). Slow.
VALGRIND = valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
	   --show-leak-kinds=definite,indirect --track-fds=no --child-silent-after-fork=yes
valgrind: deps
	@command -v valgrind >/dev/null || { SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq valgrind >/dev/null; }
	@$(MAKE) --no-print-directory $(PROGRAMS) $(TOOLS)
	@mkdir -p $(BUILD)/valgrind
	@for p in acme-dnsd acme-dns-cli; do \
	  printf '#!/bin/sh\nexec $(VALGRIND) $(CURDIR)/$(BUILD)/%s "$$@"\n' $$p >$(BUILD)/valgrind/$$p; \
	  chmod +x $(BUILD)/valgrind/$$p; done
	@ADNSD=$(CURDIR)/$(BUILD)/valgrind/acme-dnsd ACME_CLI=$(CURDIR)/$(BUILD)/valgrind/acme-dns-cli \
	  ADNS_VALGRIND=1 tests/run.sh $(BUILD) integration $(VALGRIND_TESTS)

clean:
	rm -rf $(BUILD)
