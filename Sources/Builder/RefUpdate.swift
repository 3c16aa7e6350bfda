/// One line of what git feeds the pre-receive and reference-transaction hooks:
/// `OLD NEW REF`, where `OLD` is the value git expects the ref to have now and `NEW` the
/// value it will get (all zeros for a ref that does not exist yet, or is being deleted).
package struct RefUpdate: Sendable, Hashable {
    package var old: String
    package var new: String
    package var ref: String

    package init(old: String, new: String, ref: String) {
        self.old = old
        self.new = new
        self.ref = ref
    }

    /// Parses a hook's stdin; malformed lines are skipped.
    package static func parse(_ input: String) -> [RefUpdate] {
        input.split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count == 3 else { return nil }
            return RefUpdate(old: String(fields[0]), new: String(fields[1]), ref: String(fields[2]))
        }
    }

    /// Whether an object id is git's "no object" (all zeros).
    package static func isZero(_ id: String) -> Bool { id.allSatisfy { $0 == "0" } }

    /// Whether the update deletes the ref.
    package var deletes: Bool { Self.isZero(new) }
    /// Whether the update creates the ref.
    package var creates: Bool { Self.isZero(old) }
}
