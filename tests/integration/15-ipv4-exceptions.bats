#!/usr/bin/env bats
# IPv4 traffic the fast path must leave to the normal stack, which still
# forwards or delivers it: an FTP session under the conntrack FTP helper,
# traffic to and from the router itself, fragments, IP options, BIG TCP
# packets (big_packet); and an IPv4 header with a bad checksum, which the
# stack drops; and a packet IPsec decapsulated, which the stack checks
# against its forwarding policy; and routes through an IPv6 next hop or a
# resilient nexthop group, or in a VRF; and a route with a PMTU exception,
# which is learned.
#
#   c                        r (masquerade out of r1,            s
#                              ct helper ftp on tcp/21)
#   c0 10.0.1.2/24 ------- r0 10.0.1.1    r1 10.0.2.1 ------- s0 10.0.2.2/24
#   ftplib client          fastpath on r0 and r1                pyftpdlib on 21
#                                                               (passive 30000-30009),
#                                                               UDP echo 7000

bats_require_minimum_version 1.5.0
load ../lib/topo

setup_file() {
	topo_setup
	require python3
	python3 -c 'import pyftpdlib' || fail "python3-pyftpdlib is missing (run make deps)"
	modprobe nf_conntrack_ftp
	modprobe nf_nat_ftp
	topo_masquerade
	r nft -f - <<-'EOF'
	table inet fp_ftp {
		ct helper ftp-standard {
			type "ftp" protocol tcp
		}
		chain prerouting {
			type filter hook prerouting priority filter; policy accept;
			tcp dport 21 ct helper set "ftp-standard"
		}
	}
	EOF
	fp_enable_router
	mkdir "$BATS_FILE_TMPDIR/ftp"
	make_payload 2 "$BATS_FILE_TMPDIR/ftp/payload"
	make_payload 1 "$BATS_FILE_TMPDIR/small"
	s python3 -m pyftpdlib -i 10.0.2.2 -p 21 -r 30000-30009 -w -u fp -P fp \
		-d "$BATS_FILE_TMPDIR/ftp" >"$BATS_FILE_TMPDIR/ftpd.log" 2>&1 3>&- &
	nettool "$NS_S" udp-echo 7000 --log "$BATS_FILE_TMPDIR/echo.log" >/dev/null 2>&1 3>&- &
	wait_listen "$NS_S" tcp 21
	wait_listen "$NS_S" udp 7000
	# Learned UDP flows outlive a slow (debug) kernel's tests.
	fpctl -n "$NS_R" config set udp-timeout 300
}

# Offloaded packets of the original direction of the UDP flow from c's
# port $1 (-1: no such flow).
orig_packets() {
	fp_flows | jq "[.[] | select(.proto == \"udp\" and .orig.sport == $1 and
		.orig.offloaded) | .orig.packets] | add // -1"
}

@test "FTP through the conntrack helper works and is never offloaded" {
	local dir=$BATS_TEST_TMPDIR learned0 cli i
	learned0=$(fp_stat flows_learned)
	# Download, upload, then keep the control connection open until the
	# flow table has been looked at.
	c python3 - "$dir" "$BATS_FILE_TMPDIR/small" <<-'EOF' &
	import ftplib, os, sys, time
	d, up = sys.argv[1:]
	f = ftplib.FTP()
	f.connect("10.0.2.2", 21, timeout=60)
	f.login("fp", "fp")
	with open(d + "/down", "wb") as o:
	    f.retrbinary("RETR payload", o.write)
	with open(up, "rb") as i:
	    f.storbinary("STOR up", i)
	open(d + "/ready", "w").close()
	while not os.path.exists(d + "/go"):
	    time.sleep(0.1)
	f.quit()
	EOF
	cli=$!
	for i in $(seq 1 1200); do
		[ -e "$dir/ready" ] && break
		kill -0 "$cli" 2>/dev/null || break
		sleep 0.1
	done
	[ -e "$dir/ready" ] || fail "FTP transfers did not finish: $(tail "$BATS_FILE_TMPDIR/ftpd.log")"
	run -0 r conntrack -L -p tcp --dport 21
	local ct=$output
	run -0 fp_flows
	local flows=$output
	touch "$dir/go"
	wait "$cli" || fail "FTP client failed"

	echo "$ct"
	[[ "$ct" == *"helper=ftp"* ]] || fail "the control connection has no FTP helper"
	echo "$flows"
	jq -e '[.[] | select(.orig.dport == 21 or .reply.sport == 21 or
		(.orig.dport >= 30000 and .orig.dport <= 30009))] | length == 0' <<<"$flows" ||
		fail "an FTP connection was offloaded"
	[ "$(fp_stat flows_learned)" -eq "$learned0" ]
	cmp "$BATS_FILE_TMPDIR/ftp/payload" "$dir/down"
	cmp "$BATS_FILE_TMPDIR/small" "$BATS_FILE_TMPDIR/ftp/up"
}

