# The differential harness (tests/integration/18-ipv4-differential.bats,
# 38-ipv6-differential.bats): the same traffic through a router
# configuration with fastpath disabled, then enabled, the frames the router
# sent captured on the far sides and compared (tests/lib/difftool.py
# compare says what is normalised and why).  Run inside the VM.
#
#   c (c0, TX checksum offload off)   r (the configuration, TX off)   s (s0, TX off)
#   tcpdump -Q in on c0: what r sent towards c; on s0: what r sent towards s.
#
# Traffic of a run: crafted UDP datagrams from c (udp-craft: every bit
# fixed, echoed by s; stop and wait), from client port 4001 (and 4002 with
# a zero UDP checksum, IPv4), then a TCP transfer of DIFF_BYTES from c,
# held open until its flow has been looked at.

load "${BASH_SOURCE[0]%/*}/ipv6.bash"

DIFFTOOL=$FASTPATH_TOP/tests/lib/difftool.py
DIFF_BYTES=$((512 * 1024))
DIFF_UDP_COUNT=16

difftool() {
	local ns=$1
	shift
	in_ns "$ns" python3 -S "$DIFFTOOL" "$@"
}

# setup_file of a differential file: the topology, real checksums on every
# link (a veth receiver would trust a partial one), no automatic IPv6 flow
# labels (a hash of the socket: it would differ between runs), UDP echo
# servers on 7000 for both families.
diff_setup_file() {
	[ -d /sys/module/fastpath ] || fail "fastpath module is not loaded"
	require python3 ethtool tcpdump socat jq
	topo_setup
	local ns
	for ns in "$NS_C" "$NS_S"; do
		in_ns "$ns" sh -c 'echo 0 > /proc/sys/net/ipv6/auto_flowlabels'
	done
	# r's too, for what it sends itself (SYNPROXY's handshakes).
	local dev
	for dev in "$NS_C c0" "$NS_S s0" "$NS_R r0" "$NS_R r1"; do
		in_ns ${dev% *} ethtool -K "${dev#* }" tx off >/dev/null
	done
	# (For the whole file: not v6_bg's, which end with each test.)
	nettool "$NS_S" udp-echo 7000 >/dev/null 2>&1 3>&- &
	nettool "$NS_S" udp-echo -6 7006 >/dev/null 2>&1 3>&- &
	wait_listen "$NS_S" udp 7000
	wait_listen "$NS_S" udp 7006
	R0_MAC=$(ip -n "$NS_R" -j link show r0 | jq -r '.[0].address')
	export R0_MAC
}

# teardown of every test: nothing left running (v6_bg's processes), r
# back to a bare router (the case's ruleset, IPsec and routes gone).
diff_teardown() {
	v6_teardown
	# Cases add their routes with "proto static".
	local ns
	for ns in "$NS_R" "$NS_S"; do
		in_ns "$ns" sh -c 'nft flush ruleset; ip xfrm policy flush; ip xfrm state flush
			ip route flush proto static; ip -6 route flush proto static
			echo 1 > /proc/sys/net/netfilter/nf_conntrack_tcp_loose; true' 2>/dev/null
	done
	fpctl -n "$NS_R" disable dev r0 2>/dev/null || true
	fpctl -n "$NS_R" disable dev r1 2>/dev/null || true
	r conntrack -F 2>/dev/null || true
}

diff_capture_start() {
	local ns=$1 dev=$2 file=$3 i
	# Immediate mode: without it the packets of the last block (up to a
	# second's) are lost when tcpdump is stopped.  A 32 MiB buffer: under
	# TCG tcpdump falls behind a transfer.
	v6_bg "$ns" tcpdump -Q in -i "$dev" -n --immediate-mode -B 32768 -s 0 -w "$file" \
		2>"$file.log"
	echo "$V6_BG_LAST" >"$file.pid"
	for i in $(seq 1 300); do
		grep -q 'listening on' "$file.log" && return 0
		sleep 0.05
	done
	fail "tcpdump on $dev in $ns did not start: $(cat "$file.log")"
}

diff_capture_stop() {
	local pid
	pid=$(cat "$1.pid")
	sleep 0.5 # let the last packets reach the capture
	kill -INT "$pid"
	wait "$pid" || true
	grep -q '^0 packets dropped by kernel' "$1.log" ||
		fail "tcpdump dropped packets: $(cat "$1.log")"
}

