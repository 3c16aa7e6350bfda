import Foundation

/// How a container slug runs one process type: which image root filesystem of the slug's
/// archive (`./KEY/`) and the image config that Docker would apply (`ENV`, `WORKDIR`,
/// `USER`, `ENTRYPOINT`, `CMD`).
package struct ContainerImage: Hashable, Sendable, Codable {
    /// The top-level directory of the slug archive holding this image's root filesystem.
    package var key: String
    /// buildah's image id (`sha256` hex), for the record.
    package var imageID: String
    /// `KEY=value` entries of the image's `ENV`, in order.
    package var environment: [String]
    /// The image's `WORKDIR` (`/` when unset).
    package var workingDirectory: String
    /// The image's `USER` resolved against its `/etc/passwd`: nil (or 0) runs as the sandbox's
    /// unprivileged user, anything else keeps that uid.
    package var uid: UInt32?
    package var gid: UInt32?
    /// `ENTRYPOINT` and `CMD`, exec form (buildah stores shell form as `/bin/sh -c …`).
    package var entrypoint: [String]
    package var cmd: [String]

    package init(
        key: String, imageID: String, environment: [String], workingDirectory: String, uid: UInt32?, gid: UInt32?,
        entrypoint: [String], cmd: [String]
    ) {
        self.key = key
        self.imageID = imageID
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.uid = uid
        self.gid = gid
        self.entrypoint = entrypoint
        self.cmd = cmd
    }

    /// `ENTRYPOINT` + `CMD`: what `docker run IMAGE` runs.
    package var defaultArguments: [String] { entrypoint + cmd }

    /// The default command as one line for `ps` and the formation (each argument shell-quoted
    /// when needed); `arguments(for:)` recognises it and runs the exec form.
    package var defaultCommand: String {
        defaultArguments.map(ShellWord.minimal).joined(separator: " ")
    }

    /// The argv of a dyno running `command`: the exec form of `ENTRYPOINT`+`CMD` for the
    /// image's default command, anything else through `/bin/sh -c` (as Docker runs shell form).
    package func arguments(for command: String) -> [String] {
        if command == defaultCommand, !defaultArguments.isEmpty { return defaultArguments }
        return ["/bin/sh", "-c", command]
    }
}
