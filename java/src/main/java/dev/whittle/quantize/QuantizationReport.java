package dev.whittle.quantize;

import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPOutputStream;

/**
 * What a quantization run produced: per-layer weight SQNR (float weights against their
 * dequantized values) and activation SQNR (each layer's output in the float model against
 * the dequantized output of the quantized model, both run by TFLite's builtin kernels on the
 * same calibration samples), the model's output SQNR, sizes before and after (raw and
 * gzip-compressed) and the operators left float.
 */
public final class QuantizationReport {
    /** One row per operator of the float model that was quantized or left float. */
    public record Row(int operator, String op, String output, String scheme, double weightSqnrDb, double activationSqnrDb) {
    }

    private final String mode;
    private final String method;
    private final int calibrationSamples;
    private final int reportSamples;
    private final String backend;
    private final long floatBytes;
    private final long floatGzip;
    private final long quantBytes;
    private final long quantGzip;
    private final List<Row> rows;
    private final List<String> leftFloat;
    private final double outputSqnrDb;

    private QuantizationReport(String mode, String method, int calibrationSamples, int reportSamples, String backend,
                               long floatBytes, long floatGzip, long quantBytes, long quantGzip, List<Row> rows,
                               List<String> leftFloat, double outputSqnrDb) {
        this.mode = mode;
        this.method = method;
        this.calibrationSamples = calibrationSamples;
        this.reportSamples = reportSamples;
        this.backend = backend;
        this.floatBytes = floatBytes;
        this.floatGzip = floatGzip;
        this.quantBytes = quantBytes;
        this.quantGzip = quantGzip;
        this.rows = List.copyOf(rows);
        this.leftFloat = List.copyOf(leftFloat);
        this.outputSqnrDb = outputSqnrDb;
    }

    /**
     * Builds the report.
     *
     * @param data samples the activations are compared on (the first {@code maxSamples} of them)
     * @param inputShape the shape input 0 is fed with
     * @param backend the engine calibration ran on (null when there was no calibration)
     */
    public static QuantizationReport build(Model floatModel, byte[] floatFile, QuantizeOptions options, Quantizer.Result result,
                                           byte[] quantFile, CalibrationData data, int[] inputShape, int maxSamples,
                                           String backend, int calibrationSamples) {
        int n = data == null ? 0 : Math.min(maxSamples, data.size());
        double[] signal = new double[floatModel.mainGraph().tensorCount()];
        double[] noise = new double[signal.length];
        boolean[] seen = new boolean[signal.length];
        int out0 = floatModel.mainGraph().outputs()[0];
        if (n > 0) {
            Model q = result.model();
            Tensor fin = floatModel.mainGraph().tensor(floatModel.mainGraph().inputs()[0]);
            Tensor qin = q.mainGraph().tensor(q.mainGraph().inputs()[0]);
            java.util.Set<Integer> tensors = new java.util.LinkedHashSet<>();
            result.layers().forEach(l -> tensors.add(l.outputTensor()));
            tensors.add(out0);
            try (GraphRunner fr = GraphRunner.open(floatModel, inputShape, false);
                 GraphRunner qr = GraphRunner.open(q, inputShape, false)) {
                for (int s = 0; s < n; s++) {
                    Sample sample = data.samples().get(s);
                    fr.run(sample.toTensor(fin.type(), inputShape, fin.quantization()));
                    qr.run(sample.toTensor(qin.type(), inputShape, qin.quantization()));
                    for (int t : tensors) {
                        if (t < 0) {
                            continue;
                        }
                        int c = result.carriers()[t];
                        TensorData fv = fr.tensor(t);
                        TensorData qv = c < 0 ? null : qr.tensor(c);
                        if (fv == null || qv == null || fv.elementCount() != qv.elementCount()) {
                            continue;
                        }
                        float[] a = Tensors.floats(fv);
                        float[] b = Tensors.real(qv, q.mainGraph().tensor(c).quantization());
                        for (int i = 0; i < a.length; i++) {
                            signal[t] += (double) a[i] * a[i];
                            noise[t] += (double) (a[i] - b[i]) * (a[i] - b[i]);
                        }
                        seen[t] = true;
                    }
                }
            }
        }
        List<Row> rows = new ArrayList<>();
        for (Quantizer.Layer l : result.layers()) {
            int t = l.outputTensor();
            double act = t >= 0 && seen[t] ? Tensors.sqnr(signal[t], noise[t]) : Double.NaN;
            rows.add(new Row(l.operator(), l.op(), l.output(), l.scheme(), l.weightSqnrDb(), act));
        }
        double outSqnr = seen[out0] ? Tensors.sqnr(signal[out0], noise[out0]) : Double.NaN;
        return new QuantizationReport(options.mode().cliName(), options.mode().needsCalibration() ? options.method().cliName() : null,
                calibrationSamples, n, backend, floatFile.length, gzipSize(floatFile), quantFile.length, gzipSize(quantFile),
                rows, result.leftFloat(), outSqnr);
    }

    static long gzipSize(byte[] b) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.size();
    }

    public List<Row> rows() {
        return rows;
    }

    public List<String> leftFloat() {
        return leftFloat;
    }

    public long floatBytes() {
        return floatBytes;
    }

    public long floatGzipBytes() {
        return floatGzip;
    }

    public long quantizedBytes() {
        return quantBytes;
    }

    public long quantizedGzipBytes() {
        return quantGzip;
    }

    /** SQNR of output 0 against the float model on the report's samples (NaN without samples). */
    public double outputSqnrDb() {
        return outputSqnrDb;
    }

    /** The report as text lines, for the terminal. */
    public String toText() {
        StringBuilder sb = new StringBuilder();
        sb.append("mode        ").append(mode);
        if (method != null) {
            sb.append(", ranges ").append(method).append(" from ").append(calibrationSamples).append(" samples");
            if (backend != null) {
                sb.append(" (float model run by ").append(backend).append(")");
            }
        }
        sb.append('\n');
        sb.append(String.format(Locale.ROOT, "size        %,d -> %,d bytes (%.1f%%); gzip %,d -> %,d bytes (%.1f%%)%n",
                floatBytes, quantBytes, 100.0 * quantBytes / floatBytes, floatGzip, quantGzip, 100.0 * quantGzip / floatGzip));
        if (reportSamples > 0) {
            sb.append(String.format(Locale.ROOT, "output      SQNR %s dB vs the float model on %d calibration sample(s)%n",
                    db(outputSqnrDb), reportSamples));
        }
        sb.append(String.format(Locale.ROOT, "layers      %-4s %-20s %9s %9s  %s%n", "op#", "operator", "weight dB", "act dB", "scheme / output"));
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, "            %-4d %-20s %9s %9s  %s  %s%n", r.operator(), r.op(),
                    db(r.weightSqnrDb()), db(r.activationSqnrDb()), r.scheme(), r.output()));
        }
        if (leftFloat.isEmpty()) {
            sb.append("left float  none\n");
        } else {
            sb.append("left float  ").append(leftFloat.size()).append(" operator(s)\n");
            leftFloat.forEach(s -> sb.append("            ").append(s).append('\n'));
        }
        return sb.toString();
    }

    static String db(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "exact" : "-inf";
        }
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
