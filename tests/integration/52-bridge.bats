#!/usr/bin/env bats
# A bridged LAN: the fast path takes the ports' packets after the bridge's
# own receive path and transmits on the port the FDB gives, with the tag a
# VLAN-aware bridge would put there; an FDB move (a host re-plugged behind
# the other port) and a removed port are followed, and a port that STP
# keeps from forwarding is not transmitted on.
#
#   c (one MAC on both legs)        r                                       s
#   c0 10.0.1.2/24 ----------- p1 --+
#                                   br-lan 10.0.1.1/24      r1 10.0.2.1 ------ s0 10.0.2.2/24
#   c1 (spare leg) --+         p2 --+ br-lan.20 10.0.3.1/24 (vlan_filtering stage)
#                    |          |
#   h                hc -- sw -- hp       sw: h's switch (plain bridge)
#                          sw 10.0.1.3/24, sw.20 10.0.3.3/24 (tagged on p2)
#                          |
#   k (hairpin test)       hk -- k0 10.0.7.2/24, fd00:7::2/64: routed by r
#                          back out of br-lan (10.0.7.1, fd00:7::1)
#
# br-lan runs STP in one test only; forward_delay 0 arms no timer that would
# take a port another test sets to learning on to forwarding.
# fastpath on br-lan, br-lan.20 and r1 only (never on a port); masquerade
# out of r1.  c moves between its legs by moving its address: the bridge
# then learns its MAC behind the other port.  The last tests turn
# vlan_filtering on: c0 is an untagged port (VLAN 1), p2 carries VLAN 20
# tagged.  Senders checksum in software.
# fastpath also hooks br-lan's ports: c's packets to s are taken on p1 (or
# p2) before the bridge, which then only sees the first of each epoch
# (its receive counter, the kernel's, shows how many went through it), and
# the first after an FDB change of an address in its source's slot (1 in
# 256): a one-way stream shows it, with s dropping what c sends.

bats_require_minimum_version 1.5.0
load ../lib/topo
load ../lib/l2

NS_H=${NS_PREFIX}-h
NS_K=${NS_PREFIX}-k
C_MAC=02:00:00:00:01:02

setup_file() {
	l2_teardown "$NS_H" "$NS_K"
	require ip bridge nft conntrack socat tcpdump ethtool python3 tc
	modprobe -a bridge 8021q nf_conntrack
	local ns
	for ns in "$NS_C" "$NS_R" "$NS_S" "$NS_H"; do
		ip netns add "$ns"
	done
	r sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward
		echo 1 > /proc/sys/net/netfilter/nf_conntrack_acct'
	# c's legs share a MAC: only the one with the address may answer ARP,
	# and no IPv6 on them may announce the MAC behind the spare leg.
	c sh -c 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6
		echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6
		echo 1 > /proc/sys/net/ipv4/conf/all/arp_ignore'
	ip -n "$NS_R" -b - <<-EOF
	link set lo up
	link add br-lan type bridge forward_delay 0
	link add p1 type veth peer name c0 netns $NS_C
	link add p2 type veth peer name hp netns $NS_H
	link add r1 type veth peer name s0 netns $NS_S
	link set p1 master br-lan
	link set p2 master br-lan
	addr add 10.0.1.1/24 dev br-lan
	addr add 10.0.2.1/24 dev r1
	link set p1 up
	link set p2 up
	link set br-lan up
	link set r1 up
	EOF
	ip -n "$NS_H" -b - <<-EOF
	link set lo up
	link add sw type bridge
	link add hc type veth peer name c1 netns $NS_C
	link set hp master sw
	link set hc master sw
	addr add 10.0.1.3/24 dev sw
	link set hp up
	link set hc up
	link set sw up
	route add default via 10.0.1.1
	EOF
	ip -n "$NS_C" -b - <<-EOF
	link set lo up
	link set c0 address $C_MAC
	link set c1 address $C_MAC
	addr add 10.0.1.2/24 dev c0
	link set c0 up
	link set c1 up
	route add default via 10.0.1.1
	EOF
	l2_server
	local dev
	for dev in c0 c1; do
		c ethtool -K "$dev" tx off >/dev/null
		# TCP through the fast path's receiver pace, as in 50-vlan.
		c tc qdisc add dev "$dev" root tbf rate 40mbit burst 64kb latency 500ms
	done
	for dev in sw hp hc; do h ethtool -K "$dev" tx off >/dev/null; done
	h tc qdisc add dev hp root tbf rate 40mbit burst 64kb latency 500ms
	topo_masquerade
	fpctl -n "$NS_R" enable dev br-lan
	fpctl -n "$NS_R" enable dev r1
	in_ns "$NS_C" ping -q -c1 -W5 10.0.2.2 >/dev/null || fail "s not reachable from c"
	in_ns "$NS_H" ping -q -c1 -W5 10.0.2.2 >/dev/null || fail "s not reachable from h"
	make_payload 2 "$BATS_FILE_TMPDIR/payload"
	nettool "$NS_S" udp-echo 7000 >/dev/null 2>&1 3>&- &
	wait_listen "$NS_S" udp 7000
}

