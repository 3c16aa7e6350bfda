import Foundation
import OpenrukoCore
import Testing

/// When a daily backup is due (`BackupSchedule.dueSlot`), its `--at` parsing and its retention,
/// as pure decisions.
@Suite(.timeLimit(.minutes(1))) struct BackupScheduleTests {
    /// `2026-03-10 HH:MM:00` UTC.
    func utc(_ day: Int, _ hour: Int, _ minute: Int = 0, month: Int = 3) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: DateComponents(year: 2026, month: month, day: day, hour: hour, minute: minute))!
    }

    func schedule(_ at: BackupTime, created: Date, last: Date? = nil) -> BackupSchedule {
        BackupSchedule(
            addonID: UUID(), addonName: "postgresql-curved-12345", appID: UUID(), appName: "shop", attachmentName: "DATABASE", at: at,
            createdAt: created, lastSlot: last)
    }

    @Test func dueOnceADayAtItsHourFromTheDayAfterItWasMade() {
        // Given a schedule at 02:00 UTC made on the 10th at 15:00
        let daily = schedule(BackupTime(hour: 2, timeZone: "UTC"), created: utc(10, 15))
        // Then nothing is due that day (today's 02:00 passed before it was made)
        #expect(daily.dueSlot(now: utc(10, 15, 1)) == nil)
        #expect(daily.dueSlot(now: utc(11, 1, 59)) == nil)
        // And the 11th's 02:00 is due from 02:00 on
        #expect(daily.dueSlot(now: utc(11, 2)) == utc(11, 2))
        #expect(daily.dueSlot(now: utc(11, 9, 30)) == utc(11, 2))
        // But not again once captured, until the next day's slot
        var captured = daily
        captured.lastSlot = utc(11, 2)
        #expect(captured.dueSlot(now: utc(11, 23, 59)) == nil)
        #expect(captured.dueSlot(now: utc(12, 2, 1)) == utc(12, 2))
    }

    @Test func afterDowntimeOnlyTheLatestSlotIsCaughtUp() {
        // Given a schedule last captured on the 11th, and a daemon down until the 15th at 09:00
        let daily = schedule(BackupTime(hour: 2, timeZone: "UTC"), created: utc(1, 0), last: utc(11, 2))
        // Then the 15th's slot is due, once: the 12th to 14th are not captured one by one
        let slot = daily.dueSlot(now: utc(15, 9))
        #expect(slot == utc(15, 2))
        var restarted = daily
        restarted.lastSlot = slot
        #expect(restarted.dueSlot(now: utc(15, 9, 1)) == nil)
    }

    @Test func theHourIsInTheScheduleTimeZone() {
        // Given 02:00 in New York (UTC-4 on 10 March 2026, after the switch to summer time on the 8th)
        let daily = schedule(BackupTime(hour: 2, timeZone: "America/New_York"), created: utc(9, 12))
        // Then the slot is 06:00 UTC
        #expect(daily.dueSlot(now: utc(10, 5, 59)) == nil)
        #expect(daily.dueSlot(now: utc(10, 6)) == utc(10, 6))
        // And in winter (UTC-5) 07:00 UTC
        let winter = schedule(BackupTime(hour: 2, timeZone: "America/New_York"), created: utc(9, 12, month: 1))
        #expect(winter.dueSlot(now: utc(10, 6, 59, month: 1)) == nil)
        #expect(winter.dueSlot(now: utc(10, 7, month: 1)) == utc(10, 7, month: 1))
    }

    @Test func aDaylightSavingDayHasOneSlot() {
        // Given 02:00 in New York on 8 March 2026 (02:00-03:00 does not exist) and 01:00 on 1 November (it happens twice)
        for (hour, day, month) in [(2, 8, 3), (1, 1, 11)] {
            let daily = schedule(BackupTime(hour: hour, timeZone: "America/New_York"), created: utc(day, 0, month: month))
            var last: Date?
            var captured: [Date] = []
            // When the daemon looks every 10 minutes for the 24 hours after it was made
            for minute in stride(from: 0, to: 24 * 60, by: 10) {
                let now = utc(day, 0, month: month).addingTimeInterval(Double(minute * 60))
                var current = daily
                current.lastSlot = last
                if let slot = current.dueSlot(now: now) {
                    captured.append(slot)
                    last = slot
                }
            }
            // Then that local day yields one capture (the next day's slot has not come)
            #expect(captured.count == 1, "\(hour):00 on \(month)/\(day): \(captured)")
        }
    }

    @Test func parsesHerokusAtForm() throws {
        #expect(try BackupTime(parsing: "02:00 America/New_York") == BackupTime(hour: 2, timeZone: "America/New_York"))
        #expect(try BackupTime(parsing: "2:00") == BackupTime(hour: 2, timeZone: "UTC"))
        #expect(try BackupTime(parsing: "23:00 Europe/Paris").text == "23:00 Europe/Paris")
        #expect(try BackupTime(parsing: " 00:00   UTC ").text == "00:00 UTC")
    }

    @Test func refusesWhatIsNotAnHourAndAZone() {
        for (text, says) in [
            ("24:00", "not an hour"), ("02:30 UTC", "run on the hour"), ("2", "not an hour"), ("-1:00", "not an hour"),
            ("02:00 Mars/Olympus", "not a time zone"), ("02:00 ../../etc/passwd", "not a time zone"), ("02:00 UTC; rm -rf /", "not a backup time"),
            ("02:00 $(id)", "not a time zone"), ("", "not a backup time"), ("٠٢:00", "not an hour"), ("02:00 /etc/localtime", "not a time zone"),
            (String(repeating: "9", count: 5000), "not a backup time"),
        ] {
            var message = ""
            do {
                let parsed = try BackupTime(parsing: text)
                Issue.record("\(text.prefix(20)) was accepted as \(parsed.text)")
            } catch {
                message = error.message
            }
            #expect(message.contains(says), "\(text.prefix(20)): \(message)")
            #expect(message.count < 300)
        }
    }

    @Test func keepsTheNewestSevenScheduledBackups() {
        let ids = (1...10).map { "a" + String(format: "%03d", $0) }.shuffled() + ["a1000"]
        #expect(Set(BackupSchedule.expired(ids)) == Set(["a001", "a002", "a003", "a004"]))
        #expect(BackupSchedule.expired(["a001", "a002"]).isEmpty)
    }
}
