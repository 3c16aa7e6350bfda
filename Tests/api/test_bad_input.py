"""Bad input gets the right status and Heroku's {id, message}, and writes nothing."""
import pytest
import requests

from conftest import ADMIN, OTHER, unique


@pytest.fixture
def app(daemon, api):
    name = unique("bad")
    assert api.post(f"{daemon.url}/apps", json={"name": name}).status_code == 201
    api.patch(f"{daemon.url}/apps/{name}/config-vars", json={"KEEP": "me"})
    return name


def snapshot(daemon, api, app):
    return (api.get(f"{daemon.url}/apps/{app}/config-vars").json(),
            [r["version"] for r in api.get(f"{daemon.url}/apps/{app}/releases").json()],
            api.get(f"{daemon.url}/apps/{app}").json()["name"])


def expect(response, status, error_id):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["id"] == error_id and body["message"], body


def test_malformed_json_is_400_and_writes_nothing(daemon, api, app):
    before = snapshot(daemon, api, app)
    r = api.patch(f"{daemon.url}/apps/{app}/config-vars", data="{not json", headers={"Content-Type": "application/json"})
    expect(r, 400, "bad_request")
    expect(api.post(f"{daemon.url}/apps", data="[1,", headers={"Content-Type": "application/json"}), 400, "bad_request")
    assert snapshot(daemon, api, app) == before


@pytest.mark.parametrize("path,method,body", [
    ("config-vars", "patch", {"A": 1}),
    ("config-vars", "patch", {"A": "ok", "B": ["x"]}),
    ("config-vars", "patch", {"BAD KEY": "x"}),
    ("formation", "patch", {"updates": [{"type": "web", "quantity": "lots"}]}),
    ("formation", "patch", {"updates": "web=2"}),
    ("collaborators", "post", {"user": 42}),
    ("releases", "post", {"slug": None, "release": None}),
    ("domains", "post", {"hostname": "not a host", "sni_endpoint": None}),
])
def test_wrong_types_and_values_are_422(daemon, api, app, path, method, body):
    before = snapshot(daemon, api, app)
    r = getattr(api, method)(f"{daemon.url}/apps/{app}/{path}", json=body)
    expect(r, 422, "invalid_params")
    assert snapshot(daemon, api, app) == before


def test_rename_to_an_invalid_name_changes_nothing(daemon, api, app):
    before = snapshot(daemon, api, app)
    expect(api.patch(f"{daemon.url}/apps/{app}", json={"name": "Bad_Name", "maintenance": True}), 422, "invalid_params")
    assert snapshot(daemon, api, app) == before
    assert api.get(f"{daemon.url}/apps/{app}").json()["maintenance"] is False
    for wrong in ("yes", 2):
        expect(api.patch(f"{daemon.url}/apps/{app}", json={"maintenance": wrong}), 422, "invalid_params")
    assert api.get(f"{daemon.url}/apps/{app}").json()["maintenance"] is False


def test_taken_name_is_422_as_on_heroku(daemon, api, app):
    r = api.post(f"{daemon.url}/apps", json={"name": app})
    expect(r, 422, "invalid_params")
    assert "Name is already taken" in r.json()["message"]


def test_oversized_config_is_refused_and_changes_nothing(daemon, api, app):
    before = snapshot(daemon, api, app)
    r = api.patch(f"{daemon.url}/apps/{app}/config-vars", json={"BIG": "x" * 40000})
    expect(r, 422, "invalid_params")
    assert "32 kB" in r.json()["message"]
    assert snapshot(daemon, api, app) == before


def test_ip_and_localhost_domains_are_refused(daemon, api, app):
    refused = ["127.0.0.1", "10.1.2.3", "localhost", "api.localhost", "0x7f.0x0.0x0.0x1"]
    for host in refused:
        r = api.post(f"{daemon.url}/apps/{app}/domains", json={"hostname": host})
        expect(r, 422, "invalid_params")
    hostnames = [d["hostname"] for d in api.get(f"{daemon.url}/apps/{app}/domains").json()]
    assert not set(refused) & set(hostnames), hostnames


