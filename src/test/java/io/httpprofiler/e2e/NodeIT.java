package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.httpprofiler.e2e.E2e.WAIT;
import static io.httpprofiler.e2e.E2e.assertNoNotes;
import static io.httpprofiler.e2e.E2e.assertSameConnection;
import static io.httpprofiler.e2e.E2e.header;
import static io.httpprofiler.e2e.E2e.single;
import static io.httpprofiler.e2e.E2e.targetIs;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * node's http module beside curl. node writes a response assembled from many {@code res.write()} calls as one
 * writev(2) with three segments per chunk (size line, data, CRLF): 19 chunks of 16 KiB and a last one of 1000 bytes are
 * a single call of ~60 segments. Both records must show the whole body, its exact size and no note.
 */
@Tag("root")
class NodeIT {
    private static final int CHUNKS = 19;
    private static final int CHUNK = 16384;
    private static final int LAST = 1000;
    private static final long BODY = (long) CHUNKS * CHUNK + LAST;

    private static final String SERVER = """
            const http = require('http');
            const chunk = Buffer.alloc(%d, 'a');
            http.createServer((req, res) => {
              res.writeHead(200, {'Content-Type': 'text/plain'});
              for (let i = 0; i < %d; i++) res.write(chunk);
              res.end(Buffer.alloc(%d, 'z'));
            }).listen(Number(process.argv[2]), '127.0.0.1');
            """.formatted(CHUNK, CHUNKS, LAST);

    @TempDir
    static Path dir;
    private static Process server;
    private static int port;
    private static ProfilerProcess profiler;

    @BeforeAll
    static void start() throws Exception {
        E2e.assumeCanTrace();
        E2e.assumeCommand("node", "nodejs");
        Path script = Files.writeString(dir.resolve("chunked_server.js"), SERVER);
        port = E2e.freePort();
        server = E2e.startListening(dir.resolve("node.log"), port, "node", script.toString(), Integer.toString(port));
        profiler = ProfilerProcess.start(dir, "--port", Integer.toString(port), "--max-body", "1m");
    }

    @AfterAll
    static void stop() throws Exception {
        ProfilerProcess.stopCleanlyThen(profiler, () -> {
            if (server != null) {
                server.destroy();
                server.waitFor(5, TimeUnit.SECONDS);
            }
        });
    }

    @Test
    void chunkedResponseWrittenAsOneWritevOfSixtySegmentsIsWhole() throws Exception {
        String target = "/chunked?id=node-1";
        Path out = dir.resolve("chunked.out");
        E2e.curl(dir, "-o", out.toString(), "http://127.0.0.1:" + port + target);
        assertEquals(BODY, Files.size(out), "what curl received");

        List<JsonNode> all = profiler.awaitExchanges(list -> list.stream().anyMatch(targetIs("client", target))
                && list.stream().anyMatch(targetIs("server", target)), WAIT);
        JsonNode client = single(all, "client", target);
        JsonNode serverRecord = single(all, "server", target);
        assertSameConnection(client, serverRecord);
        assertEquals("node", serverRecord.path("comm").asText());
        for (JsonNode record : List.of(client, serverRecord)) {
            JsonNode response = record.path("response");
            assertEquals(200, response.path("status").asInt(), record::toString);
            assertEquals("chunked", header(response, "Transfer-Encoding"));
            assertEquals(BODY, response.path("body_size").asLong(), () -> record.path("role") + ": " + record.path("notes"));
            String body = response.path("body").asText();
            assertEquals("a".repeat(CHUNKS * CHUNK) + "z".repeat(LAST), body, "the whole body, in order");
            assertNoNotes(record);
        }
    }
}
