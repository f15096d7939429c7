#!/usr/bin/env python3
"""Loopback HTTP server for the HTTP client tests (stdlib only).

Binds 127.0.0.1 on a free port, prints the port on stdout, serves until stdin closes (so it dies
with the test process that started it).

Routes (any method):
  /echo                 200 JSON {method, path, headers: [[name, value]...], body_base64}
  /status/<code>        that status, body "status <code>" (none for 204 and 304)
  /sleep?ms=N[&tag=T]   waits N ms, then 200 "slept"; a tag is counted as it arrives
  /hold?tag=T           counted as it arrives (like /sleep), then held until /release?tag=T (at most
                        60 s): 200 "released", or "not released" when the 60 s ran out
  /release?tag=T        lets every /hold request tagged T answer, those to come too
  /arrived?tag=T        200 with the number of /sleep and /hold requests tagged T that arrived so far
  /large?bytes=N[&chunked=1]  N bytes of "x", with Content-Length or chunked
  /close                promises 1000 bytes, sends 10, closes the connection
  /continue             an interim "100 Continue" (with a header) before the final 200
  /headers              200 with two Set-Cookie fields and an X-Custom field
  /redirect             302 to /echo
"""
import base64
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


arrived = {}  # tag -> /sleep requests that carried it, so a test can wait for one to be in flight
arrived_lock = threading.Lock()
released = {}  # tag -> threading.Event set by /release, which /hold requests wait on


def release_event(tag):
    with arrived_lock:
        return released.setdefault(tag, threading.Event())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so the client's connection reuse is exercised

    def log_message(self, *args):
        pass

    def handle_one_request(self):
        # Route every method through one function.
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def __getattr__(self, name):
        if name.startswith("do_"):
            return self.route
        raise AttributeError(name)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, status, body, content_type="text/plain", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def route(self):
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        body = self.read_body()
        path = url.path
        if path == "/echo":
            payload = {
                "method": self.command,
                "path": self.path,
                "headers": [[k, v] for k, v in self.headers.items()],
                "body_base64": base64.b64encode(body).decode(),
            }
            self.send(200, json.dumps(payload).encode(), "application/json")
        elif path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            self.send(code, b"" if code in (204, 304) else f"status {code}".encode())
        elif path == "/sleep":
            for tag in query.get("tag", []):
                with arrived_lock:
                    arrived[tag] = arrived.get(tag, 0) + 1
            time.sleep(int(query.get("ms", ["1000"])[0]) / 1000)
            self.send(200, b"slept")
        elif path == "/hold":
            tag = query.get("tag", [""])[0]
            with arrived_lock:
                arrived[tag] = arrived.get(tag, 0) + 1
            let_go = release_event(tag).wait(60)
            self.send(200, b"released" if let_go else b"not released")
        elif path == "/release":
            release_event(query.get("tag", [""])[0]).set()
            self.send(200, b"released")
        elif path == "/arrived":
            with arrived_lock:
                count = arrived.get(query.get("tag", [""])[0], 0)
            self.send(200, str(count).encode())
        elif path == "/large":
            size = int(query.get("bytes", ["0"])[0])
            if query.get("chunked") == ["1"]:
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"x" * 16384
                left = size
                while left > 0:
                    part = chunk[: min(left, len(chunk))]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                    left -= len(part)
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.send(200, b"x" * size)
        elif path == "/close":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.wfile.flush()
            self.close_connection = True
        elif path == "/continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\nX-Interim: yes\r\n\r\n")
            self.send(200, b"final", extra=[("X-Final", "yes")])
        elif path == "/headers":
            extra = [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("X-Custom", "  spaced value ")]
            self.send(200, b"headers", extra=extra)
        elif path == "/redirect":
            self.send(302, b"moved", extra=[("Location", "/echo")])
        else:
            self.send(404, b"no such route")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # listen() backlog: the default 5 drops SYNs under 50 concurrent connects


def main():
    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)

    def exit_when_parent_goes():
        sys.stdin.read()
        os._exit(0)

    threading.Thread(target=exit_when_parent_goes, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
