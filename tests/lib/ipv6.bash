# Helpers for the IPv6 suites (tests/integration/30-39), on top of topo.bash.
# Run inside the VM (tests/vm/run); fastpath.ko is loaded by the runner.

load "$FASTPATH_TOP/tests/lib/topo.bash"

bats_require_minimum_version 1.5.0

# Every IPv6 test ends with v6_teardown; a file may define its own.
teardown() {
	v6_teardown
}

# The standard topology with fastpath on r0 and r1.  $1: "track" (routing
# only; a forward rule makes r track connections, which nothing else would)
# or "masquerade" (NAT66/NAT44 out of r1).
v6_setup() {
	[ -d /sys/module/fastpath ] || fail "fastpath module is not loaded"
	require fpctl gojq python3 ethtool nsenter
	topo_setup
	case $1 in
	track) topo_track ;;
	masquerade) topo_masquerade ;;
	*) fail "v6_setup: unknown mode '$1'" ;;
	esac
	fp_enable_router
}

# Conntrack in r without NAT, with the same counter of established packets
# forwarded by the normal stack as topo_masquerade.
topo_track() {
	r nft -f - <<-'EOF'
	table inet fp_test {
		counter fwd_established {}
		chain forward {
			type filter hook forward priority filter; policy accept;
			ct state established counter name fwd_established
		}
	}
	EOF
}

# fpctl in r, and one of its global counters (dotted jq path).
fpr() {
	fpctl -n "$NS_R" "$@"
}

v6_stat() {
	fp_stat "$1"
}

# Run tests/lib/ipv6tool.py in namespace $1.
V6TOOL=$FASTPATH_TOP/tests/lib/ipv6tool.py
v6tool() {
	local ns=$1
	shift
	in_ns "$ns" "${PYTOOL[@]}" "$V6TOOL" "$@"
}

# Start command $2... in namespace $1 in the background, for the rest of
# the test (or until v6_stop_bg); it does not hold bats' output open.
# nsenter execs the command, so V6_BG_LAST is the command's own pid.
v6_bg() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" "$@" 3>&- &
	V6_BG_PIDS+=("$!")
	V6_BG_LAST=$!
}

v6_stop_bg() {
	local pid
	for pid in "${V6_BG_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${V6_BG_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	V6_BG_PIDS=()
}

# UDP echo server on port $2 in namespace $1, logging into $3 (one JSON
# line per datagram); extra arguments go to udp-serve.
v6_udp_server() {
	local ns=$1 port=$2 log=$3
	shift 3
	: >"$log"
	v6_bg "$ns" "${PYTOOL[@]}" "$V6TOOL" udp-serve "$port" --log "$log" "$@"
	wait_listen "$ns" udp "$port"
}

# tcpdump on $2 in namespace $1 into $3 with filter $4...; returns once it
# captures.  v6_capture_stop ends it.
v6_capture_start() {
	local ns=$1 dev=$2 file=$3
	shift 3
	# Before tcpdump's shell opens it: the loop below may read it first.
	: >"$file.log"
	nsenter --net="/run/netns/$ns" tcpdump --immediate-mode -U -n -i "$dev" -w "$file" "$@" \
		2>"$file.log" 3>&- &
	V6_CAPTURES+=("$!")
	for _ in $(seq 1 200); do
		[[ $(<"$file.log") != *"listening on"* ]] || return 0
		sleep 0.05
	done
	fail "tcpdump did not start on $dev in $ns: $(cat "$file.log")"
}

v6_capture_stop() {
	local pid
	[ "${#V6_CAPTURES[@]}" -gt 0 ] || return 0
	sleep 0.5 # let the last packets reach the capture
	for pid in "${V6_CAPTURES[@]}"; do
		kill -INT "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	V6_CAPTURES=()
}

# The IPv6 packets of capture $1 as JSON lines (see ipv6tool.py parse_ipv6).
# Parsed once and kept beside it (until the capture changes): tests read a
# capture several times, and Python takes a second to start under TCG.
v6_packets() {
	local lines
	[ "$1.jsonl" -nt "$1" ] || "${PYTOOL[@]}" "$V6TOOL" pcap "$1" >"$1.jsonl" ||
		{ rm -f "$1.jsonl"; return 1; }
	lines=$(<"$1.jsonl")
	[ -z "$lines" ] || printf '%s\n' "$lines"
}

