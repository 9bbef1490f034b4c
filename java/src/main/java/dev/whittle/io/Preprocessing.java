package dev.whittle.io;

import dev.whittle.InvalidInputException;

import java.util.Arrays;

/**
 * How pixel values (0..255) become the floats a model was trained on:
 * {@code f = (pixel - mean[c]) / std[c]} per channel {@code c}. One value for mean and std
 * applies to every channel.
 *
 * <p>Used for FLOAT32 inputs, and for INT8 inputs with known quantization (the float is then
 * quantized). UINT8 image models take raw bytes and ignore it; see {@link ImageInput}.
 */
public final class Preprocessing {
    /** {@code (x - 127.5) / 127.5}, values in [-1, 1]: the float MobileNets and most TF Hub image models. */
    public static final Preprocessing MOBILENET = new Preprocessing("MOBILENET", new double[] {127.5}, new double[] {127.5});

    /** {@code x / 255}, values in [0, 1]. */
    public static final Preprocessing UNIT = new Preprocessing("UNIT", new double[] {0}, new double[] {255});

    /** {@code x}, values in [0, 255]. */
    public static final Preprocessing RAW = new Preprocessing("RAW", new double[] {0}, new double[] {1});

    /**
     * The torchvision ImageNet normalization expressed on 0..255 pixels: mean
     * (0.485, 0.456, 0.406)·255, std (0.229, 0.224, 0.225)·255, RGB order.
     */
    public static final Preprocessing IMAGENET = new Preprocessing("IMAGENET",
            new double[] {0.485 * 255, 0.456 * 255, 0.406 * 255}, new double[] {0.229 * 255, 0.224 * 255, 0.225 * 255});

    private final String name;
    private final double[] mean;
    private final double[] std;

    private Preprocessing(String name, double[] mean, double[] std) {
        if (mean.length == 0 || mean.length != std.length) {
            throw new InvalidInputException("preprocessing needs as many std values as mean values (at least one), got "
                    + mean.length + " and " + std.length);
        }
        for (int i = 0; i < mean.length; i++) {
            if (!Double.isFinite(mean[i]) || !Double.isFinite(std[i]) || std[i] == 0) {
                throw new InvalidInputException("preprocessing mean must be finite and std finite and non-zero, got mean "
                        + Arrays.toString(mean) + " std " + Arrays.toString(std));
            }
        }
        this.name = name;
        this.mean = mean.clone();
        this.std = std.clone();
    }

    /** {@code (x - mean) / std} on every channel. */
    public static Preprocessing of(double mean, double std) {
        return new Preprocessing(null, new double[] {mean}, new double[] {std});
    }

    /**
     * Per-channel mean and std (RGB order); arrays of length 1 apply to every channel.
     *
     * @throws InvalidInputException if the lengths differ or a std is 0 or not finite
     */
    public static Preprocessing perChannel(double[] mean, double[] std) {
        return new Preprocessing(null, mean, std);
    }

    /** Looks up a preset by name, case-insensitively (for command-line options). */
    public static Preprocessing preset(String name) {
        for (Preprocessing p : new Preprocessing[] {MOBILENET, UNIT, RAW, IMAGENET}) {
            if (p.name.equalsIgnoreCase(name)) {
                return p;
            }
        }
        throw new InvalidInputException("unknown preprocessing '" + name + "' (known: mobilenet, unit, raw, imagenet)");
    }

    /** Number of per-channel values: 1 (all channels alike) or the channel count it was made for. */
    public int channels() {
        return mean.length;
    }

    public double mean(int channel) {
        return mean[mean.length == 1 ? 0 : channel];
    }

    public double std(int channel) {
        return std[std.length == 1 ? 0 : channel];
    }

    /** The float fed to the model for {@code pixel} in {@code channel}. */
    public double apply(double pixel, int channel) {
        return (pixel - mean(channel)) / std(channel);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Preprocessing p && Arrays.equals(p.mean, mean) && Arrays.equals(p.std, std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        String formula = "(x - " + (mean.length == 1 ? mean[0] : Arrays.toString(mean)) + ") / "
                + (std.length == 1 ? std[0] : Arrays.toString(std));
        return name == null ? formula : name + " " + formula;
    }
}
