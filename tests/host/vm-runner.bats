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
		grep -q "slub_debug=FZP page_poison=1 init_on_free=1 .*norandmaps" /proc/cmdline && echo memdebug
		test "$(cat /proc/sys/kernel/randomize_va_space)" = 0 && echo norandmaps
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
	assert_line norandmaps
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

@test "both vCPUs share one TCG thread unless --mttcg or FASTPATH_VM_MTTCG=1" {
	run "$RUN" --dry-run --no-module 6.1 true
	assert_success
	assert_line tcg,thread=single
	refute_line --partial thread=multi
	run "$RUN" --dry-run --no-module --mttcg 6.1 true
	assert_success
	assert_line tcg,thread=multi
	FASTPATH_VM_MTTCG=1 run "$RUN" --dry-run --no-module 6.1 true
	assert_success
	assert_line tcg,thread=multi
}

@test "the debug kernel's config fragment asks for every checker and what the VM needs" {
	local opt
	for opt in KASAN=y KASAN_GENERIC=y KASAN_INLINE=y PROVE_LOCKING=y LOCKDEP=y \
		PROVE_RCU=y DEBUG_ATOMIC_SLEEP=y DEBUG_KMEMLEAK=y DEBUG_OBJECTS_RCU_HEAD=y \
		DEBUG_LIST=y NET_DEV_REFCNT_TRACKER=y NET_NS_REFCNT_TRACKER=y KALLSYMS_ALL=y \
		MODULES=y MODULE_UNLOAD=y PVH=y VIRTIO_PCI=y NET_9P_VIRTIO=y 9P_FS=y \
		DEVTMPFS=y TMPFS=y VETH=m NF_TABLES=m NFT_FLOW_OFFLOAD=m NF_FLOW_TABLE_INET=m \
		NET_PKTGEN=m MAC80211_HWSIM=m PPPOE=m; do
		run grep -cx "CONFIG_$opt" "$TOP/tests/vm/debug.config"
		assert_output 1
	done
	# kmemleak must scan from boot on, and fastpath.ko is not signed.
	run grep -cx -e "# CONFIG_DEBUG_KMEMLEAK_DEFAULT_OFF is not set" \
		-e "# CONFIG_MODULE_SIG_FORCE is not set" "$TOP/tests/vm/debug.config"
	assert_output 2
}

# A stand-in for scripts/debug-kernel's cache: a kernel image the runner
# cannot unpack and a module directory with 9p and virtio built in.
fake_debug_kernel() {
	local base=$1 rel=$2 mods=$1/modules/lib/modules/$2
	mkdir -p "$base/linux/arch/x86/boot" "$mods/kernel"
	echo "not a kernel" >"$base/linux/arch/x86/boot/bzImage"
	printf 'kernel/%s.ko\n' drivers/virtio/virtio_pci net/9p/9pnet_virtio fs/9p/9p \
		>"$mods/modules.builtin"
	: >"$mods/modules.order"
	depmod -b "$base/modules" "$rel" 2>/dev/null
	echo "$rel" >"$base/release"
	echo fake >"$base/stamp"
}

@test "KVER debug boots the cached debug kernel with its modules, KASAN instead of SLUB debugging" {
	local rel=0.0.0-fpvm-test dbg=$BATS_TEST_TMPDIR/debug-kernel
	fake_debug_kernel "$dbg" "$rel"
	FASTPATH_DEBUG_KERNEL=$dbg run "$RUN" --dry-run --no-module debug true
	rm -rf "$TOP/build/vm/$rel"
	assert_success
	assert_line -n 0 qemu-system-x86_64
	assert_line "$dbg/linux/arch/x86/boot/bzImage"
	assert_line "$TOP/build/vm/$rel/initramfs.cpio.gz"
	assert_line --regexp "^console=ttyS0 .*panic_on_warn=1 .*norandmaps .*fpvm.modules=$dbg/modules/lib/modules/$rel\$"
	refute_line --partial slub_debug
	# SLUB's lockless path needs the emulator's CMPXCHG16B, which failed.
	assert_line max,cx16=off
}

@test "KVER debug without a built debug kernel is a clear error, without booting" {
	FASTPATH_DEBUG_KERNEL=$BATS_TEST_TMPDIR/none run "$RUN" debug true
	assert_failure 1
	assert_output "Error: no debug kernel in $BATS_TEST_TMPDIR/none (run scripts/debug-kernel)"
}
