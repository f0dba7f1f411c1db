package io.httpprofiler.cli;

import io.httpprofiler.capture.RecordFeed;
import io.httpprofiler.capture.Role;
import io.httpprofiler.http.Exchange;
import io.httpprofiler.http.HttpPipeline;
import io.httpprofiler.http.PipelineSettings;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The start-up warm-up: its synthetic traffic is what it claims to be, and it stops at its limits. */
class PipelineWarmupTest {
    private static final PipelineSettings SETTINGS = Session.pipelineSettings(64 * 1024, 64L << 20);

    @Test
    void warmupTrafficIsCleanExchangesSeenFromBothEnds() {
        WarmupTraffic traffic = WarmupTraffic.of(PipelineWarmup.CONNECTIONS, PipelineWarmup.ROUNDS);
        List<Exchange> seen = new ArrayList<>();
        HttpPipeline pipeline = new HttpPipeline(SETTINGS, seen::add);
        RecordFeed feed = RecordFeed.unfiltered(pipeline::accept);
        traffic.records().drain(feed);
        pipeline.finish();

        assertEquals(0, feed.malformedRecords());
        assertEquals(traffic.exchanges(), seen.size());
        assertEquals(2 * PipelineWarmup.CONNECTIONS * PipelineWarmup.ROUNDS, seen.size());
        Map<Integer, Integer> statuses = new TreeMap<>();
        for (Exchange exchange : seen) {
            assertTrue(exchange.notes().isEmpty(), () -> "clean exchange expected: " + exchange);
            assertTrue(exchange.request() != null && exchange.response() != null);
            statuses.merge(exchange.response().status(), 1, Integer::sum);
        }
        assertEquals(seen.size() / 2, seen.stream().filter(e -> e.role() == Role.SERVER).count());
        assertEquals(Map.of(200, 96, 201, 16, 304, 16), statuses, "the mix: GETs (one chunked), a POST, a 304");
        assertTrue(seen.stream().anyMatch(e -> e.response().body().size() == 20 * 1024), "a multi-record body");
    }

    @Test
    void stopsAtTheExchangeTarget() {
        PipelineWarmup.Result result = new PipelineWarmup(SETTINGS, 60_000_000_000L, 1000).call();

        int perPass = 2 * PipelineWarmup.CONNECTIONS * PipelineWarmup.ROUNDS;
        assertEquals((1000 + perPass - 1) / perPass, result.passes());
        assertEquals((long) result.passes() * perPass, result.exchanges(), "every pass writes all its exchanges");
    }

    @Test
    void stopsAtTheTimeBudget() {
        PipelineWarmup.Result result = new PipelineWarmup(SETTINGS, 0, Long.MAX_VALUE).call();

        assertEquals(0, result.passes());
        assertEquals(0, result.exchanges());
    }

    @Test
    void aPassCutShortByTheBudgetEndsTheWarmup() {
        // 1 ms: the first pass (if it even starts) stops taking records once the budget is gone, and no second starts.
        PipelineWarmup.Result result = new PipelineWarmup(SETTINGS, 1_000_000, Long.MAX_VALUE).call();

        assertTrue(result.passes() <= 1, "passes " + result.passes());
        assertTrue(result.exchanges() <= 2L * PipelineWarmup.CONNECTIONS * PipelineWarmup.ROUNDS);
    }

    @Test
    void keepsGoingPastTheBudgetWhileTheStartIsBusyAndEndsWhenItIsDone() throws Exception {
        // Budget 1 ms, cap 60 s, no exchange target: only the start's word ends it.
        PipelineWarmup warmup = new PipelineWarmup(SETTINGS, 1_000_000, 60_000_000_000L, Long.MAX_VALUE);
        WarmupThread thread = WarmupThread.start(warmup);
        Thread.sleep(300);
        // Asked of the thread, not of Result.nanos(): the warm-up's clock starts only once its thread runs, so its own
        // time can fall short of the test's sleep (CI measured 299.99 ms).
        assertTrue(thread.running(), "ran while the start was busy (300 ms, budget 1 ms)");
        PipelineWarmup.Result result = thread.await(); // says the start is done, then waits

        assertTrue(result.nanos() < 60_000_000_000L, "ended when the start was done: " + result.nanos() + " ns");
        assertTrue(result.passes() >= 1, "passes " + result.passes());
        assertTrue(result.exchanges() > 0, "exchanges " + result.exchanges()); // the first pass may still be interpreted
    }

    @Test
    void aStartThatIsAlreadyDoneGetsNoMoreThanTheBudget() {
        PipelineWarmup warmup = new PipelineWarmup(SETTINGS, 0, 60_000_000_000L, Long.MAX_VALUE);
        warmup.startDone();
        PipelineWarmup.Result result = warmup.call();

        assertEquals(0, result.passes());
        assertEquals(0, result.exchanges());
    }
}
