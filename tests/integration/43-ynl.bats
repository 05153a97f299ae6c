#!/usr/bin/env bats
# An independent client proves the contract: the kernel's own YNL CLI
# (tools/net/ynl/cli.py from linux-source-6.12), driven only by
# uapi/fastpath.yaml, configures the router and reads it back, and what it
# sees agrees with fpctl -j.  (Whether the spec passes the kernel's schema is
# checked on the host, tests/host/uapi.bats.)
#
#   c (c0 10.0.1.2) -- (r0 10.0.1.1) r (r1 10.0.2.1) -- (s0 10.0.2.2) s
#   YNL and fpctl both talk to the module in r.

load ../lib/api

setup_file() {
	api_require cc nft
	api_build udp-flows
	YNL_DIR=$(api_ynl_dir) || fail "cannot extract the YNL tools"
	export YNL_DIR
	ynl_serve_start
}

teardown_file() {
	ynl_serve_stop
	topo_teardown
}

setup() {
	api_dmesg_mark
	topo_setup
	api_flows_prepare
	r fpctl config set udp-timeout 300
}

teardown() {
	topo_teardown
}

yr() { ynl "$NS_R" "$@"; }

# Every number of $2 lies between the same number in $1 and in $3, and the
# three have the same numeric members.
monotonic() {
	jq -n -e --argjson a "$1" --argjson y "$2" --argjson b "$3" '
		($a | [paths(numbers)] | sort) as $p
		| ($y | [paths(numbers)] | sort) == $p
		and ($b | [paths(numbers)] | sort) == $p
		and all($p[]; . as $q
			| ($a | getpath($q)) <= ($y | getpath($q))
			and ($y | getpath($q)) <= ($b | getpath($q)))'
}

@test "ynl: version-get matches fpctl -V" {
	run yr --do version-get
	assert_success
	local v
	v=$(echo "$output" | jq -r .version)
	run fpctl -V
	assert_output --partial "module $v"
}

@test "ynl: dev-set enables and disables, dev-get agrees with fpctl" {
	local r1
	r1=$(r cat /sys/class/net/r1/ifindex)
	yr --do dev-set --json '{"ifname": "r0", "enabled": 1}'
	yr --do dev-set --json "{\"ifindex\": $r1, \"enabled\": 1}"
	local before y after counters='map(del(.rx_packets, .rx_bytes, .tx_packets, .tx_bytes, .slow_packets))'
	before=$(r fpctl -j dev show | jq -S 'sort_by(.ifindex)')
	run yr --dump dev-get
	assert_success
	y=$(echo "$output" | ynl_as_fpctl dev "$NS_R" | jq -S 'sort_by(.ifindex)')
	after=$(r fpctl -j dev show | jq -S 'sort_by(.ifindex)')
	# Same devices; counters (neighbour discovery moves them) in between.
	assert_equal "$(echo "$y" | jq -c "$counters")" "$(echo "$after" | jq -c "$counters")"
	monotonic "$before" "$y" "$after"
	echo "$after" | jq -e 'map(.ifname) == ["r0", "r1"] and all(.enabled)'

	run yr --do dev-get --json '{"ifname": "r1"}'
	assert_success
	echo "$output" | jq -e ".ifindex == $r1 and .ifname == \"r1\" and .enabled == 1"

	yr --do dev-set --json '{"ifname": "r0", "enabled": 0}'
	r fpctl -j dev show | jq -e 'map(.ifname) == ["r1"]'
	run yr --dump dev-get
	echo "$output" | jq -e 'map(.ifname) == ["r1"]'
}

@test "ynl: rule-new, rule-get, rule-del agree with fpctl" {
	local r0
	r0=$(r cat /sys/class/net/r0/ifindex)
	yr --do rule-new --json '{"pref": 10, "action": "bypass", "proto": 17, "dport-min": 53, "dport-max": 53}'
	yr --do rule-new --json '{"pref": 20, "action": "accelerate", "family": 2, "src": "0a000100", "src-len": 24, "dst": "0a000000", "dst-len": 8}'
	yr --do rule-new --json '{"pref": 30, "action": "bypass", "family": 10, "dst": "fd000002000000000000000000000000", "dst-len": 64, "proto": 6, "sport-min": 1000, "sport-max": 2000}'
	yr --do rule-new --json "{\"pref\": 40, \"action\": \"accelerate\", \"iif\": $r0, \"dscp\": 46, \"mark\": 16, \"mark-mask\": 240}"
	r fpctl rule add pref 50 oif r1 proto tcp dport 80-443 action bypass

	local y f
	run yr --dump rule-get
	assert_success
	y=$(echo "$output" | ynl_as_fpctl rule "$NS_R" | jq -S .)
	f=$(r fpctl -j rule show | jq -S .)
	assert_equal "$y" "$f"
	echo "$f" | jq -e 'map(.pref) == [10, 20, 30, 40, 50]'
	echo "$f" | jq -e '.[1].src == "10.0.1.0/24" and .[1].dst == "10.0.0.0/8" and .[1].family == 4'
	echo "$f" | jq -e '.[2].dst == "fd00:2::/64" and .[2].sport_min == 1000 and .[2].sport_max == 2000'
	echo "$f" | jq -e '.[3].iif == "r0" and .[3].dscp == 46 and .[3].mark == 16 and .[3].mark_mask == 240'

	run yr --do rule-get --json '{"pref": 50}'
	assert_success
	echo "$output" | jq -e '.pref == 50 and .action == "bypass" and ."dport-min" == 80 and ."dport-max" == 443'

	# A duplicate pref is refused with the kernel's message, nothing changes.
	run yr --do rule-new --json '{"pref": 10, "action": "accelerate"}'
	assert_failure
	assert_output --partial "Netlink error: File exists"
	assert_output --regexp "extack: .*'msg': '[^']+'"
	assert_equal "$(r fpctl -j rule show | jq -S .)" "$f"

	yr --do rule-del --json '{"pref": 30}'
	r fpctl -j rule show | jq -e 'map(.pref) == [10, 20, 40, 50]'
	yr --do rule-flush
	r fpctl -j rule show | jq -e '. == []'
}

