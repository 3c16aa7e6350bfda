import Foundation

/// A parsed `Procfile`, following the compatible superset recommended in
/// buildpacks-and-dynos.md §2.3: `\r` stripped; blank lines and lines whose first visible
/// character is `#` skipped; `^\s*([A-Za-z0-9_-]{1,63})\s*:\s*(\S.*?)\s*$` per entry (a `#`
/// inside the command stays: bash treats it as a comment); a duplicate type means the last
/// one wins, with a warning; any other line is ignored with a warning naming it.
package struct Procfile: Sendable, Hashable {
    /// One `type: command` entry.
    package struct Entry: Sendable, Hashable {
        package var type: String
        package var command: String
    }

    /// The entries in the order their types first appear (later duplicates replace the command).
    package private(set) var entries: [Entry] = []
    /// What was odd about the file, one sentence each (`Procfile line 3 is not "type: command"…`).
    package private(set) var warnings: [String] = []

    /// Parses the text of a Procfile.
    package init(parsing text: String) {
        // "\r\n" is one Character in Swift: normalise before splitting.
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "")
        let lines = normalized.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, raw) in lines.enumerated() {
            let line = String(raw)
            let visible = line.drop { $0 == " " || $0 == "\t" }
            if visible.isEmpty || visible.hasPrefix("#") { continue }
            guard let entry = Self.entry(visible) else {
                warnings.append(
                    "Procfile line \(index + 1) is not \"type: command\" and was ignored: \(String(line.prefix(80)).debugDescription)")
                continue
            }
            if entry.type == "run" {
                warnings.append("Procfile line \(index + 1) declares \"run\", which is reserved for one-off dynos; it was ignored.")
                continue
            }
            if let existing = entries.firstIndex(where: { $0.type == entry.type }) {
                warnings.append("Procfile declares \(entry.type) more than once; the last one (line \(index + 1)) wins.")
                entries[existing].command = entry.command
            } else {
                entries.append(entry)
            }
        }
    }

    /// `type → command`.
    package var processTypes: [String: String] {
        Dictionary(entries.map { ($0.type, $0.command) }, uniquingKeysWith: { _, last in last })
    }

    /// The type names in file order.
    package var types: [String] { entries.map(\.type) }

    /// Parses `name: command` after leading blanks are gone.
    private static func entry(_ text: Substring) -> Entry? {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let name = text[..<colon].trimmingTrailingBlanks()
        guard ProcessType.isValid(String(name)) else { return nil }
        let command = text[text.index(after: colon)...].drop { $0 == " " || $0 == "\t" }.trimmingTrailingBlanks()
        guard !command.isEmpty else { return nil }
        return Entry(type: String(name), command: String(command))
    }
}

extension Substring {
    fileprivate func trimmingTrailingBlanks() -> Substring {
        var end = endIndex
        while end > startIndex, let last = self[..<end].last, last == " " || last == "\t" { end = index(before: end) }
        return self[..<end]
    }
}
