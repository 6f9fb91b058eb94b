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
 * Latency of one SubTransformer on three engines (DJL, ONNX Runtime fp32, ONNX Runtime int8) under HAT's protocol,
 * for launch/bench/export.sh. Random weights: latency does not depend on their values.
 * {@code speed SPACE VOCAB THREADS RUNS WORK}: the space's largest and smallest configs.
 */
public final class OnnxBench {
  public static void main(String[] args) throws Exception {
    SearchSpace space = SearchSpace.preset(args.length > 1 ? args[1] : "hat-wmt-space0");
    int vocab = args.length > 2 ? Integer.parseInt(args[2]) : 10000;
    int threads = args.length > 3 ? Integer.parseInt(args[3]) : 1;
    int runs = args.length > 4 ? Integer.parseInt(args[4]) : 20;
    Path work = Path.of(args.length > 5 ? args[5] : "/tmp/hatflow-bench-export");
    io.hatflow.model.transformer.Threads.useIntraOp(threads);
    LatencyProtocol hat = LatencyProtocol.hat(space);
    LatencyProtocol p = new LatencyProtocol(hat.tokens(), hat.beam(), hat.warmup(), runs, hat.trim());
    System.out.printf("%s, vocab %d, %d thread(s), %d tokens, beam %d, %d timed runs%n", space.name(), vocab,
        threads, p.tokens(), p.beam(), runs);
    System.out.printf("%-9s %-8s %10s %10s %10s %9s %9s%n", "config", "engine", "enc ms", "dec ms", "total ms",
        "vs djl", "MB");
    for (String which : List.of("largest", "smallest")) {
      SubConfig c = which.equals("largest") ? space.largest() : space.smallest();
      try (NDManager nd = NDManager.newBaseManager();
          SuperTransformer sup = SuperTransformer.create(nd, c, space.qkvDim(), vocab, Dropouts.NONE, 1)) {
        Path sub = work.resolve(which);
        Path export = work.resolve(which + "-onnx");
        SubTransformerModel.write(sup, c, "bench", sub);
        long t0 = System.nanoTime();
        OnnxExport.write(sub, export, true, true);
        System.out.printf("# %s %s exported in %.1f s%n", which, c.key(), (System.nanoTime() - t0) / 1e9);
        double djl;
        try (ModelLatencySubject s = new ModelLatencySubject(sup, c, p, threads)) {
          djl = row(which, "djl", p.measure(s, System::nanoTime), 0, 4.0 * sup.weights().numel() / 1e6);
        }
        for (boolean int8 : new boolean[] {false, true}) {
          long bytes = Files.size(export.resolve(int8 ? OnnxExport.ENCODER_INT8 : OnnxExport.ENCODER))
              + Files.size(export.resolve(int8 ? OnnxExport.DECODER_INT8 : OnnxExport.DECODER));
          try (OnnxTranslator t = OnnxTranslator.open(export, int8, threads);
              EngineLatencySubject s = new EngineLatencySubject(t, p)) {
            row(which, int8 ? "ort-int8" : "ort-fp32", p.measure(s, System::nanoTime), djl, bytes / 1e6);
          }
        }
      }
    }
  }

  private static double row(String config, String engine, LatencyProtocol.Stats s, double djl, double mb) {
    double total = s.meanEncoderMs() + s.meanDecoderMs();
    System.out.printf("%-9s %-8s %10.2f %10.2f %10.2f %9s %9.1f%n", config, engine, s.meanEncoderMs(),
        s.meanDecoderMs(), total, djl == 0 ? "" : String.format("%.2fx", djl / total), mb);
    return total;
  }
}
