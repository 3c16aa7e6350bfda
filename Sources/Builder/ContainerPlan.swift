import OpenrukoCore

/// Which images a container build makes and which process type runs which: `heroku.yml`
/// `build.docker` names one Dockerfile per type (a Dockerfile named twice is built once);
/// without it the root `Dockerfile` is the one image of every type. A type's command is
/// `heroku.yml` `run.<type>`, else the Procfile's, else its image's `ENTRYPOINT`+`CMD` — the
/// same rule for every type, `web` included.
struct ContainerPlan: Sendable {
    let manifest: HerokuManifest
    /// `(Dockerfile path, image key)` in build order.
    let builds: [(String, String)]

    init(manifest: HerokuManifest) {
        self.manifest = manifest
        guard !manifest.dockerfiles.isEmpty else {
            builds = [("Dockerfile", ProcessType.web.rawValue)]
            return
        }
        var keys: [String: String] = [:]
        for (type, path) in manifest.dockerfiles.sorted(by: { Self.order($0.key, $1.key) }) where keys[path] == nil {
            keys[path] = type
        }
        builds = keys.map { ($0.key, $0.value) }.sorted { Self.order($0.1, $1.1) }
    }

    /// `web` first, then by name.
    static func order(_ a: String, _ b: String) -> Bool {
        if a == ProcessType.web.rawValue || b == ProcessType.web.rawValue { return a == ProcessType.web.rawValue && b != a }
        return a < b
    }

    /// The image key a `build.docker` type's image is stored under.
    func key(ofType type: String) -> String? {
        guard let path = manifest.dockerfiles[type] else { return nil }
        return builds.first { $0.0 == path }?.1
    }

    /// The image of types `build.docker` does not name: `web`'s, else the first.
    var defaultKey: String { key(ofType: ProcessType.web.rawValue) ?? builds[0].1 }

    /// The process types and the image of each, given the built images by key.
    func processTypes(images: [String: ContainerImage], procfile: Procfile?) -> ContainerBuildResult {
        var types = Set(manifest.dockerfiles.keys).union(manifest.run.keys).union(procfile?.types ?? [])
        if manifest.dockerfiles.isEmpty { types.insert(ProcessType.web.rawValue) }
        types.remove(ProcessType.release.rawValue)
        var commands: [String: String] = [:]
        var imagesByType: [String: ContainerImage] = [:]
        for type in types {
            let key = manifest.run[type]?.image.flatMap(key(ofType:)) ?? key(ofType: type) ?? defaultKey
            guard let image = images[key] else { continue }
            let fallback = image.defaultArguments.isEmpty ? nil : image.defaultCommand
            guard let command = manifest.run[type]?.command ?? procfile?.processTypes[type] ?? fallback else { continue }
            commands[type] = command
            imagesByType[type] = image
        }
        if let release = manifest.release, let image = images[release.image.flatMap(key(ofType:)) ?? defaultKey] {
            commands[ProcessType.release.rawValue] = release.command
            imagesByType[ProcessType.release.rawValue] = image
        }
        return ContainerBuildResult(processTypes: commands, images: imagesByType)
    }
}
