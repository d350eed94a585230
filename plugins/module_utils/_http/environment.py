# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What requests takes from the environment: certificate authorities and proxies (internal, not a public API).

Read the way requests reads it, so that a message can name the variable, and shown without the user
information that a proxy URL may carry.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

try:
    from requests.utils import get_environ_proxies, select_proxy
except ImportError:  # reported by the module through missing_required_lib
    pass

from .. import _messages as messages

# The environment variables that requests reads, in its order, for the certificate authorities when verify is True.
CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
PROXY_SCHEMES = ("http", "https", "socks4", "socks4a", "socks5", "socks5h")


def ca_bundle_from_environment() -> tuple[str, str] | None:
    """The variable and the path of the certificate authorities that requests takes from the environment, if any."""
    for name in CA_BUNDLE_VARIABLES:
        if os.environ.get(name):
            return name, os.environ[name]
    return None


def without_credentials(url: str) -> str:
    """A proxy URL as a message may show it: scheme, host and port, never a user or a password."""
    if "://" not in url:
        url = "http://" + url  # as requests reads a proxy without a scheme
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(a URL that cannot be parsed)"
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def proxy_from_environment(url: str) -> tuple[str, str, str] | None:
    """The proxy that requests takes for ``url``: (where it comes from, its URL without credentials, its URL), or
    None."""
    try:
        proxies = get_environ_proxies(url)
        proxy = select_proxy(url, proxies)
    except ValueError:  # a proxy variable that is no URL; requests fails on it the same way, reported then
        return None
    if not proxy:
        return None
    parts = urlsplit(url)
    keys = [
        key
        for key in (f"{parts.scheme}://{parts.hostname}", parts.scheme, f"all://{parts.hostname}", "all")
        if proxies.get(key) == proxy
    ]
    # urllib reads NAME_proxy in any case, the lower-case name winning; the key is what precedes "_proxy".
    names = sorted(
        (name for name, value in os.environ.items() if keys and name.lower() == f"{keys[0]}_proxy" and value == proxy),
        key=lambda name: name != name.lower(),
    )
    return (names[0] if names else "the system's proxy settings"), without_credentials(proxy), proxy


def proxy_url_error(proxy: str) -> str | None:
    """Why requests cannot use this proxy URL, or None."""
    try:
        parts = urlsplit(proxy if "://" in proxy else "http://" + proxy)
        # Raises on a port that is no number or out of range.
        parts.port  # noqa: B018  # pylint: disable=pointless-statement
    except ValueError:
        return messages.PROXY_NOT_A_URL
    if not parts.hostname:
        return messages.PROXY_WITHOUT_HOST
    if parts.scheme.lower() not in PROXY_SCHEMES:
        return messages.proxy_bad_scheme(parts.scheme, PROXY_SCHEMES)
    return None


def scrubbed(text: str, proxy: str | None) -> str:
    """``text`` without a proxy's user information, whatever quoted it."""
    text = re.sub(r"(?<=//)[^/@\s'\"]*@", "", text)
    if proxy:
        try:
            parts = urlsplit(proxy if "://" in proxy else "http://" + proxy)
            secrets = [parts.password, parts.username]
        except ValueError:
            secrets = []
        # A word of a few letters would be cut out of every other word too: those the URL pattern above must catch.
        for secret in secrets:
            if secret and len(secret) >= 4:
                text = text.replace(secret, "***")
    return text
