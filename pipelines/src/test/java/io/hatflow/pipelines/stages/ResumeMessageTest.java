package io.hatflow.pipelines.stages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hatflow.core.run.RunDir;
import io.hatflow.core.spec.FrozenSpec;
import io.hatflow.core.spec.SpecLoader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A re-run after a failure says it resumes only when the stage has work to go on from. */
class ResumeMessageTest {
  @TempDir Path tmp;

  /** A stage that fails on demand and says whether it left work (a checkpoint) behind. */
  static final class Flaky implements Stage {
    boolean fail;
    boolean work;
    Boolean resumedWith;

    @Override
    public String name() {
      return "prepare";
    }

    @Override
    public String specSection(StageContext ctx) {
      return "flaky";
    }

    @Override
    public boolean hasWorkToResume(StageContext ctx) {
      return work;
    }

    @Override
    public void run(StageContext ctx) {
      resumedWith = ctx.resume();
      if (fail) {
        throw new IllegalStateException("killed before its first checkpoint");
      }
    }
  }

  @Test
  void saysResumingOnlyWhenThereIsWorkToResume() throws Exception {
    Path t = io.hatflow.pipelines.prepare.TestData.dir().resolve("multi30k");
    Path file = tmp.resolve("spec.yaml");
    java.nio.file.Files.writeString(
        file,
        "version: 1\nname: flaky\ndata:\n  train: {src: "
            + t.resolve("valid.en")
            + ", tgt: "
            + t.resolve("valid.de")
            + "}\n");
    FrozenSpec spec = SpecLoader.load(file, List.of());
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    try (RunDir rd = RunDir.open(tmp.resolve("run"), spec, false)) {
      StageRunner runner =
          new StageRunner(
              spec,
              rd,
              PipelineOptionsFactory.create(),
              new PrintStream(log, true, StandardCharsets.UTF_8));
      Flaky s = new Flaky();
      s.fail = true;
      assertThrows(IllegalStateException.class, () -> runner.run(s, false, false));
      assertEquals("failed", rd.manifest().stage("prepare").status());

      s.fail = false;
      log.reset();
      runner.run(s, false, false); // failed before any checkpoint: it starts over
      assertTrue(s.resumedWith, "the stage may still look for work to go on from");
      assertTrue(
          log.toString(StandardCharsets.UTF_8).startsWith("[prepare] running\n"), log.toString());
      assertFalse(log.toString(StandardCharsets.UTF_8).contains("resuming"), log.toString());

      s.fail = true;
      assertThrows(IllegalStateException.class, () -> runner.run(s, true, false));
      s.fail = false;
      s.work = true;
      log.reset();
      runner.run(s, false, false);
      assertTrue(
          log.toString(StandardCharsets.UTF_8)
              .startsWith("[prepare] running (resuming where it stopped)\n"),
          log.toString());
    }
  }
}
