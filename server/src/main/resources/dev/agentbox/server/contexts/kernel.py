# agentbox code-context kernel (docs/code-contexts.md): one persistent interpreter per context, started by agentboxd
# as a long-running exec (`python3 -c <this> LANGUAGE`). Standard library only. It listens on an ephemeral loopback
# port, prints "AGENTBOX-KERNEL <port> <token>" on its stdout, accepts the one connection that sends the token, and
# then speaks JSON lines: in {"op":"run","id":N,"code":...} / {"op":"interrupt"}; out {"id":N,"stream":"stdout",
# "text":...}, {"id":N,"result":{...}}, {"id":N,"error":{name,value,traceback}}, {"id":N,"done":true,"exitCode":...}.
import ast, base64, codecs, io, json, linecache, os, queue, secrets, select, signal, socket, subprocess, sys, threading, traceback

LANGUAGE = sys.argv[1] if len(sys.argv) > 1 else "python"
os.environ.setdefault("MPLBACKEND", "Agg")
# Debian's matplotlib reads /etc/matplotlibrc, which an image with its own /etc (agentbox's built-in one) lacks
_RC = "/usr/share/matplotlib/mpl-data/matplotlibrc"
if "MATPLOTLIBRC" not in os.environ and not os.path.exists("/etc/matplotlibrc") and os.path.exists(_RC):
    os.environ["MATPLOTLIBRC"] = _RC
send_lock = threading.Lock()
conn = None
current = None  # id of the run in progress
later = []  # results and errors of the run in progress: sent with its end, in one write
state_lock = threading.Lock()


def send(*objs):
    data = "".join(json.dumps(o) + "\n" for o in objs).encode("utf-8", "replace")
    main = threading.current_thread() is threading.main_thread()
    if main:  # an interrupt (SIGINT) must never cut a line in half: it waits until the line is sent
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        with send_lock:
            conn.sendall(data)
    finally:
        if main:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


class Stream(io.TextIOBase):
    """sys.stdout/sys.stderr: text goes to the host as stream events, sent per line or per 8 KiB."""

    def __init__(self, name):
        self.name = name
        self.parts = []
        self.size = 0

    def writable(self):
        return True

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError("write() argument must be str, not " + type(s).__name__)
        if s:
            self.parts.append(s)
            self.size += len(s)
            if "\n" in s or self.size >= 8192:
                self.flush()
        return len(s)

    def flush(self):
        if self.parts and current is not None:
            send({"id": current, "stream": self.name, "text": "".join(self.parts)})
        self.parts = []
        self.size = 0


class FdForwarder:
    """fd 1 and 2 are pipes: output of subprocesses (os.system, C code) is forwarded as the current run's output."""

    def __init__(self):
        self.pipes = {}
        self.mark = b"\x1e" + secrets.token_hex(8).encode() + b"\x1e"
        self.synced = threading.Event()
        self.pending = 0
        self.busy = threading.Lock()  # held while a chunk is read and sent
        for fd, name in ((1, "stdout"), (2, "stderr")):
            r, w = os.pipe()
            os.dup2(w, fd)
            os.close(w)
            self.pipes[r] = (name, codecs.getincrementaldecoder("utf-8")("replace"), bytearray())
        threading.Thread(target=self.loop, daemon=True).start()

    def loop(self):
        while True:
            ready, _, _ = select.select(list(self.pipes), [], [])
            with self.busy:
                self.forward(ready)

    def forward(self, ready):
            for r in ready:
                name, dec, buf = self.pipes[r]
                buf += os.read(r, 65536)
                at = buf.find(self.mark)
                hit = at >= 0
                end = at if hit else len(buf)
                if not hit:  # hold back only a tail that may be the start of a marker
                    i = buf.rfind(b"\x1e", max(0, len(buf) - len(self.mark)))
                    if i >= 0 and self.mark.startswith(bytes(buf[i:])):
                        end = i
                text = dec.decode(bytes(buf[:end]))
                del buf[:at + len(self.mark) if hit else end]
                if text and current is not None:
                    send({"id": current, "stream": name, "text": text})
                if hit:
                    with state_lock:
                        self.pending -= 1
                        if self.pending == 0:
                            self.synced.set()

    def sync(self):
        """Waits (at most 1 s) until what was written to fd 1 and 2 before now has been forwarded."""
        with self.busy:  # the common case, nothing written by a child: no marker round trip
            ready, _, _ = select.select(list(self.pipes), [], [], 0)
            if not ready and not any(buf for _, _, buf in self.pipes.values()):
                return
        with state_lock:
            self.pending = 2
            self.synced.clear()
        os.write(1, self.mark)
        os.write(2, self.mark)
        self.synced.wait(1.0)


