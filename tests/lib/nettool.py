#!/usr/bin/env python3
"""Traffic generators and checkers for the integration suites.

Run inside a namespace of the test topology (one process does a whole
exchange, because every exec is slow in the TCG test VM):

  udp-echo PORT [--log F] [--out F]        echo UDP datagrams, log each one
  udp-send ADDR PORT STEP... [--sport P [--ports N]]
                                           stop-and-wait UDP client (from N ports)
  udp-send ADDR PORT --file F              send a file (seq-numbered chunks)
  raw-udp SRC DST DPORT --sport P          crafted IPv4/UDP packet series
  eth-udp DEV SRC DST DPORT FRAME... --src-mac M --dst-mac M
                                           IPv4/UDP frames written to DEV
  mac-flood DEV COUNT [--rate R]           frames from COUNT new source MACs
  udp-fdb-del ADDR PORT --sport P --netns NS --bridge BR --dev PORT --mac MAC
                                           UDP, an FDB entry deleted, one datagram,
                                           is the entry back?
  link-gso-ipv4 DEV SIZE                   DEV's gso_ipv4_max_size (IPv4 BIG TCP)
  tcp-echo PORT [--conns N]                echo server for N TCP connections
  tcp-many ADDR PORT --flows N             N parallel TCP connections
           [--out-of-window K]             then K raw segments each, out of window
  tcp-stream-send ADDR PORT --stop F       TCP bulk data until F exists
  tcp-stream-recv PORT                     receive it; both print a sha256
  pcap-check ...                           compare captures (see pcap_check)
  frames-check RUN1 RUN2 ...               compare tagged/PPPoE captures (frames_check)

A STEP is COUNT[:key=val,...] with keys ttl, tos, df (1: set DF; 0: no DF
and no path MTU, so only the interface MTU fragments), rr (1: IP
record-route option), size (bytes per datagram, >= 8), echo (0: do not wait
for an echo), err (ICMP errors expected for the step), rate (datagrams/s:
default 200 when echo=0, unpaced when echoed).  Results are JSON on
stdout; the exit status is 1 when an echo is missing or differs, or an
expected error did not come.
"""

import argparse
import errno
import hashlib
import json
import os
import select
import socket
import struct
import sys
import time

END_SEQ = (1 << 64) - 1
SO_EE_ORIGIN_ICMP = 2
# <linux/in.h>, <linux/in6.h> values the socket module does not export.
IP_MTU_DISCOVER, IP_RECVERR, IP_RECVTTL = 10, 11, 12
IP_PMTUDISC_WANT, IP_PMTUDISC_DO, IP_PMTUDISC_OMIT = 1, 2, 5
IPV6_RECVERR = 25


def die(msg):
    print(f"nettool: {msg}", file=sys.stderr)
    sys.exit(1)


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def payload(seq, size):
    """Datagram body: 8-byte sequence number, then a pattern that depends on it."""
    body = bytes((seq * 7 + i) & 0xFF for i in range(max(size - 8, 0)))
    return struct.pack("!Q", seq) + body


# --------------------------------------------------------------------- UDP


def udp_echo(args):
    fam = socket.AF_INET6 if args.ipv6 else socket.AF_INET
    sk = socket.socket(fam, socket.SOCK_DGRAM)
    sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sk.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    if fam == socket.AF_INET:
        for opt in (IP_RECVTTL, socket.IP_RECVTOS, socket.IP_RECVOPTS):
            sk.setsockopt(socket.IPPROTO_IP, opt, 1)
    else:
        sk.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
        sk.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVTCLASS, 1)
    sk.bind(("::" if args.ipv6 else "0.0.0.0", args.port))
    log = open(args.log, "a", buffering=1) if args.log else None
    chunks = {}
    n = 0
    while True:
        data, anc, _, peer = sk.recvmsg(65535, 1024)
        n += 1
        seq = struct.unpack("!Q", data[:8])[0] if len(data) >= 8 else None
        rec = {"n": n, "len": len(data), "seq": seq, "src": f"{peer[0]}:{peer[1]}"}
        for level, typ, val in anc:
            if typ in (socket.IP_TTL, socket.IPV6_HOPLIMIT) and level in (
                socket.IPPROTO_IP, socket.IPPROTO_IPV6):
                rec["ttl"] = struct.unpack("i", val[:4])[0]
            elif level == socket.IPPROTO_IP and typ == socket.IP_TOS:
                rec["tos"] = val[0]
            elif level == socket.IPPROTO_IPV6 and typ == socket.IPV6_TCLASS:
                rec["tos"] = struct.unpack("i", val[:4])[0]
            elif level == socket.IPPROTO_IP and typ == socket.IP_RECVOPTS:
                rec["opts"] = val.hex()
        if log:
            log.write(json.dumps(rec) + "\n")
        if not args.no_echo:
            sk.sendto(data, peer)
        if args.out is not None and seq is not None:
            if seq == END_SEQ:
                break
            chunks[seq] = data[8:]
        if args.count and n >= args.count:
            break
    if args.out is not None:
        missing = [i for i in range(len(chunks)) if i not in chunks]
        with open(args.out, "wb") as f:
            for i in sorted(chunks):
                f.write(chunks[i])
        print(json.dumps({"datagrams": n, "chunks": len(chunks), "missing": len(missing)}))
        if missing:
            sys.exit(1)


