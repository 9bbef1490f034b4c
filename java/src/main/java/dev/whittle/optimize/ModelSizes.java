package dev.whittle.optimize;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.zip.GZIPOutputStream;

/**
 * Raw and gzip-compressed sizes of a model file: the measure of the seeds' "N x smaller"
 * claims, since pruned and clustered weights only shrink once compressed (the file stays dense).
 *
 * @param raw  bytes
 * @param gzip bytes after gzip at the default level (6)
 */
public record ModelSizes(long raw, long gzip) {
    public static ModelSizes of(byte[] file) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream(file.length / 2 + 64);
        try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ModelSizes(file.length, bos.size());
    }

    /** {@code reference.gzip / this.gzip}: how many times smaller compressed. */
    public double gzipRatioTo(ModelSizes reference) {
        return (double) reference.gzip / gzip;
    }

    public double rawRatioTo(ModelSizes reference) {
        return (double) reference.raw / raw;
    }
}
