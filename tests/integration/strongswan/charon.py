"""One strongSwan charon per namespace, configured from python and driven by swanctl.

Why the mount namespace: charon's pid file (/var/run/charon.pid) and vici
socket (/var/run/charon.vici) have fixed paths, so two charons on one machine
collide. Each instance runs as

    ip netns exec NS unshare -m --propagation private \
        sh -c 'mount --bind WORKDIR/run /run && exec /usr/lib/ipsec/charon'

with STRONGSWAN_CONF=WORKDIR/strongswan.conf. /run is a private directory of the
instance (not a tmpfs) so that its vici socket is reachable from outside at
WORKDIR/run/charon.vici: swanctl runs with `--uri` and SWANCTL_DIR=WORKDIR/swanctl
and needs neither nsenter nor the instance's namespaces. `ip netns exec` and
`unshare` exec in place, so the Popen pid is charon's own and SIGTERM stops it
cleanly. The bind mount lives only in the instance's private mount namespace
and vanishes with charon.

kernel-libipsec (the kernel here has no XFRM ESP) does ESP in userspace over a
TUN device ("ipsec0") and always UDP-encapsulates on port 4500; charon installs
routes to the remote traffic selectors into table 220 via that TUN.
"""
import contextlib
import dataclasses
import os
import shutil
import signal
import subprocess
import tempfile
import time

from . import vici_raw

CHARON = "/usr/lib/ipsec/charon"
PLUGINS = "kdf openssl nonce random kernel-libipsec kernel-netlink socket-default vici"
# For certificates: PEM files, X.509 and CRL parsing, the trust chain and
# revocation checks (libstrongswan-standard-plugins has them all).
PKI_PLUGINS = "pem pkcs1 pkcs8 x509 pubkey constraints revocation"


@dataclasses.dataclass
class Conn:
    """One IKE SA config with one CHILD_SA, PSK or certificate authenticated (swanctl.conf(5) names in comments)."""
    name: str
    local_addrs: str                  # connections.<conn>.local_addrs
    remote_addrs: str                 # connections.<conn>.remote_addrs
    local_id: str
    remote_id: str
    psk: str                          # written to a 0600 secrets file, never to a log
    local_ts: list
    remote_ts: list
    ike_proposals: str = "aes128gcm16-prfsha256-x25519"
    esp_proposals: str = "aes128gcm16"
    child: str = "net"
    start_action: str = "none"        # children.<child>.start_action: none | trap | start
    encap: bool = True                # force UDP encapsulation (kernel-libipsec needs it)
    mobike: bool = False
    dpd_delay: int = 0                # seconds; 0 = no DPD
    rekey_time: str = "4h"            # IKE SA rekey interval (0 = never)
    child_rekey_time: str = "1h"      # CHILD_SA rekey interval (0 = never)
    extra: dict = dataclasses.field(default_factory=dict)  # more connection-level key = value
    auth: str = "psk"                 # local/remote.auth: psk | pubkey
    local_cert: str = ""              # local.certs (pubkey): a file name in swanctl/x509 (StrongSwan.add_cert)
    send_cert: str = "ifasked"        # connections.<conn>.send_cert (pubkey)

    def swanctl_conf(self):
        ts = lambda v: ",".join(v)  # noqa: E731
        extra = "".join(f"    {k} = {v}\n" for k, v in self.extra.items())
        if self.auth == "pubkey":
            extra += f"    send_cert = {self.send_cert}\n"
        return f"""  {self.name} {{
    version = 2
    local_addrs = {self.local_addrs}
    remote_addrs = {self.remote_addrs}
    proposals = {self.ike_proposals}
    encap = {"yes" if self.encap else "no"}
    mobike = {"yes" if self.mobike else "no"}
    dpd_delay = {self.dpd_delay}s
    rekey_time = {self.rekey_time}
{extra}    local {{
      auth = {self.auth}
      id = {self.local_id}
{self._cert_lines()}    }}
    remote {{
      auth = {self.auth}
      id = {self.remote_id}
    }}
    children {{
      {self.child} {{
        local_ts = {ts(self.local_ts)}
        remote_ts = {ts(self.remote_ts)}
        esp_proposals = {self.esp_proposals}
        mode = tunnel
        start_action = {self.start_action}
        rekey_time = {self.child_rekey_time}
      }}
    }}
  }}
"""

    def _cert_lines(self):
        if self.auth != "pubkey":
            return ""
        return f"      certs = {self.local_cert}\n" if self.local_cert else ""

    def secret_conf(self):
        if self.auth != "psk":
            return ""  # private keys are files in swanctl/private (StrongSwan.add_cert)
        # Hex form: any PSK text survives swanctl.conf's quoting rules.
        return f"""  ike-{self.name} {{
    id-local = {self.local_id}
    id-remote = {self.remote_id}
    secret = 0x{self.psk.encode().hex()}
  }}
"""


