#!/usr/bin/env python3
"""Latency of an unrelated request while strangers flood the login form with wrong passwords.

Starts `mcpp serve --auth builtin` (one server thread, a users file with a real 600,000-iteration
hash), measures GET /.well-known/oauth-authorization-server alone, then again while N connections
post wrong passwords under fresh user names to /authorize/decision (each one a PBKDF2 check).
Issue 17 finding 3: with hashes on the I/O thread the unrelated request waited for them.

    python3 bench/auth/login_flood.py build/debug/mcpp [--flooders 3] [--samples 40]
"""
import argparse
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed_get(port, path):
    start = time.perf_counter()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", path)
    r = c.getresponse()
    r.read()
    c.close()
    assert r.status == 200, r.status
    return (time.perf_counter() - start) * 1000


def login_page(port, challenge):
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": "bench", "redirect_uri": "http://127.0.0.1:9/cb",
        "code_challenge": challenge, "code_challenge_method": "S256", "state": "s"})
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", "/authorize?" + query)
    r = c.getresponse()
    body = r.read().decode()
    cookie = r.getheader("Set-Cookie").split(";")[0]
    c.close()
    field = lambda name: re.search(f'name="{name}" value="([^"]*)"', body).group(1)
    return field("request_id"), field("csrf"), cookie


def flood(port, stop, counts, index):
    request_id, csrf, cookie = login_page(port, "A" * 43)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    n = 0
    while not stop.is_set():
        body = urllib.parse.urlencode({"request_id": request_id, "csrf": csrf,
                                       "username": f"guess{index}x{n}", "password": "wrong",
                                       "decision": "approve"})
        c.request("POST", "/authorize/decision", body,
                  {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
        r = c.getresponse()
        r.read()
        n += 1
        if r.status not in (401, 503):
            print(f"flooder {index}: unexpected {r.status}", file=sys.stderr)
    counts[index] = n


def summary(name, ms):
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    print(f"{name:<34} median {statistics.median(ms):8.1f} ms   p95 {p95:8.1f} ms   "
          f"max {ms[-1]:8.1f} ms   (n={len(ms)})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mcpp")
    ap.add_argument("--flooders", type=int, default=3)
    ap.add_argument("--samples", type=int, default=40)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="mcpp-login-flood-")
    users = os.path.join(tmp, "users.txt")
    line = subprocess.run([a.mcpp, "hash-password", "alice"], input="a real password\n",
                          capture_output=True, text=True, check=True).stdout
    with open(users, "w") as f:
        f.write(line)
    port = free_port()
    server = subprocess.Popen(
        [a.mcpp, "serve", "--fixture", "bench", "--http", f"127.0.0.1:{port}", "--threads", "1",
         "--auth", "builtin", "--auth-users", users, "--auth-db", os.path.join(tmp, "auth.sqlite"),
         "--auth-client", "bench=http://127.0.0.1:9/cb"],
        stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            try:
                timed_get(port, "/.well-known/oauth-authorization-server")
                break
            except OSError:
                time.sleep(0.1)
        path = "/.well-known/oauth-authorization-server"
        quiet = []
        for _ in range(a.samples):
            quiet.append(timed_get(port, path))
            time.sleep(0.05)
        stop = threading.Event()
        counts = [0] * a.flooders
        threads = [threading.Thread(target=flood, args=(port, stop, counts, i))
                   for i in range(a.flooders)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        flooded = []
        for _ in range(a.samples):
            flooded.append(timed_get(port, path))
            time.sleep(0.05)
        stop.set()
        for t in threads:
            t.join()
        print(f"{a.mcpp}: unrelated GET {path}")
        summary("alone", quiet)
        summary(f"during a {a.flooders}-connection password flood", flooded)
        print(f"password checks answered during the flood: {sum(counts)}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
