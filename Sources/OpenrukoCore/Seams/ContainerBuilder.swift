/// What the build pipeline hands to the container build when an app has a `Dockerfile` or
/// `heroku.yml` and no buildpack claims it.
package struct ContainerBuildRequest: Sendable, Hashable {
    package var app: App
    /// The build's checked-out source (after `.slugignore`).
    package var sourceDirectory: String
    /// Where the container build must write its artifact (a gzipped tar), which becomes the slug.
    package var artifactPath: String
    /// The app's persistent build cache directory.
    package var cacheDirectory: String
    package var commit: String?

    package init(app: App, sourceDirectory: String, artifactPath: String, cacheDirectory: String, commit: String?) {
        self.app = app
        self.sourceDirectory = sourceDirectory
        self.artifactPath = artifactPath
        self.cacheDirectory = cacheDirectory
        self.commit = commit
    }
}

/// Builds an app from its `Dockerfile` or `heroku.yml` (buildah). Implemented by the
/// container build; until then `UnavailableContainerBuilder` refuses clearly.
package protocol ContainerBuilder: Sendable {
    /// Builds the request's source into `artifactPath`, streaming output (verbatim, with
    /// `-----> ` headings) to `output`.
    /// - Returns: the process types of the built image.
    /// - Throws: `OpenrukoError` whose message is shown as ` !     message`.
    func build(_ request: ContainerBuildRequest, output: @escaping @Sendable (String) -> Void) async throws(OpenrukoError)
        -> [String: String]
}

/// The container builder of an openruko without container builds.
package struct UnavailableContainerBuilder: ContainerBuilder {
    package init() {}

    package func build(_ request: ContainerBuildRequest, output: @escaping @Sendable (String) -> Void) async throws(OpenrukoError)
        -> [String: String]
    {
        throw OpenrukoError(
            .unavailable,
            "This app has a Dockerfile or heroku.yml and no buildpack matched it, but container builds are not available on this openruko yet. Set a buildpack with buildpacks:set, or add a Procfile.")
    }
}
