#!/usr/bin/env bats
# IPv4 flow lifecycle under traffic: each event that invalidates what a
# flow caches (conntrack entry, route, neighbour MAC, device state, MTU,
# enabled devices, the module itself) happens during a running TCP
# transfer; the transfer completes intact and the flow is learned again.
#
#   c                        r                                    s
#   c0 10.0.1.2/24 ------- r0 10.0.1.1    r1 10.0.2.1 ------- s0 10.0.2.2/24
#   tbf 12 Mbit/s          fastpath on      r2 10.0.3.1 ------- s1 10.0.3.2/24
#                          r0, r1, r2       (second next hop to s)
#
# r routes without NAT here (conntrack is active through a forward-chain
# counter): after `conntrack -F` a reply that reaches a masquerading router
# before the next original packet finds no mapping and is answered with a
# reset, by the normal stack as much as with fastpath.  Each transfer is a
# stream that lasts until the event is over (tests/lib/nettool.py
# tcp-stream-*); the tbf qdisc on c0 keeps its rate modest.

bats_require_minimum_version 1.5.0
load ../lib/topo

setup_file() {
	topo_setup
	require tc
	ip -n "$NS_S" link add s1 type veth peer name r2 netns "$NS_R"
	ip -n "$NS_R" addr add 10.0.3.1/24 dev r2
	ip -n "$NS_S" addr add 10.0.3.2/24 dev s1
	ip -n "$NS_R" link set r2 up
	ip -n "$NS_S" link set s1 up
	# s accepts its address on either link and announces a new MAC.
	s sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.s1.rp_filter=0 \
		net.ipv4.conf.s0.arp_notify=1
	r nft -f - <<-'EOF'
	table inet fp_test {
		counter fwd_established {}
		chain forward {
			type filter hook forward priority filter; policy accept;
			ct state established counter name fwd_established
		}
	}
	EOF
	c tc qdisc add dev c0 root tbf rate 12mbit burst 32kb latency 200ms
	fp_enable_router
	r fpctl enable dev r2
}

teardown_file() {
	[ -d /sys/module/fastpath ] || insmod "$FASTPATH_KO"
	topo_teardown
}

teardown() {
	# A failed reload must not leave the rest of the run without the module,
	# nor a failed test a stream running.
	[ -d /sys/module/fastpath ] || { insmod "$FASTPATH_KO" && fp_enable_router; }
	ip netns pids "$NS_C" | xargs -r kill
	ip netns pids "$NS_S" | xargs -r kill
	return 0
}

@test "lifecycle: conntrack -F during a transfer" {
	local removed0
	removed0=$(fp_stat flows_removed)
	during_transfer r conntrack -F
	[ "$(fp_stat flows_removed)" -gt "$removed0" ]
}

@test "lifecycle: route to s changes to a second next hop during a transfer" {
	local rx0
	rx0=$(ip -n "$NS_S" -j -s link show s1 | jq '.[0].stats64.rx.packets')
	# The flow is learned again with the new next hop.
	reroute() {
		r ip route add 10.0.2.2/32 via 10.0.3.2 dev r2
		local i
		for i in $(seq 1 100); do
			fp_flows | jq -e '.[] | select(.proto == "tcp" and .orig.dport == 5001 and
				.orig.offloaded and .orig.oif == "r2")' && return 0
			sleep 0.2
		done
		fail "no flow learned through r2: $(fp_flows)"
	}
	during_transfer reroute
	r ip route del 10.0.2.2/32 via 10.0.3.2 dev r2
	# The data went through r2 -> s1 from then on.
	[ "$(ip -n "$NS_S" -j -s link show s1 | jq '.[0].stats64.rx.packets')" -gt $((rx0 + 100)) ]
}

# The next hop follows the neighbour entry: a frame still sent to the old
# MAC would be dropped by s and stall the stream.
@test "lifecycle: s changes its MAC address during a transfer, the flow follows" {
	change_mac() {
		s ip link set s0 address 02:00:00:00:5e:01
		local i
		for i in $(seq 1 50); do
			r ip neigh show 10.0.2.2 dev r1 | grep -q 02:00:00:00:5e:01 && return 0
			sleep 0.1
		done
		fail "r did not learn s's new MAC: $(r ip neigh show dev r1)"
	}
	during_transfer_kept change_mac
}

# The router's own address is in every cached MAC header: s accepts frames
# from any source, so only a capture shows a stale one.  r1 announces its
# new MAC (arp_notify) so that s's replies still reach it; the stack
# flushes r1's neighbours (the flow goes with them and is learned again).
@test "lifecycle: r1 changes its own MAC address during a transfer, fast frames carry the new one" {
	local cap=$BATS_TEST_TMPDIR/s0.pcap old new=02:00:00:00:5e:11 frames
	old=$(r cat /sys/class/net/r1/address)
	r sysctl -qw net.ipv4.conf.r1.arp_notify=1
	stream_start
	r ip link set r1 address "$new"
	capture_start "$NS_S" s0 "$cap" "tcp dst port 5001"
	wait_fast
	capture_stop "$cap"
	stream_end "r1's MAC change"
	r ip link set r1 address "$old"
	frames=$(tcpdump -r "$cap" -n -e 2>/dev/null)
	echo "# $(grep -c " $new > " <<<"$frames") frames from $new, $(grep -c " $old > " <<<"$frames") from $old" >&3
	assert_equal "$(grep -c " $old > " <<<"$frames")" 0
	[ "$(grep -c " $new > " <<<"$frames")" -ge 20 ] || fail "fewer than 20 frames from $new: $frames"
}

@test "lifecycle: r1 down and up during a transfer" {
	bounce() {
		r ip link set r1 down
		sleep 1
		r ip link set r1 up
	}
	during_transfer bounce
}

@test "lifecycle: r1 MTU lowered to 1400 during a transfer" {
	local removed0
	removed0=$(fp_stat flows_removed)
	during_transfer r ip link set r1 mtu 1400
	r ip link set r1 mtu 1500
	c ip route flush cache
	[ "$(fp_stat flows_removed)" -gt "$removed0" ]
}

@test "lifecycle: fpctl disable dev r0 during a transfer, enabled again" {
	off_and_on() {
		r fpctl disable dev r0
		sleep 1
		r fpctl -j dev show | jq -e '[.[] | select(.ifname == "r0" and .enabled)] | length == 0' ||
			fail "r0 still enabled"
		r fpctl enable dev r0
	}
	during_transfer off_and_on
}

@test "lifecycle: rmmod fastpath during a transfer, insmod and enable again" {
	reload() {
		rmmod fastpath
		sleep 1
		insmod "$FASTPATH_KO"
		fp_enable_router
		r fpctl enable dev r2
		# Counters start again from zero (during_transfer's local).
		learned0=0
	}
	during_transfer reload
}
