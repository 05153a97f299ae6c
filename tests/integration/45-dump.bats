#!/usr/bin/env bats
# Large dumps resume correctly across many netlink messages: every rule and
# every flow comes out exactly once.
#
#   c (c0 10.0.1.2) -- (r0 10.0.1.1) r (r1 10.0.2.1) -- (s0 10.0.2.2) s
#   udp-flows: FASTPATH_DUMP_FLOWS UDP connections c -> s (one request, one reply
#   each; source ports 10000-59999 towards server ports 7000, 7001, ...),
#   all learned by r.
#
# The flow table is dumped by tests/fuzz/flow-dump (the family without
# fpctl, whose JSON of 100,000 flows takes minutes under TCG) and
# searched by fpctl.  FASTPATH_DUMP_FLOWS sets the number of flows
# (default 30000: a dump of that many spans hundreds of reads, and the
# benchmark fills the table with 100,000).  The test prints its own timings.

load ../lib/api

# One topology for both tests (topo.bash's teardown_file removes it): the
# rules test leaves none behind.
setup_file() {
	api_require cc nft sysctl taskset python3
	api_build udp-flows
	api_build flow-dump libnl-genl-3.0
	topo_setup
	api_flows_prepare
}

setup() {
	api_dmesg_mark
}

teardown() {
	if [ -f "$BATS_FILE_TMPDIR/ct_max" ]; then
		sysctl -qw net.netfilter.nf_conntrack_max="$(cat "$BATS_FILE_TMPDIR/ct_max")"
		rm "$BATS_FILE_TMPDIR/ct_max"
	fi
}

@test "dump: 400 rules, each exactly once, in pref order" {
	# Long rules (every field, about 200 bytes each) so the dump spans
	# several messages; added by one fpctl process, a request a line (TCG
	# makes every exec count).
	local i
	for i in $(seq 1 400); do
		echo "rule add pref $((i * 3)) iif r0 oif r1 src fd00:1::/64" \
			"dst fd00:2:$i::/48 proto tcp sport 1000-2000 dport $i" \
			"dscp $((i % 64)) mark $i/0xffff action bypass"
	done | fpctl -n "$NS_R" -batch -
	local json
	json=$(fpctl -n "$NS_R" -j rule show)
	# One jq (a third of a second an exec under TCG): 400 rules, in pref
	# order, each with its own fields.
	echo "$json" | jq -e 'length == 400 and
		[.[].pref] == [range(1; 401) | . * 3] and
		all(.[]; .dst == "fd00:2:\(.pref / 3)::/48" and
			.dport_min == .pref / 3 and .mark == .pref / 3)'
	# Text: one line per rule.
	assert_equal "$(fpctl -n "$NS_R" rule show | wc -l)" 400
	# Single-rule lookups still work at the end of the table.
	fpctl -n "$NS_R" -j rule show pref 1200 | jq -e 'length == 1 and .[0].dport_min == 400'
	fpctl -n "$NS_R" rule flush
	fpctl -n "$NS_R" -j rule show | jq -e '. == []'
}

