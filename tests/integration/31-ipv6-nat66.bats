#!/usr/bin/env bats
# NAT66 on the fast path: masquerade out of r1 (TCP both ways, UDP echoes),
# a DNAT66 port forward from s to c, and 200 parallel masqueraded flows; the
# translated tuples are listed and almost every packet takes the fast path.
#
#   c                         r                                       s
#   c0 fd00:1::2/64 ------- r0 fd00:1::1    r1 fd00:2::1 ------- s0 fd00:2::2/64
#                           fastpath on r0 and r1
#                           masquerade out of r1 (to fd00:2::1)
#                           [fd00:2::1]:8080 on r1 -> DNAT [fd00:1::2]:5001
#                           [fd00:2::1]:8081 on r1 -> DNAT [fd00:1::2]:7001 (UDP)

load ../lib/ipv6

setup_file() {
	v6_setup masquerade
	in_ns "$NS_R" nft -f - <<-'EOF'
	table ip6 fp_dnat {
		chain prerouting {
			type nat hook prerouting priority dstnat; policy accept;
			iifname "r1" ip6 daddr fd00:2::1 tcp dport 8080 dnat to [fd00:1::2]:5001
			iifname "r1" ip6 daddr fd00:2::1 udp dport 8081 dnat to [fd00:1::2]:7001
		}
	}
	EOF
	v6_payload 4096 "$BATS_FILE_TMPDIR/payload"
}

# The masqueraded flow c -> [fd00:2::2]:$1 carries the SNAT both ways.
check_masquerade() {
	local flow=$1
	echo "$flow"
	jq -e --argjson port "$2" '.family == 6 and
		.orig.iif == "r0" and .orig.oif == "r1" and
		.orig.src == "fd00:1::2" and .orig.dst == "fd00:2::2" and .orig.dport == $port and
		.orig.xlat_src == "fd00:2::1" and .orig.xlat_dst == "fd00:2::2" and
		.orig.xlat_dport == $port and .orig.xlat_sport == .reply.dport and
		.reply.iif == "r1" and .reply.oif == "r0" and
		.reply.src == "fd00:2::2" and .reply.dst == "fd00:2::1" and .reply.sport == $port and
		.reply.xlat_src == "fd00:2::2" and .reply.xlat_dst == "fd00:1::2" and
		.reply.xlat_sport == $port and .reply.xlat_dport == .orig.sport' <<<"$flow" ||
		fail "the flow does not carry the masquerade translation"
}

# Transfer the payload ($1 ...: xfer_start arguments after the name) and
# check the share of the fast path before the connection closes; FLOW is
# the offloaded flow to port $PORT seen during the transfer.
transfer_payload() {
	local size
	size=$(stat -c %s "$BATS_FILE_TMPDIR/payload")
	v6_share_mark
	xfer_start t "$@" --file "$BATS_FILE_TMPDIR/payload"
	FLOW=$(v6_wait_offloaded tcp "$PORT")
	xfer_wait_data t "$size"
	v6_share_check 90
	xfer_finish t
}

@test "NAT66 masquerade: 4 MiB TCP c->s intact, >= 90% on the fast path, NAT'd flow listed" {
	local est
	est=$(topo_fwd_established)
	PORT=5001 transfer_payload "$NS_C" "$NS_S" fd00:2::2 5001
	check_masquerade "$FLOW" 5001
	est=$(($(topo_fwd_established) - est))
	[ "$est" -le 20 ] || fail "$est established packets went through the forward chain"
}

@test "NAT66 masquerade: 4 MiB TCP s->c intact, >= 90% on the fast path, NAT'd flow listed" {
	PORT=5002 transfer_payload "$NS_S" "$NS_C" fd00:2::2 5002 --sender-listens
	check_masquerade "$FLOW" 5002
}

@test "NAT66 masquerade: 200 UDP echoes intact, >= 90% on the fast path" {
	v6_udp_server "$NS_S" 7002 "$BATS_TEST_TMPDIR/server.log"
	v6_share_mark
	run -0 v6tool "$NS_C" udp-send fd00:2::2 7002 --count 200 --size 1000 --echo --window 16 \
		--sport 40002 --log "$BATS_TEST_TMPDIR/sent.log"
	assert_output '{"sent": 200, "echoed": 200}'
	diff <(jq -c '[.len, .sha]' "$BATS_TEST_TMPDIR/sent.log") \
		<(jq -c '[.len, .sha]' "$BATS_TEST_TMPDIR/server.log") ||
		fail "s did not receive exactly the datagrams c sent"
	# s saw the masqueraded source.
	jq -e -s 'all(.peer == "fd00:2::1")' "$BATS_TEST_TMPDIR/server.log" >/dev/null ||
		fail "datagrams reached s from another address than fd00:2::1"
	v6_share_check 90
	check_masquerade "$(v6_flow udp 7002)" 7002
}

