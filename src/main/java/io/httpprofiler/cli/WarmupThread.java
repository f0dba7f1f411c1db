package io.httpprofiler.cli;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * A {@link PipelineWarmup} on a thread of its own, so that it overlaps the BPF load. A daemon thread: a start that fails
 * must not wait for it. A warm-up that fails costs nothing but speed, so {@link #await()} reports it as null.
 */
final class WarmupThread {
    private final PipelineWarmup warmup;
    private final FutureTask<PipelineWarmup.Result> task;

    private WarmupThread(PipelineWarmup warmup) {
        this.warmup = warmup;
        this.task = new FutureTask<>(warmup);
    }

    static WarmupThread start(PipelineWarmup warmup) {
        WarmupThread started = new WarmupThread(warmup);
        Thread thread = new Thread(started.task, "http-profiler-warmup");
        thread.setDaemon(true);
        thread.start();
        return started;
    }

    /** Whether the warm-up is still running: it runs past its budget until {@link #await()} says the start is done. */
    boolean running() {
        return !task.isDone();
    }

    /** Says the start is done, then waits for the warm-up (itself bounded in time); null if it failed. */
    PipelineWarmup.Result await() {
        warmup.startDone();
        try {
            return task.get();
        } catch (ExecutionException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
