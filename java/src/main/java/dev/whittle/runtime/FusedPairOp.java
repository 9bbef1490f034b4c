package dev.whittle.runtime;

import dev.whittle.runtime.kernels.FusedDwConvGemm;

/**
 * The operator a fused DEPTHWISE_CONV_2D + 1x1 CONV_2D pair ({@link FusedDwConvGemm}) runs at
 * the depthwise node's position, and ({@link #TAIL}) the nothing it runs at the 1x1's. Made by
 * {@link CompiledModel} after prepare, never prepared itself.
 */
final class FusedPairOp implements Op<Object>, NodeChain.Step {
    /** The 1x1 node of a fused pair: already computed by the pair. */
    static final FusedPairOp TAIL = new FusedPairOp(null);

    private final FusedDwConvGemm pair;

    FusedPairOp(FusedDwConvGemm pair) {
        this.pair = pair;
    }

    @Override
    public Object prepare(PrepareContext ctx) {
        throw new UnsupportedOperationException("a fused pair is made from prepared nodes");
    }

    @Override
    public void eval(Object prepared, ExecutionState state) {
        if (pair != null) {
            pair.run(state);
        }
    }

    @Override
    public int chainTasks(ExecutionState s) {
        return pair == null ? 0 : pair.chainTasks(s);
    }

    @Override
    public long syncBytes() {
        return FusedDwConvGemm.CHAIN_SYNC_BYTES;
    }

    @Override
    public void beforeChain(ExecutionState s, long sync) {
        pair.beforeChain(s, sync);
    }

    @Override
    public void runTasks(ExecutionState s, int from, int to, int worker, long sync) {
        pair.runChainTasks(s, from, to, worker, sync);
    }

    /** The pair this op runs, or null for {@link #TAIL}. */
    FusedDwConvGemm pair() {
        return pair;
    }
}
