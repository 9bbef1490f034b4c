package dev.whittle.cli;

/** Small formatting helpers shared by the commands. */
final class Format {
    private Format() {
    }

    static String bytes(long n) {
        if (n < 0) {
            return "?";
        }
        if (n < 1024) {
            return n + " B";
        }
        if (n < 1024 * 1024) {
            return String.format("%.1f KiB", n / 1024.0);
        }
        return String.format("%.2f MiB", n / (1024.0 * 1024));
    }
}
