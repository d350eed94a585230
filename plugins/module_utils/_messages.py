# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every word a user reads when a run fails or warns: the one catalogue (internal, not a public API).

Data and formatting only: the checks elsewhere decide *whether* something failed, never *how that reads*, and this is
the one place to check that no message quotes a credential. Integration tests assert on these words: change them here,
and only on purpose. Imported as a module, ``from . import _messages as messages``, and read as ``messages.WORD``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

EXCERPT_LENGTH = 120
# How many input errors a message lists; the rest are counted (a fleet of 10,000 bad names makes one short message).
LISTED_ERRORS = 10
# A value quoted back in a message is cut to this many characters: a message must stay readable whatever it quotes.
QUOTED_LENGTH = 60


# -- shaping a message -----------------------------------------------------------------------


def unexpected(error_type: str, error: object) -> str:
    return f"Unexpected error: {error_type}: {error}"


def request_failed(activity: str, label: str, detail: str, attempts: int = 1) -> str:
    """How a request that failed reads: "Creating API key 'pos-1' failed: HTTP 503: ..." (after its attempts)."""
    return with_attempts(f"{activity} failed: {label}: {detail}", attempts)


def status_label(status: int, code: str | None) -> str:
    return f"HTTP {status} {code}" if code else f"HTTP {status}"


def status_detail(status: int, detail: str) -> str:
    return f"HTTP {status} {detail}"


def ended_in_status(status: int) -> str:
    """How a request ended, as the lost-secret message says it: "HTTP 503"."""
    return f"HTTP {status}"


def ended_in_cause(cause: str) -> str:
    """How a request ended without a usable answer, as the lost-secret message says it: "a timeout"."""
    return f"a {cause}"


def error_list(errors: list[str]) -> str:
    """Input errors as one message: all of a few, or the first ``LISTED_ERRORS`` and how many there are in all."""
    if len(errors) <= LISTED_ERRORS:
        return "; ".join(errors)
    return (
        f"{len(errors)} errors, the first {LISTED_ERRORS} of them: "
        + "; ".join(errors[:LISTED_ERRORS])
        + f"; and {len(errors) - LISTED_ERRORS} more"
    )


def excerpt(text: str) -> str:
    """A short, single-line piece of a non-JSON body (an HTML page from a gateway, say)."""
    without_tags = re.sub(r"<[^>]*>", " ", text)
    flat = " ".join(without_tags.split())
    return flat if len(flat) <= EXCERPT_LENGTH else flat[:EXCERPT_LENGTH] + "..."


def sentence(text: object) -> str:
    """``text`` as a whole sentence, for another to follow: its own full stop (an API message's, say, or the
    ellipsis of an excerpt) is kept, and one is added only where none is, so that no message reads "..."."""
    text = str(text).rstrip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def quoted(value: object) -> str:
    """``repr(value)``, or for a long string its beginning and its length."""
    if isinstance(value, str) and len(value) > QUOTED_LENGTH:
        return f"{value[:QUOTED_LENGTH]!r}... ({len(value)} characters)"
    return repr(value)


# -- the shared options (_auth_options, _connection_options) ---------------------------------


def unprintable_credential(name: str) -> str:
    return (
        f"{name} must not contain white space or control characters (a trailing line break from a file or vault, say)"
    )


def non_ascii_access_token() -> str:
    # Never quoted: it is a credential.
    return (
        "access_token must be ASCII: it goes in an HTTP header, which takes no other characters (a token never has "
        "them)"
    )


def missing_credentials(alternative: str = "access_token") -> str:
    return (
        f"one of {alternative}, or api_key with api_secret, is required (as options, through module_defaults, or as "
        "FISKALY_* environment variables)"
    )


def ca_path_no_file(ca_path: str) -> str:
    return f"ca_path must be a readable PEM file of certificate authorities, but {ca_path} is no file"


