#!/usr/bin/env bats
# Network namespaces: every namespace has its own devices, rules, flows,
# statistics and configuration.
#
#   A = the standard topology's router (UDP connections flow through it):
#     c (c0 10.0.1.2) -- (r0 10.0.1.1) r (r1 10.0.2.1) -- (s0 10.0.2.2) s
#   B = a namespace of its own:
#     b0 -- b1 (veth, both ends in B)

load ../lib/api

setup_file() {
	api_require cc nft
	api_build udp-flows
}

setup() {
	api_dmesg_mark
	topo_setup
	A=$NS_R
	B=$(api_ns b)
	api_ns_add "$B"
	ip -n "$B" link add b0 type veth peer name b1
	ip -n "$B" link set b0 up
	ip -n "$B" link set b1 up
	api_flows_prepare
}

teardown() {
	topo_teardown
	api_ns_del "$B"
}

a() { ip netns exec "$A" fpctl "$@"; }
b() { ip netns exec "$B" fpctl "$@"; }

@test "netns: devices enabled in one namespace are not in the other" {
	a enable dev r0
	a enable dev r1
	b -j dev show | jq -e '. == []'
	b enable dev b0
	a -j dev show | jq -e 'map(.ifname) | sort == ["r0", "r1"]'
	b -j dev show | jq -e 'map(.ifname) == ["b0"]'
	# Names resolve in the caller's namespace only: r0 of A is not B's,
	# so B's enablement of r0 waits for a device of that name in B.
	run --separate-stderr b enable dev r0
	assert_success
	assert_equal "$stderr" "Warning: no such device yet: enabled when it appears"
	assert_equal "$(b -j dev show | jq -c 'map([.ifname, .state])')" '[["b0","enabled"],["r0","waiting"]]'
	assert_equal "$(a -j dev show | jq -c 'map([.ifname, .state])')" '[["r0","enabled"],["r1","enabled"]]'
	b disable dev r0
	b disable dev b0
	b -j dev show | jq -e '. == []'
	a -j dev show | jq -e 'length == 2'
}

@test "netns: rules and config are per namespace" {
	a rule add pref 10 proto udp dport 53 action bypass
	a rule add pref 20 src 10.0.0.0/8 action accelerate
	b -j rule show | jq -e '. == []'
	# The same pref is free in B.
	b rule add pref 10 proto tcp action accelerate
	a -j rule show | jq -e 'map(.pref) == [10, 20] and .[0].proto == "udp"'
	b -j rule show | jq -e 'map(.pref) == [10] and .[0].proto == "tcp"'
	b rule flush
	b -j rule show | jq -e '. == []'
	a -j rule show | jq -e 'length == 2'

	local default
	default=$(b -j config show)
	a config set udp-timeout 77
	a -j config show | jq -e '.udp_timeout == 77'
	assert_equal "$(b -j config show)" "$default"
}

@test "netns: flows and stats stay in their namespace" {
	a enable dev r0
	a enable dev r1
	b enable dev b0
	api_connections 20
	sleep 1
	api_expect_flows "$A" 20
	a -j flow show | jq -e 'length == 20'
	b -j flow show | jq -e '. == []'
	a -j stats | jq -e '.flows_active == 20 and .flows_learned >= 20'
	# (B counts its own slow packets: b1's IPv6 solicitations reach b0.)
	b -j stats | jq -e '.flows_active == 0 and .flows_learned == 0 and
		.fast_packets == 0 and .fast_bytes == 0'
	b -j dev show | jq -e '.[0].rx_packets == 0 and .[0].tx_packets == 0'
	run b flow flush
	assert_success
	assert_output --regexp '(^|[^0-9])0([^0-9]|$)'
	a -j flow show | jq -e 'length == 20'
	run a flow flush
	assert_success
	assert_output --regexp '(^|[^0-9])20([^0-9]|$)'
	a -j flow show | jq -e '. == []'
}

@test "netns: fpctl -n NS is the same as ip netns exec NS fpctl" {
	a enable dev r0
	a enable dev r1
	a rule add pref 5 dst 10.0.2.0/24 proto udp action accelerate
	a config set tcp-timeout 123
	api_connections 5
	api_expect_flows "$A" 5
	local cmd
	for cmd in "rule show" "config show"; do
		# shellcheck disable=SC2086
		assert_equal "$(fpctl -n "$A" -j $cmd)" "$(a -j $cmd)"
	done
	# Devices: the same ones (neighbour discovery moves slow_packets).
	assert_equal "$(fpctl -n "$A" -j dev show | jq -c 'map(del(.slow_packets))')" \
		"$(a -j dev show | jq -c 'map(del(.slow_packets))')"
	# Flows: the same set (ages move between the two calls).
	assert_equal "$(fpctl -n "$A" -j flow show | jq -c 'map(.id) | sort')" \
		"$(a -j flow show | jq -c 'map(.id) | sort')"
	assert_equal "$(fpctl -n "$A" -j stats | jq .flows_active)" "5"
	# And the current namespace saw none of it.
	fpctl -j rule show | jq -e 'map(select(.pref == 5 and .dst == "10.0.2.0/24")) == []'
}

@test "netns: deleting namespaces with devices, rules and flows is clean" {
	a enable dev r0
	a enable dev r1
	a rule add pref 1 proto tcp action bypass
	b enable dev b0
	b rule add pref 1 proto udp action bypass
	api_connections 50
	a -j flow show | jq -e 'length == 50'
	topo_teardown
	api_ns_del "$B"
	# Namespace cleanup runs asynchronously (cleanup_net).
	sleep 3
	api_dmesg_clean
	# The module still works afterwards.
	fpctl -j stats | jq -e 'type == "object"'
}