teardown_file() {
	l2_teardown "$NS_H" "$NS_K"
}

teardown() {
	# A failed test must not leave a stream running (bats would wait for
	# it), nor its counters, nor STP or a port out of forwarding.
	ip netns pids "$NS_C" | xargs -r kill
	ip netns pids "$NS_H" | xargs -r kill
	pkill -f 'udp-send 10.0.1.2 7300 ' || true
	c nft delete table netdev fp52 2>/dev/null
	s nft delete table netdev fp52s 2>/dev/null
	[ -z "${P1_STATE_SET:-}" ] || bridge -n "$NS_R" link set dev p1 state 3
	[ -z "${AGEING_SET:-}" ] || ip -n "$NS_R" link set br-lan type bridge ageing_time 30000
	[ -z "${FLOODED:-}" ] || flood_entries_del
	if [ ! -d /sys/module/fastpath ]; then
		insmod "$FASTPATH_KO"
		fpctl -n "$NS_R" enable dev br-lan
		fpctl -n "$NS_R" enable dev r1
	fi
	fpctl -n "$NS_R" rule flush
	# Stopping STP leaves the topology change it detected (FDB entries
	# ageing in forward_delay, 0 here) to run out; a bridge going down
	# ends it.
	if [ -n "${STP_STARTED:-}" ]; then
		ip -n "$NS_R" -b - <<-EOF
		link set br-lan type bridge stp_state 0
		link set br-lan type bridge forward_delay 0
		link set br-lan down
		link set br-lan up
		EOF
	fi
	return 0
}

h() { ip netns exec "$NS_H" "$@"; }

# c takes its address (and so its traffic) from leg $1 to leg $2.
c_moves() {
	ip -n "$NS_C" -b - <<-EOF
	route del default
	addr del 10.0.1.2/24 dev $1
	addr add 10.0.1.2/24 dev $2
	route add default via 10.0.1.1 dev $2
	EOF
}

@test "bridge: fpctl dev show, br-lan transmits directly on its ports" {
	run -0 fp_dev_json br-lan
	# The port depends on the destination: none to show.
	jq -e '.enabled and .xmit_mode == "direct" and .xmit_ifname == null' <<<"$output"
}

@test "bridge: 2 MB TCP c->s from behind p1 and s->h behind p2, >= 90% on the fast path" {
	transfer_via br-lan r1 tcp_transfer_c2s "$BATS_FILE_TMPDIR/payload"
	NS_C=$NS_H transfer_via r1 br-lan tcp_transfer_s2c "$BATS_FILE_TMPDIR/payload"
}

# Packets br-lan's own receive counted (the bridge passed them up to it).
br_lan_rx() {
	netns_rx_packets "$NS_R" br-lan
}

@test "bridge: 2 MB TCP c->s taken on p1 before the bridge: br-lan's own receive sees a few packets" {
	local rx0 fast0 rx fast
	rx0=$(br_lan_rx)
	fast0=$(fp_dev_count br-lan rx_packets)
	transfer_via br-lan r1 tcp_transfer_c2s "$BATS_FILE_TMPDIR/payload"
	rx=$(($(br_lan_rx) - rx0))
	fast=$(($(fp_dev_count br-lan rx_packets) - fast0))
	echo "# br-lan received $rx packets through the bridge, $fast on the fast path" >&3
	# The handshake, the first packet of each epoch (256 ms), the close.
	[ "$((rx * 10))" -lt "$fast" ] ||
		fail "br-lan received $rx packets through the bridge: the port did not take the transfer"
}

# br-lan's hook and its ports' go; what br-lan transmits on its ports does
# not need them.  Without nfnetlink_hook (6.1) only the counters tell.
@test "bridge: a rule bypassing all of br-lan: c's packets go up through the bridge, uncounted; s's echoes still leave on the fast path" {
	local rx0 slow0 fast0 tx0 sent=50
	r fpctl rule add pref 5 iif br-lan action bypass
	if hooks_listed; then
		r_hooked "netdev device r1" fp_ingress || fail "r1 is not hooked"
		! r_hooked "netdev device p1" fp_br_port_ingress || fail "p1 is still hooked"
		! r_hooked "netdev device br-lan" fp_ingress || fail "br-lan is still hooked"
	fi
	rx0=$(br_lan_rx)
	slow0=$(fp_dev_count br-lan slow_packets)
	fast0=$(fp_dev_count br-lan rx_packets)
	tx0=$(fp_dev_count br-lan tx_packets)
	run -0 nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 7310 --window 4 $sent
	jq -e ".sent == $sent and .echoed == $sent" <<<"$output"
	[ $(($(br_lan_rx) - rx0)) -ge $sent ] ||
		fail "br-lan received $(($(br_lan_rx) - rx0)) of c's $sent datagrams through the bridge"
	assert_equal "br-lan fast $(($(fp_dev_count br-lan rx_packets) - fast0)) slow $(($(fp_dev_count br-lan slow_packets) - slow0))" \
		"br-lan fast 0 slow 0"
	# s->c comes in on r1: learned after its first echoes.
	[ $(($(fp_dev_count br-lan tx_packets) - tx0)) -ge $((sent - 5)) ] ||
		fail "only $(($(fp_dev_count br-lan tx_packets) - tx0)) of s's $sent echoes left br-lan on the fast path"
	r fpctl rule del pref 5
	if hooks_listed; then
		r_hooked "netdev device p1" fp_br_port_ingress || fail "p1 is not hooked again"
	fi
}

