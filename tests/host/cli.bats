#!/usr/bin/env bats
# fpctl on the host, where the fastpath module is never loaded: usage and
# help, -V, the "module not loaded" error, and every malformed command line
# giving one "Error:" line, status 2 (1 for an unknown device) and no
# netlink traffic (the command line is parsed before a socket is opened,
# which strace confirms).

bats_require_minimum_version 1.5.0

setup_file() {
	make -s -C "$BATS_TEST_DIRNAME/../../cli" >&2
}

setup() {
	bats_load_library bats-support
	bats_load_library bats-assert
	FPCTL=$BATS_TEST_DIRNAME/../../cli/fpctl
	VERSION=$(cat "$BATS_TEST_DIRNAME/../../VERSION")
	[ ! -e /sys/module/fastpath ] || fail "these tests expect no fastpath module"
}

# bad STATUS MESSAGE ARGS...: exactly "Error: MESSAGE" on stderr, nothing on
# stdout, exit STATUS, and no netlink socket was ever opened.
bad() {
	local want=$1 msg=$2 trace=$BATS_TEST_TMPDIR/trace
	shift 2
	run --separate-stderr strace -f -qq -e trace=socket -o "$trace" "$FPCTL" "$@"
	if [ "$status" -ne "$want" ] || [ "$stderr" != "Error: $msg" ] || [ -n "$output" ]; then
		fail "fpctl $*: status $status (want $want), stdout '$output', stderr '$stderr' (want 'Error: $msg')"
	fi
	if grep -q AF_NETLINK "$trace"; then
		fail "fpctl $* opened a netlink socket: $(cat "$trace")"
	fi
}

@test "help: fpctl help, -h, -help and --help print the same usage on stdout" {
	run --separate-stderr "$FPCTL" help
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 0 "Usage: fpctl [ OPTIONS ] OBJECT [ COMMAND [ ARGUMENTS ] ]"
	assert_line "       fpctl [ OPTIONS ] -batch FILE"
	assert_line "       fpctl help [ OBJECT [ COMMAND ] ]"
	assert_line "       fpctl enable dev IFNAME"
	assert_line "       fpctl rule del pref N"
	assert_line "       fpctl monitor [ flow ] [ counters [ interval MS ] ]"
	assert_line "OBJECT := { enable | disable | dev | rule | flow | stats | config | monitor | save }"
	assert_line "OPTIONS := { -j[son] | -p[retty] | -s[tats] | -n[etns] NETNS |"
	local help=$output opt
	for opt in -h -help --help -he; do
		run "$FPCTL" $opt
		assert_success
		assert_output "$help"
	done
	# Every object and every command is listed.
	local w
	for w in "enable dev" "disable dev" "dev show" "rule show" "rule add" "rule del" \
		"rule flush" "flow show" "flow get" "flow flush" "flow explain" "stats" "config show" \
		"config set" "monitor" "save"; do
		assert_line --regexp "^       fpctl $w( |\$)"
	done
}

@test "help: fpctl OBJECT help lists that object's commands" {
	run --separate-stderr "$FPCTL" rule help
	assert_success
	assert_line --index 0 "Usage: fpctl rule show [ pref N ]"
	assert_line --index 1 --regexp '^       fpctl rule add \[ pref N \] \[ iif IFNAME \]'
	assert_line --regexp '^ +\[ mark N\[/MASK\] \] action \{ accelerate \| bypass \}$'
	assert_line "       fpctl rule del pref N"
	assert_line "       fpctl rule flush"
	run "$FPCTL" flow help
	assert_success
	assert_line --index 0 --regexp '^Usage: fpctl flow show \[ family \{ 4 \| 6 \} \] \[ dev IFNAME \]'
	assert_line --regexp '^       fpctl flow get '
	assert_line --regexp '^       fpctl flow flush '
	assert_line --regexp '^       fpctl flow explain \[ family \{ 4 \| 6 \} \] proto \{ tcp \| udp \} src ADDR dst ADDR sport N dport N$'
	assert_line --regexp '^ +\[ zone N \]$'
	run "$FPCTL" config help
	assert_line --index 0 "Usage: fpctl config show"
	run "$FPCTL" stats help
	assert_output "Usage: fpctl stats [ prometheus ]"
	run "$FPCTL" enable help
	assert_output "Usage: fpctl enable dev IFNAME"
	run "$FPCTL" dev help
	assert_output "Usage: fpctl dev show [ [ dev ] IFNAME ]"
	run "$FPCTL" monitor help
	assert_output "Usage: fpctl monitor [ flow ] [ counters [ interval MS ] ]"
	run "$FPCTL" save help
	assert_output "Usage: fpctl save"
}

