package dev.whittle.io;

import dev.whittle.InvalidInputException;
import dev.whittle.TensorData;
import dev.whittle.model.TensorType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageInputTest {
    private static final Path SHARED = Path.of(System.getProperty("whittle.shared", "../shared"));
    private static final Path IMAGES = SHARED.resolve("images");

    private static BufferedImage solid(int w, int h, int rgb) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, rgb);
            }
        }
        return img;
    }

    private static Path save(BufferedImage img, Path dir, String name, String format) throws Exception {
        Path file = dir.resolve(name);
        assertTrue(ImageIO.write(img, format, file.toFile()), "no ImageIO writer for " + format);
        return file;
    }

    @Test
    void constantColorStaysConstantThroughResizeAndConversion(@TempDir Path dir) throws Exception {
        int r = 200;
        int g = 100;
        int b = 7;
        for (String format : new String[] {"png", "bmp"}) {
            Path file = save(solid(13, 7, r << 16 | g << 8 | b), dir, "solid." + format, format);
            int[] shape = {1, 5, 11, 3};

            double[] f = ImageInput.load(file, TensorType.FLOAT32, shape, Preprocessing.MOBILENET).toDoubleArray();
            double[] u8 = ImageInput.load(file, TensorType.UINT8, shape, null).toDoubleArray();
            double[] i8 = ImageInput.load(file, TensorType.INT8, shape, null).toDoubleArray();
            double[] unit = ImageInput.load(file, TensorType.FLOAT32, shape, Preprocessing.UNIT).toDoubleArray();
            assertEquals(5 * 11 * 3, f.length);
            int[] rgb = {r, g, b};
            for (int i = 0; i < f.length; i++) {
                int c = rgb[i % 3];
                assertEquals((float) ((c - 127.5) / 127.5), f[i], 0.0, format + " float at " + i);
                assertEquals((float) (c / 255.0), unit[i], 0.0);
                assertEquals(c, u8[i], 0.0);
                assertEquals(c - 128, i8[i], 0.0);
            }
        }
    }

    @Test
    void upscales2x2To4x4WithHalfPixelCenters(@TempDir Path dir) throws Exception {
        // Red channel: [[0, 100], [200, 40]]. Along each axis, outputs 0..3 sample the source at
        // -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1): weights 0, .25, .75, 1 on the second pixel.
        BufferedImage img = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, 0);
        img.setRGB(1, 0, 100 << 16);
        img.setRGB(0, 1, 200 << 16);
        img.setRGB(1, 1, 40 << 16);
        Path file = save(img, dir, "quad.png", "png");
        TensorData t = ImageInput.load(file, TensorType.FLOAT32, new int[] {1, 4, 4, 3}, Preprocessing.RAW);
        double[] w = {0, 0.25, 0.75, 1};
        double[] v = t.toDoubleArray();
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                double top = 0 + (100 - 0) * w[x];
                double bottom = 200 + (40 - 200) * w[x];
                double expected = top + (bottom - top) * w[y];
                assertEquals(expected, v[(y * 4 + x) * 3], 0.0, "red at " + y + "," + x);
                assertEquals(0, v[(y * 4 + x) * 3 + 1], 0.0);
            }
        }
        // exact values, written out: first row and one interior point
        assertArrayEquals(new double[] {0, 25, 75, 100}, new double[] {v[0], v[3], v[6], v[9]});
        // (1, 1): top = 25, bottom = 200 - 160 * 0.25 = 160, value = 25 + 135 * 0.25
        assertEquals(58.75, v[(4 + 1) * 3], 0.0);
    }

    @Test
    void resizeBilinearIsIdentityAtTheSameSizeAndAveragesOnHalving() {
        float[] src = new float[4 * 6];
        for (int i = 0; i < src.length; i++) {
            src[i] = i * 1.5f;
        }
        assertArrayEquals(src, ImageInput.resizeBilinear(src, 4, 6, 1, 4, 6));
        // halving samples at 0.5, 2.5, 4.5: the mean of each 2x2 block
        float[] half = ImageInput.resizeBilinear(new float[] {0, 4, 8, 12}, 1, 4, 1, 1, 2);
        assertArrayEquals(new float[] {2, 10}, half);
        // 3 -> 1 samples the middle pixel exactly
        assertArrayEquals(new float[] {5}, ImageInput.resizeBilinear(new float[] {1, 5, 9}, 1, 3, 1, 1, 1));
        assertThrows(InvalidInputException.class, () -> ImageInput.resizeBilinear(new float[3], 2, 2, 1, 1, 1));
    }

    @Test
    void grayscaleUsesBt601LuminanceRounded(@TempDir Path dir) throws Exception {
        // 0.299*200 + 0.587*100 + 0.114*7 = 59.8 + 58.7 + 0.798 = 119.298 -> 119
        Path file = save(solid(3, 3, 200 << 16 | 100 << 8 | 7), dir, "c.bmp", "bmp");
        TensorData t = ImageInput.load(file, TensorType.UINT8, new int[] {1, 2, 2, 1}, null);
        assertArrayEquals(new double[] {119, 119, 119, 119}, t.toDoubleArray());
        // a stored grayscale image keeps its values (no linear-gray gamma from getRGB)
        BufferedImage gray = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setSample(0, 0, 0, 128);
        gray.getRaster().setSample(1, 0, 0, 30);
        Path g = save(gray, dir, "g.png", "png");
        assertArrayEquals(new double[] {128, 30}, ImageInput.load(g, TensorType.UINT8, new int[] {1, 1, 2, 1}, null).toDoubleArray());
        assertArrayEquals(new double[] {128, 128, 128, 30, 30, 30},
                ImageInput.load(g, TensorType.UINT8, new int[] {1, 1, 2, 3}, null).toDoubleArray());
    }

    @Test
    void quantizesInt8WithScaleAndZeroPoint() {
        BufferedImage img = new BufferedImage(4, 1, BufferedImage.TYPE_INT_RGB);
        int[] reds = {0, 64, 191, 255};
        for (int x = 0; x < 4; x++) {
            img.setRGB(x, 0, reds[x] << 16);
        }
        // (x - 0) / 1 with scale 1 and zero point -128: q = Y - 128
        TensorData a = ImageInput.fromImage(img, TensorType.INT8, new int[] {1, 1, 4, 1}, Preprocessing.of(0, 1),
                1.0, -128);
        // grayscale of pure red: round(0.299 p) = 0, 19, 57, 76
        assertArrayEquals(new double[] {-128, -109, -71, -52}, a.toDoubleArray());
        // MOBILENET with scale 1/128, zp 0: q = round((p - 127.5) / 127.5 * 128), clamped to 127
        TensorData b = ImageInput.fromImage(img, TensorType.INT8, new int[] {1, 1, 4, 3}, Preprocessing.MOBILENET,
                1.0 / 128, 0);
        double[] v = b.toDoubleArray();
        assertEquals(-128, v[0], 0.0);        // (0 - 127.5)/127.5*128 = -128
        assertEquals(-64, v[3], 0.0);         // (64 - 127.5)/127.5*128 = -63.75 -> -64
        assertEquals(64, v[6], 0.0);          // 63.749... -> 64
        assertEquals(127, v[9], 0.0);         // 128 -> clamped
        assertEquals(-128, v[1], 0.0);        // green channel is 0
        // uint8 with quantization keeps raw pixels
        TensorData u = ImageInput.fromImage(img, TensorType.UINT8, new int[] {1, 1, 4, 3}, Preprocessing.MOBILENET,
                0.0078125, 128);
        assertEquals(191, u.toDoubleArray()[6], 0.0);
        assertThrows(InvalidInputException.class, () -> ImageInput.fromImage(img, TensorType.INT8,
                new int[] {1, 1, 4, 3}, null, 0, 0));
        assertThrows(InvalidInputException.class, () -> ImageInput.fromImage(img, TensorType.INT8,
                new int[] {1, 1, 4, 3}, null, 0.5, 200));
    }

    @Test
    void rejectsBadShapesTypesAndFiles(@TempDir Path dir) throws Exception {
        Path file = save(solid(2, 2, 0x102030), dir, "s.png", "png");
        String[] problems = {"[1, H, W, C]", "batch of 1", "1 (grayscale) or 3 (RGB)", "cannot feed a INT16",
                "cannot feed a FLOAT16", "3 channel values"};
        Object[][] cases = {
                {TensorType.FLOAT32, new int[] {2, 2, 3}, null},
                {TensorType.FLOAT32, new int[] {2, 2, 2, 3}, null},
                {TensorType.FLOAT32, new int[] {1, 2, 2, 4}, null},
                {TensorType.INT16, new int[] {1, 2, 2, 3}, null},
                {TensorType.FLOAT16, new int[] {1, 2, 2, 3}, null},
                {TensorType.FLOAT32, new int[] {1, 2, 2, 1}, Preprocessing.IMAGENET},
        };
        for (int i = 0; i < cases.length; i++) {
            Object[] c = cases[i];
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> ImageInput.load(file, (TensorType) c[0], (int[]) c[1], (Preprocessing) c[2]));
            assertTrue(e.getMessage().contains(problems[i]) && e.getMessage().contains("s.png"), e.getMessage());
        }
        Path text = dir.resolve("notes.png");
        Files.writeString(text, "not an image");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ImageInput.read(text));
        assertTrue(e.getMessage().startsWith(text.toString()), e.getMessage());
        Path truncated = dir.resolve("cut.png");
        byte[] png = Files.readAllBytes(save(solid(64, 64, 0x123456), dir, "full.png", "png"));
        Files.write(truncated, java.util.Arrays.copyOf(png, png.length / 2));
        e = assertThrows(InvalidInputException.class, () -> ImageInput.read(truncated));
        assertTrue(e.getMessage().contains("cut.png"), e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> ImageInput.read(dir.resolve("absent.jpg")));
        assertTrue(e.getMessage().contains("absent.jpg"), e.getMessage());
    }

    @Test
    void recognisesImageExtensions() {
        assertTrue(ImageInput.isImageFile(Path.of("a/b.BMP")));
        assertTrue(ImageInput.isImageFile(Path.of("x.jpeg")));
        assertTrue(ImageInput.isImageFile(Path.of("x.jpg")));
        assertTrue(ImageInput.isImageFile(Path.of("x.png")));
        assertFalse(ImageInput.isImageFile(Path.of("x.npy")));
        assertFalse(ImageInput.isImageFile(Path.of("png")));
    }

    @Test
    void presetsAndCustomPreprocessing() {
        assertEquals(Preprocessing.MOBILENET, Preprocessing.preset("mobilenet"));
        assertEquals(Preprocessing.of(0, 255), Preprocessing.UNIT);
        assertEquals(1.0, Preprocessing.MOBILENET.apply(255, 0), 0.0);
        assertEquals(-1.0, Preprocessing.MOBILENET.apply(0, 2), 0.0);
        Preprocessing p = Preprocessing.perChannel(new double[] {1, 2, 3}, new double[] {2, 4, 8});
        assertEquals(2.0, p.apply(5, 0), 0.0);
        assertEquals(0.75, p.apply(5, 1), 0.0);
        assertThrows(InvalidInputException.class, () -> Preprocessing.of(0, 0));
        assertThrows(InvalidInputException.class, () -> Preprocessing.perChannel(new double[] {1, 2}, new double[] {1}));
        assertThrows(InvalidInputException.class, () -> Preprocessing.preset("nope"));
    }

    // ------------------------------------------------------------------------------------
    // real photos from the shared folder

    private static Path sharedImage(String name) {
        Path p = IMAGES.resolve(name);
        Assumptions.assumeTrue(Files.isRegularFile(p), "shared images not found at " + IMAGES.toAbsolutePath());
        return p;
    }

    @Test
    void realPhotosLoadAsMobileNetInputs() {
        for (String name : new String[] {"grace_hopper.bmp", "hot_dog.jpg"}) {
            Path file = sharedImage(name);
            int[] shape = {1, 224, 224, 3};
            TensorData f = ImageInput.load(file, TensorType.FLOAT32, shape, Preprocessing.MOBILENET);
            TensorData u = ImageInput.load(file, TensorType.UINT8, shape, null);
            TensorData i = ImageInput.load(file, TensorType.INT8, shape, null);
            assertArrayEquals(shape, f.shape());
            assertEquals(224 * 224 * 3 * 4, f.data().remaining());
            double[] fv = f.toDoubleArray();
            double[] uv = u.toDoubleArray();
            double[] iv = i.toDoubleArray();
            double min = Double.MAX_VALUE;
            double max = -Double.MAX_VALUE;
            for (int k = 0; k < fv.length; k++) {
                min = Math.min(min, fv[k]);
                max = Math.max(max, fv[k]);
                // the three conversions agree up to the uint8 rounding
                assertEquals(uv[k], fv[k] * 127.5 + 127.5, 0.5 + 1e-4, name + " at " + k);
                assertEquals(uv[k] - 128, iv[k], 0.0);
            }
            assertTrue(min >= -1 && max <= 1 && max - min > 1.5, name + " range " + min + ".." + max);
        }
    }

    @Test
    void mnistDigitLoadsAsGrayscale() {
        Path file = sharedImage("mnist_nine.bmp");
        TensorData t = ImageInput.load(file, TensorType.UINT8, new int[] {1, 28, 28, 1}, null);
        assertArrayEquals(new int[] {1, 28, 28, 1}, t.shape());
        double[] v = t.toDoubleArray();
        int dark = 0;
        int bright = 0;
        for (double x : v) {
            dark += x < 30 ? 1 : 0;
            bright += x > 200 ? 1 : 0;
        }
        // a white-on-black digit: mostly background, a stroke of bright pixels
        assertTrue(dark > 500 && bright > 50, "dark " + dark + " bright " + bright);
        TensorData f = ImageInput.load(file, TensorType.FLOAT32, new int[] {1, 28, 28, 1}, Preprocessing.UNIT);
        assertEquals(v[400] / 255, f.toDoubleArray()[400], 1e-6);
    }
}
