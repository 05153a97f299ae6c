#!/usr/bin/env bats
# Permissions (uapi/fastpath.yaml: uns-admin-perm): changes, flow lookups and
# dumps, and the "monitor" group need CAP_NET_ADMIN in the user namespace
# that owns the network namespace; devices, rules, stats and config can be
# read by anyone.  An unprivileged user (uid/gid 65534, no groups, no
# capabilities) changes nothing and sees no flow; the same user, owner of a
# user and a network namespace of its own (unshare -Urn), manages that
# network namespace and no other.
#
#   41-permission-p (root's)                 nobody's (unshare -Urn)
#     p0 (enabled) -- p1 (not enabled)         u0 (enabled) -- u1
#     veth pair, rules 100 and 200             veth pair
#
# Requests are made from inside the namespaces (ip netns exec or nsenter as
# root, then setpriv drops to nobody), so only the kernel's permission
# checks can stop them.

load ../lib/api

setup() {
	api_require setpriv unshare nsenter timeout
	api_dmesg_mark
	NS=$(api_ns p)
	api_ns_add "$NS"
	ip -n "$NS" link add p0 type veth peer name p1
	ip -n "$NS" link set p0 up
	ip -n "$NS" link set p1 up
	ip netns exec "$NS" fpctl enable dev p0
	ip netns exec "$NS" fpctl rule add pref 100 proto udp dport 53 action bypass
	ip netns exec "$NS" fpctl rule add pref 200 src 10.0.0.0/8 action accelerate
	ip netns exec "$NS" fpctl config set udp-timeout 45
	BEFORE=$(api_snapshot "$NS")
}

teardown() {
	api_ns_del "$NS"
}

# Run "fpctl ARGS" as nobody: it must fail with exactly EPERM's message.
denied() {
	run --separate-stderr api_nobody "$NS" fpctl "$@"
	[ "$status" -ne 0 ] || fail "fpctl $* succeeded as nobody"
	assert_equal "$stderr" "Error: Operation not permitted"
}

# The monitor of "$@" (a command prefix: namespace, privileges) for 3 s:
# status 124 when it joined the group and ran until timeout stopped it.
monitor_for_3s() {
	run --separate-stderr "$@" timeout 3 fpctl monitor
}

# Run a command as nobody in a user namespace of its own ($1: "" for a new
# network namespace too, or the network namespace to stay in).  The kernel
# refuses to create a user namespace from a chroot, and the VM runs the tests
# chrooted into the host's root, which PID 1 (tests/vm/init) mounted on its
# /root: from PID 1's root, a mount namespace of our own gets that mount
# moved onto its root (as switch_root does), and the command runs there.
userns_nobody() {
	local netns=$1 unshare=(unshare -Ur)
	shift
	[ -n "$netns" ] || unshare+=(-n)
	nsenter -t 1 -r -w /bin/busybox unshare -m --propagation private \
		/bin/busybox sh -c 'cd /root && /bin/busybox mount -o move . / &&
			exec /bin/busybox chroot . "$@"' sh \
		"$(command -v nsenter)" ${netns:+--net=/run/netns/$netns} \
		"$(command -v setpriv)" --reuid 65534 --regid 65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all -- "${unshare[@]}" "$@"
}

@test "nobody: every change is refused with Operation not permitted" {
	denied enable dev p1
	denied disable dev p0
	denied rule add pref 300 proto tcp action bypass
	denied rule add action accelerate
	denied rule del pref 100
	denied rule flush
	denied flow flush
	denied flow flush proto udp
	denied config set flow-limit 10
	denied config set udp-timeout 1
	denied -j rule flush

	assert_equal "$(api_snapshot "$NS")" "$BEFORE"
	api_dmesg_clean
}

@test "nobody: flow dumps and lookups are refused, as for conntrack; root reads them" {
	denied flow show
	denied -j flow show
	denied flow show proto udp dev p0
	denied flow get proto udp src 10.0.0.1 dst 10.0.0.2 sport 1 dport 2

	run --separate-stderr ip netns exec "$NS" fpctl -j flow show
	assert_success
	assert_equal "$output" "[]"
	run --separate-stderr ip netns exec "$NS" fpctl flow get proto udp \
		src 10.0.0.1 dst 10.0.0.2 sport 1 dport 2
	assert_failure
	assert_equal "$stderr" "Error: flow not found"
}

