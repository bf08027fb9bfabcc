# nbdscrub: the one build entry (SPEC section 2).
#
#   make              build the plugin and the man pages
#   make check        install what is missing, build, run every test
#   make serve        install what is missing, build, serve IMAGE (or a demo)
#   make install      PREFIX=/usr/local DESTDIR=
#   make bench        benchmarks (results go to docs/benchmarks.md by hand)
#
# Plain GNU make, no configure step: the dependencies are Debian 12's.

VERSION    := 0.1.0
CC         ?= cc
CFLAGS     ?= -O2 -g
WARNINGS   := -Wall -Wextra -Wshadow -Wstrict-prototypes \
              -Wmissing-prototypes -Wvla -Wformat=2 -Werror
CPPFLAGS   += -D_GNU_SOURCE -DNBDSCRUB_VERSION='"$(VERSION)"'
BASECFLAGS := -std=gnu11 -pthread -fPIC $(WARNINGS)
SANITIZE   := -fsanitize=address,undefined -fno-sanitize-recover=all \
              -fno-omit-frame-pointer

PREFIX     ?= /usr/local
DESTDIR    ?=
PLUGINDIR  := $(shell pkg-config --variable=plugindir nbdkit 2>/dev/null)
MANDIR     := $(PREFIX)/share/man

B          := build

PLUGIN_SO  := plugin/nbdkit-scrub-plugin.so
# plugin/ modules that do not use nbdkit: linked into the unit tests too.
PLUGIN_LIB := plugin/params.c plugin/errortag.c plugin/errclass.c \
              plugin/errseq.c plugin/statedir.c plugin/backing.c plugin/gate.c \
              plugin/snapshot.c plugin/scheduler.c plugin/sleeper.c
PLUGIN_SRC := $(PLUGIN_LIB) plugin/disconnect.c plugin/plugin.c

