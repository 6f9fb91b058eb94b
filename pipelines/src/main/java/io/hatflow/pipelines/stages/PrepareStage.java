package io.hatflow.pipelines.stages;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hatflow.core.run.Artifact;
import io.hatflow.core.run.CodeScope;
import io.hatflow.core.run.Digests;
import io.hatflow.core.run.RunDir;
import io.hatflow.core.spec.Spec;
import io.hatflow.model.text.VocabularyFiles;
import io.hatflow.pipelines.io.InputFiles;
import io.hatflow.pipelines.prepare.PrepareConfig;
import io.hatflow.pipelines.prepare.PreparePipeline;
import io.hatflow.pipelines.prepare.PrepareResult;
import io.hatflow.transforms.prepare.CorpusFiles;
import io.hatflow.transforms.prepare.PairRules.DropReason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * prepare: the spec's {@code data} section to Avro shards and a joint subword vocabulary (learned
 * BPE, or the one {@code data.vocab.from} names: our vocabulary directory or a SentencePiece
 * model), in {@code prepare/}.
 */
public final class PrepareStage implements Stage {
  public static final String NAME = "prepare";

  /**
   * The code this stage's outputs depend on (CodeScopeTest checks it covers everything the stage
   * reaches).
   */
  static final CodeScope SCOPE =
      Stage.COMMON.plus(
          new CodeScope(
              List.of("io.hatflow.pipelines.prepare", "io.hatflow.transforms.prepare"),
              List.of("io.hatflow.pipelines.stages.PrepareStage")));

  /**
   * prepare's outputs: the Avro shards of every split (read with {@code Corpus}) and the joint
   * vocabulary.
   */
  public record Outputs(Path dir) {
    /** In a run directory's local copy ({@link RunDir#dir()}). */
    public static Outputs at(Path runDir) {
      return new Outputs(runDir.resolve(NAME));
    }

    public static Outputs in(RunDir rd) {
      return at(rd.dir());
    }

    /** The vocabulary folder ({@code VocabularyFiles}). */
    public Path vocab() {
      return dir.resolve(PreparePipeline.VOCAB_DIR);
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
  public String specSection(StageContext ctx) {
    // Input files by content, so a changed corpus is prepared again and a moved one is not.
    return Contents.of(ctx.spec().data()).toString();
  }

  static Map<String, String> inputs(Spec.DataSpec d) {
    Map<String, String> m = new java.util.LinkedHashMap<>();
    put(m, "train", d.train());
    put(m, "valid", d.valid());
    put(m, "test", d.test());
    if (d.vocabFrom() != null) {
      m.put("vocab_from", d.vocabFrom());
    }
    return m;
  }

  private static void put(Map<String, String> m, String split, Spec.Corpus c) {
    if (c == null) {
      return;
    }
    if (c.isTsv()) {
      m.put(split + ".tsv", c.tsv());
    } else {
      m.put(split + ".src", c.src());
      m.put(split + ".tgt", c.tgt());
    }
  }

  public static PrepareConfig config(Spec.DataSpec d, Path out) {
    return config(d, out.toString());
  }

  public static PrepareConfig config(Spec.DataSpec d, String out) {
    PrepareConfig c =
        PrepareConfig.defaults(corpus(d.train()), out)
            .withMaxTokens(d.maxTokens())
            .withMaxRatio(d.maxRatio())
            .withShards(d.shards())
            .withCarveSizes(d.validSize(), d.testSize());
    c = d.vocabFrom() != null ? c.withVocabFrom(d.vocabFrom()) : c.withVocabSize(d.vocabSize());
    if (d.valid() != null) {
      c = c.withValid(corpus(d.valid()));
    }
    if (d.test() != null) {
      c = c.withTest(corpus(d.test()));
    }
    return c;
  }

  /**
   * A remote SentencePiece model is digested through its copy in {@code vocab/}; other remote
   * inputs are not.
   */
  private static String remoteDigest(String input, Outputs out) {
    Path copy = out.vocab().resolve(VocabularyFiles.SENTENCEPIECE_FILE);
    return input.equals("vocab_from") && Files.isRegularFile(copy) ? Digests.sha256(copy) : null;
  }

  private static CorpusFiles corpus(Spec.Corpus c) {
    return c.isTsv() ? CorpusFiles.tsv(c.tsv()) : CorpusFiles.of(c.src(), c.tgt());
  }

  @Override
  public void run(StageContext ctx) {
    Spec.DataSpec d = ctx.spec().data();
    Outputs out = Outputs.in(ctx.runDir());
    // Workers write the shards straight into the run directory (its URI when it is on HDFS or GCS).
    PrepareResult r = PreparePipeline.run(config(d, ctx.uri(out.dir())), ctx.options());
    ctx.runDir().refresh(NAME);
    StageRecorder rec = ctx.record();
    for (Map.Entry<String, String> e : inputs(d).entrySet()) {
      if (InputFiles.isRemote(e.getValue())) {
        rec.input(e.getKey(), Artifact.remote(e.getValue(), remoteDigest(e.getKey(), out)));
      } else {
        rec.input(e.getKey(), Path.of(e.getValue()));
      }
    }
    rec.output("prepare", out.dir());
    ObjectNode counts = rec.counts();
    counts.put("vocab_size", r.vocabSize());
    counts.put("record_digest", r.recordDigest());
    for (PrepareResult.SplitCounts s : r.splits()) {
      ObjectNode sc = counts.putObject(s.split());
      sc.put("kept", s.kept());
      for (DropReason reason : DropReason.values()) {
        sc.put("dropped_" + reason.name().toLowerCase(java.util.Locale.ROOT), s.dropped(reason));
      }
    }
    ctx.log()
        .printf(
            "[prepare] vocabulary %d; kept train %d, valid %d, test %d pairs%n",
            r.vocabSize(),
            r.split("train").kept(),
            r.split("valid").kept(),
            r.split("test").kept());
  }
}
