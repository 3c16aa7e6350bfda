/// A byte position in an app's log on disk: a generation file and an offset in it. Positions
/// order by generation, then offset.
package struct LogPosition: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// The generation file (`0000000007.log` is generation 7).
    package var generation: Int
    /// Bytes from the start of that file.
    package var offset: Int

    package init(generation: Int, offset: Int) {
        self.generation = generation
        self.offset = offset
    }

    package static func < (lhs: LogPosition, rhs: LogPosition) -> Bool {
        (lhs.generation, lhs.offset) < (rhs.generation, rhs.offset)
    }

    package var description: String { "\(generation):\(offset)" }
}
