#!/usr/bin/env bats
# Permissions: an unprivileged user (uid/gid 65534, no groups, no
# capabilities) may read everything and change nothing.
#
#   41-permission-p
#     p0 (enabled) -- p1 (not enabled)     veth pair, rules 100 and 200
#
# Changes are attempted from inside the namespace (ip netns exec as root,
# then setpriv drops to nobody), so only the kernel's permission check can
# stop them.

load ../lib/api

setup() {
	api_require setpriv
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

@test "nobody: reads work and show the same as for root" {
	local cmd
	for cmd in "dev show" "rule show" "stats" "flow show" "config show"; do
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
