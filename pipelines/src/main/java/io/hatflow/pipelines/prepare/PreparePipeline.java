package io.hatflow.pipelines.prepare;

import io.hatflow.core.text.Vocabulary;
import io.hatflow.model.text.VocabularyFiles;
import io.hatflow.schemas.SentencePair;
import io.hatflow.transforms.prepare.AssignBuckets;
import io.hatflow.transforms.prepare.BadCorpusException;
import io.hatflow.transforms.prepare.CorpusFiles;
import io.hatflow.transforms.prepare.CountWords;
import io.hatflow.transforms.prepare.DropDuplicates;
import io.hatflow.transforms.prepare.EncodePairs;
import io.hatflow.transforms.prepare.FilterPairs;
import io.hatflow.transforms.prepare.LearnBpe;
import io.hatflow.transforms.prepare.NormalizePairs;
import io.hatflow.transforms.prepare.PairRules.DropReason;
import io.hatflow.transforms.prepare.PrepareTags;
import io.hatflow.transforms.prepare.ReadParallelCorpus;
import io.hatflow.transforms.prepare.RecordDigest;
import io.hatflow.transforms.prepare.SplitPairs;
import io.hatflow.transforms.prepare.WriteShards;
import io.hatflow.transforms.prepare.WriteVocabulary;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * The prepare stage: raw parallel text to normalised, subword-encoded, deduplicated, filtered,
 * length-bucketed Avro shards, in one Beam pipeline. The BPE vocabulary is learned inside it
 * (distributed word count, then the learner on the combined counts), or given ({@code
 * data.vocab.from}: our vocabulary directory or a SentencePiece {@code .model} file), and applied
 * as a side input.
 *
 * <p>Output directory:
 *
 * <pre>
 *   train-00000-of-0000N.avro ...  valid-*.avro  test-*.avro   SentencePair records
 *   vocab/vocab.txt  vocab/merges.txt                           our BPE vocabulary (learned or copied), or
 *   vocab/sentencepiece.model                                   the given SentencePiece model (copied)
 *   stats.tsv                                                   kept and dropped counts, record digest
 * </pre>
 *
 * Everything is written under {@code <out>.tmp-<uuid>} and renamed to {@code <out>} only when the
 * pipeline succeeded; on failure the temporary directory is deleted, so {@code <out>} is never
 * half-written.
 */
public final class PreparePipeline {
  private PreparePipeline() {}

  public static final List<String> SPLITS = List.of("train", "valid", "test");
  public static final String VOCAB_DIR = "vocab";
  public static final String STATS_FILE = "stats.tsv";
  static final String DIGEST_KEY = "digest";

  /**
   * The lines of all {@code parts} (each one or more lines), sorted: associative and commutative,
   * so a combiner.
   */
  static String sortedLines(Iterable<String> parts) {
    List<String> lines = new ArrayList<>();
    for (String p : parts) {
      if (!p.isEmpty()) {
        lines.addAll(List.of(p.split("\n")));
      }
    }
    java.util.Collections.sort(lines);
    return String.join("\n", lines);
  }

  /**
   * Runs prepare to completion on the runner in {@code options}.
   *
   * @throws BadCorpusException (an IllegalArgumentException) for bad input, with the file and line
   */
  public static PrepareResult run(PrepareConfig cfg, PipelineOptions options) {
    FileSystems.setDefaultPipelineOptions(options);
    checkInputs(cfg);
    VocabularyFiles given = cfg.vocabFrom() == null ? null : readVocabulary(cfg.vocabFrom());
    String out = stripSlash(cfg.outputDir());
    String tmp = out + ".tmp-" + UUID.randomUUID().toString().substring(0, 8);
    PipelineResult job = null;
    try {
      Pipeline p = Pipeline.create(options);
      build(p, cfg, given, tmp);
      job = p.run();
      PipelineResult.State state = job.waitUntilFinish();
      if (state != PipelineResult.State.DONE) {
        throw new IllegalStateException("prepare pipeline ended in state " + state);
      }
      commit(tmp, out);
      return readResult(out);
    } catch (RuntimeException e) {
      removeAfterFailure(job, tmp);
      throw unwrap(e);
    }
  }

