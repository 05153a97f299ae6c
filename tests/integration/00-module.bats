#!/usr/bin/env bats
# The first kernel/user loop, inside the VM (tests/vm/run has loaded
# fastpath.ko): the module registers the Generic Netlink family "fastpath",
# fpctl resolves it, and the module unloads and reloads cleanly.
# No namespace topology: everything here happens in the initial namespace.

bats_require_minimum_version 1.5.0

setup() {
	load ../lib/bats-libs
	: "${FASTPATH_KO:?integration tests run inside the VM (tests/vm/run)}"
	VERSION=$(cat "$FASTPATH_TOP/VERSION")
}

# Leave the module loaded for the next test and for the runner's own
# final unload check.
teardown() {
	[ -d /sys/module/fastpath ] || insmod "$FASTPATH_KO"
}

@test "fastpath.ko is loaded, built for the running kernel" {
	run lsmod
	assert_line --regexp '^fastpath '
	assert_equal "$(modinfo -F vermagic "$FASTPATH_KO" | cut -d' ' -f1)" "$(uname -r)"
}

@test "the Generic Netlink family fastpath is registered with its monitor group" {
	run genl ctrl get name fastpath
	assert_success
	assert_line --regexp '^Name: fastpath$'
	assert_output --regexp 'Version: 0x1 '
	assert_output --regexp 'name: monitor'
}

@test "fpctl -V prints its own and the module's version" {
	run fpctl -V
	assert_success
	assert_output "fpctl $VERSION, module $VERSION"
}

@test "rmmod and insmod work cleanly, and the family follows the module" {
	rmmod fastpath
	[ ! -d /sys/module/fastpath ]
	run genl ctrl get name fastpath
	assert_failure
	ls /sys/kernel/slab | grep -v '^:' >"$BATS_TEST_TMPDIR/slabs"
	run grep -i fastpath "$BATS_TEST_TMPDIR/slabs"
	assert_failure

	insmod "$FASTPATH_KO"
	run genl ctrl get name fastpath
	assert_success
	run fpctl -V
	assert_output "fpctl $VERSION, module $VERSION"
}

@test "without the module fpctl says so in one line and fails" {
	rmmod fastpath
	run fpctl dev show
	assert_failure
	assert_equal "${#lines[@]}" 1
	assert_line --index 0 --regexp '^Error: fastpath module not loaded'
}

@test "a module parameter out of range refuses the load and is named; in range, it is the namespace's config" {
	local p logged
	rmmod fastpath
	for p in max_flows=0 tcp_timeout=0 udp_timeout=1000001 verify_interval=3601; do
		logged=$(dmesg | wc -l)
		run insmod "$FASTPATH_KO" "$p"
		assert_failure
		assert_output --partial "Invalid parameters"
		[ ! -d /sys/module/fastpath ]
		run sh -c "dmesg | tail -n +$((logged + 1))"
		assert_output --regexp "fastpath: parameter $p is out of range [0-9]+-[0-9]+"
	done
	insmod "$FASTPATH_KO" max_flows=7 tcp_timeout=1000000 udp_timeout=1 verify_interval=3600
	run fpctl -j config show
	rmmod fastpath
	assert_success
	# In fpctl's order of keys, which gojq would sort.
	assert_equal "$(command jq -c . <<<"$output")" \
		'{"flow_limit":7,"tcp_timeout":1000000,"udp_timeout":1,"stats_interval":1000,"verify_interval":3600}'
}
