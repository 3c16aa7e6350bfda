import Glibc

/// A numeric host and port, as a listener reports it (`127.0.0.1:2222`, `[::1]:5000`).
package struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    package var host: String
    package var port: Int

    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The local address a socket is bound to.
    package static func local(of fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) == 0 }
        }
        return ok ? SocketAddress(storage) : nil
    }

    /// The address of a connected socket's peer.
    package static func remote(of fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) == 0 }
        }
        return ok ? SocketAddress(storage) : nil
    }

    private init?(_ storage: sockaddr_storage) {
        var storage = storage
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(storage.ss_family) {
        case AF_INET:
            let (address, port) = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { ($0.pointee.sin_addr, $0.pointee.sin_port) }
            }
            var copy = address
            guard inet_ntop(AF_INET, &copy, &text, socklen_t(text.count)) != nil else { return nil }
            self.init(host: String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), port: Int(UInt16(bigEndian: port)))
        case AF_INET6:
            let (address, port) = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { ($0.pointee.sin6_addr, $0.pointee.sin6_port) }
            }
            var copy = address
            guard inet_ntop(AF_INET6, &copy, &text, socklen_t(text.count)) != nil else { return nil }
            self.init(host: String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), port: Int(UInt16(bigEndian: port)))
        default:
            return nil
        }
    }
}

/// Outgoing TCP connections (the `ssh -L` forward to the API listener).
package enum TCPConnection {
    /// Connects to a numeric `host:port` (or `localhost`), waiting at most `timeout` ms.
    /// - Returns: a connected, nonblocking, close-on-exec socket.
    /// - Throws: `SSHError` when the connection is refused or times out.
    package static func connect(host: String, port: Int, timeout: Int32 = 3000) throws(SSHError) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw SSHError(function: "getaddrinfo", message: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }
        var lastError = SSHError(function: "connect", message: "no address for \(host)")
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                lastError = SSHError.system("socket")
                continue
            }
            Descriptor.setNonBlocking(fd)
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
            guard errno == EINPROGRESS else {
                lastError = SSHError.system("connect")
                Descriptor.close(fd)
                continue
            }
            var requests = [PollRequest(fd, .writable)]
            Poller.wait(&requests, timeout: timeout)
            var code: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
            if !requests[0].returned.isEmpty && code == 0 { return fd }
            lastError = code == 0 ? SSHError(function: "connect", message: "timed out") : SSHError.system("connect", errno: code)
            Descriptor.close(fd)
        }
        throw lastError
    }
}
