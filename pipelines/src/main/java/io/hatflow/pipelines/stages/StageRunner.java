package io.hatflow.pipelines.stages;

import io.hatflow.core.run.Artifact;
import io.hatflow.core.run.CodeDigest;
import io.hatflow.core.run.Digests;
import io.hatflow.core.run.Manifest;
import io.hatflow.core.run.RunDir;
import io.hatflow.core.run.StageRecord;
import io.hatflow.core.spec.FrozenSpec;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Runs stages into one run directory with lineage and caching: a stage is skipped ("cached") when
 * its fingerprint (spec section + upstream output digests + {@link CodeDigest} of the classes in
 * the stage's {@link Stage#codeScope()}, not {@code git describe}: a commit that changes no code
 * the stage reaches, such as the report's CSS for train, keeps it cached) matches a finished entry
 * whose outputs still have their recorded digests.
 */
public final class StageRunner {
  private final FrozenSpec spec;
  private final RunDir runDir;
  private final PipelineOptions options;
  private final PrintStream log;

  public StageRunner(FrozenSpec spec, RunDir runDir, PipelineOptions options, PrintStream log) {
    this.spec = spec;
    this.runDir = runDir;
    this.options = options;
    this.log = log;
  }

  public String fingerprint(Stage stage) {
    StringBuilder b = new StringBuilder();
    b.append("stage=").append(stage.name()).append('\n');
    b.append("code=").append(codeDigest(stage)).append('\n');
    b.append("seed=").append(spec.spec().seed()).append('\n');
    b.append("spec=").append(stage.specSection(context(stage, null, false))).append('\n');
    for (String up : stage.upstream()) {
      b.append("upstream ")
          .append(up)
          .append('=')
          .append(outputsDigest(runDir.manifest().stage(up)))
          .append('\n');
    }
    return Digests.sha256(b.toString());
  }

  /**
   * The digest of the code in the stage's scope: its fingerprint's code part and its recorded
   * code_digest.
   */
  public static String codeDigest(Stage stage) {
    return CodeDigest.current(stage.codeScope());
  }

  /** The stage's outputs as one digest, in recorded order (its consumers' fingerprints hold it). */
  private static String outputsDigest(StageRecord s) {
    StringBuilder b = new StringBuilder();
    s.outputs()
        .forEach(
            (name, a) ->
                b.append(name)
                    .append(':')
                    .append(a.sha256() == null ? "" : a.sha256())
                    .append(';'));
    return Digests.sha256(b.toString());
  }

  /**
   * Whether the stage's recorded outputs are finished, match its fingerprint, and are intact on
   * disk.
   */
  public boolean upToDate(Stage stage, String fingerprint) {
    StageRecord rec = runDir.manifest().stage(stage.name());
    if (!rec.done() || !fingerprint.equals(rec.fingerprint())) {
      return false;
    }
    for (Artifact a : rec.outputs().values()) {
      Path p = runDir.dir().resolve(a.path());
      if (!Files.exists(p) || !Digests.sha256Tree(p).equals(a.sha256())) {
        return false;
      }
    }
    return true;
  }

  /** Runs one stage unless cached (or {@code force}); returns true when it ran. */
  public boolean run(Stage stage, boolean force, boolean resume) throws Exception {
    String fp = fingerprint(stage);
    Manifest m = runDir.manifest();
    if (!force && upToDate(stage, fp)) {
      m.update(stage.name(), s -> s.withStatus(StageRecord.CACHED));
      m.save();
      log.printf("[%s] cached (fingerprint %s)%n", stage.name(), fp.substring(0, 12));
      return false;
    }
    verifyUpstream(stage);
    StageRecord was = m.stage(stage.name());
    String before = outputsDigest(was);
    // Killed (still "running") or failed (e.g. a TaskManager lost mid-search) with the same
    // fingerprint: go on
    // from what it finished (train's checkpoint, the search's finished generations); --force starts
    // afresh.
    boolean wasRunning =
        !force
            && (StageRecord.RUNNING.equals(was.status()) || StageRecord.FAILED.equals(was.status()))
            && fp.equals(was.fingerprint());
    m.stageStarted(stage.name(), fp, codeDigest(stage), upstreamInputs(stage));
    long t0 = System.currentTimeMillis();
    StageContext ctx = context(stage, new StageRecorder(runDir.dir(), fp), wasRunning || resume);
    // A stage killed before its first checkpoint starts over: say "resuming" only when there is
    // work to go on from.
    log.printf(
        "[%s] running%s%n",
        stage.name(),
        ctx.resume() && stage.hasWorkToResume(ctx) ? " (resuming where it stopped)" : "");
    try {
      stage.run(ctx);
      runDir.commit(stage.name());
    } catch (Exception | Error e) {
      try {
        runDir.commit(stage.name()); // what it finished (checkpoints) lets another machine resume
      } catch (RuntimeException ignored) {
        e.addSuppressed(ignored);
      }
      try {
        m.stageFailed(
            stage.name(), io.hatflow.core.run.Failures.oneLine(e), ctx.record().recorded());
      } catch (RuntimeException alsoFailed) {
        e.addSuppressed(
            alsoFailed); // e.g. the disk is full: the stage's own error is the one to report
      }
      throw e;
    }
    m.stageFinished(stage.name(), System.currentTimeMillis() - t0, ctx.record().recorded());
    if (!before.equals(outputsDigest(m.stage(stage.name())))) {
      markDownstreamStale(stage.name());
    }
    long rss = io.hatflow.core.run.Host.peakRssBytes();
    // the process's peak so far: a stage that raises it is the one that sets the run's memory needs
    log.printf(
        "[%s] done in %.1f s%s%n",
        stage.name(),
        (System.currentTimeMillis() - t0) / 1000.0,
        rss > 0
            ? String.format(java.util.Locale.ROOT, " (peak RSS so far %.2f GB)", rss / 1e9)
            : "");
    return true;
  }

  /**
   * A stage consumes only finished upstream outputs whose bytes are still those recorded: a
   * half-trained checkpoint (train still "running"), a truncated shard or a changed predictor is
   * refused by name, before use.
   */
  void verifyUpstream(Stage stage) {
    Manifest m = runDir.manifest();
    for (String up : stage.upstream()) {
      StageRecord u = m.stage(up);
      if (!u.done()) {
        String st = u.statusOrEmpty();
        throw new UpstreamException(
            "["
                + stage.name()
                + "] needs the "
                + up
                + " stage finished, but it "
                + (st.isEmpty()
                    ? "has not run"
                    : "is " + st + (st.equals("running") ? " (interrupted?)" : ""))
                + " in "
                + runDir.location()
                + ": run `hatflow run` (it runs or resumes "
                + up
                + " first) or `hatflow "
                + up
                + "`");
      }
      for (Artifact a : u.outputs().values()) {
        String rel = a.path();
        String want = a.sha256();
        Path p = runDir.dir().resolve(rel);
        String got = Files.exists(p) ? Digests.sha256Tree(p) : null;
        if (!want.equals(got)) {
          String file = a.firstDifference(p);
          if (file != null) {
            rel = file;
          }
          throw new UpstreamException(
              "["
                  + stage.name()
                  + "] "
                  + up
                  + " output "
                  + runDir.location()
                  + "/"
                  + rel
                  + (got == null
                      ? " is missing"
                      : " does not match the digest "
                          + up
                          + " recorded (recorded "
                          + want.substring(0, 12)
                          + ", found "
                          + got.substring(0, 12)
                          + ")")
                  + ": it "
                  + (got == null ? "was removed" : "changed")
                  + " after "
                  + up
                  + " finished; nothing was used. Re-run it:"
                  + " hatflow run --force "
                  + up);
        }
      }
    }
  }

  /**
   * The upstream outputs this stage consumes (just verified), as its inputs named {@code
   * <upstream>/<output>}: audit compares them with what the upstream records later, so lineage is
   * read from the manifest alone.
   */
  private Map<String, Artifact> upstreamInputs(Stage stage) {
    Map<String, Artifact> inputs = new LinkedHashMap<>();
    for (String up : stage.upstream()) {
      runDir
          .manifest()
          .stage(up)
          .outputs()
          .forEach((name, a) -> inputs.put(up + "/" + name, Artifact.used(a.path(), a.sha256())));
    }
    return inputs;
  }

  /**
   * After a stage's outputs changed, every finished stage built on them says so until it runs
   * again.
   */
  private void markDownstreamStale(String changed) {
    Manifest m = runDir.manifest();
    boolean any = false;
    for (String down : Stages.downstream(changed)) {
      if (m.stageDone(down)) {
        m.update(down, s -> s.stale(changed + " changed since it ran"));
        log.printf("[%s] %s is now stale (its input from %s changed)%n", changed, down, changed);
        any = true;
      }
    }
    if (any) {
      m.finished(false);
      m.save();
    }
  }

  /**
   * An upstream stage unfinished, or its output changed since it was recorded: exit 1, nothing
   * used.
   */
  public static final class UpstreamException extends IllegalStateException
      implements io.hatflow.core.run.ExpectedFailure {
    public UpstreamException(String msg) {
      super(msg);
    }
  }

  private StageContext context(Stage stage, StageRecorder record, boolean resume) {
    return new StageContext(spec, runDir, options, record, log, resume);
  }

  /** Runs the given stages in order. */
  public void runAll(List<Stage> stages, List<String> forced, boolean resume) throws Exception {
    for (Stage s : stages) {
      run(s, forced.contains(s.name()) || forced.contains("all"), resume);
    }
  }
}
