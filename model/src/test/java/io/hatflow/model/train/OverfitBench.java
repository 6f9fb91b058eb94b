package io.hatflow.model.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import io.hatflow.core.text.Normalizer;
import io.hatflow.core.text.Vocabulary;
import io.hatflow.model.transformer.Dropouts;
import io.hatflow.model.transformer.SuperTransformer;
import io.hatflow.model.transformer.Threads;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Overfit probe: a fixed SubConfig on N pairs of testdata/multi30k must reach near-zero training
 * loss.
 */
public final class OverfitBench {
  public static void main(String[] a) throws Exception {
    if (a.length > 0 && a[0].equals("probe")) {
      probe(Path.of(a[1]), Integer.parseInt(a[2]));
      return;
    }
    if (a.length > 0 && a[0].equals("train")) {
      train(a);
      return;
    }
    int n = a.length > 0 ? Integer.parseInt(a[0]) : 50;
    int steps = a.length > 1 ? Integer.parseInt(a[1]) : 300;
    double lr = a.length > 2 ? Double.parseDouble(a[2]) : 1e-3;
    String which = a.length > 3 ? a[3] : "largest";
    Threads.useIntraOp(1);
    Path dir = Path.of(System.getProperty("testdata", "testdata/multi30k"));
    List<String> en = Files.readAllLines(dir.resolve("train.en")).subList(0, n);
    List<String> de = Files.readAllLines(dir.resolve("train.de")).subList(0, n);
    Map<String, Long> counts = new HashMap<>();
    for (int i = 0; i < n; i++) {
      Vocabulary.countWords(Normalizer.normalize(en.get(i)), counts);
      Vocabulary.countWords(Normalizer.normalize(de.get(i)), counts);
    }
    Vocabulary v = Vocabulary.learn(counts, 400);
    List<int[]> s = new ArrayList<>();
    List<int[]> t = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      s.add(v.encode(Normalizer.normalize(en.get(i))));
      t.add(v.encode(Normalizer.normalize(de.get(i))));
    }
    Batch b = Batch.of(s, t);
    SearchSpace tiny = SearchSpace.preset("tiny");
    SubConfig L = tiny.largest();
    SubConfig c =
        switch (which) {
          case "smallest" -> tiny.smallest();
          case "e96" ->
              new SubConfig(
                  96,
                  3,
                  L.encoderFfnEmbedDim(),
                  L.encoderSelfAttentionHeads(),
                  96,
                  3,
                  L.decoderFfnEmbedDim(),
                  L.decoderSelfAttentionHeads(),
                  L.decoderEndeAttentionHeads(),
                  L.decoderArbitraryEndeAttn());
          case "h2" ->
              new SubConfig(
                  128,
                  3,
                  L.encoderFfnEmbedDim(),
                  List.of(2, 2, 2),
                  128,
                  3,
                  L.decoderFfnEmbedDim(),
                  List.of(2, 2, 2),
                  List.of(2, 2, 2),
                  L.decoderArbitraryEndeAttn());
          case "d1" ->
              new SubConfig(
                  128,
                  3,
                  L.encoderFfnEmbedDim(),
                  L.encoderSelfAttentionHeads(),
                  128,
                  1,
                  List.of(512),
                  List.of(4),
                  List.of(4),
                  List.of(-1));
          default -> L;
        };
    System.out.printf(
        Locale.ROOT,
        "vocab %d, %d pairs, %d target tokens, %s%n",
        v.size(),
        n,
        b.targetTokens(),
        c.key());
    try (NDManager m = NDManager.newBaseManager();
        SuperTransformer model =
            SuperTransformer.create(m, tiny.largest(), tiny.qkvDim(), v.size(), Dropouts.NONE, 1)) {
      Adam adam = new Adam(model.weights(), model.manager(), 0.9, 0.98);
      for (NDArray p : model.weights().all().values()) {
        p.setRequiresGradient(true);
      }
      long t0 = System.nanoTime();
      for (int step = 1; step <= steps; step++) {
        double loss;
        try (NDScope scope = new NDScope();
            NDManager sm = model.manager().newSubManager()) {
          scope.suppressNotUsedWarning();
          try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            SubConfig cs = which.equals("random") ? tiny.sample(new java.util.Random(step)) : c;
            NDArray logits = model.forward(cs, b.srcArray(sm), b.prevArray(sm), true);
            NDArray[] l = Loss.labelSmoothed(logits, b.targetArray(sm), 0.0);
            gc.backward(l[0].div((float) b.targetTokens()));
            loss = l[1].getFloat() / b.targetTokens() / Math.log(2);
          }
          Threads.gradMode(false);
          adam.update(step, Math.min(lr, lr * step / 20), 1f);
          for (NDArray p : model.weights().all().values()) {
            JniUtils.zeroGrad((PtNDArray) p);
          }
        }
        if (step % 25 == 0 || step == 1) {
          System.out.printf(
              Locale.ROOT,
              "step %d nll %.4f bits/token (%.1f s)%n",
              step,
              loss,
              (System.nanoTime() - t0) / 1e9);
        }
      }
    }
  }

  /**
   * train OUTDIR VOCAB STEPS MAXTOK LR WARMUP CLIP DROPOUT SANDWICH: Trainer on testdata/multi30k
   * (text).
   */
  static void train(String[] a) throws Exception {
    Path out = Path.of(a[1]);
    int vocab = Integer.parseInt(a[2]);
    Path dir = Path.of(System.getProperty("testdata", "testdata/multi30k"));
    Path shards = out.resolve("shards");
    if (!Files.exists(shards.resolve("train-00000.avro"))) {
      Path raw = out.resolve("raw");
      Files.createDirectories(raw);
      for (String[] sp :
          new String[][] {{"train", "train"}, {"valid", "val"}, {"test", "test_2016_flickr"}}) {
        for (String l : new String[] {"en", "de"}) {
          try (var w =
              new java.util.zip.GZIPOutputStream(
                  Files.newOutputStream(raw.resolve(sp[1] + "." + l + ".gz")))) {
            w.write(Files.readAllBytes(dir.resolve(sp[0] + "." + l)));
          }
        }
      }
      TrainBench.prepare(raw, shards, vocab);
    }
    int v = TrainBench.vocabSize(shards);
    float d = Float.parseFloat(a[8]);
    TrainConfig cfg =
        TrainConfig.builder()
            .steps(Integer.parseInt(a[3]))
            .maxTokens(Integer.parseInt(a[4]))
            .lr(Double.parseDouble(a[5]))
            .warmupSteps(Integer.parseInt(a[6]))
            .schedule(TrainConfig.Schedule.INVERSE_SQRT)
            .minLr(1e-7)
            .beta1(0.9)
            .beta2(0.98)
            .labelSmoothing(0.1)
            .clipNorm(Double.parseDouble(a[7]))
            .gradAccum(1)
            .dropouts(new Dropouts(d, d, d))
            .seed(1)
            .checkpointEvery(100000)
            .sandwichEvery(Integer.parseInt(a[9]))
            .threads(1)
            .logEvery(25)
            .build();
    SearchSpace tiny = SearchSpace.preset("tiny");
    if (Boolean.getBoolean("fixedLargest")) {
      Map<String, List<Integer>> g = new java.util.LinkedHashMap<>();
      tiny.genes()
          .forEach(
              (k, xs) ->
                  g.put(
                      k,
                      List.of(
                          k.equals(SearchSpace.DECODER_ARBITRARY_ENDE_ATTN)
                              ? xs.stream().max(Integer::compare).get()
                              : xs.stream().max(Integer::compare).get())));
      tiny = new SearchSpace("tiny", tiny.qkvDim(), g);
    }
    Path run = out.resolve("run");
    Files.createDirectories(run);
    Files.deleteIfExists(run.resolve(SuperTransformerCheckpoint.FILE_NAME));
    long t0 = System.nanoTime();
    Trainer.train(
        cfg,
        tiny,
        v,
        shards,
        run,
        false,
        p ->
            System.out.printf(
                Locale.ROOT, "%s (%.0f s)%n", p.line(), (System.nanoTime() - t0) / 1e9));
    List<Batch> vb = Corpus.batches(Corpus.read(shards, "valid"), 4096);
    try (SuperTransformerCheckpoint ck = SuperTransformerCheckpoint.load(run)) {
      io.hatflow.model.eval.FitnessEvaluator ev =
          new io.hatflow.model.eval.FitnessEvaluator(ck.model(), 1, 0.1);
      for (SubConfig c : List.of(tiny.largest(), tiny.smallest())) {
        var f = ev.evaluate(c, vb);
        System.out.printf(
            Locale.ROOT, "valid %s loss %.3f nll %.3f bits%n", c.key(), f.loss(), f.nll());
      }
    }
  }

  /**
   * probe SHARDS STEPS: random SubTransformers on the shards; prints every gradient whose max |g|
   * is absurd.
   */
  static void probe(Path shards, int steps) throws Exception {
    Threads.useIntraOp(1);
    int v = TrainBench.vocabSize(shards);
    List<Batch> batches = Corpus.batches(Corpus.read(shards, "train"), 2048);
    SearchSpace tiny = SearchSpace.preset("tiny");
    try (NDManager m = NDManager.newBaseManager();
        SuperTransformer model =
            SuperTransformer.create(
                m,
                tiny.largest(),
                tiny.qkvDim(),
                v,
                Boolean.getBoolean("nodrop") ? Dropouts.NONE : Dropouts.DEFAULT,
                1)) {
      for (NDArray p : model.weights().all().values()) {
        p.setRequiresGradient(true);
      }
      for (int step = Integer.getInteger("from", 0); step < steps; step++) {
        SubConfig c = tiny.sample(new java.util.Random(step));
        Batch b = batches.get(step % batches.size());
        try (NDScope scope = new NDScope();
            NDManager sm = m.newSubManager()) {
          scope.suppressNotUsedWarning();
          if (Boolean.getBoolean("gc")) {
            System.gc();
          }
          Engine.getInstance().setRandomSeed(step);
          try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray logits = model.forward(c, b.srcArray(sm), b.prevArray(sm), true);
            gc.backward(
                Loss.labelSmoothed(logits, b.targetArray(sm), 0.1)[0].div(
                    (float) b.targetTokens()));
          }
          Threads.gradMode(false);
          double tot = 0;
          for (var e : model.weights().all().entrySet()) {
            float mx = e.getValue().getGradient().abs().max().getFloat();
            tot += mx;
            if (Boolean.getBoolean("each") && e.getKey().startsWith("dec.0.")) {
              System.out.printf(Locale.ROOT, "  %s %g%n", e.getKey(), mx);
            }
            if (!(mx < 1e3f)) {
              System.out.printf(
                  Locale.ROOT, "step %d %s max|g| %g config %s%n", step, e.getKey(), mx, c.key());
            }
            JniUtils.zeroGrad((PtNDArray) e.getValue());
          }
          System.out.printf(Locale.ROOT, "step %d sum max|g| %g %s%n", step, tot, c.key());
        }
      }
    }
  }
}
