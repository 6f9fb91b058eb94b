package io.hatflow.model.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.hatflow.core.bleu.Bleu;
import io.hatflow.core.bleu.BleuOptions;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import io.hatflow.core.text.Normalizer;
import io.hatflow.core.text.Vocabulary;
import io.hatflow.model.decode.DecodeConfig;
import io.hatflow.model.decode.SequenceGenerator;
import io.hatflow.model.eval.FitnessEvaluator;
import io.hatflow.model.transformer.Dropouts;
import io.hatflow.model.transformer.SuperTransformer;
import io.hatflow.model.transformer.Threads;
import io.hatflow.schemas.SentencePair;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * Benchmarks for launch/bench/train.sh. {@code prepare DATA OUT VOCAB}: Multi30k gz files to shards
 * + vocabulary; {@code speed SHARDS THREADS}: training tokens/s (tiny, hat-wmt-space0), elastic
 * overhead, evaluations/s; {@code quality SHARDS OUT STEPS THREADS NTEST}: trains tiny and prints
 * BLEU of the largest and smallest SubTransformer with inherited weights on test_2016_flickr.
 */
public final class TrainBench {
  public static void main(String[] a) throws Exception {
    switch (a[0]) {
      case "prepare" -> prepare(Path.of(a[1]), Path.of(a[2]), Integer.parseInt(a[3]));
      case "speed" -> speed(Path.of(a[1]), Integer.parseInt(a[2]));
      case "score" ->
          score(Path.of(a[1]), Path.of(a[2]), Integer.parseInt(a[3]), Integer.parseInt(a[4]));
      case "quality" ->
          quality(
              Path.of(a[1]),
              Path.of(a[2]),
              Integer.parseInt(a[3]),
              Integer.parseInt(a[4]),
              Integer.parseInt(a[5]));
      default -> throw new IllegalArgumentException(a[0]);
    }
  }

