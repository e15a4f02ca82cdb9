#!/usr/bin/python3
"""`meson install` into a scratch DESTDIR: the binaries, the systemd unit,
its defaults file and the documentation land where the unit expects them;
`systemd-analyze verify` accepts the unit (pointed at the installed binary)
without a warning; the installed binaries run.
Usage: install_test.py BUILD_DIR
"""
import os
import subprocess
import sys
import tempfile

failures = []


def expect(cond, what):
    print(("ok    " if cond else "FAIL  ") + what, flush=True)
    if not cond:
        failures.append(what)


def main():
    build = sys.argv[1]
    dest = tempfile.mkdtemp(prefix="ipsecgw-install-")
    r = subprocess.run(["meson", "install", "-C", build, "--destdir", dest, "--no-rebuild", "--quiet"],
                       capture_output=True, text=True, timeout=300)
    expect(r.returncode == 0, f"meson install --destdir: exit {r.returncode} {r.stderr.strip()[-300:]}")
    intro = subprocess.run(["meson", "introspect", build, "--buildoptions"], capture_output=True, text=True)
    import json
    opts = {o["name"]: o["value"] for o in json.loads(intro.stdout)}
    prefix = opts["prefix"]
    root = lambda *p: os.path.join(dest, prefix.lstrip("/"), *p)  # noqa: E731
    unit = root("lib", "systemd", "system", "ipsecgwd.service")
    for path in (root(opts["bindir"], "ipsecgwd"), root(opts["bindir"], "ipsecgwctl"), unit,
                 root(opts["sysconfdir"], "default", "ipsecgwd"),
                 root(opts["datadir"], "doc", "ipsecgw", "README.md"),
                 root(opts["datadir"], "doc", "ipsecgw", "examples", "example-ike-gateway.toml")):
        expect(os.path.isfile(path), f"installed {os.path.relpath(path, dest)}")
    if not os.path.isfile(unit):
        return 1
    text = open(unit).read()
    bindir = os.path.join(prefix, opts["bindir"])
    expect(f"ExecStart={bindir}/ipsecgwd --config " in text, f"the unit runs {bindir}/ipsecgwd")
    expect("@" not in text.replace("root@", ""), "every @placeholder@ of the unit filled in")
    for hardening in ("NoNewPrivileges=yes", "ProtectSystem=strict", "LimitCORE=0", "UMask=0077",
                      "CapabilityBoundingSet="):
        expect(hardening in text, f"the unit has {hardening}")
    # verify checks ExecStart's binary exists: point it at the DESTDIR copy.
    with tempfile.TemporaryDirectory() as tmp:
        probe = os.path.join(tmp, "ipsecgwd.service")
        with open(probe, "w") as f:
            f.write(text.replace(f"{bindir}/", root(opts["bindir"]) + "/"))
        v = subprocess.run(["systemd-analyze", "verify", probe], capture_output=True, text=True, timeout=60)
        expect(v.returncode == 0 and not v.stderr.strip() and not v.stdout.strip(),
               f"systemd-analyze verify: exit {v.returncode}, no warnings ({(v.stderr + v.stdout).strip()[:300]})")
    for exe in ("ipsecgwd", "ipsecgwctl"):
        h = subprocess.run([root(opts["bindir"], exe), "--help"], capture_output=True, text=True, timeout=30)
        expect(h.returncode == 0 and "--" in h.stdout, f"installed {exe} --help runs")
    subprocess.run(["rm", "-rf", dest])
    print(f"install test: {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
