import GRDB

/// Every schema migration, in order. A migration that has landed is never edited:
/// change the schema with a new one.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("0001_initial", migrate: Migration0001Initial.migrate)
        migrator.registerMigration("0002_app_maintenance", migrate: Migration0002AppMaintenance.migrate)
        migrator.registerMigration("0003_slug_images", migrate: Migration0003SlugImages.migrate)
        migrator.registerMigration("0004_app_sandbox_uids", migrate: Migration0004AppSandboxUIDs.migrate)
        migrator.registerMigration("0005_certificates", migrate: Migration0005Certificates.migrate)
        migrator.registerMigration("0006_slug_expiry", migrate: Migration0006SlugExpiry.migrate)
        migrator.registerMigration("0007_addons", migrate: Migration0007Addons.migrate)
        migrator.registerMigration("0008_addon_attachments", migrate: Migration0008AddonAttachments.migrate)
        migrator.registerMigration("0009_automatic_certificates", migrate: Migration0009AutomaticCertificates.migrate)
        migrator.registerMigration("0010_host_stack", migrate: Migration0010HostStack.migrate)
        migrator.registerMigration("0011_backup_schedules", migrate: Migration0011BackupSchedules.migrate)
        migrator.registerMigration("0012_app_renames", migrate: Migration0012AppRenames.migrate)
        return migrator
    }
}