def ca_path_no_file_unverified(ca_path: str) -> str:
    return (
        f"ca_path {ca_path} is no file, and validate_certs is false: ca_path names the certificate authorities that "
        "verify "
        "the API, which validate_certs false turns off, so one of the two is a mistake. Give a ca_path that exists "
        "and drop "
        "validate_certs false, or drop ca_path (and FISKALY_CA_PATH)"
    )


def timeout_out_of_range(maximum: int, value: object) -> str:
    return f"timeout must be a number of seconds greater than 0 and at most {maximum}, got {value}"


def retries_out_of_range(maximum: int, value: object) -> str:
    return f"retries must be 0 to {maximum}, got {value}"


def concurrency_out_of_range(maximum: int, value: object) -> str:
    return f"max_concurrent_requests must be 1 to {maximum}, got {value}"


def retry_deadline_out_of_range(maximum: int, value: object) -> str:
    return f"retry_deadline must be a number of seconds from 0 to {maximum}, got {value}"


def missing_ca_bundle(name: str, path: str) -> str:
    return (
        f"the environment variable {name} names {path} as the file of certificate authorities to trust, but there is "
        "no such file: requests reads it when ca_path is not set. Fix or unset it, or set ca_path"
    )


def unusable_proxy(source: str, problem: str) -> str:
    # Named, never shown: a proxy URL may carry a user and a password.
    return (
        f"the proxy for base_url comes from {source}, which requests cannot use: {problem}. Fix or unset it, or "
        "exclude the API's host with NO_PROXY"
    )


BASE_URL_INVALID = "base_url is not a valid URL"
# Never quoted: the user information may hold a password.
BASE_URL_USER_INFORMATION = (
    "base_url must not carry user information (user:password@host): the API takes api_key and api_secret, and a "
    "URL's credentials would be sent to it instead"
)


def base_url_unprintable(shown: str) -> str:
    return f"base_url must not contain white space or control characters (a trailing line break, say), got {shown!r}"


def base_url_bad_port(shown: str) -> str:
    return f"base_url has no valid port (a number from 0 to 65535 after the host), got {shown!r}"


def base_url_not_https(shown: str) -> str:
    return f"base_url must be an https:// URL, got {shown!r}: the API is served over HTTPS only"


def base_url_query(shown: str) -> str:
    return f"base_url must have no query string or fragment, got {shown!r}: the paths of the API are added to it"


INSECURE_WARNING = (
    "validate_certs is false: the API's TLS certificate is not verified, so its identity is not either. Use ca_path "
    "for a private CA instead."
)


def interrupted_before_done(error: BaseException) -> str:
    return f"The module was {error} before it was done"


# -- the options of the modules --------------------------------------------------------------


def at_least(option: str, minimum: int, value: object) -> str:
    return f"{option} must be {minimum} or more, got {value}"


def named_twice(option: str, values: object) -> str:
    return f"{option} must not name a value twice (the API wants unique items), got {values}"


# -- the API's rules for a key (_api_keys.rules, _api_keys.plans) -------------------------------


def bad_name(option: str, name: object) -> str:
    return f"{option} must match ^[a-z0-9-]{{3,30}}$ (3 to 30 lowercase letters, digits or hyphens), got {quoted(name)}"


def too_many_properties(option: str, maximum: int, count: int) -> str:
    return f"{option} may have at most {maximum} properties, got {count}"


def property_name_too_long(option: str, maximum: int, prop: str) -> str:
    return f"{option} property names may be at most {maximum} characters, got {len(prop)} in {quoted(prop)}"


def property_not_a_string(option: str, prop: str, value: object) -> str:
    return f"{option}.{prop} must be a string (quote it in YAML), got {type(value).__name__}"


def property_value_too_long(option: str, prop: str, maximum: int, length: int) -> str:
    return f"{option}.{prop} may be at most {maximum} characters, got {length}"


def declared_twice(prefix: str, name: str) -> str:
    return f"{prefix}name {quoted(name)} is declared more than once in api_keys"


def id_declared_twice(prefix: str, key_id: str) -> str:
    return f"{prefix}id {quoted(key_id)} is declared more than once in api_keys"


