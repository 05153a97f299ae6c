#!/usr/bin/env bats
# The fault soak, run by tests/soak/run inside one VM boot: for
# FASTPATH_SOAK_DURATION seconds (default 600) traffic crosses the router
# while a loop, in a random order each round, breaks what fastpath depends
# on.  Afterwards the module must unload and its slab caches be gone;
# tests/vm/run fails the run on any kernel report and (debug kernel) on what
# kmemleak finds.
#
#   c (client)            r (router, fastpath on r0 r1 r2)         s (server)
#   c0 10.0.1.2  -------  r0 10.0.1.1       r1 10.0.2.1  -------  s0 10.0.2.2
#      fd00:1::2             fd00:1::1         fd00:2::1             fd00:2::2
#                         r2 10.0.3.1 fd00:3::1
#                          |   deleted and re-created with x0
#   x (side client)        |
#   x0 10.0.3.2  ----------+
#      fd00:3::2
#
# Traffic:
#  - pktgen floods UDP from c (to port 9000) and from x (to 9001), FLOWS
#    source ports each, on tuples udp-flows primed with a reply so that
#    fastpath learns them; s drops the flood (pktgen's magic) at input.
#  - protected: a TCP stream c->s per family for the whole soak, and a
#    loop of 1 MiB transfers c<->s alternating family and direction.  No
#    fault touches their path in a way TCP cannot ride out, so every byte
#    must arrive (sha256).
#  - breakable: TCP streams x->s that the faults on r2 and x may cut; a cut
#    one is counted, one that completes must be intact.
#  - flow dumps in a loop (tests/fuzz/flow-dump).
# Faults (act_* below): see ACTIONS.

load "$FASTPATH_TOP/tests/lib/api.bash"

SOAK_DURATION=${FASTPATH_SOAK_DURATION:-600}
# Per flood; above ~10000 pktgen busy-waits between packets and takes a
# whole vCPU, which under TCG starves everything else.  The debug kernel
# (release -fpdebug, tests/vm/debug.config) forwards several times slower.
# A fault that takes longer than ACTION_TIMEOUT seconds is stuck in the
# kernel (see run_action).
case $KVER in
*-fpdebug) SOAK_PPS=${FASTPATH_SOAK_PPS:-1000} ACTION_TIMEOUT=900 ;;
*) SOAK_PPS=${FASTPATH_SOAK_PPS:-4000} ACTION_TIMEOUT=300 ;;
esac
ACTION_TIMEOUT=${FASTPATH_SOAK_ACTION_TIMEOUT:-$ACTION_TIMEOUT}
FLOWS=64
FLOOD_SPORT=10000
FLOOD_MAGIC=0xbe9be955

ACTIONS=(dev-toggle flow-flush ct-flush ct-delete route neigh mtu
	dev-recreate netns-delete rules dump-flush fuzz reload prime config)
# FASTPATH_SOAK_FAULTS: a subset, to chase one fault's failure faster.
if [ -n "${FASTPATH_SOAK_FAULTS:-}" ]; then
	read -r -a ACTIONS <<<"$FASTPATH_SOAK_FAULTS"
fi

HELPERS=$FASTPATH_TOP/build/tests
NS_X=$NS_PREFIX-x
NS_FUZZ=$NS_PREFIX-fz

setup_file() {
	api_require conntrack nft python3 shuf
	[[ $SOAK_DURATION =~ ^[1-9][0-9]*$ ]] ||
		fail "FASTPATH_SOAK_DURATION must be seconds, not '$SOAK_DURATION'"
	export SOAK=$BATS_FILE_TMPDIR
	export EVENTS_LIVE=$FASTPATH_TOP/build/soak/$KVER.events
	mkdir -p "${EVENTS_LIVE%/*}"
	: >"$EVENTS_LIVE"
	: >"$EVENTS_LIVE.progress"
	# Never written: reading it waits out a timeout without a fork.
	mkfifo "$SOAK/tick"
	# Built on the host by tests/soak/run: make under TCG takes minutes on
	# the debug kernel.
	local helper
	for helper in genl-fuzz udp-flows flow-dump; do
		[ -x "$HELPERS/$helper" ] || fail "$HELPERS/$helper missing (make -C tests/fuzz)"
	done

	module_slab_caches >"$SOAK/caches"
	[ -s "$SOAK/caches" ] || fail "fastpath.ko created no slab cache (/sys/kernel/slab)"

	topo_setup
	api_flows_prepare
	sink_flood
	api_ns_add "$NS_X"
	api_ns_add "$NS_FUZZ"
	in_ns "$NS_X" nft -f - <<-'NFT'
	table ip soak_side {
		chain output {
			type filter hook output priority filter; policy accept;
			icmp type destination-unreachable drop
		}
	}
	NFT
	side_create
	enable_all
	modprobe pktgen
	make_payload 1 "$SOAK/payload"
}

