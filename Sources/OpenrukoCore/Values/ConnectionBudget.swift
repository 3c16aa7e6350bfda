import Foundation

/// How many connections a listener serves at once, in all and per source address. A pure
/// state machine: the caller admits each new connection and releases each admitted one.
package struct ConnectionBudget: Sendable {
    /// Connections served at once…
    package let total: Int
    /// …and from one source address.
    package let perSource: Int
    package private(set) var open = 0
    private var bySource: [String: Int] = [:]

    /// Why a connection was turned away.
    package enum Refusal: Sendable, Hashable {
        case full
        case sourceFull
    }

    /// The soft `RLIMIT_NOFILE` of this process (1,024 when it cannot be read): what every
    /// listener's caps are sized from, so one listener's flood leaves descriptors for the rest.
    package static var descriptorLimit: Int {
        var limit = rlimit()
        #if os(Linux)
            guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        #else
            guard getrlimit(RLIMIT_NOFILE, &limit) == 0 else { return 1024 }
        #endif
        return Int(clamping: limit.rlim_cur)
    }

    package init(total: Int, perSource: Int) {
        self.total = max(1, total)
        self.perSource = max(1, perSource)
    }

    /// Sources with connections open now.
    package var sources: Int { bySource.count }

    /// Admits a connection from `source` (counting it), or says why not.
    package mutating func admit(_ source: String) -> Refusal? {
        guard open < total else { return .full }
        let count = bySource[source, default: 0]
        guard count < perSource else { return .sourceFull }
        open += 1
        bySource[source] = count + 1
        return nil
    }

    /// An admitted connection from `source` has closed.
    package mutating func release(_ source: String) {
        guard let count = bySource[source] else { return }
        open -= 1
        bySource[source] = count > 1 ? count - 1 : nil
    }
}
