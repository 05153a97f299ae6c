#!/usr/bin/env bats
# Left to the normal stack, counted by reason, and still delivered intact:
# datagrams with a hop-by-hop or destination options header and fragmented
# datagrams on a learned flow (ext_header / fragment), link-local and
# multicast destinations (not_unicast), traffic to the router itself (never
# learned), BIG TCP packets (big_packet); and datagrams IPsec decapsulated,
# which the stack checks against its forwarding policy (and drops), a
# connection learned while disable_policy skipped that check, a route
# through a resilient nexthop group, and a route in a VRF.
#
#   c                         r                                       s
#   c0 fd00:1::2/64 ------- r0 fd00:1::1    r1 fd00:2::1 ------- s0 fd00:2::2/64
#      fe80::1:2/64            fe80::1:1/64
#                           fastpath on r0 and r1, conntrack without NAT

load ../lib/ipv6

setup_file() {
	v6_setup track
	# A learned UDP flow must outlive a capture's set-up, which takes
	# most of the default 30 s on the debug kernel.
	fpr config set udp-timeout 300
}

# A learned UDP flow c:$2 -> s:$1 with an echo server in s.
learned_udp_flow() {
	v6_udp_server "$NS_S" "$1" "$BATS_TEST_TMPDIR/server.log"
	v6tool "$NS_C" udp-send fd00:2::2 "$1" --sport "$2" --count 3 --echo >/dev/null
	v6_wait_offloaded udp "$1" >/dev/null
	: >"$BATS_TEST_TMPDIR/server.log"
}

@test "hop-by-hop and destination options on a learned flow: not offloaded, delivered intact" {
	local send=(udp-send fd00:2::2 7401 --sport 40401 --count 5 --echo --size 400) exc fast
	learned_udp_flow 7401 40401
	v6_capture_start "$NS_S" s0 "$BATS_TEST_TMPDIR/s.pcap" ip6
	exc=$(fp_exc ext_header)
	fast=$(v6_stat fast_packets)
	v6tool "$NS_C" "${send[@]}" --first 10 --hbh --log "$BATS_TEST_TMPDIR/sent.log"
	v6tool "$NS_C" "${send[@]}" --first 20 --dstopts --log "$BATS_TEST_TMPDIR/sent.log"
	v6_capture_stop
	exc=$(($(fp_exc ext_header) - exc))
	fast=$(($(v6_stat fast_packets) - fast))
	echo "# ext_header exceptions: $exc, fast path: $fast" >&3
	# MLD reports (hop-by-hop too) may add to the counter, never subtract.
	[ "$exc" -ge 10 ] || fail "only $exc ext_header exceptions for 10 datagrams"
	# Only the 10 plain echoes from s took the fast path.
	[ "$fast" -eq 10 ] || fail "$fast packets on the fast path, expected the 10 echoes"
	diff <(jq -c '[.len, .sha]' "$BATS_TEST_TMPDIR/sent.log") \
		<(jq -c '[.len, .sha]' "$BATS_TEST_TMPDIR/server.log") ||
		fail "s did not receive exactly the datagrams c sent"
	# They kept their extension header across r.
	v6_packets "$BATS_TEST_TMPDIR/s.pcap" | jq -e -s '
		[.[] | select(.dport == 7401)] |
		length == 10 and
		([.[] | select(.exthdrs == [0])] | length) == 5 and
		([.[] | select(.exthdrs == [60])] | length) == 5 and
		all(.hlim == 63 and .csum_ok and .payload_len == 400)' >/dev/null ||
		fail "s did not capture 5 hop-by-hop and 5 destination options datagrams"
}

@test "fragmented UDP on a learned flow: not offloaded, reassembled intact both ways" {
	local exc fast
	learned_udp_flow 7402 40402
	exc=$(fp_exc fragment)
	fast=$(v6_stat fast_packets)
	# 4000 bytes: three fragments each way, from c and from s's echo.
	run -0 v6tool "$NS_C" udp-send fd00:2::2 7402 --sport 40402 --count 5 --echo \
		--size 4000 --first 10 --log "$BATS_TEST_TMPDIR/sent.log"
	assert_output '{"sent": 5, "echoed": 5}'
	exc=$(($(fp_exc fragment) - exc))
	fast=$(($(v6_stat fast_packets) - fast))
	echo "# fragment exceptions: $exc, fast path: $fast" >&3
	[ "$exc" -eq 30 ] || fail "$exc fragment exceptions, expected 30 (5 datagrams x 3 fragments x 2 ways)"
	[ "$fast" -eq 0 ] || fail "$fast fragments took the fast path"
	diff <(jq -c '[.len, .sha]' "$BATS_TEST_TMPDIR/sent.log") \
		<(jq -c '[.len, .sha]' "$BATS_TEST_TMPDIR/server.log") ||
		fail "s did not receive exactly the datagrams c sent"
}

