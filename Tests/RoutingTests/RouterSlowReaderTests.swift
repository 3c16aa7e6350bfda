import Foundation
import NIOCore
import OpenrukoCore
import Testing
import TestSupport

@testable import Routing

/// A client that reads a large response, but too slowly (issue 21): each `responseIdleTimeout`
/// window in which the router waits on it and it takes less than `responseMinimumBytes`, the
/// connection is cut and logged as H15, like a window in which nothing went out. The response
/// (64 MB) is far larger than what the socket buffers on loopback absorb; the reader keeps
/// bytes flowing often enough that Heroku's no-byte window alone would never end it. The
/// window is shortened; the checks are on what happens, never on how long it took.
@Suite(.timeLimit(.minutes(5))) struct RouterSlowReaderTests {
    static let size = 64 << 20

    static func rateRule(_ configuration: inout RouterConfiguration) {
        configuration.responseIdleTimeout = .seconds(3)
        configuration.responseMinimumBytes = 4 << 20
    }

    @Test func aClientReadingTooSlowlyIsCutWithH15() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        try await RouterHarness.with(configure: Self.rateRule) { router in
            router.routes.set("slow.localhost", .backends(app: "slow", appID: UUID(), [backend.backend]))
            // 256 KiB a second: a write many times a window, but 768 KiB a window against 4 MiB
            // (what the socket buffers took before the cut drains within seconds).
            let result = try await ProcessRunner.run(
                "/usr/bin/python3",
                ["-c", Self.rateReader, String(router.port), "GET /big/\(Self.size) HTTP/1.1\r\nHost: slow.localhost\r\n\r\n", "262144"])
            let fields = result.stdout.split(separator: " ")
            #expect(fields.first == "eof", "\(result.stdout) \(result.stderr)")
            #expect((fields.last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? Self.size) < Self.size / 2)
            let lines = try await router.logs.wait(for: 1)
            #expect(lines.contains { $0.message.contains("code=H15") && $0.message.contains("desc=\"Idle connection\"") }, "\(lines.map(\.message))")
        }
        await backend.stop()
    }

    @Test func aClientReadingAtAWorkingRateGetsAllOfIt() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        try await RouterHarness.with(configure: Self.rateRule) { router in
            router.routes.set("fast.localhost", .backends(app: "fast", appID: UUID(), [backend.backend]))
            let request = "GET /big/\(Self.size) HTTP/1.1\r\nHost: fast.localhost\r\nConnection: close\r\n\r\n"
            let result = try await ProcessRunner.run("/usr/bin/python3", ["-c", Self.rateReader, String(router.port), request, "0"])
            let fields = result.stdout.split(separator: " ")
            #expect(fields.first == "eof", "\(result.stdout) \(result.stderr)")
            // The whole body (chunked) behind its head.
            #expect((fields.last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0) > Self.size)
            let lines = try await router.logs.wait(for: 1)
            #expect(lines.allSatisfy { !$0.message.contains("code=") }, "\(lines.map(\.message))")
        }
        await backend.stop()
    }

    /// Sends argv[2] with a small receive buffer, then reads argv[3] bytes a second (0: as fast
    /// as it can) for at most 60 s: prints `eof BYTES` when the router closed, `open BYTES`
    /// otherwise.
    static let rateReader = """
        import socket, sys, time
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        s.connect(("127.0.0.1", int(sys.argv[1])))
        s.sendall(sys.argv[2].encode())
        rate = int(sys.argv[3])
        s.settimeout(30)
        start, total, end = time.monotonic(), 0, "open"
        try:
            while time.monotonic() - start < 60:
                chunk = s.recv(4096 if rate else 1 << 20)
                if not chunk:
                    end = "eof"
                    break
                total += len(chunk)
                if rate:
                    time.sleep(max(0.0, start + total / rate - time.monotonic()))
        except ConnectionResetError:
            end = "eof"
        except socket.timeout:
            pass
        print(end, total)
        """
}
