package io.httpprofiler.capture;

import io.httpprofiler.bpf.BpfObject;
import io.httpprofiler.bpf.BtfTypes;
import io.httpprofiler.bpf.BtfTypes.Member;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The C layout (bpf/http_probe.h) is the one source of truth; {@link EventLayout} is its Java mirror. This test reads the
 * struct layouts and enum values back from the BTF the compiler wrote into the object and compares them with every
 * constant of the mirror, in both directions: a member or enum value added, removed, moved or resized on either side
 * fails here. Needs no privileges: opening an object and parsing its BTF does not touch the kernel.
 */
class EventLayoutTest {
    private static Path objectFile;
    private static BtfTypes btf;

    @BeforeAll
    static void openObjectBtf() {
        objectFile = Path.of(System.getProperty("bpf.object", "target/classes/bpf/http_probe.bpf.o"));
        assertTrue(Files.isRegularFile(objectFile), "compiled BPF object missing: " + objectFile.toAbsolutePath()
                + " (the build compiles it from bpf/http_probe.c)");
        btf = BtfTypes.ofElf(objectFile);
    }

    @AfterAll
    static void close() {
        if (btf != null) {
            btf.close();
        }
    }

    @Test
    void probeEventMembersMatchTheDecoderOffsetsAndSizes() {
        // Sizes are what EventDecoder reads at each offset: getLong = 8, getInt = 4, getShort = 2, get = 1.
        Map<String, Member> expected = members(
                member("timestamp_ns", EventLayout.TIMESTAMP_NS, Long.BYTES),
                member("generation", EventLayout.GENERATION, Long.BYTES),
                member("position", EventLayout.POSITION, Long.BYTES),
                member("call_size", EventLayout.CALL_SIZE, Long.BYTES),
                member("tgid", EventLayout.TGID, Integer.BYTES),
                member("tid", EventLayout.TID, Integer.BYTES),
                member("fd", EventLayout.FD, Integer.BYTES),
                member("data_len", EventLayout.DATA_LEN, Integer.BYTES),
                member("kind", EventLayout.KIND, Byte.BYTES),
                member("direction", EventLayout.DIRECTION, Byte.BYTES),
                member("role", EventLayout.ROLE, Byte.BYTES),
                member("family", EventLayout.FAMILY, Byte.BYTES),
                member("local_port", EventLayout.LOCAL_PORT, Short.BYTES),
                member("remote_port", EventLayout.REMOTE_PORT, Short.BYTES),
                member("local_addr", EventLayout.LOCAL_ADDR, EventLayout.ADDR_BYTES),
                member("remote_addr", EventLayout.REMOTE_ADDR, EventLayout.ADDR_BYTES),
                member("comm", EventLayout.COMM, EventLayout.COMM_BYTES),
                member("marker_reason", EventLayout.MARKER_REASON, Byte.BYTES),
                member("reserved", EventLayout.RESERVED, EventLayout.RESERVED_BYTES),
                member("data", EventLayout.DATA, 0)); // flexible array member: no size of its own

        assertSameMembers("probe_event", expected, btf.struct("probe_event").members());
    }

    @Test
    void headerSizeIsSizeofProbeEventAndPayloadFollowsIt() {
        long sizeof = btf.struct("probe_event").size();
        assertEquals(sizeof, EventLayout.HEADER_SIZE, "HEADER_SIZE = sizeof(struct probe_event)");
        // The kernel writes payload right after the header (sizeof + len), which is where the decoder reads it.
        assertEquals(EventLayout.HEADER_SIZE, EventLayout.DATA);
    }

    @Test
    void probeConfigMatchesWhatKernelProbeWrites() {
        Map<String, Member> expected = members(
                member("own_tgid", EventLayout.Config.OWN_TGID, Integer.BYTES),
                member("flags", EventLayout.Config.FLAGS, Integer.BYTES),
                member("netns_inode", EventLayout.Config.NETNS_INODE, Long.BYTES),
                member("max_capture_per_call", EventLayout.Config.MAX_CAPTURE_PER_CALL, Integer.BYTES),
                member("wakeup_bytes", EventLayout.Config.WAKEUP_BYTES, Integer.BYTES),
                member("pidns_dev", EventLayout.Config.PIDNS_DEV, Long.BYTES),
                member("pidns_inode", EventLayout.Config.PIDNS_INODE, Long.BYTES),
                member("max_body", EventLayout.Config.MAX_BODY, Long.BYTES));

        BtfTypes.StructLayout config = btf.struct("probe_config");
        assertSameMembers("probe_config", expected, config.members());
        assertEquals(config.size(), EventLayout.Config.SIZE, "Config.SIZE = sizeof(struct probe_config)");
    }

