package io.httpprofiler.capture;

import io.httpprofiler.bpf.RecordHandler;

import java.nio.ByteBuffer;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The way from a ring buffer record to whatever consumes capture events (the HTTP pipeline): decode the record, then,
 * when process names were asked for ({@code --comm}), pass only the events of those processes' connections. The capture
 * loop, the start-up warm-up and the pipeline benchmark all feed records through this one path, so that what is warmed
 * up and what is measured is what runs.
 */
public final class RecordFeed implements RecordHandler {
    private final EventDecoder decoder;
    private final CommandFilter commandFilter;
    private final Consumer<CaptureEvent> input;

    /**
     * @param wallClockOffsetNanos added to the kernel's monotonic timestamps to get epoch nanoseconds
     * @param commands             only connections opened by processes with these names; empty: all
     * @param events               receives the decoded (and admitted) events
     */
    public RecordFeed(long wallClockOffsetNanos, Set<String> commands, Consumer<CaptureEvent> events) {
        this.decoder = new EventDecoder(wallClockOffsetNanos);
        this.commandFilter = commands.isEmpty() ? null : new CommandFilter(commands, events);
        this.input = commandFilter == null ? events : commandFilter;
    }

    /** Every event to {@code events}, timestamps as the records carry them (for recorded traffic). */
    public static RecordFeed unfiltered(Consumer<CaptureEvent> events) {
        return new RecordFeed(0, Set.of(), events);
    }

    @Override
    public void onRecord(ByteBuffer record) {
        CaptureEvent event = decoder.decode(record);
        if (event != null) {
            input.accept(event);
        }
    }

    /** Records the decoder could not make sense of (dropped). */
    public long malformedRecords() {
        return decoder.malformedRecords();
    }

    /**
     * Events dropped by the process name filter because their connection's opening (and so its process name) was
     * never seen, e.g. connections open before the profiler started; 0 without a filter.
     */
    public long unattributedEvents() {
        return commandFilter == null ? 0 : commandFilter.unattributedEvents();
    }
}
