import Foundation
package import OpenrukoCore
import Subprocess
import SystemPackage

/// Builds a stack's two root filesystems with Debian's `mmdebstrap` (as root, so every file
/// is root's and read-only to tenants) into `DATA_DIR/stacks/.partial-NAME.…`, writes its
/// `version` file last and moves it into place as `DATA_DIR/stacks/NAME`. A stack it
/// replaces is moved aside to `DATA_DIR/stacks/.retired-NAME.VERSION` (running dynos may
/// still use it). apt inside mmdebstrap does not read the host's `/etc/apt`, so the host's
/// proxy settings (`apt-config`) and proxy variables are handed on, and the host's extra CA
/// certificates are trusted in the images too.
package struct StackImageBuilder: Sendable {
    let layout: DataLayout
    let recipe: StackRecipe
    let mmdebstrap: String
    /// The process's environment, from which only the proxy variables are handed on.
    let environment: [String: String]

    package init(
        layout: DataLayout, recipe: StackRecipe, mmdebstrap: String = "/usr/bin/mmdebstrap",
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.layout = layout
        self.recipe = recipe
        self.mmdebstrap = mmdebstrap
        self.environment = environment
    }

    /// The proxy variables apt honours, handed on to mmdebstrap when set.
    static let proxyVariables = ["http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"]

    /// Builds stack `name`, saying what it does through `progress`.
    /// - Throws: `unavailable` when mmdebstrap is missing or this is not root, `internal`
    ///   when a build fails (its last output in the message).
    package func build(_ name: String, progress: @escaping @Sendable (String) -> Void) async throws(OpenrukoError) -> StackVersion {
        guard geteuid() == 0 else {
            throw OpenrukoError(.unavailable, "Building a stack needs root (its files must be root's); run it as root.")
        }
        guard FileManager.default.isExecutableFile(atPath: mmdebstrap) else {
            throw OpenrukoError(.unavailable, "mmdebstrap (\(mmdebstrap)) is not installed; run scripts/install-deps.")
        }
        let started = Date()
        removeStalePartials(name)
        let partial = layout.stacks + "/.partial-\(name)." + UUID().uuidString.lowercased()
        defer { Self.removeUnlessMounted(partial) }
        do {
            try FileManager.default.createDirectory(atPath: partial + "/debs", withIntermediateDirectories: true)
            chmod(layout.stacks, 0o711)
            chmod(partial, 0o755)
        } catch {
            throw OpenrukoError(.internal, "Cannot create \(partial): \(error.localizedDescription)")
        }
        let aptOptions = await hostAptOptions()
        for image in [StackCatalog.Image.run, .build] {
            progress("-----> Building the \(image.rawValue) image of \(name) (Debian \(StackRecipe.release), "
                + "\(recipe.packages(image).count) packages)")
            let arguments = recipe.mmdebstrapArguments(
                image, target: partial + "/" + image.rawValue, debs: partial + "/debs", aptOptions: aptOptions,
                certificates: hostCertificates())
            let (ok, tail) = try await run(arguments, progress: progress)
            guard ok else {
                throw OpenrukoError(.internal, "mmdebstrap failed for the \(image.rawValue) image of \(name):\n\(tail)")
            }
        }
        try? FileManager.default.removeItem(atPath: partial + "/debs")
        let stamp = Self.stamp(started)
        let version = StackVersion(
            name: name, release: StackRecipe.release, version: stamp, builtAt: started, runPackages: recipe.packages(.run),
            buildPackages: recipe.packages(.build))
        try install(version, from: partial)
        progress("-----> Built \(name) version \(stamp) in \(Int(Date().timeIntervalSince(started)))s")
        return version
    }

    /// Removes what builds of `name` that died left (the caller holds the stack's lock): their
    /// processes still running in it are killed and their mounts detached first.
    func removeStalePartials(_ name: String) {
        let debris = StackDebris(layout: layout)
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: layout.stacks)) ?? []
        where StackDebris.kind(of: entry) == .partial(stack: name) {
            debris.removePartial(layout.stacks + "/" + entry)
        }
    }

    /// Removes `path` unless something is mounted inside it (never the host's `/dev`).
    static func removeUnlessMounted(_ path: String) {
        let mounts = ProcFile.read("/proc/self/mounts") ?? ""
        guard !mounts.contains(" " + path + "/") else { return }
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes the version file and moves the stack into place (an older one aside).
    func install(_ version: StackVersion, from partial: String) throws(OpenrukoError) {
        let final = layout.stack(version.name)
        do {
            try version.json().write(to: URL(fileURLWithPath: partial + "/version"))
            chmod(partial + "/version", 0o644)
            if FileManager.default.fileExists(atPath: final) {
                let old = FileManager.default.contents(atPath: final + "/version").flatMap(StackVersion.init(json:))?.version
                    ?? UUID().uuidString.lowercased()
                try FileManager.default.moveItem(atPath: final, toPath: layout.stacks + "/.retired-\(version.name).\(old)")
            }
            try FileManager.default.moveItem(atPath: partial, toPath: final)
        } catch {
            throw OpenrukoError(.internal, "Cannot install the \(version.name) stack: \(error.localizedDescription)")
        }
    }

    /// `20261206T230102Z`.
    static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: date)
    }

    /// mmdebstrap's environment: a fixed `PATH`, and the host's proxy variables.
    var processEnvironment: [Environment.Key: String] {
        var values: [Environment.Key: String] = [
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive",
        ]
        for name in Self.proxyVariables {
            if let value = environment[name], let key = Environment.Key(rawValue: name) { values[key] = value }
        }
        return values
    }

    /// The host apt's proxy options (`Acquire::http::Proxy "…"`), as `apt-config dump` says.
    func hostAptOptions() async -> [String] {
        guard
            let result = try? await Subprocess.run(
                .path("/usr/bin/apt-config"), arguments: ["dump"], environment: .custom(processEnvironment),
                output: .string(limit: 4 << 20), error: .discarded),
            result.terminationStatus.isSuccess
        else { return [] }
        return Self.proxyOptions(inDump: result.standardOutput)
    }

    /// The `Acquire::*::Proxy…` lines of an `apt-config dump`, without their `;`.
    package static func proxyOptions(inDump dump: String) -> [String] {
        dump.split(separator: "\n").map(String.init).filter { line in
            let key = line.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
            let parts = key.split(separator: "::")
            return parts.count >= 3 && parts[0] == "Acquire" && parts[2] == "Proxy" && line.hasSuffix(";")
        }.map { String($0.dropLast()) }
    }

    /// The host's extra CA certificates (`/usr/local/share/ca-certificates/*.crt`).
    func hostCertificates() -> [String] {
        let directory = "/usr/local/share/ca-certificates"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { name in
            name.hasSuffix(".crt") && name.allSatisfy { $0.isLetter || $0.isNumber || "._-".contains($0) }
        }.sorted().map { directory + "/" + $0 }
    }

    /// Runs mmdebstrap (umask 022: the images are for every sandbox user to read), handing
    /// each line it prints to `progress`.
    /// - Returns: whether it succeeded, and its last lines.
    func run(_ arguments: [String], progress: @escaping @Sendable (String) -> Void) async throws(OpenrukoError) -> (Bool, String) {
        // mmdebstrap's steps, warnings and errors; not the hook scripts it echoes.
        let lines = LineSplitter { line in
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("E:") || text.hasPrefix("W:") || (text.hasPrefix("I:") && !text.contains("hook")) { progress(line) }
        }
        let configuration = Configuration(
            executable: .path("/bin/sh"), arguments: Arguments(["-c", "umask 022 && exec \"$0\" \"$@\"", mmdebstrap] + arguments),
            environment: .custom(processEnvironment), workingDirectory: FilePath("/"))
        do {
            let status = try await Subprocess.run(configuration, input: .none, output: .sequence, error: .combinedWithOutput) {
                execution in
                for try await chunk in execution.standardOutput { lines.append(chunk.withUnsafeBytes { Data($0) }) }
            }.terminationStatus
            lines.finish()
            return (status.isSuccess, lines.tail.joined(separator: "\n"))
        } catch {
            throw OpenrukoError(.unavailable, "Cannot run mmdebstrap: \(error)")
        }
    }
}