@test "DNAT66 port forward: 4 MiB TCP s -> [fd00:2::1]:8080 reaches c:5001 intact, >= 90% on the fast path" {
	local flow
	PORT=8080 transfer_payload "$NS_S" "$NS_C" fd00:2::1 8080 --listen-port 5001
	flow=$FLOW
	echo "$flow"
	jq -e '.family == 6 and
		.orig.iif == "r1" and .orig.oif == "r0" and
		.orig.src == "fd00:2::2" and .orig.dst == "fd00:2::1" and .orig.dport == 8080 and
		.orig.xlat_src == "fd00:2::2" and .orig.xlat_dst == "fd00:1::2" and
		.orig.xlat_dport == 5001 and .orig.xlat_sport == .orig.sport and
		.reply.iif == "r0" and .reply.oif == "r1" and
		.reply.src == "fd00:1::2" and .reply.dst == "fd00:2::2" and .reply.sport == 5001 and
		.reply.xlat_src == "fd00:2::1" and .reply.xlat_dst == "fd00:2::2" and
		.reply.xlat_sport == 8080 and .reply.xlat_dport == .orig.sport' <<<"$flow" ||
		fail "the flow does not carry the port forward"
}

@test "DNAT66 port forward: UDP echoes s -> [fd00:2::1]:8081 answered by c:7001" {
	v6_udp_server "$NS_C" 7001 "$BATS_TEST_TMPDIR/server.log"
	v6_share_mark
	run -0 v6tool "$NS_S" udp-send fd00:2::1 8081 --count 200 --size 500 --echo --window 16 --sport 40003
	assert_output '{"sent": 200, "echoed": 200}'
	[ "$(wc -l <"$BATS_TEST_TMPDIR/server.log")" -eq 200 ] || fail "c did not get 200 datagrams"
	v6_share_check 90
	v6_flow udp 8081 | jq -e '.orig.xlat_dst == "fd00:1::2" and .orig.xlat_dport == 7001 and
		.reply.xlat_src == "fd00:2::1" and .reply.xlat_sport == 8081' ||
		fail "no offloaded port-forward flow: $(v6_flows)"
}

@test "NAT66 masquerade: 200 parallel TCP flows offloaded, echoes intact" {
	local tmp=$BATS_TEST_TMPDIR n i
	v6_bg "$NS_S" "${PYTOOL[@]}" "$V6TOOL" tcp-echo 5100
	wait_listen "$NS_S" tcp 5100
	# Two rounds before the check: a direction learned from a packet whose
	# checksum the veth left partial is verified on its next one.
	v6_bg "$NS_C" "${PYTOOL[@]}" "$V6TOOL" tcp-many fd00:2::2 5100 --flows 200 --rounds 2 \
		--ready "$tmp/ready" --go "$tmp/go" --done "$tmp/done" --close "$tmp/close"
	local client=$V6_BG_LAST
	for i in $(seq 1 600); do
		[ -e "$tmp/ready" ] && break
		kill -0 "$client" 2>/dev/null || break
		sleep 0.2
	done
	[ -e "$tmp/ready" ] || fail "the 200 connections did not complete their first rounds"
	for i in $(seq 1 50); do
		n=$(v6_flows family 6 proto tcp dport 5100 |
			jq '[.[] | select(.orig.offloaded and .reply.offloaded and
				.orig.xlat_src == "fd00:2::1")] | length')
		[ "$n" -ge 200 ] && break
		sleep 0.2
	done
	echo "# offloaded flows: $n" >&3
	[ "$n" -ge 200 ] || fail "only $n of 200 flows offloaded"
	[ "$(v6_stat flows_active)" -ge 200 ] || fail "flows_active below 200"

	v6_share_mark
	touch "$tmp/go"
	for i in $(seq 1 600); do
		[ -e "$tmp/done" ] && break
		kill -0 "$client" 2>/dev/null || break
		sleep 0.1
	done
	[ -e "$tmp/done" ] || fail "the second round did not complete"
	v6_share_check 90
	touch "$tmp/close"
	wait "$client" || fail "a flow's echo was missing or differed"
}
