import Builder
import ServiceLifecycle

/// Owns the API's background builds in the daemon's service group: at a graceful shutdown
/// (SIGTERM) it cancels them — each child build gets SIGTERM, then SIGKILL after 10 s — and
/// waits until every one has ended and its record says it was cancelled.
struct BuildTasksService: Service {
    let tasks: BuildTasks

    func run() async throws {
        try? await gracefulShutdown()
        await tasks.cancelAll()
    }
}
