#!/usr/bin/env bats
# IPv4 port forwarding (DNAT), UDP, and 200 parallel flows on the fast path.
#
#   c                        r                                    s
#   c0 10.0.1.2/24 ------- r0 10.0.1.1    r1 10.0.2.1 ------- s0 10.0.2.2/24
#   listens on 5001        fastpath on r0 and r1
#                          masquerade out of r1;
#                          10.0.2.1:8080 (tcp, udp) -> DNAT 10.0.1.2:5001

bats_require_minimum_version 1.5.0
load ../lib/topo

setup_file() {
	topo_setup
	topo_masquerade
	r nft -f - <<-'EOF'
	table ip fp_dnat {
		chain prerouting {
			type nat hook prerouting priority dstnat; policy accept;
			iifname "r1" tcp dport 8080 dnat to 10.0.1.2:5001
			iifname "r1" udp dport 8080 dnat to 10.0.1.2:5001
		}
	}
	EOF
	fp_enable_router
	make_payload 8 "$BATS_FILE_TMPDIR/payload"
	make_payload 1 "$BATS_FILE_TMPDIR/small"
}

# The flow whose original direction is $1 (a jq condition on .orig).
flow_where() {
	fp_flows | jq -c ".[] | select(.orig | $1)"
}

@test "DNAT: 8 MB TCP s -> 10.0.2.1:8080 reaches c:5001 on the fast path" {
	local out="$BATS_TEST_TMPDIR/recv" rx0 fast0 srv cli flow="" i rx fast
	rx0=$(r_rx_packets)
	fast0=$(fp_stat fast_packets)
	# Pace the sender: unpaced, GSO makes the transfer end (and its flow
	# go) before fpctl can look.  8 Mbit/s: about 8 s, several polls even
	# on a busy machine, where each one takes a second or two.
	s tc qdisc add dev s0 root tbf rate 8mbit burst 64kb latency 500ms
	c timeout 300 socat -u TCP-LISTEN:5001,reuseaddr,pf=ip4 "OPEN:$out,creat,trunc" &
	srv=$!
	wait_listen "$NS_C" tcp 5001
	s timeout 300 socat -u "OPEN:$BATS_FILE_TMPDIR/payload" TCP:10.0.2.1:8080 &
	cli=$!
	for i in $(seq 1 60); do
		fp_flows >"$BATS_TEST_TMPDIR/flows"
		# One jq a poll: the flow once offloaded both ways.
		flow=$(jq -c '.[] | select(.orig.src == "10.0.2.2" and .orig.dport == 8080 and
			.orig.offloaded and .reply.offloaded)' "$BATS_TEST_TMPDIR/flows")
		[ -z "$flow" ] || break
		# Until the receiver has it all: the sender is done as soon as
		# the rest fits in its socket buffer.
		kill -0 "$srv" 2>/dev/null || break
		sleep 0.2
	done
	wait "$cli" || fail "sender failed"
	wait "$srv" || fail "receiver failed"
	s tc qdisc del dev s0 root
	cmp "$BATS_FILE_TMPDIR/payload" "$out"

	rx=$(($(r_rx_packets) - rx0))
	fast=$(($(fp_stat fast_packets) - fast0))
	echo "# DNAT TCP: forwarded $rx, fast path $fast" >&3
	[ -n "$flow" ] || fail "no offloaded flow 10.0.2.2 -> 10.0.2.1:8080; last table seen:" \
		"$(cat "$BATS_TEST_TMPDIR/flows")"
	echo "$flow"
	jq -e '.orig.offloaded and .reply.offloaded and .orig.iif == "r1" and .orig.oif == "r0" and .orig.dst == "10.0.2.1" and
		.orig.xlat_dst == "10.0.1.2" and .orig.xlat_dport == 5001 and
		.orig.xlat_src == "10.0.2.2" and
		.reply.iif == "r0" and .reply.oif == "r1" and
		.reply.src == "10.0.1.2" and .reply.sport == 5001 and
		.reply.xlat_src == "10.0.2.1" and .reply.xlat_sport == 8080' <<<"$flow" ||
		fail "flow does not carry the DNAT translation"
	[ "$((fast * 100))" -ge "$((rx * 90))" ] ||
		fail "only $fast of $rx forwarded packets took the fast path"
}

