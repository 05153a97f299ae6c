# The differential harness (tests/integration/18-ipv4-differential.bats,
# 38-ipv6-differential.bats): the same traffic through a router
# configuration with fastpath disabled, then enabled, the frames the router
# sent captured on the far sides and compared (tests/lib/difftool.py
# compare says what is normalised and why).  Run inside the VM.
#
#   c (c0, TX checksum offload off)   r (the configuration, TX off)   s (s0, TX off)
#   tcpdump -Q in on c0: what r sent towards c; on s0: what r sent towards s.
#
# Traffic of a run, one process in c (difftool exchange): crafted UDP
# datagrams (every bit fixed, echoed by s; stop and wait) from client port
# 4001 (and 4002 with a zero UDP checksum, IPv4), then DIFF_BYTES over TCP
# echoed back by s, the connection held open until its flow has been
# looked at.

load "${BASH_SOURCE[0]%/*}/ipv6.bash"

DIFFTOOL=$FASTPATH_TOP/tests/lib/difftool.py
# Enough for >= 90% of a run's frames to be fast once both directions
# are: a few hundred frames against the handful the stack sees while each
# direction is learned and verified.
DIFF_BYTES=$((128 * 1024))
DIFF_UDP_COUNT=16

difftool() {
	local ns=$1
	shift
	in_ns "$ns" "${PYTOOL[@]}" "$DIFFTOOL" "$@"
}

# setup_file of a differential file: the topology, real checksums on every
# link (a veth receiver would trust a partial one), no automatic IPv6 flow
# labels (a hash of the socket: it would differ between runs), UDP echo
# servers on 7000 (IPv4) and 7006 (IPv6), a TCP echo server on 5001 (both).
diff_setup_file() {
	[ -d /sys/module/fastpath ] || fail "fastpath module is not loaded"
	require python3 ethtool tcpdump gojq
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
	nettool "$NS_S" tcp-echo -6 5001 --conns 1000 >/dev/null 2>&1 3>&- &
	wait_listen "$NS_S" udp 7000
	wait_listen "$NS_S" udp 7006
	wait_listen "$NS_S" tcp 5001
	R0_MAC=$(ip -n "$NS_R" -j link show r0 | jq -r '.[0].address')
	export R0_MAC
}

# teardown of every test: nothing left running (v6_bg's processes), r
# back to a bare router (the case's ruleset, IPsec and routes gone).
diff_teardown() {
	v6_teardown
	in_ns "$NS_R" sh -c 'nft flush ruleset
		echo 1 > /proc/sys/net/netfilter/nf_conntrack_tcp_loose
		echo 0 > /proc/sys/net/netfilter/nf_conntrack_tcp_be_liberal'
	# Cases add their routes with "proto static" (IPv4 ones: without -6 ip
	# flushes those only).
	local ns
	for ns in "$NS_R" "$NS_S"; do
		ip -n "$ns" -force -batch - >/dev/null 2>&1 <<-'EOF' || true
		xfrm policy flush
		xfrm state flush
		route flush proto static
		EOF
	done
	fpctl -n "$NS_R" -force -batch - >/dev/null 2>&1 <<-'EOF' || true
	disable dev r0
	disable dev r1
	EOF
	# diff_case_route_churn's pacing.
	in_ns "$NS_C" tc qdisc del dev c0 root 2>/dev/null || true
	in_ns "$NS_S" tc qdisc del dev s0 root 2>/dev/null || true
}

# tcpdump -Q in on device $2 in namespace $1 into $3, until
# diff_capture_stop; diff_capture_ready waits until it captures.
diff_capture_launch() {
	local ns=$1 dev=$2 file=$3
	# Immediate mode: without it the packets of the last block (up to a
	# second's) are lost when tcpdump is stopped.  A 32 MiB buffer holds
	# both runs: under TCG tcpdump falls behind a transfer (8 MiB dropped).
	# The log exists before tcpdump's shell opens it: diff_capture_ready
	# may read it first.
	: >"$file.log"
	v6_bg "$ns" tcpdump -Q in -i "$dev" -n --immediate-mode -B 32768 -s 0 -w "$file" \
		2>"$file.log"
	echo "$V6_BG_LAST" >"$file.pid"
}

# Wait until every capture $@ listens.
diff_capture_ready() {
	local file i
	for file in "$@"; do
		for i in $(seq 1 300); do
			[[ $(<"$file.log") != *"listening on"* ]] || continue 2
			sleep 0.05
		done
		fail "tcpdump did not start: $(<"$file.log")"
	done
}

diff_capture_start() {
	diff_capture_launch "$@"
	diff_capture_ready "$3"
}

# Stop the captures $@; none may have dropped a packet.
diff_capture_stop() {
	local file
	sleep 0.3 # let the last packets reach the captures
	for file in "$@"; do
		kill -INT "$(<"$file.pid")"
	done
	for file in "$@"; do
		wait "$(<"$file.pid")" || true
		[[ $(<"$file.log") == *$'\n0 packets dropped by kernel'* ]] ||
			fail "tcpdump dropped packets: $(<"$file.log")"
	done
}

