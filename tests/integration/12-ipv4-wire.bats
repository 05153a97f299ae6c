#!/usr/bin/env bats
# IPv4 packets leaving the fast path are the packets the normal stack sends.
#
#   c                        r (masquerade out of r1)            s
#   c0 10.0.1.2/24 ------- r0 10.0.1.1    r1 10.0.2.1 ------- s0 10.0.2.2/24
#   tcpdump on c0          fastpath on r0 and r1                tcpdump on s0
#   tx checksum offload off                                     offload on
#
# The same traffic runs twice, with fastpath enabled and disabled, captured
# at both ends of the router.  c sends crafted packets (raw socket: fixed IP
# id, DSCP/ECN, DF, length, payload), with and without a UDP checksum; s
# echoes them; then a short TCP exchange with a socket TOS.  c computes its
# checksums in software, s leaves them to "hardware" (CHECKSUM_PARTIAL across
# the veth), so both checksum states go through the router.
# tests/lib/nettool.py pcap-check then asserts, for each run, that every
# checksum is valid (full, or a correct partial pseudo-header sum, or UDP
# zero) and every packet that left r is exactly what a masquerading router
# must send for the one that entered it (TTL-1, address rewritten, checksums
# updated, nothing else touched); and that the crafted flows' frames,
# Ethernet header included, are byte-identical in both runs (but for the IP
# id of s's echoes, which s's stack chooses).

bats_require_minimum_version 1.5.0
load ../lib/topo

setup_file() {
	topo_setup
	require ethtool python3
	topo_masquerade
	c ethtool -K c0 tx off >/dev/null
	# Echo servers: crafted UDP flows on 7000, TCP on 7001.
	nettool "$NS_S" udp-echo 7000 >/dev/null 2>&1 3>&- &
	wait_listen "$NS_S" udp 7000
}

# One run: capture the crafted UDP flows (client ports 4001, 4002) and a TCP
# exchange (client port $2) into $BATS_FILE_TMPDIR/$1-{c,s}.pcap; the flow
# table after the UDP flows into $1-flows.json.
traffic_run() {
	local name=$1 tport=$2 srv
	r conntrack -F 2>/dev/null
	capture_start "$NS_C" c0 "$BATS_FILE_TMPDIR/$name-c.pcap"
	capture_start "$NS_S" s0 "$BATS_FILE_TMPDIR/$name-s.pcap"
	nettool "$NS_S" tcp-echo 7001 3>&- &
	srv=$!
	wait_listen "$NS_S" tcp 7001
	nettool "$NS_C" raw-udp 10.0.1.2 10.0.2.2 7000 --sport 4001 --count 12 ||
		fail "crafted UDP flow not echoed"
	nettool "$NS_C" raw-udp 10.0.1.2 10.0.2.2 7000 --sport 4002 --count 12 --zero-csum ||
		fail "crafted zero-checksum UDP flow not echoed"
	fp_flows >"$BATS_FILE_TMPDIR/$name-flows.json"
	nettool "$NS_C" tcp-many 10.0.2.2 7001 --flows 1 --sport "$tport" --rounds 8 \
		--sizes 1,100,1400,2900,30 --tos 0x28 || fail "TCP exchange failed"
	wait "$srv"
	capture_stop "$BATS_FILE_TMPDIR/$name-c.pcap"
	capture_stop "$BATS_FILE_TMPDIR/$name-s.pcap"
}

@test "fast path and normal stack put identical IPv4 packets on the wire" {
	local fast0 fast_on fast_off
	fp_enable_router
	fast0=$(fp_stat fast_packets)
	traffic_run fast 4003
	fast_on=$(($(fp_stat fast_packets) - fast0))
	cat "$BATS_FILE_TMPDIR/fast-flows.json"
	# c's datagrams change DSCP from one to the next (00 b8 02 03 28 01):
	# each change is verified through the stack, so 3 of the 11 that follow
	# the first (a DSCP repeated: 4th, 7th, 10th) take the fast path; s's
	# echoes keep one.
	jq -e '[.[] | select(.proto == "udp" and (.orig.sport == 4001 or .orig.sport == 4002)
		and .orig.packets >= 3 and .reply.packets >= 10)] | length == 2' \
		"$BATS_FILE_TMPDIR/fast-flows.json" ||
		fail "the crafted UDP flows did not go over the fast path"

	r fpctl disable dev r0
	r fpctl disable dev r1
	fast0=$(fp_stat fast_packets)
	traffic_run slow 4004
	fast_off=$(($(fp_stat fast_packets) - fast0))
	echo "# fast-path packets: $fast_on enabled, $fast_off disabled" >&3
	# 2 x (3 + 10) crafted UDP packets after verification, plus at least
	# half of the TCP exchange's 28 (its first packets each way are
	# handshake and verification).
	[ "$fast_on" -ge 40 ] || fail "only $fast_on packets took the fast path"
	[ "$fast_off" -eq 0 ] || fail "$fast_off packets took the fast path while disabled"

	run nettool "$NS_C" pcap-check --client 10.0.1.2 --server 10.0.2.2 --router 10.0.2.1 \
		--exact 4001,4002 "$BATS_FILE_TMPDIR"/fast-{c,s}.pcap "$BATS_FILE_TMPDIR"/slow-{c,s}.pcap
	echo "$output"
	[ "$status" -eq 0 ] || fail "captures differ (above)"
	# Every flow was seen in both directions on both sides.
	[ "$(grep -c 'c2s_recv=[1-9].*c2s_sent=[1-9].*s2c_recv=[1-9].*s2c_sent=[1-9]' <<<"$output")" -eq 6 ] ||
		fail "a flow is missing from the captures"
}
