package io.hatflow.pipelines.stages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hatflow.core.run.CodeDigest;
import io.hatflow.core.run.CodeScope;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Per-stage code fingerprints: each stage's declared code scope covers every hatflow class its
 * stage class can reach ({@link BytecodeReach}), and a change outside a stage's scope leaves that
 * stage's digest, hence its cache entry, as it was.
 */
class CodeScopeTest {
  /** The running code's io/hatflow/** entries (classes and resources) with their bytes. */
  static Map<String, byte[]> running() {
    Map<String, byte[]> out = new TreeMap<>();
    for (String e : CodeDigest.runningEntries()) {
      try (InputStream in = CodeScopeTest.class.getResourceAsStream("/" + e)) {
        out.put(e, in.readAllBytes());
      } catch (IOException ex) {
        throw new UncheckedIOException(ex);
      }
    }
    return out;
  }

  @Test
  void everyClassAStageReachesIsInItsScope() {
    List<String> classes =
        CodeDigest.runningEntries().stream()
            .filter(e -> e.endsWith(".class") && !e.endsWith("-info.class"))
            .map(e -> e.substring(0, e.length() - ".class".length()).replace('/', '.'))
            .toList();
    var subtypes = BytecodeReach.subtypes(classes);
    StringBuilder outside = new StringBuilder();
    for (Stage s : Stages.all()) {
      Map<String, String> reach =
          BytecodeReach.reachable(
              s.getClass().getName(), subtypes, c -> c.equals(Stage.class.getName()));
      assertTrue(
          reach.size() > 20,
          s.name() + " reaches only " + reach.keySet() + ": is the walk broken?");
      for (String c : new TreeMap<>(reach).keySet()) {
        if (!s.codeScope().containsClass(c)) {
          outside.append(s.name()).append(": ").append(BytecodeReach.path(reach, c)).append('\n');
        }
      }
    }
    assertEquals(
        "",
        outside.toString(),
        "classes a stage reaches outside its declared code scope (add them to "
            + "its codeScope(), or make it CodeScope.ALL)");
  }

  @Test
  void theWalkSeesWhatTheStagesUse() {
    var subtypes = BytecodeReach.subtypes(List.of());
    var train = BytecodeReach.reachable(TrainStage.class.getName(), subtypes, c -> false).keySet();
    assertTrue(train.contains("io.hatflow.model.train.Trainer"), "a static call");
    assertTrue(train.contains("io.hatflow.model.transformer.SuperTransformer"), "through Trainer");
    assertTrue(
        !train.contains("io.hatflow.pipelines.report.ReportWriter"),
        "train does not reach the report");
    var report =
        BytecodeReach.reachable(ReportStage.class.getName(), subtypes, c -> false).keySet();
    assertTrue(report.contains("io.hatflow.pipelines.report.ReportWriter"));
  }

  @Test
  void onlyTheReportAndTheStagesThatReachTheReportsCodeAreNotScoped() {
    for (Stage s : Stages.all()) {
      assertEquals(
          s.name().equals(ReportStage.NAME), s.codeScope().equals(CodeScope.ALL), s.name());
      assertTrue(
          s.name().equals(ReportStage.NAME)
              || !s.codeScope().contains("io/hatflow/pipelines/report/ReportWriter.class"),
          s.name());
    }
  }

  /**
   * Two builds that differ in one entry: which stages' code digests (and so fingerprints) change.
   */
  private static List<String> changedStages(String entry, byte[] newBytes) {
    Map<String, byte[]> before = running();
    Map<String, byte[]> after = new TreeMap<>(before);
    after.put(entry, newBytes);
    return Stages.all().stream()
        .filter(
            s -> !CodeDigest.of(before, s.codeScope()).equals(CodeDigest.of(after, s.codeScope())))
        .map(Stage::name)
        .toList();
  }

  @Test
  void aReportChangeLeavesEveryOtherStageCached() {
    byte[] css = "body{color:red}".getBytes();
    assertEquals(
        List.of(ReportStage.NAME), changedStages("io/hatflow/pipelines/report/style.css", css));
    assertEquals(
        List.of(ReportStage.NAME),
        changedStages(
            "io/hatflow/pipelines/report/Charts.class", new byte[] {(byte) 0xCA, (byte) 0xFE, 0}));
  }

  @Test
  void aTrainerChangeRerunsTrainAndWhatReadsTheTrainer() {
    assertEquals(
        List.of("train", "search", "finalize", "report"),
        changedStages(
            "io/hatflow/model/train/Trainer.class", new byte[] {(byte) 0xCA, (byte) 0xFE, 0}));
    assertEquals(
        List.of("prepare", "train", "search", "finalize", "report"),
        changedStages(
            "io/hatflow/transforms/prepare/LearnBpe.class",
            new byte[] {(byte) 0xCA, (byte) 0xFE, 0}));
  }

  @Test
  void theWholeScopeIsTheWholeCodeDigest() {
    // A stage without a narrower scope keeps the fingerprint it had before scopes existed.
    assertEquals(CodeDigest.current(), CodeDigest.current(CodeScope.ALL));
    assertEquals(CodeDigest.current(), CodeDigest.of(running(), CodeScope.ALL));
    assertNotEquals(CodeDigest.current(), StageRunner.codeDigest(new TrainStage()));
  }
}