def read_errqueue(sk, errors):
    """Collect ICMP errors the socket got (IP_RECVERR) into errors."""
    while True:
        try:
            _, anc, _, _ = sk.recvmsg(2048, 1024, socket.MSG_ERRQUEUE | socket.MSG_DONTWAIT)
        except BlockingIOError:
            return
        for level, typ, val in anc:
            if (level, typ) not in ((socket.IPPROTO_IP, IP_RECVERR),
                                    (socket.IPPROTO_IPV6, IPV6_RECVERR)):
                continue
            _, origin, etype, code, _, info, _ = struct.unpack("=IBBBBII", val[:16])
            off = val[16:]
            fam = struct.unpack("=H", off[:2])[0] if len(off) >= 2 else 0
            if fam == socket.AF_INET:
                offender = socket.inet_ntop(socket.AF_INET, off[4:8])
            elif fam == socket.AF_INET6:
                offender = socket.inet_ntop(socket.AF_INET6, off[8:24])
            else:
                offender = None
            if origin >= SO_EE_ORIGIN_ICMP:
                errors.append({"type": etype, "code": code, "info": info, "offender": offender})


def parse_step(text):
    count, _, opts = text.partition(":")
    step = {"count": int(count), "size": 64, "echo": 1, "err": 0, "rate": 0}
    for kv in filter(None, opts.split(",")):
        key, _, val = kv.partition("=")
        if key not in ("ttl", "tos", "df", "rr", "size", "echo", "err", "rate"):
            die(f"unknown step key {key}")
        step[key] = int(val, 0)
    if step["size"] < 8:
        die("size must be >= 8")
    return step


def configure(sk, fam, step):
    """Apply a step's per-packet IP settings (or the defaults) to the socket."""
    if fam == socket.AF_INET:
        sk.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, step.get("ttl", 64))
        sk.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, step.get("tos", 0))
        # df=0 also ignores the path MTU: the datagram leaves c whole.
        df = step.get("df")
        mode = IP_PMTUDISC_WANT if df is None else (
            IP_PMTUDISC_DO if df else IP_PMTUDISC_OMIT)
        sk.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, mode)
        # Record route with room for nine addresses.
        rr = bytes([7, 39, 4]) + bytes(36) + bytes([0]) if step.get("rr") else b""
        sk.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, rr)
    else:
        sk.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, step.get("ttl", 64))
        sk.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, step.get("tos", 0))


def udp_send(args):
    """The steps from --ports source ports in turn, --sport and up (one
    process: a Python start costs half a second under TCG)."""
    res = {"sent": 0, "echoed": 0, "bad_echo": 0, "missing": 0, "errors": []}
    for i in range(args.ports):
        udp_send_from(args, args.sport + i if args.sport else 0, res)
    print(json.dumps(res))
    sys.exit(1 if res["missing"] or res["bad_echo"] or "step_failed" in res else 0)


def udp_send_from(args, sport, res):
    fam = family_of(args.addr)
    sk = socket.socket(fam, socket.SOCK_DGRAM)
    sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sk.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    if fam == socket.AF_INET:
        sk.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
    else:
        sk.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
    sk.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", sport))
    dst = (args.addr, args.port)
    poll = select.poll()
    poll.register(sk, select.POLLIN | select.POLLERR)
    outstanding = {}

    def collect(timeout):
        """Wait up to timeout s for one event; True if something arrived."""
        if not poll.poll(timeout * 1000):
            return False
        read_errqueue(sk, res["errors"])
        try:
            data = sk.recv(65535, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return True
        except OSError:  # pending ICMP error reported as sk_err
            read_errqueue(sk, res["errors"])
            return True
        seq = struct.unpack("!Q", data[:8])[0] if len(data) >= 8 else None
        if outstanding.pop(seq, None) == data:
            res["echoed"] += 1
        else:
            res["bad_echo"] += 1
        return True

    def drain(limit):
        while len(outstanding) > limit:
            if not collect(args.timeout):
                res["missing"] += len(outstanding)
                outstanding.clear()

    def send(seq, data):
        sk.sendto(data, dst)
        res["sent"] += 1
        outstanding[seq] = data

    seq = 0
    if args.file:
        configure(sk, fam, {})
        with open(args.file, "rb") as f:
            while chunk := f.read(args.size - 8):
                send(seq, struct.pack("!Q", seq) + chunk)
                seq += 1
                drain(args.window - 1)
        drain(0)
        send(END_SEQ, struct.pack("!Q", END_SEQ))
        drain(0)
        res["sent"] -= 1
        res["echoed"] -= 1
    for step in map(parse_step, args.steps):
        configure(sk, fam, step)
        errs_before = len(res["errors"])
        for _ in range(step["count"]):
            data = payload(seq, step["size"])
            if step["echo"]:
                send(seq, data)
                drain(args.window - 1)
                if step["rate"]:
                    time.sleep(1 / step["rate"])
            else:
                try:
                    sk.sendto(data, dst)
                except OSError:
                    # An earlier datagram's ICMP error (IP_RECVERR) fails
                    # this send: a stream that waits for nothing goes on.
                    read_errqueue(sk, res["errors"])
                    sk.sendto(data, dst)
                res["sent"] += 1
                time.sleep(1 / (step["rate"] or 200))
            seq += 1
        drain(0)
        deadline = time.monotonic() + args.timeout
        while len(res["errors"]) - errs_before < step["err"] and time.monotonic() < deadline:
            collect(0.1)
        if len(res["errors"]) - errs_before < step["err"]:
            res.setdefault("step_failed", []).append(f"{step['err']} error(s) expected")
    sk.close()


# ---------------------------------------------------------------- checksums


def csum_add(data, acc=0):
    if len(data) % 2:
        data += b"\0"
    acc += sum(struct.unpack(f"!{len(data) // 2}H", data))
    while acc >> 16:
        acc = (acc & 0xFFFF) + (acc >> 16)
    return acc


def pseudo(src, dst, proto, l4len):
    return csum_add(src + dst + struct.pack("!BBH", 0, proto, l4len))


def l4_full_csum(src, dst, proto, l4):
    """The checksum field value that makes l4 valid (UDP: 0 sent as 0xffff)."""
    ck = csum_off(proto)
    zeroed = l4[:ck] + b"\0\0" + l4[ck + 2:]
    val = ~csum_add(zeroed, pseudo(src, dst, proto, len(l4))) & 0xFFFF
    return 0xFFFF if val == 0 and proto == 17 else val


def csum_off(proto):
    return 16 if proto == 6 else 6


# --------------------------------------------------------------------- raw


def ipv4_udp(src, dst, sport, dport, body, tos=0, ident=0, df=False, udp_csum=True,
             ip_csum_off=0):
    """An IPv4/UDP datagram, TTL 64, every field given; the header checksum
    ip_csum_off more than right, the UDP checksum 0 without udp_csum."""
    udp = struct.pack("!HHHH", sport, dport, 8 + len(body), 0) + body
    if udp_csum:
        udp = udp[:6] + struct.pack("!H", l4_full_csum(src, dst, 17, udp)) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + len(udp), ident, 0x4000 if df else 0,
                     64, 17, 0, src, dst)
    check = (~csum_add(ip) + ip_csum_off) & 0xFFFF
    return ip[:10] + struct.pack("!H", check) + ip[12:] + udp


