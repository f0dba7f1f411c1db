package io.httpprofiler.capture;

import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Passes on only the events of connections opened by processes with one of the given names (--comm). The kernel reports
 * the name once, when it starts tracking a connection; later events are matched by connection. Data of a connection
 * whose opening was not seen cannot be attributed and is dropped (counted).
 */
public final class CommandFilter implements Consumer<CaptureEvent> {
    private final Set<String> commands;
    private final Consumer<CaptureEvent> next;
    private final Set<ConnectionId> admitted = new HashSet<>();
    private long droppedUnattributed;

    public CommandFilter(Set<String> commands, Consumer<CaptureEvent> next) {
        this.commands = Set.copyOf(commands);
        this.next = next;
    }

    @Override
    public void accept(CaptureEvent event) {
        if (event instanceof ConnectionOpened opened) {
            if (commands.contains(opened.command())) {
                admitted.add(opened.connection());
                next.accept(event);
            } else {
                admitted.remove(opened.connection());
            }
        } else if (admitted.contains(event.connection())) {
            if (event instanceof ConnectionClosed) {
                admitted.remove(event.connection());
            }
            next.accept(event);
        } else if (event instanceof DataEvent) {
            droppedUnattributed++;
        }
    }

    public long droppedUnattributed() {
        return droppedUnattributed;
    }
}
