import Testing

@testable import SSHFrontend

/// The per-source places for connections still logging in, and the short wait for one.
@Suite(.timeLimit(.minutes(15))) struct LoginQueueTests {
    let start = ContinuousClock.now

    @Test func placesThenAShortWaitThenRefusals() {
        var queue = LoginQueue(policy: .init(perSource: 2, waitingPerSource: 2, wait: .seconds(5)))
        let arrivals = (0..<5).map { queue.arrive($0, from: "10.0.0.1", now: start) }
        #expect(arrivals == [.admitted, .admitted, .waiting, .waiting, .refused])
        let elsewhere = queue.arrive(5, from: "10.0.0.2", now: start)
        #expect(elsewhere == .admitted, "other addresses have places of their own")
        #expect(queue.nextDeadline == start + .seconds(5))

        let handedTo = queue.release("10.0.0.1")
        #expect(handedTo == 2, "a freed place goes to the longest waiting connection")
        #expect(queue.admitted == 3)
        let none = queue.expire(now: start + .seconds(4))
        #expect(none.isEmpty)
        let late = queue.expire(now: start + .seconds(5))
        #expect(late == [3])
        #expect(queue.waitingCount == 0)
        #expect(queue.nextDeadline == nil)

        let freed = [queue.release("10.0.0.1"), queue.release("10.0.0.1"), queue.release("10.0.0.1")]
        #expect(freed == [nil, nil, nil])
        #expect(queue.admitted == 1)
        let again = queue.arrive(6, from: "10.0.0.1", now: start + .seconds(6))
        #expect(again == .admitted)
    }

    @Test func newcomersQueueBehindWaitingOnesAndTheTotalWaitIsCapped() {
        var queue = LoginQueue(policy: .init(perSource: 1, waitingPerSource: 5, wait: .seconds(5), waitingTotal: 3))
        var arrivals = [queue.arrive(0, from: "a", now: start), queue.arrive(1, from: "a", now: start)]
        arrivals += [queue.arrive(2, from: "b", now: start), queue.arrive(3, from: "b", now: start)]
        arrivals += [queue.arrive(4, from: "c", now: start), queue.arrive(5, from: "c", now: start)]
        arrivals += [queue.arrive(6, from: "d", now: start), queue.arrive(7, from: "d", now: start)]
        #expect(arrivals == [.admitted, .waiting, .admitted, .waiting, .admitted, .waiting, .admitted, .refused])
        #expect(queue.waitingCount == 3)
    }
}
