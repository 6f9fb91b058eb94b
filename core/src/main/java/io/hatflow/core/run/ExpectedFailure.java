package io.hatflow.core.run;

/**
 * Marks a failure that is a known condition of the environment, not a bug and not bad input (the
 * run directory is locked, an upstream output changed, a cached entry is damaged): its message says
 * what to do, so the CLI prints it as one line and exits 1 without a stack trace (unless {@code
 * --debug}).
 */
public interface ExpectedFailure {}
