#!/usr/bin/env bats
# completions/fpctl, driven like bash does: COMP_WORDS and COMP_CWORD set,
# _fpctl called, COMPREPLY checked.  Every option, object, command, keyword
# and enumerated value of "fpctl help" (the real binary's) is offered where
# it belongs.  Device and namespace names come from "ip", the enabled
# devices and rule preferences from "fpctl": both are stubs on PATH here.

setup() {
	bats_load_library bats-support
	bats_load_library bats-assert
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	make -s -C "$TOP/cli" >&2
	STUBS=$BATS_TEST_TMPDIR/bin
	mkdir -p "$STUBS"
	cat >"$STUBS/ip" <<-'STUB'
	#!/bin/sh
	# "ip netns list" and "ip [-n NS] -o link show": two devices, one of
	# them a veth peer.
	if [ "$1 $2" = "netns list" ]; then echo "r1 (id: 0)"; echo "router"; exit 0; fi
	if [ "$1" = -n ]; then echo "1: lo: <LOOPBACK,UP> mtu 65536"; echo "7: ns$2: <UP> mtu 1500"; exit 0; fi
	echo "1: lo: <LOOPBACK,UP> mtu 65536"
	echo "5: wan0@if6: <BROADCAST,UP> mtu 1500"
	echo "6: lan0: <BROADCAST,UP> mtu 1500"
	STUB
	cat >"$STUBS/fpctl" <<-'STUB'
	#!/bin/sh
	# "fpctl [-n NS] rule show", "fpctl [-n NS] -j dev show"
	ns=
	[ "$1" = -n ] && { ns=$2; shift 2; }
	case "$*" in
	"rule show")
		[ -n "$ns" ] && { echo "7: action bypass"; exit 0; }
		echo "10: iif wan0 proto udp dport 53 action bypass"
		echo "20: dst 10.0.0.0/8 action accelerate" ;;
	"-j dev show")
		[ -n "$ns" ] && { echo "[{\"ifindex\":7,\"ifname\":\"ns$ns\",\"enabled\":true}]"; exit 0; }
		echo '[{"ifindex":5,"ifname":"wan0","enabled":true,"rx_packets":1}]' ;;
	esac
	STUB
	chmod +x "$STUBS/ip" "$STUBS/fpctl"
	PATH=$STUBS:$PATH
	# shellcheck source=../../completions/fpctl
	source "$TOP/completions/fpctl"
}