@test "bridge: ageing 2 s, 6 s of UDP c->s taken on p1: c's FDB entry stays, nothing of s's echoes floods to p2" {
	local rx0 i n sent echoed rx missing="" flooded
	AGEING_SET=1
	ip -n "$NS_R" link set br-lan type bridge ageing_time 200
	c nft -f - <<-EOF
	table netdev fp52 {
		counter c0 {}
		chain c0 { type filter hook ingress device c0 priority 0; udp sport 7000 counter name c0; }
	}
	EOF
	capture_start "$NS_H" hp "$BATS_TEST_TMPDIR/hp.pcap" "udp and src port 7000"
	rx0=$(br_lan_rx)
	nettool "$NS_C" udp-send 10.0.2.2 7000 600:echo=0,rate=100 --sport 7302 \
		>"$BATS_TEST_TMPDIR/send.json" 3>&- &
	i=$!
	# From the stream's first datagram (the entry aged out before it),
	# all along: several ageing times.
	wait_fdb br-lan "$C_MAC" p1
	for n in $(seq 1 20); do
		[[ $(bridge -n "$NS_R" fdb show br br-lan dev p1) == *"$C_MAC "* ]] ||
			missing="$missing $n@$(date +%s.%N | cut -c1-14)"
		sleep 0.25
		kill -0 "$i" 2>/dev/null || break
	done
	wait "$i" || true
	rx=$(($(br_lan_rx) - rx0))
	flooded=$(capture_stop "$BATS_TEST_TMPDIR/hp.pcap")
	echoed=$(nft_packets "$NS_C" netdev fp52 c0)
	c nft delete table netdev fp52
	sent=$(jq .sent "$BATS_TEST_TMPDIR/send.json")
	echo "# $sent datagrams sent, $echoed echoes reached c, br-lan received $rx packets through the bridge; c's FDB entry missing in samples:${missing:- none}; on h: $flooded" >&3
	ip -n "$NS_R" link set br-lan type bridge ageing_time 30000
	AGEING_SET=
	[ -z "$missing" ] || fail "c's FDB entry was missing in samples (number@time):$missing"
	[[ $flooded == "0 packets captured"* ]] || fail "s's echoes flooded to p2: $flooded"
	[ "$((echoed * 10))" -ge "$((sent * 9))" ] || fail "only $echoed of $sent echoes reached c"
	# The first datagram of each epoch (256 ms) goes through the bridge.
	[ "$((rx * 4))" -lt "$sent" ] ||
		fail "br-lan received $rx packets through the bridge: p1 did not take the stream"
}

@test "bridge: c's FDB entry deleted 5 times under UDP c->s taken on p1: relearned from c's next datagram, s's echoes do not flood to p2" {
	local i n flooded
	capture_start "$NS_H" hp "$BATS_TEST_TMPDIR/hp.pcap" "udp and src port 7000"
	# Up to 10 s, stopped a second after the fifth deletion: the deletions
	# below must all fall within the stream, also on a loaded host (c is
	# relearned only from its datagrams).
	nettool "$NS_C" udp-send 10.0.2.2 7000 2000:echo=0,rate=200 --sport 7303 \
		>/dev/null 3>&- &
	i=$!
	wait_fdb br-lan "$C_MAC" p1
	sleep 1
	# Each deletion is reported to switchdev: c's next datagram goes
	# through the bridge, which learns c again, rather than p1 taking them
	# for the rest of the epoch (256 ms: 50 echoes flooded every time).
	# (The echoes' next hop, c behind p1, dies with the entry too, and an
	# echo then ends the flow: so this holds even without the first.)
	# Each deletion once the bridge knows c again (c's sender may stall
	# in a loaded guest): an entry relearned only at the epoch's end would
	# have let s's echoes flood meanwhile.
	for n in 1 2 3 4 5; do
		wait_fdb br-lan "$C_MAC" p1
		bridge -n "$NS_R" fdb del "$C_MAC" dev p1 master
		sleep 0.3
	done
	sleep 1
	# c runs nothing but the stream (the nettool function's subshell is $i).
	[ -n "$(ip netns pids "$NS_C")" ] || fail "the stream ended before the deletions did"
	ip netns pids "$NS_C" | xargs kill
	wait "$i" || true
	flooded=$(capture_stop "$BATS_TEST_TMPDIR/hp.pcap")
	echo "# on h: $flooded" >&3
	[[ $flooded =~ ^([0-9]+)\ packets?\ captured ]] || fail "no capture count: $flooded"
	# An echo already on its way when the entry went may flood.
	[ "${BASH_REMATCH[1]}" -le 5 ] || fail "s's echoes flooded to p2 while c was unknown: $flooded"
	wait_fdb br-lan "$C_MAC" p1
}

