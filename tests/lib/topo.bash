# Shared helpers for the integration suites (run inside the VM).
#
# The standard topology, one set of namespaces per test file, named with a
# per-file prefix so that a leftover from one file never meets another:
#
#   c (client)                    r (router)                    s (server)
#   c0 10.0.1.2/24  ---------  r0 10.0.1.1   r1 10.0.2.1  ---------  s0 10.0.2.2/24
#      fd00:1::2/64               fd00:1::1     fd00:2::1               fd00:2::2/64
#
# c and s route everything via r; r forwards both families.

load "${BASH_SOURCE[0]%/*}/bats-libs.bash"

: "${FASTPATH_TOP:?integration tests run inside the VM (tests/vm/run)}"

# Namespace names for this file: NS_C, NS_R, NS_S, all starting with
# NS_PREFIX (the file's name without .bats, [^a-z0-9] as -, 12 characters
# at most; worked out in the shell: every test loads this, and each exec
# costs under TCG).
topo_names() {
	local prefix=${BATS_TEST_FILENAME:-topo}
	prefix=${prefix##*/}
	prefix=${prefix%.bats}
	prefix=${prefix//[^a-z0-9]/-}
	NS_PREFIX=${prefix:0:12}
	NS_C="${NS_PREFIX}-c"
	NS_R="${NS_PREFIX}-r"
	NS_S="${NS_PREFIX}-s"
}
# Every test and file hook of a file that loads this one knows the names.
topo_names

# A file's namespaces go with it; a file may define its own teardown_file.
teardown_file() {
	topo_teardown
}

c() { ip netns exec "$NS_C" "$@"; }
r() { ip netns exec "$NS_R" "$@"; }
s() { ip netns exec "$NS_S" "$@"; }

# Run a command in network namespace $1: quicker than `ip netns exec`,
# which remounts /sys (so nothing run this way may read /sys).  The
# helpers below that run often use it.
in_ns() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" "$@"
}

# Fail loudly when something a test needs is not there: never skip.
require() {
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null ||
			fail "required tool '$tool' is missing (run make deps)"
	done
}

# Build c -- r -- s.  Neighbours are resolved before returning so that the
# first packets of a test are not lost to address resolution.
topo_setup() {
	topo_teardown
	require ip nft conntrack socat tcpdump ping sha256sum nsenter gojq
	ip netns add "$NS_C"
	ip netns add "$NS_R"
	ip netns add "$NS_S"

	# Every exec is slow under TCG: one sysctl shell and one ip batch per
	# namespace.
	local ns
	for ns in "$NS_C" "$NS_R" "$NS_S"; do
		nsenter --net="/run/netns/$ns" sh -c '
			echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad
			echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad'
	done
	modprobe nf_conntrack
	nsenter --net="/run/netns/$NS_R" sh -c '
		echo 1 > /proc/sys/net/ipv4/ip_forward
		echo 1 > /proc/sys/net/ipv6/conf/all/forwarding
		echo 1 > /proc/sys/net/netfilter/nf_conntrack_acct'

	topo_host "$NS_C" c0 r0 1
	topo_host "$NS_S" s0 r1 2
	ip -n "$NS_R" -b - <<-EOF
	link set lo up
	addr add 10.0.1.1/24 dev r0
	addr add fd00:1::1/64 dev r0 nodad
	addr add 10.0.2.1/24 dev r1
	addr add fd00:2::1/64 dev r1 nodad
	link set r0 up
	link set r1 up
	EOF

	topo_wait_reachable
}

# An end host in namespace $1: device $2, its peer $3 in the router, on
# subnet $4 (10.0.$4.0/24, fd00:$4::/64); the router is .1 / ::1.
topo_host() {
	ip -n "$1" -b - <<-EOF
	link set lo up
	link add $2 type veth peer name $3 netns $NS_R
	addr add 10.0.$4.2/24 dev $2
	addr add fd00:$4::2/64 dev $2 nodad
	link set $2 up
	route add default via 10.0.$4.1
	route add default via fd00:$4::1
	EOF
}

# The link of end host $1 (device $2, router side $3, subnet $4) made again
# as topo_setup makes it, after it was deleted (a re-created device).
topo_link() {
	topo_host "$1" "$2" "$3" "$4"
	ip -n "$NS_R" -b - <<-EOF
	addr add 10.0.$4.1/24 dev $3
	addr add fd00:$4::1/64 dev $3 nodad
	link set $3 up
	EOF
}

# Ping across the router in both families until it answers: one exchange
# resolves the neighbours on both links.
topo_wait_reachable() {
	local i
	for i in $(seq 1 50); do
		if in_ns "$NS_C" ping -q -c1 -W1 10.0.2.2 >/dev/null 2>&1 &&
		   in_ns "$NS_C" ping -q -c1 -W1 fd00:2::2 >/dev/null 2>&1; then
			topo_wait_links_up
			return 0
		fi
		sleep 0.2
	done
	fail "topology not reachable across the router"
}

# Until the kernel has processed every link's carrier event (operstate UP).
# A veth forwards as soon as both ends are up, but the event can come a
# second later (linkwatch batches them), and its NETDEV_CHANGE flushes the
# IPv4 route cache: every flow learned by then is taken off the fast path
# (del-reason route), and a connection that sent its last packet is not
# learned again.
topo_wait_links_up() {
	local i links
	for i in $(seq 1 50); do
		links=$(in_ns "$NS_C" ip -o link show c0; in_ns "$NS_R" ip -o link show;
			in_ns "$NS_S" ip -o link show s0)
		[ "$(grep -cE '^[0-9]+: (c0|r0|r1|s0)@[^ ]+ .* state UP ' <<<"$links")" -eq 4 ] &&
			return 0
		sleep 0.1
	done
	fail "links not up: $links"
}

topo_teardown() {
	local ns
	for ns in "$NS_C" "$NS_R" "$NS_S"; do
		[ -e "/run/netns/$ns" ] || continue
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
	return 0
}

# Masquerade everything leaving r1 (or $1; IPv4 and IPv6), with a forward
# chain that counts established packets so a test can see what the normal
# stack still forwards.
topo_masquerade() {
	in_ns "$NS_R" nft -f - <<-EOF
	table inet fp_test {
		counter fwd_established {}
		chain forward {
			type filter hook forward priority filter; policy accept;
			ct state established counter name fwd_established
		}
		chain postrouting {
			type nat hook postrouting priority srcnat; policy accept;
			oifname "${1:-r1}" masquerade
		}
	}
	EOF
}

# Packets the normal stack forwarded in state established (nft's text:
# this runs in loops, and jq costs a third of a second an exec under TCG).
topo_fwd_established() {
	local text
	text=$(in_ns "$NS_R" nft list counter inet fp_test fwd_established) || return 1
	[[ $text =~ packets\ ([0-9]+) ]] || fail "no packet count in: $text"
	echo "${BASH_REMATCH[1]}"
}

# fpctl -n enters the namespace itself: one exec rather than two.
fp_enable_router() {
	fpctl -n "$NS_R" enable dev r0
	fpctl -n "$NS_R" enable dev r1
}

# A global counter from `fpctl -j stats` in the router: a key, or
# exceptions.KEY.  Read by the shell, as polls call this many times and jq
# costs a third of a second an exec under TCG (fpctl -j prints plain JSON,
# and no key of stats appears twice).
fp_stat() {
	local json part re
	json=$(fpctl -n "$NS_R" -j stats) || return 1
	part=$json
	[[ $1 != *.* ]] || part=${json#*\""${1%%.*}"\":\{}
	re="\"${1##*.}\":([0-9]+)"
	[[ $part =~ $re ]] || fail "no counter $1 in fpctl -j stats: $json"
	echo "${BASH_REMATCH[1]}"
}

# Random payload of $1 MiB at $2.
make_payload() {
	head -c "$(($1 * 1024 * 1024))" /dev/urandom >"$2"
}

# Send file $1 from c to s over TCP to address $2 (default 10.0.2.2) and
# port $3 (default 5001); the received copy lands in $BATS_TEST_TMPDIR/recv.
# Succeeds when the checksums match.
tcp_transfer_c2s() {
	local file=$1 addr=${2:-10.0.2.2} port=${3:-5001}
	local out="$BATS_TEST_TMPDIR/recv"
	rm -f "$out"
	in_ns "$NS_S" timeout 300 socat -u "TCP-LISTEN:$port,reuseaddr,pf=$(socat_pf "$addr")" "OPEN:$out,creat,trunc" &
	local srv=$!
	wait_listen "$NS_S" tcp "$port"
	in_ns "$NS_C" timeout 300 socat -u "OPEN:$file" "TCP:$(socat_addr "$addr"):$port"
	wait "$srv"
	[ "$(sha256sum <"$file")" = "$(sha256sum <"$out")" ] ||
		fail "checksum mismatch after TCP transfer c->s"
}

# socat wants IPv6 literals in brackets.
socat_addr() {
	case $1 in
	*:*) echo "[$1]" ;;
	*) echo "$1" ;;
	esac
}

