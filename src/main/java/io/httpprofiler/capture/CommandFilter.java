package io.httpprofiler.capture;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Passes on only the events of connections opened by processes with one of the given names (--comm). The kernel reports
 * the name once, when it starts tracking a connection; later events are matched by connection. Events of a connection
 * whose opening was not seen cannot be attributed: they are dropped and counted.
 */
public final class CommandFilter implements Consumer<CaptureEvent> {
    private final Set<String> commands;
    private final Consumer<CaptureEvent> next;
    /**
     * Per connection: admitted or not, for at most as many connections as the kernel side tracks at once. Oldest
     * forgotten first, so a close never seen cannot grow it without bound.
     */
    private final Map<ConnectionId, Boolean> admitted = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<ConnectionId, Boolean> eldest) {
            return size() > ProbeMaps.MAX_CONNECTIONS;
        }
    };
    private long unattributedEvents;

    public CommandFilter(Set<String> commands, Consumer<CaptureEvent> next) {
        this.commands = Set.copyOf(commands);
        this.next = next;
    }

    @Override
    public void accept(CaptureEvent event) {
        if (event instanceof ConnectionOpened opened) {
            boolean admit = commands.contains(opened.command());
            admitted.put(opened.connection(), admit);
            if (admit) {
                next.accept(event);
            }
            return;
        }
        Boolean admit = event instanceof ConnectionClosed ? admitted.remove(event.connection())
                : admitted.get(event.connection());
        if (admit == null) {
            unattributedEvents++;
        } else if (admit) {
            next.accept(event);
        }
    }

    /** Events of connections whose opening (and so whose process name) was never seen. */
    public long unattributedEvents() {
        return unattributedEvents;
    }
}
