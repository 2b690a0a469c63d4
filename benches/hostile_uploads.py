#!/usr/bin/env python3
import json, subprocess, time, urllib.request, os, sys, threading, socket
# Usage: GONGJIANG_FIXTURES_OUT=/tmp/fx cargo test hostile_files  (writes the files)
#        cargo build --release && python3 benches/hostile_uploads.py /tmp/fx
# Starts the release server on a fresh demo database and measures its memory
# (VmRSS of the server process) while the hostile files of tests/api/hostile_files.rs
# and four concurrent 250 MB uploads go in.
exe = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "release", "gongjiang")
fx = sys.argv[1] if len(sys.argv) > 1 else "/tmp/fx"
d = "/tmp/gongjiang-hostile-run"; subprocess.run(["rm", "-rf", d]); os.makedirs(d)
env = dict(os.environ, GONGJIANG_LOG="warn")
srv = subprocess.Popen([exe, "demo", "--db", f"sqlite://{d}/g.db", "--listen", "127.0.0.1:18080"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
base = "http://127.0.0.1:18080"
for _ in range(200):
    try:
        urllib.request.urlopen(base + "/healthz"); break
    except Exception: time.sleep(0.2)
def rss():
    for l in open(f"/proc/{srv.pid}/status"):
        if l.startswith("VmRSS"): return int(l.split()[1]) // 1024
def call(method, path, body=None, token=None, raw=None):
    req = urllib.request.Request(base + path, method=method, data=raw if raw is not None else (json.dumps(body).encode() if body is not None else None))
    if body is not None: req.add_header("content-type", "application/json")
    if token: req.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req) as r: return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e: return e.code, json.loads(e.read() or b"null")
_, t = call("POST", "/api/v1/session", {"username": "jiangshan", "password": "gongjiang"})
tok = t["token"]
import sqlite3
org = sqlite3.connect(f"{d}/g.db").execute("SELECT id FROM orgs WHERE code='ZJ-NB-YZ-JS'").fetchone()[0]
print("server RSS at rest:", rss(), "MB")
for name in ["dimensions.xls", "far-cell.xls", "zip-bomb.xlsx"]:
    data = open(os.path.join(fx, name), "rb").read()
    s, job = call("POST", f"/api/v1/imports?org_id={org}&mode=all&filename={name}", token=tok, raw=data)
    peak, up = rss(), True
    while True:
        try: urllib.request.urlopen(base + "/healthz")
        except Exception: up = False
        peak = max(peak, rss())
        s, j = call("GET", f"/api/v1/imports/{job['id']}", token=tok)
        if j["state"] != "running": break
        time.sleep(0.05)
    print(f"{name} ({len(data)} bytes): state={j['state']} peak RSS {peak} MB, healthz always 200: {up}; {j['message'][:90]}")
# Four concurrent 250 MB uploads, streamed from a socket.
def send(size):
    s = socket.create_connection(("127.0.0.1", 18080))
    s.sendall(f"POST /api/v1/imports?org_id={org}&mode=check&filename=big.csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tok}\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n".encode())
    chunk = b"a" * (1 << 20); sent = 0
    while sent < size:
        n = min(len(chunk), size - sent); s.sendall(chunk[:n]); sent += n
    s.recv(100); s.close()
ts = [threading.Thread(target=send, args=(250 << 20,)) for _ in range(4)]
peak = rss()
for t_ in ts: t_.start()
while any(t_.is_alive() for t_ in ts):
    peak = max(peak, rss()); time.sleep(0.05)
print("four concurrent 250 MB uploads: peak RSS", peak, "MB")
srv.terminate()
