import Foundation
import OpenrukoCore
import Runtime
import Testing

/// What a dyno's process is given, and how its output becomes log lines.
@Suite(.timeLimit(.minutes(15))) struct DynoEnvironmentTests {
    @Test func configVarsCannotOverrideThePlatformsVariables() {
        let app = App(
            id: UUID(), name: "shop", ownerID: UUID(), ownerEmail: "a@b", stack: "host", buildpacks: [], createdAt: Date(),
            updatedAt: Date())
        let release = Release(
            id: UUID(), appID: app.id, version: 42, slugID: nil, config: ["PORT": "1", "DYNO": "x", "PATH": "/opt/bin", "A": "b\nc"],
            description: "Deploy", userID: nil, userEmail: "a@b", status: .succeeded, isCurrent: true,
            createdAt: Date(timeIntervalSince1970: 1_700_000_000), updatedAt: Date())
        let environment = DynoEnvironment(app: app, release: release, slug: nil, dyno: "web.2", port: 5005, instance: UUID())
        let variables = environment.variables
        #expect(variables["PORT"] == "5005")
        #expect(variables["DYNO"] == "web.2")
        #expect(variables["PS"] == "web.2")
        #expect(variables["HOME"] == "/app")
        #expect(variables["PATH"] == "/opt/bin", "PATH is the app's to set")
        #expect(variables["A"] == "b\nc")
        #expect(variables["HEROKU_RELEASE_VERSION"] == "v42")
        #expect(variables["HEROKU_RELEASE_CREATED_AT"] == "2023-11-14T22:13:20Z")
        #expect(DynoEnvironment.launcher("bin/web --port $PORT").suffix(2) == ["openruko-dyno", "bin/web --port $PORT"])
    }

    @Test func containerDynosGetTheImageEnvThenConfigThenThePlatformsVariables() {
        let app = App(
            id: UUID(), name: "boxed", ownerID: UUID(), ownerEmail: "a@b", stack: "host", buildpacks: [], createdAt: Date(),
            updatedAt: Date())
        let release = Release(
            id: UUID(), appID: app.id, version: 7, slugID: nil, config: ["LANG": "C.UTF-8", "PORT": "1"], description: "Deploy",
            userID: nil, userEmail: "a@b", status: .succeeded, isCurrent: true, createdAt: Date(), updatedAt: Date())
        let slug = Slug(
            id: UUID(), appID: app.id, processTypes: [:], size: 1, checksum: "", commit: "abc1234def", commitDescription: nil,
            buildpackDescription: "container", stack: "host", createdAt: Date())
        let image = ContainerImage(
            key: "web", imageID: "x", environment: ["PATH=/venv/bin:/bin", "LANG=en_US", "EMPTY=", "A=b=c"], workingDirectory: "/srv",
            uid: 1000, gid: 1000, entrypoint: [], cmd: ["/bin/sh", "-c", "exec server"])
        let variables = DynoEnvironment(app: app, release: release, slug: slug, dyno: "web.1", port: 5005, instance: UUID())
            .variables(image: image)
        #expect(variables["PATH"] == "/venv/bin:/bin")
        #expect(variables["LANG"] == "C.UTF-8", "config vars override the image's ENV")
        #expect(variables["EMPTY"] == "")
        #expect(variables["A"] == "b=c")
        #expect(variables["HOME"] == "/")
        #expect(variables["PORT"] == "5005")
        #expect(variables["HEROKU_RELEASE_VERSION"] == "v7")
        #expect(variables["HEROKU_SLUG_COMMIT"] == "abc1234def")
        #expect(image.arguments(for: image.defaultCommand) == ["/bin/sh", "-c", "exec server"])
        #expect(image.arguments(for: "exec other") == ["/bin/sh", "-c", "exec other"])
    }

    @Test func outputBecomesLinesAndLongLinesAreCut() {
        let seen = LinesSeen()
        let tail = OutputTail(limit: 3) { seen.add($0) }
        tail.append(Data("one\r\ntw".utf8))
        tail.append(Data("o\nthree\nfour\npartial".utf8))
        #expect(seen.lines == ["one", "two", "three", "four"])
        #expect(tail.lines == ["two", "three", "four"])
        tail.flush()
        #expect(seen.lines.last == "partial")
        tail.append(Data(String(repeating: "x", count: OutputTail.maximumLineBytes + 5).utf8))
        #expect(seen.lines.last?.count == OutputTail.maximumLineBytes)
    }
}

final class LinesSeen: @unchecked Sendable {
    // @unchecked: `stored` is only touched while holding `lock`.
    private let lock = NSLock()
    private var stored: [String] = []
    func add(_ line: String) { lock.withLock { stored.append(line) } }
    var lines: [String] { lock.withLock { stored } }
}