@test "link-local and multicast destinations: not offloaded (not_unicast), delivered" {
	local exc learned
	# Known link-local addresses on the c link, whatever autoconfiguration did.
	ip -n "$NS_R" addr add fe80::1:1/64 dev r0 nodad
	ip -n "$NS_C" addr add fe80::1:2/64 dev c0 nodad
	v6_udp_server "$NS_R" 7403 "$BATS_TEST_TMPDIR/server.log"
	exc=$(fp_exc not_unicast)
	learned=$(v6_stat flows_learned)
	run -0 v6tool "$NS_C" udp-send fe80::1:1%c0 7403 --count 5 --echo
	assert_output '{"sent": 5, "echoed": 5}'
	v6tool "$NS_C" udp-send ff02::1%c0 7403 --first 5 --count 5 --rate 50 >/dev/null
	sleep 0.5
	exc=$(($(fp_exc not_unicast) - exc))
	echo "# not_unicast exceptions: $exc" >&3
	[ "$exc" -ge 10 ] || fail "only $exc not_unicast exceptions for 10 datagrams"
	[ "$(v6_stat flows_learned)" -eq "$learned" ] || fail "a flow was learned"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/server.log")" -eq 10 ] ||
		fail "r did not receive the 5 link-local and 5 multicast datagrams"
}

@test "TCP to the router itself is never learned" {
	local learned
	learned=$(v6_stat flows_learned)
	v6_payload 512 "$BATS_TEST_TMPDIR/payload"
	tcp_receiver "$NS_R" 5004 fd00:1::1 "$BATS_TEST_TMPDIR/recv"
	in_ns "$NS_C" timeout 60 socat -u "OPEN:$BATS_TEST_TMPDIR/payload" "TCP:[fd00:1::1]:5004"
	wait "$V6_BG_LAST"
	same_file "$BATS_TEST_TMPDIR/payload" "$BATS_TEST_TMPDIR/recv"
	[ "$(v6_stat flows_learned)" -eq "$learned" ] || fail "local traffic was learned"
	run -0 v6_flows family 6 dport 5004
	jq -e 'length == 0' <<<"$output" || fail "flow to the router listed: $output"
}

@test "BIG TCP: GSO packets over 64 KiB from c are left to the stack (big_packet), the transfer intact" {
	local big bad fast wmem rmem
	# c's TCP builds GSO packets of up to 185,000 bytes (IPv6 BIG TCP),
	# which the veth hands to r0 whole, with a payload length of 0.  A
	# packet that big needs, besides the device's limit: at least 120
	# segments a packet (or TCG's pacing rate keeps them small), a send
	# buffer, congestion window and receive window that hold it from the
	# start (autotuning on a slow guest may never grow them that far), and
	# writes larger than the packet (socat's 8 KiB blocks go out one by one
	# while the window is open).
	wmem=$(c sysctl -n net.ipv4.tcp_wmem)
	rmem=$(s sysctl -n net.ipv4.tcp_rmem)
	ip -n "$NS_C" link set c0 gso_max_size 185000
	c sysctl -qw net.ipv4.tcp_min_tso_segs=120 net.ipv4.tcp_wmem="4096 4194304 4194304"
	s sysctl -qw net.ipv4.tcp_rmem="4096 4194304 4194304"
	ip -n "$NS_C" -6 route change default via fd00:1::1 initcwnd 200
	ip -n "$NS_S" -6 route change default via fd00:2::1 initrwnd 200
	big=$(fp_exc big_packet)
	bad=$(fp_exc bad_header)
	fast=$(v6_stat fast_packets)
	v6_payload 8192 "$BATS_TEST_TMPDIR/payload"
	tcp_receiver "$NS_S" 5005 fd00:2::2 "$BATS_TEST_TMPDIR/recv"
	in_ns "$NS_C" timeout 60 socat -u -b 1048576 "OPEN:$BATS_TEST_TMPDIR/payload" "TCP:[fd00:2::2]:5005"
	wait "$V6_BG_LAST"
	ip -n "$NS_C" link set c0 gso_max_size 65536
	c sysctl -qw net.ipv4.tcp_min_tso_segs=2 net.ipv4.tcp_wmem="$wmem"
	s sysctl -qw net.ipv4.tcp_rmem="$rmem"
	ip -n "$NS_C" -6 route change default via fd00:1::1
	ip -n "$NS_S" -6 route change default via fd00:2::1
	same_file "$BATS_TEST_TMPDIR/payload" "$BATS_TEST_TMPDIR/recv"
	big=$(($(fp_exc big_packet) - big))
	bad=$(($(fp_exc bad_header) - bad))
	fast=$(($(v6_stat fast_packets) - fast))
	echo "# big_packet $big, bad_header $bad, fast path $fast" >&3
	[ "$big" -ge 1 ] || fail "no big_packet exception: c sent no GSO packet over 64 KiB"
	[ "$bad" -eq 0 ] || fail "$bad packets counted as bad headers"
	[ "$fast" -ge 100 ] || fail "only $fast packets of the transfer on the fast path"
}

