#!/usr/bin/env bats
# IPv4 accounting: every packet of a flow is counted exactly once, by the
# fast path or by the normal path, and conntrack's counters include the
# fast-path packets; device and rule counters count what they say.  The
# conntrack entry of an offloaded connection ages as the stack would age it
# (assured UDP, timeout policies); only an offloaded TCP connection has its
# window checks relaxed.  Two connections with one tuple in two
# conntrack zones (c's DSCP picks the zone and r's DNAT of 10.0.9.9) share
# one key in fastpath's table: the offloaded one takes it from the
# bypassed one, whose packets the stack still forwards with their own NAT.
#
#   c                        r (masquerade out of r1,            s
#                              nf_conntrack_acct=1)
#   c0 10.0.1.2/24 ------- r0 10.0.1.1    r1 10.0.2.1 ------- s0 10.0.2.2/24
#   ingress counter        forward counters (normal path)       ingress counter
#   udp sport 7000         fastpath on r0 and r1                udp dport 7000
#   UDP 43xx -> 7000                                            UDP echo 7000
#   TCP 4360, 4361 -> 7001     tcp dport 7001 ct state invalid  TCP echo 7001
#                              counted and dropped

bats_require_minimum_version 1.5.0
load ../lib/topo

setup_file() {
	topo_setup
	require python3
	topo_masquerade
	r sysctl -qw net.netfilter.nf_conntrack_acct=1
	r nft -f - <<-'EOF'
	table ip fp_acct {
		counter orig {}
		counter reply {}
		chain forward {
			type filter hook forward priority filter; policy accept;
			udp dport 7000 counter name orig
			udp sport 7000 counter name reply
		}
	}
	EOF
	s nft -f - <<-'EOF'
	table netdev fp_acct {
		counter rx {}
		chain ingress {
			type filter hook ingress device "s0" priority filter; policy accept;
			udp dport 7000 counter name rx
		}
	}
	EOF
	c nft -f - <<-'EOF'
	table netdev fp_acct {
		counter rx {}
		chain ingress {
			type filter hook ingress device "c0" priority filter; policy accept;
			udp sport 7000 counter name rx
		}
	}
	EOF
	fp_enable_router
	nettool "$NS_S" udp-echo 7000 >/dev/null 2>&1 3>&- &
	wait_listen "$NS_S" udp 7000
}

# Counter $3 (packets or bytes) of nft counter $2 in namespace $1.
nft_counter() {
	ip netns exec "$1" nft -j list counters |
		jq ".nftables[] | select(.counter.name == \"$2\") | .counter.$3"
}

@test "accounting: fast + normal path packets equal what the receivers counted" {
	local flow fo fr so sr rx_s rx_c
	run -0 nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4300 --window 4 1000
	echo "$output"
	jq -e '.sent == 1000 and .echoed == 1000' <<<"$output"

	flow=$(fp_flows | jq -c '.[] | select(.proto == "udp" and .orig.sport == 4300)')
	echo "$flow"
	[ -n "$flow" ] || fail "the flow from port 4300 is not in the table"
	fo=$(jq .orig.packets <<<"$flow")
	fr=$(jq .reply.packets <<<"$flow")
	so=$(nft_counter "$NS_R" orig packets)
	sr=$(nft_counter "$NS_R" reply packets)
	rx_s=$(nft_counter "$NS_S" rx packets)
	rx_c=$(nft_counter "$NS_C" rx packets)
	echo "# c->s: fast $fo + normal $so, s received $rx_s;" \
		"s->c: fast $fr + normal $sr, c received $rx_c" >&3
	assert_equal "s received $rx_s" "s received 1000"
	assert_equal "c received $rx_c" "c received 1000"
	[ $((fo + so)) -eq "$rx_s" ] || fail "c->s: $fo fast + $so normal != $rx_s received"
	[ $((fr + sr)) -eq "$rx_c" ] || fail "s->c: $fr fast + $sr normal != $rx_c received"
	# Learning takes a packet or two per direction, no more.
	[ "$fo" -ge 990 ] || fail "c->s: only $fo of 1000 packets fast"
	[ "$fr" -ge 990 ] || fail "s->c: only $fr of 1000 packets fast"
}

