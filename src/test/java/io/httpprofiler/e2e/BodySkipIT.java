package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A body the kernel cannot size by itself (its head went by alone, in a call too small to look into) is cut short in the
 * kernel on the pipeline's word: once the profiler parsed the upload's head, its skip request (held to the end of the
 * capture loop's turn, see {@code capture.SkipRequests}) reaches the kernel before the body moves, and at both ends of
 * the connection everything past {@code --max-body} is counted, not copied. The record still has the exact size.
 */
@Tag("root")
class BodySkipIT {
    private static final int MAX_BODY = 4096;
    private static final int BODY = 1024 * 1024;
    private static final int PIECE = 32 * 1024;

    @TempDir
    Path dir;

    @Test
    void theRestOfABodyPastMaxBodyStaysInTheKernelOnceItsHeadWasParsed() throws Exception {
        E2e.assumeCanTrace();
        byte[] body = new byte[BODY];
        new Random(11).nextBytes(body);
        try (ServerSocket server = new ServerSocket(0, 1, E2e.LOOPBACK)) {
            int port = server.getLocalPort();
            ProfilerProcess profiler = ProfilerProcess.start(dir, "--port", Integer.toString(port),
                    "--max-body", Integer.toString(MAX_BODY));
            try {
                CompletableFuture<Long> served = CompletableFuture.supplyAsync(() -> serveOneUpload(server));
                try (Socket client = new Socket(E2e.LOOPBACK, port)) {
                    client.setSoTimeout((int) E2e.WAIT.toMillis());
                    OutputStream out = client.getOutputStream();
                    out.write(("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + BODY + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    // The head alone, then a pause: the profiler parses it and tells the kernel before the body moves.
                    Thread.sleep(500L * E2e.SLOWDOWN);
                    for (int at = 0; at < BODY; at += PIECE) {
                        out.write(body, at, PIECE);
                        out.flush();
                        Thread.sleep(2);
                    }
                    assertEquals(BODY, served.get(E2e.WAIT.toSeconds(), TimeUnit.SECONDS));
                    assertEquals("ok", RawHttp.readResponse(client.getInputStream(), false).bodyText());
                }
                List<JsonNode> pair = profiler.awaitExchanges(list -> list.stream()
                        .filter(E2e.targetIs("server", "/upload")).count() == 1 && list.stream()
                        .filter(E2e.targetIs("client", "/upload")).count() == 1, E2e.WAIT);
                for (JsonNode exchange : pair) {
                    JsonNode request = exchange.path("request");
                    assertEquals(BODY, request.path("body_size").asLong(), exchange::toString);
                    assertTrue(request.path("body_truncated").asBoolean(), exchange::toString);
                    assertEquals(MAX_BODY, E2e.bodyBytes(request).length, "the kept part, exactly");
                    assertEquals(200, exchange.path("response").path("status").asInt());
                }
            } finally {
                profiler.stopAndExpectCleanExit();
            }
            Robustness.Totals totals = Robustness.stopped(profiler.stderr());
            assertTrue(totals.notCopiedBytes() >= 2L * (BODY - MAX_BODY),
                    () -> "past --max-body, at both ends, the body stayed in the kernel: " + totals.line());
            assertEquals(0, totals.gaps(), totals::line);
        }
    }

    /** Accepts one connection, reads one request with a Content-Length body, answers "ok"; returns the body's size. */
    private static long serveOneUpload(ServerSocket server) {
        try (Socket socket = server.accept()) {
            socket.setSoTimeout((int) E2e.WAIT.toMillis());
            InputStream in = socket.getInputStream();
            String head = RawHttp.readHead(in);
            long length = Long.parseLong(head.replaceAll("(?s).*Content-Length: (\\d+).*", "$1"));
            byte[] buffer = new byte[16 * 1024];
            long read = 0;
            while (read < length) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, length - read));
                if (n < 0) {
                    break;
                }
                read += n;
            }
            socket.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                    .getBytes(StandardCharsets.US_ASCII));
            return read;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
