import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// `OPENRUKO_POSTGRES_ADMIN_URL`: a second PostgreSQL cluster the test runs (Debian's,
    /// `initdb` and `pg_ctl` under a temporary directory, TLS on, a free port on the loopback)
    /// with a role that may CREATE DATABASE and CREATE ROLE; the daemon makes the add-on
    /// database there (and starts no server of its own), the app reaches it from its dyno, a
    /// backup and a destroy work on it, and neither a wrong password nor a malformed URL is
    /// ever echoed.
    @Suite(.timeLimit(.minutes(15))) struct AddonExternalServerTests {
        typealias Addons = AddonTests
        static let bin = "/usr/lib/postgresql/15/bin/"

        /// A cluster of its own, running as `postgres` on `127.0.0.1:port`, with the role
        /// `openruko_admin` (CREATEDB CREATEROLE, not a superuser) whose password is `password`.
        struct Cluster {
            let directory: String
            let port: Int
            var data: String { directory + "/data" }
            var socket: String { directory + "/run" }

            static func start(in parent: String, password: String) async throws -> Cluster {
                let directory = parent + "/external-pg"
                let probe = try await ProcessRunner.run(
                    "/usr/bin/python3",
                    ["-c", "import random, socket\nwhile True:\n  s = socket.socket(); p = random.randint(10000, 15999)\n  try: s.bind(('127.0.0.1', p)); break\n  except OSError: s.close()\nprint(p)"])
                let port = try #require(Int(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
                let cluster = Cluster(directory: directory, port: port)
                let script = """
                    set -e
                    mkdir -p "$1/run" && chown postgres "$1" "$1/run" && chmod 700 "$1/run"
                    runuser -u postgres -- \(bin)initdb -D "$1/data" -U postgres -E UTF8 --locale=C.UTF-8 --auth-local=peer --auth-host=scram-sha-256 >/dev/null
                    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=external \\
                      -keyout "$1/data/server.key" -out "$1/data/server.crt" 2>/dev/null
                    chown postgres "$1/data/server.key" "$1/data/server.crt" && chmod 600 "$1/data/server.key"
                    printf "listen_addresses = '127.0.0.1'\\nport = $2\\nunix_socket_directories = '$1/run'\\nssl = on\\ndynamic_shared_memory_type = sysv\\n" >> "$1/data/postgresql.conf"
                    printf "hostssl all all 127.0.0.1/32 scram-sha-256\\nhostssl all all 10.0.0.0/8 scram-sha-256\\n" >> "$1/data/pg_hba.conf"
                    runuser -u postgres -- \(bin)pg_ctl -D "$1/data" -l "$1/log" -w -s start
                    """
                let started = try await ProcessRunner.run("/bin/bash", ["-c", script, "cluster", directory, String(port)])
                try #require(started.status == 0, "\(started.stdout) \(started.stderr)")
                // The password on stdin, not in an argv
                try await cluster.sql("CREATE ROLE openruko_admin LOGIN CREATEDB CREATEROLE PASSWORD '\(password)';")
                return cluster
            }

            /// SQL as the cluster's superuser over its socket; the rows, unaligned.
            @discardableResult
            func sql(_ text: String) async throws -> String {
                let result = try await ProcessRunner.run(
                    "/usr/sbin/runuser",
                    ["-u", "postgres", "--", bin + "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", socket, "-p", String(port), "-d", "postgres"],
                    input: Data(text.utf8))
                try #require(result.status == 0, "\(result.stderr)")
                return result.stdout
            }

            func stop() async {
                _ = try? await ProcessRunner.run("/usr/sbin/runuser", ["-u", "postgres", "--", bin + "pg_ctl", "-D", data, "-m", "immediate", "-s", "stop"])
            }
        }

        @Test func addOnDatabasesAreMadeOnTheAdminsServer() async throws {
            let scratch = TemporaryDirectory("openruko-external-pg")
            let password = "Adm1n-" + UUID().uuidString.prefix(12)
            let cluster = try await Cluster.start(in: scratch.path, password: password)
            let admin = "postgres://openruko_admin:\(password)@127.0.0.1:\(cluster.port)/postgres?sslmode=require"
            let fixture: RuntimeFixture
            do {
                fixture = try await RuntimeFixture.start(environment: ["OPENRUKO_POSTGRES_ADMIN_URL": admin])
            } catch {
                await cluster.stop()
                throw error
            }
            do {
                // `openruko admin` without the variable makes it where the daemon does
                try await fixture.admin(["apps:create", "shop"])
                try await fixture.admin(["addons:create", "shop", "heroku-postgresql"])
                let url = try await fixture.admin(["config:get", "shop", "DATABASE_URL"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                let components = try #require(URLComponents(string: url))
                let database = String(components.path.dropFirst())
                #expect(components.port == cluster.port, "\(components.port ?? 0)")
                #expect(try await cluster.sql("SELECT datname FROM pg_database WHERE datname = '\(database)';").contains(database))
                #expect(try await cluster.sql("SELECT rolconnlimit FROM pg_roles WHERE rolname = '\(database)';").contains("20"))
                #expect(!FileManager.default.fileExists(atPath: fixture.dataDir + "/services/postgresql/data/PG_VERSION"), "no server of its own")

                // The app's dyno reaches it through DATABASE_URL (over TLS)
                #expect(try await fixture.push(try await fixture.repository(AddonApp.files), app: "shop").status == 0)
                #expect(try await Addons.serving(fixture, "shop") >= 1)
                #expect(try await Addons.db(fixture, "shop")?["ssl"] as? Bool == true)
                // The daemon's environment (the admin's URL) never reaches a dyno
                let env = try #require(try await fixture.get("shop", "/")?["env"] as? [String])
                #expect(env.contains("DATABASE_URL") && !env.contains { $0.hasPrefix("OPENRUKO_") }, "\(env)")

                // Backups and info as the database's own role; destroy drops it there
                #expect(try await fixture.admin(["pg:backups:capture", "shop"]).stdout.contains("to b001... done"))
                #expect(try await fixture.admin(["pg:info", "shop"]).stdout.contains("Tables:"))
                let addon = try #require(try await Addons.addons(fixture, "shop").first)
                try await fixture.admin(["addons:destroy", addon, "--confirm", "shop"])
                #expect(try await cluster.sql("SELECT count(*) FROM pg_database WHERE datname = '\(database)';").hasPrefix("0"))
                #expect(try await cluster.sql("SELECT count(*) FROM pg_roles WHERE rolname = '\(database)';").hasPrefix("0"))

                // A wrong password: refused, the password never echoed
                let wrong = try await ProcessRunner.run(
                    OpenrukoBinary.path, ["admin", "--data-dir", fixture.dataDir, "addons:create", "shop", "heroku-postgresql"],
                    environment: ["OPENRUKO_POSTGRES_ADMIN_URL": "postgres://openruko_admin:Wr0ng-Secret-77@127.0.0.1:\(cluster.port)/postgres?sslmode=require"])
                #expect(wrong.status != 0 && wrong.stderr.contains("password authentication failed"), "\(wrong.stderr)")
                #expect(!(wrong.stdout + wrong.stderr).contains("Wr0ng-Secret-77"))
                // Malformed URLs: refused, naming the part, never quoting them
                for (bad, says) in [
                    ("postgres://openruko_admin:S3cret-x@127.0.0.1:99999/postgres", "port"), ("mysql://u:S3cret-x@h/db", "scheme"),
                    ("postgres://openruko_admin:S3cret-x@127.0.0.1/postgres?sslmode=S3cret-x;rm", "sslmode"),
                    ("postgres://openruko_admin:S3cret-x@$(id)/postgres", "OPENRUKO_POSTGRES_ADMIN_URL is not"), ("postgres://openruko_admin@127.0.0.1/postgres", "password"),
                ] {
                    let refused = try await ProcessRunner.run(
                        OpenrukoBinary.path, ["admin", "--data-dir", fixture.dataDir, "apps"], environment: ["OPENRUKO_POSTGRES_ADMIN_URL": bad])
                    #expect(refused.status != 0 && refused.stderr.contains(says), "\(bad): \(refused.stderr)")
                    #expect(!(refused.stdout + refused.stderr).contains("S3cret-x"), "\(refused.stderr)")
                }
                for secret in [password, "Wr0ng-Secret-77"] {
                    #expect(!fixture.daemon.printed.contains(secret))
                    #expect(!(try await fixture.log("shop")).contains(secret))
                }
            } catch {
                await Addons.finish(fixture)
                await cluster.stop()
                throw error
            }
            await Addons.finish(fixture)
            await cluster.stop()
        }
    }
}
