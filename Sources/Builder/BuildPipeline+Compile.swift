import Foundation
import LibGit2
import OpenrukoCore
import Operations
import Isolation

/// What the compile phase produced.
struct Compiled {
    var processTypes: [String: String]
    var container: Bool
    var commitDescription: String?
    var buildpackDescription: String?
}

extension BuildPipeline {
    /// Resolves the buildpacks (the build's, the app's, `BUILDPACK_URL`, `.buildpacks`, else
    /// detection over the bundled ones in order), runs detect → compile → release for each,
    /// and discovers the process types.
    func compile(_ request: Request, workspace: BuildWorkspace, output: BuildOutput, used: inout [String]) async throws
        -> Compiled
    {
        // One network namespace for all the build's steps (a lease per step costs ~20 ms each).
        guard let network = sandbox.network else { return try await compileSteps(request, workspace: workspace, output: output, used: &used) }
        let lease = try await network.lease()
        var leased = workspace
        leased.networkNamespace = lease.path
        do {
            let compiled = try await compileSteps(request, workspace: leased, output: output, used: &used)
            await network.release(lease)
            return compiled
        } catch {
            await network.release(lease)
            throw error
        }
    }

    /// `compile` within the build's network.
    private func compileSteps(_ request: Request, workspace: BuildWorkspace, output: BuildOutput, used: inout [String]) async throws
        -> Compiled
    {
        let steps = steps(request, workspace: workspace, output: output)
        var commitDescription: String?
        if case .commit(let repository, let id, let objects) = request.source {
            commitDescription = try? Self.summary(repository: repository, id: id, objects: objects)
        }
        let config = (try? platform.buildConfig(appID: request.app.id)) ?? [:]
        let explicit = try explicitBuildpacks(request, config: config, source: workspace.source)
        var selected: [(index: Int, reference: BuildpackReference, name: String?)] = []
        if let explicit {
            if explicit.count == 1 {
                output.heading("Using buildpack: \(explicit[0].displayName)")
            } else {
                output.heading("Using buildpacks:")
                for (number, reference) in explicit.enumerated() { output.detail("\(number + 1). \(reference.displayName)") }
            }
            for (index, reference) in explicit.enumerated() {
                if let problem = try await steps.fetch(reference, index: index) {
                    throw Failure(message: "Could not fetch the buildpack \(reference.displayName):\n\(problem)")
                }
                selected.append((index, reference, nil))
            }
        } else {
            let container = Compiled(processTypes: [:], container: true, commitDescription: commitDescription, buildpackDescription: "container")
            if Self.declaresDockerBuild(workspace.source) {
                try Self.allowContainerBuild(request.app, settings: settings)
                used = ["container"]
                return container
            }
            guard let match = try await detectBundled(steps: steps, workspace: workspace) else {
                if FileTree.isFile(workspace.source + "/Dockerfile") {
                    try Self.allowContainerBuild(request.app, settings: settings)
                    used = ["container"]
                    return container
                }
                throw Failure(
                    message: "No default language could be detected for this app.\n"
                        + "\t\t\tHINT: This occurs when openruko cannot detect the buildpack to use for this application automatically.\n"
                        + "\t\t\tSee https://devcenter.heroku.com/articles/buildpacks")
            }
            selected = [match]
        }
        used = selected.map { $0.reference.displayName }
        var release = BuildpackRelease()
        var names: [String] = []
        for (position, entry) in selected.enumerated() {
            let previous = selected[..<position].map(\.index)
            var name = entry.name
            if name == nil {
                let (detected, message) = try await steps.detect(index: entry.index, exports: previous)
                guard let detected else {
                    var text = "-----> App not compatible with buildpack: \(entry.reference.displayName)\n"
                    if !message.isEmpty { text += message.hasSuffix("\n") ? message : message + "\n" }
                    text += "       More info: https://devcenter.heroku.com/articles/buildpacks#buildpack-auto-detection\n"
                    output.write(text)
                    throw Failure(message: "Push rejected: the buildpack \(entry.reference.displayName) does not support this app.")
                }
                name = detected
            }
            let appName = name ?? "Unnamed"
            names.append(appName)
            output.heading("\(appName) app detected")
            let result = try await steps.compile(index: entry.index, exports: previous)
            if result.timedOut {
                throw Failure(message: "Timed out compiling \(appName) app (\(settings.compileTimeoutText)).\n"
                    + "Push rejected, failed to compile \(appName) app.")
            }
            guard result.succeeded else { throw Failure(message: "Push rejected, failed to compile \(appName) app.") }
            let (yaml, problem) = try await steps.release(index: entry.index)
            guard let yaml else {
                throw Failure(message: "bin/release of \(entry.reference.displayName) failed:\n\(problem)")
            }
            do {
                release = try BuildpackRelease(yaml: yaml)
            } catch {
                throw Failure(message: "\(entry.reference.displayName): \(error.message)")
            }
        }
        try await applyConfigVars(release, steps: steps)
        let processTypes = discoverProcessTypes(workspace: workspace, release: release, output: output)
        return Compiled(
            processTypes: processTypes, container: false, commitDescription: commitDescription,
            buildpackDescription: names.joined(separator: ", "))
    }