# `fpctl -j flow show` in r with filter words $@.
v6_flows() {
	fpr -j flow show "$@"
}

# The flow whose original direction is TCP/UDP ($1) to port $2, as compact
# JSON (empty when there is none).
v6_flow() {
	v6_flows | jq -c --arg p "$1" --argjson port "$2" \
		'[.[] | select(.proto == $p and .orig.dport == $port)] | first // empty'
}

# Wait until such a flow is offloaded in both directions (with $3: one
# whose id is not $3, i.e. learned again); prints it.
v6_wait_offloaded() {
	local proto=$1 port=$2 old=${3:-} flow end=$((SECONDS + 60))
	# Looked at once more after the deadline: one look can take most of
	# it when the stream starves user space (the debug kernel, where a
	# 30 s wait gave up on a flow its diagnostics then showed offloaded).
	while :; do
		flow=$(v6_flows | jq -c --arg p "$proto" --argjson port "$port" --arg old "$old" '
			[.[] | select(.proto == $p and .orig.dport == $port and
				.orig.offloaded and .reply.offloaded and
				(.id | tostring) != $old)] | first // empty')
		if [ -n "$flow" ]; then
			echo "$flow"
			return 0
		fi
		[ "$SECONDS" -lt "$end" ] || break
		sleep 0.2
	done
	# What learning made of it: conntrack's entry, the exceptions and
	# verifications, and the flow as explain sees it.
	local ct
	ct=$(ip netns exec "$NS_R" conntrack -L -p "$proto" --dport "$port" 2>/dev/null | head -n1)
	{
		echo "conntrack: $ct"
		fpr -j stats
		if [[ $ct =~ src=([^ ]+)\ dst=([^ ]+)\ sport=([0-9]+) ]]; then
			fpr -j flow explain proto "$proto" src "${BASH_REMATCH[1]}" \
				dst "${BASH_REMATCH[2]}" sport "${BASH_REMATCH[3]}" dport "$port"
		fi
	} >&2
	fail "no offloaded $proto flow to port $port${old:+ other than id $old}: $(v6_flows)"
}

# Packets received by interface $2 in namespace $1.
rx_packets() {
	netns_rx_packets "$1" "$2"
}

# Fast-path share of what r forwards, between v6_share_mark and
# v6_share_check MIN_PERCENT: fastpath's packets against those c and s
# received (which is everything r forwarded, plus a few neighbour packets).
# The receivers' window encloses fastpath's (read first at the mark, last
# at the check), so that traffic still flowing cannot inflate the share.
v6_share_mark() {
	SHARE_RX=$(($(rx_packets "$NS_C" c0) + $(rx_packets "$NS_S" s0)))
	SHARE_FAST=$(v6_stat fast_packets)
}

v6_share_check() {
	local min=$1 fast rx
	fast=$(($(v6_stat fast_packets) - SHARE_FAST))
	rx=$(($(rx_packets "$NS_C" c0) + $(rx_packets "$NS_S" s0) - SHARE_RX))
	[ "$rx" -gt 0 ] || fail "nothing was forwarded"
	echo "# $BATS_TEST_DESCRIPTION: fast path $fast of $rx packets ($((fast * 100 / rx))%)" >&3
	[ "$((fast * 100))" -ge "$((rx * min))" ] ||
		fail "only $fast of $rx forwarded packets took the fast path (< $min%)"
}

# Random file of $1 KiB.
v6_payload() {
	head -c "$(($1 * 1024))" /dev/urandom >"$2"
}

# Files $1 and $2 have the same content.
same_file() {
	[ "$(sha256sum <"$1")" = "$(sha256sum <"$2")" ] ||
		fail "checksum mismatch: $1 ($(stat -c %s "$1") bytes) vs $2 ($(stat -c %s "$2") bytes)"
}

# Receive one TCP connection on port $2 in namespace $1 (family of address
# $3) into file $4, in the background (V6_BG_LAST is the receiver).
tcp_receiver() {
	v6_bg "$1" timeout 300 socat -u \
		"TCP-LISTEN:$2,reuseaddr,pf=$(socat_pf "$3")" "OPEN:$4,creat,trunc"
	wait_listen "$1" tcp "$2"
}

# Serve file $4 once on TCP port $2 in namespace $1 (family of address $3).
tcp_sender() {
	v6_bg "$1" timeout 300 socat -u "OPEN:$4" \
		"TCP-LISTEN:$2,reuseaddr,pf=$(socat_pf "$3")"
	wait_listen "$1" tcp "$2"
}

# A TCP transfer NAME from namespace $2 to namespace $3 through [$4]:$5,
# started in the background.  The sender sends --file F (default: random
# data until xfer_finish), paced at --rate KiB/s, then holds the connection
# until xfer_finish, so that a test can look at its flow before the FIN.
# The receiver listens (on --listen-port P when a DNAT changes the port),
# or, with --sender-listens, the sender does (s -> c through masquerade).
xfer_start() {
	local name=$1 from=$2 to=$3 addr=$4 port=$5 lport=$5 file="" rate=0 sender_listens=0
	shift 5
	while [ $# -gt 0 ]; do
		case $1 in
		--file) file=$2; shift ;;
		--rate) rate=$2; shift ;;
		--listen-port) lport=$2; shift ;;
		--sender-listens) sender_listens=1 ;;
		*) fail "xfer_start: unknown option $1" ;;
		esac
		shift
	done
	local dir=$BATS_TEST_TMPDIR/xfer-$name
	local send=("${PYTOOL[@]}" "$V6TOOL" tcp-stream "$addr" "$port" --stop "$dir/stop" --rate "$rate")
	[ -z "$file" ] || send+=(--file "$file")
	mkdir -p "$dir"
	if [ "$sender_listens" = 1 ]; then
		v6_bg "$from" "${send[@]}" --listen >"$dir/sent"
		XFER_SEND[$name]=$V6_BG_LAST
		wait_listen "$from" tcp "$port"
		v6_bg "$to" timeout 300 socat -u "TCP:$(socat_addr "$addr"):$port" \
			"OPEN:$dir/recv,creat,trunc"
		XFER_RECV[$name]=$V6_BG_LAST
	else
		tcp_receiver "$to" "$lport" "$addr" "$dir/recv"
		XFER_RECV[$name]=$V6_BG_LAST
		v6_bg "$from" "${send[@]}" >"$dir/sent"
		XFER_SEND[$name]=$V6_BG_LAST
	fi
}

