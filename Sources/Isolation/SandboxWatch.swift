import Foundation
import OpenrukoCore
import Synchronization
import SystemPackage

/// The standard input of a sandboxed command.
enum InputFile {
    case none
    case file(FileDescriptor)
    case stream(ByteChannel)
}

/// What the run learned about its process, shared with the timer and the cancel handler.
final class SandboxWatch: Sendable {
    private let state = Mutex<(pid: pid_t?, timedOut: Bool)>((nil, false))

    func started(_ pid: pid_t) { state.withLock { $0.pid = pid } }
    func timedOut() { state.withLock { $0.timedOut = true } }
    var pid: pid_t? { state.withLock { $0.pid } }
    var didTimeOut: Bool { state.withLock { $0.timedOut } }
}
