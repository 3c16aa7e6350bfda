package import Foundation
package import OpenrukoCore

/// A cgroup of one openruko process (a build: the git hook, an API build), with a memory and a
/// process-count limit, which everything the process starts (buildpacks, buildah) inherits. It
/// nests under the process's own cgroup: v1's `memory` and `pids` hierarchies, or v2's unified
/// one. Where they are not writable (openruko not root) there are no limits, and nothing fails.
package struct ProcessCgroup: Sendable {
    package struct Limits: Sendable, Hashable {
        package var memoryBytes: UInt64
        package var processes: Int

        package init(memoryBytes: UInt64, processes: Int) {
            self.memoryBytes = memoryBytes
            self.processes = processes
        }

        /// `OPENRUKO_BUILD_MEMORY` (MB, default 2560) and `OPENRUKO_BUILD_PROCESSES` (default 4096).
        /// - Throws: `OpenrukoError.invalid` for a value that is not a positive number.
        package static func build(environment: [String: String] = ProcessInfo.processInfo.environment) throws(OpenrukoError)
            -> Limits
        {
            func number(_ name: String, _ fallback: Int) throws(OpenrukoError) -> Int {
                guard let text = environment[name] else { return fallback }
                guard let value = Int(text), value > 0 else {
                    throw OpenrukoError(.invalid, "\(name) must be a positive whole number, not \(text.debugDescription).")
                }
                return value
            }
            return Limits(
                memoryBytes: UInt64(try number("OPENRUKO_BUILD_MEMORY", 2560)) << 20,
                processes: try number("OPENRUKO_BUILD_PROCESSES", 4096))
        }
    }

    /// The cgroup directories this process moved into (one per v1 hierarchy, or the v2 one).
    let directories: [String]
    let memoryDirectory: String?
    let unified: Bool

    /// The directory of `controller`'s hierarchy this process is in, from `/proc/self/cgroup`
    /// text (`4:memory:/a/b`; `0::/a/b` for v2 with `controller` ""), or nil.
    static func path(of controller: String, in text: String) -> String? {
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let controllers = fields[1].split(separator: ",").map(String.init)
            if controller.isEmpty ? fields[1].isEmpty && fields[0] == "0" : controllers.contains(controller) {
                return String(fields[2])
            }
        }
        return nil
    }

    /// Creates `NAME` under this process's cgroups, sets `limits` and moves this process in.
    /// - Returns: nil when no hierarchy could be used.
    package static func enter(name: String, limits: Limits, root: String = "/sys/fs/cgroup") -> ProcessCgroup? {
        let text = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        let pid = String(getpid())
        if FileManager.default.fileExists(atPath: root + "/cgroup.controllers"), let own = path(of: "", in: text) {
            let directory = root + own + "/" + name
            guard make(directory, [("memory.max", String(limits.memoryBytes)), ("pids.max", String(limits.processes))]),
                write(pid, to: directory + "/cgroup.procs")
            else { return nil }
            return ProcessCgroup(directories: [directory], memoryDirectory: directory, unified: true)
        }
        var entered: [String] = []
        var memory: String?
        for (controller, settings) in [
            ("memory", [("memory.limit_in_bytes", String(limits.memoryBytes)), ("memory.memsw.limit_in_bytes", String(limits.memoryBytes))]),
            ("pids", [("pids.max", String(limits.processes))]),
        ] {
            guard let own = path(of: controller, in: text) else { continue }
            let directory = root + "/" + controller + (own == "/" ? "" : own) + "/" + name
            guard make(directory, settings), write(pid, to: directory + "/cgroup.procs") else { continue }
            entered.append(directory)
            if controller == "memory" { memory = directory }
        }
        return entered.isEmpty ? nil : ProcessCgroup(directories: entered, memoryDirectory: memory, unified: false)
    }

    /// Whether the memory limit was hit (an allocation failed or a process was killed for it).
    package var ranOutOfMemory: Bool {
        guard let memoryDirectory else { return false }
        if unified {
            let events = (try? String(contentsOfFile: memoryDirectory + "/memory.events", encoding: .utf8)) ?? ""
            return events.split(separator: "\n").contains { $0.hasPrefix("oom_kill ") && !$0.hasSuffix(" 0") }
        }
        // The kernel's OOM killer stepped in (with swap accounting the failures are counted in
        // memory.memsw.failcnt, not memory.failcnt).
        let control = (try? String(contentsOfFile: memoryDirectory + "/memory.oom_control", encoding: .utf8)) ?? ""
        return control.split(separator: "\n").contains { $0.hasPrefix("oom_kill ") && !$0.hasSuffix(" 0") }
    }

    /// Moves this process back to the parent cgroups and removes its own (once empty).
    package func leave() {
        let pid = String(getpid())
        for directory in directories {
            _ = Self.write(pid, to: (directory as NSString).deletingLastPathComponent + "/cgroup.procs")
            rmdir(directory)
        }
    }

    /// Creates `directory` (a fresh cgroup) and writes each setting; a missing optional file
    /// (`memory.memsw.*` without swap accounting) is skipped.
    static func make(_ directory: String, _ settings: [(String, String)]) -> Bool {
        guard mkdir(directory, 0o755) == 0 || errno == EEXIST else { return false }
        for (file, value) in settings where FileManager.default.fileExists(atPath: directory + "/" + file) {
            guard write(value, to: directory + "/" + file) else { return false }
        }
        return true
    }

    static func write(_ text: String, to path: String) -> Bool {
        guard let handle = FileHandle(forWritingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.write(contentsOf: Data(text.utf8))) != nil
    }
}
