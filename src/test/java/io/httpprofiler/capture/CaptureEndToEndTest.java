package io.httpprofiler.capture;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.httpprofiler.capture.CapturedStreams.assertEndpointCaptured;
import static io.httpprofiler.capture.CapturedStreams.assertOnlyFromThisProcess;
import static io.httpprofiler.capture.CapturedStreams.closed;
import static io.httpprofiler.capture.CapturedStreams.opened;
import static io.httpprofiler.capture.CapturedStreams.records;
import static io.httpprofiler.capture.CapturedStreams.sawClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Real TCP traffic in this JVM through the real probe, compared with what the sockets really did. The attach mode comes
 * from {@code -Dhttpprofiler.attach} (default tracepoint; the kernel-matrix guest runs this class with kprobe), so these
 * tests assert only what both modes promise: identity (pid, tid, fd, role, tuple), byte positions contiguous from 0 per
 * direction, every byte equal, callSize = the socket call's return value, records of at most MAX_RECORD_DATA, the close
 * with final counts, the filters, and loss that is counted and visible rather than silent.
 */
@Tag("root")
class CaptureEndToEndTest {
    /** Only reached when something is wrong; generous because the kernel-matrix guest runs under qemu emulation. */
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private LiveCapture capture;

    @BeforeEach
    void requireBpf() {
        BpfAssumptions.assumeCanAttachTracepoints();
    }

    @AfterEach
    void stopCapture() {
        if (capture != null) {
            capture.close(); // ~1.7 s here: detaching each tracepoint waits for an RCU grace period in the kernel
        }
    }

    @Test
    void smallWritesOnAKeepAliveConnection() throws Exception {
        startCapture(LiveCapture.settingsForThisProcess());
        try (Loopback pair = Loopback.sockets(LOOPBACK)) {
            for (int round = 1; round <= 3; round++) {
                exchange(pair, "GET /item/" + round + " HTTP/1.1\r\nHost: localhost\r\n\r\n",
                        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n" + round + "!");
            }
            pair.client().close();
            pair.server().close();
            List<CaptureEvent> events = awaitClosed(pair.client(), pair.server());

            assertEndpointCaptured(events, pair.client());
            assertEndpointCaptured(events, pair.server());
            assertOnlyFromThisProcess(events);
            assertNothingLost();
        }
    }

    @Test
    void oneMebibyteWriteIsSplitIntoRecordsWithContiguousPositions() throws Exception {
        startCapture(LiveCapture.settingsForThisProcess());
        int size = 1 << 20;
        ByteBuffer payload = ByteBuffer.allocateDirect(size);
        byte[] random = new byte[size];
        new Random(42).nextBytes(random);
        payload.put(random).flip();

        try (Loopback pair = Loopback.channels(LOOPBACK)) {
            // A blocking channel write from a direct buffer is a single write(2) of the whole MiB (a Socket stream
            // would cut it into 128 KiB calls); the loopback peer must read concurrently for it to complete.
            CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> pair.server().receive(size, 64 * 1024));
            long started = System.nanoTime();
            pair.client().sendDirect(payload);
            assertArrayEquals(random, reader.get(WAIT.toSeconds(), TimeUnit.SECONDS));
            pair.client().close();
            pair.server().close();
            List<CaptureEvent> events = awaitClosed(pair.client(), pair.server());
            long elapsedMs = (System.nanoTime() - started) / 1_000_000;

            assertEndpointCaptured(events, pair.client());
            assertEndpointCaptured(events, pair.server());
            int readerTid = pair.server().callLog.calls(Direction.INGRESS).get(0).tid();
            assertNotEquals(pair.client().setupTid, readerTid, "the reading thread is a different thread, and the "
                    + "server's ingress records carry its tid (checked per call above)");

            List<SocketCallLog.Call> writes = pair.client().callLog.calls(Direction.EGRESS);
            assertEquals(List.of(new SocketCallLog.Call(size, pair.client().setupTid)), writes, "one write(2) of 1 MiB");
            List<DataEvent> egress = records(events, idOf(events, pair.client()), Direction.EGRESS);
            assertEquals(size / EventLayout.MAX_RECORD_DATA, egress.size(), "cut into MAX_RECORD_DATA records");
            assertTrue(egress.stream().allMatch(r -> r.callSize() == size), "each record carries the call's size");
            System.out.printf("[%s] 1 MiB write: %d egress records; reader: %d read calls, %d ingress records; "
                            + "from the write to every event read: %d ms%n", capture.probe().mode().label(),
                    egress.size(), pair.server().callLog.calls(Direction.INGRESS).size(),
                    records(events, idOf(events, pair.server()), Direction.INGRESS).size(), elapsedMs);
            assertNothingLost();
        }
    }