# The original direction of the stream from port $1 is on the fast path.
sport_offloaded() {
	fpctl -n "$NS_R" -j flow show sport "$1" | jq -e '.[0].orig.offloaded' >/dev/null
}

@test "bridge: one-way UDP c->s taken on p1, c's FDB entry deleted 5 times: the bridge learns c again from c's very next datagram" {
	local rounds n tries missed skipped gaps fdb echoed0 echoed dropped rx0 fast0 rx fast
	c nft -f - <<-EOF
	table netdev fp52 {
		counter c0 {}
		chain c0 { type filter hook ingress device c0 priority 0; udp sport 7000 counter name c0; }
	}
	EOF
	# s echoes at first: fastpath learns a connection once conntrack has
	# seen a reply.
	for _ in $(seq 1 10); do
		nettool "$NS_C" udp-send 10.0.2.2 7000 20 --sport 7304 >/dev/null
		sport_offloaded 7304 && break
	done
	sport_offloaded 7304 || fail "the stream never went on the fast path: $(fpctl -n "$NS_R" flow show)"
	# Then s drops the stream as it arrives: nothing goes back to c, and
	# only c's datagrams can make the bridge learn c again.
	s nft -f - <<-EOF
	table netdev fp52s {
		counter s0 {}
		chain s0 { type filter hook ingress device s0 priority 0; udp dport 7000 counter name s0 drop; }
	}
	EOF
	echoed0=$(nft_packets "$NS_C" netdev fp52 c0)
	rx0=$(br_lan_rx)
	fast0=$(fp_dev_count br-lan rx_packets)
	# Rounds, all in one process (an exec can take longer than an epoch
	# in a loaded guest), of: 100 datagrams at 250/s, taken on p1 but the
	# first of each epoch (256 ms); c's entry deleted; one datagram,
	# milliseconds later; then the bridge's FDB read for up to 100 ms,
	# with nothing more sent.  The deletion was reported to switchdev:
	# that datagram goes through the bridge, which learns c.  Without the
	# report p1 would take it, as c's next ones until the epoch's end, but
	# none comes: the bridge would not know c.  (The first deletion also
	# ends the flow, whose reply direction the echoes had put on the fast
	# path: the next round's datagrams learn it again, one-way.)  A round
	# where the bridge knew c again before that datagram (c's ARP, a
	# datagram the stack was late with) shows nothing: it is done again.
	nettool "$NS_C" udp-fdb-del 10.0.2.2 7000 --sport 7304 --netns "$NS_R" \
		--bridge br-lan --dev p1 --mac "$C_MAC" --rounds 5 --tries 10 \
		>"$BATS_TEST_TMPDIR/rounds.jsonl"
	rounds=$(jq -sc . "$BATS_TEST_TMPDIR/rounds.jsonl")
	tries=$(jq length <<<"$rounds")
	rounds=$(jq -c 'map(select(.known_after_del | not))' <<<"$rounds")
	n=$(jq length <<<"$rounds")
	skipped=$((tries - n))
	gaps=$(jq -r 'map(.del_to_next_us) | join(" ")' <<<"$rounds")
	missed=$(jq -r 'to_entries | map(select(.value.on_dev_after_next | not) | .key + 1) | join(" ")' <<<"$rounds")
	fdb=$(bridge -n "$NS_R" fdb show br br-lan dev p1)
	rx=$(($(br_lan_rx) - rx0))
	fast=$(($(fp_dev_count br-lan rx_packets) - fast0))
	echoed=$(($(nft_packets "$NS_C" netdev fp52 c0) - echoed0))
	dropped=$(nft_packets "$NS_S" netdev fp52s s0)
	s nft delete table netdev fp52s
	c nft delete table netdev fp52
	echo "# $n rounds ($skipped done again): c not behind p1 after its next datagram in rounds: ${missed:-none}; us from the deletion to that datagram: $gaps; br-lan received $fast datagrams on the fast path, $rx packets through the bridge; $echoed echoes reached c, $dropped datagrams dropped at s" >&3
	[ "$n" = 5 ] || fail "the bridge knew c again before c's next datagram in $skipped of $tries rounds"
	[ -z "$missed" ] || fail "c's datagram after the deletion did not make the bridge learn c in rounds: $missed"
	[[ $fdb == *"$C_MAC "* ]] || fail "c is not behind p1 after the last round: $fdb"
	[ "$dropped" -gt 0 ] || fail "s did not drop the stream"
	assert_equal "$echoed" 0
	# The first datagram of each epoch and the one after each deletion.
	[ "$((rx * 4))" -lt "$fast" ] ||
		fail "br-lan received $rx packets through the bridge: p1 did not take the stream"
}

