# Helpers for the API suites (tests/integration/40-49): netlink fuzzing,
# permissions, namespaces, the YNL client, error texts and large dumps.
# Run inside the VM (tests/vm/run); fastpath.ko is loaded by the runner.

load "$FASTPATH_TOP/tests/lib/topo.bash"

bats_require_minimum_version 1.5.0

# Fail (never skip) when the module, fpctl or a tool is missing.
api_require() {
	[ -d /sys/module/fastpath ] || fail "fastpath module is not loaded"
	require fpctl gojq ip "$@"
}

# Namespaces of this file: "<file prefix>-<name>".
api_ns() {
	echo "$NS_PREFIX-$1"
}

api_ns_add() {
	ip netns del "$1" 2>/dev/null || true
	ip netns add "$1"
	ip -n "$1" link set lo up
}

api_ns_del() {
	local ns
	for ns in "$@"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null || true
	done
	return 0
}

# Run a command in namespace $1, or in the current one when $1 is empty.
api_in() {
	local ns=$1
	shift
	if [ -n "$ns" ]; then
		ip netns exec "$ns" "$@"
	else
		"$@"
	fi
}

# The configuration an API test must not change, as one JSON document:
# config, rules (without hit counters) and enabled devices (ifindex, ifname,
# enabled: without state and traffic counters).  $1: namespace or empty for
# the current one.  Some suites take one after every command: one fpctl
# for the three (-batch), and the shell rather than jq (a third of a
# second an exec under TCG) takes the counters out.
api_snapshot() {
	local ns=${1:-} config rules devs
	{ read -r config && read -r rules && read -r devs; } < <(
		printf '%s\n' 'config show' 'rule show' 'dev show' |
			fpctl ${ns:+-n "$ns"} -j -batch -) || fail "fpctl: no config, rules and devices"
	rules=$(json_drop "$rules" hits) &&
		devs=$(json_drop "$devs" state rx_packets rx_bytes tx_packets tx_bytes \
			slow_packets xmit_mode xmit_ifname) || return 1
	printf '{"config":%s,"rules":%s,"devs":%s}\n' "$config" "$rules" "$devs"
}

# JSON text $1 (fpctl -j's plain output, one line) without the members
# named $2..., whose values are numbers or strings and which are never the
# first member of their object.
json_drop() {
	local json=$1 key part parts re='^(-?[0-9]+|"[^"]*")(.*)$'
	shift
	for key; do
		# Split where each such member starts; each part after the first
		# then begins with its value.
		IFS=$'\1' read -r -d '' -a parts <<<"${json//,\""$key"\":/$'\1'}" || true
		json=${parts[0]}
		for part in "${parts[@]:1}"; do
			[[ $part =~ $re ]] || fail "json_drop: no value for $key in $1"
			json+=${BASH_REMATCH[2]}
		done
		json=${json%$'\n'}
	done
	printf '%s\n' "$json"
}

# Kernel log: remember where it ends, later check what was added (one
# dmesg each, the rest in the shell: these run around every API test).
api_dmesg_mark() {
	local lines
	mapfile -t lines < <(dmesg)
	echo "${#lines[@]}" >"$BATS_FILE_TMPDIR/dmesg.mark"
}

api_dmesg_clean() {
	local from new line bad=()
	from=$(<"$BATS_FILE_TMPDIR/dmesg.mark")
	mapfile -t -s "$from" new < <(dmesg)
	for line in "${new[@]}"; do
		if [[ $line =~ WARNING:|BUG:|Oops|general\ protection|KASAN|lockdep|unreferenced\ object|refcount_t|list_add\ corruption|list_del\ corruption|slab.*corrupt|Poison\ overwritten ]]; then
			bad+=("$line")
		fi
	done
	[ "${#bad[@]}" -eq 0 ] || fail "kernel log not clean: $(printf '\n%s' "${bad[@]}")"
}

# Run as nobody without any capability or group ($1: namespace or empty).
api_nobody() {
	local ns=$1
	shift
	api_in "$ns" setpriv --reuid 65534 --regid 65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all -- "$@"
}

# The kernel's YNL tools: scripts/ynl-extract when it is there, else the
# same extraction into a cache of our own.  Prints the tools/net/ynl path.
api_ynl_dir() {
	local top=$FASTPATH_TOP dest src root
	if [ -x "$top/scripts/ynl-extract" ]; then
		dest=$("$top/scripts/ynl-extract") || return 1
	else
		dest=$top/build/ynl
		if [ ! -f "$dest/.done" ]; then
			src=$(ls /usr/src/linux-source-6.12*.tar.xz | sort -V | tail -n1)
			[ -n "$src" ] || return 1
			root=$(basename "$src" .tar.xz)
			rm -rf "$dest" && mkdir -p "$dest"
			tar -xJf "$src" -C "$dest" --strip-components=1 --wildcards \
				"$root/tools/net/ynl" "$root/Documentation/netlink/genetlink*.yaml" ||
				return 1
			touch "$dest/.done"
		fi
	fi
	echo "$dest"
}