teardown_file() {
	touch "$SOAK/stop"
	flood_stop "$NS_C"
	flood_stop "$NS_X"
	api_ns_del "$NS_X" "$NS_FUZZ" "$NS_PREFIX-zc" "$NS_PREFIX-zr" "$NS_PREFIX-zs"
	topo_teardown
}

# Slab caches that exist only while fastpath.ko is loaded: the module is
# unloaded and loaded again to tell.
module_slab_caches() {
	ls /sys/kernel/slab >"$SOAK/slab.loaded"
	rmmod fastpath || fail "rmmod fastpath failed before the soak"
	ls /sys/kernel/slab >"$SOAK/slab.unloaded"
	insmod "$FASTPATH_KO" || fail "insmod $FASTPATH_KO failed"
	comm -23 "$SOAK/slab.loaded" "$SOAK/slab.unloaded"
}

# One line of $SOAK/events: ACTION WHAT [N].  The summary adds up N (1
# when absent) per ACTION and WHAT.  A copy goes to the checkout, so that
# the host can follow a long run (tail -f); on 9p, appends of several
# processes may overwrite each other, so only the tmpfs file counts.
event() {
	echo "$1 $2 ${3:-1}" >>"$SOAK/events"
	echo "$1 $2 ${3:-1}" >>"$EVENTS_LIVE"
}

# Wait up to $2 s for background job $1; after that run "${@:3}" (if any)
# and kill it.  Returns its exit status, or 124 when it had to be killed.
# Polled, once a second (no fork: an exec costs half a second on the debug
# kernel): bash 5.2's `wait -n PID DOG` went on waiting for the watchdog
# after the job had ended (a debug-kernel soak's netns-delete fault logged
# its last event, then was reported stuck at its timeout with no process
# of it left).  The shell reaps a job that ends; `wait` then returns its
# saved status.
wait_bounded() {
	local pid=$1 end=$((SECONDS + $2))
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$SECONDS" -ge "$end" ]; then
			"${@:3}"
			kill "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
			return 124
		fi
		read -rt 1 <>"$SOAK/tick" || true
	done
	wait "$pid"
}