# FDB entries br-lan learned behind p2 from h's flood (mac-flood's sources).
flood_entries() {
	bridge -n "$NS_R" fdb show br br-lan dev p2 | grep '^02:fe:'
}

flood_entries_del() {
	flood_entries | awk '{ print "fdb del", $1, "dev p2 master" }' |
		bridge -n "$NS_R" -force -b -
}

@test "bridge: h sends from 1,000 new MACs beside UDP c->s taken on p1: c's stream stays on p1" {
	local i n rx0 fast0 rx fast learned
	# Up to 30 s, stopped once h's flood (4 s, after its start; longer on
	# the debug kernel) is over.
	nettool "$NS_C" udp-send 10.0.2.2 7000 6000:echo=0,rate=200 --sport 7305 \
		>"$BATS_TEST_TMPDIR/send.json" 3>&- &
	i=$!
	for n in $(seq 1 50); do
		sport_offloaded 7305 && break
		sleep 0.1
	done
	sport_offloaded 7305 ||
		fail "c's stream is not on the fast path: $(fpctl -n "$NS_R" flow show)"
	# Each frame teaches the bridge a new address behind p2, an FDB
	# change reported to switchdev: only a change in the slot of c's MAC
	# (1 in 256) may send c's next datagram through the bridge.
	FLOODED=1
	rx0=$(br_lan_rx)
	fast0=$(fp_dev_count br-lan rx_packets)
	nettool "$NS_H" mac-flood hp 1000 --rate 250 >"$BATS_TEST_TMPDIR/flood.json"
	rx=$(($(br_lan_rx) - rx0))
	fast=$(($(fp_dev_count br-lan rx_packets) - fast0))
	kill -0 "$i" 2>/dev/null || fail "c's stream ended before h's flood did"
	ip netns pids "$NS_C" | xargs -r kill
	wait "$i" || true
	learned=$(flood_entries | wc -l)
	echo "# h's flood: $(cat "$BATS_TEST_TMPDIR/flood.json"), $learned addresses learned; meanwhile br-lan received $fast of c's datagrams on the fast path, $rx packets through the bridge" >&3
	[ "$learned" -ge 900 ] || fail "br-lan learned only $learned of h's 1,000 addresses"
	# The first datagram of each epoch (256 ms), and the few after a
	# change in c's slot; each change would send a datagram through the
	# bridge without the slots (about half of them at these rates).
	[ "$((rx * 5))" -lt "$fast" ] ||
		fail "br-lan received $rx packets through the bridge: the flood took c's stream off p1"
}

@test "bridge: frames identical with fastpath on and off" {
	l2_on_off "br-lan r1" "$NS_C/c0 $NS_S/s0" 10.0.2.2
	nettool "$NS_C" frames-check --exact 4001 --echo-src 10.0.2.2 --tcp \
		"$BATS_FILE_TMPDIR"/{fast,slow}-c0.pcap
	nettool "$NS_C" frames-check --exact 4001 --echo-src 10.0.2.2 --tcp \
		"$BATS_FILE_TMPDIR"/{fast,slow}-s0.pcap
}

# Segments of the stream (from s's port 5001) that arrived on c's leg $1:
# the legs also see what the bridges flood (ARP, multicast), which says
# nothing about where the FDB sends c's traffic.
stream_rx_at() {
	nft_packets "$NS_C" netdev fp52 "$1"
}

# c echoes UDP on port 7300; s sends to it from port 7301 at 50 datagrams/s
# whatever comes back (c's echoes make the connection, and stop where the
# bridge stops them), counted on c0; returns once the fast path carries it.
stream_7301_start() {
	c nft -f - <<-EOF
	table netdev fp52 {
		counter c0 {}
		chain c0 { type filter hook ingress device c0 priority 0; udp sport 7301 counter name c0; }
	}
	EOF
	nettool "$NS_C" udp-echo 7300 >/dev/null 2>&1 3>&- &
	wait_listen "$NS_C" udp 7300
	# Without waiting for echoes; teardown stops it (it ends in a minute).
	nettool "$NS_S" udp-send 10.0.1.2 7300 3000:echo=0,rate=50 --sport 7301 \
		>"$BATS_TEST_TMPDIR/7301.out" 2>&1 3>&- &
	wait_7301_offloaded "the stream never went on the fast path"
}

# Datagrams of the stream that reach c0 in 2 s.
stream_7301_in_2s() {
	local rx0
	rx0=$(nft_packets "$NS_C" netdev fp52 c0)
	sleep 2
	echo $(($(nft_packets "$NS_C" netdev fp52 c0) - rx0))
}

