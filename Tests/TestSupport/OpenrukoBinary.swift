import Foundation

/// The built `openruko` executable, run as a real subprocess.
package enum OpenrukoBinary {
    /// The package root (where Package.swift is).
    package static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// `OPENRUKO_BIN`, else `.build/debug/openruko` under the package root.
    package static let path: String = {
        if let path = ProcessInfo.processInfo.environment["OPENRUKO_BIN"] { return path }
        let candidates = [".build/debug/openruko", ".build/release/openruko"].map { packageRoot + "/" + $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }()

    /// `openruko admin WORDS…` on a data directory.
    package static func admin(_ words: [String], dataDir: String, input: String = "") async throws -> ProcessResult {
        try await ProcessRunner.run(path, ["admin", "--data-dir", dataDir] + words, input: Data(input.utf8))
    }

    /// `admin`, throwing on a non-zero exit unless `allowFailure`.
    @discardableResult
    package static func checkedAdmin(
        _ words: [String], dataDir: String, input: String = "", allowFailure: Bool = false
    ) async throws -> ProcessResult {
        let result = try await admin(words, dataDir: dataDir, input: input)
        if result.status != 0 && !allowFailure { throw TestFailure("admin \(words) failed: \(result.stderr)\(result.stdout)") }
        return result
    }
}
