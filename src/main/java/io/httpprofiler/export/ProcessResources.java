package io.httpprofiler.export;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.sdk.resources.Resource;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntFunction;

import static io.opentelemetry.api.common.AttributeKey.longKey;
import static io.opentelemetry.api.common.AttributeKey.stringKey;

/**
 * The resource of each traced process's spans: what the whole profiler says about itself (host, the user's
 * {@code OTEL_RESOURCE_ATTRIBUTES}), plus the process (pid, name) and where it runs (container, pod) when known. A
 * backend then lists each traced application as its own service: {@code service.name} is the process's name unless
 * the user set one. Built once per process and kept for the next exchanges (bounded: the oldest go first).
 */
final class ProcessResources {
    static final AttributeKey<String> SERVICE_NAME = stringKey("service.name");
    static final AttributeKey<Long> PROCESS_PID = longKey("process.pid");
    static final AttributeKey<String> PROCESS_NAME = stringKey("process.executable.name");
    /** Processes whose resource is kept at once; a busy host has a few hundred serving processes. */
    static final int MAX_PROCESSES = 4096;
    /** service.name of an exchange whose process name is unknown (its connection's start was not seen). */
    static final String UNKNOWN_SERVICE = "unknown_service";

    private final Resource base;
    private final String serviceName;
    private final IntFunction<Attributes> placeOfProcess;
    private final Map<Long, Resource> byProcess = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Resource> eldest) {
            return size() > MAX_PROCESSES;
        }
    };

    /**
     * @param base           resource attributes every span carries
     * @param serviceName    service.name for every span, or null to use each process's name
     * @param placeOfProcess where a pid runs (container, cgroup, pod) as resource attributes; empty when unknown
     */
    ProcessResources(Resource base, String serviceName, IntFunction<Attributes> placeOfProcess) {
        this.base = base;
        this.serviceName = serviceName;
        this.placeOfProcess = placeOfProcess;
    }

    /** The SDK's own attributes (telemetry.sdk.*), the host, and the user's attributes, which win. */
    static Resource base(Map<String, String> userAttributes, String hostName) {
        AttributesBuilder attributes = Attributes.builder();
        if (hostName != null) {
            attributes.put(stringKey("host.name"), hostName);
        }
        userAttributes.forEach((key, value) -> attributes.put(stringKey(key), value));
        return Resource.getDefault().toBuilder().removeIf(SERVICE_NAME::equals).build()
                .merge(Resource.create(attributes.build()));
    }

    Resource of(int pid, String command) {
        // A pid reused by another program is another process: the key holds the name's hash too.
        long key = ((long) pid << 32) | (command == null ? 0 : command.hashCode() & 0xffffffffL);
        Resource resource = byProcess.get(key);
        if (resource == null) {
            resource = create(pid, command);
            byProcess.put(key, resource);
        }
        return resource;
    }

    private Resource create(int pid, String command) {
        AttributesBuilder attributes = Attributes.builder()
                .putAll(placeOfProcess.apply(pid))
                .put(PROCESS_PID, (long) pid);
        if (command != null) {
            attributes.put(PROCESS_NAME, command);
        }
        attributes.put(SERVICE_NAME, serviceName != null ? serviceName : command != null ? command : UNKNOWN_SERVICE);
        return base.merge(Resource.create(attributes.build()));
    }
}
