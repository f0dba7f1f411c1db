package io.httpprofiler.capture;

/**
 * The Java mirror of bpf/http_probe.h: byte offsets of {@code struct probe_event} and {@code struct probe_config}, and the
 * values of its enums. EventLayoutTest checks every constant here against the compiled object's BTF.
 */
public final class EventLayout {
    // struct probe_event
    public static final int TIMESTAMP_NS = 0;
    public static final int GENERATION = 8;
    public static final int POSITION = 16;
    public static final int CALL_SIZE = 24;
    public static final int TGID = 32;
    public static final int TID = 36;
    public static final int FD = 40;
    public static final int DATA_LEN = 44;
    public static final int KIND = 48;
    public static final int DIRECTION = 49;
    public static final int ROLE = 50;
    public static final int FAMILY = 51;
    public static final int LOCAL_PORT = 52;
    public static final int REMOTE_PORT = 54;
    public static final int LOCAL_ADDR = 56;
    public static final int REMOTE_ADDR = 72;
    public static final int ADDR_BYTES = 16;
    public static final int COMM = 88;
    public static final int COMM_BYTES = 16;
    public static final int MARKER_REASON = 104;
    public static final int RESERVED = 105;
    public static final int RESERVED_BYTES = 7;
    public static final int DATA = 112;
    public static final int HEADER_SIZE = 112;

    // enum event_kind
    public static final int EVENT_OPEN = 1;
    public static final int EVENT_DATA = 2;
    public static final int EVENT_CLOSE = 3;

    // enum direction
    public static final int DIRECTION_EGRESS = 0;
    public static final int DIRECTION_INGRESS = 1;

    // enum role
    public static final int ROLE_UNKNOWN = 0;
    public static final int ROLE_SERVER = 1;
    public static final int ROLE_CLIENT = 2;

    // enum marker_reason
    public static final int MARKER_NONE = 0;
    public static final int MARKER_SENDFILE = 1;
    public static final int MARKER_CAPTURE_LIMIT = 2;
    public static final int MARKER_SKIPPED = 3;
    public static final int MARKER_UNREADABLE = 4;

    // address families
    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;

    /** {@code enum counter}: indexes of the per-CPU counters map. */
    public static final int COUNTER_RINGBUF_FULL_RECORDS = 0;
    public static final int COUNTER_RINGBUF_FULL_BYTES = 1;
    public static final int COUNTER_CONN_TABLE_FULL = 2;
    public static final int COUNTER_CAPPED_BYTES = 3;
    public static final int COUNTER_SKIPPED_BYTES = 4;
    public static final int COUNTER_UNREADABLE_BYTES = 5;
    public static final int COUNTER_MAX = 6;

    /** Payload bytes one record carries at most ({@code MAX_RECORD_DATA}). */
    public static final int MAX_RECORD_DATA = 16384;

    /** {@code struct probe_config} and {@code enum config_flags}. */
    public static final class Config {
        public static final int OWN_TGID = 0;
        public static final int FLAGS = 4;
        public static final int NETNS_INODE = 8;
        public static final int MAX_CAPTURE_PER_CALL = 16;
        public static final int WAKEUP_BYTES = 20;
        public static final int PIDNS_DEV = 24;
        public static final int PIDNS_INODE = 32;
        public static final int MAX_BODY = 40;
        public static final int SIZE = 48;

        public static final int FILTER_PIDS = 1;
        public static final int FILTER_PORTS = 2;
        public static final int FILTER_NETNS = 4;

        private Config() {
        }
    }

    /** {@code struct skip_key} and {@code struct skip_range}: the {@code skips} map user space writes. */
    public static final class Skip {
        public static final int KEY_TGID = 0;
        public static final int KEY_FD = 4;
        public static final int KEY_DIRECTION = 8;
        public static final int KEY_SIZE = 12;
        public static final int RANGE_GENERATION = 0;
        public static final int RANGE_FROM = 8;
        public static final int RANGE_UNTIL = 16;
        public static final int RANGE_SIZE = 24;

        private Skip() {
        }
    }

    private EventLayout() {
    }
}