@test "accounting: conntrack counters include the fast-path packets" {
	local out
	# 1000 datagrams each way of 64 bytes of payload: 92 bytes per packet
	# at the IP layer.  The module adds each fast-path packet to
	# conntrack's counters as it forwards it: no wait.
	out=$(r conntrack -L -p udp --sport 4300 2>/dev/null)
	echo "$out"
	[[ "$out" == *"packets=1000 bytes=92000 "*"packets=1000 bytes=92000 "* ]] ||
		fail "conntrack does not count 1000 packets, 92000 bytes each way"
}

# The flow from c's port $1 once jq condition $2 holds for it.
acct_flow_when() {
	local i flow
	for i in $(seq 1 50); do
		flow=$(fp_flows | jq -c --argjson s "$1" \
			".[] | select(.orig.sport == \$s) | select($2)")
		[ -z "$flow" ] || { echo "$flow"; return 0; }
		sleep 0.2
	done
	fail "no flow from port $1 with $2: $(fp_flows)"
}

@test "accounting: r1's transmit counter counts a flow learned before r1 was enabled" {
	local flow after tx0 fast
	r fpctl disable dev r1
	run -0 nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4310 4
	# c->s enters on r0 and is learned; s->c enters on r1, not enabled.
	flow=$(acct_flow_when 4310 '.orig.offloaded and (.reply.offloaded | not)')
	r fpctl enable dev r1
	tx0=$(fp_dev_count r1 tx_packets)
	run -0 nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4310 --window 4 200
	after=$(acct_flow_when 4310 '.orig.offloaded')
	echo "$flow"
	echo "$after"
	# The same flow, whose next hop out of r1 predates r1's enablement.
	assert_equal "flow $(jq .id <<<"$after")" "flow $(jq .id <<<"$flow")"
	fast=$(($(jq .orig.packets <<<"$after") - $(jq .orig.packets <<<"$flow")))
	[ "$fast" -ge 190 ] || fail "only $fast of 200 packets c->s took the fast path"
	assert_equal "r1 transmitted $(($(fp_dev_count r1 tx_packets) - tx0))" "r1 transmitted $fast"
}

# Refusals are remembered per direction: later packets do not ask again.
# The refused direction is looked up like an offloaded one, and learned
# where it is once the rule that refused it is gone.
@test "accounting: a bypass rule decides once per connection direction, not per packet (hits); without it the direction is learned" {
	local flow
	r fpctl rule add pref 20 proto udp sport 4320 action bypass
	run -0 nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4320 20
	flow=$(acct_flow_when 4320 '.reply.offloaded')
	echo "$flow"
	assert_equal "c->s fast packets $(jq .orig.packets <<<"$flow")" "c->s fast packets 0"
	assert_equal "hits $(fpctl -n "$NS_R" -j rule show | jq '.[] | select(.pref == 20) | .hits')" "hits 1"
	r fpctl rule del pref 20
	run -0 nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4320 20
	flow=$(acct_flow_when 4320 '.orig.offloaded')
	echo "$flow"
	[ "$(jq .orig.packets <<<"$flow")" -ge 15 ] ||
		fail "c->s took the fast path for fewer than 15 of 20 packets"
}

