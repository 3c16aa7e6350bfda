import Foundation
import TestSupport

/// The real OpenSSH client on a terminal of its own (a PTY made by a small Python driver,
/// whose size the driver sets and changes: the kernel then sends ssh SIGWINCH, as a user
/// resizing a window would), following a script of steps.
struct TerminalDriver {
    /// One step of the conversation.
    enum Step {
        /// Type these bytes.
        case send(String)
        /// Wait until the output (after the previous match) matches this regular expression.
        case expect(String)
        /// Type `send` every second until the output matches `pattern`.
        case resend(String, until: String)
        /// Change the terminal's size (rows, columns).
        case resize(rows: Int, columns: Int)
        /// Let this many seconds pass, reading output.
        case pause(Double)

        /// Ctrl-C interrupts a foreground `sleep 100` while the shell goes on (the sleep outlasts
        /// the 60 s the next step waits), then `exit 3` (whose status is ssh's).
        static let interruptThenExit3: [Step] = [
            .send(#"echo "sleeping=[$((1+1))]"; sleep 100"# + "\r"),
            .expect(#"sleeping=\[2\]"#),
            .pause(1),
            .send("\u{03}"),
            .send(#"echo "alive=[$((40+2))]""# + "\r"),
            .expect(#"alive=\[42\]"#),
            .send("exit 3\r"),
        ]

        var json: [String: Any] {
            switch self {
            case .send(let text): ["send": text]
            case .expect(let pattern): ["expect": pattern]
            case .resend(let text, let pattern): ["send": text, "until": pattern]
            case .resize(let rows, let columns): ["resize": [rows, columns]]
            case .pause(let seconds): ["pause": seconds]
            }
        }
    }

    /// What happened: the index of the step that timed out, ssh's exit status, everything shown.
    struct Outcome {
        var failedStep: Int?
        var status: Int?
        var transcript: String
    }

    let directory: String

    /// Runs `argv` on a `rows`×`columns` terminal with `environment` added, through `steps`,
    /// then waits for it to exit.
    func run(
        _ argv: [String], rows: Int = 24, columns: Int = 80, environment: [String: String] = [:], steps: [Step]
    ) async throws -> Outcome {
        let script = directory + "/terminal-driver.py"
        try Self.script.write(toFile: script, atomically: true, encoding: .utf8)
        let spec: [String: Any] = [
            "argv": argv, "rows": rows, "cols": columns, "env": environment, "steps": steps.map(\.json),
        ]
        let specFile = directory + "/terminal-\(UUID().uuidString).json"
        try JSONSerialization.data(withJSONObject: spec).write(to: URL(fileURLWithPath: specFile))
        let result = try await ProcessRunner.run("/usr/bin/python3", [script, specFile])
        guard let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw TestFailure("the terminal driver failed: \(result.stderr)")
        }
        return Outcome(
            failedStep: object["failed"] as? Int, status: object["status"] as? Int, transcript: object["transcript"] as? String ?? "")
    }

    /// The driver (Python's own `os.openpty`, `fcntl`, `termios`).
    static let script = #"""
import fcntl, json, os, re, select, signal, struct, subprocess, sys, termios, time

spec = json.load(open(sys.argv[1]))
master, slave = os.openpty()

def resize(rows, cols):
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

resize(spec.get("rows", 24), spec.get("cols", 80))
def child_setup():
    # The terminal is the child's controlling terminal (so resizing it sends SIGWINCH), and
    # no signal stays blocked from whoever started the driver (a test runner may block some).
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    for number in (signal.SIGWINCH, signal.SIGINT, signal.SIGPIPE):
        signal.signal(number, signal.SIG_DFL)

env = dict(os.environ)
env.update(spec.get("env", {}))
child = subprocess.Popen(
    spec["argv"], stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
    preexec_fn=child_setup)
os.close(slave)
transcript = b""
position = 0
eof = False

def pump(seconds):
    global transcript, eof
    ready, _, _ = select.select([master], [], [], seconds)
    if not ready:
        return
    try:
        data = os.read(master, 65536)
    except OSError:
        data = b""
    if not data:
        eof = True
        time.sleep(seconds)
    transcript += data

def wait_for(pattern, timeout, resend=None, every=1.0):
    global position
    expression = re.compile(pattern.encode())
    deadline = time.time() + timeout
    next_send = 0.0
    while time.time() < deadline:
        if resend is not None and time.time() >= next_send:
            os.write(master, resend.encode())
            next_send = time.time() + every
        match = expression.search(transcript, position)
        if match:
            position = match.end()
            return True
        if eof and resend is None:
            return False
        pump(0.1)
    return False

failed = None
for index, step in enumerate(spec.get("steps", [])):
    if "resize" in step:
        resize(*step["resize"])
    elif "pause" in step:
        end = time.time() + step["pause"]
        while time.time() < end:
            pump(0.1)
    elif "until" in step:
        if not wait_for(step["until"], step.get("timeout", 60), resend=step["send"], every=step.get("every", 1.0)):
            failed = index
            break
    elif "expect" in step:
        if not wait_for(step["expect"], step.get("timeout", 60)):
            failed = index
            break
    elif "send" in step:
        os.write(master, step["send"].encode())
status = None
deadline = time.time() + spec.get("exitTimeout", 60)
while time.time() < deadline:
    status = child.poll()
    if status is not None:
        break
    pump(0.1)
if status is None:
    child.kill()
    child.wait()
while not eof:
    pump(0.1)
    if not select.select([master], [], [], 0)[0]:
        break
print(json.dumps({"failed": failed, "status": status, "transcript": transcript.decode("utf-8", "replace")}))
"""#
}
