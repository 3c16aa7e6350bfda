internal import CLibSSH
import Glibc

/// A TCP connection just accepted on an `SSHBind`, before any SSH: the server decides from
/// its peer address whether to serve it (`SSHBind.session(adopting:)`) or to turn it away
/// (`refuse`), which costs no libssh session. Closes its socket when dropped unserved.
package final class IncomingSocket {
    /// The accepted socket (close-on-exec, blocking).
    package let descriptor: Int32
    /// The client's address, when the socket still has one.
    package let peer: SocketAddress?
    private var owned = true

    init(descriptor: Int32) {
        self.descriptor = descriptor
        peer = SocketAddress.remote(of: descriptor)
    }

    deinit {
        if owned { Glibc.close(descriptor) }
    }

    /// Turns the connection away with one line of text, before the SSH version exchange (RFC
    /// 4253 §4.2 lets a server send lines before its version; `nc` and `telnet` show it, an
    /// SSH client reports the closed connection). Never blocks: what the socket cannot take
    /// at once is dropped. Reads what the client already sent before closing, so the close is
    /// a FIN rather than a reset that could discard the line.
    package func refuse(_ message: String) {
        guard owned else { return }
        owned = false
        let line = Array((message + "\r\n").utf8)
        _ = line.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL)) }
        shutdown(descriptor, Int32(SHUT_WR))
        var scratch = [UInt8](repeating: 0, count: 4096)
        _ = scratch.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        Glibc.close(descriptor)
    }

    /// Hands the socket to libssh, which closes it from then on.
    func release() -> Int32 {
        owned = false
        return descriptor
    }
}