# A rule that bypasses every packet in on a device leaves it unhooked, its
# traffic as cheap as without fastpath, and learning unhooks once no
# device needs it.  Nothing of that traffic is counted: not the device's
# slow packets, not the rule's hits.
@test "rules: a device whose traffic a rule bypasses entirely loses its ingress hook, learning its hooks once no device needs them; the rules gone, both come back" {
	local flow slow0 slow1 rx0 hooks=1
	hooks_listed || hooks=
	[ -n "$hooks" ] || echo "# no nfnetlink_hook in $(uname -r): hooks told by counters only" >&3
	r fpctl rule add pref 40 iif r0 action bypass
	if [ -n "$hooks" ]; then
		! r_hooked "netdev device r0" fp_ingress || fail "r0 is still hooked"
		r_hooked "netdev device r1" fp_ingress || fail "r1 is not hooked"
		r_hooked ip fp_learn_hook || fail "no IPv4 learning hook"
	fi
	run -0 fpctl -n "$NS_R" dev show dev r0
	assert_output --regexp '^r0: enabled .* bypassed ipv4 ipv6$'
	assert_equal "$(fp_dev_json r0 | jq -c .bypassed)" '["ipv4","ipv6"]'
	slow0=$(fp_dev_count r0 slow_packets)
	rx0=$(nft_counter "$NS_S" rx packets)
	run -0 nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4370 --window 4 20
	jq -e '.sent == 20 and .echoed == 20' <<<"$output"
	assert_equal "s received $(($(nft_counter "$NS_S" rx packets) - rx0))" "s received 20"
	# s->c comes in on r1, which the rule leaves alone.
	flow=$(acct_flow_when 4370 '.reply.offloaded')
	echo "$flow"
	assert_equal "c->s $(jq -c '[.orig.offloaded, .orig.packets]' <<<"$flow")" "c->s [false,0]"
	# A hook on r0 would count each of c's packets: as slow at least.
	assert_equal "r0 slow packets $(($(fp_dev_count r0 slow_packets) - slow0))" "r0 slow packets 0"
	assert_equal "hits $(fpctl -n "$NS_R" -j rule show | jq '.[] | select(.pref == 40) | .hits')" "hits 0"

	# All of r1's too: s->c is evicted, and nothing is learned any more.
	r fpctl rule add pref 41 action bypass
	if [ -n "$hooks" ]; then
		! r_hooked "netdev device r1" fp_ingress || fail "r1 is still hooked"
		! r_hooked ip fp_learn_hook || fail "IPv4 learning is still hooked"
		! r_hooked ip6 fp_learn_hook || fail "IPv6 learning is still hooked"
	fi
	assert_equal "flows $(fp_flows | jq '[.[] | select(.orig.sport == 4370)] | length')" "flows 0"
	slow1=$(fp_dev_count r1 slow_packets)
	run -0 nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4370 --window 4 20
	jq -e '.sent == 20 and .echoed == 20' <<<"$output"
	assert_equal "r1 slow packets $(($(fp_dev_count r1 slow_packets) - slow1))" "r1 slow packets 0"
	assert_equal "flows $(fp_flows | jq '[.[] | select(.orig.sport == 4370)] | length')" "flows 0"

	r fpctl rule flush
	if [ -n "$hooks" ]; then
		r_hooked "netdev device r0" fp_ingress || fail "r0 is not hooked again"
		r_hooked ip6 fp_learn_hook || fail "IPv6 learning is not hooked again"
	fi
	assert_equal "$(fp_dev_json r0 | jq -c .bypassed)" null
	run -0 nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4370 --window 4 20
	flow=$(acct_flow_when 4370 '.orig.offloaded and .reply.offloaded')
	echo "$flow"
	[ "$(jq .orig.packets <<<"$flow")" -ge 15 ] ||
		fail "c->s took the fast path for fewer than 15 of 20 packets"
}

