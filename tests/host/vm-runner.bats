#!/usr/bin/env bats
# tests/vm/run, the harness every integration test depends on: it passes the
# command's exit status and output through, sets up the guest as documented,
# and fails a run whose kernel log shows a warning, a panic or a timeout.
# Each test boots a VM (a few seconds under TCG).

bats_require_minimum_version 1.5.0

setup() {
	bats_load_library bats-support
	bats_load_library bats-assert
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd -P)
	RUN=$TOP/tests/vm/run
}

@test "runs the command with the module loaded and passes its exit status" {
	run "$RUN" 6.1 '
		echo "top=$FASTPATH_TOP pwd=$PWD"
		test "$FASTPATH_KO" = "$PWD/kernel/build/$KVER/fastpath.ko" && echo ko
		test "$KVER" = "$(uname -r)" && echo "kver=$KVER"
		echo "path=$PATH"
		test -d /sys/module/fastpath && echo loaded
		touch /usr/.fpvm 2>/dev/null || echo host-root-ro
		touch /tmp/x build/.fpvm && rm build/.fpvm && echo writable
		ip link add fpvm0 type veth peer name fpvm1 && echo autoload
		grep -q "slub_debug=FZPU page_poison=1 init_on_free=1" /proc/cmdline && echo memdebug
		exit 3'
	assert_equal "$status" 3
	assert_line "top=$TOP pwd=$TOP"
	assert_line ko
	assert_line --regexp "^kver=6\.1\."
	assert_line --regexp "^path=$TOP/cli:"
	assert_line loaded
	assert_line host-root-ro
	assert_line writable
	assert_line autoload
	assert_line memdebug
}

@test "a WARNING: in the kernel log fails the run and shows the log, also with --no-debug" {
	run "$RUN" --no-module --no-debug 6.12 '
		! grep -q slub_debug /proc/cmdline && grep -q init_on_alloc=0 /proc/cmdline &&
			! grep -qw cx16 /proc/cpuinfo &&
			echo no-debug
		echo "WARNING: CPU: 0 PID: 1 at fpvm-test" >/dev/kmsg; echo done'
	assert_failure 1
	assert_line no-debug
	assert_line done
	assert_line --partial "--- kernel log tail"
	assert_line --partial "WARNING: CPU: 0 PID: 1 at fpvm-test"
	assert_line --regexp "^Error: kernel log of 6\.12\..* shows a problem"
}

@test "a kernel panic fails the run" {
	run "$RUN" --no-module 6.1 'echo c >/proc/sysrq-trigger; sleep 60'
	assert_failure 1
	assert_line --partial "Kernel panic"
	assert_line --regexp "^Error: kernel log of 6\.1\..* shows a problem"
}

@test "a run longer than --timeout is stopped with a clear error" {
	run "$RUN" --no-module --timeout 5 6.1 'sleep 600'
	assert_failure 1
	assert_line --regexp "^Error: VM \(6\.1\..*\) timed out after 5 s$"
}

@test "an unknown kernel is a clear error, without booting" {
	run "$RUN" 5.99 true
	assert_failure 1
	assert_output "Error: no kernel 5.99 installed (run make deps)"
}
