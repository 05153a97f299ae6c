#!/usr/bin/env bats
# IPv4 flow removal under NAT, with traffic: each event removes the flows it
# concerns with its reason, as `fpctl monitor` (running for the whole file)
# reports, and the connection goes on and is learned again; rules keep
# flows off the fast path; a full table refuses; devices and the router's
# namespace deleted under traffic leave a clean kernel.
#
#   c                        r (masquerade out of r1)            s
#   c0 10.0.1.2/24 ------- r0 10.0.1.1    r1 10.0.2.1 ------- s0 10.0.2.2/24
#   c1 10.0.4.2/24 ------- r3 10.0.4.1    (made and deleted     UDP echo 7000,
#                          by one test: DNAT to s)              TCP echo 7001
#   fpctl -j monitor flow in r from setup_file to teardown_file.
#   Each test has its own client ports (41xx).

bats_require_minimum_version 1.5.0
load ../lib/ipv6

setup_file() {
	[ -d /sys/module/fastpath ] || fail "fastpath module is not loaded"
	require python3 gojq
	topo_setup
	topo_masquerade
	fp_enable_router
	nettool "$NS_S" udp-echo 7000 >/dev/null 2>&1 3>&- &
	wait_listen "$NS_S" udp 7000
	fpctl -n "$NS_R" -j monitor flow >"$BATS_FILE_TMPDIR/monitor.json" 3>&- &
	echo "$!" >"$BATS_FILE_TMPDIR/monitor.pid"
	sleep 0.5
}

teardown_file() {
	kill "$(cat "$BATS_FILE_TMPDIR/monitor.pid")" 2>/dev/null || true
	topo_teardown
}

# nettool in namespace $1 in the background until the test ends (v6_bg).
ev_tool() {
	local ns=$1
	shift
	v6_bg "$ns" "${PYTOOL[@]}" "$FASTPATH_TOP/tests/lib/nettool.py" "$@" >/dev/null
}

# Echoed UDP datagrams from c's port $1 to s:7000 (default 4; more
# arguments: nettool udp-send steps).
ev_udp() {
	local sport=$1
	shift
	run -0 nettool "$NS_C" udp-send 10.0.2.2 7000 --sport "$sport" "${@:-4}"
	echo "$output"
}

