"""TLS material: a throw-away CA (its PEM written for clients' ca_path) and a loopback server certificate."""
from __future__ import annotations

import os
import ssl
import tempfile
from pathlib import Path

import trustme

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def _write_atomically(path: Path, data: bytes) -> None:
    # Another process may wait for the file to appear; it must never see half of it.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def make_server_context(tls_dir: Path, host: str) -> tuple[ssl.SSLContext, Path]:
    """Create a CA and a server certificate for the loopback names and host; return the context and the CA PEM path."""
    tls_dir.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="fiskaly Management API emulator")
    names = list(LOOPBACK_NAMES) + ([host] if host not in LOOPBACK_NAMES else [])
    cert = ca.issue_cert(*names)
    ca_path = tls_dir / "ca.pem"
    _write_atomically(ca_path, ca.cert_pem.bytes())
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    cert.configure_cert(context)
    return context, ca_path
