import OpenrukoCore

/// Who a container build's `RUN` steps are on the host, and where the app's image store lives
/// (openruko as root). Each app gets 65,536 subordinate ids of its own, derived from its uid
/// (`App.sandboxUID`): with the default app uids (70000-79999) app uid `u` maps its build's root
/// to host id `1048576 + (u − 70000) × 65536`, far above real users and the app uids, so a `RUN`
/// step is root only in a user namespace whose ids belong to nobody else. The same ids own the
/// app's own store (`DATA_DIR/containers/apps/UID/storage`), which no other app's build sees.
/// Pure: no I/O.
struct ContainerIdentity: Sendable, Hashable {
    /// The host id of the first mapped range.
    static let firstBase: UInt32 = 1 << 20
    /// Ids per app: a whole 16-bit container id space (root, `USER 1000`, `nobody`).
    static let width: UInt32 = 65536
    /// How many ranges fit between `firstBase` and the last valid id (4294967294).
    static let slots: UInt32 = (UInt32.max - firstBase) / width
    /// The app uid that gets the first range (the default range's first uid).
    static let firstAppUID: UInt32 = 70000

    /// The app's own uid (its dynos and buildpack builds run as it).
    let appUID: UInt32
    /// The host id of the build's root; the build's id `n` is host id `base + n`.
    let base: UInt32

    /// The identity of app uid `appUID`. Any `OPENRUKO_APP_UIDS` range of up to `slots`
    /// consecutive uids gives every app a range of its own.
    init(appUID: UInt32) {
        self.appUID = appUID
        let offset = (Int64(appUID) - Int64(Self.firstAppUID)) % Int64(Self.slots)
        let slot = UInt32(offset < 0 ? offset + Int64(Self.slots) : offset)
        base = Self.firstBase + slot * Self.width
    }

    /// The host ids the build's ids map to.
    var hostIDs: ClosedRange<UInt32> { base...(base + Self.width - 1) }

    /// buildah's global options for a store whose layers belong to this map.
    var mapArguments: [String] {
        let map = "0:\(base):\(Self.width)"
        return ["--userns-uid-map", map, "--userns-gid-map", map]
    }

    /// `DATA_DIR/containers/apps/UID`: the app's store (`storage/`) and the id of the app that
    /// made it (`app`), so an app that later gets the same uid starts from an empty store.
    static func directory(_ layout: DataLayout, appUID: UInt32) -> String { layout.root + "/containers/apps/\(appUID)" }

    /// `DATA_DIR/run/containers/apps/UID`: the store's run state (locks, mounts).
    static func runRoot(_ layout: DataLayout, appUID: UInt32) -> String { layout.containerRunRoot + "/apps/\(appUID)" }

    /// `DATA_DIR/run/container-builds`: what runc, already in the build's user namespace, must
    /// reach (so every directory above it must be passable by others, as for the app users):
    /// each app's `TMPDIR` (`UID/`, its `RUN` steps' bundles and root mounts, owned by the
    /// build's root) and the empty `/sys` (`sys/`).
    static func scratchRoot(_ layout: DataLayout) -> String { layout.run + "/container-builds" }

    /// buildah's `TMPDIR` for app uid `appUID` (see `scratchRoot`).
    static func scratch(_ layout: DataLayout, appUID: UInt32) -> String { scratchRoot(layout) + "/\(appUID)" }

    /// The empty tree `RUN` steps get as `/sys` (see `RunIsolation.budArguments`).
    static func sys(_ layout: DataLayout) -> String { scratchRoot(layout) + "/sys" }

    /// Why these ids are not the app's alone, as a refusal; nil when they are. They must not meet
    /// the app uids (`OPENRUKO_APP_UIDS`) nor a range `/etc/subuid` or `/etc/subgid` hands to a
    /// host user (whose rootless containers would share them).
    /// - Parameters:
    ///   - appUIDs: the configured app uid range.
    ///   - subordinate: `(file name, its text)` of `/etc/subuid` and `/etc/subgid`.
    func conflict(appUIDs: ClosedRange<UInt32>, subordinate: [(String, String)]) -> String? {
        let ids = hostIDs
        if appUIDs.overlaps(ids) {
            return "Container builds map each app's build to its own host ids (\(ids.lowerBound)-\(ids.upperBound) for this app), "
                + "which OPENRUKO_APP_UIDS (\(appUIDs.lowerBound)-\(appUIDs.upperBound)) overlaps: move the app uids below \(Self.firstBase)."
        }
        for (file, text) in subordinate {
            for (owner, range) in Self.ranges(text) where range.overlaps(ids) {
                return "Container builds map this app's build to host ids \(ids.lowerBound)-\(ids.upperBound), but \(file) gives "
                    + "\(range.lowerBound)-\(range.upperBound) to \(owner): give that user ids outside \(Self.firstBase)-\(UInt32.max - 1)."
            }
        }
        return nil
    }

    /// The `NAME:START:COUNT` lines of a subordinate id file (others skipped).
    static func ranges(_ text: String) -> [(String, ClosedRange<UInt32>)] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 3, let start = UInt32(fields[1]), let count = UInt32(fields[2]), count > 0 else { return nil }
            let end = UInt64(start) + UInt64(count) - 1
            return (String(fields[0]), start...UInt32(min(end, UInt64(UInt32.max))))
        }
    }
}
