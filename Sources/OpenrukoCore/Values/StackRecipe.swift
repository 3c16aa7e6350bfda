package import Foundation

/// How openruko builds a stack with `mmdebstrap` from Debian's archive: the release, the
/// package lists of the run and build images (modelled on Heroku's heroku-24 and
/// heroku-24-build lists, with Debian 13's package names; the FFmpeg/ImageMagick media
/// libraries and PHP-only ones are left out; python3 and nodejs added for the bundled
/// buildpacks), and what is set up inside each image (one-line
/// `/etc/apt/sources.list`, `en_US.UTF-8`, a `dyno` user, `/app`, the host's extra CA
/// certificates). Debian 13's glibc (2.41) is newer than Ubuntu 24.04's (2.39), so binaries
/// built for heroku-24 run on these images.
package struct StackRecipe: Sendable, Hashable {
    /// The Debian release.
    package static let release = "trixie"
    /// The archive lines of `/etc/apt/sources.list`, one-line style, as classic buildpacks
    /// (heroku-buildpack-apt) read it.
    package static let sources = [
        "deb http://deb.debian.org/debian trixie main", "deb http://deb.debian.org/debian trixie-updates main",
        "deb http://deb.debian.org/debian-security trixie-security main",
    ]
    /// The environment variables that replace the package lists (a space- or comma-separated
    /// list; tests build a small stack with them).
    package static let runPackagesVariable = "OPENRUKO_STACK_RUN_PACKAGES"
    package static let buildPackagesVariable = "OPENRUKO_STACK_BUILD_PACKAGES"

    /// The run image's packages (on top of Debian's `minbase`: essential and required).
    package static let defaultRunPackages = [
        "ca-certificates", "locales", "tzdata", "curl", "wget", "bind9-dnsutils", "bzip2", "file", "gettext-base", "gnupg",
        "inetutils-telnet", "iproute2", "iputils-tracepath", "less", "libargon2-1", "libev4t64", "libevent-2.1-7t64",
        "libevent-core-2.1-7t64", "libevent-extra-2.1-7t64", "libevent-openssl-2.1-7t64", "libevent-pthreads-2.1-7t64", "libgd3",
        "libgdk-pixbuf-2.0-0", "libgnutls-openssl27t64", "libgnutls30t64", "liblzf1", "libmemcached11t64", "libncurses6", "libonig5",
        "librabbitmq4", "libsasl2-modules", "libsodium23", "libuv1t64", "libvips42t64", "libxslt1.1", "libyaml-0-2", "libzip5",
        "lsb-release", "nano", "netcat-openbsd", "openssh-client", "patch", "postgresql-client", "rsync", "socat", "tar", "unzip",
        "xz-utils", "zip", "zstd",
        // Not on Heroku's images: what openruko's bundled python and nodejs buildpacks run on
        // (their default web processes run `npm start`, a venv of the stack's python3).
        "python3", "nodejs", "npm",
    ]
    /// What the build image adds to the run image's packages.
    package static let defaultBuildPackages = [
        "autoconf", "automake", "bison", "build-essential", "cmake", "gettext", "git", "jq", "libargon2-dev", "libbsd-dev",
        "libbz2-dev", "libcairo2-dev", "libcurl4-openssl-dev", "libdb-dev", "libev-dev", "libevent-dev", "libexif-dev", "libffi-dev",
        "libgcrypt20-dev", "libgd-dev", "libgdbm-dev", "libgnutls28-dev", "libicu-dev", "libidn-dev", "libjpeg-dev", "libkrb5-dev",
        "libldap-dev", "liblz4-dev", "liblzf-dev", "libmagic-dev", "libmemcached-dev", "libncurses-dev", "libonig-dev", "libpq-dev",
        "librabbitmq-dev", "libreadline-dev", "libsodium-dev", "libsqlite3-dev", "libssl-dev", "libtool", "libuv1-dev",
        "libxml2-dev", "libxslt1-dev", "libyaml-dev", "libzip-dev", "libzstd-dev", "patchelf", "pkgconf", "python3", "zlib1g-dev",
        // Not on Heroku's images: for openruko's bundled python and nodejs buildpacks.
        "python3-venv",
    ]

    package var runPackages: [String]
    package var buildPackages: [String]

    package init(runPackages: [String] = Self.defaultRunPackages, buildPackages: [String] = Self.defaultBuildPackages) {
        self.runPackages = runPackages
        self.buildPackages = buildPackages
    }

    /// The recipe of this process: the default lists, or those the environment names.
    /// - Throws: `invalid` for a name that is not a Debian package name.
    package static func from(environment: [String: String]) throws(OpenrukoError) -> StackRecipe {
        func list(_ variable: String, _ fallback: [String]) throws(OpenrukoError) -> [String] {
            guard let text = environment[variable] else { return fallback }
            let names = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" }).map(String.init)
            for name in names where !isPackageName(name) {
                throw OpenrukoError(.invalid, "\(variable): \(name.debugDescription) is not a Debian package name.")
            }
            return names
        }
        return StackRecipe(
            runPackages: try list(runPackagesVariable, defaultRunPackages),
            buildPackages: try list(buildPackagesVariable, defaultBuildPackages))
    }

    /// Debian's package name rule: `[a-z0-9][a-z0-9+.-]+`.
    static func isPackageName(_ name: String) -> Bool {
        name.utf8.count >= 2 && name.utf8.count <= 100 && name.utf8.enumerated().allSatisfy { index, byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || (index > 0 && [UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "-")].contains(byte))
        }
    }

    /// The packages of `image` (always `ca-certificates`; the build image has the run image's too).
    package func packages(_ image: StackCatalog.Image) -> [String] {
        let run = ["ca-certificates"] + runPackages.filter { $0 != "ca-certificates" }
        return image == .run ? run : run + buildPackages.filter { !run.contains($0) }
    }

    /// mmdebstrap's arguments for `image` into `target`. Downloaded packages are shared with
    /// the other image through `debs` (a host directory). `proxies` are apt's
    /// `Acquire::http::Proxy`-style options of the host; `certificates`, the host's extra CA
    /// certificate files (`/usr/local/share/ca-certificates/*.crt`), trusted in the image too.
    package func mmdebstrapArguments(
        _ image: StackCatalog.Image, target: String, debs: String, aptOptions: [String], certificates: [String]
    ) -> [String] {
        var arguments = ["--variant=minbase", "--mode=root", "--format=directory", "--skip=download/empty"]
        arguments.append("--include=" + packages(image).joined(separator: ","))
        arguments += aptOptions.map { "--aptopt=" + $0 }
        arguments += [
            "--setup-hook=mkdir -p \"$1\"/var/cache/apt/archives", "--setup-hook=sync-in \(debs) /var/cache/apt/archives/",
        ]
        for certificate in certificates {
            arguments.append("--customize-hook=copy-in \(certificate) /usr/local/share/ca-certificates/")
        }
        arguments += [
            "--customize-hook=sync-out /var/cache/apt/archives \(debs)", "--customize-hook=" + Self.customizeScript,
        ]
        return arguments + [Self.release, target] + Self.sources
    }

    /// Runs on the host with the image as `$1`, after its packages are installed.
    static let customizeScript = #"""
        set -e; rm -f "$1"/var/cache/apt/archives/*.deb
        printf '%s\n' \#(sources.map { "'\($0)'" }.joined(separator: " ")) >"$1"/etc/apt/sources.list
        rm -f "$1"/etc/apt/sources.list.d/*.sources "$1"/etc/apt/sources.list.d/*.list
        if [ -x "$1"/usr/sbin/locale-gen ]; then echo 'en_US.UTF-8 UTF-8' >"$1"/etc/locale.gen; chroot "$1" locale-gen >/dev/null; fi
        if [ -x "$1"/usr/sbin/update-ca-certificates ]; then chroot "$1" update-ca-certificates >/dev/null 2>&1; fi
        chroot "$1" useradd --uid 1000 --user-group --home-dir /app --no-create-home --shell /bin/bash dyno
        mkdir -p "$1"/app && chmod 755 "$1"/app
        rm -f "$1"/etc/resolv.conf "$1"/etc/hostname && : >"$1"/etc/resolv.conf && : >"$1"/etc/hosts && chmod 644 "$1"/etc/resolv.conf "$1"/etc/hosts
        rm -rf "$1"/tmp/* "$1"/var/tmp/* "$1"/root/* "$1"/var/lib/apt/lists/*
        find "$1" -xdev -perm -0002 ! -type l -exec chmod o-w {} +
        """#
}
