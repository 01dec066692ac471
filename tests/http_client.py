#!/usr/bin/env python3
"""Raw HTTP clients for the endpoint tests (bounded in time, 127.0.0.1 only).

  http_client.py status PORT RAW_REQUEST      print the status code of the answer
  http_client.py hold PORT SECONDS            connect, send half a request, wait
  http_client.py big PORT                     send a 64 KiB header; print the status
  http_client.py trickle PORT SECONDS         send a request a byte a second, never ending it
"""
import socket
import sys
import time


def connect(port):
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=20)
    s.settimeout(20)
    return s


def status_of(s):
    data = b""
    while b"\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    line = data.split(b"\r\n")[0].decode(errors="replace")
    return line.split()[1] if len(line.split()) > 1 else "none"


def main():
    cmd, port = sys.argv[1], sys.argv[2]
    s = connect(port)
    if cmd == "status":
        s.sendall(sys.argv[3].encode().decode("unicode_escape").encode())
        print(status_of(s))
    elif cmd == "hold":
        s.sendall(b"GET /debug/pprof/heap HTTP/1.1\r\nHost: x\r\n")
        time.sleep(float(sys.argv[3]))
    elif cmd == "trickle":
        end = time.monotonic() + float(sys.argv[3])
        try:
            s.sendall(b"G")
            while time.monotonic() < end:
                time.sleep(1)
                s.sendall(b"E")
        except OSError:
            pass  # the endpoint gave up on us: what the test wants
    elif cmd == "big":
        try:
            s.sendall(b"GET /debug/pprof/heap HTTP/1.1\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n")
        except OSError:
            pass
        print(status_of(s))


if __name__ == "__main__":
    main()
