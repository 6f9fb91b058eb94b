package io.hatflow.transforms.prepare;

import io.hatflow.schemas.SentencePair;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.extensions.avro.io.AvroIO;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.WriteFilesResult;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;

/**
 * Writes pairs as Avro, {@code shards} files per split: {@code <dir>/<split>-SSSSS-of-NNNNN.avro}.
 */
public final class WriteShards
    extends PTransform<PCollection<SentencePair>, WriteFilesResult<String>> {
  private final String dir;
  private final int shards;

  private WriteShards(String dir, int shards) {
    if (shards < 1) {
      throw new IllegalArgumentException("shards must be >= 1, got " + shards);
    }
    this.dir = dir;
    this.shards = shards;
  }

  public static WriteShards to(String dir, int shards) {
    return new WriteShards(dir, shards);
  }

  @Override
  public WriteFilesResult<String> expand(PCollection<SentencePair> pairs) {
    return pairs.apply(
        "WriteAvro",
        FileIO.<String, SentencePair>writeDynamic()
            .by(SentencePair::getSplit)
            .withDestinationCoder(StringUtf8Coder.of())
            .via(AvroIO.sink(SentencePair.class))
            .to(dir)
            .withNaming(split -> FileIO.Write.defaultNaming(split, ".avro"))
            .withNumShards(shards));
  }
}
