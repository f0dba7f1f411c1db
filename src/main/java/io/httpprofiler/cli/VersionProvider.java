package io.httpprofiler.cli;

import picocli.CommandLine.IVersionProvider;

/** The version the jar's manifest carries (set by the build). */
final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = Main.class.getPackage().getImplementationVersion();
        return new String[]{"http-profiler " + (version == null ? "(development build)" : version)};
    }
}