class StrongSwan:
    """A charon in namespace `ns` of a Topology. Use as a context manager (start/stop).

        with StrongSwan(topo, "gwA", [Conn(...)]) as gw:
            gw.load_conns()
            gw.initiate("net")
            gw.wait_established("gw")
            sas = gw.list_sas()   # {ike_name: {..., "child-sas": {name: {...}}}}
    """

    def __init__(self, topo, ns, conns, name=None, log_levels="ike 2, cfg 2, knl 2, net 1, esp 1, lib 1",
                 retransmit_tries=3, retransmit_timeout=1.0, conf_extra="", plugins=PLUGINS):
        self.topo = topo
        self.ns = ns
        self.name = name or ns
        self.conns = list(conns)
        self.log_levels = log_levels
        self.retransmit_tries = retransmit_tries
        self.retransmit_timeout = retransmit_timeout
        self.conf_extra = conf_extra
        self.plugins = plugins
        self.dir = tempfile.mkdtemp(prefix=f"{topo.prefix}{self.name}-", dir=topo.workdir)
        self.log_path = os.path.join(self.dir, "charon.log")
        self.vici = os.path.join(self.dir, "run", "charon.vici")
        self.proc = None

    # -- configuration --------------------------------------------------------

    def _write(self, rel, text, mode=0o644):
        path = os.path.join(self.dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def write_config(self):
        """(Re)writes strongswan.conf, swanctl/swanctl.conf and the 0600 swanctl/secrets.conf."""
        levels = "".join(f"        {lv.strip().replace(' ', ' = ')}\n" for lv in self.log_levels.split(","))
        # Self-contained (no include of /etc/strongswan.d): only the named plugins load.
        self._write("strongswan.conf", f"""charon {{
  load = {self.plugins}
  retransmit_tries = {self.retransmit_tries}
  retransmit_timeout = {self.retransmit_timeout}
  retransmit_base = 1.5
  install_virtual_ip = no
  filelog {{
    main {{
      path = {self.log_path}
      time_format = %H:%M:%S
      append = yes
      flush_line = yes
      default = 1
{levels}    }}
  }}
  syslog {{
    daemon {{
      default = -1
    }}
  }}
{self.conf_extra}}}
""")
        self._write("swanctl/swanctl.conf", "connections {\n" + "".join(c.swanctl_conf() for c in self.conns)
                    + "}\ninclude secrets.conf\n")
        self._write("swanctl/secrets.conf", "secrets {\n" + "".join(c.secret_conf() for c in self.conns) + "}\n",
                    mode=0o600)

    def add_cert(self, kind, name, pem_text):
        """Puts a PEM file where swanctl --load-creds finds it: kind "x509" (our
        certificates, named in Conn.local_cert), "x509ca" (trusted CAs),
        "x509crl" or "private" (keys, mode 0600)."""
        return self._write(os.path.join("swanctl", kind, name), pem_text,
                           mode=0o600 if kind == "private" else 0o644)

    # -- process --------------------------------------------------------------

    def start(self, timeout=15):
        self.write_config()
        run_dir = os.path.join(self.dir, "run")
        shutil.rmtree(run_dir, ignore_errors=True)  # a stale charon.pid would stop charon
        os.makedirs(run_dir)
        env = dict(os.environ, STRONGSWAN_CONF=os.path.join(self.dir, "strongswan.conf"))
        out = open(os.path.join(self.dir, "charon.out"), "w")
        self.proc = self.topo.popen(
            self.ns, ["unshare", "-m", "--propagation", "private", "sh", "-c",
                      f"mount --bind '{run_dir}' /run && exec {CHARON}"],
            stdout=out, stderr=subprocess.STDOUT, env=env)
        out.close()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"charon in {self.ns} exited ({self.proc.returncode}): {self.output()[:3000]}")
            if os.path.exists(self.vici) and self.swanctl("--stats", check=False).returncode == 0:
                return self
            time.sleep(0.1)
        raise RuntimeError(f"charon in {self.ns} did not open its vici socket in {timeout} s")

    def stop(self, timeout=10):
        """SIGTERM, then SIGKILL after timeout; returns charon's exit code (None if it was not running)."""
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def log(self):
        """charon's log so far (the filelog; the PSK never appears in it)."""
        with contextlib.suppress(OSError):
            with open(self.log_path, errors="replace") as f:
                return f.read()
        return ""

    def output(self):
        with contextlib.suppress(OSError):
            with open(os.path.join(self.dir, "charon.out"), errors="replace") as f:
                return f.read() + self.log()
        return self.log()

    # -- swanctl --------------------------------------------------------------

    def swanctl(self, *args, check=True, timeout=30):
        env = dict(os.environ, SWANCTL_DIR=os.path.join(self.dir, "swanctl"))
        r = subprocess.run(["swanctl", *args, "--uri", f"unix://{self.vici}"], capture_output=True, text=True,
                           timeout=timeout, env=env)
        if check and r.returncode != 0:
            raise RuntimeError(f"swanctl {' '.join(args)} in {self.ns} failed ({r.returncode}): "
                               f"{(r.stdout + r.stderr).strip()[-600:]}")
        return r

    def load_conns(self):
        """Loads swanctl.conf's connections and secrets (rewritten from self.conns first)."""
        self.write_config()
        self.swanctl("--load-creds", "--clear", "--noprompt")
        self.swanctl("--load-conns")

    def initiate(self, child, ike=None, timeout=10, check=True):
        """Initiates CHILD_SA `child` (and its IKE SA); returns swanctl's CompletedProcess.

        With check=True a failed initiation raises RuntimeError (with swanctl's log lines).
        """
        args = ["--initiate", "--child", child, "--timeout", str(timeout)]
        if ike:
            args += ["--ike", ike]
        return self.swanctl(*args, check=check, timeout=timeout + 15)

    def terminate(self, ike=None, child=None, timeout=10, check=True):
        args = ["--terminate", "--timeout", str(timeout)]
        args += ["--ike", ike] if ike else []
        args += ["--child", child] if child else []
        return self.swanctl(*args, check=check, timeout=timeout + 15)

    def rekey(self, child=None, ike=None, reauth=False):
        """Asks charon to rekey CHILD_SA `child` or IKE SA `ike` (swanctl --rekey returns once queued)."""
        args = ["--rekey"] + (["--child", child] if child else []) + (["--ike", ike] if ike else [])
        return self.swanctl(*args, *(["--reauth"] if reauth else []))

    def list_sas(self):
        """{ike_sa_name: {key: value, ..., "child-sas": {child_key: {...}}}} from `swanctl --list-sas --raw`.

        Values are strings (lists are python lists), as vici reports them: e.g.
        sas["gw"]["state"] == "ESTABLISHED", sas["gw"]["child-sas"]["net-1"]["spi-in"] == "c0ffee01".
        """
        sas = {}
        for event in vici_raw.parse_events(self.swanctl("--list-sas", "--raw").stdout, "list-sa event"):
            sas.update(event)
        return sas

    def wait_established(self, ike, child=None, timeout=20):
        """Polls list_sas until IKE SA `ike` is ESTABLISHED (and, if given, CHILD_SA `child` INSTALLED).

        Returns the IKE SA's dict; raises TimeoutError with the last state seen.
        """
        end = time.monotonic() + timeout
        last = None
        while True:
            sa = self.list_sas().get(ike)
            last = sa
            if sa and sa.get("state") == "ESTABLISHED":
                if child is None or any(c.get("name") == child and c.get("state") == "INSTALLED"
                                        for c in sa.get("child-sas", {}).values()):
                    return sa
            if time.monotonic() >= end:
                raise TimeoutError(f"{self.ns}: IKE SA {ike} not established in {timeout} s (last: {last})")
            time.sleep(0.2)


def installed_children(ike_sa, child=None):
    """The INSTALLED CHILD_SAs of one list_sas() IKE SA entry (optionally only those named `child`)."""
    return [c for c in ike_sa.get("child-sas", {}).values()
            if c.get("state") == "INSTALLED" and (child is None or c.get("name") == child)]
