package io.httpprofiler.http;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tracker alone, on a fake clock: when exchanges come due, how often, how many at once, and what it costs. */
class ProgressTrackerTest {
    private static final long S = 1_000_000_000L;
    private static final long T0 = 1_795_000_000L * S;

    /** One tracker and the reports it asked for, as (exchange start, report number, time) triples. */
    private static final class Clock {
        final ProgressTracker tracker;
        final List<String> reports = new ArrayList<>();

        Clock(Duration after, int max) {
            tracker = new ProgressTracker(new ProgressSettings(after, max));
        }

        OpenExchange open(long startNanos) {
            return tracker.open(null, new PendingRequest(null, startNanos, 1), null);
        }

        /** Ticks every 100 ms from {@code fromNanos} to {@code toNanos}, as the capture loop's expiry would. */
        void tick(long fromNanos, long toNanos) {
            for (long now = fromNanos; now <= toNanos; now += S / 10) {
                at(now);
            }
        }

        void at(long now) {
            tracker.due(now, e -> reports.add(seconds(e.startNanos) + "#" + e.reports + "@" + seconds(now)));
        }
    }

    private static String seconds(long nanos) {
        long tenths = (nanos - T0) / (S / 10);
        return tenths / 10 + "." + tenths % 10;
    }

    @Test
    void firstReportComesAtProgressAfterThenEachTimeTheAgeDoubles() {
        Clock clock = new Clock(Duration.ofSeconds(2), 256);
        clock.open(T0);
        clock.tick(T0, T0 + 70 * S);
        assertEquals(List.of("0.0#1@2.0", "0.0#2@4.0", "0.0#3@8.0", "0.0#4@16.0", "0.0#5@32.0", "0.0#6@64.0"),
                clock.reports);
    }

    @Test
    void reportsOfAVeryLongExchangeAreAtMostTheLongestIntervalApart() {
        Clock clock = new Clock(Duration.ofSeconds(2), 256);
        clock.open(T0);
        clock.tick(T0, T0 + 250 * S);
        // 2, 4, 8, 16, 32, 64, then every 60 s
        assertEquals(List.of("0.0#1@2.0", "0.0#2@4.0", "0.0#3@8.0", "0.0#4@16.0", "0.0#5@32.0", "0.0#6@64.0",
                "0.0#7@124.0", "0.0#8@184.0", "0.0#9@244.0"), clock.reports);
    }

    @Test
    void anExchangeThatEndsBeforeItIsDueIsNeverReported() {
        Clock clock = new Clock(Duration.ofSeconds(2), 256);
        OpenExchange quick = clock.open(T0);
        clock.tick(T0, T0 + S);
        assertEquals(-1, clock.tracker.close(quick), "no first report to complete");
        clock.tick(T0 + S, T0 + 10 * S);
        assertEquals(List.of(), clock.reports);
        assertEquals(0, clock.tracker.openExchanges());
        assertEquals(0, clock.tracker.reports());
    }

    @Test
    void closingAReportedExchangeSaysWhenItsFirstReportWasMade() {
        Clock clock = new Clock(Duration.ofSeconds(2), 256);
        OpenExchange slow = clock.open(T0);
        clock.tick(T0, T0 + 5 * S);
        assertEquals(T0 + 2 * S, clock.tracker.close(slow));
        assertEquals(-1, clock.tracker.close(slow), "closed once");
        clock.tick(T0 + 5 * S, T0 + 20 * S);
        assertEquals(List.of("0.0#1@2.0", "0.0#2@4.0"), clock.reports, "nothing after it ended");
        assertEquals(0, clock.tracker.reportedNow());
    }

    @Test
    void aLateTickReportsOnceAndSchedulesThePastTheTick() {
        Clock clock = new Clock(Duration.ofSeconds(2), 256);
        clock.open(T0);
        clock.at(T0 + 2 * S);
        clock.at(T0 + 30 * S); // the loop stalled: 4, 8 and 16 passed unseen
        clock.at(T0 + 31 * S);
        clock.at(T0 + 32 * S);
        assertEquals(List.of("0.0#1@2.0", "0.0#2@30.0", "0.0#3@32.0"), clock.reports);
    }

    @Test
    void theFirstReportOfAnExchangeFoundLateStillDoublesFromItsStart() {
        Clock clock = new Clock(Duration.ofSeconds(2), 256);
        clock.open(T0);
        clock.at(T0 + 5 * S); // first seen due at 5 s: the next is at 8 s, not 10 s
        clock.tick(T0 + 5 * S, T0 + 9 * S);
        assertEquals(List.of("0.0#1@5.0", "0.0#2@8.0"), clock.reports);
    }

    @Test
    void exchangesComeDueInTheOrderTheyStarted() {
        Clock clock = new Clock(Duration.ofSeconds(1), 256);
        clock.open(T0);
        clock.open(T0 + S / 2);
        clock.open(T0 + 3 * S);
        clock.tick(T0, T0 + 4 * S);
        assertEquals(List.of("0.0#1@1.0", "0.5#1@1.5", "0.0#2@2.0", "0.5#2@2.5", "0.0#3@4.0", "3.0#1@4.0"),
                clock.reports);
    }

