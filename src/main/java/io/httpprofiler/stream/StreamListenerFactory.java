package io.httpprofiler.stream;

import io.httpprofiler.capture.ConnectionId;

/** Creates the listener for a newly tracked connection. */
@FunctionalInterface
public interface StreamListenerFactory {
    /** {@code control} must not be used before this method returns. */
    StreamListener create(ConnectionId id, StreamControl control);
}
