import Foundation
import Testing

/// The layer rule (README, "Layout of this repository"), checked on the sources: the front ends (SSH, the API and the
/// command table) and the build machinery (the pre-receive hook, builds) reach the store only
/// through `Platform`, never by importing `Store`.
@Suite(.timeLimit(.minutes(1))) struct LayerRuleTests {
    static let frontEnds = ["Commands", "SSHFrontend", "PlatformAPI", "Builder"]

    /// The repository's `Sources` directory (this file is `Tests/OperationsTests/…`).
    static var sources: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
    }

    @Test func frontEndsNeverImportTheStore() throws {
        var checked = 0
        for module in Self.frontEnds {
            let root = Self.sources.appendingPathComponent(module)
            let files = try #require(FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil))
            for case let file as URL in files where file.pathExtension == "swift" {
                let text = try String(contentsOf: file, encoding: .utf8)
                checked += 1
                for line in text.split(separator: "\n") {
                    let words = line.split(separator: " ")
                    #expect(!(words.contains("import") && words.last == "Store"), "\(module)/\(file.lastPathComponent): \(line)")
                    #expect(!line.contains("platform.store"), "\(module)/\(file.lastPathComponent): \(line)")
                }
            }
        }
        #expect(checked > 50, "the front ends' sources were found (\(checked) files)")
    }
}
