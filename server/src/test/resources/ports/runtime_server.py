# A standard-library stand-in for upstream agent-sandbox's python-runtime-sandbox (FastAPI on :8888, cwd /app):
# GET / status, POST /execute {"command"} -> {"stdout","stderr","exit_code"}, POST /upload (multipart field "file"),
# GET /download/{path}, GET /list/{path} -> [{name,size,type,mod_time}], GET /exists/{path} -> {path,exists}.
# It also runs a WebSocket echo server on :8765 (RFC 6455, text and binary frames), for the proxy's upgrade test.
import base64, email.parser, email.policy, hashlib, json, os, socket, struct, subprocess, threading, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

APP = "/app"  # the template mounts an emptyDir here (the built-in image's root is read-only)
os.chdir(APP)


def inside(path):
    p = os.path.realpath(os.path.join(APP, urllib.parse.unquote(path)))
    return p if p == APP or p.startswith(APP + "/") else None


class Runtime(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def do_GET(self):
        raw = self.path.split("?", 1)[0]
        if raw == "/":
            return self.reply(200, {"status": "ok", "message": "Sandbox Runtime is active.",
                                    "seen": {k.lower(): v for k, v in self.headers.items()}})
        for verb in ("download", "list", "exists"):
            if raw.startswith("/" + verb + "/"):
                rel = raw[len(verb) + 2:]
                p = inside(rel)
                if verb == "exists":
                    return self.reply(200, {"path": urllib.parse.unquote(rel), "exists": p is not None and os.path.exists(p)})
                if p is None or not os.path.exists(p):
                    return self.reply(404, {"detail": "File not found"})
                if verb == "download":
                    with open(p, "rb") as f:
                        return self.reply(200, f.read(), "application/octet-stream")
                out = []
                for e in os.scandir(p):
                    st = e.stat()
                    out.append({"name": e.name, "size": st.st_size, "type": "directory" if e.is_dir() else "file", "mod_time": st.st_mtime})
                return self.reply(200, out)
        self.reply(404, {"detail": "Not Found"})

    do_HEAD = do_GET

    def do_POST(self):
        if self.path == "/execute":
            cmd = json.loads(self.body())["command"]
            r = subprocess.run(["/bin/sh", "-c", cmd], capture_output=True, text=True, cwd=APP)
            return self.reply(200, {"stdout": r.stdout, "stderr": r.stderr, "exit_code": r.returncode})
        if self.path == "/upload":
            head = "Content-Type: " + self.headers["Content-Type"] + "\r\n\r\n"
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head.encode() + self.body())
            for part in msg.iter_parts():
                if part.get_param("name", header="content-disposition") == "file":
                    name = os.path.basename(part.get_filename())
                    with open(os.path.join(APP, name), "wb") as f:
                        f.write(part.get_payload(decode=True))
                    return self.reply(200, {"message": "File '" + name + "' uploaded successfully."})
            return self.reply(422, {"detail": "field 'file' required"})
        self.reply(404, {"detail": "Not Found"})

    def log_message(self, *args):
        pass


def ws_echo(conn):
    f = conn.makefile("rb")
    key = None
    while True:
        line = f.readline().decode()
        if line in ("\r\n", "\n", ""):
            break
        if line.lower().startswith("sec-websocket-key:"):
            key = line.split(":", 1)[1].strip()
    if key is None:  # not a WebSocket handshake (or the client left before sending one)
        conn.close()
        return
    accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
    conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").encode())
    while True:
        h = f.read(2)
        if len(h) < 2:
            break
        op, n = h[0] & 0x0F, h[1] & 0x7F
        if n == 126:
            n = struct.unpack(">H", f.read(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", f.read(8))[0]
        mask = f.read(4) if h[1] & 0x80 else b"\0\0\0\0"
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(f.read(n)))
        if op == 8:  # close: answer it and stop
            conn.sendall(b"\x88\x02" + (data[:2] or b"\x03\xe8"))
            break
        if op in (1, 2):
            if op == 1:
                data = ("echo: " + data.decode()).encode()
            n = len(data)
            hdr = bytes([0x80 | op]) + (bytes([n]) if n < 126 else b"\x7e" + struct.pack(">H", n) if n < 65536 else b"\x7f" + struct.pack(">Q", n))
            conn.sendall(hdr + data)
    conn.close()


def ws_server():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", 8765))
    s.listen(16)
    while True:
        c, _ = s.accept()
        threading.Thread(target=ws_echo, args=(c,), daemon=True).start()


threading.Thread(target=ws_server, daemon=True).start()
ThreadingHTTPServer(("0.0.0.0", 8888), Runtime).serve_forever()
