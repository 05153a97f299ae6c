#!/usr/bin/env bats
# A PPPoE WAN: the fast path transmits on the veth below with the VLAN tag,
# PPPoE session header and PPP protocol the stack would put there, and
# takes the session's frames on the device they arrive on, before the
# PPPoE socket; a reconnect (ppp0 deleted and created again, a new session)
# resumes the acceleration by name.
#
#   c                      r (masquerade out of ppp0)              s (the ISP)
#   c0 10.0.1.2/24 ----- r0 10.0.1.1
#                        wan0 ============ veth ============ isp0
#                        wan0.7 (VLAN 7) ................... isp0.7: pppoe-server
#                        ppp0 100.64.0.2 == PPPoE session == ppp 100.64.0.1 (services)
#
# fastpath on r0 and ppp0 only.  Real pppd (pppoe.so plugin, kernel-mode
# PPPoE) on r and pppoe-server in s, both without compression (noccp).
# Senders checksum in software.

bats_require_minimum_version 1.5.0
load ../lib/topo
load ../lib/l2

setup_file() {
	topo_teardown
	require ip nft conntrack socat tcpdump ethtool python3 tc pppd pppoe-server
	modprobe -a 8021q ppp_generic ppp_async pppox pppoe nf_conntrack
	ip netns add "$NS_C"
	ip netns add "$NS_R"
	ip netns add "$NS_S"
	r sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward
		echo 1 > /proc/sys/net/netfilter/nf_conntrack_acct'
	ip -n "$NS_C" -b - <<-EOF
	link set lo up
	link add c0 type veth peer name r0 netns $NS_R
	addr add 10.0.1.2/24 dev c0
	link set c0 up
	route add default via 10.0.1.1
	EOF
	ip -n "$NS_S" -b - <<-EOF
	link set lo up
	link add isp0 type veth peer name wan0 netns $NS_R
	link add link isp0 name isp0.7 type vlan id 7
	link set isp0 up
	link set isp0.7 up
	EOF
	ip -n "$NS_R" -b - <<-EOF
	link set lo up
	link add link wan0 name wan0.7 type vlan id 7
	addr add 10.0.1.1/24 dev r0
	link set r0 up
	link set wan0 up
	link set wan0.7 up
	EOF
	c ethtool -K c0 tx off >/dev/null
	s ethtool -K isp0 tx off >/dev/null
	s ethtool -K isp0.7 tx off >/dev/null
	# Both pppds log their negotiation (debug): a session that does not come
	# up says which side gave up and on what.
	printf 'noauth\nnoccp\nlcp-echo-interval 0\nipcp-accept-remote\ndebug\nlogfile %s\n' \
		"$BATS_FILE_TMPDIR/server-pppd.log" >"$BATS_FILE_TMPDIR/server-options"
	pppoe_server isp0.7
	topo_masquerade ppp0
	fpctl -n "$NS_R" enable dev r0
	fpctl -n "$NS_R" enable dev ppp0
	ppp_up wan0.7
	make_payload 2 "$BATS_FILE_TMPDIR/payload"
	nettool "$NS_S" udp-echo 7000 >/dev/null 2>&1 3>&- &
	wait_listen "$NS_S" udp 7000
}

teardown() {
	c tc qdisc del dev c0 root 2>/dev/null || true
	if [ -e "$BATS_FILE_TMPDIR/qos-maps" ]; then
		rm "$BATS_FILE_TMPDIR/qos-maps"
		r tc qdisc del dev r0 root
		r sysctl -qw net.ipv4.ip_forward_update_priority=1
		r ip link set wan0.7 type vlan ingress-qos-map 0:0 1:0
		s ip link set isp0.7 type vlan egress-qos-map 0:0
	fi
	# A failed test must not leave a stream running (bats would wait for it).
	ip netns pids "$NS_C" | xargs -r kill
	[ ! -e "$BATS_FILE_TMPDIR/kprobe" ] || rx_probe_off
	fpctl -n "$NS_R" rule flush || :
}

