#!/usr/bin/env python3
"""Traffic generators and a capture reader for the IPv6 suites (30-39).

Each subcommand does a whole exchange in one process, since every exec is
slow in the TCG test VM:

  udp-serve PORT --log F [--tclass T --label L]   echo every datagram, log it
  udp-send ADDR PORT [options]                    send numbered datagrams
  tcp-echo PORT [--tclass T]                      echo server, many connections
  tcp-probe ADDR PORT --sport P                   two echoed segments, close
  tcp-stream ADDR PORT --stop F [--file F2]       send F2 or random data, close
                                                  once F exists
  tcp-many ADDR PORT --flows N --ready F ...     N parallel echoed flows
  pcap FILE                                       one JSON line per IP packet

Logs and results are JSON (one object per line); the exit status is 1 when
an echo is missing or differs.  Addresses may carry a scope (fe80::1%c0).
"""

import argparse
import hashlib
import json
import os
import selectors
import socket
import struct
import sys
import time

# <linux/in6.h> values the socket module may not export.
IPV6_FLOWLABEL_MGR, IPV6_FLOWINFO_SEND = 32, 33
IPV6_HOPOPTS, IPV6_DSTOPTS, IPV6_DONTFRAG, IPV6_TCLASS = 54, 59, 62, 67
IPV6_FL_A_GET, IPV6_FL_F_CREATE, IPV6_FL_S_ANY = 0, 1, 255
# An option header holding one PadN option (the kernel fills next header).
PADN_OPTS = bytes([0, 0, 1, 4, 0, 0, 0, 0])


def die(msg):
    print(f"ipv6tool: {msg}", file=sys.stderr)
    sys.exit(1)


def sockaddr(addr, port, kind):
    """(family, sockaddr) for ADDR, resolving a %scope."""
    try:
        info = socket.getaddrinfo(addr, port, type=kind, flags=socket.AI_NUMERICHOST)
    except socket.gaierror as e:
        die(f"bad address {addr}: {e}")
    return info[0][0], info[0][4]