def test_unknown_app_is_404(daemon, api):
    expect(api.get(f"{daemon.url}/apps/no-such-app-here"), 404, "not_found")
    expect(api.patch(f"{daemon.url}/apps/no-such-app-here/config-vars", json={"A": "1"}), 404, "not_found")
    expect(api.get(f"{daemon.url}/no/such/endpoint"), 404, "not_found")


def test_another_users_app_answers_like_a_missing_one(daemon, schema_checker, api, app):
    other = daemon.session(schema_checker, daemon.tokens[OTHER])
    before = snapshot(daemon, api, app)
    missing = other.get(f"{daemon.url}/apps/no-such-app-here")
    for r in [other.get(f"{daemon.url}/apps/{app}"), other.patch(f"{daemon.url}/apps/{app}/config-vars", json={"A": "1"}),
              other.delete(f"{daemon.url}/apps/{app}")]:
        expect(r, 404, "not_found")
        assert r.json() == missing.json()
    assert app not in [a["name"] for a in other.get(f"{daemon.url}/apps").json()]
    assert snapshot(daemon, api, app) == before
    # An admin may act on it.
    admin = daemon.session(schema_checker, daemon.tokens[ADMIN])
    assert admin.get(f"{daemon.url}/apps/{app}").status_code == 200


def test_missing_or_bad_token_is_401(daemon, anonymous, app):
    expect(anonymous.get(f"{daemon.url}/apps/{app}"), 401, "unauthorized")
    expect(anonymous.get(f"{daemon.url}/apps/{app}", headers={"Authorization": "Bearer nope"}), 401, "unauthorized")
    expect(anonymous.get(f"{daemon.url}/account", auth=("", "nope")), 401, "unauthorized")
    expect(anonymous.patch(f"{daemon.url}/apps/{app}/config-vars", json={"A": "1"}), 401, "unauthorized")


def test_heroku3_style_basic_token_auth(daemon, anonymous):
    r = anonymous.get(f"{daemon.url}/account/rate-limits", auth=("", daemon.tokens[OTHER]))
    assert r.status_code == 200 and int(r.headers["RateLimit-Remaining"]) > 0
    assert r.json()["remaining"] > 0


@pytest.mark.parametrize("header", ["version ..; max=abc", "version ..; max=0", "version ..; order=sideways", "version x..y"])
def test_bad_range_is_400(daemon, api, app, header):
    expect(api.get(f"{daemon.url}/apps/{app}/releases", headers={"Range": header}), 400, "bad_request")


def test_other_api_version_is_refused(daemon, api):
    r = api.get(f"{daemon.url}/account", headers={"Accept": "application/vnd.heroku+json; version=2"})
    assert r.status_code == 406 and r.json()["id"] == "not_acceptable"
    assert api.get(f"{daemon.url}/account", headers={"Accept": "application/vnd.heroku+json; version=3.cedar-acm"}).status_code == 200


def test_request_id_is_echoed_or_made(daemon, api):
    r = api.get(f"{daemon.url}/account", headers={"Request-Id": "b1c3d7e0-0000-4000-8000-000000000001,older-id"})
    assert r.headers["Request-Id"] == "b1c3d7e0-0000-4000-8000-000000000001"
    assert len(api.get(f"{daemon.url}/account").headers["Request-Id"]) == 36


def test_capability_urls_reject_forgeries(daemon, api, app):
    blob = api.post(f"{daemon.url}/sources").json()["source_blob"]
    forged = blob["put_url"][:-3] + "AAA"
    assert requests.put(forged, data=b"x").status_code == 404
    # A download URL cannot be used to upload.
    assert requests.put(blob["get_url"], data=b"x").status_code == 404
