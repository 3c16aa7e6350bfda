import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OpenrukoCore
import Operations
import Testing
import TestSupport

@testable import PlatformAPI

/// A log store for tests: fixed lines, then (when tailing) silence until cancelled.
struct FixedLogReader: LogReader {
    let lines: [String]

    func read(app: App, query: LogQuery) -> AsyncStream<String> {
        AsyncStream { continuation in
            for line in lines.suffix(query.lines) { continuation.yield(line) }
            if !query.tail { continuation.finish() }
        }
    }
}

@Suite("Log sessions and streams", .timeLimit(.minutes(15)))
struct LogStreamTests {
    static let lines = [
        "2026-11-21T05:00:00.000000+00:00 app[web.1]: hello",
        "2026-11-21T05:00:01.000000+00:00 heroku[router]: at=info path=/",
    ]

    func withServer(_ body: @escaping @Sendable (any TestClientProtocol, String, String) async throws -> Void) async throws {
        let installation = try TestInstallation()
        let (_, user) = try installation.seedUsers()
        let app = try installation.platform.createApp(name: "logapp", owner: nil, as: .user(user))
        let (_, token) = try installation.platform.createToken(user: nil, as: .user(user))
        let server = APIServer(
            platform: installation.platform, listen: ListenAddress(host: "127.0.0.1", port: 0), registry: nil,
            logs: FixedLogReader(lines: Self.lines), heartbeat: .milliseconds(20))
        try await server.application().test(.router) { client in
            try await body(client, token, app.name)
        }
    }

    func logplexURL(_ client: any TestClientProtocol, token: String, app: String, body: String) async throws -> String {
        let response = try await client.execute(
            uri: "/apps/\(app)/log-sessions", method: .post,
            headers: [.authorization: "Bearer \(token)", .contentType: "application/json"], body: ByteBuffer(string: body))
        #expect(response.status == .created)
        let json = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
        let url = try #require(json?["logplex_url"] as? String)
        let start = try #require(url.range(of: "/streams/"))
        return String(url[start.lowerBound...])
    }

    @Test("SSE: one data event per line, text/event-stream, closed after the last lines")
    func events() async throws {
        try await withServer { client, token, app in
            let path = try await logplexURL(client, token: token, app: app, body: #"{"lines": 100, "dyno": "web"}"#)
            let response = try await client.execute(uri: path, method: .get, headers: [.accept: "text/event-stream"])
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/event-stream") == true)
            #expect(String(buffer: response.body) == Self.lines.map { "data: \($0)\n\n" }.joined())
        }
    }

    @Test("plain: newline-terminated lines for clients that do not ask for events")
    func plain() async throws {
        try await withServer { client, token, app in
            let path = try await logplexURL(client, token: token, app: app, body: #"{"lines": 1}"#)
            let response = try await client.execute(uri: path, method: .get)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            #expect(String(buffer: response.body) == Self.lines[1] + "\n")
        }
    }

    @Test("the session URL needs no Authorization but a valid token in it")
    func capability() async throws {
        try await withServer { client, token, app in
            let path = try await logplexURL(client, token: token, app: app, body: "{}")
            let forged = try await client.execute(uri: path + "x", method: .get)
            #expect(forged.status == .notFound)
            let invalid = try await client.execute(
                uri: "/apps/\(app)/log-sessions", method: .post, headers: [.authorization: "Bearer \(token)"],
                body: ByteBuffer(string: #"{"source": "elsewhere"}"#))
            #expect(invalid.status == .unprocessableContent)
        }
    }

    @Test("a multi-line message becomes several data fields of one event")
    func multiline() {
        #expect(TextStream.event("a\nb") == "data: a\ndata: b\n\n")
    }

    @Test("a tailing SSE stream sends heartbeats while idle")
    func heartbeat() async throws {
        let lines = AsyncStream<String> { continuation in continuation.yield("first") }
        let response = TextStream.response(lines, events: true, tail: true, heartbeat: .milliseconds(10))
        let collector = Collector()
        do {
            try await response.body.write(CollectingWriter(collector: collector))
        } catch is Collector.Enough {}
        let text = await collector.text
        #expect(text.hasPrefix("data: first\n\n"))
        #expect(text.contains(TextStream.heartbeat))
    }
}

/// Gathers a streamed body until a heartbeat arrives.
actor Collector {
    struct Enough: Error {}
    var text = ""

    func add(_ chunk: String) throws {
        text += chunk
        if text.contains(TextStream.heartbeat) { throw Enough() }
    }
}

struct CollectingWriter: ResponseBodyWriter {
    let collector: Collector

    mutating func write(_ buffer: ByteBuffer) async throws {
        try await collector.add(String(buffer: buffer))
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
