"""GET /stacks and an app's build_stack with a stack built on the server (issue 18)."""
import json
import os
import shutil

from conftest import unique


def make_stack(data_dir, name):
    """A stack as `stacks:build` leaves it: run/ and build/ root filesystems and a version file."""
    base = os.path.join(data_dir, "stacks", name)
    for image in ("run", "build"):
        os.makedirs(os.path.join(base, image, "usr", "bin"))
    with open(os.path.join(base, "version"), "w") as f:
        json.dump({"name": name, "release": "trixie", "version": "20261206T230000Z", "builtAt": "2026-12-06T23:00:00Z",
                   "runPackages": [], "buildPackages": []}, f)
    return base


def test_built_stacks_are_listed_and_apps_move_to_them(daemon, api):
    base = make_stack(daemon.data_dir, "apistack")
    try:
        stacks = {s["name"]: s for s in api.get(f"{daemon.url}/stacks").json()}
        assert set(stacks) == {"host", "apistack"}
        assert stacks["host"]["default"] and not stacks["apistack"]["default"]
        assert stacks["apistack"]["created_at"] == "2026-12-06T23:00:00Z"
        by_id = api.get(f"{daemon.url}/stacks/{stacks['apistack']['id']}")
        assert by_id.status_code == 200 and by_id.json()["name"] == "apistack"
        assert api.get(f"{daemon.url}/stacks/nostack").status_code == 404

        name = unique("stk")
        api.post(f"{daemon.url}/apps", json={"name": name})
        r = api.patch(f"{daemon.url}/apps/{name}", json={"build_stack": "apistack"})
        assert r.status_code == 200, r.text
        assert r.json()["build_stack"]["name"] == "apistack"
        assert r.json()["stack"]["name"] == "apistack"  # no release yet: the stack it will build on
        r = api.patch(f"{daemon.url}/apps/{name}", json={"build_stack": "nostack"})
        assert r.status_code == 422 and r.json()["id"] == "invalid_params" and "stacks:build" in r.json()["message"]
        r = api.post(f"{daemon.url}/apps", json={"name": unique("stk"), "stack": "nostack"})
        assert r.status_code == 422
    finally:
        shutil.rmtree(base)
    assert [s["name"] for s in api.get(f"{daemon.url}/stacks").json()] == ["host"]
