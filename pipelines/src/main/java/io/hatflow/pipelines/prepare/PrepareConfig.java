package io.hatflow.pipelines.prepare;

import io.hatflow.core.run.UserInputException;
import io.hatflow.transforms.prepare.CorpusFiles;
import java.io.Serializable;
import java.util.List;

/**
 * What prepare reads and how (the spec's {@code data} section). Immutable; build with {@link
 * #defaults} and the {@code with*} methods.
 *
 * @param train training text (required)
 * @param valid validation text, or null to carve {@code validSize} pairs out of train
 * @param test test text, or null to carve {@code testSize} pairs out of train
 * @param vocabSize BPE vocabulary size including the 4 reserved ids (default 8000); ignored with
 *     {@code vocabFrom}
 * @param vocabFrom a vocabulary to use instead of learning one, or null (default): a directory
 *     holding ours ({@code vocab.txt}, {@code merges.txt}) or a SentencePiece model file ({@code
 *     *.model}); local or gs://
 * @param maxTokens train pairs with more subwords on a side are dropped (default 256)
 * @param maxRatio train pairs whose longer side is more than this times the shorter are dropped
 *     (default 1.5)
 * @param shards Avro files per split (default 4)
 * @param validSize pairs carved from train for valid when {@code valid} is null (default 1000)
 * @param testSize pairs carved from train for test when {@code test} is null (default 1000)
 * @param bucketBounds increasing length bounds; a pair's bucket is the index of the first bound >=
 *     its longer side, or {@code bucketBounds.size()} (default 8, 16, 24, 32, 48, 64, 96, 128, 256)
 * @param outputDir where the shards, vocabulary and stats go (local path or gs://); written to a
 *     temporary sibling and renamed when complete; an existing directory there is replaced
 */
public record PrepareConfig(
    CorpusFiles train,
    CorpusFiles valid,
    CorpusFiles test,
    int vocabSize,
    String vocabFrom,
    int maxTokens,
    double maxRatio,
    int shards,
    int validSize,
    int testSize,
    List<Integer> bucketBounds,
    String outputDir)
    implements Serializable {

  public static final int DEFAULT_VOCAB_SIZE = 8000;
  public static final int DEFAULT_MAX_TOKENS = 256;
  public static final double DEFAULT_MAX_RATIO = 1.5;
  public static final int DEFAULT_SHARDS = 4;
  public static final int DEFAULT_CARVE_SIZE = 1000;
  public static final List<Integer> DEFAULT_BUCKET_BOUNDS =
      List.of(8, 16, 24, 32, 48, 64, 96, 128, 256);

  public PrepareConfig {
    if (train == null) {
      throw new UserInputException("data.train is required");
    }
    if (outputDir == null || outputDir.isBlank()) {
      throw new UserInputException("prepare needs an output directory");
    }
    if (vocabFrom == null && vocabSize < 4 + 1) {
      throw new UserInputException(
          "data.vocab.size must be > 4 (the reserved ids), got " + vocabSize);
    }
    if (maxTokens < 1) {
      throw new UserInputException("data.max_tokens must be >= 1, got " + maxTokens);
    }
    if (!(maxRatio >= 1.0)) {
      throw new UserInputException("data.max_ratio must be >= 1.0, got " + maxRatio);
    }
    if (shards < 1) {
      throw new UserInputException("data.shards must be >= 1, got " + shards);
    }
    if (validSize < 0 || testSize < 0) {
      throw new UserInputException(
          "valid/test sizes must be >= 0, got " + validSize + ", " + testSize);
    }
    bucketBounds = List.copyOf(bucketBounds);
    for (int i = 0; i < bucketBounds.size(); i++) {
      if (bucketBounds.get(i) < 1 || (i > 0 && bucketBounds.get(i) <= bucketBounds.get(i - 1))) {
        throw new UserInputException(
            "bucket bounds must be positive and increasing: " + bucketBounds);
      }
    }
  }

  /** Defaults for everything but the training text and the output directory. */
  public static PrepareConfig defaults(CorpusFiles train, String outputDir) {
    return new PrepareConfig(
        train,
        null,
        null,
        DEFAULT_VOCAB_SIZE,
        null,
        DEFAULT_MAX_TOKENS,
        DEFAULT_MAX_RATIO,
        DEFAULT_SHARDS,
        DEFAULT_CARVE_SIZE,
        DEFAULT_CARVE_SIZE,
        DEFAULT_BUCKET_BOUNDS,
        outputDir);
  }

  public PrepareConfig withValid(CorpusFiles v) {
    return new PrepareConfig(
        train,
        v,
        test,
        vocabSize,
        vocabFrom,
        maxTokens,
        maxRatio,
        shards,
        validSize,
        testSize,
        bucketBounds,
        outputDir);
  }

  public PrepareConfig withTest(CorpusFiles t) {
    return new PrepareConfig(
        train,
        valid,
        t,
        vocabSize,
        vocabFrom,
        maxTokens,
        maxRatio,
        shards,
        validSize,
        testSize,
        bucketBounds,
        outputDir);
  }

  public PrepareConfig withVocabSize(int n) {
    return new PrepareConfig(
        train,
        valid,
        test,
        n,
        vocabFrom,
        maxTokens,
        maxRatio,
        shards,
        validSize,
        testSize,
        bucketBounds,
        outputDir);
  }

  /** Our vocabulary directory or a SentencePiece model file. */
  public PrepareConfig withVocabFrom(String dirOrModel) {
    return new PrepareConfig(
        train,
        valid,
        test,
        vocabSize,
        dirOrModel,
        maxTokens,
        maxRatio,
        shards,
        validSize,
        testSize,
        bucketBounds,
        outputDir);
  }

  public PrepareConfig withMaxTokens(int n) {
    return new PrepareConfig(
        train,
        valid,
        test,
        vocabSize,
        vocabFrom,
        n,
        maxRatio,
        shards,
        validSize,
        testSize,
        bucketBounds,
        outputDir);
  }

  public PrepareConfig withMaxRatio(double r) {
    return new PrepareConfig(
        train,
        valid,
        test,
        vocabSize,
        vocabFrom,
        maxTokens,
        r,
        shards,
        validSize,
        testSize,
        bucketBounds,
        outputDir);
  }

  public PrepareConfig withShards(int n) {
    return new PrepareConfig(
        train,
        valid,
        test,
        vocabSize,
        vocabFrom,
        maxTokens,
        maxRatio,
        n,
        validSize,
        testSize,
        bucketBounds,
        outputDir);
  }

  public PrepareConfig withCarveSizes(int valid, int test) {
    return new PrepareConfig(
        train,
        this.valid,
        this.test,
        vocabSize,
        vocabFrom,
        maxTokens,
        maxRatio,
        shards,
        valid,
        test,
        bucketBounds,
        outputDir);
  }

  public PrepareConfig withBucketBounds(List<Integer> b) {
    return new PrepareConfig(
        train, valid, test, vocabSize, vocabFrom, maxTokens, maxRatio, shards, validSize, testSize,
        b, outputDir);
  }

  public PrepareConfig withOutputDir(String dir) {
    return new PrepareConfig(
        train,
        valid,
        test,
        vocabSize,
        vocabFrom,
        maxTokens,
        maxRatio,
        shards,
        validSize,
        testSize,
        bucketBounds,
        dir);
  }
}
