import Routing
import Testing

@Suite(.timeLimit(.minutes(2))) struct RendezvousGreetingTests {
    let secret = String(repeating: "ab12", count: 16)

    @Test func theCLIsSecretWithCRLFAndHeroku3sWithout() {
        var cli = RendezvousGreeting(length: 64)
        #expect(cli.feed(Array((secret + "\r\n").utf8)) == .secret(secret, rest: []))
        var heroku3 = RendezvousGreeting(length: 64)
        #expect(heroku3.feed(Array(secret.prefix(10).utf8)) == .needMore)
        #expect(heroku3.feed(Array(secret.dropFirst(10).utf8)) == .secret(secret, rest: []))
        var eager = RendezvousGreeting(length: 64)
        #expect(eager.feed(Array((secret + "\r\nls\n").utf8)) == .secret(secret, rest: Array("ls\n".utf8)))
    }

    @Test func anythingButHexIsRefusedAtOnce() {
        var greeting = RendezvousGreeting(length: 64)
        #expect(greeting.feed(Array("GET / HTTP/1.1\r\n".utf8)) == .invalid)
    }

    @Test func withoutATTYControlDEndsTheInputAndALateLineEndIsDropped() {
        var input = RendezvousInput(tty: false, lineEndPending: true)
        #expect(input.feed(Array("\r\nabc".utf8)) == Array("abc".utf8))
        #expect(input.feed([0x64, 0x04, 0x65]) == [0x64])
        #expect(input.ended)
        #expect(input.feed([0x66]) == [])
        var tty = RendezvousInput(tty: true, lineEndPending: false)
        #expect(tty.feed([0x03, 0x04]) == [0x03, 0x04])
        #expect(!tty.ended)
    }
}
