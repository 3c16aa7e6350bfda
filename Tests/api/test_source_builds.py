"""API builds (`POST /apps/{app}/builds`) run in their own process: a real build deploys, and a
hostile manifest fails its build without growing the daemon."""
import io
import os
import pathlib
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time

import requests

from conftest import ADMIN, admin, start_daemon, unique


def tarball(files):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def build(daemon, api, app, files):
    blob = api.post(f"{daemon.url}/sources").json()["source_blob"]
    assert requests.put(blob["put_url"], data=tarball(files)).status_code == 200
    r = api.post(f"{daemon.url}/apps/{app}/builds", json={"source_blob": {"url": blob["get_url"], "version": "v1"}})
    assert r.status_code == 201, r.text
    build_id = r.json()["id"]
    deadline = time.time() + 180
    while time.time() < deadline:
        status = api.get(f"{daemon.url}/apps/{app}/builds/{build_id}").json()["status"]
        if status != "pending":
            return status, admin(daemon.data_dir, "builds:output", app, build_id)
        time.sleep(0.5)
    raise AssertionError("the build never finished")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def test_a_source_build_deploys(daemon, api):
    app = unique("apib")
    api.post(f"{daemon.url}/apps", json={"name": app})
    status, output = build(daemon, api, app, {"Procfile": "web: exec python3 -m http.server $PORT\n", "index.html": "hi\n"})
    assert status == "succeeded", output
    assert "Procfile app detected" in output


def test_an_alias_bomb_fails_its_build_and_leaves_the_daemon_alone(daemon, api):
    app = unique("bomb")
    api.post(f"{daemon.url}/apps", json={"name": app})
    admin(daemon.data_dir, "apps:container-builds", app, "on")
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    names = "abcdefghi"
    for previous, name in zip(names, names[1:]):
        bomb += f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]\n"
    before = rss_kb(daemon.process.pid)
    status, output = build(daemon, api, app, {
        "heroku.yml": bomb + "build:\n  docker:\n    web: Dockerfile\n", "Dockerfile": "FROM scratch\n"})
    assert status == "failed"
    assert "expands to more than 10000 values" in output, output
    assert rss_kb(daemon.process.pid) - before < 20 * 1024


def test_a_shutdown_cancels_a_running_api_build_cleanly(schema_checker):
    """SIGTERM while an API build runs: the build's process gets SIGTERM, its record says it was
    cancelled, the daemon exits, and no build process is left."""
    daemon, stop = start_daemon()
    place = None
    try:
        api = daemon.session(schema_checker, daemon.tokens[ADMIN])
        app = unique("slow")
        api.post(f"{daemon.url}/apps", json={"name": app})
        place = tempfile.mkdtemp(prefix="openruko-slow-")
        os.chmod(place, 0o711)  # the app's build user reaches the buildpack
        buildpack = pathlib.Path(place) / "slow-buildpack"
        (buildpack / "bin").mkdir(parents=True)
        for name, script in (("detect", "echo slow"), ("compile", "echo compiling slowly; exec sleep 600"),
                             ("release", "echo '--- {}'")):
            (buildpack / "bin" / name).write_text(f"#!/bin/sh\n{script}\n")
            (buildpack / "bin" / name).chmod(0o755)
        admin(daemon.data_dir, "buildpacks:set", app, str(buildpack))
        blob = api.post(f"{daemon.url}/sources").json()["source_blob"]
        assert requests.put(blob["put_url"], data=tarball({"Procfile": "web: sleep 600\n"})).status_code == 200
        r = api.post(f"{daemon.url}/apps/{app}/builds", json={"source_blob": {"url": blob["get_url"], "version": "v1"}})
        assert r.status_code == 201, r.text
        build_id = r.json()["id"]
        deadline = time.time() + 120
        log = os.path.join(daemon.data_dir, "logs", "builds", f"{build_id}.log")  # the live build log
        while "compiling slowly" not in (output := open(log).read() if os.path.exists(log) else ""):
            assert time.time() < deadline, f"the build never reached its compile step: {output}"
            time.sleep(0.2)
        daemon.process.send_signal(signal.SIGTERM)
        daemon.process.wait(timeout=60)
        output = admin(daemon.data_dir, "builds:output", app, build_id)
        assert "The build was cancelled: openruko is stopping." in output, output
        assert f"{build_id[:8]}" in admin(daemon.data_dir, "builds", app) and "failed" in admin(daemon.data_dir, "builds", app)
        left = subprocess.run(["pgrep", "-f", build_id], capture_output=True, text=True).stdout.split()
        assert left == [], f"build processes left: {left}"
    finally:
        stop()
        if place:
            shutil.rmtree(place, ignore_errors=True)
