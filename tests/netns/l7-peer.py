#!/usr/bin/env python3
# The ends of tests/netns/l7.sh: media sessions and the servers that
# record them. Runs inside the test's namespaces.
#
#   l7-peer.py recv NAME ADDR PORT FILE
#       UDP receiver: one line per datagram to FILE, flushed at once:
#       "NAME SID ROUND SESSION SRC SPORT LEN" (SID, ROUND, SESSION "-"
#       when the datagram is too short to carry them).
#   l7-peer.py send FIFO DONE VIP PORT N
#       N sessions, each its own UDP socket and stream ID, driven by
#       commands written to FIFO; appends one line to DONE per command
#       done (see COMMANDS below).
#   l7-peer.py tcp-empty ADDR PORT N
#       N TCP connections that never send a byte, closed after 0.2 s.
#   l7-peer.py tcp-sid ADDR PORT SID HOLD
#       one TCP connection that sends one RTP-like segment carrying SID
#       (hex) and stays open HOLD seconds.
#
# A datagram is RTP-like, 20 bytes: 0x80, payload type 96, the round as
# the sequence number, the session as the timestamp, the stream ID as
# the SSRC (offset 8, 4 bytes: what the zone's l7 block reads), then
# "l7test!!".
import hashlib
import os
import socket
import struct
import sys
import time

ADDRS = ["10.0.10.%d" % i for i in range(2, 10)]       # first binding
ADDRS2 = ["10.0.10.%d" % i for i in range(10, 18)]     # after a rebind


def sid_of(i):
    return hashlib.sha256(b"l7-session-%d" % i).digest()[:4]


def rtp(rnd, session, sid, length=20):
    pkt = struct.pack("!BBHI", 0x80, 96, rnd & 0xffff, session) + sid + b"l7test!!"
    return pkt[:length]


def recv(name, addr, port, path):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)    # SO_RCVBUFFORCE
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((addr, int(port)))
    with open(path, "a") as out:
        while True:
            data, (src, sport) = s.recvfrom(2048)
            if len(data) >= 12:
                rnd, session = struct.unpack("!HI", data[2:8])
                sid = data[8:12].hex()
            else:
                rnd = session = sid = "-"
            out.write("%s %s %s %s %s %d %d\n" % (name, sid, rnd, session,
                                                  src, sport, len(data)))
            out.flush()


# COMMANDS, one a line on FIFO:
#   send ROUND COUNT   every session sends COUNT datagrams of round ROUND
#                      (one datagram of every session, then the next)
#   rebind PARITY      sessions i with i % 2 == PARITY close their socket
#                      and open a new one on the other address set (new
#                      address, new port)
#   extra NAME LEN SID ROUND
#                      the extra socket NAME (made on first use) sends
#                      one datagram of LEN bytes carrying SID (hex)
def send(fifo, done, vip, port, n):
    port, n = int(port), int(n)
    sids = [sid_of(i) for i in range(n)]
    if len(set(sids)) != n:
        sys.exit("stream IDs collide")
    where = [0] * n

    def opened(i):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(((ADDRS, ADDRS2)[where[i]][i % len(ADDRS)], 0))
        return s

    socks = [opened(i) for i in range(n)]
    extra = {}
    os.mkfifo(fifo)
    while True:
        with open(fifo) as f:
            for line in f:
                w = line.split()
                if not w:
                    continue
                if w[0] == "send":
                    rnd, count = int(w[1]), int(w[2])
                    for _ in range(count):
                        for i, s in enumerate(socks):
                            s.sendto(rtp(rnd, i, sids[i]), (vip, port))
                            time.sleep(0.0002)
                elif w[0] == "rebind":
                    for i in range(int(w[1]), n, 2):
                        socks[i].close()
                        where[i] ^= 1
                        socks[i] = opened(i)
                elif w[0] == "extra":
                    name, length, sid, rnd = w[1], int(w[2]), w[3], int(w[4])
                    if name not in extra:
                        extra[name] = socket.socket(socket.AF_INET,
                                                    socket.SOCK_DGRAM)
                        extra[name].bind((ADDRS[0], 0))
                    extra[name].sendto(rtp(rnd, 0xffffffff,
                                           bytes.fromhex(sid), length),
                                       (vip, port))
                with open(done, "a") as d:
                    d.write(line)


def tcp_empty(addr, port, n):
    conns = [socket.create_connection((addr, int(port)), timeout=5)
             for _ in range(int(n))]
    time.sleep(0.2)
    for c in conns:
        c.close()


def tcp_sid(addr, port, sid, hold):
    c = socket.create_connection((addr, int(port)), timeout=5)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.sendall(rtp(1, 0xfffffffe, bytes.fromhex(sid)))
    time.sleep(float(hold))
    c.close()


if __name__ == "__main__":
    modes = {"recv": recv, "send": send, "tcp-empty": tcp_empty,
             "tcp-sid": tcp_sid}
    if len(sys.argv) < 2 or sys.argv[1] not in modes:
        sys.exit("usage: l7-peer.py recv|send|tcp-empty|tcp-sid ARGS...")
    modes[sys.argv[1]](*sys.argv[2:])
