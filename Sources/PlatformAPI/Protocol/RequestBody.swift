import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenrukoCore
import Operations

extension Request {
    /// Decodes the JSON body; an empty body reads as `{}`. Unknown fields are ignored.
    /// - Throws: 400 for malformed JSON, 422 for the wrong types, 413 `request_too_large` beyond
    ///   `APIContext.jsonBodyLimit` (at once when `Content-Length` says so, without reading it).
    func json<T: Decodable>(_ type: T.Type, context: APIContext) async throws -> T {
        let limit = context.maxUploadSize
        if let declared = headers[.contentLength].flatMap({ Int($0) }), declared > limit { throw APIError.bodyTooLarge(limit) }
        var buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError.bodyTooLarge(limit)
        }
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        let data = bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) ? Data("{}".utf8) : Data(bytes)
        return try JSONDecoder().decode(T.self, from: data)
    }
}

/// A JSON value of any shape, for bodies whose fields are open-ended (config vars) or
/// that accept several types (formation quantities are numbers or strings).
enum JSONValue: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}

/// A formation quantity: the heroku CLI sends strings (`"2"`, `"+1"`, `"-1"`), heroku3 numbers.
struct QuantityValue: Decodable, Sendable {
    let quantity: FormationChange.Quantity

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text: String
        if let number = try? container.decode(Int.self) {
            text = String(number)
        } else if let string = try? container.decode(String.self) {
            text = string
        } else {
            throw DecodingError.typeMismatch(
                Int.self, .init(codingPath: decoder.codingPath, debugDescription: "quantity must be a number or a string like \"+1\""))
        }
        guard let quantity = FormationChange.Quantity(parsing: text) else {
            throw OpenrukoError(
                .invalid, "Invalid quantity \(text.debugDescription): use a count (2) or a change (+1, -1).", resource: "formation")
        }
        self.quantity = quantity
    }
}
