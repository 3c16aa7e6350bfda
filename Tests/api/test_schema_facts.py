"""The response validation itself (no daemon): heroku_api_facts.json covers every resource the
suite maps responses to, a correct object passes, and a wrong type, format, enum value, null,
missing required field or unexpected field is caught."""
import copy

import jsonschema
import pytest
import requests

from conftest import ROUTES, SCHEMAS, SchemaChecker

APP = {
    "acm": False, "archived_at": None, "buildpack_provided_description": None,
    "build_stack": {"id": "6d33d1c1-2f58-4bd0-a4e7-8f0e2a5c1d11", "name": "host"},
    "created_at": "2026-01-02T03:04:05Z", "generation": {"id": "9c3e5b77-2b6e-4bd1-8c43-0b1f2c8e2f4a", "name": "cedar"},
    "git_url": "ssh://git@localhost:2222/myapp.git", "id": "01234567-89ab-4def-8123-456789abcdef",
    "internal_routing": None, "maintenance": False, "name": "myapp",
    "owner": {"email": "dev@example.com", "id": "11234567-89ab-4def-8123-456789abcdef"},
    "organization": None, "team": None, "region": {"id": "21234567-89ab-4def-8123-456789abcdef", "name": "local"},
    "released_at": "2026-01-02T03:04:05Z", "repo_size": None, "slug_size": 1024, "space": None,
    "stack": {"id": "6d33d1c1-2f58-4bd0-a4e7-8f0e2a5c1d11", "name": "host"},
    "updated_at": "2026-01-02T03:04:05Z", "web_url": "http://myapp.localhost/",
}
COLLABORATOR = {
    "app": {"name": "myapp", "id": APP["id"]}, "created_at": "2026-01-02T03:04:05Z",
    "id": "31234567-89ab-4def-8123-456789abcdef", "permissions": [], "role": None, "updated_at": "2026-01-02T03:04:05Z",
    "user": {"email": "other@example.com", "federated": False, "id": "41234567-89ab-4def-8123-456789abcdef"},
}
BUILD = {
    "app": {"id": APP["id"]}, "buildpacks": None, "created_at": "2026-01-02T03:04:05Z",
    "id": "51234567-89ab-4def-8123-456789abcdef", "output_stream_url": "http://localhost/streams/x",
    "source_blob": {"checksum": None, "url": "http://localhost/sources/x", "version": "v1", "version_description": None},
    "release": None, "slug": None, "stack": "host", "status": "pending", "updated_at": "2026-01-02T03:04:05Z",
    "user": {"id": APP["owner"]["id"], "email": "dev@example.com"},
}


def changed(base, path, value):
    instance = copy.deepcopy(base)
    node = instance
    for key in path[:-1]:
        node = node[key]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return instance


DELETE = object()


def test_every_mapped_definition_has_facts():
    assert {name for _, _, name in ROUTES} <= set(SCHEMAS)


@pytest.mark.parametrize("definition,instance", [
    ("app", APP), ("collaborator", COLLABORATOR), ("build", BUILD), ("config-vars", {"A_1": "x", "B": None}),
    ("release", {"status": "expired", "version": 3, "slug": None, "current": False}),
])
def test_a_correct_object_passes(definition, instance):
    SchemaChecker().validate(instance, definition)


@pytest.mark.parametrize("definition,base,path,value", [
    ("app", APP, ["name"], 5),                                   # type
    ("app", APP, ["maintenance"], "false"),
    ("app", APP, ["maintenance"], None),                         # not nullable
    ("app", APP, ["slug_size"], "1024"),
    ("app", APP, ["id"], "not-a-uuid"),                          # format
    ("app", APP, ["created_at"], "yesterday"),
    ("app", APP, ["owner", "email"], 5),                         # nested object
    ("app", APP, ["owner"], "dev@example.com"),
    ("app", APP, ["stack", "id"], "host"),
    ("collaborator", COLLABORATOR, ["role"], "boss"),            # enum
    ("collaborator", COLLABORATOR, ["extra"], 1),                # closed object
    ("collaborator", COLLABORATOR, ["user"], DELETE),            # required
    ("collaborator", COLLABORATOR, ["permissions"], [{"name": 5}]),  # array items
    ("build", BUILD, ["status"], "running"),
    ("build", BUILD, ["status"], DELETE),
    ("build", BUILD, ["buildpacks"], [{"url": None}]),
    ("config-vars", {"A": "x"}, ["A"], 1),                       # map values
    ("config-vars", {"A": "x"}, ["BAD KEY"], "x"),               # map keys
])
def test_a_wrong_field_is_caught(definition, base, path, value):
    with pytest.raises(jsonschema.ValidationError):
        SchemaChecker().validate(changed(base, path, value), definition)


def fake_response(method, path, status, body):
    response = requests.Response()
    response.status_code = status
    response.headers["Content-Type"] = "application/json"
    response._content = body.encode()
    response.url = "http://127.0.0.1:1" + path
    response.request = requests.Request(method, response.url).prepare()
    return response


def test_the_response_hook_records_a_wrong_type():
    checker = SchemaChecker()
    checker.hook(fake_response("GET", "/apps/myapp", 200, '{"name": 5}'))
    checker.hook(fake_response("GET", "/apps", 200, '[{"name": "ok"}, {"maintenance": "no"}]'))
    checker.hook(fake_response("GET", "/apps/myapp", 404, '{"id": "not_found"}'))  # no message
    checker.hook(fake_response("GET", "/apps/myapp/unmapped", 200, "{}"))
    assert checker.checked == 4 and checker.validated == 3
    assert [failure.split(":")[0] for failure in checker.failures] == [
        "GET /apps/myapp (200)", "GET /apps (200)", "GET /apps/myapp (404)", "GET /apps/myapp/unmapped"]
    assert "5 is not of type 'string'" in checker.failures[0]