@test "dump: 30,000 flows, each exactly once; learning and GC removals during a dump are not flagged, a flush is; the flush yields its CPU" {
	local n=${FASTPATH_DUMP_FLOWS:-30000}
	# Room for them all: conntrack (global limit, per-netns timeouts)
	# and fastpath (table limit, idle timeout).
	sysctl -n net.netfilter.nf_conntrack_max >"$BATS_FILE_TMPDIR/ct_max"
	sysctl -qw net.netfilter.nf_conntrack_max=$((n * 2 + 10000))
	r sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3600 \
		net.netfilter.nf_conntrack_udp_timeout_stream=3600
	fpctl -n "$NS_R" config set flow-limit $((n + 1000)) udp-timeout 3600
	fpctl -n "$NS_R" enable dev r0
	fpctl -n "$NS_R" enable dev r1

	local t0 t1 t2 dump=$BATS_TEST_TMPDIR/dump
	t0=$(date +%s)
	api_connections "$n"
	t1=$(date +%s)
	echo "# $n connections in $((t1 - t0)) s" >&3
	fpctl -n "$NS_R" -j stats | jq -e ".flows_active == $n and .flows_learned >= $n"

	# The whole table: n flows over many reads, n distinct ids, exactly
	# the tuples udp-flows created, nothing flagged.
	r "$BATS_FILE_TMPDIR/flow-dump" >"$dump.txt" 2>"$dump.err" || fail "$(cat "$dump.err")"
	t2=$(date +%s)
	echo "# dump of $n flows in $((t2 - t1)) s: $(cat "$dump.err")" >&3
	read -r _ flows _ reads _ intr <"$dump.err"
	assert_equal "$flows $intr" "$n 0"
	[ "$reads" -ge $((n / 100)) ] || fail "a dump of $n flows in only $reads reads"
	assert_equal "$(wc -l <"$dump.txt")" "$n"
	assert_equal "$(cut -d' ' -f1 "$dump.txt" | sort -u | wc -l)" "$n"
	assert_equal "$(awk '{ print ($3 - 7000) * 50000 + $2 - 10000 }' "$dump.txt" |
		sort -n | uniq | awk 'NR - 1 != $1 { bad++ } END { print NR, bad + 0 }')" "$n 0"

	# fpctl: a filtered dump walks the whole table and returns just the
	# connections from source port 10001.
	assert_equal "$(fpctl -n "$NS_R" -j flow show sport 10001 | jq -c 'map(.orig.dport)')" \
		"$(awk '$2 == 10001 { print $3 }' "$dump.txt" | sort -n | jq -sc .)"

	# Learning and the GC's removals do not flag a running dump: the dump
	# resumes by id, so neither can make it list a flow twice.  While it
	# is held after its first part, 100 new connections are learned and
	# conntrack deletes the last 3 flows' entries (the GC removes them).
	# It lists every flow that lived throughout, the new ones (their ids
	# come after its position), not the deleted ones, and no flag.
	local pause=$BATS_TEST_TMPDIR/pause learned removed deleted i
	learned=$(fp_stat flows_learned)
	removed=$(fp_stat flows_removed)
	deleted=$(sort -n "$dump.txt" | tail -3)
	r "$BATS_FILE_TMPDIR/flow-dump" -p "$pause" >"$dump-held.txt" 2>"$dump-held.err" &
	local dumper=$! sport dport
	for i in $(seq 1 100); do
		[ -e "$pause" ] && break
		sleep 0.1
	done
	[ -e "$pause" ] || fail "flow-dump received no flow: $(cat "$dump-held.err")"
	api_connections 100 9000
	while read -r _ sport dport; do
		r conntrack -D -p udp --orig-port-src "$sport" --orig-port-dst "$dport" >/dev/null 2>&1
	done <<<"$deleted"
	for i in $(seq 1 150); do
		[ "$(fp_stat flows_learned)" -ge $((learned + 100)) ] &&
			[ "$(fp_stat flows_removed)" -ge $((removed + 3)) ] && break
		sleep 0.2
	done
	fpctl -n "$NS_R" -j stats |
		jq -e ".flows_learned == $((learned + 100)) and .flows_removed == $((removed + 3))"
	rm "$pause"
	wait "$dumper" || fail "$(cat "$dump-held.err")"
	echo "# dump held while 100 flows were learned and 3 removed: $(cat "$dump-held.err")" >&3
	read -r _ flows _ _ _ intr <"$dump-held.err"
	assert_equal "$flows $intr" "$((n - 3 + 100)) 0"
	assert_equal "$(cut -d' ' -f1 "$dump-held.txt" | sort -u | wc -l)" "$flows"
	assert_equal "$(awk '$3 == 9000' "$dump-held.txt" | wc -l)" 100
	assert_equal "$(cut -d' ' -f2,3 "$dump-held.txt" | grep -cxF "$(cut -d' ' -f2,3 <<<"$deleted")")" 0
	n=$((n - 3 + 100))

	# Flows from source port 10000 flushed while the dump runs: the dump
	# is flagged, and still lists no flow twice.
	local gone
	gone=$(awk '$2 == 10000' "$dump-held.txt" | wc -l)
	r "$BATS_FILE_TMPDIR/flow-dump" -f 10000 >"$dump.txt" 2>"$dump.err" || fail "$(cat "$dump.err")"
	echo "# dump with a flush in the middle: $(cat "$dump.err")" >&3
	read -r _ flows _ _ _ intr <"$dump.err"
	assert_equal "$intr" 1
	[ "$flows" -ge $((n - gone)) ] && [ "$flows" -le "$n" ] ||
		fail "$flows flows dumped, expected $((n - gone)) to $n"
	assert_equal "$(cut -d' ' -f1 "$dump.txt" | sort -u | wc -l)" "$flows"
	fpctl -n "$NS_R" -j stats | jq -e ".flows_active == $((n - gone))"

	# The flush of the whole table yields its CPU as it goes: a real-time
	# task there runs within milliseconds, where without the yield it
	# waits for about half of the flush's system time (200-700 ms under
	# TCG; the test needs 100 to tell, and bounds the wait to a quarter).
	# A fast host flushes 30,000 flows in less: then conntrack forgets
	# them and a table twice as large is learned and flushed, twice at most.
	local count=$((n - gone)) tries=1 held took sys waited
	while :; do
		held=$(api_cpu_hold fpctl -n "$NS_R" -j flow flush)
		read -r took sys waited <<<"$held"
		echo "# flush of $count flows in $took ms, $sys ms of system time; a real-time task on its CPU waited $waited ms at most" >&3
		jq -e ".flushed == $count" "$BATS_TEST_TMPDIR/hold.out"
		[ "$sys" -lt 100 ] || break
		[ "$tries" -lt 3 ] ||
			fail "the flush of $count flows took only $sys ms of system time: too short to tell whether it yields"
		count=$((count * 2))
		tries=$((tries + 1))
		r conntrack -F 2>/dev/null
		sysctl -qw net.netfilter.nf_conntrack_max=$((count + 10000))
		fpctl -n "$NS_R" config set flow-limit $((count + 1000))
		api_connections "$count" 8000 >/dev/null
		api_expect_flows "$NS_R" "$count"
	done
	[ $((waited * 4)) -lt "$sys" ] ||
		fail "the flush held its CPU: a real-time task there waited $waited ms ($sys ms of system time)"
	fpctl -n "$NS_R" -j flow show | jq -e '. == []'
	api_dmesg_clean
}
