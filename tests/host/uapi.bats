#!/usr/bin/env bats
# The contract: uapi/linux/fastpath.h and the module's policies and op table
# (kernel/fastpath-nl.[ch]) are what the kernel's ynl-gen-c.py makes of
# uapi/fastpath.yaml (scripts/ynl-gen), the header agrees with the YAML name
# for name and value for value, and the YAML passes the kernel's own schema
# (from linux-source-6.12, extracted by scripts/ynl-extract).

setup_file() {
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	export TOP
	YNL=$("$TOP/scripts/ynl-extract")
	export YNL
}

setup() {
	bats_load_library bats-support
	bats_load_library bats-assert
	CHECK="/usr/bin/python3 $TOP/tests/host/uapi-check.py"
}

@test "uapi: the header defines exactly the YAML's names with its values" {
	run $CHECK "$TOP/uapi/fastpath.yaml" "$TOP/uapi/linux/fastpath.h"
	assert_success
	assert_output --regexp 'agree \([0-9]+ names\)$'
}

@test "uapi: the YAML passes the kernel's genetlink-legacy schema and YNL's parser" {
	run $CHECK --ynl "$YNL" "$TOP/uapi/fastpath.yaml" "$TOP/uapi/linux/fastpath.h"
	assert_success
}

# $output has "NAME is N, the YAML says N-1".
shifted_by_one() {
	local re="^.*: $1 is ([0-9]+), the YAML says ([0-9]+)\$"
	assert_line --regexp "$re"
	[[ $(grep -E "$re" <<<"$output") =~ $re ]]
	assert_equal "$((BASH_REMATCH[1] - 1))" "${BASH_REMATCH[2]}"
}

@test "uapi: the check catches a shifted, an extra and a renamed value" {
	local h=$BATS_TEST_TMPDIR/fastpath.h
	sed 's/FASTPATH_CMD_RULE_DEL,/FASTPATH_CMD_RULE_DEL = 7,/' "$TOP/uapi/linux/fastpath.h" >"$h"
	run $CHECK "$TOP/uapi/fastpath.yaml" "$h"
	assert_failure
	assert_line --partial "FASTPATH_CMD_RULE_DEL is 7, the YAML says 6"
	sed 's/^\tFASTPATH_A_FLOW_COUNT,/&\n\tFASTPATH_A_FLOW_EXTRA,/' "$TOP/uapi/linux/fastpath.h" >"$h"
	run $CHECK "$TOP/uapi/fastpath.yaml" "$h"
	assert_failure
	assert_line --partial "FASTPATH_A_FLOW_EXTRA is not in the YAML"
	# Every later attribute of the set is reported one off, up to the end.
	shifted_by_one FASTPATH_A_FLOW_PAD
	shifted_by_one __FASTPATH_A_FLOW_MAX
	sed 's/"monitor"/"monitr"/' "$TOP/uapi/linux/fastpath.h" >"$h"
	run $CHECK "$TOP/uapi/fastpath.yaml" "$h"
	assert_failure
	assert_line --partial "FASTPATH_MCGRP_MONITOR is 'monitr', the YAML says 'monitor'"
}

@test "uapi: the check catches a dangling reference in the YAML" {
	local y=$BATS_TEST_TMPDIR/fastpath.yaml
	sed 's/nested-attributes: tuple/nested-attributes: tupel/' "$TOP/uapi/fastpath.yaml" >"$y"
	run $CHECK "$y" "$TOP/uapi/linux/fastpath.h"
	assert_failure
	assert_line --partial "attribute flow/orig nests unknown set tupel"
}

# The files scripts/ynl-gen writes, as the checkout commits them.
GENERATED="uapi/linux/fastpath.h kernel/fastpath-nl.h kernel/fastpath-nl.c"

# Regenerate into $1 (from spec $2) and compare with the checkout.
regenerate_and_diff() {
	local f
	"$TOP/scripts/ynl-gen" "$1" ${2:+"$2"}
	for f in $GENERATED; do
		diff -u "$TOP/$f" "$1/$f" || return 1
	done
}

@test "uapi: the committed header and kernel files are generated from the YAML" {
	run regenerate_and_diff "$BATS_TEST_TMPDIR/gen"
	assert_success
	assert_output ""
}

@test "uapi: a change to the YAML shows as drift in each generated file" {
	local y=$BATS_TEST_TMPDIR/fastpath.yaml gen=$BATS_TEST_TMPDIR/gen
	# A new operation before rule-flush: a command, a handler, an op.
	sed 's/^      name: rule-flush$/      name: rule-zap\n      doc: x\n      attribute-set: rule\n      do: {}\n    -\n&/' \
		"$TOP/uapi/fastpath.yaml" >"$y"
	run regenerate_and_diff "$gen" "$y"
	assert_failure
	assert_line "+	FASTPATH_CMD_RULE_ZAP,"
	run diff "$TOP/kernel/fastpath-nl.h" "$gen/kernel/fastpath-nl.h"
	assert_line "> int fastpath_nl_rule_zap_doit(struct sk_buff *skb, struct genl_info *info);"
	run diff "$TOP/kernel/fastpath-nl.c" "$gen/kernel/fastpath-nl.c"
	assert_line --regexp "^>[[:space:]]+\.doit[[:space:]]+= fastpath_nl_rule_zap_doit,$"
}

@test "uapi: every request attribute a handler reads is in its op's policy" {
	run "$TOP/tests/host/nl-reads-check.py" "$TOP/kernel/netlink.c" "$TOP/kernel/fastpath-nl.c"
	assert_success
	assert_line --regexp '^1[0-9] ops checked$'
	# A read the policy lacks (config-set as it was generated before
	# verify-interval joined its request) is named.
	sed 's/\[FASTPATH_A_CONFIG_VERIFY_INTERVAL\] = .*//' "$TOP/kernel/fastpath-nl.c" \
		>"$BATS_TEST_TMPDIR/nl.c"
	run "$TOP/tests/host/nl-reads-check.py" "$TOP/kernel/netlink.c" "$BATS_TEST_TMPDIR/nl.c"
	assert_failure
	assert_output --partial "FASTPATH_CMD_CONFIG_SET: fastpath_nl_config_set_doit reads FASTPATH_A_CONFIG_VERIFY_INTERVAL, not in fastpath_config_set_nl_policy"
}
