/// Whether git will still accept a push's ref updates, decided once the push holds the app's
/// build lock. git sends every update with the value it expects the ref to have (`old`);
/// receive-pack refuses the update afterwards if the ref moved in between (another push got
/// there first) or if git's lock file for the ref exists. A deploy must not go live for a
/// ref update git will refuse, so such a push is refused before anything is built.
package enum StalePush {
    /// What the repository says about one ref.
    package struct Observed: Sendable, Hashable {
        /// The ref's value; nil when it does not exist.
        package var value: String?
        /// Whether git's lock file `REF.lock` exists (under the build lock no openruko push is
        /// updating the ref, so it is left over from a killed git or held by a git run by hand).
        package var locked: Bool

        package init(value: String?, locked: Bool = false) {
            self.value = value
            self.locked = locked
        }
    }

    /// The refusal (lines without the ` !     ` marks) for a push whose refs are no longer
    /// where it expects them, or nil when git will accept its updates.
    /// - Parameters:
    ///   - updates: the push's updates; a ref missing from `observed` counts as absent.
    package static func refusal(app: String, updates: [RefUpdate], observed: [String: Observed]) -> String? {
        var lines: [String] = []
        var advice: Set<Advice> = []
        for update in updates {
            let seen = observed[update.ref] ?? Observed(value: nil)
            let name = shortName(update.ref)
            if seen.locked {
                lines.append("[rejected] \(name) (locked)")
                lines.append("git's lock file \(update.ref).lock exists in the repository of \(app), so git would refuse to move \(name).")
                advice.insert(.lockFile(update.ref))
                continue
            }
            let current = seen.value.flatMap { RefUpdate.isZero($0) ? nil : $0 }
            let expected = update.creates ? nil : update.old
            guard current != expected else { continue }
            lines.append("[rejected] \(name) (fetch first)")
            switch (expected, current) {
            case (nil, let now?):
                lines.append("\(name) was created since this push started (another push made it \(short(now))); this push expected it not to exist.")
            case (let then?, nil):
                lines.append("\(name) was deleted since this push started; this push expected it at \(short(then)).")
            case (let then?, let now?):
                lines.append("\(name) moved since this push started (another push updated it): it is at \(short(now)), this push expected \(short(then)).")
            case (nil, nil):
                continue
            }
            advice.insert(.fetch)
        }
        guard !lines.isEmpty else { return nil }
        lines.append("Nothing was built or released.")
        if advice.contains(.fetch) {
            lines.append("Fetch the new commits and integrate them (e.g. git pull), then push again.")
        }
        for case .lockFile(let ref) in advice.sorted(by: { "\($0)" < "\($1)" }) {
            lines.append("If no push to \(app) is running, an admin can delete repos/\(app).git/\(ref).lock in the data directory; then push again.")
        }
        return lines.joined(separator: "\n")
    }

    private enum Advice: Hashable {
        case fetch
        case lockFile(String)
    }

    /// `main` for `refs/heads/main`.
    static func shortName(_ ref: String) -> String {
        ref.hasPrefix("refs/heads/") ? String(ref.dropFirst("refs/heads/".count)) : ref
    }

    private static func short(_ id: String) -> String { String(id.prefix(7)) }
}
