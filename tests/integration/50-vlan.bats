#!/usr/bin/env bats
# VLANs under the routed devices: a router on a stick (802.1Q) and a QinQ
# link (802.1ad outer tag, 802.1Q inner), the tags pushed by the fast path
# and packets transmitted on the veth below, frames identical to the
# normal path's.
#
#   c                             r                                  s
#   ct ====== 802.1Q trunk ====== rt
#   c0 = ct.10  10.0.1.2/24       r0 = rt.10  10.0.1.1/24
#   ct.20, moved to s as s0  ...  r1 = rt.20  10.0.2.1/24 ...... s0 10.0.2.2/24
#                                 rq ============ QinQ ============ sq
#                                 r2 = rq.100(ad).30 10.0.3.1  s1 = sq.100(ad).30 10.0.3.2
#
# fastpath on r0, r1, r2 (the VLAN devices only); masquerade out of r1;
# s routes c's subnet back through r2.  Senders checksum in software.

bats_require_minimum_version 1.5.0
load ../lib/topo
load ../lib/l2

setup_file() {
	topo_teardown
	require ip nft conntrack socat tcpdump ethtool python3 tc
	modprobe 8021q
	ip netns add "$NS_C"
	ip netns add "$NS_R"
	ip netns add "$NS_S"
	modprobe nf_conntrack
	r sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward
		echo 1 > /proc/sys/net/netfilter/nf_conntrack_acct'
	ip -n "$NS_C" -b - <<-EOF
	link set lo up
	link add ct type veth peer name rt netns $NS_R
	link add link ct name c0 type vlan id 10
	link add link ct name s0 type vlan id 20
	link set s0 netns $NS_S
	addr add 10.0.1.2/24 dev c0
	link set ct up
	link set c0 up
	route add default via 10.0.1.1
	EOF
	ip -n "$NS_S" -b - <<-EOF
	link set lo up
	link add sq type veth peer name rq netns $NS_R
	link add link sq name sq.100 type vlan proto 802.1ad id 100
	link add link sq.100 name s1 type vlan id 30
	addr add 10.0.2.2/24 dev s0
	addr add 10.0.3.2/24 dev s1
	link set s0 up
	link set sq up
	link set sq.100 up
	link set s1 up
	route add default via 10.0.2.1
	route add 10.0.1.0/24 via 10.0.3.1 dev s1
	EOF
	ip -n "$NS_R" -b - <<-EOF
	link set lo up
	link add link rt name r0 type vlan id 10
	link add link rt name r1 type vlan id 20
	link add link rq name rq.100 type vlan proto 802.1ad id 100
	link add link rq.100 name r2 type vlan id 30
	addr add 10.0.1.1/24 dev r0
	addr add 10.0.2.1/24 dev r1
	addr add 10.0.3.1/24 dev r2
	link set rt up
	link set rq up
	link set rq.100 up
	link set r0 up
	link set r1 up
	link set r2 up
	EOF
	local dev
	for dev in ct c0; do c ethtool -K "$dev" tx off >/dev/null; done
	for dev in sq sq.100 s0 s1; do s ethtool -K "$dev" tx off >/dev/null; done
	topo_masquerade
	fp_enable_router
	r fpctl enable dev r2
	in_ns "$NS_C" ping -q -c1 -W5 10.0.2.2 >/dev/null || fail "s not reachable over VLAN 20"
	in_ns "$NS_C" ping -q -c1 -W5 10.0.3.2 >/dev/null || fail "s not reachable over QinQ"
	make_payload 8 "$BATS_FILE_TMPDIR/payload"
	nettool "$NS_S" udp-echo 7000 >/dev/null 2>&1 3>&- &
	wait_listen "$NS_S" udp 7000
}

teardown() {
	c tc qdisc del dev c0 root 2>/dev/null || true
	# A failed test must not leave a stream running (bats would wait for it).
	ip netns pids "$NS_C" | xargs -r kill
	return 0
}

@test "vlan: fpctl dev show gives the trunk each VLAN device transmits on" {
	run -0 fp_dev_json r1
	jq -e '.xmit_ifname == "rt" and .xmit_mode == "direct"' <<<"$output"
	run -0 fp_dev_json r2
	jq -e '.xmit_ifname == "rq" and .xmit_mode == "direct"' <<<"$output"
}

@test "vlan: router on a stick, 8 MB TCP c->s and s->c, >= 90% on the fast path" {
	c tc qdisc add dev c0 root tbf rate 40mbit burst 64kb latency 500ms
	transfer_via r0 r1 tcp_transfer_c2s "$BATS_FILE_TMPDIR/payload"
	transfer_via r1 r0 tcp_transfer_s2c "$BATS_FILE_TMPDIR/payload"
}

@test "vlan: QinQ, 8 MB TCP c->s over 802.1ad+802.1Q, >= 90% on the fast path" {
	c tc qdisc add dev c0 root tbf rate 40mbit burst 64kb latency 500ms
	transfer_via r0 r2 tcp_transfer_c2s "$BATS_FILE_TMPDIR/payload" 10.0.3.2
	transfer_via r2 r0 tcp_transfer_s2c "$BATS_FILE_TMPDIR/payload" 10.0.3.2
}

@test "vlan: tagged frames identical with fastpath on and off" {
	l2_on_off "r0 r1 r2" "$NS_C/ct $NS_S/sq" 10.0.2.2 10.0.3.2
	# The trunk carries both VLANs both ways; the QinQ link the flow 4002.
	nettool "$NS_C" frames-check --exact 4001,4002 --echo-src 10.0.2.2,10.0.3.2 --tcp \
		"$BATS_FILE_TMPDIR"/{fast,slow}-ct.pcap
	nettool "$NS_C" frames-check --exact 4002 --echo-src 10.0.3.2 \
		"$BATS_FILE_TMPDIR"/{fast,slow}-sq.pcap
}

@test "vlan: r1 deleted and created again during a transfer, acceleration resumes by name" {
	local ifindex0
	ifindex0=$(fp_dev_json r1 | jq .ifindex)
	recreate_r1() {
		r ip link del r1
		run -0 fp_dev_json r1
		jq -e '.enabled and .ifindex == null' <<<"$output"
		r ip link add link rt name r1 type vlan id 20
		r ip addr add 10.0.2.1/24 dev r1
		r ip link set r1 up
		wait_flow_out 5001 r1
	}
	during_transfer recreate_r1
	run -0 fp_dev_json r1
	jq -e ".enabled and .ifindex != $ifindex0" <<<"$output"
}
