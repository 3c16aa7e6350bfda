import Foundation

/// A fresh directory under the system temp dir, removed when the value is released.
package final class TemporaryDirectory: Sendable {
    /// The directory's absolute path.
    package let path: String

    package init(_ label: String = "openruko-test") {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/\(label)-\(UUID().uuidString.prefix(8).lowercased())"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// `path/name`.
    package func appending(_ name: String) -> String { path + "/" + name }
}
