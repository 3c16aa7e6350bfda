/// What the build pipeline hands to the container build when an app has a `Dockerfile` or
/// `heroku.yml` and no buildpack claims it.
package struct ContainerBuildRequest: Sendable, Hashable {
    package var app: App
    /// The build's checked-out source (after `.slugignore`).
    package var sourceDirectory: String
    /// Where the container build must write its artifact, which becomes the slug: a gzipped
    /// tar with one top-level directory per image (`./KEY/`, see `ContainerImage.key`).
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

/// What a container build produced: the process types (`heroku.yml` `run`, else the
/// Procfile, else `web` = the image's `ENTRYPOINT`+`CMD`; `release` from `heroku.yml`) and
/// the image each of them runs.
package struct ContainerBuildResult: Sendable, Hashable {
    package var processTypes: [String: String]
    package var images: [String: ContainerImage]

    package init(processTypes: [String: String], images: [String: ContainerImage]) {
        self.processTypes = processTypes
        self.images = images
    }
}

/// Builds an app from its `Dockerfile` or `heroku.yml` (buildah). Implemented by the
/// container build; until then `UnavailableContainerBuilder` refuses clearly.
package protocol ContainerBuilder: Sendable {
    /// Builds the request's source into `artifactPath`, streaming output (verbatim, with
    /// `-----> ` headings) to `output`.
    /// - Returns: the process types and the image of each.
    /// - Throws: `OpenrukoError` whose message is shown as ` !     message`.
    func build(_ request: ContainerBuildRequest, output: @escaping @Sendable (String) -> Void) async throws(OpenrukoError)
        -> ContainerBuildResult
}

/// The container builder of an openruko without container builds.
package struct UnavailableContainerBuilder: ContainerBuilder {
    package init() {}

    package func build(_ request: ContainerBuildRequest, output: @escaping @Sendable (String) -> Void) async throws(OpenrukoError)
        -> ContainerBuildResult
    {
        throw OpenrukoError(
            .unavailable,
            "This app has a Dockerfile or heroku.yml and no buildpack matched it, but container builds are not available on this openruko yet. Set a buildpack with buildpacks:set, or add a Procfile.")
    }
}
