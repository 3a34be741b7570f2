"""A real OpenLDAP server for the tests, from Debian's ``slapd`` package.

The server runs from a ``slapd.conf`` and a database made in a temporary directory (never the
system's own ``slapd``, which Debian's package may have started): plain LDAP and LDAPS on two
free loopback ports, StartTLS on the plain one, with a certificate made for ``localhost``. The
directory holds ``dc=example,dc=org``: a service account allowed to search, users with
passwords (``{SSHA}``, made here), and groups of names. ``cn=Monitor`` counts the connections
the server accepted, so a test can tell whether cargohold asked the directory at all. Stopped
by its PID. The fixture is in ``tests/conftest.py``.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.receiver import localhost_tls
from tests.servers import free_port

SLAPD = Path("/usr/sbin/slapd")
SLAPADD = Path("/usr/sbin/slapadd")
SCHEMAS = Path("/etc/ldap/schema")
MODULES = Path("/usr/lib/ldap")

BASE = "dc=example,dc=org"
USERS = f"ou=people,{BASE}"
GROUPS = f"ou=groups,{BASE}"
ROOT_DN = f"cn=admin,{BASE}"
ROOT_PASSWORD = "root-secret"
READER_DN = f"cn=reader,{BASE}"
READER_PASSWORD = "reader-secret"


@dataclass(frozen=True, slots=True)
class Person:
    uid: str
    password: str
    mail: str
    groups: tuple[str, ...]  # cn of the groups it is a member of

    @property
    def dn(self) -> str:
        return f"uid={self.uid},{USERS}"


PEOPLE = (
    Person("ada", "ada-directory-password", "ada@example.org", ("devs", "everyone")),
    Person("grace", "grace-directory-password", "grace@example.org", ("ops", "everyone")),
    Person("linus", "linus-directory-password", "linus@example.org", ()),
)
GROUP_NAMES = ("devs", "ops", "everyone")


def group_dn(cn: str) -> str:
    return f"cn={cn},{GROUPS}"


def ssha(password: str) -> str:
    """``userPassword`` as slappasswd writes it: salted SHA-1."""
    salt = os.urandom(8)
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def _entries() -> str:
    blocks = [
        f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example",
        f"dn: {USERS}\nobjectClass: organizationalUnit\nou: people",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups",
        f"dn: {READER_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: reader\nuserPassword: {ssha(READER_PASSWORD)}",
    ]
    for person in PEOPLE:
        blocks.append(
            f"dn: {person.dn}\nobjectClass: inetOrgPerson\nuid: {person.uid}\n"
            f"cn: {person.uid}\nsn: {person.uid}\nmail: {person.mail}\n"
            f"userPassword: {ssha(person.password)}"
        )
    for name in GROUP_NAMES:
        # groupOfNames needs a member: the service account stays when the people leave.
        members = [READER_DN] + [p.dn for p in PEOPLE if name in p.groups]
        lines = "".join(f"\nmember: {m}" for m in members)
        blocks.append(f"dn: {group_dn(name)}\nobjectClass: groupOfNames\ncn: {name}{lines}")
    return "\n\n".join(blocks) + "\n"


def _config(root: Path, cert: Path, key: Path) -> str:
    schemas = "".join(
        f"include {SCHEMAS / name}.schema\n" for name in ("core", "cosine", "inetorgperson")
    )
    return f"""{schemas}
pidfile {root}/slapd.pid
modulepath {MODULES}
moduleload back_mdb
moduleload back_monitor
TLSCertificateFile {cert}
TLSCertificateKeyFile {key}

database mdb
suffix "{BASE}"
rootdn "{ROOT_DN}"
rootpw {ROOT_PASSWORD}
directory {root}/data
maxsize 16777216
access to attrs=userPassword
    by anonymous auth
    by * none
access to *
    by users read
    by * none

database monitor
access to *
    by dn.exact="{ROOT_DN}" read
    by * none
"""


class SlapdServer:
    def __init__(self, root: Path, port: int, tls_port: int, ca_file: Path) -> None:
        self._root = root
        self.port = port
        self.tls_port = tls_port
        self.ca_file = ca_file  # the certificate the server presents, which clients trust
        self._counted = 0  # connections made by connections() itself

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://localhost:{self.tls_port}"

    @property
    def starttls_url(self) -> str:
        return f"ldap://localhost:{self.port}"

    @classmethod
    def start(cls) -> SlapdServer:
        if not SLAPD.exists():
            pytest.fail("OpenLDAP is not installed: apt-get install slapd ldap-utils")
        root = Path(tempfile.mkdtemp(prefix="cargohold-ldap-"))
        (root / "data").mkdir()
        _, cert = localhost_tls(root)
        config = root / "slapd.conf"
        config.write_text(_config(root, cert, root / "localhost.key"))
        (root / "base.ldif").write_text(_entries())
        subprocess.run(
            [str(SLAPADD), "-f", str(config), "-l", str(root / "base.ldif")],
            capture_output=True,
            check=True,
            timeout=60,
        )
        port, tls_port = free_port(), free_port()
        subprocess.run(
            [
                str(SLAPD),
                "-f",
                str(config),
                "-h",
                f"ldap://127.0.0.1:{port}/ ldaps://127.0.0.1:{tls_port}/",
            ],
            capture_output=True,
            check=True,
            timeout=60,
        )  # daemonizes once it listens
        server = cls(root, port, tls_port, cert)
        server._wait()
        return server

    def _wait(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"slapd did not listen on port {self.port}")

    @property
    def pid(self) -> int:
        return int((self._root / "slapd.pid").read_text().split()[0])

    def connections(self) -> int:
        """The connections others made to the server since it started (``cn=Monitor``)."""
        self._counted += 1
        found = subprocess.run(
            [
                "ldapsearch",
                "-x",
                "-LLL",
                "-H",
                self.url,
                "-D",
                ROOT_DN,
                "-w",
                ROOT_PASSWORD,
                "-b",
                "cn=Total,cn=Connections,cn=Monitor",
                "-s",
                "base",
                "monitorCounter",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        for line in found.stdout.splitlines():
            if line.startswith("monitorCounter:"):
                return int(line.partition(":")[2]) - self._counted
        raise RuntimeError(f"no connection count in {found.stdout!r}")

    def modify(self, ldif: str) -> None:
        """Change the directory as its administrator would (``ldapmodify``)."""
        self._counted += 1
        subprocess.run(
            ["ldapmodify", "-x", "-H", self.url, "-D", ROOT_DN, "-w", ROOT_PASSWORD],
            input=ldif,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )

    def stop(self) -> None:
        pid = self.pid
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        shutil.rmtree(self._root, ignore_errors=True)


__all__ = [
    "BASE",
    "GROUPS",
    "PEOPLE",
    "READER_DN",
    "READER_PASSWORD",
    "USERS",
    "Person",
    "SlapdServer",
    "group_dn",
]