def empty_id(option: str) -> str:
    return f"{option} must name a key's _id, got an empty value"


def declared_key(name: str, declared_as: str) -> str:
    """How a message names a key: by its name, and for an item of api_keys by its place there too."""
    return f"API key '{name}'" + ("" if declared_as == "name" else f" ({declared_as})")


def no_kind_to_create(where: str) -> str:
    return f"{where} does not exist, and kind is required to create it"


def kind_cannot_change(where: str, current: object, wanted: object) -> str:
    return (
        f"{where} exists with kind {current!r}, but kind {wanted!r} is wanted: the API cannot change the kind of a key"
    )


def metadata_cannot_change(where: str, current: object, wanted: object) -> str:
    return (
        f"{where} exists with metadata {current!r}, but metadata {wanted!r} is wanted: the API cannot change the "
        "metadata of a key"
    )


# -- the client's requests (_http) ---------------------------------------------------------


def activity_authenticate() -> str:
    return "Retrieving a token with api_key and api_secret"


def activity_refresh() -> str:
    return "Retrieving a token with refresh_token"


def activity_read(name: str) -> str:
    return f"Reading API key '{name}'"


def activity_create(name: str) -> str:
    return f"Creating API key '{name}'"


def activity_set_status(name: str, status: str) -> str:
    return f"Setting the status of API key '{name}' to {status}"


def activity_update(name: object, status: str | None, metadata: bool) -> str:
    """Changing a key: its status (both versions), or its metadata too (0.12)."""
    if not metadata and status is not None:
        return activity_set_status(str(name), status)
    return f"Setting the metadata{f' and the status ({status})' if status else ''} of API key '{name}'"


def activity_delete(name: object, address: str) -> str:
    return f"Deleting API key '{name}' (_id {address})"


# -- the keys a fleet does not declare (_api_keys/undeclared) --------------------------------

UNDECLARED_NEEDS_PREFIX = (
    "undeclared_prefix is required when undeclared is disable or delete: it bounds the keys the declaration is the "
    "whole truth of, so that a declaration of one store's keys cannot touch another's"
)
UNDECLARED_NEEDS_KEY_PAIR = (
    "undeclared=disable or delete needs api_key and api_secret: the key the run logs in with must be known, to be "
    "kept, and an access_token alone does not tell which key made it"
)


def api_keys_file_not_handed_over(path: str, error: str) -> str:
    """The JSON file that the action plugin writes for api_keys_file is missing or unreadable: the module ran without
    it (api_keys_file is read on the controller), or the file was tampered with."""
    return (
        f"api_keys_file is read on the controller by the action plugin fiskaly.management.fiskaly_api_key, which hands "
        f"the module its items as JSON; what reached the module ({path}) could not be read as such: {error}"
    )


def items_not_a_list(option: str, value: object) -> str:
    return f"{option} must be a list of keys, got {value_shape(value)}"


def value_shape(value: object) -> str:
    """What kind of YAML or JSON value this is, as a message says it ("a boolean"); ansible-core 2.19 and later hand
    over subclasses of the plain types."""
    if value is None:
        return "null"
    shapes = ((dict, "a mapping"), (str, "a string"), (bool, "a boolean"), ((int, float), "a number"), (list, "a list"))
    return next((name for kind, name in shapes if isinstance(value, kind)), f"a {type(value).__name__}")


def item_not_a_mapping(label: str, item: object) -> str:
    shape = "a string that is neither JSON nor key=value" if isinstance(item, str) else value_shape(item)
    return (
        f"{label} must be a mapping of that key's options (name or id, and optionally kind, state, metadata), such as "
        f"{{name: pos-01}}; got {shape}"
    )


def unsupported_item_options(label: str, names: list[str], supported: list[str]) -> str:
    return f"{label} has options a key does not take: {', '.join(map(str, names))} (a key takes {', '.join(supported)})"


def fleet_only(option: str) -> str:
    return f"{option} goes with api_keys or api_keys_file only, not with name or id"


