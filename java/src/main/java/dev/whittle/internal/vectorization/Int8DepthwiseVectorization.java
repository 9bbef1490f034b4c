package dev.whittle.internal.vectorization;

/**
 * The int8 depthwise loop for this JVM: {@link PanamaInt8DepthwiseKernels} when
 * {@link VectorizationProvider#get()} runs on the Vector API (so the module check and its log
 * line stay in one place), else the plain-Java twin. Loaded reflectively, like the int8 GEMM.
 */
public final class Int8DepthwiseVectorization {
    private Int8DepthwiseVectorization() {
    }

    private static final class Holder {
        static final Int8DepthwiseKernels INSTANCE = lookup();
    }

    /** The kernels for this JVM. */
    public static Int8DepthwiseKernels get() {
        return Holder.INSTANCE;
    }

    /** The plain-Java twin, whatever the JVM has: for tests. */
    public static Int8DepthwiseKernels plain() {
        return ScalarInt8DepthwiseKernels.INSTANCE;
    }

    private static Int8DepthwiseKernels lookup() {
        if (!VectorizationProvider.get().vectorized()) {
            return ScalarInt8DepthwiseKernels.INSTANCE;
        }
        try {
            Class<?> c = Class.forName(Int8DepthwiseVectorization.class.getPackageName()
                    + ".PanamaInt8DepthwiseKernels");
            java.lang.reflect.Field f = c.getDeclaredField("INSTANCE");
            f.setAccessible(true);
            return (Int8DepthwiseKernels) f.get(null);
        } catch (ReflectiveOperationException | LinkageError e) {
            return ScalarInt8DepthwiseKernels.INSTANCE;
        }
    }
}
