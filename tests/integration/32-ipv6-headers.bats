#!/usr/bin/env bats
# What leaves the fast path is what the normal stack would send: captures at
# s (c -> s) and at c (s -> c) of the same exchange with fastpath enabled and
# disabled agree on every IPv6 field (hop limit, traffic class, flow label,
# addresses, payload length) and the ports and payload, with valid L4
# checksums after the incremental NAT update.  Hop limit: one less on
# arrival; hop limit 1 on a learned flow gets time exceeded from r.
#
#   c                         r                                       s
#   c0 fd00:1::2/64 ------- r0 fd00:1::1    r1 fd00:2::1 ------- s0 fd00:2::2/64
#   (no TX checksum         fastpath on r0 and r1                 (no TX checksum
#    offload)               masquerade out of r1                   offload, reflects
#                                                                  flow labels)

load ../lib/ipv6

setup_file() {
	v6_setup masquerade
	# Full checksums on the wire, so that the captures can verify them.
	in_ns "$NS_C" ethtool -K c0 tx off >/dev/null
	in_ns "$NS_S" ethtool -K s0 tx off >/dev/null
	# s answers TCP with the flow label of c's SYN: both directions carry a
	# known label.
	in_ns "$NS_S" sysctl -qw net.ipv6.flowlabel_reflect=1
	# A UDP flow learned before two captures start must outlive their
	# set-up, which takes most of the default 30 s on the debug kernel.
	fpr config set udp-timeout 300
}

teardown() {
	v6_teardown
	fp_enable_router 2>/dev/null || true
}

# The fields compared between the two runs: all but the source port c used
# (each run uses its own).
FIELDS='{hlim, tclass, flowlabel, src, dst, plen, exthdrs, proto, payload_len, payload_sha, csum_ok, tcp_flags}'

# Capture one exchange at both ends: $1 names the run, the rest is the
# ipv6tool command c runs.  FAST is the number of fast-path packets.
capture_run() {
	local run=$1 fast
	shift
	v6_capture_start "$NS_S" s0 "$BATS_TEST_TMPDIR/s-$run.pcap" ip6
	v6_capture_start "$NS_C" c0 "$BATS_TEST_TMPDIR/c-$run.pcap" ip6
	fast=$(v6_stat fast_packets)
	v6tool "$NS_C" "$@" >/dev/null
	FAST=$(($(v6_stat fast_packets) - fast))
	v6_capture_stop
}

# Packets of run $1 captured at $2 (s or c) matching jq filter $3, reduced
# to the compared fields plus $4.
fields() {
	v6_packets "$BATS_TEST_TMPDIR/$2-$1.pcap" | jq -c "select($3) | $FIELDS + $4"
}

# Both runs captured the same packets at $1 (filter $2, extra fields $3),
# $4 of them, and these satisfy $5.
same_both_runs() {
	local fast slow
	fast=$(fields fast "$1" "$2" "$3")
	slow=$(fields slow "$1" "$2" "$3")
	echo "fastpath enabled, at $1:"
	echo "$fast"
	echo "fastpath disabled, at $1:"
	echo "$slow"
	[ "$(grep -c . <<<"$fast")" -eq "$4" ] || fail "expected $4 packets at $1 with fastpath"
	[ "$fast" = "$slow" ] || fail "packets at $1 differ with and without fastpath"
	jq -e -s "all($5)" <<<"$fast" >/dev/null || fail "packets at $1 are not as expected: $5"
}

@test "UDP headers identical with and without fastpath (hop limit, class, flow label, NAT, checksums)" {
	local send=(udp-send fd00:2::2 7002 --echo --size 300 --tclass 0xb8 --label 0x12345) flow
	v6_udp_server "$NS_S" 7002 "$BATS_TEST_TMPDIR/server.log" --tclass 0x28 --label 0x54321

	# Learn the flow, then capture two more echoes on the fast path.
	v6tool "$NS_C" "${send[@]}" --sport 40101 --count 3 >/dev/null
	flow=$(v6_wait_offloaded udp 7002)
	capture_run fast "${send[@]}" --sport 40101 --count 2 --first 3
	[ "$FAST" -eq 4 ] ||
		fail "$FAST packets on the fast path, expected the 4 of the run; learned as $flow, then $(fpr -j stats)"

	fpr disable dev r0
	fpr disable dev r1
	v6tool "$NS_C" "${send[@]}" --sport 40102 --count 3 >/dev/null
	capture_run slow "${send[@]}" --sport 40102 --count 2 --first 3
	[ "$FAST" -eq 0 ] || fail "$FAST packets on the fast path while it was disabled"

	same_both_runs s '.proto == 17 and .dport == 7002' '{dport}' 2 \
		'.hlim == 63 and .tclass == 184 and .flowlabel == 74565 and
		 .src == "fd00:2::1" and .dst == "fd00:2::2" and .csum_ok and .plen == 308'
	same_both_runs c '.proto == 17 and .sport == 7002' '{sport}' 2 \
		'.hlim == 63 and .tclass == 40 and .flowlabel == 344865 and
		 .src == "fd00:2::2" and .dst == "fd00:1::2" and .csum_ok and .plen == 308'
	# The reply is translated back to each run's own port.
	v6_packets "$BATS_TEST_TMPDIR/c-fast.pcap" | jq -e -s \
		'[.[] | select(.sport == 7002)] | length == 2 and all(.dport == 40101)' >/dev/null ||
		fail "replies did not go back to port 40101"
	v6_packets "$BATS_TEST_TMPDIR/c-slow.pcap" | jq -e -s \
		'[.[] | select(.sport == 7002)] | length == 2 and all(.dport == 40102)' >/dev/null ||
		fail "replies did not go back to port 40102"
}

