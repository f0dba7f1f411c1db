package io.httpprofiler.capture;

/**
 * Where a traced process runs: what tells two containers serving the same address apart. Read from /proc in user space
 * (see {@link ProcessOrigins}), so the kernel's event layout does not change.
 *
 * @param netnsInode       the network namespace's inode (/proc/PID/ns/net), 0 when unreadable
 * @param cgroup           the process's cgroup path (the unified hierarchy's, else the first controller's), or null
 * @param containerId      the container's full id when the cgroup path names one (docker, podman, containerd, CRI-O)
 * @param containerRuntime {@code docker}, {@code podman}, {@code containerd} or {@code cri-o} with a container id
 * @param podUid           the Kubernetes pod's uid when the cgroup path names one (kubepods)
 * @param podNamespace     the pod's namespace, when the kubelet's log directory for the pod could be read, else null
 * @param podName          the pod's name, likewise
 */
public record ProcessOrigin(long netnsInode, String cgroup, String containerId, String containerRuntime,
                            String podUid, String podNamespace, String podName) {
    public static final ProcessOrigin UNKNOWN = new ProcessOrigin(0, null, null, null, null, null, null);

    /** The 12-character form engines print ({@code docker ps}, {@code podman ps}). */
    public String shortContainerId() {
        return containerId == null ? null : containerId.substring(0, Math.min(12, containerId.length()));
    }
}
