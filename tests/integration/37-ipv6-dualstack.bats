#!/usr/bin/env bats
# Dual stack: an IPv4 and an IPv6 TCP stream between the same hosts at the
# same time, both masqueraded and offloaded, both intact; fpctl lists each
# family's flows apart (family 4 / family 6) with addresses in text form.
# UDP flows with the same ports in both families are distinct flows.  With
# NAT for IPv4 only (last test), routed IPv6 is offloaded all the same.
#
#   c                           r                                       s
#   c0 10.0.1.2/24  --------- r0 10.0.1.1    r1 10.0.2.1  --------- s0 10.0.2.2/24
#      fd00:1::2/64              fd00:1::1      fd00:2::1               fd00:2::2/64
#                             fastpath on r0 and r1
#                             masquerade out of r1 (both families;
#                             IPv4 only in the last test)

load ../lib/ipv6

setup_file() {
	v6_setup masquerade
}

@test "dual stack: concurrent IPv4 and IPv6 streams intact, flows listed per family" {
	local f4 f6 flow6 sport stats0 stats1 fast slow
	xfer_start v4 "$NS_C" "$NS_S" 10.0.2.2 5701 --rate 256
	xfer_start v6 "$NS_C" "$NS_S" fd00:2::2 5702 --rate 256
	v6_wait_offloaded tcp 5701 >/dev/null
	flow6=$(v6_wait_offloaded tcp 5702)
	# The streams never pause: take fast and slow packets from one stats
	# snapshot each, rather than counters read at different moments.
	stats0=$(fpr -j stats)

	run -0 v6_flows family 6
	f6=$output
	echo "family 6: $f6"
	jq -e 'length >= 1 and all(.family == 6) and
		all(.orig.src | test(":")) and
		any(.proto == "tcp" and .orig.dport == 5702 and
		    .orig.src == "fd00:1::2" and .orig.dst == "fd00:2::2" and
		    .orig.xlat_src == "fd00:2::1" and .reply.xlat_dst == "fd00:1::2") and
		all(.orig.dport != 5701)' <<<"$f6" >/dev/null ||
		fail "family 6 does not list exactly the IPv6 flows"
	run -0 v6_flows family 4
	f4=$output
	echo "family 4: $f4"
	jq -e 'length >= 1 and all(.family == 4) and
		all(.orig.src | test(":") | not) and
		any(.proto == "tcp" and .orig.dport == 5701 and
		    .orig.src == "10.0.1.2" and .orig.dst == "10.0.2.2" and
		    .orig.xlat_src == "10.0.2.1" and .reply.xlat_dst == "10.0.1.2") and
		all(.orig.dport != 5702)' <<<"$f4" >/dev/null ||
		fail "family 4 does not list exactly the IPv4 flows"

	sport=$(jq .orig.sport <<<"$flow6")
	run -0 fpr -j flow get proto tcp src fd00:1::2 dst fd00:2::2 sport "$sport" dport 5702
	jq -e --argjson id "$(jq .id <<<"$flow6")" '[.] | flatten | .[0].id == $id' <<<"$output" ||
		fail "flow get did not return the IPv6 flow: $output"

	sleep 2
	stats1=$(fpr -j stats)
	fast=$(($(jq .fast_packets <<<"$stats1") - $(jq .fast_packets <<<"$stats0")))
	slow=$(($(jq .slow_packets <<<"$stats1") - $(jq .slow_packets <<<"$stats0")))
	echo "# dual stack: fast path $fast of $((fast + slow)) packets r received" >&3
	[ "$((fast * 100))" -ge "$(((fast + slow) * 90))" ] ||
		fail "only $fast of $((fast + slow)) packets took the fast path (< 90%)"
	xfer_finish v4
	xfer_finish v6
}

@test "dual stack: UDP with the same ports in both families makes two flows" {
	local f
	v6_udp_server "$NS_S" 7007 "$BATS_TEST_TMPDIR/server.log"
	run -0 v6tool "$NS_C" udp-send 10.0.2.2 7007 --sport 40701 --count 20 --echo
	run -0 v6tool "$NS_C" udp-send fd00:2::2 7007 --sport 40701 --count 20 --echo
	[ "$(wc -l <"$BATS_TEST_TMPDIR/server.log")" -eq 40 ] || fail "s did not get 40 datagrams"
	f=$(v6_flows | jq -c '[.[] | select(.proto == "udp" and .orig.dport == 7007)]')
	echo "$f"
	jq -e 'length == 2 and
		any(.family == 4 and .orig.src == "10.0.1.2" and .orig.xlat_src == "10.0.2.1" and
		    .orig.packets >= 17 and .reply.packets >= 18) and
		any(.family == 6 and .orig.src == "fd00:1::2" and .orig.xlat_src == "fd00:2::1" and
		    .orig.packets >= 17 and .reply.packets >= 18)' <<<"$f" >/dev/null ||
		fail "expected one IPv4 and one IPv6 flow to port 7007, each on the fast path"
}

# Last in the file: it replaces the ruleset.  With NAT for IPv4 only,
# nothing in r's ruleset asks conntrack to track IPv6; fastpath's enabled
# devices do, so routed IPv6 is learned as well.
@test "dual stack: NAT for IPv4 only (table ip), routed IPv6 4 MiB TCP c->s intact, >= 90% fast" {
	local flow
	r nft delete table inet fp_test
	r nft -f - <<-'EOF'
	table ip fp_nat4 {
		chain postrouting {
			type nat hook postrouting priority srcnat; policy accept;
			oifname "r1" masquerade
		}
	}
	EOF
	v6_payload 4096 "$BATS_TEST_TMPDIR/payload"
	v6_share_mark
	xfer_start v6 "$NS_C" "$NS_S" fd00:2::2 5703 --file "$BATS_TEST_TMPDIR/payload"
	flow=$(v6_wait_offloaded tcp 5703)
	echo "$flow"
	jq -e '.orig.xlat_src == "fd00:1::2" and .reply.xlat_dst == "fd00:1::2"' <<<"$flow" >/dev/null ||
		fail "the IPv6 flow is not routed as it is: $flow"
	xfer_wait_data v6 $((4096 * 1024))
	xfer_finish v6
	v6_share_check 90
}