    @Test
    void anExchangeOpenedOutOfStartOrderWaitsAtMostForTheOneBeforeIt() {
        Clock clock = new Clock(Duration.ofSeconds(1), 256);
        clock.open(T0 + S / 2); // its head completed first
        clock.open(T0); // a head that began earlier but took longer to arrive
        clock.tick(T0, T0 + 1500 * 1_000_000L);
        assertEquals(List.of("0.5#1@1.5", "0.0#1@1.5"), clock.reports);
    }

    @Test
    void atMostMaxInProgressAreReportedTheRestCountedOnce() {
        Clock clock = new Clock(Duration.ofSeconds(1), 2);
        OpenExchange first = clock.open(T0);
        clock.open(T0);
        OpenExchange third = clock.open(T0);
        clock.open(T0);
        clock.tick(T0, T0 + 3 * S);
        assertEquals(List.of("0.0#1@1.0", "0.0#1@1.0", "0.0#2@2.0", "0.0#2@2.0"), clock.reports);
        assertEquals(2, clock.tracker.overCap());
        assertEquals(2, clock.tracker.reportedNow());
        assertEquals(4, clock.tracker.openExchanges());
        assertEquals(-1, clock.tracker.close(third), "over the cap: never reported");
        assertEquals(T0 + S, clock.tracker.close(first));
        assertEquals(2, clock.tracker.openExchanges());
        assertEquals(1, clock.tracker.reportedNow());
        // A slot is free again: an exchange that comes due now takes it.
        clock.open(T0 + 3 * S);
        clock.tick(T0 + 31 * S / 10, T0 + 4 * S);
        assertTrue(clock.reports.contains("3.0#1@4.0"), clock.reports::toString);
        assertEquals(2, clock.tracker.overCap(), "counted once each");
    }

    @Test
    void offFollowsNothing() {
        Clock clock = new Clock(Duration.ZERO, 256);
        assertNull(clock.open(T0));
        clock.tick(T0, T0 + 10 * S);
        assertEquals(List.of(), clock.reports);
        assertEquals(0, clock.tracker.openExchanges());
    }

    @Test
    void aProgressAfterLongerThanTheLongestIntervalKeepsItsOwnPace() {
        Clock clock = new Clock(Duration.ofSeconds(90), 256);
        clock.open(T0);
        clock.at(T0 + 90 * S);
        clock.at(T0 + 179 * S);
        clock.at(T0 + 180 * S);
        clock.at(T0 + 270 * S);
        assertEquals(List.of("0.0#1@90.0", "0.0#2@180.0", "0.0#3@270.0"), clock.reports);
    }

    @Test
    void aReportThatFailsCostsThatReportOnly() {
        Clock clock = new Clock(Duration.ofSeconds(1), 256);
        clock.open(T0);
        clock.open(T0);
        assertThrows(IllegalStateException.class, () -> clock.tracker.due(T0 + S, e -> {
            throw new IllegalStateException("writer failed");
        }));
        clock.tick(T0 + S, T0 + 2 * S);
        // The first was scheduled before its report failed (that report is lost, its next one comes at 2 s); the
        // second was never taken up and is reported at the next tick.
        assertEquals(List.of("0.0#1@1.0", "0.0#2@2.0", "0.0#2@2.0"), clock.reports);
        assertEquals(2, clock.tracker.openExchanges());
    }

    @Test
    void thousandsOfShortExchangesLeaveNothingBehind() {
        Clock clock = new Clock(Duration.ofSeconds(2), 256);
        long now = T0;
        for (int i = 0; i < 100_000; i++) {
            OpenExchange exchange = clock.open(now);
            now += 100_000; // 10k exchanges a second, each 0.1 ms long
            clock.tracker.close(exchange);
            if (i % 2000 == 0) {
                clock.at(now);
            }
        }
        clock.tick(now, now + 5 * S);
        assertEquals(List.of(), clock.reports);
        assertEquals(0, clock.tracker.openExchanges());
    }

    @Test
    void settingsRefuseWhatCannotBeScheduled() {
        assertThrows(IllegalArgumentException.class, () -> new ProgressSettings(Duration.ofSeconds(-1), 1));
        assertThrows(IllegalArgumentException.class,
                () -> new ProgressSettings(ProgressSettings.MAX_AFTER.plusSeconds(1), 1));
        assertThrows(IllegalArgumentException.class, () -> new ProgressSettings(Duration.ofSeconds(1), 0));
        new ProgressSettings(ProgressSettings.MAX_AFTER, 1);
    }

    @Test
    void theLongestProgressAfterStaysFarFromOverflow() {
        Clock clock = new Clock(ProgressSettings.MAX_AFTER, 256);
        clock.open(T0);
        clock.at(T0 + ProgressSettings.MAX_AFTER.toNanos());
        clock.at(T0 + 2 * ProgressSettings.MAX_AFTER.toNanos());
        assertEquals(2, clock.reports.size(), clock.reports::toString);
    }
}