    @Test
    void enumValuesMatch() {
        assertEquals(Map.of("EVENT_OPEN", (long) EventLayout.EVENT_OPEN,
                        "EVENT_DATA", (long) EventLayout.EVENT_DATA,
                        "EVENT_CLOSE", (long) EventLayout.EVENT_CLOSE),
                btf.enumValues("event_kind"), "enum event_kind");
        assertEquals(Map.of("DIRECTION_EGRESS", (long) EventLayout.DIRECTION_EGRESS,
                        "DIRECTION_INGRESS", (long) EventLayout.DIRECTION_INGRESS),
                btf.enumValues("direction"), "enum direction");
        assertEquals(Map.of("ROLE_UNKNOWN", (long) EventLayout.ROLE_UNKNOWN,
                        "ROLE_SERVER", (long) EventLayout.ROLE_SERVER,
                        "ROLE_CLIENT", (long) EventLayout.ROLE_CLIENT),
                btf.enumValues("role"), "enum role");
        assertEquals(Map.of("MARKER_NONE", (long) EventLayout.MARKER_NONE,
                        "MARKER_SENDFILE", (long) EventLayout.MARKER_SENDFILE,
                        "MARKER_CAPTURE_LIMIT", (long) EventLayout.MARKER_CAPTURE_LIMIT,
                        "MARKER_SKIPPED", (long) EventLayout.MARKER_SKIPPED,
                        "MARKER_UNREADABLE", (long) EventLayout.MARKER_UNREADABLE),
                btf.enumValues("marker_reason"), "enum marker_reason");
        assertEquals(Map.of("COUNTER_RINGBUF_FULL_RECORDS", (long) EventLayout.COUNTER_RINGBUF_FULL_RECORDS,
                        "COUNTER_RINGBUF_FULL_BYTES", (long) EventLayout.COUNTER_RINGBUF_FULL_BYTES,
                        "COUNTER_CONN_TABLE_FULL", (long) EventLayout.COUNTER_CONN_TABLE_FULL,
                        "COUNTER_CAPPED_BYTES", (long) EventLayout.COUNTER_CAPPED_BYTES,
                        "COUNTER_SKIPPED_BYTES", (long) EventLayout.COUNTER_SKIPPED_BYTES,
                        "COUNTER_UNREADABLE_BYTES", (long) EventLayout.COUNTER_UNREADABLE_BYTES,
                        "COUNTER_MAX", (long) EventLayout.COUNTER_MAX),
                btf.enumValues("counter"), "enum counter");
        assertEquals(Map.of("CONFIG_FILTER_PIDS", (long) EventLayout.Config.FILTER_PIDS,
                        "CONFIG_FILTER_PORTS", (long) EventLayout.Config.FILTER_PORTS,
                        "CONFIG_FILTER_NETNS", (long) EventLayout.Config.FILTER_NETNS),
                btf.enumValues("config_flags"), "enum config_flags");
    }

    @Test
    void skipMapLayoutMatchesWhatKernelProbeSkipWrites() {
        // KernelProbe.skip packs the key as {int pid, int fd, int direction} and the value as {long generation,
        // long from, long until}: these are the structs the kernel reads them as.
        assertSameMembers("skip_key", members(member("tgid", EventLayout.Skip.KEY_TGID, 4),
                        member("fd", EventLayout.Skip.KEY_FD, 4), member("direction", EventLayout.Skip.KEY_DIRECTION, 4)),
                btf.struct("skip_key").members());
        assertEquals(EventLayout.Skip.KEY_SIZE, btf.struct("skip_key").size());
        assertSameMembers("skip_range", members(member("generation", EventLayout.Skip.RANGE_GENERATION, 8),
                        member("from", EventLayout.Skip.RANGE_FROM, 8), member("until", EventLayout.Skip.RANGE_UNTIL, 8)),
                btf.struct("skip_range").members());
        assertEquals(EventLayout.Skip.RANGE_SIZE, btf.struct("skip_range").size());
    }