# socat listens on IPv4 unless told the family of the address it serves.
socat_pf() {
	case $1 in
	*:*) echo ip6 ;;
	*) echo ip4 ;;
	esac
}

# Wait until a socket listens on $3 (tcp|udp port) in namespace $1.
wait_listen() {
	local ns=$1 proto=$2 port=$3 i flag=-lnt
	[ "$proto" = udp ] && flag=-lnu
	for i in $(seq 1 100); do
		[ -z "$(in_ns "$ns" ss -H "$flag" "sport = :$port")" ] || return 0
		sleep 0.05
	done
	fail "nothing listens on $proto port $port in $ns"
}

# Send file $1 from s to c over TCP: c connects to $2:$3 (default
# 10.0.2.2:5001) and receives into $BATS_TEST_TMPDIR/recv.  Succeeds when
# the checksums match.
tcp_transfer_s2c() {
	local file=$1 addr=${2:-10.0.2.2} port=${3:-5001}
	local out="$BATS_TEST_TMPDIR/recv"
	rm -f "$out"
	in_ns "$NS_S" timeout 300 socat -u "OPEN:$file" "TCP-LISTEN:$port,reuseaddr,pf=$(socat_pf "$addr")" &
	local srv=$!
	wait_listen "$NS_S" tcp "$port"
	in_ns "$NS_C" timeout 300 socat -u "TCP:$(socat_addr "$addr"):$port" "OPEN:$out,creat,trunc"
	wait "$srv"
	[ "$(sha256sum <"$file")" = "$(sha256sum <"$out")" ] ||
		fail "checksum mismatch after TCP transfer s->c"
}

