import Glibc

/// What to wait for on a descriptor, and what happened.
package struct PollEvents: OptionSet, Sendable, Hashable {
    package let rawValue: Int16
    package init(rawValue: Int16) { self.rawValue = rawValue }

    /// Data to read, or end of file.
    package static let readable = PollEvents(rawValue: Int16(POLLIN))
    /// Room to write.
    package static let writable = PollEvents(rawValue: Int16(POLLOUT))
    /// The other end is gone (reported whether asked for or not).
    package static let hangup = PollEvents(rawValue: Int16(POLLHUP))
    /// An error condition (reported whether asked for or not).
    package static let error = PollEvents(rawValue: Int16(POLLERR) | Int16(POLLNVAL))
}

/// One descriptor to watch.
package struct PollRequest: Sendable, Hashable {
    package var descriptor: Int32
    package var events: PollEvents
    /// Filled in by `Poller.wait`.
    package var returned: PollEvents = []

    package init(_ descriptor: Int32, _ events: PollEvents) {
        self.descriptor = descriptor
        self.events = events
    }
}

/// `poll(2)`: the one place a connection thread blocks.
package enum Poller {
    /// Waits until a descriptor is ready or `timeout` milliseconds pass (-1: forever).
    /// - Returns: how many descriptors are ready (0 on timeout or EINTR).
    @discardableResult
    package static func wait(_ requests: inout [PollRequest], timeout: Int32) -> Int {
        var fds = requests.map { pollfd(fd: $0.descriptor, events: $0.events.rawValue, revents: 0) }
        let ready = fds.withUnsafeMutableBufferPointer { Glibc.poll($0.baseAddress, nfds_t($0.count), timeout) }
        for i in requests.indices { requests[i].returned = PollEvents(rawValue: fds[i].revents) }
        return max(Int(ready), 0)
    }
}