@test "help: at every level, abbreviated or not" {
	local want
	want=$("$FPCTL" rule help)
	for args in "help rule" "help r" "r help"; do
		run --separate-stderr "$FPCTL" $args
		assert_success
		assert_output "$want"
	done
	want=$("$FPCTL" rule add help)
	assert_equal "$(echo "$want" | head -n1)" \
		"Usage: fpctl rule add [ pref N ] [ iif IFNAME ] [ oif IFNAME ] [ src PREFIX ] [ dst PREFIX ]"
	assert_equal "$(echo "$want" | wc -l)" 3
	for args in "help rule add" "help ru a" "ru a help" "r add help"; do
		run --separate-stderr "$FPCTL" $args
		assert_success
		assert_output "$want"
	done
	run "$FPCTL" flow get help
	assert_output --regexp '^Usage: fpctl flow get \[ family'
	run "$FPCTL" help monitor
	assert_output "Usage: fpctl monitor [ flow ] [ counters [ interval MS ] ]"
	run "$FPCTL" h config set
	assert_output --regexp '^Usage: fpctl config set \[ flow-limit N \]'
	# "dev show" has no help of its own beyond its line.
	run "$FPCTL" dev show help
	assert_output "Usage: fpctl dev show [ [ dev ] IFNAME ]"
}

@test "usage: no object prints the usage on stderr and exits 2" {
	run --separate-stderr "$FPCTL"
	assert_failure 2
	assert_output ""
	[[ $stderr == "Usage: fpctl [ OPTIONS ] OBJECT"* ]] || fail "stderr: $stderr"
	run --separate-stderr "$FPCTL" -j
	assert_failure 2
}

@test "version: -V without the module says so and succeeds" {
	run --separate-stderr "$FPCTL" -V
	assert_success
	assert_output "fpctl $VERSION, module not loaded"
	assert_equal "$stderr" ""
	local opt
	for opt in -Version -Ver --Version --version; do
		run "$FPCTL" $opt
		assert_success
		assert_output "fpctl $VERSION, module not loaded"
	done
}

