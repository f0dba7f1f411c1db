package io.httpprofiler.capture;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds a process's {@link ProcessOrigin} from /proc/PID/ns/net and /proc/PID/cgroup, and for a Kubernetes pod its name
 * and namespace from the kubelet's /var/log/pods/NAMESPACE_NAME_UID directory (present on every node; a DaemonSet
 * mounts it). Kept per process for {@link #MAX_AGE_NANOS}: long enough that a busy server costs one read per process,
 * short enough that a reused pid is soon read again (a process gone by then keeps its last origin). Bounded; not
 * thread-safe (the capture thread's).
 */
public final class ProcessOrigins implements IntFunction<ProcessOrigin> {
    static final int MAX_PROCESSES = 4096;
    static final long MAX_AGE_NANOS = 30_000_000_000L;
    private static final Pattern NETNS = Pattern.compile("net:\\[(\\d+)]");
    /**
     * A 64-hex container id after the runtime's marker: docker-ID.scope and /docker/ID (Docker), libpod-ID.scope
     * (podman), cri-containerd-ID.scope and /ID under kubepods (containerd), crio-ID.scope (CRI-O).
     */
    private static final Pattern CONTAINER = Pattern.compile(
            "(docker|libpod|cri-containerd|crio|containerd)[-/]([0-9a-f]{64})(?:\\.scope)?(?:/|$)");
    /** containerd's cgroupfs layout under kubepods: .../podUID/ID, no runtime marker. */
    private static final Pattern BARE_ID = Pattern.compile("/([0-9a-f]{64})(?:\\.scope)?$");
    /** kubepods-burstable-pod1234abcd_...slice (systemd driver) or /kubepods/burstable/pod1234abcd-... (cgroupfs). */
    private static final Pattern POD = Pattern.compile(
            "pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})");

    private record Entry(ProcessOrigin origin, long readAt) {
    }

    private final Path root;
    /** Told once when a namespace link cannot be read for want of ptrace access (null: nobody to tell). */
    private final Consumer<String> problems;
    private boolean namespaceDeniedTold;
    private final Map<Integer, Entry> byPid = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, Entry> eldest) {
            return size() > MAX_PROCESSES;
        }
    };

    /** @param root where /proc and /var/log/pods are found: "/" on a host, a made-up tree in tests */
    public ProcessOrigins(Path root) {
        this(root, null);
    }

    /** @param problems told once when another process's network namespace cannot be read (permission denied) */
    public ProcessOrigins(Path root, Consumer<String> problems) {
        this.root = root;
        this.problems = problems;
    }

    @Override
    public ProcessOrigin apply(int pid) {
        long now = System.nanoTime();
        Entry entry = byPid.get(pid);
        if (entry == null || now - entry.readAt() > MAX_AGE_NANOS) {
            ProcessOrigin origin = read(pid);
            // A process that has gone since keeps what was read while it ran.
            entry = new Entry(origin == ProcessOrigin.UNKNOWN && entry != null ? entry.origin() : origin, now);
            byPid.put(pid, entry);
        }
        return entry.origin();
    }

    private ProcessOrigin read(int pid) {
        Path proc = root.resolve("proc").resolve(Integer.toString(pid));
        long netns = 0;
        try {
            Matcher m = NETNS.matcher(Files.readSymbolicLink(proc.resolve("ns/net")).toString());
            if (m.matches()) {
                netns = Long.parseLong(m.group(1));
            }
        } catch (AccessDeniedException e) {
            namespaceDenied(pid); // running, but not ours to read
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            // gone: the origin stays unknown
        }
        String cgroup = null;
        try {
            cgroup = cgroupPath(Files.readString(proc.resolve("cgroup"), StandardCharsets.UTF_8));
        } catch (IOException | SecurityException e) {
            // likewise
        }
        return fromCgroup(netns, cgroup);
    }

    /** The cgroup is still read (anyone may); only the namespace stays unknown, which the user should hear of once. */
    private void namespaceDenied(int pid) {
        if (problems != null && !namespaceDeniedTold) {
            namespaceDeniedTold = true;
            problems.accept("cannot read the network namespace of process " + pid + " (/proc/" + pid
                    + "/ns/net: permission denied): records of such processes have origin netns null; reading"
                    + " another process's namespace needs CAP_SYS_PTRACE (in a container: --cap-add SYS_PTRACE)");
        }
    }

    ProcessOrigin fromCgroup(long netns, String cgroup) {
        if (cgroup == null) {
            return netns == 0 ? ProcessOrigin.UNKNOWN : new ProcessOrigin(netns, null, null, null, null, null, null);
        }
        String id = null;
        String runtime = null;
        Matcher container = CONTAINER.matcher(cgroup);
        if (container.find()) {
            id = container.group(2);
            runtime = switch (container.group(1)) {
                case "docker" -> "docker";
                case "libpod" -> "podman";
                case "crio" -> "cri-o";
                default -> "containerd";
            };
        }
        String podUid = null;
        Matcher pod = POD.matcher(cgroup);
        if (pod.find()) {
            podUid = pod.group(1).replace('_', '-');
            if (id == null) {
                Matcher bare = BARE_ID.matcher(cgroup);
                if (bare.find()) {
                    id = bare.group(1);
                    runtime = "containerd";
                }
            }
        }
        String[] namespaceAndName = podUid == null ? null : podDirectory(podUid);
        return new ProcessOrigin(netns, cgroup, id, runtime, podUid,
                namespaceAndName == null ? null : namespaceAndName[0],
                namespaceAndName == null ? null : namespaceAndName[1]);
    }

    /**
     * The cgroup path that says most: the first (of any hierarchy) that names a container or a pod, else the unified
     * hierarchy's ({@code 0::/path}) unless it is the root, else the first controller's that is not the root. Lines are
     * {@code ID:CONTROLLERS:PATH}; a hybrid host (cgroup v1 controllers beside v2) may name the container in only some.
     */
    static String cgroupPath(String procCgroup) {
        String unified = null;
        String firstNonRoot = null;
        for (String line : procCgroup.split("\n")) {
            int second = line.indexOf(':', line.indexOf(':') + 1);
            if (second < 0) {
                continue;
            }
            String path = line.substring(second + 1).trim();
            if (CONTAINER.matcher(path).find() || POD.matcher(path).find()) {
                return path;
            }
            if (line.startsWith("0::")) {
                unified = path;
            } else if (firstNonRoot == null && !path.isEmpty() && !path.equals("/")) {
                firstNonRoot = path;
            }
        }
        if (unified != null && !unified.equals("/")) {
            return unified;
        }
        return firstNonRoot != null ? firstNonRoot : unified;
    }

    /** The kubelet names each pod's log directory NAMESPACE_NAME_UID (names cannot contain '_'). */
    private String[] podDirectory(String podUid) {
        Path pods = root.resolve("var/log/pods");
        if (!Files.isDirectory(pods)) {
            return null;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(pods, "*_*_" + podUid)) {
            for (Path dir : dirs) {
                String[] parts = dir.getFileName().toString().split("_");
                if (parts.length == 3) {
                    return new String[] {parts[0], parts[1]};
                }
            }
        } catch (IOException | SecurityException e) {
            // unreadable: name and namespace stay unknown
        }
        return null;
    }
}