def raw_udp(args):
    """Send a fixed series of crafted IPv4/UDP packets, each echoed back.

    Every field is chosen here (IP id, TOS, DF, TTL, length, payload) so two
    runs put identical packets on the wire; the packets vary DSCP/ECN, DF and
    length.  --zero-csum sends them with UDP checksum 0.
    """
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    rx.bind((args.src, args.sport))
    rx.settimeout(args.timeout)
    tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    src, dst = socket.inet_aton(args.src), socket.inet_aton(args.dst)
    tos_list = (0x00, 0xB8, 0x02, 0x03, 0x28, 0x01)
    sizes = tuple(min(n, args.mtu - 28) for n in (1, 18, 64, 333, 1000, 1472))
    res = {"sent": 0, "echoed": 0}
    for i in range(args.count):
        body = bytes((i * 13 + k) & 0xFF for k in range(sizes[i % len(sizes)]))
        tx.sendto(ipv4_udp(src, dst, args.sport, args.dport, body, tos=tos_list[i % len(tos_list)],
                           ident=0x1000 + i, df=i % 2 == 0, udp_csum=not args.zero_csum),
                  (args.dst, 0))
        res["sent"] += 1
        try:
            if rx.recv(65535) == body:
                res["echoed"] += 1
        except socket.timeout:
            pass
    print(json.dumps(res))
    sys.exit(0 if res["echoed"] == res["sent"] else 1)


def eth_udp(args):
    """Write IPv4/UDP datagrams to DEV as whole Ethernet frames, one per
    FRAME (SPORT:SIZE, or SPORT:SIZE:bad for an IPv4 header checksum off by
    one: AF_PACKET, so no stack checks or fixes it), from one socket in
    order."""
    src, dst = socket.inet_aton(args.src), socket.inet_aton(args.dst)
    eth = bytes.fromhex(args.dst_mac.replace(":", "")) + \
        bytes.fromhex(args.src_mac.replace(":", "")) + struct.pack("!H", 0x0800)
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sk:
        sk.bind((args.dev, 0))
        for spec in args.frames:
            sport, size, *bad = spec.split(":")
            sport, size = int(sport), int(size)
            if bad not in ([], ["bad"]):
                die(f"eth-udp: {spec}: SPORT:SIZE or SPORT:SIZE:bad")
            body = bytes((sport + k) & 0xFF for k in range(size))
            sk.send(eth + ipv4_udp(src, dst, sport, args.dport, body, ident=0x2000, df=True,
                                   ip_csum_off=1 if bad else 0))


def mac_flood(args):
    """Write COUNT Ethernet frames to DEV, each from a new source MAC
    (02:fe:00:00:00:00 on), to an unknown unicast destination, RATE a
    second: every one makes a bridge behind DEV learn an FDB entry."""
    dst = bytes.fromhex("02fd00000000")
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sk:
        sk.bind((args.dev, 0))
        t0 = time.monotonic()
        for i in range(args.count):
            pause = t0 + i / args.rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            src = bytes([0x02, 0xFE, 0, (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF])
            sk.send(dst + src + struct.pack("!H", 0x88B5) + bytes(46))
    print(json.dumps({"sent": args.count, "seconds": round(time.monotonic() - t0, 2)}))


# ------------------------------------------------------------- rtnetlink

CLONE_NEWNET = 0x40000000
NLMSG_ERROR = 2
NLM_F_REQUEST, NLM_F_ACK = 1, 4
RTM_NEWLINK, RTM_DELNEIGH, RTM_GETNEIGH = 16, 29, 30
NDA_LLADDR, NDA_MASTER = 2, 9
NTF_MASTER = 0x04
# iproute2 6.1 cannot set it (Linux 6.3 added it).
IFLA_GSO_IPV4_MAX_SIZE = 63


def setns(fd):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET):
        die(f"setns: {os.strerror(ctypes.get_errno())}")


