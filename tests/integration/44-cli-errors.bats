#!/usr/bin/env bats
# What the real module refuses: each refusal gives exactly one "Error: ..."
# line on stderr (the kernel's extack message), nothing on stdout, status 1,
# and changes nothing.  Empty tables print [] and all JSON parses.  Names
# the kernel takes for devices that do not exist yet (enable, rules)
# succeed, with the kernel's warning where it gives one.  Malformed command
# lines (status 2) never reach the kernel: tests/host/cli.bats checks each
# message and that fpctl opened no netlink socket for it.
#
#   44-cli-errors-e
#     e0 (enabled) -- e1 (veth), rules 100 and 200; later ppp0 (veth, to
#     ppp0p) created and deleted

load ../lib/api

setup() {
	api_dmesg_mark
	NS=$(api_ns e)
	api_ns_add "$NS"
	ip -n "$NS" -b - <<-EOF
	link add e0 type veth peer name e1
	link set e0 up
	link set e1 up
	EOF
	fpctl -n "$NS" -batch - <<-'EOF'
	enable dev e0
	rule add pref 100 proto udp dport 53 action bypass
	rule add pref 200 dst 10.0.0.0/8 action accelerate
	EOF
	BEFORE=$(api_snapshot "$NS")
}

teardown() {
	api_ns_del "$NS"
}

# bad STATUS "MESSAGE" ARGS...: fpctl ARGS fails with STATUS and exactly
# "Error: MESSAGE", and the namespace's configuration is as before.
bad() {
	local want_status=$1 msg=$2
	shift 2
	run --separate-stderr fpctl -n "$NS" "$@"
	if [ "$status" -ne "$want_status" ] || [ "$stderr" != "Error: $msg" ] ||
	   [ -n "$output" ]; then
		fail "fpctl $*: status $status (want $want_status), stdout '$output', stderr '$stderr' (want 'Error: $msg')"
	fi
	assert_equal "$(api_snapshot "$NS")" "$BEFORE"
}

# good NS "WARNING" ARGS...: fpctl ARGS in namespace NS succeeds, prints
# nothing on stdout and exactly WARNING (empty: nothing) on stderr.
good() {
	local ns=$1 want=$2
	shift 2
	run --separate-stderr fpctl -n "$ns" "$@"
	assert_success
	assert_output ""
	assert_equal "$stderr" "$want"
}

# The kernel's own messages (extack, kernel/netlink.c and dev.c), passed
# through by fpctl.
@test "cli errors: the kernel refuses (extack)" {
	bad 1 "device not found" dev show dev nosuch0
	bad 1 "loopback device not supported" enable dev lo
	bad 1 "rule with this pref exists" rule add pref 100 action accelerate
	bad 1 "rule with this pref exists" rule add pref 200 proto tcp action bypass
	bad 1 "no rule with this pref" rule del pref 150
	bad 1 "no rule with this pref" rule show pref 150
	bad 1 "flow not found" flow get proto udp src 10.9.9.9 dst 10.8.8.8 sport 1 dport 2
	bad 1 "conntrack has no connection with this tuple" \
		flow explain proto udp src 10.9.9.9 dst 10.8.8.8 sport 1 dport 2
	bad 1 "conntrack has no connection with this tuple" \
		flow explain family 6 proto tcp src fd00::1 dst fd00::2 sport 1 dport 2 zone 7
	api_dmesg_clean
}