def login_key_kept(name: str, action: str) -> str:
    return f"API key '{name}' is not declared, but the run logs in with it: it was not {action}d"


def undeclared_over_limit(action: str, count: int, limit: int, prefix: str, names: list[str]) -> str:
    more = len(names) - LISTED_ERRORS
    listed = ", ".join(names[:LISTED_ERRORS]) + (f" and {more} more" if more > 0 else "")
    return (
        f"undeclared={action} would {action} {count} API keys named {prefix!r}... that the declaration does not name "
        f"({listed}), more than undeclared_limit ({limit}) allows; nothing was written. A declaration cut short "
        "would look like this: check it, or raise undeclared_limit"
    )


# -- the API versions (routes, client, plans) -----------------------------------------------

DRAFT_ADDRESSES_BY_NAME = "the draft addresses a key by its name, which is unique there; use name"
DRAFT_NO_DELETE = "the draft has no way to delete a key; use state=disabled"
NO_KIND_FILTER = "0.12 has no kind filter (a key's environment is its organisation's, _envs); leave kind out"
NO_ORGANIZATION = (
    "organization_id is needed on API 0.12 and the login answer named none (access_token_claims.organization_id): "
    "give organization_id"
)


NO_ORGANIZATION_WITHOUT_LOGIN = (
    "organization_id is required with access_token alone on api_version 0.12: no login answer names the organisation"
)


def organization_not_uuid(value: object) -> str:
    return f"organization_id must be a UUID (8-4-4-4-12 hexadecimal digits), got {quoted(value)}"


def not_in_version(option: str, version: str, reason: str) -> str:
    return f"{option} is not supported on API {version}: {reason}"


def order_by_not_in_version(order_by: str, version: str, fields: Iterable[str]) -> str:
    return f"order_by={order_by} is not supported on API {version}, which orders by {', '.join(fields)}"


def organization_on_draft(auto: bool) -> str:
    why = "the login answer names no organisation (no access_token_claims)" if auto else "api_version is 0.1.0-draft"
    return f"organization_id is given, but the API speaks v0.1.0-draft, which has no organisations ({why})"


def draft_route_not_found(api_message: str, server_speaks_012: bool) -> str:
    """A 404 to the draft's listing: the server most likely speaks 0.12, whose keys live under an organisation."""
    seen = (
        "its login answer names an organisation (access_token_claims), as API 0.12's does"
        if server_speaks_012
        else "the draft never answers 404 to a listing"
    )
    return (
        f"{api_message} (the path is API v0.1.0-draft's; this server most likely speaks API 0.12: {seen}; set "
        "api_version to auto or 0.12)"
    )


def several_named(where: str, ids: list[str]) -> str:
    return (
        f"{where} matches {len(ids)} keys of that name (_id {', '.join(ids)}): API 0.12 does not keep names unique; "
        "address one with id, and delete the others"
    )


def id_names_another(where: str, key_id: str, name: object) -> str:
    return f"{where}: the key with id {key_id} is named {name!r}; a key's name cannot be changed"


def no_key_with_id(where: str, key_id: str) -> str:
    return f"{where}: no key has id {key_id} in the organisation (a key with a given id cannot be created)"


def kind_not_sent(where: str, version: str) -> str:
    return (
        f"{where} does not exist, and kind cannot be honoured when creating it on API {version}: no kind is sent "
        "there, a new key's environment (_envs) is its organisation's; leave kind out"
    )


def kind_not_environment(where: str, kind: str, environments: object) -> str:
    return (
        f"{where} exists with _envs {environments!r}, but kind {kind!r} is wanted: API 0.12 cannot change a key's "
        "environment"
    )


ACTIVITY_LIST = "Listing API keys"

NO_ACCESS_TOKEN = "without an access_token string in its body (POST /auth)"
# Never shown: it is a credential, and the API's own.
UNUSABLE_ACCESS_TOKEN = (
    "with an access_token that is no printable ASCII without white space: it cannot go in the Authorization header "
    "of the next requests"
)
# Never the value: it may be a token.
BAD_REQUEST_HEADER = "a header value has a line break or another character HTTP does not allow"
MISSING_SOCKS = "its scheme needs a library that is missing (PySocks for socks://)"
PROXY_NOT_A_URL = "it is not a valid URL"
PROXY_WITHOUT_HOST = "it names no host"


