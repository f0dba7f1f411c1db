package io.httpprofiler.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TunedJvmTest {
    @Test
    void aPlainStartGetsTheSettings() {
        assertTrue(TunedJvm.wanted(null, null, List.of()));
        assertTrue(TunedJvm.wanted(null, null, List.of("-Dfoo=bar", "-XX:+UseG1GC")), "other flags are the user's too");
    }

    @Test
    void settingsInForceAChosenHeapOrTheOptOutKeepTheJvmAsStarted() {
        assertFalse(TunedJvm.wanted("applied", null, List.of()));
        assertFalse(TunedJvm.wanted(null, TunedJvm.AS_IS, List.of()));
        for (String heap : List.of("-Xmx256m", "-XX:MaxHeapSize=1g", "-XX:MaxRAMPercentage=10", "-XX:MaxRAM=1g")) {
            assertFalse(TunedJvm.wanted(null, null, List.of("-Dfoo=bar", heap)), heap);
        }
        assertTrue(TunedJvm.wanted(null, "anything else", List.of()));
    }

    @Test
    void theCommandIsTheFilesOptionsThenTheUsersThenTheJarAndItsArguments() {
        List<String> command = TunedJvm.command(Path.of("/jre/bin/java"), List.of("-Xmx64m", "-XX:+UseSerialGC"),
                List.of("-Duser=1"), "target/http-profiler.jar", new String[] {"--port", "8080"});
        assertEquals(List.of("/jre/bin/java", "-XX:+IgnoreUnrecognizedVMOptions", "-Xmx64m", "-XX:+UseSerialGC",
                "-Dhttpprofiler.jvm-options=applied", "-Duser=1", "-jar", "target/http-profiler.jar", "--port", "8080"),
                command);
    }

    @Test
    void theShippedOptionsFileIsReadAsTheJavaLauncherReadsIt() throws IOException {
        List<String> options = TunedJvm.options(Files.readAllLines(Path.of("bin/jvm.options")));
        assertTrue(options.contains("-Xmx64m"), options::toString);
        assertTrue(options.contains("-XX:+UseSerialGC"), options::toString);
        assertTrue(options.contains("-D" + TunedJvm.APPLIED_PROPERTY + "=applied"), "the file says it is in force");
        assertTrue(options.stream().allMatch(o -> o.startsWith("-") && !o.contains(" ")), options::toString);
    }
}
