#!/usr/bin/env bats
# The Debian packages and DKMS, on this machine: `make deb` builds
# fastpath-dkms and fpctl at the version in VERSION, each with what it must
# ship, and apt installs them (scripts/pkg-root), fastpath-dkms's postinst
# having DKMS build and install fastpath.ko for every kernel with headers
# here (Debian's 6.1 and 6.12).  Everything is built in the test's
# directory and installed into overlay layers there: the host's /usr, /etc
# and /var are left alone.

setup_file() {
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	export TOP
	# The test's own build: build/pkg may be in use by a VM run.
	PKG=$BATS_FILE_TMPDIR/pkg
	export PKG
	make -s -C "$TOP" deb PKGDIR="$PKG" >"$BATS_FILE_TMPDIR/deb.log" 2>&1 || {
		tail -n 30 "$BATS_FILE_TMPDIR/deb.log" >&3
		return 1
	}
}

setup() {
	bats_load_library bats-support
	bats_load_library bats-assert
	VERSION=$(cat "$TOP/VERSION")
}

@test "packaging: debian/changelog and dkms.conf take their version from VERSION" {
	run dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version
	assert_success
	assert_output "$VERSION"
	# dh_dkms -V and make install-dkms fill it in.
	run grep '^PACKAGE_VERSION=' "$TOP/dkms.conf"
	assert_output 'PACKAGE_VERSION="#MODULE_VERSION#"'
}

