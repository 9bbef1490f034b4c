/**
 * TFLite's quantized integer arithmetic, written as plain scalar Java so that every
 * kernel built on it can be bit-exact with TFLite's integer reference kernels.
 *
 * <p>Everything here mirrors the default TFLite build, where {@code TFLITE_SINGLE_ROUNDING}
 * is off: multipliers are applied with gemmlowp's double-rounding scheme
 * (a rounding doubling high multiply followed by a rounding right shift). Each public
 * method's javadoc names the TFLite or gemmlowp function it mirrors and its rounding rule.
 *
 * <p>Java's {@code int} arithmetic wraps on overflow, which is what the C++ code does in
 * practice on every target TFLite supports; where the C++ relies on that, so does this code.
 */
package dev.whittle.runtime.quant;
