#!/usr/bin/python3
"""soak.py: the long run (make soak; not part of make check).

Starts a front (parleyd by default, or parley.fcgi behind nginx with
--front fcgi) on a fresh database, registers --users users (1,000), and
then for --seconds (1,800):
  - every user holds a long-poll (timeout 25 s), from the start of its
    event stream, and polls again with the cursor it got; each poller drops its connection and reconnects now and
    then (on average every --reconnect-every seconds, 60);
  - senders send --rate direct messages a second (200) from random users
    to random users, each with a client_msg_id, retried until a 2xx.
Every 10 s it samples the server's RSS and open descriptors. At the end
it lets the pollers drain and checks the ledger: every acknowledged
message reached its recipient and its sender exactly once, and none
arrived that was not sent. It prints one summary line per sample and a
verdict, and exits non-zero when the ledger does not balance or RSS/fds
grew after warm-up (the first fifth of the run) by more than 20 % + 8 MiB
/ 20 % + 50.

Plain asyncio with a minimal HTTP/1.1 client (keep-alive, Content-Length):
no dependency beyond python3.
"""
import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "http"))


class Conn:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.r = self.w = None

    async def open(self):
        self.r, self.w = await asyncio.open_connection(self.host, self.port)

    def close(self):
        if self.w is not None:
            self.w.close()
        self.r = self.w = None

    async def request(self, method, path, token=None, body=None, timeout=60):
        if self.w is None:
            await self.open()
        data = json.dumps(body).encode() if body is not None else b""
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}"]
        if token:
            head.append(f"Authorization: Bearer {token}")
        if body is not None:
            head += ["Content-Type: application/json",
                     f"Content-Length: {len(data)}"]
        self.w.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        try:
            return await asyncio.wait_for(self._read(), timeout)
        except BaseException:
            self.close()
            raise

    async def _read(self):
        line = await self.r.readline()
        if not line:
            raise ConnectionError("closed")
        status = int(line.split()[1])
        length, close = 0, False
        while True:
            h = await self.r.readline()
            if h in (b"\r\n", b"\n", b""):
                break
            k, _, v = h.decode("latin1").partition(":")
            k = k.strip().lower()
            if k == "content-length":
                length = int(v)
            elif k == "connection" and "close" in v.lower():
                close = True
            elif k == "transfer-encoding":
                raise ConnectionError("chunked answer: not expected")
        body = await self.r.readexactly(length) if length else b""
        if close:
            self.close()
        return status, (json.loads(body) if body else None)


