package dev.whittle.internal.vectorization;

/**
 * The float32 convolution loops for this JVM: {@link PanamaFloat32ConvKernels} when
 * {@link VectorizationProvider#get()} runs on the Vector API (so the module check and its log
 * line stay in one place), else the plain-Java twin. Loaded reflectively, like the int8 kernels.
 */
public final class Float32Vectorization {
    private Float32Vectorization() {
    }

    private static final class Holder {
        static final Float32ConvKernels INSTANCE = lookup();
    }

    /** The kernels for this JVM. */
    public static Float32ConvKernels get() {
        return Holder.INSTANCE;
    }

    /** The plain-Java twin, whatever the JVM has: for tests. */
    public static Float32ConvKernels plain() {
        return ScalarFloat32ConvKernels.INSTANCE;
    }

    private static Float32ConvKernels lookup() {
        if (!VectorizationProvider.get().vectorized()) {
            return ScalarFloat32ConvKernels.INSTANCE;
        }
        try {
            Class<?> c = Class.forName(Float32Vectorization.class.getPackageName() + ".PanamaFloat32ConvKernels");
            java.lang.reflect.Field f = c.getDeclaredField("INSTANCE");
            f.setAccessible(true);
            return (Float32ConvKernels) f.get(null);
        } catch (ReflectiveOperationException | LinkageError e) {
            return ScalarFloat32ConvKernels.INSTANCE;
        }
    }
}