# Wait until transfer $1 delivered $2 bytes (all of its file).
xfer_wait_data() {
	local recv=$BATS_TEST_TMPDIR/xfer-$1/recv
	local end=$((SECONDS + 180))
	while [ "$(stat -c %s "$recv" 2>/dev/null || echo 0)" -lt "$2" ]; do
		kill -0 "${XFER_SEND[$1]}" 2>/dev/null || fail "transfer $1: the sender died"
		[ "$SECONDS" -lt "$end" ] || fail "transfer $1: $(stat -c %s "$recv") of $2 bytes after 180 s"
		sleep 0.2
	done
}

# End transfer $1 and check that the receiver got every byte in order.
xfer_finish() {
	local dir=$BATS_TEST_TMPDIR/xfer-$1 sent sum
	touch "$dir/stop"
	wait "${XFER_SEND[$1]}" || fail "transfer $1: the sender failed"
	wait "${XFER_RECV[$1]}" || fail "transfer $1: the receiver failed"
	# The sender's one JSON line, read by the shell (see fp_stat).
	sent=$(<"$dir/sent")
	[[ $sent =~ \"sha256\":\ \"([0-9a-f]{64})\" ]] || fail "transfer $1: sender said '$sent'"
	sum=$(sha256sum <"$dir/recv")
	[ "${BASH_REMATCH[1]}" = "${sum%% *}" ] ||
		fail "transfer $1: received data differs from what was sent" \
			"($sent sent, $(stat -c %s "$dir/recv") bytes received)"
}

# Exception counter $1 of r (snake case, e.g. ext_header).
fp_exc() {
	v6_stat "exceptions.$1"
}

# Per-test state of the helpers above (bats sources this file in a function).
declare -ga V6_BG_PIDS=() V6_CAPTURES=()
declare -gA XFER_RECV=() XFER_SEND=()

# teardown() of every IPv6 suite: nothing a test started outlives it.
v6_teardown() {
	v6_capture_stop
	v6_stop_bg
}
