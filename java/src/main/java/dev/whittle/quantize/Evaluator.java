package dev.whittle.quantize;

import dev.whittle.InvalidInputException;
import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.tflite.TensorInfo;
import dev.whittle.tflite.TfliteInterpreter;
import dev.whittle.tflite.TfliteOptions;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Compares a candidate model with its reference on the same samples, both run by the TFLite
 * interpreter: how often the candidate's top-1 class equals the reference's (top-1
 * agreement), how often the reference's top-1 is among the candidate's top 5 (top-5
 * agreement), the SQNR of the candidate's output 0 against the reference's over all samples,
 * the largest relative L2 error of one sample, and accuracy when labels are given. For
 * outputs that are not one score vector (a segmentation map, say), agreement is counted per
 * element of the argmax over the last axis.
 *
 * <p>Each model gets each sample in its own input type: an image becomes raw bytes for a
 * UINT8 input (as TF's quantized MobileNets expect), the normalized floats for a float input,
 * and those floats quantized with the input's parameters for an INT8 input.
 */
public final class Evaluator {
    /** The comparison. {@code accuracy} and {@code referenceAccuracy} are null without labels. */
    public record Result(int samples, int positions, double top1Agreement, double top5Agreement, double sqnrDb,
                         double maxRelativeError, Double accuracy, Double referenceAccuracy) {
    }

    private Evaluator() {
    }

    /**
     * @param labels one class per sample, or null
     * @param inputShape the shape input 0 is fed with (null: each model's own)
     * @param xnnpack whether TFLite runs with its XNNPACK delegate
     */
    public static Result evaluate(Model candidate, Model reference, CalibrationData data, int[] labels, int[] inputShape,
                                  boolean xnnpack, Calibrator.Progress progress) {
        if (data.size() == 0) {
            throw new InvalidInputException("the evaluation data " + data.source() + " gave no samples");
        }
        if (labels != null && labels.length < data.size()) {
            throw new InvalidInputException("there are " + labels.length + " labels for " + data.size() + " samples");
        }
        TfliteOptions opts = TfliteOptions.defaults().threads(1).useXnnpack(xnnpack);
        long agree1 = 0;
        long agree5 = 0;
        long positionsTotal = 0;
        long correct = 0;
        long refCorrect = 0;
        double signal = 0;
        double noise = 0;
        double maxRel = 0;
        int positions = -1;
        try (TfliteInterpreter c = TfliteInterpreter.create(ModelWriter.toBytes(candidate), opts);
             TfliteInterpreter r = TfliteInterpreter.create(ModelWriter.toBytes(reference), opts)) {
            for (int s = 0; s < data.size(); s++) {
                Sample sample = data.samples().get(s);
                float[] ref = run(r, sample, inputShape);
                float[] cand = run(c, sample, inputShape);
                int[] shape = r.outputInfo(0).shape();
                if (ref.length != cand.length) {
                    throw new InvalidInputException("the candidate's output 0 has " + cand.length + " elements, the reference's "
                            + ref.length);
                }
                int classes = shape.length == 0 ? 1 : shape[shape.length - 1];
                positions = ref.length / Math.max(1, classes);
                double sSig = 0;
                double sNoise = 0;
                for (int i = 0; i < ref.length; i++) {
                    double d = ref[i] - cand[i];
                    sSig += (double) ref[i] * ref[i];
                    sNoise += d * d;
                }
                signal += sSig;
                noise += sNoise;
                maxRel = Math.max(maxRel, sSig == 0 ? (sNoise == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(sNoise / sSig));
                for (int p = 0; p < positions; p++) {
                    int off = p * classes;
                    int refTop = argmax(ref, off, classes);
                    int candTop = argmax(cand, off, classes);
                    agree1 += refTop == candTop ? 1 : 0;
                    agree5 += inTopK(cand, off, classes, refTop, 5) ? 1 : 0;
                    if (labels != null && positions == 1) {
                        correct += candTop == labels[s] ? 1 : 0;
                        refCorrect += refTop == labels[s] ? 1 : 0;
                    }
                }
                positionsTotal += positions;
                progress.update("evaluating", s + 1, data.size());
            }
        }
        Double acc = labels != null && positions == 1 ? (double) correct / data.size() : null;
        Double refAcc = labels != null && positions == 1 ? (double) refCorrect / data.size() : null;
        return new Result(data.size(), positions, (double) agree1 / positionsTotal, (double) agree5 / positionsTotal,
                Tensors.sqnr(signal, noise), maxRel, acc, refAcc);
    }

    private static float[] run(TfliteInterpreter tfl, Sample sample, int[] inputShape) {
        TensorInfo in = tfl.inputInfo(0);
        int[] shape = inputShape != null ? inputShape : in.shape();
        dev.whittle.model.Quantization q = null;
        if (in.quantization() != null) {
            q = dev.whittle.model.Quantization.perTensor(in.quantization().scales()[0], in.quantization().zeroPoints()[0]);
        }
        TensorData x = sample.toTensor(in.type(), shape, q);
        tfl.run(List.of(x));
        TensorData out = tfl.output(0);
        TensorInfo oi = tfl.outputInfo(0);
        dev.whittle.model.Quantization oq = oi.quantization() == null ? null
                : dev.whittle.model.Quantization.perTensor(oi.quantization().scales()[0], oi.quantization().zeroPoints()[0]);
        return Tensors.real(out, oq);
    }

    static int argmax(float[] v, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (v[off + i] > v[off + best]) {
                best = i;
            }
        }
        return best;
    }

    /** Whether {@code cls} is among the {@code k} largest (ties broken toward the lower index, as argmax does). */
    static boolean inTopK(float[] v, int off, int n, int cls, int k) {
        int higher = 0;
        float x = v[off + cls];
        for (int i = 0; i < n; i++) {
            if (v[off + i] > x || (v[off + i] == x && i < cls)) {
                higher++;
            }
        }
        return higher < k;
    }

    /**
     * Reads labels: an IDX label file (magic 0x00000801, as MNIST's), or text with one class
     * per line (the last whitespace-separated token of each non-empty line).
     */
    public static int[] readLabels(Path file) {
        byte[] b;
        try {
            b = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new InvalidInputException("cannot read labels " + file + ": " + e.getMessage(), e);
        }
        if (b.length >= 8 && b[0] == 0 && b[1] == 0 && b[2] == 0x08 && b[3] == 1) {
            int n = ByteBuffer.wrap(b).getInt(4);
            if (n < 0 || 8L + n > b.length) {
                throw new InvalidInputException(file + ": IDX label header says " + n + " labels but the file is shorter");
            }
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                out[i] = b[8 + i] & 0xFF;
            }
            return out;
        }
        List<Integer> out = new ArrayList<>();
        String[] lines = new String(b, StandardCharsets.UTF_8).split("\\R");
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i].trim();
            if (l.isEmpty()) {
                continue;
            }
            String[] tok = l.split("\\s+");
            try {
                out.add(Integer.parseInt(tok[tok.length - 1]));
            } catch (NumberFormatException e) {
                throw new InvalidInputException(file + ":" + (i + 1) + ": expected a class number at the end of the line, got '"
                        + l + "' (labels are one class index per sample, not class names)");
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    static String shape(int[] s) {
        return Arrays.toString(s);
    }
}
