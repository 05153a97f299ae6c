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

@test "help: fpctl help, -h and --help print the same usage on stdout" {
	run --separate-stderr "$FPCTL" help
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 0 "Usage: fpctl [OPTIONS] OBJECT [COMMAND [ARGUMENTS]]"
	assert_line "       fpctl enable dev IFNAME"
	assert_line "       fpctl rule del pref N"
	assert_line "       fpctl monitor [ flow ] [ counters [ interval MS ] ]"
	assert_line "OBJECT := { enable | disable | dev | rule | flow | stats | config | monitor }"
	local help=$output
	run "$FPCTL" -h
	assert_success
	assert_output "$help"
	run "$FPCTL" --help
	assert_output "$help"
	# Every object and every command is listed.
	local w
	for w in "enable dev" "disable dev" "dev show" "rule show" "rule add" "rule del" \
		"rule flush" "flow show" "flow get" "flow flush" "stats" "config show" \
		"config set" "monitor"; do
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
	run "$FPCTL" config help
	assert_line --index 0 "Usage: fpctl config show"
	run "$FPCTL" stats help
	assert_output "Usage: fpctl stats"
	run "$FPCTL" enable help
	assert_output "Usage: fpctl enable dev IFNAME"
	run "$FPCTL" dev help
	assert_output "Usage: fpctl dev show [ dev IFNAME ]"
	run "$FPCTL" monitor help
	assert_output "Usage: fpctl monitor [ flow ] [ counters [ interval MS ] ]"
}

@test "usage: no object prints the usage on stderr and exits 2" {
	run --separate-stderr "$FPCTL"
	assert_failure 2
	assert_output ""
	[[ $stderr == "Usage: fpctl [OPTIONS] OBJECT"* ]] || fail "stderr: $stderr"
	run --separate-stderr "$FPCTL" -j
	assert_failure 2
}

@test "version: -V without the module says so and succeeds" {
	run --separate-stderr "$FPCTL" -V
	assert_success
	assert_output "fpctl $VERSION, module not loaded"
	assert_equal "$stderr" ""
	run "$FPCTL" --version
	assert_success
	assert_output "fpctl $VERSION, module not loaded"
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
	rule show
	rule
	rule show pref 5
	rule add action bypass
	rule add pref 10 iif lo src fd00:1::/64 dst fd00::/8 action accelerate
	rule add pref 10 iif lo oif lo src 10.0.0.0/8 dst 10.1.0.0/16 proto tcp sport 1-2 dport 80 dscp 46 mark 0x10/0xf0 action accelerate
	rule del pref 10
	rule flush
	flow
	flow show
	flow show family 6 dev lo src fd00::/16 dst fd00::1 proto udp sport 1 dport 2
	flow get proto tcp src 10.0.0.1 dst 10.0.0.2 sport 1 dport 2
	flow get family 6 proto udp src fd00::1 dst fd00::2 sport 1 dport 2
	flow flush
	flow flush proto udp
	stats
	config
	config show
	config set flow-limit 10 tcp-timeout 20 udp-timeout 30 stats-interval 100
	monitor
	monitor flow
	monitor counters interval 500
	-j stats
	-j -p -s rule show
	CMDS
}

@test "errors: objects, commands and options" {
	bad 2 'unknown object "rules", try "fpctl help"' rules show
	bad 2 'unknown object "Rule", try "fpctl help"' Rule show
	bad 2 'unknown command "list" for "rule", try "fpctl rule help"' rule list
	bad 2 'unknown command "sh" for "rule", try "fpctl rule help"' rule sh
	bad 2 'unknown command "delete" for "rule", try "fpctl rule help"' rule delete pref 1
	bad 2 'unknown command "get" for "dev", try "fpctl dev help"' dev get
	bad 2 'unknown command "sett" for "config", try "fpctl config help"' config sett udp-timeout 5
	bad 2 'unknown option "-x", try "fpctl help"' -x rule show
	bad 2 'unknown option "--jsonn", try "fpctl help"' --jsonn rule show
	bad 2 'missing value for "-n"' -n
	bad 2 'missing value for "--netns"' --netns
	bad 2 'invalid network namespace name "../x"' -n ../x stats
}

@test "errors: unknown, repeated and value-less keywords" {
	bad 2 'unknown keyword "prefs" for "rule add"' rule add prefs 5 action bypass
	bad 2 'unknown keyword "device" for "enable"' enable device lo
	bad 2 'unknown keyword "ifname" for "disable"' disable ifname lo
	bad 2 'unknown keyword "name" for "dev show"' dev show name lo
	bad 2 'unknown keyword "foo" for "rule flush"' rule flush foo bar
	bad 2 'unknown keyword "all" for "rule show"' rule show all
	bad 2 'unknown keyword "port" for "flow show"' flow show port 80
	bad 2 'unknown keyword "dev" for "flow get"' flow get dev lo
	bad 2 'unknown keyword "all" for "flow flush"' flow flush all
	bad 2 'unknown keyword "x" for "stats"' stats x
	bad 2 'unknown keyword "x" for "config show"' config show x
	bad 2 'unknown keyword "timeout" for "config set"' config set timeout 5
	bad 2 'unknown keyword "flows" for "monitor"' monitor flows
	bad 2 'missing value for "action"' rule add pref 5 action
	bad 2 'missing value for "pref"' rule del pref
	bad 2 'missing value for "dev"' enable dev
	bad 2 'missing value for "dport"' flow show dport
	bad 2 'missing value for "udp-timeout"' config set udp-timeout
	bad 2 'missing value for "interval"' monitor counters interval
	bad 2 'duplicate keyword "pref" for "rule add"' rule add pref 5 pref 6 action bypass
	bad 2 'duplicate keyword "dev" for "enable"' enable dev lo dev lo
	bad 2 'duplicate keyword "proto" for "flow show"' flow show proto tcp proto udp
	bad 2 'missing keyword "action" for "rule add"' rule add pref 5 proto tcp
	bad 2 'missing keyword "pref" for "rule del"' rule del
	bad 2 'missing keyword "dev" for "enable"' enable
	bad 2 'missing keyword "dev" for "disable"' disable
	bad 2 'missing keyword "proto" for "flow get"' flow get src 10.0.0.1 dst 10.0.0.2 sport 1 dport 2
	bad 2 'missing keyword "dport" for "flow get"' flow get proto udp src 10.0.0.1 dst 10.0.0.2 sport 1
	bad 2 'nothing to set for "config set"' config set
	bad 2 '"interval" must follow "counters" once' monitor interval 500
	bad 2 '"interval" must follow "counters" once' monitor counters interval 500 interval 600
}

