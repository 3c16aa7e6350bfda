import ArgumentParser
import Foundation
import OpenrukoCore
import Operations

/// `disk [APP]` (the platform's report for admins, one app's for its owner and
/// collaborators) and `gc` (admins: one garbage collection now).
enum DiskCommands {
    static let all: [any TableCommand.Type] = [Report.self, Collect.self]

    struct Report: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "disk", abstract: "Show disk use per app and kind, free space and what the next collection would free.")
        @Argument var name: String?
        @Option(name: [.customShort("a"), .customLong("app")], help: "The app (default: the whole platform, admins only).")
        var app: String?
        @OptionGroup var format: JSONFlag

        func execute(in context: CommandContext) async throws {
            let report = try context.platform.diskReport(app: app ?? name, rule: try Platform.retentionRule(), as: context.principal)
            if format.json { return context.io.write(Output.json(report)) }
            let kinds = DiskItem.Kind.allCases.map(\.rawValue)
            context.io.write(Output.header(report.dataDir.map { "Disk of \($0)" } ?? "Disk of \(report.apps.first?.name ?? "app")"))
            let rows = report.apps.map { usage in
                [usage.name] + kinds.map { Output.size(usage.bytes[$0] ?? 0) } + [Output.size(usage.total), Output.size(usage.reclaimable)]
            }
            context.io.write(Output.table([["app"] + kinds + ["total", "reclaimable"]] + rows))
            context.say()
            var fields: [(String, String)] = []
            if let total = report.total, let other = report.other {
                fields += [("Total", "\(Output.size(total)) (\(total) bytes)"), ("Other", "\(Output.size(other)) (database, keys, stacks…)")]
            }
            fields += [
                ("Reclaimable", "\(Output.size(report.reclaimable)) (what the next collection frees)"),
                ("Free", "\(Output.size(report.free)) of \(Output.size(report.capacity))"),
            ]
            context.io.write(Output.fields(fields))
            guard !report.largest.isEmpty else { return }
            context.say()
            context.io.write(Output.header("Largest items"))
            context.io.write(Output.table(report.largest.map { item in
                [Output.size(item.bytes), item.kind, item.path] + (item.garbage.map { ["(garbage: \($0))"] } ?? [])
            }))
        }
    }

    struct Collect: TableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc", abstract: "Expire old release artifacts and remove garbage now (admins only).")
        @Flag(name: .long, help: "Only say what would be removed.") var dryRun = false
        @OptionGroup var format: JSONFlag

        func execute(in context: CommandContext) async throws {
            let result = try context.platform.collectGarbage(rule: try Platform.retentionRule(), dryRun: dryRun, as: context.principal)
            if format.json { return context.io.write(Output.json(result)) }
            for removal in result.removed {
                context.say("\(dryRun ? "would remove" : "removed") \(removal.path) (\(Output.size(removal.bytes)), \(removal.reason))")
            }
            for (app, versions) in result.expired.sorted(by: { $0.key < $1.key }) {
                context.say("\(app): \(versions.map { "v\($0)" }.joined(separator: ", ")) expired")
            }
            context.say("Garbage collection: \(result.summary)")
        }
    }
}
