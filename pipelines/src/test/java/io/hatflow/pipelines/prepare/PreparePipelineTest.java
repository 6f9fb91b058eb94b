package io.hatflow.pipelines.prepare;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hatflow.core.text.Normalizer;
import io.hatflow.core.text.SpecialTokens;
import io.hatflow.core.text.Vocabulary;
import io.hatflow.schemas.SentencePair;
import io.hatflow.transforms.prepare.CorpusFiles;
import io.hatflow.transforms.prepare.PairRules;
import io.hatflow.transforms.prepare.PairRules.DropReason;
import io.hatflow.transforms.prepare.RecordDigest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreparePipelineTest {
  static PrepareConfig multi30k(Path out) {
    return PrepareConfig.defaults(
            CorpusFiles.of(TestData.multi30k("train.en"), TestData.multi30k("train.de")),
            out.toString())
        .withValid(CorpusFiles.of(TestData.multi30k("valid.en"), TestData.multi30k("valid.de")))
        .withTest(CorpusFiles.of(TestData.multi30k("test.en"), TestData.multi30k("test.de")))
        .withVocabSize(2000)
        .withShards(2);
  }

  static List<SentencePair> readAll(Path dir, String split) throws Exception {
    List<SentencePair> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f :
          files.filter(f -> f.getFileName().toString().startsWith(split + "-")).sorted().toList()) {
        try (DataFileReader<SentencePair> r =
            new DataFileReader<>(f.toFile(), new SpecificDatumReader<>(SentencePair.class))) {
          r.forEach(out::add);
        }
      }
    }
    return out;
  }

  @Test
  void directAndFlinkWriteTheSameRecords(@TempDir Path tmp) throws Exception {
    PrepareResult direct =
        PreparePipeline.run(multi30k(tmp.resolve("direct")), PipelineOptionsFactory.create());

    // layout: two shards per split, the vocabulary and the stats; nothing else, no temp dirs left
    Set<String> names = new HashSet<>();
    try (Stream<Path> s = Files.walk(tmp.resolve("direct"))) {
      s.filter(Files::isRegularFile)
          .forEach(p -> names.add(tmp.resolve("direct").relativize(p).toString()));
    }
    assertEquals(
        Set.of(
            "train-00000-of-00002.avro",
            "train-00001-of-00002.avro",
            "valid-00000-of-00002.avro",
            "valid-00001-of-00002.avro",
            "test-00000-of-00002.avro",
            "test-00001-of-00002.avro",
            "vocab/vocab.txt",
            "vocab/merges.txt",
            "stats.tsv"),
        names);
    try (Stream<Path> s = Files.list(tmp)) {
      assertEquals(List.of("direct"), s.map(p -> p.getFileName().toString()).toList());
    }

    // counts: every input pair is kept or dropped for a reason; valid/test keep everything
    // non-empty
    PrepareResult.SplitCounts train = direct.split("train");
    long trainDropped = train.dropped().values().stream().mapToLong(Long::longValue).sum();
    assertEquals(3000, train.kept() + trainDropped);
    assertTrue(train.kept() > 2000, "kept " + train.kept());
    assertTrue(
        train.dropped(DropReason.RATIO) > 0, "max_ratio 1.5 drops some pairs: " + train.dropped());
    assertEquals(
        300, direct.split("valid").kept() + direct.split("valid").dropped(DropReason.DUPLICATE));
    assertEquals(
        300, direct.split("test").kept() + direct.split("test").dropped(DropReason.DUPLICATE));
    assertEquals(2000, direct.vocabSize());

    // records: decode back to the normalised text, ids and buckets as the rules say, digest matches
    // the files
    Vocabulary v = Vocabulary.load(tmp.resolve("direct").resolve("vocab"));
    assertEquals(direct.vocabDigest(), v.digest());
    List<SentencePair> all = new ArrayList<>();
    int unknown = 0;
    for (String split : PreparePipeline.SPLITS) {
      List<SentencePair> recs = readAll(tmp.resolve("direct"), split);
      assertEquals(direct.split(split).kept(), recs.size());
      for (SentencePair p : recs) {
        assertEquals(split, p.getSplit());
        assertEquals(p.getSrc(), Normalizer.normalize(p.getSrc()));
        assertEquals(PairRules.pairId(p.getSrc(), p.getTgt()), p.getId());
        // text round-trips unless it has a character never seen in train (then <unk>, which decode
        // skips)
        if (!p.getSrcIds().contains(SpecialTokens.UNK)) {
          assertEquals(
              p.getSrc(), v.decode(p.getSrcIds().stream().mapToInt(Integer::intValue).toArray()));
        } else {
          unknown++;
        }
        if (!p.getTgtIds().contains(SpecialTokens.UNK)) {
          assertEquals(
              p.getTgt(), v.decode(p.getTgtIds().stream().mapToInt(Integer::intValue).toArray()));
        } else {
          unknown++;
        }
        if (split.equals("train")) {
          assertFalse(
              p.getSrcIds().contains(SpecialTokens.UNK)
                  || p.getTgtIds().contains(SpecialTokens.UNK));
        }
        assertArrayEquals(
            v.encode(p.getTgt()), p.getTgtIds().stream().mapToInt(Integer::intValue).toArray());
        assertEquals(p.getSrcIds().size(), p.getSrcLen());
        assertEquals(
            PairRules.bucketOf(p.getSrcLen(), p.getTgtLen(), PrepareConfig.DEFAULT_BUCKET_BOUNDS),
            p.getBucket());
      }
      all.addAll(recs);
    }
    assertTrue(unknown < 10, unknown + " sentences with unseen characters");
    assertEquals(RecordDigest.of(all), direct.recordDigest());

    FlinkPipelineOptions o = PipelineOptionsFactory.as(FlinkPipelineOptions.class);
    o.setRunner(FlinkRunner.class);
    o.setFlinkMaster("[local]");
    o.setParallelism(2);
    PrepareResult flink = PreparePipeline.run(multi30k(tmp.resolve("flink")), o);
    assertEquals(direct.recordDigest(), flink.recordDigest());
    assertEquals(direct.vocabDigest(), flink.vocabDigest());
    assertEquals(direct.splits(), flink.splits());
  }

  @Test
  void carvesValidAndTestFromATsvAndReusesAGivenVocabulary(@TempDir Path tmp) throws Exception {
    List<String> en = Files.readAllLines(Path.of(TestData.multi30k("valid.en")));
    List<String> de = Files.readAllLines(Path.of(TestData.multi30k("valid.de")));
    List<String> tsv = new ArrayList<>();
    for (int i = 0; i < en.size(); i++) {
      tsv.add(en.get(i) + "\t" + de.get(i));
    }
    Path f = tmp.resolve("corpus.tsv");
    Files.write(f, tsv);
    PrepareConfig cfg =
        PrepareConfig.defaults(CorpusFiles.tsv(f.toString()), tmp.resolve("a").toString())
            .withCarveSizes(20, 10)
            .withVocabSize(500)
            .withShards(1);
    PipelineOptions opts = PipelineOptionsFactory.create();
    PrepareResult a = PreparePipeline.run(cfg, opts);
    assertEquals(20, a.split("valid").kept());
    assertEquals(10, a.split("test").kept());
    assertEquals(500, a.vocabSize());
    // the carved pairs are the ones with the smallest ids
    List<String> validIds =
        readAll(tmp.resolve("a"), "valid").stream().map(SentencePair::getId).sorted().toList();
    List<String> trainIds =
        readAll(tmp.resolve("a"), "train").stream().map(SentencePair::getId).sorted().toList();
    assertTrue(validIds.get(validIds.size() - 1).compareTo(trainIds.get(0)) < 0);

    // same data with the first run's vocabulary: same vocabulary digest, same records
    PrepareResult b =
        PreparePipeline.run(
            cfg.withOutputDir(tmp.resolve("b").toString())
                .withVocabFrom(tmp.resolve("a").resolve("vocab").toString())
                .withVocabSize(99_999),
            opts);
    assertEquals(a.vocabDigest(), b.vocabDigest());
    assertEquals(a.recordDigest(), b.recordDigest());

    // re-running into an existing directory replaces it whole
    PrepareResult again = PreparePipeline.run(cfg, opts);
    assertEquals(a.recordDigest(), again.recordDigest());
    assertFalse(Files.exists(tmp.resolve("a").resolve("x")));
  }
}