def rtnl_request(nl, kind, flags, header, attrs, seq):
    """A request of family header and attributes [(type, bytes)]; returns
    (errno, the answer's body after its nlmsghdr; None for an ack)."""
    body = header
    for kind_, data in attrs:
        attr = struct.pack("HH", 4 + len(data), kind_) + data
        body += attr + bytes(-len(attr) % 4)
    nl.send(struct.pack("IHHII", 16 + len(body), kind, NLM_F_REQUEST | flags, seq, 0) + body)
    while True:
        data = nl.recv(65536)
        off = 0
        while off + 16 <= len(data):
            length, mtype, _, mseq, _ = struct.unpack_from("IHHII", data, off)
            if mseq == seq:
                if mtype == NLMSG_ERROR:
                    return -struct.unpack_from("i", data, off + 16)[0], None
                return 0, data[off + 16:off + length]
            off += (length + 3) & ~3


def nd_request(nl, kind, flags, ifindex, ndm_flags, attrs, seq):
    """An AF_BRIDGE neighbour request; returns (errno, answer's ifindex)."""
    ndm = struct.pack("BBHiHBB", socket.AF_BRIDGE, 0, 0, ifindex, 0, ndm_flags, 0)
    err, answer = rtnl_request(nl, kind, flags, ndm, attrs, seq)
    return err, struct.unpack_from("i", answer, 4)[0] if answer else None


def link_gso_ipv4(args):
    """Sets DEV's largest IPv4 GSO packet (IPv4 BIG TCP above 65536)."""
    nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    nl.bind((0, 0))
    ifi = struct.pack("BBHiII", socket.AF_UNSPEC, 0, 0, socket.if_nametoindex(args.dev), 0, 0)
    err, _ = rtnl_request(nl, RTM_NEWLINK, NLM_F_ACK, ifi,
                          [(IFLA_GSO_IPV4_MAX_SIZE, struct.pack("I", args.size))], 1)
    if err:
        die(f"gso_ipv4_max_size {args.size} on {args.dev}: {os.strerror(err)}")


def udp_fdb_del(args):
    """Rounds of: send COUNT datagrams at RATE, delete MAC's entry on port
    DEV of bridge BR in netns NS (bridge fdb del MAC dev DEV master), read
    whether BR knows MAC then, send one more datagram at once, and read
    whether BR has MAC behind DEV after it (for up to 100 ms, sending nothing
    more); one JSON line each.  The first datagram after the deletion follows
    the one before it by about a millisecond of process time (an exec in the
    test VM takes tens to hundreds).  A round where BR knew MAC again before
    that datagram shows nothing: up to TRIES rounds are run until ROUNDS did
    not."""
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    ns = os.open(f"/run/netns/{args.netns}", os.O_RDONLY)
    setns(ns)
    nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    nl.bind((0, 0))
    port = socket.if_nametoindex(args.dev)
    br = socket.if_nametoindex(args.bridge)
    setns(own)
    os.close(ns)
    os.close(own)
    mac = bytes.fromhex(args.mac.replace(":", ""))
    seq = 0

    def fdb_port():
        """MAC's port on BR (its ifindex), None if BR does not know MAC."""
        nonlocal seq
        seq += 1
        err, ifindex = nd_request(nl, RTM_GETNEIGH, 0, 0, 0,
                                  [(NDA_LLADDR, mac), (NDA_MASTER, struct.pack("I", br))], seq)
        if err and err != errno.ENOENT:
            die(f"reading {args.mac} on {args.bridge}: {os.strerror(err)}")
        return None if err else ifindex

    def one_round():
        nonlocal seq
        for i in range(args.count):
            if i:
                time.sleep(1 / args.rate)
            sk.sendto(payload(i, 64), dst)
        t0 = time.monotonic()
        seq += 1
        err, _ = nd_request(nl, RTM_DELNEIGH, NLM_F_ACK, port, NTF_MASTER,
                            [(NDA_LLADDR, mac)], seq)
        if err:
            die(f"deleting {args.mac} on {args.dev}: {os.strerror(err)}")
        before = fdb_port()
        sk.sendto(payload(args.count, 64), dst)
        t1 = time.monotonic()
        while (after := fdb_port()) is None and time.monotonic() < t1 + 0.1:
            time.sleep(0.005)
        t2 = time.monotonic()
        return {"sent": args.count + 1, "known_after_del": before is not None,
                "on_dev_after_next": after == port, "del_to_next_us": round((t1 - t0) * 1e6),
                "next_to_read_us": round((t2 - t1) * 1e6)}

    sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sk.bind(("0.0.0.0", args.sport))
    dst = (args.addr, args.port)
    done = 0
    for _ in range(args.tries):
        res = one_round()
        print(json.dumps(res), flush=True)
        done += not res["known_after_del"]
        if done == args.rounds:
            break


# --------------------------------------------------------------------- TCP


def tcp_echo(args):
    fam = socket.AF_INET6 if args.ipv6 else socket.AF_INET
    lsk = socket.socket(fam, socket.SOCK_STREAM)
    lsk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsk.bind(("::" if args.ipv6 else "0.0.0.0", args.port))
    lsk.listen(1024)
    sel = select.poll()
    sel.register(lsk, select.POLLIN)
    conns = {}
    accepted = closed = 0
    while closed < args.conns:
        for fd, _ in sel.poll():
            if fd == lsk.fileno():
                sk, _ = lsk.accept()
                sk.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                conns[sk.fileno()] = sk
                sel.register(sk, select.POLLIN)
                accepted += 1
                continue
            sk = conns[fd]
            try:
                data = sk.recv(65536)
            except ConnectionResetError:  # a peer that went away
                data = b""
            if data:
                sk.sendall(data)
            else:
                sel.unregister(fd)
                sk.close()
                del conns[fd]
                closed += 1
    print(json.dumps({"connections": accepted}))


