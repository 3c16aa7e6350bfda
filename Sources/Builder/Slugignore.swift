import Foundation

/// `.slugignore` with Heroku's semantics (buildpacks-and-dynos.md §1.8): text after `#` is
/// dropped; a pattern containing `/` is a glob relative to the root (`/test`, `docs/*.pdf`),
/// a pattern without `/` matches at any depth (`*.psd`, `spec`); there is no `!` negation;
/// matches are removed (directories with everything in them) before the buildpacks run.
package struct Slugignore: Sendable, Hashable {
    /// The patterns as written (comments and blanks dropped).
    package let patterns: [String]

    /// Parses the file's text.
    package init(parsing text: String) {
        patterns = text.split(whereSeparator: \.isNewline).compactMap { line in
            let uncommented = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let pattern = uncommented.trimmingCharacters(in: .whitespaces)
            return pattern.isEmpty ? nil : pattern
        }
    }

    /// Whether the relative path `path` (`a/b/c.psd`, no leading `/`) is matched.
    package func matches(_ path: String) -> Bool {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        for pattern in patterns {
            if pattern.contains("/") {
                var anchored = pattern
                while anchored.hasPrefix("/") { anchored.removeFirst() }
                while anchored.hasSuffix("/") { anchored.removeLast() }
                if !anchored.isEmpty, Self.glob(anchored, path, pathname: true) { return true }
            } else if Self.glob(pattern, name, pathname: true) {
                return true
            }
        }
        return false
    }

    /// Removes every match under `root` (never following symlinks) and returns the removed
    /// relative paths, shortest first.
    @discardableResult
    package func apply(to root: String) -> [String] {
        guard !patterns.isEmpty else { return [] }
        var removed: [String] = []
        var queue = [""]
        let manager = FileManager.default
        while !queue.isEmpty {
            let directory = queue.removeFirst()
            let absolute = directory.isEmpty ? root : root + "/" + directory
            for entry in ((try? manager.contentsOfDirectory(atPath: absolute)) ?? []).sorted() {
                let relative = directory.isEmpty ? entry : directory + "/" + entry
                let full = root + "/" + relative
                if matches(relative) {
                    try? manager.removeItem(atPath: full)
                    removed.append(relative)
                } else if (try? manager.destinationOfSymbolicLink(atPath: full)) == nil, Self.isDirectory(full) {
                    queue.append(relative)
                }
            }
        }
        return removed
    }

    static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    /// `fnmatch(3)`; with `pathname`, `*` and `?` do not cross `/`.
    static func glob(_ pattern: String, _ text: String, pathname: Bool) -> Bool {
        fnmatch(pattern, text, pathname ? FNM_PATHNAME : 0) == 0
    }
}
