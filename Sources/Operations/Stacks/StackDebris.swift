import Foundation
package import OpenrukoCore

/// What stack builds leave in `DATA_DIR/stacks`: `.partial-NAME.ID` of a `stacks:build` that
/// died (its `mmdebstrap`, apt and dpkg may still run, chrooted in it, with `/proc` and `/dev`
/// mounted inside), and `.retired-NAME.VERSION` of a rebuilt stack, kept while a dyno or build
/// still has it mounted. Removes both once nothing uses them; never anything else.
///
/// ```swift
/// let removed = StackDebris(layout: layout).clean()   // ["partial-web.…", …]
/// ```
package struct StackDebris: Sendable {
    let layout: DataLayout
    /// Where processes are listed (tests give their own).
    let proc: String

    package init(layout: DataLayout, proc: String = "/proc") {
        self.layout = layout
        self.proc = proc
    }

    /// What a leftover is: its kind and the stack it belongs to.
    package enum Kind: Sendable, Hashable {
        case partial(stack: String)
        case retired(stack: String)
    }

    /// The kind of the entry `name` of the stacks directory; nil for a stack or anything else.
    package static func kind(of name: String) -> Kind? {
        for (prefix, make) in [(".partial-", Kind.partial), (".retired-", Kind.retired)] where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            guard let dot = rest.firstIndex(of: "."), rest.index(after: dot) < rest.endIndex else { return nil }
            let stack = String(rest[..<dot])
            return StackCatalog.isValidName(stack) ? make(stack) : nil
        }
        return nil
    }

    /// Removes every leftover that nothing uses: partial builds whose stack is not being built
    /// (their processes killed, their mounts detached first) and retired stacks no process has
    /// mounted. Returns the names removed.
    @discardableResult
    package func clean() -> [String] {
        var removed: [String] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: layout.stacks)) ?? [] {
            guard let kind = Self.kind(of: name) else { continue }
            let path = layout.stacks + "/" + name
            switch kind {
            case .partial(let stack):
                // The stack's build lock: held while a `stacks:build` of it runs.
                guard let lock = try? FileLock.attempt(layout.lock("stack-" + stack)) else { continue }
                defer { lock.unlock() }
                removePartial(path)
            case .retired:
                guard !isMounted(name) else { continue }
                try? FileManager.default.removeItem(atPath: path)
            }
            if !FileManager.default.fileExists(atPath: path) { removed.append(name) }
        }
        return removed
    }

    /// Kills the processes of a dead build of `path` (by their command line or their root),
    /// detaches what is mounted inside it, and removes it. The caller holds the stack's lock.
    package func removePartial(_ path: String) {
        for _ in 0..<3 {
            let pids = processes(using: path)
            if pids.isEmpty { break }
            for pid in pids { kill(pid, SIGKILL) }
            usleep(200_000)
        }
        for mount in mounts(inside: path).sorted(by: >) {
            _ = try? Process.run(URL(fileURLWithPath: "/bin/umount"), arguments: ["-l", mount]).waitUntilExit()
        }
        guard mounts(inside: path).isEmpty else { return }
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The processes whose command line names `path` or whose root is inside it.
    func processes(using path: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: proc)) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry), pid != getpid() else { return nil }
            let root = (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(proc)/\(entry)/root")) ?? ""
            if root == path || root.hasPrefix(path + "/") { return pid }
            guard let text = ProcFile.read("\(proc)/\(entry)/cmdline") else { return nil }
            let words = text.split(separator: "\u{0}").map(String.init)
            return words.contains { $0 == path || $0.hasPrefix(path + "/") } ? pid : nil
        }
    }

    /// The mount points of this mount namespace at or under `path`.
    func mounts(inside path: String) -> [String] {
        let table = Self.read("\(proc)/self/mounts")
        return table.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 1 else { return nil }
            let point = String(fields[1]).replacingOccurrences(of: "\\040", with: " ")
            return point == path || point.hasPrefix(path + "/") ? point : nil
        }
    }

    /// A file of procfs as text (see `ProcFile`).
    static func read(_ path: String) -> String { ProcFile.read(path) ?? "" }

    /// Whether any process (in any mount namespace: a dyno's or a build's sandbox) has a mount
    /// of the stacks-directory entry `name` (mountinfo's root field names it, whatever
    /// filesystem the data directory is on).
    package func isMounted(_ name: String) -> Bool {
        let marker = "/" + name
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: proc)) ?? [] where pid_t(entry) != nil {
            let table = Self.read("\(proc)/\(entry)/mountinfo")
            for line in table.split(separator: "\n") {
                let fields = line.split(separator: " ")
                guard fields.count > 4 else { continue }
                let root = fields[3]
                if root.hasSuffix(marker) || root.contains(marker + "/") { return true }
            }
        }
        return false
    }
}