# Calls of fastpath's IPv4 receive (fp_ipv4_rx), counted by a kprobe.
TRACING=/sys/kernel/tracing
rx_probe_on() {
	[ -e "$TRACING/kprobe_events" ] || mount -t tracefs nodev "$TRACING"
	echo 'p:fp51_rx fastpath:fp_ipv4_rx' >>"$TRACING/kprobe_events"
	echo 1 >"$TRACING/events/kprobes/fp51_rx/enable"
	touch "$BATS_FILE_TMPDIR/kprobe"
}
rx_probe_hits() {
	awk '$1 == "fp51_rx" { print $2 }' "$TRACING/kprobe_profile"
}
rx_probe_off() {
	echo 0 >"$TRACING/events/kprobes/fp51_rx/enable"
	echo '-:fp51_rx' >>"$TRACING/kprobe_events"
	rm "$BATS_FILE_TMPDIR/kprobe"
}

# Start a PPPoE access concentrator in s on device $1 (random session ids).
# Debian builds pppoe-server without kernel mode: each session's pppd runs
# pppoe(8) over a pty (the N_PPP line discipline, ppp_async).  The router's
# side is the one under test, and it is kernel-mode PPPoE.
pppoe_server() {
	in_ns "$NS_S" pppoe-server -F -r -I "$1" -L 100.64.0.1 -R 100.64.0.2 -N 4 \
		-O "$BATS_FILE_TMPDIR/server-options" >/dev/null 2>&1 3>&- &
}

# Start pppd on r over device $1 and wait until ppp0 has its address.  It
# asks for 100.64.0.2 and the server's pppd takes it (ipcp-accept-remote):
# as with an ISP's fixed address, masqueraded connections outlive a
# reconnect.
ppp_up() {
	local i
	# Not through a shell function: $! must be pppd's pid.
	nsenter --net="/run/netns/$NS_R" pppd plugin pppoe.so "$1" 100.64.0.2: noauth defaultroute \
		ifname ppp0 mtu 1492 mru 1492 lcp-echo-interval 0 noccp nodetach debug \
		logfile "$BATS_FILE_TMPDIR/pppd.log" >/dev/null 2>&1 3>&- &
	echo $! >"$BATS_FILE_TMPDIR/pppd.pid"
	for i in $(seq 1 150); do
		[[ $(ip -n "$NS_R" -4 -o addr show dev ppp0 2>/dev/null) == *"inet 100.64.0.2 "* ]] &&
			break
		sleep 0.2
	done
	[[ $(ip -n "$NS_R" -4 -o addr show dev ppp0 2>/dev/null) == *"inet 100.64.0.2 "* ]] ||
		fail "no PPPoE session over $1: $(cat "$BATS_FILE_TMPDIR/pppd.log")
server: $(cat "$BATS_FILE_TMPDIR/server-pppd.log" 2>&1)"
	# Both ends know each other.
	in_ns "$NS_C" ping -q -c1 -W5 100.64.0.1 >/dev/null || fail "ISP not reachable over ppp0"
}

# Hang up: pppd ends the session (LCP terminate, PADT) and exits, and
# ppp0 goes away.  pppd may have been started by another test's shell.
ppp_down() {
	local i
	kill "$(cat "$BATS_FILE_TMPDIR/pppd.pid")"
	for i in $(seq 1 150); do
		ip -n "$NS_R" link show ppp0 >/dev/null 2>&1 || return 0
		sleep 0.2
	done
	fail "ppp0 still there 30 s after pppd was told to hang up"
}

# The id of r's PPPoE session (the kernel's list: Id Address Device).
ppp_session() {
	in_ns "$NS_R" awk 'NR == 2 { print $1 }' /proc/net/pppoe
}

@test "pppoe over VLAN: ppp0 transmits on wan0 with the session header" {
	run -0 fp_dev_json ppp0
	jq -e '.enabled and .xmit_ifname == "wan0" and .xmit_mode == "direct"' <<<"$output"
}

@test "pppoe over VLAN: 2 MB TCP both ways and a UDP flow, >= 90% on the fast path" {
	c tc qdisc add dev c0 root tbf rate 20mbit burst 32kb latency 500ms
	transfer_via r0 ppp0 tcp_transfer_c2s "$BATS_FILE_TMPDIR/payload" 100.64.0.1
	# ppp0's packets are the session's frames taken on wan0.7, before the
	# PPPoE socket.
	transfer_via ppp0 r0 tcp_transfer_s2c "$BATS_FILE_TMPDIR/payload" 100.64.0.1
	MIN_PACKETS=250 transfer_via ppp0 r0 \
		nettool "$NS_C" udp-send 100.64.0.1 7000 300:size=1200 --sport 4100
}

