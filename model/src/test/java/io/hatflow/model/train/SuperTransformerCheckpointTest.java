package io.hatflow.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import io.hatflow.model.transformer.Dropouts;
import io.hatflow.model.transformer.SuperTransformer;
import io.hatflow.model.transformer.Threads;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SuperTransformerCheckpointTest {
  static final SearchSpace TINY = SearchSpace.preset("tiny");

  @BeforeAll
  static void oneThread() {
    Threads.useIntraOp(1);
  }

  /** The one-config space of {@code c}: what finalize trains and checkpoints a winner as. */
  static SearchSpace only(SubConfig c) {
    Map<String, List<Integer>> g = new LinkedHashMap<>();
    g.put(SearchSpace.ENCODER_EMBED_DIM, List.of(c.encoderEmbedDim()));
    g.put(SearchSpace.ENCODER_LAYER_NUM, List.of(c.encoderLayerNum()));
    g.put(
        SearchSpace.ENCODER_FFN_EMBED_DIM,
        c.encoderFfnEmbedDim().stream().distinct().sorted().toList());
    g.put(
        SearchSpace.ENCODER_SELF_ATTENTION_HEADS,
        c.encoderSelfAttentionHeads().stream().distinct().sorted().toList());
    g.put(SearchSpace.DECODER_EMBED_DIM, List.of(c.decoderEmbedDim()));
    g.put(SearchSpace.DECODER_LAYER_NUM, List.of(c.decoderLayerNum()));
    g.put(
        SearchSpace.DECODER_FFN_EMBED_DIM,
        c.decoderFfnEmbedDim().stream().distinct().sorted().toList());
    g.put(
        SearchSpace.DECODER_SELF_ATTENTION_HEADS,
        c.decoderSelfAttentionHeads().stream().distinct().sorted().toList());
    g.put(
        SearchSpace.DECODER_ENDE_ATTENTION_HEADS,
        c.decoderEndeAttentionHeads().stream().distinct().sorted().toList());
    g.put(
        SearchSpace.DECODER_ARBITRARY_ENDE_ATTN,
        c.decoderArbitraryEndeAttn().stream().distinct().sorted().toList());
    return new SearchSpace("only", TINY.qkvDim(), g);
  }

  @Test
  void anExtractedNarrowerModelKeepsTheSuperTransformersPositionTableThroughACheckpoint(
      @TempDir Path tmp) {
    SubConfig small = TINY.smallest().active();
    assertTrue(
        small.encoderEmbedDim() < TINY.largest().encoderEmbedDim(),
        "the test needs a narrower config");
    try (NDManager m = NDManager.newBaseManager();
        SuperTransformer sup =
            SuperTransformer.create(m, TINY.largest(), TINY.qkvDim(), 40, Dropouts.DEFAULT, 3);
        SuperTransformer sub = sup.extract(m, small)) {
      Path f = tmp.resolve("sub.hfc");
      SuperTransformerCheckpoint.write(f, only(small), sub, null, 0, 1);
      NDArray src = m.create(new long[] {5, 9, 12, 7, 2, 8, 6, 2}, new Shape(2, 4));
      NDArray tgt = m.create(new long[] {2, 14, 20, 2, 30, 31}, new Shape(2, 3));
      try (SuperTransformerCheckpoint ck = SuperTransformerCheckpoint.load(f)) {
        assertEquals(sup.positionDim(), ck.model().positionDim());
        NDArray a = sup.forward(small, src, tgt, false);
        NDArray b = ck.model().forward(small, src.duplicate(), tgt.duplicate(), false);
        float d = a.sub(b.toDevice(a.getDevice(), false)).abs().max().getFloat();
        assertTrue(
            d <= 1e-5f,
            "the loaded model computes what the sliced SuperTransformer does; max diff " + d);
      }

      // a model with its own position table writes no width: SuperTransformer checkpoints keep
      // their bytes
      Path g = tmp.resolve("sup.hfc");
      SuperTransformerCheckpoint.write(g, TINY, sup, null, 0, 1);
      String bytes = new String(readAll(g), StandardCharsets.ISO_8859_1);
      assertFalse(bytes.contains("positionDim="));
      assertTrue(
          new String(readAll(f), StandardCharsets.ISO_8859_1)
              .contains("positionDim=" + sup.positionDim()));
    }
  }

  private static byte[] readAll(Path p) {
    try {
      return Files.readAllBytes(p);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
