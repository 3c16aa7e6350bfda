"""A real `openruko daemon` for the API suites, plus validation of every JSON response the tests
receive (heroku3's session and plain `requests` alike) against Heroku's Platform API schema, as
kept in heroku_api_facts.json (see extract_heroku_facts.py)."""
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import shutil

import jsonschema
import pytest
import requests

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("OPENRUKO_BIN", os.path.join(ROOT, ".build", "debug", "openruko"))
# What Heroku's Platform API schema says about each resource's fields, in our compact notation.
FACTS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "heroku_api_facts.json")

ADMIN = "admin@example.com"
USER = "dev@example.com"
OTHER = "other@example.com"
PASSWORD = "correct horse battery"


def admin(data_dir, *words, stdin=""):
    """`openruko admin WORDS` on the suite's data directory; returns stdout."""
    result = subprocess.run([BINARY, "admin", "--data-dir", data_dir, *words], input=stdin, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, f"admin {words}: {result.stderr}"
    return result.stdout


# --- Schema -------------------------------------------------------------------------------

def json_schema(spec):
    """A field's spec from the facts file (notation: extract_heroku_facts.py) as JSON Schema."""
    if isinstance(spec, str):
        spec = {"type": spec}
    unknown = set(spec) - {"type", "enum", "properties", "required", "closed", "keys", "values", "items", "anyOf"}
    assert not unknown, f"unknown keys {sorted(unknown)} in {FACTS_PATH}"
    schema = {}
    types, _, format_name = spec.get("type", "").partition(":")
    if types:
        schema["type"] = types.split("|")
    if format_name:
        schema["format"] = format_name
    if "enum" in spec:
        schema["enum"] = spec["enum"]
    if "properties" in spec:
        schema["properties"] = {name: json_schema(field) for name, field in spec["properties"].items()}
    if "required" in spec:
        schema["required"] = spec["required"]
    if spec.get("closed"):
        schema["additionalProperties"] = False
    if "keys" in spec:
        schema["patternProperties"] = {spec["keys"]: json_schema(spec["values"])}
    if "items" in spec:
        schema["items"] = json_schema(spec["items"])
    if "anyOf" in spec:
        schema["anyOf"] = [json_schema(choice) for choice in spec["anyOf"]]
    return schema


def load_schemas(path=FACTS_PATH):
    """Resource name -> JSON Schema (draft 4) for one of its objects."""
    with open(path) as f:
        facts = json.load(f)
    return {name: json_schema(spec) for name, spec in facts["resources"].items()}


SCHEMAS = load_schemas()
ERROR_SCHEMA = {
    "type": "object", "required": ["id", "message"],
    "properties": {"id": {"type": "string", "minLength": 1}, "message": {"type": "string", "minLength": 1},
                   "resource": {"type": "string"}},
}

APP = r"[^/]+"
# (method or None, path pattern, definition)
ROUTES = [
    (None, r"/account", "account"),
    (None, r"/users/[^/]+", "account"),
    (None, r"/account/rate-limits", "rate-limit"),
    (None, r"/account/keys(/.+)?", "key"),
    (None, r"/oauth/authorizations(/[^/]+)?", "oauth-authorization"),
    (None, r"/apps", "app"),
    (None, r"/users/[^/]+/apps", "app"),
    (None, rf"/apps/{APP}", "app"),
    (None, r"/stacks(/[^/]+)?", "stack"),
    (None, rf"/apps/{APP}/config-vars", "config-vars"),
    (None, rf"/apps/{APP}/releases/[^/]+/config-vars", "config-vars"),
    (None, rf"/apps/{APP}/releases(/[^/]+)?", "release"),
    (None, rf"/apps/{APP}/formation(/[^/]+)?", "formation"),
    ("GET", rf"/apps/{APP}/dynos(/[^/]+)?", "dyno"),
    ("POST", rf"/apps/{APP}/dynos(/[^/]+)?", "dyno"),  # one-off dynos and run:inside
    (None, rf"/apps/{APP}/collaborators(/[^/]+)?", "collaborator"),
    (None, rf"/apps/{APP}/domains(/[^/]+)?", "domain"),
    (None, rf"/apps/{APP}/buildpack-installations", "buildpack-installation"),
    (None, rf"/apps/{APP}/builds(/[^/]+)?", "build"),
    ("POST", r"/sources", "source"),
    (None, rf"/apps/{APP}/slugs(/[^/]+)?", "slug"),
    (None, rf"/apps/{APP}/log-sessions", "log-session"),
    (None, rf"/apps/{APP}/log-drains(/.+)?", "log-drain"),
    (None, rf"/apps/{APP}/addons(/[^/]+)?", "add-on"),
    (None, r"/addons(/[^/]+)?", "add-on"),
    (None, r"/addons/[^/]+/addon-attachments", "add-on-attachment"),
    (None, rf"/apps/{APP}/addon-attachments", "add-on-attachment"),
    (None, r"/addon-attachments(/[^/]+)?", "add-on-attachment"),
    (None, r"/addon-services(/[^/]+)?", "add-on-service"),
    (None, r"/addon-services/[^/]+/plans(/[^/]+)?", "addon-plan"),
    ("POST", r"/actions/addons/resolve", "add-on"),
    ("POST", r"/actions/addon-attachments/resolve", "add-on-attachment"),
    (None, rf"/apps/{APP}/sni-endpoints(/[^/]+)?", "sni-endpoint"),
    (None, rf"/apps/{APP}/acm", "app"),  # Heroku's ACM links answer the app
]


def definition_for(method, path):
    for route_method, pattern, name in ROUTES:
        if (route_method is None or route_method == method) and re.fullmatch(pattern, path):
            return name
    return None


class SchemaChecker:
    """Validates JSON responses; collects failures so each test can assert there are none."""

    def __init__(self):
        self.failures = []
        self.checked = 0
        self.validated = 0
        self.validators = {name: jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
                           for name, schema in SCHEMAS.items()}

    def validate(self, instance, definition):
        self.validated += 1
        self.validators[definition].validate(instance)

    def hook(self, response, *args, **kwargs):
        content_type = response.headers.get("Content-Type", "")
        if "json" not in content_type or not response.content:
            return
        method = response.request.method
        path = re.sub(r"/+", "/", requests.utils.urlparse(response.url).path).rstrip("/") or "/"
        try:
            body = response.json()
        except ValueError as error:
            self.failures.append(f"{method} {path}: not JSON: {error}")
            return
        self.checked += 1
        try:
            if response.status_code >= 400:
                jsonschema.validate(body, ERROR_SCHEMA)
                return
            if response.status_code == 202 and body == {}:
                return
            definition = definition_for(method, path)
            if definition is None:
                self.failures.append(f"{method} {path}: no schema definition mapped")
                return
            items = body if isinstance(body, list) else [body]
            for item in items:
                self.validate(item, definition)
        except jsonschema.ValidationError as error:
            self.failures.append(f"{method} {path} ({response.status_code}): {error.message} at {list(error.absolute_path)}")


CHECKER = SchemaChecker()


@pytest.fixture(scope="session")
def schema_checker():
    return CHECKER


def pytest_terminal_summary(terminalreporter):
    if CHECKER.checked:
        terminalreporter.write_line(f"schema: {CHECKER.checked} JSON responses checked, {CHECKER.validated} objects "
                                    f"validated against {os.path.basename(FACTS_PATH)}")


@pytest.fixture(autouse=True)
def no_schema_failures(schema_checker):
    before = len(schema_checker.failures)
    yield
    new = schema_checker.failures[before:]
    assert not new, "responses that do not match Heroku's schema:\n" + "\n".join(new)


# --- The daemon ---------------------------------------------------------------------------

class Daemon:
    def __init__(self, data_dir, process, api, router=None):
        self.data_dir = data_dir
        self.process = process
        self.url = f"http://{api}"
        self.router = f"http://{router}" if router else None
        self.tokens = {}

    def session(self, checker, token=None):
        session = requests.Session()
        session.hooks["response"].append(checker.hook)
        session.headers["Accept"] = "application/vnd.heroku+json; version=3"
        if token:
            session.headers["Authorization"] = f"Bearer {token}"
        return session


@pytest.fixture(scope="session")
def daemon():
    instance, stop = start_daemon()
    yield instance
    stop()


def start_daemon():
    """A real daemon on a fresh data directory with three users; returns it and its stop function
    (SIGTERM, then the data directory is removed)."""
    assert os.access(BINARY, os.X_OK), f"build openruko first ({BINARY})"
    data_dir = tempfile.mkdtemp(prefix="openruko-api-")
    os.chmod(data_dir, 0o711)  # the app users pass through it to their builds and dynos
    admin(data_dir, "users:create", ADMIN, "--admin")
    admin(data_dir, "users:create", USER)
    admin(data_dir, "users:create", OTHER)
    admin(data_dir, "users:passwd", USER, stdin=PASSWORD + "\n")
    tokens = {email: admin(data_dir, "tokens:create", "--user", email).strip().split()[-1] for email in (ADMIN, USER, OTHER)}
    log = open(os.path.join(data_dir, "daemon.log"), "w")
    process = subprocess.Popen(
        [BINARY, "daemon", "--data-dir", data_dir, "--api-listen", "127.0.0.1:0", "--ssh-listen", "127.0.0.1:0",
         "--router-listen", "127.0.0.1:0", "--router-tls-listen", "127.0.0.1:0",
         "--rendezvous-listen", "127.0.0.1:0"], stdout=log, stderr=subprocess.STDOUT,
        # certs:auto:enable must never reach a real CA from the tests: nothing listens on port 9.
        env={**os.environ, "OPENRUKO_ACME_DIRECTORY": "https://127.0.0.1:9/directory"})
    info_path = os.path.join(data_dir, "daemon.json")
    deadline = time.time() + 30
    while not os.path.exists(info_path):
        assert process.poll() is None, "the daemon exited: " + open(os.path.join(data_dir, "daemon.log")).read()
        assert time.time() < deadline, "the daemon did not get ready within 30 s"
        time.sleep(0.05)
    time.sleep(0.05)
    with open(info_path) as f:
        info = json.load(f)
    instance = Daemon(data_dir, process, info["api"], info.get("router"))
    instance.tokens = tokens

    def stop():
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
            log.close()
            shutil.rmtree(data_dir, ignore_errors=True)
    return instance, stop


@pytest.fixture
def api(daemon, schema_checker):
    """A `requests` session as the regular user (Bearer token)."""
    return daemon.session(schema_checker, daemon.tokens[USER])


@pytest.fixture
def anonymous(daemon, schema_checker):
    return daemon.session(schema_checker)


def unique(prefix):
    return f"{prefix}-{int(time.time() * 1000) % 10_000_000}"


def deploy_slug(session, url, app, process_types):
    """Creates a slug with `process_types` through the API, uploads an archive, releases it.
    The archive holds `bin/web` (an HTTP server on $PORT: deploys wait until web dynos are up)
    and `bin/worker`; any other command is missing from it."""
    r = session.post(f"{url}/apps/{app}/slugs", json={"process_types": process_types, "commit": "abc1234def"})
    assert r.status_code == 201, r.text
    slug = r.json()
    tree = tempfile.mkdtemp()
    os.makedirs(os.path.join(tree, "bin"))
    for name, script in [("web", "exec python3 -m http.server \"$PORT\"\n"), ("worker", "exec sleep 3600\n")]:
        path = os.path.join(tree, "bin", name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + script)
        os.chmod(path, 0o755)
    archive = os.path.join(tempfile.mkdtemp(), "slug.tgz")
    subprocess.run(["tar", "czf", archive, "-C", tree, "."], check=True)
    with open(archive, "rb") as f:
        put = requests.put(slug["blob"]["url"], data=f.read())
    assert put.status_code == 200, put.text
    r = session.post(f"{url}/apps/{app}/releases", json={"slug": slug["id"]})
    assert r.status_code == 201, r.text
    return slug, r.json()
