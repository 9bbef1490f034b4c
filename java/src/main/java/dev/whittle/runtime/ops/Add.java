package dev.whittle.runtime.ops;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;

/** ADD, float32 reference, with broadcasting and a fused activation. */
public final class Add implements Op<Broadcast> {
    @Override
    public Broadcast prepare(PrepareContext ctx) {
        return Broadcast.prepare(ctx);
    }

    @Override
    public void eval(Broadcast p, ExecutionState s) {
        for (int i = 0; i < p.count(); i++) {
            float v = s.getFloat(p.a(), p.indexA(i)) + s.getFloat(p.b(), p.indexB(i));
            s.putFloat(p.output(), i, OpSupport.clamp(v, p.actMin(), p.actMax()));
        }
    }
}
