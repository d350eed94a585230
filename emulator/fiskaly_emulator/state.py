# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The emulator's state (keys, tokens, faults, the request log, the network) and the Python API that tests drive it
with; nothing here listens on a socket (emulator.py serves it over HTTPS, through server.py)."""

from __future__ import annotations

import json
from typing import Any

from .api import Credential, ManagementApi
from .api_012 import ManagementApi012
from .faults import FaultQueue
from .journal import Journal
from .listing_changes import ListingChanges, check_listing_changes
from .minted import MintedSecret, MintedSecrets
from .network import UNCHANGED, Network, check_latency, check_rate_limit
from .store import KeyStore, NameTaken
from .store_012 import KeyStore012, Organizations
from .tokens import TokenService
from .validation import check_key_record, check_ttl
from .validation_012 import check_key_record as check_key_record_012

DEFAULT_API_KEY = "emulator-api-key"
DEFAULT_API_SECRET = "emulator-api-secret"
DEFAULT_READONLY_API_KEY = "emulator-readonly-api-key"
DEFAULT_READONLY_API_SECRET = "emulator-readonly-api-secret"
DEFAULT_ACCESS_TOKEN_TTL = 300
DEFAULT_REFRESH_TOKEN_TTL = 86400
# The dialects of the Management API: one per emulator, the draft by default.
API_VERSION_DRAFT = "0.1.0-draft"
API_VERSION_012 = "0.12"
API_VERSIONS = (API_VERSION_DRAFT, API_VERSION_012)


def seed_record(index: int, record: Any) -> str:
    """Name a seed record in a message: its index in the list and its name, if it has a string one."""
    name = record.get("name") if isinstance(record, dict) else None
    # A name that breaks the rules is still shown (it is the user's own input), but never more than a line of it.
    shown = json.dumps(name)[:60] if isinstance(name, str) else "without a name"
    return f"seed record {index} ({shown})"


class EmulatorState:  # pylint: disable=too-many-instance-attributes  # a facade over every part
    """The state of one emulated fiskaly account and the Python API over it; Emulator serves it over HTTPS."""

    def __init__(  # pylint: disable=too-many-arguments
        self,
        access_token_ttl: int = DEFAULT_ACCESS_TOKEN_TTL,
        refresh_token_ttl: int = DEFAULT_REFRESH_TOKEN_TTL,
        *,
        api_key: str = DEFAULT_API_KEY,
        api_secret: str = DEFAULT_API_SECRET,
        readonly_api_key: str = DEFAULT_READONLY_API_KEY,
        readonly_api_secret: str = DEFAULT_READONLY_API_SECRET,
        latency: float = 0.0,
        rate_limit: int | None = None,
        api_version: str = API_VERSION_DRAFT,
    ) -> None:
        if api_version not in API_VERSIONS:
            raise ValueError(f"api_version must be one of: {', '.join(API_VERSIONS)}")
        if api_key == readonly_api_key:
            raise ValueError("the full-rights and the read-only api_key must differ")
        self._default_ttls = (
            check_ttl(access_token_ttl, "access_token_ttl"),
            check_ttl(refresh_token_ttl, "refresh_token_ttl"),
        )
        self.api_key = api_key
        self.api_secret = api_secret
        self.readonly_api_key = readonly_api_key
        self.readonly_api_secret = readonly_api_secret
        self.minted = MintedSecrets()
        self.listing_changes = ListingChanges()
        self.keystore = KeyStore(self.minted, self.listing_changes)
        self.tokens = TokenService(*self._default_ttls, minted=self.minted)
        self.faults = FaultQueue()
        self.journal = Journal()
        # What reset() goes back to.
        self._default_network = (check_latency(latency), check_rate_limit(rate_limit))
        self.network = Network(*self._default_network)
        self.api_version = api_version
        # The 0.12 dialect's organisations (made in both, shown in neither by the draft) and keys.
        self.organizations = Organizations()
        self.keystore_012 = KeyStore012(self.organizations, self.minted, self.listing_changes)
        credentials = (
            Credential(api_key, api_secret, readonly=False),
            Credential(readonly_api_key, readonly_api_secret, readonly=True),
        )
        self.api: ManagementApi | ManagementApi012 = (
            ManagementApi012(self.keystore_012, self.tokens, credentials)
            if api_version == API_VERSION_012
            else ManagementApi(self.keystore, self.tokens, credentials)
        )

    @property
    def is_012(self) -> bool:
        """Whether the emulator speaks the 0.12 dialect."""
        return self.api_version == API_VERSION_012

    @property
    def organization_id(self) -> str | None:
        """The emulator's own organisation in the 0.12 dialect (its built-in credentials' one); None in the draft."""
        return self.organizations.own if self.is_012 else None

    @property
    def managed_organization_ids(self) -> list[str]:
        """The organisations the own one manages in the 0.12 dialect; none in the draft."""
        return list(self.organizations.managed) if self.is_012 else []

    def dialect(self) -> dict[str, Any]:
        """Return {"api_version", "organization_id", "managed_organization_ids"}."""
        return {
            "api_version": self.api_version,
            "organization_id": self.organization_id,
            "managed_organization_ids": self.managed_organization_ids,
        }

    # Settings

    @property
    def access_token_ttl(self) -> int:
        """Current access token lifetime in seconds."""
        return self.tokens.access_ttl

    @property
    def refresh_token_ttl(self) -> int:
        """Current refresh token lifetime in seconds."""
        return self.tokens.refresh_ttl

    # State

    def reset(self, access_token_ttl: int | None = None, refresh_token_ttl: int | None = None) -> None:
        """Drop keys, tokens, the request log, faults and counters; None restores a lifetime given to the constructor.

        The latency and the rate limit go back to the constructor's, with a full token bucket.
        """
        access = (
            check_ttl(access_token_ttl, "access_token_ttl") if access_token_ttl is not None else self._default_ttls[0]
        )
        refresh = (
            check_ttl(refresh_token_ttl, "refresh_token_ttl")
            if refresh_token_ttl is not None
            else self._default_ttls[1]
        )
        self.keystore.reset()
        self.keystore_012.reset()
        self.tokens.reset(access, refresh)
        self.faults.clear()
        self.listing_changes.clear()
        self.journal.reset()
        self.network.configure(*self._default_network)

    def set_network(self, *, latency: float = UNCHANGED, rate_limit: int | None = UNCHANGED) -> dict[str, Any]:
        """Change the latency (seconds added to every API answer) and the rate limit (requests per second; None: no
        limit).

        An argument left out stays as it is; a rate limit given (even the same one) starts with a full bucket.
        Raise ValueError on a bad value, changing nothing. Return the settings now in force.
        """
        self.network.configure(latency, rate_limit)
        return self.network.settings()

    def network_settings(self) -> dict[str, Any]:
        """Return {"latency": seconds, "rate_limit": requests per second or None}."""
        return self.network.settings()

    def seed_keys(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Create keys without the wire (not logged, not counted); all or nothing; raise ValueError on a bad record.

        The 0.12 dialect takes {name, status?, metadata?, organization_id?, _envs?} records, names may repeat, and
        the objects returned carry their _id and organization_id.
        """
        if self.is_012:
            return self._seed_keys_012(records)
        if not isinstance(records, list):
            raise ValueError("seed keys with a list of {name, kind, status, metadata?} objects")
        checked = []
        first: dict[str, int] = {}
        for index, record in enumerate(records):
            try:
                checked.append(check_key_record(record))
            except ValueError as exc:
                raise ValueError(f"{seed_record(index, record)}: {exc}") from None
            name = checked[-1][0]
            if name in first:
                raise ValueError(
                    f"{seed_record(index, record)}: the name is taken by seed record {first[name]} already"
                )
            first[name] = index
        try:
            return self.keystore.seed(checked)
        except NameTaken as exc:
            raise ValueError(f"{seed_record(first[exc.name], records[first[exc.name]])}: {exc}") from None

    def _seed_keys_012(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not isinstance(records, list):
            raise ValueError("seed keys with a list of {name, status?, metadata?, organization_id?, _envs?} objects")
        checked = []
        for index, record in enumerate(records):
            try:
                checked.append(check_key_record_012(record))
            except ValueError as exc:
                raise ValueError(f"{seed_record(index, record)}: {exc}") from None
        return self.keystore_012.seed(checked)

    def keys(self) -> dict[str, dict[str, Any]]:
        """Return every key object (no secrets): by name in the draft; by _id in the 0.12 dialect, each with the
        organization_id it lives in."""
        return self.keystore_012.snapshot() if self.is_012 else self.keystore.snapshot()

    def create_count(self, name: str) -> int:
        """Return how many times a PUT (the 0.12 dialect: a POST) created this name."""
        return self.keystore_012.create_count(name) if self.is_012 else self.keystore.create_count(name)

    # Observability

    def requests(self, method: str | None = None, path_prefix: str | None = None) -> list[dict[str, Any]]:
        """Return the request log, optionally filtered by method and path prefix (relative to /api/v0)."""
        return self.journal.entries(method, path_prefix)

    def minted_secrets(self, start: int = 0) -> list[MintedSecret]:
        """Every key secret, access token and refresh token handed out since the emulator started (from ``start``
        on)."""
        return self.minted.since(start)

    def clear_requests(self) -> int:
        """Clear the request log; return how many entries it had."""
        return self.journal.clear()

    def stats(self) -> dict[str, Any]:
        """Return counters: requests, handler_seconds (without the latency), faults, rate_limited, creates and
        create_counts."""
        stats = self.journal.stats()
        counts = self.keystore_012.create_counts() if self.is_012 else self.keystore.create_counts()
        stats["creates"] = sum(counts.values())
        stats["create_counts"] = counts
        return stats

    # Faults and tokens

    def inject(self, method: str, path: str, faults: list[dict[str, Any]]) -> int:
        """Queue faults for the next requests matching method ('*' = any) and path (exact, or a prefix ending in
        '*')."""
        return self.faults.inject(method, path, faults)

    def change_after_page(self, after_offset: int, changes: list[dict[str, Any]]) -> int:
        """Change the account right after the listing page at ``after_offset`` is served (whatever its filters): each
        serving of that page takes the next of ``changes``, each ``{"create": [key records], "delete": [names]}``.

        Raise ValueError on a bad spec, queuing nothing; return how many changes wait for that page.
        """
        return self.queue_listing_changes({"after_offset": after_offset, "changes": changes})

    def queue_listing_changes(self, spec: Any) -> int:
        """Validate and queue ``{"after_offset": N, "changes": [...]}`` (records of this emulator's dialect); return
        how many changes wait for that page."""
        check_record = check_key_record_012 if self.is_012 else check_key_record
        return self.listing_changes.add(*check_listing_changes(spec, check_record))

    def pending_listing_changes(self) -> list[dict[str, Any]]:
        """Return the listing changes not made yet, by page offset."""
        return self.listing_changes.pending()

    def pending_faults(self) -> list[dict[str, Any]]:
        """Return the faults not consumed yet."""
        return self.faults.pending()

    def expire_access_tokens(self) -> int:
        """Make every issued access token expired now; return how many were live."""
        return self.tokens.expire_access()

    def expire_refresh_tokens(self) -> int:
        """Make every issued refresh token expired now; return how many were live."""
        return self.tokens.expire_refresh()

    def issue_token(self, readonly: bool = False) -> str:
        """Mint a valid access token directly (full rights unless readonly)."""
        return self.tokens.mint_access(
            self.readonly_api_key if readonly else self.api_key, readonly, self.organization_id
        )
