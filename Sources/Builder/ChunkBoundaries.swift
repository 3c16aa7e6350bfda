/// Where `ParallelGzipWriter` ends a chunk (one gzip member), so that the unchanged parts of a
/// slug cut the same way on every build and their members can be reused (`SlugMemberCache`).
///
/// The producer marks places a chunk may end (before each tar entry, every MiB into a file);
/// some marks are anchors, chosen from the content itself (a hash of the entry's name, or a
/// file's own offsets), never from where the chunk began. A chunk ends at the first anchor
/// once it holds `minimum` bytes, at any mark from `target` bytes, and anywhere at `maximum`.
/// After a change, cuts fall on the same anchors again within a chunk or two, whereas cutting
/// at fixed sizes would shift every later chunk.
struct ChunkBoundaries: Sendable, Hashable {
    /// The fewest bytes a chunk ends with at an anchor.
    var minimum = 1 << 18
    /// The size from which any mark ends a chunk.
    var target = 1 << 21
    /// The size at which a chunk ends without a mark.
    var maximum = 1 << 22

    /// Whether a chunk holding `filled` bytes ends at a mark.
    func endsAtMark(anchor: Bool, filled: Int) -> Bool {
        filled >= target || anchor && filled >= minimum
    }

    /// Whether the entry named `name` starts at an anchor: about one entry in 128, by an FNV-1a
    /// hash of the name (stable across runs and machines, unlike `Hasher`).
    static func isAnchor(name: String) -> Bool {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return hash & 127 == 0
    }
}