# The stream reaches c at full rate, transmitted on p1 directly: the
# bridge's own transmit path (and its counter) sees nothing of it, only r's
# own few packets (a 6.1 run counted 13 in 2 s after STP, the stream 106).
stream_7301_direct() {
	local tx0 rx tx
	tx0=$(ip -n "$NS_R" -j -s link show br-lan | jq '.[0].stats64.tx.packets')
	rx=$(stream_7301_in_2s)
	tx=$(($(ip -n "$NS_R" -j -s link show br-lan | jq '.[0].stats64.tx.packets') - tx0))
	echo "# 2 s forwarding: $rx datagrams reached c, br-lan transmitted $tx packets" >&3
	[ "$rx" -gt 20 ] || fail "only $rx datagrams reached c in 2 s"
	[ "$tx" -lt $((rx / 4)) ] || fail "br-lan transmitted $tx packets: the stream went through the bridge"
}

wait_7301_offloaded() {
	local i
	for i in $(seq 1 50); do
		sport_offloaded 7301 && return 0
		sleep 0.2
	done
	fail "$1: flows: $(fpctl -n "$NS_R" flow show); s's sender $(pgrep -f 'udp-send 10.0.1.2 7300 ' >/dev/null && echo running || echo ended: "$(cat "$BATS_TEST_TMPDIR/7301.out")"); $(r conntrack -L -p udp --sport 7301 2>&1); $(bridge -n "$NS_R" link show dev p1); $(fpctl -n "$NS_R" -s stats)"
}

@test "bridge: p1 not forwarding (STP state) under a UDP stream to c, also across a reload: nothing leaves through it" {
	local learning reloaded
	stream_7301_start
	# The FDB keeps c's MAC behind p1: only the port state stops the
	# bridge.  Learning, as a user-space STP daemon sets it on the way to
	# forwarding: it forwards no more than blocking does, which, without
	# STP running, the bridge turns straight back to forwarding.
	P1_STATE_SET=1
	bridge -n "$NS_R" link set dev p1 state 2
	run -0 bridge -n "$NS_R" link show dev p1
	assert_output --partial " state learning "
	sleep 1
	learning=$(stream_7301_in_2s)
	run -0 bridge -n "$NS_R" fdb show br br-lan dev p1
	assert_output --partial "$C_MAC "
	# Loaded with p1 learning already: the stack still routes s's
	# datagrams to br-lan, where the fast path must not learn them.
	rmmod fastpath
	insmod "$FASTPATH_KO"
	fpctl -n "$NS_R" enable dev br-lan
	fpctl -n "$NS_R" enable dev r1
	sleep 1
	reloaded=$(stream_7301_in_2s)
	run -0 bridge -n "$NS_R" link show dev p1
	assert_output --partial " state learning "
	bridge -n "$NS_R" link set dev p1 state 3
	wait_7301_offloaded "the stream did not go back on the fast path"
	echo "# 2 s with p1 learning: $learning datagrams reached c; after a reload: $reloaded" >&3
	assert_equal "$learning" 0
	assert_equal "$reloaded" 0
	stream_7301_direct
	# p2, forwarding throughout, is known from the states read at load:
	# the FDB move test below goes through it on the fast path.
}

@test "bridge: kernel STP, p1 back from down under a UDP stream to c: nothing leaves through it until STP forwards" {
	local rx0 rx last state pinger
	stream_7301_start
	# Outside the first netns the bridge runs STP itself.  Its ports stay
	# forwarding, until one comes back from down: it listens, then learns
	# (c's pings put c's MAC behind it again), for the forward delay (2 s)
	# each, before it forwards.
	STP_STARTED=1
	ip -n "$NS_R" link set br-lan type bridge stp_state 1 forward_delay 200
	ip netns exec "$NS_C" ping -q -i 0.1 10.0.1.1 >/dev/null 3>&- &
	pinger=$!
	ip -n "$NS_R" link set p1 down
	ip -n "$NS_R" link set p1 up
	rx0=$(nft_packets "$NS_C" netdev fp52 c0)
	last=$rx0
	# The count is kept only if p1 still did not forward after it.
	for _ in $(seq 1 100); do
		state=$(bridge -n "$NS_R" link show dev p1)
		[[ $state != *" state forwarding "* ]] || break
		rx=$(nft_packets "$NS_C" netdev fp52 c0)
		state=$(bridge -n "$NS_R" link show dev p1)
		[[ $state == *" state forwarding "* ]] || last=$rx
		sleep 0.1
	done
	[[ $state == *" state forwarding "* ]] || fail "p1 never forwarded: $state"
	run -0 bridge -n "$NS_R" fdb show br br-lan dev p1
	assert_output --partial "$C_MAC "
	# r's echo replies would count on br-lan.
	kill "$pinger"
	wait_7301_offloaded "the stream did not go back on the fast path"
	echo "# while p1 listened and learned: $((last - rx0)) datagrams reached c" >&3
	assert_equal "$((last - rx0))" 0
	stream_7301_direct
}