def proxy_bad_scheme(scheme: str, schemes: Iterable[str]) -> str:
    return f"its scheme is {scheme!r}, not one of {', '.join(schemes)}"


def token_expired(at: str) -> str:
    return f"the access_token given has expired (at {at})"


TOKEN_REJECTED = "the access_token given was rejected"


def rejected_token(activity: str, reason: str, api_message: str) -> str:
    return (
        f"{activity} failed: {reason}, and there is no api_key and api_secret to get a new one. "
        f"Pass a fresh token (fiskaly.management.fiskaly_token) or the key pair. API said: HTTP 401: {api_message}"
    )


def proxy_cannot_be_used(where: str, problem: str) -> str:
    return f"requests cannot use {where}: {problem}"


def proxy_did_not_reach(where: str, detail: str) -> str:
    return f"the API could not be reached through {where}: {detail}"


def proxy_named(display: str, source: str) -> str:
    return f"the proxy {display} from {source}"


SOME_PROXY = "the proxy"


def through_proxy(display: str, source: str) -> str:
    return f" (through {proxy_named(display, source)})"


def ca_from_ca_path(ca_path: str) -> str:
    return f" (certificate authorities from ca_path {ca_path})"


def ca_from_environment(name: str, path: str) -> str:
    return f" (certificate authorities from the environment variable {name}={path}; set ca_path to trust others)"


def body_not_json(shown: str) -> str:
    return f"with a body that is not JSON: {shown}"


def body_hidden(length: int) -> str:
    # The body of a create or a login may hold a secret or a token: never quoted back.
    return f"({length} characters, not shown: it may hold a secret)"


EMPTY_BODY = "(empty body)"


def not_the_api_error(shown: str) -> str:
    return f"the answer is not the API's JSON error: {shown!r}"


def not_a_key_object(shape: str) -> str:
    return f"with {shape} where the contract has an API key object"


def only_earlier_keys(at: int) -> str:
    return (
        f"with a page at offset {at} that holds only keys of earlier pages: the API seems to ignore offset, so the "
        "listing cannot be completed"
    )


def listing_kept_changing(first: int, last: int) -> str:
    return (
        f"The API keys changed while they were listed ({first} matched at first, {last} at last), and again while "
        "they were "
        "read a second time: a key created or deleted meanwhile may be missing, or listed though it is gone"
    )


def with_attempts(message: str, attempts: int) -> str:
    """``message`` saying how many attempts were behind it (nothing for one), inside its sentence: before the
    message's own full stop ("Service Unavailable (after 4 attempts)."), after an ellipsis or where none is."""
    if attempts <= 1:
        return message
    text, note = message.rstrip(), f" (after {attempts} attempts)"
    if text.endswith(".") and not text.endswith(".."):
        return f"{text[:-1]}{note}."
    return f"{text}{note}"


def page_at(at: int) -> str:
    return f"for the page at offset {at}"


def page_not_a_list_object(shape: str, where: str) -> str:
    return f"with {shape} {where}, where the contract has a list object"


def page_without_data(where: str, has: str) -> str:
    return f"{where} without a 'data' list (it has {has})"


def page_without_count(where: str, has: object) -> str:
    return f"{where} without a 'count' of 0 or more (it has {has})"


def object_without_string(name: str) -> str:
    return f"an object without a '{name}' string"


def page_item_not_a_key(where: str, index: int, what: str) -> str:
    return f"{where}: item {index} of 'data' is {what}, where the contract has an API key object"


# -- reconciling keys (_api_keys.reconcile, _api_keys.run) ------------------------------------------


def conflict_unreadable(name: str) -> str:
    return f"Creating API key '{name}' failed: the API answered 409 (it exists), but the key cannot be read"