# A zero-length prefix matches one family: the rule bypasses all of IPv4.
# The devices keep their hooks for IPv6, which pass IPv4 uncounted.
@test "rules: a rule bypassing all of IPv4 (src 0.0.0.0/0): IPv4 neither looked up nor counted, nor learned; IPv6 still accelerated" {
	local flow no_flow0 hooks=1
	hooks_listed || hooks=
	nettool "$NS_S" udp-echo -6 7002 >/dev/null 2>&1 3>&- &
	wait_listen "$NS_S" udp 7002
	r fpctl rule add pref 42 src 0.0.0.0/0 action bypass
	assert_equal "$(fp_dev_json r0 | jq -c .bypassed) $(fp_dev_json r1 | jq -c .bypassed)" '["ipv4"] ["ipv4"]'
	if [ -n "$hooks" ]; then
		r_hooked "netdev device r0" fp_ingress || fail "r0 is not hooked"
		! r_hooked ip fp_learn_hook || fail "IPv4 learning is still hooked"
		r_hooked ip6 fp_learn_hook || fail "no IPv6 learning hook"
	fi
	# Looked up, each would count as no_flow (r0's IPv6 neighbour
	# discovery counts as slow, as unsupported).
	no_flow0=$(fp_stat exceptions.no_flow)
	run -0 nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4380 --window 4 20
	jq -e '.sent == 20 and .echoed == 20' <<<"$output"
	assert_equal "no_flow $(($(fp_stat exceptions.no_flow) - no_flow0))" "no_flow 0"
	# The first few, up to the window's 4 on their way, are learned from.
	run -0 nettool "$NS_C" udp-send fd00:2::2 7002 --sport 4381 --window 4 40
	jq -e '.sent == 40 and .echoed == 40' <<<"$output"
	flow=$(acct_flow_when 4381 '.orig.offloaded and .reply.offloaded')
	echo "$flow"
	[ "$(jq .orig.packets <<<"$flow")" -ge 30 ] ||
		fail "IPv6 c->s took the fast path for fewer than 30 of 40 packets"
	assert_equal "IPv4 flows $(fp_flows | jq '[.[] | select(.orig.sport == 4380)] | length')" "IPv4 flows 0"
	r fpctl rule del pref 42
}

@test "zones: the same tuple in zone 5 takes the key a bypassed direction held; the bypassed connection's packets keep their own NAT" {
	local a b rx0 b_packets
	# c's datagrams to 10.0.9.9:7000 are one connection per DSCP: CS1 in
	# zone 5, translated to s:7001; DSCP 0 in zone 0, to s:7000.  Same
	# tuple, same iif: one key in fastpath's table for both.
	r nft -f - <<-'EOF'
	table ip fp_zones {
		chain zone {
			type filter hook prerouting priority raw; policy accept;
			iifname "r0" ip dscp cs1 ct zone set 5
			iifname "r1" udp sport 7001 ct zone set 5
		}
		chain translate {
			type nat hook prerouting priority dstnat; policy accept;
			ip daddr 10.0.9.9 udp dport 7000 ip dscp cs1 dnat to 10.0.2.2:7001
			ip daddr 10.0.9.9 udp dport 7000 dnat to 10.0.2.2:7000
		}
	}
	EOF
	nettool "$NS_S" udp-echo 7001 --log "$BATS_TEST_TMPDIR/7001.log" >/dev/null 2>&1 3>&- &
	wait_listen "$NS_S" udp 7001
	# b idles while a's packets are looked at: slowly on a debug kernel.
	r fpctl config set udp-timeout 300
	r fpctl rule add pref 30 proto udp sport 4350 dscp 0 action bypass
	# a: refused by the rule, its c->s direction holding the key.
	run -0 nettool "$NS_C" udp-send 10.0.9.9 7000 --sport 4350 5
	a=$(acct_flow_when 4350 '.orig.why == "rule" and .reply.offloaded')
	# b: learned, it takes the key from a's refused direction.
	run -0 nettool "$NS_C" udp-send 10.0.9.9 7000 --sport 4350 20:tos=0x20
	b=$(acct_flow_when 4350 '.orig.offloaded and .orig.xlat_dport == 7001')
	echo "a: $a"
	echo "b: $b"
	[ "$(jq .orig.packets <<<"$b")" -ge 15 ] ||
		fail "b's c->s direction took the fast path for fewer than 15 of 20 packets"
	# a's packets now find b's direction, not its DSCP: the stack forwards
	# them, with a's translation (s:7000), and b's counters stay.
	b_packets=$(jq .orig.packets <<<"$b")
	rx0=$(nft_counter "$NS_S" rx packets)
	run -0 nettool "$NS_C" udp-send 10.0.9.9 7000 --sport 4350 10
	assert_equal "s:7000 received $(($(nft_counter "$NS_S" rx packets) - rx0))" "s:7000 received 10"
	assert_equal "s:7001 received $(grep -c . "$BATS_TEST_TMPDIR/7001.log")" "s:7001 received 20"
	b=$(acct_flow_when 4350 '.orig.xlat_dport == 7001')
	assert_equal "b's fast packets $(jq .orig.packets <<<"$b")" "b's fast packets $b_packets"
	r fpctl rule del pref 30
	r fpctl config set udp-timeout 30
	r nft delete table ip fp_zones
}

