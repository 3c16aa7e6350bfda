package import Foundation

extension LogLine {
    /// Heroku's shape: `2026-11-21T05:00:00.123456+00:00 app[web.1]: text`.
    package var formatted: String {
        "\(LogLine.timestamp(timestamp)) \(source)[\(process)]: \(message)"
    }

    /// An RFC 3339 UTC timestamp with microseconds and `+00:00`.
    package static func timestamp(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down))
        let seconds = micros / 1_000_000
        let fraction = micros % 1_000_000
        let c = UTCCalendar.components(ofSeconds: seconds)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%06lld+00:00", c.year, c.month, c.day, c.hour, c.minute, c.second, fraction)
    }
}

/// Civil-date arithmetic in UTC without Calendar or DateFormatter (both are slow and not
/// Sendable-friendly on Linux).
package enum UTCCalendar {
    /// Year, month, day, hour, minute, second of a Unix time.
    package static func components(ofSeconds seconds: Int64) -> (
        year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
    ) {
        var days = seconds / 86_400
        var rest = seconds % 86_400
        if rest < 0 {
            rest += 86_400
            days -= 1
        }
        // Howard Hinnant's days-to-civil algorithm.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day), Int(rest / 3600), Int(rest % 3600 / 60), Int(rest % 60))
    }

    /// `2026/11/21 05:00:00 +0000`, as the heroku CLI prints times.
    package static func display(_ date: Date) -> String {
        let c = components(ofSeconds: Int64(date.timeIntervalSince1970.rounded(.down)))
        return String(format: "%04d/%02d/%02d %02d:%02d:%02d +0000", c.year, c.month, c.day, c.hour, c.minute, c.second)
    }

    /// `2026-11-21T05:00:00Z`, ISO 8601 as the API returns it.
    package static func iso8601(_ date: Date) -> String {
        let c = components(ofSeconds: Int64(date.timeIntervalSince1970.rounded(.down)))
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month, c.day, c.hour, c.minute, c.second)
    }
}
