#!/usr/bin/env bats
# IPv4 masquerade on the fast path: bulk TCP both ways, almost every packet
# forwarded by fastpath, the flow listed with its NAT'd tuple.
#
#   c                        r (masquerade out of r1)            s
#   c0 10.0.1.2/24 ------- r0 10.0.1.1    r1 10.0.2.1 ------- s0 10.0.2.2/24
#                          fastpath on r0 and r1
#
# Forwarded packets are counted as the packets r receives on r0 and r1
# (everything it forwards, plus a few neighbour packets, which only makes
# the share check stricter).

bats_require_minimum_version 1.5.0
load ../lib/topo

setup_file() {
	topo_setup
	topo_masquerade
	fp_enable_router
	make_payload 20 "$BATS_FILE_TMPDIR/payload"
}

# The masqueraded flow of a transfer between c and s port 5001, once
# offloaded both ways, as JSON (one jq a poll); the whole table is kept in
# $BATS_TEST_TMPDIR/flows for failure reports.
masq_flow() {
	fp_flows | tee "$BATS_TEST_TMPDIR/flows" | jq -c '.[] | select(.proto == "tcp" and
		.orig.src == "10.0.1.2" and .orig.dst == "10.0.2.2" and .orig.dport == 5001 and
		.orig.offloaded and .reply.offloaded)'
}

# Transfer the payload with $1 (tcp_transfer_c2s or tcp_transfer_s2c)
# while watching the flow; then check the fast-path share.
transfer_on_fast_path() {
	local rx0 fast0 est0 pid flow="" i rx fast est
	rx0=$(r_rx_packets)
	fast0=$(fp_stat fast_packets)
	est0=$(topo_fwd_established)

	"$1" "$BATS_FILE_TMPDIR/payload" &
	pid=$!
	for i in $(seq 1 60); do
		flow=$(masq_flow)
		[ -z "$flow" ] || break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	wait "$pid" || fail "transfer ($1) failed"

	rx=$(($(r_rx_packets) - rx0))
	fast=$(($(fp_stat fast_packets) - fast0))
	est=$(($(topo_fwd_established) - est0))
	echo "# $1: forwarded $rx, fast path $fast ($((fast * 100 / rx))%)," \
		"established on the normal path $est" >&3

	[ -n "$flow" ] || fail "no offloaded flow 10.0.1.2 -> 10.0.2.2:5001 in fpctl flow show;" \
		"last table seen: $(cat "$BATS_TEST_TMPDIR/flows")"
	echo "$flow"
	# The original direction leaves with r1's address, the reply comes
	# back to it and leaves towards c's.
	jq -e '.orig.offloaded and .reply.offloaded and .orig.iif == "r0" and .orig.oif == "r1" and
		.orig.xlat_src == "10.0.2.1" and .orig.xlat_dst == "10.0.2.2" and
		.orig.xlat_dport == 5001 and .orig.xlat_sport == .reply.dport and
		.reply.iif == "r1" and .reply.oif == "r0" and
		.reply.src == "10.0.2.2" and .reply.dst == "10.0.2.1" and .reply.sport == 5001 and
		.reply.xlat_src == "10.0.2.2" and .reply.xlat_dst == "10.0.1.2" and
		.reply.xlat_dport == .orig.sport and .family == 4' <<<"$flow" ||
		fail "flow does not carry the masquerade translation"
	[ "$((fast * 100))" -ge "$((rx * 90))" ] ||
		fail "only $fast of $rx forwarded packets took the fast path"
	# Handshake and teardown stay on the normal path, nothing in between.
	[ "$est" -le 20 ] || fail "$est established packets went through the forward chain"
}

@test "masquerade: 20 MB TCP c->s, >= 90% on the fast path, NAT'd flow listed" {
	# On a fast machine the transfer ends (and the flow with it) before
	# fpctl looks: pace the client so the flow lives a few seconds.
	c tc qdisc add dev c0 root tbf rate 40mbit burst 64kb latency 500ms
	transfer_on_fast_path tcp_transfer_c2s
	c tc qdisc del dev c0 root
}

@test "masquerade: 20 MB TCP s->c, >= 90% on the fast path, NAT'd flow listed" {
	# Big GSO segments make this direction finish even sooner.
	s tc qdisc add dev s0 root tbf rate 40mbit burst 64kb latency 500ms
	transfer_on_fast_path tcp_transfer_s2c
	s tc qdisc del dev s0 root
}

@test "masquerade: fpctl stats account the learned flows" {
	run -0 r fpctl -j stats
	jq -e '.flows_learned >= 2 and .fast_bytes >= 37748736 and .exceptions.no_flow > 0' \
		<<<"$output"
}