# The monitor reported the removal of that flow, for reason $3 (and for no
# other reason before it), each of its offloaded directions (those with an
# oif) stopped, why removing: a flow is stopped before it leaves the
# table, so that conntrack is ready for the packets that then miss it.
ev_removed() {
	local i del
	for i in $(seq 1 75); do
		del=$(jq -r --arg p "$1" --argjson s "$2" \
			'select(.event == "del" and .proto == $p and .orig.sport == $s) |
			 "\(.reason), offloaded directions not stopped: " +
			 ([.orig, .reply] | map(select((.oif != null or .why == "offloaded" or
							.why == "verifying") and .why != "removing")) |
			  length | tostring)' \
			"$BATS_FILE_TMPDIR/monitor.json" | head -n1)
		[ -z "$del" ] || break
		sleep 0.2
	done
	assert_equal "removal of the $1 flow from port $2: $del" \
		"removal of the $1 flow from port $2: $3, offloaded directions not stopped: 0"
}

# What flow explain says of direction $3 of c's UDP connection from port $1
# ($2: its destination port): "why" or "why detail".
ev_explain() {
	fpctl -n "$NS_R" -j flow explain proto udp src 10.0.1.2 dst 10.0.2.2 sport "$1" dport "$2" |
		jq -r --arg d "$3" 'if type == "array" then first else . end | .[$d] |
			.why + (if (.why_detail // 0) != 0 then " \(.why_detail)" else "" end)'
}

# The life of one flow: learned from UDP port $1, event $3... happens,
# removed for reason $2, learned again (under the same NAT mapping).
ev_cycle() {
	local sport=$1 reason=$2 before after
	shift 2
	ev_udp "$sport"
	before=$(fp_offloaded_flow udp "$sport")
	"$@"
	ev_removed udp "$sport" "$reason"
	ev_udp "$sport"
	after=$(fp_offloaded_flow udp "$sport")
	assert_equal "$(jq -c '.reply | {dst, dport}' <<<"$after")" \
		"$(jq -c '.reply | {dst, dport}' <<<"$before")"
}

# A test that changed the configuration leaves the defaults behind it,
# also when it failed (the next ones would time out or be refused).
teardown() {
	[ -z "${CONFIG_SET:-}" ] ||
		r fpctl config set udp-timeout 30 tcp-timeout 300 flow-limit 65536 verify-interval 0
	if [ -n "${ROUTE_SET:-}" ]; then
		v6_stop_bg
		# The nexthops first: their routes go with them.
		r ip nexthop flush >/dev/null || :
		r ip route flush 10.0.2.2/32 || :
		r ip route flush 198.51.100.0/24 || :
		r ip neigh del 10.0.2.3 dev r1 2>/dev/null || :
		r nft delete table netdev fp_oneway 2>/dev/null || :
	fi
}

@test "events: fpctl flow flush removes the flow (flush)" {
	ev_cycle 4101 flush fpctl -n "$NS_R" flow flush proto udp sport 4101
}

@test "events: conntrack -D of one entry removes its flow only (conntrack)" {
	ev_udp 4120
	fp_offloaded_flow udp 4120 >/dev/null
	ev_cycle 4102 conntrack r conntrack -D -p udp --orig-port-src 4102
	# The other connection was not touched (on a slow kernel it may have
	# idled out meanwhile: 30 s).
	assert_equal "$(jq -c 'select(.event == "del" and .orig.sport == 4120 and
		.reason != "idle")' "$BATS_FILE_TMPDIR/monitor.json")" ""
	fp_offloaded_flow udp 4120 >/dev/null
}

@test "events: ip neigh del of the next hop removes the flow (neigh)" {
	ev_cycle 4103 neigh r ip neigh del 10.0.2.2 dev r1
}

@test "events: a route that no longer forwards the flow's packets removes it (route)" {
	ROUTE_SET=1
	unreachable() {
		r ip route add unreachable 10.0.2.2/32
		# r answers them with ICMP errors: not echoed.  Over 2 s, so
		# that some come after a GC pass found the first unverified.
		ev_udp 4104 5:echo=0,rate=2
		ev_removed udp 4104 route
		r ip route del unreachable 10.0.2.2/32
	}
	ev_cycle 4104 route unreachable
}

# Any route change makes every IPv4 route of r stale.  A direction the
# stack still forwards out of the same device to the same next hop is
# verified on its next packet and takes the new route: the flow stays.
@test "events: route changes that leave the flow's forwarding as it was keep the flow, verified on the new route" {
	local before after passed0 sender
	ROUTE_SET=1
	r ip route add 10.0.2.2/32 dev r1 proto static
	ev_udp 4130
	before=$(fp_offloaded_flow udp 4130)
	passed0=$(fp_stat verify_passed)
	# 6 s of datagrams (echoed by s) across the changes: an unrelated
	# route, and the flow's own deleted (the connected 10.0.2.0/24 routes
	# s as it did).
	ev_tool "$NS_C" udp-send 10.0.2.2 7000 --sport 4130 120:echo=0,rate=20
	sender=$V6_BG_LAST
	sleep 1
	r ip route add 198.51.100.0/24 via 10.0.2.2
	r ip route del 10.0.2.2/32 dev r1
	wait "$sender" || fail "the sender from port 4130 failed"
	after=$(fp_offloaded_flow udp 4130)
	assert_equal "flow id $(jq .id <<<"$after")" "flow id $(jq .id <<<"$before")"
	assert_equal "$(jq -c 'select(.event == "del" and .orig.sport == 4130)' \
		"$BATS_FILE_TMPDIR/monitor.json")" ""
	# Each direction verified on the new route, then fast again (s echoes
	# every datagram).
	[ "$(fp_stat verify_passed)" -ge $((passed0 + 2)) ] ||
		fail "verify_passed went from $passed0 to $(fp_stat verify_passed)"
	[ "$(jq .orig.packets <<<"$after")" -ge $(($(jq .orig.packets <<<"$before") + 110)) ] ||
		fail "c's datagrams did not stay on the fast path: before $before, after $after"
	[ "$(jq .reply.packets <<<"$after")" -ge $(($(jq .reply.packets <<<"$before") + 110)) ] ||
		fail "s's echoes did not stay on the fast path: before $before, after $after"
}

# The reverse of a one-way stream has no packet to verify it on the new
# route, and a verification round (here every second) holds it: the flow
# stays, its busy direction on the new route, and once idle as well.
@test "events: a route change keeps a one-way stream's flow, its idle reverse held by verification rounds" {
	local before after idle
	ROUTE_SET=1
	CONFIG_SET=1
	ev_udp 4134
	before=$(fp_offloaded_flow udp 4134)
	# s's answers go no further than r1 from here on (before fastpath's
	# hook, priority 0; s's echo server must not see its sends fail).
	r nft add table netdev fp_oneway
	r nft add chain netdev fp_oneway in '{ type filter hook ingress device "r1" priority -100; }'
	r nft add rule netdev fp_oneway in udp sport 7000 udp dport 4134 drop
	r fpctl config set verify-interval 1
	ev_tool "$NS_C" udp-send 10.0.2.2 7000 --sport 4134 200:echo=0,rate=20
	sleep 3
	r ip route add 198.51.100.0/24 via 10.0.2.2
	# 7 s more of the stream: past the 5 s a held direction's flow may
	# go without a fast packet.
	wait "$V6_BG_LAST" || fail "the sender from port 4134 failed"
	after=$(fp_flows | jq -c '.[] | select(.orig.sport == 4134)')
	# Then idle, the reverse still on its stale route, held by every
	# round: no packet came on it, so it waits for one (or its timeout),
	# past the 5 s a flow that got one may go without a fast packet.
	sleep 7
	idle=$(fp_flows | jq -c '.[] | select(.orig.sport == 4134)')
	r fpctl config set verify-interval 0
	r nft delete table netdev fp_oneway
	assert_equal "$(jq -c 'select(.event == "del" and .orig.sport == 4134)' \
		"$BATS_FILE_TMPDIR/monitor.json")" ""
	assert_equal "flow id $(jq .id <<<"$after")" "flow id $(jq .id <<<"$before")"
	assert_equal "idle flow id $(jq .id <<<"$idle")" "idle flow id $(jq .id <<<"$before")"
	[ "$(jq .orig.packets <<<"$after")" -ge $(($(jq .orig.packets <<<"$before") + 150)) ] ||
		fail "c's datagrams did not stay on the fast path: before $before, after $after"
}

# What a changed route gives the flow's direction must be what learning
# would take: not another MTU, not a resilient nexthop group.
@test "events: a changed route with another MTU removes the flow (mtu); it is learned again" {
	ROUTE_SET=1
	route_mtu() {
		r ip route add 10.0.2.2/32 dev r1 mtu 1400
		ev_udp 4131 1
	}
	ev_cycle 4131 mtu route_mtu
}

@test "events: a changed route through another gateway on the flow's device removes the flow (route); it is learned again" {
	ROUTE_SET=1
	gateway() {
		# The gateway's MAC is s's: s still gets, and echoes, c's datagrams.
		r ip neigh replace 10.0.2.3 dev r1 lladdr "$(s cat /sys/class/net/s0/address)" \
			nud permanent
		r ip route add 10.0.2.2/32 via 10.0.2.3 dev r1
		ev_udp 4133 1
	}
	ev_cycle 4133 route gateway
}

@test "events: a changed route through a resilient nexthop group removes the flow (route), which stays off" {
	ROUTE_SET=1
	ev_udp 4132
	fp_offloaded_flow udp 4132 >/dev/null
	r ip nexthop add id 51 via 10.0.2.2 dev r1
	r ip nexthop add id 52 group 51 type resilient buckets 8
	r ip route add 10.0.2.2/32 nhid 52
	ev_udp 4132 1
	ev_removed udp 4132 route
	ev_udp 4132 2
	assert_equal "$(ev_explain 4132 7000 orig)" route
}

@test "events: r1's MTU changed removes the flow (mtu)" {
	mtu_change() {
		r ip link set r1 mtu 1400
		r ip link set r1 mtu 1500
	}
	ev_cycle 4105 mtu mtu_change
}

@test "events: r1 loses its carrier, still administratively up (dev)" {
	carrier_loss() {
		s ip link set s0 down
		run -0 r ip -j link show r1
		echo "$output"
		jq -e '.[0].flags | index("UP") != null and index("NO-CARRIER") != null' <<<"$output"
		sleep 0.5
		# Down took s's IPv6 address and its routes with it.
		ip -n "$NS_S" -b - <<-'EOF'
		link set s0 up
		addr add fd00:2::2/64 dev s0 nodad
		route replace default via 10.0.2.1
		route replace default via fd00:2::1
		EOF
		topo_wait_reachable
	}
	ev_cycle 4106 dev carrier_loss
}

# Rules match a direction's tuple: "sport 4107" is c's direction only.
@test "events: a bypass rule evicts the offloaded flow (rule); its direction is not learned again" {
	ev_udp 4107
	fp_offloaded_flow udp 4107 >/dev/null
	r fpctl rule add pref 10 proto udp sport 4107 action bypass
	ev_removed udp 4107 rule
	ev_udp 4107 6
	assert_equal "$(ev_explain 4107 7000 orig)" "rule 10"
	assert_equal "$(fp_flows | jq '[.[] | select(.orig.sport == 4107 and .orig.offloaded)] | length')" 0
	r fpctl rule del pref 10
}

@test "events: rules match DSCP and mark: those directions are never learned, the others are" {
	r nft add table ip evmark
	r nft add chain ip evmark forward '{ type filter hook forward priority mangle; }'
	r nft add rule ip evmark forward udp sport 4110 meta mark set 5
	r fpctl rule add pref 11 dscp 10 action bypass
	r fpctl rule add pref 12 mark 5 action bypass
	ev_udp 4108 6:tos=0x28
	ev_udp 4109 6:tos=0x20
	ev_udp 4110 6
	assert_equal "$(ev_explain 4108 7000 orig)" "rule 11"
	assert_equal "$(ev_explain 4110 7000 orig)" "rule 12"
	fp_offloaded_flow udp 4109 >/dev/null
	assert_equal "$(fp_flows | jq -c '.[] | select((.orig.sport == 4108 or .orig.sport == 4110) and
		.orig.offloaded)')" ""
	r fpctl rule del pref 11
	r fpctl rule del pref 12
	r nft delete table ip evmark
}

@test "events: idle UDP and TCP flows time out (idle)" {
	local hold=$BATS_TEST_TMPDIR/hold
	# Long enough for a busy guest to see each flow offloaded before it
	# goes: the TCP one is idle from its 8th round on.
	CONFIG_SET=1
	r fpctl config set udp-timeout 4 tcp-timeout 4
	ev_tool "$NS_S" tcp-echo 7001
	wait_listen "$NS_S" tcp 7001
	ev_tool "$NS_C" tcp-many 10.0.2.2 7001 --flows 1 --sport 4121 --rounds 8 \
		--hold "$hold" --hold-after 8
	fp_offloaded_flow tcp 4121 >/dev/null
	ev_udp 4111
	fp_offloaded_flow udp 4111 >/dev/null
	# No packet: both go after their 4 s.
	ev_removed udp 4111 idle
	ev_removed tcp 4121 idle
	touch "$hold.go"
}

@test "events: a TCP connection that closes removes its flow (tcp-close)" {
	local hold=$BATS_TEST_TMPDIR/hold
	ev_tool "$NS_S" tcp-echo 7001
	wait_listen "$NS_S" tcp 7001
	ev_tool "$NS_C" tcp-many 10.0.2.2 7001 --flows 1 --sport 4122 --rounds 10 \
		--hold "$hold" --hold-after 6
	fp_offloaded_flow tcp 4122 >/dev/null
	touch "$hold.go"
	wait "$V6_BG_LAST" || fail "the TCP exchange failed"
	ev_removed tcp 4122 tcp-close
}

@test "events: a full table refuses a new connection (table-full), which explain names" {
	local full0 sender why=
	r fpctl flow flush
	CONFIG_SET=1
	r fpctl config set flow-limit 1
	ev_udp 4112
	fp_offloaded_flow udp 4112 >/dev/null
	full0=$(fp_stat exceptions.table_full)
	# A full table's refusal is kept a second after the packet it was made
	# on: explained while the connection sends (6 s at 10 datagrams/s).
	ev_tool "$NS_C" udp-send 10.0.2.2 7000 --sport 4113 60:echo=0,rate=10
	sender=$V6_BG_LAST
	while kill -0 "$sender" 2>/dev/null && [ "$why" != table-full ]; do
		why=$(ev_explain 4113 7000 orig)
	done
	wait "$sender" || fail "the sender from port 4113 failed"
	assert_equal "$why" "table-full"
	[ "$(fp_stat exceptions.table_full)" -gt "$full0" ] || fail "table_full did not rise"
	assert_equal "$(jq -c 'select(.event == "new" and .orig.sport == 4113)' \
		"$BATS_FILE_TMPDIR/monitor.json")" ""
	r fpctl config set flow-limit 65536
	ev_udp 4113
	fp_offloaded_flow udp 4113 >/dev/null
}

@test "events: an enabled ingress device deleted during a flood (dev), the kernel stays clean" {
	local dmesg0
	dmesg0=$(dmesg | wc -l)
	# A second way in, c1 -- r3: c sends to r3's address, which r turns
	# into s (s's echo answers from its own address, as conntrack expects).
	ip -n "$NS_C" link add c1 type veth peer name r3 netns "$NS_R"
	ip -n "$NS_C" -b - <<-'EOF'
	addr add 10.0.4.2/24 dev c1
	link set c1 up
	EOF
	ip -n "$NS_R" -b - <<-'EOF'
	addr add 10.0.4.1/24 dev r3
	link set r3 up
	EOF
	in_ns "$NS_R" nft -f - <<-'EOF'
	table ip evdnat {
		chain prerouting {
			type nat hook prerouting priority dstnat; policy accept;
			iifname "r3" udp dport 7000 dnat to 10.0.2.2
		}
	}
	EOF
	r fpctl enable dev r3
	run -0 nettool "$NS_C" udp-send 10.0.4.1 7000 --sport 4114 4
	ev_tool "$NS_C" udp-send 10.0.4.1 7000 --sport 4114 4000:echo=0,rate=1000
	sleep 1
	r ip link del r3
	ev_removed udp 4114 dev
	r nft delete table ip evdnat
	r fpctl disable dev r3
	# The rest of the router goes on.
	ev_cycle 4115 flush fpctl -n "$NS_R" flow flush proto udp sport 4115
	run -0 bash -c "dmesg | tail -n +$((dmesg0 + 1))"
	refute_output --regexp 'WARNING|BUG|Oops|refcount|corrupt'
}

# Last: it takes the router away.
@test "events: the router's namespace deleted during a flood, the module goes on" {
	local dmesg0
	dmesg0=$(dmesg | wc -l)
	ev_udp 4116
	fp_offloaded_flow udp 4116 >/dev/null
	ev_tool "$NS_C" udp-send 10.0.2.2 7000 --sport 4116 4000:echo=0,rate=1000
	sleep 1
	# Nothing may hold the namespace: its exit runs now, under the flood.
	kill "$(cat "$BATS_FILE_TMPDIR/monitor.pid")"
	ip netns pids "$NS_R" | xargs -r kill
	ip netns del "$NS_R"
	sleep 2
	[ -d /sys/module/fastpath ] || fail "the module went away"
	# A new namespace gets a fresh fastpath.
	ip netns add "$NS_R"
	ip -n "$NS_R" link add d0 type dummy
	run -0 fpctl -n "$NS_R" enable dev d0
	run -0 fpctl -n "$NS_R" -j flow show
	assert_output "[]"
	run -0 bash -c "dmesg | tail -n +$((dmesg0 + 1))"
	refute_output --regexp 'WARNING|BUG|Oops|refcount|corrupt'
}
