"""Talking to ipsecgwd's control socket from the netns tests: ipsecgwctl
runs, raw protocol frames (apps/ipsecgwctl/README.md), and the hostile
client checks shared by cli_test.py (manually keyed tunnel) and
cli_ike_test.py (IKE tunnels to strongSwan)."""
import json
import os
import socket
import struct
import subprocess
import time


def ctl(ctl_exe, sock, *args, user=None, timeout=20):
    """Runs ipsecgwctl; returns (exit code, stdout, stderr)."""
    cmd = [ctl_exe, "--socket", sock, *args]
    if user:
        cmd = ["setpriv", "--reuid=nobody", f"--regid={user}", "--clear-groups", *cmd]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def ctl_json(ctl_exe, sock, *args):
    rc, out, err = ctl(ctl_exe, sock, "--json", *args)
    try:
        return rc, json.loads(out), err
    except ValueError:
        return rc, None, err


def frame(payload):
    return struct.pack(">I", len(payload)) + payload


def read_frame(s, timeout=5):
    s.settimeout(timeout)
    buf = b""
    while len(buf) < 4:
        chunk = s.recv(4 - len(buf))
        if not chunk:
            return None
        buf += chunk
    (n,) = struct.unpack(">I", buf)
    body = b""
    while len(body) < n:
        chunk = s.recv(n - len(body))
        if not chunk:
            return None
        body += chunk
    return json.loads(body)


def raw_client(sock):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    return s


def closed_by_peer(s, timeout=8):
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except (socket.timeout, ConnectionResetError):
        return False


def request(command, args=None, version=1):
    return frame(json.dumps({"version": version, "command": command, "args": args or {}}).encode())


def check_hostile(sock, ctl_exe, expect):
    """Malformed JSON, a wrong version, an unknown command, an oversized frame, a
    client that never reads, one that stalls mid-frame, 200 concurrent clients,
    20 ipsecgwctl at once: each gets its error or answer. Returns figures."""
    results = {}
    s = raw_client(sock)
    s.sendall(frame(b'{"version":1,"command":'))
    r = read_frame(s)
    expect(r is not None and r["ok"] is False and "not valid JSON" in r["error"], f"malformed JSON: {r}")
    s.sendall(request("status", version=7))
    r = read_frame(s)
    expect(r is not None and r["ok"] is False and "unsupported protocol version 7" in r["error"],
           f"wrong version: {r and r['error']}")
    s.sendall(request("reticulate-splines"))
    r = read_frame(s)
    expect(r is not None and r["ok"] is False and "unknown command" in r["error"], f"unknown command: {r and r['error']}")
    s.sendall(request("status"))
    r = read_frame(s)
    expect(r is not None and r["ok"] is True and r["version"] == 1, "the same connection still answers a good request")
    s.close()

    s = raw_client(sock)
    s.sendall(struct.pack(">I", 1 << 20) + b"x" * 1000)
    r = read_frame(s)
    expect(r is not None and r["ok"] is False and "exceeds the limit of 65536 bytes" in r["error"],
           f"oversized frame: {r and r['error']}")
    expect(closed_by_peer(s), "oversized frame: the connection is closed")
    s.close()

    # A client that asks and never reads, and one that stalls mid-frame: both
    # stay open while everything else goes on, and are closed at the timeout.
    hog = raw_client(sock)
    hog.sendall(request("stats") * 200)
    staller = raw_client(sock)
    staller.sendall(request("status")[:10])

    # 200 concurrent clients: all connect, then all ask, then all read.
    clients = [raw_client(sock) for _ in range(200)]
    t0 = time.monotonic()
    for c in clients:
        c.sendall(request("status"))
    answers = [read_frame(c, timeout=10) for c in clients]
    took = time.monotonic() - t0
    ok = sum(1 for a in answers if a and a.get("ok") is True)
    expect(ok == 200, f"200 concurrent clients: {ok} answered ok in {took * 1000:.0f} ms")
    results["concurrent_ms"] = took * 1000
    for c in clients:
        c.close()

    # Many ipsecgwctl at once, as scripts would run them.
    procs = [subprocess.Popen([ctl_exe, "--socket", sock, "--json", "status"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(20)]
    rcs = [p.wait(timeout=30) for p in procs]
    expect(rcs.count(0) == 20, f"20 ipsecgwctl processes at once: exit codes {sorted(set(rcs))}")

    expect(closed_by_peer(staller, timeout=15), "half a frame then silence: closed by the daemon")
    # The hog's answers stopped at what the socket buffers hold, then the
    # daemon closed it (idle timeout or the per-connection request limit).
    answered = 0
    try:
        while read_frame(hog, timeout=15) is not None:
            answered += 1
    except (socket.timeout, ConnectionResetError):
        answered = -1
    expect(0 < answered <= 101, f"client that never reads: closed by the daemon after {answered} of 200 answers")
    hog.close()
    staller.close()
    return results


def check_refused_user(ctl_exe, sock, expect, user="nogroup"):
    """A non-root user without the group: refused by the socket's mode, and
    with the modes loosened by hand, by the daemon's SO_PEERCRED check.
    Restores the modes."""
    rc, _, err = ctl(ctl_exe, sock, "status", user=user)
    expect(rc == 3 and "Permission denied" in err, f"nobody without the group: connect refused by the socket's mode"
                                                   f" (exit {rc}, {err.strip()})")
    d = os.path.dirname(sock)
    dmode, smode = os.stat(d).st_mode & 0o777, os.stat(sock).st_mode & 0o777
    os.chmod(d, 0o755)
    os.chmod(sock, 0o666)
    try:
        rc, _, err = ctl(ctl_exe, sock, "status", user=user)
        expect(rc == 1 and "permission denied: uid 65534 is not root" in err,
               f"nobody with the socket opened to all: refused by SO_PEERCRED (exit {rc}, {err.strip()})")
        rc, _, err = ctl(ctl_exe, sock, "terminate", "gw", user=user)
        expect(rc == 1 and "permission denied" in err, f"nobody cannot terminate either (exit {rc})")
    finally:
        os.chmod(d, dmode)
        os.chmod(sock, smode)
