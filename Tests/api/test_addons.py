"""PostgreSQL add-ons as `heroku addons:create heroku-postgresql`, `heroku addons`, `addons:info`
and `addons:destroy` use them: the catalog (services, plans), creating one (its config vars in a new
release, never its credentials in the add-on), listing and showing it, its attachment, refusals,
another user's view, and destroying it (a final backup, the vars removed in a new release). Every
response is checked against Heroku's schema (conftest)."""
import glob
import os

from conftest import OTHER, unique


def test_addons_like_the_cli(daemon, api, schema_checker):
    name = unique("pg")
    assert api.post(f"{daemon.url}/apps", json={"name": name}).status_code == 201
    assert api.get(f"{daemon.url}/apps/{name}/addons").json() == []

    services = api.get(f"{daemon.url}/addon-services").json()
    assert [s["name"] for s in services] == ["heroku-postgresql", "heroku-redis"]
    assert api.get(f"{daemon.url}/addon-services/{services[0]['id']}").json()["name"] == "heroku-postgresql"
    plans = api.get(f"{daemon.url}/addon-services/heroku-postgresql/plans").json()
    assert "heroku-postgresql:essential-0" in [p["name"] for p in plans]
    assert [p["name"] for p in plans if p["default"]] == ["heroku-postgresql:essential-0"]
    assert api.get(f"{daemon.url}/addon-services/heroku-postgresql/plans/standard-0").json()["name"] == "heroku-postgresql:standard-0"

    redis_plans = api.get(f"{daemon.url}/addon-services/heroku-redis/plans").json()
    assert [p["name"] for p in redis_plans if p["default"]] == ["heroku-redis:mini"]
    assert "25 MB" in redis_plans[0]["description"]
    r = api.post(f"{daemon.url}/apps/{name}/addons", json={"plan": "heroku-memcached"})
    assert r.status_code == 404 and "Couldn't find either the add-on service" in r.json()["message"], r.text
    r = api.post(f"{daemon.url}/apps/{name}/addons", json={"plan": "heroku-postgresql:mega-9"})
    assert r.status_code == 404 and "Couldn't find the plan" in r.json()["message"], r.text
    assert api.get(f"{daemon.url}/apps/{name}/addons").json() == []

    r = api.post(f"{daemon.url}/apps/{name}/addons",
                 json={"plan": {"name": "heroku-postgresql:essential-0"}, "attachment": {}, "config": {}, "confirm": name})
    assert r.status_code == 201, r.text
    addon = r.json()
    assert "postgres://" not in r.text, "an add-on never shows its credentials"
    assert addon["name"].startswith("postgresql-") and addon["state"] == "provisioned"
    assert addon["addon_service"]["name"] == "heroku-postgresql" and addon["plan"]["name"] == "heroku-postgresql:essential-0"
    assert addon["app"]["name"] == name and addon["web_url"] is None
    assert "DATABASE_URL" in addon["config_vars"] and len(addon["config_vars"]) == 2

    config = api.get(f"{daemon.url}/apps/{name}/config-vars").json()
    assert config["DATABASE_URL"].startswith("postgres://") and config["DATABASE_URL"].endswith("?sslmode=require")
    assert [config[var] for var in addon["config_vars"]] == [config["DATABASE_URL"]] * 2
    releases = api.get(f"{daemon.url}/apps/{name}/releases").json()
    assert releases[-1]["description"] == f"Attach DATABASE (@ref:{addon['name']})"

    assert api.get(f"{daemon.url}/addons/{addon['name']}").json()["id"] == addon["id"]
    assert api.get(f"{daemon.url}/apps/{name}/addons/{addon['id']}").json()["name"] == addon["name"]
    assert addon["name"] in [a["name"] for a in api.get(f"{daemon.url}/addons").json()]
    attachments = api.get(f"{daemon.url}/apps/{name}/addon-attachments").json()
    assert [(a["name"], a["addon"]["name"], a["app"]["name"]) for a in attachments] == [("DATABASE", addon["name"], name)]
    assert api.get(f"{daemon.url}/addons/{addon['name']}/addon-attachments").json()[0]["name"] == "DATABASE"

    other = daemon.session(schema_checker, daemon.tokens[OTHER])
    assert other.get(f"{daemon.url}/addons/{addon['name']}").status_code == 404
    assert other.delete(f"{daemon.url}/addons/{addon['name']}").status_code == 404
    assert addon["name"] not in [a["name"] for a in other.get(f"{daemon.url}/addons").json()]
    assert other.get(f"{daemon.url}/apps/{name}/addon-attachments").status_code == 404

    r = api.delete(f"{daemon.url}/apps/{name}/addons/{addon['name']}")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "deprovisioned"
    assert "DATABASE_URL" not in api.get(f"{daemon.url}/apps/{name}/config-vars").json()
    releases = api.get(f"{daemon.url}/apps/{name}/releases").json()
    assert releases[-1]["description"] == f"Detach DATABASE (@ref:{addon['name']})"
    assert api.get(f"{daemon.url}/apps/{name}/addons").json() == []
    backups = glob.glob(os.path.join(daemon.data_dir, "backups", addon["name"] + "-*.dump"))
    assert len(backups) == 1 and os.path.getsize(backups[0]) > 0


