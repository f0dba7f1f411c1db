package io.httpprofiler.capture;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds a running container for {@code --container ID|NAME}: an id (or a prefix of at least 4 hex digits, as engines
 * print them) is looked for among the processes' cgroups; a name is first turned into an id from the engines' own
 * state files (Docker's containers/ID/config.v2.json, podman's containers.json), which a profiler on the host can read
 * without talking to the engine.
 */
public final class ContainerLookup {
    /**
     * A container found running: its full id and the network namespace of its processes, 0 when the profiler may read
     * their cgroup but not their namespace link (/proc/PID/ns/net needs ptrace access: CAP_SYS_PTRACE beside processes
     * with capabilities the profiler lacks).
     */
    public record Found(String containerId, long netnsInode) {
        public boolean netnsKnown() {
            return netnsInode != 0;
        }
    }

    private static final Pattern ID_PREFIX = Pattern.compile("[0-9a-f]{4,64}");
    /** Docker's container config: {@code "Name":"/NAME"} (a name cannot contain a quote). */
    private static final Pattern DOCKER_NAME = Pattern.compile("\"Name\":\"/([^\"]*)\"");
    /** podman's (containers/storage's) list: {@code {"id":"ID","names":["NAME",...],...}}. */
    private static final Pattern PODMAN_ENTRY = Pattern.compile(
            "\\{\"id\":\"([0-9a-f]{64})\",\"names\":\\[([^\\]]*)]");

    private final Path root;

    public ContainerLookup(Path root) {
        this.root = root;
    }

    /**
     * The running container with this id, id prefix or name, or null when none runs; its namespace is 0 when no process
     * of it lets the profiler read its namespace link (see {@link Found}).
     */
    public Found find(String idOrName) {
        String wanted = idOrName.toLowerCase(Locale.ROOT);
        Found byId = ID_PREFIX.matcher(wanted).matches() ? findById(wanted) : null;
        if (byId != null) {
            return byId;
        }
        String id = idOfName(idOrName);
        return id == null ? null : findById(id);
    }

    private Found findById(String idPrefix) {
        ProcessOrigins origins = new ProcessOrigins(root);
        Found namespaceUnreadable = null;
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(root.resolve("proc"), "[0-9]*")) {
            for (Path process : processes) {
                int pid;
                try {
                    pid = Integer.parseInt(process.getFileName().toString());
                } catch (NumberFormatException e) {
                    continue;
                }
                ProcessOrigin origin = origins.apply(pid);
                if (origin.containerId() != null && origin.containerId().startsWith(idPrefix)) {
                    if (origin.netnsInode() != 0) {
                        return new Found(origin.containerId(), origin.netnsInode());
                    }
                    // Its cgroup says it is the container's; another of its processes may still show the namespace.
                    namespaceUnreadable = new Found(origin.containerId(), 0);
                }
            }
        } catch (IOException e) {
            return null;
        }
        return namespaceUnreadable;
    }

    private String idOfName(String name) {
        String docker = dockerIdOf(name);
        return docker != null ? docker : podmanIdOf(name);
    }

    private String dockerIdOf(String name) {
        Path containers = root.resolve("var/lib/docker/containers");
        if (!Files.isDirectory(containers)) {
            return null;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(containers)) {
            for (Path dir : dirs) {
                Path config = dir.resolve("config.v2.json");
                if (Files.isRegularFile(config)) {
                    Matcher m = DOCKER_NAME.matcher(Files.readString(config, StandardCharsets.UTF_8));
                    if (m.find() && m.group(1).equals(name)) {
                        return dir.getFileName().toString();
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    private String podmanIdOf(String name) {
        Path state = root.resolve("var/lib/containers/storage/overlay-containers/containers.json");
        if (!Files.isRegularFile(state)) {
            return null;
        }
        try {
            Matcher m = PODMAN_ENTRY.matcher(Files.readString(state, StandardCharsets.UTF_8));
            while (m.find()) {
                for (String known : m.group(2).split(",")) {
                    if (known.trim().equals("\"" + name + "\"")) {
                        return m.group(1);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }
}
