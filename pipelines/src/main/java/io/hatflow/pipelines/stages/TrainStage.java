package io.hatflow.pipelines.stages;

import io.hatflow.core.run.Artifact;
import io.hatflow.core.run.AtomicFiles;
import io.hatflow.core.run.CodeScope;
import io.hatflow.core.run.Digests;
import io.hatflow.core.run.RunDir;
import io.hatflow.core.run.UserInputException;
import io.hatflow.core.spec.Spec;
import io.hatflow.model.text.VocabularyFiles;
import io.hatflow.model.train.SuperTransformerCheckpoint;
import io.hatflow.model.train.TrainConfig;
import io.hatflow.model.train.Trainer;
import io.hatflow.model.transformer.Dropouts;
import io.hatflow.pipelines.io.InputFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * train: the weight-sharing SuperTransformer on prepare's shards, one sampled SubTransformer per
 * step, into {@code train/checkpoint.hfc}. With {@code train.from_run} the checkpoint of another
 * run, local or {@code gs://} (a published run), is copied in, checked against this spec's space
 * and vocabulary, and recorded as an input.
 */
public final class TrainStage implements Stage {
  public static final String NAME = "train";

  /**
   * The code this stage's outputs depend on (CodeScopeTest checks it covers everything the stage
   * reaches).
   */
  static final CodeScope SCOPE =
      PrepareStage.SCOPE.plus(
          new CodeScope(
              List.of("io.hatflow.model.train", "io.hatflow.model.transformer"),
              List.of("io.hatflow.pipelines.stages.TrainStage")));

  /** train's outputs: the SuperTransformer checkpoint and, when trained here, its log. */
  public record Outputs(Path dir) {
    /** In a run directory's local copy ({@link RunDir#dir()}). */
    public static Outputs at(Path runDir) {
      return new Outputs(runDir.resolve(NAME));
    }

    public static Outputs in(RunDir rd) {
      return at(rd.dir());
    }

    public Path checkpoint() {
      return dir.resolve(SuperTransformerCheckpoint.FILE_NAME);
    }

    /**
     * The checkpoint of another run, local or remote ({@code gs://}: a published run), as a path or
     * URI.
     */
    public static String checkpointOf(String otherRun) {
      return InputFiles.child(otherRun, NAME, SuperTransformerCheckpoint.FILE_NAME);
    }

    public Path log() {
      return dir.resolve("train.log");
    }

    /**
     * Where an unfinished training lives (and resumes) until it replaces the finished checkpoint.
     */
    Path next() {
      return dir.resolve(".next");
    }
  }

  @Override
  public CodeScope codeScope() {
    return SCOPE;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<String> upstream() {
    return List.of(PrepareStage.NAME);
  }

  @Override
  public String specSection(StageContext ctx) {
    Spec.TrainSpec t = ctx.spec().train();
    String from = t.fromRun();
    // The reused checkpoint by content (a retrained source run is copied again), not by where it
    // lies.
    String fromContent =
        from == null || InputFiles.isRemote(from)
            ? from
            : Contents.of(Outputs.at(Path.of(from)).checkpoint().toString());
    return ctx.spec().model().toString()
        + new Spec.TrainSpec(
            t.steps(),
            t.maxTokens(),
            t.lr(),
            t.warmupSteps(),
            t.schedule(),
            t.clipNorm(),
            t.gradAccum(),
            t.labelSmoothing(),
            t.checkpointEvery(),
            t.extremesEvery(),
            t.threads(),
            fromContent);
  }

  @Override
  public boolean hasWorkToResume(StageContext ctx) {
    return ctx.spec().train().fromRun() == null
        && Files.exists(
            Outputs.in(ctx.runDir()).next().resolve(SuperTransformerCheckpoint.FILE_NAME));
  }

  /**
   * The train stage's settings, built from the spec once (its only source of defaults). Adam's
   * betas and the cosine floor are HAT's fixed values, not spec keys.
   */
  static TrainConfig config(Spec spec) {
    Spec.TrainSpec t = spec.train();
    Spec.ModelSpec m = spec.model();
    int threads =
        t.threads() > 0 ? t.threads() : Math.max(1, Runtime.getRuntime().availableProcessors());
    return TrainConfig.builder()
        .steps(t.steps())
        .maxTokens(t.maxTokens())
        .lr(t.lr())
        .warmupSteps(t.warmupSteps())
        .schedule(
            t.schedule().equals("cosine")
                ? TrainConfig.Schedule.COSINE
                : TrainConfig.Schedule.INVERSE_SQRT)
        .minLr(1e-7)
        .beta1(0.9)
        .beta2(0.98)
        .labelSmoothing(t.labelSmoothing())
        .clipNorm(t.clipNorm())
        .gradAccum(t.gradAccum())
        .dropouts(
            new Dropouts(
                (float) m.dropout(), (float) m.attentionDropout(), (float) m.activationDropout()))
        .seed(spec.seed())
        .checkpointEvery(t.checkpointEvery())
        .sandwichEvery(t.extremesEvery())
        .threads(threads)
        .logEvery(Math.max(1, Math.min(50, t.steps() / 20)))
        .build();
  }

  static int vocabSize(PrepareStage.Outputs prepared) {
    try {
      return VocabularyFiles.read(prepared.vocab()).size();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the vocabulary of " + prepared.dir(), e);
    }
  }

  @Override
  public void run(StageContext ctx) throws IOException {
    Spec spec = ctx.spec();
    PrepareStage.Outputs prepared = PrepareStage.Outputs.in(ctx.runDir());
    Outputs outputs = Outputs.in(ctx.runDir());
    Path out = outputs.dir();
    if (spec.train().fromRun() != null) {
      // Through Beam FileSystems: the other run may be local or published to gs:// (hatflow
      // publish).
      String theirs = Outputs.checkpointOf(spec.train().fromRun());
      if (!InputFiles.exists(theirs, ctx.options())) {
        throw new UserInputException(
            "train.from_run: " + theirs + " does not exist (no finished train stage there)");
      }
      int vocab = vocabSize(prepared);
      Path tmp = AtomicFiles.tempDirFor(out);
      Path copy = tmp.resolve(SuperTransformerCheckpoint.FILE_NAME);
      try {
        InputFiles.copyToLocal("train.from_run", theirs, copy, ctx.options());
        try (SuperTransformerCheckpoint ck = SuperTransformerCheckpoint.load(copy)) {
          ck.requireCompatible(spec.model().space(), vocab);
        }
      } catch (RuntimeException e) {
        AtomicFiles.deleteTree(tmp);
        throw e;
      }
      AtomicFiles.commitDir(tmp, out);
      if (InputFiles.isRemote(theirs)) {
        ctx.record()
            .input(
                "from_run_checkpoint",
                Artifact.remote(theirs, Digests.sha256(outputs.checkpoint())));
      } else {
        ctx.record().input("from_run_checkpoint", Path.of(theirs));
      }
      ctx.record().fromRun(spec.train().fromRun());
      ctx.log().printf("[train] reusing the SuperTransformer of %s%n", spec.train().fromRun());
    } else {
      int vocab = vocabSize(prepared);
      // Training happens in train/.next: a finished checkpoint stays whole until the new one has
      // finished.
      Path next = outputs.next();
      boolean resume =
          ctx.resume() && Files.exists(next.resolve(SuperTransformerCheckpoint.FILE_NAME));
      if (!resume) {
        AtomicFiles.deleteTree(next);
      }
      Trainer.Result r =
          Trainer.train(
              config(spec),
              spec.model().space(),
              vocab,
              prepared.dir(),
              next,
              resume,
              p -> ctx.log().println("[train] " + p.line()));
      AtomicFiles.promote(next, out, SuperTransformerCheckpoint.FILE_NAME);
      ctx.record()
          .counts()
          .put("steps", r.steps())
          .put("last_loss", r.lastLoss())
          .put("checkpoint_digest", r.digest());
      ctx.record().output("train_log", outputs.log());
    }
    ctx.record().output("checkpoint", outputs.checkpoint());
  }
}