@test "nobody: the monitor group is refused; root joins it" {
	monitor_for_3s api_nobody "$NS"
	assert_equal "$status" 1
	assert_equal "$stderr" "Error: cannot join the monitor group: Operation not permitted"

	monitor_for_3s ip netns exec "$NS"
	assert_equal "$status" 124
	assert_equal "$stderr" ""
}

@test "nobody: device, rule, stats and config reads work and show the same as for root" {
	local cmd
	for cmd in "dev show" "rule show" "stats" "config show"; do
		# shellcheck disable=SC2086
		run --separate-stderr api_nobody "$NS" fpctl -j $cmd
		assert_success
		assert_equal "$stderr" ""
		echo "$output" | jq -e . >/dev/null
		# shellcheck disable=SC2086
		run --separate-stderr api_nobody "$NS" fpctl $cmd
		assert_success
		assert_equal "$stderr" ""
	done

	run api_nobody "$NS" fpctl -j rule show
	assert_equal "$(echo "$output" | jq -S 'map(del(.hits))')" \
		"$(ip netns exec "$NS" fpctl -j rule show | jq -S 'map(del(.hits))')"
	run api_nobody "$NS" fpctl -j config show
	assert_equal "$(echo "$output" | jq -S .)" \
		"$(ip netns exec "$NS" fpctl -j config show | jq -S .)"
	run api_nobody "$NS" fpctl -j dev show
	echo "$output" | jq -e 'map(.ifname) == ["p0"]'
	assert_equal "$(api_snapshot "$NS")" "$BEFORE"
}

@test "nobody: fpctl -n cannot enter a namespace" {
	run --separate-stderr api_nobody "" fpctl -n "$NS" rule flush
	[ "$status" -ne 0 ]
	assert_equal "$stderr" "Error: cannot enter network namespace \"$NS\": Operation not permitted"
	assert_equal "$(api_snapshot "$NS")" "$BEFORE"
}

@test "user namespace: its owner manages its own network namespace, flows and monitor included" {
	run --separate-stderr userns_nobody "" bash -c '
		ip link add u0 type veth peer name u1 &&
		ip link set u0 up && ip link set u1 up &&
		fpctl enable dev u0 >/dev/null &&
		fpctl rule add pref 10 proto udp action bypass &&
		fpctl config set udp-timeout 60 &&
		fpctl -j dev show && fpctl -j rule show && fpctl -j flow show &&
		fpctl flow flush && fpctl rule flush || exit
		timeout 3 fpctl monitor
		echo "monitor $?"'
	assert_success
	assert_line --index 0 --regexp '^\[\{"ifindex":[0-9]+,"ifname":"u0","enabled":true,'
	assert_line --index 1 --regexp '^\[\{"pref":10,'
	assert_line --index 2 "[]"
	assert_line --index 3 "Flushed 0 flows"
	assert_line --index 4 "monitor 124"
	# Nothing of it reached root's namespace.
	assert_equal "$(api_snapshot "$NS")" "$BEFORE"
	api_dmesg_clean
}

@test "user namespace: its owner cannot enter, change or read a namespace it does not own" {
	# From its own network namespace, root's cannot be entered.
	run --separate-stderr userns_nobody "" fpctl -n "$NS" flow show
	assert_failure
	assert_equal "$stderr" "Error: cannot enter network namespace \"$NS\": Operation not permitted"

	# Already in root's (its socket there), no capability counts.
	local cmd
	for cmd in "flow show" "flow flush" "enable dev p1" "rule flush" \
		"config set udp-timeout 1"; do
		# shellcheck disable=SC2086
		run --separate-stderr userns_nobody "$NS" fpctl $cmd
		assert_failure
		assert_equal "$stderr" "Error: Operation not permitted"
	done
	monitor_for_3s userns_nobody "$NS"
	assert_equal "$status" 1
	assert_equal "$stderr" "Error: cannot join the monitor group: Operation not permitted"
	# Open reads stay open.
	run --separate-stderr userns_nobody "$NS" fpctl -j dev show
	assert_success
	echo "$output" | jq -e 'map(.ifname) == ["p0"]'
	assert_equal "$(api_snapshot "$NS")" "$BEFORE"
}