@test "module not loaded: one clear line and exit 1 for every kernel command" {
	local cmd
	while read -r cmd; do
		# shellcheck disable=SC2086
		run --separate-stderr "$FPCTL" $cmd
		[ "$status" -eq 1 ] || fail "fpctl $cmd: status $status"
		assert_equal "$stderr" "Error: fastpath module not loaded (modprobe fastpath)"
		assert_equal "$output" ""
	done <<-'CMDS'
	enable dev lo
	disable dev lo
	dev show
	dev
	dev show dev lo
	dev show lo
	de sh lo
	rule show
	rule
	rule show pref 5
	rule add action bypass
	rule add pref 10 iif lo src fd00:1::/64 dst fd00::/8 action accelerate
	rule add iif nosuch0 oif ppp* action bypass
	rule add pref 10 iif lo oif lo src 10.0.0.0/8 dst 10.1.0.0/16 proto tcp sport 1-2 dport 80 dscp 46 mark 0x10/0xf0 action accelerate
	rule add src 10/8 dst 192.168.1/24 action bypass
	rule add src default dst fd00::/8 action bypass
	rule add src any action bypass
	rule add src all dst 0/0 action bypass
	ru a pre 10 pro udp dp 53 a bypass
	rule del pref 10
	rule flush
	flow
	flow show
	f s
	fl sh
	flow show family 6 dev lo src fd00::/16 dst fd00::1 proto udp sport 1 dport 2
	flow show src any dst default
	flow get proto tcp src 10.0.0.1 dst 10.0.0.2 sport 1 dport 2
	flow get family 6 proto udp src fd00::1 dst fd00::2 sport 1 dport 2 zone 7
	flow flush
	flow flush proto udp
	flow explain proto tcp src 10.0.0.1 dst 10.0.0.2 sport 1 dport 2
	flow explain family 6 proto udp src fd00::1 dst fd00::2 sport 1 dport 2 zone 65535
	f e pro udp src 10.0.0.1 dst 10.0.0.2 sp 1 dp 2 z 0
	stats
	stats prometheus
	st p
	config
	config show
	config set flow-limit 10 tcp-timeout 20 udp-timeout 30 stats-interval 100
	config set verify-interval 0
	c se f 10 t 20
	monitor
	monitor flow
	monitor counters interval 500
	m c i 500
	save
	sa
	-j stats
	-json dev show
	--json dev show
	-j -p -s rule show
	-json -pretty -stats -oneline -force -timestamp -tshort flow show
	-o -t -ts -f flow show
	CMDS
}

@test "options: as ip spells them, each prefix resolved in ip's order" {
	local trace=$BATS_TEST_TMPDIR/trace
	# -n and -netns switch namespaces before anything else: a missing
	# one is the only error, whatever the spelling.
	for opt in "-n nosuch-ns" "-netns nosuch-ns" "-ne nosuch-ns" "--netns nosuch-ns" \
		"--netns=nosuch-ns" "-j -n nosuch-ns" "-t -n nosuch-ns"; do
		# shellcheck disable=SC2086
		bad 1 'cannot open network namespace "nosuch-ns": No such file or directory' \
			$opt stats
	done
	# -batch FILE, -b FILE, --batch=FILE.
	for opt in "-batch" "-b" "-bat"; do
		bad 1 'cannot open "/nonexistent/x": No such file or directory' $opt /nonexistent/x
	done
	bad 1 'cannot open "/nonexistent/x": No such file or directory' --batch=/nonexistent/x
	# "--" ends the options.
	bad 2 'unknown object "-j", try "fpctl help"' -- -j stats
}

@test "errors: objects, commands and options" {
	bad 2 'unknown object "rules", try "fpctl help"' rules show
	bad 2 'unknown object "Rule", try "fpctl help"' Rule show
	bad 2 'ambiguous object "d" (disable, dev), try "fpctl help"' d show
	bad 2 'ambiguous object "s" (stats, save), try "fpctl help"' s
	bad 2 'unknown command "list" for "rule", try "fpctl rule help"' rule list
	bad 2 'unknown command "delete" for "rule", try "fpctl rule help"' rule delete pref 1
	bad 2 'unknown command "get" for "dev", try "fpctl dev help"' dev get
	bad 2 'unknown command "sett" for "config", try "fpctl config help"' config sett udp-timeout 5
	bad 2 'ambiguous command "s" for "config" (show, set), try "fpctl config help"' config s
	bad 2 'unknown object "foo", try "fpctl help"' help foo
	bad 2 'unknown command "x" for "rule", try "fpctl rule help"' help rule x
	bad 2 'unknown keyword "x" for "help"' help rule add x
	bad 2 'unknown keyword "x" for "help"' help stats x
	bad 2 'unknown option "-x", try "fpctl help"' -x rule show
	bad 2 'unknown option "--jsonn", try "fpctl help"' --jsonn rule show
	bad 2 'unknown option "-jsonn", try "fpctl help"' -jsonn rule show
	# ip takes no bundles of short options.
	bad 2 'unknown option "-jp", try "fpctl help"' -jp rule show
	bad 2 'unknown option "-ps", try "fpctl help"' -ps rule show
	bad 2 'unknown option "-v", try "fpctl help"' -v
	bad 2 'option "--json" takes no value' --json=1 rule show
	bad 2 'missing value for "-n"' -n
	bad 2 'missing value for "--netns"' --netns
	bad 2 'missing value for "-batch"' -batch
	bad 2 'invalid network namespace name "../x"' -n ../x stats
	bad 2 'invalid network namespace name ""' --netns= stats
	bad 2 'unexpected "stats" after "-batch f"' -batch f stats
	bad 2 '"save" has no JSON output' -j save
	bad 2 '"stats prometheus" has no JSON output' -j stats prometheus
}