@test "traffic to and from the router itself works and is not learned" {
	local learned0 srv
	learned0=$(fp_stat flows_learned)
	run -0 c ping -q -c 3 -i 0.2 10.0.1.1
	run -0 c ping -q -c 3 -i 0.2 10.0.2.1
	run -0 s ping -q -c 3 -i 0.2 10.0.2.1
	# c -> r over TCP
	r timeout 60 socat -u TCP-LISTEN:7002,reuseaddr,pf=ip4 \
		"OPEN:$BATS_TEST_TMPDIR/at-r,creat,trunc" 3>&- &
	srv=$!
	wait_listen "$NS_R" tcp 7002
	c timeout 60 socat -u "OPEN:$BATS_FILE_TMPDIR/small" TCP:10.0.1.1:7002
	wait "$srv"
	cmp "$BATS_FILE_TMPDIR/small" "$BATS_TEST_TMPDIR/at-r"
	# r -> s over TCP
	s timeout 60 socat -u TCP-LISTEN:7003,reuseaddr,pf=ip4 \
		"OPEN:$BATS_TEST_TMPDIR/at-s,creat,trunc" 3>&- &
	srv=$!
	wait_listen "$NS_S" tcp 7003
	r timeout 60 socat -u "OPEN:$BATS_FILE_TMPDIR/small" TCP:10.0.2.2:7003
	wait "$srv"
	cmp "$BATS_FILE_TMPDIR/small" "$BATS_TEST_TMPDIR/at-s"

	[ "$(fp_stat flows_learned)" -eq "$learned0" ]
	run -0 fp_flows
	jq -e '[.[] | select(.orig.dport == 7002 or .orig.dport == 7003)] | length == 0' \
		<<<"$output"
}

@test "fragmented UDP is left to the stack (fragment exception), arrives whole" {
	local frag0 frag
	frag0=$(fp_stat exceptions.fragment)
	# 4000-byte datagrams without DF leave c in 3 fragments; so do the
	# echoes from s.
	run -0 nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4100 5:size=4000,df=0
	echo "$output"
	jq -e '.echoed == 5' <<<"$output"
	run -0 jq -s '[.[] | select(.len == 4000)] | length' "$BATS_FILE_TMPDIR/echo.log"
	[ "$output" -eq 5 ]
	frag=$(($(fp_stat exceptions.fragment) - frag0))
	[ "$frag" -ge 30 ] || fail "fragment exceptions rose by $frag, expected >= 30"
	# Reassembled packets are never learned.
	run -0 fp_flows
	jq -e '[.[] | select(.orig.sport == 4100 and (.orig.offloaded or .reply.offloaded))] |
		length == 0' <<<"$output"
}

@test "packets with IP options are left to the stack (ip-options exception)" {
	local opt0 before
	run -0 c ping -c 2 -i 0.2 -R 10.0.2.2
	echo "$output"
	[[ "$output" == *"2 received"* ]]
	[[ "$output" == *"RR:"*"10.0.2.1"* ]]

	# A learned UDP flow, then datagrams with a record-route option on it.
	run -0 nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4200 3
	before=$(orig_packets 4200)
	[ "$before" -ge 0 ] || fail "the flow from port 4200 was not learned: $(fp_flows)"
	opt0=$(fp_stat exceptions.ip_options)
	run -0 nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4200 4:rr=1
	echo "$output"
	jq -e '.echoed == 4' <<<"$output"
	[ "$(fp_stat exceptions.ip_options)" -ge $((opt0 + 4)) ]
	[ "$(orig_packets 4200)" -eq "$before" ]
	# The stack forwarded them: r recorded its address (10.0.2.1) in each.
	run -0 jq -s '[.[] | select(.opts and (.opts | contains("0a000201")))] | length' \
		"$BATS_FILE_TMPDIR/echo.log"
	[ "$output" -eq 4 ]
}