# ynl NS ARGS...: the YNL CLI on uapi/fastpath.yaml, JSON output.  The
# schema is checked once by its own test; here only the wire matters.
# Between ynl_serve_start and ynl_serve_stop one Python process answers
# every call (tests/lib/ynlserve.py runs cli.py's main() for each).
ynl() {
	local ns=$1
	shift
	set -- --spec "$FASTPATH_TOP/uapi/fastpath.yaml" --no-schema --output-json "$@"
	if [ -z "${YNL_SERVE:-}" ]; then
		api_in "$ns" /usr/bin/python3 "$YNL_DIR/tools/net/ynl/cli.py" "$@"
		return
	fi
	local reply status nout nerr line
	kill -0 "$(<"$YNL_SERVE/pid")" 2>/dev/null ||
		fail "the YNL server is gone: $(<"$YNL_SERVE/log")"
	# Opened read-write, so that neither end waits for the other to open.
	exec {reply}<>"$YNL_SERVE/out"
	printf '%s\0' "${ns:+/run/netns/$ns}" "$@" >"$YNL_SERVE/in"
	if ! read -r -t 300 -u "$reply" status nout nerr; then
		exec {reply}<&-
		fail "the YNL server did not answer: $(<"$YNL_SERVE/log")"
	fi
	for ((; nout > 0; nout--)); do
		IFS= read -r -u "$reply" line && printf '%s\n' "$line"
	done
	for ((; nerr > 0; nerr--)); do
		IFS= read -r -u "$reply" line && printf '%s\n' "$line" >&2
	done
	exec {reply}<&-
	return "$status"
}

# Answer the ynl calls of the rest of this file (and its tests) from one
# Python process: starting Python and parsing the spec take seconds a call
# under TCG.  Call from setup_file after setting YNL_DIR.
ynl_serve_start() {
	export YNL_SERVE=$BATS_FILE_TMPDIR/ynl-serve
	mkdir -p "$YNL_SERVE"
	mkfifo "$YNL_SERVE/in" "$YNL_SERVE/out"
	/usr/bin/python3 "$FASTPATH_TOP/tests/lib/ynlserve.py" "$YNL_DIR" "$YNL_SERVE" \
		</dev/null >"$YNL_SERVE/log" 2>&1 3>&- &
	echo "$!" >"$YNL_SERVE/pid"
}

ynl_serve_stop() {
	[ -n "${YNL_SERVE:-}" ] || return 0
	kill "$(<"$YNL_SERVE/pid")" 2>/dev/null || true
	unset YNL_SERVE
}

# A test program from tests/fuzz in $BATS_FILE_TMPDIR; further arguments
# are pkg-config packages it links with.  tests/fuzz/Makefile builds it in
# build/tests/ unless it is there and up to date (scripts/check builds them
# all on the host: a compiler under TCG takes seconds a file).
api_build() {
	local name=$1
	shift
	make -s -C "$FASTPATH_TOP/tests/fuzz" "$name" PKGS="$*" >&2 &&
		cp "$FASTPATH_TOP/build/tests/$name" "$BATS_FILE_TMPDIR/$name"
}

# Run "$@" on CPU 0 beside a real-time task that sleeps a millisecond at a
# time on the same CPU; print the command's wall time, its system time and
# the longest the task waited beyond its sleep (ms).  The kernels are
# voluntarily preemptible: the task runs as soon as the command's kernel
# path reaches a point where it may yield, and a path that never yields
# keeps it waiting as long as itself.  The command's stdout goes to
# $BATS_TEST_TMPDIR/hold.out.
api_cpu_hold() {
	local ready=$BATS_TEST_TMPDIR/probe.ready out=$BATS_TEST_TMPDIR/probe.out
	local probe i t0 t1 sys rc=0
	rm -f "$ready"
	taskset -c 0 chrt -f 50 python3 -c '
import signal, sys, time
running = True
def stop(*_):
    global running
    running = False
signal.signal(signal.SIGTERM, stop)
open(sys.argv[1], "w").close()
worst = 0.0
while running:
    t = time.monotonic()
    time.sleep(0.001)
    worst = max(worst, time.monotonic() - t - 0.001)
print(round(worst * 1000))
' "$ready" >"$out" &
	probe=$!
	for i in $(seq 1 100); do
		[ -e "$ready" ] && break
		sleep 0.1
	done
	[ -e "$ready" ] || fail "the latency probe did not start"
	t0=${EPOCHREALTIME/./}
	sys=$( { TIMEFORMAT=%3S
		time taskset -c 0 "$@" >"$BATS_TEST_TMPDIR/hold.out" 2>&1; } 2>&1) || rc=$?
	t1=${EPOCHREALTIME/./}
	kill -TERM "$probe"
	wait "$probe" || fail "the latency probe failed"
	[ "$rc" = 0 ] || fail "$* failed ($rc): $(cat "$BATS_TEST_TMPDIR/hold.out")"
	echo "$(((t1 - t0) / 1000)) $((10#${sys/./})) $(cat "$out")"
}

