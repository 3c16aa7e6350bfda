import Foundation
import OpenrukoCore

/// The pasta processes of a `UserNetwork`, found through `/proc` by the pid file in their
/// command line (bookworm's pasta may stay behind in the background after a failure, under
/// the name `passt.avx2`, and without having written its pid file).
extension UserNetwork {
    /// Kills the pasta started with `pidFile` if it is still running, and removes the file.
    package func stop(pidFile: String) {
        for pid in Self.processes(where: { $0 == pidFile }) { kill(pid, SIGKILL) }
        unlink(pidFile)
    }

    /// Kills the pastas of owners that are gone (a daemon or hook killed with `kill -9`) and
    /// removes their pid files. Returns how many pastas it killed.
    @discardableResult
    package func removeStale() -> Int {
        let stale: (String) -> Bool = { path in
            guard path.hasPrefix(directory + "/"), let owner = Self.owner(ofPidFile: path) else { return false }
            return owner != getpid() && kill(owner, 0) != 0 && errno == ESRCH
        }
        let killed = Self.processes(where: stale)
        for pid in killed { kill(pid, SIGKILL) }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where stale(directory + "/" + name) {
            unlink(directory + "/" + name)
        }
        return killed.count
    }

    /// This user's pasta processes whose pid file matches.
    static func processes(where matches: (String) -> Bool) -> [pid_t] {
        let uid = geteuid()
        var found: [pid_t] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            // The real uid from `status` (a process that made itself non-dumpable has a
            // `/proc/PID` owned by root).
            guard let pid = pid_t(entry), pid != getpid(), realUID(of: pid) == uid,
                let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"), !data.isEmpty
            else { continue }
            let arguments = data.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            guard let program = arguments.first?.split(separator: "/").last, program.hasPrefix("pasta") || program.hasPrefix("passt"),
                let file = pidFile(inCommandLine: arguments), matches(file)
            else { continue }
            found.append(pid)
        }
        return found
    }

    /// The real uid of `pid` (its `status` file's `Uid:` line), or nil.
    static func realUID(of pid: pid_t) -> uid_t? {
        guard let status = ProcFile.read("/proc/\(pid)/status"),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") })
        else { return nil }
        return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { uid_t($0) }
    }
}
