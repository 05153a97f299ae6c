#!/usr/bin/env bats
# Lifecycle under traffic: while a paced TCP stream runs c -> s on an
# offloaded flow, something invalidates the flow (conntrack flush, r1 down
# and up, an MTU change, fastpath disabled, the module reloaded).  The flow
# leaves the table, the stream goes on through the normal stack, a new flow
# is learned and takes the fast path again, and s receives every byte in
# order.  When s's MAC changes, the flow stays and its next hop follows the
# neighbour entry.  No stale MAC or route is ever used: a packet sent to
# the old MAC or the old MTU would be lost and stall the stream.  A route
# change that leaves the forwarding as it was keeps the flow.
#
#   c                         r                                       s
#   c0 fd00:1::2/64 ------- r0 fd00:1::1    r1 fd00:2::1 ------- s0 fd00:2::2/64
#                           fastpath on r0 and r1, conntrack      announces a new
#                           without NAT, keeps addresses on down  MAC (ndisc_notify)

load ../lib/ipv6

setup_file() {
	v6_setup track
	in_ns "$NS_R" sysctl -qw net.ipv6.conf.all.keep_addr_on_down=1 net.ipv6.conf.r1.keep_addr_on_down=1
	in_ns "$NS_S" sysctl -qw net.ipv6.conf.s0.ndisc_notify=1
}

