# A test host's servers (run inside a network namespace the test made): TCP servers that answer "<name>:<port>" and,
# with --dns, a tiny DNS responder on UDP 53 that answers A queries from --dns-map name=address,... Exits after --ttl s.
import socket, struct, sys, threading, time

args = dict(a.split("=", 1) for a in sys.argv[1:])
name = args["name"]
ttl = float(args.get("ttl", "600"))

def tcp(addr, port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)
    while True:
        c, _ = s.accept()
        try:
            c.sendall(f"{name}:{port}\n".encode())
        finally:
            c.close()

def dns(addr, table):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 53))
    while True:
        q, peer = s.recvfrom(512)
        if len(q) < 12:
            continue
        i, labels = 12, []
        while i < len(q) and q[i] != 0:
            labels.append(q[i + 1:i + 1 + q[i]].decode(errors="replace")); i += 1 + q[i]
        qname, qtype = ".".join(labels).lower(), struct.unpack("!H", q[i + 1:i + 3])[0]
        question = q[12:i + 5]
        ip = table.get(qname)
        if ip and qtype == 1:
            answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 5, 4) + socket.inet_aton(ip)
            s.sendto(q[:2] + b"\x81\x80" + struct.pack("!HHHH", 1, 1, 0, 0) + question + answer, peer)
        else:
            rcode = b"\x81\x80" if ip else b"\x81\x83"  # NOERROR without an answer (AAAA of a known name), or NXDOMAIN
            s.sendto(q[:2] + rcode + struct.pack("!HHHH", 1, 0, 0, 0) + question, peer)

for spec in args.get("tcp", "").split(","):
    if spec:
        a, p = spec.rsplit(":", 1)
        threading.Thread(target=tcp, args=(a, int(p)), daemon=True).start()
if "dns" in args:
    table = dict(e.split("=", 1) for e in args.get("dns-map", "").split(",") if e)
    threading.Thread(target=dns, args=(args["dns"], table), daemon=True).start()
print("ready", flush=True)
time.sleep(ttl)
