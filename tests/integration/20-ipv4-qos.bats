#!/usr/bin/env bats
# Egress QoS on the fast path: packets that bypass the stack still carry
# the priority and mark the stack gave their direction, so r1's qdisc
# classifies them as it classifies the stack's; and a rule added, or
# ip_forward_update_priority changed, while a flow is offloaded reaches it
# within 2 s.
#
#   c                        r (conntrack; htb or prio on r1)    s
#   c0 10.0.1.2/24 ------- r0 10.0.1.1    r1 10.0.2.1 ------- s0 10.0.2.2/24
#   TCP senders (TSO off)  fastpath on r0 and r1                counts each
#                          htb 1: classes 1:10 1:20 1:30        port's segments
#                          (default), fw filter mark 7 -> 1:20  (netdev ingress)

bats_require_minimum_version 1.5.0
load ../lib/diff

setup_file() {
	[ -d /sys/module/fastpath ] || fail "fastpath module is not loaded"
	require python3 tc tcpdump socat ethtool
	topo_setup
	# c sends what goes on the wire, one segment a packet: with TSO, r
	# would forward 64 KiB packets that htb counts as their segments and s
	# as one.
	in_ns "$NS_C" ethtool -K c0 tso off >/dev/null
	r nft -f - <<-'EOF'
	table inet qos {
		chain forward {
			type filter hook forward priority filter; policy accept;
			tcp dport 5001 meta priority set 1:10
			tcp dport 5002 meta mark set 7
		}
		chain postrouting {
			type filter hook postrouting priority mangle; policy accept;
		}
	}
	EOF
	s nft -f - <<-'EOF'
	table netdev count {
		counter p5001 {}
		counter p5002 {}
		counter p5003 {}
		counter p5004 {}
		counter p5005 {}
		chain ingress {
			type filter hook ingress device "s0" priority filter; policy accept;
			tcp dport 5001 counter name p5001
			tcp dport 5002 counter name p5002
			tcp dport 5003 counter name p5003
			tcp dport 5004 counter name p5004
			tcp dport 5005 counter name p5005
		}
	}
	EOF
	fp_enable_router
}

teardown() {
	v6_teardown
	r tc qdisc del dev r1 root 2>/dev/null || true
	r sysctl -qw net.ipv4.ip_forward_update_priority=1
}

# Enough segments (~360) for 99% in a class to allow for the few the stack
# forwards before the fast path has both directions.
QOS_BYTES=$((512 * 1024))

r_htb() {
	in_ns "$NS_R" tc -b - <<-'EOF'
	qdisc add dev r1 root handle 1: htb default 30
	class add dev r1 parent 1: classid 1:10 htb rate 1gbit
	class add dev r1 parent 1: classid 1:20 htb rate 1gbit
	class add dev r1 parent 1: classid 1:30 htb rate 1gbit
	filter add dev r1 parent 1: protocol all handle 7 fw flowid 1:20
	EOF
}

# Packets sent by class $1 of r1's qdisc (Debian 12's tc prints classes
# as text only, "-j" or not).
class_packets() {
	in_ns "$NS_R" tc -s class show dev r1 |
		awk -v c="$1" '$1 == "class" { cur = $3 } $1 == "Sent" && cur == c { print $4 }'
}

# Segments to port $1 that s received.
s_packets() {
	in_ns "$NS_S" nft -j list counter netdev count "p$1" |
		jq '.nftables[] | select(.counter) | .counter.packets'
}

