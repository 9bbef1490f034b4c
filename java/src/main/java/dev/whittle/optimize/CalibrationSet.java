package dev.whittle.optimize;

import dev.whittle.TensorData;
import dev.whittle.io.ImageInput;
import dev.whittle.io.Preprocessing;
import dev.whittle.model.Model;
import dev.whittle.model.Tensor;
import dev.whittle.model.TensorType;

import java.awt.geom.AffineTransform;
import java.awt.image.AffineTransformOp;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Images that data-aware methods run the model on. Sample {@code k} is image
 * {@code k mod count} seen through view {@code k / count}: view 0 is the whole image, later
 * views are fixed crops (center and corners, at 85%, 70% and 55% of each side) and their
 * mirror images. A small folder thus still gives as many (correlated) samples as asked for;
 * the views are deterministic, so a run is reproducible.
 */
public final class CalibrationSet {
    private final List<Path> images;
    private final int samples;
    private final Preprocessing preprocessing;

    private CalibrationSet(List<Path> images, int samples, Preprocessing preprocessing) {
        this.images = List.copyOf(images);
        this.samples = samples;
        this.preprocessing = preprocessing == null ? Preprocessing.MOBILENET : preprocessing;
    }

    /**
     * The image files (BMP, JPEG, PNG) of {@code dir}, sorted by name.
     *
     * @throws BadParameterException when the folder is missing or holds no image, or samples < 1
     */
    public static CalibrationSet fromDirectory(Path dir, int samples, Preprocessing preprocessing) {
        if (!Files.isDirectory(dir)) {
            throw new BadParameterException("--calibration " + dir + " is not a directory");
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(ImageInput::isImageFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (files.isEmpty()) {
            throw new BadParameterException("--calibration " + dir + " holds no image (BMP, JPEG or PNG)");
        }
        return of(files, samples, preprocessing);
    }

    /** The given images. */
    public static CalibrationSet of(List<Path> images, int samples, Preprocessing preprocessing) {
        if (samples < 1) {
            throw new BadParameterException("--samples must be at least 1, got " + samples);
        }
        if (images.isEmpty()) {
            throw new BadParameterException("no calibration images");
        }
        return new CalibrationSet(images, samples, preprocessing);
    }

    public int samples() {
        return samples;
    }

    public List<Path> images() {
        return images;
    }

    /**
     * The samples as inputs of {@code model}'s first input (an image input [1, H, W, 1|3] of
     * type float32, int8 or uint8).
     */
    public List<TensorData> inputs(Model model) {
        Tensor in = model.mainGraph().tensor(model.mainGraph().inputs()[0]);
        List<BufferedImage> decoded = new ArrayList<>();
        for (Path p : images) {
            decoded.add(ImageInput.read(p));
        }
        List<TensorData> out = new ArrayList<>(samples);
        for (int k = 0; k < samples; k++) {
            BufferedImage img = view(decoded.get(k % decoded.size()), k / decoded.size());
            if (in.type() != TensorType.FLOAT32 && in.isQuantized()) {
                out.add(ImageInput.fromImage(img, in.type(), in.shape(), preprocessing,
                        in.quantization().scalarScale(), in.quantization().scalarZeroPoint()));
            } else {
                out.add(ImageInput.fromImage(img, in.type(), in.shape(), preprocessing));
            }
        }
        return out;
    }

    private static final double[] CROP = {0.85, 0.70, 0.55};

    /** View {@code v} of an image: 0 the whole image, then crops and mirrored crops. */
    static BufferedImage view(BufferedImage img, int v) {
        if (v == 0) {
            return img;
        }
        int r = v - 1;
        boolean mirror = r % 2 == 1;
        int position = (r / 2) % 5;
        double f = CROP[(r / 10) % CROP.length];
        int w = Math.max(1, (int) Math.round(img.getWidth() * f));
        int h = Math.max(1, (int) Math.round(img.getHeight() * f));
        int x = switch (position) {
            case 0 -> (img.getWidth() - w) / 2;
            case 1, 3 -> 0;
            default -> img.getWidth() - w;
        };
        int y = switch (position) {
            case 0 -> (img.getHeight() - h) / 2;
            case 1, 2 -> 0;
            default -> img.getHeight() - h;
        };
        BufferedImage crop = copy(img.getSubimage(x, y, w, h));
        if (!mirror) {
            return crop;
        }
        AffineTransform t = AffineTransform.getScaleInstance(-1, 1);
        t.translate(-w, 0);
        return new AffineTransformOp(t, AffineTransformOp.TYPE_NEAREST_NEIGHBOR).filter(crop, null);
    }

    private static BufferedImage copy(BufferedImage sub) {
        BufferedImage c = new BufferedImage(sub.getWidth(), sub.getHeight(), BufferedImage.TYPE_INT_RGB);
        c.getGraphics().drawImage(sub, 0, 0, null);
        return c;
    }
}
