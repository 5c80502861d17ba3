"""Redis servers the tests start themselves: Redis Cluster, TLS, ACL users.

Every server is a ``redis-server`` child process in a temporary directory, on
loopback ports picked at random below the kernel's ephemeral range (so that
neither a parallel test run nor an outgoing connection is likely to hold
them; a port taken anyway is retried with another), stopped by its PID. The
children die with the test process (``PR_SET_PDEATHSIG``), so an interrupted
run leaves no server behind. Nothing here touches the shared Redis on 6379.

- :class:`RedisClusterServers`: ``--cluster-enabled yes`` nodes joined by
  ``redis-cli --cluster create``, optionally with replicas and TLS.
- :class:`TlsRedisServer`: one TLS-only server.
- :class:`Certificates`: a throwaway CA, server and client certificate (openssl).
- :func:`add_acl_user`: ``ACL SETUSER`` on every node.
"""

from __future__ import annotations

import ctypes
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

# Below 32768, where Linux starts handing out ephemeral ports for outgoing connections.
_PORTS = range(12000, 32000)
_START_TIMEOUT = 15.0
_CLUSTER_TIMEOUT = 30.0


def have_redis_binaries() -> bool:
    return all(shutil.which(tool) for tool in ("redis-server", "redis-cli", "openssl"))


def pick_port() -> int:
    """A loopback port nobody listens on now, chosen at random to keep parallel runs apart."""
    for _ in range(200):
        port = random.choice(_PORTS)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port found for a test Redis")


def _die_with_parent() -> None:
    # Linux: SIGKILL the server when the test process dies, however it dies.
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class ServerFailed(RuntimeError):
    """A redis-server that exited or never answered; ``port_taken`` when the port was."""

    def __init__(self, message: str, *, port_taken: bool) -> None:
        super().__init__(message)
        self.port_taken = port_taken


class RedisProcess:
    """One ``redis-server`` child, started in ``directory`` with ``args``, stopped by PID."""

    def __init__(self, directory: Path, port: int, args: Sequence[str]) -> None:
        self.directory = directory
        self.port = port
        self.args = list(args)
        self.pid: int | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.directory / "redis.log"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--logfile",
                str(self.log),
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                *self.args,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        self.pid = self._process.pid
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = self.pid = None
                tail = self.tail()
                raise ServerFailed(
                    f"redis-server on port {self.port} exited: {tail}",
                    port_taken="in use" in tail,
                )
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise ServerFailed(
            f"redis-server on port {self.port} did not answer: {self.tail()}", port_taken=False
        )

    def kill(self) -> None:
        """SIGKILL, as a crashed node dies: no goodbye to clients or to the cluster."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        self._signal(signal.SIGTERM)

    def _signal(self, sig: signal.Signals) -> None:
        process, pid = self._process, self.pid
        self._process = self.pid = None
        if process is None or pid is None or process.poll() is not None:
            return
        os.kill(pid, sig)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(pid, signal.SIGKILL)
            process.wait(timeout=10)

    def tail(self, lines: int = 4) -> str:
        try:
            return " | ".join(self.log.read_text().strip().splitlines()[-lines:])
        except OSError:
            return "(no log)"


def start_server(make: Callable[[int], RedisProcess], attempts: int = 5) -> RedisProcess:
    """Start ``make(port)`` on a free port, trying other ports if one was taken meanwhile."""
    for attempt in range(attempts):
        server = make(pick_port())
        try:
            server.start()
        except ServerFailed as exc:
            if exc.port_taken and attempt < attempts - 1:
                continue
            raise
        return server
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Certificates:
    """A throwaway certificate authority, with a server and a client certificate it signed.

    The server certificate names ``127.0.0.1`` and ``localhost``; it is also good for
    client authentication, as cluster nodes present it to each other on the cluster bus.
    """

    directory: Path

    @property
    def ca(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def server_cert(self) -> Path:
        return self.directory / "server.crt"

    @property
    def server_key(self) -> Path:
        return self.directory / "server.key"

    @property
    def client_cert(self) -> Path:
        return self.directory / "client.crt"

    @property
    def client_key(self) -> Path:
        return self.directory / "client.key"

    @classmethod
    def generate(cls, directory: Path) -> Certificates:
        directory.mkdir(parents=True, exist_ok=True)
        certs = cls(directory)
        curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        _openssl(
            "req", "-x509", *curve, "-days", "2", "-subj", "/CN=azora-nb test CA",
            "-keyout", certs.ca.with_suffix(".key"), "-out", certs.ca,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        )  # fmt: skip
        for name, usage, names in (
            ("server", "serverAuth,clientAuth", "subjectAltName=IP:127.0.0.1,DNS:localhost\n"),
            ("client", "clientAuth", ""),
        ):
            key, csr = directory / f"{name}.key", directory / f"{name}.csr"
            crt, ext = directory / f"{name}.crt", directory / f"{name}.ext"
            ext.write_text(
                f"{names}basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                f"extendedKeyUsage={usage}\nsubjectKeyIdentifier=hash\n"
                "authorityKeyIdentifier=keyid\n"
            )
            _openssl("req", "-new", *curve, "-subj", f"/CN=azora-nb test {name}",
                     "-keyout", key, "-out", csr)  # fmt: skip
            _openssl(
                "x509", "-req", "-in", csr, "-CA", certs.ca, "-CAkey", certs.ca.with_suffix(".key"),
                "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", crt,
            )  # fmt: skip
        return certs

    def server_args(self, *, require_client_certs: bool) -> list[str]:
        return [
            "--tls-cert-file",
            str(self.server_cert),
            "--tls-key-file",
            str(self.server_key),
            "--tls-ca-cert-file",
            str(self.ca),
            "--tls-auth-clients",
            "yes" if require_client_certs else "optional",
        ]

    def cli_args(self) -> list[str]:
        return ["--tls", "--cacert", str(self.ca), "--cert", str(self.client_cert),
                "--key", str(self.client_key)]  # fmt: skip

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for a redis-py admin client of the test servers."""
        return {
            "ssl": True,
            "ssl_ca_certs": str(self.ca),
            "ssl_certfile": str(self.client_cert),
            "ssl_keyfile": str(self.client_key),
        }


