package io.httpprofiler.cli;

import io.httpprofiler.bpf.RingImage;
import io.httpprofiler.capture.EventLayout;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Synthetic kernel output for {@link PipelineWarmup}: ring buffer records ({@code struct probe_event} in the ring's
 * 8-byte framing) of keep-alive HTTP/1.1 conversations over loopback, each connection seen from both ends as the
 * profiler sees a traced client talking to a traced server. The mix covers the paths real traffic takes: small and
 * multi-record text bodies, a JSON POST, a bodiless 304, a chunked response, and opens and closes.
 *
 * @param records   the framed records in a ring, to be drained as often as needed
 * @param exchanges exchanges in the recording, counting each end's view once
 */
record WarmupTraffic(RingImage.Replay records, int exchanges) {
    private static final int SERVER_PID = 1001;
    private static final int CLIENT_PID = 1002;
    private static final int SERVER_PORT = 8080;
    private static final long START_NANOS = 1_000_000_000L;

    /** {@code connections} keep-alive connections, {@code rounds} exchanges on each. */
    static WarmupTraffic of(int connections, int rounds) {
        Recorder out = new Recorder();
        long[] clientToServer = new long[connections];
        long[] serverToClient = new long[connections];
        for (int c = 0; c < connections; c++) {
            out.open(c, EventLayout.ROLE_CLIENT);
            out.open(c, EventLayout.ROLE_SERVER);
        }
        for (int round = 0; round < rounds; round++) {
            for (int c = 0; c < connections; c++) {
                WireExchange exchange = WireExchange.of(round + c, c);
                clientToServer[c] = out.transfer(c, clientToServer[c], exchange.request(), Integer.MAX_VALUE, true);
                serverToClient[c] = out.transfer(c, serverToClient[c], exchange.responseHead(), Integer.MAX_VALUE,
                        false);
                // Servers often write the body apart from the head, in buffers of their own size.
                serverToClient[c] = out.transfer(c, serverToClient[c], exchange.responseBody(), 32 * 1024, false);
            }
        }
        for (int c = 0; c < connections; c++) {
            out.close(c, EventLayout.ROLE_CLIENT, clientToServer[c], serverToClient[c]);
            out.close(c, EventLayout.ROLE_SERVER, serverToClient[c], clientToServer[c]);
        }
        return out.finish(2 * connections * rounds);
    }

    /** One request and its response as they go over the wire. */
    private record WireExchange(byte[] request, byte[] responseHead, byte[] responseBody) {
        static WireExchange of(int kind, int connection) {
            return switch (kind % 8) {
                case 1 -> get("/static/app.js?v=" + connection, "application/javascript", text(20 * 1024));
                case 2 -> post(connection);
                case 3 -> notModified();
                case 4 -> chunked(connection);
                default -> get("/index.html?c=" + connection, "text/plain", text(1024));
            };
        }

        private static WireExchange get(String path, String type, byte[] body) {
            return new WireExchange(ascii("GET " + path + " HTTP/1.1\r\n"
                    + "Host: 127.0.0.1:" + SERVER_PORT + "\r\n"
                    + "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
                    + "Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\n"
                    + "Accept-Encoding: gzip, deflate\r\n"
                    + "Connection: keep-alive\r\n\r\n"),
                    ascii("HTTP/1.1 200 OK\r\n"
                            + "Server: nginx/1.22.1\r\n"
                            + "Date: Sun, 23 Nov 2025 11:30:00 GMT\r\n"
                            + "Content-Type: " + type + "\r\n"
                            + "Content-Length: " + body.length + "\r\n"
                            + "Last-Modified: Sun, 23 Nov 2025 10:00:00 GMT\r\n"
                            + "Connection: keep-alive\r\n"
                            + "ETag: \"6922e1a0-" + Integer.toHexString(body.length) + "\"\r\n"
                            + "Accept-Ranges: bytes\r\n\r\n"),
                    body);
        }

        private static WireExchange post(int connection) {
            byte[] body = ascii("{\"user\":" + connection + ",\"items\":[1,2,3],\"note\":\"warm-up \\u00e9\"}");
            byte[] created = ascii("{\"id\":" + (1000 + connection) + "}");
            return new WireExchange(ascii("POST /api/orders HTTP/1.1\r\n"
                    + "Host: 127.0.0.1:" + SERVER_PORT + "\r\n"
                    + "Authorization: Bearer warm-up-" + connection + "\r\n" // (redaction's hot path too)
                    + "Content-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n" + new String(body, StandardCharsets.US_ASCII)),
                    ascii("HTTP/1.1 201 Created\r\n"
                            + "Content-Type: application/json\r\n"
                            + "Location: /api/orders/" + connection + "\r\n"
                            + "Content-Length: " + created.length + "\r\n\r\n"),
                    created);
        }

        private static WireExchange notModified() {
            return new WireExchange(ascii("GET /logo.png HTTP/1.1\r\n"
                    + "Host: 127.0.0.1:" + SERVER_PORT + "\r\n"
                    + "If-None-Match: \"6922e1a0-400\"\r\n\r\n"),
                    ascii("HTTP/1.1 304 Not Modified\r\n"
                            + "ETag: \"6922e1a0-400\"\r\n\r\n"),
                    new byte[0]);
        }

