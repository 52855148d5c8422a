# memlog build. `make` builds the programs into build/; `make check` runs
# every test (installing what it needs on Debian); `make demo` shows it work.
CC ?= cc
BUILD ?= build
CFLAGS ?= -O2 -g
# The project's own flags stay even when CFLAGS is given on the command line
# (the sanitizer and musl builds do that).
override CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	  -Wmissing-prototypes -Wno-unused-parameter -D_GNU_SOURCE -Isrc/lib
LDFLAGS ?=
PKG_CONFIG ?= pkg-config
JANSSON_CFLAGS := $(shell $(PKG_CONFIG) --cflags jansson 2>/dev/null)
JANSSON_LIBS := $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null || echo -ljansson)
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)
ZLIB_CFLAGS := $(shell $(PKG_CONFIG) --cflags zlib 2>/dev/null)
ZLIB_LIBS := $(shell $(PKG_CONFIG) --libs zlib 2>/dev/null || echo -lz)
CRYPTO_LIBS := $(shell $(PKG_CONFIG) --libs libcrypto 2>/dev/null || echo -lcrypto)
SSL_CFLAGS := $(shell $(PKG_CONFIG) --cflags openssl 2>/dev/null)
SSL_LIBS := $(shell $(PKG_CONFIG) --libs openssl 2>/dev/null || echo -lssl -lcrypto)
RELP_CFLAGS := $(shell $(PKG_CONFIG) --cflags relp 2>/dev/null)
RELP_LIBS := $(shell $(PKG_CONFIG) --libs relp 2>/dev/null || echo -lrelp)
ARCHIVE_CFLAGS := $(shell $(PKG_CONFIG) --cflags libarchive 2>/dev/null)
ARCHIVE_LIBS := $(shell $(PKG_CONFIG) --libs libarchive 2>/dev/null || echo -larchive)
# logread: its --bundle writes a tar archive (libarchive); the log file
# names it shares with logwrite hash long names (libcrypto).
LOGREAD_LIBS := $(JANSSON_LIBS) $(ARCHIVE_LIBS) $(CRYPTO_LIBS)

