package io.hatflow.transforms.latency;

import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import java.io.Serializable;

/**
 * How {@link MeasureLatency} times configs: the SuperTransformer the configs are cut from (the
 * target's latency space, random weights: latency depends on shapes, not values), HAT's protocol
 * settings and the thread count. Plain values only, so the DoFn serialises on any runner.
 *
 * @param target the hardware target's name (written into every record)
 * @param hostKey the one key all timings of this machine share (see {@link MeasureLatency})
 * @param shapeGenes the SuperTransformer shape (the latency space's largest config) as gene JSON
 * @param vocabSize output vocabulary of the timed model (the projection is part of HAT's decoder
 *     latency)
 * @param modelSeed seed of the random weights
 * @param maxRuns the most timed runs ({@code runs} is then the minimum; equal: HAT's fixed
 *     protocol)
 */
public record MeasureSettings(
    String target,
    String hostKey,
    String shapeGenes,
    int qkvDim,
    int vocabSize,
    int tokens,
    int beam,
    int warmup,
    int runs,
    double trim,
    int threads,
    long modelSeed,
    String engine,
    int maxRuns)
    implements Serializable {

  public MeasureSettings {
    if (threads < 1 || runs < 1 || warmup < 0 || tokens < 1 || beam < 1) {
      throw new IllegalArgumentException(
          "threads, runs, tokens, beam >= 1 and warmup >= 0 required");
    }
    if (maxRuns < runs) {
      throw new IllegalArgumentException(
          "maxRuns must be at least runs (" + runs + "), got " + maxRuns);
    }
    if (!java.util.List.of("djl", "onnx-fp32", "onnx-int8").contains(engine)) {
      throw new IllegalArgumentException(
          "engine must be djl, onnx-fp32 or onnx-int8, got " + engine);
    }
  }

  /** Timed on DJL. */
  public MeasureSettings(
      String target,
      String hostKey,
      String shapeGenes,
      int qkvDim,
      int vocabSize,
      int tokens,
      int beam,
      int warmup,
      int runs,
      double trim,
      int threads,
      long modelSeed) {
    this(
        target,
        hostKey,
        shapeGenes,
        qkvDim,
        vocabSize,
        tokens,
        beam,
        warmup,
        runs,
        trim,
        threads,
        modelSeed,
        "djl",
        runs);
  }

  /**
   * HAT's protocol for {@code space}: 30 source tokens (23 for IWSLT-like spaces) unless {@code
   * srcTokens} &gt; 0, 10% trim; the host key is this machine's name.
   */
  public static MeasureSettings of(
      String target,
      SearchSpace space,
      int vocabSize,
      int srcTokens,
      int beam,
      int warmup,
      int runs,
      int threads,
      long modelSeed) {
    int tokens = srcTokens > 0 ? srcTokens : space.dummyTokens();
    return new MeasureSettings(
        target,
        io.hatflow.core.run.Host.name(),
        LatencyRecords.genesJson(space.largest()),
        space.qkvDim(),
        vocabSize,
        tokens,
        beam,
        warmup,
        runs,
        0.1,
        threads,
        modelSeed);
  }

  /** The same settings timed on {@code engine} (djl, onnx-fp32 or onnx-int8). */
  public MeasureSettings withEngine(String engine) {
    return new MeasureSettings(
        target,
        hostKey,
        shapeGenes,
        qkvDim,
        vocabSize,
        tokens,
        beam,
        warmup,
        runs,
        trim,
        threads,
        modelSeed,
        engine,
        maxRuns);
  }

  /** The same settings timing adaptively up to {@code max} runs. */
  public MeasureSettings withMaxRuns(int max) {
    return new MeasureSettings(
        target,
        hostKey,
        shapeGenes,
        qkvDim,
        vocabSize,
        tokens,
        beam,
        warmup,
        runs,
        trim,
        threads,
        modelSeed,
        engine,
        max);
  }

  public SubConfig shape() {
    return LatencyRecords.fromGenesJson(shapeGenes);
  }

  public MeasureSettings withHostKey(String key) {
    return new MeasureSettings(
        target,
        key,
        shapeGenes,
        qkvDim,
        vocabSize,
        tokens,
        beam,
        warmup,
        runs,
        trim,
        threads,
        modelSeed,
        engine,
        maxRuns);
  }
}
