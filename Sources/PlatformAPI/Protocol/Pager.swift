import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// A value a list can be ordered and ranged by.
enum SortKey: Comparable, Sendable {
    case integer(Int)
    case text(String)

    /// The key as written in `Range` headers.
    var text: String {
        switch self {
        case .integer(let value): String(value)
        case .text(let value): value
        }
    }

    /// Parses a bound written in a `Range` header, in the same kind as `self`.
    func sameKind(_ text: String) -> SortKey? {
        switch self {
        case .integer: Int(text).map { .integer($0) }
        case .text: .text(text)
        }
    }
}

/// One page of a list, with the headers that describe it.
struct Page<Element: Sendable>: Sendable {
    var items: [Element]
    /// `Content-Range`, `Accept-Ranges` and, when more remain, `Next-Range`.
    var headers: HTTPFields
    /// 206 when more remain (only then: a 206 without `Next-Range` loops the CLI forever).
    var isPartial: Bool

    /// The response status.
    var status: HTTPResponse.Status { isPartial ? .partialContent : .ok }
}

/// Orders and slices lists by `Range` headers. Each list names the fields it can be ranged
/// by; the first is the default.
struct Pager<Element: Sendable>: Sendable {
    /// Field name and how to read it from an element.
    let fields: [(name: String, key: @Sendable (Element) -> SortKey)]

    init(_ fields: [(name: String, key: @Sendable (Element) -> SortKey)]) {
        precondition(!fields.isEmpty)
        self.fields = fields
    }

    /// The field a range asks for, or the default one for unknown or missing fields.
    func field(for range: ListRange) -> (name: String, key: @Sendable (Element) -> SortKey) {
        fields.first { $0.name == range.field } ?? fields[0]
    }

    /// Orders all items, applies the range's bounds and page size.
    /// - Throws: 400 when a bound is not of the field's kind (a version that is not a number).
    func page(_ all: [Element], range: ListRange) throws(APIError) -> Page<Element> {
        let field = field(for: range)
        // An unknown field falls back to the default one, ignoring bounds meant for the other.
        let honoured = fields.contains { $0.name == range.field }
        var keyed = all.map { (field.key($0), $0) }
        keyed.sort { range.descending ? $0.0 > $1.0 : $0.0 < $1.0 }
        if honoured, let start = range.start, let sample = keyed.first?.0 {
            guard let bound = sample.sameKind(start) else { throw Self.badBound(start, field.name) }
            keyed.removeAll { key, _ in
                let before = range.descending ? key > bound : key < bound
                return before || (range.startExclusive && key == bound)
            }
        }
        if honoured, let end = range.end, let sample = keyed.first?.0 {
            guard let bound = sample.sameKind(end) else { throw Self.badBound(end, field.name) }
            keyed.removeAll { key, _ in range.descending ? key < bound : key > bound }
        }
        let size = range.pageSize
        let page = Array(keyed.prefix(size))
        return Self.describe(
            page.map(\.1), keys: page.map(\.0), more: keyed.count > size, field: field.name, range: range,
            acceptRanges: fields.map(\.name))
    }

    /// The page headers for items already chosen (by a database query, say).
    static func describe(
        _ items: [Element], keys: [SortKey], more: Bool, field: String, range: ListRange, acceptRanges: [String]
    ) -> Page<Element> {
        var headers = HTTPFields()
        headers[.acceptRanges] = acceptRanges.joined(separator: ", ")
        if let first = keys.first, let last = keys.last {
            headers[.contentRange] = "\(field) \(first.text)..\(last.text)"
        }
        let partial = more && keys.last != nil
        if partial, let last = keys.last {
            headers[.nextRange] = range.next(field: field, after: last.text)
        }
        return Page(items: items, headers: headers, isPartial: partial)
    }

    static func badBound(_ value: String, _ field: String) -> APIError {
        APIError(.badRequest, id: "bad_request", "Invalid Range header: \(value.debugDescription) is not a valid \(field).")
    }
}

extension HTTPField.Name {
    static let nextRange = Self("Next-Range")!
    static let requestID = Self("Request-Id")!
    static let rateLimitRemaining = Self("RateLimit-Remaining")!
}
