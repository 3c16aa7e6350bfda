import Foundation

/// Every process started under one root process, found through `/proc` (parent links), so
/// a sandbox can be signalled as a group even when its processes start their own sessions.
enum ProcessTree {
    /// The pids of all descendants of `root` (not `root` itself).
    static func descendants(of root: pid_t) -> [pid_t] {
        var children: [pid_t: [pid_t]] = [:]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = pid_t(entry), let parent = parentID(of: pid) else { continue }
            children[parent, default: []].append(pid)
        }
        var result: [pid_t] = []
        var queue = children[root] ?? []
        while let pid = queue.popLast() {
            result.append(pid)
            queue.append(contentsOf: children[pid] ?? [])
        }
        return result
    }

    /// The pids whose parent is `parent`.
    static func children(of parent: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { parentID(of: $0) == parent }
    }

    /// The parent pid from `/proc/PID/stat` (the field after the `)` closing the name).
    static func parentID(of pid: pid_t) -> pid_t? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 1 else { return nil }
        return pid_t(fields[1])
    }

    /// Sends `signal` to every descendant of `root`. A PID namespace's init ignores signals
    /// it has no handler for, so the sandbox's processes get it and bubblewrap stays.
    static func signalDescendants(of root: pid_t, _ signal: Int32) {
        for pid in descendants(of: root) { kill(pid, signal) }
    }
}