pick() {
	shift $((RANDOM % $#))
	echo "$1"
}

# A random sleep of up to $1 tenths of a second.
nap() {
	sleep "$((RANDOM % $1 / 10)).$((RANDOM % 10))"
}

enable_all() {
	fp_enable_router
	fpctl -n "$NS_R" enable dev r2
}

# The side client x on r2 (x's own namespace stays; the veth pair goes and
# comes back with the same names and addresses).
side_create() {
	topo_host "$NS_X" x0 r2 3
	ip -n "$NS_R" -b - <<-EOF
	addr add 10.0.3.1/24 dev r2
	addr add fd00:3::1/64 dev r2 nodad
	link set r2 up
	EOF
}

# s drops the flood at input (before any socket), nothing else: udp-flows
# answers on the same ports while it primes.
sink_flood() {
	in_ns "$NS_S" nft -f - <<-NFT
	table inet soak_sink {
		counter flood {}
		chain input {
			type filter hook input priority filter; policy accept;
			udp dport { 9000, 9001 } @th,64,32 $FLOOD_MAGIC counter name flood drop
		}
	}
	NFT
}

# pktgen in namespace $1 on device $2 from $3 to s port $4, the router's
# next hop on that link being $5, in the background until flood_stop (or
# until the device goes away).  Each namespace has its own pktgen threads;
# $6 is the CPU of the one used.
flood_start() {
	local ns=$1 dev=$2 src=$3 dport=$4 rdev=$5 cpu=$6 mac
	mac=$(ip -n "$NS_R" -j link show "$rdev" | jq -r '.[0].address')
	in_ns "$ns" sh -ec '
		pg() { echo "$2" >"/proc/net/pktgen/$1"; }
		pg pgctrl reset
		pg "kpktgend_$1" "add_device $2"
		for line in "count 0" "pkt_size 64" "ratep $3" "dst_mac $4" \
			"dst 10.0.2.2" "src_min $5" "src_max $5" "udp_dst_min $6" \
			"udp_dst_max $6" "udp_src_min $7" "udp_src_max $8"; do
			pg "$2" "$line"
		done' pg "$cpu" "$dev" "$SOAK_PPS" "$mac" "$src" "$dport" \
		"$FLOOD_SPORT" "$((FLOOD_SPORT + FLOWS - 1))"
	# Writing start returns when pktgen stops.
	in_ns "$ns" sh -c 'echo start >/proc/net/pktgen/pgctrl' 3>&- &
}

flood_stop() {
	[ -e "/run/netns/$1" ] || return 0
	in_ns "$1" sh -c 'echo stop >/proc/net/pktgen/pgctrl' 2>/dev/null || true
}

# Whether namespace $1's pktgen is sending.
flooding() {
	in_ns "$1" grep -q 'Running: [a-z]' "/proc/net/pktgen/kpktgend_$2"
}

floods_start() {
	flood_start "$NS_C" c0 10.0.1.2 9000 r0 0
	flood_start "$NS_X" x0 10.0.3.2 9001 r2 1
}

# One request and reply on each flooded tuple, so that conntrack sees the
# flows as replied and fastpath learns them.
prime() {
	local out
	out=$("$HELPERS/udp-flows" -c "$NS_C" -s "$NS_S" -a 10.0.1.2 -d 10.0.2.2 -n "$FLOWS" -p 9000) &&
		out+=$'\n'$("$HELPERS/udp-flows" -c "$NS_X" -s "$NS_S" -a 10.0.3.2 -d 10.0.2.2 -n "$FLOWS" -p 9001)
	local rc=$?
	echo "$out"
	return "$rc"
}

# ---------------------------------------------------------------- traffic

# A TCP stream from namespace $2 to s at $3:$4 until $SOAK/stop (or
# $SOAK/$1.stop) exists; writes $SOAK/$1.send and $SOAK/$1.recv, each the
# JSON of tests/lib/nettool.py (bytes, sha256) or empty when that end
# failed.  nsenter execs nettool, so the pids saved are nettool's own.
stream_start() {
	local name=$1 ns=$2 addr=$3 port=$4 v6="" tool=$FASTPATH_TOP/tests/lib/nettool.py
	[[ $addr == *:* ]] && v6=-6
	rm -f "$SOAK/$name".*
	nsenter --net="/run/netns/$NS_S" python3 -S "$tool" tcp-stream-recv "$port" $v6 \
		>"$SOAK/$name.recv" 2>"$SOAK/$name.recv.err" 3>&- &
	echo $! >"$SOAK/$name.recv.pid"
	wait_listen "$NS_S" tcp "$port"
	(
		while [ ! -e "$SOAK/stop" ] && [ ! -e "$SOAK/$name.stop" ]; do sleep 1; done
		touch "$SOAK/$name.stop"
	) 3>&- &
	nsenter --net="/run/netns/$ns" python3 -S "$tool" tcp-stream-send "$addr" "$port" \
		--stop "$SOAK/$name.stop" >"$SOAK/$name.send" 2>"$SOAK/$name.send.err" 3>&- &
	echo $! >"$SOAK/$name.send.pid"
}

# Wait up to $2 s for each end of the stream $1, then kill what is left.
stream_wait() {
	local end
	for end in send recv; do
		wait_bounded "$(<"$SOAK/$1.$end.pid")" "$2" || true
	done
}

# intact, cut (an end failed or the receiver got less) or corrupt (the
# receiver got as much or more than was sent, but other bytes).
stream_verdict() {
	local name=$1 sent got
	sent=$(jq -c '[.bytes, .sha256]' "$SOAK/$name.send" 2>/dev/null)
	got=$(jq -c '[.bytes, .sha256]' "$SOAK/$name.recv" 2>/dev/null)
	if [ -n "$sent" ] && [ "$sent" = "$got" ]; then
		echo intact
	elif [ -z "$sent" ] || [ -z "$got" ] ||
	     [ "$(jq '.[0]' <<<"$got")" -lt "$(jq '.[0]' <<<"$sent")" ]; then
		echo cut
	else
		echo corrupt
	fi
}

# Breakable streams x->s, one family then the other, 5-20 s each, until
# the soak stops.
side_streams() {
	local n=0 name addr port
	while [ ! -e "$SOAK/stop" ]; do
		if ((n++ % 2)); then
			name=side6 addr=fd00:2::2 port=5004
		else
			name=side4 addr=10.0.2.2 port=5003
		fi
		stream_start "$name" "$NS_X" "$addr" "$port"
		sleep "$((5 + RANDOM % 16))"
		touch "$SOAK/$name.stop"
		stream_wait "$name" 150
		event "$name" "$(stream_verdict "$name")"
		cp "$SOAK/$name.send.err" "$SOAK/$name.last.err" 2>/dev/null || true
	done
}

# Protected 1 MiB transfers (tests/lib/topo.bash), each in a directory of
# its own, alternating family and direction.
transfers() {
	local n=0 fn addr port dir=$SOAK/transfers
	mkdir -p "$dir"
	while [ ! -e "$SOAK/stop" ]; do
		fn=tcp_transfer_c2s addr=10.0.2.2 port=5011
		((n % 2)) && fn=tcp_transfer_s2c
		((n / 2 % 2)) && addr=fd00:2::2 port=5012
		n=$((n + 1))
		# shellcheck disable=SC2034
		if (BATS_TEST_TMPDIR=$dir; "$fn" "$SOAK/payload" "$addr" "$port") >"$dir/log" 2>&1; then
			event transfer intact
		else
			event transfer FAILED
			cp "$dir/log" "$SOAK/transfer-failed.$n.log"
		fi
	done
}

# Dump the router's flow table without pause (every answer counts: the
# module may be on its way out).
dump_loop() {
	local st
	while [ ! -e "$SOAK/stop" ]; do
		if st=$(in_ns "$NS_R" "$HELPERS/flow-dump" 2>&1 >/dev/null); then
			event dump-loop complete
			[[ $st =~ flows\ ([0-9]+) ]] && event dump-loop flows "${BASH_REMATCH[1]}"
			[[ $st == *"interrupted 1"* ]] && event dump-loop interrupted
		else
			event dump-loop error
		fi
	done
}

# ----------------------------------------------------------------- faults
# Each runs in a subshell with errexit: a command that fails fails the
# action (its output lands in $SOAK/failed.ACTION.N).

# Disable an enabled device for a moment.
act_dev-toggle() {
	local dev
	dev=$(pick r0 r1 r2)
	fpctl -n "$NS_R" disable dev "$dev"
	nap 10
	fpctl -n "$NS_R" enable dev "$dev"
	event dev-toggle "$dev"
}

act_flow-flush() {
	local n
	# shellcheck disable=SC2046
	n=$(fpctl -n "$NS_R" -j flow flush $(pick "" "family 4" "family 6" "proto udp" "dev r2") |
		jq .flushed)
	event flow-flush flows "$n"
}

act_ct-flush() {
	in_ns "$NS_R" conntrack -F
}

# Delete the conntrack entries of one kind of traffic (none may be there).
act_ct-delete() {
	local out
	# shellcheck disable=SC2046
	out=$(in_ns "$NS_R" conntrack -D $(pick "-p udp --dport 9000" "-p udp --dport 9001" \
		"-p tcp --dport 5001" "-p tcp --dport 5011" "-p tcp --dport 5003" "-f ipv6 -p tcp") 2>&1 || :)
	[[ $out =~ ([0-9]+)\ flow\ entries ]] || { echo "$out"; return 1; }
	event ct-delete entries "${BASH_REMATCH[1]}"
}

# Host routes to s on the path it already takes, added or taken away;
# the route cache flushed; or x's subnet blackholed for a moment.
act_route() {
	case $(pick host flush blackhole) in
	host)
		if [ -n "$(ip -n "$NS_R" route show 10.0.2.2/32)" ]; then
			ip -n "$NS_R" route del 10.0.2.2/32
			ip -n "$NS_R" -6 route del fd00:2::2/128
			event route host-del
		else
			ip -n "$NS_R" route add 10.0.2.2/32 dev r1
			ip -n "$NS_R" -6 route add fd00:2::2/128 dev r1
			event route host-add
		fi
		;;
	flush)
		ip -n "$NS_R" -6 route flush cache
		ip -n "$NS_R" route flush cache
		event route cache-flush
		;;
	blackhole)
		ip -n "$NS_R" route add blackhole 10.0.3.0/25
		ip -n "$NS_R" -6 route add blackhole fd00:3::/65
		nap 20
		ip -n "$NS_R" route del blackhole 10.0.3.0/25
		ip -n "$NS_R" -6 route del blackhole fd00:3::/65
		event route blackhole
		;;
	esac
}

