import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenrukoCore
import Operations

/// An error as the Platform API answers it: an HTTP status and Heroku's
/// `{"id","message","resource"}` body.
struct APIError: Error, Equatable, Sendable, HTTPResponseError {
    var status: HTTPResponse.Status
    /// Heroku's error id (`not_found`, `invalid_params`…).
    var id: String
    var message: String
    var resource: String?
    /// Seconds after which the client may try again (`Retry-After`), for 429 and 503.
    var retryAfter: Int?

    init(_ status: HTTPResponse.Status, id: String, _ message: String, resource: String? = nil, retryAfter: Int? = nil) {
        self.status = status
        self.id = id
        self.message = message
        self.resource = resource
        self.retryAfter = retryAfter
    }

    /// 413 `request_too_large`: a JSON body beyond `limit` bytes.
    static func bodyTooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, id: "request_too_large", "Request body is too large: JSON bodies are limited to \(limit / 1024) kB.")
    }

    /// The API form of an operations-layer error.
    init(_ error: OpenrukoError) {
        let status: HTTPResponse.Status =
            switch error.kind {
            case .notFound: .notFound
            case .forbidden: .forbidden
            case .invalid: .unprocessableContent
            case .conflict: .conflict
            case .unauthorized: .unauthorized
            case .unavailable: .serviceUnavailable
            case .internal: .internalServerError
            }
        self.init(status, id: error.kind.rawValue, error.message, resource: error.resource)
    }

    /// Any error thrown while answering, in API form (unknown errors become a 500 that
    /// names them, never a crash).
    init(any error: any Error) {
        switch error {
        case let error as APIError: self = error
        case let error as OpenrukoError: self.init(error)
        case let error as DecodingError: self = Self.decoding(error)
        case is NIOTooManyBytesError: self = Self.bodyTooLarge(APIContext.jsonBodyLimit)
        case let error as HTTPError:
            let id =
                switch error.status {
                case .notFound: "not_found"
                case .contentTooLarge: "request_too_large"
                case .badRequest: "bad_request"
                case .methodNotAllowed: "method_not_allowed"
                default: "error"
                }
            let message = error.body ?? (error.status == .notFound ? Self.noSuchEndpoint : error.status.reasonPhrase)
            self.init(error.status, id: id, message)
        default:
            self.init(.internalServerError, id: "internal_error", "Internal error: \(error)")
        }
    }

    /// Heroku's words for a path or method the API does not serve.
    static let noSuchEndpoint =
        "The requested API endpoint was not found. Are you using the right HTTP verb (i.e. `GET` vs. `POST`), "
        + "and did you specify your intended version with the `Accept` header?"

    /// Malformed JSON is a 400; JSON of the wrong shape (types, missing fields) a 422.
    static func decoding(_ error: DecodingError) -> APIError {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.isEmpty ? "the body" : codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return APIError(.badRequest, id: "bad_request", "Request body is not valid JSON.")
        case .dataCorrupted(let context):
            return APIError(.unprocessableContent, id: "invalid_params", "Invalid params: \(path(context.codingPath)): \(context.debugDescription)")
        case .typeMismatch(let type, let context):
            return APIError(
                .unprocessableContent, id: "invalid_params", "Invalid params: \(path(context.codingPath)) must be \(Self.describe(type)).")
        case .valueNotFound(let type, let context):
            return APIError(
                .unprocessableContent, id: "invalid_params", "Invalid params: \(path(context.codingPath)) must be \(Self.describe(type)), not null.")
        case .keyNotFound(let key, let context):
            return APIError(
                .unprocessableContent, id: "invalid_params", "Invalid params: \(path(context.codingPath + [key])) is required.")
        @unknown default:
            return APIError(.unprocessableContent, id: "invalid_params", "Invalid params.")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Bool.Type: "a boolean"
        case is [Any].Type: "an array"
        default: "an object"
        }
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    /// The JSON error response.
    func response() -> Response {
        Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: jsonText)))
    }

    /// Heroku's error body: `{"id","message"}` and the resource when there is one.
    var jsonText: String {
        var body = #"{"id":"# + JSONText.quote(id) + #","message":"# + JSONText.quote(message)
        if let resource { body += #","resource":"# + JSONText.quote(resource) }
        return body + "}"
    }

    /// `Content-Type: application/json`, and `Retry-After` when there is one.
    var headers: HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return headers
    }
}

/// Minimal JSON text helpers for hand-built bodies.
enum JSONText {
    /// A JSON string literal for `text`, with quotes.
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
