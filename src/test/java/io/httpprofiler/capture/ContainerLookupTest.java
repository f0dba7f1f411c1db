package io.httpprofiler.capture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

class ContainerLookupTest {
    private static final String DOCKER_ID = "aa".repeat(32);
    private static final String PODMAN_ID = "bb".repeat(32);

    @TempDir
    Path root;

    private void process(int pid, String cgroup, long netns) throws IOException {
        Path proc = Files.createDirectories(root.resolve("proc/" + pid + "/ns"));
        Files.createSymbolicLink(proc.resolve("net"), Path.of("net:[" + netns + "]"));
        Files.writeString(root.resolve("proc/" + pid + "/cgroup"), "0::" + cgroup + "\n");
    }

    @Test
    void byIdPrefixOrName() throws IOException {
        process(10, "/user.slice", 4026531840L);
        process(20, "/system.slice/docker-" + DOCKER_ID + ".scope", 4026532001L);
        process(30, "/machine.slice/libpod-" + PODMAN_ID + ".scope/container", 4026532002L);
        Files.createDirectories(root.resolve("var/lib/docker/containers/" + DOCKER_ID));
        Files.writeString(root.resolve("var/lib/docker/containers/" + DOCKER_ID + "/config.v2.json"),
                "{\"ID\":\"" + DOCKER_ID + "\",\"Name\":\"/shop-api\",\"State\":{}}");
        Files.createDirectories(root.resolve("var/lib/containers/storage/overlay-containers"));
        Files.writeString(root.resolve("var/lib/containers/storage/overlay-containers/containers.json"),
                "[{\"id\":\"" + PODMAN_ID + "\",\"names\":[\"cart\",\"cart-alias\"],\"image\":\"x\"}]");
        ContainerLookup lookup = new ContainerLookup(root);
        assertEquals(new ContainerLookup.Found(DOCKER_ID, 4026532001L), lookup.find(DOCKER_ID.substring(0, 12)));
        assertEquals(new ContainerLookup.Found(DOCKER_ID, 4026532001L), lookup.find("shop-api"));
        assertEquals(new ContainerLookup.Found(PODMAN_ID, 4026532002L), lookup.find("cart-alias"));
        assertEquals(new ContainerLookup.Found(PODMAN_ID, 4026532002L), lookup.find(PODMAN_ID.toUpperCase()));
        assertNull(lookup.find("cccc"));
        assertNull(lookup.find("nobody"));
    }

    /** Its cgroup is readable by anyone; its namespace link only with ptrace access (a profiler without CAP_SYS_PTRACE). */
    private void processWithUnreadableNamespace(int pid, String cgroup) throws IOException {
        Files.createDirectories(root.resolve("proc/" + pid + "/ns"));
        Files.writeString(root.resolve("proc/" + pid + "/cgroup"), "0::" + cgroup + "\n");
    }

    @Test
    void aContainerWhoseNamespaceCannotBeReadIsFoundWithoutOne() throws IOException {
        processWithUnreadableNamespace(20, "/docker/" + DOCKER_ID);
        ContainerLookup.Found found = new ContainerLookup(root).find(DOCKER_ID.substring(0, 12));
        assertEquals(new ContainerLookup.Found(DOCKER_ID, 0), found);
        assertFalse(found.netnsKnown());
    }

    @Test
    void anyProcessOfTheContainerThatShowsItsNamespaceIsEnough() throws IOException {
        processWithUnreadableNamespace(20, "/libpod_parent/libpod-" + PODMAN_ID);
        process(21, "/libpod_parent/libpod-" + PODMAN_ID, 4026532002L);
        processWithUnreadableNamespace(22, "/libpod_parent/libpod-" + PODMAN_ID);
        assertEquals(new ContainerLookup.Found(PODMAN_ID, 4026532002L), new ContainerLookup(root).find(PODMAN_ID));
    }
}