# Neighbours: flushed on a link, or x's pinned to a wrong address for a
# moment.
act_neigh() {
	local dev
	if ((RANDOM % 3)); then
		dev=$(pick r0 r1 r2)
		ip -n "$NS_R" neigh flush dev "$dev"
		event neigh "flush-$dev"
	else
		ip -n "$NS_R" neigh replace 10.0.3.2 lladdr 02:00:00:00:5a:5a dev r2 nud permanent
		nap 20
		ip -n "$NS_R" neigh del 10.0.3.2 dev r2
		event neigh wrong-lladdr
	fi
}

# A random MTU (IPv6's minimum and up) on one of the router's links, half
# the time back to 1500.  Both ends change: a veth drops every received
# frame over its own MTU that is not GSO, so a router device alone below
# its peer's MTU silently loses the peer's full-size segments, with or
# without fastpath (the likely end of a 6.12 soak's protected IPv6 stream
# and transfer c->s, which stalled for good after r0's MTU changed).
act_mtu() {
	local dev ns peer mtu=1500
	read -r dev ns peer <<<"$(pick "r0 $NS_C c0" "r1 $NS_S s0" "r2 $NS_X x0")"
	((RANDOM % 2)) && mtu=$((1280 + RANDOM % 221))
	ip -n "$NS_R" link set "$dev" mtu "$mtu"
	ip -n "$ns" link set "$peer" mtu "$mtu"
	event mtu "$dev"
}

