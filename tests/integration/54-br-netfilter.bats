#!/usr/bin/env bats
# Bridged, not routed, under bridge netfilter: br_netfilter passes the
# bridge's IPv4 and IPv6 frames through the IP hooks, conntrack's and
# fastpath's POST_ROUTING learner included, with a fake route attached.
# fastpath is enabled on both bridge ports: it must learn nothing from that
# traffic (a flow would "route" it) and leave it to the bridge, which
# delivers it untouched.  Two things keep it out, either enough: the
# learner refuses packets under bridge netfilter's fake route, and no
# verification probe is taken for them (at the port's hook the frame is
# not addressed to the router: PACKET_OTHERHOST).  Without the first the
# test still passes (checked): it guards the behaviour, not one line.
#
#   c                            r                             s
#   c0 10.0.5.2/24 --------- p1 --+                      +-- p2 --------- s0 10.0.5.3/24
#      fd00:5::2/64                br0 (no address) ----+                     fd00:5::3/64
#
# br_netfilter with bridge-nf-call-iptables and -ip6tables on; fastpath on
# p1 and p2 (which turns conntrack on in r).

bats_require_minimum_version 1.5.0
load ../lib/topo

# Host netns $1 on the bridged subnet: device $2, addresses .$3 and ::$3.
bridged_host() {
	ip -n "$1" -b - <<-EOF
	link set lo up
	addr add 10.0.5.$3/24 dev $2
	addr add fd00:5::$3/64 dev $2 nodad
	link set $2 up
	EOF
}

setup_file() {
	topo_teardown
	require ip nft conntrack python3
	modprobe -a bridge br_netfilter nf_conntrack
	local ns
	for ns in "$NS_C" "$NS_R" "$NS_S"; do
		ip netns add "$ns"
	done
	ip -n "$NS_R" -b - <<-EOF
	link set lo up
	link add br0 type bridge forward_delay 0
	link add p1 type veth peer name c0 netns $NS_C
	link add p2 type veth peer name s0 netns $NS_S
	link set p1 master br0
	link set p2 master br0
	link set p1 up
	link set p2 up
	link set br0 up
	EOF
	r sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1
	bridged_host "$NS_C" c0 2
	bridged_host "$NS_S" s0 3
	fpctl -n "$NS_R" enable dev p1
	fpctl -n "$NS_R" enable dev p2
	nettool "$NS_S" udp-echo 7000 --log "$BATS_FILE_TMPDIR/echo4.log" >/dev/null 2>&1 3>&- &
	nettool "$NS_S" udp-echo 7001 -6 --log "$BATS_FILE_TMPDIR/echo6.log" >/dev/null 2>&1 3>&- &
	wait_listen "$NS_S" udp 7000
	wait_listen "$NS_S" udp 7001
}

teardown_file() {
	topo_teardown
	# Loaded, it would send every later test's bridged frames through
	# the IP hooks.
	modprobe -r br_netfilter
}

# Send 40 datagrams c:$3 -> $1:$2, all echoed; conntrack in r tracked
# them (the IP hooks saw the bridged frames), fastpath learned nothing and
# s received every one with the hop limit c sent, 64 (log $4).
bridged_udp_case() {
	local addr=$1 port=$2 sport=$3 log=$4 learned
	learned=$(fp_stat flows_learned)
	run -0 nettool "$NS_C" udp-send "$addr" "$port" 40 --sport "$sport"
	jq -e '.sent == 40 and .echoed == 40' <<<"$output" || fail "not all echoed: $output"
	r conntrack -L -p udp --dport "$port" 2>/dev/null | grep -q "sport=$sport " ||
		fail "conntrack in r saw no bridged connection: br_netfilter inactive"
	[ "$(fp_stat flows_learned)" -eq "$learned" ] ||
		fail "bridged traffic learned: $(fp_flows)"
	run -0 fp_flows
	jq -e 'length == 0' <<<"$output" || fail "flows listed: $output"
	jq -s -e "length == 40 and all(.ttl == 64)" "$log" ||
		fail "s did not receive 40 datagrams with hop limit 64: $(cat "$log")"
}

@test "br_netfilter, IPv4 bridged between two enabled ports: nothing learned, TTL untouched" {
	bridged_udp_case 10.0.5.3 7000 4000 "$BATS_FILE_TMPDIR/echo4.log"
}

@test "br_netfilter, IPv6 bridged between two enabled ports: nothing learned, hop limit untouched" {
	bridged_udp_case fd00:5::3 7001 4001 "$BATS_FILE_TMPDIR/echo6.log"
}