def tcp_many(args):
    """Open --flows connections at once, exchange --rounds echoed messages on
    each; with --hold, stop after --hold-after rounds (default 1) until the
    file HOLD.go exists (HOLD.ready tells the test the flows are up); then
    --out-of-window raw segments on each (send_out_of_window())."""
    fam = family_of(args.addr)
    socks = []
    for i in range(args.flows):
        sk = socket.socket(fam, socket.SOCK_STREAM)
        sk.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if args.tos is not None:
            sk.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, args.tos)
        if args.sport:
            sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sk.bind(("0.0.0.0" if fam == socket.AF_INET else "::", args.sport + i))
        sk.setblocking(False)
        sk.connect_ex((args.addr, args.port))
        socks.append(sk)
    for sk in socks:
        select.select([], [sk], [], args.timeout)
        err = sk.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            die(f"connect: {os.strerror(err)}")
        sk.setblocking(True)
        sk.settimeout(args.timeout)
    sizes = [int(s) for s in args.sizes.split(",")]
    ok = 0

    def round_(r):
        nonlocal ok
        for i, sk in enumerate(socks):
            msg = bytes((r * 31 + i + k) & 0xFF for k in range(sizes[(r + i) % len(sizes)]))
            sk.sendall(msg)
            got = b""
            while len(got) < len(msg):
                part = sk.recv(len(msg) - len(got))
                if not part:
                    break
                got += part
            ok += got == msg

    for r in range(args.rounds):
        round_(r)
        if r + 1 == args.hold_after and args.hold:
            open(args.hold + ".ready", "w").close()
            deadline = time.monotonic() + args.timeout
            while not os.path.exists(args.hold + ".go"):
                if time.monotonic() > deadline:
                    die("nobody created " + args.hold + ".go")
                time.sleep(0.1)
    for sk in socks:
        if args.out_of_window:
            send_out_of_window(sk, args.out_of_window)
        sk.close()
    expect = args.flows * args.rounds
    print(json.dumps({"flows": args.flows, "exchanges": expect, "ok": ok}))
    sys.exit(0 if ok == expect else 1)


# <linux/tcp.h> values the socket module does not export.
TCP_REPAIR, TCP_REPAIR_QUEUE, TCP_QUEUE_SEQ = 19, 20, 21
TCP_RECV_QUEUE, TCP_SEND_QUEUE = 1, 2


def send_out_of_window(sk, count):
    """Send count segments of IPv4 connection sk, raw, with a sequence number
    2^30 past what it sent (a valid ACK), which a conntrack that tracks the
    window takes as invalid.  sk is left in repair mode, so that closing it
    sends nothing: the connection stays established for conntrack."""
    # The ACK of the last echo may be delayed: send it now, or the peer
    # retransmits into the closed socket and draws a RST.
    sk.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
    if sk.family != socket.AF_INET:
        die("--out-of-window is for IPv4 connections")
    sk.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 1)
    seqs = []
    for queue in (TCP_SEND_QUEUE, TCP_RECV_QUEUE):
        sk.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR_QUEUE, queue)
        seqs.append(sk.getsockopt(socket.IPPROTO_TCP, TCP_QUEUE_SEQ) & 0xFFFFFFFF)
    # write_seq: what c sent, all of it acknowledged (the echoes came back).
    write_seq, rcv_nxt = seqs
    (src, sport), (dst, dport) = sk.getsockname(), sk.getpeername()
    src, dst = socket.inet_aton(src), socket.inet_aton(dst)
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    for _ in range(count):
        # ACK|PSH, a 5-word header, 3 bytes of data.
        seg = struct.pack("!HHIIBBHHH", sport, dport, (write_seq + (1 << 30)) & 0xFFFFFFFF,
                          rcv_nxt, 5 << 4, 0x18, 1024, 0, 0) + b"oow"
        seg = seg[:16] + struct.pack("!H", l4_full_csum(src, dst, 6, seg)) + seg[18:]
        raw.sendto(seg, (socket.inet_ntoa(dst), 0))
    raw.close()


def tcp_stream_send(args):
    """Send random data as fast as allowed until the file --stop exists, then
    close and wait for the receiver to close: the transfer lasts as long as
    the test needs, whatever the machine's speed."""
    sk = socket.create_connection((args.addr, args.port), timeout=args.timeout)
    buf = memoryview(os.urandom(1 << 20))
    digest = hashlib.sha256()
    sent = 0
    while not os.path.exists(args.stop):
        chunk = buf[sent % len(buf):][:1 << 16]
        sk.sendall(chunk)
        digest.update(chunk)
        sent += len(chunk)
    sk.shutdown(socket.SHUT_WR)
    sk.recv(1)
    print(json.dumps({"bytes": sent, "sha256": digest.hexdigest()}))


def tcp_stream_recv(args):
    lsk = socket.socket(socket.AF_INET6 if args.ipv6 else socket.AF_INET)
    lsk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsk.bind(("::" if args.ipv6 else "0.0.0.0", args.port))
    lsk.listen(1)
    sk, _ = lsk.accept()
    sk.settimeout(args.timeout)
    digest = hashlib.sha256()
    got = 0
    while data := sk.recv(1 << 16):
        digest.update(data)
        got += len(data)
    sk.close()
    print(json.dumps({"bytes": got, "sha256": digest.hexdigest()}))


