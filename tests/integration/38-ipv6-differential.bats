#!/usr/bin/env bats
# IPv6 differential suite: for each router configuration, the frames r
# sends with fastpath enabled are the frames it sends with fastpath
# disabled (tests/lib/diff.bash: the same crafted UDP, with a traffic class
# and flow label, and TCP exchange in both runs, captured on the far sides,
# compared field by field), and the fast path takes the traffic, or explain
# says why it does not.
#
#   c                        r (the case's configuration)        s
#   c0 fd00:1::2/64 ------ r0 fd00:1::1   r1 fd00:2::1 ------ s0 fd00:2::2/64
#   TX checksum offload off (everywhere)                        TX offload off
#   tcpdump -Q in                                               tcpdump -Q in,
#                                                               UDP echo 7006,
#                                                               TCP echo 5001

bats_require_minimum_version 1.5.0
load ../lib/diff

setup_file() {
	diff_setup_file
	require ip6tables
}

teardown() {
	diff_teardown
}

@test "differential6: routed, no ruleset at all" {
	diff_case --dst fd00:2::2
}

@test "differential6: routes to s change all through the runs, each stale route taken again" {
	diff_case_route_churn --dst fd00:2::2
}

@test "differential6: NAT66 masquerade" {
	r nft -f - <<-'EOF'
	table ip6 nat {
		chain postrouting {
			type nat hook postrouting priority srcnat; policy accept;
			oifname "r1" masquerade
		}
	}
	EOF
	diff_case --dst fd00:2::2
}

@test "differential6: DNAT66 with a port change (checksums on the wire)" {
	# Liberal tracking: see the IPv4 case (18).
	r sysctl -qw net.netfilter.nf_conntrack_tcp_be_liberal=1
	r nft -f - <<-'EOF'
	table ip6 nat {
		chain prerouting {
			type nat hook prerouting priority dstnat; policy accept;
			iifname "r0" tcp dport 6001 dnat to [fd00:2::2]:5001
			iifname "r0" udp dport 6000 dnat to [fd00:2::2]:7006
		}
	}
	EOF
	diff_case --dst fd00:1::1 --tcp-port 6001 --udp-port 6000
}

@test "differential6: ip6 dscp set cs4 in postrouting is refused (verify dscp)" {
	r nft -f - <<-'EOF'
	table inet mangle {
		chain postrouting {
			type filter hook postrouting priority mangle; policy accept;
			ip6 dscp set cs4
		}
	}
	EOF
	diff_case --dst fd00:2::2 --orig verify:dscp --reply verify:dscp
}

@test "differential6: stateless source rewrite (postrouting, raw prerouting back) is refused" {
	# c's address leaves as fd00:99::2; the replies are turned back before
	# conntrack sees them, so conntrack knows one connection, c <-> s.
	r nft -f - <<-'EOF'
	table ip6 stateless {
		chain prerouting {
			type filter hook prerouting priority raw; policy accept;
			iifname "r1" ip6 daddr fd00:99::2 ip6 daddr set fd00:1::2
		}
		chain postrouting {
			type filter hook postrouting priority mangle; policy accept;
			oifname "r1" ip6 saddr fd00:1::2 ip6 saddr set fd00:99::2
		}
	}
	EOF
	diff_case --dst fd00:2::2 --orig verify:saddr --reply verifying
}

@test "differential6: NPTv6 (ip6tables SNPT/DNPT) is not offloaded (no-reply)" {
	# Prefix translation in mangle: the replies are translated back after
	# conntrack has looked at them, so the connection never sees a reply.
	r ip6tables -t mangle -A POSTROUTING -o r1 -s fd00:1::/64 \
		-j SNPT --src-pfx fd00:1::/64 --dst-pfx fd00:99::/64
	r ip6tables -t mangle -A PREROUTING -i r1 -d fd00:99::/64 \
		-j DNPT --src-pfx fd00:99::/64 --dst-pfx fd00:1::/64
	diff_case --dst fd00:2::2 --orig no-reply --reply no-reply
}
