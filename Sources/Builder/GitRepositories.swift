import Foundation
import LibGit2
package import OpenrukoCore

/// App repositories as bare git repos under `DATA_DIR/repos`, created with libgit2.
package struct GitRepositories: RepositoryStore {
    let layout: DataLayout

    package init(layout: DataLayout) {
        self.layout = layout
    }

    package func create(app: String) throws(OpenrukoError) {
        do {
            try FileManager.default.createDirectory(atPath: layout.repos, withIntermediateDirectories: true)
            _ = try GitRepository.createBare(at: layout.repo(app))
        } catch {
            throw OpenrukoError(.internal, "Could not create the repository of \(app): \(error)")
        }
    }

    package func delete(app: String) {
        try? FileManager.default.removeItem(atPath: layout.repo(app))
    }

    package func size(app: String) -> Int64? {
        let root = layout.repo(app)
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return nil }
        var total: Int64 = 0
        while let path = enumerator.nextObject() as? String {
            if let attributes = try? FileManager.default.attributesOfItem(atPath: root + "/" + path),
                attributes[.type] as? FileAttributeType == .typeRegular, let size = attributes[.size] as? NSNumber
            {
                total += size.int64Value
            }
        }
        return total
    }
}