# ppp0's own hook goes; the session's hook on wan0 stays (the fast path
# transmits on the session) and passes ppp0's frames at once: only c's
# datagrams, in on r0, reach fastpath's IPv4 receive.
@test "pppoe: a rule bypassing all of ppp0: the session's frames go up through the PPPoE socket, uncounted; c's datagrams still leave on the session on the fast path" {
	local slow0 fast0 tx0 hits0 hits sent=50
	r fpctl rule add pref 5 iif ppp0 action bypass
	if hooks_listed; then
		r_hooked "netdev device wan0" fp_pppoe_ingress || fail "the session is not hooked on wan0"
		! r_hooked "netdev device ppp0" fp_ingress || fail "ppp0 is still hooked"
	fi
	slow0=$(fp_dev_count ppp0 slow_packets)
	fast0=$(fp_dev_count ppp0 rx_packets)
	tx0=$(fp_dev_count ppp0 tx_packets)
	rx_probe_on
	hits0=$(rx_probe_hits)
	run -0 nettool "$NS_C" udp-send 100.64.0.1 7000 --sport 4110 --window 4 $sent
	hits=$(($(rx_probe_hits) - hits0))
	rx_probe_off
	jq -e ".sent == $sent and .echoed == $sent" <<<"$output"
	echo "# fp_ipv4_rx ran $hits times for $sent datagrams and their echoes" >&3
	[ "$hits" -ge "$sent" ] || fail "fp_ipv4_rx ran $hits times: the probe missed c's datagrams"
	[ "$hits" -lt $((sent * 3 / 2)) ] || fail "fp_ipv4_rx ran $hits times: ppp0's echoes were looked at"
	assert_equal "ppp0 fast $(($(fp_dev_count ppp0 rx_packets) - fast0)) slow $(($(fp_dev_count ppp0 slow_packets) - slow0))" \
		"ppp0 fast 0 slow 0"
	[ $(($(fp_dev_count ppp0 tx_packets) - tx0)) -ge $((sent - 5)) ] ||
		fail "only $(($(fp_dev_count ppp0 tx_packets) - tx0)) of c's $sent datagrams left on the session on the fast path"
	r fpctl rule del pref 5
}

@test "pppoe over VLAN: frames identical with fastpath on and off" {
	# isp0: c->s, pushed by the fast path; c0: the echoes s->c, taken
	# from the session on wan0 by the fast path.
	L2_MTU=1492 l2_on_off "r0 ppp0" "$NS_S/isp0 $NS_C/c0" 100.64.0.1
	nettool "$NS_C" frames-check --exact 4001 --echo-src 100.64.0.1 --tcp \
		"$BATS_FILE_TMPDIR"/{fast,slow}-isp0.pcap
	nettool "$NS_C" frames-check --exact 4001 --echo-src 100.64.0.1 --tcp \
		"$BATS_FILE_TMPDIR"/{fast,slow}-c0.pcap
}

# Packets r0's prio qdisc (handle 1:) put in class $1: a priority of 1:N
# picks class 1:N.  (tc's JSON for prio classes is not valid in bookworm.)
prio_class_packets() {
	r tc -s class show dev r0 | awk -v c="$1" '$1 == "class" && $3 == c { getline; print $4 }'
}