    @Test
    void mapShapesMatchWhatJavaWritesAndReads() throws IOException {
        try (BpfObject object = BpfObject.open(Files.readAllBytes(objectFile))) {
            // The largest record the kernel emits is a header and a payload[MAX_RECORD_DATA], assembled in scratch.
            BtfTypes.StructLayout scratch = btf.struct("event_buffer");
            assertEquals(EventLayout.HEADER_SIZE, scratch.members().get("payload").offset(), "payload follows the header");
            assertEquals(EventLayout.MAX_RECORD_DATA, scratch.members().get("payload").size(), "MAX_RECORD_DATA");
            assertEquals(scratch.size(), object.map("scratch").valueSize(), "scratch holds one event_buffer");
            assertEquals(EventLayout.Config.SIZE, object.map(ProbeMaps.SETTINGS).valueSize(), "settings value");
            assertEquals(EventLayout.COUNTER_MAX, object.map(ProbeMaps.COUNTERS).maxEntries(), "counters entries");
            assertEquals(Long.BYTES, object.map(ProbeMaps.COUNTERS).valueSize(), "counters are u64 (sumPerCpuLong)");
            assertEquals(Integer.BYTES, object.map(ProbeMaps.PID_FILTER).keySize(), "pid_filter key");
            assertEquals(Short.BYTES, object.map(ProbeMaps.PORT_FILTER).keySize(), "port_filter key");
            assertEquals(12, object.map(ProbeMaps.SKIPS).keySize(), "skips key");
            assertEquals(EventLayout.Skip.RANGE_SIZE, object.map(ProbeMaps.SKIPS).valueSize(), "skips value");
        }
    }

    @Test
    void mapNamesAndSizesMatchProbeMaps() throws IOException {
        try (BpfObject object = BpfObject.open(Files.readAllBytes(objectFile))) {
            Map<String, Integer> entries = new LinkedHashMap<>();
            entries.put(ProbeMaps.CONNECTIONS, ProbeMaps.MAX_CONNECTIONS);
            entries.put(ProbeMaps.CALLS, ProbeMaps.MAX_CALLS_IN_PROGRESS);
            entries.put(ProbeMaps.PID_FILTER, ProbeMaps.MAX_PIDS);
            entries.put(ProbeMaps.PORT_FILTER, ProbeMaps.MAX_PORTS);
            entries.put(ProbeMaps.SKIPS, ProbeMaps.MAX_SKIP_RANGES);
            entries.put(ProbeMaps.SETTINGS, 1);
            entries.put(ProbeMaps.COUNTERS, EventLayout.COUNTER_MAX);
            // The ring's size in the object is only a default: KernelProbe sets it from --ring-size before loading.
            entries.put(ProbeMaps.EVENTS, CaptureSettings.DEFAULT_RING_BYTES);
            assertAll("map entries (ProbeMaps vs the object; BpfObject.map fails on a name the object lacks)",
                    entries.entrySet().stream().map(e -> () -> assertEquals(e.getValue(),
                            object.map(e.getKey()).maxEntries(), e.getKey())));
        }
    }

    /** Same member names on both sides, then each member's offset and size, reported one by one. */
    private static void assertSameMembers(String struct, Map<String, Member> mirror, Map<String, Member> btfMembers) {
        assertEquals(mirror.keySet(), btfMembers.keySet(), "struct " + struct + ": members in C vs the Java mirror");
        assertAll("struct " + struct, mirror.values().stream().map(expected -> () -> assertEquals(expected,
                btfMembers.get(expected.name()), struct + "." + expected.name() + " (Java mirror vs BTF)")));
    }

    private static Member member(String name, int offset, long size) {
        return new Member(name, offset, size);
    }

    private static Map<String, Member> members(Member... members) {
        Map<String, Member> byName = new LinkedHashMap<>();
        for (Member m : members) {
            byName.put(m.name(), m);
        }
        return byName;
    }
}
