package import Foundation
package import OpenrukoCore

/// A cgroup with a memory limit, a process-count limit and a CPU weight: of one openruko
/// process (a build: the git hook, an API build), which everything it starts inherits
/// (`enter`), or of one dyno, which its launcher joins (`create`). It nests under the
/// process's own cgroup: v1's `memory`, `pids` and `cpu` hierarchies, or v2's unified one.
/// Where they are not writable (openruko not root) there are no limits, and nothing fails.
package struct ProcessCgroup: Sendable {
    package struct Limits: Sendable, Hashable {
        package var memoryBytes: UInt64
        package var processes: Int
        /// Relative CPU weight (v1 `cpu.shares`, 1024 = one share; v2 `cpu.weight` is scaled).
        package var cpuShares: Int?

        package init(memoryBytes: UInt64, processes: Int, cpuShares: Int? = nil) {
            self.memoryBytes = memoryBytes
            self.processes = processes
            self.cpuShares = cpuShares
        }

        /// Builds run at a quarter of a standard dyno's CPU weight, so serving apps come first.
        package static let buildCPUShares = 256

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
                processes: try number("OPENRUKO_BUILD_PROCESSES", 4096), cpuShares: buildCPUShares)
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
    package static func enter(name: String, limits: Limits, group: String? = nil, root: String = "/sys/fs/cgroup") -> ProcessCgroup? {
        guard let cgroup = create(name: name, limits: limits, group: group, root: root) else { return nil }
        let pid = String(getpid())
        let entered = cgroup.directories.filter { write(pid, to: $0 + "/cgroup.procs") }
        for directory in cgroup.directories where !entered.contains(directory) { rmdir(directory) }
        guard !entered.isEmpty else { return nil }
        return ProcessCgroup(
            directories: entered, memoryDirectory: cgroup.memoryDirectory.flatMap { entered.contains($0) ? $0 : nil },
            unified: cgroup.unified)
    }

    /// Creates `NAME` under this process's cgroups with `limits`, for processes that join it
    /// through `procsFiles` (a sandbox's launcher). Remove it with `remove()`. With a `group`,
    /// it goes inside that shared cgroup, whose CPU weight is `limits.cpuShares` for all its
    /// members together (every build at once weighs as one).
    /// - Returns: nil when no hierarchy could be used.
    package static func create(name: String, limits: Limits, group: String? = nil, root: String = "/sys/fs/cgroup") -> ProcessCgroup? {
        let text = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        let shares = limits.cpuShares
        if FileManager.default.fileExists(atPath: root + "/cgroup.controllers"), let own = path(of: "", in: text) {
            var base = root + own
            if let group {
                base += "/" + group
                let weight = shares.map { [("cpu.weight", String(min(10_000, max(1, $0 * 100 / 1024))))] } ?? []
                guard make(base, weight) else { return nil }
                _ = write("+memory +pids +cpu", to: base + "/cgroup.subtree_control")
            }
            let directory = base + "/" + name
            var settings = [("memory.max", String(limits.memoryBytes)), ("pids.max", String(limits.processes))]
            if let shares = limits.cpuShares { settings.append(("cpu.weight", String(min(10_000, max(1, shares * 100 / 1024))))) }
            guard make(directory, settings) else { return nil }
            return ProcessCgroup(directories: [directory], memoryDirectory: directory, unified: true)
        }
        var made: [String] = []
        var memory: String?
        var controllers = [
            ("memory", [("memory.limit_in_bytes", String(limits.memoryBytes)), ("memory.memsw.limit_in_bytes", String(limits.memoryBytes))]),
            ("pids", [("pids.max", String(limits.processes))]),
        ]
        if let shares = limits.cpuShares { controllers.append(("cpu", [("cpu.shares", String(max(2, shares)))])) }
        for (controller, settings) in controllers {
            guard let own = path(of: controller, in: text) else { continue }
            var base = root + "/" + controller + (own == "/" ? "" : own)
            if let group {
                base += "/" + group
                guard make(base, controller == "cpu" ? settings : []) else { continue }
            }
            let directory = base + "/" + name
            guard make(directory, settings) else { continue }
            made.append(directory)
            if controller == "memory" { memory = directory }
        }
        return made.isEmpty ? nil : ProcessCgroup(directories: made, memoryDirectory: memory, unified: false)
    }

    /// The files a process writes its pid to to join every hierarchy of the cgroup.
    package var procsFiles: [String] { directories.map { $0 + "/cgroup.procs" } }

    /// How many processes the kernel killed for the memory limit so far.
    package var oomKills: Int {
        guard let memoryDirectory else { return 0 }
        let file = memoryDirectory + (unified ? "/memory.events" : "/memory.oom_control")
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("oom_kill ") }
        return line.flatMap { Int($0.dropFirst("oom_kill ".count)) } ?? 0
    }

    /// The cgroup's memory in Heroku's terms (bytes; page counts for `pgpgin`/`pgpgout`).
    package struct MemoryStat: Sendable, Hashable {
        package var rss: UInt64 = 0
        package var cache: UInt64 = 0
        package var swap: UInt64 = 0
        package var pagesIn: UInt64 = 0
        package var pagesOut: UInt64 = 0
        /// What counts against the quota: resident and swapped (and tmpfs) memory, not the cache.
        package var total: UInt64 { rss + swap }
    }

    /// The cgroup's `memory.stat`, read now.
    package var memoryStat: MemoryStat {
        guard let memoryDirectory else { return MemoryStat() }
        let text = (try? String(contentsOfFile: memoryDirectory + "/memory.stat", encoding: .utf8)) ?? ""
        var values: [Substring: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, let value = UInt64(fields[1]) { values[fields[0]] = value }
        }
        if unified {
            let shmem = values["shmem"] ?? 0
            return MemoryStat(
                rss: (values["anon"] ?? 0) + shmem, cache: (values["file"] ?? 0) - min(values["file"] ?? 0, shmem),
                swap: values["swap"] ?? 0, pagesIn: values["pgfault"] ?? 0, pagesOut: 0)
        }
        let shmem = values["total_shmem"] ?? 0
        return MemoryStat(
            rss: (values["total_rss"] ?? 0) + shmem, cache: (values["total_cache"] ?? 0) - min(values["total_cache"] ?? 0, shmem),
            swap: values["total_swap"] ?? 0, pagesIn: values["total_pgpgin"] ?? 0, pagesOut: values["total_pgpgout"] ?? 0)
    }

    /// Memory in use by the processes (resident and swapped, without the page cache), in bytes.
    package var memoryInUse: UInt64 { memoryStat.total }

    /// Removes the cgroup once its last processes (exiting after the sandbox) are gone.
    package func removeWhenEmpty() async {
        for _ in 0..<50 {
            for directory in directories where FileManager.default.fileExists(atPath: directory) { rmdir(directory) }
            if !directories.contains(where: { FileManager.default.fileExists(atPath: $0) }) { return }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Whether the memory limit was hit (an allocation failed or a process was killed for it).
    package var ranOutOfMemory: Bool { oomKills > 0 }

    /// Moves this process back to the parent cgroups, kills whatever it started that is still
    /// in its own (a container build's `RUN` step outlives a stopped buildah: runc's process is
    /// nobody's child then), and removes them.
    package func leave() {
        let pid = String(getpid())
        for directory in directories {
            // Back to where the process came from: above a shared `openruko-…` group, if any.
            var home = (directory as NSString).deletingLastPathComponent
            if (home as NSString).lastPathComponent.hasPrefix("openruko-") { home = (home as NSString).deletingLastPathComponent }
            _ = Self.write(pid, to: home + "/cgroup.procs")
        }
        for directory in directories {
            Self.killMembers(directory)
            rmdir(directory)
        }
    }

    /// SIGKILLs every process in `directory` and the cgroups below it (runc puts a `RUN` step in
    /// one of its own), but this one (v2: `cgroup.kill`, the whole tree), a few times over for
    /// any that were forking meanwhile, and removes the ones below. Returns how many it
    /// signalled (v1).
    @discardableResult
    static func killMembers(_ directory: String) -> Int {
        if write("1", to: directory + "/cgroup.kill") { return 0 }
        var killed = 0
        for child in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            var info = stat()
            let path = directory + "/" + child
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { continue }
            killed += killMembers(path)
            rmdir(path)
        }
        for _ in 0..<10 {
            let text = (try? String(contentsOfFile: directory + "/cgroup.procs", encoding: .utf8)) ?? ""
            let pids = text.split(separator: "\n").compactMap { pid_t($0) }.filter { $0 > 1 && $0 != getpid() }
            guard !pids.isEmpty else { break }
            for pid in pids where kill(pid, SIGKILL) == 0 { killed += 1 }
            usleep(20_000)
        }
        return killed
    }

    /// Removes the empty cgroups named `prefix…` beside this process's own (those of dynos
    /// whose daemon was killed) made more than `age` ago (a younger one may be about to be
    /// joined by another daemon's dyno); a cgroup with a process in it stays (rmdir refuses).
    /// Returns how many it removed.
    @discardableResult
    package static func removeEmpty(prefix: String, olderThan age: TimeInterval = 900, root: String = "/sys/fs/cgroup") -> Int {
        var removed = 0
        for parent in parents(root: root) {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] where name.hasPrefix(prefix) {
                let made = (try? FileManager.default.attributesOfItem(atPath: parent + "/" + name))?[.modificationDate] as? Date
                guard let made, Date().timeIntervalSince(made) > age else { continue }
                if rmdir(parent + "/" + name) == 0 { removed += 1 }
            }
        }
        return removed
    }

    /// Kills every process in the cgroup `name` beside this process's own (a dyno whose daemon
    /// was killed: bubblewrap's `--die-with-parent` does not reach the sandbox's own init once
    /// the user namespace is made). Returns how many processes it signalled.
    @discardableResult
    package static func killAll(name: String, root: String = "/sys/fs/cgroup") -> Int {
        var killed = 0
        for parent in parents(root: root) {
            killed += killMembers(parent + "/" + name)
        }
        return killed
    }

    /// The directories this process's own cgroups are in (v2's one, or v1's memory, pids and cpu).
    static func parents(root: String) -> [String] {
        let text = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        if FileManager.default.fileExists(atPath: root + "/cgroup.controllers"), let own = path(of: "", in: text) {
            return [root + own]
        }
        return ["memory", "pids", "cpu"].compactMap { controller in
            path(of: controller, in: text).map { root + "/" + controller + ($0 == "/" ? "" : $0) }
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
