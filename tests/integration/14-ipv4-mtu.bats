#!/usr/bin/env bats
# IPv4 MTU mismatch at the router: packets of learned flows that do not fit
# the egress MTU leave the fast path (mtu exception) and the stack
# fragments them or sends ICMP fragmentation needed.
#
#   c                        r (masquerade out of r1)            s
#   c0 10.0.1.2/24 ------- r0 10.0.1.1    r1 10.0.2.1 ------- s0 10.0.2.2/24
#   mtu 1500               mtu 1500       mtu 1280              mtu 1280
#                          fastpath on r0 and r1                UDP echo 7000
#   (the last test: r0 1280, r1 and s0 1500, for s -> c)

bats_require_minimum_version 1.5.0
load ../lib/topo

setup_file() {
	topo_setup
	require python3
	topo_masquerade
	r ip link set r1 mtu 1280
	s ip link set s0 mtu 1280
	fp_enable_router
	make_payload 4 "$BATS_FILE_TMPDIR/payload"
	nettool "$NS_S" udp-echo 7000 --log "$BATS_FILE_TMPDIR/echo.log" >/dev/null 2>&1 3>&- &
	wait_listen "$NS_S" udp 7000
}

@test "MTU: non-DF UDP datagrams over 1280 are fragmented by r and arrive whole" {
	local mtu0 frag_sent
	mtu0=$(fp_stat exceptions.mtu)
	# Learn the flow with small datagrams, then 1400-byte ones without DF
	# (c ignores path MTU for them); every echo must match.
	run -0 nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4000 3 20:size=1400,df=0
	echo "$output"
	jq -e '.echoed == 23' <<<"$output"
	run -0 jq -s '[.[] | select(.len == 1400)] | length' "$BATS_FILE_TMPDIR/echo.log"
	[ "$output" -eq 20 ]
	run -0 fp_flows
	jq -e '.[] | select(.proto == "udp" and .orig.sport == 4000) | .orig.offloaded' \
		<<<"$output" || fail "the UDP flow was not learned: $output"
	frag_sent=$(ip netns exec "$NS_R" nstat -az IpFragCreates | awk '/IpFragCreates/ {print $2}')
	[ "$frag_sent" -ge 40 ] || fail "r created $frag_sent fragments, expected >= 40"
	[ "$(fp_stat exceptions.mtu)" -ge $((mtu0 + 19)) ] ||
		fail "mtu exceptions rose by $(($(fp_stat exceptions.mtu) - mtu0)), expected >= 19"
}

@test "MTU: DF UDP over 1280 on a learned flow gets ICMP fragmentation needed (1280)" {
	local mtu0 flow
	mtu0=$(fp_stat exceptions.mtu)
	# Three echoed datagrams learn both directions; the fourth does not fit.
	run -0 nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4001 3 1:size=1400,df=1,echo=0,err=1
	echo "$output"
	jq -e '.errors[0].type == 3 and .errors[0].code == 4 and .errors[0].info == 1280 and
		.errors[0].offender == "10.0.1.1"' <<<"$output"
	flow=$(fp_flows | jq -c '.[] | select(.proto == "udp" and .orig.sport == 4001)')
	echo "$flow"
	jq -e '.orig.offloaded and .reply.offloaded' <<<"$flow" ||
		fail "the UDP flow from port 4001 was not offloaded before the large datagram"
	# The large datagram met the learned flow and was left to the stack.
	[ "$(fp_stat exceptions.mtu)" -ge $((mtu0 + 1)) ] ||
		fail "no mtu exception for the large datagram"
}

# The directions of the UDP flow from c's port $1: "ORIG_WHY REPLY_WHY".
udp_whys() {
	fp_flows | jq -r --argjson p "$1" \
		'.[] | select(.proto == "udp" and .orig.sport == $p) | "\(.orig.why) \(.reply.why)"'
}

