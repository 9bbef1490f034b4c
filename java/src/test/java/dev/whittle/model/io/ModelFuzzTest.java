package dev.whittle.model.io;

import dev.whittle.ModelFormatException;
import dev.whittle.UnsupportedModelException;
import dev.whittle.model.Model;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Mutates and truncates real models thousands of times. Every case must end in a valid model
 * (which must then also write and read back) or in Whittle's typed error; any other exception
 * fails the test, and the timeout catches a hang.
 */
class ModelFuzzTest {
    private static final List<String> MODELS = List.of("hello_world_int8.tflite", "hello_world_float.tflite",
            "seanet_conv0_16x8.tflite", "seanet_add0_16x8.tflite", "micro_speech_int8.tflite",
            "dilated_conv_float.tflite", "invalid_model_invoking_error.tflite", "keras_lstm_mnist_ptq.tflite",
            "mobilenet_v1_0.25_128_quant_edgetpu.tflite");
    private static final int CASES_PER_MODEL = 1200;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void mutatedAndTruncatedModelsEndInTypedErrorOrValidModel() throws IOException {
        SharedData.assumeAvailable();
        Random rnd = new Random(0x5EED);
        int valid = 0;
        int formatErrors = 0;
        int unsupported = 0;
        int total = 0;
        for (String name : MODELS) {
            byte[] original = Files.readAllBytes(SharedData.model(name));
            for (int c = 0; c < CASES_PER_MODEL; c++) {
                byte[] mutated = mutate(original, rnd, c);
                total++;
                try {
                    Model m = ModelReader.read(mutated);
                    byte[] written = ModelWriter.toBytes(m);
                    assertEquals(m, ModelReader.read(written), "a valid mutant must round-trip");
                    valid++;
                } catch (ModelFormatException e) {
                    formatErrors++;
                } catch (UnsupportedModelException e) {
                    unsupported++;
                } catch (RuntimeException | Error e) {
                    Path dump = Files.createTempFile("whittle-fuzz-", ".tflite");
                    Files.write(dump, mutated);
                    throw new AssertionError("case " + c + " of " + name + " threw " + e + " (input saved to " + dump + ")", e);
                }
            }
        }
        System.out.printf("fuzz: %d cases: %d valid models, %d ModelFormatException, %d UnsupportedModelException, 0 other%n",
                total, valid, formatErrors, unsupported);
        if (formatErrors == 0 || valid == 0) {
            fail("the mutations should produce both valid and invalid models; got " + valid + " valid, " + formatErrors + " invalid");
        }
    }

    private static byte[] mutate(byte[] original, Random rnd, int c) {
        switch (c % 4) {
            case 0 -> {
                // truncation anywhere, with a bias towards the short headers
                int len = rnd.nextInt(4) == 0 ? rnd.nextInt(Math.min(64, original.length)) : rnd.nextInt(original.length);
                return java.util.Arrays.copyOf(original, len);
            }
            case 1 -> {
                byte[] b = original.clone();
                int flips = 1 + rnd.nextInt(8);
                for (int i = 0; i < flips; i++) {
                    b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
                }
                return b;
            }
            case 2 -> {
                // overwrite aligned 32-bit words (offsets, lengths, indices) with extreme values
                byte[] b = original.clone();
                ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
                int words = 1 + rnd.nextInt(3);
                int[] extremes = {0, 1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 0x10000, b.length, b.length - 4, 7};
                for (int i = 0; i < words; i++) {
                    int pos = rnd.nextInt(b.length / 4) * 4;
                    bb.putInt(pos, rnd.nextBoolean() ? extremes[rnd.nextInt(extremes.length)] : bb.getInt(pos) + rnd.nextInt(64) - 32);
                }
                return b;
            }
            default -> {
                // a small edit near the front, where the tables of small models live
                byte[] b = original.clone();
                int window = Math.min(b.length, 2048);
                int pos = rnd.nextInt(window);
                b[pos] = (byte) rnd.nextInt(256);
                if (pos + 1 < b.length) {
                    b[pos + 1] = (byte) rnd.nextInt(256);
                }
                return b;
            }
        }
    }
}
