import Foundation
import OpenrukoCore
import Isolation
import Synchronization

/// The sandboxed steps of a build: fetching buildpacks, `bin/detect`, `bin/compile`,
/// `bin/release`, and unpacking an uploaded source tarball. Each runs under bubblewrap as
/// the sandbox user in the build's workspace, with Heroku's build environment.
struct BuildpackSteps {
    let sandbox: Sandbox
    let workspace: BuildWorkspace
    let settings: BuildSettings
    let output: BuildOutput
    /// `PATH`, `HOME=/app`, `STACK`, `SOURCE_VERSION`, `REQUEST_ID` (config vars are in ENV_DIR only).
    let environment: [String: String]

    /// Runs a bash snippet with arguments in the sandbox, streaming (or collecting) output.
    func bash(
        _ script: String, _ arguments: [String], timeLimit: Duration?, stream: Bool, binds: [SandboxConfiguration.Bind] = []
    ) async throws(OpenrukoError) -> (SandboxResult, String) {
        let collected = Collector()
        let result = try await sandbox.run(
            workspace.configuration(
                ["/bin/bash", "-c", script, "bash"] + arguments, environment: environment, timeLimit: timeLimit,
                extraBinds: binds)
        ) { [output] data in
            if stream { output.write(data) } else { collected.append(data) }
        }
        // Every process of the step is gone: what the daemon reads next must be the build's own.
        guard workspace.buildDirectoryIntact else {
            throw OpenrukoError(.invalid, "The build directory was replaced (by a link or a file): the build cannot go on.")
        }
        return (result, collected.text)
    }

