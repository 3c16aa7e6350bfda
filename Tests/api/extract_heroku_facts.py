"""Writes heroku_api_facts.json, the compact facts about Heroku's Platform API that the API suite
validates responses against (see conftest.py).

Run by hand, never by CI or the tests: it reads Heroku's published Platform API JSON schema
(https://api.heroku.com/schema, `Accept: application/vnd.heroku+json; version=3`), which is not
part of this repository, and rewrites the facts file next to this script:

    python3 Tests/api/extract_heroku_facts.py path/to/heroku-platform-api-schema.json

For each resource in RESOURCES it follows every `$ref` and keeps what a response is checked for:
each property's type(s), format, enum, nullability (a "null" type), nested object properties and
array items, `required`, closed objects (`additionalProperties: false`) and maps whose keys
follow a pattern (`patternProperties`). Descriptions, examples, readOnly, defaults, stability and
value patterns are dropped; any other validation keyword stops the script rather than being
lost silently.

Notation of a field's spec (conftest.json_schema turns it back into JSON Schema):
  "string:uuid"      type(s) joined by "|", then ":" and the format if there is one
                     ("null|string:date-time", "integer", ":uuid" for a format with no type)
  {"type": "object", "properties": {name: spec}, "required": [...], "closed": true,
   "keys": regex, "values": spec, "items": spec, "enum": [...], "anyOf": [spec, ...]}
                     any of these keys, only where needed.
"""
import json
import os
import sys

# Facts name -> the definition in Heroku's schema. Every definition conftest.ROUTES maps a
# response to must be here (test_schema_facts.py checks it).
RESOURCES = {
    "account": "account",
    "add-on": "add-on",
    "add-on-attachment": "add-on-attachment",
    "add-on-service": "add-on-service",
    "addon-plan": "plan",
    "app": "app",
    "build": "build",
    "buildpack-installation": "buildpack-installation",
    "collaborator": "collaborator",
    "config-vars": "config-var/definitions/config_vars",
    "domain": "domain",
    "dyno": "dyno",
    "formation": "formation",
    "key": "key",
    "log-drain": "log-drain",
    "log-session": "log-session",
    "oauth-authorization": "oauth-authorization",
    "rate-limit": "rate-limit",
    "release": "release",
    "slug": "slug",
    "sni-endpoint": "sni-endpoint",
    "source": "source",
    "stack": "stack",
}

# Keywords without a bearing on which responses are valid here (annotations, hyper-schema).
IGNORED = {"description", "example", "readOnly", "default", "stability", "strictProperties", "title",
           "$schema", "id", "links", "definitions", "identity", "deprecated", "pattern",
           "readonly"}  # "readonly": a misspelt readOnly in add-on-service
HANDLED = {"type", "format", "enum", "properties", "required", "additionalProperties", "patternProperties",
           "items", "anyOf"}


class Extractor:
    def __init__(self, schema):
        self.schema = schema

    def resolve(self, pointer):
        assert pointer.startswith("#/"), pointer
        node = self.schema
        for part in pointer[2:].split("/"):
            node = node[part]
        return node

    def spec(self, node, trail=()):
        # Draft 4: a `$ref` replaces its object, siblings included.
        while "$ref" in node:
            assert node["$ref"] not in trail, f"recursive reference {node['$ref']}"
            trail = trail + (node["$ref"],)
            node = self.resolve(node["$ref"])
        unknown = set(node) - IGNORED - HANDLED
        if unknown:
            raise SystemExit(f"unsupported keywords {sorted(unknown)} at {' -> '.join(trail) or 'a resource'}")
        types = node.get("type", [])
        types = [types] if isinstance(types, str) else list(types)
        shorthand = "|".join(types) + (":" + node["format"] if "format" in node else "")
        out = {}
        if shorthand:
            out["type"] = shorthand
        if "enum" in node:
            out["enum"] = node["enum"]
        if "properties" in node:
            out["properties"] = {name: self.spec(value, trail) for name, value in node["properties"].items()}
        if "required" in node:
            out["required"] = node["required"]
        if "additionalProperties" in node:
            if node["additionalProperties"] is not False:
                raise SystemExit(f"additionalProperties other than false at {' -> '.join(trail)}")
            out["closed"] = True
        if "patternProperties" in node:
            patterns = node["patternProperties"]
            if len(patterns) != 1:
                raise SystemExit(f"more than one patternProperties at {' -> '.join(trail)}")
            (keys, values), = patterns.items()
            out["keys"] = keys
            out["values"] = self.spec(values, trail)
        if "items" in node:
            out["items"] = self.spec(node["items"], trail)
        if "anyOf" in node:
            choices = []
            for choice in (self.spec(x, trail) for x in node["anyOf"]):
                if choice not in choices:
                    choices.append(choice)
            if len(choices) == 1 and not set(out) & set(choices[0] if isinstance(choices[0], dict) else {"type"}):
                # anyOf of identical choices (e.g. a slug or an OCI image id: both uuids)
                single = choices[0] if isinstance(choices[0], dict) else {"type": choices[0]}
                out.update(single)
            else:
                out["anyOf"] = choices
        return out["type"] if list(out) == ["type"] else out


def dumps(value, indent=0):
    """JSON with one line per property, and anything that fits in 110 columns on one line."""
    flat = json.dumps(value)
    if not isinstance(value, (dict, list)) or len(flat) + indent <= 110:
        return flat
    inner = " " * (indent + 1)
    if isinstance(value, list):
        lines = [inner + dumps(item, indent + 1) for item in value]
        return "[\n" + ",\n".join(lines) + "\n" + " " * indent + "]"
    lines = [f"{inner}{json.dumps(key)}: {dumps(item, indent + 1)}" for key, item in value.items()]
    return "{\n" + ",\n".join(lines) + "\n" + " " * indent + "}"


def main():
    if len(sys.argv) != 2:
        raise SystemExit(f"usage: {sys.argv[0]} HEROKU_PLATFORM_API_SCHEMA.json")
    with open(sys.argv[1]) as f:
        extractor = Extractor(json.load(f))
    facts = {
        "about": "Facts about Heroku's Platform API responses, extracted from Heroku's published JSON schema by "
                 "extract_heroku_facts.py (run by hand; its docstring describes the notation). conftest.py "
                 "validates every JSON response of the API suite against them.",
        "resources": {name: extractor.spec({"$ref": "#/definitions/" + pointer}) for name, pointer in RESOURCES.items()},
    }
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "heroku_api_facts.json")
    with open(out, "w") as f:
        f.write(dumps(facts) + "\n")
    print(f"wrote {out} ({os.path.getsize(out)} bytes)")


if __name__ == "__main__":
    main()
