"""Integration tests of fiskaly.management.fiskaly_token: real ansible-playbook runs against the emulator."""

from __future__ import annotations

import time

from harness import MASK, MASKS_SECRETS

GROUP = "group/fiskaly.management.fiskaly"
TOKEN_FIELDS = ("access_token", "access_token_expires_in", "access_token_expires_at",
                "refresh_token", "refresh_token_expires_in", "refresh_token_expires_at")


def task(name: str, module: str, args: dict | None = None, **keywords) -> dict:
    return {"name": name, f"fiskaly.management.{module}": args or {}, **keywords}


def auth_requests(emulator) -> list[dict]:
    return emulator.requests("POST", "/auth")


def assert_token_object(result: dict) -> None:
    missing = [name for name in TOKEN_FIELDS if not result.get(name)]
    assert not missing, f"token fields missing or empty: {missing} in {sorted(result)}"
    assert isinstance(result["access_token"], str) and result["access_token"].count(".") == 2  # a JWT
    assert isinstance(result["refresh_token"], str)
    now = time.time()
    for prefix in ("access_token", "refresh_token"):
        assert isinstance(result[f"{prefix}_expires_in"], int) and result[f"{prefix}_expires_in"] > 0
        # expires_at is "now + expires_in", give or take the run's duration
        assert abs(result[f"{prefix}_expires_at"] - (now + result[f"{prefix}_expires_in"])) < 120


def assert_tokens_masked_where_the_core_masks(shown: dict, kept: dict) -> None:
    """What callbacks got: from ansible-core 2.22 on the tokens are masked, while the registered variable keeps them."""
    for name in ("access_token", "refresh_token"):
        assert shown[name] == (MASK if MASKS_SECRETS else kept[name])


def test_key_pair_returns_all_six_token_fields_without_change(ansible, emulator):
    run = ansible.playbook([task("login", "fiskaly_token", register="login")], keep=("login",), shows=("tokens",))
    assert run.rc == 0, run.output
    result = run.task("login")
    assert_token_object(run.kept("login"))
    assert_tokens_masked_where_the_core_masks(result, run.kept("login"))
    assert result["changed"] is False
    assert run.status("login") == "ok"
    assert [(entry["method"], entry["path"], entry["status"]) for entry in emulator.requests()] == [("POST", "/auth", 200)]


def test_check_mode_still_logs_in_for_real(ansible, emulator):
    # A dry run needs a real token for its later tasks, so the module ignores check mode.
    run = ansible.playbook([task("login", "fiskaly_token", register="login"),
                            task("list with it", "fiskaly_api_key_info", module_defaults={
                                GROUP: {**ansible.connection, "access_token": "{{ login.access_token }}"}})],
                           check=True, keep=("login",), shows=("tokens",))
    assert run.rc == 0, run.output
    assert_token_object(run.kept("login"))
    assert run.task("login")["changed"] is False
    assert run.task("list with it")["api_keys"] == []
    assert len(auth_requests(emulator)) == 1


def test_refresh_token_returns_new_tokens(ansible, emulator):
    run = ansible.playbook([
        task("login", "fiskaly_token", register="login"),
        # Only the refresh token: no key pair to fall back on.
        task("refresh", "fiskaly_token", {"refresh_token": "{{ login.refresh_token }}"}, register="refreshed", module_defaults={
            GROUP: {"base_url": emulator.base_url, "ca_path": emulator.ca_path}}),
    ], keep=("login", "refreshed"), shows=("tokens",))
    assert run.rc == 0, run.output
    first, second = run.kept("login"), run.kept("refreshed")
    assert_token_object(second)
    assert_tokens_masked_where_the_core_masks(run.task("refresh"), second)
    assert second["changed"] is False
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert [entry["status"] for entry in auth_requests(emulator)] == [200, 200]
    # the refresh token, a no_log option, is not echoed in the invocation
    assert first["refresh_token"] not in str(run.task("refresh").get("invocation"))


def test_token_is_reused_by_later_tasks_without_another_login(ansible, emulator):
    token_defaults = {GROUP: {**ansible.connection, "access_token": "{{ login.access_token }}"}}
    run = ansible.playbook([
        task("login", "fiskaly_token", register="login", no_log=True),
        {"name": "with the token", "module_defaults": token_defaults, "block": [
            task("create", "fiskaly_api_key", {"name": "pos-reuse-01", "kind": "test"}, no_log=True),
            task("disable", "fiskaly_api_key", {"name": "pos-reuse-01", "state": "disabled"}),
            task("fleet", "fiskaly_api_key", {"kind": "live", "api_keys": [{"name": "pos-reuse-01", "kind": "test"}, {"name": "pos-reuse-02"}]},
                 no_log=True),
            task("read one", "fiskaly_api_key_info", {"name": "pos-reuse-01"}),
            task("list", "fiskaly_api_key_info", {"order_by": "name"}),
        ]},
    ])
    assert run.rc == 0, run.output
    assert "censored" in run.task("login")  # no_log hid the token from the callbacks
    assert run.task("read one")["api_keys"][0]["status"] == "disabled"
    assert [key["name"] for key in run.task("list")["api_keys"]] == ["pos-reuse-01", "pos-reuse-02"]
    # The group defaults hold the key pair too: the token must win over it, so the play logs in once.
    assert len(auth_requests(emulator)) == 1
    api_calls = [entry for entry in emulator.requests() if entry["path"] != "/auth"]
    assert api_calls and not [entry for entry in api_calls if entry["status"] == 401]


def test_wrong_api_secret_fails_with_http_401_and_the_api_message(ansible, emulator):
    wrong = ansible.secret("not-the-emulator-secret-4711")
    run = ansible.playbook([task("login", "fiskaly_token", {"api_secret": wrong}, ignore_errors=True),
                            task("list", "fiskaly_api_key_info", {"api_secret": wrong}, ignore_errors=True)])
    assert run.rc == 0, run.output
    for name in ("login", "list"):
        result = run.task(name)
        assert run.status(name) == "failed"
        assert "HTTP 401" in result["msg"] and "api_key or api_secret is wrong" in result["msg"], result["msg"]
        assert result["failure"]["status"] == 401
        # An API error is no bug: no stack frames, even at -vvvv (2.21 puts a placeholder in "exception").
        assert 'File "' not in str(result.get("exception", "")), result["exception"]
    assert "The full traceback is" not in run.output
    assert [entry["status"] for entry in emulator.requests()] == [401, 401]