    @Test
    void gatheringWriteAndScatteringRead() throws Exception {
        startCapture(LiveCapture.settingsForThisProcess());
        try (Loopback pair = Loopback.channels(LOOPBACK)) {
            byte[][] request = segments("POST /upload HTTP/1.1\r\n", "Content-Length: 5\r\n\r\n", "hello");
            pair.client().sendGathering(request); // writev(2) with 3 iovecs
            byte[] got = pair.server().receiveScattering(Endpoint.concat(request).length, 5, 11, 64); // readv(2)
            assertArrayEquals(Endpoint.concat(request), got);

            byte[][] response = segments("HTTP/1.1 201 Created\r\n", "Content-Length: 0\r\n\r\n", "");
            pair.server().sendGathering(response);
            pair.client().receiveScattering(Endpoint.concat(response).length, 3, 4, 100);

            pair.client().close();
            pair.server().close();
            List<CaptureEvent> events = awaitClosed(pair.client(), pair.server());

            assertEquals(1, pair.client().callLog.calls(Direction.EGRESS).size(), "one writev took all 3 segments");
            assertEndpointCaptured(events, pair.client());
            assertEndpointCaptured(events, pair.server());
            assertEquals(1, records(events, idOf(events, pair.client()), Direction.EGRESS).size(),
                    "the 3 segments share one record");
            assertNothingLost();
        }
    }

    /** nginx's shape: writev(head, large body, small tail): segments are packed into full records, none per segment. */
    @Test
    void gatheredSegmentsArePackedIntoFullRecords() throws Exception {
        startCapture(LiveCapture.settingsForThisProcess());
        byte[] body = new byte[40_000];
        new Random(7).nextBytes(body);
        byte[][] segments = {"HTTP/1.1 200 OK\r\nContent-Length: 40010\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                body, "0123456789".getBytes(StandardCharsets.US_ASCII)};
        int total = Endpoint.concat(segments).length;
        try (Loopback pair = Loopback.channels(LOOPBACK)) {
            CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> pair.server().receive(total, 64 * 1024));
            pair.client().sendGathering(segments);
            assertArrayEquals(Endpoint.concat(segments), reader.get(WAIT.toSeconds(), TimeUnit.SECONDS));
            pair.client().close();
            pair.server().close();
            List<CaptureEvent> events = awaitClosed(pair.client(), pair.server());

            assertEndpointCaptured(events, pair.client());
            assertEquals(1, pair.client().callLog.calls(Direction.EGRESS).size(), "one writev(2)");
            List<Integer> sizes = records(events, idOf(events, pair.client()), Direction.EGRESS).stream()
                    .map(r -> r.data().length).toList();
            int full = EventLayout.MAX_RECORD_DATA;
            assertEquals(List.of(full, full, total - 2 * full), sizes, "full records across segment boundaries");
            assertNothingLost();
        }
    }

    /**
     * Calls with many segments: a writev(2) of 1000 segments of varying sizes (node's chunked responses are writev
     * calls of 60 and more: size line, data, CRLF per chunk) and readv(2) calls of 100 small buffers. Every segment of
     * a call is copied, in order, not only the first few.
     */
    @Test
    void everySegmentOfAThousandSegmentWritevAndOfHundredSegmentReadvsIsCopied() throws Exception {
        startCapture(LiveCapture.settingsForThisProcess());
        Random random = new Random(11);
        byte[][] segments = new byte[1000][];
        for (int i = 0; i < segments.length; i++) {
            segments[i] = new byte[i % 10 == 9 ? 3000 : 1 + random.nextInt(40)];
            random.nextBytes(segments[i]);
        }
        int total = Endpoint.concat(segments).length;
        int[] readBuffers = new int[100];
        Arrays.fill(readBuffers, 50);
        readBuffers[7] = 1;
        try (Loopback pair = Loopback.channels(LOOPBACK)) {
            CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(
                    () -> pair.server().receiveScattering(total, readBuffers));
            pair.client().sendGathering(segments);
            assertArrayEquals(Endpoint.concat(segments), reader.get(WAIT.toSeconds(), TimeUnit.SECONDS));
            pair.client().close();
            pair.server().close();
            List<CaptureEvent> events = awaitClosed(pair.client(), pair.server());

            assertEndpointCaptured(events, pair.client());
            assertEndpointCaptured(events, pair.server());
            System.out.printf("[%s] writev of %d segments, %d bytes: %d call(s), %d records; readv of %d: %d calls%n",
                    capture.probe().mode().label(), segments.length, total,
                    pair.client().callLog.calls(Direction.EGRESS).size(),
                    records(events, idOf(events, pair.client()), Direction.EGRESS).size(), readBuffers.length,
                    pair.server().callLog.calls(Direction.INGRESS).size());
            assertNothingLost();
        }
    }

