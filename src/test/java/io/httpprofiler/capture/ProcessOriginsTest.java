package io.httpprofiler.capture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ProcessOriginsTest {
    private static final String ID = "3f1e0a9b7c2d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789ab";
    private static final String UID = "1b2c3d4e-5f60-4718-293a-4b5c6d7e8f90";

    @TempDir
    Path root;

    private ProcessOrigin origin(String cgroup) {
        return new ProcessOrigins(root).fromCgroup(4026531840L, cgroup);
    }

    @Test
    void dockerPodmanContainerdCrio() {
        assertEquals("docker", origin("/system.slice/docker-" + ID + ".scope").containerRuntime());
        assertEquals(ID, origin("/system.slice/docker-" + ID + ".scope").containerId());
        assertEquals(ID, origin("/docker/" + ID).containerId());
        assertEquals("podman", origin("/machine.slice/libpod-" + ID + ".scope/container").containerRuntime());
        assertEquals(ID, origin("/machine.slice/libpod-" + ID + ".scope/container").containerId());
        assertEquals("cri-o", origin("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
                + UID.replace('-', '_') + ".slice/crio-" + ID + ".scope").containerRuntime());
        ProcessOrigin containerd = origin("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
                + UID.replace('-', '_') + ".slice/cri-containerd-" + ID + ".scope");
        assertEquals("containerd", containerd.containerRuntime());
        assertEquals(ID, containerd.containerId());
        assertEquals(UID, containerd.podUid());
        assertEquals(ID.substring(0, 12), containerd.shortContainerId());
    }

    @Test
    void cgroupfsKubepodsWithABareId() {
        ProcessOrigin origin = origin("/kubepods/burstable/pod" + UID + "/" + ID);
        assertEquals(UID, origin.podUid());
        assertEquals(ID, origin.containerId());
        assertEquals("containerd", origin.containerRuntime());
    }

    @Test
    void hostProcessesHaveNoContainer() {
        ProcessOrigin origin = origin("/user.slice/user-0.slice/session-3.scope");
        assertEquals(4026531840L, origin.netnsInode());
        assertEquals("/user.slice/user-0.slice/session-3.scope", origin.cgroup());
        assertNull(origin.containerId());
        assertNull(origin.podUid());
    }

    @Test
    void podNameAndNamespaceFromTheKubeletsLogDirectory() throws IOException {
        Files.createDirectories(root.resolve("var/log/pods/shop_cart-7d9f_" + UID));
        ProcessOrigin origin = origin("/kubepods/pod" + UID + "/" + ID);
        assertEquals("shop", origin.podNamespace());
        assertEquals("cart-7d9f", origin.podName());
    }

    @Test
    void unifiedHierarchyFirstElseTheFirstController() {
        assertEquals("/a", ProcessOrigins.cgroupPath("12:pids:/b\n0::/a\n"));
        assertEquals("/docker/x", ProcessOrigins.cgroupPath("12:pids:/docker/x\n11:memory:/docker/x\n"));
        assertNull(ProcessOrigins.cgroupPath(""));
        // A hybrid host: the unified hierarchy at the root, the container named by the v1 controllers.
        assertEquals("/docker/" + ID, ProcessOrigins.cgroupPath("4:memory:/docker/" + ID + "\n0::/\n"));
        assertEquals("/sandbox/1", ProcessOrigins.cgroupPath("9:name=systemd:/\n4:memory:/sandbox/1\n0::/\n"));
        assertEquals("/", ProcessOrigins.cgroupPath("9:name=systemd:/\n0::/\n"));
    }

    @Test
    void readFromProcAndCached() throws IOException {
        Path proc = Files.createDirectories(root.resolve("proc/77/ns"));
        Files.createSymbolicLink(proc.resolve("net"), Path.of("net:[4026532999]"));
        Files.writeString(root.resolve("proc/77/cgroup"), "0::/system.slice/docker-" + ID + ".scope\n");
        ProcessOrigins origins = new ProcessOrigins(root);
        ProcessOrigin origin = origins.apply(77);
        assertEquals(4026532999L, origin.netnsInode());
        assertEquals(ID, origin.containerId());
        Files.delete(root.resolve("proc/77/cgroup"));
        assertEquals(origin, origins.apply(77), "kept per process");
        assertEquals(ProcessOrigin.UNKNOWN, origins.apply(78), "a process that is gone");
    }
}