# The router's fast-path packets so far.
diff_fast_packets() {
	local stats
	stats=$(fpctl -n "$NS_R" -j stats) || fail "fpctl stats failed"
	[[ $stats =~ \"fast_packets\":\ *([0-9]+) ]] || fail "no fast_packets in: $stats"
	echo "${BASH_REMATCH[1]}"
}

# A run: RUN (slow|fast), client TCP port CPORT, while the captures run.
# Leaves the fast-path packets of the run in DIFF_FAST, and for the fast
# run the TCP connection, explained, in fast-explain.json and its flow
# table entry in fast-flow.json.
diff_run() {
	local run=$1 cport=$2 dir=$BATS_TEST_TMPDIR fast0 ns snd ready word started
	local family=4 src=10.0.1.2 udp=4001,4002 hold=()
	[[ $DIFF_DST == *:* ]] && family=6 src=fd00:1::2 udp=4001
	in_ns "$NS_R" conntrack -F 2>/dev/null || true
	# What the end hosts learned in the run before (a path MTU, from an
	# encapsulation's ICMP) would change what they send in this one.
	for ns in "$NS_C" "$NS_S"; do
		ip -n "$ns" "-$family" route flush cache
	done
	fast0=$(diff_fast_packets)
	if [ "$run" = fast ]; then
		mkfifo "$dir/ready"
		exec {ready}<>"$dir/ready"
		hold=(--ready "$dir/ready" --stop "$dir/stop")
	fi
	v6_bg "$NS_C" "${PYTOOL[@]}" "$DIFFTOOL" exchange c0 "$R0_MAC" "$src" "$DIFF_DST" \
		--udp-port "$DIFF_UDP_PORT" --udp "$udp" --count "$DIFF_UDP_COUNT" \
		--tos 0x2a --label 0x12345 --tcp-port "$DIFF_TCP_PORT" --sport "$cport" \
		--bytes "$DIFF_BYTES" "${hold[@]}" >"$dir/$run-exchange.json"
	snd=$V6_BG_LAST
	# The connection is still open: its flow and what explain says of it
	# (with fastpath disabled conntrack may not even track it).
	if [ "$run" = fast ]; then
		read -r -t 300 -u "$ready" word || word="no answer"
		exec {ready}<&-
		[ "$word" = done ] || { wait "$snd"; fail "fast run: the exchange failed ($word):" \
			"$(<"$dir/$run-exchange.json")"; }
		# First explain: a refusal is kept 10 s after the packet it was
		# made on (the fast path's FP_REFUSAL_TTL), then forgotten by an
		# idle connection.
		started=$SECONDS
		fpctl -n "$NS_R" -j flow explain proto tcp src "$src" dst "$DIFF_DST" \
			sport "$cport" dport "$DIFF_TCP_PORT" >"$dir/fast-explain.json" ||
			fail "flow explain failed: $(<"$dir/fast-explain.json")"
		echo "explained $((SECONDS - started)) s after the exchange's last data"
		fpctl -n "$NS_R" -j flow show proto tcp sport "$cport" >"$dir/fast-flow.json" ||
			fail "flow show failed"
		: >"$dir/stop"
	fi
	wait "$snd" || fail "$run run: the exchange failed: $(<"$dir/$run-exchange.json")"
	DIFF_FAST=$(($(diff_fast_packets) - fast0))
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
#                     offloaded).  When both are offloaded, at least
#                     --min-fast PCT (default 90) percent of what was
#                     captured took the fast path; a direction that
#                     is not has no fast packet, and when neither is,
#                     nothing took the fast path (--udp-fast: the UDP
#                     datagrams may: the refusal is TCP's alone).
#   --late-rst        TCP resets are counted, not compared (difftool.py:
#                     r's asynchronous ESP crypto reorders c's last ACKs)
diff_case() {
	local orig=offloaded reply=offloaded udp_fast=0 dir=$BATS_TEST_TMPDIR late_rst= min_fast=90
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
		--late-rst) late_rst=--late-rst ;;
		--min-fast) min_fast=$2; shift ;;
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
	local cport=$((40000 + BATS_TEST_NUMBER * 2)) split
	# One capture per side for both runs, split by time: the slow run has
	# ended, its connection closed from both ends, when the fast one starts.
	diff_capture_launch "$NS_C" c0 "$dir/c0.pcap"
	diff_capture_launch "$NS_S" s0 "$dir/s0.pcap"
	diff_capture_ready "$dir/c0.pcap" "$dir/s0.pcap"
	diff_run slow "$cport"
	[ "$DIFF_FAST" -eq 0 ] || fail "$DIFF_FAST packets took the fast path while it was disabled"
	fpctl -n "$NS_R" -batch - <<-'EOT'
	enable dev r0
	enable dev r1
	EOT
	split=$EPOCHREALTIME
	diff_run fast $((cport + 1))
	local fast=$DIFF_FAST
	diff_capture_stop "$dir/c0.pcap" "$dir/s0.pcap"

	run difftool "$NS_C" compare --pcaps "$dir"/{c0,s0}.pcap --split "$split" \
		--cports "$cport,$((cport + 1))" --udp-ports "$udp_ports" --expect "$expect" ${late_rst:+"$late_rst"}
	echo "$output"
	if [ "$status" -ne 0 ]; then
		local side
		for side in c0 s0; do
			echo "handshakes and ends on $side:"
			in_ns "$NS_C" tcpdump -r "$dir/$side.pcap" -n -tt \
				'tcp[tcpflags] & (tcp-syn|tcp-fin|tcp-rst) != 0' 2>&1
		done
		fail "the router's frames differ with fastpath enabled (above)"
	fi
	[[ $output =~ \"fast_frames\":\ ([0-9]+) ]] || fail "compare gave no frame count"
	local frames=${BASH_REMATCH[1]}

	# What explain said of each direction ("why" or "why:field"), and the
	# packets the flow counted on the fast path in each.
	echo "explain: $(<"$dir/fast-explain.json")"
	echo "flow: $(<"$dir/fast-flow.json")"
	local got
	got=$(jq -rn --slurpfile x "$dir/fast-explain.json" --slurpfile f "$dir/fast-flow.json" '
		($x[0] | if type == "array" then first else . end) as $x |
		($f[0] | first // {}) as $f |
		"orig \($x.orig | .why + (if .verify_field then ":" + .verify_field else "" end))",
		"reply \($x.reply | .why + (if .verify_field then ":" + .verify_field else "" end))",
		"orig fast packets \($f.orig.packets // 0)",
		"reply fast packets \($f.reply.packets // 0)"') || fail "explain or flow unreadable"
	mapfile -t got <<<"$got"
	assert_equal "${got[0]}" "orig $orig"
	assert_equal "${got[1]}" "reply $reply"
	echo "# $BATS_TEST_DESCRIPTION: fast path $fast of $frames frames" \
		"($((fast * 100 / frames))%), TCP $orig/$reply" >&3
	if [ "$orig" = offloaded ] && [ "$reply" = offloaded ]; then
		[ "$((fast * 100))" -ge "$((frames * min_fast))" ] ||
			fail "only $fast of the $frames frames took the fast path (< $min_fast%)"
		return 0
	fi
	[ "$orig" = offloaded ] || assert_equal "${got[2]}" "orig fast packets 0"
	[ "$reply" = offloaded ] || assert_equal "${got[3]}" "reply fast packets 0"
	if [ "$orig" != offloaded ] && [ "$reply" != offloaded ] && [ "$udp_fast" = 0 ]; then
		assert_equal "fast packets $fast" "fast packets 0"
	fi
}

# diff_case "$@" while r adds and deletes a host route to the destination
# through r1, as fast as ip runs, through both runs, and c and s send at
# 1 Mbit/s (a few seconds of traffic; unpaced, the exchange is over in a
# few changes).  That route forwards as the connected one does, but each
# change makes the route every offloaded direction holds stale: the fast
# path verifies the direction's next packet through the stack and takes
# the route the stack used (so at least half the frames, not 90%, are
# fast).  Besides the frames, no flow may be removed for its route (fpctl
# monitor), and those verifications must pass.
diff_case_route_churn() {
	local dir=$BATS_TEST_TMPDIR dst=10.0.2.2/32 family=-4 passed0 passed churn monitor changes
	if [[ $* == *"--dst "*:* ]]; then
		dst=fd00:2::2/128 family=-6
	fi
	v6_bg "$NS_R" fpctl -j monitor flow >"$dir/monitor.json"
	monitor=$V6_BG_LAST
	echo 0 >"$dir/changes"
	v6_bg "$NS_R" sh -c "n=0
		while :; do
			ip $family route add $dst dev r1 proto static
			ip $family route del $dst dev r1 proto static
			n=\$((n + 2))
			echo \$n >'$dir/changes'
		done"
	churn=$V6_BG_LAST
	in_ns "$NS_C" tc qdisc add dev c0 root tbf rate 1mbit burst 16kb latency 1s
	in_ns "$NS_S" tc qdisc add dev s0 root tbf rate 1mbit burst 16kb latency 1s
	passed0=$(fp_stat verify_passed)
	diff_case --min-fast 50 "$@"
	kill "$churn" "$monitor"
	wait "$churn" "$monitor" || true
	# (The pacing goes in diff_teardown; the IPv6 route too, here.)
	ip -n "$NS_R" "$family" route del "$dst" dev r1 proto static 2>/dev/null || true
	changes=$(<"$dir/changes")
	passed=$(($(fp_stat verify_passed) - passed0))
	echo "# route changes $changes, verifications passed $passed" >&3
	[ "$changes" -ge 20 ] || fail "only $changes route changes during the runs"
	[ "$passed" -ge 2 ] || fail "only $passed verifications passed"
	assert_equal "$(jq -c 'select(.event == "del" and .reason == "route")' "$dir/monitor.json")" ""
}
