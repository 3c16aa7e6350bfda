import Foundation
import NIOCore
import NIOHTTP1
import OpenrukoCore
import TestSupport
import Testing

@testable import Routing

/// Bodies stream through the router in both directions, and upgraded connections become
/// raw tunnels.
@Suite(.timeLimit(.minutes(15))) struct RouterStreamingTests {
    func decode(_ text: String) throws -> Echo {
        try JSONDecoder().decode(Echo.self, from: Data(text.utf8))
    }

    @Test func chunkedUploadsReachTheDynoBeforeTheyEnd() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        try await RouterHarness.with { router in
            router.routes.set("up.localhost", .backends(app: "up", appID: UUID(), [backend.backend]))
            let client = try await TestClient.connect(port: router.port)
            var responses = client.parts.makeAsyncIterator()
            let head = HTTPRequestHead(
                version: .http1_1, method: .POST, uri: "/upload",
                headers: HTTPHeaders([("host", "up.localhost"), ("transfer-encoding", "chunked")]))
            try await client.send(.head(head))
            try await client.send(.body(.byteBuffer(ByteBuffer(string: "part one;"))))
            // The dyno sees the first part while the client still holds the rest back.
            let gates = backend.gates
            try await within { await gates.wait("upload-first-part") }
            try await client.send(.body(.byteBuffer(ByteBuffer(string: "part two"))))
            try await client.send(.end(nil))
            let response = try await responses.response()
            let echo = try decode(response.body)
            #expect(echo.bodyBytes == 17)
            #expect(echo.headers["transfer-encoding"] == "chunked")
            await client.close()

            // A large upload from curl, streamed from stdin as chunks.
            var payload = Data(count: 3_000_000)
            for index in payload.indices { payload[index] = UInt8(truncatingIfNeeded: index &* 31) }
            let upload = try await router.curl(
                "up.localhost", ["/upload"], ["-T", "-", "-H", "Transfer-Encoding: chunked", "-H", "Expect:"], input: payload)
            #expect(upload.status == 0, "\(upload.stderr)")
            let large = try decode(upload.stdout)
            #expect(large.bodyBytes == payload.count)
            #expect(large.bodySHA == Checksum.hex(payload))
        }
        await backend.stop()
    }

    @Test func interimResponsesReachTheClient() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        try await RouterHarness.with { router in
            router.routes.set("expect.localhost", .backends(app: "expect", appID: UUID(), [backend.backend]))
            let body = Data(repeating: UInt8(ascii: "x"), count: 5000)
            let result = try await router.curl(
                "expect.localhost", ["/upload"],
                ["-v", "--expect100-timeout", "20", "-H", "Expect: 100-continue", "--data-binary", "@-"], input: body)
            #expect(result.stderr.contains("< HTTP/1.1 100 Continue"), "\(result.stderr)")
            #expect(try decode(result.stdout).bodyBytes == 5000)
        }
        await backend.stop()
    }

    @Test func chunkedDownloadsReachTheClientAsTheDynoSendsThem() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        try await RouterHarness.with { router in
            router.routes.set("down.localhost", .backends(app: "down", appID: UUID(), [backend.backend]))
            let client = try await TestClient.connect(port: router.port)
            var parts = client.parts.makeAsyncIterator()
            try await client.get("/stream", host: "down.localhost")
            guard case .head(let head) = try await parts.nextPart() else { throw TestFailure("no head") }
            #expect(head.status == .ok)
            #expect(head.headers["transfer-encoding"] == ["chunked"])
            guard case .body(let first) = try await parts.nextPart() else { throw TestFailure("no first chunk") }
            #expect(String(buffer: first) == "first\n")
            // Only now may the dyno send the rest: the first chunk was not held back.
            #expect(!backend.gates.isOpen("stream-second"))
            backend.gates.open("stream-second")
            guard case .body(let second) = try await parts.nextPart() else { throw TestFailure("no second chunk") }
            #expect(String(buffer: second) == "second\n")
            guard case .end = try await parts.nextPart() else { throw TestFailure("no end") }
            await client.close()

            // Many megabytes through a reader slower than the router: all of it, in order.
            let size = 20_000_000
            let big = try await router.curl(
                "down.localhost", ["/big/\(size)"], ["--limit-rate", "40M", "-o", "/dev/null", "-w", "%{size_download}"])
            #expect(big.stdout == String(size), "\(big.stderr)")
        }
        await backend.stop()
    }

    @Test func webSocketsPassThroughAfterThe101() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        try await RouterHarness.with { router in
            router.routes.set("ws.localhost", .backends(app: "ws", appID: UUID(), [backend.backend]))
            let script = """
                import socket, sys
                from websockets.sync.client import connect
                sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
                with connect("ws://ws.localhost/ws", sock=sock, open_timeout=10, max_size=None) as ws:
                    for message in ["hello", "x" * 200000, b"\\x00\\x01binary"]:
                        ws.send(message)
                        echoed = ws.recv(timeout=10)
                        print("echo ok" if echoed == message else "echo MISMATCH")
                print("closed", ws.close_code)
                """
            let result = try await ProcessRunner.run("/usr/bin/env", ["python3", "-c", script, String(router.port)])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout == "echo ok\necho ok\necho ok\nclosed 1000\n", "\(result.stdout)\(result.stderr)")
            let lines = try await router.logs.wait(for: 1)
            #expect(lines[0].message.contains(" status=101 "))
            #expect(lines[0].message.contains(#"path="/ws""#))
            // After the tunnel, plain requests on new connections still work.
            #expect(try decode(try await router.curl("ws.localhost", ["/after"]).stdout).path == "/after")
        }
        await backend.stop()
    }
}