    /// The build's, the app's, `BUILDPACK_URL` or `.buildpacks` list; nil to detect.
    /// Only the app's own list (set through `buildpacks:set`, where tenants were checked) may
    /// name any server path; the others come from the tenant and follow the tenant policy.
    func explicitBuildpacks(_ request: Request, config: [String: String], source: String) throws -> [BuildpackReference]? {
        var urls = request.buildpacks ?? []
        var policy = LocalBuildpackPolicy.tenant()
        if urls.isEmpty, !request.app.buildpacks.isEmpty {
            urls = request.app.buildpacks
            policy = .admin
        }
        if urls.isEmpty, let url = config["BUILDPACK_URL"], !url.trimmingCharacters(in: .whitespaces).isEmpty { urls = [url] }
        if urls.isEmpty, let text = FileTree.text(source + "/.buildpacks") {
            urls = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        }
        guard !urls.isEmpty else { return nil }
        do {
            return try urls.map { url throws(BuildpackReferenceError) in try BuildpackReference(url, bundled: resources.buildpacks, policy: policy) }
        } catch {
            throw Failure(message: error.message)
        }
    }

    /// Copies every bundled buildpack into the build and returns the first whose detect passes.
    func detectBundled(steps: BuildpackSteps, workspace: BuildWorkspace) async throws
        -> (index: Int, reference: BuildpackReference, name: String?)?
    {
        let names = BuildpackReference.bundledNames(resources.buildpacks)
        for (index, name) in names.enumerated() {
            let reference = BuildpackReference.bundled(name: name, path: resources.buildpacks + "/" + name)
            if let problem = try await steps.fetch(reference, index: index) {
                throw Failure(message: "The bundled buildpack \(name) is broken: \(problem)")
            }
            let (detected, _) = try await steps.detect(index: index, exports: [])
            if let detected { return (index, reference, detected) }
        }
        return nil
    }

    /// `config_vars` from `bin/release` (deprecated) become `.profile.d` defaults; the app's
    /// own config vars win at runtime.
    func applyConfigVars(_ release: BuildpackRelease, steps: BuildpackSteps) async throws {
        guard !release.configVars.isEmpty else { return }
        let lines = release.configVars.sorted { $0.key < $1.key }.compactMap { key, value -> String? in
            guard key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), !(key.first?.isNumber ?? true) else { return nil }
            return "export \(key)=\"${\(key)-\(ShellWord.quoted(value))}\""
        }
        let (result, text) = try await steps.bash(
            #"mkdir -p "$1/.profile.d" && printf '%s\n' "$2" > "$1/.profile.d/000_buildpack_config_vars.sh""#,
            [steps.workspace.buildDirectory, lines.joined(separator: "\n")], timeLimit: settings.stepTimeout, stream: false)
        guard result.succeeded else { throw Failure(message: "Cannot write the buildpack's config_vars: \(text)") }
    }

    /// Procfile (with its warnings) merged over the last buildpack's default process types.
    func discoverProcessTypes(workspace: BuildWorkspace, release: BuildpackRelease, output: BuildOutput) -> [String: String] {
        let procfile = FileTree.text(workspace.source + "/Procfile").map { Procfile(parsing: $0) } ?? Procfile(parsing: "")
        output.heading("Discovering process types")
        for warning in procfile.warnings { output.error("Warning: \(warning)") }
        let declared = procfile.types
        output.detail("Procfile declares types     -> \(declared.isEmpty ? "(none)" : declared.joined(separator: ", "))")
        let defaults = release.defaultProcessTypes.filter { ProcessType.isValid($0.key) && !declared.contains($0.key) }
        if !defaults.isEmpty {
            output.detail("Default types for buildpack -> \(defaults.keys.sorted().joined(separator: ", "))")
        }
        return defaults.merging(procfile.processTypes) { _, declared in declared }
    }

    /// Refuses a container build of an app an admin has not allowed, where container builds are
    /// for such apps only (`OPENRUKO_CONTAINER_BUILDS=admin`, the default when not root).
    static func allowContainerBuild(_ app: App, settings: BuildSettings) throws {
        guard !settings.containerBuildsForAll, !app.containerBuilds else { return }
        throw Failure(
            message: "Container builds (Dockerfile, heroku.yml) are off for \(app.name): on this server an admin allows them "
                + "per app ('apps:container-builds \(app.name) on'). Or build with a buildpack: "
                + "remove the Dockerfile, or set one with 'buildpacks:set \(app.name) heroku/python'.")
    }

    /// Whether the app's `heroku.yml` makes it a container build: it has a `build.docker`
    /// section (or is not readable YAML: the container build then says what is wrong).
    static func declaresDockerBuild(_ source: String) -> Bool {
        guard let text = FileTree.text(source + "/heroku.yml") else { return false }
        guard let manifest = try? HerokuManifest(yaml: text) else { return true }
        return !manifest.dockerfiles.isEmpty
    }

    /// The commit's first message line.
    static func summary(repository: String, id: String, objects: [String]) throws -> String? {
        let repo = try GitRepository.openBare(at: repository)
        for directory in objects { try repo.addObjectDirectory(directory) }
        return repo.commitSummary(id)
    }
}
