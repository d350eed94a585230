# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""TLS material: a throw-away CA (its PEM written for clients' ca_path) and a loopback server certificate."""

from __future__ import annotations

import os
import ssl
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.x509.oid import NameOID

from .atomic import InUse, lock_directory, write_atomically

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
ORGANIZATION = "fiskaly Management API emulator"


def written_by_an_emulator(path: Path) -> bool:
    """Whether ``path`` is a CA certificate that an emulator wrote (so that a new one may replace it)."""
    try:
        certificate = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return False
    return [attribute.value for attribute in certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)] == [
        ORGANIZATION
    ]


def make_server_context(tls_dir: Path, host: str) -> tuple[ssl.SSLContext, Path, int]:
    """Create a CA and a server certificate for the loopback names and host; return the context, the CA PEM path and
    the descriptor that holds the lock on ``tls_dir`` (close it when the emulator stops).

    An existing ``ca.pem`` is replaced only when an emulator wrote it and that emulator no longer runs; any other file
    there is never overwritten.
    """
    tls_dir.mkdir(parents=True, exist_ok=True)
    ca_path = tls_dir / "ca.pem"
    try:
        lock = lock_directory(tls_dir)
    except InUse:
        raise ValueError(
            f"{tls_dir} is the --tls-dir of an emulator that is running: a second emulator there would replace its "
            "CA, and the first would fail every TLS handshake; give each emulator a --tls-dir of its own, or none "
            "(a temporary one)"
        ) from None
    try:
        if (ca_path.exists() or ca_path.is_symlink()) and (ca_path.is_symlink() or not written_by_an_emulator(ca_path)):
            raise ValueError(
                f"{ca_path} exists and is not a CA that an emulator wrote: it is never replaced; give "
                "--tls-dir a directory of its own"
            )
        ca = trustme.CA(organization_name=ORGANIZATION)
        names = list(LOOPBACK_NAMES) + ([host] if host not in LOOPBACK_NAMES else [])
        cert = ca.issue_cert(*names)
        os.close(write_atomically(ca_path, ca.cert_pem.bytes(), 0o644))  # a CA certificate is public
    except BaseException:
        os.close(lock)
        raise
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    cert.configure_cert(context)
    return context, ca_path, lock