    /**
     * The kernel's own look at a head: a response whose head and first 40 KB of body come in one write, with
     * Content-Length and a kept size of 4 KiB, leaves the kernel as the head plus 4 KiB; the rest of that call and the
     * next call (the rest of the body) are only counted, as skipped, and marked; the next response is copied again.
     */
    @Test
    void bodyPastTheKeptSizeIsNotCopiedOnceTheKernelReadItsContentLength() throws Exception {
        int keep = 4096;
        startCapture(LiveCapture.settingsForThisProcess().withMaxBody(keep));
        byte[] body = new byte[100_000];
        new Random(3).nextBytes(body);
        byte[] head = "HTTP/1.1 200 OK\r\nServer: test\r\nContent-Length: 100000\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII);
        byte[] first = Endpoint.concat(new byte[][]{head, Arrays.copyOf(body, 40_000)});
        byte[] second = Arrays.copyOfRange(body, 40_000, body.length);
        byte[] next = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".getBytes(StandardCharsets.US_ASCII);
        int total = first.length + second.length + next.length;
        try (Loopback pair = Loopback.channels(LOOPBACK)) {
            CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> pair.client().receive(total, 256));
            pair.server().send(first);
            pair.server().send(second);
            pair.server().send(next);
            reader.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            pair.client().close();
            pair.server().close();
            List<CaptureEvent> events = awaitClosed(pair.client(), pair.server());
            assertEquals(3, pair.server().callLog.calls(Direction.EGRESS).size(), "three write(2) calls");

            List<DataEvent> egress = records(events, idOf(events, pair.server()), Direction.EGRESS);
            long copied = egress.stream().mapToLong(r -> r.data().length).sum();
            assertEquals(head.length + keep + next.length, copied, "the head, the kept part and the next response");
            byte[] firstRecords = egress.stream().filter(r -> r.position() < head.length + keep)
                    .map(DataEvent::data).reduce(new byte[0], (a, b) -> Endpoint.concat(new byte[][]{a, b}));
            assertArrayEquals(Arrays.copyOf(first, head.length + keep), firstRecords, "copied from the start");
            DataEvent last = egress.get(egress.size() - 1);
            assertEquals(first.length + second.length, last.position(), "the next response at its own position");
            assertArrayEquals(next, last.data());
            List<DataEvent> markers = egress.stream().filter(r -> r.data().length == 0).toList();
            assertEquals(body.length - keep, markers.stream().mapToLong(DataEvent::callSize).sum(),
                    "markers announce every byte left out: " + markers);
            assertEquals(body.length - keep, capture.probe().counters().skippedBytes(), "counted as skipped");
            assertTrue(markers.stream().allMatch(m -> m.markerReason() == MarkerReason.SKIPPED), "why: " + markers);
            assertTrue(egress.stream().filter(r -> r.data().length > 0)
                    .allMatch(r -> r.markerReason() == MarkerReason.NONE), "data records carry no reason");
            assertEndpointCaptured(events, pair.client()); // the reading side keeps everything (128-byte reads)
        }
    }

    /**
     * The same look at a head from the reading side, whose calls are never larger than --max-body: a client reading a
     * 100 KB response in 8 KiB reads. The first read fills its buffer, so the kernel reads its head; the body past the
     * kept 16 KiB (in the third read on) is counted as skipped, not copied, without any word from
     * user space (none runs here). The writer's 1 KiB writes are copied whole: a write that fills nothing is no sign.
     */
    @Test
    void bodyPastTheKeptSizeStaysInTheKernelWhenReadsFillTheirBuffers() throws Exception {
        int keep = 16 * 1024; // larger than any one read: only the filled buffer says "look"
        startCapture(LiveCapture.settingsForThisProcess().withMaxBody(keep));
        byte[] body = new byte[100_000];
        new Random(4).nextBytes(body);
        byte[] head = "HTTP/1.1 200 OK\r\nServer: test\r\nContent-Length: 100000\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII);
        byte[] next = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".getBytes(StandardCharsets.US_ASCII);
        byte[] response = Endpoint.concat(new byte[][]{head, body});
        int total = response.length + next.length;
        try (Loopback pair = Loopback.channels(LOOPBACK)) {
            // The reader starts once the writer is well ahead, so that its first read finds a full buffer's worth.
            CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> {
                try {
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return pair.client().receive(total, 8192);
            });
            for (int at = 0; at < response.length; at += 1024) {
                pair.server().send(Arrays.copyOfRange(response, at, Math.min(response.length, at + 1024)));
            }
            pair.server().send(next);
            assertArrayEquals(Endpoint.concat(new byte[][]{response, next}),
                    reader.get(WAIT.toSeconds(), TimeUnit.SECONDS));
            pair.client().close();
            pair.server().close();
            List<CaptureEvent> events = awaitClosed(pair.client(), pair.server());
            List<SocketCallLog.Call> reads = pair.client().callLog.calls(Direction.INGRESS);
            assertEquals(8192, reads.get(0).bytes(), "the first read filled its buffer: " + reads.subList(0, 3));

            List<DataEvent> ingress = records(events, idOf(events, pair.client()), Direction.INGRESS);
            long copied = ingress.stream().mapToLong(r -> r.data().length).sum();
            assertEquals(head.length + keep + next.length, copied, "the head, the kept part and the next response");
            byte[] kept = ingress.stream().filter(r -> r.position() < head.length + keep)
                    .map(DataEvent::data).reduce(new byte[0], (a, b) -> Endpoint.concat(new byte[][]{a, b}));
            assertArrayEquals(Arrays.copyOf(response, head.length + keep), kept, "copied from the start");
            List<DataEvent> markers = ingress.stream().filter(r -> r.data().length == 0).toList();
            assertEquals(body.length - keep, markers.stream().mapToLong(DataEvent::callSize).sum(),
                    "markers announce every byte left out: " + markers);
            assertTrue(markers.stream().allMatch(m -> m.markerReason() == MarkerReason.SKIPPED), "why: " + markers);
            assertEquals(body.length - keep, capture.probe().counters().skippedBytes(), "counted as skipped");
            DataEvent last = ingress.get(ingress.size() - 1);
            assertArrayEquals(next, Arrays.copyOfRange(last.data(), last.data().length - next.length,
                    last.data().length), "the next response copied again");
            assertEndpointCaptured(events, pair.server()); // the writing side keeps everything
        }
    }

    /**
     * nginx's static files: a head written, then the file sent with sendfile(2). The file's bytes are never in user
     * memory: one marker says so (and why), at the right position, and nothing is counted as lost.
     */
    @Test
    void sendfileBytesAreMarkedAsSentWithSendfile(@TempDir Path dir) throws Exception {
        startCapture(LiveCapture.settingsForThisProcess());
        byte[] file = new byte[10_000];
        new Random(5).nextBytes(file);
        Path path = Files.write(dir.resolve("page.bin"), file);
        byte[] head = "HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        int total = head.length + file.length;
        try (Loopback pair = Loopback.channels(LOOPBACK)) {
            CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> pair.client().receive(total, 64 * 1024));
            pair.server().send(head);
            pair.server().sendFile(path);
            assertArrayEquals(Endpoint.concat(head, file), reader.get(WAIT.toSeconds(), TimeUnit.SECONDS));
            pair.client().close();
            pair.server().close();
            List<CaptureEvent> events = awaitClosed(pair.client(), pair.server());

            List<DataEvent> egress = records(events, idOf(events, pair.server()), Direction.EGRESS);
            assertArrayEquals(head, egress.get(0).data());
            assertEquals(MarkerReason.NONE, egress.get(0).markerReason());
            List<DataEvent> markers = egress.subList(1, egress.size());
            assertTrue(markers.stream().allMatch(m -> m.data().length == 0
                    && m.markerReason() == MarkerReason.SENDFILE), "only sendfile markers follow: " + markers);
            assertEquals(head.length, markers.get(0).position(), "the file's bytes follow the head");
            assertEquals(file.length, markers.stream().mapToLong(DataEvent::callSize).sum(), "every file byte");
            assertEquals(0, capture.probe().counters().ringFullRecords());
            assertEndpointCaptured(events, pair.client()); // the reading side sees every byte
        }
    }

    @Test
    void readsIntoASmallBuffer() throws Exception {
        startCapture(LiveCapture.settingsForThisProcess());
        try (Loopback pair = Loopback.sockets(LOOPBACK)) {
            byte[] request = "GET /seven-bytes-at-a-time HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII);
            pair.client().send(request);
            pair.server().receive(request.length, 7);
            byte[] response = "HTTP/1.1 204 No Content\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            pair.server().send(response);
            pair.client().receive(response.length, 7);

            pair.client().close();
            pair.server().close();
            List<CaptureEvent> events = awaitClosed(pair.client(), pair.server());

            List<SocketCallLog.Call> reads = pair.server().callLog.calls(Direction.INGRESS);
            assertTrue(reads.size() >= request.length / 7, "one read per 7 bytes: " + reads);
            assertTrue(reads.stream().allMatch(call -> call.bytes() <= 7));
            assertEndpointCaptured(events, pair.client());
            assertEndpointCaptured(events, pair.server());
            assertNothingLost();
        }
    }

    @Test
    void ipv6Loopback() throws Exception {
        InetAddress v6 = InetAddress.getByName("::1");
        ServerSocket listener;
        try {
            listener = new ServerSocket(0, 50, v6);
        } catch (IOException e) {
            System.err.println("SKIPPED: no IPv6 loopback here: " + e.getMessage());
            Assumptions.abort("no IPv6 loopback: " + e.getMessage());
            return;
        }
        startCapture(LiveCapture.settingsForThisProcess());
        try (Loopback pair = Loopback.sockets(listener)) {
            exchange(pair, "GET /v6 HTTP/1.1\r\nHost: [::1]\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            pair.client().close();
            pair.server().close();
            List<CaptureEvent> events = awaitClosed(pair.client(), pair.server());

            ConnectionOpened server = opened(events, pair.server().local.getPort(), pair.server().remote.getPort())
                    .orElseThrow();
            assertInstanceOf(Inet6Address.class, server.local().getAddress(), "a real IPv6 tuple, not v4-mapped");
            assertEquals(v6, server.remote().getAddress());
            assertEndpointCaptured(events, pair.client());
            assertEndpointCaptured(events, pair.server());
            assertNothingLost();
        }
    }

    @Test
    void reusedFdIsANewConnectionWithPositionsFromZero() throws Exception {
        startCapture(LiveCapture.settingsForThisProcess());
        List<Endpoint> ends = new ArrayList<>();
        try (ServerSocket listener = new ServerSocket(0, 50, LOOPBACK)) {
            for (int i = 0; i < 3; i++) {
                Loopback pair = Loopback.sockets(listener);
                exchange(pair, "request " + i, "response " + i);
                pair.client().close();
                pair.server().close(); // the next connection's sockets get the lowest free fds: these ones
                ends.add(pair.client());
                ends.add(pair.server());
            }
            List<CaptureEvent> events = awaitClosed(ends.toArray(Endpoint[]::new));

            int reused = 0;
            for (int i = 0; i < ends.size(); i++) {
                for (int j = i + 1; j < ends.size(); j++) {
                    if (ends.get(i).fd == ends.get(j).fd) {
                        reused++;
                        assertNotEquals(idOf(events, ends.get(i)), idOf(events, ends.get(j)),
                                "same pid and fd, told apart by the generation");
                    }
                }
            }
            assertTrue(reused > 0, "the kernel hands out the lowest free fd, so some fd was reused: " + ends);
            for (Endpoint end : ends) {
                assertEndpointCaptured(events, end); // includes: each connection's positions start at 0
            }
        }
    }

    private static ConnectionId idOf(List<CaptureEvent> events, Endpoint end) {
        return opened(events, end.local.getPort(), end.remote.getPort()).orElseThrow().connection();
    }

    @Test
    void childProcessTrafficIsFilteredOutByPid() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 50, LOOPBACK)) {
            listener.setSoTimeout((int) WAIT.toMillis());
            startCapture(LiveCapture.settingsForThisProcess());
            ChildRun child = serveOneChildConnection(listener, "hello from the child", "hello, child");
            List<CaptureEvent> events = capture.awaitEvents(ev -> sawClose(ev, child.server()), WAIT);

            assertEndpointCaptured(events, child.server()); // our end: SERVER, with the child's bytes as ingress
            assertTrue(events.stream().noneMatch(e -> e.connection().pid() == child.pid()),
                    "nothing from the child's own socket calls");
            assertFalse(opened(events, child.port(), listener.getLocalPort()).isPresent(),
                    "the child's end of the tuple never appears");
            assertOnlyFromThisProcess(events);
        }
    }

    @Test
    void childProcessIsCapturedWithoutThePidFilter() throws Exception {
        // The control for the test above: the same child traffic with no pid filter (only a port filter, so that
        // nothing else on this machine is captured) shows the child's end, so its absence above is the filter's doing.
        try (ServerSocket listener = new ServerSocket(0, 50, LOOPBACK)) {
            listener.setSoTimeout((int) WAIT.toMillis());
            startCapture(CaptureSettings.defaults().withAttachMode(LiveCapture.settingsForThisProcess().attachMode())
                    .withPorts(Set.of(listener.getLocalPort())).withWakeupBytes(0));
            String message = "child says hi";
            ChildRun child = serveOneChildConnection(listener, message, "bye");
            List<CaptureEvent> events = capture.awaitEvents(ev -> sawClose(ev, child.server())
                    && sawClose(ev, child.port(), listener.getLocalPort()), WAIT);

            assertEndpointCaptured(events, child.server());
            ConnectionOpened childEnd = opened(events, child.port(), listener.getLocalPort()).orElseThrow();
            assertEquals(child.pid(), childEnd.connection().pid());
            assertEquals(Role.CLIENT, childEnd.role());
            assertArrayEquals(message.getBytes(StandardCharsets.US_ASCII), CapturedStreams.reassembleContiguousFromZero(
                    records(events, childEnd.connection(), Direction.EGRESS), "child egress"));
            assertEquals(message.length(), closed(events, childEnd.connection()).orElseThrow().egressBytes());
        }
    }

    /**
     * Python's socket module sends with sendmsg(2)/sendto(2) and receives with recvmsg(2)/recvfrom(2), calls a JVM never
     * makes on TCP: a child process exercises those paths (the msghdr is read from the child's memory), and the pid
     * filter here selects that other process instead of this one.
     */
    @Test
    void sendmsgRecvmsgSendtoRecvfromOfAnotherProcess() throws Exception {
        Process child;
        try {
            child = new ProcessBuilder("python3", "-c", PYTHON_MSG_CALLS).start();
        } catch (IOException e) {
            System.err.println("SKIPPED: python3 not available: " + e.getMessage());
            Assumptions.abort("python3 not available: " + e.getMessage());
            return;
        }
        try {
            startCapture(CaptureSettings.defaults().withAttachMode(LiveCapture.settingsForThisProcess().attachMode())
                    .withPids(Set.of((int) child.pid())).withWakeupBytes(0));
            child.getOutputStream().write("go\n".getBytes(StandardCharsets.US_ASCII));
            child.getOutputStream().flush();
            assertTrue(child.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "python child finished");
            String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            assertEquals(0, child.exitValue(), () -> output + new String(readQuietly(child), StandardCharsets.UTF_8));
            // client fd, server fd, client port, server port, client's recv sizes, server's recvmsg sizes
            String[] fields = output.split(" ");
            int clientPort = Integer.parseInt(fields[2]);
            int serverPort = Integer.parseInt(fields[3]);
            List<CaptureEvent> events = capture.awaitEvents(ev -> sawClose(ev, clientPort, serverPort)
                    && sawClose(ev, serverPort, clientPort), WAIT);

            byte[] request = "GET /msg HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            byte[] response = "HTTP/1.1 200 OK\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            int pid = (int) child.pid(); // single-threaded: its only tid is its pid
            assertChildEnd(events, pid, Integer.parseInt(fields[0]), clientPort, serverPort, Role.CLIENT,
                    request, List.of((long) request.length), response, sizes(fields[4]));
            assertChildEnd(events, pid, Integer.parseInt(fields[1]), serverPort, clientPort, Role.SERVER,
                    response, List.of((long) response.length), request, sizes(fields[5]));
            assertNothingLost();
        } finally {
            child.destroyForcibly();
        }
    }

    /** One end of the python child's connection: identity, and per direction the bytes and the call sizes. */
    private static void assertChildEnd(List<CaptureEvent> events, int pid, int fd, int localPort, int remotePort,
                                       Role role, byte[] sent, List<Long> sendCalls, byte[] received,
                                       List<Long> receiveCalls) {
        ConnectionOpened opened = opened(events, localPort, remotePort).orElseThrow();
        String what = "python " + role.label();
        assertEquals(new ConnectionId(pid, fd, opened.connection().generation()), opened.connection(), what);
        assertEquals(role, opened.role(), what);
        assertEquals(pid, opened.tid(), what);
        List<DataEvent> egress = records(events, opened.connection(), Direction.EGRESS);
        List<DataEvent> ingress = records(events, opened.connection(), Direction.INGRESS);
        assertArrayEquals(sent, CapturedStreams.reassembleContiguousFromZero(egress, what + " egress"));
        assertArrayEquals(received, CapturedStreams.reassembleContiguousFromZero(ingress, what + " ingress"));
        assertEquals(sendCalls.stream().map(n -> new SocketCallLog.Call(n, pid)).toList(),
                CapturedStreams.calls(egress, what + " egress"), what + " egress calls");
        assertEquals(receiveCalls.stream().map(n -> new SocketCallLog.Call(n, pid)).toList(),
                CapturedStreams.calls(ingress, what + " ingress"), what + " ingress calls");
        ConnectionClosed close = closed(events, opened.connection()).orElseThrow();
        assertEquals(sent.length, close.egressBytes(), what);
        assertEquals(received.length, close.ingressBytes(), what);
    }

    /**
     * Waits for "go" (so the probe is attached first), then: a 3-iovec sendmsg, recvmsg into 10 bytes at a time, a
     * send (sendto with no address), recv 7 bytes at a time (recvfrom). Prints the fds and ports.
     */
    private static final String PYTHON_MSG_CALLS = String.join("\n",
            "import socket, sys",
            "sys.stdin.readline()",
            "srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)",
            "srv.bind(('127.0.0.1', 0)); srv.listen(1)",
            "c = socket.create_connection(srv.getsockname())",
            "a, _ = srv.accept()",
            "assert c.sendmsg([b'GET /msg HTTP/1.1\\r\\n', b'Host: x\\r\\n', b'\\r\\n']) == 30",
            "got = []",
            "while sum(map(len, got)) < 30: got.append(a.recvmsg(10)[0])",
            "assert a.send(b'HTTP/1.1 200 OK\\r\\n\\r\\n') == 19",
            "back = []",
            "while sum(map(len, back)) < 19: back.append(c.recv(7))",
            "sizes = lambda parts: ','.join(str(len(p)) for p in parts)",
            "print(c.fileno(), a.fileno(), c.getsockname()[1], srv.getsockname()[1], sizes(back), sizes(got))",
            "c.close(); a.close(); srv.close()");

    private static List<Long> sizes(String commaSeparated) {
        return Arrays.stream(commaSeparated.split(",")).map(Long::valueOf).toList();
    }

    private static byte[] readQuietly(Process process) {
        try {
            return process.getErrorStream().readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    @Test
    void portFilterCapturesOnlyMatchingConnections() throws Exception {
        try (ServerSocket watched = new ServerSocket(0, 50, LOOPBACK);
             ServerSocket ignored = new ServerSocket(0, 50, LOOPBACK)) {
            startCapture(LiveCapture.settingsForThisProcess().withPorts(Set.of(watched.getLocalPort())));
            // Traffic on the ignored port first: had any of it been captured, it would be in the ring ahead of the
            // watched connection's close, which we wait for.
            try (Loopback other = Loopback.sockets(ignored); Loopback pair = Loopback.sockets(watched)) {
                exchange(other, "not for us", "nor this");
                other.client().close();
                other.server().close();
                exchange(pair, "for us", "and this");
                pair.client().close();
                pair.server().close();
                List<CaptureEvent> events = awaitClosed(pair.client(), pair.server());

                assertEndpointCaptured(events, pair.client());
                assertEndpointCaptured(events, pair.server());
                Set<ConnectionId> watchedIds = Set.of(
                        opened(events, pair.client().local.getPort(), watched.getLocalPort()).orElseThrow().connection(),
                        opened(events, watched.getLocalPort(), pair.client().local.getPort()).orElseThrow().connection());
                for (CaptureEvent event : events) {
                    assertTrue(watchedIds.contains(event.connection()), () -> "not on the watched port: " + event);
                }
            }
        }
    }

    @Test
    void ringFullDropsAreCountedAndShowAsPositionGaps() throws Exception {
        // An 8 KiB ring holds about 13 records of 512 bytes; nobody reads it while 2 x 64 such records are produced.
        startCapture(LiveCapture.settingsForThisProcess().withRingBytes(8192));
        int rounds = 64;
        byte[] chunk = new byte[512];
        try (Loopback pair = Loopback.sockets(LOOPBACK)) {
            for (int round = 0; round < rounds; round++) {
                Arrays.fill(chunk, (byte) ('A' + round % 26));
                pair.client().send(chunk);
                pair.server().receive(chunk.length, chunk.length);
            }
            KernelCounters whileFull = capture.probe().counters();
            assertTrue(whileFull.ringFullRecords() > 0, "the kernel counted records it could not write: " + whileFull);

            // Make room, then one more message: it lands at its true stream position, past the hole.
            capture.awaitEvents(ev -> capture.probe().reader().pendingBytes() == 0, WAIT);
            exchange(pair, "after the drop", "");
            pair.client().close();
            pair.server().close();
            List<CaptureEvent> events = awaitClosed(pair.client(), pair.server());
            KernelCounters counters = capture.probe().counters();

            long lostBytes = 0;
            long lostRecords = 0;
            int gaps = 0;
            for (Endpoint end : List.of(pair.client(), pair.server())) {
                ConnectionId id = idOf(events, end);
                Direction direction = end == pair.client() ? Direction.EGRESS : Direction.INGRESS;
                byte[] truth = end.callLog.bytes(direction);
                List<DataEvent> records = records(events, id, direction);
                gaps += assertRecordsMatchTruthAtTheirPositions(records, truth, end + " " + direction);
                assertEquals(truth.length, records.get(records.size() - 1).end(), "the last message is at the end");
                lostBytes += truth.length - records.stream().mapToLong(r -> r.data().length).sum();
                lostRecords += end.callLog.calls(direction).size() - records.size(); // one record per call here
                ConnectionClosed close = closed(events, id).orElseThrow();
                assertEquals(truth.length, direction == Direction.EGRESS ? close.egressBytes() : close.ingressBytes(),
                        "positions count every byte, captured or not");
            }
            System.out.printf("[%s] ring full: %s, %d position gaps%n", capture.probe().mode().label(), counters, gaps);
            assertTrue(gaps > 0, "the loss shows as a jump in positions");
            assertEquals(lostBytes, counters.ringFullBytes(), "every missing byte is counted");
            assertEquals(lostRecords, counters.ringFullRecords(), "every missing record is counted");
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private void startCapture(CaptureSettings settings) {
        long started = System.nanoTime();
        capture = new LiveCapture(settings);
        System.out.printf("[%s] probe started in %d ms%n", capture.probe().mode().label(),
                (System.nanoTime() - started) / 1_000_000);
    }

    /** A request from the client, read by the server, and a response back (empty: none). */
    private static void exchange(Loopback pair, String request, String response) {
        byte[] req = request.getBytes(StandardCharsets.US_ASCII);
        pair.client().send(req);
        assertArrayEquals(req, pair.server().receive(req.length, 1024));
        if (!response.isEmpty()) {
            byte[] resp = response.getBytes(StandardCharsets.US_ASCII);
            pair.server().send(resp);
            assertArrayEquals(resp, pair.client().receive(resp.length, 1024));
        }
    }

    private List<CaptureEvent> awaitClosed(Endpoint... endpoints) {
        List<CaptureEvent> events = capture.awaitEvents(ev -> {
            for (Endpoint endpoint : endpoints) {
                if (!sawClose(ev, endpoint)) {
                    return false;
                }
            }
            return true;
        }, WAIT);
        assertEquals(0, capture.malformedRecords(), "records the decoder could not read");
        return events;
    }

    /** Nothing was dropped, capped or unreadable: all the bytes are in the events. */
    private void assertNothingLost() {
        assertEquals(KernelCounters.ZERO, capture.probe().counters());
    }

    /**
     * With loss, the records that did arrive must still be exact: in order, not overlapping, each one's bytes equal to
     * the truth at its position. Returns how many holes there are (before the first record counts as one).
     */
    private static int assertRecordsMatchTruthAtTheirPositions(List<DataEvent> records, byte[] truth, String what) {
        int gaps = 0;
        long expected = 0;
        for (DataEvent record : records) {
            assertTrue(record.position() >= expected, what + ": overlapping record at " + record.position());
            if (record.position() > expected) {
                gaps++;
            }
            byte[] slice = Arrays.copyOfRange(truth, (int) record.position(), (int) record.end());
            assertArrayEquals(slice, record.data(), what + ": bytes at " + record.position());
            expected = record.end();
        }
        return gaps;
    }

    private record ChildRun(long pid, int port, Endpoint server) {
    }

    /**
     * Starts a child JVM (always there where this test runs, unlike curl or python) that connects to the listener and
     * sends {@code message}; serves it from this JVM: reads the message, replies, closes; waits for the child to exit.
     */
    private static ChildRun serveOneChildConnection(ServerSocket listener, String message, String reply)
            throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path classes = Path.of(ChildTcpClient.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Process child = new ProcessBuilder(java.toString(), "-Xshare:auto", "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-cp", classes.toString(), ChildTcpClient.class.getName(),
                listener.getInetAddress().getHostAddress(), String.valueOf(listener.getLocalPort()), message)
                .redirectErrorStream(true).start();
        try {
            int tid = ProcFs.currentTid();
            Endpoint server = Endpoint.of(listener.accept(), Role.SERVER, tid);
            assertArrayEquals(message.getBytes(StandardCharsets.US_ASCII), server.receive(message.length(), 1024));
            server.send(reply.getBytes(StandardCharsets.US_ASCII));
            server.close();
            if (!child.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                fail("child did not finish");
            }
            String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            assertEquals(0, child.exitValue(), "child failed: " + output);
            assertEquals(server.remote.getPort() + " " + reply, output, "the child saw the reply");
            return new ChildRun(child.pid(), server.remote.getPort(), server);
        } finally {
            child.destroyForcibly();
        }
    }

    private static byte[][] segments(String... parts) {
        byte[][] bytes = new byte[parts.length][];
        for (int i = 0; i < parts.length; i++) {
            bytes[i] = parts[i].getBytes(StandardCharsets.US_ASCII);
        }
        return bytes;
    }
}
