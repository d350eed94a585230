"""Integration tests of the options shared by the three modules: the action group in module_defaults, the
FISKALY_* environment variables (ansible-playbook and ad hoc), and bad input that must fail before any request."""

from __future__ import annotations

import pytest

GROUP = "group/fiskaly.management.fiskaly"
MODULES = ("fiskaly_token", "fiskaly_api_key", "fiskaly_api_key_info")


def task(name: str, module: str, args: dict | None = None, **keywords) -> dict:
    return {"name": name, f"fiskaly.management.{module}": args or {}, **keywords}


def fiskaly_env(emulator, **extra: str) -> dict:
    env = {"FISKALY_BASE_URL": emulator.base_url, "FISKALY_CA_PATH": emulator.ca_path,
           "FISKALY_API_KEY": emulator.api_key, "FISKALY_API_SECRET": emulator.api_secret}
    return {**env, **extra}


# ad hoc `ansible` loads callback plugins only when asked to; the harness reads results through one.
ADHOC = {"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1"}


def test_group_defaults_serve_every_module_and_a_task_option_overrides_them(ansible, emulator):
    readonly = {"api_key": emulator.readonly_api_key, "api_secret": emulator.readonly_api_secret}
    run = ansible.playbook([
        task("token", "fiskaly_token"),
        task("create", "fiskaly_api_key", {"name": "pos-group-01", "kind": "test"}),
        task("list", "fiskaly_api_key_info"),
        # The read-only pair given on the task must win over the group's full-rights pair: the API refuses the write.
        task("create with the task's pair", "fiskaly_api_key", {"name": "pos-group-02", "kind": "test", **readonly}, ignore_errors=True),
        task("list with the task's pair", "fiskaly_api_key_info", readonly),
    ], shows=("tokens", "pos-group-01"))
    assert run.rc == 0, run.output
    # No task names the emulator or a credential: the group's defaults did, for each module.
    assert run.task("token")["access_token"]
    assert run.task("create")["changed"] is True
    assert [key["name"] for key in run.task("list")["api_keys"]] == ["pos-group-01"]
    assert run.status("create with the task's pair") == "failed"
    assert run.task("create with the task's pair")["failure"]["status"] == 403
    assert [key["name"] for key in run.task("list with the task's pair")["api_keys"]] == ["pos-group-01"]
    assert list(emulator.keys()) == ["pos-group-01"]
    assert [(entry["path"], entry["status"]) for entry in emulator.requests("PUT")] == [("/api_keys/pos-group-01", 200), ("/api_keys/pos-group-02", 403)]
    assert len(emulator.requests("POST", "/auth")) == 5


def test_readonly_key_pair_create_fails_with_http_403_and_the_api_message(ansible, emulator):
    readonly = {"api_key": emulator.readonly_api_key, "api_secret": emulator.readonly_api_secret}
    run = ansible.playbook([task("create", "fiskaly_api_key", {"name": "pos-readonly", "kind": "live"})], module_defaults=readonly)
    assert run.rc != 0
    result = run.task("create")
    assert "HTTP 403" in result["msg"] and "this token may only read API keys" in result["msg"], result["msg"]
    assert "pos-readonly" in result["msg"]
    assert result["failure"] == {"status": 403, "code": "E_FORBIDDEN", "message": "this token may only read API keys"}
    assert "The full traceback is" not in run.output
    assert emulator.keys() == {}
    assert [(entry["method"], entry["status"]) for entry in emulator.requests() if entry["method"] == "PUT"] == [("PUT", 403)]


def test_environment_variables_alone_configure_a_playbook(ansible, emulator):
    run = ansible.playbook([task("token", "fiskaly_token"), task("create", "fiskaly_api_key", {"name": "pos-env-01", "kind": "test"}),
                            task("list", "fiskaly_api_key_info")], connection=False, env=fiskaly_env(emulator),
                           shows=("tokens", "pos-env-01"))
    assert run.rc == 0, run.output
    assert run.task("token")["access_token"]
    assert run.task("create")["changed"] is True
    assert [key["name"] for key in run.task("list")["api_keys"]] == ["pos-env-01"]
    assert list(emulator.keys()) == ["pos-env-01"]
    # Each module logged in with the key pair from the environment.
    assert len(emulator.requests("POST", "/auth")) == 3


@pytest.mark.parametrize(("module", "args"), [
    ("fiskaly_token", {}),
    ("fiskaly_api_key", {"name": "pos-adhoc-01", "kind": "test", "state": "disabled"}),
    ("fiskaly_api_key_info", {"order_by": "name"}),
])
def test_environment_variables_alone_configure_an_adhoc_run(ansible, emulator, module, args):
    emulator.seed_keys([{"name": "pos-adhoc-00", "kind": "live", "status": "enabled"}])
    # Ad hoc, the screen is the only place a result goes: it shows the new key's secret and the tokens.
    run = ansible.adhoc(module, args, env={**fiskaly_env(emulator), **ADHOC}, shows=("tokens", "pos-adhoc-01"))
    assert run.rc == 0, run.output
    result = run.task(f"fiskaly.management.{module}")
    if module == "fiskaly_token":
        assert result["access_token"] and result["refresh_token"]
    elif module == "fiskaly_api_key":
        assert result["changed"] is True and emulator.keys()["pos-adhoc-01"]["status"] == "disabled"
    else:
        assert [key["name"] for key in result["api_keys"]] == ["pos-adhoc-00"]
    assert emulator.requests()[0]["path"] == "/auth"
    assert [entry for entry in emulator.requests() if entry["status"] not in (200, 404)] == []


