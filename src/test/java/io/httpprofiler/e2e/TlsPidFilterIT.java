package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static io.httpprofiler.e2e.E2e.WAIT;
import static io.httpprofiler.e2e.E2e.targetIs;
import static io.httpprofiler.e2e.TlsFixtures.assertTls;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code --pid} applies to TLS plaintext as to plain TCP: the uprobes sit in a library every process shares, and the
 * kernel's pid filter decides. Only the chosen server's side of its exchanges is recorded; the other server and the
 * clients (curl) are not.
 */
@Tag("root")
class TlsPidFilterIT {
    @TempDir
    static Path dir;
    private static Process chosen;
    private static Process other;
    private static int chosenPort;
    private static int otherPort;
    private static ProfilerProcess profiler;

    @BeforeAll
    static void start() throws Exception {
        E2e.assumeCanTrace();
        TlsFixtures.assumeCommand(TlsFixtures.PYTHON);
        TlsFixtures.assumeCommand("curl");
        TlsFixtures.makeCertificate(dir);
        chosenPort = E2e.freePort();
        chosen = TlsFixtures.startPythonServer(dir, chosenPort);
        otherPort = E2e.freePort();
        other = TlsFixtures.startPythonServer(dir, otherPort);
        profiler = ProfilerProcess.start(dir, "--pid", Long.toString(chosen.pid()));
    }

    @AfterAll
    static void stop() throws Exception {
        ProfilerProcess.stopCleanlyThen(profiler, () -> {
            TlsFixtures.stop(chosen);
            TlsFixtures.stop(other);
        });
    }

    @Test
    void onlyTheChosenProcessIsRecorded() throws Exception {
        E2e.curl(dir, "-k", "-o", "/dev/null", "https://127.0.0.1:" + otherPort + "/other-server");
        E2e.curl(dir, "-k", "-o", "/dev/null", "https://127.0.0.1:" + chosenPort + "/chosen-server");
        List<JsonNode> all = profiler.awaitExchanges(list -> list.stream()
                .anyMatch(targetIs("server", "/chosen-server")), WAIT);
        assertEquals(1, all.size(), () -> "only the chosen server's side: " + all);
        assertEquals(chosen.pid(), all.get(0).path("pid").asLong());
        assertTls(all.get(0), "libssl.so.3");
    }
}
