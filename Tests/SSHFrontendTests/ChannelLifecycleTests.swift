import SSHFrontend
import Testing

@Suite(.timeLimit(.minutes(15))) struct ChannelLifecycleTests {
    typealias Action = ChannelLifecycle.Action

    @Test func exitStatusComesAfterBothOutputsAndBeforeEOFAndClose() {
        var channel = ChannelLifecycle(kind: .program)
        let step1 = channel.started()
        #expect(step1 == [])
        let step2 = channel.programExited(0)
        #expect(step2 == [], "the status waits until stdout and stderr are drained")
        let step3 = channel.outputEnded()
        #expect(step3 == [])
        let step4 = channel.outputEnded()
        #expect(step4 == [.closeInput, .sendExitStatus(0), .sendEOF, .close, .startCloseTimer])
        #expect(!channel.isReleased)
        let step5 = channel.clientClosed()
        #expect(step5 == [.release])
        #expect(channel.isReleased)
        let step6 = channel.clientSentEOF(stillHeld: false)
        #expect(step6 == [])
    }

    @Test func outputsDrainedBeforeTheProcessEndsStillWaitForItsStatus() {
        var channel = ChannelLifecycle(kind: .program)
        _ = channel.started()
        _ = channel.outputEnded()
        let step7 = channel.outputEnded()
        #expect(step7 == [])
        let step8 = channel.programExited(128)
        #expect(step8 == [.closeInput, .sendExitStatus(128), .sendEOF, .close, .startCloseTimer])
    }

    @Test func anEOFRightBehindBytesThatDoNotFitWaitsForThem() {
        var channel = ChannelLifecycle(kind: .program)
        _ = channel.started()
        let delivered = channel.inputHeld(false)
        #expect(delivered == [], "everything so far was written to the program")
        // The last packets and the EOF arrive together; the last packets do not fit.
        let eof = channel.clientSentEOF(stillHeld: true)
        #expect(eof == [], "closing now would cut the program's input short")
        #expect(channel.inputOpen)
        let drained = channel.inputHeld(false)
        #expect(drained == [.closeInput])
    }

    @Test func inputClosesOnlyOnceEveryHeldByteIsDelivered() {
        var channel = ChannelLifecycle(kind: .program)
        _ = channel.started()
        let step9 = channel.inputHeld(true)
        #expect(step9 == [])
        let step10 = channel.clientSentEOF(stillHeld: true)
        #expect(step10 == [], "bytes are still held in the channel buffer")
        #expect(channel.inputOpen)
        let step11 = channel.inputHeld(false)
        #expect(step11 == [.closeInput])
        #expect(!channel.inputOpen)
    }

    @Test func aClientThatLeavesEarlyGetsItsProgramStoppedAfterAGracePeriod() {
        var channel = ChannelLifecycle(kind: .program)
        _ = channel.started()
        let step12 = channel.clientClosed()
        #expect(step12 == [.closeInput, .stopReadingOutput, .startGraceTimer])
        let step13 = channel.graceExpired()
        #expect(step13 == [.terminate])
        let step14 = channel.graceExpired()
        #expect(step14 == [])
        let step15 = channel.programExited(143)
        #expect(step15 == [.release])
        #expect(channel.isReleased)
    }

    @Test func aChannelThatNeverRanIsReleasedAtOnce() {
        var channel = ChannelLifecycle(kind: .program)
        let step16 = channel.clientClosed()
        #expect(step16 == [.closeInput, .stopReadingOutput, .release])
    }

    @Test func shutdownStopsOnlyARunningProgram() {
        var idle = ChannelLifecycle(kind: .program)
        let step17 = idle.shutdown()
        #expect(step17 == [])
        var running = ChannelLifecycle(kind: .program)
        _ = running.started()
        let step18 = running.shutdown()
        #expect(step18 == [.terminate])
        let step19 = running.shutdown()
        #expect(step19 == [])
    }

    @Test func aForwardHalfClosesEachWayThenCloses() {
        var channel = ChannelLifecycle(kind: .forward)
        let step20 = channel.started()
        #expect(step20 == [])
        let step21 = channel.clientSentEOF(stillHeld: false)
        #expect(step21 == [.closeInput])
        let step22 = channel.outputEnded()
        #expect(step22 == [.sendEOF, .close, .startCloseTimer])
        let step23 = channel.closeTimerExpired()
        #expect(step23 == [.release])
    }

    @Test func aFailedForwardEndsAtOnce() {
        var channel = ChannelLifecycle(kind: .forward)
        _ = channel.started()
        let step24 = channel.endpointFailed()
        #expect(step24 == [.closeInput, .sendEOF, .close, .startCloseTimer])
    }
}