    /// Fetches buildpack `reference` into the build's writable copy number `index`.
    /// - Returns: nil on success, else what went wrong.
    func fetch(_ reference: BuildpackReference, index: Int) async throws(OpenrukoError) -> String? {
        let target = BuildWorkspace.buildpack(index)
        var binds: [SandboxConfiguration.Bind] = []
        let script: String
        var arguments: [String]
        switch reference {
        case .bundled(_, let path), .directory(let path):
            binds.append(.init(path, at: "/tmp/buildpack-source-\(index)"))
            script = #"set -e; mkdir -p "$2"; cp -R "$1"/. "$2"/"#
            arguments = ["/tmp/buildpack-source-\(index)", target]
        case .git(let url, let ref):
            if let local = Self.localPath(url) { binds.append(.init(local, at: local)) }
            // git 2.39 reads safe.directory only from global config: the buildpack
            // repository belongs to another user than the sandbox's.
            script = #"""
                set -e
                printf '[safe]\n\tdirectory = *\n[advice]\n\tdetachedHead = false\n' > /tmp/.fetch-gitconfig
                export GIT_CONFIG_GLOBAL=/tmp/.fetch-gitconfig GIT_TERMINAL_PROMPT=0
                if [ -z "$2" ]; then
                  git clone --quiet --depth 1 "$1" "$3"
                elif ! git clone --quiet --depth 1 --branch "$2" "$1" "$3" 2>/dev/null; then
                  rm -rf "$3"
                  git clone --quiet "$1" "$3"
                  git -C "$3" checkout --quiet "$2"
                fi
                rm -f /tmp/.fetch-gitconfig
                """#
            arguments = [url, ref ?? "", target]
        case .tarball(let url):
            if let local = Self.localPath(url) { binds.append(.init(local, at: local)) }
            script = #"""
                set -eo pipefail
                mkdir -p "$2.x"
                curl -fsSL --retry 2 --connect-timeout 30 "$1" | tar -xz -C "$2.x"
                entries=("$2.x"/*)
                if [ ! -e "$2.x/bin" ] && [ ${#entries[@]} = 1 ] && [ -d "${entries[0]}/bin" ]; then
                  mv "${entries[0]}" "$2"; rm -rf "$2.x"
                else
                  mv "$2.x" "$2"
                fi
                """#
            arguments = [url, target]
        }
        let (result, text) = try await bash(
            script + #"; chmod -f +x "${@: -1}"/bin/* 2>/dev/null || true"#, arguments, timeLimit: settings.stepTimeout,
            stream: false, binds: binds)
        guard result.succeeded else {
            return text.isEmpty ? "fetching \(reference.displayName) failed (\(result.summary))" : text
        }
        guard FileTree.isFile(workspace.hostBuildpack(index) + "/bin/compile") else {
            return "\(reference.displayName) has no bin/compile; it is not a classic buildpack."
        }
        return nil
    }

    /// `bin/detect BUILD_DIR` with the exports of earlier buildpacks.
    /// - Returns: the name it printed, or nil and what it wrote to stderr.
    func detect(index: Int, exports: [Int]) async throws(OpenrukoError) -> (name: String?, message: String) {
        let script = Self.sourcing + #"out=$("$1" "$2" 2>/tmp/.detect-stderr); status=$?; if [ $status = 0 ]; then printf '%s' "$out"; else cat /tmp/.detect-stderr; fi; rm -f /tmp/.detect-stderr; exit $status"#
        let (result, text) = try await bash(
            script, Self.exportArguments(exports) + [BuildWorkspace.buildpack(index) + "/bin/detect", workspace.buildDirectory],
            timeLimit: settings.stepTimeout, stream: false)
        guard result.succeeded else { return (nil, text) }
        let name = text.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        return (name.isEmpty ? "Unnamed" : name, "")
    }

    /// `bin/compile BUILD_DIR CACHE_DIR ENV_DIR`, output streamed verbatim.
    func compile(index: Int, exports: [Int]) async throws(OpenrukoError) -> SandboxResult {
        let (result, _) = try await bash(
            Self.sourcing + #"exec "$@""#,
            Self.exportArguments(exports) + [
                BuildWorkspace.buildpack(index) + "/bin/compile", workspace.buildDirectory, BuildWorkspace.cacheDirectory,
                BuildWorkspace.envDirectory,
            ], timeLimit: settings.compileTimeout, stream: true)
        return result
    }

    /// `bin/release BUILD_DIR` (optional; no exports sourced before it).
    /// - Returns: its YAML, or nil and the failure text.
    func release(index: Int) async throws(OpenrukoError) -> (yaml: String?, message: String) {
        let binary = BuildWorkspace.buildpack(index) + "/bin/release"
        guard FileTree.isFile(workspace.hostBuildpack(index) + "/bin/release") else { return ("", "") }
        let script = #"out=$("$1" "$2" 2>/tmp/.release-stderr); status=$?; if [ $status = 0 ]; then printf '%s' "$out"; else cat /tmp/.release-stderr; fi; rm -f /tmp/.release-stderr; exit $status"#
        let (result, text) = try await bash(script, [binary, workspace.buildDirectory], timeLimit: settings.stepTimeout, stream: false)
        return result.succeeded ? (text, "") : (nil, text.isEmpty ? result.summary : text)
    }

    /// Unpacks the uploaded source tarball into BUILD_DIR (a single top-level directory, as
    /// in GitHub archives, becomes the root).
    func unpackSource() async throws(OpenrukoError) -> String? {
        let script = #"""
            set -eo pipefail
            mkdir -p /tmp/.source
            tar -xzf /tmp/source.tgz -C /tmp/.source
            shopt -s dotglob nullglob
            set -- /tmp/.source/*
            if [ $# = 1 ] && [ -d "$1" ] && [ ! -L "$1" ]; then set -- "$1"/*; fi
            [ $# = 0 ] || mv "$@" "$0"/
            rm -rf /tmp/.source
            """#
        let (result, text) = try await bash(
            script.replacingOccurrences(of: "\"$0\"/", with: "\"\(workspace.buildDirectory)\"/"), [],
            timeLimit: settings.stepTimeout, stream: false, binds: [.init(workspace.upload, at: "/tmp/source.tgz")])
        return result.succeeded ? nil : (text.isEmpty ? "unpacking the source failed (\(result.summary))" : text)
    }

    /// Sources the `export` files named by the leading arguments (`N file…`), then goes on.
    static let sourcing = #"n=$1; shift; while [ "$n" -gt 0 ]; do if [ -f "$1" ]; then . "$1"; fi; shift; n=$((n-1)); done; "#

    static func exportArguments(_ indexes: [Int]) -> [String] {
        [String(indexes.count)] + indexes.map { BuildWorkspace.buildpack($0) + "/export" }
    }

    /// The host path of a `file://` URL.
    static func localPath(_ url: String) -> String? {
        guard url.lowercased().hasPrefix("file://") else { return nil }
        let path = String(url.dropFirst("file://".count))
        return path.hasPrefix("/") ? path : nil
    }
}

/// Collects sandbox output that is shown only on failure.
final class Collector: Sendable {
    private let data = Mutex<Data>(Data())
    func append(_ chunk: Data) { data.withLock { $0.append(chunk) } }
    var text: String { data.withLock { String(decoding: $0, as: UTF8.self) } }
}
