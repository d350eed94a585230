# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The API's rules for an API key that can be checked without a round trip (internal, not a public API).

Each check returns messages that name the option and the rule, so that bad input fails before
any request is sent.
"""

from __future__ import annotations

import re

# Matched with fullmatch(): "$" alone would let a trailing line break through ("pos-1\n", read from a file).
NAME_PATTERN = re.compile(r"[a-z0-9-]{3,30}")
METADATA_MAX_PROPERTIES = 20
METADATA_MAX_NAME_LENGTH = 40
METADATA_MAX_VALUE_LENGTH = 500


# A value quoted back in a message is cut to this many characters: a message must stay readable whatever it quotes.
QUOTED_LENGTH = 60


def quoted(value: object) -> str:
    """``repr(value)``, or for a long string its beginning and its length."""
    if isinstance(value, str) and len(value) > QUOTED_LENGTH:
        return f"{value[:QUOTED_LENGTH]!r}... ({len(value)} characters)"
    return repr(value)


def name_errors(option: str, name: object) -> list[str]:
    if isinstance(name, str) and NAME_PATTERN.fullmatch(name):
        return []
    return [f"{option} must match ^[a-z0-9-]{{3,30}}$ (3 to 30 lowercase letters, digits or hyphens), got {quoted(name)}"]


def metadata_errors(option: str, metadata: dict | None) -> list[str]:
    if metadata is None:
        return []
    errors = []
    if len(metadata) > METADATA_MAX_PROPERTIES:
        errors.append(f"{option} may have at most {METADATA_MAX_PROPERTIES} properties, got {len(metadata)}")
    for prop, value in metadata.items():
        if len(prop) > METADATA_MAX_NAME_LENGTH:
            errors.append(f"{option} property names may be at most {METADATA_MAX_NAME_LENGTH} characters, got {len(prop)} in {quoted(prop)}")
        if not isinstance(value, str):
            errors.append(f"{option}.{prop} must be a string (quote it in YAML), got {type(value).__name__}")
        elif len(value) > METADATA_MAX_VALUE_LENGTH:
            errors.append(f"{option}.{prop} may be at most {METADATA_MAX_VALUE_LENGTH} characters, got {len(value)}")
    return errors


def desired_key_errors(keys) -> list[str]:
    """Every local rule broken by a list of desired keys (``DesiredKey``), each message naming its option."""
    errors = []
    seen = set()
    for key in keys:
        prefix = "" if key.option == "name" else f"{key.option}."
        errors += name_errors(f"{prefix}name", key.name)
        errors += metadata_errors(f"{prefix}metadata", key.metadata)
        if key.name in seen:
            errors.append(f"{prefix}name {quoted(key.name)} is declared more than once in api_keys")
        seen.add(key.name)
    return errors
