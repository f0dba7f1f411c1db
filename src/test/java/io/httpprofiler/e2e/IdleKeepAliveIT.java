package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * 2000 keep-alive connections to node, one request each, then left idle across several progress periods
 * ({@code --progress-after 1}: reports would come at 1, 2, 4 s): an idle connection between requests is not an exchange
 * in progress, so none of them is reported, and the profiler's count of exchanges open stays at what is really open (one
 * slow request, both ends, while it lasts). That slow request also shows the JSON Lines default: one record per
 * exchange, no partial records, while the transcript reports it in progress.
 */
@Tag("root")
class IdleKeepAliveIT {
    private static final int CONNECTIONS = 2000;
    private static final String SERVER = """
            const http = require('http');
            const server = http.createServer((req, res) => {
              if (req.url.startsWith('/slow')) { setTimeout(() => res.end('late'), 3000); return; }
              res.end('ok');
            });
            server.keepAliveTimeout = 0; // idle connections stay open until the client closes them
            server.listen(Number(process.argv[2]), '127.0.0.1');
            """;
    private static final Pattern IN_PROGRESS = Pattern.compile("in progress (\\d+) \\(progress reports (\\d+)");

    @TempDir
    static Path dir;
    private static Process server;
    private static int port;
    private static ProfilerProcess profiler;

    @BeforeAll
    static void start() throws Exception {
        E2e.assumeCanTrace();
        E2e.assumeCommand("node", "nodejs");
        long openFiles = openFilesLimit();
        if (openFiles < 2 * CONNECTIONS + 200) {
            System.err.println("SKIPPED: " + CONNECTIONS + " connections need more open files than " + openFiles);
        }
        Assumptions.assumeTrue(openFiles >= 2 * CONNECTIONS + 200, "open files limit " + openFiles);
        Path script = Files.writeString(dir.resolve("keepalive_server.js"), SERVER);
        port = E2e.freePort();
        // node does not raise its own open files limit: the shell raises it to the hard limit first.
        server = E2e.startListening(dir.resolve("node.log"), port, "sh", "-c",
                "ulimit -n $(ulimit -Hn); exec node \"$0\" \"$1\"", script.toString(), Integer.toString(port));
        profiler = ProfilerProcess.start(dir, "--port", Integer.toString(port), "--progress-after", "1",
                "--stats-interval", "1");
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

    /** This JVM's hard open files limit (the JVM raises its soft limit to it), from /proc. */
    private static long openFilesLimit() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                String[] fields = line.substring("Max open files".length()).trim().split("\\s+");
                return fields[1].equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(fields[1]);
            }
        }
        return 0;
    }

    @Test
    void idleKeepAliveConnectionsAreNotInProgressAndCostNothing() throws Exception {
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < CONNECTIONS; i++) {
                Socket socket = new Socket();
                socket.connect(new InetSocketAddress(E2e.LOOPBACK, port), 5000);
                socket.setSoTimeout(20_000);
                sockets.add(socket);
                // One exchange at a time, each read at once: what is measured is idleness after it, not a wait.
                socket.getOutputStream().write(("GET /idle?n=" + i + " HTTP/1.1\r\nHost: x\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                readResponse(socket.getInputStream(), "ok");
            }
            List<JsonNode> all = profiler.awaitExchanges(list -> list.stream()
                    .filter(E2e.targetStarts("server", "/idle")).count() == CONNECTIONS
                    && list.stream().filter(E2e.targetStarts("client", "/idle")).count() == CONNECTIONS, E2e.WAIT);
            long rssBefore = residentKiB(profiler.pid());

            // A slow request among them, answered after 3 s.
            Socket slow = new Socket(E2e.LOOPBACK, port);
            sockets.add(slow);
            slow.setSoTimeout(20_000);
            slow.getOutputStream().write("GET /slow?id=among-idle HTTP/1.1\r\nHost: x\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            readResponse(slow.getInputStream(), "late");
            int statsBefore = profiler.stderr().size();
            Thread.sleep(5000); // progress periods at 1, 2 and 4 s pass with everything idle
            long rssAfter = residentKiB(profiler.pid());
            System.err.println("IdleKeepAliveIT: profiler resident " + rssBefore + " KiB after " + CONNECTIONS
                    + " connections, " + rssAfter + " KiB after 5 s idle");

            String transcript = profiler.transcript();
            List<TranscriptBlocks.Block> blocks = TranscriptBlocks.parse(transcript);
            List<TranscriptBlocks.Block> reported = blocks.stream().filter(TranscriptBlocks.Block::inProgress)
                    .toList();
            assertTrue(reported.stream().noneMatch(b -> b.text().contains("/idle")),
                    () -> "idle connections reported in progress: " + reported.stream().filter(b -> b.text()
                            .contains("/idle")).findFirst().orElseThrow().text());
            for (String role : List.of("client", "server")) {
                assertTrue(reported.stream().anyMatch(b -> b.role().equals(role)
                                && "GET /slow?id=among-idle HTTP/1.1".equals(b.requestLine())),
                        () -> "the slow request's " + role + " end reported in progress:\n" + transcript);
            }
            assertEquals(2 * CONNECTIONS + 2, TranscriptBlocks.finals(transcript).size(), "one final block each");

            // JSON Lines without --json-progress: one record per exchange, none partial.
            all = profiler.exchanges();
            assertTrue(all.stream().noneMatch(r -> r.has("partial")), "no partial records by default");
            for (String role : List.of("client", "server")) {
                JsonNode record = E2e.single(all, role, "/slow?id=among-idle");
                assertTrue(E2e.notes(record).get(0).startsWith("completes in-progress report from "),
                        E2e.notes(record)::toString);
            }

            // The counters: what is open is what is really open; reports only for the slow request.
            List<String> stats = profiler.stderr().subList(statsBefore, profiler.stderr().size()).stream()
                    .filter(l -> l.startsWith("http-profiler stats: ")).toList();
            assertTrue(stats.size() >= 3, () -> "stats lines while idle: " + stats);
            long lastOpen = -1;
            long reports = 0;
            for (String line : stats) {
                Matcher m = IN_PROGRESS.matcher(line);
                assertTrue(m.find(), line);
                lastOpen = Long.parseLong(m.group(1));
                reports = Long.parseLong(m.group(2));
                assertTrue(lastOpen <= 2, () -> "exchanges open while 2000 connections idle: " + line);
                assertFalse(line.contains("over in-progress cap"), line);
            }
            assertEquals(0, lastOpen, () -> "nothing open at the end: " + stats);
            assertTrue(reports >= 2 && reports <= 8, "reports of the slow request only (1 and 2 s, both ends): "
                    + reports);
        } finally {
            for (Socket socket : sockets) {
                socket.close();
            }
        }
    }

    /** Reads one response with a Content-Length body and checks the body. */
    private static void readResponse(InputStream in, String body) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                fail("connection closed before the response: " + head);
            }
            head.append((char) b);
        }
        Matcher length = Pattern.compile("(?i)content-length: (\\d+)").matcher(head);
        assertTrue(length.find(), head::toString);
        byte[] bytes = in.readNBytes(Integer.parseInt(length.group(1)));
        assertEquals(body, new String(bytes, StandardCharsets.US_ASCII));
    }

    private static long residentKiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }
}
