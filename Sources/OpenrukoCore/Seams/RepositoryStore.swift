/// The bare git repositories behind apps (`DATA_DIR/repos/APP.git`).
package protocol RepositoryStore: Sendable {
    /// Creates the empty bare repository of a new app.
    func create(app: String) throws(OpenrukoError)
    /// Removes an app's repository.
    func delete(app: String)
    /// The repository's size on disk in bytes, if it exists.
    func size(app: String) -> Int64?
}
