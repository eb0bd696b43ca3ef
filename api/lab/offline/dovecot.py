"""A throwaway Dovecot IMAP server, from Debian's `dovecot-imapd` package, for the tests and `pulse bench-ingest
--imap`.

It listens on loopback only: plain IMAP (with STARTTLS offered) on one port and IMAPS on another, with a
certificate made for the run by `openssl` (its own CA, so a test can verify it as a private CA). Mailboxes
are Maildirs in a temporary folder. Every user name signs in with the run's one password (a static passdb), so
each test takes a new name, and with it a mailbox of its own.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DOVECOT = Path("/usr/sbin/dovecot")


def installed() -> bool:
    """Whether Dovecot's IMAP server (and openssl, for the test certificate) is installed."""
    return DOVECOT.exists() and Path("/usr/lib/dovecot/imap").exists() and shutil.which("openssl") is not None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Dovecot:
    """A running server: its ports, its CA file, and the password every user signs in with."""

    root: Path
    port: int
    tls_port: int
    ca_file: Path
    password: str

    def add_user(self) -> tuple[str, str]:
        """A new user with an empty INBOX: (name, password)."""
        return f"u{secrets.token_hex(6)}", self.password

    def client(self, user: str, password: str) -> imaplib.IMAP4:
        """A signed-in plain connection to put mail in place."""
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        conn.login(user, password)
        return conn

    def append(self, user: str, password: str, messages: list[bytes], folder: str = "INBOX") -> None:
        """Deliver messages into a folder with IMAP APPEND."""
        conn = self.client(user, password)
        try:
            for raw in messages:
                status, data = conn.append(folder, None, None, raw)
                assert status == "OK", data
        finally:
            conn.logout()

    def recreate(self, user: str, password: str, folder: str) -> None:
        """Delete a folder and make it again: the server gives it a new UIDVALIDITY."""
        conn = self.client(user, password)
        try:
            for command in (conn.delete, conn.create):
                status, data = command(folder)
                assert status == "OK", data
        finally:
            conn.logout()

    def fill(self, user: str, messages: list[bytes]) -> None:
        """Put many messages in a user's INBOX at once, as Maildir files written beside the server (as fast
        delivery agents do); Dovecot indexes them when the folder is next opened."""
        import mailbox

        home = self.root / "home" / user
        home.mkdir(parents=True, exist_ok=True)
        box = mailbox.Maildir(str(home / "Maildir"), create=True)
        for raw in messages:
            box.add(raw)
        if os.geteuid() == 0:
            owner = pwd.getpwnam("dovecot")
            for path in [home, *home.rglob("*")]:
                os.chown(path, owner.pw_uid, owner.pw_gid)


def _config(root: Path, port: int, tls_port: int, uid: int, gid: int, login_user: str | None, password: str,
            tokeninfo_url: str | None = None) -> str:
    users = f"default_login_user = {login_user}\ndefault_internal_user = {login_user}\n" if login_user else ""
    if tokeninfo_url:  # XOAUTH2 tokens checked against a local token-info endpoint, as a mail provider does
        (root / "oauth2.conf").write_text(f"tokeninfo_url = {tokeninfo_url}\nusername_attribute = username\n")
        users += f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2\n  args = {root}/oauth2.conf\n}}\n"
    return f"""base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login{' xoauth2' if tokeninfo_url else ''}
auth_failure_delay = 0
mail_fsync = never
first_valid_uid = {uid}
{users}passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
"""


def _certificate(root: Path) -> None:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(root / "key.pem"),
                    "-out", str(root / "cert.pem"), "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True, timeout=60)


def _wait(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dovecot exited: {log.read_text() if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("dovecot did not start listening within 20 s")


@contextmanager
def throwaway_server(tokeninfo_url: str | None = None) -> Iterator[Dovecot]:
    """Start Dovecot on free loopback ports with a throwaway configuration, and stop it at the end.

    Dovecot will not keep mail as root, so as root the mailboxes belong to its own `dovecot` user.
    """
    root = Path(tempfile.mkdtemp(prefix="pulse-imap-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("dovecot")
        uid, gid, login_user = owner.pw_uid, owner.pw_gid, None
        os.chmod(root, 0o755)
    else:
        uid, gid, login_user = os.getuid(), os.getgid(), pwd.getpwuid(os.getuid()).pw_name
    (root / "home").mkdir()
    if os.geteuid() == 0:
        os.chown(root / "home", uid, gid)
    _certificate(root)
    port, tls_port = free_port(), free_port()
    conf = root / "dovecot.conf"
    password = secrets.token_urlsafe(12)
    conf.write_text(_config(root, port, tls_port, uid, gid, login_user, password, tokeninfo_url))
    process = subprocess.Popen([str(DOVECOT), "-F", "-c", str(conf)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        _wait(port, process, root / "dovecot.log")
        yield Dovecot(root=root, port=port, tls_port=tls_port, ca_file=root / "cert.pem",
                      password=password)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)
        shutil.rmtree(root, ignore_errors=True)