def _openssl(*args: object) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, timeout=60)


@dataclass(frozen=True)
class AclUser:
    """An ACL user on test servers; the password holds URL-special characters on purpose."""

    name: str
    password: str

    def url(self, scheme: str, port: int) -> str:
        return (
            f"{scheme}://{quote(self.name, safe='')}:{quote(self.password, safe='')}"
            f"@127.0.0.1:{port}/0"
        )


class RedisClusterServers:
    """``primaries`` cluster nodes (each with ``replicas`` replicas) on loopback ports.

    With ``certs``, nodes speak TLS only, to clients and to each other. A low
    ``node_timeout_ms`` makes a replica take over a killed primary in a few seconds.
    """

    def __init__(
        self,
        directory: Path,
        *,
        primaries: int = 3,
        replicas: int = 0,
        certs: Certificates | None = None,
        password: str | None = None,
        node_timeout_ms: int = 1000,
    ) -> None:
        self.directory = directory
        self.primaries = primaries
        self.replicas = replicas
        self.certs = certs
        self.password = password
        self.node_timeout_ms = node_timeout_ms
        self.nodes: list[RedisProcess] = []

    @property
    def scheme(self) -> str:
        return "rediss" if self.certs else "redis"

    @property
    def url(self) -> str:
        """A URL of one live node, as a user would configure it (no credentials)."""
        port = next(node.port for node in self.nodes if node.running)
        return f"{self.scheme}://127.0.0.1:{port}/0"

    def _node(self, index: int, port: int) -> RedisProcess:
        args = [
            "--cluster-enabled", "yes",
            "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", str(self.node_timeout_ms),
            "--cluster-port", str(pick_port()),
            "--repl-diskless-sync-delay", "0",
        ]  # fmt: skip
        if self.certs is not None:
            args += ["--port", "0", "--tls-port", str(port), "--tls-cluster", "yes",
                     "--tls-replication", "yes",
                     *self.certs.server_args(require_client_certs=False)]  # fmt: skip
        else:
            args += ["--port", str(port)]
        if self.password is not None:
            args += ["--requirepass", self.password, "--masterauth", self.password]
        return RedisProcess(self.directory / f"node-{index}", port, args)

    def start(self) -> RedisClusterServers:
        count = self.primaries * (1 + self.replicas)
        try:
            for index in range(count):
                self.nodes.append(start_server(lambda port, i=index: self._node(i, port)))
            self._cli(
                "--cluster", "create", *(f"127.0.0.1:{n.port}" for n in self.nodes),
                "--cluster-replicas", str(self.replicas), "--cluster-yes",
            )  # fmt: skip
            self.wait_until_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def _cli(self, *args: str) -> str:
        command = ["redis-cli", *(self.certs.cli_args() if self.certs else [])]
        if self.password is not None:
            command += ["--no-auth-warning", "-a", self.password]
        done = subprocess.run(
            [*command, *args], capture_output=True, text=True, timeout=_CLUSTER_TIMEOUT
        )
        if done.returncode != 0:
            raise RuntimeError(f"redis-cli {' '.join(args[:2])} failed: {done.stdout}{done.stderr}")
        return done.stdout

    def admin(self, node: RedisProcess) -> Any:
        """A plain redis-py client of one node, as the default user."""
        import redis

        kwargs: dict[str, Any] = self.certs.client_kwargs() if self.certs else {}
        return redis.Redis(
            host="127.0.0.1", port=node.port, password=self.password, socket_timeout=5, **kwargs
        )

    def _ask(self, node: RedisProcess, *command: str) -> Any:
        client = self.admin(node)
        try:
            return client.execute_command(*command)
        finally:
            client.close()

    def wait_until_healthy(self, timeout: float = _CLUSTER_TIMEOUT) -> None:
        """Until every live node sees the cluster ok with every slot served, each primary
        with its replicas in sync."""
        deadline = time.monotonic() + timeout
        problem = "not checked yet"
        while time.monotonic() < deadline:
            problem = self._problem()
            if problem == "":
                return
            time.sleep(0.1)
        raise RuntimeError(f"test Redis Cluster not healthy after {timeout:.0f} s: {problem}")

    def _problem(self) -> str:
        live = [n for n in self.nodes if n.running]
        for node in live:
            try:
                info = _fields(self._ask(node, "CLUSTER", "INFO"))
            except Exception as exc:  # a node still starting answers with all kinds of errors
                return f"{node.port}: {exc}"
            if info.get("cluster_state") != "ok" or info.get("cluster_slots_ok") != "16384":
                return f"{node.port}: {info.get('cluster_state')}"
            if int(info.get("cluster_known_nodes", 0)) < len(live):
                return f"{node.port} knows {info.get('cluster_known_nodes')} nodes"
        for node in live:
            if node.port not in self.primary_ports():
                replication = _fields(self._ask(node, "INFO", "replication"))
                if replication.get("master_link_status") != "up":
                    return f"replica {node.port} not in sync"
        return ""

    def primary_ports(self) -> list[int]:
        """Ports of the primaries serving slots, as the live nodes see them."""
        node = next(n for n in self.nodes if n.running)
        raw = self._ask(node, "CLUSTER", "NODES")
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        ports = []
        for line in text.splitlines():
            fields = line.split()
            flags = fields[2].split(",")
            if "master" in flags and "fail" not in flags and len(fields) > 8:
                ports.append(int(fields[1].split("@")[0].rsplit(":", 1)[1]))
        return sorted(ports)

    def node_serving(self, key: str) -> RedisProcess:
        """The primary that holds ``key``'s hash slot."""
        node = next(n for n in self.nodes if n.running)
        slot = int(self._ask(node, "CLUSTER", "KEYSLOT", key))
        for start, end, primary, *_ in self._ask(node, "CLUSTER", "SLOTS"):
            if start <= slot <= end:
                port = int(primary[1])
                return next(n for n in self.nodes if n.port == port)
        raise LookupError(f"no node serves slot {slot}")

    def add_user(self, user: AclUser, rules: Sequence[str]) -> None:
        add_acl_user([self.admin(n) for n in self.nodes if n.running], user, rules)


