import Foundation
import Logging
import OpenrukoCore
import Operations
import ServiceLifecycle

/// The stacks' housekeeping in the daemon: at start, builds the default stack
/// (`OPENRUKO_DEFAULT_STACK`) when it is set and not built yet, in the background (new apps
/// get it once it is built; until then the `host` stack), with mmdebstrap's progress in the
/// daemon's log; and at start and every `interval` removes what stack builds left
/// (`StackDebris`: dead `stacks:build` runs, rebuilt stacks no dyno or build uses any more).
struct StackBootstrapService: Service {
    let platform: Platform
    let logger: Logger
    let environment: [String: String]
    var interval: Duration = .seconds(600)

    func run() async throws {
        clean()
        if let name = environment[StackCatalog.defaultVariable], !name.isEmpty, platform.stackCatalog.version(name) == nil,
            name != StackCatalog.legacy
        {
            await build(name)
        }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            guard !Task.isShuttingDownGracefully && !Task.isCancelled else { return }
            clean()
        }
    }

    func clean() {
        let removed = StackDebris(layout: platform.layout).clean()
        if !removed.isEmpty { logger.info("Removed stack leftovers: \(removed.joined(separator: ", "))") }
    }

    /// Builds the default stack; a failure is logged (an admin can run `stacks:build` later).
    func build(_ name: String) async {
        logger.info("Building the default stack \(name) (\(StackCatalog.defaultVariable)); new apps use it once it is built")
        let logger = logger
        do {
            let version = try await cancelWhenGracefulShutdown {
                try await platform.buildStack(name, environment: environment, progress: { logger.info("stack \(name): \($0)") }, as: .superuser)
            }
            logger.info("The default stack \(name) is built (version \(version.version)); new apps use it")
        } catch {
            logger.error("Could not build the default stack \(name): \(error); an admin may run `openruko admin stacks:build \(name)`")
        }
    }
}