def may_have_created(failure: object) -> str:
    return (
        f"{sentence(failure)} The key may have been created all the same, its secret lost: a run that finds it "
        "existing will not report it as created"
    )


CONFLICT_FOUND_IT = "the repeated request found the key existing (HTTP 409)"
NO_SECRET_CAME = "what came back (HTTP 200) holds no 'secret' string"


def request_ended_in(label: str) -> str:
    return f"the request ended in {label}"


def lost_secret_message(name: str, how: str) -> str:
    return (
        f"API key '{name}' was created, but its secret was not received: the answer to the create request was lost and "
        f"{how}. The API never shows a secret again. "
        f"Disable this key (state: disabled) and create one under a new name, or keep '{name}' and give it no client."
    )


def interrupted(error: BaseException) -> str:
    return f"The module was {error}"


def interrupted_writing(error: BaseException, name: str, creating: bool) -> str:
    doubt = (
        (
            ": the key may have been created all the same, its secret lost. Look it up before you run again, and "
            "disable it if it exists"
        )
        if creating
        else ""
    )
    return f"The module was {error} while it wrote API key '{name}'{doubt}"


def other_failures(failure: object, others: int) -> str:
    return (
        f"{sentence(failure)} {others} more {'write' if others == 1 else 'writes'} under way at the time failed too, "
        "each named in fleet[].error"
    )


def writes_failed(failure: object, failed: int) -> str:
    return (
        f"{sentence(failure)} {failed} {'write' if failed == 1 else 'writes'} under way at the time failed, each "
        "named in fleet[].error"
    )


def secrets_kept_in(failure: object, kept: int, after: int, path: str) -> str:
    meanwhile = f", with those of the {after} created by the writes under way at the time" if after else ""
    return f"{sentence(failure)} The secrets of the keys created before ({kept}) are in {path}{meanwhile}"


def also_lost_secrets(failure: object, names: list[str]) -> str:
    shown = ", ".join(f"'{name}'" for name in names[:LISTED_ERRORS]) + (
        f" and {len(names) - LISTED_ERRORS} more" if len(names) > LISTED_ERRORS else ""
    )
    return f"{sentence(failure)} Created, but their secrets were not received (see fleet[].error): {shown}"


def failed_with_last_resort(failure: object, reason: str, field: str) -> str:
    return f"{sentence(failure)} {last_resort(reason, field)}"


def last_resort(reason: str, field: str) -> str:
    # Where no file can take a secret, the failed result is its last copy: failures are shown at every verbosity.
    return (
        f"{reason}, nor could any fallback file. As a last resort the secrets are in this task's result ({field}): "
        "store them now, the API never shows a secret again"
    )


def secret_in_fallback(reason: str, where: str) -> str:
    return f"{reason}: the secrets are in {where} instead (mode 0600)"


# -- secret files (_api_keys.secret_files) -------------------------------------------------------------


def empty_path(option: str) -> str:
    return (
        f"{option} must not be empty (a variable that rendered empty, say): give a file path, or leave {option} out "
        "to get the secret in the result"
    )


def unprintable_path(option: str, path: str) -> str:
    return f"{option} must not contain line breaks or control characters, got {path!r}"


def path_is_directory(option: str, path: str) -> str:
    return f"{option} {path} names a directory; give the path of the file to create"


def path_exists(option: str, path: str) -> str:
    return (
        f"{option} {path} already exists, and a secret file is never overwritten: move it away or choose another "
        "path before a key is created"
    )


def no_directory(option: str, path: str, directory: str) -> str:
    return f"{option} {path}: the directory {directory} does not exist"


def no_file_there(option: str, path: str, strerror: str) -> str:
    return (
        f"{option} {path}: no file can be created there ({strerror}); give the path of a file in an existing directory"
    )


def cannot_create(option: str, path: str, error: OSError) -> str:
    return f"{option} {path} cannot be created: {error.strerror or error}; no key was created"


def cannot_write(option: str, path: str, error: OSError) -> str:
    return f"{option} {path} could not be written: {error.strerror or error}"
