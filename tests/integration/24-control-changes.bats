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

# Counters in s's input for TCP port $1: every segment, and those without
# DSCP cs4 (IPv4).
s_count_start() {
	s nft -f - <<-EOF
	table inet fp_count {
		counter segments {}
		counter plain {}
		chain input {
			type filter hook input priority filter; policy accept;
			tcp dport $1 counter name segments
			tcp dport $1 ip dscp != cs4 counter name plain
		}
	}
	EOF
}

s_count() {
	s nft -j list counter inet fp_count "$1" |
		jq '.nftables[] | select(.counter) | .counter.packets'
}

# Wait up to 20 s (TCP's backed-off retransmission) for the stream to
# reach s again.
s_wait_resumed() {
	local before end=$((SECONDS + 20))
	before=$(s_count segments)
	while [ "$(s_count segments)" -le "$before" ]; do
		[ "$SECONDS" -lt "$end" ] || fail "the stream did not resume"
		sleep 0.5
	done
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
	fpr rule flush
	fpr config set verify-interval 0
	r iptables-legacy -t mangle -F 2>/dev/null || true
	r nft delete table inet fp_mark 2>/dev/null || true
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
	s_wait_resumed
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
	[ "$(s_count plain)" -gt 0 ] || fail "no segment without cs4 before the mark"

	# No ruleset, route or device change: only the mark.
	# The family too: without it the kernel's dump filter refuses the port.
	r conntrack -U -f ipv4 -p tcp --dport 5802 --mark 7
	sleep 2
	local plain0 segments
	plain0=$(s_count plain)
	segments=$(s_arrivals_in 2)
	echo "# 2 s after the mark: $segments segments, $(($(s_count plain) - plain0)) without cs4" >&3
	[ "$segments" -gt 0 ] || fail "the stream stopped"
	assert_equal "$(s_count plain)" "$plain0"
	xfer_finish v4
	r nft delete table inet fp_mark
	r nft flush chain inet fp_test postrouting
	r nft add rule inet fp_test postrouting oifname r1 masquerade
}

@test "a legacy iptables rule (no nftables commit) reaches the offloaded stream by verify-interval" {
	local flow why plain0 plain1 segments end
	s_count_start 5806
	xfer_start v4 "$NS_C" "$NS_S" 10.0.2.2 5806 --rate 128
	flow=$(v6_wait_offloaded tcp 5806)

	# xtables-legacy changes no nftables ruleset: nothing tells fastpath,
	# and with the interval off the fast path goes on without the DSCP.
	r iptables-legacy -t mangle -A POSTROUTING -p tcp --dport 5806 \
		-j DSCP --set-dscp-class cs4
	sleep 2
	plain0=$(s_count plain)
	sleep 2
	plain1=$(s_count plain)
	echo "# without the interval: $((plain1 - plain0)) of 2 s's segments without cs4" >&3
	[ "$plain1" -gt "$plain0" ] || fail "the rule took effect without the interval"

	# With it, the GC holds every offloaded direction for verification
	# within a second; the next segment goes through the stack, differs in
	# its DSCP, and the direction is refused.
	fpr config set verify-interval 1
	sleep 2
	plain0=$(s_count plain)
	segments=$(s_arrivals_in 2)
	echo "# 2 s after verify-interval 1: $segments segments, $(($(s_count plain) - plain0)) without cs4" >&3
	[ "$segments" -gt 0 ] || fail "the stream stopped"
	assert_equal "$(s_count plain)" "$plain0"
	# Refused, and refused again at each retry.
	end=$((SECONDS + 5))
	while why=$(fpr -j flow explain proto tcp src 10.0.1.2 dst 10.0.2.2 \
		sport "$(jq .orig.sport <<<"$flow")" dport 5806 |
		jq -r '.orig | .why + ":" + .verify_field'); [ "$why" != verify:dscp ]; do
		[ "$SECONDS" -lt "$end" ] || fail "not refused for its DSCP: $why"
		sleep 0.5
	done
	xfer_finish v4
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
	s_wait_resumed
	xfer_finish v4
}

@test "an enabled device enslaved to a bridge: its flows go, what it receives is the bridge's" {
	local flow fast0
	s_count_start 5804
	xfer_start v4 "$NS_C" "$NS_S" 10.0.2.2 5804 --rate 128
	flow=$(v6_wait_offloaded tcp 5804)

	# r0's packets now belong to fp-br (not enabled): the stack routes
	# them with fp-br as their ingress device.
	r ip link add fp-br type bridge
	r ip link set fp-br up
	r ip link set r0 master fp-br
	sleep 0.3
	# The flow learned on r0 is gone.  s's ACKs are still routed out of r0
	# (a port transmits what is routed to it) and may be learned again;
	# c's segments are the bridge's now and must not be.
	run -0 v6_flows
	jq -e --argjson id "$(jq .id <<<"$flow")" 'all(.id != $id) and
		all(.proto != "tcp" or .orig.dport != 5804 or (.orig.offloaded | not))' \
		<<<"$output" || fail "a flow still takes c's segments past the bridge: $output"
	fast0=$(fpr -j dev show r0 | jq '[.] | flatten | .[0].rx_packets')
	[ "$(s_arrivals_in 2)" -gt 0 ] || fail "the stack does not forward through the bridge"
	run -0 fpr -j dev show r0
	assert_equal "$(jq '[.] | flatten | .[0].rx_packets' <<<"$output")" "$fast0"
	r ip link set r0 nomaster
	r ip link del fp-br
	v6_stop_bg
}

@test "a connection mark a bypass rule matches, adopted by verification: the flow leaves, refused by the rule" {
	local flow why end=$((SECONDS + 15))
	# The packets carry their connection's mark, as a classifying daemon
	# has the stack restore it.
	r nft add table inet fp_mark
	r nft add chain inet fp_mark pre '{ type filter hook prerouting priority mangle; }'
	r nft add rule inet fp_mark pre meta mark set ct mark
	r nft insert rule inet fp_test postrouting tcp dport 5805 accept
	fpr rule add pref 5 mark 7 action bypass
	xfer_start v4 "$NS_C" "$NS_S" 10.0.2.2 5805 --rate 128
	flow=$(v6_wait_offloaded tcp 5805)

	# The rule set does not change: only the mark its rule matches.
	r conntrack -U -f ipv4 -p tcp --dport 5805 --mark 7
	while :; do
		why=$(fpr -j flow explain proto tcp src 10.0.1.2 dst 10.0.2.2 \
			sport "$(jq .orig.sport <<<"$flow")" dport 5805 | jq -r .orig.why)
		[ "$why" != rule ] || break
		[ "$SECONDS" -lt "$end" ] || fail "not refused by the rule with mark 7: why $why"
		sleep 0.5
	done
	run -0 v6_flow tcp 5805
	assert_output ""
	xfer_finish v4
	r nft flush chain inet fp_test postrouting
	r nft add rule inet fp_test postrouting oifname r1 masquerade
}
