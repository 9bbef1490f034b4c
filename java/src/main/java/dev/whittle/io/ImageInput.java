package dev.whittle.io;

import dev.whittle.InvalidInputException;
import dev.whittle.TensorData;
import dev.whittle.model.TensorType;

import javax.imageio.ImageIO;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;

/**
 * Turns an image file (BMP, JPEG, PNG, decoded by {@code javax.imageio}) into a model input
 * tensor of shape {@code [1, H, W, C]} (NHWC, C = 1 for grayscale or 3 for RGB).
 *
 * <p>The steps, in order, all deterministic:
 * <ol>
 *   <li><b>Decode</b> to 8-bit sRGB pixels ({@link #pixels}). Alpha is ignored (not composited).
 *       Grayscale files are read from their samples directly, because Java's gray color space
 *       is linear and {@code BufferedImage.getRGB} would apply a gamma curve to them.
 *   <li><b>Grayscale</b> (C = 1): luminance with the ITU-R BT.601 weights,
 *       {@code Y = round(0.299 R + 0.587 G + 0.114 B)}, computed per source pixel before
 *       resizing; rounding keeps a gray pixel (R = G = B) exactly at its value.
 *   <li><b>Resize</b> to H×W with bilinear interpolation on half-pixel centers, without
 *       antialiasing: the method of TensorFlow's {@code tf.image.resize(..., 'bilinear',
 *       antialias=False)} and of TFLite's {@code RESIZE_BILINEAR} with
 *       {@code half_pixel_centers=true}. See {@link #resizeBilinear}.
 *   <li><b>Convert</b> to the input's type:
 *     <ul>
 *       <li>FLOAT32: {@code (pixel - mean) / std} per channel from the {@link Preprocessing}
 *           (default {@link Preprocessing#MOBILENET}, [-1, 1]).
 *       <li>UINT8: the pixel rounded to the nearest integer. uint8 image models (the quantized
 *           MobileNets) take raw bytes: their input quantization maps 0..255 onto the range
 *           they were trained on, so the preprocessing and any quantization given are not
 *           applied.
 *       <li>INT8 with quantization (scale, zero point): the float from the preprocessing,
 *           quantized as TFLite does, {@code q = clamp(round(f / scale) + zp, -128, 127)} with
 *           round half away from zero. Without quantization: {@code pixel - 128}.
 *       <li>Other types: {@link InvalidInputException}.
 *     </ul>
 * </ol>
 */
public final class ImageInput {
    private static final Set<String> EXTENSIONS = Set.of("bmp", "jpg", "jpeg", "png");

    /** ITU-R BT.601 luma weights, the ones PIL's {@code convert('L')} and OpenCV use too. */
    private static final double LUMA_R = 0.299;
    private static final double LUMA_G = 0.587;
    private static final double LUMA_B = 0.114;

    private ImageInput() {
    }

