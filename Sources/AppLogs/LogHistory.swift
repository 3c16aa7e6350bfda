import Foundation
package import OpenrukoCore

/// The last lines of an app's log before a position, read backwards from its files.
package enum LogHistory {
    /// Up to `count` lines matching `query` that end at or before `position`, oldest first.
    package static func lines(
        in directory: LogDirectory, before position: LogPosition, count: Int, matching query: LogQuery
    ) -> [String] {
        guard count > 0 else { return [] }
        return scan(directory, before: position, keeping: count, countAll: false) { query.matches($0) ? .take : .skip }.lines
    }

    /// The lines stamped `since` or later before `position` (the newest `keeping` of them,
    /// oldest first), and how many there were.
    static func lines(in directory: LogDirectory, before position: LogPosition, since: Date, keeping: Int) -> (lines: [String], total: Int) {
        let from = LogLine.timestamp(since)
        return scan(directory, before: position, keeping: keeping, countAll: true) { $0.prefix { $0 != " " } >= from ? .take : .stop }
    }

    enum Verdict { case take, skip, stop }

    /// Reads backwards, keeping the newest `keeping` lines judged `take`, until `judge` says
    /// `stop` or the files end (or, unless `countAll`, enough lines were found).
    private static func scan(
        _ directory: LogDirectory, before position: LogPosition, keeping count: Int, countAll: Bool, judge: (Substring) -> Verdict
    ) -> (lines: [String], total: Int) {
        var total = 0
        var stop = false
        var found: [String] = []
        var full: Bool { !countAll && found.count >= count }
        for generation in directory.generations().reversed() where generation <= position.generation {
            guard let handle = FileHandle(forReadingAtPath: directory.file(generation)) else { continue }
            defer { try? handle.close() }
            var end = generation == position.generation ? position.offset : Int((try? handle.seekToEnd()) ?? 0)
            var carry = Data()
            while end > 0 || !carry.isEmpty, !full {
                let start = max(0, end - 65_536)
                var chunk = Data()
                if end > start {
                    try? handle.seek(toOffset: UInt64(start))
                    chunk = (try? handle.read(upToCount: end - start)) ?? Data()
                }
                chunk.append(carry)
                carry = Data()
                if start > 0, let newline = chunk.firstIndex(of: UInt8(ascii: "\n")) {
                    carry = Data(chunk[..<newline])
                    chunk = Data(chunk[chunk.index(after: newline)...])
                } else if start > 0 {
                    carry = chunk
                    chunk = Data()
                }
                let text = String(decoding: chunk, as: UTF8.self)
                for line in text.split(separator: "\n").reversed() {
                    switch judge(line) {
                    case .skip: continue
                    case .stop: stop = true
                    case .take:
                        total += 1
                        if found.count < count { found.append(String(line)) }
                    }
                    if stop || full { break }
                }
                end = start
                if start == 0 || stop || full { break }
            }
            if stop || full { break }
        }
        return (found.reversed(), total)
    }
}
