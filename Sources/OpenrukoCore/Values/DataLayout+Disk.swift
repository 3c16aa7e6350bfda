extension DataLayout {
    /// `DATA_DIR/run/runtime/slugs`, slugs unpacked for dynos (one directory per slug id).
    package var unpackedSlugs: String { run + "/runtime/slugs" }
    /// `DATA_DIR/containers/apps`, the apps' own image stores (one directory per app uid).
    package var appImageStores: String { root + "/containers/apps" }
    /// `DATA_DIR/logs/apps/ID`, an app's log.
    package func appLogDirectory(_ appID: String) -> String { logs + "/apps/" + appID }
}
