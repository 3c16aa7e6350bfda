package import Foundation

/// One thing openruko wrote under `DATA_DIR`, as the disk report and the garbage collector
/// see it: what it is (with the ids its path names), where it is and how big it is.
package struct DiskItem: Sendable, Hashable, Codable {
    /// The report's kinds of bytes.
    package enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// `repos/APP.git`.
        case repo
        /// `slugs/APP/ID.tgz`.
        case slugs
        /// `run/runtime/slugs/ID`, slugs unpacked for dynos.
        case unpacked
        /// `containers/apps/UID`, an app's own image store.
        case images
        /// `cache/APP`, the build cache.
        case cache
        /// `logs/apps/ID` and `logs/builds/ID.log`.
        case logs
        /// `builds/APP/ID` workspaces and `run/uploads/ID.tgz` staged sources.
        case builds
    }

    /// What the path is, with the ids its name gives (nil: a name that is not an id).
    package enum Role: Sendable, Hashable, Codable {
        case repo(app: String)
        case slugArchive(app: String, slug: UUID?)
        case slugTree(slug: UUID?)
        case imageStore(uid: UInt32?)
        case cache(app: String)
        case appLogs(app: UUID?)
        case buildLog(build: UUID?)
        case buildWorkspace(app: String, build: UUID?)
        case stagedUpload(build: UUID?)
        /// The directory entry itself (its own bytes, not its contents) of `slugs/APP` or
        /// `builds/APP`, whose contents are items of their own.
        case directory(app: String, of: Kind)

        /// The report's kind of this role.
        package var kind: Kind {
            switch self {
            case .repo: .repo
            case .slugArchive: .slugs
            case .slugTree: .unpacked
            case .imageStore: .images
            case .cache: .cache
            case .appLogs, .buildLog: .logs
            case .buildWorkspace, .stagedUpload: .builds
            case .directory(_, let kind): kind
            }
        }
    }

    package var role: Role
    /// The path relative to `DATA_DIR`.
    package var path: String
    /// Apparent bytes (as `du -sb`: every entry's `lstat` size, symlinks not followed).
    package var bytes: Int64
    /// The path's own modification time.
    package var modified: Date

    package init(role: Role, path: String, bytes: Int64, modified: Date) {
        self.role = role
        self.path = path
        self.bytes = bytes
        self.modified = modified
    }

    package var kind: Kind { role.kind }
}
