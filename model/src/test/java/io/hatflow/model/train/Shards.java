package io.hatflow.model.train;

import io.hatflow.core.text.SpecialTokens;
import io.hatflow.schemas.SentencePair;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * Synthetic SentencePair shards for tests: the target is the reversed source with every id shifted
 * by one.
 */
public final class Shards {
  private Shards() {}

  public static void write(
      Path dir, String split, int files, int pairsPerFile, int vocab, long seed)
      throws IOException {
    Random r = new Random(seed);
    java.nio.file.Files.createDirectories(dir);
    for (int f = 0; f < files; f++) {
      try (DataFileWriter<SentencePair> w =
          new DataFileWriter<>(new SpecificDatumWriter<>(SentencePair.class))) {
        w.create(SentencePair.getClassSchema(), dir.resolve(split + "-" + f + ".avro").toFile());
        for (int i = 0; i < pairsPerFile; i++) {
          int n = 2 + r.nextInt(7);
          List<Integer> src = new ArrayList<>();
          for (int j = 0; j < n; j++) {
            src.add(SpecialTokens.COUNT + r.nextInt(vocab - SpecialTokens.COUNT - 1));
          }
          List<Integer> tgt = new ArrayList<>();
          for (int j = n - 1; j >= 0; j--) {
            tgt.add(src.get(j) + 1);
          }
          w.append(
              SentencePair.newBuilder()
                  .setId(split + f + "-" + i)
                  .setSplit(split)
                  .setSrc("s")
                  .setTgt("t")
                  .setSrcIds(src)
                  .setTgtIds(tgt)
                  .setSrcLen(n)
                  .setTgtLen(n)
                  .setBucket(n / 4)
                  .build());
        }
      }
    }
  }
}
