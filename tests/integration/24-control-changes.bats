#!/usr/bin/env bats
# Control-plane changes that alter what the stack forwards without a route,
# device or nftables ruleset change: an offloaded flow must follow each at
# once (or within the GC's second), never forward what the stack no longer
# would.  Each test offloads a paced TCP stream c -> s, makes the change in
# r, and counts on s (nft counters in s's input) what still arrives.
#
#   c                           r                                       s
#   c0 10.0.1.2/24  --------- r0 10.0.1.1    r1 10.0.2.1  --------- s0 10.0.2.2/24
#      fd00:1::2/64              fd00:1::1      fd00:2::1               fd00:2::2/64
#                             fastpath on r0 and r1
#                             masquerade out of r1 (both families)

load ../lib/ipv6

setup_file() {
	v6_setup masquerade
}

# Counters in s's input for TCP port $1: every segment, and those with DSCP
# cs4 (IPv4).
s_count_start() {
	s nft -f - <<-EOF
	table inet fp_count {
		counter segments {}
		counter cs4 {}
		chain input {
			type filter hook input priority filter; policy accept;
			tcp dport $1 counter name segments
			tcp dport $1 ip dscp cs4 counter name cs4
		}
	}
	EOF
}

s_count() {
	s nft -j list counter inet fp_count "$1" |
		jq '.nftables[] | select(.counter) | .counter.packets'
}

# Segments of the stream that reach s within $1 seconds.
s_arrivals_in() {
	local before
	before=$(s_count segments)
	sleep "$1"
	echo $(($(s_count segments) - before))
}

teardown() {
	v6_teardown
	s nft delete table inet fp_count 2>/dev/null || true
	r sysctl -qw net.ipv6.conf.all.forwarding=1
	r ip xfrm policy flush
	r ip link set r0 nomaster 2>/dev/null || true
	r ip link del fp-br 2>/dev/null || true
}

@test "IPv6 forwarding turned off: the offloaded stream stops like the stack's, resumes when on" {
	local stale0
	s_count_start 5801
	xfer_start v6 "$NS_C" "$NS_S" fd00:2::2 5801 --rate 128
	v6_wait_offloaded tcp 5801 >/dev/null
	[ "$(s_arrivals_in 1)" -gt 0 ] || fail "the stream does not reach s"

	stale0=$(fp_exc stale)
	r sysctl -qw net.ipv6.conf.all.forwarding=0
	sleep 0.3
	run -0 s_arrivals_in 2
	assert_output 0
	[ "$(fp_exc stale)" -gt "$stale0" ] || fail "no packet left to the stack as stale"

	r sysctl -qw net.ipv6.conf.all.forwarding=1
	[ "$(s_arrivals_in 3)" -gt 0 ] || fail "the stream did not resume"
	xfer_finish v6
}

@test "conntrack mark changed by conntrack -U: the direction is verified again, a ct mark rule applies" {
	r nft add table inet fp_mark
	r nft add chain inet fp_mark post '{ type filter hook postrouting priority mangle; }'
	r nft add rule inet fp_mark post ct mark 7 ip dscp set cs4
	# Not masqueraded: conntrack -U cannot update a NAT'd entry (it sends
	# the NAT back, which ctnetlink refuses for an existing connection).
	r nft insert rule inet fp_test postrouting tcp dport 5802 accept
	s_count_start 5802
	xfer_start v4 "$NS_C" "$NS_S" 10.0.2.2 5802 --rate 128
	v6_wait_offloaded tcp 5802 >/dev/null
	[ "$(s_count cs4)" -eq 0 ] || fail "cs4 before the mark"

	# No ruleset, route or device change: only the mark.
	r conntrack -U -p tcp --dport 5802 --mark 7
	sleep 2
	local all0 cs40
	all0=$(s_count segments)
	cs40=$(s_count cs4)
	sleep 2
	echo "# after the mark: $(($(s_count segments) - all0)) segments, $(($(s_count cs4) - cs40)) with cs4" >&3
	[ "$(($(s_count segments) - all0))" -gt 0 ] || fail "the stream stopped"
	assert_equal "$(($(s_count cs4) - cs40))" "$(($(s_count segments) - all0))"
	xfer_finish v4
	r nft delete table inet fp_mark
	r nft flush chain inet fp_test postrouting
	r nft add rule inet fp_test postrouting oifname r1 masquerade
}

@test "IPsec forward policy updated from allow to block: the offloaded stream stops" {
	s_count_start 5803
	r ip xfrm policy add src 10.0.1.2/32 dst 10.0.2.2/32 proto tcp dport 5803 dir fwd action allow
	xfer_start v4 "$NS_C" "$NS_S" 10.0.2.2 5803 --rate 128
	v6_wait_offloaded tcp 5803 >/dev/null
	[ "$(s_arrivals_in 1)" -gt 0 ] || fail "the stream does not reach s"

	# Same number of policies: only the key manager's event tells.
	r ip xfrm policy update src 10.0.1.2/32 dst 10.0.2.2/32 proto tcp dport 5803 dir fwd action block
	sleep 1.5
	run -0 s_arrivals_in 2
	assert_output 0
	r ip xfrm policy flush
	[ "$(s_arrivals_in 3)" -gt 0 ] || fail "the stream did not resume"
	xfer_finish v4
}

@test "an enabled device enslaved to a bridge: its flows go, nothing is forwarded past the bridge" {
	s_count_start 5804
	xfer_start v4 "$NS_C" "$NS_S" 10.0.2.2 5804 --rate 128
	v6_wait_offloaded tcp 5804 >/dev/null

	# r0's packets now belong to fp-br, which has no address: the stack
	# routes none of them.
	r ip link add fp-br type bridge
	r ip link set fp-br up
	r ip link set r0 master fp-br
	sleep 0.3
	run -0 v6_flow tcp 5804
	assert_output ""
	run -0 s_arrivals_in 2
	assert_output 0
	r ip link set r0 nomaster
	r ip link del fp-br
	v6_stop_bg
}