# Runs a Python tool of tests/lib: "${PYTOOL[@]}" TOOL.py ARGS.  Imported
# rather than run as a script, so that its compiled code is cached
# (tests/lib/__pycache__): compiling nettool.py costs 0.15 s a call under TCG.
PYTOOL=(python3 -S -c 'import os, sys
sys.argv = sys.argv[1:]
sys.path.insert(0, os.path.dirname(sys.argv[0]))
__import__(os.path.basename(sys.argv[0])[:-3]).main()')

# Run tests/lib/nettool.py (UDP/TCP traffic generators, capture checker)
# in namespace $1: one process does a whole exchange.
nettool() {
	local ns=$1
	shift
	in_ns "$ns" "${PYTOOL[@]}" "$FASTPATH_TOP/tests/lib/nettool.py" "$@"
}

# r's IPsec counter $1 (XfrmInNoPols: packets its stack dropped for want
# of a policy).
r_xfrm_stat() {
	r awk -v n="$1" '$1 == n { print $2 }' /proc/net/xfrm_stat
}

# Runs "$@", c sending UDP from port $3 to address $2, with those datagrams
# in an ESP tunnel from c's address $1 to r's on that link, $4; r holds the
# SA but no policy: decapsulated, they arrive again on r's device carrying a
# tunnel-mode secpath, for ip_forward()'s policy check to drop.  Waits until
# r's stack has dropped $5 of them (or 5 s); the SAs and the policy go.
esp_c_to_r() {
	local caddr=$1 dst=$2 sport=$3 raddr=$4 count=$5 nopols0 i
	local key=0x0123456789abcdef0123456789abcdef01234567
	local sa=(state add src "$caddr" dst "$raddr" proto esp spi 0x400 reqid 4
		mode tunnel aead "rfc4106(gcm(aes))" "$key" 128)
	shift 5
	r ip xfrm "${sa[@]}"
	c ip xfrm "${sa[@]}"
	c ip xfrm policy add src "$caddr" dst "$dst" proto udp sport "$sport" dir out \
		tmpl src "$caddr" dst "$raddr" proto esp reqid 4 mode tunnel
	nopols0=$(r_xfrm_stat XfrmInNoPols)
	"$@"
	for i in $(seq 50); do
		[ "$(r_xfrm_stat XfrmInNoPols)" -ge $((nopols0 + count)) ] && break
		sleep 0.1
	done
	c ip xfrm policy flush
	c ip xfrm state flush
	r ip xfrm state flush
}

# Packets of nft counter $4 of table $2 $3 in namespace $1.
nft_packets() {
	local text
	text=$(in_ns "$1" nft list counter "$2" "$3" "$4") || return 1
	[[ $text =~ packets\ ([0-9]+) ]] || fail "no packet count in: $text"
	echo "${BASH_REMATCH[1]}"
}

# `fpctl -j flow show` in the router.
fp_flows() {
	fpctl -n "$NS_R" -j flow show
}

# The flow of protocol $1 from c's port $2 (to s, 10.0.2.2:7000 for UDP),
# once offloaded both ways, and not flow $3 when given.  A UDP flow gets
# another datagram each time it is not: a direction refused for a passing
# reason (no neighbour yet) is tried again a second later, on a packet.
fp_offloaded_flow() {
	local i flow
	for i in $(seq 1 30); do
		flow=$(fp_flows | jq -c --arg p "$1" --argjson s "$2" --argjson old "${3:-0}" \
			'[.[] | select(.proto == $p and .orig.sport == $s and .id != $old and
				.orig.offloaded and .reply.offloaded)] | first // empty')
		[ -z "$flow" ] || { echo "$flow"; return 0; }
		sleep 0.5
		[ "$1" != udp ] || nettool "$NS_C" udp-send 10.0.2.2 7000 --sport "$2" 1 >/dev/null
	done
	fail "no offloaded $1 flow from port $2${3:+ but flow $3}: $(fp_flows)"
}