@test "errors: unknown, ambiguous, repeated and value-less keywords" {
	bad 2 'unknown keyword "prefs" for "rule add"' rule add prefs 5 action bypass
	bad 2 'ambiguous keyword "p" for "rule add" (pref, proto)' rule add p 5 action bypass
	bad 2 'ambiguous keyword "d" for "rule add" (dst, dport, dscp)' rule add d 5 action bypass
	bad 2 'ambiguous keyword "d" for "flow show" (dev, dst, dport)' flow show d lo
	bad 2 'unknown keyword "device" for "enable"' enable device lo
	bad 2 'unknown keyword "ifname" for "disable"' disable ifname lo
	bad 2 'unexpected "lo" after device "name" for "dev show"' dev show name lo
	bad 2 'unexpected "lo" after device "lo" for "dev show"' dev show dev lo lo
	bad 2 'unknown keyword "foo" for "rule flush"' rule flush foo bar
	bad 2 'unknown keyword "all" for "rule show"' rule show all
	bad 2 'unknown keyword "port" for "flow show"' flow show port 80
	bad 2 'unknown keyword "dev" for "flow get"' flow get dev lo
	bad 2 'unknown keyword "dev" for "flow explain"' flow explain dev lo
	bad 2 'unknown keyword "zone" for "flow show"' flow show zone 1
	bad 2 'unknown keyword "z" for "flow flush"' flow flush z 1
	bad 2 'unknown keyword "id" for "flow explain"' flow explain id 5
	bad 2 'unknown keyword "all" for "flow flush"' flow flush all
	bad 2 'unknown keyword "x" for "stats"' stats x
	bad 2 'unknown keyword "x" for "stats prometheus"' stats prometheus x
	bad 2 'unknown keyword "x" for "config show"' config show x
	bad 2 'unknown keyword "timeout" for "config set"' config set timeout 5
	bad 2 'unknown keyword "flows" for "monitor"' monitor flows
	bad 2 'unknown keyword "x" for "save"' save x
	bad 2 'missing value for "action"' rule add pref 5 action
	bad 2 'missing value for "action"' rule add pref 5 act
	bad 2 'missing value for "pref"' rule del pref
	bad 2 'missing value for "dev"' enable dev
	bad 2 'missing value for "dev"' dev show dev
	bad 2 'missing value for "dport"' flow show dport
	bad 2 'missing value for "udp-timeout"' config set udp-timeout
	bad 2 'missing value for "interval"' monitor counters interval
	bad 2 'duplicate keyword "pref" for "rule add"' rule add pref 5 pref 6 action bypass
	bad 2 'duplicate keyword "pref" for "rule add"' rule add pref 5 pre 6 action bypass
	bad 2 'duplicate keyword "dev" for "enable"' enable dev lo dev lo
	bad 2 'duplicate keyword "proto" for "flow show"' flow show proto tcp proto udp
	bad 2 'missing keyword "action" for "rule add"' rule add pref 5 proto tcp
	bad 2 'missing keyword "pref" for "rule del"' rule del
	bad 2 'missing keyword "dev" for "enable"' enable
	bad 2 'missing keyword "dev" for "disable"' disable
	bad 2 'missing keyword "proto" for "flow get"' flow get src 10.0.0.1 dst 10.0.0.2 sport 1 dport 2
	bad 2 'missing keyword "dport" for "flow get"' flow get proto udp src 10.0.0.1 dst 10.0.0.2 sport 1
	bad 2 'missing keyword "src" for "flow explain"' flow explain proto udp dst 10.0.0.2 sport 1 dport 2 zone 3
	bad 2 'missing keyword "sport" for "flow explain"' flow explain proto udp src 10.0.0.1 dst 10.0.0.2 dport 2
	bad 2 'nothing to set for "config set"' config set
	bad 2 '"interval" must follow "counters" once' monitor interval 500
	bad 2 '"interval" must follow "counters" once' monitor counters interval 500 interval 600
}