@test "MTU: a datagram r1 fragments, after a held one a rule dropped, is not verified against that one's copy" {
	local failed0
	run -0 nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4002 3
	run -0 udp_whys 4002
	assert_output "offloaded offloaded"
	failed0=$(fp_stat verify_failed)
	# The ruleset change holds the flow for verification: the next
	# datagram's headers are copied and the stack drops it; the datagram
	# after it (in the freed skb, most likely) is too large for the fast
	# path and reaches POST_ROUTING before r1 fragments it.
	r nft -f - <<-'EOF'
	table ip fp14 {
		chain forward {
			type filter hook forward priority filter; policy accept;
			udp dport 7000 ip length 1000-1100 drop
		}
	}
	EOF
	run -0 nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4002 1:size=1040,echo=0 1:size=1400,df=0 3
	echo "$output"
	jq -e '.echoed == 4' <<<"$output"
	assert_equal "$(fp_stat verify_failed)" "$failed0"
	run -0 udp_whys 4002
	r nft delete table ip fp14
	assert_output "offloaded offloaded"
}

@test "MTU: DF TCP transfer c->s learns the path MTU and completes, mostly fast" {
	local mtu0 fast0 rx0 fast rx
	c ip route flush cache
	# s advertises the MSS of a 1500-byte path to the masqueraded client
	# (10.0.2.1): c's full-sized DF segments do not fit r1.
	s ip route add 10.0.2.1/32 dev s0 advmss 1460
	mtu0=$(fp_stat exceptions.mtu)
	fast0=$(fp_stat fast_packets)
	rx0=$(r_rx_packets)
	tcp_transfer_c2s "$BATS_FILE_TMPDIR/payload"
	s ip route del 10.0.2.1/32 dev s0
	fast=$(($(fp_stat fast_packets) - fast0))
	rx=$(($(r_rx_packets) - rx0))
	echo "# DF TCP over MTU 1280: forwarded $rx, fast path $fast," \
		"mtu exceptions $(($(fp_stat exceptions.mtu) - mtu0))" >&3
	# c got fragmentation needed: its route to s carries the path MTU.
	run -0 c ip route get 10.0.2.2
	echo "$output"
	assert_output --partial "mtu 1280"
	[ "$(fp_stat exceptions.mtu)" -gt "$mtu0" ] || fail "no mtu exception"
	# Once c sends 1280-byte packets they fit and take the fast path.
	[ "$((fast * 100))" -ge "$((rx * 80))" ] ||
		fail "only $fast of $rx forwarded packets took the fast path"
}

@test "MTU: DF TCP transfer s->c over r0's smaller MTU learns the path MTU and completes, mostly fast" {
	local mtu0 fast0 rx0 fast rx
	# Now the other way: s's side 1500, r0 1280 while c0 stays 1500, so
	# c advertises an MSS that does not fit r0.  (MTU changes remove the
	# flows: this transfer learns its own.)
	r ip link set r1 mtu 1500
	s ip link set s0 mtu 1500
	r ip link set r0 mtu 1280
	# c's path MTU to s from the test before would shrink its MSS.
	c ip route flush cache
	s ip route flush cache
	mtu0=$(fp_stat exceptions.mtu)
	fast0=$(fp_stat fast_packets)
	rx0=$(r_rx_packets)
	tcp_transfer_s2c "$BATS_FILE_TMPDIR/payload"
	fast=$(($(fp_stat fast_packets) - fast0))
	rx=$(($(r_rx_packets) - rx0))
	echo "# DF TCP s->c over MTU 1280: forwarded $rx, fast path $fast," \
		"mtu exceptions $(($(fp_stat exceptions.mtu) - mtu0))" >&3
	# s got fragmentation needed for c's masqueraded address: from the
	# stack (s's first full-size segments come before the flow is learned)
	# or, for one learned meanwhile, after the fast path's mtu exception.
	run -0 s ip route get 10.0.2.1
	echo "$output"
	assert_output --partial "mtu 1280"
	[ "$((fast * 100))" -ge "$((rx * 80))" ] ||
		fail "only $fast of $rx forwarded packets took the fast path"
}