@test "IPv4 BIG TCP: GSO packets over 64 KiB from c are left to the stack (big_packet), the transfer intact" {
	# Linux 6.3 added IPv4 BIG TCP (gso_ipv4_max_size); 6.1 ignores the
	# setting, so there no packet exceeds 64 KiB and none is big_packet.
	local big bad fast wmem rmem want_big=1
	[ "$(printf '%s\n' 6.3 "$(uname -r)" | sort -V | head -1)" = 6.3 ] || want_big=0
	# c's TCP builds GSO packets of up to 185,000 bytes with a total
	# length of 0, which the veth hands to r0 whole.  As 34's IPv6 test:
	# 120 segments a packet at least, and buffers and windows that hold
	# one from the start, written in blocks larger than it.
	wmem=$(c sysctl -n net.ipv4.tcp_wmem)
	rmem=$(s sysctl -n net.ipv4.tcp_rmem)
	nettool "$NS_C" link-gso-ipv4 c0 185000
	c sysctl -qw net.ipv4.tcp_min_tso_segs=120 net.ipv4.tcp_wmem="4096 4194304 4194304"
	s sysctl -qw net.ipv4.tcp_rmem="4096 4194304 4194304"
	ip -n "$NS_C" route change default via 10.0.1.1 initcwnd 200
	ip -n "$NS_S" route change default via 10.0.2.1 initrwnd 200
	big=$(fp_stat exceptions.big_packet)
	bad=$(fp_stat exceptions.bad_header)
	fast=$(fp_stat fast_packets)
	make_payload 8 "$BATS_TEST_TMPDIR/payload"
	in_ns "$NS_S" timeout 60 socat -u TCP-LISTEN:5007,reuseaddr,pf=ip4 \
		"OPEN:$BATS_TEST_TMPDIR/recv,creat,trunc" &
	local srv=$!
	wait_listen "$NS_S" tcp 5007
	in_ns "$NS_C" timeout 60 socat -u -b 1048576 "OPEN:$BATS_TEST_TMPDIR/payload" TCP:10.0.2.2:5007
	wait "$srv"
	nettool "$NS_C" link-gso-ipv4 c0 65536
	c sysctl -qw net.ipv4.tcp_min_tso_segs=2 net.ipv4.tcp_wmem="$wmem"
	s sysctl -qw net.ipv4.tcp_rmem="$rmem"
	ip -n "$NS_C" route change default via 10.0.1.1
	ip -n "$NS_S" route change default via 10.0.2.1
	assert_equal "$(sha256sum <"$BATS_TEST_TMPDIR/recv")" "$(sha256sum <"$BATS_TEST_TMPDIR/payload")"
	big=$(($(fp_stat exceptions.big_packet) - big))
	bad=$(($(fp_stat exceptions.bad_header) - bad))
	fast=$(($(fp_stat fast_packets) - fast))
	echo "# big_packet $big, bad_header $bad, fast path $fast" >&3
	if [ "$want_big" = 1 ]; then
		[ "$big" -ge 1 ] || fail "no big_packet exception: c sent no GSO packet over 64 KiB"
	else
		[ "$big" -eq 0 ] || fail "$big big_packet exceptions on a kernel without IPv4 BIG TCP"
	fi
	[ "$bad" -eq 0 ] || fail "$bad packets counted as bad headers"
	[ "$fast" -ge 100 ] || fail "only $fast packets of the transfer on the fast path"
}

@test "an IPv4 route through an IPv6 gateway (RFC 5549) is left to the stack (why route), which forwards it" {
	local ll
	ll=$(ip -n "$NS_S" -j -6 addr show dev s0 | jq -r '[.[].addr_info[]? | select(.scope == "link") | .local] | first')
	[[ $ll == fe80:* ]] || fail "s0 has no link-local address: $(ip -n "$NS_S" -6 addr show dev s0)"
	r ip route add 10.0.2.2/32 via inet6 "$ll" dev r1
	nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4300 6 >"$BATS_TEST_TMPDIR/send.json" || true
	# Asked while the route stands, which the refusal names.
	fpctl -n "$NS_R" -j flow explain proto udp src 10.0.1.2 dst 10.0.2.2 sport 4300 dport 7000 \
		>"$BATS_TEST_TMPDIR/explain.json" || true
	fp_flows >"$BATS_TEST_TMPDIR/flows.json"
	r ip route del 10.0.2.2/32
	jq -e '.echoed == 6' "$BATS_TEST_TMPDIR/send.json"
	cat "$BATS_TEST_TMPDIR/explain.json"
	jq -e 'if type == "array" then first else . end | .orig.why == "route"' "$BATS_TEST_TMPDIR/explain.json"
	# The replies may take the fast path; c's datagrams did not.
	jq -e '[.[] | select(.proto == "udp" and .orig.sport == 4300 and .orig.offloaded)] | length == 0' \
		"$BATS_TEST_TMPDIR/flows.json"
}