def test_access_token_from_the_environment_needs_no_login(ansible, emulator):
    token = ansible.secret(emulator.issue_token())
    env = {"FISKALY_BASE_URL": emulator.base_url, "FISKALY_CA_PATH": emulator.ca_path, "FISKALY_ACCESS_TOKEN": token, **ADHOC}
    run = ansible.adhoc("fiskaly_api_key", {"name": "pos-env-token", "kind": "live"}, env=env, shows=("pos-env-token",))
    assert run.rc == 0, run.output
    assert run.task("fiskaly.management.fiskaly_api_key")["changed"] is True
    assert emulator.requests("POST", "/auth") == []
    assert [(entry["method"], entry["path"]) for entry in emulator.requests()] == [("GET", "/api_keys/pos-env-token"), ("PUT", "/api_keys/pos-env-token")]


def metadata(count: int = 1, name_length: int = 5, value: object = "berlin") -> dict:
    return {f"p{index:02d}".ljust(name_length, "x"): value for index in range(count)}


NEVER_SENT_SECRET = "never-sent-secret-0815"
# A token put in base_url's query string: no option carries it, so no_log cannot hide it; messages must not quote it.
QUERY_TOKEN = "query-token-5e1f77c2a9"

# id: (module, args, task-level connection that replaces the group's or None, fragments the message must hold)
BAD_INPUT = {
    "name pattern": ("fiskaly_api_key", {"name": "POS_01", "kind": "test"}, None, ["name must match ^[a-z0-9-]{3,30}$", "'POS_01'"]),
    "name too short": ("fiskaly_api_key_info", {"name": "ab"}, None, ["name must match ^[a-z0-9-]{3,30}$"]),
    "name with a trailing line break": ("fiskaly_api_key", {"name": "pos-1\n", "kind": "test"}, None, ["name must match ^[a-z0-9-]{3,30}$", "'pos-1\\n'"]),
    "fleet name with a trailing line break": ("fiskaly_api_key", {"kind": "test", "api_keys": [{"name": "pos-2\n"}]}, None,
                                              ["api_keys[0].name must match"]),
    "info name with a trailing line break": ("fiskaly_api_key_info", {"name": "pos-3\n"}, None, ["name must match ^[a-z0-9-]{3,30}$"]),
    "fleet name pattern": ("fiskaly_api_key", {"kind": "test", "api_keys": [{"name": "ok-name"}, {"name": "Bad Name"}]}, None,
                           ["api_keys[1].name must match"]),
    "metadata 21 properties": ("fiskaly_api_key", {"name": "pos-meta", "kind": "test", "metadata": metadata(count=21)}, None,
                               ["metadata may have at most 20 properties, got 21"]),
    "metadata property name 41 chars": ("fiskaly_api_key", {"name": "pos-meta", "kind": "test", "metadata": metadata(name_length=41)}, None,
                                        ["metadata property names may be at most 40 characters, got 41"]),
    "metadata value 501 chars": ("fiskaly_api_key", {"name": "pos-meta", "kind": "test", "metadata": {"store": "x" * 501}}, None,
                                 ["metadata.store may be at most 500 characters, got 501"]),
    "metadata value not a string": ("fiskaly_api_key", {"name": "pos-meta", "kind": "test", "metadata": {"store": 7}}, None,
                                    ["metadata.store must be a string", "int"]),
    "kind enum": ("fiskaly_api_key", {"name": "pos-enum", "kind": "prod"}, None, ["kind", "one of", "test, live", "prod"]),
    "state enum": ("fiskaly_api_key", {"name": "pos-enum", "kind": "test", "state": "deleted"}, None, ["state", "one of", "deleted"]),
    "info order_by enum": ("fiskaly_api_key_info", {"order_by": "created"}, None, ["order_by", "one of", "name, kind, status", "created"]),
    "info status enum": ("fiskaly_api_key_info", {"status": ["on"]}, None, ["status", "must be one", "enabled, disabled", "on"]),
    "limit 0": ("fiskaly_api_key_info", {"limit": 0}, None, ["limit must be 1 or more, got 0"]),
    "offset -1": ("fiskaly_api_key_info", {"offset": -1}, None, ["offset must be 0 or more, got -1"]),
    "http base_url": ("fiskaly_api_key_info", {}, {"base_url": "http://127.0.0.1:9/api/v0", "api_key": "k", "api_secret": NEVER_SENT_SECRET},
                      ["base_url must be an https:// URL", "http://127.0.0.1:9/api/v0"]),
    # The password of a URL's user information is never quoted back (the scan would find it: it is declared secret).
    "base_url with user information": ("fiskaly_api_key_info", {}, {"base_url": f"https://user:{NEVER_SENT_SECRET}@127.0.0.1:9/api/v0",
                                                                    "api_key": "k", "api_secret": NEVER_SENT_SECRET},
                                       ["base_url must not carry user information (user:password@host)"]),
    "base_url with a query string": ("fiskaly_api_key_info", {}, {"base_url": f"https://127.0.0.1:9/api/v0?token={QUERY_TOKEN}", "api_key": "k",
                                                                  "api_secret": NEVER_SENT_SECRET}, ["base_url must have no query string or fragment"]),
    "base_url with a fragment": ("fiskaly_api_key_info", {}, {"base_url": "https://127.0.0.1:9/api/v0#top", "api_key": "k",
                                                              "api_secret": NEVER_SENT_SECRET}, ["base_url must have no query string or fragment"]),
    "base_url with a trailing line break": ("fiskaly_api_key_info", {}, {"base_url": "https://127.0.0.1:9/api/v0\n", "api_key": "k",
                                                                         "api_secret": NEVER_SENT_SECRET},
                                            ["base_url must not contain white space or control characters"]),
    "no credentials, info": ("fiskaly_api_key_info", {}, {}, ["one of access_token, or api_key with api_secret, is required"]),
    "no credentials, key": ("fiskaly_api_key", {"name": "pos-nocred", "kind": "test"}, {},
                            ["one of access_token, or api_key with api_secret, is required"]),
    "no credentials, token": ("fiskaly_token", {}, {}, ["one of refresh_token, or api_key with api_secret, is required"]),
    "api_key without api_secret": ("fiskaly_api_key_info", {}, {"api_key": "emulator-api-key"}, ["required together", "api_key", "api_secret"]),
    "name and api_keys": ("fiskaly_api_key", {"name": "pos-both", "kind": "test", "api_keys": [{"name": "pos-other"}]}, None,
                          ["mutually exclusive", "name", "api_keys"]),
    "neither name nor api_keys": ("fiskaly_api_key", {"kind": "test"}, None, ["one of the following is required", "name", "api_keys"]),
    "info kind named twice": ("fiskaly_api_key_info", {"kind": ["test", "test"]}, None, ["kind must not name a value twice"]),
    "ca_path that is no file": ("fiskaly_api_key_info", {}, {"ca_path": "/nonexistent/ca.pem", "api_key": "k", "api_secret": NEVER_SENT_SECRET},
                                ["ca_path must be a readable PEM file", "/nonexistent/ca.pem is no file"]),
    # A trailing line break from a vault file would put the token in requests' error message, escaped past no_log.
    "access_token with a line break": ("fiskaly_api_key_info", {}, {"access_token": NEVER_SENT_SECRET + "\n"},
                                       ["access_token must not contain white space or control characters"]),
    "duplicate names in api_keys": ("fiskaly_api_key", {"kind": "test", "api_keys": [{"name": "pos-twice"}, {"name": "pos-x"}, {"name": "pos-twice"}]},
                                    None, ["api_keys[2].name 'pos-twice' is declared more than once"]),
}