# A device is enabled by name: before it exists (the kernel's warning,
# status 0), waiting while it does not, enabled once it does.
@test "cli: enabling a name no device has yet warns and waits for it" {
	good "$NS" "Warning: no such device yet: enabled when it appears" enable dev ppp0
	run --separate-stderr fpctl -n "$NS" dev show ppp0
	assert_success
	assert_output "ppp0: waiting rx 0 pkts 0 bytes tx 0 pkts 0 bytes slow 0 pkts"
	fpctl -n "$NS" -j dev show |
		jq -e 'map({ifname, enabled, state, has_index: has("ifindex")}) == [
			{ifname: "e0", enabled: true, state: "enabled", has_index: true},
			{ifname: "ppp0", enabled: true, state: "waiting", has_index: false}]'

	ip -n "$NS" link add ppp0 type veth peer name ppp0p
	local idx
	idx=$(ip -n "$NS" -j link show ppp0 | jq '.[0].ifindex')
	fpctl -n "$NS" -j dev show ppp0 |
		jq -e --argjson i "$idx" '. == [{ifindex: $i, ifname: "ppp0", enabled: true,
			state: "enabled", rx_packets: 0, rx_bytes: 0, tx_packets: 0,
			tx_bytes: 0, slow_packets: 0}]'
	ip -n "$NS" link del ppp0
	run fpctl -n "$NS" dev show ppp0
	assert_output --regexp '^ppp0: waiting '
	# Saved by name, waiting or not.
	run fpctl -n "$NS" save
	assert_line "enable dev e0"
	assert_line "enable dev ppp0"

	# Disabling a name that is not enabled changes nothing, silently.
	good "$NS" "" disable dev nosuch0
	fpctl -n "$NS" disable dev ppp0
	assert_equal "$(api_snapshot "$NS")" "$BEFORE"
	api_dmesg_clean
}

@test "cli: the first device enabled in a namespace warns that conntrack is on" {
	local ns2
	ns2=$(api_ns first)
	api_ns_add "$ns2"
	ip -n "$ns2" link add f0 type veth peer name f1
	good "$ns2" "Warning: connection tracking is on in this netns while a device is enabled" \
		enable dev f0
	good "$ns2" "" enable dev f1
	api_ns_del "$ns2"
	api_dmesg_clean
}

# Rules name devices; the kernel keeps the names (and a trailing *).
@test "cli: rules name devices that do not exist, with wildcards; shown and saved as given" {
	good "$NS" "" rule add pref 300 iif nosuch0 oif 'ppp*' proto udp action bypass
	run fpctl -n "$NS" rule show pref 300
	assert_output "300: iif nosuch0 oif ppp* proto udp action bypass"
	fpctl -n "$NS" -j rule show pref 300 |
		jq -e '.[0] | .iif == "nosuch0" and .oif == "ppp*" and
			(has("iif_index") or has("oif_index") | not)'
	run fpctl -n "$NS" save
	assert_line "rule add pref 300 iif nosuch0 oif ppp* proto udp action bypass"
	fpctl -n "$NS" rule del pref 300
	assert_equal "$(api_snapshot "$NS")" "$BEFORE"
}

@test "cli: disabling a device that is not enabled is a no-op" {
	good "$NS" "" disable dev e1
	assert_equal "$(api_snapshot "$NS")" "$BEFORE"
	run fpctl -n "$NS" -j dev show dev e1
	assert_success
	echo "$output" | jq -e '.[0].ifname == "e1" and .[0].enabled == false'
}

@test "cli: empty tables are [] and every JSON output parses" {
	local ns2
	ns2=$(api_ns empty)
	api_ns_add "$ns2"
	local cmd pretty=""
	for cmd in "dev show" "rule show" "flow show" "flow show family 6" \
		"flow show proto tcp dport 1"; do
		# shellcheck disable=SC2086
		run --separate-stderr fpctl -n "$ns2" -j $cmd
		assert_success
		assert_equal "$stderr" ""
		assert_output "[]"
		# shellcheck disable=SC2086
		run --separate-stderr fpctl -n "$ns2" -j -p $cmd
		assert_success
		pretty+=$output$'\n'
	done
	# One jq for all of them (an exec costs a third of a second under TCG).
	jq -e -n '[inputs] | length == 5 and all(. == [])' <<<"$pretty"
	local docs=""
	for cmd in "stats" "config show" "flow flush" "dev show" "rule show"; do
		# shellcheck disable=SC2086
		docs+=$(fpctl -n "$NS" -j $cmd)$'\n'
		# shellcheck disable=SC2086
		docs+=$(fpctl -n "$NS" -j -p $cmd)$'\n'
	done
	# Ten documents, each parsed on its own.
	jq -e -n '[inputs] | length == 10 and all(type == "object" or type == "array")' \
		<<<"$docs" >/dev/null
	fpctl -n "$ns2" -j flow flush | jq -e '.flushed == 0'
	api_ns_del "$ns2"
	api_dmesg_clean
}