# Reshape YNL's JSON (stdin) like fpctl -j prints it, so that the two can be
# compared with jq: dashes in keys become underscores, binary addresses
# become text, families 4/6, protocols and devices by name, booleans.
# Device names resolve in the namespace the YNL output came from.
# $1: dev | rule | flow | stats | config; $2: namespace (default: current).
ynl_as_fpctl() {
	api_in "${2:-}" /usr/bin/python3 -c '
import ipaddress, json, socket, sys

kind = sys.argv[1]
fam = {2: 4, 10: 6}
protos = {6: "tcp", 17: "udp"}

def keys(v):
    if isinstance(v, dict):
        return {k.replace("-", "_"): keys(x) for k, x in v.items()}
    if isinstance(v, list):
        return [keys(x) for x in v]
    return v

def ip(h):
    return str(ipaddress.ip_address(bytes.fromhex(h)))

def devs(d):
    """fpctl: "iif" the name (when the index has one), "iif_index"."""
    for k in ("iif", "oif"):
        if k in d:
            d[k + "_index"] = d.pop(k)
            try:
                d[k] = socket.if_indextoname(d[k + "_index"])
            except OSError:
                pass
    return d

def rule(r):
    devs(r)
    for k in ("iif", "oif"):
        if k + "name" in r:
            r[k] = r.pop(k + "name")
    if "family" in r:
        r["family"] = fam[r["family"]]
    for k in ("src", "dst"):
        if k in r:
            r[k] = "%s/%d" % (ip(r[k]), r.pop(k + "_len"))
    if "proto" in r:
        r["proto"] = protos.get(r["proto"], "unknown")
    return r

def tup(t):
    devs(t)
    for k in ("src", "dst"):
        t[k] = ip(t[k])
        t["xlat_" + k] = ip(t["xlat_" + k]) if "xlat_" + k in t else t[k]
    for k in ("sport", "dport"):
        t.setdefault("xlat_" + k, t[k])
    t["offloaded"] = bool(t.get("offloaded", 0))
    return t

def flow(f):
    f["family"] = fam[f["family"]]
    f["proto"] = protos.get(f["proto"], "unknown")
    for k in ("orig", "reply"):
        f[k] = tup(f[k])
    return f

def dev(d):
    d["enabled"] = bool(d["enabled"])
    d["state"] = ("disabled" if not d["enabled"] else
                  "enabled" if "ifindex" in d else "waiting")
    return d

v = keys(json.load(sys.stdin))
conv = {"rule": rule, "flow": flow, "dev": dev}.get(kind)
if conv:
    v = [conv(x) for x in v] if isinstance(v, list) else conv(v)
json.dump(v, sys.stdout, sort_keys=True)
print()
' "$1"
}

# Prepare the standard topology for api_connections: r tracks connections
# (a forward rule on conntrack state, as any stateful router has), and c
# drops the port-unreachable errors its kernel would send for the replies
# udp-flows reads from a raw socket.
api_flows_prepare() {
	r nft -f - <<-'NFT'
	table inet api_router {
		chain forward {
			type filter hook forward priority filter; policy accept;
			ct state established,related counter
		}
	}
	NFT
	c nft -f - <<-'NFT'
	table ip api_client {
		chain output {
			type filter hook output priority filter; policy accept;
			icmp type destination-unreachable drop
		}
	}
	NFT
}

# Fail unless the router in namespace $1 has $2 flows, saying what became
# of the others: learned, removed and refused counts, verification and
# exceptions, the neighbours, and the first connection's explanation.
api_expect_flows() {
	local n
	n=$(api_in "$1" fpctl -j stats | jq .flows_active)
	[ "$n" = "$2" ] && return 0
	api_in "$1" fpctl -s stats
	api_in "$1" ip neigh
	api_in "$1" fpctl flow explain proto udp src 10.0.1.2 dst 10.0.2.2 sport 10000 dport 7000
	fail "$n flows, not $2"
}

# COUNT UDP connections from c (10.0.1.2) to s (10.0.2.2), one request and
# one reply each, server ports from FIRST_PORT (default 7000).  Needs
# api_build udp-flows and api_flows_prepare.
api_connections() {
	run "$BATS_FILE_TMPDIR/udp-flows" -c "$NS_C" -s "$NS_S" \
		-a 10.0.1.2 -d 10.0.2.2 -n "$1" -p "${2:-7000}"
	echo "$output"
	assert_success
}
