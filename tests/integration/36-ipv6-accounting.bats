#!/usr/bin/env bats
# Accounting: a known number of UDP echoes c <-> s.  Per direction, the
# flow's fast-path packets plus what the normal stack forwarded (an nft
# counter in r's forward chain) equal what the receiver got, and within
# ~2 in_ns "$NS_S" conntrack's counters (nf_conntrack_acct=1) include the fast-path
# packets and bytes.
#
#   c                         r                                       s
#   c0 fd00:1::2/64 ------- r0 fd00:1::1    r1 fd00:2::1 ------- s0 fd00:2::2/64
#                           fastpath on r0 and r1, conntrack without NAT,
#                           counters of UDP to and from port 7006 in forward

load ../lib/ipv6

setup_file() {
	v6_setup track
	in_ns "$NS_R" nft -f - <<-'EOF'
	table inet fp_acct {
		counter orig {}
		counter reply {}
		chain forward {
			type filter hook forward priority filter; policy accept;
			udp dport 7006 counter name orig
			udp sport 7006 counter name reply
		}
	}
	EOF
}

# Packets the normal stack forwarded, counted by nft counter $1.
slow_count() {
	in_ns "$NS_R" nft -j list counter inet fp_acct "$1" |
		jq '.nftables[] | select(.counter) | .counter.packets'
}

# packets= and bytes= of both directions of the conntrack entry.
ct_counters() {
	in_ns "$NS_R" conntrack -L -f ipv6 -p udp --dport 7006 2>/dev/null |
		grep -o 'packets=[0-9]* bytes=[0-9]*' | tr '\n' ' '
}

@test "accounting: fast path + normal path == received, conntrack counters include the fast path" {
	local n=300 size=200 wire flow orig_fast reply_fast orig_slow reply_slow got i ct want
	wire=$((40 + 8 + size))
	v6_udp_server "$NS_S" 7006 "$BATS_TEST_TMPDIR/server.log"
	run -0 v6tool "$NS_C" udp-send fd00:2::2 7006 --sport 40601 --count "$n" --size "$size" --echo --window 16
	assert_output "{\"sent\": $n, \"echoed\": $n}"
	got=$(wc -l <"$BATS_TEST_TMPDIR/server.log")
	[ "$got" -eq "$n" ] || fail "s received $got datagrams, c sent $n"

	flow=$(v6_flow udp 7006)
	echo "$flow"
	orig_fast=$(jq .orig.packets <<<"$flow")
	reply_fast=$(jq .reply.packets <<<"$flow")
	orig_slow=$(slow_count orig)
	reply_slow=$(slow_count reply)
	echo "# c->s: fast $orig_fast + normal $orig_slow; s->c: fast $reply_fast + normal $reply_slow; received $n each way" >&3
	[ "$((orig_fast + orig_slow))" -eq "$n" ] ||
		fail "c->s: fast $orig_fast + normal $orig_slow != $n received by s"
	[ "$((reply_fast + reply_slow))" -eq "$n" ] ||
		fail "s->c: fast $reply_fast + normal $reply_slow != $n received by c"
	[ "$orig_fast" -ge "$((n - 5))" ] && [ "$reply_fast" -ge "$((n - 5))" ] ||
		fail "the flow was learned late"
	jq -e --argjson w "$wire" '.orig.bytes == .orig.packets * $w and
		.reply.bytes == .reply.packets * $w' <<<"$flow" >/dev/null ||
		fail "flow bytes are not packets x $wire"

	want="packets=$n bytes=$((n * wire)) packets=$n bytes=$((n * wire)) "
	for i in $(seq 1 30); do
		ct=$(ct_counters)
		[ "$ct" = "$want" ] && break
		sleep 0.2
	done
	echo "conntrack: $ct"
	[ "$ct" = "$want" ] || fail "conntrack counters '$ct', expected '$want'"
}