# A run: RUN (slow|fast), client TCP port CPORT.  Leaves the captures in
# $BATS_TEST_TMPDIR/RUN-{c0,s0}.pcap, the fast-path packets of the run in
# DIFF_FAST, and for the fast run the TCP connection, explained, in
# fast-explain.json and its flow table entry in fast-flow.json.
diff_run() {
	local run=$1 cport=$2 dir=$BATS_TEST_TMPDIR fast0 i size srv snd ns
	local family=4 src=10.0.1.2 udp_port=$DIFF_UDP_PORT
	[[ $DIFF_DST == *:* ]] && family=6 src=fd00:1::2
	r conntrack -F 2>/dev/null || true
	# What the end hosts learned in the run before (a path MTU, from an
	# encapsulation's ICMP) would change what they send in this one.
	for ns in "$NS_C" "$NS_S"; do
		in_ns "$ns" sh -c 'ip route flush cache; ip -6 route flush cache'
	done
	rm -f "$dir/stop" "$dir/recv"
	fast0=$(fp_stat fast_packets)
	diff_capture_start "$NS_C" c0 "$dir/$run-c0.pcap"
	diff_capture_start "$NS_S" s0 "$dir/$run-s0.pcap"

	run -0 difftool "$NS_C" udp-craft c0 "$R0_MAC" "$src" "$DIFF_DST" "$udp_port" \
		--sport 4001 --count "$DIFF_UDP_COUNT" --tos 0x2a --label 0x12345
	echo "$output"
	if [ "$family" = 4 ]; then
		run -0 difftool "$NS_C" udp-craft c0 "$R0_MAC" "$src" "$DIFF_DST" "$udp_port" \
			--sport 4002 --count "$DIFF_UDP_COUNT" --zero-csum
		echo "$output"
	fi

	v6_bg "$NS_S" timeout 300 socat -u "TCP-LISTEN:5001,reuseaddr,pf=ip$family" \
		"OPEN:$dir/recv,creat,trunc"
	srv=$V6_BG_LAST
	wait_listen "$NS_S" tcp 5001
	v6_bg "$NS_C" python3 -S "$DIFFTOOL" tcp-send "$DIFF_DST" "$DIFF_TCP_PORT" --sport "$cport" \
		--bytes "$DIFF_BYTES" --stop "$dir/stop" >"$dir/$run-sent.json"
	snd=$V6_BG_LAST
	for i in $(seq 1 600); do
		size=$(stat -c %s "$dir/recv" 2>/dev/null || echo 0)
		[ "$size" -lt "$DIFF_BYTES" ] || break
		kill -0 "$snd" 2>/dev/null || fail "$run run: the TCP sender died"
		sleep 0.2
	done
	[ "$size" -eq "$DIFF_BYTES" ] || fail "$run run: $size of $DIFF_BYTES bytes arrived"
	# The connection is still open: its flow and what explain says of it
	# (with fastpath disabled conntrack may not even track it).
	if [ "$run" = fast ]; then
		local flows explain
		flows=$(fpctl -n "$NS_R" -j flow show proto tcp sport "$cport") ||
			fail "flow show failed"
		jq -c 'first // {}' <<<"$flows" >"$dir/$run-flow.json"
		explain=$(fpctl -n "$NS_R" -j flow explain proto tcp src "$src" dst "$DIFF_DST" \
			sport "$cport" dport "$DIFF_TCP_PORT") || fail "flow explain failed: $explain"
		jq -c 'if type == "array" then first else . end' <<<"$explain" >"$dir/$run-explain.json"
	fi
	touch "$dir/stop"
	wait "$snd" || fail "$run run: the TCP sender failed"
	wait "$srv" || fail "$run run: the TCP receiver failed"
	[ "$(jq -r .sha256 "$dir/$run-sent.json")" = "$(sha256sum <"$dir/recv" | cut -d' ' -f1)" ] ||
		fail "$run run: the data received differs from the data sent"

	diff_capture_stop "$dir/$run-c0.pcap"
	diff_capture_stop "$dir/$run-s0.pcap"
	DIFF_FAST=$(($(fp_stat fast_packets) - fast0))
}

