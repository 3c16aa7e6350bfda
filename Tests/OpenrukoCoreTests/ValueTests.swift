import Foundation
import OpenrukoCore
import Testing

@Suite(.timeLimit(.minutes(15))) struct AppNameTests {
    @Test(arguments: ["web", "my-app-1", "a23", String(repeating: "a", count: 30)])
    func acceptsHerokuNames(_ name: String) throws {
        #expect(try AppName(name).rawValue == name)
    }

    @Test(arguments: ["ab", "Web", "1app", "my_app", "app-", "-app", "a b", "", String(repeating: "a", count: 31), "../x"])
    func rejectsOthers(_ name: String) {
        #expect(throws: OpenrukoError.self) { try AppName(name) }
    }
}

@Suite(.timeLimit(.minutes(15))) struct ConfigKeyTests {
    @Test(arguments: ["FOO", "DATABASE_URL", "a.b", "X1"])
    func acceptsKeys(_ key: String) throws {
        try ConfigKey.validate(key)
    }

    @Test(arguments: ["", "A=B", "A\nB", "A B", "A\tB", "..", "a/b"])
    func rejectsKeys(_ key: String) {
        #expect(throws: OpenrukoError.self) { try ConfigKey.validate(key) }
    }

    @Test func describesChangesLikeHeroku() {
        #expect(ConfigKey.setDescription(["BAR", "FOO"]) == "Set BAR, FOO config vars")
        #expect(ConfigKey.removeDescription(["FOO"]) == "Remove FOO config vars")
    }
}

@Suite(.timeLimit(.minutes(15))) struct FormationChangeTests {
    @Test func parsesAbsoluteRelativeAndSizes() throws {
        #expect(try FormationChange(parsing: "web=2") == FormationChange(type: "web", quantity: .absolute(2), size: nil))
        #expect(try FormationChange(parsing: "worker+1") == FormationChange(type: "worker", quantity: .relative(1), size: nil))
        #expect(try FormationChange(parsing: "web-1") == FormationChange(type: "web", quantity: .relative(-1), size: nil))
        #expect(try FormationChange(parsing: "my-worker-3") == FormationChange(type: "my-worker", quantity: .relative(-3), size: nil))
        #expect(
            try FormationChange(parsing: "web=1:standard-2X")
                == FormationChange(type: "web", quantity: .absolute(1), size: "standard-2X"))
        #expect(try FormationChange(parsing: "web:standard-2X") == FormationChange(type: "web", quantity: nil, size: "standard-2X"))
    }

    @Test(arguments: ["web", "web=", "=2", "web=two", "web=-1x", "we b=1", "web=1:"])
    func rejectsJunk(_ text: String) {
        #expect(throws: OpenrukoError.self) { try FormationChange(parsing: text) }
    }

    @Test func relativeQuantitiesNeverGoBelowZero() {
        #expect(FormationChange.Quantity.relative(-5).applied(to: 2) == 0)
        #expect(FormationChange.Quantity.relative(2).applied(to: 1) == 3)
        #expect(FormationChange.Quantity(parsing: "+1") == .relative(1))
        #expect(FormationChange.Quantity(parsing: "-2") == .relative(-2))
        #expect(FormationChange.Quantity(parsing: "3") == .absolute(3))
    }
}

@Suite(.timeLimit(.minutes(15))) struct LogFormatTests {
    @Test func formatsLikeLogplex() {
        let date = Date(timeIntervalSince1970: 1_795_237_200.123456)  // 2026-11-22T…
        let line = LogLine(timestamp: date, appID: UUID(), source: "app", process: "web.1", message: "hello")
        #expect(line.formatted.hasSuffix("+00:00 app[web.1]: hello"))
        #expect(line.formatted.contains(".123456+00:00") || line.formatted.contains(".123455+00:00"))
        #expect(LogLine.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000000+00:00")
        #expect(UTCCalendar.iso8601(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00Z")
    }

    @Test func filtersByDynoAndSource() {
        let line = LogLine(appID: UUID(), source: "app", process: "web.1", message: "x")
        #expect(LogQuery(dyno: "web").matches(line))
        #expect(LogQuery(dyno: "web.1").matches(line))
        #expect(!LogQuery(dyno: "web.2").matches(line))
        #expect(!LogQuery(dyno: "worker").matches(line))
        #expect(!LogQuery(source: "heroku").matches(line))
    }
}

@Suite(.timeLimit(.minutes(15))) struct ListenAddressTests {
    @Test func parsesHostAndPort() throws {
        #expect(try ListenAddress(parsing: "0.0.0.0:2222", option: "x") == ListenAddress(host: "0.0.0.0", port: 2222))
        #expect(try ListenAddress(parsing: "[::1]:0", option: "x") == ListenAddress(host: "::1", port: 0))
        #expect(throws: OpenrukoError.self) { try ListenAddress(parsing: "2222", option: "x") }
        #expect(throws: OpenrukoError.self) { try ListenAddress(parsing: "h:70000", option: "x") }
    }
}