@test "TCP headers identical with and without fastpath (hop limit, class, flow label, NAT, checksums)" {
	local probe=(tcp-probe fd00:2::2 5003 --tclass 0xb8 --label 0x23456)
	v6_bg "$NS_S" "${PYTOOL[@]}" "$V6TOOL" tcp-echo 5003 --tclass 0x28
	wait_listen "$NS_S" tcp 5003

	capture_run fast "${probe[@]}" --sport 40111
	# The 700-byte segment and its echo at least, after learning.
	[ "$FAST" -ge 2 ] || fail "$FAST packets on the fast path"

	fpr disable dev r0
	fpr disable dev r1
	capture_run slow "${probe[@]}" --sport 40112
	[ "$FAST" -eq 0 ] || fail "$FAST packets on the fast path while it was disabled"

	same_both_runs s '.proto == 6 and .dport == 5003 and .payload_len == 700' '{dport}' 1 \
		'.hlim == 63 and .tclass == 184 and .flowlabel == 144470 and
		 .src == "fd00:2::1" and .dst == "fd00:2::2" and .csum_ok'
	same_both_runs c '.proto == 6 and .sport == 5003 and .payload_len == 700' '{sport}' 1 \
		'.hlim == 63 and .tclass == 40 and .flowlabel == 144470 and
		 .src == "fd00:2::2" and .dst == "fd00:1::2" and .csum_ok'
	# Every TCP segment of both runs, including handshake and teardown,
	# arrived with a valid checksum.
	local f
	for f in s-fast c-fast s-slow c-slow; do
		v6_packets "$BATS_TEST_TMPDIR/$f.pcap" |
			jq -e -s '[.[] | select(.proto == 6)] | length >= 6 and all(.csum_ok)' >/dev/null ||
			fail "$f: TCP segment with a bad checksum"
	done
}

@test "hop limit: 2 arrives as 1 on the fast path; 1 gets time exceeded from r" {
	local send=(udp-send fd00:2::2 7004 --sport 40121) ttl fast pkts
	v6_udp_server "$NS_S" 7004 "$BATS_TEST_TMPDIR/server.log"
	v6tool "$NS_C" "${send[@]}" --count 3 --echo >/dev/null
	v6_wait_offloaded udp 7004 >/dev/null

	v6_capture_start "$NS_S" s0 "$BATS_TEST_TMPDIR/s.pcap" udp port 7004
	v6_capture_start "$NS_C" c0 "$BATS_TEST_TMPDIR/c.pcap" icmp6
	fast=$(v6_stat fast_packets)
	ttl=$(fp_exc ttl)
	v6tool "$NS_C" "${send[@]}" --first 10 --hlim 2 --echo >/dev/null
	[ "$(($(v6_stat fast_packets) - fast))" -eq 2 ] ||
		fail "the hop limit 2 datagram and its echo did not both take the fast path"
	v6tool "$NS_C" "${send[@]}" --first 11 --hlim 1 >/dev/null
	v6_capture_stop

	[ "$(($(fp_exc ttl) - ttl))" -eq 1 ] || fail "ttl exception not counted once"
	[ "$(($(v6_stat fast_packets) - fast))" -eq 2 ] || fail "hop limit 1 took the fast path"
	pkts=$(v6_packets "$BATS_TEST_TMPDIR/s.pcap" | jq -c 'select(.dport == 7004)')
	echo "$pkts"
	jq -e -s 'length == 1 and .[0].hlim == 1' <<<"$pkts" >/dev/null ||
		fail "s did not get exactly the hop limit 2 datagram, with hop limit 1"
	pkts=$(v6_packets "$BATS_TEST_TMPDIR/c.pcap" | jq -c 'select(.icmp_type == 3)')
	echo "$pkts"
	jq -e -s 'length == 1 and .[0].icmp_code == 0 and .[0].src == "fd00:1::1" and
		.[0].inner_src == "fd00:1::2" and .[0].inner_dst == "fd00:2::2" and .[0].csum_ok' \
		<<<"$pkts" >/dev/null || fail "no ICMPv6 time exceeded from r for the hop limit 1 datagram"
}