wait_removed() {
	local i
	for i in $(seq 1 30); do
		[ "$(v6_stat flows_removed)" -gt "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# Run event $1 (a function) during a stream to port $2; afterwards wait for
# the flow to be learned again (a new flow id, unless the event clears
# OLD_ID) and to move packets on the fast path, then check the stream.
during_stream() {
	local event=$1 port=$2 flow fast removed
	xfer_start "$port" "$NS_C" "$NS_S" fd00:2::2 "$port" --rate 384
	flow=$(v6_wait_offloaded tcp "$port")
	OLD_ID=$(jq -r .id <<<"$flow")
	removed=$(v6_stat flows_removed)
	"$event"
	# A deleted conntrack entry is noticed by the once-a-second scan.
	[ -z "$OLD_ID" ] || wait_removed "$removed" || fail "$event removed no flow"
	flow=$(v6_wait_offloaded tcp "$port" "$OLD_ID")
	echo "re-learned: $flow"
	fast=$(v6_stat fast_packets)
	sleep 1
	[ "$(v6_stat fast_packets)" -gt "$((fast + 10))" ] ||
		fail "the re-learned flow does not take the fast path"
	xfer_finish "$port"
}

# Fast-path packets of flow $1's original direction (c -> s).
v6_flow_orig_packets() {
	v6_flows | jq --argjson id "$1" '.[] | select(.id == $id) | .orig.packets'
}

# Run event $1 during a stream to port $2 that the flow survives: the same
# flow keeps forwarding c's data on the fast path, none is removed.
during_stream_kept() {
	local event=$1 port=$2 flow id removed fast
	xfer_start "$port" "$NS_C" "$NS_S" fd00:2::2 "$port" --rate 384
	flow=$(v6_wait_offloaded tcp "$port")
	id=$(jq -r .id <<<"$flow")
	removed=$(v6_stat flows_removed)
	"$event"
	fast=$(v6_flow_orig_packets "$id")
	sleep 1
	[ "$(v6_flow_orig_packets "$id")" -gt "$((fast + 10))" ] ||
		fail "the flow stopped taking the fast path after $event"
	assert_equal "$(v6_stat flows_removed)" "$removed"
	assert_equal "$(v6_flows | jq --argjson id "$id" '[.[] | select(.id == $id and .orig.offloaded)] | length')" 1
	xfer_finish "$port"
}

flush_conntrack() {
	in_ns "$NS_R" conntrack -F
	in_ns "$NS_R" conntrack -L -f ipv6 2>&1
}

new_server_mac() {
	local i
	ip -n "$NS_S" link set s0 address 02:00:00:00:5e:02
	for i in $(seq 1 50); do
		ip -n "$NS_R" -6 neigh show fd00:2::2 dev r1 | grep -q 'lladdr 02:00:00:00:5e:02' && return 0
		sleep 0.1
	done
	fail "r did not learn s's new MAC: $(ip -n "$NS_R" -6 neigh show dev r1)"
}

r1_down_up() {
	ip -n "$NS_R" link set r1 down
	sleep 0.5
	[ "$(v6_stat flows_active)" -eq 0 ] || fail "flows through r1 survived r1 going down"
	ip -n "$NS_R" link set r1 up
}

mtu_change() {
	ip -n "$NS_R" link set r1 mtu 1400
	ip -n "$NS_S" link set s0 mtu 1400
}

disable_enable() {
	local fast
	fpr disable dev r0
	fpr disable dev r1
	[ "$(v6_stat flows_active)" -eq 0 ] || fail "flows survived fpctl disable"
	fast=$(v6_stat fast_packets)
	sleep 1
	[ "$(v6_stat fast_packets)" -eq "$fast" ] || fail "fast path used while disabled"
	fp_enable_router
}

teardown() {
	v6_teardown
	[ -z "${HOST_ROUTE_SET:-}" ] || ip -n "$NS_R" -6 route flush fd00:2::2/128
	if [ -n "${MPATH_SET:-}" ]; then
		ip -n "$NS_R" link del r2
		in_ns "$NS_S" nft delete table netdev mpath
	fi
}

reload_module() {
	rmmod fastpath
	[ ! -d /sys/module/fastpath ] || fail "fastpath still loaded after rmmod"
	sleep 0.5
	insmod "$FASTPATH_KO"
	fp_enable_router
	OLD_ID=
}

@test "lifecycle: conntrack -F during a transfer" {
	during_stream flush_conntrack 5301
}

@test "lifecycle: s0 changes MAC (NDP update) during a transfer, the flow follows" {
	during_stream_kept new_server_mac 5302
}

@test "lifecycle: r1 down and up during a transfer" {
	during_stream r1_down_up 5303
}

@test "lifecycle: MTU change on r1 during a transfer" {
	during_stream mtu_change 5304
	ip -n "$NS_R" link set r1 mtu 1500
	ip -n "$NS_S" link set s0 mtu 1500
}

@test "lifecycle: fpctl disable and enable during a transfer" {
	during_stream disable_enable 5305
}

@test "lifecycle: rmmod and insmod during a transfer" {
	during_stream reload_module 5306
}

route_host_del() {
	ip -n "$NS_R" -6 route del fd00:2::2/128 dev r1
}

# The flow's own route goes stale; the connected /64 forwards s's packets
# out of r1 to s as it did: each direction, verified again, takes the new
# route (and its cookie, or every packet would find it stale again).
@test "lifecycle: s's host route deleted during a transfer, the connected route forwards the same: the flow stays" {
	local passed0
	ip -n "$NS_R" -6 route add fd00:2::2/128 dev r1
	HOST_ROUTE_SET=1
	passed0=$(v6_stat verify_passed)
	during_stream_kept route_host_del 5307
	# A wrong cookie would verify (and take the route) at every packet.
	[ "$(v6_stat verify_passed)" -le $((passed0 + 10)) ] ||
		fail "verify_passed went from $passed0 to $(v6_stat verify_passed)"
}

# UDP datagrams s received on its device $1, per port and flow label:
# "DEVICE PORT LABEL PACKETS" lines (nft's dynamic sets count each key).
mpath_arrived() {
	in_ns "$NS_S" nft -j list set netdev mpath "$1" | jq -r --arg dev "$1" '
		.nftables[] | select(.set) | .set.elem[]? | .elem |
		"\($dev) \(.val.concat[0]) \(.val.concat[1]) \(.counter.packets)"'
}

@test "lifecycle: multipath by flow label, a UDP flow's label changes: each label's datagrams take the next hop the stack picks" {
	local labels stack want got moved label flow
	# A second link r2 -- s1 and s's fd00:2::2 through both: the default
	# hash policy (0) hashes the addresses, next header and flow label.
	MPATH_SET=1
	ip -n "$NS_S" link add s1 type veth peer name r2 netns "$NS_R"
	ip -n "$NS_R" -b - <<-EOF
	addr add fd00:3::1/64 dev r2 nodad
	link set r2 up
	route add fd00:2::2/128 nexthop via fd00:2::2 dev r1 nexthop via fd00:3::2 dev r2
	EOF
	ip -n "$NS_S" -b - <<-EOF
	addr add fd00:3::2/64 dev s1 nodad
	link set s1 up
	EOF
	in_ns "$NS_R" sysctl -qw net.ipv6.fib_multipath_hash_policy=0
	fpr enable dev r2
	in_ns "$NS_S" nft -f - <<-'EOF'
	table netdev mpath {
		set s0 { typeof udp dport . ip6 flowlabel; flags dynamic; counter; }
		set s1 { typeof udp dport . ip6 flowlabel; flags dynamic; counter; }
		chain s0 {
			type filter hook ingress device "s0" priority 0;
			udp dport { 7000, 7001 } update @s0 { udp dport . ip6 flowlabel }
			udp dport 7001 drop
		}
		chain s1 {
			type filter hook ingress device "s1" priority 0;
			udp dport { 7000, 7001 } update @s1 { udp dport . ip6 flowlabel }
			udp dport 7001 drop
		}
	}
	EOF
	v6_udp_server "$NS_S" 7000 "$BATS_TEST_TMPDIR/serve.log"
	labels=$(seq -s, 1 16)
	# Where the stack sends each label: port 7001 never answers, so that
	# connection is never learned.
	v6tool "$NS_C" udp-send fd00:2::2 7001 --sport 4700 --labels "$labels"
	stack=$( (mpath_arrived s0; mpath_arrived s1) | awk '$2 == 7001 { print $3, $1 }' | sort -n)
	# The connection under test is learned with label 1, then sends three
	# echoed datagrams with each label in turn.
	v6tool "$NS_C" udp-send fd00:2::2 7000 --sport 4701 --count 3 --echo --labels 1
	v6_wait_offloaded udp 7000 >/dev/null
	run -0 v6tool "$NS_C" udp-send fd00:2::2 7000 --sport 4701 --count 3 --echo --labels "$labels"
	assert_output '{"sent": 48, "echoed": 48}'
	moved=$(awk -v first="$(awk '$1 == 1 { print $2 }' <<<"$stack")" '$2 != first { print $1 }' <<<"$stack")
	echo "# the stack sends labels $(echo $moved) through the other link" >&3
	[ -n "$moved" ] || fail "every label takes one link: nothing was tested ($stack)"
	# The connection goes back on the fast path through the other link,
	# with the first label that moved.
	label=${moved%%$'\n'*}
	v6tool "$NS_C" udp-send fd00:2::2 7000 --sport 4701 --count 5 --echo --labels "$label"
	flow=$(v6_flow udp 7000)
	jq -e --arg oif "$(awk -v l="$label" '$1 == l { print $2 == "s0" ? "r1" : "r2" }' <<<"$stack")" \
		'.orig.oif == $oif and .orig.why == "offloaded" and .reply.why == "offloaded"' <<<"$flow" ||
		fail "the flow is not on the fast path through the link of label $label: $flow"
	got=$( (mpath_arrived s0; mpath_arrived s1) | awk '$2 == 7000 { print $3, $1, $4 }' | sort -n)
	want=$(awk -v l="$label" '{ print $1, $2, $1 == 1 ? 6 : $1 == l ? 8 : 3 }' <<<"$stack")
	assert_equal "$got" "$want"
}
