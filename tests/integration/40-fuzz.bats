#!/usr/bin/env bats
# Netlink fuzzing: tests/fuzz/genl-fuzz sends random and malformed messages
# to the fastpath family from a namespace of its own; every request must be
# answered, the kernel log must stay clean, and the configuration of the
# initial namespace must not change.
#
#   init netns (config snapshot, untouched)      40-fuzz-fz (fuzzer runs here)
#     no test devices                              lo, fz0 -- fz1 (veth)
#
# FASTPATH_FUZZ_SEED, FASTPATH_FUZZ_SEED2 and FASTPATH_FUZZ_COUNT override the
# fixed seeds and the count (the runner passes FASTPATH_* into the VM).

load ../lib/api

setup_file() {
	export FZ_NS
	FZ_NS=$(api_ns fz)
}

setup() {
	api_require cc
	api_dmesg_mark
	api_ns_add "$FZ_NS"
	# Something for dev-set to find: the fuzzer tries small ifindexes.
	ip -n "$FZ_NS" link add fz0 type veth peer name fz1
	ip -n "$FZ_NS" link set fz0 up
	ip -n "$FZ_NS" link set fz1 up
}

teardown() {
	api_ns_del "$FZ_NS"
}

@test "fuzzer: 10000 random and malformed messages, each answered, config unchanged" {
	api_build genl-fuzz
	local before after
	before=$(api_snapshot)

	run ip netns exec "$FZ_NS" "$BATS_FILE_TMPDIR/genl-fuzz" \
		-s "${FASTPATH_FUZZ_SEED:-20240601}" -n "${FASTPATH_FUZZ_COUNT:-10000}"
	echo "$output"
	assert_success
	assert_line --regexp '^seed [0-9]+ count [0-9]+$'
	# Every request the family received was answered.
	[[ $output =~ expected\ answers\ ([0-9]+),\ answered\ ([0-9]+) ]] ||
		fail "no summary line"
	[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]
	[ "${BASH_REMATCH[1]}" -ge 9000 ]
	# Whatever the family's own policies and handlers refuse, they say why;
	# only the genetlink core's refusals (no such operation, a header cut
	# short) come without a message.
	assert_line "rejected by the family without extack: 0"
	grep -E '^(seed|sent|acks|  )' <<<"$output" | sed 's/^/# /' >&3

	after=$(api_snapshot)
	assert_equal "$after" "$before"

	# The fuzzed namespace is still consistent: every table dumps as JSON,
	# rules sorted by unique pref, config within the policy's ranges.
	local ns_snap
	ns_snap=$(api_snapshot "$FZ_NS")
	echo "$ns_snap" | jq -e '.rules | map(.pref) | . == (sort | unique)'
	echo "$ns_snap" | jq -e '.config | .flow_limit >= 1 and .tcp_timeout >= 1 and
		.udp_timeout >= 1 and .stats_interval >= 100'
	ip netns exec "$FZ_NS" fpctl -j stats | jq -e 'type == "object"'
	ip netns exec "$FZ_NS" fpctl -j flow show | jq -e 'type == "array"'

	# And it can be emptied and destroyed cleanly.
	ip netns exec "$FZ_NS" fpctl rule flush
	ip netns exec "$FZ_NS" fpctl -j rule show | jq -e 'length == 0'
	api_ns_del "$FZ_NS"
	sleep 1
	api_dmesg_clean
}

@test "fuzzer: a second fixed seed" {
	api_build genl-fuzz
	local before
	before=$(api_snapshot)
	run ip netns exec "$FZ_NS" "$BATS_FILE_TMPDIR/genl-fuzz" \
		-s "${FASTPATH_FUZZ_SEED2:-7}" -n 3000
	echo "$output"
	assert_success
	assert_line "rejected by the family without extack: 0"
	assert_equal "$(api_snapshot)" "$before"
	api_ns_del "$FZ_NS"
	sleep 1
	api_dmesg_clean
}