# r2 (with x0) deleted under the flood and created again: fastpath must
# resume on the new r2 by name; x's pktgen lost its device.
act_dev-recreate() {
	ip -n "$NS_R" link del r2
	nap 20
	side_create
	local _
	for _ in $(seq 50); do flooding "$NS_X" 1 || break; sleep 0.1; done
	flood_start "$NS_X" x0 10.0.3.2 9001 r2 1
	event dev-recreate recreated
}

# A second router (the standard topology under other names) learns flows,
# then its namespace goes with fastpath enabled on its devices.
act_netns-delete() {
	local flows
	NS_C=$NS_PREFIX-zc NS_R=$NS_PREFIX-zr NS_S=$NS_PREFIX-zs
	topo_setup
	api_flows_prepare
	fp_enable_router
	"$HELPERS/udp-flows" -c "$NS_C" -s "$NS_S" -a 10.0.1.2 -d 10.0.2.2 -n 100 -p 7000
	flows=$(fpctl -n "$NS_R" -j flow show | jq length)
	ip netns del "$NS_R"
	topo_teardown
	event netns-delete "flows-in-it" "$flows"
}

# Rules come and go: one added (random match, either action), one
# deleted, or all flushed.
act_rules() {
	local prefs
	prefs=$(fpctl -n "$NS_R" -j rule show | jq -r '.[].pref')
	case $(pick add add del flush) in
	add)
		local pref=$((100 + RANDOM % 900))
		while grep -qx "$pref" <<<"$prefs"; do pref=$((pref + 1)); done
		# shellcheck disable=SC2046
		fpctl -n "$NS_R" rule add pref "$pref" \
			$(pick "proto tcp dport 5011" "proto udp dport 9000" "src 10.0.3.0/24" \
				"iif r2" "oif r1 proto tcp" "dst fd00:2::/64" "proto udp sport 10000-10031") \
			action "$(pick accelerate bypass)"
		event rules add
		;;
	del)
		# shellcheck disable=SC2086
		[ -z "$prefs" ] || fpctl -n "$NS_R" rule del pref "$(pick $prefs)"
		event rules del
		;;
	flush)
		fpctl -n "$NS_R" rule flush
		event rules flush
		;;
	esac
}

# A dump that flushes a flood flow after its first answer.
act_dump-flush() {
	local st
	st=$(in_ns "$NS_R" "$HELPERS/flow-dump" -f "$((FLOOD_SPORT + RANDOM % FLOWS))" 2>&1 >/dev/null)
	[[ $st =~ flows\ ([0-9]+) ]] && event dump-flush flows "${BASH_REMATCH[1]}"
	[[ $st != *"interrupted 1"* ]] || event dump-flush interrupted
}