# ---------------------------------------------------------------- python

class Python:
    def __init__(self):
        self.ns = {"__name__": "__main__", "__builtins__": __builtins__}
        self.cells = 0
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def interrupt(self):
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    def run(self, rid, code):
        self.cells += 1
        name = "<cell-%d>" % self.cells
        linecache.cache[name] = (len(code), None, code.splitlines(True), name)
        try:
            tree = ast.parse(code, name, "exec")
            last = None
            if tree.body and isinstance(tree.body[-1], ast.Expr):
                last = ast.Expression(tree.body.pop().value)
            exec(compile(tree, name, "exec"), self.ns)
            if last is not None:
                value = eval(compile(last, name, "eval"), self.ns)
                if value is not None:
                    self.ns["_"] = value
                    later.append({"id": rid, "result": rich(value)})
        except BaseException as e:  # SystemExit and KeyboardInterrupt too: the context lives on
            flush_streams()
            tb = e.__traceback__
            while tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<cell-"):
                tb = tb.tb_next
            lines = traceback.format_exception(type(e), e, tb)
            later.append({"id": rid, "error": {"name": type(e).__name__, "value": str(e), "traceback": "".join(lines)}})
        figures(rid)
        return None


def rich(value):
    out = {}
    try:
        out["text"] = repr(value)
    except BaseException as e:
        out["text"] = "<repr failed: %s>" % type(e).__name__
    fig = sys.modules.get("matplotlib.figure")
    if fig is not None and isinstance(value, fig.Figure):
        out["png"] = png(value)
        sys.modules["matplotlib.pyplot"].close(value) if "matplotlib.pyplot" in sys.modules else None
        return out
    if isinstance(value, type):
        return out
    for method, key in (("_repr_png_", "png"), ("_repr_svg_", "svg"), ("_repr_html_", "html"),
                        ("_repr_markdown_", "markdown"), ("_repr_latex_", "latex"), ("_repr_json_", "json")):
        f = getattr(value, method, None)
        if not callable(f):
            continue
        try:
            data = f()
        except Exception:
            continue
        if data is None:
            continue
        if isinstance(data, tuple):
            data = data[0]
        if isinstance(data, bytes):
            data = base64.b64encode(data).decode()
        elif not isinstance(data, str):
            data = json.dumps(data, default=str)
        out[key] = data
    return out


def png(figure):
    buf = io.BytesIO()
    figure.savefig(buf, format="png")
    return base64.b64encode(buf.getvalue()).decode()


