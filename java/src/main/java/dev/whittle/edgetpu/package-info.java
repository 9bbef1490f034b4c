/**
 * The Coral Edge TPU: {@link dev.whittle.edgetpu.EdgeTpuCheck} applies the Edge TPU compiler's
 * documented rules to a model before the compiler runs (which operators would map, the first
 * that would not and why, the part left on the CPU) and reports what an already compiled model
 * runs where. {@code whittle edgetpu check} prints it.
 */
package dev.whittle.edgetpu;