@test "errors: bad values name the keyword, the value and what is allowed" {
	bad 2 'dst 10.0.0.0/33: prefix length out of range (0-32)' rule add dst 10.0.0.0/33 action bypass
	bad 2 'src fd00::/129: prefix length out of range (0-128)' rule add src fd00::/129 action bypass
	bad 2 'src 10.0.0.0/-1: invalid prefix length (0-32)' flow show src 10.0.0.0/-1
	bad 2 'dst 10.0.0.0/: invalid prefix length (0-32)' flow flush dst 10.0.0.0/
	bad 2 'dst 10.0.0.0/0x8: invalid prefix length (0-32)' flow show dst 10.0.0.0/0x8
	bad 2 'src host.example: invalid prefix (ADDRESS[/LEN], default or any)' rule add src host.example action bypass
	bad 2 'src 10.0.0.256: invalid prefix (ADDRESS[/LEN], default or any)' rule add src 10.0.0.256 action bypass
	bad 2 'src 10.0.0.0.0: invalid prefix (ADDRESS[/LEN], default or any)' rule add src 10.0.0.0.0 action bypass
	bad 2 'src 10.: invalid prefix (ADDRESS[/LEN], default or any)' rule add src 10. action bypass
	# As ip route: host bits set beyond the length are an error.
	bad 2 'src 10.0.0.1/24: host bits set (the prefix is 10.0.0.0/24)' rule add src 10.0.0.1/24 action bypass
	bad 2 'dst fd00::1/64: host bits set (the prefix is fd00::/64)' flow show dst fd00::1/64
	bad 2 'dst 11/7: host bits set (the prefix is 10.0.0.0/7)' rule add dst 11/7 action bypass
	bad 2 'src 10.0.0.0/8: invalid address (IPv4 or IPv6)' flow get proto udp src 10.0.0.0/8 dst 10.0.0.2 sport 1 dport 2
	bad 2 'dst any: invalid address (IPv4 or IPv6)' flow get proto udp src 10.0.0.1 dst any sport 1 dport 2
	bad 2 'dst fd00::/8: IPv6, but src is IPv4' rule add src 10.0.0.0/8 dst fd00::/8 action bypass
	bad 2 'src 10.0.0.1: IPv4, but family is 6' flow show family 6 src 10.0.0.1
	bad 2 'src 10.0.0.1: IPv4, but family is 6' flow show src 10.0.0.1 family 6
	bad 2 'dst 10.0.0.1: IPv4, but src is IPv6' flow get proto tcp src fd00::1 dst 10.0.0.1 sport 1 dport 2
	bad 2 'dport 70000: port out of range (0-65535)' rule add dport 70000 action bypass
	bad 2 'sport 70000: port out of range (0-65535)' flow show sport 70000
	bad 2 'dport 65536: port out of range (0-65535)' flow show dport 65536
	bad 2 'sport 1-65536: port out of range (0-65535)' rule add sport 1-65536 action bypass
	bad 2 'dport 99999999999999999999: port out of range (0-65535)' flow show dport 99999999999999999999
	bad 2 'dport http: invalid port (0-65535)' rule add dport http action bypass
	bad 2 'sport -1: invalid port (0-65535)' flow show sport -1
	bad 2 'dport 80-: invalid port (0-65535)' rule add dport 80- action bypass
	bad 2 'dport 80-90: invalid port (0-65535)' flow show dport 80-90
	bad 2 'dport 0x50: invalid port (0-65535)' flow show dport 0x50
	bad 2 'dport 90-80: invalid port range (N-M with N <= M)' rule add dport 90-80 action bypass
	bad 2 'pref 0: out of range (1-4294967295)' rule add pref 0 action bypass
	bad 2 'pref 4294967296: out of range (1-4294967295)' rule add pref 4294967296 action bypass
	bad 2 'pref -1: not a decimal number (1-4294967295)' rule del pref -1
	bad 2 'pref 1x: not a decimal number (1-4294967295)' rule show pref 1x
	bad 2 'pref 0x10: not a decimal number (1-4294967295)' rule show pref 0x10
	bad 2 'dscp 64: out of range (0-63)' rule add dscp 64 action bypass
	bad 2 'proto icmp: invalid value (tcp, udp)' rule add proto icmp action bypass
	bad 2 'proto TCP: invalid value (tcp, udp)' flow show proto TCP
	bad 2 'action drop: invalid value (accelerate, bypass)' rule add action drop
	bad 2 'mark 0x1/0x100000000: out of range (0-0xffffffff)' rule add mark 0x1/0x100000000 action bypass
	bad 2 'mark 4294967296: out of range (0-0xffffffff)' rule add mark 4294967296 action bypass
	bad 2 'mark 123456789012345678901234567890/1: out of range (0-0xffffffff)' rule add mark 123456789012345678901234567890/1 action bypass
	bad 2 'mark x: invalid mark (N[/MASK])' rule add mark x action bypass
	bad 2 'mark 0x10/: invalid mark (N[/MASK])' rule add mark 0x10/ action bypass
	bad 2 'family 5: invalid value (4, 6)' flow show family 5
	bad 2 'family inet: invalid value (4, 6)' flow flush family inet
	bad 2 'stats-interval 99: out of range (100-4294967295)' config set stats-interval 99
	bad 2 'flow-limit 0: out of range (1-4294967295)' config set flow-limit 0
	bad 2 'verify-interval 3601: out of range (0-3600)' config set verify-interval 3601
	bad 2 'udp-timeout ten: not a decimal number (1-1000000)' config set udp-timeout ten
	bad 2 'tcp-timeout 1000001: out of range (1-1000000)' config set tcp-timeout 1000001
	bad 2 'interval 50: out of range (100-4294967295)' monitor counters interval 50
	bad 2 'dev abcdefghijklmnop: invalid device name (1-15 characters)' enable dev abcdefghijklmnop
	bad 2 'dev : invalid device name (1-15 characters)' dev show dev ''
	bad 2 'iif abcdefghijklmnop: invalid device name (1-15 characters)' rule add iif abcdefghijklmnop action bypass
	bad 2 'iif : invalid device name (1-15 characters)' rule add iif '' action bypass
	bad 2 'oif : invalid device name (1-15 characters)' rule add oif '' action bypass
	bad 2 'zone 65536: out of range (0-65535)' flow explain proto tcp src 10.0.0.1 dst 10.0.0.2 sport 1 dport 2 zone 65536
	bad 2 'zone -1: not a decimal number (0-65535)' flow get proto tcp src 10.0.0.1 dst 10.0.0.2 sport 1 dport 2 zone -1
	bad 2 'dst 10.0.0.0/8: invalid address (IPv4 or IPv6)' flow explain proto tcp src 10.0.0.1 dst 10.0.0.0/8 sport 1 dport 2
	bad 2 'dst fd00::2: IPv6, but family is 4' flow explain family 4 proto tcp src 10.0.0.1 dst fd00::2 sport 1 dport 2
}

