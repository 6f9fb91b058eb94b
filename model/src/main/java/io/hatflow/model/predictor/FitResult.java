package io.hatflow.model.predictor;

/**
 * A fitted predictor and how well it did on each part of the split.
 *
 * @param selection how hyperparameters were chosen (on the valid rows), for the report
 */
public record FitResult(
    FittedModel predictor,
    Metrics train,
    Metrics valid,
    Metrics test,
    double fitSeconds,
    long seed,
    String selection) {}