def test_the_cli_resolves_addons_and_attachments(daemon, api, schema_checker):
    name = unique("pgr")
    assert api.post(f"{daemon.url}/apps", json={"name": name}).status_code == 201
    addon = api.post(f"{daemon.url}/apps/{name}/addons", json={"plan": "heroku-postgresql"},
                     headers={"Accept-Expansion": "plan"}).json()
    assert addon["plan"]["price"] == {"cents": 0, "contract": False, "unit": "month"}
    for query in [{"app": name, "addon": addon["name"]}, {"app": None, "addon": addon["id"]},
                  {"app": name, "addon": "DATABASE_URL", "addon_service": "heroku-postgresql"}]:
        r = api.post(f"{daemon.url}/actions/addons/resolve", json=query)
        assert r.status_code == 200 and [a["id"] for a in r.json()] == [addon["id"]], (query, r.text)
    r = api.post(f"{daemon.url}/actions/addon-attachments/resolve",
                 json={"app": name, "addon_attachment": "DATABASE", "addon_service": "heroku-postgresql"})
    assert r.status_code == 200 and r.json()[0]["addon"]["name"] == addon["name"], r.text
    assert api.post(f"{daemon.url}/actions/addons/resolve", json={"app": name, "addon": "nope"}).status_code == 404
    assert api.post(f"{daemon.url}/actions/addons/resolve", json={"addon": addon["name"], "addon_service": "heroku-redis"}).status_code == 404
    other = daemon.session(schema_checker, daemon.tokens[OTHER])
    assert other.post(f"{daemon.url}/actions/addons/resolve", json={"app": None, "addon": addon["name"]}).status_code == 404
    assert api.delete(f"{daemon.url}/apps/{addon['app']['id']}/addons/{addon['id']}").status_code == 200


def test_attachments_share_an_addon_between_apps(daemon, api, schema_checker):
    owner, second = unique("pga"), unique("pgb")
    for name in [owner, second]:
        assert api.post(f"{daemon.url}/apps", json={"name": name}).status_code == 201
    addon = api.post(f"{daemon.url}/apps/{owner}/addons", json={"plan": "heroku-postgresql"}).json()
    url = api.get(f"{daemon.url}/apps/{owner}/config-vars").json()["DATABASE_URL"]

    r = api.post(f"{daemon.url}/addon-attachments", json={"addon": addon["id"], "app": second, "name": "SHARED", "confirm": second})
    assert r.status_code == 201, r.text
    attachment = r.json()
    assert attachment["name"] == "SHARED" and attachment["app"]["name"] == second and attachment["addon"]["app"]["name"] == owner
    assert "postgres://" not in r.text
    assert api.get(f"{daemon.url}/apps/{second}/config-vars").json()["SHARED_URL"] == url
    assert api.get(f"{daemon.url}/apps/{second}/releases").json()[-1]["description"] == f"Attach SHARED (@ref:{addon['name']})"
    assert "SHARED" in [a["name"] for a in api.get(f"{daemon.url}/apps/{second}/addon-attachments").json()]
    # The attached app lists the shared add-on beside its own (none), as `heroku addons -a APP` shows it.
    listed = api.get(f"{daemon.url}/apps/{second}/addons").json()
    assert [(a["name"], a["app"]["name"]) for a in listed] == [(addon["name"], owner)], listed
    shared = api.get(f"{daemon.url}/addons/{addon['id']}/addon-attachments").json()
    assert [(a["name"], a["app"]["name"]) for a in shared] == [("DATABASE", owner), ("SHARED", second)]

    other = daemon.session(schema_checker, daemon.tokens[OTHER])
    assert other.delete(f"{daemon.url}/addon-attachments/{attachment['id']}").status_code == 404
    other_app = unique("pgc")
    assert other.post(f"{daemon.url}/apps", json={"name": other_app}).status_code == 201
    r = other.post(f"{daemon.url}/addon-attachments", json={"addon": addon["id"], "app": other_app})
    assert r.status_code == 404, r.text
    r = api.post(f"{daemon.url}/addon-attachments", json={"addon": addon["id"], "app": "no-such-app-here"})
    assert r.status_code == 404 and r.json()["message"] == "Couldn't find that app.", r.text

    r = api.delete(f"{daemon.url}/addon-attachments/{attachment['id']}")
    assert r.status_code == 200 and r.json()["id"] == attachment["id"], r.text
    assert "SHARED_URL" not in api.get(f"{daemon.url}/apps/{second}/config-vars").json()
    assert api.get(f"{daemon.url}/apps/{second}/addons").json() == []
    assert api.get(f"{daemon.url}/apps/{second}/releases").json()[-1]["description"] == f"Detach SHARED (@ref:{addon['name']})"
    assert api.delete(f"{daemon.url}/addons/{addon['id']}").status_code == 200