# Rules name devices for the kernel to match (they may not exist yet, see
# "module not loaded"); flow filters take a device that exists.
@test "errors: unknown devices are status 1, found before any netlink" {
	bad 1 'dev nosuch0: device not found' flow show dev nosuch0
	bad 1 'dev nosuch0: device not found' flow flush dev nosuch0
	bad 1 'cannot open network namespace "nosuch-ns": No such file or directory' -n nosuch-ns stats
}

@test "errors: the first error wins and nothing after it is read" {
	bad 2 'unknown keyword "foo" for "rule add"' rule add foo 1 dport 70000
	bad 2 'dport 70000: port out of range (0-65535)' rule add dport 70000 foo 1
}

# batch FILE-CONTENT ARGS...: fpctl ARGS with FILE-CONTENT as $BATCH.
batch() {
	BATCH=$BATS_TEST_TMPDIR/batch
	printf '%s\n' "$1" >"$BATCH"
	shift
	run --separate-stderr "$FPCTL" "$@"
}

@test "batch: each failure with FILE:LINE, stop at the first unless -force" {
	local file='# a saved configuration

rule add dport 70000 action bypass   # a bad line
  bogus thing
	stats'
	batch "$file" -batch "$BATS_TEST_TMPDIR/batch"
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "Error: dport 70000: port out of range (0-65535)
Command failed $BATCH:3"
	batch "$file" -force -batch "$BATS_TEST_TMPDIR/batch"
	assert_failure 2
	assert_equal "$stderr" "Error: dport 70000: port out of range (0-65535)
Command failed $BATCH:3
Error: unknown object \"bogus\", try \"fpctl help\"
Command failed $BATCH:4
Error: fastpath module not loaded (modprobe fastpath)
Command failed $BATCH:5"
	# Standard input is "-"; the options apply to every line.
	run --separate-stderr "$FPCTL" -f -b - <<<"$file"
	assert_equal "$(grep -c '^Command failed -:' <<<"$stderr")" 3
	run --separate-stderr "$FPCTL" -j -b - <<-'EOF'
	help rule del
	help stats
	EOF
	assert_success
	assert_output "Usage: fpctl rule del pref N
Usage: fpctl stats [ prometheus ]"
	# Blank lines and comments only: nothing to do.
	batch '   
# only a comment' -batch "$BATS_TEST_TMPDIR/batch"
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
}