# fsformat/: the on-disk format, no I/O of its own (every .c is library).
FSF_SRC    := $(wildcard fsformat/*.c)

# scrub/: the nbdscrub command (and, later, the scrub engine).
CLI_BIN    := scrub/nbdscrub
CLI_SRC    := $(filter-out scrub/gen-problems.c,$(wildcard scrub/*.c))
# The engine: scrub/ without the command's own files.
SCRUB_LIB  := $(filter-out scrub/nbdscrub.c scrub/dump.c scrub/check.c \
                            scrub/image.c,$(CLI_SRC))

UNIT_SRC   := $(wildcard tests/unit/test-*.c)
UNIT_BIN   := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))

MANPAGES   := docs/nbdkit-scrub-plugin.1 docs/nbdscrub.1

.PHONY: all check unit-check integration-check serve install uninstall \
        bench deps clean fuzz
all: $(PLUGIN_SO) $(CLI_BIN) $(MANPAGES) docs/problems.md

deps:
	@scripts/install-deps.sh

# --- the plugin -----------------------------------------------------------

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(BASECFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# The plugin carries the scrub engine and the format decoders.
$(B)/plugin/%.o: CPPFLAGS += -Ifsformat -Iscrub

$(PLUGIN_SO): $(patsubst %.c,$(B)/%.o,$(PLUGIN_SRC) $(SCRUB_LIB) $(FSF_SRC)) \
              plugin/plugin.syms
	$(CC) $(BASECFLAGS) $(CFLAGS) -shared \
	  -Wl,--version-script=plugin/plugin.syms -o $@ \
	  $(filter %.o,$^) -ljansson -pthread

# --- the nbdscrub command ---------------------------------------------------

$(CLI_BIN): $(patsubst %.c,$(B)/%.o,$(CLI_SRC) $(FSF_SRC))
	$(CC) $(BASECFLAGS) $(CFLAGS) -o $@ $^ -ljansson -pthread

$(B)/scrub/%.o: CPPFLAGS += -Ifsformat

# docs/problems.md is generated from the catalogue.
$(B)/gen-problems: scrub/gen-problems.c scrub/problem.c scrub/problem.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(BASECFLAGS) -O0 -o $@ scrub/gen-problems.c \
	  scrub/problem.c

docs/problems.md: $(B)/gen-problems
	$(B)/gen-problems > $@.tmp && mv $@.tmp $@

# --- unit tests: CUnit, always under ASan and UBSan -----------------------

$(B)/san/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iplugin -Ifsformat -Iscrub $(BASECFLAGS) -O1 -g $(SANITIZE) \
	  -MMD -MP -c -o $@ $<

$(B)/tests/test-plugin-%: $(B)/san/tests/unit/test-plugin-%.o \
                          $(patsubst %.c,$(B)/san/%.o,$(PLUGIN_LIB) \
                                              $(SCRUB_LIB) $(FSF_SRC))
	@mkdir -p $(@D)
	$(CC) $(SANITIZE) -pthread -o $@ $^ -lcunit -ljansson

$(B)/tests/test-scrub-%: $(B)/san/tests/unit/test-scrub-%.o \
                         $(patsubst %.c,$(B)/san/%.o,$(SCRUB_LIB) $(FSF_SRC))
	@mkdir -p $(@D)
	$(CC) $(SANITIZE) -pthread -o $@ $^ -lcunit -ljansson

# The tests of the modules client threads share, again under
# ThreadSanitizer (the tsan runtime cannot share a binary with ASan):
# each links its own module and the gate its stress test drives.
TSAN_BIN := $(B)/tsan/test-plugin-gate $(B)/tsan/test-plugin-snapshot \
            $(B)/tsan/test-plugin-scheduler
# The scheduler runs the whole engine: built from every source it needs.
$(B)/tsan/test-plugin-scheduler: tests/unit/test-plugin-scheduler.c \
    plugin/scheduler.c plugin/snapshot.c plugin/gate.c plugin/statedir.c \
    plugin/sleeper.c \
    $(SCRUB_LIB) $(FSF_SRC) $(wildcard plugin/*.h scrub/*.h fsformat/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iplugin -Ifsformat -Iscrub $(BASECFLAGS) -O1 -g \
	  -fsanitize=thread -o $@ $(filter %.c,$^) -pthread -lcunit -ljansson
$(B)/tsan/test-plugin-%: tests/unit/test-plugin-%.c plugin/%.c plugin/%.h \
                         plugin/gate.c plugin/gate.h tests/unit/unit.h \
                         fsformat/source.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iplugin -Ifsformat $(BASECFLAGS) -O1 -g \
	  -fsanitize=thread -o $@ $(filter %.c,$^) -pthread -lcunit

# The command under ASan and UBSan, for the corruption corpus.
SAN_CLI := $(B)/san/nbdscrub
$(SAN_CLI): $(patsubst %.c,$(B)/san/%.o,$(CLI_SRC) $(FSF_SRC))
	$(CC) $(SANITIZE) -pthread -o $@ $^ -ljansson

$(B)/tests/test-fsformat-%: $(B)/san/tests/unit/test-fsformat-%.o \
                            $(patsubst %.c,$(B)/san/%.o,$(FSF_SRC))
	@mkdir -p $(@D)
	$(CC) $(SANITIZE) -pthread -o $@ $^ -lcunit

# --- fuzzing: libFuzzer with ASan and UBSan (clang) -----------------------

FUZZ_BIN     := $(B)/fuzz/fuzz-fsformat
FUZZ_SECONDS ?= 300

$(FUZZ_BIN): tests/fuzz/fuzz-fsformat.c $(FSF_SRC) $(wildcard fsformat/*.h)
	@mkdir -p $(@D)
	clang -std=gnu11 -D_GNU_SOURCE -Ifsformat -g -O1 \
	  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	  -o $@ tests/fuzz/fuzz-fsformat.c $(FSF_SRC) -pthread

# The whole engine: a full pass over each input.
FUZZ_SCRUB_BIN := $(B)/fuzz/fuzz-scrub
$(FUZZ_SCRUB_BIN): tests/fuzz/fuzz-scrub.c $(SCRUB_LIB) $(FSF_SRC) \
                   $(wildcard fsformat/*.h scrub/*.h)
	@mkdir -p $(@D)
	clang -std=gnu11 -D_GNU_SOURCE -Ifsformat -Iscrub -g -O1 \
	  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	  -o $@ tests/fuzz/fuzz-scrub.c $(SCRUB_LIB) $(FSF_SRC) -pthread \
	  -ljansson

fuzz: deps
	$(MAKE) $(FUZZ_BIN) $(FUZZ_SCRUB_BIN)
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run-fuzz.sh $(FUZZ_BIN)
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run-fuzz.sh $(FUZZ_SCRUB_BIN)

# --- man pages ------------------------------------------------------------

docs/%.1: docs/%.pod
	pod2man --section=1 --center=nbdscrub --release=$(VERSION) \
	  --name=$(shell echo $* | tr a-z A-Z) $< > $@.tmp && mv $@.tmp $@

# --- the two commands -----------------------------------------------------

check: deps
	$(MAKE) all $(UNIT_BIN) $(FUZZ_BIN) $(FUZZ_SCRUB_BIN) $(SAN_CLI) \
	  $(TSAN_BIN)
	tests/run-tests.sh $(UNIT_BIN) $(TSAN_BIN)

serve: deps
	$(MAKE) all
	scripts/serve.sh "$(IMAGE)" "$(PORT)"

bench: deps
	$(MAKE) all
	scripts/bench-fsformat.sh
	scripts/bench-serve.sh
	scripts/bench-check.sh
	scripts/bench-scrub.sh

$(B)/bench/bench-fsformat: tests/bench/bench-fsformat.c $(FSF_SRC)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Ifsformat $(BASECFLAGS) -O2 -g -o $@ $^ -pthread

install: all
	install -d $(DESTDIR)$(PLUGINDIR) $(DESTDIR)$(MANDIR)/man1 \
	  $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(PLUGIN_SO) $(DESTDIR)$(PLUGINDIR)/
	install -m 0755 $(CLI_BIN) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man1/

uninstall:
	rm -f $(DESTDIR)$(PLUGINDIR)/$(notdir $(PLUGIN_SO))
	rm -f $(DESTDIR)$(PREFIX)/bin/$(notdir $(CLI_BIN))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MANPAGES)))

clean:
	rm -rf $(B) $(PLUGIN_SO) $(CLI_BIN) $(MANPAGES)

.SECONDARY:

-include $(shell find $(B) -name '*.d' 2>/dev/null)
