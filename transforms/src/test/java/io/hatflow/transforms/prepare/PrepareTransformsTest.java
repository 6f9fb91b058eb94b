package io.hatflow.transforms.prepare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.hatflow.model.text.VocabularyFiles;
import io.hatflow.schemas.SentencePair;
import io.hatflow.transforms.prepare.PairRules.DropReason;
import io.hatflow.transforms.testing.TestPipelineExtension;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class PrepareTransformsTest {
  private static int creates;

  /**
   * One pipeline per test, checked by Beam's rule: it must run, and every PAssert in it with it.
   */
  final transient TestPipeline p = TestPipeline.create();

  static SentencePair raw(String split, String src, String tgt) {
    return PairRules.rawPair(split, src, tgt);
  }

  static PCollection<SentencePair> of(TestPipeline p, List<SentencePair> pairs) {
    return p.apply(
        "Create" + (++creates), Create.of(pairs).withCoder(AvroCoder.specific(SentencePair.class)));
  }

  @Test
  void pureRules() {
    assertEquals(16, PairRules.pairId("a", "b").length());
    assertEquals(PairRules.pairId("a b", "c"), PairRules.pairId("a b", "c"));
    assertEquals(DropReason.EMPTY, PairRules.dropReason(0, 3, false, 10, 1.5));
    assertNull(
        PairRules.dropReason(1, 30, false, 10, 1.5), "valid/test keep long and unbalanced pairs");
    assertEquals(DropReason.TOO_LONG, PairRules.dropReason(11, 10, true, 10, 1.5));
    assertEquals(DropReason.RATIO, PairRules.dropReason(2, 4, true, 10, 1.5));
    assertNull(PairRules.dropReason(2, 3, true, 10, 1.5));
    assertEquals(0, PairRules.bucketOf(3, 8, List.of(8, 16)));
    assertEquals(1, PairRules.bucketOf(9, 2, List.of(8, 16)));
    assertEquals(2, PairRules.bucketOf(17, 2, List.of(8, 16)));
    assertEquals(
        Map.of("x", "valid", "y", "valid", "z", "test"),
        SplitPairs.assignment(List.of("x", "y", "z"), 2));
  }

  @Test
  void normalizeAndDropDuplicates() {
    PCollectionTuple out =
        of(
                p,
                List.of(
                    raw("train", "A  man .", "Ein Mann ."),
                    raw("train", " A man . ", "Ein\tMann ."),
                    raw("valid", "A man .", "Ein Mann ."),
                    raw("train", "Cafe\u0301", "Caf\u00e9")))
            .apply(NormalizePairs.create())
            .apply(DropDuplicates.create());
    PAssert.that(
            out.get(PrepareTags.KEPT)
                .apply(
                    MapElements.into(TypeDescriptors.strings())
                        .via(
                            (SentencePair x) ->
                                x.getSplit()
                                    + "|"
                                    + x.getSrc()
                                    + "|"
                                    + x.getTgt()
                                    + "|"
                                    + x.getId())))
        .containsInAnyOrder(
            "train|A man .|Ein Mann .|" + PairRules.pairId("A man .", "Ein Mann ."),
            "valid|A man .|Ein Mann .|" + PairRules.pairId("A man .", "Ein Mann ."),
            "train|Caf\u00e9|Caf\u00e9|" + PairRules.pairId("Caf\u00e9", "Caf\u00e9"));
    PAssert.that(out.get(PrepareTags.DROPPED)).containsInAnyOrder("train/duplicate");
    p.run().waitUntilFinish();
  }

  @Test
  void learnEncodeFilterBucket() {
    List<SentencePair> pairs = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      pairs.add(
          NormalizePairs.normalize(
              raw("train", "the cat sat on the mat " + i, "die Katze sass auf der Matte " + i)));
    }
    pairs.add(NormalizePairs.normalize(raw("train", "cat", "die Katze sass auf der Matte")));
    pairs.add(NormalizePairs.normalize(raw("train", "", "leer")));
    pairs.add(NormalizePairs.normalize(raw("test", "cat", "die Katze sass auf der Matte")));
    PCollection<SentencePair> in = of(p, pairs);
    PCollection<VocabularyFiles> vocab = in.apply(CountWords.create()).apply(LearnBpe.of(60));
    PCollectionTuple filtered =
        in.apply(EncodePairs.with(vocab.apply(View.asSingleton()))).apply(FilterPairs.of(40, 1.5));
    PCollection<SentencePair> kept =
        filtered.get(PrepareTags.KEPT).apply(AssignBuckets.of(List.of(4, 8)));
    PAssert.that(filtered.get(PrepareTags.DROPPED))
        .containsInAnyOrder("train/ratio", "train/empty");
    PAssert.that(kept.apply(Count.globally())).containsInAnyOrder(51L);
    PAssert.that(
            vocab.apply(MapElements.into(TypeDescriptors.integers()).via(VocabularyFiles::size)))
        .containsInAnyOrder(60);
    PAssert.that(kept)
        .satisfies(
            records -> {
              for (SentencePair r : records) {
                assertEquals(r.getSrcIds().size(), (int) r.getSrcLen());
                assertEquals(
                    PairRules.bucketOf(r.getSrcLen(), r.getTgtLen(), List.of(4, 8)),
                    (int) r.getBucket());
              }
              return null;
            });
    p.run().waitUntilFinish();
  }

  @Test
  void carvesExactSizesByIdAndDigestIsOrderFree() {
    List<SentencePair> pairs = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      pairs.add(NormalizePairs.normalize(raw("train", "s" + i, "t" + i)));
    }
    List<String> ids = new ArrayList<>(pairs.stream().map(SentencePair::getId).sorted().toList());
    PCollection<SentencePair> split = of(p, pairs).apply(SplitPairs.of(7, 5));
    PAssert.that(
            split
                .apply(
                    MapElements.into(TypeDescriptors.strings())
                        .via(x -> x.getSplit() + " " + x.getId()))
                .apply(org.apache.beam.sdk.transforms.Filter.by(s -> !s.startsWith("train"))))
        .satisfies(
            got -> {
              List<String> want = new ArrayList<>();
              for (int i = 0; i < 12; i++) {
                want.add((i < 7 ? "valid " : "test ") + ids.get(i));
              }
              List<String> g = new ArrayList<>();
              got.forEach(g::add);
              Collections.sort(g);
              Collections.sort(want);
              assertEquals(want, g);
              return null;
            });
    PAssert.that(of(p, pairs).apply(RecordDigest.create()))
        .containsInAnyOrder(RecordDigest.of(pairs));
    p.run().waitUntilFinish();

    List<SentencePair> shuffled = new ArrayList<>(pairs);
    Collections.shuffle(shuffled, new java.util.Random(1));
    assertEquals(RecordDigest.of(pairs), RecordDigest.of(shuffled));
    shuffled.set(0, SentencePair.newBuilder(shuffled.get(0)).setBucket(9).build());
    org.junit.jupiter.api.Assertions.assertNotEquals(
        RecordDigest.of(pairs), RecordDigest.of(shuffled));
  }
}
