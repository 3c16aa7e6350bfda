import Foundation
import OpenrukoCore

/// Heroku-CLI-style text helpers and the `--json` encoder.
enum Output {
    /// Left-aligned columns separated by two spaces; the last column is not padded.
    static func table(_ rows: [[String]]) -> String {
        guard let width = rows.map(\.count).max(), width > 0 else { return "" }
        var widths = Array(repeating: 0, count: width)
        for row in rows {
            for (i, cell) in row.enumerated() where i < width - 1 { widths[i] = max(widths[i], cell.count) }
        }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// `Key:   value` lines with the values aligned, as `heroku apps:info` prints.
    static func fields(_ pairs: [(String, String)]) -> String {
        let width = (pairs.map(\.0.count).max() ?? 0) + 1
        return pairs.map { key, value in (key + ":").padding(toLength: width, withPad: " ", startingAt: 0) + " " + value }
            .joined(separator: "\n") + "\n"
    }

    /// `=== Title`.
    static func header(_ title: String) -> String { "=== \(title)\n" }

    /// Config vars as `KEY: value`, keys aligned, sorted.
    static func config(_ vars: [String: String]) -> String {
        let keys = vars.keys.sorted()
        let width = (keys.map(\.count).max() ?? 0) + 1
        return keys.map { key in (key + ":").padding(toLength: width, withPad: " ", startingAt: 0) + " " + vars[key]! }
            .joined(separator: "\n") + (keys.isEmpty ? "" : "\n")
    }

    /// Pretty, sorted JSON with snake_case keys and ISO 8601 dates.
    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(UTCCalendar.iso8601(date))
        }
        let data = (try? encoder.encode(value)) ?? Data("null".utf8)
        let text = String(decoding: data, as: UTF8.self)
        // Foundation pretty-prints an empty array or object over three lines; jq and heroku say `[]`.
        let bare = text.filter { !$0.isWhitespace }
        return (bare == "[]" || bare == "{}" ? bare : text) + "\n"
    }

    /// `1.2M`, `340K`, as Heroku prints sizes.
    static func size(_ bytes: Int64) -> String {
        let units = [("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)]
        for (unit, scale) in units where bytes >= Int64(scale) {
            return String(format: "%.1f", Double(bytes) / Double(scale)) + unit
        }
        return "\(bytes)B"
    }
}