@test "IPsec-decapsulated datagrams of a learned flow go to the stack, which drops them without a forward policy" {
	local nopols0 unsup0 fast0
	learned_udp_flow 7403 40403
	nopols0=$(r_xfrm_stat XfrmInNoPols)
	unsup0=$(fp_exc unsupported)
	fast0=$(v6_stat fast_packets)
	esp_c_to_r fd00:1::2 fd00:2::2 40403 fd00:1::1 4 \
		v6tool "$NS_C" udp-send fd00:2::2 7403 --sport 40403 --count 4
	assert_equal "$(r_xfrm_stat XfrmInNoPols)" "$((nopols0 + 4))"
	[ ! -s "$BATS_TEST_TMPDIR/server.log" ] ||
		fail "s received datagrams r's stack would drop: $(<"$BATS_TEST_TMPDIR/server.log")"
	assert_equal "$(v6_stat fast_packets)" "$fast0"
	# Left to the stack: the four ESP packets and the four datagrams
	# decapsulated from them.
	[ "$(fp_exc unsupported)" -ge $((unsup0 + 8)) ]
}

@test "disable_policy set: a connection under a blocking forward policy is not learned (xfrm), and dropped once it is cleared" {
	local why fast0 blocked0 blocked
	v6_udp_server "$NS_S" 7404 "$BATS_TEST_TMPDIR/server.log"
	# The stack skips the policy check while disable_policy is set, and
	# clearing it flushes no route.
	r sysctl -qw net.ipv6.conf.all.disable_policy=1
	r ip xfrm policy add src fd00:1::2/128 dst fd00:2::2/128 proto udp sport 40404 \
		dir fwd action block
	run -0 v6tool "$NS_C" udp-send fd00:2::2 7404 --sport 40404 --count 6 --echo
	assert_output '{"sent": 6, "echoed": 6}'
	why=$(fpr -j flow explain proto udp src fd00:1::2 dst fd00:2::2 sport 40404 dport 7404 |
		jq -r 'if type == "array" then first else . end | .orig.why')
	r sysctl -qw net.ipv6.conf.all.disable_policy=0
	: >"$BATS_TEST_TMPDIR/server.log"
	fast0=$(v6_stat fast_packets)
	blocked0=$(r_xfrm_stat XfrmInPolBlock)
	v6tool "$NS_C" udp-send fd00:2::2 7404 --sport 40404 --count 4 >/dev/null
	sleep 1
	blocked=$(($(r_xfrm_stat XfrmInPolBlock) - blocked0))
	r ip xfrm policy flush
	assert_equal "$why" xfrm
	[ ! -s "$BATS_TEST_TMPDIR/server.log" ] ||
		fail "s received datagrams r's forward policy blocks: $(<"$BATS_TEST_TMPDIR/server.log")"
	assert_equal "$(v6_stat fast_packets)" "$fast0"
	assert_equal "$blocked" 4
}