  /**
   * DirectRunner reports a job's first failure while its other workers may still be writing: cancel
   * the job, then delete {@code tmp} until it stays gone, so nothing half-written appears after the
   * error is thrown.
   */
  static void removeAfterFailure(PipelineResult job, String tmp) {
    if (job != null) {
      try {
        job.cancel();
        job.waitUntilFinish(org.joda.time.Duration.standardSeconds(10));
      } catch (IOException | RuntimeException ignored) {
        // already failed or finished: nothing left to stop
      }
    }
    for (int quiet = 0, round = 0; quiet < 3 && round < 50; round++) {
      boolean existed = isLocal(tmp) && Files.exists(Paths.get(tmp.replaceFirst("^file://", "")));
      deleteQuietly(tmp);
      quiet = existed ? 0 : quiet + 1;
      try {
        Thread.sleep(50);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Adds prepare's transforms to {@code p}, writing under {@code dir}. */
  public static void build(Pipeline p, PrepareConfig cfg, VocabularyFiles given, String dir) {
    List<PCollection<SentencePair>> reads = new ArrayList<>();
    reads.add(p.apply("ReadTrain", ReadParallelCorpus.of("train", cfg.train())));
    if (cfg.valid() != null) {
      reads.add(p.apply("ReadValid", ReadParallelCorpus.of("valid", cfg.valid())));
    }
    if (cfg.test() != null) {
      reads.add(p.apply("ReadTest", ReadParallelCorpus.of("test", cfg.test())));
    }
    PCollectionTuple deduped =
        PCollectionList.of(reads)
            .apply("AllSplits", Flatten.pCollections())
            .apply("NormalizePairs", NormalizePairs.create())
            .apply("DropDuplicates", DropDuplicates.create());
    PCollection<SentencePair> pairs = deduped.get(PrepareTags.KEPT);
    int carveValid = cfg.valid() == null ? cfg.validSize() : 0;
    int carveTest = cfg.test() == null ? cfg.testSize() : 0;
    if (carveValid + carveTest > 0) {
      PCollection<SentencePair> carved =
          pairs
              .apply("TrainOnly", Filter.by(PreparePipeline::isTrain))
              .apply("SplitPairs", SplitPairs.of(carveValid, carveTest));
      PCollection<SentencePair> given2 = pairs.apply("GivenSplits", Filter.by(x -> !isTrain(x)));
      pairs = PCollectionList.of(carved).and(given2).apply("WithCarved", Flatten.pCollections());
    }

    PCollection<VocabularyFiles> vocab =
        given != null
            ? p.apply(
                "GivenVocabulary",
                Create.of(given).withCoder(SerializableCoder.of(VocabularyFiles.class)))
            : pairs
                .apply("TrainForVocabulary", Filter.by(PreparePipeline::isTrain))
                .apply("CountWords", CountWords.create())
                .apply("LearnBpe", LearnBpe.of(cfg.vocabSize()));
    vocab.apply("WriteVocabulary", WriteVocabulary.to(dir + "/" + VOCAB_DIR));
    PCollectionView<VocabularyFiles> vocabView = vocab.apply("VocabularyView", View.asSingleton());

    PCollectionTuple filtered =
        pairs
            .apply("EncodePairs", EncodePairs.with(vocabView))
            .apply("FilterPairs", FilterPairs.of(cfg.maxTokens(), cfg.maxRatio()));
    PCollection<SentencePair> records =
        filtered.get(PrepareTags.KEPT).apply("AssignBuckets", AssignBuckets.of(cfg.bucketBounds()));
    records.apply("WriteShards", WriteShards.to(dir, cfg.shards()));

    records
        .apply("TrainRecords", Filter.by(PreparePipeline::isTrain))
        .apply("CountTrain", Count.globally())
        .apply(
            "RequireTrain",
            ParDo.of(
                new DoFn<Long, Void>() {
                  @ProcessElement
                  public void process(@Element Long n) {
                    if (n == 0) {
                      throw new BadCorpusException(
                          "no training pairs left after removing duplicates, empty, too long and "
                              + "badly proportioned pairs (and carving valid/test) from "
                              + cfg.train());
                    }
                  }
                }));
    PCollection<String> kept =
        records
            .apply(
                "SplitOf",
                MapElements.into(TypeDescriptors.strings()).via(r -> r.getSplit() + "/kept"))
            .apply("CountKept", Count.perElement())
            .apply(
                "KeptLines",
                MapElements.into(TypeDescriptors.strings()).via(PreparePipeline::statLine));
    PCollection<String> dropped =
        PCollectionList.of(deduped.get(PrepareTags.DROPPED))
            .and(filtered.get(PrepareTags.DROPPED))
            .apply("AllDrops", Flatten.pCollections())
            .apply("CountDrops", Count.perElement())
            .apply(
                "DropLines",
                MapElements.into(TypeDescriptors.strings()).via(PreparePipeline::statLine));
    PCollection<String> digest =
        records
            .apply("RecordDigest", RecordDigest.create())
            .apply(
                "DigestLine",
                MapElements.into(TypeDescriptors.strings()).via(d -> DIGEST_KEY + "\t" + d));
    PCollectionList.of(kept)
        .and(dropped)
        .and(digest)
        .apply("AllStats", Flatten.pCollections())
        // one sorted text: a flattened collection has no order, and the file's bytes must not
        // depend on the runner
        .apply("SortStats", Combine.globally(PreparePipeline::sortedLines))
        .apply("WriteStats", TextIO.write().to(dir + "/" + STATS_FILE).withoutSharding());
  }

  private static boolean isTrain(SentencePair p) {
    return "train".equals(p.getSplit());
  }

  private static String statLine(KV<String, Long> kv) {
    return kv.getKey() + "\t" + kv.getValue();
  }

  /** Each given path must name exactly one existing file; fails before any pipeline starts. */
  static void checkInputs(PrepareConfig cfg) {
    requireFiles("train", cfg.train());
    if (cfg.valid() != null) {
      requireFiles("valid", cfg.valid());
    }
    if (cfg.test() != null) {
      requireFiles("test", cfg.test());
    }
  }

  private static void requireFiles(String split, CorpusFiles f) {
    if (f.isTsv()) {
      requireFile("data." + split + ".tsv", f.tsv());
    } else {
      requireFile("data." + split + ".src", f.src());
      requireFile("data." + split + ".tgt", f.tgt());
    }
  }

  private static void requireFile(String what, String path) {
    MatchResult m;
    try {
      m = FileSystems.match(path);
    } catch (IOException | IllegalArgumentException e) {
      throw new BadCorpusException(what + ": cannot read " + path + ": " + e.getMessage());
    }
    List<MatchResult.Metadata> files;
    try {
      files = m.status() == MatchResult.Status.OK ? m.metadata() : List.of();
    } catch (IOException e) {
      files = List.of();
    }
    if (files.isEmpty()) {
      throw new BadCorpusException(what + ": file not found: " + path);
    }
    if (files.size() > 1) {
      throw new BadCorpusException(
          what
              + ": "
              + path
              + " matches "
              + files.size()
              + " files; name one file per side (lines are aligned within a file)");
    }
    if (files.get(0).resourceId().isDirectory()
        || isLocal(path) && Files.isDirectory(Paths.get(path.replaceFirst("^file://", "")))) {
      throw new BadCorpusException(what + ": " + path + " is a directory, expected a file");
    }
  }

  /**
   * Reads {@code data.vocab.from}: a vocabulary directory as prepare writes it ({@value
   * Vocabulary#VOCAB_FILE} and {@value Vocabulary#MERGES_FILE}, or {@value
   * VocabularyFiles#SENTENCEPIECE_FILE}) or a SentencePiece model file, local or on any Beam
   * filesystem.
   */
  static VocabularyFiles readVocabulary(String from) {
    String d = stripSlash(from);
    if (exists(d + "/" + Vocabulary.VOCAB_FILE)
        || exists(d + "/" + VocabularyFiles.SENTENCEPIECE_FILE)) {
      try {
        return readPreparedVocabulary(d);
      } catch (IOException | IllegalArgumentException e) {
        throw new BadCorpusException(
            "data.vocab.from: cannot read the vocabulary in " + d + ": " + e.getMessage());
      }
    }
    byte[] model;
    try {
      model = readAll(d);
    } catch (IOException | IllegalArgumentException e) {
      throw new BadCorpusException(
          "data.vocab.from: "
              + d
              + " is neither a vocabulary directory (with "
              + Vocabulary.VOCAB_FILE
              + " and "
              + Vocabulary.MERGES_FILE
              + ") nor a readable SentencePiece model file: "
              + e.getMessage());
    }
    try {
      return VocabularyFiles.sentencePiece(model);
    } catch (IllegalArgumentException e) {
      String why =
          e.getMessage()
              .replaceFirst("^not a SentencePiece model[: ]*", "")
              .replaceFirst("^\\((.*)\\)$", "$1");
      throw new BadCorpusException(
          "data.vocab.from: "
              + d
              + " is not a SentencePiece model ("
              + why
              + ") nor a vocabulary directory");
    }
  }

  /**
   * Reads a finished output's {@code vocab/} directory (either kind), local or on any Beam
   * filesystem.
   */
  static VocabularyFiles readPreparedVocabulary(String dir) throws IOException {
    String sp = dir + "/" + VocabularyFiles.SENTENCEPIECE_FILE;
    return exists(sp)
        ? VocabularyFiles.sentencePiece(readAll(sp))
        : VocabularyFiles.bpe(
            readAll(dir + "/" + Vocabulary.VOCAB_FILE),
            readAll(dir + "/" + Vocabulary.MERGES_FILE),
            dir);
  }

  /** Whether {@code path} names one existing file. */
  static boolean exists(String path) {
    try {
      MatchResult m = FileSystems.match(path);
      return m.status() == MatchResult.Status.OK && m.metadata().size() == 1;
    } catch (IOException | IllegalArgumentException e) {
      return false;
    }
  }

  static byte[] readAll(String path) throws IOException {
    ResourceId id = FileSystems.matchSingleFileSpec(path).resourceId();
    try (InputStream in = Channels.newInputStream(FileSystems.open(id))) {
      ByteArrayOutputStream bos = new ByteArrayOutputStream();
      in.transferTo(bos);
      return bos.toByteArray();
    }
  }

  /** Reads stats and vocabulary back from a finished output directory. */
  public static PrepareResult readResult(String dir) {
    try {
      Map<String, Map<DropReason, Long>> drops = new HashMap<>();
      Map<String, Long> kept = new HashMap<>();
      String digest = null;
      for (String line :
          new String(readAll(dir + "/" + STATS_FILE), StandardCharsets.UTF_8).split("\n")) {
        if (line.isEmpty()) {
          continue;
        }
        String[] kv = line.split("\t");
        if (kv[0].equals(DIGEST_KEY)) {
          digest = kv[1];
          continue;
        }
        String[] sr = kv[0].split("/");
        long n = Long.parseLong(kv[1]);
        if (sr[1].equals("kept")) {
          kept.put(sr[0], n);
        } else {
          drops
              .computeIfAbsent(sr[0], x -> new EnumMap<>(DropReason.class))
              .put(DropReason.valueOf(sr[1].toUpperCase(java.util.Locale.ROOT)), n);
        }
      }
      List<PrepareResult.SplitCounts> splits = new ArrayList<>();
      for (String s : SPLITS) {
        splits.add(
            new PrepareResult.SplitCounts(
                s, kept.getOrDefault(s, 0L), drops.getOrDefault(s, Map.of())));
      }
      VocabularyFiles v = readPreparedVocabulary(dir + "/" + VOCAB_DIR);
      List<String> files = new ArrayList<>();
      for (String rel : io.hatflow.transforms.io.Artifacts.listFiles(dir)) {
        files.add(dir + "/" + rel);
      }
      files.sort(Comparator.naturalOrder());
      return new PrepareResult(dir, splits, v.size(), v.digest(), digest, files);
    } catch (IOException e) {
      throw new UncheckedIOException("reading prepare's results in " + dir + ": " + e, e);
    }
  }

  /** The folder Beam's file sinks write their temporary files to, under the output directory. */
  static final String BEAM_TEMP = ".temp-beam";

  /** Moves the finished temporary directory to {@code out}, replacing what was there. */
  static void commit(String tmp, String out) {
    try {
      if (isLocal(out)) {
        Path o = Paths.get(out);
        Path t = Paths.get(tmp);
        // Beam's file sinks leave their (emptied) temp folder behind; it is no output of prepare.
        deleteQuietly(t.resolve(BEAM_TEMP).toString());
        Path old = Paths.get(out + ".old-" + UUID.randomUUID().toString().substring(0, 8));
        if (Files.exists(o)) {
          Files.move(o, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(t, o, StandardCopyOption.ATOMIC_MOVE);
        deleteQuietly(old.toString());
      } else if (out.startsWith("hdfs://") || out.startsWith("webhdfs://")) {
        // HDFS renames a directory atomically (one NameNode operation): readers see the old or the
        // new whole.
        org.apache.hadoop.fs.FileSystem fs =
            org.apache.hadoop.fs.FileSystem.get(
                java.net.URI.create(out), new org.apache.hadoop.conf.Configuration());
        org.apache.hadoop.fs.Path o = new org.apache.hadoop.fs.Path(out);
        fs.delete(new org.apache.hadoop.fs.Path(tmp + "/" + BEAM_TEMP), true);
        fs.delete(o, true);
        if (!fs.rename(new org.apache.hadoop.fs.Path(tmp), o)) {
          throw new IOException("HDFS refused to rename " + tmp + " to " + out);
        }
      } else {
        // Object stores have no directories: remove the old files, then rename ours; stats.tsv
        // last, so a reader
        // that checks for it never sees a partial set.
        deleteQuietly(out);
        List<ResourceId> src = new ArrayList<>();
        List<ResourceId> dst = new ArrayList<>();
        ResourceId stats = null;
        for (String rel : io.hatflow.transforms.io.Artifacts.listFiles(tmp)) {
          if (rel.startsWith(BEAM_TEMP + "/")) {
            continue;
          }
          ResourceId id = FileSystems.matchNewResource(tmp + "/" + rel, false);
          if (rel.equals(STATS_FILE)) {
            stats = id;
            continue;
          }
          src.add(id);
          dst.add(FileSystems.matchNewResource(out + "/" + rel, false));
        }
        FileSystems.rename(src, dst);
        if (stats != null) {
          FileSystems.rename(
              List.of(stats), List.of(FileSystems.matchNewResource(out + "/" + STATS_FILE, false)));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("moving " + tmp + " to " + out, e);
    }
  }

  static boolean isLocal(String path) {
    return !path.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*") || path.startsWith("file://");
  }

  static void deleteQuietly(String dir) {
    try {
      if (isLocal(dir)) {
        Path d = Paths.get(dir.replaceFirst("^file://", ""));
        if (Files.exists(d)) {
          try (Stream<Path> s = Files.walk(d)) {
            s.sorted(Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
          }
        }
      } else {
        io.hatflow.pipelines.io.AvroFiles.deleteTree(dir);
      }
    } catch (IOException | RuntimeException ignored) {
      // best effort: the failure being reported matters more
    }
  }

  private static String stripSlash(String s) {
    return s.endsWith("/") && s.length() > 1 ? s.substring(0, s.length() - 1) : s;
  }

  /**
   * Finds our bad-input exception inside a runner's wrapping (Flink serialises causes as
   * SerializedThrowable).
   */
  static RuntimeException unwrap(RuntimeException e) {
    String name = BadCorpusException.class.getName();
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BadCorpusException b) {
        return b;
      }
      String s = t.toString();
      if (s.startsWith(name + ": ")) {
        BadCorpusException b = new BadCorpusException(s.substring(name.length() + 2));
        b.initCause(e);
        return b;
      }
    }
    return e;
  }
}
