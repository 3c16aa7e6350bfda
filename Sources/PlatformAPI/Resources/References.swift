import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

// Wire shapes of the Platform API. Property names are the JSON names (snake_case), so the
// structs encode with a plain JSONEncoder, fast. Ids are lowercase UUIDs, times ISO 8601 UTC.

/// `{"id","name"}` (stack, region, generation, dyno size…).
struct NamedReference: Encodable, Sendable {
    var id: String
    var name: String

    /// A fixed reference whose id is derived from `kind` and `name`.
    static func fixed(_ kind: String, _ name: String) -> NamedReference {
        NamedReference(id: StableID.make("\(kind):\(name)"), name: name)
    }
}

/// `{"name","id"}` of an app.
struct AppReference: Encodable, Sendable {
    var name: String
    var id: String

    init(_ app: App) {
        name = app.name
        id = app.id.wire
    }
}

/// `{"id"}`.
struct IDReference: Encodable, Sendable {
    var id: String
}

/// `{"id","email"}` of a user.
struct UserReference: Encodable, Sendable {
    var id: String
    var email: String

    init(id: UUID?, email: String) {
        self.id = (id ?? StableID.nobody).wire
        self.email = email
    }
}

/// Ids for things that have no row of their own (stacks, the region, dyno sizes): a UUID
/// made from a SHA-256 of a name, the same on every server.
enum StableID {
    static func make(_ name: String) -> String {
        let digest = Array(SHA256.hash(data: Data(name.utf8)))
        var bytes = Array(digest.prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50  // version 5 layout
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
        let hex = Hex.encode(bytes)
        let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        return parts.joined(separator: "-")
    }

    /// The id shown for actions of no user (the local superuser, or a deleted user).
    static let nobody = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
}

extension UUID {
    /// The lowercase form the API uses.
    var wire: String { uuidString.lowercased() }
}

extension Date {
    /// `2026-11-21T05:00:00Z`.
    var wire: String { UTCCalendar.iso8601(self) }
}

/// A value written as JSON `null` when absent (a plain optional would be left out, and the
/// CLI reads fields like `space`, `repo_size` and `slug` expecting them present).
struct Nullable<Wrapped: Encodable & Sendable>: Encodable, Sendable, ExpressibleByNilLiteral {
    var value: Wrapped?

    init(_ value: Wrapped?) {
        self.value = value
    }

    init(nilLiteral: ()) {
        value = nil
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value { try container.encode(value) } else { try container.encodeNil() }
    }
}