    /** Whether the file name ends in .bmp, .jpg, .jpeg or .png (any case). */
    public static boolean isImageFile(Path file) {
        Path name = file.getFileName();
        if (name == null) {
            return false;
        }
        String s = name.toString();
        int dot = s.lastIndexOf('.');
        return dot >= 0 && EXTENSIONS.contains(s.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /**
     * Decodes an image file.
     *
     * @throws InvalidInputException if the file is missing or is not an image ImageIO can decode;
     *     the message names the file
     */
    public static BufferedImage read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidInputException(file + ": no such image file");
        }
        BufferedImage image;
        try {
            image = ImageIO.read(file.toFile());
        } catch (IOException e) {
            throw new InvalidInputException(file + ": cannot decode image: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            // The JDK's decoders throw unchecked exceptions (IllegalArgumentException,
            // ArrayIndexOutOfBoundsException, ...) on some corrupt files; callers should see one type.
            throw new InvalidInputException(file + ": cannot decode image: " + e, e);
        }
        if (image == null) {
            throw new InvalidInputException(file + ": not a BMP, JPEG or PNG image (no decoder recognises it)");
        }
        return image;
    }

    /**
     * Loads an image into a tensor of {@code type} and {@code shape} [1, H, W, C] with the
     * default {@link Preprocessing#MOBILENET} for float inputs.
     */
    public static TensorData load(Path image, TensorType type, int[] shape) {
        return load(image, type, shape, Preprocessing.MOBILENET);
    }

    /**
     * Loads an image into a tensor of {@code type} (FLOAT32, UINT8 or INT8) and {@code shape}
     * [1, H, W, C]; INT8 becomes {@code pixel - 128}. See the class comment for each step.
     *
     * @param preprocessing for FLOAT32; null means {@link Preprocessing#MOBILENET}
     * @throws InvalidInputException for an unreadable image, a shape that is not [1, H, W, 1|3],
     *     or a type an image cannot feed
     */
    public static TensorData load(Path image, TensorType type, int[] shape, Preprocessing preprocessing) {
        Target target = Target.of(type, shape, preprocessing, Double.NaN, 0, image.toString());
        return target.convert(read(image));
    }

    /**
     * Loads an image into a quantized input with the given scale and zero point. INT8 quantizes
     * the preprocessed float; UINT8 keeps raw pixels (see the class comment); FLOAT32 ignores
     * the quantization.
     *
     * @throws InvalidInputException as {@link #load(Path, TensorType, int[], Preprocessing)}, or
     *     for a scale that is not positive and finite or a zero point outside the type's range
     */
    public static TensorData load(Path image, TensorType type, int[] shape, Preprocessing preprocessing,
                                  double scale, long zeroPoint) {
        Target target = Target.of(type, shape, preprocessing, scale, zeroPoint, image.toString());
        return target.convert(read(image));
    }

    /** As {@link #load(Path, TensorType, int[], Preprocessing)} for an image already decoded. */
    public static TensorData fromImage(BufferedImage image, TensorType type, int[] shape, Preprocessing preprocessing) {
        return Target.of(type, shape, preprocessing, Double.NaN, 0, "image").convert(image);
    }

    /** As {@link #load(Path, TensorType, int[], Preprocessing, double, long)} for an image already decoded. */
    public static TensorData fromImage(BufferedImage image, TensorType type, int[] shape, Preprocessing preprocessing,
                                       double scale, long zeroPoint) {
        return Target.of(type, shape, preprocessing, scale, zeroPoint, "image").convert(image);
    }

    /**
     * The image's pixels as 0..255 values, row-major HWC with {@code channels} 3 (RGB) or 1
     * (BT.601 luminance, rounded).
     */
    public static float[] pixels(BufferedImage image, int channels) {
        if (channels != 1 && channels != 3) {
            throw new InvalidInputException("images have 1 or 3 channels, not " + channels);
        }
        int w = image.getWidth();
        int h = image.getHeight();
        float[] out = new float[Math.multiplyExact(Math.multiplyExact(w, h), channels)];
        ColorModel cm = image.getColorModel();
        if (cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY && !(cm instanceof IndexColorModel)) {
            // Read gray samples as stored: getRGB would convert from Java's linear gray space.
            Raster raster = image.getRaster();
            int bits = cm.getComponentSize(0);
            double max = (1L << bits) - 1;
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    float v = bits == 8 ? row[x] : (float) Math.rint(row[x] * 255.0 / max);
                    int o = (y * w + x) * channels;
                    for (int c = 0; c < channels; c++) {
                        out[o + c] = v;
                    }
                }
            }
            return out;
        }
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int argb = row[x];
                int r = (argb >>> 16) & 0xFF;
                int g = (argb >>> 8) & 0xFF;
                int b = argb & 0xFF;
                int o = (y * w + x) * channels;
                if (channels == 3) {
                    out[o] = r;
                    out[o + 1] = g;
                    out[o + 2] = b;
                } else {
                    out[o] = (float) Math.rint(LUMA_R * r + LUMA_G * g + LUMA_B * b);
                }
            }
        }
        return out;
    }

    /**
     * Bilinear resize of row-major HWC data, half-pixel centers, no antialiasing.
     *
     * <p>Output pixel {@code x} samples the source at {@code sx = (x + 0.5) * srcW / dstW - 0.5},
     * clamped to {@code [0, srcW - 1]}; with {@code x0 = floor(sx)}, {@code x1 = min(x0 + 1,
     * srcW - 1)} and {@code fx = sx - x0} (likewise for rows), the value is
     * {@code top + (bottom - top) * fy} where {@code top = p(y0,x0) + (p(y0,x1) - p(y0,x0)) * fx}
     * and {@code bottom} likewise on row {@code y1}; computed in double, stored as float. Equal
     * sizes reproduce the input exactly. Clamping at the edges gives the same values as TF's
     * kernel, which clamps the two neighbours instead.
     */
    public static float[] resizeBilinear(float[] src, int srcH, int srcW, int channels, int dstH, int dstW) {
        if (srcH <= 0 || srcW <= 0 || dstH <= 0 || dstW <= 0 || channels <= 0) {
            throw new InvalidInputException("resize needs positive sizes, got " + srcH + "x" + srcW + "x" + channels
                    + " to " + dstH + "x" + dstW);
        }
        if ((long) srcH * srcW * channels != src.length) {
            throw new InvalidInputException("resize source has " + src.length + " values, not " + srcH + "x" + srcW
                    + "x" + channels);
        }
        Axis ys = Axis.of(srcH, dstH);
        Axis xs = Axis.of(srcW, dstW);
        float[] out = new float[Math.multiplyExact(Math.multiplyExact(dstH, dstW), channels)];
        int rowStride = srcW * channels;
        for (int y = 0; y < dstH; y++) {
            int r0 = ys.i0[y] * rowStride;
            int r1 = ys.i1[y] * rowStride;
            double fy = ys.f[y];
            for (int x = 0; x < dstW; x++) {
                int c0 = xs.i0[x] * channels;
                int c1 = xs.i1[x] * channels;
                double fx = xs.f[x];
                int o = (y * dstW + x) * channels;
                for (int c = 0; c < channels; c++) {
                    double tl = src[r0 + c0 + c];
                    double tr = src[r0 + c1 + c];
                    double bl = src[r1 + c0 + c];
                    double br = src[r1 + c1 + c];
                    double top = tl + (tr - tl) * fx;
                    double bottom = bl + (br - bl) * fx;
                    out[o + c] = (float) (top + (bottom - top) * fy);
                }
            }
        }
        return out;
    }

    /** Source neighbours and weights along one axis, computed once per output row/column. */
    private record Axis(int[] i0, int[] i1, double[] f) {
        static Axis of(int in, int out) {
            int[] i0 = new int[out];
            int[] i1 = new int[out];
            double[] f = new double[out];
            double scale = (double) in / out;
            for (int i = 0; i < out; i++) {
                double s = Math.min(Math.max((i + 0.5) * scale - 0.5, 0), in - 1);
                int lo = (int) Math.floor(s);
                i0[i] = lo;
                i1[i] = Math.min(lo + 1, in - 1);
                f[i] = s - lo;
            }
            return new Axis(i0, i1, f);
        }
    }

    /** Round half away from zero, as TFLite's quantize kernels (std::round) do. */
    private static long roundHalfAway(double v) {
        return (long) (v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5));
    }

    /** A validated destination: checked before the image is decoded, so bad options fail fast. */
    private record Target(TensorType type, int height, int width, int channels, Preprocessing preprocessing,
                          double scale, long zeroPoint, String source) {
        static Target of(TensorType type, int[] shape, Preprocessing preprocessing, double scale, long zeroPoint,
                         String source) {
            if (shape == null || shape.length != 4) {
                throw new InvalidInputException(source + ": image input needs an NHWC shape [1, H, W, C], got "
                        + (shape == null ? "none" : Arrays.toString(shape)));
            }
            if (shape[0] != 1) {
                throw new InvalidInputException(source + ": one image fills a batch of 1, but the shape is "
                        + Arrays.toString(shape));
            }
            if (shape[1] <= 0 || shape[2] <= 0) {
                throw new InvalidInputException(source + ": image height and width must be positive, shape "
                        + Arrays.toString(shape));
            }
            if (shape[3] != 1 && shape[3] != 3) {
                throw new InvalidInputException(source + ": image input needs 1 (grayscale) or 3 (RGB) channels, shape "
                        + Arrays.toString(shape) + " has " + shape[3]);
            }
            if ((long) shape[1] * shape[2] * shape[3] * 4 > Integer.MAX_VALUE - 8) {
                throw new InvalidInputException(source + ": image input shape " + Arrays.toString(shape) + " is too large");
            }
            if (type != TensorType.FLOAT32 && type != TensorType.UINT8 && type != TensorType.INT8) {
                throw new InvalidInputException(source + ": image input cannot feed a " + type
                        + " tensor (supported: FLOAT32, UINT8, INT8)");
            }
            Preprocessing p = preprocessing == null ? Preprocessing.MOBILENET : preprocessing;
            if (p.channels() != 1 && p.channels() != shape[3]) {
                throw new InvalidInputException(source + ": preprocessing " + p + " has " + p.channels()
                        + " channel values but the input has " + shape[3] + " channel(s)");
            }
            if (!Double.isNaN(scale)) {
                if (!(scale > 0) || Double.isInfinite(scale)) {
                    throw new InvalidInputException(source + ": quantization scale must be positive and finite, got " + scale);
                }
                long lo = type == TensorType.INT8 ? -128 : 0;
                long hi = type == TensorType.INT8 ? 127 : 255;
                if (type != TensorType.FLOAT32 && (zeroPoint < lo || zeroPoint > hi)) {
                    throw new InvalidInputException(source + ": zero point " + zeroPoint + " is outside the " + type
                            + " range [" + lo + ", " + hi + "]");
                }
            }
            return new Target(type, shape[1], shape[2], shape[3], p, scale, zeroPoint, source);
        }

        TensorData convert(BufferedImage image) {
            float[] px = pixels(image, channels);
            float[] v = resizeBilinear(px, image.getHeight(), image.getWidth(), channels, height, width);
            int[] shape = {1, height, width, channels};
            ByteBuffer buf = ByteBuffer.allocate(v.length * (type == TensorType.FLOAT32 ? 4 : 1))
                    .order(ByteOrder.LITTLE_ENDIAN);
            boolean quantized = !Double.isNaN(scale);
            for (int i = 0; i < v.length; i++) {
                int c = i % channels;
                switch (type) {
                    case FLOAT32 -> buf.putFloat((float) preprocessing.apply(v[i], c));
                    case UINT8 -> buf.put((byte) clamp(roundHalfAway(v[i]), 0, 255));
                    case INT8 -> {
                        long q = quantized
                                ? roundHalfAway(preprocessing.apply(v[i], c) / scale) + zeroPoint
                                : clamp(roundHalfAway(v[i]), 0, 255) - 128;
                        buf.put((byte) clamp(q, -128, 127));
                    }
                    default -> throw new AssertionError(type); // rejected in of()
                }
            }
            buf.flip();
            return new TensorData(type, shape, buf);
        }

        private static long clamp(long v, long lo, long hi) {
            return Math.min(Math.max(v, lo), hi);
        }
    }
}
