/**
 * Whittle's own interpreter for TFLite models: float32, int8 (per-tensor and per-channel
 * weights), uint8 and 16x8 graphs, computed with TFLite's integer arithmetic bit for bit.
 *
 * <h2>Compile, context, invoke</h2>
 * <pre>{@code
 * Model model = ModelReader.read(path);
 * CompiledModel compiled = CompiledModel.compile(model);          // once; shareable
 * try (ExecutionContext ctx = compiled.newContext()) {            // one per thread
 *     ctx.setInput(0, input);                                     // copies in
 *     ctx.invoke();                                               // allocates nothing
 *     TensorData scores = ctx.output(0);                          // a copy out
 * }
 * }</pre>
 * <ol>
 *   <li>{@link dev.whittle.runtime.CompiledModel#compile CompiledModel.compile} resolves every
 *       operator of subgraph 0 to an {@link dev.whittle.runtime.Op} and runs its
 *       {@link dev.whittle.runtime.Op#prepare prepare} once: output shapes are computed (so an
 *       input can be resized at compile, {@code compile(model, Map.of(0, shape))}), quantization
 *       parameters and fixed-point multipliers are derived, a {@link dev.whittle.runtime.Kernel}
 *       is chosen, scratch memory is requested, and everything is frozen in an immutable
 *       prepared record per node. Operators whose inputs are all known (constants, shape
 *       arithmetic, float16 weights behind a {@code DEQUANTIZE}) run here once and become
 *       constants. Anything the runtime cannot run exactly is refused here, never at invoke:
 *       {@link dev.whittle.UnsupportedModelException} naming the operator's index, name and
 *       tensor types.
 *   <li>{@link dev.whittle.runtime.CompiledModel#newContext() newContext()} allocates one
 *       {@link dev.whittle.runtime.ExecutionContext}: the activation arena for all
 *       intermediate tensors and scratch areas, laid out by the plan made at compile.
 *   <li>{@link dev.whittle.runtime.ExecutionContext#invoke() invoke()} runs the nodes in graph
 *       order, each {@link dev.whittle.runtime.Op#eval eval} reading and writing through the
 *       context's {@link dev.whittle.runtime.ExecutionState}. It allocates nothing.
 * </ol>
 *
 * <h2>Threading</h2>
 * A {@link dev.whittle.runtime.CompiledModel} is immutable once {@code compile} returns and may
 * be shared by any number of threads without synchronization. {@code compile} keeps no global
 * state and only reads the {@link dev.whittle.model.Model}, so several threads may compile
 * (even the same model) at once, as long as none edits that model meanwhile. An
 * {@link dev.whittle.runtime.ExecutionContext} is used by one thread at a time: give each
 * thread its own (they are cheap: one arena), or pass one between threads through something
 * that orders the uses (a queue, a pool, a lock). Nothing else is shared between contexts: the
 * prepared records and kernels are immutable and stateless, scratch memory lives in each
 * context's arena, and the constants are read through per-context views with absolute
 * indices. Tensors returned by {@code output} and {@code tensor} are copies and stay valid
 * after later invokes and after {@code close}.
 *
 * <h2>Memory</h2>
 * <ul>
 *   <li>Constants (weights, biases, folded results) are copied at compile into one read-only
 *       heap block owned by the compiled model and shared by its contexts; the source
 *       {@link dev.whittle.model.Model} is not referenced afterwards.
 *   <li>Activations and scratch live in each context's arena: native memory from a shared
 *       {@link java.lang.foreign.Arena}, freed at once by
 *       {@link dev.whittle.runtime.ExecutionContext#close()}; any use after close throws
 *       {@link java.lang.IllegalStateException}, never crashes. The plan (greedy first fit,
 *       64-byte aligned) lets tensors and scratch areas that are never alive together share
 *       bytes: {@link dev.whittle.runtime.CompiledModel#arenaBytes()} is typically a fraction of
 *       {@link dev.whittle.runtime.CompiledModel#activationBytes()}.
 *       {@link dev.whittle.runtime.CompiledModel#newContext(boolean) newContext(true)} gives
 *       every tensor its own bytes instead, so every intermediate stays readable after invoke
 *       (as TFLite's {@code preserve_all_tensors}), at the cost of {@code activationBytes()}.
 *   <li>Kernels that need working memory request it at prepare with
 *       {@link dev.whittle.runtime.PrepareContext#requestScratch}; it is planned in the arena for
 *       the duration of its node only.
 * </ul>
 *
 * <h2>Adding an operator</h2>
 * One class implementing {@link dev.whittle.runtime.Op} in {@code runtime.ops}, one line in
 * {@code OpRegistry}; its arithmetic in a {@link dev.whittle.runtime.Kernel} named
 * {@code dtype_op__reference} in {@code runtime.kernels.reference}. Prepare validates
 * everything through {@link dev.whittle.runtime.PrepareContext} and sets every output's shape;
 * eval must not allocate.
 */
package dev.whittle.runtime;
