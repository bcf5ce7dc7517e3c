# Planyard. `make run` serves the app on a private database; `make check` runs every test.

CC      ?= cc
PKGS    := libmicrohttpd gnutls jansson libpq libcrypto libcurl libqrencode xlsxwriter
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcrypt -lcrack -lpthread

WARN    := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wvla -Wpointer-arith -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-unused-parameter
HARDEN  := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
CFLAGS_COMMON := -std=c11 -D_GNU_SOURCE $(WARN) $(PKG_CFLAGS) -Isrc -Ibuild/gen
CFLAGS  ?= -O2 -g
LDFLAGS_HARDEN := -pie -Wl,-z,relro,-z,now

SRC     := $(sort $(wildcard src/*.c src/api/*.c src/auth/*.c))
LIB_SRC := $(filter-out src/main.c,$(SRC))
# numbered migrations, then the re-applied functions set, then seed data (sql/schema.sql is the
# generated schema, not run)
SQL     := $(sort $(filter-out schema.sql,$(notdir $(wildcard sql/*.sql)))) \
           $(sort $(patsubst sql/%,%,$(wildcard sql/functions/*.sql))) \
           $(sort $(patsubst sql/%,%,$(wildcard sql/seed/*.sql)))
WEB     := $(sort $(patsubst web/%,%,$(shell find web -type f 2>/dev/null)))
GEN     := build/gen/embedded_sql.c build/gen/embedded_web.c

OBJ      := $(patsubst src/%.c,build/obj/%.o,$(SRC)) $(patsubst build/gen/%.c,build/obj/gen/%.o,$(GEN))
ASAN_OBJ := $(patsubst src/%.c,build/asan/obj/%.o,$(SRC)) $(patsubst build/gen/%.c,build/asan/obj/gen/%.o,$(GEN))
ASAN_CC    := clang
ASAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,build/asan/tests/%,$(UNIT_SRC))

.PHONY: all deps run check unit asan fuzz fuzz-long bench clean checksrc schema

all: build/planyard

deps:
	@bash scripts/deps.sh build

build/embed: tools/embed.c
	@mkdir -p build
	$(CC) -O1 -o $@ $<

build/gen/embedded_sql.c: build/embed $(addprefix sql/,$(SQL))
	@mkdir -p build/gen
	build/embed embedded_sql $@ sql $(SQL)

build/gen/embedded_web.c: build/embed $(addprefix web/,$(WEB))
	@mkdir -p build/gen
	build/embed embedded_web $@ web $(WEB)

build/obj/%.o: src/%.c $(wildcard src/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(HARDEN) $(CFLAGS) -c -o $@ $<

build/obj/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(HARDEN) $(CFLAGS) -c -o $@ $<

build/planyard: $(OBJ)
	$(CC) $(LDFLAGS_HARDEN) -o $@ $(OBJ) $(PKG_LIBS)

# The AddressSanitizer + UndefinedBehaviorSanitizer variant, built with clang (so clang's
# warnings are checked too); the test suites run against it.
build/asan/obj/%.o: src/%.c $(wildcard src/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	$(ASAN_CC) $(CFLAGS_COMMON) $(ASAN_FLAGS) -c -o $@ $<

build/asan/obj/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	$(ASAN_CC) $(CFLAGS_COMMON) $(ASAN_FLAGS) -c -o $@ $<

build/asan/planyard: $(ASAN_OBJ)
	$(ASAN_CC) $(ASAN_FLAGS) -o $@ $(ASAN_OBJ) $(PKG_LIBS)

asan: build/asan/planyard

build/asan/tests/%: tests/unit/%.c $(filter-out build/asan/obj/main.o,$(ASAN_OBJ))
	@mkdir -p $(dir $@)
	$(ASAN_CC) $(CFLAGS_COMMON) $(ASAN_FLAGS) -o $@ $< $(filter-out build/asan/obj/main.o,$(ASAN_OBJ)) \
		$(PKG_LIBS) -lcmocka

unit: $(UNIT_BIN)

# The fuzzer's objects carry coverage instrumentation (fuzzer-no-link), so libFuzzer is
# guided by the code under test and not only by the entry point.
FUZZ_OBJ   := $(patsubst build/asan/obj/%,build/fuzz/obj/%,$(filter-out build/asan/obj/main.o,$(ASAN_OBJ)))
FUZZ_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined

build/fuzz/obj/%.o: src/%.c $(wildcard src/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	clang $(CFLAGS_COMMON) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/obj/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	clang $(CFLAGS_COMMON) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

# One target per parser of client input (fuzz/fuzz_<name>.c), each with its corpus in
# fuzz/corpus/<name>/: request (route matching, headers, JSON validation), jwt, stripe,
# cursor, cells (CSV and spreadsheet cells).
FUZZ_TARGETS := request jwt stripe cursor cells
FUZZ_BINS    := $(patsubst %,build/fuzz/fuzz_%,$(FUZZ_TARGETS))

build/fuzz/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz.h $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	clang $(CFLAGS_COMMON) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS)

# make check replays every corpus (scripts/check.sh); make fuzz fuzzes each target for
# FUZZ_SECONDS; make fuzz-long for FUZZ_LONG_SECONDS (an hour) each, not in CI: what it
# finds is merged into fuzz/corpus/<name>/ (commit it), and build/fuzz/report.md gets the
# executions and coverage of every target.
FUZZ_SECONDS ?= 60
FUZZ_LONG_SECONDS ?= 3600
print-fuzz-targets:
	@echo $(FUZZ_TARGETS)

fuzz: $(FUZZ_BINS)
	@bash scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-long: $(FUZZ_BINS)
	@bash scripts/fuzz.sh $(FUZZ_LONG_SECONDS) $(FUZZ_TARGETS)

run:
	@bash scripts/deps.sh run
	@$(MAKE) --no-print-directory build/planyard
	build/planyard dev

check:
	@bash scripts/deps.sh check
	@bash scripts/check.sh

bench:
	@bash scripts/deps.sh check
	@bash bench/run.sh
	@bash bench/scale.sh

# sql/schema.sql regenerated from a freshly migrated database (make check compares it)
schema: build/planyard
	@bash scripts/schema.sh dump sql/schema.sql

checksrc:
	@bash scripts/checksrc.sh

clean:
	rm -rf build
