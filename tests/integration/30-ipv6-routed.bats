#!/usr/bin/env bats
# IPv6 routing without NAT on the fast path: TCP both ways and UDP echoes
# arrive intact with almost every forwarded packet on the fast path; the
# flow is listed per family with its addresses in text form.
#
#   c                         r (conntrack, no NAT)                   s
#   c0 fd00:1::2/64 ------- r0 fd00:1::1    r1 fd00:2::1 ------- s0 fd00:2::2/64
#                           fastpath on r0 and r1

load ../lib/ipv6

setup_file() {
	v6_setup track
	v6_payload 4096 "$BATS_FILE_TMPDIR/payload"
}

@test "routed IPv6: 4 MiB TCP c->s intact, >= 90% on the fast path" {
	local learned est
	learned=$(v6_stat flows_learned)
	est=$(topo_fwd_established)
	v6_share_mark
	tcp_receiver "$NS_S" 5001 fd00:2::2 "$BATS_TEST_TMPDIR/recv"
	in_ns "$NS_C" timeout 120 socat -u "OPEN:$BATS_FILE_TMPDIR/payload" "TCP:[fd00:2::2]:5001"
	wait "$V6_BG_LAST"
	same_file "$BATS_FILE_TMPDIR/payload" "$BATS_TEST_TMPDIR/recv"
	v6_share_check 90
	[ "$(v6_stat flows_learned)" -gt "$learned" ] || fail "no flow learned"
	# Handshake and teardown stay on the normal path, nothing in between.
	est=$(($(topo_fwd_established) - est))
	[ "$est" -le 20 ] || fail "$est established packets went through the forward chain"
}

@test "routed IPv6: 4 MiB TCP s->c intact, >= 90% on the fast path" {
	v6_share_mark
	tcp_sender "$NS_S" 5002 fd00:2::2 "$BATS_FILE_TMPDIR/payload"
	in_ns "$NS_C" timeout 120 socat -u "TCP:[fd00:2::2]:5002" "OPEN:$BATS_TEST_TMPDIR/recv,creat,trunc"
	wait "$V6_BG_LAST"
	same_file "$BATS_FILE_TMPDIR/payload" "$BATS_TEST_TMPDIR/recv"
	v6_share_check 90
}

@test "routed IPv6: 200 UDP echoes intact, >= 90% on the fast path, flow listed" {
	local flow
	v6_udp_server "$NS_S" 7001 "$BATS_TEST_TMPDIR/server.log"
	v6_share_mark
	run -0 v6tool "$NS_C" udp-send fd00:2::2 7001 --count 200 --size 1000 --echo --window 16 \
		--sport 40001 --log "$BATS_TEST_TMPDIR/sent.log"
	assert_output '{"sent": 200, "echoed": 200}'
	diff <(jq -c '[.len, .sha]' "$BATS_TEST_TMPDIR/sent.log") \
		<(jq -c '[.len, .sha]' "$BATS_TEST_TMPDIR/server.log") ||
		fail "s did not receive exactly the datagrams c sent"
	v6_share_check 90

	run -0 v6_flows family 6
	flow=$(jq -c '.[] | select(.proto == "udp" and .orig.dport == 7001)' <<<"$output")
	[ -n "$flow" ] || fail "no UDP flow to port 7001 in: $output"
	echo "$flow"
	# Routing only: the translated tuple is the received one.
	jq -e '.family == 6 and
		.orig.iif == "r0" and .orig.oif == "r1" and
		.orig.src == "fd00:1::2" and .orig.dst == "fd00:2::2" and
		.orig.sport == 40001 and .orig.dport == 7001 and
		.orig.xlat_src == "fd00:1::2" and .orig.xlat_dst == "fd00:2::2" and
		.orig.xlat_sport == 40001 and .orig.xlat_dport == 7001 and
		.reply.iif == "r1" and .reply.oif == "r0" and
		.reply.src == "fd00:2::2" and .reply.dst == "fd00:1::2" and
		.reply.sport == 7001 and .reply.dport == 40001 and
		.reply.xlat_src == "fd00:2::2" and .reply.xlat_dst == "fd00:1::2" and
		.orig.offloaded and .reply.offloaded and
		.orig.packets >= 190 and .reply.packets >= 190' <<<"$flow" ||
		fail "the flow does not describe fd00:1::2:40001 <-> fd00:2::2:7001"

	# The text form writes IPv6 endpoints in brackets; no IPv4 flow exists.
	run -0 fpr flow show family 6
	assert_output --partial "[fd00:1::2]:40001 -> [fd00:2::2]:7001"
	run -0 v6_flows family 4
	jq -e 'length == 0' <<<"$output" || fail "IPv4 flows listed: $output"

	run -0 fpr -j flow get proto udp src fd00:1::2 dst fd00:2::2 sport 40001 dport 7001
	jq -e --argjson id "$(jq .id <<<"$flow")" '[.] | flatten | .[0].id == $id' <<<"$output" ||
		fail "flow get returned another flow: $output"
}
