#!/usr/bin/env bats
# The benchmark's quick mode (bench/inside --quick) keeps `make bench`
# working: every mode runs and forwards packets, and the JSON is complete.
# Performance is never asserted here; `make bench` measures it.
#
#   fpb-c                       fpb-r                        fpb-s
#   c0 10.0.1.2  ---------  r0 10.0.1.1  r1 10.0.2.1  ---------  s0 10.0.2.2
#      fd00:1::2               fd00:1::1    fd00:2::1               fd00:2::2
#                           pktgen on CPU 0 injects c's packets
#                           into r0 (6.12; 6.1: pktgen
#                           in c sends through c0);
#                           conntrack + masquerade;
#                           baseline, flowtable, fastpath
#                           (RPS: router work on CPU 1);
#                           a tc filter drops and counts
#                           what r1 transmits
#
#   fpb-pc -- fpb-pr -- fpb-ps: the same without any ruleset (plain routing)

load ../lib/bats-libs

MODES='["baseline","flowtable","fastpath","plain"]'

setup_file() {
	: "${FASTPATH_TOP:?runs inside the VM (tests/vm/run)}"
	export RESULTS="$BATS_FILE_TMPDIR/results.json"
	"$FASTPATH_TOP/bench/inside" --quick --out "$RESULTS" >"$BATS_FILE_TMPDIR/output" 2>&1 &&
		echo 0 >"$BATS_FILE_TMPDIR/status" || echo $? >"$BATS_FILE_TMPDIR/status"
}

@test "quick benchmark runs to completion and prints the table" {
	run cat "$BATS_FILE_TMPDIR/output"
	assert_equal "$(cat "$BATS_FILE_TMPDIR/status")" 0
	assert_line --regexp '^mode +family +flows +pps median +ratio'
	assert_line --regexp '^fastpath +ipv6 +1000 +[0-9]+ +[0-9.]+ '
}

@test "the JSON is well-formed and carries the run's metadata" {
	run jq -e --arg k "$(uname -r)" '
		.kernel == $k and .quick == true and .rounds == 1 and .window_s > 0 and
		.families == ["ipv4", "ipv6"] and .flow_counts == [1, 1000] and
		(.cpu_saturation.cells | type == "number") and
		(.cpu_saturation.note | type == "string")' "$RESULTS"
	assert_success
}

@test "the generator injects into the router where pktgen can hand skbs over unshared" {
	local want=veth
	[ "$(printf '%s\n' 6.12 "$(uname -r)" | sort -V | head -1)" != 6.12 ] || want=inject
	run jq -r '.generator.mode' "$RESULTS"
	assert_output "$want"
}

@test "every cell reports the router CPU's busy share and the capacity derived from it" {
	run jq -e '[.results[] | all(.router_cpu_busy[]; . > 0 and . <= 1) and
		.capacity_pps_median >= .pps_median and .capacity_ratio > 0] | length == 16 and all' \
		"$RESULTS"
	assert_success
}

@test "every mode ran for both families and both flow counts and forwarded packets" {
	run jq -e --argjson modes "$MODES" '
		[.results[] | select(.pps_median > 0 and all(.pps_samples[]; . > 0)) |
		 "\(.mode) \(.family) \(.flows)"] | sort ==
		([$modes[] as $m | ("ipv4", "ipv6") as $f | (1, 1000) as $n | "\($m) \($f) \($n)"] | sort)' \
		"$RESULTS"
	assert_success
}

@test "ratios are relative to the baseline" {
	run jq -e '[.results[] | select(.mode == "baseline") | .ratio == 1] | all' "$RESULTS"
	assert_success
	run jq -e '[.results[] | .ratio | type == "number" and . > 0] | all' "$RESULTS"
	assert_success
}

@test "the fastpath mode's packets went through the fast path" {
	run jq -e '[.results[] | select(.mode == "fastpath") |
		all(.fast_packets[]; . > 0) and .flows_active >= .flows] | length == 4 and all' \
		"$RESULTS"
	assert_success
}

@test "flow setup rate, memory per flow and TCP fast-path share are reported" {
	run jq -e '
		([.flow_setup[] | select(.flows > 1 and .flows_learned >= .flows and .learned_per_s > 0)] | length == 2) and
		([.flow_setup_under_flood[] | select(.flows > 1 and .flows_learned >= .flows and .learned_per_s > 0)] | length == 2) and
		([.memory[] | select(.bytes_per_flow > 0 and .flows_active > 0)] | length == 4) and
		([.tcp[] | select(.fast_packets > 0 and .s0_packets > 0 and .fast_share > 0)] | length == 2)' \
		"$RESULTS"
	assert_success
}
