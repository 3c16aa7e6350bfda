import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// A parsed `Range` header of a list request (Heroku's grammar,
/// `FIELD [START]..[END][; max=N][, order=asc|desc][;]`), read leniently: `;` and `,` both
/// separate options, empty segments and unknown options are ignored, an unknown field falls
/// back to the list's default. A start written `]VALUE` excludes VALUE (our `Next-Range`).
///
/// ```swift
/// let range = try ListRange(parsing: "version ..; max=15, order=desc")
/// // range.field == "version", range.max == 15, range.descending == true
/// ```
struct ListRange: Equatable, Sendable {
    /// The field named, if any (validated against a list's fields by `Pager`).
    var field: String?
    /// The first value, in iteration order.
    var start: String?
    /// Whether `start` itself is excluded.
    var startExclusive = false
    /// The last value, in iteration order (inclusive).
    var end: String?
    /// Page size, clamped to `ListRange.maximumPageSize`.
    var max: Int?
    /// `order=desc`.
    var descending = false

    /// Heroku's default page size.
    static let defaultPageSize = 200
    /// Heroku's largest page.
    static let maximumPageSize = 1000

    init(field: String? = nil, start: String? = nil, startExclusive: Bool = false, end: String? = nil, max: Int? = nil, descending: Bool = false) {
        self.field = field
        self.start = start
        self.startExclusive = startExclusive
        self.end = end
        self.max = max
        self.descending = descending
    }

    /// Parses a header value; nil or blank gives the default range.
    /// - Throws: 400 `bad_request` for a `max` that is not a positive integer or an unknown `order`.
    init(parsing header: String?) throws(APIError) {
        self.init()
        guard let header, !header.allSatisfy(\.isWhitespace) else { return }
        let segments = header.split(whereSeparator: { $0 == ";" || $0 == "," }).map { $0.trimmingCharacters(in: .whitespaces) }
        for (index, segment) in segments.enumerated() where !segment.isEmpty {
            if let equals = segment.firstIndex(of: "=") {
                let key = segment[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
                let value = segment[segment.index(after: equals)...].trimmingCharacters(in: .whitespaces)
                switch key {
                case "max":
                    guard let number = Int(value), number > 0 else {
                        throw Self.bad(header, "max must be a positive integer")
                    }
                    max = min(number, Self.maximumPageSize)
                case "order":
                    switch value.lowercased() {
                    case "asc": descending = false
                    case "desc": descending = true
                    default: throw Self.bad(header, "order must be asc or desc")
                    }
                default:
                    continue
                }
            } else if index == 0 {
                parseBounds(segment)
            }
        }
    }

    /// `FIELD`, `FIELD ..`, `FIELD a..b`, `FIELD ]a..`.
    private mutating func parseBounds(_ segment: String) {
        let parts = segment.split(separator: " ", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let name = parts.first, !name.contains("..") else {
            if let only = parts.first { parseSpan(only) }
            return
        }
        field = name
        if parts.count == 2 { parseSpan(parts[1]) }
    }

    private mutating func parseSpan(_ span: String) {
        guard let dots = span.range(of: "..") else { return }
        var first = String(span[..<dots.lowerBound])
        let last = String(span[dots.upperBound...])
        if first.hasPrefix("]") {
            startExclusive = true
            first.removeFirst()
        }
        start = first.isEmpty ? nil : first
        end = last.isEmpty ? nil : last
    }

    private static func bad(_ header: String, _ why: String) -> APIError {
        APIError(.badRequest, id: "bad_request", "Invalid Range header \(header.debugDescription): \(why).")
    }

    /// The page size to use.
    var pageSize: Int { max ?? Self.defaultPageSize }

    /// The header value that continues after `last` (sent back verbatim by clients).
    func next(field: String, after last: String) -> String {
        var value = "\(field) ]\(last)..\(end ?? ""); max=\(pageSize)"
        if descending { value += ", order=desc" }
        return value
    }
}
