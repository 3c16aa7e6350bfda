import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenrukoCore
import Operations

/// Builds the API's JSON responses: `Content-Type: application/json`, and on GETs a strong
/// `ETag` computed from the body (so it changes whenever the content does) with `304 Not
/// Modified` when the request's `If-None-Match` already has it.
enum JSONResponse {
    /// Encodes `value` as the response.
    static func make(
        _ value: some Encodable, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:], for request: Request
    ) throws -> Response {
        make(data: try encode(value), status: status, headers: extra, for: request)
    }

    /// The JSON text of a value (keys sorted, so equal content gives equal bytes and ETags).
    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return try encoder.encode(value)
    }

    /// Answers already-encoded JSON (`etag`: the body's, when already known).
    static func make(
        data: Data, etag known: String? = nil, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:],
        for request: Request
    ) -> Response {
        var headers = extra
        headers[.contentType] = "application/json"
        if request.method == .get || request.method == .head {
            let etag = known ?? "\"" + etagDigest(data) + "\""
            headers[.eTag] = etag
            if matches(request.headers[.ifNoneMatch], etag) {
                return Response(status: .notModified, headers: headers, body: .init())
            }
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The first 16 bytes of the body's SHA-256, in hex.
    static func etagDigest(_ data: Data) -> String {
        SHA256.hash(data: data).withUnsafeBytes { Hex.encode(UnsafeRawBufferPointer(rebasing: $0.prefix(16))) }
    }

    /// Whether an `If-None-Match` value lists `etag` (or is `*`); weak forms match too.
    static func matches(_ header: String?, _ etag: String) -> Bool {
        guard let header else { return false }
        return header.split(separator: ",").contains { candidate in
            var tag = candidate.trimmingCharacters(in: .whitespaces)
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            return tag == etag
        }
    }

    /// An empty JSON object, as the answer to actions without a resource (`{}`).
    static func empty(status: HTTPResponse.Status, for request: Request) -> Response {
        make(data: Data("{}".utf8), status: status, for: request)
    }
}
