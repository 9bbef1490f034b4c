package dev.whittle.runtime;

import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.Activation;
import dev.whittle.model.ModelBuilder.Padding;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

/** Single-op models with odd shapes, each compared tensor by tensor with TFLite's builtin kernels. */
class OpDifferentialTest {
    private static float[] random(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return v;
    }

    @Test
    void conv2d() {
        int[][] cases = {
            // h, w, inC, outC, kh, kw, stride, dilation
            {1, 1, 1, 1, 1, 1, 1, 1},
            {5, 7, 3, 5, 3, 3, 2, 1},
            {6, 6, 3, 5, 2, 2, 2, 1},
            {9, 10, 5, 7, 4, 3, 2, 1},
            {10, 9, 6, 3, 3, 3, 1, 2},
            {7, 8, 2, 9, 2, 4, 3, 1},
        };
        for (int[] c : cases) {
            for (Padding padding : Padding.values()) {
                for (Activation act : new Activation[] {Activation.NONE, Activation.RELU6}) {
                    ModelBuilder b = new ModelBuilder("conv");
                    int x = b.input("x", TensorType.FLOAT32, 2, c[0], c[1], c[2]);
                    int w = b.constant("w", random(c[0] * 31L + c[3], c[3] * c[4] * c[5] * c[2]), c[3], c[4], c[5], c[2]);
                    int bias = b.constant("b", random(7, c[3]), c[3]);
                    b.output(b.conv2d("y", x, w, bias, padding, c[6], c[6], c[7], c[7], act));
                    Model m = b.build();
                    Differential.compare("CONV_2D " + java.util.Arrays.toString(c) + " " + padding + " " + act, m, 3);
                }
            }
        }
    }
}
