package io.hatflow.model.export;

import ai.djl.ndarray.NDManager;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import io.hatflow.model.decode.OnnxTranslator;
import io.hatflow.model.extract.SubTransformerModel;
import io.hatflow.model.latency.EngineLatencySubject;
import io.hatflow.model.latency.LatencyProtocol;
import io.hatflow.model.latency.ModelLatencySubject;
import io.hatflow.model.transformer.Dropouts;
import io.hatflow.model.transformer.SuperTransformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Latency of one SubTransformer on three engines (DJL, ONNX Runtime fp32, ONNX Runtime int8) under
 * HAT's protocol, for launch/bench/export.sh. Random weights: latency does not depend on their
 * values. {@code speed SPACE VOCAB THREADS RUNS WORK}: the space's largest and smallest configs;
 * {@code winners ...}: a finished run's finalized models on its test split (see {@link #winners}).
 */
public final class OnnxBench {
  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("winners")) {
      winners(
          Path.of(args[1]),
          Integer.parseInt(args[2]),
          Integer.parseInt(args[3]),
          Integer.parseInt(args[4]),
          Integer.parseInt(args[5]));
      return;
    }
    SearchSpace space = SearchSpace.preset(args.length > 1 ? args[1] : "hat-wmt-space0");
    int vocab = args.length > 2 ? Integer.parseInt(args[2]) : 10000;
    int threads = args.length > 3 ? Integer.parseInt(args[3]) : 1;
    int runs = args.length > 4 ? Integer.parseInt(args[4]) : 20;
    Path work = Path.of(args.length > 5 ? args[5] : "/tmp/hatflow-bench-export");
    io.hatflow.model.transformer.Threads.useIntraOp(threads);
    LatencyProtocol hat = LatencyProtocol.hat(space);
    LatencyProtocol p =
        new LatencyProtocol(hat.tokens(), hat.beam(), hat.warmup(), runs, hat.trim());
    System.out.printf(
        "%s, vocab %d, %d thread(s), %d tokens, beam %d, %d timed runs%n",
        space.name(), vocab, threads, p.tokens(), p.beam(), runs);
    System.out.printf(
        "%-9s %-8s %10s %10s %10s %9s %9s%n",
        "config", "engine", "enc ms", "dec ms", "total ms", "vs djl", "MB");
    for (String which : List.of("largest", "smallest")) {
      SubConfig c = which.equals("largest") ? space.largest() : space.smallest();
      try (NDManager nd = NDManager.newBaseManager();
          SuperTransformer sup =
              SuperTransformer.create(nd, c, space.qkvDim(), vocab, Dropouts.NONE, 1)) {
        Path sub = work.resolve(which);
        Path export = work.resolve(which + "-onnx");
        SubTransformerModel.write(sup, c, "bench", sub);
        long t0 = System.nanoTime();
        OnnxExport.write(sub, export, true, true);
        System.out.printf(
            "# %s %s exported in %.1f s%n", which, c.key(), (System.nanoTime() - t0) / 1e9);
        double djl;
        try (ModelLatencySubject s = new ModelLatencySubject(sup, c, p, threads)) {
          djl =
              row(
                  which,
                  "djl",
                  p.measure(s, System::nanoTime),
                  0,
                  4.0 * sup.weights().numel() / 1e6);
        }
        for (boolean int8 : new boolean[] {false, true}) {
          long bytes =
              Files.size(export.resolve(int8 ? OnnxExport.ENCODER_INT8 : OnnxExport.ENCODER))
                  + Files.size(export.resolve(int8 ? OnnxExport.DECODER_INT8 : OnnxExport.DECODER));
          try (OnnxTranslator t = OnnxTranslator.open(export, int8, threads);
              EngineLatencySubject s = new EngineLatencySubject(t, p)) {
            row(
                which,
                int8 ? "ort-int8" : "ort-fp32",
                p.measure(s, System::nanoTime),
                djl,
                bytes / 1e6);
          }
        }
      }
    }
  }

  /**
   * {@code winners RUN_DIR THREADS RUNS BEAM REPEATS}: every finalized model of a run
   * (finalize/models/*, exported to finalize/export/* by finalize) on the run's test split: the
   * share of sentences whose ONNX fp32 (int8) output equals DJL's with the same beam, BLEU per
   * engine, and encoder+decoder latency per engine by HAT's protocol (median of REPEATS
   * measurements), with int8's speed-up over fp32 and its BLEU change: one table.
   */
  static void winners(Path run, int threads, int runs, int beam, int repeats) throws Exception {
    io.hatflow.model.transformer.Threads.useIntraOp(threads);
    List<io.hatflow.schemas.SentencePair> test =
        io.hatflow.model.train.Corpus.records(run.resolve("prepare"), "test");
    List<String> src = test.stream().map(io.hatflow.schemas.SentencePair::getSrc).toList();
    List<String> ref = test.stream().map(io.hatflow.schemas.SentencePair::getTgt).toList();
    io.hatflow.model.decode.DecodeConfig dc =
        new io.hatflow.model.decode.DecodeConfig(beam, 0.6, 1.2, 10);
    List<Path> models;
    try (var s = Files.list(run.resolve("finalize/models"))) {
      models = s.filter(Files::isDirectory).sorted().toList();
    }
    System.out.printf(
        "%s: %d test sentences, beam %d, %d thread(s), %d timed runs x %d repeats (median)%n",
        run, src.size(), beam, threads, runs, repeats);
    System.out.printf(
        "%-22s %8s %8s %8s %8s %8s %9s %9s %9s %8s %8s%n",
        "model", "same32%", "same8%", "bleuDJL", "bleu32", "bleu8", "msDJL", "ms32", "ms8", "int8x",
        "dBLEU8");
    try (io.hatflow.core.text.SubwordVocabulary vocab =
        io.hatflow.model.text.VocabularyFiles.load(run.resolve("prepare/vocab"))) {
      for (Path model : models) {
        Path export = run.resolve("finalize/export").resolve(model.getFileName().toString());
        if (!Files.exists(export.resolve(OnnxExport.META))) {
          export = Files.createTempDirectory("hatflow-bench-export").resolve("e");
          OnnxExport.write(model, run.resolve("prepare/vocab"), export, true, true);
        }
        List<String> djl;
        try (io.hatflow.model.decode.Translator t =
            new io.hatflow.model.decode.Translator(model, vocab, dc, threads)) {
          djl = t.translate(src);
        }
        List<List<String>> ort = new java.util.ArrayList<>();
        for (boolean int8 : new boolean[] {false, true}) {
          try (OnnxTranslator t = OnnxTranslator.open(export, int8, threads)) {
            ort.add(t.translate(src, dc));
          }
        }
        LatencyProtocol p;
        double[] ms = new double[3];
        try (NDManager nd = NDManager.newBaseManager();
            SubTransformerModel.Loaded l = SubTransformerModel.load(model, nd)) {
          LatencyProtocol hat = LatencyProtocol.hat(SearchSpace.preset("tiny"));
          p = new LatencyProtocol(hat.tokens(), beam, hat.warmup(), runs, hat.trim());
          ms[0] =
              median(
                  repeats,
                  () -> {
                    try (ModelLatencySubject s =
                        new ModelLatencySubject(l.model(), l.config(), p, threads)) {
                      LatencyProtocol.Stats st = p.measure(s, System::nanoTime);
                      return st.meanEncoderMs() + st.meanDecoderMs();
                    }
                  });
        }
        for (int q = 0; q < 2; q++) {
          boolean int8 = q == 1;
          Path e = export;
          ms[q + 1] =
              median(
                  repeats,
                  () -> {
                    try (OnnxTranslator t = OnnxTranslator.open(e, int8, threads);
                        EngineLatencySubject s = new EngineLatencySubject(t, p)) {
                      LatencyProtocol.Stats st = p.measure(s, System::nanoTime);
                      return st.meanEncoderMs() + st.meanDecoderMs();
                    }
                  });
        }
        double b0 = bleu(djl, ref);
        double b32 = bleu(ort.get(0), ref);
        double b8 = bleu(ort.get(1), ref);
        System.out.printf(
            "%-22s %8.1f %8.1f %8.2f %8.2f %8.2f %9.2f %9.2f %9.2f %7.2fx %+8.2f%n",
            model.getFileName(),
            same(djl, ort.get(0)),
            same(djl, ort.get(1)),
            b0,
            b32,
            b8,
            ms[0],
            ms[1],
            ms[2],
            ms[1] / ms[2],
            b8 - b32);
      }
    }
  }

  private static double bleu(List<String> hyp, List<String> ref) {
    return io.hatflow.core.bleu.Bleu.corpusBleu(
            hyp, ref, io.hatflow.core.bleu.BleuOptions.defaults())
        .score();
  }

  private static double same(List<String> a, List<String> b) {
    int n = 0;
    for (int i = 0; i < a.size(); i++) {
      n += a.get(i).equals(b.get(i)) ? 1 : 0;
    }
    return 100.0 * n / Math.max(1, a.size());
  }

  private static double median(int repeats, java.util.function.DoubleSupplier f) {
    double[] xs = new double[repeats];
    for (int i = 0; i < repeats; i++) {
      xs[i] = f.getAsDouble();
    }
    java.util.Arrays.sort(xs);
    return repeats % 2 == 1 ? xs[repeats / 2] : (xs[repeats / 2 - 1] + xs[repeats / 2]) / 2;
  }

  private static double row(
      String config, String engine, LatencyProtocol.Stats s, double djl, double mb) {
    double total = s.meanEncoderMs() + s.meanDecoderMs();
    System.out.printf(
        "%-9s %-8s %10.2f %10.2f %10.2f %9s %9.1f%n",
        config,
        engine,
        s.meanEncoderMs(),
        s.meanDecoderMs(),
        total,
        djl == 0 ? "" : String.format("%.2fx", djl / total),
        mb);
    return total;
  }
}