@test "bridge: c moves behind p2 during a transfer (FDB move), the fast path follows it" {
	local c0_rx c1_rx rx fast
	c nft -f - <<-EOF
	table netdev fp52 {
		counter c0 {}
		counter c1 {}
		chain c0 { type filter hook ingress device c0 priority 0; tcp sport 5001 counter name c0; }
		chain c1 { type filter hook ingress device c1 priority 0; tcp sport 5001 counter name c1; }
	}
	EOF
	stream_start
	c_moves c0 c1
	wait_fdb br-lan "$C_MAC" p2
	wait_fast
	c0_rx=$(stream_rx_at c0)
	c1_rx=$(stream_rx_at c1)
	rx=$(br_lan_rx)
	fast=$(fp_dev_count br-lan rx_packets)
	wait_fast
	wait_fast
	c0_rx=$(($(stream_rx_at c0) - c0_rx))
	c1_rx=$(($(stream_rx_at c1) - c1_rx))
	rx=$(($(br_lan_rx) - rx))
	fast=$(($(fp_dev_count br-lan rx_packets) - fast))
	stream_end "the move"
	c nft delete table netdev fp52
	echo "# after the move: $c1_rx stream segments to c through p2, $c0_rx through p1; from c, br-lan received $fast on the fast path, $rx through the bridge" >&3
	[ "$c1_rx" -ge 30 ] || fail "only $c1_rx stream segments reached c through p2"
	[ "$c0_rx" -le 2 ] || fail "$c0_rx stream segments still went to c through p1"
	# c's segments are taken on p2 now, the bridge has seen them there.
	[ "$((rx * 4))" -lt "$fast" ] ||
		fail "br-lan received $rx packets through the bridge: p2 did not take the stream"
}

@test "bridge: p2 removed during a transfer through it, acceleration resumes on p1" {
	local removed0
	removed0=$(fp_stat flows_removed)
	remove_p2() {
		r ip link del p2
		c_moves c1 c0
	}
	during_transfer remove_p2
	[ "$(fp_stat flows_removed)" -gt "$removed0" ] || fail "the flow through p2 stayed"
	run -0 fp_dev_json br-lan
	jq -e '.enabled' <<<"$output"
	# h's link, as setup_file made it.
	ip -n "$NS_R" -b - <<-EOF
	link add p2 type veth peer name hp netns $NS_H
	link set p2 master br-lan
	link set p2 up
	EOF
	ip -n "$NS_H" -b - <<-EOF
	link set hp master sw
	link set hp up
	EOF
	h ethtool -K hp tx off >/dev/null
	h tc qdisc add dev hp root tbf rate 40mbit burst 64kb latency 500ms
}

# k on h's switch, in subnets of its own on br-lan: r routes c's and h's
# traffic to k back out of br-lan, where the stack sends the sender ICMP
# redirects.  The hosts ignore them (accept_redirects 0), so that the
# traffic keeps going through r.
k_setup() {
	ip netns add "$NS_K"
	ip -n "$NS_H" link add hk type veth peer name k0 netns "$NS_K"
	ip -n "$NS_H" -b - <<-EOF
	link set hk master sw
	link set hk up
	addr add fd00:1::3/64 dev sw nodad
	route add default via fd00:1::1
	EOF
	ip -n "$NS_K" -b - <<-EOF
	link set lo up
	addr add 10.0.7.2/24 dev k0
	addr add fd00:7::2/64 dev k0 nodad
	link set k0 up
	route add default via 10.0.7.1
	route add default via fd00:7::1
	EOF
	ip -n "$NS_R" -b - <<-EOF
	addr add 10.0.7.1/24 dev br-lan
	addr add fd00:1::1/64 dev br-lan nodad
	addr add fd00:7::1/64 dev br-lan nodad
	EOF
	r sh -c 'echo 1 > /proc/sys/net/ipv6/conf/all/forwarding'
	local ns
	for ns in "$NS_C" "$NS_H" "$NS_K"; do
		in_ns "$ns" sh -c 'for f in /proc/sys/net/ipv[46]/conf/*/accept_redirects; do
			echo 0 > "$f"; done'
	done
	in_ns "$NS_K" ethtool -K k0 tx off >/dev/null
	in_ns "$NS_C" ping -q -c1 -W5 10.0.7.2 >/dev/null || fail "k not reachable from c"
	in_ns "$NS_H" ping -q -c1 -W5 fd00:7::2 >/dev/null || fail "k not reachable from h"
}

