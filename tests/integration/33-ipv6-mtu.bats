#!/usr/bin/env bats
# Path MTU: the r1 link has MTU 1280 while c's side has 1500, and s
# advertises a TCP MSS that only fits c's side.  Packets of learned flows
# that do not fit r1 are left to the stack (mtu exception), which answers
# with ICMPv6 Packet Too Big; transfers then complete intact.
#
#   c                         r                                       s
#   c0 fd00:1::2/64 ------- r0 fd00:1::1    r1 fd00:2::1 ------- s0 fd00:2::2/64
#   MTU 1500                MTU 1500        MTU 1280              MTU 1280,
#                           fastpath on r0 and r1, conntrack      advmss 1440
#                           without NAT

load ../lib/ipv6

setup_file() {
	v6_setup track
	ip -n "$NS_R" link set r1 mtu 1280
	ip -n "$NS_S" link set s0 mtu 1280
	ip -n "$NS_S" -6 route replace default via fd00:2::1 advmss 1440
	v6_payload 2048 "$BATS_FILE_TMPDIR/payload"
}

setup() {
	# Forget the path MTU c learned in an earlier test.
	ip -n "$NS_C" -6 route flush cache
	run -0 ip -n "$NS_C" -6 route get fd00:2::2
	refute_output --partial "mtu 1280"
}

# One Packet Too Big from r with MTU 1280 for c -> s in capture $1.
assert_ptb() {
	local ptb
	ptb=$(v6_packets "$1" | jq -c 'select(.icmp_type == 2)')
	echo "$ptb"
	[ -n "$ptb" ] || fail "c got no ICMPv6 Packet Too Big"
	jq -e -s 'all(.src == "fd00:1::1" and .dst == "fd00:1::2" and .icmp_mtu == 1280 and
		.inner_src == "fd00:1::2" and .inner_dst == "fd00:2::2" and .csum_ok)' \
		<<<"$ptb" >/dev/null || fail "unexpected Packet Too Big"
}

@test "MTU: UDP datagram over r1's MTU on a learned flow gets Packet Too Big, the flow stays fast" {
	local send=(udp-send fd00:2::2 7003 --sport 40201 --size 200) mtu fast
	v6_udp_server "$NS_S" 7003 "$BATS_TEST_TMPDIR/server.log"
	v6tool "$NS_C" "${send[@]}" --count 3 --echo >/dev/null
	v6_wait_offloaded udp 7003 >/dev/null

	v6_capture_start "$NS_C" c0 "$BATS_TEST_TMPDIR/c.pcap" icmp6
	mtu=$(fp_exc mtu)
	fast=$(v6_stat fast_packets)
	# 1448 bytes on the wire: fits c0, not r1.  Not fragmented by c.
	v6tool "$NS_C" "${send[@]}" --first 3 --size 1400 --dontfrag >/dev/null
	[ "$(($(fp_exc mtu) - mtu))" -eq 1 ] || fail "mtu exception not counted once"
	[ "$(v6_stat fast_packets)" -eq "$fast" ] || fail "the big datagram took the fast path"
	v6tool "$NS_C" "${send[@]}" --first 4 --count 3 --echo >/dev/null
	[ "$(($(v6_stat fast_packets) - fast))" -eq 6 ] ||
		fail "the flow's small datagrams no longer take the fast path"
	v6_capture_stop
	assert_ptb "$BATS_TEST_TMPDIR/c.pcap"
	jq -e -s 'map(.len) == [200, 200, 200, 200, 200, 200]' "$BATS_TEST_TMPDIR/server.log" ||
		fail "s got something else than the small datagrams"
}

@test "MTU: TCP c->s gets Packet Too Big and completes intact" {
	local mtu
	v6_capture_start "$NS_C" c0 "$BATS_TEST_TMPDIR/c.pcap" icmp6
	mtu=$(fp_exc mtu)
	tcp_receiver "$NS_S" 5001 fd00:2::2 "$BATS_TEST_TMPDIR/recv"
	in_ns "$NS_C" timeout 120 socat -u "OPEN:$BATS_FILE_TMPDIR/payload" "TCP:[fd00:2::2]:5001"
	wait "$V6_BG_LAST"
	v6_capture_stop
	same_file "$BATS_FILE_TMPDIR/payload" "$BATS_TEST_TMPDIR/recv"
	echo "# mtu exceptions: $(($(fp_exc mtu) - mtu))" >&3
	[ "$(fp_exc mtu)" -gt "$mtu" ] || fail "no mtu exception counted"
	assert_ptb "$BATS_TEST_TMPDIR/c.pcap"
	run -0 ip -n "$NS_C" -6 route get fd00:2::2
	assert_output --partial "mtu 1280"
}

@test "MTU: TCP s->c completes intact, >= 90% on the fast path" {
	v6_share_mark
	tcp_sender "$NS_S" 5002 fd00:2::2 "$BATS_FILE_TMPDIR/payload"
	in_ns "$NS_C" timeout 120 socat -u "TCP:[fd00:2::2]:5002" "OPEN:$BATS_TEST_TMPDIR/recv,creat,trunc"
	wait "$V6_BG_LAST"
	same_file "$BATS_FILE_TMPDIR/payload" "$BATS_TEST_TMPDIR/recv"
	v6_share_check 90
}
