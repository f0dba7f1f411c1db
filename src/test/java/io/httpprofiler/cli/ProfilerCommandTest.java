package io.httpprofiler.cli;

import io.httpprofiler.capture.CaptureSettings;
import io.httpprofiler.capture.ProbeMaps;
import io.httpprofiler.http.PipelineSettings;
import io.httpprofiler.http.ProgressSettings;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.ParameterException;

import java.time.Duration;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The size options are checked against the bounds of what they configure, defined once: every value the command line
 * accepts must be one the pipeline and the kernel side accept too (a value past them used to pass the command line and
 * fail part-way into the start, with a stack trace and an empty transcript left behind).
 */
class ProfilerCommandTest {
    private static final long HEAP = Runtime.getRuntime().maxMemory();

    @Test
    void defaultsAreTheSettingsDefaults() {
        ProfilerOptions options = ProfilerCommand.parse();
        assertEquals(PipelineSettings.DEFAULT_MAX_BODY, options.maxBody());
        assertEquals(CaptureSettings.DEFAULT_RING_BYTES, options.ringBytes());
    }

    @Test
    void theLargestMaxBodyAcceptedIsOneThePipelineAndTheKernelSideTake() {
        ProfilerOptions options = ProfilerCommand.parse("--max-body", "1g");
        assertEquals(PipelineSettings.MAX_MAX_BODY, options.maxBody());
        assertDoesNotThrow(() -> Session.pipelineSettings(options.maxBody(), HEAP));
        assertEquals(PipelineSettings.MAX_MAX_BODY, ProfilerRun.captureSettings(options, 0).maxBody());
    }

    @Test
    void aMaxBodyPastThePipelinesBoundIsAUsageError() {
        assertRefused("--max-body must be between 0 and 1g, got 1500m", "--max-body", "1500m");
        assertRefused("--max-body must be between 0 and 1g, got 1073741825", "--max-body", "1073741825");
        assertRefused("--max-body must be between 0 and 1g, got -1", "--max-body", "-1");
    }

    @Test
    void ringSizesAtTheBoundsAreOnesTheKernelSideTakes() {
        for (String size : new String[]{"4k", "1g"}) {
            ProfilerOptions options = ProfilerCommand.parse("--ring-size", size);
            assertDoesNotThrow(() -> ProfilerRun.captureSettings(options, 0));
        }
        assertRefused("--ring-size must be a power of two between 4k and 1g, got 2g", "--ring-size", "2g");
        assertRefused("--ring-size must be a power of two between 4k and 1g, got 2k", "--ring-size", "2k");
        assertRefused("--ring-size must be a power of two between 4k and 1g, got 1000", "--ring-size", "1000");
    }

    @Test
    void fileRotationOptionsMustNotBeNegative() {
        assertEquals(8L << 30, ProfilerCommand.parse("--max-file-size", "8g").maxFileSize());
        assertRefused("--max-file-size must not be negative, got -1", "--max-file-size", "-1");
        assertRefused("--max-files must not be negative, got -1", "--max-files", "-1");
    }

    @Test
    void portAndPidListsFitTheKernelsFilterMaps() {
        assertEquals(ProbeMaps.MAX_PORTS, ProfilerCommand.parse("--port", numbers(1, ProbeMaps.MAX_PORTS)).ports().size());
        assertRefused("--port takes at most 1024 ports, got 1025", "--port", numbers(1, ProbeMaps.MAX_PORTS + 1));
        assertEquals(ProbeMaps.MAX_PIDS, ProfilerCommand.parse("--pid", numbers(1, ProbeMaps.MAX_PIDS)).pids().size());
        assertRefused("--pid takes at most 4096 processes, got 4097", "--pid", numbers(1, ProbeMaps.MAX_PIDS + 1));
    }

    @Test
    void progressAfterIsSecondsFromZeroOffToTheSettingsBound() {
        ProfilerOptions defaults = ProfilerCommand.parse();
        assertEquals(ProgressSettings.DEFAULT_AFTER, Session.progressSettings(defaults).after());
        assertEquals(false, defaults.jsonProgress());
        assertEquals(Duration.ofMillis(500),
                Session.progressSettings(ProfilerCommand.parse("--progress-after", "0.5")).after());
        assertEquals(false, Session.progressSettings(ProfilerCommand.parse("--progress-after", "0")).enabled());
        ProfilerOptions longest = ProfilerCommand.parse("--progress-after", "3600");
        assertDoesNotThrow(() -> Session.progressSettings(longest));
        for (String bad : new String[]{"-1", "3600.5", "NaN", "Infinity", "-0.001"}) {
            assertRefused("--progress-after must be between 0 (off) and 3600 seconds", "--progress-after", bad);
        }
        assertThrows(ParameterException.class, () -> ProfilerCommand.parse("--progress-after", "2s"), "not a number");
    }

    @Test
    void jsonProgressNeedsAJsonFile() {
        assertRefused("--json-progress needs --json FILE", "--json-progress");
        assertEquals(true, ProfilerCommand.parse("--json", "x.jsonl", "--json-progress").jsonProgress());
    }

    private static String numbers(int from, int to) {
        return IntStream.rangeClosed(from, to).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }

    private static void assertRefused(String message, String... args) {
        ParameterException e = assertThrows(ParameterException.class, () -> ProfilerCommand.parse(args));
        assertEquals(message, e.getMessage());
    }
}
