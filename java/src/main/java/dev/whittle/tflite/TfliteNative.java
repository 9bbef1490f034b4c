package dev.whittle.tflite;

import dev.whittle.BackendException;
import dev.whittle.NativeLibraryException;
import dev.whittle.model.TensorType;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.tensorflowlite.global.tensorflowlite;

/** Loading of the bytedeco TFLite natives and the mapping between TFLite's two type enums. */
final class TfliteNative {
    private static final System.Logger LOG = System.getLogger("dev.whittle.tflite");
    private static final String ARTIFACT = "org.bytedeco:tensorflow-lite:2.20.0-1.5.13";

    private static volatile boolean loaded;
    private static Throwable loadFailure;
    private static String libraryPath;

    private TfliteNative() {
    }

    /**
     * Loads the natives once.
     *
     * @throws NativeLibraryException naming the platform jar when they cannot be loaded
     */
    static void ensureLoaded() {
        if (loaded) {
            return;
        }
        synchronized (TfliteNative.class) {
            if (loaded) {
                return;
            }
            if (loadFailure == null) {
                try {
                    String path = Loader.load(tensorflowlite.class);
                    LOG.log(System.Logger.Level.DEBUG, "loaded TFLite natives from {0}", path);
                    libraryPath = path;
                    loaded = true;
                    return;
                } catch (Throwable t) {
                    // UnsatisfiedLinkError, or NoClassDefFoundError when the preset jar is absent
                    loadFailure = t;
                }
            }
            String platform = platformOrUnknown();
            throw new NativeLibraryException("cannot load the TensorFlow Lite native library for platform "
                    + platform + ": " + loadFailure + ". Put " + ARTIFACT + ":" + platform
                    + " (the jar with the natives for this platform) on the class path.", loadFailure);
        }
    }

    /**
     * The file of the loaded TFLite natives (bytedeco's {@code libjnitensorflowlite}), whose
     * C symbols (the XNNPACK and external delegates' C API) are not global: they are looked up
     * in this library.
     */
    static String libraryPath() {
        ensureLoaded();
        return libraryPath;
    }

    private static String platformOrUnknown() {
        try {
            return Loader.getPlatform();
        } catch (Throwable t) {
            return System.getProperty("os.name") + "-" + System.getProperty("os.arch");
        }
    }

    /**
     * Maps a C-API {@code TfLiteType}, whose codes are not the schema's {@code TensorType}
     * codes (kTfLiteFloat32 is 1 there, FLOAT32 is 0 in the schema).
     *
     * @throws BackendException for kTfLiteNoType and codes without a Whittle equivalent
     */
    static TensorType fromTfLiteType(int code, int tensorIndex) {
        return switch (code) {
            case tensorflowlite.kTfLiteFloat32 -> TensorType.FLOAT32;
            case tensorflowlite.kTfLiteInt32 -> TensorType.INT32;
            case tensorflowlite.kTfLiteUInt8 -> TensorType.UINT8;
            case tensorflowlite.kTfLiteInt64 -> TensorType.INT64;
            case tensorflowlite.kTfLiteString -> TensorType.STRING;
            case tensorflowlite.kTfLiteBool -> TensorType.BOOL;
            case tensorflowlite.kTfLiteInt16 -> TensorType.INT16;
            case tensorflowlite.kTfLiteComplex64 -> TensorType.COMPLEX64;
            case tensorflowlite.kTfLiteInt8 -> TensorType.INT8;
            case tensorflowlite.kTfLiteFloat16 -> TensorType.FLOAT16;
            case tensorflowlite.kTfLiteFloat64 -> TensorType.FLOAT64;
            case tensorflowlite.kTfLiteComplex128 -> TensorType.COMPLEX128;
            case tensorflowlite.kTfLiteUInt64 -> TensorType.UINT64;
            case tensorflowlite.kTfLiteResource -> TensorType.RESOURCE;
            case tensorflowlite.kTfLiteVariant -> TensorType.VARIANT;
            case tensorflowlite.kTfLiteUInt32 -> TensorType.UINT32;
            case tensorflowlite.kTfLiteUInt16 -> TensorType.UINT16;
            case tensorflowlite.kTfLiteInt4 -> TensorType.INT4;
            case tensorflowlite.kTfLiteBFloat16 -> TensorType.BFLOAT16;
            default -> throw new BackendException("tensor " + tensorIndex + " has TfLiteType code " + code
                    + (code == tensorflowlite.kTfLiteNoType ? " (kTfLiteNoType)" : "")
                    + ", which has no Whittle TensorType");
        };
    }

    /** The C-API {@code TfLiteType} code for a schema type. */
    static int toTfLiteType(TensorType type) {
        return switch (type) {
            case FLOAT32 -> tensorflowlite.kTfLiteFloat32;
            case INT32 -> tensorflowlite.kTfLiteInt32;
            case UINT8 -> tensorflowlite.kTfLiteUInt8;
            case INT64 -> tensorflowlite.kTfLiteInt64;
            case STRING -> tensorflowlite.kTfLiteString;
            case BOOL -> tensorflowlite.kTfLiteBool;
            case INT16 -> tensorflowlite.kTfLiteInt16;
            case COMPLEX64 -> tensorflowlite.kTfLiteComplex64;
            case INT8 -> tensorflowlite.kTfLiteInt8;
            case FLOAT16 -> tensorflowlite.kTfLiteFloat16;
            case FLOAT64 -> tensorflowlite.kTfLiteFloat64;
            case COMPLEX128 -> tensorflowlite.kTfLiteComplex128;
            case UINT64 -> tensorflowlite.kTfLiteUInt64;
            case RESOURCE -> tensorflowlite.kTfLiteResource;
            case VARIANT -> tensorflowlite.kTfLiteVariant;
            case UINT32 -> tensorflowlite.kTfLiteUInt32;
            case UINT16 -> tensorflowlite.kTfLiteUInt16;
            case INT4 -> tensorflowlite.kTfLiteInt4;
            case BFLOAT16 -> tensorflowlite.kTfLiteBFloat16;
        };
    }
}
