# A standard-library client of upstream's runtime protocol in the Python client's direct-connection mode: every
# request goes to the router with X-Sandbox-ID / -Namespace / -Port / -Timeout headers. argv: ROUTER_URL SANDBOX [TOKEN]
# Prints one JSON object with what each call returned; the Java test checks it.
import json, sys, urllib.error, urllib.parse, urllib.request, uuid

base, sandbox = sys.argv[1], sys.argv[2]
token = sys.argv[3] if len(sys.argv) > 3 else None


def call(method, path, body=None, ctype=None):
    headers = {"X-Sandbox-ID": sandbox, "X-Sandbox-Namespace": "default", "X-Sandbox-Port": "8888", "X-Sandbox-Timeout": "60"}
    if token:
        headers["Authorization"] = "Bearer " + token
    if ctype:
        headers["Content-Type"] = ctype
    req = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def execute(command):
    status, body = call("POST", "/execute", json.dumps({"command": command}).encode(), "application/json")
    return json.loads(body)


def upload(name, data):
    boundary = uuid.uuid4().hex
    body = (("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
             "Content-Type: application/octet-stream\r\n\r\n") % (boundary, name)).encode() + data + ("\r\n--%s--\r\n" % boundary).encode()
    return call("POST", "/upload", body, "multipart/form-data; boundary=" + boundary)


def q(path):
    return urllib.parse.quote(path, safe="")  # one %2F-encoded segment, as upstream's client sends paths


out = {}
status, body = call("GET", "/")
out["status"] = [status, json.loads(body)]
out["execute"] = execute("echo hello from $(pwd); echo oops >&2; exit 3")
blob = bytes(range(256)) * 4
status, body = upload("data.bin", blob)
out["upload"] = [status, json.loads(body)]
status, body = call("GET", "/download/" + q("data.bin"))
out["download_ok"] = status == 200 and body == blob
execute("mkdir -p sub/dir && echo x > sub/dir/f.txt")
status, body = call("GET", "/list/" + q("sub"))
out["list"] = [status, json.loads(body)]
out["exists"] = [json.loads(call("GET", "/exists/" + q("sub/dir/f.txt"))[1]), json.loads(call("GET", "/exists/" + q("nope.txt"))[1])]
status, body = call("GET", "/download/" + q("nope.txt"))
out["missing"] = status
print(json.dumps(out))