# -------------------------------------------------------------------- pcap


def read_pcap(path, raw=False):
    """IPv4 TCP/UDP frames of an Ethernet pcap (raw: every frame)."""
    with open(path, "rb") as f:
        blob = f.read()
    magic = struct.unpack("<I", blob[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    if struct.unpack(endian + "I", blob[20:24])[0] != 1:
        die(f"{path}: not an Ethernet capture")
    out, off = [], 24
    while off + 16 <= len(blob):
        incl, orig = struct.unpack(endian + "II", blob[off + 8:off + 16])
        frame = blob[off + 16:off + 16 + incl]
        off += 16 + incl
        if incl != orig:
            die(f"{path}: truncated capture")
        if raw:
            out.append(frame)
            continue
        if frame[12:14] != b"\x08\x00" or frame[23] not in (6, 17):
            continue
        out.append(frame)
    return out


class Pkt:
    def __init__(self, frame, off=14):
        """An IPv4 TCP/UDP packet at offset off of frame."""
        self.frame = frame
        ip = frame[off:]
        ihl = (ip[0] & 15) * 4
        self.tot = struct.unpack("!H", ip[2:4])[0]
        self.ip = ip[:self.tot]
        self.ihl = ihl
        self.proto = ip[9]
        self.src, self.dst = ip[12:16], ip[16:20]
        self.l4 = self.ip[ihl:]
        self.sport, self.dport = struct.unpack("!HH", self.l4[:4])
        self.l4csum = struct.unpack("!H", self.l4[csum_off(self.proto):][:2])[0]

    def csum_state(self):
        """'ip-bad', 'full', 'partial', 'zero' or 'bad'."""
        if csum_add(self.ip[:self.ihl]) != 0xFFFF:
            return "ip-bad"
        if self.proto == 17 and self.l4csum == 0:
            return "zero"
        if csum_add(self.l4, pseudo(self.src, self.dst, self.proto, len(self.l4))) == 0xFFFF:
            return "full"
        if self.l4csum == pseudo(self.src, self.dst, self.proto, len(self.l4)):
            return "partial"
        return "bad"


def forwarded(pkt, src=None, dst=None):
    """What a router must emit for pkt: TTL-1, addresses rewritten, checksums
    kept in the same state (valid, partial or UDP zero)."""
    state = pkt.csum_state()
    ip = bytearray(pkt.ip)
    ip[8] -= 1
    if src:
        ip[12:16] = src
    if dst:
        ip[16:20] = dst
    ip[10:12] = b"\0\0"
    ip[10:12] = struct.pack("!H", ~csum_add(bytes(ip[:pkt.ihl])) & 0xFFFF)
    l4 = bytearray(ip[pkt.ihl:])
    off = csum_off(pkt.proto)
    s, d = bytes(ip[12:16]), bytes(ip[16:20])
    if state == "full":
        l4[off:off + 2] = struct.pack("!H", l4_full_csum(s, d, pkt.proto, bytes(l4)))
    elif state == "partial":
        l4[off:off + 2] = struct.pack("!H", pseudo(s, d, pkt.proto, len(l4)))
    ip[pkt.ihl:] = l4
    return bytes(ip)


def same_mod_zero(a, b, offsets):
    """a == b, except that a 16-bit checksum at offsets may be 0 or 0xffff."""
    if len(a) != len(b):
        return False
    a, b = bytearray(a), bytearray(b)
    for o in offsets:
        if {bytes(a[o:o + 2]), bytes(b[o:o + 2])} <= {b"\0\0", b"\xff\xff"}:
            a[o:o + 2] = b[o:o + 2]
    return a == b


def pcap_check(args):
    """Check captures taken at c0 and s0 (at the two ends of the router) for
    one or more runs: every checksum valid, every packet on the far side
    exactly what a router doing masquerade must emit for the one sent, and
    the packets of the --exact flows byte-identical (Ethernet included)
    across runs, but for the IP id s chose for its echoes."""
    client = socket.inet_aton(args.client)
    server = socket.inet_aton(args.server)
    router = socket.inet_aton(args.router)
    exact = {int(p) for p in args.exact.split(",")} if args.exact else set()
    problems = []
    summary = []
    runs = []
    for cpath, spath in zip(args.pcaps[::2], args.pcaps[1::2]):
        cside = [Pkt(f) for f in read_pcap(cpath)]
        sside = [Pkt(f) for f in read_pcap(spath)]
        flows = {}
        for side, pkts in (("c", cside), ("s", sside)):
            for p in pkts:
                state = p.csum_state()
                if state in ("ip-bad", "bad"):
                    problems.append(f"{side}-side {cpath if side == 'c' else spath}: "
                                    f"invalid checksum ({state}) in {p.ip.hex()}")
                if side == "c" and p.src == client and p.dst == server:
                    flows.setdefault((p.proto, p.sport), {}).setdefault("c2s_sent", []).append(p)
                elif side == "c" and p.dst == client and p.src == server:
                    flows.setdefault((p.proto, p.dport), {}).setdefault("s2c_recv", []).append(p)
                elif side == "s" and p.dst == server and p.src == router:
                    flows.setdefault((p.proto, p.sport), {}).setdefault("c2s_recv", []).append(p)
                elif side == "s" and p.src == server and p.dst == router:
                    flows.setdefault((p.proto, p.dport), {}).setdefault("s2c_sent", []).append(p)
        for key, f in sorted(flows.items()):
            for sent, recv, src, dst in (("c2s_sent", "c2s_recv", router, None),
                                         ("s2c_sent", "s2c_recv", None, client)):
                a, b = f.get(sent, []), f.get(recv, [])
                if len(a) != len(b):
                    problems.append(f"{cpath}: flow {key} {sent}: {len(a)} sent, {len(b)} arrived")
                # The stack itself reorders packets a host sent from two
                # CPUs (an ACK from softirq, data from the process): pair
                # each arrival with a distinct sent packet of its IP id.
                unmatched = list(a)
                for i, q in enumerate(b):
                    p = next((p for p in unmatched if p.ip[4:6] == q.ip[4:6]), None)
                    if p is None:
                        problems.append(f"{cpath}: flow {key} {recv} #{i}: no sent packet "
                                        f"has its IP id: {q.ip.hex()}")
                        continue
                    unmatched.remove(p)
                    want = forwarded(p, src, dst)
                    offs = (10, p.ihl + csum_off(p.proto))
                    if not same_mod_zero(want, q.ip, offs):
                        problems.append(f"{cpath}: flow {key} {sent} #{i}:\n  want {want.hex()}\n"
                                        f"  got  {q.ip.hex()}")
            summary.append(f"{cpath}: flow {key}: " + " ".join(
                f"{k}={len(v)}" for k, v in sorted(f.items())))
        runs.append(flows)
    for key in sorted({k for f in runs for k in f if k[1] in exact}):
        for part in ("c2s_recv", "s2c_recv"):
            # s's stack picks the IP id of its echoes (and so the header
            # checksum) differently per run: only those may differ.
            mask = (lambda fr: fr[:18] + fr[20:24] + fr[26:]) if part == "s2c_recv" else bytes
            seqs = [[mask(p.frame) for p in f.get(key, {}).get(part, [])] for f in runs]
            for n, seq in enumerate(seqs[1:], 1):
                if seq != seqs[0]:
                    diff = next((i for i, (x, y) in enumerate(zip(seqs[0], seq)) if x != y),
                                min(len(seq), len(seqs[0])))
                    problems.append(f"flow {key} {part}: run {n + 1} differs from run 1 at "
                                    f"packet #{diff} ({len(seqs[0])} vs {len(seq)} packets)")
    print("\n".join(summary))
    if problems:
        print("\n".join(problems))
        sys.exit(1)


def l2_split(frame):
    """(link-layer header, PPPoE length or None, IPv4 packet) of an Ethernet
    frame with any VLAN tags and a PPPoE session header; None if it carries
    no IPv4 TCP/UDP packet."""
    off, pppoe_len = 12, None
    while frame[off:off + 2] in (b"\x81\x00", b"\x88\xa8"):
        off += 4
    etype = frame[off:off + 2]
    off += 2
    if etype == b"\x88\x64":
        if frame[off + 6:off + 8] != b"\x00\x21":
            return None
        pppoe_len = struct.unpack("!H", frame[off + 4:off + 6])[0]
        off += 8
    elif etype != b"\x08\x00":
        return None
    if len(frame) < off + 20 or frame[off + 9] not in (6, 17):
        return None
    return frame[:off], pppoe_len, Pkt(frame, off)


def frames_check(args):
    """Check two runs of the same traffic captured at one point (tcpdump -e,
    tags and PPPoE headers in the frames): every IPv4 checksum valid, every
    PPPoE length that of its packet, the frames of the crafted UDP flows
    (--exact client ports) byte-identical across the runs but for the IP id
    (and header checksum) of packets from --echo-src (a list), whose stack
    picks it,
    and the same set of link-layer headers on TCP in both runs (PPPoE
    lengths aside)."""
    exact = {int(p) for p in args.exact.split(",")} if args.exact else set()
    echo = {socket.inet_aton(a) for a in args.echo_src.split(",")} if args.echo_src else set()
    problems, runs = [], []
    for path in args.pcaps:
        crafted, tcp_l2 = {}, set()
        for frame in read_pcap(path, raw=True):
            split = l2_split(frame)
            if not split:
                continue
            l2, pppoe_len, p = split
            state = p.csum_state()
            if state in ("ip-bad", "bad"):
                problems.append(f"{path}: invalid checksum ({state}) in {p.ip.hex()}")
            if pppoe_len is not None and pppoe_len != p.tot + 2:
                problems.append(f"{path}: PPPoE length {pppoe_len} for a {p.tot}-byte packet")
            if p.proto == 6:
                # The PPPoE length is the segment's, checked above: which
                # sizes TCP sent (a SACK in one run) is TCP's business.
                if pppoe_len is not None:
                    l2 = l2[:-4] + b"\0\0" + l2[-2:]
                tcp_l2.add(l2.hex())
            port = p.sport if p.sport in exact else p.dport
            if p.proto == 17 and port in exact:
                ip = p.ip
                if p.src in echo:
                    ip = ip[:4] + b"\0\0" + ip[6:10] + b"\0\0" + ip[12:]
                crafted.setdefault(port, []).append(l2 + ip)
        runs.append((crafted, tcp_l2))
        print(f"{path}: " + " ".join(f"udp/{k}={len(v)}" for k, v in sorted(crafted.items())) +
              f" tcp-headers={len(tcp_l2)}")
    (c1, t1), (c2, t2) = runs
    for port in sorted(exact):
        a, b = c1.get(port, []), c2.get(port, [])
        if not a:
            problems.append(f"flow {port}: no packets in {args.pcaps[0]}")
        if a != b:
            diff = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            problems.append(f"flow {port}: run 2 differs from run 1 at packet #{diff} "
                            f"({len(a)} vs {len(b)} packets)" +
                            (f"\n  1: {a[diff].hex()}\n  2: {b[diff].hex()}"
                             if diff < min(len(a), len(b)) else ""))
    if args.tcp and not t1:
        problems.append(f"no TCP in {args.pcaps[0]}")
    if t1 != t2:
        problems.append(f"TCP link-layer headers differ: {sorted(t1)} vs {sorted(t2)}")
    if problems:
        print("\n".join(problems))
        sys.exit(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("udp-echo")
    p.add_argument("port", type=int)
    p.add_argument("-6", dest="ipv6", action="store_true")
    p.add_argument("--log")
    p.add_argument("--out", help="write the received file here, exit at its end")
    p.add_argument("--count", type=int, default=0, help="exit after so many datagrams")
    p.add_argument("--no-echo", action="store_true")
    p.set_defaults(fn=udp_echo)
    p = sub.add_parser("udp-send")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("steps", nargs="*")
    p.add_argument("--sport", type=int, default=0)
    p.add_argument("--ports", type=int, default=1, help="from --sport and up, in turn")
    p.add_argument("--file")
    p.add_argument("--size", type=int, default=1400, help="datagram size for --file")
    p.add_argument("--window", type=int, default=1)
    p.add_argument("--timeout", type=float, default=10)
    p.set_defaults(fn=udp_send)
    p = sub.add_parser("raw-udp")
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("dport", type=int)
    p.add_argument("--sport", type=int, required=True)
    p.add_argument("--count", type=int, default=12)
    p.add_argument("--zero-csum", action="store_true")
    p.add_argument("--mtu", type=int, default=1500, help="largest IP packet to send")
    p.add_argument("--timeout", type=float, default=10)
    p.set_defaults(fn=raw_udp)
    p = sub.add_parser("eth-udp")
    p.add_argument("dev")
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("dport", type=int)
    p.add_argument("frames", nargs="+", metavar="FRAME")
    p.add_argument("--src-mac", required=True)
    p.add_argument("--dst-mac", required=True)
    p.set_defaults(fn=eth_udp)
    p = sub.add_parser("mac-flood")
    p.add_argument("dev")
    p.add_argument("count", type=int)
    p.add_argument("--rate", type=float, default=200)
    p.set_defaults(fn=mac_flood)
    p = sub.add_parser("udp-fdb-del")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("--sport", type=int, required=True)
    p.add_argument("--netns", required=True, help="the bridge's netns (name)")
    p.add_argument("--bridge", required=True)
    p.add_argument("--dev", required=True, help="the bridge port")
    p.add_argument("--mac", required=True)
    p.add_argument("--count", type=int, default=100, help="datagrams before the deletion")
    p.add_argument("--rate", type=float, default=250)
    p.add_argument("--rounds", type=int, default=1, help="rounds that must show something")
    p.add_argument("--tries", type=int, default=1, help="rounds at most")
    p.set_defaults(fn=udp_fdb_del)
    p = sub.add_parser("link-gso-ipv4")
    p.add_argument("dev")
    p.add_argument("size", type=int)
    p.set_defaults(fn=link_gso_ipv4)
    p = sub.add_parser("tcp-echo")
    p.add_argument("port", type=int)
    p.add_argument("-6", dest="ipv6", action="store_true")
    p.add_argument("--conns", type=int, default=1)
    p.set_defaults(fn=tcp_echo)
    p = sub.add_parser("tcp-many")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("--flows", type=int, default=1)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--sizes", default="512")
    p.add_argument("--sport", type=int, default=0)
    p.add_argument("--tos", type=lambda v: int(v, 0))
    p.add_argument("--hold")
    p.add_argument("--hold-after", type=int, default=1)
    p.add_argument("--out-of-window", type=int, default=0)
    p.add_argument("--timeout", type=float, default=60)
    p.set_defaults(fn=tcp_many)
    p = sub.add_parser("tcp-stream-send")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("--stop", required=True)
    p.add_argument("--timeout", type=float, default=120)
    p.set_defaults(fn=tcp_stream_send)
    p = sub.add_parser("tcp-stream-recv")
    p.add_argument("port", type=int)
    p.add_argument("-6", dest="ipv6", action="store_true")
    p.add_argument("--timeout", type=float, default=120)
    p.set_defaults(fn=tcp_stream_recv)
    p = sub.add_parser("pcap-check")
    p.add_argument("pcaps", nargs="+", help="c-side and s-side capture of each run")
    p.add_argument("--client", required=True)
    p.add_argument("--server", required=True)
    p.add_argument("--router", required=True)
    p.add_argument("--exact", help="client ports whose packets must be identical across runs")
    p.set_defaults(fn=pcap_check)
    p = sub.add_parser("frames-check")
    p.add_argument("pcaps", nargs=2, help="captures of the two runs at one point")
    p.add_argument("--exact", help="client ports whose frames must be identical across runs")
    p.add_argument("--echo-src", help="addresses whose packets' IP id may differ")
    p.add_argument("--tcp", action="store_true", help="TCP must be in the captures")
    p.set_defaults(fn=frames_check)
    # Steps may follow options: argparse leaves them over.
    args, extra = ap.parse_known_args()
    if extra and (args.cmd != "udp-send" or any(e.startswith("-") for e in extra)):
        ap.error("unrecognized arguments: " + " ".join(extra))
    if extra:
        args.steps += extra
    if args.cmd == "pcap-check" and len(args.pcaps) % 2:
        die("pcap-check needs pairs of captures")
    args.fn(args)


if __name__ == "__main__":
    main()