# A TCP transfer of $2 bytes (0: as many as until qos_finish) from c to s
# port $1 (more: tcp-send's options), held open until qos_finish; the
# receiver writes $BATS_TEST_TMPDIR/recv-$1.  QOS_XFER: its two processes.
qos_start() {
	local port=$1 bytes=$2 i size
	shift 2
	v6_bg "$NS_S" timeout 300 socat -u "TCP-LISTEN:$port,reuseaddr,pf=ip4" \
		"OPEN:$BATS_TEST_TMPDIR/recv-$port,creat,trunc"
	QOS_XFER=("$V6_BG_LAST")
	wait_listen "$NS_S" tcp "$port"
	v6_bg "$NS_C" "${PYTOOL[@]}" "$DIFFTOOL" tcp-send 10.0.2.2 "$port" --sport "$((port + 30000))" \
		--bytes "$bytes" --stop "$BATS_TEST_TMPDIR/stop-$port" "$@" \
		>"$BATS_TEST_TMPDIR/sent-$port"
	QOS_XFER+=("$V6_BG_LAST")
}

# Wait until all $2 bytes to port $1 arrived.
qos_wait() {
	local i size=0
	for i in $(seq 1 900); do
		size=$(stat -c %s "$BATS_TEST_TMPDIR/recv-$1" 2>/dev/null || echo 0)
		[ "$size" -lt "$2" ] || return 0
		sleep 0.2
	done
	fail "port $1: $size of $2 bytes arrived"
}

# Fast-path packets of the c->s direction of the connection to port $1.
qos_fast() {
	fpctl -n "$NS_R" -j flow show proto tcp dport "$1" | jq '[.[].orig.packets] | add // 0'
}

qos_finish() {
	touch "$BATS_TEST_TMPDIR/stop-$1"
	local pid
	for pid in "${QOS_XFER[@]}"; do
		wait "$pid" || fail "the transfer to port $1 failed"
	done
}

# A transfer to port $1 under r's htb: class $2 takes it (qos_check).
qos_transfer_in_class() {
	local port=$1 class=$2 class0 fast
	r_htb
	class0=$(class_packets "$class")
	qos_start "$port" "$QOS_BYTES"
	qos_wait "$port" "$QOS_BYTES"
	fast=$(qos_fast "$port")
	qos_finish "$port"
	qos_check "$port" "$class" "$class0" "$fast"
}

# Class $2 took >= 99% of the segments s received on port $1 (counted from
# $3 packets in the class before), and >= 90% of them were fast ($4).
qos_check() {
	local port=$1 class=$2 class0=$3 fast=$4 rx in_class
	rx=$(s_packets "$port")
	in_class=$(($(class_packets "$class") - class0))
	echo "# $BATS_TEST_DESCRIPTION: $in_class of $rx segments in $class, $fast fast" \
		"($((fast * 100 / rx))%)" >&3
	[ "$((in_class * 100))" -ge "$((rx * 99))" ] ||
		fail "only $in_class of $rx segments went through class $class"
	[ "$((fast * 100))" -ge "$((rx * 90))" ] ||
		fail "only $fast of $rx segments took the fast path (< 90%)"
}

@test "QoS: meta priority set 1:10 selects htb class 1:10 on the fast path too" {
	qos_transfer_in_class 5001 1:10
}

@test "QoS: meta mark set 7 selects htb class 1:20 by fw filter on the fast path too" {
	qos_transfer_in_class 5002 1:20
}

@test "QoS: ip_forward's TOS priority (lowdelay: interactive) selects prio band 1 on the fast path too" {
	local class0 fast
	# prio maps TC_PRIO_INTERACTIVE (6) to its first band, 2:1; best
	# effort (0) to 2:2.  Only ip_forward sets the priority from the TOS.
	r sysctl -qw net.ipv4.ip_forward_update_priority=1
	r tc qdisc add dev r1 root handle 2: prio
	class0=$(class_packets 2:1)
	qos_start 5004 $QOS_BYTES --tos 0x10
	qos_wait 5004 $QOS_BYTES
	fast=$(qos_fast 5004)
	qos_finish 5004
	qos_check 5004 2:1 "$class0" "$fast"
}