def bad_input_tasks(emulator) -> list[dict]:
    tasks = []
    for case, (module, args, connection, _fragments) in BAD_INPUT.items():
        keywords = {"ignore_errors": True}
        if connection is not None:
            # A task's module_defaults for the group replace the play's: only what the case gives, besides where the emulator is.
            keywords["module_defaults"] = {GROUP: {"base_url": emulator.base_url, "ca_path": emulator.ca_path, **connection}}
        tasks.append(task(case, module, args, **keywords))
    return tasks


_BAD_INPUT_RUN: dict = {}


@pytest.fixture
def bad_input_run(ansible, emulator):
    """All the bad-input cases run once, as tasks of one playbook (one run costs a second): the run and its request log."""
    if not _BAD_INPUT_RUN:
        ansible.secret(NEVER_SENT_SECRET)
        ansible.secret(QUERY_TOKEN)
        run = ansible.playbook(bad_input_tasks(emulator))
        _BAD_INPUT_RUN.update(run=run, requests=emulator.requests())
    return _BAD_INPUT_RUN["run"], _BAD_INPUT_RUN["requests"]


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_fails_naming_option_and_rule_before_any_request(bad_input_run, case):
    run, requests = bad_input_run
    assert run.status(case) == "failed", run.task(case)
    message = run.task(case)["msg"]
    missing = [fragment for fragment in BAD_INPUT[case][3] if fragment not in message]
    assert not missing, f"{case}: {missing} not in {message!r}"
    assert "The full traceback is" not in run.output
    # Not a single request, not even POST /auth, for any of the cases.
    assert requests == []


def test_bad_input_fails_the_playbook(ansible, emulator):
    run = ansible.playbook([task("bad", "fiskaly_api_key", {"name": "pos-ok", "kind": "test", "metadata": {"store": 7}}),
                            task("never reached", "fiskaly_api_key_info")])
    assert run.rc != 0
    assert run.status("bad") == "failed"
    assert not [entry for entry in run.results if entry["task"] == "never reached"]
    assert emulator.requests() == []