# UDP file transfer: seq-numbered datagrams of 1400 bytes, each echoed back
# (so both directions are learned and carry data), reassembled and compared.
udp_file() {
	local from=$1 to=$2 addr=$3 port=$4 lport=$5 sport=$6
	local out="$BATS_TEST_TMPDIR/udp-recv" srv
	nettool "$to" udp-echo "$lport" --out "$out" &
	srv=$!
	wait_listen "$to" udp "$lport"
	run -0 nettool "$from" udp-send "$addr" "$port" --sport "$sport" \
		--file "$BATS_FILE_TMPDIR/small" --window 8
	echo "$output"
	wait "$srv" || fail "receiver reported missing datagrams"
	cmp "$BATS_FILE_TMPDIR/small" "$out"
}

@test "UDP: 1 MB each way through masquerade and DNAT, checksums equal, fast path" {
	local fast0 fast flow
	fast0=$(fp_stat fast_packets)
	udp_file "$NS_C" "$NS_S" 10.0.2.2 5002 5002 4002
	udp_file "$NS_S" "$NS_C" 10.0.2.1 8080 5001 4003
	fast=$(($(fp_stat fast_packets) - fast0))
	# 750 datagrams and 750 echoes each way, a handful before learning.
	echo "# UDP: fast path $fast of about 3000" >&3
	[ "$fast" -ge 2900 ] || fail "only $fast UDP packets took the fast path"

	flow=$(flow_where '.src == "10.0.1.2" and .sport == 4002 and .dport == 5002')
	echo "$flow"
	jq -e '.proto == "udp" and .orig.offloaded and .reply.offloaded and
		.orig.xlat_src == "10.0.2.1" and .orig.packets >= 740 and
		.reply.packets >= 740' <<<"$flow"
	flow=$(flow_where '.src == "10.0.2.2" and .sport == 4003 and .dport == 8080')
	echo "$flow"
	jq -e '.proto == "udp" and .orig.offloaded and .reply.offloaded and
		.orig.xlat_dst == "10.0.1.2" and .orig.xlat_dport == 5001 and
		.orig.packets >= 740 and .reply.packets >= 740' <<<"$flow"
}

@test "200 parallel TCP flows through DNAT: all echo correctly, all learned" {
	local hold="$BATS_TEST_TMPDIR/hold" srv cli i flows
	nettool "$NS_C" tcp-echo 5001 --conns 200 &
	srv=$!
	wait_listen "$NS_C" tcp 5001
	nettool "$NS_S" tcp-many 10.0.2.1 8080 --flows 200 --rounds 3 \
		--sizes 100,1000,3000 --hold "$hold" --hold-after 2 &
	cli=$!
	for i in $(seq 1 600); do
		[ -e "$hold.ready" ] && break
		kill -0 "$cli" 2>/dev/null || break
		sleep 0.2
	done
	[ -e "$hold.ready" ] || fail "the 200 connections did not come up"
	# After two echoed rounds every direction of every connection has carried
	# a packet to learn from and one to verify it on (senders on veths leave
	# checksums partial, which a verification on the next packet completes).
	flows=$(fp_flows | jq '[.[] | select(.proto == "tcp" and .orig.dport == 8080 and
		.orig.xlat_dport == 5001 and .orig.offloaded and .reply.offloaded)] | length')
	touch "$hold.go"
	wait "$cli" || fail "an exchange on one of the 200 connections went wrong"
	wait "$srv"
	echo "# offloaded DNAT flows while 200 connections were open: $flows" >&3
	[ "$flows" -eq 200 ] || fail "$flows of 200 connections learned"
}
