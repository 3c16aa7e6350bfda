package import OpenrukoCore
package import Isolation

/// What running a dyno needs from its process: the sandbox, unpacked slugs, private `/app`
/// directories, ports, the log and the limits. One per process (daemon or local runner).
package struct DynoHost: Sendable {
    package let layout: DataLayout
    package let sandbox: Sandbox
    package let trees: SlugTrees
    package let filesystem: DynoFilesystem
    package let ports: PortAllocator
    package let logs: any LogSink
    package let settings: RuntimeSettings

    /// - Throws: `OpenrukoError` when bubblewrap is missing or the sandbox files cannot be made.
    package init(layout: DataLayout, logs: any LogSink, settings: RuntimeSettings) throws(OpenrukoError) {
        let sandbox = try Sandbox.networked(stateDirectory: layout.run + "/sandbox")
        self.layout = layout
        self.sandbox = sandbox
        trees = SlugTrees(sandbox: sandbox, layout: layout)
        filesystem = DynoFilesystem(layout: layout)
        ports = PortAllocator(range: settings.ports)
        self.logs = logs
        self.settings = settings
    }
}
