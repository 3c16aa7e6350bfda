import Foundation
import OpenrukoCore

/// Which process holds a listening TCP socket, found through `/proc`: a dyno only counts as
/// bound to `$PORT` when the listener is its own, not another process's on the same port.
enum ListeningSockets {
    /// The socket inodes in state LISTEN on `port` (IPv4 and IPv6) in the network namespace
    /// of process `pid`.
    static func inodes(port: Int, pid: pid_t) -> Set<String> {
        let hexPort = String(port, radix: 16, uppercase: true)
        let wanted = String(repeating: "0", count: max(0, 4 - hexPort.count)) + hexPort
        var result: Set<String> = []
        for table in ["/proc/\(pid)/net/tcp", "/proc/\(pid)/net/tcp6"] {
            guard let text = ProcFile.read(table) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count > 9, fields[3] == "0A", fields[1].hasSuffix(":" + wanted) else { continue }
                result.insert(String(fields[9]))
            }
        }
        return result
    }

    /// Whether `pid` or one of its descendants has a listening socket on `port`.
    static func owned(by pid: pid_t, port: Int) -> Bool {
        let sockets = Set(inodes(port: port, pid: pid).map { "socket:[\($0)]" })
        guard !sockets.isEmpty else { return false }
        for process in [pid] + ProcessTree.descendants(of: pid) {
            let directory = "/proc/\(process)/fd"
            for fd in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
                if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + fd),
                    sockets.contains(target)
                {
                    return true
                }
            }
        }
        return false
    }
}

extension Sandbox {
    /// Whether a process of the sandbox started as `bubblewrapPID` listens on TCP `port`.
    package static func listens(_ bubblewrapPID: Int32, port: Int) -> Bool {
        ListeningSockets.owned(by: bubblewrapPID, port: port)
    }
}