@test "a route through a resilient nexthop group is left to the stack (why route); through a plain group it is not" {
	local dir=$BATS_TEST_TMPDIR
	r ip nexthop add id 41 via 10.0.2.2 dev r1
	r ip nexthop add id 42 group 41 type resilient buckets 8
	r ip nexthop add id 43 group 41
	r ip route add 10.0.2.2/32 nhid 42
	nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4302 6 >"$dir/resilient.json" || true
	fpctl -n "$NS_R" -j flow explain proto udp src 10.0.1.2 dst 10.0.2.2 sport 4302 dport 7000 \
		>"$dir/explain.json" || true
	r ip route replace 10.0.2.2/32 nhid 43
	nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4303 6 >"$dir/plain.json" || true
	fp_flows >"$dir/flows.json"
	r ip route del 10.0.2.2/32
	r ip nexthop flush
	jq -e '.echoed == 6' "$dir/resilient.json"
	jq -e '.echoed == 6' "$dir/plain.json"
	cat "$dir/explain.json"
	jq -e 'if type == "array" then first else . end | .orig.why == "route"' "$dir/explain.json"
	jq -e '[.[] | select(.proto == "udp" and .orig.sport == 4302 and .orig.offloaded)] | length == 0' \
		"$dir/flows.json"
	jq -e '[.[] | select(.proto == "udp" and .orig.sport == 4303 and .orig.offloaded)] | length == 1' \
		"$dir/flows.json" || fail "the flow over the plain group was not learned: $(cat "$dir/flows.json")"
}

@test "a PMTU exception on a route through a nexthop object is no other next hop: learned" {
	local dir=$BATS_TEST_TMPDIR
	# A next hop without a gateway: a route bound to a PMTU exception
	# names the destination as its gateway all the same (as
	# rt_bind_exception() leaves it), which learning's look-up of the
	# route must not take for another next hop.
	r ip nexthop add id 44 dev r1
	r ip route add 10.0.2.2/32 nhid 44
	# s tells r that 10.0.2.2 takes 1300 bytes, about an echo reply of r's
	# (the only packet of its own icmp_err() updates the PMTU for).
	s python3 - <<-'EOF'
	import socket, struct
	def csum(b):
	    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
	    s = (s & 0xFFFF) + (s >> 16)
	    return ~(s + (s >> 16)) & 0xFFFF
	inner = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 1400, 0, 0x4000, 64, 1, 0,
	                    socket.inet_aton("10.0.2.1"), socket.inet_aton("10.0.2.2"))
	msg = struct.pack("!BBHHH", 3, 4, 0, 0, 1300) + inner + struct.pack("!BBHHH", 0, 0, 0, 1, 1)
	msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
	socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).sendto(msg, ("10.0.2.1", 0))
	EOF
	r ip route get 10.0.2.2 from 10.0.1.2 iif r0 >"$dir/route"
	nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4304 6 >"$dir/send.json" || true
	fp_flows >"$dir/flows.json"
	r ip route del 10.0.2.2/32
	r ip nexthop flush
	grep -q "mtu 1300" "$dir/route" || fail "no PMTU exception on c's route: $(cat "$dir/route")"
	jq -e '.echoed == 6' "$dir/send.json"
	jq -e '[.[] | select(.proto == "udp" and .orig.sport == 4304 and .orig.offloaded)] | length == 1' \
		"$dir/flows.json" || fail "the flow was not learned: $(cat "$dir/flows.json")"
}

# r's count of IPv4 headers its stack dropped for their checksum.
r_csum_errors() {
	r awk '$1 == "IpExt:" { if (!n) { split($0, name); n = 1; next }
		for (i = 2; i <= NF; i++) if (name[i] == "InCsumErrors") print $i }' \
		/proc/net/netstat
}

