#!/usr/bin/env bats
# The Debian packages on a running system: scripts/pkg-root had apt install
# the .debs of `make deb` on the host, where fastpath-dkms's postinst had
# DKMS build fastpath.ko for every kernel there (natively: in this guest
# the build alone took ten minutes of TCG).  This file checks that
# installation from inside each kernel: DKMS's state and module for the
# running kernel, modprobe loading that module and the packaged fpctl
# talking to it.  Then fastpath.service's commands, run in order as systemd
# runs them: start loads the module and applies /etc/fastpath.conf, reload
# applies it again to the same state, stop unloads the module.
#
# The guest's root is the host's, read-only: every command that reads what
# was installed, or changes it, runs in a mount namespace where /usr (with
# /lib), /etc and /var are overlays: the installation's layers
# (build/pkgroot) over the host's, and upper layers in this file's
# temporary directory, so neither the host nor the installation changes.
#
# A kernel built in the checkout (the debug kernel) has its modules where
# the runner mounted them, not under the host's /lib/modules, and
# scripts/pkg-root had DKMS build for it only when asked
# (PKG_ROOT_DEBUG_KERNEL, which scripts/check sets for a debug suite): the
# installed view stacks DKMS's module over the kernel's own, and depmod
# indexes both, as it would on a machine where that kernel is installed.
#
# No forwarding topology: the service configures the initial namespace,
# where one veth pair gives the file devices to enable.
#
#   fp47a <-------> fp47b      (initial namespace)

bats_require_minimum_version 1.5.0

setup_file() {
	: "${FASTPATH_KO:?integration tests run inside the VM (tests/vm/run)}"
	VERSION=$(cat "$FASTPATH_TOP/VERSION")
	PKGROOT=$FASTPATH_TOP/build/pkgroot
	[ -f "$PKGROOT/install.log" ] || {
		echo "# no $PKGROOT/install.log: run scripts/pkg-root on the host first (make check does)" >&3
		return 1
	}
	OVERLAY=$BATS_FILE_TMPDIR/overlay
	local d
	for d in usr etc var kmods; do
		mkdir -p "$OVERLAY/$d/upper" "$OVERLAY/$d/work"
	done
	mkdir "$OVERLAY/kmods/lower"
	export VERSION PKGROOT OVERLAY
	if mountpoint -q "/lib/modules/$KVER"; then
		installed depmod "$KVER" || return 1
	fi
	ip link add fp47a type veth peer name fp47b
	ip link set fp47a up
	ip link set fp47b up
}

# The next files get the module the runner loaded, built from the tree,
# and its dependencies, which `modprobe -r fastpath` unloads when unused.
teardown_file() {
	local dep
	ip link del fp47a 2>/dev/null
	if [ -d /sys/module/fastpath ]; then
		rmmod fastpath
	fi
	for dep in $(modinfo -F depends "$FASTPATH_KO" | tr , ' '); do
		modprobe "$dep"
	done
	insmod "$FASTPATH_KO"
}

setup() {
	bats_load_library bats-support
	bats_load_library bats-assert
}

# "$@" with the installation mounted: each call is a new mount namespace
# over the same upper layers, which keep what earlier calls wrote.
installed() {
	unshare --mount --propagation private bash -c '
		kmods=/lib/modules/$KVER
		! mountpoint -q "$kmods" || mount --bind "$kmods" "$OVERLAY/kmods/lower" || exit 1
		for d in usr etc var; do
			mount -t overlay overlay \
				-o "lowerdir=$PKGROOT/$d:/$d,upperdir=$OVERLAY/$d/upper,workdir=$OVERLAY/$d/work" \
				"/$d" || exit 1
		done
		if mountpoint -q "$OVERLAY/kmods/lower"; then
			o=lowerdir=$PKGROOT/usr/lib/modules/$KVER:$OVERLAY/kmods/lower
			o+=,upperdir=$OVERLAY/kmods/upper,workdir=$OVERLAY/kmods/work
			mount -t overlay overlay -o "$o" "$kmods" || exit 1
		fi
		exec "$@"' installed "$@"
}

