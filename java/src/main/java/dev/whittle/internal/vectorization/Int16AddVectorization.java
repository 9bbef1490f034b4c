package dev.whittle.internal.vectorization;

/** Picks {@link Int16AddLoops}' implementation once, reflectively (see {@link Float32Vectorization}). */
final class Int16AddVectorization {
    private Int16AddVectorization() {
    }

    static final Int16AddLoops INSTANCE = lookup();

    private static Int16AddLoops lookup() {
        if (!VectorizationProvider.get().vectorized()) {
            return ScalarInt16AddLoops.INSTANCE;
        }
        try {
            Class<?> c = Class.forName(Int16AddVectorization.class.getPackageName() + ".PanamaInt16AddLoops");
            java.lang.reflect.Field f = c.getDeclaredField("INSTANCE");
            f.setAccessible(true);
            return (Int16AddLoops) f.get(null);
        } catch (ReflectiveOperationException | LinkageError e) {
            return ScalarInt16AddLoops.INSTANCE;
        }
    }
}
