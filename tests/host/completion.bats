#!/usr/bin/env bats
# completions/fpctl, driven like bash does: COMP_WORDS and COMP_CWORD set,
# _fpctl called, COMPREPLY checked.  Device names come from "ip -o link",
# rule preferences from "fpctl rule show": both are stubs on PATH here.

setup() {
	bats_load_library bats-support
	bats_load_library bats-assert
	STUBS=$BATS_TEST_TMPDIR/bin
	mkdir -p "$STUBS"
	cat >"$STUBS/ip" <<-'STUB'
	#!/bin/sh
	# "ip [-n NS] -o link show": two devices, one of them a veth peer.
	if [ "$1" = -n ]; then echo "1: lo: <LOOPBACK,UP> mtu 65536"; echo "7: ns$2: <UP> mtu 1500"; exit 0; fi
	echo "1: lo: <LOOPBACK,UP> mtu 65536"
	echo "5: wan0@if6: <BROADCAST,UP> mtu 1500"
	STUB
	cat >"$STUBS/fpctl" <<-'STUB'
	#!/bin/sh
	# "fpctl [-n NS] rule show"
	[ "$1" = -n ] && { echo "7: action bypass"; exit 0; }
	echo "10: iif wan0 proto udp dport 53 action bypass"
	echo "20: dst 10.0.0.0/8 action accelerate"
	STUB
	chmod +x "$STUBS/ip" "$STUBS/fpctl"
	PATH=$STUBS:$PATH
	# shellcheck source=../../completions/fpctl
	source "$BATS_TEST_DIRNAME/../../completions/fpctl"
}

# complete "fpctl ARGS..." with the cursor on the last argument (may be "").
complete_words() {
	COMP_WORDS=(fpctl "$@")
	COMP_CWORD=$#
	COMPREPLY=()
	_fpctl
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

@test "completion: registered for fpctl" {
	run complete -p fpctl
	assert_output "complete -F _fpctl fpctl"
}

@test "completion: objects and global options" {
	assert_equal "$(complete_words '')" "config dev disable enable flow help monitor rule stats"
	assert_equal "$(complete_words r)" "rule"
	assert_equal "$(complete_words -j -s '')" "config dev disable enable flow help monitor rule stats"
	assert_equal "$(complete_words --)" "--help --json --netns --pretty --stats --version"
}

@test "completion: commands of each object" {
	assert_equal "$(complete_words rule '')" "add del flush help show"
	assert_equal "$(complete_words flow '')" "flush get help show"
	assert_equal "$(complete_words dev '')" "help show"
	assert_equal "$(complete_words config s)" "set show"
	assert_equal "$(complete_words -j rule a)" "add"
}

@test "completion: keywords, each offered until used" {
	assert_equal "$(complete_words rule add '')" \
		"action dport dscp dst iif mark oif pref proto sport src"
	assert_equal "$(complete_words rule add pref 10 proto tcp '')" \
		"action dport dscp dst iif mark oif sport src"
	assert_equal "$(complete_words flow show '')" "dev dport dst family proto sport src"
	assert_equal "$(complete_words flow get '')" "dport dst family proto sport src"
	assert_equal "$(complete_words config set '')" "flow-limit stats-interval tcp-timeout udp-timeout"
	assert_equal "$(complete_words enable '')" "dev"
	assert_equal "$(complete_words stats '')" ""
	assert_equal "$(complete_words rule flush '')" ""
}

@test "completion: values: devices, prefs, protocols, actions, families" {
	assert_equal "$(complete_words enable dev '')" "lo wan0"
	assert_equal "$(complete_words rule add iif w)" "wan0"
	assert_equal "$(complete_words flow show dev '')" "lo wan0"
	assert_equal "$(complete_words rule del pref '')" "10 20"
	assert_equal "$(complete_words rule show pref 1)" "10"
	assert_equal "$(complete_words rule add pref '')" ""
	assert_equal "$(complete_words rule add proto '')" "tcp udp"
	assert_equal "$(complete_words rule add pref 5 action '')" "accelerate bypass"
	assert_equal "$(complete_words flow flush family '')" "4 6"
	assert_equal "$(complete_words rule add dport '')" ""
}

@test "completion: -n NETNS is used for devices and prefs" {
	assert_equal "$(complete_words -n r1 enable dev '')" "lo nsr1"
	assert_equal "$(complete_words --netns r1 rule del pref '')" "7"
}

@test "completion: monitor" {
	assert_equal "$(complete_words monitor '')" "counters flow"
	assert_equal "$(complete_words monitor counters '')" "counters flow interval"
	assert_equal "$(complete_words monitor counters interval '')" ""
}

@test "completion: real device names from this host's ip" {
	PATH=${PATH#"$STUBS":}
	run complete_words enable dev l
	assert_output --regexp '(^| )lo( |$)'
}