        private static WireExchange chunked(int connection) {
            String first = "event " + connection + " started\n";
            String second = new String(text(700), StandardCharsets.US_ASCII);
            return new WireExchange(ascii("GET /events?since=" + connection + " HTTP/1.1\r\n"
                    + "Host: 127.0.0.1:" + SERVER_PORT + "\r\n"
                    + "Accept: text/plain\r\n\r\n"),
                    ascii("HTTP/1.1 200 OK\r\n"
                            + "Content-Type: text/plain; charset=utf-8\r\n"
                            + "Transfer-Encoding: chunked\r\n\r\n"),
                    ascii(Integer.toHexString(first.length()) + "\r\n" + first + "\r\n"
                            + Integer.toHexString(second.length()) + "\r\n" + second + "\r\n0\r\n\r\n"));
        }
    }

    /** Appends records in the ring's framing: an 8-byte header {@code {u32 len; u32 pg_off}}, padded to 8 bytes. */
    private static final class Recorder {
        private final RingImage ring = new RingImage();
        private long time = START_NANOS;

        void open(int connection, int role) {
            ByteBuffer e = event(EventLayout.EVENT_OPEN, connection, role, 0);
            boolean server = role == EventLayout.ROLE_SERVER;
            e.put(EventLayout.FAMILY, (byte) EventLayout.AF_INET);
            e.putShort(EventLayout.LOCAL_PORT, (short) (server ? SERVER_PORT : clientPort(connection)));
            e.putShort(EventLayout.REMOTE_PORT, (short) (server ? clientPort(connection) : SERVER_PORT));
            byte[] loopback = {127, 0, 0, 1};
            e.put(EventLayout.LOCAL_ADDR, loopback);
            e.put(EventLayout.REMOTE_ADDR, loopback);
            e.put(EventLayout.COMM, ascii(server ? "nginx" : "wrk"));
            ring.add(e);
        }

        /**
         * One socket call carrying {@code bytes}, seen by both ends: the sender's egress and the receiver's ingress,
         * each cut into records of at most {@code MAX_RECORD_DATA} as the kernel side does. Returns the new position.
         */
        long transfer(int connection, long position, byte[] bytes, int callBytes, boolean fromClient) {
            for (int callStart = 0; callStart < bytes.length; callStart += callBytes) {
                int call = Math.min(callBytes, bytes.length - callStart);
                for (int role : fromClient
                        ? new int[]{EventLayout.ROLE_CLIENT, EventLayout.ROLE_SERVER}
                        : new int[]{EventLayout.ROLE_SERVER, EventLayout.ROLE_CLIENT}) {
                    boolean sender = (role == EventLayout.ROLE_CLIENT) == fromClient;
                    for (int off = 0; off < call; off += EventLayout.MAX_RECORD_DATA) {
                        int len = Math.min(EventLayout.MAX_RECORD_DATA, call - off);
                        ByteBuffer e = event(EventLayout.EVENT_DATA, connection, role, len);
                        e.put(EventLayout.DIRECTION,
                                (byte) (sender ? EventLayout.DIRECTION_EGRESS : EventLayout.DIRECTION_INGRESS));
                        e.putLong(EventLayout.POSITION, position + callStart + off);
                        e.putLong(EventLayout.CALL_SIZE, call);
                        e.putInt(EventLayout.DATA_LEN, len);
                        e.put(EventLayout.DATA, bytes, callStart + off, len);
                        ring.add(e);
                    }
                }
            }
            return position + bytes.length;
        }

        void close(int connection, int role, long egress, long ingress) {
            ByteBuffer e = event(EventLayout.EVENT_CLOSE, connection, role, 0);
            e.putLong(EventLayout.POSITION, egress);
            e.putLong(EventLayout.CALL_SIZE, ingress);
            ring.add(e);
        }

        private ByteBuffer event(int kind, int connection, int role, int dataLength) {
            time += 20_000;
            boolean server = role == EventLayout.ROLE_SERVER;
            ByteBuffer e = ByteBuffer.allocate(EventLayout.HEADER_SIZE + dataLength).order(ByteOrder.nativeOrder());
            e.putLong(EventLayout.TIMESTAMP_NS, time);
            e.putLong(EventLayout.GENERATION, START_NANOS + connection);
            e.putInt(EventLayout.TGID, server ? SERVER_PID : CLIENT_PID);
            e.putInt(EventLayout.TID, server ? SERVER_PID : CLIENT_PID);
            e.putInt(EventLayout.FD, 10 + connection);
            e.put(EventLayout.KIND, (byte) kind);
            e.put(EventLayout.ROLE, (byte) role);
            return e;
        }

        WarmupTraffic finish(int exchanges) {
            // Direct, like the kernel's mapping: the decoder then runs on the buffer type it will see in production.
            return new WarmupTraffic(ring.replay(), exchanges);
        }

        private static int clientPort(int connection) {
            return 40000 + connection;
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Text like a static file: 70-character lines. */
    private static byte[] text(int size) {
        byte[] out = new byte[size];
        String line = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:-_/\n";
        for (int i = 0; i < size; i++) {
            out[i] = (byte) line.charAt(i % line.length());
        }
        return out;
    }
}
