# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Access tokens (HS256 JWTs signed with a per-instance key) and opaque refresh tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from .errors import unauthorized
from .minted import MintedSecrets

_HEADER = {"alg": "HS256", "typ": "JWT"}
# Drop bookkeeping of long-dead tokens now and then, so a long-running emulator stays small.
_PRUNE_EVERY = 1000
_REFRESH_GRACE = 3600.0


@dataclass
class Grant:
    """What a token allows, and until when (Unix seconds)."""

    subject: str
    readonly: bool
    expires_at: float
    claim_exp: int = 0
    # The 0.12 dialect's: the organisation of the credential (None in the draft, whose tokens carry no claims).
    organization_id: str | None = None


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenService:
    """Issues, refreshes and checks tokens; thread-safe."""

    def __init__(self, access_ttl: int, refresh_ttl: int, minted: MintedSecrets | None = None) -> None:
        self._lock = threading.Lock()
        self._minted = minted if minted is not None else MintedSecrets()
        self._signing_key = secrets.token_bytes(32)
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self._access: dict[str, Grant] = {}
        self._refresh: dict[str, Grant] = {}
        self._issued = 0

    def reset(self, access_ttl: int, refresh_ttl: int) -> None:
        """Forget every token (they answer 401 from now on) and set the lifetimes."""
        with self._lock:
            self._access.clear()
            self._refresh.clear()
            self.access_ttl = access_ttl
            self.refresh_ttl = refresh_ttl

    def _sign(self, signing_input: str) -> str:
        return _b64encode(hmac.new(self._signing_key, signing_input.encode("ascii"), hashlib.sha256).digest())

    def mint_access(self, subject: str, readonly: bool, organization_id: str | None = None) -> str:
        """Mint and register an access token (of an organisation in the 0.12 dialect)."""
        now = time.time()
        with self._lock:
            expires_at = now + self.access_ttl
            # Rounding exp up keeps the claim from expiring before the exact registry time.
            jti, exp = str(uuid.uuid4()), math.ceil(expires_at)
            claims = {"sub": subject, "iat": int(now), "exp": exp, "jti": jti}
            self._access[jti] = Grant(subject, readonly, expires_at, exp, organization_id)
            self._maybe_prune(now)
        signing_input = (
            _b64encode(json.dumps(_HEADER, separators=(",", ":")).encode())
            + "."
            + _b64encode(json.dumps(claims, separators=(",", ":")).encode())
        )
        return self._minted.record("access_token", subject, signing_input + "." + self._sign(signing_input))

    def issue(self, subject: str, readonly: bool, organization_id: str | None = None) -> dict[str, Any]:
        """Return a token object: a fresh access token and a fresh refresh token; with an organisation (the 0.12
        dialect) it carries access_token_claims too."""
        access_token = self.mint_access(subject, readonly, organization_id)
        now = time.time()
        refresh_token = self._minted.record("refresh_token", subject, secrets.token_urlsafe(48))
        with self._lock:
            access_ttl, refresh_ttl = self.access_ttl, self.refresh_ttl
            self._refresh[refresh_token] = Grant(subject, readonly, now + refresh_ttl, 0, organization_id)
        answer: dict[str, Any] = {"access_token": access_token}
        if organization_id is not None:
            answer["access_token_claims"] = {"env": "TEST", "organization_id": organization_id}
        return answer | {
            "access_token_expires_in": access_ttl,
            "access_token_expires_at": int(now + access_ttl),
            "refresh_token": refresh_token,
            "refresh_token_expires_in": refresh_ttl,
            "refresh_token_expires_at": int(now + refresh_ttl),
        }

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        """Trade a refresh token for a new token object; the old refresh token stays valid until it expires."""
        with self._lock:
            grant = self._refresh.get(refresh_token)
        if grant is None:
            raise unauthorized("E_INVALID_REFRESH_TOKEN", "refresh token is unknown or revoked")
        if time.time() >= grant.expires_at:
            raise unauthorized(
                "E_REFRESH_TOKEN_EXPIRED", "refresh token has expired, authenticate with api_key and api_secret"
            )
        return self.issue(grant.subject, grant.readonly, grant.organization_id)

    def authenticate(self, authorization: str | None) -> Grant:
        """Check an Authorization header value; return the token's grant or raise 401."""
        if not authorization:
            raise unauthorized("E_UNAUTHORIZED", "missing Authorization header, expected 'Bearer <access_token>'")
        scheme, _space, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise unauthorized(
                "E_UNAUTHORIZED", "Authorization header must use the Bearer scheme: 'Bearer <access_token>'"
            )
        claims = self._verify(token)
        now = time.time()
        if now >= claims["exp"]:
            raise unauthorized("E_TOKEN_EXPIRED", "access token has expired, retrieve a new one")
        with self._lock:
            grant = self._access.get(claims["jti"])
        if grant is None:
            raise unauthorized("E_TOKEN_REVOKED", "access token is unknown or revoked, retrieve a new one")
        if now >= grant.expires_at:
            raise unauthorized("E_TOKEN_EXPIRED", "access token has expired, retrieve a new one")
        return grant

    def _verify(self, token: str) -> dict[str, Any]:
        parts = token.split(".")
        if len(parts) != 3:
            raise unauthorized("E_INVALID_TOKEN", "access token is malformed, expected a JWT")
        try:
            header = json.loads(_b64decode(parts[0]))
            claims = json.loads(_b64decode(parts[1]))
            signature = _b64decode(parts[2])
        except (ValueError, UnicodeDecodeError):
            raise unauthorized("E_INVALID_TOKEN", "access token is malformed, expected a JWT") from None
        if not isinstance(header, dict) or header.get("alg") != "HS256":
            raise unauthorized("E_INVALID_TOKEN", "access token must be signed with HS256")
        expected = hmac.new(self._signing_key, f"{parts[0]}.{parts[1]}".encode("ascii"), hashlib.sha256).digest()
        if not hmac.compare_digest(signature, expected):
            raise unauthorized("E_INVALID_TOKEN", "access token signature is invalid")
        if (
            not isinstance(claims, dict)
            or not isinstance(claims.get("exp"), int)
            or not isinstance(claims.get("jti"), str)
        ):
            raise unauthorized("E_INVALID_TOKEN", "access token claims are malformed")
        return claims

    def expire_access(self) -> int:
        """Make every issued access token expired now; return how many were live."""
        return self._expire_now(self._access)

    def expire_refresh(self) -> int:
        """Make every issued refresh token expired now; return how many were live."""
        return self._expire_now(self._refresh)

    def _expire_now(self, grants: dict[str, Grant]) -> int:
        now = time.time()
        with self._lock:
            live = [grant for grant in grants.values() if grant.expires_at > now]
            for grant in live:
                grant.expires_at = now
            return len(live)

    def _maybe_prune(self, now: float) -> None:
        # Called with the lock held. An access token past its exp claim is rejected before the
        # registry lookup, so its entry is no longer needed.
        self._issued += 1
        if self._issued % _PRUNE_EVERY:
            return
        self._access = {jti: grant for jti, grant in self._access.items() if grant.claim_exp > now}
        self._refresh = {
            token: grant for token, grant in self._refresh.items() if grant.expires_at + _REFRESH_GRACE > now
        }
