# Helpers of the router topology suites (5*-*.bats): device stacks under
# the routed devices (VLAN, PPPoE, bridge, Wi-Fi).  Loaded after topo.

# Transfer with "$@" (tcp_transfer_c2s FILE [ADDR], ...) and check that at
# least 90% of the established packets r forwarded took the fast path:
# fastpath's count against the forward chain's established counter (the
# packets the stack forwarded).
transfer_share() {
	local fast0 est0 fast est
	fast0=$(fp_stat fast_packets)
	est0=$(topo_fwd_established)
	"$@"
	fast=$(($(fp_stat fast_packets) - fast0))
	est=$(($(topo_fwd_established) - est0))
	echo "# $*: fast path $fast, established on the normal path $est" >&3
	[ "$fast" -gt 0 ] || fail "nothing took the fast path"
	[ "$((fast * 100))" -ge "$(((fast + est) * 90))" ] ||
		fail "only $fast of $((fast + est)) forwarded packets took the fast path"
}

# Transfer with "$@" as transfer_share does, then check that enabled
# devices $IN received and $OUT transmitted most of it on the fast path:
# at least $MIN_PACKETS (default 1000: 2 MiB in full-sized segments) each.
transfer_via() {
	local in=$1 out=$2 rx0 tx0
	shift 2
	rx0=$(fp_dev_count "$in" rx_packets)
	tx0=$(fp_dev_count "$out" tx_packets)
	transfer_share "$@"
	[ "$(($(fp_dev_count "$in" rx_packets) - rx0))" -ge "${MIN_PACKETS:-1000}" ] ||
		fail "$in received only $(($(fp_dev_count "$in" rx_packets) - rx0)) on the fast path"
	[ "$(($(fp_dev_count "$out" tx_packets) - tx0))" -ge "${MIN_PACKETS:-1000}" ] ||
		fail "$out transmitted only $(($(fp_dev_count "$out" tx_packets) - tx0)) on the fast path"
}

# Wait until an offloaded TCP flow to port $1 leaves through $2 in both
# directions' sense (.orig.oif == $2), after the flows_learned count $3.
wait_flow_out() {
	local port=$1 oif=$2 i
	for i in $(seq 1 100); do
		fp_flows | jq -e ".[] | select(.proto == \"tcp\" and .orig.dport == $port and
			.orig.offloaded and .reply.offloaded and .orig.oif == \"$oif\")" >/dev/null &&
			return 0
		sleep 0.2
	done
	fail "no offloaded flow to port $port out of $oif: $(fp_flows)"
}

# One run of the exactness check: crafted UDP flows from c (client ports
# 4001, 4002, ... one per address) to the echo servers on port 7000 at each
# address after $2, and a short TCP exchange to the first, captured with
# their link-layer headers at each NS/DEV of the list $2, into
# $BATS_FILE_TMPDIR/$1-DEV.pcap.  $L2_MTU (default 1500) bounds the
# crafted packets.
l2_traffic_run() {
	local name=$1 points=$2 port=4001 point addr srv
	shift 2
	r conntrack -F 2>/dev/null
	for point in $points; do
		capture_start "${point%/*}" "${point#*/}" "$BATS_FILE_TMPDIR/$name-${point#*/}.pcap" ""
	done
	for addr in "$@"; do
		nettool "$NS_C" raw-udp "$(c_addr_to "$addr")" "$addr" 7000 --sport "$port" \
			--count 12 --mtu "${L2_MTU:-1500}" || fail "crafted UDP flow to $addr not echoed"
		port=$((port + 1))
	done
	nettool "$NS_S" tcp-echo 7001 3>&- &
	srv=$!
	wait_listen "$NS_S" tcp 7001
	nettool "$NS_C" tcp-many "$1" 7001 --flows 1 --rounds 8 --sizes 1,100,1400,2900,30 ||
		fail "TCP exchange failed"
	wait "$srv"
	for point in $points; do
		capture_stop "$BATS_FILE_TMPDIR/$name-${point#*/}.pcap"
	done
}

# c's source address towards $1.
c_addr_to() {
	in_ns "$NS_C" ip -j route get "$1" | jq -r '.[0].prefsrc'
}

# The exactness check of a topology: l2_traffic_run (points $2, addresses
# after) with fastpath on the devices $1, then again with them disabled
# (enabled again after), into fast-DEV.pcap and slow-DEV.pcap; the fast
# path must carry the first run and nothing of the second.  The caller
# compares the captures (nettool frames-check).
l2_on_off() {
	local devs=$1 points=$2 fast0 fast_on fast_off dev
	shift 2
	fast0=$(fp_stat fast_packets)
	l2_traffic_run fast "$points" "$@"
	fast_on=$(($(fp_stat fast_packets) - fast0))
	for dev in $devs; do fpctl -n "$NS_R" disable dev "$dev"; done
	fast0=$(fp_stat fast_packets)
	l2_traffic_run slow "$points" "$@"
	fast_off=$(($(fp_stat fast_packets) - fast0))
	for dev in $devs; do fpctl -n "$NS_R" enable dev "$dev"; done
	echo "# fast-path packets: $fast_on enabled, $fast_off disabled" >&3
	# Most of each address's 24 crafted datagrams and echoes.
	[ "$fast_on" -ge $((20 * $#)) ] || fail "only $fast_on packets took the fast path"
	assert_equal "$fast_off" 0
}

# s: s0 10.0.2.2/24 behind r1 (10.0.2.1), TX checksums done in software.
l2_server() {
	ip -n "$NS_S" -b - <<-EOF
	link set lo up
	addr add 10.0.2.2/24 dev s0
	link set s0 up
	route add default via 10.0.2.1
	EOF
	s ethtool -K s0 tx off >/dev/null
}

# Wait until bridge $1 in r has learned MAC $2 behind port $3.
wait_fdb() {
	local i
	for i in $(seq 1 50); do
		[[ $(bridge -n "$NS_R" fdb show br "$1" dev "$3") == *"$2 "* ]] && return 0
		sleep 0.1
	done
	fail "$2 not learned behind $3: $(bridge -n "$NS_R" fdb show br "$1")"
}

# topo_teardown, and the file's other namespaces "$@".
l2_teardown() {
	local ns
	topo_teardown
	for ns in "$@"; do
		[ -e "/run/netns/$ns" ] || continue
		# (A process may end between the listing and the kill.)
		ip netns pids "$ns" | xargs -r kill 2>/dev/null || true
		ip netns del "$ns"
	done
}