class TlsRedisServer:
    """One TLS-only redis-server (``rediss://``) whose default user needs a password."""

    def __init__(
        self, directory: Path, certs: Certificates, *, require_client_certs: bool, password: str
    ) -> None:
        self.directory = directory
        self.certs = certs
        self.require_client_certs = require_client_certs
        self.password = password
        self.process: RedisProcess | None = None

    @property
    def port(self) -> int:
        assert self.process is not None, "start() the server first"
        return self.process.port

    def start(self) -> TlsRedisServer:
        args = self.certs.server_args(require_client_certs=self.require_client_certs)
        self.process = start_server(
            lambda port: RedisProcess(
                self.directory,
                port,
                ["--port", "0", "--tls-port", str(port), "--requirepass", self.password, *args],
            )
        )
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def admin(self) -> Any:
        import redis

        return redis.Redis(
            host="127.0.0.1",
            port=self.port,
            password=self.password,
            socket_timeout=5,
            **self.certs.client_kwargs(),
        )

    def add_user(self, user: AclUser, rules: Sequence[str]) -> None:
        add_acl_user([self.admin()], user, rules)


def add_acl_user(admins: Sequence[Any], user: AclUser, rules: Sequence[str]) -> None:
    """``ACL SETUSER`` on every node: ACLs are per node, also in a cluster."""
    for admin in admins:
        try:
            admin.execute_command(
                "ACL", "SETUSER", user.name, "reset", "on", f">{user.password}", *rules
            )
        finally:
            admin.close()


def _fields(raw: Any) -> dict[str, str]:
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    pairs = (line.split(":", 1) for line in text.splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


# The ACL user every TLS and cluster test server knows (a password with every awkward
# character a URL can hold), and what it may do.
REDIS_USER = AclUser("azora-test", "p@ss/w:rd?#%41 é")
"""The ACL user of the TLS servers; its password holds URL-special characters on purpose."""
REDIS_USER_RULES = ("~azt-*", "~azora-nb*", "resetchannels", "&*", "+@all", "-@dangerous", "+info")
