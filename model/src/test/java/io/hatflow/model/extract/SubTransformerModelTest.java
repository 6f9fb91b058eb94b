package io.hatflow.model.extract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import io.hatflow.model.transformer.Dropouts;
import io.hatflow.model.transformer.SuperTransformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SubTransformerModelTest {
  @org.junit.jupiter.api.BeforeAll
  static void oneThread() {
    // small models on a shared machine: one intra-op thread avoids OpenMP oversubscription stalls
    io.hatflow.model.transformer.Threads.useIntraOp(1);
  }

  static final SearchSpace TINY = SearchSpace.preset("tiny");

  @Test
  void extractedDirectoryGivesTheSameLogitsAsTheSlicedSuperTransformer(@TempDir Path tmp)
      throws Exception {
    try (NDManager m = NDManager.newBaseManager();
        SuperTransformer sup =
            SuperTransformer.create(m, TINY.largest(), TINY.qkvDim(), 40, Dropouts.DEFAULT, 11)) {
      for (long seed = 0; seed < 3; seed++) {
        SubConfig c = TINY.sample(new Random(seed));
        Path dir = tmp.resolve("sub" + seed);
        SubTransformerModel.write(sup, c, "abc", dir);
        assertTrue(
            Files.readString(dir.resolve(SubTransformerModel.CONFIG))
                .contains("encoder-embed-dim-subtransformer"));
        try (SubTransformerModel.Loaded l = SubTransformerModel.load(dir, m)) {
          assertEquals(c.active(), l.config());
          NDArray src = m.create(new long[] {5, 9, 12, 7, 2, 8, 6, 2}, new Shape(2, 4));
          NDArray tgt = m.create(new long[] {2, 14, 20, 2, 30, 31}, new Shape(2, 3));
          float d =
              sup.forward(c, src, tgt, false)
                  .sub(l.model().forward(l.config(), src, tgt, false))
                  .abs()
                  .max()
                  .getFloat();
          assertTrue(d <= 1e-5f, "max diff " + d);
        }
      }
      // rewriting a directory replaces it
      SubTransformerModel.write(sup, TINY.smallest(), "abc", tmp.resolve("sub0"));
      try (SubTransformerModel.Loaded l = SubTransformerModel.load(tmp.resolve("sub0"), m)) {
        assertEquals(TINY.smallest().active(), l.config());
      }
    }
  }

  @Test
  void notAModelDirectory(@TempDir Path tmp) {
    try (NDManager m = NDManager.newBaseManager()) {
      var e = assertThrows(IllegalArgumentException.class, () -> SubTransformerModel.load(tmp, m));
      assertTrue(e.getMessage().contains("lacks subtransformer.yml"), e.getMessage());
    }
  }

  @Test
  void parsesHatYaml() {
    SubConfig c =
        new SubConfig(
            96,
            3,
            List.of(256, 512, 128),
            List.of(2, 4, 2),
            128,
            2,
            List.of(128, 512, 256),
            List.of(4, 2, 4),
            List.of(2, 4, 4),
            List.of(2, 1, -1));
    assertEquals(
        c, SubTransformerModel.parseHatYaml(List.of(c.toHatYaml().split("\n")), Path.of("x")));
  }
}
