# fastpath: kernel module (kernel/), fpctl (cli/), tests, demo, benchmark.
#
#   make [KVER=...]     build fastpath.ko for every kernel with headers (or
#                       only KVER) and cli/fpctl
#   make check          install deps, build, run every test (host + VM)
#   make check-debug    the integration tests and the soak on the debug kernel
#   make soak           the fault soak (SOAK_DURATION s; KVER=debug)
#   make demo           boot a VM and show fastpath forwarding real traffic
#   make install        fpctl, man pages, completion, fastpath.service and
#                       /etc/fastpath.conf (DESTDIR, PREFIX, SYSCONFDIR,
#                       SYSTEMDUNITDIR)
#   make install-dkms   the module's source for DKMS in /usr/src (DESTDIR)
#   make deb            fastpath-dkms and fpctl .debs in build/pkg/
#   make modules_install  fastpath.ko for KVER (default: running kernel)

PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
# systemd reads /usr/local/lib/systemd/system too.
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
VERSION := $(shell cat VERSION)
# Kernels the integration tests must pass on (short forms, see tests/vm/run).
VM_KERNELS ?= 6.1 6.12

ifdef KVER
KVERS := $(KVER)
else
KVERS := $(notdir $(patsubst %/build,%,$(wildcard /lib/modules/*/build)))
endif

all: kernel cli

kernel:
	@test -n "$(KVERS)" || { echo "Error: no kernel headers in /lib/modules/*/build (run make deps)" >&2; exit 1; }
	@set -e; for k in $(KVERS); do \
		echo "  MODULE  kernel/build/$$k/fastpath.ko"; \
		$(MAKE) --no-print-directory -C kernel KVER=$$k W=1; \
	done

cli:
	$(MAKE) -C cli

deps:
	scripts/deps

check: deps
	$(MAKE) all deb
	scripts/check host vm $(VM_KERNELS)

check-host: cli
	scripts/check host

check-vm: all deb
	scripts/check vm $(VM_KERNELS)

# The KASAN/lockdep/kmemleak kernel that scripts/debug-kernel builds once
# into build/debug-kernel/: first proof that each checker reports
# (tests/soak/run --selftest), then the integration suite in two boots that
# share its files (one per CPU), then the soak.  Not part of check: the
# first build takes an hour.
DEBUG_KERNEL = $(abspath $(or $(FASTPATH_DEBUG_KERNEL),build/debug-kernel))
DEBUG_VM_TIMEOUT ?= 14400
SOAK_DURATION ?= 600
check-debug: deps cli deb
	scripts/debug-kernel >/dev/null
	$(MAKE) -C kernel KVER=$$(cat $(DEBUG_KERNEL)/release) KDIR=$(DEBUG_KERNEL)/linux W=1
	tests/soak/run --selftest
	VM_TIMEOUT=$(DEBUG_VM_TIMEOUT) scripts/check vm debug debug
	tests/soak/run --duration $(SOAK_DURATION) debug

# The fault soak (tests/soak/run), one boot per kernel: KVER=debug for the
# debug kernel, else the Debian kernels of VM_KERNELS.
soak: deps cli
	tests/soak/run --duration $(SOAK_DURATION) $(or $(KVER),$(VM_KERNELS))

demo: deps
	$(MAKE) all
	scripts/demo

bench: deps
	$(MAKE) all
	bench/run $(BENCH_ARGS)

install: cli
	install -D -m 755 cli/fpctl $(DESTDIR)$(PREFIX)/sbin/fpctl
	@set -e; for m in $(wildcard man/*.7 man/*.8); do \
		s=$${m##*.}; \
		install -D -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/$${m##*/}; \
	done
	install -D -m 644 completions/fpctl \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/fpctl
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	sed -e 's|@SBINDIR@|$(PREFIX)/sbin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		packaging/fastpath.service.in >$(DESTDIR)$(SYSTEMDUNITDIR)/fastpath.service
	chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/fastpath.service
	@# The administrator's configuration is never overwritten.
	test -e $(DESTDIR)$(SYSCONFDIR)/fastpath.conf || \
		install -D -m 644 packaging/fastpath.conf $(DESTDIR)$(SYSCONFDIR)/fastpath.conf

# What DKMS builds the module from (dkms.conf): what fastpath-dkms ships.
DKMS_SRC = $(DESTDIR)/usr/src/fastpath-$(VERSION)
install-dkms:
	install -d $(DKMS_SRC)/kernel $(DKMS_SRC)/uapi/linux
	install -m 644 VERSION $(DKMS_SRC)/
	sed 's/#MODULE_VERSION#/$(VERSION)/' dkms.conf >$(DKMS_SRC)/dkms.conf
	install -m 644 kernel/Makefile kernel/Kbuild kernel/*.c kernel/*.h $(DKMS_SRC)/kernel/
	install -m 644 uapi/linux/*.h $(DKMS_SRC)/uapi/linux/

# dpkg-buildpackage writes beside the source tree, so the checkout's files
# (tracked and new, not ignored ones) are built from a copy in PKGDIR/src.
PKGDIR ?= build/pkg
deb:
	rm -rf $(PKGDIR)
	mkdir -p $(PKGDIR)/src
	git ls-files -z --cached --others --exclude-standard | \
		tar -c --null -T - | tar -x -C $(PKGDIR)/src
	cd $(PKGDIR)/src && dpkg-buildpackage -us -uc -b

# A real router: the module for one kernel, into its extra/ directory.
modules_install: MODKVER = $(or $(KVER),$(shell uname -r))
modules_install:
	$(MAKE) -C kernel KVER=$(MODKVER)
	install -D -m 644 kernel/build/$(MODKVER)/fastpath.ko \
		$(DESTDIR)/lib/modules/$(MODKVER)/extra/fastpath.ko
	test -n "$(DESTDIR)" || depmod $(MODKVER)

clean:
	$(MAKE) -C kernel clean
	$(MAKE) -C cli clean
	$(MAKE) -C tests/kmod clean
	rm -rf build

.PHONY: all kernel cli deps check check-host check-vm check-debug soak demo bench install install-dkms deb modules_install clean
