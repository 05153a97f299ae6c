#!/usr/bin/env bats
# A Wi-Fi LAN: two access points (hostapd on two mac80211_hwsim radios)
# bridged into br-lan, a station (wpa_supplicant on a third radio) in its
# own namespace.  The fast path takes the station's packets after the
# bridge and transmits to it on the AP the FDB gives; a roam to the other
# AP (the bridge learns the station behind the other port) is followed.
#
#   c (the station)                r                                           s
#   sta0 (radio 3) ~~~ ap0 (radio 1, channel 1) ---+
#   10.0.1.2/24    ~~~ ap1 (radio 2, channel 6) ---+ br-lan 10.0.1.1/24   r1 10.0.2.1 ---- s0 10.0.2.2/24
#
# Both APs: the open network "fp-test" (mac80211 adds no crypto of its
# own, the frames the fast path hands it are the stack's).  fastpath on
# br-lan and r1 only; masquerade out of r1.  Senders checksum in software
# (hwsim radios have no checksum offload).

bats_require_minimum_version 1.5.0
load ../lib/topo
load ../lib/l2

SSID=fp-test

setup_file() {
	topo_teardown
	require ip iw hostapd wpa_supplicant wpa_cli bridge nft conntrack socat ethtool python3 tc
	# Three fresh radios, whatever an earlier run left.
	[ ! -d /sys/module/mac80211_hwsim ] || modprobe -r mac80211_hwsim
	modprobe mac80211_hwsim radios=3
	modprobe -a bridge nf_conntrack
	local phys
	phys=(/sys/devices/virtual/mac80211_hwsim/hwsim*/ieee80211/phy*)
	[ "${#phys[@]}" -eq 3 ] || fail "mac80211_hwsim made ${#phys[@]} radios: ${phys[*]}"
	ip netns add "$NS_C"
	ip netns add "$NS_R"
	ip netns add "$NS_S"
	# The radios (their phys) into the namespaces, their devices renamed.
	wifi_radio "${phys[0]##*/}" "$NS_R" ap0
	wifi_radio "${phys[1]##*/}" "$NS_R" ap1
	wifi_radio "${phys[2]##*/}" "$NS_C" sta0
	AP0_MAC=$(wifi_mac ap0)
	AP1_MAC=$(wifi_mac ap1)
	STA_MAC=$(ip -n "$NS_C" -j link show sta0 | jq -r '.[0].address')
	export AP0_MAC AP1_MAC STA_MAC
	r sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward
		echo 1 > /proc/sys/net/netfilter/nf_conntrack_acct'
	ip -n "$NS_R" -b - <<-EOF
	link set lo up
	link add br-lan type bridge
	link add r1 type veth peer name s0 netns $NS_S
	addr add 10.0.1.1/24 dev br-lan
	addr add 10.0.2.1/24 dev r1
	link set br-lan up
	link set r1 up
	EOF
	l2_server
	wifi_ap ap0 1
	wifi_ap ap1 6
	in_ns "$NS_R" hostapd "$BATS_FILE_TMPDIR"/hostapd-ap{0,1}.conf >"$BATS_FILE_TMPDIR/hostapd.log" 2>&1 3>&- &
	wifi_station
	ip -n "$NS_C" -b - <<-EOF
	link set lo up
	addr add 10.0.1.2/24 dev sta0
	route add default via 10.0.1.1
	EOF
	topo_masquerade
	fpctl -n "$NS_R" enable dev br-lan
	fpctl -n "$NS_R" enable dev r1
	in_ns "$NS_C" ping -q -c1 -W5 10.0.2.2 >/dev/null || fail "s not reachable from the station"
	make_payload 2 "$BATS_FILE_TMPDIR/payload"
}

teardown() {
	# A failed test must not leave a stream running (bats would wait for it).
	ip netns pids "$NS_C" | grep -vx "$(cat "$BATS_FILE_TMPDIR/wpa.pid" 2>/dev/null)" | xargs -r kill
	return 0
}

