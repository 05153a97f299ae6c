#!/usr/bin/env bats
# Disabling a device races with learning (issue 10, item 1): a learner that
# already looked the egress device up can insert a flow after the disable
# flushed, keyed on a device no longer enabled, whose transmit then writes
# into freed per-CPU counters.  Here both devices are disabled and enabled
# again a hundred times each while a multi-flow UDP flood keeps the learner
# busy on both CPUs; the guest runs with SLUB debugging and panic_on_warn
# (tests/vm/run's default boot), and afterwards no flow is keyed on a
# disabled device and the fast path works.  That loop hits the window by
# chance; the second test holds it open (tests/kmod/fp-delay), as the
# last two do a verification's route look-up across a route change.
#
#   c                        r (masquerade out of r1)            s
#   c0 10.0.1.2/24 ------- r0 10.0.1.1    r1 10.0.2.1 ------- s0 10.0.2.2/24
#   8 UDP senders,         fpctl -batch: disable/enable         UDP echo 7000
#   ports 4201-4208        r0 and r1, 100 rounds                (rx on CPU 1)

bats_require_minimum_version 1.5.0
load ../lib/topo

setup_file() {
	[ -d /sys/module/fastpath ] || fail "fastpath module is not loaded"
	require python3 gojq
	topo_setup
	topo_masquerade
	# The router's receive work on the other CPU than the senders'.
	r sh -c 'echo 2 > /sys/class/net/r0/queues/rx-0/rps_cpus
		echo 2 > /sys/class/net/r1/queues/rx-0/rps_cpus'
	fp_enable_router
	nettool "$NS_S" udp-echo 7000 >/dev/null 2>&1 3>&- &
	wait_listen "$NS_S" udp 7000
}

teardown() {
	ip netns pids "$NS_C" | xargs -r kill
	[ ! -d /sys/module/fp_delay ] || rmmod fp_delay
	if [ -n "${ROUTE_SET:-}" ]; then
		r ip route flush 10.0.2.2/32 || :
		r ip route flush root 198.51.100.0/24 || :
		r ip neigh del 10.0.2.3 dev r1 2>/dev/null || :
		r nft delete table netdev fp_oneway 2>/dev/null || :
	fi
	return 0
}

# Flows of the router whose ingress (either direction) is device $1.
flows_from() {
	fp_flows | jq -c --arg d "$1" '[.[] | select(.orig.iif == $d or .reply.iif == $d)]'
}

@test "race: enable/disable loops on both devices during a multi-flow flood" {
	local dmesg0 sport fast0 i
	dmesg0=$(dmesg | wc -l)
	for sport in $(seq 4201 4208); do
		nettool "$NS_C" udp-send 10.0.2.2 7000 --sport "$sport" \
			100000:echo=0,rate=250 >/dev/null 2>&1 3>&- &
	done
	# Eight Python senders take a while to start under TCG.
	for i in $(seq 1 60); do
		[ "$(fp_stat flows_active)" -ge 8 ] && break
		sleep 0.5
	done
	[ "$(fp_stat flows_active)" -ge 8 ] || fail "the flood is not offloaded: $(fpctl -n "$NS_R" stats)"
	for i in $(seq 1 100); do
		printf '%s\n' 'disable dev r0' 'enable dev r0' 'disable dev r1' 'enable dev r1'
	done >"$BATS_TEST_TMPDIR/toggle"
	run -0 fpctl -n "$NS_R" -batch "$BATS_TEST_TMPDIR/toggle"

	# A device disabled under the flood keeps no flow keyed on it.
	r fpctl disable dev r0
	sleep 1
	assert_equal "$(flows_from r0)" "[]"
	r fpctl enable dev r0
	r fpctl disable dev r1
	sleep 1
	assert_equal "$(flows_from r1)" "[]"
	r fpctl enable dev r1

	# And the fast path works again.
	fast0=$(fp_stat fast_packets)
	for i in $(seq 1 50); do
		[ "$(fp_stat fast_packets)" -gt $((fast0 + 500)) ] && break
		sleep 0.2
	done
	[ "$(fp_stat fast_packets)" -gt $((fast0 + 500)) ] ||
		fail "the flood is not on the fast path again: $(fpctl -n "$NS_R" stats)"
	run -0 bash -c "dmesg | tail -n +$((dmesg0 + 1))"
	refute_output --regexp 'WARNING|BUG|Oops|refcount|corrupt|Poison'
}

