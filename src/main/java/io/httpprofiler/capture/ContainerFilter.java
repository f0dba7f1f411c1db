package io.httpprofiler.capture;

import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * Passes on only the events of processes in one container ({@code --container}), judged in user space by the
 * container id in each process's cgroup. The kernel already keeps to the container's network namespace; this keeps
 * out the other containers that share it (a Kubernetes pod's sidecars, say).
 */
public final class ContainerFilter implements Consumer<CaptureEvent> {
    private final String containerId;
    private final IntFunction<ProcessOrigin> origins;
    private final Consumer<CaptureEvent> next;
    private long otherContainersEvents;

    public ContainerFilter(String containerId, IntFunction<ProcessOrigin> origins, Consumer<CaptureEvent> next) {
        this.containerId = containerId;
        this.origins = origins;
        this.next = next;
    }

    @Override
    public void accept(CaptureEvent event) {
        if (containerId.equals(origins.apply(event.connection().pid()).containerId())) {
            next.accept(event);
        } else {
            otherContainersEvents++;
        }
    }

    /** Events of processes outside the container (in its network namespace, or whose origin could not be read). */
    public long otherContainersEvents() {
        return otherContainersEvents;
    }
}
