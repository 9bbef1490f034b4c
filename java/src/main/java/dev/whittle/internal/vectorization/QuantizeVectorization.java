package dev.whittle.internal.vectorization;

/** Picks {@link QuantizeLoops}' implementation once, reflectively (see {@link Float32Vectorization}). */
final class QuantizeVectorization {
    private QuantizeVectorization() {
    }

    static final QuantizeLoops INSTANCE = lookup();

    private static QuantizeLoops lookup() {
        if (!VectorizationProvider.get().vectorized()) {
            return ScalarQuantizeLoops.INSTANCE;
        }
        try {
            Class<?> c = Class.forName(QuantizeVectorization.class.getPackageName() + ".PanamaQuantizeLoops");
            java.lang.reflect.Field f = c.getDeclaredField("INSTANCE");
            f.setAccessible(true);
            return (QuantizeLoops) f.get(null);
        } catch (ReflectiveOperationException | LinkageError e) {
            return ScalarQuantizeLoops.INSTANCE;
        }
    }
}
