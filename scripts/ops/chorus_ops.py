"""Helpers for scripts/scale-out.sh and scripts/faults.sh (Python 3 standard library only).

  smtp-sink PORT DIR        a minimal SMTP server on 127.0.0.1 that stores each message as a file
  load BASE SECONDS OUT     bounded load through BASE: tracked redirects and API writes; writes
                            the counts it saw as JSON to OUT (needs setup.json next to OUT)
  setup BASE OUT            signs in the demo accounts, creates shares; writes setup.json
  get BASE PATH [TOKEN]     prints a JSON GET response (exit 1 when not 2xx)
  free-ports N              prints N free TCP ports on 127.0.0.1
"""

import asyncio
import http.client
import json
import os
import random
import socket
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/131.0.0.0 Safari/537.36")


# --- SMTP sink -------------------------------------------------------------------------------------

async def smtp_session(reader, writer, directory):
    def send(line):
        writer.write((line + "\r\n").encode())

    send("220 sink ESMTP")
    await writer.drain()
    while True:
        line = await reader.readline()
        if not line:
            break
        verb = line.decode(errors="replace").strip().split(" ")[0].upper()
        if verb in ("EHLO", "HELO"):
            send("250-sink" if verb == "EHLO" else "250 sink")
            if verb == "EHLO":
                send("250 8BITMIME")
        elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
            send("250 ok")
        elif verb == "DATA":
            send("354 end with .")
            await writer.drain()
            lines = []
            while True:
                data = await reader.readline()
                if not data or data in (b".\r\n", b".\n"):
                    break
                lines.append(data[1:] if data.startswith(b"..") else data)
            name = f"{time.time_ns()}-{random.randrange(1 << 30)}.eml"
            tmp = os.path.join(directory, name + ".tmp")
            with open(tmp, "wb") as f:
                f.writelines(lines)
            os.rename(tmp, os.path.join(directory, name))
            send("250 queued")
        elif verb == "QUIT":
            send("221 bye")
            await writer.drain()
            break
        else:
            send("502 not implemented")
        await writer.drain()
    writer.close()


def smtp_sink(port, directory):
    os.makedirs(directory, exist_ok=True)

    async def main():
        server = await asyncio.start_server(
            lambda r, w: smtp_session(r, w, directory), "127.0.0.1", int(port), reuse_address=True)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def message_ids(directory):
    """Message-ID of every stored message."""
    ids = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".eml"):
            continue
        with open(os.path.join(directory, name), "rb") as f:
            for raw in f:
                if raw.lower().startswith(b"message-id:"):
                    ids.append(raw.split(b":", 1)[1].strip().decode())
                    break
    return ids


# --- HTTP ------------------------------------------------------------------------------------------

