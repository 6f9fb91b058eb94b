package io.hatflow.model.decode;

import io.hatflow.core.space.SubConfig;
import io.hatflow.core.text.SpecialTokens;
import io.hatflow.model.transformer.SuperTransformer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Greedy and beam search over the incremental decoder (cached self-attention keys/values,
 * encoder-side keys and values projected once), fairseq-style: decoding starts from EOS, PAD and
 * BOS are never produced, a hypothesis ends at EOS, finished scores are normalised by {@code
 * length^lengthPenalty} (length counting the EOS), and the search stops once {@code beam}
 * hypotheses are finished or the length cap is reached (then EOS is forced). Works on a
 * SuperTransformer with a SubConfig (inherited weights), an extracted model with its own config, or
 * any other {@link DecoderEngine} (ONNX Runtime: {@link OnnxTranslator}), so every engine is
 * searched alike.
 */
public final class SequenceGenerator {
  private final DecoderEngine engine;
  private final DecodeConfig dc;

  public SequenceGenerator(SuperTransformer model, SubConfig config, DecodeConfig dc) {
    this.engine = new DjlEngine(model, config);
    this.dc = dc;
  }

  public SequenceGenerator(DecoderEngine engine, DecodeConfig dc) {
    this.engine = engine;
    this.dc = dc;
  }

  /** Best output ids (without EOS) for each source (ids without EOS). */
  public List<int[]> generate(List<int[]> sources) {
    List<int[]> out = new ArrayList<>();
    for (int[] s : sources) {
      out.add(dc.beam() == 1 ? greedy(s) : beam(s));
    }
    return out;
  }

  private static long[] source(int[] src) {
    long[] x = new long[src.length + 1];
    for (int i = 0; i < src.length; i++) {
      x[i] = src[i];
    }
    x[src.length] = SpecialTokens.EOS;
    return x;
  }

  int[] greedy(int[] src) {
    try (DecoderEngine.Decoding st = engine.start(source(src))) {
      int max = dc.maxLen(src.length);
      List<Integer> out = new ArrayList<>();
      long prev = SpecialTokens.EOS;
      for (int t = 0; t < max; t++) {
        float[] lp = st.step(new long[] {prev});
        int best = -1;
        for (int v = 0; v < lp.length; v++) {
          if (v != SpecialTokens.PAD && v != SpecialTokens.BOS && (best < 0 || lp[v] > lp[best])) {
            best = v;
          }
        }
        if (best == SpecialTokens.EOS) {
          break;
        }
        out.add(best);
        prev = best;
      }
      return out.stream().mapToInt(Integer::intValue).toArray();
    }
  }

  private record Hyp(int[] tokens, double score) {}

  int[] beam(int[] src) {
    int k = dc.beam();
    int max = dc.maxLen(src.length);
    try (DecoderEngine.Decoding st = engine.start(source(src))) {
      st.reorder(new long[k]);
      int[][] seqs = new int[k][0];
      double[] scores = new double[k];
      Arrays.fill(
          scores,
          1,
          k,
          Double.NEGATIVE_INFINITY); // all beams start identical: expand only the first
      long[] last = new long[k];
      Arrays.fill(last, SpecialTokens.EOS);
      List<Hyp> finished = new ArrayList<>();
      for (int t = 0; t <= max && finished.size() < k; t++) {
        float[] p = st.step(last);
        int vocab = p.length / k;
        // top 2k (beam, token) candidates by cumulative score
        int want = 2 * k;
        int[] cb = new int[want];
        int[] ct = new int[want];
        double[] cs = new double[want];
        Arrays.fill(cs, Double.NEGATIVE_INFINITY);
        for (int b = 0; b < k; b++) {
          if (scores[b] == Double.NEGATIVE_INFINITY) {
            continue;
          }
          for (int v = 0; v < vocab; v++) {
            if (v == SpecialTokens.PAD
                || v == SpecialTokens.BOS
                || (t == max && v != SpecialTokens.EOS)) {
              continue;
            }
            double s = scores[b] + p[b * vocab + v];
            if (s > cs[want - 1]) {
              int i = want - 1;
              while (i > 0 && cs[i - 1] < s) {
                cs[i] = cs[i - 1];
                cb[i] = cb[i - 1];
                ct[i] = ct[i - 1];
                i--;
              }
              cs[i] = s;
              cb[i] = b;
              ct[i] = v;
            }
          }
        }
        long[] order = new long[k];
        int[][] nseqs = new int[k][];
        double[] nscores = new double[k];
        Arrays.fill(nscores, Double.NEGATIVE_INFINITY);
        int filled = 0;
        for (int i = 0; i < want && filled < k; i++) {
          if (cs[i] == Double.NEGATIVE_INFINITY) {
            break;
          }
          if (ct[i] == SpecialTokens.EOS) {
            if (finished.size() < k) {
              finished.add(new Hyp(seqs[cb[i]], cs[i] / Math.pow(t + 1, dc.lengthPenalty())));
            }
            continue;
          }
          order[filled] = cb[i];
          nseqs[filled] = Arrays.copyOf(seqs[cb[i]], t + 1);
          nseqs[filled][t] = ct[i];
          nscores[filled] = cs[i];
          filled++;
        }
        if (filled == 0) {
          break;
        }
        for (int i = filled; i < k; i++) {
          order[i] = order[0];
          nseqs[i] = nseqs[0];
        }
        st.reorder(order);
        seqs = nseqs;
        scores = nscores;
        for (int i = 0; i < k; i++) {
          last[i] = seqs[i][t];
        }
      }
      Hyp best = null;
      for (Hyp h : finished) {
        if (best == null || h.score() > best.score()) {
          best = h;
        }
      }
      return best == null ? seqs[0] : best.tokens();
    }
  }
}