# Runs the installed unit's Exec$1= commands in order, as systemd does,
# stopping at the first that fails.
unit_exec() {
	local cmds cmd
	cmds=$(installed sed -n "s/^Exec$1=//p" /lib/systemd/system/fastpath.service) || return
	[ -n "$cmds" ] || { echo "fastpath.service has no Exec$1="; return 1; }
	while read -r cmd; do
		echo "+ $cmd"
		# shellcheck disable=SC2086 # the unit's words, as systemd splits them
		installed $cmd || return
	done <<<"$cmds"
}

@test "packages: apt installed fastpath-dkms and fpctl, DKMS built fastpath.ko for this kernel" {
	# (debconf's frontend ends the postinst's lines with CR LF)
	run tr -d '\r' <"$PKGROOT/install.log"
	assert_line "Building initial module for $KVER"
	assert_line "   - Installing to /lib/modules/$KVER/updates/dkms/"
	assert_line --regexp '^Setting up fpctl '
	# (stderr: readelf's warnings about the kernel's build tree)
	run --separate-stderr installed dkms status -m fastpath -k "$KVER"
	assert_output "fastpath/$VERSION, $KVER, x86_64: installed"
	run installed modinfo -k "$KVER" -n fastpath
	assert_output --regexp "^/lib/modules/.*/updates/dkms/fastpath\.ko(\.xz)?$"
	# Built for this kernel: the vermagic of its own modules.
	assert_equal "$(installed modinfo -k "$KVER" -F vermagic fastpath)" \
		"$(modinfo -F vermagic nf_conntrack)"
}

@test "packages: modprobe loads the DKMS-built module and the packaged fpctl talks to it" {
	rmmod fastpath
	run installed modprobe -v fastpath
	assert_success
	assert_output --partial "insmod /lib/modules/$KVER/updates/dkms/fastpath.ko"
	assert_equal "$(cat /sys/module/fastpath/version)" "$VERSION"
	run installed /usr/sbin/fpctl -V
	assert_success
	assert_output "fpctl $VERSION, module $VERSION"
}

@test "packages: the default /etc/fastpath.conf applies cleanly and configures nothing" {
	if [ -d /sys/module/fastpath ]; then
		rmmod fastpath
	fi
	run unit_exec Start
	assert_success
	assert [ -d /sys/module/fastpath ]
	run installed /usr/sbin/fpctl -j rule show
	assert_success
	assert_equal "$(jq length <<<"$output")" 0
	run installed /usr/sbin/fpctl -j dev show
	assert_equal "$(jq length <<<"$output")" 0
}

@test "packages: fastpath.service starts, reloads to the file's state and stops" {
	if [ -d /sys/module/fastpath ]; then
		rmmod fastpath
	fi
	installed tee /etc/fastpath.conf >/dev/null <<-'EOF'
	# as fpctl save writes it: settings, rules, devices
	config set flow-limit 5000
	rule flush
	rule add pref 10 proto udp dport 5060 action bypass
	rule add pref 20 dst 192.0.2.0/24 action accelerate
	enable dev fp47a
	enable dev fp47b
	EOF

	run unit_exec Start
	assert_success
	run installed /usr/sbin/fpctl save
	assert_success
	local started=$output
	assert_line --regexp '^config set flow-limit 5000 '
	assert_line --regexp '^rule add pref 10 .*action bypass$'
	assert_line --regexp '^rule add pref 20 .*action accelerate$'
	assert_line "enable dev fp47a"
	assert_line "enable dev fp47b"

	# A rule added by hand goes on reload; applying twice changes nothing.
	installed /usr/sbin/fpctl rule add pref 30 proto tcp action bypass
	run unit_exec Reload
	assert_success
	run unit_exec Reload
	assert_success
	run installed /usr/sbin/fpctl save
	assert_equal "$output" "$started"

	run unit_exec Stop
	assert_success
	assert [ ! -d /sys/module/fastpath ]
}
