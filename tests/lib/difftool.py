#!/usr/bin/env python3
"""The traffic and the comparison of the differential suites
(tests/lib/diff.bash, tests/integration/18 and 38), both families.

  exchange IFACE DSTMAC SRC DST --udp-port P --udp SPORT[,SPORT0] --count N
           [--tos T] [--label L] --tcp-port P --sport P --bytes N
           [--ready FIFO --stop F]
      A run's traffic from c, in one process (a Python start costs half a
      second under TCG).  First crafted UDP datagrams to DST:P from each
      SPORT (SPORT0: with a zero UDP checksum, IPv4 only), each one whole
      Ethernet frame built here and sent on IFACE (AF_PACKET) so that every
      bit of it is fixed: IP id 0x4000+i, DF on even ones, TTL/hop limit 64,
      traffic class T, IPv6 flow label L, a payload that depends on i,
      checksums computed here.  Stop and wait: a UDP socket bound to
      SRC:SPORT takes each echo before the next datagram goes (which also
      keeps the kernel from answering the echoes with port unreachable).
      Then one TCP connection from port --sport to DST:--tcp-port, N bytes
      sent and the same N bytes read back (s echoes them: data both ways),
      after which "done" is written to FIFO and the connection held open
      until F exists; it is then closed from both ends before the process
      exits.  Prints {"udp": {SPORT: echoed}, "tcp": bytes echoed intact}.
  tcp-send ADDR PORT --sport P --bytes N --stop F [--tos T] [--rate R]
      one connection from port P, N bytes (0: as many as until F exists),
      held open until F exists; prints the bytes sent and their sha256.
  dscp-times PCAP --dport P
      when the TCP data to port P was captured with each DSCP.
  compare --pcaps C0.pcap S0.pcap --split T --cports SLOW,FAST
          --udp-ports P,... [--expect KINDS]
      the frames the router sent (tcpdump -Q in on c0 and on s0) in a run
      with fastpath disabled, before time T, against a run with it enabled,
      from T on; see compare().
"""

import argparse
import hashlib
import json
import os
import select
import socket
import struct
import sys
import time

# The ones' complement sum (not inverted) of data, added to acc.
from nettool import csum_add as csum

ETH_P_IP, ETH_P_IPV6, ETH_P_MPLS = 0x0800, 0x86DD, 0x8847
TCP, UDP, ESP = 6, 17, 50
TCP_RST = 0x04
TCP_PSH = 0x08
TCPOPT_NOP, TCPOPT_SACK, TCPOPT_TIMESTAMP = 1, 5, 8


def die(msg):
    print(f"difftool: {msg}", file=sys.stderr)
    sys.exit(1)


def pseudo(src, dst, proto, length):
    if len(src) == 4:
        return csum(src + dst + struct.pack("!BBH", 0, proto, length))
    return csum(src + dst + struct.pack("!IxxxB", length, proto))


# ------------------------------------------------------------------ traffic


def udp_frame(fields, src, dst, i, mac_src, mac_dst):
    sport, dport, tos, label, zero_csum = fields
    body = struct.pack("!I", i) + bytes((i * 13 + k) & 0xFF for k in range(60 + i % 7))
    udp = bytearray(struct.pack("!HHHH", sport, dport, 8 + len(body), 0) + body)
    if not zero_csum:
        c = ~csum(bytes(udp), pseudo(src, dst, UDP, len(udp))) & 0xFFFF
        udp[6:8] = struct.pack("!H", c or 0xFFFF)
    if len(src) == 4:
        ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + len(udp),
                                   0x4000 + i, 0x4000 if i % 2 == 0 else 0,
                                   64, UDP, 0, src, dst))
        ip[10:12] = struct.pack("!H", ~csum(bytes(ip)) & 0xFFFF)
        ethertype = ETH_P_IP
    else:
        first = (6 << 28) | (tos << 20) | label
        ip = struct.pack("!IHBB16s16s", first, len(udp), UDP, 64, src, dst)
        ethertype = ETH_P_IPV6
    return mac_dst + mac_src + struct.pack("!H", ethertype) + bytes(ip) + bytes(udp)