# The stack assures a UDP connection that still has traffic both ways 2 s
# after it began; those packets take the fast path, past conntrack, so
# that early drop would take the offloaded connection first.
@test "conntrack: a UDP connection offloaded in its first 2 s is [ASSURED] when it lasts, as the stack makes it" {
	local flow
	run -0 nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4330 4 6:rate=2
	flow=$(acct_flow_when 4330 '.orig.offloaded and .reply.offloaded')
	echo "$flow"
	[ "$(jq .orig.packets <<<"$flow")" -ge 6 ] || fail "the later datagrams did not take the fast path"
	run -0 r conntrack -L -p udp --sport 4330
	assert_output --partial "[ASSURED]"
}

# The module keeps an offloaded connection's entry alive for the packets
# conntrack did not see, with the timeout conntrack would have used: the
# policy's, never a longer one.
@test "conntrack: an nft ct timeout policy bounds the refresh of an offloaded connection, which outlives it" {
	local pid out t max=0 start offloaded last=0
	r nft -f - <<-'EOF'
	table ip fp_cttimeout {
		ct timeout udp4s {
			protocol udp; l3proto ip;
			policy = { unreplied : 4, replied : 4 }
		}
		# After conntrack made the entry, before it is confirmed.
		chain pre {
			type filter hook prerouting priority filter; policy accept;
			udp sport 4340 ct timeout set "udp4s"
		}
	}
	EOF
	# 24 echoed datagrams over 11 s: longer than the policy's 4 s, with time
	# left on a slow kernel after the flow is seen offloaded.
	start=$SECONDS
	nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4340 2 22:rate=2 \
		>"$BATS_TEST_TMPDIR/sent.json" 3>&- &
	pid=$!
	acct_flow_when 4340 '.orig.offloaded and .reply.offloaded' >/dev/null
	offloaded=$((SECONDS - start))
	while kill -0 "$pid" 2>/dev/null; do
		out=$(r conntrack -L -p udp --sport 4340 2>&1)
		[[ $out =~ udp\ +17\ ([0-9]+)\  ]] || fail "the connection is gone: $out"
		t=${BASH_REMATCH[1]}
		[ "$t" -le "$max" ] || max=$t
		last=$((SECONDS - start))
		sleep 0.5
	done
	wait "$pid" || fail "the sender failed: $(cat "$BATS_TEST_TMPDIR/sent.json")"
	jq -e '.sent == 24 and .echoed == 24' "$BATS_TEST_TMPDIR/sent.json"
	echo "# longest conntrack timeout seen: $max s (policy: 4 s); offloaded $offloaded s into the stream, entry last seen at $last s" >&3
	[ "$max" -le 4 ] || fail "conntrack's timeout reached $max s, over the policy's 4 s"
	# Alive for longer than the policy's timeout after conntrack saw its
	# last packet (at most when offloaded): refreshed.  Not looked at
	# after the stream: a slow kernel takes 4 s to get there.
	[ $((last - offloaded)) -ge 5 ] ||
		fail "the entry was last seen $((last - offloaded)) s after the offload, not past the policy's 4 s"
	r nft delete table ip fp_cttimeout
}