@test "QoS: ip_forward_update_priority turned off mid-transfer reaches the offloaded flow within 2 s" {
	local i band1 band2 fast t1 t2
	# With it on, the TOS (lowdelay) gives prio band 2:1; off, the stack
	# keeps the received priority (0): band 2:2.  No netfilter rule changes.
	r sysctl -qw net.ipv4.ip_forward_update_priority=1
	r tc qdisc add dev r1 root handle 2: prio
	qos_start 5005 0 --rate 48 --tos 0x10
	for i in $(seq 1 100); do
		[ "$(qos_fast 5005)" -ge 20 ] && break
		sleep 0.1
	done
	[ "$(qos_fast 5005)" -ge 20 ] || fail "the transfer is not on the fast path: $(fpctl -n "$NS_R" flow show)"
	r sysctl -qw net.ipv4.ip_forward_update_priority=0
	sleep 2
	band1=$(class_packets 2:1) band2=$(class_packets 2:2) fast=$(qos_fast 5005)
	sleep 4
	t1=$(($(class_packets 2:1) - band1)) t2=$(($(class_packets 2:2) - band2))
	fast=$(($(qos_fast 5005) - fast))
	qos_finish 5005
	assert_equal "$(sha256sum <"$BATS_TEST_TMPDIR/recv-5005" | cut -d' ' -f1)" \
		"$(jq -r .sha256 "$BATS_TEST_TMPDIR/sent-5005")"
	echo "# from 2 s after the sysctl, in 4 s: $t1 packets in 2:1, $t2 in 2:2, $fast of the transfer's fast" >&3
	# At 48 KiB/s some 130 segments: all in band 2:2, still fast.
	[ "$t1" -eq 0 ] || fail "$t1 packets in band 2:1 more than 2 s after the sysctl"
	[ "$t2" -ge 50 ] || fail "only $t2 packets in band 2:2"
	[ "$((fast * 10))" -ge "$((t2 * 9))" ] || fail "only $fast of $t2 fast"
}

@test "QoS: ip dscp set cs4 added mid-transfer reaches the offloaded flow within 2 s" {
	local i t0 t1 times
	# 48 KiB/s until 6 s after the rule, which comes once the flow is fast.
	diff_capture_start "$NS_S" s0 "$BATS_TEST_TMPDIR/mid.pcap"
	qos_start 5003 0 --rate 48
	for i in $(seq 1 100); do
		[ "$(qos_fast 5003)" -ge 20 ] && break
		sleep 0.1
	done
	[ "$(qos_fast 5003)" -ge 20 ] || fail "the transfer is not on the fast path: $(fpctl -n "$NS_R" flow show)"
	# The commit lands between t0 and t1: nft's own run is slow on a
	# debug kernel.
	t0=$(date +%s.%N)
	r nft add rule inet qos postrouting tcp dport 5003 ip dscp set cs4
	t1=$(date +%s.%N)
	sleep 6
	qos_finish 5003
	# Every byte sent arrived, in order.
	assert_equal "$(sha256sum <"$BATS_TEST_TMPDIR/recv-5003" | cut -d' ' -f1)" \
		"$(jq -r .sha256 "$BATS_TEST_TMPDIR/sent-5003")"
	diff_capture_stop "$BATS_TEST_TMPDIR/mid.pcap"
	run -0 difftool "$NS_S" dscp-times "$BATS_TEST_TMPDIR/mid.pcap" --dport 5003
	times=$output
	echo "rule added between $t0 and $t1; data segments by DSCP: $times"
	# Before: the sender's DSCP 0, on the fast path; CS4 (32) from at most
	# 2 s after the rule, and nothing else after that.
	jq -e --argjson t0 "$t0" --argjson t1 "$t1" '."0".first < $t0 and
		."32".count > 100 and ."32".first >= $t0 and ."32".last > $t1 + 4 and
		."0".last <= $t1 + 2' <<<"$times" ||
		fail "the DSCP change did not reach the flow within 2 s"
	echo "# mid-transfer rule: last DSCP 0 segment $(jq --argjson t1 "$t1" '."0".last - $t1' <<<"$times") s after nft returned ($(jq -n "$t1 - $t0") s after it started)" >&3
}
