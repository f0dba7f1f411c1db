package io.httpprofiler.capture;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CommandFilterTest {
    private final List<CaptureEvent> passed = new ArrayList<>();
    private final CommandFilter filter = new CommandFilter(Set.of("curl", "nginx"), passed::add);

    @Test
    void passesEveryEventOfConnectionsOpenedByANamedProcessOnly() {
        ConnectionId curl = new ConnectionId(10, 3, 1);
        ConnectionId python = new ConnectionId(11, 4, 2);
        List<CaptureEvent> curlEvents = List.of(opened(curl, "curl"), data(curl), closed(curl));
        filter.accept(curlEvents.get(0));
        filter.accept(opened(python, "python3"));
        filter.accept(curlEvents.get(1));
        filter.accept(data(python));
        filter.accept(closed(python));
        filter.accept(curlEvents.get(2));

        assertEquals(curlEvents, passed);
        assertEquals(0, filter.unattributedEvents(), "every event belonged to a connection whose opening was seen");
    }

    @Test
    void eventsOfAConnectionWhoseOpeningWasNotSeenAreDroppedAndCounted() {
        ConnectionId unknown = new ConnectionId(12, 5, 3);
        filter.accept(data(unknown));
        filter.accept(closed(unknown));

        assertEquals(List.of(), passed);
        assertEquals(2, filter.unattributedEvents());
    }

    @Test
    void aReusedFdIsDecidedAgainByItsNewOpening() {
        ConnectionId first = new ConnectionId(13, 6, 4);
        ConnectionId reused = new ConnectionId(13, 6, 5);
        filter.accept(opened(first, "nginx"));
        filter.accept(closed(first));
        filter.accept(opened(reused, "bash"));
        filter.accept(data(reused));

        assertEquals(2, passed.size(), "the nginx connection's open and close only");
    }

    @Test
    void rememberedDecisionsAreBounded() {
        for (int i = 0; i < ProbeMaps.MAX_CONNECTIONS + 10; i++) {
            filter.accept(opened(new ConnectionId(20, i, i), "curl"));
        }
        filter.accept(data(new ConnectionId(20, 0, 0)));

        assertEquals(1, filter.unattributedEvents(), "the oldest decision was forgotten, not kept forever");
    }

    private static ConnectionOpened opened(ConnectionId id, String command) {
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", 8080);
        return new ConnectionOpened(1, id, id.pid(), command, Role.CLIENT, address, address);
    }

    private static DataEvent data(ConnectionId id) {
        return new DataEvent(2, id, id.pid(), Direction.EGRESS, 0, 3, new byte[]{'G', 'E', 'T'});
    }

    private static ConnectionClosed closed(ConnectionId id) {
        return new ConnectionClosed(3, id, id.pid(), 3, 0);
    }
}
