import Foundation
import Logging
import OpenrukoCore
import Operations
import ServiceLifecycle

/// Captures the scheduled daily backups (`pg:backups:schedule`): at the daemon's start and
/// every `interval` after, `Platform.captureScheduledBackups` captures those due (the store
/// keeps each schedule's last slot, so a restart never captures a slot twice and downtime is
/// caught up once) and logs each outcome in the daemon's log.
struct BackupScheduler: Service {
    let platform: Platform
    let logger: Logger
    /// Between two looks at the schedules.
    var interval: Duration = .seconds(60)

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            for (schedule, outcome) in await platform.captureScheduledBackups(now: Date()) {
                switch outcome {
                case .success(let backup):
                    logger.info("Scheduled backup \(backup.id) of \(schedule.addonName) (\(schedule.appName)) captured.")
                case .failure(let error):
                    logger.error("Scheduled backup of \(schedule.addonName) (\(schedule.appName)) failed: \(error.message)")
                }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
