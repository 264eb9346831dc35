# SPDX-License-Identifier: Apache-2.0
# epmd_secure: plain GNU make. `make` builds ./epmd_secure; `make run` runs
# it in the foreground on loopback; `make check` builds and runs every test.

VERSION		= 0.1.0
PREFIX		?= /usr/local
SBINDIR		?= $(PREFIX)/sbin
MANDIR		?= $(PREFIX)/share/man
SYSCONFDIR	?= /etc
DESTDIR		?=

CC		?= cc
PKG_CONFIG	?= pkg-config
# libsystemd: headers at build time; the daemon dlopen()s it when systemd
# is involved (see systemd.c), so it is not linked.
PKGS		= libevent_core libmnl
CFLAGS_SYSTEMD	= $$($(PKG_CONFIG) --cflags libsystemd)
WARN		= -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
		  -Wformat=2 -Wwrite-strings -Wcast-qual -Wpointer-arith
HARDEN		= -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIE
CFLAGS		?= -O2 -g
ALL_CFLAGS	= -std=c11 -D_GNU_SOURCE $(WARN) $(HARDEN) $(CFLAGS) \
		  -DEPMD_SECURE_VERSION='"$(VERSION)"' \
		  -DSYSCONFDIR='"$(SYSCONFDIR)"' -MMD -MP
LDHARDEN	= -pie -Wl,-z,relro,-z,now
SANITIZE	?=
ifneq ($(SANITIZE),)
ALL_CFLAGS	+= -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDHARDEN	+= -fsanitize=$(SANITIZE)
endif

# Pure modules: libc only, unit-tested and fuzzed on their own.
PURE_SRCS	= wire.c registry.c acl.c addr.c util.c conf.c ratelimit.c audit.c \
		  proto.c sockdiag.c owner.c
PURE_SRCS	+= logfmt.c metrics.c
SRCS		= epmd_secure.c server.c conn.c client.c log.c systemd.c holder.c \
		  sockdiag_io.c owner_state.c \
		  $(PURE_SRCS)
BUILD		?= build
OBJS		= $(SRCS:%.c=$(BUILD)/%.o)

UNIT_TESTS	= wire registry acl addr util conf ratelimit audit proto sockdiag \
		  owner owner_state proto_integrity
UNIT_TESTS	+= logfmt metrics
UNIT_BINS	= $(UNIT_TESTS:%=$(BUILD)/test_%)

all: epmd_secure

deps-build:
	@scripts/install-deps.sh build

deps:
	@scripts/install-deps.sh test

epmd_secure: $(OBJS) $(BUILD)/flags
	$(CC) $(LDHARDEN) $(LDFLAGS) -o $@ $(OBJS) \
	    $$($(PKG_CONFIG) --libs $(PKGS))

# The daemon itself under a sanitizer, for the integration tests.
$(BUILD)/epmd_secure: $(OBJS) $(BUILD)/flags
	$(CC) $(LDHARDEN) $(LDFLAGS) -o $@ $(OBJS) \
	    $$($(PKG_CONFIG) --libs $(PKGS))

$(BUILD)/%.o: %.c $(BUILD)/flags | $(BUILD)
	$(CC) $(ALL_CFLAGS) $$($(PKG_CONFIG) --cflags $(PKGS)) $(CFLAGS_SYSTEMD) \
	    -c -o $@ $<

$(BUILD):
	mkdir -p $(BUILD)

# The flags every object was built with: when they change (`make check`
# adds -Werror after a plain `make` or `make run`), everything rebuilds.
FLAGS_NOW	= $(subst ','\'',$(CC) $(ALL_CFLAGS) $(LDHARDEN) $(LDFLAGS))
$(BUILD)/flags: FORCE | $(BUILD)
	@printf '%s\n' '$(FLAGS_NOW)' >$@.tmp; \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

FORCE:

# The default config and ACL paths compile in SYSCONFDIR: rebuild what
# uses them when it changes.
$(BUILD)/sysconfdir: FORCE | $(BUILD)
	@echo '$(SYSCONFDIR)' | cmp -s - $@ || echo '$(SYSCONFDIR)' > $@
$(BUILD)/conf.o $(BUILD)/epmd_secure.o: $(BUILD)/sysconfdir

# Each unit binary links only the pure modules it tests (and those they
# call), and cmocka: no libevent, no libsystemd. libmnl is sockdiag.c's
# netlink framing (buffer helpers, no sockets).
MODS_wire	= wire
MODS_registry	= registry wire
MODS_acl	= acl addr
MODS_addr	= addr
MODS_util	= util
MODS_conf	= conf acl addr util
MODS_ratelimit	= ratelimit addr
MODS_audit	= audit addr util logfmt
MODS_proto	= proto wire registry acl addr ratelimit audit util logfmt conf \
		  owner sockdiag
MODS_proto_integrity = $(MODS_proto)
MODS_sockdiag	= sockdiag
MODS_owner	= owner wire sockdiag
# The state file's edge is tested on a temporary directory.
MODS_owner_state = owner_state owner wire sockdiag
MODS_logfmt	= logfmt
MODS_metrics	= metrics audit addr util logfmt

mod_objs	= $(addprefix $(BUILD)/,$(addsuffix .o,$(MODS_$(1))))

# Fault injection (tests/unit/fault.h): these binaries send the modules'
# allocations, read(2) and fstat(2) through wrappers a test can make fail.
FAULT_WRAP	= -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc \
		  -Wl,--wrap=reallocarray,--wrap=strdup,--wrap=fstat \
		  -Wl,--wrap=read,--wrap=__read_chk
LDX_conf	= $(FAULT_WRAP)
LDX_proto	= $(FAULT_WRAP)
LDX_owner	= $(FAULT_WRAP)
LDX_owner_state	= $(FAULT_WRAP)

.SECONDEXPANSION:
$(BUILD)/test_%: tests/unit/test_%.c $$(call mod_objs,$$*) \
    $(BUILD)/flags | $(BUILD)
	$(CC) $(ALL_CFLAGS) -I. $(LDHARDEN) $(LDX_$*) -o $@ $< \
	    $(call mod_objs,$*) $$($(PKG_CONFIG) --cflags --libs cmocka libmnl)

unit: $(UNIT_BINS)

# The shipped files must not be group/other-writable: the daemon refuses
# such files, and a checkout made under umask 002 would have them so.
run: deps-build
	$(MAKE) epmd_secure
	chmod go-w config/epmd_secure.conf config/acl
	./epmd_secure -d -config config/epmd_secure.conf -acl config/acl

# check: a -Werror build, the unit tests plain and under ASan+UBSan, then
# the integration tests against the real binaries, and the protocol ones
# again against the daemon built with ASan+UBSan. One summary line.
check: deps
	$(MAKE) CFLAGS="$(CFLAGS) -Werror" epmd_secure unit
	$(MAKE) BUILD=build/asan SANITIZE=address,undefined \
	    CFLAGS="-O1 -g -Werror" unit build/asan/epmd_secure
	tests/run.sh

# Coverage: a --coverage build in build/cov, the unit tests, then the
# integration tests against that daemon (under the machine-wide test
# lock), and gcovr's line and branch coverage per file.
COV		= build/cov
coverage: deps
	rm -rf $(COV)
	$(MAKE) BUILD=$(COV) CFLAGS="-O0 -g --coverage" LDFLAGS=--coverage \
	    unit $(COV)/epmd_secure
	for t in $(UNIT_TESTS); do $(COV)/test_$$t >/dev/null || exit 1; done
	-EPMD_SECURE=$$PWD/$(COV)/epmd_secure flock /tmp/epmd-integration.lock \
	    tests/run.sh test_
	gcovr -r . $(COV) --exclude 'tests/' --exclude 'bench/'
	gcovr -r . $(COV) --exclude 'tests/' --exclude 'bench/' --branches

