/**
 * Reference kernels: plain scalar Java, written to be obviously right and slow on purpose.
 * Each one reproduces what TFLite 2.20's builtin kernel computes (XNNPACK off), bit for bit
 * for integer outputs. They are the oracle every faster kernel is tested against and are
 * never optimized. Names follow XNNPACK's {@code dtype_op__isa} scheme.
 */
package dev.whittle.runtime.kernels.reference;
