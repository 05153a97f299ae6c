#!/usr/bin/env bats
# IPv4 TTL on the fast path: decremented like the stack does, and a packet
# that would expire still gets its ICMP time exceeded from the router.
#
#   c                        r (masquerade out of r1)            s
#   c0 10.0.1.2/24 ------- r0 10.0.1.1    r1 10.0.2.1 ------- s0 10.0.2.2/24
#   UDP 4000 -> 7000       fastpath on r0 and r1                UDP echo 7000,
#                                                               logs each TTL

bats_require_minimum_version 1.5.0
load ../lib/topo

setup_file() {
	topo_setup
	require python3 traceroute
	topo_masquerade
	fp_enable_router
	# The flow learned at a test's start must outlive its five execs,
	# which took over 30 s (the default) on a loaded debug kernel.
	fpctl -n "$NS_R" config set udp-timeout 300
	nettool "$NS_S" udp-echo 7000 --log "$BATS_FILE_TMPDIR/echo.log" >/dev/null 2>&1 3>&- &
	wait_listen "$NS_S" udp 7000
}

# Packets the fast path forwarded in the original direction of the flow
# from c's UDP port 4000.
orig_packets() {
	fp_flows | jq '[.[] | select(.proto == "udp" and .orig.sport == 4000 and
		.orig.offloaded) | .orig.packets] | add // -1'
}

@test "TTL: a TTL-2 packet of a learned flow leaves r with TTL 1 on the fast path" {
	# Three echoed datagrams: both directions learned.
	run -0 nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4000 3
	local before ttl0
	before=$(orig_packets)
	[ "$before" -ge 0 ] || fail "the flow from port 4000 was not learned: $(fp_flows)"
	ttl0=$(fp_stat exceptions.ttl)

	run -0 nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4000 1:ttl=2
	[ "$(orig_packets)" -eq $((before + 1)) ] ||
		fail "the TTL-2 datagram did not take the fast path: $(fpctl -n "$NS_R" -s flow show; fpctl -n "$NS_R" stats)"
	[ "$(fp_stat exceptions.ttl)" -eq "$ttl0" ]
	run -0 tail -n1 "$BATS_FILE_TMPDIR/echo.log"
	echo "$output"
	jq -e '.ttl == 1 and .seq == 0' <<<"$output"
	# The datagrams sent with the default TTL arrived with 63.
	run -0 jq -s '[.[] | select(.ttl == 63)] | length' "$BATS_FILE_TMPDIR/echo.log"
	[ "$output" -eq 3 ]
}

@test "TTL: a TTL-1 packet of a learned flow gets ICMP time exceeded from r" {
	local before ttl0
	run -0 nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4000 2
	before=$(orig_packets)
	[ "$before" -ge 0 ] || fail "the flow from port 4000 is not offloaded: $(fp_flows)"
	ttl0=$(fp_stat exceptions.ttl)

	run -0 nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4000 1:ttl=1,echo=0,err=1
	echo "$output"
	jq -e '.errors | length == 1 and .[0].type == 11 and .[0].code == 0 and
		.[0].offender == "10.0.1.1"' <<<"$output"
	[ "$(fp_stat exceptions.ttl)" -eq $((ttl0 + 1)) ]
	# Still learned, and the expired packet did not count as forwarded.
	[ "$(orig_packets)" -eq "$before" ]
}

@test "TTL: UDP traceroute through r lists r then s" {
	run -0 c traceroute -n -q 1 -w 2 -m 3 10.0.2.2
	echo "$output"
	[[ "${lines[1]}" =~ ^\ 1\ +10\.0\.1\.1\  ]]
	[[ "${lines[2]}" =~ ^\ 2\ +10\.0\.2\.2\  ]]
}
