#!/usr/bin/env bats
# IPv4 accounting: every packet of a flow is counted exactly once, by the
# fast path or by the normal path, and conntrack's counters include the
# fast-path packets.
#
#   c                        r (masquerade out of r1,            s
#                              nf_conntrack_acct=1)
#   c0 10.0.1.2/24 ------- r0 10.0.1.1    r1 10.0.2.1 ------- s0 10.0.2.2/24
#   ingress counter        forward counters (normal path)       ingress counter
#   udp sport 7000         fastpath on r0 and r1                udp dport 7000
#   UDP 4300 -> 7000                                            UDP echo 7000

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
	local i out=""
	# 1000 datagrams each way of 64 bytes of payload: 92 bytes per packet
	# at the IP layer.  The module adds its counts to conntrack's on its
	# periodic sync.
	for i in $(seq 1 30); do
		out=$(r conntrack -L -p udp --sport 4300 2>/dev/null)
		[[ "$out" == *"packets=1000 bytes=92000 "*"packets=1000 bytes=92000 "* ]] && break
		sleep 0.2
	done
	echo "$out"
	[[ "$out" == *"packets=1000 bytes=92000 "*"packets=1000 bytes=92000 "* ]] ||
		fail "conntrack does not count 1000 packets, 92000 bytes each way"
}
