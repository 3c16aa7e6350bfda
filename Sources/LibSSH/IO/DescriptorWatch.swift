import Dispatch

/// A nonblocking descriptor with a dispatch source that is switched on while its owner waits
/// for it and off otherwise, and closed only once dispatch has stopped watching it: the part
/// the async pipe reader and writer share. Used only on `queue` (a serial queue).
final class DescriptorWatch {
    enum Direction {
        case read, write
    }

    let fd: Int32
    private let queue: DispatchQueue
    private let direction: Direction
    private let onEvent: () -> Void
    private var source: (any DispatchSourceProtocol)?
    private var running = false
    /// Whether `close()` ran (the descriptor is gone or about to be).
    private(set) var closed = false

    /// - Parameter onEvent: called on `queue` when the descriptor is ready.
    init(fd: Int32, queue: DispatchQueue, direction: Direction, onEvent: @escaping () -> Void) {
        self.fd = fd
        self.queue = queue
        self.direction = direction
        self.onEvent = onEvent
    }

    /// Starts or pauses watching (the source is made on first use).
    func watch(_ on: Bool) {
        if on {
            if let source {
                guard !running else { return }
                source.resume()
            } else {
                let made: any DispatchSourceProtocol =
                    switch direction {
                    case .read: DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
                    case .write: DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
                    }
                made.setEventHandler(handler: onEvent)
                source = made
                made.activate()
            }
            running = true
        } else if running {
            source?.suspend()
            running = false
        }
    }

    /// Stops watching and closes the descriptor. A suspended source is resumed before it is
    /// cancelled, and the descriptor closes from the cancel handler, when dispatch is done.
    func close() {
        guard !closed else { return }
        closed = true
        guard let source else { return Descriptor.close(fd) }
        let fd = self.fd
        source.setCancelHandler { Descriptor.close(fd) }
        if !running { source.resume() }
        source.cancel()
        self.source = nil
    }

    deinit {
        close()
    }
}
