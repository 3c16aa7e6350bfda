@testable import Builder
import Foundation
import OpenrukoCore
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(15))) struct HerokuManifestTests {
    @Test func readsBuildConfigReleaseAndRun() throws {
        let manifest = try HerokuManifest(yaml: """
            setup:
              addons: [{plan: heroku-postgresql}]
            build:
              docker:
                web: ./Dockerfile
                worker: worker/Dockerfile
              config:
                RAILS_ENV: production
                WORKERS: 4
            release:
              image: worker
              command:
                - ./migrate.sh
            run:
              web: bundle exec puma -p $PORT
              worker:
                command: [python, "worker two.py"]
                image: worker
            """)
        #expect(manifest.dockerfiles == ["web": "Dockerfile", "worker": "worker/Dockerfile"])
        #expect(manifest.buildConfig == ["RAILS_ENV": "production", "WORKERS": "4"])
        #expect(manifest.release == .init(command: "./migrate.sh", image: "worker"))
        #expect(manifest.run["web"] == .init(command: "bundle exec puma -p $PORT", image: nil))
        #expect(manifest.run["worker"] == .init(command: "python 'worker two.py'", image: "worker"))
    }

    @Test(arguments: [
        ("build: [", "heroku.yml is not valid YAML"),
        ("- a\n- b\n", "heroku.yml must be a map"),
        ("build:\n  docker: Dockerfile\n", "build.docker must map process types"),
        ("build:\n  docker:\n    web: ../Dockerfile\n", "must be a path inside the repository"),
        ("build:\n  docker:\n    'bad type': Dockerfile\n", "is not a valid process type"),
        ("release:\n  image: web\n", "release needs a command"),
        ("run:\n  release: ./x\n", "goes under release.command"),
        ("build:\n  docker:\n    web: Dockerfile\nrelease:\n  command: x\n  image: api\n", "release.image names api"),
        ("build:\n  config:\n    A: [1]\n", "build.config.A must be a string"),
    ])
    func refusesWhatItCannotUse(yaml: String, message: String) {
        #expect {
            try HerokuManifest(yaml: yaml)
        } throws: { error in
            (error as? HerokuManifestError)?.message.contains(message) == true
        }
    }
}

@Suite(.timeLimit(.minutes(15))) struct HerokuManifestLimitTests {
    /// The 409-byte "billion laughs" manifest: nine levels of nine aliases each.
    static var aliasBomb: String {
        var text = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        for (previous, name) in zip(names, names.dropFirst()) {
            text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]\n"
        }
        return text + "build:\n  docker:\n    web: Dockerfile\n"
    }

    @Test func anAliasBombIsRefusedWithoutExpandingIt() {
        #expect(Self.aliasBomb.utf8.count < 600)
        #expect {
            try HerokuManifest(yaml: Self.aliasBomb)
        } throws: { error in
            (error as? HerokuManifestError)?.message.contains("expands to more than 10000 values") == true
        }
    }

    @Test func aFewAliasesStillWork() throws {
        let manifest = try HerokuManifest(yaml: """
            x-cmd: &cmd ./web
            build:
              docker:
                web: Dockerfile
            run:
              web: *cmd
            """)
        #expect(manifest.run["web"]?.command == "./web")
    }

    @Test func hugeOrDeepManifestsAreRefused() {
        #expect(throws: HerokuManifestError.self) { try HerokuManifest(yaml: "a: " + String(repeating: "x", count: 70_000)) }
        #expect(throws: HerokuManifestError.self) {
            try HerokuManifest(yaml: "a: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000))
        }
    }
}

