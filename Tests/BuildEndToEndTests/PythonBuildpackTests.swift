import Foundation
import Testing
import TestSupport

/// The bundled python buildpack as Heroku's: the package manager chosen from the app's files,
/// each lockfile installing exactly what it pins (`six` 1.16.0, not the newest), the Python
/// version requests, and Heroku's errors. Real pushes, real PyPI.
@Suite(.serialized, .timeLimit(.minutes(15))) struct PythonBuildpackTests {
    /// The stack's python3 (`3.11.2` on Debian 12).
    static func stackPython() async throws -> String {
        let result = try await ProcessRunner.run(
            "/usr/bin/python3", ["-I", "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"])
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func minor(_ version: String) -> String { version.split(separator: ".").prefix(2).joined(separator: ".") }

    @Test func unavailablePythonVersionsAreRefusedNamingBothVersions() async throws {
        let fixture = try await BuildFixture.make()
        let stack = try await Self.stackPython()
        try await fixture.createApp("pyver")
        let repo = try await fixture.repository([".python-version": "# the newest\n3.99\n", "requirements.txt": "six==1.16.0\n"])
        let unknown = try await fixture.push(repo, app: "pyver")
        #expect(unknown.status != 0)
        for line in [
            "-----> Using Python 3.99 specified in .python-version", " !     Error: The requested Python version isn't recognised.",
            " !     The requested Python version 3.99 isn't recognised.", " !     The Python versions available on this server are:",
            " !     \(stack) (the stack's python3)", " !     Push rejected, failed to compile Python app.",
        ] {
            #expect(unknown.stderr.contains(line), "missing \(line.debugDescription) in:\n\(unknown.stderr)")
        }
        #expect(!unknown.stderr.contains("pip"), "\(unknown.stderr)")
        #expect(try await fixture.ref("pyver").isEmpty)

        // A released version the stack lacks (no download location is configured here).
        let other = stack.hasPrefix("3.12") ? "3.13" : "3.12"
        try fixture.write([".python-version": other + "\n"], to: repo)
        try await fixture.commit(repo, "another version")
        let missing = try await fixture.push(repo, app: "pyver")
        #expect(missing.status != 0)
        for line in [
            " !     Error: The requested Python version isn't available.", " !     of \(other), however, this server can't provide that version.",
            " !     \(stack) (the stack's python3)",
        ] {
            #expect(missing.stderr.contains(line), "missing \(line.debugDescription) in:\n\(missing.stderr)")
        }
        #expect(!missing.stderr.contains("Installing dependencies"))

        // The stack's version, asked for by major version or exactly, is used directly.
        for request in [Self.minor(stack), stack] {
            try fixture.write([".python-version": request + "\n"], to: repo)
            try await fixture.commit(repo, "python \(request)")
            let used = try await fixture.push(repo, app: "pyver")
            #expect(used.status == 0, "\(used.stderr)")
            #expect(used.stderr.contains("-----> Using Python \(request) specified in .python-version"), "\(used.stderr)")
            #expect(used.stderr.contains("Python \(stack)"), "\(used.stderr)")
            #expect(!used.stderr.contains("Warning"), "\(used.stderr)")
        }
    }

    @Test func runtimeTxtIsDeprecatedAndMissingOrSeveralPackageManagersAreErrors() async throws {
        let fixture = try await BuildFixture.make()
        let stack = try await Self.stackPython()
        try await fixture.createApp("pyrt")
        let repo = try await fixture.repository(["runtime.txt": "python-\(Self.minor(stack))\n", "requirements.txt": "", "app.py": "\n"])
        let deprecated = try await fixture.push(repo, app: "pyrt")
        #expect(deprecated.status == 0, "\(deprecated.stderr)")
        for line in [
            "-----> Using Python \(Self.minor(stack)) specified in runtime.txt", " !     Warning: The runtime.txt file is deprecated.",
            " !     Delete your runtime.txt file and create a new file in the", "-----> Installing Python \(stack)",
            "-----> Installing dependencies using 'pip install -r requirements.txt'",
        ] {
            #expect(deprecated.stderr.contains(line), "missing \(line.debugDescription) in:\n\(deprecated.stderr)")
        }

        try await fixture.git(["rm", "-q", "requirements.txt", "runtime.txt"], in: repo)
        try await fixture.commit(repo, "no package manager")
        let none = try await fixture.push(repo, app: "pyrt")
        #expect(none.status != 0)
        #expect(none.stderr.contains(" !     Error: Couldn't find any supported Python package manager files."), "\(none.stderr)")
        #expect(none.stderr.contains(" !     app.py"), "\(none.stderr)")

        try fixture.write(["requirements.txt": "six\n", "poetry.lock": "# not read\n"], to: repo)
        try await fixture.commit(repo, "two package managers")
        let several = try await fixture.push(repo, app: "pyrt")
        #expect(several.status != 0)
        for line in [
            " !     Error: Multiple Python package manager files were found.", " !     requirements.txt (pip)", " !     poetry.lock (Poetry)",
        ] {
            #expect(several.stderr.contains(line), "missing \(line.debugDescription) in:\n\(several.stderr)")
        }

        // A version file is data: shown back (printable), never run.
        try await fixture.git(["rm", "-q", "poetry.lock"], in: repo)
        try fixture.write([".python-version": "3.11$(touch /tmp/pwned)`id`\u{1b}[2J\n"], to: repo)
        try await fixture.commit(repo, "hostile version")
        let hostile = try await fixture.push(repo, app: "pyrt")
        #expect(hostile.status != 0)
        #expect(hostile.stderr.contains(" !     Error: Invalid Python version in .python-version."), "\(hostile.stderr)")
        #expect(hostile.stderr.contains(" !     3.11$(touch /tmp/pwned)`id`?[2J"), "\(hostile.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/pwned"))
    }

    /// Pushes `files` and returns the build output and the slug's site-packages entries.
    func installs(_ app: String, _ files: [String: String], fixture: BuildFixture) async throws -> (output: String, packages: Set<String>, repo: String) {
        try await fixture.createApp(app)
        let repo = try await fixture.repository(files)
        let result = try await fixture.push(repo, app: app)
        #expect(result.status == 0, "\(result.stderr)")
        let entries = try await fixture.entries(ofSlug: try await fixture.latestSlug(app))
        var packages = Set<String>()
        for entry in entries {
            guard let range = entry.range(of: "/site-packages/") else { continue }
            let name = entry[range.upperBound...].split(separator: "/").first.map(String.init) ?? ""
            if name.hasSuffix(".dist-info") { packages.insert(name) }
        }
        return (result.stderr, packages, repo)
    }

    @Test func uvLockInstallsExactlyWhatItPinsAndIsReusedWhenUnchanged() async throws {
        let fixture = try await BuildFixture.make()
        let stack = try await Self.stackPython()
        let (output, packages, repo) = try await installs(
            "pyuv", ["pyproject.toml": Self.uvProject, "uv.lock": Self.uvLock, ".python-version": Self.minor(stack) + "\n"], fixture: fixture)
        #expect(output.contains("-----> Installing uv 0.12.5"), "\(output)")
        #expect(output.contains("-----> Installing dependencies using 'uv sync --locked --no-default-groups'"), "\(output)")
        #expect(packages.contains("six-1.16.0.dist-info"), "\(packages)")
        #expect(!packages.contains { $0.hasPrefix("six-1.17") })

        // A hook that counts the names of a virtualenv file and looks for the cached copy: the
        // cached virtualenv is renamed into BUILD_DIR (one name, none left in the cache) and moved
        // back once the slug is packed (OPENRUKO_CACHE_MOVES).
        try fixture.write(
            [
                "bin/post_compile":
                    "+x #!/usr/bin/env bash\necho \"venv file links: $(stat -c %h .heroku/python/pyvenv.cfg)\"\n"
                    + "[ -e \"$CACHE_DIR/.heroku/python\" ] || echo 'no cached copy during the build'\n"
            ], to: repo)
        try await fixture.commit(repo, "unchanged lockfile")
        let warm = try await fixture.push(repo, app: "pyuv")
        #expect(warm.status == 0, "\(warm.stderr)")
        #expect(warm.stderr.contains("-----> Restoring cache"), "\(warm.stderr)")
        #expect(warm.stderr.contains("venv file links: 1"), "\(warm.stderr)")
        #expect(warm.stderr.contains("no cached copy during the build"), "\(warm.stderr)")
        #expect(warm.stderr.contains("-----> Using cached install of Python \(stack)"), "\(warm.stderr)")
        #expect(warm.stderr.contains("-----> Using cached uv 0.12.5"), "\(warm.stderr)")
        #expect(!warm.stderr.contains("Installing dependencies"), "\(warm.stderr)")

        // A lockfile that no longer matches pyproject.toml fails as uv says (--locked).
        try fixture.write(["pyproject.toml": Self.uvProject.replacingOccurrences(of: "six==1.16.0", with: "six==1.17.0")], to: repo)
        try await fixture.commit(repo, "stale lockfile")
        let stale = try await fixture.push(repo, app: "pyuv")
        #expect(stale.status != 0)
        #expect(stale.stderr.contains(" !     Error: Unable to install dependencies using uv."), "\(stale.stderr)")
        // The warm build's virtualenv went back into the cache after packing.
        #expect(stale.stderr.contains("-----> Discarding cache since:"), "\(stale.stderr)")
    }

    /// uv apps without a .python-version get pyproject.toml's requires-python; the app's
    /// bin/pre_compile runs before the install and bin/post_compile after it, a failure fails.
    @Test func requiresPythonAndCompileHooks() async throws {
        let fixture = try await BuildFixture.make()
        let stack = try await Self.stackPython()
        let hooks = [
            "bin/pre_compile": "+x #!/usr/bin/env bash\necho \"pre_compile: $(ls uv.lock)\"\ntouch pre_compile.ran\n",
            "bin/post_compile": "+x #!/usr/bin/env bash\npython -c 'import six; print(\"post_compile: six\", six.__version__)'\ntouch post_compile.ran\n",
        ]
        let (output, packages, repo) = try await installs(
            "pyreq", ["pyproject.toml": Self.uvProject, "uv.lock": Self.uvLock].merging(hooks) { a, _ in a }, fixture: fixture)
        var position = output.startIndex
        for step in [
            "-----> Running bin/pre_compile hook", "pre_compile: uv.lock", "-----> Using Python \(Self.minor(stack)) specified in pyproject.toml",
            "-----> Installing dependencies using 'uv sync", "-----> Running bin/post_compile hook", "post_compile: six 1.16.0", "-----> Saving cache",
        ] {
            guard let range = output.range(of: step, range: position..<output.endIndex) else {
                Issue.record("missing \(step.debugDescription) (in this order) in:\n\(output)")
                break
            }
            position = range.upperBound
        }
        #expect(!output.contains("No Python version was specified"), "\(output)")
        #expect(packages.contains("six-1.16.0.dist-info"))
        let entries = Set(try await fixture.entries(ofSlug: try await fixture.latestSlug("pyreq")))
        #expect(entries.contains("./pre_compile.ran") && entries.contains("./post_compile.ran"), "\(entries.sorted().prefix(30))")

        try fixture.write(["bin/post_compile": "+x #!/usr/bin/env bash\necho hook broke\nexit 4\n"], to: repo)
        try await fixture.commit(repo, "failing hook")
        let failing = try await fixture.push(repo, app: "pyreq")
        #expect(failing.status != 0)
        for line in ["hook broke", " !     Error: Failed to run the bin/post_compile script.", " !     Push rejected, failed to compile Python app."] {
            #expect(failing.stderr.contains(line), "missing \(line.debugDescription) in:\n\(failing.stderr)")
        }

        // A specifier only a newer Python satisfies asks for that one (refused: no download
        // location here); one nothing satisfies, or shell, is an error naming the field.
        try await fixture.git(["rm", "-q", "bin/post_compile"], in: repo)
        let newer = "3.14"  // the newest Python the buildpack supports
        for (specifier, lines) in [
            (">=3.\(Int(Self.minor(stack).split(separator: ".")[1])! + 1)", [
                "-----> Using Python \(newer) specified in pyproject.toml", " !     Error: The requested Python version isn't available.",
                " !     \(stack) (the stack's python3)",
            ]),
            (">=3.20", [" !     Error: Invalid Python version in pyproject.toml.", " !     no supported Python version (3.10 to 3.14) satisfies"]),
            ("$(touch pwned)", [" !     Error: Invalid Python version in pyproject.toml.", " !     requires-python isn't a version specifier: $(touch pwned)"]),
        ] {
            try fixture.write(["pyproject.toml": Self.uvProject.replacingOccurrences(of: #"">=3.11""#, with: "\"\(specifier)\"")], to: repo)
            try await fixture.commit(repo, "requires-python \(specifier)")
            let refused = try await fixture.push(repo, app: "pyreq")
            #expect(refused.status != 0)
            for line in lines {
                #expect(refused.stderr.contains(line), "missing \(line.debugDescription) in:\n\(refused.stderr)")
            }
            #expect(!refused.stderr.contains("Installing dependencies"), "\(refused.stderr)")
        }
    }

    @Test func poetryLockInstallsExactlyWhatItPins() async throws {
        let fixture = try await BuildFixture.make()
        let (output, packages, _) = try await installs(
            "pypoetry", ["pyproject.toml": Self.poetryProject, "poetry.lock": Self.poetryLock], fixture: fixture)
        #expect(output.contains("-----> Installing Poetry 2.4.1"), "\(output)")
        #expect(output.contains("-----> Installing dependencies using 'poetry sync --only main'"), "\(output)")
        #expect(packages.contains("six-1.16.0.dist-info"), "\(packages)")
        #expect(!packages.contains { $0.hasPrefix("poetry") }, "\(packages)")
    }

    @Test func pipfileLockInstallsExactlyWhatItPins() async throws {
        let fixture = try await BuildFixture.make()
        let stack = try await Self.stackPython()
        let lock = Self.pipfileLock.replacingOccurrences(of: #""python_version": "3.11""#, with: #""python_version": "\#(Self.minor(stack))""#)
        let (output, packages, _) = try await installs("pypipenv", ["Pipfile": Self.pipfile, "Pipfile.lock": lock], fixture: fixture)
        #expect(output.contains("-----> Using Python \(Self.minor(stack)) specified in Pipfile.lock"), "\(output)")
        #expect(output.contains("-----> Installing Pipenv 2026.7.1"), "\(output)")
        #expect(output.contains("-----> Installing dependencies using 'pipenv install --deploy'"), "\(output)")
        #expect(packages.contains("six-1.16.0.dist-info"), "\(packages)")
    }

    // Made with uv 0.12.5, Poetry 2.4.1 and Pipenv 2026.7.1 for a project needing six==1.16.0.
    static let uvProject = #"""
[project]
name = "uvapp"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["six==1.16.0"]
"""#
    static let uvLock = #"""
version = 1
revision = 3
requires-python = ">=3.11"

[[package]]
name = "six"
version = "1.16.0"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/71/39/171f1c67cd00715f190ba0b100d606d440a28c93c7714febeca8b79af85e/six-1.16.0.tar.gz", hash = "sha256:1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926", size = 34041, upload-time = "2021-05-05T14:18:18.379Z" }
wheels = [
    { url = "https://files.pythonhosted.org/packages/d9/5a/e7c31adbe875f2abbb91bd84cf2dc52d792b5a01506781dbcf25c91daf11/six-1.16.0-py2.py3-none-any.whl", hash = "sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254", size = 11053, upload-time = "2021-05-05T14:18:17.237Z" },
]

[[package]]
name = "uvapp"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "six" },
]

[package.metadata]
requires-dist = [{ name = "six", specifier = "==1.16.0" }]
"""#
    static let poetryProject = #"""
[project]
name = "poetryapp"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["six==1.16.0"]

[tool.poetry]
package-mode = false
"""#
    static let poetryLock = #"""
# This file is automatically @generated by Poetry 2.4.1 and should not be changed by hand.

[[package]]
name = "six"
version = "1.16.0"
description = "Python 2 and 3 compatibility utilities"
optional = false
python-versions = ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*"
groups = ["main"]
files = [
    {file = "six-1.16.0-py2.py3-none-any.whl", hash = "sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254"},
    {file = "six-1.16.0.tar.gz", hash = "sha256:1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926"},
]

[metadata]
lock-version = "2.1"
python-versions = ">=3.11"
content-hash = "c851c5c4add2969e118cce92059fe9ae5499fe649fd31bc49d7bc3e9b0da4321"
"""#
    static let pipfile = #"""
[[source]]
url = "https://pypi.org/simple"
verify_ssl = true
name = "pypi"

[packages]
six = "==1.16.0"

[requires]
python_version = "3.11"
"""#
    static let pipfileLock = #"""
{
    "_meta": {
        "hash": {
            "sha256": "21c0b34ee7520aaf8b48b15f9b35bdc434f9bd666861eac8133b02430019b2a4"
        },
        "pipfile-spec": 6,
        "requires": {
            "python_version": "3.11"
        },
        "sources": [
            {
                "name": "pypi",
                "url": "https://pypi.org/simple",
                "verify_ssl": true
            }
        ]
    },
    "default": {
        "six": {
            "hashes": [
                "sha256:1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926",
                "sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254"
            ],
            "index": "pypi",
            "markers": "python_version >= '2.7' and python_version not in '3.0, 3.1, 3.2'",
            "version": "==1.16.0"
        }
    },
    "develop": {}
}
"""#
}