@test "errors: bad values" {
	bad 2 'invalid prefix "10.0.0.0/33"' rule add dst 10.0.0.0/33 action bypass
	bad 2 'invalid prefix "10.0.0/8"' rule add src 10.0.0/8 action bypass
	bad 2 'invalid prefix "fd00::/129"' rule add src fd00::/129 action bypass
	bad 2 'invalid prefix "10.0.0.0/-1"' flow show src 10.0.0.0/-1
	bad 2 'invalid prefix "10.0.0.0/"' flow flush dst 10.0.0.0/
	bad 2 'invalid prefix "host.example"' rule add src host.example action bypass
	bad 2 'invalid address "10.0.0.0/8"' flow get proto udp src 10.0.0.0/8 dst 10.0.0.2 sport 1 dport 2
	bad 2 'address families do not match' rule add src 10.0.0.0/8 dst fd00::/8 action bypass
	bad 2 'address families do not match' flow show family 6 src 10.0.0.1
	bad 2 'address families do not match' flow show src 10.0.0.1 family 6
	bad 2 'port out of range "70000"' rule add dport 70000 action bypass
	bad 2 'port out of range "1-65536"' rule add sport 1-65536 action bypass
	bad 2 'port out of range "65536"' flow show dport 65536
	bad 2 'invalid port "http"' rule add dport http action bypass
	bad 2 'invalid port "-1"' flow show sport -1
	bad 2 'invalid port "80-"' rule add dport 80- action bypass
	bad 2 'invalid port "80-90"' flow show dport 80-90
	bad 2 'invalid port range "90-80"' rule add dport 90-80 action bypass
	bad 2 'invalid value "0" for "pref"' rule add pref 0 action bypass
	bad 2 'invalid value "4294967296" for "pref"' rule add pref 4294967296 action bypass
	bad 2 'invalid value "-1" for "pref"' rule del pref -1
	bad 2 'invalid value "1x" for "pref"' rule show pref 1x
	bad 2 'invalid value "0x10" for "pref"' rule show pref 0x10
	bad 2 'invalid port "0x50"' flow show dport 0x50
	bad 2 'invalid prefix "10.0.0.0/0x8"' flow show dst 10.0.0.0/0x8
	bad 2 'invalid value "64" for "dscp"' rule add dscp 64 action bypass
	bad 2 'invalid value "icmp" for "proto"' rule add proto icmp action bypass
	bad 2 'invalid value "TCP" for "proto"' flow show proto TCP
	bad 2 'invalid value "drop" for "action"' rule add action drop
	bad 2 'invalid value "0x1/0x100000000" for "mark"' rule add mark 0x1/0x100000000 action bypass
	bad 2 'invalid value "x" for "mark"' rule add mark x action bypass
	bad 2 'invalid value "0x10/" for "mark"' rule add mark 0x10/ action bypass
	bad 2 'invalid value "4294967296" for "mark"' rule add mark 4294967296 action bypass
	bad 2 'invalid value "123456789012345678901234567890/1" for "mark"' rule add mark 123456789012345678901234567890/1 action bypass
	bad 2 'invalid value "5" for "family"' flow show family 5
	bad 2 'invalid value "inet" for "family"' flow flush family inet
	bad 2 'invalid value "99" for "stats-interval"' config set stats-interval 99
	bad 2 'invalid value "0" for "flow-limit"' config set flow-limit 0
	bad 2 'invalid value "ten" for "udp-timeout"' config set udp-timeout ten
	bad 2 'invalid value "50" for "interval"' monitor counters interval 50
	bad 2 'invalid device name "abcdefghijklmnop"' enable dev abcdefghijklmnop
	bad 2 'invalid device name ""' dev show dev ''
}

@test "errors: unknown devices are status 1, found before any netlink" {
	bad 1 'device "nosuch0" not found' rule add iif nosuch0 action bypass
	bad 1 'device "nosuch0" not found' rule add oif nosuch0 action bypass
	bad 1 'device "nosuch0" not found' flow show dev nosuch0
	bad 1 'device "nosuch0" not found' flow flush dev nosuch0
	bad 1 'cannot open network namespace "nosuch-ns": No such file or directory' -n nosuch-ns stats
}

@test "errors: the first error wins and nothing after it is read" {
	bad 2 'unknown keyword "foo" for "rule add"' rule add foo 1 dport 70000
	bad 2 'port out of range "70000"' rule add dport 70000 foo 1
}
