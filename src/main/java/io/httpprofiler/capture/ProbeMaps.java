package io.httpprofiler.capture;

/**
 * The maps of bpf/http_probe.c that user space names or sizes itself against: their names, and the entries the C side
 * gives them. Beside {@link EventLayout} (the records' layout) and, like it, checked by EventLayoutTest against the
 * compiled object.
 */
public final class ProbeMaps {
    /** The ring buffer; its size is set at load time ({@code --ring-size}). */
    public static final String EVENTS = "events";
    /** One {@code struct probe_config}. */
    public static final String SETTINGS = "settings";
    /** Per-CPU counters, indexed by {@code enum counter}. */
    public static final String COUNTERS = "counters";
    /** Connections the kernel side tracks. */
    public static final String CONNECTIONS = "conns";
    /** Socket calls between their entry and their exit (least recently used dropped first). */
    public static final String CALLS = "calls";
    public static final String PID_FILTER = "pid_filter";
    public static final String PORT_FILTER = "port_filter";
    /** Body ranges not to copy, per connection and direction (least recently used dropped first). */
    public static final String SKIPS = "skips";

    /** Connections tracked at once; a new one past it is not traced and is counted (connection table full). */
    public static final int MAX_CONNECTIONS = 65_536;
    /** Socket calls in progress at once (across all traced threads). */
    public static final int MAX_CALLS_IN_PROGRESS = 16_384;
    /** Processes {@code --pid} can name. */
    public static final int MAX_PIDS = 4096;
    /** Ports {@code --port} can name. */
    public static final int MAX_PORTS = 1024;
    /** Skip ranges held at once. */
    public static final int MAX_SKIP_RANGES = 16_384;

    private ProbeMaps() {
    }
}