@test "ynl: flow-get dump, flow-get do and flow-flush agree with fpctl" {
	r fpctl enable dev r0
	r fpctl enable dev r1
	# Twice: the second round moves packets on the fast path.
	api_connections 10
	api_connections 10
	api_expect_flows "$NS_R" 10

	local before y after
	before=$(r fpctl -j flow show | jq -S 'sort_by(.id) | map(del(.age_ms, .orig.idle_ms, .reply.idle_ms))')
	run yr --dump flow-get
	assert_success
	y=$(echo "$output" | ynl_as_fpctl flow "$NS_R" |
		jq -S 'sort_by(.id) | map(del(.age_ms, .orig.idle_ms, .reply.idle_ms))')
	after=$(r fpctl -j flow show | jq -S 'sort_by(.id) | map(del(.age_ms, .orig.idle_ms, .reply.idle_ms))')
	# Same flows, same tuples; counters within what fpctl saw around it.
	assert_equal "$(echo "$y" | jq -c 'map(del(.orig.packets, .orig.bytes, .reply.packets, .reply.bytes))')" \
		"$(echo "$before" | jq -c 'map(del(.orig.packets, .orig.bytes, .reply.packets, .reply.bytes))')"
	echo "$y" | jq -e 'length == 10'
	monotonic "$before" "$y" "$after"
	echo "$y" | jq -e 'all(.[]; .proto == "udp" and .orig.src == "10.0.1.2" and .orig.dst == "10.0.2.2")'

	# A dump's filter is refused with a message on every kernel (6.1 does
	# not add the attribute's offset to the end of a dump, 6.12 does).
	run yr --dump flow-get --json '{"src-len": 8}'
	assert_failure
	assert_output --partial "'msg': 'prefix length needs an address'"

	# Lookup by the tuple of one of them.
	local sport
	sport=$(echo "$y" | jq '.[0].orig.sport')
	run yr --do flow-get --json "{\"family\": 2, \"proto\": 17, \"src\": \"0a000102\", \"dst\": \"0a000202\", \"sport\": $sport, \"dport\": 7000}"
	assert_success
	assert_equal "$(echo "$output" | jq .id)" "$(echo "$y" | jq '.[0].id')"

	run yr --do flow-flush --json '{}'
	assert_success
	echo "$output" | jq -e '.count == 10'
	r fpctl -j flow show | jq -e '. == []'
}

@test "ynl: stats-get and config-get agree with fpctl, config-set is seen by fpctl" {
	r fpctl enable dev r0
	r fpctl enable dev r1
	# Learned on the second round, verified on the third (their checksums
	# are partial on veth: the next packet is compared with its payload),
	# fast from then on.
	api_connections 10
	api_connections 10
	api_connections 10
	api_connections 10

	local before y after
	before=$(r fpctl -j stats)
	run yr --do stats-get
	assert_success
	y=$(echo "$output" | ynl_as_fpctl stats)
	after=$(r fpctl -j stats)
	monotonic "$(echo "$before" | jq 'del(.memory)')" "$(echo "$y" | jq 'del(.memory)')" \
		"$(echo "$after" | jq 'del(.memory)')"
	echo "$y" | jq -e '.flows_active == 10 and .fast_packets > 0 and (.exceptions | type) == "object"'

	run yr --do config-get
	assert_success
	assert_equal "$(echo "$output" | ynl_as_fpctl config | jq -S .)" "$(r fpctl -j config show | jq -S .)"

	yr --do config-set --json '{"flow-limit": 5000, "tcp-timeout": 600, "udp-timeout": 60, "stats-interval": 2500}'
	r fpctl -j config show | jq -e '.flow_limit == 5000 and .tcp_timeout == 600 and
		.udp_timeout == 60 and .stats_interval == 2500'
	# Below the policy's minimum: refused, unchanged.
	run yr --do config-set --json '{"stats-interval": 99}'
	assert_failure
	r fpctl -j config show | jq -e '.stats_interval == 2500'
	# Over the longest timeout (FASTPATH_TIMEOUT_MAX): refused, naming the
	# attribute, unchanged; the longest itself is taken.
	run yr --do config-set --json '{"tcp-timeout": 1000001}'
	assert_failure
	assert_output --regexp "extack: .*'bad-attr': '\.tcp-timeout'"
	r fpctl -j config show | jq -e '.tcp_timeout == 600'
	yr --do config-set --json '{"udp-timeout": 1000000}'
	r fpctl -j config show | jq -e '.udp_timeout == 1000000'
	api_dmesg_clean
}
