package io.httpprofiler.http;

import io.httpprofiler.capture.CaptureEvent;
import io.httpprofiler.capture.ConnectionClosed;
import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.ConnectionOpened;
import io.httpprofiler.capture.DataEvent;
import io.httpprofiler.capture.Direction;
import io.httpprofiler.capture.EventLayout;
import io.httpprofiler.capture.LossNotice;
import io.httpprofiler.capture.MarkerReason;
import io.httpprofiler.capture.Role;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Robustness findings in the pipeline, each reduced to the capture events that show it (found by the end-to-end
 * robustness tests in io.httpprofiler.e2e). These fail until the pipeline is fixed; see each test's comment for the root
 * cause and the suggested fix.
 */
class LossRobustnessTest {
    private static final long T0 = 1_795_000_000_000_000_000L;
    private static final long MS = 1_000_000;
    private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 8080);
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 51234);

    private final List<Exchange> exchanges = new ArrayList<>();

    /**
     * A ring-buffer drop in the request direction makes DirectionStream hold the next request (waiting up to the reorder
     * window for a hole that a drop never fills) while the response direction goes on: the response is paired before its
     * request is released, reported as "request not seen", and the released request is then paired with the next
     * response - silently wrong. Seen live in RingOverflowIT.
     */
    @Test
    void aRequestHeldBehindAHoleIsStillPairedWithItsOwnResponse() {
        HttpPipeline pipeline = new HttpPipeline(PipelineSettings.defaults(), exchanges::add);
        Streams s = open(pipeline, 7, Role.SERVER);
        pipeline.accept(s.in(T0 + MS, request(1)));
        pipeline.accept(s.out(T0 + 2 * MS, response(1)));
        s.lostIn(request(2));                              // dropped: ring full
        pipeline.accept(s.out(T0 + 4 * MS, response(2)));
        pipeline.accept(s.in(T0 + 5 * MS, request(3)));   // ahead of the hole: held for the reorder window
        pipeline.accept(s.out(T0 + 6 * MS, response(3))); // its response, in order
        pipeline.expire(T0 + 1_000 * MS);                  // the request hole is given up on
        pipeline.accept(s.in(T0 + 2_000 * MS, request(4)));
        pipeline.accept(s.out(T0 + 2_001 * MS, response(4)));
        pipeline.finish();

        for (Exchange e : exchanges) {
            if (e.request() != null && e.response() != null && !e.notes().contains(Notes.CAPTURE_GAP)) {
                assertEquals(e.request().target().substring(1) + "!", body(e), () -> "mis-paired without a note: " + e);
            }
        }
        Exchange fourth = exchanges.stream().filter(e -> e.request() != null && e.request().target().equals("/4"))
                .findFirst().orElseThrow();
        assertTrue(fourth.response() != null && body(fourth).equals("4!"), () -> "after the loss: " + exchanges);
        Exchange third = exchanges.stream().filter(e -> e.request() != null && e.request().target().equals("/3"))
                .findFirst().orElseThrow();
        assertTrue(third.response() != null && body(third).equals("3!"), () -> "the held request: " + exchanges);
    }

    /**
     * The same from the client's side, the other way round: the response direction is the one with the hole, and requests
     * sent meanwhile wait (in arrival order) for it. When the hole is given up, TrackedConnection.giveUpStaleHoles
     * delivers every held response at once and only then the requests that arrived between them, so the responses are
     * paired before their own requests are known: the first with an older request, the next as "request not seen", and
     * the requests afterwards with later, unrelated responses (seen live in RingOverflowIT, replayed from its events).
     */
    @Test
    void responsesHeldBehindAHoleAreInterleavedWithTheRequestsSentBetweenThem() {
        HttpPipeline pipeline = new HttpPipeline(PipelineSettings.defaults(), exchanges::add);
        Streams s = open(pipeline, 8, Role.CLIENT);
        pipeline.accept(s.out(T0 + MS, request(1)));
        s.lostIn(response(1));                                // dropped: ring full
        pipeline.accept(s.out(T0 + 3 * MS, request(2)));     // waits: the response direction has a hole ...
        pipeline.accept(s.in(T0 + 4 * MS, response(2)));     // ... which this record is behind: held
        pipeline.accept(s.out(T0 + 5 * MS, request(3)));
        pipeline.accept(s.in(T0 + 6 * MS, response(3)));
        pipeline.expire(T0 + 1_000 * MS);                     // the hole is given up on
        pipeline.accept(s.out(T0 + 2_000 * MS, request(4)));
        pipeline.accept(s.in(T0 + 2_001 * MS, response(4)));
        pipeline.finish();

        for (int n = 2; n <= 4; n++) {
            String target = "/" + n;
            Exchange e = exchanges.stream().filter(x -> x.request() != null && x.request().target().equals(target))
                    .findFirst().orElseThrow();
            assertTrue(e.response() != null && body(e).equals(n + "!"), () -> target + " mis-paired: " + exchanges);
        }
        assertTrue(exchanges.stream().noneMatch(x -> x.notes().contains(Notes.REQUEST_NOT_SEEN)),
                () -> "every request was seen: " + exchanges);
    }

    /**
     * Requests waiting for their responses keep their parsed heads (up to 64 KiB each, 64 per connection) outside the
     * connection's buffer budget: a few connections pipelining big heads to a slow server exhaust any heap (live: 22
     * connections kill a -Xmx64m profiler with OutOfMemoryError). The budget must cover them.
     */
    @Test
    void headsOfPendingRequestsCountAgainstTheBufferBudget() {
        long perConnection = 1 << 20;
        PipelineSettings settings = new PipelineSettings(64 * 1024, 1024, perConnection, 8 * perConnection, 64,
                Duration.ofMinutes(2), Duration.ofMillis(200));
        HttpPipeline pipeline = new HttpPipeline(settings, exchanges::add);
        int connections = 8;
        int requests = 64;
        String big = "X-Big: " + "v".repeat(60_000) + "\r\n";
        System.gc();
        long before = usedHeap();
        for (int c = 0; c < connections; c++) {
            Streams s = open(pipeline, 10 + c, Role.SERVER);
            for (int r = 0; r < requests; r++) {
                pipeline.accept(s.in(T0 + r * MS, ascii("GET /" + c + "/" + r + " HTTP/1.1\r\nHost: x\r\n" + big
                        + "\r\n")));
            }
        }
        System.gc();
        long retained = usedHeap() - before;
        System.err.println("[heads] retained " + (retained >> 20) + " MiB, exchanges " + exchanges.size() + ", stats " + pipeline.stats());
        long budget = settings.totalBufferBytes();
        // 8 connections x 64 requests x 60 KB = 30 MB held, against an 8 MiB budget.
        assertTrue(retained < budget + (4 << 20), () -> "the pipeline holds " + (retained >> 20) + " MiB of request"
                + " heads with a buffer budget of " + (budget >> 20) + " MiB (accounted: " + pipeline.bufferedBytes()
                + " bytes)");
        pipeline.finish();
    }

    /**
     * A connection whose start was not seen (role unknown: it existed before the profiler, or its accept() was already
     * waiting) and that never carries HTTP is sniffed forever: never counted as non-HTTP, and never skipped, so the
     * kernel keeps copying every byte of, say, a TLS or database connection for as long as it lives.
     */
    @Test
    void aNonHttpConnectionOfUnknownRoleIsCountedAndSkipped() {
        List<long[]> skips = new ArrayList<>();
        HttpPipeline pipeline = new HttpPipeline(PipelineSettings.defaults(), exchanges::add,
                (connection, direction, from, to) -> skips.add(new long[] {from, to}));
        ConnectionId id = new ConnectionId(4242, 9, T0); // no ConnectionOpened: the start was not seen
        Streams s = new Streams(id);
        Random random = new Random(1);
        for (int i = 0; i < 64; i++) { // 1 MiB each way of TLS-looking records
            byte[] in = new byte[8192];
            byte[] out = new byte[8192];
            random.nextBytes(in);
            random.nextBytes(out);
            in[0] = 0x17;
            out[0] = 0x17;
            pipeline.accept(s.in(T0 + i * MS, in));
            pipeline.accept(s.out(T0 + i * MS, out));
        }
        PipelineStats stats = pipeline.stats();
        assertEquals(1, stats.nonHttpConnections(), () -> "1 MiB each way without a start line: " + stats);
        assertTrue(!skips.isEmpty(), "the capture side is never told to stop copying this connection");
        pipeline.accept(new ConnectionClosed(T0 + 100 * MS, id, 4242, s.outPosition, s.inPosition));
        pipeline.finish();
    }

    /**
     * Connection churn through a full ring (issue #16): nginx's side saw the request, its response record was lost, and
     * the close came with the final positions. The request's record must say data was lost, not read as if nginx had
     * not answered.
     */
    @Test
    void aRequestWhoseResponseWasLostBeforeTheCloseSaysSo() {
        HttpPipeline pipeline = new HttpPipeline(PipelineSettings.defaults(), exchanges::add);
        Streams s = open(pipeline, 9, Role.SERVER);
        pipeline.accept(s.in(T0 + MS, request(1)));
        s.lostOut(response(1));
        pipeline.accept(new ConnectionClosed(T0 + 2 * MS, s.id, 4243, s.outPosition, s.inPosition));
        pipeline.finish();
        assertEquals(1, exchanges.size(), exchanges::toString);
        Exchange only = exchanges.get(0);
        assertEquals(List.of(Notes.CAPTURE_GAP, Notes.RESPONSE_NOT_SEEN, "incomplete: connection closed"), only.notes());
    }

    /** The same when the close was lost too: the next connection on the fd says so (LOSS_CLOSE_BEFORE). */
    @Test
    void aRequestWhoseResponseAndCloseWereLostSaysSo() {
        HttpPipeline pipeline = new HttpPipeline(PipelineSettings.defaults(), exchanges::add);
        Streams s = open(pipeline, 9, Role.SERVER);
        pipeline.accept(s.in(T0 + MS, request(1)));
        ConnectionId next = new ConnectionId(4242, 9, T0 + 10 * MS);
        pipeline.accept(new ConnectionOpened(T0 + 10 * MS, next, 4242, "server", Role.SERVER, SERVER, CLIENT,
                new LossNotice(EventLayout.LOSS_CLOSE_BEFORE, null)));
        assertEquals(1, exchanges.size(), exchanges::toString);
        assertTrue(exchanges.get(0).notes().contains(Notes.CAPTURE_GAP), exchanges::toString);
    }

    /**
     * The open and the request were lost; the response got through and says both (LOSS_OPEN with what the open said,
     * LOSS_INGRESS). The record names the process and its addresses and says that the request was lost, not merely
     * unseen.
     */
    @Test
    void aResponseWhoseOpenAndRequestWereLostNamesTheConnectionAndSaysSo() {
        HttpPipeline pipeline = new HttpPipeline(PipelineSettings.defaults(), exchanges::add);
        ConnectionId id = new ConnectionId(4242, 10, T0);
        ConnectionOpened lostOpen = new ConnectionOpened(T0, id, 4242, "nginx", Role.SERVER, SERVER, CLIENT);
        byte[] reply = response(1);
        pipeline.accept(new DataEvent(T0 + 2 * MS, id, 4242, Direction.EGRESS, 0, reply.length, reply,
                MarkerReason.NONE, new LossNotice(EventLayout.LOSS_OPEN | EventLayout.LOSS_INGRESS, lostOpen)));
        pipeline.accept(new ConnectionClosed(T0 + 3 * MS, id, 4242, reply.length, request(1).length));
        pipeline.finish();
        assertEquals(1, exchanges.size(), exchanges::toString);
        Exchange only = exchanges.get(0);
        assertEquals("nginx", only.command());
        assertEquals(SERVER, only.local());
        assertEquals(CLIENT, only.remote());
        assertEquals(List.of(Notes.REQUEST_NOT_SEEN, Notes.CAPTURE_GAP), only.notes());
        assertEquals("1!", body(only));
    }

    private static long usedHeap() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** The two byte streams of one connection, with their positions. */
    /**
     * Tells the pipeline that process 4242 (named after its role) opened connection fd at T0, from the server's or the
     * client's end of SERVER-CLIENT; returns that connection's two directions.
     */
    private static Streams open(HttpPipeline pipeline, int fd, Role role) {
        ConnectionId id = new ConnectionId(4242, fd, T0);
        boolean server = role == Role.SERVER;
        pipeline.accept(new ConnectionOpened(T0, id, 4242, server ? "server" : "client", role,
                server ? SERVER : CLIENT, server ? CLIENT : SERVER));
        return new Streams(id);
    }

    private static final class Streams {
        final ConnectionId id;
        long inPosition;
        long outPosition;

        Streams(ConnectionId id) {
            this.id = id;
        }

        CaptureEvent in(long nanos, byte[] data) {
            DataEvent e = new DataEvent(nanos, id, 4243, Direction.INGRESS, inPosition, data.length, data);
            inPosition += data.length;
            return e;
        }

        CaptureEvent out(long nanos, byte[] data) {
            DataEvent e = new DataEvent(nanos, id, 4243, Direction.EGRESS, outPosition, data.length, data);
            outPosition += data.length;
            return e;
        }

        void lostIn(byte[] data) {
            inPosition += data.length;
        }

        void lostOut(byte[] data) {
            outPosition += data.length;
        }
    }

    private static byte[] request(int n) {
        return ascii("GET /" + n + " HTTP/1.1\r\nHost: x\r\n\r\n");
    }

    private static byte[] response(int n) {
        return ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n" + n + "!");
    }

    private static String body(Exchange e) {
        return new String(e.response().body().content(), StandardCharsets.UTF_8);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }
}