  static List<String> gz(Path p) throws Exception {
    List<String> out = new ArrayList<>();
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(p)), StandardCharsets.UTF_8))) {
      for (String l; (l = r.readLine()) != null; ) {
        out.add(Normalizer.normalize(l));
      }
    }
    return out;
  }

  static void prepare(Path data, Path out, int vocabSize) throws Exception {
    long t0 = System.nanoTime();
    Map<String, List<String>> en = new HashMap<>();
    Map<String, List<String>> de = new HashMap<>();
    for (String[] s :
        new String[][] {{"train", "train"}, {"valid", "val"}, {"test", "test_2016_flickr"}}) {
      en.put(s[0], gz(data.resolve(s[1] + ".en.gz")));
      de.put(s[0], gz(data.resolve(s[1] + ".de.gz")));
    }
    Map<String, Long> counts = new HashMap<>();
    for (String l : en.get("train")) {
      Vocabulary.countWords(l, counts);
    }
    for (String l : de.get("train")) {
      Vocabulary.countWords(l, counts);
    }
    Vocabulary v = Vocabulary.learn(counts, vocabSize);
    Files.createDirectories(out);
    v.save(out.resolve("vocab"));
    for (String split : List.of("train", "valid", "test")) {
      try (DataFileWriter<SentencePair> w =
          new DataFileWriter<>(new SpecificDatumWriter<>(SentencePair.class))) {
        w.create(SentencePair.getClassSchema(), out.resolve(split + "-00000.avro").toFile());
        List<String> s = en.get(split);
        List<String> t = de.get(split);
        for (int i = 0; i < s.size(); i++) {
          List<Integer> si = Arrays.stream(v.encode(s.get(i))).boxed().toList();
          List<Integer> ti = Arrays.stream(v.encode(t.get(i))).boxed().toList();
          w.append(
              SentencePair.newBuilder()
                  .setId(String.format("%s-%06d", split, i))
                  .setSplit(split)
                  .setSrc(s.get(i))
                  .setTgt(t.get(i))
                  .setSrcIds(si)
                  .setTgtIds(ti)
                  .setSrcLen(si.size())
                  .setTgtLen(ti.size())
                  .setBucket(Math.max(si.size(), ti.size()) / 8)
                  .build());
        }
      }
    }
    System.out.printf(
        Locale.ROOT,
        "prepared %d train pairs, vocabulary %d ids in %.1f s%n",
        en.get("train").size(),
        v.size(),
        (System.nanoTime() - t0) / 1e9);
  }

  static int vocabSize(Path shards) throws Exception {
    return Vocabulary.load(shards.resolve("vocab")).size();
  }

  static void speed(Path shards, int threads) throws Exception {
    int vocab = vocabSize(shards);
    List<Batch> train = Corpus.batches(Corpus.read(shards, "train"), 2048);
    System.out.println(
        "# machine shared with other jobs: figures are noisy; medians of interleaved steps");
    SearchSpace tiny = SearchSpace.preset("tiny");
    Threads.useIntraOp(threads);
    System.out.printf(
        Locale.ROOT,
        "train tiny           tok/s %.0f%n",
        tokensPerSecond(tiny, vocab, train, 20, threads));
    List<Batch> small = Corpus.batches(Corpus.read(shards, "train"), 1024);
    System.out.printf(
        Locale.ROOT,
        "train hat-wmt-space0 tok/s %.0f (max_tokens 1024, 4 steps)%n",
        tokensPerSecond(SearchSpace.preset("hat-wmt-space0"), vocab, small, 4, threads));
    elastic(tiny, vocab, train, threads);
    List<Corpus.Pair> valid = Corpus.subset(Corpus.read(shards, "valid"), 500);
    List<Batch> vb = Corpus.batches(valid, 4096);
    try (NDManager m = NDManager.newBaseManager();
        SuperTransformer model =
            SuperTransformer.create(m, tiny.largest(), tiny.qkvDim(), vocab, Dropouts.DEFAULT, 1)) {
      for (int t : new int[] {1, threads}) {
        FitnessEvaluator ev = new FitnessEvaluator(model, t, 0.1);
        Random r = new Random(1);
        ev.validLoss(tiny.sample(r), vb);
        int n = 10;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
          ev.validLoss(tiny.sample(r), vb);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
            Locale.ROOT,
            "inherited-weight evaluations/s (tiny, 500 valid sentences, %d intra-op threads): %.2f%n",
            t,
            n / s);
      }
    }
  }

  static double tokensPerSecond(
      SearchSpace space, int vocab, List<Batch> batches, int steps, int threads) {
    try (NDManager m = NDManager.newBaseManager();
        SuperTransformer model =
            SuperTransformer.create(
                m, space.largest(), space.qkvDim(), vocab, Dropouts.DEFAULT, 1)) {
      Adam adam = new Adam(model.weights(), model.manager(), 0.9, 0.98);
      for (NDArray p : model.weights().all().values()) {
        p.setRequiresGradient(true);
      }
      Random r = new Random(1);
      step(model, adam, space.sample(r), batches.get(0), 1);
      long tokens = 0;
      long t0 = System.nanoTime();
      for (int i = 0; i < steps; i++) {
        Batch b = batches.get(r.nextInt(batches.size()));
        step(model, adam, space.sample(r), b, i + 2);
        tokens += b.targetTokens();
      }
      return tokens / ((System.nanoTime() - t0) / 1e9);
    }
  }

  /** One training step (forward, backward, Adam); returns its wall time in ms. */
  static double step(SuperTransformer model, Adam adam, SubConfig c, Batch b, long t) {
    long t0 = System.nanoTime();
    try (NDScope scope = new NDScope();
        NDManager sm = model.manager().newSubManager()) {
      scope.suppressNotUsedWarning();
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray logits = model.forward(c, b.srcArray(sm), b.prevArray(sm), true);
        gc.backward(
            Loss.labelSmoothed(logits, b.targetArray(sm), 0.1)[0].div((float) b.targetTokens()));
      }
      Threads.gradMode(false);
      adam.update(t, 1e-4, 1f);
      for (NDArray p : model.weights().all().values()) {
        JniUtils.zeroGrad((PtNDArray) p);
      }
    }
    return (System.nanoTime() - t0) / 1e6;
  }

  static void elastic(SearchSpace space, int vocab, List<Batch> batches, int threads) {
    Random r = new Random(7);
    SubConfig mid = space.sample(new Random(3));
    for (SubConfig c : List.of(space.largest(), mid)) {
      try (NDManager m = NDManager.newBaseManager();
          SuperTransformer sup =
              SuperTransformer.create(
                  m, space.largest(), space.qkvDim(), vocab, Dropouts.DEFAULT, 1);
          SuperTransformer fixed = sup.extract(m, c)) {
        Adam as = new Adam(sup.weights(), sup.manager(), 0.9, 0.98);
        Adam af = new Adam(fixed.weights(), fixed.manager(), 0.9, 0.98);
        for (NDArray p : sup.weights().all().values()) {
          p.setRequiresGradient(true);
        }
        for (NDArray p : fixed.weights().all().values()) {
          p.setRequiresGradient(true);
        }
        int n = 21;
        double[] ts = new double[n];
        double[] tf = new double[n];
        for (int i = -2; i < n; i++) {
          Batch b = batches.get(r.nextInt(batches.size()));
          // alternate which runs first, so neither gets a systematically warmer cache
          double x;
          double y;
          if ((i & 1) == 0) {
            x = step(sup, as, c, b, i + 3);
            y = step(fixed, af, c.active(), b, i + 3);
          } else {
            y = step(fixed, af, c.active(), b, i + 3);
            x = step(sup, as, c, b, i + 3);
          }
          if (i >= 0) {
            ts[i] = x;
            tf[i] = y;
          }
        }
        Arrays.sort(ts);
        Arrays.sort(tf);
        System.out.printf(
            Locale.ROOT,
            "elastic overhead %s: SuperTransformer step %.1f ms vs fixed model %.1f ms (median of %d): %.2fx%n",
            c.equals(space.largest()) ? "largest" : "mid " + c.key(),
            ts[n / 2],
            tf[n / 2],
            n,
            ts[n / 2] / tf[n / 2]);
      }
    }
  }

  /**
   * BLEU and validation loss of the largest and smallest SubTransformer of a trained
   * SuperTransformer.
   */
  static void score(Path shards, Path out, int threads, int ntest) throws Exception {
    Vocabulary v = Vocabulary.load(shards.resolve("vocab"));
    SearchSpace tiny = SearchSpace.preset("tiny");
    List<Corpus.Pair> test = Corpus.read(shards, "test");
    List<Corpus.Pair> sub = test.subList(0, Math.min(ntest, test.size()));
    List<String> refs = new ArrayList<>();
    List<int[]> src = new ArrayList<>();
    for (Corpus.Pair p : sub) {
      refs.add(v.decode(p.tgt()));
      src.add(p.src());
    }
    List<Batch> vb = Corpus.batches(Corpus.subset(Corpus.read(shards, "valid"), 500), 4096);
    try (SuperTransformerCheckpoint ck = SuperTransformerCheckpoint.load(out)) {
      FitnessEvaluator ev = new FitnessEvaluator(ck.model(), threads, 0.1);
      for (SubConfig c : List.of(tiny.largest(), tiny.smallest())) {
        long t1 = System.nanoTime();
        List<String> hyps = new ArrayList<>();
        for (int[] ids : new SequenceGenerator(ck.model(), c, DecodeConfig.HAT_WMT).generate(src)) {
          hyps.add(v.decode(ids));
        }
        double bleu = Bleu.corpusBleu(hyps, refs, BleuOptions.defaults()).score();
        System.out.printf(
            Locale.ROOT,
            "%s: valid loss %.3f, BLEU %.2f on %d test_2016_flickr sentences (beam 4, lenpen 0.6), decode %.1f s%n",
            c.equals(tiny.largest()) ? "largest " : "smallest",
            ev.validLoss(c, vb),
            bleu,
            sub.size(),
            (System.nanoTime() - t1) / 1e9);
        System.out.println("  e.g. " + hyps.get(0) + "  ||  ref: " + refs.get(0));
      }
    }
  }

  static void quality(Path shards, Path out, int steps, int threads, int ntest) throws Exception {
    int vocab = vocabSize(shards);
    SearchSpace tiny = SearchSpace.preset("tiny");
    TrainConfig cfg =
        TrainConfig.builder()
            .steps(steps)
            .maxTokens(Integer.getInteger("maxTokens", 1024))
            .lr(1.5e-3)
            .warmupSteps(Math.min(300, steps / 5))
            .schedule(TrainConfig.Schedule.COSINE)
            .minLr(1e-5)
            .beta1(0.9)
            .beta2(0.98)
            .labelSmoothing(0.1)
            .clipNorm(1.0)
            .gradAccum(1)
            .dropouts(new Dropouts(0.1f, 0.1f, 0.1f))
            .seed(1)
            .checkpointEvery(200)
            .sandwichEvery(3)
            .threads(threads)
            .logEvery(50)
            .build();
    long t0 = System.nanoTime();
    Trainer.Result res =
        Trainer.train(
            cfg,
            tiny,
            vocab,
            shards,
            out,
            Files.exists(out.resolve(SuperTransformerCheckpoint.FILE_NAME)),
            p -> System.out.println(p.line()));
    System.out.printf(
        Locale.ROOT,
        "trained %d steps in %.1f min, checkpoint %s%n",
        steps,
        (System.nanoTime() - t0) / 6e10,
        res.digest());
    score(shards, out, threads, ntest);
  }
}
