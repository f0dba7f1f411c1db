package io.httpprofiler.cli;

import io.httpprofiler.capture.CaptureEvent;
import io.httpprofiler.capture.DataEvent;
import io.httpprofiler.capture.Direction;
import io.httpprofiler.capture.EventLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.fail;

/** A record log replays what the capture loop was fed: the same events, the same expiry ticks, in the same order. */
class RecordLogTest {
    private static final long OFFSET = 1_795_000_000_000_000_000L;

    @TempDir
    Path dir;

    @Test
    void replaysRecordsAndTicksInOrder() throws Exception {
        Path file = dir.resolve("records.bin");
        byte[] payload = "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        try (RecordLog log = new RecordLog(file, OFFSET, warning -> fail(warning))) {
            log.record(dataRecord(1_000, 7, 40, payload));
            log.expire(OFFSET + 2_000);
            log.record(dataRecord(3_000, 7, 40 + payload.length, new byte[0]));
        }
        List<Object> steps = new ArrayList<>();
        RecordReplay.replay(file, new RecordReplay.Steps() {
            @Override
            public void event(CaptureEvent event) {
                steps.add(event);
            }

            @Override
            public void expire(long nowNanos) {
                steps.add(nowNanos);
            }
        });
        assertEquals(3, steps.size(), steps::toString);
        DataEvent first = assertInstanceOf(DataEvent.class, steps.get(0));
        assertEquals(OFFSET + 1_000, first.timestampNanos());
        assertEquals(7, first.connection().fd());
        assertEquals(Direction.INGRESS, first.direction());
        assertEquals(40, first.position());
        assertArrayEquals(payload, first.data());
        assertEquals(OFFSET + 2_000, steps.get(1));
        DataEvent marker = assertInstanceOf(DataEvent.class, steps.get(2));
        assertEquals(40 + payload.length, marker.position());
        assertEquals(0, marker.data().length);
    }

    /** A {@code struct probe_event} of kind DATA, as the kernel writes it into the ring. */
    private static ByteBuffer dataRecord(long monotonicNanos, int fd, long position, byte[] data) {
        ByteBuffer record = ByteBuffer.allocate(EventLayout.HEADER_SIZE + data.length).order(ByteOrder.nativeOrder());
        record.putLong(EventLayout.TIMESTAMP_NS, monotonicNanos);
        record.putLong(EventLayout.GENERATION, 1);
        record.putLong(EventLayout.POSITION, position);
        record.putLong(EventLayout.CALL_SIZE, Math.max(data.length, 1));
        record.putInt(EventLayout.TGID, 4242);
        record.putInt(EventLayout.TID, 4243);
        record.putInt(EventLayout.FD, fd);
        record.putInt(EventLayout.DATA_LEN, data.length);
        record.put(EventLayout.KIND, (byte) EventLayout.EVENT_DATA);
        record.put(EventLayout.DIRECTION, (byte) EventLayout.DIRECTION_INGRESS);
        record.put(EventLayout.DATA, data);
        return record;
    }
}