# What explain said of direction $1 (orig|reply) in the fast run, as
# "why" or "why:field".
diff_why() {
	jq -r --arg d "$1" '.[$d] | .why + (if .verify_field then ":" + .verify_field else "" end)' \
		"$BATS_TEST_TMPDIR/fast-explain.json"
}

# The case: run the traffic with fastpath disabled, then enabled; compare.
#   --dst ADDR        c's destination (default 10.0.2.2; IPv6 fd00:2::2)
#   --tcp-port P      its TCP port (default 5001; DNAT may change it)
#   --udp-port P      the crafted datagrams' port (default 7000 / 7006)
#   --expect KINDS    "SIDE PROTO" that both runs must capture (default
#                     "c0 tcp,s0 tcp,c0 udp,s0 udp")
#   --orig WHY[:F], --reply WHY[:F]
#                     what flow explain must say of each direction of the
#                     TCP connection with fastpath enabled (default
#                     offloaded).  When both are offloaded, at least 90% of
#                     what was captured took the fast path; a direction that
#                     is not has no fast packet, and when neither is,
#                     nothing took the fast path (--udp-fast: the UDP
#                     datagrams may: the refusal is TCP's alone).
diff_case() {
	local orig=offloaded reply=offloaded udp_fast=0 dir=$BATS_TEST_TMPDIR
	local expect="c0 tcp,s0 tcp,c0 udp,s0 udp" udp_ports=4001
	DIFF_DST=10.0.2.2 DIFF_TCP_PORT=5001 DIFF_UDP_PORT=
	while [ $# -gt 0 ]; do
		case $1 in
		--dst) DIFF_DST=$2; shift ;;
		--tcp-port) DIFF_TCP_PORT=$2; shift ;;
		--udp-port) DIFF_UDP_PORT=$2; shift ;;
		--expect) expect=$2; shift ;;
		--orig) orig=$2; shift ;;
		--reply) reply=$2; shift ;;
		--udp-fast) udp_fast=1 ;;
		*) fail "diff_case: unknown option $1" ;;
		esac
		shift
	done
	if [[ $DIFF_DST == *:* ]]; then
		: "${DIFF_UDP_PORT:=7006}"
	else
		: "${DIFF_UDP_PORT:=7000}"
		udp_ports=4001,4002
	fi

	# Client ports of their own: a port another test left in TIME_WAIT
	# towards the same server cannot connect again.
	local cport=$((40000 + BATS_TEST_NUMBER * 2))
	diff_run slow "$cport"
	[ "$DIFF_FAST" -eq 0 ] || fail "$DIFF_FAST packets took the fast path while it was disabled"
	fp_enable_router
	diff_run fast $((cport + 1))
	local fast=$DIFF_FAST

	run difftool "$NS_C" compare --slow "$dir"/slow-{c0,s0}.pcap --fast "$dir"/fast-{c0,s0}.pcap \
		--cports "$cport,$((cport + 1))" --udp-ports "$udp_ports" --expect "$expect"
	echo "$output"
	[ "$status" -eq 0 ] || fail "the router's frames differ with fastpath enabled (above)"
	local frames
	frames=$(head -n1 <<<"$output" | jq '.fast | [.[]] | add')

	echo "explain: $(cat "$dir/fast-explain.json")"
	echo "flow: $(cat "$dir/fast-flow.json")"
	assert_equal "orig $(diff_why orig)" "orig $orig"
	assert_equal "reply $(diff_why reply)" "reply $reply"
	echo "# $BATS_TEST_DESCRIPTION: fast path $fast of $frames frames" \
		"($((fast * 100 / frames))%), TCP $orig/$reply" >&3
	if [ "$orig" = offloaded ] && [ "$reply" = offloaded ]; then
		[ "$((fast * 100))" -ge "$((frames * 90))" ] ||
			fail "only $fast of the $frames frames took the fast path (< 90%)"
		return 0
	fi
	local d
	for d in orig reply; do
		[ "${!d}" = offloaded ] && continue
		assert_equal "$d fast packets $(jq ".$d.packets // 0" "$dir/fast-flow.json")" \
			"$d fast packets 0"
	done
	if [ "$orig" != offloaded ] && [ "$reply" != offloaded ] && [ "$udp_fast" = 0 ]; then
		assert_equal "fast packets $fast" "fast packets 0"
	fi
}