# The netlink fuzzer in a namespace of its own (it changes what it can).
act_fuzz() {
	local out
	out=$(ip netns exec "$NS_FUZZ" "$HELPERS/genl-fuzz" -s "$RANDOM" -n 300)
	[[ $out =~ expected\ answers\ ([0-9]+),\ answered\ ([0-9]+) ]]
	[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]
	event fuzz messages "${BASH_REMATCH[1]}"
}

# The module out and back while everything runs; a dump in flight holds a
# reference, so rmmod may need a few tries.
act_reload() {
	local tries=0
	until rmmod fastpath 2>/dev/null; do
		((++tries < 100)) || { rmmod fastpath || return 1; break; }
		sleep 0.1
	done
	event reload rmmod-busy "$tries"
	nap 20
	insmod "$FASTPATH_KO"
	enable_all
	event reload reloaded
}

act_prime() {
	prime
	event prime primed
}

act_config() {
	fpctl -n "$NS_R" config set flow-limit "$(pick 16 100 65536)" \
		udp-timeout "$(pick 1 5 30)" tcp-timeout "$(pick 10 300)"
	event config set
}

# Every process, and every kernel thread running or blocked: state, where
# it waits, and for the stuck action's processes (below pid $1) and those
# threads, the kernel stack (a task sleeping interruptibly, or spinning,
# is in no blocked-task list).
stuck_report() {
	local pid
	ps -eo pid,ppid,stat,wchan:32,etimes,args | awk 'NR == 1 || $6 !~ /^\[/ || $3 ~ /^[RD]/'
	for pid in $(ps -eo pid=,ppid=,stat=,args= | awk -v top="$1" '
		{ parent[$1] = $2; kthread[$1] = $4 ~ /^\[/ && $3 ~ /^[RD]/ }
		END {
			for (p in parent) {
				for (q = p; q > 1 && q != top; q = parent[q]) ;
				if (q == top || kthread[p]) print p
			}
		}'); do
		# (One may have ended since the listing.)
		echo "--- $pid $(ps -o args= -p "$pid" | cut -c1-100)"
		cat "/proc/$pid/stack" 2>/dev/null || true
	done
}

# Run action $1; a failure is logged, not fatal (the soak goes on).  An
# action stuck in the kernel (a lock never released after an oops) would
# hang the rest too, rmmod included: the blocked tasks go to the kernel
# log and the guest powers off, which fails tests/vm/run.
run_action() {
	local log=$SOAK/action.log rc=0
	( set -ex; "act_$1" ) >"$log" 2>&1 3>&- &
	wait_bounded $! "$ACTION_TIMEOUT" action_stuck "$1" $! || rc=$?
	if [ "$rc" = 0 ]; then
		event "$1" ok
	else
		event "$1" FAILED
		cp "$log" "$SOAK/failed.$1.$SECONDS"
	fi
}

# Fault $1 (shell $2) outlived ACTION_TIMEOUT: reported while its processes
# are still there, then the guest powers off.  The console is slow (about
# 150 bytes/s from a busy debug guest): the trace's end, not all of it.
action_stuck() {
	echo "# soak: fault $1 stuck for $ACTION_TIMEOUT s; the end of its trace, the processes" \
		"and their kernel stacks, then blocked tasks and CPUs in the kernel log; powering off" >&3
	grep -v '^++' "$SOAK/action.log" | tail -n 30 >&3
	stuck_report "$2" >&3
	echo w >/proc/sysrq-trigger
	echo l >/proc/sysrq-trigger
	sleep 5
	echo o >/proc/sysrq-trigger
	sleep 60
}

# The bytes s has received on each protected stream, before each fault: a
# stream that stops growing after a fault was cut or black-holed by it.
# One line per fault to $SOAK/progress and its copy in the checkout; while
# a stream stands still, what r holds for it goes there too.
progress() {
	local line port bytes prev
	prev=$(tail -n 1 "$SOAK/progress" 2>/dev/null || :)
	line="$SECONDS $1$(in_ns "$NS_S" ss -tinHO state established '( sport = :5001 or sport = :5002 )' |
		awk '{ port = $3; sub(/.*:/, "", port)
			for (i = 4; i <= NF; i++)
				if (sub(/^bytes_received:/, "", $i)) printf " %s=%s", port, $i }')"
	echo "$line" >>"$SOAK/progress"
	echo "$line" >>"$EVENTS_LIVE.progress"
	for port in 5001 5002; do
		bytes=$(grep -o " $port=[0-9]*" <<<"$line") || continue
		[ "$bytes" = "$(grep -o " $port=[0-9]*" <<<"$prev")" ] || continue
		{
			echo "--- port $port stands still: r's conntrack entries and fastpath flows"
			in_ns "$NS_R" conntrack -L -p tcp --dport "$port" 2>&1
			fpctl -n "$NS_R" flow show proto tcp dport "$port" 2>&1
		} | tee -a "$SOAK/progress" >>"$EVENTS_LIVE.progress"
	done
}

summary() {
	echo "soak: $faults_took s of faults ($rounds rounds, at least $SOAK_DURATION s) on $(uname -r)," \
		"floods of $FLOWS flows at up to $SOAK_PPS pps each"
	awk '{ n[$1 " " $2] += $3 } END { for (k in n) print k, n[k] }' "$SOAK/events" |
		sort | awk '
		$1 != last { if (line) print line; line = sprintf("  %-14s", $1); last = $1 }
		{ line = line sprintf(" %s=%s", $2, $3) }
		END { if (line) print line }'
	echo "  flood arriving at s (dropped there): $(in_ns "$NS_S" nft -j list counter inet soak_sink flood |
		jq '.nftables[] | select(.counter) | .counter.packets') packets"
}

