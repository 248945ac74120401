#!/usr/bin/env python3
"""Stand in for systemd's notify socket: bind a datagram socket at PATH and
print each message received, one line per message with newlines shown as
'|'. On READY=1, also print whether the control socket CTL already accepts
connections (the daemon promises READY=1 only after its sockets are open).
Runs until killed or for at most 60 s."""
import os
import socket
import sys
import time

path, ctl = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(0.5)
deadline = time.monotonic() + 60
print("listening", flush=True)
while time.monotonic() < deadline:
    try:
        msg = s.recv(4096).decode()
    except socket.timeout:
        continue
    print(msg.replace("\n", "|"), flush=True)
    if "READY=1" in msg.split("\n"):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            c.connect(ctl)
            print("control-socket-open-at-ready", flush=True)
        except OSError as e:
            print("control-socket-closed-at-ready", e, flush=True)
        finally:
            c.close()