# Learning of c's direction is held 3 s at the return of
# fp_flow_learn_needed(), after the hook found r0 enabled, and r0 is
# disabled meanwhile.  The disable waits for the held learner
# (synchronize_net() after the ingress hook's unregistration waits for
# every RCU reader), which finds r0 detached under the table's lock: no
# flow is keyed on r0 once the disable is done.  Either half of the fix
# alone would leave no flow either; the wait itself is asserted.  r's
# receive runs on CPU 1 (RPS): this shell and the sender on CPU 0 stay
# free during the hold.
@test "race: r0 disabled while a learner that found it enabled is held, no flow is keyed on r0" {
	local mask
	# Whatever the loop above left.
	r fpctl enable dev r0
	r fpctl enable dev r1
	r fpctl flow flush
	fp_delay_arm symbol=fp_flow_learn_needed arg=2 value=0 delay_ms=3000
	mask=$(taskset -p "$BASHPID" | awk '{ print $NF }')
	taskset -p -c 0 "$BASHPID" >/dev/null
	nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4230 300:echo=0,rate=50 \
		>/dev/null 2>&1 3>&- &
	fp_delay_wait_hold || fail "learning of c's direction was never held: $(fp_flows)"
	fp_delay_during "the disable" fpctl -n "$NS_R" disable dev r0
	# It waited for the held learner (synchronize_net() waits for every
	# RCU reader, the learning hook's included) ...
	[ "$FP_DELAY_DURING" = 0 ] && [ "$FP_DELAY_TOOK" -ge 2000 ] ||
		fail "the disable did not wait for the held learner"
	taskset -p "$mask" "$BASHPID" >/dev/null
	# ... which inserted no flow keyed on r0 that outlived the flush.
	# rmmod waits for a grace period: the held learner has finished.
	rmmod fp_delay
	assert_equal "$(flows_from r0)" "[]"
	r fpctl enable dev r0
}

# c's direction is on a stale route (an unrelated route was added), and
# its next datagram, the one verified, is held 3 s between the stack's FIB
# look-up and the allocation of its route (fib_validate_source() returns
# in between, for the packet from r0) while s's route moves to another
# gateway on r1.  The route allocated after the change carries the new
# generation, with the old gateway: it would pass every check from then
# on.  The verification's probe spans the change (the IPv4 route
# generation is among the changes a probe records) and concludes nothing;
# the next datagram is verified on the new route, and the flow is removed
# (route) and learned again.  Had the held packet's route been taken, the
# flow would have stayed, forwarding to the old gateway.
@test "race: a route look-up held across a change of gateway: the verification concludes nothing" {
	local mask before
	ROUTE_SET=1
	r fpctl flow flush
	# The gateway's MAC is s's: s gets c's datagrams through either.
	r ip neigh replace 10.0.2.3 dev r1 lladdr "$(s cat /sys/class/net/s0/address)" nud permanent
	nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4240 4 >/dev/null
	before=$(fp_offloaded_flow udp 4240)
	r ip route add 198.51.100.0/24 via 10.0.2.2
	fp_delay_arm symbol=fib_validate_source arg=5 ifname=r0 delay_ms=3000
	mask=$(taskset -p "$BASHPID" | awk '{ print $NF }')
	taskset -p -c 0 "$BASHPID" >/dev/null
	nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4240 1:echo=0 >/dev/null 2>&1 3>&- &
	fp_delay_wait_hold || fail "no route look-up of c's datagram was held"
	# Not through ip netns exec, whose mount namespace's unmount waits
	# for an RCU grace period, which the held softirq blocks: the change
	# would come after the hold.
	fp_delay_during "the route change" in_ns "$NS_R" ip route add 10.0.2.2/32 via 10.0.2.3 dev r1
	[ "$FP_DELAY_DURING" = 1 ] || fail "the route change waited for the held look-up"
	taskset -p "$mask" "$BASHPID" >/dev/null
	rmmod fp_delay
	# Staying on the old gateway, the flow would keep its id.
	fp_offloaded_flow udp 4240 "$(jq .id <<<"$before")"
}

# An idle flow on stale routes (an unrelated route was added) gets two
# datagrams from c, 2 s apart, more than 5 s after its last fast packet;
# each is held 3 s at the return of fib_validate_source() while another
# route change comes, so neither verification concludes (its probe spans
# the change), yet the stack forwards both out of r1 as the flow does.
# The flow stays: only packets the stack does not forward by the flow's
# device count towards its removal, not verifications that were lost.
# s's echoes are dropped at r1's ingress, before fastpath's hook: the
# reverse's verification would take its new route and clear all.
@test "race: an idle flow whose verifications after a route change are voided twice stays" {
	local mask before after i
	ROUTE_SET=1
	r fpctl flow flush
	nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4250 4 >/dev/null
	before=$(fp_offloaded_flow udp 4250)
	r nft add table netdev fp_oneway
	r nft add chain netdev fp_oneway in '{ type filter hook ingress device "r1" priority -100; }'
	r nft add rule netdev fp_oneway in udp sport 7000 udp dport 4250 drop
	r ip route add 198.51.100.0/24 via 10.0.2.2
	sleep 6
	fp_delay_arm symbol=fib_validate_source arg=5 ifname=r0 delay_ms=3000
	mask=$(taskset -p "$BASHPID" | awk '{ print $NF }')
	taskset -p -c 0 "$BASHPID" >/dev/null
	for i in 1 2; do
		[ "$i" = 1 ] || echo 1 >"$FP_DELAY_PAR/shots"
		nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4250 1:echo=0 >/dev/null 2>&1 3>&- &
		fp_delay_wait_hold || fail "datagram $i of c was not held"
		fp_delay_during "route change $i" in_ns "$NS_R" ip route add 198.51.100.$i/32 via 10.0.2.2
		sleep 2
	done
	taskset -p "$mask" "$BASHPID" >/dev/null
	after=$(fp_flows | jq -c '.[] | select(.orig.sport == 4250)')
	r nft delete table netdev fp_oneway
	assert_equal "flow id $(jq .id <<<"$after")" "flow id $(jq .id <<<"$before")"
}
