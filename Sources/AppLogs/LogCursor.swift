import Foundation

/// Reads an app's log forward from a position, across generation files, in whole lines. A
/// file it has opened stays readable after rotation deletes it; a generation that was gone
/// before the cursor reached it is skipped and reported.
final class LogCursor {
    let directory: LogDirectory
    /// Bytes consumed so far (including an incomplete last line kept in `partial`).
    private(set) var position: LogPosition
    private var open: (generation: Int, handle: FileHandle)?
    private var partial = Data()

    init(directory: LogDirectory, position: LogPosition) {
        self.directory = directory
        self.position = position
    }

    deinit { try? open?.handle.close() }

    /// The position after the last whole line read: where a reader resumes (the bytes of an
    /// incomplete last line are read again from there).
    var lineEnd: LogPosition { LogPosition(generation: position.generation, offset: position.offset - partial.count) }

    /// Moves to `position` (a line boundary), keeping the open file when it is the same generation.
    func seek(to position: LogPosition) {
        guard position != self.position else { return }
        if position.generation != self.position.generation {
            try? open?.handle.close()
            open = nil
        }
        partial.removeAll()
        self.position = position
    }

    /// What one read found.
    struct Batch {
        /// Whole lines, without newlines.
        var lines: [Substring] = []
        /// Generations that were deleted before the cursor reached them (lost to it).
        var skipped: [Int] = []
    }

    /// Reads whole lines from the position up to `end` (nil: whatever is on disk), at most
    /// about `maximum` bytes.
    func read(until end: LogPosition?, maximum: Int = 1 << 20) -> Batch {
        var batch = Batch()
        var data = Data()
        while data.count < maximum {
            if let end, position >= end { break }
            guard let handle = handle(for: position.generation) else {
                guard let next = directory.generations().first(where: { $0 > position.generation }) else { break }
                if position.generation > 0 { batch.skipped.append(contentsOf: position.generation..<next) }
                move(to: next)
                continue
            }
            let limit = end.map { $0.generation == position.generation ? $0.offset : Int.max } ?? Int.max
            let chunk: Data
            do {
                try handle.seek(toOffset: UInt64(position.offset))
                chunk = try handle.read(upToCount: min(maximum - data.count, limit - position.offset)) ?? Data()
            } catch {
                break
            }
            if chunk.isEmpty {
                // The end of this generation: go on to the next one once it exists.
                let newer = end.map { $0.generation > position.generation } ?? true
                guard newer, let next = directory.generations().first(where: { $0 > position.generation }) else { break }
                move(to: next)
                continue
            }
            position.offset += chunk.count
            data.append(chunk)
        }
        guard !data.isEmpty else { return batch }
        partial.append(data)
        guard let lastNewline = partial.lastIndex(of: UInt8(ascii: "\n")) else { return batch }
        let complete = String(decoding: partial[..<lastNewline], as: UTF8.self)
        partial = Data(partial[partial.index(after: lastNewline)...])
        batch.lines = complete.split(separator: "\n", omittingEmptySubsequences: true)
        return batch
    }

    private func handle(for generation: Int) -> FileHandle? {
        if let open, open.generation == generation { return open.handle }
        guard generation > 0, let handle = FileHandle(forReadingAtPath: directory.file(generation)) else { return nil }
        try? open?.handle.close()
        open = (generation, handle)
        return handle
    }

    private func move(to generation: Int) {
        try? open?.handle.close()
        open = nil
        partial.removeAll()
        position = LogPosition(generation: generation, offset: 0)
    }
}
