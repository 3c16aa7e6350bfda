"""Heroku's Automatic Certificate Management through the API (`heroku certs:auto:enable`):
`POST`/`PATCH`/`DELETE /apps/{app}/acm` answer the app with `acm` set, the app resource shows
it, each custom domain gets an `acm_status`; another user's app is invisible."""
from conftest import OTHER, unique


def test_acm_enable_and_disable_like_the_cli(daemon, api, schema_checker):
    name = unique("acm")
    assert api.post(f"{daemon.url}/apps", json={"name": name}).status_code == 201
    assert api.post(f"{daemon.url}/apps/{name}/domains", json={"hostname": f"www.{name}.test", "sni_endpoint": None}).status_code == 201
    assert api.get(f"{daemon.url}/apps/{name}").json()["acm"] is False
    domains = api.get(f"{daemon.url}/apps/{name}/domains").json()
    assert [d["acm_status"] for d in domains] == [None, None]

    stranger = daemon.session(schema_checker, daemon.tokens[OTHER])
    assert stranger.post(f"{daemon.url}/apps/{name}/acm").status_code == 404
    assert api.get(f"{daemon.url}/apps/{name}").json()["acm"] is False

    r = api.post(f"{daemon.url}/apps/{name}/acm")
    assert r.status_code == 200, r.text
    assert r.json()["acm"] is True and r.json()["name"] == name
    assert api.get(f"{daemon.url}/apps/{name}").json()["acm"] is True
    custom = [d for d in api.get(f"{daemon.url}/apps/{name}/domains").json() if d["kind"] == "custom"]
    # No CA is reachable from the API tests: the domain is pending or has failed with a reason.
    assert custom[0]["acm_status"] in ("pending", "failed"), custom
    assert api.patch(f"{daemon.url}/apps/{name}/acm").json()["acm"] is True

    assert stranger.delete(f"{daemon.url}/apps/{name}/acm").status_code == 404
    r = api.delete(f"{daemon.url}/apps/{name}/acm")
    assert r.status_code == 200 and r.json()["acm"] is False
    assert [d["acm_status"] for d in api.get(f"{daemon.url}/apps/{name}/domains").json()] == [None, None]