@test "packaging: make deb builds fastpath-dkms and fpctl at VERSION" {
	[ -f "$PKG/fastpath-dkms_${VERSION}_all.deb" ] || fail "no fastpath-dkms .deb: $(ls "$PKG")"
	[ -f "$PKG/fpctl_${VERSION}_amd64.deb" ] || fail "no fpctl .deb: $(ls "$PKG")"
	run dpkg-deb -f "$PKG/fastpath-dkms_${VERSION}_all.deb" Package Version Depends
	assert_output "Package: fastpath-dkms
Version: $VERSION
Depends: dkms (>= 2.1.0.0)"
	run dpkg-deb -f "$PKG/fpctl_${VERSION}_amd64.deb" Package Version Depends
	assert_line "Package: fpctl"
	assert_line "Version: $VERSION"
	assert_line --regexp '^Depends: kmod, libc6 .*libjson-c5 .*libnl-genl-3-200 '
	# The build happened in the copy: nothing of it is in the checkout.
	local p
	for p in files .debhelper debhelper-build-stamp fpctl fastpath-dkms; do
		assert [ ! -e "$TOP/debian/$p" ]
	done
	assert_equal "$(compgen -G "$TOP/../*.deb")" ""
}

@test "packaging: fpctl ships the tool, both manual pages, completion, unit and conffile" {
	local deb=$PKG/fpctl_${VERSION}_amd64.deb root=$BATS_TEST_TMPDIR/root
	run dpkg-deb -c "$deb"
	assert_success
	assert_line --regexp '^-rwxr-xr-x .* \./usr/sbin/fpctl$'
	assert_line --regexp ' \./usr/share/man/man8/fpctl\.8\.gz$'
	assert_line --regexp ' \./usr/share/man/man7/fastpath\.7\.gz$'
	assert_line --regexp ' \./usr/share/bash-completion/completions/fpctl$'
	assert_line --regexp ' \./lib/systemd/system/fastpath\.service$'
	assert_line --regexp '^-rw-r--r-- .* \./etc/fastpath\.conf$'
	dpkg-deb -e "$deb" "$BATS_TEST_TMPDIR/control"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/control/conffiles")" /etc/fastpath.conf

	dpkg-deb -x "$deb" "$root"
	cmp "$TOP/packaging/fastpath.conf" "$root/etc/fastpath.conf"
	run grep '^Exec' "$root/lib/systemd/system/fastpath.service"
	assert_output "ExecStart=/sbin/modprobe fastpath
ExecStart=/usr/sbin/fpctl -force -batch /etc/fastpath.conf
ExecReload=/usr/sbin/fpctl -force -batch /etc/fastpath.conf
ExecStop=/sbin/modprobe -r fastpath"
	run "$root/usr/sbin/fpctl" -V
	assert_success
	assert_output "fpctl $VERSION, module not loaded"
}

@test "packaging: the packaged unit passes systemd-analyze verify" {
	local root=$BATS_TEST_TMPDIR/root
	dpkg-deb -x "$PKG/fpctl_${VERSION}_amd64.deb" "$root"
	# What the unit runs besides fpctl: modprobe, from kmod (a Depends).
	install -D /sbin/modprobe "$root/sbin/modprobe"
	# verify also opens the Documentation= pages: the packaged ones.
	run env MANPATH="$root/usr/share/man" \
		systemd-analyze verify --root="$root" /lib/systemd/system/fastpath.service
	assert_success
	assert_output ""
}

@test "packaging: fastpath-dkms ships what make install-dkms installs, version filled in" {
	local root=$BATS_TEST_TMPDIR/root dest=$BATS_TEST_TMPDIR/dest
	dpkg-deb -x "$PKG/fastpath-dkms_${VERSION}_all.deb" "$root"
	make -s -C "$TOP" install-dkms DESTDIR="$dest"
	run diff -r "$dest/usr/src" "$root/usr/src"
	assert_success
	run grep '^PACKAGE_' "$root/usr/src/fastpath-$VERSION/dkms.conf"
	assert_output "PACKAGE_NAME=\"fastpath\"
PACKAGE_VERSION=\"$VERSION\""
	# Installing the package builds the module through DKMS.
	dpkg-deb -e "$PKG/fastpath-dkms_${VERSION}_all.deb" "$BATS_TEST_TMPDIR/control"
	run grep -F '$DKMS_POSTINST $DKMS_NAME $DKMS_VERSION' "$BATS_TEST_TMPDIR/control/postinst"
	assert_success
	run grep -E '^DKMS_(NAME|VERSION)=' "$BATS_TEST_TMPDIR/control/postinst"
	assert_output "DKMS_NAME=fastpath
DKMS_VERSION=$VERSION"
}

# What an installation of the packages would put on this machine.
host_state() {
	ls -d /usr/src/fastpath-* /var/lib/dkms/fastpath /usr/sbin/fpctl 2>/dev/null || :
}

@test "packaging: apt installs both, DKMS builds and installs fastpath.ko for 6.1 and 6.12" {
	local root=$BATS_FILE_TMPDIR/pkgroot k kernels=() ko
	for k in /lib/modules/*/build; do
		k=${k%/build}
		kernels+=("${k##*/}")
	done
	run printf '%s\n' "${kernels[@]}"
	assert_line --regexp '^6\.1\.[0-9]+-'
	assert_line --regexp '^6\.12\.[0-9]+'

	local before
	before=$(host_state)
	run "$TOP/scripts/pkg-root" "$PKG" "$root"
	assert_success
	# All of it in the layers: this machine is as it was.
	assert_equal "$(host_state)" "$before"
	# (debconf's frontend ends the postinst's lines with CR LF)
	run tr -d '\r' <"$root/install.log"
	assert_line --regexp '^Setting up fastpath-dkms '
	assert_line --regexp '^Setting up fpctl '
	for k in "${kernels[@]}"; do
		assert_line "Building initial module for $k"
		assert_line "   - Installing to /lib/modules/$k/updates/dkms/"
		# Compressed as the kernel's own modules are (6.12: xz).
		ko=$(compgen -G "$root/usr/lib/modules/$k/updates/dkms/fastpath.ko*")
		# The vermagic of the kernel's own modules, and the module's version.
		assert_equal "$(modinfo -F vermagic "$ko")" \
			"$(modinfo -F vermagic "$(modinfo -k "$k" -n nf_conntrack)")"
		assert_equal "$(modinfo -F version "$ko")" "$VERSION"
		# depmod ran: modprobe finds it by name.
		assert grep -q '^updates/dkms/fastpath\.ko' "$root/usr/lib/modules/$k/modules.dep"
		assert [ -d "$root/var/lib/dkms/fastpath/$VERSION/$k/x86_64/module" ]
	done
}
