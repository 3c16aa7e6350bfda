// swift-tools-version:6.1
// openruko: a self-hosted Heroku. Targets follow DESIGN.md §3.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "openruko",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "openruko", targets: ["openruko"])
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.0"),
    ],
    targets: [
        // MARK: - C shims (system libraries)
        .systemLibrary(
            name: "CLibSSH",
            pkgConfig: "libssh",
            providers: [.apt(["libssh-dev"])]
        ),
        .systemLibrary(
            name: "CLibGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        // glibc's malloc.h (malloc_trim: the daemon gives freed memory back, issue 21).
        .systemLibrary(name: "CMalloc"),
        .systemLibrary(
            name: "CLibDeflate",
            pkgConfig: "libdeflate",
            providers: [.apt(["libdeflate-dev"])]
        ),

        // MARK: - C wrappers
        .target(name: "LibSSH", dependencies: ["CLibSSH"], swiftSettings: swiftSettings),
        .target(name: "LibGit2", dependencies: ["CLibGit2"], swiftSettings: swiftSettings),
        .target(name: "LibDeflate", dependencies: ["CLibDeflate"], swiftSettings: swiftSettings),

        // MARK: - Domain, store, operations
        .target(
            name: "OpenrukoCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Store",
            dependencies: ["OpenrukoCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Operations",
            dependencies: [
                "OpenrukoCore", "Store",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Commands",
            dependencies: [
                "OpenrukoCore", "Operations",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: - Front ends
        .target(
            name: "PlatformAPI",
            dependencies: [
                "OpenrukoCore", "Operations",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // git's smart HTTP runs git as a host process, as the SSH front end does.
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // MARK: - Features
        .target(
            name: "Isolation",
            dependencies: [
                "OpenrukoCore", .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Builder",
            dependencies: [
                "OpenrukoCore", "Operations", "Isolation", "LibGit2", "LibDeflate",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Routing",
            dependencies: [
                "OpenrukoCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AppLogs",
            dependencies: [
                "OpenrukoCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "Runtime",
            dependencies: [
                "OpenrukoCore", "Store", "Isolation",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),  // the OpenSSH mode's one-offs (RendezvousBridge)
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SSHFrontend",
            dependencies: [
                "OpenrukoCore", "Operations", "Commands", "LibSSH",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: - Wiring and executable
        .target(
            name: "Wiring",
            dependencies: [
                "OpenrukoCore", "Store", "Operations", "Commands", "PlatformAPI", "Builder", "Runtime", "LibGit2", "LibSSH", "SSHFrontend", "Routing", "AppLogs",
                "CMalloc",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "openruko-bench",
            dependencies: ["Builder", "LibGit2", "Isolation"],
            path: "Sources/Bench",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "openruko",
            dependencies: [
                "Wiring", "OpenrukoCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        // The router alone in front of a fixed backend, for scripts/bench/router (release build).
        .executableTarget(
            name: "RouterBench",
            dependencies: [
                "OpenrukoCore", "Routing",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // The log store alone, for scripts/bench/logs (release build).
        .executableTarget(name: "LogsBench", dependencies: ["AppLogs", "OpenrukoCore"], swiftSettings: swiftSettings),

        // MARK: - Tests
        // The daemon with test-only commands (`cat`…) for the SSH pump tests and benchmark.
        .executableTarget(
            name: "openruko-ssh-testserver",
            dependencies: [
                "Wiring", "Commands", "OpenrukoCore", "Store",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/SSHTestServer",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TestSupport",
            dependencies: [
                "OpenrukoCore", "Store", "Operations", .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "OpenrukoCoreTests", dependencies: ["OpenrukoCore", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "StoreTests", dependencies: ["Store", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "OperationsTests",
            dependencies: [
                "Operations", "TestSupport", .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"), .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(name: "LibWrapperTests", dependencies: ["LibSSH", "LibGit2", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "EndToEndTests", dependencies: ["TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "PlatformAPITests",
            dependencies: [
                "PlatformAPI", "Operations", "OpenrukoCore", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BuilderTests",
            dependencies: ["Builder", "Isolation", "LibDeflate", "LibGit2", "OpenrukoCore", "Operations", "Store", "TestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "Isolation", "OpenrukoCore", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "RuntimeEndToEndTests",
            dependencies: [
                "OpenrukoCore", "TestSupport",
                // the rendezvous client of the one-off tests (TLS, as the heroku CLI speaks it)
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "BuildEndToEndTests", dependencies: ["OpenrukoCore", "Isolation", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "AppLogsTests",
            dependencies: [
                "AppLogs", "OpenrukoCore", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoutingTests",
            dependencies: [
                "Routing", "OpenrukoCore", "TestSupport", "Operations",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SSHFrontendTests", dependencies: ["SSHFrontend", "OpenrukoCore", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "SSHEndToEndTests", dependencies: ["TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "ContainerEndToEndTests", dependencies: ["TestSupport"], swiftSettings: swiftSettings),
    ]
)
