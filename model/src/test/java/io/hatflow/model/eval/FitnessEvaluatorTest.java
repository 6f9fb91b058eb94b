package io.hatflow.model.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import io.hatflow.model.train.Batch;
import io.hatflow.model.train.Corpus;
import io.hatflow.model.train.Shards;
import io.hatflow.model.transformer.Dropouts;
import io.hatflow.model.transformer.SuperTransformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FitnessEvaluatorTest {
  static final SearchSpace TINY = SearchSpace.preset("tiny");

  static List<Batch> batches(Path dir) throws Exception {
    Shards.write(dir, "valid", 1, 40, 30, 9);
    return Corpus.batches(Corpus.read(dir, "valid"), 100);
  }

  @Test
  void deterministicAcrossCallsAndThreadsAndDependsOnConfig(@TempDir Path tmp) throws Exception {
    List<Batch> bs = batches(tmp);
    try (NDManager m = NDManager.newBaseManager();
        SuperTransformer model =
            SuperTransformer.create(m, TINY.largest(), TINY.qkvDim(), 30, Dropouts.DEFAULT, 1)) {
      FitnessEvaluator ev = new FitnessEvaluator(model, 1, 0.1);
      SubConfig c = TINY.sample(new Random(4));
      double a = ev.validLoss(c, bs);
      assertEquals(a, ev.validLoss(c, bs));
      assertNotEquals(a, ev.validLoss(TINY.smallest(), bs));
      // untrained model: loss near log2(V)
      assertTrue(a > 3 && a < 8, "loss " + a);
      ExecutorService pool = Executors.newFixedThreadPool(2);
      List<Future<Double>> fs = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        fs.add(pool.submit(() -> new FitnessEvaluator(model, 1, 0.1).validLoss(c, bs)));
      }
      for (Future<Double> f : fs) {
        assertEquals(a, f.get());
      }
      pool.shutdown();
    }
  }

  @Test
  void memoryStaysFlatOverAThousandCalls() throws Exception {
    // a forked JVM with a small heap, so RSS growth is native (libtorch) memory, not the heap being
    // touched
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-Xmx96m",
                "-Dai.djl.offline=true",
                "-cp",
                System.getProperty("java.class.path"),
                EvalMemoryProbe.class.getName(),
                "300",
                "1000")
            .redirectErrorStream(true)
            .start();
    List<String> probe = new ArrayList<>();
    for (String l : new String(p.getInputStream().readAllBytes()).split("\n")) {
      if (l.startsWith("PROBE ")) {
        probe.add(l);
      }
    }
    assertEquals(0, p.waitFor());
    assertEquals(2, probe.size(), probe.toString());
    String[] before = probe.get(0).split(" ");
    String[] after = probe.get(1).split(" ");
    assertEquals(before[1], after[1], "arrays attached to the model's manager");
    long grown = Long.parseLong(after[2]) - Long.parseLong(before[2]);
    // one evaluation allocates hundreds of kB of activations: leaking them would add hundreds of MB
    assertTrue(grown < 32 * 1024, "RSS grew by " + grown + " kB over 1000 evaluations");
  }

  static long rssKb() throws Exception {
    for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (l.startsWith("VmRSS:")) {
        return Long.parseLong(l.replaceAll("[^0-9]", ""));
      }
    }
    return 0;
  }
}
