package io.httpprofiler.cli;

import io.httpprofiler.http.PipelineSettings;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pipeline's limits are sized to the heap the JVM was given (see {@link Session#pipelineSettings}). */
class PipelineLimitsTest {
    private static final long MIB = 1L << 20;

    @Test
    void aSixtyFourMegabyteHeapGetsAQuarterForBuffersAndAQuarterForConnections() {
        PipelineSettings s = Session.pipelineSettings(64 * 1024, 64 * MIB);
        assertEquals(16 * MIB, s.totalBufferBytes());
        assertEquals(4 * MIB, s.connectionBufferBytes());
        assertEquals(8192, s.maxConnections());
        assertEquals(64 * 1024, s.maxBody());
    }

    @Test
    void aBigHeapKeepsTheDefaults() {
        PipelineSettings s = Session.pipelineSettings(64 * 1024, 16L << 30);
        PipelineSettings defaults = PipelineSettings.defaults();
        assertEquals(defaults.totalBufferBytes(), s.totalBufferBytes());
        assertEquals(defaults.connectionBufferBytes(), s.connectionBufferBytes());
        assertEquals(defaults.maxConnections(), s.maxConnections());
        assertEquals(defaults.maxPendingRequests(), s.maxPendingRequests());
        assertEquals(defaults.idleTimeout(), s.idleTimeout());
    }

    @Test
    void aLargerMaxBodyGrowsThePerConnectionCapWithinTheHeapShare() {
        PipelineSettings s = Session.pipelineSettings(1 << 20, 128 * MIB);
        assertEquals(32 * MIB, s.totalBufferBytes());
        assertEquals(5 * MIB, s.connectionBufferBytes()); // 4 x max body + 1 MiB, as PipelineSettings.withMaxBody asks
    }

    @Test
    void aMaxBodyBeyondTheHeapIsCappedByTheConnectionShare() {
        PipelineSettings s = Session.pipelineSettings(16 << 20, 64 * MIB);
        assertEquals(4 * MIB, s.connectionBufferBytes());
        assertTrue(s.maxBody() > s.connectionBufferBytes(), "Session warns about this at startup");
    }

    @Test
    void aTinyHeapStillGetsAWorkingPipeline() {
        PipelineSettings s = Session.pipelineSettings(64 * 1024, 8 * MIB);
        assertEquals(2 * MIB, s.totalBufferBytes());
        assertEquals(512 * 1024, s.connectionBufferBytes());
        assertEquals(1024, s.maxConnections());
        s = Session.pipelineSettings(64 * 1024, 2 * MIB);
        assertEquals(MIB, s.totalBufferBytes());
        assertEquals(256, s.maxConnections());
    }
}
