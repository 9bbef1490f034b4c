package dev.whittle.model;

/** A named metadata entry pointing at a buffer (schema {@code Metadata}). */
public record Metadata(String name, int buffer) {
}