LIB_SRC := $(wildcard src/lib/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
# Code shared by the clients (logread, logwrite) that uses jansson: kept
# out of libmemlog, which memlogd links and which stays libc-only.
CLIENT_SRC := $(wildcard src/client/*.c)
CLIENT_OBJ := $(CLIENT_SRC:%.c=$(BUILD)/%.o)
MEMLOGD_SRC := $(wildcard src/memlogd/*.c)
MEMLOGD_OBJ := $(MEMLOGD_SRC:%.c=$(BUILD)/%.o)
LOGREAD_SRC := $(wildcard src/logread/*.c)
LOGREAD_OBJ := $(LOGREAD_SRC:%.c=$(BUILD)/%.o)
RUN_SRC := $(wildcard src/memlog-run/*.c)
RUN_OBJ := $(RUN_SRC:%.c=$(BUILD)/%.o)
KMSG_SRC := $(wildcard src/memlog-kmsg/*.c)
KMSG_OBJ := $(KMSG_SRC:%.c=$(BUILD)/%.o)
RUNC_SRC := $(wildcard src/memlog-runc/*.c)
RUNC_OBJ := $(RUNC_SRC:%.c=$(BUILD)/%.o)
RUNC_MODS := $(filter-out $(BUILD)/src/memlog-runc/main.o,$(RUNC_OBJ))
LOGWRITE_SRC := $(wildcard src/logwrite/*.c)
LOGWRITE_OBJ := $(LOGWRITE_SRC:%.c=$(BUILD)/%.o)
LOGWRITE_MODS := $(filter-out $(BUILD)/src/logwrite/main.o,$(LOGWRITE_OBJ))
FORWARD_SRC := $(wildcard src/memlog-forward/*.c)
FORWARD_OBJ := $(FORWARD_SRC:%.c=$(BUILD)/%.o)
FORWARD_MODS := $(filter-out $(BUILD)/src/memlog-forward/main.o,$(FORWARD_OBJ))
FORWARD_LIBS := $(RELP_LIBS) $(SSL_LIBS) $(JANSSON_LIBS)
FDHOLDER_SRC := $(wildcard src/memlog-fdholder/*.c)
FDHOLDER_OBJ := $(FDHOLDER_SRC:%.c=$(BUILD)/%.o)
FDHOLDER_MODS := $(filter-out $(BUILD)/src/memlog-fdholder/main.o,$(FDHOLDER_OBJ))

PROGS := $(BUILD)/memlogd $(BUILD)/logread $(BUILD)/memlog-run $(BUILD)/memlog-kmsg \
	 $(BUILD)/memlog-runc $(BUILD)/memlog-fdholder \
	 $(BUILD)/logwrite $(BUILD)/memlog-forward

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)
ITEST_SRC := $(wildcard tests/integration/itest_*.c)
ITEST_BIN := $(ITEST_SRC:tests/integration/%.c=$(BUILD)/itests/%)
HARNESS_SRC := $(filter-out $(ITEST_SRC),$(wildcard tests/integration/*.c))
HARNESS_OBJ := $(HARNESS_SRC:tests/integration/%.c=$(BUILD)/itests/harness/%.o)

.PHONY: all clean check demo tests bench fuzz static deps install install-strip uninstall deb check-deb \
	linuxkit-pkg
all: $(PROGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/src/logread/%.o: src/logread/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(JANSSON_CFLAGS) $(ARCHIVE_CFLAGS) -Isrc/client -MMD -MP -c $< -o $@

$(BUILD)/src/client/%.o: src/client/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(JANSSON_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libmemlog-client.a: $(CLIENT_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/libmemlog.a: $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

# memlogd starts first at boot and needs nothing but libc: link it static
# (also smaller in memory: no shared libc pages). The sanitizer build, which
# cannot link static, sets MEMLOGD_LDFLAGS= .
MEMLOGD_LDFLAGS ?= -static
$(BUILD)/memlogd: $(MEMLOGD_OBJ) $(BUILD)/libmemlog.a
	$(CC) $(CFLAGS) $(LDFLAGS) $(MEMLOGD_LDFLAGS) -o $@ $^

# The fd holder keeps memlogd's fds across its restarts: libc only and
# static for the same reasons as memlogd (and a small RSS).
$(BUILD)/memlog-fdholder: $(FDHOLDER_OBJ) $(BUILD)/libmemlog.a
	$(CC) $(CFLAGS) $(LDFLAGS) $(MEMLOGD_LDFLAGS) -o $@ $^

$(BUILD)/logread: $(LOGREAD_OBJ) $(BUILD)/libmemlog-client.a $(BUILD)/libmemlog.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LOGREAD_LIBS)

$(BUILD)/memlog-run: $(RUN_OBJ) $(BUILD)/libmemlog.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

$(BUILD)/memlog-kmsg: $(KMSG_OBJ) $(BUILD)/libmemlog.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

$(BUILD)/src/memlog-runc/%.o: src/memlog-runc/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(JANSSON_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/memlog-runc: $(RUNC_OBJ) $(BUILD)/libmemlog.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(JANSSON_LIBS)

$(BUILD)/src/logwrite/%.o: src/logwrite/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(JANSSON_CFLAGS) $(ZLIB_CFLAGS) -Isrc/client -MMD -MP -c $< -o $@

$(BUILD)/logwrite: $(LOGWRITE_OBJ) $(BUILD)/libmemlog-client.a $(BUILD)/libmemlog.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(JANSSON_LIBS) $(ZLIB_LIBS) $(CRYPTO_LIBS)

$(BUILD)/src/memlog-forward/%.o: src/memlog-forward/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(JANSSON_CFLAGS) $(SSL_CFLAGS) $(RELP_CFLAGS) -Isrc/client -MMD -MP -c $< -o $@

$(BUILD)/memlog-forward: $(FORWARD_OBJ) $(BUILD)/libmemlog-client.a $(BUILD)/libmemlog.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(FORWARD_LIBS)

# Unit tests link the library and, where they test a daemon module, its
# objects (all but main.o).
MEMLOGD_MODS := $(filter-out $(BUILD)/src/memlogd/main.o,$(MEMLOGD_OBJ))
$(BUILD)/tests/%: tests/unit/%.c $(MEMLOGD_MODS) $(BUILD)/libmemlog.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc/memlogd -o $@ $^ $(CMOCKA_LIBS)

# Unit tests of memlogd's loop-driven modules (test_memlogd_*) run them in
# pieces (tests/unit/memlogd_fx.h) and make epoll refuse on demand: every
# loop_watch/loop_rewatch call goes through the fixture's wrappers.
MEMLOGD_FX_OBJ := $(BUILD)/tests/memlogd_fx.o
$(MEMLOGD_FX_OBJ): tests/unit/memlogd_fx.c tests/unit/memlogd_fx.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc/memlogd -MMD -MP -c $< -o $@

$(BUILD)/tests/test_memlogd_%: tests/unit/test_memlogd_%.c $(MEMLOGD_FX_OBJ) $(MEMLOGD_MODS) $(BUILD)/libmemlog.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -Isrc/memlogd -Itests/unit -o $@ $^ \
		-Wl,--wrap=loop_watch,--wrap=loop_rewatch $(CMOCKA_LIBS)

# logwrite's unit tests link its modules (all but main.o) and libraries.
$(BUILD)/tests/test_logwrite_%: tests/unit/test_logwrite_%.c $(LOGWRITE_MODS) $(BUILD)/libmemlog-client.a $(BUILD)/libmemlog.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(JANSSON_CFLAGS) $(ZLIB_CFLAGS) -Isrc/logwrite -Isrc/client -o $@ $^ $(JANSSON_LIBS) $(ZLIB_LIBS) $(CRYPTO_LIBS) $(CMOCKA_LIBS)

# memlog-forward's unit tests link its modules (all but main.o).
$(BUILD)/tests/test_forward_%: tests/unit/test_forward_%.c $(FORWARD_MODS) $(BUILD)/libmemlog-client.a $(BUILD)/libmemlog.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(JANSSON_CFLAGS) $(SSL_CFLAGS) $(RELP_CFLAGS) -Isrc/memlog-forward -Isrc/client -o $@ $^ $(FORWARD_LIBS) $(CMOCKA_LIBS)

# logread's unit tests link its modules (all but main.o).
LOGREAD_MODS := $(filter-out $(BUILD)/src/logread/main.o,$(LOGREAD_OBJ))
$(BUILD)/tests/test_logread_%: tests/unit/test_logread_%.c $(LOGREAD_MODS) $(BUILD)/libmemlog-client.a $(BUILD)/libmemlog.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(JANSSON_CFLAGS) $(ARCHIVE_CFLAGS) -Isrc/logread -Isrc/client -o $@ $^ $(LOGREAD_LIBS) $(CMOCKA_LIBS)

# src/client's unit test links the client library; its send() goes through
# the test's wrapper (a server that refuses before the request is sent).
$(BUILD)/tests/test_client: tests/unit/test_client.c $(BUILD)/libmemlog-client.a $(BUILD)/libmemlog.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $(JANSSON_CFLAGS) -Isrc/client -o $@ $^ -Wl,--wrap=send $(JANSSON_LIBS) $(CMOCKA_LIBS)

# The option parsers of memlog-run and memlog-kmsg, each in its options.o.
$(BUILD)/tests/test_run_options: tests/unit/test_run_options.c $(BUILD)/src/memlog-run/options.o $(BUILD)/libmemlog.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc/memlog-run -o $@ $^ $(CMOCKA_LIBS)

$(BUILD)/tests/test_kmsg_options: tests/unit/test_kmsg_options.c $(BUILD)/src/memlog-kmsg/options.o $(BUILD)/libmemlog.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc/memlog-kmsg -o $@ $^ $(CMOCKA_LIBS)

# memlog-runc's unit tests link its modules (all but main.o).
$(BUILD)/tests/test_runc_%: tests/unit/test_runc_%.c $(RUNC_MODS) $(BUILD)/libmemlog.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(JANSSON_CFLAGS) -Isrc/memlog-runc -o $@ $^ $(JANSSON_LIBS) $(CMOCKA_LIBS)

# The holder's unit tests (wire format and table) link its modules.
$(BUILD)/tests/test_fdhold: tests/unit/test_fdhold.c $(FDHOLDER_MODS) $(BUILD)/libmemlog.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc/memlog-fdholder -o $@ $^ $(CMOCKA_LIBS)

$(BUILD)/tools/%: tests/tools/%.c $(BUILD)/libmemlog.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^

# Integration tests drive the built programs (found through $$MEMLOG_BUILD)
# over real sockets; they parse the daemon's JSON with jansson. The harness
# (harness.c, rt_engine.c) is built once, as a library they all link.
ITEST_CFLAGS = $(JANSSON_CFLAGS) $(ZLIB_CFLAGS) -Itests/integration
$(BUILD)/itests/harness/%.o: tests/integration/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ITEST_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/itests/libharness.a: $(HARNESS_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/itests/%: tests/integration/%.c $(wildcard tests/integration/*.h) $(BUILD)/itests/libharness.a $(BUILD)/libmemlog.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ITEST_CFLAGS) -o $@ $< $(BUILD)/itests/libharness.a $(BUILD)/libmemlog.a $(JANSSON_LIBS) $(ZLIB_LIBS) $(CMOCKA_LIBS)

tests: $(PROGS) $(UNIT_BIN) $(TOOL_BIN) $(ITEST_BIN)

check: deps
	scripts/check

deps:
	scripts/deps

demo: deps all
	scripts/demo

bench:
	scripts/bench

clean:
	rm -rf build build-*

# `make static`: the programs that need libc only, linked statically with
# musl and stripped, into build-static/ (STATIC_BUILD), for minimal images
# (the LinuxKit package) and hosts without a usable libc: -Os, unused
# functions dropped, no unwind tables (C needs none). MUSL_CC is musl-gcc on
# glibc systems (Debian: musl-tools), cc on a musl one (Alpine). Sizes:
# README.md; scripts/check-static checks them.
STATIC_BUILD ?= build-static
STATIC_PROGS := memlogd memlog-fdholder memlog-init memlog-run memlog-kmsg
MUSL_CC ?= musl-gcc
STATIC_CFLAGS ?= -Os -ffunction-sections -fdata-sections \
		 -fno-asynchronous-unwind-tables -fno-unwind-tables
STATIC_LDFLAGS ?= -static -s -Wl,--gc-sections -Wl,-z,noseparate-code

static:
	$(MAKE) BUILD=$(STATIC_BUILD) CC=$(MUSL_CC) CFLAGS="$(STATIC_CFLAGS)" \
		LDFLAGS="$(STATIC_LDFLAGS)" MEMLOGD_LDFLAGS= \
		$(addprefix $(STATIC_BUILD)/,$(STATIC_PROGS))

# `make deb`: the Debian packages (debian/), built with dpkg-buildpackage
# in a copy of the tree under DEB_DIR, which also receives the .deb files
# (dpkg-buildpackage writes them next to the tree it builds). Build
# dependencies: debian/control; scripts/check-deb tests the packages.
DEB_DIR ?= build-deb-pkg

deb:
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/memlog
	tar -cf - --exclude=./.git --exclude='./build' --exclude='./build-*' \
		--exclude='./$(LK_PKG)/memlog.tar*' . | \
		tar -xf - -C $(DEB_DIR)/memlog
	cd $(DEB_DIR)/memlog && dpkg-buildpackage -b -us -uc -j2
	ls $(DEB_DIR)/*.deb

# Builds the packages, runs lintian, installs them into a clean root and
# tests the installed programs, then boots them with systemd (root; several
# minutes: not in make check, a CI step of its own).
check-deb: deps
	scripts/check-deb

# `make linuxkit-pkg`: memlog's source as the build context of the
# LinuxKit package (dist/linuxkit/pkg/memlogd/memlog.tar), for
# `linuxkit pkg build`. scripts/check-linuxkit tests the package offline.
LK_PKG := dist/linuxkit/pkg/memlogd

linuxkit-pkg:
	tar -cf $(LK_PKG)/memlog.tar.tmp --exclude=./.git --exclude='./build' \
		--exclude='./build-*' --exclude='./$(LK_PKG)/memlog.tar*' .
	mv $(LK_PKG)/memlog.tar.tmp $(LK_PKG)/memlog.tar

# `make install` (PREFIX, DESTDIR, BINDIR, SBINDIR, MANDIR, UNITDIR,
# SYSUSERSDIR, TMPFILESDIR, BASHCOMPDIR, EXAMPLEDIR): the daemons into
# sbin, the user commands into bin, the man pages into MANDIR/manN, the
# systemd units, sysusers.d and tmpfiles.d entries (dist/systemd), bash
# completions (completions/) and the sample configurations for the engines
# and memlog-forward (dist/examples, into EXAMPLEDIR). memlog-runc is an OCI
# runtime run by the engines as root, so it goes to sbin as Debian installs
# runc (/usr/sbin/runc): /usr/local/sbin/memlog-runc with the default
# PREFIX. Files under dist/ whose name ends in .in name the programs as
# @SBINDIR@/@BINDIR@, filled in here, so the units and samples name the
# paths this install uses. The docs' examples name these paths too;
# scripts/check-install-paths checks both against this install. Nothing is
# installed into /etc. `make install-strip` strips the programs.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
# systemd reads units, sysusers.d and tmpfiles.d under /usr/local/lib too.
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
EXAMPLEDIR ?= $(DATADIR)/memlog
INSTALL ?= install
INSTALL_PROGRAM ?= $(INSTALL) -m 0755
SUBST = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SBINDIR@|$(SBINDIR)|g'
# (memlog-journal.service is installed by install-journal, below.)
SYSTEMD_UNIT_SRC := $(filter-out dist/systemd/memlog-journal.service, \
	    $(wildcard dist/systemd/*.service dist/systemd/*.socket \
		       dist/systemd/*.service.in dist/systemd/*.socket.in))
UNITS := $(notdir $(SYSTEMD_UNIT_SRC:.in=))
EXAMPLE_SRC := $(shell find dist/examples -type f 2>/dev/null | sort)
EXAMPLES := $(patsubst dist/examples/%,%,$(EXAMPLE_SRC:.in=))
COMPLETIONS := $(notdir $(wildcard completions/*))
INSTALL_BIN := logread memlog-run
INSTALL_SBIN := memlogd memlog-fdholder memlog-kmsg logwrite memlog-runc memlog-forward
MAN_PAGES := $(wildcard man/*.[178])

install: all
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
		$(addprefix $(DESTDIR)$(MANDIR)/man,1 7 8)
	$(INSTALL_PROGRAM) $(addprefix $(BUILD)/,$(INSTALL_BIN)) $(DESTDIR)$(BINDIR)/
	$(INSTALL_PROGRAM) $(addprefix $(BUILD)/,$(INSTALL_SBIN)) $(DESTDIR)$(SBINDIR)/
	for m in $(MAN_PAGES); do \
		$(INSTALL) -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/ || exit 1; \
	done
	$(INSTALL) -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
		$(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(BASHCOMPDIR)
	for u in $(SYSTEMD_UNIT_SRC); do \
		n=$${u##*/}; \
		$(SUBST) $$u >$(DESTDIR)$(UNITDIR)/$${n%.in} && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$${n%.in} || exit 1; \
	done
	$(INSTALL) -m 0644 dist/systemd/memlog.sysusers $(DESTDIR)$(SYSUSERSDIR)/memlog.conf
	$(INSTALL) -m 0644 dist/systemd/memlog.tmpfiles $(DESTDIR)$(TMPFILESDIR)/memlog.conf
	for e in $(EXAMPLE_SRC); do \
		d=$(DESTDIR)$(EXAMPLEDIR)/$${e#dist/examples/}; d=$${d%.in}; \
		$(INSTALL) -d $${d%/*} && $(SUBST) $$e >$$d && chmod 0644 $$d || exit 1; \
	done
	for c in $(COMPLETIONS); do \
		$(INSTALL) -m 0644 completions/$$c $(DESTDIR)$(BASHCOMPDIR)/$$c || exit 1; \
	done

install-strip:
	$(MAKE) INSTALL_PROGRAM='$(INSTALL) -m 0755 -s' install

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(INSTALL_BIN)) \
		$(addprefix $(DESTDIR)$(SBINDIR)/,$(INSTALL_SBIN))
	for m in $(notdir $(MAN_PAGES)); do \
		rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$$m; \
	done
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS)) \
		$(DESTDIR)$(SYSUSERSDIR)/memlog.conf $(DESTDIR)$(TMPFILESDIR)/memlog.conf \
		$(addprefix $(DESTDIR)$(EXAMPLEDIR)/,$(EXAMPLES)) \
		$(addprefix $(DESTDIR)$(BASHCOMPDIR)/,$(COMPLETIONS))
	-rmdir $(addprefix $(DESTDIR)$(EXAMPLEDIR)/,$(sort $(filter-out ./,$(dir $(EXAMPLES))))) \
		$(DESTDIR)$(EXAMPLEDIR) 2>/dev/null

# ---- memlog-init and memlog-journal: systemd as a container's PID 1 -------
# (docs/memlog-journal.md). memlog-init is libc only and static, as the fd
# holder it starts; memlog-journal reads the journal with libsystemd.
INIT_SRC := $(wildcard src/memlog-init/*.c)
INIT_OBJ := $(INIT_SRC:%.c=$(BUILD)/%.o)
INIT_MODS := $(filter-out $(BUILD)/src/memlog-init/main.o,$(INIT_OBJ))
JOURNAL_SRC := $(wildcard src/memlog-journal/*.c)
JOURNAL_OBJ := $(JOURNAL_SRC:%.c=$(BUILD)/%.o)
JOURNAL_MODS := $(filter-out $(BUILD)/src/memlog-journal/main.o,$(JOURNAL_OBJ))
SYSTEMD_CFLAGS := $(shell $(PKG_CONFIG) --cflags libsystemd 2>/dev/null)
SYSTEMD_LIBS := $(shell $(PKG_CONFIG) --libs libsystemd 2>/dev/null || echo -lsystemd)
JOURNAL_PROGS := $(BUILD)/memlog-init $(BUILD)/memlog-journal

all: $(JOURNAL_PROGS)
tests: $(JOURNAL_PROGS)

$(BUILD)/memlog-init: $(INIT_OBJ) $(BUILD)/libmemlog.a
	$(CC) $(CFLAGS) $(LDFLAGS) $(MEMLOGD_LDFLAGS) -o $@ $^

$(BUILD)/src/memlog-journal/%.o: src/memlog-journal/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SYSTEMD_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/memlog-journal: $(JOURNAL_OBJ) $(BUILD)/libmemlog.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(SYSTEMD_LIBS)

# Their unit tests (test_journal_*) link both programs' modules.
$(BUILD)/tests/test_journal_%: tests/unit/test_journal_%.c $(JOURNAL_MODS) $(INIT_MODS) $(BUILD)/libmemlog.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SYSTEMD_CFLAGS) -Isrc/memlog-journal -o $@ $^ $(SYSTEMD_LIBS) $(CMOCKA_LIBS)

# make install: both programs into SBINDIR, the unit into UNITDIR with
# ExecStart= naming SBINDIR (the man pages go with the others).
UNITDIR ?= $(PREFIX)/lib/systemd/system
.PHONY: install-journal uninstall-journal
install: install-journal
uninstall: uninstall-journal
install-journal: $(JOURNAL_PROGS)
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR)
	$(INSTALL) -m 0755 $(JOURNAL_PROGS) $(DESTDIR)$(SBINDIR)/
	sed 's|/usr/local/sbin/|$(SBINDIR)/|g' dist/systemd/memlog-journal.service \
		> $(DESTDIR)$(UNITDIR)/memlog-journal.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/memlog-journal.service

uninstall-journal:
	rm -f $(DESTDIR)$(SBINDIR)/memlog-init $(DESTDIR)$(SBINDIR)/memlog-journal \
		$(DESTDIR)$(UNITDIR)/memlog-journal.service

# ---- memlog-kmsgfs: /dev/kmsg for a container, on FUSE ---------------------
# (docs/kernel.md). libfuse3 and the client library; never part of memlogd.
KMSGFS_SRC := $(wildcard src/memlog-kmsgfs/*.c)
KMSGFS_OBJ := $(KMSGFS_SRC:%.c=$(BUILD)/%.o)
KMSGFS_MODS := $(filter-out $(BUILD)/src/memlog-kmsgfs/main.o,$(KMSGFS_OBJ))
FUSE_CFLAGS := $(shell $(PKG_CONFIG) --cflags fuse3 2>/dev/null)
FUSE_LIBS := $(shell $(PKG_CONFIG) --libs fuse3 2>/dev/null || echo -lfuse3 -lpthread)
KMSGFS_PROGS := $(BUILD)/memlog-kmsgfs

all: $(BUILD)/memlog-kmsgfs
tests: $(BUILD)/memlog-kmsgfs

$(BUILD)/src/memlog-kmsgfs/%.o: src/memlog-kmsgfs/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(FUSE_CFLAGS) $(JANSSON_CFLAGS) -Isrc/client -MMD -MP -c $< -o $@

$(BUILD)/memlog-kmsgfs: $(KMSGFS_OBJ) $(BUILD)/libmemlog-client.a $(BUILD)/libmemlog.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(FUSE_LIBS) $(JANSSON_LIBS) -lpthread

# Its unit tests (test_kmsgfs_*) link its modules.
$(BUILD)/tests/test_kmsgfs_%: tests/unit/test_kmsgfs_%.c $(KMSGFS_MODS) $(BUILD)/libmemlog-client.a $(BUILD)/libmemlog.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(FUSE_CFLAGS) $(JANSSON_CFLAGS) -Isrc/memlog-kmsgfs -Isrc/client -o $@ $^ $(FUSE_LIBS) $(JANSSON_LIBS) -lpthread $(CMOCKA_LIBS)

.PHONY: install-kmsgfs uninstall-kmsgfs
install: install-kmsgfs
uninstall: uninstall-kmsgfs
install-kmsgfs: $(BUILD)/memlog-kmsgfs
	$(INSTALL) -d $(DESTDIR)$(SBINDIR)
	$(INSTALL_PROGRAM) $(BUILD)/memlog-kmsgfs $(DESTDIR)$(SBINDIR)/

uninstall-kmsgfs:
	rm -f $(DESTDIR)$(SBINDIR)/memlog-kmsgfs

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
