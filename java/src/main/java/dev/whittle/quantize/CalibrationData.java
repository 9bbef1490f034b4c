package dev.whittle.quantize;

import dev.whittle.InvalidInputException;
import dev.whittle.TensorData;
import dev.whittle.io.ImageInput;
import dev.whittle.io.Npy;
import dev.whittle.io.Preprocessing;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;

import java.awt.geom.AffineTransform;
import java.awt.image.AffineTransformOp;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Samples for calibration (and evaluation), from one of:
 * <ul>
 *   <li>a folder: every image (BMP, JPEG, PNG), {@code .npy} and IDX file in it, in name order;</li>
 *   <li>a file, or several separated by commas: an image, a {@code .npy} file (one sample, or
 *       N samples stacked along the first axis), or an MNIST-style IDX image file
 *       ({@code idx3-ubyte}, uint8 pixels, scaled with the preprocessing, {@code x / 255} by default);</li>
 *   <li>{@code random}: uniform values in [-1, 1] from the seed; allowed, with a warning,
 *       because ranges from noise rarely match real inputs.</li>
 * </ul>
 * Images feeding a float input need to know how pixels were normalized in training
 * ({@link Options#preprocessing()}); there is no reliable way to guess it, so a missing one
 * is an error that says which option to pass.
 */
public final class CalibrationData {
    /** How samples are read. */
    public record Options(Preprocessing preprocessing, int samples, long seed, boolean augment) {
        /** No preprocessing, all samples, seed 0, no augmentation. */
        public static Options defaults() {
            return new Options(null, 0, 0, false);
        }

        public Options {
            if (samples < 0) {
                throw new InvalidInputException("--samples must be at least 1, got " + samples);
            }
        }

        public Options withPreprocessing(Preprocessing p) {
            return new Options(p, samples, seed, augment);
        }

        /** At most {@code n} samples ({@code n >= 1}). */
        public Options withSamples(int n) {
            if (n < 1) {
                throw new InvalidInputException("--samples must be at least 1, got " + n);
            }
            return new Options(preprocessing, n, seed, augment);
        }

        public Options withSeed(long s) {
            return new Options(preprocessing, samples, s, augment);
        }

        /** Adds, for every image, its mirror image and four crops (centre 80% and 70%, corners 80%), each mirrored or not. */
        public Options withAugment(boolean a) {
            return new Options(preprocessing, samples, seed, a);
        }
    }

    /** Samples drawn from {@code random} when no count is given. */
    public static final int DEFAULT_RANDOM_SAMPLES = 16;

    private final String source;
    private final List<Sample> samples;
    private final List<String> warnings;

    private CalibrationData(String source, List<Sample> samples, List<String> warnings) {
        this.source = source;
        this.samples = List.copyOf(samples);
        this.warnings = List.copyOf(warnings);
    }

    /**
     * Opens {@code source} for an input of {@code inputShape} (needed to split stacked
     * {@code .npy} arrays).
     *
     * @throws InvalidInputException when the source does not exist, cannot be read, holds no
     *     usable sample, or a file does not match the input's size
     */
    public static CalibrationData open(String source, int[] inputShape, Options options) {
        if (source == null || source.isBlank()) {
            throw new InvalidInputException("no calibration source given (a folder, image, .npy or IDX file, or 'random')");
        }
        List<String> warnings = new ArrayList<>();
        List<Sample> out = new ArrayList<>();
        if (source.equals("random")) {
            int n = options.samples() > 0 ? options.samples() : DEFAULT_RANDOM_SAMPLES;
            warnings.add("calibrating on random values in [-1, 1] (" + n + " samples, seed " + options.seed()
                    + "): activation ranges will not match real inputs, so accuracy may suffer; pass real data");
            for (int i = 0; i < n; i++) {
                out.add(new RandomSample(options.seed(), i));
            }
            return new CalibrationData(source, out, warnings);
        }
        long inputElements = Tensors.elements(inputShape);
        for (String part : source.split(",")) {
            Path p = Path.of(part.trim());
            if (Files.isDirectory(p)) {
                List<Path> files;
                try (Stream<Path> s = Files.list(p)) {
                    files = s.filter(Files::isRegularFile).sorted().toList();
                } catch (AccessDeniedException e) {
                    throw new InvalidInputException("cannot read calibration folder " + p + ": permission denied", e);
                } catch (IOException | RuntimeException e) {
                    throw new InvalidInputException("cannot read calibration folder " + p + ": " + e.getMessage(), e);
                }
                int before = out.size();
                for (Path f : files) {
                    if (ImageInput.isImageFile(f) || f.toString().endsWith(".npy") || isIdx(f)) {
                        addFile(f, inputElements, options, out);
                    }
                }
                if (out.size() == before) {
                    throw new InvalidInputException("calibration folder " + p
                            + " holds no image (.bmp/.jpg/.jpeg/.png), .npy or IDX file");
                }
            } else if (Files.isRegularFile(p)) {
                if (!Files.isReadable(p)) {
                    throw new InvalidInputException("cannot read calibration file " + p + ": permission denied");
                }
                addFile(p, inputElements, options, out);
            } else {
                throw new InvalidInputException("calibration source " + p + " does not exist (expected a folder, an image, "
                        + "a .npy or IDX file, a comma-separated list of them, or 'random')");
            }
        }
        if (options.augment()) {
            List<Sample> augmented = new ArrayList<>();
            for (Sample s : out) {
                if (s instanceof ImageSample img) {
                    augmented.addAll(img.variants());
                } else {
                    augmented.add(s);
                }
            }
            out = augmented;
        }
        if (options.samples() > 0 && out.size() > options.samples()) {
            out = new ArrayList<>(out.subList(0, options.samples()));
        }
        return new CalibrationData(source, out, warnings);
    }

    private static boolean isIdx(Path f) {
        String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.contains("idx3");
    }

    private static void addFile(Path f, long inputElements, Options options, List<Sample> out) {
        String name = f.getFileName().toString().toLowerCase(Locale.ROOT);
        if (ImageInput.isImageFile(f)) {
            out.add(new ImageSample(f.getFileName().toString(), ImageInput.read(f), options.preprocessing()));
        } else if (name.endsWith(".npy")) {
            TensorData t = Npy.read(f);
            long n = t.elementCount();
            if (n == inputElements) {
                out.add(new ArraySample(f.getFileName().toString(), t, 0, inputElements));
            } else if (t.rank() >= 1 && t.shape()[0] > 0 && n == (long) t.shape()[0] * inputElements) {
                for (int i = 0; i < t.shape()[0]; i++) {
                    out.add(new ArraySample(f.getFileName() + "[" + i + "]", t, i * inputElements, inputElements));
                }
            } else {
                throw new InvalidInputException(f + ": shape " + Arrays.toString(t.shape()) + " holds neither one sample nor "
                        + "N stacked samples of " + inputElements + " elements each (the model input)");
            }
        } else if (isIdx(f)) {
            readIdx(f, inputElements, options, out);
        } else {
            throw new InvalidInputException(f + ": not an image, .npy or IDX image file");
        }
    }

    /** IDX (MNIST) image files: magic 0x00000803 (uint8, 3 dimensions), big-endian sizes, pixels. */
    private static void readIdx(Path f, long inputElements, Options options, List<Sample> out) {
        byte[] b;
        try (InputStream in = Files.newInputStream(f)) {
            b = in.readAllBytes();
        } catch (IOException e) {
            throw new InvalidInputException("cannot read " + f + ": " + e.getMessage(), e);
        }
        if (b.length < 16 || b[0] != 0 || b[1] != 0 || b[2] != 0x08 || b[3] < 2) {
            throw new InvalidInputException(f + ": not an IDX file of uint8 images (magic 0x0000080N, N >= 2)");
        }
        int dims = b[3];
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b);
        int count = bb.getInt(4);
        long per = 1;
        for (int d = 1; d < dims; d++) {
            per *= bb.getInt(4 + 4 * d);
        }
        int header = 4 + 4 * dims;
        if (count < 0 || per <= 0 || header + count * per > b.length) {
            throw new InvalidInputException(f + ": IDX header says " + count + " items of " + per
                    + " bytes, but the file has " + (b.length - header) + " bytes of data");
        }
        if (per != inputElements) {
            throw new InvalidInputException(f + ": IDX items have " + per + " pixels, the model input has "
                    + inputElements + " elements");
        }
        Preprocessing p = options.preprocessing() == null ? Preprocessing.UNIT : options.preprocessing();
        int limit = options.samples() > 0 ? Math.min(count, options.samples()) : count;
        for (int i = 0; i < limit; i++) {
            float[] v = new float[(int) per];
            for (int k = 0; k < per; k++) {
                v[k] = (float) p.apply(b[(int) (header + i * per + k)] & 0xFF, 0);
            }
            out.add(new FloatSample(f.getFileName() + "[" + i + "]", v));
        }
    }

    public String source() {
        return source;
    }

    public List<Sample> samples() {
        return samples;
    }

    public int size() {
        return samples.size();
    }

    /** Things the user should know (e.g. calibration on random data). */
    public List<String> warnings() {
        return warnings;
    }

    /** Real values: reshaped to the input (same element count), quantized for integer inputs. */
    private record FloatSample(String name, float[] values) implements Sample {
        @Override
        public TensorData toTensor(TensorType type, int[] shape, Quantization q) {
            checkSize(name, values.length, shape);
            return Tensors.encode(values, type, shape, q, name);
        }
    }

    /** A slice of an array read from .npy; integer arrays of the input's own type are fed unchanged. */
    private record ArraySample(String name, TensorData array, long offset, long count) implements Sample {
        @Override
        public TensorData toTensor(TensorType type, int[] shape, Quantization q) {
            checkSize(name, count, shape);
            if (array.type() == type) {
                int bytes = type.byteSize();
                java.nio.ByteBuffer src = array.data();
                java.nio.ByteBuffer dst = java.nio.ByteBuffer.allocate((int) (count * bytes));
                dst.put(0, src, (int) (offset * bytes), (int) (count * bytes));
                return new TensorData(type, shape, dst);
            }
            float[] v = new float[(int) count];
            for (int i = 0; i < count; i++) {
                v[i] = (float) array.getDouble(offset + i);
            }
            return Tensors.encode(v, type, shape, q, name);
        }
    }

    private record RandomSample(long seed, int index) implements Sample {
        @Override
        public String name() {
            return "random[" + index + "]";
        }

        @Override
        public TensorData toTensor(TensorType type, int[] shape, Quantization q) {
            Random r = new Random(seed * 1_000_003L + index);
            float[] v = new float[Math.toIntExact(Tensors.elements(shape))];
            for (int i = 0; i < v.length; i++) {
                v[i] = r.nextFloat() * 2 - 1;
            }
            return Tensors.encode(v, type, shape, q, name());
        }
    }

    /** A decoded image; resized to the input when it becomes a tensor. */
    record ImageSample(String name, BufferedImage image, Preprocessing preprocessing) implements Sample {
        @Override
        public TensorData toTensor(TensorType type, int[] shape, Quantization q) {
            if (type == TensorType.UINT8) {
                return ImageInput.fromImage(image, type, shape, Preprocessing.RAW);
            }
            if (preprocessing == null) {
                throw new InvalidInputException(name + ": cannot tell how to normalize images for the " + type + " input "
                        + Arrays.toString(shape) + ": pass --mean/--std (e.g. --mean 127.5 --std 127.5) or --preset "
                        + "(mobilenet, unit, raw, imagenet)");
            }
            if (type == TensorType.INT8) {
                if (q == null || !q.isAffine()) {
                    throw new InvalidInputException(name + ": the INT8 input has no quantization parameters");
                }
                return ImageInput.fromImage(image, type, shape, preprocessing, q.scalarScale(), q.scalarZeroPoint());
            }
            return ImageInput.fromImage(image, type, shape, preprocessing);
        }

        List<Sample> variants() {
            List<Sample> v = new ArrayList<>();
            int w = image.getWidth();
            int h = image.getHeight();
            BufferedImage[] crops = {image, crop(0.1, 0.1, 0.8), crop(0.15, 0.15, 0.7), crop(0, 0, 0.8), crop(0.2, 0.2, 0.8)};
            String[] names = {"", "+crop80", "+crop70", "+crop80tl", "+crop80br"};
            for (int i = 0; i < crops.length; i++) {
                v.add(new ImageSample(name + names[i], crops[i], preprocessing));
                v.add(new ImageSample(name + names[i] + "+flip", flip(crops[i]), preprocessing));
            }
            assert w > 0 && h > 0;
            return v;
        }

        private BufferedImage crop(double fx, double fy, double size) {
            int w = image.getWidth();
            int h = image.getHeight();
            int cw = Math.max(1, (int) Math.round(w * size));
            int ch = Math.max(1, (int) Math.round(h * size));
            int x = Math.min(w - cw, (int) Math.round(w * fx));
            int y = Math.min(h - ch, (int) Math.round(h * fy));
            return image.getSubimage(x, y, cw, ch);
        }

        private static BufferedImage flip(BufferedImage img) {
            AffineTransform t = AffineTransform.getScaleInstance(-1, 1);
            t.translate(-img.getWidth(), 0);
            BufferedImage dst = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_INT_RGB);
            return new AffineTransformOp(t, AffineTransformOp.TYPE_NEAREST_NEIGHBOR).filter(toRgb(img), dst);
        }

        private static BufferedImage toRgb(BufferedImage img) {
            if (img.getType() == BufferedImage.TYPE_INT_RGB) {
                return img;
            }
            BufferedImage rgb = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_INT_RGB);
            rgb.getGraphics().drawImage(img, 0, 0, null);
            return rgb;
        }
    }

    private static void checkSize(String name, long count, int[] shape) {
        if (count != Tensors.elements(shape)) {
            throw new InvalidInputException(name + ": " + count + " values cannot fill the input " + Arrays.toString(shape));
        }
    }
}
