#!/usr/bin/env bats
# Large dumps resume correctly across many netlink messages: every rule and
# every flow comes out exactly once.
#
#   c (c0 10.0.1.2) -- (r0 10.0.1.1) r (r1 10.0.2.1) -- (s0 10.0.2.2) s
#   udp-flows: FASTPATH_DUMP_FLOWS UDP connections c -> s (one request, one reply
#   each; source ports 10000-59999 towards server ports 7000, 7001, ...),
#   all learned by r.
#
# FASTPATH_DUMP_FLOWS defaults to 30000, what fits the ~2 minute budget of a
# test under TCG.  FASTPATH_DUMP_FLOWS=100000 passes too but takes far longer:
# measured on a loaded 2-core host (6.12 guest), creating 100k connections
# took 65 s and the JSON dump of 100k flows 220 s.  The test prints its
# own timings.

load ../lib/api

setup_file() {
	api_require cc nft sysctl
	api_build udp-flows
}

setup() {
	api_dmesg_mark
	topo_setup
	api_flows_prepare
}

teardown() {
	topo_teardown
	if [ -f "$BATS_FILE_TMPDIR/ct_max" ]; then
		sysctl -qw net.netfilter.nf_conntrack_max="$(cat "$BATS_FILE_TMPDIR/ct_max")"
		rm "$BATS_FILE_TMPDIR/ct_max"
	fi
}

@test "dump: 1000 rules, each exactly once, in pref order" {
	# Long rules (every field) so the dump needs many messages; one
	# namespace entry for the whole loop (TCG makes every exec count).
	r bash -ec 'for i in $(seq 1 1000); do
		fpctl rule add pref $((i * 3)) iif r0 oif r1 src fd00:1::/64 \
			dst fd00:2:$i::/48 proto tcp sport 1000-2000 dport $i \
			dscp $((i % 64)) mark $i/0xffff action bypass
	done'
	local json
	json=$(r fpctl -j rule show)
	echo "$json" | jq -e 'length == 1000'
	echo "$json" | jq -e '[.[].pref] == [range(1; 1001) | . * 3]'
	echo "$json" | jq -e 'all(.[]; .dst == "fd00:2:\(.pref / 3)::/48" and
		.dport_min == .pref / 3 and .mark == .pref / 3)'
	# Text: one line per rule.
	assert_equal "$(r fpctl rule show | wc -l)" 1000
	# Single-rule lookups still work at the end of the table.
	r fpctl -j rule show pref 3000 | jq -e 'length == 1 and .[0].dport_min == 1000'
	r fpctl rule flush
	r fpctl -j rule show | jq -e '. == []'
}

@test "dump: many flows, each exactly once" {
	local n=${FASTPATH_DUMP_FLOWS:-30000}
	# Room for them all: conntrack (global limit, per-netns timeouts)
	# and fastpath (table limit, idle timeout).
	sysctl -n net.netfilter.nf_conntrack_max >"$BATS_FILE_TMPDIR/ct_max"
	sysctl -qw net.netfilter.nf_conntrack_max=$((n * 2 + 10000))
	r sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3600 \
		net.netfilter.nf_conntrack_udp_timeout_stream=3600
	r fpctl config set flow-limit $((n + 1000)) udp-timeout 3600
	r fpctl enable dev r0
	r fpctl enable dev r1

	local t0 t1 t2
	t0=$(date +%s)
	api_connections "$n"
	t1=$(date +%s)
	echo "# $n connections in $((t1 - t0)) s" >&3

	r fpctl -j stats | jq -e ".flows_active == $n and .flows_learned >= $n"

	# JSON: n flows, n distinct ids, n distinct tuples.
	r fpctl -j flow show >"$BATS_TEST_TMPDIR/flows.json"
	t2=$(date +%s)
	echo "# JSON dump of $n flows in $((t2 - t1)) s" >&3
	jq -r '.[] | "\(.id) \(.orig.sport) \(.orig.dport)"' "$BATS_TEST_TMPDIR/flows.json" \
		>"$BATS_TEST_TMPDIR/flows.txt"
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/flows.txt")" "$n"
	assert_equal "$(cut -d' ' -f1 "$BATS_TEST_TMPDIR/flows.txt" | sort -u | wc -l)" "$n"
	assert_equal "$(cut -d' ' -f2,3 "$BATS_TEST_TMPDIR/flows.txt" | sort -u | wc -l)" "$n"
	# Exactly the tuples udp-flows created.
	assert_equal "$(awk '{ print ($3 - 7000) * 50000 + $2 - 10000 }' "$BATS_TEST_TMPDIR/flows.txt" |
		sort -n | uniq | awk 'NR - 1 != $1 { bad++ } END { print NR, bad + 0 }')" "$n 0"

	# A filtered dump walks the whole table and returns just the
	# connections from source port 10000.
	assert_equal "$(r fpctl -j flow show sport 10000 | jq -c 'map(.orig.dport)')" \
		"$(awk '$2 == 10000 { print $3 }' "$BATS_TEST_TMPDIR/flows.txt" | sort -n | jq -sc .)"

	run r fpctl -j flow flush
	assert_success
	echo "$output" | jq -e ".flushed == $n"
	r fpctl -j flow show | jq -e '. == []'
	api_dmesg_clean
}
