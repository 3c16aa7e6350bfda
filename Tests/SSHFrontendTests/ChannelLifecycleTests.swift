import SSHFrontend
import Testing

@Suite struct ChannelLifecycleTests {
    typealias Action = ChannelLifecycle.Action

    @Test func exitStatusComesAfterBothOutputsAndBeforeEOFAndClose() {
        var channel = ChannelLifecycle(kind: .program)
        let r1 = channel.started()
        #expect(r1 == [])
        let r2 = channel.programExited(0)
        #expect(r2 == [], "the status waits until stdout and stderr are drained")
        let r3 = channel.outputEnded()
        #expect(r3 == [])
        let r4 = channel.outputEnded()
        #expect(r4 == [.closeInput, .sendExitStatus(0), .sendEOF, .close, .startCloseTimer])
        #expect(!channel.isReleased)
        let r5 = channel.clientClosed()
        #expect(r5 == [.release])
        #expect(channel.isReleased)
        let r6 = channel.clientSentEOF()
        #expect(r6 == [])
    }

    @Test func outputsDrainedBeforeTheProcessEndsStillWaitForItsStatus() {
        var channel = ChannelLifecycle(kind: .program)
        _ = channel.started()
        _ = channel.outputEnded()
        let r7 = channel.outputEnded()
        #expect(r7 == [])
        let r8 = channel.programExited(128)
        #expect(r8 == [.closeInput, .sendExitStatus(128), .sendEOF, .close, .startCloseTimer])
    }

    @Test func inputClosesOnlyOnceEveryHeldByteIsDelivered() {
        var channel = ChannelLifecycle(kind: .program)
        _ = channel.started()
        let r9 = channel.inputHeld(true)
        #expect(r9 == [])
        let r10 = channel.clientSentEOF()
        #expect(r10 == [], "bytes are still held in the channel buffer")
        #expect(channel.inputOpen)
        let r11 = channel.inputHeld(false)
        #expect(r11 == [.closeInput])
        #expect(!channel.inputOpen)
    }

    @Test func aClientThatLeavesEarlyGetsItsProgramStoppedAfterAGracePeriod() {
        var channel = ChannelLifecycle(kind: .program)
        _ = channel.started()
        let r12 = channel.clientClosed()
        #expect(r12 == [.closeInput, .stopReadingOutput, .startGraceTimer])
        let r13 = channel.graceExpired()
        #expect(r13 == [.terminate])
        let r14 = channel.graceExpired()
        #expect(r14 == [])
        let r15 = channel.programExited(143)
        #expect(r15 == [.release])
        #expect(channel.isReleased)
    }

    @Test func aChannelThatNeverRanIsReleasedAtOnce() {
        var channel = ChannelLifecycle(kind: .program)
        let r16 = channel.clientClosed()
        #expect(r16 == [.closeInput, .stopReadingOutput, .release])
    }

    @Test func shutdownStopsOnlyARunningProgram() {
        var idle = ChannelLifecycle(kind: .program)
        let r17 = idle.shutdown()
        #expect(r17 == [])
        var running = ChannelLifecycle(kind: .program)
        _ = running.started()
        let r18 = running.shutdown()
        #expect(r18 == [.terminate])
        let r19 = running.shutdown()
        #expect(r19 == [])
    }

    @Test func aForwardHalfClosesEachWayThenCloses() {
        var channel = ChannelLifecycle(kind: .forward)
        let r20 = channel.started()
        #expect(r20 == [])
        let r21 = channel.clientSentEOF()
        #expect(r21 == [.closeInput])
        let r22 = channel.outputEnded()
        #expect(r22 == [.sendEOF, .close, .startCloseTimer])
        let r23 = channel.closeTimerExpired()
        #expect(r23 == [.release])
    }

    @Test func aFailedForwardEndsAtOnce() {
        var channel = ChannelLifecycle(kind: .forward)
        _ = channel.started()
        let r24 = channel.endpointFailed()
        #expect(r24 == [.closeInput, .sendEOF, .close, .startCloseTimer])
    }
}