# Rules a failed test left; what the window test below changed, restored
# also when it failed: the echo server (c closed its connections
# silently), r's devices and limit.
teardown() {
	fpctl -n "$NS_R" rule flush
	[ -n "${OOW_ECHO:-}" ] || return 0
	pkill -P "$OOW_ECHO" || :
	r fpctl enable dev r0
	r fpctl enable dev r1
	r fpctl config set flow-limit "$OOW_LIMIT"
	r nft delete table ip fp_oow
	s nft delete table netdev fp_oow
	OOW_ECHO=
}

# Offloading a TCP connection relaxes conntrack's window checks on it (it
# misses the segments in between); a connection the fast path did not take
# must keep them.  Segments 2^30 past what c sent: r drops and counts them
# when conntrack finds them out of window, s counts those that arrive.
@test "conntrack: a TCP connection a full table refused keeps its window checks; an offloaded one's are relaxed" {
	local hold=$BATS_TEST_TMPDIR/hold a_pid full0 i
	OOW_LIMIT=$(fpctl -n "$NS_R" -j config show | jq '.flow_limit')
	r nft -f - <<-'EOF'
	table ip fp_oow {
		counter invalid {}
		chain forward {
			type filter hook forward priority filter; policy accept;
			tcp dport 7001 ct state invalid counter name invalid drop
		}
	}
	EOF
	# 43 bytes: an IP and a TCP header and the 3 bytes of an out-of-window segment.
	s nft -f - <<-'EOF'
	table netdev fp_oow {
		counter rx {}
		chain ingress {
			type filter hook ingress device "s0" priority filter; policy accept;
			tcp dport 7001 ip length 43 counter name rx
		}
	}
	EOF
	nettool "$NS_S" tcp-echo 7001 --conns 2 >/dev/null 2>&1 3>&- &
	OOW_ECHO=$!
	wait_listen "$NS_S" tcp 7001
	r fpctl flow flush
	nettool "$NS_C" tcp-many 10.0.2.2 7001 --sport 4360 --rounds 3 --hold "$hold" \
		--hold-after 2 --out-of-window 3 >"$BATS_TEST_TMPDIR/a.json" 3>&- &
	a_pid=$!
	for i in $(seq 1 100); do
		[ ! -e "$hold.ready" ] || break
		sleep 0.2
	done
	[ -e "$hold.ready" ] || fail "the connection from port 4360 did not exchange: $(cat "$BATS_TEST_TMPDIR/a.json")"
	acct_flow_when 4360 '.orig.offloaded and .reply.offloaded' >/dev/null

	# The table holds 4360's flow only: 4361's learning fails for room.
	r fpctl config set flow-limit 1
	full0=$(fp_stat exceptions.table_full)
	run -0 nettool "$NS_C" tcp-many 10.0.2.2 7001 --sport 4361 --rounds 2 --out-of-window 3
	[ "$(fp_stat exceptions.table_full)" -gt "$full0" ] ||
		fail "the connection from port 4361 was not refused for a full table"
	assert_equal "r invalid $(nft_packets "$NS_R" ip fp_oow invalid)" "r invalid 3"
	assert_equal "s rx $(nft_packets "$NS_S" netdev fp_oow rx)" "s rx 0"

	# 4360 off the fast path both ways: its flow is flushed, conntrack's
	# window tracking restarts (fp_ct_tcp_fixup) and picks the window up
	# again from the third echoed round; then only BE_LIBERAL lets the
	# out-of-window segments pass.
	r fpctl disable dev r0
	r fpctl disable dev r1
	touch "$hold.go"
	wait "$a_pid" || fail "the connection from port 4360 failed: $(cat "$BATS_TEST_TMPDIR/a.json")"
	assert_equal "r invalid $(nft_packets "$NS_R" ip fp_oow invalid)" "r invalid 3"
	assert_equal "s rx $(nft_packets "$NS_S" netdev fp_oow rx)" "s rx 3"

}
