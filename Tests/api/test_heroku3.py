"""heroku3 (PyPI) driving a real daemon: apps, config, releases, rollback, formation, dynos,
keys, collaborators, domains, buildpacks, logs. Every JSON response is schema-checked."""
import subprocess
import tempfile
import os

import heroku3
import pytest
import requests

from conftest import ADMIN, OTHER, USER, deploy_slug, unique


@pytest.fixture
def h(daemon, schema_checker, monkeypatch):
    monkeypatch.setattr(heroku3.api, "HEROKU_URL", daemon.url)
    session = requests.Session()
    session.hooks["response"].append(schema_checker.hook)
    return heroku3.from_key(daemon.tokens[USER], session=session)


def test_authenticates_and_reads_the_rate_limit(h):
    assert h.is_authenticated
    assert h.ratelimit_remaining() > 0
    assert h.account().email == USER


def test_create_app_with_heroku3_defaults_and_find_it(h):
    name = unique("h3app")
    app = h.create_app(name=name)  # sends stack "cedar"
    assert app.name == name
    assert app.owner.email == USER
    assert app.stack.name == "host"
    assert name in [a.name for a in h.apps()]
    assert h.app(app.id).name == name
    # heroku3 treats "Name is already taken" as success and re-reads the app.
    assert h.create_app(name=name).id == app.id


def test_config_set_unset_and_releases(h):
    app = h.create_app(name=unique("h3cfg"))
    config = app.config()
    config["FOO"] = "bar"
    config.update({"A": "1", "B": "two words"})
    assert app.config().to_dict() == {"FOO": "bar", "A": "1", "B": "two words"}
    del config["FOO"]
    assert "FOO" not in app.config().to_dict()
    releases = app.releases()
    versions = [r.version for r in releases]
    assert versions == sorted(versions) and versions[0] == 1 and len(versions) == 4
    assert releases[-1].description == "Remove FOO config vars"
    assert releases[-1].user.email == USER


def test_rollback_restores_that_release(h):
    app = h.create_app(name=unique("h3rb"))
    app.update_config({"STAGE": "one"})
    app.update_config({"STAGE": "two"})
    target = [r for r in app.releases() if r.version == 2][0]
    newest = app.rollback(target.id)
    assert newest.version == 4
    assert newest.description == "Rollback to v2"
    assert app.config().to_dict() == {"STAGE": "one"}


def test_scale_formation_after_a_slug_release(h, daemon, api):
    app = h.create_app(name=unique("h3ps"))
    deploy_slug(api, daemon.url, app.name, {"web": "bin/web", "worker": "bin/worker"})
    formation = {f.type: f for f in app.process_formation()}
    assert formation["web"].quantity == 1 and formation["worker"].quantity == 0
    formation["worker"].scale(2)
    app.batch_scale_formation_processes({"web": 3})
    after = {f.type: f.quantity for f in app.process_formation()}
    assert after == {"web": 3, "worker": 2}


def test_dynos_list_what_runs(h, daemon, api):
    app = h.create_app(name=unique("h3dy"))
    assert list(app.dynos()) == []
    _, release = deploy_slug(api, daemon.url, app.name, {"web": "bin/web", "worker": "bin/worker"})
    dynos = list(app.dynos())
    assert [(d.name, d.type, d.state, d.command) for d in dynos] == [("web.1", "web", "up", "bin/web")]
    assert dynos[0].release.version == release["version"]


def test_keys_add_list_remove(h):
    directory = tempfile.mkdtemp()
    path = os.path.join(directory, "id")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "h3key", "-f", path], check=True)
    public = open(path + ".pub").read().strip()
    account = h.account()
    account.add_key(public)
    keys = h.keys()
    assert "h3key" in [k.comment for k in keys]
    key = [k for k in keys if k.comment == "h3key"][0]
    account.remove_key(key.fingerprint)
    assert "h3key" not in [k.comment for k in h.keys()]


def test_collaborators_add_and_remove(h):
    app = h.create_app(name=unique("h3co"))
    app.add_collaborator(OTHER, silent=True)
    assert [c.user.email for c in app.collaborators()] == [OTHER]
    app.remove_collaborator(OTHER)
    assert len(app.collaborators()) == 0


def test_domains_and_buildpacks(h):
    app = h.create_app(name=unique("h3dm"))
    app.add_domain("www.example.org", None)
    hostnames = {d.hostname: d.kind for d in app.domains()}
    assert hostnames["www.example.org"] == "custom"
    assert "heroku" in hostnames.values()
    app.remove_domain("www.example.org")
    assert "www.example.org" not in [d.hostname for d in app.domains()]
    app.update_buildpacks(["https://github.com/heroku/heroku-buildpack-python"])
    assert [b.buildpack.url for b in app.buildpacks()] == ["https://github.com/heroku/heroku-buildpack-python"]


def test_rename_maintenance_and_delete(h):
    app = h.create_app(name=unique("h3mv"))
    renamed = app.rename(app.name + "-x")
    assert renamed.name.endswith("-x")
    app = h.app(renamed.id)
    app.enable_maintenance_mode()
    assert h.app(app.id).maintenance is True
    app.delete()
    assert app.id not in [a.id for a in h.apps()]


def test_maintenance_mode_takes_the_app_offline_at_the_router(h, api, daemon):
    app = h.create_app(name=unique("h3mm"))
    deploy_slug(api, daemon.url, app.name, {"web": "bin/web"})

    def through_router():
        return requests.get(daemon.router + "/", headers={"Host": f"{app.name}.localhost"}, timeout=30)

    assert through_router().status_code == 200
    app.enable_maintenance_mode()
    offline = through_router()
    assert offline.status_code == 503
    assert "Offline for Maintenance" in offline.text
    app.disable_maintenance_mode()
    assert through_router().status_code == 200
    assert h.app(app.id).maintenance is False


def test_get_log_returns_the_apps_log(h, daemon, api):
    app = h.create_app(name=unique("h3lg"))
    deploy_slug(api, daemon.url, app.name, {"web": "bin/web"})
    log = app.get_log(lines=100)
    assert "app[api]: Release v2 created by user " + USER in log, log
    assert "heroku[web.1]: State changed from starting to up" in log, log
