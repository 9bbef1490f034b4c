package dev.whittle.runtime.ops;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;

/** MAX_POOL_2D, float32 reference: the maximum over the in-bounds cells of each window. */
public final class MaxPool2D implements Op<Pool2D> {
    @Override
    public Pool2D prepare(PrepareContext ctx) {
        return Pool2D.prepare(ctx);
    }

    @Override
    public void eval(Pool2D p, ExecutionState s) {
        for (int b = 0; b < p.batches(); b++) {
            for (int oy = 0; oy < p.outH(); oy++) {
                for (int ox = 0; ox < p.outW(); ox++) {
                    int originY = oy * p.strideH() - p.padH();
                    int originX = ox * p.strideW() - p.padW();
                    int yStart = Math.max(0, -originY);
                    int yEnd = Math.min(p.fh(), p.inH() - originY);
                    int xStart = Math.max(0, -originX);
                    int xEnd = Math.min(p.fw(), p.inW() - originX);
                    for (int c = 0; c < p.channels(); c++) {
                        float max = Float.NEGATIVE_INFINITY;
                        for (int fy = yStart; fy < yEnd; fy++) {
                            for (int fx = xStart; fx < xEnd; fx++) {
                                int iy = originY + fy;
                                int ix = originX + fx;
                                max = Math.max(max, s.getFloat(p.input(), ((b * p.inH() + iy) * p.inW() + ix) * p.channels() + c));
                            }
                        }
                        int outIndex = ((b * p.outH() + oy) * p.outW() + ox) * p.channels() + c;
                        s.putFloat(p.output(), outIndex, OpSupport.clamp(max, p.actMin(), p.actMax()));
                    }
                }
            }
        }
    }
}
