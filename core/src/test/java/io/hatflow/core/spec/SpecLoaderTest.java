package io.hatflow.core.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hatflow.core.space.SearchSpace;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpecLoaderTest {
  private static final String BASE =
      String.join(
          "\n",
          "version: 1", // 1
          "name: t", // 2
          "seed: 7", // 3
          "data:", // 4
          "  train: {src: a.en, tgt: a.de}", // 5
          "  vocab:", // 6
          "    size: 4000", // 7
          "model:", // 8
          "  space: tiny", // 9
          "targets:", // 10
          "  - name: cpu", // 11
          "    latency: {measure: {threads: 1}}", // 12
          "    budgets_ms: [10, 20]", // 13
          "search:", // 14
          "  population: 20", // 15
          "  parents: 5", // 16
          "");

  private static FrozenSpec parse(String text, String... sets) {
    List<SpecOverride> o = new java.util.ArrayList<>();
    for (String s : sets) {
      o.add(SpecOverride.parse(s));
    }
    return SpecLoader.parse(
        "spec.yaml", text.getBytes(StandardCharsets.UTF_8), Path.of("/base"), o);
  }

  private static String error(String text, String... sets) {
    return assertThrows(SpecException.class, () -> parse(text, sets)).getMessage();
  }

  @Test
  void readsTypedValuesDefaultsAndResolvesPathsAgainstTheSpecDir() {
    Spec s = parse(BASE).spec();
    assertEquals("t", s.name());
    assertEquals(7, s.seed());
    assertEquals(4000, s.data().vocabSize());
    assertEquals("/base/a.en", s.data().train().src());
    assertNull(s.data().valid());
    assertEquals(1.5, s.data().maxRatio());
    assertEquals(SearchSpace.preset("tiny"), s.model().space());
    assertEquals(List.of(10.0, 20.0), s.targets().get(0).budgetsMs());
    assertEquals(200, s.targets().get(0).latency().measure().samples());
    assertEquals(20, s.search().population());
    assertEquals(0.3, s.search().mutationProb());
  }

  @Test
  void transferFromMeasuresTransferRowsConfigsAndResolvesItsSources() {
    Spec.TargetSpec plain = parse(BASE).spec().targets().get(0);
    assertNull(plain.transfer());
    assertFalse(
        plain.toString().contains("transfer"),
        "a target without transfer reads as before: " + plain);

    Spec.TargetSpec t =
        parse(
                BASE.replace(
                    "latency: {measure: {threads: 1}}",
                    "latency: {measure: {threads: 1}, transfer_from: [a.csv, /abs/b.csv]}"))
            .spec()
            .targets()
            .get(0);
    assertEquals(List.of("/base/a.csv", "/abs/b.csv"), t.transfer().from());
    assertEquals(20, t.transfer().rows());
    assertEquals(20, t.latency().measure().samples(), "only the transfer rows are measured");

    Spec.TargetSpec k =
        parse(
                BASE.replace(
                    "latency: {measure: {threads: 1}}",
                    "latency: {measure: {threads: 1}, transfer_from: [a.csv], transfer_rows: 12}"))
            .spec()
            .targets()
            .get(0);
    assertEquals(12, k.transfer().rows());
    assertEquals(12, k.latency().measure().samples());

    String noFrom =
        error(
            BASE.replace(
                "latency: {measure: {threads: 1}}",
                "latency: {measure: {threads: 1}, transfer_rows: 12}"));
    assertTrue(
        noFrom.contains("targets[0].latency.transfer_rows: transfer_rows needs transfer_from"),
        noFrom);
    String both =
        error(
            BASE.replace(
                "latency: {measure: {threads: 1}}",
                "latency: {measure: {samples: 50}, transfer_from: [a.csv]}"));
    assertTrue(
        both.contains(
            "targets[0].latency.measure.samples: with transfer_from the target measures"
                + " transfer_rows configs"),
        both);
    String few =
        error(
            BASE.replace(
                "latency: {measure: {threads: 1}}",
                "latency: {measure: {}, transfer_from: [a.csv], transfer_rows: 2}"));
    assertTrue(few.contains("targets[0].latency.transfer_rows"), few);
    String empty =
        error(
            BASE.replace(
                "latency: {measure: {threads: 1}}", "latency: {measure: {}, transfer_from: []}"));
    assertTrue(empty.contains("targets[0].latency.transfer_from"), empty);
  }

  @Test
  void aTargetsEngineDefaultsToDjlAndIsOneOfTheKnownRuntimes() {
    assertEquals("djl", parse(BASE).spec().targets().get(0).engine());
    assertEquals(
        "onnx-int8",
        parse(
                BASE.replace(
                    "    budgets_ms: [10, 20]", "    budgets_ms: [10, 20]\n    engine: onnx-int8"))
            .spec()
            .targets()
            .get(0)
            .engine());
    String bad =
        error(
            BASE.replace(
                "    budgets_ms: [10, 20]", "    budgets_ms: [10, 20]\n    engine: tensorrt"));
    assertTrue(
        bad.startsWith("spec.yaml:14: targets[0].engine:") && bad.contains("onnx-fp32"), bad);
  }

  @Test
  void wrongTypeNamesFileLineAndKeyPath() {
    assertEquals(
        "spec.yaml:7: data.vocab.size: expected an integer >= 256, got \"big\"",
        error(BASE.replace("size: 4000", "size: big")));
  }

  @Test
  void outOfRangeNegativeAndZeroSizes() {
    assertEquals(
        "spec.yaml:7: data.vocab.size: expected an integer >= 256, got 100",
        error(BASE.replace("size: 4000", "size: 100")));
    assertTrue(
        error(BASE + "  generations: 0\n")
            .startsWith(
                "spec.yaml:17: search.generations: expected an integer in [1, 100000], got 0"));
    String neg = error(BASE.replace("[10, 20]", "[10, -5]"));
    assertTrue(neg.startsWith("spec.yaml:13: targets[0].budgets_ms[1]: expected a number"), neg);
  }

  @Test
  void unknownKeyNamesItsLine() {
    String m = error(BASE.replace("    size: 4000", "    sise: 4000"));
    assertTrue(m.startsWith("spec.yaml:7: data.vocab.sise: unknown key"), m);
  }

  @Test
  void missingRequiredSectionAndKey() {
    assertTrue(
        error(
                BASE.replace(
                    "data:\n  train: {src: a.en, tgt: a.de}\n  vocab:\n    size: 4000\n", ""))
            .contains(": missing required key \"data\""));
    assertTrue(error(BASE.replace("name: t\n", "")).contains("missing required key \"name\""));
    assertTrue(
        error(BASE.replace("{src: a.en, tgt: a.de}", "{src: a.en}"))
            .startsWith("spec.yaml:5: data.train: missing required key \"tgt\""));
  }

  @Test
  void versionMustBeOne() {
    assertEquals(
        "spec.yaml:1: version: this hatflow reads spec version 1; got 2",
        error(BASE.replace("version: 1", "version: 2")));
  }

  @Test
  void duplicateKeysAndSyntaxErrorsAreErrors() {
    assertTrue(error(BASE + "seed: 8\n").contains("seed"));
    assertTrue(error("version: 1\nname: [unclosed\n").startsWith("spec.yaml:"));
  }

  @Test
  void overridesAreValidatedTheSameWayAndChangeTheDigest() {
    FrozenSpec plain = parse(BASE);
    FrozenSpec o =
        parse(BASE, "data.vocab.size=3000", "search.generations=3", "targets[0].budgets_ms=[5]");
    assertEquals(3000, o.spec().data().vocabSize());
    assertEquals(3, o.spec().search().generations());
    assertEquals(List.of(5.0), o.spec().targets().get(0).budgetsMs());
    assertEquals(plain.fileSha256(), o.fileSha256());
    assertNotEquals(plain.effectiveSha256(), o.effectiveSha256());
    assertEquals(
        "--set data.vocab.size=big: data.vocab.size: expected an integer >= 256, got \"big\"",
        error(BASE, "data.vocab.size=big"));
  }

  @Test
  void overrideOfAKeyThatDoesNotExistIsAnError() {
    String m = error(BASE, "data.vocab.colour=red");
    assertTrue(m.startsWith("--set data.vocab.colour=red: data.vocab.colour: unknown key"), m);
    assertTrue(error(BASE, "targets[3].name=x").contains("no such list item"));
    assertTrue(error(BASE, "novalue").contains("expected key.path=value"));
  }

  @Test
  void invalidSpacesAreClearErrors() {
    String custom =
        BASE.replace(
            "  space: tiny",
            String.join(
                "\n",
                "  space:",
                "    qkv_dim: 128",
                "    encoder_embed_dim: [128]",
                "    encoder_layer_num: [3]",
                "    encoder_ffn_embed_dim: [256]",
                "    encoder_self_attention_heads: [3]",
                "    decoder_embed_dim: [128]",
                "    decoder_layer_num: [1, 2]",
                "    decoder_ffn_embed_dim: [256]",
                "    decoder_self_attention_heads: [4]",
                "    decoder_ende_attention_heads: [4]",
                "    decoder_arbitrary_ende_attn: [-1]"));
    assertEquals(
        "spec.yaml:14: model.space.encoder_self_attention_heads: head count 3 does not divide qkv_dim 128",
        error(custom));
    assertTrue(
        error(
                custom
                    .replace("[3]\n    decoder_embed", "[4]\n    decoder_embed")
                    .replace("decoder_layer_num: [1, 2]", "decoder_layer_num: []"))
            .contains("model.space.decoder_layer_num: expected a non-empty list"));
    assertTrue(
        error(custom.replace("encoder_layer_num: [3]", "encoder_layer_num: [3]\n    colour: [1]"))
            .contains("model.space.colour: unknown key"));
    assertTrue(
        error(BASE.replace("space: tiny", "space: huge"))
            .contains("unknown search space preset \"huge\""));
  }

  @Test
  void primerGenesInACustomSpaceByNameAndTheirBadValues() {
    String custom =
        BASE.replace(
            "  space: tiny",
            String.join(
                "\n",
                "  space:",
                "    qkv_dim: 128",
                "    encoder_embed_dim: [128]",
                "    encoder_layer_num: [2]",
                "    encoder_ffn_embed_dim: [256]",
                "    encoder_self_attention_heads: [4]",
                "    decoder_embed_dim: [128]",
                "    decoder_layer_num: [1, 2]",
                "    decoder_ffn_embed_dim: [256]",
                "    decoder_self_attention_heads: [4]",
                "    decoder_ende_attention_heads: [4]",
                "    decoder_arbitrary_ende_attn: [-1]",
                "    decoder_activation: [relu, squared_relu]",
                "    encoder_attention_dconv: [0, 3]"));
    SearchSpace s = parse(custom).spec().model().space();
    assertEquals(List.of(0, 1), s.choices(SearchSpace.DECODER_ACTIVATION));
    assertEquals(List.of(0, 3), s.choices(SearchSpace.ENCODER_ATTENTION_DCONV));
    assertTrue(
        !s.has(SearchSpace.ENCODER_ACTIVATION) && !s.has(SearchSpace.DECODER_ATTENTION_DCONV));
    assertEquals(
        "spec.yaml:21: model.space.decoder_activation[1]: unknown activation \"swish\" "
            + "(known: relu, squared_relu, gelu)",
        error(custom.replace("squared_relu]", "swish]")));
    assertEquals(
        "spec.yaml:22: model.space.encoder_attention_dconv: invalid kernel width 5 (expected 0 = off or 3)",
        error(custom.replace("[0, 3]", "[0, 5]")));
    assertEquals(
        SearchSpace.preset("tiny-primer").genes(),
        parse(BASE.replace("space: tiny", "space: tiny-primer")).spec().model().space().genes());
  }

  @Test
  void budgetsAreAbsoluteOrRelativeNotBoth() {
    Spec s = parse(BASE.replace("budgets_ms: [10, 20]", "budgets_pct: [25, 75]")).spec();
    assertTrue(s.targets().get(0).relativeBudgets());
    assertEquals(List.of(25.0, 75.0), s.targets().get(0).budgetsPct());
    assertTrue(
        error(BASE.replace("budgets_ms: [10, 20]", "budgets_ms: [10, 20]\n    budgets_pct: [50]"))
            .contains("give exactly one of budgets_ms"));
    assertTrue(
        error(BASE.replace("budgets_ms: [10, 20]", "budgets_pct: [150]"))
            .contains("targets[0].budgets_pct[0]: expected a number in [0, 100], got 150"));
  }

  @Test
  void searchSanity() {
    assertTrue(
        error(BASE.replace("parents: 5", "parents: 50"))
            .contains("parents (50) must not exceed population (20)"));
    assertTrue(
        error(BASE + "  mutation_prob: 1.5\n")
            .contains("search.mutation_prob: expected a number in [0, 1]"));
    assertTrue(
        error(BASE.replace("[10, 20]", "[]"))
            .contains("targets[0].budgets_ms: expected a non-empty list"));
  }

  @Test
  void searchModeAndHypervolumeReference() {
    Spec.SearchSpec d = parse(BASE).spec().search();
    assertEquals(io.hatflow.core.search.SearchMode.HAT, d.searchMode());
    assertEquals(io.hatflow.core.search.Hypervolume.Reference.DEFAULT, d.reference());
    Spec.SearchSpec n = parse(BASE + "  mode: nsga2\n  hv_reference: [1.5, 1.2]\n").spec().search();
    assertEquals(io.hatflow.core.search.SearchMode.NSGA2, n.searchMode());
    assertEquals(new io.hatflow.core.search.Hypervolume.Reference(1.5, 1.2), n.reference());
    assertTrue(
        error(BASE + "  mode: nsga3\n")
            .contains("search.mode: expected one of hat, nsga2, got \"nsga3\""));
    // NSGA-II's tournaments need a few members: named, with the line, in the file and from --set.
    String small =
        BASE.replace("population: 20", "population: 3").replace("parents: 5", "parents: 2");
    assertEquals(3, parse(small).spec().search().population(), "fine for HAT's mode");
    assertTrue(
        error(small + "  mode: nsga2\n")
            .startsWith(
                "spec.yaml:15: search.population: mode nsga2 needs a population of at least 4"),
        error(small + "  mode: nsga2\n"));
    String set = error(BASE, "search.mode=nsga2", "search.population=3", "search.parents=1");
    assertTrue(
        set.contains("search.population: mode nsga2 needs a population of at least 4")
            && set.endsWith("got 3"),
        set);
    // A reference the normalised box does not dominate counts the boundary for nothing: refused,
    // named.
    String bad = error(BASE + "  hv_reference: [1.0, 1.2]\n");
    assertTrue(
        bad.startsWith("spec.yaml:17: search.hv_reference: [1.0, 1.2] does not dominate"), bad);
    assertTrue(
        error(BASE + "  hv_reference: [1.5]\n")
            .contains("search.hv_reference: expected two numbers"));
  }

  @Test
  void finalizeLearningRateAndWarmUpAreOptionalAndRangeChecked() {
    Spec.FinalizeSpec d = parse(BASE).spec().finalizeSpec();
    assertEquals("inherit", d.mode());
    assertNull(d.lr(), "absent: the mode's default");
    assertNull(d.warmupSteps(), "absent: the mode's default");
    String fin = BASE + "finalize:\n  steps: 40\n  lr: 0.0005\n  warmup_steps: 4\n"; // lines 17-20
    Spec.FinalizeSpec f = parse(fin).spec().finalizeSpec();
    assertEquals(5e-4, f.lr());
    assertEquals(4, f.warmupSteps());
    assertEquals(
        0,
        parse(fin.replace("warmup_steps: 4", "warmup_steps: 0"))
            .spec()
            .finalizeSpec()
            .warmupSteps());
    assertEquals(3e-4, parse(fin, "finalize.lr=3e-4").spec().finalizeSpec().lr());

    assertTrue(
        error(fin.replace("lr: 0.0005", "lr: 0"))
            .startsWith("spec.yaml:19: finalize.lr: expected a number in ["),
        error(fin.replace("lr: 0.0005", "lr: 0")));
    assertTrue(
        error(fin.replace("lr: 0.0005", "lr: 20"))
            .startsWith("spec.yaml:19: finalize.lr: expected a number"));
    assertTrue(
        error(fin.replace("lr: 0.0005", "lr: fast"))
            .startsWith("spec.yaml:19: finalize.lr: expected a number"));
    assertTrue(
        error(fin.replace("warmup_steps: 4", "warmup_steps: -1"))
            .startsWith("spec.yaml:20: finalize.warmup_steps: expected an integer >= 0, got -1"));
    String m = error(fin.replace("warmup_steps: 4", "warmup_steps: 41"));
    assertTrue(
        m.startsWith(
            "spec.yaml:20: finalize.warmup_steps: expected at most finalize.steps (40) warm-up steps, got 41"),
        m);
    assertTrue(
        error(fin, "finalize.warmup_steps=100")
            .contains("finalize.warmup_steps: expected at most finalize.steps (40)"));
  }

  @Test
  void finalizeSparseUpdateKeysDefaultAndAreChecked() {
    Spec.FinalizeSpec d = parse(BASE).spec().finalizeSpec();
    assertEquals("all", d.update());
    assertNull(d.updateLayers(), "read with last_k only");
    assertNull(d.updateBudget(), "read with auto only");
    assertEquals(2, parse(BASE, "finalize.update=last_k").spec().finalizeSpec().updateLayers());
    assertEquals(0.3, parse(BASE, "finalize.update=auto").spec().finalizeSpec().updateBudget());
    String fin = BASE + "finalize:\n  update: last_k\n  update_layers: 6\n"; // lines 17-19
    assertEquals(
        6, parse(fin).spec().finalizeSpec().updateLayers()); // tiny: 3 encoder + 3 decoder layers
    String m = error(fin.replace("update_layers: 6", "update_layers: 7"));
    assertTrue(
        m.startsWith(
            "spec.yaml:19: finalize.update_layers: expected at most the model's 6 layers (space tiny:"
                + " 3 encoder + 3 decoder), got 7"),
        m);
    assertTrue(
        error(fin.replace("update_layers: 6", "update_layers: 0"))
            .startsWith("spec.yaml:19: finalize.update_layers: expected an integer"));
    m = error(fin.replace("last_k", "sparse"));
    assertTrue(
        m.startsWith(
            "spec.yaml:18: finalize.update: expected one of all, bias, last_k, auto, got \"sparse\""),
        m);
    assertTrue(
        error(fin.replace("last_k", "bias"))
            .startsWith(
                "spec.yaml:19: finalize.update_layers: only read with finalize.update: last_k, not bias"));
    String auto = BASE + "finalize:\n  update: auto\n  update_budget: 0.5\n";
    assertEquals(0.5, parse(auto).spec().finalizeSpec().updateBudget());
    assertEquals(1.0, parse(auto, "finalize.update_budget=1").spec().finalizeSpec().updateBudget());
    for (String bad : List.of("0", "0.0", "-0.1", "1.5", "lots")) {
      m = error(auto.replace("update_budget: 0.5", "update_budget: " + bad));
      assertTrue(m.startsWith("spec.yaml:19: finalize.update_budget: expected "), bad + ": " + m);
    }
    assertTrue(
        error(auto, "finalize.mode=scratch")
            .contains(
                "finalize.update: sparse fine-tuning (auto) needs" + " finalize.mode: inherit"));
  }

  @Test
  void shippedExampleSpecsAreValid(@TempDir Path tmp) throws Exception {
    Path specs = findUp("launch/specs");
    org.junit.jupiter.api.Assumptions.assumeTrue(specs != null);
    for (String f : List.of("demo.yaml", "multi30k-en-de.yaml", "wmt14-en-de.yaml")) {
      FrozenSpec s = SpecLoader.load(specs.resolve(f), List.of());
      assertEquals(Files.readAllBytes(specs.resolve(f)).length, s.bytes().length);
    }
  }

  static Path findUp(String rel) {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.exists(d.resolve(rel))) {
        return d.resolve(rel);
      }
    }
    return null;
  }
}