def figures(rid):
    """Every open pyplot figure becomes a PNG result and is closed (as plt.show() would show it)."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return
    try:
        for num in plt.get_fignums():
            later.append({"id": rid, "result": {"text": "<Figure %d>" % num, "png": png(plt.figure(num))}})
        plt.close("all")
    except Exception as e:
        later.append({"id": rid, "error": {"name": type(e).__name__, "value": "rendering a figure failed: %s" % e, "traceback": ""}})


# ---------------------------------------------------------------- bash

BASH_INIT = b"""trap 'return 130 2>/dev/null' INT
__agentbox_run() { local __agentbox_c; IFS= read -r -d '' __agentbox_c; eval "$__agentbox_c" </dev/null; }
"""


class Bash:
    """A persistent bash (cwd, variables, functions persist); each run is eval'd, so a syntax error stays contained."""

    def __init__(self):
        self.start()

    def start(self):
        self.p = subprocess.Popen(["bash", "--noprofile", "--norc"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, start_new_session=True)
        self.p.stdin.write(BASH_INIT)
        self.p.stdin.flush()

    def interrupt(self):
        try:
            os.killpg(self.p.pid, signal.SIGINT)
        except OSError:
            pass

    def run(self, rid, code):
        nonce = secrets.token_hex(16)
        if not code.endswith("\n"):
            code += "\n"
        script = ("__agentbox_run <<'__AGENTBOX_%s'\n%s__AGENTBOX_%s\n__agentbox_s=$?; printf '\\036%s %%d\\n' $__agentbox_s;"
                  " printf '\\036%s\\n' >&2\n") % (nonce, code, nonce, nonce, nonce)
        try:
            self.p.stdin.write(script.encode("utf-8", "surrogateescape"))
            self.p.stdin.flush()
        except OSError:
            pass
        mark = b"\x1e" + nonce.encode()
        streams = {self.p.stdout.fileno(): ["stdout", bytearray(), codecs.getincrementaldecoder("utf-8")("replace"), False],
                   self.p.stderr.fileno(): ["stderr", bytearray(), codecs.getincrementaldecoder("utf-8")("replace"), False]}
        status = None
        while not all(s[3] for s in streams.values()):
            open_fds = [fd for fd, s in streams.items() if not s[3]]
            try:
                ready, _, _ = select.select(open_fds, [], [])
            except KeyboardInterrupt:
                continue
            for fd in ready:
                s = streams[fd]
                chunk = os.read(fd, 65536)
                if not chunk:  # bash exited
                    s[3] = True
                    continue
                s[1] += chunk
                at = s[1].find(mark)
                end = at if at >= 0 else max(0, len(s[1]) - len(mark) - 20)
                text = s[2].decode(bytes(s[1][:end]))
                if text:
                    send({"id": rid, "stream": s[0], "text": text})
                if at >= 0:
                    rest = s[1][at + len(mark):]
                    nl = rest.find(b"\n")
                    if nl < 0:
                        del s[1][:at]
                        continue
                    if s[0] == "stdout":
                        status = int(rest[:nl].strip() or b"0")
                    s[3] = True
                    del s[1][:]
                else:
                    del s[1][:end]
        if status is None:  # the shell exited (`exit` in the code): start a new one, its state is lost
            code = self.p.wait()
            later.append({"id": rid, "error": {"name": "ShellExited", "value": "the shell exited with status %d; a new shell was started (variables and cwd are reset)" % code, "traceback": ""}})
            self.start()
            return code
        return status


def flush_streams():
    sys.stdout.flush()
    sys.stderr.flush()


def main():
    global conn, current
    token = secrets.token_hex(16)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    announce = os.fdopen(os.dup(1), "w")
    sys.stdin = io.StringIO("")
    forwarder = FdForwarder()
    sys.stdout = Stream("stdout")
    sys.stderr = Stream("stderr")
    announce.write("AGENTBOX-KERNEL %d %s\n" % (srv.getsockname()[1], token))
    announce.close()
    while True:  # only the connection that knows the token drives this kernel
        c, _ = srv.accept()
        c.settimeout(10)
        try:
            f = c.makefile("rb")
            if f.readline(100).strip() == token.encode():
                break
        except OSError:
            pass
        c.close()
    srv.close()
    c.settimeout(None)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn = c
    interpreter = Bash() if LANGUAGE == "bash" else Python()
    runs = queue.Queue()

    def reader():
        for line in f:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if msg.get("op") == "interrupt":
                with state_lock:
                    if current is not None:
                        interpreter.interrupt()
            elif msg.get("op") == "run":
                runs.put(msg)
        runs.put(None)

    threading.Thread(target=reader, daemon=True).start()
    while True:
        try:
            msg = runs.get()
            if msg is None:
                os._exit(0)
            rid = msg.get("id")
            code = msg.get("code")
            if not isinstance(code, str) or "\x00" in code:
                send({"id": rid, "error": {"name": "ValueError", "value": "code must be a string without NUL bytes", "traceback": ""}, "done": True})
                continue
            del later[:]
            with state_lock:
                current = rid
            exit_code = interpreter.run(rid, code)
            flush_streams()
            forwarder.sync()
            with state_lock:
                current = None
            done = {"id": rid, "done": True}
            if exit_code is not None:
                done["exitCode"] = exit_code
            send(*later, done)
            del later[:]
        except KeyboardInterrupt:  # an interrupt that came as a run ended: nothing left to stop
            with state_lock:
                if current is not None:
                    rid, current = current, None
                    send(*later, {"id": rid, "error": {"name": "KeyboardInterrupt", "value": "", "traceback": ""}, "done": True})
                    del later[:]


main()