# complete "fpctl ARGS..." with the cursor on the last argument (may be "").
complete_words() {
	COMP_WORDS=(fpctl "$@")
	COMP_CWORD=$#
	COMPREPLY=()
	_fpctl
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

# offers WORD ARGS...: completing "fpctl ARGS... ''" offers WORD.
offers() {
	local want=$1 got
	shift
	got=" $(complete_words "$@" '') "
	[[ $got == *" $want "* ]] || fail "fpctl $* <TAB> offers '$got', not '$want'"
}

@test "completion: registered for fpctl" {
	run complete -p fpctl
	assert_output "complete -F _fpctl fpctl"
}

@test "completion: every word of fpctl help, in the place the help gives it" {
	local help entry tok args values n=0
	help=$("$TOP/cli/fpctl" help)
	# One entry per command: continuation lines joined.
	while read -r entry; do
		read -ra tok <<<"$entry"
		[[ ${tok[0]} == fpctl && ${tok[1]} =~ ^[a-z]+$ && ${tok[1]} != help ]] || continue
		offers "${tok[1]}"
		# Walk the usage: each keyword (or command) is offered after the
		# words before it; { A | B } values after their keyword.
		args=("${tok[1]}")
		values=()
		for t in "${tok[@]:2}"; do
			case $t in
			"[" | "]" | "|") ;;
			"{") values=(-) ;;
			"}")
				for v in "${values[@]:1}"; do offers "$v" "${args[@]}"; done
				args+=("${values[1]}")
				values=()
				;;
			*)
				if ((${#values[@]})); then
					values+=("$t")
				elif [[ $t =~ ^[a-z][a-z-]*$ ]]; then
					offers "$t" "${args[@]}"
					args+=("$t")
					n=$((n + 1))
				else
					args+=(x)
				fi
				;;
			esac
		done
	done < <(sed -e 's/^Usage: //' -e 's/^ *//' <<<"$help" |
		awk '/^fpctl / { if (e) print e; e = $0; next } /^[A-Z]+ :=/ { if (e) print e; e = ""; next }
			{ e = e " " $0 } END { if (e) print e }')
	[ "$n" -ge 40 ] || fail "only $n keywords found in fpctl help"
	# OBJECT := { ... }: every object.
	for t in $(sed -n 's/^OBJECT := {\(.*\)}/\1/p' <<<"$help" | tr -d '|'); do
		offers "$t"
	done
	# OPTIONS: "-j[son]" is -json, offered from "-" and as --json from "--".
	local opts
	opts=$(sed -n '/^OPTIONS :=/,$p' <<<"$help" | grep -oE -- '-[A-Za-z]+\[[a-z]+\]' | tr -d '[]')
	[ "$(wc -w <<<"$opts")" -ge 11 ] || fail "options not found in fpctl help: $opts"
	for t in $opts; do
		[[ " $(complete_words -) " == *" $t "* ]] || fail "'-' does not offer $t"
		[[ $t == -Version ]] && t=-version
		[[ " $(complete_words --) " == *" -$t "* ]] || fail "'--' does not offer -$t"
	done
}

@test "completion: objects and global options" {
	assert_equal "$(complete_words '')" "config dev disable enable flow help monitor rule save stats"
	assert_equal "$(complete_words r)" "rule"
	assert_equal "$(complete_words s)" "save stats"
	assert_equal "$(complete_words -j -s '')" "config dev disable enable flow help monitor rule save stats"
	assert_equal "$(complete_words -json -n r1 '')" "config dev disable enable flow help monitor rule save stats"
	assert_equal "$(complete_words --)" \
		"--batch --force --help --json --netns --oneline --pretty --stats --timestamp --tshort --version"
	assert_equal "$(complete_words -t)" "-timestamp -tshort"
}

@test "completion: commands of each object, abbreviated objects" {
	assert_equal "$(complete_words rule '')" "add del flush help show"
	assert_equal "$(complete_words flow '')" "explain flush get help show"
	assert_equal "$(complete_words dev '')" "help show"
	assert_equal "$(complete_words config s)" "set show"
	assert_equal "$(complete_words -j rule a)" "add"
	assert_equal "$(complete_words fl '')" "explain flush get help show"
	assert_equal "$(complete_words ru a '')" \
		"action dport dscp dst iif mark oif pref proto sport src"
	assert_equal "$(complete_words help '')" "config dev disable enable flow monitor rule save stats"
	assert_equal "$(complete_words help ru '')" "add del flush show"
}

@test "completion: keywords, each offered until used, abbreviated or not" {
	assert_equal "$(complete_words rule add '')" \
		"action dport dscp dst iif mark oif pref proto sport src"
	assert_equal "$(complete_words rule add pref 10 proto tcp '')" \
		"action dport dscp dst iif mark oif sport src"
	assert_equal "$(complete_words rule add pre 10 pro tcp '')" \
		"action dport dscp dst iif mark oif sport src"
	assert_equal "$(complete_words flow show '')" "dev dport dst family proto sport src"
	assert_equal "$(complete_words flow get '')" "dport dst family proto sport src zone"
	assert_equal "$(complete_words flow ex '')" "dport dst family proto sport src zone"
	assert_equal "$(complete_words flow explain proto udp z 1 '')" "dport dst family sport src"
	assert_equal "$(complete_words config set '')" \
		"flow-limit stats-interval tcp-timeout udp-timeout verify-interval"
	assert_equal "$(complete_words enable '')" "dev"
	assert_equal "$(complete_words stats '')" "prometheus"
	assert_equal "$(complete_words stats prometheus '')" ""
	assert_equal "$(complete_words save '')" ""
	assert_equal "$(complete_words rule flush '')" ""
}

@test "completion: values: devices, prefs, protocols, actions, families, prefixes" {
	assert_equal "$(complete_words enable dev '')" "lan0 lo wan0"
	assert_equal "$(complete_words rule add iif w)" "wan0"
	assert_equal "$(complete_words rule add i w)" "wan0"
	assert_equal "$(complete_words flow show dev '')" "lan0 lo wan0"
	assert_equal "$(complete_words rule del pref '')" "10 20"
	assert_equal "$(complete_words rule show pref 1)" "10"
	assert_equal "$(complete_words rule add pref '')" ""
	assert_equal "$(complete_words rule add proto '')" "tcp udp"
	assert_equal "$(complete_words rule add pref 5 action '')" "accelerate bypass"
	assert_equal "$(complete_words rule add pref 5 a '')" "accelerate bypass"
	assert_equal "$(complete_words flow flush family '')" "4 6"
	assert_equal "$(complete_words rule add dst '')" "any default"
	assert_equal "$(complete_words flow get src '')" ""
	assert_equal "$(complete_words flow explain dst '')" ""
	assert_equal "$(complete_words flow explain proto '')" "tcp udp"
	assert_equal "$(complete_words rule add dport '')" ""
}

@test "completion: dev show takes a device with or without the dev keyword" {
	assert_equal "$(complete_words dev show '')" "dev lan0 lo wan0"
	assert_equal "$(complete_words dev show dev '')" "lan0 lo wan0"
	assert_equal "$(complete_words dev show wan0 '')" ""
}

@test "completion: disable dev offers only the enabled devices" {
	assert_equal "$(complete_words disable dev '')" "wan0"
	assert_equal "$(complete_words -n r1 disable dev '')" "nsr1"
	assert_equal "$(complete_words enable dev '')" "lan0 lo wan0"
}

@test "completion: -netns NETNS, -n, --netns NETNS and --netns=NETNS" {
	assert_equal "$(complete_words -n '')" "r1 router"
	assert_equal "$(complete_words -netns r)" "r1 router"
	assert_equal "$(complete_words --netns ro)" "router"
	# As one word, and as bash splits it at "=".
	assert_equal "$(complete_words --netns=r)" "--netns=r1 --netns=router"
	assert_equal "$(complete_words --netns = ro)" "router"
	assert_equal "$(complete_words --netns = '')" "r1 router"
	# The namespace is used for devices, enabled devices and prefs.
	assert_equal "$(complete_words -n r1 enable dev '')" "lo nsr1"
	assert_equal "$(complete_words -netns r1 rule del pref '')" "7"
	assert_equal "$(complete_words --netns=r1 rule del pref '')" "7"
	assert_equal "$(complete_words --netns = r1 disable dev '')" "nsr1"
}

@test "completion: -batch FILE completes file names" {
	touch "$BATS_TEST_TMPDIR/fastpath.conf"
	assert_equal "$(complete_words -batch "$BATS_TEST_TMPDIR/fastp")" "$BATS_TEST_TMPDIR/fastpath.conf"
	assert_equal "$(complete_words -force -b "$BATS_TEST_TMPDIR/fastp")" "$BATS_TEST_TMPDIR/fastpath.conf"
	# Then options only: no OBJECT follows.
	assert_equal "$(complete_words -batch x '')" ""
	assert_equal "$(complete_words -batch x -f)" "-force"
}

@test "completion: monitor" {
	assert_equal "$(complete_words monitor '')" "counters flow"
	assert_equal "$(complete_words monitor counters '')" "counters flow interval"
	assert_equal "$(complete_words monitor c '')" "counters flow interval"
	assert_equal "$(complete_words monitor counters interval '')" ""
}

@test "completion: real device names from this host's ip" {
	PATH=${PATH#"$STUBS":}
	run complete_words enable dev l
	assert_output --regexp '(^| )lo( |$)'
}