# The same for a connection learned before the policy came: adding it makes
# the routes stale, and the direction, verified again on its next packet,
# may not take the new route while disable_policy skips the check.
@test "disable_policy set: a learned connection is taken off when a forward policy comes (route), then refused (xfrm)" {
	local why= offloaded i
	learned_udp_flow 7409 40409
	r sysctl -qw net.ipv6.conf.all.disable_policy=1
	r ip xfrm policy add src fd00:1::2/128 dst fd00:2::2/128 proto udp sport 40409 \
		dir fwd action block
	for i in $(seq 1 20); do
		run -0 v6tool "$NS_C" udp-send fd00:2::2 7409 --sport 40409 --count 1 --echo
		why=$(fpr -j flow explain proto udp src fd00:1::2 dst fd00:2::2 sport 40409 dport 7409 |
			jq -r 'if type == "array" then first else . end | .orig.why')
		[ "$why" != xfrm ] || break
	done
	offloaded=$(v6_flows proto udp | jq '[.[] | select(.orig.sport == 40409 and .orig.offloaded)] | length')
	r sysctl -qw net.ipv6.conf.all.disable_policy=0
	r ip xfrm policy flush
	assert_equal "$why" xfrm
	assert_equal "$offloaded" 0
}

@test "a route through a resilient nexthop group is left to the stack (why route); through a plain group it is not" {
	local why
	v6_udp_server "$NS_S" 7405 "$BATS_TEST_TMPDIR/server.log"
	r ip -6 nexthop add id 61 via fd00:2::2 dev r1
	r ip nexthop add id 62 group 61 type resilient buckets 8
	r ip nexthop add id 63 group 61
	r ip -6 route add fd00:2::2/128 nhid 62
	run -0 v6tool "$NS_C" udp-send fd00:2::2 7405 --sport 40405 --count 6 --echo
	assert_output '{"sent": 6, "echoed": 6}'
	why=$(fpr -j flow explain proto udp src fd00:1::2 dst fd00:2::2 sport 40405 dport 7405 |
		jq -r 'if type == "array" then first else . end | .orig.why')
	r ip -6 route replace fd00:2::2/128 nhid 63
	run -0 v6tool "$NS_C" udp-send fd00:2::2 7405 --sport 40406 --count 6 --echo
	v6_flows proto udp >"$BATS_TEST_TMPDIR/flows.json"
	r ip -6 route del fd00:2::2/128
	r ip nexthop flush
	assert_output '{"sent": 6, "echoed": 6}'
	assert_equal "$why" route
	jq -e '[.[] | select(.orig.sport == 40405 and .orig.offloaded)] | length == 0' \
		"$BATS_TEST_TMPDIR/flows.json"
	jq -e '[.[] | select(.orig.sport == 40406 and .orig.offloaded)] | length == 1' \
		"$BATS_TEST_TMPDIR/flows.json" || fail "the flow over the plain group was not learned: $(<"$BATS_TEST_TMPDIR/flows.json")"
}

# Last: enslaving cycles r0 and r1, which loses what the other tests set up.
@test "a connection routed in a VRF is left to the stack (why route on the enabled slave), which forwards it" {
	local why
	v6_udp_server "$NS_S" 7407 "$BATS_TEST_TMPDIR/server.log"
	# The addresses must survive the cycle that enslaving does.
	r sysctl -qw net.ipv6.conf.r0.keep_addr_on_down=1 net.ipv6.conf.r1.keep_addr_on_down=1
	r ip link add fp-vrf type vrf table 10
	r ip link set fp-vrf up
	r ip link set r0 master fp-vrf
	r ip link set r1 master fp-vrf
	run -0 v6tool "$NS_C" udp-send fd00:2::2 7407 --sport 40407 --count 6 --echo
	why=$(fpr -j flow explain proto udp src fd00:1::2 dst fd00:2::2 sport 40407 dport 7407 |
		jq -r 'if type == "array" then first else . end |
			"\(.orig.why) \(.orig.iif) \(.reply.why) \(.reply.iif)"')
	v6_flows proto udp >"$BATS_TEST_TMPDIR/flows.json"
	r ip link del fp-vrf
	assert_output '{"sent": 6, "echoed": 6}'
	# Refused by learning, on the slaves (a look-up of explain's own
	# would say route too, for destinations the main table lacks).
	assert_equal "$why" "route r0 route r1"
	jq -e '[.[] | select(.orig.sport == 40407)] | length == 0' "$BATS_TEST_TMPDIR/flows.json"
}
