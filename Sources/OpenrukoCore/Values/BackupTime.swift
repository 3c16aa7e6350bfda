import Foundation

/// When a scheduled backup runs: an hour of the day in an IANA time zone, as Heroku's
/// `pg:backups:schedule --at '02:00 America/New_York'` names it (the zone defaults to UTC).
/// Tenant input: parsed strictly, never passed to a shell.
///
/// ```swift
/// let at = try BackupTime(parsing: "02:00 America/New_York")
/// at.hour       // 2
/// at.timeZone   // "America/New_York"
/// at.text       // "02:00 America/New_York"
/// ```
package struct BackupTime: Hashable, Sendable {
    /// 0…23.
    package var hour: Int
    /// An IANA identifier Foundation knows (`UTC`, `Europe/Paris`).
    package var timeZone: String

    package init(hour: Int, timeZone: String) {
        self.hour = hour
        self.timeZone = timeZone
    }

    /// `HH:00 ZONE`.
    package var text: String { (hour < 10 ? "0" : "") + "\(hour):00 \(timeZone)" }

    /// Parses `HH:00`, `HH:00 ZONE`, `H:00 ZONE` (minutes must be `00`: backups run on the hour).
    /// - Throws: `OpenrukoError.invalid` saying what was wrong and what to give instead.
    package init(parsing text: String) throws(OpenrukoError) {
        let usage = "Give --at as 'HH:00 TIME_ZONE', an hour and an IANA time zone, e.g. --at '02:00 America/New_York' (the zone defaults to UTC)."
        let words = text.split(separator: " ", omittingEmptySubsequences: true)
        guard (1...2).contains(words.count), text.utf8.count <= 80 else {
            throw OpenrukoError(.invalid, "\(Self.shown(text)) is not a backup time. \(usage)", resource: "backup")
        }
        let clock = words[0].split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 2, (1...2).contains(clock[0].count), clock[0].allSatisfy({ $0.isASCII && $0.isNumber }),
            let hour = Int(clock[0]), (0...23).contains(hour)
        else {
            throw OpenrukoError(.invalid, "\(Self.shown(String(words[0]))) is not an hour (00:00 to 23:00). \(usage)", resource: "backup")
        }
        guard clock[1] == "00" else {
            throw OpenrukoError(.invalid, "Scheduled backups run on the hour: give \(hour < 10 ? "0" : "")\(hour):00, not \(Self.shown(String(words[0]))).", resource: "backup")
        }
        let zone = words.count == 2 ? String(words[1]) : "UTC"
        guard let identifier = Self.timeZoneIdentifier(zone) else {
            throw OpenrukoError(
                .invalid, "\(Self.shown(zone)) is not a time zone: give an IANA name such as UTC, Europe/Paris or America/New_York.",
                resource: "backup")
        }
        self.init(hour: hour, timeZone: identifier)
    }

    /// `name` when it is an IANA zone name Foundation knows (letters, digits, `/`, `_`, `+`,
    /// `-`), else nil. Kept as given: Foundation calls `UTC` `GMT`.
    static func timeZoneIdentifier(_ name: String) -> String? {
        let allowed = name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "/_+-".unicodeScalars.contains($0) }
        guard allowed, (1...64).contains(name.count), !name.hasPrefix("/"), !name.contains("//"), TimeZone(identifier: name) != nil else { return nil }
        return name
    }

    /// Tenant text as shown in an error: quoted, control characters escaped, at most 40 characters.
    static func shown(_ text: String) -> String {
        String(text.prefix(40)).debugDescription
    }
}