@test "batch: a file of command-line errors opens no netlink socket" {
	local trace=$BATS_TEST_TMPDIR/trace
	printf '%s\n' "rule add src 10.0.0.1/24 action bypass" "flow show family 5" \
		>"$BATS_TEST_TMPDIR/batch"
	run --separate-stderr strace -f -qq -e trace=socket -o "$trace" \
		"$FPCTL" -force -batch "$BATS_TEST_TMPDIR/batch"
	assert_failure 2
	assert_equal "$stderr" "Error: src 10.0.0.1/24: host bits set (the prefix is 10.0.0.0/24)
Command failed $BATS_TEST_TMPDIR/batch:1
Error: family 5: invalid value (4, 6)
Command failed $BATS_TEST_TMPDIR/batch:2"
	run grep AF_NETLINK "$trace"
	assert_failure
}

@test "names: cli/names.c is generated from the spec and the only copy of its names" {
	local top=$BATS_TEST_DIRNAME/../..
	run /usr/bin/python3 "$top/cli/gen-names.py" "$top/uapi/fastpath.yaml"
	assert_success
	[ "$output" = "$(cat "$top/cli/names.c")" ] ||
		fail "cli/names.c is stale: run make -C cli names"
	# No other source file has a table of them or spells a compound name.
	run grep -nE '\[FASTPATH_(RULE_ACTION|DEL_REASON|WHY|VERIFY_FIELD|A_EXCEPTIONS|A_CONFIG)_[A-Z_]+( - 1)?\] *=' \
		$(ls "$top"/cli/*.c | grep -v /names.c)
	assert_failure
	local name
	for name in $(grep -oE '"[a-z]+-[a-z-]+",?$' "$top/cli/names.c" | tr -d '",'); do
		run grep -lF "\"$name\"" "$top"/cli/*.c
		assert_output "$top/cli/names.c"
	done
	# Every setting is in the help of config set.
	run "$FPCTL" config set help
	for name in $(sed -n '/fp_config_names/,/};/s/.*= "\(.*\)",/\1/p' "$top/cli/names.c"); do
		assert_output --partial "[ $name "
	done
}
