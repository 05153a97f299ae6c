#!/usr/bin/env bats
# IPv4 differential suite: for each router configuration, the frames r
# sends with fastpath enabled are the frames it sends with fastpath
# disabled (tests/lib/diff.bash: the same crafted UDP and TCP exchange in
# both runs, captured on the far sides, compared field by field), and the
# fast path takes the traffic, or explain says why it does not.
#
#   c                        r (the case's configuration)        s
#   c0 10.0.1.2/24 ------- r0 10.0.1.1    r1 10.0.2.1 ------- s0 10.0.2.2/24
#   TX checksum offload off (everywhere)                        TX offload off
#   tcpdump -Q in                                               tcpdump -Q in,
#                                                               UDP echo 7000,
#                                                               TCP echo 5001

bats_require_minimum_version 1.5.0
load ../lib/diff

setup_file() {
	diff_setup_file
}

teardown() {
	diff_teardown
}

@test "differential: routed, no ruleset at all" {
	diff_case
}

@test "differential: routes to s change all through the runs, each stale route taken again" {
	diff_case_route_churn
}

@test "differential: SNAT to another address" {
	# s reaches the translated address through r.
	s ip route add 10.0.2.100/32 via 10.0.2.1 proto static
	r nft -f - <<-'EOF'
	table ip nat {
		chain postrouting {
			type nat hook postrouting priority srcnat; policy accept;
			oifname "r1" snat to 10.0.2.100
		}
	}
	EOF
	diff_case
}

@test "differential: masquerade" {
	r nft -f - <<-'EOF'
	table ip nat {
		chain postrouting {
			type nat hook postrouting priority srcnat; policy accept;
			oifname "r1" masquerade
		}
	}
	EOF
	diff_case
}

@test "differential: DNAT with a port change (checksums on the wire)" {
	# c talks to r's own address; r forwards to s, another port.  A segment
	# c retransmits after s acknowledged it (TCG stalls) is out of window:
	# strict conntrack would leave it un-NATed, for r to answer with a
	# reset; liberal tracking forwards it.
	r sysctl -qw net.netfilter.nf_conntrack_tcp_be_liberal=1
	r nft -f - <<-'EOF'
	table ip nat {
		chain prerouting {
			type nat hook prerouting priority dstnat; policy accept;
			iifname "r0" tcp dport 6001 dnat to 10.0.2.2:5001
			iifname "r0" udp dport 6000 dnat to 10.0.2.2:7000
		}
	}
	EOF
	diff_case --dst 10.0.1.1 --tcp-port 6001 --udp-port 6000
}

@test "differential: ip dscp set cs4 in postrouting is refused (verify dscp)" {
	r nft -f - <<-'EOF'
	table inet mangle {
		chain postrouting {
			type filter hook postrouting priority mangle; policy accept;
			ip dscp set cs4
		}
	}
	EOF
	diff_case --orig verify:dscp --reply verify:dscp
}

@test "differential: ip ttl set 200 in postrouting is refused (verify ttl)" {
	r nft -f - <<-'EOF'
	table ip mangle {
		chain postrouting {
			type filter hook postrouting priority mangle; policy accept;
			ip ttl set 200
		}
	}
	EOF
	diff_case --orig verify:ttl --reply verify:ttl
}

@test "differential: SYNPROXY on forward is refused (ct-state)" {
	# The client's handshake ends at r, which then opens the connection to
	# s and adjusts every sequence number after.
	r sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0
	r nft -f - <<-'EOF'
	table ip syn {
		chain prerouting {
			type filter hook prerouting priority raw; policy accept;
			iifname "r0" tcp dport 5001 tcp flags syn notrack
		}
		chain forward {
			type filter hook forward priority filter; policy accept;
			tcp dport 5001 ct state invalid,untracked synproxy mss 1460 wscale 7 timestamp sack-perm
			ct state invalid drop
		}
	}
	EOF
	diff_case --orig ct-state --reply ct-state --udp-fast
}

@test "differential: MPLS encap route towards s is refused (route), the reply is not" {
	modprobe -a mpls_router mpls_iptunnel
	# s pops label 100 and delivers what it carried locally.
	s sh -c 'echo 1000 > /proc/sys/net/mpls/platform_labels
		echo 1 > /proc/sys/net/mpls/conf/s0/input'
	s ip -f mpls route replace 100 dev lo
	r ip route add 10.0.2.2/32 encap mpls 100 via 10.0.2.2 dev r1 proto static
	diff_case --orig route --reply offloaded
}

@test "differential: traffic under an IPsec (xfrm) tunnel between r and s is refused (xfrm)" {
	local key=0x0123456789abcdef0123456789abcdef01234567 ns
	# Both directions: c->s is encrypted by r, s->c decrypted by r.
	for ns in "$NS_R" "$NS_S"; do
		ip -n "$ns" -b - <<-EOF
		xfrm state add src 10.0.2.1 dst 10.0.2.2 proto esp spi 0x100 reqid 1 mode tunnel aead rfc4106(gcm(aes)) $key 128
		xfrm state add src 10.0.2.2 dst 10.0.2.1 proto esp spi 0x200 reqid 2 mode tunnel aead rfc4106(gcm(aes)) $key 128
		EOF
	done
	ip -n "$NS_R" -b - <<-'EOF'
	xfrm policy add src 10.0.1.0/24 dst 10.0.2.2/32 dir out tmpl src 10.0.2.1 dst 10.0.2.2 proto esp reqid 1 mode tunnel
	xfrm policy add src 10.0.2.2/32 dst 10.0.1.0/24 dir in tmpl src 10.0.2.2 dst 10.0.2.1 proto esp reqid 2 mode tunnel
	xfrm policy add src 10.0.2.2/32 dst 10.0.1.0/24 dir fwd tmpl src 10.0.2.2 dst 10.0.2.1 proto esp reqid 2 mode tunnel
	EOF
	ip -n "$NS_S" -b - <<-'EOF'
	xfrm policy add src 10.0.2.2/32 dst 10.0.1.0/24 dir out tmpl src 10.0.2.2 dst 10.0.2.1 proto esp reqid 2 mode tunnel
	xfrm policy add src 10.0.1.0/24 dst 10.0.2.2/32 dir in tmpl src 10.0.2.1 dst 10.0.2.2 proto esp reqid 1 mode tunnel
	EOF
	diff_case --orig xfrm --reply xfrm --expect "c0 tcp,c0 udp,s0 esp" --late-rst
}
