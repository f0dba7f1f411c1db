package io.httpprofiler.export;

import io.httpprofiler.capture.ProcessOrigin;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;

import static io.opentelemetry.api.common.AttributeKey.longKey;
import static io.opentelemetry.api.common.AttributeKey.stringKey;

/** A process's origin as resource attributes: the semantic conventions' names where they have one. */
public final class OriginAttributes {
    static final AttributeKey<String> CONTAINER_ID = stringKey("container.id");
    static final AttributeKey<String> CONTAINER_RUNTIME = stringKey("container.runtime");
    static final AttributeKey<String> CGROUP = stringKey("process.linux.cgroup");
    static final AttributeKey<String> POD_UID = stringKey("k8s.pod.uid");
    static final AttributeKey<String> POD_NAME = stringKey("k8s.pod.name");
    static final AttributeKey<String> NAMESPACE = stringKey("k8s.namespace.name");
    /** No convention names a network namespace; this is the profiler's own. */
    static final AttributeKey<Long> NETNS = longKey("linux.netns.inode");

    private OriginAttributes() {
    }

    public static Attributes of(ProcessOrigin origin) {
        AttributesBuilder attributes = Attributes.builder();
        if (origin.netnsInode() != 0) {
            attributes.put(NETNS, origin.netnsInode());
        }
        putIfKnown(attributes, CGROUP, origin.cgroup());
        putIfKnown(attributes, CONTAINER_ID, origin.containerId());
        putIfKnown(attributes, CONTAINER_RUNTIME, origin.containerRuntime());
        putIfKnown(attributes, POD_UID, origin.podUid());
        putIfKnown(attributes, POD_NAME, origin.podName());
        putIfKnown(attributes, NAMESPACE, origin.podNamespace());
        return attributes.build();
    }

    private static void putIfKnown(AttributesBuilder attributes, AttributeKey<String> key, String value) {
        if (value != null) {
            attributes.put(key, value);
        }
    }
}