# Move radio (phy) $1 into namespace $2 and name its device $3.
wifi_radio() {
	local dev
	dev=$(ls "/sys/class/ieee80211/$1/device/net/")
	iw phy "$1" set netns name "$2" || fail "cannot move $1 into $2"
	ip -n "$2" link set "$dev" name "$3"
}

# The address of device $1 in r.
wifi_mac() {
	ip -n "$NS_R" -j link show "$1" | jq -r '.[0].address'
}

# hostapd's configuration for an AP on device $1, channel $2, in br-lan.
wifi_ap() {
	cat >"$BATS_FILE_TMPDIR/hostapd-$1.conf" <<-EOF
	interface=$1
	bridge=br-lan
	driver=nl80211
	ctrl_interface=$BATS_FILE_TMPDIR/hostapd
	ssid=$SSID
	hw_mode=g
	channel=$2
	EOF
}

# Start wpa_supplicant on sta0 in c (the radio's namespace is where
# hostapd's r is not) and wait until it is associated.
wifi_station() {
	local i
	cat >"$BATS_FILE_TMPDIR/wpa.conf" <<-EOF
	ctrl_interface=$BATS_FILE_TMPDIR/wpa
	network={
		ssid="$SSID"
		key_mgmt=NONE
		scan_freq=2412 2437
	}
	EOF
	# Not through a shell function: $! must be wpa_supplicant's pid.
	nsenter --net="/run/netns/$NS_C" wpa_supplicant -i sta0 -D nl80211 -c "$BATS_FILE_TMPDIR/wpa.conf" \
		>"$BATS_FILE_TMPDIR/wpa.log" 2>&1 3>&- &
	echo $! >"$BATS_FILE_TMPDIR/wpa.pid"
	for i in $(seq 1 100); do
		[[ $(wpa "status") == *"wpa_state=COMPLETED"* ]] && return 0
		sleep 0.2
	done
	fail "the station did not associate: $(wpa status) $(cat "$BATS_FILE_TMPDIR/wpa.log") $(cat "$BATS_FILE_TMPDIR/hostapd.log")"
}

# wpa_cli command "$@" for sta0.
wpa() {
	wpa_cli -p "$BATS_FILE_TMPDIR/wpa" -i sta0 "$@"
}

# The BSSID the station is associated with.
wifi_bssid() {
	local status
	status=$(wpa status)
	status=${status#*bssid=}
	echo "${status%%$'\n'*}"
}

@test "wifi: fpctl dev show, br-lan transmits directly on its ports" {
	run -0 fp_dev_json br-lan
	jq -e '.enabled and .xmit_mode == "direct"' <<<"$output"
}

@test "wifi: 2 MB TCP station->s and s->station, >= 90% on the fast path" {
	transfer_via br-lan r1 tcp_transfer_c2s "$BATS_FILE_TMPDIR/payload"
	transfer_via r1 br-lan tcp_transfer_s2c "$BATS_FILE_TMPDIR/payload"
}

@test "wifi: the station roams to the other AP during a transfer, the fast path follows it" {
	local from to port
	from=$(wifi_bssid)
	case $from in
	"$AP0_MAC") to=$AP1_MAC port=ap1 ;;
	"$AP1_MAC") to=$AP0_MAC port=ap0 ;;
	*) fail "the station is on '$from', neither AP ($AP0_MAC, $AP1_MAC)" ;;
	esac
	roam() {
		local i
		wpa scan freq=2412,2437 >/dev/null
		for i in $(seq 1 50); do
			[[ $(wpa scan_results) == *"$to"* ]] && break
			sleep 0.2
		done
		run -0 wpa roam "$to"
		assert_output OK
		for i in $(seq 1 100); do
			[ "$(wifi_bssid)" = "$to" ] && [[ $(wpa status) == *"wpa_state=COMPLETED"* ]] &&
				break
			sleep 0.2
		done
		assert_equal "$(wifi_bssid)" "$to"
		wait_fdb br-lan "$STA_MAC" "$port"
	}
	during_transfer_kept roam
}