# Every fuzz target for RUNS executions from its seeds (make check runs
# each for a few seconds only, in tests/integration/test_fuzz_smoke.sh).
RUNS		?= 1000000
fuzz-long:
	$(MAKE) -C tests/fuzz long RUNS=$(RUNS)

bench: deps
	$(MAKE) epmd_secure
	bench/run.sh

# Config files are installed only if absent: an admin's edits survive.
# Units get the installed binary's path, and units and config files the
# installed configuration directory, as does the daemon's built-in default
# (-DSYSCONFDIR).
# Units: $(PREFIX)/lib/systemd/system, which systemd reads for
# /usr/local too; for PREFIX=/usr, /lib/systemd/system, where Debian 12's
# packages put them (its /usr is merged, so both name the same place).
ifeq ($(PREFIX),/usr)
UNITDIR		?= /lib/systemd/system
else
UNITDIR		?= $(PREFIX)/lib/systemd/system
endif
CONFDIR		= $(SYSCONFDIR)/epmd_secure

install: epmd_secure
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(CONFDIR)
	install -m 0755 epmd_secure $(DESTDIR)$(SBINDIR)/epmd_secure
	install -m 0644 man/epmd_secure.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 man/epmd_secure.conf.5 man/epmd_secure.acl.5 \
	    $(DESTDIR)$(MANDIR)/man5/
	for u in epmd_secure.service epmd_secure.socket; do \
		sed -e 's|/usr/sbin/epmd_secure|$(SBINDIR)/epmd_secure|g' \
		    -e 's|/etc/epmd_secure/|$(CONFDIR)/|g' \
		    systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	for f in epmd_secure.conf acl; do \
		if [ -e $(DESTDIR)$(CONFDIR)/$$f ]; then \
			echo "keeping existing $(DESTDIR)$(CONFDIR)/$$f"; \
		else \
			sed 's|/etc/epmd_secure/|$(CONFDIR)/|g' config/$$f \
			    > $(DESTDIR)$(CONFDIR)/$$f.tmp && \
			chmod 0644 $(DESTDIR)$(CONFDIR)/$$f.tmp && \
			mv $(DESTDIR)$(CONFDIR)/$$f.tmp \
			    $(DESTDIR)$(CONFDIR)/$$f || exit 1; \
		fi; \
	done

# Config files stay: they are the admin's.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/epmd_secure \
	    $(DESTDIR)$(MANDIR)/man8/epmd_secure.8 \
	    $(DESTDIR)$(MANDIR)/man5/epmd_secure.conf.5 \
	    $(DESTDIR)$(MANDIR)/man5/epmd_secure.acl.5 \
	    $(DESTDIR)$(UNITDIR)/epmd_secure.service \
	    $(DESTDIR)$(UNITDIR)/epmd_secure.socket

# Opt-in, never part of install: make the epmd that erl starts
# (/usr/lib/erlang/erts-*/bin/epmd) run $(SBINDIR)/epmd_secure, stock kept
# as epmd.stock through dpkg-divert --rename; uninstall-takeover puts stock
# back. See epmd_secure(8), "Taking over the epmd that erl starts".
install-takeover:
	@test -x $(DESTDIR)$(SBINDIR)/epmd_secure || \
	    { echo "install-takeover: run make install first" >&2; exit 1; }
	scripts/epmd-takeover apply $(SBINDIR)/epmd_secure

uninstall-takeover:
	scripts/epmd-takeover undo

clean:
	rm -rf $(BUILD) epmd_secure bench/loadgen

.PHONY: all deps deps-build unit run check coverage fuzz-long bench install \
	uninstall clean install-takeover uninstall-takeover FORCE

-include $(OBJS:.o=.d) $(wildcard $(BUILD)/*.d)
