#!/usr/bin/env bats
# make install puts fpctl, both manual pages and the bash completion under
# DESTDIR/PREFIX, fastpath.service and /etc/fastpath.conf beside them, and
# what it installs works from there.

setup() {
	bats_load_library bats-support
	bats_load_library bats-assert
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	DEST=$BATS_TEST_TMPDIR/root
}

@test "install: fpctl, fpctl.8, fastpath.7 and the completion under DESTDIR/PREFIX" {
	run make -s -C "$TOP" install DESTDIR="$DEST" PREFIX=/usr
	assert_success
	[ -x "$DEST/usr/sbin/fpctl" ] || fail "no $DEST/usr/sbin/fpctl"
	cmp "$TOP/man/fpctl.8" "$DEST/usr/share/man/man8/fpctl.8"
	cmp "$TOP/man/fastpath.7" "$DEST/usr/share/man/man7/fastpath.7"
	cmp "$TOP/completions/fpctl" "$DEST/usr/share/bash-completion/completions/fpctl"

	run "$DEST/usr/sbin/fpctl" -V
	assert_success
	assert_output "fpctl $(cat "$TOP/VERSION"), module not loaded"
	# man finds the installed pages by name.
	run env MANPATH="$DEST/usr/share/man" man -w fpctl fastpath
	assert_success
	assert_line "$DEST/usr/share/man/man8/fpctl.8"
	assert_line "$DEST/usr/share/man/man7/fastpath.7"
	# The installed completion loads and completes.
	# shellcheck disable=SC1091
	source "$DEST/usr/share/bash-completion/completions/fpctl"
	COMP_WORDS=(fpctl rule "")
	COMP_CWORD=2
	_fpctl
	assert_equal "${COMPREPLY[*]}" "show add del flush help"
}

@test "install: fastpath.service runs PREFIX's fpctl and passes systemd-analyze verify" {
	run make -s -C "$TOP" install DESTDIR="$DEST"
	assert_success
	local unit=/usr/local/lib/systemd/system/fastpath.service
	run grep '^Exec' "$DEST$unit"
	assert_output "ExecStart=/sbin/modprobe fastpath
ExecStart=/usr/local/sbin/fpctl -force -batch /etc/fastpath.conf
ExecReload=/usr/local/sbin/fpctl -force -batch /etc/fastpath.conf
ExecStop=/sbin/modprobe -r fastpath"
	cmp "$TOP/packaging/fastpath.conf" "$DEST/etc/fastpath.conf"
	# verify runs in DESTDIR as root: the commands and Documentation= pages
	# must be there (modprobe comes from kmod).
	install -D /sbin/modprobe "$DEST/sbin/modprobe"
	run env MANPATH="$DEST/usr/local/share/man" systemd-analyze verify --root="$DEST" "$unit"
	assert_success
	assert_output ""
	rm "$DEST/usr/local/sbin/fpctl"
	run env MANPATH="$DEST/usr/local/share/man" systemd-analyze verify --root="$DEST" "$unit"
	assert_failure
	assert_output --partial "Command /usr/local/sbin/fpctl is not executable"
}

@test "install: an existing /etc/fastpath.conf is kept" {
	mkdir -p "$DEST/etc"
	echo "enable dev wan0" >"$DEST/etc/fastpath.conf"
	run make -s -C "$TOP" install DESTDIR="$DEST" PREFIX=/usr
	assert_success
	assert_equal "$(cat "$DEST/etc/fastpath.conf")" "enable dev wan0"
}
