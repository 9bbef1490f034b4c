package dev.whittle.optimize;

import dev.whittle.InvalidInputException;

/**
 * A parameter of an optimization step is unusable (a sparsity outside [0, 1), fewer than two
 * clusters, an M:N pattern that does not divide a layer's channels, a layer pattern that
 * matches nothing). Raised before any weight is touched; the command line reports it as a
 * usage error (exit status 2).
 */
public final class BadParameterException extends InvalidInputException {
    public BadParameterException(String message) {
        super(message);
    }
}