def udp_craft(args, fam, sport, zero_csum):
    """The crafted datagrams from one port; how many came back."""
    src, dst = socket.inet_pton(fam, args.src), socket.inet_pton(fam, args.dst)
    mac_dst = bytes.fromhex(args.dstmac.replace(":", ""))
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as raw, \
            socket.socket(fam, socket.SOCK_DGRAM) as rx:
        raw.bind((args.iface, 0))
        mac_src = raw.getsockname()[4]
        rx.bind((args.src, sport))
        fields = (sport, args.udp_port, args.tos, args.label, zero_csum)
        echoed = 0
        for i in range(args.count):
            raw.send(udp_frame(fields, src, dst, i, mac_src, mac_dst))
            if select.select([rx], [], [], 2)[0]:
                rx.recv(65535)
                echoed += 1
    return echoed


def tcp_echoed(args, fam):
    """One connection that sends --bytes and reads them back from s's echo;
    the socket, still open, and whether every byte came back as sent."""
    sk = socket.socket(fam, socket.SOCK_STREAM)
    sk.bind((args.src, args.sport))
    sk.connect((args.dst, args.tcp_port))
    sk.setblocking(False)
    data = os.urandom(args.bytes)
    sent, back = 0, bytearray()
    while len(back) < args.bytes:
        want_write = [sk] if sent < args.bytes else []
        readable, writable, _ = select.select([sk], want_write, [], 30)
        if not readable and not writable:
            die(f"TCP exchange stalled: {sent} bytes sent, {len(back)} back")
        if writable:
            sent += sk.send(data[sent:sent + 65536])
        if readable:
            chunk = sk.recv(65536)
            if not chunk:
                die(f"s closed the connection after {len(back)} bytes")
            back += chunk
    sk.setblocking(True)
    return sk, back == data


def exchange(args):
    fam = socket.AF_INET6 if ":" in args.src else socket.AF_INET
    res = {"udp": {}, "tcp": False}
    told = False
    try:
        for n, sport in enumerate(int(p) for p in args.udp.split(",")):
            res["udp"][sport] = udp_craft(args, fam, sport, zero_csum=n == 1)
        sk, res["tcp"] = tcp_echoed(args, fam)
        if args.ready:
            tell(args.ready, "done")
            told = True
            wait_file(args.stop)
        # Closed from both ends (s's echo closes when it reads the end), so
        # that the whole exchange is on the wire when this process exits.
        sk.shutdown(socket.SHUT_WR)
        while sk.recv(65536):
            pass
        sk.close()
    finally:
        # Whoever waits on the FIFO learns of a failure at once.
        if args.ready and not told:
            tell(args.ready, "failed")
    print(json.dumps(res))
    ok = res["tcp"] and all(v == args.count for v in res["udp"].values())
    return 0 if ok else 1


def tell(fifo, word):
    with open(fifo, "w") as f:
        f.write(word + "\n")


def wait_file(path, timeout=300):
    end = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > end:
            die(f"{path} did not appear")
        time.sleep(0.05)


def tcp_send(args):
    """--rate: paced at so many KiB/s; --bytes 0: until --stop exists."""
    fam = socket.AF_INET6 if ":" in args.addr else socket.AF_INET
    sk = socket.socket(fam, socket.SOCK_STREAM)
    if args.tos is not None:
        if fam == socket.AF_INET:
            sk.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, args.tos)
        else:
            sk.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, args.tos)
    sk.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", args.sport))
    sk.connect((args.addr, args.port))
    sha = hashlib.sha256()
    sent, seq, start = 0, 0, time.monotonic()
    while sent < args.bytes if args.bytes else not os.path.exists(args.stop):
        chunk = hashlib.sha256(struct.pack("!I", seq)).digest() * (32 if args.rate else 512)
        if args.bytes:
            chunk = chunk[:args.bytes - sent]
        sk.sendall(chunk)
        sha.update(chunk)
        sent += len(chunk)
        seq += 1
        if args.rate:
            delay = start + sent / (args.rate * 1024) - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    wait_file(args.stop)
    sk.close()
    print(json.dumps({"bytes": sent, "sha256": sha.hexdigest()}))


# ------------------------------------------------------------------ parsing