def payload(seq, size):
    """Datagram or chunk body: its number, then bytes that depend on it."""
    seed = hashlib.sha256(struct.pack("!Q", seq)).digest()
    body = (seed * (size // len(seed) + 1))[: max(size - 8, 0)]
    return struct.pack("!Q", seq) + body


def digest(data):
    return hashlib.sha256(data).hexdigest()[:16]


def flow_setup(sk, dst, tclass, label):
    """Traffic class and (through the flow label manager) flow label."""
    if tclass is not None:
        sk.setsockopt(socket.IPPROTO_IPV6, IPV6_TCLASS, tclass)
    if label:
        req = socket.inet_pton(socket.AF_INET6, dst.split("%")[0])
        req += struct.pack("!I", label)
        req += struct.pack("=BBHHHI", IPV6_FL_A_GET, IPV6_FL_S_ANY, IPV6_FL_F_CREATE, 0, 0, 0)
        sk.setsockopt(socket.IPPROTO_IPV6, IPV6_FLOWLABEL_MGR, req)
        sk.setsockopt(socket.IPPROTO_IPV6, IPV6_FLOWINFO_SEND, 1)


def with_label(sa, label):
    return (sa[0], sa[1], label, sa[3]) if label else sa


def dual_stack_socket(kind, port):
    sk = socket.socket(socket.AF_INET6, kind)
    sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sk.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sk.bind(("::", port))
    return sk


# --------------------------------------------------------------------- UDP


def udp_serve(args):
    sk = dual_stack_socket(socket.SOCK_DGRAM, args.port)
    with open(args.log, "a", buffering=1) as log:
        while True:
            data, peer = sk.recvfrom(65535)
            log.write(json.dumps({"len": len(data), "sha": digest(data), "peer": peer[0]}) + "\n")
            if (args.tclass is not None or args.label) and "." not in peer[0]:
                flow_setup(sk, peer[0], args.tclass, args.label)
                peer = with_label(peer, args.label)
            sk.sendto(data, peer)


def udp_send(args):
    fam, sa = sockaddr(args.addr, args.port, socket.SOCK_DGRAM)
    sk = socket.socket(fam, socket.SOCK_DGRAM)
    sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if args.sport:
        sk.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", args.sport))
    if fam == socket.AF_INET6:
        if args.hlim:
            sk.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, args.hlim)
        if args.dontfrag:
            sk.setsockopt(socket.IPPROTO_IPV6, IPV6_DONTFRAG, 1)
    cmsg = []
    if args.hbh:
        cmsg.append((socket.IPPROTO_IPV6, IPV6_HOPOPTS, PADN_OPTS))
    if args.dstopts:
        cmsg.append((socket.IPPROTO_IPV6, IPV6_DSTOPTS, PADN_OPTS))
    sk.settimeout(3)
    log = open(args.log, "a", buffering=1) if args.log else None
    echoed, seq = 0, args.first
    labels = [int(label, 0) for label in args.labels.split(",")] if args.labels else [args.label]
    for label in labels:
        dst = sa
        if fam == socket.AF_INET6:
            flow_setup(sk, args.addr, args.tclass, label)
            dst = with_label(sa, label)
        echoed += udp_send_burst(args, sk, dst, cmsg, log, seq)
        seq += args.count
    print(json.dumps({"sent": args.count * len(labels), "echoed": echoed}))


def udp_send_burst(args, sk, sa, cmsg, log, seq):
    """--count datagrams from number seq to sa; returns how many were echoed."""
    echoed, first, end = 0, seq, seq + args.count
    while seq < end:
        # Lockstep for the first two (the flow is learned meanwhile), then
        # --window datagrams in flight.
        burst = [payload(s, args.size) for s in range(seq, min(seq + max(args.window, 1), end))]
        if seq - first < 2:
            burst = burst[:1]
        for data in burst:
            sk.sendmsg([data], cmsg, 0, sa)
            if log:
                log.write(json.dumps({"len": len(data), "sha": digest(data)}) + "\n")
            if not args.echo and args.rate:
                time.sleep(1 / args.rate)
        if args.echo:
            want = sorted(burst)
            try:
                got = sorted(sk.recv(65535) for _ in burst)
            except socket.timeout:
                die(f"echoes missing for datagrams {seq}.. from {args.addr} port {args.port}")
            if got != want:
                die(f"echoes of datagrams {seq}.. differ")
            echoed += len(burst)
        seq += len(burst)
    return echoed


# --------------------------------------------------------------------- TCP


def tcp_echo(args):
    lsk = dual_stack_socket(socket.SOCK_STREAM, args.port)
    lsk.listen(1024)
    lsk.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(lsk, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            if key.fileobj is lsk:
                sk, _ = lsk.accept()
                if args.tclass is not None:
                    sk.setsockopt(socket.IPPROTO_IPV6, IPV6_TCLASS, args.tclass)
                sk.setblocking(True)
                sel.register(sk, selectors.EVENT_READ)
                continue
            sk = key.fileobj
            data = sk.recv(65536)
            if data:
                sk.sendall(data)  # small echoes: the peer reads them all
            else:
                sel.unregister(sk)
                sk.close()


def connect(args, sport=0):
    fam, sa = sockaddr(args.addr, args.port, socket.SOCK_STREAM)
    sk = socket.socket(fam, socket.SOCK_STREAM)
    if sport:
        sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sk.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", sport))
    if fam == socket.AF_INET6:
        flow_setup(sk, args.addr, getattr(args, "tclass", None), getattr(args, "label", 0))
        sa = with_label(sa, getattr(args, "label", 0))
    sk.settimeout(30)
    sk.connect(sa)
    return sk


def recv_exactly(sk, n):
    buf = b""
    while len(buf) < n:
        chunk = sk.recv(n - len(buf))
        if not chunk:
            die("connection closed early")
        buf += chunk
    return buf


def tcp_probe(args):
    """500 bytes echoed (both directions learned), then the 700-byte probe."""
    sk = connect(args, args.sport)
    for seq, size in ((0, 500), (1, 700)):
        data = payload(seq, size)
        sk.sendall(data)
        if recv_exactly(sk, size) != data:
            die(f"echo of segment {seq} differs")
        time.sleep(0.3)
    sk.close()


def tcp_stream(args):
    """Send --file (or random data until --stop appears), paced with --rate;
    then hold the connection until --stop exists, so that its flow can be
    looked at, and close it."""
    if args.listen:
        lsk = dual_stack_socket(socket.SOCK_STREAM, args.port)
        lsk.listen(1)
        sk, _ = lsk.accept()
    else:
        sk = connect(args)
    src = open(args.file, "rb") if args.file else None
    sha = hashlib.sha256()
    sent, start = 0, time.monotonic()
    while src or not os.path.exists(args.stop):
        data = src.read(16384) if src else os.urandom(16384)
        if not data:
            break
        sk.sendall(data)
        sha.update(data)
        sent += len(data)
        delay = start + sent / (args.rate * 1024) - time.monotonic() if args.rate else 0
        if delay > 0:
            time.sleep(delay)
    wait_file(args.stop)
    sk.shutdown(socket.SHUT_WR)
    if sk.recv(1):
        die("unexpected data from the receiver")
    print(json.dumps({"bytes": sent, "sha256": sha.hexdigest()}))


def wait_file(path, timeout=120):
    end = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > end:
            die(f"{path} did not appear")
        time.sleep(0.05)


def tcp_many(args):
    """N connections, --rounds echoed rounds each (default 1, then --ready);
    one more round after --go exists (then --done); closed once --close
    exists."""
    socks = [connect(args) for _ in range(args.flows)]

    def round_(r):
        for i, sk in enumerate(socks):
            sk.sendall(payload(r * args.flows + i, args.size))
        for i, sk in enumerate(socks):
            if recv_exactly(sk, args.size) != payload(r * args.flows + i, args.size):
                die(f"echo of flow {i} round {r} differs")

    for r in range(args.rounds):
        round_(r)
    open(args.ready, "w").close()
    wait_file(args.go)
    round_(args.rounds)
    open(args.done, "w").close()
    wait_file(args.close)
    for sk in socks:
        sk.close()
    print(json.dumps({"flows": args.flows, "rounds": args.rounds + 1}))


# -------------------------------------------------------------------- pcap


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


EXT_HEADERS = (0, 43, 60)  # hop-by-hop, routing, destination options


def parse_ipv6(pkt):
    vtf, plen, nh, hlim = struct.unpack("!IHBB", pkt[:8])
    p = {
        "v": 6, "tclass": (vtf >> 20) & 0xFF, "flowlabel": vtf & 0xFFFFF,
        "plen": plen, "hlim": hlim,
        "src": socket.inet_ntop(socket.AF_INET6, pkt[8:24]),
        "dst": socket.inet_ntop(socket.AF_INET6, pkt[24:40]),
        "exthdrs": [],
    }
    off, end = 40, 40 + plen
    while nh in EXT_HEADERS or nh == 44:
        p["exthdrs"].append(nh)
        if nh == 44:
            frag = struct.unpack("!H", pkt[off + 2:off + 4])[0]
            p["frag_offset"], p["frag_more"] = frag >> 3, frag & 1
            nh, off = pkt[off], off + 8
            if p["frag_offset"] or p["frag_more"]:
                p["proto"] = nh
                return p  # upper layer checked after reassembly only
            continue
        nh, off = pkt[off], off + (pkt[off + 1] + 1) * 8
    p["proto"] = nh
    l4 = pkt[off:end]
    pseudo = pkt[8:40] + struct.pack("!IxxxB", len(l4), nh)
    if nh in (6, 17, 58):
        p["csum_ok"] = csum(pseudo + l4) == 0xFFFF
    if nh in (6, 17):
        p["sport"], p["dport"] = struct.unpack("!HH", l4[:4])
        data = l4[8:] if nh == 17 else l4[(l4[12] >> 4) * 4:]
        if nh == 6:
            p["tcp_flags"] = l4[13]
        p["payload_len"], p["payload_sha"] = len(data), digest(data)
    elif nh == 58:
        p["icmp_type"], p["icmp_code"] = l4[0], l4[1]
        p["icmp_mtu"] = struct.unpack("!I", l4[4:8])[0]
        if len(l4) >= 48:
            p["inner_src"] = socket.inet_ntop(socket.AF_INET6, l4[16:32])
            p["inner_dst"] = socket.inet_ntop(socket.AF_INET6, l4[32:48])
    return p


def pcap(args):
    with open(args.file, "rb") as f:
        data = f.read()
    if len(data) < 24:
        die(f"{args.file}: not a pcap file")
    endian = "<" if struct.unpack("<I", data[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    if struct.unpack(endian + "I", data[20:24])[0] != 1:
        die(f"{args.file}: not an Ethernet capture")
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        if struct.unpack("!H", frame[12:14])[0] == 0x86DD:
            print(json.dumps(parse_ipv6(frame[14:])))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    num = lambda s: int(s, 0)  # noqa: E731 (accepts 0x...)

    p = sub.add_parser("udp-serve")
    p.add_argument("port", type=int)
    p.add_argument("--log", required=True)
    p.add_argument("--tclass", type=num)
    p.add_argument("--label", type=num, default=0)
    p.set_defaults(func=udp_serve)

    p = sub.add_parser("udp-send")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--first", type=int, default=0, help="number of the first datagram")
    p.add_argument("--size", type=int, default=100)
    p.add_argument("--sport", type=int, default=0)
    p.add_argument("--hlim", type=int, default=0)
    p.add_argument("--tclass", type=num)
    p.add_argument("--label", type=num, default=0)
    p.add_argument("--labels", help="comma-separated flow labels: --count datagrams with each in turn")
    p.add_argument("--hbh", action="store_true", help="hop-by-hop options header")
    p.add_argument("--dstopts", action="store_true", help="destination options header")
    p.add_argument("--dontfrag", action="store_true")
    p.add_argument("--echo", action="store_true", help="wait for the echoes")
    p.add_argument("--window", type=int, default=1, help="datagrams in flight with --echo")
    p.add_argument("--rate", type=float, default=0, help="datagrams/s without --echo")
    p.add_argument("--log")
    p.set_defaults(func=udp_send)

    p = sub.add_parser("tcp-echo")
    p.add_argument("port", type=int)
    p.add_argument("--tclass", type=num)
    p.set_defaults(func=tcp_echo)

    p = sub.add_parser("tcp-probe")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("--sport", type=int, required=True)
    p.add_argument("--tclass", type=num)
    p.add_argument("--label", type=num, default=0)
    p.set_defaults(func=tcp_probe)

    p = sub.add_parser("tcp-stream")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("--stop", required=True)
    p.add_argument("--file")
    p.add_argument("--rate", type=int, default=0, help="KiB/s (0: unpaced)")
    p.add_argument("--listen", action="store_true", help="accept the connection on PORT")
    p.set_defaults(func=tcp_stream)

    p = sub.add_parser("tcp-many")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("--flows", type=int, required=True)
    p.add_argument("--size", type=int, default=2048)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--ready", required=True)
    p.add_argument("--go", required=True)
    p.add_argument("--done", required=True)
    p.add_argument("--close", required=True)
    p.set_defaults(func=tcp_many)

    p = sub.add_parser("pcap")
    p.add_argument("file")
    p.set_defaults(func=pcap)

    args = ap.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