class Soak:
    def __init__(self, a, host, port, pid):
        self.a, self.host, self.port, self.pid = a, host, port, pid
        self.users = []                 # (id, token)
        self.sent = {}                  # message id -> (sender, recipient)
        self.got = {}                   # user id -> {message id: count}
        self.stop_sending = False
        self.stop_polling = False
        self.errors = []
        self.reconnects = 0
        self.polls = 0
        self.samples = []

    async def register(self, i, sem):
        async with sem:
            c = Conn(self.host, self.port)
            for attempt in range(5):
                try:
                    st, j = await c.request("POST", "/api/v1/users", body={
                        "login": f"soak{i}_{random.randrange(10**9)}",
                        "password": "soak password"})
                    if st == 201:
                        c.close()
                        return j["user"]["id"], j["session"]["token"]
                except (OSError, ConnectionError, asyncio.TimeoutError):
                    pass
                await asyncio.sleep(0.5)
            c.close()
            raise RuntimeError(f"cannot register user {i}")

    async def poller(self, uid, token):
        c = Conn(self.host, self.port)
        seen = self.got.setdefault(uid, {})
        last = 0  # the whole stream: nothing sent before the first poll
                  # answered may be missed by the ledger
        next_drop = time.monotonic() + random.expovariate(
            1 / self.a.reconnect_every)
        while True:
            path = (f"/api/v1/events?limit=500&after={last}"
                    f"&timeout={0 if self.stop_polling else 25}")
            try:
                st, j = await c.request("GET", path, token=token)
            except (OSError, ConnectionError, asyncio.TimeoutError,
                    asyncio.IncompleteReadError):
                await asyncio.sleep(0.2)
                continue
            if st != 200:
                self.errors.append(f"poll {uid}: {st} {j}")
                await asyncio.sleep(1)
                continue
            self.polls += 1
            for e in j["events"]:
                if e["type"] == "message.new":
                    mid = e["data"]["id"]
                    seen[mid] = seen.get(mid, 0) + 1
            if self.stop_polling and j["last_id"] == last:
                c.close()
                return
            last = j["last_id"]
            if time.monotonic() > next_drop:
                c.close()  # the next request reconnects
                self.reconnects += 1
                next_drop = time.monotonic() + random.expovariate(
                    1 / self.a.reconnect_every)

    async def sender(self, k, n):
        c = Conn(self.host, self.port)
        interval = n / self.a.rate
        t = time.monotonic() + random.uniform(0, interval)
        i = 0
        while not self.stop_sending:
            t += interval
            await asyncio.sleep(max(0, t - time.monotonic()))
            s, r = random.sample(self.users, 2)
            cid = f"{k}-{i}"
            i += 1
            while True:
                try:
                    st, j = await c.request("POST", "/api/v1/messages",
                                            token=s[1], body={
                                                "to": {"user_id": r[0]},
                                                "text": cid,
                                                "client_msg_id": cid})
                except (OSError, ConnectionError, asyncio.TimeoutError,
                        asyncio.IncompleteReadError):
                    await asyncio.sleep(0.2)
                    continue
                if st in (200, 201):
                    self.sent[j["id"]] = (s[0], r[0])
                    break
                if st in (429, 502, 503):
                    await asyncio.sleep(0.5)
                    continue
                self.errors.append(f"send: {st} {j}")
                break

    def sample(self, t0):
        try:
            with open(f"/proc/{self.pid}/status") as f:
                rss = next(int(l.split()[1]) for l in f
                           if l.startswith("VmRSS:"))
            fds = len(os.listdir(f"/proc/{self.pid}/fd"))
        except (OSError, StopIteration):
            rss = fds = -1
        s = dict(t=round(time.monotonic() - t0), rss_kib=rss, fds=fds,
                 sent=len(self.sent), polls=self.polls,
                 reconnects=self.reconnects, errors=len(self.errors))
        self.samples.append(s)
        print("sample " + json.dumps(s), flush=True)

    async def run(self):
        sem = asyncio.Semaphore(16)
        t0 = time.monotonic()
        self.users = await asyncio.gather(*[self.register(i, sem)
                                            for i in range(self.a.users)])
        print(f"registered {len(self.users)} users in "
              f"{time.monotonic() - t0:.0f}s", flush=True)
        pollers = [asyncio.create_task(self.poller(u, t))
                   for u, t in self.users]
        await asyncio.sleep(2)
        nsend = max(1, self.a.rate // 20)
        senders = [asyncio.create_task(self.sender(k, nsend))
                   for k in range(nsend)]
        t0 = time.monotonic()
        while time.monotonic() - t0 < self.a.seconds:
            self.sample(t0)
            await asyncio.sleep(min(10, max(0.1, self.a.seconds -
                                           (time.monotonic() - t0))))
        self.sample(t0)
        self.stop_sending = True
        await asyncio.gather(*senders)
        await asyncio.sleep(3)
        self.stop_polling = True
        await asyncio.wait_for(asyncio.gather(*pollers), 120)
        return self.verdict()

    def verdict(self):
        bad = []
        for mid, (s, r) in self.sent.items():
            for u in {s, r}:
                n = self.got.get(u, {}).get(mid, 0)
                if n != 1:
                    bad.append(f"message {mid} reached user {u} {n} times")
        for u, seen in self.got.items():
            for mid in seen:
                if mid not in self.sent:
                    bad.append(f"user {u} got message {mid} never sent")
        warm = self.samples[max(1, len(self.samples) // 5)]
        end = self.samples[-1]
        grew = []
        if end["rss_kib"] > warm["rss_kib"] * 1.2 + 8192:
            grew.append(f"RSS {warm['rss_kib']} -> {end['rss_kib']} KiB")
        if end["fds"] > warm["fds"] * 1.2 + 50:
            grew.append(f"fds {warm['fds']} -> {end['fds']}")
        print(f"soak: {len(self.sent)} messages acknowledged over "
              f"{self.a.seconds}s ({len(self.sent) / self.a.seconds:.0f}/s),"
              f" {self.polls} polls, {self.reconnects} reconnects,"
              f" {len(self.users)} pollers; ledger "
              f"{'balances' if not bad else 'DOES NOT balance'};"
              f" RSS {warm['rss_kib']} KiB after warm-up, {end['rss_kib']}"
              f" KiB at the end; fds {warm['fds']} -> {end['fds']};"
              f" {len(self.errors)} errors", flush=True)
        for b in (bad[:20] + self.errors[:20] + grew):
            print("  " + b)
        return not bad and not self.errors and not grew


def start(a, tmp):
    """Starts the front; returns (host, port, pid of parley, [processes])."""
    import conftest
    from conftest import start_front
    build = os.path.join(ROOT, a.build)
    conftest.BUILD = build
    conftest.BUILD_NAME = os.path.basename(build)
    # Few threads: neither front holds a poll in one
    flags = ["--register-max", "1000000", "--threads",
             "2" if a.front == "parleyd" else "64"]
    front = start_front(a.front, tmp, flags, label="soak")
    host, port = front.base.rsplit("//", 1)[1].split(":")
    return host, int(port), front.procs[0].popen.pid, front


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--front", default="parleyd", choices=["parleyd", "fcgi"])
    p.add_argument("--build", default="build")
    p.add_argument("--seconds", type=int, default=1800)
    p.add_argument("--users", type=int, default=1000)
    p.add_argument("--rate", type=int, default=200)
    p.add_argument("--reconnect-every", type=float, default=60.0)
    a = p.parse_args()
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    tmp = tempfile.mkdtemp(prefix="parley-soak-")
    host, port, pid, front = start(a, tmp)
    ok = False
    try:
        ok = asyncio.run(Soak(a, host, port, pid).run())
    finally:
        problems = front.stop()
        for pr in problems:
            print("server: " + pr)
        ok = ok and not problems
        shutil.rmtree(tmp, ignore_errors=True)
    print("soak: " + ("ok" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