@test "soak: traffic through the router while faults hit it" {
	prime
	floods_start
	stream_start prot4 "$NS_C" 10.0.2.2 5001
	stream_start prot6 "$NS_C" fd00:2::2 5002
	transfers 3>&- &
	local transfers_pid=$!
	side_streams 3>&- &
	local side_pid=$!
	dump_loop 3>&- &
	local dump_pid=$!

	# Whole rounds until the time is up: every fault runs at least once
	# however slow the guest (a busy host can make a round take minutes).
	local end=$((SECONDS + SOAK_DURATION)) rounds=0 action
	while ((rounds == 0 || SECONDS < end)); do
		for action in $(shuf -e "${ACTIONS[@]}"); do
			((rounds == 0 || SECONDS < end)) || break
			progress "$action"
			run_action "$action"
			nap 10
		done
		rounds=$((rounds + 1))
	done
	local faults_took=$((SECONDS - end + SOAK_DURATION))
	progress end

	touch "$SOAK/stop"
	flood_stop "$NS_C"
	flood_stop "$NS_X"
	# Everything has 5 minutes to end (a transfer's own timeout); what is
	# still running then is killed and counted as it stands.
	local pid deadline=$((SECONDS + 300))
	stream_wait prot4 300
	stream_wait prot6 $((deadline - SECONDS > 0 ? deadline - SECONDS : 1))
	for pid in "$transfers_pid" "$side_pid" "$dump_pid"; do
		wait_bounded "$pid" $((deadline - SECONDS > 0 ? deadline - SECONDS : 1)) || true
	done
	event prot4 "$(stream_verdict prot4)"
	event prot6 "$(stream_verdict prot6)"

	summary | sed 's/^/# /' >&3
	local f
	for f in "$SOAK"/failed.* "$SOAK"/transfer-failed.*; do
		[ -e "$f" ] || continue
		echo "--- $f"
		cat "$f"
	done
	cat "$SOAK"/prot*.err
	grep -qx 'prot4 intact 1' "$SOAK/events" && grep -qx 'prot6 intact 1' "$SOAK/events" ||
		cat "$SOAK/progress"

	# What must hold: the protected streams and transfers intact, nothing
	# that completed corrupt, and every fault done at least once, never
	# failing.
	run grep -E ' (FAILED|corrupt) ' "$SOAK/events"
	assert_failure
	grep -qx 'prot4 intact 1' "$SOAK/events" || fail "the IPv4 stream c->s did not arrive intact"
	grep -qx 'prot6 intact 1' "$SOAK/events" || fail "the IPv6 stream c->s did not arrive intact"
	grep -q '^transfer intact ' "$SOAK/events" || fail "no transfer completed"
	for action in "${ACTIONS[@]}"; do
		grep -q "^$action ok " "$SOAK/events" || fail "fault $action never ran"
	done
}

@test "soak: the module unloads and its slab caches are gone" {
	run rmmod fastpath
	assert_success
	local cache
	while read -r cache; do
		[ ! -e "/sys/kernel/slab/$cache" ] || fail "slab cache $cache survived rmmod fastpath"
	done <"$SOAK/caches"
}