# Packets received by the router on r0 and r1 (everything it forwards).
r_rx_packets() {
	netns_rx_packets "$NS_R" r0 r1
}

# Can r's kernel list netfilter hooks?  6.1 lacks nfnetlink_hook (Debian
# builds it from 6.12 on): tests then tell hooks by counters only.
hooks_listed() {
	modprobe -q nfnetlink_hook
}

# Does r's "nft list hooks $1" (e.g. "netdev device r0", "ip") name $2?
r_hooked() {
	# shellcheck disable=SC2086 # "netdev device r0": three words
	r nft list hooks $1 | grep -q "$2"
}

# `fpctl dev show` of device $1 in r, as JSON.
fp_dev_json() {
	fpctl -n "$NS_R" -j dev show | jq -c ".[] | select(.ifname == \"$1\")"
}

# fastpath's counter $2 (rx_packets, tx_packets, slow_packets) of enabled
# device $1 in r.
fp_dev_count() {
	fp_dev_json "$1" | jq ".$2"
}

# Packets received by devices $2... of namespace $1, added up: one ip, read
# by the shell (no jq: see fp_stat).  In ip -j -s, a device's first "rx"
# after its name is its own stats64.rx, which starts with bytes, packets.
netns_rx_packets() {
	local ns=$1 json dev rest sum=0
	shift
	json=$(ip -n "$ns" -j -s link show) || return 1
	for dev in "$@"; do
		[[ $json == *"\"ifname\":\"$dev\""* ]] || fail "no device $dev in $ns"
		rest=${json#*\"ifname\":\""$dev"\"}
		[[ $rest =~ \"rx\":\{\"bytes\":[0-9]+,\"packets\":([0-9]+) ]] ||
			fail "no rx packet count for $dev in: $json"
		sum=$((sum + BASH_REMATCH[1]))
	done
	echo "$sum"
}

# Start tcpdump in namespace $1 on device $2 writing $3, with the filter
# $4 (default: IPv4 TCP and UDP; "" for every frame).
capture_start() {
	local ns=$1 dev=$2 file=$3 filter=${4-ip and (udp or tcp)} i
	# Before tcpdump's shell opens it: the loop below may read it first.
	: >"$file.log"
	ip netns exec "$ns" tcpdump -i "$dev" -n -U --immediate-mode -s 0 -w "$file" "$filter" \
		2>"$file.log" 3>&- &
	echo $! >"$file.pid"
	for i in $(seq 1 300); do
		[[ $(<"$file.log") != *"listening on"* ]] || return 0
		sleep 0.1
	done
	fail "tcpdump on $dev did not start: $(cat "$file.log")"
}

# Stop the capture writing $1; prints tcpdump's count.
capture_stop() {
	local pid
	pid=$(cat "$1.pid")
	kill -INT "$pid"
	wait "$pid" || true
	grep -E "packets? captured" "$1.log"
}

# Wait until the fast path forwarded 50 more packets.
wait_fast() {
	local target
	target=$(($(fp_stat fast_packets) + 50))
	for _ in $(seq 1 100); do
		[ "$(fp_stat fast_packets)" -ge "$target" ] && return 0
		sleep 0.2
	done
	fail "fast_packets stayed below $target: $(r fpctl -j stats)"
}

# Wait until a flow is learned after $1 (flows_learned value) and the fast
# path forwards again.
wait_relearned() {
	local learned0=$1 i
	for i in $(seq 1 100); do
		[ "$(fp_stat flows_learned)" -gt "$learned0" ] && break
		sleep 0.2
	done
	[ "$(fp_stat flows_learned)" -gt "$learned0" ] ||
		fail "no flow learned again: $(r fpctl -j stats)"
	wait_fast
}

# A c->s TCP stream (to $STREAM_ADDR, default 10.0.2.2) for the events
# below: stream_start runs it until the fast path carries it; stream_end
# stops it, and sender and receiver must agree on length and sha256.
stream_start() {
	STREAM_DIR=$BATS_TEST_TMPDIR
	nettool "$NS_S" tcp-stream-recv 5001 >"$STREAM_DIR/recv.json" &
	STREAM_SRV=$!
	wait_listen "$NS_S" tcp 5001
	nettool "$NS_C" tcp-stream-send "${STREAM_ADDR:-10.0.2.2}" 5001 \
		--stop "$STREAM_DIR/stop" >"$STREAM_DIR/sent.json" &
	STREAM_CLI=$!
	wait_fast
}

stream_end() {
	touch "$STREAM_DIR/stop"
	wait "$STREAM_CLI" || fail "sender failed after: $*"
	wait "$STREAM_SRV" || fail "receiver failed after: $*"
	cat "$STREAM_DIR/sent.json" "$STREAM_DIR/recv.json"
	[ "$(cat "$STREAM_DIR/sent.json")" = "$(cat "$STREAM_DIR/recv.json")" ] ||
		fail "the stream arrived damaged after: $*"
}

# Run the event "$@" in the middle of the stream: it runs until the flow is
# learned, the event happened and a flow was learned again, then ends.
during_transfer() {
	local learned0
	stream_start
	learned0=$(fp_stat flows_learned)
	"$@"
	wait_relearned "$learned0"
	stream_end "$@"
}

# The ids of the stream's flows (one, while it runs).
stream_flow_ids() {
	fpctl -n "$NS_R" -j flow show proto tcp dport 5001 | jq -r 'map(.id) | join(",")'
}

# As during_transfer, for an event the flow survives: the stream's flow is
# the same one after it (not removed and learned again), and the fast path
# keeps forwarding the stream.  Other flows may come and go meanwhile (an
# earlier test's connections, closed, leave when the GC sees them).
during_transfer_kept() {
	local ids
	stream_start
	ids=$(stream_flow_ids)
	[[ $ids =~ ^[0-9]+$ ]] || fail "the stream has flows '$ids', not one"
	"$@"
	wait_fast
	assert_equal "$(stream_flow_ids)" "$ids"
	stream_end "$@"
}

# tests/kmod/fp-delay.ko, which tests/vm/run builds for the guest's kernel:
# holds a call of a function as it returns, to open a race window wide.
FP_DELAY_PAR=/sys/module/fp_delay/parameters

# Loads it with parameters "$@" and arms one hold.
fp_delay_arm() {
	local ko=$FASTPATH_TOP/tests/kmod/build/$KVER/fp-delay.ko
	[ -f "$ko" ] || fail "$ko is missing (tests/vm/run builds it)"
	insmod "$ko" "$@"
	echo 1 >"$FP_DELAY_PAR/shots"
}

# Waits (30 s at most) until a call is held.
fp_delay_wait_hold() {
	local i
	for i in $(seq 1 300); do
		[ "$(<"$FP_DELAY_PAR/delaying")" = 1 ] && return 0
		sleep 0.1
	done
	return 1
}

# Runs "$2"... right after the hold began (fp_delay_wait_hold), timed, and
# fails unless it ran inside the hold: it returned while the call was held,
# or waited at least 1 s for it (begun within 0.1 s of a hold of 3 s or
# more, it could not have come after the hold otherwise).  Then waits for
# the hold to end.  $1 names it in the output.  FP_DELAY_TOOK (ms) and
# FP_DELAY_DURING (1: it returned while the call was held) tell how.
fp_delay_during() {
	local what=$1 t0 i held0
	shift
	held0=$(<"$FP_DELAY_PAR/held")
	t0=${EPOCHREALTIME/./}
	"$@"
	FP_DELAY_TOOK=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
	FP_DELAY_DURING=$(<"$FP_DELAY_PAR/delaying")
	echo "# $what took ${FP_DELAY_TOOK} ms, returned with the call held: $FP_DELAY_DURING" >&3
	[ "$FP_DELAY_DURING" = 1 ] || [ "$FP_DELAY_TOOK" -ge 1000 ] ||
		fail "$what missed the window (${FP_DELAY_TOOK} ms)"
	for i in $(seq 1 100); do
		[ "$(<"$FP_DELAY_PAR/held")" -gt "$held0" ] && return 0
		sleep 0.1
	done
	fail "the hold did not end"
}
