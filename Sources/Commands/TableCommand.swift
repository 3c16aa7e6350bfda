package import ArgumentParser

/// One command of the command table (DESIGN.md §2.3). Arguments are parsed by
/// ArgumentParser from the words after the command name; `execute` does the work through
/// the operations layer and writes Heroku-style output.
package protocol TableCommand: ParsableCommand {
    /// Runs the command; throw `OpenrukoError` for refusals.
    func execute(in context: CommandContext) async throws
}
