"""python3 -I requires_python.py STACK_VERSION OLDEST NEWEST — the Python version pyproject.toml's
[project] requires-python asks for: the stack's major version when its python3 satisfies the
specifier, else the newest supported 3.X that does. Prints `3.X`, or `none` when the file has
no requires-python; exits 1 (printing the reason) when it cannot be read or nothing satisfies.
The specifier is data: parsed here (PEP 440's comparison operators), never evaluated."""
import re
import sys

try:
    import tomllib
except ImportError:  # Python < 3.11: no TOML reader in the standard library
    print("this stack's python3 has no tomllib to read pyproject.toml")
    sys.exit(1)

CLAUSE = re.compile(r"^(~=|==|!=|<=|>=|<|>)\s*([0-9]+(?:\.[0-9]+){0,2})(\.\*)?$")


def parse(specifier):
    clauses = []
    for part in specifier.split(","):
        match = CLAUSE.match(part.strip())
        if not match:
            raise ValueError(part.strip())
        operator, version, wildcard = match.groups()
        numbers = tuple(int(n) for n in version.split("."))
        if wildcard and operator not in ("==", "!="):
            raise ValueError(part.strip())
        clauses.append((operator, numbers, bool(wildcard)))
    return clauses


def padded(numbers):
    return tuple(numbers) + (0,) * (3 - len(numbers))


def satisfies(version, clauses):
    for operator, numbers, wildcard in clauses:
        if wildcard:
            prefix = version[: len(numbers)] == numbers
            ok = prefix if operator == "==" else not prefix
        elif operator == "~=":
            ok = version >= padded(numbers) and version[: len(numbers) - 1] == numbers[:-1] and len(numbers) > 1
        else:
            other = padded(numbers)
            ok = {"==": version == other, "!=": version != other, "<=": version <= other,
                  ">=": version >= other, "<": version < other, ">": version > other}[operator]
        if not ok:
            return False
    return True


def main():
    stack = tuple(int(n) for n in sys.argv[1].split("."))
    oldest, newest = int(sys.argv[2]), int(sys.argv[3])
    try:
        with open("pyproject.toml", "rb") as f:
            if len(f.read(4 * 1024 * 1024 + 1)) > 4 * 1024 * 1024:
                raise ValueError("pyproject.toml is larger than 4 MiB")
            f.seek(0)
            project = tomllib.load(f).get("project") or {}
    except (OSError, ValueError, tomllib.TOMLDecodeError) as error:
        print(f"pyproject.toml could not be read: {error}")
        sys.exit(1)
    specifier = project.get("requires-python") if isinstance(project, dict) else None
    if specifier is None:
        print("none")
        return
    if not isinstance(specifier, str) or len(specifier) > 200:
        print("requires-python isn't a version specifier")
        sys.exit(1)
    try:
        clauses = parse(specifier)
    except ValueError as error:
        print(f"requires-python isn't a version specifier: {error}")
        sys.exit(1)
    if satisfies(stack, clauses):
        print(f"{stack[0]}.{stack[1]}")
        return
    for minor in range(newest, oldest - 1, -1):
        if satisfies((3, minor, 999), clauses):
            print(f"3.{minor}")
            return
    print(f"no supported Python version (3.{oldest} to 3.{newest}) satisfies requires-python = {specifier!r}")
    sys.exit(1)


main()