@test "an IPv4 header with a bad checksum goes to the stack, which drops it, learned flow or not" {
	local cmac rmac before bad0 csum0 i
	cmac=$(ip -n "$NS_C" -j link show c0 | jq -r '.[0].address')
	rmac=$(ip -n "$NS_R" -j link show r0 | jq -r '.[0].address')
	run -0 nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4306 3
	before=$(orig_packets 4306)
	[ "$before" -ge 0 ] || fail "the flow from port 4306 was not learned: $(fp_flows)"
	bad0=$(fp_stat exceptions.bad_header)
	csum0=$(r_csum_errors)
	# Written to c0 whole (no stack in c to fix the checksum), in order
	# from one socket: a bad one on the learned flow (777 bytes of
	# payload), one on a port never learned (779), and then the first
	# again with its checksum right (778), which the fast path forwards.
	nettool "$NS_C" eth-udp c0 10.0.1.2 10.0.2.2 7000 4306:777:bad 4301:779:bad 4306:778 \
		--src-mac "$cmac" --dst-mac "$rmac"
	for i in $(seq 50); do
		[ "$(r_csum_errors)" -ge $((csum0 + 2)) ] &&
			jq -e -s 'any(.len == 778)' "$BATS_FILE_TMPDIR/echo.log" >/dev/null && break
		sleep 0.1
	done
	run -0 jq -s '[.[] | select(.len >= 777 and .len <= 779) | .len]' \
		"$BATS_FILE_TMPDIR/echo.log"
	assert_output "$(jq -n '[778]')"
	assert_equal "$(r_csum_errors)" "$((csum0 + 2))"
	assert_equal "$(orig_packets 4306)" "$((before + 1))"
	# Only the learned flow's is the fast path's to count; nothing learned
	# from the other.
	assert_equal "$(fp_stat exceptions.bad_header)" "$((bad0 + 1))"
	assert_equal "$(orig_packets 4301)" -1
}

@test "an IPsec-decapsulated packet of a learned flow goes to the stack, which drops it without a forward policy" {
	local before nopols0 unsup0
	run -0 nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4400 3
	before=$(orig_packets 4400)
	[ "$before" -ge 0 ] || fail "the flow from port 4400 was not learned: $(fp_flows)"
	nopols0=$(r_xfrm_stat XfrmInNoPols)
	unsup0=$(fp_stat exceptions.unsupported)
	esp_c_to_r 10.0.1.2 10.0.2.2 4400 10.0.1.1 4 \
		nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4400 4:size=801,echo=0 >/dev/null
	assert_equal "$(r_xfrm_stat XfrmInNoPols)" "$((nopols0 + 4))"
	run -0 jq -s '[.[] | select(.len == 801)] | length' "$BATS_FILE_TMPDIR/echo.log"
	assert_output 0
	assert_equal "$(orig_packets 4400)" "$before"
	# Left to the stack: the four ESP packets and the four datagrams
	# decapsulated from them.
	[ "$(fp_stat exceptions.unsupported)" -ge $((unsup0 + 8)) ]
}

# Last: enslaving cycles r0 and r1, which loses what the other tests set up.
@test "a connection routed in a VRF is left to the stack (why route on the enabled slave), which forwards it" {
	local dir=$BATS_TEST_TMPDIR
	r ip link add fp-vrf type vrf table 10
	r ip link set fp-vrf up
	r ip link set r0 master fp-vrf
	r ip link set r1 master fp-vrf
	nettool "$NS_C" udp-send 10.0.2.2 7000 --sport 4305 6 >"$dir/send.json" || true
	fpctl -n "$NS_R" -j flow explain proto udp src 10.0.1.2 dst 10.0.2.2 sport 4305 dport 7000 \
		>"$dir/explain.json" || true
	fp_flows >"$dir/flows.json"
	r ip link del fp-vrf
	jq -e '.echoed == 6' "$dir/send.json"
	cat "$dir/explain.json"
	# Refused by learning, on the slaves (a look-up of explain's own
	# would say route too, for destinations the main table lacks).
	jq -e 'if type == "array" then first else . end |
		.orig.why == "route" and .orig.iif == "r0" and
		.reply.why == "route" and .reply.iif == "r1"' "$dir/explain.json"
	jq -e '[.[] | select(.proto == "udp" and .orig.sport == 4305)] | length == 0' "$dir/flows.json"
}
