package io.httpprofiler.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.Locale;

/** Sizes on the command line: plain bytes or with a k/m/g suffix (powers of 1024), read and written back the same way. */
final class ByteSize implements ITypeConverter<Long> {
    private static final long K = 1024;
    private static final long M = 1024 * K;
    private static final long G = 1024 * M;

    @Override
    public Long convert(String value) {
        String text = value.trim().toLowerCase(Locale.ROOT);
        if (text.endsWith("b")) {
            text = text.substring(0, text.length() - 1);
        }
        long unit = switch (text.isEmpty() ? ' ' : text.charAt(text.length() - 1)) {
            case 'k' -> K;
            case 'm' -> M;
            case 'g' -> G;
            default -> 1;
        };
        if (unit != 1) {
            text = text.substring(0, text.length() - 1);
        }
        try {
            return Math.multiplyExact(Long.parseLong(text), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new TypeConversionException("'" + value + "' is not a size (e.g. 65536, 64k, 16m)");
        }
    }

    /** The shortest exact form: 1g, 1500m, 64k, 1000. */
    static String format(long bytes) {
        if (bytes != 0 && bytes % G == 0) {
            return bytes / G + "g";
        }
        if (bytes != 0 && bytes % M == 0) {
            return bytes / M + "m";
        }
        if (bytes != 0 && bytes % K == 0) {
            return bytes / K + "k";
        }
        return Long.toString(bytes);
    }
}