# A TCP stream from namespace $1 (address $2) to k's address $3, port
# 5001, family $4: fastpath leaves both directions to the stack, with the
# reason redirect (flow explain: a connection with no offloaded direction
# is not in flow show), and the sender receives the stack's redirects
# meanwhile.
hairpin_stream() {
	local ns=$1 src=$2 dst=$3 family=$4 fast0 i sport="" why="" dir=$BATS_TEST_TMPDIR/$1
	mkdir -p "$dir"
	in_ns "$ns" nft -f - <<-'EOF'
	table inet fp52r {
		counter redirects {}
		chain in {
			type filter hook input priority 0; policy accept;
			icmp type redirect counter name redirects
			icmpv6 type nd-redirect counter name redirects
		}
	}
	EOF
	fast0=$(fp_stat fast_packets)
	local listen=()
	if [ "$family" = 6 ]; then
		listen=(-6)
	fi
	# topo.bash's stream, without its wait for fast packets.
	STREAM_DIR=$dir
	nettool "$NS_K" tcp-stream-recv "${listen[@]}" 5001 >"$dir/recv.json" &
	STREAM_SRV=$!
	wait_listen "$NS_K" tcp 5001
	nettool "$ns" tcp-stream-send "$dst" 5001 --stop "$dir/stop" >"$dir/sent.json" &
	STREAM_CLI=$!
	for i in $(seq 1 50); do
		# (The line's first sport is the original direction's.)
		[ -n "$sport" ] || sport=$(r conntrack -L -f "ipv$family" -p tcp -d "$dst" --dport 5001 \
			2>/dev/null | grep -o 'sport=[0-9]*' | head -n1)
		if [ -n "$sport" ]; then
			why=$(fpctl -n "$NS_R" -j flow explain family "$family" proto tcp \
				src "$src" dst "$dst" sport "${sport#sport=}" dport 5001) || why=""
			[[ $why == *'"why":"redirect"'*'"why":"redirect"'* ]] && break
		fi
		sleep 0.2
	done
	stream_end "the hairpin stream to $dst"
	jq -e '.orig.why == "redirect" and .reply.why == "redirect" and
		(.orig.offloaded | not) and (.reply.offloaded | not)' <<<"$why" ||
		fail "not refused with the reason redirect: $why"
	assert_equal "$(fp_stat fast_packets)" "$fast0"
	[ "$(nft_packets "$ns" inet fp52r redirects)" -gt 0 ] ||
		fail "no ICMP redirect reached the sender"
	in_ns "$ns" nft delete table inet fp52r
}

@test "bridge: routed back out of br-lan, both families: left to the stack, which sends its ICMP redirects" {
	k_setup
	hairpin_stream "$NS_C" 10.0.1.2 10.0.7.2 4
	hairpin_stream "$NS_H" fd00:1::3 fd00:7::2 6
}

@test "bridge: vlan_filtering, c untagged on p1, h tagged (VLAN 20) on p2: >= 90% on the fast path" {
	local rx
	ip -n "$NS_R" -b - <<-EOF
	link set br-lan type bridge vlan_filtering 1
	link add link br-lan name br-lan.20 type vlan id 20
	addr add 10.0.3.1/24 dev br-lan.20
	link set br-lan.20 up
	EOF
	bridge -n "$NS_R" -b - <<-EOF
	vlan add dev p2 vid 20
	vlan add dev br-lan vid 20 self
	EOF
	ip -n "$NS_H" -b - <<-EOF
	link add link sw name sw.20 type vlan id 20
	addr add 10.0.3.3/24 dev sw.20
	link set sw.20 up
	route replace default via 10.0.3.1
	EOF
	h ethtool -K sw.20 tx off >/dev/null
	fpctl -n "$NS_R" enable dev br-lan.20
	in_ns "$NS_H" ping -q -c1 -W5 10.0.2.2 >/dev/null || fail "s not reachable over VLAN 20"
	run -0 fp_dev_json br-lan.20
	jq -e '.xmit_mode == "direct"' <<<"$output"
	# The bridge may tag or drop what p1 receives: all of it goes through.
	rx=$(br_lan_rx)
	transfer_via br-lan r1 tcp_transfer_c2s "$BATS_FILE_TMPDIR/payload"
	rx=$(($(br_lan_rx) - rx))
	echo "# br-lan received $rx packets through the bridge" >&3
	[ "$rx" -ge 1000 ] || fail "br-lan received only $rx packets through the bridge"
	NS_C=$NS_H transfer_via br-lan.20 r1 tcp_transfer_c2s "$BATS_FILE_TMPDIR/payload"
	NS_C=$NS_H transfer_via r1 br-lan.20 tcp_transfer_s2c "$BATS_FILE_TMPDIR/payload"
}

@test "bridge: vlan_filtering, untagged and tagged frames identical with fastpath on and off" {
	l2_on_off "br-lan r1" "$NS_C/c0" 10.0.2.2
	nettool "$NS_C" frames-check --exact 4001 --echo-src 10.0.2.2 --tcp \
		"$BATS_FILE_TMPDIR"/{fast,slow}-c0.pcap
	NS_C=$NS_H l2_on_off "br-lan.20 r1" "$NS_H/hp" 10.0.2.2
	nettool "$NS_H" frames-check --exact 4001 --echo-src 10.0.2.2 --tcp \
		"$BATS_FILE_TMPDIR"/{fast,slow}-hp.pcap
}
