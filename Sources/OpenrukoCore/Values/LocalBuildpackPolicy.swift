package import Foundation

/// Who may build from a buildpack on the server's own disk: a directory (`/srv/bp`) or a
/// `file://` URL. Admins may name any; everyone else only what lies inside the directories an
/// admin lists in `OPENRUKO_BUILDPACK_PATHS` (colon-separated). Bundled names and remote URLs
/// are open to all. A refusal never says whether the path exists.
package struct LocalBuildpackPolicy: Sendable, Hashable {
    /// Canonical directories (symlinks resolved) whose contents tenants may use.
    package var allowed: [String]
    /// Whether any local path is permitted (an admin chose it).
    package var permitsAll: Bool

    package init(allowed: [String], permitsAll: Bool = false) {
        self.allowed = allowed.map(Self.canonical).filter { $0 != "/" }
        self.permitsAll = permitsAll
    }

    /// Anything goes: references an admin set.
    package static let admin = LocalBuildpackPolicy(allowed: [], permitsAll: true)

    /// The tenant policy from `OPENRUKO_BUILDPACK_PATHS`.
    package static func tenant(environment: [String: String] = ProcessInfo.processInfo.environment) -> LocalBuildpackPolicy {
        let paths = (environment["OPENRUKO_BUILDPACK_PATHS"] ?? "").split(separator: ":").map(String.init)
        return LocalBuildpackPolicy(allowed: paths.filter { $0.hasPrefix("/") })
    }

    /// The server path `reference` names (a directory or a `file://` URL), or nil for a
    /// bundled name or a remote URL. A `file:` form that is not `file:///PATH` names "/".
    package static func localPath(_ reference: String) -> String? {
        let value = reference.trimmingCharacters(in: .whitespaces)
        if value.hasPrefix("/") { return String(value.prefix { $0 != "#" }) }
        let lower = value.lowercased()
        guard lower.hasPrefix("file:") || lower.hasPrefix("git+file:") else { return nil }
        let rest = value.drop { $0 != ":" }.dropFirst()
        guard rest.hasPrefix("///") else { return "/" }
        return String(rest.dropFirst(2).prefix { $0 != "#" })
    }

    /// Whether `reference` may be used under this policy.
    package func permits(_ reference: String) -> Bool {
        guard !permitsAll, let path = Self.localPath(reference) else { return true }
        let resolved = Self.canonical(path)
        return allowed.contains { resolved == $0 || resolved.hasPrefix($0 + "/") }
    }

    /// Why `reference` was refused, and what is allowed instead.
    package func refusal(_ reference: String) -> String {
        let listed = allowed.isEmpty ? "" : " or inside \(allowed.joined(separator: ", "))"
        return "\(reference.debugDescription) is refused: buildpacks on the server's disk (directories and file:// URLs) "
            + "are for admins\(listed). Use a bundled name (heroku/python…), an https:// or git URL, or a .tgz URL."
    }

    static func canonical(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}