@test "pppoe over VLAN with its own MAC: frames taken on wan0 before wan0.7's receive, its ingress-qos-map applied per packet" {
	local rx0 class0 other0
	touch "$BATS_FILE_TMPDIR/qos-maps"
	# A VLAN device with a MAC of its own (as ISPs often want): its
	# session's frames are PACKET_OTHERHOST on wan0, which the VLAN
	# receive would take as its own.
	ppp_down
	r ip link set wan0.7 address 02:00:00:00:07:07
	ppp_up wan0.7
	# IPv4 forwarding keeps the received priority only with this off:
	# then wan0.7's map decides what r0's qdisc sees.  Unmapped, a
	# packet would go to class 1:2 (prio's default band).
	r sysctl -qw net.ipv4.ip_forward_update_priority=0
	r ip link set wan0.7 type vlan ingress-qos-map 0:65537 1:65539
	r tc qdisc add dev r0 root handle 1: prio
	rx0=$(r ip -j -s link show wan0.7 | jq '.[0].stats64.rx.packets')
	class0=$(prio_class_packets 1:1)
	other0=$(prio_class_packets 1:2)
	# The echoes s->c arrive with PCP 0: priority 1:1.
	MIN_PACKETS=250 transfer_via ppp0 r0 \
		nettool "$NS_C" udp-send 100.64.0.1 7000 300:size=1200 --sport 4101
	[ "$(($(prio_class_packets 1:1) - class0))" -ge 300 ] ||
		fail "only $(($(prio_class_packets 1:1) - class0)) echoes in class 1:1"
	[ "$(($(prio_class_packets 1:2) - other0))" -lt 10 ] ||
		fail "$(($(prio_class_packets 1:2) - other0)) packets unmapped (class 1:2)"
	# wan0.7's own receive counted none of the fast ones.
	[ "$(($(r ip -j -s link show wan0.7 | jq '.[0].stats64.rx.packets') - rx0))" -lt 30 ] ||
		fail "wan0.7 received $(($(r ip -j -s link show wan0.7 | jq '.[0].stats64.rx.packets') - rx0)) frames"
	# The same flow's echoes now with PCP 1: priority 1:3, as the stack
	# gives them, and still on the fast path.
	s ip link set isp0.7 type vlan egress-qos-map 0:1
	class0=$(prio_class_packets 1:3)
	MIN_PACKETS=250 transfer_via ppp0 r0 \
		nettool "$NS_C" udp-send 100.64.0.1 7000 300:size=1200 --sport 4101
	[ "$(($(prio_class_packets 1:3) - class0))" -ge 300 ] ||
		fail "only $(($(prio_class_packets 1:3) - class0)) echoes in class 1:3"
}

@test "pppoe: reconnect during a transfer, a new session, acceleration resumes by name" {
	local sid0
	sid0=$(ppp_session)
	[ -n "$sid0" ] || fail "no PPPoE session in /proc/net/pppoe"
	reconnect() {
		ppp_down
		run -0 fp_dev_json ppp0
		jq -e '.enabled and .ifindex == null' <<<"$output"
		ppp_up wan0.7
		wait_flow_out 5001 ppp0
	}
	c tc qdisc add dev c0 root tbf rate 20mbit burst 32kb latency 500ms
	STREAM_ADDR=100.64.0.1 during_transfer reconnect
	[ "$(ppp_session)" != "$sid0" ] || fail "the same session $sid0 after the reconnect"
	run -0 fp_dev_json ppp0
	jq -e '.enabled and .xmit_ifname == "wan0" and .xmit_mode == "direct"' <<<"$output"
}

@test "pppoe over the bare veth: 2 MB TCP c->s, >= 90% on the fast path" {
	ppp_down
	pppoe_server isp0
	ppp_up wan0
	run -0 fp_dev_json ppp0
	jq -e '.xmit_ifname == "wan0" and .xmit_mode == "direct"' <<<"$output"
	c tc qdisc add dev c0 root tbf rate 20mbit burst 32kb latency 500ms
	transfer_via r0 ppp0 tcp_transfer_c2s "$BATS_FILE_TMPDIR/payload" 100.64.0.1
	transfer_via ppp0 r0 tcp_transfer_s2c "$BATS_FILE_TMPDIR/payload" 100.64.0.1
}

@test "pppoe: a qdisc on ppp0 keeps its packets on ppp0 (upper mode), still on the fast path" {
	r tc qdisc add dev ppp0 root fq_codel
	run -0 fp_dev_json ppp0
	jq -e '.xmit_ifname == "ppp0" and .xmit_mode == "upper"' <<<"$output"
	local sent0
	sent0=$(r tc -j -s qdisc show dev ppp0 | jq '.[0].packets')
	transfer_share tcp_transfer_c2s "$BATS_FILE_TMPDIR/payload" 100.64.0.1
	# Every data packet went through ppp0's qdisc.
	[ "$(r tc -j -s qdisc show dev ppp0 | jq '.[0].packets')" -gt $((sent0 + 1000)) ]
	r tc qdisc del dev ppp0 root
}
