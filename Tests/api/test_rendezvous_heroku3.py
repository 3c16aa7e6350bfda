"""heroku3's own rendezvous client (PyPI `heroku3.rendezvous.Rendezvous`, as `App.run_command`
uses it) against the daemon's rendezvous listener: `heroku run` and `run:inside`. heroku3
verifies the listener's certificate against a bundled CA file; here it is pointed at the
platform's local authority (`DATA_DIR/tls/ca.crt`), which is the only change."""
import os
import time

import heroku3
import heroku3.models.app
import heroku3.rendezvous
import pytest
import requests

from conftest import OTHER, USER, deploy_slug, unique


@pytest.fixture
def h(daemon, schema_checker, monkeypatch):
    ca = os.path.join(daemon.data_dir, "tls", "ca.crt")

    class TrustingPlatformCA(heroku3.rendezvous.Rendezvous):
        def __init__(self, url, printout=False, timeout_secs=60):
            super().__init__(url, printout=printout, timeout_secs=timeout_secs)
            self.cert = ca

    monkeypatch.setattr(heroku3.models.app, "Rendezvous", TrustingPlatformCA)
    monkeypatch.setattr(heroku3.api, "HEROKU_URL", daemon.url)
    session = requests.Session()
    session.hooks["response"].append(schema_checker.hook)
    return heroku3.from_key(daemon.tokens[USER], session=session), TrustingPlatformCA


def wait_for_web(api, url, app):
    deadline = time.time() + 120
    while time.time() < deadline:
        dynos = api.get(f"{url}/apps/{app}/dynos").json()
        if any(d["name"] == "web.1" and d["state"] == "up" for d in dynos):
            return
        time.sleep(0.5)
    raise AssertionError(f"web.1 of {app} never came up: {dynos}")


def test_heroku3_run_command_speaks_our_rendezvous(h, daemon, api):
    client, _ = h
    app = client.create_app(name=unique("h3run"))
    deploy_slug(api, daemon.url, app.name, {"web": "bin/web"})
    app.update_config({"GREETING": "hi"})
    # heroku3 sends the secret without a line end, requires a first chunk starting with
    # `rendezvous`, then reads to the end (a PTY: it asks for no force_no_tty).
    output, dyno = app.run_command("echo \"out-$GREETING-$DYNO\"; tty; exit 3", printout=False, env={"EXTRA": "x"})
    assert dyno.name.startswith("run.")
    assert f"out-hi-{dyno.name}" in output, output
    assert "/dev/pts/" in output, output
    detached = app.run_command_detached("echo detached")
    assert detached.name.startswith("run.") and detached.attach_url is None


def test_heroku3_rendezvous_client_attaches_to_run_inside(h, daemon, api):
    client, rendezvous = h
    app = client.create_app(name=unique("h3in"))
    deploy_slug(api, daemon.url, app.name, {"web": "bin/web"})
    wait_for_web(api, daemon.url, app.name)
    r = api.post(
        f"{daemon.url}/apps/{app.name}/dynos/web.1",
        headers={"Accept": "application/vnd.heroku+json; version=3.run-inside"},
        json={"command": "echo \"inside-$DYNO\"; ls /app/bin", "force_no_tty": True})
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "web.1"
    output = rendezvous(r.json()["attach_url"]).start()
    assert "inside-web.1" in output and "web" in output, output
    # Another user's dyno is not there for them.
    other = requests.post(
        f"{daemon.url}/apps/{app.name}/dynos/web.1",
        headers={"Accept": "application/vnd.heroku+json; version=3.run-inside",
                 "Authorization": f"Bearer {daemon.tokens[OTHER]}"},
        json={"command": "id"})
    assert other.status_code == 404, other.text
