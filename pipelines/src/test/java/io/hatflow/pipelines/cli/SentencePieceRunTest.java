package io.hatflow.pipelines.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hatflow.core.run.Digests;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.text.Normalizer;
import io.hatflow.core.text.SpecialTokens;
import io.hatflow.model.extract.SubTransformerModel;
import io.hatflow.model.text.SentencePieceModels;
import io.hatflow.model.train.SuperTransformerCheckpoint;
import io.hatflow.pipelines.cli.HatflowCliTest.Out;
import io.hatflow.pipelines.stages.TrainStage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's SentencePiece model through the stages that read the vocabulary: prepare records it as
 * an input and copies it, train sizes the embeddings from it, translate finds it beside the run and
 * decodes with it.
 */
class SentencePieceRunTest {
  @TempDir Path tmp;

  @Test
  void prepareTrainAndTranslateWithASentencePieceModel() throws Exception {
    Path t = HatflowCliTest.testdata().resolve("multi30k");
    Set<String> chars = new TreeSet<>();
    for (String f : List.of("valid.en", "valid.de")) {
      for (String line : Files.readAllLines(t.resolve(f))) {
        Normalizer.normalize(line)
            .codePoints()
            .filter(c -> c != ' ')
            .forEach(c -> chars.add(Character.toString(c)));
      }
    }
    byte[] model = SentencePieceModels.charModel(List.copyOf(chars));
    Path modelFile = tmp.resolve("chars.model");
    Files.write(modelFile, model);
    Path spec = tmp.resolve("sp.yaml");
    Files.writeString(
        spec,
        String.join(
            "\n",
            "version: 1",
            "name: sp",
            "data:",
            "  train: {src: " + t.resolve("valid.en") + ", tgt: " + t.resolve("valid.de") + "}",
            "  valid_size: 20",
            "  test_size: 20",
            "  vocab: {from: " + modelFile + "}",
            "  max_ratio: 3",
            "  shards: 1",
            "model: {space: tiny}",
            "train: {steps: 2, max_tokens: 600, warmup_steps: 1, checkpoint_every: 2, threads: 1}",
            ""));
    Path run = tmp.resolve("run");
    int vocabSize = 4 + chars.size() + SpecialTokens.COUNT;

    Out p = HatflowCliTest.run("prepare", "--spec", spec.toString(), "--run-dir", run.toString());
    assertEquals(0, p.code(), p.err());
    JsonNode prep =
        new ObjectMapper()
            .readTree(run.resolve("manifest.json").toFile())
            .path("stages")
            .path("prepare");
    assertEquals(
        Digests.sha256(model), prep.path("inputs").path("vocab_from").path("sha256").asText());
    assertEquals(model.length, prep.path("inputs").path("vocab_from").path("bytes").asLong());
    assertEquals(vocabSize, prep.path("counts").path("vocab_size").asInt());

    Out tr = HatflowCliTest.run("train", "--spec", spec.toString(), "--run-dir", run.toString());
    assertEquals(0, tr.code(), tr.err());
    Path sub = run.resolve("extract").resolve("smallest");
    try (SuperTransformerCheckpoint ck =
        SuperTransformerCheckpoint.load(TrainStage.Outputs.at(run).checkpoint())) {
      assertEquals(vocabSize, ck.vocabSize());
      SubTransformerModel.write(
          ck.model(), SearchSpace.preset("tiny").smallest(), ck.digest(), sub);
    }

    // translate finds run/prepare/vocab (the copied model) by walking up from the model directory
    Path input = tmp.resolve("in.en");
    Files.write(input, List.of("A man is sleeping.", "Two dogs play in the snow."));
    Out out =
        HatflowCliTest.run(
            "translate", "--model", sub.toString(), "--input", input.toString(), "--beam", "1");
    assertEquals(0, out.code(), out.err());
    List<String> lines = out.out().lines().toList();
    assertEquals(2, lines.size(), out.out());
    for (String line : lines) {
      line.codePoints()
          .filter(c -> c != ' ')
          .forEach(
              c ->
                  assertTrue(
                      chars.contains(Character.toString(c)), "decoded by the model: " + line));
    }

    Out bad =
        HatflowCliTest.run(
            "prepare",
            "--spec",
            spec.toString(),
            "--run-dir",
            tmp.resolve("bad").toString(),
            "--set",
            "data.vocab.from=" + spec);
    assertEquals(2, bad.code(), bad.err());
    assertTrue(
        bad.err().contains("data.vocab.from: " + spec + " is not a SentencePiece model"),
        bad.err());
    assertFalse(Files.exists(tmp.resolve("bad").resolve("prepare")));
  }
}
