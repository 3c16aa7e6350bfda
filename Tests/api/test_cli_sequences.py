"""The heroku CLI's request sequences (from its source, see the API reference) replayed with
a real HTTP client: login -i, apps:create, apps:info, config:set + its release lookup,
releases with Range, rollback, ps:scale with relative quantities, logs."""
import base64
import json
import os
import time

import pytest
import requests

from conftest import PASSWORD, USER, deploy_slug, unique

SDK = "application/vnd.heroku+json; version=3.sdk"


def test_login_interactive_then_whoami(daemon, anonymous):
    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    r = anonymous.post(f"{daemon.url}/oauth/authorizations", headers={"Authorization": f"Basic {basic}"},
                       json={"description": "Heroku CLI login from host", "expires_in": 2592000, "scope": ["global"]})
    assert r.status_code == 201, r.text
    assert r.json()["user"]["email"] == USER
    token = r.json()["access_token"]["token"]
    # HEROKU_HOST with a trailing slash makes the CLI send `//account`.
    r = anonymous.get(f"{daemon.url}//account", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json()["email"] == USER
    # logout: sessions/~ (tolerated 404), then the authorization whose token is ours.
    bearer = {"Authorization": f"Bearer {token}"}
    r = anonymous.delete(f"{daemon.url}/oauth/sessions/~", headers=bearer)
    assert r.status_code == 404 and r.json()["resource"] == "session"
    mine = anonymous.get(f"{daemon.url}/oauth/authorizations/~", headers=bearer).json()
    listed = anonymous.get(f"{daemon.url}/oauth/authorizations", headers=bearer).json()
    assert [a["id"] for a in listed if a["access_token"]["token"] == token] == [mine["id"]]
    assert anonymous.delete(f"{daemon.url}/oauth/authorizations/{mine['id']}", headers=bearer).status_code == 200
    assert anonymous.get(f"{daemon.url}/account", headers=bearer).status_code == 401


def test_wrong_password_is_401(daemon, anonymous):
    basic = base64.b64encode(f"{USER}:wrong-password".encode()).decode()
    r = anonymous.post(f"{daemon.url}/oauth/authorizations", headers={"Authorization": f"Basic {basic}"}, json={})
    assert r.status_code == 401 and r.json()["id"] == "unauthorized"


def test_apps_create_and_info(daemon, api):
    name = unique("cli")
    r = api.post(f"{daemon.url}/apps", json={"name": name, "feature_flags": [], "kernel": None})
    assert r.status_code == 201, r.text
    # web_url is the router's HTTPS address, as Heroku's is
    with open(os.path.join(daemon.data_dir, "daemon.json")) as f:
        https_port = json.load(f)["https"].rsplit(":", 1)[1]
    assert r.json()["web_url"] == f"https://{name}.localhost:{https_port}/", r.json()["web_url"]
    assert r.json()["git_url"].startswith("ssh://git@") and r.json()["git_url"].endswith(f"/{name}.git")
    # apps:info: addons, app, dynos, collaborators, pipeline-couplings
    assert api.get(f"{daemon.url}/apps/{name}/addons").json() == []
    info = api.get(f"{daemon.url}/apps/{name}").json()
    for field in ("owner", "region", "stack", "build_stack"):
        assert info[field]["email" if field == "owner" else "name"]
    assert "repo_size" in info and "slug_size" in info and info["generation"]["name"] == "cedar"
    dynos = api.get(f"{daemon.url}/apps/{name}/dynos", headers={"Accept": SDK})
    assert dynos.status_code == 200 and dynos.json() == [], dynos.text  # nothing released yet
    assert api.get(f"{daemon.url}/apps/{name}/collaborators").json() == []
    coupling = api.get(f"{daemon.url}/apps/{name}/pipeline-couplings")
    assert coupling.status_code == 404 and coupling.json()["id"] == "not_found"
    assert api.get(f"{daemon.url}/users/~/apps").status_code == 200
    assert api.get(f"{daemon.url}/apps/{name}/sni-endpoints").json() == []


def test_config_set_then_last_release_lookup(daemon, api):
    name = unique("cfg")
    api.post(f"{daemon.url}/apps", json={"name": name})
    r = api.patch(f"{daemon.url}/apps/{name}/config-vars", json={"A": "1", "B": "2"})
    assert r.json() == {"A": "1", "B": "2"}
    r = api.patch(f"{daemon.url}/apps/{name}/config-vars", json={"A": None, "C": "3"})
    assert r.json() == {"B": "2", "C": "3"}
    r = api.get(f"{daemon.url}/apps/{name}/releases", headers={"Range": "version ..; order=desc,max=1"})
    assert r.json()[0]["version"] == 3
    assert r.json()[0]["description"] == "Set C config vars and Remove A config vars"
    assert r.status_code == 206 and r.headers["Next-Range"]


def test_releases_pages_with_range(daemon, api):
    name = unique("rel")
    api.post(f"{daemon.url}/apps", json={"name": name})
    for i in range(20):
        api.patch(f"{daemon.url}/apps/{name}/config-vars", json={"N": str(i)})
    r = api.get(f"{daemon.url}/apps/{name}/releases", headers={"Range": "version ..; max=15, order=desc", "Accept": SDK})
    assert r.status_code == 206
    assert [x["version"] for x in r.json()] == list(range(21, 6, -1))
    assert [x["current"] for x in r.json()][:2] == [True, False]
    rest = api.get(f"{daemon.url}/apps/{name}/releases", headers={"Range": r.headers["Next-Range"]})
    assert rest.status_code == 200 and "Next-Range" not in rest.headers
    assert [x["version"] for x in rest.json()] == list(range(6, 0, -1))
    # heroku3's forms and the default (ascending, all 21 fit a page).
    for header in ("version ..; ;", "id ..; ;", "", "domain ..; ;"):
        r = api.get(f"{daemon.url}/apps/{name}/releases", headers={"Range": header})
        assert r.status_code == 200 and len(r.json()) == 21, header
    r = api.get(f"{daemon.url}/apps/{name}/releases", headers={"Range": "version 5..7"})
    assert [x["version"] for x in r.json()] == [5, 6, 7]
    # ETags change with content; a matching If-None-Match gets 304.
    etag = api.get(f"{daemon.url}/apps/{name}/releases").headers["ETag"]
    assert api.get(f"{daemon.url}/apps/{name}/releases", headers={"If-None-Match": etag}).status_code == 304
    api.patch(f"{daemon.url}/apps/{name}/config-vars", json={"N": "changed"})
    assert api.get(f"{daemon.url}/apps/{name}/releases", headers={"If-None-Match": etag}).status_code == 200


def test_rollback_like_the_cli(daemon, api):
    name = unique("rb")
    api.post(f"{daemon.url}/apps", json={"name": name})
    api.patch(f"{daemon.url}/apps/{name}/config-vars", json={"V": "2"})
    api.patch(f"{daemon.url}/apps/{name}/config-vars", json={"V": "3"})
    listed = api.get(f"{daemon.url}/apps/{name}/releases", headers={"Range": "version ..; max=10, order=desc"}).json()
    target = [x for x in listed if x["eligible_for_rollback"]][1]
    r = api.post(f"{daemon.url}/apps/{name}/releases", json={"release": target["id"]}, headers={"Accept": SDK})
    assert r.status_code == 201 and r.json()["version"] == 4
    assert r.json()["description"] == f"Rollback to v{target['version']}"
    by_version = api.get(f"{daemon.url}/apps/{name}/releases/2").json()
    assert api.get(f"{daemon.url}/apps/{name}/releases/{by_version['id']}").json()["version"] == 2
    assert api.get(f"{daemon.url}/apps/{name}/releases/4/config-vars").json() == {"V": "2"}


def test_ps_scale_with_string_quantities(daemon, api):
    name = unique("ps")
    api.post(f"{daemon.url}/apps", json={"name": name})
    deploy_slug(api, daemon.url, name, {"web": "bin/web", "worker": "bin/worker"})
    r = api.patch(f"{daemon.url}/apps/{name}/formation",
                  json={"updates": [{"type": "web", "quantity": "2"}, {"type": "worker", "quantity": "+1"}]})
    assert r.status_code == 200, r.text
    assert {x["type"]: x["quantity"] for x in r.json()} == {"web": 2, "worker": 1}
    r = api.patch(f"{daemon.url}/apps/{name}/formation", json={"updates": [{"type": "web", "quantity": "-1", "size": "standard-2X"}]})
    assert [(x["quantity"], x["size"]) for x in r.json()] == [(1, "standard-2X")]
    r = api.patch(f"{daemon.url}/apps/{name}/formation/worker", json={"quantity": 0})
    assert r.json()["quantity"] == 0
    # ps:restart web: 202 and Heroku's empty object; web.1 is replaced by a new dyno that comes up.
    before = web_dynos(daemon, api, name)
    assert [(d["name"], d["state"]) for d in before] == [("web.1", "up")], before
    restart = api.delete(f"{daemon.url}/apps/{name}/formations/web")
    assert restart.status_code == 202 and restart.json() == {}, restart.text
    deadline = time.time() + 30
    while True:
        after = web_dynos(daemon, api, name)
        if [(d["name"], d["state"]) for d in after] == [("web.1", "up")] and after[0]["id"] != before[0]["id"]:
            break
        assert time.time() < deadline, f"web.1 was not replaced by a running dyno: {before} -> {after}"
        time.sleep(0.2)


def web_dynos(daemon, api, app):
    r = api.get(f"{daemon.url}/apps/{app}/dynos")
    assert r.status_code == 200, r.text
    return [d for d in r.json() if d["type"] == "web"]


def test_ps_resize_runs_the_dynos_at_the_new_size(daemon, api):
    name = unique("rsz")
    api.post(f"{daemon.url}/apps", json={"name": name})
    deploy_slug(api, daemon.url, name, {"web": "bin/web"})
    assert [d["size"] for d in web_dynos(daemon, api, name)] == ["standard-1X"]
    r = api.patch(f"{daemon.url}/apps/{name}/formation", json={"updates": [{"type": "web", "size": "standard-2X"}]})
    assert r.status_code == 200 and [x["size"] for x in r.json()] == ["standard-2X"], r.text
    # On Heroku a resize restarts the dynos at their new size.
    deadline = time.time() + 10
    while (dynos := [(d["size"], d["state"]) for d in web_dynos(daemon, api, name)]) != [("standard-2X", "up")]:
        assert time.time() < deadline, f"web dynos after the resize: {dynos}"
        time.sleep(0.2)


def test_a_renamed_app_keeps_its_slugs_and_its_dynos_restart(daemon, api):
    name = unique("ren")
    api.post(f"{daemon.url}/apps", json={"name": name})
    slug, _ = deploy_slug(api, daemon.url, name, {"web": "bin/web"})
    r = api.patch(f"{daemon.url}/apps/{name}", json={"name": name + "-new"})
    assert r.status_code == 200, r.text
    name += "-new"
    assert os.path.exists(os.path.join(daemon.data_dir, "slugs", name, slug["id"] + ".tgz"))
    # A restart starts the dynos again from the release's slug, now under the new name.
    assert api.delete(f"{daemon.url}/apps/{name}/dynos").status_code == 202
    deadline = time.time() + 20
    while (states := [d["state"] for d in web_dynos(daemon, api, name)]) != ["up"]:
        assert time.time() < deadline, f"web dynos after the restart: {states}"
        time.sleep(0.2)
    log = requests.get(api.post(f"{daemon.url}/apps/{name}/log-sessions", json={"lines": 200}).json()["logplex_url"], timeout=10).text
    assert "Could not read" not in log and "crashed" not in log, log


def test_logs_session(daemon, api):
    name = unique("logs")
    api.post(f"{daemon.url}/apps", json={"name": name})
    r = api.post(f"{daemon.url}/apps/{name}/log-sessions", json={"dyno": "web", "lines": 100, "tail": True},
                 headers={"Accept": SDK})
    assert r.status_code == 201, r.text
    stream = requests.get(r.json()["logplex_url"], headers={"Accept": "text/event-stream"}, stream=True, timeout=10)
    assert stream.status_code == 200 and stream.headers["Content-Type"].startswith("text/event-stream")
    stream.close()


def test_sources_upload_then_a_build_of_a_non_tarball_fails(daemon, api):
    name = unique("src")
    api.post(f"{daemon.url}/apps", json={"name": name})
    blob = api.post(f"{daemon.url}/sources").json()["source_blob"]
    assert requests.put(blob["put_url"], data=b"not really a tarball").status_code == 200
    assert requests.get(blob["get_url"]).content == b"not really a tarball"
    r = api.post(f"{daemon.url}/apps/{name}/builds", json={"source_blob": {"url": blob["get_url"], "version": "v1"}})
    assert r.status_code == 201, r.text
    build = r.json()
    assert build["status"] == "pending" and build["source_blob"]["version"] == "v1"
    deadline = time.time() + 60
    while build["status"] == "pending":
        assert time.time() < deadline, "the build never finished"
        time.sleep(0.2)
        build = api.get(f"{daemon.url}/apps/{name}/builds/{build['id']}").json()
    assert build["status"] == "failed" and build["release"] is None
    output = requests.get(build["output_stream_url"], timeout=30).text
    assert "The source tarball could not be unpacked" in output, output
    assert [x["version"] for x in api.get(f"{daemon.url}/apps/{name}/releases").json()] == [1]
    r = api.post(f"{daemon.url}/apps/{name}/builds", json={"source_blob": {"url": "https://example.com/x.tgz"}})
    assert r.status_code == 422 and r.json()["id"] == "invalid_params"


def test_stacks_and_stack_set(daemon, api):
    name = unique("stk")
    api.post(f"{daemon.url}/apps", json={"name": name})
    stacks = api.get(f"{daemon.url}/stacks").json()
    assert [s["name"] for s in stacks if s["default"]] == ["host"]
    r = api.patch(f"{daemon.url}/apps/{name}", json={"build_stack": "host"})
    assert r.json()["build_stack"]["name"] == "host"


def test_log_drains(daemon, api):
    name = unique("drn")
    api.post(f"{daemon.url}/apps", json={"name": name})
    # A drain's host must resolve from the server (an unknown name is refused).
    r = api.post(f"{daemon.url}/apps/{name}/log-drains", json={"url": "syslog+tls://logs.example.invalid:6514"})
    assert r.status_code == 422 and "cannot be resolved" in r.json()["message"]
    r = api.post(f"{daemon.url}/apps/{name}/log-drains", json={"url": "syslog+tls://127.0.0.1:6514"})
    assert r.status_code == 201 and r.json()["token"].startswith("d.")
    assert [d["url"] for d in api.get(f"{daemon.url}/apps/{name}/log-drains").json()] == ["syslog+tls://127.0.0.1:6514"]
    r = api.delete(f"{daemon.url}/apps/{name}/log-drains/syslog+tls://127.0.0.1:6514")
    assert r.status_code == 200
    assert api.get(f"{daemon.url}/apps/{name}/log-drains").json() == []


def test_release_phase_failure_shows_in_the_list(daemon, api):
    name = unique("rph")
    api.post(f"{daemon.url}/apps", json={"name": name})
    before = api.get(f"{daemon.url}/apps/{name}/releases").json()
    assert [(r["version"], r["current"]) for r in before] == [(1, True)]
    # Without a runtime the release command cannot run: the release fails and v1 stays current.
    _, release = deploy_slug(api, daemon.url, name, {"web": "bin/web", "release": "bin/migrate"})
    assert release["status"] == "failed"
    after = api.get(f"{daemon.url}/apps/{name}/releases").json()
    assert [(r["version"], r["status"], r["current"]) for r in after] == [(1, "succeeded", True), (2, "failed", False)]
    assert after[1]["eligible_for_rollback"] is False
