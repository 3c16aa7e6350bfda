import AppLogs
import Foundation
import OpenrukoCore
import TestSupport
import Testing

/// A drain to a real HTTP/1.0 server (Python's http.server: it answers, then closes the
/// connection) while lines trickle in: every line arrives once, in order, without waiting.
@Suite(.timeLimit(.minutes(15))) struct HTTP10DrainTests {
    static let http = DrainReceiverScripts.logplexHTTP

    @Test func anHTTP10ReceiverThatClosesAfterEachAnswerGetsEveryLineOnceInOrder() async throws {
        let directory = TemporaryDirectory("openruko-http10")
        try Data(Self.http.utf8).write(to: URL(fileURLWithPath: directory.appending("receiver.py")))
        let receiver = try await BackgroundProcess(
            ["/usr/bin/python3", "-u", directory.appending("receiver.py"), directory.appending("received"), "0"],
            log: directory.appending("log"))
        defer { receiver.stop() }
        let port = try await waitFor {
            (FileManager.default.contents(atPath: directory.appending("log"))).flatMap {
                Int(String(decoding: $0, as: UTF8.self).split(separator: "\n").first ?? "")
            }
        }
        let fixture = DrainTests.Fixture()
        try await fixture.add("http://127.0.0.1:\(port)/logs")
        func received() -> [Int] {
            String(decoding: FileManager.default.contents(atPath: directory.appending("received")) ?? Data(), as: UTF8.self)
                .split(separator: "\n").filter { $0.contains(" app burst.1 ") }.compactMap { Int($0.split(separator: " ").last ?? "") }
        }
        for round in 0..<2 {
            // Lines come in small groups, as from a dyno's pipe.
            for group in 0..<20 {
                for index in 1...100 { fixture.logs.store.emit(line(fixture.app, "burst.1", "burst \(round * 2000 + group * 100 + index)")) }
                try await Task.sleep(for: .milliseconds(5))
            }
            _ = try await waitFor { received().count >= (round + 1) * 2000 ? true : nil }
        }
        #expect(received() == Array(1...4000))
    }
}
