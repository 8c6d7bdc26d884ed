"""test_shutdown.py: SIGTERM cuts no request. On each front, 20 long-polls
are held and one POST is half sent when the server gets SIGTERM: every
poll gets a whole 200 JSON answer at once, the POST's body is still read
and the message is stored (201), and the server exits 0.

parleyd is spoken to directly (a raw socket for the half-sent POST);
parley.fcgi's polls go through nginx, and its POST is spoken in FastCGI
straight to its socket (nginx buffers a whole body before it passes a
request on, so only there can a request be half received)."""
import json
import os
import signal
import socket
import threading
import time

import pytest
import requests

from conftest import Client, check_response, start_front, stop_front
from fcgi_client import FcgiRequest
from helpers_chat import cursor, direct
from helpers_ops import scrape, value

POLLS = 20


def hold_polls(base, token, after, n):
    """Starts n polls (timeout 30 s), each on its own connection; returns
    (threads, results): each result is (response, seconds) or an
    exception."""
    results = [None] * n

    def run(i):
        s = requests.Session()
        s.trust_env = False
        t0 = time.monotonic()
        try:
            r = s.get(f"{base}/api/v1/events?after={after}&timeout=30",
                      headers={"Authorization": f"Bearer {token}"},
                      timeout=60)
            results[i] = (r, time.monotonic() - t0)
        except Exception as e:  # noqa: BLE001 - reported by the test
            results[i] = e
        finally:
            s.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    return threads, results


def wait_held(base, n, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, samples, _ = scrape(base)
        if value(samples, "parley_polls_held") >= n:
            return
        time.sleep(0.05)
    pytest.fail(f"{n} polls were not held within {timeout} s")


def message_body(text):
    return json.dumps({"text": text}).encode()


class HalfPostHttp:
    """A POST to parleyd whose body is sent in two halves."""

    def __init__(self, base, path, token, body):
        host, port = base.rsplit("/", 1)[1].split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        self.body = body
        self.sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            .encode() + body[:len(body) // 2])

    def finish(self):
        data = b""
        try:
            self.sock.sendall(self.body[len(self.body) // 2:])
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except OSError as e:
            return 0, f"cut: {e}".encode()
        finally:
            self.sock.close()
        if not data:
            return 0, b"cut: closed without an answer"
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split()[1]), body


class HalfPostFcgi:
    """The same POST spoken in FastCGI to parley.fcgi's socket."""

    def __init__(self, sock, path, token, body):
        self.req = FcgiRequest(sock)
        self.body = body
        self.req.begin({
            "GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "POST",
            "REQUEST_URI": path, "QUERY_STRING": "",
            "REMOTE_ADDR": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_AUTHORIZATION": f"Bearer {token}"})
        self.req.body(body[:len(body) // 2])

    def finish(self):
        self.req.body(self.body[len(self.body) // 2:])
        self.req.body(b"")
        r = self.req.response()
        return r.status, r.body


@pytest.mark.parametrize("kind", ["parleyd", "fcgi"])
def test_sigterm_cuts_no_request(kind, tmp_path):
    # one user holds all the polls: no per-user cap here
    flags = ["--max-polls-per-user", "0"] + (
        ["--threads", "32"] if kind == "fcgi" else [])
    front = start_front(kind, str(tmp_path), flags, label=f"stop-{kind}")
    try:
        c = Client(front)
        a, ta = c.register()
        b, tb = c.register()
        chat = direct(c, ta, b["id"])
        after = cursor(c, tb)
        threads, results = hold_polls(front.base, tb, after, POLLS)
        wait_held(front.base, POLLS)

        path = f"/api/v1/chats/{chat}/messages"
        body = message_body("sent across the shutdown " + "x" * 2000)
        if kind == "parleyd":
            post = HalfPostHttp(front.base, path, ta, body)
        else:
            post = HalfPostFcgi(os.path.join(front.tmp, "fcgi.sock"), path,
                                ta, body)
        time.sleep(0.3)  # the server has the request's head and half a body

        server = front.procs[0].popen
        t0 = time.monotonic()
        server.send_signal(signal.SIGTERM)
        for t in threads:
            t.join(10)
        answered = time.monotonic() - t0
        if kind == "parleyd":  # a new connection is refused at once
            host, port = front.base.rsplit("/", 1)[1].split(":")
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection((host, int(port)), 5).close()
        time.sleep(0.3)
        status, text = post.finish()
        assert status == 201, text[:300]
        msg = json.loads(text)
        assert msg["chat_id"] == chat and msg["text"].startswith("sent across")

        for i, res in enumerate(results):
            assert not isinstance(res, Exception) and res is not None, \
                f"poll {i}: {res!r}"
            r, took = res
            assert r.status_code == 200, (i, r.status_code, r.text[:300])
            check_response(r)
            assert r.j["events"] == [] and r.j["last_id"] == after, r.j
        assert answered < 5, f"the held polls took {answered:.1f} s to answer"
        server.wait(20)
        assert server.returncode == 0, front.procs[0].text()[-2000:]
    finally:
        stop_front(front)