def read_pcap(path):
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 24:
        die(f"{path}: not a capture")
    endian = "<" if struct.unpack("<I", blob[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    if struct.unpack(endian + "I", blob[20:24])[0] != 1:
        die(f"{path}: not an Ethernet capture")
    frames, off = [], 24
    while off + 16 <= len(blob):
        sec, usec, incl, orig = struct.unpack(endian + "IIII", blob[off:off + 16])
        if incl != orig:
            die(f"{path}: truncated frame (capture with -s 0)")
        frames.append((sec + usec / 1e6, blob[off + 16:off + 16 + incl]))
        off += 16 + incl
    return frames


def mac(b):
    return ":".join(f"{x:02x}" for x in b)


def decode(frame):
    """The headers of a frame as a dict of fields, and the list of what is
    wrong with it (a checksum or length that does not add up)."""
    f, bad = {}, []
    f["eth.dst"], f["eth.src"] = mac(frame[0:6]), mac(frame[6:12])
    ethertype = struct.unpack("!H", frame[12:14])[0]
    f["eth.type"] = hex(ethertype)
    data = frame[14:]
    if ethertype == ETH_P_MPLS:
        labels = []
        while True:
            (word,) = struct.unpack("!I", data[:4])
            labels.append({"label": word >> 12, "tc": (word >> 9) & 7, "ttl": word & 0xFF})
            data = data[4:]
            if word & 0x100:
                break
        f["mpls"] = labels
        ethertype = ETH_P_IP if data[0] >> 4 == 4 else ETH_P_IPV6
    if ethertype == ETH_P_IP:
        ihl = (data[0] & 15) * 4
        tot = struct.unpack("!H", data[2:4])[0]
        frag = struct.unpack("!H", data[6:8])[0]
        f.update({"ip.ihl": ihl, "ip.dscp": data[1] >> 2, "ip.ecn": data[1] & 3,
                  "ip.len": tot, "ip.id": struct.unpack("!H", data[4:6])[0],
                  "ip.flags": frag >> 13, "ip.frag": frag & 0x1FFF, "ip.ttl": data[8],
                  "ip.proto": data[9], "ip.csum": data[10:12].hex(),
                  "ip.options": data[20:ihl].hex(),
                  "ip.src": socket.inet_ntop(socket.AF_INET, data[12:16]),
                  "ip.dst": socket.inet_ntop(socket.AF_INET, data[16:20])})
        if csum(data[:ihl]) != 0xFFFF:
            bad.append("IPv4 header checksum")
        if tot > len(data) or (tot < len(data) and len(frame) > 60):
            bad.append(f"IPv4 length {tot} for {len(data)} bytes")
        src, dst, proto, l4 = data[12:16], data[16:20], data[9], data[ihl:tot]
    elif ethertype == ETH_P_IPV6:
        (first,) = struct.unpack("!I", data[:4])
        plen = struct.unpack("!H", data[4:6])[0]
        f.update({"ip.dscp": (first >> 22) & 0x3F, "ip.ecn": (first >> 20) & 3,
                  "ip.label": first & 0xFFFFF, "ip.len": plen, "ip.proto": data[6],
                  "ip.ttl": data[7],
                  "ip.src": socket.inet_ntop(socket.AF_INET6, data[8:24]),
                  "ip.dst": socket.inet_ntop(socket.AF_INET6, data[24:40])})
        if 40 + plen != len(data):
            bad.append(f"IPv6 payload length {plen} for {len(data) - 40} bytes")
        src, dst, proto, l4 = data[8:24], data[24:40], data[6], data[40:40 + plen]
    else:
        return f, bad
    if proto in (TCP, UDP):
        f["l4.sport"], f["l4.dport"] = struct.unpack("!HH", l4[:4])
        zero_udp = proto == UDP and l4[6:8] == b"\0\0" and len(src) == 4
        if not zero_udp and csum(l4, pseudo(src, dst, proto, len(l4))) != 0xFFFF:
            bad.append(f"{'TCP' if proto == TCP else 'UDP'} checksum")
    if proto == UDP:
        f["udp.len"] = struct.unpack("!H", l4[4:6])[0]
        f["udp.csum"] = l4[6:8].hex()
        f["payload"] = hashlib.sha256(l4[8:]).hexdigest()[:16]
    elif proto == TCP:
        doff = (l4[12] >> 4) * 4
        seq, ack, flags, win = struct.unpack("!IIxBH", l4[4:16])
        f.update({"tcp.seq": seq, "tcp.ack": ack, "tcp.doff": doff, "tcp.flags": flags,
                  "tcp.ece_cwr": l4[13] >> 6, "tcp.win": win,
                  "tcp.csum": l4[16:18].hex(), "tcp.urg": l4[18:20].hex(),
                  "tcp.options": tcp_options(l4[20:doff])})
    elif proto == ESP:
        f["esp.spi"], f["esp.seq"] = struct.unpack("!II", l4[:8])
    return f, bad


def tcp_options(raw):
    """[(kind, value hex)], NOPs included."""
    out, i = [], 0
    while i < len(raw):
        kind = raw[i]
        if kind in (0, 1):
            out.append([kind, ""])
            i += 1
            continue
        length = raw[i + 1] if i + 1 < len(raw) else 0
        if length < 2:
            out.append([kind, raw[i:].hex()])
            break
        out.append([kind, raw[i + 2:i + length].hex()])
        i += length
    return out


# --------------------------------------------------------------- comparison

# What legitimately differs between the two runs, and is therefore taken out
# of the comparison (each is still checked where it can be):
#  - TCP sequence and acknowledgement numbers: each connection starts from
#    a random ISN (the data is checked whole: c compares the echo with what
#    it sent);
#  - TCP timestamp values (a random offset per connection, and time) and
#    SACK blocks, with the NOPs that pad them, and PSH (where segments were
#    lost or writes ended: timing); the other options are compared;
#  - TCP window, segment lengths, payload: the receiver's buffer and the
#    sender's timing decide them;
#  - the IPv4 id of packets the end hosts' stacks send (TCP, the UDP echoes)
#    and so the IPv4 header checksum: a counter from a random start per
#    socket or destination (the checksum is checked valid in every frame;
#    the crafted datagrams' ids are fixed and compared);
#  - the TCP client port: each run connects from its own (a port in
#    TIME_WAIT cannot be reused), so it reads "cport" in both;
#  - ESP sequence numbers, lengths and the tunnel's outer IPv4 id: the SA's
#    counter goes on across runs, the padding follows the inner packet;
#  - with --late-rst, TCP resets (counted, not compared): r's ESP crypto may
#    run asynchronously (cryptd), which can deliver c's last ACKs after its
#    FIN, when s has closed and answers them with a reset, in either run.
# TCP frames are compared as the set of their normalised headers, per
# direction (a fast path that got one field of one packet wrong adds a
# member); the crafted UDP datagrams frame by frame, in order, byte for
# byte from c, and the echoes field by field.
TCP_DROP = ("ip.id", "ip.csum", "ip.len", "tcp.seq", "tcp.ack", "tcp.win",
            "tcp.csum", "tcp.doff")
ESP_DROP = ("ip.id", "ip.csum", "ip.len", "esp.seq")
ECHO_DROP = ("ip.id", "ip.csum")


def normal_tcp(f, cport):
    g = {k: v for k, v in f.items() if k not in TCP_DROP}
    g["tcp.flags"] &= ~TCP_PSH
    g["tcp.options"] = [[k, "" if k == TCPOPT_TIMESTAMP else v]
                        for k, v in f["tcp.options"] if k not in (TCPOPT_NOP, TCPOPT_SACK)]
    for k in ("l4.sport", "l4.dport"):
        if g[k] == cport:
            g[k] = "cport"
    return json.dumps(g, sort_keys=True)


def compare(args):
    cports = [int(p) for p in args.cports.split(",")]
    udp_ports = {int(p) for p in args.udp_ports.split(",")}
    problems = []
    runs = [{"tcp": {}, "esp": {}, "udp": {}, "counts": {}} for _ in cports]
    for side, path in zip(("c0", "s0"), args.pcaps):
        for n, (ts, frame) in enumerate(read_pcap(path)):
            fast = ts >= args.split
            name, run, cport = ("fast" if fast else "slow"), runs[fast], cports[fast]
            f, bad = decode(frame)
            for what in bad:
                problems.append(f"{name} run, {side} frame {n + 1}: bad {what}: {f}")
            proto = f.get("ip.proto")
            kind = {TCP: "tcp", ESP: "esp", UDP: "udp"}.get(proto)
            if proto == TCP and args.late_rst and f["tcp.flags"] & TCP_RST:
                kind = "tcp reset"
            elif proto == TCP:
                run["tcp"].setdefault(side, set()).add(normal_tcp(f, cport))
            elif proto == ESP:
                key = json.dumps({k: v for k, v in f.items() if k not in ESP_DROP},
                                 sort_keys=True)
                run["esp"].setdefault(side, set()).add(key)
            elif proto == UDP and (f["l4.sport"] in udp_ports or f["l4.dport"] in udp_ports):
                # c's datagrams arrive on s0 as sent: bytes; s's echoes
                # on c0, with the ids s chose: fields.
                item = frame.hex() if side == "s0" else json.dumps(
                    {k: v for k, v in f.items() if k not in ECHO_DROP}, sort_keys=True)
                run["udp"].setdefault(side, []).append(item)
            else:
                continue
            run["counts"][f"{side} {kind}"] = run["counts"].get(f"{side} {kind}", 0) + 1
    slow, fast = runs
    print(json.dumps({"slow": slow["counts"], "fast": fast["counts"],
                      "fast_frames": sum(fast["counts"].values())}, sort_keys=True))
    for kind in ("tcp", "esp"):
        for side in sorted(set(slow[kind]) | set(fast[kind])):
            a, b = slow[kind].get(side, set()), fast[kind].get(side, set())
            for x in sorted(a - b):
                problems.append(f"{kind} on {side} only with fastpath disabled: {x}")
            for x in sorted(b - a):
                problems.append(f"{kind} on {side} only with fastpath enabled: {x}")
    for side in sorted(set(slow["udp"]) | set(fast["udp"])):
        a, b = slow["udp"].get(side, []), fast["udp"].get(side, [])
        if len(a) != len(b):
            problems.append(f"udp on {side}: {len(a)} datagrams disabled, {len(b)} enabled")
        for n, (x, y) in enumerate(zip(a, b)):
            if x != y:
                problems.append(f"udp on {side}, datagram {n + 1}:\n  disabled {x}\n  enabled  {y}")
    for kind in args.expect.split(","):
        for run, name in ((slow, "disabled"), (fast, "enabled")):
            if kind and not run["counts"].get(kind):
                problems.append(f"no {kind} frame captured with fastpath {name}")
    for p in problems[:40]:
        print(p)
    if len(problems) > 40:
        print(f"... and {len(problems) - 40} more")
    return 1 if problems else 0


def dscp_times(args):
    """For each DSCP of the TCP segments with data to port --dport: the
    capture time of the first and the last, and how many."""
    seen = {}
    for ts, frame in read_pcap(args.pcap):
        f, _ = decode(frame)
        if f.get("ip.proto") != TCP or f["l4.dport"] != args.dport or \
                f["ip.len"] - f.get("ip.ihl", 0) <= f["tcp.doff"]:
            continue
        first, last, n = seen.get(f["ip.dscp"], (ts, ts, 0))
        seen[f["ip.dscp"]] = (min(first, ts), max(last, ts), n + 1)
    print(json.dumps({str(k): {"first": v[0], "last": v[1], "count": v[2]}
                      for k, v in seen.items()}))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    num = lambda v: int(v, 0)  # noqa: E731

    p = sub.add_parser("exchange")
    p.add_argument("iface")
    p.add_argument("dstmac")
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--udp-port", type=int, required=True)
    p.add_argument("--udp", required=True, help="client port[,client port with zero checksums]")
    p.add_argument("--count", type=int, default=16)
    p.add_argument("--tos", type=num, default=0)
    p.add_argument("--label", type=num, default=0)
    p.add_argument("--tcp-port", type=int, required=True)
    p.add_argument("--sport", type=int, required=True)
    p.add_argument("--bytes", type=int, required=True)
    p.add_argument("--ready", help="FIFO told once the data came back")
    p.add_argument("--stop", help="file whose existence ends the hold")

    p = sub.add_parser("tcp-send")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("--sport", type=int, required=True)
    p.add_argument("--bytes", type=int, required=True)
    p.add_argument("--stop", required=True)
    p.add_argument("--tos", type=num)
    p.add_argument("--rate", type=int, default=0, help="KiB/s (0: unpaced)")

    p = sub.add_parser("dscp-times")
    p.add_argument("pcap")
    p.add_argument("--dport", type=int, required=True)

    p = sub.add_parser("compare")
    p.add_argument("--pcaps", nargs=2, required=True, metavar=("C0", "S0"))
    p.add_argument("--split", type=float, required=True,
                   help="time (s since the epoch) the fast run started at")
    p.add_argument("--cports", required=True, help="TCP client port of each run")
    p.add_argument("--udp-ports", required=True, help="client ports of the crafted datagrams")
    p.add_argument("--expect", default="", help="'SIDE KIND' that each run must have, comma-separated")
    p.add_argument("--late-rst", action="store_true",
                   help="count TCP resets apart instead of comparing them (asynchronous crypto on r)")

    args = ap.parse_args()
    sys.exit({"exchange": exchange, "tcp-send": tcp_send, "compare": compare,
              "dscp-times": dscp_times}[args.cmd](args))


if __name__ == "__main__":
    main()
