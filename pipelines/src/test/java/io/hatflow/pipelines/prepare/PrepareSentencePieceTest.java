package io.hatflow.pipelines.prepare;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hatflow.core.run.Digests;
import io.hatflow.core.text.Normalizer;
import io.hatflow.core.text.SpecialTokens;
import io.hatflow.core.text.SubwordVocabulary;
import io.hatflow.model.text.SentencePieceModels;
import io.hatflow.model.text.SentencePieceVocabulary;
import io.hatflow.model.text.VocabularyFiles;
import io.hatflow.schemas.SentencePair;
import io.hatflow.transforms.prepare.BadCorpusException;
import io.hatflow.transforms.prepare.CorpusFiles;
import io.hatflow.transforms.prepare.RecordDigest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code data.vocab.from} naming a SentencePiece model (or a prepared vocab/ directory holding
 * one): records encoded by it, the model copied as the vocabulary, the same records on Direct and
 * Flink.
 */
class PrepareSentencePieceTest {
  static final int PAIRS = 300;

  @TempDir Path tmp;

  /**
   * The first {@link #PAIRS} bundled Multi30k train pairs, written under tmp; returns the corpus.
   */
  CorpusFiles slice() throws Exception {
    Path en = tmp.resolve("slice.en");
    Path de = tmp.resolve("slice.de");
    Files.write(en, Files.readAllLines(Path.of(TestData.multi30k("train.en"))).subList(0, PAIRS));
    Files.write(de, Files.readAllLines(Path.of(TestData.multi30k("train.de"))).subList(0, PAIRS));
    return CorpusFiles.of(en.toString(), de.toString());
  }

  /** Every character of the slice's normalised text but the space, sorted. */
  static List<String> characters(CorpusFiles c) throws Exception {
    TreeSet<String> chars = new TreeSet<>();
    for (String f : List.of(c.src(), c.tgt())) {
      for (String line : Files.readAllLines(Path.of(f))) {
        Normalizer.normalize(line)
            .codePoints()
            .filter(cp -> cp != ' ')
            .forEach(cp -> chars.add(new String(Character.toChars(cp))));
      }
    }
    return List.copyOf(chars);
  }

  @Test
  void encodesWithTheGivenModelOnDirectAndFlink() throws Exception {
    CorpusFiles corpus = slice();
    List<String> chars = characters(corpus);
    byte[] model = SentencePieceModels.charModel(chars);
    Path modelFile = tmp.resolve("user.model");
    Files.write(modelFile, model);
    PrepareConfig cfg =
        PrepareConfig.defaults(corpus, tmp.resolve("direct").toString())
            .withCarveSizes(20, 20)
            .withShards(1)
            .withVocabFrom(modelFile.toString());

    PrepareResult direct = PreparePipeline.run(cfg, PipelineOptionsFactory.create());
    // <unk> <s> </s> ▁ and the characters, then our 4 reserved ids
    assertEquals(4 + chars.size() + SpecialTokens.COUNT, direct.vocabSize());
    assertEquals(Digests.sha256(model), direct.vocabDigest());
    Path vocabDir = tmp.resolve("direct").resolve(PreparePipeline.VOCAB_DIR);
    try (Stream<Path> s = Files.list(vocabDir)) {
      assertEquals(
          List.of(VocabularyFiles.SENTENCEPIECE_FILE),
          s.map(p -> p.getFileName().toString()).toList());
    }
    assertArrayEquals(
        model, Files.readAllBytes(vocabDir.resolve(VocabularyFiles.SENTENCEPIECE_FILE)));
    // what train reads for the embedding size
    assertEquals(direct.vocabSize(), VocabularyFiles.read(vocabDir).size());

    List<SentencePair> all = new ArrayList<>();
    try (SubwordVocabulary v = VocabularyFiles.load(vocabDir)) {
      assertInstanceOf(SentencePieceVocabulary.class, v);
      for (String split : PreparePipeline.SPLITS) {
        List<SentencePair> recs = PreparePipelineTest.readAll(tmp.resolve("direct"), split);
        assertEquals(direct.split(split).kept(), recs.size());
        assertFalse(recs.isEmpty(), split);
        for (SentencePair p : recs) {
          for (String side : List.of("src", "tgt")) {
            String text = side.equals("src") ? p.getSrc() : p.getTgt();
            int[] ids =
                (side.equals("src") ? p.getSrcIds() : p.getTgtIds())
                    .stream().mapToInt(Integer::intValue).toArray();
            assertEquals(text, v.decode(ids));
            // a CHAR model: one piece per character and one ▁ per word, none unknown
            assertEquals(
                text.replace(" ", "").codePointCount(0, text.replace(" ", "").length())
                    + text.split(" ").length,
                ids.length,
                text);
            for (int id : ids) {
              assertTrue(id >= SpecialTokens.COUNT && id < direct.vocabSize(), text + ": id " + id);
            }
          }
        }
        all.addAll(recs);
      }
    }
    assertEquals(RecordDigest.of(all), direct.recordDigest());

    FlinkPipelineOptions o = PipelineOptionsFactory.as(FlinkPipelineOptions.class);
    o.setRunner(FlinkRunner.class);
    o.setFlinkMaster("[local]");
    o.setParallelism(2);
    // the first run's vocab/ directory as data.vocab.from works like the model it holds
    PrepareResult flink =
        PreparePipeline.run(
            cfg.withOutputDir(tmp.resolve("flink").toString()).withVocabFrom(vocabDir.toString()),
            o);
    assertEquals(direct.recordDigest(), flink.recordDigest());
    assertEquals(direct.vocabDigest(), flink.vocabDigest());
    assertEquals(direct.splits(), flink.splits());
  }

  @Test
  void aVocabFromThatIsNeitherKindIsRefusedNamingFieldAndPath() throws Exception {
    CorpusFiles corpus = slice();
    Path text = tmp.resolve("notes.model");
    Files.writeString(text, "this is not a SentencePiece model\n");
    Path empty = Files.createDirectory(tmp.resolve("emptydir"));
    Path missing = tmp.resolve("missing.model");
    for (Path from : List.of(text, empty, missing)) {
      PrepareConfig cfg =
          PrepareConfig.defaults(corpus, tmp.resolve("out").toString())
              .withVocabFrom(from.toString());
      BadCorpusException e =
          assertThrows(
              BadCorpusException.class,
              () -> PreparePipeline.run(cfg, PipelineOptionsFactory.create()));
      if (from == text) {
        assertEquals(
            "data.vocab.from: "
                + from
                + " is not a SentencePiece model (protobuf wire type 4) nor a "
                + "vocabulary directory",
            e.getMessage());
      } else {
        assertTrue(
            e.getMessage()
                .startsWith(
                    "data.vocab.from: "
                        + from
                        + " is neither a vocabulary directory (with "
                        + "vocab.txt and merges.txt) nor a readable SentencePiece model file: "),
            e.getMessage());
      }
      assertFalse(Files.exists(tmp.resolve("out")));
    }
  }
}