class Client:
    def __init__(self, base):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port or 80
        self.conn = None

    def request(self, method, path, body=None, token=None, headers=None, timeout=15):
        all_headers = {"user-agent": CHROME}
        all_headers.update(headers or {})
        if token:
            all_headers["authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            all_headers["content-type"] = "application/json"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
            try:
                self.conn.request(method, path, body=data, headers=all_headers)
                response = self.conn.getresponse()
                payload = response.read()
                if response.getheader("connection", "").lower() == "close":
                    self.close()
                return response.status, payload
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive connection closed by the peer before this request: reconnect once.
                self.close()
                if attempt == 2:
                    raise
            except OSError:
                self.close()
                raise
        raise RuntimeError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def login(base, email, password="chorus-demo-password"):
    status, body = Client(base).request("POST", "/api/v1/auth/login",
                                        {"email": email, "password": password})
    if status != 200:
        raise SystemExit(f"login {email}: {status} {body[:300]!r}")
    return json.loads(body)["access_token"]


def setup(base, out):
    admin = login(base, "admin@demo.chorus.test")
    employee = login(base, "employee@demo.chorus.test")
    client = Client(base)
    status, body = client.request("GET", "/api/v1/feed", token=employee)
    feed = json.loads(body)
    items = feed.get("items", feed) if isinstance(feed, dict) else feed
    post_ids = [item.get("id") or item.get("post", {}).get("id") for item in items][:4]
    if status != 200 or not post_ids:
        raise SystemExit(f"feed: {status} {body[:300]!r}")
    codes = []
    for i, post_id in enumerate(post_ids):
        network = ["linkedin", "x", "bluesky", "mastodon"][i % 4]
        status, body = client.request("POST", "/api/v1/shares", {"post_id": post_id, "network": network},
                                      token=employee)
        if status != 201:
            raise SystemExit(f"share: {status} {body[:300]!r}")
        codes.append(json.loads(body)["share"]["code"])
    status, body = client.request("GET", "/api/v1/users?limit=50", token=admin)
    users = json.loads(body)
    users = users.get("items", users) if isinstance(users, dict) else users
    me = json.loads(client.request("GET", "/api/v1/me", token=employee)[1])
    my_id = me.get("id") or me.get("user", {}).get("id")
    recipients = [u["id"] for u in users if u["id"] != my_id][:20]
    with open(out, "w") as f:
        json.dump({"admin": admin, "employee": employee, "codes": codes, "post_ids": post_ids,
                   "recipients": recipients}, f)


def load(base, seconds, out, clickers=6, writers=2):
    """Redirects on every share code and API writes (thanks with a point, shares) for `seconds`."""
    with open(os.path.join(os.path.dirname(out) or ".", "setup.json")) as f:
        s = json.load(f)
    deadline = time.monotonic() + float(seconds)
    lock = threading.Lock()
    counts = {}
    latencies = []

    def count(key, started):
        with lock:
            counts[key] = counts.get(key, 0) + 1
            latencies.append(time.monotonic() - started)

    def clicker(n):
        client, i = Client(base), 0
        while time.monotonic() < deadline:
            code = s["codes"][i % len(s["codes"])]
            started = time.monotonic()
            try:
                status, _ = client.request("GET", f"/r/{code}", headers={"user-agent": f"{CHROME} v{n}-{i}"},
                                           timeout=10)
                count(f"r_{status}", started)
            except OSError as e:
                count(f"r_error_{type(e).__name__}", started)
                time.sleep(0.05)
            i += 1

    def writer(n):
        client, i = Client(base), 0
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                if i % 2 == 0:
                    recipient = s["recipients"][(n * 7 + i) % len(s["recipients"])]
                    status, _ = client.request("POST", "/api/v1/thanks",
                                               {"recipient_id": recipient, "points": 1,
                                                "message": f"Thanks for the help ({n}/{i})"},
                                               token=s["employee"], timeout=10)
                    count(f"thanks_{status}", started)
                else:
                    post = s["post_ids"][i % len(s["post_ids"])]
                    status, _ = client.request("POST", "/api/v1/shares", {"post_id": post, "network": "other"},
                                               token=s["employee"], timeout=10)
                    count(f"share_{status}", started)
            except OSError as e:
                count(f"api_error_{type(e).__name__}", started)
                time.sleep(0.05)
            i += 1
            time.sleep(0.05)

    with ThreadPoolExecutor(clickers + writers) as pool:
        futures = [pool.submit(clicker, n) for n in range(clickers)]
        futures += [pool.submit(writer, n) for n in range(writers)]
        for f in futures:
            f.result()
    latencies.sort()
    counts["p50_ms"] = round(latencies[len(latencies) // 2] * 1000, 1) if latencies else 0
    counts["p99_ms"] = round(latencies[int(len(latencies) * 0.99)] * 1000, 1) if latencies else 0
    counts["max_ms"] = round(latencies[-1] * 1000, 1) if latencies else 0
    with open(out, "w") as f:
        json.dump(counts, f)


def get(base, path, token=None):
    status, body = Client(base).request("GET", path, token=token)
    print(body.decode())
    if not 200 <= status < 300:
        raise SystemExit(f"GET {path}: {status}")


def free_ports(n):
    socks = [socket.socket() for _ in range(int(n))]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    print(" ".join(str(s.getsockname()[1]) for s in socks))
    for s in socks:
        s.close()


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "smtp-sink":
        smtp_sink(*args)
    elif command == "message-ids":
        ids = message_ids(args[0])
        print(json.dumps({"messages": len(ids), "unique": len(set(ids))}))
    elif command == "setup":
        setup(*args)
    elif command == "load":
        load(*args)
    elif command == "get":
        get(*args)
    elif command == "free-ports":
        free_ports(*args)
    else:
        raise SystemExit(__doc__)