@Suite(.timeLimit(.minutes(15))) struct ContainerPlanTests {
    static func image(_ key: String, entrypoint: [String] = [], cmd: [String]) -> ContainerImage {
        ContainerImage(key: key, imageID: "id-" + key, environment: [], workingDirectory: "/", uid: nil, gid: nil, entrypoint: entrypoint, cmd: cmd)
    }

    @Test func aRootDockerfileRunsItsCommandAsWebUnlessTheProcfileSaysOtherwise() {
        let plan = ContainerPlan(manifest: HerokuManifest())
        #expect(plan.builds.map(\.0) == ["Dockerfile"])
        let images = ["web": Self.image("web", entrypoint: ["/bin/app"], cmd: ["--port", "$PORT"])]
        let plain = plan.processTypes(images: images, procfile: nil)
        #expect(plain.processTypes == ["web": "/bin/app --port '$PORT'"])
        #expect(plain.images["web"]?.arguments(for: "/bin/app --port '$PORT'") == ["/bin/app", "--port", "$PORT"])
        let procfile = plan.processTypes(images: images, procfile: Procfile(parsing: "web: ./serve $PORT\nclock: ./tick\n"))
        #expect(procfile.processTypes == ["web": "./serve $PORT", "clock": "./tick"])
        #expect(procfile.images["clock"]?.arguments(for: "./tick") == ["/bin/sh", "-c", "./tick"])
    }

    @Test func herokuYmlRunWinsOverTheProcfileAndEachTypeGetsItsImage() throws {
        let manifest = try HerokuManifest(yaml: """
            build:
              docker:
                web: Dockerfile
                api: Dockerfile
                worker: worker/Dockerfile
            release:
              command: [./release]
            run:
              web: ./web
            """)
        let plan = ContainerPlan(manifest: manifest)
        #expect(plan.builds.map(\.0) == ["Dockerfile", "worker/Dockerfile"])
        #expect(plan.builds.map(\.1) == ["web", "worker"])
        let images = ["web": Self.image("web", cmd: ["/bin/web-default"]), "worker": Self.image("worker", cmd: ["/bin/work"])]
        let result = plan.processTypes(images: images, procfile: Procfile(parsing: "web: ignored\nother: ./other\n"))
        #expect(result.processTypes == ["web": "./web", "api": "/bin/web-default", "worker": "/bin/work", "other": "./other", "release": "./release"])
        #expect(result.images["worker"]?.key == "worker")
        #expect(result.images["api"]?.key == "web")
        #expect(result.images["other"]?.key == "web")
        #expect(result.images["release"]?.key == "web")
    }

    @Test func imageUsersResolveAgainstTheImagesOwnAccounts() throws {
        let root = TemporaryDirectory("openruko-image-user")
        try FileManager.default.createDirectory(atPath: root.appending("etc"), withIntermediateDirectories: true)
        try "root:x:0:0::/root:/bin/sh\napp:x:1001:1002::/home/app:/bin/sh\n".write(toFile: root.appending("etc/passwd"), atomically: true, encoding: .utf8)
        try "root:x:0:\nstaff:x:50:\n".write(toFile: root.appending("etc/group"), atomically: true, encoding: .utf8)
        #expect(try ImageConfig.resolve(user: "", rootfs: root.path) == (nil, nil))
        #expect(try ImageConfig.resolve(user: "root", rootfs: root.path) == (nil, nil))
        #expect(try ImageConfig.resolve(user: "app", rootfs: root.path) == (1001, 1002))
        #expect(try ImageConfig.resolve(user: "app:staff", rootfs: root.path) == (1001, 50))
        #expect(try ImageConfig.resolve(user: "1001", rootfs: root.path) == (1001, 1002))
        #expect(try ImageConfig.resolve(user: "4000:4001", rootfs: root.path) == (4000, 4001))
        #expect(throws: OpenrukoError.self) { try ImageConfig.resolve(user: "ghost", rootfs: root.path) }
    }
}

@Suite(.timeLimit(.minutes(15))) struct ContainerSettingsTests {
    @Test func imageCapAndStorageDriverComeFromTheEnvironment() throws {
        let defaults = try BuildSettings.from(environment: [:])
        #expect(defaults.imageMaxBytes == 2 << 30)
        #expect(defaults.containerStorageDriver == "vfs")
        let set = try BuildSettings.from(environment: ["OPENRUKO_IMAGE_MAX_BYTES": "1000", "OPENRUKO_CONTAINER_STORAGE_DRIVER": "overlay"])
        #expect(set.imageMaxBytes == 1000)
        #expect(set.containerStorageDriver == "overlay")
        #expect(throws: OpenrukoError.self) { try BuildSettings.from(environment: ["OPENRUKO_CONTAINER_STORAGE_DRIVER": "btrfs"]) }
        #expect(throws: OpenrukoError.self) { try BuildSettings.from(environment: ["OPENRUKO_IMAGE_MAX_BYTES": "-1"]) }
    }
}
