import Foundation
package import OpenrukoCore

/// One buildpack as a user names it, classified: a bundled one (`python`, `heroku/python`),
/// a directory on the server, a git URL with an optional `#ref` (`https://…`, `git://…`,
/// `ssh://…`, `file://…`, `git@host:…`), or a gzipped tarball URL (`….tgz`, `….tar.gz`).
package enum BuildpackReference: Sendable, Hashable {
    case bundled(name: String, path: String)
    case directory(String)
    case git(url: String, ref: String?)
    case tarball(url: String)

    /// Classifies `text` (as given to `buildpacks:set`, `BUILDPACK_URL` or `.buildpacks`).
    /// - Parameters:
    ///   - bundled: the bundled buildpacks directory (`ROOT/buildpacks`).
    ///   - policy: which server paths may be named (checked before anything is looked up).
    /// - Throws: a message saying which forms are accepted.
    package init(_ text: String, bundled: String, policy: LocalBuildpackPolicy = .admin) throws(BuildpackReferenceError) {
        let value = text.trimmingCharacters(in: .whitespaces)
        guard policy.permits(value) else { throw BuildpackReferenceError(message: policy.refusal(value)) }
        let short = value.hasPrefix("heroku/") ? String(value.dropFirst("heroku/".count)) : value
        if !short.isEmpty, !short.contains("/"), !short.contains(":"), Slugignore.isDirectory(bundled + "/" + short) {
            self = .bundled(name: short, path: bundled + "/" + short)
            return
        }
        let (base, fragment) = Self.split(value)
        let lower = base.lowercased()
        let isURL = ["http://", "https://", "git://", "ssh://", "file://", "git+"].contains { lower.hasPrefix($0) }
            || (lower.hasPrefix("git@") && lower.contains(":"))
        if isURL {
            if [".tgz", ".tar.gz"].contains(where: { lower.hasSuffix($0) }) {
                self = .tarball(url: base)
            } else {
                let url = lower.hasPrefix("git+") ? String(base.dropFirst(4)) : base
                self = .git(url: url, ref: fragment)
            }
            return
        }
        if value.hasPrefix("/") {
            guard Slugignore.isDirectory(value) else {
                throw BuildpackReferenceError(message: "Buildpack directory \(value) does not exist on this server.")
            }
            self = .directory(value)
            return
        }
        throw BuildpackReferenceError(
            message: "\(value.debugDescription) is not a buildpack this server can fetch. Use a bundled name "
                + "(\(Self.bundledNames(bundled).joined(separator: ", "))), a git URL (optionally with #ref), "
                + "a .tgz URL, or a directory on the server.")
    }

    /// Splits `url#ref`.
    static func split(_ value: String) -> (String, String?) {
        guard let hash = value.lastIndex(of: "#") else { return (value, nil) }
        let ref = String(value[value.index(after: hash)...])
        return (String(value[..<hash]), ref.isEmpty ? nil : ref)
    }

    /// The bundled buildpacks in detection order: `buildpacks/ORDER` first (one name a
    /// line), then any other directory alphabetically.
    package static func bundledNames(_ bundled: String) -> [String] {
        let directories = ((try? FileManager.default.contentsOfDirectory(atPath: bundled)) ?? [])
            .filter { Slugignore.isDirectory(bundled + "/" + $0) && !$0.hasPrefix(".") }
        let ordered = ((try? String(contentsOfFile: bundled + "/ORDER", encoding: .utf8)) ?? "")
            .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") && directories.contains($0) }
        return ordered + directories.filter { !ordered.contains($0) }.sorted()
    }

    /// A short name for headings (`python`, the URL).
    package var displayName: String {
        switch self {
        case .bundled(let name, _): name
        case .directory(let path): path
        case .git(let url, let ref): ref.map { "\(url)#\($0)" } ?? url
        case .tarball(let url): url
        }
    }
}

/// A buildpack name that cannot be used.
package struct BuildpackReferenceError: Error, Sendable, Hashable {
    package var message: String
}
